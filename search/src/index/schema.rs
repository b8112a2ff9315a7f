//! The index schema: one index holds items, customers and orders, told apart by `kind`.
//!
//! Text fields are per kind, so a query against a kind touches only that kind's postings; item
//! subjects and texts of every language share one field (see [`super::analysis`]). Identifiers live in one exact-match field per kind, as
//! normalised terms with a type prefix (see [`super::normalise`]).

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::analysis::{PLAIN, TEXT};

/// The kind of record a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// A work item.
    Item,
    /// A customer.
    Customer,
    /// A sales order.
    Order,
}

impl DocKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::Item, Self::Customer, Self::Order];

    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Item => "item",
            Self::Customer => "customer",
            Self::Order => "order",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }
}

/// The fields of the schema.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    /// `item`, `customer` or `order`.
    pub kind: Field,
    /// `<kind>:<id>`: the term an update deletes by; stored to name the hit.
    pub key: Field,
    /// The item id as a fast field, so hits without snippets need no stored document.
    pub item_id: Field,
    /// Item subject as words, unstemmed (indexed only): boosts subject matches.
    pub subject: Field,
    /// Item subject and text, each value marked with its language (indexed only).
    pub text: Field,
    /// Item subject as written (stored only, for snippets).
    pub subject_stored: Field,
    /// Item text as written, capped (stored only, for snippets).
    pub text_stored: Field,
    /// Item language slot suffix (stored only, picks the snippet analyser).
    pub slot: Field,
    /// Sender name, address and number as text.
    pub sender: Field,
    /// Attachment file names.
    pub attachments: Field,
    /// Customer name.
    pub customer_name: Field,
    /// Customer contacts, address, web site.
    pub customer_details: Field,
    /// Order numbers, references, lines, carriers.
    pub order_details: Field,
    /// Exact-match identifiers of items, customers and orders, one field per kind.
    pub identifiers: [Field; 3],
    /// Item channel.
    pub channel: Field,
    /// Item status.
    pub status: Field,
    /// Customer key (no leading zeros) of the item, order or customer.
    pub customer: Field,
    /// Item queue id.
    pub queue: Field,
    /// Item arrival or order date, Unix seconds.
    pub date: Field,
}

/// Name of the item id fast field.
pub(crate) const ITEM_ID: &str = "item_id";

/// Bumped when the schema or the analysis changes; an index of another version is rebuilt.
pub(crate) const SCHEMA_VERSION: u32 = 3;

fn text(analyser: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyser)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

impl Fields {
    /// Builds the schema and its fields.
    pub(crate) fn build() -> (Schema, Self) {
        let mut builder = Schema::builder();
        let kind = builder.add_text_field("kind", STRING);
        let key = builder.add_text_field("key", STRING | STORED);
        let stored_only = TextOptions::default().set_stored();
        let fields = Self {
            kind,
            key,
            item_id: builder.add_u64_field(ITEM_ID, FAST),
            subject: builder.add_text_field("subject_words", text(PLAIN, false)),
            text: builder.add_text_field("text_words", text(TEXT, false)),
            subject_stored: builder.add_text_field("subject", stored_only.clone()),
            text_stored: builder.add_text_field("text", stored_only.clone()),
            slot: builder.add_text_field("slot", stored_only),
            sender: builder.add_text_field("sender", text(PLAIN, true)),
            attachments: builder.add_text_field("attachments", text(PLAIN, true)),
            customer_name: builder.add_text_field("customer_name", text(PLAIN, true)),
            customer_details: builder.add_text_field("customer_details", text(PLAIN, true)),
            order_details: builder.add_text_field("order_details", text(PLAIN, true)),
            identifiers: DocKind::ALL
                .map(|kind| builder.add_text_field(&format!("{}_ids", kind.as_str()), STRING)),
            channel: builder.add_text_field("channel", STRING),
            status: builder.add_text_field("status", STRING),
            customer: builder.add_text_field("customer", STRING),
            queue: builder.add_u64_field("queue", INDEXED),
            date: builder.add_i64_field("date", INDEXED | FAST),
        };
        (builder.build(), fields)
    }

    /// Returns the identifier field of a kind.
    pub(crate) fn identifiers_of(&self, kind: DocKind) -> Field {
        match kind {
            DocKind::Item => self.identifiers[0],
            DocKind::Customer => self.identifiers[1],
            DocKind::Order => self.identifiers[2],
        }
    }

    /// Returns the text fields a query of a kind searches, with their boosts.
    pub(crate) fn text_fields_of(&self, kind: DocKind) -> Vec<(Field, f32)> {
        match kind {
            DocKind::Item => vec![
                (self.text, 1.0),
                (self.subject, 1.0),
                (self.sender, 1.0),
                (self.attachments, 1.0),
            ],
            DocKind::Customer => vec![(self.customer_name, 2.0), (self.customer_details, 1.0)],
            DocKind::Order => vec![(self.order_details, 1.0)],
        }
    }
}
