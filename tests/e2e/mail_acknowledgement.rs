//! Automatic acknowledgements end to end, with a real Dovecot mailbox and a real SMTP server:
//! a customer's message gets one in their language with `Auto-Submitted: auto-replied`; a copy
//! of the same message (sent to several of our mailboxes) gets none; auto-replies and list mail
//! get none; a second message from the same sender within the window gets none, also after a
//! restart (the limit is counted from the stored outbox).

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_channels::reference_token::TokenSecret;
use switchboard_core::store::Store;
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

/// Starts reading the mailbox with acknowledgements, and the outbox sender; returns both tasks.
fn start(
    dovecot: &Dovecot,
    sink: &SmtpSink,
    store: &Arc<dyn Store>,
    pipeline: &Arc<Pipeline>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let relay = SmtpRelay {
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
    };
    let queued = Arc::new(Notify::new());
    let acknowledger = Acknowledger::new(
        store.clone(),
        relay.clone(),
        TokenSecret::new(b"test-reference-secret".as_slice()),
        Default::default(),
        vec!["klantenservice@velora.example.nl".into()],
        queued.clone(),
    );
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
