//! The voicemail channel's pure parsers: PBX notification e-mails (recognised by configurable
//! patterns) and telephony recording callbacks (JSON) become voicemail items. Also the pure
//! helpers of the webhook endpoint: signature and freshness check, a replay guard, and the
//! recording-URL allow-list. No I/O, no clock, no globals.
//!
//! An item holds the caller's number in E.164 (none when withheld), the caller-ID name, the
//! recording as an `audio/wav` attachment when the input carries it, and the transcription, when
//! there is one, as its text. Voicemails without a transcription are complete and playable; a
//! [`Transcriber`] can add text later. A voicemail without a message (silence, a steady noise,
//! an empty transcription) is still an item, marked `empty` in its details.

mod audio;
mod caller;
mod config;
mod details;
mod mail;
mod pattern;
mod recording_url;
mod settle;
mod signature;
mod transcriber;
mod upload;
mod wav;
mod webhook;

use std::path::Path;

use chrono::{DateTime, Utc};
use switchboard_core::ErrorKind;
use switchboard_core::item::NewItem;

pub use self::audio::{AudioFormat, RecordingKind, sniff_recording};
pub use self::caller::{CallerId, normalise_caller, to_e164};
pub use self::config::{
    CaptureSource, FieldCapture, PbxPattern, SilenceConfig, VoicemailConfig, VoicemailField,
};
pub use self::details::{
    DurationSource, EmptyReason, TranscriptionSource, VoicemailDetails, VoicemailForm,
    parse_duration,
};
pub use self::mail::{parse_notification_email, recognise_notification};
pub use self::pattern::ConfigRegex;
pub use self::recording_url::{
    RecordingUrlPolicy, UrlRejected, check_recording_url, check_recording_url_with,
    is_forbidden_address,
};
pub use self::signature::{ReplayGuard, SignatureError, sign, verify_signature};
pub use self::transcriber::{NoTranscriber, TranscribeError, Transcriber, Transcript};
pub use self::upload::{
    PAYLOAD_PART, RECORDING_PART, UploadError, UploadedRecording, VoicemailUpload,
    form_data_boundary, leading_boundary, read_upload,
};
pub use self::wav::{SpeechCheck, WavInfo};
pub use self::webhook::{WebhookPayload, WebhookTranscription, from_payload, parse_webhook};
use crate::email::safe_file_name;

/// Why an input could not become a voicemail item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoicemailError {
    /// The input is larger than the configured limit.
    #[error("input is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The input size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The input is empty or only whitespace.
    #[error("input is empty")]
    Empty,
    /// The input is no e-mail message.
    #[error("not an e-mail message: no header fields found")]
    NotAMessage,
    /// The mail is no PBX notification any pattern recognises, or the JSON carries no recording,
    /// transcription or duration.
    #[error("not a voicemail: no PBX pattern matches")]
    NotAVoicemail,
    /// The webhook body is no JSON object of the expected shape.
    #[error("invalid webhook json: {0}")]
    InvalidJson(String),
    /// The file is neither `.eml` nor `.json`, nor recognisable as either.
    #[error("unsupported voicemail file {0:?}: expected .eml or .json")]
    UnsupportedFile(String),
    /// Parsing panicked on malformed input; the panic was contained.
    #[error("parser failed on malformed input: {0}")]
    ParserPanic(String),
}

impl VoicemailError {
    /// Returns the error's kind: bad input, except a contained panic, which is our failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::ParserPanic(_) => ErrorKind::Internal,
            _ => ErrorKind::BadInput,
        }
    }
}

/// A parsed voicemail: the item, and the voicemail specifics (also in `item.details`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedVoicemail {
    /// The work item to persist.
    pub item: NewItem,
    /// The voicemail specifics.
    pub details: VoicemailDetails,
}

impl ParsedVoicemail {
    /// Returns the input's own id for landing idempotency: the notification's Message-ID, else
    /// the provider's recording id, else its call id.
    pub fn external_id(&self) -> Option<&str> {
        self.item
            .message_id
            .as_deref()
            .or(self.details.recording_id.as_deref())
            .or(self.details.call_id.as_deref())
    }

    /// Attaches a recording fetched or uploaded with a webhook and re-derives duration,
    /// emptiness and details from it; its type is sniffed from the bytes (WAV, MP3, Ogg, ...).
    /// Replaces a recording attached before.
    pub fn attach_recording(
        &mut self,
        recording: Vec<u8>,
        file_name: Option<&str>,
        config: &VoicemailConfig,
    ) {
        let format = match sniff_recording(&recording) {
            RecordingKind::Playable(format) => Some(format),
            RecordingKind::Other(_) => None,
        };
        let attachment = switchboard_core::item::NewAttachment {
            file_name: safe_file_name(
                file_name,
                0,
                format.map_or("wav", |format| format.extension),
            ),
            declared_type: None,
            sniffed_type: format.map(|format| format.media_type.to_owned()),
            content: recording,
        };
        self.item.attachments = vec![attachment];
        settle::settle(self, config);
    }

    /// Transcribes the attached recording when the item has no transcription yet; tells whether
    /// text was added.
    pub fn transcribe_with(
        &mut self,
        transcriber: &dyn Transcriber,
        config: &VoicemailConfig,
    ) -> Result<bool, TranscribeError> {
        if self.details.transcription_source.is_some() {
            return Ok(false);
        }
        let Some(recording) = self.item.attachments.first() else {
            return Ok(false);
        };
        let Some(transcript) = transcriber.transcribe(&recording.content, self.item.language)?
        else {
            return Ok(false);
        };
        self.item.text = transcript.text;
        self.details.transcription_source = Some(TranscriptionSource::Transcriber);
        self.details.transcription_confidence = transcript.confidence;
        self.details.transcription_language = transcript
            .language
            .map(|language| language.as_str().to_owned());
        settle::settle(self, config);
        Ok(true)
    }
}

/// Parses one voicemail input file: `.eml` as a PBX notification mail, `.json` as a recording
/// callback; other names by their first non-blank byte. The source is the file's base name.
pub fn parse_any(
    bytes: &[u8],
    file_name: &str,
    received_at_fallback: DateTime<Utc>,
    config: &VoicemailConfig,
) -> Result<ParsedVoicemail, VoicemailError> {
    let path = Path::new(file_name);
    let source = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or(file_name);
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("eml") => parse_notification_email(bytes, source, received_at_fallback, config),
        Some("json") => parse_webhook(bytes, source, received_at_fallback, config),
        _ => match bytes.iter().find(|byte| !byte.is_ascii_whitespace()) {
            None => Err(VoicemailError::Empty),
            Some(b'{') => parse_webhook(bytes, source, received_at_fallback, config),
            Some(_) => parse_notification_email(bytes, source, received_at_fallback, config)
                .map_err(|error| match error {
                    VoicemailError::NotAMessage => {
                        VoicemailError::UnsupportedFile(source.to_owned())
                    }
                    other => other,
                }),
        },
    }
}
