//! Row structs of the routing tables and their conversion into the routing port's types.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use switchboard_core::routing::{
    AgentRouting, AssignmentId, AssignmentKind, AssignmentRecord, CustomerRoutingFacts,
    ItemRoutingFacts, Membership, OpenOffer, OpenWork, QueueSettings, RuleSetVersion,
    WaitingItemRouting,
};
use switchboard_core::skill::{Skill, SkillRequirement, validate_level};
use switchboard_core::user::AgentStatus;
use switchboard_core::{CoreError, Login, QueueId, UserId, WorkItemId};

use crate::error::corrupt;

fn parse<T>(what: &str, raw: &str, parse: fn(&str) -> Option<T>) -> Result<T, CoreError> {
    parse(raw).ok_or_else(|| corrupt(what, raw))
}

fn small(what: &str, value: i64) -> Result<i32, CoreError> {
    i32::try_from(value).map_err(|_| corrupt(what, &value.to_string()))
}

#[derive(sqlx::FromRow)]
pub(crate) struct RuleSetRow {
    version: i64,
    document: Json<serde_json::Value>,
    valid: bool,
    active: bool,
    created_by: String,
    created_at: DateTime<Utc>,
    activated_at: Option<DateTime<Utc>>,
}

pub(crate) const RULE_SET_SELECT: &str =
    "SELECT version, document, valid, active, created_by, created_at, activated_at FROM rule_sets";

impl RuleSetRow {
    pub(crate) fn into_version(self) -> RuleSetVersion {
        RuleSetVersion {
            version: self.version,
            document: self.document.0,
            valid: self.valid,
            active: self.active,
            created_by: self.created_by,
            created_at: self.created_at,
            activated_at: self.activated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct QueueRow {
    id: i64,
    name: String,
    strategy: String,
    offer_mode: String,
    aging_per_minute: f64,
    offer_timeout_seconds: i64,
    secondary_delay_seconds: i64,
    preferred_agent_seconds: i64,
    cooldown_seconds: i64,
}

pub(crate) const QUEUE_SELECT: &str = "SELECT id, name, strategy, offer_mode, aging_per_minute, \
     offer_timeout_seconds, secondary_delay_seconds, preferred_agent_seconds, cooldown_seconds \
     FROM queues";

impl QueueRow {
    pub(crate) fn into_settings(self) -> Result<QueueSettings, CoreError> {
        use switchboard_core::queue::{OfferMode, QueueStrategy};
        Ok(QueueSettings {
            id: QueueId::new(self.id),
            name: self.name,
            strategy: parse("strategy", &self.strategy, QueueStrategy::parse)?,
            offer_mode: parse("offer mode", &self.offer_mode, OfferMode::parse)?,
            aging_per_minute: self.aging_per_minute,
            offer_timeout_seconds: small("offer timeout", self.offer_timeout_seconds)?,
            secondary_delay_seconds: small("secondary delay", self.secondary_delay_seconds)?,
            preferred_agent_seconds: small("preferred time", self.preferred_agent_seconds)?,
            cooldown_seconds: small("cool-down", self.cooldown_seconds)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AgentRow {
    id: i64,
    login: String,
    status: String,
    status_since: Option<DateTime<Utc>>,
    capacity: i64,
    idle_since: Option<DateTime<Utc>>,
    missed_offers: i64,
    fairness_max: Option<i64>,
    fairness_window_minutes: i64,
    last_assigned_at: Option<DateTime<Utc>>,
}

pub(crate) const AGENT_SELECT: &str = "SELECT id, login, status, status_since, capacity, \
     idle_since, missed_offers, fairness_max, fairness_window_minutes, \
     (SELECT MAX(created_at) FROM assignments WHERE assignments.user_id = users.id) \
     AS last_assigned_at FROM users \
     WHERE active = TRUE AND (role = 'agent' OR agent_id IS NOT NULL) ORDER BY id";

impl AgentRow {
    pub(crate) fn into_agent(self) -> Result<AgentRouting, CoreError> {
        Ok(AgentRouting {
            user: UserId::new(self.id),
            login: Login::new(self.login),
            status: parse("agent status", &self.status, AgentStatus::parse)?,
            status_since: self.status_since,
            capacity: small("capacity", self.capacity)?,
            idle_since: self.idle_since.max(self.last_assigned_at),
            missed_offers: small("missed offers", self.missed_offers)?,
            skills: Vec::new(),
            queues: Vec::new(),
            open_work: Vec::new(),
            fairness_max: self
                .fairness_max
                .map(|max| small("fairness", max))
                .transpose()?,
            fairness_window_minutes: small("fairness window", self.fairness_window_minutes)?,
            assignments_in_window: 0,
        })
    }
}

/// Attaches skills and queue memberships to the agents they belong to.
pub(crate) fn attach_to_agents(
    agents: &mut [AgentRouting],
    skills: Vec<(i64, String, i64)>,
    memberships: Vec<(i64, i64, String)>,
) -> Result<(), CoreError> {
    let position: std::collections::HashMap<i64, usize> = agents
        .iter()
        .enumerate()
        .map(|(index, agent)| (agent.user.get(), index))
        .collect();
    for (user, name, level) in skills {
        if let Some(&index) = position.get(&user) {
            let level = validate_level(level)?;
            agents[index].skills.push(Skill { name, level });
        }
    }
    for (user, queue, kind) in memberships {
        if let Some(&index) = position.get(&user) {
            let kind = parse("membership", &kind, Membership::parse)?;
            agents[index].queues.push((QueueId::new(queue), kind));
        }
    }
    Ok(())
}

/// A row of open work: `(agent, item, channel, kind)`.
pub(crate) type OpenWorkRow = (i64, i64, String, String);

/// Open work: the open assignments and offers of items owned or offered; a caller adds
/// `AND assignments.item_id IN (...)` to read some items only.
pub(crate) const OPEN_WORK_SELECT: &str = "SELECT assignments.user_id, assignments.item_id, items.channel, assignments.kind \
     FROM assignments JOIN items ON items.id = assignments.item_id \
     WHERE assignments.ended_at IS NULL AND items.status IN ('offered', 'assigned')";

/// Parses open-work rows into each item's agent and work.
pub(crate) fn open_work(rows: Vec<OpenWorkRow>) -> Result<Vec<(UserId, OpenWork)>, CoreError> {
    rows.into_iter()
        .map(|(user, item, channel, kind)| {
            Ok((
                UserId::new(user),
                OpenWork {
                    item: WorkItemId::new(item),
                    channel: parse("channel", &channel, switchboard_core::item::Channel::parse)?,
                    kind: parse("assignment kind", &kind, AssignmentKind::parse)?,
                },
            ))
        })
        .collect()
}

/// A row of an open offer: `(assignment, item, agent, expires_at)`.
pub(crate) type OfferRow = (i64, i64, i64, Option<DateTime<Utc>>);

/// Open offers, in no order (an item has at most one open assignment); a caller adds
/// `AND item_id IN (...)` to read some items only. Ordered by id, SQLite read every assignment
/// ever made in id order instead of the open ones from their index.
pub(crate) const OPEN_OFFER_SELECT: &str = "SELECT id, item_id, user_id, expires_at FROM assignments \
     WHERE kind = 'offer' AND ended_at IS NULL";

#[derive(sqlx::FromRow)]
pub(crate) struct WaitingRow {
    id: i64,
    version: i64,
    status: String,
    channel: String,
    received_at: DateTime<Utc>,
    sla_due_at: Option<DateTime<Utc>>,
    sla_at_risk_at: Option<DateTime<Utc>>,
    queue_id: Option<i64>,
    priority: i64,
    required_skills: Json<Vec<String>>,
    route: Option<Json<serde_json::Value>>,
    rule_set_version: Option<i64>,
    route_locked: bool,
    declined_by: Json<Vec<i64>>,
    cooldown_until: Option<DateTime<Utc>>,
    preferred_agent: Option<i64>,
}

/// Items with their routing state and preferred agent: the one who had the earlier item of the
/// thread, else the one who holds (or last handled) another item of the item's case. A caller
/// adds `WHERE` [`WAITING`] for every waiting item, or `WHERE items.id IN (...)` for some items,
/// keeping the waiting ones ([`WaitingRow::is_waiting`]): with the status beside the ids SQLite
/// sought every waiting item in the status index and a round cost the backlog. The unary `+` on
/// `other.assigned_user_id` keeps SQLite from walking the assigned-user index for each item
/// when statistics were taken while few items had an agent; it finds `other` by its id.
pub(crate) const ROUTING_ITEM_SELECT: &str = "SELECT items.id, items.version, items.status, \
     items.channel, items.received_at, items.sla_due_at, items.sla_at_risk_at, items.queue_id, \
     items.priority, \
     items.required_skills, items.route, items.rule_set_version, items.route_locked, \
     items.declined_by, items.cooldown_until, \
     COALESCE((SELECT earlier.assigned_user_id FROM items earlier \
      WHERE earlier.id = COALESCE(items.parent_id, items.thread_id)), \
      (SELECT other.assigned_user_id FROM case_items mine \
       JOIN case_items theirs ON theirs.case_id = mine.case_id \
       JOIN items other ON other.id = theirs.item_id \
       WHERE mine.item_id = items.id AND other.id <> items.id \
       AND +other.assigned_user_id IS NOT NULL \
       ORDER BY CASE WHEN other.status IN ('assigned', 'waiting') THEN 0 ELSE 1 END, \
       other.updated_at DESC, other.id DESC LIMIT 1)) AS preferred_agent \
     FROM items";

/// The condition on items that are waiting for an agent.
pub(crate) const WAITING: &str = "items.status IN ('queued', 'offered')";

impl WaitingRow {
    /// Whether the item is waiting for an agent (what [`WAITING`] selects).
    pub(crate) fn is_waiting(&self) -> bool {
        use switchboard_core::item::ItemStatus;
        [ItemStatus::Queued, ItemStatus::Offered]
            .iter()
            .any(|status| status.as_str() == self.status)
    }

    pub(crate) fn into_waiting(
        self,
        offers: &std::collections::HashMap<i64, OpenOffer>,
    ) -> Result<WaitingItemRouting, CoreError> {
        Ok(WaitingItemRouting {
            item: WorkItemId::new(self.id),
            version: self.version,
            status: parse(
                "status",
                &self.status,
                switchboard_core::item::ItemStatus::parse,
            )?,
            channel: parse(
                "channel",
                &self.channel,
                switchboard_core::item::Channel::parse,
            )?,
            received_at: self.received_at,
            sla: self
                .sla_due_at
                .map(|due_at| switchboard_core::sla::SlaClock {
                    due_at,
                    at_risk_at: self.sla_at_risk_at.unwrap_or(due_at),
                }),
            queue: self.queue_id.map(QueueId::new),
            priority: small("priority", self.priority)?,
            required_skills: requirements(&self.required_skills.0)?,
            route: self.route.map(|route| route.0),
            rule_set_version: self.rule_set_version,
            route_locked: self.route_locked,
            preferred_agent: self.preferred_agent.map(UserId::new),
            declined_by: self.declined_by.0.into_iter().map(UserId::new).collect(),
            offer: offers.get(&self.id).copied(),
            cooldown_until: self.cooldown_until,
        })
    }
}

fn requirements(raw: &[String]) -> Result<Vec<SkillRequirement>, CoreError> {
    raw.iter().map(|text| text.parse()).collect()
}

/// Builds the open-offer map from `(assignment, item, agent, expires_at)` rows.
pub(crate) fn offers_by_item(rows: Vec<OfferRow>) -> std::collections::HashMap<i64, OpenOffer> {
    rows.into_iter()
        .filter_map(|(id, item, agent, expires_at)| {
            Some((
                item,
                OpenOffer {
                    id: AssignmentId::new(id),
                    agent: UserId::new(agent),
                    expires_at: expires_at?,
                },
            ))
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct FactsRow {
    id: i64,
    version: i64,
    status: String,
    channel: String,
    received_at: DateTime<Utc>,
    language: Option<String>,
    noise: Option<String>,
    intent: Option<String>,
    subject: Option<String>,
    sender_email: Option<String>,
    product_lines: Json<Vec<String>>,
    queue_name: Option<String>,
}

pub(crate) const FACTS_SELECT: &str = "SELECT items.id, items.version, items.status, \
     items.channel, items.received_at, items.language, items.noise, items.intent, items.subject, \
     items.sender_email, items.product_lines, queues.name AS queue_name \
     FROM items LEFT JOIN queues ON queues.id = items.queue_id";

/// Links, customers and orders the facts of some items refer to.
#[derive(Default)]
pub(crate) struct FactsContext {
    /// `(item, kind, key)` of applied links.
    pub links: Vec<(i64, String, String)>,
    /// Customers by number.
    pub customers: std::collections::HashMap<String, CustomerRoutingFacts>,
    /// Order statuses by number.
    pub orders: std::collections::HashMap<String, String>,
}

impl FactsRow {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }

    pub(crate) fn into_facts(self, context: &FactsContext) -> Result<ItemRoutingFacts, CoreError> {
        use switchboard_core::item::{Channel, Intent, ItemStatus, Language, NoiseKind};
        let optional = |what: &str, raw: Option<&str>, f: fn(&str) -> Option<_>| {
            raw.map(|raw| parse(what, raw, f)).transpose()
        };
        let links = context.links.iter().filter(|(item, ..)| *item == self.id);
        let customer = links
            .clone()
            .find(|(_, kind, _)| kind == "customer")
            .and_then(|(_, _, key)| context.customers.get(key).cloned());
        let orders = links
            .filter(|(_, kind, _)| kind == "order")
            .filter_map(|(_, _, key)| Some((key.clone(), context.orders.get(key)?.clone())))
            .collect();
        Ok(ItemRoutingFacts {
            item: WorkItemId::new(self.id),
            version: self.version,
            status: parse("status", &self.status, ItemStatus::parse)?,
            channel: parse("channel", &self.channel, Channel::parse)?,
            received_at: self.received_at,
            language: optional("language", self.language.as_deref(), Language::parse)?,
            noise: self
                .noise
                .as_deref()
                .map(|raw| parse("noise", raw, NoiseKind::parse))
                .transpose()?,
            intent: self
                .intent
                .as_deref()
                .map(|raw| parse("intent", raw, Intent::parse))
                .transpose()?,
            subject: self.subject,
            sender_email: self.sender_email,
            product_lines: self.product_lines.0,
            customer,
            orders,
            queue_name: self.queue_name,
        })
    }
}

#[derive(sqlx::FromRow, serde::Deserialize)]
pub(crate) struct AssignmentRow {
    id: i64,
    item_id: i64,
    user_id: i64,
    login: String,
    kind: String,
    origin: String,
    explanation: Json<serde_json::Value>,
    #[serde(with = "crate::json_time")]
    created_at: DateTime<Utc>,
    #[serde(with = "crate::json_time::optional")]
    expires_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::json_time::optional")]
    ended_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
}

pub(crate) const ASSIGNMENT_SELECT: &str = "SELECT assignments.id, assignments.item_id, \
     assignments.user_id, users.login, assignments.kind, assignments.origin, \
     assignments.explanation, assignments.created_at, assignments.expires_at, \
     assignments.ended_at, assignments.outcome \
     FROM assignments JOIN users ON users.id = assignments.user_id";

impl AssignmentRow {
    pub(crate) fn into_record(self) -> Result<AssignmentRecord, CoreError> {
        Ok(AssignmentRecord {
            id: AssignmentId::new(self.id),
            item: WorkItemId::new(self.item_id),
            agent: UserId::new(self.user_id),
            login: Login::new(self.login),
            kind: parse("assignment kind", &self.kind, AssignmentKind::parse)?,
            origin: self.origin,
            explanation: self.explanation.0,
            created_at: self.created_at,
            expires_at: self.expires_at,
            ended_at: self.ended_at,
            outcome: self.outcome,
        })
    }
}
