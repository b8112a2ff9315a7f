//! Credentials this node read a moment ago — browser sessions and API tokens, by the hash of
//! their secret — so a request does not spend a database round trip on finding them again (on
//! SQLite the session lookup was a third of the item page's cost, and under intake every read
//! transaction after a write pays for re-mapping the database file).
//!
//! An entry read from the store is reused for at most [`FRESH_FOR`]. Changes made on this node
//! apply at once: logout, an expired session and a revoked token forget their entry
//! ([`FreshCache::forget`]), and an admin's role change, disabling or password reset forgets
//! every session of that user ([`FreshCache::forget_where`]) before the response is sent.
//! Changes made elsewhere (another node, the `switchboard users` command) apply once the entry
//! is older than [`FRESH_FOR`]: the next request then reads it from the store again. Only
//! live credentials are kept; an unknown secret is looked up in the store every time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use switchboard_core::session::Session;
use switchboard_core::user::ApiToken;

/// How long an entry read from the store is reused: the most a change made on another node
/// (a logout, a role change, a disabled user, a revoked token) takes to apply here.
pub const FRESH_FOR: Duration = Duration::from_secs(2);

/// Entries above which stale ones are dropped before adding another.
const PRUNE_ABOVE: usize = 10_000;

/// Sessions by the hash of their id.
pub type SessionCache = FreshCache<Session>;
/// API tokens by the hash of their plaintext.
pub type TokenCache = FreshCache<ApiToken>;

/// A record as read from the store, and when.
#[derive(Debug)]
struct Entry<V> {
    value: V,
    read_at: Instant,
}

/// Recently read records by the hash of their secret.
#[derive(Debug)]
pub struct FreshCache<V> {
    entries: Mutex<HashMap<String, Entry<V>>>,
}

impl<V> Default for FreshCache<V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> FreshCache<V> {
    /// Returns the record kept under `hash` if it was read from the store less than
    /// [`FRESH_FOR`] ago.
    pub fn fresh(&self, hash: &str) -> Option<V> {
        self.lock()
            .get(hash)
            .filter(|entry| entry.read_at.elapsed() < FRESH_FOR)
            .map(|entry| entry.value.clone())
    }

    /// Returns the record kept under `hash` if it is fresh; otherwise awaits `read` (a store
    /// lookup, polled only then) and keeps what it found.
    pub async fn fresh_or_read<E>(
        &self,
        hash: &str,
        read: impl Future<Output = Result<Option<V>, E>>,
    ) -> Result<Option<V>, E> {
        if let Some(value) = self.fresh(hash) {
            return Ok(Some(value));
        }
        let found = read.await?;
        if let Some(value) = &found {
            self.keep(hash, value.clone());
        }
        Ok(found)
    }

    /// Keeps `value`, just read from the store, under `hash`.
    pub fn keep(&self, hash: &str, value: V) {
        let mut entries = self.lock();
        if entries.len() >= PRUNE_ABOVE {
            entries.retain(|_, entry| entry.read_at.elapsed() < FRESH_FOR);
        }
        let entry = Entry {
            value,
            read_at: Instant::now(),
        };
        entries.insert(hash.to_owned(), entry);
    }

    /// Applies a change this node wrote back (such as the time of last activity) to the kept
    /// record, if any, without making it fresher.
    pub fn update(&self, hash: &str, change: impl FnOnce(&mut V)) {
        if let Some(entry) = self.lock().get_mut(hash) {
            change(&mut entry.value);
        }
    }

    /// Forgets one record (logout, expiry, revocation).
    pub fn forget(&self, hash: &str) {
        self.lock().remove(hash);
    }

    /// Forgets every record `matches` picks (say, every session of a user whose role changed):
    /// the next request reads them from the store.
    pub fn forget_where(&self, matches: impl Fn(&V) -> bool) {
        self.lock().retain(|_, entry| !matches(&entry.value));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<V>>> {
        // A panic while holding the lock leaves the map whole (every change is one call).
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use switchboard_core::user::Role;
    use switchboard_core::{Login, UserId};

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
    fn a_kept_record_is_found_until_forgotten() {
        let cache = SessionCache::default();
        assert_eq!(cache.fresh("a"), None);
        cache.keep("a", session("a", "ann"));
        assert_eq!(cache.fresh("a"), Some(session("a", "ann")));
        cache.forget("a");
        assert_eq!(cache.fresh("a"), None);
    }

    #[tokio::test]
    async fn a_record_is_read_once_while_fresh_and_absence_is_not_kept() {
        let cache = SessionCache::default();
        let reads = std::cell::Cell::new(0);
        let read = |found: Option<Session>| {
            reads.set(reads.get() + 1);
            std::future::ready(Ok::<_, ()>(found))
        };
        assert_eq!(cache.fresh_or_read("a", read(None)).await, Ok(None));
        assert_eq!(cache.fresh_or_read("a", read(None)).await, Ok(None));
        assert_eq!(reads.get(), 2, "an unknown secret is looked up every time");
        let ann = session("a", "ann");
        assert_eq!(
            cache.fresh_or_read("a", read(Some(ann.clone()))).await,
            Ok(Some(ann.clone()))
        );
        assert_eq!(cache.fresh_or_read("a", read(None)).await, Ok(Some(ann)));
        assert_eq!(reads.get(), 4, "the read future is made but not awaited");
    }

    #[test]
    fn forgetting_a_user_forgets_only_their_sessions() {
        let cache = SessionCache::default();
        cache.keep("a", session("a", "ann"));
        cache.keep("b", session("b", "ann"));
        cache.keep("c", session("c", "bob"));
        cache.forget_where(|session| session.login == Login::new("ann"));
        assert_eq!(cache.fresh("a"), None);
        assert_eq!(cache.fresh("b"), None);
        assert_eq!(cache.fresh("c"), Some(session("c", "bob")));
    }

    #[test]
    fn an_update_changes_the_kept_record() {
        let cache = SessionCache::default();
        cache.keep("a", session("a", "ann"));
        cache.update("a", |session| session.last_seen_at = at(5));
        assert_eq!(cache.fresh("a").map(|s| s.last_seen_at), Some(at(5)));
    }
}
