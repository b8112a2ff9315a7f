//! Shared helpers: the test configuration and paths to the shared corpus.

use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use switchboard_channels::email::{EmailConfig, EmailError, ParsedEmail, parse_email};
use switchboard_channels::reference_token::TokenSecret;

/// The secret the test configuration verifies reference tokens with.
pub const SECRET: &[u8] = b"test-reference-secret";

/// Velora's mailboxes and domain, as the corpus README lists them.
pub fn config() -> EmailConfig {
    EmailConfig {
        own_addresses: [
            "klantenservice",
            "customerservice",
            "kundenservice",
            "serviceclient",
            "orders",
        ]
        .iter()
        .map(|local| format!("{local}@velora.example.nl"))
        .collect(),
        internal_domains: vec!["velora.example.nl".to_owned()],
        reference_secrets: vec![TokenSecret::new(SECRET.to_vec())],
        ..EmailConfig::default()
    }
}

/// A fixed fallback arrival time.
pub fn fallback_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

/// Parses with the test configuration.
pub fn parse(raw: &[u8]) -> Result<ParsedEmail, EmailError> {
    parse_email(raw, "test.eml", fallback_time(), &config())
}

/// Returns a path under the shared folder next to the repository.
pub fn shared(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(relative)
}
