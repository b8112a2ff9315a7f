//! The team lead's board (`/lead`, leads and admins): per queue and channel what waits, how
//! long and how close to its SLA; per agent status, load against capacity, skills and current
//! items; per waiting item why it still waits (the router's explanation); SVG charts drawn on
//! the server. Rebalancing posts forms: selected items are reassigned, moved or reprioritised
//! through the API's bulk path, and an agent's status is set through the API's status path.
//! The page reloads itself when the board's figures change (`/lead/events`).

mod charts;
mod history;
mod line_chart;
mod view;
mod why;

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use switchboard_core::board::LeadBoard;
use switchboard_core::history::{BACKLOG_SAMPLE_EVERY, agent_activity};
use switchboard_core::sla_report::SlaReport;
use switchboard_core::user::AgentStatus;
use switchboard_core::{CoreError, WorkItemId};
use switchboard_router::Explanation;

use self::charts::BarChart;
use self::history::{BoardHistory, HISTORY_HOURS, history_charts};
use self::line_chart::LineChart;
use self::view::{AgentRow, BoardInputs, QueueRow, WaitingRow, board_view, listed_items};
use super::events::change_stream;
use super::page::{Chrome, render, see_other};
use crate::api::acting::Router;
use crate::api::board::board_now;
use crate::api::routing::{LeadBody, LeadKind, apply_bulk, set_status_of};
use crate::auth::{Authed, LeadRole};
use crate::error::ApiError;
use crate::state::AppState;

/// What the board says after a form.
struct Notice {
    text: String,
    failed: Vec<String>,
    problem: bool,
}

#[derive(Template)]
#[template(path = "lead.html")]
struct LeadPage<'a> {
    chrome: Chrome<'a>,
    notice: Option<Notice>,
    queues: Vec<QueueRow>,
    agents: Vec<AgentRow>,
    waiting: Vec<WaitingRow>,
    waiting_total: usize,
    charts: Vec<BarChart>,
    backlog: LineChart,
    history: Vec<BarChart>,
    queue_names: Vec<String>,
    agent_logins: Vec<String>,
    statuses: [&'static str; 3],
    routing_here: bool,
}

impl LeadPage<'_> {
    fn status_key(&self, status: &str) -> &'static str {
        match status {
            "available" => "lead.status_available",
            "away" => "lead.status_away",
            "offline" => "lead.status_offline",
            _ => "lead.status_not_responding",
        }
    }
}

/// What a form left in the query string.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Outcome {
    done: Option<String>,
    ok: Option<usize>,
    total: Option<usize>,
    failed: Option<String>,
    problem: Option<String>,
    agent: Option<String>,
    status: Option<String>,
}

fn action_key(action: &str) -> &'static str {
    match action {
        "reassign" => "lead.action_reassign",
        "move" => "lead.action_move",
        _ => "lead.action_priority",
    }
}

fn notice_of(outcome: &Outcome, chrome: &Chrome<'_>) -> Option<Notice> {
    let t = chrome.t;
    if let Some(problem) = &outcome.problem {
        let text = match problem.as_str() {
            "select" => t.get("lead.select_first").to_owned(),
            other => other.to_owned(),
        };
        return Some(Notice {
            text,
            failed: Vec::new(),
            problem: true,
        });
    }
    if let (Some(agent), Some(status)) = (&outcome.agent, &outcome.status) {
        let text = t
            .get("lead.status_set")
            .replace("{agent}", agent)
            .replace("{status}", status);
        return Some(Notice {
            text,
            failed: Vec::new(),
            problem: false,
        });
    }
    let action = outcome.done.as_deref()?;
    let text = t
        .get("lead.done")
        .replace("{action}", t.get(action_key(action)))
        .replace("{ok}", &outcome.ok.unwrap_or(0).to_string())
        .replace("{total}", &outcome.total.unwrap_or(0).to_string());
    let failed: Vec<String> = outcome
        .failed
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|reference| !reference.is_empty())
        .map(str::to_owned)
        .collect();
    Some(Notice {
        problem: !failed.is_empty(),
        text,
        failed,
    })
}

/// The router's explanation of every waiting item, when this node routes.
async fn explanations(router: &Router) -> Result<HashMap<WorkItemId, Explanation>, ApiError> {
    let Some(router) = router else {
        return Ok(HashMap::new());
    };
    Ok(router
        .waiting_explanations()
        .await?
        .into_iter()
        .filter_map(|(item, json)| Some((item, serde_json::from_value(json).ok()?)))
        .collect())
}

/// Reads what the history charts are drawn from: the last day's backlog samples, the SLA
/// outcomes of the items due in it and its assignments.
async fn board_history(state: &AppState) -> Result<BoardHistory, ApiError> {
    let to = state.clock.now();
    let from = to - chrono::Duration::hours(HISTORY_HOURS);
    let samples = state.store.backlog_samples(from).await?;
    let outcomes = state.store.sla_outcomes(from, to).await?;
    let spans = state.store.assignment_spans(from, to).await?;
    Ok(BoardHistory {
        from,
        to,
        samples,
        sla: SlaReport::build(from, to, &outcomes),
        activity: agent_activity(&spans, from, to),
    })
}

/// `GET /lead`.
pub(super) async fn page(
    _caller: Authed<LeadRole>,
    request: HttpRequest,
    outcome: web::Query<Outcome>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let (board, snapshot, breached) = board_now(&state).await?;
    let explanations = explanations(&router).await?;
    let chrome = Chrome::of(&request, &state, "lead").live("/lead/events");
    let listed = listed_items(&snapshot);
    let subjects: HashMap<WorkItemId, String> = state
        .store
        .routing_facts(&listed)
        .await?
        .into_iter()
        .filter_map(|facts| Some((facts.item, facts.subject?)))
        .collect();
    let inputs = BoardInputs {
        snapshot: &snapshot,
        breached: &breached,
        explanations: &explanations,
        subjects: &subjects,
    };
    let view = board_view(&board, &inputs, chrome.t);
    let sample_every = chrono::Duration::from_std(BACKLOG_SAMPLE_EVERY)
        .unwrap_or_else(|_| chrono::Duration::minutes(5));
    let history = history_charts(&board_history(&state).await?, sample_every, chrome.t);
    let agent_logins = view
        .agents
        .iter()
        .map(|agent| agent.login.clone())
        .collect();
    render(&LeadPage {
        notice: notice_of(&outcome, &chrome),
        chrome,
        queues: view.queues,
        agents: view.agents,
        waiting: view.waiting,
        waiting_total: view.waiting_total,
        charts: view.charts,
        backlog: history.backlog,
        history: history.bars,
        queue_names: view.queue_names,
        agent_logins,
        statuses: ["available", "away", "offline"],
        routing_here: router.is_some(),
    })
}

/// The rebalancing form: the items ticked and the action's fields.
#[derive(Debug, Default)]
struct RebalanceForm {
    action: String,
    body: LeadBody,
}

/// Reads the form; item ids come as repeated `items` fields.
fn rebalance_form(body: &[u8]) -> Result<RebalanceForm, CoreError> {
    let mut form = RebalanceForm::default();
    let filled = |value: &str| (!value.trim().is_empty()).then(|| value.trim().to_owned());
    for (name, value) in url::form_urlencoded::parse(body) {
        match name.as_ref() {
            "items" => form.body.items.push(
                value
                    .parse()
                    .map_err(|_| CoreError::BadInput(format!("{value:?} is not an item id")))?,
            ),
            "action" => form.action = value.into_owned(),
            "agent" => form.body.agent = filled(&value),
            "queue" => form.body.queue = filled(&value),
            "reason" => form.body.reason = filled(&value),
            "priority" => {
                form.body.priority = filled(&value)
                    .map(|priority| {
                        priority.parse().map_err(|_| {
                            CoreError::BadInput(format!("{priority:?} is not a priority"))
                        })
                    })
                    .transpose()?;
            }
            _ => {}
        }
    }
    Ok(form)
}

fn board_with(query: &[(&str, String)]) -> HttpResponse {
    let encoded: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    see_other(&format!("/lead?{encoded}"))
}

/// `POST /lead/items`: reassigns, moves or reprioritises the ticked items, each on its own;
/// back on the board it says how many changed and which did not.
pub(super) async fn rebalance(
    caller: Authed<LeadRole>,
    body: web::Bytes,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let form = match rebalance_form(&body) {
        Ok(form) => form,
        Err(problem) => return Ok(board_with(&[("problem", problem.to_string())])),
    };
    let kind = match form.action.as_str() {
        "reassign" => LeadKind::Reassign,
        "move" => LeadKind::Move,
        "priority" => LeadKind::Priority,
        other => {
            return Err(CoreError::BadInput(format!("unknown action {other:?}")).into());
        }
    };
    if form.body.items.is_empty() {
        return Ok(board_with(&[("problem", "select".to_owned())]));
    }
    let results = match apply_bulk(kind, &caller.identity, &form.body, &state, &router).await {
        Ok(results) => results,
        Err(refused) if refused.error.kind() == switchboard_core::ErrorKind::Internal => {
            return Err(refused);
        }
        Err(refused) => return Ok(board_with(&[("problem", refused.error.to_string())])),
    };
    let ok = results.iter().filter(|result| result.ok).count();
    let failed: Vec<String> = results
        .iter()
        .filter(|result| !result.ok)
        .map(|result| WorkItemId::new(result.item_id).reference())
        .collect();
    Ok(board_with(&[
        ("done", form.action),
        ("ok", ok.to_string()),
        ("total", results.len().to_string()),
        ("failed", failed.join(",")),
    ]))
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusForm {
    login: String,
    status: AgentStatus,
}

/// `POST /lead/agents/status`: sets an agent available, away or offline; away or offline
/// work returns to routing after the grace period.
pub(super) async fn agent_status(
    caller: Authed<LeadRole>,
    form: web::Form<StatusForm>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    set_status_of(&form.login, form.status, &caller.identity, &state, &router).await?;
    Ok(board_with(&[
        ("agent", form.login.clone()),
        ("status", form.status.to_string()),
    ]))
}

/// The board's figures that a lead watches change; ages, which change every second, are left
/// out.
#[derive(Debug, PartialEq)]
struct BoardFigures {
    queues: Vec<(Option<String>, &'static str, u32, u32, u32)>,
    agents: Vec<(String, &'static str, u32, Vec<i64>)>,
}

fn figures(board: &LeadBoard) -> BoardFigures {
    BoardFigures {
        queues: board
            .queues
            .iter()
            .map(|load| {
                let channel = load.channel.as_str();
                (
                    load.queue.clone(),
                    channel,
                    load.waiting,
                    load.sla_at_risk,
                    load.sla_breached,
                )
            })
            .collect(),
        agents: board
            .agents
            .iter()
            .map(|agent| {
                let current = agent.current.iter().map(|work| work.item.get()).collect();
                (
                    agent.login.to_string(),
                    agent.status.as_str(),
                    agent.load,
                    current,
                )
            })
            .collect(),
    }
}

/// `GET /lead/events`: `changed` when the board's figures change.
pub(super) async fn events(
    _caller: Authed<LeadRole>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (board, _, _) = board_now(&state).await?;
    Ok(change_stream(figures(&board), move || {
        let state = state.clone();
        async move {
            board_now(&state)
                .await
                .map(|(board, _, _)| figures(&board))
                .map_err(|error| error.error)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rebalance_form_reads_repeated_items_and_trims_fields() {
        let form =
            rebalance_form(b"items=3&items=5&action=move&queue=+inbound-en+&agent=&priority=")
                .unwrap();
        assert_eq!(form.body.items, vec![3, 5]);
        assert_eq!(form.action, "move");
        assert_eq!(form.body.queue.as_deref(), Some("inbound-en"));
        assert_eq!(form.body.agent, None);
        assert_eq!(form.body.priority, None);
        assert!(rebalance_form(b"items=x").is_err());
        assert!(rebalance_form(b"priority=high").is_err());
        assert_eq!(
            rebalance_form(b"priority=7").unwrap().body.priority,
            Some(7)
        );
    }
}
