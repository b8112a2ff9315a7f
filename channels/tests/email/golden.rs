//! Golden files: `fixtures/email/NNN.eml` parses to exactly `NNN.json`.
//! Run with `UPDATE_GOLDEN=1` to rewrite the expected files after a deliberate change.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use switchboard_channels::email::{ParsedEmail, parse_email};
use switchboard_core::item::{Language, NoiseKind, SenderIdentity};

use crate::support::{config, fallback_time};

/// The serialised form of a parse result that golden files hold.
#[derive(Serialize)]
struct Golden<'a> {
    source: &'a str,
    received_at: String,
    subject: Option<&'a str>,
    sender: &'a SenderIdentity,
    language: Option<Language>,
    noise: Option<NoiseKind>,
    message_id: Option<&'a str>,
    reply_to_ids: &'a [String],
    text: &'a str,
    html: Option<&'a str>,
    attachments: Vec<GoldenAttachment<'a>>,
    warnings: &'a [String],
    details: &'a Value,
}

#[derive(Serialize)]
struct GoldenAttachment<'a> {
    file_name: &'a str,
    declared_type: Option<&'a str>,
    sniffed_type: Option<&'a str>,
    size: usize,
    sha256: String,
}

impl<'a> Golden<'a> {
    fn of(parsed: &'a ParsedEmail) -> Self {
        let item = &parsed.item;
        Self {
            source: &item.source,
            received_at: item.received_at.to_rfc3339(),
            subject: item.subject.as_deref(),
            sender: &item.sender,
            language: item.language,
            noise: item.noise,
            message_id: item.message_id.as_deref(),
            reply_to_ids: &item.reply_to_ids,
            text: &item.text,
            html: item.html.as_deref(),
            attachments: item
                .attachments
                .iter()
                .map(|attachment| GoldenAttachment {
                    file_name: &attachment.file_name,
                    declared_type: attachment.declared_type.as_deref(),
                    sniffed_type: attachment.sniffed_type.as_deref(),
                    size: attachment.content.len(),
                    sha256: format!("{:x}", Sha256::digest(&attachment.content)),
                })
                .collect(),
            warnings: &item.warnings,
            details: &item.details,
        }
    }
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/email");
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    files.sort();
    files
}

#[test]
fn fixtures_match_their_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|value| value == "1");
    let fixtures = fixtures();
    assert!(fixtures.len() >= 5, "golden fixtures missing");
    let mut mismatches = Vec::new();
    for eml in &fixtures {
        let name = eml.file_name().unwrap().to_string_lossy().into_owned();
        let raw = fs::read(eml).unwrap();
        let parsed = parse_email(&raw, &name, fallback_time(), &config())
            .unwrap_or_else(|error| panic!("{name}: {error}"));
        let actual = serde_json::to_string_pretty(&Golden::of(&parsed)).unwrap() + "\n";
        let golden = eml.with_extension("json");
        if update {
            fs::write(&golden, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&golden)
            .unwrap_or_else(|_| panic!("{} missing; run with UPDATE_GOLDEN=1", golden.display()));
        if expected != actual {
            println!("--- {name}: expected\n{expected}\n--- actual\n{actual}");
            mismatches.push(name);
        }
    }
    assert!(
        mismatches.is_empty(),
        "golden mismatches: {mismatches:?}; rerun with UPDATE_GOLDEN=1 after checking the diff"
    );
}
