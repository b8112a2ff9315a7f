//! Composing replies: From the channel's address, To the customer (their Reply-To when they set
//! one), In-Reply-To and References from the item, the item's signed reference token in the
//! Subject and in the Message-ID, so the customer's answer threads back to the item even when
//! their mail program rewrites the reply headers.

use std::sync::Arc;

use async_trait::async_trait;
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder};
use switchboard_channels::reference_token::{self, TokenSecret};
use switchboard_core::error::CoreResult;
use switchboard_core::item::{Channel, WorkItem};
use switchboard_core::outbox::{
    NewOutbound, Outbound, OutboundKind, OutboundMail, ReplyDraft, ReplyRequest, ReplyTemplate,
};
use switchboard_core::store::Store;
use switchboard_core::work::Worker;
use switchboard_core::{CoreError, WorkItemId};
use tokio::sync::Notify;

use super::acknowledge::{self, AcknowledgementSettings, Template};
use super::relay_in_force::RelayInForce;
use super::settings::SmtpRelay;

/// The longest reply text accepted, in characters.
const MAX_REPLY_CHARS: usize = 100_000;
/// The most Cc recipients on one reply.
const MAX_CC: usize = 20;

/// Composes replies with the settings of the relay in force and queues them in the store's
/// outbox.
pub struct ReplyComposer {
    store: Arc<dyn Store>,
    relay: RelayInForce,
    secret: TokenSecret,
    queued: Arc<Notify>,
    templates: Vec<ReplyTemplate>,
}

impl ReplyComposer {
    /// A composer; `queued` is notified after each queued message, to wake the sender.
    pub fn new(
        store: Arc<dyn Store>,
        relay: impl Into<RelayInForce>,
        secret: TokenSecret,
        queued: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            relay: relay.into(),
            secret,
            queued,
            templates: super::templates::default_reply_templates(),
        }
    }

    /// Offers `templates` to start replies from, instead of the built-in ones.
    pub fn with_templates(mut self, templates: Vec<ReplyTemplate>) -> Self {
        self.templates = templates;
        self
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
        let relay = self.relay.current();
        let composed = compose_reply(&found, request, &relay, &self.secret, &unique)?;
        let queued = self
            .store
            .queue_reply(&composed, by, chrono::Utc::now())
            .await?;
        self.queued.notify_one();
        Ok(queued)
    }

    fn draft(&self, item: &WorkItem) -> ReplyDraft {
        let reference = item.id.reference();
        let original = item.subject.as_deref().unwrap_or("").trim();
        ReplyDraft {
            subject: reply_subject(item, None, &self.secret),
            templates: self
                .templates
                .iter()
                .map(|template| ReplyTemplate {
                    text: acknowledge::fill(&template.text, &reference, original),
                    ..template.clone()
                })
                .collect(),
        }
    }
}

/// What goes out, before the headers every message to an item gets.
struct Outgoing {
    kind: OutboundKind,
    subject: String,
    body: String,
    cc: Vec<Mailbox>,
}

/// Builds the reply to an e-mail item; `unique` keeps its Message-ID distinct.
pub fn compose_reply(
    item: &WorkItem,
    request: &ReplyRequest,
    relay: &SmtpRelay,
    secret: &TokenSecret,
    unique: &str,
) -> CoreResult<NewOutbound> {
    let body = checked_reply_text(&request.text)?;
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
    let outgoing = Outgoing {
        kind: OutboundKind::Reply,
        subject: reply_subject(item, request.subject.as_deref(), secret),
        body: body.to_owned(),
        cc,
    };
    compose(item, outgoing, relay, secret, unique)
}

/// Builds the automatic acknowledgement of an e-mail item from the template of its language.
pub fn compose_acknowledgement(
    item: &WorkItem,
    template: &Template,
    relay: &SmtpRelay,
    secret: &TokenSecret,
    unique: &str,
) -> CoreResult<NewOutbound> {
    let reference = item.id.reference();
    let original = item.subject.as_deref().unwrap_or("").trim();
    let token = reference_token::sign(item.id, secret.as_bytes());
    let outgoing = Outgoing {
        kind: OutboundKind::Acknowledgement,
        subject: format!(
            "{} {token}",
            acknowledge::fill(&template.subject, &reference, original)
        ),
        body: acknowledge::fill(&template.body, &reference, original),
        cc: Vec::new(),
    };
    compose(item, outgoing, relay, secret, unique)
}

fn compose(
    item: &WorkItem,
    outgoing: Outgoing,
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
    let from = mailbox(
        &relay.from,
        relay.from_name.as_deref(),
        "the configured from address",
    )?;
    let to = mailbox(customer_address(item)?, None, "the customer's address")?;
    let host = relay.from.rsplit('@').next().unwrap_or("localhost");
    let message_id = reference_token::sign_message_id(item.id, secret.as_bytes(), unique, host);

    let mut builder = Message::builder()
        .from(from.clone())
        .to(to.clone())
        .subject(outgoing.subject.clone())
        .message_id(Some(message_id.clone()));
    for copy in &outgoing.cc {
        builder = builder.cc(copy.clone());
    }
    if outgoing.kind == OutboundKind::Acknowledgement {
        builder = builder.header(AutoSubmitted);
    }
    let builder = with_thread_headers(builder, &item.details);
    let message = builder
        .header(ContentType::TEXT_PLAIN)
        .body(outgoing.body.clone())
        .map_err(|error| CoreError::BadInput(format!("cannot compose the message: {error}")))?;
    let recipients = std::iter::once(&to)
        .chain(&outgoing.cc)
        .map(|mailbox| mailbox.email.to_string())
        .collect();
    Ok(NewOutbound {
        item: item.id,
        kind: outgoing.kind,
        message_id: message_id
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_owned(),
        mail_from: from.email.to_string(),
        recipients,
        subject: outgoing.subject,
        body: outgoing.body,
        raw: message.formatted(),
    })
}

/// `Auto-Submitted: auto-replied` (RFC 3834) on automatic messages, so other robots stay quiet.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-replied".to_owned())
    }
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

/// `Re: <subject> [SB-000123-abcdefgh]`, keeping one `Re:` and one token; the subject is the
/// agent's `edited` one when given, else the item's.
fn reply_subject(item: &WorkItem, edited: Option<&str>, secret: &TokenSecret) -> String {
    let original = edited
        .filter(|edited| !edited.trim().is_empty())
        .or(item.subject.as_deref())
        .unwrap_or("")
        .replace(['\r', '\n'], " ");
    let original = original.trim();
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

/// Acknowledges fresh messages on mailboxes that ask for it, through the outbox.
pub struct Acknowledger {
    store: Arc<dyn Store>,
    relay: RelayInForce,
    secret: TokenSecret,
    settings: AcknowledgementSettings,
    own_addresses: Vec<String>,
    queued: Arc<Notify>,
}

impl Acknowledger {
    /// An acknowledger sending through `relay`; `queued` wakes the outbox sender.
    pub fn new(
        store: Arc<dyn Store>,
        relay: impl Into<RelayInForce>,
        secret: TokenSecret,
        settings: AcknowledgementSettings,
        own_addresses: Vec<String>,
        queued: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            relay: relay.into(),
            secret,
            settings,
            own_addresses,
            queued,
        }
    }

    /// Queues the acknowledgement of a freshly ingested message addressed to one of the
    /// mailboxes acknowledged for every source (`[mail.acknowledgement] mailboxes`), as
    /// [`Acknowledger::acknowledge`] does; returns whether one was queued.
    pub async fn acknowledge_addressed(&self, item: WorkItemId, raw: &[u8]) -> CoreResult<bool> {
        if acknowledge::addressed_mailbox(raw, &self.settings.mailboxes).is_none() {
            return Ok(false);
        }
        self.acknowledge(item, raw).await
    }

    /// Queues the acknowledgement of a freshly ingested message unless it must not be answered
    /// or its sender was acknowledged recently; returns whether one was queued.
    pub async fn acknowledge(&self, item: WorkItemId, raw: &[u8]) -> CoreResult<bool> {
        let found = self
            .store
            .item(item)
            .await?
            .ok_or_else(|| CoreError::not_found(format!("item {item}")))?;
        let sender = found.sender.email.as_deref();
        if let Err(refusal) = acknowledge::check(found.noise, sender, raw, &self.own_addresses) {
            tracing::debug!(item = %item, refusal = ?refusal, "no acknowledgement");
            return Ok(false);
        }
        let template = self.settings.templates.for_language(found.language);
        let unique = format!("{:016x}", rand::random::<u64>());
        let relay = self.relay.current();
        let composed = compose_acknowledgement(&found, template, &relay, &self.secret, &unique)?;
        let now = chrono::Utc::now();
        let since = now - chrono::TimeDelta::hours(self.settings.per_sender_hours.max(0));
        let queued = self
            .store
            .queue_acknowledgement(&composed, since, now)
            .await?;
        if queued.is_some() {
            self.queued.notify_one();
        } else {
            tracing::debug!(item = %item, "acknowledgement rate-limited");
        }
        Ok(queued.is_some())
    }
}
