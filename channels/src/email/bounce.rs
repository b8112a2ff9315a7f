//! Reading a delivery report: which of our messages bounced, and for whom.

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use super::headers::{message_id, raw_values};

/// What a delivery report tells about the message that could not be delivered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BouncedOriginal {
    /// The Message-ID of the returned original, without angle brackets.
    pub message_id: Option<String>,
    /// Recipients the report says failed, lower-cased.
    pub recipients: Vec<String>,
}

/// Finds the original's Message-ID (attached message/rfc822, text/rfc822-headers, or a
/// `Message-ID:` line in a plain-text report) and the failed recipients.
pub(crate) fn bounced_original(message: &Message<'_>) -> BouncedOriginal {
    let mut original = BouncedOriginal {
        message_id: attached_original_id(message).or_else(|| quoted_message_id(message)),
        recipients: Vec::new(),
    };
    for value in raw_values(message, "X-Failed-Recipients") {
        push_recipients(&mut original.recipients, &value);
    }
    for part in &message.parts {
        let is_status = part.content_type().is_some_and(|content_type| {
            content_type
                .subtype()
                .is_some_and(|sub| sub.eq_ignore_ascii_case("delivery-status"))
        });
        if !is_status {
            continue;
        }
        let text = String::from_utf8_lossy(part.contents());
        for line in text.lines() {
            let Some((label, value)) = line.split_once(':') else {
                continue;
            };
            if label.trim().eq_ignore_ascii_case("Final-Recipient") {
                let address = value.rsplit(';').next().unwrap_or(value);
                push_recipients(&mut original.recipients, address);
            }
        }
    }
    original
}

fn push_recipients(recipients: &mut Vec<String>, value: &str) {
    for candidate in value.split(',') {
        let address = candidate
            .trim()
            .trim_matches(['<', '>'])
            .trim()
            .to_lowercase();
        if address.contains('@') && !recipients.contains(&address) {
            recipients.push(address);
        }
    }
}

/// Returns the message id of an attached original or its attached headers.
fn attached_original_id(message: &Message<'_>) -> Option<String> {
    for part in &message.parts {
        if let PartType::Message(nested) = &part.body
            && let Some(id) = message_id(nested)
        {
            return Some(id);
        }
        if is_headers_part(part) {
            let parsed = MessageParser::default().parse_headers(part.contents());
            if let Some(id) = parsed.as_ref().and_then(message_id) {
                return Some(id);
            }
        }
    }
    None
}

fn is_headers_part(part: &mail_parser::MessagePart<'_>) -> bool {
    part.content_type().is_some_and(|content_type| {
        content_type.subtype().is_some_and(|sub| {
            sub.eq_ignore_ascii_case("rfc822-headers") || sub.eq_ignore_ascii_case("rfc822")
        })
    })
}

/// Finds a `Message-ID:` line quoted in the body of a plain-text report (qmail, Exim, ...).
fn quoted_message_id(message: &Message<'_>) -> Option<String> {
    message
        .parts
        .iter()
        .skip(1)
        .chain(message.parts.first())
        .find_map(|part| {
            let text = match &part.body {
                PartType::Text(text) => text.as_ref(),
                _ => return None,
            };
            text.lines().find_map(|line| {
                let (label, value) = line.trim_start().split_once(':')?;
                if !label.trim().eq_ignore_ascii_case("Message-ID") {
                    return None;
                }
                let value = value.trim();
                let start = value.find('<')?;
                let end = value[start..].find('>')? + start;
                let id = value[start + 1..end].trim();
                (!id.is_empty() && id.contains('@')).then(|| id.to_owned())
            })
        })
}
