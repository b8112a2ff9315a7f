//! The SLA report: per queue and channel, of the items due in a period, how many were answered
//! (done) in time, how many breached, the breach rate and how long answers took.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};
use crate::item::Channel;
use crate::sla::SlaOutcome;

/// The longest period one report covers.
pub const MAX_REPORT_DAYS: i64 = 366;

/// One queue and channel in a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaGroupReport {
    /// The queue's name; `None` for items in no queue.
    pub queue: Option<String>,
    /// The channel.
    pub channel: Channel,
    /// Items whose due time lies in the period.
    pub due: u32,
    /// Of those, done without a breach.
    pub met: u32,
    /// Of those, with a recorded breach.
    pub breached: u32,
    /// Of those, neither done nor breached yet (due later than now, or paused).
    pub open: u32,
    /// `breached / (met + breached)`; `None` when nothing is decided yet.
    pub breach_rate: Option<f64>,
    /// Median seconds from arrival to done, over the answered items (nearest rank).
    pub answer_seconds_median: Option<i64>,
    /// 90th percentile of the same (nearest rank).
    pub answer_seconds_p90: Option<i64>,
}

/// An SLA report over `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaReport {
    /// Start of the period (inclusive).
    pub from: DateTime<Utc>,
    /// End of the period (exclusive).
    pub to: DateTime<Utc>,
    /// Per queue and channel, by queue name then channel.
    pub groups: Vec<SlaGroupReport>,
}

/// Checks a report period: `from` before `to`, at most [`MAX_REPORT_DAYS`] long.
pub fn checked_period(from: DateTime<Utc>, to: DateTime<Utc>) -> CoreResult<()> {
    if from >= to {
        return Err(CoreError::BadInput(format!(
            "the report period is empty: from {from} is not before to {to}"
        )));
    }
    if to - from > chrono::Duration::days(MAX_REPORT_DAYS) {
        return Err(CoreError::BadInput(format!(
            "the report period is longer than {MAX_REPORT_DAYS} days"
        )));
    }
    Ok(())
}

impl SlaReport {
    /// Builds the report of the outcomes of the items due in `[from, to)`.
    pub fn build(from: DateTime<Utc>, to: DateTime<Utc>, outcomes: &[SlaOutcome]) -> Self {
        let mut groups: BTreeMap<(Option<&str>, &'static str), Vec<&SlaOutcome>> = BTreeMap::new();
        for outcome in outcomes {
            groups
                .entry((outcome.queue.as_deref(), outcome.channel.as_str()))
                .or_default()
                .push(outcome);
        }
        Self {
            from,
            to,
            groups: groups.into_values().map(|items| group(&items)).collect(),
        }
    }
}

fn group(items: &[&SlaOutcome]) -> SlaGroupReport {
    debug_assert!(!items.is_empty(), "a group holds at least one item");
    let count = |keep: &dyn Fn(&SlaOutcome) -> bool| {
        u32::try_from(items.iter().filter(|item| keep(item)).count()).unwrap_or(u32::MAX)
    };
    let breached = count(&|item| item.breached_at.is_some());
    let met = count(&|item| item.breached_at.is_none() && item.answered_at.is_some());
    let due = u32::try_from(items.len()).unwrap_or(u32::MAX);
    let mut answer_seconds: Vec<i64> = items
        .iter()
        .filter_map(|item| Some((item.answered_at? - item.received_at).num_seconds().max(0)))
        .collect();
    answer_seconds.sort_unstable();
    SlaGroupReport {
        queue: items.first().and_then(|item| item.queue.clone()),
        channel: items.first().map_or(Channel::Email, |item| item.channel),
        due,
        met,
        breached,
        open: due - met - breached,
        breach_rate: (met + breached > 0).then(|| f64::from(breached) / f64::from(met + breached)),
        answer_seconds_median: nearest_rank(&answer_seconds, 50),
        answer_seconds_p90: nearest_rank(&answer_seconds, 90),
    }
}

/// The nearest-rank `percent` percentile of sorted values.
fn nearest_rank(sorted: &[i64], percent: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn at(hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 3, 0, 0, 0).unwrap() + Duration::hours(hour)
    }

    fn outcome(
        queue: Option<&str>,
        channel: Channel,
        answered_after_hours: Option<i64>,
        breached: bool,
    ) -> SlaOutcome {
        SlaOutcome {
            queue: queue.map(str::to_owned),
            channel,
            received_at: at(0),
            due_at: at(8),
            answered_at: answered_after_hours.map(at),
            breached_at: breached.then(|| at(8)),
        }
    }

    #[test]
    fn groups_count_due_met_breached_and_answer_times() {
        let outcomes = [
            outcome(Some("orders"), Channel::Email, Some(1), false),
            outcome(Some("orders"), Channel::Email, Some(2), false),
            outcome(Some("orders"), Channel::Email, Some(10), true),
            outcome(Some("orders"), Channel::Email, None, true),
            outcome(Some("orders"), Channel::Email, None, false),
            outcome(Some("orders"), Channel::Voicemail, Some(1), false),
            outcome(None, Channel::Fax, None, false),
        ];
        let report = SlaReport::build(at(0), at(24), &outcomes);
        assert_eq!(report.groups.len(), 3);
        let fax = &report.groups[0];
        assert_eq!((fax.queue.as_deref(), fax.channel), (None, Channel::Fax));
        assert_eq!((fax.due, fax.met, fax.breached, fax.open), (1, 0, 0, 1));
        assert_eq!(fax.breach_rate, None);
        assert_eq!(fax.answer_seconds_median, None);
        let email = &report.groups[1];
        assert_eq!(email.queue.as_deref(), Some("orders"));
        assert_eq!(email.channel, Channel::Email);
        assert_eq!(
            (email.due, email.met, email.breached, email.open),
            (5, 2, 2, 1)
        );
        assert_eq!(email.breach_rate, Some(0.5));
        assert_eq!(email.answer_seconds_median, Some(2 * 3600));
        assert_eq!(email.answer_seconds_p90, Some(10 * 3600));
        let voicemail = &report.groups[2];
        assert_eq!((voicemail.due, voicemail.met), (1, 1));
        assert_eq!(voicemail.breach_rate, Some(0.0));
        assert_eq!(voicemail.answer_seconds_p90, Some(3600));
    }

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&values, 50), Some(5));
        assert_eq!(nearest_rank(&values, 90), Some(9));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn periods_must_be_ordered_and_bounded() {
        assert!(checked_period(at(0), at(1)).is_ok());
        assert!(checked_period(at(1), at(1)).is_err());
        assert!(checked_period(at(2), at(1)).is_err());
        assert!(checked_period(at(0), at(0) + Duration::days(400)).is_err());
    }
}
