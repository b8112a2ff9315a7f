//! The item page's read model ([`switchboard_core::item_view::ItemViewStore`]): one statement
//! that returns everything the page shows as one JSON document, built with the database's
//! JSON functions, and decoded into the same row structs the single reads use. On SQLite every
//! statement is a round trip to the connection's worker thread, so the page costs one hand-off
//! instead of one per table.
//!
//! The statement is written once, here, and spelled for each database by [`JsonSql`].
//!
//! [`JsonSql`]: crate::json_sql::JsonSql

use serde::Deserialize;
use switchboard_core::CoreError;
use switchboard_core::case::{CaseView, RelatedItem};
use switchboard_core::customer_view::{
    CustomerWithOrders, OPEN_ORDER_STATUSES, OPEN_ORDERS_SHOWN, OrderWithDeliveries, PanelSources,
};
use switchboard_core::item_view::ItemViewSources;

use crate::case_sql::RelatedRow;
use crate::error::corrupt;
use crate::json_sql::{JsonSql, pair, positional, record};
use crate::outbox_sql::OutboundRow;
use crate::routing_sql::rows::AssignmentRow;
use crate::rows::{ContactRow, CustomerRow, DeliveryRow, ItemRow, LinkRow, OrderLineRow, OrderRow};
use crate::work_sql::AttachmentRow;

const ITEM_FIELDS: &str = "id, channel, source, received_at, language, subject, sender_email, \
    sender_phone, sender_name, text, html, thread_id, parent_id, noise, intent, \
    product_lines:json, status, queue_id, priority, required_skills:json, sla_due_at, \
    sla_at_risk_at, assigned_user_id, warnings:json, details:json, version, \
    queue_name=queues.name, assigned_login=users.login";
const LINK_FIELDS: &str = "id, item_id, kind, key, confidence:real, origin, applied:bool, evidence";
const ASSIGNMENT_FIELDS: &str = "id, item_id, user_id, login=users.login, kind, origin, \
    explanation:json, created_at, expires_at, ended_at, outcome";
const OUTBOUND_FIELDS: &str = "id, item_id, kind, author_name, message_id, mail_from, \
    recipients:json, subject, body, status, attempts, next_attempt_at, last_error, created_at, \
    sent_at";
/// In the order of [`RelatedRow`]'s fields: the rows are read by position.
const RELATED_FIELDS: &str = "id, channel, subject, status, holder=users.login, received_at, \
    case_id=case_items.case_id, evidence=case_items.evidence";
const CUSTOMER_FIELDS: &str = "customer_number, name, type, segment, language, country, street, \
    house_number, postcode, city, phone, fax, email_general, email_invoice, website, \
    account_manager, product_lines";
const CONTACT_FIELDS: &str = "contact_id, first_name, last_name, role, email, mobile, language";
const ORDER_FIELDS: &str = "order_number, customer_number, order_date, requested_delivery, \
    status, customer_po, order_channel, currency, net_value_cents";
const LINE_FIELDS: &str =
    "line, sku, description, quantity, unit, unit_price_cents, line_value_cents";
const DELIVERY_FIELDS: &str = "delivery_number, order_number, carrier, tracking_number, status, \
    ship_date, expected_date, delivered_date";

/// Items as the related view lists them, for `WHERE` conditions on `items`.
const RELATED_FROM: &str = "items LEFT JOIN users ON users.id = items.assigned_user_id \
    LEFT JOIN case_items ON case_items.item_id = items.id";

/// An order (the table `orders`) with its lines and deliveries.
fn order_with_deliveries<D: JsonSql>() -> String {
    D::object(&[
        pair("order", record::<D>("orders", ORDER_FIELDS)),
        pair(
            "lines",
            D::array(
                &record::<D>("order_lines", LINE_FIELDS),
                "order_lines WHERE order_lines.order_number = orders.order_number",
            ),
        ),
        pair(
            "deliveries",
            D::array(
                &record::<D>("deliveries", DELIVERY_FIELDS),
                "deliveries WHERE deliveries.order_number = orders.order_number",
            ),
        ),
    ])
}

/// The statement behind [`ItemViewStore::item_view_sources`], `$1` being the item's id: one
/// row when the item exists, none otherwise. Each part reads what the single reads did, with
/// the same filters: the item with its queue and owner, links, attachments, assignments,
/// outbound messages, its case with the members, the timeline of each applied customer, the
/// applied orders and the customers the panel may show with their open orders. The arrays
/// come unordered ([`JsonSql::array`]); [`ItemViewDocument::into_sources`] puts each in the
/// order the single reads give.
///
/// [`ItemViewStore::item_view_sources`]: switchboard_core::item_view::ItemViewStore::item_view_sources
pub(crate) fn item_view_statement<D: JsonSql>() -> String {
    // Related items (the timelines' and the case's) come as arrays, not objects: building,
    // embedding and decoding the keys of the twenty rows of a timeline cost more than their
    // values (bundled SQLite, the http bench's database: 87 -> 62 us per statement).
    let related = positional::<D>("items", RELATED_FIELDS);
    let order = order_with_deliveries::<D>();
    let open_statuses = OPEN_ORDER_STATUSES
        .iter()
        .map(|status| format!("'{status}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let applied_orders = "links JOIN orders ON orders.order_number = links.key \
        WHERE links.item_id = $1 AND links.kind = 'order' AND links.applied = TRUE";
    let case = format!(
        "SELECT {} FROM case_items JOIN cases ON cases.id = case_items.case_id \
         WHERE case_items.item_id = $1",
        D::object(&[
            pair("id", "cases.id".into()),
            pair("customer_number", "cases.customer_number".into()),
            pair("opened_at", "cases.opened_at".into()),
            pair(
                "members",
                D::array(
                    &related,
                    &format!("{RELATED_FROM} WHERE case_items.case_id = cases.id"),
                ),
            ),
        ])
    );
    // The customer's newest items, each read once: the derived table (named `items`, so the
    // related record reads it as it reads the table) finds them newest first in
    // `links_customer_received` and leaves out noise on the way; an `IN` list of ids read
    // every item twice (16 % fewer microseconds per timeline on the bench database).
    let timeline = D::array(
        &related,
        &format!(
            "(SELECT customer_items.id, customer_items.channel, customer_items.subject, \
             customer_items.status, customer_items.assigned_user_id, customer_items.received_at \
             FROM links AS customer_links \
             JOIN items AS customer_items ON customer_items.id = customer_links.item_id \
             WHERE customer_links.key = timeline_links.key AND customer_links.kind = 'customer' \
             AND customer_links.applied = TRUE AND customer_items.id <> $1 \
             AND customer_items.noise IS NULL \
             ORDER BY customer_links.received_at DESC, customer_links.item_id DESC LIMIT {}) \
             AS items LEFT JOIN users ON users.id = items.assigned_user_id \
             LEFT JOIN case_items ON case_items.item_id = items.id",
            switchboard_core::case::TIMELINE_LENGTH
        ),
    );
    // The customer's newest open orders. The customer condition outside the subquery repeats
    // the one inside so that SQLite reads this customer's orders by index, not every order.
    let open_orders = D::array(
        &order,
        &format!(
            "orders WHERE orders.customer_number = customers.customer_number \
             AND orders.order_number IN (SELECT open_orders.order_number \
             FROM orders AS open_orders \
             WHERE open_orders.customer_number = customers.customer_number \
             AND open_orders.status IN ({open_statuses}) \
             ORDER BY open_orders.order_date DESC, open_orders.order_number DESC LIMIT {})",
            OPEN_ORDERS_SHOWN
        ),
    );
    let customer = D::object(&[
        pair("customer", record::<D>("customers", CUSTOMER_FIELDS)),
        pair(
            "contacts",
            D::array(
                &record::<D>("contacts", CONTACT_FIELDS),
                "contacts WHERE contacts.customer_number = customers.customer_number",
            ),
        ),
        pair("open_orders", open_orders),
    ]);
    let document = D::object(&[
        pair("item", record::<D>("items", ITEM_FIELDS)),
        pair(
            "links",
            D::array(
                &record::<D>("links", LINK_FIELDS),
                "links WHERE links.item_id = $1",
            ),
        ),
        pair(
            "attachments",
            D::array(
                &record::<D>("attachments", crate::work_sql::ATTACHMENT_COLUMNS),
                "attachments WHERE attachments.item_id = $1",
            ),
        ),
        pair(
            "assignments",
            D::array(
                &record::<D>("assignments", ASSIGNMENT_FIELDS),
                "assignments JOIN users ON users.id = assignments.user_id \
                 WHERE assignments.item_id = $1",
            ),
        ),
        pair(
            "outbound",
            D::array(
                &record::<D>("outbox", OUTBOUND_FIELDS),
                "outbox WHERE outbox.item_id = $1",
            ),
        ),
        pair("case", D::nested(&case)),
        pair(
            "timelines",
            D::aggregate(
                &D::object(&[
                    pair("link", "timeline_links.id".into()),
                    pair("customer", "timeline_links.key".into()),
                    pair("items", timeline),
                ]),
                "timeline_links.id IS NOT NULL",
            ),
        ),
        pair(
            "linked_orders",
            D::array(
                &D::object(&[
                    pair("link", "links.id".into()),
                    pair("order", order.clone()),
                ]),
                applied_orders,
            ),
        ),
        pair(
            "customers",
            D::array(
                &customer,
                &format!(
                    "customers WHERE customers.customer_number IN (SELECT links.key FROM links \
                     WHERE links.item_id = $1 AND links.kind = 'customer' \
                     UNION SELECT orders.customer_number FROM {applied_orders})"
                ),
            ),
        ),
    ]);
    // The item's own record and its timelines are built on the statement's row (the timelines
    // aggregated over the item's customer links joined to it), not in subqueries: a subquery's
    // JSON comes back as text that SQLite parses again to embed it. The item with its text and
    // HTML was the largest such part (12 % of the statement), the timelines the next (9 %).
    // No row: no such item.
    format!(
        "SELECT {} FROM items LEFT JOIN queues ON queues.id = items.queue_id \
         LEFT JOIN users ON users.id = items.assigned_user_id \
         LEFT JOIN links AS timeline_links ON timeline_links.item_id = items.id \
         AND timeline_links.kind = 'customer' AND timeline_links.applied = TRUE \
         WHERE items.id = $1 GROUP BY items.id, queues.id, users.id",
        D::text(&document)
    )
}

/// The document the statement returns.
#[derive(Deserialize)]
pub(crate) struct ItemViewDocument {
    item: ItemRow,
    links: Vec<LinkRow>,
    attachments: Vec<AttachmentRow>,
    assignments: Vec<AssignmentRow>,
    outbound: Vec<OutboundRow>,
    case: Option<CaseDocument>,
    timelines: Vec<TimelineDocument>,
    linked_orders: Vec<LinkedOrderDocument>,
    customers: Vec<CustomerDocument>,
}

#[derive(Deserialize)]
struct CaseDocument {
    id: i64,
    customer_number: String,
    #[serde(with = "crate::json_time")]
    opened_at: chrono::DateTime<chrono::Utc>,
    members: Vec<RelatedRow>,
}

#[derive(Deserialize)]
struct TimelineDocument {
    link: i64,
    customer: String,
    items: Vec<RelatedRow>,
}

#[derive(Deserialize)]
struct OrderDocument {
    order: OrderRow,
    lines: Vec<OrderLineRow>,
    deliveries: Vec<DeliveryRow>,
}

#[derive(Deserialize)]
struct LinkedOrderDocument {
    link: i64,
    order: OrderDocument,
}

#[derive(Deserialize)]
struct CustomerDocument {
    customer: CustomerRow,
    contacts: Vec<ContactRow>,
    open_orders: Vec<OrderDocument>,
}

fn related_items(rows: Vec<RelatedRow>) -> Result<Vec<RelatedItem>, CoreError> {
    rows.into_iter().map(RelatedRow::into_related).collect()
}

/// `items` sorted by `key` (the statement's arrays come unordered).
fn sorted<T, K: Ord>(mut items: Vec<T>, key: impl FnMut(&T) -> K) -> Vec<T> {
    items.sort_by_key(key);
    items
}

/// `rows` converted, then sorted by `key`.
fn converted<R, T, K: Ord>(
    rows: Vec<R>,
    convert: impl FnMut(R) -> Result<T, CoreError>,
    key: impl FnMut(&T) -> K,
) -> Result<Vec<T>, CoreError> {
    let converted = rows.into_iter().map(convert).collect::<Result<_, _>>()?;
    Ok(sorted(converted, key))
}

/// A case's members, oldest first.
fn oldest_first(items: Vec<RelatedItem>) -> Vec<RelatedItem> {
    sorted(items, |related| (related.received_at, related.item))
}

/// A customer's timeline, newest first.
fn newest_first(items: Vec<RelatedItem>) -> Vec<RelatedItem> {
    sorted(items, |related| {
        std::cmp::Reverse((related.received_at, related.item))
    })
}

impl OrderDocument {
    /// The order with its lines in line order and its deliveries by expected date.
    fn into_order(mut self) -> OrderWithDeliveries {
        self.lines.sort_by_key(|line| line.line);
        self.deliveries.sort_by(|a, b| {
            (a.expected_date, &a.delivery_number).cmp(&(b.expected_date, &b.delivery_number))
        });
        OrderWithDeliveries {
            order: self.order.into_order(self.lines),
            deliveries: self
                .deliveries
                .into_iter()
                .map(DeliveryRow::into_delivery)
                .collect(),
        }
    }
}

impl ItemViewDocument {
    /// Decodes the statement's text.
    pub(crate) fn parse(text: &str) -> Result<Self, CoreError> {
        serde_json::from_str(text).map_err(|error| corrupt("item view", &error.to_string()))
    }

    /// The page's sources.
    pub(crate) fn into_sources(self) -> Result<ItemViewSources, CoreError> {
        let (item, queue, _) = self.item.into_item()?;
        let case = self
            .case
            .map(|case| -> Result<CaseView, CoreError> {
                Ok(CaseView {
                    id: switchboard_core::CaseId::new(case.id),
                    customer_no: case.customer_number,
                    opened_at: case.opened_at,
                    members: oldest_first(related_items(case.members)?),
                })
            })
            .transpose()?;
        Ok(ItemViewSources {
            item,
            queue,
            links: converted(self.links, LinkRow::into_link, |link| link.id)?,
            attachments: converted(
                self.attachments,
                |row| Ok(row.into_attachment()),
                |attachment| attachment.id,
            )?,
            assignments: converted(self.assignments, AssignmentRow::into_record, |record| {
                record.id
            })?,
            outbound: converted(self.outbound, OutboundRow::into_outbound, |outbound| {
                outbound.id
            })?,
            case,
            timelines: sorted(self.timelines, |timeline| timeline.link)
                .into_iter()
                .map(|timeline| {
                    let items = newest_first(related_items(timeline.items)?);
                    Ok((timeline.customer, items))
                })
                .collect::<Result<_, CoreError>>()?,
            panel: PanelSources {
                linked_orders: sorted(self.linked_orders, |linked| linked.link)
                    .into_iter()
                    .map(|linked| linked.order.into_order())
                    .collect(),
                customers: sorted(self.customers, |customer| {
                    customer.customer.customer_number.clone()
                })
                .into_iter()
                .map(|customer| CustomerWithOrders {
                    customer: customer
                        .customer
                        .into_customer(sorted(customer.contacts, |contact| {
                            contact.contact_id.clone()
                        })),
                    open_orders: sorted(customer.open_orders, |open| {
                        std::cmp::Reverse((open.order.order_date, open.order.order_number.clone()))
                    })
                    .into_iter()
                    .map(OrderDocument::into_order)
                    .collect(),
                })
                .collect(),
            },
        })
    }
}

/// Implements [`switchboard_core::item_view::ItemViewStore`] for `$store` (a struct with a
/// `pool` field of `sqlx::Pool<$db>`).
macro_rules! impl_item_view_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl switchboard_core::item_view::ItemViewStore for $store {
            #[tracing::instrument(skip_all)]
            async fn item_view_sources(
                &self,
                item: switchboard_core::WorkItemId,
            ) -> switchboard_core::error::CoreResult<
                Option<switchboard_core::item_view::ItemViewSources>,
            > {
                use $crate::json_sql::JsonSql;
                let Some(text) = self
                    .read_document(
                        <$db>::statements().item_view.as_str(),
                        $crate::json_sql::Parameter::Id(item.get()),
                    )
                    .await?
                else {
                    return Ok(None);
                };
                $crate::item_view_sql::ItemViewDocument::parse(&text)?
                    .into_sources()
                    .map(Some)
            }
        }
    };
}

pub(crate) use impl_item_view_store;

#[cfg(test)]
mod tests {
    use super::*;

    /// The document reads related items by position: [`RELATED_FIELDS`] must list them in the
    /// order [`RelatedRow`] declares its fields, or values would land in the wrong field.
    #[test]
    fn related_items_read_by_position_match_their_fields() {
        let sample = serde_json::json!({
            "id": 7, "channel": "email", "subject": "Offerte", "status": "queued",
            "holder": "anna", "received_at": "2026-01-02T03:04:05Z", "case_id": 3,
            "evidence": "same order",
        });
        let (by_name, by_position): (RelatedRow, RelatedRow) =
            crate::json_sql::read_by_name_and_position(sample, RELATED_FIELDS);
        assert_eq!(
            by_position.into_related().unwrap(),
            by_name.into_related().unwrap()
        );
    }
}
