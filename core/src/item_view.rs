//! The item page's data: the item with its links, attachments and routing history, the
//! customer panel, the case and customer timeline, and the replies sent. The store reads all
//! of it in one statement ([`ItemViewStore`]); the panel and the related items are then picked
//! from that by the same pure rules as everywhere else ([`customer_panel`], [`related_of`]).

use async_trait::async_trait;

use crate::case::{CaseView, Related, RelatedItem, related_of};
use crate::customer_view::{CustomerPanel, PanelSources, customer_panel};
use crate::error::CoreResult;
use crate::ids::WorkItemId;
use crate::item::{Attachment, WorkItem};
use crate::link::Link;
use crate::outbox::Outbound;
use crate::routing::AssignmentRecord;
use crate::work::ItemDetail;

/// What the store reads for the item page, before the page is put together.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemViewSources {
    /// The item.
    pub item: WorkItem,
    /// Its queue's name.
    pub queue: Option<String>,
    /// Its links, in the order they were made.
    pub links: Vec<Link>,
    /// Its attachments (metadata), in the order they arrived.
    pub attachments: Vec<Attachment>,
    /// Its assignment history, oldest first.
    pub assignments: Vec<AssignmentRecord>,
    /// The messages sent about it, oldest first.
    pub outbound: Vec<Outbound>,
    /// Its case with the members, if any.
    pub case: Option<CaseView>,
    /// For each applied customer link: the customer number and that customer's other items,
    /// newest first (at most [`crate::case::TIMELINE_LENGTH`]).
    pub timelines: Vec<(String, Vec<RelatedItem>)>,
    /// The orders and customers the panel picks from.
    pub panel: PanelSources,
}

/// Everything the item page shows about one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemView {
    /// The item with links, attachments and assignments (no notes or thread: the page shows
    /// neither).
    pub detail: ItemDetail,
    /// The customer panel.
    pub panel: CustomerPanel,
    /// The case and the customer's timeline.
    pub related: Related,
    /// The messages sent about it, oldest first.
    pub outbound: Vec<Outbound>,
}

impl ItemView {
    /// Puts the page together from what the store read.
    pub fn of(sources: ItemViewSources) -> Self {
        let panel = customer_panel(&sources.links, &sources.panel);
        let related = related_of(
            &sources.item,
            &sources.links,
            sources.case,
            sources.timelines,
        );
        let detail = ItemDetail::of(
            sources.item,
            sources.queue,
            sources.links,
            sources.attachments,
            Default::default(),
            sources.assignments,
        );
        Self {
            detail,
            panel,
            related,
            outbound: sources.outbound,
        }
    }
}

/// Reads the item page's data in one go.
#[async_trait]
pub trait ItemViewStore: Send + Sync {
    /// Reads what the item page of `item` needs; `None` when there is no such item.
    async fn item_view_sources(&self, item: WorkItemId) -> CoreResult<Option<ItemViewSources>>;
}

/// Reads the item page of `item`; `None` when there is no such item.
pub async fn read_item_view(
    store: &dyn crate::store::Store,
    item: WorkItemId,
) -> CoreResult<Option<ItemView>> {
    Ok(store.item_view_sources(item).await?.map(ItemView::of))
}
