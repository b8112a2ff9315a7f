//! The simulation report (the JSON of `rules simulate --format json`) as the rules editor shows
//! it: per queue what would wait, per agent the assignments, the items no one could take with
//! the reason, and the items whose queue would change.

use std::collections::BTreeMap;

use serde::Deserialize;

/// At most this many unassigned items and queue changes are listed (the counts are complete).
const LISTED: usize = 50;

#[derive(Debug, Deserialize)]
struct Report {
    items: usize,
    assignments: Vec<serde_json::Value>,
    unassigned: Vec<Unassigned>,
    queues: BTreeMap<String, QueueFigures>,
    agents: BTreeMap<String, usize>,
    queue_changes: Vec<QueueChange>,
}

#[derive(Debug, Deserialize)]
struct Unassigned {
    item_id: i64,
    queue: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
struct QueueFigures {
    items: usize,
    assigned: usize,
    unassigned: usize,
    avg_wait_seconds: f64,
    p90_wait_seconds: i64,
    max_wait_seconds: i64,
    moved_in: usize,
}

#[derive(Debug, Deserialize)]
struct QueueChange {
    item_id: i64,
    from: Option<String>,
    to: String,
}

/// One queue's figures.
pub(super) struct QueueRow {
    pub name: String,
    pub items: usize,
    pub assigned: usize,
    pub waiting: usize,
    pub avg_wait: String,
    pub p90_wait: String,
    pub max_wait: String,
    pub moved_in: usize,
}

/// An item as listed: its id, reference, queue and a note (reason or queue change).
pub(super) struct ItemRow {
    pub id: i64,
    pub reference: String,
    pub queue: String,
    pub note: String,
}

/// The report as the page shows it.
pub(super) struct SimulationView {
    pub items: usize,
    pub assigned: usize,
    pub unassigned: usize,
    pub changed: usize,
    pub queues: Vec<QueueRow>,
    pub agents: Vec<(String, usize)>,
    pub unassigned_items: Vec<ItemRow>,
    pub queue_changes: Vec<ItemRow>,
}

/// Reads the router's report.
pub(super) fn view_of(report: serde_json::Value) -> Result<SimulationView, serde_json::Error> {
    let report: Report = serde_json::from_value(report)?;
    let reference = |id: i64| switchboard_core::WorkItemId::new(id).reference();
    Ok(SimulationView {
        items: report.items,
        assigned: report.assignments.len(),
        unassigned: report.unassigned.len(),
        changed: report.queue_changes.len(),
        queues: report
            .queues
            .into_iter()
            .map(|(name, figures)| QueueRow {
                name,
                items: figures.items,
                assigned: figures.assigned,
                waiting: figures.unassigned,
                avg_wait: duration(figures.avg_wait_seconds.round() as i64),
                p90_wait: duration(figures.p90_wait_seconds),
                max_wait: duration(figures.max_wait_seconds),
                moved_in: figures.moved_in,
            })
            .collect(),
        agents: report.agents.into_iter().collect(),
        unassigned_items: report
            .unassigned
            .into_iter()
            .take(LISTED)
            .map(|item| ItemRow {
                id: item.item_id,
                reference: reference(item.item_id),
                queue: item.queue,
                note: item.reason,
            })
            .collect(),
        queue_changes: report
            .queue_changes
            .into_iter()
            .take(LISTED)
            .map(|change| ItemRow {
                id: change.item_id,
                reference: reference(change.item_id),
                note: format!(
                    "{} \u{2192} {}",
                    change.from.as_deref().unwrap_or("\u{2013}"),
                    change.to
                ),
                queue: change.to,
            })
            .collect(),
    })
}

/// `1h 05m`, `4m 10s`, `12s`.
fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (hours, minutes, rest) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m {rest:02}s")
    } else {
        format!("{rest}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_reads_into_rows() {
        let report = serde_json::json!({
            "items": 3,
            "assignments": [{"item_id": 1, "queue": "inbox", "agent": "anna", "wait_seconds": 75}],
            "unassigned": [{"item_id": 2, "queue": "fax", "reason": "no agent has channel:fax"}],
            "queues": {"inbox": {"items": 2, "assigned": 1, "unassigned": 1, "avg_wait_seconds": 75.0,
                        "p90_wait_seconds": 75, "max_wait_seconds": 3900, "moved_in": 1}},
            "agents": {"anna": 1},
            "queue_changes": [{"item_id": 3, "from": null, "to": "inbox"}],
        });
        let view = view_of(report).unwrap();
        assert_eq!(
            (view.items, view.assigned, view.unassigned, view.changed),
            (3, 1, 1, 1)
        );
        assert_eq!(view.queues[0].avg_wait, "1m 15s");
        assert_eq!(view.queues[0].max_wait, "1h 05m");
        assert_eq!(view.unassigned_items[0].note, "no agent has channel:fax");
        assert_eq!(view.queue_changes[0].note, "\u{2013} \u{2192} inbox");
        assert_eq!(view.agents, vec![("anna".to_owned(), 1)]);
    }
}
