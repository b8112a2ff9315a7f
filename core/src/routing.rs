//! The routing port: what the router, agents and leads need from the system of record, and the
//! handle the HTTP surface uses to reach the node's router.
//!
//! Every write that changes who owns an item is fenced by the item's `version`: an update names
//! the version it decided on and changes nothing when the item moved on since, so a stale router
//! (or a lost race between two agents pulling) can never assign an item twice.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::event::Actor;
use crate::ids::{Login, QueueId, UserId, WorkItemId};
use crate::item::{Channel, Intent, ItemStatus, Language, NoiseKind, wire_enum};
use crate::queue::{OfferMode, QueueStrategy};
use crate::skill::{Skill, SkillRequirement};
use crate::user::AgentStatus;

/// An assignment or offer (a row of the assignment history).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct AssignmentId(i64);

impl AssignmentId {
    /// Wraps a raw database id.
    pub const fn new(raw: i64) -> Self {
        Self(raw)
    }

    /// Returns the raw database id.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for AssignmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

wire_enum!(
    /// Whether an agent works a queue first or helps once items have waited.
    Membership {
        Primary = "primary",
        Secondary = "secondary",
    }
);

wire_enum!(
    /// What an assignment row is.
    AssignmentKind {
        /// The agent owns the item.
        Assign = "assign",
        /// The item waits for the agent's answer.
        Offer = "offer",
    }
);

/// A stored version of the routing rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSetVersion {
    /// The version number, rising.
    pub version: i64,
    /// The rule set document (JSON form).
    pub document: serde_json::Value,
    /// Whether it passed validation when saved; only valid versions can be activated.
    pub valid: bool,
    /// Whether the router uses it now.
    pub active: bool,
    /// Who saved it.
    pub created_by: String,
    /// When it was saved.
    pub created_at: DateTime<Utc>,
    /// When it was last activated.
    pub activated_at: Option<DateTime<Utc>>,
}

/// A queue's routing settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueSettings {
    /// The id.
    pub id: QueueId,
    /// Unique name.
    pub name: String,
    /// How an agent is chosen.
    pub strategy: QueueStrategy,
    /// Assign directly or offer first.
    pub offer_mode: OfferMode,
    /// Priority points added per minute waited.
    pub aging_per_minute: f64,
    /// Seconds an offer stays open.
    pub offer_timeout_seconds: i32,
    /// Seconds before secondary members may take an item.
    pub secondary_delay_seconds: i32,
    /// Seconds an item is reserved for its preferred agent.
    pub preferred_agent_seconds: i32,
    /// Seconds an item declined by everyone rests.
    pub cooldown_seconds: i32,
}

/// An item an agent owns or has been offered, for their load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenWork {
    /// The item.
    pub item: WorkItemId,
    /// Its channel (sets the capacity it takes).
    pub channel: Channel,
    /// Owned or offered.
    pub kind: AssignmentKind,
}

/// An agent as the router reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentRouting {
    /// The user.
    pub user: UserId,
    /// The login.
    pub login: Login,
    /// Presence.
    pub status: AgentStatus,
    /// When the status last changed.
    pub status_since: Option<DateTime<Utc>>,
    /// Capacity in units.
    pub capacity: i32,
    /// When the agent last became idle or got an item.
    pub idle_since: Option<DateTime<Utc>>,
    /// Offers let time out in a row.
    pub missed_offers: i32,
    /// Skills with levels.
    pub skills: Vec<Skill>,
    /// Queues worked; empty means every queue as primary.
    pub queues: Vec<(QueueId, Membership)>,
    /// Items owned or offered.
    pub open_work: Vec<OpenWork>,
    /// Fairness cap: at most this many assignments per window.
    pub fairness_max: Option<i32>,
    /// The fairness window in minutes.
    pub fairness_window_minutes: i32,
    /// Assignments in the fairness window ending at the snapshot's time.
    pub assignments_in_window: i32,
}

/// An open offer of a waiting item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenOffer {
    /// The offer.
    pub id: AssignmentId,
    /// The agent.
    pub agent: UserId,
    /// When it times out.
    pub expires_at: DateTime<Utc>,
}

/// An item waiting for an agent (queued, or offered and unanswered), with its routing state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingItemRouting {
    /// The item.
    pub item: WorkItemId,
    /// The version every fenced write names.
    pub version: i64,
    /// Queued or offered.
    pub status: ItemStatus,
    /// The channel.
    pub channel: Channel,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Its SLA clock.
    pub sla: Option<crate::sla::SlaClock>,
    /// The home queue.
    pub queue: Option<QueueId>,
    /// Base priority.
    pub priority: i32,
    /// Skills of the route's first step (or set by a lead).
    pub required_skills: Vec<SkillRequirement>,
    /// The route the rules gave it (every relaxation step), opaque to the store.
    pub route: Option<serde_json::Value>,
    /// The rule-set version that planned the route.
    pub rule_set_version: Option<i64>,
    /// A lead moved the item or set its priority: the rules no longer re-plan it.
    pub route_locked: bool,
    /// The agent who handled the item's thread.
    pub preferred_agent: Option<UserId>,
    /// Agents who declined it since its last cool-down.
    pub declined_by: Vec<UserId>,
    /// The open offer.
    pub offer: Option<OpenOffer>,
    /// It rests until then.
    pub cooldown_until: Option<DateTime<Utc>>,
}

/// Everything the router decides on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoutingSnapshot {
    /// Every queue.
    pub queues: Vec<QueueSettings>,
    /// Every active agent.
    pub agents: Vec<AgentRouting>,
    /// Waiting items, oldest first.
    pub items: Vec<WaitingItemRouting>,
}

/// What changed items look like now, for a router that keeps its snapshot between rounds:
/// those still waiting, and those owned or offered (with their agent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoutingChanges {
    /// The items still waiting, as [`RoutingSnapshot::items`] shows them, by id.
    pub waiting: Vec<WaitingItemRouting>,
    /// The items an agent owns or has been offered.
    pub open_work: Vec<(UserId, OpenWork)>,
}

/// Adds open work to the agents it belongs to (work of agents not listed is left out).
pub fn attach_open_work(
    agents: &mut [AgentRouting],
    work: impl IntoIterator<Item = (UserId, OpenWork)>,
) {
    let position: std::collections::HashMap<UserId, usize> = agents
        .iter()
        .enumerate()
        .map(|(index, agent)| (agent.user, index))
        .collect();
    for (user, open) in work {
        if let Some(&index) = position.get(&user) {
            agents[index].open_work.push(open);
        }
    }
}

/// The linked customer's facts rules read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRoutingFacts {
    /// Customer number.
    pub number: String,
    /// Segment.
    pub segment: Option<String>,
    /// Language.
    pub language: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Account manager's agent id.
    pub account_manager: Option<String>,
}

/// What the rules read about an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRoutingFacts {
    /// The item.
    pub item: WorkItemId,
    /// The version the facts were read at.
    pub version: i64,
    /// Lifecycle status.
    pub status: ItemStatus,
    /// The channel.
    pub channel: Channel,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Language.
    pub language: Option<Language>,
    /// Noise kind.
    pub noise: Option<NoiseKind>,
    /// Intent.
    pub intent: Option<Intent>,
    /// Subject.
    pub subject: Option<String>,
    /// Sender's e-mail address.
    pub sender_email: Option<String>,
    /// Product lines.
    pub product_lines: Vec<String>,
    /// The applied customer link.
    pub customer: Option<CustomerRoutingFacts>,
    /// Applied order links: (order number, status).
    pub orders: Vec<(String, String)>,
    /// The queue the item is in now.
    pub queue_name: Option<String>,
}

/// A route the rules gave an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutePlacement {
    /// The item.
    pub item: WorkItemId,
    /// The version the route was planned at.
    pub expected_version: i64,
    /// The home queue (created with default settings when new).
    pub queue: String,
    /// Base priority.
    pub priority: i32,
    /// Skills of the first step.
    pub required_skills: Vec<SkillRequirement>,
    /// Every step, opaque to the store.
    pub route: serde_json::Value,
    /// The rule-set version that planned it.
    pub rule_set_version: i64,
}

/// What the router decided for one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RoutingAction {
    /// The agent owns the item.
    Assign {
        /// The agent.
        agent: UserId,
        /// Why.
        explanation: serde_json::Value,
    },
    /// The item is offered until `expires_at`.
    Offer {
        /// The agent.
        agent: UserId,
        /// When the offer times out.
        expires_at: DateTime<Utc>,
        /// Why.
        explanation: serde_json::Value,
    },
    /// The open offer timed out: a decline and a missed offer.
    OfferExpired {
        /// The agent.
        agent: UserId,
    },
    /// Everyone eligible declined: declines are forgotten and the item rests.
    CoolDown {
        /// Until when.
        until: DateTime<Utc>,
        /// Why.
        explanation: serde_json::Value,
    },
}

/// A decision fenced by the item version it was taken on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FencedDecision {
    /// The item.
    pub item: WorkItemId,
    /// The version the decision was taken on.
    pub expected_version: i64,
    /// What to do.
    pub action: RoutingAction,
}

/// An item an agent may pull, best first, with why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimCandidate {
    /// The item.
    pub item: WorkItemId,
    /// The version it was chosen at.
    pub expected_version: i64,
    /// Why.
    pub explanation: serde_json::Value,
}

/// A lead's override of the router.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadOverride {
    /// Who.
    pub actor: Actor,
    /// Why, in the lead's words.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a lead does to an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum LeadAction {
    /// Give the item to an agent.
    Reassign {
        /// The agent.
        agent: UserId,
    },
    /// Put the item (back) in a queue for routing.
    Move {
        /// The queue's name (created with default settings when new).
        queue: String,
    },
    /// Set the base priority.
    Priority {
        /// The priority.
        priority: i32,
    },
}

/// One row of an item's assignment history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentRecord {
    /// The row.
    pub id: AssignmentId,
    /// The item.
    pub item: WorkItemId,
    /// The agent.
    pub agent: UserId,
    /// The agent's login.
    pub login: Login,
    /// Owned or offered.
    pub kind: AssignmentKind,
    /// `router`, `pull`, `offer` (accepted) or `lead`.
    pub origin: String,
    /// The explanation recorded with the decision.
    pub explanation: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When an offer times out.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// How it ended: accepted, rejected, timed_out, reassigned, moved, returned.
    pub outcome: Option<String>,
}

/// Settings of an agent's routing an admin or lead changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRoutingUpdate {
    /// Capacity in units.
    pub capacity: Option<i32>,
    /// Queues worked (replaces the list; empty = every queue as primary).
    pub queues: Option<Vec<(QueueId, Membership)>>,
    /// Fairness cap (`Some(None)` removes it) and window in minutes.
    pub fairness: Option<(Option<i32>, i32)>,
}

/// The routing port of the system of record.
#[async_trait]
pub trait RoutingStore: Send + Sync {
    /// Stores a rule-set document as a new version and returns the version.
    async fn save_rule_set(
        &self,
        document: &serde_json::Value,
        valid: bool,
        created_by: &str,
        at: DateTime<Utc>,
    ) -> CoreResult<i64>;

    /// Lists every stored version, newest first.
    async fn rule_sets(&self) -> CoreResult<Vec<RuleSetVersion>>;

    /// Makes a valid version the active one; the previous one stays stored and restorable.
    async fn activate_rule_set(
        &self,
        version: i64,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> CoreResult<()>;

    /// Reads the active version, if any.
    async fn active_rule_set(&self) -> CoreResult<Option<RuleSetVersion>>;

    /// Lists every queue's routing settings.
    async fn queue_settings(&self) -> CoreResult<Vec<QueueSettings>>;

    /// Changes a queue's routing settings (found by id).
    async fn update_queue_settings(&self, settings: &QueueSettings) -> CoreResult<()>;

    /// Changes an agent's routing settings.
    async fn update_agent_routing(
        &self,
        agent: UserId,
        update: &AgentRoutingUpdate,
    ) -> CoreResult<()>;

    /// Replaces an agent's skills (the `agent_skills` master data of the agent record the user
    /// is linked to); a conflict when the user is linked to no agent record.
    async fn set_agent_skills(
        &self,
        agent: UserId,
        skills: &[crate::skill::Skill],
    ) -> CoreResult<()>;

    /// Sets an agent's status; becoming available resets missed offers and starts idle time.
    async fn set_agent_status(
        &self,
        agent: UserId,
        status: AgentStatus,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> CoreResult<()>;

    /// Reads queues, active agents and waiting items as of `now`.
    async fn routing_snapshot(&self, now: DateTime<Utc>) -> CoreResult<RoutingSnapshot>;

    /// Reads the active agents as of `now` as [`RoutingStore::routing_snapshot`] does, without
    /// their open work (which follows the items: [`RoutingStore::routing_changes`]).
    async fn routing_agents(&self, now: DateTime<Utc>) -> CoreResult<Vec<AgentRouting>>;

    /// Reads the routing state of these items now: the waiting ones, and the owned or offered
    /// ones with their agent; items in neither state are in neither list.
    async fn routing_changes(&self, items: &[WorkItemId]) -> CoreResult<RoutingChanges>;

    /// Reads what the rules need about items.
    async fn routing_facts(&self, items: &[WorkItemId]) -> CoreResult<Vec<ItemRoutingFacts>>;

    /// Reads what the rules need about items received since `since` (noise and failed
    /// intake left out), oldest first, at most `limit`.
    async fn routing_facts_since(
        &self,
        since: DateTime<Utc>,
        limit: u32,
    ) -> CoreResult<Vec<ItemRoutingFacts>>;

    /// Stores routes the rules planned, each fenced by its version; returns which were stored.
    async fn save_routes(&self, routes: &[RoutePlacement]) -> CoreResult<Vec<bool>>;

    /// Persists decisions with their explanations and audit events in one transaction, each
    /// fenced by its item's version; returns which were applied (a stale one changes nothing).
    async fn apply_decisions(
        &self,
        decisions: &[FencedDecision],
        at: DateTime<Utc>,
    ) -> CoreResult<Vec<bool>>;

    /// Marks an agent not responding after too many missed offers.
    async fn mark_not_responding(
        &self,
        agent: UserId,
        missed_offers: u32,
        at: DateTime<Utc>,
    ) -> CoreResult<()>;

    /// Accepts an open offer made to `agent`; returns the item.
    async fn accept_offer(
        &self,
        offer: AssignmentId,
        agent: UserId,
        at: DateTime<Utc>,
    ) -> CoreResult<WorkItemId>;

    /// Rejects an open offer made to `agent`: the item goes back to routing without them.
    async fn reject_offer(
        &self,
        offer: AssignmentId,
        agent: UserId,
        at: DateTime<Utc>,
    ) -> CoreResult<WorkItemId>;

    /// Pull: claims for `agent` the first of `candidates` (best first) still waiting at its
    /// expected version. Of agents racing for one item exactly one wins.
    async fn claim_next_item(
        &self,
        agent: UserId,
        candidates: &[ClaimCandidate],
        at: DateTime<Utc>,
    ) -> CoreResult<Option<WorkItemId>>;

    /// A lead's action on an item, recorded as an override with the lead and reason. A
    /// reassign or move of an item waiting on the customer ends the pause and moves its SLA
    /// clock on as `sla` counts the pause.
    async fn lead_action(
        &self,
        item: WorkItemId,
        action: &LeadAction,
        by: &LeadOverride,
        sla: &dyn crate::sla::SlaResume,
    ) -> CoreResult<()>;

    /// Returns to routing the work of agents away or offline since before `cutoff`.
    async fn return_absent_work(
        &self,
        cutoff: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> CoreResult<Vec<WorkItemId>>;

    /// Reads an item's assignment history, oldest first.
    async fn assignments_of(&self, item: WorkItemId) -> CoreResult<Vec<AssignmentRecord>>;
}

/// A request to replay past items against a rule set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimulationRequest {
    /// The candidate rule set; the active one when `None`.
    pub rules: Option<serde_json::Value>,
    /// Replay items received since then (default: the last 7 days).
    pub since: Option<DateTime<Utc>>,
    /// Use agents' live status instead of treating every active agent as available.
    pub live_status: bool,
}

/// The node's router as the HTTP surface reaches it.
#[async_trait]
pub trait RouterHandle: Send + Sync {
    /// Tells the router that routing state changed (an answer, a status, a lead action).
    fn wake(&self);

    /// Picks and claims the best item for `agent` now; `None` when there is none.
    async fn next_item(&self, agent: UserId) -> CoreResult<Option<WorkItemId>>;

    /// Replays past items against a rule set without changing anything; the JSON report of
    /// `rules simulate --format json`.
    async fn simulate(&self, request: &SimulationRequest) -> CoreResult<serde_json::Value>;

    /// What the router would decide for every waiting item now, without changing anything:
    /// each item's explanation (why it still waits, or whom it goes to next), as JSON.
    async fn waiting_explanations(&self) -> CoreResult<Vec<(WorkItemId, serde_json::Value)>>;
}
