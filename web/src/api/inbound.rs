//! HTTP intake: `POST /api/v1/inbound/email` takes one raw RFC 5322 message and answers 202 only
//! after it is landed (durably stored), so a sender that sees 202 may forget it.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use switchboard_core::CoreError;
use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::Channel;

use super::body::read_limited;
use crate::auth::{AgentRole, Authed};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// Registers the intake routes.
pub fn routes() -> Vec<RouteDef> {
    vec![RouteDef::post("/inbound/email", inbound_email)]
}

/// The answer to an accepted input.
#[derive(Debug, Serialize)]
struct Accepted {
    #[serde(flatten)]
    outcome: IngestOutcome,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/inbound/email",
    tag = "intake",
    summary = "Lands one raw RFC 5322 message",
    request_body(content = String, content_type = "message/rfc822"),
    responses((status = 202, description = "outcome, item, ref", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 503, description = "not available on this node")),
    security(("bearer" = []))
)]
async fn inbound_email(
    _caller: Authed<AgentRole>,
    body: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let ingestor = state
        .ingestor
        .clone()
        .ok_or_else(|| CoreError::Unavailable("intake on this node".into()))?;
    let raw = read_limited(body, state.config.max_inbound_bytes).await?;
    if raw.is_empty() {
        return Err(
            CoreError::BadInput("the body is empty; send one RFC 5322 message".into()).into(),
        );
    }
    let outcome = ingestor
        .ingest(Channel::Email, "http", raw.to_vec())
        .await?;
    let reference = outcome.item().map(|item| item.reference());
    Ok(HttpResponse::Accepted().json(Accepted { outcome, reference }))
}
