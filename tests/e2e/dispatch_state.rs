//! The dispatch loop's routing state kept between rounds, on SQLite and, when configured,
//! PostgreSQL: after bursts of changes it equals a fresh snapshot, changes written by others
//! reach it through the change feed, and a change that bypasses the feed is corrected by the
//! periodic full read.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Utc;
use switchboard_core::event::Actor;
use switchboard_core::routing::{AgentRoutingUpdate, LeadAction, LeadOverride, RoutingSnapshot};
use switchboard_core::store::Store;
use switchboard_core::user::AgentStatus;
use switchboard_core::work::{StatusChange, Worker};
use switchboard_core::{UserId, WorkItemId};
use switchboard_router::explain::Decision;
use switchboard_server::dispatch::{DispatchHandle, DispatchSettings};
use switchboard_tests::stores;

use crate::api_routing::activate_inbox_rules;
use crate::store_routing::{agent, queued_item};

fn router(store: &Arc<dyn Store>, resync_every: StdDuration) -> DispatchHandle {
    let settings = DispatchSettings {
        resync_every,
        ..DispatchSettings::default()
    };
    DispatchHandle::new(Arc::clone(store), settings)
}

/// A fresh read with each agent's open work in item order (the order the state keeps).
async fn fresh(store: &Arc<dyn Store>) -> RoutingSnapshot {
    let mut snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
    for agent in &mut snapshot.agents {
        agent.open_work.sort_by_key(|work| work.item);
    }
    snapshot
}

fn lead() -> LeadOverride {
    LeadOverride {
        actor: Actor::Token {
            name: "lead".into(),
        },
        reason: None,
        at: Utc::now(),
    }
}

fn worker(agent: UserId) -> Worker {
    Worker {
        actor: Actor::User { id: agent },
        name: "agent".into(),
        agent: Some(agent),
        lead: false,
    }
}

/// The items an agent holds, as a fresh read shows them.
async fn held_by(store: &Arc<dyn Store>, agent: UserId) -> Vec<WorkItemId> {
    fresh(store)
        .await
        .agents
        .into_iter()
        .find(|routing| routing.user == agent)
        .map(|routing| routing.open_work.iter().map(|work| work.item).collect())
        .unwrap_or_default()
}

/// The waiting items, as a fresh read shows them.
async fn set_capacity(store: &Arc<dyn Store>, agent: UserId, capacity: i32) {
    let update = AgentRoutingUpdate {
        capacity: Some(capacity),
        ..AgentRoutingUpdate::default()
    };
    store.update_agent_routing(agent, &update).await.unwrap();
}

async fn waiting(store: &Arc<dyn Store>) -> Vec<WorkItemId> {
    fresh(store)
        .await
        .items
        .iter()
        .map(|item| item.item)
        .collect()
}

#[tokio::test]
async fn the_kept_state_equals_a_fresh_snapshot_after_bursts_of_changes() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        activate_inbox_rules(&store).await;
        let ann = agent(&store, "ann").await;
        let bob = agent(&store, "bob").await;
        let cid = agent(&store, "cid").await;
        for number in 0..25 {
            queued_item(&store, &format!("burst-{number}")).await;
        }
        // Full reads only at the start: everything after follows the feed.
        let router = router(&store, StdDuration::from_secs(3_600));
        let first = router.round().await.unwrap();
        assert_eq!(first.applied, 15, "{label}: three agents of 5 e-mails each");
        assert_eq!(
            router.caught_up_snapshot().await.unwrap(),
            fresh(&store).await,
            "{label}: after the first round"
        );

        // A burst: work finished, an agent leaving, a capacity change, lead actions on
        // assigned and waiting items (one into a queue created by the move), new items.
        for item in held_by(&store, ann).await.into_iter().take(2) {
            store
                .change_item_status(
                    item,
                    StatusChange::Done,
                    &worker(ann),
                    &switchboard_tests::always_open_sla(),
                    Utc::now(),
                )
                .await
                .unwrap();
        }
        store
            .set_agent_status(bob, AgentStatus::Away, &Actor::System, Utc::now())
            .await
            .unwrap();
        set_capacity(&store, cid, 60).await;
        let cids = held_by(&store, cid).await;
        let sla = switchboard_tests::always_open_sla();
        store
            .lead_action(cids[0], &LeadAction::Reassign { agent: ann }, &lead(), &sla)
            .await
            .unwrap();
        let still_waiting = waiting(&store).await;
        store
            .lead_action(
                still_waiting[0],
                &LeadAction::Move {
                    queue: "complaints".into(),
                },
                &lead(),
                &sla,
            )
            .await
            .unwrap();
        store
            .lead_action(
                still_waiting[1],
                &LeadAction::Priority { priority: 90 },
                &lead(),
                &sla,
            )
            .await
            .unwrap();
        for number in 0..5 {
            queued_item(&store, &format!("late-{number}")).await;
        }
        let caught_up = router.caught_up_snapshot().await.unwrap();
        assert!(
            caught_up
                .queues
                .iter()
                .any(|queue| queue.name == "complaints"),
            "{label}: the queue the move created"
        );
        assert_eq!(caught_up, fresh(&store).await, "{label}: after a burst");
        // The index the loop kept through the burst decides as the policy over a fresh read.
        decides_as_a_fresh_read(&router, &format!("{label}: after a burst")).await;

        // Rounds route on the state that followed the feed, and it stays equal.
        let second = router.round().await.unwrap();
        assert!(second.applied > 0, "{label}: freed capacity is used");
        store
            .set_agent_status(bob, AgentStatus::Available, &Actor::System, Utc::now())
            .await
            .unwrap();
        router.round().await.unwrap();
        assert_eq!(
            router.caught_up_snapshot().await.unwrap(),
            fresh(&store).await,
            "{label}: after the router's own decisions"
        );

        // A burst that keeps the queues (so the index the rounds kept is not built again):
        // work finished, more capacity, new items.
        for item in held_by(&store, bob).await.into_iter().take(2) {
            store
                .change_item_status(item, StatusChange::Done, &worker(bob), &sla, Utc::now())
                .await
                .unwrap();
        }
        set_capacity(&store, cid, 100).await;
        for number in 0..3 {
            queued_item(&store, &format!("later-{number}")).await;
        }
        decides_as_a_fresh_read(&router, &format!("{label}: over rounds")).await;
    }
}

/// Sets an item's priority to 77 in the database without a feed entry (a write that bypasses
/// the store).
async fn priority_behind_the_back(url: &str, item: WorkItemId) {
    let update =
        "UPDATE items SET priority = 77, updated_at = COALESCE($1, updated_at) WHERE id = $2";
    crate::store_item_work::execute(url, update, item, Some(Utc::now())).await;
}

fn priority_of(snapshot: &RoutingSnapshot, item: WorkItemId) -> Option<i32> {
    snapshot
        .items
        .iter()
        .find(|waiting| waiting.item == item)
        .map(|waiting| waiting.priority)
}

#[tokio::test]
async fn changes_behind_the_loops_back_arrive_by_feed_or_full_read() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, url) in stores(folder.path()).await {
        activate_inbox_rules(&store).await;
        let ann = agent(&store, "ann").await;
        store
            .set_agent_status(ann, AgentStatus::Away, &Actor::System, Utc::now())
            .await
            .unwrap();
        let first = queued_item(&store, "first").await;
        let following = router(&store, StdDuration::from_secs(3_600));
        let resyncing = router(&store, StdDuration::ZERO);
        assert_eq!(following.round().await.unwrap().applied, 0, "{label}");
        resyncing.caught_up_snapshot().await.unwrap();

        // Written through the store (with a feed entry) but without waking anyone: the next
        // round of the router that follows the feed sees it.
        let second = queued_item(&store, "second").await;
        let seen = following.caught_up_snapshot().await.unwrap();
        assert!(
            seen.items.iter().any(|item| item.item == second),
            "{label}: an item inserted by another writer arrives by the feed"
        );

        // Written around the feed: only a full read sees it.
        priority_behind_the_back(&url, first).await;
        let followed = following.caught_up_snapshot().await.unwrap();
        let planned = priority_of(&seen, first);
        assert!(planned.is_some() && planned != Some(77), "{label}");
        assert_eq!(
            priority_of(&followed, first),
            planned,
            "{label}: no feed entry, no re-read until the next full read"
        );
        let resynced = resyncing.caught_up_snapshot().await.unwrap();
        assert_eq!(priority_of(&resynced, first), Some(77), "{label}");
        assert_eq!(resynced, fresh(&store).await, "{label}");

        // The router that followed the feed routes both items once ann is back.
        store
            .set_agent_status(ann, AgentStatus::Available, &Actor::System, Utc::now())
            .await
            .unwrap();
        let summary = following.round().await.unwrap();
        assert_eq!(summary.applied, 2, "{label}: {summary:?}");
        assert_eq!(held_by(&store, ann).await.len(), 2, "{label}");
    }
}

/// Asserts that the router's kept state decides now as the policy over a fresh read, and that
/// there is work to hand out.
async fn decides_as_a_fresh_read(router: &DispatchHandle, context: &str) {
    let (kept, from_fresh) = router.decisions_now().await.unwrap();
    assert!(
        !from_fresh.is_empty(),
        "{context}: there is work to hand out"
    );
    assert_eq!(
        handed_out(&kept),
        handed_out(&from_fresh),
        "{context}: the kept index decides as a fresh read"
    );
}

/// (item, agent, kind) of the decisions that change something, in order.
fn handed_out(decisions: &[Decision]) -> Vec<(Option<WorkItemId>, Option<UserId>, String)> {
    decisions
        .iter()
        .map(|decision| {
            let kind = format!("{decision:?}");
            let kind = kind.split([' ', '{', '(']).next().unwrap_or("").to_owned();
            (decision.item(), decision.taken_by(), kind)
        })
        .collect()
}
