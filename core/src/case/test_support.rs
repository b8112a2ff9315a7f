//! What the rule's unit tests share: the default rule, a clock in hours and order lists.

use chrono::{DateTime, Duration, Utc};

use super::CaseRule;

/// The default rule (72 hours).
pub(super) const RULE: CaseRule = CaseRule { window_hours: 72 };

/// A moment `hours` after (or before) a fixed start.
pub(super) fn at(hours: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_741_000_000, 0).unwrap_or_default() + Duration::hours(hours)
}

/// Order numbers as the rule reads them.
pub(super) fn orders(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}
