//! Forwards by colleagues: finding the customer inside the forwarded message.

use mail_parser::Message;
use serde::Serialize;

use super::config::EmailConfig;
use super::headers::{Mailbox, mailboxes, subject as decoded_subject};
use super::quoted::{header_line, is_forward_marker, is_original_marker, opens_header_block};

/// Subject prefixes that mark a forward (en, nl, de, fr and common client variants).
const FORWARD_PREFIXES: &[&str] = &[
    "fw", "fwd", "tr", "wg", "doorst", "fwd.", "trans", "vs", "rv",
];
/// Subject prefixes of replies, skipped when looking for a forward prefix.
const REPLY_PREFIXES: &[&str] = &["re", "aw", "antw", "sv", "réf", "ref"];
/// Labels of the sender line inside a forwarded block.
const FROM_LABELS: &[&str] = &["from", "van", "von", "de", "expéditeur", "absender"];
/// Labels of the subject line inside a forwarded block.
const SUBJECT_LABELS: &[&str] = &["subject", "onderwerp", "betreff", "objet"];
/// How many lines after a marker may hold the forwarded headers.
const HEADER_BLOCK_LINES: usize = 12;

/// How a forward carried the original message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardVia {
    /// An attached message/rfc822.
    AttachedMessage,
    /// An inline block with the original's headers.
    InlineBlock,
    /// Only the subject said so; no original sender was found.
    SubjectOnly,
}

/// A forward from a colleague or one of our own mailboxes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForwardInfo {
    /// Who forwarded it (an internal address).
    pub forwarded_by: Mailbox,
    /// The customer who wrote the original, when found.
    pub original_sender: Option<Mailbox>,
    /// The original's subject, when found.
    pub original_subject: Option<String>,
    /// How the original was carried.
    pub via: ForwardVia,
}

/// A detected forward plus the original's text, for language detection.
pub(crate) struct Forward {
    pub info: ForwardInfo,
    pub original_text: Option<String>,
}

/// An attached message with its text, as the caller extracted it.
pub(crate) struct AttachedOriginal<'m, 'x> {
    pub message: &'m Message<'x>,
    pub text: String,
}

/// Detects a forward by an internal sender and finds the original sender.
pub(crate) fn detect(
    from: Option<&Mailbox>,
    subject: Option<&str>,
    body_text: &str,
    attached: &[AttachedOriginal<'_, '_>],
    config: &EmailConfig,
) -> Option<Forward> {
    let forwarded_by = from?.clone();
    let sender_is_internal = forwarded_by
        .email
        .as_deref()
        .is_some_and(|email| config.is_internal_address(email));
    if !sender_is_internal {
        return None;
    }
    let is_customer = |mailbox: &Mailbox| {
        mailbox
            .email
            .as_deref()
            .is_none_or(|email| !config.is_internal_address(email))
    };
    for original in attached {
        let sender = mailboxes(original.message.from()).into_iter().next();
        if let Some(sender) = sender.filter(|sender| is_customer(sender)) {
            return Some(Forward {
                info: ForwardInfo {
                    forwarded_by,
                    original_sender: Some(sender),
                    original_subject: decoded_subject(original.message),
                    via: ForwardVia::AttachedMessage,
                },
                original_text: Some(original.text.clone()),
            });
        }
    }
    // Outlook-style header blocks also appear in replies and in system mails (a fax server's
    // "From: +31..." lines); they count only when the subject says forward. An explicit
    // forward separator counts on its own.
    let forward_subject = subject.is_some_and(is_forward_subject);
    let inline: Vec<InlineBlock> = inline_blocks(body_text)
        .into_iter()
        .filter(|block| block.explicit_forward || forward_subject)
        .collect();
    let has_explicit_forward = inline.iter().any(|block| block.explicit_forward);
    if let Some(block) = inline.into_iter().find(|block| {
        block
            .sender
            .as_ref()
            .is_some_and(|sender| is_customer(sender) && sender.email.is_some())
    }) {
        return Some(Forward {
            info: ForwardInfo {
                forwarded_by,
                original_sender: block.sender,
                original_subject: block.subject,
                via: ForwardVia::InlineBlock,
            },
            original_text: Some(block.text),
        });
    }
    let looks_forwarded = forward_subject || !attached.is_empty() || has_explicit_forward;
    looks_forwarded.then_some(Forward {
        info: ForwardInfo {
            forwarded_by,
            original_sender: None,
            original_subject: None,
            via: ForwardVia::SubjectOnly,
        },
        original_text: None,
    })
}

/// Tells whether a subject marks a forward ("Fw:", "FW:", "Fwd:", "TR:", "WG:", "Re: Fwd:").
pub(crate) fn is_forward_subject(subject: &str) -> bool {
    let mut rest = subject.trim();
    for _ in 0..5 {
        let Some((prefix, after)) = rest.split_once(':') else {
            return false;
        };
        let prefix = prefix.trim().trim_start_matches('[').to_lowercase();
        if FORWARD_PREFIXES.contains(&prefix.as_str()) {
            return true;
        }
        if !REPLY_PREFIXES.contains(&prefix.as_str()) {
            return false;
        }
        rest = after.trim_start();
    }
    false
}

/// One forwarded or quoted block found in the text.
struct InlineBlock {
    /// Opened by a forward separator ("---------- Forwarded message ----------").
    explicit_forward: bool,
    sender: Option<Mailbox>,
    subject: Option<String>,
    text: String,
}

/// Finds blocks opened by a forward/original marker or an Outlook header block, with the
/// sender and subject lines that follow, and the text after them.
fn inline_blocks(text: &str) -> Vec<InlineBlock> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let explicit_forward = is_forward_marker(line);
        let header_start = if explicit_forward || is_original_marker(line) {
            Some(index + 1)
        } else if opens_header_block(&lines, index) {
            Some(index)
        } else {
            None
        };
        let Some(start) = header_start else {
            index += 1;
            continue;
        };
        let mut sender = None;
        let mut subject = None;
        let mut cursor = start;
        // Skip blank lines between the marker and the header lines.
        while cursor < lines.len() && lines[cursor].trim().is_empty() && cursor < start + 2 {
            cursor += 1;
        }
        let header_limit = (cursor + HEADER_BLOCK_LINES).min(lines.len());
        while cursor < header_limit {
            let Some((label, value)) = header_line(lines[cursor]) else {
                break;
            };
            if FROM_LABELS.contains(&label.as_str()) && sender.is_none() {
                sender = Some(parse_loose_mailbox(value));
            } else if SUBJECT_LABELS.contains(&label.as_str()) && subject.is_none() {
                subject = Some(value.to_owned()).filter(|s| !s.is_empty());
            }
            cursor += 1;
        }
        let rest = lines[cursor.min(lines.len())..].join("\n");
        blocks.push(InlineBlock {
            explicit_forward,
            sender,
            subject,
            text: super::quoted::new_text(&rest),
        });
        index = cursor.max(index + 1);
    }
    blocks
}

/// Parses a free-form sender line: `Name <a@b>`, `"Name" <a@b>`, `Name [mailto:a@b]`, `a@b`.
pub(crate) fn parse_loose_mailbox(value: &str) -> Mailbox {
    let is_separator = |c: char| c.is_whitespace() || "<>[]()\"',;".contains(c);
    let address = value
        .split(is_separator)
        .map(|token| token.trim_start_matches("mailto:").trim_end_matches('.'))
        .find(|token| {
            token
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        });
    let name_end = value.find(['<', '[', '(']).unwrap_or(value.len());
    let name = value[..name_end].trim();
    let name = (!name.is_empty() && Some(name) != address && !name.contains('@')).then_some(name);
    Mailbox::new(name, address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_subjects() {
        for subject in [
            "Fw: x",
            "FW: x",
            "Fwd: x",
            "TR: x",
            "TR : x",
            "WG: x",
            "Re: Fwd: x",
            "[Fwd: x]",
        ] {
            assert!(is_forward_subject(subject), "{subject}");
        }
        for subject in ["Re: x", "Bestelling", "Trade fair: x", "Order: fw"] {
            assert!(!is_forward_subject(subject), "{subject}");
        }
    }

    #[test]
    fn loose_mailboxes() {
        let mailbox = parse_loose_mailbox("Jan Jansen <Jan@Example.nl>");
        assert_eq!(mailbox.name.as_deref(), Some("Jan Jansen"));
        assert_eq!(mailbox.email.as_deref(), Some("jan@example.nl"));
        let mailbox = parse_loose_mailbox("Jan Jansen [mailto:jan@example.nl]");
        assert_eq!(mailbox.email.as_deref(), Some("jan@example.nl"));
        let mailbox = parse_loose_mailbox("\"Jansen, Jan\" <jan@example.nl>");
        assert_eq!(mailbox.name.as_deref(), Some("Jansen, Jan"));
        let mailbox = parse_loose_mailbox("jan@example.nl");
        assert_eq!(mailbox.name, None);
        assert_eq!(mailbox.email.as_deref(), Some("jan@example.nl"));
        let mailbox = parse_loose_mailbox("Jan Jansen");
        assert_eq!(mailbox.email, None);
    }
}
