//! The task API: `POST /api/v1/inbound/task` takes one JSON task, `POST /api/v1/inbound/tasks`
//! NDJSON in bulk (one task per line, all or nothing). The caller's `external_id` is the
//! idempotency key: the same id again updates the task's item, never duplicates it. Invalid
//! payloads are 400 problems whose `errors` name each field (and, in bulk, each line).

use actix_web::{HttpResponse, web};
use futures_util::future::BoxFuture;
use serde::Serialize;
use switchboard_channels::task::{FieldError, ValidTask, parse_ndjson, parse_payload, validate};
use switchboard_core::error::CoreResult;
use switchboard_core::{CoreError, WorkItemId};

use super::body::read_limited;
use crate::auth::{AgentRole, Authed};
use crate::error::{ApiError, FieldProblem};
use crate::routes::RouteDef;
use crate::state::AppState;

/// Takes validated tasks into the system (linking and placement included).
pub trait TaskSink: Send + Sync {
    /// Creates or updates the item of `task.external_id`; returns it and whether it was new.
    fn submit_task<'a>(
        &'a self,
        task: &'a ValidTask,
    ) -> BoxFuture<'a, CoreResult<(WorkItemId, bool)>>;
}

/// Registers the task routes.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::post("/inbound/task", inbound_task),
        RouteDef::post("/inbound/tasks", inbound_tasks),
    ]
}

/// The answer for one task.
#[derive(Debug, Serialize)]
struct Submitted {
    item: WorkItemId,
    #[serde(rename = "ref")]
    reference: String,
    external_id: String,
    created: bool,
}

/// The answer for a bulk import.
#[derive(Debug, Serialize)]
struct Imported {
    created: usize,
    updated: usize,
    items: Vec<Submitted>,
}

fn problems(line: Option<u64>, errors: Vec<FieldError>) -> Vec<FieldProblem> {
    errors
        .into_iter()
        .map(|error| FieldProblem {
            line,
            field: (!error.field.is_empty()).then_some(error.field),
            reason: error.message,
        })
        .collect()
}

async fn submit(sink: &dyn TaskSink, task: &ValidTask) -> Result<Submitted, ApiError> {
    let (item, created) = sink.submit_task(task).await?;
    Ok(Submitted {
        item,
        reference: item.reference(),
        external_id: task.external_id.clone(),
        created,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/inbound/task",
    tag = "intake",
    summary = "Creates or updates one task by its external id",
    request_body = Object,
    responses((status = 201, description = "created: item, ref, external_id, created", body = Object), (status = 200, description = "updated", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 503, description = "not available on this node")),
    security(("bearer" = []))
)]
async fn inbound_task(
    _caller: Authed<AgentRole>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let sink = state
        .tasks
        .clone()
        .ok_or_else(|| CoreError::Unavailable("the task API on this node".into()))?;
    let raw = read_limited(body, state.config.max_json_bytes).await?;
    let task = parse_payload(&raw)
        .and_then(|payload| validate(&payload))
        .map_err(|errors| ApiError::with_problems("the task is invalid", problems(None, errors)))?;
    let submitted = submit(sink.as_ref(), &task).await?;
    Ok(if submitted.created {
        HttpResponse::Created().json(submitted)
    } else {
        HttpResponse::Ok().json(submitted)
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/inbound/tasks",
    tag = "intake",
    summary = "Creates or updates tasks from NDJSON, all or nothing",
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, description = "created, updated, items", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 503, description = "not available on this node")),
    security(("bearer" = []))
)]
async fn inbound_tasks(
    _caller: Authed<AgentRole>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let sink = state
        .tasks
        .clone()
        .ok_or_else(|| CoreError::Unavailable("the task API on this node".into()))?;
    let raw = read_limited(body, state.config.max_import_bytes).await?;
    let mut tasks = Vec::new();
    let mut errors = Vec::new();
    // parse_ndjson skips blank lines, so line numbers come from the errors or are recounted.
    let numbered = raw
        .split(|&byte| byte == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(index, _)| index + 1);
    for (parsed, line) in parse_ndjson(&raw).into_iter().zip(numbered) {
        let line_no = u64::try_from(line).unwrap_or(u64::MAX);
        match parsed {
            Err(error) => errors.extend(problems(Some(line_no), error.errors)),
            Ok(payload) => match validate(&payload) {
                Ok(task) => tasks.push(task),
                Err(field_errors) => errors.extend(problems(Some(line_no), field_errors)),
            },
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::with_problems(
            "some tasks are invalid; nothing was imported",
            errors,
        ));
    }
    if tasks.is_empty() {
        return Err(CoreError::BadInput("the body holds no task".into()).into());
    }
    let mut items = Vec::with_capacity(tasks.len());
    for task in &tasks {
        items.push(submit(sink.as_ref(), task).await?);
    }
    let created = items.iter().filter(|item| item.created).count();
    Ok(HttpResponse::Ok().json(Imported {
        created,
        updated: items.len() - created,
        items,
    }))
}
