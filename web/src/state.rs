//! The state every handler shares.

use std::sync::Arc;

use switchboard_core::Clock;
use switchboard_core::feed::SearchIndex;
use switchboard_core::ingest::Ingestor;
use switchboard_core::outbox::OutboundMail;
use switchboard_core::store::Store;
use switchboard_core::work::AttachmentBytes;

use crate::metrics::Metrics;

/// Limits and settings of the HTTP surface.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest JSON body accepted.
    pub max_json_bytes: usize,
    /// Largest NDJSON import body accepted.
    pub max_import_bytes: usize,
    /// Largest raw inbound message accepted (e-mail, document).
    pub max_inbound_bytes: usize,
    /// Browser sessions.
    pub sessions: SessionConfig,
}

/// How long browser sessions live and how their cookie is sent.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// A session ends this long after sign-in, however active.
    pub lifetime: chrono::Duration,
    /// A session ends after this long without a request.
    pub idle_timeout: chrono::Duration,
    /// Marks the cookie `Secure` (set when the server is reached over HTTPS).
    pub secure_cookie: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            lifetime: chrono::Duration::hours(12),
            idle_timeout: chrono::Duration::hours(1),
            secure_cookie: false,
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            max_json_bytes: 1024 * 1024,
            max_import_bytes: 64 * 1024 * 1024,
            max_inbound_bytes: 50 * 1024 * 1024,
            sessions: SessionConfig::default(),
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
    /// The ingest pipeline, when this node takes inbound inputs.
    pub ingestor: Option<Arc<dyn Ingestor>>,
    /// The search index, when this node keeps one.
    pub search: Option<Arc<dyn SearchIndex>>,
    /// The signed voicemail webhook, when this node takes recording callbacks.
    pub voicemail_webhook: Option<Arc<crate::api::VoicemailWebhook>>,
    /// The task API's sink, when this node takes tasks.
    pub tasks: Option<Arc<dyn crate::api::TaskSink>>,
    /// Where attachment bytes are read from, when this node serves downloads.
    pub attachment_bytes: Option<Arc<dyn AttachmentBytes>>,
    /// Composes and queues e-mail replies, when an SMTP relay is configured.
    pub outbound_mail: Option<Arc<dyn OutboundMail>>,
    /// The UI's texts in every language.
    pub texts: Arc<crate::ui::i18n::Catalog>,
    /// Sign-in attempts per login and address.
    pub login_limiter: Arc<crate::login_limit::LoginLimiter>,
    /// Sessions this node read a moment ago.
    pub sessions: Arc<crate::fresh_cache::SessionCache>,
    /// API tokens this node read a moment ago.
    pub tokens: Arc<crate::fresh_cache::TokenCache>,
    /// The configured channels the admin page shows (without secret values).
    pub channels: Arc<crate::ui::admin::ChannelOverview>,
    /// The IMAP accounts and watched folders admins edit, when this node runs their workers.
    pub channel_settings: Option<Arc<dyn crate::api::channel_settings::ChannelSettingsEditor>>,
    /// The SLA policy in force: a pause on the customer moves an item's clock on in its
    /// business time. Shared with the pipeline; the admin's SLA page replaces it.
    pub sla: Arc<switchboard_router::sla::SharedSlaPolicy>,
    /// The configuration file's `[sla]`, in force while no admin saved settings.
    pub sla_file: Arc<switchboard_router::sla::SlaSettings>,
}

impl AppState {
    /// Builds the state with the wall clock and fresh metrics.
    pub fn new(store: Arc<dyn Store>, config: WebConfig) -> Self {
        Self {
            store,
            clock: Arc::new(switchboard_core::SystemClock),
            metrics: Arc::new(Metrics::default()),
            config,
            ingestor: None,
            outbound_mail: None,
            search: None,
            voicemail_webhook: None,
            tasks: None,
            attachment_bytes: None,
            texts: Arc::new(crate::ui::i18n::Catalog::embedded()),
            login_limiter: Arc::new(crate::login_limit::LoginLimiter::default()),
            sessions: Arc::new(crate::fresh_cache::SessionCache::default()),
            tokens: Arc::new(crate::fresh_cache::TokenCache::default()),
            channels: Arc::new(crate::ui::admin::ChannelOverview::default()),
            channel_settings: None,
            sla: Arc::new(switchboard_router::sla::SharedSlaPolicy::default()),
            sla_file: Arc::new(switchboard_router::sla::SlaSettings::default()),
        }
    }

    /// Tells this node's ingest pipeline that master data changed (an import, a remembered
    /// contact), so the next input is linked against it. A failure is logged, not returned:
    /// the change is stored, and the pipeline's periodic check picks it up.
    pub async fn master_data_changed(&self) {
        if let Some(ingestor) = &self.ingestor
            && let Err(error) = ingestor.master_data_changed().await
        {
            tracing::warn!(%error, "linker not refreshed after a master-data change");
        }
    }

    /// Counts SLA pauses with `policy` instead of the default one.
    pub fn with_sla_policy(mut self, policy: switchboard_router::sla::SlaPolicy) -> Self {
        self.sla = Arc::new(switchboard_router::sla::SharedSlaPolicy::new(policy));
        self
    }

    /// Uses `policy`, shared with the pipeline, and `file` (the configuration file's `[sla]`)
    /// as the settings in force while no admin saved any.
    pub fn with_shared_sla(
        mut self,
        policy: switchboard_router::sla::SharedSlaPolicy,
        file: switchboard_router::sla::SlaSettings,
    ) -> Self {
        self.sla = Arc::new(policy);
        self.sla_file = Arc::new(file);
        self
    }

    /// Lets agents reply to items by e-mail through `mail`.
    pub fn with_outbound_mail(mut self, mail: Arc<dyn OutboundMail>) -> Self {
        self.outbound_mail = Some(mail);
        self
    }

    /// Lets this node take inbound inputs through `ingestor`.
    pub fn with_ingestor(mut self, ingestor: Arc<dyn Ingestor>) -> Self {
        self.ingestor = Some(ingestor);
        self
    }

    /// Lets admins edit the IMAP accounts and watched folders through `editor`.
    pub fn with_channel_settings(
        mut self,
        editor: Arc<dyn crate::api::channel_settings::ChannelSettingsEditor>,
    ) -> Self {
        self.channel_settings = Some(editor);
        self
    }

    /// Takes signed voicemail recording callbacks at `POST /api/v1/inbound/voicemail`.
    pub fn with_voicemail_webhook(mut self, webhook: crate::api::VoicemailWebhook) -> Self {
        self.voicemail_webhook = Some(Arc::new(webhook));
        self
    }

    /// Takes tasks at `POST /api/v1/inbound/task` and `/inbound/tasks` through `tasks`.
    pub fn with_tasks(mut self, tasks: Arc<dyn crate::api::TaskSink>) -> Self {
        self.tasks = Some(tasks);
        self
    }

    /// Serves attachment downloads from `bytes` (the blob store).
    pub fn with_attachment_bytes(mut self, bytes: Arc<dyn AttachmentBytes>) -> Self {
        self.attachment_bytes = Some(bytes);
        self
    }

    /// Shows `channels` on the admin's channel page.
    pub fn with_channels(mut self, channels: crate::ui::admin::ChannelOverview) -> Self {
        self.channels = Arc::new(channels);
        self
    }

    /// Lets handlers search through `search`.
    pub fn with_search(mut self, search: Arc<dyn SearchIndex>) -> Self {
        self.search = Some(search);
        self
    }
}
