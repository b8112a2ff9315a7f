//! The pure routing policy: from a snapshot and the time, the decisions to take.
//!
//! [`assign`] hands waiting items to agents in global item order (effective priority, SLA due
//! time, arrival); [`next_item_for`] is the pull direction. Both are deterministic: the same
//! snapshot and time always give the same decisions.

mod index;
mod prepare;
mod pull;
mod round;
mod select;
mod table;

use chrono::{DateTime, Utc};
use switchboard_core::UserId;

use crate::explain::Decision;
use crate::model::Snapshot;

pub use index::RoutingIndex;
pub use round::Round;

/// Decides for every waiting item in `snapshot` at `now`: expired offers and agents that stop
/// responding first, then assignments and offers in item order, then cool-downs and waits.
pub fn assign(snapshot: &Snapshot, now: DateTime<Utc>) -> Vec<Decision> {
    decide(Round::new(snapshot, now))
}

/// The decisions of [`assign`] that change something: all but the waits, whose explanations
/// (one per waiting item, each round) are built only for those who read them. What a
/// dispatcher acts on.
pub fn assign_actions(snapshot: &Snapshot, now: DateTime<Utc>) -> Vec<Decision> {
    decide(Round::acting_only(snapshot, now))
}

/// Drives a round to the end: its preliminary decisions, the hand-outs, then what is left.
fn decide(mut round: Round<'_>) -> Vec<Decision> {
    let mut decisions = round.take_preliminary();
    while let Some(decision) = round.next_decision() {
        decisions.push(decision);
    }
    decisions.extend(round.finish());
    decisions
}

/// Picks the best item for `agent` now (the agent's "next item"), assigning it directly.
pub fn next_item_for(agent: UserId, snapshot: &Snapshot, now: DateTime<Utc>) -> Option<Decision> {
    pull::next_item_for(agent, snapshot, now)
}
