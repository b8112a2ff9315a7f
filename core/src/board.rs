//! The lead board: per queue and channel what waits, how long and how close to its SLA; per
//! agent their status, load against capacity, skills and current items. Built from the routing
//! snapshot (the same state the router decides on), at a time passed in.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};
use crate::ids::{Login, UserId, WorkItemId};
use crate::item::Channel;
use crate::routing::{AssignmentKind, RoutingSnapshot, WaitingItemRouting};
use crate::skill::Skill;
use crate::user::AgentStatus;

/// The share of an SLA used from which a waiting item counts as at risk, unless asked otherwise.
pub const DEFAULT_SLA_RISK_SHARE: f64 = 0.8;

/// Checks a requested SLA risk share: a number above 0 and at most 1.
pub fn checked_risk_share(share: f64) -> CoreResult<f64> {
    if share > 0.0 && share <= 1.0 {
        return Ok(share);
    }
    Err(CoreError::BadInput(format!(
        "the SLA risk share is a number above 0 and at most 1, not {share}"
    )))
}

/// What waits in one queue on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueChannelLoad {
    /// The queue's name; `None` for items not (yet) in a queue.
    pub queue: Option<String>,
    /// The channel.
    pub channel: Channel,
    /// Items waiting for an agent (queued, or offered and unanswered).
    pub waiting: u32,
    /// Seconds the oldest of them has waited since it arrived.
    pub oldest_age_seconds: i64,
    /// Items that used at least the risk share of their SLA and are not breached yet.
    pub sla_at_risk: u32,
    /// Items past their SLA due time.
    pub sla_breached: u32,
}

/// An item an agent owns or is offered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentWork {
    /// The item.
    pub item: WorkItemId,
    /// Its human reference.
    pub reference: String,
    /// Its channel.
    pub channel: Channel,
    /// Owned or offered.
    pub kind: AssignmentKind,
}

/// One agent on the board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentLoad {
    /// The user.
    pub user: UserId,
    /// The login.
    pub login: Login,
    /// Presence.
    pub status: AgentStatus,
    /// Capacity units taken by their current items.
    pub load: u32,
    /// Capacity in units.
    pub capacity: i32,
    /// Skills with levels.
    pub skills: Vec<Skill>,
    /// Items owned or offered.
    pub current: Vec<CurrentWork>,
}

/// The whole board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadBoard {
    /// When it was computed.
    pub at: DateTime<Utc>,
    /// The SLA share from which an item counts as at risk.
    pub sla_risk_share: f64,
    /// Per queue and channel, by queue name then channel.
    pub queues: Vec<QueueChannelLoad>,
    /// Per agent, by login.
    pub agents: Vec<AgentLoad>,
}

/// Where an item stands against its SLA at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlaState {
    Fine,
    AtRisk,
    Breached,
}

fn sla_state(item: &WaitingItemRouting, now: DateTime<Utc>, risk_share: f64) -> SlaState {
    let Some(due) = item.sla.map(|clock| clock.due_at) else {
        return SlaState::Fine;
    };
    if now >= due {
        return SlaState::Breached;
    }
    let allowed = (due - item.received_at).num_milliseconds();
    let used = (now - item.received_at).num_milliseconds();
    #[expect(
        clippy::cast_precision_loss,
        reason = "SLA spans in milliseconds stay far below 2^52"
    )]
    let share = if allowed > 0 {
        used as f64 / allowed as f64
    } else {
        1.0
    };
    if share >= risk_share {
        SlaState::AtRisk
    } else {
        SlaState::Fine
    }
}

impl LeadBoard {
    /// Builds the board from a routing snapshot at `now`; `cost` gives the capacity units of an
    /// item of a channel (the router's channel costs).
    pub fn build(
        snapshot: &RoutingSnapshot,
        now: DateTime<Utc>,
        sla_risk_share: f64,
        cost: impl Fn(Channel) -> u32,
    ) -> Self {
        let queue_names: BTreeMap<_, _> = snapshot
            .queues
            .iter()
            .map(|queue| (queue.id, queue.name.clone()))
            .collect();
        let mut groups: BTreeMap<(Option<String>, &'static str), QueueChannelLoad> =
            BTreeMap::new();
        for item in &snapshot.items {
            let queue = item.queue.and_then(|id| queue_names.get(&id).cloned());
            let group = groups
                .entry((queue.clone(), item.channel.as_str()))
                .or_insert_with(|| QueueChannelLoad {
                    queue,
                    channel: item.channel,
                    waiting: 0,
                    oldest_age_seconds: 0,
                    sla_at_risk: 0,
                    sla_breached: 0,
                });
            group.waiting += 1;
            let age = (now - item.received_at).num_seconds().max(0);
            group.oldest_age_seconds = group.oldest_age_seconds.max(age);
            match sla_state(item, now, sla_risk_share) {
                SlaState::Fine => {}
                SlaState::AtRisk => group.sla_at_risk += 1,
                SlaState::Breached => group.sla_breached += 1,
            }
        }
        let mut agents: Vec<AgentLoad> = snapshot
            .agents
            .iter()
            .map(|agent| AgentLoad {
                user: agent.user,
                login: agent.login.clone(),
                status: agent.status,
                load: agent.open_work.iter().map(|work| cost(work.channel)).sum(),
                capacity: agent.capacity,
                skills: agent.skills.clone(),
                current: agent
                    .open_work
                    .iter()
                    .map(|work| CurrentWork {
                        item: work.item,
                        reference: work.item.reference(),
                        channel: work.channel,
                        kind: work.kind,
                    })
                    .collect(),
            })
            .collect();
        agents.sort_by(|left, right| left.login.cmp(&right.login));
        Self {
            at: now,
            sla_risk_share,
            queues: groups.into_values().collect(),
            agents,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::ids::QueueId;
    use crate::item::ItemStatus;
    use crate::queue::{OfferMode, QueueStrategy};
    use crate::routing::{AgentRouting, OpenWork, QueueSettings};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap()
    }

    fn waiting(
        id: i64,
        channel: Channel,
        arrived_minutes_ago: i64,
        sla_minutes: Option<i64>,
    ) -> WaitingItemRouting {
        let received_at = now() - Duration::minutes(arrived_minutes_ago);
        WaitingItemRouting {
            item: WorkItemId::new(id),
            version: 1,
            status: ItemStatus::Queued,
            channel,
            received_at,
            sla: sla_minutes.map(|minutes| crate::sla::SlaClock {
                due_at: received_at + Duration::minutes(minutes),
                at_risk_at: received_at + Duration::minutes(minutes * 3 / 4),
            }),
            queue: Some(QueueId::new(1)),
            priority: 0,
            required_skills: Vec::new(),
            route: None,
            rule_set_version: None,
            route_locked: false,
            preferred_agent: None,
            declined_by: Vec::new(),
            offer: None,
            cooldown_until: None,
        }
    }

    fn snapshot() -> RoutingSnapshot {
        RoutingSnapshot {
            queues: vec![QueueSettings {
                id: QueueId::new(1),
                name: "orders".into(),
                strategy: QueueStrategy::LongestIdle,
                offer_mode: OfferMode::AutoAssign,
                aging_per_minute: 0.0,
                offer_timeout_seconds: 120,
                secondary_delay_seconds: 0,
                preferred_agent_seconds: 0,
                cooldown_seconds: 0,
            }],
            agents: vec![AgentRouting {
                user: UserId::new(3),
                login: Login::new("anna"),
                status: AgentStatus::Available,
                status_since: None,
                capacity: 100,
                idle_since: None,
                missed_offers: 0,
                skills: vec![],
                queues: vec![],
                open_work: vec![
                    OpenWork {
                        item: WorkItemId::new(10),
                        channel: Channel::Email,
                        kind: AssignmentKind::Assign,
                    },
                    OpenWork {
                        item: WorkItemId::new(11),
                        channel: Channel::Voicemail,
                        kind: AssignmentKind::Offer,
                    },
                ],
                fairness_max: None,
                fairness_window_minutes: 60,
                assignments_in_window: 0,
            }],
            items: vec![
                // 50 of 100 minutes used: fine.
                waiting(1, Channel::Email, 50, Some(100)),
                // 80 of 100 minutes used: at risk at 0.8.
                waiting(2, Channel::Email, 80, Some(100)),
                // past due: breached, not at risk.
                waiting(3, Channel::Email, 120, Some(100)),
                // no SLA.
                waiting(4, Channel::Fax, 5, None),
            ],
        }
    }

    #[test]
    fn groups_count_waiting_age_risk_and_breaches() {
        let board = LeadBoard::build(&snapshot(), now(), 0.8, |channel| match channel {
            Channel::Voicemail => 50,
            _ => 20,
        });
        assert_eq!(board.queues.len(), 2);
        let email = &board.queues[0];
        assert_eq!(
            (email.queue.as_deref(), email.channel),
            (Some("orders"), Channel::Email)
        );
        assert_eq!(email.waiting, 3);
        assert_eq!(email.oldest_age_seconds, 120 * 60);
        assert_eq!((email.sla_at_risk, email.sla_breached), (1, 1));
        let fax = &board.queues[1];
        assert_eq!((fax.waiting, fax.sla_at_risk, fax.sla_breached), (1, 0, 0));
        let anna = &board.agents[0];
        assert_eq!((anna.load, anna.capacity), (70, 100));
        assert_eq!(anna.current[1].reference, "SB-000011");
    }

    #[test]
    fn a_higher_risk_share_flags_fewer_items() {
        let board = LeadBoard::build(&snapshot(), now(), 0.9, |_| 20);
        assert_eq!(board.queues[0].sla_at_risk, 0);
        assert!(checked_risk_share(0.0).is_err());
        assert!(checked_risk_share(1.5).is_err());
        assert_eq!(checked_risk_share(0.5).unwrap(), 0.5);
    }
}
