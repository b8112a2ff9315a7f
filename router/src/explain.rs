//! Decisions and their structured explanations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::skill::SkillRequirement;
use switchboard_core::user::AgentStatus;
use switchboard_core::{QueueId, UserId, WorkItemId};

/// What the policy decided, one item or agent at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// The item now belongs to the agent.
    Assign {
        /// The item.
        item: WorkItemId,
        /// The agent.
        agent: UserId,
        /// Why.
        explanation: Box<Explanation>,
    },
    /// The item is offered to the agent until `expires_at`.
    Offer {
        /// The item.
        item: WorkItemId,
        /// The agent.
        agent: UserId,
        /// When the offer times out.
        expires_at: DateTime<Utc>,
        /// Why.
        explanation: Box<Explanation>,
    },
    /// An offer timed out: the caller records it as a decline and counts a missed offer.
    OfferExpired {
        /// The item.
        item: WorkItemId,
        /// The agent who let it time out.
        agent: UserId,
    },
    /// The agent let too many offers time out in a row and gets no more work.
    MarkNotResponding {
        /// The agent.
        agent: UserId,
        /// Offers missed in a row.
        missed_offers: u32,
    },
    /// Every eligible agent declined the item: forget the declines and rest until `until`.
    CoolDown {
        /// The item.
        item: WorkItemId,
        /// When it may be offered again.
        until: DateTime<Utc>,
        /// Why.
        explanation: Box<Explanation>,
    },
    /// The item keeps waiting.
    Wait {
        /// The item.
        item: WorkItemId,
        /// Why.
        explanation: Box<Explanation>,
    },
}

impl Decision {
    /// Returns the item the decision is about, if any.
    pub fn item(&self) -> Option<WorkItemId> {
        match self {
            Self::Assign { item, .. }
            | Self::Offer { item, .. }
            | Self::OfferExpired { item, .. }
            | Self::CoolDown { item, .. }
            | Self::Wait { item, .. } => Some(*item),
            Self::MarkNotResponding { .. } => None,
        }
    }

    /// Returns the agent an item went to (assigned or offered).
    pub fn taken_by(&self) -> Option<UserId> {
        match self {
            Self::Assign { agent, .. } | Self::Offer { agent, .. } => Some(*agent),
            _ => None,
        }
    }

    /// Returns the explanation, when the decision carries one.
    pub fn explanation(&self) -> Option<&Explanation> {
        match self {
            Self::Assign { explanation, .. }
            | Self::Offer { explanation, .. }
            | Self::CoolDown { explanation, .. }
            | Self::Wait { explanation, .. } => Some(explanation),
            _ => None,
        }
    }
}

/// The rule that decided an item's route.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RuleRef {
    /// Position in the rule set, from 0.
    pub index: usize,
    /// The rule's name.
    pub name: String,
}

/// Why an item went where it went, or why it still waits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The rule that routed the item.
    pub rule: Option<RuleRef>,
    /// The relaxation step in force (0 = the rule's own requirements).
    pub step: usize,
    /// Whole minutes waited since arrival.
    pub waited_minutes: i64,
    /// The home queue.
    pub queue: QueueId,
    /// Queues whose agents may take the item now (home first, then widened ones).
    pub queues: Vec<QueueId>,
    /// Skills required at this step.
    pub required_skills: Vec<SkillRequirement>,
    /// Base priority plus aging.
    pub effective_priority: f64,
    /// What happened with the preferred agent, if the item has one.
    pub preferred: Option<PreferredNote>,
    /// Agents looked at.
    pub considered: u32,
    /// How many agents were excluded for each reason (complete).
    pub excluded_counts: Vec<ExclusionCount>,
    /// Excluded agents with their reason (at most the configured explain limit).
    pub excluded: Vec<ExcludedAgent>,
    /// Eligible agents with the strategy's score, best first (at most the explain limit).
    pub scored: Vec<ScoredAgent>,
    /// The outcome in words a lead can read.
    pub outcome: Outcome,
}

/// The preferred agent and what came of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferredNote {
    /// The preferred agent.
    pub agent: UserId,
    /// When the reservation ends.
    pub until: DateTime<Utc>,
    /// Whether the item is (still) reserved for them.
    pub reserved: bool,
    /// Why not, when it is not.
    pub skipped_because: Option<Exclusion>,
}

/// An agent left out, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExcludedAgent {
    /// The agent.
    pub agent: UserId,
    /// The first reason found.
    pub reason: Exclusion,
}

/// An eligible agent and their score under the queue's strategy (higher is better).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoredAgent {
    /// The agent.
    pub agent: UserId,
    /// Idle seconds (longest idle), free share of capacity (least loaded) or the sum of
    /// levels in the required skills (most skilled).
    pub score: f64,
}

/// Why an agent cannot take an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Exclusion {
    /// Not available.
    Status {
        /// The agent's status.
        status: AgentStatus,
    },
    /// Not a member of any of the item's queues.
    NotInQueue,
    /// A secondary member, and the item has not waited the queue's delay yet.
    QueueDelay,
    /// Lacks a required skill, or has it below the level.
    MissingSkill {
        /// Index into the explanation's `required_skills`.
        requirement: usize,
        /// The agent's level (0 = none).
        level: u8,
    },
    /// Not enough free capacity.
    Capacity {
        /// Units free.
        free: u32,
        /// Units the item takes.
        needed: u32,
    },
    /// Reached the fairness cap.
    FairnessCap {
        /// The cap.
        max_assignments: u32,
    },
    /// Declined this item (or let its offer time out).
    Declined,
    /// The item is reserved for its preferred agent.
    ReservedForOther,
}

/// Exclusion reasons without their details, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExclusionKind {
    /// See [`Exclusion::Status`].
    Status,
    /// See [`Exclusion::NotInQueue`].
    NotInQueue,
    /// See [`Exclusion::QueueDelay`].
    QueueDelay,
    /// See [`Exclusion::MissingSkill`].
    MissingSkill,
    /// See [`Exclusion::Capacity`].
    Capacity,
    /// See [`Exclusion::FairnessCap`].
    FairnessCap,
    /// See [`Exclusion::Declined`].
    Declined,
    /// See [`Exclusion::ReservedForOther`].
    ReservedForOther,
}

impl Exclusion {
    /// Returns the reason without details.
    pub fn kind(&self) -> ExclusionKind {
        match self {
            Self::Status { .. } => ExclusionKind::Status,
            Self::NotInQueue => ExclusionKind::NotInQueue,
            Self::QueueDelay => ExclusionKind::QueueDelay,
            Self::MissingSkill { .. } => ExclusionKind::MissingSkill,
            Self::Capacity { .. } => ExclusionKind::Capacity,
            Self::FairnessCap { .. } => ExclusionKind::FairnessCap,
            Self::Declined => ExclusionKind::Declined,
            Self::ReservedForOther => ExclusionKind::ReservedForOther,
        }
    }
}

/// How many agents were excluded for one reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionCount {
    /// The reason.
    pub reason: ExclusionKind,
    /// Agents excluded for it.
    pub count: u32,
}

/// The outcome an explanation ends in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Assigned to the best-scored agent.
    Assigned {
        /// The agent.
        agent: UserId,
    },
    /// Offered to the best-scored agent.
    Offered {
        /// The agent.
        agent: UserId,
    },
    /// Taken by the preferred agent during the reservation.
    PreferredAgent {
        /// The agent.
        agent: UserId,
    },
    /// Pulled by the agent ("next item").
    Pulled {
        /// The agent.
        agent: UserId,
    },
    /// Waiting: no agent can take it now.
    NoEligibleAgent,
    /// Waiting for the preferred agent until the reservation ends.
    ReservedForPreferred {
        /// The agent.
        agent: UserId,
        /// When the reservation ends.
        until: DateTime<Utc>,
    },
    /// Waiting for the answer to an open offer.
    OfferPending {
        /// The agent.
        agent: UserId,
        /// When the offer times out.
        expires_at: DateTime<Utc>,
    },
    /// Declined by every eligible agent; resting.
    CoolingDown {
        /// When it may be offered again.
        until: DateTime<Utc>,
    },
    /// The item's queue is not in the snapshot.
    UnknownQueue,
}

/// Counts exclusions and keeps the first `limit` of them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExclusionTally {
    pub(crate) counts: [u32; 8],
    pub(crate) listed: Vec<ExcludedAgent>,
}

impl ExclusionTally {
    pub(crate) fn add(&mut self, agent: UserId, reason: Exclusion, limit: usize) {
        self.counts[reason.kind() as usize] += 1;
        if self.listed.len() < limit {
            self.listed.push(ExcludedAgent { agent, reason });
        }
    }

    /// An empty tally with room to list `limit` agents.
    pub(crate) fn with_capacity(limit: usize) -> Self {
        Self {
            listed: Vec::with_capacity(limit),
            ..Self::default()
        }
    }

    pub(crate) fn merge(&mut self, other: &ExclusionTally, limit: usize) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        let room = limit.saturating_sub(self.listed.len());
        self.listed.extend(other.listed.iter().take(room).copied());
    }

    pub(crate) fn count_list(&self) -> Vec<ExclusionCount> {
        const KINDS: [ExclusionKind; 8] = [
            ExclusionKind::Status,
            ExclusionKind::NotInQueue,
            ExclusionKind::QueueDelay,
            ExclusionKind::MissingSkill,
            ExclusionKind::Capacity,
            ExclusionKind::FairnessCap,
            ExclusionKind::Declined,
            ExclusionKind::ReservedForOther,
        ];
        KINDS
            .iter()
            .zip(self.counts)
            .filter(|(_, count)| *count > 0)
            .map(|(reason, count)| ExclusionCount {
                reason: *reason,
                count,
            })
            .collect()
    }
}
