//! The outbox port ([`switchboard_core::outbox::OutboxStore`]), written once and expanded for
//! each database by [`impl_outbox_store!`].

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use switchboard_core::CoreError;
use switchboard_core::ids::{OutboundId, WorkItemId};
use switchboard_core::outbox::{DueOutbound, Outbound, OutboundKind, OutboundStatus};

use crate::rows::parse_enum;

pub(crate) const OUTBOUND_SELECT: &str = "SELECT id, item_id, kind, author_name, message_id, \
     mail_from, recipients, subject, body, status, attempts, next_attempt_at, last_error, \
     created_at, sent_at FROM outbox";

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct OutboundRow {
    id: i64,
    item_id: i64,
    kind: String,
    author_name: Option<String>,
    message_id: String,
    mail_from: String,
    recipients: Json<Vec<String>>,
    subject: String,
    body: String,
    status: String,
    attempts: i32,
    #[serde(with = "crate::json_time")]
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    #[serde(with = "crate::json_time")]
    created_at: DateTime<Utc>,
    #[serde(with = "crate::json_time::optional")]
    sent_at: Option<DateTime<Utc>>,
}

impl OutboundRow {
    pub(crate) fn into_outbound(self) -> Result<Outbound, CoreError> {
        Ok(Outbound {
            id: OutboundId::new(self.id),
            item: WorkItemId::new(self.item_id),
            kind: parse_enum("outbox kind", &self.kind, OutboundKind::parse)?,
            author_name: self.author_name,
            message_id: self.message_id,
            mail_from: self.mail_from,
            recipients: self.recipients.0,
            subject: self.subject,
            body: self.body,
            status: parse_enum("outbox status", &self.status, OutboundStatus::parse)?,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            last_error: self.last_error,
            created_at: self.created_at,
            sent_at: self.sent_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DueRow {
    id: i64,
    item_id: i64,
    mail_from: String,
    recipients: Json<Vec<String>>,
    raw: Vec<u8>,
    attempts: i32,
}

impl DueRow {
    pub(crate) fn into_due(self) -> DueOutbound {
        DueOutbound {
            id: OutboundId::new(self.id),
            item: WorkItemId::new(self.item_id),
            mail_from: self.mail_from,
            recipients: self.recipients.0,
            raw: self.raw,
            attempts: self.attempts,
        }
    }
}

/// Implements the outbox port for `$store` (a struct with a `pool` of `sqlx::Pool<$db>`).
macro_rules! impl_outbox_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::outbox::OutboxStore for $store {
            #[tracing::instrument(skip_all)]
            async fn queue_reply(
                &self,
                reply: &switchboard_core::outbox::NewOutbound,
                by: &switchboard_core::work::Worker,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::outbox::Outbound> {
                let state = self.work_state(reply.item).await?;
                by.check_may_change(reply.item, state.owner())?;
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO outbox (item_id, kind, author_name, message_id, mail_from, \
                     recipients, subject, body, raw, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 0, $10, $10) RETURNING id",
                )
                .bind(reply.item.get())
                .bind(reply.kind.as_str())
                .bind(&by.name)
                .bind(&reply.message_id)
                .bind(&reply.mail_from)
                .bind(sqlx::types::Json(&reply.recipients))
                .bind(&reply.subject)
                .bind(&reply.body)
                .bind(&reply.raw)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                let details = serde_json::json!({ "outbound": id, "by": by.name });
                Self::routing_event(&mut tx, at, &by.actor, "item.reply_queued", Some(reply.item), details).await?;
                tx.commit().await.map_err($crate::error::db_error)?;
                self.outbound(id).await
            }

            #[tracing::instrument(skip_all)]
            async fn queue_acknowledgement(
                &self,
                acknowledgement: &switchboard_core::outbox::NewOutbound,
                since: chrono::DateTime<chrono::Utc>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::outbox::Outbound>> {
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let earlier: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM outbox WHERE kind = 'acknowledgement' \
                     AND (item_id = $1 OR (recipients = $2 AND created_at >= $3))",
                )
                .bind(acknowledgement.item.get())
                .bind(sqlx::types::Json(&acknowledgement.recipients))
                .bind(since)
                .fetch_one(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                if earlier > 0 {
                    return Ok(None);
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO outbox (item_id, kind, author_name, message_id, mail_from, \
                     recipients, subject, body, raw, status, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $9) RETURNING id",
                )
                .bind(acknowledgement.item.get())
                .bind(acknowledgement.kind.as_str())
                .bind(&acknowledgement.message_id)
                .bind(&acknowledgement.mail_from)
                .bind(sqlx::types::Json(&acknowledgement.recipients))
                .bind(&acknowledgement.subject)
                .bind(&acknowledgement.body)
                .bind(&acknowledgement.raw)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                tx.commit().await.map_err($crate::error::db_error)?;
                self.outbound(id).await.map(Some)
            }

            #[tracing::instrument(skip_all)]
            async fn due_outbound(
                &self,
                now: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::outbox::DueOutbound>> {
                let rows: Vec<$crate::outbox_sql::DueRow> = sqlx::query_as(
                    "SELECT id, item_id, mail_from, recipients, raw, attempts FROM outbox \
                     WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(rows.into_iter().map($crate::outbox_sql::DueRow::into_due).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn outbound_sent(
                &self,
                id: switchboard_core::ids::OutboundId,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query(
                    "UPDATE outbox SET status = 'sent', attempts = attempts + 1, sent_at = $1, \
                     last_error = NULL WHERE id = $2",
                )
                .bind(at)
                .bind(id.get())
                .execute(self.writer())
                .await
                .map_err($crate::error::db_error)?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn outbound_attempt_failed(
                &self,
                id: switchboard_core::ids::OutboundId,
                error: &str,
                retry_at: Option<chrono::DateTime<chrono::Utc>>,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                let status = if retry_at.is_some() { "pending" } else { "failed" };
                sqlx::query(
                    "UPDATE outbox SET status = $1, attempts = attempts + 1, last_error = $2, \
                     next_attempt_at = $3 WHERE id = $4",
                )
                .bind(status)
                .bind(error)
                .bind(retry_at.unwrap_or(at))
                .bind(id.get())
                .execute(self.writer())
                .await
                .map_err($crate::error::db_error)?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn outbound_of(
                &self,
                item: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::outbox::Outbound>> {
                let rows: Vec<$crate::outbox_sql::OutboundRow> = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("{} WHERE item_id = $1 ORDER BY id", $crate::outbox_sql::OUTBOUND_SELECT),
                ))
                .bind(item.get())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                rows.into_iter().map($crate::outbox_sql::OutboundRow::into_outbound).collect()
            }
        }

        impl $store {
            async fn outbound(
                &self,
                id: i64,
            ) -> switchboard_core::error::CoreResult<switchboard_core::outbox::Outbound> {
                let row: $crate::outbox_sql::OutboundRow = sqlx::query_as(sqlx::AssertSqlSafe(
                    format!("{} WHERE id = $1", $crate::outbox_sql::OUTBOUND_SELECT),
                ))
                .bind(id)
                .fetch_one(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                row.into_outbound()
            }
        }
    };
}

pub(crate) use impl_outbox_store;
