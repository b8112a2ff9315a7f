//! An item's service-level clock: when it is due and when it becomes at risk, and the port that
//! records breaches for reporting and keeps the versions of SLA settings admins saved. The
//! policy that sets the clock (targets per queue and channel, business hours) lives in the
//! router's `sla` module.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::event::Actor;
use crate::ids::WorkItemId;

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

/// Moves an SLA clock on after the item waited on the customer from `paused_at` to
/// `resumed_at`. The router's SLA policy implements it in business time: the business time left
/// at the pause is counted again from the resumption.
pub trait SlaResume: Send + Sync {
    /// The clock after the pause.
    fn resume(
        &self,
        clock: SlaClock,
        paused_at: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
    ) -> SlaClock;
}

/// What one breach check found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlaBreachCheck {
    /// Breaches recorded now (none again for a breach recorded before).
    pub recorded: usize,
    /// The earliest due time still ahead among open items whose clock runs: when to check next.
    pub next_due_at: Option<DateTime<Utc>>,
}

/// How one item with a due time inside a report's period fared; the rows an SLA report is
/// built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaOutcome {
    /// The item's queue, by name.
    pub queue: Option<String>,
    /// The item's channel.
    pub channel: crate::item::Channel,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// When it is (or was) due.
    pub due_at: DateTime<Utc>,
    /// When it was first done.
    pub answered_at: Option<DateTime<Utc>>,
    /// When its first breach was recorded.
    pub breached_at: Option<DateTime<Utc>>,
}

/// A version of the SLA settings an admin saved; the newest is in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaSettingsVersion {
    /// The version, rising with every save.
    pub version: i64,
    /// The settings (the router's `SlaSettings` as JSON); `None` returns to the configuration
    /// file's settings.
    pub document: Option<serde_json::Value>,
    /// Who saved it.
    pub created_by: Actor,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Breach records, the rows of SLA reports, and the saved versions of SLA settings.
#[async_trait::async_trait]
pub trait SlaStore: Send + Sync {
    /// Records a breach for every item whose due time is at or before `now` while it is open
    /// and its clock runs (not waiting on the customer), or that was done after its due time;
    /// once per item and due time, whoever records it first.
    async fn record_sla_breaches(&self, now: DateTime<Utc>) -> CoreResult<SlaBreachCheck>;

    /// The open items with a recorded breach of their current due time.
    async fn breached_open_items(&self) -> CoreResult<HashSet<WorkItemId>>;

    /// The outcome of every item due in `[from, to)`.
    async fn sla_outcomes(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> CoreResult<Vec<SlaOutcome>>;

    /// Stores a new version of the SLA settings (`None`: the configuration file's again) and
    /// returns it.
    async fn save_sla_settings(
        &self,
        document: Option<&serde_json::Value>,
        by: &Actor,
        at: DateTime<Utc>,
    ) -> CoreResult<SlaSettingsVersion>;

    /// The newest `limit` versions of the SLA settings, newest first (the first is in force).
    async fn sla_settings_versions(&self, limit: u32) -> CoreResult<Vec<SlaSettingsVersion>>;
}
