//! E-mail replies to items: `POST /api/v1/items/{id}/reply` queues a reply (the agent who holds
//! the item, or a lead), `GET /api/v1/items/{id}/outbound` lists what was sent or waits, with
//! each message's status, attempts and last error.

use actix_web::{HttpResponse, web};
use switchboard_core::outbox::{Outbound, ReplyRequest};
use switchboard_core::{CoreError, WorkItemId};

use super::acting::{AgentQuery, acting_worker};
use crate::auth::{AgentRole, Authed, Identity};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// Registers the reply routes.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::post("/items/{id}/reply", reply),
        RouteDef::get("/items/{id}/outbound", outbound),
    ]
}

#[utoipa::path(
    post,
    path = "/api/v1/items/{id}/reply",
    tag = "item work",
    summary = "Queues an e-mail reply to an item (its agent, or a lead)",
    params(
        ("id" = i64, Path, description = "item id"),
        ("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")
    ),
    request_body = Object,
    responses(
        (status = 202, description = "the queued message", body = Object),
        (status = 400, description = "bad input"),
        (status = 401, description = "no valid credentials"),
        (status = 403, description = "the item is not the caller's"),
        (status = 404, description = "not found"),
        (status = 503, description = "no SMTP relay configured")
    ),
    security(("bearer" = []))
)]
async fn reply(
    caller: Authed<AgentRole>,
    item: web::Path<i64>,
    query: web::Query<AgentQuery>,
    body: web::Json<ReplyRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let item = WorkItemId::new(item.into_inner());
    let queued = queue_reply(&caller.identity, &query, item, &body, &state).await?;
    Ok(HttpResponse::Accepted().json(queued))
}

/// Queues a reply to `item` for the caller (the API's and the item view's one way to send).
pub(crate) async fn queue_reply(
    identity: &Identity,
    query: &AgentQuery,
    item: WorkItemId,
    request: &ReplyRequest,
    state: &AppState,
) -> Result<Outbound, ApiError> {
    let mail = state.outbound_mail.as_ref().ok_or_else(|| {
        CoreError::Unavailable("replies need an SMTP relay: configure [mail.smtp]".into())
    })?;
    let worker = acting_worker(identity, query, state).await?;
    Ok(mail.reply(item, request, &worker).await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/items/{id}/outbound",
    tag = "item work",
    summary = "Lists an item's outgoing messages with status, attempts and last error",
    params(("id" = i64, Path, description = "item id")),
    responses(
        (status = 200, description = "the messages", body = Object),
        (status = 401, description = "no valid credentials"),
        (status = 404, description = "not found")
    ),
    security(("bearer" = []))
)]
async fn outbound(
    _caller: Authed<AgentRole>,
    item: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let item = WorkItemId::new(item.into_inner());
    if state.store.item(item).await?.is_none() {
        return Err(CoreError::not_found(format!("item {item}")).into());
    }
    Ok(HttpResponse::Ok().json(state.store.outbound_of(item).await?))
}
