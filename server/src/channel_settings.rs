//! Channel settings an admin saved over the configuration file's, followed while serving: the
//! voicemail webhook's secret (the `settings` row `voicemail_webhook.secret`), so a secret saved
//! on any node is in force on this one within seconds. The value is never logged.

use std::sync::Arc;
use std::time::Duration;

use switchboard_core::store::Store;
use switchboard_web::api::webhook_secret::{SAVED_SECRET_SETTING, WebhookSecret};

/// Puts the saved webhook secret (if any) in force over the file's.
pub async fn apply_saved_webhook_secret(
    store: &dyn Store,
    secret: &WebhookSecret,
) -> anyhow::Result<()> {
    secret.apply_saved(store.setting(SAVED_SECRET_SETTING).await?.as_deref());
    Ok(())
}

/// Checks every `interval` for a changed saved webhook secret and puts it in force; runs until
/// the runtime stops.
pub fn follow_webhook_secret(
    store: Arc<dyn Store>,
    secret: WebhookSecret,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(interval).await;
            if let Err(error) = apply_saved_webhook_secret(store.as_ref(), &secret).await {
                tracing::warn!(error = %format!("{error:#}"), "webhook secret check failed");
            }
        }
    })
}
