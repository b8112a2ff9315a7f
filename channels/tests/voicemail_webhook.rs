//! The webhook endpoint's pure helpers: signature, freshness, replay guard, recording-URL
//! allow-list; and webhook payloads outside the corpus (pending transcription, empty message,
//! recording attached later, transcriber seam).
#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

use chrono::{DateTime, TimeDelta, Utc};
use switchboard_channels::voicemail::{
    EmptyReason, NoTranscriber, RecordingUrlPolicy, ReplayGuard, SignatureError, TranscribeError,
    Transcriber, Transcript, UrlRejected, VoicemailConfig, VoicemailError, check_recording_url,
    check_recording_url_with, parse_any, parse_webhook, sign, verify_signature,
};
use switchboard_core::item::Language;

const SECRET: &[u8] = b"whsec_test_secret";
const BODY: &[u8] = br#"{"from":"+31612345678","duration_seconds":12,"recording_url":"https://telephony.example.com/r/1.wav"}"#;

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_741_000_000, 0).unwrap()
}

fn tolerance() -> TimeDelta {
    TimeDelta::minutes(5)
}

fn signed(at: DateTime<Utc>, body: &[u8]) -> (String, String) {
    let timestamp = at.timestamp();
    (timestamp.to_string(), sign(SECRET, timestamp, body))
}

#[test]
fn good_signature_is_accepted_with_or_without_prefix() {
    let (timestamp, signature) = signed(now() - TimeDelta::seconds(30), BODY);
    assert_eq!(
        verify_signature(SECRET, &timestamp, &signature, BODY, now(), tolerance()),
        Ok(())
    );
    let prefixed = format!("v1={}", signature.to_uppercase());
    assert_eq!(
        verify_signature(SECRET, &timestamp, &prefixed, BODY, now(), tolerance()),
        Ok(())
    );
    let rotated = format!("v1={}, v1={signature}", "00".repeat(32));
    assert_eq!(
        verify_signature(SECRET, &timestamp, &rotated, BODY, now(), tolerance()),
        Ok(())
    );
}

#[test]
fn bad_signatures_are_refused() {
    let (timestamp, signature) = signed(now(), BODY);
    let tampered_body = br#"{"from":"+31699999999"}"#;
    assert_eq!(
        verify_signature(
            SECRET,
            &timestamp,
            &signature,
            tampered_body,
            now(),
            tolerance()
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(
            b"other secret",
            &timestamp,
            &signature,
            BODY,
            now(),
            tolerance()
        ),
        Err(SignatureError::Mismatch)
    );
    let other_timestamp = (now().timestamp() - 1).to_string();
    assert_eq!(
        verify_signature(
            SECRET,
            &other_timestamp,
            &signature,
            BODY,
            now(),
            tolerance()
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify_signature(SECRET, &timestamp, "not-hex", BODY, now(), tolerance()),
        Err(SignatureError::MalformedSignature)
    );
    assert_eq!(
        verify_signature(SECRET, &timestamp, " ", BODY, now(), tolerance()),
        Err(SignatureError::MissingSignature)
    );
    assert_eq!(
        verify_signature(SECRET, "yesterday", &signature, BODY, now(), tolerance()),
        Err(SignatureError::MalformedTimestamp)
    );
    assert_eq!(
        verify_signature(SECRET, "", &signature, BODY, now(), tolerance()),
        Err(SignatureError::MissingTimestamp)
    );
}

#[test]
fn stale_and_future_timestamps_are_refused() {
    let (old_timestamp, old_signature) = signed(now() - TimeDelta::minutes(6), BODY);
    assert_eq!(
        verify_signature(
            SECRET,
            &old_timestamp,
            &old_signature,
            BODY,
            now(),
            tolerance()
        ),
        Err(SignatureError::Stale { skew_seconds: 360 })
    );
    let (future_timestamp, future_signature) = signed(now() + TimeDelta::minutes(6), BODY);
    assert_eq!(
        verify_signature(
            SECRET,
            &future_timestamp,
            &future_signature,
            BODY,
            now(),
            tolerance()
        ),
        Err(SignatureError::Stale { skew_seconds: -360 })
    );
    let (edge_timestamp, edge_signature) = signed(now() - tolerance(), BODY);
    assert_eq!(
        verify_signature(
            SECRET,
            &edge_timestamp,
            &edge_signature,
            BODY,
            now(),
            tolerance()
        ),
        Ok(())
    );
}

#[test]
fn replayed_signature_is_refused_until_forgotten() {
    let guard = ReplayGuard::new(tolerance(), 100);
    let (timestamp, signature) = signed(now(), BODY);
    assert_eq!(
        guard.verify_and_record(SECRET, &timestamp, &signature, BODY, now()),
        Ok(())
    );
    let later = now() + TimeDelta::seconds(10);
    assert_eq!(
        guard.verify_and_record(SECRET, &timestamp, &signature, BODY, later),
        Err(SignatureError::Replayed)
    );
    let upper = signature.to_uppercase();
    assert_eq!(
        guard.verify_and_record(SECRET, &timestamp, &upper, BODY, later),
        Err(SignatureError::Replayed),
        "a re-cased signature is the same signature"
    );
    guard.forget(&signature);
    assert_eq!(
        guard.verify_and_record(SECRET, &timestamp, &signature, BODY, later),
        Ok(())
    );
    let (bad_timestamp, _) = signed(now(), BODY);
    assert_eq!(
        guard.verify_and_record(SECRET, &bad_timestamp, &"ab".repeat(32), BODY, later),
        Err(SignatureError::Mismatch),
        "unverified requests are not recorded"
    );
    assert_eq!(guard.len(), 1);
}

#[test]
fn replay_guard_is_bounded_and_forgets_expired_signatures() {
    let guard = ReplayGuard::new(tolerance(), 2);
    for body in [&b"one"[..], b"two"] {
        let (timestamp, signature) = signed(now(), body);
        assert_eq!(
            guard.verify_and_record(SECRET, &timestamp, &signature, body, now()),
            Ok(())
        );
    }
    let (timestamp, signature) = signed(now(), b"three");
    assert_eq!(
        guard.verify_and_record(SECRET, &timestamp, &signature, b"three", now()),
        Err(SignatureError::ReplayCacheFull)
    );
    let after_window = now() + tolerance() + TimeDelta::seconds(1);
    let (fresh_timestamp, fresh_signature) = signed(after_window, b"three");
    assert_eq!(
        guard.verify_and_record(
            SECRET,
            &fresh_timestamp,
            &fresh_signature,
            b"three",
            after_window
        ),
        Ok(())
    );
    assert_eq!(guard.len(), 1, "expired signatures were purged");
}

fn allow() -> Vec<String> {
    vec![
        "telephony.example.com".to_owned(),
        "*.recordings.example.net".to_owned(),
    ]
}

#[test]
fn recording_urls_on_the_allow_list_pass() {
    let url = check_recording_url(
        "https://telephony.example.com/v1/recordings/RE1.wav",
        &allow(),
    )
    .unwrap();
    assert_eq!(url.host_str(), Some("telephony.example.com"));
    assert!(check_recording_url("https://TELEPHONY.example.com./r.wav", &allow()).is_ok());
    assert!(check_recording_url("https://eu.recordings.example.net/r.wav", &allow()).is_ok());
    assert!(check_recording_url("https://telephony.example.com:443/r.wav", &allow()).is_ok());
}

#[test]
fn recording_urls_off_the_allow_list_or_unsafe_are_refused() {
    let cases: [(&str, UrlRejected); 13] = [
        (
            "https://evil.example.org/r.wav",
            UrlRejected::HostNotAllowed("evil.example.org".into()),
        ),
        (
            "https://telephony.example.com.evil.org/r.wav",
            UrlRejected::HostNotAllowed("telephony.example.com.evil.org".into()),
        ),
        (
            "https://recordings.example.net/r.wav",
            UrlRejected::HostNotAllowed("recordings.example.net".into()),
        ),
        (
            "https://127.0.0.1/r.wav",
            UrlRejected::ForbiddenAddress("127.0.0.1".parse().unwrap()),
        ),
        (
            "https://2130706433/r.wav",
            UrlRejected::ForbiddenAddress("127.0.0.1".parse().unwrap()),
        ),
        (
            "https://10.1.2.3/r.wav",
            UrlRejected::ForbiddenAddress("10.1.2.3".parse().unwrap()),
        ),
        (
            "https://[::1]/r.wav",
            UrlRejected::ForbiddenAddress("::1".parse().unwrap()),
        ),
        (
            "https://[::ffff:192.168.0.1]/r.wav",
            UrlRejected::ForbiddenAddress("::ffff:192.168.0.1".parse().unwrap()),
        ),
        (
            "https://169.254.169.254/latest/meta-data/",
            UrlRejected::ForbiddenAddress("169.254.169.254".parse().unwrap()),
        ),
        (
            "https://0.0.0.0/r.wav",
            UrlRejected::ForbiddenAddress("0.0.0.0".parse().unwrap()),
        ),
        (
            "http://telephony.example.com/r.wav",
            UrlRejected::Scheme("http".into()),
        ),
        (
            "https://user:pass@telephony.example.com/r.wav",
            UrlRejected::UserInfo,
        ),
        (
            "https://telephony.example.com:8443/r.wav",
            UrlRejected::Port(8443),
        ),
    ];
    for (url, expected) in cases {
        assert_eq!(check_recording_url(url, &allow()), Err(expected), "{url}");
    }
    assert_eq!(
        check_recording_url("file:///etc/passwd", &allow()),
        Err(UrlRejected::Scheme("file".into()))
    );
    assert_eq!(
        check_recording_url("not a url", &allow()),
        Err(UrlRejected::Invalid)
    );
    let allow_ip = vec!["10.1.2.3".to_owned()];
    assert!(
        check_recording_url("https://10.1.2.3/r.wav", &allow_ip).is_err(),
        "never private, even when listed"
    );
}

#[test]
fn recording_url_policy_can_allow_http_and_ports() {
    let policy = RecordingUrlPolicy {
        allowed_hosts: allow(),
        allow_http: true,
        allowed_ports: vec![8443],
    };
    assert!(check_recording_url_with("http://telephony.example.com/r.wav", &policy).is_ok());
    assert!(check_recording_url_with("https://telephony.example.com:8443/r.wav", &policy).is_ok());
    assert_eq!(
        check_recording_url_with("https://telephony.example.com:9000/r.wav", &policy),
        Err(UrlRejected::Port(9000))
    );
}

fn webhook(extra: &str) -> Vec<u8> {
    format!(
        r#"{{"event":"recording.completed","call_id":"CA1","recording_id":"RE1","from":"0612345678","to":"+31235550100",
        "caller_name":"  ","started_at":"2025-03-03T12:14:55+01:00","duration_seconds":9,
        "recording_url":"https://telephony.example.com/r/RE1.wav"{extra}}}"#
    )
    .into_bytes()
}

#[test]
fn webhook_without_final_transcription_is_a_complete_item_without_text() {
    let config = VoicemailConfig::default();
    let pending =
        webhook(r#","transcription":{"status":"in-progress","text":"partial"},"provider_extra":1"#);
    let parsed = parse_webhook(&pending, "RE1", now(), &config).unwrap();
    assert_eq!(parsed.item.text, "");
    assert_eq!(
        parsed.item.sender.phone.as_deref(),
        Some("+31612345678"),
        "national number read in NL"
    );
    assert_eq!(parsed.item.sender.name, None, "blank caller name dropped");
    assert_eq!(
        parsed.item.received_at.to_rfc3339(),
        "2025-03-03T11:14:55+00:00"
    );
    assert_eq!(parsed.external_id(), Some("RE1"));
    assert!(!parsed.details.empty);
    assert_eq!(parsed.item.warnings.len(), 1);
    assert_eq!(
        parsed.item.details["recording_url"],
        "https://telephony.example.com/r/RE1.wav"
    );
}

#[test]
fn webhook_with_empty_or_filler_transcription_is_marked_empty() {
    let config = VoicemailConfig::default();
    for transcription in [r#""text":"""#, r#""text":"uh ... eh""#] {
        let body = webhook(&format!(
            r#","transcription":{{"status":"completed",{transcription}}}"#
        ));
        let parsed = parse_webhook(&body, "RE1", now(), &config).unwrap();
        assert!(parsed.details.empty, "{transcription}");
        assert_eq!(
            parsed.details.empty_reason,
            Some(EmptyReason::EmptyTranscription)
        );
        assert_eq!(parsed.item.details["empty"], true);
    }
    let short = br#"{"from":"anonymous","duration_seconds":1}"#;
    let parsed = parse_webhook(short, "x.json", now(), &config).unwrap();
    assert_eq!(parsed.details.empty_reason, Some(EmptyReason::TooShort));
    assert_eq!(parsed.item.sender.phone, None);
}

#[test]
fn malformed_or_foreign_inputs_are_errors() {
    let config = VoicemailConfig::default();
    assert!(matches!(
        parse_webhook(b"{not json", "x", now(), &config),
        Err(VoicemailError::InvalidJson(_))
    ));
    assert_eq!(
        parse_webhook(br#"{"event":"call.ringing"}"#, "x", now(), &config),
        Err(VoicemailError::NotAVoicemail)
    );
    assert_eq!(
        parse_webhook(b"  ", "x", now(), &config),
        Err(VoicemailError::Empty)
    );
    let plain_mail = b"From: a@example.com\r\nSubject: hello\r\n\r\nJust a mail.\r\n";
    assert_eq!(
        parse_any(plain_mail, "m.eml", now(), &config),
        Err(VoicemailError::NotAVoicemail)
    );
    assert!(matches!(
        parse_any(b"\x00\x01binary", "x.bin", now(), &config),
        Err(VoicemailError::UnsupportedFile(_) | VoicemailError::NotAVoicemail)
    ));
    let small = VoicemailConfig {
        max_webhook_bytes: 10,
        ..VoicemailConfig::default()
    };
    assert!(matches!(
        parse_webhook(&webhook(""), "x", now(), &small),
        Err(VoicemailError::TooLarge { .. })
    ));
}

/// A transcriber returning a fixed text, to test the seam.
struct FixedTranscriber;

impl Transcriber for FixedTranscriber {
    fn transcribe(
        &self,
        wav: &[u8],
        _hint: Option<Language>,
    ) -> Result<Option<Transcript>, TranscribeError> {
        assert!(wav.starts_with(b"RIFF"));
        Ok(Some(Transcript {
            text: "goedemiddag met order 4500012345".to_owned(),
            language: Some(Language::Dutch),
            confidence: Some(0.9),
        }))
    }
}

fn speech_wav() -> Vec<u8> {
    let samples: Vec<i16> = (0..24_000)
        .map(|i| {
            if (i / 1600) % 2 == 0 {
                ((f64::from(i) * 0.3).sin() * 8000.0) as i16
            } else {
                0
            }
        })
        .collect();
    let data: Vec<u8> = samples
        .iter()
        .flat_map(|sample| sample.to_le_bytes())
        .collect();
    let mut wav = b"RIFF".to_vec();
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    wav
}

#[test]
fn recording_fetched_later_is_attached_and_transcribed_through_the_seam() {
    let config = VoicemailConfig::default();
    let mut parsed = parse_webhook(&webhook(""), "RE1", now(), &config).unwrap();
    assert!(!parsed.details.has_recording);
    assert_eq!(
        parsed.transcribe_with(&FixedTranscriber, &config),
        Ok(false),
        "nothing to transcribe yet"
    );
    parsed.attach_recording(speech_wav(), Some("../../RE1.wav"), &config);
    assert!(parsed.details.has_recording);
    assert_eq!(parsed.item.attachments[0].file_name, "RE1.wav");
    assert_eq!(
        parsed.item.attachments[0].sniffed_type.as_deref(),
        Some("audio/wav")
    );
    assert_eq!(
        parsed.details.duration_seconds,
        Some(3.0),
        "duration now from the recording"
    );
    assert!(!parsed.details.empty);
    assert_eq!(parsed.transcribe_with(&NoTranscriber, &config), Ok(false));
    assert_eq!(parsed.item.text, "");
    assert_eq!(parsed.transcribe_with(&FixedTranscriber, &config), Ok(true));
    assert_eq!(parsed.item.text, "goedemiddag met order 4500012345");
    assert_eq!(parsed.item.language, Some(Language::Dutch));
    assert_eq!(parsed.item.details["transcription_source"], "transcriber");
    assert_eq!(
        parsed.transcribe_with(&FixedTranscriber, &config),
        Ok(false),
        "transcribed once"
    );
}
