//! Per-item facts as of `now`: step in force, queues open to it, interned needs, order key and
//! the preferred-agent reservation.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, Utc};
use switchboard_core::UserId;

use super::table::{AgentTable, Need, QueueAccess};
use crate::explain::{Explanation, Outcome, PreferredNote};
use crate::model::{QueueConfig, WaitingItem};

/// Item order: higher effective priority, then earlier SLA due time, then earlier arrival, then
/// lower id. `Less` means "goes first".
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OrderKey {
    pub(crate) priority: f64,
    pub(crate) sla_ms: i64,
    pub(crate) arrival_ms: i64,
    pub(crate) id: i64,
}

/// An item's effective priority in `queue` at `now` — base priority, plus minutes waited × the
/// queue's aging factor, plus the queue's boost once the item's SLA is at risk — and the next
/// instant it changes (the next whole minute when aging, the at-risk moment ahead).
pub(crate) fn effective_priority(
    item: &WaitingItem,
    queue: &QueueConfig,
    now: DateTime<Utc>,
) -> (f64, Option<DateTime<Utc>>) {
    let waited_minutes = (now - item.arrived_at).num_minutes().max(0);
    #[expect(
        clippy::cast_precision_loss,
        reason = "minutes waited stay far below 2^52"
    )]
    let mut priority =
        f64::from(item.route.priority) + waited_minutes as f64 * queue.aging_per_minute;
    let at_risk_at = item.sla.map(|clock| clock.at_risk_at);
    if at_risk_at.is_some_and(|at| now >= at) {
        priority += queue.sla_at_risk_boost;
    }
    let aging_at = (queue.aging_per_minute != 0.0)
        .then(|| item.arrived_at + Duration::minutes(waited_minutes + 1));
    let next = [aging_at, at_risk_at.filter(|&at| at > now)]
        .into_iter()
        .flatten()
        .min();
    (priority, next)
}

impl OrderKey {
    /// The queue order of an item (DESIGN.md "Item order in a queue"): its effective priority
    /// ([`effective_priority`]), then SLA due time, then arrival.
    pub(crate) fn of(item: &WaitingItem, priority: f64) -> Self {
        Self {
            priority,
            sla_ms: item
                .sla
                .map_or(i64::MAX, |clock| clock.due_at.timestamp_millis()),
            arrival_ms: item.arrived_at.timestamp_millis(),
            id: item.id.get(),
        }
    }
}

impl Eq for OrderKey {}

impl Ord for OrderKey {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .priority
            .total_cmp(&self.priority)
            .then(self.sla_ms.cmp(&other.sla_ms))
            .then(self.arrival_ms.cmp(&other.arrival_ms))
            .then(self.id.cmp(&other.id))
    }
}

impl PartialOrd for OrderKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// An item ready to be matched.
pub(crate) struct Prepared<'a> {
    pub(crate) item: &'a WaitingItem,
    pub(crate) home: u16,
    pub(crate) step: usize,
    pub(crate) waited_minutes: i64,
    pub(crate) access: Vec<QueueAccess>,
    pub(crate) needs: Vec<Need>,
    pub(crate) cost: u32,
    pub(crate) key: OrderKey,
    pub(crate) reserved_for: Option<u32>,
    pub(crate) preferred: Option<PreferredNote>,
    pub(crate) declined_by: Vec<UserId>,
}

impl Prepared<'_> {
    pub(crate) fn required(&self) -> &[switchboard_core::skill::SkillRequirement] {
        self.item
            .route
            .steps
            .get(self.step)
            .map_or(&[], |step| step.required.as_slice())
    }

    /// Builds the explanation's item part; candidate fields start empty.
    pub(crate) fn explanation(&self, table: &AgentTable<'_>, outcome: Outcome) -> Explanation {
        Explanation {
            rule: self.item.route.rule.clone(),
            step: self.step,
            waited_minutes: self.waited_minutes,
            queue: self.item.route.queue,
            queues: self
                .access
                .iter()
                .map(|&(queue, _)| table.queue(queue).id)
                .collect(),
            required_skills: self.required().to_vec(),
            effective_priority: self.key.priority,
            preferred: self.preferred,
            considered: u32::try_from(table.len()).unwrap_or(u32::MAX),
            excluded_counts: Vec::new(),
            excluded: Vec::new(),
            scored: Vec::new(),
            outcome,
        }
    }
}

/// An explanation for an item that is not matched this round (no candidates looked at).
pub(crate) fn bare_explanation(
    item: &WaitingItem,
    now: DateTime<Utc>,
    outcome: Outcome,
) -> Explanation {
    let waited_minutes = (now - item.arrived_at).num_minutes().max(0);
    let step = item.route.step_index_at(waited_minutes);
    Explanation {
        rule: item.route.rule.clone(),
        step,
        waited_minutes,
        queue: item.route.queue,
        queues: vec![item.route.queue],
        required_skills: item.required_at(step).to_vec(),
        effective_priority: f64::from(item.route.priority),
        preferred: None,
        considered: 0,
        excluded_counts: Vec::new(),
        excluded: Vec::new(),
        scored: Vec::new(),
        outcome,
    }
}

/// Why an item is not matched this round, when it is not.
pub(crate) fn hold_reason(item: &WaitingItem, now: DateTime<Utc>) -> Option<Outcome> {
    if let Some(offer) = item.state.offer
        && offer.expires_at > now
    {
        return Some(Outcome::OfferPending {
            agent: offer.agent,
            expires_at: offer.expires_at,
        });
    }
    if let Some(until) = item.state.cooldown_until
        && until > now
    {
        return Some(Outcome::CoolingDown { until });
    }
    None
}

/// Prepares an item for matching; `None` when its home queue is unknown.
pub(crate) fn prepare<'a>(
    table: &AgentTable<'_>,
    item: &'a WaitingItem,
    declined_by: Vec<UserId>,
    cost: u32,
    now: DateTime<Utc>,
) -> Option<Prepared<'a>> {
    let home = table.queue_row(item.route.queue)?;
    let waited = now - item.arrived_at;
    let waited_seconds = waited.num_seconds().max(0);
    let waited_minutes = waited.num_minutes().max(0);
    let step = item.route.step_index_at(waited_minutes);
    let mut access: Vec<QueueAccess> = Vec::with_capacity(2);
    let mut open = |row: u16| {
        if !access.iter().any(|&(queue, _)| queue == row) {
            let delay = i64::from(table.queue(row).secondary_delay_seconds);
            access.push((row, waited_seconds >= delay));
        }
    };
    open(home);
    if let Some(current) = item.route.steps.get(step) {
        let mut extra: Vec<u16> = current
            .extra_queues
            .iter()
            .filter_map(|id| table.queue_row(*id))
            .collect();
        extra.sort_unstable();
        extra.into_iter().for_each(&mut open);
    }
    let home_queue = table.queue(home);
    let (priority, _) = effective_priority(item, home_queue, now);
    let key = OrderKey::of(item, priority);
    let required = item.required_at(step);
    let needs = table.needs(required);
    let mut prepared = Prepared {
        item,
        home,
        step,
        waited_minutes,
        access,
        needs,
        cost,
        key,
        reserved_for: None,
        preferred: None,
        declined_by,
    };
    reserve_for_preferred(table, &mut prepared, now);
    Some(prepared)
}

/// Reserves the item for its preferred agent during the queue's window when that agent could
/// take it at all (available, skilled, not declined); a full agent keeps the reservation.
fn reserve_for_preferred(table: &AgentTable<'_>, prepared: &mut Prepared<'_>, now: DateTime<Utc>) {
    let Some(agent_id) = prepared.item.preferred_agent else {
        return;
    };
    let window = i64::from(table.queue(prepared.home).preferred_agent_seconds);
    let until = prepared.item.arrived_at + Duration::seconds(window);
    let mut note = PreferredNote {
        agent: agent_id,
        until,
        reserved: false,
        skipped_because: None,
    };
    if now < until {
        let check = match table.row_of(agent_id) {
            None => Err(crate::explain::Exclusion::Status {
                status: switchboard_core::user::AgentStatus::Offline,
            }),
            Some(_) if prepared.declined_by.contains(&agent_id) => {
                Err(crate::explain::Exclusion::Declined)
            }
            Some(row) => table
                .check_status(row)
                .and_then(|()| table.check_skills(row, &prepared.needs))
                .map(|()| row),
        };
        match check {
            Ok(row) => {
                note.reserved = true;
                prepared.reserved_for = u32::try_from(row).ok();
            }
            Err(reason) => note.skipped_because = Some(reason),
        }
    }
    prepared.preferred = Some(note);
}
