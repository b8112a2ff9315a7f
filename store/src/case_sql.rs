//! Cases in the database: placing an item in its case inside the transaction that sets its
//! links (new items, task updates, link edits), and the reads of
//! [`switchboard_core::case::CaseStore`]; written once and expanded for each database by
//! [`impl_case_store!`]. The grouping rules themselves are [`switchboard_core::case::decide`]
//! (placing one item, merging the cases it ties) and [`switchboard_core::case::regroup`]
//! (examining a case again after a member left or changed), applied in memory by
//! [`switchboard_core::case::CaseBook`] to everything a batch of placements can touch.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use switchboard_core::case::{BookItem, BookMember, CaseBook, CaseRule, RelatedItem};
use switchboard_core::item::{Channel, ItemStatus};
use switchboard_core::link::LinkKind;
use switchboard_core::{CaseId, CoreError, WorkItemId};

use crate::rows::parse_enum;

/// The columns of a [`RelatedRow`], for `FROM items LEFT JOIN users … LEFT JOIN case_items …`.
pub(crate) const RELATED_SELECT: &str = "SELECT items.id, items.channel, items.subject, \
     items.status, users.login AS holder, items.received_at, case_items.case_id, \
     case_items.evidence FROM items \
     LEFT JOIN users ON users.id = items.assigned_user_id \
     LEFT JOIN case_items ON case_items.item_id = items.id";

/// An item as the related view lists it, as the database returns it: a row by column names,
/// or in the item page's document an array in the order of these fields
/// (`item_view_sql::RELATED_FIELDS`).
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct RelatedRow {
    id: i64,
    channel: String,
    subject: Option<String>,
    status: String,
    holder: Option<String>,
    #[serde(with = "crate::json_time")]
    received_at: DateTime<Utc>,
    case_id: Option<i64>,
    evidence: Option<String>,
}

impl RelatedRow {
    pub(crate) fn into_related(self) -> Result<RelatedItem, CoreError> {
        let item = WorkItemId::new(self.id);
        Ok(RelatedItem {
            item,
            reference: item.reference(),
            channel: parse_enum("channel", &self.channel, Channel::parse)?,
            subject: self.subject,
            status: parse_enum("status", &self.status, ItemStatus::parse)?,
            holder: self.holder,
            received_at: self.received_at,
            case_id: self.case_id.map(CaseId::new),
            evidence: self.evidence,
        })
    }
}

/// The columns of a [`CaseItemRow`].
const CASE_ITEM_COLUMNS: &str = "items.id, items.received_at, items.noise, items.status, \
     case_items.case_id, case_items.evidence";

/// Items as [`CaseItemRow`]s, for `WHERE` clauses to follow.
pub(crate) fn case_item_select() -> String {
    format!(
        "SELECT {CASE_ITEM_COLUMNS} FROM items \
         LEFT JOIN case_items ON case_items.item_id = items.id"
    )
}

/// Items as [`CaseItemRow`]s found through their applied customer links within the spans of a
/// `spans (customer, span_from, span_to)` table, for [`CASE_CANDIDATES_WHERE`]. `CROSS JOIN`
/// keeps the spans outside (SQLite does not reorder it), each sought in
/// `links_customer_received`: left to itself, SQLite's planner read every applied customer
/// link and compared it with each span once there were more than a few spans (60 ms instead
/// of 1.8 for 75 spans over 10,000 items).
pub(crate) fn case_candidate_select() -> String {
    format!(
        "SELECT {CASE_ITEM_COLUMNS} FROM spans CROSS JOIN links \
         JOIN items ON items.id = links.item_id \
         LEFT JOIN case_items ON case_items.item_id = items.id"
    )
}

/// The candidates of case placements among [`case_candidate_select`]'s rows: linked to the
/// span's customer within it, neither noise nor discarded or failed.
pub(crate) const CASE_CANDIDATES_WHERE: &str = "WHERE links.key = spans.customer \
     AND links.kind = 'customer' AND links.applied = TRUE \
     AND links.received_at >= spans.span_from AND links.received_at <= spans.span_to \
     AND items.noise IS NULL AND items.status NOT IN ('discarded', 'failed')";

/// An item as case placement reads it: id, received time, noise, status, and its case and
/// evidence when it is in one.
pub(crate) type CaseItemRow = (
    i64,
    DateTime<Utc>,
    Option<String>,
    String,
    Option<i64>,
    Option<String>,
);

/// Builds the book of case placement from the items read (each once), their applied
/// customer and order links `(item, kind, key)` in the order they were made, and the customer
/// of each case they are in.
pub(crate) fn case_book(
    rule: CaseRule,
    rows: Vec<CaseItemRow>,
    links: &[(i64, String, String)],
    cases: Vec<(i64, String)>,
) -> Result<CaseBook, CoreError> {
    let mut keys: HashMap<i64, (Vec<String>, Vec<String>)> = HashMap::new();
    for (item, kind, key) in links {
        let (customers, orders) = keys.entry(*item).or_default();
        if kind == LinkKind::Customer.as_str() {
            customers.push(key.clone());
        } else if kind == LinkKind::Order.as_str() {
            orders.push(key.clone());
        }
    }
    let mut items = Vec::with_capacity(rows.len());
    let mut memberships = Vec::new();
    for (id, received_at, noise, status, case, evidence) in rows {
        let (customers, orders) = keys.remove(&id).unwrap_or_default();
        items.push(BookItem {
            id: WorkItemId::new(id),
            received_at,
            noise: noise.is_some(),
            status: parse_enum("status", &status, ItemStatus::parse)?,
            customers,
            orders,
        });
        if let (Some(case), Some(evidence)) = (case, evidence) {
            memberships.push(BookMember {
                item: WorkItemId::new(id),
                case: CaseId::new(case),
                evidence,
            });
        }
    }
    let cases = cases
        .into_iter()
        .map(|(id, customer)| (CaseId::new(id), customer))
        .collect();
    Ok(CaseBook::new(rule, items, memberships, cases))
}

/// Implements case placement and [`switchboard_core::case::CaseStore`] on `$store` (a struct
/// with `pool: sqlx::Pool<$db>` and `cases: CaseRule` fields).
macro_rules! impl_case_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::case::CaseStore for $store {
            #[tracing::instrument(skip_all)]
            async fn case_of(
                &self,
                item: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::case::CaseView>> {
                let case: Option<(i64, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                    "SELECT cases.id, cases.customer_number, cases.opened_at FROM case_items \
                     JOIN cases ON cases.id = case_items.case_id WHERE case_items.item_id = $1",
                )
                .bind(item.get())
                .fetch_optional(&self.pool)
                .await
                .map_err($crate::error::db_error)?;
                let Some((id, customer_no, opened_at)) = case else {
                    return Ok(None);
                };
                let rows: Vec<$crate::case_sql::RelatedRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{} WHERE case_items.case_id = $1 ORDER BY items.received_at, items.id",
                        $crate::case_sql::RELATED_SELECT
                    )))
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                Ok(Some(switchboard_core::case::CaseView {
                    id: switchboard_core::CaseId::new(id),
                    customer_no,
                    opened_at,
                    members: rows
                        .into_iter()
                        .map($crate::case_sql::RelatedRow::into_related)
                        .collect::<Result<_, _>>()?,
                }))
            }

            #[tracing::instrument(skip_all)]
            async fn customer_items(
                &self,
                customer_no: &str,
                except: switchboard_core::WorkItemId,
                limit: u32,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::case::RelatedItem>> {
                let rows: Vec<$crate::case_sql::RelatedRow> =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "{} JOIN links ON links.item_id = items.id AND links.kind = 'customer' \
                         AND links.applied = TRUE AND links.key = $1 \
                         WHERE items.id <> $2 AND items.noise IS NULL \
                         ORDER BY links.received_at DESC, links.item_id DESC LIMIT $3",
                        $crate::case_sql::RELATED_SELECT
                    )))
                    .bind(customer_no)
                    .bind(except.get())
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err($crate::error::db_error)?;
                rows.into_iter()
                    .map($crate::case_sql::RelatedRow::into_related)
                    .collect()
            }
        }

        impl $store {
            /// Places one item in its case — or takes it out of the one it is in — from its
            /// applied links as `tx` sees them ([`Self::place_in_cases`]).
            pub(crate) async fn place_in_case(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: i64,
                rule: &switchboard_core::case::CaseRule,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                Self::place_in_cases(tx, &[item], rule, now).await
            }

            /// Places items in their cases one after another, exactly as one by one: the
            /// customers' other items within the window are the candidates, and the case each
            /// leaves and the one it ends in are examined again. Decisions for one customer are
            /// serialised (`lock_customers`). The cases and items the placements can touch are
            /// read once into a [`switchboard_core::case::CaseBook`], and its writes are made
            /// a statement per kind.
            pub(crate) async fn place_in_cases(
                tx: &mut sqlx::Transaction<'_, $db>,
                items: &[i64],
                rule: &switchboard_core::case::CaseRule,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                if items.is_empty() {
                    return Ok(());
                }
                let mut book = Self::case_book_in(tx, items, rule).await?;
                for item in items {
                    book.place(switchboard_core::WorkItemId::new(*item));
                }
                Self::write_case_steps_in(tx, book.into_steps(), now).await
            }

            /// Reads what placing `items` can touch: the items, their customers' items within
            /// the window of them, every member of those items' cases, their applied customer
            /// and order links, and the cases' customers (locked before anything is read).
            async fn case_book_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                items: &[i64],
                rule: &switchboard_core::case::CaseRule,
            ) -> switchboard_core::error::CoreResult<switchboard_core::case::CaseBook> {
                let subject_links = Self::applied_links_of(tx, items, &["customer"]).await?;
                let mut customers: Vec<String> =
                    subject_links.iter().map(|(_, _, key)| key.clone()).collect();
                customers.sort_unstable();
                customers.dedup();
                Self::lock_customers(tx, &customers).await?;
                let mut rows = Self::case_item_rows(tx, "items.id", items).await?;
                let mut near: Vec<(String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> =
                    Vec::new();
                for (item, _, customer) in &subject_links {
                    let Some(row) = rows.iter().find(|row| row.0 == *item) else {
                        continue;
                    };
                    let (from, to) = (row.1 - rule.window(), row.1 + rule.window());
                    match near.iter_mut().find(|(key, ..)| key == customer) {
                        Some((_, start, end)) => {
                            *start = (*start).min(from);
                            *end = (*end).max(to);
                        }
                        None => near.push((customer.clone(), from, to)),
                    }
                }
                rows.extend(Self::customer_item_rows(tx, &near).await?);
                let mut cases: Vec<i64> = rows.iter().filter_map(|row| row.4).collect();
                cases.sort_unstable();
                cases.dedup();
                rows.extend(Self::case_item_rows(tx, "case_items.case_id", &cases).await?);
                rows.sort_unstable_by_key(|row| row.0);
                rows.dedup_by_key(|row| row.0);
                let ids: Vec<i64> = rows.iter().map(|row| row.0).collect();
                let links = Self::applied_links_of(tx, &ids, &["customer", "order"]).await?;
                let case_customers = Self::case_customers(tx, &cases).await?;
                let unlocked: Vec<String> = case_customers
                    .iter()
                    .map(|(_, customer)| customer.clone())
                    .filter(|customer| customers.binary_search(customer).is_err())
                    .collect();
                Self::lock_customers(tx, &unlocked).await?;
                $crate::case_sql::case_book(*rule, rows, &links, case_customers)
            }

            /// Serialises the case decisions about these customers: PostgreSQL locks their
            /// rows (a no-op update of a column that is no key, so no foreign key is checked and
            /// the master-data fingerprint stays), SQLite holds its one write lock already.
            async fn lock_customers(
                tx: &mut sqlx::Transaction<'_, $db>,
                customers: &[String],
            ) -> switchboard_core::error::CoreResult<()> {
                for chunk in customers.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut lock = sqlx::QueryBuilder::<$db>::new(
                        "UPDATE customers SET updated_at = updated_at WHERE customer_number IN ",
                    );
                    $crate::bind::push_in_list(&mut lock, chunk.iter().cloned());
                    lock.build()
                        .execute(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                }
                Ok(())
            }

            /// The items (with their case membership) whose `column` is one of `values`.
            async fn case_item_rows(
                tx: &mut sqlx::Transaction<'_, $db>,
                column: &'static str,
                values: &[i64],
            ) -> switchboard_core::error::CoreResult<Vec<$crate::case_sql::CaseItemRow>> {
                let mut rows = Vec::new();
                for chunk in values.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut select = sqlx::QueryBuilder::<$db>::new(format!(
                        "{} WHERE {column} IN ",
                        $crate::case_sql::case_item_select()
                    ));
                    $crate::bind::push_in_list(&mut select, chunk.iter().copied());
                    let found: Vec<$crate::case_sql::CaseItemRow> = select
                        .build_query_as()
                        .fetch_all(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    rows.extend(found);
                }
                Ok(rows)
            }

            /// The items linked (applied) to each customer and received within its span,
            /// noise, discarded and failed items left out: the candidates of placements.
            async fn customer_item_rows(
                tx: &mut sqlx::Transaction<'_, $db>,
                spans: &[(String, chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)],
            ) -> switchboard_core::error::CoreResult<Vec<$crate::case_sql::CaseItemRow>> {
                let mut rows = Vec::new();
                for chunk in spans.chunks($crate::intake_sql::ROWS_PER_STATEMENT / 4) {
                    // The spans are joined as a table: an OR of one condition per customer
                    // made SQLite's planner fail ("internal query planner error") on a
                    // database with `ANALYZE` statistics.
                    let mut select = sqlx::QueryBuilder::<$db>::new(
                        "WITH spans (customer, span_from, span_to) AS (",
                    );
                    select.push_values(chunk, |mut row, (customer, from, to)| {
                        row.push_bind(customer.clone())
                            .push_bind(*from)
                            .push_bind(*to);
                    });
                    select.push(format!(
                        ") {} {}",
                        $crate::case_sql::case_candidate_select(),
                        $crate::case_sql::CASE_CANDIDATES_WHERE
                    ));
                    let found: Vec<$crate::case_sql::CaseItemRow> = select
                        .build_query_as()
                        .fetch_all(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    rows.extend(found);
                }
                Ok(rows)
            }

            /// The applied links of `kinds` of `items`: (item, kind, key), in the order they
            /// were made.
            async fn applied_links_of(
                tx: &mut sqlx::Transaction<'_, $db>,
                items: &[i64],
                kinds: &[&str],
            ) -> switchboard_core::error::CoreResult<Vec<(i64, String, String)>> {
                let mut links = Vec::new();
                for chunk in items.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut select =
                        sqlx::QueryBuilder::<$db>::new("SELECT item_id, kind, key FROM links WHERE kind IN ");
                    $crate::bind::push_in_list(&mut select, kinds.iter().copied());
                    select.push(" AND applied = ").push_bind(true).push(" AND item_id IN ");
                    $crate::bind::push_in_list(&mut select, chunk.iter().copied());
                    select.push(" ORDER BY id");
                    let found: Vec<(i64, String, String)> = select
                        .build_query_as()
                        .fetch_all(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    links.extend(found);
                }
                Ok(links)
            }

            /// The customer each case was opened for.
            async fn case_customers(
                tx: &mut sqlx::Transaction<'_, $db>,
                cases: &[i64],
            ) -> switchboard_core::error::CoreResult<Vec<(i64, String)>> {
                let mut customers = Vec::new();
                for chunk in cases.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                    let mut select = sqlx::QueryBuilder::<$db>::new(
                        "SELECT id, customer_number FROM cases WHERE id IN ",
                    );
                    $crate::bind::push_in_list(&mut select, chunk.iter().copied());
                    let found: Vec<(i64, String)> = select
                        .build_query_as()
                        .fetch_all(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    customers.extend(found);
                }
                Ok(customers)
            }

            /// Makes the book's writes in order: cases are opened (the book's numbers replaced
            /// by the stored ones) and ended where the placements did it, memberships between.
            async fn write_case_steps_in(
                tx: &mut sqlx::Transaction<'_, $db>,
                steps: Vec<switchboard_core::case::CaseStep>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                use switchboard_core::case::CaseStep;

                let mut stored: std::collections::HashMap<switchboard_core::CaseId, i64> =
                    std::collections::HashMap::new();
                let number = |stored: &std::collections::HashMap<switchboard_core::CaseId, i64>,
                              case: switchboard_core::CaseId| {
                    stored.get(&case).copied().unwrap_or(case.get())
                };
                for step in steps {
                    match step {
                        CaseStep::Open {
                            provisional,
                            customer,
                        } => {
                            let id: i64 = sqlx::query_scalar(
                                "INSERT INTO cases (customer_number, opened_at) VALUES ($1, $2) \
                                 RETURNING id",
                            )
                            .bind(&customer)
                            .bind(now)
                            .fetch_one(&mut **tx)
                            .await
                            .map_err($crate::error::db_error)?;
                            stored.insert(provisional, id);
                        }
                        CaseStep::Remove(items) => {
                            for chunk in items.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                                let mut delete = sqlx::QueryBuilder::<$db>::new(
                                    "DELETE FROM case_items WHERE item_id IN ",
                                );
                                $crate::bind::push_in_list(
                                    &mut delete,
                                    chunk.iter().map(|item| item.get()),
                                );
                                delete
                                    .build()
                                    .execute(&mut **tx)
                                    .await
                                    .map_err($crate::error::db_error)?;
                            }
                        }
                        CaseStep::Upsert(members) => {
                            for chunk in members.chunks($crate::intake_sql::ROWS_PER_STATEMENT) {
                                let mut upsert = sqlx::QueryBuilder::<$db>::new(
                                    "INSERT INTO case_items (item_id, case_id, evidence, joined_at) ",
                                );
                                upsert.push_values(chunk, |mut row, member| {
                                    row.push_bind(member.item.get())
                                        .push_bind(number(&stored, member.case))
                                        .push_bind(member.evidence.clone())
                                        .push_bind(now);
                                });
                                upsert.push(
                                    " ON CONFLICT (item_id) DO UPDATE SET case_id = excluded.case_id, \
                                     evidence = excluded.evidence",
                                );
                                upsert
                                    .build()
                                    .execute(&mut **tx)
                                    .await
                                    .map_err($crate::error::db_error)?;
                            }
                        }
                        CaseStep::End(case) => {
                            sqlx::query("DELETE FROM cases WHERE id = $1")
                                .bind(number(&stored, case))
                                .execute(&mut **tx)
                                .await
                                .map_err($crate::error::db_error)?;
                        }
                    }
                }
                Ok(())
            }
        }
    };
}

pub(crate) use impl_case_store;
