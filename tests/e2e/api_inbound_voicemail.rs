//! Signed voicemail webhook: 202 and one item for a good request, authenticated by its signature
//! alone (no bearer token); bad or stale signatures, replays, oversize bodies and disallowed
//! recording hosts are refused and create nothing; without a secret the route does not exist.

use std::sync::Arc;

use actix_web::test;
use chrono::{TimeDelta, Utc};
use switchboard_channels::voicemail::sign;
use switchboard_core::item::Channel;
use switchboard_core::user::Role;
use switchboard_server::pipeline::Pipeline;
use switchboard_store::BlobStore;
use switchboard_tests::token;
use switchboard_web::api::VoicemailWebhook;
use switchboard_web::{AppState, WebConfig, create_app};

const SECRET: &[u8] = b"webhook-secret";

fn payload(call_id: &str, recording_url: &str) -> Vec<u8> {
    serde_json::json!({
        "event": "recording.completed",
        "call_id": call_id,
        "direction": "inbound",
        "from": "+31201234567",
        "to": "+31207654321",
        "started_at": "2025-03-03T09:00:00Z",
        "duration_seconds": 21.5,
        "recording_id": format!("rec-{call_id}"),
        "recording_url": recording_url,
        "transcription": {
            "status": "completed",
            "language": "nl-NL",
            "confidence": 0.93,
            "text": "Goedemiddag, met de salon. Waar blijft bestelling 4500012345?"
        }
    })
    .to_string()
    .into_bytes()
}

#[actix_web::test]
async fn signed_callbacks_are_ingested_and_forgeries_refused() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let config = switchboard_server::Config::default();
    let pipeline = Pipeline::new(
        store.clone(),
        BlobStore::new(folder.path().join("blobs")),
        config.pipeline_settings(),
    )
    .await
    .unwrap();
    let mut webhook = VoicemailWebhook::new(
        SECRET,
        TimeDelta::minutes(5),
        vec!["*.recordings.example.com".into()],
    );
    webhook.max_body_bytes = 4096;
    let state = AppState::new(store.clone(), WebConfig::default())
        .with_ingestor(Arc::new(pipeline))
        .with_voicemail_webhook(webhook);
    let app = test::init_service(create_app(state)).await;
    let post = |body: &[u8], timestamp: i64, signature: &str| {
        test::TestRequest::post()
            .uri("/api/v1/inbound/voicemail")
            .insert_header(("Content-Type", "application/json"))
            .insert_header(("X-Switchboard-Timestamp", timestamp.to_string()))
            .insert_header(("X-Switchboard-Signature", signature.to_owned()))
            .set_payload(body.to_vec())
            .to_request()
    };
    let now = Utc::now().timestamp();
    let good_url = "https://eu.recordings.example.com/r/1.wav";

    // Bad signature: 401, nothing created.
    let body = payload("call-1", good_url);
    let wrong = sign(b"another-secret", now, &body);
    let response = test::call_service(&app, post(&body, now, &wrong)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(store.count_items().await.unwrap(), 0);

    // Stale timestamp, correctly signed: 401.
    let stale = now - 3600;
    let response = test::call_service(&app, post(&body, stale, &sign(SECRET, stale, &body))).await;
    assert_eq!(response.status(), 401);
    assert_eq!(store.count_items().await.unwrap(), 0);

    // Oversize body: refused with 400 before the signature is looked at.
    let mut big = payload("call-big", good_url);
    big.splice(
        1..1,
        format!("\"pad\":\"{}\",", "x".repeat(5000)).into_bytes(),
    );
    let response = test::call_service(&app, post(&big, now, &sign(SECRET, now, &big))).await;
    assert_eq!(response.status(), 400);
    assert_eq!(store.count_items().await.unwrap(), 0);

    // Disallowed recording hosts: 400 naming the field.
    for (call, url) in [
        ("call-2", "https://evil.example.net/r/1.wav"),
        ("call-3", "https://127.0.0.1/r/1.wav"),
        ("call-4", "https://169.254.169.254/latest/meta-data"),
    ] {
        let body = payload(call, url);
        let response = test::call_service(&app, post(&body, now, &sign(SECRET, now, &body))).await;
        assert_eq!(response.status(), 400, "{url}");
        let problem: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(problem["errors"][0]["field"], "recording_url", "{problem}");
    }
    assert_eq!(store.count_items().await.unwrap(), 0);

    // Good signature: 202 and one voicemail item.
    let signature = sign(SECRET, now, &body);
    let before = Utc::now();
    let response = test::call_service(&app, post(&body, now, &signature)).await;
    let after = Utc::now();
    assert_eq!(response.status(), 202);
    let accepted: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(accepted["outcome"], "ingested", "{accepted}");
    assert_eq!(store.count_items().await.unwrap(), 1);
    let id = serde_json::from_value(accepted["item"].clone()).unwrap();
    let item = store.item(id).await.unwrap().unwrap();
    assert_eq!(item.channel, Channel::Voicemail);
    // A voicemail is due for a call-back two business hours after it landed (default SLA).
    let policy = switchboard_router::sla::SlaPolicy::default();
    let due = |landed| {
        policy
            .clock(None, Channel::Voicemail, landed)
            .unwrap()
            .due_at
    };
    let due_at = item.sla_due_at.unwrap();
    assert!(
        due(before) <= due_at && due_at <= due(after),
        "due {due_at}, expected within {}..{}",
        due(before),
        due(after)
    );
    let exported = store.export_items(None, 1, false).await.unwrap();
    assert!(exported[0].sla_due_at.is_some());

    // The very same request again is a replay: 409, nothing new.
    let response = test::call_service(&app, post(&body, now, &signature)).await;
    assert_eq!(response.status(), 409);
    assert_eq!(store.count_items().await.unwrap(), 1);
}

#[actix_web::test]
async fn without_a_secret_the_webhook_does_not_exist() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let agent = token(&store, Role::Agent).await;
    let pipeline = Pipeline::new(
        store.clone(),
        BlobStore::new(folder.path().join("blobs")),
        switchboard_server::Config::default().pipeline_settings(),
    )
    .await
    .unwrap();
    let state =
        AppState::new(store.clone(), WebConfig::default()).with_ingestor(Arc::new(pipeline));
    let app = test::init_service(create_app(state)).await;
    let now = Utc::now().timestamp();
    let body = payload("call-9", "https://eu.recordings.example.com/r/9.wav");
    // Not even a valid bearer token opens it: the route is not there.
    let request = test::TestRequest::post()
        .uri("/api/v1/inbound/voicemail")
        .insert_header(("Authorization", format!("Bearer {agent}")))
        .insert_header(("X-Switchboard-Timestamp", now.to_string()))
        .insert_header(("X-Switchboard-Signature", sign(SECRET, now, &body)))
        .set_payload(body)
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 404);
    assert_eq!(store.count_items().await.unwrap(), 0);
}
