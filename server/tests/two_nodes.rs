//! Two `switchboard serve` nodes on one PostgreSQL database: exactly one routes at a time. Items
//! keep flowing in while the routing node is killed with SIGKILL; the other takes over within
//! five seconds and every item ends assigned exactly once.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::postgres::PgPool;
use switchboard_core::event::Actor;
use switchboard_core::item::{Channel, ItemStatus, NewItem};
use switchboard_core::routing::AgentRoutingUpdate;
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::user::{AgentStatus, NewUser, Role};
use switchboard_core::{Login, WorkItemId};
use switchboard_server::dispatch::leader::ROUTER_LOCK_KEY;

/// Kills the node when the test ends, however it ends.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_node(data_dir: &Path, url: &str) -> Node {
    let child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("serve")
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_DATABASE_URL", url)
        .env("SWITCHBOARD_LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "warn")
        .current_dir(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Node(child)
}

/// The backend holding the router lock, if any.
async fn lock_holder(pool: &PgPool) -> Option<i32> {
    let high = ROUTER_LOCK_KEY >> 32;
    let low = ROUTER_LOCK_KEY & 0xffff_ffff;
    sqlx::query_scalar(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
         AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 1 \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .bind(high)
    .bind(low)
    .fetch_optional(pool)
    .await
    .unwrap()
}

async fn wait_for_lock(pool: &PgPool, other_than: Option<i32>) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(pid) = lock_holder(pool)
            .await
            .filter(|pid| Some(*pid) != other_than)
        {
            return pid;
        }
        assert!(Instant::now() < deadline, "no node took the router lock");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn insert_item(store: &Arc<dyn Store>, number: usize) -> WorkItemId {
    let item = NewItem::new(
        Channel::Email,
        format!("flow-{number}"),
        Utc::now(),
        "hello",
    );
    let placement = ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some("inbox".into()),
        ..ItemPlacement::default()
    };
    store.insert_item(&item, &placement).await.unwrap()
}

async fn assigned_at(pool: &PgPool, item: WorkItemId) -> Option<chrono::DateTime<Utc>> {
    sqlx::query_scalar("SELECT MIN(created_at) FROM assignments WHERE item_id = $1")
        .bind(item.get())
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_node_takes_over_and_nothing_is_assigned_twice() {
    let Some(url) = switchboard_store::testing::fresh_postgres_url().await else {
        eprintln!("note: PostgreSQL not configured; the two-node test is skipped");
        return;
    };
    let store = switchboard_store::open(&url).await.unwrap();
    let pool = PgPool::connect(&url).await.unwrap();
    let rules = serde_json::json!({ "version": 1, "default_queue": "inbox" });
    let version = store
        .save_rule_set(&rules, true, "test", Utc::now())
        .await
        .unwrap();
    store
        .activate_rule_set(version, &Actor::System, Utc::now())
        .await
        .unwrap();
    for login in ["ann", "bob", "cas"] {
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
        let roomy = AgentRoutingUpdate {
            capacity: Some(1_000_000),
            ..AgentRoutingUpdate::default()
        };
        store.update_agent_routing(id, &roomy).await.unwrap();
        store
            .set_agent_status(id, AgentStatus::Available, &Actor::System, Utc::now())
            .await
            .unwrap();
    }
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut first = start_node(dir_a.path(), &url);
    let first_pid = wait_for_lock(&pool, None).await;
    let _second = start_node(dir_b.path(), &url);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        lock_holder(&pool).await,
        Some(first_pid),
        "the first node keeps routing"
    );

    let mut items = Vec::new();
    for number in 0..100 {
        items.push(insert_item(&store, number).await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.0.kill().unwrap();
    let killed_at = Utc::now();
    let killed = Instant::now();
    let mut after_kill = Vec::new();
    for number in 100..300 {
        let item = insert_item(&store, number).await;
        items.push(item);
        after_kill.push(item);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    wait_for_lock(&pool, Some(first_pid)).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let open: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM items WHERE status <> 'assigned'")
            .fetch_one(&pool)
            .await
            .unwrap();
        if open == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{open} items never assigned");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut first_after_kill = None;
    for item in &after_kill {
        let at = assigned_at(&pool, *item).await.unwrap();
        first_after_kill =
            Some(first_after_kill.map_or(at, |first: chrono::DateTime<Utc>| first.min(at)));
    }
    let takeover = (first_after_kill.unwrap() - killed_at)
        .to_std()
        .unwrap_or_default();
    eprintln!(
        "takeover: first assignment {takeover:?} after SIGKILL (test waited {:?})",
        killed.elapsed()
    );
    assert!(
        takeover < Duration::from_secs(5),
        "takeover took {takeover:?}"
    );
    let twice: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT item_id FROM assignments GROUP BY item_id \
         HAVING COUNT(*) <> 1) AS doubled",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(twice, 0, "every item is assigned exactly once");
    let assigned: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT item_id) FROM assignments")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(assigned, i64::try_from(items.len()).unwrap());
}
