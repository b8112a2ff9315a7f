//! The SMTP relay edited by an admin while the node serves, on every configured database and
//! against real SMTP servers (aiosmtpd): a relay that does not answer, or refuses the login, is
//! refused with the field named and nothing is saved; a relay that answers is saved, its
//! password never shown nor audited, and the next reply goes out through it without a restart
//! (the new server receives it, the file's none); a second node follows the saved row within
//! seconds; an empty password keeps the saved one; "use the configuration file's" returns to the
//! file's relay.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::test;
use chrono::Utc;
use switchboard_channels::reference_token::TokenSecret;
use switchboard_core::WorkItemId;
use switchboard_core::item::{Channel, ItemStatus, NewItem};
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::user::Role;
use switchboard_server::channel_editor::{ChannelEditor, ChannelFiles, SAVED_SMTP_SETTING};
use switchboard_server::channel_workers::ChannelWorkers;
use switchboard_server::mail::compose::ReplyComposer;
use switchboard_server::mail::{RelayInForce, outbox};
use switchboard_tests::smtp_sink::{SmtpSink, closed_port, plain_relay};
use switchboard_tests::ui_session::{UiSession, body_text, location};
use switchboard_tests::{bearer, token, user_with_password, velora_config};
use switchboard_web::{AppState, WebConfig, create_app};
use tokio::sync::Notify;

const RELAY_USER: &str = "relay-user";
const RELAY_PASSWORD: &str = "relay-password-5581";

/// A node's channel editor over `store`, editing the relay `relay` (no mailboxes or folders).
pub(crate) async fn relay_editor(
    store: &Arc<dyn Store>,
    url: &str,
    folder: &std::path::Path,
    relay: &RelayInForce,
) -> Arc<ChannelEditor> {
    let pipeline = switchboard_server::pipeline::Pipeline::new(
        store.clone(),
        switchboard_store::BlobStore::new(folder.join("blobs")),
        velora_config(folder).pipeline_settings(),
    )
    .await
    .unwrap();
    let workers = ChannelWorkers::new(Arc::new(pipeline), None, url.to_owned());
    let files = ChannelFiles {
        imap: Vec::new(),
        folders: Vec::new(),
        relay: Some(relay.clone()),
    };
    ChannelEditor::start(store.clone(), files, workers)
        .await
        .unwrap()
}

/// Replies composed and sent through `relay`, with the outbox sender running.
pub(crate) fn replying_through(store: &Arc<dyn Store>, relay: &RelayInForce) -> ReplyComposer {
    let queued = Arc::new(Notify::new());
    tokio::spawn(outbox::run(
        store.clone(),
        relay.clone(),
        queued.clone(),
        None,
    ));
    ReplyComposer::new(
        store.clone(),
        relay.clone(),
        TokenSecret::new(b"relay-test-secret"),
        queued,
    )
}

async fn email_item(store: &Arc<dyn Store>) -> WorkItemId {
    let mut item = NewItem::new(
        Channel::Email,
        "relay-test",
        Utc::now(),
        "Waar blijft mijn levering?",
    );
    item.subject = Some("Levering".into());
    item.sender.email = Some("anna@salon.example.nl".into());
    let placement = ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some("inbox".into()),
        priority: 20,
        ..ItemPlacement::default()
    };
    store.insert_item(&item, &placement).await.unwrap()
}

/// Waits until `sink` holds a message; returns the messages.
pub(crate) async fn received(sink: &SmtpSink) -> Vec<(serde_json::Value, String)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let messages = sink.messages();
        if !messages.is_empty() {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "the SMTP server received nothing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn an_admin_points_replies_at_another_relay_and_the_next_reply_goes_through_it() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, url) in switchboard_tests::stores(folder.path()).await {
        let node_folder = folder.path().join(&label);
        std::fs::create_dir_all(&node_folder).unwrap();
        let file_sink = SmtpSink::start(0);
        let new_sink = SmtpSink::start_with_login(RELAY_USER, RELAY_PASSWORD);
        let relay = RelayInForce::new(plain_relay(file_sink.port));
        let editor = relay_editor(&store, &url, &node_folder, &relay).await;
        let state = AppState::new(store.clone(), WebConfig::default())
            .with_channel_settings(editor.clone())
            .with_outbound_mail(Arc::new(replying_through(&store, &relay)));
        let app = test::init_service(create_app(state)).await;
        // A second node on the same database, following the saved rows.
        let other_relay = RelayInForce::new(plain_relay(file_sink.port));
        let other_node = relay_editor(&store, &url, &node_folder, &other_relay).await;
        let follower = other_node.follow(Duration::from_millis(200));
        let admin = UiSession::open(
            &store,
            user_with_password(&store, "root", Role::Admin, "pw").await,
            "admin",
        )
        .await;
        let lead = token(&store, Role::Lead).await;
        let agent = token(&store, Role::Agent).await;
        let put = |body: serde_json::Value| {
            test::TestRequest::put()
                .uri("/api/v1/channel-settings/smtp")
                .cookie(admin.cookie())
                .insert_header(("X-CSRF-Token", admin.csrf()))
                .set_json(body)
                .to_request()
        };
        let show = || {
            test::TestRequest::get()
                .uri("/api/v1/channel-settings/smtp")
                .cookie(admin.cookie())
                .to_request()
        };
        let new_relay = |password: &str| {
            serde_json::json!({ "entries": [{
                "host": "127.0.0.1", "port": new_sink.port, "security": "plain",
                "user": RELAY_USER, "password": password,
                "from": "antwoord@velora.example.nl", "from_name": "Velora",
                "max_attempts": 3, "first_retry_seconds": 0, "max_retry_seconds": 0,
            }] })
        };

        // The file's relay is shown; agents may not see or change it.
        let shown = test::call_service(&app, show()).await;
        assert_eq!(shown.status(), StatusCode::OK, "{label}");
        let shown: serde_json::Value = test::read_body_json(shown).await;
        assert_eq!(shown["saved"], false, "{label}");
        assert_eq!(
            shown["entries"][0]["fields"]["port"],
            file_sink.port.to_string()
        );
        let as_agent = test::call_service(
            &app,
            test::TestRequest::put()
                .uri("/api/v1/channel-settings/smtp")
                .insert_header(bearer(&agent))
                .set_json(new_relay(RELAY_PASSWORD))
                .to_request(),
        )
        .await;
        assert_eq!(as_agent.status(), StatusCode::FORBIDDEN, "{label}");

        // Nobody answers on the port: refused at the host field, nothing saved.
        let mut unanswered = new_relay(RELAY_PASSWORD);
        unanswered["entries"][0]["port"] = closed_port().into();
        let refused = test::call_service(&app, put(unanswered)).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{label}");
        let refused: serde_json::Value = test::read_body_json(refused).await;
        assert_eq!(refused["errors"][0]["field"], "host", "{label}: {refused}");
        assert!(
            refused["errors"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("no SMTP relay answers at 127.0.0.1:"),
            "{refused}"
        );
        assert!(!refused.to_string().contains(RELAY_PASSWORD));

        // The relay answers but refuses the login: refused at the password field.
        let wrong = test::call_service(&app, put(new_relay("not-the-relay-password"))).await;
        assert_eq!(wrong.status(), StatusCode::BAD_REQUEST, "{label}");
        let wrong: serde_json::Value = test::read_body_json(wrong).await;
        assert_eq!(wrong["errors"][0]["field"], "password", "{label}: {wrong}");
        assert!(!wrong.to_string().contains("not-the-relay-password"));

        // The same through the page's form: shown again with the problem, nothing saved.
        let port = closed_port().to_string();
        let form = test::call_service(
            &app,
            admin
                .form(
                    "/admin/channels/smtp",
                    &[
                        ("host.0", "127.0.0.1"),
                        ("port.0", &port),
                        ("security.0", "plain"),
                        ("from.0", "antwoord@velora.example.nl"),
                    ],
                )
                .to_request(),
        )
        .await;
        assert_eq!(form.status(), StatusCode::BAD_REQUEST, "{label}");
        let page = body_text(form).await;
        assert!(
            page.contains("host 1, host: no SMTP relay answers"),
            "{page}"
        );
        assert_eq!(store.setting(SAVED_SMTP_SETTING).await.unwrap(), None);
        assert_eq!(relay.current(), plain_relay(file_sink.port));

        // A relay that answers and takes the login is saved and in force at once.
        let saved = test::call_service(&app, put(new_relay(RELAY_PASSWORD))).await;
        assert_eq!(saved.status(), StatusCode::NO_CONTENT, "{label}");
        assert_eq!(relay.current().port, Some(new_sink.port));
        let shown = test::call_service(&app, show()).await;
        let shown: serde_json::Value = test::read_body_json(shown).await;
        assert_eq!(shown["saved"], true, "{label}");
        assert_eq!(shown["entries"][0]["password_set"], true);
        assert_eq!(shown["entries"][0]["fields"]["user"], RELAY_USER);
        assert!(!shown.to_string().contains(RELAY_PASSWORD), "{shown}");
        let page = test::call_service(&app, admin.page("/admin/channels").to_request()).await;
        let page = body_text(page).await;
        assert!(page.contains("list-smtp-source\">In force: the list saved"));
        assert!(!page.contains(RELAY_PASSWORD));

        // The next reply goes out through the new relay, from its address.
        let item = email_item(&store).await;
        let reply = test::call_service(
            &app,
            test::TestRequest::post()
                .uri(&format!("/api/v1/items/{}/reply", item.get()))
                .insert_header(bearer(&lead))
                .set_json(serde_json::json!({ "text": "Uw levering komt morgen." }))
                .to_request(),
        )
        .await;
        assert_eq!(reply.status(), StatusCode::ACCEPTED, "{label}");
        let messages = received(&new_sink).await;
        assert_eq!(messages.len(), 1, "{label}");
        assert_eq!(messages[0].0["from"], "antwoord@velora.example.nl");
        assert!(messages[0].1.contains("Uw levering komt morgen."));
        assert!(file_sink.messages().is_empty(), "{label}");

        // The other node follows the saved row within seconds.
        let deadline = Instant::now() + Duration::from_secs(10);
        while other_relay.current().port != Some(new_sink.port) {
            assert!(
                Instant::now() < deadline,
                "{label}: the other node kept its relay"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // An empty password keeps the saved one (the relay still takes the login).
        let kept = test::call_service(&app, put(new_relay(""))).await;
        assert_eq!(kept.status(), StatusCode::NO_CONTENT, "{label}");
        let stored = store.setting(SAVED_SMTP_SETTING).await.unwrap().unwrap();
        assert!(
            stored.contains(RELAY_PASSWORD),
            "the node needs it to log in"
        );

        // Back to the file's relay, through the page.
        let to_file = test::call_service(
            &app,
            admin
                .form("/admin/channels/smtp", &[("use_file", "on")])
                .to_request(),
        )
        .await;
        assert_eq!(to_file.status(), StatusCode::SEE_OTHER, "{label}");
        assert!(location(&to_file).starts_with("/admin/channels?done=list_file"));
        assert_eq!(relay.current(), plain_relay(file_sink.port));

        // Every change is audited, never with the password.
        let audited = switchboard_tests::audited_changes(&store, "channel.smtp_changed").await;
        let sources: Vec<&str> = audited.iter().map(|(source, _)| source.as_str()).collect();
        assert_eq!(sources, vec!["file", "admin", "admin"], "{label}");
        for (_, details) in &audited {
            assert!(!details.contains(RELAY_PASSWORD));
        }
        follower.abort();
        editor.stop().await;
        other_node.stop().await;
    }
}
