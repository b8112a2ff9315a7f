//! The router's model: the snapshot of queues, agents and waiting items the policy decides on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::item::Channel;
use switchboard_core::queue::{OfferMode, Queue, QueueStrategy};
use switchboard_core::skill::{Skill, SkillRequirement};
use switchboard_core::sla::SlaClock;
use switchboard_core::user::AgentStatus;
use switchboard_core::{QueueId, UserId, WorkItemId};

use crate::explain::RuleRef;

/// Everything the policy looks at for one round of decisions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The queues items wait in.
    pub queues: Vec<QueueConfig>,
    /// The agents, in any order.
    pub agents: Vec<Agent>,
    /// Items still needing an agent (queued, or offered and not yet answered).
    pub items: Vec<WaitingItem>,
    /// Settings that apply to every queue.
    pub config: PolicyConfig,
}

/// Settings that apply to every queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyConfig {
    /// Capacity units an item of each channel takes.
    pub costs: ChannelCosts,
    /// Offers an agent may let time out in a row before going "not responding".
    pub not_responding_after: u32,
    /// At most this many per-agent entries in each list of an explanation (counts stay complete).
    pub explain_limit: usize,
}

impl Default for PolicyConfig {
    fn default() -> Self {
        Self {
            costs: ChannelCosts::default(),
            not_responding_after: 3,
            explain_limit: 16,
        }
    }
}

/// Capacity units per channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChannelCosts {
    /// An e-mail.
    pub email: u32,
    /// A fax.
    pub fax: u32,
    /// A voicemail (a call back).
    pub voicemail: u32,
    /// A paper letter.
    pub letter: u32,
    /// A task pushed by another system.
    pub task: u32,
}

impl Default for ChannelCosts {
    fn default() -> Self {
        Self {
            email: 20,
            fax: 25,
            voicemail: 50,
            letter: 25,
            task: 20,
        }
    }
}

impl ChannelCosts {
    /// Returns the units an item of `channel` takes.
    pub fn cost(&self, channel: Channel) -> u32 {
        match channel {
            Channel::Email => self.email,
            Channel::Fax => self.fax,
            Channel::Voicemail => self.voicemail,
            Channel::Letter => self.letter,
            Channel::Task => self.task,
        }
    }
}

/// Priority points an item gains once its SLA is at risk, unless a queue says otherwise: enough
/// to lift ordinary work (priority 20) to the level of urgent work (50).
pub const DEFAULT_SLA_AT_RISK_BOOST: f64 = 30.0;

/// A queue's routing settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueConfig {
    /// The id.
    pub id: QueueId,
    /// Unique name, as rules refer to it.
    pub name: String,
    /// How an agent is chosen among eligible ones.
    pub strategy: QueueStrategy,
    /// Assign directly or offer first.
    pub offer_mode: OfferMode,
    /// Priority points added per whole minute waited.
    pub aging_per_minute: f64,
    /// Seconds an offer stays open.
    pub offer_timeout_seconds: u32,
    /// Seconds an item waits before agents with this queue as secondary may take it.
    pub secondary_delay_seconds: u32,
    /// Seconds after arrival during which an item is reserved for its preferred agent.
    pub preferred_agent_seconds: u32,
    /// Seconds an item declined by every eligible agent rests before it is offered again.
    pub cooldown_seconds: u32,
    /// Priority points added once an item's SLA is at risk.
    pub sla_at_risk_boost: f64,
}

impl QueueConfig {
    /// Builds a queue with the defaults: longest idle, auto-assign, no aging, 120 s offers.
    pub fn new(id: QueueId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            strategy: QueueStrategy::LongestIdle,
            offer_mode: OfferMode::AutoAssign,
            aging_per_minute: 0.0,
            offer_timeout_seconds: 120,
            secondary_delay_seconds: 0,
            preferred_agent_seconds: 300,
            cooldown_seconds: 600,
            sla_at_risk_boost: DEFAULT_SLA_AT_RISK_BOOST,
        }
    }

    /// Builds the routing settings of a stored queue; settings core does not hold keep defaults.
    pub fn from_queue(queue: &Queue) -> Self {
        Self {
            strategy: queue.strategy,
            offer_mode: queue.offer_mode,
            aging_per_minute: queue.aging_per_minute,
            offer_timeout_seconds: u32::try_from(queue.offer_timeout_seconds).unwrap_or(120),
            ..Self::new(queue.id, queue.name.clone())
        }
    }
}

/// An agent as the policy sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// The user id.
    pub id: UserId,
    /// Presence; only available agents get work.
    pub status: AgentStatus,
    /// Skills with levels.
    pub skills: Vec<Skill>,
    /// Capacity in units.
    pub capacity_units: u32,
    /// Units taken by items the agent owns or has been offered.
    pub load_units: u32,
    /// When the agent last became idle (or last got an item).
    pub idle_since: DateTime<Utc>,
    /// Queues the agent works first.
    pub primary_queues: Vec<QueueId>,
    /// Queues the agent helps with once an item has waited the queue's secondary delay.
    pub secondary_queues: Vec<QueueId>,
    /// Optional fairness cap.
    pub fairness: Option<FairnessCap>,
    /// Assignments the agent got in the cap's window ending now (counted by the caller).
    pub assignments_in_window: u32,
    /// Offers the agent let time out in a row.
    pub missed_offers: u32,
}

impl Agent {
    /// Builds an available agent with 100 units and no load, idle since `idle_since`.
    pub fn new(id: UserId, skills: Vec<Skill>, idle_since: DateTime<Utc>) -> Self {
        Self {
            id,
            status: AgentStatus::Available,
            skills,
            capacity_units: 100,
            load_units: 0,
            idle_since,
            primary_queues: Vec::new(),
            secondary_queues: Vec::new(),
            fairness: None,
            assignments_in_window: 0,
            missed_offers: 0,
        }
    }

    /// Returns the units still free.
    pub fn free_units(&self) -> u32 {
        self.capacity_units.saturating_sub(self.load_units)
    }
}

/// At most `max_assignments` per `window_minutes` for one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FairnessCap {
    /// Assignments allowed in the window.
    pub max_assignments: u32,
    /// The window's length (the caller counts assignments over it).
    pub window_minutes: u32,
}

/// An item waiting for an agent, with what the rules decided and its offer history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitingItem {
    /// The id.
    pub id: WorkItemId,
    /// The channel, which sets the capacity cost.
    pub channel: Channel,
    /// When it arrived; waiting time, aging and relaxation count from here.
    pub arrived_at: DateTime<Utc>,
    /// Its SLA clock: due time (queue order) and when it is at risk (boosted).
    pub sla: Option<SlaClock>,
    /// The route the rules gave it.
    pub route: ItemRoute,
    /// The agent handling its thread or case, or the customer's account manager.
    pub preferred_agent: Option<UserId>,
    /// Offers and declines so far.
    pub state: RoutingState,
}

impl WaitingItem {
    /// The skills required at a relaxation step (none past the last step).
    pub fn required_at(&self, step: usize) -> &[SkillRequirement] {
        self.route
            .steps
            .get(step)
            .map_or(&[][..], |route_step| route_step.required.as_slice())
    }
}

/// A rule's decision for one item with queue names resolved to ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemRoute {
    /// The rule that matched, if any.
    pub rule: Option<RuleRef>,
    /// The home queue.
    pub queue: QueueId,
    /// Base priority (higher first).
    pub priority: i32,
    /// Step 0 (the rule's own requirements) then each relaxation step, by rising `after_minutes`.
    pub steps: Vec<RouteStep>,
}

impl ItemRoute {
    /// Builds a route with one step requiring `required`.
    pub fn simple(queue: QueueId, priority: i32, required: Vec<SkillRequirement>) -> Self {
        Self {
            rule: None,
            queue,
            priority,
            steps: vec![RouteStep {
                after_minutes: 0,
                required,
                extra_queues: Vec::new(),
            }],
        }
    }

    /// Returns the index of the step in force after `waited_minutes`.
    pub fn step_index_at(&self, waited_minutes: i64) -> usize {
        self.steps
            .iter()
            .rposition(|step| i64::from(step.after_minutes) <= waited_minutes)
            .unwrap_or(0)
    }
}

/// Requirements and queues in force from `after_minutes` of waiting on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteStep {
    /// Minutes waited (from arrival) when the step starts.
    pub after_minutes: u32,
    /// Skills an agent needs during this step.
    pub required: Vec<SkillRequirement>,
    /// Queues besides the home queue whose agents may take the item during this step.
    pub extra_queues: Vec<QueueId>,
}

/// Offers and declines of one item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingState {
    /// Agents who declined (or let an offer of) this item time out since its last cool-down.
    pub declined_by: Vec<UserId>,
    /// The open offer, if any.
    pub offer: Option<PendingOffer>,
    /// The item rests until then after everyone eligible declined it.
    pub cooldown_until: Option<DateTime<Utc>>,
}

/// An offer waiting for the agent's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingOffer {
    /// The agent offered the item.
    pub agent: UserId,
    /// When the offer times out.
    pub expires_at: DateTime<Utc>,
}

impl RoutingState {
    /// Records an agent's reject: the offer closes and the agent is excluded for this item.
    pub fn reject(&mut self, agent: UserId) {
        if self.offer.is_some_and(|offer| offer.agent == agent) {
            self.offer = None;
        }
        if !self.declined_by.contains(&agent) {
            self.declined_by.push(agent);
        }
    }

    /// Starts a cool-down: declines are forgotten and the item rests until `until`.
    pub fn cool_down(&mut self, until: DateTime<Utc>) {
        self.declined_by.clear();
        self.offer = None;
        self.cooldown_until = Some(until);
    }
}
