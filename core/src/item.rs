//! Work items: what every inbound channel becomes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{AttachmentId, CustomerNo, Login, OrderNo, QueueId, UserId, WorkItemId};
use crate::link::Link;
use crate::skill::SkillRequirement;

/// Declares a string-backed enum with its wire names, `as_str` and `parse`.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// Returns the wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }

            /// Parses a wire name.
            pub fn parse(raw: &str) -> Option<Self> {
                match raw {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// The inbound channel an item came through.
    Channel {
        Email = "email",
        Fax = "fax",
        Voicemail = "voicemail",
        Letter = "letter",
        Task = "task",
    }
);

wire_enum!(
    /// Where an item is in its life.
    ItemStatus {
        /// Created, not yet routed.
        New = "new",
        /// Waiting in a queue for an agent.
        Queued = "queued",
        /// Offered to an agent who has not answered yet.
        Offered = "offered",
        /// Owned by an agent.
        Assigned = "assigned",
        /// Waiting on the customer; SLA paused.
        Waiting = "waiting",
        /// Finished.
        Done = "done",
        /// Noise or otherwise set aside; kept, never deleted.
        Discarded = "discarded",
        /// Intake failed; raw input kept and shown.
        Failed = "failed",
    }
);

wire_enum!(
    /// The kind of noise an item is, when it is not work for an agent.
    NoiseKind {
        AutoReply = "auto_reply",
        Bounce = "bounce",
        Newsletter = "newsletter",
        Spam = "spam",
    }
);

wire_enum!(
    /// What the sender wants.
    Intent {
        NewOrder = "new_order",
        OrderChange = "order_change",
        OrderCancel = "order_cancel",
        OrderStatus = "order_status",
        PriceQuote = "price_quote",
        Complaint = "complaint",
        ReturnRequest = "return_request",
        InvoiceQuestion = "invoice_question",
        ProductQuestion = "product_question",
        CampaignResponse = "campaign_response",
    }
);

wire_enum!(
    /// The languages Switchboard recognises.
    Language {
        Dutch = "nl",
        English = "en",
        German = "de",
        French = "fr",
    }
);

impl ItemStatus {
    /// Tells whether the item still needs an agent's work.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::New | Self::Queued | Self::Offered | Self::Assigned | Self::Waiting
        )
    }
}

/// Who sent an item, as far as the channel tells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderIdentity {
    /// E-mail address, lower-cased.
    pub email: Option<String>,
    /// Phone or fax number in E.164.
    pub phone: Option<String>,
    /// Display name or letter signature name.
    pub name: Option<String>,
}

impl SenderIdentity {
    /// Returns the exported `sender` value: e-mail, else number, else name.
    pub fn display(&self) -> Option<&str> {
        self.email
            .as_deref()
            .or(self.phone.as_deref())
            .or(self.name.as_deref())
    }
}

/// An attachment of a stored item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The attachment's id.
    pub id: AttachmentId,
    /// A safe file name (no path parts, no control or bidi characters).
    pub file_name: String,
    /// The content type the sender declared.
    pub declared_type: Option<String>,
    /// The content type sniffed from the bytes.
    pub sniffed_type: Option<String>,
    /// Size in bytes.
    pub size: i64,
    /// Content address (hex SHA-256): kept in the attachment's row for attachments up to
    /// [`INLINE_ATTACHMENT_MAX`], else in the blob store under it.
    pub blob: String,
}

/// An attachment and its bytes when they are kept in its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    /// The attachment.
    pub attachment: Attachment,
    /// The bytes, for attachments up to [`INLINE_ATTACHMENT_MAX`]; `None` when they are in the
    /// blob store under the attachment's `blob`.
    pub inline: Option<Vec<u8>>,
}

/// Largest attachment kept in its row; larger ones are stored as blob files. Attachments of
/// e-mails are mostly small (attached and bounced messages, signatures, scans of a page), and
/// a file, a flush and a rename each cost more than the row; the raw input they came in is
/// kept in the database up to the same size.
pub const INLINE_ATTACHMENT_MAX: usize = crate::inbound::INLINE_RAW_MAX;

/// An attachment a parser found, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// A safe file name.
    pub file_name: String,
    /// The content type the sender declared.
    pub declared_type: Option<String>,
    /// The content type sniffed from the bytes.
    pub sniffed_type: Option<String>,
    /// The bytes.
    pub content: Vec<u8>,
}

impl NewAttachment {
    /// Whether its bytes are kept in its row rather than a blob file.
    pub fn is_inline(&self) -> bool {
        self.content.len() <= INLINE_ATTACHMENT_MAX
    }
}

/// What a channel parser produces from one inbound input.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    /// The channel.
    pub channel: Channel,
    /// File base name or Message-ID / external id.
    pub source: String,
    /// When the input arrived.
    pub received_at: DateTime<Utc>,
    /// Subject or title.
    pub subject: Option<String>,
    /// Body, OCR text or transcription.
    pub text: String,
    /// Sanitised HTML for display, when the channel had HTML.
    pub html: Option<String>,
    /// Who sent it.
    pub sender: SenderIdentity,
    /// The detected language.
    pub language: Option<Language>,
    /// The noise kind, when the input is not work.
    pub noise: Option<NoiseKind>,
    /// The channel's own message id (RFC 5322 Message-ID) for threading.
    pub message_id: Option<String>,
    /// Message ids this input replies to, nearest first.
    pub reply_to_ids: Vec<String>,
    /// Attachments found.
    pub attachments: Vec<NewAttachment>,
    /// Warnings raised while parsing, shown on the item.
    pub warnings: Vec<String>,
    /// Channel-specific fields (fax pages, call duration, task fields), as JSON.
    pub details: serde_json::Value,
}

impl NewItem {
    /// Builds an item with only the required fields set.
    pub fn new(
        channel: Channel,
        source: impl Into<String>,
        received_at: DateTime<Utc>,
        text: impl Into<String>,
    ) -> Self {
        Self {
            channel,
            source: source.into(),
            received_at,
            subject: None,
            text: text.into(),
            html: None,
            sender: SenderIdentity::default(),
            language: None,
            noise: None,
            message_id: None,
            reply_to_ids: Vec::new(),
            attachments: Vec::new(),
            warnings: Vec::new(),
            details: serde_json::Value::Null,
        }
    }
}

/// A persisted work item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkItem {
    /// The id.
    pub id: WorkItemId,
    /// The channel.
    pub channel: Channel,
    /// File base name or Message-ID / external id.
    pub source: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// The detected language.
    pub language: Option<Language>,
    /// Subject or title.
    pub subject: Option<String>,
    /// Who sent it.
    pub sender: SenderIdentity,
    /// Body, OCR text or transcription.
    pub text: String,
    /// Sanitised HTML for display.
    pub html: Option<String>,
    /// The thread's root item.
    pub thread_id: Option<WorkItemId>,
    /// The item this one replies to.
    pub parent_id: Option<WorkItemId>,
    /// Noise kind.
    pub noise: Option<NoiseKind>,
    /// Classified intent.
    pub intent: Option<Intent>,
    /// Product lines the item is about.
    pub product_lines: Vec<String>,
    /// Lifecycle status.
    pub status: ItemStatus,
    /// The queue deciding who takes it.
    pub queue_id: Option<QueueId>,
    /// Base priority (higher first).
    pub priority: i32,
    /// Skills an agent needs for it at the current step.
    pub required_skills: Vec<SkillRequirement>,
    /// When its SLA runs out.
    pub sla_due_at: Option<DateTime<Utc>>,
    /// When its SLA turns at risk (boosted and flagged).
    pub sla_at_risk_at: Option<DateTime<Utc>>,
    /// The agent who owns or is offered it.
    pub assigned_user_id: Option<UserId>,
    /// Parser warnings and intake problems.
    pub warnings: Vec<String>,
    /// Channel-specific fields.
    pub details: serde_json::Value,
    /// Optimistic-concurrency version, bumped on every change.
    pub version: i64,
}

/// The exported item of DESIGN.md's contract, one JSON object per line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedItem {
    pub id: i64,
    #[serde(rename = "ref")]
    pub reference: String,
    pub channel: Channel,
    pub source: String,
    pub received_at: String,
    pub language: Option<Language>,
    pub subject: Option<String>,
    pub sender: Option<String>,
    pub customer_no: Option<CustomerNo>,
    pub order_nos: Vec<OrderNo>,
    pub links: Vec<ExportedLink>,
    pub thread_id: Option<i64>,
    pub parent_id: Option<i64>,
    pub noise: Option<NoiseKind>,
    pub intent: Option<Intent>,
    pub product_lines: Vec<String>,
    pub status: ItemStatus,
    pub queue: Option<String>,
    pub priority: i32,
    pub required_skills: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub assigned_agent: Option<Login>,
    /// When the item is due (RFC 3339): a voicemail's call-back time, a task's due time.
    #[serde(default)]
    pub sla_due_at: Option<String>,
}

/// A link as exported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedLink {
    pub kind: crate::link::LinkKind,
    pub key: String,
    pub confidence: f64,
    pub origin: crate::link::LinkOrigin,
    pub applied: bool,
    pub evidence: String,
}

impl ExportedItem {
    /// Builds the exported form of an item from the item, its links and names resolved by the store.
    pub fn from_item(
        item: &WorkItem,
        links: &[Link],
        queue_name: Option<String>,
        assigned_login: Option<Login>,
        with_text: bool,
    ) -> Self {
        let customer_no = links
            .iter()
            .find(|link| link.applied && link.kind == crate::link::LinkKind::Customer)
            .map(|link| CustomerNo::new(link.key.clone()));
        let order_nos = links
            .iter()
            .filter(|link| link.applied && link.kind == crate::link::LinkKind::Order)
            .map(|link| OrderNo::new(link.key.clone()))
            .collect();
        Self {
            id: item.id.get(),
            reference: item.id.reference(),
            channel: item.channel,
            source: item.source.clone(),
            received_at: item
                .received_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            language: item.language,
            subject: item.subject.clone(),
            sender: item.sender.display().map(str::to_owned),
            customer_no,
            order_nos,
            links: links
                .iter()
                .map(|link| ExportedLink {
                    kind: link.kind,
                    key: link.key.clone(),
                    confidence: link.confidence,
                    origin: link.origin,
                    applied: link.applied,
                    evidence: link.evidence.clone(),
                })
                .collect(),
            thread_id: item.thread_id.map(WorkItemId::get),
            parent_id: item.parent_id.map(WorkItemId::get),
            noise: item.noise,
            intent: item.intent,
            product_lines: item.product_lines.clone(),
            status: item.status,
            queue: queue_name,
            priority: item.priority,
            required_skills: item
                .required_skills
                .iter()
                .map(ToString::to_string)
                .collect(),
            text: with_text.then(|| item.text.clone()),
            assigned_agent: assigned_login,
            sla_due_at: item
                .sla_due_at
                .map(|due| due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        }
    }
}
