//! The lead board over HTTP: `GET /api/v1/board` for leads and admins. Items are at risk from
//! their own SLA clocks and breached from the recorded breaches.

use std::collections::HashSet;

use actix_web::{HttpResponse, web};
use switchboard_core::WorkItemId;
use switchboard_core::board::LeadBoard;
use switchboard_core::routing::RoutingSnapshot;
use switchboard_router::ChannelCosts;

use crate::auth::{Authed, LeadRole};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// Registers the board route.
pub fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get("/board", board)]
}

#[utoipa::path(
    get,
    path = "/api/v1/board",
    tag = "lead",
    summary = "The lead board per queue and channel and per agent",
    responses((status = 200, description = "the board", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it")),
    security(("bearer" = []))
)]
async fn board(
    _caller: Authed<LeadRole>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (board, _, _) = board_now(&state).await?;
    Ok(HttpResponse::Ok().json(board))
}

/// What the board shows now: the board, the routing snapshot it was built from and the open
/// items with a recorded breach (the API's and the page's one way to build it).
pub(crate) async fn board_now(
    state: &AppState,
) -> Result<(LeadBoard, RoutingSnapshot, HashSet<WorkItemId>), ApiError> {
    let now = state.clock.now();
    let snapshot = state.store.routing_snapshot(now).await?;
    let breached = state.store.breached_open_items().await?;
    // The dispatcher routes with the default channel costs; the board counts load the same way.
    let costs = ChannelCosts::default();
    let board = LeadBoard::build(&snapshot, now, &breached, |channel| costs.cost(channel));
    Ok((board, snapshot, breached))
}
