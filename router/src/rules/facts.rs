//! What a rule condition may read about an item, and its CEL form.

use std::collections::HashMap;
use std::sync::Arc;

use cel_interpreter::Context;
use cel_interpreter::objects::Value;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::item::{Channel, Intent, Language, NoiseKind};

/// The facts about an item that rules read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemFacts {
    /// The channel.
    pub channel: Channel,
    /// The detected language.
    pub language: Option<Language>,
    /// The noise kind, when the item is not work.
    pub noise: Option<NoiseKind>,
    /// The classified intent.
    pub intent: Option<Intent>,
    /// Priority set upstream (0 when none).
    pub priority: i32,
    /// When the item arrived.
    pub received_at: DateTime<Utc>,
    /// Subject or title.
    pub subject: Option<String>,
    /// Keywords found in the item (lower case).
    pub keywords: Vec<String>,
    /// The sender's e-mail address, lower case.
    pub sender_email: Option<String>,
    /// Product lines the item is about, e.g. `haircare`.
    pub product_lines: Vec<String>,
    /// The linked customer.
    pub customer: Option<CustomerFacts>,
    /// Linked orders.
    pub orders: Vec<OrderFacts>,
}

impl ItemFacts {
    /// Builds facts with only channel and arrival set.
    pub fn new(channel: Channel, received_at: DateTime<Utc>) -> Self {
        Self {
            channel,
            language: None,
            noise: None,
            intent: None,
            priority: 0,
            received_at,
            subject: None,
            keywords: Vec::new(),
            sender_email: None,
            product_lines: Vec::new(),
            customer: None,
            orders: Vec::new(),
        }
    }

    /// Returns the domain of the sender's e-mail address.
    pub fn sender_domain(&self) -> Option<&str> {
        self.sender_email
            .as_deref()
            .and_then(|email| email.rsplit_once('@'))
            .map(|(_, domain)| domain)
    }
}

/// The linked customer's master data that rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerFacts {
    /// Customer number.
    pub number: String,
    /// `key_account`, `regular` or `new`.
    pub segment: Option<String>,
    /// The customer's language.
    pub language: Option<String>,
    /// ISO 3166 alpha-2 country.
    pub country: Option<String>,
    /// The account manager's agent id.
    pub account_manager: Option<String>,
}

/// A linked order that rules read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    /// Order number.
    pub number: String,
    /// `open`, `confirmed`, `in_delivery`, `delivered`, `invoiced` or `cancelled`.
    pub status: String,
}

/// The variables a condition may use, with their CEL types.
pub const VARIABLES: &[(&str, &str)] = &[
    ("channel", "string"),
    ("language", "string or null"),
    ("noise", "string or null"),
    ("intent", "string or null"),
    ("priority", "int"),
    ("age_minutes", "int"),
    ("subject", "string (empty when none)"),
    ("keywords", "list of strings"),
    ("sender", "string or null"),
    ("sender_domain", "string or null"),
    ("product_lines", "list of strings"),
    (
        "customer",
        "map: linked (bool), number, segment, language, country, account_manager (null when unknown)",
    ),
    ("orders", "list of maps: number, status"),
    ("order_statuses", "list of strings"),
];

/// Tells whether `name` is a variable conditions may use.
pub fn is_known_variable(name: &str) -> bool {
    VARIABLES.iter().any(|(known, _)| *known == name)
}

fn text(value: &str) -> Value {
    Value::String(Arc::new(value.to_owned()))
}

fn optional(value: Option<&str>) -> Value {
    value.map_or(Value::Null, text)
}

fn list(values: impl Iterator<Item = Value>) -> Value {
    Value::List(Arc::new(values.collect()))
}

fn customer_value(customer: Option<&CustomerFacts>) -> Value {
    let mut fields: HashMap<String, Value> = HashMap::new();
    fields.insert("linked".into(), Value::Bool(customer.is_some()));
    fields.insert(
        "number".into(),
        optional(customer.map(|c| c.number.as_str())),
    );
    for (name, value) in [
        ("segment", customer.and_then(|c| c.segment.as_deref())),
        ("language", customer.and_then(|c| c.language.as_deref())),
        ("country", customer.and_then(|c| c.country.as_deref())),
        (
            "account_manager",
            customer.and_then(|c| c.account_manager.as_deref()),
        ),
    ] {
        fields.insert(name.into(), optional(value));
    }
    Value::from(fields)
}

fn order_value(order: &OrderFacts) -> Value {
    let mut fields: HashMap<String, Value> = HashMap::new();
    fields.insert("number".into(), text(&order.number));
    fields.insert("status".into(), text(&order.status));
    Value::from(fields)
}

/// Puts the facts into a CEL context as the variables of [`VARIABLES`].
pub(crate) fn bind(context: &mut Context<'_>, facts: &ItemFacts, now: DateTime<Utc>) {
    let age_minutes = (now - facts.received_at).num_minutes().max(0);
    let variables = [
        ("channel", text(facts.channel.as_str())),
        ("language", optional(facts.language.map(Language::as_str))),
        ("noise", optional(facts.noise.map(NoiseKind::as_str))),
        ("intent", optional(facts.intent.map(Intent::as_str))),
        ("priority", Value::Int(i64::from(facts.priority))),
        ("age_minutes", Value::Int(age_minutes)),
        ("subject", text(facts.subject.as_deref().unwrap_or(""))),
        ("keywords", list(facts.keywords.iter().map(|k| text(k)))),
        ("sender", optional(facts.sender_email.as_deref())),
        ("sender_domain", optional(facts.sender_domain())),
        (
            "product_lines",
            list(facts.product_lines.iter().map(|p| text(p))),
        ),
        ("customer", customer_value(facts.customer.as_ref())),
        ("orders", list(facts.orders.iter().map(order_value))),
        (
            "order_statuses",
            list(facts.orders.iter().map(|o| text(&o.status))),
        ),
    ];
    for (name, value) in variables {
        context.add_variable_from_value(name, value);
    }
}
