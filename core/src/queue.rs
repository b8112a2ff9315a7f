//! Queues hold items until an agent takes them.

use serde::{Deserialize, Serialize};

use crate::ids::QueueId;
use crate::item::wire_enum;

wire_enum!(
    /// How a queue picks among eligible agents.
    QueueStrategy {
        LongestIdle = "longest_idle",
        LeastLoaded = "least_loaded",
        MostSkilled = "most_skilled",
    }
);

wire_enum!(
    /// Whether a queue assigns directly or offers first.
    OfferMode {
        AutoAssign = "auto_assign",
        Offer = "offer",
    }
);

/// A queue's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    /// The id.
    pub id: QueueId,
    /// Unique name, e.g. `orders-nl`.
    pub name: String,
    /// Agent selection strategy.
    pub strategy: QueueStrategy,
    /// Priority points added per minute waited.
    pub aging_per_minute: f64,
    /// Assign directly or offer.
    pub offer_mode: OfferMode,
    /// Seconds an offer stays open.
    pub offer_timeout_seconds: i32,
}
