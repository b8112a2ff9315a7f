//! Watched folders: dropped files become items exactly once and move to `processed/`; a file
//! still being written is not taken early; an unreadable file ends in `failed/` with its reason
//! and a failed item; a restart picks up what is left.

use std::path::Path;
use std::sync::Arc;

use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::{Channel, ItemStatus};
use switchboard_server::advisory_lock::{self, AdvisoryLock};
use switchboard_server::watch::{FileOutcome, FolderWatcher, WatchFolder, lock_name};
use switchboard_tests::{corpus_files, corpus_pipeline};

fn folder(path: &Path, channel: Channel) -> WatchFolder {
    WatchFolder {
        path: path.to_path_buf(),
        channel,
        settle_seconds: 0,
        poll_seconds: 1,
    }
}

fn names_in(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().unwrap().is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn dropped_mail_becomes_items_once_and_moves_to_processed() {
    let data = tempfile::tempdir().unwrap();
    let maildir = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(data.path()).await;
    let pipeline = Arc::new(pipeline);
    let mut watcher =
        FolderWatcher::new(folder(maildir.path(), Channel::Email), pipeline.clone()).unwrap();
    let new = watcher.layout().inbox.clone();
    let files: Vec<_> = corpus_files("dev/email").into_iter().take(3).collect();
    for file in &files {
        std::fs::copy(file, new.join(file.file_name().unwrap())).unwrap();
    }

    // First sighting: nothing is taken yet; the second, unchanged, takes all three.
    assert!(watcher.scan_once().await.is_empty());
    let taken = watcher.scan_once().await;
    assert_eq!(taken.len(), 3, "{taken:?}");
    assert!(
        taken.iter().all(|(_, outcome)| matches!(
            outcome,
            FileOutcome::Processed(IngestOutcome::Ingested { .. })
        )),
        "{taken:?}"
    );
    assert_eq!(store.count_items().await.unwrap(), 3);
    assert!(names_in(&new).is_empty());
    assert_eq!(names_in(&watcher.layout().processed).len(), 3);
    assert!(watcher.scan_once().await.is_empty());

    // The same message dropped again is recognised and moved beside the first.
    let again = new.join("again.eml");
    std::fs::copy(&files[0], &again).unwrap();
    watcher.scan_once().await;
    let taken = watcher.scan_once().await;
    assert!(
        matches!(
            taken.as_slice(),
            [(_, FileOutcome::Processed(IngestOutcome::Duplicate { .. }))]
        ),
        "{taken:?}"
    );
    assert_eq!(store.count_items().await.unwrap(), 3);

    // A restart (a new watcher on the same folder) picks up what was left.
    std::fs::copy(&files[0], maildir.path().join("tmp/left.eml")).unwrap();
    let source = corpus_files("dev/email").into_iter().nth(3).unwrap();
    std::fs::copy(&source, new.join("left.eml")).unwrap();
    drop(watcher);
    let mut restarted =
        FolderWatcher::new(folder(maildir.path(), Channel::Email), pipeline).unwrap();
    restarted.scan_once().await;
    let taken = restarted.scan_once().await;
    assert_eq!(taken.len(), 1, "maildir tmp/ is never read: {taken:?}");
    assert_eq!(store.count_items().await.unwrap(), 4);
    assert!(names_in(&new).is_empty());
}

#[tokio::test]
async fn a_half_written_file_is_not_taken_early() {
    let data = tempfile::tempdir().unwrap();
    let maildir = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(data.path()).await;
    let mut watcher =
        FolderWatcher::new(folder(maildir.path(), Channel::Email), Arc::new(pipeline)).unwrap();
    let message = "From: inkoop@example.nl\r\nTo: orders@velora.example.nl\r\n\
        Subject: Bestelling\r\nMessage-ID: <half-written@example.nl>\r\n\r\n\
        Graag 12 stuks van artikel 30012345.\r\nMet vriendelijke groet, Slotzin Jansen\r\n";
    let (head, tail) = message.as_bytes().split_at(message.len() / 2);
    let file = watcher.layout().inbox.join("copying.eml");
    std::fs::write(&file, head).unwrap();
    assert!(watcher.scan_once().await.is_empty());

    // The writer goes on: the size changed since the last look, so it still waits.
    let mut whole = head.to_vec();
    whole.extend_from_slice(tail);
    std::fs::write(&file, &whole).unwrap();
    assert!(watcher.scan_once().await.is_empty());
    assert_eq!(store.count_items().await.unwrap(), 0);

    let taken = watcher.scan_once().await;
    assert_eq!(taken.len(), 1, "{taken:?}");
    assert_eq!(store.count_items().await.unwrap(), 1);
    let FileOutcome::Processed(IngestOutcome::Ingested { item, .. }) = &taken[0].1 else {
        panic!("{taken:?}");
    };
    let item = store.item(*item).await.unwrap().unwrap();
    assert!(
        item.text.contains("Slotzin Jansen"),
        "the whole message was ingested: {:?}",
        item.text
    );
}

#[tokio::test]
async fn an_unreadable_file_fails_visibly_with_its_reason() {
    let data = tempfile::tempdir().unwrap();
    let fax_folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(data.path()).await;
    let mut watcher =
        FolderWatcher::new(folder(fax_folder.path(), Channel::Fax), Arc::new(pipeline)).unwrap();
    std::fs::write(
        fax_folder.path().join("broken.pdf"),
        b"%PDF-1.4\nthis is no PDF at all\n",
    )
    .unwrap();
    std::fs::write(fax_folder.path().join(".partial.pdf"), b"%PDF-1.4").unwrap();
    watcher.scan_once().await;
    let taken = watcher.scan_once().await;
    let [(_, FileOutcome::Failed(IngestOutcome::Failed { item, reason }))] = taken.as_slice()
    else {
        panic!("{taken:?}");
    };
    let failed = &watcher.layout().failed;
    assert_eq!(names_in(failed), ["broken.pdf", "broken.pdf.reason"]);
    let written = std::fs::read_to_string(failed.join("broken.pdf.reason")).unwrap();
    assert_eq!(written.trim(), reason.as_str());
    let item = store.item(*item).await.unwrap().unwrap();
    assert_eq!(item.status, ItemStatus::Failed);
    assert_eq!(item.channel, Channel::Fax);
    assert_eq!(item.source, "broken.pdf");
    assert!(
        item.warnings.iter().any(|warning| warning.contains(reason)),
        "{:?}",
        item.warnings
    );
    assert_eq!(
        names_in(fax_folder.path()),
        [".partial.pdf"],
        "hidden files are someone's temporary files and stay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_folder_is_consumed_only_under_its_lock() {
    let Some(url) = switchboard_store::testing::fresh_postgres_url().await else {
        eprintln!("note: PostgreSQL not configured; the folder lock test is skipped");
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let maildir = tempfile::tempdir().unwrap();
    let store = switchboard_store::open(&url).await.unwrap();
    let pipeline = switchboard_server::pipeline::Pipeline::new(
        store.clone(),
        switchboard_store::BlobStore::new(data.path().join("blobs")),
        switchboard_server::Config::default().pipeline_settings(),
    )
    .await
    .unwrap();
    // Another node holds the folder.
    let other_node =
        AdvisoryLock::acquire(&url, advisory_lock::key_for(&lock_name(maildir.path())))
            .await
            .unwrap();
    let watched = folder(maildir.path(), Channel::Email);
    switchboard_server::watch::start(std::slice::from_ref(&watched), Arc::new(pipeline), &url)
        .unwrap();
    let new = maildir.path().join("new");
    for file in corpus_files("dev/email").into_iter().take(2) {
        std::fs::copy(&file, new.join(file.file_name().unwrap())).unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(store.count_items().await.unwrap(), 0, "this node waits");
    assert_eq!(names_in(&new).len(), 2);

    drop(other_node);
    for _ in 0..200 {
        if names_in(&new).is_empty() && store.count_items().await.unwrap() == 2 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the folder was not taken over after the other node let go");
}
