//! Background work a serving node repeats on a timer.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;

/// Runs `work` now and then every `period` (a late tick waits a whole period after it), until
/// the returned task is aborted or the runtime stops.
pub fn every<Work, Done>(period: Duration, mut work: Work) -> JoinHandle<()>
where
    Work: FnMut() -> Done + Send + 'static,
    Done: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            work().await;
        }
    })
}
