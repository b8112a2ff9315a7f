//! IMAP accounts and watched folders edited by an admin while the node serves, against a real
//! Dovecot and a real folder: the reader follows a changed account without a restart (taking
//! the messages of the folder it now reads, each once), a password is never shown and an empty
//! one keeps the saved password, a bad host, password or folder is refused with the field named
//! and nothing changes, only admins may change the lists (agents get 403, a form without the
//! CSRF token is refused), every change is audited without a secret, and a watched folder added
//! on the page is scanned at once.

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::test;
use switchboard_core::store::Store;
use switchboard_core::user::Role;
use switchboard_server::channel_editor::{ChannelEditor, ChannelFiles, SAVED_IMAP_SETTING};
use switchboard_server::channel_workers::ChannelWorkers;
use switchboard_server::mail::{ImapAccount, ProcessedAction};
use switchboard_tests::dovecot::Dovecot;
use switchboard_tests::ui_session::{UiSession, body_text, location};
use switchboard_tests::{corpus_pipeline, user_with_password};
use switchboard_web::{AppState, WebConfig, create_app};

const PASSWORD: &str = "imap-test-password";

fn message(number: u32) -> Vec<u8> {
    format!(
        "From: klant{number}@example.nl\r\nTo: klantenservice@velora.example.nl\r\n\
         Subject: Vraag {number}\r\nMessage-ID: <channel-lists-{number}@example.nl>\r\n\r\n\
         Waar blijft mijn bestelling?\r\n"
    )
    .into_bytes()
}

/// Waits until the store holds `expected` items.
async fn wait_for_items(store: &Arc<dyn Store>, expected: i64) {
    switchboard_tests::wait_for_items(store, expected, Duration::from_secs(30)).await;
}

/// A store with the corpus pipeline behind an editor started with `file_imap`, the app state
/// editing through it, and an admin's session.
async fn editing(
    folder: &std::path::Path,
    file_imap: Vec<ImapAccount>,
) -> (Arc<dyn Store>, Arc<ChannelEditor>, AppState, UiSession) {
    let (store, pipeline) = corpus_pipeline(folder).await;
    let url = switchboard_store::testing::sqlite_url(folder);
    let workers = ChannelWorkers::new(Arc::new(pipeline), None, url);
    let files = ChannelFiles {
        imap: file_imap,
        folders: Vec::new(),
        relay: None,
    };
    let editor = ChannelEditor::start(store.clone(), files, workers)
        .await
        .unwrap();
    let state =
        AppState::new(store.clone(), WebConfig::default()).with_channel_settings(editor.clone());
    let admin = UiSession::open(
        &store,
        user_with_password(&store, "root", Role::Admin, "pw").await,
        "admin",
    )
    .await;
    (store, editor, state, admin)
}

#[actix_web::test]
async fn an_admin_points_a_mailbox_at_another_folder_and_the_reader_follows_without_a_restart() {
    let dovecot = Dovecot::start().await;
    dovecot.create_folder("Orders").await;
    dovecot.create_folder("Quiet").await;
    dovecot.append("Orders", &[message(1), message(2)]).await;
    let folder = tempfile::tempdir().unwrap();
    let mut file_account = dovecot.account(ProcessedAction::default());
    file_account.name = "service".into();
    file_account.folder = "Quiet".into();
    let (store, editor, state, admin) = editing(folder.path(), vec![file_account]).await;
    let app = test::init_service(create_app(state)).await;
    let agent = UiSession::open(
        &store,
        user_with_password(&store, "agent", Role::Agent, "pw").await,
        "agent",
    )
    .await;
    let port = dovecot.port.to_string();
    let account_form = |folder: &'static str, password: &'static str| {
        vec![
            ("name.0", "service"),
            ("host.0", "127.0.0.1"),
            ("port.0", port.as_str()),
            ("security.0", "plain"),
            ("user.0", switchboard_tests::dovecot::USER),
            ("password.0", password),
            ("folder.0", folder),
            ("poll_seconds.0", "1"),
            ("name.1", ""),
            ("security.1", "tls"),
        ]
    };

    // The file's account reads Quiet: the messages in Orders wait.
    let page = test::call_service(&app, admin.page("/admin/channels").to_request()).await;
    assert_eq!(page.status(), StatusCode::OK);
    let body = body_text(page).await;
    assert!(body.contains("list-imap-source\">In force: the configuration file"));
    assert!(body.contains("value=\"Quiet\""), "{body}");
    assert!(!body.contains(PASSWORD));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.count_items().await.unwrap(), 0);

    // Only admins; a form without the CSRF token is refused.
    let as_agent = test::call_service(
        &app,
        agent
            .form("/admin/channels/imap", &account_form("Orders", ""))
            .to_request(),
    )
    .await;
    assert_eq!(as_agent.status(), StatusCode::FORBIDDEN);
    let api_as_agent = test::call_service(
        &app,
        test::TestRequest::put()
            .uri("/api/v1/channel-settings/imap")
            .cookie(agent.cookie())
            .insert_header(("X-CSRF-Token", agent.csrf()))
            .set_json(serde_json::json!({ "use_file": true }))
            .to_request(),
    )
    .await;
    assert_eq!(api_as_agent.status(), StatusCode::FORBIDDEN);
    let without_csrf = test::call_service(
        &app,
        test::TestRequest::post()
            .uri("/admin/channels/imap")
            .cookie(admin.cookie())
            .set_form(account_form("Orders", ""))
            .to_request(),
    )
    .await;
    assert_eq!(without_csrf.status(), StatusCode::FORBIDDEN);

    // A wrong password and a missing folder are refused, naming the field; nothing changes.
    let wrong_password = test::call_service(
        &app,
        admin
            .form(
                "/admin/channels/imap",
                &account_form("Orders", "not-the-password"),
            )
            .to_request(),
    )
    .await;
    assert_eq!(wrong_password.status(), StatusCode::BAD_REQUEST);
    let body = body_text(wrong_password).await;
    assert!(body.contains("name 1, password: login as"), "{body}");
    assert!(!body.contains("not-the-password"), "{body}");
    let missing_folder = test::call_service(
        &app,
        admin
            .form("/admin/channels/imap", &account_form("Nowhere", ""))
            .to_request(),
    )
    .await;
    assert_eq!(missing_folder.status(), StatusCode::BAD_REQUEST);
    assert!(
        body_text(missing_folder)
            .await
            .contains("name 1, folder: cannot select folder")
    );
    assert_eq!(store.setting(SAVED_IMAP_SETTING).await.unwrap(), None);

    // Saved with an empty password (the file's is kept): the reader moves to Orders at once.
    let saved = test::call_service(
        &app,
        admin
            .form("/admin/channels/imap", &account_form("Orders", ""))
            .to_request(),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(location(&saved).starts_with("/admin/channels?done=list_saved"));
    wait_for_items(&store, 2).await;
    dovecot.append("Orders", &[message(3)]).await;
    wait_for_items(&store, 3).await;
    let shown = test::call_service(
        &app,
        test::TestRequest::get()
            .uri("/api/v1/channel-settings/imap")
            .cookie(admin.cookie())
            .to_request(),
    )
    .await;
    assert_eq!(shown.status(), StatusCode::OK);
    let shown: serde_json::Value = test::read_body_json(shown).await;
    assert_eq!(shown["saved"], true);
    assert_eq!(shown["entries"][0]["fields"]["folder"], "Orders");
    assert_eq!(shown["entries"][0]["password_set"], true);
    assert!(!shown.to_string().contains(PASSWORD));
    let stored = store.setting(SAVED_IMAP_SETTING).await.unwrap().unwrap();
    assert!(stored.contains("\"folder\":\"Orders\""), "{stored}");

    // The API refuses a bad entry with the entry and field named.
    let refused = test::call_service(
        &app,
        test::TestRequest::put()
            .uri("/api/v1/channel-settings/imap")
            .cookie(admin.cookie())
            .insert_header(("X-CSRF-Token", admin.csrf()))
            .set_json(serde_json::json!({ "entries": [
                { "name": "service", "host": "127.0.0.1", "port": 70000, "security": "plain",
                  "user": "service" }
            ] }))
            .to_request(),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused: serde_json::Value = test::read_body_json(refused).await;
    assert_eq!(refused["errors"][0]["line"], 1, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "port", "{refused}");

    // Back to the file's account: Quiet again; Orders' new mail waits.
    let to_file = test::call_service(
        &app,
        test::TestRequest::put()
            .uri("/api/v1/channel-settings/imap")
            .cookie(admin.cookie())
            .insert_header(("X-CSRF-Token", admin.csrf()))
            .set_json(serde_json::json!({ "use_file": true }))
            .to_request(),
    )
    .await;
    assert_eq!(to_file.status(), StatusCode::NO_CONTENT);
    dovecot.append("Orders", &[message(4)]).await;
    dovecot.append("Quiet", &[message(5)]).await;
    wait_for_items(&store, 4).await;
    assert_eq!(dovecot.count("Orders", "UNKEYWORD $Switchboard").await, 1);

    let audited = switchboard_tests::audited_changes(&store, "channel.imap_changed").await;
    let sources: Vec<&str> = audited.iter().map(|(source, _)| source.as_str()).collect();
    assert_eq!(sources, vec!["file", "admin"]);
    for (_, details) in &audited {
        assert!(!details.contains(PASSWORD));
    }
    editor.stop().await;
}

#[actix_web::test]
async fn a_folder_added_on_the_page_is_checked_and_scanned_at_once() {
    let folder = tempfile::tempdir().unwrap();
    let (store, editor, state, admin) = editing(folder.path(), Vec::new()).await;
    let app = test::init_service(create_app(state)).await;
    let drop_folder = tempfile::tempdir().unwrap();
    let missing = drop_folder.path().join("missing");
    let missing = missing.to_str().unwrap();
    let refused = test::call_service(
        &app,
        admin
            .form(
                "/admin/channels/watch",
                &[("path.0", missing), ("channel.0", "email")],
            )
            .to_request(),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(body_text(refused).await.contains("path 1, path:"));

    let path = drop_folder.path().to_str().unwrap();
    let saved = test::call_service(
        &app,
        admin
            .form(
                "/admin/channels/watch",
                &[
                    ("path.0", path),
                    ("channel.0", "email"),
                    ("settle_seconds.0", "0"),
                    ("poll_seconds.0", "1"),
                ],
            )
            .to_request(),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    std::fs::write(drop_folder.path().join("new").join("1.eml"), message(1)).unwrap();
    wait_for_items(&store, 1).await;
    let page = test::call_service(&app, admin.page("/admin/channels").to_request()).await;
    let body = body_text(page).await;
    assert!(
        body.contains("list-watch-source\">In force: the list saved"),
        "{body}"
    );
    editor.stop().await;
}
