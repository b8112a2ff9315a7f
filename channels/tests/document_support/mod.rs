//! Helpers shared by the document intake tests: the corpus, tool checks and word accuracy.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use switchboard_channels::document::fax::FaxPatterns;
use switchboard_channels::document::ocr::{OcrConfig, TesseractCli};
use switchboard_channels::document::{DocumentConfig, program_available};

/// The tools the document tests need.
pub const TOOLS: &[&str] = &[
    "tesseract",
    "pdfinfo",
    "pdfimages",
    "pdftotext",
    "pdftoppm",
    "tiff2pdf",
    "prlimit",
];

/// Returns the dev corpus folder (`../shared/corpus/dev` beside the checkout).
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev")
}

/// Tells whether the tools are installed. Under `CI` a missing tool fails the test; locally the
/// test is skipped with a note.
pub fn tools_present(extra: &[&str]) -> bool {
    let missing: Vec<&str> = TOOLS
        .iter()
        .chain(extra)
        .copied()
        .filter(|tool| !program_available(tool))
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "document tools missing in CI: {missing:?}"
    );
    eprintln!("note: skipping, tools not installed: {missing:?}");
    false
}

/// The real engine with the default languages.
pub fn engine() -> TesseractCli {
    TesseractCli::new(OcrConfig::default())
}

/// The default configuration.
pub fn config() -> DocumentConfig {
    DocumentConfig::default()
}

/// The default fax patterns.
pub fn patterns() -> FaxPatterns {
    FaxPatterns::default()
}

/// A fixed arrival time.
pub fn received() -> DateTime<Utc> {
    DateTime::from_timestamp(1_741_000_000, 0).unwrap()
}

/// Lowercases, turns everything but letters and digits into spaces, and splits into words.
pub fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .chars()
        .map(|character| {
            if character.is_alphanumeric() {
                character
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// Word accuracy: 1 − (word-level edit distance / reference words), at least 0, after
/// lowercasing and dropping punctuation.
pub fn word_accuracy(recognised: &str, reference: &str) -> f64 {
    let hypothesis = words(recognised);
    let reference = words(reference);
    if reference.is_empty() {
        return if hypothesis.is_empty() { 1.0 } else { 0.0 };
    }
    let mut previous: Vec<usize> = (0..=hypothesis.len()).collect();
    for (row, reference_word) in reference.iter().enumerate() {
        let mut current = vec![row + 1; hypothesis.len() + 1];
        for (column, hypothesis_word) in hypothesis.iter().enumerate() {
            let substitution = previous[column] + usize::from(reference_word != hypothesis_word);
            current[column + 1] = substitution
                .min(previous[column + 1] + 1)
                .min(current[column] + 1);
        }
        previous = current;
    }
    let distance = previous[hypothesis.len()] as f64;
    (1.0 - distance / reference.len() as f64).max(0.0)
}

/// One labelled corpus item.
#[derive(Debug, Clone)]
pub struct Truth {
    pub id: String,
    pub channel: String,
    pub fax_csid_number: Option<String>,
    pub reference_text: String,
}

/// Reads the fax and letter labels of the corpus.
pub fn truth() -> Vec<Truth> {
    let text = std::fs::read_to_string(corpus_dir().join("truth.jsonl")).unwrap();
    text.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|value| matches!(value["channel"].as_str(), Some("fax" | "letter")))
        .map(|value| Truth {
            id: value["id"].as_str().unwrap().to_owned(),
            channel: value["channel"].as_str().unwrap().to_owned(),
            fax_csid_number: value["fax_csid_number"].as_str().map(str::to_owned),
            reference_text: value["reference_text"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        })
        .collect()
}

/// Writes a PDF from object bodies (numbered from 1, object 1 the catalog) with a correct xref.
pub fn pdf_from_objects(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (index, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", index + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}
