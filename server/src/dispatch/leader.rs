//! One router across nodes on PostgreSQL: a node routes only while it holds a session-level
//! advisory lock on a dedicated connection kept for as long as it routes. Other nodes try again
//! every second, so when the routing node dies (its connection closes and the lock with it)
//! another takes over within a few seconds. Decisions stay fenced by item versions, so a node
//! that lost the lock mid-round cannot assign anything twice.

use sqlx::postgres::PgListener;

use super::DispatchHandle;
use crate::advisory_lock::{AdvisoryLock, RETRY};

/// The advisory-lock key of the router ("SWBROUTE").
pub const ROUTER_LOCK_KEY: i64 = 0x5357_4252_4f55_5445;

/// The channel routing changes are announced on (see migration 0003).
pub const ROUTING_CHANNEL: &str = "switchboard_routing";

/// The lock connection and the change listener of the routing node.
pub struct Leadership {
    lock: AdvisoryLock,
    listener: PgListener,
    check: tokio::time::Interval,
}

impl Leadership {
    /// Waits for a routing change or the next lock check; false when the lock is lost.
    pub async fn event(&mut self) -> bool {
        tokio::select! {
            notification = self.listener.recv() => {
                if let Err(error) = notification {
                    tracing::warn!(%error, "routing listener failed");
                    tokio::time::sleep(RETRY).await;
                }
                true
            }
            _ = self.check.tick() => {
                self.lock.check().await.is_ok()
            }
        }
    }
}

/// Takes the router lock, waiting while another node holds it.
pub async fn acquire(url: &str) -> Result<Leadership, sqlx::Error> {
    let lock = AdvisoryLock::acquire(url, ROUTER_LOCK_KEY).await?;
    let mut listener = PgListener::connect(url).await?;
    listener.listen(ROUTING_CHANNEL).await?;
    let mut check = tokio::time::interval(RETRY);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    Ok(Leadership {
        lock,
        listener,
        check,
    })
}

/// Routes whenever this node holds the router lock, for the life of the process.
pub async fn run_as_leader(handle: DispatchHandle, url: &str) {
    loop {
        match acquire(url).await {
            Ok(mut leadership) => {
                tracing::info!("router lock taken; this node routes");
                handle.routing_session(Some(&mut leadership)).await;
                tracing::warn!("router lock lost; this node stops routing");
            }
            Err(error) => {
                tracing::warn!(%error, "cannot take the router lock");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}
