//! Batched intake: the inputs a source hands over at once (an IMAP fetch, a folder scan, a CLI
//! chunk) are landed in one transaction while they are parsed on every core, and persisted a
//! chunk per transaction — or several, when they were parsed by the time the first could be
//! written (a reply to an item of the same transaction joins that item's thread there); the
//! router is woken once per batch, and the search index follows the change feed in its own
//! batches.
//!
//! Exactly-once is the single path's: every input is landed (durable) before its item is
//! written (an input that had landed before is parsed again with its own row), each item is
//! written with its input's claim in the same transaction, and the source acknowledges
//! an input only after its outcome is returned. A crash mid-batch leaves landed inputs for
//! [`Pipeline::recover`]; a re-delivered input finds its landing.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use switchboard_core::inbound::{INLINE_RAW_MAX, Inbound, InboundState, NewInbound};
use switchboard_core::item::{Channel, NewItem, NoiseKind};
use switchboard_core::store::{InboundCompletion, ItemPlacement};
use switchboard_core::{CoreError, InboundId};
use switchboard_store::BlobStore;

use super::enrich::{Analysis, Enricher, Parent, ThreadContext};
use super::parse::{self, ParseFailure, Parsed, ParserSettings};
use super::threading::{StoredParents, UnwrittenParent};
use super::write_order::Turn;
use super::{IngestOutcome, Landing, Pipeline, RawInput, failed_intake, landing};

type Outcome = Result<IngestOutcome, CoreError>;

/// An e-mail waiting to be parsed, with what parsing needs of its landing row (known before
/// the row is written): its position in the batch, source, arrival time and bytes.
struct Unparsed {
    index: usize,
    source: String,
    received_at: DateTime<Utc>,
    raw: Arc<Vec<u8>>,
}

/// Most inputs parsed (and then written) together. A batch is split into one chunk per core
/// up to this size, so each write carries as many items as it can (a fifth less CPU per
/// e-mail on the intake bench than four chunks per core).
const MAX_PARSE_CHUNK: usize = 128;

/// A parsed input, analysed on the parsing core: an item outside any thread is placed there
/// too, a reply only once its thread is read.
struct ParsedInput {
    index: usize,
    raw: Arc<Vec<u8>>,
    parsed: Result<(Parsed, Readiness), ParseFailure>,
}

/// How far the parsing core got with an item.
enum Readiness {
    Placed(ItemPlacement),
    /// A reply: placed once its thread is known.
    Analysed(Analysis),
}

/// An item ready to persist, and what its outcome will say.
struct Pending {
    index: usize,
    inbound: InboundId,
    raw: Arc<Vec<u8>>,
    item: NewItem,
    placement: ItemPlacement,
    /// The position of the unwritten item it replies to.
    replies_to: Option<usize>,
    kind: PendingKind,
}

enum PendingKind {
    Ingested(Option<NoiseKind>),
    Failed(String),
}

impl Pending {
    fn outcome(&self, item: switchboard_core::WorkItemId) -> IngestOutcome {
        match &self.kind {
            PendingKind::Ingested(noise) => IngestOutcome::Ingested {
                item,
                noise: *noise,
            },
            PendingKind::Failed(reason) => IngestOutcome::Failed {
                item,
                reason: reason.clone(),
            },
        }
    }
}

/// Items parsed but not yet written, and where each Message-ID among them is: a reply to one of
/// them joins it in the same transaction.
#[derive(Default)]
struct Unwritten {
    items: Vec<Pending>,
    /// The position of the latest item carrying each Message-ID.
    message_ids: HashMap<String, usize>,
}

impl Unwritten {
    fn push(&mut self, pending: Pending) {
        if let Some(id) = &pending.item.message_id {
            self.message_ids.insert(id.clone(), self.items.len());
        }
        self.items.push(pending);
    }

    fn parent(&self, message_id: &str) -> Option<UnwrittenParent<'_>> {
        let position = *self.message_ids.get(message_id)?;
        Some(UnwrittenParent {
            position,
            links: &self.items[position].placement.links,
        })
    }
}

/// Whether an input's bytes are kept in the database rather than a blob file.
fn is_inline(raw: &[u8]) -> bool {
    raw.len() <= INLINE_RAW_MAX
}

/// The parsing of a batch's e-mails on the blocking pool: one chunk per core (at most
/// [`MAX_PARSE_CHUNK`] inputs each), as many chunks at a time as there are cores, in order.
struct ParseLanes {
    parsers: Arc<ParserSettings>,
    enricher: Arc<Enricher>,
    waiting: std::vec::IntoIter<Unparsed>,
    chunk_size: usize,
    lanes: usize,
    in_flight: VecDeque<tokio::task::JoinHandle<Vec<ParsedInput>>>,
}

impl ParseLanes {
    /// Starts parsing `unparsed` with the pipeline's parsers.
    fn start(pipeline: &Pipeline, unparsed: Vec<Unparsed>) -> Self {
        let lanes = std::thread::available_parallelism().map_or(1, usize::from);
        let mut started = Self {
            parsers: Arc::clone(&pipeline.parsers),
            enricher: Arc::clone(&pipeline.enricher),
            chunk_size: unparsed.len().div_ceil(lanes).clamp(1, MAX_PARSE_CHUNK),
            lanes,
            waiting: unparsed.into_iter(),
            in_flight: VecDeque::new(),
        };
        started.refill();
        started
    }

    /// Spawns chunks until as many are in flight as there are cores.
    fn refill(&mut self) {
        while self.in_flight.len() < self.lanes && self.waiting.len() > 0 {
            let chunk: Vec<Unparsed> = self.waiting.by_ref().take(self.chunk_size).collect();
            self.in_flight.push_back(self.spawn(chunk));
        }
    }

    /// Parses and analyses a chunk on the blocking pool, keeping its order, and places the
    /// items that reply to nothing there too.
    fn spawn(&self, chunk: Vec<Unparsed>) -> tokio::task::JoinHandle<Vec<ParsedInput>> {
        let parsers = Arc::clone(&self.parsers);
        let enricher = Arc::clone(&self.enricher);
        tokio::task::spawn_blocking(move || {
            chunk
                .into_iter()
                .map(|input| {
                    let parsed = parse::parse(
                        Channel::Email,
                        &input.raw,
                        &input.source,
                        input.received_at,
                        &parsers,
                        None,
                    );
                    let parsed = parsed.map(|parsed| {
                        let analysis = enricher.analyse(&parsed.item);
                        let readiness =
                            if parsed.reply_ids.is_empty() && parsed.token_item.is_none() {
                                Readiness::Placed(enricher.place(
                                    &parsed.item,
                                    analysis,
                                    &ThreadContext::default(),
                                    input.received_at,
                                ))
                            } else {
                                Readiness::Analysed(analysis)
                            };
                        (parsed, readiness)
                    });
                    ParsedInput {
                        index: input.index,
                        raw: input.raw,
                        parsed,
                    }
                })
                .collect::<Vec<_>>()
        })
    }
}

impl Pipeline {
    /// Lands and processes the inputs a source hands over at once (an IMAP fetch, a folder
    /// scan), in order; one outcome per input, with the meaning of [`Pipeline::ingest_raw`]'s:
    /// an error means that input is not done and the source must keep it.
    ///
    /// Batches handed over while others are in progress land and parse at once, and write
    /// their e-mails' items in the order they were handed over (the order is taken by this
    /// call, not by the first poll of its future): a source that hands over its next batch
    /// before the last one's outcomes keeps both cores busy, and a reply still finds a parent
    /// handed over before it. Inputs that take the OCR pool or fetch a recording are processed
    /// one by one before the batch's turn, outside that order.
    pub fn ingest_batch(
        &self,
        channel: Channel,
        inputs: Vec<RawInput>,
    ) -> impl Future<Output = Vec<Outcome>> + Send + '_ {
        let turn = self.write_order.take();
        self.ingest_batch_in_turn(channel, inputs, turn)
    }

    async fn ingest_batch_in_turn(
        &self,
        channel: Channel,
        inputs: Vec<RawInput>,
        turn: Turn,
    ) -> Vec<Outcome> {
        let count = inputs.len();
        if count == 0 {
            return Vec::new();
        }
        let (rows, raws) = match self.prepare_landing(channel, inputs).await {
            Ok(prepared) => prepared,
            Err(error) => return vec![Err(error); count],
        };
        // E-mails parse while they land: parsing needs nothing the landing decides, and the
        // landing may wait behind the write of the batch before. Documents take the OCR pool
        // and voicemails may fetch a recording: those keep the one-by-one path.
        let parsed_early: Vec<bool> = raws
            .iter()
            .map(|raw| channel == Channel::Email && !parse::needs_ocr(channel, raw))
            .collect();
        let unparsed = rows
            .iter()
            .zip(&raws)
            .enumerate()
            .filter(|(index, _)| parsed_early[*index])
            .map(|(index, (row, raw))| Unparsed {
                index,
                source: row.source.clone(),
                received_at: row.received_at,
                raw: Arc::clone(raw),
            })
            .collect();
        let lanes = ParseLanes::start(self, unparsed);
        let landed = match self.store.land_batch(&rows).await {
            Ok(landed) => landed,
            Err(error) => return vec![Err(error); count],
        };
        let mut outcomes: Vec<Option<Outcome>> = vec![None; count];
        let mut first_of: HashMap<InboundId, usize> = HashMap::new();
        let mut repeated = Vec::new();
        let mut single = Vec::new();
        // The landing rows of the inputs whose parse is under way, by position.
        let mut batched: Vec<Option<Inbound>> = vec![None; count];
        for (index, (landing, raw)) in landed.into_iter().zip(raws).enumerate() {
            let is_new = landing.is_new;
            match Landing::of(landing, raw) {
                Landing::Duplicate(item) => {
                    outcomes[index] = Some(Ok(IngestOutcome::Duplicate { item }));
                }
                Landing::New(inbound, raw) => {
                    if let Some(&first) = first_of.get(&inbound.id) {
                        repeated.push((index, first));
                        continue;
                    }
                    first_of.insert(inbound.id, index);
                    // An input landed before (and not finished) has its own arrival time and
                    // source: it is parsed again with them.
                    if is_new && parsed_early[index] {
                        batched[index] = Some(inbound);
                    } else {
                        single.push((index, inbound, raw));
                    }
                }
            }
        }
        for (index, inbound, raw) in single {
            outcomes[index] = Some(self.process(&inbound, raw).await);
        }
        self.parse_and_persist(lanes, batched, turn, &mut outcomes)
            .await;
        for (index, first) in repeated {
            // The same input twice in one batch: the second is a duplicate of the first.
            outcomes[index] = Some(match &outcomes[first] {
                Some(Ok(outcome)) => match outcome.item() {
                    Some(item) => Ok(IngestOutcome::Duplicate { item }),
                    None => Ok(outcome.clone()),
                },
                Some(Err(error)) => Err(error.clone()),
                None => Err(CoreError::Internal("batch input without outcome".into())),
            });
        }
        self.wake_followers();
        outcomes
            .into_iter()
            .map(|outcome| {
                outcome.unwrap_or_else(|| {
                    Err(CoreError::Internal("batch input without outcome".into()))
                })
            })
            .collect()
    }

    /// Lands every input in one transaction: the bytes of inputs up to [`INLINE_RAW_MAX`] in
    /// their rows, larger ones in the blob store first (one durability barrier for all).
    pub(super) async fn land_batch(
        &self,
        channel: Channel,
        inputs: Vec<RawInput>,
    ) -> Result<Vec<Landing>, CoreError> {
        let (rows, raws) = self.prepare_landing(channel, inputs).await?;
        let landings = self.store.land_batch(&rows).await?;
        Ok(landings
            .into_iter()
            .zip(raws)
            .map(|(landing, raw)| Landing::of(landing, raw))
            .collect())
    }

    /// The landing rows of inputs, with their bytes; the bytes of inputs larger than
    /// [`INLINE_RAW_MAX`] are put in the blob store (one durability barrier for all).
    async fn prepare_landing(
        &self,
        channel: Channel,
        inputs: Vec<RawInput>,
    ) -> Result<(Vec<NewInbound>, Vec<Arc<Vec<u8>>>), CoreError> {
        if !parse::supports(channel) {
            return Err(CoreError::BadInput(format!(
                "the {channel} channel cannot be ingested by this build"
            )));
        }
        let blobs = self.blobs.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            let large: Vec<&[u8]> = inputs
                .iter()
                .map(|input| input.raw.as_slice())
                .filter(|raw| !is_inline(raw))
                .collect();
            blobs.put_all(&large)?;
            Ok::<_, CoreError>(
                inputs
                    .into_iter()
                    .map(|input| {
                        let keys = landing::keys(channel, &input.raw);
                        let new = NewInbound {
                            channel,
                            source: input.source,
                            idem_key: keys.idem_key,
                            fingerprint: keys.fingerprint,
                            blob: BlobStore::address_of(&input.raw),
                            raw: is_inline(&input.raw).then(|| input.raw.clone()),
                            size: i64::try_from(input.raw.len()).unwrap_or(i64::MAX),
                            received_at: Utc::now(),
                        };
                        (new, Arc::new(input.raw))
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .await
        .map_err(|error| CoreError::Internal(format!("blob task failed: {error}")))??;
        Ok(prepared.into_iter().unzip())
    }

    /// Persists each chunk `lanes` parses in order, as soon as it is parsed and the batch's
    /// `turn` has begun, together with the chunks after it that are parsed by then: the
    /// database writes of one chunk overlap the parsing of the next ones, and of the next
    /// batch's. Only inputs with a landing row in `landed` are persisted.
    async fn parse_and_persist(
        &self,
        mut lanes: ParseLanes,
        mut landed: Vec<Option<Inbound>>,
        mut turn: Turn,
        outcomes: &mut [Option<Outcome>],
    ) {
        let mut unwritten = Unwritten::default();
        while let Some(next) = lanes.in_flight.pop_front() {
            let parsed = next.await;
            // The next chunk parses while this one is written.
            lanes.refill();
            turn.begin().await;
            // Chunks parsed while this one waited for its turn join it: fewer reads,
            // transactions and statements per item, and no chunk waits for one.
            let mut chunks = vec![parsed];
            while let Some(ready) = lanes.in_flight.pop_front_if(|chunk| chunk.is_finished()) {
                chunks.push(ready.await);
                lanes.refill();
            }
            let parsed = chunks
                .into_iter()
                .filter_map(|chunk| {
                    // Parser panics are caught inside the parsers; a lost task leaves its
                    // inputs landed (without outcome, so the source keeps them), and they are
                    // processed again at the next start.
                    chunk
                        .inspect_err(|error| tracing::error!(%error, "parser task failed"))
                        .ok()
                })
                .flatten()
                .filter_map(|input| Some((landed[input.index].take()?, input)))
                .collect();
            self.persist_all(parsed, &mut unwritten, outcomes).await;
            self.write(&mut unwritten, outcomes).await;
        }
    }

    /// Threads, links and places parsed inputs (the chunks written together) and adds them to
    /// `unwritten`: one read finds the stored parents of all their replies, and a reply to an
    /// item among them joins it when both are written.
    async fn persist_all(
        &self,
        parsed: Vec<(Inbound, ParsedInput)>,
        unwritten: &mut Unwritten,
        outcomes: &mut [Option<Outcome>],
    ) {
        // Every blob-stored attachment of the batch behind one durability barrier; a failure leaves each
        // item to store its own below, so it costs only that item's outcome.
        let attachments = parsed
            .iter()
            .filter_map(|(_, input)| input.parsed.as_ref().ok())
            .flat_map(|(parsed, _)| &parsed.item.attachments);
        let attachments_stored = match self.store_attachment_bytes(attachments).await {
            Ok(()) => true,
            Err(error) => {
                tracing::warn!(%error, "batch attachments not stored together; storing them item by item");
                false
            }
        };
        let replies: Vec<&Parsed> = parsed
            .iter()
            .filter_map(|(_, input)| match &input.parsed {
                Ok((parsed, Readiness::Analysed(_))) => Some(parsed),
                _ => None,
            })
            .collect();
        let stored = if replies.is_empty() {
            Ok(StoredParents::default())
        } else {
            self.stored_parents(&replies).await
        };
        for (inbound, input) in parsed {
            let thread = match (&stored, &input.parsed) {
                (Ok(stored), Ok((parsed, Readiness::Analysed(_)))) => {
                    Ok(stored.thread_of(parsed, |id| unwritten.parent(id)))
                }
                (Ok(_), _) => Ok(ThreadContext::default()),
                (Err(error), _) => Err(error.clone()),
            };
            self.persist_one(
                inbound,
                input,
                thread,
                attachments_stored,
                unwritten,
                outcomes,
            )
            .await;
        }
    }

    /// Prepares one parsed input (its thread found already, or why not) and adds it to
    /// `unwritten`.
    async fn persist_one(
        &self,
        inbound: Inbound,
        input: ParsedInput,
        thread: Result<ThreadContext, CoreError>,
        attachments_stored: bool,
        unwritten: &mut Unwritten,
        outcomes: &mut [Option<Outcome>],
    ) {
        let ParsedInput { index, raw, parsed } = input;
        let pending = match parsed {
            Ok((parsed, readiness)) => {
                let noise = parsed.item.noise;
                let prepared = async {
                    if !attachments_stored {
                        self.store_attachment_bytes(&parsed.item.attachments)
                            .await?;
                    }
                    let (placement, replies_to) = match readiness {
                        Readiness::Placed(placement) => (placement, None),
                        Readiness::Analysed(analysis) => {
                            let thread = thread?;
                            let replies_to = thread.parent.and_then(Parent::unwritten);
                            let placement = self.enricher.place(
                                &parsed.item,
                                analysis,
                                &thread,
                                inbound.received_at,
                            );
                            (placement, replies_to)
                        }
                    };
                    Ok::<_, CoreError>((parsed.item, placement, replies_to))
                }
                .await;
                match prepared {
                    Ok((item, placement, replies_to)) => Pending {
                        index,
                        inbound: inbound.id,
                        raw,
                        item,
                        placement,
                        replies_to,
                        kind: PendingKind::Ingested(noise),
                    },
                    Err(error) => {
                        outcomes[index] = Some(Err(error));
                        return;
                    }
                }
            }
            Err(ParseFailure::Deferred(reason)) => {
                outcomes[index] = Some(self.defer(&inbound, reason).await);
                return;
            }
            Err(ParseFailure::Unreadable(reason)) => {
                let (item, placement) = failed_intake(&inbound, &reason);
                Pending {
                    index,
                    inbound: inbound.id,
                    raw,
                    item,
                    placement,
                    replies_to: None,
                    kind: PendingKind::Failed(reason),
                }
            }
        };
        unwritten.push(pending);
    }

    /// Writes the unwritten items in one transaction. When it fails, each is written alone, so
    /// one bad item costs only its own outcome.
    async fn write(&self, unwritten: &mut Unwritten, outcomes: &mut [Option<Outcome>]) {
        let items = std::mem::take(&mut unwritten.items);
        unwritten.message_ids.clear();
        if items.is_empty() {
            return;
        }
        let completions: Vec<InboundCompletion<'_>> = items
            .iter()
            .map(|pending| InboundCompletion {
                inbound: pending.inbound,
                item: &pending.item,
                placement: &pending.placement,
                replies_to: pending.replies_to,
            })
            .collect();
        match self.store.complete_inbounds(&completions).await {
            Ok(ids) => {
                for (pending, id) in items.iter().zip(ids) {
                    outcomes[pending.index] = Some(Ok(pending.outcome(id)));
                }
            }
            Err(error) => {
                tracing::warn!(%error, items = items.len(), "batch not written; writing its items one by one");
                for pending in &items {
                    // A reply written alone names its parent, if that was written.
                    let parent = pending
                        .replies_to
                        .and_then(|position| outcomes[items[position].index].as_ref())
                        .and_then(|outcome| outcome.as_ref().ok())
                        .and_then(IngestOutcome::item);
                    let placement = ItemPlacement {
                        parent_id: parent.or(pending.placement.parent_id),
                        ..pending.placement.clone()
                    };
                    let completion = InboundCompletion {
                        inbound: pending.inbound,
                        item: &pending.item,
                        placement: &placement,
                        replies_to: None,
                    };
                    let written = self
                        .store
                        .complete_inbounds(std::slice::from_ref(&completion))
                        .await
                        .and_then(|mut ids| {
                            ids.pop().ok_or_else(|| {
                                CoreError::Internal("completion without item".into())
                            })
                        });
                    outcomes[pending.index] = Some(written.map(|id| pending.outcome(id)));
                }
            }
        }
        for pending in &items {
            if let (PendingKind::Ingested(_), Some(Ok(outcome))) =
                (&pending.kind, &outcomes[pending.index])
            {
                self.acknowledge_new(&pending.item, outcome, &pending.raw)
                    .await;
            }
        }
    }

    /// Leaves an input waiting for a missing tool (the OCR engine).
    pub(super) async fn defer(&self, inbound: &Inbound, reason: String) -> Outcome {
        tracing::warn!(inbound = %inbound.id, source = %inbound.source, reason = %reason, "intake deferred");
        self.store
            .set_inbound_state(inbound.id, InboundState::AwaitingOcr, Some(&reason))
            .await?;
        Ok(IngestOutcome::Deferred {
            inbound: inbound.id,
            reason,
        })
    }
}
