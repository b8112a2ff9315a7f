//! Threads that share the work of one search, so a search that must score long posting lists
//! (a word in a large share of a million items) uses every core instead of one: the segments of
//! the top-k search are split into lanes, and the count runs beside them.
//!
//! The calling thread works through a search's jobs in order while the pool's threads take
//! them from the other end; a job nobody has started when the calling thread reaches it, the
//! calling thread does itself. A pool thread slow to get a core (both busy with other work)
//! therefore never holds a search up: at worst the search runs as on one thread.
//!
//! The pool is started when the index is opened, from the thread opening it: its threads keep
//! that thread's CPU priority (request handling's), not the lowered one of the index writer.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use super::error::IndexError;

/// One job of a search.
pub(crate) type Job<R> = Box<dyn FnOnce() -> R + Send + 'static>;

/// The threads one search may use.
pub(crate) struct SearchThreads {
    /// `None`: every search runs on the calling thread alone.
    pool: Option<rayon::ThreadPool>,
    /// Fewest documents before a search is split.
    min_docs: u64,
}

impl SearchThreads {
    /// Lets a search over at least `min_docs` documents use `threads` threads: the calling one
    /// and `threads - 1` of a pool.
    pub(crate) fn new(threads: usize, min_docs: u64) -> Result<Self, IndexError> {
        let pool = if threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads - 1)
                .thread_name(|number| format!("search-{number}"))
                .build()
                .map_err(|error| IndexError::Threads(error.to_string()))?;
            Some(pool)
        } else {
            None
        };
        Ok(Self { pool, min_docs })
    }

    /// Searches run on the calling thread alone.
    #[cfg(test)]
    pub(crate) fn single() -> Self {
        Self {
            pool: None,
            min_docs: u64::MAX,
        }
    }

    /// How many lanes a top-k search over `docs` documents is split into.
    pub(crate) fn lanes_for(&self, docs: u64) -> usize {
        match &self.pool {
            Some(pool) if docs >= self.min_docs => pool.current_num_threads() + 1,
            _ => 1,
        }
    }

    /// Runs the jobs, side by side when there is a pool; the results come back in the order of
    /// the jobs. A job's panic is raised again here.
    pub(crate) fn run<R: Send + 'static>(&self, jobs: Vec<Job<R>>) -> Vec<R> {
        let Some(pool) = self.pool.as_ref().filter(|_| jobs.len() > 1) else {
            return jobs.into_iter().map(|job| job()).collect();
        };
        let board = Arc::new(Board::new(jobs));
        for number in (1..board.jobs.len()).rev() {
            let board = Arc::clone(&board);
            pool.spawn(move || board.work(number));
        }
        for number in 0..board.jobs.len() {
            board.work(number);
        }
        board.results()
    }
}

/// The jobs of one search, each taken by the first thread to reach it, and their results.
struct Board<R> {
    jobs: Vec<Mutex<Option<Job<R>>>>,
    results: Mutex<Vec<Option<std::thread::Result<R>>>>,
    finished: Condvar,
}

impl<R> Board<R> {
    fn new(jobs: Vec<Job<R>>) -> Self {
        let results = jobs.iter().map(|_| None).collect();
        Self {
            jobs: jobs.into_iter().map(|job| Mutex::new(Some(job))).collect(),
            results: Mutex::new(results),
            finished: Condvar::new(),
        }
    }

    /// Does job `number` unless another thread has taken it.
    fn work(&self, number: usize) {
        let job = self.jobs[number]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(job) = job {
            let result = catch_unwind(AssertUnwindSafe(job));
            self.results.lock().unwrap_or_else(PoisonError::into_inner)[number] = Some(result);
            self.finished.notify_all();
        }
    }

    /// Waits until every job has finished; returns their results in order.
    fn results(&self) -> Vec<R> {
        let mut results = self.results.lock().unwrap_or_else(PoisonError::into_inner);
        while results.iter().any(Option::is_none) {
            results = self
                .finished
                .wait(results)
                .unwrap_or_else(PoisonError::into_inner);
        }
        results
            .drain(..)
            .flatten()
            .map(|result| result.unwrap_or_else(|panic| resume_unwind(panic)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn small_indexes_and_single_threads_are_not_split() {
        let threads = SearchThreads::new(2, 1_000).unwrap();
        assert_eq!(threads.lanes_for(999), 1);
        assert_eq!(threads.lanes_for(1_000), 2);
        assert_eq!(SearchThreads::new(1, 0).unwrap().lanes_for(u64::MAX), 1);
        assert_eq!(SearchThreads::single().lanes_for(u64::MAX), 1);
    }

    #[test]
    fn every_job_runs_once_and_results_keep_the_order_of_the_jobs() {
        for threads in [SearchThreads::single(), SearchThreads::new(3, 0).unwrap()] {
            let runs = Arc::new(AtomicUsize::new(0));
            let jobs: Vec<Job<u32>> = (0..17)
                .map(|number: u32| {
                    let runs = Arc::clone(&runs);
                    Box::new(move || {
                        runs.fetch_add(1, Ordering::SeqCst);
                        number * 2
                    }) as Job<u32>
                })
                .collect();
            assert_eq!(
                threads.run(jobs),
                (0..17).map(|number| number * 2).collect::<Vec<_>>()
            );
            assert_eq!(runs.load(Ordering::SeqCst), 17);
        }
    }

    #[test]
    fn a_job_that_panics_panics_the_search_not_the_pool() {
        let threads = SearchThreads::new(2, 0).unwrap();
        let jobs: Vec<Job<u32>> = vec![Box::new(|| 1), Box::new(|| panic!("lane failed"))];
        let outcome = catch_unwind(AssertUnwindSafe(|| threads.run(jobs)));
        assert!(outcome.is_err());
        let jobs: Vec<Job<u32>> = vec![Box::new(|| 1), Box::new(|| 2)];
        assert_eq!(threads.run(jobs), vec![1, 2]);
    }
}
