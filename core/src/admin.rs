//! Administration of accounts and the audit trail: enabling and disabling users, listing and
//! revoking API tokens, and reading the audit trail.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::event::{Actor, AuditEvent};
use crate::ids::{ApiTokenId, EventId, Login};
use crate::user::Role;

/// A new API token as stored: its hash and a short prefix of the plaintext, never the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// What the token is for, e.g. "SAP sync".
    pub name: String,
    /// The role it acts with.
    pub role: Role,
    /// The stored form of the plaintext.
    pub token_hash: String,
    /// The first characters of the plaintext, shown in lists to tell tokens apart.
    pub prefix: String,
}

/// An API token as an admin lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenListing {
    /// The id.
    pub id: ApiTokenId,
    /// What the token is for.
    pub name: String,
    /// The role it acts with.
    pub role: Role,
    /// The first characters of the plaintext (absent for tokens made before prefixes were kept).
    pub prefix: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked token authenticates nothing.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Which audit events to read, newest first; every filter is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditQuery {
    /// Only actions starting with this (`user.` or a whole action such as `user.created`).
    pub action_prefix: Option<String>,
    /// Only events caused by this actor.
    pub actor: Option<Actor>,
    /// Only events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only events before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Only events older than this one (the next page after it).
    pub before: Option<EventId>,
    /// At most this many.
    pub limit: u32,
}

/// The administration port of the system of record.
#[async_trait]
pub trait AdminStore: Send + Sync {
    /// Enables or disables a user. A disabled user cannot sign in and their sessions stop
    /// working at once.
    async fn set_user_active(&self, login: &Login, active: bool) -> CoreResult<()>;

    /// Lists every API token, revoked ones included, newest first.
    async fn api_tokens(&self) -> CoreResult<Vec<ApiTokenListing>>;

    /// Revokes a token; revoking a revoked token keeps its first revocation time.
    async fn revoke_api_token(&self, id: ApiTokenId, at: DateTime<Utc>) -> CoreResult<()>;

    /// Records that a token was used at `at`.
    async fn touch_api_token(&self, id: ApiTokenId, at: DateTime<Utc>) -> CoreResult<()>;

    /// Reads the audit events `query` selects, newest first.
    async fn audit_events(&self, query: &AuditQuery) -> CoreResult<Vec<AuditEvent>>;

    /// Reads the newest audit events whose action starts with `action_prefix`, newest first.
    async fn recent_events(&self, action_prefix: &str, limit: u32) -> CoreResult<Vec<AuditEvent>> {
        self.audit_events(&AuditQuery {
            action_prefix: Some(action_prefix.to_owned()),
            limit,
            ..AuditQuery::default()
        })
        .await
    }
}
