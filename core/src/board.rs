//! The lead board: per queue and channel what waits, how long and how close to its SLA; per
//! agent their status, load against capacity, skills and current items. Built from the routing
//! snapshot (the same state the router decides on), at a time passed in. An item is at risk
//! from its own SLA clock's at-risk moment (the one the router boosts and the UI flags), and
//! breached when a breach of it is recorded.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{Login, UserId, WorkItemId};
use crate::item::Channel;
use crate::routing::{AssignmentKind, RoutingSnapshot, WaitingItemRouting};
use crate::skill::Skill;
use crate::sla::SlaState;
use crate::user::AgentStatus;

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
    /// Items past their clock's at-risk moment without a recorded breach.
    pub sla_at_risk: u32,
    /// Items with a recorded breach of their SLA.
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
    /// Per queue and channel, by queue name then channel.
    pub queues: Vec<QueueChannelLoad>,
    /// Per agent, by login.
    pub agents: Vec<AgentLoad>,
}

/// Where an item stands on the board at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardSla {
    /// On track, or no SLA.
    Fine,
    /// At risk by its SLA clock (or past due and not recorded yet).
    AtRisk,
    /// A breach is recorded.
    Breached,
}

/// Where a waiting item stands on the board at `now`, given the open items with a recorded
/// breach.
pub fn board_sla(
    item: &WaitingItemRouting,
    now: DateTime<Utc>,
    breached: &HashSet<WorkItemId>,
) -> BoardSla {
    if breached.contains(&item.item) {
        return BoardSla::Breached;
    }
    match item.sla.map(|clock| clock.state(now)) {
        // Past due but not recorded yet: the router records it at once; until then at risk.
        Some(SlaState::AtRisk | SlaState::Breached) => BoardSla::AtRisk,
        Some(SlaState::OnTrack) | None => BoardSla::Fine,
    }
}

impl LeadBoard {
    /// Builds the board from a routing snapshot at `now` and the open items with a recorded
    /// breach; `cost` gives the capacity units of an item of a channel (the router's channel
    /// costs).
    pub fn build(
        snapshot: &RoutingSnapshot,
        now: DateTime<Utc>,
        breached: &HashSet<WorkItemId>,
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
            match board_sla(item, now, breached) {
                BoardSla::Fine => {}
                BoardSla::AtRisk => group.sla_at_risk += 1,
                BoardSla::Breached => group.sla_breached += 1,
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
                // 50 of 100 minutes used, at risk from 75: fine.
                waiting(1, Channel::Email, 50, Some(100)),
                // 80 of 100 minutes used: past the clock's at-risk moment.
                waiting(2, Channel::Email, 80, Some(100)),
                // past due and recorded: breached, not at risk.
                waiting(3, Channel::Email, 120, Some(100)),
                // no SLA.
                waiting(4, Channel::Fax, 5, None),
                // past due, the breach not recorded yet: at risk until it is.
                waiting(5, Channel::Letter, 30, Some(20)),
            ],
        }
    }

    fn recorded_breaches() -> HashSet<WorkItemId> {
        HashSet::from([WorkItemId::new(3)])
    }

    #[test]
    fn groups_count_waiting_age_risk_and_breaches() {
        let board =
            LeadBoard::build(
                &snapshot(),
                now(),
                &recorded_breaches(),
                |channel| match channel {
                    Channel::Voicemail => 50,
                    _ => 20,
                },
            );
        assert_eq!(board.queues.len(), 3);
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
        let letter = &board.queues[2];
        assert_eq!((letter.sla_at_risk, letter.sla_breached), (1, 0));
        let anna = &board.agents[0];
        assert_eq!((anna.load, anna.capacity), (70, 100));
        assert_eq!(anna.current[1].reference, "SB-000011");
    }

    #[test]
    fn at_risk_follows_the_items_own_clock_not_its_age() {
        let mut snapshot = snapshot();
        // Arrived 5 minutes ago, but its business-hours clock went at risk a minute ago (the
        // office closed in between): at risk, as the router boosts it.
        snapshot.items = vec![waiting(7, Channel::Email, 5, Some(100))];
        snapshot.items[0].sla = Some(crate::sla::SlaClock {
            due_at: now() + Duration::minutes(20),
            at_risk_at: now() - Duration::minutes(1),
        });
        let board = LeadBoard::build(&snapshot, now(), &HashSet::new(), |_| 20);
        assert_eq!(
            (board.queues[0].sla_at_risk, board.queues[0].sla_breached),
            (1, 0)
        );
        // Old by the wall clock, but its clock was moved on by a pause: on track.
        snapshot.items = vec![waiting(8, Channel::Email, 90, Some(100))];
        snapshot.items[0].sla = Some(crate::sla::SlaClock {
            due_at: now() + Duration::hours(5),
            at_risk_at: now() + Duration::hours(4),
        });
        let board = LeadBoard::build(&snapshot, now(), &HashSet::new(), |_| 20);
        assert_eq!(
            (board.queues[0].sla_at_risk, board.queues[0].sla_breached),
            (0, 0)
        );
    }
}
