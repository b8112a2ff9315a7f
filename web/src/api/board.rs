//! The lead board over HTTP: `GET /api/v1/board[?sla_risk_share=0.8]` for leads and admins.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use switchboard_core::board::{DEFAULT_SLA_RISK_SHARE, LeadBoard, checked_risk_share};
use switchboard_router::ChannelCosts;

use crate::auth::{Authed, LeadRole};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// Registers the board route.
pub fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get("/board", board)]
}

#[derive(Debug, Deserialize)]
struct BoardQuery {
    sla_risk_share: Option<f64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/board",
    tag = "lead",
    summary = "The lead board per queue and channel and per agent",
    params(("sla_risk_share" = Option<f64>, Query, description = "share of the SLA used from which an item is at risk (default 0.8)")),
    responses((status = 200, description = "the board", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it")),
    security(("bearer" = []))
)]
async fn board(
    _caller: Authed<LeadRole>,
    query: web::Query<BoardQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let share = checked_risk_share(query.sla_risk_share.unwrap_or(DEFAULT_SLA_RISK_SHARE))?;
    let now = state.clock.now();
    let snapshot = state.store.routing_snapshot(now).await?;
    // The dispatcher routes with the default channel costs; the board counts load the same way.
    let costs = ChannelCosts::default();
    let board = LeadBoard::build(&snapshot, now, share, |channel| costs.cost(channel));
    Ok(HttpResponse::Ok().json(board))
}
