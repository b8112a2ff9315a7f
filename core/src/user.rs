//! Users: agents, team leads and admins, and API tokens for integrations.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{Login, UserId};
use crate::item::wire_enum;
use crate::skill::Skill;

wire_enum!(
    /// What a user may do. Each role includes the ones before it.
    Role {
        /// Works their queue.
        Agent = "agent",
        /// Watches queues and rebalances work.
        Lead = "lead",
        /// Defines agents, skills, queues and rules; feeds master data.
        Admin = "admin",
    }
);

impl Role {
    /// Tells whether this role includes the rights of `required`.
    pub fn includes(self, required: Role) -> bool {
        self.rank() >= required.rank()
    }

    fn rank(self) -> u8 {
        match self {
            Self::Agent => 0,
            Self::Lead => 1,
            Self::Admin => 2,
        }
    }
}

wire_enum!(
    /// An agent's presence.
    AgentStatus {
        Available = "available",
        Away = "away",
        Offline = "offline",
        /// Missed too many offers in a row.
        NotResponding = "not_responding",
    }
);

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The id.
    pub id: UserId,
    /// The login name.
    pub login: Login,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The master-data agent this user works as, if any.
    pub agent_id: Option<String>,
    /// Whether a password is set (imported agents start without one).
    pub can_sign_in: bool,
    /// Presence.
    pub status: AgentStatus,
    /// Capacity in units.
    pub capacity: i32,
    /// Whether the account is active.
    pub active: bool,
}

/// A user with the secret needed to check a sign-in.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    /// The user.
    pub user: User,
    /// The argon2 PHC string, when a password is set.
    pub password_hash: Option<String>,
}

/// An agent as the router sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentProfile {
    /// The user.
    pub user: User,
    /// Skills with levels.
    pub skills: Vec<Skill>,
}

/// A request to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The login name.
    pub login: Login,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// The argon2 PHC string, if a password is set.
    pub password_hash: Option<String>,
    /// The master-data agent this user works as.
    pub agent_id: Option<String>,
}

/// An API token as stored: only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// The id.
    pub id: crate::ids::ApiTokenId,
    /// What the token is for, e.g. "SAP sync".
    pub name: String,
    /// The role it acts with.
    pub role: Role,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_lower_roles() {
        assert!(Role::Admin.includes(Role::Lead));
        assert!(Role::Lead.includes(Role::Agent));
        assert!(!Role::Agent.includes(Role::Lead));
        assert!(!Role::Lead.includes(Role::Admin));
    }
}
