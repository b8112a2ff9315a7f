//! The routing port's conformance suite on SQLite and, when configured, PostgreSQL: rule-set
//! versions, fenced decisions, offers, pull under concurrency, lead overrides and absent agents.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use switchboard_core::event::Actor;
use switchboard_core::item::{Channel, ItemStatus, NewItem};
use switchboard_core::routing::{
    AssignmentKind, ClaimCandidate, FencedDecision, LeadAction, LeadOverride, RoutePlacement,
    RoutingAction,
};
use switchboard_core::sla::SlaClock;
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::user::{AgentStatus, NewUser, Role};
use switchboard_core::{CoreError, Login, UserId, WorkItemId};
use switchboard_tests::stores;

pub(crate) async fn agent(store: &Arc<dyn Store>, login: &str) -> UserId {
    let id = store
        .create_user(&NewUser {
            login: Login::new(login),
            display_name: login.into(),
            role: Role::Agent,
            password_hash: None,
            agent_id: None,
        })
        .await
        .unwrap();
    store
        .set_agent_status(id, AgentStatus::Available, &Actor::System, Utc::now())
        .await
        .unwrap();
    id
}

pub(crate) async fn queued_item(store: &Arc<dyn Store>, source: &str) -> WorkItemId {
    let item = NewItem::new(Channel::Email, source, Utc::now(), "please call me back");
    let placement = ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some("inbox".into()),
        priority: 20,
        ..ItemPlacement::default()
    };
    store.insert_item(&item, &placement).await.unwrap()
}

pub(crate) async fn version_of(store: &Arc<dyn Store>, item: WorkItemId) -> i64 {
    store.item(item).await.unwrap().unwrap().version
}

/// Assigns an item to `owner` as the router would, now.
pub(crate) async fn assign_now(store: &Arc<dyn Store>, item: WorkItemId, owner: UserId) {
    let version = version_of(store, item).await;
    let applied = store
        .apply_decisions(&[assign(item, version, owner)], Utc::now())
        .await
        .unwrap();
    assert_eq!(applied, vec![true]);
}

/// Inserts `count` queued items in the `inbox` queue in one statement (the queue exists).
async fn bulk_queued_items(url: &str, count: usize) -> Vec<WorkItemId> {
    let insert = format!(
        "WITH RECURSIVE series(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM series WHERE i < {count}) \
         INSERT INTO items (channel, source, received_at, text, status, queue_id, priority, \
         created_at, updated_at) SELECT 'email', 'bulk', $1, 'x', 'queued', \
         (SELECT id FROM queues WHERE name = 'inbox'), 20, $1, $1 FROM series"
    );
    let select = "SELECT id FROM items WHERE source = 'bulk' ORDER BY id";
    let ids: Vec<i64> = if switchboard_store::is_postgres(url) {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(Utc::now())
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query_scalar(select).fetch_all(&pool).await.unwrap()
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(Utc::now())
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query_scalar(select).fetch_all(&pool).await.unwrap()
    };
    ids.into_iter().map(WorkItemId::new).collect()
}

pub(crate) fn assign(item: WorkItemId, version: i64, agent: UserId) -> FencedDecision {
    FencedDecision {
        item,
        expected_version: version,
        action: RoutingAction::Assign {
            agent,
            explanation: serde_json::json!({ "rule": "test" }),
        },
    }
}

#[tokio::test]
async fn rule_sets_are_versioned_and_only_valid_ones_activate() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        assert!(store.active_rule_set().await.unwrap().is_none(), "{label}");
        let now = Utc::now();
        let first = serde_json::json!({ "version": 1, "default_queue": "inbox" });
        let v1 = store
            .save_rule_set(&first, true, "test", now)
            .await
            .unwrap();
        let v2 = store
            .save_rule_set(&serde_json::json!({ "broken": true }), false, "test", now)
            .await
            .unwrap();
        let refused = store.activate_rule_set(v2, &Actor::System, now).await;
        assert!(matches!(refused, Err(CoreError::BadInput(_))), "{label}");
        let missing = store.activate_rule_set(999, &Actor::System, now).await;
        assert!(
            matches!(missing, Err(CoreError::NotFound { .. })),
            "{label}"
        );
        store
            .activate_rule_set(v1, &Actor::System, now)
            .await
            .unwrap();
        let v3 = store
            .save_rule_set(&first, true, "test", now)
            .await
            .unwrap();
        store
            .activate_rule_set(v3, &Actor::System, now)
            .await
            .unwrap();
        assert_eq!(store.active_rule_set().await.unwrap().unwrap().version, v3);
        // The previous version stays stored and can be restored.
        store
            .activate_rule_set(v1, &Actor::System, now)
            .await
            .unwrap();
        let active = store.active_rule_set().await.unwrap().unwrap();
        assert_eq!((active.version, active.document), (v1, first), "{label}");
        let listed = store.rule_sets().await.unwrap();
        assert_eq!(listed.len(), 3, "{label}");
        assert_eq!(listed.iter().filter(|set| set.active).count(), 1, "{label}");
    }
}

#[tokio::test]
async fn sla_clocks_are_stored_and_reach_the_router() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let arrived = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
        let clock = SlaClock {
            due_at: arrived + Duration::hours(8),
            at_risk_at: arrived + Duration::hours(6),
        };
        let item = NewItem::new(Channel::Email, "sla", arrived, "where is my order?");
        let placement = ItemPlacement {
            status: ItemStatus::Queued,
            queue: Some("inbox".into()),
            sla: Some(clock),
            ..ItemPlacement::default()
        };
        let id = store.insert_item(&item, &placement).await.unwrap();
        let without = queued_item(&store, "no-sla").await;
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let sla_of = |item| {
            snapshot
                .items
                .iter()
                .find(|waiting| waiting.item == item)
                .unwrap()
                .sla
        };
        assert_eq!(sla_of(id), Some(clock), "{label}");
        assert_eq!(sla_of(without), None, "{label}");
        let stored = store.item(id).await.unwrap().unwrap();
        assert_eq!(
            (stored.sla_due_at, stored.sla_at_risk_at),
            (Some(clock.due_at), Some(clock.at_risk_at)),
            "{label}"
        );
    }
}

#[tokio::test]
async fn decisions_are_fenced_by_the_item_version() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let (ann, bob) = (agent(&store, "ann").await, agent(&store, "bob").await);
        let item = queued_item(&store, "fenced").await;
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let waiting = snapshot.items.iter().find(|w| w.item == item).unwrap();
        assert_eq!(snapshot.agents.len(), 2, "{label}");
        assert!(snapshot.queues.iter().any(|queue| queue.name == "inbox"));
        let version = waiting.version;
        let applied = store
            .apply_decisions(&[assign(item, version, ann)], Utc::now())
            .await
            .unwrap();
        assert_eq!(applied, vec![true], "{label}");
        // A stale router decided on the old version: nothing changes.
        let stale = store
            .apply_decisions(&[assign(item, version, bob)], Utc::now())
            .await
            .unwrap();
        assert_eq!(stale, vec![false], "{label}");
        let stored = store.item(item).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.assigned_user_id),
            (ItemStatus::Assigned, Some(ann))
        );
        let history = store.assignments_of(item).await.unwrap();
        assert_eq!(history.len(), 1, "{label}");
        assert_eq!(history[0].explanation["rule"], "test", "{label}");
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        assert!(snapshot.items.iter().all(|w| w.item != item), "{label}");
        let ann_now = snapshot.agents.iter().find(|a| a.user == ann).unwrap();
        assert_eq!(ann_now.open_work.len(), 1, "{label}");
    }
}

/// Routes planned in one round are saved together; an item whose version moved since the
/// plan keeps what it had, and the answers come in the order of the plan.
#[tokio::test]
async fn planned_routes_are_saved_together_and_fenced_by_the_item_version() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let items = [
            queued_item(&store, "planned-a").await,
            queued_item(&store, "planned-b").await,
            queued_item(&store, "planned-c").await,
        ];
        let mut versions = Vec::new();
        for item in items {
            versions.push(version_of(&store, item).await);
        }
        let plan = |item: WorkItemId, expected_version: i64, priority: i32| RoutePlacement {
            item,
            expected_version,
            queue: "complaints".into(),
            priority,
            required_skills: vec![switchboard_core::skill::SkillRequirement::new("nl", 2)],
            route: serde_json::json!({ "steps": [priority] }),
            rule_set_version: 3,
        };
        let saved = store
            .save_routes(&[
                plan(items[0], versions[0], 7),
                plan(items[1], versions[1] - 1, 8),
                plan(items[2], versions[2], 9),
            ])
            .await
            .unwrap();
        assert_eq!(saved, vec![true, false, true], "{label}");
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let complaints = snapshot
            .queues
            .iter()
            .find(|queue| queue.name == "complaints")
            .unwrap()
            .id;
        let waiting = |item: WorkItemId| snapshot.items.iter().find(|w| w.item == item).unwrap();
        for (position, priority) in [(0, 7), (2, 9)] {
            let routed = waiting(items[position]);
            assert_eq!(routed.queue, Some(complaints), "{label}");
            assert_eq!(routed.priority, priority, "{label}");
            assert_eq!(
                routed.required_skills,
                vec![switchboard_core::skill::SkillRequirement::new("nl", 2)],
                "{label}"
            );
            assert_eq!(
                routed.route,
                Some(serde_json::json!({ "steps": [priority] })),
                "{label}"
            );
            assert_eq!(routed.rule_set_version, Some(3), "{label}");
            assert_eq!(routed.version, versions[position] + 1, "{label}");
        }
        let stale = waiting(items[1]);
        assert_ne!(stale.queue, Some(complaints), "{label}");
        assert_eq!(
            (stale.route.as_ref(), stale.version),
            (None, versions[1]),
            "{label}"
        );
    }
}

#[tokio::test]
async fn offers_are_accepted_rejected_or_time_out() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let (ann, bob) = (agent(&store, "ann").await, agent(&store, "bob").await);
        let item = queued_item(&store, "offered").await;
        let offer = |version, agent, expires_at| FencedDecision {
            item,
            expected_version: version,
            action: RoutingAction::Offer {
                agent,
                expires_at,
                explanation: serde_json::Value::Null,
            },
        };
        let later = Utc::now() + Duration::minutes(2);
        let version = version_of(&store, item).await;
        let applied = store
            .apply_decisions(&[offer(version, ann, later)], Utc::now())
            .await
            .unwrap();
        assert_eq!(applied, vec![true]);
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let open = snapshot
            .items
            .iter()
            .find(|w| w.item == item)
            .unwrap()
            .offer
            .unwrap();
        assert_eq!(open.agent, ann, "{label}");
        // Bob cannot answer Ann's offer; Ann rejects it.
        assert!(store.accept_offer(open.id, bob, Utc::now()).await.is_err());
        store.reject_offer(open.id, ann, Utc::now()).await.unwrap();
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let waiting = snapshot.items.iter().find(|w| w.item == item).unwrap();
        assert_eq!(
            (waiting.status, waiting.declined_by.clone()),
            (ItemStatus::Queued, vec![ann])
        );
        // Offered to Bob, who lets it time out: a decline and a missed offer.
        let past = Utc::now() - Duration::seconds(1);
        store
            .apply_decisions(&[offer(waiting.version, bob, past)], Utc::now())
            .await
            .unwrap();
        let version = version_of(&store, item).await;
        let expired = FencedDecision {
            item,
            expected_version: version,
            action: RoutingAction::OfferExpired { agent: bob },
        };
        assert_eq!(
            store.apply_decisions(&[expired], Utc::now()).await.unwrap(),
            vec![true]
        );
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let waiting = snapshot.items.iter().find(|w| w.item == item).unwrap();
        assert_eq!(waiting.declined_by, vec![ann, bob], "{label}");
        let bob_now = snapshot.agents.iter().find(|a| a.user == bob).unwrap();
        assert_eq!(bob_now.missed_offers, 1, "{label}");
        // Offered to Ann again, who accepts.
        store
            .apply_decisions(&[offer(waiting.version, ann, later)], Utc::now())
            .await
            .unwrap();
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let open = snapshot
            .items
            .iter()
            .find(|w| w.item == item)
            .unwrap()
            .offer
            .unwrap();
        assert_eq!(
            store.accept_offer(open.id, ann, Utc::now()).await.unwrap(),
            item
        );
        let stored = store.item(item).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.assigned_user_id),
            (ItemStatus::Assigned, Some(ann))
        );
        let history = store.assignments_of(item).await.unwrap();
        let outcomes: Vec<_> = history.iter().map(|a| a.outcome.clone()).collect();
        assert_eq!(
            outcomes,
            vec![
                Some("rejected".into()),
                Some("timed_out".into()),
                Some("accepted".into()),
                None
            ],
            "{label}"
        );
        assert_eq!(history[3].kind, AssignmentKind::Assign, "{label}");
    }
}

#[tokio::test]
async fn lead_overrides_are_recorded_and_absent_agents_return_work() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let (ann, bob) = (agent(&store, "ann").await, agent(&store, "bob").await);
        let item = queued_item(&store, "lead").await;
        let version = version_of(&store, item).await;
        store
            .apply_decisions(&[assign(item, version, ann)], Utc::now())
            .await
            .unwrap();
        let by = LeadOverride {
            actor: Actor::Token {
                name: "lead".into(),
            },
            reason: Some("ann is in a meeting".into()),
            at: Utc::now(),
        };
        store
            .lead_action(
                item,
                &LeadAction::Reassign { agent: bob },
                &by,
                &switchboard_tests::always_open_sla(),
            )
            .await
            .unwrap();
        let history = store.assignments_of(item).await.unwrap();
        assert_eq!(history[0].outcome.as_deref(), Some("reassigned"), "{label}");
        assert_eq!(history[1].origin, "lead", "{label}");
        assert_eq!(history[1].explanation["override"], true, "{label}");
        assert_eq!(
            history[1].explanation["reason"], "ann is in a meeting",
            "{label}"
        );
        store
            .lead_action(
                item,
                &LeadAction::Priority { priority: 90 },
                &by,
                &switchboard_tests::always_open_sla(),
            )
            .await
            .unwrap();
        assert_eq!(
            store.item(item).await.unwrap().unwrap().priority,
            90,
            "{label}"
        );
        // Bob goes away: after the grace period his item returns to routing.
        let away_at = Utc::now();
        store
            .set_agent_status(bob, AgentStatus::Away, &Actor::System, away_at)
            .await
            .unwrap();
        let early = store
            .return_absent_work(away_at - Duration::seconds(5), Utc::now())
            .await
            .unwrap();
        assert!(early.is_empty(), "{label}");
        let returned = store
            .return_absent_work(away_at + Duration::seconds(1), Utc::now())
            .await
            .unwrap();
        assert_eq!(returned, vec![item], "{label}");
        assert_eq!(
            store.item(item).await.unwrap().unwrap().status,
            ItemStatus::Queued
        );
        store
            .lead_action(
                item,
                &LeadAction::Move {
                    queue: "complaints".into(),
                },
                &by,
                &switchboard_tests::always_open_sla(),
            )
            .await
            .unwrap();
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let waiting = snapshot.items.iter().find(|w| w.item == item).unwrap();
        let complaints = snapshot
            .queues
            .iter()
            .find(|q| q.name == "complaints")
            .unwrap();
        assert_eq!(waiting.queue, Some(complaints.id), "{label}");
        assert!(waiting.route_locked, "{label}");
        // A locked route is not re-planned by the rules.
        let placement = RoutePlacement {
            item,
            expected_version: waiting.version,
            queue: "inbox".into(),
            priority: 1,
            required_skills: Vec::new(),
            route: serde_json::Value::Null,
            rule_set_version: 1,
        };
        assert_eq!(store.save_routes(&[placement]).await.unwrap(), vec![false]);
        let facts = store.routing_facts(&[item]).await.unwrap();
        assert_eq!(
            facts[0].queue_name.as_deref(),
            Some("complaints"),
            "{label}"
        );
    }
}

/// 10,000 rounds of three agents pulling the same item at once: exactly one wins each.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_agent_wins_each_pulled_item() {
    const ROUNDS: usize = 10_000;
    const IN_FLIGHT: usize = 48;
    let folder = tempfile::tempdir().unwrap();
    for (label, store, url) in stores(folder.path()).await {
        let started = Instant::now();
        let url = url.as_str();
        let agents = [
            agent(&store, "ann").await,
            agent(&store, "bob").await,
            agent(&store, "cas").await,
        ];
        queued_item(&store, "first").await;
        let items = bulk_queued_items(url, ROUNDS).await;
        let created = started.elapsed();
        let mut winners = 0;
        for chunk in items.chunks(IN_FLIGHT) {
            let mut pulls = tokio::task::JoinSet::new();
            for &item in chunk {
                for agent in agents {
                    let store = Arc::clone(&store);
                    pulls.spawn(async move {
                        let candidate = ClaimCandidate {
                            item,
                            expected_version: 1,
                            explanation: serde_json::Value::Null,
                        };
                        let won = store.claim_next_item(agent, &[candidate], Utc::now()).await;
                        (item, agent, won.unwrap())
                    });
                }
            }
            let mut per_item = std::collections::HashMap::<WorkItemId, Vec<UserId>>::new();
            for (item, agent, won) in pulls.join_all().await {
                let entry = per_item.entry(item).or_default();
                if let Some(claimed) = won {
                    assert_eq!(claimed, item);
                    entry.push(agent);
                }
            }
            for (item, won_by) in per_item {
                assert_eq!(won_by.len(), 1, "{label}: item {item} won by {won_by:?}");
                winners += 1;
            }
        }
        assert_eq!(winners, ROUNDS, "{label}");
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        assert_eq!(snapshot.items.len(), 1, "{label}: every pulled item taken");
        let open: usize = snapshot
            .agents
            .iter()
            .map(|agent| agent.open_work.len())
            .sum();
        assert_eq!(open, ROUNDS, "{label}: one open assignment per item");
        eprintln!(
            "{label}: {ROUNDS} items created in {created:?}, pulled by 3 agents each in {:?}",
            started.elapsed() - created
        );
    }
}
