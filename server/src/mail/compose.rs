//! Composing replies: From the channel's address, To the customer (their Reply-To when they set
//! one), In-Reply-To and References from the item, the item's signed reference token in the
//! Subject and in the Message-ID, so the customer's answer threads back to the item even when
//! their mail program rewrites the reply headers.

use std::sync::Arc;

use async_trait::async_trait;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MessageBuilder};
use switchboard_channels::reference_token::{self, TokenSecret};
use switchboard_core::error::CoreResult;
use switchboard_core::item::{Channel, WorkItem};
use switchboard_core::outbox::{NewOutbound, Outbound, OutboundKind, OutboundMail, ReplyRequest};
use switchboard_core::store::Store;
use switchboard_core::work::Worker;
use switchboard_core::{CoreError, WorkItemId};
use tokio::sync::Notify;

use super::settings::SmtpRelay;

/// The longest reply text accepted, in characters.
const MAX_REPLY_CHARS: usize = 100_000;
/// The most Cc recipients on one reply.
const MAX_CC: usize = 20;

/// Composes replies with the relay's settings and queues them in the store's outbox.
pub struct ReplyComposer {
    store: Arc<dyn Store>,
    relay: SmtpRelay,
    secret: TokenSecret,
    queued: Arc<Notify>,
}

impl ReplyComposer {
    /// A composer; `queued` is notified after each queued message, to wake the sender.
    pub fn new(
        store: Arc<dyn Store>,
        relay: SmtpRelay,
        secret: TokenSecret,
        queued: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            relay,
            secret,
            queued,
        }
    }
}

#[async_trait]
impl OutboundMail for ReplyComposer {
    async fn reply(
        &self,
        item: WorkItemId,
        request: &ReplyRequest,
        by: &Worker,
    ) -> CoreResult<Outbound> {
        let found = self
            .store
            .item(item)
            .await?
            .ok_or_else(|| CoreError::not_found(format!("item {item}")))?;
        let unique = format!("{:016x}", rand::random::<u64>());
        let composed = compose_reply(&found, request, &self.relay, &self.secret, &unique)?;
        let queued = self
            .store
            .queue_reply(&composed, by, chrono::Utc::now())
            .await?;
        self.queued.notify_one();
        Ok(queued)
    }
}

/// Builds the reply to an e-mail item; `unique` keeps its Message-ID distinct.
pub fn compose_reply(
    item: &WorkItem,
    request: &ReplyRequest,
    relay: &SmtpRelay,
    secret: &TokenSecret,
    unique: &str,
) -> CoreResult<NewOutbound> {
    if item.channel != Channel::Email {
        return Err(CoreError::BadInput(format!(
            "item {} came by {}; only e-mail items are answered by e-mail",
            item.id.reference(),
            item.channel
        )));
    }
    let body = checked_reply_text(&request.text)?;
    let from = mailbox(
        &relay.from,
        relay.from_name.as_deref(),
        "the configured from address",
    )?;
    let to = mailbox(customer_address(item)?, None, "the customer's address")?;
    if request.cc.len() > MAX_CC {
        return Err(CoreError::BadInput(format!(
            "a reply has at most {MAX_CC} Cc recipients"
        )));
    }
    let cc = request
        .cc
        .iter()
        .map(|address| mailbox(address, None, "a Cc address"))
        .collect::<CoreResult<Vec<Mailbox>>>()?;
    let host = relay.from.rsplit('@').next().unwrap_or("localhost");
    let message_id = reference_token::sign_message_id(item.id, secret.as_bytes(), unique, host);
    let subject = reply_subject(item, secret);

    let mut builder = Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(subject.clone())
        .message_id(Some(message_id.clone()));
    for copy in &cc {
        builder = builder.cc(copy.clone());
    }
    let builder = with_thread_headers(builder, &item.details);
    let message = builder
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_owned())
        .map_err(|error| CoreError::BadInput(format!("cannot compose the reply: {error}")))?;
    let recipients = std::iter::once(&to)
        .chain(&cc)
        .map(|mailbox| mailbox.email.to_string())
        .collect();
    Ok(NewOutbound {
        item: item.id,
        kind: OutboundKind::Reply,
        message_id: message_id
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned(),
        mail_from: from.email.to_string(),
        recipients,
        subject,
        body: body.to_owned(),
        raw: message.formatted(),
    })
}

fn checked_reply_text(text: &str) -> CoreResult<&str> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CoreError::BadInput("a reply needs text".into()));
    }
    let length = trimmed.chars().count();
    if length > MAX_REPLY_CHARS {
        return Err(CoreError::BadInput(format!(
            "a reply holds at most {MAX_REPLY_CHARS} characters; this one has {length}"
        )));
    }
    Ok(trimmed)
}

fn mailbox(address: &str, name: Option<&str>, what: &str) -> CoreResult<Mailbox> {
    let parsed = address
        .trim()
        .parse()
        .map_err(|error| CoreError::BadInput(format!("{what} {address:?} is invalid: {error}")))?;
    Ok(Mailbox::new(name.map(str::to_owned), parsed))
}

/// The customer's Reply-To when they set one, else their From address.
fn customer_address(item: &WorkItem) -> CoreResult<&str> {
    let reply_to = item.details["reply_to"].as_array().and_then(|mailboxes| {
        mailboxes
            .iter()
            .find_map(|mailbox| mailbox["email"].as_str())
    });
    reply_to.or(item.sender.email.as_deref()).ok_or_else(|| {
        CoreError::BadInput(format!(
            "item {} has no sender address to reply to",
            item.id.reference()
        ))
    })
}

/// `Re: <subject> [SB-000123-abcdefgh]`, keeping one `Re:` and one token.
fn reply_subject(item: &WorkItem, secret: &TokenSecret) -> String {
    let original = item.subject.as_deref().unwrap_or("").trim();
    let token = reference_token::sign(item.id, secret.as_bytes());
    let with_token = if original.contains(&token) {
        original.to_owned()
    } else if original.is_empty() {
        token
    } else {
        format!("{original} {token}")
    };
    let lower = with_token.to_ascii_lowercase();
    if lower.starts_with("re:") || lower.starts_with("aw:") || lower.starts_with("antw:") {
        with_token
    } else {
        format!("Re: {with_token}")
    }
}

/// In-Reply-To the item's Message-ID; References its references and then that id.
fn with_thread_headers(builder: MessageBuilder, details: &serde_json::Value) -> MessageBuilder {
    let Some(parent) = details["message_id"].as_str() else {
        return builder;
    };
    let references: Vec<&str> = details["references"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|id| id.as_str()).collect())
        .unwrap_or_default();
    let chain = references
        .iter()
        .chain(std::iter::once(&parent))
        .map(|id| format!("<{id}>"))
        .collect::<Vec<_>>()
        .join(" ");
    builder.in_reply_to(format!("<{parent}>")).references(chain)
}
