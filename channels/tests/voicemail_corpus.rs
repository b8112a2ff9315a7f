//! Every development-corpus voicemail (.eml and .json) against its label: form, caller number,
//! duration, transcription, recording, emptiness and language.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code fails loudly"
)]

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::Value;
use switchboard_channels::voicemail::{
    DurationSource, ParsedVoicemail, VoicemailConfig, VoicemailForm, parse_any,
};

/// Duration tolerance when read from the WAV data: the labels round to 0.1 s.
const RECORDING_DURATION_TOLERANCE: f64 = 0.05;
/// Duration tolerance when written by the PBX or provider: whole seconds (`0:16`, `16`).
const WRITTEN_DURATION_TOLERANCE: f64 = 0.5;

fn shared(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(relative)
}

fn labels() -> HashMap<String, Value> {
    fs::read_to_string(shared("corpus/dev/truth.jsonl"))
        .expect("truth.jsonl")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str::<Value>(line).expect("label json"))
        .filter(|record| record["channel"] == "voicemail")
        .map(|record| (record["files"][0].as_str().unwrap().to_owned(), record))
        .collect()
}

fn fallback() -> DateTime<Utc> {
    DateTime::from_timestamp(1_740_000_000, 0).unwrap()
}

fn form_name(form: VoicemailForm) -> &'static str {
    match form {
        VoicemailForm::PbxEmailWav => "pbx_email_wav",
        VoicemailForm::TranscribedEmail => "transcribed_email",
        VoicemailForm::PbxEmail => "pbx_email",
        VoicemailForm::WebhookJson => "webhook_json",
    }
}

/// Counts agreement per field.
#[derive(Default)]
struct Tally {
    checked: HashMap<&'static str, (usize, usize)>,
    misses: Vec<String>,
}

impl Tally {
    fn check(&mut self, field: &'static str, file: &str, ok: bool, detail: String) {
        let entry = self.checked.entry(field).or_default();
        entry.0 += 1;
        if ok {
            entry.1 += 1;
        } else {
            self.misses.push(format!("{file} {field}: {detail}"));
        }
    }
}

fn check_one(tally: &mut Tally, file: &str, label: &Value, parsed: &ParsedVoicemail) {
    let details = &parsed.details;
    let form = label["voicemail_form"].as_str().unwrap();
    tally.check(
        "form",
        file,
        form_name(details.form) == form,
        format!("{:?}", details.form),
    );

    let expected_caller = label["caller"]
        .as_str()
        .filter(|caller| *caller != "anonymous");
    let caller = parsed.item.sender.phone.as_deref();
    tally.check(
        "caller",
        file,
        caller == expected_caller,
        format!("{caller:?} vs {expected_caller:?}"),
    );
    tally.check(
        "withheld",
        file,
        details.caller.withheld == expected_caller.is_none(),
        format!("{}", details.caller.withheld),
    );

    let expected_seconds = label["audio_seconds"].as_f64().unwrap();
    let tolerance = match details.duration_source {
        Some(DurationSource::Recording) => RECORDING_DURATION_TOLERANCE,
        _ => WRITTEN_DURATION_TOLERANCE,
    };
    let seconds = details.duration_seconds;
    let duration_ok = seconds.is_some_and(|s| (s - expected_seconds).abs() <= tolerance);
    tally.check(
        "duration",
        file,
        duration_ok,
        format!("{seconds:?} vs {expected_seconds}"),
    );

    let expects_text = form != "pbx_email_wav";
    let has_text = details.has_transcription && !parsed.item.text.is_empty();
    tally.check(
        "transcription",
        file,
        has_text == expects_text,
        parsed.item.text.clone(),
    );

    let expects_recording = form == "pbx_email_wav";
    let recording_ok = details.has_recording == expects_recording
        && (!expects_recording
            || parsed.item.attachments.first().is_some_and(|attachment| {
                attachment.sniffed_type.as_deref() == Some("audio/wav")
                    && attachment.file_name.ends_with(".wav")
            }));
    tally.check(
        "recording",
        file,
        recording_ok,
        format!("{}", details.has_recording),
    );

    let expects_empty = label["noise_type"] == "empty";
    tally.check(
        "empty",
        file,
        details.empty == expects_empty,
        format!("{:?}", details.empty_reason),
    );
    let item_details_empty = parsed.item.details["empty"].as_bool();
    tally.check(
        "details_json",
        file,
        item_details_empty == Some(expects_empty),
        format!("{item_details_empty:?}"),
    );

    if has_text {
        let language = parsed.item.language.map(|language| language.as_str());
        let expected = label["language"].as_str();
        tally.check(
            "language",
            file,
            language == expected,
            format!("{language:?} vs {expected:?}"),
        );
    }
}

#[test]
fn dev_corpus_voicemails_agree_with_labels() {
    let labels = labels();
    let config = VoicemailConfig::default();
    let mut files: Vec<PathBuf> = fs::read_dir(shared("corpus/dev/voicemail"))
        .expect("corpus/dev/voicemail")
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 40, "the dev corpus holds 40 voicemails");
    let mut tally = Tally::default();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let label = &labels[&format!("voicemail/{name}")];
        let bytes = fs::read(path).unwrap();
        let parsed = parse_any(&bytes, &path.to_string_lossy(), fallback(), &config)
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(parsed.item.source, name);
        assert!(
            parsed.external_id().is_some(),
            "{name} has no idempotency key"
        );
        check_one(&mut tally, &name, label, &parsed);
    }
    let mut fields: Vec<_> = tally.checked.iter().collect();
    fields.sort();
    for (field, (total, agreed)) in &fields {
        println!("{field:>14}: {agreed}/{total}");
    }
    for miss in &tally.misses {
        println!("miss {miss}");
    }
    assert!(
        tally.misses.is_empty(),
        "disagreements: {:#?}",
        tally.misses
    );
}
