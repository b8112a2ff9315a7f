//! Sorts an incoming batch into new, changed and unchanged records.

use std::collections::{HashMap, HashSet};

use switchboard_core::master::{MasterRow, UpsertCounts, Value};

/// Returns the counts and the rows that must be written (new or changed); rows `kept` says the
/// store keeps as they are count as unchanged and are not written.
pub(crate) fn classify<'a>(
    rows: &'a [MasterRow],
    stored: &HashMap<String, i64>,
    kept: impl Fn(&MasterRow) -> bool,
) -> (UpsertCounts, Vec<&'a MasterRow>) {
    let mut counts = UpsertCounts::default();
    let mut changed = Vec::new();
    for row in rows {
        if kept(row) {
            counts.unchanged += 1;
            continue;
        }
        match stored.get(&row.key) {
            None => {
                counts.new += 1;
                changed.push(row);
            }
            Some(fingerprint) if *fingerprint != row.fingerprint => {
                counts.updated += 1;
                changed.push(row);
            }
            Some(_) => counts.unchanged += 1,
        }
    }
    (counts, changed)
}

/// Tells whether an `agent_skills` row belongs to an agent whose skills an admin set (the agent
/// id, its first column, in `admin_set`): the admin's list stays as it is.
pub(crate) fn skill_set_by_admin(row: &MasterRow, admin_set: &HashSet<String>) -> bool {
    matches!(row.values.first(), Some(Value::Text(agent)) if admin_set.contains(agent))
}
