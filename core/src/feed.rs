//! The ports behind search: the item change feed the index follows ([`ChangeFeed`], part of
//! every `Store`), and the search index as the web layer sees it ([`SearchIndex`]). The index
//! is a projection: it returns ids, and the store supplies the records.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::ids::{CustomerNo, OrderNo, QueueId, WorkItemId};
use crate::item::{Channel, ItemStatus, Language, SenderIdentity};

/// One row of the change feed: the item changed in the transaction that wrote `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedEntry {
    /// The position in the feed; increases with every change.
    pub seq: i64,
    /// The changed item.
    pub item_id: WorkItemId,
}

/// An item with everything its search document needs, as stored now: what it is found by
/// and filtered on, without the rest of the item (HTML, routing, details).
#[derive(Debug, Clone, PartialEq)]
pub struct IndexableItem {
    /// The item's id.
    pub id: WorkItemId,
    /// The channel it came in through.
    pub channel: Channel,
    /// Its status.
    pub status: ItemStatus,
    /// The language of its text.
    pub language: Option<Language>,
    /// When it came in.
    pub received_at: DateTime<Utc>,
    /// Its subject.
    pub subject: Option<String>,
    /// Its text.
    pub text: String,
    /// Who sent it.
    pub sender: SenderIdentity,
    /// Its queue.
    pub queue_id: Option<QueueId>,
    /// The applied customer link.
    pub customer_no: Option<CustomerNo>,
    /// The applied order links.
    pub order_nos: Vec<OrderNo>,
    /// File names of its attachments.
    pub attachment_names: Vec<String>,
}

/// What a search hit shows of an item: its summary, read without the item's text.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemHitRecord {
    /// The item.
    pub id: WorkItemId,
    /// The subject.
    pub subject: Option<String>,
    /// The channel.
    pub channel: Channel,
    /// The status.
    pub status: ItemStatus,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Who sent it.
    pub sender: SenderIdentity,
    /// The name of its queue.
    pub queue: Option<String>,
    /// The applied customer link (the first, when there are several).
    pub customer_no: Option<CustomerNo>,
}

/// A customer's summary as a search hit shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerHitRecord {
    /// The customer number as master data writes it.
    pub number: CustomerNo,
    /// The name.
    pub name: String,
    /// The city.
    pub city: Option<String>,
}

/// An order's summary as a search hit shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderHitRecord {
    /// The order number.
    pub number: OrderNo,
    /// Its customer.
    pub customer_no: CustomerNo,
    /// The order status as the ERP writes it.
    pub status: String,
    /// When it was ordered.
    pub order_date: Option<NaiveDate>,
}

/// A cheap fingerprint of the master data the index shows (customers with contacts, orders
/// with lines and deliveries): when it changes, the indexer reads master data again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MasterVersion(pub Vec<(i64, Option<DateTime<Utc>>)>);

/// The item change feed (`item_changes`), the reads that feed the search index, and the item
/// summaries its hits show.
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Returns at most `limit` feed entries with a sequence above `seq`, in sequence order.
    async fn changes_after(&self, seq: i64, limit: u32) -> CoreResult<Vec<FeedEntry>>;

    /// Returns the highest sequence written so far (0 for an empty feed).
    async fn max_change_seq(&self) -> CoreResult<i64>;

    /// Reads the items with these ids as they are now; ids of missing items are left out.
    async fn indexable_items(&self, ids: &[WorkItemId]) -> CoreResult<Vec<IndexableItem>>;

    /// Reads items with ids above `after`, in id order, at most `limit` (a full rebuild).
    async fn indexable_items_after(
        &self,
        after: Option<WorkItemId>,
        limit: u32,
    ) -> CoreResult<Vec<IndexableItem>>;

    /// Reads the summaries of the items with these ids, in one statement per 500 ids and without
    /// their text; ids of missing items are left out, the order is the store's.
    async fn item_hit_records(&self, ids: &[WorkItemId]) -> CoreResult<Vec<ItemHitRecord>>;

    /// Reads the summaries of the customers with these numbers (exactly as master data writes
    /// them), in one statement per 500; missing ones are left out, the order is the store's.
    async fn customer_hit_records(
        &self,
        numbers: &[CustomerNo],
    ) -> CoreResult<Vec<CustomerHitRecord>>;

    /// Reads the summaries of the orders with these numbers, in one statement per 500; missing
    /// ones are left out, the order is the store's.
    async fn order_hit_records(&self, numbers: &[OrderNo]) -> CoreResult<Vec<OrderHitRecord>>;

    /// Returns the fingerprint of the indexed master data.
    async fn master_version(&self) -> CoreResult<MasterVersion>;

    /// Finds a queue's id by its name.
    async fn queue_id(&self, name: &str) -> CoreResult<Option<QueueId>>;
}

/// The kind of record a search looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    /// Work items.
    Item,
    /// Customers.
    Customer,
    /// Sales orders.
    Order,
}

impl SearchKind {
    /// Parses a wire name (`item`, `customer`, `order`).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "item" => Some(Self::Item),
            "customer" => Some(Self::Customer),
            "order" => Some(Self::Order),
            _ => None,
        }
    }
}

/// How the words of a query combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Every word must match.
    And,
    /// Any word may match; more matches rank higher.
    Or,
}

/// A search as the web layer asks it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchRequest {
    /// The user's words; empty lists what passes the filters, newest first.
    pub q: String,
    /// The kind of record; `None` searches all.
    pub kind: Option<SearchKind>,
    /// Item channels, any of them.
    pub channels: Vec<Channel>,
    /// Item statuses, any of them.
    pub statuses: Vec<ItemStatus>,
    /// The customer of items and orders; leading zeros do not matter.
    pub customer_no: Option<CustomerNo>,
    /// The queue of items.
    pub queue: Option<QueueId>,
    /// Received at or after.
    pub received_from: Option<DateTime<Utc>>,
    /// Received before.
    pub received_before: Option<DateTime<Utc>>,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return.
    pub limit: usize,
    /// AND or OR; `None` uses the index's default.
    pub mode: Option<SearchMode>,
}

/// The record a hit names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SearchTarget {
    /// A work item.
    Item(WorkItemId),
    /// A customer.
    Customer(CustomerNo),
    /// A sales order.
    Order(OrderNo),
}

/// A piece of a field with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchSnippet {
    /// The field: `subject`, `text`, `name` or `details`.
    pub field: String,
    /// HTML-escaped text with matches wrapped in `<mark>`; safe to insert into a page.
    pub html: String,
    /// Whether a match was marked.
    pub highlighted: bool,
}

/// One hit.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchMatch {
    /// The record.
    pub target: SearchTarget,
    /// Relevance; 0 for listings.
    pub score: f32,
    /// Snippets.
    pub snippets: Vec<SearchSnippet>,
}

/// A page of hits.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchPage {
    /// Hits, best first.
    pub matches: Vec<SearchMatch>,
    /// The matches, when counted; counting stops at 10,000 (no page reaches further).
    pub total: Option<usize>,
    /// Whether counting stopped there: there are at least `total` matches.
    pub total_capped: bool,
    /// Whether hits follow this page.
    pub has_more: bool,
}

/// The search index as handlers use it.
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Runs a search on the committed documents.
    async fn search(&self, request: SearchRequest) -> CoreResult<SearchPage>;
}
