//! PBX notification e-mails: recognised by a [`PbxPattern`], read into a voicemail.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use mail_parser::{Message, MessageParser, MimeHeaders};
use switchboard_core::item::{Channel, NewAttachment, NewItem};

use super::caller::{normalise_caller, to_e164};
use super::config::{CaptureSource, PbxPattern, VoicemailConfig, VoicemailField};
use super::details::{
    DurationSource, TranscriptionSource, VoicemailDetails, VoicemailForm, parse_duration,
};
use super::settle::settle;
use super::{ParsedVoicemail, VoicemailError, wav};
use crate::email::{html_to_text, safe_file_name, sniff_content_type};

/// The parts of a mail the patterns look at; the body is read only when a pattern asks.
struct MailView<'m> {
    message: &'m Message<'m>,
    from: String,
    subject: String,
    body: OnceCell<String>,
}

impl<'m> MailView<'m> {
    fn new(message: &'m Message<'m>) -> Self {
        let from = message
            .from()
            .and_then(|address| address.first())
            .map(|addr| match (addr.name(), addr.address()) {
                (Some(name), Some(address)) => format!("{name} <{address}>"),
                (None, Some(address)) => address.to_owned(),
                (Some(name), None) => name.to_owned(),
                (None, None) => String::new(),
            })
            .unwrap_or_default();
        Self {
            message,
            from,
            subject: message.subject().unwrap_or_default().to_owned(),
            body: OnceCell::new(),
        }
    }

    /// The plain-text body (the HTML body as text when there is no plain one).
    fn body(&self) -> &str {
        self.body.get_or_init(|| {
            self.message
                .body_text(0)
                .map(|text| text.into_owned())
                .or_else(|| self.message.body_html(0).map(|html| html_to_text(&html)))
                .unwrap_or_default()
        })
    }

    fn has_header(&self, name: &str) -> bool {
        self.message
            .headers()
            .iter()
            .any(|header| header.name().eq_ignore_ascii_case(name))
    }

    fn header_text(&self, name: &str) -> Option<String> {
        let header = self
            .message
            .headers()
            .iter()
            .find(|header| header.name().eq_ignore_ascii_case(name))?;
        match header.value().as_text() {
            Some(text) => Some(text.to_owned()),
            None if header.value().is_empty() => Some(String::new()),
            None => self
                .message
                .header_raw(name)
                .map(|raw| raw.trim().to_owned()),
        }
    }

    fn matches(&self, pattern: &PbxPattern) -> bool {
        self.matches_headers(pattern)
            && pattern
                .body
                .as_ref()
                .is_none_or(|re| re.regex().is_match(self.body()))
    }

    /// Whether the pattern's conditions on the headers (sender, subject, header names) hold;
    /// the headers alone decide for most mails, without reading a body.
    fn matches_headers(&self, pattern: &PbxPattern) -> bool {
        pattern.has_conditions()
            && pattern
                .from
                .as_ref()
                .is_none_or(|re| re.regex().is_match(&self.from))
            && pattern
                .subject
                .as_ref()
                .is_none_or(|re| re.regex().is_match(&self.subject))
            && pattern.headers.iter().all(|name| self.has_header(name))
    }

    /// Applies the pattern's captures; per field the first capture that matches wins.
    fn capture(&self, pattern: &PbxPattern) -> HashMap<VoicemailField, String> {
        let mut fields = HashMap::new();
        for capture in &pattern.captures {
            if fields.contains_key(&capture.field) {
                continue;
            }
            let haystack = match &capture.source {
                CaptureSource::Subject => Some(self.subject.clone()),
                CaptureSource::Body => Some(self.body().to_owned()),
                CaptureSource::Header(name) => self.header_text(name),
            };
            let value = haystack
                .as_deref()
                .and_then(|text| capture.regex.capture(text))
                .map(str::trim)
                .filter(|value| !value.is_empty());
            if let Some(value) = value {
                fields.insert(capture.field, value.to_owned());
            }
        }
        fields
    }
}

/// Tells which PBX pattern recognises a mail, if any; for the e-mail intake to hand PBX
/// notifications to this channel.
pub fn recognise_notification(raw: &[u8], config: &VoicemailConfig) -> Option<String> {
    if raw.len() > config.max_mail_bytes {
        return None;
    }
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        // Most mails are told apart by their headers: the whole message is parsed only when a
        // pattern's header conditions hold.
        let headers = crate::header_check::headers_of(raw)?;
        let header_view = MailView::new(&headers);
        let candidates: Vec<&PbxPattern> = config
            .effective_patterns()
            .filter(|pattern| header_view.matches_headers(pattern))
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let message = MessageParser::default().parse(raw)?;
        let view = MailView::new(&message);
        candidates
            .into_iter()
            .find(|pattern| view.matches(pattern))
            .map(|pattern| pattern.name.clone())
    }));
    outcome.ok().flatten()
}

/// Parses a PBX notification e-mail into a voicemail.
///
/// `source` becomes `NewItem::source`; `received_at_fallback` is used when the Date header is
/// missing. A mail no pattern recognises is [`VoicemailError::NotAVoicemail`].
pub fn parse_notification_email(
    raw: &[u8],
    source: &str,
    received_at_fallback: DateTime<Utc>,
    config: &VoicemailConfig,
) -> Result<ParsedVoicemail, VoicemailError> {
    if raw.len() > config.max_mail_bytes {
        return Err(VoicemailError::TooLarge {
            size: raw.len(),
            limit: config.max_mail_bytes,
        });
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(VoicemailError::Empty);
    }
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        parse_within_limits(raw, source, received_at_fallback, config)
    }));
    outcome.unwrap_or_else(|_| {
        tracing::warn!(source, "voicemail mail parser panicked");
        Err(VoicemailError::ParserPanic(
            "mail parser panicked".to_owned(),
        ))
    })
}

fn parse_within_limits(
    raw: &[u8],
    source: &str,
    received_at_fallback: DateTime<Utc>,
    config: &VoicemailConfig,
) -> Result<ParsedVoicemail, VoicemailError> {
    let message = MessageParser::default()
        .parse(raw)
        .filter(|message| !message.headers().is_empty())
        .ok_or(VoicemailError::NotAMessage)?;
    let view = MailView::new(&message);
    let pattern = config
        .effective_patterns()
        .find(|pattern| view.matches(pattern))
        .ok_or(VoicemailError::NotAVoicemail)?;
    let mut fields = view.capture(pattern);
    let recording = find_recording(&message);
    let transcription = fields.remove(&VoicemailField::Transcription);
    let form = match (&recording, &transcription) {
        (Some(_), _) => VoicemailForm::PbxEmailWav,
        (None, Some(_)) => VoicemailForm::TranscribedEmail,
        (None, None) => VoicemailForm::PbxEmail,
    };
    let mut details = VoicemailDetails::new(form, pattern.name.clone());
    let date_offset = message.date().and_then(offset_of);
    fill_details(&mut details, &mut fields, pattern, date_offset, config);
    if transcription.is_some() {
        details.transcription_source = Some(TranscriptionSource::Pbx);
    }
    let received_at = message
        .date()
        .and_then(|date| DateTime::from_timestamp(date.to_timestamp(), 0))
        .unwrap_or(received_at_fallback);
    let mut item = NewItem::new(
        Channel::Voicemail,
        source,
        received_at,
        transcription.unwrap_or_default(),
    );
    item.message_id = message.message_id().map(str::to_owned);
    item.attachments.extend(recording);
    if details.caller.number.is_none() && !details.caller.withheld {
        item.warnings.push(format!(
            "caller number could not be read: {}",
            details.caller.raw.as_deref().unwrap_or_default()
        ));
    }
    let mut parsed = ParsedVoicemail { item, details };
    settle(&mut parsed, config);
    if parsed.details.has_recording && parsed.details.recording.is_none() {
        parsed
            .item
            .warnings
            .push("recording is not a WAV file this parser reads".to_owned());
    }
    Ok(parsed)
}

fn fill_details(
    details: &mut VoicemailDetails,
    fields: &mut HashMap<VoicemailField, String>,
    pattern: &PbxPattern,
    date_offset: Option<FixedOffset>,
    config: &VoicemailConfig,
) {
    details.caller = normalise_caller(
        fields
            .get(&VoicemailField::CallerNumber)
            .map(String::as_str),
        config,
    );
    details.caller_name = fields
        .remove(&VoicemailField::CallerName)
        .filter(|name| !config.is_withheld(name));
    details.called_number = fields
        .remove(&VoicemailField::CalledNumber)
        .map(|raw| to_e164(&raw, &config.default_region).unwrap_or(raw));
    details.mailbox = fields.remove(&VoicemailField::Mailbox);
    details.message_number = fields.remove(&VoicemailField::MessageNumber);
    if let Some(seconds) = fields
        .get(&VoicemailField::Duration)
        .and_then(|raw| parse_duration(raw))
    {
        details.duration_seconds = Some(seconds);
        details.duration_source = Some(DurationSource::Notification);
    }
    details.recorded_at = fields
        .get(&VoicemailField::RecordedAt)
        .and_then(|raw| parse_recorded_at(raw, &pattern.recorded_at_formats, date_offset));
}

/// Reads a local date-time as the PBX writes it, in the Date header's offset (UTC without one).
fn parse_recorded_at(
    raw: &str,
    formats: &[String],
    offset: Option<FixedOffset>,
) -> Option<DateTime<Utc>> {
    let offset = offset.or_else(|| FixedOffset::east_opt(0))?;
    formats.iter().find_map(|format| {
        let local = NaiveDateTime::parse_from_str(raw.trim(), format).ok()?;
        offset
            .from_local_datetime(&local)
            .single()
            .map(|stamp| stamp.with_timezone(&Utc))
    })
}

fn offset_of(date: &mail_parser::DateTime) -> Option<FixedOffset> {
    let seconds = i32::from(date.tz_hour) * 3600 + i32::from(date.tz_minute) * 60;
    FixedOffset::east_opt(if date.tz_before_gmt {
        -seconds
    } else {
        seconds
    })
}

/// Takes the first audio attachment (by declared type, file name or RIFF/WAVE bytes).
fn find_recording(message: &Message<'_>) -> Option<NewAttachment> {
    message
        .attachments()
        .enumerate()
        .find_map(|(position, part)| {
            let declared = part.content_type().map(|content_type| {
                let subtype = content_type.subtype().unwrap_or_default();
                format!("{}/{}", content_type.ctype(), subtype).to_ascii_lowercase()
            });
            let name = part.attachment_name();
            let content = part.contents();
            let is_wav = wav::read_info(content).is_some()
                || (content.starts_with(b"RIFF") && content.get(8..12) == Some(b"WAVE"));
            let is_audio = is_wav
                || declared
                    .as_deref()
                    .is_some_and(|ct| ct.starts_with("audio/"))
                || name.is_some_and(|n| n.to_ascii_lowercase().ends_with(".wav"));
            if !is_audio {
                return None;
            }
            let sniffed = if is_wav {
                Some("audio/wav".to_owned())
            } else {
                sniff_content_type(content).map(str::to_owned)
            };
            Some(NewAttachment {
                file_name: safe_file_name(name, position, "wav"),
                declared_type: declared,
                sniffed_type: sniffed,
                content: content.to_vec(),
            })
        })
}
