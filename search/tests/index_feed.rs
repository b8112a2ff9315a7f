//! Feeding the index: delete-then-add updates, crash recovery from the commit payload,
//! rebuilds that match incremental feeding, and switching to a rebuilt generation.

#![expect(
    clippy::unwrap_used,
    reason = "test harness: a failing index operation must fail loudly"
)]

#[path = "index_support.rs"]
mod index_support;

use std::future::Future;
use std::pin::pin;
use std::sync::Mutex;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use index_support::{config, customer, hits, item, item_hit, open, order};
use switchboard_core::item::Language;
use switchboard_core::{CoreError, WorkItemId};
use switchboard_search::index::{
    Change, ChangeSource, Doc, DocKind, FeedStep, IndexConfig, IndexHandle, MasterChange,
    MatchMode, SearchQuery, feed_once, rebuild_index,
};

fn items(index: &IndexHandle, q: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = hits(index, &SearchQuery::new(q).kind(DocKind::Item).page(0, 200))
        .into_iter()
        .filter_map(|hit| match hit {
            switchboard_search::index::HitId::Item(id) => Some(id.get()),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids
}

/// Waits until a condition holds, up to five seconds.
fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    let (_keep, pause) = std::sync::mpsc::channel::<()>();
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        let _ = pause.recv_timeout(Duration::from_millis(20));
    }
    condition()
}

#[test]
fn an_update_replaces_the_document_and_a_delete_removes_it() {
    let (_dir, index) = open();
    let first = item(1, Some(Language::Dutch), "Eerste", "alfa tekst");
    index.apply(vec![(1, Change::Upsert(first))]).unwrap();
    index.commit().unwrap();
    assert_eq!(items(&index, "alfa"), vec![1]);

    let second = item(1, Some(Language::Dutch), "Tweede", "bravo tekst");
    index.apply(vec![(2, Change::Upsert(second))]).unwrap();
    assert_eq!(index.commit().unwrap(), 2);
    assert_eq!(items(&index, "alfa"), Vec::<i64>::new());
    assert_eq!(items(&index, "bravo"), vec![1]);
    assert_eq!(index.num_docs(), 1);

    index
        .apply(vec![(3, Change::Delete(WorkItemId::new(1)))])
        .unwrap();
    index.commit().unwrap();
    assert_eq!(items(&index, "bravo"), Vec::<i64>::new());
    assert_eq!(index.num_docs(), 0);
}

#[test]
fn the_writer_commits_on_its_own_timer() {
    let (_dir, index) = open();
    index
        .apply(vec![(4, Change::Upsert(item(9, None, "Timer", "charlie")))])
        .unwrap();
    assert!(eventually(|| index.applied_seq() == 4));
    assert_eq!(items(&index, "charlie"), vec![9]);
}

#[test]
fn the_writer_commits_as_soon_as_changes_stop_coming() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = IndexConfig {
        commit_interval: Duration::from_secs(600),
        commit_quiet: Duration::from_millis(50),
        ..config()
    };
    let index = IndexHandle::open(dir.path(), quiet).unwrap();
    index
        .apply(vec![(5, Change::Upsert(item(10, None, "Quiet", "delta")))])
        .unwrap();
    // Long before the ten-minute interval: the writer went quiet.
    assert!(eventually(|| index.applied_seq() == 5));
    assert_eq!(items(&index, "delta"), vec![10]);
}

/// Nice values of this process's threads whose names start with `prefix` (Linux).
#[cfg(target_os = "linux")]
fn nice_of_threads(prefix: &str) -> Vec<i32> {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| {
            let path = task.ok()?.path();
            let name = std::fs::read_to_string(path.join("comm")).ok()?;
            let stat = std::fs::read_to_string(path.join("stat")).ok()?;
            // Fields after the parenthesised name; the nice value is the 19th field overall.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            name.starts_with(prefix)
                .then(|| fields.get(16)?.parse().ok())?
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[test]
fn writing_threads_yield_the_cpu_to_requests() {
    let own = rustix::process::getpriority_process(None).unwrap();
    let (_dir, index) = open();
    index
        .apply(vec![(
            1,
            Change::Upsert(item(1, None, "Priority", "delta")),
        )])
        .unwrap();
    index.commit().unwrap();
    // Writer loop, tantivy's indexing threads (restarted by the commit) and merge threads.
    for prefix in ["search-index-wr", "thrd-tantivy-in", "merge_thread_"] {
        let nices = nice_of_threads(prefix);
        assert!(!nices.is_empty(), "no {prefix} thread");
        for nice in nices {
            assert!(nice >= own.max(10), "{prefix} runs at nice {nice}");
        }
    }
    // The thread that opened the index (a request thread, here the test's) keeps its priority.
    assert_eq!(rustix::process::getpriority_process(None).unwrap(), own);
}

#[test]
fn a_language_first_seen_after_opening_is_searched() {
    let (_dir, index) = open();
    index
        .apply(vec![(
            1,
            Change::Upsert(item(1, Some(Language::Dutch), "Vraag", "factuur")),
        )])
        .unwrap();
    index.commit().unwrap();
    index
        .apply(vec![(
            2,
            Change::Upsert(item(2, Some(Language::French), "Question", "mes commandes")),
        )])
        .unwrap();
    index.commit().unwrap();
    assert_eq!(items(&index, "commande"), vec![2]);
}

fn change(seq: i64) -> (i64, Change) {
    let text = format!("delta woord{seq}");
    (
        seq,
        Change::Upsert(item(seq, Some(Language::Dutch), "Crash", &text)),
    )
}

#[test]
fn after_a_crash_feeding_resumes_from_the_committed_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let index = IndexHandle::open(dir.path(), config()).unwrap();
    index.apply((1..=10).map(change).collect()).unwrap();
    assert_eq!(index.commit().unwrap(), 10);
    index.apply((11..=15).map(change).collect()).unwrap();
    index.simulate_crash();

    let index = IndexHandle::open(dir.path(), config()).unwrap();
    assert_eq!(index.applied_seq(), 10);
    assert_eq!(index.feed_position().seq, 10);
    assert_eq!(items(&index, "delta").len(), 10);
    // The feeder replays everything after the committed sequence.
    index.apply((11..=15).map(change).collect()).unwrap();
    assert_eq!(index.commit().unwrap(), 15);
    assert_eq!(items(&index, "delta"), (1..=15).collect::<Vec<_>>());

    // Dropping the last handle commits what was handed over.
    index.apply(vec![change(16)]).unwrap();
    drop(index);
    let index = IndexHandle::open(dir.path(), config()).unwrap();
    assert_eq!(index.applied_seq(), 16);
    assert_eq!(items(&index, "delta").len(), 16);
}

/// A change feed in memory: the current document of every changed item, by sequence.
struct MemoryFeed {
    changes: Mutex<Vec<(i64, Change)>>,
}

impl ChangeSource for MemoryFeed {
    fn changes_after(
        &self,
        seq: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(i64, Change)>, CoreError>> + Send {
        let batch: Vec<(i64, Change)> = self
            .changes
            .lock()
            .unwrap()
            .iter()
            .filter(|(change_seq, _)| *change_seq > seq)
            .take(limit)
            .cloned()
            .collect();
        std::future::ready(Ok(batch))
    }
}

/// Runs a future that never waits (the memory feed is always ready).
fn ready<T>(future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
    }
}

fn corpus() -> Vec<(i64, Change)> {
    let words = ["factuur", "levering", "retour", "klacht", "bestelling"];
    let mut changes = Vec::new();
    let mut seq = 0;
    for id in 1..=60_i64 {
        seq += 1;
        let text = format!(
            "{} en {} voor order 45000{:05}",
            words[(id % 5) as usize],
            words[(id % 3) as usize],
            id
        );
        changes.push((
            seq,
            Change::Upsert(item(id, Some(Language::Dutch), "Vraag", &text)),
        ));
    }
    // Later changes: every seventh item is rewritten, every eleventh deleted.
    for id in (7..=60_i64).step_by(7) {
        seq += 1;
        let text = format!("herzien: klacht over levering {id}");
        changes.push((
            seq,
            Change::Upsert(item(id, Some(Language::Dutch), "Herzien", &text)),
        ));
    }
    for id in (11..=60_i64).step_by(11) {
        seq += 1;
        changes.push((seq, Change::Delete(WorkItemId::new(id))));
    }
    changes
}

/// The documents the store would hold after the corpus: the last change of each item.
fn final_docs(changes: &[(i64, Change)]) -> Vec<Doc> {
    let mut latest = std::collections::BTreeMap::new();
    for (_, change) in changes {
        match change {
            Change::Upsert(doc) => {
                latest.insert(doc.id.get(), Some(doc.clone()));
            }
            Change::Delete(id) => {
                latest.insert(id.get(), None);
            }
        }
    }
    latest.into_values().flatten().map(Doc::Item).collect()
}

const QUERIES: [&str; 6] = [
    "klacht",
    "levering factuur",
    "4500000023",
    "herzien",
    "retour bestelling",
    "45000 00023",
];

#[test]
fn a_rebuild_finds_what_incremental_feeding_finds() {
    let changes = corpus();
    let (_dir, fed) = open();
    let feed = MemoryFeed {
        changes: Mutex::new(changes.clone()),
    };
    loop {
        match ready(feed_once(&fed, &feed, 16)).unwrap() {
            FeedStep::Applied(_) | FeedStep::Restarted => {}
            FeedStep::Busy => {
                fed.commit().unwrap();
            }
            FeedStep::Idle => break,
        }
    }
    let last_seq = changes.last().map(|(seq, _)| *seq).unwrap();
    assert_eq!(fed.commit().unwrap(), last_seq);

    let (_other, rebuilt) = open();
    rebuilt.rebuild(final_docs(&changes), last_seq).unwrap();
    assert_eq!(rebuilt.applied_seq(), last_seq);
    assert_eq!(fed.num_docs(), rebuilt.num_docs());
    for q in QUERIES {
        for mode in [MatchMode::All, MatchMode::Any] {
            let query = SearchQuery::new(q)
                .kind(DocKind::Item)
                .mode(mode)
                .page(0, 200);
            let mut from_feed = hits(&fed, &query);
            let mut from_rebuild = hits(&rebuilt, &query);
            from_feed.sort_by_key(|hit| format!("{hit:?}"));
            from_rebuild.sort_by_key(|hit| format!("{hit:?}"));
            assert_eq!(from_feed, from_rebuild, "{q} {mode:?}");
            assert!(!from_feed.is_empty(), "{q} {mode:?}");
        }
    }
    assert_eq!(
        items(&fed, "4500000022"),
        Vec::<i64>::new(),
        "deleted item 22"
    );
}

#[test]
fn a_rebuild_switches_generations_and_restarts_the_feed() {
    let (dir, index) = open();
    index.apply((1..=10).map(change).collect()).unwrap();
    index.commit().unwrap();
    index
        .update_master(vec![MasterChange::UpsertCustomer(customer(
            "0000104321",
            "Bakkerij Jansen",
        ))])
        .unwrap();
    let before = index.feed_position();
    assert_eq!(before.seq, 10);

    // The rebuild reflects the feed up to sequence 6 and holds master data too.
    let docs = (1..=6)
        .map(|seq| match change(seq).1 {
            Change::Upsert(doc) => Doc::Item(doc),
            Change::Delete(_) => unreachable!(),
        })
        .chain([
            Doc::Customer(customer("0000104321", "Bakkerij Jansen")),
            Doc::Order(order("4500012345", "0000104321")),
        ]);
    index.rebuild(docs, 6).unwrap();
    assert_eq!(index.applied_seq(), 6);
    let after = index.feed_position();
    assert_eq!(after.seq, 6);
    assert_ne!(after.generation, before.generation);
    // A batch read against the old position is refused; the feeder reads again from 6.
    assert!(!index.apply_at(before, vec![change(11)]).unwrap());
    assert!(
        index
            .apply_at(after, (7..=11).map(change).collect())
            .unwrap()
    );
    assert_eq!(index.commit().unwrap(), 11);
    assert_eq!(items(&index, "delta"), (1..=11).collect::<Vec<_>>());
    assert_eq!(hits(&index, &SearchQuery::new("PO-2024/117")).len(), 1);

    // A rebuild by another process (switchboard reindex) is picked up by the writer.
    let docs = vec![Doc::Item(item(99, None, "Extern", "echo"))];
    rebuild_index(dir.path(), &config(), docs, 42).unwrap();
    assert!(eventually(|| index.applied_seq() == 42));
    assert_eq!(items(&index, "echo"), vec![99]);
    assert_eq!(items(&index, "delta"), Vec::<i64>::new());
    let generations = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .is_ok_and(|entry| entry.file_name().to_string_lossy().starts_with("gen-"))
            })
            .count()
    };
    assert!(
        eventually(|| generations() == 1),
        "old generations are removed"
    );
    assert_eq!(item_hit(99), hits(&index, &SearchQuery::new("echo"))[0]);
}
