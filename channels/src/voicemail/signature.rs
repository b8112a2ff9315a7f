//! Webhook authenticity: HMAC-SHA256 over `timestamp + "." + body`, a freshness window, and a
//! bounded in-memory guard against replays inside that window.
//!
//! The timestamp header holds Unix seconds; the signature header holds one or more hex MACs,
//! each optionally prefixed `v1=` or `sha256=`, separated by commas or spaces (a provider may
//! send several while it rotates secrets).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use switchboard_core::ErrorKind;

type HmacSha256 = Hmac<Sha256>;

/// Longest signature header read, in bytes.
const MAX_SIGNATURE_HEADER_BYTES: usize = 1024;

/// Why a webhook request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The timestamp header is missing or empty.
    #[error("signature timestamp is missing")]
    MissingTimestamp,
    /// The timestamp header is not Unix seconds.
    #[error("signature timestamp is not a number of seconds")]
    MalformedTimestamp,
    /// The signature header is missing or empty.
    #[error("signature is missing")]
    MissingSignature,
    /// The signature header holds no hex MAC.
    #[error("signature is not hex")]
    MalformedSignature,
    /// The timestamp lies outside the tolerance window.
    #[error("signature timestamp is {skew_seconds} s away from now, outside the tolerance")]
    Stale {
        /// Now minus the timestamp, in seconds (negative: from the future).
        skew_seconds: i64,
    },
    /// No MAC in the header matches the body.
    #[error("signature does not match")]
    Mismatch,
    /// The same signature was already accepted inside the window.
    #[error("signature was already used")]
    Replayed,
    /// The replay guard is full of live signatures; the sender should retry later.
    #[error("too many webhook requests inside the replay window")]
    ReplayCacheFull,
}

impl SignatureError {
    /// Returns the error's kind: unauthenticated, a replay is a conflict, a full guard is a
    /// temporary unavailability.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Replayed => ErrorKind::Conflict,
            Self::ReplayCacheFull => ErrorKind::Unavailable,
            _ => ErrorKind::Unauthenticated,
        }
    }
}

/// A verified request: the MAC that matched and the signed time.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Verified {
    mac: Vec<u8>,
    signed_at: DateTime<Utc>,
}

/// Checks a webhook request's signature and freshness (constant-time MAC comparison).
pub fn verify_signature(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: TimeDelta,
) -> Result<(), SignatureError> {
    verify(
        secret,
        timestamp_header,
        signature_header,
        body,
        now,
        tolerance,
    )
    .map(|_| ())
}

fn verify(
    secret: &[u8],
    timestamp_header: &str,
    signature_header: &str,
    body: &[u8],
    now: DateTime<Utc>,
    tolerance: TimeDelta,
) -> Result<Verified, SignatureError> {
    let timestamp = timestamp_header.trim();
    if timestamp.is_empty() {
        return Err(SignatureError::MissingTimestamp);
    }
    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::MalformedTimestamp)?;
    let signed_at =
        DateTime::from_timestamp(seconds, 0).ok_or(SignatureError::MalformedTimestamp)?;
    let skew = now - signed_at;
    if skew.abs() > tolerance {
        return Err(SignatureError::Stale {
            skew_seconds: skew.num_seconds(),
        });
    }
    let candidates = candidate_macs(signature_header)?;
    for candidate in candidates {
        let mut mac = HmacSha256::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        if mac.verify_slice(&candidate).is_ok() {
            return Ok(Verified {
                mac: candidate,
                signed_at,
            });
        }
    }
    Err(SignatureError::Mismatch)
}

/// Decodes the MACs listed in a signature header.
fn candidate_macs(signature_header: &str) -> Result<Vec<Vec<u8>>, SignatureError> {
    let header = signature_header.trim();
    if header.is_empty() {
        return Err(SignatureError::MissingSignature);
    }
    if header.len() > MAX_SIGNATURE_HEADER_BYTES {
        return Err(SignatureError::MalformedSignature);
    }
    let macs: Vec<Vec<u8>> = header
        .split([',', ' '])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .filter_map(|part| {
            let value = part
                .strip_prefix("v1=")
                .or_else(|| part.strip_prefix("sha256="))
                .unwrap_or(part);
            hex::decode(value).ok()
        })
        .collect();
    if macs.is_empty() {
        Err(SignatureError::MalformedSignature)
    } else {
        Ok(macs)
    }
}

/// Remembers accepted signatures for the tolerance window so each is accepted once.
///
/// Bounded: when full of signatures that are still live it refuses new ones
/// ([`SignatureError::ReplayCacheFull`]) rather than forgetting a live one. Held by the server
/// (one per process; shared by `&self`, locked internally).
#[derive(Debug)]
pub struct ReplayGuard {
    window: TimeDelta,
    capacity: usize,
    seen: Mutex<HashMap<Vec<u8>, DateTime<Utc>>>,
}

impl ReplayGuard {
    /// Builds a guard for a tolerance window holding at most `capacity` signatures.
    pub fn new(window: TimeDelta, capacity: usize) -> Self {
        Self {
            window,
            capacity: capacity.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Returns the tolerance window.
    pub fn window(&self) -> TimeDelta {
        self.window
    }

    /// Verifies a request like [`verify_signature`] with the guard's window, then records its
    /// signature; a second use of the same signature is [`SignatureError::Replayed`].
    pub fn verify_and_record(
        &self,
        secret: &[u8],
        timestamp_header: &str,
        signature_header: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), SignatureError> {
        let verified = verify(
            secret,
            timestamp_header,
            signature_header,
            body,
            now,
            self.window,
        )?;
        let expires_at = verified.signed_at + self.window;
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.get(&verified.mac).is_some_and(|expiry| *expiry >= now) {
            return Err(SignatureError::Replayed);
        }
        if seen.len() >= self.capacity {
            seen.retain(|_, expiry| *expiry >= now);
        }
        if seen.len() >= self.capacity {
            tracing::warn!(capacity = self.capacity, "webhook replay guard full");
            return Err(SignatureError::ReplayCacheFull);
        }
        seen.insert(verified.mac, expires_at);
        Ok(())
    }

    /// Forgets a recorded signature, so the sender's retry is accepted after the server failed
    /// to land the request it had verified.
    pub fn forget(&self, signature_header: &str) {
        let Ok(macs) = candidate_macs(signature_header) else {
            return;
        };
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        for mac in macs {
            seen.remove(&mac);
        }
    }

    /// Returns how many signatures are remembered (expired ones included until purged).
    pub fn len(&self) -> usize {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Tells whether no signature is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Computes the hex signature for a timestamp and body, as a sender would.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    match HmacSha256::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}
