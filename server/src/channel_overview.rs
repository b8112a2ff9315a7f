//! What the admin's channel page shows of the configuration: every IMAP mailbox, the SMTP
//! relay, the voicemail webhook and the watched folders with their settings, and for each
//! secret only whether it is set. No secret value is copied.

use switchboard_web::ui::admin::{ChannelOverview, ConfiguredChannel};

use crate::config::Config;
use crate::mail::settings::{ProcessedAction, Security};

fn security(security: Security) -> String {
    match security {
        Security::Tls => "TLS",
        Security::Starttls => "STARTTLS",
        Security::Plain => "plain (this host only)",
    }
    .to_owned()
}

fn setting(name: &str, value: impl ToString) -> (String, String) {
    (name.to_owned(), value.to_string())
}

/// The overview of `config`'s channels.
pub fn channel_overview(config: &Config) -> ChannelOverview {
    let mut channels = Vec::new();
    for account in &config.mail.imap {
        let processed = match &account.processed {
            ProcessedAction::Flag(flag) => format!("flag {flag}"),
            ProcessedAction::MoveTo(folder) => format!("move to {folder}"),
        };
        channels.push(ConfiguredChannel {
            kind: "imap",
            name: account.name.clone(),
            settings: vec![
                setting("host", format!("{}:{}", account.host, account.port())),
                setting("security", security(account.security)),
                setting("user", &account.user),
                setting("folder", &account.folder),
                setting("processed", processed),
                setting("poll_seconds", account.poll_seconds),
                setting("fetch_batch", account.fetch_batch),
                setting("acknowledge", account.acknowledge),
            ],
            secrets: vec![("password".into(), !account.password.expose().is_empty())],
        });
    }
    if let Some(relay) = &config.mail.smtp {
        channels.push(ConfiguredChannel {
            kind: "smtp",
            name: relay.host.clone(),
            settings: vec![
                setting("host", format!("{}:{}", relay.host, relay.port())),
                setting("security", security(relay.security)),
                setting("user", relay.user.as_deref().unwrap_or("-")),
                setting("from", &relay.from),
                setting("from_name", relay.from_name.as_deref().unwrap_or("-")),
                setting("max_attempts", relay.max_attempts),
            ],
            secrets: vec![(
                "password".into(),
                relay
                    .password
                    .as_ref()
                    .is_some_and(|password| !password.expose().is_empty()),
            )],
        });
    }
    let webhook = &config.voicemail_webhook;
    channels.push(ConfiguredChannel {
        kind: "webhook",
        name: "/api/v1/inbound/voicemail".into(),
        settings: vec![
            setting("tolerance_seconds", webhook.tolerance_seconds),
            setting(
                "allowed_recording_hosts",
                webhook.allowed_recording_hosts.join(", "),
            ),
            setting("max_recording_bytes", webhook.max_recording_bytes),
        ],
        secrets: vec![(
            "secret".into(),
            webhook
                .secret
                .as_ref()
                .is_some_and(|secret| !secret.is_empty()),
        )],
    });
    for folder in &config.watch {
        channels.push(ConfiguredChannel {
            kind: "folder",
            name: folder.path.display().to_string(),
            settings: vec![
                setting("channel", folder.channel),
                setting("settle_seconds", folder.settle_seconds),
                setting("poll_seconds", folder.poll_seconds),
            ],
            secrets: Vec::new(),
        });
    }
    ChannelOverview { channels }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::settings::{DEFAULT_FETCH_BATCH, ImapAccount, Secret};

    #[test]
    fn secrets_show_only_whether_they_are_set() {
        let mut config = Config::default();
        config.mail.imap.push(ImapAccount {
            name: "service".into(),
            host: "imap.example.com".into(),
            port: None,
            security: Security::Tls,
            user: "service@example.com".into(),
            password: Secret::new("hunter2-imap"),
            folder: "INBOX".into(),
            processed: ProcessedAction::Flag("$Switchboard".into()),
            poll_seconds: 60,
            fetch_batch: DEFAULT_FETCH_BATCH,
            acknowledge: false,
        });
        config.voicemail_webhook.secret = Some("hook-secret-value".into());
        let overview = channel_overview(&config);
        let text = format!("{overview:?}");
        assert!(
            !text.contains("hunter2-imap") && !text.contains("hook-secret-value"),
            "{text}"
        );
        let imap = &overview.channels[0];
        assert_eq!((imap.kind, imap.name.as_str()), ("imap", "service"));
        assert_eq!(imap.secrets, vec![("password".to_owned(), true)]);
        assert!(
            imap.settings
                .contains(&("host".to_owned(), "imap.example.com:993".to_owned()))
        );
        let webhook = overview
            .channels
            .iter()
            .find(|channel| channel.kind == "webhook")
            .unwrap();
        assert_eq!(webhook.secrets, vec![("secret".to_owned(), true)]);
    }
}
