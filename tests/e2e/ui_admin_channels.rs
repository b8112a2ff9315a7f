//! The voicemail webhook's secret replaced on the admin channel page, in process on every
//! configured database: the page never shows a secret; a short one is refused; a saved one is
//! in force at once (callbacks signed with it are accepted, with the file's refused) and reaches
//! another node's secret through the follower; an empty field keeps it; "use the configuration
//! file's secret" returns to the file's. The audit trail records each change without the value.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::test;
use chrono::{TimeDelta, Utc};
use switchboard_channels::voicemail::sign;
use switchboard_core::user::Role;
use switchboard_server::pipeline::Pipeline;
use switchboard_store::BlobStore;
use switchboard_tests::ui_session::{UiSession, body_text};
use switchboard_tests::user_with_password;
use switchboard_web::api::VoicemailWebhook;
use switchboard_web::api::webhook_secret::{SAVED_SECRET_SETTING, WebhookSecret};
use switchboard_web::{AppState, WebConfig, create_app};

const FILE_SECRET: &str = "file-secret-value-0001";
const ADMIN_SECRET: &str = "admin-secret-value-0002";

/// A signed callback without a recording to fetch.
fn callback(secret: &str, call_id: &str) -> test::TestRequest {
    let body = serde_json::json!({
        "event": "recording.completed",
        "call_id": call_id,
        "direction": "inbound",
        "from": "+31201234567",
        "to": "+31207654321",
        "started_at": "2026-11-30T09:00:00Z",
        "duration_seconds": 12.0,
        "recording_id": format!("rec-{call_id}"),
        "transcription": { "status": "completed", "language": "nl-NL", "confidence": 0.9,
            "text": "Bel mij terug over bestelling 4500012345." }
    })
    .to_string()
    .into_bytes();
    let now = Utc::now().timestamp();
    test::TestRequest::post()
        .uri("/api/v1/inbound/voicemail")
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("X-Switchboard-Timestamp", now.to_string()))
        .insert_header((
            "X-Switchboard-Signature",
            sign(secret.as_bytes(), now, &body),
        ))
        .set_payload(body)
}

fn shows_no_secret(body: &str) -> bool {
    !body.contains(FILE_SECRET) && !body.contains(ADMIN_SECRET)
}

#[actix_web::test]
async fn an_admin_replaces_the_webhook_secret_write_only_on_every_database() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in switchboard_tests::stores(folder.path()).await {
        let admin = user_with_password(&store, "root", Role::Admin, "pw").await;
        let session = UiSession::open(&store, admin, "admin").await;
        let pipeline = Pipeline::new(
            store.clone(),
            BlobStore::new(folder.path().join(format!("blobs-{label}"))),
            switchboard_server::Config::default().pipeline_settings(),
        )
        .await
        .unwrap();
        let webhook = VoicemailWebhook::new(FILE_SECRET, TimeDelta::minutes(5), Vec::new());
        let state = AppState::new(store.clone(), WebConfig::default())
            .with_ingestor(Arc::new(pipeline))
            .with_voicemail_webhook(webhook);
        let app = test::init_service(create_app(state)).await;
        let other_node = WebhookSecret::from_file(Some(FILE_SECRET.as_bytes()));
        let follower = switchboard_server::channel_settings::follow_webhook_secret(
            store.clone(),
            other_node.clone(),
            StdDuration::from_millis(50),
        );
        let form = |fields: &[(&str, &str)]| {
            session
                .form("/admin/channels/webhook-secret", fields)
                .to_request()
        };

        let page = test::call_service(&app, session.page("/admin/channels").to_request()).await;
        let body = body_text(page).await;
        assert!(
            body.contains("webhook-secret-source\">In force: the configuration file"),
            "{label}"
        );
        assert!(body.contains("name=\"secret\" value=\"\""), "{label}");
        assert!(shows_no_secret(&body), "{label}");
        let accepted = test::call_service(&app, callback(FILE_SECRET, "call-1").to_request()).await;
        assert_eq!(accepted.status(), StatusCode::ACCEPTED, "{label}");

        // Too short: refused, nothing stored, the file's still in force.
        let refused = test::call_service(&app, form(&[("secret", "short")])).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{label}");
        assert!(shows_no_secret(&body_text(refused).await), "{label}");
        assert_eq!(
            store.setting(SAVED_SECRET_SETTING).await.unwrap(),
            None,
            "{label}"
        );

        // Saved: in force at once, the file's refused from then on.
        let saved = test::call_service(&app, form(&[("secret", ADMIN_SECRET)])).await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{label}");
        let accepted =
            test::call_service(&app, callback(ADMIN_SECRET, "call-2").to_request()).await;
        assert_eq!(accepted.status(), StatusCode::ACCEPTED, "{label}");
        let refused = test::call_service(&app, callback(FILE_SECRET, "call-3").to_request()).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{label}");
        let page = test::call_service(
            &app,
            session
                .page("/admin/channels?done=secret_saved")
                .to_request(),
        )
        .await;
        let body = body_text(page).await;
        assert!(body.contains("saved on this page"), "{label}");
        assert!(shows_no_secret(&body), "{label}");

        // The other node follows.
        let mut followed = false;
        for _ in 0..100 {
            if other_node.current().as_deref() == Some(ADMIN_SECRET.as_bytes()) {
                followed = true;
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
        assert!(followed, "{label}: the other node follows the saved secret");

        // An empty field keeps the secret in force.
        let kept = test::call_service(&app, form(&[("secret", "")])).await;
        assert_eq!(kept.status(), StatusCode::SEE_OTHER, "{label}");
        let accepted =
            test::call_service(&app, callback(ADMIN_SECRET, "call-4").to_request()).await;
        assert_eq!(accepted.status(), StatusCode::ACCEPTED, "{label}");

        // Back to the configuration file's.
        let to_file = test::call_service(&app, form(&[("secret", ""), ("use_file", "on")])).await;
        assert_eq!(to_file.status(), StatusCode::SEE_OTHER, "{label}");
        let accepted = test::call_service(&app, callback(FILE_SECRET, "call-5").to_request()).await;
        assert_eq!(accepted.status(), StatusCode::ACCEPTED, "{label}");
        let refused = test::call_service(&app, callback(ADMIN_SECRET, "call-6").to_request()).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{label}");

        let audited =
            switchboard_tests::audited_changes(&store, "channel.webhook_secret_changed").await;
        let sources: Vec<&str> = audited.iter().map(|(source, _)| source.as_str()).collect();
        assert_eq!(sources, vec!["file", "admin"], "{label}");
        for (_, details) in &audited {
            assert!(shows_no_secret(details), "{label}");
        }
        follower.abort();
    }
}
