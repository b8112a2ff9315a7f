//! [`switchboard_core::history::HistoryStore`] in SQL shared by both databases, expanded for each
//! by [`impl_history_store!`]. A backlog sample is keyed by slot and channel, so sampling is
//! idempotent whichever node samples a slot first.

use chrono::{DateTime, Utc};
use switchboard_core::history::{AssignmentSpan, BacklogSample};
use switchboard_core::item::Channel;
use switchboard_core::{CoreError, Login};

use crate::rows::parse_enum;

/// Items waiting for an agent per channel, as the board counts them.
pub(crate) const WAITING_PER_CHANNEL: &str = "SELECT channel, COUNT(*) FROM items \
     WHERE status IN ('queued', 'offered') GROUP BY channel";

/// One sample row (`$1` slot, `$2` channel, `$3` waiting).
pub(crate) const INSERT_SAMPLE: &str = "INSERT INTO backlog_samples (sampled_at, channel, waiting) \
     VALUES ($1, $2, $3) ON CONFLICT (sampled_at, channel) DO NOTHING";

/// The samples from `$1` on.
pub(crate) const SAMPLES_FROM: &str = "SELECT sampled_at, channel, waiting FROM backlog_samples \
     WHERE sampled_at >= $1 ORDER BY sampled_at, channel";

/// Deletes samples before `$1`.
pub(crate) const PRUNE_SAMPLES: &str = "DELETE FROM backlog_samples WHERE sampled_at < $1";

/// Assignments (not offers) that began or ended in `[$1, $2)`.
pub(crate) const ASSIGNMENT_SPANS: &str = "SELECT u.login, a.created_at, a.ended_at, a.outcome \
     FROM assignments a JOIN users u ON u.id = a.user_id \
     WHERE a.kind = 'assign' \
     AND ((a.created_at >= $1 AND a.created_at < $2) OR (a.ended_at >= $1 AND a.ended_at < $2)) \
     ORDER BY a.id";

/// One row of [`SAMPLES_FROM`].
#[derive(sqlx::FromRow)]
pub(crate) struct SampleRow {
    sampled_at: DateTime<Utc>,
    channel: String,
    waiting: i64,
}

impl SampleRow {
    pub(crate) fn into_sample(self) -> Result<BacklogSample, CoreError> {
        Ok(BacklogSample {
            at: self.sampled_at,
            channel: parse_enum("channel", &self.channel, Channel::parse)?,
            waiting: u32::try_from(self.waiting.max(0)).unwrap_or(u32::MAX),
        })
    }
}

/// One row of [`ASSIGNMENT_SPANS`].
#[derive(sqlx::FromRow)]
pub(crate) struct SpanRow {
    login: String,
    created_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
}

impl From<SpanRow> for AssignmentSpan {
    fn from(row: SpanRow) -> Self {
        Self {
            login: Login::new(row.login),
            created_at: row.created_at,
            ended_at: row.ended_at,
            outcome: row.outcome,
        }
    }
}

/// Every channel with its waiting count, zero for channels with nothing waiting.
pub(crate) fn every_channel(counted: &[(String, i64)]) -> Vec<(&'static str, i64)> {
    Channel::ALL
        .iter()
        .map(|channel| {
            let waiting = counted
                .iter()
                .find(|(name, _)| name == channel.as_str())
                .map_or(0, |(_, count)| *count);
            (channel.as_str(), waiting)
        })
        .collect()
}

/// Implements [`switchboard_core::history::HistoryStore`] for `$store` (a struct with a `pool`
/// field of `sqlx::Pool<$db>`).
macro_rules! impl_history_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::history::HistoryStore for $store {
            #[tracing::instrument(skip_all)]
            async fn record_backlog_sample(
                &self,
                slot: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<u64> {
                // Counted before the write begins: the count reads every waiting item (all
                // items on SQLite, which scans), and on SQLite the writer is intake's too.
                let counted: Vec<(String, i64)> =
                    sqlx::query_as($crate::history_sql::WAITING_PER_CHANNEL)
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                let mut tx = self
                    .writer()
                    .begin()
                    .await
                    .map_err($crate::error::db_error)?;
                let mut written = 0;
                for (channel, waiting) in $crate::history_sql::every_channel(&counted) {
                    written += sqlx::query($crate::history_sql::INSERT_SAMPLE)
                        .bind(slot)
                        .bind(channel)
                        .bind(waiting)
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::error::db_error)?
                        .rows_affected();
                }
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(written)
            }

            #[tracing::instrument(skip_all)]
            async fn backlog_samples(
                &self,
                from: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::history::BacklogSample>>
            {
                let rows: Vec<$crate::history_sql::SampleRow> =
                    sqlx::query_as($crate::history_sql::SAMPLES_FROM)
                        .bind(from)
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                rows.into_iter()
                    .map($crate::history_sql::SampleRow::into_sample)
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn prune_backlog_samples(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<u64> {
                Ok(sqlx::query($crate::history_sql::PRUNE_SAMPLES)
                    .bind(before)
                    .execute(self.writer())
                    .await
                    .map_err($crate::error::db_error)?
                    .rows_affected())
            }

            #[tracing::instrument(skip_all)]
            async fn assignment_spans(
                &self,
                from: chrono::DateTime<chrono::Utc>,
                to: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::history::AssignmentSpan>>
            {
                let rows: Vec<$crate::history_sql::SpanRow> =
                    sqlx::query_as($crate::history_sql::ASSIGNMENT_SPANS)
                        .bind(from)
                        .bind(to)
                        .fetch_all(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }
    };
}

pub(crate) use impl_history_store;
