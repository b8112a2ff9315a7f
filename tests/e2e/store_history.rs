//! The board's history on SQLite and, when configured, PostgreSQL: backlog samples count the
//! waiting items per channel once per slot (a second sample of a slot changes nothing, old
//! samples are pruned), a serving node's sampler records them, and the assignment rows give
//! each agent's assignments and handling time.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use switchboard_core::event::Actor;
use switchboard_core::history::{AgentActivity, agent_activity, sample_slot};
use switchboard_core::item::Channel;
use switchboard_core::routing::{LeadAction, LeadOverride};
use switchboard_core::store::Store;
use switchboard_core::user::Role;
use switchboard_core::work::{StatusChange, Worker};
use switchboard_core::{Login, SystemClock, UserId};
use switchboard_server::dispatch::{DispatchHandle, DispatchSettings};
use switchboard_tests::{stores, user_with_password};

/// The demo company routed once with nobody available: every item waits in its queue.
async fn demo_waiting(store: &Arc<dyn Store>) {
    switchboard_server::demo::prepare(store).await.unwrap();
    let router = DispatchHandle::new(store.clone(), DispatchSettings::default());
    router.round().await.unwrap();
}

/// Waiting items per channel as the routing snapshot sees them.
async fn waiting_per_channel(store: &Arc<dyn Store>) -> HashMap<Channel, u32> {
    let mut counts = HashMap::new();
    for item in store.routing_snapshot(Utc::now()).await.unwrap().items {
        *counts.entry(item.channel).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn backlog_samples_count_waiting_items_per_channel_once_per_slot() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        demo_waiting(&store).await;
        let expected = waiting_per_channel(&store).await;
        assert!(
            expected.values().sum::<u32>() > 3,
            "{label}: the demo waits"
        );
        let slot = sample_slot(Utc::now(), Duration::minutes(5));
        let earlier = slot - Duration::minutes(10);

        let written = store.record_backlog_sample(earlier).await.unwrap();
        assert_eq!(written, Channel::ALL.len() as u64, "{label}");
        store.record_backlog_sample(slot).await.unwrap();
        let again = store.record_backlog_sample(slot).await.unwrap();
        assert_eq!(again, 0, "{label}: a slot is sampled once");

        let samples = store.backlog_samples(slot).await.unwrap();
        assert_eq!(samples.len(), Channel::ALL.len(), "{label}");
        for sample in &samples {
            assert_eq!(sample.at, slot, "{label}");
            let want = expected.get(&sample.channel).copied().unwrap_or(0);
            assert_eq!(sample.waiting, want, "{label}: {}", sample.channel);
        }
        let all = store.backlog_samples(earlier).await.unwrap();
        assert_eq!(all.len(), 2 * Channel::ALL.len(), "{label}");
        assert!(
            all[0].at == earlier && all.last().unwrap().at == slot,
            "{label}: oldest first"
        );

        let pruned = store.prune_backlog_samples(slot).await.unwrap();
        assert_eq!(pruned, Channel::ALL.len() as u64, "{label}");
        assert_eq!(
            store.backlog_samples(earlier).await.unwrap().len(),
            Channel::ALL.len(),
            "{label}: the current slot stays"
        );
    }
}

#[tokio::test]
async fn a_serving_node_samples_the_backlog_in_the_background() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        demo_waiting(&store).await;
        let expected: u32 = waiting_per_channel(&store).await.values().sum();
        let sampler = switchboard_server::backlog_sampler::start(
            store.clone(),
            Arc::new(SystemClock),
            std::time::Duration::from_millis(50),
        );
        let since = Utc::now() - Duration::minutes(1);
        let mut samples = Vec::new();
        for _ in 0..200 {
            samples = store.backlog_samples(since).await.unwrap();
            if !samples.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        sampler.abort();
        let first = samples.first().map(|sample| sample.at);
        let in_first_slot: u32 = samples
            .iter()
            .filter(|sample| Some(sample.at) == first)
            .map(|sample| sample.waiting)
            .sum();
        assert_eq!(in_first_slot, expected, "{label}: {samples:?}");
    }
}

async fn lead_gives(store: &Arc<dyn Store>, item: switchboard_core::WorkItemId, agent: UserId) {
    let by = LeadOverride {
        actor: Actor::System,
        reason: None,
        at: Utc::now(),
    };
    store
        .lead_action(
            item,
            &LeadAction::Reassign { agent },
            &by,
            &switchboard_tests::always_open_sla(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn assignment_spans_give_each_agents_assignments_and_handling_time() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let started = Utc::now() - Duration::seconds(1);
        demo_waiting(&store).await;
        let ann = user_with_password(&store, "ann", Role::Agent, "pw").await;
        let bob = user_with_password(&store, "bob", Role::Agent, "pw").await;
        let items: Vec<_> = store
            .routing_snapshot(Utc::now())
            .await
            .unwrap()
            .items
            .iter()
            .take(3)
            .map(|item| item.item)
            .collect();
        // ann gets three and finishes one; the second moves on to bob.
        for item in &items {
            lead_gives(&store, *item, ann).await;
        }
        let ann_works = Worker {
            actor: Actor::User { id: ann },
            name: "ann".into(),
            agent: Some(ann),
            lead: false,
        };
        store
            .change_item_status(
                items[0],
                StatusChange::Done,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                Utc::now(),
            )
            .await
            .unwrap();
        lead_gives(&store, items[1], bob).await;

        let to = Utc::now() + Duration::seconds(1);
        let spans = store.assignment_spans(started, to).await.unwrap();
        assert_eq!(spans.len(), 4, "{label}: {spans:?}");
        let done: Vec<_> = spans
            .iter()
            .filter(|span| span.outcome.as_deref() == Some("done"))
            .collect();
        assert_eq!(done.len(), 1, "{label}");
        assert_eq!(done[0].login.as_str(), "ann", "{label}");
        let activity = agent_activity(&spans, started, to);
        assert_eq!(activity.len(), 2, "{label}: {activity:?}");
        let AgentActivity {
            login,
            assigned,
            done,
            handling_seconds_median,
        } = &activity[0];
        assert_eq!((login.as_str(), *assigned, *done), ("ann", 3, 1), "{label}");
        assert!(
            handling_seconds_median.is_some_and(|seconds| (0..5).contains(&seconds)),
            "{label}: {handling_seconds_median:?}"
        );
        assert_eq!(activity[1].login, Login::new("bob"), "{label}");
        assert_eq!((activity[1].assigned, activity[1].done), (1, 0), "{label}");

        // A period before any of it holds nothing.
        let before = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        let old = store
            .assignment_spans(before, before + Duration::hours(24))
            .await
            .unwrap();
        assert!(old.is_empty(), "{label}");
    }
}
