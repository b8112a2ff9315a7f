//! The [`AdminStore`](switchboard_core::admin::AdminStore) implementation, written once and
//! expanded for each database by [`impl_admin_store!`], like `sql_store.rs`.

use chrono::{DateTime, Utc};
use switchboard_core::admin::ApiTokenListing;
use switchboard_core::event::{Actor, AuditEvent};
use switchboard_core::user::Role;
use switchboard_core::{ApiTokenId, CoreError, EventId, WorkItemId};

use crate::rows::parse_enum;

/// An API token row as listed.
#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub prefix: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiTokenRow {
    pub(crate) fn into_listing(self) -> Result<ApiTokenListing, CoreError> {
        Ok(ApiTokenListing {
            id: ApiTokenId::new(self.id),
            name: self.name,
            role: parse_enum("role", &self.role, Role::parse)?,
            prefix: self.prefix,
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
        })
    }
}

/// An audit event row.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: sqlx::types::Json<Actor>,
    pub action: String,
    pub item_id: Option<i64>,
    pub details: sqlx::types::Json<serde_json::Value>,
}

impl EventRow {
    pub(crate) fn into_event(self) -> AuditEvent {
        AuditEvent {
            id: EventId::new(self.id),
            at: self.at,
            actor: self.actor.0,
            action: self.action,
            item_id: self.item_id.map(WorkItemId::new),
            details: self.details.0,
        }
    }
}

/// Implements [`AdminStore`](switchboard_core::admin::AdminStore) on `$store` for `$db`.
macro_rules! impl_admin_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::admin::AdminStore for $store {
            #[tracing::instrument(skip_all)]
            async fn set_user_active(
                &self,
                login: &switchboard_core::Login,
                active: bool,
            ) -> switchboard_core::error::CoreResult<()> {
                self.update_user("UPDATE users SET active = $1 WHERE login = $2", active, login)
                    .await
            }

            #[tracing::instrument(skip_all)]
            async fn api_tokens(
                &self,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::admin::ApiTokenListing>>
            {
                let rows: Vec<$crate::admin_sql::ApiTokenRow> = sqlx::query_as(
                    "SELECT id, name, role, prefix, created_at, last_used_at, revoked_at \
                     FROM api_tokens ORDER BY id DESC",
                )
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                rows.into_iter()
                    .map($crate::admin_sql::ApiTokenRow::into_listing)
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn revoke_api_token(
                &self,
                id: switchboard_core::ApiTokenId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                let revoke = sqlx::query(
                    "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2",
                )
                .bind(at)
                .bind(id.get());
                self.update_one(revoke, || format!("API token {id}")).await
            }

            #[tracing::instrument(skip_all)]
            async fn touch_api_token(
                &self,
                id: switchboard_core::ApiTokenId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(id.get())
                    .execute(self.writer())
                    .await
                    .map(|_| ())
                    .map_err($crate::error::db_error)
            }

            #[tracing::instrument(skip_all)]
            async fn audit_events(
                &self,
                query: &switchboard_core::admin::AuditQuery,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::event::AuditEvent>> {
                let rows: Vec<$crate::admin_sql::EventRow> = sqlx::query_as(
                    "SELECT id, at, actor, action, item_id, details FROM events \
                     WHERE ($1 IS NULL OR substr(action, 1, length(CAST($1 AS TEXT))) = CAST($1 AS TEXT)) \
                     AND ($2 IS NULL OR actor = $2) \
                     AND ($3 IS NULL OR at >= $3) \
                     AND ($4 IS NULL OR at < $4) \
                     AND ($5 IS NULL OR id < $5) \
                     ORDER BY id DESC LIMIT $6",
                )
                .bind(query.action_prefix.as_deref())
                .bind(query.actor.as_ref().map(sqlx::types::Json))
                .bind(query.from)
                .bind(query.until)
                .bind(query.before.map(switchboard_core::EventId::get))
                .bind(i64::from(query.limit))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(rows
                    .into_iter()
                    .map($crate::admin_sql::EventRow::into_event)
                    .collect())
            }
        }
    };
}

pub(crate) use impl_admin_store;
