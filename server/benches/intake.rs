//! E-mail intake end to end: the development e-mails repeated to about 10,000 distinct messages
//! (every copy gets its own Message-IDs, and its replies point at the ids of the same copy, so
//! threads form within each copy) through the live pipeline — land, parse, link, persist, index,
//! route — into SQLite, and PostgreSQL when `SWITCHBOARD_TEST_DATABASE_URL` is set.
//!
//! Prints, per database and variant:
//! - throughput: e-mails/s from the first message handed over until the last item is persisted,
//!   the search index has committed it and a routing round has seen it; beside the raw floor of
//!   the building blocks measured in the same run (`floor pipeline`: parse + insert + index) and
//!   the ratio (targets: SQLite ≥ 0.5, PostgreSQL ≥ 0.3);
//! - latency: p50/p99 from arrival to routable (the item committed, visible to the router) while
//!   messages arrive one by one at a steady 50/s (target p99 ≤ 2 s).
//!
//! `cargo bench -p switchboard-server --bench intake`. `INTAKE_ITEMS` sets the message count,
//! `INTAKE_LATENCY_SECONDS` the length of the steady run (0 leaves it out), `INTAKE_VARIANTS`
//! the variants run (comma-separated labels, e.g. `idle`; all by default), `INTAKE_SOURCE_CHUNK`
//! the messages handed over at once (200; the IMAP source hands over its `fetch_batch`, 50),
//! `FLOOR_BIN` the floor binary (default `/work/target-floor/release/floor`; built from
//! `../shared/floor` with `cargo build --release`). `INTAKE_TRACE=1 RUST_LOG=sqlx::query=debug` logs every statement
//! with its time to stderr, to add up where the database's time goes.
//!
//! Throughput on a shared 2-core machine drifts by a quarter between runs of the same binary;
//! instruction counts do not. `INTAKE_ITEMS=2000 INTAKE_LATENCY_SECONDS=0 INTAKE_VARIANTS=idle
//! FLOOR_BIN=/nonexistent valgrind --tool=callgrind --callgrind-out-file=/dev/null <bench binary>`
//! counts what a change saves (the setup is the same on both sides).
//!
//! Variants (see [`Variant`]) run the same measurements under extra load; add one there.
#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use switchboard_core::ingest::BATCHES_IN_FLIGHT;
use switchboard_core::item::Channel;
use switchboard_core::master::MasterKind;
use switchboard_core::store::Store;
use switchboard_search::index::IndexHandle;
use switchboard_server::dispatch::{self, DispatchHandle};
use switchboard_server::indexer::{self, Indexer, IndexerSettings};
use switchboard_server::pipeline::{IngestOutcome, Pipeline, RawInput};
use switchboard_store::BlobStore;

use self::support::{floor_median, floor_output, load_line};

mod support;

const DEFAULT_ITEMS: usize = 10_000;
/// Messages a source hands over at once (a folder scan, a CLI chunk; `INTAKE_SOURCE_CHUNK`
/// changes it, e.g. to the IMAP source's default 50).
const SOURCE_CHUNK: usize = 200;
const LATENCY_RATE_PER_SECOND: u64 = 50;
const DEFAULT_LATENCY_SECONDS: u64 = 20;

/// Extra load a measurement runs under. Add a variant (and its load in [`Variant::start_load`])
/// to measure intake while something else keeps the machine busy.
#[derive(Debug, Clone, Copy)]
enum Variant {
    /// Nothing else running.
    Idle,
    /// The OCR pool saturated with scanned fax pages throughout (target: e-mail throughput
    /// within 20 % of idle).
    OcrBusy,
}

/// Fax feeders kept running by [`Variant::OcrBusy`]: more than the OCR pool has slots, so a
/// page always waits for the next free one.
const FAX_FEEDERS: usize = 4;

impl Variant {
    const ALL: &[Self] = &[Self::Idle, Self::OcrBusy];

    /// The variants `INTAKE_VARIANTS` names (all when unset).
    fn chosen() -> Vec<Self> {
        let named = std::env::var("INTAKE_VARIANTS").unwrap_or_default();
        Self::ALL
            .iter()
            .copied()
            .filter(|variant| {
                named.is_empty() || named.split(',').any(|name| name.trim() == variant.label())
            })
            .collect()
    }

    fn label(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::OcrBusy => "ocr-busy",
        }
    }

    /// Starts the variant's load on `node`; the load stops when the returned tasks are aborted.
    fn start_load(self, node: &Node) -> Vec<tokio::task::JoinHandle<()>> {
        match self {
            Self::Idle => Vec::new(),
            Self::OcrBusy => {
                let faxes: Arc<Vec<Vec<u8>>> = Arc::new(
                    ["f0001", "f0003", "f0004", "f0005"]
                        .iter()
                        .map(|name| {
                            std::fs::read(corpus_dir().join(format!("fax/{name}.pdf"))).unwrap()
                        })
                        .collect(),
                );
                (0..FAX_FEEDERS)
                    .map(|feeder| {
                        let (pipeline, faxes) = (node.pipeline.clone(), Arc::clone(&faxes));
                        tokio::spawn(async move {
                            for copy in 0.. {
                                // A comment after %%EOF makes each copy a distinct document.
                                let mut pdf = faxes[copy % faxes.len()].clone();
                                pdf.extend_from_slice(
                                    format!("\n% copy {feeder}-{copy}\n").as_bytes(),
                                );
                                let source = format!("busy-{feeder}-{copy}.pdf");
                                pipeline
                                    .ingest_raw(Channel::Fax, &source, pdf)
                                    .await
                                    .unwrap();
                            }
                        })
                    })
                    .collect()
            }
        }
    }
}

/// A running node: the store, the pipeline, its router and its search indexer.
struct Node {
    store: Arc<dyn Store>,
    pipeline: Arc<Pipeline>,
    router: DispatchHandle,
    index: IndexHandle,
    indexer: indexer::IndexerTask,
    _data_dir: tempfile::TempDir,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev")
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// The corpus company as an installation configures it.
fn velora_config(data_dir: &Path, database_url: &str) -> switchboard_server::Config {
    let mut config = switchboard_server::Config {
        data_dir: data_dir.to_path_buf(),
        database_url: Some(database_url.to_owned()),
        ..switchboard_server::Config::default()
    };
    let organisation = &mut config.organisation;
    organisation.own_addresses = [
        "klantenservice",
        "customerservice",
        "kundenservice",
        "serviceclient",
        "orders",
    ]
    .iter()
    .map(|mailbox| format!("{mailbox}@velora.example.nl"))
    .collect();
    organisation.internal_domains = vec!["velora.example.nl".into()];
    organisation.reference_secret = Some("bench-reference-secret".into());
    config
}

async fn start_node(database_url: &str) -> Node {
    let data_dir = tempfile::tempdir().unwrap();
    let config = velora_config(data_dir.path(), database_url);
    let store = switchboard_store::open(database_url).await.unwrap();
    let master = corpus_dir().join("master");
    let inputs = MasterKind::ALL
        .iter()
        .map(|kind| {
            let content = std::fs::read(master.join(kind.file_name())).unwrap();
            (
                *kind,
                switchboard_server::master_csv::read(*kind, &content).0,
            )
        })
        .collect();
    switchboard_core::import::import(store.as_ref(), inputs)
        .await
        .unwrap()
        .unwrap();
    let router = dispatch::start(store.clone(), database_url);
    let pipeline = Pipeline::new(
        store.clone(),
        BlobStore::new(config.blob_dir()),
        config.pipeline_settings(),
    )
    .await
    .unwrap()
    .waking(router.clone());
    let mut indexer = Indexer::open(
        indexer::index_root(&config),
        indexer::index_config(&config),
        store.clone(),
        IndexerSettings::default(),
    )
    .await
    .unwrap();
    indexer.start().await.unwrap();
    Node {
        store,
        pipeline: Arc::new(pipeline.waking_indexer(indexer.waker())),
        router,
        index: indexer.handle().clone(),
        indexer: indexer.spawn(),
        _data_dir: data_dir,
    }
}

/// The corpus e-mails and the Message-IDs each one names (its own and those it replies to).
struct Corpus {
    messages: Vec<(String, String, Vec<String>)>,
}

impl Corpus {
    fn read() -> Self {
        let folder = corpus_dir().join("email");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        let texts: Vec<(String, String)> = files
            .iter()
            .map(|file| {
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                // Latin-1 bytes survive as they are: the copies are rewritten as bytes below.
                let text = std::fs::read(file)
                    .unwrap()
                    .iter()
                    .map(|&byte| char::from(byte))
                    .collect();
                (name, text)
            })
            .collect();
        let ids: Vec<String> = texts
            .iter()
            .filter_map(|(_, text)| message_id(text))
            .collect();
        let messages = texts
            .into_iter()
            .map(|(name, text)| {
                let named = ids
                    .iter()
                    .filter(|id| text.contains(&format!("<{id}>")))
                    .cloned()
                    .collect();
                (name, text, named)
            })
            .collect();
        Self { messages }
    }

    /// `count` distinct messages: copy `n` of each corpus message has every corpus Message-ID
    /// it names rewritten to `<bn.id>`, and every date in it moved `n` × [`COPY_SHIFT_DAYS`]
    /// back.
    fn distinct(&self, count: usize, copy_offset: usize) -> Vec<RawInput> {
        (0..count)
            .map(|index| {
                let (name, text, named) = &self.messages[index % self.messages.len()];
                let copy = index / self.messages.len() + copy_offset;
                let mut rewritten = shift_dates(text, copy);
                for id in named {
                    rewritten = rewritten.replace(&format!("<{id}>"), &format!("<b{copy}.{id}>"));
                }
                let raw = rewritten.chars().map(|c| c as u32 as u8).collect();
                RawInput {
                    source: format!("b{copy}-{name}"),
                    raw,
                }
            })
            .collect()
    }
}

/// Days between the dates of one copy of the corpus and the next: whole weeks (weekdays, and
/// so business hours, stay), and more than the month the corpus spans plus the case window, so
/// each copy's conversations form cases of their own, as a stream of new conversations does.
/// Copies at the same dates would pile every copy's items of a customer into one growing case,
/// a cost no real intake has.
const COPY_SHIFT_DAYS: i64 = 6 * 7;

/// `text` with every RFC 2822 date in it (`Mon, 03 Mar 2025 03:44:27 +0100`: headers and
/// quoted reply lines) moved `copy` × [`COPY_SHIFT_DAYS`] back, in the same format.
fn shift_dates(text: &str, copy: usize) -> String {
    const WEEKDAY: usize = "Mon".len();
    const DATE: usize = "Mon, 03 Mar 2025 03:44:27 +0100".len();
    let shift = chrono::Duration::days(COPY_SHIFT_DAYS * copy as i64);
    if copy == 0 {
        return text.to_owned();
    }
    let mut shifted = String::with_capacity(text.len());
    let mut copied = 0;
    for (comma, _) in text.match_indices(", ") {
        let Some(start) = comma.checked_sub(WEEKDAY).filter(|start| *start >= copied) else {
            continue;
        };
        let Some(date) = text
            .get(start..start + DATE)
            .and_then(|date| chrono::DateTime::parse_from_rfc2822(date).ok())
        else {
            continue;
        };
        shifted.push_str(&text[copied..start]);
        shifted.push_str(&(date - shift).to_rfc2822());
        copied = start + DATE;
    }
    shifted.push_str(&text[copied..]);
    shifted
}

fn message_id(text: &str) -> Option<String> {
    let head = text.split("\r\n\r\n").next()?;
    let line = head
        .lines()
        .find(|line| line.to_ascii_lowercase().starts_with("message-id:"))?;
    let value = line.split_once(':')?.1.trim();
    Some(
        value
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned(),
    )
}

/// Hands `inputs` to the pipeline the way batch sources do: a chunk at a time, the next one
/// handed over while the one before it is written.
async fn ingest_all(pipeline: &Pipeline, inputs: Vec<RawInput>) -> usize {
    let source_chunk = env_number("INTAKE_SOURCE_CHUNK", SOURCE_CHUNK as u64).max(1) as usize;
    let mut inputs = inputs.into_iter().peekable();
    let chunks = std::iter::from_fn(|| {
        inputs.peek().is_some().then(|| {
            inputs
                .by_ref()
                .take(source_chunk)
                .collect::<Vec<RawInput>>()
        })
    });
    let mut batches = futures_util::stream::iter(chunks)
        .map(|chunk| pipeline.ingest_batch(Channel::Email, chunk))
        .buffered(BATCHES_IN_FLIGHT);
    let mut made = 0;
    while let Some(outcomes) = batches.next().await {
        for outcome in outcomes {
            made += usize::from(matches!(outcome.unwrap(), IngestOutcome::Ingested { .. }));
        }
    }
    made
}

/// What a throughput run measured.
struct Throughput {
    /// E-mails/s until every item is persisted, indexed (committed) and seen by a routing round.
    rate: f64,
    /// E-mails per CPU-second of the whole process (every thread): less sensitive to what else
    /// the machine runs than `rate`.
    per_cpu_second: f64,
    /// Seconds in the pipeline, then waiting for the index, then the last routing round.
    stages: [f64; 3],
}

async fn throughput(node: Node, inputs: Vec<RawInput>) -> Throughput {
    let count = inputs.len();
    let started = Instant::now();
    let started_cpu = cpu_time::ProcessTime::now();
    let made = ingest_all(&node.pipeline, inputs).await;
    let ingested = started.elapsed().as_secs_f64();
    let last_change = node.store.max_change_seq().await.unwrap();
    // The pipeline wakes the indexer; nothing here hurries it.
    while node.index.applied_seq() < last_change {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let indexed = started.elapsed().as_secs_f64();
    node.router.round().await.unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = started_cpu.elapsed().as_secs_f64();
    node.indexer.shutdown().await.unwrap();
    assert_eq!(made, count, "every message becomes a new item");
    // A variant's load (faxes) adds items of its own.
    assert!(node.store.count_items().await.unwrap() >= count as i64);
    Throughput {
        rate: count as f64 / elapsed,
        per_cpu_second: count as f64 / cpu,
        stages: [ingested, indexed - ingested, elapsed - indexed],
    }
}

/// Arrival-to-routable times of messages arriving one by one at a steady rate.
async fn latency(node: &Node, inputs: Vec<RawInput>) -> Vec<Duration> {
    let mut tick =
        tokio::time::interval(Duration::from_micros(1_000_000 / LATENCY_RATE_PER_SECOND));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut arrivals = Vec::with_capacity(inputs.len());
    for input in inputs {
        tick.tick().await;
        let pipeline = node.pipeline.clone();
        arrivals.push(tokio::spawn(async move {
            let arrived = Instant::now();
            let outcome = pipeline
                .ingest_raw(Channel::Email, &input.source, input.raw)
                .await
                .unwrap();
            assert!(matches!(outcome, IngestOutcome::Ingested { .. }));
            arrived.elapsed()
        }));
    }
    let mut times = Vec::with_capacity(arrivals.len());
    for arrival in arrivals {
        times.push(arrival.await.unwrap());
    }
    times.sort();
    times
}

fn percentile(sorted: &[Duration], quantile: f64) -> Duration {
    let index = ((sorted.len().saturating_sub(1)) as f64 * quantile).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Runs `floor pipeline` and returns its median items/s, or says how to get it.
fn floor() -> Option<f64> {
    floor_median(&floor_output(&["pipeline"])?, &["pipeline", "items/s"])
}

/// The databases measured: SQLite always, PostgreSQL when configured.
fn databases() -> Vec<&'static str> {
    let mut databases = vec!["sqlite"];
    if std::env::var(switchboard_store::testing::POSTGRES_ENV).is_ok() {
        databases.push("postgres");
    }
    databases
}

/// A new, empty database of the kind named.
async fn fresh_url(database: &str, scratch: &Path) -> String {
    match database {
        "postgres" => switchboard_store::testing::fresh_postgres_url()
            .await
            .unwrap(),
        _ => switchboard_store::testing::sqlite_url(scratch),
    }
}

#[tokio::main]
async fn main() {
    if std::env::var("INTAKE_TRACE").is_ok() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let items = env_number("INTAKE_ITEMS", DEFAULT_ITEMS as u64) as usize;
    let latency_seconds = env_number("INTAKE_LATENCY_SECONDS", DEFAULT_LATENCY_SECONDS);
    let corpus = Corpus::read();
    println!(
        "intake benchmark: {items} distinct e-mails from {} corpus messages; load {}",
        corpus.messages.len(),
        load_line()
    );
    let floor = floor();
    if let Some(floor) = floor {
        println!(
            "floor pipeline (parse + insert + index): {floor:.0} items/s; load {}",
            load_line()
        );
    }
    let scratch = tempfile::tempdir().unwrap();
    let mut idle_rates = std::collections::HashMap::new();
    for variant in Variant::chosen() {
        for label in databases() {
            let node = start_node(&fresh_url(label, scratch.path()).await).await;
            let load = variant.start_load(&node);
            let measured = throughput(node, corpus.distinct(items, 0)).await;
            let rate = measured.rate;
            load.iter().for_each(tokio::task::JoinHandle::abort);
            let ratio = floor.map_or("n/a".to_owned(), |floor| format!("{:.2}", rate / floor));
            let to_idle = match idle_rates.get(label) {
                Some(idle) if !matches!(variant, Variant::Idle) => {
                    format!("   ratio to idle {:.2}", rate / idle)
                }
                _ => String::new(),
            };
            println!(
                "{label:>8} {:>8}: throughput {rate:>7.0} e-mails/s   ratio to floor {ratio}{to_idle}   load {}",
                variant.label(),
                load_line()
            );
            let [ingest, index, route] = measured.stages;
            println!(
                "{label:>8} {:>8}:   {:.0} e-mails per CPU-second of the process; pipeline {ingest:.2} s, index catch-up {index:.2} s, last routing round {route:.2} s",
                variant.label(),
                measured.per_cpu_second,
            );
            if matches!(variant, Variant::Idle) {
                idle_rates.insert(label, rate);
            }

            let steady = (LATENCY_RATE_PER_SECOND * latency_seconds) as usize;
            if steady == 0 {
                continue;
            }
            let node = start_node(&fresh_url(label, scratch.path()).await).await;
            let load = variant.start_load(&node);
            let times = latency(&node, corpus.distinct(steady, 0)).await;
            load.iter().for_each(tokio::task::JoinHandle::abort);
            node.indexer.shutdown().await.unwrap();
            println!(
                "{label:>8} {:>8}: at {LATENCY_RATE_PER_SECOND} e-mails/s arrival→routable p50 {:>6.1} ms   p99 {:>6.1} ms   load {}",
                variant.label(),
                percentile(&times, 0.5).as_secs_f64() * 1000.0,
                percentile(&times, 0.99).as_secs_f64() * 1000.0,
                load_line()
            );
        }
    }
}
