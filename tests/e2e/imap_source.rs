//! The IMAP source against a real Dovecot: every message becomes exactly one item and is marked
//! processed, IDLE delivers without polling delay, a restart duplicates nothing, moved messages
//! end up in their folder, and the corpus' threads come out as in `truth.jsonl`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::item::Channel;
use switchboard_server::mail::{ImapAccount, ProcessedAction, imap};
use switchboard_server::pipeline::landing;
use switchboard_tests::dovecot::Dovecot;
use switchboard_tests::{corpus_files, corpus_pipeline, truth_rows, wait_for_items};
use tokio::task::JoinHandle;

const UNPROCESSED: &str = "UNKEYWORD $Switchboard";

fn consumer(
    account: ImapAccount,
    pipeline: &Arc<switchboard_server::pipeline::Pipeline>,
) -> JoinHandle<()> {
    tokio::spawn(imap::run(account, pipeline.clone(), None, None))
}

async fn wait_for_count(dovecot: &Dovecot, folder: &str, query: &str, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while dovecot.count(folder, query).await != expected {
        assert!(
            Instant::now() < deadline,
            "{folder} {query} never reached {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn corpus_over_imap_gives_one_item_per_message_with_truths_threads_and_no_duplicates_on_restart()
 {
    let dovecot = Dovecot::start().await;
    let files = corpus_files("dev/email");
    let messages: Vec<Vec<u8>> = files
        .iter()
        .map(|file| std::fs::read(file).unwrap())
        .collect();
    dovecot.append("INBOX", &messages).await;
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let pipeline = Arc::new(pipeline);
    let account = dovecot.account(ProcessedAction::default());

    let first = consumer(account.clone(), &pipeline);
    wait_for_items(&store, messages.len() as i64, Duration::from_secs(180)).await;
    wait_for_count(&dovecot, "INBOX", UNPROCESSED, 0).await;
    first.abort();

    // A restart reads the mailbox again: nothing is taken twice, and new mail still comes in.
    let second = consumer(account, &pipeline);
    let late = b"From: late@example.nl\r\nTo: klantenservice@velora.example.nl\r\n\
        Subject: Nog een vraag\r\nMessage-ID: <late-1@example.nl>\r\n\r\nWaar blijft mijn pakket?\r\n";
    dovecot.append("INBOX", &[late.to_vec()]).await;
    wait_for_items(&store, messages.len() as i64 + 1, Duration::from_secs(30)).await;
    wait_for_count(&dovecot, "INBOX", UNPROCESSED, 0).await;
    second.abort();
    assert_eq!(
        store.count_items().await.unwrap(),
        messages.len() as i64 + 1
    );

    // Threads: each item's parent is the message truth.jsonl names.
    let file_of: HashMap<String, String> = files
        .iter()
        .zip(&messages)
        .map(|(file, raw)| {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            (landing::keys(Channel::Email, raw).idem_key, name)
        })
        .collect();
    let truth = truth_rows("email");
    let exported = store.export_items(None, 10_000, false).await.unwrap();
    let file_by_id: HashMap<i64, &String> = exported
        .iter()
        .filter_map(|item| Some((item.id, file_of.get(&item.source)?)))
        .collect();
    let (mut compared, mut agree) = (0, 0);
    for item in &exported {
        let Some(file) = file_by_id.get(&item.id) else {
            continue;
        };
        let expected = truth[file.as_str()]["thread_parent"]
            .as_str()
            .map(|parent| parent.rsplit('/').next().unwrap().to_owned());
        let parent = item
            .parent_id
            .and_then(|id| file_by_id.get(&id).map(|f| f.to_string()));
        compared += 1;
        agree += usize::from(parent == expected);
    }
    assert!(
        compared >= messages.len() * 95 / 100,
        "only {compared} compared"
    );
    let agreement = agree as f64 / compared as f64;
    println!("imap thread parent agreement {agreement:.3} over {compared} messages");
    assert!(agreement >= 0.98, "thread parents agree on {agreement:.3}");
}

#[tokio::test]
async fn a_message_appended_while_idle_arrives_without_waiting_for_a_poll() {
    let dovecot = Dovecot::start().await;
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let pipeline = Arc::new(pipeline);
    let mut account = dovecot.account(ProcessedAction::default());
    account.poll_seconds = 600;
    let first = std::fs::read(&corpus_files("dev/email")[0]).unwrap();
    dovecot.append("INBOX", &[first]).await;
    let running = consumer(account, &pipeline);
    wait_for_items(&store, 1, Duration::from_secs(30)).await;
    // The consumer now idles; a poll would come only after ten minutes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = std::fs::read(&corpus_files("dev/email")[1]).unwrap();
    let appended = Instant::now();
    dovecot.append("INBOX", &[second]).await;
    wait_for_items(&store, 2, Duration::from_secs(5)).await;
    println!("idle delivery took {:?}", appended.elapsed());
    running.abort();
}

#[tokio::test]
async fn processed_messages_are_moved_to_the_configured_folder() {
    let dovecot = Dovecot::start().await;
    dovecot.create_folder("Switchboard").await;
    let messages: Vec<Vec<u8>> = corpus_files("dev/email")
        .iter()
        .take(5)
        .map(|file| std::fs::read(file).unwrap())
        .collect();
    dovecot.append("INBOX", &messages).await;
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let pipeline = Arc::new(pipeline);
    let account = dovecot.account(ProcessedAction::MoveTo("Switchboard".into()));
    let running = consumer(account, &pipeline);
    wait_for_items(&store, 5, Duration::from_secs(30)).await;
    wait_for_count(&dovecot, "INBOX", "ALL", 0).await;
    wait_for_count(&dovecot, "Switchboard", "ALL", 5).await;
    running.abort();
}
