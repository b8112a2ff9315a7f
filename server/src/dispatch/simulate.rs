//! `rules simulate`: replays past items against a rule set and the current agents with the pure
//! policy, in simulated time, and reports per queue the waiting time, assignments per agent,
//! the items no agent could take (with why) and the items whose queue would change. It reads
//! the database and never writes to it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use switchboard_core::queue::OfferMode;
use switchboard_core::routing::{QueueSettings, SimulationRequest};
use switchboard_core::store::Store;
use switchboard_core::user::AgentStatus;
use switchboard_core::{CoreError, QueueId, UserId, WorkItemId};
use switchboard_router::explain::{Decision, Explanation, Outcome};
use switchboard_router::model::{ItemRoute, PolicyConfig, QueueConfig, RouteStep, Snapshot};
use switchboard_router::model::{RoutingState, WaitingItem};
use switchboard_router::policy;
use switchboard_router::rules::{RuleSet, default_rule_set, validate};

use super::model;

/// Items replayed at most.
pub const MAX_ITEMS: u32 = 50_000;

/// Minutes an agent is assumed to work on an item before the capacity is free again.
pub const HANDLE_MINUTES: i64 = 10;

/// One simulated assignment.
#[derive(Debug, Clone, Serialize)]
pub struct SimulatedAssignment {
    /// The item.
    pub item_id: i64,
    /// Its queue under the simulated rules.
    pub queue: String,
    /// The agent's login.
    pub agent: String,
    /// Seconds from arrival to assignment.
    pub wait_seconds: i64,
}

/// An item no agent could take.
#[derive(Debug, Clone, Serialize)]
pub struct Unassigned {
    /// The item.
    pub item_id: i64,
    /// Its queue under the simulated rules.
    pub queue: String,
    /// Why, in words.
    pub reason: String,
}

/// Figures of one queue.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueFigures {
    /// Items routed to it.
    pub items: usize,
    /// Items assigned.
    pub assigned: usize,
    /// Items no agent took.
    pub unassigned: usize,
    /// Mean wait of assigned items.
    pub avg_wait_seconds: f64,
    /// 90th percentile wait.
    pub p90_wait_seconds: i64,
    /// Longest wait.
    pub max_wait_seconds: i64,
    /// Items that would come here from another queue.
    pub moved_in: usize,
}

/// An item whose queue would change.
#[derive(Debug, Clone, Serialize)]
pub struct QueueChange {
    /// The item.
    pub item_id: i64,
    /// Its queue now.
    pub from: Option<String>,
    /// Its queue under the simulated rules.
    pub to: String,
}

/// The simulation's report; `--format json` prints it as one object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SimulationReport {
    /// Assignments in simulated order.
    pub assignments: Vec<SimulatedAssignment>,
    /// Items left waiting.
    pub unassigned: Vec<Unassigned>,
    /// Per-queue figures by queue name.
    pub queues: BTreeMap<String, QueueFigures>,
    /// Assignments per agent login.
    pub agents: BTreeMap<String, usize>,
    /// Items whose queue would change.
    pub queue_changes: Vec<QueueChange>,
    /// Items replayed.
    pub items: usize,
}

impl SimulationReport {
    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

struct Replayed {
    item: WaitingItem,
    queue: String,
}

/// Replays items received since `request.since` against `request.rules` (the active set when
/// `None`, the built-in default when none is active).
pub async fn run(
    store: &dyn Store,
    request: &SimulationRequest,
    config: &PolicyConfig,
) -> Result<SimulationReport, CoreError> {
    let document: RuleSet = match &request.rules {
        Some(document) => serde_json::from_value(document.clone())
            .map_err(|error| CoreError::BadInput(format!("rule set: {error}")))?,
        None => match store.active_rule_set().await? {
            Some(active) => serde_json::from_value(active.document)
                .map_err(|error| CoreError::Internal(format!("stored rule set: {error}")))?,
            None => default_rule_set(),
        },
    };
    let rules = validate(&document).map_err(|errors| {
        let described: Vec<String> = errors.iter().map(ToString::to_string).collect();
        CoreError::BadInput(format!("invalid rule set: {}", described.join("; ")))
    })?;
    let now = Utc::now();
    let since = request.since.unwrap_or(now - Duration::days(7));
    let facts = store.routing_facts_since(since, MAX_ITEMS).await?;
    let stored = store.routing_snapshot(now).await?;
    let mut queues: Vec<QueueSettings> = stored.queues.clone();
    let mut report = SimulationReport {
        items: facts.len(),
        ..SimulationReport::default()
    };
    let mut replayed = Vec::with_capacity(facts.len());
    for facts in &facts {
        let plan = model::route_plan(&rules, facts);
        for name in
            std::iter::once(&plan.queue).chain(plan.steps.iter().flat_map(|s| &s.extra_queues))
        {
            if !queues.iter().any(|queue| &queue.name == name) {
                let id = QueueId::new(queues.iter().map(|q| q.id.get()).max().unwrap_or(0) + 1);
                queues.push(new_queue(id, name));
            }
        }
        let queue_id = |name: &str| queues.iter().find(|queue| queue.name == name).map(|q| q.id);
        let Some(home) = queue_id(&plan.queue) else {
            continue;
        };
        if facts.queue_name.as_deref() != Some(plan.queue.as_str()) {
            report.queue_changes.push(QueueChange {
                item_id: facts.item.get(),
                from: facts.queue_name.clone(),
                to: plan.queue.clone(),
            });
            report
                .queues
                .entry(plan.queue.clone())
                .or_default()
                .moved_in += 1;
        }
        let steps = plan
            .steps
            .iter()
            .map(|step| RouteStep {
                after_minutes: step.after_minutes,
                required: step.required.clone(),
                extra_queues: step
                    .extra_queues
                    .iter()
                    .filter_map(|n| queue_id(n))
                    .collect(),
            })
            .collect();
        replayed.push(Replayed {
            item: WaitingItem {
                id: facts.item,
                channel: facts.channel,
                arrived_at: facts.received_at,
                sla: None,
                route: ItemRoute {
                    rule: plan.rule.clone(),
                    queue: home,
                    priority: plan.priority,
                    steps,
                },
                preferred_agent: None,
                state: RoutingState::default(),
            },
            queue: plan.queue.clone(),
        });
    }
    let all_queues: Vec<QueueId> = queues.iter().map(|queue| queue.id).collect();
    let mut agents: Vec<_> = stored
        .agents
        .iter()
        .map(|routing| {
            let mut agent = model::agent(routing, &all_queues, config);
            if !request.live_status {
                agent.status = AgentStatus::Available;
                agent.load_units = 0;
                agent.idle_since = since;
            }
            agent
        })
        .collect();
    let logins: HashMap<UserId, String> = stored
        .agents
        .iter()
        .map(|agent| (agent.user, agent.login.to_string()))
        .collect();
    let queue_configs: Vec<QueueConfig> = queues
        .iter()
        .map(|queue| QueueConfig {
            offer_mode: OfferMode::AutoAssign,
            ..model::queue_config(queue)
        })
        .collect();
    let outcome = replay(&replayed, &mut agents, &queue_configs, config);
    let queue_of: HashMap<WorkItemId, &str> = replayed
        .iter()
        .map(|entry| (entry.item.id, entry.queue.as_str()))
        .collect();
    let mut waits: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for (item, agent, wait) in outcome.assigned {
        let queue = queue_of.get(&item).copied().unwrap_or_default().to_owned();
        let login = logins
            .get(&agent)
            .cloned()
            .unwrap_or_else(|| agent.to_string());
        *report.agents.entry(login.clone()).or_default() += 1;
        waits.entry(queue.clone()).or_default().push(wait);
        report.assignments.push(SimulatedAssignment {
            item_id: item.get(),
            queue,
            agent: login,
            wait_seconds: wait,
        });
    }
    for (item, reason) in outcome.waiting {
        let queue = queue_of.get(&item).copied().unwrap_or_default().to_owned();
        report.queues.entry(queue.clone()).or_default().unassigned += 1;
        report.unassigned.push(Unassigned {
            item_id: item.get(),
            queue,
            reason,
        });
    }
    for (queue, mut waits) in waits {
        waits.sort_unstable();
        let figures = report.queues.entry(queue).or_default();
        figures.assigned = waits.len();
        figures.max_wait_seconds = waits.last().copied().unwrap_or(0);
        let p90 = (waits.len() * 9).div_ceil(10).saturating_sub(1);
        figures.p90_wait_seconds = waits.get(p90).copied().unwrap_or(0);
        let total: i64 = waits.iter().sum();
        figures.avg_wait_seconds = total as f64 / waits.len().max(1) as f64;
    }
    for figures in report.queues.values_mut() {
        figures.items = figures.assigned + figures.unassigned;
    }
    Ok(report)
}

fn new_queue(id: QueueId, name: &str) -> QueueSettings {
    let defaults = QueueConfig::new(id, name);
    let seconds = |value: u32| i32::try_from(value).unwrap_or(i32::MAX);
    QueueSettings {
        id,
        name: name.to_owned(),
        strategy: defaults.strategy,
        offer_mode: defaults.offer_mode,
        aging_per_minute: 0.1,
        offer_timeout_seconds: seconds(defaults.offer_timeout_seconds),
        secondary_delay_seconds: seconds(defaults.secondary_delay_seconds),
        preferred_agent_seconds: seconds(defaults.preferred_agent_seconds),
        cooldown_seconds: seconds(defaults.cooldown_seconds),
    }
}

struct ReplayOutcome {
    /// (item, agent, wait seconds).
    assigned: Vec<(WorkItemId, UserId, i64)>,
    /// (item, reason) of items still waiting at the end.
    waiting: Vec<(WorkItemId, String)>,
}

/// Runs the policy at every moment something changes: an arrival, an agent finishing an item,
/// a relaxation step starting.
fn replay(
    items: &[Replayed],
    agents: &mut [switchboard_router::Agent],
    queues: &[QueueConfig],
    config: &PolicyConfig,
) -> ReplayOutcome {
    let handle = Duration::minutes(HANDLE_MINUTES);
    let mut releases: BinaryHeap<Reverse<(DateTime<Utc>, usize, u32)>> = BinaryHeap::new();
    let mut waiting: Vec<WaitingItem> = Vec::new();
    let mut reasons: HashMap<WorkItemId, String> = HashMap::new();
    let mut assigned = Vec::new();
    let mut next_arrival = 0;
    let position: HashMap<UserId, usize> = agents
        .iter()
        .enumerate()
        .map(|(index, agent)| (agent.id, index))
        .collect();
    let Some(first) = items.first() else {
        return ReplayOutcome {
            assigned,
            waiting: Vec::new(),
        };
    };
    let mut now = first.item.arrived_at;
    loop {
        while let Some(Reverse((at, agent, cost))) = releases.peek().copied() {
            if at > now {
                break;
            }
            releases.pop();
            agents[agent].load_units = agents[agent].load_units.saturating_sub(cost);
        }
        while let Some(entry) = items.get(next_arrival).filter(|e| e.item.arrived_at <= now) {
            waiting.push(entry.item.clone());
            next_arrival += 1;
        }
        let snapshot = Snapshot {
            queues: queues.to_vec(),
            agents: agents.to_vec(),
            items: std::mem::take(&mut waiting),
            config: config.clone(),
        };
        let mut taken: HashMap<WorkItemId, UserId> = HashMap::new();
        for decision in policy::assign(&snapshot, now) {
            match decision {
                Decision::Assign { item, agent, .. } | Decision::Offer { item, agent, .. } => {
                    taken.insert(item, agent);
                }
                Decision::Wait { item, explanation }
                | Decision::CoolDown {
                    item, explanation, ..
                } => {
                    reasons.insert(item, reason(&explanation));
                }
                _ => {}
            }
        }
        for item in snapshot.items {
            let Some(agent) = taken.get(&item.id).copied() else {
                waiting.push(item);
                continue;
            };
            let Some(&row) = position.get(&agent) else {
                continue;
            };
            let cost = config.costs.cost(item.channel);
            agents[row].load_units += cost;
            agents[row].idle_since = now;
            releases.push(Reverse((now + handle, row, cost)));
            assigned.push((item.id, agent, (now - item.arrived_at).num_seconds()));
            reasons.remove(&item.id);
        }
        let next_step = waiting
            .iter()
            .flat_map(|item| {
                item.route
                    .steps
                    .iter()
                    .map(|step| item.arrived_at + Duration::minutes(i64::from(step.after_minutes)))
            })
            .filter(|at| *at > now)
            .min();
        let candidates = [
            items.get(next_arrival).map(|entry| entry.item.arrived_at),
            releases
                .peek()
                .map(|Reverse((at, ..))| *at)
                .filter(|_| !waiting.is_empty()),
            next_step,
        ];
        match candidates.into_iter().flatten().min() {
            Some(next) => now = next.max(now),
            None => break,
        }
    }
    let waiting = waiting
        .into_iter()
        .map(|item| {
            let why = reasons
                .remove(&item.id)
                .unwrap_or_else(|| "no eligible agent".to_owned());
            (item.id, why)
        })
        .collect();
    ReplayOutcome { assigned, waiting }
}

/// An explanation's outcome in words.
fn reason(explanation: &Explanation) -> String {
    let required: Vec<String> = explanation
        .required_skills
        .iter()
        .map(ToString::to_string)
        .collect();
    let counts: Vec<String> = explanation
        .excluded_counts
        .iter()
        .map(|count| {
            let reason = serde_json::to_value(count.reason)
                .ok()
                .and_then(|value| value.as_str().map(str::to_owned))
                .unwrap_or_default();
            format!("{reason} {}", count.count)
        })
        .collect();
    match &explanation.outcome {
        Outcome::NoEligibleAgent => format!(
            "no eligible agent for [{}] (excluded: {})",
            required.join(", "),
            counts.join(", ")
        ),
        Outcome::UnknownQueue => "the queue is unknown".to_owned(),
        other => serde_json::to_value(other)
            .ok()
            .and_then(|value| {
                value
                    .get("outcome")
                    .and_then(|o| o.as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "waiting".to_owned()),
    }
}
