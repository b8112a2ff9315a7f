//! Outbound e-mail: agents' replies to items, kept in an outbox until the SMTP worker has sent
//! them, retried with exponential backoff and marked failed (visible on the item) after the last
//! attempt. The `OutboxStore` port keeps the queue; the `OutboundMail` port composes a reply
//! (the binary implements it with its mail settings) so the HTTP layer needs no SMTP knowledge.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::ids::{OutboundId, WorkItemId};
use crate::item::{Language, WorkItem, wire_enum};
use crate::work::Worker;

wire_enum!(
    /// Why a message is sent.
    OutboundKind {
        /// An agent's reply.
        Reply = "reply",
        /// An automatic acknowledgement of receipt.
        Acknowledgement = "acknowledgement",
    }
);

wire_enum!(
    /// Where an outbound message is.
    OutboundStatus {
        /// Waiting for its (next) attempt.
        Pending = "pending",
        /// Accepted by the SMTP server.
        Sent = "sent",
        /// Given up after the last attempt; shown on the item.
        Failed = "failed",
    }
);

/// A composed message to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutbound {
    /// The item it answers.
    pub item: WorkItemId,
    /// Why it is sent.
    pub kind: OutboundKind,
    /// Its Message-ID without angle brackets (carries the item's signed reference).
    pub message_id: String,
    /// The envelope sender (our mailbox).
    pub mail_from: String,
    /// Envelope recipients: To and Cc.
    pub recipients: Vec<String>,
    /// The Subject (with the item's reference token).
    pub subject: String,
    /// The text written.
    pub body: String,
    /// The whole RFC 5322 message as it goes out.
    pub raw: Vec<u8>,
}

/// A message in the outbox, as the item shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outbound {
    /// Its id.
    pub id: OutboundId,
    /// The item it answers.
    pub item: WorkItemId,
    /// Why it is sent.
    pub kind: OutboundKind,
    /// Who wrote it (login or token name); none for automatic mail.
    pub author_name: Option<String>,
    /// Its Message-ID without angle brackets.
    pub message_id: String,
    /// The envelope sender.
    pub mail_from: String,
    /// The envelope recipients.
    pub recipients: Vec<String>,
    /// The Subject.
    pub subject: String,
    /// The text written.
    pub body: String,
    /// Pending, sent or failed.
    pub status: OutboundStatus,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (pending messages).
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the SMTP server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
}

/// A message due for an attempt, with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueOutbound {
    /// Its id.
    pub id: OutboundId,
    /// The item it answers.
    pub item: WorkItemId,
    /// The envelope sender.
    pub mail_from: String,
    /// The envelope recipients.
    pub recipients: Vec<String>,
    /// The message.
    pub raw: Vec<u8>,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// How often a send is tried, and how long to wait between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before the message is marked failed.
    pub max_attempts: i32,
    /// The wait after the first failure; it doubles after each further one.
    pub first_delay: TimeDelta,
    /// The longest wait.
    pub max_delay: TimeDelta,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            first_delay: TimeDelta::seconds(30),
            max_delay: TimeDelta::hours(1),
        }
    }
}

impl RetryPolicy {
    /// When to try again after `attempts` failed attempts, or `None` to give up.
    pub fn next_attempt(&self, attempts: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(0);
        let delay = self
            .first_delay
            .checked_mul(1_i32 << doublings)
            .map_or(self.max_delay, |delay| delay.min(self.max_delay));
        Some(now + delay)
    }
}

/// The queue of outbound mail.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Queues an agent's reply for `by` (refused unless they own the item or are a lead) and
    /// records an audit event.
    async fn queue_reply(
        &self,
        reply: &NewOutbound,
        by: &Worker,
        at: DateTime<Utc>,
    ) -> CoreResult<Outbound>;

    /// Queues an automatic acknowledgement unless its item already has one or its recipient
    /// was sent one since `since`; `None` when refused so.
    async fn queue_acknowledgement(
        &self,
        acknowledgement: &NewOutbound,
        since: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> CoreResult<Option<Outbound>>;

    /// Lists the messages due for an attempt at `now`, oldest first.
    async fn due_outbound(&self, now: DateTime<Utc>, limit: i64) -> CoreResult<Vec<DueOutbound>>;

    /// Records that the SMTP server accepted a message.
    async fn outbound_sent(&self, id: OutboundId, at: DateTime<Utc>) -> CoreResult<()>;

    /// Records a failed attempt: retried at `retry_at`, or marked failed when that is `None`.
    async fn outbound_attempt_failed(
        &self,
        id: OutboundId,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> CoreResult<()>;

    /// Lists an item's outbound messages, oldest first.
    async fn outbound_of(&self, item: WorkItemId) -> CoreResult<Vec<Outbound>>;
}

/// What an agent asks to send.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReplyRequest {
    /// The text of the reply.
    pub text: String,
    /// Extra recipients in Cc.
    #[serde(default)]
    pub cc: Vec<String>,
    /// The subject as the agent edited it; the item's own subject when absent. Either way it
    /// goes out with one `Re:` and the item's reference token.
    #[serde(default)]
    pub subject: Option<String>,
}

/// A text a reply starts from, in one language (`[[mail.reply_templates]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyTemplate {
    /// The name agents pick it by.
    pub name: String,
    /// The language it is written in.
    pub language: Language,
    /// The text; `{reference}` and `{subject}` are replaced with the item's.
    pub text: String,
}

/// How a reply to an item starts: the subject it goes out with and the templates to pick from
/// (placeholders filled for the item).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplyDraft {
    /// `Re: <subject> [token]`, as the composer sends it.
    pub subject: String,
    /// The configured templates, filled for the item.
    pub templates: Vec<ReplyTemplate>,
}

impl ReplyDraft {
    /// The index of the template to preselect: the first in the item's language, else the
    /// first English one, else the first.
    pub fn preselected(&self, language: Option<Language>) -> Option<usize> {
        let in_language = |wanted: Language| {
            self.templates
                .iter()
                .position(|template| template.language == wanted)
        };
        language
            .and_then(in_language)
            .or_else(|| in_language(Language::English))
            .or_else(|| (!self.templates.is_empty()).then_some(0))
    }
}

/// The most lines of the original message quoted below a reply.
const MAX_QUOTED_LINES: usize = 200;

/// The original message quoted below a reply: a line naming when and from whom, then every
/// line prefixed with `> ` (at most [`MAX_QUOTED_LINES`]).
pub fn quoted_original(text: &str, sender: &str, received_at: DateTime<Utc>) -> String {
    let mut quoted = format!("{} · {sender}:\n", received_at.format("%Y-%m-%d %H:%M UTC"));
    for line in text.trim_end().lines().take(MAX_QUOTED_LINES) {
        quoted.push('>');
        if !line.is_empty() {
            quoted.push(' ');
            quoted.push_str(line);
        }
        quoted.push('\n');
    }
    quoted
}

/// Composes and queues replies; implemented where the mail settings live.
#[async_trait]
pub trait OutboundMail: Send + Sync {
    /// Composes a reply to an item and queues it for sending.
    async fn reply(
        &self,
        item: WorkItemId,
        request: &ReplyRequest,
        by: &Worker,
    ) -> CoreResult<Outbound>;

    /// How a reply to `item` starts: its subject and the templates filled for it.
    fn draft(&self, item: &WorkItem) -> ReplyDraft;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_limit_then_give_up() {
        let policy = RetryPolicy {
            max_attempts: 4,
            first_delay: TimeDelta::seconds(10),
            max_delay: TimeDelta::seconds(25),
        };
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let waits: Vec<Option<i64>> = (1..=5)
            .map(|attempts| {
                policy
                    .next_attempt(attempts, now)
                    .map(|at| (at - now).num_seconds())
            })
            .collect();
        assert_eq!(waits, vec![Some(10), Some(20), Some(25), None, None]);
    }

    #[test]
    fn the_original_is_quoted_line_by_line_under_who_sent_it_when() {
        let at = DateTime::parse_from_rfc3339("2026-03-03T09:05:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let quoted = quoted_original("Waar blijft\n\nmijn order?\n", "anna@salon.example", at);
        assert_eq!(
            quoted,
            "2026-03-03 09:05 UTC · anna@salon.example:\n> Waar blijft\n>\n> mijn order?\n"
        );
        let long = "x\n".repeat(MAX_QUOTED_LINES + 50);
        assert_eq!(
            quoted_original(&long, "s", at).lines().count(),
            MAX_QUOTED_LINES + 1
        );
    }

    #[test]
    fn the_template_in_the_items_language_is_preselected() {
        let template = |language| ReplyTemplate {
            name: "t".into(),
            language,
            text: String::new(),
        };
        let draft = ReplyDraft {
            subject: String::new(),
            templates: vec![
                template(Language::German),
                template(Language::English),
                template(Language::Dutch),
            ],
        };
        assert_eq!(draft.preselected(Some(Language::Dutch)), Some(2));
        assert_eq!(draft.preselected(Some(Language::French)), Some(1));
        assert_eq!(draft.preselected(None), Some(1));
        assert_eq!(ReplyDraft::default().preselected(None), None);
    }
}
