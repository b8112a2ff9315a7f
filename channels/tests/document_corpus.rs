//! Document intake over the dev corpus: every fax and letter becomes one item, the fax sender
//! number matches the label, and OCR text is close to the printed text.
//!
//! By default every 4th document is OCRed (about a quarter of the wall time); set
//! `SWITCHBOARD_DOC_FULL_CORPUS=1` for all 80. Two workers run in parallel, as on a 2-core box.

#![expect(clippy::unwrap_used, reason = "tests")]

mod document_support;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use document_support::{
    Truth, config, corpus_dir, engine, patterns, received, tools_present, truth, word_accuracy,
};
use switchboard_channels::document::fax::{
    parse_file_name, parse_notification_body, parse_notification_subject,
};
use switchboard_channels::document::notification::parse_fax_notification;
use switchboard_channels::document::{DocumentIntake, normalise_number};
use switchboard_core::item::Channel;

const WORKERS: usize = 2;
/// Minimum accepted mean word accuracy and per-document minimum (measured minus a margin).
const MIN_MEAN_ACCURACY: f64 = 0.93;
const MIN_DOCUMENT_ACCURACY: f64 = 0.80;
/// Minimum share of labelled faxes whose number the pages' header line alone gives.
const MIN_HEADER_NUMBER_AGREEMENT: f64 = 0.9;

struct Outcome {
    id: String,
    channel: Channel,
    accuracy: f64,
    header_number_agrees: Option<bool>,
    confidence: f64,
}

fn selected(items: Vec<Truth>) -> Vec<Truth> {
    if std::env::var_os("SWITCHBOARD_DOC_FULL_CORPUS").is_some() {
        return items;
    }
    items
        .into_iter()
        .enumerate()
        .filter(|(index, _)| index % 4 == 0)
        .map(|(_, item)| item)
        .collect()
}

fn process(item: &Truth) -> Outcome {
    let engine = engine();
    let config = config();
    let patterns = patterns();
    let intake = DocumentIntake::new(&engine, &config, &patterns);
    let folder = if item.channel == "fax" {
        "fax"
    } else {
        "letter"
    };
    let file_name = format!("{}.pdf", item.id);
    let bytes = std::fs::read(corpus_dir().join(folder).join(&file_name)).unwrap();
    let result = if item.channel == "fax" {
        // The PDF alone: the number must come from the header line printed on the pages.
        intake.process_fax(&bytes, &file_name, None, received())
    } else {
        intake.process_letter(&bytes, &file_name, received())
    }
    .unwrap_or_else(|error| panic!("{}: {error}", item.id));
    assert_eq!(result.pages.len(), result.page_images.len());
    let expected = item
        .fax_csid_number
        .as_deref()
        .and_then(|number| normalise_number(number, "NL"));
    Outcome {
        id: item.id.clone(),
        channel: result.item.channel,
        accuracy: word_accuracy(&result.item.text, &item.reference_text),
        header_number_agrees: expected
            .map(|expected| result.item.sender.phone.as_deref() == Some(expected.as_str())),
        confidence: result.item.details["mean_confidence"].as_f64().unwrap(),
    }
}

#[test]
fn corpus_faxes_and_letters_become_items_with_accurate_text() {
    if !tools_present(&[]) {
        return;
    }
    let items = selected(truth());
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while let Some(item) = items.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = process(item);
                    outcomes.lock().unwrap().push(outcome);
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let mut outcomes = outcomes.into_inner().unwrap();
    outcomes.sort_by(|left, right| left.id.cmp(&right.id));
    assert_eq!(outcomes.len(), items.len(), "one result per document");
    for outcome in &outcomes {
        let expected_channel = if outcome.id.starts_with('f') {
            Channel::Fax
        } else {
            Channel::Letter
        };
        assert_eq!(outcome.channel, expected_channel);
        println!(
            "{} accuracy {:.3} confidence {:.1} header number {:?}",
            outcome.id, outcome.accuracy, outcome.confidence, outcome.header_number_agrees
        );
    }
    for channel in [Channel::Fax, Channel::Letter] {
        let accuracies: Vec<f64> = outcomes
            .iter()
            .filter(|outcome| outcome.channel == channel)
            .map(|outcome| outcome.accuracy)
            .collect();
        let mean = accuracies.iter().sum::<f64>() / accuracies.len().max(1) as f64;
        let min = accuracies.iter().copied().fold(1.0, f64::min);
        println!(
            "{channel}: {} documents, word accuracy mean {mean:.3} min {min:.3}",
            accuracies.len()
        );
        assert!(
            mean >= MIN_MEAN_ACCURACY,
            "{channel} mean word accuracy {mean:.3}"
        );
        assert!(
            min >= MIN_DOCUMENT_ACCURACY,
            "{channel} min word accuracy {min:.3}"
        );
    }
    let labelled: Vec<bool> = outcomes
        .iter()
        .filter_map(|outcome| outcome.header_number_agrees)
        .collect();
    let agreeing = labelled.iter().filter(|agrees| **agrees).count();
    println!(
        "fax number from header line: {agreeing}/{} agree",
        labelled.len()
    );
    assert!(agreeing as f64 >= MIN_HEADER_NUMBER_AGREEMENT * labelled.len() as f64);
    println!(
        "{} documents in {:.1} s with {WORKERS} workers",
        outcomes.len(),
        elapsed.as_secs_f64()
    );
}

/// The notification e-mails alone (no OCR) give the labelled number for every fax.
#[test]
fn notifications_give_the_labelled_fax_number() {
    let patterns = patterns();
    let mut labelled = 0;
    let mut agreeing = 0;
    for item in truth().iter().filter(|item| item.channel == "fax") {
        let raw = std::fs::read(corpus_dir().join("fax").join(format!("{}.eml", item.id))).unwrap();
        let fax = parse_fax_notification(&raw).unwrap();
        assert!(fax.document.starts_with(b"%PDF"), "{}", item.id);
        let notification = &fax.notification;
        let number = notification
            .subject
            .as_deref()
            .and_then(|subject| parse_notification_subject(subject, &patterns, "NL"))
            .and_then(|meta| meta.number)
            .or_else(|| {
                parse_notification_body(&notification.body, &patterns, "NL")
                    .and_then(|meta| meta.number)
            })
            .or_else(|| {
                let name = notification.attachment_name.as_deref()?;
                parse_file_name(name, &patterns, "NL")?.number
            });
        let expected = item
            .fax_csid_number
            .as_deref()
            .and_then(|number| normalise_number(number, "NL"));
        match expected {
            Some(expected) => {
                labelled += 1;
                agreeing += usize::from(number.as_deref() == Some(expected.as_str()));
            }
            None => assert_eq!(number, None, "{}: unlabelled fax got a number", item.id),
        }
    }
    println!("fax number from notification: {agreeing}/{labelled} agree");
    assert_eq!(agreeing, labelled);
}
