//! The `Ingestor` port: how sources (HTTP intake, mail pipes, watched folders) hand raw inputs
//! to the ingest pipeline without knowing it.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::ids::WorkItemId;
use crate::item::{Channel, NoiseKind};

/// What happened to one input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum IngestOutcome {
    /// A new item was made.
    Ingested {
        /// The item.
        item: WorkItemId,
        /// Its noise kind, when it is noise.
        noise: Option<NoiseKind>,
    },
    /// The same input had been ingested before.
    Duplicate {
        /// The item made then.
        item: WorkItemId,
    },
    /// The input could not be parsed; it is kept and shown as a failed item.
    Failed {
        /// The failed item.
        item: WorkItemId,
        /// Why.
        reason: String,
    },
    /// The input is landed; it is processed in the background (documents wait for OCR).
    Accepted {
        /// The landed input.
        inbound: crate::ids::InboundId,
    },
    /// The input is landed and waits for a tool (the OCR engine) to become available.
    Deferred {
        /// The landed input.
        inbound: crate::ids::InboundId,
        /// Why.
        reason: String,
    },
}

impl IngestOutcome {
    /// The item the input is now part of; none while it waits.
    pub fn item(&self) -> Option<WorkItemId> {
        match self {
            Self::Ingested { item, .. } | Self::Duplicate { item } | Self::Failed { item, .. } => {
                Some(*item)
            }
            Self::Accepted { .. } | Self::Deferred { .. } => None,
        }
    }
}

/// One raw input of a batch and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawInput {
    /// File base name, Message-ID or external id.
    pub source: String,
    /// The bytes.
    pub raw: Vec<u8>,
}

/// Batches a source keeps handed over at once ([`Ingestor::ingest_batch`]): one writing its
/// items while the next lands and parses on the other cores.
pub const BATCHES_IN_FLIGHT: usize = 2;

/// Takes raw inputs into the system.
#[async_trait]
pub trait Ingestor: Send + Sync {
    /// Lands and processes one input. An error means it could not be landed: the source must
    /// keep it and retry. Every `Ok` outcome is durable.
    async fn ingest(
        &self,
        channel: Channel,
        source: &str,
        raw: Vec<u8>,
    ) -> CoreResult<IngestOutcome>;

    /// Lands one input and returns once it is durable, leaving slow processing (OCR) to the
    /// background; a crash before it ends is recovered from the landing table. Duplicates are
    /// still recognised at once. Ingestors without a background answer as [`Ingestor::ingest`].
    async fn land(
        &self,
        channel: Channel,
        source: &str,
        raw: Vec<u8>,
    ) -> CoreResult<IngestOutcome> {
        self.ingest(channel, source, raw).await
    }

    /// Reads master data again, so the next inputs are linked against it (a contact an agent
    /// remembered, an import). Ingestors that link nothing have nothing to do.
    async fn master_data_changed(&self) -> CoreResult<()> {
        Ok(())
    }

    /// Ingests the inputs a source hands over at once, in order, with one outcome per input
    /// meaning what [`Ingestor::ingest`]'s means. Ingestors that cannot batch take them one by
    /// one.
    ///
    /// A source may hand over its next batch before this one answers (up to
    /// [`BATCHES_IN_FLIGHT`], polling the calls' futures in the order it made them): an
    /// ingestor that batches writes them in that order, so a reply in a later batch finds its
    /// parent. This default is for ingestors handed one batch at a time.
    async fn ingest_batch(
        &self,
        channel: Channel,
        inputs: Vec<RawInput>,
    ) -> Vec<CoreResult<IngestOutcome>> {
        let mut outcomes = Vec::with_capacity(inputs.len());
        for input in inputs {
            outcomes.push(self.ingest(channel, &input.source, input.raw).await);
        }
        outcomes
    }
}
