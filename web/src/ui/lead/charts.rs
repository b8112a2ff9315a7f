//! The board's charts as plain geometry for an SVG template: horizontal bars, one row per
//! label, each bar split into coloured segments. No chart library and no script: the server
//! computes every rectangle and the template writes `<rect>`s (texts escaped by the template).

/// One segment's value, its CSS class (the colour) and its tooltip.
pub struct Part {
    /// The value the segment stands for.
    pub value: u32,
    /// The CSS class that colours it, e.g. `seg-breached`.
    pub class: &'static str,
    /// What its tooltip says.
    pub title: String,
}

/// A drawn rectangle.
pub struct Segment {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width (0 for a zero value: not drawn).
    pub width: u32,
    /// Height.
    pub height: u32,
    /// The CSS class that colours it.
    pub class: &'static str,
    /// Its tooltip.
    pub title: String,
}

/// One row: its label, its segments and the figure written after the bar.
pub struct Bar {
    /// The row's label (left of the bar).
    pub label: String,
    /// Baseline of the row's texts.
    pub text_y: u32,
    /// The segments, left to right.
    pub segments: Vec<Segment>,
    /// The figure after the bar.
    pub figure: String,
    /// Where the figure starts.
    pub figure_x: u32,
}

/// A legend entry.
pub struct Legend {
    /// The CSS class of its swatch.
    pub class: &'static str,
    /// The text key of its label.
    pub label_key: &'static str,
}

/// A horizontal bar chart, sized for its `viewBox`.
pub struct BarChart {
    /// The DOM id (tests and the page's anchors).
    pub id: &'static str,
    /// The text key of its caption.
    pub title_key: &'static str,
    /// Total width.
    pub width: u32,
    /// Total height.
    pub height: u32,
    /// Where the bars start (the labels end 6 units before).
    pub label_width: u32,
    /// The rows.
    pub bars: Vec<Bar>,
    /// The legend.
    pub legend: Vec<Legend>,
    /// The text key shown instead of an empty chart.
    pub empty_key: &'static str,
}

impl BarChart {
    /// Says `key` instead of drawing an empty chart.
    pub fn when_empty(self, key: &'static str) -> Self {
        Self {
            empty_key: key,
            ..self
        }
    }
}

const WIDTH: u32 = 560;
const LABEL_WIDTH: u32 = 150;
const FIGURE_ROOM: u32 = 70;
const ROW: u32 = 26;
const BAR: u32 = 18;
const TOP: u32 = 6;

/// Lays out `rows` (label, figure, parts) as bars scaled so the longest fills the width; a row
/// whose parts sum to zero gets no rectangles.
pub fn bar_chart(
    id: &'static str,
    title_key: &'static str,
    rows: Vec<(String, String, Vec<Part>)>,
    legend: Vec<Legend>,
) -> BarChart {
    let longest = rows
        .iter()
        .map(|(_, _, parts)| parts.iter().map(|part| part.value).sum::<u32>())
        .max()
        .unwrap_or(0)
        .max(1);
    let room = WIDTH - LABEL_WIDTH - FIGURE_ROOM;
    let scaled = |value: u32| -> u32 {
        let width = u64::from(value) * u64::from(room) / u64::from(longest);
        u32::try_from(width).unwrap_or(room)
    };
    let bars: Vec<Bar> = rows
        .into_iter()
        .zip(0_u32..)
        .map(|((label, figure, parts), index)| {
            let y = TOP + index * ROW;
            let mut x = LABEL_WIDTH;
            let segments = parts
                .into_iter()
                .filter(|part| part.value > 0)
                .map(|part| {
                    let width = scaled(part.value).max(1);
                    let segment = Segment {
                        x,
                        y,
                        width,
                        height: BAR,
                        class: part.class,
                        title: part.title,
                    };
                    x += width;
                    segment
                })
                .collect();
            Bar {
                label,
                text_y: y + BAR - 4,
                segments,
                figure,
                figure_x: x + 6,
            }
        })
        .collect();
    let rows = u32::try_from(bars.len()).unwrap_or(u32::MAX).max(1);
    debug_assert!(bars.iter().all(|bar| bar.figure_x <= WIDTH));
    BarChart {
        id,
        title_key,
        width: WIDTH,
        height: TOP * 2 + rows * ROW,
        label_width: LABEL_WIDTH,
        bars,
        legend,
        empty_key: "lead.nothing_waiting",
    }
}

/// The age buckets of the waiting items' age chart: upper bound in seconds and label.
pub const AGE_BUCKETS: [(i64, &str); 6] = [
    (5 * 60, "< 5 min"),
    (15 * 60, "5–15 min"),
    (60 * 60, "15–60 min"),
    (4 * 3600, "1–4 h"),
    (24 * 3600, "4–24 h"),
    (i64::MAX, "≥ 24 h"),
];

/// Counts ages (seconds) per [`AGE_BUCKETS`] bucket.
pub fn age_histogram(ages: impl IntoIterator<Item = i64>) -> [u32; AGE_BUCKETS.len()] {
    let mut counts = [0_u32; AGE_BUCKETS.len()];
    for age in ages {
        let bucket = AGE_BUCKETS
            .iter()
            .position(|(below, _)| age < *below)
            .unwrap_or(AGE_BUCKETS.len() - 1);
        counts[bucket] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(value: u32, class: &'static str) -> Part {
        Part {
            value,
            class,
            title: format!("{value}"),
        }
    }

    #[test]
    fn the_longest_bar_fills_the_room_and_others_scale_with_it() {
        let chart = bar_chart(
            "c",
            "t",
            vec![
                ("a".into(), "10".into(), vec![part(6, "x"), part(4, "y")]),
                ("b".into(), "5".into(), vec![part(5, "x"), part(0, "y")]),
                ("c".into(), "0".into(), vec![part(0, "x")]),
            ],
            Vec::new(),
        );
        let room = WIDTH - LABEL_WIDTH - FIGURE_ROOM;
        let first: u32 = chart.bars[0].segments.iter().map(|s| s.width).sum();
        assert_eq!(first, room);
        assert_eq!(chart.bars[0].segments[1].x, LABEL_WIDTH + room * 6 / 10);
        assert_eq!(chart.bars[1].segments.len(), 1, "zero parts are not drawn");
        assert_eq!(chart.bars[1].segments[0].width, room / 2);
        assert!(chart.bars[2].segments.is_empty());
        assert!(chart.bars[1].text_y > chart.bars[0].text_y);
        assert_eq!(chart.height, TOP * 2 + 3 * ROW);
    }

    #[test]
    fn an_empty_chart_still_has_a_size() {
        let chart = bar_chart("c", "t", Vec::new(), Vec::new());
        assert!(chart.bars.is_empty());
        assert!(chart.height > 0);
    }

    #[test]
    fn ages_fall_in_their_buckets() {
        let counts = age_histogram([0, 299, 300, 3599, 3600, 86_399, 86_400, 10_000_000]);
        assert_eq!(counts, [2, 1, 1, 1, 1, 2]);
    }
}
