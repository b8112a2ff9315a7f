//! The floor's tantivy part (`floor tantivy`, `../shared/floor`), run beside this benchmark at
//! the same item count where the floor allows, and the figures of its table ours compare with.

use crate::shared::{floor_median, floor_output};

/// The floor's query cases; each of ours names the one it compares with.
pub const FLOOR_CASES: [&str; 3] = ["1 term", "2 terms OR", "2 terms AND"];

/// What `floor tantivy` measured on its index closest to ours.
pub struct Floor {
    /// Documents in that index: ours, unless the floor capped its large index to its time budget.
    pub docs: usize,
    /// Building that index (generation, indexing, commit and merges), docs/s.
    pub build_per_second: f64,
    /// p50 and p99 in µs of each of [`FLOOR_CASES`], in that order.
    latencies: Vec<(f64, f64)>,
}

impl Floor {
    /// Runs the floor (see [`Floor::run`]) and prints the index it built, for the benchmark
    /// named `bench`.
    pub fn run_and_report(bench: &str, items: usize) -> Option<Self> {
        eprintln!("[{bench}] running the floor (floor tantivy) at {items} docs ...");
        let floor = Self::run(items)?;
        println!(
            "floor tantivy: {}-doc index built at {:.0} docs/s; load {}",
            floor.docs,
            floor.build_per_second,
            crate::shared::load_line()
        );
        Some(floor)
    }

    /// Runs `floor tantivy` with its large index at `items` documents (`FLOOR_REPS` repetitions,
    /// default 3), or says how to get the floor binary. Under 100,000 items (smoke runs) the
    /// floor runs `--quick`, which shrinks its fixed 100k index to 20k.
    pub fn run(items: usize) -> Option<Self> {
        let reps = std::env::var("FLOOR_REPS").unwrap_or_else(|_| "3".to_owned());
        let large = items.to_string();
        let mut args = vec!["tantivy", "--reps", &reps, "--large", &large];
        if items < 100_000 {
            args.push("--quick");
        }
        let output = floor_output(&args)?;
        let Some(docs) = built_sizes(&output)
            .into_iter()
            .max_by_key(|&docs| (docs == items, docs))
        else {
            println!("floor: no index build in its output:\n{output}");
            return None;
        };
        let label = size_label(docs);
        let latency = |case: &str, quantile: &str| {
            floor_median(
                &output,
                &[&format!(
                    "query {label} docs, {case}, top-10 BM25: {quantile}"
                )],
            )
        };
        let latencies = FLOOR_CASES
            .iter()
            .map(|case| Some((latency(case, "p50")?, latency(case, "p99")?)))
            .collect::<Option<_>>()?;
        Some(Self {
            docs,
            build_per_second: floor_median(&output, &[&format!("build {docs}-doc index")])?,
            latencies,
        })
    }

    /// p50 and p99 in µs of the floor's `case` (one of [`FLOOR_CASES`]).
    pub fn latency(&self, case: &str) -> (f64, f64) {
        let position = FLOOR_CASES.iter().position(|known| *known == case);
        self.latencies[position.expect("a floor case")]
    }
}

/// The sizes of the indexes the floor built (`build 100000-doc index, …` rows).
fn built_sizes(output: &str) -> Vec<usize> {
    output
        .lines()
        .filter_map(|line| line.split("| build ").nth(1)?.split("-doc index").next())
        .filter_map(|docs| docs.parse().ok())
        .collect()
}

/// `100k`, `1M`: how the floor and this benchmark name an index size.
pub fn size_label(items: usize) -> String {
    if items >= 1_000_000 {
        format!("{}M", items / 1_000_000)
    } else {
        format!("{}k", items / 1000)
    }
}
