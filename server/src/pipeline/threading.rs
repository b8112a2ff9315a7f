//! Finds a reply's parent: the nearest Message-ID it replies to that an item carries — one
//! stored already, or one written in the same transaction before it — else the stored item its
//! verified reference token names. Subjects alone never thread.
//!
//! The store is read once for a whole chunk ([`Pipeline::stored_parents`]); each reply is then
//! resolved in memory ([`StoredParents::thread_of`]), so a reply to an item of its own chunk
//! needs no write before it is placed.

use std::collections::HashMap;

use switchboard_core::CoreError;
use switchboard_core::WorkItemId;
use switchboard_core::link::NewLink;

use super::Pipeline;
use super::enrich::{Parent, ThreadContext};
use super::parse::Parsed;

/// The stored items replies of a chunk may thread to.
#[derive(Debug, Default)]
pub(super) struct StoredParents {
    /// The latest stored item carrying each Message-ID.
    by_message_id: HashMap<String, WorkItemId>,
    /// The links of every stored candidate (and token-named item) that exists.
    links: HashMap<WorkItemId, Vec<NewLink>>,
}

/// An item written in the same transaction before the reply: its position there and links.
pub(super) struct UnwrittenParent<'a> {
    pub(super) position: usize,
    pub(super) links: &'a [NewLink],
}

impl StoredParents {
    /// The thread `parsed` joins; `unwritten` finds the latest item not written yet that
    /// carries a Message-ID (it is newer than any stored one).
    pub(super) fn thread_of<'a>(
        &self,
        parsed: &Parsed,
        unwritten: impl Fn(&str) -> Option<UnwrittenParent<'a>>,
    ) -> ThreadContext {
        for message_id in &parsed.reply_ids {
            if let Some(parent) = unwritten(message_id) {
                return ThreadContext {
                    parent: Some(Parent::Unwritten(parent.position)),
                    parent_links: parent.links.to_vec(),
                };
            }
            if let Some(context) = self
                .by_message_id
                .get(message_id)
                .and_then(|item| self.stored(*item))
            {
                return context;
            }
        }
        // A token may name an item that does not exist: no parent then.
        parsed
            .token_item
            .and_then(|item| self.stored(item))
            .unwrap_or_default()
    }

    fn stored(&self, item: WorkItemId) -> Option<ThreadContext> {
        self.links.get(&item).map(|links| ThreadContext {
            parent: Some(Parent::Stored(item)),
            parent_links: links.clone(),
        })
    }
}

impl Pipeline {
    /// Reads the stored items `parsed` may reply to: one read of the items carrying their
    /// Message-IDs and one of those items' links.
    pub(super) async fn stored_parents(
        &self,
        parsed: &[&Parsed],
    ) -> Result<StoredParents, CoreError> {
        let mut message_ids: Vec<String> = parsed
            .iter()
            .flat_map(|parsed| parsed.reply_ids.iter().cloned())
            .collect();
        message_ids.sort_unstable();
        message_ids.dedup();
        // Candidates come oldest first: the latest item with a Message-ID wins.
        let by_message_id: HashMap<String, WorkItemId> = self
            .store
            .thread_candidates(&message_ids)
            .await?
            .into_iter()
            .map(|candidate| (candidate.message_id, candidate.item_id))
            .collect();
        let mut wanted: Vec<WorkItemId> = by_message_id
            .values()
            .copied()
            .chain(parsed.iter().filter_map(|parsed| parsed.token_item))
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let links = if wanted.is_empty() {
            HashMap::new()
        } else {
            self.store
                .links_of_items(&wanted)
                .await?
                .into_iter()
                .map(|(item, links)| (item, links.iter().map(NewLink::from).collect()))
                .collect()
        };
        Ok(StoredParents {
            by_message_id,
            links,
        })
    }

    /// The thread of each of `parsed`, none of which replies to another.
    pub(super) async fn threads_of(
        &self,
        parsed: &[&Parsed],
    ) -> Result<Vec<ThreadContext>, CoreError> {
        let stored = self.stored_parents(parsed).await?;
        Ok(parsed
            .iter()
            .map(|parsed| stored.thread_of(parsed, |_| None))
            .collect())
    }
}
