//! Measuring the API from one sequential client on a thread of its own (latency, not saturation):
//! each request is timed from sending until its whole body is read, and every answer is checked
//! afterwards: status 200 and a page listing every hit the index counted, up to the page size
//! (a hit whose record the store cannot read would be left out of the page).
//!
//! wrk is not used here: with a Lua script that stops after the last query, `wrk -d` still
//! waits out its whole duration before it reports.

use std::time::{Duration, Instant};

/// What one pass over a case's paths found.
pub struct Pass {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub queries: usize,
    pub with_hits: usize,
    pub mean_hits: f64,
    /// The `SEARCH_API_SLOWEST` slowest requests: milliseconds and path, slowest first.
    pub slowest: Vec<(f64, String)>,
}

/// Sends every path once to warm up, then once more measured, one request at a time from a
/// thread of its own (the server, the indexer and the ingest task run on other threads).
pub async fn measure(base: &str, token: &str, paths: &[String], limit: usize) -> Pass {
    let (base, token, paths) = (base.to_owned(), token.to_owned(), paths.to_vec());
    tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = reqwest::Client::new();
            one_pass(&client, &base, &token, &paths, limit).await;
            one_pass(&client, &base, &token, &paths, limit).await
        })
    })
    .await
    .unwrap()
}

async fn one_pass(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    paths: &[String],
    limit: usize,
) -> Pass {
    let mut times = Vec::with_capacity(paths.len());
    let mut with_hits = 0;
    let mut hits_total = 0;
    for path in paths {
        let sent = Instant::now();
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.bytes().await.unwrap();
        times.push((sent.elapsed(), path));
        let hits = check_page(path, status, &body, limit);
        hits_total += hits;
        with_hits += usize::from(hits > 0);
    }
    assert!(
        with_hits > 0,
        "no query found anything, e.g. {:?}",
        paths[0]
    );
    times.sort();
    let slowest_wanted = std::env::var("SEARCH_API_SLOWEST")
        .ok()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(0);
    let slowest = times
        .iter()
        .rev()
        .take(slowest_wanted)
        .map(|(time, path)| (time.as_secs_f64() * 1000.0, (*path).clone()))
        .collect();
    let times: Vec<Duration> = times.into_iter().map(|(time, _)| time).collect();
    Pass {
        p50_ms: percentile(&times, 0.5),
        p99_ms: percentile(&times, 0.99),
        slowest,
        queries: paths.len(),
        with_hits,
        mean_hits: hits_total as f64 / paths.len() as f64,
    }
}

/// Fails loudly unless the answer is 200 with every hit the index counted (up to `limit`);
/// returns the hits on the page.
fn check_page(path: &str, status: reqwest::StatusCode, body: &[u8], limit: usize) -> usize {
    let text = String::from_utf8_lossy(body);
    assert_eq!(status, reqwest::StatusCode::OK, "{path}: {text}");
    let page: serde_json::Value = serde_json::from_slice(body).unwrap();
    let hits = page["hits"].as_array().map_or(0, Vec::len);
    let total = page["total"]
        .as_u64()
        .unwrap_or_else(|| panic!("{path}: no total: {text}"));
    assert_eq!(
        hits as u64,
        total.min(limit as u64),
        "{path}: {hits} hits on the page, the index found {total}"
    );
    hits
}

/// The `q` quantile of sorted times, in milliseconds.
fn percentile(sorted: &[Duration], q: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}
