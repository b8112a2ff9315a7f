//! The browser UI in a real headless Chromium against the real app over HTTP, on the demo
//! company: an agent signs in, accepts an offer, sees the linked order and its delivery and
//! marks the item done; a hostile e-mail executes nothing. Screenshots of each page go to
//! `$CARGO_TARGET_TMPDIR/screenshots/`.

use std::sync::Arc;

use chrono::Utc;
use switchboard_core::Login;
use switchboard_core::event::Actor;
use switchboard_core::item_view::read_item_view;
use switchboard_core::queue::OfferMode;
use switchboard_core::routing::RouterHandle;
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::user::AgentStatus;
use switchboard_core::work::{StatusChange, Worker};
use switchboard_server::dispatch::{DispatchHandle, DispatchSettings};
use switchboard_web::{AppState, WebConfig, create_app};

use crate::browser_support::Browser;

/// The demo store after a first routing round with nobody available (which places the items
/// in their queues), every queue then set to offer instead of assign, and the demo agent
/// available.
pub(crate) async fn demo_store(folder: &std::path::Path) -> (Arc<dyn Store>, DispatchHandle) {
    let url = switchboard_store::testing::sqlite_url(folder);
    let store = switchboard_store::open(&url).await.unwrap();
    switchboard_server::demo::prepare(&store).await.unwrap();
    let router = DispatchHandle::new(store.clone(), DispatchSettings::default());
    router.round().await.unwrap();
    for mut queue in store.queue_settings().await.unwrap() {
        queue.offer_mode = OfferMode::Offer;
        queue.offer_timeout_seconds = 600;
        store.update_queue_settings(&queue).await.unwrap();
    }
    let agent = store
        .user_credentials(&Login::new("agent"))
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    store
        .set_agent_status(
            agent,
            AgentStatus::Available,
            &Actor::User { id: agent },
            Utc::now(),
        )
        .await
        .unwrap();
    (store, router)
}

/// Serves the real app on a free local port; returns its base URL.
pub(crate) fn serve(store: Arc<dyn Store>, router: Arc<dyn RouterHandle>) -> String {
    let state = AppState::new(store, WebConfig::default());
    let router = actix_web::web::Data::from(router);
    let server =
        actix_web::HttpServer::new(move || create_app(state.clone()).app_data(router.clone()))
            .workers(1)
            .bind("127.0.0.1:0")
            .unwrap();
    let address = server.addrs()[0];
    actix_web::rt::spawn(server.run());
    format!("http://{address}")
}

pub(crate) async fn sign_in(browser: &Browser, base: &str, login: &str) {
    browser.client.goto(&format!("{base}/login")).await.unwrap();
    browser.fill("login", login).await;
    browser.fill("password", "demo").await;
    browser.screenshot("login").await;
    browser
        .click_and_wait("form[action='/login'] button[type=submit]")
        .await;
}

#[actix_web::test]
async fn an_agent_accepts_an_offer_sees_order_and_delivery_and_marks_it_done() {
    let folder = tempfile::tempdir().unwrap();
    let (store, router) = demo_store(folder.path()).await;
    let summary = router.round().await.unwrap();
    let base = serve(store.clone(), router.as_router_handle());
    let browser = Browser::start().await;

    sign_in(&browser, &base, "agent").await;
    assert_eq!(browser.path().await, "/work");
    let work = browser.text().await;
    assert!(work.contains("Offered to you"), "{work}");
    browser.screenshot("work").await;
    let offers_before = browser
        .script("return document.querySelectorAll('#offers button.accept').length")
        .await;
    assert!(
        offers_before.as_u64().unwrap() >= 1,
        "the router offered nothing: {summary:?}"
    );

    // Accept the offer whose customer has an order with a delivery.
    let agent = store
        .user_credentials(&Login::new("agent"))
        .await
        .unwrap()
        .unwrap()
        .user
        .id;
    let mut chosen = None;
    for offer in store.my_work(agent).await.unwrap().offers {
        let view = read_item_view(store.as_ref(), offer.item).await.unwrap();
        let delivered = view
            .unwrap()
            .panel
            .orders
            .into_iter()
            .find(|view| !view.deliveries.is_empty());
        if let (None, Some(view)) = (&chosen, delivered) {
            chosen = Some((offer.offer, offer.item, view.order, view.deliveries));
        }
    }
    let (offer, item, order, deliveries) =
        chosen.unwrap_or_else(|| panic!("no offered item's customer has a delivered order"));
    let order_no = order.order_no.as_str().to_owned();
    browser
        .click_and_wait(&format!(
            "form[action='/work/offers/{offer}/accept'] button"
        ))
        .await;
    assert_eq!(browser.path().await, format!("/items/{item}"));
    let stored = store.item(item).await.unwrap().unwrap();
    assert_eq!(stored.status.to_string(), "assigned");

    // The customer panel shows the linked order with its lines and its delivery.
    let page = browser.text().await;
    assert!(page.contains(&format!("Order {order_no}")), "{page}");
    for delivery in &deliveries {
        let tracking = delivery.tracking_number.as_deref().unwrap_or_default();
        assert!(page.contains(tracking), "tracking {tracking} missing");
        assert!(page.contains(delivery.carrier.as_deref().unwrap_or_default()));
    }
    let first_line = &order.lines[0];
    assert!(page.contains(first_line.sku.as_str()));
    let description = first_line.description.as_deref().unwrap_or_default();
    assert!(
        !description.is_empty() && page.contains(description),
        "line description {description:?} missing"
    );
    browser.screenshot("item").await;

    browser.click_and_wait("#status-done").await;
    assert_eq!(browser.path().await, format!("/items/{item}"));
    let status = browser
        .script("return document.getElementById('item-status').textContent")
        .await;
    assert_eq!(status, "done");
    assert_eq!(
        store.item(item).await.unwrap().unwrap().status.to_string(),
        "done"
    );

    // Live updates: the work page reloads itself when the agent's work changes (here the
    // reopened item is offered again).
    browser.client.goto(&format!("{base}/work")).await.unwrap();
    browser
        .script("window.__notReloaded = true; return true")
        .await;
    let worker = Worker {
        actor: Actor::User { id: agent },
        name: "agent".into(),
        agent: Some(agent),
        lead: false,
    };
    store
        .change_item_status(
            item,
            StatusChange::Reopen,
            &worker,
            &switchboard_tests::always_open_sla(),
            Utc::now(),
        )
        .await
        .unwrap();
    router.round().await.unwrap();
    let mut reloaded = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let value = browser
            .script("return window.__notReloaded === undefined")
            .await;
        if value == serde_json::Value::Bool(true) {
            reloaded = true;
            break;
        }
    }
    assert!(reloaded, "the work page did not update itself");
    let offered_again = browser
        .script(&format!(
            "return document.querySelectorAll(\"#offers a[href='/items/{item}']\").length"
        ))
        .await;
    assert_eq!(
        offered_again,
        serde_json::json!(1),
        "the reopened item is offered again"
    );

    browser
        .client
        .goto(&format!("{base}/search?q=order"))
        .await
        .unwrap();
    browser.screenshot("search").await;
    browser.close().await;
}

const HOSTILE_EMAIL: &str = "From: \"<img src=x onerror=\\\"window.__pwned=1\\\">Evil\" <evil@example.com>\r\n\
To: service@example.com\r\n\
Subject: <script>document.title='pwned';window.__pwned=1</script> order\r\n\
Message-ID: <hostile-1@example.com>\r\n\
Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\
\r\n\
--b\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Hello</p><script>parent.document.title='pwned';window.top.__pwned=1</script>\
<img src=x onerror=\"parent.window.__pwned=1\"><a href=\"javascript:parent.__pwned=1\">x</a>\
<iframe srcdoc=\"<script>parent.parent.__pwned=1</script>\"></iframe>\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
Content-Disposition: attachment; filename=\"<script>window.__pwned=1</script>.txt\"\r\n\
\r\n\
hello\r\n\
--b--\r\n";

#[actix_web::test]
async fn a_hostile_email_executes_nothing_in_the_browser() {
    let folder = tempfile::tempdir().unwrap();
    let (store, router) = demo_store(folder.path()).await;
    let parsed = switchboard_channels::email::parse_email(
        HOSTILE_EMAIL.as_bytes(),
        "hostile.eml",
        Utc::now(),
        &switchboard_channels::email::EmailConfig::default(),
    )
    .unwrap();
    assert!(parsed.item.subject.as_deref().unwrap().contains("<script>"));
    let item = store
        .insert_item(
            &parsed.item,
            &ItemPlacement {
                status: switchboard_core::item::ItemStatus::Queued,
                ..ItemPlacement::default()
            },
        )
        .await
        .unwrap();
    let base = serve(store.clone(), router.as_router_handle());
    let browser = Browser::start().await;
    sign_in(&browser, &base, "agent").await;

    browser
        .client
        .goto(&format!("{base}/items/{item}"))
        .await
        .unwrap();
    let page = browser.text().await;
    assert!(
        page.contains("<script>document.title='pwned'"),
        "the subject shows as text"
    );
    browser.screenshot("hostile-email").await;
    // Give any script, event handler or frame time to run before looking.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let title = browser.script("return document.title").await;
    assert!(!title.as_str().unwrap().contains("pwned"), "title: {title}");
    let pwned = browser.script("return window.__pwned === undefined").await;
    assert_eq!(pwned, serde_json::Value::Bool(true), "a script ran");
    let frame_is_sandboxed = browser
        .script("var f = document.querySelector('iframe.mail'); return f !== null && f.hasAttribute('sandbox')")
        .await;
    assert_eq!(frame_is_sandboxed, serde_json::Value::Bool(true));

    // The message body itself, opened directly, runs nothing either (its own policy).
    browser
        .client
        .goto(&format!("{base}/items/{item}/body"))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let pwned = browser.script("return window.__pwned === undefined").await;
    assert_eq!(
        pwned,
        serde_json::Value::Bool(true),
        "a script ran in the body"
    );
    browser.close().await;
}
