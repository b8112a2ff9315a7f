//! Pull: an agent asks for their next item.

use chrono::{DateTime, Utc};
use switchboard_core::UserId;

use super::prepare::{OrderKey, Prepared, hold_reason, prepare};
use super::table::AgentTable;
use crate::explain::{Decision, Outcome, ScoredAgent};
use crate::model::{Snapshot, WaitingItem};

fn declines_of(item: &WaitingItem, now: DateTime<Utc>) -> Vec<UserId> {
    let mut declined_by = item.state.declined_by.clone();
    if let Some(offer) = item.state.offer
        && offer.expires_at <= now
        && !declined_by.contains(&offer.agent)
    {
        declined_by.push(offer.agent);
    }
    declined_by
}

/// Picks the best item `agent` may take now and assigns it; `None` when there is none, or when
/// the agent is unknown or not available.
pub(crate) fn next_item_for(
    agent: UserId,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
) -> Option<Decision> {
    let table = AgentTable::build(snapshot);
    let row = table.row_of(agent)?;
    table.check_status(row).ok()?;
    let mut best: Option<(OrderKey, Prepared<'_>)> = None;
    for item in &snapshot.items {
        if hold_reason(item, now).is_some() {
            continue;
        }
        let declined_by = declines_of(item, now);
        if declined_by.contains(&agent) {
            continue;
        }
        let cost = snapshot.config.costs.cost(item.channel);
        if table.check_dynamic(row, cost, &declined_by).is_err() {
            continue;
        }
        let Some(prepared) = prepare(&table, item, declined_by, cost, now) else {
            continue;
        };
        if best.as_ref().is_some_and(|(key, _)| *key <= prepared.key) {
            continue;
        }
        let reserved_elsewhere = prepared
            .reserved_for
            .is_some_and(|reserved| reserved as usize != row);
        let reserved_here = prepared
            .reserved_for
            .is_some_and(|reserved| reserved as usize == row);
        if reserved_elsewhere
            || (!reserved_here && table.check_membership(row, &prepared.access).is_err())
            || table.check_skills(row, &prepared.needs).is_err()
        {
            continue;
        }
        best = Some((prepared.key, prepared));
    }
    let (_, prepared) = best?;
    let mut explanation = prepared.explanation(&table, Outcome::Pulled { agent });
    explanation.considered = 1;
    explanation.scored = vec![ScoredAgent { agent, score: 0.0 }];
    Some(Decision::Assign {
        item: prepared.item.id,
        agent,
        explanation: Box::new(explanation),
    })
}
