//! Custom PBX patterns from configuration, and PBX mails the built-in patterns read.
#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

use chrono::{DateTime, Utc};
use switchboard_channels::voicemail::{
    VoicemailConfig, VoicemailForm, parse_notification_email, recognise_notification,
};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_741_000_000, 0).unwrap()
}

const CUSTOM_MAIL: &str = "From: Phone System <vm@pbx.acme.example>\r\n\
Subject: VM 0:42 from 020-555 1234 (Bakker Kappers) for ext 210\r\n\
Date: Tue, 04 Mar 2025 10:00:00 +0100\r\n\
Message-ID: <vm-1@pbx.acme.example>\r\n\
\r\n\
Text: hallo met bakker graag terugbellen over order 4500012345\r\n";

#[test]
fn custom_pattern_from_configuration_reads_its_pbx() {
    let toml_like = serde_json::json!({
        "default_region": "NL",
        "patterns": [{
            "name": "acme",
            "from": "@pbx\\.acme\\.example>$",
            "subject": "^VM ",
            "captures": [
                {"field": "duration", "source": "subject", "regex": "^VM (?P<value>\\d+:\\d{2})"},
                {"field": "caller_number", "source": "subject", "regex": "from (?P<value>[\\d \\-+]+?) \\("},
                {"field": "caller_name", "source": "subject", "regex": "\\((?P<value>[^)]+)\\)"},
                {"field": "mailbox", "source": "subject", "regex": "ext (\\d+)"},
                {"field": "transcription", "source": "body", "regex": "(?m)^Text: (?P<value>.+)$"}
            ]
        }]
    });
    let config: VoicemailConfig = serde_json::from_value(toml_like).unwrap();
    assert_eq!(
        recognise_notification(CUSTOM_MAIL.as_bytes(), &config).as_deref(),
        Some("acme")
    );
    let parsed =
        parse_notification_email(CUSTOM_MAIL.as_bytes(), "vm-1.eml", now(), &config).unwrap();
    assert_eq!(parsed.details.pbx, "acme");
    assert_eq!(parsed.details.form, VoicemailForm::TranscribedEmail);
    assert_eq!(parsed.item.sender.phone.as_deref(), Some("+31205551234"));
    assert_eq!(parsed.item.sender.name.as_deref(), Some("Bakker Kappers"));
    assert_eq!(parsed.details.mailbox.as_deref(), Some("210"));
    assert_eq!(parsed.details.duration_seconds, Some(42.0));
    assert!(parsed.item.text.contains("order 4500012345"));
    assert_eq!(
        parsed.item.message_id.as_deref(),
        Some("vm-1@pbx.acme.example")
    );

    let without_builtins = VoicemailConfig {
        use_builtin_patterns: false,
        ..VoicemailConfig::default()
    };
    assert_eq!(
        recognise_notification(CUSTOM_MAIL.as_bytes(), &without_builtins),
        None
    );
}

#[test]
fn asterisk_mail_without_x_headers_is_recognised_by_subject_and_body() {
    let mail = "From: FreePBX <vm@freepbx.example>\r\n\
Subject: [PBX]: New message 7 in mailbox 300\r\n\
Date: Tue, 04 Mar 2025 10:00:00 +0100\r\n\
\r\n\
Dear Sales:\r\n\r\n\tjust wanted to let you know you were just left a 1:05 long message (number 7)\r\n\
in mailbox 300 from \"ACME BV\" <0301234567>, on Tuesday, March 04, 2025 at 09:58:00 AM\r\n\
so you might want to check it when you get a chance.  Thanks!\r\n";
    let config = VoicemailConfig::default();
    let parsed = parse_notification_email(mail.as_bytes(), "m.eml", now(), &config).unwrap();
    assert_eq!(parsed.details.pbx, "asterisk");
    assert_eq!(parsed.details.form, VoicemailForm::PbxEmail);
    assert_eq!(parsed.item.sender.phone.as_deref(), Some("+31301234567"));
    assert_eq!(parsed.item.sender.name.as_deref(), Some("ACME BV"));
    assert_eq!(parsed.details.mailbox.as_deref(), Some("300"));
    assert_eq!(parsed.details.message_number.as_deref(), Some("7"));
    assert_eq!(parsed.details.duration_seconds, Some(65.0));
    assert_eq!(
        parsed.details.recorded_at.map(|at| at.to_rfc3339()),
        Some("2025-03-04T08:58:00+00:00".to_owned())
    );
    assert!(!parsed.details.empty);
}
