//! Switchboard's routing: a pure, deterministic skills-based policy.
//!
//! - [`rules`]: the admin-defined rule set (CEL conditions, requirement templates, relaxation
//!   steps), its validation and evaluation into a [`rules::RoutePlan`] per item.
//! - [`policy`]: matching waiting items to agents from a [`model::Snapshot`] at a given time;
//!   [`policy::assign`] for the push direction, [`policy::next_item_for`] for pull.
//! - [`sla`]: service-level targets counted in business hours (calendar with holidays).
//! - [`explain`]: the structured, serialisable explanation every decision carries.
//!
//! Nothing here does I/O or reads a clock: time is always passed in.

pub mod explain;
pub mod model;
pub mod policy;
pub mod rules;
pub mod sla;

pub use explain::{Decision, Explanation};
pub use model::{Agent, ChannelCosts, PolicyConfig, QueueConfig, Snapshot, WaitingItem};
pub use rules::{RuleSet, ValidRuleSet};
