//! The SQLite store: one file under the data dir, WAL, foreign keys on.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use switchboard_core::CoreError;
use switchboard_core::case::CaseRule;

use crate::error::db_error;
use crate::inline_reads::InlineReads;
use crate::json_sql::Parameter;
use crate::sql_store::impl_store;
use crate::wal_checkpoint::{Checkpointer, WRITER_BACKSTOP_PAGES};

/// Page cache per connection, in KiB (SQLite's default is 2 MiB).
const PAGE_CACHE_KIB: u32 = 32 * 1024;

/// Most of the database file read through a memory map.
const MEMORY_MAP_BYTES: u64 = 1 << 30;

/// How every connection reads pages (sqlx's and the inline readers'): through a memory map and
/// a larger page cache instead of a system call and a copy each. Intake, routing and the
/// indexer read the same recent pages over and over, and pages read at random (the item view's
/// timeline) cost no system call. The price: after any write, each connection's next read
/// unmaps the whole map and faults its pages in again. Without the map, searches at 1M items
/// while 200 items/s arrived were faster (one-term p99 5.98 -> 5.35 ms) but the item view
/// served 27 % fewer requests (3,558 -> 2,613 req/s with a few writes a second, back to back).
fn read_pragmas() -> [(&'static str, String); 2] {
    [
        ("cache_size", format!("-{PAGE_CACHE_KIB}")),
        ("mmap_size", MEMORY_MAP_BYTES.to_string()),
    ]
}

/// The Store on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The one connection that writes ([`SqliteStore::open`]).
    writer: SqlitePool,
    /// The pages' read-model statements, run in the calling thread ([`InlineReads`]).
    reads: Arc<InlineReads>,
    /// Copies the write-ahead log back off the writer's path ([`Checkpointer`]).
    _checkpointer: Arc<Checkpointer>,
    cases: CaseRule,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self, CoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|error| CoreError::BadInput(format!("database_url: {error}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let options = read_pragmas()
            .into_iter()
            .fold(options, |options, (name, value)| {
                options.pragma(name, value)
            });
        let reads = InlineReads::new(
            options.get_filename(),
            read_pragmas()
                .iter()
                .map(|(name, value)| format!("PRAGMA {name} = {value};"))
                .collect(),
        );
        let folder = options.get_filename().parent();
        if let Some(parent) = folder.filter(|parent| !parent.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|error| {
                CoreError::Unavailable(format!("database folder {} ({error})", parent.display()))
            })?;
        }
        // A connection to a local file does not break: checking each one on acquire (a round
        // trip to its worker thread) would double the cost of every query.
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(db_error)?;
        // SQLite writes one transaction at a time. Writers of this process queue for one
        // connection, each woken as soon as the one before it is done; with a connection each,
        // the losers slept in SQLite's busy handler (1, 2, 5, 10 ms... per retry), 1.7 s of
        // waits in 4 s of the intake bench. Other processes (`switchboard ingest`) still meet
        // the busy timeout.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(
                options
                    .clone()
                    .pragma("wal_autocheckpoint", WRITER_BACKSTOP_PAGES.to_string()),
            )
            .await
            .map_err(db_error)?;
        sqlx::migrate!("../migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|error| CoreError::Internal(format!("migration failed: {error}")))?;
        let checkpointer = Checkpointer::start(options.get_filename())
            .map_err(|error| CoreError::Unavailable(format!("WAL checkpoint thread ({error})")))?;
        Ok(Self {
            pool,
            writer,
            reads: Arc::new(reads),
            _checkpointer: Arc::new(checkpointer),
            cases: CaseRule::default(),
        })
    }

    /// The pool writes go to: one connection ([`SqliteStore::open`]).
    pub(crate) fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// The text `statement` (a read-model statement of at most one row and one column) returns
    /// for its parameter `$1`; `None` without a row.
    pub(crate) async fn read_document(
        &self,
        statement: &str,
        parameter: Parameter,
    ) -> Result<Option<String>, CoreError> {
        match &parameter {
            Parameter::Id(id) => self.reads.text(statement, id),
            Parameter::Text(text) => self.reads.text(statement, text),
        }
    }

    /// The connection pool (tests that ask SQLite how it runs a statement).
    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Groups items into cases by `rule` instead of the default.
    pub fn with_case_rule(mut self, rule: CaseRule) -> Self {
        self.cases = rule;
        self
    }
}

impl_store!(SqliteStore, sqlx::Sqlite);
crate::routing_sql::impl_routing_store!(SqliteStore, sqlx::Sqlite);
crate::feed_sql::impl_change_feed!(SqliteStore, sqlx::Sqlite);
crate::work_sql::impl_item_work_store!(SqliteStore, sqlx::Sqlite);
crate::outbox_sql::impl_outbox_store!(SqliteStore, sqlx::Sqlite);
crate::session_sql::impl_session_store!(SqliteStore, sqlx::Sqlite);
crate::item_view_sql::impl_item_view_store!(SqliteStore, sqlx::Sqlite);
crate::link_sql::impl_link_edit_store!(SqliteStore, sqlx::Sqlite);
crate::case_sql::impl_case_store!(SqliteStore, sqlx::Sqlite);
crate::admin_sql::impl_admin_store!(SqliteStore, sqlx::Sqlite);
crate::sla_sql::impl_sla_store!(SqliteStore, sqlx::Sqlite);
crate::document_sql::impl_document_store!(SqliteStore, sqlx::Sqlite);
crate::history_sql::impl_history_store!(SqliteStore, sqlx::Sqlite);
crate::intake_sql::impl_intake_writes!(SqliteStore, sqlx::Sqlite);
