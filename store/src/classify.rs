//! Sorts an incoming batch into new, changed and unchanged records.

use std::collections::HashMap;

use switchboard_core::master::{MasterRow, UpsertCounts};

/// Returns the counts and the rows that must be written (new or changed).
pub(crate) fn classify<'a>(
    rows: &'a [MasterRow],
    stored: &HashMap<String, i64>,
) -> (UpsertCounts, Vec<&'a MasterRow>) {
    let mut counts = UpsertCounts::default();
    let mut changed = Vec::new();
    for row in rows {
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
