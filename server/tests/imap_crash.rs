//! Nothing lost, nothing twice over IMAP: twenty times, new messages arrive in a real Dovecot
//! mailbox while `switchboard serve` reads it, and the server is killed with SIGKILL at a
//! pseudo-random point; a last run takes the rest, and afterwards every message is present exactly
//! once and flagged as processed. Enough kills must land while the mailbox is being read: after
//! part of a round was flagged, or after messages were taken into the database but before they
//! were flagged (the window in which a careless reader would take them twice).

#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

#[path = "../../tests/src/dovecot.rs"]
#[allow(dead_code, reason = "the harness serves the e2e tests too")]
mod dovecot;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dovecot::Dovecot;
use switchboard_core::inbound::InboundState;
use switchboard_core::item::Channel;
use switchboard_server::mail::ProcessedAction;
use switchboard_server::pipeline::landing;

const ROUNDS: u64 = 20;
const PER_ROUND: usize = 15;
/// Messages the server fetches at once: small, so a round's mailbox is read in several
/// batches and kills land between them. With 8 (two batches a round) a faster writer finished
/// the second batch before a kill that followed the first one's flags: 7–9 of 20 kills landed
/// mid-mailbox; with 4, 14 of 20 in three runs.
const FETCH_BATCH: usize = 4;
const UNPROCESSED: &str = "UNKEYWORD $Switchboard";

fn switchboard(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "error")
        .current_dir(data_dir);
    command
}

fn serve(data_dir: &Path) -> Child {
    switchboard(data_dir)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A deterministic spread of kill delays between 100 ms and about 2.5 s: start-up takes a few
/// hundred milliseconds, so kills land before, during and after the mailbox is read.
fn delay(round: u64) -> Duration {
    let mixed = round
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    Duration::from_millis(100 + (mixed >> 33) % 2_400)
}

/// Waits until the server has taken at least one of the `unread` messages.
async fn wait_for_progress(dovecot: &Dovecot, unread: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while dovecot.count("INBOX", UNPROCESSED).await >= unread {
        assert!(
            Instant::now() < deadline,
            "the server never read the mailbox"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Messages the server has taken into its database: items, and inputs landed but not yet made
/// into items.
async fn taken(data_dir: &Path) -> usize {
    let url = format!("sqlite://{}/switchboard.db", data_dir.display());
    let store = switchboard_store::open(&url).await.unwrap();
    let items = usize::try_from(store.count_items().await.unwrap()).unwrap();
    let landed = store
        .inbound_in_state(InboundState::Landed, None, 10_000)
        .await
        .unwrap();
    items + landed.len()
}

fn mailbox_config(dovecot: &Dovecot) -> String {
    let account = dovecot.account(ProcessedAction::default());
    format!(
        "[[mail.imap]]\nname = \"crash\"\nhost = \"{}\"\nport = {}\nsecurity = \"plain\"\n\
         user = \"{}\"\npassword = \"{}\"\nfolder = \"INBOX\"\npoll_seconds = 5\n\
         fetch_batch = {FETCH_BATCH}\n",
        account.host,
        account.port(),
        account.user,
        account.password.expose()
    )
}

#[tokio::test]
async fn killed_servers_reading_imap_lose_nothing_and_duplicate_nothing() {
    let dovecot = Dovecot::start().await;
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("switchboard.toml"),
        mailbox_config(&dovecot),
    )
    .unwrap();
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev/email");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let messages: Vec<Vec<u8>> = files
        .iter()
        .take(ROUNDS as usize * PER_ROUND)
        .map(|file| std::fs::read(file).unwrap())
        .collect();
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    for raw in &messages {
        *expected
            .entry(landing::keys(Channel::Email, raw).idem_key)
            .or_default() += 1;
    }

    let mut killed_mid_mailbox = 0;
    let mut appended = 0;
    // Taken into the database and flagged as processed when the round's server started.
    let (mut taken_before, mut flagged_before) = (0, 0);
    for (round, arriving) in messages.chunks(PER_ROUND).enumerate() {
        dovecot.append("INBOX", arriving).await;
        appended += arriving.len();
        let before = dovecot.count("INBOX", UNPROCESSED).await;
        let mut server = serve(folder.path());
        let started = Instant::now();
        match round % 3 {
            // As soon as the server has taken a message: the rest of the round is unread, or
            // taken and not yet flagged.
            1 => wait_for_progress(&dovecot, before).await,
            // A moment into the mailbox (3–60 ms): an idle machine reads the rest of a round's
            // 15 messages within a few hundred milliseconds, and a kill after that would test
            // nothing.
            2 => {
                wait_for_progress(&dovecot, before).await;
                tokio::time::sleep(delay(round as u64) / 40).await;
            }
            // Anywhere from start-up on.
            _ => tokio::time::sleep(delay(round as u64)).await,
        }
        // SIGKILL: no destructor, no flush, no graceful shutdown.
        server.kill().unwrap();
        server.wait().unwrap();
        let left = dovecot.count("INBOX", UNPROCESSED).await;
        let taken = taken(folder.path()).await;
        let flagged = appended - left;
        println!(
            "round {round}: {before} unread, killed after {:?}, {left} left, {taken} taken of \
             {flagged} flagged",
            started.elapsed()
        );
        let progressed = taken > taken_before || flagged > flagged_before;
        let unfinished = left > 0 || taken > flagged;
        killed_mid_mailbox += usize::from(progressed && unfinished);
        (taken_before, flagged_before) = (taken, flagged);
    }
    println!("{killed_mid_mailbox} of {ROUNDS} kills hit the server while it read the mailbox");
    assert!(
        killed_mid_mailbox >= 8,
        "only {killed_mid_mailbox} kills hit a server while it read the mailbox"
    );

    let mut last = serve(folder.path());
    let deadline = Instant::now() + Duration::from_secs(120);
    while dovecot.count("INBOX", UNPROCESSED).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the last run did not read the mailbox"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last.kill().unwrap();
    last.wait().unwrap();

    let export = switchboard(folder.path())
        .args(["export", "items"])
        .output()
        .unwrap();
    assert!(export.status.success(), "{export:?}");
    let mut per_source: BTreeMap<String, usize> = BTreeMap::new();
    for line in String::from_utf8_lossy(&export.stdout).lines() {
        let item: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_ne!(item["status"], "failed", "{line}");
        *per_source
            .entry(item["source"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let wrong: Vec<_> = expected
        .iter()
        .filter(|(source, count)| per_source.get(*source) != Some(count))
        .collect();
    assert!(
        wrong.is_empty(),
        "messages not present exactly once: {wrong:?}"
    );
    assert_eq!(
        per_source.len(),
        expected.len(),
        "no items beyond the messages"
    );
}
