//! The voicemail specifics stored in `NewItem::details`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::caller::CallerId;
use super::wav::{SpeechCheck, WavInfo};

/// The shape a voicemail arrived in (the corpus labels use the same names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VoicemailForm {
    /// PBX notification mail with the recording attached (Asterisk/FreePBX classic).
    PbxEmailWav,
    /// PBX notification mail carrying a transcription and no recording (cloud PBX).
    TranscribedEmail,
    /// PBX notification mail with neither recording nor transcription.
    PbxEmail,
    /// JSON callback of a telephony provider's recording.
    WebhookJson,
}

/// Where the duration was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationSource {
    /// Computed from the WAV data size: exact.
    Recording,
    /// Written in the notification mail (`0:16`, whole seconds).
    Notification,
    /// The webhook's `duration_seconds`.
    Webhook,
}

/// Where the item's text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TranscriptionSource {
    /// The PBX's notification mail.
    Pbx,
    /// The telephony provider's webhook.
    Webhook,
    /// A local [`super::Transcriber`].
    Transcriber,
}

/// Why a voicemail counts as empty: the caller left no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmptyReason {
    /// Shorter than the configured minimum.
    TooShort,
    /// The recording is silent or a steady noise throughout.
    SilentRecording,
    /// The transcription holds no words (or only hesitations).
    EmptyTranscription,
}

/// The voicemail specifics of an item, serialised into `NewItem::details`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoicemailDetails {
    /// The shape it arrived in.
    pub form: VoicemailForm,
    /// The PBX pattern that recognised the mail, or `webhook`.
    pub pbx: String,
    /// The voicemail box.
    pub mailbox: Option<String>,
    /// The PBX's message number in the box.
    pub message_number: Option<String>,
    /// The caller ID.
    pub caller: CallerId,
    /// The caller-ID name.
    pub caller_name: Option<String>,
    /// The number that was called, in E.164 when readable, else as written.
    pub called_number: Option<String>,
    /// Length of the message in seconds.
    pub duration_seconds: Option<f64>,
    /// Where the duration was read.
    pub duration_source: Option<DurationSource>,
    /// When the message was left, when the PBX tells.
    pub recorded_at: Option<DateTime<Utc>>,
    /// Whether the recording is attached to the item.
    pub has_recording: bool,
    /// Header facts of the attached WAV.
    pub recording: Option<WavInfo>,
    /// Where the provider offers the recording (webhook form); fetch only after
    /// [`super::check_recording_url`].
    pub recording_url: Option<String>,
    /// Whether the item's text is a transcription.
    pub has_transcription: bool,
    /// Where the transcription came from.
    pub transcription_source: Option<TranscriptionSource>,
    /// The transcription's confidence 0..=1, when given.
    pub transcription_confidence: Option<f64>,
    /// The transcription's language tag as given (`nl-NL`).
    pub transcription_language: Option<String>,
    /// Whether the caller left no message (the corpus calls it noise `empty`).
    pub empty: bool,
    /// Why it counts as empty.
    pub empty_reason: Option<EmptyReason>,
    /// The speech check of the attached recording.
    pub speech: Option<SpeechCheck>,
    /// The provider's call id (webhook form).
    pub call_id: Option<String>,
    /// The provider's recording id (webhook form).
    pub recording_id: Option<String>,
    /// The webhook's event name.
    pub event: Option<String>,
}

impl VoicemailDetails {
    /// Builds details with nothing known but the form and the PBX.
    pub fn new(form: VoicemailForm, pbx: impl Into<String>) -> Self {
        Self {
            form,
            pbx: pbx.into(),
            mailbox: None,
            message_number: None,
            caller: CallerId::default(),
            caller_name: None,
            called_number: None,
            duration_seconds: None,
            duration_source: None,
            recorded_at: None,
            has_recording: false,
            recording: None,
            recording_url: None,
            has_transcription: false,
            transcription_source: None,
            transcription_confidence: None,
            transcription_language: None,
            empty: false,
            empty_reason: None,
            speech: None,
            call_id: None,
            recording_id: None,
            event: None,
        }
    }
}

/// Reads a duration written as `m:ss`, `h:mm:ss` or seconds (`16`, `16.5`).
pub fn parse_duration(raw: &str) -> Option<f64> {
    let trimmed = raw.trim();
    if !trimmed.contains(':') {
        let seconds: f64 = trimmed.parse().ok()?;
        return (seconds.is_finite() && seconds >= 0.0).then_some(seconds);
    }
    let mut total = 0.0;
    for part in trimmed.split(':') {
        let value: u32 = part.trim().parse().ok()?;
        total = total * 60.0 + f64::from(value);
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_all_written_forms() {
        assert_eq!(parse_duration("0:16"), Some(16.0));
        assert_eq!(parse_duration("1:02:03"), Some(3723.0));
        assert_eq!(parse_duration(" 16 "), Some(16.0));
        assert_eq!(parse_duration("16.5"), Some(16.5));
        assert_eq!(parse_duration("-3"), None);
        assert_eq!(parse_duration("a:bc"), None);
    }
}
