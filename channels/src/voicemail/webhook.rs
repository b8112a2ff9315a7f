//! Telephony recording callbacks (JSON) read into a voicemail.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use switchboard_core::item::{Channel, NewItem};

use super::caller::{normalise_caller, to_e164};
use super::config::VoicemailConfig;
use super::details::{DurationSource, TranscriptionSource, VoicemailDetails, VoicemailForm};
use super::settle::settle;
use super::{ParsedVoicemail, VoicemailError};

/// The PBX name recorded for webhook voicemails.
const WEBHOOK_PBX: &str = "webhook";
/// Transcription states whose text is final.
const FINAL_TRANSCRIPTION_STATES: [&str; 3] = ["completed", "complete", "done"];

/// A telephony provider's recording callback. Unknown fields are ignored: providers add fields.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct WebhookPayload {
    /// Event name, e.g. `recording.completed`.
    pub event: Option<String>,
    /// The provider account.
    pub account_id: Option<String>,
    /// The call's id at the provider.
    pub call_id: Option<String>,
    /// `inbound` or `outbound`.
    pub direction: Option<String>,
    /// Caller number (E.164 or `anonymous`).
    pub from: Option<String>,
    /// Called number.
    pub to: Option<String>,
    /// Caller-ID name.
    pub caller_name: Option<String>,
    /// When the call started (RFC 3339).
    pub started_at: Option<String>,
    /// Length of the recording in seconds.
    pub duration_seconds: Option<f64>,
    /// The recording's id at the provider.
    pub recording_id: Option<String>,
    /// Where the recording can be fetched.
    pub recording_url: Option<String>,
    /// The recording's file name.
    pub recording_file: Option<String>,
    /// The provider's transcription.
    pub transcription: Option<WebhookTranscription>,
}

/// A provider transcription inside a recording callback.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct WebhookTranscription {
    /// `completed`, `failed`, `in-progress`, ...
    pub status: Option<String>,
    /// Language tag, e.g. `nl-NL`.
    pub language: Option<String>,
    /// Confidence 0..=1.
    pub confidence: Option<f64>,
    /// What was said.
    pub text: Option<String>,
}

/// Parses a recording callback's JSON body into a voicemail.
///
/// `source` becomes `NewItem::source` (file name, or the recording id for live input);
/// `received_at_fallback` is used when `started_at` is missing or unreadable.
pub fn parse_webhook(
    json_bytes: &[u8],
    source: &str,
    received_at_fallback: DateTime<Utc>,
    config: &VoicemailConfig,
) -> Result<ParsedVoicemail, VoicemailError> {
    if json_bytes.len() > config.max_webhook_bytes {
        return Err(VoicemailError::TooLarge {
            size: json_bytes.len(),
            limit: config.max_webhook_bytes,
        });
    }
    if json_bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(VoicemailError::Empty);
    }
    let payload: WebhookPayload = serde_json::from_slice(json_bytes)
        .map_err(|error| VoicemailError::InvalidJson(error.to_string()))?;
    let carries_a_message = payload.recording_url.is_some()
        || payload.transcription.is_some()
        || payload.duration_seconds.is_some();
    if !carries_a_message {
        return Err(VoicemailError::NotAVoicemail);
    }
    Ok(from_payload(payload, source, received_at_fallback, config))
}

/// Builds the voicemail from a decoded callback.
pub fn from_payload(
    payload: WebhookPayload,
    source: &str,
    received_at_fallback: DateTime<Utc>,
    config: &VoicemailConfig,
) -> ParsedVoicemail {
    let mut details = VoicemailDetails::new(VoicemailForm::WebhookJson, WEBHOOK_PBX);
    details.caller = normalise_caller(payload.from.as_deref(), config);
    details.caller_name = payload
        .caller_name
        .map(|name| name.trim().to_owned())
        .filter(|name| !config.is_withheld(name));
    details.called_number = payload
        .to
        .map(|raw| to_e164(&raw, &config.default_region).unwrap_or(raw));
    if let Some(seconds) = payload
        .duration_seconds
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
    {
        details.duration_seconds = Some(seconds);
        details.duration_source = Some(DurationSource::Webhook);
    }
    details.recording_url = payload.recording_url;
    details.call_id = payload.call_id;
    details.recording_id = payload.recording_id;
    details.event = payload.event;
    let mut warnings = Vec::new();
    let text = match payload.transcription {
        Some(transcription) => read_transcription(transcription, &mut details, &mut warnings),
        None => String::new(),
    };
    let received_at = payload
        .started_at
        .as_deref()
        .and_then(|raw| DateTime::parse_from_rfc3339(raw).ok())
        .map_or(received_at_fallback, |stamp| stamp.with_timezone(&Utc));
    let mut item = NewItem::new(Channel::Voicemail, source, received_at, text);
    item.warnings = warnings;
    if details.caller.number.is_none() && !details.caller.withheld {
        item.warnings.push(format!(
            "caller number could not be read: {}",
            details.caller.raw.as_deref().unwrap_or_default()
        ));
    }
    let mut parsed = ParsedVoicemail { item, details };
    settle(&mut parsed, config);
    parsed
}

/// Takes a final transcription's text; a pending or failed one leaves the item without text.
fn read_transcription(
    transcription: WebhookTranscription,
    details: &mut VoicemailDetails,
    warnings: &mut Vec<String>,
) -> String {
    let status = transcription
        .status
        .as_deref()
        .map(|status| status.trim().to_ascii_lowercase());
    let is_final = status
        .as_deref()
        .is_none_or(|status| FINAL_TRANSCRIPTION_STATES.contains(&status));
    if !is_final {
        warnings.push(format!(
            "transcription not used: status {}",
            status.unwrap_or_default()
        ));
        return String::new();
    }
    details.transcription_source = Some(TranscriptionSource::Webhook);
    details.transcription_confidence = transcription
        .confidence
        .filter(|confidence| (0.0..=1.0).contains(confidence));
    details.transcription_language = transcription.language;
    transcription.text.unwrap_or_default()
}
