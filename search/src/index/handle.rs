//! The handle the rest of Switchboard holds: searches on the shared reader, hands changes to
//! the writer thread, reports the durable change-feed position, rebuilds.

use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::Instant;

use super::config::IndexConfig;
use super::docs::{Change, Doc, MasterChange};
use super::document::DocumentBuilder;
use super::error::IndexError;
use super::generation::{Generation, Payload};
use super::layout::Layout;
use super::query::SearchQuery;
use super::search::{self, SearchResults};
use super::search_threads::SearchThreads;
use super::writer::{Command, WriterLoop, WriterUse, open_writer};

/// Where the feed stands: the generation changes are fed to and the last sequence handed to
/// the writer (committed or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedPosition {
    /// The index generation; changes when a rebuild is switched in.
    pub generation: u64,
    /// The last change-feed sequence handed to the writer.
    pub seq: i64,
}

/// State shared by the handles and the writer thread.
pub(crate) struct Shared {
    /// The generation searches run on.
    pub current: RwLock<Arc<Generation>>,
    /// The feed position; changed together with `current` on a switch.
    pub feed: Mutex<FeedState>,
    /// The last sequence committed into the current generation.
    pub applied_seq: AtomicI64,
    /// Changes handed to the writer and not yet applied.
    pub queued: AtomicUsize,
}

pub(crate) struct FeedState {
    pub generation: u64,
    pub fed_seq: i64,
}

struct Inner {
    layout: Layout,
    config: IndexConfig,
    shared: Arc<Shared>,
    /// Share each search's work; started here, at the opening thread's priority.
    search_threads: SearchThreads,
    commands: Mutex<Option<Sender<Command>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    reset: bool,
}

impl Drop for Inner {
    /// Closes the writer's queue (the writer commits what it has and stops) and waits for it,
    /// so the directory can be opened again right away.
    fn drop(&mut self) {
        drop(
            self.commands
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
        if let Some(thread) = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            && thread.join().is_err()
        {
            tracing::error!("index writer thread panicked");
        }
    }
}

/// The search index: cheap to clone, shared by every task that searches or feeds it.
#[derive(Clone)]
pub struct IndexHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for IndexHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexHandle")
            .field("applied_seq", &self.applied_seq())
            .finish_non_exhaustive()
    }
}

impl IndexHandle {
    /// Opens the index under `root`, creating it when missing, and starts its writer thread.
    /// An index written by another schema version is replaced by an empty one
    /// ([`Self::was_reset`] tells), which the change feed then fills from sequence 0.
    pub fn open(root: impl AsRef<Path>, config: IndexConfig) -> Result<Self, IndexError> {
        let layout = Layout::new(root.as_ref())?;
        let mut reset = false;
        let generation = match layout.current()? {
            Some(number) => match Generation::open(&layout.dir_of(number), number) {
                Ok(generation) => generation,
                Err(IndexError::Layout { path, reason }) => {
                    tracing::warn!(path = %path.display(), %reason, "search index replaced by an empty one");
                    reset = true;
                    create_generation(&layout)?
                }
                Err(error) => return Err(error),
            },
            None => create_generation(&layout)?,
        };
        layout.remove_older_than(generation.number);
        let search_threads =
            SearchThreads::new(config.search_threads, config.search_split_min_docs)?;
        let writer = open_writer(&generation, &config, WriterUse::Live)?;
        let applied = generation.applied_seq()?;
        let generation = Arc::new(generation);
        let shared = Arc::new(Shared {
            current: RwLock::new(Arc::clone(&generation)),
            feed: Mutex::new(FeedState {
                generation: generation.number,
                fed_seq: applied,
            }),
            applied_seq: AtomicI64::new(applied),
            queued: AtomicUsize::new(0),
        });
        let (sender, receiver) = mpsc::channel();
        let writer_loop = WriterLoop {
            layout: layout.clone(),
            config: config.clone(),
            shared: Arc::clone(&shared),
            generation,
            writer,
            pending: 0,
            pending_since: None,
            last_change: None,
            last_commit: Instant::now(),
            seq: applied,
            last_watch: Instant::now(),
        };
        let thread = std::thread::Builder::new()
            .name("search-index-writer".to_owned())
            .spawn(move || writer_loop.run(&receiver))
            .map_err(|error| IndexError::io(root.as_ref(), error))?;
        tracing::info!(root = %root.as_ref().display(), applied_seq = applied, "search index open");
        Ok(Self {
            inner: Arc::new(Inner {
                layout,
                config,
                shared,
                search_threads,
                commands: Mutex::new(Some(sender)),
                thread: Mutex::new(Some(thread)),
                reset,
            }),
        })
    }

    /// Tells whether opening found an index of another schema version and started afresh;
    /// master data must then be indexed again (a `reindex` does both).
    pub fn was_reset(&self) -> bool {
        self.inner.reset
    }

    /// Returns the last change-feed sequence committed into the index: after a crash, feeding
    /// resumes after it.
    pub fn applied_seq(&self) -> i64 {
        self.inner.shared.applied_seq.load(Ordering::Acquire)
    }

    /// Returns where feeding stands; pass it back to [`Self::apply_at`].
    pub fn feed_position(&self) -> FeedPosition {
        let feed = self.feed_state();
        FeedPosition {
            generation: feed.generation,
            seq: feed.fed_seq,
        }
    }

    /// Returns the number of changes handed to the writer and not yet applied; a feeder waits
    /// while it is high.
    pub fn queued(&self) -> usize {
        self.inner.shared.queued.load(Ordering::Acquire)
    }

    /// Hands item changes to the writer, which applies them in order and commits them within
    /// the commit interval. Never blocks.
    pub fn apply(&self, batch: Vec<(i64, Change)>) -> Result<(), IndexError> {
        let mut feed = self.feed_state();
        let generation = feed.generation;
        let last = batch.iter().map(|(seq, _)| *seq).max();
        self.send_apply(generation, batch)?;
        if let Some(last) = last {
            feed.fed_seq = feed.fed_seq.max(last);
        }
        Ok(())
    }

    /// Hands item changes read after `position` to the writer, unless a rebuild was switched
    /// in since the position was read; then nothing is applied, `false` is returned, and the
    /// feeder reads again from [`Self::feed_position`].
    pub fn apply_at(
        &self,
        position: FeedPosition,
        batch: Vec<(i64, Change)>,
    ) -> Result<bool, IndexError> {
        let mut feed = self.feed_state();
        if feed.generation != position.generation || feed.fed_seq != position.seq {
            return Ok(false);
        }
        let last = batch.iter().map(|(seq, _)| *seq).max();
        self.send_apply(position.generation, batch)?;
        if let Some(last) = last {
            feed.fed_seq = feed.fed_seq.max(last);
        }
        Ok(true)
    }

    /// Hands master-data changes (customers, orders) to the writer.
    pub fn update_master(&self, changes: Vec<MasterChange>) -> Result<(), IndexError> {
        self.send(Command::Master { changes })
    }

    /// Commits everything handed over so far and makes it searchable; returns the applied
    /// sequence. Waits for the writer.
    pub fn commit(&self) -> Result<i64, IndexError> {
        let (reply, answer) = mpsc::channel();
        self.send(Command::Commit { reply })?;
        answer.recv().map_err(|_| IndexError::WriterStopped)?
    }

    /// Rebuilds the index from scratch into a new generation while the current one keeps
    /// serving, then switches to it. `applied_seq` is the change-feed sequence the documents
    /// reflect: read it before reading the items, so no change falls between.
    /// Returns the number of documents indexed.
    pub fn rebuild(
        &self,
        docs: impl IntoIterator<Item = Doc>,
        applied_seq: i64,
    ) -> Result<u64, IndexError> {
        let count = build_generation(&self.inner.layout, &self.inner.config, docs, applied_seq)?;
        let (reply, answer) = mpsc::channel();
        self.send(Command::Adopt { reply })?;
        answer.recv().map_err(|_| IndexError::WriterStopped)??;
        Ok(count)
    }

    /// Searches the committed documents.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults, IndexError> {
        let generation = Arc::clone(
            &self
                .inner
                .shared
                .current
                .read()
                .unwrap_or_else(PoisonError::into_inner),
        );
        search::run(
            &generation,
            &self.inner.search_threads,
            query,
            self.inner.config.default_mode,
            &self.inner.config.default_region,
        )
    }

    /// Returns the number of searchable documents of every kind.
    pub fn num_docs(&self) -> u64 {
        let current = self
            .inner
            .shared
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        current.reader.searcher().num_docs()
    }

    /// Returns the number of searchable segments (a figure for metrics and benchmarks).
    pub fn segment_count(&self) -> usize {
        let current = self
            .inner
            .shared
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        current.reader.searcher().segment_readers().len()
    }

    /// Commits, waits for merges and stops the writer; clones of this handle can still search.
    pub fn shutdown(self) -> Result<i64, IndexError> {
        let (reply, answer) = mpsc::channel();
        self.send(Command::Shutdown { reply })?;
        answer.recv().map_err(|_| IndexError::WriterStopped)?
    }

    /// Stops the writer without committing, as a crash would; for recovery tests.
    #[doc(hidden)]
    pub fn simulate_crash(self) {
        let _ = self.send(Command::Abandon);
    }

    fn feed_state(&self) -> std::sync::MutexGuard<'_, FeedState> {
        self.inner
            .shared
            .feed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn send_apply(&self, generation: u64, batch: Vec<(i64, Change)>) -> Result<(), IndexError> {
        let count = batch.len();
        self.inner.shared.queued.fetch_add(count, Ordering::AcqRel);
        let sent = self.send(Command::Apply { generation, batch });
        if sent.is_err() {
            self.inner.shared.queued.fetch_sub(count, Ordering::AcqRel);
        }
        sent
    }

    fn send(&self, command: Command) -> Result<(), IndexError> {
        let commands = self
            .inner
            .commands
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        commands
            .as_ref()
            .ok_or(IndexError::WriterStopped)?
            .send(command)
            .map_err(|_| IndexError::WriterStopped)
    }
}

fn create_generation(layout: &Layout) -> Result<Generation, IndexError> {
    let (number, _) = layout.reserve()?;
    let building = layout.building_dir_of(number);
    drop(Generation::create(&building, number)?);
    let dir = layout.complete(number)?;
    layout.set_current(number)?;
    Generation::open(&dir, number)
}

/// Rebuilds the index under `root` from scratch into a new generation and switches `CURRENT`
/// to it; a server running on the same root switches within its watch interval. This is what
/// `switchboard reindex` calls. Returns the number of documents indexed.
pub fn rebuild_index(
    root: impl AsRef<Path>,
    config: &IndexConfig,
    docs: impl IntoIterator<Item = Doc>,
    applied_seq: i64,
) -> Result<u64, IndexError> {
    let layout = Layout::new(root.as_ref())?;
    build_generation(&layout, config, docs, applied_seq)
}

fn build_generation(
    layout: &Layout,
    config: &IndexConfig,
    docs: impl IntoIterator<Item = Doc>,
    applied_seq: i64,
) -> Result<u64, IndexError> {
    let (number, building) = layout.reserve()?;
    let started = Instant::now();
    let generation = Generation::create(&building, number)?;
    let mut writer = open_writer(&generation, config, WriterUse::Rebuild)?;
    let builder = DocumentBuilder {
        fields: &generation.fields,
        default_region: &config.default_region,
    };
    let mut count = 0_u64;
    for doc in docs {
        let document = match &doc {
            Doc::Item(item) => builder.item(item),
            Doc::Customer(customer) => builder.customer(customer),
            Doc::Order(order) => builder.order(order),
        };
        writer.add_document(document)?;
        count += 1;
    }
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&Payload::new(applied_seq).to_json());
    prepared.commit()?;
    writer.wait_merging_threads()?;
    drop(generation);
    layout.complete(number)?;
    layout.set_current(number)?;
    tracing::info!(
        generation = number,
        documents = count,
        applied_seq,
        seconds = started.elapsed().as_secs_f64(),
        "search index rebuilt"
    );
    Ok(count)
}
