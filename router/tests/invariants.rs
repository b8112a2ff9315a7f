#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use common::*;
use proptest::prelude::*;
use switchboard_core::item::Channel;
use switchboard_core::skill::SkillRequirement;
use switchboard_core::sla::SlaClock;
use switchboard_core::user::AgentStatus;
use switchboard_core::{QueueId, UserId, WorkItemId};
use switchboard_router::QueueConfig;
use switchboard_router::explain::Decision;
use switchboard_router::model::{Agent, FairnessCap, RouteStep, Snapshot, WaitingItem};
use switchboard_router::policy::{RoutingIndex, assign};

const SKILLS: [&str; 4] = ["language:nl", "language:de", "product:nails", "complaint"];
const Q2: QueueId = QueueId::new(2);

fn arb_agent(id: i64) -> impl Strategy<Value = Agent> {
    (
        prop::collection::vec((0..4usize, 1..=5u8), 0..4),
        prop::sample::select(vec![
            AgentStatus::Available,
            AgentStatus::Available,
            AgentStatus::Away,
            AgentStatus::Offline,
        ]),
        prop::sample::select(vec![0u32, 20, 40, 60, 100]),
        0..=100u32,
        0..60i64,
        (0..3u8, 0..3u8),
        prop::option::of((1..4u32, 0..4u32)),
    )
        .prop_map(
            move |(skill_list, status, capacity, load, idle, (q1, q2), cap)| {
                let named: Vec<(&str, u8)> =
                    skill_list.iter().map(|&(s, l)| (SKILLS[s], l)).collect();
                let mut agent = agent(id, &named, idle);
                agent.status = status;
                agent.capacity_units = capacity;
                agent.load_units = load.min(capacity);
                let membership = |role: u8, queue: QueueId, agent: &mut Agent| match role {
                    1 => agent.primary_queues.push(queue),
                    2 => agent.secondary_queues.push(queue),
                    _ => {}
                };
                agent.primary_queues.clear();
                membership(q1, Q, &mut agent);
                membership(q2, Q2, &mut agent);
                if let Some((max, used)) = cap {
                    agent.fairness = Some(FairnessCap {
                        max_assignments: max,
                        window_minutes: 60,
                    });
                    agent.assignments_in_window = used;
                }
                agent
            },
        )
}

fn arb_requirements() -> impl Strategy<Value = Vec<SkillRequirement>> {
    prop::collection::vec((0..4usize, 1..=5u8), 0..3).prop_map(|list| {
        let mut out: Vec<SkillRequirement> = Vec::new();
        for (s, l) in list {
            if !out.iter().any(|r| r.name == SKILLS[s]) {
                out.push(SkillRequirement::new(SKILLS[s], l));
            }
        }
        out
    })
}

fn arb_item(id: i64, agents: i64) -> impl Strategy<Value = WaitingItem> {
    (
        prop::sample::select(Channel::ALL.to_vec()),
        0..120i64,
        -5..30i32,
        arb_requirements(),
        prop::option::of((10..60u32, arb_requirements(), any::<bool>())),
        prop::option::of(1..=agents.max(1)),
        prop::collection::vec(1..=agents.max(1), 0..2),
        any::<bool>(),
    )
        .prop_map(
            move |(channel, arrived, priority, required, relax, preferred, declined, home2)| {
                let mut it = item(id, arrived, priority, &[]);
                it.channel = channel;
                it.route.steps[0].required = required;
                if home2 {
                    it.route.queue = Q2;
                }
                if let Some((after, required, widen)) = relax {
                    it.route.steps.push(RouteStep {
                        after_minutes: after,
                        required,
                        extra_queues: if widen { vec![Q, Q2] } else { vec![] },
                    });
                }
                it.preferred_agent = preferred.map(UserId::new);
                for agent in declined {
                    it.state.reject(UserId::new(agent));
                }
                it
            },
        )
}

fn arb_snapshot() -> impl Strategy<Value = (Snapshot, DateTime<Utc>)> {
    (1..8i64, 0..14i64, 0..3u32, 60..150i64).prop_flat_map(
        |(agent_count, item_count, delay, now)| {
            let agents: Vec<_> = (1..=agent_count).map(arb_agent).collect();
            let items: Vec<_> = (100..100 + item_count)
                .map(|id| arb_item(id, agent_count))
                .collect();
            (agents, items).prop_map(move |(agents, items)| {
                let mut snap = snapshot(agents, items);
                snap.queues[0].secondary_delay_seconds = delay * 600;
                snap.queues.push(QueueConfig::new(Q2, "second"));
                (snap, minutes(now))
            })
        },
    )
}

/// Independent statement of "agent may take item now", given the agent's current load and count.
fn feasible(
    snap: &Snapshot,
    item: &WaitingItem,
    agent: &Agent,
    load: u32,
    count: u32,
    now: DateTime<Utc>,
) -> bool {
    let waited = now - item.arrived_at;
    let step = item.route.step_index_at(waited.num_minutes().max(0));
    let current = &item.route.steps[step];
    let skilled = current.required.iter().all(|r| r.is_met_by(&agent.skills));
    let available =
        agent.status == AgentStatus::Available && !item.state.declined_by.contains(&agent.id);
    let home = snap
        .queues
        .iter()
        .find(|q| q.id == item.route.queue)
        .unwrap();
    // reservation: during the window, a preferred agent who could take it at all holds it
    if let Some(preferred) = item.preferred_agent
        && now < item.arrived_at + Duration::seconds(i64::from(home.preferred_agent_seconds))
        && let Some(p) = snap.agents.iter().find(|a| a.id == preferred)
        && p.status == AgentStatus::Available
        && !item.state.declined_by.contains(&preferred)
        && current.required.iter().all(|r| r.is_met_by(&p.skills))
        && agent.id != preferred
    {
        return false;
    }
    let reserved_here = item.preferred_agent == Some(agent.id)
        && now < item.arrived_at + Duration::seconds(i64::from(home.preferred_agent_seconds));
    let member = reserved_here
        || std::iter::once(&item.route.queue)
            .chain(&current.extra_queues)
            .any(|q| {
                let queue = snap.queues.iter().find(|c| c.id == *q).unwrap();
                agent.primary_queues.contains(q)
                    || (agent.secondary_queues.contains(q)
                        && waited.num_seconds().max(0) >= i64::from(queue.secondary_delay_seconds))
            });
    let cost = snap.config.costs.cost(item.channel);
    let room = agent.capacity_units.saturating_sub(load) >= cost;
    let fair = agent.fairness.is_none_or(|cap| count < cap.max_assignments);
    skilled && available && member && room && fair
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn assignments_are_valid_maximal_and_deterministic((snap, now) in arb_snapshot()) {
        let decisions = assign(&snap, now);
        prop_assert_eq!(&decisions, &assign(&snap, now));

        let mut load: HashMap<UserId, u32> = snap.agents.iter().map(|a| (a.id, a.load_units)).collect();
        let mut count: HashMap<UserId, u32> = snap.agents.iter().map(|a| (a.id, a.assignments_in_window)).collect();
        let mut decided: HashMap<WorkItemId, usize> = HashMap::new();
        for decision in &decisions {
            if let Some(item) = decision.item() {
                *decided.entry(item).or_default() += 1;
            }
            let (Some(item_id), Some(agent_id)) = (decision.item(), decision.taken_by()) else { continue };
            let item = snap.items.iter().find(|i| i.id == item_id).unwrap();
            let agent = snap.agents.iter().find(|a| a.id == agent_id).unwrap();
            prop_assert!(
                feasible(&snap, item, agent, load[&agent_id], count[&agent_id], now),
                "infeasible assignment {:?}", decision
            );
            *load.get_mut(&agent_id).unwrap() += snap.config.costs.cost(item.channel);
            *count.get_mut(&agent_id).unwrap() += 1;
        }
        for item in &snap.items {
            prop_assert_eq!(decided.get(&item.id).copied(), Some(1), "item {} needs exactly one decision", item.id);
        }
        for decision in &decisions {
            if let Decision::Wait { item, .. } | Decision::CoolDown { item, .. } = decision {
                let item = snap.items.iter().find(|i| i.id == *item).unwrap();
                for agent in &snap.agents {
                    prop_assert!(
                        !feasible(&snap, item, agent, load[&agent.id], count[&agent.id], now),
                        "item {} left waiting though agent {} could take it", item.id, agent.id
                    );
                }
            }
        }
        serde_json::to_string(&decisions).unwrap();
    }
}

/// A decision without its explanation, for comparing the index with `assign`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Handout {
    Assign(i64, i64, bool),
    Offer(i64, i64, i64),
}

/// Splits decisions into handouts (in order), notices (sorted) and items left over (sorted).
fn summarise(decisions: &[Decision]) -> (Vec<Handout>, Vec<String>, Vec<i64>) {
    let mut handouts = Vec::new();
    let mut notices = Vec::new();
    let mut left = Vec::new();
    for decision in decisions {
        match decision {
            Decision::Assign {
                item,
                agent,
                explanation,
            } => handouts.push(Handout::Assign(
                item.get(),
                agent.get(),
                matches!(
                    explanation.outcome,
                    switchboard_router::explain::Outcome::PreferredAgent { .. }
                ),
            )),
            Decision::Offer {
                item,
                agent,
                expires_at,
                ..
            } => handouts.push(Handout::Offer(
                item.get(),
                agent.get(),
                expires_at.timestamp(),
            )),
            Decision::OfferExpired { .. } | Decision::MarkNotResponding { .. } => {
                notices.push(serde_json::to_string(decision).unwrap())
            }
            Decision::CoolDown { item, .. } | Decision::Wait { item, .. } => left.push(item.get()),
        }
    }
    notices.sort();
    left.sort();
    (handouts, notices, left)
}

fn drain(index: &mut RoutingIndex, now: DateTime<Utc>) -> Vec<Decision> {
    let mut decisions = Vec::new();
    while let Some(decision) = index.next_decision(now) {
        decisions.push(decision);
    }
    let decided: Vec<WorkItemId> = decisions
        .iter()
        .filter(|d| matches!(d, Decision::Offer { .. } | Decision::CoolDown { .. }))
        .filter_map(Decision::item)
        .collect();
    decisions.extend(
        index
            .waiting()
            .into_iter()
            .filter(|wait| wait.item().is_some_and(|item| !decided.contains(&item))),
    );
    decisions
}

/// Per handout, in order: the scored agents (id, score bits) and how many agents were
/// excluded in all; both are the same however the candidates were found.
fn handout_explanations(decisions: &[Decision]) -> Vec<(Vec<(i64, u64)>, u32)> {
    decisions
        .iter()
        .filter(|decision| decision.taken_by().is_some())
        .filter_map(Decision::explanation)
        .map(|explanation| {
            let scored = explanation
                .scored
                .iter()
                .map(|scored| (scored.agent.get(), scored.score.to_bits()))
                .collect();
            let excluded = explanation
                .excluded_counts
                .iter()
                .map(|count| count.count)
                .sum();
            (scored, excluded)
        })
        .collect()
}

fn check_matches_assign(
    snap: &Snapshot,
    got: &[Decision],
    now: DateTime<Utc>,
) -> Result<(), TestCaseError> {
    let expected = assign(snap, now);
    let (want_handouts, want_notices, want_left) = summarise(&expected);
    let (got_handouts, got_notices, got_left) = summarise(got);
    prop_assert_eq!(got_handouts, want_handouts);
    prop_assert_eq!(got_notices, want_notices);
    prop_assert_eq!(got_left, want_left);
    prop_assert_eq!(handout_explanations(got), handout_explanations(&expected));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn index_decides_like_assign((snap, now) in arb_snapshot()) {
        let mut index = RoutingIndex::new(&snap, now);
        let got = drain(&mut index, now);
        check_matches_assign(&snap, &got, now)?;
    }

    #[test]
    fn index_after_events_decides_like_assign_on_the_new_state(
        (snap, now) in arb_snapshot(),
        withheld in prop::collection::vec(any::<bool>(), 14),
        away in prop::collection::vec(any::<bool>(), 8),
        relieved in prop::collection::vec(any::<bool>(), 8),
        later in 1..4i64,
        offer_mode in any::<bool>(),
        short_timeouts in any::<bool>(),
        aging in prop::sample::select(vec![0.0, 0.5, 3.0]),
        at_risk in prop::collection::vec(prop::option::of(0..5i64), 14),
    ) {
        let mut snap = snap;
        snap.queues[0].aging_per_minute = aging;
        // Some items turn at risk before, at or after the second phase's clock.
        for item in &mut snap.items {
            let minute = at_risk[(item.id.get() - 100) as usize % at_risk.len()];
            item.sla = minute.map(|minute| SlaClock {
                at_risk_at: now + Duration::minutes(minute),
                due_at: now + Duration::minutes(minute + 30),
            });
        }
        if offer_mode {
            snap.queues[1].offer_mode = switchboard_core::queue::OfferMode::Offer;
        }
        if short_timeouts {
            snap.queues[1].offer_timeout_seconds = 60;
            snap.config.not_responding_after = 1;
        }
        let mut first = snap.clone();
        first.items.retain(|item| !withheld[(item.id.get() - 100) as usize]);
        for (agent, &off) in first.agents.iter_mut().zip(&away) {
            if off && agent.status == AgentStatus::Available {
                agent.status = AgentStatus::Away;
            }
        }
        let mut index = RoutingIndex::new(&first, now);
        let phase_one = drain(&mut index, now);
        check_matches_assign(&first, &phase_one, now)?;

        let mut state = index.to_snapshot();
        for item in snap.items.iter().filter(|item| withheld[(item.id.get() - 100) as usize]) {
            index.on_item_queued(item.clone());
            state.items.push(item.clone());
        }
        for (position, agent) in state.agents.iter_mut().enumerate() {
            let original = &snap.agents[position];
            if away[position] && original.status == AgentStatus::Available && agent.status == AgentStatus::Away {
                index.on_agent_status_changed(agent.id, AgentStatus::Available);
                agent.status = AgentStatus::Available;
                agent.missed_offers = 0;
            }
            if relieved[position] {
                let load = agent.load_units / 2;
                index.on_agent_capacity_changed(agent.id, agent.capacity_units, load);
                agent.load_units = load;
            }
        }
        let now2 = now + Duration::minutes(later);
        let phase_two = drain(&mut index, now2);
        check_matches_assign(&state, &phase_two, now2)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A dispatcher that keeps its index between rounds hands it every agent as read again:
    /// statuses, capacities and loads changed, an agent gone or new. The index then decides
    /// as `assign` does on the new state.
    #[test]
    fn index_after_agents_read_again_decides_like_assign_on_them(
        (snap, now) in arb_snapshot(),
        statuses in prop::collection::vec(prop::sample::select(vec![
            AgentStatus::Available, AgentStatus::Away, AgentStatus::Offline,
        ]), 8),
        loads in prop::collection::vec(prop::option::of(0..=100u32), 8),
        gone in prop::option::of(0..8usize),
        newcomer in any::<bool>(),
        later in 0..4i64,
    ) {
        let mut index = RoutingIndex::new(&snap, now);
        let phase_one = drain(&mut index, now);
        check_matches_assign(&snap, &phase_one, now)?;

        let mut state = index.to_snapshot();
        for (position, agent) in state.agents.iter_mut().enumerate() {
            agent.status = statuses[position];
            if let Some(load) = loads[position] {
                agent.load_units = load.min(agent.capacity_units);
            }
        }
        if let Some(gone) = gone.filter(|&gone| gone < state.agents.len()) {
            state.agents.remove(gone);
        }
        if newcomer {
            state.agents.push(agent(50, &[("language:nl", 3), ("complaint", 2)], 1));
        }
        index.on_agents_read(&state.agents);
        let now2 = now + Duration::minutes(later);
        let phase_two = drain(&mut index, now2);
        check_matches_assign(&state, &phase_two, now2)?;
    }
}

#[test]
fn next_due_is_the_next_moment_an_item_changes_where_it_may_go() {
    // Nobody can take anything: the items only wait.
    let mut busy = agent(1, &[("language:nl", 3)], 0);
    busy.load_units = busy.capacity_units * 3;
    let mut offered = item(100, 0, 10, &[]);
    offered.state.offer = Some(switchboard_router::model::PendingOffer {
        agent: UserId::new(1),
        expires_at: minutes(90),
    });
    let mut relaxing = item(101, 10, 10, &["language:de"]);
    relaxing.route.steps.push(RouteStep {
        after_minutes: 30,
        required: Vec::new(),
        extra_queues: Vec::new(),
    });
    let mut snap = snapshot(vec![busy], vec![offered, relaxing]);
    snap.queues[0].aging_per_minute = 1.0;
    let now = minutes(20);
    let mut index = RoutingIndex::new(&snap, now);
    assert!(
        drain(&mut index, now)
            .iter()
            .all(|d| d.taken_by().is_none())
    );
    // The second item's step relaxes at minute 40, before the offer times out; priority
    // aging (every minute) is no reason to wake.
    assert_eq!(index.next_due(), Some(minutes(40)));
    let at_40 = drain(&mut index, minutes(40));
    assert!(at_40.iter().all(|d| d.taken_by().is_none()));
    assert_eq!(index.next_due(), Some(minutes(90)));
    let at_90 = drain(&mut index, minutes(90));
    assert!(
        at_90
            .iter()
            .any(|d| matches!(d, Decision::OfferExpired { item, .. } if item.get() == 100))
    );
    assert_eq!(index.next_due(), None, "nothing changes by itself any more");
}

#[test]
fn a_clock_within_the_millisecond_before_a_moment_waits_for_it() {
    // Clocks carry microseconds: a round in the same millisecond as an offer's expiry but
    // before it must neither expire the offer nor loop on its timer.
    let moment = minutes(30) + Duration::microseconds(700);
    let mut busy = agent(1, &[("language:nl", 3)], 0);
    busy.load_units = busy.capacity_units * 3;
    let mut offered = item(100, 0, 10, &[]);
    offered.state.offer = Some(switchboard_router::model::PendingOffer {
        agent: UserId::new(1),
        expires_at: moment,
    });
    let snap = snapshot(vec![busy], vec![offered]);
    let mut index = RoutingIndex::new(&snap, minutes(20));
    let just_before = moment - Duration::microseconds(500);
    assert_eq!(just_before.timestamp_millis(), moment.timestamp_millis());
    assert!(
        drain(&mut index, just_before)
            .iter()
            .all(|d| !matches!(d, Decision::OfferExpired { .. }))
    );
    assert!(index.next_due().is_some_and(|due| due >= moment));
    assert!(
        drain(&mut index, moment)
            .iter()
            .any(|d| matches!(d, Decision::OfferExpired { .. }))
    );
}
