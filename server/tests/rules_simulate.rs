//! `switchboard rules simulate --rules FILE --format json`, run as a real process: replays the
//! stored items against a candidate rule set and prints the JSON object DESIGN.md names
//! (`assignments`, `unassigned`, `queues`), without changing the database.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::Value;
use switchboard_core::item::{Channel, ItemStatus, NewItem};
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::user::{NewUser, Role};
use switchboard_core::{Login, WorkItemId};

/// Faxes move to a `paper` queue; letters need a skill no agent has; the rest stays in `inbox`.
const CANDIDATE_RULES: &str = r#"
version = 1
default_queue = "inbox"

[[rules]]
name = "faxes"
when = "channel == 'fax'"
queue = "paper"
priority = 30

[[rules]]
name = "letters"
when = "channel == 'letter'"
queue = "paper"
require = ["braille"]
"#;

async fn insert(store: &Arc<dyn Store>, channel: Channel, source: &str) -> WorkItemId {
    let received = Utc::now() - Duration::hours(1);
    let item = NewItem::new(channel, source, received, "hello");
    let placement = ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some("inbox".into()),
        priority: 20,
        ..ItemPlacement::default()
    };
    store.insert_item(&item, &placement).await.unwrap()
}

fn simulate(data_dir: &Path, url: &str, rules: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["rules", "simulate", "--format", "json", "--rules"])
        .arg(rules)
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .current_dir(data_dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "one JSON object: {stdout}"
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

fn ids(entries: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["item_id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

#[tokio::test]
async fn simulation_prints_the_json_contract_and_changes_nothing() {
    let folder = tempfile::tempdir().unwrap();
    let rules = folder.path().join("candidate.toml");
    std::fs::write(&rules, CANDIDATE_RULES).unwrap();
    for url in switchboard_store::testing::database_urls(folder.path()).await {
        let store = switchboard_store::open(&url).await.unwrap();
        for login in ["ann", "bob"] {
            store
                .create_user(&NewUser {
                    login: Login::new(login),
                    display_name: login.into(),
                    role: Role::Agent,
                    password_hash: None,
                    agent_id: None,
                })
                .await
                .unwrap();
        }
        let mail = insert(&store, Channel::Email, "mail").await;
        let fax = insert(&store, Channel::Fax, "fax").await;
        let letter = insert(&store, Channel::Letter, "letter").await;
        let before = store.routing_snapshot(Utc::now()).await.unwrap();

        let report = simulate(folder.path(), &url, &rules);

        assert_eq!(
            ids(&report["assignments"]),
            vec![mail.get(), fax.get()],
            "{report}"
        );
        for assignment in report["assignments"].as_array().unwrap() {
            let agent = assignment["agent"].as_str().unwrap();
            assert!(["ann", "bob"].contains(&agent), "{assignment}");
            assert!(
                assignment["wait_seconds"].as_i64().unwrap() >= 0,
                "{assignment}"
            );
            let expected_queue = if assignment["item_id"] == fax.get() {
                "paper"
            } else {
                "inbox"
            };
            assert_eq!(assignment["queue"], expected_queue, "{assignment}");
        }
        assert_eq!(ids(&report["unassigned"]), vec![letter.get()], "{report}");
        let unassigned = &report["unassigned"][0];
        assert_eq!(unassigned["queue"], "paper");
        let reason = unassigned["reason"].as_str().unwrap();
        assert!(
            reason.contains("braille"),
            "the reason names the skill: {reason}"
        );
        let paper = &report["queues"]["paper"];
        assert_eq!(paper["items"], 2, "{report}");
        assert_eq!(paper["assigned"], 1, "{report}");
        assert_eq!(paper["unassigned"], 1, "{report}");
        assert_eq!(paper["moved_in"], 2, "{report}");
        assert_eq!(report["queues"]["inbox"]["assigned"], 1, "{report}");

        let after = store.routing_snapshot(Utc::now()).await.unwrap();
        assert_eq!(
            serde_json::to_value(&after.items).unwrap(),
            serde_json::to_value(&before.items).unwrap(),
            "the simulation changes no item"
        );
        for item in [mail, fax, letter] {
            assert!(store.assignments_of(item).await.unwrap().is_empty());
        }
    }
}
