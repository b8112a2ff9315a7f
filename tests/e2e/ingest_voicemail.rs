//! The voicemail channel end to end: PBX notification mails (also when they arrive on an e-mail
//! mailbox) and webhook payloads become voicemail items, linked to the caller's customer.

use switchboard_core::item::Channel;
use switchboard_server::pipeline::IngestOutcome;
use switchboard_tests::{corpus_files, corpus_pipeline, truth_rows};

#[tokio::test]
async fn corpus_voicemails_become_voicemail_items_linked_by_caller() {
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let files = corpus_files("dev/voicemail");
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        // Notification mails go through the e-mail channel, as they arrive on a mailbox.
        let channel = if name.ends_with(".eml") {
            Channel::Email
        } else {
            Channel::Voicemail
        };
        let outcome = pipeline
            .ingest_raw(channel, &name, std::fs::read(file).unwrap())
            .await
            .unwrap();
        assert!(
            matches!(outcome, IngestOutcome::Ingested { .. }),
            "{name}: {outcome:?}"
        );
    }
    let exported = store.export_items(None, 1_000, true).await.unwrap();
    assert_eq!(exported.len(), files.len());
    let truth = truth_rows("voicemail");
    let (mut callers, mut linked, mut expected_links, mut correct_links) = (0, 0, 0, 0);
    let (mut by_caller_id, mut by_caller_id_correct) = (0, 0);
    for item in &exported {
        let row = &truth[&item.source];
        assert_eq!(item.channel, Channel::Voicemail, "{}", item.source);
        let caller = row["caller"]
            .as_str()
            .filter(|caller| *caller != "anonymous");
        callers += usize::from(
            item.sender.as_deref() == caller || (caller.is_none() && item.sender.is_none()),
        );
        let expected = row["customer_number"].as_str();
        let actual = item.customer_no.as_ref().map(|number| number.as_str());
        // Without a transcription (no speech-to-text engine ships) and with a withheld number,
        // nothing in the item can identify the caller.
        let has_evidence = item.sender.is_some() || !item.text.as_deref().unwrap_or("").is_empty();
        expected_links += usize::from(expected.is_some() && has_evidence);
        linked += usize::from(actual.is_some());
        correct_links += usize::from(actual.is_some() && actual == expected);
        if row["identified_by"] == "caller_id" {
            by_caller_id += 1;
            by_caller_id_correct += usize::from(actual.is_some() && actual == expected);
        }
        if actual != expected {
            eprintln!("{}: customer {actual:?} vs truth {expected:?}", item.source);
        }
    }
    let precision = correct_links as f64 / linked.max(1) as f64;
    let recall = correct_links as f64 / expected_links.max(1) as f64;
    println!(
        "voicemail ingest vs truth: caller {callers}/{}, linked by caller id {by_caller_id_correct}/{by_caller_id}, \
         customer links P {precision:.3} R {recall:.3} (recall over items with a caller number or a transcription)",
        exported.len()
    );
    assert!(by_caller_id > 0);
    assert_eq!(
        by_caller_id_correct, by_caller_id,
        "every caller-id item links its customer"
    );
    assert_eq!(
        callers,
        exported.len(),
        "every caller number as the truth says"
    );
    assert!(
        precision >= 0.98 && recall >= 0.9,
        "customer links P {precision:.3} R {recall:.3}"
    );
}
