//! Links tie an item to the customer, orders and deliveries it is about, with evidence.

use serde::{Deserialize, Serialize};

use crate::ids::{LinkId, WorkItemId};
use crate::item::wire_enum;

wire_enum!(
    /// What a link points at.
    LinkKind {
        Customer = "customer",
        Order = "order",
        Delivery = "delivery",
    }
);

wire_enum!(
    /// Who made a link.
    LinkOrigin {
        /// The linker.
        Auto = "auto",
        /// An agent or lead.
        Agent = "agent",
    }
);

/// A link with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The id.
    pub id: LinkId,
    /// The linked item.
    pub item_id: WorkItemId,
    /// What it points at.
    pub kind: LinkKind,
    /// The business key (customer, order or delivery number).
    pub key: String,
    /// How sure the linker is, 0..1.
    pub confidence: f64,
    /// Who made it.
    pub origin: LinkOrigin,
    /// Applied links count; others are suggestions.
    pub applied: bool,
    /// Why, in words an agent understands.
    pub evidence: String,
}

/// A link before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLink {
    /// What it points at.
    pub kind: LinkKind,
    /// The business key.
    pub key: String,
    /// How sure the linker is, 0..1.
    pub confidence: f64,
    /// Who made it.
    pub origin: LinkOrigin,
    /// Applied or only suggested.
    pub applied: bool,
    /// Why.
    pub evidence: String,
}

impl From<&Link> for NewLink {
    fn from(link: &Link) -> Self {
        Self {
            kind: link.kind,
            key: link.key.clone(),
            confidence: link.confidence,
            origin: link.origin,
            applied: link.applied,
            evidence: link.evidence.clone(),
        }
    }
}
