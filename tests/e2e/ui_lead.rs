//! The lead board and the item view's reply form in process, on both databases: the board
//! shows queues, agents, charts and why items wait; its forms move, reassign and reprioritise
//! ticked items through the bulk path and set an agent's status; a reply is queued through the
//! API's path, refused replies keep what was typed, and the outbox's status and the relay's
//! answer show on the item.

use std::sync::Arc;

use actix_web::cookie::Cookie;
use actix_web::dev::Service;
use actix_web::http::StatusCode;
use actix_web::test;
use chrono::{Duration, Utc};
use switchboard_channels::reference_token::TokenSecret;
use switchboard_core::WorkItemId;
use switchboard_core::history::sample_slot;
use switchboard_core::item::{Channel, ItemStatus};
use switchboard_core::store::Store;
use switchboard_core::user::AgentStatus;
use switchboard_core::work::item_detail;
use switchboard_server::dispatch::{DispatchHandle, DispatchSettings};
use switchboard_server::mail::compose::ReplyComposer;
use switchboard_server::mail::{SmtpRelay, outbox};
use switchboard_tests::smtp_sink::{closed_port, plain_relay};
use switchboard_tests::ui_session::{UiSession, body_text, location};
use switchboard_tests::{stores, user_id};
use switchboard_web::{AppState, WebConfig, create_app};
use tokio::sync::Notify;

/// A demo store routed once with nobody available, so every item waits in its queue.
async fn demo(store: &Arc<dyn Store>) -> DispatchHandle {
    switchboard_server::demo::prepare(store).await.unwrap();
    let router = DispatchHandle::new(store.clone(), DispatchSettings::default());
    router.round().await.unwrap();
    router
}

/// A session cookie and CSRF token for the demo user `login`.
async fn session_of(store: &Arc<dyn Store>, login: &str) -> (Cookie<'static>, String) {
    let session = UiSession::open(store, user_id(store, login).await, login).await;
    (session.cookie(), session.csrf().to_owned())
}

async fn queue_of(store: &Arc<dyn Store>, item: WorkItemId) -> Option<String> {
    item_detail(store.as_ref(), item)
        .await
        .unwrap()
        .unwrap()
        .queue
}

#[actix_web::test]
async fn the_board_shows_why_items_wait_and_its_forms_rebalance_on_both_databases() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let router = demo(&store).await;
        let (cookie, csrf) = session_of(&store, "lead").await;
        let state = AppState::new(store.clone(), WebConfig::default());
        let handle = actix_web::web::Data::from(router.as_router_handle());
        let app = test::init_service(create_app(state).app_data(handle)).await;
        let get = |uri: &str| {
            test::TestRequest::get()
                .uri(uri)
                .cookie(cookie.clone())
                .insert_header(("Accept-Language", "en"))
                .to_request()
        };

        let page = app.call(get("/lead")).await.unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{label}");
        let html = body_text(page).await;
        for expected in [
            "Team board",
            "<td>inbox</td>",
            "id=\"chart-waiting\"",
            "id=\"chart-ages\"",
            "id=\"chart-load\"",
            "<rect",
            "No agent can take it now.",
            "away or offline: ",
            "name=\"csrf_token\" value=\"csrf-lead\"",
            "id=\"chart-backlog\"",
            "No samples yet",
            "id=\"chart-sla\"",
            "id=\"chart-assigned\"",
            "id=\"chart-handling\"",
        ] {
            assert!(html.contains(expected), "{label}: {expected} missing");
        }

        // The waiting list names each item's subject (escaped).
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let oldest = store.item(snapshot.items[0].item).await.unwrap().unwrap();
        let subject = oldest.subject.unwrap_or_default();
        assert!(
            !subject.is_empty(),
            "{label}: the demo's items have subjects"
        );
        let escaped = subject
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(
            html.contains(&format!("<span class=\"subject\">{escaped}</span>")),
            "{label}: {subject}"
        );

        // Three items waiting in the inbox move to the Dutch queue; an unknown item cannot.
        let queues = store.queue_settings().await.unwrap();
        let inbox = queues.iter().find(|queue| queue.name == "inbox").unwrap();
        let picked: Vec<WorkItemId> = snapshot
            .items
            .iter()
            .filter(|item| item.queue == Some(inbox.id))
            .take(3)
            .map(|item| item.item)
            .collect();
        assert_eq!(picked.len(), 3, "{label}");
        let mut form: Vec<(&str, String)> = picked
            .iter()
            .map(|item| ("items", item.get().to_string()))
            .collect();
        form.push(("items", "999999".into()));
        form.extend([
            ("csrf_token", csrf.clone()),
            ("action", "move".into()),
            ("queue", "inbound-nl".into()),
            ("agent", String::new()),
            ("priority", String::new()),
            ("reason", "Dutch desk is short today".into()),
        ]);
        let post = |uri: &str, form: &[(&str, String)]| {
            test::TestRequest::post()
                .uri(uri)
                .cookie(cookie.clone())
                .set_form(form)
                .to_request()
        };
        let moved = app.call(post("/lead/items", &form)).await.unwrap();
        assert_eq!(moved.status(), StatusCode::SEE_OTHER, "{label}");
        let back = location(&moved);
        assert!(back.starts_with("/lead?done=move&ok=3&total=4"), "{back}");
        for item in &picked {
            assert_eq!(
                queue_of(&store, *item).await.as_deref(),
                Some("inbound-nl"),
                "{label}"
            );
        }
        let html = body_text(app.call(get(&back)).await.unwrap()).await;
        assert!(
            html.contains("Move to queue: 3 of 4 items changed."),
            "{label}"
        );
        assert!(
            html.contains("SB-999999"),
            "{label}: the failed item is named"
        );

        // The same through the form in Dutch: a new priority; nothing ticked is refused.
        let mut priority = vec![("items", picked[0].get().to_string())];
        priority.extend([
            ("csrf_token", csrf.clone()),
            ("action", "priority".into()),
            ("priority", "7".into()),
        ]);
        let set = app.call(post("/lead/items", &priority)).await.unwrap();
        assert_eq!(set.status(), StatusCode::SEE_OTHER);
        assert_eq!(store.item(picked[0]).await.unwrap().unwrap().priority, 7);
        let nothing = [("csrf_token", csrf.clone()), ("action", "move".into())];
        let refused = app.call(post("/lead/items", &nothing)).await.unwrap();
        assert_eq!(location(&refused), "/lead?problem=select");
        let missing_queue = [
            ("csrf_token", csrf.clone()),
            ("action", "move".into()),
            ("items", picked[1].get().to_string()),
        ];
        let refused = app.call(post("/lead/items", &missing_queue)).await.unwrap();
        assert!(location(&refused).contains("problem="), "{label}");
        assert_eq!(
            queue_of(&store, picked[1]).await.as_deref(),
            Some("inbound-nl")
        );

        // Reassigning gives the items to the agent, recorded as the lead's override.
        let reassign = [
            ("csrf_token", csrf.clone()),
            ("action", "reassign".into()),
            ("agent", "agent".into()),
            ("items", picked[2].get().to_string()),
        ];
        let done = app.call(post("/lead/items", &reassign)).await.unwrap();
        assert!(location(&done).contains("ok=1"), "{label}");
        let stored = store.item(picked[2]).await.unwrap().unwrap();
        assert_eq!(stored.status, ItemStatus::Assigned, "{label}");
        let html = body_text(app.call(get("/lead")).await.unwrap()).await;
        assert!(
            html.contains(&format!("value=\"{}\" form=\"rebalance\"", picked[2].get())),
            "{label}: the agent's current items can be ticked"
        );

        // With a backlog sample and the assignment, the history charts draw them.
        let slot = sample_slot(Utc::now(), Duration::minutes(5));
        store.record_backlog_sample(slot).await.unwrap();
        let html = body_text(app.call(get("/lead")).await.unwrap()).await;
        let section = |id: &str| {
            let start = html.find(&format!("id=\"{id}\"")).unwrap();
            let end = html[start..].find("</figure>").unwrap();
            html[start..start + end].to_owned()
        };
        let backlog = section("chart-backlog");
        assert!(
            backlog.contains("<polyline points=\""),
            "{label}: {backlog}"
        );
        assert!(backlog.contains("class=\"line line-email\""), "{label}");
        let assigned = section("chart-assigned");
        assert!(assigned.contains(">agent</text>"), "{label}: {assigned}");
        assert!(
            assigned.contains(">1 (0 done)</text>"),
            "{label}: {assigned}"
        );

        // An agent set away from the board.
        let status = [
            ("csrf_token", csrf.clone()),
            ("login", "agent".into()),
            ("status", "away".into()),
        ];
        let set = app
            .call(post("/lead/agents/status", &status))
            .await
            .unwrap();
        assert_eq!(set.status(), StatusCode::SEE_OTHER, "{label}");
        let agents = store.routing_snapshot(Utc::now()).await.unwrap().agents;
        let agent = agents.iter().find(|a| a.login.as_str() == "agent").unwrap();
        assert_eq!(agent.status, AgentStatus::Away, "{label}");
        let html = body_text(app.call(get(&location(&set))).await.unwrap()).await;
        assert!(html.contains("agent is now away."), "{label}");

        // Dutch texts.
        let dutch_page = test::TestRequest::get()
            .uri("/lead")
            .cookie(cookie.clone())
            .insert_header(("Accept-Language", "nl"))
            .to_request();
        let html = body_text(app.call(dutch_page).await.unwrap()).await;
        assert!(html.contains("Teambord") && html.contains("Wachtende items"));
    }
}

#[actix_web::test]
async fn a_reply_from_the_item_view_is_queued_and_its_relay_answer_shown() {
    let folder = tempfile::tempdir().unwrap();
    let store = switchboard_store::open(&switchboard_store::testing::sqlite_url(folder.path()))
        .await
        .unwrap();
    demo(&store).await;
    let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
    let email = snapshot
        .items
        .iter()
        .find(|item| item.channel == Channel::Email)
        .unwrap()
        .item;
    let stored = store.item(email).await.unwrap().unwrap();
    let (lead, lead_csrf) = session_of(&store, "lead").await;
    let (agent, agent_csrf) = session_of(&store, "agent").await;

    // Without a relay the form says so, and a send keeps the text.
    let plain = test::init_service(create_app(AppState::new(
        store.clone(),
        WebConfig::default(),
    )))
    .await;
    let page = test::TestRequest::get()
        .uri(&format!("/items/{email}"))
        .cookie(lead.clone())
        .to_request();
    let html = body_text(plain.call(page).await.unwrap()).await;
    assert!(html.contains("Replies need an SMTP relay"));
    let form = [
        ("csrf_token", lead_csrf.clone()),
        ("subject", "Re: levering".into()),
        ("text", "Uw pakket komt morgen.".into()),
        ("cc", String::new()),
    ];
    let send = |cookie: &Cookie<'static>, form: &[(&str, String)]| {
        test::TestRequest::post()
            .uri(&format!("/items/{email}/reply"))
            .cookie(cookie.clone())
            .set_form(form)
            .to_request()
    };
    let refused = plain.call(send(&lead, &form)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let html = body_text(refused).await;
    assert!(html.contains("The reply was not sent:"));
    assert!(html.contains("Uw pakket komt morgen."), "the text is kept");

    // With a relay that is down: queued, then failed with the relay's answer on the item.
    let relay = SmtpRelay {
        max_attempts: 1,
        from_name: None,
        ..plain_relay(closed_port())
    };
    let composer = ReplyComposer::new(
        store.clone(),
        relay.clone(),
        TokenSecret::new(b"test-secret"),
        Arc::new(Notify::new()),
    );
    let state =
        AppState::new(store.clone(), WebConfig::default()).with_outbound_mail(Arc::new(composer));
    let app = test::init_service(create_app(state)).await;
    let page = test::TestRequest::get()
        .uri(&format!("/items/{email}"))
        .cookie(lead.clone())
        .to_request();
    let html = body_text(app.call(page).await.unwrap()).await;
    let language = stored.language.unwrap().as_str();
    assert!(
        html.contains("[SB-"),
        "the subject carries the reference token"
    );
    assert!(
        html.contains(&format!("({language})\" selected"))
            || html.contains(&format!("({language})</option>")),
        "a template in the item's language"
    );
    let first_line = stored.text.lines().next().unwrap();
    assert!(
        html.contains(&format!("&#62; {first_line}")),
        "the original is quoted"
    );

    // The agent who does not hold the item gets no form and is refused.
    let page = test::TestRequest::get()
        .uri(&format!("/items/{email}"))
        .cookie(agent.clone())
        .to_request();
    let html = body_text(app.call(page).await.unwrap()).await;
    assert!(!html.contains("id=\"reply-send\""));
    let mut agent_form = form.to_vec();
    agent_form[0].1 = agent_csrf;
    let refused = app.call(send(&agent, &agent_form)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(store.outbound_of(email).await.unwrap().is_empty());

    // An empty text is refused with the subject kept.
    let empty = [
        ("csrf_token", lead_csrf.clone()),
        ("subject", "Mijn onderwerp".into()),
        ("text", "   ".into()),
    ];
    let refused = app.call(send(&lead, &empty)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        body_text(refused)
            .await
            .contains("value=\"Mijn onderwerp\"")
    );

    let sent = app.call(send(&lead, &form)).await.unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&sent),
        format!("/items/{email}?replied=1#outbound")
    );
    let queued = store.outbound_of(email).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert!(
        queued[0].subject.starts_with("Re: levering [SB-"),
        "{}",
        queued[0].subject
    );
    let page = test::TestRequest::get()
        .uri(&format!("/items/{email}?replied=1"))
        .cookie(lead.clone())
        .to_request();
    let html = body_text(app.call(page).await.unwrap()).await;
    assert!(html.contains("data-status=\"pending\">queued"));

    let transport = outbox::transport(&relay).unwrap();
    outbox::send_due(store.as_ref(), &transport, &relay.retry_policy())
        .await
        .unwrap();
    let failed = store.outbound_of(email).await.unwrap();
    assert_eq!(failed[0].status.as_str(), "failed");
    let answer = failed[0].last_error.clone().unwrap();
    let page = test::TestRequest::get()
        .uri(&format!("/items/{email}"))
        .cookie(lead.clone())
        .to_request();
    let html = body_text(app.call(page).await.unwrap()).await;
    assert!(html.contains("data-status=\"failed\">failed"));
    assert!(html.contains("class=\"relay-answer\""));
    let plain: String = answer
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == ' ')
        .collect();
    assert!(
        plain.len() > 5 && html.contains(&plain),
        "the relay's answer {answer} is shown"
    );
}
