//! Item work over HTTP: an agent's work list, the item view, status changes (waiting, done,
//! reopen) and internal notes.
//!
//! Everyone signed in reads any item (agents need the customer's history); an agent changes
//! only the items they own, leads and admins any item. Agent actions name their agent as
//! [`super::acting`] describes. A change that frees capacity or returns work wakes the router.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use switchboard_core::work::{StatusChange, item_detail};
use switchboard_core::{CoreError, WorkItemId};

use super::acting::{AgentQuery, Router, acting_agent, acting_worker, wake};
use crate::auth::{AgentRole, Authed};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// Registers the item-work routes.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/me/work", my_work),
        RouteDef::get("/items/{id}", item_view),
        RouteDef::post("/items/{id}/status", change_status),
        RouteDef::post("/items/{id}/notes", add_note),
    ]
}

#[utoipa::path(
    get,
    path = "/api/v1/me/work",
    tag = "item work",
    summary = "The agent's open offers and owned items in queue order",
    params(("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    responses((status = 200, description = "the work list", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials")),
    security(("bearer" = []))
)]
async fn my_work(
    caller: Authed<AgentRole>,
    query: web::Query<AgentQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let agent = acting_agent(&caller.identity, &query, &state).await?;
    Ok(HttpResponse::Ok().json(state.store.my_work(agent).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/items/{id}",
    tag = "item work",
    summary = "The item view: item, links, attachments, notes, thread, assignments",
    params(("id" = i64, Path, description = "item id")),
    responses((status = 200, description = "the item view", body = Object), (status = 401, description = "no valid credentials"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn item_view(
    _caller: Authed<AgentRole>,
    item: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let item = WorkItemId::new(item.into_inner());
    let detail = item_detail(state.store.as_ref(), item)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("item {item}")))?;
    Ok(HttpResponse::Ok().json(detail))
}

/// `{"status": "waiting" | "done" | "reopen"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct StatusChangeBody {
    #[schema(value_type = String)]
    status: StatusChange,
}

#[utoipa::path(
    post,
    path = "/api/v1/items/{id}/status",
    tag = "item work",
    summary = "Waiting, done or reopen",
    params(("id" = i64, Path, description = "item id"), ("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    request_body = StatusChangeBody,
    responses((status = 200, description = "what changed: item, from, to, version", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found"), (status = 409, description = "conflicts with the item's state")),
    security(("bearer" = []))
)]
async fn change_status(
    caller: Authed<AgentRole>,
    item: web::Path<i64>,
    query: web::Query<AgentQuery>,
    body: web::Json<StatusChangeBody>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let worker = acting_worker(&caller.identity, &query, &state).await?;
    let item = WorkItemId::new(item.into_inner());
    let changed = state
        .store
        .change_item_status(
            item,
            body.status,
            &worker,
            state.sla.as_ref(),
            state.clock.now(),
        )
        .await?;
    if changed.wakes_router() {
        wake(&router);
    }
    Ok(HttpResponse::Ok().json(changed))
}

/// `{"text": "..."}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct NoteBody {
    text: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/items/{id}/notes",
    tag = "item work",
    summary = "Adds an internal note",
    params(("id" = i64, Path, description = "item id"), ("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    request_body = NoteBody,
    responses((status = 201, description = "the note", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn add_note(
    caller: Authed<AgentRole>,
    item: web::Path<i64>,
    query: web::Query<AgentQuery>,
    body: web::Json<NoteBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let worker = acting_worker(&caller.identity, &query, &state).await?;
    let item = WorkItemId::new(item.into_inner());
    let note = state
        .store
        .add_note(item, &body.text, &worker, state.clock.now())
        .await?;
    Ok(HttpResponse::Created().json(note))
}
