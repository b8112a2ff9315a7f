//! Index benchmark: indexing throughput through the writer thread and search latency (p50/p99)
//! for one term, two terms OR and two terms AND with filters, over generated items, on an idle
//! index and while ingest runs, each beside the raw tantivy floor measured in the same run.
//!
//! `cargo bench -p switchboard-search --bench index` runs 100k items; set
//! `SWITCHBOARD_BENCH_ITEMS=1000000` for the 1M figures (slow: generation and indexing take
//! minutes). `SWITCHBOARD_BENCH_QUERIES` sets the queries per case (2,000),
//! `SWITCHBOARD_BENCH_INGEST_RATE` the changes/s fed while queries run (200), `FLOOR_BIN` the
//! floor binary (default `/work/target-floor/release/floor`; built from `../shared/floor` with
//! `cargo build --release`) and `FLOOR_REPS` its repetitions (3).
//!
//! Items are generated like the floor's (see `support/corpus.rs`) but go through this crate's
//! schema. Targets at 1M items: p99 ≤ 5 ms for one term, ≤ 17 ms for two terms OR, ≤ 50 ms for
//! two terms AND with filters.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "benchmark harness: failures abort, casts are of small counts"
)]

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use cpu_time::{ProcessTime, ThreadTime};
use switchboard_core::item::ItemStatus;
use switchboard_search::index::{
    Change, Doc, DocKind, IndexConfig, IndexHandle, MatchMode, SearchQuery,
};

use self::shared::load_line;
use self::support::corpus::{CHANNELS, Rng, START, Vocab, gen_item, query_terms};
use self::support::floor::{Floor, size_label};
use self::support::ingest::Feeder;

#[path = "../../server/benches/support/mod.rs"]
mod shared;
mod support;

/// A query case: the queries, the floor case it compares with and its p99 target at 1M items.
struct Case {
    name: String,
    floor_case: &'static str,
    target_p99_ms: f64,
    snippets: bool,
    queries: Vec<SearchQuery>,
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

struct Latency {
    wall_p50_us: f64,
    wall_p99_us: f64,
    cpu_p50_us: f64,
    cpu_p99_us: f64,
    qps: f64,
    mean_hits: f64,
}

/// Runs the queries once to warm up, then once measured: wall time and this thread's CPU
/// time per query (the CPU time leaves out waiting for a core on a busy machine).
fn measure(index: &IndexHandle, queries: &[SearchQuery]) -> Latency {
    for query in queries.iter().take(200) {
        std::hint::black_box(index.search(query).unwrap());
    }
    let mut wall = Vec::with_capacity(queries.len());
    let mut cpu = Vec::with_capacity(queries.len());
    let mut hits = 0usize;
    let started = Instant::now();
    for query in queries {
        let one = Instant::now();
        let one_cpu = ThreadTime::now();
        let results = index.search(query).unwrap();
        cpu.push(one_cpu.elapsed());
        wall.push(one.elapsed());
        hits += results.hits.len();
        std::hint::black_box(results);
    }
    let qps = queries.len() as f64 / started.elapsed().as_secs_f64();
    wall.sort();
    cpu.sort();
    Latency {
        wall_p50_us: percentile(&wall, 0.5).as_secs_f64() * 1e6,
        wall_p99_us: percentile(&wall, 0.99).as_secs_f64() * 1e6,
        cpu_p50_us: percentile(&cpu, 0.5).as_secs_f64() * 1e6,
        cpu_p99_us: percentile(&cpu, 0.99).as_secs_f64() * 1e6,
        qps,
        mean_hits: hits as f64 / queries.len() as f64,
    }
}

fn config() -> IndexConfig {
    IndexConfig {
        writer_threads: 2,
        writer_memory_bytes: 400 * 1024 * 1024,
        ..IndexConfig::default()
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|raw| raw.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// `floor` and `ratio` cells beside one of our throughputs.
fn throughput_row(measurement: &str, per_second: f64, unit: &str, floor: Option<&Floor>) {
    let (floor_cell, ratio) = floor.map_or((String::new(), String::new()), |floor| {
        (
            format!("{:.0}", floor.build_per_second),
            format!("{:.2}", per_second / floor.build_per_second),
        )
    });
    println!("| {measurement} | {per_second:.0} | {unit} | {floor_cell} | {ratio} |");
}

/// Measures `cases` on `index` and prints a table of them beside the floor and the targets.
fn query_table(title: &str, index: &IndexHandle, cases: &[&Case], floor: Option<&Floor>) {
    let floor_title = floor.map_or(String::new(), |floor| {
        format!(" ({} docs, no filters)", size_label(floor.docs))
    });
    println!(
        "| {title}, top-10 ({} segments) | wall p50 µs | wall p99 µs | p99 target (1M) | CPU p50 µs | CPU p99 µs | queries/s | mean hits | floor p50 µs{floor_title} | floor p99 µs | p99 / floor p99 |",
        index.segment_count()
    );
    println!("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for case in cases {
        let l = measure(index, &case.queries);
        let target = if l.wall_p99_us <= case.target_p99_ms * 1000.0 {
            "met"
        } else {
            "missed"
        };
        let floor_cells = floor.map_or("| | |".to_owned(), |floor| {
            let (p50, p99) = floor.latency(case.floor_case);
            format!("{p50:.0} | {p99:.0} | {:.2} |", l.wall_p99_us / p99)
        });
        println!(
            "| {} | {:.0} | {:.0} | ≤ {} ms: {target} | {:.0} | {:.0} | {:.0} | {:.1} | {floor_cells}",
            case.name,
            l.wall_p50_us,
            l.wall_p99_us,
            case.target_p99_ms,
            l.cpu_p50_us,
            l.cpu_p99_us,
            l.qps,
            l.mean_hits
        );
    }
    println!();
}

/// Feeds `size` generated items through the writer thread in batches of 1,000, as the change
/// feed would, commits and stops the writer; returns seconds until committed, until the merges
/// finished, and the process's CPU seconds.
fn feed(dir: &std::path::Path, vocab: &Vocab, size: usize) -> (f64, f64, f64) {
    let index = IndexHandle::open(dir, config()).unwrap();
    let mut rng = Rng::new(1234);
    let started = Instant::now();
    let started_cpu = ProcessTime::now();
    let mut batch = Vec::with_capacity(1000);
    let (_keep, pause) = std::sync::mpsc::channel::<()>();
    for id in 1..=size as i64 {
        batch.push((id, Change::Upsert(gen_item(vocab, &mut rng, id))));
        if batch.len() == 1000 {
            index.apply(std::mem::take(&mut batch)).unwrap();
            // Back-pressure as a feeder applies it: wait while the writer is behind.
            while index.queued() > 20_000 {
                let _ = pause.recv_timeout(Duration::from_millis(2));
            }
        }
    }
    index.apply(batch).unwrap();
    index.commit().unwrap();
    let fed_secs = started.elapsed().as_secs_f64();
    index.shutdown().unwrap();
    let merged_secs = started.elapsed().as_secs_f64();
    (fed_secs, merged_secs, started_cpu.elapsed().as_secs_f64())
}

/// The query cases over `size` items: the three the targets name, then the same with snippets.
/// The filters: one channel, three of the four statuses, received in the later half.
fn cases(vocab: &Vocab, size: usize, query_count: usize) -> Vec<Case> {
    let mut qrng = Rng::new(5);
    let one = query_terms(vocab, &mut qrng, query_count, 1);
    let two = query_terms(vocab, &mut qrng, query_count, 2);
    let mut frng = Rng::new(77);
    let half = START + (size as i64) * 7 / 2;
    let plain = |q: &String, mode: MatchMode, snippets: bool| SearchQuery {
        snippets,
        limit: 10,
        ..SearchQuery::new(q.clone()).kind(DocKind::Item).mode(mode)
    };
    let mut filtered = |q: &String, snippets: bool| SearchQuery {
        channels: vec![CHANNELS[frng.below(4) as usize]],
        statuses: vec![
            ItemStatus::Queued,
            ItemStatus::Assigned,
            ItemStatus::Waiting,
        ],
        received_from: Some(Utc.timestamp_opt(half, 0).unwrap()),
        ..plain(q, MatchMode::All, snippets)
    };
    let mut cases = Vec::new();
    for snippets in [false, true] {
        let suffix = if snippets { ", snippets" } else { "" };
        cases.push(Case {
            name: format!("1 term{suffix}"),
            floor_case: "1 term",
            target_p99_ms: 5.0,
            snippets,
            queries: one
                .iter()
                .map(|q| plain(q, MatchMode::All, snippets))
                .collect(),
        });
        cases.push(Case {
            name: format!("2 terms OR{suffix}"),
            floor_case: "2 terms OR",
            target_p99_ms: 17.0,
            snippets,
            queries: two
                .iter()
                .map(|q| plain(q, MatchMode::Any, snippets))
                .collect(),
        });
        cases.push(Case {
            name: format!("2 terms AND + filters{suffix}"),
            floor_case: "2 terms AND",
            target_p99_ms: 50.0,
            snippets,
            queries: two.iter().map(|q| filtered(q, snippets)).collect(),
        });
    }
    cases
}

fn main() {
    let size = env_number("SWITCHBOARD_BENCH_ITEMS", 100_000);
    let query_count = env_number("SWITCHBOARD_BENCH_QUERIES", 2000);
    let ingest_rate = env_number("SWITCHBOARD_BENCH_INGEST_RATE", 200);
    // SWITCHBOARD_BENCH_NO_SNIPPETS=1 skips the snippet cases and the rebuild (for profiling).
    let quick = std::env::var_os("SWITCHBOARD_BENCH_NO_SNIPPETS").is_some();
    let label = size_label(size);

    let floor = Floor::run_and_report("index", size);
    let floor = floor.as_ref();

    eprintln!("[index] feeding {size} generated items ...");
    let vocab = Vocab::new(50_000);
    let dir = tempfile::tempdir().unwrap();
    let load_before = load_line();
    let (fed_secs, merged_secs, feed_cpu_secs) = feed(dir.path(), &vocab, size);
    let index = IndexHandle::open(dir.path(), config()).unwrap();
    assert_eq!(index.num_docs(), size as u64);

    println!();
    println!(
        "## switchboard-search index, {label} items (this machine; load average before: {load_before})"
    );
    println!();
    let floor_build = floor.map_or(String::new(), |floor| {
        format!(" (build of {} docs, generation + merges incl.)", floor.docs)
    });
    println!("| measurement | value | unit | floor{floor_build} | ratio to floor |");
    println!("|---|---:|---|---:|---:|");
    throughput_row(
        &format!("feed {size} items via apply (batches of 1,000), generation + commit incl."),
        size as f64 / fed_secs,
        "items/s",
        floor,
    );
    throughput_row(
        "same, until merges finished (shutdown)",
        size as f64 / merged_secs,
        "items/s",
        floor,
    );
    throughput_row(
        "same, per CPU-second of the process (all threads)",
        size as f64 / feed_cpu_secs,
        "items/CPU-s",
        None,
    );
    println!();

    let cases = cases(&vocab, size, query_count);
    let measured: Vec<&Case> = cases
        .iter()
        .filter(|case| !(quick && case.snippets))
        .collect();
    query_table(&format!("{label} idle"), &index, &measured, floor);

    let fed = std::thread::scope(|scope| {
        let feeder = Feeder::start(scope, &index, &vocab, size, ingest_rate);
        query_table(
            &format!("{label} while ingest runs ({ingest_rate} changes/s)"),
            &index,
            &measured,
            floor,
        );
        feeder.stop()
    });
    println!(
        "ingest meanwhile: {} changes ({} new items, the rest items indexed again) in {:.1} s, {:.0} changes/s, {} segments at the end; load {}",
        fed.changes,
        fed.new_items,
        fed.seconds,
        fed.per_second(),
        index.segment_count(),
        load_line()
    );
    println!();
    index.commit().unwrap();

    if quick {
        return;
    }
    // Rebuild throughput: the same items from an iterator into a fresh generation.
    let mut rng = Rng::new(1234);
    let started = Instant::now();
    let started_cpu = ProcessTime::now();
    let docs = (1..=size as i64).map(|id| Doc::Item(gen_item(&vocab, &mut rng, id)));
    index.rebuild(docs, size as i64).unwrap();
    let rebuild_secs = started.elapsed().as_secs_f64();
    let rebuild_cpu_secs = started_cpu.elapsed().as_secs_f64();
    println!("| rebuild | value | unit | floor{floor_build} | ratio to floor |");
    println!("|---|---:|---|---:|---:|");
    throughput_row(
        &format!("rebuild {size} items into a new generation, generation + merges incl."),
        size as f64 / rebuild_secs,
        "items/s",
        floor,
    );
    throughput_row(
        "same, per CPU-second of the process",
        size as f64 / rebuild_cpu_secs,
        "items/CPU-s",
        None,
    );
    println!();
    // The same searches on the rebuilt generation (one commit, merged: as after a reindex).
    query_table(
        &format!("{label} after rebuild"),
        &index,
        &measured[..3],
        floor,
    );
    println!("load average after: {}", load_line());
    index.shutdown().unwrap();
}
