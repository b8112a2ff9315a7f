//! The order in which batches write their items: the order they were handed over in. Batches
//! land and parse at the same time, but a reply handed over after its parent must find the
//! parent written, so each batch waits for the one before it to finish writing.

use std::sync::{Mutex, PoisonError};

use tokio::sync::oneshot;

/// Hands out write turns in the order they are taken.
#[derive(Debug, Default)]
pub(super) struct WriteOrder {
    /// Ends when the last turn handed out ends.
    last: Mutex<Option<oneshot::Receiver<()>>>,
}

/// A batch's place in the order: its writes begin once the turn before it has ended, and its
/// own ends when it is dropped (finished, failed or cancelled alike).
#[derive(Debug)]
pub(super) struct Turn {
    before: Option<oneshot::Receiver<()>>,
    _ends: oneshot::Sender<()>,
}

impl WriteOrder {
    /// Takes the next turn.
    pub(super) fn take(&self) -> Turn {
        let (ends, ended) = oneshot::channel();
        let before = self
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(ended);
        Turn {
            before,
            _ends: ends,
        }
    }
}

impl Turn {
    /// Waits until every turn taken before this one has ended.
    pub(super) async fn begin(&mut self) {
        if let Some(before) = self.before.take() {
            // The sender is only ever dropped: an error is the turn before ending.
            let _ = before.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn turns_begin_in_the_order_they_were_taken() {
        let order = WriteOrder::default();
        let written = Arc::new(Mutex::new(Vec::new()));
        let turns: Vec<Turn> = (0..4).map(|_| order.take()).collect();
        let mut tasks = Vec::new();
        // The later turns are ready first; each still waits for the ones before it.
        for (position, mut turn) in turns.into_iter().enumerate().rev() {
            let written = Arc::clone(&written);
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(5 * (4 - position as u64))).await;
                turn.begin().await;
                written.lock().unwrap().push(position);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(*written.lock().unwrap(), vec![0, 1, 2, 3]);
    }

    #[tokio::test]
    async fn a_dropped_turn_lets_the_next_one_begin() {
        let order = WriteOrder::default();
        let first = order.take();
        let mut second = order.take();
        let waiting = tokio::spawn(async move { second.begin().await });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            !waiting.is_finished(),
            "the second turn waits for the first"
        );
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the second turn begins once the first is dropped")
            .unwrap();
    }
}
