//! Documents (faxes, letters, fax-server notification mails) are read page by page: the item
//! appears as soon as the document is opened (status `new`: visible and searchable, not yet
//! routed), gains each page's text, confidence and image as that page is read, and is linked
//! and placed when the last page is in. Opening and every page take a slot of the bounded OCR
//! pool, so documents never hold more tool processes than `ocr_workers`, and run on a thread of
//! their own at idle CPU priority, so other intake never waits for them. Pages are stored one transaction each and at most once, so a crash
//! mid-document resumes with the missing pages only ([`Pipeline::resume_documents`]).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use switchboard_channels::document::notification::{FaxNotification, parse_fax_notification};
use switchboard_channels::document::ocr::{PageText, TesseractCli};
use switchboard_channels::document::{
    DocumentError, DocumentFormat, DocumentIntake, OpenedDocument, PageImage, RecognisedPage,
    lower_thread_to_idle_priority, open_document, sniff_document,
};
use switchboard_core::document::UnfinishedDocument;
use switchboard_core::inbound::Inbound;
use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::{Channel, ItemStatus, NewAttachment, NewItem};
use switchboard_core::store::ItemPlacement;
use switchboard_core::{CoreError, WorkItemId};
use tokio::sync::OwnedSemaphorePermit;
use tokio::task::JoinSet;

use super::Pipeline;
use super::enrich::ThreadContext;
use super::parse::{ParseFailure, ParserSettings, document_failure};

/// An opened document and what its item is built from.
pub struct DocumentInput {
    channel: Channel,
    source: String,
    file_name: String,
    received_at: DateTime<Utc>,
    notification: Option<FaxNotification>,
    original: Vec<u8>,
    document: OpenedDocument,
}

impl DocumentInput {
    /// Opens a landed document: a fax or letter file, or the document a fax-server notification
    /// mail carries. Refuses bad input before any page is rendered; when a page needs OCR and
    /// the engine is missing, the input is deferred. Blocking: call from a blocking context.
    pub fn open(
        channel: Channel,
        raw: &[u8],
        source: &str,
        received_at: DateTime<Utc>,
        settings: &ParserSettings,
    ) -> Result<Self, ParseFailure> {
        let (channel, original, file_name, notification) = match channel {
            Channel::Letter => (Channel::Letter, raw.to_vec(), source.to_owned(), None),
            Channel::Email | Channel::Fax if super::parse::needs_ocr(Channel::Email, raw) => {
                let fax = parse_fax_notification(raw).map_err(document_failure)?;
                let file_name = fax
                    .notification
                    .attachment_name
                    .clone()
                    .unwrap_or_else(|| source.to_owned());
                (
                    Channel::Fax,
                    fax.document,
                    file_name,
                    Some(fax.notification),
                )
            }
            Channel::Fax => (Channel::Fax, raw.to_vec(), source.to_owned(), None),
            other => {
                return Err(ParseFailure::Unreadable(format!(
                    "a {other} input is not a document"
                )));
            }
        };
        let document = open_document(&original, &settings.documents).map_err(document_failure)?;
        if document.needs_ocr(&settings.documents) {
            TesseractCli::new(settings.ocr.clone())
                .probe()
                .map_err(|error| ParseFailure::Deferred(error.to_string()))?;
        }
        Ok(Self {
            channel,
            source: source.to_owned(),
            file_name,
            received_at,
            notification,
            original,
            document,
        })
    }

    /// The number of pages to read.
    pub fn page_count(&self) -> u32 {
        self.document.page_count()
    }

    /// Reads one page (text layer or OCR). Blocking: call from a blocking context.
    pub fn read_page(
        &self,
        page: u32,
        settings: &ParserSettings,
    ) -> Result<RecognisedPage, DocumentError> {
        let engine = TesseractCli::new(settings.ocr.clone());
        self.document
            .recognise_page(page, &engine, &settings.documents)
    }

    /// The item as the pages read so far make it: text, sender and metadata; the content
    /// warnings come with the last page. Pure.
    pub fn content(&self, pages: &[PageText], settings: &ParserSettings) -> NewItem {
        let engine = TesseractCli::new(settings.ocr.clone());
        let intake = DocumentIntake::new(&engine, &settings.documents, &settings.fax_patterns);
        let document = self.document.with_pages(pages.to_vec());
        let result = match self.channel {
            Channel::Letter => intake.letter_result(document, &self.file_name, self.received_at),
            _ => intake.fax_result(
                document,
                &self.file_name,
                self.notification.as_ref(),
                self.received_at,
            ),
        };
        let mut item = result.item;
        // For a fax from a notification mail the source is the mail's, not the attachment's.
        item.source.clone_from(&self.source);
        item
    }

    /// The item before any page is read, with the original document attached.
    pub fn opening_item(&self, settings: &ParserSettings) -> NewItem {
        let mut item = self.content(&[], settings);
        let original_type = sniff_document(&self.original)
            .map(DocumentFormat::mime_type)
            .unwrap_or("application/octet-stream");
        item.attachments.push(NewAttachment {
            file_name: switchboard_channels::email::safe_file_name(Some(&self.file_name), 0, "pdf"),
            declared_type: Some(original_type.to_owned()),
            sniffed_type: Some(original_type.to_owned()),
            content: self.original.clone(),
        });
        item
    }
}

/// A page image as the item's attachment.
fn page_attachment(image: PageImage) -> NewAttachment {
    NewAttachment {
        file_name: format!("page-{}.png", image.page),
        declared_type: Some("image/png".to_owned()),
        sniffed_type: Some("image/png".to_owned()),
        content: image.png,
    }
}

fn join_failed(error: impl std::fmt::Display) -> CoreError {
    CoreError::Internal(format!("document task failed: {error}"))
}

/// Runs a document step (opening, or reading a page) on a thread of its own lowered to idle CPU
/// priority, which the tools it starts inherit: documents get only the CPU time e-mail intake
/// and the web leave over, and never hold a thread of tokio's blocking pool, which e-mail
/// parsing uses.
async fn at_idle_priority<T: Send + 'static>(
    step: impl FnOnce() -> T + Send + 'static,
) -> Result<T, CoreError> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("document".to_owned())
        .spawn(move || {
            if let Err(error) = lower_thread_to_idle_priority() {
                tracing::warn!(%error, "document read at normal priority");
            }
            // The receiver is gone only when the caller was cancelled.
            let _ = sender.send(step());
        })
        .map_err(join_failed)?;
    receiver.await.map_err(join_failed)
}

impl Pipeline {
    /// Takes a slot of the bounded OCR pool; held while a document is opened or a page read.
    async fn ocr_slot(&self) -> Result<OwnedSemaphorePermit, CoreError> {
        Arc::clone(&self.ocr_slots)
            .acquire_owned()
            .await
            .map_err(|error| CoreError::Internal(format!("OCR pool closed: {error}")))
    }

    /// Reads a landed document into its item: opens it, makes the item (unless `item`, when
    /// resuming, names the one made before), reads the pages not stored yet, and links and
    /// places the item once every page is in.
    pub(super) async fn process_document(
        &self,
        inbound: &Inbound,
        raw: Arc<Vec<u8>>,
        item: Option<WorkItemId>,
    ) -> Result<IngestOutcome, CoreError> {
        let opened = {
            let _slot = self.ocr_slot().await?;
            let parsers = Arc::clone(&self.parsers);
            let (channel, source, received_at) =
                (inbound.channel, inbound.source.clone(), inbound.received_at);
            at_idle_priority(move || {
                DocumentInput::open(channel, &raw, &source, received_at, &parsers)
            })
            .await?
        };
        let input = match (opened, item) {
            (Ok(input), _) => Arc::new(input),
            (Err(ParseFailure::Deferred(reason)), None) => {
                return self.defer(inbound, reason).await;
            }
            (Err(ParseFailure::Unreadable(reason)), None) => {
                return self.fail(inbound, reason).await;
            }
            // The item exists: it keeps waiting for the engine (resumed at the next start).
            (Err(ParseFailure::Deferred(reason)), Some(_)) => {
                return Ok(IngestOutcome::Deferred {
                    inbound: inbound.id,
                    reason,
                });
            }
            (Err(ParseFailure::Unreadable(reason)), Some(item)) => {
                let content =
                    NewItem::new(inbound.channel, &inbound.source, inbound.received_at, "");
                return self.fail_document(item, content, reason).await;
            }
        };
        let item = match item {
            Some(item) => item,
            None => self.open_item(inbound, &input).await?,
        };
        self.read_pages(inbound, input, item).await
    }

    /// Persists the item of a document just opened: visible at once, not routed until read.
    async fn open_item(
        &self,
        inbound: &Inbound,
        input: &DocumentInput,
    ) -> Result<WorkItemId, CoreError> {
        let content = input.opening_item(&self.parsers);
        self.store_attachment_bytes(&content.attachments).await?;
        let known =
            self.enricher
                .placement(&content, &ThreadContext::default(), inbound.received_at);
        let placement = ItemPlacement {
            links: known.links,
            ..ItemPlacement::default()
        };
        self.store
            .open_document_item(inbound.id, &content, &placement, input.page_count())
            .await
    }

    /// Reads the pages not stored yet, up to `ocr_workers` at once, storing each as it ends;
    /// then finishes the item.
    async fn read_pages(
        &self,
        inbound: &Inbound,
        input: Arc<DocumentInput>,
        item: WorkItemId,
    ) -> Result<IngestOutcome, CoreError> {
        let mut pages = self.store.document_pages(item).await?;
        let mut jobs = JoinSet::new();
        for page in 1..=input.page_count() {
            if pages.iter().any(|stored| stored.page == page) {
                continue;
            }
            let pipeline = self.clone();
            let input = Arc::clone(&input);
            jobs.spawn(async move {
                let _slot = pipeline.ocr_slot().await?;
                let parsers = Arc::clone(&pipeline.parsers);
                at_idle_priority(move || input.read_page(page, &parsers)).await
            });
        }
        while let Some(joined) = jobs.join_next().await {
            let read = match joined.map_err(join_failed)?? {
                Ok(read) => read,
                Err(error) if error.is_retryable() => {
                    tracing::warn!(item = %item, %error, "document reading paused; resumed at the next start");
                    return Ok(IngestOutcome::Deferred {
                        inbound: inbound.id,
                        reason: error.to_string(),
                    });
                }
                Err(error) => {
                    jobs.abort_all();
                    let content = input.content(&pages, &self.parsers);
                    return self.fail_document(item, content, error.to_string()).await;
                }
            };
            pages.push(read.text.clone());
            let content = input.content(&pages, &self.parsers);
            let image = read.image.map(page_attachment);
            self.store_attachment_bytes(&image).await?;
            let stored = self
                .store
                .add_document_page(item, &read.text, image.as_ref(), &content)
                .await?;
            tracing::debug!(item = %item, page = read.text.page, stored, pages = input.page_count(), "page read");
        }
        let content = input.content(&pages, &self.parsers);
        let placement =
            self.enricher
                .placement(&content, &ThreadContext::default(), inbound.received_at);
        self.store
            .finish_document_item(item, &content, &placement)
            .await?;
        self.wake_followers();
        Ok(IngestOutcome::Ingested {
            item,
            noise: content.noise,
        })
    }

    /// Ends a document item as failed, keeping the pages read and showing the reason.
    async fn fail_document(
        &self,
        item: WorkItemId,
        mut content: NewItem,
        reason: String,
    ) -> Result<IngestOutcome, CoreError> {
        tracing::warn!(item = %item, reason = %reason, "document failed");
        content.warnings.push(format!("intake failed: {reason}"));
        let placement = ItemPlacement {
            status: ItemStatus::Failed,
            ..ItemPlacement::default()
        };
        self.store
            .finish_document_item(item, &content, &placement)
            .await?;
        Ok(IngestOutcome::Failed { item, reason })
    }

    /// Resumes documents whose pages were not all read (a crash, or the OCR engine missing
    /// mid-document); returns how many were finished.
    pub(super) async fn resume_documents(
        &self,
        unfinished: Vec<UnfinishedDocument>,
    ) -> Result<usize, CoreError> {
        let mut finished = 0;
        for document in unfinished {
            let raw = self.raw_of(&document.inbound).await?;
            let outcome = self
                .process_document(&document.inbound, Arc::new(raw), Some(document.item))
                .await?;
            tracing::info!(item = %document.item, outcome = ?outcome, "resumed document");
            finished += usize::from(!matches!(outcome, IngestOutcome::Deferred { .. }));
        }
        Ok(finished)
    }
}
