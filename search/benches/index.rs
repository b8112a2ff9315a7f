//! Index benchmark: indexing throughput through the writer thread and search latency (p50/p99)
//! for one term, two terms OR and two terms AND with filters, over generated items.
//!
//! `cargo bench -p switchboard-search --bench index` runs 100k items; set
//! `SWITCHBOARD_BENCH_ITEMS=1000000` for the 1M figures (slow: generation and indexing take
//! minutes). Items are generated like the floor's (`shared/floor`, `src/corpus.rs`: the same
//! Zipf vocabulary, subject and body sizes, seeds), but go through this crate's schema: language
//! slots, identifier extraction, stored text for snippets.
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
use switchboard_core::item::{Channel, ItemStatus, Language};
use switchboard_core::{CustomerNo, QueueId, WorkItemId};
use switchboard_search::index::{
    Change, DocKind, IndexConfig, IndexHandle, ItemDoc, MatchMode, SearchQuery,
};

// ---- corpus: copied from the floor so both index the same kind of text ----

/// splitmix64: small, fast, deterministic.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const BASE_WORDS: &[&str] = &[
    // frequent Dutch function words and contact-centre vocabulary
    "de",
    "het",
    "een",
    "en",
    "van",
    "ik",
    "te",
    "dat",
    "die",
    "in",
    "is",
    "niet",
    "op",
    "aan",
    "met",
    "voor",
    "zijn",
    "er",
    "maar",
    "om",
    "ook",
    "als",
    "dan",
    "bij",
    "nog",
    "wij",
    "mijn",
    "uw",
    "u",
    "graag",
    "bestelling",
    "factuur",
    "levering",
    "retour",
    "pakket",
    "klant",
    "klantnummer",
    "ordernummer",
    "betaling",
    "terugbetaling",
    "adres",
    "wijziging",
    "abonnement",
    "opzegging",
    "klacht",
    "vraag",
    "antwoord",
    "contact",
    "telefoon",
    "email",
    "brief",
    "fax",
    "voicemail",
    "bijlage",
    "document",
    "contract",
    "verzekering",
    "schade",
    "polis",
    "aanvraag",
    "bevestiging",
    "vriendelijke",
    "groet",
    "groeten",
    "beste",
    "geachte",
    "heer",
    "mevrouw",
    "dank",
    "bedankt",
    "alvast",
    "spoedig",
    "mogelijk",
    "week",
    "dag",
    "maand",
    "gisteren",
    "vandaag",
    "morgen",
    "ontvangen",
    "verstuurd",
    "geleverd",
    "beschadigd",
    "kapot",
    "verkeerd",
    "ontbreekt",
    "gemist",
    "bezorger",
    "bezorging",
    "track",
    "code",
    "status",
    "rekening",
    "iban",
    "bedrag",
    "euro",
    "korting",
    "actie",
    "product",
    "artikel",
    "maat",
    "kleur",
    "garantie",
    "reparatie",
    "monteur",
    "afspraak",
    "storing",
    "internet",
    "verbinding",
    "modem",
    "router",
    "wachtwoord",
    "account",
    "inloggen",
    "app",
    "website",
    "formulier",
    "handtekening",
    "machtiging",
    "incasso",
    "herinnering",
    "aanmaning",
    "incassobureau",
    "termijn",
    "regeling",
    "uitstel",
    "verhuizing",
    "nieuwe",
    "oude",
    "graag",
    "snel",
    "langzaam",
    "teleurgesteld",
    "tevreden",
    "ontevreden",
    "probleem",
    "oplossing",
    "medewerker",
    "afdeling",
    "klantenservice",
    "terugbellen",
    "wachttijd",
    "gesprek",
    "nummer",
    "één",
    "café",
    "reünie",
    "privé",
    "coördinator",
    "geïnteresseerd",
    "financiële",
    "ideeën",
    // frequent English words (mixed-language inbox)
    "the",
    "to",
    "and",
    "of",
    "a",
    "for",
    "your",
    "order",
    "invoice",
    "delivery",
    "refund",
    "please",
    "thank",
    "you",
    "we",
    "our",
    "customer",
    "service",
    "request",
    "account",
    "payment",
    "number",
    "attached",
    "regards",
    "kind",
    "dear",
    "issue",
    "problem",
    "received",
    "shipped",
    "damaged",
    "cancel",
    "subscription",
    "address",
    "change",
    "contract",
    "policy",
    "claim",
    "urgent",
    "asap",
];

const SYLLABLES: &[&str] = &[
    "ka", "ver", "bes", "tel", "lin", "gen", "or", "der", "fac", "tuur", "re", "tour", "pak",
    "ket", "be", "zor", "ging", "klant", "num", "mer", "an", "ton", "jan", "sen", "de", "vries",
    "bak", "ker", "mo", "len", "aar", "dam", "rot", "ter", "hui", "zen", "berg", "veld", "hof",
    "stra", "wijk", "broek", "land", "kamp", "poel", "dijk", "meer", "bos", "heuvel", "zand",
];

struct Vocab {
    words: Vec<String>,
    /// quantised inverse CDF: uniform u20 -> rank
    table: Vec<u32>,
}

impl Vocab {
    /// Vocabulary of `size` distinct words; Zipf exponent 1.0 over ranks.
    fn new(size: usize) -> Self {
        let mut words: Vec<String> = Vec::with_capacity(size);
        let mut seen = std::collections::HashSet::new();
        for w in BASE_WORDS {
            if seen.insert(w.to_string()) {
                words.push(w.to_string());
            }
        }
        let mut i: usize = 0;
        while words.len() < size {
            // synthetic word from 2-4 syllables, deterministic in i
            let mut x = i;
            let nsyl = 2 + (i % 3);
            let mut w = String::new();
            for _ in 0..nsyl {
                w.push_str(SYLLABLES[x % SYLLABLES.len()]);
                x /= SYLLABLES.len();
                x = x.wrapping_mul(31).wrapping_add(i / 7);
            }
            if seen.insert(w.clone()) {
                words.push(w);
            }
            i += 1;
        }
        // Zipf(1.0) cdf, quantised into 2^20 buckets
        let h: f64 = (1..=size).map(|r| 1.0 / r as f64).sum();
        let mut table = Vec::with_capacity(1 << 20);
        let mut cum = 0.0;
        let mut rank = 0usize;
        for b in 0..(1u32 << 20) {
            let u = (b as f64 + 0.5) / (1u64 << 20) as f64;
            while rank < size - 1 && cum + (1.0 / (rank + 1) as f64) / h < u {
                cum += (1.0 / (rank + 1) as f64) / h;
                rank += 1;
            }
            table.push(rank as u32);
        }
        Vocab { words, table }
    }

    fn sample<'a>(&'a self, rng: &mut Rng) -> &'a str {
        let b = (rng.next_u64() >> 44) as usize;
        &self.words[self.table[b] as usize]
    }

    /// Text of at least `min_bytes` bytes: sentences of Zipf words, with
    /// occasional order / customer numbers.
    fn text(&self, rng: &mut Rng, min_bytes: usize) -> String {
        let mut s = String::with_capacity(min_bytes + 64);
        let mut in_sentence = 0;
        while s.len() < min_bytes {
            let r = rng.below(100);
            if r == 0 {
                s.push_str(&format!("ORD-{:07}", rng.below(10_000_000)));
            } else if r == 1 {
                s.push_str(&format!("KL{:06}", rng.below(1_000_000)));
            } else {
                let w = self.sample(rng);
                if in_sentence == 0 {
                    let mut c = w.chars();
                    if let Some(f) = c.next() {
                        s.extend(f.to_uppercase());
                        s.push_str(c.as_str());
                    }
                } else {
                    s.push_str(w);
                }
            }
            in_sentence += 1;
            if in_sentence > 6 && rng.below(8) == 0 {
                s.push('.');
                in_sentence = 0;
                if rng.below(5) == 0 {
                    s.push_str("\n\n");
                    continue;
                }
            }
            s.push(' ');
        }
        s
    }
}

// ---- items through this crate's schema ----

const CHANNELS: [Channel; 4] = [
    Channel::Email,
    Channel::Fax,
    Channel::Voicemail,
    Channel::Letter,
];
const STATUSES: [ItemStatus; 4] = [
    ItemStatus::Queued,
    ItemStatus::Assigned,
    ItemStatus::Done,
    ItemStatus::Waiting,
];
const START: i64 = 1_767_225_600;

/// Generates an item the way the floor's `gen_item` does (same random draws for subject, body
/// and sender), plus the fields this schema filters on.
fn gen_item(vocab: &Vocab, rng: &mut Rng, id: i64) -> ItemDoc {
    let slen = 30 + rng.below(40) as usize;
    let subject = vocab.text(rng, slen);
    let subject = subject.trim().trim_end_matches('.').to_string();
    let body = vocab.text(rng, 2000);
    let sender = format!(
        "{}.{}@{}.nl",
        vocab.words[(rng.below(400) + 200) as usize],
        vocab.words[(rng.below(5000) + 600) as usize],
        ["example", "voorbeeld", "klantmail", "bedrijf"][rng.below(4) as usize]
    );
    let channel = CHANNELS[rng.below(4) as usize];
    let received_at = START + id * 7 + rng.below(5) as i64;
    // The floor draws seven metadata values here; drawing as many keeps the texts identical.
    let customer = rng.below(1_000_000);
    let _order = rng.below(10_000_000);
    let _attachments = rng.below(3);
    let status = STATUSES[(rng.below(5) % 4) as usize];
    let queue = rng.below(4);
    let language = [Language::Dutch, Language::English, Language::German][rng.below(3) as usize];
    let _score = rng.below(1000);
    ItemDoc {
        id: WorkItemId::new(id),
        channel,
        status,
        language: Some(language),
        received_at: Utc.timestamp_opt(received_at, 0).unwrap(),
        subject: Some(subject),
        text: body,
        sender_name: None,
        sender_email: Some(sender),
        sender_phone: None,
        attachment_names: Vec::new(),
        customer_no: (customer < 750_000)
            .then(|| CustomerNo::new(format!("{:010}", 100_000 + customer % 20_000))),
        order_nos: Vec::new(),
        queue: Some(QueueId::new(queue as i64)),
    }
}

/// Terms sampled log-uniformly over vocabulary rank, as the floor samples them.
fn query_terms(vocab: &Vocab, rng: &mut Rng, n: usize, terms: usize) -> Vec<String> {
    let v = vocab.words.len() as f64;
    (0..n)
        .map(|_| {
            let mut q = Vec::new();
            while q.len() < terms {
                let rank = (v.powf(rng.f64()) as usize).min(vocab.words.len() - 1);
                let w = &vocab.words[rank];
                if w.chars().all(|c| c.is_ascii_alphanumeric()) && w.len() > 2 {
                    q.push(w.clone());
                }
            }
            q.join(" ")
        })
        .collect()
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

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|raw| raw.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn config() -> IndexConfig {
    IndexConfig {
        writer_threads: 2,
        writer_memory_bytes: 400 * 1024 * 1024,
        ..IndexConfig::default()
    }
}

fn main() {
    let size: usize = std::env::var("SWITCHBOARD_BENCH_ITEMS")
        .ok()
        .and_then(|raw| raw.replace('_', "").parse().ok())
        .unwrap_or(100_000);
    let query_count: usize = std::env::var("SWITCHBOARD_BENCH_QUERIES")
        .ok()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(2000);
    let vocab = Vocab::new(50_000);
    let dir = tempfile::tempdir().unwrap();

    // Feed through the writer thread in batches of 1,000, as the change feed would.
    eprintln!("[index] feeding {size} generated items ...");
    let index = IndexHandle::open(dir.path(), config()).unwrap();
    let mut rng = Rng::new(1234);
    let load_before = load_average();
    let started = Instant::now();
    let started_cpu = ProcessTime::now();
    let mut batch = Vec::with_capacity(1000);
    let (_keep, pause) = std::sync::mpsc::channel::<()>();
    for id in 1..=size as i64 {
        batch.push((id, Change::Upsert(gen_item(&vocab, &mut rng, id))));
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
    let feed_cpu_secs = started_cpu.elapsed().as_secs_f64();
    let index = IndexHandle::open(dir.path(), config()).unwrap();
    assert_eq!(index.num_docs(), size as u64);
    let segments = index.segment_count();
    eprintln!(
        "[index]   {:.0} items/s committed, {:.0} items/s with merges",
        size as f64 / fed_secs,
        size as f64 / merged_secs
    );

    let mut qrng = Rng::new(5);
    let one = query_terms(&vocab, &mut qrng, query_count, 1);
    let two = query_terms(&vocab, &mut qrng, query_count, 2);
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

    let label = if size >= 1_000_000 {
        format!("{}M", size / 1_000_000)
    } else {
        format!("{}k", size / 1000)
    };
    println!();
    println!(
        "## switchboard-search index, {label} items (this machine; load average before: {load_before})"
    );
    println!();
    println!("| measurement | value | unit |");
    println!("|---|---:|---|");
    println!(
        "| feed {size} items via apply (batches of 1,000), generation + commit incl. | {:.0} | items/s |",
        size as f64 / fed_secs
    );
    println!(
        "| same, until merges finished (shutdown) | {:.0} | items/s |",
        size as f64 / merged_secs
    );
    println!(
        "| same, per CPU-second of the process (all threads) | {:.0} | items/CPU-s |",
        size as f64 / feed_cpu_secs
    );
    println!();
    println!(
        "| query, top-10 ({segments} segments) | wall p50 µs | wall p99 µs | CPU p50 µs | CPU p99 µs | queries/s | mean hits |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let cases: Vec<(&str, Vec<SearchQuery>)> = vec![
        (
            "1 term",
            one.iter()
                .map(|q| plain(q, MatchMode::All, false))
                .collect(),
        ),
        (
            "2 terms OR",
            two.iter()
                .map(|q| plain(q, MatchMode::Any, false))
                .collect(),
        ),
        (
            "2 terms AND + filters (channel, 3 statuses, date)",
            two.iter().map(|q| filtered(q, false)).collect(),
        ),
        (
            "1 term, snippets",
            one.iter().map(|q| plain(q, MatchMode::All, true)).collect(),
        ),
        (
            "2 terms OR, snippets",
            two.iter().map(|q| plain(q, MatchMode::Any, true)).collect(),
        ),
        (
            "2 terms AND + filters, snippets",
            two.iter().map(|q| filtered(q, true)).collect(),
        ),
    ];
    // SWITCHBOARD_BENCH_NO_SNIPPETS=1 skips the snippet cases and the rebuild (for profiling).
    let quick = std::env::var_os("SWITCHBOARD_BENCH_NO_SNIPPETS").is_some();
    for (name, queries) in &cases {
        if quick && name.contains("snippets") {
            continue;
        }
        let l = measure(&index, queries);
        println!(
            "| {label}, {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |",
            l.wall_p50_us, l.wall_p99_us, l.cpu_p50_us, l.cpu_p99_us, l.qps, l.mean_hits
        );
    }
    println!();

    if quick {
        return;
    }
    // Rebuild throughput: the same items from an iterator into a fresh generation.
    let mut rng = Rng::new(1234);
    let started = Instant::now();
    let started_cpu = ProcessTime::now();
    let docs = (1..=size as i64)
        .map(|id| switchboard_search::index::Doc::Item(gen_item(&vocab, &mut rng, id)));
    index.rebuild(docs, size as i64).unwrap();
    let rebuild_secs = started.elapsed().as_secs_f64();
    let rebuild_cpu_secs = started_cpu.elapsed().as_secs_f64();
    println!("| rebuild | value | unit |");
    println!("|---|---:|---|");
    println!(
        "| rebuild {size} items into a new generation, generation + merges incl. | {:.0} | items/s |",
        size as f64 / rebuild_secs
    );
    println!(
        "| same, per CPU-second of the process | {:.0} | items/CPU-s |",
        size as f64 / rebuild_cpu_secs
    );
    println!();
    // The same searches on the rebuilt generation (one commit, merged: as after a reindex).
    println!(
        "| query after rebuild, top-10 ({} segments) | wall p50 µs | wall p99 µs | CPU p50 µs | CPU p99 µs | queries/s | mean hits |",
        index.segment_count()
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, queries) in &cases[..3] {
        let l = measure(&index, queries);
        println!(
            "| {label}, {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} |",
            l.wall_p50_us, l.wall_p99_us, l.cpu_p50_us, l.cpu_p99_us, l.qps, l.mean_hits
        );
    }
    println!();
    println!("load average after: {}", load_average());
    index.shutdown().unwrap();
}
