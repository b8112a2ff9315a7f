//! Test support: fresh databases for the conformance suite and end-to-end tests.
//!
//! SQLite always runs. PostgreSQL runs when `SWITCHBOARD_TEST_DATABASE_URL` names a server
//! (an admin connection, e.g. `postgres://postgres@127.0.0.1:5432/test`); each call creates a
//! new database there, so runs never see each other's data. Under CI (`CI` set) a missing URL
//! fails the test instead of skipping PostgreSQL silently.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "SWITCHBOARD_TEST_DATABASE_URL";

const PREFIX: &str = "sb_test_";

/// Returns the database URLs a test should run against: a new SQLite file under `folder`, and a
/// new PostgreSQL database when configured.
pub async fn database_urls(folder: &Path) -> Vec<String> {
    let mut urls = vec![sqlite_url(folder)];
    if let Some(url) = fresh_postgres_url().await {
        urls.push(url);
    }
    urls
}

/// A new SQLite database file under `folder`.
pub fn sqlite_url(folder: &Path) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let number = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("sqlite://{}/test-{number}.db", folder.display())
}

/// Creates a new PostgreSQL database and returns its URL; `None` when PostgreSQL is not
/// configured outside CI.
///
/// # Panics
/// When `CI` is set and PostgreSQL is not configured or not reachable: the PostgreSQL suite
/// must never be skipped silently there.
#[expect(
    clippy::panic,
    reason = "test support: a misconfigured CI must fail loudly"
)]
pub async fn fresh_postgres_url() -> Option<String> {
    let Ok(admin_url) = std::env::var(POSTGRES_ENV) else {
        if std::env::var_os("CI").is_some() {
            panic!("{POSTGRES_ENV} is not set under CI: the PostgreSQL suite must run there");
        }
        eprintln!("note: {POSTGRES_ENV} not set; PostgreSQL part of this test skipped");
        return None;
    };
    match create_database(&admin_url).await {
        Ok(url) => Some(url),
        Err(error) => panic!("cannot create a test database via {POSTGRES_ENV}: {error}"),
    }
}

async fn create_database(admin_url: &str) -> Result<String, sqlx::Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut admin = PgConnection::connect(admin_url).await?;
    drop_stale_databases(&mut admin).await?;
    let name = format!(
        "{PREFIX}{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await?;
    admin.close().await?;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _database)| base);
    Ok(format!("{base}/{name}"))
}

/// Drops test databases left by processes that no longer run.
async fn drop_stale_databases(admin: &mut PgConnection) -> Result<(), sqlx::Error> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'sb_test_%'")
            .fetch_all(&mut *admin)
            .await?;
    for name in names {
        let pid = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *admin)
            .await;
            if let Err(error) = dropped {
                eprintln!("note: could not drop stale test database {name}: {error}");
            }
        }
    }
    Ok(())
}
