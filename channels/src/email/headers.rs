//! Reading header fields out of a parsed message, defensively.

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{Address, Header, HeaderValue, Message};
use serde::Serialize;

/// A mailbox from an address header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Mailbox {
    /// Display name, decoded.
    pub name: Option<String>,
    /// Address, lower-cased.
    pub email: Option<String>,
}

impl Mailbox {
    /// Builds a mailbox from a display name and an address, cleaning both.
    pub fn new(name: Option<&str>, email: Option<&str>) -> Self {
        let name = name.map(clean_display_name).filter(|name| !name.is_empty());
        let email = email
            .map(|email| email.trim().trim_matches(['<', '>']).to_lowercase())
            .filter(|email| email.contains('@') && !email.chars().any(char::is_whitespace));
        Self { name, email }
    }

    /// Returns the part after `@`, when there is an address.
    pub fn domain(&self) -> Option<&str> {
        self.email
            .as_deref()
            .and_then(|email| email.rsplit_once('@'))
            .map(|(_, domain)| domain)
    }

    /// Returns the part before `@`, when there is an address.
    pub fn local_part(&self) -> Option<&str> {
        self.email
            .as_deref()
            .and_then(|email| email.rsplit_once('@'))
            .map(|(local, _)| local)
    }
}

fn clean_display_name(name: &str) -> String {
    let without_controls: String = name.chars().filter(|c| !c.is_control()).collect();
    without_controls
        .trim()
        .trim_matches(['"', '\''])
        .trim()
        .to_owned()
}

/// Returns the top-level header fields; an empty slice when the parser produced no part.
pub(crate) fn root_headers<'a, 'x>(message: &'a Message<'x>) -> &'a [Header<'x>] {
    message
        .parts
        .first()
        .map(|part| part.headers.as_slice())
        .unwrap_or_default()
}

/// Returns every raw value of a header (unfolded, trimmed), matched case-insensitively.
pub(crate) fn raw_values(message: &Message<'_>, name: &str) -> Vec<String> {
    root_headers(message)
        .iter()
        .filter(|header| header.name().eq_ignore_ascii_case(name))
        .filter_map(|header| {
            let range = header.offset_start as usize..header.offset_end as usize;
            let bytes = message.raw_message.get(range)?;
            Some(unfold(&String::from_utf8_lossy(bytes)))
        })
        .collect()
}

/// Returns the first raw value of a header.
pub(crate) fn raw_value(message: &Message<'_>, name: &str) -> Option<String> {
    raw_values(message, name).into_iter().next()
}

/// Tells whether a header is present at all.
pub(crate) fn has_header(message: &Message<'_>, name: &str) -> bool {
    root_headers(message)
        .iter()
        .any(|header| header.name().eq_ignore_ascii_case(name))
}

fn unfold(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for (index, line) in raw
        .split(['\n', '\r'])
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(line.trim());
    }
    out.trim().to_owned()
}

/// Returns the mailboxes of an address header, groups flattened.
pub(crate) fn mailboxes(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    let Some(address) = address else {
        return Vec::new();
    };
    address
        .iter()
        .map(|addr| Mailbox::new(addr.name.as_deref(), addr.address.as_deref()))
        .filter(|mailbox| mailbox.email.is_some() || mailbox.name.is_some())
        .collect()
}

/// Returns the message ids of a header value (Message-ID, In-Reply-To, References), without
/// angle brackets, in header order.
pub(crate) fn message_ids(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(text) => vec![text.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(AsRef::as_ref).collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .flat_map(str::split_whitespace)
        .map(|id| id.trim_matches(['<', '>', ',']).to_owned())
        .filter(|id| !id.is_empty())
        .collect()
}

/// Returns the Message-ID without angle brackets.
pub(crate) fn message_id(message: &Message<'_>) -> Option<String> {
    message
        .message_id()
        .map(|id| id.trim().trim_matches(['<', '>']).to_owned())
        .filter(|id| !id.is_empty())
}

/// Converts a parsed header date to UTC, when it is a valid date.
pub(crate) fn to_utc(date: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    if !date.is_valid() {
        return None;
    }
    Utc.timestamp_opt(date.to_timestamp(), 0).single()
}

/// Returns the Date header as UTC.
pub(crate) fn date(message: &Message<'_>) -> Option<DateTime<Utc>> {
    message.date().and_then(to_utc)
}

/// Returns the date of the newest Received header (the one our own MX added last).
pub(crate) fn received_date(message: &Message<'_>) -> Option<DateTime<Utc>> {
    message
        .received()
        .and_then(|received| received.date())
        .and_then(|date| to_utc(&date))
}

/// Returns the decoded subject, with control characters replaced by spaces.
pub(crate) fn subject(message: &Message<'_>) -> Option<String> {
    let subject = message.subject()?;
    let cleaned: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim().to_owned();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// Returns the value of a header without its parameters (`auto-replied; x=y` → `auto-replied`),
/// lower-cased.
pub(crate) fn token_value(message: &Message<'_>, name: &str) -> Option<String> {
    raw_value(message, name).map(|value| {
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    })
}
