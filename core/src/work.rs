//! Item work: what an agent sees of the items offered or assigned to them (their work list and
//! the item view) and what they do with them (waiting, done, reopen, internal notes), with the
//! rules of who may change what, and the port the store implements for it.
//!
//! The rights: everyone signed in may read any item (agents need the customer's history), but
//! an agent changes only the items they own; leads and admins change any item.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures_util::future::{try_join, try_join5};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult};
use crate::event::Actor;
use crate::ids::{AttachmentId, Login, NoteId, UserId, WorkItemId};
use crate::item::{Attachment, Channel, ItemStatus, StoredAttachment, WorkItem, wire_enum};
use crate::link::Link;
use crate::routing::{AssignmentId, AssignmentRecord};

/// An offer waiting for the agent's answer, for their work list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfferedWork {
    /// The offer to accept or reject.
    pub offer: AssignmentId,
    /// The item.
    pub item: WorkItemId,
    /// Its human reference, e.g. `SB-000123`.
    pub reference: String,
    /// Its channel.
    pub channel: Channel,
    /// Subject or title.
    pub subject: Option<String>,
    /// Who sent it (e-mail, number or name).
    pub sender: Option<String>,
    /// When it was offered.
    pub offered_at: DateTime<Utc>,
    /// When the offer times out.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An item the agent owns (assigned or waiting on the customer), for their work list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignedWork {
    /// The item.
    pub item: WorkItemId,
    /// Its human reference.
    pub reference: String,
    /// Its channel.
    pub channel: Channel,
    /// Subject or title.
    pub subject: Option<String>,
    /// The applied customer link's number.
    pub customer_no: Option<String>,
    /// The linked customer's name.
    pub customer_name: Option<String>,
    /// `assigned` or `waiting`.
    pub status: ItemStatus,
    /// Base priority.
    pub priority: i32,
    /// When its SLA runs out.
    pub sla_due_at: Option<DateTime<Utc>>,
    /// When the agent got it.
    pub assigned_at: DateTime<Utc>,
}

/// An agent's work list: open offers (soonest to expire first) and owned items in queue order
/// (higher priority, then earlier SLA due time, then earlier arrival).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MyWork {
    /// Offers to answer.
    pub offers: Vec<OfferedWork>,
    /// Items owned.
    pub assigned: Vec<AssignedWork>,
}

/// An internal note on an item; customers never see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    /// The id.
    pub id: NoteId,
    /// The item.
    pub item: WorkItemId,
    /// Who wrote it.
    pub author: Actor,
    /// The author's login (or an API token's name).
    pub author_name: String,
    /// When.
    pub at: DateTime<Utc>,
    /// The text.
    pub text: String,
}

/// The longest note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 10_000;

/// Checks a note's text: not blank, not longer than [`MAX_NOTE_CHARS`]; returns it trimmed.
pub fn checked_note_text(text: &str) -> CoreResult<&str> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CoreError::BadInput("a note needs text".into()));
    }
    let length = trimmed.chars().count();
    if length > MAX_NOTE_CHARS {
        return Err(CoreError::BadInput(format!(
            "a note holds at most {MAX_NOTE_CHARS} characters; this one has {length}"
        )));
    }
    Ok(trimmed)
}

/// Another item of the same thread, as the item view lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadMember {
    /// The item.
    pub item: WorkItemId,
    /// Its human reference.
    pub reference: String,
    /// Its channel.
    pub channel: Channel,
    /// Subject or title.
    pub subject: Option<String>,
    /// Its status.
    pub status: ItemStatus,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// The items around one in its thread: the one it replies to and the replies to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemThread {
    /// The item this one replies to.
    pub parent: Option<ThreadMember>,
    /// The items replying to this one, oldest first.
    pub children: Vec<ThreadMember>,
}

wire_enum!(
    /// A status change an agent (or lead) asks for.
    StatusChange {
        /// The item waits on the customer; its SLA clock pauses.
        Waiting = "waiting",
        /// The work is finished; the agent's capacity is freed.
        Done = "done",
        /// Back to work: a waiting item returns to its owner, a done item to routing.
        Reopen = "reopen",
    }
);

impl StatusChange {
    /// Returns the status an item in `current` moves to, or a conflict saying why it cannot.
    pub fn target(self, current: ItemStatus) -> CoreResult<ItemStatus> {
        let target = match (self, current) {
            (Self::Waiting, ItemStatus::Assigned) => ItemStatus::Waiting,
            (Self::Done, ItemStatus::Assigned | ItemStatus::Waiting) => ItemStatus::Done,
            (Self::Reopen, ItemStatus::Waiting) => ItemStatus::Assigned,
            (Self::Reopen, ItemStatus::Done) => ItemStatus::Queued,
            _ => {
                return Err(CoreError::Conflict(format!(
                    "an item that is {current} cannot be set to {}; {}",
                    self.as_str(),
                    self.allowed_from()
                )));
            }
        };
        Ok(target)
    }

    fn allowed_from(self) -> &'static str {
        match self {
            Self::Waiting => "only an assigned item can wait on the customer",
            Self::Done => "only an assigned or waiting item can be done",
            Self::Reopen => "only a waiting or done item can be reopened",
        }
    }

    /// The audit action recorded for the change.
    pub fn event_action(self) -> &'static str {
        match self {
            Self::Waiting => "item.waiting",
            Self::Done => "item.done",
            Self::Reopen => "item.reopened",
        }
    }
}

/// Who asks to change an item, and with which rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worker {
    /// Who to record in the audit event.
    pub actor: Actor,
    /// The name shown with notes (login or token name).
    pub name: String,
    /// The agent acting, when the caller works as one.
    pub agent: Option<UserId>,
    /// Leads and admins change any item.
    pub lead: bool,
}

impl Worker {
    /// Checks that the worker may change an item owned by `owner` (the assigned agent, or for a
    /// done item the agent who finished it).
    pub fn check_may_change(&self, item: WorkItemId, owner: Option<UserId>) -> CoreResult<()> {
        if self.lead || (self.agent.is_some() && self.agent == owner) {
            return Ok(());
        }
        Err(CoreError::Forbidden(format!(
            "item {} is not yours; only its agent or a lead can change it",
            item.reference()
        )))
    }
}

/// What a status change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChanged {
    /// The item.
    pub item: WorkItemId,
    /// Its status before.
    pub from: ItemStatus,
    /// Its status now.
    pub to: ItemStatus,
    /// Its version now.
    pub version: i64,
}

impl StatusChanged {
    /// Tells whether the change freed capacity or put work back to routing, so the router
    /// should look again.
    pub fn wakes_router(&self) -> bool {
        matches!(
            self.to,
            ItemStatus::Done | ItemStatus::Waiting | ItemStatus::Queued
        )
    }
}

/// The port the store implements for item work.
#[async_trait]
pub trait ItemWorkStore: Send + Sync {
    /// Reads an agent's work list: open offers and the items they own.
    async fn my_work(&self, agent: UserId) -> CoreResult<MyWork>;

    /// Lists an item's attachments (metadata only), in the order they arrived.
    async fn attachments_of(&self, item: WorkItemId) -> CoreResult<Vec<Attachment>>;

    /// Reads one attachment of an item, with its bytes when they are kept in its row; `None`
    /// when the item has no such attachment.
    async fn attachment_of(
        &self,
        item: WorkItemId,
        attachment: AttachmentId,
    ) -> CoreResult<Option<StoredAttachment>>;

    /// Lists an item's internal notes, oldest first.
    async fn notes_of(&self, item: WorkItemId) -> CoreResult<Vec<Note>>;

    /// Reads the item an item replies to and the replies to it.
    async fn thread_of(&self, item: WorkItemId) -> CoreResult<ItemThread>;

    /// Changes an item's status for `by` (refused when it is not theirs or the change is not
    /// allowed from the current status), bumps its version, records an audit event, ends the
    /// agent's assignment on done and pauses or resumes the SLA clock (moved on by `sla` when a
    /// pause ends), in one transaction.
    async fn change_item_status(
        &self,
        item: WorkItemId,
        change: StatusChange,
        by: &Worker,
        sla: &dyn crate::sla::SlaResume,
        at: DateTime<Utc>,
    ) -> CoreResult<StatusChanged>;

    /// Adds an internal note to an item for `by` (refused when it is not theirs), bumps the
    /// item's version and records an audit event.
    async fn add_note(
        &self,
        item: WorkItemId,
        text: &str,
        by: &Worker,
        at: DateTime<Utc>,
    ) -> CoreResult<Note>;
}

/// Reads attachment bytes from where intake stored them (the blob store), for downloads.
pub trait AttachmentBytes: Send + Sync {
    /// Opens the bytes stored at a content address for reading. Blocking: call it from a
    /// blocking context.
    fn open_blob(&self, address: &str) -> CoreResult<Box<dyn std::io::Read + Send>>;
}

/// Everything the item view shows about one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDetail {
    /// The item.
    pub item: WorkItem,
    /// Its human reference.
    pub reference: String,
    /// Its queue's name.
    pub queue: Option<String>,
    /// The login of the agent who owns or is offered it.
    pub assigned_agent: Option<Login>,
    /// Links with their evidence (applied ones and suggestions).
    pub links: Vec<Link>,
    /// Attachments (metadata; the bytes are downloaded separately).
    pub attachments: Vec<Attachment>,
    /// Internal notes, oldest first.
    pub notes: Vec<Note>,
    /// Parent and replies.
    pub thread: ItemThread,
    /// Assignment history with the router's explanations, oldest first.
    pub assignments: Vec<AssignmentRecord>,
}

impl ItemDetail {
    /// Puts the item view together from what was read; the assigned agent's login is the one
    /// of the latest assignment to the item's owner.
    pub fn of(
        item: WorkItem,
        queue: Option<String>,
        links: Vec<Link>,
        attachments: Vec<Attachment>,
        (notes, thread): (Vec<Note>, ItemThread),
        assignments: Vec<AssignmentRecord>,
    ) -> Self {
        let assigned_agent = item.assigned_user_id.and_then(|owner| {
            assignments
                .iter()
                .rev()
                .find(|record| record.agent == owner)
                .map(|record| record.login.clone())
        });
        Self {
            reference: item.id.reference(),
            item,
            queue,
            assigned_agent,
            links,
            attachments,
            notes,
            thread,
            assignments,
        }
    }
}

/// Reads the item view of `id` from the store (the API's item, notes and thread included),
/// the independent reads at once; `None` when there is no such item.
pub async fn item_detail(
    store: &dyn crate::store::Store,
    id: WorkItemId,
) -> CoreResult<Option<ItemDetail>> {
    let (found, links, attachments, assignments, conversation) = try_join5(
        store.item_with_queue(id),
        store.links_of(id),
        store.attachments_of(id),
        store.assignments_of(id),
        try_join(store.notes_of(id), store.thread_of(id)),
    )
    .await?;
    Ok(found.map(|(item, queue)| {
        ItemDetail::of(item, queue, links, attachments, conversation, assignments)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_changes_reach_their_status() {
        let cases = [
            (
                StatusChange::Waiting,
                ItemStatus::Assigned,
                ItemStatus::Waiting,
            ),
            (StatusChange::Done, ItemStatus::Assigned, ItemStatus::Done),
            (StatusChange::Done, ItemStatus::Waiting, ItemStatus::Done),
            (
                StatusChange::Reopen,
                ItemStatus::Waiting,
                ItemStatus::Assigned,
            ),
            (StatusChange::Reopen, ItemStatus::Done, ItemStatus::Queued),
        ];
        for (change, from, to) in cases {
            assert_eq!(change.target(from).unwrap(), to, "{change} from {from}");
        }
    }

    #[test]
    fn every_other_change_is_a_conflict() {
        for change in StatusChange::ALL {
            for from in ItemStatus::ALL {
                let legal = matches!(
                    (change, from),
                    (StatusChange::Waiting, ItemStatus::Assigned)
                        | (
                            StatusChange::Done,
                            ItemStatus::Assigned | ItemStatus::Waiting
                        )
                        | (StatusChange::Reopen, ItemStatus::Waiting | ItemStatus::Done)
                );
                let outcome = change.target(*from);
                if legal {
                    assert!(outcome.is_ok(), "{change} from {from}");
                } else {
                    assert!(
                        matches!(outcome, Err(CoreError::Conflict(_))),
                        "{change} from {from} should conflict"
                    );
                }
            }
        }
    }

    #[test]
    fn agents_change_only_their_own_items_and_leads_any() {
        let item = WorkItemId::new(7);
        let agent = |id: i64| Worker {
            actor: Actor::User {
                id: UserId::new(id),
            },
            name: "anna".into(),
            agent: Some(UserId::new(id)),
            lead: false,
        };
        assert!(
            agent(1)
                .check_may_change(item, Some(UserId::new(1)))
                .is_ok()
        );
        let refused = agent(1).check_may_change(item, Some(UserId::new(2)));
        assert!(matches!(refused, Err(CoreError::Forbidden(_))));
        assert!(agent(1).check_may_change(item, None).is_err());
        let token_without_agent = Worker {
            actor: Actor::Token { name: "crm".into() },
            name: "crm".into(),
            agent: None,
            lead: false,
        };
        assert!(token_without_agent.check_may_change(item, None).is_err());
        let lead = Worker {
            lead: true,
            ..token_without_agent
        };
        assert!(lead.check_may_change(item, Some(UserId::new(2))).is_ok());
    }

    #[test]
    fn notes_must_hold_text_within_the_limit() {
        assert_eq!(checked_note_text("  called back  ").unwrap(), "called back");
        assert!(matches!(
            checked_note_text(" \n "),
            Err(CoreError::BadInput(_))
        ));
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        assert!(matches!(
            checked_note_text(&long),
            Err(CoreError::BadInput(_))
        ));
    }
}
