//! The channel settings in a real headless Chromium against the real app over HTTP, on the
//! demo company: an admin adds a watched folder that does not exist and sees the error at it,
//! fixes the path and sees the list saved and in force; then points the SMTP relay (the file's
//! answers nowhere) at a real SMTP server (aiosmtpd) and sees it checked, saved and in force.
//! Screenshots go to `$CARGO_TARGET_TMPDIR/screenshots/`.

use switchboard_server::channel_editor::SAVED_WATCH_SETTING;
use switchboard_server::mail::RelayInForce;
use switchboard_tests::smtp_sink::{SmtpSink, closed_port, plain_relay};
use switchboard_web::{AppState, WebConfig};

use crate::browser_support::Browser;
use crate::ui_admin_smtp_relay::relay_editor;
use crate::ui_browser::{demo_store, sign_in};
use crate::ui_lead_browser::serve_state;

/// The text of the element with `id`, or empty when there is none.
async fn text_by_id(browser: &Browser, id: &str) -> String {
    let script =
        format!("var e = document.getElementById('{id}'); return e === null ? '' : e.textContent");
    browser
        .script(&script)
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[actix_web::test]
async fn an_admin_fixes_a_watched_folder_and_points_the_relay_at_a_working_server() {
    let sink = SmtpSink::start(0);
    let folder = tempfile::tempdir().unwrap();
    let (store, router) = demo_store(folder.path()).await;
    let relay = RelayInForce::new(plain_relay(closed_port()));
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let editor = relay_editor(&store, &url, folder.path(), &relay).await;
    let state =
        AppState::new(store.clone(), WebConfig::default()).with_channel_settings(editor.clone());
    let base = serve_state(state, router.as_router_handle());
    let browser = Browser::start().await;
    sign_in(&browser, &base, "admin").await;
    browser
        .client
        .goto(&format!("{base}/admin/channels"))
        .await
        .unwrap();
    assert!(
        text_by_id(&browser, "list-smtp")
            .await
            .contains("SMTP relay")
    );
    let placeholder = browser
        .script(r#"return document.querySelector('#list-smtp [name="password.0"]').placeholder"#)
        .await;
    assert_eq!(placeholder, serde_json::json!("only with a user"));
    browser.screenshot("admin-channels-lists").await;

    // A folder that does not exist: refused at its row, nothing saved.
    let fax_drop = tempfile::tempdir().unwrap();
    let missing = fax_drop.path().join("not-there");
    browser
        .fill_in("#list-watch", "path.0", missing.to_str().unwrap())
        .await;
    browser
        .client
        .find(fantoccini::Locator::Css("#list-watch [name='channel.0']"))
        .await
        .unwrap()
        .select_by_value("fax")
        .await
        .unwrap();
    browser.click_and_wait("#list-watch-save").await;
    let problems = text_by_id(&browser, "list-watch-problems").await;
    assert!(problems.contains("path 1, path:"), "{problems}");
    assert!(problems.contains("not-there"), "{problems}");
    assert_eq!(store.setting(SAVED_WATCH_SETTING).await.unwrap(), None);
    browser
        .script("document.getElementById('list-watch').scrollIntoView(); return true")
        .await;
    browser.screenshot("admin-channels-folder-error").await;

    // Fixed: saved and in force.
    browser
        .fill_in("#list-watch", "path.0", fax_drop.path().to_str().unwrap())
        .await;
    browser.click_and_wait("#list-watch-save").await;
    assert!(browser.text().await.contains("Saved and in force"));
    let source = text_by_id(&browser, "list-watch-source").await;
    assert!(source.contains("the list saved on this page"), "{source}");
    let saved = store.setting(SAVED_WATCH_SETTING).await.unwrap().unwrap();
    assert!(saved.contains(fax_drop.path().to_str().unwrap()), "{saved}");
    assert!(saved.contains("\"fax\""), "{saved}");

    // The relay at the working server: checked, saved and in force for the next message.
    browser
        .fill_in("#list-smtp", "port.0", &sink.port.to_string())
        .await;
    browser.click_and_wait("#list-smtp-save").await;
    let text = browser.text().await;
    assert!(text.contains("The relay answered and is saved"), "{text}");
    assert_eq!(relay.current().port, Some(sink.port));
    let source = text_by_id(&browser, "list-smtp-source").await;
    assert!(source.contains("the list saved on this page"), "{source}");
    browser.screenshot("admin-channels-relay-saved").await;
    browser.close().await;
    editor.stop().await;
}
