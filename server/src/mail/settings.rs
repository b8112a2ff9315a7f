//! The `[mail]` settings: IMAP accounts Switchboard reads, and the SMTP relay it sends through.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A password or key read from configuration; its `Debug` output never shows it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one call that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How a connection to a mail server is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    #[default]
    Tls,
    /// A plain connection upgraded with STARTTLS before logging in.
    Starttls,
    /// No encryption: only for a server on the same host (tests, a local relay).
    Plain,
}

impl Security {
    /// Refuses an unencrypted connection to anything but this host: passwords and mail would
    /// cross the network in clear text.
    pub fn check_host(self, host: &str) -> anyhow::Result<()> {
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_matches(['[', ']'])
                .parse::<std::net::IpAddr>()
                .is_ok_and(|address| address.is_loopback());
        anyhow::ensure!(
            self != Self::Plain || loopback,
            "security = \"plain\" is only allowed for a server on this host, not {host:?}; use tls or starttls"
        );
        Ok(())
    }
}

/// What is done to a mailbox message once its item is durably stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ProcessedAction {
    /// Sets a flag or keyword (e.g. `$Switchboard` or `\Seen`); flagged messages are skipped.
    Flag(String),
    /// Moves the message to another folder of the account.
    MoveTo(String),
}

impl Default for ProcessedAction {
    fn default() -> Self {
        Self::Flag("$Switchboard".to_owned())
    }
}

/// One IMAP mailbox Switchboard consumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapAccount {
    /// A short name for logs and the mailbox lock, e.g. `klantenservice`.
    pub name: String,
    /// Server host name (also the TLS server name).
    pub host: String,
    /// Server port; 993 for TLS, 143 otherwise when unset.
    #[serde(default)]
    pub port: Option<u16>,
    /// Transport security.
    #[serde(default)]
    pub security: Security,
    /// Login.
    pub user: String,
    /// Password (never logged).
    pub password: Secret,
    /// The folder read.
    #[serde(default = "inbox")]
    pub folder: String,
    /// What marks a message as taken.
    #[serde(default)]
    pub processed: ProcessedAction,
    /// Seconds between checks when the server offers no IDLE, and the longest IDLE wait.
    #[serde(default = "poll_seconds")]
    pub poll_seconds: u64,
    /// Messages fetched and handed to the pipeline at once (1 to [`MAX_FETCH_BATCH`]): larger
    /// batches go through a backlog faster, smaller ones mark progress more often.
    #[serde(default = "fetch_batch")]
    pub fetch_batch: usize,
    /// Whether new messages get an automatic acknowledgement (needs `[mail.smtp]`).
    #[serde(default)]
    pub acknowledge: bool,
}

fn inbox() -> String {
    "INBOX".to_owned()
}

fn poll_seconds() -> u64 {
    60
}

/// Messages fetched at once when an account does not say.
pub const DEFAULT_FETCH_BATCH: usize = 50;
/// Most messages fetched at once.
pub const MAX_FETCH_BATCH: usize = 500;

fn fetch_batch() -> usize {
    DEFAULT_FETCH_BATCH
}

impl ImapAccount {
    /// The port in effect.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 993,
            Security::Starttls | Security::Plain => 143,
        })
    }
}

/// The SMTP relay replies go out through (`[mail.smtp]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpRelay {
    /// Relay host name (also the TLS server name).
    pub host: String,
    /// Relay port; 465 for TLS, 587 for STARTTLS, 25 for plain when unset.
    #[serde(default)]
    pub port: Option<u16>,
    /// Transport security.
    #[serde(default)]
    pub security: Security,
    /// Login, when the relay wants one.
    #[serde(default)]
    pub user: Option<String>,
    /// Password (never logged).
    #[serde(default)]
    pub password: Option<Secret>,
    /// The channel's address replies come from, e.g. `klantenservice@velora.example.nl`.
    pub from: String,
    /// The display name beside it, e.g. `Velora Klantenservice`.
    #[serde(default)]
    pub from_name: Option<String>,
    /// Attempts before a message is marked failed.
    #[serde(default = "max_attempts")]
    pub max_attempts: i32,
    /// Seconds before the first retry; the wait doubles after each failure.
    #[serde(default = "first_retry_seconds")]
    pub first_retry_seconds: i64,
    /// The longest wait between attempts, in seconds.
    #[serde(default = "max_retry_seconds")]
    pub max_retry_seconds: i64,
}

fn max_attempts() -> i32 {
    8
}

fn first_retry_seconds() -> i64 {
    30
}

fn max_retry_seconds() -> i64 {
    3600
}

impl SmtpRelay {
    /// The port in effect.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 465,
            Security::Starttls => 587,
            Security::Plain => 25,
        })
    }

    /// How failed sends are retried.
    pub fn retry_policy(&self) -> switchboard_core::outbox::RetryPolicy {
        switchboard_core::outbox::RetryPolicy {
            max_attempts: self.max_attempts.max(1),
            first_delay: chrono::TimeDelta::seconds(self.first_retry_seconds.max(0)),
            max_delay: chrono::TimeDelta::seconds(self.max_retry_seconds.max(0)),
        }
    }
}

/// The `[mail]` section.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailSettings {
    /// Mailboxes read by `switchboard serve` (`[[mail.imap]]`).
    pub imap: Vec<ImapAccount>,
    /// The relay replies go out through; without it replies are refused (503).
    pub smtp: Option<SmtpRelay>,
    /// Automatic acknowledgements (for mailboxes with `acknowledge = true`).
    pub acknowledgement: super::acknowledge::AcknowledgementSettings,
    /// The texts agents start replies from (`[[mail.reply_templates]]`); the built-in ones
    /// when none are configured.
    pub reply_templates: Vec<switchboard_core::outbox::ReplyTemplate>,
    /// Content-based spam scoring: threshold and weighted phrases per language.
    pub spam: switchboard_channels::email::SpamScoring,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            imap: Vec::new(),
            smtp: None,
            acknowledgement: super::acknowledge::AcknowledgementSettings::default(),
            reply_templates: super::templates::default_reply_templates(),
            spam: switchboard_channels::email::SpamScoring::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use figment::providers::Format;

    use super::*;

    #[test]
    fn plain_connections_are_for_this_host_only() {
        assert!(Security::Plain.check_host("127.0.0.1").is_ok());
        assert!(Security::Plain.check_host("localhost").is_ok());
        assert!(Security::Plain.check_host("[::1]").is_ok());
        assert!(Security::Plain.check_host("imap.example.nl").is_err());
        assert!(Security::Plain.check_host("192.0.2.10").is_err());
        assert!(Security::Tls.check_host("imap.example.nl").is_ok());
    }

    #[test]
    fn accounts_read_from_toml_keep_their_password_out_of_debug_output() {
        let settings: MailSettings = figment::Figment::from(figment::providers::Toml::string(
            r#"
            [[imap]]
            name = "service"
            host = "imap.example.nl"
            user = "service"
            password = "hunter2-secret"
            processed = { move_to = "Switchboard" }
            "#,
        ))
        .extract()
        .unwrap();
        let account = &settings.imap[0];
        assert_eq!(account.port(), 993);
        assert_eq!(account.folder, "INBOX");
        assert_eq!(
            account.processed,
            ProcessedAction::MoveTo("Switchboard".into())
        );
        assert_eq!(account.password.expose(), "hunter2-secret");
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
