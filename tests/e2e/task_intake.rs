//! Tasks from the task API: concurrent first posts of one external id make one item on SQLite
//! and PostgreSQL, and a new task is routed at once, not at the router's next timer.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use switchboard_channels::task::{ValidTask, parse_payload, validate};
use switchboard_core::event::Actor;
use switchboard_core::item::ItemStatus;
use switchboard_core::routing::AgentRoutingUpdate;
use switchboard_core::store::Store;
use switchboard_core::user::{AgentStatus, NewUser, Role};
use switchboard_core::{Login, WorkItemId};
use switchboard_server::dispatch::{DispatchHandle, DispatchSettings};
use switchboard_server::pipeline::Pipeline;
use switchboard_store::BlobStore;
use switchboard_tests::stores;

fn task(external_id: &str, title: &str) -> ValidTask {
    let payload = serde_json::json!({ "external_id": external_id, "title": title });
    validate(&parse_payload(payload.to_string().as_bytes()).unwrap()).unwrap()
}

async fn pipeline(store: &Arc<dyn Store>, blobs: &std::path::Path) -> Pipeline {
    Pipeline::new(
        store.clone(),
        BlobStore::new(blobs.to_path_buf()),
        switchboard_server::Config::default().pipeline_settings(),
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_posts_of_one_external_id_make_one_item() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let pipeline = Arc::new(pipeline(&store, &folder.path().join(&label)).await);
        let posts: Vec<_> = (0..8)
            .map(|_| {
                let pipeline = pipeline.clone();
                tokio::spawn(async move {
                    pipeline
                        .submit_task(&task("crm-race-1", "Terugbellen"))
                        .await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for post in posts {
            outcomes.push(
                post.await
                    .unwrap()
                    .unwrap_or_else(|error| panic!("{label}: a concurrent post failed: {error}")),
            );
        }
        let first = outcomes[0].0;
        assert!(
            outcomes.iter().all(|(item, _)| *item == first),
            "{label}: {outcomes:?}"
        );
        let created = outcomes.iter().filter(|(_, created)| *created).count();
        assert_eq!(
            created, 1,
            "{label}: exactly one post creates: {outcomes:?}"
        );
        assert_eq!(store.count_items().await.unwrap(), 1, "{label}");
    }
}

async fn status_of(store: &Arc<dyn Store>, item: WorkItemId) -> ItemStatus {
    store.item(item).await.unwrap().unwrap().status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_task_is_routed_without_waiting_for_a_timer() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let rules = serde_json::json!({ "version": 1, "default_queue": "inbox" });
    let version = store
        .save_rule_set(&rules, true, "test", Utc::now())
        .await
        .unwrap();
    store
        .activate_rule_set(version, &Actor::System, Utc::now())
        .await
        .unwrap();
    let agent = store
        .create_user(&NewUser {
            login: Login::new("ann"),
            display_name: "Ann".into(),
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
    store.update_agent_routing(agent, &roomy).await.unwrap();
    store
        .set_agent_status(agent, AgentStatus::Available, &Actor::System, Utc::now())
        .await
        .unwrap();
    // The router would otherwise look again only after an hour.
    let router = DispatchHandle::new(
        store.clone(),
        DispatchSettings {
            idle_tick: Duration::from_secs(3600),
            ..DispatchSettings::default()
        },
    );
    tokio::spawn(router.clone().run(None));
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Control: a pipeline that does not wake the router leaves the task waiting.
    let silent = pipeline(&store, &folder.path().join("blobs")).await;
    let (unannounced, _) = silent
        .submit_task(&task("crm-quiet", "Stil"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status_of(&store, unannounced).await, ItemStatus::Queued);

    let waking = silent.waking(router);
    let (announced, _) = waking
        .submit_task(&task("crm-loud", "Terugbellen"))
        .await
        .unwrap();
    for _ in 0..100 {
        if status_of(&store, announced).await == ItemStatus::Assigned {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the task was not routed within five seconds: {:?}",
        status_of(&store, announced).await
    );
}
