//! The PostgreSQL store, for several nodes sharing one system of record.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use switchboard_core::CoreError;
use switchboard_core::case::CaseRule;

use crate::error::db_error;
use crate::json_sql::Parameter;
use crate::sql_store::impl_store;

/// The Store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    cases: CaseRule,
}

impl PostgresStore {
    /// Connects to `url` and applies pending migrations. sqlx's migrator holds a PostgreSQL
    /// advisory lock while it runs, so nodes starting together migrate once.
    pub async fn open(url: &str) -> Result<Self, CoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(db_error)?;
        sqlx::migrate!("../migrations/postgres")
            .run(&pool)
            .await
            .map_err(|error| CoreError::Internal(format!("migration failed: {error}")))?;
        Ok(Self {
            pool,
            cases: CaseRule::default(),
        })
    }

    /// The pool writes go to: the same as reads, PostgreSQL writes concurrently.
    pub(crate) fn writer(&self) -> &PgPool {
        &self.pool
    }

    /// The text `statement` (a read-model statement of at most one row and one column) returns
    /// for its parameter `$1`; `None` without a row.
    pub(crate) async fn read_document(
        &self,
        statement: &str,
        parameter: Parameter,
    ) -> Result<Option<String>, CoreError> {
        let query = sqlx::query_scalar(sqlx::AssertSqlSafe(statement));
        match parameter {
            Parameter::Id(id) => query.bind(id),
            Parameter::Text(text) => query.bind(text),
        }
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error)
    }

    /// Groups items into cases by `rule` instead of the default.
    pub fn with_case_rule(mut self, rule: CaseRule) -> Self {
        self.cases = rule;
        self
    }
}

impl_store!(PostgresStore, sqlx::Postgres);
crate::routing_sql::impl_routing_store!(PostgresStore, sqlx::Postgres);
crate::feed_sql::impl_change_feed!(PostgresStore, sqlx::Postgres);
crate::work_sql::impl_item_work_store!(PostgresStore, sqlx::Postgres);
crate::outbox_sql::impl_outbox_store!(PostgresStore, sqlx::Postgres);
crate::session_sql::impl_session_store!(PostgresStore, sqlx::Postgres);
crate::item_view_sql::impl_item_view_store!(PostgresStore, sqlx::Postgres);
crate::link_sql::impl_link_edit_store!(PostgresStore, sqlx::Postgres);
crate::case_sql::impl_case_store!(PostgresStore, sqlx::Postgres);
crate::admin_sql::impl_admin_store!(PostgresStore, sqlx::Postgres);
crate::sla_sql::impl_sla_store!(PostgresStore, sqlx::Postgres);
crate::document_sql::impl_document_store!(PostgresStore, sqlx::Postgres);
crate::history_sql::impl_history_store!(PostgresStore, sqlx::Postgres);
crate::intake_sql::impl_intake_writes!(PostgresStore, sqlx::Postgres);
