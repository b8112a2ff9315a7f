//! Shared helpers for the end-to-end tests: paths to the shared corpus, stores on every
//! configured database, and an in-process app with an API token.

pub mod dovecot;
pub mod linked_items;
pub mod smtp_sink;
pub mod ui_session;

use std::path::PathBuf;
use std::sync::Arc;

use switchboard_core::master::MasterKind;
use switchboard_core::store::Store;
use switchboard_core::user::Role;

/// The shared corpus folder (`../shared/corpus` beside the checkout).
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus")
}

/// The development master data.
pub fn master_dir() -> PathBuf {
    corpus_dir().join("dev/master")
}

/// Counts the data rows of a master-data CSV file.
pub fn csv_rows(kind: MasterKind) -> u64 {
    let path = master_dir().join(kind.file_name());
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    reader
        .byte_records()
        .map(|record| record.map(|_| 1).unwrap_or(0))
        .sum()
}

/// A store on each configured database: (label, store, url).
pub async fn stores(folder: &std::path::Path) -> Vec<(String, Arc<dyn Store>, String)> {
    let mut stores = Vec::new();
    for url in switchboard_store::testing::database_urls(folder).await {
        let label = if switchboard_store::is_postgres(&url) {
            "postgres"
        } else {
            "sqlite"
        };
        let store = switchboard_store::open(&url)
            .await
            .unwrap_or_else(|error| panic!("cannot open {label} store: {error}"));
        stores.push((label.to_owned(), store, url));
    }
    stores
}

/// Creates an API token with a role and returns its plaintext.
pub async fn token(store: &Arc<dyn Store>, role: Role) -> String {
    let (plaintext, token) = switchboard_web::auth::new_api_token(&format!("test {role}"), role);
    store
        .create_api_token(&token, chrono::Utc::now())
        .await
        .unwrap_or_else(|error| panic!("cannot create token: {error}"));
    plaintext
}

/// The `Authorization` header of a request made with an API token.
pub fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// The corpus company's own identity, as an installation would configure it.
pub fn velora_config(data_dir: &std::path::Path) -> switchboard_server::Config {
    let organisation = switchboard_server::config::Organisation {
        own_addresses: [
            "klantenservice",
            "customerservice",
            "kundenservice",
            "serviceclient",
            "orders",
        ]
        .iter()
        .map(|mailbox| format!("{mailbox}@velora.example.nl"))
        .collect(),
        internal_domains: vec!["velora.example.nl".into()],
        own_numbers: vec!["+31 23 555 0199".into(), "+31 23 555 0100".into()],
        default_region: None,
        reference_secret: Some("test-reference-secret".into()),
    };
    switchboard_server::Config {
        data_dir: data_dir.to_path_buf(),
        organisation,
        ..switchboard_server::Config::default()
    }
}

/// Imports the development master data.
pub async fn import_master(store: &Arc<dyn Store>) {
    let inputs = MasterKind::ALL
        .iter()
        .map(|kind| {
            let content = std::fs::read(master_dir().join(kind.file_name()))
                .unwrap_or_else(|error| panic!("cannot read {kind}: {error}"));
            (
                *kind,
                switchboard_server::master_csv::read(*kind, &content).0,
            )
        })
        .collect();
    switchboard_core::import::import(store.as_ref(), inputs)
        .await
        .unwrap_or_else(|error| panic!("import failed: {error}"))
        .unwrap_or_else(|rejected| panic!("master data rejected: {rejected:?}"));
}

/// The truth rows of a channel, keyed by the base name of the item's first file.
pub fn truth_rows(channel: &str) -> std::collections::HashMap<String, serde_json::Value> {
    let path = corpus_dir().join("dev/truth.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    text.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|row| row["channel"] == channel)
        .filter_map(|row| {
            let first = row["files"][0].as_str()?.rsplit('/').next()?.to_owned();
            Some((first, row))
        })
        .collect()
}

/// A SQLite store under `folder` holding the development master data, and the ingest pipeline
/// configured as the corpus company.
pub async fn corpus_pipeline(
    folder: &std::path::Path,
) -> (Arc<dyn Store>, switchboard_server::pipeline::Pipeline) {
    let config = velora_config(folder);
    let url = switchboard_store::testing::sqlite_url(folder);
    let store = switchboard_store::open(&url)
        .await
        .unwrap_or_else(|error| panic!("cannot open the store: {error}"));
    import_master(&store).await;
    let pipeline = switchboard_server::pipeline::Pipeline::new(
        store.clone(),
        switchboard_store::BlobStore::new(config.blob_dir()),
        config.pipeline_settings(),
    )
    .await
    .unwrap_or_else(|error| panic!("cannot start the pipeline: {error}"));
    (store, pipeline)
}

/// The files of a corpus folder (e.g. `dev/email`), sorted by name.
pub fn corpus_files(folder: &str) -> Vec<PathBuf> {
    let path = corpus_dir().join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&path)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", path.display()))
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    files.sort();
    files
}

/// Creates a user who signs in with `password`; returns their id.
pub async fn user_with_password(
    store: &Arc<dyn Store>,
    login: &str,
    role: Role,
    password: &str,
) -> switchboard_core::UserId {
    let password_hash = switchboard_web::auth::hash_password(password)
        .unwrap_or_else(|error| panic!("cannot hash: {error}"));
    store
        .create_user(&switchboard_core::user::NewUser {
            login: switchboard_core::Login::new(login),
            display_name: format!("Test {login}"),
            role,
            password_hash: Some(password_hash),
            agent_id: None,
        })
        .await
        .unwrap_or_else(|error| panic!("cannot create user {login}: {error}"))
}

/// The id of the user who signs in as `login`.
pub async fn user_id(store: &Arc<dyn Store>, login: &str) -> switchboard_core::UserId {
    store
        .user_credentials(&switchboard_core::Login::new(login))
        .await
        .unwrap_or_else(|error| panic!("cannot read user {login}: {error}"))
        .unwrap_or_else(|| panic!("no user {login}"))
        .user
        .id
}

/// An 8 kHz mono 16-bit PCM WAV file of `samples` samples, each sample's level from `level`.
pub fn pcm_wav(samples: u32, level: impl Fn(u32) -> i16) -> Vec<u8> {
    let data_len = samples * 2;
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data_len).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16_u32.to_le_bytes());
    wav.extend_from_slice(&1_u16.to_le_bytes());
    wav.extend_from_slice(&1_u16.to_le_bytes());
    wav.extend_from_slice(&8_000_u32.to_le_bytes());
    wav.extend_from_slice(&16_000_u32.to_le_bytes());
    wav.extend_from_slice(&2_u16.to_le_bytes());
    wav.extend_from_slice(&16_u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data_len.to_le_bytes());
    for sample in 0..samples {
        wav.extend_from_slice(&level(sample).to_le_bytes());
    }
    wav
}

/// An SLA policy whose calendar is always open: a pause moves a clock on by the wall-clock time
/// waited (tests that are not about business hours).
pub fn always_open_sla() -> switchboard_router::sla::SlaPolicy {
    switchboard_router::sla::SlaPolicy::new(
        switchboard_router::sla::BusinessCalendar::always_open(),
        Vec::new(),
        1.0,
    )
    .unwrap_or_else(|error| panic!("the always-open policy is valid: {error}"))
}

/// Waits until the store holds `expected` items (failing after `within`, or on more).
pub async fn wait_for_items(store: &Arc<dyn Store>, expected: i64, within: std::time::Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let count = store
            .count_items()
            .await
            .unwrap_or_else(|error| panic!("cannot count items: {error}"));
        if count >= expected {
            assert_eq!(count, expected, "more items than messages");
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{count} of {expected} items after {within:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The latest audit events of `action` (at most 10, newest first) as the `source` each names and
/// its details as JSON text, for checking who changed a setting and that no secret was recorded.
pub async fn audited_changes(store: &Arc<dyn Store>, action: &str) -> Vec<(String, String)> {
    store
        .recent_events(action, 10)
        .await
        .unwrap_or_else(|error| panic!("cannot read {action} events: {error}"))
        .into_iter()
        .map(|event| {
            let source = event.details["source"]
                .as_str()
                .unwrap_or_else(|| panic!("{action} event without a source: {}", event.details))
                .to_owned();
            (source, event.details.to_string())
        })
        .collect()
}

/// The bytes of an item's attachment, from its row or the blob store, wherever they are kept.
pub async fn attachment_bytes(
    store: &Arc<dyn Store>,
    blobs: &switchboard_store::BlobStore,
    item: switchboard_core::WorkItemId,
    attachment: &switchboard_core::item::Attachment,
) -> Vec<u8> {
    let stored = store
        .attachment_of(item, attachment.id)
        .await
        .unwrap_or_else(|error| panic!("cannot read attachment: {error}"))
        .unwrap_or_else(|| panic!("item {item} has no attachment {}", attachment.id));
    match stored.inline {
        Some(bytes) => bytes,
        None => blobs
            .get(&attachment.blob)
            .unwrap_or_else(|error| panic!("attachment bytes missing: {error}")),
    }
}
