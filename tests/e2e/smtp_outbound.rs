//! Replies by e-mail against a real SMTP server (aiosmtpd): the reply is queued by the API,
//! sent by the outbox worker after the server's temporary failures, carries the thread headers
//! and the signed reference, is listed on the item, and the customer's answer to it threads back
//! to the item. A relay that keeps refusing ends in a failed message shown on the item.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::test;
use switchboard_channels::reference_token::TokenSecret;
use switchboard_core::item::Channel;
use switchboard_core::store::Store;
use switchboard_core::user::Role;
use switchboard_server::mail::compose::ReplyComposer;
use switchboard_server::mail::{SmtpRelay, outbox};
use switchboard_server::pipeline::{IngestOutcome, Pipeline};
use switchboard_tests::smtp_sink::{SmtpSink, plain_relay};
use switchboard_tests::{corpus_pipeline, token};
use switchboard_web::{AppState, WebConfig, create_app};
use tokio::sync::Notify;

const QUESTION: &str = "From: Anna de Vries <anna@salon.example.nl>\r\n\
    To: klantenservice@velora.example.nl\r\nSubject: Vraag over mijn levering\r\n\
    Message-ID: <q1@salon.example.nl>\r\nReferences: <older@salon.example.nl>\r\n\
    Date: Mon, 3 Mar 2025 09:00:00 +0100\r\n\r\nWaar blijft mijn levering?\r\n";

/// The secret `velora_config` signs references with.
const SECRET: &[u8] = b"test-reference-secret";

fn relay(sink: &SmtpSink, max_attempts: i32) -> SmtpRelay {
    SmtpRelay {
        max_attempts,
        ..plain_relay(sink.port)
    }
}

async fn ingest(pipeline: &Pipeline, raw: &str) -> switchboard_core::WorkItemId {
    let outcome = pipeline
        .ingest_raw(Channel::Email, "test", raw.as_bytes().to_vec())
        .await
        .unwrap();
    match outcome {
        IngestOutcome::Ingested { item, .. } => item,
        other => panic!("not ingested: {other:?}"),
    }
}

/// The app with replies through `relay`, and the outbox worker sending to it.
fn replying_state(store: &Arc<dyn Store>, relay: SmtpRelay) -> AppState {
    let queued = Arc::new(Notify::new());
    let composer = ReplyComposer::new(
        store.clone(),
        relay.clone(),
        TokenSecret::new(SECRET),
        queued.clone(),
    );
    tokio::spawn(outbox::run(store.clone(), relay, queued, None));
    AppState::new(store.clone(), WebConfig::default()).with_outbound_mail(Arc::new(composer))
}

async fn wait_for_status(store: &Arc<dyn Store>, item: switchboard_core::WorkItemId, status: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let outbound = store.outbound_of(item).await.unwrap();
        if outbound
            .first()
            .is_some_and(|message| message.status.as_str() == status)
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "outbound never {status}: {outbound:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn header<'a>(raw: &'a str, name: &str) -> &'a str {
    let prefix = format!("{name}: ");
    raw.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no {name} header in {raw}"))
}

#[actix_web::test]
async fn a_reply_is_retried_after_temporary_failures_and_the_customers_answer_threads_back() {
    let sink = SmtpSink::start(2);
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let item = ingest(&pipeline, QUESTION).await;
    let lead = token(&store, Role::Lead).await;
    let app = test::init_service(create_app(replying_state(&store, relay(&sink, 5)))).await;
    let reply = |body: serde_json::Value, token: Option<&str>| {
        let mut request = test::TestRequest::post()
            .uri(&format!("/api/v1/items/{}/reply", item.get()))
            .set_json(body);
        if let Some(token) = token {
            request = request.insert_header(("Authorization", format!("Bearer {token}")));
        }
        request.to_request()
    };

    let anonymous = test::call_service(&app, reply(serde_json::json!({"text": "Hoi"}), None)).await;
    assert_eq!(anonymous.status(), 401);
    let empty =
        test::call_service(&app, reply(serde_json::json!({"text": "  "}), Some(&lead))).await;
    assert_eq!(empty.status(), 400);
    let bad_cc = serde_json::json!({"text": "Hoi", "cc": ["not an address"]});
    assert_eq!(
        test::call_service(&app, reply(bad_cc, Some(&lead)))
            .await
            .status(),
        400
    );

    let body = serde_json::json!({
        "text": "Beste Anna,\n\nUw levering komt morgen.\n\nGroet, Velora",
        "cc": ["inkoop@salon.example.nl"],
    });
    let response = test::call_service(&app, reply(body, Some(&lead))).await;
    assert_eq!(response.status(), 202);
    let queued: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(queued["status"], "pending", "{queued}");

    wait_for_status(&store, item, "sent").await;
    let outbound = store.outbound_of(item).await.unwrap();
    assert_eq!(outbound.len(), 1);
    assert_eq!(outbound[0].attempts, 3, "two 451 answers, then accepted");

    let messages = sink.messages();
    assert_eq!(messages.len(), 1, "sent exactly once");
    let (envelope, raw) = &messages[0];
    assert_eq!(envelope["from"], "klantenservice@velora.example.nl");
    assert_eq!(
        envelope["to"],
        serde_json::json!(["anna@salon.example.nl", "inkoop@salon.example.nl"])
    );
    assert!(header(raw, "From").contains("<klantenservice@velora.example.nl>"));
    assert_eq!(header(raw, "In-Reply-To"), "<q1@salon.example.nl>");
    assert_eq!(
        header(raw, "References"),
        "<older@salon.example.nl> <q1@salon.example.nl>"
    );
    let subject = header(raw, "Subject");
    let token = switchboard_channels::reference_token::sign(item, SECRET);
    assert_eq!(subject, format!("Re: Vraag over mijn levering {token}"));
    let message_id = header(raw, "Message-ID");
    assert!(
        message_id.starts_with(&format!("<sb.{:06}.", item.get())),
        "{message_id}"
    );

    // The listing on the item shows what went out.
    let listing = test::call_service(
        &app,
        test::TestRequest::get()
            .uri(&format!("/api/v1/items/{}/outbound", item.get()))
            .insert_header(("Authorization", format!("Bearer {lead}")))
            .to_request(),
    )
    .await;
    assert_eq!(listing.status(), 200);
    let listed: serde_json::Value = test::read_body_json(listing).await;
    assert_eq!(listed[0]["status"], "sent");
    assert_eq!(listed[0]["subject"], subject);

    // The customer answers from a mail program that drops In-Reply-To: References still carry
    // our Message-ID, whose signed token names the item.
    let answer = format!(
        "From: Anna de Vries <anna@salon.example.nl>\r\nTo: klantenservice@velora.example.nl\r\n\
         Subject: {subject}\r\nMessage-ID: <a1@salon.example.nl>\r\nReferences: {message_id}\r\n\
         Date: Tue, 4 Mar 2025 10:00:00 +0100\r\n\r\nDank u, tot morgen.\r\n"
    );
    let answered = ingest(&pipeline, &answer).await;
    let stored = store.item(answered).await.unwrap().unwrap();
    assert_eq!(
        stored.parent_id,
        Some(item),
        "the answer threads back to the item"
    );
}

#[actix_web::test]
async fn a_relay_that_keeps_refusing_leaves_a_failed_message_on_the_item() {
    let sink = SmtpSink::start(1_000);
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let item = ingest(&pipeline, QUESTION).await;
    let lead = token(&store, Role::Lead).await;
    let app = test::init_service(create_app(replying_state(&store, relay(&sink, 3)))).await;
    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri(&format!("/api/v1/items/{}/reply", item.get()))
            .insert_header(("Authorization", format!("Bearer {lead}")))
            .set_json(serde_json::json!({"text": "Uw levering komt morgen."}))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), 202);
    wait_for_status(&store, item, "failed").await;
    let outbound = store.outbound_of(item).await.unwrap();
    assert_eq!(outbound[0].attempts, 3);
    let error = outbound[0].last_error.as_deref().unwrap();
    assert!(error.contains("451"), "{error}");
    assert!(sink.messages().is_empty());
}

#[actix_web::test]
async fn without_an_smtp_relay_replies_are_refused_with_503() {
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let item = ingest(&pipeline, QUESTION).await;
    let lead = token(&store, Role::Lead).await;
    let app = test::init_service(create_app(AppState::new(store, WebConfig::default()))).await;
    let response = test::call_service(
        &app,
        test::TestRequest::post()
            .uri(&format!("/api/v1/items/{}/reply", item.get()))
            .insert_header(("Authorization", format!("Bearer {lead}")))
            .set_json(serde_json::json!({"text": "Hoi"}))
            .to_request(),
    )
    .await;
    assert_eq!(response.status(), 503);
}

/// The outbox port on every configured database: queue (with the owner check), due, failed
/// attempts with retry times, sent, listing.
#[tokio::test]
async fn the_outbox_keeps_attempts_and_outcomes_on_every_database() {
    use chrono::{TimeDelta, Utc};
    use switchboard_core::event::Actor;
    use switchboard_core::outbox::{NewOutbound, OutboundKind, OutboundStatus};
    use switchboard_core::work::Worker;

    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in switchboard_tests::stores(folder.path()).await {
        let item = crate::store_routing::queued_item(&store, "outbox").await;
        let reply = NewOutbound {
            item,
            kind: OutboundKind::Reply,
            message_id: format!("sb.{label}@velora.example.nl"),
            mail_from: "klantenservice@velora.example.nl".into(),
            recipients: vec!["anna@salon.example.nl".into()],
            subject: "Re: vraag".into(),
            body: "Morgen.".into(),
            raw: b"Subject: Re: vraag\r\n\r\nMorgen.\r\n".to_vec(),
        };
        let stranger = Worker {
            actor: Actor::Token {
                name: "agent".into(),
            },
            name: "agent".into(),
            agent: None,
            lead: false,
        };
        let now = Utc::now();
        let refused = store.queue_reply(&reply, &stranger, now).await;
        assert!(
            refused.is_err(),
            "{label}: only the owner or a lead replies"
        );
        let lead = Worker {
            lead: true,
            name: "lead".into(),
            ..stranger
        };
        let queued = store.queue_reply(&reply, &lead, now).await.unwrap();
        assert_eq!(queued.status, OutboundStatus::Pending, "{label}");
        assert_eq!(queued.author_name.as_deref(), Some("lead"));
        let due = store.due_outbound(now, 10).await.unwrap();
        assert_eq!(due.len(), 1, "{label}");
        assert_eq!(due[0].raw, reply.raw);
        let later = now + TimeDelta::minutes(5);
        store
            .outbound_attempt_failed(queued.id, "451 busy", Some(later), now)
            .await
            .unwrap();
        assert!(
            store.due_outbound(now, 10).await.unwrap().is_empty(),
            "{label}: waits"
        );
        assert_eq!(store.due_outbound(later, 10).await.unwrap().len(), 1);
        store.outbound_sent(queued.id, later).await.unwrap();
        let listed = store.outbound_of(item).await.unwrap();
        assert_eq!(listed[0].status, OutboundStatus::Sent, "{label}");
        assert_eq!(listed[0].attempts, 2);
        assert!(store.due_outbound(later, 10).await.unwrap().is_empty());
    }
}
