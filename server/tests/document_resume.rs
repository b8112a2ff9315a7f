//! Results stream into a document's item as pages finish, and a crash mid-document loses and
//! repeats nothing: a six-page scanned fax (real Poppler and Tesseract) is ingested by
//! `switchboard ingest` with one OCR worker, the run is killed with SIGKILL once some but not
//! all pages are stored, and the partial item is checked; the next run resumes, reads only the
//! missing pages, and the item is complete with every page exactly once.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::WorkItemId;
use switchboard_core::document::{PageText, ReadingProgress};
use switchboard_core::item::ItemStatus;
use switchboard_core::store::Store;

/// Single-page scanned faxes of the corpus, joined into one document.
const PAGES: &[&str] = &["f0001", "f0003", "f0004", "f0005", "f0007", "f0008"];

fn switchboard(data_dir: &Path, database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .env("SWITCHBOARD_DATA_DIR", data_dir)
        .env("SWITCHBOARD_DATABASE_URL", database_url)
        .env("SWITCHBOARD_OCR_WORKERS", "1")
        .env("RUST_LOG", "error")
        .current_dir(data_dir);
    command
}

fn corpus_fax(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../shared/corpus/dev/fax/{name}.pdf"))
}

/// Joins the corpus pages into one PDF with qpdf.
fn multi_page_fax(folder: &Path) -> PathBuf {
    let output = folder.join("20250303_091500_+31235551234.pdf");
    let status = Command::new("qpdf")
        .arg("--empty")
        .arg("--pages")
        .args(PAGES.iter().map(|name| corpus_fax(name)))
        .arg("--")
        .arg(&output)
        .status()
        .expect("qpdf runs (Debian package qpdf)");
    assert!(status.success(), "qpdf failed: {status}");
    output
}

async fn the_item(store: &Arc<dyn Store>) -> Option<WorkItemId> {
    let items = store.export_items(None, 10, false).await.unwrap();
    assert!(items.len() <= 1, "one document, one item: {items:?}");
    items.first().map(|item| WorkItemId::new(item.id))
}

#[tokio::test]
async fn a_killed_read_resumes_without_losing_or_repeating_pages() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/resume.db", folder.path().display());
    let fax = multi_page_fax(folder.path());
    let total = PAGES.len();
    // Migrations run here; the child processes find them applied.
    let store = switchboard_store::open(&url).await.unwrap();

    let mut child = switchboard(folder.path(), &url)
        .args(["ingest", "--channel", "fax"])
        .arg(&fax)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let (item, before_kill) = loop {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no page was stored within ten minutes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "ingest ended before it could be interrupted"
        );
        if let Some(item) = the_item(&store).await {
            let pages = store.document_pages(item).await.unwrap();
            if !pages.is_empty() {
                // SIGKILL: no destructor, no flush, no graceful shutdown.
                child.kill().unwrap();
                child.wait().unwrap();
                break (item, pages);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    // Some but not all pages: the item is visible with their text, not yet routed.
    let stored = store.document_pages(item).await.unwrap();
    assert!(stored.len() >= before_kill.len());
    assert!(
        stored.len() < total,
        "with one OCR worker the kill came before page {total}: {} stored",
        stored.len()
    );
    let partial = store.item(item).await.unwrap().unwrap();
    assert_eq!(
        partial.status,
        ItemStatus::New,
        "not routed while pages are read"
    );
    let progress = ReadingProgress::of_details(&partial.details).unwrap();
    assert_eq!(progress.pages as usize, total);
    assert_eq!(progress.pages_read as usize, stored.len());
    assert!(progress.is_reading());
    for page in &stored {
        assert!(
            partial.text.contains(page.text.trim()),
            "page {} is in the item's text",
            page.page
        );
    }
    println!(
        "killed at {progress} ({} words so far)",
        partial.text.split_whitespace().count()
    );

    // The next run resumes the document; the same file again is a duplicate.
    let resumed = switchboard(folder.path(), &url)
        .args(["ingest", "--channel", "fax"])
        .arg(&fax)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&resumed.stdout);
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("recovered 1 input"), "{stderr}");
    assert!(stdout.contains("duplicates: 1"), "{stdout}");

    assert_eq!(the_item(&store).await, Some(item), "still one item");
    let pages = store.document_pages(item).await.unwrap();
    let numbers: Vec<u32> = pages.iter().map(|page| page.page).collect();
    assert_eq!(numbers, (1..=total as u32).collect::<Vec<_>>());
    // The pages read before the crash were kept, not read again.
    let by_number: BTreeMap<u32, &PageText> = pages.iter().map(|page| (page.page, page)).collect();
    for page in &stored {
        assert_eq!(by_number[&page.page], page);
    }
    let complete = store.item(item).await.unwrap().unwrap();
    assert_eq!(
        complete.status,
        ItemStatus::Queued,
        "placed once every page is in"
    );
    assert!(complete.queue_id.is_some());
    let progress = ReadingProgress::of_details(&complete.details).unwrap();
    assert!(!progress.is_reading(), "{progress}");
    for page in &pages {
        assert!(
            page.text.split_whitespace().count() > 5,
            "page {} has text",
            page.page
        );
        assert!(complete.text.contains(page.text.trim()));
    }
    assert_eq!(complete.sender.phone.as_deref(), Some("+31235551234"));
    let attachments = store.attachments_of(item).await.unwrap();
    let mut names: Vec<&str> = attachments
        .iter()
        .map(|attachment| attachment.file_name.as_str())
        .collect();
    names.sort_unstable();
    let mut expected: Vec<String> = (1..=total).map(|page| format!("page-{page}.png")).collect();
    expected.push("20250303_091500_+31235551234.pdf".to_owned());
    expected.sort_unstable();
    assert_eq!(names, expected, "the original and each page image once");
    println!("resumed to {progress}");
}
