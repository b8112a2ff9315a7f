//! The writer thread: the one owner of the index's `IndexWriter`. It applies changes as
//! "delete by key, then add", commits on a timer or after a batch with the applied change-feed
//! sequence as commit payload, reloads the reader after each commit, and switches to a rebuilt
//! generation when `CURRENT` changes.

use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use tantivy::indexer::LogMergePolicy;
use tantivy::{IndexWriter, Term};

use super::config::IndexConfig;
use super::docs::{Change, MasterChange};
use super::document::{DocumentBuilder, customer_key, item_key, order_key};
use super::error::IndexError;
use super::generation::{Generation, Payload};
use super::handle::Shared;
use super::layout::Layout;
use super::priority::yield_to_requests;

/// What the handle asks of the writer thread.
pub(crate) enum Command {
    /// Item changes fed for a generation; dropped if the writer has moved to another one.
    Apply {
        generation: u64,
        batch: Vec<(i64, Change)>,
    },
    /// Master-data changes.
    Master { changes: Vec<MasterChange> },
    /// Commit now; answers with the applied sequence.
    Commit {
        reply: Sender<Result<i64, IndexError>>,
    },
    /// Switch to the generation `CURRENT` names, if it is another.
    Adopt {
        reply: Sender<Result<(), IndexError>>,
    },
    /// Commit, wait for merges and stop.
    Shutdown {
        reply: Sender<Result<i64, IndexError>>,
    },
    /// Stop without committing, as a crash would.
    Abandon,
}

/// What a writer is opened for: its indexing threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WriterUse {
    /// Following the change feed ([`IndexConfig::writer_threads`]).
    Live,
    /// Building a generation from scratch ([`IndexConfig::rebuild_threads`]).
    Rebuild,
}

/// Opens a writer on a generation, from a thread at the writing threads' priority, so the
/// indexing and merge threads tantivy starts inherit it ([`priority`](super::priority)).
pub(crate) fn open_writer(
    generation: &Generation,
    config: &IndexConfig,
    purpose: WriterUse,
) -> Result<IndexWriter, IndexError> {
    let threads = match purpose {
        WriterUse::Live => config.writer_threads,
        WriterUse::Rebuild => config.rebuild_threads,
    }
    .max(1);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                yield_to_requests();
                writer_on(generation, config, threads)
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

fn writer_on(
    generation: &Generation,
    config: &IndexConfig,
    threads: usize,
) -> Result<IndexWriter, IndexError> {
    let writer = generation
        .index
        .writer_with_num_threads(threads, config.writer_memory(threads))?;
    writer.set_merge_policy(Box::new(merge_policy()));
    Ok(writer)
}

/// Fewer, larger segments than tantivy's default: each segment restarts top-k pruning, and
/// searches matter more here than the extra merge work while indexing.
fn merge_policy() -> LogMergePolicy {
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(MERGE_MIN_SEGMENTS);
    policy.set_min_layer_size(MERGE_MIN_LAYER_DOCS);
    policy.set_del_docs_ratio_before_merge(MERGE_DELETED_RATIO);
    policy
}

/// Least time between two commits made because changes stopped coming
/// ([`IndexConfig::commit_quiet`](super::IndexConfig)): at most four segments a second when the
/// feed's steps come just slower than the quiet time.
const QUIET_COMMITS_APART: Duration = Duration::from_millis(250);

/// Segments of one size level that trigger a merge.
const MERGE_MIN_SEGMENTS: usize = 4;
/// Segments below this many documents count as one size level. tantivy's default (10,000)
/// put every segment of a live index's commits (tens of documents a second in a steady
/// stream, a few thousand in a burst) in one level with the segment their merges grow: each
/// merge rewrote that segment again until it passed ~16,800 documents, so a document was
/// rewritten up to dozens of times. From this size up, segments merge with ones of their size.
const MERGE_MIN_LAYER_DOCS: u32 = 1_000;
/// Share of deleted documents that makes a segment worth merging on its own (updates delete).
const MERGE_DELETED_RATIO: f32 = 0.3;

/// The writer thread's state.
pub(crate) struct WriterLoop {
    pub layout: Layout,
    pub config: IndexConfig,
    pub shared: Arc<Shared>,
    pub generation: Arc<Generation>,
    pub writer: IndexWriter,
    /// Changes applied since the last commit.
    pub pending: usize,
    /// When the oldest uncommitted change was applied.
    pub pending_since: Option<Instant>,
    /// When the newest uncommitted change was applied.
    pub last_change: Option<Instant>,
    /// When the writer last committed (or started).
    pub last_commit: Instant,
    /// The highest sequence applied, committed or not.
    pub seq: i64,
    pub last_watch: Instant,
}

impl WriterLoop {
    /// Runs until shut down or until every handle is gone.
    pub(crate) fn run(mut self, commands: &Receiver<Command>) {
        // Commits restart tantivy's indexing threads from this thread.
        yield_to_requests();
        loop {
            match commands.recv_timeout(self.wait()) {
                Ok(Command::Shutdown { reply }) => {
                    let result = self.commit();
                    let merged = self.writer.wait_merging_threads();
                    if let Err(error) = merged {
                        tracing::warn!(%error, "index merges not finished");
                    }
                    let _ = reply.send(result);
                    return;
                }
                Ok(Command::Abandon) => return,
                Ok(command) => self.handle(command),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    if let Err(error) = self.commit() {
                        tracing::error!(%error, "index commit at shutdown failed");
                    }
                    return;
                }
            }
            if self.commit_due()
                && let Err(error) = self.commit()
            {
                tracing::error!(%error, pending = self.pending, "index commit failed");
            }
            if self.last_watch.elapsed() >= self.config.watch_interval {
                self.last_watch = Instant::now();
                if let Err(error) = self.adopt_current() {
                    tracing::error!(%error, "switching to rebuilt index failed");
                }
            }
        }
    }

    /// Returns how long to wait for the next command.
    fn wait(&self) -> Duration {
        let watch = self
            .config
            .watch_interval
            .saturating_sub(self.last_watch.elapsed());
        match (self.pending_since, self.quiet_commit_in()) {
            (Some(oldest), Some(quiet)) => watch
                .min(self.config.commit_interval.saturating_sub(oldest.elapsed()))
                .min(quiet),
            _ => watch,
        }
    }

    /// How long until pending changes are committed for quiet: once none came for
    /// `commit_quiet`, and at least [`QUIET_COMMITS_APART`] after the last commit (a feed whose
    /// steps come slowly still gathers several into a segment). `None` when nothing is
    /// pending.
    fn quiet_commit_in(&self) -> Option<Duration> {
        let newest = self.last_change?;
        Some(
            self.config
                .commit_quiet
                .saturating_sub(newest.elapsed())
                .max(QUIET_COMMITS_APART.saturating_sub(self.last_commit.elapsed())),
        )
    }

    /// Whether pending changes are committed now: enough of them, the oldest waited the
    /// commit interval, or none came for the quiet time (a burst ended).
    fn commit_due(&self) -> bool {
        self.pending >= self.config.commit_batch
            || self
                .pending_since
                .is_some_and(|oldest| oldest.elapsed() >= self.config.commit_interval)
            || self.quiet_commit_in() == Some(Duration::ZERO)
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Apply { generation, batch } => {
                let count = batch.len();
                if generation == self.generation.number {
                    self.apply(batch);
                } else {
                    tracing::debug!(count, generation, "changes for a replaced index dropped");
                }
                self.shared.queued.fetch_sub(count, Ordering::AcqRel);
            }
            Command::Master { changes } => self.apply_master(changes),
            Command::Commit { reply } => {
                let _ = reply.send(self.commit());
            }
            Command::Adopt { reply } => {
                let _ = reply.send(self.adopt_current());
            }
            Command::Shutdown { .. } | Command::Abandon => {}
        }
    }

    fn builder(&self) -> DocumentBuilder<'_> {
        DocumentBuilder {
            fields: &self.generation.fields,
            default_region: &self.config.default_region,
        }
    }

    fn apply(&mut self, batch: Vec<(i64, Change)>) {
        let key_field = self.generation.fields.key;
        for (seq, change) in batch {
            let result = match &change {
                Change::Upsert(item) => {
                    self.writer
                        .delete_term(Term::from_field_text(key_field, &item_key(item.id)));
                    let document = self.builder().item(item);
                    self.writer.add_document(document).map(drop)
                }
                Change::Delete(id) => {
                    self.writer
                        .delete_term(Term::from_field_text(key_field, &item_key(*id)));
                    Ok(())
                }
            };
            if let Err(error) = result {
                tracing::error!(seq, %error, "item not indexed");
            }
            self.seq = self.seq.max(seq);
            self.touch();
        }
    }

    fn apply_master(&mut self, changes: Vec<MasterChange>) {
        let key_field = self.generation.fields.key;
        for change in changes {
            let key = match &change {
                MasterChange::UpsertCustomer(customer) => customer_key(&customer.customer_no),
                MasterChange::DeleteCustomer(customer_no) => customer_key(customer_no),
                MasterChange::UpsertOrder(order) => order_key(&order.order_no),
                MasterChange::DeleteOrder(order_no) => order_key(order_no),
            };
            self.writer
                .delete_term(Term::from_field_text(key_field, &key));
            let document = match &change {
                MasterChange::UpsertCustomer(customer) => Some(self.builder().customer(customer)),
                MasterChange::UpsertOrder(order) => Some(self.builder().order(order)),
                MasterChange::DeleteCustomer(_) | MasterChange::DeleteOrder(_) => None,
            };
            if let Some(document) = document
                && let Err(error) = self.writer.add_document(document)
            {
                tracing::error!(%key, %error, "master record not indexed");
            }
            self.touch();
        }
    }

    fn touch(&mut self) {
        self.pending += 1;
        let now = Instant::now();
        self.pending_since.get_or_insert(now);
        self.last_change = Some(now);
    }

    /// Commits pending changes with the applied sequence as payload, then reloads the reader.
    fn commit(&mut self) -> Result<i64, IndexError> {
        if self.pending == 0 {
            return Ok(self.shared.applied_seq.load(Ordering::Acquire));
        }
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&Payload::new(self.seq).to_json());
        prepared.commit()?;
        self.generation.reload()?;
        self.shared.applied_seq.store(self.seq, Ordering::Release);
        tracing::debug!(
            changes = self.pending,
            applied_seq = self.seq,
            "index committed"
        );
        self.pending = 0;
        self.pending_since = None;
        self.last_change = None;
        self.last_commit = Instant::now();
        Ok(self.seq)
    }

    /// Switches to the generation `CURRENT` names when a rebuild changed it. Uncommitted
    /// changes of the old generation are dropped: the feed restarts from the new one's payload.
    fn adopt_current(&mut self) -> Result<(), IndexError> {
        let Some(number) = self.layout.current()? else {
            return Ok(());
        };
        if number == self.generation.number {
            return Ok(());
        }
        let generation = Arc::new(Generation::open(&self.layout.dir_of(number), number)?);
        let writer = open_writer(&generation, &self.config, WriterUse::Live)?;
        let applied = generation.applied_seq()?;
        {
            let mut feed = self
                .shared
                .feed
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            feed.generation = number;
            feed.fed_seq = applied;
            *self
                .shared
                .current
                .write()
                .unwrap_or_else(PoisonError::into_inner) = Arc::clone(&generation);
            self.shared.applied_seq.store(applied, Ordering::Release);
        }
        let old_writer = std::mem::replace(&mut self.writer, writer);
        let old = std::mem::replace(&mut self.generation, generation);
        self.pending = 0;
        self.pending_since = None;
        self.last_change = None;
        self.seq = applied;
        if let Err(error) = old_writer.wait_merging_threads() {
            tracing::warn!(%error, "old index writer did not stop cleanly");
        }
        tracing::info!(
            from = old.number,
            to = number,
            applied_seq = applied,
            "switched to rebuilt index"
        );
        drop(old);
        self.layout.remove_older_than(number);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tantivy::index::SegmentId;
    use tantivy::indexer::MergePolicy;
    use tantivy::schema::Schema;

    use super::*;

    /// The segments the policy merges among ones of `sizes` documents, as their sizes.
    fn merged(sizes: &[u32]) -> Vec<Vec<u32>> {
        let index = tantivy::Index::create_in_ram(Schema::builder().build());
        let segments: Vec<_> = sizes
            .iter()
            .map(|&size| index.new_segment_meta(SegmentId::generate_random(), size))
            .collect();
        merge_policy()
            .compute_merge_candidates(&segments)
            .into_iter()
            .map(|candidate| {
                candidate
                    .0
                    .iter()
                    .map(|id| {
                        segments
                            .iter()
                            .find(|segment| segment.id() == *id)
                            .map_or(0, tantivy::index::SegmentMeta::max_doc)
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_grown_segment_is_not_rewritten_with_each_few_small_commits() {
        // A steady stream's commits of a few dozen documents merge among themselves...
        assert_eq!(merged(&[40, 30, 50, 20]), vec![vec![50, 40, 30, 20]]);
        // ...but not into the segment earlier merges grew, which would rewrite it each time.
        assert_eq!(merged(&[6_000, 40, 30, 50]), Vec::<Vec<u32>>::new());
        // Segments of one size merge once there are enough of them.
        assert_eq!(
            merged(&[2_500, 2_400, 2_600, 2_500, 40]),
            vec![vec![2_600, 2_500, 2_500, 2_400]]
        );
    }
}
