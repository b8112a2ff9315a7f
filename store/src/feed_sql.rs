//! The [`ChangeFeed`](switchboard_core::feed::ChangeFeed) implementation, written once and
//! expanded for each database by [`impl_change_feed!`], like `sql_store.rs`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use switchboard_core::feed::{CustomerHitRecord, IndexableItem, ItemHitRecord, OrderHitRecord};
use switchboard_core::item::{Channel, ItemStatus, Language, SenderIdentity};
use switchboard_core::link::LinkKind;
use switchboard_core::{CoreError, CustomerNo, OrderNo, QueueId, WorkItemId};

use crate::json_sql::{JsonSql, positional};
use crate::rows::{parse_enum, parse_optional};

/// Ids bound per `IN (...)` list, well below both dialects' parameter limits.
pub(crate) const IDS_PER_STATEMENT: usize = 500;

/// Master tables whose records the index shows.
pub(crate) const MASTER_VERSION_TABLES: [&str; 5] = [
    "customers",
    "contacts",
    "orders",
    "order_lines",
    "deliveries",
];

/// An attachment's item and file name.
#[derive(sqlx::FromRow)]
pub(crate) struct AttachmentNameRow {
    pub item_id: i64,
    pub file_name: String,
}

/// What the search index reads of an item ([`INDEXABLE_SELECT`]): not the whole item, whose
/// HTML, routing state and details it never shows (the full item row cost the indexer as much
/// to read as the intake to write).
#[derive(sqlx::FromRow)]
pub(crate) struct IndexableRow {
    pub id: i64,
    channel: String,
    status: String,
    language: Option<String>,
    received_at: DateTime<Utc>,
    subject: Option<String>,
    text: String,
    sender_email: Option<String>,
    sender_phone: Option<String>,
    sender_name: Option<String>,
    queue_id: Option<i64>,
}

/// The columns [`IndexableRow`] reads; the caller appends the condition.
pub(crate) const INDEXABLE_SELECT: &str = "SELECT id, channel, status, language, received_at, \
     subject, text, sender_email, sender_phone, sender_name, queue_id FROM items";

/// An applied customer or order link of an item ([`INDEXED_LINKS_SELECT`]).
#[derive(sqlx::FromRow)]
pub(crate) struct IndexedLinkRow {
    pub item_id: i64,
    kind: String,
    key: String,
}

/// The links [`IndexedLinkRow`] reads; the caller appends the items' condition and the order
/// (`ORDER BY item_id, id`).
pub(crate) const INDEXED_LINKS_SELECT: &str = "SELECT item_id, kind, key FROM links \
     WHERE applied = TRUE AND kind IN ('customer', 'order') AND item_id";

/// An item's summary as a search hit shows it, with its queue's name and its first applied
/// customer link; in [`item_hits_statement`]'s document an array in the order of these fields
/// ([`ITEM_HIT_FIELDS`]).
#[derive(serde::Deserialize)]
pub(crate) struct ItemHitRow {
    id: i64,
    subject: Option<String>,
    channel: String,
    status: String,
    #[serde(with = "crate::json_time")]
    received_at: DateTime<Utc>,
    sender_email: Option<String>,
    sender_phone: Option<String>,
    sender_name: Option<String>,
    queue_name: Option<String>,
    customer_no: Option<String>,
}

/// In the order of [`ItemHitRow`]'s fields: the rows are read by position.
const ITEM_HIT_FIELDS: &str = "id, subject, channel, status, received_at, sender_email, \
     sender_phone, sender_name, queue_name=queues.name, customer_no=(SELECT links.key FROM links \
     WHERE links.item_id = items.id AND links.kind = 'customer' AND links.applied = TRUE \
     ORDER BY links.id LIMIT 1)";

/// The item records of search hits, `$1` being their ids ([`Parameter::ids`]): one JSON array
/// of [`ItemHitRow`]s, in no order, without the ids that have no item. One statement however
/// many hits, so that on SQLite it runs inline like the other page reads (through sqlx, the
/// search page's hit reads were 18 % of its samples on the connection's thread, besides the
/// hand-offs).
///
/// [`Parameter::ids`]: crate::json_sql::Parameter::ids
pub(crate) fn item_hits_statement<D: JsonSql>() -> String {
    format!(
        "SELECT {}",
        D::text(&D::array(
            &positional::<D>("items", ITEM_HIT_FIELDS),
            &format!(
                "items LEFT JOIN queues ON queues.id = items.queue_id WHERE items.id IN {}",
                D::ids_in()
            ),
        ))
    )
}

impl ItemHitRow {
    pub(crate) fn into_record(self) -> Result<ItemHitRecord, CoreError> {
        Ok(ItemHitRecord {
            id: WorkItemId::new(self.id),
            subject: self.subject,
            channel: parse_enum("channel", &self.channel, Channel::parse)?,
            status: parse_enum("status", &self.status, ItemStatus::parse)?,
            received_at: self.received_at,
            sender: SenderIdentity {
                email: self.sender_email,
                phone: self.sender_phone,
                name: self.sender_name,
            },
            queue: self.queue_name,
            customer_no: self.customer_no.map(CustomerNo::new),
        })
    }
}

/// A customer's summary as a search hit shows it.
#[derive(sqlx::FromRow)]
pub(crate) struct CustomerHitRow {
    customer_number: String,
    name: String,
    city: Option<String>,
}

/// The columns [`CustomerHitRow`] reads; the caller appends the number list and closes it.
pub(crate) const CUSTOMER_HIT_SELECT: &str =
    "SELECT customer_number, name, city FROM customers WHERE customer_number IN (";

impl From<CustomerHitRow> for CustomerHitRecord {
    fn from(row: CustomerHitRow) -> Self {
        Self {
            number: CustomerNo::new(row.customer_number),
            name: row.name,
            city: row.city,
        }
    }
}

/// An order's summary as a search hit shows it.
#[derive(sqlx::FromRow)]
pub(crate) struct OrderHitRow {
    order_number: String,
    customer_number: String,
    status: String,
    order_date: Option<chrono::NaiveDate>,
}

/// The columns [`OrderHitRow`] reads; the caller appends the number list and closes it.
pub(crate) const ORDER_HIT_SELECT: &str =
    "SELECT order_number, customer_number, status, order_date FROM orders WHERE order_number IN (";

impl From<OrderHitRow> for OrderHitRecord {
    fn from(row: OrderHitRow) -> Self {
        Self {
            number: OrderNo::new(row.order_number),
            customer_no: CustomerNo::new(row.customer_number),
            status: row.status,
            order_date: row.order_date,
        }
    }
}

/// Builds indexable items from item rows with their links (each item's in id order) and
/// attachment names.
pub(crate) fn indexable(
    rows: Vec<IndexableRow>,
    links: Vec<IndexedLinkRow>,
    attachments: Vec<AttachmentNameRow>,
) -> Result<Vec<IndexableItem>, CoreError> {
    let mut links_by_item: HashMap<i64, Vec<IndexedLinkRow>> = HashMap::new();
    for link in links {
        links_by_item.entry(link.item_id).or_default().push(link);
    }
    let mut names_by_item: HashMap<i64, Vec<String>> = HashMap::new();
    for attachment in attachments {
        names_by_item
            .entry(attachment.item_id)
            .or_default()
            .push(attachment.file_name);
    }
    rows.into_iter()
        .map(|row| {
            let mut customer_no = None;
            let mut order_nos = Vec::new();
            for link in links_by_item.remove(&row.id).unwrap_or_default() {
                match parse_enum("link kind", &link.kind, LinkKind::parse)? {
                    LinkKind::Customer if customer_no.is_none() => {
                        customer_no = Some(CustomerNo::new(link.key));
                    }
                    LinkKind::Order => order_nos.push(OrderNo::new(link.key)),
                    _ => {}
                }
            }
            Ok(IndexableItem {
                id: WorkItemId::new(row.id),
                channel: parse_enum("channel", &row.channel, Channel::parse)?,
                status: parse_enum("status", &row.status, ItemStatus::parse)?,
                language: parse_optional("language", row.language.as_deref(), Language::parse)?,
                received_at: row.received_at,
                subject: row.subject,
                text: row.text,
                sender: SenderIdentity {
                    email: row.sender_email,
                    phone: row.sender_phone,
                    name: row.sender_name,
                },
                queue_id: row.queue_id.map(QueueId::new),
                customer_no,
                order_nos,
                attachment_names: names_by_item.remove(&row.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// Implements [`switchboard_core::feed::ChangeFeed`] for `$store` (a struct with a `pool`
/// field of `sqlx::Pool<$db>`).
macro_rules! impl_change_feed {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::feed::ChangeFeed for $store {
            #[tracing::instrument(skip_all)]
            async fn changes_after(
                &self,
                seq: i64,
                limit: u32,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::feed::FeedEntry>> {
                let rows: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT seq, item_id FROM item_changes WHERE seq > $1 ORDER BY seq LIMIT $2",
                )
                .bind(seq)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                Ok(rows
                    .into_iter()
                    .map(|(seq, item_id)| switchboard_core::feed::FeedEntry {
                        seq,
                        item_id: switchboard_core::WorkItemId::new(item_id),
                    })
                    .collect())
            }

            #[tracing::instrument(skip_all)]
            async fn max_change_seq(&self) -> switchboard_core::error::CoreResult<i64> {
                let max: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM item_changes")
                    .fetch_one(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(max.unwrap_or(0))
            }

            #[tracing::instrument(skip_all)]
            async fn indexable_items(
                &self,
                ids: &[switchboard_core::WorkItemId],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::feed::IndexableItem>>
            {
                let mut items = Vec::with_capacity(ids.len());
                for chunk in ids.chunks($crate::feed_sql::IDS_PER_STATEMENT) {
                    let ids: Vec<i64> = chunk.iter().map(|id| id.get()).collect();
                    let rows: Vec<$crate::feed_sql::IndexableRow> = Self::rows_with_ids(
                        &format!("{} WHERE id IN (", $crate::feed_sql::INDEXABLE_SELECT),
                        &ids,
                        ") ORDER BY id",
                        &self.pool,
                    )
                    .await?;
                    let links: Vec<$crate::feed_sql::IndexedLinkRow> = Self::rows_with_ids(
                        &format!("{} IN (", $crate::feed_sql::INDEXED_LINKS_SELECT),
                        &ids,
                        ") ORDER BY item_id, id",
                        &self.pool,
                    )
                    .await?;
                    let attachments: Vec<$crate::feed_sql::AttachmentNameRow> =
                        Self::rows_with_ids(
                            "SELECT item_id, file_name FROM attachments WHERE item_id IN (",
                            &ids,
                            ") ORDER BY item_id, id",
                            &self.pool,
                        )
                        .await?;
                    items.extend($crate::feed_sql::indexable(rows, links, attachments)?);
                }
                Ok(items)
            }

            #[tracing::instrument(skip_all)]
            async fn item_hit_records(
                &self,
                ids: &[switchboard_core::WorkItemId],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::feed::ItemHitRecord>>
            {
                use $crate::json_sql::JsonSql;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
                let document = self
                    .read_document(
                        <$db>::statements().item_hits.as_str(),
                        $crate::json_sql::Parameter::ids(&ids),
                    )
                    .await?
                    .unwrap_or_else(|| "[]".to_owned());
                serde_json::from_str::<Vec<$crate::feed_sql::ItemHitRow>>(&document)
                    .map_err(|error| $crate::error::corrupt("search hits", &error.to_string()))?
                    .into_iter()
                    .map($crate::feed_sql::ItemHitRow::into_record)
                    .collect()
            }

            #[tracing::instrument(skip_all)]
            async fn customer_hit_records(
                &self,
                numbers: &[switchboard_core::CustomerNo],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::feed::CustomerHitRecord>>
            {
                Self::records_by_number::<$crate::feed_sql::CustomerHitRow, _>(
                    $crate::feed_sql::CUSTOMER_HIT_SELECT,
                    numbers.iter().map(|number| number.as_str()),
                    &self.pool,
                )
                .await
            }

            #[tracing::instrument(skip_all)]
            async fn order_hit_records(
                &self,
                numbers: &[switchboard_core::OrderNo],
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::feed::OrderHitRecord>>
            {
                Self::records_by_number::<$crate::feed_sql::OrderHitRow, _>(
                    $crate::feed_sql::ORDER_HIT_SELECT,
                    numbers.iter().map(|number| number.as_str()),
                    &self.pool,
                )
                .await
            }

            #[tracing::instrument(skip_all)]
            async fn indexable_items_after(
                &self,
                after: Option<switchboard_core::WorkItemId>,
                limit: u32,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::feed::IndexableItem>>
            {
                let after = after.map_or(0, switchboard_core::WorkItemId::get);
                let rows: Vec<$crate::feed_sql::IndexableRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{} WHERE id > $1 ORDER BY id LIMIT $2",
                        $crate::feed_sql::INDEXABLE_SELECT
                    )))
                    .bind(after)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                    return Ok(Vec::new());
                };
                let (first, last) = (first.id, last.id);
                let links: Vec<$crate::feed_sql::IndexedLinkRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{} BETWEEN $1 AND $2 ORDER BY item_id, id",
                        $crate::feed_sql::INDEXED_LINKS_SELECT
                    )))
                    .bind(first)
                    .bind(last)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                let attachments: Vec<$crate::feed_sql::AttachmentNameRow> = sqlx::query_as(
                    "SELECT item_id, file_name FROM attachments \
                     WHERE item_id BETWEEN $1 AND $2 ORDER BY item_id, id",
                )
                .bind(first)
                .bind(last)
                .fetch_all(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                $crate::feed_sql::indexable(rows, links, attachments)
            }

            #[tracing::instrument(skip_all)]
            async fn master_version(
                &self,
            ) -> switchboard_core::error::CoreResult<switchboard_core::feed::MasterVersion> {
                let mut parts = Vec::with_capacity($crate::feed_sql::MASTER_VERSION_TABLES.len());
                for table in $crate::feed_sql::MASTER_VERSION_TABLES {
                    let part: (i64, Option<chrono::DateTime<chrono::Utc>>) =
                        sqlx::query_as(sqlx::AssertSqlSafe(format!(
                            "SELECT COUNT(*), MAX(updated_at) FROM {table}"
                        )))
                        .fetch_one(&self.pool)
                        .await
                        .map_err($crate::error::db_error)?;
                    parts.push(part);
                }
                Ok(switchboard_core::feed::MasterVersion(parts))
            }

            #[tracing::instrument(skip_all)]
            async fn queue_id(
                &self,
                name: &str,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::QueueId>> {
                let id: Option<i64> = sqlx::query_scalar("SELECT id FROM queues WHERE name = $1")
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(id.map(switchboard_core::QueueId::new))
            }
        }

        impl $store {
            /// Reads the rows `head` (ending in an open `IN (` list) selects for `keys`, in one
            /// statement per `IDS_PER_STATEMENT` keys.
            async fn rows_for_keys<T, K>(
                head: &str,
                keys: &[K],
                pool: &sqlx::Pool<$db>,
            ) -> switchboard_core::error::CoreResult<Vec<T>>
            where
                T: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
                K: for<'q> sqlx::Encode<'q, $db> + sqlx::Type<$db> + Clone + Send + Sync + 'static,
            {
                let mut rows = Vec::with_capacity(keys.len());
                for chunk in keys.chunks($crate::feed_sql::IDS_PER_STATEMENT) {
                    rows.extend(Self::rows_with_ids(head, chunk, ")", pool).await?);
                }
                Ok(rows)
            }

            /// Reads the records `head` (ending in an open `IN (` list) selects for master-data
            /// numbers (customers, orders), converting each row.
            async fn records_by_number<T, R>(
                head: &str,
                numbers: impl Iterator<Item = &str>,
                pool: &sqlx::Pool<$db>,
            ) -> switchboard_core::error::CoreResult<Vec<R>>
            where
                T: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin + Into<R>,
            {
                let keys: Vec<String> = numbers.map(str::to_owned).collect();
                let rows: Vec<T> = Self::rows_for_keys(head, &keys, pool).await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            /// Runs `head <ids, comma separated> tail` and reads the rows.
            async fn rows_with_ids<T, K>(
                head: &str,
                ids: &[K],
                tail: &str,
                pool: &sqlx::Pool<$db>,
            ) -> switchboard_core::error::CoreResult<Vec<T>>
            where
                T: for<'r> sqlx::FromRow<'r, <$db as sqlx::Database>::Row> + Send + Unpin,
                K: for<'q> sqlx::Encode<'q, $db> + sqlx::Type<$db> + Clone + Send + Sync + 'static,
            {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut builder = sqlx::QueryBuilder::<$db>::new(head);
                let mut separated = builder.separated(", ");
                for id in ids {
                    separated.push_bind(id.clone());
                }
                builder.push(tail);
                builder
                    .build_query_as()
                    .fetch_all(pool)
                    .await
                    .map_err($crate::error::db_error)
            }
        }
    };
}

pub(crate) use impl_change_feed;

#[cfg(test)]
mod tests {
    use super::*;

    /// Hits are read by position: [`ITEM_HIT_FIELDS`] must list them in the order
    /// [`ItemHitRow`] declares its fields, or values would land in the wrong field.
    #[test]
    fn item_hits_read_by_position_match_their_fields() {
        let sample = serde_json::json!({
            "id": 7, "subject": "Offerte", "channel": "email", "status": "queued",
            "received_at": "2026-01-02T03:04:05Z", "sender_email": "a@example.nl",
            "sender_phone": "+31201234567", "sender_name": "Anna", "queue_name": "orders",
            "customer_no": "0000118084",
        });
        let (by_name, by_position): (ItemHitRow, ItemHitRow) =
            crate::json_sql::read_by_name_and_position(sample, ITEM_HIT_FIELDS);
        assert_eq!(
            by_position.into_record().unwrap(),
            by_name.into_record().unwrap()
        );
    }
}
