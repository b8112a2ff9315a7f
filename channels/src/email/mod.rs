//! The e-mail channel's pure parser: the bytes of one RFC 5322 message in, a [`NewItem`] plus
//! the e-mail specifics the pipeline needs (threading ids, addresses, noise evidence, bounce
//! and forward facts, a verified reference token) out. No I/O, no clock, no globals.
//!
//! Outcomes by input:
//! - over `max_message_bytes`, empty, or without any header field: an [`EmailError`]; the caller
//!   keeps the raw bytes as a failed intake.
//! - MIME deeper than `max_mime_depth` or with more than `max_parts` parts: an [`EmailError`].
//! - a panic anywhere in parsing (ours or a dependency's): [`EmailError::ParserPanic`].
//! - over-long text or HTML, too many attachments, undecodable parts: an item with warnings.
//! - CR-only line endings are turned into LF before parsing.

mod attachments;
mod body;
mod bounce;
mod config;
mod forward;
mod headers;
mod html;
mod language;
mod limits;
mod noise;
mod quoted;
mod spam_score;

use std::borrow::Cow;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};

use chrono::{DateTime, Duration, Utc};
use mail_parser::{Message, MessageParser};
use serde::Serialize;
use switchboard_core::ErrorKind;
use switchboard_core::item::{Channel, NewItem, NoiseKind, SenderIdentity};

pub use self::attachments::{InlineContent, safe_file_name, sniff_content_type};
pub use self::config::{EmailConfig, EmailLimits, SpamCondition, SpamRule};
use self::forward::AttachedOriginal;
pub use self::forward::{ForwardInfo, ForwardVia};
pub use self::headers::Mailbox;
pub use self::html::{html_to_text, sanitize_html};
pub use self::language::detect_language;
pub use self::noise::NoiseVerdict;
pub use self::spam_score::{SpamPhrases, SpamScore, SpamScorer, SpamScoring, SpamSign};
use crate::reference_token::{self, FoundToken, TokenLocation};

/// Attached messages read for text and attachments, at most.
const MAX_ATTACHED_MESSAGES: usize = 20;
/// Levels of messages attached to attached messages that are read.
const MAX_ATTACHED_MESSAGE_LEVELS: usize = 5;
/// How far the Date header may lie after our newest Received stamp and still be believed.
const DATE_AHEAD_TOLERANCE_HOURS: i64 = 24;
/// How far the Date header may lie before our newest Received stamp and still be believed.
const DATE_BEHIND_TOLERANCE_DAYS: i64 = 7;

/// Why an e-mail could not become an item.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// The message is larger than the configured limit.
    #[error("message is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The message size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The input is empty or only whitespace.
    #[error("message is empty")]
    Empty,
    /// No header fields were found: the input is not an e-mail message.
    #[error("not an e-mail message: no header fields found")]
    NotAMessage,
    /// The MIME structure nests deeper than the limit.
    #[error("MIME structure nests deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The message has more MIME parts than the limit.
    #[error("message has more than {limit} MIME parts")]
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// Parsing panicked on malformed input; the panic was contained.
    #[error("parser failed on malformed input: {0}")]
    ParserPanic(String),
}

impl EmailError {
    /// Returns the error's kind: bad input, except a contained panic, which is our failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::ParserPanic(_) => ErrorKind::Internal,
            _ => ErrorKind::BadInput,
        }
    }
}

/// A parsed e-mail: the item, and the e-mail specifics (also stored in `item.details`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEmail {
    /// The work item to persist.
    pub item: NewItem,
    /// E-mail specifics for threading, linking and loop prevention.
    pub details: EmailDetails,
}

/// The e-mail specifics of a parsed message.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EmailDetails {
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To ids, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids, oldest first, without angle brackets.
    pub references: Vec<String>,
    /// The From mailbox as written (for forwards, the colleague).
    pub from: Option<Mailbox>,
    /// Reply-To mailboxes.
    pub reply_to: Vec<Mailbox>,
    /// To mailboxes.
    pub to: Vec<Mailbox>,
    /// Cc mailboxes.
    pub cc: Vec<Mailbox>,
    /// The Date header, when valid.
    pub date: Option<DateTime<Utc>>,
    /// The Auto-Submitted header's value, lower-cased, when present.
    pub auto_submitted: Option<String>,
    /// Why the message is noise, when it is.
    pub noise: Option<NoiseVerdict>,
    /// For bounces: the Message-ID of the message that could not be delivered.
    pub bounced_message_id: Option<String>,
    /// For bounces: the recipients that failed.
    pub bounced_recipients: Vec<String>,
    /// For forwards by colleagues: who forwarded and who wrote the original.
    pub forward: Option<ForwardInfo>,
    /// The first reference token whose signature verified.
    pub reference: Option<FoundToken>,
    /// Reference tokens whose signature did not verify (never used for threading).
    pub rejected_references: Vec<FoundToken>,
    /// Inline attachments the HTML refers to by `cid:`.
    pub inline_content: Vec<InlineContent>,
    /// Number of MIME parts, nested messages included.
    pub mime_parts: usize,
}

/// Parses one e-mail message into a work item.
///
/// `source` becomes `NewItem::source` (file base name or Message-ID); `received_at_fallback` is
/// used when neither the Date header nor a Received stamp gives a believable time.
pub fn parse_email(
    raw: &[u8],
    source: &str,
    received_at_fallback: DateTime<Utc>,
    config: &EmailConfig,
) -> Result<ParsedEmail, EmailError> {
    limits::check_size(raw, &config.limits)?;
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        parse_within_limits(raw, source, received_at_fallback, config)
    }));
    outcome.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        tracing::warn!(source, panic = %message, "email parser panicked");
        Err(EmailError::ParserPanic(message))
    })
}

fn parse_within_limits(
    raw: &[u8],
    source: &str,
    received_at_fallback: DateTime<Utc>,
    config: &EmailConfig,
) -> Result<ParsedEmail, EmailError> {
    let input = normalise_line_endings(raw);
    let message = MessageParser::default()
        .parse(input.as_ref())
        .ok_or(EmailError::NotAMessage)?;
    if headers::root_headers(&message).is_empty() {
        return Err(EmailError::NotAMessage);
    }
    let shape = limits::check_shape(&message, &config.limits)?;
    Ok(build(&message, shape, source, received_at_fallback, config))
}

/// Turns CR-only line endings (classic Mac mail) into LF; other input is left alone.
fn normalise_line_endings(raw: &[u8]) -> Cow<'_, [u8]> {
    if raw.contains(&b'\r') && !raw.contains(&b'\n') {
        Cow::Owned(
            raw.iter()
                .map(|&b| if b == b'\r' { b'\n' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(raw)
    }
}

fn build(
    message: &Message<'_>,
    shape: limits::Shape,
    source: &str,
    received_at_fallback: DateTime<Utc>,
    config: &EmailConfig,
) -> ParsedEmail {
    let limits = &config.limits;
    let mut warnings = Vec::new();
    let subject = headers::subject(message);
    let from = headers::mailboxes(message.from()).into_iter().next();
    let date = headers::date(message);
    let received_at =
        choose_received_at(date, headers::received_date(message)).unwrap_or(received_at_fallback);

    let body = body::extract(message, limits, true);
    warnings.extend(body.warnings);
    let verdict =
        noise::classify(message, from.as_ref(), subject.as_deref(), config).or_else(|| {
            noise::content_spam(
                message,
                from.as_ref(),
                subject.as_deref(),
                &body.text,
                config,
            )
        });
    let is_bounce = verdict
        .as_ref()
        .is_some_and(|v| v.kind == NoiseKind::Bounce);

    let collected = attachments::collect(message, limits.max_attachments, 0);
    warnings.extend(collected.warnings);
    let mut item_attachments = collected.attachments;
    let mut originals = Vec::new();
    let mut pending: VecDeque<(&Message<'_>, usize)> = collected
        .messages
        .into_iter()
        .map(|nested| (nested, 1))
        .collect();
    while let Some((nested, level)) = pending.pop_front() {
        if originals.len() >= MAX_ATTACHED_MESSAGES {
            warnings.push(format!(
                "only the first {MAX_ATTACHED_MESSAGES} attached messages were read"
            ));
            break;
        }
        let nested_body = body::extract(nested, limits, false);
        let nested_collected =
            attachments::collect(nested, limits.max_attachments, item_attachments.len());
        if !is_bounce {
            item_attachments.extend(nested_collected.attachments);
            warnings.extend(nested_collected.warnings);
        }
        if level < MAX_ATTACHED_MESSAGE_LEVELS {
            pending.extend(
                nested_collected
                    .messages
                    .into_iter()
                    .map(|m| (m, level + 1)),
            );
        }
        originals.push(AttachedOriginal {
            message: nested,
            text: nested_body.text,
        });
    }

    // Delivery reports and automatic replies quote our own mail; they are never forwards.
    let automatic = verdict
        .as_ref()
        .is_some_and(|v| matches!(v.kind, NoiseKind::Bounce | NoiseKind::AutoReply));
    let forward = if automatic {
        None
    } else {
        forward::detect(
            from.as_ref(),
            subject.as_deref(),
            &body.text,
            &originals,
            config,
        )
    };
    let sender = choose_sender(from.as_ref(), forward.as_ref(), config, &mut warnings);

    // A bounce's own text is the mail system's; the customer's language is the returned
    // original's, when it came back with its text.
    let language = if is_bounce {
        originals
            .first()
            .and_then(|original| detect_language(&original.text))
    } else {
        forward
            .as_ref()
            .and_then(|f| f.original_text.as_deref())
            .and_then(detect_language)
            .or_else(|| detect_language(&quoted::new_text(&body.text)))
            .or_else(|| detect_language(&body.text))
    };

    let mut text = body.text;
    for original in &originals {
        append_attached_message(&mut text, original);
    }
    if body::truncate_chars(&mut text, limits.max_text_chars) {
        warnings.push(format!("text cut at {} characters", limits.max_text_chars));
    }

    let in_reply_to = headers::message_ids(message.in_reply_to());
    let references = headers::message_ids(message.references());
    let bounced = is_bounce.then(|| bounce::bounced_original(message));
    let bounced_message_id = bounced.as_ref().and_then(|b| b.message_id.clone());
    let (reference, rejected_references) = find_reference(
        subject.as_deref(),
        &in_reply_to,
        &references,
        bounced_message_id.as_deref(),
        config,
    );
    for rejected in &rejected_references {
        warnings.push(format!(
            "reference token {} failed verification and was ignored",
            rejected.token
        ));
    }

    let details = EmailDetails {
        message_id: headers::message_id(message),
        reply_to: headers::mailboxes(message.reply_to()),
        to: headers::mailboxes(message.to()),
        cc: headers::mailboxes(message.cc()),
        date,
        auto_submitted: headers::token_value(message, "Auto-Submitted"),
        noise: verdict,
        bounced_message_id,
        bounced_recipients: bounced.map(|b| b.recipients).unwrap_or_default(),
        forward: forward.map(|f| f.info),
        reference,
        rejected_references,
        inline_content: collected.inline,
        mime_parts: shape.parts,
        from,
        in_reply_to,
        references,
    };

    let mut item = NewItem::new(Channel::Email, source, received_at, text);
    item.subject = subject;
    item.html = body.html;
    item.sender = sender;
    item.language = language;
    item.noise = details.noise.as_ref().map(|v| v.kind);
    item.message_id = details.message_id.clone();
    item.reply_to_ids = reply_chain(&details.in_reply_to, &details.references);
    item.attachments = item_attachments;
    item.warnings = warnings;
    item.details = serde_json::to_value(&details).unwrap_or_default();
    ParsedEmail { item, details }
}

/// Believes the Date header unless our newest Received stamp says it is far off.
fn choose_received_at(
    date: Option<DateTime<Utc>>,
    received: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    match (date, received) {
        (Some(date), Some(received))
            if date <= received + Duration::hours(DATE_AHEAD_TOLERANCE_HOURS)
                && date >= received - Duration::days(DATE_BEHIND_TOLERANCE_DAYS) =>
        {
            Some(date)
        }
        (_, Some(received)) => Some(received),
        (date, None) => date,
    }
}

/// Picks the customer: the original sender of a colleague's forward, else From; never one of
/// our own mailboxes.
fn choose_sender(
    from: Option<&Mailbox>,
    forward: Option<&forward::Forward>,
    config: &EmailConfig,
    warnings: &mut Vec<String>,
) -> SenderIdentity {
    let forwarded_original = forward.and_then(|f| f.info.original_sender.as_ref());
    if forward.is_some() && forwarded_original.is_none() {
        warnings.push("forward without a recognisable original sender".to_owned());
    }
    let Some(mailbox) = forwarded_original.or(from) else {
        return SenderIdentity::default();
    };
    let own = mailbox
        .email
        .as_deref()
        .is_some_and(|email| config.is_own_address(email));
    if own {
        warnings.push("sender is one of our own mailboxes".to_owned());
    }
    SenderIdentity {
        email: mailbox.email.clone().filter(|_| !own),
        phone: None,
        name: mailbox.name.clone(),
    }
}

fn append_attached_message(text: &mut String, original: &AttachedOriginal<'_, '_>) {
    let nested = original.message;
    let mut block = String::from("---------- Attached message ----------\n");
    if let Some(from) = headers::mailboxes(nested.from()).into_iter().next() {
        let shown = match (&from.name, &from.email) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (None, Some(email)) => email.clone(),
            (Some(name), None) => name.clone(),
            (None, None) => String::new(),
        };
        block.push_str(&format!("From: {shown}\n"));
    }
    if let Some(date) = headers::date(nested) {
        block.push_str(&format!("Date: {}\n", date.to_rfc3339()));
    }
    if let Some(subject) = headers::subject(nested) {
        block.push_str(&format!("Subject: {subject}\n"));
    }
    block.push('\n');
    block.push_str(&original.text);
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(block.trim_end());
}

/// Returns the ids this message replies to, nearest first, without duplicates.
fn reply_chain(in_reply_to: &[String], references: &[String]) -> Vec<String> {
    let mut chain: Vec<String> = Vec::new();
    for id in in_reply_to.iter().chain(references.iter().rev()) {
        if !chain.contains(id) {
            chain.push(id.clone());
        }
    }
    chain
}

/// Looks for reference tokens in Subject, In-Reply-To, References and a bounced original's
/// Message-ID; returns the first verified one and every one that failed verification.
fn find_reference(
    subject: Option<&str>,
    in_reply_to: &[String],
    references: &[String],
    bounced_message_id: Option<&str>,
    config: &EmailConfig,
) -> (Option<FoundToken>, Vec<FoundToken>) {
    let secrets = &config.reference_secrets;
    let mut found: Vec<FoundToken> = Vec::new();
    if let Some(token) = subject.and_then(|s| reference_token::find_in_subject(s, secrets)) {
        found.push(token);
    }
    let ids = in_reply_to
        .iter()
        .map(|id| (id.as_str(), TokenLocation::InReplyTo))
        .chain(
            references
                .iter()
                .rev()
                .map(|id| (id.as_str(), TokenLocation::References)),
        )
        .chain(bounced_message_id.map(|id| (id, TokenLocation::BouncedMessage)));
    found.extend(
        ids.filter_map(|(id, location)| reference_token::find_in_message_id(id, location, secrets)),
    );
    let verified = found.iter().find(|token| token.verified).cloned();
    let rejected = found.into_iter().filter(|token| !token.verified).collect();
    (verified, rejected)
}
