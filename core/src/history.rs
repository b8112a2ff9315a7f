//! The board's history: how many items waited per channel over time (sampled by every serving
//! node into fixed time slots) and what each agent was given and finished (read from the
//! assignment rows). The port reads and writes; the summaries here are pure.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::ids::Login;
use crate::item::Channel;

/// How many items of one channel waited for an agent at one sample slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacklogSample {
    /// The slot's start.
    pub at: DateTime<Utc>,
    /// The channel.
    pub channel: Channel,
    /// Items queued or offered and unanswered.
    pub waiting: u32,
}

/// One assignment row as the per-agent summary needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentSpan {
    /// The agent's login.
    pub login: Login,
    /// When the item was given (or the offer accepted).
    pub created_at: DateTime<Utc>,
    /// When the agent let go of it, if they did.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why it ended (`done`, `reassigned`, `returned`, ...).
    pub outcome: Option<String>,
}

/// What one agent was given and finished in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentActivity {
    /// The agent's login.
    pub login: Login,
    /// Assignments that began in the period.
    pub assigned: u32,
    /// Assignments that ended done in the period.
    pub done: u32,
    /// Median seconds from assignment to done over those (nearest rank).
    pub handling_seconds_median: Option<i64>,
}

/// How often serving nodes sample the backlog (the backlog chart's resolution).
pub const BACKLOG_SAMPLE_EVERY: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// The outcome of an assignment its agent finished.
pub const DONE_OUTCOME: &str = "done";

/// The start of the sample slot `now` falls in: slots are `every` long, counted from the Unix
/// epoch, so every node computes the same slot and a second sample of a slot changes nothing.
pub fn sample_slot(now: DateTime<Utc>, every: Duration) -> DateTime<Utc> {
    let length = every.num_seconds().max(1);
    let seconds = now.timestamp();
    let start = seconds - seconds.rem_euclid(length);
    DateTime::from_timestamp(start, 0).unwrap_or(now)
}

/// Sums assignment rows per agent over `[from, to)`: how many began, how many ended done and
/// how long the done ones took (median). Agents in login order.
pub fn agent_activity(
    spans: &[AssignmentSpan],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<AgentActivity> {
    let within = |at: DateTime<Utc>| from <= at && at < to;
    let mut per_agent: BTreeMap<&str, (u32, Vec<i64>)> = BTreeMap::new();
    for span in spans {
        let (assigned, handled) = per_agent.entry(span.login.as_str()).or_default();
        if within(span.created_at) {
            *assigned += 1;
        }
        let done_at = span
            .ended_at
            .filter(|_| span.outcome.as_deref() == Some(DONE_OUTCOME));
        if let Some(done_at) = done_at.filter(|at| within(*at)) {
            handled.push((done_at - span.created_at).num_seconds().max(0));
        }
    }
    per_agent
        .into_iter()
        .filter(|(_, (assigned, handled))| *assigned > 0 || !handled.is_empty())
        .map(|(login, (assigned, mut handled))| {
            handled.sort_unstable();
            AgentActivity {
                login: Login::new(login),
                assigned,
                done: u32::try_from(handled.len()).unwrap_or(u32::MAX),
                handling_seconds_median: median(&handled),
            }
        })
        .collect()
}

/// The nearest-rank median of sorted values.
fn median(sorted: &[i64]) -> Option<i64> {
    let rank = sorted.len().div_ceil(2).max(1);
    sorted.get(rank - 1).copied()
}

/// Where the board's history is kept.
#[async_trait]
pub trait HistoryStore: Send + Sync {
    /// Records how many items wait per channel (every channel, zero included) as the sample of
    /// `slot`; a slot already sampled (by this or another node) is left as it is. Returns the
    /// rows written.
    async fn record_backlog_sample(&self, slot: DateTime<Utc>) -> CoreResult<u64>;

    /// The samples from `from` on, oldest first.
    async fn backlog_samples(&self, from: DateTime<Utc>) -> CoreResult<Vec<BacklogSample>>;

    /// Deletes samples older than `before`; returns how many.
    async fn prune_backlog_samples(&self, before: DateTime<Utc>) -> CoreResult<u64>;

    /// The assignments (not offers) that began or ended in `[from, to)`.
    async fn assignment_spans(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> CoreResult<Vec<AssignmentSpan>>;
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 8, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn span(login: &str, start: i64, end: Option<(i64, &str)>) -> AssignmentSpan {
        AssignmentSpan {
            login: Login::new(login),
            created_at: at(start),
            ended_at: end.map(|(minute, _)| at(minute)),
            outcome: end.map(|(_, outcome)| outcome.to_owned()),
        }
    }

    #[test]
    fn slots_start_on_whole_multiples_of_their_length() {
        let every = Duration::minutes(5);
        assert_eq!(sample_slot(at(0), every), at(0));
        assert_eq!(sample_slot(at(4) + Duration::seconds(59), every), at(0));
        assert_eq!(sample_slot(at(5), every), at(5));
        assert_eq!(sample_slot(at(13), every), at(10));
        assert_eq!(sample_slot(at(13), Duration::zero()), at(13));
    }

    #[test]
    fn activity_counts_assignments_begun_and_done_in_the_period() {
        let spans = [
            span("bea", 10, Some((20, "done"))),
            span("bea", 30, Some((70, "done"))),
            span("bea", 40, Some((45, "reassigned"))),
            span("ann", 50, None),
            // Began before the period, done in it: counts as handled, not as assigned.
            span("ann", -30, Some((15, "done"))),
            // Entirely before the period.
            span("cas", -50, Some((-40, "done"))),
            // Done after the period.
            span("bea", 55, Some((200, "done"))),
        ];
        let activity = agent_activity(&spans, at(0), at(120));
        assert_eq!(
            activity,
            vec![
                AgentActivity {
                    login: Login::new("ann"),
                    assigned: 1,
                    done: 1,
                    handling_seconds_median: Some(45 * 60),
                },
                AgentActivity {
                    login: Login::new("bea"),
                    assigned: 4,
                    done: 2,
                    handling_seconds_median: Some(10 * 60),
                },
            ]
        );
    }

    #[test]
    fn the_median_takes_the_lower_middle_of_an_even_count() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[7]), Some(7));
        assert_eq!(median(&[1, 2, 3, 4]), Some(2));
        assert_eq!(median(&[1, 2, 3]), Some(2));
    }
}
