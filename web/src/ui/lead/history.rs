//! The board's history charts over the last day: the backlog per channel (from the serving
//! nodes' samples), SLA attainment per queue (the SLA report), and per agent the assignments and
//! the median handling time (the assignment rows). Built from what the page read; no I/O.

use chrono::{DateTime, Duration, Utc};
use switchboard_core::history::{AgentActivity, BacklogSample};
use switchboard_core::item::Channel;
use switchboard_core::sla_report::SlaReport;

use super::charts::{BarChart, Legend, Part, bar_chart};
use super::line_chart::{LineChart, Series, line_chart};
use super::view::age_text;
use crate::ui::i18n::Texts;

/// How far back the history charts look.
pub const HISTORY_HOURS: i64 = 24;

/// What the history charts are drawn from.
pub struct BoardHistory {
    /// Start of the period.
    pub from: DateTime<Utc>,
    /// End of the period (now).
    pub to: DateTime<Utc>,
    /// Backlog samples in the period, oldest first.
    pub samples: Vec<BacklogSample>,
    /// The SLA report of the items due in the period.
    pub sla: SlaReport,
    /// Per agent, what they were given and finished in the period.
    pub activity: Vec<AgentActivity>,
}

/// The drawn history.
pub struct HistoryCharts {
    /// Waiting items per channel over time.
    pub backlog: LineChart,
    /// SLA attainment, assignments and handling time.
    pub bars: Vec<BarChart>,
}

/// The CSS class of a channel's line.
fn line_class(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "line-email",
        Channel::Fax => "line-fax",
        Channel::Voicemail => "line-voicemail",
        Channel::Letter => "line-letter",
        Channel::Task => "line-task",
    }
}

/// One series per channel that has samples, in the channels' order.
fn backlog_series(samples: &[BacklogSample]) -> Vec<Series> {
    Channel::ALL
        .iter()
        .map(|channel| Series {
            label: channel.to_string(),
            class: line_class(*channel),
            points: samples
                .iter()
                .filter(|sample| sample.channel == *channel)
                .map(|sample| (sample.at, sample.waiting))
                .collect(),
        })
        .filter(|series| !series.points.is_empty())
        .collect()
}

fn part(value: u32, class: &'static str, title: String) -> Part {
    Part {
        value,
        class,
        title,
    }
}

/// Met and breached per queue, summed over the queue's channels, in queue order.
fn sla_per_queue(report: &SlaReport, t: &Texts) -> Vec<(String, u32, u32, u32)> {
    let mut per_queue: Vec<(String, u32, u32, u32)> = Vec::new();
    for group in &report.groups {
        let name = group
            .queue
            .clone()
            .unwrap_or_else(|| t.get("lead.no_queue").to_owned());
        let index = match per_queue.iter().position(|(queue, ..)| *queue == name) {
            Some(index) => index,
            None => {
                per_queue.push((name, 0, 0, 0));
                per_queue.len() - 1
            }
        };
        let sums = &mut per_queue[index];
        sums.1 += group.met;
        sums.2 += group.breached;
        sums.3 += group.open;
    }
    per_queue
}

/// "93 %" of the decided items met, or "–" when none is decided yet.
pub fn attainment_text(met: u32, breached: u32) -> String {
    let decided = met + breached;
    if decided == 0 {
        return "–".to_owned();
    }
    let percent = u64::from(met) * 100 / u64::from(decided);
    format!("{percent} %")
}

fn sla_chart(report: &SlaReport, t: &Texts) -> BarChart {
    let rows = sla_per_queue(report, t)
        .into_iter()
        .map(|(queue, met, breached, open)| {
            let parts = vec![
                part(met, "seg-fine", format!("{}: {met}", t.get("lead.met"))),
                part(
                    breached,
                    "seg-breached",
                    format!("{}: {breached}", t.get("lead.breached")),
                ),
                part(open, "seg-free", format!("{}: {open}", t.get("lead.open"))),
            ];
            (queue, attainment_text(met, breached), parts)
        })
        .collect();
    let legend = vec![
        Legend {
            class: "seg-fine",
            label_key: "lead.met",
        },
        Legend {
            class: "seg-breached",
            label_key: "lead.breached",
        },
        Legend {
            class: "seg-free",
            label_key: "lead.open",
        },
    ];
    bar_chart("chart-sla", "lead.chart_sla", rows, legend).when_empty("lead.no_history")
}

fn assignments_chart(activity: &[AgentActivity], t: &Texts) -> BarChart {
    let rows = activity
        .iter()
        .map(|agent| {
            let done = agent.done.min(agent.assigned);
            let parts = vec![
                part(
                    done,
                    "seg-load",
                    format!("{}: {}", t.get("lead.done_short"), agent.done),
                ),
                part(
                    agent.assigned - done,
                    "seg-free",
                    format!("{}: {}", t.get("lead.assigned"), agent.assigned),
                ),
            ];
            let figure = format!(
                "{} ({} {})",
                agent.assigned,
                agent.done,
                t.get("lead.done_short")
            );
            (agent.login.to_string(), figure, parts)
        })
        .collect();
    let legend = vec![
        Legend {
            class: "seg-load",
            label_key: "lead.done_short",
        },
        Legend {
            class: "seg-free",
            label_key: "lead.assigned",
        },
    ];
    bar_chart("chart-assigned", "lead.chart_assigned", rows, legend).when_empty("lead.no_history")
}

fn handling_chart(activity: &[AgentActivity], t: &Texts) -> BarChart {
    let rows = activity
        .iter()
        .filter_map(|agent| {
            let median = agent.handling_seconds_median?;
            let seconds = u32::try_from(median.max(0)).unwrap_or(u32::MAX);
            let title = format!("{}: {}", t.get("lead.handling"), age_text(median));
            Some((
                agent.login.to_string(),
                age_text(median),
                vec![part(seconds, "seg-age", title)],
            ))
        })
        .collect();
    bar_chart("chart-handling", "lead.chart_handling", rows, Vec::new())
        .when_empty("lead.no_history")
}

/// Draws the history charts; the backlog chart breaks its lines where more than two samples
/// in a row are missing (`sample_every` apart).
pub fn history_charts(history: &BoardHistory, sample_every: Duration, t: &Texts) -> HistoryCharts {
    HistoryCharts {
        backlog: line_chart(
            "chart-backlog",
            "lead.chart_backlog",
            history.from,
            history.to,
            sample_every * 3,
            backlog_series(&history.samples),
            t.get("lead.now"),
        ),
        bars: vec![
            sla_chart(&history.sla, t),
            assignments_chart(&history.activity, t),
            handling_chart(&history.activity, t),
        ],
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use switchboard_core::Login;
    use switchboard_core::sla_report::SlaGroupReport;

    use super::*;
    use crate::ui::i18n::{Catalog, Lang};

    fn at(hour: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap() + Duration::hours(hour)
    }

    fn group(queue: &str, channel: Channel, met: u32, breached: u32) -> SlaGroupReport {
        SlaGroupReport {
            queue: Some(queue.into()),
            channel,
            due: met + breached,
            met,
            breached,
            open: 0,
            breach_rate: None,
            answer_seconds_median: None,
            answer_seconds_p90: None,
        }
    }

    fn history() -> BoardHistory {
        let sample = |hour, channel, waiting| BacklogSample {
            at: at(hour),
            channel,
            waiting,
        };
        BoardHistory {
            from: at(0),
            to: at(24),
            samples: vec![
                sample(1, Channel::Email, 4),
                sample(1, Channel::Fax, 0),
                sample(2, Channel::Email, 8),
            ],
            sla: SlaReport {
                from: at(0),
                to: at(24),
                groups: vec![
                    group("inbox", Channel::Email, 6, 1),
                    group("inbox", Channel::Fax, 3, 0),
                    group("vip", Channel::Email, 0, 0),
                ],
            },
            activity: vec![
                AgentActivity {
                    login: Login::new("ann"),
                    assigned: 5,
                    done: 3,
                    handling_seconds_median: Some(600),
                },
                AgentActivity {
                    login: Login::new("bea"),
                    assigned: 2,
                    done: 0,
                    handling_seconds_median: None,
                },
            ],
        }
    }

    #[test]
    fn attainment_is_the_share_of_decided_items_met() {
        assert_eq!(attainment_text(9, 1), "90 %");
        assert_eq!(attainment_text(2, 1), "66 %");
        assert_eq!(attainment_text(0, 0), "–");
    }

    #[test]
    fn the_history_charts_draw_their_figures() {
        let catalog = Catalog::embedded();
        let charts = history_charts(&history(), Duration::minutes(5), catalog.texts(Lang::En));
        let legend: Vec<&str> = charts
            .backlog
            .legend
            .iter()
            .map(|entry| entry.label.as_str())
            .collect();
        assert_eq!(legend, ["email", "fax"]);
        assert_eq!(
            charts.backlog.lines.len(),
            3,
            "email's samples are an hour apart"
        );

        let [sla, assigned, handling] = charts.bars.as_slice() else {
            panic!("three bar charts");
        };
        let figures: Vec<(&str, &str)> = sla
            .bars
            .iter()
            .map(|bar| (bar.label.as_str(), bar.figure.as_str()))
            .collect();
        assert_eq!(figures, [("inbox", "90 %"), ("vip", "–")]);
        assert_eq!(sla.bars[0].segments.len(), 2, "met and breached");
        assert_eq!(assigned.bars[0].figure, "5 (3 done)");
        assert_eq!(assigned.bars[1].figure, "2 (0 done)");
        assert_eq!(handling.bars.len(), 1, "only agents who finished something");
        assert_eq!(handling.bars[0].figure, "10 min");
        assert_eq!(handling.empty_key, "lead.no_history");
    }
}
