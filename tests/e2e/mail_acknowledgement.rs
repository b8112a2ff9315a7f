//! Automatic acknowledgements end to end, with a real Dovecot mailbox and a real SMTP server:
//! a customer's message gets one in their language with `Auto-Submitted: auto-replied`; a copy
//! of the same message (sent to several of our mailboxes) gets none; auto-replies and list mail
//! get none; a second message from the same sender within the window gets none, also after a
//! restart (the limit is counted from the stored outbox).

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_channels::reference_token::TokenSecret;
use switchboard_core::store::Store;
use switchboard_server::mail::acknowledge::AcknowledgementSettings;
use switchboard_server::mail::compose::Acknowledger;
use switchboard_server::mail::{ProcessedAction, Security, SmtpRelay, imap, outbox};
use switchboard_server::pipeline::Pipeline;
use switchboard_tests::corpus_pipeline;
use switchboard_tests::dovecot::Dovecot;
use switchboard_tests::smtp_sink::SmtpSink;
use tokio::sync::Notify;

fn message(from: &str, id: &str, extra: &str, subject: &str, text: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: klantenservice@velora.example.nl\r\nSubject: {subject}\r\n\
         Message-ID: <{id}>\r\nDate: Mon, 3 Mar 2025 09:00:00 +0100\r\n{extra}\r\n{text}\r\n"
    )
    .into_bytes()
}

/// The relay of the SMTP sink.
fn relay(sink: &SmtpSink) -> SmtpRelay {
    SmtpRelay {
        host: "127.0.0.1".into(),
        port: Some(sink.port),
        security: Security::Plain,
        user: None,
        password: None,
        from: "klantenservice@velora.example.nl".into(),
        from_name: None,
        max_attempts: 3,
        first_retry_seconds: 0,
        max_retry_seconds: 0,
    }
}

/// An acknowledger sending through the sink's relay, and the notifier that wakes its sender.
fn acknowledger(
    sink: &SmtpSink,
    store: &Arc<dyn Store>,
    settings: AcknowledgementSettings,
) -> (Acknowledger, Arc<Notify>) {
    let queued = Arc::new(Notify::new());
    let acknowledger = Acknowledger::new(
        store.clone(),
        relay(sink),
        TokenSecret::new(b"test-reference-secret".as_slice()),
        settings,
        vec!["klantenservice@velora.example.nl".into()],
        queued.clone(),
    );
    (acknowledger, queued)
}

/// Starts reading the mailbox with acknowledgements, and the outbox sender; returns both tasks.
fn start(
    dovecot: &Dovecot,
    sink: &SmtpSink,
    store: &Arc<dyn Store>,
    pipeline: &Arc<Pipeline>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let relay = relay(sink);
    let (acknowledger, queued) = acknowledger(sink, store, Default::default());
    let mut account = dovecot.account(ProcessedAction::default());
    account.acknowledge = true;
    vec![
        tokio::spawn(imap::run(
            account,
            pipeline.clone(),
            Some(Arc::new(acknowledger)),
            None,
        )),
        tokio::spawn(outbox::run(store.clone(), relay, queued, None)),
    ]
}

async fn settle(dovecot: &Dovecot, store: &Arc<dyn Store>, items: i64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while store.count_items().await.unwrap() < items
        || dovecot.count("INBOX", "UNKEYWORD $Switchboard").await > 0
    {
        assert!(Instant::now() < deadline, "the mailbox was not read");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give the outbox worker time to send whatever was queued (it wakes at once).
    tokio::time::sleep(Duration::from_millis(1500)).await;
}

#[tokio::test]
async fn acknowledgements_answer_customers_once_and_never_robots_or_lists() {
    let dovecot = Dovecot::start().await;
    let sink = SmtpSink::start(0);
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let pipeline = Arc::new(pipeline);

    let anna = message(
        "Anna de Vries <anna@salon.example.nl>",
        "a1@salon.example.nl",
        "",
        "Vraag over mijn levering",
        "Waar blijft mijn levering? Ik heb vorige week besteld en nog niets ontvangen.",
    );
    let bob = message(
        "Bob Smith <bob@shop.example.com>",
        "b1@shop.example.com",
        "",
        "Question about my order",
        "Where is my order? I ordered last week and nothing has arrived yet.",
    );
    let robot = message(
        "Kees <kees@example.nl>",
        "r1@example.nl",
        "Auto-Submitted: auto-replied\r\n",
        "Automatisch antwoord: Vraag",
        "Ik ben afwezig tot maandag.",
    );
    let list = message(
        "Nieuwsbrief <news@beurs.example.nl>",
        "n1@beurs.example.nl",
        "List-Id: <nieuws.beurs.example.nl>\r\nPrecedence: bulk\r\n",
        "Beursnieuws maart",
        "Het laatste nieuws van de beurs.",
    );
    // The same message reaches a second of our mailboxes: one item, one acknowledgement.
    dovecot
        .append("INBOX", &[anna.clone(), robot, list, anna, bob])
        .await;
    let tasks = start(&dovecot, &sink, &store, &pipeline);
    settle(&dovecot, &store, 4).await;
    let sent = sink.messages();
    let recipients: Vec<String> = sent
        .iter()
        .map(|(envelope, _)| envelope["to"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        recipients,
        ["anna@salon.example.nl", "bob@shop.example.com"],
        "one acknowledgement per customer message, none for robots and lists"
    );
    for (_, raw) in &sent {
        assert!(raw.contains("Auto-Submitted: auto-replied"), "{raw}");
        assert!(
            raw.contains("[SB-"),
            "reference token in the subject: {raw}"
        );
    }
    assert!(
        sent[0]
            .1
            .contains("Subject: Ontvangen: Vraag over mijn levering"),
        "{}",
        sent[0].1
    );
    assert!(
        sent[1]
            .1
            .contains("Subject: Received: Question about my order"),
        "{}",
        sent[1].1
    );
    for task in tasks {
        task.abort();
    }

    // After a restart Anna writes again within the window: no second acknowledgement.
    let again = message(
        "Anna de Vries <anna@salon.example.nl>",
        "a2@salon.example.nl",
        "",
        "Nog een vraag",
        "Kunt u ook de factuur opnieuw sturen? Ik kan hem niet meer vinden.",
    );
    dovecot.append("INBOX", &[again]).await;
    let tasks = start(&dovecot, &sink, &store, &pipeline);
    settle(&dovecot, &store, 5).await;
    assert_eq!(
        sink.messages().len(),
        2,
        "rate-limited per sender across restarts"
    );
    for task in tasks {
        task.abort();
    }
}

/// Waits until the sink has received `count` messages (or the time is up).
async fn received(sink: &SmtpSink, count: usize) -> Vec<(serde_json::Value, String)> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.messages().len() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Anything more would arrive at once: the sender is woken per queued message.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sink.messages()
}

#[actix_web::test]
async fn http_intake_and_drop_folders_acknowledge_per_recipient_mailbox_once_per_item() {
    let sink = SmtpSink::start(0);
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let settings = AcknowledgementSettings {
        mailboxes: vec!["orders@velora.example.nl".into()],
        ..AcknowledgementSettings::default()
    };
    let (acknowledger, queued) = acknowledger(&sink, &store, settings);
    let pipeline = Arc::new(pipeline.acknowledging(Arc::new(acknowledger)));
    let sender = tokio::spawn(outbox::run(store.clone(), relay(&sink), queued, None));

    // HTTP intake: a customer's message to orders@ is acknowledged, even sent twice.
    let agent = switchboard_tests::token(&store, switchboard_core::user::Role::Agent).await;
    let state = switchboard_web::AppState::new(store.clone(), Default::default())
        .with_ingestor(pipeline.clone());
    let app = actix_web::test::init_service(switchboard_web::create_app(state)).await;
    let to_orders = String::from_utf8(message(
        "Anna de Vries <anna@salon.example.nl>",
        "h1@salon.example.nl",
        "",
        "Bestelling 4500012345",
        "Graag nog 12 stuks van de shampoo leveren op ons winkeladres.",
    ))
    .unwrap()
    .replace("To: klantenservice@", "To: orders@")
    .into_bytes();
    for _ in 0..2 {
        let request = actix_web::test::TestRequest::post()
            .uri("/api/v1/inbound/email")
            .insert_header(("Authorization", format!("Bearer {agent}")))
            .set_payload(to_orders.clone())
            .to_request();
        let response = actix_web::test::call_service(&app, request).await;
        assert_eq!(response.status(), 202);
    }

    // Drop folder: delivered to orders@ behind a hidden recipient list (acknowledged), a
    // message to a mailbox without acknowledgements (none), and an auto-reply (none).
    let watched = tempfile::tempdir().unwrap();
    let mut watcher = switchboard_server::watch::FolderWatcher::new(
        switchboard_server::watch::WatchFolder {
            path: watched.path().to_path_buf(),
            channel: switchboard_core::item::Channel::Email,
            settle_seconds: 0,
            poll_seconds: 1,
        },
        pipeline.clone(),
    )
    .unwrap();
    let inbox = watcher.layout().inbox.clone();
    let delivered = String::from_utf8(message(
        "Bob Smith <bob@shop.example.com>",
        "d1@shop.example.com",
        "Delivered-To: orders@velora.example.nl\r\n",
        "Order 4500012399",
        "Please send another 20 boxes of the hand cream to our shop.",
    ))
    .unwrap()
    .replace(
        "To: klantenservice@velora.example.nl",
        "To: undisclosed-recipients:;",
    );
    let elsewhere = message(
        "Carla Jansen <carla@kapper.example.nl>",
        "k1@kapper.example.nl",
        "",
        "Vraag over levering",
        "Wanneer wordt mijn bestelling geleverd? Ik wacht al een week.",
    );
    let robot = String::from_utf8(message(
        "Kees <kees@example.nl>",
        "r9@example.nl",
        "Auto-Submitted: auto-replied\r\n",
        "Automatisch antwoord: Bestelling",
        "Ik ben afwezig tot maandag.",
    ))
    .unwrap()
    .replace("To: klantenservice@", "To: orders@");
    std::fs::write(inbox.join("1.eml"), delivered).unwrap();
    std::fs::write(inbox.join("2.eml"), elsewhere).unwrap();
    std::fs::write(inbox.join("3.eml"), robot).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.count_items().await.unwrap() < 4 {
        assert!(Instant::now() < deadline, "the drop folder was not read");
        watcher.scan_once().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let sent = received(&sink, 2).await;
    let recipients: Vec<&str> = sent
        .iter()
        .map(|(envelope, _)| envelope["to"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        recipients,
        ["anna@salon.example.nl", "bob@shop.example.com"],
        "one acknowledgement per item addressed to orders@, none elsewhere or to robots"
    );
    for (_, raw) in &sent {
        assert!(raw.contains("Auto-Submitted: auto-replied"), "{raw}");
    }
    sender.abort();
}
