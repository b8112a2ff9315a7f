#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Duration;
use common::*;
use switchboard_core::queue::{OfferMode, QueueStrategy};
use switchboard_core::sla::SlaClock;
use switchboard_core::user::AgentStatus;
use switchboard_core::{QueueId, UserId, WorkItemId};
use switchboard_router::explain::{Decision, Exclusion, ExclusionKind, Outcome};
use switchboard_router::model::{FairnessCap, PendingOffer, QueueConfig, RouteStep};
use switchboard_router::policy::{assign, next_item_for};

fn waits(decisions: &[Decision]) -> Vec<(i64, Outcome)> {
    decisions
        .iter()
        .filter_map(|d| match d {
            Decision::Wait { item, explanation } => Some((item.get(), explanation.outcome.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn longest_idle_wins_and_ties_go_to_lower_id() {
    let snap = snapshot(
        vec![agent(3, &[], 5), agent(2, &[], 0), agent(1, &[], 0)],
        vec![item(10, 0, 0, &[])],
    );
    let decisions = assign(&snap, minutes(10));
    assert_eq!(handed_out(&decisions), [(10, 1)]);
    let explanation = decisions[0].explanation().unwrap();
    let scored: Vec<i64> = explanation.scored.iter().map(|s| s.agent.get()).collect();
    assert_eq!(scored, [1, 2, 3]);
    assert_eq!(explanation.scored[0].score, 600.0);
}

#[test]
fn agent_who_just_got_an_item_goes_to_the_back() {
    let snap = snapshot(
        vec![agent(1, &[], 0), agent(2, &[], 1)],
        (10..14).map(|i| item(i, 0, 0, &[])).collect(),
    );
    assert_eq!(
        handed_out(&assign(&snap, minutes(5))),
        [(10, 1), (11, 2), (12, 1), (13, 2)]
    );
}

#[test]
fn least_loaded_and_most_skilled_strategies() {
    let mut snap = snapshot(
        vec![
            agent(1, &[("language:nl", 3)], 0),
            agent(2, &[("language:nl", 5)], 5),
            agent(3, &[("language:nl", 5)], 5),
        ],
        vec![item(10, 0, 0, &["language:nl"])],
    );
    snap.agents[0].load_units = 40;
    snap.agents[1].load_units = 20;
    snap.agents[2].load_units = 20;
    snap.queues[0].strategy = QueueStrategy::LeastLoaded;
    assert_eq!(handed_out(&assign(&snap, minutes(10))), [(10, 2)]);
    snap.agents[1].load_units = 60;
    assert_eq!(handed_out(&assign(&snap, minutes(10))), [(10, 3)]);
    snap.queues[0].strategy = QueueStrategy::MostSkilled;
    snap.agents[1].load_units = 0;
    assert_eq!(
        handed_out(&assign(&snap, minutes(10))),
        [(10, 2)],
        "tie on level 5 goes to the lower id"
    );
    snap.agents[1].skills[0].level = 4;
    assert_eq!(handed_out(&assign(&snap, minutes(10))), [(10, 3)]);
}

#[test]
fn skills_levels_and_capacity_exclude_with_reasons() {
    let snap = snapshot(
        vec![
            agent(1, &[("language:de", 2)], 0),
            agent(2, &[("language:nl", 4)], 0),
            agent(3, &[("language:de", 4)], 9),
        ],
        (10..16)
            .map(|i| item(i, i, 0, &["language:de>=3"]))
            .collect(),
    );
    let decisions = assign(&snap, minutes(30));
    assert_eq!(
        handed_out(&decisions),
        [(10, 3), (11, 3), (12, 3), (13, 3), (14, 3)]
    );
    let waiting = decisions
        .iter()
        .find(|d| matches!(d, Decision::Wait { .. }))
        .unwrap();
    let explanation = waiting.explanation().unwrap();
    assert_eq!(explanation.outcome, Outcome::NoEligibleAgent);
    let reasons: Vec<_> = explanation
        .excluded
        .iter()
        .map(|e| (e.agent.get(), e.reason))
        .collect();
    assert!(reasons.contains(&(
        1,
        Exclusion::MissingSkill {
            requirement: 0,
            level: 2
        }
    )));
    assert!(reasons.contains(&(
        2,
        Exclusion::MissingSkill {
            requirement: 0,
            level: 0
        }
    )));
    assert!(reasons.contains(&(
        3,
        Exclusion::Capacity {
            free: 0,
            needed: 20
        }
    )));
    let json = serde_json::to_string(waiting).unwrap();
    assert!(json.contains("\"missing_skill\""), "{json}");
}

#[test]
fn status_and_fairness_cap_are_respected() {
    let mut snap = snapshot(
        vec![agent(1, &[], 0), agent(2, &[], 0)],
        (10..13).map(|i| item(i, 0, 0, &[])).collect(),
    );
    snap.agents[0].status = AgentStatus::Away;
    snap.agents[1].fairness = Some(FairnessCap {
        max_assignments: 3,
        window_minutes: 60,
    });
    snap.agents[1].assignments_in_window = 1;
    let decisions = assign(&snap, minutes(1));
    assert_eq!(handed_out(&decisions), [(10, 2), (11, 2)]);
    let counts = &decisions
        .last()
        .unwrap()
        .explanation()
        .unwrap()
        .excluded_counts;
    assert!(
        counts
            .iter()
            .any(|c| c.reason == ExclusionKind::Status && c.count == 1)
    );
    assert!(
        counts
            .iter()
            .any(|c| c.reason == ExclusionKind::FairnessCap && c.count == 1)
    );
}

#[test]
fn items_at_risk_are_boosted_by_the_queue() {
    let mut snap = snapshot(
        vec![agent(1, &[], 0)],
        vec![item(10, 0, 20, &[]), item(11, 0, 40, &[])],
    );
    snap.agents[0].capacity_units = 20;
    snap.items[0].sla = Some(SlaClock {
        due_at: minutes(20),
        at_risk_at: minutes(15),
    });
    // Before the at-risk moment the higher base priority goes first; after it, 20 + 30 > 40.
    assert_eq!(handed_out(&assign(&snap, minutes(14))), [(11, 1)]);
    assert_eq!(handed_out(&assign(&snap, minutes(15))), [(10, 1)]);
    snap.queues[0].sla_at_risk_boost = 10.0;
    assert_eq!(handed_out(&assign(&snap, minutes(15))), [(11, 1)]);
}

#[test]
fn aging_then_sla_then_arrival_order_items() {
    let mut snap = snapshot(
        vec![agent(1, &[], 0)],
        vec![item(10, 0, 10, &[]), item(11, 5, 20, &[])],
    );
    snap.agents[0].capacity_units = 20;
    snap.queues[0].aging_per_minute = 3.0;
    // at minute 30: item 10 = 10 + 30*3 = 100, item 11 = 20 + 25*3 = 95
    assert_eq!(handed_out(&assign(&snap, minutes(30))), [(10, 1)]);
    snap.queues[0].aging_per_minute = 1.0;
    assert_eq!(handed_out(&assign(&snap, minutes(30))), [(11, 1)]);
    let mut snap = snapshot(
        vec![agent(1, &[], 0)],
        vec![
            item(10, 0, 10, &[]),
            item(11, 0, 10, &[]),
            item(12, 1, 10, &[]),
        ],
    );
    snap.agents[0].capacity_units = 20;
    snap.items[1].sla = Some(SlaClock {
        due_at: minutes(60),
        at_risk_at: minutes(45),
    });
    assert_eq!(handed_out(&assign(&snap, minutes(1))), [(11, 1)]);
    snap.items[1].sla = None;
    snap.items[2].arrived_at = minutes(0) - Duration::seconds(1);
    assert_eq!(handed_out(&assign(&snap, minutes(0))), [(12, 1)]);
}

#[test]
fn relaxation_opens_the_item_to_more_agents_over_time() {
    let mut waiting = item(10, 0, 0, &["language:nl", "product:nails"]);
    waiting.route.steps.push(RouteStep {
        after_minutes: 30,
        required: reqs(&["language:nl"]),
        extra_queues: vec![],
    });
    let snap = snapshot(vec![agent(1, &[("language:nl", 3)], 0)], vec![waiting]);
    let early = assign(&snap, minutes(29));
    assert_eq!(handed_out(&early), []);
    assert_eq!(early[0].explanation().unwrap().step, 0);
    let late = assign(&snap, minutes(30));
    assert_eq!(handed_out(&late), [(10, 1)]);
    assert_eq!(late[0].explanation().unwrap().step, 1);
}

#[test]
fn widening_adds_another_queues_agents() {
    let other = QueueId::new(2);
    let mut waiting = item(10, 0, 0, &[]);
    waiting.route.steps.push(RouteStep {
        after_minutes: 15,
        required: vec![],
        extra_queues: vec![other],
    });
    let mut helper = agent(5, &[], 0);
    helper.primary_queues = vec![other];
    let mut snap = snapshot(vec![helper], vec![waiting]);
    snap.queues.push(QueueConfig::new(other, "general"));
    let early = assign(&snap, minutes(14));
    assert_eq!(
        early[0].explanation().unwrap().excluded[0].reason,
        Exclusion::NotInQueue
    );
    assert_eq!(handed_out(&assign(&snap, minutes(15))), [(10, 5)]);
}

#[test]
fn secondary_agents_wait_for_the_queue_delay() {
    let mut helper = agent(5, &[], 0);
    helper.primary_queues = vec![];
    helper.secondary_queues = vec![Q];
    let mut snap = snapshot(vec![helper], vec![item(10, 0, 0, &[])]);
    snap.queues[0].secondary_delay_seconds = 120;
    let early = assign(&snap, minutes(1));
    assert_eq!(
        early[0].explanation().unwrap().excluded[0].reason,
        Exclusion::QueueDelay
    );
    assert_eq!(handed_out(&assign(&snap, minutes(2))), [(10, 5)]);
}

#[test]
fn preferred_agent_first_then_fallback_after_the_window() {
    let mut snap = snapshot(
        vec![agent(1, &[], 0), agent(2, &[], 30)],
        vec![item(10, 0, 0, &[])],
    );
    snap.items[0].preferred_agent = Some(UserId::new(2));
    let decisions = assign(&snap, minutes(1));
    assert_eq!(handed_out(&decisions), [(10, 2)]);
    assert_eq!(
        decisions[0].explanation().unwrap().outcome,
        Outcome::PreferredAgent {
            agent: UserId::new(2)
        }
    );

    snap.agents[1].load_units = 100; // busy: the item waits for them during the window
    let decisions = assign(&snap, minutes(4));
    assert_eq!(handed_out(&decisions), []);
    assert!(matches!(
        waits(&decisions)[0].1,
        Outcome::ReservedForPreferred { .. }
    ));
    assert_eq!(
        handed_out(&assign(&snap, minutes(5))),
        [(10, 1)],
        "window of 300 s is over"
    );

    snap.agents[1].load_units = 0;
    snap.agents[1].status = AgentStatus::Offline; // cannot take it at all: no reservation
    let decisions = assign(&snap, minutes(1));
    assert_eq!(handed_out(&decisions), [(10, 1)]);
    let note = decisions[0].explanation().unwrap().preferred.unwrap();
    assert_eq!(
        note.skipped_because,
        Some(Exclusion::Status {
            status: AgentStatus::Offline
        })
    );
}

fn offer_snapshot() -> switchboard_router::Snapshot {
    let mut snap = snapshot(
        vec![agent(1, &[], 0), agent(2, &[], 5)],
        vec![item(10, 0, 0, &[])],
    );
    snap.queues[0].offer_mode = OfferMode::Offer;
    snap
}

#[test]
fn offers_expire_after_the_timeout_and_rejects_exclude_the_agent() {
    let mut snap = offer_snapshot();
    let decisions = assign(&snap, minutes(10));
    let Decision::Offer {
        agent, expires_at, ..
    } = &decisions[0]
    else {
        panic!("{decisions:?}")
    };
    assert_eq!(
        (agent.get(), *expires_at),
        (1, minutes(10) + Duration::seconds(120))
    );

    snap.items[0].state.offer = Some(PendingOffer {
        agent: UserId::new(1),
        expires_at: *expires_at,
    });
    snap.agents[0].load_units = 20;
    let pending = assign(&snap, minutes(11));
    assert!(matches!(waits(&pending)[0].1, Outcome::OfferPending { .. }));

    let expired = assign(&snap, minutes(13));
    assert_eq!(
        expired[0],
        Decision::OfferExpired {
            item: WorkItemId::new(10),
            agent: UserId::new(1)
        }
    );
    assert_eq!(handed_out(&expired), [(10, 2)]);

    let mut rejected = offer_snapshot();
    rejected.items[0].state.reject(UserId::new(1));
    assert_eq!(handed_out(&assign(&rejected, minutes(10))), [(10, 2)]);
}

#[test]
fn agent_letting_offers_time_out_goes_not_responding() {
    let mut snap = offer_snapshot();
    snap.items.push(item(11, 1, 0, &[]));
    snap.agents[0].missed_offers = 2;
    snap.agents[0].load_units = 20;
    snap.items[0].state.offer = Some(PendingOffer {
        agent: UserId::new(1),
        expires_at: minutes(9),
    });
    let decisions = assign(&snap, minutes(10));
    assert!(decisions.contains(&Decision::MarkNotResponding {
        agent: UserId::new(1),
        missed_offers: 3
    }));
    assert_eq!(handed_out(&decisions), [(10, 2), (11, 2)]);
}

#[test]
fn item_declined_by_everyone_cools_down_then_returns() {
    let mut snap = offer_snapshot();
    snap.items[0].state.reject(UserId::new(1));
    snap.items[0].state.reject(UserId::new(2));
    let decisions = assign(&snap, minutes(10));
    let Decision::CoolDown { until, .. } = decisions[0] else {
        panic!("{decisions:?}")
    };
    assert_eq!(until, minutes(20));
    snap.items[0].state.cool_down(until);
    assert!(matches!(
        waits(&assign(&snap, minutes(15)))[0].1,
        Outcome::CoolingDown { .. }
    ));
    assert_eq!(handed_out(&assign(&snap, minutes(20))), [(10, 1)]);
}

#[test]
fn declined_item_skips_to_the_next_agent_while_others_continue() {
    let mut snap = snapshot(
        vec![agent(1, &[], 0), agent(2, &[], 5)],
        vec![item(10, 0, 5, &[]), item(11, 0, 0, &[])],
    );
    snap.agents[1].capacity_units = 20;
    snap.items[0].state.reject(UserId::new(2));
    snap.agents[0].capacity_units = 20;
    // item 10 goes first and may only go to agent 1; item 11 then takes agent 2
    assert_eq!(handed_out(&assign(&snap, minutes(1))), [(10, 1), (11, 2)]);
}

#[test]
fn pull_takes_the_best_item_the_agent_may_take() {
    let mut snap = snapshot(
        vec![agent(1, &[("language:nl", 3)], 0), agent(2, &[], 0)],
        vec![
            item(10, 0, 50, &["language:de"]),
            item(11, 0, 40, &[]),
            item(12, 0, 30, &["language:nl"]),
        ],
    );
    snap.items[1].preferred_agent = Some(UserId::new(2));
    let pulled = next_item_for(UserId::new(1), &snap, minutes(1)).unwrap();
    assert_eq!(
        (
            pulled.item().unwrap().get(),
            pulled.taken_by().unwrap().get()
        ),
        (12, 1)
    );
    assert_eq!(
        pulled.explanation().unwrap().outcome,
        Outcome::Pulled {
            agent: UserId::new(1)
        }
    );
    let pulled = next_item_for(UserId::new(1), &snap, minutes(6)).unwrap();
    assert_eq!(
        pulled.item().unwrap().get(),
        11,
        "reservation for agent 2 is over"
    );
    snap.agents[0].status = AgentStatus::Away;
    assert!(next_item_for(UserId::new(1), &snap, minutes(6)).is_none());
    assert!(next_item_for(UserId::new(9), &snap, minutes(6)).is_none());
}
