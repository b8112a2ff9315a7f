//! An item's service-level clock: when it is due and when it becomes at risk. The policy that
//! sets it (targets per queue and channel, business hours) lives in the router's `sla` module.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An item's SLA clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaClock {
    /// When the item is due.
    pub due_at: DateTime<Utc>,
    /// When the item becomes at risk (boosted in its queue and flagged).
    pub at_risk_at: DateTime<Utc>,
}

/// Where an item stands against its SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// Less than the at-risk share of the target used.
    OnTrack,
    /// The at-risk share used, not yet due.
    AtRisk,
    /// Past its due time.
    Breached,
}

impl SlaClock {
    /// Where an item with this clock stands at `now`.
    pub fn state(self, now: DateTime<Utc>) -> SlaState {
        if now >= self.due_at {
            SlaState::Breached
        } else if now >= self.at_risk_at {
            SlaState::AtRisk
        } else {
            SlaState::OnTrack
        }
    }
}
