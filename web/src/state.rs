//! The state every handler shares.

use std::sync::Arc;

use switchboard_core::Clock;
use switchboard_core::store::Store;

use crate::metrics::Metrics;

/// Limits and settings of the HTTP surface.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest JSON body accepted.
    pub max_json_bytes: usize,
    /// Largest NDJSON import body accepted.
    pub max_import_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            max_json_bytes: 1024 * 1024,
            max_import_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Shared handles: the store, the clock, metrics and settings.
#[derive(Clone)]
pub struct AppState {
    /// The system of record.
    pub store: Arc<dyn Store>,
    /// The time source.
    pub clock: Arc<dyn Clock>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Settings.
    pub config: WebConfig,
}

impl AppState {
    /// Builds the state with the wall clock and fresh metrics.
    pub fn new(store: Arc<dyn Store>, config: WebConfig) -> Self {
        Self {
            store,
            clock: Arc::new(switchboard_core::SystemClock),
            metrics: Arc::new(Metrics::default()),
            config,
        }
    }
}
