//! Turns landed bytes into a parsed item with the channel's parser.

use chrono::{DateTime, Utc};
use switchboard_channels::document::fax::FaxPatterns;
use switchboard_channels::document::notification::is_fax_notification;
use switchboard_channels::document::ocr::OcrConfig;
use switchboard_channels::document::{DocumentConfig, DocumentError};
use switchboard_channels::email::{EmailConfig, parse_email};
use switchboard_channels::voicemail::{self, VoicemailConfig};
use switchboard_core::WorkItemId;
use switchboard_core::item::{Channel, NewItem};

use super::recording::FetchedRecording;

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

/// Why an input did not become an item now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseFailure {
    /// The input is unreadable; it is kept and shown as a failed item.
    Unreadable(String),
    /// A tool the channel needs (the OCR engine) is missing; the input waits for it.
    Deferred(String),
}

/// Channel parser settings.
#[derive(Debug, Clone, Default)]
pub struct ParserSettings {
    /// The e-mail parser's settings.
    pub email: EmailConfig,
    /// The voicemail parser's settings (PBX patterns, default region).
    pub voicemail: VoicemailConfig,
    /// Limits of document (fax, letter) intake.
    pub documents: DocumentConfig,
    /// The OCR engine's settings.
    pub ocr: OcrConfig,
    /// Patterns that find the sender number of a fax.
    pub fax_patterns: FaxPatterns,
}

/// Tells whether an input is a document (a fax, a letter, or a fax-server notification mail
/// carrying one): documents are read page by page in the bounded OCR pool, not parsed here.
pub fn needs_ocr(channel: Channel, raw: &[u8]) -> bool {
    match channel {
        Channel::Fax | Channel::Letter => true,
        Channel::Email => is_fax_notification(raw),
        _ => false,
    }
}

/// Tells whether this build can parse a channel's inputs.
pub fn supports(channel: Channel) -> bool {
    matches!(
        channel,
        Channel::Email | Channel::Voicemail | Channel::Fax | Channel::Letter
    )
}

/// Parses an input that is not a document (see [`needs_ocr`]), with the recording fetched
/// for a voicemail webhook (or why it was not). Blocking (large inputs take a while): call from
/// a blocking context.
pub fn parse(
    channel: Channel,
    raw: &[u8],
    source: &str,
    received_at: DateTime<Utc>,
    settings: &ParserSettings,
    recording: Option<Result<FetchedRecording, String>>,
) -> Result<Parsed, ParseFailure> {
    match channel {
        // PBX notification mails arrive on ordinary mailboxes but are voicemails.
        Channel::Email if voicemail::recognise_notification(raw, &settings.voicemail).is_some() => {
            parse_voicemail(raw, source, received_at, settings, None)
        }
        Channel::Voicemail => parse_voicemail(raw, source, received_at, settings, recording),
        Channel::Email => {
            let parsed = parse_email(raw, source, received_at, &settings.email)
                .map_err(|error| ParseFailure::Unreadable(error.to_string()))?;
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
        other => Err(ParseFailure::Unreadable(format!(
            "the {other} channel cannot be parsed by this build"
        ))),
    }
}

fn parse_voicemail(
    raw: &[u8],
    source: &str,
    received_at: DateTime<Utc>,
    settings: &ParserSettings,
    recording: Option<Result<FetchedRecording, String>>,
) -> Result<Parsed, ParseFailure> {
    let mut parsed = voicemail::parse_any(raw, source, received_at, &settings.voicemail)
        .map_err(|error| ParseFailure::Unreadable(error.to_string()))?;
    match recording {
        Some(Ok(fetched)) => parsed.attach_recording(
            fetched.content,
            fetched.file_name.as_deref(),
            &settings.voicemail,
        ),
        // Still a complete voicemail (caller, duration, transcription); the reason is shown.
        Some(Err(reason)) => parsed
            .item
            .warnings
            .push(format!("recording not fetched: {reason}")),
        None => {}
    }
    Ok(Parsed {
        item: parsed.item,
        reply_ids: Vec::new(),
        token_item: None,
    })
}

/// Sorts a document error: a missing OCR engine defers the input, anything else fails it.
pub(super) fn document_failure(error: DocumentError) -> ParseFailure {
    if matches!(error, DocumentError::OcrUnavailable { .. }) {
        ParseFailure::Deferred(error.to_string())
    } else {
        ParseFailure::Unreadable(error.to_string())
    }
}
