//! Feeding the index from the store's change feed (`item_changes`), without depending on the
//! store: the server implements [`ChangeSource`] and calls [`feed_once`] in its loop.

use std::future::Future;

use switchboard_core::CoreError;

use super::docs::Change;
use super::error::IndexError;
use super::handle::IndexHandle;

/// Reads the change feed: changes with a sequence above `seq`, in sequence order, each with
/// the item's document as it is now.
pub trait ChangeSource {
    /// Returns at most `limit` changes after `seq`.
    fn changes_after(
        &self,
        seq: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(i64, Change)>, CoreError>> + Send;
}

/// What one feeding step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedStep {
    /// Handed this many changes to the writer; call again right away.
    Applied(usize),
    /// No new changes; wait a moment before calling again.
    Idle,
    /// The writer is behind; wait a moment before calling again.
    Busy,
    /// A rebuild was switched in while reading; call again to read from its position.
    Restarted,
}

/// Reads one batch after the feed position and hands it to the writer.
pub async fn feed_once<S: ChangeSource>(
    index: &IndexHandle,
    source: &S,
    limit: usize,
) -> Result<FeedStep, IndexError> {
    let limit = limit.max(1);
    if index.queued() >= limit.saturating_mul(4) {
        return Ok(FeedStep::Busy);
    }
    let position = index.feed_position();
    let batch = source
        .changes_after(position.seq, limit)
        .await
        .map_err(IndexError::Source)?;
    if batch.is_empty() {
        return Ok(FeedStep::Idle);
    }
    let count = batch.len();
    if index.apply_at(position, batch)? {
        Ok(FeedStep::Applied(count))
    } else {
        Ok(FeedStep::Restarted)
    }
}
