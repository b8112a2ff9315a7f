//! Audit events: every change that matters is recorded with who did it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{EventId, UserId, WorkItemId};

/// Who caused an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// Switchboard itself (ingest, router, import).
    System,
    /// A signed-in user.
    User {
        /// The user.
        id: UserId,
    },
    /// An integration using an API token.
    Token {
        /// The token's name.
        name: String,
    },
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The id.
    pub id: EventId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who caused it.
    pub actor: Actor,
    /// What happened, e.g. `item.created`, `import.customers`.
    pub action: String,
    /// The item concerned, if any.
    pub item_id: Option<WorkItemId>,
    /// Details as JSON.
    pub details: serde_json::Value,
}

/// An event before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who caused it.
    pub actor: Actor,
    /// What happened.
    pub action: String,
    /// The item concerned, if any.
    pub item_id: Option<WorkItemId>,
    /// Details as JSON.
    pub details: serde_json::Value,
}
