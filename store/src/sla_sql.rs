//! [`switchboard_core::sla::SlaStore`] in SQL shared by both databases, expanded for each by
//! [`impl_sla_store!`]. Breaches are keyed by item and due time, so recording is idempotent
//! whichever node or restart records first. SLA settings versions are rows of
//! `sla_settings_versions`; the newest is in force.

use chrono::{DateTime, Utc};
use switchboard_core::CoreError;
use switchboard_core::event::Actor;
use switchboard_core::item::Channel;
use switchboard_core::sla::{SlaOutcome, SlaSettingsVersion};

use crate::rows::parse_enum;

/// Records the breaches of items past due while their clock runs: open and not waiting on the
/// customer (`$1`: now).
pub(crate) const RECORD_BREACHES: &str = "INSERT INTO sla_breaches \
     (item_id, queue_id, channel, due_at, recorded_at) \
     SELECT id, queue_id, channel, sla_due_at, $1 FROM items \
     WHERE sla_due_at IS NOT NULL AND sla_due_at <= $1 \
     AND status IN ('new', 'queued', 'offered', 'assigned') \
     AND NOT EXISTS (SELECT 1 FROM sla_breaches b \
         WHERE b.item_id = items.id AND b.due_at = items.sla_due_at) \
     ON CONFLICT (item_id, due_at) DO NOTHING";

/// Records the breach of one item done after its due time (`$1`: item, `$2`: when it was done).
pub(crate) const RECORD_LATE_ANSWER: &str = "INSERT INTO sla_breaches \
     (item_id, queue_id, channel, due_at, recorded_at) \
     SELECT id, queue_id, channel, sla_due_at, $2 FROM items \
     WHERE id = $1 AND sla_due_at IS NOT NULL AND sla_due_at < $2 \
     ON CONFLICT (item_id, due_at) DO NOTHING";

/// The next due time ahead of `$1` among items whose clock runs.
pub(crate) const NEXT_DUE: &str = "SELECT MIN(sla_due_at) FROM items \
     WHERE sla_due_at IS NOT NULL AND sla_due_at > $1 \
     AND status IN ('new', 'queued', 'offered', 'assigned')";

/// Open items with a recorded breach of their current due time.
pub(crate) const BREACHED_OPEN: &str = "SELECT b.item_id FROM sla_breaches b \
     JOIN items i ON i.id = b.item_id AND i.sla_due_at = b.due_at \
     WHERE i.status IN ('new', 'queued', 'offered', 'assigned', 'waiting')";

/// The outcomes of the items due in `[$1, $2)`.
pub(crate) const OUTCOMES: &str = "SELECT q.name AS queue, i.channel, i.received_at, \
     i.sla_due_at AS due_at, i.answered_at, \
     (SELECT MIN(b.recorded_at) FROM sla_breaches b WHERE b.item_id = i.id) AS breached_at \
     FROM items i LEFT JOIN queues q ON q.id = i.queue_id \
     WHERE i.sla_due_at >= $1 AND i.sla_due_at < $2 \
     AND i.status NOT IN ('discarded', 'failed')";

/// One row of [`OUTCOMES`].
#[derive(sqlx::FromRow)]
pub(crate) struct OutcomeRow {
    queue: Option<String>,
    channel: String,
    received_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
    breached_at: Option<DateTime<Utc>>,
}

impl OutcomeRow {
    pub(crate) fn into_outcome(self) -> Result<SlaOutcome, CoreError> {
        Ok(SlaOutcome {
            queue: self.queue,
            channel: parse_enum("channel", &self.channel, Channel::parse)?,
            received_at: self.received_at,
            due_at: self.due_at,
            answered_at: self.answered_at,
            breached_at: self.breached_at,
        })
    }
}

/// A stored version of the SLA settings.
#[derive(sqlx::FromRow)]
pub(crate) struct SettingsVersionRow {
    pub version: i64,
    pub document: Option<sqlx::types::Json<serde_json::Value>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl SettingsVersionRow {
    pub(crate) fn into_version(self) -> Result<SlaSettingsVersion, CoreError> {
        let created_by: Actor = serde_json::from_str(&self.created_by).map_err(|error| {
            CoreError::Internal(format!(
                "SLA settings {}: created_by: {error}",
                self.version
            ))
        })?;
        Ok(SlaSettingsVersion {
            version: self.version,
            document: self.document.map(|document| document.0),
            created_by,
            created_at: self.created_at,
        })
    }
}

/// Reads the newest SLA settings versions (`$1`: how many).
pub(crate) const SETTINGS_VERSIONS: &str = "SELECT version, document, created_by, created_at \
     FROM sla_settings_versions ORDER BY version DESC LIMIT $1";

/// Implements [`switchboard_core::sla::SlaStore`] for `$store` (a struct with a `pool` field of
/// `sqlx::Pool<$db>`).
macro_rules! impl_sla_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::sla::SlaStore for $store {
            #[tracing::instrument(skip_all)]
            async fn record_sla_breaches(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::sla::SlaBreachCheck> {
                let recorded = sqlx::query($crate::sla_sql::RECORD_BREACHES)
                    .bind(now)
                    .execute(self.writer())
                    .await
                    .map_err($crate::error::db_error)?
                    .rows_affected();
                let next_due_at: Option<chrono::DateTime<chrono::Utc>> =
                    sqlx::query_scalar($crate::sla_sql::NEXT_DUE)
                        .bind(now)
                        .fetch_one(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                Ok(switchboard_core::sla::SlaBreachCheck {
                    recorded: usize::try_from(recorded).unwrap_or(usize::MAX),
                    next_due_at,
                })
            }

            #[tracing::instrument(skip_all)]
            async fn breached_open_items(
                &self,
            ) -> switchboard_core::error::CoreResult<
                std::collections::HashSet<switchboard_core::WorkItemId>,
            > {
                let ids: Vec<i64> = sqlx::query_scalar($crate::sla_sql::BREACHED_OPEN)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(ids
                    .into_iter()
                    .map(switchboard_core::WorkItemId::new)
                    .collect())
            }

            #[tracing::instrument(skip_all)]
            async fn sla_outcomes(
                &self,
                from: chrono::DateTime<chrono::Utc>,
                to: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::sla::SlaOutcome>> {
                let rows: Vec<$crate::sla_sql::OutcomeRow> =
                    sqlx::query_as($crate::sla_sql::OUTCOMES)
                        .bind(from)
                        .bind(to)
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                rows.into_iter()
                    .map($crate::sla_sql::OutcomeRow::into_outcome)
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn save_sla_settings(
                &self,
                document: Option<&serde_json::Value>,
                by: &switchboard_core::event::Actor,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::sla::SlaSettingsVersion> {
                let created_by = serde_json::to_string(by).map_err(|error| {
                    switchboard_core::CoreError::Internal(format!("actor: {error}"))
                })?;
                let row: $crate::sla_sql::SettingsVersionRow = sqlx::query_as(
                    "INSERT INTO sla_settings_versions (document, created_by, created_at) \
                     VALUES ($1, $2, $3) RETURNING version, document, created_by, created_at",
                )
                .bind(document.map(sqlx::types::Json))
                .bind(created_by)
                .bind(at)
                .fetch_one(self.writer())
                .await
                .map_err($crate::error::db_error)?;
                row.into_version()
            }

            #[tracing::instrument(skip_all)]
            async fn sla_settings_versions(
                &self,
                limit: u32,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::sla::SlaSettingsVersion>>
            {
                let rows: Vec<$crate::sla_sql::SettingsVersionRow> =
                    sqlx::query_as($crate::sla_sql::SETTINGS_VERSIONS)
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                rows.into_iter()
                    .map($crate::sla_sql::SettingsVersionRow::into_version)
                    .collect()
            }
        }
    };
}

pub(crate) use impl_sla_store;
