//! Service levels: how long an item may wait, in business hours, per queue and channel.
//!
//! An [`SlaPolicy`] turns the moment an item is queued into an [`SlaClock`] — its due time and
//! the moment it becomes *at risk* (a configurable share of the target used) — counting only the
//! [`BusinessCalendar`]'s open time. The clock pauses while an item waits on the customer
//! ([`SlaPolicy::resume`]), and [`SlaClock::state`] says whether an item is on track, at risk or
//! breached at a given time. Pure: time is passed in.

mod calendar;
mod in_force;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::item::Channel;
pub use switchboard_core::sla::{SlaClock, SlaState};

pub use self::calendar::{BusinessCalendar, CalendarError, DAY_NAMES, OpeningHours};
pub use self::in_force::{SharedSlaPolicy, settings_in_force};

/// One target: items of a queue and/or channel are answered within `business_minutes`.
/// A target naming neither applies to everything not matched otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTarget {
    /// The queue's name, or any queue.
    #[serde(default)]
    pub queue: Option<String>,
    /// The channel, or any channel.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Business minutes from queueing to due.
    pub business_minutes: u32,
}

impl SlaTarget {
    /// How specific the target is for a match (queue and channel beat queue beat channel);
    /// `None` when it does not apply.
    fn specificity(&self, queue: Option<&str>, channel: Channel) -> Option<u8> {
        let queue_matches = match (&self.queue, queue) {
            (None, _) => Some(false),
            (Some(wanted), Some(actual)) if wanted == actual => Some(true),
            _ => None,
        }?;
        let channel_matches = match self.channel {
            None => Some(false),
            Some(wanted) if wanted == channel => Some(true),
            _ => None,
        }?;
        Some(u8::from(queue_matches) * 2 + u8::from(channel_matches))
    }
}

/// A policy that cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SlaError {
    /// The calendar's description is wrong.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The at-risk share is outside (0, 1].
    #[error("at_risk_share {0} must be above 0 and at most 1")]
    AtRiskShare(f64),
    /// A target of zero minutes.
    #[error("SLA target {0} has a business_minutes of 0")]
    ZeroTarget(usize),
    /// A saved version of the settings cannot be read.
    #[error("saved SLA settings version {version} cannot be read: {reason}")]
    Stored {
        /// The version.
        version: i64,
        /// Why.
        reason: String,
    },
}

/// SLA targets per queue and channel, counted on a business calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaPolicy {
    calendar: BusinessCalendar,
    targets: Vec<SlaTarget>,
    at_risk_share: f64,
}

/// The description of an SLA policy, as configuration holds it (`[sla]` in `switchboard.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlaSettings {
    /// IANA time zone of the opening hours.
    pub timezone: String,
    /// Opening hours per day (`mon` … `sun` → `HH:MM-HH:MM`); days not named are closed.
    pub hours: BTreeMap<String, String>,
    /// Closed dates (`YYYY-MM-DD`).
    pub holidays: Vec<String>,
    /// Share of a target after which an item is at risk.
    pub at_risk_share: f64,
    /// Targets per queue and channel, in business minutes.
    pub targets: Vec<SlaTarget>,
}

impl Default for SlaSettings {
    /// A Dutch office week (Europe/Amsterdam, Monday–Friday 08:30–17:30): voicemails called back
    /// within 2 business hours, e-mails and faxes answered within 8, letters within 16; tasks
    /// carry their own due time. At risk after 75 % of the target.
    fn default() -> Self {
        let target = |channel, hours: u32| SlaTarget {
            queue: None,
            channel: Some(channel),
            business_minutes: hours * 60,
        };
        Self {
            timezone: "Europe/Amsterdam".to_owned(),
            hours: DAY_NAMES[..5]
                .iter()
                .map(|day| ((*day).to_owned(), "08:30-17:30".to_owned()))
                .collect(),
            holidays: Vec::new(),
            at_risk_share: 0.75,
            targets: vec![
                target(Channel::Voicemail, 2),
                target(Channel::Email, 8),
                target(Channel::Fax, 8),
                target(Channel::Letter, 16),
            ],
        }
    }
}

impl Default for SlaPolicy {
    /// The policy of [`SlaSettings::default`].
    fn default() -> Self {
        Self::from_settings(&SlaSettings::default()).unwrap_or_else(|_| Self {
            calendar: BusinessCalendar::always_open(),
            targets: Vec::new(),
            at_risk_share: 1.0,
        })
    }
}

impl SlaPolicy {
    /// Builds a policy; `at_risk_share` is the share of a target after which an item is at risk.
    pub fn new(
        calendar: BusinessCalendar,
        targets: Vec<SlaTarget>,
        at_risk_share: f64,
    ) -> Result<Self, SlaError> {
        if !(at_risk_share > 0.0 && at_risk_share <= 1.0) {
            return Err(SlaError::AtRiskShare(at_risk_share));
        }
        if let Some(position) = targets.iter().position(|t| t.business_minutes == 0) {
            return Err(SlaError::ZeroTarget(position + 1));
        }
        Ok(Self {
            calendar,
            targets,
            at_risk_share,
        })
    }

    /// Builds the policy a configuration describes; the error names what is wrong.
    pub fn from_settings(settings: &SlaSettings) -> Result<Self, SlaError> {
        let calendar = BusinessCalendar::new(
            &settings.timezone,
            settings
                .hours
                .iter()
                .map(|(day, hours)| (day.as_str(), hours.as_str())),
            settings.holidays.iter().map(String::as_str),
        )?;
        Self::new(calendar, settings.targets.clone(), settings.at_risk_share)
    }

    /// The calendar SLA time is counted on.
    pub fn calendar(&self) -> &BusinessCalendar {
        &self.calendar
    }

    /// The target for an item in `queue` from `channel`: the most specific matching target
    /// (queue and channel, then queue, then channel, then a catch-all); the first listed wins a tie.
    pub fn target_for(&self, queue: Option<&str>, channel: Channel) -> Option<Duration> {
        let mut best: Option<(u8, &SlaTarget)> = None;
        for target in &self.targets {
            let Some(specificity) = target.specificity(queue, channel) else {
                continue;
            };
            if best.is_none_or(|(current, _)| specificity > current) {
                best = Some((specificity, target));
            }
        }
        best.map(|(_, target)| Duration::minutes(i64::from(target.business_minutes)))
    }

    /// The clock of an item queued at `queued_at`, or `None` without a target (or when the
    /// calendar is never open).
    pub fn clock(
        &self,
        queue: Option<&str>,
        channel: Channel,
        queued_at: DateTime<Utc>,
    ) -> Option<SlaClock> {
        let target = self.target_for(queue, channel)?;
        self.clock_for(queued_at, target)
    }

    /// The clock of an item with its own due time (a task's): at risk after the policy's share
    /// of the business time between `start` and `due_at`.
    pub fn clock_until(&self, start: DateTime<Utc>, due_at: DateTime<Utc>) -> SlaClock {
        let business = self.calendar.between(start, due_at);
        let at_risk_at = self
            .calendar
            .add(start, self.at_risk_part(business))
            .map_or(due_at, |at| at.min(due_at));
        SlaClock { due_at, at_risk_at }
    }

    fn clock_for(&self, start: DateTime<Utc>, business: Duration) -> Option<SlaClock> {
        Some(SlaClock {
            due_at: self.calendar.add(start, business)?,
            at_risk_at: self.calendar.add(start, self.at_risk_part(business))?,
        })
    }

    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        reason = "an SLA target in milliseconds is far below 2^52"
    )]
    fn at_risk_part(&self, business: Duration) -> Duration {
        Duration::milliseconds((business.num_milliseconds() as f64 * self.at_risk_share) as i64)
    }

    /// The clock after a pause (the item waited on the customer from `paused_at` to
    /// `resumed_at`): the business time left at the pause is counted again from the resume.
    /// A clock already past due or at risk at the pause keeps that instant.
    pub fn resume(
        &self,
        clock: SlaClock,
        paused_at: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
    ) -> SlaClock {
        let shift = |instant: DateTime<Utc>| {
            if instant <= paused_at {
                return instant;
            }
            let left = self.calendar.between(paused_at, instant);
            self.calendar
                .add(resumed_at.max(paused_at), left)
                .unwrap_or(instant)
        };
        SlaClock {
            due_at: shift(clock.due_at),
            at_risk_at: shift(clock.at_risk_at),
        }
    }
}

impl switchboard_core::sla::SlaResume for SlaPolicy {
    fn resume(
        &self,
        clock: SlaClock,
        paused_at: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
    ) -> SlaClock {
        SlaPolicy::resume(self, clock, paused_at, resumed_at)
    }
}

#[cfg(test)]
mod tests;
