//! Settings of the search index.

use std::time::Duration;

use super::query::MatchMode;

/// Most threads one search uses by default: beyond four, splitting a search's segments
/// further gains little (a large index has few large segments).
const MAX_SEARCH_THREADS: usize = 4;

/// How the index indexes, commits and searches.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexConfig {
    /// ISO region national phone numbers are read in (`NL`).
    pub default_region: String,
    /// AND or OR between words when a search does not say.
    pub default_mode: MatchMode,
    /// Longest time a change waits before the writer commits it.
    pub commit_interval: Duration,
    /// Once no change has come for this long, the writer commits the pending ones without
    /// waiting for `commit_interval`: the end of a burst of intake is searchable at once,
    /// while a steady stream still commits no more often than its pauses allow.
    pub commit_quiet: Duration,
    /// Changes after which the writer commits without waiting for the interval.
    pub commit_batch: usize,
    /// Indexing memory of the writer, split among its threads.
    pub writer_memory_bytes: usize,
    /// Indexing threads of the writer that follows the change feed. One by default: with two,
    /// both cores of a small machine were at times indexing to the end of their time slices
    /// while requests waited (one-word search p99 while ingesting at 1M items: 4.2 ms with one,
    /// 5.1 ms with two, mean of four runs each); one thread indexes thousands of items a second.
    pub writer_threads: usize,
    /// Indexing threads of a rebuild (`switchboard reindex`, or a new or unreadable index).
    pub rebuild_threads: usize,
    /// How often the writer looks whether another process (`switchboard reindex`) switched
    /// the index to a rebuilt generation.
    pub watch_interval: Duration,
    /// Threads one search over a large index may use (its segments are split among them);
    /// 1 searches on the requesting thread alone.
    pub search_threads: usize,
    /// Fewest documents before searches are split among threads: on a smaller index, handing
    /// work to another thread costs more than it saves.
    pub search_split_min_docs: u64,
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self {
            default_region: "NL".to_owned(),
            default_mode: MatchMode::All,
            commit_interval: Duration::from_secs(1),
            commit_quiet: Duration::from_millis(100),
            commit_batch: 10_000,
            writer_memory_bytes: 128 * 1024 * 1024,
            writer_threads: 1,
            rebuild_threads: 2,
            watch_interval: Duration::from_secs(2),
            search_threads: std::thread::available_parallelism()
                .map_or(1, std::num::NonZeroUsize::get)
                .min(MAX_SEARCH_THREADS),
            search_split_min_docs: 50_000,
        }
    }
}

impl IndexConfig {
    /// Returns the memory of a writer with `threads` indexing threads, raised to what tantivy
    /// needs per thread.
    pub(crate) fn writer_memory(&self, threads: usize) -> usize {
        let minimum_per_thread = 16 * 1024 * 1024;
        self.writer_memory_bytes.max(minimum_per_thread * threads)
    }
}
