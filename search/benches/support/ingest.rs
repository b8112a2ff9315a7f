//! Ingest while queries run: a feeder thread hands the index writer a steady stream of changes,
//! as the server's indexer does (it reads the change feed every 200 ms and applies what it finds;
//! the writer commits within its commit interval, 1 s, and reloads the reader after each commit).

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

use switchboard_search::index::{Change, IndexHandle};

use super::corpus::{Rng, Vocab, gen_item};

/// How often the feeder hands over a batch: the indexer's feed poll interval.
const POLL_INTERVAL: Duration = Duration::from_millis(200);

/// A running feeder; [`Feeder::stop`] ends it.
pub struct Feeder<'scope> {
    stop: Sender<()>,
    thread: ScopedJoinHandle<'scope, Fed>,
}

/// What a feeder handed over.
pub struct Fed {
    pub changes: usize,
    pub new_items: usize,
    pub seconds: f64,
}

impl Fed {
    pub fn per_second(&self) -> f64 {
        self.changes as f64 / self.seconds
    }
}

impl<'scope> Feeder<'scope> {
    /// Starts feeding `per_second` changes into `index`, which holds items `1..=items`: every
    /// other change a new item, the others an existing item indexed again (as a status change
    /// re-indexes it), in batches every [`POLL_INTERVAL`].
    pub fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        index: &'env IndexHandle,
        vocab: &'env Vocab,
        items: usize,
        per_second: usize,
    ) -> Self {
        let (stop, stopped) = mpsc::channel::<()>();
        let per_batch = (per_second as f64 * POLL_INTERVAL.as_secs_f64()).round() as usize;
        let thread = scope.spawn(move || {
            let mut rng = Rng::new(4321);
            let mut last_id = items as i64;
            let mut fed = Fed {
                changes: 0,
                new_items: 0,
                seconds: 0.0,
            };
            let started = Instant::now();
            let mut next = started;
            loop {
                next += POLL_INTERVAL;
                match stopped.recv_timeout(next.saturating_duration_since(Instant::now())) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                }
                let batch = (0..per_batch)
                    .map(|_| {
                        fed.changes += 1;
                        let id = if fed.changes.is_multiple_of(2) {
                            1 + rng.below(last_id as u64) as i64
                        } else {
                            fed.new_items += 1;
                            last_id += 1;
                            last_id
                        };
                        let seq = items as i64 + fed.changes as i64;
                        (seq, Change::Upsert(gen_item(vocab, &mut rng, id)))
                    })
                    .collect();
                index.apply(batch).unwrap();
            }
            fed.seconds = started.elapsed().as_secs_f64();
            fed
        });
        Self { stop, thread }
    }

    /// Stops feeding and says what was fed.
    pub fn stop(self) -> Fed {
        drop(self.stop);
        self.thread.join().unwrap()
    }
}
