//! Routing over HTTP. Agents: pull the next item, answer offers, set their status. Leads:
//! reassign, move and reprioritise items (one or in bulk), set an agent's status, read why an
//! item went where it went. Admins: list, validate, store, activate and simulate rule sets.
//!
//! Agent actions name their agent as [`super::acting`] describes. Every change wakes the
//! node's router.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::routing::SimulationRequest;
use switchboard_core::routing::{AssignmentId, LeadAction, LeadOverride};
use switchboard_core::user::AgentStatus;
use switchboard_core::{CoreError, WorkItemId};
use switchboard_router::rules::{RuleSet, validate};

use super::acting::{AgentQuery, Router, acting_agent, user_id, wake};
use crate::auth::{AdminRole, AgentRole, Authed, Identity, LeadRole};
use crate::error::{ApiError, FieldProblem};
use crate::routes::RouteDef;
use crate::state::AppState;

/// Registers the routing routes.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::post("/items/next", next_item),
        RouteDef::post("/offers/{id}/accept", accept_offer),
        RouteDef::post("/offers/{id}/reject", reject_offer),
        RouteDef::put("/me/status", my_status),
        RouteDef::post("/items/bulk/reassign", bulk_reassign),
        RouteDef::post("/items/bulk/move", bulk_move),
        RouteDef::post("/items/bulk/priority", bulk_priority),
        RouteDef::post("/items/{id}/reassign", reassign),
        RouteDef::post("/items/{id}/move", move_item),
        RouteDef::post("/items/{id}/priority", set_priority),
        RouteDef::get("/items/{id}/explanation", explanation),
        RouteDef::put("/agents/{login}/status", agent_status),
        RouteDef::get("/rule-sets", list_rule_sets),
        RouteDef::post("/rule-sets", save_rule_set),
        RouteDef::post("/rule-sets/validate", validate_rule_set),
        RouteDef::post("/rule-sets/simulate", simulate),
        RouteDef::post("/rule-sets/{version}/activate", activate_rule_set),
    ]
}

#[derive(Debug, Serialize)]
struct ItemAnswer {
    item_id: WorkItemId,
    #[serde(rename = "ref")]
    reference: String,
}

impl ItemAnswer {
    fn of(item: WorkItemId) -> Self {
        Self {
            item_id: item,
            reference: item.reference(),
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/items/next",
    tag = "routing",
    summary = "Pull: claims the best item for the agent now",
    params(("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    responses((status = 200, description = "the claimed item: item_id, ref", body = Object), (status = 204, description = "nothing to take"), (status = 401, description = "no valid credentials"), (status = 503, description = "not available on this node")),
    security(("bearer" = []))
)]
async fn next_item(
    caller: Authed<AgentRole>,
    query: web::Query<AgentQuery>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let agent = acting_agent(&caller.identity, &query, &state).await?;
    let router = router.ok_or_else(|| CoreError::Unavailable("routing on this node".into()))?;
    Ok(match router.next_item(agent).await? {
        Some(item) => HttpResponse::Ok().json(ItemAnswer::of(item)),
        None => HttpResponse::NoContent().finish(),
    })
}

async fn answer_offer(
    caller: Authed<AgentRole>,
    offer: web::Path<i64>,
    query: web::Query<AgentQuery>,
    state: web::Data<AppState>,
    router: Router,
    accept: bool,
) -> Result<HttpResponse, ApiError> {
    let agent = acting_agent(&caller.identity, &query, &state).await?;
    let offer = AssignmentId::new(offer.into_inner());
    let now = state.clock.now();
    let item = if accept {
        state.store.accept_offer(offer, agent, now).await?
    } else {
        state.store.reject_offer(offer, agent, now).await?
    };
    wake(&router);
    Ok(HttpResponse::Ok().json(ItemAnswer::of(item)))
}

#[utoipa::path(
    post,
    path = "/api/v1/offers/{id}/accept",
    tag = "routing",
    summary = "Accepts an open offer",
    params(("id" = i64, Path, description = "offer id"), ("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    responses((status = 200, description = "the item: item_id, ref", body = Object), (status = 401, description = "no valid credentials"), (status = 409, description = "conflicts with the item's state")),
    security(("bearer" = []))
)]
async fn accept_offer(
    caller: Authed<AgentRole>,
    offer: web::Path<i64>,
    query: web::Query<AgentQuery>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    answer_offer(caller, offer, query, state, router, true).await
}

#[utoipa::path(
    post,
    path = "/api/v1/offers/{id}/reject",
    tag = "routing",
    summary = "Rejects an open offer",
    params(("id" = i64, Path, description = "offer id"), ("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    responses((status = 200, description = "the item: item_id, ref", body = Object), (status = 401, description = "no valid credentials"), (status = 409, description = "conflicts with the item's state")),
    security(("bearer" = []))
)]
async fn reject_offer(
    caller: Authed<AgentRole>,
    offer: web::Path<i64>,
    query: web::Query<AgentQuery>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    answer_offer(caller, offer, query, state, router, false).await
}

/// `{"status": "available" | "away" | "offline"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct StatusBody {
    #[schema(value_type = String)]
    status: AgentStatus,
}

#[utoipa::path(
    put,
    path = "/api/v1/me/status",
    tag = "routing",
    summary = "Sets the agent's own status",
    params(("agent" = Option<String>, Query, description = "the agent an API token acts for (login)")),
    request_body = StatusBody,
    responses((status = 204, description = "set"), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials")),
    security(("bearer" = []))
)]
async fn my_status(
    caller: Authed<AgentRole>,
    query: web::Query<AgentQuery>,
    body: web::Json<StatusBody>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let agent = acting_agent(&caller.identity, &query, &state).await?;
    let now = state.clock.now();
    state
        .store
        .set_agent_status(agent, body.status, &caller.identity.actor, now)
        .await?;
    wake(&router);
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    put,
    path = "/api/v1/agents/{login}/status",
    tag = "lead",
    summary = "Sets an agent's status",
    params(("login" = String, Path, description = "the agent's login")),
    request_body = StatusBody,
    responses((status = 204, description = "set"), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn agent_status(
    caller: Authed<LeadRole>,
    login: web::Path<String>,
    body: web::Json<StatusBody>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    set_status_of(&login, body.status, &caller.identity, &state, &router).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sets the status of the agent with `login` for a lead (the API's and the board's one way).
pub(crate) async fn set_status_of(
    login: &str,
    status: AgentStatus,
    by: &Identity,
    state: &AppState,
    router: &Router,
) -> Result<(), ApiError> {
    let agent = user_id(state, login).await?;
    let now = state.clock.now();
    state
        .store
        .set_agent_status(agent, status, &by.actor, now)
        .await?;
    wake(router);
    Ok(())
}

/// A lead's action on one item (`agent`, `queue` or `priority`) or, in bulk, on `items`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub(crate) struct LeadBody {
    pub(crate) agent: Option<String>,
    pub(crate) queue: Option<String>,
    pub(crate) priority: Option<i32>,
    pub(crate) reason: Option<String>,
    #[serde(default)]
    pub(crate) items: Vec<i64>,
}

/// What a lead does to items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LeadKind {
    /// Gives them to an agent.
    Reassign,
    /// Puts them in a queue for routing.
    Move,
    /// Sets their base priority.
    Priority,
}

async fn lead_action_of(
    kind: LeadKind,
    body: &LeadBody,
    state: &AppState,
) -> Result<LeadAction, ApiError> {
    let missing = |field: &str| CoreError::BadInput(format!("the body needs `{field}`"));
    Ok(match kind {
        LeadKind::Reassign => {
            let login = body.agent.as_deref().ok_or_else(|| missing("agent"))?;
            LeadAction::Reassign {
                agent: user_id(state, login).await?,
            }
        }
        LeadKind::Move => LeadAction::Move {
            queue: body.queue.clone().ok_or_else(|| missing("queue"))?,
        },
        LeadKind::Priority => LeadAction::Priority {
            priority: body.priority.ok_or_else(|| missing("priority"))?,
        },
    })
}

async fn lead_one(
    kind: LeadKind,
    caller: Authed<LeadRole>,
    item: web::Path<i64>,
    body: web::Json<LeadBody>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let action = lead_action_of(kind, &body, &state).await?;
    let by = LeadOverride {
        actor: caller.identity.actor.clone(),
        reason: body.reason.clone(),
        at: state.clock.now(),
    };
    let item = WorkItemId::new(item.into_inner());
    state
        .store
        .lead_action(item, &action, &by, state.sla.as_ref())
        .await?;
    wake(&router);
    Ok(HttpResponse::Ok().json(ItemAnswer::of(item)))
}

/// What a bulk action did to one item.
#[derive(Debug, Serialize)]
pub(crate) struct BulkResult {
    pub(crate) item_id: i64,
    pub(crate) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

async fn lead_bulk(
    kind: LeadKind,
    caller: Authed<LeadRole>,
    body: web::Json<LeadBody>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let results = apply_bulk(kind, &caller.identity, &body, &state, &router).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "results": results })))
}

/// Applies a lead's action to each of `body.items` on its own, recording the override with
/// the lead as its author, and wakes the router (the API's and the board's one way).
pub(crate) async fn apply_bulk(
    kind: LeadKind,
    by: &Identity,
    body: &LeadBody,
    state: &AppState,
    router: &Router,
) -> Result<Vec<BulkResult>, ApiError> {
    if body.items.is_empty() {
        return Err(
            CoreError::BadInput("the body needs `items`: a list of item ids".into()).into(),
        );
    }
    let action = lead_action_of(kind, body, state).await?;
    let by = LeadOverride {
        actor: by.actor.clone(),
        reason: body.reason.clone(),
        at: state.clock.now(),
    };
    let mut results = Vec::with_capacity(body.items.len());
    for &item in &body.items {
        let outcome = state
            .store
            .lead_action(WorkItemId::new(item), &action, &by, state.sla.as_ref())
            .await;
        results.push(BulkResult {
            item_id: item,
            ok: outcome.is_ok(),
            error: outcome.err().map(|error| error.to_string()),
        });
    }
    wake(router);
    Ok(results)
}

macro_rules! lead_handlers {
    ($($one:ident, $bulk:ident => $kind:expr, $one_path:tt, $bulk_path:tt, $what:tt;)+) => {$(
        #[utoipa::path(
            post,
            path = $one_path,
            tag = "lead",
            summary = $what,
            params(("id" = i64, Path, description = "item id")),
            request_body = LeadBody,
            responses(
                (status = 200, description = "the item: item_id, ref", body = Object),
                (status = 400, description = "bad input"),
                (status = 401, description = "no valid credentials"),
                (status = 403, description = "the caller's role does not allow it"),
                (status = 404, description = "no such open item")
            ),
            security(("bearer" = []))
        )]
        async fn $one(
            caller: Authed<LeadRole>,
            item: web::Path<i64>,
            body: web::Json<LeadBody>,
            state: web::Data<AppState>,
            router: Router,
        ) -> Result<HttpResponse, ApiError> {
            lead_one($kind, caller, item, body, state, router).await
        }

        #[utoipa::path(
            post,
            path = $bulk_path,
            tag = "lead",
            summary = $what,
            request_body = LeadBody,
            responses(
                (status = 200, description = "results: [{item_id, ok, error}]", body = Object),
                (status = 400, description = "bad input"),
                (status = 401, description = "no valid credentials"),
                (status = 403, description = "the caller's role does not allow it")
            ),
            security(("bearer" = []))
        )]
        async fn $bulk(
            caller: Authed<LeadRole>,
            body: web::Json<LeadBody>,
            state: web::Data<AppState>,
            router: Router,
        ) -> Result<HttpResponse, ApiError> {
            lead_bulk($kind, caller, body, state, router).await
        }
    )+};
}

lead_handlers! {
    reassign, bulk_reassign => LeadKind::Reassign,
        "/api/v1/items/{id}/reassign", "/api/v1/items/bulk/reassign", "Gives items to an agent";
    move_item, bulk_move => LeadKind::Move,
        "/api/v1/items/{id}/move", "/api/v1/items/bulk/move", "Puts items in a queue for routing";
    set_priority, bulk_priority => LeadKind::Priority,
        "/api/v1/items/{id}/priority", "/api/v1/items/bulk/priority", "Sets items' base priority";
}

#[utoipa::path(
    get,
    path = "/api/v1/items/{id}/explanation",
    tag = "lead",
    summary = "Why an item went where it went: assignment history with explanations",
    params(("id" = i64, Path, description = "item id")),
    responses((status = 200, description = "status and assignments", body = Object), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn explanation(
    _caller: Authed<LeadRole>,
    item: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let item = WorkItemId::new(item.into_inner());
    let stored = state
        .store
        .item(item)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("item {item}")))?;
    let assignments = state.store.assignments_of(item).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "item_id": item,
        "status": stored.status,
        "assignments": assignments,
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/rule-sets",
    tag = "admin",
    summary = "Every stored rule-set version, newest first",
    responses((status = 200, description = "the versions", body = Object), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it")),
    security(("bearer" = []))
)]
async fn list_rule_sets(
    _caller: Authed<AdminRole>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.store.rule_sets().await?))
}

/// Validates a rule-set document; `Err` carries every error with its rule and position.
fn check(document: &serde_json::Value) -> Result<(), Vec<serde_json::Value>> {
    let set: RuleSet = serde_json::from_value(document.clone()).map_err(|error| {
        vec![
            serde_json::json!({ "field": "document", "line": 0, "column": 0,
                                 "message": error.to_string() }),
        ]
    })?;
    validate(&set).map(|_| ()).map_err(|errors| {
        errors
            .iter()
            .map(|error| serde_json::to_value(error).unwrap_or(serde_json::Value::Null))
            .collect()
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/rule-sets/validate",
    tag = "admin",
    summary = "Validates a rule-set document",
    request_body = Object,
    responses((status = 200, description = "valid and errors with rule and position", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it")),
    security(("bearer" = []))
)]
async fn validate_rule_set(
    _caller: Authed<AdminRole>,
    document: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let errors = check(&document).err().unwrap_or_default();
    Ok(
        HttpResponse::Ok()
            .json(serde_json::json!({ "valid": errors.is_empty(), "errors": errors })),
    )
}

#[utoipa::path(
    post,
    path = "/api/v1/rule-sets",
    tag = "admin",
    summary = "Stores a rule-set document as a new version",
    request_body = Object,
    responses((status = 201, description = "version, valid, errors", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it")),
    security(("bearer" = []))
)]
async fn save_rule_set(
    caller: Authed<AdminRole>,
    document: web::Json<serde_json::Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let errors = check(&document).err().unwrap_or_default();
    let created_by = serde_json::to_string(&caller.identity.actor).unwrap_or_default();
    let version = state
        .store
        .save_rule_set(&document, errors.is_empty(), &created_by, state.clock.now())
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "version": version, "valid": errors.is_empty(), "errors": errors,
    })))
}

#[utoipa::path(
    post,
    path = "/api/v1/rule-sets/{version}/activate",
    tag = "admin",
    summary = "Activates a valid version",
    params(("version" = i64, Path, description = "rule-set version")),
    responses((status = 200, description = "the active version", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn activate_rule_set(
    caller: Authed<AdminRole>,
    version: web::Path<i64>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let version = version.into_inner();
    let now = state.clock.now();
    state
        .store
        .activate_rule_set(version, &caller.identity.actor, now)
        .await?;
    wake(&router);
    Ok(HttpResponse::Ok().json(serde_json::json!({ "active_version": version })))
}

#[derive(Debug, Deserialize)]
struct SimulateBody {
    rules: Option<serde_json::Value>,
    since: Option<DateTime<Utc>>,
    #[serde(default)]
    live_status: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/rule-sets/simulate",
    tag = "admin",
    summary = "Replays past items against a rule set without changing anything",
    request_body = Object,
    responses((status = 200, description = "the simulation report", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 503, description = "not available on this node")),
    security(("bearer" = []))
)]
async fn simulate(
    _caller: Authed<AdminRole>,
    body: web::Json<SimulateBody>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let router = router.ok_or_else(|| CoreError::Unavailable("routing on this node".into()))?;
    if let Some(Err(errors)) = body.rules.as_ref().map(check) {
        let problems = errors
            .iter()
            .map(|error| FieldProblem {
                line: error["line"].as_u64(),
                field: error["field"].as_str().map(str::to_owned),
                reason: error.to_string(),
            })
            .collect();
        return Err(ApiError::with_problems("the rule set is invalid", problems));
    }
    let request = SimulationRequest {
        rules: body.rules.clone(),
        since: body.since,
        live_status: body.live_status,
    };
    Ok(HttpResponse::Ok().json(router.simulate(&request).await?))
}
