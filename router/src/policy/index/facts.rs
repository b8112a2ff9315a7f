//! An item's routing facts as of a time: step in force, queues open to it, needs, order key,
//! the preferred-agent reservation, and when any of these next changes.

use chrono::{DateTime, Duration, Utc};
use switchboard_core::UserId;

use super::agents::AgentRows;
use super::vocabulary::Vocabulary;
use crate::explain::{Exclusion, Explanation, Outcome, PreferredNote};
use crate::model::{QueueConfig, WaitingItem};
use crate::policy::prepare::{OrderKey, effective_priority};
use crate::policy::table::{Need, QueueAccess};

/// What matching needs to know about a waiting item.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub(crate) home: u16,
    pub(crate) step: usize,
    pub(crate) access: Vec<QueueAccess>,
    pub(crate) needs: Vec<Need>,
    pub(crate) cost: u32,
    pub(crate) key: OrderKey,
    pub(crate) reserved_for: Option<u32>,
    pub(crate) preferred: Option<PreferredNote>,
    /// When the facts change next (relaxation step, secondary delay, reservation end, aging).
    pub(crate) changes_at: Option<DateTime<Utc>>,
    /// When anything but the aged priority changes next (the item may change group then).
    pub(crate) regroup_at: Option<DateTime<Utc>>,
}

/// The queues of the index with a lookup from id to row.
pub(crate) struct Queues {
    pub(crate) list: Vec<QueueConfig>,
    index: std::collections::HashMap<switchboard_core::QueueId, u16>,
}

impl Queues {
    pub(crate) fn new(list: Vec<QueueConfig>) -> Self {
        let index = list
            .iter()
            .enumerate()
            .map(|(row, queue)| (queue.id, u16::try_from(row).unwrap_or(u16::MAX)))
            .collect();
        Self { list, index }
    }

    pub(crate) fn row(&self, id: switchboard_core::QueueId) -> Option<u16> {
        self.index.get(&id).copied()
    }
}

/// Works out an item's facts at `now`; `None` when its home queue is unknown.
pub(crate) fn facts_of(
    queues: &Queues,
    agents: &AgentRows,
    vocabulary: &mut Vocabulary,
    item: &WaitingItem,
    cost: u32,
    now: DateTime<Utc>,
) -> Option<Facts> {
    let home = queues.row(item.route.queue)?;
    let home_queue = &queues.list[usize::from(home)];
    let waited = now - item.arrived_at;
    let waited_seconds = waited.num_seconds().max(0);
    let waited_minutes = waited.num_minutes().max(0);
    let step = item.route.step_index_at(waited_minutes);
    let mut changes: Vec<DateTime<Utc>> = Vec::new();
    let mut access: Vec<QueueAccess> = Vec::with_capacity(2);
    let mut open = |row: u16, changes: &mut Vec<DateTime<Utc>>| {
        if !access.iter().any(|&(queue, _)| queue == row) {
            let delay = i64::from(queues.list[usize::from(row)].secondary_delay_seconds);
            let allowed = waited_seconds >= delay;
            if !allowed {
                changes.push(item.arrived_at + Duration::seconds(delay));
            }
            access.push((row, allowed));
        }
    };
    open(home, &mut changes);
    if let Some(current) = item.route.steps.get(step) {
        let mut extra: Vec<u16> = current
            .extra_queues
            .iter()
            .filter_map(|id| queues.row(*id))
            .collect();
        extra.sort_unstable();
        for row in extra {
            open(row, &mut changes);
        }
    }
    if let Some(next_step) = item
        .route
        .steps
        .iter()
        .map(|step| i64::from(step.after_minutes))
        .filter(|&after| after > waited_minutes)
        .min()
    {
        changes.push(item.arrived_at + Duration::minutes(next_step));
    }
    let (priority, aging_at) = effective_priority(item, home_queue, now);
    let key = OrderKey::of(item, priority);
    let required = item.required_at(step);
    let needs = vocabulary.needs(required);
    let mut facts = Facts {
        home,
        step,
        access,
        needs,
        cost,
        key,
        reserved_for: None,
        preferred: None,
        changes_at: None,
        regroup_at: None,
    };
    let window = i64::from(home_queue.preferred_agent_seconds);
    reserve_for_preferred(agents, item, &mut facts, window, now);
    if let Some(note) = facts.preferred
        && now < note.until
    {
        changes.push(note.until);
    }
    facts.regroup_at = changes.into_iter().filter(|&at| at > now).min();
    facts.changes_at = next_change(facts.regroup_at, aging_at, now);
    Some(facts)
}

/// The earlier of a regrouping and a priority change still ahead of `now`.
pub(crate) fn next_change(
    regroup_at: Option<DateTime<Utc>>,
    aging_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    [regroup_at, aging_at]
        .into_iter()
        .flatten()
        .filter(|&at| at > now)
        .min()
}

/// Reserves the item for its preferred agent during the queue's window when that agent could
/// take it at all (available, skilled, not declined); a full agent keeps the reservation.
fn reserve_for_preferred(
    agents: &AgentRows,
    item: &WaitingItem,
    facts: &mut Facts,
    window_seconds: i64,
    now: DateTime<Utc>,
) {
    let Some(agent_id) = item.preferred_agent else {
        return;
    };
    let until = item.arrived_at + Duration::seconds(window_seconds);
    let mut note = PreferredNote {
        agent: agent_id,
        until,
        reserved: false,
        skipped_because: None,
    };
    if now < until {
        let check = match agents.row_of(agent_id) {
            None => Err(Exclusion::Status {
                status: switchboard_core::user::AgentStatus::Offline,
            }),
            Some(_) if item.state.declined_by.contains(&agent_id) => Err(Exclusion::Declined),
            Some(row) => agents
                .check_status(row)
                .and_then(|()| agents.check_skills(row, &facts.needs))
                .map(|()| row),
        };
        match check {
            Ok(row) => {
                note.reserved = true;
                facts.reserved_for = u32::try_from(row).ok();
            }
            Err(reason) => note.skipped_because = Some(reason),
        }
    }
    facts.preferred = Some(note);
}

/// Builds the explanation's item part at `now`; candidate fields start empty.
pub(crate) fn item_explanation(
    queues: &[QueueConfig],
    item: &WaitingItem,
    facts: &Facts,
    considered: usize,
    now: DateTime<Utc>,
    outcome: Outcome,
) -> Explanation {
    Explanation {
        rule: item.route.rule.clone(),
        step: facts.step,
        waited_minutes: (now - item.arrived_at).num_minutes().max(0),
        queue: item.route.queue,
        queues: facts
            .access
            .iter()
            .map(|&(queue, _)| queues[usize::from(queue)].id)
            .collect(),
        required_skills: item
            .route
            .steps
            .get(facts.step)
            .map(|step| step.required.clone())
            .unwrap_or_default(),
        effective_priority: facts.key.priority,
        preferred: facts.preferred,
        considered: u32::try_from(considered).unwrap_or(u32::MAX),
        excluded_counts: Vec::new(),
        excluded: Vec::new(),
        scored: Vec::new(),
        outcome,
    }
}

/// The outcome of an item that keeps waiting.
pub(crate) fn waiting_outcome(facts: &Facts) -> Outcome {
    match facts.preferred {
        Some(note) if note.reserved => Outcome::ReservedForPreferred {
            agent: note.agent,
            until: note.until,
        },
        _ => Outcome::NoEligibleAgent,
    }
}

/// Sorted, deduplicated declines, as a group key holds them.
pub(crate) fn declined_key(declined_by: &[UserId]) -> Vec<UserId> {
    let mut declined = declined_by.to_vec();
    declined.sort_unstable();
    declined.dedup();
    declined
}
