//! Queues and agents (`/admin/queues`, `/admin/agents/{login}`): each queue's routing settings
//! (strategy, offer mode and timeout, aging, secondary delay, preferred-agent reservation,
//! cool-down) and each agent's capacity, queues and fairness cap, changed through the same
//! validated and audited code as `PUT /api/v1/queues/{id}` and `/agents/{login}/routing`.
//! Skills with levels are master data (the `agents` import); the agent page edits them too
//! (`skills.rs`).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use switchboard_core::queue::{OfferMode, QueueStrategy};
use switchboard_core::routing::{Membership, QueueSettings};
use switchboard_core::{CoreError, ErrorKind, QueueId};

use super::skills::{SkillRow, levels, rows_of};
use super::{Done, render_refused};
use crate::api::acting::{Router, wake};
use crate::api::routing_settings::{
    AgentRoutingChange, AgentRoutingView, Fairness, QueueChange, QueueMembership,
    agent_routing_view, change_agent_routing, change_queue,
};
use crate::auth::{AdminRole, Authed};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::page::{Chrome, render, see_other};

/// An agent as the queues page lists it.
struct AgentRow {
    login: String,
    status: String,
    capacity: i32,
    queues: String,
    skills: String,
}

#[derive(Template)]
#[template(path = "admin_queues.html")]
struct QueuesPage<'a> {
    chrome: Chrome<'a>,
    queues: Vec<QueueSettings>,
    agents: Vec<AgentRow>,
    strategies: &'static [QueueStrategy],
    offer_modes: &'static [OfferMode],
    notice: Option<&'static str>,
    alert: Option<String>,
}

/// The problem of a refused change, with each field's reason, for the page.
pub(super) fn described(error: &ApiError) -> String {
    let reasons: Vec<String> = error
        .problems
        .iter()
        .map(|problem| match &problem.field {
            Some(field) => format!("{field}: {}", problem.reason),
            None => problem.reason.clone(),
        })
        .collect();
    if reasons.is_empty() {
        error.error.to_string()
    } else {
        format!("{} ({})", error.error, reasons.join("; "))
    }
}

/// Whether `error` is the admin's mistake (shown on the page) rather than our failure.
pub(super) fn is_mistake(error: &ApiError) -> bool {
    !matches!(
        error.error.kind(),
        ErrorKind::Internal | ErrorKind::Unavailable
    )
}

async fn queues_page_of<'a>(
    request: &HttpRequest,
    state: &'a AppState,
) -> Result<QueuesPage<'a>, ApiError> {
    let snapshot = state.store.routing_snapshot(state.clock.now()).await?;
    let name_of = |id: QueueId| {
        snapshot
            .queues
            .iter()
            .find(|queue| queue.id == id)
            .map_or_else(|| id.to_string(), |queue| queue.name.clone())
    };
    let agents = snapshot
        .agents
        .iter()
        .map(|agent| AgentRow {
            login: agent.login.to_string(),
            status: agent.status.to_string(),
            capacity: agent.capacity,
            queues: agent
                .queues
                .iter()
                .map(|(queue, membership)| format!("{} ({membership})", name_of(*queue)))
                .collect::<Vec<_>>()
                .join(", "),
            skills: agent
                .skills
                .iter()
                .map(|skill| format!("{} {}", skill.name, skill.level))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    Ok(QueuesPage {
        chrome: Chrome::of(request, state, "admin"),
        queues: state.store.queue_settings().await?,
        agents,
        strategies: QueueStrategy::ALL,
        offer_modes: OfferMode::ALL,
        notice: None,
        alert: None,
    })
}

/// `GET /admin/queues`.
pub(super) async fn queues_page(
    _caller: Authed<AdminRole>,
    request: HttpRequest,
    done: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut page = queues_page_of(&request, &state).await?;
    page.notice = done.notice(&["admin.queues.saved"]);
    render(&page)
}

/// Reads a whole number field of a form.
fn number<T: std::str::FromStr>(
    form: &HashMap<String, String>,
    field: &str,
) -> Result<Option<T>, ApiError> {
    match form.get(field).map(|value| value.trim()) {
        None | Some("") => Ok(None),
        Some(raw) => raw
            .parse()
            .map(Some)
            .map_err(|_| CoreError::BadInput(format!("{field}: {raw:?} is not a number")).into()),
    }
}

fn queue_change_of(form: &HashMap<String, String>) -> Result<QueueChange, ApiError> {
    let choice = |field: &str| form.get(field).map(String::as_str).unwrap_or_default();
    let strategy = QueueStrategy::parse(choice("strategy"))
        .ok_or_else(|| CoreError::BadInput("strategy: choose one of the list".into()))?;
    let offer_mode = OfferMode::parse(choice("offer_mode"))
        .ok_or_else(|| CoreError::BadInput("offer_mode: choose one of the list".into()))?;
    Ok(QueueChange {
        strategy: Some(strategy),
        offer_mode: Some(offer_mode),
        aging_per_minute: number(form, "aging_per_minute")?,
        offer_timeout_seconds: number(form, "offer_timeout_seconds")?,
        secondary_delay_seconds: number(form, "secondary_delay_seconds")?,
        preferred_agent_seconds: number(form, "preferred_agent_seconds")?,
        cooldown_seconds: number(form, "cooldown_seconds")?,
    })
}

/// `POST /admin/queues/{id}`.
pub(super) async fn update_queue(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    id: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let id = QueueId::new(id.into_inner());
    let outcome = match queue_change_of(&form) {
        Ok(change) => change_queue(&state, &caller.identity, id, &change).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(_) => {
            wake(&router);
            Ok(see_other("/admin/queues?done=saved"))
        }
        Err(error) if is_mistake(&error) => {
            let mut page = queues_page_of(&request, &state).await?;
            page.alert = Some(described(&error));
            render_refused(&page)
        }
        Err(error) => Err(error),
    }
}

/// A queue's membership choice on the agent page.
struct MembershipRow {
    queue: String,
    /// `""` (not worked), `primary` or `secondary`.
    membership: &'static str,
}

#[derive(Template)]
#[template(path = "admin_agent.html")]
pub(super) struct AgentPage<'a> {
    chrome: Chrome<'a>,
    agent: AgentRoutingView,
    memberships: Vec<MembershipRow>,
    notice: Option<&'static str>,
    alert: Option<String>,
    /// The skills form's rows: the stored skills, or the refused ones as typed.
    pub(super) skill_rows: Vec<SkillRow>,
    levels: Vec<String>,
    /// Why the skills form was refused.
    pub(super) skills_alert: Option<String>,
}

pub(super) async fn agent_page_of<'a>(
    request: &HttpRequest,
    state: &'a AppState,
    login: &str,
) -> Result<AgentPage<'a>, ApiError> {
    let agent = agent_routing_view(state, login).await?;
    let memberships = state
        .store
        .queue_settings()
        .await?
        .into_iter()
        .map(|queue| MembershipRow {
            membership: agent
                .queues
                .iter()
                .find(|worked| worked.queue == queue.name)
                .map_or("", |worked| worked.membership.as_str()),
            queue: queue.name,
        })
        .collect();
    Ok(AgentPage {
        chrome: Chrome::of(request, state, "admin"),
        skill_rows: rows_of(&agent.skills),
        levels: levels(),
        agent,
        memberships,
        notice: None,
        alert: None,
        skills_alert: None,
    })
}

/// `GET /admin/agents/{login}`.
pub(super) async fn agent_page(
    _caller: Authed<AdminRole>,
    request: HttpRequest,
    login: web::Path<String>,
    done: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut page = agent_page_of(&request, &state, &login).await?;
    page.notice = done.notice(&["admin.agent.saved", "admin.agent.skills_saved"]);
    render(&page)
}

/// The form's fields: `capacity`, `fairness_max` (empty: no cap), `fairness_window_minutes`
/// and `queue:NAME` = `primary`, `secondary` or empty (not worked) for every queue.
fn agent_change_of(form: &HashMap<String, String>) -> Result<AgentRoutingChange, ApiError> {
    let mut queues = Vec::new();
    for (field, value) in form {
        let Some(queue) = field.strip_prefix("queue:") else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let membership = Membership::parse(value).ok_or_else(|| {
            CoreError::BadInput(format!("{field}: {value:?} is not a membership"))
        })?;
        queues.push(QueueMembership {
            queue: queue.to_owned(),
            membership,
        });
    }
    queues.sort_by(|a, b| a.queue.cmp(&b.queue));
    let window = number(form, "fairness_window_minutes")?
        .ok_or_else(|| CoreError::BadInput("fairness_window_minutes is needed".into()))?;
    Ok(AgentRoutingChange {
        capacity: number(form, "capacity")?,
        queues: Some(queues),
        fairness: Some(Fairness {
            max: number(form, "fairness_max")?,
            window_minutes: window,
        }),
        skills: None,
    })
}

/// Back to the agent's page after a change, with the notice `done`.
pub(super) fn agent_saved(login: &str, done: &str) -> HttpResponse {
    let login = url::form_urlencoded::byte_serialize(login.as_bytes()).collect::<String>();
    see_other(&format!("/admin/agents/{login}?done={done}"))
}

/// `POST /admin/agents/{login}`.
pub(super) async fn update_agent(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    login: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let login = login.into_inner();
    let outcome = match agent_change_of(&form) {
        Ok(change) => change_agent_routing(&state, &caller.identity, &login, &change).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => {
            wake(&router);
            Ok(agent_saved(&login, "saved"))
        }
        Err(error) if is_mistake(&error) && error.error.kind() != ErrorKind::NotFound => {
            let mut page = agent_page_of(&request, &state, &login).await?;
            page.alert = Some(described(&error));
            render_refused(&page)
        }
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::super::form_of as form;
    use super::*;

    #[test]
    fn the_agent_form_reads_queues_capacity_and_fairness() {
        let change = agent_change_of(&form(&[
            ("capacity", "120"),
            ("fairness_max", ""),
            ("fairness_window_minutes", "60"),
            ("queue:orders-nl", "primary"),
            ("queue:inbox", "secondary"),
            ("queue:fax", ""),
            ("csrf_token", "x"),
        ]))
        .unwrap();
        assert_eq!(change.capacity, Some(120));
        let queues: Vec<(&str, Membership)> = change
            .queues
            .as_deref()
            .unwrap()
            .iter()
            .map(|worked| (worked.queue.as_str(), worked.membership))
            .collect();
        assert_eq!(
            queues,
            vec![
                ("inbox", Membership::Secondary),
                ("orders-nl", Membership::Primary)
            ]
        );
        let fairness = change.fairness.unwrap();
        assert_eq!((fairness.max, fairness.window_minutes), (None, 60));
        assert!(
            agent_change_of(&form(&[
                ("capacity", "lots"),
                ("fairness_window_minutes", "60")
            ]))
            .is_err()
        );
        assert!(
            agent_change_of(&form(&[
                ("queue:inbox", "boss"),
                ("fairness_window_minutes", "60")
            ]))
            .is_err()
        );
    }

    #[test]
    fn the_queue_form_needs_known_choices_and_numbers() {
        let fields = [
            ("strategy", "least_loaded"),
            ("offer_mode", "offer"),
            ("aging_per_minute", "0.5"),
            ("offer_timeout_seconds", "90"),
            ("secondary_delay_seconds", ""),
        ];
        let change = queue_change_of(&form(&fields)).unwrap();
        assert_eq!(change.strategy, Some(QueueStrategy::LeastLoaded));
        assert_eq!(change.offer_timeout_seconds, Some(90));
        assert_eq!(change.secondary_delay_seconds, None);
        assert!(
            queue_change_of(&form(&[("strategy", "random"), ("offer_mode", "offer")])).is_err()
        );
    }
}
