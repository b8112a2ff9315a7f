//! Master data from the ERP: upsert one record (`PUT /api/v1/{kind}/{key}`), bulk NDJSON
//! (`POST /api/v1/import/{kind}`), and reads of customers and orders.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::Serialize;
use switchboard_core::CoreError;
use switchboard_core::import::{RawRecords, RejectedRow, import};
use switchboard_core::master::{MasterKind, UpsertCounts};

use super::body::read_limited;
use crate::auth::{AdminRole, AgentRole, Authed};
use crate::error::{ApiError, FieldProblem};
use crate::routes::RouteDef;
use crate::state::AppState;

/// Registers the master-data routes.
pub fn routes() -> Vec<RouteDef> {
    let mut routes: Vec<RouteDef> = MasterKind::ALL
        .iter()
        .copied()
        .filter(|kind| kind.has_single_key())
        .map(|kind| {
            RouteDef::put(
                format!("/{kind}/{{key}}"),
                move |caller, key, body, state| put_record(kind, caller, key, body, state),
            )
        })
        .collect();
    routes.extend([
        RouteDef::get("/customers/{key}", get_customer),
        RouteDef::get("/orders/{key}", get_order),
        RouteDef::post("/import/{kind}", import_ndjson),
    ]);
    routes
}

/// The outcome of a single upsert.
#[derive(Debug, Serialize)]
struct UpsertOutcome {
    kind: MasterKind,
    key: String,
    result: &'static str,
}

/// Counts of a bulk import.
#[derive(Debug, Serialize)]
struct BulkOutcome {
    kind: MasterKind,
    rows: u64,
    new: u64,
    updated: u64,
    unchanged: u64,
}

#[utoipa::path(
    put,
    path = "/api/v1/{kind}/{key}",
    tag = "master data",
    summary = "Upserts one master-data record (fields named as the CSV columns)",
    params(("kind" = String, Path, description = "customers, contacts, products, agents, orders, deliveries or invoices"), ("key" = String, Path, description = "the record's business key")),
    request_body = Object,
    responses((status = 201, description = "new: kind, key, result", body = Object), (status = 200, description = "updated or unchanged", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it")),
    security(("bearer" = []))
)]
async fn put_record(
    kind: MasterKind,
    _caller: Authed<AdminRole>,
    key: web::Path<String>,
    body: web::Json<serde_json::Map<String, serde_json::Value>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let key = key.into_inner();
    let mut fields = json_fields(&body)
        .map_err(|problem| ApiError::with_problems(problem.reason.clone(), vec![problem]))?;
    let key_column = kind
        .key_columns()
        .next()
        .ok_or_else(|| CoreError::Internal(format!("{kind} has no key column")))?;
    match fields.get(key_column.name) {
        Some(in_body) if *in_body != key => {
            return Err(CoreError::BadInput(format!(
                "{} {in_body:?} in the body differs from {key:?} in the path",
                key_column.name
            ))
            .into());
        }
        _ => {
            fields.insert(key_column.name.to_owned(), key.clone());
        }
    }
    let raw = RawRecords {
        records: vec![(1, fields)],
    };
    let counts = run_import(&state, kind, raw).await?;
    let result = if counts.new > 0 {
        "new"
    } else if counts.updated > 0 {
        "updated"
    } else {
        "unchanged"
    };
    let outcome = UpsertOutcome { kind, key, result };
    Ok(if counts.new > 0 {
        HttpResponse::Created().json(outcome)
    } else {
        HttpResponse::Ok().json(outcome)
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/import/{kind}",
    tag = "master data",
    summary = "Imports NDJSON records of a kind, all or nothing",
    params(("kind" = String, Path, description = "a master-data kind (also order_lines, price_list, agent_skills)")),
    request_body(content = String, content_type = "application/x-ndjson"),
    responses((status = 200, description = "counts", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it")),
    security(("bearer" = []))
)]
async fn import_ndjson(
    _caller: Authed<AdminRole>,
    kind: web::Path<String>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let kind = MasterKind::parse(&kind)
        .ok_or_else(|| CoreError::not_found(format!("master-data kind {:?}", kind.as_str())))?;
    let bytes = read_limited(body, state.config.max_import_bytes).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|error| CoreError::BadInput(format!("body is not UTF-8: {error}")))?;
    let mut raw = RawRecords::default();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(1);
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)
            .map_err(|error| FieldProblem {
                line: Some(line_number),
                field: None,
                reason: format!("not a JSON object: {error}"),
            })
            .and_then(|object| json_fields(&object));
        match parsed {
            Ok(fields) => raw.records.push((line_number, fields)),
            Err(problem) => problems.push(FieldProblem {
                line: Some(line_number),
                ..problem
            }),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::with_problems(
            format!("{} line(s) rejected; nothing was imported", problems.len()),
            problems,
        ));
    }
    let counts = run_import(&state, kind, raw).await?;
    Ok(HttpResponse::Ok().json(BulkOutcome {
        kind,
        rows: counts.rows(),
        new: counts.new,
        updated: counts.updated,
        unchanged: counts.unchanged,
    }))
}

async fn run_import(
    state: &AppState,
    kind: MasterKind,
    raw: RawRecords,
) -> Result<UpsertCounts, ApiError> {
    match import(state.store.as_ref(), vec![(kind, raw)]).await? {
        Ok(counts) => {
            let counts = counts
                .first()
                .map(|(_, counts)| *counts)
                .unwrap_or_default();
            if counts.new + counts.updated > 0 {
                state.master_data_changed().await;
            }
            Ok(counts)
        }
        Err(rejected) => Err(rejection(&rejected)),
    }
}

fn rejection(rejected: &[RejectedRow]) -> ApiError {
    let problems = rejected
        .iter()
        .map(|row| FieldProblem {
            line: Some(row.line),
            field: None,
            reason: row.reason.clone(),
        })
        .collect::<Vec<_>>();
    let detail = match rejected {
        [only] => only.reason.clone(),
        _ => format!(
            "{} record(s) rejected; nothing was imported",
            rejected.len()
        ),
    };
    ApiError::with_problems(detail, problems)
}

/// Turns a JSON object into raw field text: numbers as written, flags as yes/no, lists joined
/// with `|` (as in the CSV exports).
fn json_fields(
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<BTreeMap<String, String>, FieldProblem> {
    object
        .iter()
        .map(|(name, value)| {
            let text = match value {
                serde_json::Value::Null => String::new(),
                serde_json::Value::Bool(flag) => if *flag { "yes" } else { "no" }.to_owned(),
                serde_json::Value::Number(number) => number.to_string(),
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|item| match item {
                        serde_json::Value::String(text) => Ok(text.clone()),
                        _ => Err(()),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|items| items.join("|"))
                    .map_err(|()| FieldProblem {
                        line: None,
                        field: Some(name.clone()),
                        reason: format!("{name} must be a list of strings"),
                    })?,
                serde_json::Value::Object(_) => {
                    return Err(FieldProblem {
                        line: None,
                        field: Some(name.clone()),
                        reason: format!("{name} must not be an object"),
                    });
                }
            };
            Ok((name.clone(), text))
        })
        .collect()
}

#[utoipa::path(
    get,
    path = "/api/v1/customers/{key}",
    tag = "master data",
    summary = "Reads a customer with contacts",
    params(("key" = String, Path, description = "customer number")),
    responses((status = 200, description = "the customer", body = Object), (status = 401, description = "no valid credentials"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn get_customer(
    _caller: Authed<AgentRole>,
    key: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let customer = state
        .store
        .customer(&key)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("customer {key}")))?;
    Ok(HttpResponse::Ok().json(customer))
}

#[utoipa::path(
    get,
    path = "/api/v1/orders/{key}",
    tag = "master data",
    summary = "Reads an order with lines",
    params(("key" = String, Path, description = "order number")),
    responses((status = 200, description = "the order", body = Object), (status = 401, description = "no valid credentials"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn get_order(
    _caller: Authed<AgentRole>,
    key: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let order = state
        .store
        .order(&key)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("order {key}")))?;
    Ok(HttpResponse::Ok().json(order))
}
