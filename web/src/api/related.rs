//! `GET /api/v1/items/{id}/related`: the item's case — its members with channel, subject,
//! status, holder, received time and the evidence why each belongs — and the customer's other
//! recent items as a timeline. Readable like the item view: by everyone signed in.

use actix_web::{HttpResponse, web};
use switchboard_core::case::related;
use switchboard_core::{CoreError, WorkItemId};

use crate::auth::{AgentRole, Authed};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// The related-items route.
pub fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get("/items/{id}/related", related_items)]
}

#[utoipa::path(
    get,
    path = "/api/v1/items/{id}/related",
    tag = "item work",
    summary = "The item's case (members with the evidence why each belongs) and the customer's other recent items",
    params(("id" = i64, Path, description = "item id")),
    responses((status = 200, description = "item, customer_no, case {id, customer_no, opened_at, members}, timeline", body = Object), (status = 401, description = "no valid credentials"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn related_items(
    _caller: Authed<AgentRole>,
    item: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let item = WorkItemId::new(item.into_inner());
    let view = related(state.store.as_ref(), item)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("item {item}")))?;
    Ok(HttpResponse::Ok().json(view))
}
