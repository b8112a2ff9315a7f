//! The browser UI under load: the real app (`create_app`, two workers like the floor) on SQLite
//! holding 100,000 items, with 100 agents each signed in with a session, loaded by `wrk` with 100
//! connections. Prints requests/s and p50/p99 latency for the agent's queue page (`/work`), the
//! item view (`/items/{id}`, a random item each request) and a search (`/search?q=`, words from
//! the items' subjects), beside the floor measured in the same run (`floor http`: actix-web with
//! one SQLite point read). Targets on SQLite: p99 ≤ 12 ms; item view ≥ 0.6 × the floor's req/s.
//!
//! Each page is measured twice. Saturated: every connection sends its next request as soon as
//! the last one is answered, so requests/s is the server's capacity, and p99 is mostly the time
//! a request queues behind the other 99 (by Little's law 100 connections at 5,000 req/s wait
//! 20 ms on average whatever the page costs). Paced: each of the 100 sessions waits
//! `HTTP_BENCH_PACE_MS` (100) after an answer before its next request — about 1,000 requests a
//! second, fifty times what 100 agents clicking every five seconds send — so p50/p99 are what
//! an agent waits for the page under a heavy, not saturating, load.
//!
//! `cargo bench -p switchboard-server --bench http`. `HTTP_BENCH_ITEMS` sets the item count,
//! `HTTP_BENCH_SECONDS` the length of each wrk run (10), `FLOOR_BIN` the floor binary (default
//! `/work/target-floor/release/floor`; built from `../shared/floor` with
//! `cargo build --release`). `HTTP_BENCH_TRACE=1 RUST_LOG=sqlx::query=debug` logs the SQL of one
//! request per page and stops (to see what a page costs). `HTTP_BENCH_PAGES` measures only the
//! pages it names (comma-separated `queue`, `item`, `search`; the floor runs only with all
//! three), e.g. to profile one page with `perf record -p` while it runs; `HTTP_BENCH_KEEP=1`
//! keeps the seeded database and index and prints their folder (for `EXPLAIN QUERY PLAN`).
//!
//! Seeding: the demo company (master data, users, sample items with their links) is created
//! through the store; its sample items are then copied in one `INSERT … SELECT` (a recursive
//! counter, one transaction) until the database holds the wanted count, each copy with its own
//! subject, message id and source, one in ten waiting and the rest done. The demo's 24 customers
//! are copied to 2,000 and each copy links to one of them (spread by item id), as a contact
//! centre's items come from many customers. The search index is built from the database as
//! `switchboard reindex` does. Each agent holds 10 items, assigned through the
//! store's lead path. wrk's Lua script sends the requests of each run round-robin over the 100
//! session cookies.
#![expect(clippy::unwrap_used, reason = "a benchmark fails loudly")]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, Utc};
use sqlx::Row;
use switchboard_core::event::Actor;
use switchboard_core::routing::{LeadAction, LeadOverride};
use switchboard_core::session::NewSession;
use switchboard_core::store::Store;
use switchboard_core::user::{NewUser, Role};
use switchboard_core::{Login, WorkItemId};
use switchboard_router::sla::{BusinessCalendar, SlaPolicy};
use switchboard_search::index::IndexConfig;
use switchboard_server::indexer::{Indexer, IndexerSettings};
use switchboard_web::auth::{hash_password, secret_hash};
use switchboard_web::{AppState, WebConfig, create_app};

use self::support::{floor_median, floor_output, load_line};

mod support;

const DEFAULT_ITEMS: i64 = 100_000;
const DEFAULT_SECONDS: u64 = 10;
/// Think time of a paced session between an answer and its next request.
const DEFAULT_PACE_MS: u64 = 100;
const AGENTS: usize = 100;
/// Customers the copied items are spread over (copies of the demo's customers).
const BENCH_CUSTOMERS: i64 = 2_000;
const ITEMS_PER_AGENT: usize = 10;
const CONNECTIONS: usize = 100;
const SERVER_WORKERS: usize = 2;
/// Targets on SQLite.
const P99_TARGET_MS: f64 = 12.0;
const ITEM_VIEW_TO_FLOOR_TARGET: f64 = 0.6;

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// One wrk run's figures.
#[derive(Debug, Clone, Copy)]
struct Figures {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    failed: u64,
}

#[tokio::main]
async fn main() {
    if std::env::var("HTTP_BENCH_TRACE").is_ok() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .init();
    }
    let items: i64 = env_number("HTTP_BENCH_ITEMS", DEFAULT_ITEMS);
    let seconds: u64 = env_number("HTTP_BENCH_SECONDS", DEFAULT_SECONDS);
    let pace_ms: u64 = env_number("HTTP_BENCH_PACE_MS", DEFAULT_PACE_MS);
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("wrk not found: install the Debian package wrk");
        return;
    }
    let mut folder = tempfile::tempdir().unwrap();
    if std::env::var("HTTP_BENCH_KEEP").is_ok() {
        folder.disable_cleanup(true);
        println!("seeded data kept in {}", folder.path().display());
    }
    let url = format!("sqlite://{}/bench.db", folder.path().display());
    let store = switchboard_store::open(&url).await.unwrap();
    switchboard_server::demo::prepare(&store).await.unwrap();

    let started = Instant::now();
    let templates = copy_items(&url, items).await;
    println!(
        "seeded {} items ({templates} demo items copied) in {:.1} s",
        store.count_items().await.unwrap(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let mut indexer = Indexer::open(
        folder.path().join("index"),
        IndexConfig::default(),
        store.clone(),
        IndexerSettings::default(),
    )
    .await
    .unwrap();
    indexer.start().await.unwrap();
    println!(
        "search index built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let sessions = agents_with_work(&store).await;
    let terms = search_terms(&store).await;

    let state = AppState::new(store.clone(), WebConfig::default()).with_search(indexer.search());
    let server = actix_web::HttpServer::new(move || create_app(state.clone()))
        .workers(SERVER_WORKERS)
        .bind("127.0.0.1:0")
        .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    check_pages(&base, &sessions[0], &terms).await;
    if std::env::var("HTTP_BENCH_TRACE").is_ok() {
        return;
    }

    println!(
        "wrk -t2 -c{CONNECTIONS} -d{seconds}s against {SERVER_WORKERS} server workers; load {}",
        load_line()
    );
    let scripts = folder.path();
    let pages = [
        ("queue", "queue page /work", queue_paths()),
        ("item", "item view /items/{id}", item_paths(items)),
        ("search", "search /search?q=", search_paths(&terms)),
    ];
    let chosen = std::env::var("HTTP_BENCH_PAGES").ok();
    let is_chosen = |name: &str| {
        chosen
            .as_deref()
            .is_none_or(|chosen| chosen.split(',').any(|page| page.trim() == name))
    };
    let mut measured = Vec::new();
    let mut paced = Vec::new();
    for (name, label, paths) in pages.iter().filter(|(name, ..)| is_chosen(name)) {
        let script = write_script(scripts, name, &sessions, paths, None);
        wrk(&base, 2, &script);
        measured.push((*label, checked(label, wrk(&base, seconds, &script))));
        if pace_ms > 0 {
            let script = write_script(scripts, name, &sessions, paths, Some(pace_ms));
            paced.push((*label, checked(label, wrk(&base, seconds, &script))));
        }
    }
    handle.stop(true).await;
    let after_load = load_line();

    let floor = chosen.is_none().then(floor_http).flatten();
    println!();
    println!("Saturated (each connection's next request as soon as it is answered):");
    println!("| page | req/s | p50 ms | p99 ms | p99 ≤ {P99_TARGET_MS} ms | ratio to floor |");
    println!("|---|---:|---:|---:|---|---:|");
    for (label, figures) in &measured {
        let ratio = floor.map_or("n/a".to_owned(), |floor| {
            format!(
                "{:.2}",
                figures.requests_per_second / floor.requests_per_second
            )
        });
        println!("{} {ratio} |", page_row(label, figures));
    }
    if let Some(floor) = floor {
        println!(
            "| floor http (1 SQLite point read, wrk -c64) | {:.0} | {:.2} | {:.2} | | 1.00 |",
            floor.requests_per_second, floor.p50_ms, floor.p99_ms
        );
        let item_view = measured
            .iter()
            .find(|(label, _)| label.starts_with("item view"))
            .map_or(f64::NAN, |(_, figures)| figures.requests_per_second)
            / floor.requests_per_second;
        println!(
            "item view / floor: {item_view:.2} (target ≥ {ITEM_VIEW_TO_FLOOR_TARGET}: {})",
            met(item_view >= ITEM_VIEW_TO_FLOOR_TARGET)
        );
    }
    if !paced.is_empty() {
        println!();
        println!("Paced (each session waits {pace_ms} ms after an answer):");
        println!("| page | req/s | p50 ms | p99 ms | p99 ≤ {P99_TARGET_MS} ms |");
        println!("|---|---:|---:|---:|---|");
        for (label, figures) in &paced {
            println!("{}", page_row(label, figures));
        }
    }
    println!(
        "items {items}; load after the app's runs {after_load}, now {}",
        load_line()
    );
}

/// The names of a table's columns.
async fn columns(pool: &sqlx::SqlitePool, table: &str) -> Vec<String> {
    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA table_info({table})")))
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get::<String, _>("name"))
        .collect()
}

/// Copies the demo's items (ids 1..=T, with their links) until the database holds `total`
/// items, in one transaction; returns T.
async fn copy_items(url: &str, total: i64) -> i64 {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let (templates, first, last): (i64, i64, i64) =
        sqlx::query_as("SELECT COUNT(*), MIN(id), MAX(id) FROM items")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        last - first + 1,
        templates,
        "the demo's item ids are contiguous"
    );
    let copies = total - templates;
    if copies <= 0 {
        return templates;
    }
    let item_columns: Vec<String> = columns(&pool, "items")
        .await
        .into_iter()
        .filter(|column| column != "id")
        .collect();
    let item_values: Vec<String> = item_columns
        .iter()
        .map(|column| match column.as_str() {
            "subject" => "t.subject || ' (' || n.i || ')'".to_owned(),
            "message_id" => "'<bench-' || n.i || '@bench.example>'".to_owned(),
            "source" => "'bench:' || n.i".to_owned(),
            "inbound_id" | "thread_id" | "parent_id" | "case_id" | "assigned_user_id" => {
                "NULL".to_owned()
            }
            "status" => "CASE WHEN n.i % 10 = 0 THEN 'queued' ELSE 'done' END".to_owned(),
            "version" => "1".to_owned(),
            other => format!("t.{other}"),
        })
        .collect();
    let link_columns: Vec<String> = columns(&pool, "links")
        .await
        .into_iter()
        .filter(|column| column != "id")
        .collect();
    // A copy links to one of the bench customers (spread by item id), not to the template's
    // customer: a contact centre's items come from many customers.
    let link_values: Vec<String> = link_columns
        .iter()
        .map(|column| match column.as_str() {
            "item_id" => "i.id".to_owned(),
            "key" => format!("printf('BENCH%05d', i.id % {BENCH_CUSTOMERS})"),
            other => format!("l.{other}"),
        })
        .collect();
    let customer_columns = columns(&pool, "customers").await;
    let customer_values: Vec<String> = customer_columns
        .iter()
        .map(|column| match column.as_str() {
            "customer_number" => "printf('BENCH%05d', n.i - 1)".to_owned(),
            "name" => "c.name || ' ' || n.i".to_owned(),
            other => format!("c.{other}"),
        })
        .collect();
    let (customers,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customers")
        .fetch_one(&pool)
        .await
        .unwrap();
    let template_of = format!("{first} + ((i.id - {last} - 1) % {templates})");
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BENCH_CUSTOMERS}), \
         numbered AS (SELECT ROW_NUMBER() OVER (ORDER BY customer_number) - 1 AS k, * FROM customers) \
         INSERT INTO customers ({}) SELECT {} FROM n JOIN numbered c ON c.k = (n.i - 1) % {customers}",
        customer_columns.join(", "),
        customer_values.join(", ")
    )))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {copies}) \
         INSERT INTO items ({}) SELECT {} FROM n JOIN items t \
         ON t.id = {first} + ((n.i - 1) % {templates})",
        item_columns.join(", "),
        item_values.join(", ")
    )))
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO links ({}) SELECT {} FROM items i JOIN links l ON l.item_id = {template_of} \
         WHERE i.id > {last} AND l.kind = 'customer'",
        link_columns.join(", "),
        link_values.join(", ")
    )))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    pool.close().await;
    templates
}

/// Creates the agents, gives each some waiting items and signs each in; returns the session
/// cookie values.
async fn agents_with_work(store: &Arc<dyn Store>) -> Vec<String> {
    let password_hash = hash_password("bench-password").unwrap();
    let waiting: Vec<WorkItemId> = store
        .routing_snapshot(Utc::now())
        .await
        .unwrap()
        .items
        .iter()
        .map(|item| item.item)
        .collect();
    let by = LeadOverride {
        actor: Actor::System,
        reason: None,
        at: Utc::now(),
    };
    let sla = SlaPolicy::new(BusinessCalendar::always_open(), Vec::new(), 1.0).unwrap();
    let mut sessions = Vec::with_capacity(AGENTS);
    for number in 0..AGENTS {
        let login = format!("bench-agent-{number:03}");
        let user = store
            .create_user(&NewUser {
                login: Login::new(&login),
                display_name: format!("Bench agent {number}"),
                role: Role::Agent,
                password_hash: Some(password_hash.clone()),
                agent_id: None,
            })
            .await
            .unwrap();
        for item in waiting
            .iter()
            .skip(number * ITEMS_PER_AGENT)
            .take(ITEMS_PER_AGENT)
        {
            store
                .lead_action(*item, &LeadAction::Reassign { agent: user }, &by, &sla)
                .await
                .unwrap();
        }
        let cookie = format!("bench-session-{number:03}");
        store
            .create_session(&NewSession {
                id_hash: secret_hash(&cookie),
                user,
                csrf_token: format!("csrf-{number}"),
                created_at: Utc::now(),
                expires_at: Utc::now() + Duration::hours(12),
            })
            .await
            .unwrap();
        sessions.push(cookie);
    }
    sessions
}

/// Words from the demo's subjects (letters only, at least 5), to search for.
async fn search_terms(store: &Arc<dyn Store>) -> Vec<String> {
    let mut terms = Vec::new();
    for id in 1..=20 {
        let Some(item) = store.item(WorkItemId::new(id)).await.unwrap() else {
            continue;
        };
        for word in item.subject.unwrap_or_default().split_whitespace() {
            let word = word.to_lowercase();
            if word.len() >= 5 && word.chars().all(char::is_alphabetic) && !terms.contains(&word) {
                terms.push(word);
            }
        }
    }
    terms.truncate(12);
    assert!(!terms.is_empty(), "the demo's subjects give search words");
    terms
}

/// Checks each page answers 200 with content for a session before measuring it.
async fn check_pages(base: &str, session: &str, terms: &[String]) {
    let client = reqwest::Client::new();
    let pages = ["/work".to_owned(), "/items/1".to_owned()];
    for path in pages.into_iter().chain(search_paths(terms)) {
        let response = client
            .get(format!("{base}{path}"))
            .header("Cookie", format!("sb_session={session}"))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success(), "{path}: {status}\n{body}");
        println!("{path}: {status}, {} bytes", body.len());
    }
}

fn queue_paths() -> Vec<String> {
    vec!["/work".to_owned()]
}

/// Item paths spread over all items (a fixed pseudo-random order, the same every run).
fn item_paths(items: i64) -> Vec<String> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..1000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let id = state % u64::try_from(items).unwrap() + 1;
            format!("/items/{id}")
        })
        .collect()
}

fn search_paths(terms: &[String]) -> Vec<String> {
    terms
        .iter()
        .map(|term| {
            let query: String = url::form_urlencoded::byte_serialize(term.as_bytes()).collect();
            format!("/search?q={query}")
        })
        .collect()
}

/// Warns of a run's failed responses.
fn checked(label: &str, figures: Figures) -> Figures {
    if figures.failed > 0 {
        println!("WARNING: {label}: {} responses not 2xx/3xx", figures.failed);
    }
    figures
}

/// A page's table cells up to its p99 verdict: `| label | req/s | p50 | p99 | met |`.
fn page_row(label: &str, figures: &Figures) -> String {
    format!(
        "| {label} | {:.0} | {:.2} | {:.2} | {} |",
        figures.requests_per_second,
        figures.p50_ms,
        figures.p99_ms,
        met(figures.p99_ms <= P99_TARGET_MS),
    )
}

fn met(is_met: bool) -> &'static str {
    if is_met { "met" } else { "missed" }
}

/// A wrk script sending `paths` in turn, each request with the next session's cookie; with a
/// pace, each connection waits that many milliseconds after an answer.
fn write_script(
    folder: &Path,
    name: &str,
    sessions: &[String],
    paths: &[String],
    pace_ms: Option<u64>,
) -> PathBuf {
    let quoted = |values: &[String]| {
        values
            .iter()
            .map(|value| format!("{value:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let script = format!(
        "local sessions = {{ {} }}\n\
         local paths = {{ {} }}\n\
         local counter = 0\n\
         request = function()\n\
         \x20 counter = counter + 1\n\
         \x20 local session = sessions[(counter % #sessions) + 1]\n\
         \x20 local path = paths[(counter % #paths) + 1]\n\
         \x20 return wrk.format(\"GET\", path, {{ [\"Cookie\"] = \"sb_session=\" .. session }})\n\
         end\n{}",
        quoted(sessions),
        quoted(paths),
        pace_ms.map_or(String::new(), |pace| {
            format!("delay = function()\n  return {pace}\nend\n")
        })
    );
    let path = folder.join(format!(
        "{name}{}.lua",
        pace_ms.map_or(String::new(), |pace| format!("-paced-{pace}"))
    ));
    std::fs::write(&path, script).unwrap();
    path
}

/// "1.23ms", "850.00us", "1.02s" in milliseconds.
fn milliseconds(text: &str) -> f64 {
    let text = text.trim();
    let (number, scale) = if let Some(number) = text.strip_suffix("us") {
        (number, 0.001)
    } else if let Some(number) = text.strip_suffix("ms") {
        (number, 1.0)
    } else if let Some(number) = text.strip_suffix('s') {
        (number, 1000.0)
    } else {
        (text, 1.0)
    };
    number.trim().parse::<f64>().unwrap_or(f64::NAN) * scale
}

/// Runs wrk with the script against `base` and reads its figures.
fn wrk(base: &str, seconds: u64, script: &Path) -> Figures {
    let output = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(base)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    let mut figures = Figures {
        requests_per_second: f64::NAN,
        p50_ms: f64::NAN,
        p99_ms: f64::NAN,
        failed: 0,
    };
    for line in text.lines().map(str::trim) {
        if let Some(value) = line.strip_prefix("Requests/sec:") {
            figures.requests_per_second = value.trim().parse().unwrap_or(f64::NAN);
        } else if let Some(value) = line.strip_prefix("50%") {
            figures.p50_ms = milliseconds(value);
        } else if let Some(value) = line.strip_prefix("99%") {
            figures.p99_ms = milliseconds(value);
        } else if let Some(value) = line.strip_prefix("Non-2xx or 3xx responses:") {
            figures.failed = value.trim().parse().unwrap_or(0);
        } else if line.starts_with("Socket errors:") {
            // Timeouts (2 s) are left out of wrk's latency figures: say so beside them.
            println!(
                "WARNING: {script:?}: {line}",
                script = script.file_name().unwrap_or_default()
            );
        }
    }
    if figures.requests_per_second.is_nan() {
        println!("wrk output not understood:\n{text}");
    }
    figures
}

/// Runs `floor http` and reads its SQLite point-read figures, or says how to get it.
fn floor_http() -> Option<Figures> {
    let output = floor_output(&["http"])?;
    let median = |metric: &str| floor_median(&output, &["SQLite point read", metric]);
    Some(Figures {
        requests_per_second: median("throughput")?,
        p50_ms: median("p50 latency")? / 1000.0,
        p99_ms: median("p99 latency")? / 1000.0,
        failed: 0,
    })
}
