//! Row structs as the database returns them, and their conversion into domain types.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use switchboard_core::ids::{CustomerNo, Login, OrderNo, QueueId, Sku, UserId, WorkItemId};
use switchboard_core::item::{
    Channel, ExportedItem, Intent, ItemStatus, Language, NoiseKind, SenderIdentity, WorkItem,
};
use switchboard_core::link::{Link, LinkKind, LinkOrigin};
use switchboard_core::master::{Contact, Customer, Order, OrderLine};
use switchboard_core::skill::SkillRequirement;
use switchboard_core::user::{AgentStatus, Role, User};
use switchboard_core::{CoreError, LinkId};

use crate::error::corrupt;

pub(crate) fn parse_enum<T>(
    what: &str,
    raw: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, CoreError> {
    parse(raw).ok_or_else(|| corrupt(what, raw))
}

pub(crate) fn parse_optional<T>(
    what: &str,
    raw: Option<&str>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<T>, CoreError> {
    raw.map(|raw| parse_enum(what, raw, parse)).transpose()
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct ItemRow {
    pub id: i64,
    pub channel: String,
    pub source: String,
    #[serde(with = "crate::json_time")]
    pub received_at: DateTime<Utc>,
    pub language: Option<String>,
    pub subject: Option<String>,
    pub sender_email: Option<String>,
    pub sender_phone: Option<String>,
    pub sender_name: Option<String>,
    pub text: String,
    pub html: Option<String>,
    pub thread_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub noise: Option<String>,
    pub intent: Option<String>,
    pub product_lines: Json<Vec<String>>,
    pub status: String,
    pub queue_id: Option<i64>,
    pub priority: i64,
    pub required_skills: Json<Vec<String>>,
    #[serde(with = "crate::json_time::optional")]
    pub sla_due_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::json_time::optional")]
    pub sla_at_risk_at: Option<DateTime<Utc>>,
    pub assigned_user_id: Option<i64>,
    pub warnings: Json<Vec<String>>,
    pub details: Json<serde_json::Value>,
    pub version: i64,
    pub queue_name: Option<String>,
    pub assigned_login: Option<String>,
}

/// The columns [`ItemRow`] reads, with the queue name and assigned login joined in.
pub(crate) const ITEM_SELECT: &str = "SELECT items.id, items.channel, items.source, \
     items.received_at, items.language, items.subject, items.sender_email, items.sender_phone, \
     items.sender_name, items.text, items.html, items.thread_id, items.parent_id, items.noise, \
     items.intent, items.product_lines, items.status, items.queue_id, items.priority, \
     items.required_skills, items.sla_due_at, items.sla_at_risk_at, items.assigned_user_id, \
     items.warnings, \
     items.details, items.version, queues.name AS queue_name, users.login AS assigned_login \
     FROM items LEFT JOIN queues ON queues.id = items.queue_id \
     LEFT JOIN users ON users.id = items.assigned_user_id";

impl ItemRow {
    pub(crate) fn into_item(self) -> Result<(WorkItem, Option<String>, Option<Login>), CoreError> {
        let required_skills = self
            .required_skills
            .0
            .iter()
            .map(|raw| raw.parse::<SkillRequirement>())
            .collect::<Result<Vec<_>, _>>()?;
        let item = WorkItem {
            id: WorkItemId::new(self.id),
            channel: parse_enum("channel", &self.channel, Channel::parse)?,
            source: self.source,
            received_at: self.received_at,
            language: parse_optional("language", self.language.as_deref(), Language::parse)?,
            subject: self.subject,
            sender: SenderIdentity {
                email: self.sender_email,
                phone: self.sender_phone,
                name: self.sender_name,
            },
            text: self.text,
            html: self.html,
            thread_id: self.thread_id.map(WorkItemId::new),
            parent_id: self.parent_id.map(WorkItemId::new),
            noise: parse_optional("noise", self.noise.as_deref(), NoiseKind::parse)?,
            intent: parse_optional("intent", self.intent.as_deref(), Intent::parse)?,
            product_lines: self.product_lines.0,
            status: parse_enum("status", &self.status, ItemStatus::parse)?,
            queue_id: self.queue_id.map(QueueId::new),
            priority: i32::try_from(self.priority)
                .map_err(|_| corrupt("priority", "out of range"))?,
            required_skills,
            sla_due_at: self.sla_due_at,
            sla_at_risk_at: self.sla_at_risk_at,
            assigned_user_id: self.assigned_user_id.map(UserId::new),
            warnings: self.warnings.0,
            details: self.details.0,
            version: self.version,
        };
        Ok((item, self.queue_name, self.assigned_login.map(Login::new)))
    }
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct LinkRow {
    pub id: i64,
    pub item_id: i64,
    pub kind: String,
    pub key: String,
    pub confidence: f64,
    pub origin: String,
    pub applied: bool,
    pub evidence: String,
}

impl LinkRow {
    pub(crate) fn into_link(self) -> Result<Link, CoreError> {
        Ok(Link {
            id: LinkId::new(self.id),
            item_id: WorkItemId::new(self.item_id),
            kind: parse_enum("link kind", &self.kind, LinkKind::parse)?,
            key: self.key,
            confidence: self.confidence,
            origin: parse_enum("link origin", &self.origin, LinkOrigin::parse)?,
            applied: self.applied,
            evidence: self.evidence,
        })
    }
}

/// Builds exported items from item rows and all their links.
pub(crate) fn export(
    rows: Vec<ItemRow>,
    links: Vec<LinkRow>,
    with_text: bool,
) -> Result<Vec<ExportedItem>, CoreError> {
    let mut links_by_item: std::collections::HashMap<i64, Vec<Link>> = Default::default();
    for row in links {
        let link = row.into_link()?;
        links_by_item
            .entry(link.item_id.get())
            .or_default()
            .push(link);
    }
    rows.into_iter()
        .map(|row| {
            let (item, queue, login) = row.into_item()?;
            let links = links_by_item.remove(&item.id.get()).unwrap_or_default();
            Ok(ExportedItem::from_item(
                &item, &links, queue, login, with_text,
            ))
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: Option<String>,
    pub agent_id: Option<String>,
    pub status: String,
    pub capacity: i64,
    pub active: bool,
}

pub(crate) const USER_SELECT: &str = "SELECT id, login, display_name, role, password_hash, \
     agent_id, status, capacity, active FROM users";

impl UserRow {
    pub(crate) fn into_user(self) -> Result<(User, Option<String>), CoreError> {
        let user = User {
            id: UserId::new(self.id),
            login: Login::new(self.login),
            display_name: self.display_name,
            role: parse_enum("role", &self.role, Role::parse)?,
            agent_id: self.agent_id,
            can_sign_in: self.password_hash.is_some(),
            status: parse_enum("agent status", &self.status, AgentStatus::parse)?,
            capacity: i32::try_from(self.capacity)
                .map_err(|_| corrupt("capacity", "out of range"))?,
            active: self.active,
        };
        Ok((user, self.password_hash))
    }
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct CustomerRow {
    pub customer_number: String,
    pub name: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub customer_type: Option<String>,
    pub segment: Option<String>,
    pub language: Option<String>,
    pub country: Option<String>,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email_general: Option<String>,
    pub email_invoice: Option<String>,
    pub website: Option<String>,
    pub account_manager: Option<String>,
    pub product_lines: Option<String>,
}

pub(crate) const CUSTOMER_SELECT: &str = "SELECT customer_number, name, type, segment, language, \
     country, street, house_number, postcode, city, phone, fax, email_general, email_invoice, \
     website, account_manager, product_lines FROM customers";

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct ContactRow {
    pub contact_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub language: Option<String>,
}

pub(crate) const CONTACT_SELECT: &str = "SELECT contact_id, first_name, last_name, role, email, \
     mobile, language FROM contacts";

impl CustomerRow {
    pub(crate) fn into_customer(self, contacts: Vec<ContactRow>) -> Customer {
        Customer {
            customer_no: CustomerNo::new(self.customer_number),
            name: self.name,
            customer_type: self.customer_type,
            segment: self.segment,
            language: self.language,
            country: self.country,
            street: self.street,
            house_number: self.house_number,
            postcode: self.postcode,
            city: self.city,
            phone: self.phone,
            fax: self.fax,
            email_general: self.email_general,
            email_invoice: self.email_invoice,
            website: self.website,
            account_manager: self.account_manager,
            product_lines: self
                .product_lines
                .map(|lines| lines.split('|').map(str::to_owned).collect())
                .unwrap_or_default(),
            contacts: contacts
                .into_iter()
                .map(|contact| Contact {
                    contact_id: contact.contact_id,
                    first_name: contact.first_name,
                    last_name: contact.last_name,
                    role: contact.role,
                    email: contact.email,
                    mobile: contact.mobile,
                    language: contact.language,
                })
                .collect(),
        }
    }
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct OrderRow {
    pub order_number: String,
    pub customer_number: String,
    pub order_date: Option<NaiveDate>,
    pub requested_delivery: Option<NaiveDate>,
    pub status: String,
    pub customer_po: Option<String>,
    pub order_channel: Option<String>,
    pub currency: Option<String>,
    pub net_value_cents: Option<i64>,
}

pub(crate) const ORDER_SELECT: &str = "SELECT order_number, customer_number, order_date, \
     requested_delivery, status, customer_po, order_channel, currency, net_value_cents FROM orders";

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct OrderLineRow {
    pub line: i64,
    pub sku: String,
    pub description: Option<String>,
    pub quantity: Option<i64>,
    pub unit: Option<String>,
    pub unit_price_cents: Option<i64>,
    pub line_value_cents: Option<i64>,
}

pub(crate) const ORDER_LINE_SELECT: &str = "SELECT line, sku, description, quantity, unit, \
     unit_price_cents, line_value_cents FROM order_lines";

impl OrderRow {
    pub(crate) fn into_order(self, lines: Vec<OrderLineRow>) -> Order {
        Order {
            order_no: OrderNo::new(self.order_number),
            customer_no: CustomerNo::new(self.customer_number),
            order_date: self.order_date,
            requested_delivery: self.requested_delivery,
            status: self.status,
            customer_po: self.customer_po,
            order_channel: self.order_channel,
            currency: self.currency,
            net_value_cents: self.net_value_cents,
            lines: lines
                .into_iter()
                .map(|line| OrderLine {
                    line: line.line,
                    sku: Sku::new(line.sku),
                    description: line.description,
                    quantity: line.quantity,
                    unit: line.unit,
                    unit_price_cents: line.unit_price_cents,
                    line_value_cents: line.line_value_cents,
                })
                .collect(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ContactOfRow {
    pub customer_number: String,
    #[sqlx(flatten)]
    pub contact: ContactRow,
}

pub(crate) const ALL_CONTACTS_SELECT: &str = "SELECT customer_number, contact_id, first_name, \
     last_name, role, email, mobile, language FROM contacts ORDER BY customer_number, contact_id";

#[derive(sqlx::FromRow)]
pub(crate) struct LineOfRow {
    pub order_number: String,
    #[sqlx(flatten)]
    pub line: OrderLineRow,
}

/// Order lines with their order's number (filter and order after it).
pub(crate) const LINE_OF_SELECT: &str = "SELECT order_number, line, sku, description, quantity, \
     unit, unit_price_cents, line_value_cents FROM order_lines";

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct DeliveryRow {
    pub delivery_number: String,
    pub order_number: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub status: Option<String>,
    pub ship_date: Option<NaiveDate>,
    pub expected_date: Option<NaiveDate>,
    pub delivered_date: Option<NaiveDate>,
}

pub(crate) const DELIVERY_SELECT: &str = "SELECT delivery_number, order_number, carrier, \
     tracking_number, status, ship_date, expected_date, delivered_date FROM deliveries";

impl DeliveryRow {
    pub(crate) fn into_delivery(self) -> switchboard_core::master::Delivery {
        switchboard_core::master::Delivery {
            delivery_no: switchboard_core::ids::DeliveryNo::new(self.delivery_number),
            order_no: OrderNo::new(self.order_number),
            carrier: self.carrier,
            tracking_number: self.tracking_number,
            status: self.status,
            ship_date: self.ship_date,
            expected_date: self.expected_date,
            delivered_date: self.delivered_date,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct InvoiceRow {
    pub invoice_number: String,
    pub order_number: String,
    pub customer_number: String,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub gross_amount_cents: Option<i64>,
    pub status: Option<String>,
}

pub(crate) const INVOICE_SELECT: &str = "SELECT invoice_number, order_number, customer_number, \
     invoice_date, due_date, gross_amount_cents, status FROM invoices";

impl InvoiceRow {
    pub(crate) fn into_invoice(self) -> switchboard_core::master::Invoice {
        switchboard_core::master::Invoice {
            invoice_no: switchboard_core::ids::InvoiceNo::new(self.invoice_number),
            order_no: OrderNo::new(self.order_number),
            customer_no: CustomerNo::new(self.customer_number),
            invoice_date: self.invoice_date,
            due_date: self.due_date,
            gross_amount_cents: self.gross_amount_cents,
            status: self.status,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ProductRow {
    pub sku: String,
    pub name: String,
    pub brand: Option<String>,
    pub product_line: Option<String>,
    pub pack_size: Option<String>,
    pub ean: Option<String>,
    pub status: Option<String>,
}

pub(crate) const PRODUCT_SELECT: &str =
    "SELECT sku, name, brand, product_line, pack_size, ean, status FROM products";

impl ProductRow {
    pub(crate) fn into_product(self) -> switchboard_core::master::Product {
        switchboard_core::master::Product {
            sku: Sku::new(self.sku),
            name: self.name,
            brand: self.brand,
            product_line: self.product_line,
            pack_size: self.pack_size,
            ean: self.ean,
            status: self.status,
        }
    }
}

/// Groups child rows by their parent key, keeping order.
pub(crate) fn group_by_key<T>(rows: Vec<(String, T)>) -> std::collections::HashMap<String, Vec<T>> {
    let mut groups: std::collections::HashMap<String, Vec<T>> = Default::default();
    for (key, row) in rows {
        groups.entry(key).or_default().push(row);
    }
    groups
}

#[derive(sqlx::FromRow)]
pub(crate) struct InboundRow {
    pub id: i64,
    pub channel: String,
    pub source: String,
    pub blob: String,
    pub received_at: DateTime<Utc>,
    pub state: String,
    pub item_id: Option<i64>,
    pub attempts: i64,
}

pub(crate) const INBOUND_SELECT: &str =
    "SELECT id, channel, source, blob, received_at, state, item_id, attempts FROM inbound";

impl InboundRow {
    pub(crate) fn into_inbound(self) -> Result<switchboard_core::inbound::Inbound, CoreError> {
        Ok(switchboard_core::inbound::Inbound {
            id: switchboard_core::InboundId::new(self.id),
            channel: parse_enum("channel", &self.channel, Channel::parse)?,
            source: self.source,
            blob: self.blob,
            received_at: self.received_at,
            state: parse_enum(
                "inbound state",
                &self.state,
                switchboard_core::inbound::InboundState::parse,
            )?,
            item_id: self.item_id.map(WorkItemId::new),
            attempts: self.attempts,
        })
    }
}
