//! The item-work port ([`switchboard_core::work::ItemWorkStore`]): agents' work lists, the
//! item view's attachments, notes and thread, status changes and notes. Written once and
//! expanded for each database by [`impl_item_work_store!`]. Every change is fenced by the
//! item's version, so a change decided on a stale read fails with a conflict instead of
//! overwriting the router's (or another agent's) write.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use switchboard_core::CoreError;
use switchboard_core::event::Actor;
use switchboard_core::ids::{AttachmentId, NoteId, UserId, WorkItemId};
use switchboard_core::item::{Attachment, Channel, ItemStatus, SenderIdentity};
use switchboard_core::routing::AssignmentId;
use switchboard_core::sla::{SlaClock, SlaResume};
use switchboard_core::work::{AssignedWork, MyWork, Note, OfferedWork, ThreadMember};

use crate::error::corrupt;
use crate::json_sql::{JsonSql, fields, pair, record};
use crate::rows::parse_enum;

fn narrow(what: &str, value: i64) -> Result<i32, CoreError> {
    i32::try_from(value).map_err(|_| corrupt(what, &value.to_string()))
}

#[derive(serde::Deserialize)]
pub(crate) struct OfferRow {
    offer: i64,
    item: i64,
    channel: String,
    subject: Option<String>,
    sender_email: Option<String>,
    sender_phone: Option<String>,
    sender_name: Option<String>,
    #[serde(with = "crate::json_time")]
    offered_at: DateTime<Utc>,
    #[serde(with = "crate::json_time::optional")]
    expires_at: Option<DateTime<Utc>>,
}

impl OfferRow {
    pub(crate) fn into_offered(self) -> Result<OfferedWork, CoreError> {
        let sender = SenderIdentity {
            email: self.sender_email,
            phone: self.sender_phone,
            name: self.sender_name,
        };
        let item = WorkItemId::new(self.item);
        Ok(OfferedWork {
            offer: AssignmentId::new(self.offer),
            item,
            reference: item.reference(),
            channel: parse_enum("channel", &self.channel, Channel::parse)?,
            subject: self.subject,
            sender: sender.display().map(str::to_owned),
            offered_at: self.offered_at,
            expires_at: self.expires_at,
        })
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct AssignedRow {
    item: i64,
    channel: String,
    subject: Option<String>,
    status: String,
    priority: i64,
    #[serde(with = "crate::json_time::optional")]
    sla_due_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::json_time")]
    received_at: DateTime<Utc>,
    /// The customer link the row joined, if any.
    link: Option<i64>,
    #[serde(with = "crate::json_time")]
    assigned_at: DateTime<Utc>,
    customer_no: Option<String>,
    customer_name: Option<String>,
}

impl AssignedRow {
    /// Queue order: highest priority first, then the earliest SLA deadline (none last), the
    /// oldest, and of an item's rows the one with its first customer link.
    fn queue_order(&self) -> impl Ord + use<> {
        (
            std::cmp::Reverse(self.priority),
            self.sla_due_at.is_none(),
            self.sla_due_at,
            self.received_at,
            self.item,
            self.link,
        )
    }

    pub(crate) fn into_assigned(self) -> Result<AssignedWork, CoreError> {
        let item = WorkItemId::new(self.item);
        Ok(AssignedWork {
            item,
            reference: item.reference(),
            channel: parse_enum("channel", &self.channel, Channel::parse)?,
            subject: self.subject,
            customer_no: self.customer_no,
            customer_name: self.customer_name,
            status: parse_enum("status", &self.status, ItemStatus::parse)?,
            priority: narrow("priority", self.priority)?,
            sla_due_at: self.sla_due_at,
            assigned_at: self.assigned_at,
        })
    }
}

/// The statement behind [`switchboard_core::work::ItemWorkStore::my_work`], `$1` being the
/// agent: `{"offers": [...], "assigned": [...]}`, each array unordered
/// ([`JsonSql::array`]): an owned item with several applied customer links comes once per
/// link. [`MyWorkDocument::parse`] orders and de-duplicates them.
pub(crate) fn my_work_statement<D: JsonSql>() -> String {
    let offers = D::array(
        &record::<D>(
            "items",
            "offer=assignments.id, item=items.id, channel, subject, sender_email, sender_phone, \
             sender_name, offered_at=assignments.created_at, expires_at=assignments.expires_at",
        ),
        "assignments JOIN items ON items.id = assignments.item_id \
         WHERE assignments.user_id = $1 AND assignments.kind = 'offer' \
         AND assignments.ended_at IS NULL AND items.status = 'offered'",
    );
    let mut owned = fields::<D>(
        "items",
        "item=items.id, channel, subject, status, priority, sla_due_at, received_at, \
         link=links.id, customer_no=links.key, customer_name=customers.name",
    );
    owned.push(pair(
        "assigned_at",
        "COALESCE((SELECT MAX(assignments.created_at) FROM assignments \
         WHERE assignments.item_id = items.id AND assignments.user_id = items.assigned_user_id \
         AND assignments.kind = 'assign'), items.updated_at)"
            .into(),
    ));
    let assigned = D::array(
        &D::object(&owned),
        "items LEFT JOIN links ON links.item_id = items.id AND links.kind = 'customer' \
         AND links.applied = TRUE \
         LEFT JOIN customers ON customers.customer_number = links.key \
         WHERE items.assigned_user_id = $1 AND items.status IN ('assigned', 'waiting')",
    );
    format!(
        "SELECT {}",
        D::text(&D::object(&[
            pair("offers", offers),
            pair("assigned", assigned)
        ]))
    )
}

/// The document [`my_work_statement`] returns.
#[derive(serde::Deserialize)]
pub(crate) struct MyWorkDocument {
    offers: Vec<OfferRow>,
    assigned: Vec<AssignedRow>,
}

impl MyWorkDocument {
    /// Decodes the statement's text into the work list: offers soonest to expire first (none
    /// last), owned items in queue order, each once with its first customer link.
    pub(crate) fn parse(text: &str) -> Result<MyWork, CoreError> {
        let mut document: Self =
            serde_json::from_str(text).map_err(|error| corrupt("work list", &error.to_string()))?;
        document
            .offers
            .sort_by_key(|offer| (offer.expires_at.is_none(), offer.expires_at, offer.offer));
        document.assigned.sort_by_key(AssignedRow::queue_order);
        let mut seen = std::collections::HashSet::new();
        Ok(MyWork {
            offers: document
                .offers
                .into_iter()
                .map(OfferRow::into_offered)
                .collect::<Result<_, _>>()?,
            assigned: document
                .assigned
                .into_iter()
                .filter(|row| seen.insert(row.item))
                .map(AssignedRow::into_assigned)
                .collect::<Result<_, _>>()?,
        })
    }
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct AttachmentRow {
    id: i64,
    file_name: String,
    declared_type: Option<String>,
    sniffed_type: Option<String>,
    size: i64,
    blob: String,
}

/// An attachment row with the bytes kept in it.
#[derive(sqlx::FromRow)]
pub(crate) struct StoredAttachmentRow {
    #[sqlx(flatten)]
    attachment: AttachmentRow,
    content: Option<Vec<u8>>,
}

impl StoredAttachmentRow {
    pub(crate) fn into_stored(self) -> switchboard_core::item::StoredAttachment {
        switchboard_core::item::StoredAttachment {
            attachment: self.attachment.into_attachment(),
            inline: self.content,
        }
    }
}

/// The columns of an [`AttachmentRow`] (its bytes, when kept in the row, are `content`).
pub(crate) const ATTACHMENT_COLUMNS: &str =
    "id, file_name, declared_type, sniffed_type, size, blob";

impl AttachmentRow {
    pub(crate) fn into_attachment(self) -> Attachment {
        Attachment {
            id: AttachmentId::new(self.id),
            file_name: self.file_name,
            declared_type: self.declared_type,
            sniffed_type: self.sniffed_type,
            size: self.size,
            blob: self.blob,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct NoteRow {
    id: i64,
    item_id: i64,
    author: Json<Actor>,
    author_name: String,
    created_at: DateTime<Utc>,
    text: String,
}

pub(crate) const NOTE_SELECT: &str =
    "SELECT id, item_id, author, author_name, created_at, text FROM notes";

impl NoteRow {
    pub(crate) fn into_note(self) -> Note {
        Note {
            id: NoteId::new(self.id),
            item: WorkItemId::new(self.item_id),
            author: self.author.0,
            author_name: self.author_name,
            at: self.created_at,
            text: self.text,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ThreadRow {
    id: i64,
    channel: String,
    subject: Option<String>,
    status: String,
    received_at: DateTime<Utc>,
}

pub(crate) const THREAD_SELECT: &str =
    "SELECT id, channel, subject, status, received_at FROM items";

impl ThreadRow {
    pub(crate) fn into_member(self) -> Result<ThreadMember, CoreError> {
        let item = WorkItemId::new(self.id);
        Ok(ThreadMember {
            item,
            reference: item.reference(),
            channel: parse_enum("channel", &self.channel, Channel::parse)?,
            subject: self.subject,
            status: parse_enum("status", &self.status, ItemStatus::parse)?,
            received_at: self.received_at,
        })
    }
}

/// The state of an item a change is decided on.
#[derive(sqlx::FromRow)]
pub(crate) struct WorkStateRow {
    pub(crate) status: String,
    pub(crate) version: i64,
    pub(crate) assigned_user_id: Option<i64>,
    pub(crate) sla_due_at: Option<DateTime<Utc>>,
    pub(crate) sla_at_risk_at: Option<DateTime<Utc>>,
    pub(crate) waiting_since: Option<DateTime<Utc>>,
}

pub(crate) const WORK_STATE_SELECT: &str = "SELECT status, version, assigned_user_id, \
     sla_due_at, sla_at_risk_at, waiting_since FROM items WHERE id = $1";

impl WorkStateRow {
    pub(crate) fn owner(&self) -> Option<UserId> {
        self.assigned_user_id.map(UserId::new)
    }

    pub(crate) fn status(&self) -> Result<ItemStatus, CoreError> {
        parse_enum("status", &self.status, ItemStatus::parse)
    }

    /// The SLA due and at-risk times once the item moves to `target` at `at`: leaving a pause
    /// (waiting on the customer) moves the clock on as `sla` counts the pause; otherwise they
    /// stay.
    pub(crate) fn sla_after(
        &self,
        target: ItemStatus,
        sla: &dyn SlaResume,
        at: DateTime<Utc>,
    ) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        match (self.waiting_since, self.sla_due_at) {
            (Some(paused_at), Some(due_at)) if target != ItemStatus::Waiting => {
                let clock = SlaClock {
                    due_at,
                    at_risk_at: self.sla_at_risk_at.unwrap_or(due_at),
                };
                let resumed = sla.resume(clock, paused_at, at);
                (
                    Some(resumed.due_at),
                    self.sla_at_risk_at.map(|_| resumed.at_risk_at),
                )
            }
            _ => (self.sla_due_at, self.sla_at_risk_at),
        }
    }
}

/// The columns a status change writes, worked out from the item's state before it.
pub(crate) struct StatusWrite {
    pub(crate) status: ItemStatus,
    pub(crate) owner: Option<i64>,
    pub(crate) sla_due_at: Option<DateTime<Utc>>,
    pub(crate) sla_at_risk_at: Option<DateTime<Utc>>,
    pub(crate) waiting_since: Option<DateTime<Utc>>,
}

impl StatusWrite {
    /// What moving `state` to `target` at `at` writes: waiting starts the pause, leaving it
    /// moves the SLA clock on as `sla` counts the pause, and back to routing lets go of the
    /// owner.
    pub(crate) fn of(
        state: &WorkStateRow,
        target: ItemStatus,
        sla: &dyn SlaResume,
        at: DateTime<Utc>,
    ) -> Self {
        let (sla_due_at, sla_at_risk_at) = state.sla_after(target, sla, at);
        Self {
            status: target,
            owner: if target == ItemStatus::Queued {
                None
            } else {
                state.assigned_user_id
            },
            sla_due_at,
            sla_at_risk_at,
            waiting_since: (target == ItemStatus::Waiting).then_some(at),
        }
    }
}

/// Implements [`switchboard_core::work::ItemWorkStore`] for `$store` (a struct with a `pool`
/// field of `sqlx::Pool<$db>`).
macro_rules! impl_item_work_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::work::ItemWorkStore for $store {
            #[tracing::instrument(skip_all)]
            async fn my_work(
                &self,
                agent: switchboard_core::UserId,
            ) -> switchboard_core::error::CoreResult<switchboard_core::work::MyWork> {
                use $crate::json_sql::JsonSql;
                let text = self
                    .read_document(
                        <$db>::statements().my_work.as_str(),
                        $crate::json_sql::Parameter::Id(agent.get()),
                    )
                    .await?
                    .ok_or_else(|| switchboard_core::CoreError::Internal("work list: no row".into()))?;
                $crate::work_sql::MyWorkDocument::parse(&text)
            }

            #[tracing::instrument(skip_all)]
            async fn attachments_of(
                &self,
                item: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::item::Attachment>> {
                let rows: Vec<$crate::work_sql::AttachmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM attachments WHERE item_id = $1 ORDER BY id",
                    $crate::work_sql::ATTACHMENT_COLUMNS
                )))
                .bind(item.get())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(rows.into_iter().map($crate::work_sql::AttachmentRow::into_attachment).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn attachment_of(
                &self,
                item: switchboard_core::WorkItemId,
                attachment: switchboard_core::ids::AttachmentId,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::item::StoredAttachment>> {
                let row: Option<$crate::work_sql::StoredAttachmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {}, content FROM attachments WHERE item_id = $1 AND id = $2",
                    $crate::work_sql::ATTACHMENT_COLUMNS
                )))
                .bind(item.get())
                .bind(attachment.get())
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(row.map($crate::work_sql::StoredAttachmentRow::into_stored))
            }

            #[tracing::instrument(skip_all)]
            async fn notes_of(
                &self,
                item: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::work::Note>> {
                let rows: Vec<$crate::work_sql::NoteRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{} WHERE item_id = $1 ORDER BY id",
                    $crate::work_sql::NOTE_SELECT
                )))
                .bind(item.get())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(rows.into_iter().map($crate::work_sql::NoteRow::into_note).collect())
            }

            #[tracing::instrument(skip_all)]
            async fn thread_of(
                &self,
                item: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<switchboard_core::work::ItemThread> {
                use $crate::work_sql::{THREAD_SELECT, ThreadRow};
                let parent: Option<ThreadRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{THREAD_SELECT} WHERE id = (SELECT parent_id FROM items WHERE id = $1)"
                )))
                .bind(item.get())
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let children: Vec<ThreadRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "{THREAD_SELECT} WHERE parent_id = $1 ORDER BY received_at, id"
                )))
                .bind(item.get())
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(switchboard_core::work::ItemThread {
                    parent: parent.map(ThreadRow::into_member).transpose()?,
                    children: children.into_iter().map(ThreadRow::into_member).collect::<Result<_, _>>()?,
                })
            }

            #[tracing::instrument(skip_all)]
            async fn change_item_status(
                &self,
                item: switchboard_core::WorkItemId,
                change: switchboard_core::work::StatusChange,
                by: &switchboard_core::work::Worker,
                sla: &dyn switchboard_core::sla::SlaResume,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::work::StatusChanged> {
                let state = self.work_state(item).await?;
                by.check_may_change(item, state.owner())?;
                let from = state.status()?;
                let target = change.target(from)?;
                let write = $crate::work_sql::StatusWrite::of(&state, target, sla, at);
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let changed = sqlx::query(
                    "UPDATE items SET status = $1, assigned_user_id = $2, sla_due_at = $3, \
                     waiting_since = $4, cooldown_until = NULL, declined_by = '[]', \
                     version = version + 1, updated_at = $5, sla_at_risk_at = $8, \
                     answered_at = COALESCE(answered_at, $9) \
                     WHERE id = $6 AND version = $7",
                )
                .bind(write.status.as_str())
                .bind(write.owner)
                .bind(write.sla_due_at)
                .bind(write.waiting_since)
                .bind(at)
                .bind(item.get())
                .bind(state.version)
                .bind(write.sla_at_risk_at)
                .bind((target == switchboard_core::item::ItemStatus::Done).then_some(at))
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                if changed.rows_affected() == 0 {
                    return Err($crate::work_sql::changed_meanwhile(item));
                }
                if target == switchboard_core::item::ItemStatus::Done {
                    Self::end_open_assignment(&mut tx, item, "done", at).await?;
                    // Done after its due time: the breach counts even if no check saw it open.
                    sqlx::query($crate::sla_sql::RECORD_LATE_ANSWER)
                        .bind(item.get())
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err($crate::error::db_error)?;
                }
                let details = serde_json::json!({
                    "from": from, "to": target, "by": by.name,
                    "sla_due_at": write.sla_due_at,
                });
                Self::routing_event(&mut tx, at, &by.actor, change.event_action(), Some(item), details).await?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(switchboard_core::work::StatusChanged {
                    item,
                    from,
                    to: target,
                    version: state.version + 1,
                })
            }

            #[tracing::instrument(skip_all)]
            async fn add_note(
                &self,
                item: switchboard_core::WorkItemId,
                text: &str,
                by: &switchboard_core::work::Worker,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<switchboard_core::work::Note> {
                let text = switchboard_core::work::checked_note_text(text)?;
                let mut tx = self.begin_fenced_item_change(item, by, at).await?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO notes (item_id, author, author_name, created_at, text) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(item.get())
                .bind(sqlx::types::Json(&by.actor))
                .bind(&by.name)
                .bind(at)
                .bind(text)
                .fetch_one(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                let details = serde_json::json!({ "note": id, "by": by.name });
                Self::routing_event(&mut tx, at, &by.actor, "item.note_added", Some(item), details).await?;
                tx.commit().await.map_err($crate::error::db_error)?;
                Ok(switchboard_core::work::Note {
                    id: switchboard_core::ids::NoteId::new(id),
                    item,
                    author: by.actor.clone(),
                    author_name: by.name.clone(),
                    at,
                    text: text.to_owned(),
                })
            }
        }

        impl $store {
            /// Reads the state an item change is decided on.
            async fn work_state(
                &self,
                item: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<$crate::work_sql::WorkStateRow> {
                sqlx::query_as($crate::work_sql::WORK_STATE_SELECT)
                    .bind(item.get())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?
                    .ok_or_else(|| switchboard_core::CoreError::not_found(format!("item {item}")))
            }

            /// Begins a change of `item` by `by` that needs no other column of the item: checks
            /// that `by` may change it, then bumps its version in a new transaction, fenced by
            /// the version read, so a change decided on a stale read fails with a conflict.
            async fn begin_fenced_item_change(
                &self,
                item: switchboard_core::WorkItemId,
                by: &switchboard_core::work::Worker,
                at: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<sqlx::Transaction<'static, $db>> {
                let state = self.work_state(item).await?;
                by.check_may_change(item, state.owner())?;
                let mut tx = self.writer().begin().await.map_err($crate::error::db_error)?;
                let bumped = sqlx::query(
                    "UPDATE items SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3",
                )
                .bind(at)
                .bind(item.get())
                .bind(state.version)
                .execute(&mut *tx)
                .await
                .map_err($crate::error::db_error)?;
                if bumped.rows_affected() == 0 {
                    return Err($crate::work_sql::changed_meanwhile(item));
                }
                Ok(tx)
            }
        }
    };
}

pub(crate) use impl_item_work_store;

/// The conflict of a change decided on a state that moved on before it was written.
pub(crate) fn changed_meanwhile(item: WorkItemId) -> CoreError {
    CoreError::Conflict(format!(
        "item {} changed meanwhile; read it again and retry",
        item.reference()
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::MyWorkDocument;

    fn offer(offer: i64, expires_at: Option<&str>) -> serde_json::Value {
        json!({"offer": offer, "item": offer * 10, "channel": "email", "subject": null,
            "sender_email": null, "sender_phone": null, "sender_name": null,
            "offered_at": "2026-01-01T08:00:00Z", "expires_at": expires_at})
    }

    fn owned(item: i64, priority: i64, sla: Option<&str>, link: Option<i64>) -> serde_json::Value {
        json!({"item": item, "channel": "email", "subject": null, "status": "assigned",
            "priority": priority, "sla_due_at": sla, "received_at": "2026-01-01T07:00:00Z",
            "link": link, "assigned_at": "2026-01-01T08:00:00Z",
            "customer_no": link.map(|link| format!("C{link}")), "customer_name": null})
    }

    #[test]
    fn the_work_list_is_ordered_and_each_item_keeps_its_first_customer_link() {
        let document = json!({
            "offers": [offer(2, None), offer(3, Some("2026-01-01T10:00:00Z")),
                offer(1, Some("2026-01-01T09:00:00Z"))],
            "assigned": [owned(5, 1, None, None), owned(7, 3, None, Some(9)),
                owned(7, 3, None, Some(4)), owned(6, 3, Some("2026-01-02T08:00:00Z"), None)],
        });
        let work = MyWorkDocument::parse(&document.to_string()).unwrap();
        let offers: Vec<i64> = work.offers.iter().map(|offer| offer.offer.get()).collect();
        assert_eq!(offers, [1, 3, 2], "soonest to expire first, none last");
        let assigned: Vec<(i64, Option<&str>)> = work
            .assigned
            .iter()
            .map(|work| (work.item.get(), work.customer_no.as_deref()))
            .collect();
        assert_eq!(assigned, [(6, None), (7, Some("C4")), (5, None)]);
    }
}
