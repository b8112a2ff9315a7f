//! Raw inputs and attachments up to 256 KiB are kept in their rows, larger ones as blob files:
//! both come back byte for byte, and inputs left landed by a crash are processed from either
//! place, on every configured database.

use std::sync::Arc;

use switchboard_core::inbound::{INLINE_RAW_MAX, InboundState, NewInbound};
use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::Channel;
use switchboard_core::store::Store;
use switchboard_server::pipeline::{Pipeline, RawInput, landing};
use switchboard_store::BlobStore;
use switchboard_tests::{import_master, stores, velora_config};

/// An e-mail whose body is `body_bytes` long.
fn message(name: &str, body_bytes: usize) -> Vec<u8> {
    let line = "Graag een retourlabel voor order 4500123 alstublieft.\r\n";
    let body = line.repeat(body_bytes / line.len() + 1);
    format!(
        "From: Klant <klant@example.com>\r\nTo: klantenservice@velora.example.nl\r\n\
         Subject: {name}\r\nMessage-ID: <{name}@example.com>\r\n\
         Date: Fri, 04 Dec 2026 10:00:00 +0100\r\n\r\n{body}"
    )
    .into_bytes()
}

async fn pipeline(store: &Arc<dyn Store>, folder: &std::path::Path) -> (Pipeline, BlobStore) {
    import_master(store).await;
    let config = velora_config(folder);
    let blobs = BlobStore::new(config.blob_dir());
    let pipeline = Pipeline::new(store.clone(), blobs.clone(), config.pipeline_settings())
        .await
        .unwrap();
    (pipeline, blobs)
}

/// The landing row of an e-mail as the pipeline writes it, its bytes in the row when `inline`.
fn landed(
    source: &str,
    raw: &[u8],
    inline: bool,
    received_at: chrono::DateTime<chrono::Utc>,
) -> NewInbound {
    let keys = landing::keys(Channel::Email, raw);
    NewInbound {
        channel: Channel::Email,
        source: source.into(),
        idem_key: keys.idem_key,
        fingerprint: keys.fingerprint,
        blob: BlobStore::address_of(raw),
        raw: inline.then(|| raw.to_vec()),
        size: i64::try_from(raw.len()).unwrap(),
        received_at,
    }
}

async fn subject_of(store: &Arc<dyn Store>, outcome: &IngestOutcome) -> Option<String> {
    let item = outcome.item().unwrap();
    store.item(item).await.unwrap().unwrap().subject
}

#[tokio::test]
async fn small_inputs_land_in_their_row_and_large_ones_as_blob_files() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let data = folder.path().join(&label);
        let (pipeline, blobs) = pipeline(&store, &data).await;
        let small = message("small", 4_000);
        let large = message("large", INLINE_RAW_MAX + 1);
        assert!(small.len() <= INLINE_RAW_MAX && large.len() > INLINE_RAW_MAX);
        let inputs = [("small.eml", &small), ("large.eml", &large)]
            .into_iter()
            .map(|(source, raw)| RawInput {
                source: source.into(),
                raw: raw.clone(),
            })
            .collect();
        let outcomes = pipeline.ingest_batch(Channel::Email, inputs).await;
        for (outcome, subject) in outcomes.iter().zip(["small", "large"]) {
            let outcome = outcome.as_ref().unwrap();
            assert!(matches!(outcome, IngestOutcome::Ingested { .. }), "{label}");
            assert_eq!(
                subject_of(&store, outcome).await.as_deref(),
                Some(subject),
                "{label}"
            );
        }

        let landed = store
            .inbound_in_state(InboundState::Processed, None, 10)
            .await
            .unwrap();
        assert_eq!(landed.len(), 2, "{label}");
        for inbound in &landed {
            let kept = store.inbound_raw(inbound.id).await.unwrap();
            match inbound.source.as_str() {
                "small.eml" => {
                    assert_eq!(kept.as_deref(), Some(small.as_slice()), "{label}");
                    assert_eq!(inbound.blob, BlobStore::address_of(&small), "{label}");
                    assert!(blobs.get(&inbound.blob).is_err(), "{label}: no file");
                }
                _ => {
                    assert_eq!(kept, None, "{label}");
                    assert_eq!(blobs.get(&inbound.blob).unwrap(), large, "{label}");
                }
            }
        }

        // Delivered again: found by its landing, wherever its bytes are.
        let again = pipeline
            .ingest_raw(Channel::Email, "small.eml", small.clone())
            .await
            .unwrap();
        assert!(matches!(again, IngestOutcome::Duplicate { .. }), "{label}");
    }
}

#[tokio::test]
async fn inputs_landed_before_a_crash_are_processed_from_their_row_or_blob_file() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let data = folder.path().join(&label);
        let (pipeline, blobs) = pipeline(&store, &data).await;
        let small = message("crash-small", 2_000);
        let large = message("crash-large", INLINE_RAW_MAX + 10);
        // Landed the way the pipeline lands them, then the process died before parsing.
        let now = chrono::Utc::now();
        blobs.put(&large).unwrap();
        store
            .land_batch(&[
                landed("crash-small.eml", &small, true, now),
                landed("crash-large.eml", &large, false, now),
            ])
            .await
            .unwrap();
        assert_eq!(store.count_items().await.unwrap(), 0, "{label}");

        assert_eq!(pipeline.recover().await.unwrap(), 2, "{label}");
        assert_eq!(store.count_items().await.unwrap(), 2, "{label}");
        // Recovered once: a second start finds nothing left, a re-delivery makes nothing new.
        assert_eq!(pipeline.recover().await.unwrap(), 0, "{label}");
        for (source, raw, subject) in [
            ("crash-small.eml", &small, "crash-small"),
            ("crash-large.eml", &large, "crash-large"),
        ] {
            let again = pipeline
                .ingest_raw(Channel::Email, source, raw.clone())
                .await
                .unwrap();
            assert!(matches!(again, IngestOutcome::Duplicate { .. }), "{label}");
            assert_eq!(
                subject_of(&store, &again).await.as_deref(),
                Some(subject),
                "{label}"
            );
        }
        assert_eq!(store.count_items().await.unwrap(), 2, "{label}");
    }
}

/// An e-mail landed before a crash and handed over again in a batch (before the restart's
/// recovery) becomes its item with the first landing's arrival time and source, although the
/// batch parses its e-mails before they land.
#[tokio::test]
async fn an_input_landed_before_is_processed_with_its_first_arrival_when_batched_again() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let data = folder.path().join(&label);
        let (pipeline, _) = pipeline(&store, &data).await;
        // Without a Date header, an e-mail's item is dated by its arrival.
        let undated = |name: &str| {
            String::from_utf8(message(name, 1_000))
                .unwrap()
                .replace("Date: Fri, 04 Dec 2026 10:00:00 +0100\r\n", "")
                .into_bytes()
        };
        let earlier = undated("landed-earlier");
        let first_arrival = chrono::Utc::now() - chrono::Duration::hours(3);
        store
            .land_batch(&[landed("first-delivery.eml", &earlier, true, first_arrival)])
            .await
            .unwrap();

        let inputs = vec![
            RawInput {
                source: "second-delivery.eml".into(),
                raw: earlier,
            },
            RawInput {
                source: "new.eml".into(),
                raw: undated("arrives-now"),
            },
        ];
        let outcomes = pipeline.ingest_batch(Channel::Email, inputs).await;
        let items: Vec<_> = outcomes
            .iter()
            .map(|outcome| outcome.as_ref().unwrap().item().unwrap())
            .collect();
        assert_eq!(store.count_items().await.unwrap(), 2, "{label}");
        let again = store.item(items[0]).await.unwrap().unwrap();
        assert_eq!(again.source, "first-delivery.eml", "{label}");
        assert!(
            (again.received_at - first_arrival).num_seconds().abs() <= 1,
            "{label}: {} against {first_arrival}",
            again.received_at
        );
        let new = store.item(items[1]).await.unwrap().unwrap();
        assert_eq!(new.source, "new.eml", "{label}");
        assert!(
            new.received_at > first_arrival + chrono::Duration::hours(2),
            "{label}"
        );
        // Nothing is left for the restart's recovery.
        assert_eq!(pipeline.recover().await.unwrap(), 0, "{label}");
    }
}

/// An e-mail with a text attachment of `attachment_bytes` (7bit, so its bytes are as written).
fn with_attachment(name: &str, attachment_bytes: usize) -> (Vec<u8>, Vec<u8>) {
    let line = "artikel 100234 aantal 12 prijs 4,50\r\n";
    let attachment = line.repeat(attachment_bytes / line.len() + 1);
    let raw = format!(
        "From: Klant <klant@example.com>\r\nTo: klantenservice@velora.example.nl\r\n\
         Subject: {name}\r\nMessage-ID: <{name}@example.com>\r\n\
         Date: Fri, 04 Dec 2026 10:00:00 +0100\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"part\"\r\n\r\n\
         --part\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZie de bijlage.\r\n\
         --part\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Disposition: attachment; filename=\"{name}.txt\"\r\n\
         Content-Transfer-Encoding: 7bit\r\n\r\n{attachment}\r\n--part--\r\n"
    );
    (raw.into_bytes(), attachment.into_bytes())
}

/// Attachments up to 256 KiB are kept in their row, larger ones as blob files, whether the
/// e-mail came in a batch or alone: both download byte for byte.
#[tokio::test]
async fn small_attachments_are_kept_in_their_row_and_large_ones_as_blob_files() {
    use switchboard_core::item::INLINE_ATTACHMENT_MAX;

    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let data = folder.path().join(&label);
        let (pipeline, blobs) = pipeline(&store, &data).await;
        let (batched, batched_small) = with_attachment("batched", 20_000);
        let (alone, alone_large) = with_attachment("alone", INLINE_ATTACHMENT_MAX + 1);
        let batch = vec![RawInput {
            source: "batched.eml".into(),
            raw: batched,
        }];
        let outcome = pipeline.ingest_batch(Channel::Email, batch).await;
        let batched_item = outcome[0].as_ref().unwrap().item().unwrap();
        let alone_item = pipeline
            .ingest_raw(Channel::Email, "alone.eml", alone)
            .await
            .unwrap()
            .item()
            .unwrap();
        for (item, bytes, inline) in [
            (batched_item, &batched_small, true),
            (alone_item, &alone_large, false),
        ] {
            let listed = store.attachments_of(item).await.unwrap();
            assert_eq!(listed.len(), 1, "{label}");
            let stored = store
                .attachment_of(item, listed[0].id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                stored.attachment.blob,
                BlobStore::address_of(bytes),
                "{label}"
            );
            assert_eq!(stored.attachment.size as usize, bytes.len(), "{label}");
            if inline {
                assert_eq!(stored.inline.as_ref(), Some(bytes), "{label}");
                assert!(
                    blobs.get(&stored.attachment.blob).is_err(),
                    "{label}: no file"
                );
            } else {
                assert_eq!(stored.inline, None, "{label}");
                assert_eq!(
                    &blobs.get(&stored.attachment.blob).unwrap(),
                    bytes,
                    "{label}"
                );
            }
        }
    }
}
