//! Choosing the agent for an item among its group's candidates, with the queue's strategy and
//! the same deterministic tie-breaks as a round. Candidates and the agents' readiness are row
//! sets, so a scan costs a few word-wise steps plus one look at each agent who could take it.

use chrono::{DateTime, Utc};
use switchboard_core::UserId;
use switchboard_core::queue::QueueStrategy;

use super::agents::AgentRows;
use super::bits::ones_of;
use super::groups::Group;
use crate::explain::{ExcludedAgent, ExclusionKind, ExclusionTally, ScoredAgent};
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

/// A candidate's place in the order: rank, then who was given work longer ago, then id.
pub(crate) type Ranked = (f64, u64, UserId);

fn ranked(agents: &AgentRows, group: &Group, row: usize) -> Ranked {
    (
        rank(agents, group.strategy, row, &group.key.needs),
        agents.taken_order(row),
        agents.id(row),
    )
}

fn is_before(a: &Ranked, b: &Ranked) -> bool {
    a.0.total_cmp(&b.0)
        .then(a.1.cmp(&b.1))
        .then(a.2.cmp(&b.2))
        .is_lt()
}

/// Keeps `top` the best `limit` candidates seen, best first.
fn keep_best(top: &mut Vec<Ranked>, candidate: Ranked, limit: usize) {
    if top.len() == limit && top.last().is_none_or(|last| !is_before(&candidate, last)) {
        return;
    }
    let at = top.partition_point(|kept| is_before(kept, &candidate));
    if top.len() == limit {
        top.pop();
    }
    top.insert(at, candidate);
}

/// The group's declined agents in word `word` of the row sets.
fn declined_word(group: &Group, word: usize) -> u64 {
    group
        .declined_rows
        .iter()
        .filter(|&&row| row as usize / 64 == word)
        .fold(0, |bits, &row| bits | 1 << (row % 64))
}

/// Finds the best agent for an item of the `class`-th cost in `group`; `open_class` is the
/// cheapest waiting item's cost class, below which an agent counts as closed for the
/// cool-down rule. Leaves the best `limit` eligible agents in `top`, best first (the scores of
/// the explanation), found in the same scan.
pub(crate) fn pick(
    agents: &AgentRows,
    group: &Group,
    class: usize,
    open_class: Option<usize>,
    top: &mut Vec<Ranked>,
    limit: usize,
) -> Pick {
    let has_declines = !group.declined_rows.is_empty();
    let mut best: Option<(Ranked, usize)> = None;
    let mut open_undeclined = false;
    let mut open_any = false;
    top.clear();
    for (word, &candidates) in group.candidates.words().iter().enumerate() {
        if candidates == 0 {
            continue;
        }
        let declined = if has_declines {
            declined_word(group, word)
        } else {
            0
        };
        if has_declines && let Some(open_class) = open_class {
            let open = candidates & agents.ready_word(open_class, word);
            open_any |= open != 0;
            open_undeclined |= open & !declined != 0;
        }
        let eligible = candidates & agents.ready_word(class, word) & !declined;
        for row in ones_of(word, eligible) {
            let row = row as usize;
            let candidate = ranked(agents, group, row);
            if best
                .as_ref()
                .is_none_or(|(current, _)| is_before(&candidate, current))
            {
                best = Some((candidate, row));
            }
            if limit > 0 {
                keep_best(top, candidate, limit);
            }
        }
    }
    Pick {
        best: best.map(|(_, row)| row),
        everyone_declined: open_any && !open_undeclined,
    }
}

/// The scores of the explanation from the best candidates [`pick`] left, best first.
pub(crate) fn scored(
    top: &[Ranked],
    strategy: QueueStrategy,
    now: DateTime<Utc>,
) -> Vec<ScoredAgent> {
    top.iter()
        .map(|&(agent_rank, _, agent)| ScoredAgent {
            agent,
            score: score(strategy, agent_rank, now),
        })
        .collect()
}

/// Adds to `tally` why the group's candidates cannot take an item of the `class`-th cost
/// (`cost` units) now: complete counts, listed while `tally` lists fewer than `limit`.
pub(crate) fn exclusions(
    tally: &mut ExclusionTally,
    agents: &AgentRows,
    group: &Group,
    class: usize,
    cost: u32,
    limit: usize,
) {
    let declined_ids = &group.key.declined;
    for (word, &candidates) in group.candidates.words().iter().enumerate() {
        if candidates == 0 {
            continue;
        }
        let declined = declined_word(group, word);
        let available = candidates & agents.available_word(word);
        let undeclined = available & !declined;
        let room = agents.room_word(class, word);
        let capped = agents.capped_word(word);
        let counts = &mut tally.counts;
        counts[ExclusionKind::Status as usize] += (candidates & !available).count_ones();
        counts[ExclusionKind::Declined as usize] += (available & declined).count_ones();
        counts[ExclusionKind::Capacity as usize] += (undeclined & !room).count_ones();
        counts[ExclusionKind::FairnessCap as usize] += (undeclined & room & capped).count_ones();
        let eligible = undeclined & room & !capped;
        for row in ones_of(word, candidates & !eligible) {
            if tally.listed.len() >= limit {
                break;
            }
            let row = row as usize;
            let check = agents
                .check_status(row)
                .and_then(|()| agents.check_dynamic(row, cost, declined_ids));
            if let Err(reason) = check {
                tally.listed.push(ExcludedAgent {
                    agent: agents.id(row),
                    reason,
                });
            }
        }
    }
}
