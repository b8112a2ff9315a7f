//! The document port on every configured database: an item opened before its pages, pages
//! stored once each (in any order, a repeat ignored), the unfinished read listed for resuming,
//! and finishing placing the item exactly once.

use chrono::Utc;
use switchboard_core::document::{PageText, ReadingProgress, TextSource};
use switchboard_core::inbound::NewInbound;
use switchboard_core::item::{Channel, ItemStatus, NewAttachment, NewItem};
use switchboard_core::store::ItemPlacement;
use switchboard_tests::stores;

fn page(number: u32, text: &str) -> PageText {
    PageText {
        page: number,
        text: text.to_owned(),
        confidence: 87.5,
        rotated_degrees: if number == 2 { 180 } else { 0 },
        source: TextSource::Ocr,
    }
}

/// The item as a given set of pages makes it.
fn content(pages: &[&PageText], total: u32) -> NewItem {
    let text: Vec<&str> = pages.iter().map(|page| page.text.as_str()).collect();
    let mut item = NewItem::new(Channel::Fax, "scan.pdf", Utc::now(), text.join("\n\n"));
    item.details = serde_json::json!({ "pages": total, "pages_read": pages.len() });
    item
}

#[tokio::test]
async fn pages_are_stored_once_and_a_read_finishes_once() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let landing = store
            .land(&NewInbound {
                channel: Channel::Fax,
                source: "scan.pdf".into(),
                idem_key: "doc-1".into(),
                fingerprint: "doc-1".into(),
                blob: "blob-1".into(),
                raw: None,
                size: 10,
                received_at: Utc::now(),
            })
            .await
            .unwrap();
        let inbound = landing.inbound.id;
        let opened = content(&[], 3);
        let item = store
            .open_document_item(inbound, &opened, &ItemPlacement::default(), 3)
            .await
            .unwrap();
        let again = store
            .open_document_item(inbound, &opened, &ItemPlacement::default(), 3)
            .await
            .unwrap();
        assert_eq!(again, item, "{label}: the input makes one item");
        let unfinished = store.unfinished_documents().await.unwrap();
        assert_eq!(unfinished.len(), 1, "{label}");
        assert_eq!((unfinished[0].item, unfinished[0].pages), (item, 3));
        assert_eq!(unfinished[0].inbound.id, inbound);

        let (first, second, third) = (
            page(1, "Bestelling"),
            page(2, "4500012345"),
            page(3, "Groet"),
        );
        let image = NewAttachment {
            file_name: "page-2.png".into(),
            declared_type: Some("image/png".into()),
            sniffed_type: Some("image/png".into()),
            content: b"png".to_vec(),
        };
        let stored = store
            .add_document_page(item, &second, Some(&image), &content(&[&second], 3))
            .await
            .unwrap();
        assert_eq!(stored, 1, "{label}");
        let repeated = page(2, "read twice");
        let stored = store
            .add_document_page(item, &repeated, Some(&image), &content(&[&repeated], 3))
            .await
            .unwrap();
        assert_eq!(stored, 1, "{label}: a page is stored once");
        let partial = store.item(item).await.unwrap().unwrap();
        assert_eq!(
            partial.text, "4500012345",
            "{label}: the repeat changed nothing"
        );
        assert_eq!(partial.status, ItemStatus::New);
        assert_eq!(
            ReadingProgress::of_details(&partial.details)
                .unwrap()
                .to_string(),
            "OCR 1/3 pages"
        );
        store
            .add_document_page(item, &first, None, &content(&[&first, &second], 3))
            .await
            .unwrap();
        let all = [&first, &second, &third];
        let stored = store
            .add_document_page(item, &third, None, &content(&all, 3))
            .await
            .unwrap();
        assert_eq!(stored, 3, "{label}");
        assert_eq!(
            store.document_pages(item).await.unwrap(),
            vec![first.clone(), second.clone(), third.clone()],
            "{label}: in page order, as stored"
        );
        let attachments = store.attachments_of(item).await.unwrap();
        assert_eq!(attachments.len(), 1, "{label}: the page image once");

        let placement = ItemPlacement {
            status: ItemStatus::Queued,
            queue: Some("orders".into()),
            priority: 20,
            ..ItemPlacement::default()
        };
        let complete = content(&all, 3);
        assert!(
            store
                .finish_document_item(item, &complete, &placement)
                .await
                .unwrap()
        );
        assert!(
            !store
                .finish_document_item(item, &complete, &placement)
                .await
                .unwrap(),
            "{label}: finished once"
        );
        let finished = store.item(item).await.unwrap().unwrap();
        assert_eq!(finished.status, ItemStatus::Queued, "{label}");
        assert_eq!(finished.priority, 20);
        assert!(finished.queue_id.is_some());
        assert_eq!(finished.text, "Bestelling\n\n4500012345\n\nGroet");
        assert!(
            store.unfinished_documents().await.unwrap().is_empty(),
            "{label}"
        );
    }
}
