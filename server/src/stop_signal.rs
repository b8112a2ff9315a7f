//! Asking a channel worker to stop at its next safe point: a worker waits (for mail, for the
//! next scan, for a lock) with [`StopSignal::unless_stopped`], and checks
//! [`StopSignal::is_stopped`] between batches, so a batch it began is landed and marked before it
//! returns.

use std::future::Future;

use tokio::sync::watch;

/// The receiving side: cheap to clone, never stops unless its [`Stopper`] says so.
#[derive(Debug, Clone)]
pub struct StopSignal(watch::Receiver<bool>);

/// The sending side, held by whoever may stop the worker.
#[derive(Debug)]
pub struct Stopper(watch::Sender<bool>);

impl StopSignal {
    /// A new signal and the handle that raises it.
    pub fn new() -> (Stopper, Self) {
        let (sender, receiver) = watch::channel(false);
        (Stopper(sender), Self(receiver))
    }

    /// A signal that is never raised (a worker for the life of the process).
    pub fn never() -> Self {
        let (_dropped, signal) = Self::new();
        signal
    }

    /// Whether the worker was asked to stop.
    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until the worker is asked to stop (forever for [`StopSignal::never`]).
    pub async fn stopped(&self) {
        let mut receiver = self.0.clone();
        if receiver.wait_for(|stopped| *stopped).await.is_err() {
            // The stopper is gone without stopping: nobody can stop this worker any more.
            std::future::pending::<()>().await;
        }
    }

    /// Runs `future` unless the worker is asked to stop first (`None`); for waits that may be
    /// abandoned without losing anything.
    pub async fn unless_stopped<F: Future>(&self, future: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            () = self.stopped() => None,
            output = future => Some(output),
        }
    }
}

impl Stopper {
    /// Asks the worker to stop at its next safe point.
    pub fn stop(&self) {
        self.0.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_wait_ends_when_stopped_and_never_for_a_signal_nobody_holds() {
        let (stopper, signal) = StopSignal::new();
        assert!(!signal.is_stopped());
        let waiting = tokio::spawn({
            let signal = signal.clone();
            async move { signal.unless_stopped(std::future::pending::<()>()).await }
        });
        stopper.stop();
        assert_eq!(waiting.await.unwrap(), None);
        assert!(signal.is_stopped());
        assert_eq!(signal.unless_stopped(async { 7 }).await, None);

        let never = StopSignal::never();
        assert_eq!(never.unless_stopped(async { 7 }).await, Some(7));
        let still_waiting = tokio::time::timeout(Duration::from_millis(50), never.stopped()).await;
        assert!(still_waiting.is_err());
    }
}
