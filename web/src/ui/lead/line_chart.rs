//! A time line chart as plain geometry for an SVG template: one polyline per series over a
//! fixed period, broken where samples are missing, with hour ticks along the bottom and the
//! count scale on the left. No chart library and no script.

use chrono::{DateTime, Duration, Utc};

/// One series: its label, CSS class (the colour) and points in time order.
pub struct Series {
    /// What the legend calls it.
    pub label: String,
    /// The CSS class of its line and swatch, e.g. `line-email`.
    pub class: &'static str,
    /// (when, value), oldest first.
    pub points: Vec<(DateTime<Utc>, u32)>,
}

/// A drawn run of one series: a `points` attribute.
pub struct Polyline {
    /// The CSS class.
    pub class: &'static str,
    /// The series' label (the tooltip).
    pub label: String,
    /// `x,y x,y ...`.
    pub points: String,
}

/// A tick with its label.
pub struct Tick {
    /// Horizontal position of the label.
    pub x: u32,
    /// Vertical position of the label.
    pub y: u32,
    /// The label.
    pub label: String,
}

/// A legend entry with its text (series labels are data, not text keys).
pub struct SeriesLegend {
    /// The CSS class of its swatch.
    pub class: &'static str,
    /// Its label.
    pub label: String,
}

/// A line chart, sized for its `viewBox`.
pub struct LineChart {
    /// The DOM id.
    pub id: &'static str,
    /// The text key of its caption.
    pub title_key: &'static str,
    /// Total width.
    pub width: u32,
    /// Total height.
    pub height: u32,
    /// The plot area's left edge.
    pub left: u32,
    /// The plot area's right edge.
    pub right: u32,
    /// Runs of the series.
    pub lines: Vec<Polyline>,
    /// Time ticks along the bottom.
    pub x_ticks: Vec<Tick>,
    /// Value ticks on the left, with a grid line at each `y`.
    pub y_ticks: Vec<Tick>,
    /// One entry per series.
    pub legend: Vec<SeriesLegend>,
    /// Whether any series has a point.
    pub has_points: bool,
}

const WIDTH: u32 = 560;
const HEIGHT: u32 = 200;
const LEFT: u32 = 44;
const RIGHT: u32 = 550;
const TOP: u32 = 10;
const BOTTOM: u32 = 176;
/// Hours between two time ticks.
const TICK_HOURS: i64 = 6;

/// The smallest "round" number (1, 2 or 5 times a power of ten) at least `value`, so the scale
/// reads well; at least 1.
pub fn round_up(value: u32) -> u32 {
    let mut magnitude: u32 = 1;
    loop {
        for step in [1, 2, 5] {
            let candidate = magnitude.saturating_mul(step);
            if candidate >= value {
                return candidate;
            }
        }
        if magnitude > u32::MAX / 10 {
            return value;
        }
        magnitude *= 10;
    }
}

/// Lays out `series` over `[from, to]`: consecutive points further apart than `gap` are not
/// joined (the samples in between are missing); the scale goes from zero to [`round_up`] of the
/// largest value. `now_label` names the right end; other ticks read "-6 h" and so on.
pub fn line_chart(
    id: &'static str,
    title_key: &'static str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    gap: Duration,
    series: Vec<Series>,
    now_label: &str,
) -> LineChart {
    debug_assert!(from < to, "a chart covers a period");
    let span = (to - from).num_seconds().max(1);
    let largest = series
        .iter()
        .flat_map(|series| series.points.iter().map(|(_, value)| *value))
        .max()
        .unwrap_or(0);
    let scale = round_up(largest);
    let x_of = |at: DateTime<Utc>| -> u32 {
        let offset = (at - from).num_seconds().clamp(0, span);
        let x = i64::from(LEFT) + offset * i64::from(RIGHT - LEFT) / span;
        u32::try_from(x).unwrap_or(RIGHT)
    };
    let y_of = |value: u32| -> u32 {
        let height = u64::from(value.min(scale)) * u64::from(BOTTOM - TOP) / u64::from(scale);
        BOTTOM - u32::try_from(height).unwrap_or(BOTTOM - TOP)
    };
    let mut lines = Vec::new();
    let mut legend = Vec::new();
    let mut has_points = false;
    for series in series {
        has_points |= !series.points.is_empty();
        for run in runs(&series.points, gap) {
            let mut points: Vec<String> = run
                .iter()
                .map(|(at, value)| format!("{},{}", x_of(*at), y_of(*value)))
                .collect();
            // A lone sample: a zero-length line, which round line caps draw as a dot.
            if let [only] = points.as_slice() {
                points.push(only.clone());
            }
            lines.push(Polyline {
                class: series.class,
                label: series.label.clone(),
                points: points.join(" "),
            });
        }
        legend.push(SeriesLegend {
            class: series.class,
            label: series.label,
        });
    }
    let hours = span / 3600;
    let x_ticks = (0..=hours / TICK_HOURS)
        .map(|step| {
            let before_now = hours - step * TICK_HOURS;
            let at = to - Duration::hours(before_now);
            let label = if before_now == 0 {
                now_label.to_owned()
            } else {
                format!("-{before_now} h")
            };
            Tick {
                x: x_of(at),
                y: BOTTOM + 16,
                label,
            }
        })
        .collect();
    let middle = scale.is_multiple_of(2).then_some(scale / 2);
    let y_ticks = [Some(0), middle, Some(scale)]
        .into_iter()
        .flatten()
        .map(|value| Tick {
            x: LEFT - 6,
            y: y_of(value),
            label: value.to_string(),
        })
        .collect();
    LineChart {
        id,
        title_key,
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right: RIGHT,
        lines,
        x_ticks,
        y_ticks,
        legend,
        has_points,
    }
}

/// Splits points into runs with no step longer than `gap`.
fn runs(points: &[(DateTime<Utc>, u32)], gap: Duration) -> Vec<&[(DateTime<Utc>, u32)]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for index in 1..points.len() {
        if points[index].0 - points[index - 1].0 > gap {
            runs.push(&points[start..index]);
            start = index;
        }
    }
    if start < points.len() {
        runs.push(&points[start..]);
    }
    runs
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 3, 0, 0, 0).unwrap() + Duration::minutes(minute)
    }

    fn day_chart(series: Vec<Series>) -> LineChart {
        line_chart(
            "c",
            "t",
            at(0),
            at(24 * 60),
            Duration::minutes(10),
            series,
            "now",
        )
    }

    #[test]
    fn scales_round_up_to_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(round_up(0), 1);
        assert_eq!(round_up(1), 1);
        assert_eq!(round_up(3), 5);
        assert_eq!(round_up(7), 10);
        assert_eq!(round_up(11), 20);
        assert_eq!(round_up(20), 20);
        assert_eq!(round_up(430), 500);
        assert_eq!(round_up(501), 1000);
        assert_eq!(round_up(u32::MAX), u32::MAX);
    }

    #[test]
    fn points_map_time_to_x_and_the_largest_round_value_to_the_top() {
        let chart = day_chart(vec![Series {
            label: "email".into(),
            class: "line-email",
            points: vec![
                (at(0), 0),
                (at(5), 10),
                (at(12 * 60), 5),
                (at(12 * 60 + 10), 4),
            ],
        }]);
        assert!(chart.has_points);
        assert_eq!(
            chart.lines.len(),
            2,
            "the step from 00:05 to 12:00 is a gap"
        );
        assert_eq!(
            chart.lines[0].points,
            format!(
                "{LEFT},{BOTTOM} {},{TOP}",
                LEFT + (RIGHT - LEFT) * 5 / (24 * 60)
            )
        );
        let middle = (LEFT + RIGHT) / 2;
        let half = BOTTOM - (BOTTOM - TOP) / 2;
        assert!(
            chart.lines[1]
                .points
                .starts_with(&format!("{middle},{half} "))
        );
        let end = LEFT + (RIGHT - LEFT) * (12 * 60 + 10) / (24 * 60);
        let four = BOTTOM - (BOTTOM - TOP) * 4 / 10;
        assert!(chart.lines[1].points.ends_with(&format!(" {end},{four}")));
        assert_eq!(chart.legend.len(), 1);
        assert_eq!(chart.legend[0].class, "line-email");
    }

    #[test]
    fn ticks_mark_every_six_hours_up_to_now_and_the_scale() {
        let chart = day_chart(vec![Series {
            label: "fax".into(),
            class: "line-fax",
            points: vec![(at(60), 3)],
        }]);
        let labels: Vec<&str> = chart
            .x_ticks
            .iter()
            .map(|tick| tick.label.as_str())
            .collect();
        assert_eq!(labels, ["-24 h", "-18 h", "-12 h", "-6 h", "now"]);
        assert_eq!(chart.x_ticks[0].x, LEFT);
        assert_eq!(chart.x_ticks[4].x, RIGHT);
        let values: Vec<&str> = chart
            .y_ticks
            .iter()
            .map(|tick| tick.label.as_str())
            .collect();
        assert_eq!(values, ["0", "5"], "an odd scale has no middle tick");
        assert_eq!(chart.lines.len(), 1);
        let dot = format!(
            "{},{}",
            LEFT + (RIGHT - LEFT) / 24,
            BOTTOM - (BOTTOM - TOP) * 3 / 5
        );
        assert_eq!(
            chart.lines[0].points,
            format!("{dot} {dot}"),
            "a lone sample is a dot"
        );
    }

    #[test]
    fn a_chart_without_samples_says_so_and_draws_nothing() {
        let chart = day_chart(vec![Series {
            label: "email".into(),
            class: "line-email",
            points: Vec::new(),
        }]);
        assert!(!chart.has_points);
        assert!(chart.lines.is_empty());
        let values: Vec<&str> = chart
            .y_ticks
            .iter()
            .map(|tick| tick.label.as_str())
            .collect();
        assert_eq!(values, ["0", "1"]);
    }
}
