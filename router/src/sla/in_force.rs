//! The SLA policy in force: an admin's newest saved settings when there are any, else the
//! configuration file's `[sla]`; shared by everything that sets or moves clocks, and replaced
//! whole when the settings change (running code keeps the policy it started with).

use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use switchboard_core::sla::{SlaClock, SlaResume, SlaSettingsVersion};

use super::{SlaError, SlaPolicy, SlaSettings};

/// The settings in force: the newest saved version's document, else the file's (`file`).
pub fn settings_in_force(
    file: &SlaSettings,
    newest: Option<&SlaSettingsVersion>,
) -> Result<SlaSettings, SlaError> {
    match newest.and_then(|version| Some((version.version, version.document.as_ref()?))) {
        None => Ok(file.clone()),
        Some((version, document)) => {
            serde_json::from_value(document.clone()).map_err(|error| SlaError::Stored {
                version,
                reason: error.to_string(),
            })
        }
    }
}

/// The policy in force, shared: clones see the same policy, and a replacement reaches all.
#[derive(Debug, Clone)]
pub struct SharedSlaPolicy {
    current: Arc<RwLock<Arc<SlaPolicy>>>,
}

impl SharedSlaPolicy {
    /// Shares `policy`.
    pub fn new(policy: SlaPolicy) -> Self {
        Self {
            current: Arc::new(RwLock::new(Arc::new(policy))),
        }
    }

    /// The policy in force now.
    pub fn current(&self) -> Arc<SlaPolicy> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Puts `policy` in force for every holder.
    pub fn replace(&self, policy: SlaPolicy) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(policy);
    }
}

impl Default for SharedSlaPolicy {
    fn default() -> Self {
        Self::new(SlaPolicy::default())
    }
}

impl SlaResume for SharedSlaPolicy {
    fn resume(
        &self,
        clock: SlaClock,
        paused_at: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
    ) -> SlaClock {
        self.current().resume(clock, paused_at, resumed_at)
    }
}
