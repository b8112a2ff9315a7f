//! Noise and language agreement with the development corpus's labels.

use std::collections::HashMap;
use std::fs;

use serde_json::Value;

use crate::support::{parse, shared};

/// Minimum share of messages whose noise kind agrees with the labels.
const NOISE_AGREEMENT: f64 = 0.98;
/// Minimum share of all messages whose language agrees with the labels. Measured 93.7%: the
/// labels of spam, newsletters and header-only bounces do not follow their text (Dutch
/// newsletters labelled `en`/`de`, English spam labelled `nl`), so this stays below the figure
/// for work items.
const LANGUAGE_AGREEMENT_ALL: f64 = 0.93;
/// Minimum share of work items (not noise) whose language agrees with the labels (measured 100%).
const LANGUAGE_AGREEMENT_WORK: f64 = 0.98;

struct Label {
    noise: Option<String>,
    language: Option<String>,
}

fn labels() -> HashMap<String, Label> {
    let truth = fs::read_to_string(shared("corpus/dev/truth.jsonl")).expect("truth.jsonl");
    truth
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str::<Value>(line).expect("label json"))
        .filter(|record| record["channel"] == "email")
        .map(|record| {
            let file = record["files"][0].as_str().unwrap().to_owned();
            let label = Label {
                noise: record["noise_type"].as_str().map(str::to_owned),
                language: record["language"].as_str().map(str::to_owned),
            };
            (file, label)
        })
        .collect()
}

#[test]
fn dev_corpus_noise_and_language_agree_with_labels() {
    let labels = labels();
    let mut files: Vec<_> = fs::read_dir(shared("corpus/dev/email"))
        .expect("corpus/dev/email")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let (mut total, mut noise_ok, mut language_ok) = (0usize, 0usize, 0usize);
    let (mut work_total, mut work_language_ok) = (0usize, 0usize);
    for path in &files {
        let name = format!("email/{}", path.file_name().unwrap().to_string_lossy());
        let label = labels
            .get(&name)
            .unwrap_or_else(|| panic!("no label for {name}"));
        let raw = fs::read(path).unwrap();
        let parsed = parse(&raw).unwrap_or_else(|err| panic!("{name}: {err}"));
        total += 1;
        let noise = parsed.item.noise.map(|kind| kind.as_str().to_owned());
        if noise == label.noise {
            noise_ok += 1;
        } else {
            println!(
                "noise mismatch {name}: got {noise:?} ({:?}), label {:?}",
                parsed.details.noise.as_ref().map(|v| &v.reason),
                label.noise
            );
        }
        let language = parsed
            .item
            .language
            .map(|language| language.as_str().to_owned());
        let is_work = label.noise.is_none();
        work_total += usize::from(is_work);
        if language == label.language {
            language_ok += 1;
            work_language_ok += usize::from(is_work);
        } else {
            println!(
                "language mismatch {name}: got {language:?}, label {:?} ({:?})",
                label.language, parsed.item.subject
            );
        }
    }
    let noise_share = noise_ok as f64 / total as f64;
    let language_share = language_ok as f64 / total as f64;
    let work_language_share = work_language_ok as f64 / work_total as f64;
    println!(
        "dev corpus: {total} e-mails; noise agreement {noise_ok}/{total} = {:.1}%; language agreement \
         {language_ok}/{total} = {:.1}% (work items {work_language_ok}/{work_total} = {:.1}%)",
        noise_share * 100.0,
        language_share * 100.0,
        work_language_share * 100.0
    );
    assert!(
        noise_share >= NOISE_AGREEMENT,
        "noise agreement {noise_share:.3}"
    );
    assert!(
        language_share >= LANGUAGE_AGREEMENT_ALL,
        "language agreement {language_share:.3}"
    );
    assert!(
        work_language_share >= LANGUAGE_AGREEMENT_WORK,
        "work-item language agreement {work_language_share:.3}"
    );
}
