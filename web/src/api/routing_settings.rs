//! Routing settings over HTTP (admin role): queues (strategy, aging, secondary delay, offer
//! mode and timeout, preferred-agent reservation, cool-down) and agents' routing (capacity,
//! queues worked, fairness cap, skills with levels 1–5). Skills are kept as master data
//! (`agent_skills` of the agent record the user is linked to); channel costs are the router's.
//! Every change is validated whole, audited and wakes the router, so waiting items are
//! evaluated again at once.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use switchboard_core::event::NewEvent;
use switchboard_core::queue::{OfferMode, QueueStrategy};
use switchboard_core::routing::{AgentRouting, AgentRoutingUpdate, Membership, QueueSettings};
use switchboard_core::routing_settings::{
    SettingProblem, SkillSetting, agent_routing_problems, checked_skills, queue_settings_problems,
};
use switchboard_core::skill::Skill;
use switchboard_core::user::AgentStatus;
use switchboard_core::{CoreError, QueueId};

use super::acting::{Router, wake};
use crate::auth::{AdminRole, Authed, Identity};
use crate::error::{ApiError, FieldProblem};
use crate::routes::RouteDef;
use crate::state::AppState;

/// Registers the routing-settings routes.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/queues", list_queues),
        RouteDef::put("/queues/{id}", update_queue),
        RouteDef::get("/agents/{login}/routing", agent_routing),
        RouteDef::put("/agents/{login}/routing", update_agent_routing),
    ]
}

fn refuse(message: &str, problems: Vec<SettingProblem>) -> ApiError {
    let problems = problems
        .into_iter()
        .map(|problem| FieldProblem {
            line: None,
            field: Some(problem.field.to_owned()),
            reason: problem.reason,
        })
        .collect();
    ApiError::with_problems(message, problems)
}

#[utoipa::path(
    get,
    path = "/api/v1/queues",
    tag = "admin",
    summary = "Every queue's routing settings",
    responses((status = 200, description = "the queues", body = Object), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it")),
    security(("bearer" = []))
)]
async fn list_queues(
    _caller: Authed<AdminRole>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.store.queue_settings().await?))
}

/// The settings to change; absent fields keep their value.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueueChange {
    #[schema(value_type = Option<String>)]
    pub(crate) strategy: Option<QueueStrategy>,
    #[schema(value_type = Option<String>)]
    pub(crate) offer_mode: Option<OfferMode>,
    pub(crate) aging_per_minute: Option<f64>,
    pub(crate) offer_timeout_seconds: Option<i32>,
    pub(crate) secondary_delay_seconds: Option<i32>,
    pub(crate) preferred_agent_seconds: Option<i32>,
    pub(crate) cooldown_seconds: Option<i32>,
}

impl QueueChange {
    fn applied_to(&self, current: &QueueSettings) -> QueueSettings {
        QueueSettings {
            id: current.id,
            name: current.name.clone(),
            strategy: self.strategy.unwrap_or(current.strategy),
            offer_mode: self.offer_mode.unwrap_or(current.offer_mode),
            aging_per_minute: self.aging_per_minute.unwrap_or(current.aging_per_minute),
            offer_timeout_seconds: self
                .offer_timeout_seconds
                .unwrap_or(current.offer_timeout_seconds),
            secondary_delay_seconds: self
                .secondary_delay_seconds
                .unwrap_or(current.secondary_delay_seconds),
            preferred_agent_seconds: self
                .preferred_agent_seconds
                .unwrap_or(current.preferred_agent_seconds),
            cooldown_seconds: self.cooldown_seconds.unwrap_or(current.cooldown_seconds),
        }
    }
}

#[utoipa::path(
    put,
    path = "/api/v1/queues/{id}",
    tag = "admin",
    summary = "Changes a queue's routing settings",
    params(("id" = i64, Path, description = "queue id")),
    request_body = QueueChange,
    responses((status = 200, description = "the queue's settings now", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn update_queue(
    caller: Authed<AdminRole>,
    id: web::Path<i64>,
    body: web::Json<QueueChange>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let id = QueueId::new(id.into_inner());
    let updated = change_queue(&state, &caller.identity, id, &body).await?;
    wake(&router);
    Ok(HttpResponse::Ok().json(updated))
}

/// Changes a queue's settings (validated whole) and audits the change; the caller wakes the
/// router. The API and the admin pages both change queues through here.
pub(crate) async fn change_queue(
    state: &AppState,
    caller: &Identity,
    id: QueueId,
    body: &QueueChange,
) -> Result<QueueSettings, ApiError> {
    let current = state
        .store
        .queue_settings()
        .await?
        .into_iter()
        .find(|queue| queue.id == id)
        .ok_or_else(|| CoreError::not_found(format!("queue {id}")))?;
    let updated = body.applied_to(&current);
    let problems = queue_settings_problems(&updated);
    if !problems.is_empty() {
        return Err(refuse(
            "the queue settings are out of their limits",
            problems,
        ));
    }
    state.store.update_queue_settings(&updated).await?;
    let event = NewEvent {
        at: state.clock.now(),
        actor: caller.actor.clone(),
        action: "queue.settings_changed".into(),
        item_id: None,
        details: serde_json::json!({ "before": current, "after": updated }),
    };
    state.store.record_event(&event).await?;
    Ok(updated)
}

/// A queue an agent works, by name.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueueMembership {
    pub(crate) queue: String,
    #[schema(value_type = String)]
    pub(crate) membership: Membership,
}

/// At most `max` assignments per `window_minutes`; `max: null` removes the cap.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Fairness {
    pub(crate) max: Option<i32>,
    pub(crate) window_minutes: i32,
}

/// A skill with its level (1–5).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SkillEntry {
    pub(crate) name: String,
    pub(crate) level: i64,
}

/// An agent's routing as an admin reads it.
#[derive(Debug, Serialize)]
pub(crate) struct AgentRoutingView {
    pub(crate) login: String,
    pub(crate) status: AgentStatus,
    pub(crate) capacity: i32,
    pub(crate) skills: Vec<Skill>,
    pub(crate) queues: Vec<QueueMembership>,
    pub(crate) fairness: Fairness,
}

impl AgentRoutingView {
    fn of(agent: AgentRouting, queues: &[QueueSettings]) -> Self {
        let name_of = |id: QueueId| {
            queues
                .iter()
                .find(|queue| queue.id == id)
                .map_or_else(|| id.to_string(), |queue| queue.name.clone())
        };
        Self {
            login: agent.login.to_string(),
            status: agent.status,
            capacity: agent.capacity,
            skills: agent.skills,
            queues: agent
                .queues
                .into_iter()
                .map(|(queue, membership)| QueueMembership {
                    queue: name_of(queue),
                    membership,
                })
                .collect(),
            fairness: Fairness {
                max: agent.fairness_max,
                window_minutes: agent.fairness_window_minutes,
            },
        }
    }
}

/// An agent's routing as an admin reads it, found by login.
pub(crate) async fn agent_routing_view(
    state: &AppState,
    login: &str,
) -> Result<AgentRoutingView, ApiError> {
    let snapshot = state.store.routing_snapshot(state.clock.now()).await?;
    let agent = snapshot
        .agents
        .into_iter()
        .find(|agent| agent.login.as_str() == login)
        .ok_or_else(|| CoreError::not_found(format!("agent {login}")))?;
    Ok(AgentRoutingView::of(agent, &snapshot.queues))
}

#[utoipa::path(
    get,
    path = "/api/v1/agents/{login}/routing",
    tag = "admin",
    summary = "An agent's routing settings",
    params(("login" = String, Path, description = "the agent's login")),
    responses((status = 200, description = "capacity, queues, fairness, skills, status", body = Object), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found")),
    security(("bearer" = []))
)]
async fn agent_routing(
    _caller: Authed<AdminRole>,
    login: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(agent_routing_view(&state, &login).await?))
}

/// The routing settings to change; absent fields keep their value.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AgentRoutingChange {
    pub(crate) capacity: Option<i32>,
    pub(crate) queues: Option<Vec<QueueMembership>>,
    pub(crate) fairness: Option<Fairness>,
    /// Replaces the agent's skills.
    pub(crate) skills: Option<Vec<SkillEntry>>,
}

#[utoipa::path(
    put,
    path = "/api/v1/agents/{login}/routing",
    tag = "admin",
    summary = "Changes an agent's capacity, queues, fairness cap and skills",
    params(("login" = String, Path, description = "the agent's login")),
    request_body = AgentRoutingChange,
    responses((status = 200, description = "the agent's routing now", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "not found"), (status = 409, description = "skills given for a user linked to no agent record")),
    security(("bearer" = []))
)]
async fn update_agent_routing(
    caller: Authed<AdminRole>,
    login: web::Path<String>,
    body: web::Json<AgentRoutingChange>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    change_agent_routing(&state, &caller.identity, &login, &body).await?;
    wake(&router);
    Ok(HttpResponse::Ok().json(agent_routing_view(&state, &login).await?))
}

/// Changes an agent's capacity, queues, fairness cap and skills (validated whole) and audits
/// the change; the caller wakes the router. The API and the admin pages both go through here.
pub(crate) async fn change_agent_routing(
    state: &AppState,
    caller: &Identity,
    login: &str,
    body: &AgentRoutingChange,
) -> Result<(), ApiError> {
    let agent = super::acting::user_id(state, login).await?;
    let queues = match &body.queues {
        None => None,
        Some(memberships) => {
            let known = state.store.queue_settings().await?;
            let mut resolved = Vec::with_capacity(memberships.len());
            for wanted in memberships {
                let queue = known
                    .iter()
                    .find(|queue| queue.name == wanted.queue)
                    .ok_or_else(|| {
                        refuse(
                            "the agent's queues must exist",
                            vec![SettingProblem {
                                field: "queues",
                                reason: format!("there is no queue {:?}", wanted.queue),
                            }],
                        )
                    })?;
                resolved.push((queue.id, wanted.membership));
            }
            Some(resolved)
        }
    };
    let update = AgentRoutingUpdate {
        capacity: body.capacity,
        queues,
        fairness: body
            .fairness
            .as_ref()
            .map(|fairness| (fairness.max, fairness.window_minutes)),
    };
    let problems = agent_routing_problems(&update);
    if !problems.is_empty() {
        return Err(refuse(
            "the agent's routing settings are out of their limits",
            problems,
        ));
    }
    let skills = body.skills.as_deref().map(checked_skill_list).transpose()?;
    // Skills first: a user linked to no agent record is refused before anything changes.
    if let Some(skills) = &skills {
        state.store.set_agent_skills(agent, skills).await?;
    }
    state.store.update_agent_routing(agent, &update).await?;
    let event = NewEvent {
        at: state.clock.now(),
        actor: caller.actor.clone(),
        action: "agent.routing_changed".into(),
        item_id: None,
        details: serde_json::json!({
            "agent": agent, "login": login, "update": update, "skills": skills,
        }),
    };
    state.store.record_event(&event).await?;
    Ok(())
}

/// The skills of a change, or a problem per wrong entry naming it (`skills[1].level`).
fn checked_skill_list(entries: &[SkillEntry]) -> Result<Vec<Skill>, ApiError> {
    let settings: Vec<SkillSetting> = entries
        .iter()
        .map(|entry| SkillSetting {
            name: entry.name.clone(),
            level: entry.level,
        })
        .collect();
    checked_skills(&settings).map_err(|problems| {
        let problems = problems
            .into_iter()
            .map(|problem| FieldProblem {
                line: None,
                field: Some(format!("skills[{}].{}", problem.index, problem.field)),
                reason: problem.reason,
            })
            .collect();
        ApiError::with_problems("the agent's skills are invalid", problems)
    })
}
