//! The board's rows and charts, built from the lead board, the routing snapshot it came from
//! and the router's explanations; no I/O.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use switchboard_core::board::{AgentLoad, BoardSla, LeadBoard, QueueChannelLoad, board_sla};
use switchboard_core::routing::{AssignmentKind, RoutingSnapshot, WaitingItemRouting};
use switchboard_core::{UserId, WorkItemId};
use switchboard_router::Explanation;

use super::charts::{AGE_BUCKETS, BarChart, Legend, Part, age_histogram, bar_chart};
use super::why::{WhyWaiting, why_waiting};
use crate::ui::i18n::Texts;

/// The most waiting items listed (the oldest first); the counts above cover all of them.
pub const MAX_WAITING_ROWS: usize = 300;

/// One queue and channel.
pub struct QueueRow {
    pub queue: String,
    pub channel: String,
    pub waiting: u32,
    pub oldest: String,
    pub at_risk: u32,
    pub breached: u32,
}

/// An item an agent owns or is offered.
pub struct CurrentRow {
    pub item: i64,
    pub reference: String,
    pub channel: String,
    pub offered: bool,
}

/// One agent.
pub struct AgentRow {
    pub login: String,
    pub status: String,
    pub load: u32,
    pub capacity: i32,
    pub full: bool,
    pub skills: String,
    pub current: Vec<CurrentRow>,
}

/// One waiting item.
pub struct WaitingRow {
    pub item: i64,
    pub reference: String,
    pub subject: String,
    pub channel: String,
    pub queue: String,
    pub status: String,
    pub priority: i32,
    pub age: String,
    pub sla: &'static str,
    pub sla_due: Option<String>,
    pub why: Option<WhyWaiting>,
}

/// Everything the board shows.
pub struct BoardView {
    pub queues: Vec<QueueRow>,
    pub agents: Vec<AgentRow>,
    pub waiting: Vec<WaitingRow>,
    pub waiting_total: usize,
    pub charts: Vec<BarChart>,
    pub queue_names: Vec<String>,
}

/// The longest subject shown in the waiting list, in characters.
pub const SUBJECT_CHARS: usize = 90;

/// A subject as one line for the waiting list: control characters and runs of white space become
/// one space, and a long one is cut with an ellipsis. (The template escapes it.)
pub fn subject_line(subject: &str) -> String {
    let line = subject
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match line.char_indices().nth(SUBJECT_CHARS) {
        Some((cut, _)) => format!("{}…", line[..cut].trim_end()),
        None => line,
    }
}

/// "2 d 4 h", "3 h 05 min", "12 min", "40 s".
pub fn age_text(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60);
    if days > 0 {
        format!("{days} d {hours} h")
    } else if hours > 0 {
        format!("{hours} h {minutes:02} min")
    } else if minutes > 0 {
        format!("{minutes} min")
    } else {
        format!("{seconds} s")
    }
}

fn queue_name(queue: Option<&String>, t: &Texts) -> String {
    queue
        .cloned()
        .unwrap_or_else(|| t.get("lead.no_queue").to_owned())
}

fn queue_row(load: &QueueChannelLoad, t: &Texts) -> QueueRow {
    QueueRow {
        queue: queue_name(load.queue.as_ref(), t),
        channel: load.channel.to_string(),
        waiting: load.waiting,
        oldest: age_text(load.oldest_age_seconds),
        at_risk: load.sla_at_risk,
        breached: load.sla_breached,
    }
}

fn agent_row(agent: &AgentLoad) -> AgentRow {
    AgentRow {
        login: agent.login.to_string(),
        status: agent.status.to_string(),
        load: agent.load,
        capacity: agent.capacity,
        full: i64::from(agent.load) >= i64::from(agent.capacity),
        skills: agent
            .skills
            .iter()
            .map(|skill| format!("{} ({})", skill.name, skill.level))
            .collect::<Vec<_>>()
            .join(", "),
        current: agent
            .current
            .iter()
            .map(|work| CurrentRow {
                item: work.item.get(),
                reference: work.reference.clone(),
                channel: work.channel.to_string(),
                offered: work.kind == AssignmentKind::Offer,
            })
            .collect(),
    }
}

/// The CSS class of a waiting item's SLA state.
fn sla_class(
    item: &WaitingItemRouting,
    now: DateTime<Utc>,
    breached: &HashSet<WorkItemId>,
) -> &'static str {
    if item.sla.is_none() && !breached.contains(&item.item) {
        return "none";
    }
    match board_sla(item, now, breached) {
        BoardSla::Fine => "fine",
        BoardSla::AtRisk => "at-risk",
        BoardSla::Breached => "breached",
    }
}

fn waiting_row(
    item: &WaitingItemRouting,
    inputs: &BoardInputs<'_>,
    queues: &HashMap<switchboard_core::QueueId, String>,
    logins: &HashMap<UserId, String>,
    board: &LeadBoard,
    t: &Texts,
) -> WaitingRow {
    WaitingRow {
        item: item.item.get(),
        reference: item.item.reference(),
        subject: inputs
            .subjects
            .get(&item.item)
            .map(|subject| subject_line(subject))
            .unwrap_or_default(),
        channel: item.channel.to_string(),
        queue: queue_name(item.queue.and_then(|id| queues.get(&id)), t),
        status: item.status.to_string(),
        priority: item.priority,
        age: age_text((board.at - item.received_at).num_seconds()),
        sla: sla_class(item, board.at, inputs.breached),
        sla_due: item.sla.map(|clock| clock.due_at.to_rfc3339()),
        why: inputs
            .explanations
            .get(&item.item)
            .map(|explanation| why_waiting(explanation, logins, t)),
    }
}

fn charts(board: &LeadBoard, snapshot: &RoutingSnapshot, t: &Texts) -> Vec<BarChart> {
    let mut per_queue: Vec<(String, [u32; 3])> = Vec::new();
    for load in &board.queues {
        let name = queue_name(load.queue.as_ref(), t);
        let fine = load
            .waiting
            .saturating_sub(load.sla_at_risk + load.sla_breached);
        let figures = [fine, load.sla_at_risk, load.sla_breached];
        match per_queue.iter_mut().find(|(queue, _)| *queue == name) {
            Some((_, sums)) => sums
                .iter_mut()
                .zip(figures)
                .for_each(|(sum, add)| *sum += add),
            None => per_queue.push((name, figures)),
        }
    }
    let sla_legend = vec![
        Legend {
            class: "seg-fine",
            label_key: "lead.within_sla",
        },
        Legend {
            class: "seg-risk",
            label_key: "lead.at_risk",
        },
        Legend {
            class: "seg-breached",
            label_key: "lead.breached",
        },
    ];
    let waiting_chart = bar_chart(
        "chart-waiting",
        "lead.chart_waiting",
        per_queue
            .into_iter()
            .map(|(queue, [fine, risk, breached])| {
                let total = (fine + risk + breached).to_string();
                let parts = vec![
                    part(fine, "seg-fine", t.get("lead.within_sla")),
                    part(risk, "seg-risk", t.get("lead.at_risk")),
                    part(breached, "seg-breached", t.get("lead.breached")),
                ];
                (queue, total, parts)
            })
            .collect(),
        sla_legend,
    );
    let ages = age_histogram(
        snapshot
            .items
            .iter()
            .map(|item| (board.at - item.received_at).num_seconds()),
    );
    let age_chart = bar_chart(
        "chart-ages",
        "lead.chart_ages",
        AGE_BUCKETS
            .iter()
            .zip(ages)
            .map(|((_, label), count)| {
                let parts = vec![part(count, "seg-age", t.get("lead.waiting"))];
                ((*label).to_owned(), count.to_string(), parts)
            })
            .collect(),
        Vec::new(),
    );
    let load_chart = bar_chart(
        "chart-load",
        "lead.chart_load",
        board
            .agents
            .iter()
            .map(|agent| {
                let capacity = u32::try_from(agent.capacity).unwrap_or(0);
                let used = agent.load.min(capacity);
                let parts = vec![
                    part(used, "seg-load", t.get("lead.load")),
                    part(agent.load - used, "seg-over", t.get("lead.over_capacity")),
                    part(capacity - used, "seg-free", t.get("lead.free")),
                ];
                let figure = format!("{}/{}", agent.load, agent.capacity);
                (agent.login.to_string(), figure, parts)
            })
            .collect(),
        vec![
            Legend {
                class: "seg-load",
                label_key: "lead.load",
            },
            Legend {
                class: "seg-free",
                label_key: "lead.free",
            },
            Legend {
                class: "seg-over",
                label_key: "lead.over_capacity",
            },
        ],
    );
    vec![waiting_chart, age_chart, load_chart]
}

fn part(value: u32, class: &'static str, label: &str) -> Part {
    Part {
        value,
        class,
        title: format!("{label}: {value}"),
    }
}

/// What the board is built from besides the lead board itself.
pub struct BoardInputs<'a> {
    /// The routing snapshot the board came from.
    pub snapshot: &'a RoutingSnapshot,
    /// Open items with a recorded breach.
    pub breached: &'a HashSet<WorkItemId>,
    /// The router's explanations, by item.
    pub explanations: &'a HashMap<WorkItemId, Explanation>,
    /// The subjects of the listed waiting items (see [`listed_items`]).
    pub subjects: &'a HashMap<WorkItemId, String>,
}

/// The waiting items the board lists: the oldest [`MAX_WAITING_ROWS`].
pub fn listed_items(snapshot: &RoutingSnapshot) -> Vec<WorkItemId> {
    snapshot
        .items
        .iter()
        .take(MAX_WAITING_ROWS)
        .map(|item| item.item)
        .collect()
}

/// Builds the board's view.
pub fn board_view(board: &LeadBoard, inputs: &BoardInputs<'_>, t: &Texts) -> BoardView {
    let snapshot = inputs.snapshot;
    let queues: HashMap<_, _> = snapshot
        .queues
        .iter()
        .map(|queue| (queue.id, queue.name.clone()))
        .collect();
    let logins: HashMap<UserId, String> = snapshot
        .agents
        .iter()
        .map(|agent| (agent.user, agent.login.to_string()))
        .collect();
    let mut queue_names: Vec<String> = queues.values().cloned().collect();
    queue_names.sort();
    BoardView {
        queues: board.queues.iter().map(|load| queue_row(load, t)).collect(),
        agents: board.agents.iter().map(agent_row).collect(),
        waiting: snapshot
            .items
            .iter()
            .take(MAX_WAITING_ROWS)
            .map(|item| waiting_row(item, inputs, &queues, &logins, board, t))
            .collect(),
        waiting_total: snapshot.items.len(),
        charts: charts(board, snapshot, t),
        queue_names,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_become_one_short_line() {
        assert_eq!(
            subject_line("  Order\r\n\t 12\u{0}34  late "),
            "Order 12 34 late"
        );
        assert_eq!(subject_line(""), "");
        let long = "word ".repeat(40);
        let line = subject_line(&long);
        assert_eq!(line.chars().count(), SUBJECT_CHARS);
        assert!(line.ends_with("word…") || line.ends_with("wor…") || line.ends_with('…'));
        assert_eq!(
            subject_line("<script>x</script>"),
            "<script>x</script>",
            "escaped by the template"
        );
    }

    #[test]
    fn ages_read_in_the_largest_sensible_units() {
        assert_eq!(age_text(40), "40 s");
        assert_eq!(age_text(12 * 60 + 5), "12 min");
        assert_eq!(age_text(3 * 3600 + 5 * 60), "3 h 05 min");
        assert_eq!(age_text(2 * 86_400 + 4 * 3600 + 59), "2 d 4 h");
        assert_eq!(age_text(-5), "0 s");
    }
}
