//! Cases: the items one customer sends about one matter — by e-mail, fax, voicemail, letter or
//! task, in one thread or several — grouped so that one agent settles them in one contact.
//!
//! The grouping rule is pure. [`decide`] looks at an item's applied links and at the customer's
//! other items received within the window, and says which case the item belongs to;
//! [`regroup`] examines a case's members again when one of them leaves or changes.
//!
//! - **Same order.** An item linked to customer C and order O joins the items of C linked to O
//!   within the window. When some of them are in a case already, it joins that case (the one
//!   holding most of them; the oldest on a tie), else it opens a new case with them.
//! - **Ties merge.** When the items it shares orders with are in more than one case — it names
//!   order A of one case and order B of another — those cases are one matter now: they merge
//!   into the case it joins, so one agent answers the item that covers both.
//! - **Same customer.** An item linked to customer C but to no order names no matter of its own
//!   ("please call me back"). It joins C's open case within the window only when there is
//!   exactly one: with two, guessing would hand half of one matter to the wrong agent. An item
//!   with orders shared by nobody is a matter of its own and stays out of other cases.
//! - An item without an applied customer, and noise, are in no case; a case never spans two
//!   customers (every member is linked to the customer the case was opened for).
//!
//! When an order item opens or joins a case, the customer's items without orders near it that
//! are in no case join as well, under the same "only when unambiguous" condition, so the order
//! in which items arrive does not change the grouping.
//!
//! A case is therefore a chain of items sharing orders within the window, plus loose items.
//! When a member leaves (or its links change), the rest are examined again by the same rule: a
//! chain that breaks in two becomes two cases (the larger keeps the case), members left sharing
//! no order with another leave, a loose member stays only when exactly one part is near it, and
//! a case with fewer than two members left dissolves.

mod book;
mod decide;
mod regroup;
#[cfg(test)]
mod test_support;

pub use book::{BookItem, BookMember, CaseBook, CaseStep};
pub use decide::decide;
pub use regroup::{Regrouping, regroup};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::CoreResult;
use crate::ids::{CaseId, WorkItemId};
use crate::item::{Channel, ItemStatus};
use crate::link::{Link, LinkKind};

/// How cases are formed: the window within which items of one customer are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CaseRule {
    /// Items received at most this many hours apart are grouped (default 72).
    pub window_hours: u32,
}

impl Default for CaseRule {
    fn default() -> Self {
        Self { window_hours: 72 }
    }
}

impl CaseRule {
    /// The window as a duration.
    pub fn window(&self) -> Duration {
        Duration::hours(i64::from(self.window_hours))
    }
}

/// Why an item belongs to its case, in words an agent understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseReason {
    /// It names these orders (at least one), each named by another member too.
    SameOrder(Vec<String>),
    /// It is the customer's only open case within the window.
    SameCustomer {
        /// The window in hours.
        window_hours: u32,
    },
}

impl std::fmt::Display for CaseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SameOrder(orders) => match orders.as_slice() {
                [] | [_] => write!(f, "same order {}", orders.concat()),
                [first @ .., last] => write!(f, "same orders {} and {last}", first.join(", ")),
            },
            Self::SameCustomer { window_hours } => {
                write!(f, "same customer within {window_hours} h")
            }
        }
    }
}

/// What the grouping reads of an item: the one being placed, or a member of a case examined
/// again.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseSubject {
    /// The item.
    pub item: WorkItemId,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Its applied customer link, if any.
    pub customer: Option<String>,
    /// Its applied order links.
    pub orders: Vec<String>,
    /// Whether it is noise (never in a case).
    pub noise: bool,
}

impl CaseSubject {
    /// Reads the applied customer and orders from an item's links.
    pub fn from_links(
        item: WorkItemId,
        received_at: DateTime<Utc>,
        noise: bool,
        links: &[Link],
    ) -> Self {
        let applied = |kind: LinkKind| {
            links
                .iter()
                .filter(move |link| link.applied && link.kind == kind)
                .map(|link| link.key.clone())
        };
        Self {
            item,
            received_at,
            customer: applied(LinkKind::Customer).next(),
            orders: applied(LinkKind::Order).collect(),
            noise,
        }
    }
}

/// A case a candidate is in, and whether any of its members is still open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CandidateCase {
    /// The case.
    pub id: CaseId,
    /// Whether a member is not done, discarded or failed.
    pub open: bool,
}

/// Another item of the same customer (noise left out), as the grouping sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseCandidate {
    /// The item.
    pub item: WorkItemId,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Its applied order links.
    pub orders: Vec<String>,
    /// Its case, if it is in one.
    pub case: Option<CandidateCase>,
}

/// The case an item goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseTarget {
    /// A case that exists.
    Existing(CaseId),
    /// A new case of the item's customer.
    New,
}

/// One item joining the target case, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseJoin {
    /// The item.
    pub item: WorkItemId,
    /// Why it belongs.
    pub reason: CaseReason,
}

/// Where an item goes, which cases it ties into that one, and which of its neighbours come
/// along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDecision {
    /// The case.
    pub target: CaseTarget,
    /// The customer every member is linked to.
    pub customer: String,
    /// Other cases the item ties to the target: their members move into it and they end.
    pub merged: Vec<CaseId>,
    /// The item first, then the candidates in no case yet that join with it.
    pub joins: Vec<CaseJoin>,
}

/// An item as the related view lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelatedItem {
    /// The item.
    pub item: WorkItemId,
    /// Its human reference.
    pub reference: String,
    /// Its channel.
    pub channel: Channel,
    /// Its subject, if any.
    pub subject: Option<String>,
    /// Its status.
    pub status: ItemStatus,
    /// The login of the agent who holds it (or handled it last), if any.
    pub holder: Option<String>,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Its case, if any.
    pub case_id: Option<CaseId>,
    /// Why it is in that case (members of a case only).
    pub evidence: Option<String>,
}

/// A case with its members, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    /// The case.
    pub id: CaseId,
    /// The customer all members are linked to.
    pub customer_no: String,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// Its members, the item itself included, by received time.
    pub members: Vec<RelatedItem>,
}

/// What `GET /items/{id}/related` shows: the item's case and its customer's other recent
/// items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Related {
    /// The item.
    pub item: WorkItemId,
    /// Its applied customer, if any.
    pub customer_no: Option<String>,
    /// Its case, if any.
    pub case: Option<CaseView>,
    /// The customer's other items, newest first (at most [`TIMELINE_LENGTH`]).
    pub timeline: Vec<RelatedItem>,
}

/// Most items the customer timeline lists.
pub const TIMELINE_LENGTH: u32 = 20;

/// The reads behind [`related`].
#[async_trait::async_trait]
pub trait CaseStore: Send + Sync {
    /// Reads the case an item is in, with its members.
    async fn case_of(&self, item: WorkItemId) -> CoreResult<Option<CaseView>>;

    /// Reads a customer's items other than `except` (noise left out), newest first, at most
    /// `limit`.
    async fn customer_items(
        &self,
        customer_no: &str,
        except: WorkItemId,
        limit: u32,
    ) -> CoreResult<Vec<RelatedItem>>;
}

/// Reads an item's case and its customer's timeline; `None` when the item does not exist.
pub async fn related(
    store: &dyn crate::store::Store,
    item: WorkItemId,
) -> CoreResult<Option<Related>> {
    let Some(found) = store.item(item).await? else {
        return Ok(None);
    };
    let links = store.links_of(item).await?;
    let customer = timeline_customer(&found, &links);
    let timeline = async {
        match &customer {
            Some(customer) => Ok(vec![(
                customer.clone(),
                store
                    .customer_items(customer, item, TIMELINE_LENGTH)
                    .await?,
            )]),
            None => Ok(Vec::new()),
        }
    };
    let (case, timelines) = futures_util::future::try_join(store.case_of(item), timeline).await?;
    Ok(Some(related_of(&found, &links, case, timelines)))
}

/// The customer whose timeline an item shows: its applied customer link.
fn timeline_customer(found: &crate::item::WorkItem, links: &[Link]) -> Option<String> {
    CaseSubject::from_links(found.id, found.received_at, found.noise.is_some(), links).customer
}

/// Builds the related view of an item from its links, its case and the timelines read for its
/// applied customers (`(customer number, that customer's other items)`): the timeline shown is
/// the one of the customer the item belongs to.
pub fn related_of(
    found: &crate::item::WorkItem,
    links: &[Link],
    case: Option<CaseView>,
    timelines: Vec<(String, Vec<RelatedItem>)>,
) -> Related {
    let customer_no = timeline_customer(found, links);
    let timeline = timelines
        .into_iter()
        .find(|(customer, _)| Some(customer) == customer_no.as_ref())
        .map(|(_, items)| items)
        .unwrap_or_default();
    Related {
        item: found.id,
        customer_no,
        case,
        timeline,
    }
}
