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
    let mut round = Round::new(snapshot, now);
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
