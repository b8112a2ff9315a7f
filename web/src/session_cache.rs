//! Sessions this node read a moment ago, so a page does not spend a database round trip on
//! finding its session again (on SQLite the lookup was a third of the item page's cost).
//!
//! A session read from the store is reused for at most [`FRESH_FOR`]. Changes made on this node
//! apply at once: logout and an expired session forget the entry ([`SessionCache::forget`]),
//! and an admin's role change, disabling or password reset forgets every entry of that user
//! ([`SessionCache::forget_user`]) before the response is sent. Changes made elsewhere (another
//! node, the `switchboard users` command) apply once the entry is older than [`FRESH_FOR`]:
//! the next request then reads the session from the store again. Only live sessions are kept;
//! an unknown cookie is looked up in the store every time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use switchboard_core::Login;
use switchboard_core::session::Session;

/// How long a session read from the store is reused: the most a change made on another node
/// (a logout, a role change, a disabled user) takes to apply here.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

/// Entries above which stale ones are dropped before adding another.
const PRUNE_ABOVE: usize = 10_000;

/// A session as read from the store, and when.
#[derive(Debug)]
struct Entry {
    session: Session,
    read_at: Instant,
}

/// Recently read sessions by the hash of their id.
#[derive(Debug, Default)]
pub struct SessionCache {
    entries: Mutex<HashMap<String, Entry>>,
}

impl SessionCache {
    /// Returns the session with id hash `id_hash` if it was read from the store less than
    /// [`FRESH_FOR`] ago.
    pub fn fresh(&self, id_hash: &str) -> Option<Session> {
        self.lock()
            .get(id_hash)
            .filter(|entry| entry.read_at.elapsed() < FRESH_FOR)
            .map(|entry| entry.session.clone())
    }

    /// Keeps `session`, just read from the store.
    pub fn keep(&self, session: Session) {
        let mut entries = self.lock();
        if entries.len() >= PRUNE_ABOVE {
            entries.retain(|_, entry| entry.read_at.elapsed() < FRESH_FOR);
        }
        let entry = Entry {
            session,
            read_at: Instant::now(),
        };
        entries.insert(entry.session.id_hash.clone(), entry);
    }

    /// Records that the session's activity was written back at `at`.
    pub fn touched(&self, id_hash: &str, at: DateTime<Utc>) {
        if let Some(entry) = self.lock().get_mut(id_hash) {
            entry.session.last_seen_at = at;
        }
    }

    /// Forgets one session (logout, expiry).
    pub fn forget(&self, id_hash: &str) {
        self.lock().remove(id_hash);
    }

    /// Forgets every session of the user signed in as `login` (a change of role, state or
    /// password): their next request reads the user from the store.
    pub fn forget_user(&self, login: &Login) {
        self.lock().retain(|_, entry| entry.session.login != *login);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves the map whole (every change is one call).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use switchboard_core::UserId;
    use switchboard_core::user::Role;

    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 9, minute, 0).unwrap()
    }

    fn session(id_hash: &str, login: &str) -> Session {
        Session {
            id_hash: id_hash.into(),
            user: UserId::new(1),
            login: Login::new(login),
            display_name: login.into(),
            role: Role::Agent,
            csrf_token: "token".into(),
            last_seen_at: at(0),
            expires_at: at(59),
        }
    }

    #[test]
    fn a_kept_session_is_found_until_forgotten() {
        let cache = SessionCache::default();
        assert_eq!(cache.fresh("a"), None);
        cache.keep(session("a", "ann"));
        assert_eq!(cache.fresh("a"), Some(session("a", "ann")));
        cache.forget("a");
        assert_eq!(cache.fresh("a"), None);
    }

    #[test]
    fn forgetting_a_user_forgets_only_their_sessions() {
        let cache = SessionCache::default();
        cache.keep(session("a", "ann"));
        cache.keep(session("b", "ann"));
        cache.keep(session("c", "bob"));
        cache.forget_user(&Login::new("ann"));
        assert_eq!(cache.fresh("a"), None);
        assert_eq!(cache.fresh("b"), None);
        assert_eq!(cache.fresh("c"), Some(session("c", "bob")));
    }

    #[test]
    fn a_touch_moves_the_cached_activity() {
        let cache = SessionCache::default();
        cache.keep(session("a", "ann"));
        cache.touched("a", at(5));
        assert_eq!(cache.fresh("a").map(|s| s.last_seen_at), Some(at(5)));
    }
}
