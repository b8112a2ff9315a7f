//! What makes two inputs "the same input": the idempotency key and the fingerprint.
//!
//! E-mail: the key is the Message-ID; the fingerprint covers the body and the headers that say
//! what the message is (From, To, Cc, Subject, Date, Message-ID), not how it travelled
//! (Received, Delivered-To, Return-Path, ...). So one message sent to several of our mailboxes
//! lands once, and two different messages that share a Message-ID are both kept.
//! Other channels: the fingerprint is the content's hash, which is also the key.

use sha2::{Digest, Sha256};
use switchboard_core::item::Channel;

/// The landing keys of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LandingKeys {
    /// Message-ID, external id or the fingerprint.
    pub idem_key: String,
    /// Hex SHA-256 of what makes the input itself.
    pub fingerprint: String,
}

const IDENTIFYING_HEADERS: &[&str] = &["from", "to", "cc", "subject", "date", "message-id"];

/// Computes the landing keys of raw input bytes.
pub fn keys(channel: Channel, raw: &[u8]) -> LandingKeys {
    match channel {
        Channel::Email => email_keys(raw),
        _ => {
            let fingerprint = hex::encode(Sha256::digest(raw));
            LandingKeys {
                idem_key: fingerprint.clone(),
                fingerprint,
            }
        }
    }
}

fn email_keys(raw: &[u8]) -> LandingKeys {
    let (head, body) = split_head(raw);
    let mut hasher = Sha256::new();
    let mut message_id = None;
    for (name, value) in unfolded_headers(head) {
        let name = name.to_ascii_lowercase();
        if IDENTIFYING_HEADERS.contains(&name.as_str()) {
            hasher.update(name.as_bytes());
            hasher.update(b":");
            hasher.update(value.trim().as_bytes());
            hasher.update(b"\n");
        }
        if name == "message-id" && message_id.is_none() {
            let id = value
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim();
            if !id.is_empty() {
                message_id = Some(id.to_owned());
            }
        }
    }
    hasher.update(b"\n");
    hasher.update(normalise_line_endings(body));
    let fingerprint = hex::encode(hasher.finalize());
    LandingKeys {
        idem_key: message_id.unwrap_or_else(|| fingerprint.clone()),
        fingerprint,
    }
}

/// Splits at the first empty line (CRLF, LF or CR-only endings).
pub fn split_head(raw: &[u8]) -> (&[u8], &[u8]) {
    for (index, window) in raw.windows(2).enumerate() {
        let blank = match window {
            [b'\n', b'\n'] | [b'\r', b'\r'] => Some(index + 2),
            [b'\n', b'\r'] if raw.get(index + 2) == Some(&b'\n') => Some(index + 3),
            _ => None,
        };
        if let Some(body_start) = blank {
            return (&raw[..index + 1], &raw[body_start..]);
        }
    }
    (raw, &[])
}

/// The header fields of a message's head, continuation lines unfolded.
pub fn unfolded_headers(head: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(head);
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.split(['\n', '\r']).filter(|line| !line.is_empty()) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

fn normalise_line_endings(body: &[u8]) -> Vec<u8> {
    let mut normalised = Vec::with_capacity(body.len());
    let mut previous_cr = false;
    for &byte in body {
        match byte {
            b'\r' => normalised.push(b'\n'),
            b'\n' if previous_cr => {}
            other => normalised.push(other),
        }
        previous_cr = byte == b'\r';
    }
    normalised
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = "Received: from mx1\r\nDelivered-To: orders@velora.example.nl\r\n\
        From: a@example.nl\r\nTo: orders@velora.example.nl,\r\n klantenservice@velora.example.nl\r\n\
        Subject: Bestelling\r\nMessage-ID: <abc@example.nl>\r\n\r\nGraag 12 stuks.\r\n";

    #[test]
    fn copies_to_several_mailboxes_land_once() {
        let other_copy = MESSAGE
            .replace("Received: from mx1", "Received: from mx2")
            .replace("Delivered-To: orders@", "Delivered-To: klantenservice@");
        let first = keys(Channel::Email, MESSAGE.as_bytes());
        assert_eq!(first, keys(Channel::Email, other_copy.as_bytes()));
        assert_eq!(first.idem_key, "abc@example.nl");
    }

    #[test]
    fn a_different_message_with_the_same_id_is_another_input() {
        let different = MESSAGE.replace("Graag 12 stuks.", "Graag 24 stuks.");
        let first = keys(Channel::Email, MESSAGE.as_bytes());
        let second = keys(Channel::Email, different.as_bytes());
        assert_eq!(first.idem_key, second.idem_key);
        assert_ne!(first.fingerprint, second.fingerprint);
    }

    #[test]
    fn line_endings_do_not_matter_and_missing_ids_fall_back_to_the_fingerprint() {
        let lf = MESSAGE.replace("\r\n", "\n");
        assert_eq!(
            keys(Channel::Email, MESSAGE.as_bytes()),
            keys(Channel::Email, lf.as_bytes())
        );
        let anonymous = "From: a@example.nl\n\nhello\n";
        let computed = keys(Channel::Email, anonymous.as_bytes());
        assert_eq!(computed.idem_key, computed.fingerprint);
    }
}
