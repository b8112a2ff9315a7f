//! Faxes and letters end to end: notification mails and raw PDFs become fax items with the
//! sender's number, letters become letter items, OCR text is searchable and linked; without the
//! OCR engine documents wait (landed, never lost) and are processed once it is back.

use switchboard_core::inbound::InboundState;
use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::Channel;
use switchboard_server::pipeline::Pipeline;
use switchboard_store::BlobStore;
use switchboard_tests::{corpus_dir, corpus_files, corpus_pipeline, truth_rows, velora_config};

fn every_eighth(folder: &str, extension: &str) -> Vec<std::path::PathBuf> {
    corpus_files(&format!("dev/{folder}"))
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == extension))
        .step_by(8)
        .collect()
}

#[tokio::test]
async fn faxes_and_letters_become_items_with_sender_text_and_links() {
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    // Fax notification mails arrive on a mailbox; raw fax PDFs and letters from folders.
    let mut inputs: Vec<(Channel, std::path::PathBuf)> = Vec::new();
    inputs.extend(
        every_eighth("fax", "eml")
            .into_iter()
            .map(|path| (Channel::Email, path)),
    );
    inputs.extend(
        every_eighth("letter", "pdf")
            .into_iter()
            .map(|path| (Channel::Letter, path)),
    );
    for (channel, path) in &inputs {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = pipeline
            .ingest_raw(*channel, &name, std::fs::read(path).unwrap())
            .await
            .unwrap();
        assert!(
            matches!(outcome, IngestOutcome::Ingested { .. }),
            "{name}: {outcome:?}"
        );
    }
    let raw_fax = corpus_dir().join("dev/fax/f0002.pdf");
    let outcome = pipeline
        .ingest_raw(Channel::Fax, "f0002.pdf", std::fs::read(raw_fax).unwrap())
        .await
        .unwrap();
    assert!(
        matches!(outcome, IngestOutcome::Ingested { .. }),
        "{outcome:?}"
    );

    let faxes = truth_rows("fax");
    let letters = truth_rows("letter");
    let exported = store.export_items(None, 100, true).await.unwrap();
    assert_eq!(exported.len(), inputs.len() + 1);
    let (mut linked, mut expected) = (0, 0);
    for item in &exported {
        let stem = item
            .source
            .trim_end_matches(".eml")
            .trim_end_matches(".pdf");
        let row = faxes
            .get(&format!("{stem}.pdf"))
            .or_else(|| letters.get(&format!("{stem}.pdf")))
            .unwrap_or_else(|| panic!("no truth for {}", item.source));
        let text = item.text.as_deref().unwrap();
        assert!(
            text.split_whitespace().count() > 20,
            "{}: OCR text missing",
            item.source
        );
        if row["channel"] == "fax" {
            assert_eq!(item.channel, Channel::Fax, "{} is a fax item", item.source);
            if let Some(number) = row["fax_csid_number"].as_str() {
                let digits =
                    |raw: &str| raw.chars().filter(char::is_ascii_digit).collect::<String>();
                let sender = item.sender.as_deref().unwrap_or_default();
                assert!(
                    digits(sender).ends_with(
                        digits(number)
                            .trim_start_matches("00")
                            .trim_start_matches('0')
                    ),
                    "{}: sender {sender} vs truth {number}",
                    item.source
                );
            }
        } else {
            assert_eq!(item.channel, Channel::Letter);
        }
        let customer = item.customer_no.as_ref().map(|number| number.as_str());
        if let Some(truth_customer) = row["customer_number"].as_str() {
            expected += 1;
            linked += usize::from(customer == Some(truth_customer));
        }
        assert!(
            customer.is_none() || customer == row["customer_number"].as_str(),
            "{}: wrong customer {customer:?}",
            item.source
        );
    }
    println!(
        "documents: {} items, customer linked {linked}/{expected}",
        exported.len()
    );
    assert!(
        linked * 10 >= expected * 8,
        "customer links {linked}/{expected}"
    );
}

#[tokio::test]
async fn without_the_ocr_engine_documents_wait_and_are_processed_later() {
    let folder = tempfile::tempdir().unwrap();
    let config = velora_config(folder.path());
    let store = switchboard_store::open(&switchboard_store::testing::sqlite_url(folder.path()))
        .await
        .unwrap();
    let mut settings = config.pipeline_settings();
    settings.parsers.ocr.program = "/nonexistent/tesseract".into();
    let broken = Pipeline::new(store.clone(), BlobStore::new(config.blob_dir()), settings)
        .await
        .unwrap();
    let letter = std::fs::read(corpus_dir().join("dev/letter/l0001.pdf")).unwrap();
    let outcome = broken
        .ingest_raw(Channel::Letter, "l0001.pdf", letter.clone())
        .await
        .unwrap();
    assert!(
        matches!(outcome, IngestOutcome::Deferred { .. }),
        "{outcome:?}"
    );
    let waiting = store
        .inbound_in_state(InboundState::AwaitingOcr, None, 10)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1, "landed and kept");
    assert_eq!(store.count_items().await.unwrap(), 0);

    let working = Pipeline::new(
        store.clone(),
        BlobStore::new(config.blob_dir()),
        config.pipeline_settings(),
    )
    .await
    .unwrap();
    assert_eq!(working.recover().await.unwrap(), 1);
    assert_eq!(store.count_items().await.unwrap(), 1);
    let again = working
        .ingest_raw(Channel::Letter, "l0001.pdf", letter)
        .await
        .unwrap();
    assert!(
        matches!(again, IngestOutcome::Duplicate { .. }),
        "{again:?}"
    );
}
