//! Link edits over HTTP: an agent or lead confirms a suggested link, removes a link or links a
//! customer or order by its number. Agents change the links of their own items, leads and
//! admins of any item (as for status changes, see [`super::acting`]). Linking a customer can
//! remember the item's unknown sender address or number as that customer's contact
//! (`remember_contact`), so the linker finds the sender next time — this node's pipeline at
//! once, other nodes at their next master-data check.

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use switchboard_core::WorkItemId;
use switchboard_core::ids::LinkId;
use switchboard_core::link::{LinkEdit, LinkKind};

use super::acting::{AgentQuery, acting_worker};
use crate::auth::{AgentRole, Authed};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// The link routes.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::post("/items/{id}/links", add_link),
        RouteDef::post("/items/{id}/links/{link}/confirm", confirm_link),
        RouteDef::new(Method::DELETE, "/items/{id}/links/{link}", remove_link),
    ]
}

/// `{"kind": "customer" | "order", "key": "...", "remember_contact": false}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct AddBody {
    #[schema(value_type = String)]
    kind: LinkKind,
    key: String,
    #[serde(default)]
    remember_contact: bool,
}

/// `{"remember_contact": false}`, optional.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
struct ConfirmBody {
    #[serde(default)]
    remember_contact: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/items/{id}/links",
    tag = "item work",
    summary = "Links a customer or order by number (applied, origin agent)",
    params(("id" = i64, Path, description = "item id"), ("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    request_body = AddBody,
    responses((status = 201, description = "links, unknown_sender, remembered_contact", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found"), (status = 409, description = "the item changed meanwhile")),
    security(("bearer" = []))
)]
async fn add_link(
    caller: Authed<AgentRole>,
    item: web::Path<i64>,
    query: web::Query<AgentQuery>,
    body: web::Json<AddBody>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let edit = LinkEdit::Add {
        kind: body.kind,
        key: body.key,
    };
    let item = WorkItemId::new(item.into_inner());
    apply_edit(&caller, item, &edit, body.remember_contact, &query, &state)
        .await
        .map(|edited| HttpResponse::Created().json(edited))
}

#[utoipa::path(
    post,
    path = "/api/v1/items/{id}/links/{link}/confirm",
    tag = "item work",
    summary = "Applies a suggested link",
    params(("id" = i64, Path, description = "item id"), ("link" = i64, Path, description = "link id"), ("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    request_body(content = Option<ConfirmBody>),
    responses((status = 200, description = "links, unknown_sender, remembered_contact", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found"), (status = 409, description = "the item changed meanwhile")),
    security(("bearer" = []))
)]
async fn confirm_link(
    caller: Authed<AgentRole>,
    path: web::Path<(i64, i64)>,
    query: web::Query<AgentQuery>,
    body: Option<web::Json<ConfirmBody>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (item, link) = path.into_inner();
    let remember = body.is_some_and(|body| body.remember_contact);
    let edit = LinkEdit::Confirm(LinkId::new(link));
    let item = WorkItemId::new(item);
    apply_edit(&caller, item, &edit, remember, &query, &state)
        .await
        .map(|edited| HttpResponse::Ok().json(edited))
}

#[utoipa::path(
    delete,
    path = "/api/v1/items/{id}/links/{link}",
    tag = "item work",
    summary = "Removes a link",
    params(("id" = i64, Path, description = "item id"), ("link" = i64, Path, description = "link id"), ("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    responses((status = 200, description = "links, unknown_sender, remembered_contact", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found"), (status = 409, description = "the item changed meanwhile")),
    security(("bearer" = []))
)]
async fn remove_link(
    caller: Authed<AgentRole>,
    path: web::Path<(i64, i64)>,
    query: web::Query<AgentQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (item, link) = path.into_inner();
    let edit = LinkEdit::Remove(LinkId::new(link));
    let item = WorkItemId::new(item);
    apply_edit(&caller, item, &edit, false, &query, &state)
        .await
        .map(|edited| HttpResponse::Ok().json(edited))
}

async fn apply_edit(
    caller: &Authed<AgentRole>,
    item: WorkItemId,
    edit: &LinkEdit,
    remember_contact: bool,
    query: &AgentQuery,
    state: &AppState,
) -> Result<switchboard_core::link::LinksEdited, ApiError> {
    let worker = acting_worker(&caller.identity, query, state).await?;
    let edited = state
        .store
        .edit_link(item, edit, remember_contact, &worker, state.clock.now())
        .await?;
    if edited.remembered_contact {
        state.master_data_changed().await;
    }
    Ok(edited)
}
