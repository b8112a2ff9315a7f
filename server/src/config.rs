//! Configuration in layers: defaults, then a TOML file, then `SWITCHBOARD_*` environment
//! variables (`__` nests). Passed down explicitly; never global.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use switchboard_channels::voicemail::RecordingUrlPolicy;
use switchboard_core::case::CaseRule;
use switchboard_router::sla::SlaSettings;

/// The default configuration file, read when present and no `--config` is given.
pub const DEFAULT_FILE: &str = "switchboard.toml";

/// Every setting of a Switchboard node.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://...` (default `sqlite://<data_dir>/switchboard.db`) or `postgres://...`.
    pub database_url: Option<String>,
    /// Where blobs, the search index and the SQLite database live.
    pub data_dir: PathBuf,
    /// HTTP listen address.
    pub listen: String,
    /// Largest JSON request body in bytes.
    pub max_json_bytes: usize,
    /// Largest NDJSON import body in bytes.
    pub max_import_bytes: usize,
    /// Largest raw inbound message (HTTP intake) in bytes.
    pub max_inbound_bytes: usize,
    /// Who the contact centre is: its own addresses and numbers are never a customer's.
    pub organisation: Organisation,
    /// The signed voicemail webhook of the telephony provider.
    pub voicemail_webhook: VoicemailWebhookSettings,
    /// IMAP mailboxes read and the SMTP relay replies go out through.
    #[serde(default)]
    pub mail: crate::mail::MailSettings,
    /// Service levels: business hours, holidays and targets per queue and channel.
    pub sla: SlaSettings,
    /// Folders whose files are ingested (`[[watch]]` entries).
    pub watch: Vec<crate::watch::WatchFolder>,
    /// Marks the session cookie `Secure`: set it when browsers reach the server over HTTPS.
    pub secure_cookies: bool,
    /// How items of one customer are grouped into cases (`[cases] window_hours`).
    pub cases: CaseRule,
    /// How long browser sessions live.
    pub sessions: SessionSettings,
    /// How many document pages are read (one Tesseract or Poppler process each) at once;
    /// default: one less than the cores, at least one.
    pub ocr_workers: Option<usize>,
    /// Threads one search over a large index may use; default: the cores, at most four.
    pub search_threads: Option<usize>,
}

/// Browser session lifetimes (`[sessions]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionSettings {
    /// A session ends this many hours after sign-in, however active.
    pub lifetime_hours: u32,
    /// A session ends after this many minutes without a request.
    pub idle_minutes: u32,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            lifetime_hours: 12,
            idle_minutes: 60,
        }
    }
}

impl SessionSettings {
    /// The web layer's session settings, with the cookie's `Secure` flag.
    pub fn web(&self, secure_cookie: bool) -> switchboard_web::SessionConfig {
        switchboard_web::SessionConfig {
            lifetime: chrono::Duration::hours(i64::from(self.lifetime_hours.max(1))),
            idle_timeout: chrono::Duration::minutes(i64::from(self.idle_minutes.max(1))),
            secure_cookie,
        }
    }
}

/// Settings of `POST /api/v1/inbound/voicemail`; without a secret the route does not exist (404).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VoicemailWebhookSettings {
    /// Shared HMAC secret (write-only: never logged).
    pub secret: Option<String>,
    /// How old a signed timestamp may be, in seconds; replays are refused within it.
    pub tolerance_seconds: i64,
    /// Hosts a recording URL may point at (`*.example.com` allows subdomains); recordings are
    /// fetched from them.
    pub allowed_recording_hosts: Vec<String>,
    /// Whether plain-http recording URLs are allowed (test set-ups only).
    pub allow_http_recordings: bool,
    /// Ports a recording URL may name besides the scheme's default.
    pub allowed_recording_ports: Vec<u16>,
    /// Largest recording fetched, in bytes.
    pub max_recording_bytes: usize,
    /// Longest a recording fetch may take, in seconds.
    pub recording_timeout_seconds: u64,
    /// Largest `multipart/form-data` callback (JSON and uploaded recording), in bytes; unset:
    /// the largest recording plus the JSON limit.
    pub max_upload_bytes: Option<usize>,
}

impl VoicemailWebhookSettings {
    /// The largest upload accepted: the configured one, else the largest recording plus
    /// `json_limit`.
    pub fn max_upload_bytes(&self, json_limit: usize) -> usize {
        self.max_upload_bytes
            .unwrap_or_else(|| self.max_recording_bytes.saturating_add(json_limit))
    }

    /// Which recording URLs are accepted and fetched.
    pub fn recording_policy(&self) -> RecordingUrlPolicy {
        RecordingUrlPolicy {
            allowed_hosts: self.allowed_recording_hosts.clone(),
            allow_http: self.allow_http_recordings,
            allowed_ports: self.allowed_recording_ports.clone(),
        }
    }
}

impl Default for VoicemailWebhookSettings {
    fn default() -> Self {
        Self {
            secret: None,
            tolerance_seconds: 300,
            allowed_recording_hosts: Vec::new(),
            allow_http_recordings: false,
            allowed_recording_ports: Vec::new(),
            max_recording_bytes: 20 * 1024 * 1024,
            recording_timeout_seconds: 30,
            max_upload_bytes: None,
        }
    }
}

impl fmt::Debug for VoicemailWebhookSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VoicemailWebhookSettings")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("tolerance_seconds", &self.tolerance_seconds)
            .field("allowed_recording_hosts", &self.allowed_recording_hosts)
            .field("allow_http_recordings", &self.allow_http_recordings)
            .field("allowed_recording_ports", &self.allowed_recording_ports)
            .field("max_recording_bytes", &self.max_recording_bytes)
            .field("recording_timeout_seconds", &self.recording_timeout_seconds)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .finish()
    }
}

/// The contact centre's own identity.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Organisation {
    /// Our mailbox addresses, e.g. `klantenservice@velora.example.nl`.
    pub own_addresses: Vec<String>,
    /// Our domains; senders there are colleagues (forwards), never customers.
    pub internal_domains: Vec<String>,
    /// Our phone and fax numbers, any format.
    pub own_numbers: Vec<String>,
    /// Region for numbers written without a country code (ISO 3166 alpha-2).
    pub default_region: Option<String>,
    /// Key that signs the reference tokens in our outbound subjects and Message-IDs.
    pub reference_secret: Option<String>,
}

impl fmt::Debug for Organisation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Organisation")
            .field("own_addresses", &self.own_addresses)
            .field("internal_domains", &self.internal_domains)
            .field("own_numbers", &self.own_numbers)
            .field("default_region", &self.default_region)
            .field(
                "reference_secret",
                &self.reference_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            data_dir: PathBuf::from("./data"),
            listen: "127.0.0.1:8080".to_owned(),
            max_json_bytes: 1024 * 1024,
            max_import_bytes: 64 * 1024 * 1024,
            max_inbound_bytes: 50 * 1024 * 1024,
            organisation: Organisation::default(),
            voicemail_webhook: VoicemailWebhookSettings::default(),
            mail: crate::mail::MailSettings::default(),
            sla: SlaSettings::default(),
            watch: Vec::new(),
            secure_cookies: false,
            cases: CaseRule::default(),
            sessions: SessionSettings::default(),
            ocr_workers: None,
            search_threads: None,
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field(
                "database_url",
                &switchboard_store::redact_url(&self.database_url()),
            )
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("max_json_bytes", &self.max_json_bytes)
            .field("max_import_bytes", &self.max_import_bytes)
            .field("max_inbound_bytes", &self.max_inbound_bytes)
            .field("organisation", &self.organisation)
            .field("voicemail_webhook", &self.voicemail_webhook)
            .field("mail", &self.mail)
            .field("sla", &self.sla)
            .field("watch", &self.watch)
            .field("secure_cookies", &self.secure_cookies)
            .field("cases", &self.cases)
            .field("sessions", &self.sessions)
            .field("ocr_workers", &self.ocr_workers)
            .field("search_threads", &self.search_threads)
            .finish()
    }
}

/// What `serve` logs at info on start: where it listens and stores, and how many of each list
/// setting there are, never the lists themselves (phrase tables and reply templates are long;
/// the whole configuration is logged at debug).
pub struct ConfigSummary<'a>(&'a Config);

impl fmt::Display for ConfigSummary<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = self.0;
        let mail = &config.mail;
        let phrases = &mail.spam.phrases;
        let spam_phrases = [&phrases.en, &phrases.nl, &phrases.de, &phrases.fr]
            .iter()
            .map(|table| table.len())
            .sum::<usize>();
        write!(
            f,
            "database={} data_dir={} listen={} imap_mailboxes={} smtp_relay={} \
             reply_templates={} spam_scoring={} spam_phrases={} watch_folders={} \
             sla_targets={} sla_holidays={} case_window_hours={} ocr_workers={} \
             search_threads={}",
            switchboard_store::redact_url(&config.database_url()),
            config.data_dir.display(),
            config.listen,
            mail.imap.len(),
            mail.smtp.is_some(),
            mail.reply_templates.len(),
            mail.spam.enabled,
            spam_phrases,
            config.watch.len(),
            config.sla.targets.len(),
            config.sla.holidays.len(),
            config.cases.window_hours,
            auto_or(config.ocr_workers),
            auto_or(config.search_threads),
        )
    }
}

/// A count as configured, or `auto` for the default.
fn auto_or(count: Option<usize>) -> String {
    count.map_or_else(|| "auto".to_owned(), |count| count.to_string())
}

/// Environment variables with our prefix that are not settings (read by tests or logging).
const NOT_SETTINGS: &[&str] = &["TEST_DATABASE_URL", "LOG_FORMAT"];

impl Config {
    /// Loads defaults, then the file (`--config`, else `switchboard.toml` if present), then
    /// the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "config file {} does not exist",
                    path.display()
                );
                figment = figment.merge(Toml::file(path));
            }
            None if Path::new(DEFAULT_FILE).exists() => {
                figment = figment.merge(Toml::file(DEFAULT_FILE));
            }
            None => {}
        }
        warn_unknown_environment();
        figment = figment.merge(
            Env::prefixed("SWITCHBOARD_")
                .split("__")
                .filter(|key| is_setting(key.as_str())),
        );
        figment.extract().context("invalid configuration")
    }

    /// A one-line summary for the start-up log: counts instead of lists, secrets redacted.
    pub fn summary(&self) -> ConfigSummary<'_> {
        ConfigSummary(self)
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/switchboard.db", self.data_dir.display()))
    }

    /// The folder of the blob store.
    pub fn blob_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }

    /// The pipeline's settings derived from this configuration.
    pub fn pipeline_settings(&self) -> crate::pipeline::PipelineSettings {
        let organisation = &self.organisation;
        let webhook = &self.voicemail_webhook;
        let mut settings = crate::pipeline::PipelineSettings {
            sla: self.sla.clone(),
            recordings: crate::pipeline::recording::RecordingFetchSettings {
                policy: webhook.recording_policy(),
                max_bytes: webhook.max_recording_bytes,
                timeout: std::time::Duration::from_secs(webhook.recording_timeout_seconds),
            },
            ..crate::pipeline::PipelineSettings::default()
        };
        if let Some(workers) = self.ocr_workers {
            settings.ocr_workers = workers.max(1);
        }
        let email = &mut settings.parsers.email;
        email.own_addresses = organisation.own_addresses.clone();
        email.internal_domains = organisation.internal_domains.clone();
        email.spam_scoring = switchboard_channels::email::SpamScorer::new(&self.mail.spam);
        email.reference_secrets = organisation
            .reference_secret
            .iter()
            .map(|secret| {
                switchboard_channels::reference_token::TokenSecret::new(secret.as_bytes())
            })
            .collect();
        let linking = &mut settings.linking;
        linking.own_domains = organisation.internal_domains.clone();
        linking.own_numbers = organisation.own_numbers.clone();
        if let Some(region) = &organisation.default_region {
            linking.default_region = region.clone();
            settings.parsers.voicemail.default_region = region.clone();
        }
        settings
    }
}

/// Top-level settings an environment variable may set (nested ones with `__`).
const SETTINGS: &[&str] = &[
    "database_url",
    "data_dir",
    "listen",
    "max_json_bytes",
    "max_import_bytes",
    "max_inbound_bytes",
    "organisation",
    "voicemail_webhook",
    "mail",
    "sla",
    "watch",
    "secure_cookies",
    "cases",
    "sessions",
    "ocr_workers",
    "search_threads",
];

fn is_setting(key: &str) -> bool {
    let top = key.split('.').next().unwrap_or(key);
    SETTINGS
        .iter()
        .any(|setting| top.eq_ignore_ascii_case(setting))
}

fn warn_unknown_environment() {
    for (name, _) in std::env::vars() {
        let Some(key) = name.strip_prefix("SWITCHBOARD_") else {
            continue;
        };
        let top = key.split("__").next().unwrap_or(key);
        let ignored_on_purpose = NOT_SETTINGS
            .iter()
            .any(|skip| top.eq_ignore_ascii_case(skip));
        if !is_setting(top) && !ignored_on_purpose {
            tracing::warn!(variable = %name, "unknown SWITCHBOARD_ environment variable ignored");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_follows_data_dir_unless_set() {
        let mut config = Config::default();
        assert_eq!(config.database_url(), "sqlite://./data/switchboard.db");
        config.data_dir = PathBuf::from("/srv/sb");
        assert_eq!(config.database_url(), "sqlite:///srv/sb/switchboard.db");
        config.database_url = Some("postgres://sb:secret@db/sb".into());
        assert_eq!(config.database_url(), "postgres://sb:secret@db/sb");
        config.organisation.reference_secret = Some("token-key".into());
        let printed = format!("{config:?}");
        assert!(
            !printed.contains("secret@") && !printed.contains("token-key"),
            "{printed}"
        );
    }

    #[test]
    fn the_summary_counts_lists_and_leaves_out_their_contents_and_secrets() {
        let config = Config {
            database_url: Some("postgres://sb:secret@db/sb".into()),
            organisation: Organisation {
                reference_secret: Some("token-key".into()),
                ..Organisation::default()
            },
            ..Config::default()
        };
        let summary = config.summary().to_string();
        let phrases = &config.mail.spam.phrases;
        let spam_phrases =
            phrases.en.len() + phrases.nl.len() + phrases.de.len() + phrases.fr.len();
        assert!(spam_phrases > 0);
        assert!(
            summary.contains(&format!("spam_phrases={spam_phrases}"))
                && summary.contains(&format!(
                    "reply_templates={}",
                    config.mail.reply_templates.len()
                ))
                && summary.contains("imap_mailboxes=0 smtp_relay=false")
                && summary.contains("case_window_hours=72"),
            "{summary}"
        );
        let a_phrase = phrases.en.keys().next().unwrap();
        let a_template = &config.mail.reply_templates[0];
        for hidden in [
            "secret@",
            "token-key",
            a_phrase.as_str(),
            a_template.text.as_str(),
        ] {
            assert!(!summary.contains(hidden), "{hidden:?} in {summary}");
        }
    }

    #[test]
    fn session_lifetimes_come_from_the_sessions_table() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            "[sessions]\nlifetime_hours = 2\nidle_minutes = 15\n",
        )
        .unwrap();
        let config = Config::load(Some(file.path())).unwrap();
        let web = config.sessions.web(true);
        assert_eq!(web.lifetime, chrono::Duration::hours(2));
        assert_eq!(web.idle_timeout, chrono::Duration::minutes(15));
        assert!(web.secure_cookie);
        let defaults = Config::default().sessions.web(false);
        assert_eq!(defaults.lifetime, chrono::Duration::hours(12));
        assert_eq!(defaults.idle_timeout, chrono::Duration::hours(1));
    }

    #[test]
    fn search_threads_come_from_the_file_and_default_to_the_index_s_own() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "search_threads = 3\n").unwrap();
        let config = Config::load(Some(file.path())).unwrap();
        assert_eq!(crate::indexer::index_config(&config).search_threads, 3);
        assert!(config.summary().to_string().contains("search_threads=3"));
        let defaults = Config::default();
        assert_eq!(
            crate::indexer::index_config(&defaults).search_threads,
            switchboard_search::index::IndexConfig::default().search_threads
        );
        assert!(
            defaults
                .summary()
                .to_string()
                .contains("search_threads=auto")
        );
    }
}
