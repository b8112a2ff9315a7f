//! Landing: raw inputs recorded before their source is acknowledged, so nothing is lost and a
//! re-delivery creates nothing new.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{InboundId, WorkItemId};
use crate::item::{Channel, ItemStatus, wire_enum};

wire_enum!(
    /// Where a landed input is in its processing.
    InboundState {
        /// Stored, not yet turned into an item (or the process died while doing so).
        Landed = "landed",
        /// Turned into an item.
        Processed = "processed",
        /// Could not be parsed; a failed item shows it.
        Failed = "failed",
        /// A document waiting for the OCR engine to become available.
        AwaitingOcr = "awaiting_ocr",
    }
);

/// Largest raw input kept in the database (beside its inbound row); larger ones are stored as
/// blob files.
pub const INLINE_RAW_MAX: usize = 256 * 1024;

/// A raw input to land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInbound {
    /// The channel it came through.
    pub channel: Channel,
    /// File base name, Message-ID or external id.
    pub source: String,
    /// The idempotency key: Message-ID, external id, or the fingerprint itself.
    pub idem_key: String,
    /// What makes two inputs with the same key the same input (hex SHA-256).
    pub fingerprint: String,
    /// Blob address of the raw bytes.
    pub blob: String,
    /// The raw bytes themselves when they are kept in the database (inputs up to
    /// [`INLINE_RAW_MAX`]); `None` when they are in the blob store under `blob`.
    pub raw: Option<Vec<u8>>,
    /// Size of the raw bytes.
    pub size: i64,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// A landed input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbound {
    /// The id.
    pub id: InboundId,
    /// The channel.
    pub channel: Channel,
    /// File base name, Message-ID or external id.
    pub source: String,
    /// Content address (SHA-256) of the raw bytes: kept in the database beside the inbound row
    /// for inputs up to [`INLINE_RAW_MAX`] (`Store::inbound_raw`), else in the blob store under
    /// it.
    pub blob: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Processing state.
    pub state: InboundState,
    /// The item made from it, once processed.
    pub item_id: Option<WorkItemId>,
    /// How often processing was attempted.
    pub attempts: i64,
}

/// The result of landing an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Landing {
    /// The landed row (new or found).
    pub inbound: Inbound,
    /// False when the same input had landed before.
    pub is_new: bool,
}

/// An earlier item a new one may reply to, found by its Message-ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadCandidate {
    /// The earlier item.
    pub item_id: WorkItemId,
    /// Its Message-ID.
    pub message_id: String,
    /// Its thread.
    pub thread_id: Option<WorkItemId>,
    /// Its status (a reply to a finished item reopens it).
    pub status: ItemStatus,
    /// The agent who has it.
    pub assigned_user_id: Option<crate::ids::UserId>,
}
