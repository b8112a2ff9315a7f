//! Deletes browser sessions that ended or idled out, so the sessions table holds only live ones.
//! Expired sessions are already refused on every request; this only reclaims their rows.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::Clock;
use switchboard_core::store::Store;
use tokio::task::JoinHandle;

/// How often stale sessions are swept on a serving node.
pub const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);

/// Sweeps now and then every `every`: deletes sessions past their lifetime or idle longer than
/// `idle_timeout`. Every node may sweep; deleting rows another node deleted is harmless.
pub fn start(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    idle_timeout: chrono::Duration,
    every: Duration,
) -> JoinHandle<()> {
    crate::periodic::every(every, move || {
        let (store, clock) = (store.clone(), clock.clone());
        async move {
            let now = clock.now();
            match store.delete_stale_sessions(now, now - idle_timeout).await {
                Ok(0) => {}
                Ok(removed) => tracing::debug!(removed, "stale sessions deleted"),
                Err(error) => tracing::warn!(error = %error, "stale sessions not swept"),
            }
        }
    })
}
