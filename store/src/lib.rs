//! The system of record: the [`Store`] port on SQLite (default) or PostgreSQL, and the
//! content-addressed blob store for raw inputs and attachments.

mod admin_sql;
mod bind;
pub mod blob;
mod case_sql;
mod classify;
mod document_sql;
mod error;
mod feed_sql;
mod history_sql;
mod inline_reads;
mod intake_sql;
mod item_view_sql;
mod json_sql;
mod json_time;
mod link_sql;
mod master_sql;
mod outbox_sql;
pub mod postgres;
#[cfg(test)]
mod query_plans;
mod routing_sql;
mod rows;
mod session_sql;
mod sla_sql;
mod sql_store;
pub mod sqlite;
#[cfg(feature = "testing")]
pub mod testing;
mod wal_checkpoint;
mod work_sql;

use std::sync::Arc;

pub use blob::BlobStore;
use switchboard_core::CoreError;
use switchboard_core::case::CaseRule;
use switchboard_core::store::Store;

/// Opens the store a `database_url` names: `postgres://` (or `postgresql://`) selects
/// PostgreSQL, `sqlite:` SQLite. Pending migrations are applied before it returns.
pub async fn open(database_url: &str) -> Result<Arc<dyn Store>, CoreError> {
    open_with(database_url, CaseRule::default()).await
}

/// Opens the store like [`open`], grouping items into cases by `cases`.
pub async fn open_with(database_url: &str, cases: CaseRule) -> Result<Arc<dyn Store>, CoreError> {
    if is_postgres(database_url) {
        let store = postgres::PostgresStore::open(database_url).await?;
        Ok(Arc::new(store.with_case_rule(cases)))
    } else if database_url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::open(database_url).await?;
        Ok(Arc::new(store.with_case_rule(cases)))
    } else {
        Err(CoreError::BadInput(format!(
            "database_url must start with sqlite: or postgres://, got {:?}",
            redact_url(database_url)
        )))
    }
}

/// Tells whether a URL names PostgreSQL.
pub fn is_postgres(database_url: &str) -> bool {
    database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")
}

/// Removes a password from a database URL, for messages and logs.
pub fn redact_url(database_url: &str) -> String {
    let Some((scheme, rest)) = database_url.split_once("://") else {
        return database_url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => database_url.to_owned(),
        },
        None => database_url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_passwords_only() {
        assert_eq!(
            redact_url("postgres://sb:secret@db:5432/sb"),
            "postgres://sb:***@db:5432/sb"
        );
        assert_eq!(
            redact_url("sqlite://data/switchboard.db"),
            "sqlite://data/switchboard.db"
        );
    }
}
