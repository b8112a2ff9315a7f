//! Between the store's routing records and the pure policy's model: planning routes with the
//! active rule set, building the policy's snapshot, and turning decisions into fenced writes.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use switchboard_core::routing::{
    AgentRouting, FencedDecision, ItemRoutingFacts, Membership, QueueSettings, RoutePlacement,
    RoutingAction, RoutingSnapshot, WaitingItemRouting,
};
use switchboard_core::{QueueId, UserId, WorkItemId};
use switchboard_router::explain::Decision;
use switchboard_router::model::{
    Agent, FairnessCap, ItemRoute, PendingOffer, PolicyConfig, QueueConfig, RouteStep,
    RoutingState, Snapshot, WaitingItem,
};
use switchboard_router::rules::facts::{CustomerFacts, ItemFacts, OrderFacts};
use switchboard_router::rules::{RoutePlan, ValidRuleSet, plan};

/// The policy's queue settings of a stored queue.
pub fn queue_config(settings: &QueueSettings) -> QueueConfig {
    let seconds = |value: i32| u32::try_from(value).unwrap_or(0);
    QueueConfig {
        strategy: settings.strategy,
        offer_mode: settings.offer_mode,
        aging_per_minute: settings.aging_per_minute,
        offer_timeout_seconds: seconds(settings.offer_timeout_seconds),
        secondary_delay_seconds: seconds(settings.secondary_delay_seconds),
        preferred_agent_seconds: seconds(settings.preferred_agent_seconds),
        cooldown_seconds: seconds(settings.cooldown_seconds),
        ..QueueConfig::new(settings.id, settings.name.clone())
    }
}

/// The policy's agent of a stored agent; `all_queues` are the queues of an agent without any.
pub fn agent(routing: &AgentRouting, all_queues: &[QueueId], config: &PolicyConfig) -> Agent {
    let load_units = routing
        .open_work
        .iter()
        .map(|work| config.costs.cost(work.channel))
        .sum();
    let (primary_queues, secondary_queues) = if routing.queues.is_empty() {
        (all_queues.to_vec(), Vec::new())
    } else {
        let of = |kind: Membership| {
            routing
                .queues
                .iter()
                .filter(move |(_, membership)| *membership == kind)
                .map(|(queue, _)| *queue)
                .collect()
        };
        (of(Membership::Primary), of(Membership::Secondary))
    };
    let idle_since = routing
        .idle_since
        .or(routing.status_since)
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    Agent {
        status: routing.status,
        capacity_units: u32::try_from(routing.capacity).unwrap_or(0),
        load_units,
        primary_queues,
        secondary_queues,
        fairness: routing.fairness_max.map(|max| FairnessCap {
            max_assignments: u32::try_from(max).unwrap_or(0),
            window_minutes: u32::try_from(routing.fairness_window_minutes).unwrap_or(60),
        }),
        assignments_in_window: u32::try_from(routing.assignments_in_window).unwrap_or(0),
        missed_offers: u32::try_from(routing.missed_offers).unwrap_or(0),
        ..Agent::new(routing.user, routing.skills.clone(), idle_since)
    }
}

/// The route of a waiting item: its stored plan (queue names resolved, unknown widened queues
/// left out), or one step from its columns when it has none. `None` without a home queue.
pub fn item_route(
    item: &WaitingItemRouting,
    queue_ids: &HashMap<&str, QueueId>,
) -> Option<ItemRoute> {
    let home = item.queue?;
    let stored: Option<RoutePlan> = item
        .route
        .as_ref()
        .and_then(|route| serde_json::from_value(route.clone()).ok());
    let Some(plan) = stored else {
        return Some(ItemRoute::simple(
            home,
            item.priority,
            item.required_skills.clone(),
        ));
    };
    let steps = plan
        .steps
        .iter()
        .map(|step| RouteStep {
            after_minutes: step.after_minutes,
            required: step.required.clone(),
            extra_queues: step
                .extra_queues
                .iter()
                .filter_map(|name| queue_ids.get(name.as_str()).copied())
                .collect(),
        })
        .collect();
    Some(ItemRoute {
        rule: plan.rule,
        queue: home,
        priority: item.priority,
        steps,
    })
}

/// The policy's waiting item; `None` when it has no queue.
pub fn waiting_item(
    item: &WaitingItemRouting,
    queue_ids: &HashMap<&str, QueueId>,
) -> Option<WaitingItem> {
    Some(WaitingItem {
        id: item.item,
        channel: item.channel,
        arrived_at: item.received_at,
        sla: item.sla,
        route: item_route(item, queue_ids)?,
        preferred_agent: item.preferred_agent,
        state: RoutingState {
            declined_by: item.declined_by.clone(),
            offer: item.offer.map(|offer| PendingOffer {
                agent: offer.agent,
                expires_at: offer.expires_at,
            }),
            cooldown_until: item.cooldown_until,
        },
    })
}

/// Queue ids by name.
pub fn queue_ids(queues: &[QueueSettings]) -> HashMap<&str, QueueId> {
    queues
        .iter()
        .map(|queue| (queue.name.as_str(), queue.id))
        .collect()
}

/// The policy's snapshot of stored queues and agents, with the policy's waiting `items`.
pub fn policy_snapshot_with(
    queues: &[QueueSettings],
    agents: &[AgentRouting],
    items: Vec<WaitingItem>,
    config: &PolicyConfig,
) -> Snapshot {
    Snapshot {
        queues: queues.iter().map(queue_config).collect(),
        agents: policy_agents(queues, agents, config),
        items,
        config: config.clone(),
    }
}

/// The policy's view of stored agents.
pub fn policy_agents(
    queues: &[QueueSettings],
    agents: &[AgentRouting],
    config: &PolicyConfig,
) -> Vec<Agent> {
    let all_queues: Vec<QueueId> = queues.iter().map(|queue| queue.id).collect();
    agents
        .iter()
        .map(|routing| agent(routing, &all_queues, config))
        .collect()
}

/// The policy's snapshot of a stored one.
pub fn policy_snapshot(stored: &RoutingSnapshot, config: &PolicyConfig) -> Snapshot {
    let queue_ids = queue_ids(&stored.queues);
    let items = stored
        .items
        .iter()
        .filter_map(|item| waiting_item(item, &queue_ids))
        .collect();
    policy_snapshot_with(&stored.queues, &stored.agents, items, config)
}

/// The rules' view of an item.
pub fn item_facts(facts: &ItemRoutingFacts) -> ItemFacts {
    let mut item = ItemFacts::new(facts.channel, facts.received_at);
    item.language = facts.language;
    item.noise = facts.noise;
    item.intent = facts.intent;
    item.subject = facts.subject.clone();
    item.sender_email = facts.sender_email.clone();
    item.product_lines = facts.product_lines.clone();
    item.customer = facts.customer.as_ref().map(|customer| CustomerFacts {
        number: customer.number.clone(),
        segment: customer.segment.clone(),
        language: customer.language.clone(),
        country: customer.country.clone(),
        account_manager: customer.account_manager.clone(),
    });
    item.orders = facts
        .orders
        .iter()
        .map(|(number, status)| OrderFacts {
            number: number.clone(),
            status: status.clone(),
        })
        .collect();
    item
}

/// Plans an item's route with `rules`.
pub fn route_plan(rules: &ValidRuleSet, facts: &ItemRoutingFacts) -> RoutePlan {
    plan(rules, &item_facts(facts), facts.received_at)
}

/// The placement to store for a planned route.
pub fn placement(
    facts: &ItemRoutingFacts,
    plan: &RoutePlan,
    rule_set_version: i64,
) -> RoutePlacement {
    RoutePlacement {
        item: facts.item,
        expected_version: facts.version,
        queue: plan.queue.clone(),
        priority: plan.priority,
        required_skills: plan.first_required(),
        route: serde_json::to_value(plan).unwrap_or(serde_json::Value::Null),
        rule_set_version,
    }
}

/// Puts saved routes into the items they were planned on, as the store wrote them (queue,
/// priority, first-step skills, route, rule-set version, version bumped); routes not saved
/// (the item moved on meanwhile) leave their items as read, so decisions on them are fenced.
/// Looks up only the planned items (a round plans the new arrivals, not the backlog). Returns
/// the items changed.
pub fn apply_routes(
    queues: &[QueueSettings],
    items: &mut BTreeMap<WorkItemId, WaitingItemRouting>,
    placements: &[RoutePlacement],
    saved: &[bool],
) -> Vec<WorkItemId> {
    let queue_ids = queue_ids(queues);
    let mut changed = Vec::with_capacity(placements.len());
    for (placement, _) in placements.iter().zip(saved).filter(|(_, saved)| **saved) {
        let Some(item) = items.get_mut(&placement.item) else {
            continue;
        };
        changed.push(item.item);
        item.queue = queue_ids.get(placement.queue.as_str()).copied();
        item.priority = placement.priority;
        item.required_skills.clone_from(&placement.required_skills);
        item.route = Some(placement.route.clone());
        item.rule_set_version = Some(placement.rule_set_version);
        item.version += 1;
    }
    changed
}

/// Turns decisions into fenced writes; several decisions on one item expect the versions the
/// earlier ones leave. Returns the writes and the agents to mark not responding.
pub fn fenced(
    decisions: Vec<Decision>,
    version_of: impl Fn(WorkItemId) -> Option<i64>,
) -> (Vec<FencedDecision>, Vec<(UserId, u32)>) {
    let mut next_version: HashMap<WorkItemId, i64> = HashMap::new();
    let mut writes = Vec::new();
    let mut not_responding = Vec::new();
    for decision in decisions {
        let explain = |explanation: &switchboard_router::Explanation| {
            serde_json::to_value(explanation).unwrap_or(serde_json::Value::Null)
        };
        let (item, action) = match decision {
            Decision::Assign {
                item,
                agent,
                explanation,
            } => (
                item,
                RoutingAction::Assign {
                    agent,
                    explanation: explain(&explanation),
                },
            ),
            Decision::Offer {
                item,
                agent,
                expires_at,
                explanation,
            } => (
                item,
                RoutingAction::Offer {
                    agent,
                    expires_at,
                    explanation: explain(&explanation),
                },
            ),
            Decision::OfferExpired { item, agent } => (item, RoutingAction::OfferExpired { agent }),
            Decision::CoolDown {
                item,
                until,
                explanation,
            } => (
                item,
                RoutingAction::CoolDown {
                    until,
                    explanation: explain(&explanation),
                },
            ),
            Decision::MarkNotResponding {
                agent,
                missed_offers,
            } => {
                not_responding.push((agent, missed_offers));
                continue;
            }
            Decision::Wait { .. } => continue,
        };
        let Some(stored) = version_of(item) else {
            continue;
        };
        let expected = next_version.entry(item).or_insert(stored);
        writes.push(FencedDecision {
            item,
            expected_version: *expected,
            action,
        });
        *expected += 1;
    }
    (writes, not_responding)
}

/// Moments the decisions themselves set: offers time out, cool-downs end.
pub fn decision_moments(decisions: &[Decision]) -> impl Iterator<Item = DateTime<Utc>> + '_ {
    decisions.iter().filter_map(|decision| match decision {
        Decision::Offer { expires_at, .. } => Some(*expires_at),
        Decision::CoolDown { until, .. } => Some(*until),
        _ => None,
    })
}

/// The next moment an absent agent's grace period ends (their work returns to routing).
pub fn next_due_of_agents(
    agents: &[AgentRouting],
    now: DateTime<Utc>,
    grace: Duration,
) -> Option<DateTime<Utc>> {
    agents
        .iter()
        .filter(|agent| {
            agent.status != switchboard_core::user::AgentStatus::Available
                && !agent.open_work.is_empty()
        })
        .filter_map(|agent| agent.status_since.map(|since| since + grace))
        .filter(|moment| *moment > now)
        .min()
}

#[cfg(test)]
mod tests {
    use switchboard_core::item::{Channel, ItemStatus};
    use switchboard_core::queue::{OfferMode, QueueStrategy};
    use switchboard_core::skill::SkillRequirement;

    use super::*;

    fn waiting(id: i64) -> WaitingItemRouting {
        WaitingItemRouting {
            item: WorkItemId::new(id),
            version: 3,
            status: ItemStatus::Queued,
            channel: Channel::Email,
            received_at: DateTime::<Utc>::UNIX_EPOCH,
            sla: None,
            queue: None,
            priority: 0,
            required_skills: Vec::new(),
            route: None,
            rule_set_version: None,
            route_locked: false,
            preferred_agent: None,
            declined_by: Vec::new(),
            offer: None,
            cooldown_until: None,
        }
    }

    fn placement(id: i64, queue: &str) -> RoutePlacement {
        RoutePlacement {
            item: WorkItemId::new(id),
            expected_version: 3,
            queue: queue.into(),
            priority: 40,
            required_skills: vec![SkillRequirement::new("complaint", 3)],
            route: serde_json::json!({"queue": queue}),
            rule_set_version: 7,
        }
    }

    #[test]
    fn saved_routes_enter_the_snapshot_as_the_store_wrote_them() {
        let snapshot = RoutingSnapshot {
            queues: vec![QueueSettings {
                id: QueueId::new(5),
                name: "complaints".into(),
                strategy: QueueStrategy::LongestIdle,
                offer_mode: OfferMode::AutoAssign,
                aging_per_minute: 0.0,
                offer_timeout_seconds: 120,
                secondary_delay_seconds: 0,
                preferred_agent_seconds: 0,
                cooldown_seconds: 0,
            }],
            agents: Vec::new(),
            items: vec![waiting(1), waiting(2)],
        };
        let placements = [placement(1, "complaints"), placement(2, "complaints")];
        let mut items: BTreeMap<WorkItemId, WaitingItemRouting> = snapshot
            .items
            .into_iter()
            .map(|item| (item.item, item))
            .collect();
        let changed = apply_routes(&snapshot.queues, &mut items, &placements, &[true, false]);
        assert_eq!(changed, vec![WorkItemId::new(1)]);
        let saved = &items[&WorkItemId::new(1)];
        assert_eq!(saved.queue, Some(QueueId::new(5)));
        assert_eq!((saved.priority, saved.version), (40, 4));
        assert_eq!(saved.required_skills, placements[0].required_skills);
        assert_eq!(saved.route, Some(placements[0].route.clone()));
        assert_eq!(saved.rule_set_version, Some(7));
        // Not saved (the item moved on): left as read, so a decision on it is fenced.
        assert_eq!(items[&WorkItemId::new(2)], waiting(2));
    }
}
