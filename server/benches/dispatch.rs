//! End-to-end dispatch throughput on SQLite, and on PostgreSQL when
//! `SWITCHBOARD_TEST_DATABASE_URL` is set: items are persisted and the router is woken (the
//! events), the loop reads snapshots, plans routes, decides and persists fenced assignments,
//! each with its explanation and an audit event (checked in the database at the end).
//! Prints persisted assignments per second (target: at least 1,500/s).
//!
//! The backlog phase inserts items one by one and then routes them by rounds alone. The live
//! phase writes items as e-mail intake does: landed and completed in chunks of
//! [`FLOW_CHUNK`] per transaction (`Store::land_batch` then `Store::complete_inbounds`), waking
//! the running loop after each chunk, so the figure is the router's and not a one-row-per-commit
//! writer's. Progress is counted with one `COUNT` over open assignments.
//!
//! `cargo bench -p switchboard-server --bench dispatch` (`DISPATCH_ITEMS` sets the item count).
#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use switchboard_core::event::Actor;
use switchboard_core::inbound::NewInbound;
use switchboard_core::item::{Channel, ItemStatus, NewItem};
use switchboard_core::routing::AgentRoutingUpdate;
use switchboard_core::store::{InboundCompletion, ItemPlacement, Store};
use switchboard_core::user::{AgentStatus, NewUser, Role};
use switchboard_core::{Login, WorkItemId};
use switchboard_server::dispatch::{DispatchHandle, DispatchSettings};

const AGENTS: usize = 50;
/// Items per intake transaction in the live phase (the e-mail pipeline's chunk size).
const FLOW_CHUNK: usize = 64;

async fn prepare(store: &Arc<dyn Store>) {
    let rules = serde_json::json!({
        "version": 1,
        "default_queue": "inbox",
        "rules": [{ "name": "all", "queue": "inbox", "priority": 20 }]
    });
    let version = store
        .save_rule_set(&rules, true, "bench", Utc::now())
        .await
        .unwrap();
    store
        .activate_rule_set(version, &Actor::System, Utc::now())
        .await
        .unwrap();
    for number in 0..AGENTS {
        let login = format!("agent{number:03}");
        let id = store
            .create_user(&NewUser {
                login: Login::new(login),
                display_name: format!("Agent {number}"),
                role: Role::Agent,
                password_hash: None,
                agent_id: None,
            })
            .await
            .unwrap();
        let update = AgentRoutingUpdate {
            capacity: Some(i32::MAX),
            ..AgentRoutingUpdate::default()
        };
        store.update_agent_routing(id, &update).await.unwrap();
        store
            .set_agent_status(id, AgentStatus::Available, &Actor::System, Utc::now())
            .await
            .unwrap();
    }
}

fn new_item(number: usize) -> NewItem {
    NewItem::new(
        Channel::Email,
        format!("bench-{number}"),
        Utc::now(),
        "hello",
    )
}

fn queued() -> ItemPlacement {
    ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some("inbox".into()),
        priority: 20,
        ..ItemPlacement::default()
    }
}

async fn insert(store: &Arc<dyn Store>, number: usize) -> WorkItemId {
    store
        .insert_item(&new_item(number), &queued())
        .await
        .unwrap()
}

/// Lands and completes the items `numbers` in two transactions, as intake writes a chunk.
async fn insert_chunk(store: &Arc<dyn Store>, numbers: std::ops::Range<usize>) {
    let inbounds: Vec<NewInbound> = numbers
        .clone()
        .map(|number| NewInbound {
            channel: Channel::Email,
            source: format!("bench-{number}"),
            idem_key: format!("bench-{number}"),
            fingerprint: format!("{number:064x}"),
            blob: format!("bench/{number}"),
            raw: Some(b"hello".to_vec()),
            size: 5,
            received_at: Utc::now(),
        })
        .collect();
    let landings = store.land_batch(&inbounds).await.unwrap();
    let items: Vec<NewItem> = numbers.map(new_item).collect();
    let placement = queued();
    let completions: Vec<InboundCompletion<'_>> = landings
        .iter()
        .zip(&items)
        .map(|(landing, item)| InboundCompletion {
            inbound: landing.inbound.id,
            item,
            placement: &placement,
            replies_to: None,
        })
        .collect();
    store.complete_inbounds(&completions).await.unwrap();
}

/// Counts rows with one statement on a connection of the benchmark's own.
enum Counter {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Counter {
    async fn open(url: &str) -> Self {
        if switchboard_store::is_postgres(url) {
            Self::Postgres(sqlx::PgPool::connect(url).await.unwrap())
        } else {
            Self::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
        }
    }

    async fn count(&self, query: &'static str) -> usize {
        let count: i64 = match self {
            Self::Sqlite(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
            Self::Postgres(pool) => sqlx::query_scalar(query).fetch_one(pool).await,
        }
        .unwrap();
        usize::try_from(count).unwrap()
    }

    /// Open assignments.
    async fn assigned(&self) -> usize {
        self.count("SELECT COUNT(*) FROM assignments WHERE ended_at IS NULL")
            .await
    }

    /// Assignments made by the router that are open, carry an explanation and have their
    /// audit event.
    async fn persisted(&self) -> usize {
        self.count(
            "SELECT COUNT(*) FROM assignments a WHERE a.origin = 'router' \
             AND a.ended_at IS NULL AND a.explanation <> 'null' AND EXISTS (SELECT 1 FROM events e \
             WHERE e.item_id = a.item_id AND e.action = 'item.assigned')",
        )
        .await
    }
}

async fn run(label: &str, url: &str, items: usize) {
    let store = switchboard_store::open(url).await.unwrap();
    prepare(&store).await;
    let router = DispatchHandle::new(Arc::clone(&store), DispatchSettings::default());
    let counter = Counter::open(url).await;

    // A backlog routed by rounds alone.
    for number in 0..items {
        insert(&store, number).await;
    }
    let started = Instant::now();
    while counter.assigned().await < items {
        let summary = router.round().await.unwrap();
        assert!(
            summary.applied + summary.planned > 0,
            "a round made no progress"
        );
    }
    let backlog = started.elapsed();
    println!(
        "dispatch/backlog ({label}): {items} items routed and persisted in {backlog:?} = {:.0} assignments/s",
        items as f64 / backlog.as_secs_f64()
    );

    // Live flow: items persisted in intake's chunks, each chunk waking the running loop.
    let loop_task = tokio::spawn(router.clone().run(None));
    let started = Instant::now();
    for first in (items..2 * items).step_by(FLOW_CHUNK) {
        insert_chunk(&store, first..(first + FLOW_CHUNK).min(2 * items)).await;
        router.notify();
    }
    let inserted = started.elapsed();
    while counter.assigned().await < 2 * items {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let flow = started.elapsed();
    loop_task.abort();
    println!(
        "dispatch/flow ({label}): {items} items ingested in {inserted:?} ({:.0}/s, {FLOW_CHUNK} per transaction), all assigned after {flow:?} = {:.0} assignments/s end to end",
        items as f64 / inserted.as_secs_f64(),
        items as f64 / flow.as_secs_f64()
    );
    let complete = counter.persisted().await;
    assert_eq!(
        complete,
        2 * items,
        "{label}: every assignment persisted with its explanation and audit event"
    );
    println!(
        "dispatch ({label}): {complete} assignments in the database, each with explanation and audit event"
    );
}

fn main() {
    let items = std::env::var("DISPATCH_ITEMS")
        .ok()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(5_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // The figures depend on the machine being quiet: say how busy it was.
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!(
            "dispatch: machine load average (1/5/15 min) at start: {}",
            load.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    runtime.block_on(async {
        let folder = tempfile::tempdir().unwrap();
        for url in switchboard_store::testing::database_urls(folder.path()).await {
            let label = if switchboard_store::is_postgres(&url) {
                "postgres"
            } else {
                "sqlite"
            };
            run(label, &url, items).await;
        }
    });
}
