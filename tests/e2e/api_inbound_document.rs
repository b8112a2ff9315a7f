//! Document intake over HTTP: 202 once landed with OCR left to the background, the same
//! document again recognised as a duplicate, and bad channels, types, sizes and callers refused
//! with a problem naming what is wrong, landing nothing.

use std::sync::Arc;
use std::time::Duration;

use actix_web::test;
use switchboard_core::inbound::InboundState;
use switchboard_core::item::Channel;
use switchboard_core::store::Store;
use switchboard_core::user::Role;
use switchboard_tests::{corpus_dir, corpus_pipeline, token, truth_rows};
use switchboard_web::{AppState, WebConfig, create_app};

/// Waits until the store holds `count` items with every page read (OCR runs in the
/// background; an item appears before its pages are read).
async fn wait_for_items(store: &Arc<dyn Store>, count: i64) {
    for _ in 0..1200 {
        if store.count_items().await.unwrap() >= count
            && store.unfinished_documents().await.unwrap().is_empty()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no item after two minutes");
}

#[actix_web::test]
async fn documents_are_accepted_once_landed_and_bad_uploads_refused() {
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let agent = token(&store, Role::Agent).await;
    let config = WebConfig {
        max_inbound_bytes: 2 * 1024 * 1024,
        ..WebConfig::default()
    };
    let state = AppState::new(store.clone(), config).with_ingestor(Arc::new(pipeline));
    let app = test::init_service(create_app(state)).await;
    let fax = std::fs::read(corpus_dir().join("dev/fax/f0001.pdf")).unwrap();
    let post = |uri: &str, content_type: &str, body: Vec<u8>| {
        test::TestRequest::post()
            .uri(uri)
            .insert_header(("Authorization", format!("Bearer {agent}")))
            .insert_header(("Content-Type", content_type.to_owned()))
            .insert_header(("X-File-Name", "C:\\scans\\fax-0001.pdf"))
            .set_payload(body)
            .to_request()
    };

    let response = test::call_service(
        &app,
        post(
            "/api/v1/inbound/document?channel=fax",
            "application/pdf",
            fax.clone(),
        ),
    )
    .await;
    assert_eq!(response.status(), 202);
    let accepted: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(accepted["outcome"], "accepted", "{accepted}");
    assert_eq!(accepted["source"], "fax-0001.pdf", "folders are cut off");
    wait_for_items(&store, 1).await;
    let exported = store.export_items(None, 10, true).await.unwrap();
    assert_eq!(exported.len(), 1);
    assert_eq!(exported[0].channel, Channel::Fax);
    assert_eq!(exported[0].source, "fax-0001.pdf");
    assert!(
        exported[0]
            .text
            .as_deref()
            .is_some_and(|text| !text.trim().is_empty()),
        "OCR text arrived"
    );

    let response = test::call_service(
        &app,
        post(
            "/api/v1/inbound/document?channel=fax",
            "application/pdf",
            fax.clone(),
        ),
    )
    .await;
    assert_eq!(response.status(), 202);
    let again: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(again["outcome"], "duplicate", "{again}");
    assert_eq!(again["ref"], exported[0].reference);

    let jpeg = [
        0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1, 1, 0,
    ];
    let refusals: Vec<(&str, &str, Vec<u8>, &str)> = vec![
        (
            "/api/v1/inbound/document",
            "application/pdf",
            fax.clone(),
            "channel",
        ),
        (
            "/api/v1/inbound/document?channel=email",
            "application/pdf",
            fax.clone(),
            "channel",
        ),
        (
            "/api/v1/inbound/document?channel=letter",
            "text/plain",
            fax.clone(),
            "Content-Type",
        ),
        (
            "/api/v1/inbound/document?channel=letter",
            "application/pdf",
            jpeg.to_vec(),
            "Content-Type",
        ),
    ];
    for (uri, content_type, body, field) in refusals {
        let response = test::call_service(&app, post(uri, content_type, body)).await;
        assert_eq!(response.status(), 400, "{uri} {content_type}");
        let problem: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    let oversize = vec![b'%'; 3 * 1024 * 1024];
    let response = test::call_service(
        &app,
        post(
            "/api/v1/inbound/document?channel=letter",
            "application/pdf",
            oversize,
        ),
    )
    .await;
    assert_eq!(response.status(), 400);

    let anonymous = test::TestRequest::post()
        .uri("/api/v1/inbound/document?channel=fax")
        .insert_header(("Content-Type", "application/pdf"))
        .set_payload(fax)
        .to_request();
    assert_eq!(test::call_service(&app, anonymous).await.status(), 401);

    assert_eq!(
        store.count_items().await.unwrap(),
        1,
        "refusals land nothing"
    );
    for state in [InboundState::Landed, InboundState::AwaitingOcr] {
        assert!(
            store
                .inbound_in_state(state, None, 10)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

/// Renders the first page of a corpus letter as a scanner would save it (`png` or `jpeg`).
fn scanned_page(format: &str, folder: &std::path::Path) -> Vec<u8> {
    let letter = corpus_dir().join("dev/letter/l0001.pdf");
    let output = folder.join(format!("scan-{format}"));
    let status = std::process::Command::new("pdftoppm")
        .args([&format!("-{format}"), "-r", "200", "-gray", "-singlefile"])
        .arg(&letter)
        .arg(&output)
        .status()
        .unwrap();
    assert!(status.success());
    let extension = if format == "png" { "png" } else { "jpg" };
    std::fs::read(output.with_extension(extension)).unwrap()
}

#[actix_web::test]
async fn scanned_png_and_jpeg_pages_are_read_like_pdf_scans() {
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let agent = token(&store, Role::Agent).await;
    let state =
        AppState::new(store.clone(), WebConfig::default()).with_ingestor(Arc::new(pipeline));
    let app = test::init_service(create_app(state)).await;
    let uploads = [
        ("image/png", scanned_page("png", folder.path())),
        ("image/jpeg", scanned_page("jpeg", folder.path())),
    ];
    for (content_type, body) in uploads {
        let request = test::TestRequest::post()
            .uri("/api/v1/inbound/document?channel=letter")
            .insert_header(("Authorization", format!("Bearer {agent}")))
            .insert_header(("Content-Type", content_type))
            .set_payload(body)
            .to_request();
        let response = test::call_service(&app, request).await;
        assert_eq!(response.status(), 202, "{content_type}");
    }
    wait_for_items(&store, 2).await;
    let truth = &truth_rows("letter")["l0001.pdf"];
    let reference = truth["reference_text"].as_str().unwrap();
    let reference_words: Vec<&str> = reference.split_whitespace().collect();
    for item in store.export_items(None, 10, true).await.unwrap() {
        assert_eq!(item.channel, Channel::Letter);
        let text = item.text.unwrap_or_default();
        let read: std::collections::HashSet<&str> = text.split_whitespace().collect();
        let found = reference_words
            .iter()
            .filter(|word| read.contains(**word))
            .count();
        eprintln!(
            "{}: {found}/{} reference words read",
            item.source,
            reference_words.len()
        );
        assert!(
            found * 10 >= reference_words.len() * 7,
            "{}: only {found}/{} words of the letter read: {text:?}",
            item.source,
            reference_words.len()
        );
        assert!(text.contains("4500020824"), "the order number is read");
    }
}
