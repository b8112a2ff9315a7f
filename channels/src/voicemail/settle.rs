//! Derives an item's settled state from what a parser found: duration and speech from the
//! recording, emptiness, language, subject, sender and the details JSON.

use switchboard_core::item::{Language, NewAttachment, SenderIdentity};

use super::config::VoicemailConfig;
use super::details::{DurationSource, EmptyReason, VoicemailDetails};
use super::{ParsedVoicemail, wav};
use crate::email::detect_language;

/// Recomputes everything derived; safe to call again after a recording or transcript is added.
pub(crate) fn settle(parsed: &mut ParsedVoicemail, config: &VoicemailConfig) {
    let ParsedVoicemail { item, details } = parsed;
    item.text = collapse_whitespace(&item.text);
    read_recording(item.attachments.first(), details, config);
    details.has_transcription = !item.text.is_empty();
    details.empty_reason = empty_reason(&item.text, details, config);
    details.empty = details.empty_reason.is_some();
    item.language = details
        .transcription_language
        .as_deref()
        .and_then(language_from_tag)
        .or_else(|| detect_language(&item.text));
    item.subject = Some(subject(details));
    item.sender = SenderIdentity {
        email: None,
        phone: details.caller.number.clone(),
        name: details.caller_name.clone(),
    };
    item.details = serde_json::to_value(&*details).unwrap_or_else(|error| {
        tracing::error!(%error, "voicemail details do not serialise");
        serde_json::Value::Null
    });
}

fn read_recording(
    recording: Option<&NewAttachment>,
    details: &mut VoicemailDetails,
    config: &VoicemailConfig,
) {
    details.has_recording = recording.is_some();
    let Some(recording) = recording else {
        return;
    };
    details.recording = wav::read_info(&recording.content);
    if let Some(info) = details.recording {
        details.duration_seconds = Some(info.duration_seconds);
        details.duration_source = Some(DurationSource::Recording);
    }
    details.speech = wav::check_speech(&recording.content, &config.silence);
}

fn empty_reason(
    text: &str,
    details: &VoicemailDetails,
    config: &VoicemailConfig,
) -> Option<EmptyReason> {
    let silence = &config.silence;
    if details
        .duration_seconds
        .is_some_and(|seconds| seconds < silence.min_seconds)
    {
        return Some(EmptyReason::TooShort);
    }
    if details.speech.is_some_and(|speech| !speech.has_speech) {
        return Some(EmptyReason::SilentRecording);
    }
    let transcribed = details.transcription_source.is_some();
    if transcribed && !has_words(text, &silence.filler_words) {
        return Some(EmptyReason::EmptyTranscription);
    }
    None
}

/// Tells whether a transcription holds a word other than a hesitation.
fn has_words(text: &str, fillers: &[String]) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .any(|word| {
            !fillers
                .iter()
                .any(|filler| filler.eq_ignore_ascii_case(word))
        })
}

/// Reads `nl`, `nl-NL` or `nl_BE` as a language Switchboard knows.
pub(crate) fn language_from_tag(tag: &str) -> Option<Language> {
    let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
    Language::parse(&primary)
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Writes the list subject: who called and for how long.
fn subject(details: &VoicemailDetails) -> String {
    let caller = match (&details.caller_name, &details.caller.number) {
        (Some(name), Some(number)) => format!("{name} ({number})"),
        (None, Some(number)) => number.clone(),
        (Some(name), None) => name.clone(),
        (None, None) if details.caller.withheld => "withheld number".to_owned(),
        (None, None) => details
            .caller
            .raw
            .clone()
            .unwrap_or_else(|| "unknown caller".to_owned()),
    };
    match details.duration_seconds {
        Some(seconds) => {
            let whole = seconds.round() as u64;
            format!("Voicemail from {caller} ({}:{:02})", whole / 60, whole % 60)
        }
        None => format!("Voicemail from {caller}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hesitations_are_no_words() {
        let fillers = crate::voicemail::SilenceConfig::default().filler_words;
        assert!(!has_words("eh uh ... hm", &fillers));
        assert!(!has_words("", &fillers));
        assert!(has_words("eh hallo", &fillers));
    }

    #[test]
    fn language_tags_read_by_primary_subtag() {
        assert_eq!(language_from_tag("nl-NL"), Some(Language::Dutch));
        assert_eq!(language_from_tag("DE_de"), Some(Language::German));
        assert_eq!(language_from_tag("es-ES"), None);
    }
}
