//! Cases in the database: placing an item in its case inside the transaction that sets its
//! links (new items, task updates, link edits), and the reads of
//! [`switchboard_core::case::CaseStore`]; written once and expanded for each database by
//! [`impl_case_store!`]. The grouping rules themselves are [`switchboard_core::case::decide`]
//! (placing one item, merging the cases it ties) and [`switchboard_core::case::regroup`]
//! (examining a case again after a member left or changed).

use chrono::{DateTime, Utc};
use switchboard_core::case::{CaseSubject, RelatedItem};
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

/// Statuses of items that are still work: a case with such a member is open.
pub(crate) const OPEN_STATUSES: &str = "('new', 'queued', 'offered', 'assigned', 'waiting')";

/// An item as the related view lists it, as the database returns it.
#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct RelatedRow {
    id: i64,
    channel: String,
    subject: Option<String>,
    status: String,
    holder: Option<String>,
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

/// What the grouping reads of `item`, from the applied links `(item, kind, key)` of it (and
/// of other items, which are passed over) in the order they were made.
pub(crate) fn subject_of(
    item: i64,
    received_at: DateTime<Utc>,
    noise: bool,
    links: &[(i64, String, String)],
) -> CaseSubject {
    let keys = |kind: LinkKind| {
        links
            .iter()
            .filter(move |(of, stored, _)| *of == item && stored == kind.as_str())
            .map(|(_, _, key)| key.clone())
    };
    CaseSubject {
        item: WorkItemId::new(item),
        received_at,
        customer: keys(LinkKind::Customer).next(),
        orders: keys(LinkKind::Order).collect(),
        noise,
    }
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
                         AND links.applied = $1 AND links.key = $2 \
                         WHERE items.id <> $3 AND items.noise IS NULL \
                         ORDER BY items.received_at DESC, items.id DESC LIMIT $4",
                        $crate::case_sql::RELATED_SELECT
                    )))
                    .bind(true)
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
            /// Places an item in its case — or takes it out of the one it is in — from its
            /// applied links as `tx` sees them; the customer's other items within the window
            /// are the candidates. Decisions for one customer are serialised
            /// (`lock_customer`). The case the item leaves, and the one it ends in, are then
            /// examined again (`regroup_case`).
            pub(crate) async fn place_in_case(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: i64,
                rule: &switchboard_core::case::CaseRule,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                use switchboard_core::case::{CaseTarget, decide};

                let Some(subject) = Self::case_subject(tx, item).await? else {
                    return Ok(());
                };
                let candidates = match &subject.customer {
                    Some(customer) => {
                        Self::lock_customer(tx, customer).await?;
                        Self::case_candidates(tx, &subject, rule).await?
                    }
                    None => Vec::new(),
                };
                let decision = decide(&subject, &candidates, rule);
                let current: Option<i64> =
                    sqlx::query_scalar("SELECT case_id FROM case_items WHERE item_id = $1")
                        .bind(item)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                if let Some(current) = current {
                    let current_case = switchboard_core::CaseId::new(current);
                    // Staying, or moving along with its case as that case merges.
                    let stays = decision.as_ref().is_some_and(|decision| {
                        decision.target == CaseTarget::Existing(current_case)
                            || decision.merged.contains(&current_case)
                    });
                    if !stays {
                        Self::remove_from_case(tx, item).await?;
                        Self::regroup_case(tx, current, rule, now).await?;
                    }
                }
                let Some(decision) = decision else {
                    return Ok(());
                };
                let case_id: i64 = match decision.target {
                    CaseTarget::Existing(case) => case.get(),
                    CaseTarget::New => sqlx::query_scalar(
                        "INSERT INTO cases (customer_number, opened_at) VALUES ($1, $2) RETURNING id",
                    )
                    .bind(&decision.customer)
                    .bind(now)
                    .fetch_one(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)?,
                };
                for merged in &decision.merged {
                    Self::merge_case(tx, merged.get(), case_id).await?;
                }
                for join in &decision.joins {
                    sqlx::query(
                        "INSERT INTO case_items (item_id, case_id, evidence, joined_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (item_id) DO UPDATE SET \
                         case_id = excluded.case_id, evidence = excluded.evidence",
                    )
                    .bind(join.item.get())
                    .bind(case_id)
                    .bind(join.reason.to_string())
                    .bind(now)
                    .execute(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)?;
                }
                // The item's links may have changed while it stayed: the case may not hold
                // together any more, and its evidence follows the members as they are now.
                Self::regroup_case(tx, case_id, rule, now).await
            }

            /// Moves the members of case `from` into case `into` and ends `from`.
            async fn merge_case(
                tx: &mut sqlx::Transaction<'_, $db>,
                from: i64,
                into: i64,
            ) -> switchboard_core::error::CoreResult<()> {
                debug_assert_ne!(from, into, "a case merges into another");
                sqlx::query("UPDATE case_items SET case_id = $1 WHERE case_id = $2")
                    .bind(into)
                    .bind(from)
                    .execute(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)?;
                Self::end_case(tx, from).await
            }

            /// Ends a case that has no members any more.
            async fn end_case(
                tx: &mut sqlx::Transaction<'_, $db>,
                case: i64,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query("DELETE FROM cases WHERE id = $1")
                    .bind(case)
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
                    .map_err($crate::error::db_error)
            }

            /// Takes an item out of whatever case it is in.
            async fn remove_from_case(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: i64,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query("DELETE FROM case_items WHERE item_id = $1")
                    .bind(item)
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
                    .map_err($crate::error::db_error)
            }

            /// Serialises the case decisions about one customer: PostgreSQL locks the
            /// customer's row (a no-op update of a column that is no key, so no foreign key is
            /// checked and the master-data fingerprint stays), SQLite holds its one write lock
            /// already.
            async fn lock_customer(
                tx: &mut sqlx::Transaction<'_, $db>,
                customer: &str,
            ) -> switchboard_core::error::CoreResult<()> {
                sqlx::query("UPDATE customers SET updated_at = updated_at WHERE customer_number = $1")
                    .bind(customer)
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
                    .map_err($crate::error::db_error)
            }

            /// Examines the members of `case` again ([`switchboard_core::case::regroup`]):
            /// members that no longer belong leave, a part that broke off becomes a new case,
            /// a case left with no group ends, and each member's evidence is brought up to date.
            /// The case's customer is locked too, as an item that changed customer leaves a case
            /// of another customer than the one it is placed for.
            async fn regroup_case(
                tx: &mut sqlx::Transaction<'_, $db>,
                case: i64,
                rule: &switchboard_core::case::CaseRule,
                now: chrono::DateTime<chrono::Utc>,
            ) -> switchboard_core::error::CoreResult<()> {
                let customer: Option<String> =
                    sqlx::query_scalar("SELECT customer_number FROM cases WHERE id = $1")
                        .bind(case)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                let Some(customer) = customer else {
                    return Ok(());
                };
                Self::lock_customer(tx, &customer).await?;
                let rows: Vec<(i64, chrono::DateTime<chrono::Utc>, Option<String>, String)> =
                    sqlx::query_as(
                        "SELECT items.id, items.received_at, items.noise, case_items.evidence \
                         FROM case_items JOIN items ON items.id = case_items.item_id \
                         WHERE case_items.case_id = $1 ORDER BY items.id",
                    )
                    .bind(case)
                    .fetch_all(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)?;
                let ids: Vec<i64> = rows.iter().map(|(id, ..)| *id).collect();
                let links = Self::applied_links_of(tx, &ids).await?;
                let members: Vec<switchboard_core::case::CaseSubject> = rows
                    .iter()
                    .map(|(id, received_at, noise, _)| {
                        $crate::case_sql::subject_of(*id, *received_at, noise.is_some(), &links)
                    })
                    .collect();
                let regrouping = switchboard_core::case::regroup(&customer, &members, rule);
                for leaving in &regrouping.leaving {
                    Self::remove_from_case(tx, leaving.get()).await?;
                }
                if regrouping.groups.is_empty() {
                    return Self::end_case(tx, case).await;
                }
                for (position, group) in regrouping.groups.iter().enumerate() {
                    let group_case: i64 = if position == 0 {
                        case
                    } else {
                        sqlx::query_scalar(
                            "INSERT INTO cases (customer_number, opened_at) VALUES ($1, $2) \
                             RETURNING id",
                        )
                        .bind(&customer)
                        .bind(now)
                        .fetch_one(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?
                    };
                    for join in group {
                        let evidence = join.reason.to_string();
                        let unchanged = group_case == case
                            && rows.iter().any(|(id, _, _, stored)| {
                                *id == join.item.get() && *stored == evidence
                            });
                        if unchanged {
                            continue;
                        }
                        sqlx::query(
                            "UPDATE case_items SET case_id = $1, evidence = $2 WHERE item_id = $3",
                        )
                        .bind(group_case)
                        .bind(&evidence)
                        .bind(join.item.get())
                        .execute(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                    }
                }
                Ok(())
            }

            /// The applied customer and order links of `items`: (item, kind, key), in the
            /// order they were made.
            async fn applied_links_of(
                tx: &mut sqlx::Transaction<'_, $db>,
                items: &[i64],
            ) -> switchboard_core::error::CoreResult<Vec<(i64, String, String)>> {
                if items.is_empty() {
                    return Ok(Vec::new());
                }
                let mut links = sqlx::QueryBuilder::<$db>::new(
                    "SELECT item_id, kind, key FROM links \
                     WHERE kind IN ('customer', 'order') AND applied = ",
                );
                links.push_bind(true).push(" AND item_id IN (");
                let mut separated = links.separated(", ");
                for item in items {
                    separated.push_bind(*item);
                }
                links.push(") ORDER BY id");
                links
                    .build_query_as()
                    .fetch_all(&mut **tx)
                    .await
                    .map_err($crate::error::db_error)
            }

            /// Reads what the grouping needs of an item: time, noise and applied links.
            async fn case_subject(
                tx: &mut sqlx::Transaction<'_, $db>,
                item: i64,
            ) -> switchboard_core::error::CoreResult<Option<switchboard_core::case::CaseSubject>>
            {
                let found: Option<(chrono::DateTime<chrono::Utc>, Option<String>)> =
                    sqlx::query_as("SELECT received_at, noise FROM items WHERE id = $1")
                        .bind(item)
                        .fetch_optional(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?;
                let Some((received_at, noise)) = found else {
                    return Ok(None);
                };
                let links = Self::applied_links_of(tx, &[item]).await?;
                Ok(Some($crate::case_sql::subject_of(
                    item,
                    received_at,
                    noise.is_some(),
                    &links,
                )))
            }

            /// The customer's other items within the window (noise, discarded and failed
            /// items left out), with their applied orders and their case.
            async fn case_candidates(
                tx: &mut sqlx::Transaction<'_, $db>,
                subject: &switchboard_core::case::CaseSubject,
                rule: &switchboard_core::case::CaseRule,
            ) -> switchboard_core::error::CoreResult<Vec<switchboard_core::case::CaseCandidate>>
            {
                let rows: Vec<(i64, chrono::DateTime<chrono::Utc>, Option<i64>)> = sqlx::query_as(
                    "SELECT items.id, items.received_at, case_items.case_id FROM items \
                     JOIN links ON links.item_id = items.id AND links.kind = 'customer' \
                     AND links.applied = $1 AND links.key = $2 \
                     LEFT JOIN case_items ON case_items.item_id = items.id \
                     WHERE items.id <> $3 AND items.noise IS NULL \
                     AND items.status NOT IN ('discarded', 'failed') \
                     AND items.received_at >= $4 AND items.received_at <= $5 ORDER BY items.id",
                )
                .bind(true)
                .bind(subject.customer.as_deref())
                .bind(subject.item.get())
                .bind(subject.received_at - rule.window())
                .bind(subject.received_at + rule.window())
                .fetch_all(&mut **tx)
                .await
                .map_err($crate::error::db_error)?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<i64> = rows.iter().map(|(id, _, _)| *id).collect();
                let orders: Vec<(i64, String)> = Self::applied_links_of(tx, &ids)
                    .await?
                    .into_iter()
                    .filter(|(_, kind, _)| kind == switchboard_core::link::LinkKind::Order.as_str())
                    .map(|(item, _, key)| (item, key))
                    .collect();
                let mut cases: Vec<i64> = rows.iter().filter_map(|(_, _, case)| *case).collect();
                cases.sort_unstable();
                cases.dedup();
                let open_cases: Vec<i64> = if cases.is_empty() {
                    Vec::new()
                } else {
                    let mut open = sqlx::QueryBuilder::<$db>::new(
                        "SELECT DISTINCT case_items.case_id FROM case_items \
                         JOIN items ON items.id = case_items.item_id WHERE items.status IN ",
                    );
                    open.push($crate::case_sql::OPEN_STATUSES)
                        .push(" AND case_items.case_id IN (");
                    let mut separated = open.separated(", ");
                    for case in &cases {
                        separated.push_bind(*case);
                    }
                    open.push(")");
                    open.build_query_scalar::<i64>()
                        .fetch_all(&mut **tx)
                        .await
                        .map_err($crate::error::db_error)?
                };
                Ok(rows
                    .into_iter()
                    .map(|(id, received_at, case)| switchboard_core::case::CaseCandidate {
                        item: switchboard_core::WorkItemId::new(id),
                        received_at,
                        orders: orders
                            .iter()
                            .filter(|(item, _)| *item == id)
                            .map(|(_, key)| key.clone())
                            .collect(),
                        case: case.map(|case| switchboard_core::case::CandidateCase {
                            id: switchboard_core::CaseId::new(case),
                            open: open_cases.contains(&case),
                        }),
                    })
                    .collect())
            }
        }
    };
}

pub(crate) use impl_case_store;
