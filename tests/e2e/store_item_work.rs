//! The item-work port's conformance suite on SQLite and, when configured, PostgreSQL: work
//! lists, the status lifecycle with its rights and conflicts, the SLA pause, notes, and the
//! item view's thread, attachments and history.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use switchboard_core::event::Actor;
use switchboard_core::item::{Channel, ItemStatus, NewAttachment, NewItem};
use switchboard_core::link::{LinkKind, LinkOrigin, NewLink};
use switchboard_core::routing::{FencedDecision, LeadAction, LeadOverride, RoutingAction};
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::work::{StatusChange, Worker, item_detail};
use switchboard_core::{CoreError, UserId, WorkItemId};
use switchboard_tests::stores;

use crate::store_routing::{agent, assign, assign_now, queued_item, version_of};

fn worker(agent: UserId, name: &str) -> Worker {
    Worker {
        actor: Actor::User { id: agent },
        name: name.into(),
        agent: Some(agent),
        lead: false,
    }
}

fn lead() -> Worker {
    Worker {
        actor: Actor::Token {
            name: "lead".into(),
        },
        name: "lead".into(),
        agent: None,
        lead: true,
    }
}

async fn assigned_item(store: &Arc<dyn Store>, source: &str, owner: UserId) -> WorkItemId {
    let item = queued_item(store, source).await;
    assign_now(store, item, owner).await;
    item
}

/// Runs one statement with an item id and an optional time on either database.
pub(crate) async fn execute(
    url: &str,
    sql: &'static str,
    item: WorkItemId,
    at: Option<DateTime<Utc>>,
) {
    if switchboard_store::is_postgres(url) {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query(sql)
            .bind(at)
            .bind(item.get())
            .execute(&pool)
            .await
            .unwrap();
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query(sql)
            .bind(at)
            .bind(item.get())
            .execute(&pool)
            .await
            .unwrap();
    }
}

/// The audit actions recorded for an item (or for no item), oldest first.
pub(crate) async fn event_actions(url: &str, item: Option<WorkItemId>) -> Vec<String> {
    let sql = "SELECT action FROM events WHERE COALESCE(item_id, 0) = $1 ORDER BY id";
    let item = item.map_or(0, WorkItemId::get);
    if switchboard_store::is_postgres(url) {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(item)
            .fetch_all(&pool)
            .await
            .unwrap()
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        sqlx::query_scalar(sql)
            .bind(item)
            .fetch_all(&pool)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn work_lists_show_open_offers_and_owned_items_in_queue_order() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let (ann, bob) = (agent(&store, "ann").await, agent(&store, "bob").await);
        let low = assigned_item(&store, "low", ann).await;
        let placement = ItemPlacement {
            status: ItemStatus::Queued,
            queue: Some("inbox".into()),
            priority: 90,
            links: vec![NewLink {
                kind: LinkKind::Customer,
                key: "0000104321".into(),
                confidence: 0.95,
                origin: LinkOrigin::Auto,
                applied: true,
                evidence: "sender address".into(),
            }],
            ..ItemPlacement::default()
        };
        let mut urgent = NewItem::new(Channel::Fax, "urgent", Utc::now(), "order");
        urgent.subject = Some("Order 4500012345".into());
        let urgent = store.insert_item(&urgent, &placement).await.unwrap();
        let version = version_of(&store, urgent).await;
        store
            .apply_decisions(&[assign(urgent, version, ann)], Utc::now())
            .await
            .unwrap();
        let offered = queued_item(&store, "offered").await;
        let expires_at = Utc::now() + Duration::minutes(2);
        let offer = FencedDecision {
            item: offered,
            expected_version: version_of(&store, offered).await,
            action: RoutingAction::Offer {
                agent: ann,
                expires_at,
                explanation: serde_json::Value::Null,
            },
        };
        assert_eq!(
            store.apply_decisions(&[offer], Utc::now()).await.unwrap(),
            vec![true]
        );
        let _bobs = assigned_item(&store, "bobs", bob).await;

        let work = store.my_work(ann).await.unwrap();
        assert_eq!(work.offers.len(), 1, "{label}");
        assert_eq!(work.offers[0].item, offered, "{label}");
        assert_eq!(
            work.offers[0].expires_at.map(|at| at.timestamp()),
            Some(expires_at.timestamp()),
            "{label}"
        );
        let owned: Vec<WorkItemId> = work.assigned.iter().map(|work| work.item).collect();
        assert_eq!(owned, vec![urgent, low], "{label}: higher priority first");
        let first = &work.assigned[0];
        assert_eq!(first.customer_no.as_deref(), Some("0000104321"), "{label}");
        assert_eq!(
            first.subject.as_deref(),
            Some("Order 4500012345"),
            "{label}"
        );
        assert_eq!(
            (first.channel, first.status),
            (Channel::Fax, ItemStatus::Assigned)
        );
        assert_eq!(
            store.my_work(bob).await.unwrap().assigned.len(),
            1,
            "{label}"
        );
    }
}

#[tokio::test]
async fn status_changes_follow_the_lifecycle_free_capacity_and_are_audited() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, url) in stores(folder.path()).await {
        let (ann, bob) = (agent(&store, "ann").await, agent(&store, "bob").await);
        let item = assigned_item(&store, "lifecycle", ann).await;
        let (ann_works, bob_works) = (worker(ann, "ann"), worker(bob, "bob"));
        let load = |snapshot: &switchboard_core::routing::RoutingSnapshot| {
            snapshot
                .agents
                .iter()
                .find(|a| a.user == ann)
                .unwrap()
                .open_work
                .len()
        };

        let refused = store
            .change_item_status(
                item,
                StatusChange::Done,
                &bob_works,
                &switchboard_tests::always_open_sla(),
                Utc::now(),
            )
            .await;
        assert!(
            matches!(refused, Err(CoreError::Forbidden(_))),
            "{label}: {refused:?}"
        );
        let illegal = store
            .change_item_status(
                item,
                StatusChange::Reopen,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                Utc::now(),
            )
            .await;
        assert!(
            matches!(illegal, Err(CoreError::Conflict(_))),
            "{label}: {illegal:?}"
        );

        let before = version_of(&store, item).await;
        let waiting = store
            .change_item_status(
                item,
                StatusChange::Waiting,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(
            (waiting.from, waiting.to),
            (ItemStatus::Assigned, ItemStatus::Waiting)
        );
        assert_eq!(
            version_of(&store, item).await,
            before + 1,
            "{label}: version bumped"
        );
        assert_eq!(waiting.version, before + 1, "{label}");
        assert_eq!(
            load(&store.routing_snapshot(Utc::now()).await.unwrap()),
            0,
            "{label}"
        );

        let resumed = store
            .change_item_status(
                item,
                StatusChange::Reopen,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(resumed.to, ItemStatus::Assigned, "{label}");
        assert_eq!(
            load(&store.routing_snapshot(Utc::now()).await.unwrap()),
            1,
            "{label}"
        );

        store
            .change_item_status(
                item,
                StatusChange::Done,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(
            load(&store.routing_snapshot(Utc::now()).await.unwrap()),
            0,
            "{label}"
        );
        let history = store.assignments_of(item).await.unwrap();
        assert_eq!(
            history.last().unwrap().outcome.as_deref(),
            Some("done"),
            "{label}"
        );
        assert!(
            store.my_work(ann).await.unwrap().assigned.is_empty(),
            "{label}"
        );
        let twice = store
            .change_item_status(
                item,
                StatusChange::Done,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                Utc::now(),
            )
            .await;
        assert!(
            matches!(twice, Err(CoreError::Conflict(_))),
            "{label}: {twice:?}"
        );

        // The agent who finished it may reopen it: it goes back to routing, without an owner.
        let reopened = store
            .change_item_status(
                item,
                StatusChange::Reopen,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(reopened.to, ItemStatus::Queued, "{label}");
        let stored = store.item(item).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.assigned_user_id),
            (ItemStatus::Queued, None)
        );
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        assert!(
            snapshot.items.iter().any(|waiting| waiting.item == item),
            "{label}"
        );

        let actions = event_actions(&url, Some(item)).await;
        let tail: Vec<&str> = actions
            .iter()
            .rev()
            .take(4)
            .rev()
            .map(String::as_str)
            .collect();
        assert_eq!(
            tail,
            [
                "item.waiting",
                "item.reopened",
                "item.done",
                "item.reopened"
            ],
            "{label}"
        );
    }
}

#[tokio::test]
async fn waiting_on_the_customer_pauses_the_sla_clock() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, url) in stores(folder.path()).await {
        let ann = agent(&store, "ann").await;
        let item = assigned_item(&store, "sla", ann).await;
        // Whole seconds: PostgreSQL keeps microseconds only.
        let start = DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap();
        let due = start + Duration::hours(8);
        execute(
            &url,
            "UPDATE items SET sla_due_at = $1 WHERE id = $2",
            item,
            Some(due),
        )
        .await;
        execute(
            &url,
            "UPDATE items SET sla_at_risk_at = $1 WHERE id = $2",
            item,
            Some(due - Duration::hours(2)),
        )
        .await;
        let ann_works = worker(ann, "ann");
        store
            .change_item_status(
                item,
                StatusChange::Waiting,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                start,
            )
            .await
            .unwrap();
        let customer_answered = start + Duration::hours(3);
        store
            .change_item_status(
                item,
                StatusChange::Reopen,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                customer_answered,
            )
            .await
            .unwrap();
        let stored = store.item(item).await.unwrap().unwrap();
        let moved = stored.sla_due_at.unwrap() - due;
        assert_eq!(
            moved.num_seconds(),
            Duration::hours(3).num_seconds(),
            "{label}"
        );
        // The at-risk moment moves with the due time.
        assert_eq!(
            stored.sla_at_risk_at,
            Some(due - Duration::hours(2) + Duration::hours(3)),
            "{label}"
        );

        // A lead taking a waiting item to another agent ends the pause there.
        let resumed_due = stored.sla_due_at;
        store
            .change_item_status(
                item,
                StatusChange::Waiting,
                &ann_works,
                &switchboard_tests::always_open_sla(),
                customer_answered,
            )
            .await
            .unwrap();
        let bob = agent(&store, "bob").await;
        let by = LeadOverride {
            actor: Actor::System,
            reason: None,
            at: customer_answered,
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
        let later = start + Duration::hours(9);
        store
            .change_item_status(
                item,
                StatusChange::Done,
                &worker(bob, "bob"),
                &switchboard_tests::always_open_sla(),
                later,
            )
            .await
            .unwrap();
        let finished = store.item(item).await.unwrap().unwrap();
        assert_eq!(finished.sla_due_at, resumed_due, "{label}");
    }
}

/// A moment in December 2026, Amsterdam time (UTC+1).
fn amsterdam_december(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("2026-12-{day:02}T{hour:02}:{minute:02}:00+01:00"))
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn a_pause_moves_the_clock_on_in_business_time() {
    let folder = tempfile::tempdir().unwrap();
    // The default office week: Monday–Friday 08:30–17:30, Europe/Amsterdam (UTC+1 in December).
    let office = switchboard_router::sla::SlaPolicy::default();
    let utc = amsterdam_december;
    for (label, store, url) in stores(folder.path()).await {
        let ann = agent(&store, "ann").await;
        let item = assigned_item(&store, "business", ann).await;
        let set = "UPDATE items SET sla_due_at = $1 WHERE id = $2";
        execute(&url, set, item, Some(utc(4, 17, 0))).await;
        let set = "UPDATE items SET sla_at_risk_at = $1 WHERE id = $2";
        execute(&url, set, item, Some(utc(4, 16, 0))).await;
        let ann_works = worker(ann, "ann");
        // Waiting from Friday 14:00 (3 business hours left) until Saturday 11:00.
        store
            .change_item_status(
                item,
                StatusChange::Waiting,
                &ann_works,
                &office,
                utc(4, 14, 0),
            )
            .await
            .unwrap();
        store
            .change_item_status(
                item,
                StatusChange::Reopen,
                &ann_works,
                &office,
                utc(5, 11, 0),
            )
            .await
            .unwrap();
        let stored = store.item(item).await.unwrap().unwrap();
        // Counted again from Monday's opening: due 11:30, at risk 10:30 — not Saturday night.
        assert_eq!(stored.sla_due_at, Some(utc(7, 11, 30)), "{label}");
        assert_eq!(stored.sla_at_risk_at, Some(utc(7, 10, 30)), "{label}");
    }
}

#[tokio::test]
async fn a_lead_ending_a_pause_moves_the_clock_on_in_business_time() {
    let folder = tempfile::tempdir().unwrap();
    // The default office week: Monday–Friday 08:30–17:30, Europe/Amsterdam (UTC+1 in December).
    let office = switchboard_router::sla::SlaPolicy::default();
    let utc = amsterdam_december;
    for (label, store, url) in stores(folder.path()).await {
        let (ann, bob) = (agent(&store, "ann").await, agent(&store, "bob").await);
        let actions = [
            LeadAction::Reassign { agent: bob },
            LeadAction::Move {
                queue: "complaints".into(),
            },
        ];
        for (number, action) in actions.iter().enumerate() {
            let item = assigned_item(&store, &format!("lead-pause-{number}"), ann).await;
            let set = "UPDATE items SET sla_due_at = $1 WHERE id = $2";
            execute(&url, set, item, Some(utc(4, 17, 0))).await;
            let set = "UPDATE items SET sla_at_risk_at = $1 WHERE id = $2";
            execute(&url, set, item, Some(utc(4, 16, 0))).await;
            // Waiting on the customer from Friday 14:00 (3 business hours left) …
            store
                .change_item_status(
                    item,
                    StatusChange::Waiting,
                    &worker(ann, "ann"),
                    &office,
                    utc(4, 14, 0),
                )
                .await
                .unwrap();
            // … until a lead takes it on Saturday 11:00.
            let by = LeadOverride {
                actor: Actor::System,
                reason: Some("customer called".into()),
                at: utc(5, 11, 0),
            };
            store.lead_action(item, action, &by, &office).await.unwrap();
            let stored = store.item(item).await.unwrap().unwrap();
            assert_ne!(stored.status, ItemStatus::Waiting, "{label} {action:?}");
            // Counted again from Monday's opening, as when the agent resumes it themselves.
            assert_eq!(
                stored.sla_due_at,
                Some(utc(7, 11, 30)),
                "{label} {action:?}"
            );
            assert_eq!(
                stored.sla_at_risk_at,
                Some(utc(7, 10, 30)),
                "{label} {action:?}"
            );
            // The pause is over: marking it waiting again later starts a new one from there.
            let priority = LeadAction::Priority { priority: 70 };
            store
                .lead_action(item, &priority, &by, &office)
                .await
                .unwrap();
            let after = store.item(item).await.unwrap().unwrap();
            assert_eq!(after.sla_due_at, stored.sla_due_at, "{label} {action:?}");
        }
    }
}

#[tokio::test]
async fn a_change_decided_on_a_stale_state_is_a_conflict_and_leads_change_any_item() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, url) in stores(folder.path()).await {
        let ann = agent(&store, "ann").await;
        let item = assigned_item(&store, "race", ann).await;
        // The lead may change an item they do not own.
        store
            .change_item_status(
                item,
                StatusChange::Waiting,
                &lead(),
                &switchboard_tests::always_open_sla(),
                Utc::now(),
            )
            .await
            .unwrap();
        // The router's fenced writes see the bumped version: a decision on the old one is stale.
        let stale_version = version_of(&store, item).await - 1;
        execute(
            &url,
            "UPDATE items SET status = 'queued', updated_at = $1 WHERE id = $2",
            item,
            Some(Utc::now()),
        )
        .await;
        let stale = store
            .apply_decisions(&[assign(item, stale_version, ann)], Utc::now())
            .await
            .unwrap();
        assert_eq!(stale, vec![false], "{label}");
    }
}

#[tokio::test]
async fn notes_are_kept_in_order_by_their_authors_only() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, url) in stores(folder.path()).await {
        let (ann, bob) = (agent(&store, "ann").await, agent(&store, "bob").await);
        let item = assigned_item(&store, "notes", ann).await;
        let before = version_of(&store, item).await;
        let first = store
            .add_note(
                item,
                "  called the customer back  ",
                &worker(ann, "ann"),
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(first.text, "called the customer back", "{label}");
        store
            .add_note(item, "credit note approved", &lead(), Utc::now())
            .await
            .unwrap();
        let refused = store
            .add_note(item, "mine now", &worker(bob, "bob"), Utc::now())
            .await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))), "{label}");
        let blank = store
            .add_note(item, "   ", &worker(ann, "ann"), Utc::now())
            .await;
        assert!(matches!(blank, Err(CoreError::BadInput(_))), "{label}");
        let missing = store
            .add_note(WorkItemId::new(999_999), "x", &lead(), Utc::now())
            .await;
        assert!(
            matches!(missing, Err(CoreError::NotFound { .. })),
            "{label}"
        );

        let notes = store.notes_of(item).await.unwrap();
        let texts: Vec<&str> = notes.iter().map(|note| note.text.as_str()).collect();
        assert_eq!(
            texts,
            ["called the customer back", "credit note approved"],
            "{label}"
        );
        assert_eq!(notes[0].author, Actor::User { id: ann }, "{label}");
        assert_eq!(notes[1].author_name, "lead", "{label}");
        assert_eq!(version_of(&store, item).await, before + 2, "{label}");
        let actions = event_actions(&url, Some(item)).await;
        assert_eq!(
            actions
                .iter()
                .filter(|action| *action == "item.note_added")
                .count(),
            2,
            "{label}"
        );
    }
}

#[tokio::test]
async fn the_item_view_gathers_links_attachments_notes_thread_and_history() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let ann = agent(&store, "ann").await;
        let parent = assigned_item(&store, "parent", ann).await;
        let mut reply = NewItem::new(Channel::Email, "reply", Utc::now(), "see attached");
        reply.attachments.push(NewAttachment {
            file_name: "invoice.pdf".into(),
            declared_type: Some("application/pdf".into()),
            sniffed_type: Some("application/pdf".into()),
            content: b"%PDF-1.4 test".to_vec(),
        });
        let placement = ItemPlacement {
            status: ItemStatus::Queued,
            queue: Some("inbox".into()),
            parent_id: Some(parent),
            ..ItemPlacement::default()
        };
        let child = store.insert_item(&reply, &placement).await.unwrap();
        store
            .add_note(
                parent,
                "waiting for the invoice",
                &worker(ann, "ann"),
                Utc::now(),
            )
            .await
            .unwrap();

        let view = item_detail(store.as_ref(), parent).await.unwrap().unwrap();
        assert_eq!(view.reference, parent.reference(), "{label}");
        assert_eq!(view.queue.as_deref(), Some("inbox"), "{label}");
        assert_eq!(
            view.assigned_agent.as_ref().map(|login| login.as_str()),
            Some("ann")
        );
        assert_eq!(view.notes.len(), 1, "{label}");
        assert_eq!(view.assignments.len(), 1, "{label}");
        assert!(view.thread.parent.is_none(), "{label}");
        assert_eq!(view.thread.children.len(), 1, "{label}");
        assert_eq!(view.thread.children[0].item, child, "{label}");

        let child_view = item_detail(store.as_ref(), child).await.unwrap().unwrap();
        assert_eq!(
            child_view.thread.parent.map(|member| member.item),
            Some(parent)
        );
        assert_eq!(child_view.attachments.len(), 1, "{label}");
        let attachment = &child_view.attachments[0];
        assert_eq!(
            (attachment.file_name.as_str(), attachment.size),
            ("invoice.pdf", 13)
        );
        let found = store
            .attachment_of(child, attachment.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&found.attachment, attachment, "{label}");
        // Small, so kept in its row.
        assert_eq!(
            found.inline.as_deref().map(<[u8]>::len),
            Some(13),
            "{label}"
        );
        assert!(
            store
                .attachment_of(parent, attachment.id)
                .await
                .unwrap()
                .is_none(),
            "{label}"
        );
        assert!(
            item_detail(store.as_ref(), WorkItemId::new(999_999))
                .await
                .unwrap()
                .is_none()
        );
    }
}
