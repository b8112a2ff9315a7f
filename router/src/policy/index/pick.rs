//! Choosing the agent for an item among its group's candidates, with the queue's strategy and
//! the same deterministic tie-breaks as a round.

use chrono::{DateTime, Utc};
use switchboard_core::UserId;
use switchboard_core::queue::QueueStrategy;

use super::agents::AgentRows;
use super::groups::Group;
use crate::explain::{ExclusionTally, ScoredAgent};
use crate::policy::table::Need;

/// The result of a quick scan: the best agent, and whether every open candidate declined.
pub(crate) struct Pick {
    pub(crate) best: Option<usize>,
    pub(crate) everyone_declined: bool,
}

/// A candidate's rank under a strategy: lower is better.
fn rank(agents: &AgentRows, strategy: QueueStrategy, row: usize, needs: &[Need]) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "ranks only order agents")]
    match strategy {
        QueueStrategy::LongestIdle => agents.rows[row].idle_since_ms as f64,
        QueueStrategy::LeastLoaded => {
            let profile = &agents.rows[row].profile;
            if profile.capacity_units == 0 {
                1.0
            } else {
                f64::from(profile.load_units) / f64::from(profile.capacity_units)
            }
        }
        QueueStrategy::MostSkilled => -f64::from(agents.skill_sum(row, needs)),
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

type Ranked = (f64, u64, UserId);

fn better(candidate: &Ranked, best: Option<&Ranked>) -> bool {
    best.is_none_or(|best| {
        candidate
            .0
            .total_cmp(&best.0)
            .then(candidate.1.cmp(&best.1))
            .then(candidate.2.cmp(&best.2))
            .is_lt()
    })
}

/// Finds the best agent for an item of `cost` units in `group`; `open_cost` is the cheapest
/// item's cost, below which an agent counts as closed for the cool-down rule.
pub(crate) fn pick(agents: &AgentRows, group: &Group, cost: u32, open_cost: u32) -> Pick {
    let declined = &group.key.declined;
    let mut best: Option<(Ranked, usize)> = None;
    let mut open_undeclined = false;
    let mut open_any = false;
    for &candidate in &group.candidates {
        let row = candidate as usize;
        if agents.check_status(row).is_err() {
            continue;
        }
        if !declined.is_empty() && agents.check_dynamic(row, open_cost, &[]).is_ok() {
            open_any = true;
            if !declined.contains(&agents.id(row)) {
                open_undeclined = true;
            }
        }
        if agents.check_dynamic(row, cost, declined).is_err() {
            continue;
        }
        let ranked = (
            rank(agents, group.strategy, row, &group.key.needs),
            agents.rows[row].taken_order,
            agents.id(row),
        );
        if better(&ranked, best.as_ref().map(|(ranked, _)| ranked)) {
            best = Some((ranked, row));
        }
    }
    Pick {
        best: best.map(|(_, row)| row),
        everyone_declined: open_any && !open_undeclined,
    }
}

/// Scans the candidates again for the explanation: exclusions and the scored list.
pub(crate) fn detail(
    agents: &AgentRows,
    group: &Group,
    cost: u32,
    now: DateTime<Utc>,
    limit: usize,
    scratch: &mut Vec<Ranked>,
) -> (ExclusionTally, Vec<ScoredAgent>) {
    let declined = &group.key.declined;
    let mut excluded = ExclusionTally::default();
    scratch.clear();
    for &candidate in &group.candidates {
        let row = candidate as usize;
        let check = agents
            .check_status(row)
            .and_then(|()| agents.check_dynamic(row, cost, declined));
        if let Err(reason) = check {
            excluded.add(agents.id(row), reason, limit);
            continue;
        }
        if limit > 0 {
            scratch.push((
                rank(agents, group.strategy, row, &group.key.needs),
                agents.rows[row].taken_order,
                agents.id(row),
            ));
        }
    }
    let by_rank =
        |a: &Ranked, b: &Ranked| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2));
    if scratch.len() > limit && limit > 0 {
        scratch.select_nth_unstable_by(limit - 1, by_rank);
        scratch.truncate(limit);
    }
    scratch.sort_unstable_by(by_rank);
    let scored = scratch
        .iter()
        .map(|&(agent_rank, _, agent)| ScoredAgent {
            agent,
            score: score(group.strategy, agent_rank, now),
        })
        .collect();
    (excluded, scored)
}
