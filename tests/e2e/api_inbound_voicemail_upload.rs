//! Signed voicemail webhook with the recording uploaded (`multipart/form-data`): a good request
//! becomes one voicemail whose attachment is the uploaded audio, served playable; the signature
//! covers the whole multipart body; bad or stale signatures, replays, oversize bodies and bad
//! parts are refused and create nothing.

use std::sync::Arc;

use actix_web::test;
use chrono::{TimeDelta, Utc};
use switchboard_channels::voicemail::sign;
use switchboard_core::item::Channel;
use switchboard_core::user::Role;
use switchboard_server::pipeline::Pipeline;
use switchboard_store::BlobStore;
use switchboard_tests::{attachment_bytes, bearer, token};
use switchboard_web::api::VoicemailWebhook;
use switchboard_web::{AppState, WebConfig, create_app};

const SECRET: &[u8] = b"upload-secret";
const BOUNDARY: &str = "sb-upload-7f3a";
const TRANSCRIPTION: &str = "Goedemiddag, met de salon. Waar blijft bestelling 4500012345?";

/// Two seconds of an 8 kHz square-wave tone as a WAV file.
fn wav() -> Vec<u8> {
    switchboard_tests::pcm_wav(16_000, |sample| {
        if (sample / 10) % 2 == 0 {
            6_000
        } else {
            -6_000
        }
    })
}

/// An MP3 file as far as its bytes go: an ID3 tag, then frame bytes.
fn mp3() -> Vec<u8> {
    let mut mp3 = b"ID3\x03\x00\x00\x00\x00\x00\x00".to_vec();
    mp3.extend((0..2_000_u32).map(|byte| (byte % 251) as u8));
    mp3
}

fn payload(call_id: &str, recording_url: Option<&str>) -> Vec<u8> {
    let mut payload = serde_json::json!({
        "event": "recording.completed",
        "call_id": call_id,
        "from": "020 123 4567",
        "to": "+31207654321",
        "caller_name": "Salon Lotte",
        "started_at": "2025-03-03T09:00:00Z",
        "duration_seconds": 2.0,
        "recording_id": format!("rec-{call_id}"),
        "transcription": {"status": "completed", "language": "nl-NL", "text": TRANSCRIPTION}
    });
    if let Some(url) = recording_url {
        payload["recording_url"] = url.into();
    }
    payload.to_string().into_bytes()
}

/// A `multipart/form-data` body of `(name, file name, content)` parts.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let (file, content_type) = match file_name {
            Some(file) => (format!("; filename=\"{file}\""), "application/octet-stream"),
            None => (String::new(), "application/json"),
        };
        body.extend_from_slice(
            format!(
                "Content-Disposition: form-data; name=\"{name}\"{file}\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post(body: &[u8], timestamp: i64, signature: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/api/v1/inbound/voicemail")
        .insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        ))
        .insert_header(("X-Switchboard-Timestamp", timestamp.to_string()))
        .insert_header(("X-Switchboard-Signature", signature.to_owned()))
        .set_payload(body.to_vec())
}

#[actix_web::test]
async fn an_uploaded_recording_becomes_the_voicemails_attachment_and_bad_uploads_create_nothing() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let agent = token(&store, Role::Agent).await;
    let blobs = BlobStore::new(folder.path().join("blobs"));
    let pipeline = Pipeline::new(
        store.clone(),
        blobs.clone(),
        switchboard_server::Config::default().pipeline_settings(),
    )
    .await
    .unwrap();
    let mut webhook = VoicemailWebhook::new(
        SECRET,
        TimeDelta::minutes(5),
        vec!["*.recordings.example.com".into()],
    );
    webhook.max_body_bytes = 4096;
    webhook.max_upload_bytes = 64 * 1024;
    let state = AppState::new(store.clone(), WebConfig::default())
        .with_ingestor(Arc::new(pipeline))
        .with_attachment_bytes(Arc::new(blobs.clone()))
        .with_voicemail_webhook(webhook);
    let app = test::init_service(create_app(state)).await;
    let now = Utc::now().timestamp();
    let recording = wav();
    let body = multipart(&[
        ("payload", None, &payload("call-1", None)),
        ("recording", Some("../../voicemail 1.wav"), &recording),
    ]);
    assert!(body.len() > 4096, "an upload may exceed the JSON limit");

    // Signed with another secret: 401. A stale timestamp: 401. Nothing created.
    let wrong = sign(b"another-secret", now, &body);
    let response = test::call_service(&app, post(&body, now, &wrong).to_request()).await;
    assert_eq!(response.status(), 401);
    let stale = now - 3600;
    let response = test::call_service(
        &app,
        post(&body, stale, &sign(SECRET, stale, &body)).to_request(),
    )
    .await;
    assert_eq!(response.status(), 401);
    // The signature covers every byte of the body: one byte of the recording changed is 401.
    let mut tampered = body.clone();
    let last_sample = tampered.len() - format!("\r\n--{BOUNDARY}--\r\n").len() - 1;
    tampered[last_sample] ^= 0x01;
    let response = test::call_service(
        &app,
        post(&tampered, now, &sign(SECRET, now, &body)).to_request(),
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(store.count_items().await.unwrap(), 0);

    // Over the upload limit: 400 before the signature is looked at.
    let big_recording = [recording.as_slice(), &vec![0_u8; 64 * 1024]].concat();
    let big = multipart(&[
        ("payload", None, &payload("call-big", None)),
        ("recording", Some("big.wav"), &big_recording),
    ]);
    let response =
        test::call_service(&app, post(&big, now, &sign(SECRET, now, &big)).to_request()).await;
    assert_eq!(response.status(), 400);
    assert_eq!(store.count_items().await.unwrap(), 0);

    // Bad parts, correctly signed: 400 naming the part.
    let pdf: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
    let with_url = payload(
        "call-url",
        Some("https://eu.recordings.example.com/r/1.wav"),
    );
    let bad_parts: [(Vec<u8>, &str); 5] = [
        (
            multipart(&[("recording", Some("a.wav"), &recording)]),
            "payload",
        ),
        (
            multipart(&[
                ("payload", None, &payload("call-pdf", None)),
                ("recording", Some("a.wav"), pdf),
            ]),
            "recording",
        ),
        (
            multipart(&[
                ("payload", None, &payload("call-two", None)),
                ("recording", Some("a.wav"), &recording),
                ("recording", Some("b.mp3"), &mp3()),
            ]),
            "recording",
        ),
        (
            multipart(&[
                ("payload", None, &with_url),
                ("recording", Some("a.wav"), &recording),
            ]),
            "recording_url",
        ),
        (multipart(&[("payload", None, b"{\"from\": ")]), "payload"),
    ];
    for (bad, part) in bad_parts {
        let response =
            test::call_service(&app, post(&bad, now, &sign(SECRET, now, &bad)).to_request()).await;
        assert_eq!(response.status(), 400, "{part}");
        let problem: serde_json::Value = test::read_body_json(response).await;
        assert_eq!(problem["errors"][0]["field"], part, "{problem}");
    }
    assert_eq!(store.count_items().await.unwrap(), 0);

    // Good signature: 202 and one voicemail with the uploaded recording.
    let signature = sign(SECRET, now, &body);
    let response = test::call_service(&app, post(&body, now, &signature).to_request()).await;
    assert_eq!(response.status(), 202);
    let accepted: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(accepted["outcome"], "ingested", "{accepted}");
    assert_eq!(store.count_items().await.unwrap(), 1);
    let id = serde_json::from_value(accepted["item"].clone()).unwrap();
    let item = store.item(id).await.unwrap().unwrap();
    assert_eq!(item.channel, Channel::Voicemail);
    assert_eq!(item.text, TRANSCRIPTION);
    assert_eq!(item.details["caller"]["number"], "+31201234567");
    assert_eq!(item.details["caller_name"], "Salon Lotte");
    assert_eq!(item.details["duration_seconds"], 2.0);
    assert_eq!(item.details["has_recording"], true);
    assert!(item.warnings.is_empty(), "{:?}", item.warnings);
    let attachments = store.attachments_of(id).await.unwrap();
    assert_eq!(attachments.len(), 1, "{attachments:?}");
    assert_eq!(attachments[0].sniffed_type.as_deref(), Some("audio/wav"));
    assert_eq!(attachments[0].file_name, "voicemail 1.wav");
    assert_eq!(
        attachment_bytes(&store, &blobs, id, &attachments[0]).await,
        recording
    );
    // Served to the browser as audio it plays, byte for byte.
    let download = test::TestRequest::get()
        .uri(&format!(
            "/api/v1/items/{}/attachments/{}",
            id.get(),
            attachments[0].id.get()
        ))
        .insert_header(bearer(&agent))
        .to_request();
    let response = test::call_service(&app, download).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("content-type").unwrap(), "audio/wav");
    assert_eq!(test::read_body(response).await.to_vec(), recording);

    // The very same request again is a replay: 409, nothing new.
    let response = test::call_service(&app, post(&body, now, &signature).to_request()).await;
    assert_eq!(response.status(), 409);
    assert_eq!(store.count_items().await.unwrap(), 1);

    // Another format: an MP3 keeps its type, and a nameless upload gets a safe name.
    let body = multipart(&[
        ("payload", None, &payload("call-mp3", None)),
        ("recording", Some(""), &mp3()),
    ]);
    let response = test::call_service(
        &app,
        post(&body, now, &sign(SECRET, now, &body)).to_request(),
    )
    .await;
    assert_eq!(response.status(), 202);
    let accepted: serde_json::Value = test::read_body_json(response).await;
    let id = serde_json::from_value(accepted["item"].clone()).unwrap();
    let attachments = store.attachments_of(id).await.unwrap();
    assert_eq!(attachments[0].sniffed_type.as_deref(), Some("audio/mpeg"));
    assert_eq!(attachments[0].file_name, "attachment-0.mp3");
    assert_eq!(
        attachment_bytes(&store, &blobs, id, &attachments[0]).await,
        mp3()
    );
    assert_eq!(store.count_items().await.unwrap(), 2);
}
