//! The search API under ingest: `GET /api/v1/search` latency p50/p99 from one sequential client,
//! over 100k (or 1M) generated items in SQLite, on an idle server and while items are ingested,
//! each beside the raw tantivy floor (`floor tantivy`) measured in the same run. Targets at 1M
//! items: p99 ≤ 5 ms for one term, ≤ 17 ms for two terms (OR), ≤ 50 ms for two terms (AND)
//! with filters.
//!
//! `cargo bench -p switchboard-server --bench search_api` runs 100,000 items;
//! `SEARCH_API_ITEMS=1000000` the 1M. `SEARCH_API_QUERIES` sets the queries per case
//! (2,000), `SEARCH_API_INGEST_RATE` the items/s inserted while ingest runs (200), `FLOOR_BIN`
//! the floor binary (default `/work/target-floor/release/floor`; built from `../shared/floor`
//! with `cargo build --release`) and `FLOOR_REPS` its repetitions (3). `SEARCH_API_DIR` keeps
//! the database and index in that folder instead of a temporary one and, when it already holds
//! them from an earlier run, starts from them (seeding and building 1M items take minutes; the
//! items ingested by earlier runs stay, so the item count grows a little each run).
//! `SEARCH_API_SLOWEST=N` prints each pass's N slowest requests (where a tail comes from);
//! `SEARCH_API_SEARCH_THREADS` the threads one search may use (the index's default: the cores,
//! at most four).
//!
//! 1. The store (SQLite in a temporary folder) is seeded with the index benchmark's generated
//!    items (`search/benches/support/corpus.rs`: the floor's Zipf text, sizes and seeds), each
//!    with its customer link and change-feed entry, in multi-row inserts (`seed.rs`). The
//!    search index is then built from the database by the real `Indexer`, as `switchboard
//!    reindex` does, and its items/s printed beside the floor's index build.
//! 2. The real app (`create_app`, two workers) serves the API to an agent's bearer token, with
//!    the indexer following the change feed as in a live server. Each case's queries (drawn
//!    like the index benchmark's, top 10 items) are sent by one client on a thread of its own,
//!    one request at a time (latency, not saturation): once to warm up, once measured, from
//!    sending until the whole body is read. Every answer must be 200 and list every hit the
//!    index counted, up to the page size (`latency.rs`).
//! 3. The same is measured while a task writes new items at the ingest rate as e-mail intake
//!    does, a transaction per 50 ms tick (`ingest.rs`; `SEARCH_API_INGEST_ONE_BY_ONE=1`: one per
//!    item), after which the index must catch up with the feed.
//! 4. The table prints each p50/p99 beside the floor's unfiltered query of the same shape, with
//!    the ratio and the target, and the load average.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap,
    reason = "benchmark harness: failures abort, casts are of small counts"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use switchboard_core::store::Store;
use switchboard_core::user::Role;
use switchboard_search::index::{IndexConfig, IndexHandle};
use switchboard_server::indexer::{Indexer, IndexerSettings};
use switchboard_web::auth::new_api_token;
use switchboard_web::{AppState, WebConfig, create_app};

use self::corpus::{CHANNELS, Rng, START, Vocab, query_terms};
use self::floor::{Floor, size_label};
use self::ingest::Ingest;
use self::latency::{Pass, measure};
use self::shared::load_line;

#[path = "../../../search/benches/support/corpus.rs"]
mod corpus;
#[path = "../../../search/benches/support/floor.rs"]
mod floor;
mod ingest;
mod latency;
mod seed;
/// The floor and load helpers of the server's benchmarks (`floor.rs` names them `shared`).
#[path = "../support/mod.rs"]
mod shared;

const DEFAULT_ITEMS: usize = 100_000;
const DEFAULT_QUERIES: usize = 2_000;
const DEFAULT_INGEST_RATE: usize = 200;
const SERVER_WORKERS: usize = 2;
/// Hits per page: the floor's top 10.
const PAGE: usize = 10;
/// Seconds between an item's generated receipt times (`corpus.rs`).
const SECONDS_PER_ITEM: i64 = 7;

/// A query case: its API paths, the floor case it compares with and its p99 target at 1M.
struct Case {
    name: &'static str,
    floor_case: &'static str,
    target_p99_ms: f64,
    paths: Vec<String>,
}

/// One measured row of the table.
struct Row {
    case: usize,
    state: String,
    pass: Pass,
}

/// Where the database and index live: `SEARCH_API_DIR`, kept, or a temporary folder.
enum BenchFolder {
    Kept(std::path::PathBuf),
    Temporary(tempfile::TempDir),
}

impl BenchFolder {
    fn new() -> Self {
        match std::env::var_os("SEARCH_API_DIR") {
            Some(dir) => {
                std::fs::create_dir_all(&dir).unwrap();
                Self::Kept(dir.into())
            }
            None => Self::Temporary(tempfile::tempdir().unwrap()),
        }
    }

    fn path(&self) -> &std::path::Path {
        match self {
            Self::Kept(path) => path,
            Self::Temporary(dir) => dir.path(),
        }
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|raw| raw.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn encoded(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The three cases the targets name, with the index benchmark's queries (same seeds). The
/// filters: one channel, three of the four statuses, received from the middle of the dates to
/// well after the last item (a date range both ends of which the API parses).
fn cases(vocab: &Vocab, items: usize, queries: usize) -> Vec<Case> {
    let mut query_rng = Rng::new(5);
    let one = query_terms(vocab, &mut query_rng, queries, 1);
    let two = query_terms(vocab, &mut query_rng, queries, 2);
    let mut filter_rng = Rng::new(77);
    let date = |seconds: i64| {
        Utc.timestamp_opt(seconds, 0)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    let from = date(START + items as i64 * SECONDS_PER_ITEM / 2);
    let to = date(START + items as i64 * SECONDS_PER_ITEM + 30 * 86_400);
    let base = format!("/api/v1/search?kind=item&limit={PAGE}");
    vec![
        Case {
            name: "1 term",
            floor_case: "1 term",
            target_p99_ms: 5.0,
            paths: one
                .iter()
                .map(|q| format!("{base}&q={}", encoded(q)))
                .collect(),
        },
        Case {
            name: "2 terms OR",
            floor_case: "2 terms OR",
            target_p99_ms: 17.0,
            paths: two
                .iter()
                .map(|q| format!("{base}&mode=or&q={}", encoded(q)))
                .collect(),
        },
        Case {
            name: "2 terms AND + channel, status, date range",
            floor_case: "2 terms AND",
            target_p99_ms: 50.0,
            paths: two
                .iter()
                .map(|q| {
                    let channel = CHANNELS[filter_rng.below(4) as usize];
                    format!(
                        "{base}&mode=and&q={}&channel={}&status=queued,assigned,waiting&from={from}&to={to}",
                        encoded(q),
                        channel.as_str()
                    )
                })
                .collect(),
        },
    ]
}

/// Measures each case once; returns the rows.
async fn measure_cases(base: &str, token: &str, cases: &[Case], state: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for (number, case) in cases.iter().enumerate() {
        let pass = measure(base, token, &case.paths, PAGE).await;
        for (millis, path) in &pass.slowest {
            println!("  slow: {millis:.2} ms {path}");
        }
        println!(
            "{state}, {}: {} queries, all 200 with every hit ({} with hits, {:.1} hits each): p50 {:.2} ms, p99 {:.2} ms; load {}",
            case.name,
            pass.queries,
            pass.with_hits,
            pass.mean_hits,
            pass.p50_ms,
            pass.p99_ms,
            load_line()
        );
        rows.push(Row {
            case: number,
            state: state.to_owned(),
            pass,
        });
    }
    rows
}

/// Waits until the index has committed every change in the feed and its reader shows `docs`
/// documents; returns how long that took.
async fn wait_for_index(store: &Arc<dyn Store>, index: &IndexHandle, docs: usize) -> f64 {
    let started = Instant::now();
    let last = store.max_change_seq().await.unwrap();
    while index.applied_seq() < last || index.num_docs() != docs as u64 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the index did not catch up with the feed: applied {} of {last}, {} of {docs} docs",
            index.applied_seq(),
            index.num_docs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed().as_secs_f64()
}

fn print_table(cases: &[Case], rows: &[Row], floor: Option<&Floor>) {
    let floor_title = floor.map_or(String::new(), |floor| {
        format!(" ({} docs, no filters)", size_label(floor.docs))
    });
    println!(
        "| case | state | API p50 ms | API p99 ms | floor p50 ms{floor_title} | floor p99 ms | p99 / floor p99 | target p99 (1M) | met? | hits per query |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---|---|---:|");
    for row in rows {
        let case = &cases[row.case];
        let floor_cells = floor.map_or("| | |".to_owned(), |floor| {
            let (p50_us, p99_us) = floor.latency(case.floor_case);
            format!(
                "{:.2} | {:.2} | {:.1} |",
                p50_us / 1000.0,
                p99_us / 1000.0,
                row.pass.p99_ms * 1000.0 / p99_us
            )
        });
        let met = if row.pass.p99_ms <= case.target_p99_ms {
            "met"
        } else {
            "missed"
        };
        println!(
            "| {} | {} | {:.2} | {:.2} | {floor_cells} ≤ {} ms | {met} | {:.1} |",
            case.name,
            row.state,
            row.pass.p50_ms,
            row.pass.p99_ms,
            case.target_p99_ms,
            row.pass.mean_hits
        );
    }
    println!();
}

#[tokio::main]
async fn main() {
    // `RUST_LOG` shows the server's logs (e.g. `RUST_LOG=sqlx=debug` every statement).
    if std::env::var_os("RUST_LOG").is_some() {
        switchboard_server::telemetry::init();
    }
    let items = env_number("SEARCH_API_ITEMS", DEFAULT_ITEMS);
    let queries = env_number("SEARCH_API_QUERIES", DEFAULT_QUERIES);
    let ingest_rate = env_number("SEARCH_API_INGEST_RATE", DEFAULT_INGEST_RATE);
    let label = size_label(items);

    let floor = Floor::run_and_report("search_api", items);
    let floor = floor.as_ref();

    let folder = BenchFolder::new();
    let url = format!("sqlite://{}/bench.db", folder.path().display());
    let reused = folder.path().join("bench.db").exists();
    let store = switchboard_store::open(&url).await.unwrap();
    let vocab = Arc::new(Vocab::new(50_000));
    let items = if reused {
        let found = store.count_items().await.unwrap() as usize;
        assert!(
            found >= items,
            "{} holds {found} items, fewer than the {items} asked for",
            folder.path().display()
        );
        println!("reusing {found} items in {}", folder.path().display());
        found
    } else {
        eprintln!("[search_api] seeding {items} items ...");
        let started = Instant::now();
        seed::seed_items(&url, &vocab, items).await;
        let seed_seconds = started.elapsed().as_secs_f64();
        assert_eq!(store.count_items().await.unwrap(), items as i64);
        println!(
            "seeded {items} items in {seed_seconds:.1} s ({:.0} items/s); load {}",
            items as f64 / seed_seconds,
            load_line()
        );
        items
    };

    let index_reused = folder.path().join("index").exists();
    eprintln!("[search_api] building the index from the database ...");
    let started = Instant::now();
    let mut indexer = Indexer::open(
        folder.path().join("index"),
        IndexConfig {
            search_threads: env_number(
                "SEARCH_API_SEARCH_THREADS",
                IndexConfig::default().search_threads,
            ),
            ..IndexConfig::default()
        },
        store.clone(),
        IndexerSettings::default(),
    )
    .await
    .unwrap();
    indexer.start().await.unwrap();
    let build_seconds = started.elapsed().as_secs_f64();
    let index = indexer.handle().clone();
    assert_eq!(index.num_docs(), items as u64);
    let build_rate = items as f64 / build_seconds;
    println!();
    println!(
        "## search API, {label} items (SQLite; load {})",
        load_line()
    );
    println!();
    println!("| measurement | items/s | floor docs/s | ratio to floor |");
    println!("|---|---:|---:|---:|");
    let (floor_build, build_ratio) = floor.map_or((String::new(), String::new()), |floor| {
        (
            format!("{:.0}", floor.build_per_second),
            format!("{:.2}", build_rate / floor.build_per_second),
        )
    });
    if index_reused {
        println!("| index reused from an earlier run (not measured) | | | |");
    } else {
        println!(
            "| index built from the database by the Indexer (reindex: read, index, commit, merge) | {build_rate:.0} | {floor_build} | {build_ratio} |"
        );
    }
    println!();

    let search = indexer.search();
    let indexer = indexer.spawn();
    let (token, new_token) = new_api_token("search benchmark", Role::Agent);
    store
        .create_api_token(&new_token, Utc::now())
        .await
        .unwrap();
    let state = AppState::new(store.clone(), WebConfig::default()).with_search(search);
    let server = actix_web::HttpServer::new(move || create_app(state.clone()))
        .workers(SERVER_WORKERS)
        .bind("127.0.0.1:0")
        .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);

    let cases = cases(&vocab, items, queries);
    let mut rows = measure_cases(&base, &token, &cases, "idle").await;

    let ingest = Ingest::start(store.clone(), Arc::clone(&vocab), items, ingest_rate);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let state = format!("ingest {ingest_rate}/s");
    rows.extend(measure_cases(&base, &token, &cases, &state).await);
    let ingested = ingest.stop().await;
    let catch_up = wait_for_index(&store, &index, items + ingested.items).await;
    println!(
        "ingest meanwhile: {} items written in {:.1} s ({:.0} items/s); the index had them all {catch_up:.2} s after the last; {} segments",
        ingested.items,
        ingested.seconds,
        ingested.per_second(),
        index.segment_count()
    );
    println!();
    handle.stop(true).await;
    indexer.shutdown().await.unwrap();

    print_table(&cases, &rows, floor);
    println!("load average after: {}", load_line());
}
