//! Documents read page by page (faxes, letters): the item exists from the moment its document
//! is opened and gains each page's text, confidence and image as that page is read; when the
//! last page is in, the item is linked again and placed.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::ids::{InboundId, WorkItemId};
use crate::inbound::Inbound;
use crate::item::{NewAttachment, NewItem, wire_enum};
use crate::store::ItemPlacement;

wire_enum!(
    /// Where a page's text came from.
    TextSource {
        /// The PDF's own text layer.
        TextLayer = "text_layer",
        /// Optical character recognition.
        Ocr = "ocr",
    }
);

/// The recognised text of one page, as kept on the item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageText {
    /// The page number, from 1.
    pub page: u32,
    /// The page's text.
    pub text: String,
    /// Mean word confidence 0–100; 100 for a text layer.
    pub confidence: f32,
    /// How far the page was turned clockwise before recognition.
    pub rotated_degrees: u16,
    /// Where the text came from.
    pub source: TextSource,
}

/// A document whose pages are not all read yet, with the input it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct UnfinishedDocument {
    /// The landed input (its blob holds the document, or the notification carrying it).
    pub inbound: Inbound,
    /// The item made from it.
    pub item: WorkItemId,
    /// The document's page count.
    pub pages: u32,
}

/// Reading progress of a document item, as shown beside it: "OCR 3/7 pages".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingProgress {
    /// Pages read so far.
    pub pages_read: u32,
    /// Pages in the document.
    pub pages: u32,
}

impl ReadingProgress {
    /// Reads the progress a document item's details record (`pages_read` of `pages`); `None`
    /// for other items.
    pub fn of_details(details: &serde_json::Value) -> Option<Self> {
        let number = |key: &str| {
            details
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .and_then(|value| u32::try_from(value).ok())
        };
        Some(Self {
            pages_read: number("pages_read")?,
            pages: number("pages")?,
        })
    }

    /// Tells whether pages are still being read.
    pub fn is_reading(self) -> bool {
        self.pages_read < self.pages
    }
}

impl std::fmt::Display for ReadingProgress {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "OCR {}/{} pages", self.pages_read, self.pages)
    }
}

/// The store's part in reading documents page by page. Every step is one transaction, so a
/// crash between pages loses nothing and a page is never stored twice.
#[async_trait]
pub trait DocumentStore {
    /// Persists the item made from a landed document before its pages are read (status
    /// `new`: visible, not routed), records how many pages are to be read, and marks the input
    /// processed, in one transaction. When another worker made the item first, returns that
    /// item and writes nothing.
    async fn open_document_item(
        &self,
        inbound: InboundId,
        item: &NewItem,
        placement: &ItemPlacement,
        pages: u32,
    ) -> CoreResult<WorkItemId>;

    /// Stores one page of a document being read, its image as an attachment, and rewrites the
    /// item's subject, sender, language, text, warnings and details from `content` (built from
    /// every page read so far); feeds the change to the search index. A page stored before is
    /// left as it is. Returns how many pages are stored.
    async fn add_document_page(
        &self,
        item: WorkItemId,
        page: &PageText,
        image: Option<&NewAttachment>,
        content: &NewItem,
    ) -> CoreResult<u32>;

    /// The pages of a document item stored so far, in page order.
    async fn document_pages(&self, item: WorkItemId) -> CoreResult<Vec<PageText>>;

    /// Documents whose pages are not all read yet, oldest first (resumed after a crash, or
    /// once the OCR engine is back).
    async fn unfinished_documents(&self) -> CoreResult<Vec<UnfinishedDocument>>;

    /// Ends reading a document: rewrites the item's content from `content` (every page) and
    /// applies `placement` (status, queue, priority, skills, auto links, intent, product lines,
    /// SLA), once. Returns false, writing nothing, when the document was finished before.
    async fn finish_document_item(
        &self,
        item: WorkItemId,
        content: &NewItem,
        placement: &ItemPlacement,
    ) -> CoreResult<bool>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_read_from_details_and_shown() {
        let details = serde_json::json!({"pages": 7, "pages_read": 3});
        let progress = ReadingProgress::of_details(&details).unwrap();
        assert_eq!(progress.to_string(), "OCR 3/7 pages");
        assert!(progress.is_reading());
        let done = serde_json::json!({"pages": 2, "pages_read": 2});
        assert!(!ReadingProgress::of_details(&done).unwrap().is_reading());
        assert_eq!(
            ReadingProgress::of_details(&serde_json::json!({"pages": 2})),
            None
        );
    }
}
