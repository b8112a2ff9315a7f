//! The lead board and the reply form in a real headless Chromium against the real app over
//! HTTP, on the demo company: a lead ticks three waiting items, moves them to another queue and
//! sees them there (page and store) and sets an agent away; a lead ticks three items an agent
//! holds and reassigns them to another agent, who then holds them (page and store); a lead answers an e-mail item from
//! its view and the reply reaches a real SMTP server (aiosmtpd). Screenshots go to
//! `$CARGO_TARGET_TMPDIR/screenshots/`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fantoccini::Locator;
use switchboard_channels::reference_token::TokenSecret;
use switchboard_core::event::Actor;
use switchboard_core::history::sample_slot;
use switchboard_core::item::Channel;
use switchboard_core::routing::RouterHandle;
use switchboard_core::routing::{LeadAction, LeadOverride};
use switchboard_core::store::Store;
use switchboard_core::user::{AgentStatus, NewUser, Role};
use switchboard_core::work::item_detail;
use switchboard_core::{Login, UserId, WorkItemId};
use switchboard_server::mail::compose::ReplyComposer;
use switchboard_server::mail::outbox;
use switchboard_tests::smtp_sink::{SmtpSink, plain_relay};
use switchboard_web::{AppState, WebConfig, create_app};
use tokio::sync::Notify;

use crate::browser_support::Browser;
use crate::ui_browser::{demo_store, serve, sign_in};

/// Serves `state` on a free local port; returns its base URL.
pub(crate) fn serve_state(state: AppState, router: Arc<dyn RouterHandle>) -> String {
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

/// The text of the element `css` selects.
async fn text_of(browser: &Browser, css: &str) -> String {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("nothing matches {css}: {error}"))
        .text()
        .await
        .unwrap()
}

/// Picks `value` in the select `css` selects.
async fn choose(browser: &Browser, css: &str, value: &str) {
    browser
        .client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("nothing matches {css}: {error}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|error| panic!("cannot choose {value} in {css}: {error}"));
}

#[actix_web::test]
async fn a_lead_moves_three_waiting_items_to_another_queue_and_sets_an_agent_away() {
    let folder = tempfile::tempdir().unwrap();
    let (store, router) = demo_store(folder.path()).await;
    let base = serve(store.clone(), router.as_router_handle());
    let browser = Browser::start().await;
    sign_in(&browser, &base, "lead").await;
    browser.client.goto(&format!("{base}/lead")).await.unwrap();
    let page = browser.text().await;
    assert!(page.contains("Team board"), "{page}");
    assert!(page.to_lowercase().contains("why is this still waiting"));
    let charts = browser
        .script("return document.querySelectorAll('figure.chart svg rect').length")
        .await;
    assert!(charts.as_u64().unwrap() > 3, "the charts draw bars");
    browser.screenshot("lead-board").await;

    let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
    let inbox = store
        .queue_settings()
        .await
        .unwrap()
        .into_iter()
        .find(|queue| queue.name == "inbox")
        .unwrap();
    let picked: Vec<i64> = snapshot
        .items
        .iter()
        .filter(|item| item.queue == Some(inbox.id))
        .take(3)
        .map(|item| item.item.get())
        .collect();
    assert_eq!(picked.len(), 3);
    for item in &picked {
        browser.click(&format!("#pick-{item}")).await;
    }
    choose(&browser, "#rebalance select[name=queue]", "inbound-nl").await;
    browser.screenshot("lead-board-selected").await;
    browser.click_and_wait("#do-move").await;

    assert_eq!(browser.path().await, "/lead");
    let notice = text_of(&browser, "#lead-notice").await;
    assert!(
        notice.contains("Move to queue: 3 of 3 items changed."),
        "{notice}"
    );
    for item in &picked {
        let shown = text_of(&browser, &format!("tr[data-item='{item}'] .item-queue")).await;
        assert_eq!(shown, "inbound-nl", "item {item} on the board");
        let stored = item_detail(store.as_ref(), switchboard_core::WorkItemId::new(*item))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.queue.as_deref(), Some("inbound-nl"));
    }
    browser.screenshot("lead-board-moved").await;

    // The agent is set away from their row.
    choose(
        &browser,
        "tr[data-agent='agent'] select[name=status]",
        "away",
    )
    .await;
    browser
        .click_and_wait("tr[data-agent='agent'] form button")
        .await;
    let notice = text_of(&browser, "#lead-notice").await;
    assert!(notice.contains("agent is now away"), "{notice}");
    let agents = store.routing_snapshot(Utc::now()).await.unwrap().agents;
    let agent = agents
        .iter()
        .find(|agent| agent.login.as_str() == "agent")
        .unwrap();
    assert_eq!(agent.status, AgentStatus::Away);
    browser.close().await;
}

#[actix_web::test]
async fn a_lead_moves_three_items_from_one_agent_to_another() {
    let folder = tempfile::tempdir().unwrap();
    let (store, router) = demo_store(folder.path()).await;
    let agent = user_id(store.as_ref(), "agent").await;
    let lead = user_id(store.as_ref(), "lead").await;
    let second = store
        .create_user(&NewUser {
            login: Login::new("agent2"),
            display_name: "Second agent".into(),
            role: Role::Agent,
            password_hash: None,
            agent_id: None,
        })
        .await
        .unwrap();
    let by = LeadOverride {
        actor: Actor::User { id: lead },
        reason: None,
        at: Utc::now(),
    };
    store
        .set_agent_status(second, AgentStatus::Available, &by.actor, Utc::now())
        .await
        .unwrap();
    // The first agent holds three items to start with.
    let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
    let picked: Vec<WorkItemId> = snapshot.items.iter().take(3).map(|i| i.item).collect();
    assert_eq!(picked.len(), 3);
    for item in &picked {
        store
            .lead_action(
                *item,
                &LeadAction::Reassign { agent },
                &by,
                &switchboard_tests::always_open_sla(),
            )
            .await
            .unwrap();
    }

    // Two backlog samples, so the history chart draws lines.
    let slot = sample_slot(Utc::now(), chrono::Duration::minutes(5));
    for at in [slot - chrono::Duration::minutes(5), slot] {
        store.record_backlog_sample(at).await.unwrap();
    }

    let base = serve(store.clone(), router.as_router_handle());
    let browser = Browser::start().await;
    sign_in(&browser, &base, "lead").await;
    browser.client.goto(&format!("{base}/lead")).await.unwrap();
    let lines = browser
        .script("return document.querySelectorAll('#chart-backlog polyline').length")
        .await;
    assert!(
        lines.as_u64().unwrap() >= 1,
        "the backlog chart draws lines"
    );
    browser
        .script("document.getElementById('history').scrollIntoView(); return true")
        .await;
    browser.screenshot("lead-board-history").await;
    for item in &picked {
        browser
            .click(&format!(
                "tr[data-agent='agent'] input[value='{}']",
                item.get()
            ))
            .await;
    }
    choose(&browser, "#rebalance select[name=agent]", "agent2").await;
    browser.fill("reason", "agent is in a meeting").await;
    browser.screenshot("lead-board-agent-selected").await;
    browser.click_and_wait("#do-reassign").await;

    assert_eq!(browser.path().await, "/lead");
    let notice = text_of(&browser, "#lead-notice").await;
    assert!(
        notice.contains("Reassign: 3 of 3 items changed."),
        "{notice}"
    );
    let first_row = text_of(&browser, "tr[data-agent='agent']").await;
    let second_row = text_of(&browser, "tr[data-agent='agent2']").await;
    for item in &picked {
        let reference = item.reference();
        assert!(second_row.contains(&reference), "{reference}: {second_row}");
        assert!(!first_row.contains(&reference), "{reference}: {first_row}");
        let stored = item_detail(store.as_ref(), *item).await.unwrap().unwrap();
        assert_eq!(
            stored.assigned_agent.as_ref().map(Login::as_str),
            Some("agent2"),
            "{reference}"
        );
        let [.., before, now] = stored.assignments.as_slice() else {
            panic!("{reference}: two assignments expected");
        };
        assert_eq!(before.login.as_str(), "agent", "{reference}");
        assert!(
            before.ended_at.is_some(),
            "{reference}: the first agent let go"
        );
        assert_eq!(now.login.as_str(), "agent2", "{reference}");
        assert!(
            now.ended_at.is_none(),
            "{reference}: the new assignment is open"
        );
    }
    browser.screenshot("lead-board-reassigned").await;
    browser.close().await;
}

async fn user_id(store: &dyn Store, login: &str) -> UserId {
    store
        .user_credentials(&Login::new(login))
        .await
        .unwrap()
        .unwrap()
        .user
        .id
}

/// Waits until the page `browser` shows was replaced by a new one (after `action`).
async fn wait_for_new_page(browser: &Browser) {
    for _ in 0..100 {
        let loaded = browser
            .script(
                "return window.__previousPage === undefined && document.readyState === 'complete'",
            )
            .await;
        if loaded == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no new page loaded");
}

#[actix_web::test]
async fn a_lead_replies_from_the_item_view_and_the_mail_reaches_the_smtp_server() {
    let sink = SmtpSink::start(0);
    let folder = tempfile::tempdir().unwrap();
    let (store, router) = demo_store(folder.path()).await;
    let relay = plain_relay(sink.port);
    let queued = Arc::new(Notify::new());
    let composer = ReplyComposer::new(
        store.clone(),
        relay.clone(),
        TokenSecret::new(b"browser-test-secret"),
        queued.clone(),
    );
    tokio::spawn(outbox::run(store.clone(), relay, queued, None));
    let state =
        AppState::new(store.clone(), WebConfig::default()).with_outbound_mail(Arc::new(composer));
    let base = serve_state(state, router.as_router_handle());

    let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
    let mut email = None;
    for waiting in snapshot
        .items
        .iter()
        .filter(|i| i.channel == Channel::Email)
    {
        let item = store.item(waiting.item).await.unwrap().unwrap();
        if item
            .language
            .is_some_and(|language| language.as_str() == "nl")
        {
            email = Some(item);
            break;
        }
    }
    let email = email.unwrap_or_else(|| panic!("the demo has a Dutch e-mail"));
    let browser = Browser::start().await;
    sign_in(&browser, &base, "lead").await;
    browser
        .client
        .goto(&format!("{base}/items/{}", email.id))
        .await
        .unwrap();

    let subject = browser
        .script("return document.querySelector('input[name=subject]').value")
        .await;
    let subject = subject.as_str().unwrap().to_owned();
    assert!(subject.starts_with("Re: "), "{subject}");
    assert!(
        subject.contains(&format!("[{}-", email.id.reference())),
        "{subject}"
    );
    let preselected = text_of(&browser, "#reply-template option:checked").await;
    assert!(preselected.ends_with("(nl)"), "{preselected}");
    let text = browser
        .script("return document.querySelector('textarea[name=text]').value")
        .await;
    assert!(text.as_str().unwrap().starts_with("Beste klant,"), "{text}");

    // Another template: the page reloads with it (the script submits the picker).
    browser
        .script("window.__previousPage = true; return true")
        .await;
    choose(&browser, "#reply-template", "2").await;
    wait_for_new_page(&browser).await;
    let text = browser
        .script("return document.querySelector('textarea[name=text]').value")
        .await;
    let text = text.as_str().unwrap().to_owned();
    assert!(text.starts_with("Dear customer,"), "{text}");
    assert!(text.contains("> "), "the original is quoted: {text}");

    browser
        .fill(
            "text",
            "Dear customer,\n\nYour parcel arrives tomorrow before noon.\n\nKind regards",
        )
        .await;
    browser.screenshot("item-reply").await;
    browser.click_and_wait("#reply-send").await;
    assert_eq!(browser.path().await, format!("/items/{}", email.id));

    let deadline = Instant::now() + Duration::from_secs(30);
    let (envelope, raw) = loop {
        if let Some(message) = sink.messages().into_iter().next() {
            break message;
        }
        assert!(
            Instant::now() < deadline,
            "the SMTP server received nothing"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        raw.contains("Your parcel arrives tomorrow before noon."),
        "{raw}"
    );
    assert!(
        raw.contains(&format!("[{}-", email.id.reference())),
        "{raw}"
    );
    let recipient = email.sender.email.clone().unwrap();
    assert!(envelope.to_string().contains(&recipient), "{envelope}");

    // The item shows the message as sent once the outbox has sent it.
    let mut status = String::new();
    for _ in 0..50 {
        browser.client.refresh().await.unwrap();
        status = browser
            .script(
                "var b = document.querySelector('#outbound [data-status]'); \
                 return b ? b.getAttribute('data-status') : ''",
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if status == "sent" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, "sent");
    assert_eq!(
        store.outbound_of(email.id).await.unwrap()[0]
            .status
            .as_str(),
        "sent"
    );
    browser.screenshot("item-reply-sent").await;
    browser.close().await;
}
