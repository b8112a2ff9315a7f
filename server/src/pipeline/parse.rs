//! Turns landed bytes into a parsed item with the channel's parser.

use chrono::{DateTime, Utc};
use switchboard_channels::email::{EmailConfig, parse_email};
use switchboard_channels::voicemail::{self, VoicemailConfig};
use switchboard_core::WorkItemId;
use switchboard_core::item::{Channel, NewItem};

/// A parsed input and what threading needs from it.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The item.
    pub item: NewItem,
    /// Message-IDs it replies to, nearest first (In-Reply-To, then References newest first,
    /// then a bounced original).
    pub reply_ids: Vec<String>,
    /// The item named by a verified reference token.
    pub token_item: Option<WorkItemId>,
}

/// Channel parser settings.
#[derive(Debug, Clone, Default)]
pub struct ParserSettings {
    /// The e-mail parser's settings.
    pub email: EmailConfig,
    /// The voicemail parser's settings (PBX patterns, default region).
    pub voicemail: VoicemailConfig,
}

/// Tells whether this build can parse a channel's inputs.
pub fn supports(channel: Channel) -> bool {
    matches!(channel, Channel::Email | Channel::Voicemail)
}

/// Parses an input. Blocking (large inputs take a while): call from a blocking context.
pub fn parse(
    channel: Channel,
    raw: &[u8],
    source: &str,
    received_at: DateTime<Utc>,
    settings: &ParserSettings,
) -> Result<Parsed, String> {
    match channel {
        // PBX notification mails arrive on ordinary mailboxes but are voicemails.
        Channel::Email if voicemail::recognise_notification(raw, &settings.voicemail).is_some() => {
            parse_voicemail(raw, source, received_at, settings)
        }
        Channel::Voicemail => parse_voicemail(raw, source, received_at, settings),
        Channel::Email => {
            let parsed = parse_email(raw, source, received_at, &settings.email)
                .map_err(|error| error.to_string())?;
            let details = &parsed.details;
            let mut reply_ids = parsed.item.reply_to_ids.clone();
            if let Some(bounced) = &details.bounced_message_id {
                reply_ids.push(bounced.clone());
            }
            let token_item = details
                .reference
                .as_ref()
                .filter(|token| token.verified)
                .map(|token| token.item);
            Ok(Parsed {
                item: parsed.item,
                reply_ids,
                token_item,
            })
        }
        other => Err(format!(
            "the {other} channel cannot be parsed by this build"
        )),
    }
}

fn parse_voicemail(
    raw: &[u8],
    source: &str,
    received_at: DateTime<Utc>,
    settings: &ParserSettings,
) -> Result<Parsed, String> {
    let parsed = voicemail::parse_any(raw, source, received_at, &settings.voicemail)
        .map_err(|error| error.to_string())?;
    Ok(Parsed {
        item: parsed.item,
        reply_ids: Vec::new(),
        token_item: None,
    })
}
