//! Both dialects' migration folders must list the same versions.

use std::collections::BTreeSet;
use std::path::Path;
use std::str::FromStr;

use switchboard_core::inbound::InboundState;

fn versions(dialect: &str) -> BTreeSet<String> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../migrations")
        .join(dialect);
    std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .map(|name| name.split('_').next().unwrap().to_owned())
        .collect()
}

#[test]
fn sqlite_and_postgres_list_the_same_versions() {
    let sqlite = versions("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, versions("postgres"));
}

/// Migration 0026 moved raw inputs out of their inbound rows.
const RAW_TABLE_VERSION: i64 = 26;

/// Inserts two landed inputs as the schema before 0026 kept them: one with its raw bytes in
/// the row, one whose bytes are a blob file (`raw` NULL).
const LANDED_BEFORE_RAW_TABLE: &str = "INSERT INTO inbound (channel, source, idem_key, \
    fingerprint, blob, raw, size, received_at, state, created_at, updated_at) VALUES \
    ('email', 'inline.eml', 'k1', 'f1', 'b1', {raw}, 9, '2026-01-01T00:00:00Z', 'landed', \
    '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'), \
    ('email', 'large.eml', 'k2', 'f2', 'b2', NULL, 300000, '2026-01-01T00:00:00Z', 'landed', \
    '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')";

/// Brings the database of `pool` to the migrations of `dialect` before `version`, runs
/// `statement` on it and closes the pool.
macro_rules! seed_before {
    ($pool:expr, $dialect:expr, $version:expr, $statement:expr) => {{
        let pool = $pool;
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../migrations")
            .join($dialect);
        let mut migrator = sqlx::migrate::Migrator::new(folder).await.unwrap();
        migrator.migrations = migrator
            .migrations
            .iter()
            .filter(|migration| migration.version < $version)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        migrator.run(&pool).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe($statement))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }};
}

#[tokio::test]
async fn inputs_landed_before_the_raw_table_keep_their_bytes() {
    let folder = tempfile::tempdir().unwrap();
    for url in switchboard_store::testing::database_urls(folder.path()).await {
        if url.starts_with("sqlite:") {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
                .unwrap()
                .create_if_missing(true);
            seed_before!(
                sqlx::SqlitePool::connect_with(options).await.unwrap(),
                "sqlite",
                RAW_TABLE_VERSION,
                LANDED_BEFORE_RAW_TABLE.replace("{raw}", "X'72617720627974657321'")
            );
        } else {
            seed_before!(
                sqlx::PgPool::connect(&url).await.unwrap(),
                "postgres",
                RAW_TABLE_VERSION,
                LANDED_BEFORE_RAW_TABLE.replace("{raw}", "'\\x72617720627974657321'::bytea")
            );
        }
        let store = switchboard_store::open(&url).await.unwrap();
        let landed = store
            .inbound_in_state(InboundState::Landed, None, 10)
            .await
            .unwrap();
        let raw_of = |source: &str| {
            let inbound = landed
                .iter()
                .find(|inbound| inbound.source == source)
                .unwrap();
            store.inbound_raw(inbound.id)
        };
        assert_eq!(
            raw_of("inline.eml").await.unwrap().as_deref(),
            Some(&b"raw bytes!"[..]),
            "{url}"
        );
        assert_eq!(raw_of("large.eml").await.unwrap(), None, "{url}");
    }
}

/// Migration 0028: intake's large values are compressed with lz4 on PostgreSQL.
#[tokio::test]
async fn intake_values_are_lz4_compressed_on_postgres() {
    let Some(url) = switchboard_store::testing::fresh_postgres_url().await else {
        return;
    };
    let store = switchboard_store::open(&url).await.unwrap();
    // Varied text, long enough to be moved out of line and compressed.
    let text: String = (0..800)
        .map(|line| format!("order line {line}: {} x SKU-{line:05}\n", line % 7 + 1))
        .collect();
    let mut item = switchboard_core::item::NewItem::new(
        switchboard_core::item::Channel::Email,
        "long.eml",
        chrono::Utc::now(),
        "a long order",
    );
    item.text = text;
    store
        .insert_item(&item, &switchboard_core::store::ItemPlacement::default())
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let methods: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT attrelid::regclass::text, attname::text, attcompression::text FROM pg_attribute \
         WHERE (attrelid, attname) IN (('inbound_raw'::regclass, 'raw'), \
         ('items'::regclass, 'text'), ('items'::regclass, 'html'), \
         ('items'::regclass, 'details'), ('attachments'::regclass, 'content')) \
         ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(methods.len(), 5);
    for (table, column, method) in &methods {
        assert_eq!(method, "l", "{table}.{column}");
    }
    let stored: Option<String> = sqlx::query_scalar(
        "SELECT pg_column_compression(text) FROM items WHERE source = 'long.eml'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored.as_deref(), Some("lz4"));
}
