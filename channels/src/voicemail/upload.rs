//! Recording callbacks with the recording uploaded: a `multipart/form-data` body holding a
//! `payload` part (the callback's JSON, as sent alone otherwise) and at most one `recording`
//! part (the audio file). The body is read whole first (its signature covers every byte), then
//! split here; the landed input is that body, so a restart splits it again the same way.

use std::convert::Infallible;

use super::audio::{AudioFormat, RecordingKind, sniff_recording};
use super::webhook::WebhookPayload;

/// The name of the part holding the callback's JSON.
pub const PAYLOAD_PART: &str = "payload";
/// The name of the part holding the audio file.
pub const RECORDING_PART: &str = "recording";
/// Longest boundary RFC 2046 allows.
const MAX_BOUNDARY_LEN: usize = 70;

/// A split upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailUpload {
    /// The callback's JSON, byte for byte.
    pub payload: Vec<u8>,
    /// The uploaded recording, when the body has one.
    pub recording: Option<UploadedRecording>,
}

/// An uploaded recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedRecording {
    /// The audio bytes.
    pub content: Vec<u8>,
    /// The file name the sender gave, unsanitised.
    pub file_name: Option<String>,
    /// The format sniffed from the bytes.
    pub format: AudioFormat,
}

/// Why an upload is refused; each names the part at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// The body is no readable `multipart/form-data`.
    #[error("the multipart body cannot be read: {0}")]
    Malformed(String),
    /// No part holds the callback's JSON.
    #[error("the multipart body has no `payload` part with the callback's JSON")]
    MissingPayload,
    /// A part other than `payload` and `recording`.
    #[error("the part `{0}` is not expected: send `payload` and `recording`")]
    UnexpectedPart(String),
    /// A part given twice (two recordings, say).
    #[error("the part `{0}` is given more than once")]
    Repeated(&'static str),
    /// The `payload` part is not JSON.
    #[error("the `payload` part is not valid JSON: {0}")]
    InvalidPayload(String),
    /// The `recording` part is empty.
    #[error("the `recording` part is empty")]
    EmptyRecording,
    /// The `recording` part is not audio a browser plays.
    #[error(
        "the `recording` part is not playable audio (WAV, MP3, Ogg, FLAC, M4A or AAC); its bytes look like {}",
        .0.unwrap_or("nothing known")
    )]
    NotAudio(Option<&'static str>),
    /// A recording uploaded and a `recording_url` to fetch one.
    #[error("the `recording` part and the payload's `recording_url` are both given; send one")]
    RecordingAndUrl,
}

impl UploadError {
    /// The part (or payload field) the error is about, for a problem's `field`.
    pub fn part(&self) -> &str {
        match self {
            Self::Malformed(_) => "body",
            Self::MissingPayload | Self::InvalidPayload(_) => PAYLOAD_PART,
            Self::UnexpectedPart(part) => part,
            Self::Repeated(part) => part,
            Self::EmptyRecording | Self::NotAudio(_) => RECORDING_PART,
            Self::RecordingAndUrl => "recording_url",
        }
    }
}

/// The boundary of a request's `Content-Type` when it is `multipart/form-data`; `None` for any
/// other type, or a form without a boundary.
pub fn form_data_boundary(content_type: &str) -> Option<String> {
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    multer::parse_boundary(content_type).ok()
}

/// The boundary of a landed upload: its first line is `--boundary`. `None` for any other input
/// (a JSON callback starts with `{`, a notification e-mail with a header field).
pub fn leading_boundary(raw: &[u8]) -> Option<&str> {
    let line_end = raw
        .iter()
        .take(MAX_BOUNDARY_LEN + 4)
        .position(|byte| *byte == b'\n')?;
    let line = raw
        .get(..line_end)?
        .strip_suffix(b"\r")
        .unwrap_or(&raw[..line_end]);
    let boundary = std::str::from_utf8(line.strip_prefix(b"--")?).ok()?;
    let valid = !boundary.is_empty()
        && boundary.len() <= MAX_BOUNDARY_LEN
        && !boundary.ends_with(' ')
        && boundary
            .bytes()
            .all(|byte| byte.is_ascii_graphic() || byte == b' ');
    valid.then_some(boundary)
}

/// Splits a `multipart/form-data` body into the callback's JSON and its recording, refusing a
/// missing or unreadable payload, unknown or repeated parts, a recording that is not playable
/// audio, and a recording sent together with a `recording_url`.
pub async fn read_upload(body: Vec<u8>, boundary: &str) -> Result<VoicemailUpload, UploadError> {
    let stream = futures_util::stream::once(async move { Ok::<_, Infallible>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut payload = None;
    let mut recording = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|error| UploadError::Malformed(error.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content = field
            .bytes()
            .await
            .map_err(|error| UploadError::Malformed(error.to_string()))?
            .to_vec();
        match name.as_str() {
            PAYLOAD_PART if payload.is_some() => return Err(UploadError::Repeated(PAYLOAD_PART)),
            PAYLOAD_PART => payload = Some(content),
            RECORDING_PART if recording.is_some() => {
                return Err(UploadError::Repeated(RECORDING_PART));
            }
            RECORDING_PART => recording = Some(uploaded_recording(content, file_name)?),
            _ => return Err(UploadError::UnexpectedPart(name)),
        }
    }
    let payload = payload.ok_or(UploadError::MissingPayload)?;
    let decoded: WebhookPayload = serde_json::from_slice(&payload)
        .map_err(|error| UploadError::InvalidPayload(error.to_string()))?;
    let names_a_url = decoded
        .recording_url
        .as_deref()
        .is_some_and(|url| !url.trim().is_empty());
    if recording.is_some() && names_a_url {
        return Err(UploadError::RecordingAndUrl);
    }
    Ok(VoicemailUpload { payload, recording })
}

fn uploaded_recording(
    content: Vec<u8>,
    file_name: Option<String>,
) -> Result<UploadedRecording, UploadError> {
    if content.is_empty() {
        return Err(UploadError::EmptyRecording);
    }
    match sniff_recording(&content) {
        RecordingKind::Playable(format) => Ok(UploadedRecording {
            content,
            file_name,
            format,
        }),
        RecordingKind::Other(sniffed) => Err(UploadError::NotAudio(sniffed)),
    }
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    const BOUNDARY: &str = "XyZ-boundary";
    const MP3: &[u8] = b"ID3\x03\x00\x00\x00\x00\x00\x00 some frames";

    /// A part: name, file name, content.
    type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

    fn body(parts: &[Part<'_>]) -> Vec<u8> {
        let mut body = Vec::new();
        for (name, file_name, content) in parts {
            body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
            let file = file_name.map_or(String::new(), |file| format!("; filename=\"{file}\""));
            body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(content);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        body
    }

    /// Splits in place: the body is all in memory, so the future never waits.
    fn read(parts: &[Part<'_>]) -> Result<VoicemailUpload, UploadError> {
        read_upload(body(parts), BOUNDARY)
            .now_or_never()
            .unwrap_or_else(|| Err(UploadError::Malformed("the split waited".into())))
    }

    #[test]
    fn only_form_data_with_a_boundary_is_an_upload() {
        assert_eq!(
            form_data_boundary("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            form_data_boundary("Multipart/Form-Data; boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(form_data_boundary("multipart/form-data"), None);
        assert_eq!(form_data_boundary("multipart/mixed; boundary=abc"), None);
        assert_eq!(form_data_boundary("application/json"), None);
    }

    #[test]
    fn the_boundary_is_read_from_the_first_line_only() {
        assert_eq!(
            leading_boundary(&body(&[(PAYLOAD_PART, None, b"{}")])),
            Some(BOUNDARY)
        );
        assert_eq!(leading_boundary(b"--abc\nrest"), Some("abc"));
        assert_eq!(leading_boundary(b"{\"from\":\"+31\"}\n"), None);
        assert_eq!(leading_boundary(b"From: pbx@example.com\r\n"), None);
        assert_eq!(leading_boundary(b"--\r\n"), None);
        let long = format!("--{}\r\n", "b".repeat(71));
        assert_eq!(leading_boundary(long.as_bytes()), None);
    }

    #[test]
    fn a_payload_and_a_recording_are_split() {
        let payload = br#"{"from":"+31201234567","duration_seconds":3}"#;
        let upload = read(&[
            (PAYLOAD_PART, None, payload),
            (RECORDING_PART, Some("call.mp3"), MP3),
        ])
        .unwrap();
        assert_eq!(upload.payload, payload);
        let recording = upload.recording.unwrap();
        assert_eq!(recording.content, MP3);
        assert_eq!(recording.file_name.as_deref(), Some("call.mp3"));
        assert_eq!(recording.format.media_type, "audio/mpeg");
        assert_eq!(
            read(&[(PAYLOAD_PART, None, payload)]).unwrap().recording,
            None
        );
    }

    #[test]
    fn bad_parts_are_refused_naming_the_part() {
        let payload: &[u8] = br#"{"from":"+31201234567"}"#;
        let with_url: &[u8] = br#"{"recording_url":"https://r.example.com/1.wav"}"#;
        let cases: [(&[Part<'_>], &str); 7] = [
            (&[(RECORDING_PART, Some("a.mp3"), MP3)], PAYLOAD_PART),
            (&[(PAYLOAD_PART, None, b"{not json")], PAYLOAD_PART),
            (
                &[(PAYLOAD_PART, None, payload), (PAYLOAD_PART, None, payload)],
                PAYLOAD_PART,
            ),
            (
                &[
                    (PAYLOAD_PART, None, payload),
                    (RECORDING_PART, Some("a.mp3"), MP3),
                    (RECORDING_PART, Some("b.mp3"), MP3),
                ],
                RECORDING_PART,
            ),
            (
                &[
                    (PAYLOAD_PART, None, payload),
                    (RECORDING_PART, Some("a.pdf"), b"%PDF-1.7\n"),
                ],
                RECORDING_PART,
            ),
            (
                &[(PAYLOAD_PART, None, payload), ("notes", None, b"x")],
                "notes",
            ),
            (
                &[
                    (PAYLOAD_PART, None, with_url),
                    (RECORDING_PART, Some("a.mp3"), MP3),
                ],
                "recording_url",
            ),
        ];
        for (parts, part) in cases {
            let error = read(parts).unwrap_err();
            assert_eq!(error.part(), part, "{error}");
        }
        let unreadable = read_upload(b"--other\r\n\r\n".to_vec(), BOUNDARY)
            .now_or_never()
            .unwrap()
            .unwrap_err();
        assert_eq!(unreadable.part(), "body", "{unreadable}");
    }
}
