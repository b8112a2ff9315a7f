//! Signed item references carried in outbound subjects and Message-IDs.
//!
//! Switchboard writes `[SB-000123-abcdefgh]` into the subject of every outbound message and
//! `<sb.000123.abcdefghijklmnop.UNIQUE@host>` as its Message-ID. The letters after the item
//! number are an HMAC-SHA256 over the item number, truncated (40 bits in subjects, 80 bits in
//! Message-IDs) and written in lower-case base32. A reply that carries a token whose signature does
//! not verify is not attached to that item's thread: a forged header cannot pull a message into
//! somebody else's conversation.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use switchboard_core::WorkItemId;

type HmacSha256 = Hmac<Sha256>;

/// The base32 alphabet (RFC 4648, lower case) used for signatures.
const BASE32_ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Signature length in subjects: 8 base32 characters carry 5 bytes.
const SUBJECT_SIGNATURE_CHARS: usize = 8;
/// Signature length in Message-IDs: 16 base32 characters carry 10 bytes.
const MESSAGE_ID_SIGNATURE_CHARS: usize = 16;
/// Item numbers longer than this cannot be an `i64`.
const MAX_ITEM_DIGITS: usize = 18;
/// Domain separation for the MAC input.
const MAC_CONTEXT: &[u8] = b"switchboard-item-ref:";

/// A secret key for signing references; its `Debug` output never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSecret(Vec<u8>);

impl TokenSecret {
    /// Wraps secret key bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// Returns the key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(<redacted>)")
    }
}

/// Where a reference token was found in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenLocation {
    /// The Subject header.
    Subject,
    /// The In-Reply-To header.
    InReplyTo,
    /// The References header.
    References,
    /// The Message-ID of a bounced original.
    BouncedMessage,
}

/// A token found in a header, with the outcome of its verification.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FoundToken {
    /// The item the token names.
    pub item: WorkItemId,
    /// Where it was found.
    pub location: TokenLocation,
    /// The token as written.
    pub token: String,
    /// Whether its signature verified against one of the configured secrets.
    pub verified: bool,
}

/// Returns the subject token for an item, e.g. `[SB-000123-abcdefgh]`.
pub fn sign(item: WorkItemId, secret: &[u8]) -> String {
    let signature = signature_chars(item, secret, SUBJECT_SIGNATURE_CHARS);
    format!("[SB-{:06}-{signature}]", item.get())
}

/// Returns a Message-ID carrying a signed reference to an item, e.g.
/// `<sb.000123.abcdefghijklmnop.UNIQUE@host>`. `unique` keeps every Message-ID distinct; it should
/// consist of letters, digits and hyphens.
pub fn sign_message_id(item: WorkItemId, secret: &[u8], unique: &str, host: &str) -> String {
    let signature = signature_chars(item, secret, MESSAGE_ID_SIGNATURE_CHARS);
    format!("<sb.{:06}.{signature}.{unique}@{host}>", item.get())
}

/// Verifies a token in either form (subject or Message-ID, with or without brackets) against the
/// secrets, returning the item it names when one of them signed it.
pub fn verify(token: &str, secrets: &[TokenSecret]) -> Option<WorkItemId> {
    let parsed = parse_subject_token(token).or_else(|| parse_message_id_token(token))?;
    verifies(&parsed, secrets).then_some(parsed.item)
}

/// Finds the first subject token in a text and verifies it.
pub fn find_in_subject(subject: &str, secrets: &[TokenSecret]) -> Option<FoundToken> {
    let lower = subject.to_ascii_lowercase();
    let mut search_from = 0;
    while let Some(offset) = lower.get(search_from..)?.find("[sb-") {
        let start = search_from + offset;
        // ASCII lower-casing keeps byte offsets, so the original's spelling can be sliced.
        let candidate = lower.get(start..).and_then(|rest| {
            let end = rest.find(']')?;
            subject.get(start..=start + end)
        });
        if let Some(parsed) = candidate.and_then(parse_subject_token) {
            return Some(found(parsed, TokenLocation::Subject, secrets));
        }
        search_from = start + 1;
    }
    None
}

/// Finds a Message-ID token in a message id (with or without angle brackets) and verifies it.
pub fn find_in_message_id(
    message_id: &str,
    location: TokenLocation,
    secrets: &[TokenSecret],
) -> Option<FoundToken> {
    let parsed = parse_message_id_token(message_id)?;
    Some(found(parsed, location, secrets))
}

/// A token split into its parts, not yet verified.
struct ParsedToken {
    item: WorkItemId,
    signature: String,
    raw: String,
}

fn found(parsed: ParsedToken, location: TokenLocation, secrets: &[TokenSecret]) -> FoundToken {
    FoundToken {
        item: parsed.item,
        location,
        verified: verifies(&parsed, secrets),
        token: parsed.raw,
    }
}

/// Parses `[SB-000123-abcdefgh]` (case-insensitive; the brackets are optional).
fn parse_subject_token(token: &str) -> Option<ParsedToken> {
    let trimmed = token.trim();
    let inner = trimmed
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(trimmed);
    let lower = inner.to_ascii_lowercase();
    let rest = lower.strip_prefix("sb-")?;
    let (digits, signature) = rest.split_once('-')?;
    let item = parse_item_number(digits)?;
    if !is_signature(signature, SUBJECT_SIGNATURE_CHARS) {
        return None;
    }
    Some(ParsedToken {
        item,
        signature: signature.to_owned(),
        raw: trimmed.to_owned(),
    })
}

/// Parses `sb.000123.abcdefghijklmnop[.unique]@host` (angle brackets optional).
fn parse_message_id_token(message_id: &str) -> Option<ParsedToken> {
    let trimmed = message_id.trim();
    let inner = trimmed
        .strip_prefix('<')
        .and_then(|rest| rest.strip_suffix('>'))
        .unwrap_or(trimmed);
    let (local_part, _host) = inner.rsplit_once('@')?;
    let lower = local_part.to_ascii_lowercase();
    let mut pieces = lower.split('.');
    if pieces.next()? != "sb" {
        return None;
    }
    let item = parse_item_number(pieces.next()?)?;
    let signature = pieces.next()?;
    if !is_signature(signature, MESSAGE_ID_SIGNATURE_CHARS) {
        return None;
    }
    Some(ParsedToken {
        item,
        signature: signature.to_owned(),
        raw: trimmed.to_owned(),
    })
}

fn parse_item_number(digits: &str) -> Option<WorkItemId> {
    if digits.is_empty()
        || digits.len() > MAX_ITEM_DIGITS
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    digits.parse::<i64>().ok().map(WorkItemId::new)
}

fn is_signature(candidate: &str, expected_chars: usize) -> bool {
    candidate.len() == expected_chars && candidate.bytes().all(|b| BASE32_ALPHABET.contains(&b))
}

fn verifies(parsed: &ParsedToken, secrets: &[TokenSecret]) -> bool {
    let Some(tag) = base32_decode(&parsed.signature) else {
        return false;
    };
    secrets.iter().any(|secret| {
        mac_for(parsed.item, secret.as_bytes())
            .is_some_and(|mac| mac.verify_truncated_left(&tag).is_ok())
    })
}

fn mac_for(item: WorkItemId, secret: &[u8]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(MAC_CONTEXT);
    mac.update(item.get().to_string().as_bytes());
    Some(mac)
}

fn signature_chars(item: WorkItemId, secret: &[u8], chars: usize) -> String {
    let Some(mac) = mac_for(item, secret) else {
        // HMAC accepts keys of any length, so this branch is unreachable in practice.
        return "a".repeat(chars);
    };
    let tag = mac.finalize().into_bytes();
    let mut encoded = base32_encode(&tag);
    encoded.truncate(chars);
    encoded
}

fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let index = ((buffer >> bits) & 0x1f) as usize;
            out.push(char::from(BASE32_ALPHABET[index]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        let index = ((buffer << (5 - bits)) & 0x1f) as usize;
        out.push(char::from(BASE32_ALPHABET[index]));
    }
    out
}

/// Decodes lower-case base32 whose length is a multiple of 8 characters (whole bytes).
fn base32_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(8) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for byte in text.bytes() {
        let value = BASE32_ALPHABET.iter().position(|&c| c == byte)?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Vec<TokenSecret> {
        vec![TokenSecret::new(b"current-secret".to_vec())]
    }

    #[test]
    fn subject_token_round_trips() {
        let token = sign(WorkItemId::new(123), b"current-secret");
        assert!(token.starts_with("[SB-000123-"), "{token}");
        assert_eq!(token.len(), "[SB-000123-abcdefgh]".len());
        assert_eq!(verify(&token, &secrets()), Some(WorkItemId::new(123)));
        assert_eq!(
            verify(&token.to_uppercase(), &secrets()),
            Some(WorkItemId::new(123))
        );
    }

    #[test]
    fn message_id_token_round_trips() {
        let id = sign_message_id(
            WorkItemId::new(7),
            b"current-secret",
            "x1",
            "velora.example.nl",
        );
        assert!(id.starts_with("<sb.000007."), "{id}");
        assert_eq!(verify(&id, &secrets()), Some(WorkItemId::new(7)));
        let found = find_in_message_id(&id, TokenLocation::InReplyTo, &secrets()).unwrap();
        assert!(found.verified);
    }

    #[test]
    fn forged_tokens_are_rejected() {
        let genuine = sign(WorkItemId::new(123), b"current-secret");
        // Same signature, another item: the signature covers the item number.
        let moved = genuine.replace("000123", "000124");
        assert_eq!(verify(&moved, &secrets()), None);
        // Signed with another key.
        let foreign = sign(WorkItemId::new(123), b"attacker-secret");
        assert_eq!(verify(&foreign, &secrets()), None);
        // Malformed signatures.
        assert_eq!(verify("[SB-000123-aaaaaaaa]", &secrets()), None);
        assert_eq!(verify("[SB-000123-short]", &secrets()), None);
        assert_eq!(verify("[SB--abcdefgh]", &secrets()), None);
        // No secret configured: nothing verifies.
        assert_eq!(verify(&genuine, &[]), None);
    }

    #[test]
    fn rotated_secrets_still_verify() {
        let old = sign(WorkItemId::new(55), b"old-secret");
        let rotated = vec![
            TokenSecret::new(b"new-secret".to_vec()),
            TokenSecret::new(b"old-secret".to_vec()),
        ];
        assert_eq!(verify(&old, &rotated), Some(WorkItemId::new(55)));
    }

    #[test]
    fn finds_tokens_inside_subjects() {
        let token = sign(WorkItemId::new(42), b"current-secret");
        let subject = format!("Re: [ext] [SB-bad] Uw bestelling {token} [other]");
        let found = find_in_subject(&subject, &secrets()).unwrap();
        assert_eq!(found.item, WorkItemId::new(42));
        assert!(found.verified);
        assert!(find_in_subject("Re: nothing here", &secrets()).is_none());
    }

    #[test]
    fn base32_round_trips() {
        let bytes = [0u8, 1, 2, 250, 255, 17, 99, 3, 4, 5];
        let encoded = base32_encode(&bytes);
        assert_eq!(base32_decode(&encoded).unwrap(), bytes);
    }

    #[test]
    fn secret_debug_is_redacted() {
        let secret = TokenSecret::new(b"hunter2".to_vec());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
