//! Browser sessions: the port that keeps them. Only a hash of the session id is stored, so a
//! leaked database does not sign anyone in.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::CoreResult;
use crate::ids::{Login, UserId};
use crate::user::Role;

/// A session to create at sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// SHA-256 (hex) of the random session id the cookie carries.
    pub id_hash: String,
    /// Who signed in.
    pub user: UserId,
    /// The token every state-changing request of this session must echo.
    pub csrf_token: String,
    /// When it was created (also the first activity).
    pub created_at: DateTime<Utc>,
    /// When it ends regardless of activity.
    pub expires_at: DateTime<Utc>,
}

/// A stored session with the user it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the session id.
    pub id_hash: String,
    /// The user.
    pub user: UserId,
    /// The user's login.
    pub login: Login,
    /// The user's name as shown.
    pub display_name: String,
    /// The user's current role (a role change applies at once).
    pub role: Role,
    /// The CSRF token of the session.
    pub csrf_token: String,
    /// Last request seen (for the idle timeout).
    pub last_seen_at: DateTime<Utc>,
    /// Absolute end.
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// Tells whether the session still holds at `now`: before its end and not idle for longer
    /// than `idle_timeout`.
    pub fn is_live(&self, now: DateTime<Utc>, idle_timeout: chrono::Duration) -> bool {
        now < self.expires_at && now - self.last_seen_at < idle_timeout
    }
}

/// Keeps browser sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    async fn create_session(&self, session: &NewSession) -> CoreResult<()>;

    /// Reads the session with this id hash, if it exists and its user may still sign in.
    async fn session(&self, id_hash: &str) -> CoreResult<Option<Session>>;

    /// Records activity on a session.
    async fn touch_session(&self, id_hash: &str, at: DateTime<Utc>) -> CoreResult<()>;

    /// Deletes a session (logout); deleting a missing one is not an error.
    async fn delete_session(&self, id_hash: &str) -> CoreResult<()>;

    /// Deletes sessions that ended or idled out before `idle_cutoff`; returns how many.
    async fn delete_stale_sessions(
        &self,
        now: DateTime<Utc>,
        idle_cutoff: DateTime<Utc>,
    ) -> CoreResult<u64>;
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn a_session_ends_at_its_expiry_or_after_idling() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        let session = Session {
            id_hash: "h".into(),
            user: UserId::new(1),
            login: Login::new("agent"),
            display_name: "Agent".into(),
            role: Role::Agent,
            csrf_token: "t".into(),
            last_seen_at: start,
            expires_at: start + Duration::hours(12),
        };
        let idle = Duration::minutes(30);
        assert!(session.is_live(start + Duration::minutes(29), idle));
        assert!(!session.is_live(start + Duration::minutes(30), idle));
        let active = Session {
            last_seen_at: start + Duration::hours(12),
            ..session
        };
        assert!(!active.is_live(start + Duration::hours(12), idle));
    }
}
