//! Sign-in throttling: a sliding window of failed attempts per login and client address, kept in
//! memory (one node). A correct password after the limit is still refused until the window frees.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Failed attempts per (lower-cased login, client address).
type Failures = HashMap<(String, Option<IpAddr>), Vec<DateTime<Utc>>>;

/// Counts failed sign-ins per login and address.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<Failures>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(5, Duration::minutes(15))
    }
}

impl LoginLimiter {
    /// Allows `max_failures` failed attempts per login and address within `window`.
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self {
            max_failures,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Tells whether another attempt for `login` from `address` may be checked at `now`.
    pub fn allows(&self, login: &str, address: Option<IpAddr>, now: DateTime<Utc>) -> bool {
        let mut failures = self.lock();
        let key = (login.to_lowercase(), address);
        let Some(times) = failures.get_mut(&key) else {
            return true;
        };
        times.retain(|at| now - *at < self.window);
        if times.is_empty() {
            failures.remove(&key);
            return true;
        }
        times.len() < self.max_failures
    }

    /// Records a failed attempt.
    pub fn record_failure(&self, login: &str, address: Option<IpAddr>, now: DateTime<Utc>) {
        let mut failures = self.lock();
        // Bound memory under a spray of random logins: forget the oldest entries' keys first.
        if failures.len() > 100_000 {
            failures.retain(|_, times| times.iter().any(|at| now - *at < self.window));
        }
        failures
            .entry((login.to_lowercase(), address))
            .or_default()
            .push(now);
    }

    /// Forgets the failures of a login and address after a successful sign-in.
    pub fn record_success(&self, login: &str, address: Option<IpAddr>) {
        self.lock().remove(&(login.to_lowercase(), address));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Failures> {
        // A poisoned map only holds counters; keep using it.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn failures_lock_one_login_and_address_until_the_window_passes() {
        let limiter = LoginLimiter::new(3, Duration::minutes(15));
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        let here: Option<IpAddr> = Some("127.0.0.1".parse().unwrap());
        let there: Option<IpAddr> = Some("127.0.0.2".parse().unwrap());
        for minute in 0..3 {
            assert!(limiter.allows("agent", here, start + Duration::minutes(minute)));
            limiter.record_failure("Agent", here, start + Duration::minutes(minute));
        }
        assert!(!limiter.allows("agent", here, start + Duration::minutes(5)));
        assert!(limiter.allows("agent", there, start + Duration::minutes(5)));
        assert!(limiter.allows("lead", here, start + Duration::minutes(5)));
        assert!(limiter.allows("agent", here, start + Duration::minutes(15)));
    }

    #[test]
    fn success_clears_the_count() {
        let limiter = LoginLimiter::new(2, Duration::minutes(15));
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
        limiter.record_failure("agent", None, now);
        limiter.record_success("agent", None);
        limiter.record_failure("agent", None, now);
        assert!(limiter.allows("agent", None, now));
    }
}
