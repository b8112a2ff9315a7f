//! The ingest pipeline every source feeds — files, stdin, IMAP, HTTP: land the raw bytes, parse,
//! thread, link, classify, place, and persist the item and the input's new state in one
//! transaction. A crash at any point is recovered by [`Pipeline::recover`], which re-processes
//! landed inputs; re-delivery of the same input creates nothing new. Sources that must answer
//! quickly ([`Pipeline::land`]) get an answer once the input is durable, and the rest runs in
//! the background.

mod batch;
pub mod document;
pub mod enrich;
pub mod landing;
pub mod parse;
pub mod recording;
pub mod task;
mod threading;
mod write_order;

use std::sync::Arc;

use switchboard_core::CoreError;
use switchboard_core::inbound::{Inbound, InboundState};
use switchboard_core::ingest::Ingestor;
use switchboard_core::item::{Channel, NewItem};
use switchboard_core::store::Store;
use switchboard_router::rules::{RuleSet, ValidRuleSet, validate};
use switchboard_router::sla::{SlaPolicy, SlaSettings};
use switchboard_search::linking::LinkingConfig;
use switchboard_store::BlobStore;

use self::enrich::{Enricher, failed_item};
use self::parse::{ParseFailure, Parsed, ParserSettings};
use self::recording::{RecordingFetchSettings, RecordingFetcher, RecordingResolver};
use self::write_order::WriteOrder;
use crate::dispatch::DispatchHandle;
use crate::mail::compose::Acknowledger;

pub use switchboard_core::ingest::{IngestOutcome, RawInput};

/// Settings of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    /// Channel parsers.
    pub parsers: ParserSettings,
    /// The linker.
    pub linking: LinkingConfig,
    /// How many documents are OCRed at once; the rest wait, so OCR never starves other intake.
    pub ocr_workers: usize,
    /// Service levels: the due time every queued item gets.
    pub sla: SlaSettings,
    /// Which voicemail recording URLs are fetched, and the limits.
    pub recordings: RecordingFetchSettings,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            parsers: ParserSettings::default(),
            linking: LinkingConfig::default(),
            ocr_workers: cores.saturating_sub(1).max(1),
            sla: SlaSettings::default(),
            recordings: RecordingFetchSettings::default(),
        }
    }
}

/// The ingest pipeline; clones share everything (the OCR pool included).
#[derive(Clone)]
pub struct Pipeline {
    store: Arc<dyn Store>,
    blobs: BlobStore,
    parsers: Arc<ParserSettings>,
    enricher: Arc<Enricher>,
    ocr_slots: Arc<tokio::sync::Semaphore>,
    router: Option<DispatchHandle>,
    /// Wakes the search indexer, so new items are indexed without waiting for its next poll.
    indexer: Option<Arc<tokio::sync::Notify>>,
    recordings: RecordingFetcher,
    acknowledger: Option<Arc<Acknowledger>>,
    /// Batches write in the order they were handed over.
    write_order: Arc<WriteOrder>,
}

impl Pipeline {
    /// Builds the pipeline with the master data stored now.
    pub async fn new(
        store: Arc<dyn Store>,
        blobs: BlobStore,
        settings: PipelineSettings,
    ) -> anyhow::Result<Self> {
        let master = store.master_data().await?;
        let rules = active_rules(store.as_ref()).await?;
        let sla = SlaPolicy::from_settings(&settings.sla)
            .map_err(|error| anyhow::anyhow!("invalid [sla] settings: {error}"))?;
        let enricher = Enricher::build(master, settings.linking, rules, sla)?;
        Ok(Self {
            store,
            blobs,
            parsers: Arc::new(settings.parsers),
            enricher: Arc::new(enricher),
            ocr_slots: Arc::new(tokio::sync::Semaphore::new(settings.ocr_workers.max(1))),
            router: None,
            indexer: None,
            recordings: RecordingFetcher::new(settings.recordings),
            acknowledger: None,
            write_order: Arc::default(),
        })
    }

    /// Resolves recording hosts with `resolver` instead of the system's DNS (tests).
    pub fn with_recording_resolver(mut self, resolver: Arc<dyn RecordingResolver>) -> Self {
        self.recordings = self.recordings.with_resolver(resolver);
        self
    }

    /// Links the next items against the master data stored now (a contact an agent
    /// remembered, an import through the API or on another node).
    pub async fn reload_master_data(&self) -> Result<(), CoreError> {
        let master = self.store.master_data().await?;
        let enricher = Arc::clone(&self.enricher);
        tokio::task::spawn_blocking(move || enricher.relink(master))
            .await
            .map_err(|error| CoreError::Internal(format!("linker task failed: {error}")))?
            .map_err(|error| CoreError::Internal(format!("linker rebuild failed: {error:#}")))
    }

    /// Checks every `interval` whether master data changed (imports by the CLI or another
    /// node) and links the next items against it; runs until the runtime stops.
    pub fn follow_master_data(&self, interval: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let pipeline = self.clone();
        tokio::spawn(async move {
            let mut seen = pipeline.store.master_version().await.ok();
            loop {
                tokio::time::sleep(interval).await;
                let version = match pipeline.store.master_version().await {
                    Ok(version) => version,
                    Err(error) => {
                        tracing::warn!(%error, "master-data check failed");
                        continue;
                    }
                };
                if seen.as_ref() == Some(&version) {
                    continue;
                }
                match pipeline.reload_master_data().await {
                    Ok(()) => {
                        tracing::info!("linker follows changed master data");
                        seen = Some(version);
                    }
                    Err(error) => tracing::warn!(%error, "linker not refreshed"),
                }
            }
        })
    }

    /// The SLA policy new items are placed with, shared: replacing it changes the policy of
    /// the next items (and of everyone holding a clone).
    pub fn sla_policy(&self) -> switchboard_router::sla::SharedSlaPolicy {
        self.enricher.shared_sla()
    }

    /// Wakes `router` whenever an item is created or changed, so it is routed at once.
    pub fn waking(mut self, router: DispatchHandle) -> Self {
        self.router = Some(router);
        self
    }

    /// Wakes the search indexer through `waker` whenever items are created or changed, so
    /// they are indexed at once rather than at its next poll.
    pub fn waking_indexer(mut self, waker: Arc<tokio::sync::Notify>) -> Self {
        self.indexer = Some(waker);
        self
    }

    /// Acknowledges new e-mail items addressed to a mailbox that wants it, whatever source
    /// brought them (`[mail.acknowledgement] mailboxes`).
    pub fn acknowledging(mut self, acknowledger: Arc<Acknowledger>) -> Self {
        self.acknowledger = Some(acknowledger);
        self
    }

    /// Queues the acknowledgement of a new e-mail item when its mailbox wants one; a failure
    /// is logged, never the intake's.
    async fn acknowledge_new(&self, item: &NewItem, outcome: &IngestOutcome, raw: &[u8]) {
        let (Some(acknowledger), IngestOutcome::Ingested { item: id, .. }) =
            (&self.acknowledger, outcome)
        else {
            return;
        };
        if item.channel != Channel::Email {
            return;
        }
        if let Err(error) = acknowledger.acknowledge_addressed(*id, raw).await {
            tracing::warn!(item = %id, %error, "acknowledgement not queued");
        }
    }

    /// Tells the router and the search indexer that items were created or changed.
    fn wake_followers(&self) {
        if let Some(router) = &self.router {
            router.notify();
        }
        if let Some(indexer) = &self.indexer {
            indexer.notify_one();
        }
    }

    /// Lands and processes one input. An error means the input could not be landed, so the
    /// source must keep it (and retry); every other outcome is durable.
    pub async fn ingest_raw(
        &self,
        channel: Channel,
        source: &str,
        raw: Vec<u8>,
    ) -> Result<IngestOutcome, CoreError> {
        match self.land_input(channel, source, raw).await? {
            Landing::Duplicate(item) => Ok(IngestOutcome::Duplicate { item }),
            Landing::New(inbound, raw) => self.process(&inbound, raw).await,
        }
    }

    /// Lands one input and processes it in a background task; answers once it is durable.
    /// A crash before processing ends leaves it landed for [`Pipeline::recover`].
    pub async fn land(
        &self,
        channel: Channel,
        source: &str,
        raw: Vec<u8>,
    ) -> Result<IngestOutcome, CoreError> {
        match self.land_input(channel, source, raw).await? {
            Landing::Duplicate(item) => Ok(IngestOutcome::Duplicate { item }),
            Landing::New(inbound, raw) => {
                let pipeline = self.clone();
                let id = inbound.id;
                tokio::spawn(async move {
                    match pipeline.process(&inbound, raw).await {
                        Ok(outcome) => {
                            tracing::debug!(inbound = %inbound.id, outcome = ?outcome, "processed in background");
                        }
                        Err(error) => {
                            tracing::warn!(inbound = %inbound.id, %error, "background processing failed; retried at the next start");
                        }
                    }
                });
                Ok(IngestOutcome::Accepted { inbound: id })
            }
        }
    }

    async fn land_input(
        &self,
        channel: Channel,
        source: &str,
        raw: Vec<u8>,
    ) -> Result<Landing, CoreError> {
        let input = RawInput {
            source: source.to_owned(),
            raw,
        };
        self.land_batch(channel, vec![input])
            .await?
            .pop()
            .ok_or_else(|| CoreError::Internal("landing lost".into()))
    }

    /// Processes every input left landed by a crash, retries documents waiting for OCR and
    /// resumes documents whose pages were not all read; returns how many became (or finished)
    /// items.
    pub async fn recover(&self) -> Result<usize, CoreError> {
        // Listed first: documents opened below are read to the end by this call already.
        let unfinished = self.store.unfinished_documents().await?;
        let mut processed = 0;
        for state in [InboundState::Landed, InboundState::AwaitingOcr] {
            let mut after = None;
            loop {
                let pending = self.store.inbound_in_state(state, after, 100).await?;
                let Some(last) = pending.last() else { break };
                after = Some(last.id);
                for inbound in pending {
                    let raw = self.raw_of(&inbound).await?;
                    let outcome = self.process(&inbound, Arc::new(raw)).await?;
                    tracing::info!(inbound = %inbound.id, outcome = ?outcome, "reprocessed landed input");
                    processed += usize::from(outcome.item().is_some());
                }
            }
        }
        Ok(processed + self.resume_documents(unfinished).await?)
    }

    /// Reads a landed input's bytes: from its row when kept there, else from the blob store.
    async fn raw_of(&self, inbound: &Inbound) -> Result<Vec<u8>, CoreError> {
        if let Some(raw) = self.store.inbound_raw(inbound.id).await? {
            return Ok(raw);
        }
        let blobs = self.blobs.clone();
        let address = inbound.blob.clone();
        tokio::task::spawn_blocking(move || blobs.get(&address))
            .await
            .map_err(|error| CoreError::Internal(format!("blob task failed: {error}")))?
    }

    async fn process(
        &self,
        inbound: &Inbound,
        raw: Arc<Vec<u8>>,
    ) -> Result<IngestOutcome, CoreError> {
        // OCR is slow: documents are read in the bounded pool; other channels never wait.
        if parse::needs_ocr(inbound.channel, &raw) {
            return self.process_document(inbound, raw, None).await;
        }
        let kept = Arc::clone(&raw);
        let parsed = match self.recordings.recording_for(inbound.channel, raw).await {
            Ok((raw, recording)) => {
                let parsers = Arc::clone(&self.parsers);
                let (channel, source, received_at) =
                    (inbound.channel, inbound.source.clone(), inbound.received_at);
                tokio::task::spawn_blocking(move || {
                    parse::parse(channel, &raw, &source, received_at, &parsers, recording)
                })
                .await
                .map_err(|error| CoreError::Internal(format!("parser task failed: {error}")))?
            }
            Err(unreadable_upload) => Err(ParseFailure::Unreadable(unreadable_upload)),
        };
        match parsed {
            Ok(parsed) => self.persist(inbound, parsed, &kept).await,
            Err(ParseFailure::Deferred(reason)) => self.defer(inbound, reason).await,
            Err(ParseFailure::Unreadable(reason)) => self.fail(inbound, reason).await,
        }
    }

    /// Shows an unreadable input as a failed item that keeps it.
    async fn fail(&self, inbound: &Inbound, reason: String) -> Result<IngestOutcome, CoreError> {
        let (item, placement) = failed_intake(inbound, &reason);
        let item = self
            .store
            .complete_inbound(inbound.id, &item, &placement)
            .await?;
        self.wake_followers();
        Ok(IngestOutcome::Failed { item, reason })
    }

    async fn persist(
        &self,
        inbound: &Inbound,
        parsed: Parsed,
        raw: &[u8],
    ) -> Result<IngestOutcome, CoreError> {
        let noise = parsed.item.noise;
        let (item, placement) = self.prepare(inbound, parsed).await?;
        let id = self
            .store
            .complete_inbound(inbound.id, &item, &placement)
            .await?;
        self.wake_followers();
        let outcome = IngestOutcome::Ingested { item: id, noise };
        self.acknowledge_new(&item, &outcome, raw).await;
        Ok(outcome)
    }

    /// Stores a parsed item's attachments and threads, links and places it: everything but
    /// writing it.
    async fn prepare(
        &self,
        inbound: &Inbound,
        parsed: Parsed,
    ) -> Result<
        (
            switchboard_core::item::NewItem,
            switchboard_core::store::ItemPlacement,
        ),
        CoreError,
    > {
        self.store_attachment_bytes(&parsed.item.attachments)
            .await?;
        let placement = self.place(inbound, &parsed).await?;
        Ok((parsed.item, placement))
    }

    /// Threads, links and places a parsed item.
    async fn place(
        &self,
        inbound: &Inbound,
        parsed: &Parsed,
    ) -> Result<switchboard_core::store::ItemPlacement, CoreError> {
        let thread = self.threads_of(&[parsed]).await?.pop().unwrap_or_default();
        Ok(self
            .enricher
            .placement(&parsed.item, &thread, inbound.received_at))
    }

    /// Puts the bytes of attachments too large to keep in their rows (e-mail attachments, fax
    /// pages, recordings) into the blob store, before the item that names them by content
    /// address is committed.
    async fn store_attachment_bytes<'a>(
        &self,
        attachments: impl IntoIterator<Item = &'a switchboard_core::item::NewAttachment>,
    ) -> Result<(), CoreError> {
        let contents: Vec<Vec<u8>> = attachments
            .into_iter()
            .filter(|attachment| !attachment.is_inline())
            .map(|attachment| attachment.content.clone())
            .collect();
        if contents.is_empty() {
            return Ok(());
        }
        let blobs = self.blobs.clone();
        tokio::task::spawn_blocking(move || {
            let contents: Vec<&[u8]> = contents.iter().map(Vec::as_slice).collect();
            blobs.put_all(&contents).map(|_| ())
        })
        .await
        .map_err(|error| CoreError::Internal(format!("blob task failed: {error}")))?
    }
}

/// Logs an unreadable input and builds the failed item that shows it and keeps its bytes.
fn failed_intake(
    inbound: &Inbound,
    reason: &str,
) -> (NewItem, switchboard_core::store::ItemPlacement) {
    tracing::warn!(inbound = %inbound.id, source = %inbound.source, reason = %reason, "intake failed");
    failed_item(
        inbound.channel,
        &inbound.source,
        inbound.received_at,
        reason,
    )
}

/// A landed input: new (to process) or the same input again.
enum Landing {
    New(Inbound, Arc<Vec<u8>>),
    Duplicate(switchboard_core::WorkItemId),
}

impl Landing {
    /// What the store's landing of the input `raw` means for processing it.
    fn of(landing: switchboard_core::inbound::Landing, raw: Arc<Vec<u8>>) -> Self {
        match landing.inbound.item_id {
            Some(item) => Self::Duplicate(item),
            None => Self::New(landing.inbound, raw),
        }
    }
}

/// The active routing rule set with its version, if an admin activated one; the default set
/// applies otherwise.
async fn active_rules(store: &dyn Store) -> anyhow::Result<Option<(i64, ValidRuleSet)>> {
    let Some(active) = store.active_rule_set().await? else {
        return Ok(None);
    };
    let rules = RuleSet::from_json(&active.document.to_string()).map_err(|error| {
        anyhow::anyhow!("active rule set {} unreadable: {error}", active.version)
    })?;
    let valid = validate(&rules).map_err(|errors| {
        anyhow::anyhow!("active rule set {} is invalid: {errors:?}", active.version)
    })?;
    Ok(Some((active.version, valid)))
}

#[async_trait::async_trait]
impl Ingestor for Pipeline {
    async fn ingest(
        &self,
        channel: Channel,
        source: &str,
        raw: Vec<u8>,
    ) -> Result<IngestOutcome, CoreError> {
        self.ingest_raw(channel, source, raw).await
    }

    async fn land(
        &self,
        channel: Channel,
        source: &str,
        raw: Vec<u8>,
    ) -> Result<IngestOutcome, CoreError> {
        Pipeline::land(self, channel, source, raw).await
    }

    async fn master_data_changed(&self) -> Result<(), CoreError> {
        self.reload_master_data().await
    }

    async fn ingest_batch(
        &self,
        channel: Channel,
        inputs: Vec<RawInput>,
    ) -> Vec<Result<IngestOutcome, CoreError>> {
        Pipeline::ingest_batch(self, channel, inputs).await
    }
}
