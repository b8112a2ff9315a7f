//! The admin's queue and agent routing pages in process on the demo company, through their
//! forms with the session's CSRF token: a queue's settings change (out-of-range values are
//! refused on the page and change nothing), an agent's capacity, queues and fairness cap
//! change, and both changes are audited like the API's.

use actix_web::http::StatusCode;
use actix_web::test;
use chrono::Utc;
use switchboard_core::event::Actor;
use switchboard_core::queue::{OfferMode, QueueStrategy};
use switchboard_core::routing::Membership;
use switchboard_tests::ui_session::{UiSession, body_text};
use switchboard_web::{AppState, WebConfig, create_app};

#[actix_web::test]
async fn an_admin_changes_queue_and_agent_routing_through_the_pages() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    switchboard_server::demo::prepare(&store).await.unwrap();
    let admin = switchboard_tests::user_id(&store, "admin").await;
    let session = UiSession::open(&store, admin, "admin").await;
    let app = test::init_service(create_app(AppState::new(
        store.clone(),
        WebConfig::default(),
    )))
    .await;
    let queue = store.queue_settings().await.unwrap().remove(0);
    let uri = format!("/admin/queues/{}", queue.id);
    let settings = |timeout: &'static str| {
        [
            ("strategy", "least_loaded"),
            ("offer_mode", "offer"),
            ("offer_timeout_seconds", timeout),
            ("aging_per_minute", "0.5"),
            ("secondary_delay_seconds", "30"),
            ("preferred_agent_seconds", "0"),
            ("cooldown_seconds", "5"),
        ]
    };

    let refused = test::call_service(&app, session.form(&uri, &settings("-5")).to_request()).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body = body_text(refused).await;
    assert!(body.contains("offer_timeout_seconds"), "{body}");
    assert_eq!(store.queue_settings().await.unwrap()[0], queue);

    let saved = test::call_service(&app, session.form(&uri, &settings("90")).to_request()).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let changed = store.queue_settings().await.unwrap().remove(0);
    assert_eq!(changed.strategy, QueueStrategy::LeastLoaded);
    assert_eq!(changed.offer_mode, OfferMode::Offer);
    assert_eq!(
        (
            changed.offer_timeout_seconds,
            changed.secondary_delay_seconds,
            changed.cooldown_seconds
        ),
        (90, 30, 5)
    );
    assert!((changed.aging_per_minute - 0.5).abs() < 1e-9);

    let queue_field = format!("queue:{}", queue.name);
    let agent_fields = [
        ("capacity", "150"),
        ("fairness_max", "5"),
        ("fairness_window_minutes", "30"),
        (queue_field.as_str(), "secondary"),
    ];
    let saved = test::call_service(
        &app,
        session
            .form("/admin/agents/agent", &agent_fields)
            .to_request(),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
    let agent = snapshot
        .agents
        .iter()
        .find(|agent| agent.login.as_str() == "agent")
        .unwrap();
    assert_eq!(agent.capacity, 150);
    assert_eq!(agent.queues, vec![(queue.id, Membership::Secondary)]);
    assert_eq!(
        (agent.fairness_max, agent.fairness_window_minutes),
        (Some(5), 30)
    );
    let page = test::call_service(&app, session.page("/admin/agents/agent").to_request()).await;
    assert_eq!(page.status(), StatusCode::OK);
    let body = body_text(page).await;
    assert!(body.contains("value=\"150\""), "{body}");

    let unknown_queue = [
        ("capacity", "150"),
        ("fairness_window_minutes", "30"),
        ("queue:no-such-queue", "primary"),
    ];
    let refused = test::call_service(
        &app,
        session
            .form("/admin/agents/agent", &unknown_queue)
            .to_request(),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let events = store
        .recent_events("queue.settings_changed", 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, Actor::User { id: admin });
    let events = store
        .recent_events("agent.routing_changed", 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["login"], "agent");
}

#[actix_web::test]
async fn the_channel_page_shows_configured_channels_and_only_whether_secrets_are_set() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let admin = switchboard_tests::user_with_password(
        &store,
        "root",
        switchboard_core::user::Role::Admin,
        "pw",
    )
    .await;
    let session = UiSession::open(&store, admin, "admin").await;
    let config = switchboard_server::Config {
        mail: serde_json::from_value(serde_json::json!({
            "imap": [{
                "name": "klantenservice",
                "host": "imap.example.com",
                "user": "service@example.com",
                "password": "imap-password-value",
            }],
            "smtp": { "host": "smtp.example.com", "from": "service@example.com" },
        }))
        .unwrap(),
        voicemail_webhook: serde_json::from_value(
            serde_json::json!({ "secret": "webhook-secret-value" }),
        )
        .unwrap(),
        ..switchboard_server::Config::default()
    };
    let state = AppState::new(store.clone(), WebConfig::default()).with_channels(
        switchboard_server::channel_overview::channel_overview(&config),
    );
    let app = test::init_service(create_app(state)).await;
    let page = test::call_service(&app, session.page("/admin/channels").to_request()).await;
    assert_eq!(page.status(), StatusCode::OK);
    let body = body_text(page).await;
    assert!(body.contains("klantenservice") && body.contains("imap.example.com:993"));
    assert!(body.contains("smtp.example.com"));
    assert!(!body.contains("imap-password-value") && !body.contains("webhook-secret-value"));
    // The IMAP password and the webhook secret are set, the SMTP password is not.
    assert_eq!(body.matches(">set<").count(), 2, "{body}");
    assert_eq!(body.matches(">not set<").count(), 1, "{body}");
}
