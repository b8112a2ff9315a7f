//! Choosing one agent for one item among a bucket's candidates, by the queue's strategy.

use chrono::{DateTime, Utc};
use switchboard_core::UserId;
use switchboard_core::queue::QueueStrategy;

use super::prepare::Prepared;
use super::table::AgentTable;
use crate::explain::{ExclusionTally, ScoredAgent};

/// The outcome of scanning the candidates for one item.
pub(crate) struct Selection {
    pub(crate) best: Option<usize>,
    pub(crate) excluded: ExclusionTally,
    pub(crate) scored: Vec<ScoredAgent>,
    /// Candidates that passed every check but the item's declines.
    pub(crate) undeclined_left: bool,
}

/// A candidate's rank under a strategy: lower is better; ties go to the agent not yet served
/// this round, then to the lower agent id.
fn rank(
    table: &AgentTable<'_>,
    strategy: QueueStrategy,
    agent: usize,
    prepared: &Prepared<'_>,
) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "ranks only order agents")]
    match strategy {
        QueueStrategy::LongestIdle => table.idle_since_ms[agent] as f64,
        QueueStrategy::LeastLoaded => {
            let capacity = table.agents[agent].capacity_units;
            if capacity == 0 {
                1.0
            } else {
                f64::from(table.load[agent]) / f64::from(capacity)
            }
        }
        QueueStrategy::MostSkilled => -f64::from(table.skill_sum(agent, &prepared.needs)),
    }
}

/// Turns a rank into the explanation's score, where higher is better.
fn score(strategy: QueueStrategy, rank: f64, now: DateTime<Utc>) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "scores are for reading")]
    match strategy {
        QueueStrategy::LongestIdle => (now.timestamp_millis() as f64 - rank) / 1000.0,
        QueueStrategy::LeastLoaded => 1.0 - rank,
        QueueStrategy::MostSkilled => -rank,
    }
}

/// Scans `candidates` (agents that passed the static checks) for the best one.
pub(crate) fn select(
    table: &AgentTable<'_>,
    strategy: QueueStrategy,
    candidates: &[u32],
    prepared: &Prepared<'_>,
    now: DateTime<Utc>,
    limit: usize,
    scratch: &mut Vec<(f64, u64, UserId)>,
) -> Selection {
    let mut excluded = ExclusionTally::default();
    let mut best: Option<(f64, u64, UserId, usize)> = None;
    let mut undeclined_left = false;
    scratch.clear();
    for &candidate in candidates {
        let agent = candidate as usize;
        let id = table.agents[agent].id;
        match table.check_dynamic(agent, prepared.cost, &prepared.declined_by) {
            Ok(()) => {}
            Err(reason) => {
                if reason != crate::explain::Exclusion::Declined {
                    undeclined_left = true;
                }
                excluded.add(id, reason, limit);
                continue;
            }
        }
        undeclined_left = true;
        let agent_rank = rank(table, strategy, agent, prepared);
        let order = table.taken_order[agent];
        let better = best.is_none_or(|(best_rank, best_order, best_id, _)| {
            agent_rank
                .total_cmp(&best_rank)
                .then(order.cmp(&best_order))
                .then(id.cmp(&best_id))
                .is_lt()
        });
        if better {
            best = Some((agent_rank, order, id, agent));
        }
        if limit > 0 {
            scratch.push((agent_rank, order, id));
        }
    }
    let by_rank = |a: &(f64, u64, UserId), b: &(f64, u64, UserId)| {
        a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
    };
    if scratch.len() > limit && limit > 0 {
        scratch.select_nth_unstable_by(limit - 1, by_rank);
        scratch.truncate(limit);
    }
    scratch.sort_unstable_by(by_rank);
    let scored = scratch
        .iter()
        .map(|&(agent_rank, _, agent)| ScoredAgent {
            agent,
            score: score(strategy, agent_rank, now),
        })
        .collect();
    Selection {
        best: best.map(|(_, _, _, agent)| agent),
        excluded,
        scored,
        undeclined_left,
    }
}
