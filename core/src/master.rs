//! Master data fed from the ERP: customers, products, prices, orders, deliveries, invoices,
//! agents and their skills. Each kind is described once, as data ([`MasterKind::columns`]), so
//! one parser serves CSV files and JSON API bodies and one upsert serves every kind.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::item::wire_enum;
use crate::skill::{MAX_LEVEL, MIN_LEVEL};

mod records;
pub use records::*;

wire_enum!(
    /// A kind of master data; the wire name is also the CSV file stem and the table name.
    MasterKind {
        Customers = "customers",
        Contacts = "contacts",
        Products = "products",
        PriceList = "price_list",
        Agents = "agents",
        AgentSkills = "agent_skills",
        Orders = "orders",
        OrderLines = "order_lines",
        Deliveries = "deliveries",
        Invoices = "invoices",
    }
);

/// How a column's text is checked and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Free text.
    Text,
    /// Text from a fixed vocabulary.
    OneOf(&'static [&'static str]),
    /// A whole number.
    Int,
    /// A whole number within bounds.
    IntRange(i64, i64),
    /// A decimal amount, stored as integer cents.
    Money,
    /// An ISO date `YYYY-MM-DD`.
    Date,
    /// `yes`/`no` (also `true`/`false`, `1`/`0`).
    Flag,
}

/// One column of a master-data kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The name in CSV headers and JSON bodies.
    pub name: &'static str,
    /// How the value is checked.
    pub ty: ColumnType,
    /// Part of the record's key.
    pub key: bool,
    /// Must not be empty.
    pub required: bool,
    /// Must name an existing record of this kind.
    pub references: Option<MasterKind>,
}

impl Column {
    /// Returns the database column name (money is stored as `<name>_cents`).
    pub fn db_name(&self) -> String {
        match self.ty {
            ColumnType::Money => format!("{}_cents", self.name),
            _ => self.name.to_owned(),
        }
    }
}

const fn key(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Text,
        key: true,
        required: true,
        references: None,
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        ty: ColumnType::Text,
        key: false,
        required: false,
        references: None,
    }
}

const fn typed(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name,
        ty,
        key: false,
        required: false,
        references: None,
    }
}

const fn required(column: Column) -> Column {
    Column {
        required: true,
        ..column
    }
}

const fn keyed(column: Column) -> Column {
    Column {
        key: true,
        required: true,
        ..column
    }
}

const fn refers(column: Column, kind: MasterKind) -> Column {
    Column {
        references: Some(kind),
        required: true,
        ..column
    }
}

const LANGUAGES: &[&str] = &["nl", "en", "de", "fr"];
const SEGMENTS: &[&str] = &["key_account", "regular", "new"];
const ORDER_STATUSES: &[&str] = &[
    "open",
    "confirmed",
    "in_delivery",
    "delivered",
    "invoiced",
    "cancelled",
];
const DELIVERY_STATUSES: &[&str] = &["planned", "in_transit", "delivered", "exception"];
const INVOICE_STATUSES: &[&str] = &["open", "paid", "overdue"];
const PRODUCT_STATUSES: &[&str] = &["active", "discontinued"];
const SKILL_LEVEL: ColumnType = ColumnType::IntRange(MIN_LEVEL as i64, MAX_LEVEL as i64);

const CUSTOMERS: &[Column] = &[
    key("customer_number"),
    required(text("name")),
    text("type"),
    typed("segment", ColumnType::OneOf(SEGMENTS)),
    typed("language", ColumnType::OneOf(LANGUAGES)),
    text("country"),
    text("street"),
    text("house_number"),
    text("postcode"),
    text("city"),
    text("phone"),
    text("fax"),
    text("email_general"),
    text("email_invoice"),
    text("website"),
    text("vat"),
    text("account_manager"),
    text("payment_terms"),
    text("product_lines"),
    typed("created", ColumnType::Date),
];

const CONTACTS: &[Column] = &[
    refers(text("customer_number"), MasterKind::Customers),
    key("contact_id"),
    text("first_name"),
    text("last_name"),
    text("role"),
    text("email"),
    text("mobile"),
    typed("language", ColumnType::OneOf(LANGUAGES)),
];

const PRODUCTS: &[Column] = &[
    key("sku"),
    required(text("name")),
    text("brand"),
    text("product_line"),
    text("pack_size"),
    text("ean"),
    typed("status", ColumnType::OneOf(PRODUCT_STATUSES)),
];

const PRICE_LIST: &[Column] = &[
    keyed(refers(text("sku"), MasterKind::Products)),
    keyed(typed("segment", ColumnType::OneOf(SEGMENTS))),
    keyed(typed("min_qty", ColumnType::Int)),
    required(typed("price", ColumnType::Money)),
    text("currency"),
    keyed(typed("valid_from", ColumnType::Date)),
    typed("valid_to", ColumnType::Date),
];

const AGENTS: &[Column] = &[
    key("agent_id"),
    required(text("name")),
    text("email"),
    text("team"),
    text("extension"),
    typed("active", ColumnType::Flag),
];

const AGENT_SKILLS: &[Column] = &[
    keyed(refers(text("agent_id"), MasterKind::Agents)),
    key("skill"),
    required(typed("proficiency", SKILL_LEVEL)),
];

const ORDERS: &[Column] = &[
    key("order_number"),
    refers(text("customer_number"), MasterKind::Customers),
    typed("order_date", ColumnType::Date),
    typed("requested_delivery", ColumnType::Date),
    required(typed("status", ColumnType::OneOf(ORDER_STATUSES))),
    text("customer_po"),
    text("order_channel"),
    text("currency"),
    typed("net_value", ColumnType::Money),
];

const ORDER_LINES: &[Column] = &[
    keyed(refers(text("order_number"), MasterKind::Orders)),
    keyed(typed("line", ColumnType::Int)),
    refers(text("sku"), MasterKind::Products),
    text("description"),
    typed("quantity", ColumnType::Int),
    text("unit"),
    typed("unit_price", ColumnType::Money),
    typed("line_value", ColumnType::Money),
];

const DELIVERIES: &[Column] = &[
    key("delivery_number"),
    refers(text("order_number"), MasterKind::Orders),
    text("carrier"),
    text("tracking_number"),
    typed("status", ColumnType::OneOf(DELIVERY_STATUSES)),
    typed("ship_date", ColumnType::Date),
    typed("expected_date", ColumnType::Date),
    typed("delivered_date", ColumnType::Date),
];

const INVOICES: &[Column] = &[
    key("invoice_number"),
    refers(text("order_number"), MasterKind::Orders),
    refers(text("customer_number"), MasterKind::Customers),
    typed("invoice_date", ColumnType::Date),
    typed("due_date", ColumnType::Date),
    typed("net_amount", ColumnType::Money),
    typed("vat_amount", ColumnType::Money),
    typed("gross_amount", ColumnType::Money),
    typed("status", ColumnType::OneOf(INVOICE_STATUSES)),
];

impl MasterKind {
    /// Every kind in an order where references point only at earlier kinds.
    pub const IMPORT_ORDER: &'static [Self] = Self::ALL;

    /// Returns the columns, in CSV order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Self::Customers => CUSTOMERS,
            Self::Contacts => CONTACTS,
            Self::Products => PRODUCTS,
            Self::PriceList => PRICE_LIST,
            Self::Agents => AGENTS,
            Self::AgentSkills => AGENT_SKILLS,
            Self::Orders => ORDERS,
            Self::OrderLines => ORDER_LINES,
            Self::Deliveries => DELIVERIES,
            Self::Invoices => INVOICES,
        }
    }

    /// Returns the expected file name, e.g. `customers.csv`.
    pub fn file_name(self) -> String {
        format!("{}.csv", self.as_str())
    }

    /// Returns the key columns.
    pub fn key_columns(self) -> impl Iterator<Item = &'static Column> {
        self.columns().iter().filter(|column| column.key)
    }

    /// Tells whether the kind has a single key column (addressable as `/{kind}/{key}`).
    pub fn has_single_key(self) -> bool {
        self.key_columns().count() == 1
    }
}

/// A checked value ready to be stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Value {
    /// Absent.
    Null,
    /// Text.
    Text(String),
    /// Whole number (also money in cents).
    Int(i64),
    /// A calendar date.
    Date(NaiveDate),
    /// A flag.
    Flag(bool),
}

/// One checked master-data record: its key and its values in column order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterRow {
    /// The key: key column values joined by `/`.
    pub key: String,
    /// Values in [`MasterKind::columns`] order.
    pub values: Vec<Value>,
    /// A fingerprint of the values, to tell changed rows from unchanged ones.
    pub fingerprint: i64,
}

/// A rejected record, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The reason in words an integrator understands.
    pub reason: String,
}

impl MasterRow {
    /// Returns the value of a named column.
    pub fn value(&self, kind: MasterKind, column: &str) -> Option<&Value> {
        kind.columns()
            .iter()
            .position(|candidate| candidate.name == column)
            .and_then(|index| self.values.get(index))
    }

    /// Checks a record given as column name → raw text, as read from CSV or JSON.
    pub fn parse(kind: MasterKind, fields: &BTreeMap<String, String>) -> Result<Self, RowError> {
        let mut values = Vec::with_capacity(kind.columns().len());
        let mut problems = Vec::new();
        for column in kind.columns() {
            let raw = fields.get(column.name).map(|raw| raw.trim()).unwrap_or("");
            match parse_value(column, raw) {
                Ok(value) => values.push(value),
                Err(problem) => problems.push(problem),
            }
        }
        let unknown: Vec<&str> = fields
            .keys()
            .map(String::as_str)
            .filter(|name| !kind.columns().iter().any(|column| column.name == *name))
            .collect();
        if !unknown.is_empty() {
            problems.push(format!("unknown field(s) {}", unknown.join(", ")));
        }
        if !problems.is_empty() {
            return Err(RowError {
                reason: problems.join("; "),
            });
        }
        let key = kind
            .columns()
            .iter()
            .zip(&values)
            .filter(|(column, _)| column.key)
            .map(|(_, value)| value_text(value))
            .collect::<Vec<_>>()
            .join("/");
        let fingerprint = fingerprint(&values);
        Ok(Self {
            key,
            values,
            fingerprint,
        })
    }
}

/// Returns a value as text, the way keys are written.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Text(text) => text.clone(),
        Value::Int(number) => number.to_string(),
        Value::Date(date) => date.format("%Y-%m-%d").to_string(),
        Value::Flag(flag) => if *flag { "yes" } else { "no" }.to_owned(),
    }
}

fn parse_value(column: &Column, raw: &str) -> Result<Value, String> {
    if raw.is_empty() {
        return if column.required {
            Err(format!("{} is required", column.name))
        } else {
            Ok(Value::Null)
        };
    }
    if column.key && raw.contains('/') {
        return Err(format!("{} must not contain '/': {raw:?}", column.name));
    }
    let name = column.name;
    match column.ty {
        ColumnType::Text => Ok(Value::Text(raw.to_owned())),
        ColumnType::OneOf(allowed) => {
            if allowed.contains(&raw) {
                Ok(Value::Text(raw.to_owned()))
            } else {
                Err(format!(
                    "{name} {raw:?} is not one of {}",
                    allowed.join(", ")
                ))
            }
        }
        ColumnType::Int => raw
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("{name} {raw:?} is not a whole number")),
        ColumnType::IntRange(low, high) => match raw.parse::<i64>() {
            Ok(number) if (low..=high).contains(&number) => Ok(Value::Int(number)),
            _ => Err(format!(
                "{name} {raw:?} is not a whole number from {low} to {high}"
            )),
        },
        ColumnType::Money => parse_cents(raw)
            .map(Value::Int)
            .ok_or_else(|| format!("{name} {raw:?} is not an amount like 12.34")),
        ColumnType::Date => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map(Value::Date)
            .map_err(|_| format!("{name} {raw:?} is not a date YYYY-MM-DD")),
        ColumnType::Flag => match raw.to_ascii_lowercase().as_str() {
            "yes" | "true" | "1" | "y" | "x" => Ok(Value::Flag(true)),
            "no" | "false" | "0" | "n" => Ok(Value::Flag(false)),
            _ => Err(format!("{name} {raw:?} is not yes or no")),
        },
    }
}

/// Parses a decimal amount with a point and at most two decimals into cents.
pub fn parse_cents(raw: &str) -> Option<i64> {
    let (negative, digits) = match raw.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, raw),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction_cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    let cents = whole.checked_mul(100)?.checked_add(fraction_cents)?;
    Some(if negative { -cents } else { cents })
}

/// Formats cents as a decimal amount, e.g. `1319` as `13.19`.
pub fn format_cents(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// FNV-1a over the values: stable across runs and releases, enough to detect a change.
fn fingerprint(values: &[Value]) -> i64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let mut hash = OFFSET;
    for value in values {
        let tag: u8 = match value {
            Value::Null => 0,
            Value::Text(_) => 1,
            Value::Int(_) => 2,
            Value::Date(_) => 3,
            Value::Flag(_) => 4,
        };
        for byte in std::iter::once(tag)
            .chain(value_text(value).into_bytes())
            .chain(std::iter::once(0xff))
        {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Counts from one upsert of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpsertCounts {
    /// Records inserted.
    pub new: u64,
    /// Records whose values changed.
    pub updated: u64,
    /// Records already stored as given.
    pub unchanged: u64,
}

impl UpsertCounts {
    /// All records seen.
    pub fn rows(&self) -> u64 {
        self.new + self.updated + self.unchanged
    }

    /// Formats the CLI contract's summary line.
    pub fn summary_line(&self, kind: MasterKind) -> String {
        format!(
            "{kind}: {} rows ({} new, {} updated, {} unchanged)",
            self.rows(),
            self.new,
            self.updated,
            self.unchanged
        )
    }
}

/// Every master-data record the linker needs, read in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MasterData {
    /// Customers with their contacts.
    pub customers: Vec<Customer>,
    /// Orders with their lines.
    pub orders: Vec<Order>,
    /// Deliveries.
    pub deliveries: Vec<Delivery>,
    /// Invoices.
    pub invoices: Vec<Invoice>,
    /// Products.
    pub products: Vec<Product>,
}

/// A checked batch of one kind, ready for [`crate::store::Store::upsert_master`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterBatch {
    /// The kind.
    pub kind: MasterKind,
    /// The records; keys are unique within the batch.
    pub rows: Vec<MasterRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn cents_parse_and_format() {
        assert_eq!(parse_cents("13.19"), Some(1319));
        assert_eq!(parse_cents("13.1"), Some(1310));
        assert_eq!(parse_cents("13"), Some(1300));
        assert_eq!(parse_cents("-0.05"), Some(-5));
        assert_eq!(parse_cents("1.234"), None);
        assert_eq!(parse_cents("1,23"), None);
        assert_eq!(parse_cents(""), None);
        assert_eq!(format_cents(1319), "13.19");
        assert_eq!(format_cents(-5), "-0.05");
    }

    #[test]
    fn composite_keys_join_key_columns() {
        let row = MasterRow::parse(
            MasterKind::OrderLines,
            &fields(&[
                ("order_number", "4500015192"),
                ("line", "10"),
                ("sku", "13178343"),
                ("quantity", "1"),
                ("unit_price", "13.19"),
                ("line_value", "13.19"),
            ]),
        )
        .unwrap();
        assert_eq!(row.key, "4500015192/10");
        assert_eq!(
            row.value(MasterKind::OrderLines, "unit_price"),
            Some(&Value::Int(1319))
        );
    }

    #[test]
    fn bad_rows_name_every_problem() {
        let error = MasterRow::parse(
            MasterKind::Orders,
            &fields(&[
                ("order_number", "4500000001"),
                ("customer_number", ""),
                ("status", "shipped"),
                ("order_date", "01-02-2024"),
            ]),
        )
        .unwrap_err();
        assert!(
            error.reason.contains("customer_number is required"),
            "{}",
            error.reason
        );
        assert!(
            error.reason.contains("status \"shipped\""),
            "{}",
            error.reason
        );
        assert!(error.reason.contains("order_date"), "{}", error.reason);
    }

    #[test]
    fn fingerprint_changes_with_any_value() {
        let base = [("customer_number", "0000000001"), ("name", "A")];
        let one = MasterRow::parse(MasterKind::Customers, &fields(&base)).unwrap();
        let same = MasterRow::parse(MasterKind::Customers, &fields(&base)).unwrap();
        let other = MasterRow::parse(
            MasterKind::Customers,
            &fields(&[("customer_number", "0000000001"), ("name", "B")]),
        )
        .unwrap();
        assert_eq!(one.fingerprint, same.fingerprint);
        assert_ne!(one.fingerprint, other.fingerprint);
    }

    #[test]
    fn import_order_puts_references_first() {
        for (position, kind) in MasterKind::IMPORT_ORDER.iter().enumerate() {
            for column in kind.columns() {
                if let Some(target) = column.references {
                    let target_position = MasterKind::IMPORT_ORDER
                        .iter()
                        .position(|candidate| *candidate == target)
                        .unwrap();
                    assert!(
                        target_position < position,
                        "{kind} refers to {target} later"
                    );
                }
            }
        }
    }
}
