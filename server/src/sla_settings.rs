//! The SLA settings in force on a serving node: an admin's newest saved version over the
//! configuration file's `[sla]`, read at start and followed while serving, so a change saved on
//! any node reaches this node's pipeline and pages within seconds.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::sla::SlaSettingsVersion;
use switchboard_core::store::Store;
use switchboard_router::sla::{
    SharedSlaPolicy, SlaError, SlaPolicy, SlaSettings, settings_in_force,
};

/// The settings in force after `newest` and their policy, or why they build none.
fn usable(
    file: &SlaSettings,
    newest: Option<&SlaSettingsVersion>,
) -> Result<(SlaSettings, SlaPolicy), SlaError> {
    let settings = settings_in_force(file, newest)?;
    let policy = SlaPolicy::from_settings(&settings)?;
    Ok((settings, policy))
}

/// The settings in force now and the saved version they were read at (`None`: nothing saved).
/// A saved version that no longer builds a policy is reported and the file's settings are used.
pub async fn in_force(
    store: &dyn Store,
    file: &SlaSettings,
) -> anyhow::Result<(Option<i64>, SlaSettings)> {
    let newest = store.sla_settings_versions(1).await?.into_iter().next();
    let version = newest.as_ref().map(|newest| newest.version);
    match usable(file, newest.as_ref()) {
        Ok((settings, _)) => Ok((version, settings)),
        Err(error) => {
            tracing::warn!(%error, "saved sla settings not usable, the configuration file's apply");
            Ok((version, file.clone()))
        }
    }
}

/// The pipeline's settings of `config` with the SLA settings in force, and the saved version
/// they were read at (for [`follow`]).
pub async fn pipeline_settings(
    config: &crate::config::Config,
    store: &dyn Store,
) -> anyhow::Result<(crate::pipeline::PipelineSettings, Option<i64>)> {
    let (version, sla) = in_force(store, &config.sla).await?;
    let mut settings = config.pipeline_settings();
    settings.sla = sla;
    Ok((settings, version))
}

/// Checks every `interval` whether the saved SLA settings changed since `seen` (a save on
/// another node) and puts the new policy in force; runs until the runtime stops.
pub fn follow(
    store: Arc<dyn Store>,
    file: SlaSettings,
    shared: SharedSlaPolicy,
    mut seen: Option<i64>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            let newest = match store.sla_settings_versions(1).await {
                Ok(newest) => newest.into_iter().next(),
                Err(error) => {
                    tracing::warn!(%error, "sla settings check failed");
                    continue;
                }
            };
            let version = newest.as_ref().map(|newest| newest.version);
            if version == seen {
                continue;
            }
            seen = version;
            match usable(&file, newest.as_ref()) {
                Ok((_, policy)) => {
                    shared.replace(policy);
                    tracing::info!(version, "sla settings follow the saved version");
                }
                Err(error) => tracing::warn!(%error, "saved sla settings not usable, kept"),
            }
        }
    })
}
