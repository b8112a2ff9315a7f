//! Samples the backlog for the lead board's history chart: every few minutes each serving node
//! records how many items wait per channel in the current time slot. Slots are the same on every
//! node and a slot is recorded once, so several nodes sampling together write one row per
//! channel. Samples older than [`KEEP_SAMPLES_FOR`] are deleted.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::Clock;
use switchboard_core::history::sample_slot;
use switchboard_core::store::Store;
use tokio::task::JoinHandle;

/// How often a serving node samples the backlog (the chart's resolution).
pub const SAMPLE_EVERY: Duration = switchboard_core::history::BACKLOG_SAMPLE_EVERY;

/// How long samples are kept; the board shows the last 24 hours.
pub const KEEP_SAMPLES_FOR: chrono::Duration = chrono::Duration::days(8);

/// Samples now and then every `every`, into slots `every` long.
pub fn start(store: Arc<dyn Store>, clock: Arc<dyn Clock>, every: Duration) -> JoinHandle<()> {
    let slot_length = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::minutes(5));
    crate::periodic::every(every, move || {
        let (store, clock) = (store.clone(), clock.clone());
        async move {
            let now = clock.now();
            let slot = sample_slot(now, slot_length);
            match store.record_backlog_sample(slot).await {
                Ok(written) => tracing::debug!(written, "backlog sampled"),
                Err(error) => tracing::warn!(error = %error, "backlog not sampled"),
            }
            if let Err(error) = store.prune_backlog_samples(now - KEEP_SAMPLES_FOR).await {
                tracing::warn!(error = %error, "old backlog samples not pruned");
            }
        }
    })
}
