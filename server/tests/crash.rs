//! Nothing lost, nothing twice: twenty times, new messages arrive in the drop folder and
//! `switchboard ingest` is killed with SIGKILL at a pseudo-random point; a last run completes,
//! and afterwards every message is present exactly once.

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const ROUNDS: u64 = 20;
const PER_ROUND: usize = 15;

fn switchboard(data_dir: &Path, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_DATABASE_URL", database_url)
        .env("RUST_LOG", "error")
        .current_dir(data_dir);
    command
}

/// A deterministic spread of kill delays between 20 ms and about 1.5 s.
fn delay(round: u64) -> Duration {
    let mixed = round
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    Duration::from_millis(20 + (mixed >> 33) % 1_500)
}

#[tokio::test]
async fn killed_ingest_runs_lose_nothing_and_duplicate_nothing() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/crash.db", folder.path().display());
    let input = folder.path().join("input");
    std::fs::create_dir(&input).unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev/email");
    let mut names: Vec<String> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let messages = names.len().min(ROUNDS as usize * PER_ROUND);

    let mut killed_mid_run = 0;
    for round in 0..ROUNDS {
        let arriving = names
            .iter()
            .skip(round as usize * PER_ROUND)
            .take(PER_ROUND);
        for name in arriving {
            std::fs::copy(corpus.join(name), input.join(name)).unwrap();
        }
        let mut child = switchboard(folder.path(), &url)
            .args(["ingest", "--channel", "email"])
            .arg(&input)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(delay(round)).await;
        // SIGKILL: no destructor, no flush, no graceful shutdown.
        let _ = child.kill();
        let status = child.wait().unwrap();
        killed_mid_run += usize::from(status.signal() == Some(9));
    }
    // Later rounds find most messages done; the kills must still have hit running work.
    assert!(
        killed_mid_run >= 10,
        "only {killed_mid_run} of {ROUNDS} runs were killed while working"
    );
    let last = switchboard(folder.path(), &url)
        .args(["ingest", "--channel", "email"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(last.status.success(), "{last:?}");

    let export = switchboard(folder.path(), &url)
        .args(["export", "items"])
        .output()
        .unwrap();
    let mut per_source: BTreeMap<String, usize> = BTreeMap::new();
    for line in String::from_utf8_lossy(&export.stdout).lines() {
        let item: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_ne!(item["status"], "failed", "{line}");
        *per_source
            .entry(item["source"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_source.len(), messages, "every message present");
    let twice: Vec<_> = per_source
        .iter()
        .filter(|(_, count)| **count != 1)
        .collect();
    assert!(
        twice.is_empty(),
        "messages not present exactly once: {twice:?}"
    );
}
