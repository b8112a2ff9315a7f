//! The `Store` port: every use case the rest of Switchboard needs from the system of record.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::CoreResult;
use crate::event::NewEvent;
use crate::ids::{ApiTokenId, InboundId, Login, UserId, WorkItemId};
use crate::inbound::{Inbound, InboundState, Landing, NewInbound, ThreadCandidate};
use crate::item::{ExportedItem, ItemStatus, NewItem, WorkItem};
use crate::link::{Link, NewLink};
use crate::master::{Customer, MasterBatch, MasterData, MasterKind, Order, UpsertCounts};
use crate::skill::{Skill, SkillRequirement};
use crate::user::{ApiToken, NewUser, Role, User, UserCredentials};

/// What the pipeline decided about a new item besides what its parser found.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemPlacement {
    /// Initial status.
    pub status: ItemStatus,
    /// Queue name, if routed.
    pub queue: Option<String>,
    /// Base priority.
    pub priority: i32,
    /// Skills required.
    pub required_skills: Vec<SkillRequirement>,
    /// Links found by the linker.
    pub links: Vec<NewLink>,
    /// The item this one replies to; the new item joins its thread.
    pub parent_id: Option<WorkItemId>,
    /// The classified intent.
    pub intent: Option<crate::item::Intent>,
    /// Product lines the item is about.
    pub product_lines: Vec<String>,
    /// The SLA clock started when the item was queued (none for noise or without a target).
    pub sla: Option<crate::sla::SlaClock>,
    /// The route the rule set in force at intake planned (the router's own planning then has
    /// nothing left to do for the item); `None` leaves the planning to the router.
    pub route: Option<PlannedRoute>,
}

/// A route planned for an item, as the router stores it.
#[derive(Debug, Clone)]
pub struct PlannedRoute {
    /// The plan (queue, priority, steps) as the router's `RoutePlan` serialises it: JSON text,
    /// written as it is.
    pub plan: Box<serde_json::value::RawValue>,
    /// The version of the rule set that planned it (0: the built-in set).
    pub rule_set_version: i64,
}

impl PartialEq for PlannedRoute {
    fn eq(&self, other: &Self) -> bool {
        self.plan.get() == other.plan.get() && self.rule_set_version == other.rule_set_version
    }
}

/// The item made from a landed input, to persist with [`Store::complete_inbounds`].
#[derive(Debug, Clone, Copy)]
pub struct InboundCompletion<'a> {
    /// The landed input.
    pub inbound: InboundId,
    /// The item made from it.
    pub item: &'a NewItem,
    /// Where the pipeline placed it.
    pub placement: &'a ItemPlacement,
    /// The position of an earlier completion of the same call this item replies to (its
    /// placement names no parent then): written together, it joins that item's thread.
    pub replies_to: Option<usize>,
}

impl Default for ItemPlacement {
    fn default() -> Self {
        Self {
            status: ItemStatus::New,
            queue: None,
            priority: 0,
            required_skills: Vec::new(),
            links: Vec::new(),
            parent_id: None,
            intent: None,
            product_lines: Vec::new(),
            sla: None,
            route: None,
        }
    }
}

/// Settings the store keeps as key/value pairs.
pub mod setting {
    /// Set when `serve --demo` seeded the database.
    pub const DEMO_SEEDED: &str = "demo_seeded";
}

/// The system of record.
#[async_trait]
pub trait Store:
    crate::feed::ChangeFeed
    + crate::admin::AdminStore
    + crate::routing::RoutingStore
    + crate::work::ItemWorkStore
    + crate::outbox::OutboxStore
    + crate::session::SessionStore
    + crate::item_view::ItemViewStore
    + crate::link::LinkEditStore
    + crate::case::CaseStore
    + crate::sla::SlaStore
    + crate::document::DocumentStore
    + crate::history::HistoryStore
    + Send
    + Sync
{
    /// Checks the database answers.
    async fn ping(&self) -> CoreResult<()>;

    /// Tells whether the database holds no master data, items or users.
    async fn is_empty(&self) -> CoreResult<bool>;

    /// Reads a setting.
    async fn setting(&self, name: &str) -> CoreResult<Option<String>>;

    /// Writes a setting.
    async fn set_setting(&self, name: &str, value: &str) -> CoreResult<()>;

    /// Returns the keys of every stored record of a kind.
    async fn master_keys(&self, kind: MasterKind) -> CoreResult<HashSet<String>>;

    /// Upserts checked batches in one transaction: all of them are stored or none.
    async fn upsert_master(&self, batches: &[MasterBatch]) -> CoreResult<Vec<UpsertCounts>>;

    /// Counts stored records of a kind.
    async fn count_master(&self, kind: MasterKind) -> CoreResult<i64>;

    /// Reads a customer with contacts.
    async fn customer(&self, customer_no: &str) -> CoreResult<Option<Customer>>;

    /// Reads an order with lines.
    async fn order(&self, order_no: &str) -> CoreResult<Option<Order>>;

    /// Creates a user; fails with a conflict when the login is taken.
    async fn create_user(&self, user: &NewUser) -> CoreResult<UserId>;

    /// Sets a user's password hash.
    async fn set_password(&self, login: &Login, password_hash: &str) -> CoreResult<()>;

    /// Sets a user's role.
    async fn set_role(&self, login: &Login, role: Role) -> CoreResult<()>;

    /// Finds a user and the password hash to check a sign-in.
    async fn user_credentials(&self, login: &Login) -> CoreResult<Option<UserCredentials>>;

    /// Lists users, agents first by login.
    async fn users(&self) -> CoreResult<Vec<User>>;

    /// Reads an agent's skills (from the master-data agent the user works as).
    async fn user_skills(&self, user: UserId) -> CoreResult<Vec<Skill>>;

    /// Stores a new API token by its hash and returns its id.
    async fn create_api_token(
        &self,
        token: &crate::admin::NewApiToken,
        now: DateTime<Utc>,
    ) -> CoreResult<ApiTokenId>;

    /// Finds an unrevoked API token by its hash.
    async fn api_token_by_hash(&self, token_hash: &str) -> CoreResult<Option<ApiToken>>;

    /// Persists a new item with its placement and links, and records an event, in one transaction.
    async fn insert_item(
        &self,
        item: &NewItem,
        placement: &ItemPlacement,
    ) -> CoreResult<WorkItemId>;

    /// Counts items.
    async fn count_items(&self) -> CoreResult<i64>;

    /// Returns exported items with ids above `after`, in id order, at most `limit`.
    async fn export_items(
        &self,
        after: Option<WorkItemId>,
        limit: u32,
        with_text: bool,
    ) -> CoreResult<Vec<ExportedItem>>;

    /// Records an audit event.
    async fn record_event(&self, event: &NewEvent) -> CoreResult<()>;

    /// Reads every master-data record the linker needs.
    async fn master_data(&self) -> CoreResult<MasterData>;

    /// Lands a raw input; an input landed before is found, not duplicated.
    async fn land(&self, inbound: &NewInbound) -> CoreResult<Landing>;

    /// Lands several raw inputs in one transaction; one landing per input, in order (an input
    /// given twice lands once and is found the second time).
    async fn land_batch(&self, inbounds: &[NewInbound]) -> CoreResult<Vec<Landing>>;

    /// Lists landed inputs in a state with ids above `after`, oldest first (recovery after a
    /// crash, OCR backlog).
    async fn inbound_in_state(
        &self,
        state: InboundState,
        after: Option<InboundId>,
        limit: u32,
    ) -> CoreResult<Vec<Inbound>>;

    /// The raw bytes of a landed input when they are kept in the database (inputs up to
    /// [`crate::inbound::INLINE_RAW_MAX`]); `None` when they are in the blob store.
    async fn inbound_raw(&self, id: InboundId) -> CoreResult<Option<Vec<u8>>>;

    /// Sets a landed input's state and error, counting an attempt.
    async fn set_inbound_state(
        &self,
        id: InboundId,
        state: InboundState,
        error: Option<&str>,
    ) -> CoreResult<()>;

    /// Persists the item made from a landed input and marks the input processed (or failed,
    /// for a failed item) in one transaction. When another worker finished the input first, it
    /// returns that item and writes nothing.
    async fn complete_inbound(
        &self,
        inbound: InboundId,
        item: &NewItem,
        placement: &ItemPlacement,
    ) -> CoreResult<WorkItemId>;

    /// [`Store::complete_inbound`] for several inputs in one transaction: all are persisted or
    /// none. Returns each input's item, in order.
    async fn complete_inbounds(
        &self,
        completions: &[InboundCompletion<'_>],
    ) -> CoreResult<Vec<WorkItemId>>;

    /// Finds earlier items by Message-ID.
    async fn thread_candidates(&self, message_ids: &[String]) -> CoreResult<Vec<ThreadCandidate>>;

    /// Reads an item.
    async fn item(&self, id: WorkItemId) -> CoreResult<Option<WorkItem>>;

    /// Reads an item with the name of its queue (in the same read).
    async fn item_with_queue(
        &self,
        id: WorkItemId,
    ) -> CoreResult<Option<(WorkItem, Option<String>)>>;

    /// Reads an item's links.
    async fn links_of(&self, id: WorkItemId) -> CoreResult<Vec<Link>>;

    /// Reads the links of those of `ids` that exist, by item (an item without links has an
    /// empty list; a missing item is left out).
    async fn links_of_items(
        &self,
        ids: &[WorkItemId],
    ) -> CoreResult<HashMap<WorkItemId, Vec<Link>>>;

    /// Creates or updates the task item with this external id (channel `task`, source =
    /// `external_id`): an update rewrites subject, text, priority, required skills, details and
    /// the auto links, bumps the version and feeds the change; identical content changes nothing.
    /// Returns the item and whether it was created.
    async fn upsert_task(
        &self,
        external_id: &str,
        item: &NewItem,
        placement: &ItemPlacement,
    ) -> CoreResult<(WorkItemId, bool)>;
}
