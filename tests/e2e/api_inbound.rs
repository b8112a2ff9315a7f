//! HTTP intake of raw e-mail: 202 only after landing, duplicates recognised, limits enforced.

use std::sync::Arc;

use actix_web::test;
use switchboard_core::user::Role;
use switchboard_server::pipeline::Pipeline;
use switchboard_store::BlobStore;
use switchboard_tests::token;
use switchboard_web::{AppState, WebConfig, create_app};

const MESSAGE: &str = "From: Inkoop <inkoop@salon.example.nl>\r\nTo: orders@velora.example.nl\r\n\
    Subject: Bestelling 4500012345\r\nMessage-ID: <m1@salon.example.nl>\r\n\
    Date: Mon, 3 Mar 2025 09:00:00 +0100\r\n\r\nGraag 12 stuks leveren.\r\n";

#[actix_web::test]
async fn raw_email_is_landed_once_and_answered_202() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let agent = token(&store, Role::Agent).await;
    let config = switchboard_server::Config::default();
    let pipeline = Pipeline::new(
        store.clone(),
        BlobStore::new(folder.path().join("blobs")),
        config.pipeline_settings(),
    )
    .await
    .unwrap();
    let web_config = WebConfig {
        max_inbound_bytes: 4096,
        ..WebConfig::default()
    };
    let state = AppState::new(store.clone(), web_config).with_ingestor(Arc::new(pipeline));
    let app = test::init_service(create_app(state)).await;
    let post = |body: Vec<u8>, token: Option<&str>| {
        let mut request = test::TestRequest::post()
            .uri("/api/v1/inbound/email")
            .set_payload(body);
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        request.to_request()
    };

    let response = test::call_service(&app, post(MESSAGE.into(), Some(&agent))).await;
    assert_eq!(response.status(), 202);
    let first: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(first["outcome"], "ingested", "{first}");
    assert_eq!(first["ref"], "SB-000001");

    let again: serde_json::Value =
        test::call_and_read_body_json(&app, post(MESSAGE.into(), Some(&agent))).await;
    assert_eq!(again["outcome"], "duplicate");
    assert_eq!(again["item"], first["item"]);
    assert_eq!(store.count_items().await.unwrap(), 1);

    let anonymous = test::call_service(&app, post(MESSAGE.into(), None)).await;
    assert_eq!(anonymous.status(), 401);
    let empty = test::call_service(&app, post(Vec::new(), Some(&agent))).await;
    assert_eq!(empty.status(), 400);
    let oversize = test::call_service(&app, post(vec![b'a'; 5000], Some(&agent))).await;
    assert_eq!(oversize.status(), 400);
    assert_eq!(
        store.count_items().await.unwrap(),
        1,
        "refused inputs create nothing"
    );
}

#[actix_web::test]
async fn intake_is_unavailable_on_a_node_without_a_pipeline() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let agent = token(&store, Role::Agent).await;
    let app = test::init_service(create_app(AppState::new(store, WebConfig::default()))).await;
    let request = test::TestRequest::post()
        .uri("/api/v1/inbound/email")
        .insert_header(("Authorization", format!("Bearer {agent}")))
        .set_payload(MESSAGE)
        .to_request();
    assert_eq!(test::call_service(&app, request).await.status(), 503);
}
