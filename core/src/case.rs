//! Cases: the items one customer sends about one matter — by e-mail, fax, voicemail, letter or
//! task, in one thread or several — grouped so that one agent settles them in one contact.
//!
//! The grouping rule ([`decide`]) is pure: it looks at an item's applied links and at the
//! customer's other items received within the window, and says which case the item belongs to.
//!
//! - **Same order.** An item linked to customer C and order O joins the items of C linked to O
//!   within the window. When some of them are in a case already, it joins that case (the one
//!   holding most of them; the oldest on a tie), else it opens a new case with them.
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
    /// It names an order another member names.
    SameOrder(String),
    /// It is the customer's only open case within the window.
    SameCustomer {
        /// The window in hours.
        window_hours: u32,
    },
}

impl std::fmt::Display for CaseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SameOrder(order) => write!(f, "same order {order}"),
            Self::SameCustomer { window_hours } => {
                write!(f, "same customer within {window_hours} h")
            }
        }
    }
}

/// What the grouping reads of the item being placed.
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

/// Where an item goes, and which of its neighbours come along.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDecision {
    /// The case.
    pub target: CaseTarget,
    /// The customer every member is linked to.
    pub customer: String,
    /// The item first, then the candidates in no case yet that join with it.
    pub joins: Vec<CaseJoin>,
}

/// Decides the case of `subject` among the customer's other items (`candidates`, any order;
/// items outside the window and the subject itself are ignored). `None`: no case.
pub fn decide(
    subject: &CaseSubject,
    candidates: &[CaseCandidate],
    rule: &CaseRule,
) -> Option<CaseDecision> {
    if subject.noise {
        return None;
    }
    let customer = subject.customer.clone()?;
    let window = rule.window();
    let mut near: Vec<&CaseCandidate> = candidates
        .iter()
        .filter(|candidate| candidate.item != subject.item)
        .filter(|candidate| (candidate.received_at - subject.received_at).abs() <= window)
        .collect();
    near.sort_by_key(|candidate| (candidate.received_at, candidate.item));
    let same_customer = CaseReason::SameCustomer {
        window_hours: rule.window_hours,
    };
    if subject.orders.is_empty() {
        let target = only_open_case(&near, None)?;
        return Some(CaseDecision {
            target: CaseTarget::Existing(target),
            customer,
            joins: vec![CaseJoin {
                item: subject.item,
                reason: same_customer,
            }],
        });
    }
    let shared_order = |candidate: &CaseCandidate| {
        subject
            .orders
            .iter()
            .find(|order| candidate.orders.contains(order))
            .cloned()
    };
    let sharing: Vec<(&CaseCandidate, String)> = near
        .iter()
        .filter_map(|candidate| shared_order(candidate).map(|order| (*candidate, order)))
        .collect();
    let (_, first_order) = sharing.first()?;
    let target = most_shared_case(&sharing).map_or(CaseTarget::New, CaseTarget::Existing);
    let mut joins = vec![CaseJoin {
        item: subject.item,
        reason: CaseReason::SameOrder(first_order.clone()),
    }];
    joins.extend(
        sharing
            .iter()
            .filter(|(candidate, _)| candidate.case.is_none())
            .map(|(candidate, order)| CaseJoin {
                item: candidate.item,
                reason: CaseReason::SameOrder(order.clone()),
            }),
    );
    let other_cases = match target {
        CaseTarget::Existing(case) => only_open_case(&near, Some(case)).is_none(),
        CaseTarget::New => near
            .iter()
            .any(|candidate| candidate.case.is_some_and(|case| case.open)),
    };
    if !other_cases {
        joins.extend(
            near.iter()
                .filter(|candidate| candidate.case.is_none() && candidate.orders.is_empty())
                .map(|candidate| CaseJoin {
                    item: candidate.item,
                    reason: same_customer.clone(),
                }),
        );
    }
    debug_assert!(joins.iter().skip(1).all(|join| join.item != subject.item));
    Some(CaseDecision {
        target,
        customer,
        joins,
    })
}

/// The one open case among `near` (counting `with` as open too); `None` when there is none or
/// more than one.
fn only_open_case(near: &[&CaseCandidate], with: Option<CaseId>) -> Option<CaseId> {
    let mut open: Vec<CaseId> = near
        .iter()
        .filter_map(|candidate| candidate.case)
        .filter(|case| case.open)
        .map(|case| case.id)
        .chain(with)
        .collect();
    open.sort();
    open.dedup();
    match open.as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

/// The case holding most of the items that share an order with the subject; the oldest
/// (lowest id) on a tie. `None` when none of them is in a case.
fn most_shared_case(sharing: &[(&CaseCandidate, String)]) -> Option<CaseId> {
    let mut counts: Vec<(CaseId, usize)> = Vec::new();
    for case in sharing.iter().filter_map(|(candidate, _)| candidate.case) {
        match counts.iter_mut().find(|(id, _)| *id == case.id) {
            Some((_, count)) => *count += 1,
            None => counts.push((case.id, 1)),
        }
    }
    counts
        .into_iter()
        .max_by(|(a, a_count), (b, b_count)| a_count.cmp(b_count).then(b.cmp(a)))
        .map(|(id, _)| id)
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
    related_to(store, &found, &links).await.map(Some)
}

/// Reads the case and customer timeline of an item already read with its links (the item view
/// has both at hand).
pub async fn related_to(
    store: &dyn crate::store::Store,
    found: &crate::item::WorkItem,
    links: &[Link],
) -> CoreResult<Related> {
    let item = found.id;
    let subject = CaseSubject::from_links(item, found.received_at, found.noise.is_some(), links);
    let timeline = match &subject.customer {
        Some(customer) => {
            store
                .customer_items(customer, item, TIMELINE_LENGTH)
                .await?
        }
        None => Vec::new(),
    };
    Ok(Related {
        item,
        customer_no: subject.customer,
        case: store.case_of(item).await?,
        timeline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: CaseRule = CaseRule { window_hours: 72 };

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_741_000_000, 0).unwrap_or_default()
            + Duration::hours(hours)
    }

    fn subject(orders: &[&str]) -> CaseSubject {
        CaseSubject {
            item: WorkItemId::new(100),
            received_at: at(0),
            customer: Some("0000104321".into()),
            orders: orders.iter().map(|o| (*o).to_owned()).collect(),
            noise: false,
        }
    }

    fn candidate(id: i64, hours: i64, orders: &[&str], case: Option<(i64, bool)>) -> CaseCandidate {
        CaseCandidate {
            item: WorkItemId::new(id),
            received_at: at(hours),
            orders: orders.iter().map(|o| (*o).to_owned()).collect(),
            case: case.map(|(id, open)| CandidateCase {
                id: CaseId::new(id),
                open,
            }),
        }
    }

    fn joined(decision: &CaseDecision) -> Vec<(i64, String)> {
        decision
            .joins
            .iter()
            .map(|join| (join.item.get(), join.reason.to_string()))
            .collect()
    }

    #[test]
    fn a_shared_order_opens_a_case_with_the_earlier_item() {
        let candidates = [
            candidate(1, -30, &["4500012345"], None),
            candidate(2, -10, &["4500099999"], None),
        ];
        let decision = decide(&subject(&["4500012345"]), &candidates, &RULE).unwrap();
        assert_eq!(decision.target, CaseTarget::New);
        assert_eq!(decision.customer, "0000104321");
        assert_eq!(
            joined(&decision),
            vec![
                (100, "same order 4500012345".to_owned()),
                (1, "same order 4500012345".to_owned())
            ]
        );
    }

    #[test]
    fn a_shared_order_joins_the_case_that_holds_it() {
        let candidates = [
            candidate(1, -30, &["4500012345"], Some((7, false))),
            candidate(2, 5, &["4500012345"], None),
        ];
        let decision = decide(&subject(&["4500012345"]), &candidates, &RULE).unwrap();
        assert_eq!(decision.target, CaseTarget::Existing(CaseId::new(7)));
        assert_eq!(
            joined(&decision).iter().map(|j| j.0).collect::<Vec<_>>(),
            vec![100, 2]
        );
    }

    #[test]
    fn the_case_holding_most_sharing_items_wins_then_the_oldest() {
        let candidates = [
            candidate(1, -30, &["A"], Some((9, true))),
            candidate(2, -20, &["B"], Some((8, true))),
            candidate(3, -10, &["B"], Some((8, true))),
        ];
        let decision = decide(&subject(&["A", "B"]), &candidates, &RULE).unwrap();
        assert_eq!(decision.target, CaseTarget::Existing(CaseId::new(8)));
        let tie = [
            candidate(1, -30, &["A"], Some((9, true))),
            candidate(2, -20, &["B"], Some((8, true))),
        ];
        let decision = decide(&subject(&["A", "B"]), &tie, &RULE).unwrap();
        assert_eq!(decision.target, CaseTarget::Existing(CaseId::new(8)));
    }

    #[test]
    fn items_outside_the_window_or_about_other_orders_stay_apart() {
        let candidates = [
            candidate(1, -73, &["4500012345"], None),
            candidate(2, 73, &["4500012345"], Some((3, true))),
            candidate(4, -1, &["4500099999"], Some((5, true))),
        ];
        assert_eq!(decide(&subject(&["4500012345"]), &candidates, &RULE), None);
        let exactly_at_the_edge = [candidate(1, -72, &["4500012345"], None)];
        assert!(decide(&subject(&["4500012345"]), &exactly_at_the_edge, &RULE).is_some());
    }

    #[test]
    fn a_customer_only_item_joins_the_one_open_case() {
        let candidates = [
            candidate(1, -30, &["A"], Some((4, true))),
            candidate(2, -20, &["A"], Some((4, true))),
            candidate(3, -5, &[], None),
        ];
        let decision = decide(&subject(&[]), &candidates, &RULE).unwrap();
        assert_eq!(decision.target, CaseTarget::Existing(CaseId::new(4)));
        assert_eq!(
            joined(&decision),
            vec![(100, "same customer within 72 h".to_owned())]
        );
    }

    #[test]
    fn a_customer_only_item_stays_out_when_ambiguous_or_closed() {
        let two_cases = [
            candidate(1, -30, &["A"], Some((4, true))),
            candidate(2, -20, &["B"], Some((5, true))),
        ];
        assert_eq!(decide(&subject(&[]), &two_cases, &RULE), None);
        let closed = [candidate(1, -30, &["A"], Some((4, false)))];
        assert_eq!(decide(&subject(&[]), &closed, &RULE), None);
        let no_case = [candidate(1, -30, &[], None)];
        assert_eq!(decide(&subject(&[]), &no_case, &RULE), None);
    }

    #[test]
    fn an_order_item_brings_the_customers_loose_items_along_when_unambiguous() {
        let candidates = [
            candidate(1, -30, &["A"], None),
            candidate(2, -20, &[], None),
        ];
        let decision = decide(&subject(&["A"]), &candidates, &RULE).unwrap();
        assert_eq!(
            joined(&decision),
            vec![
                (100, "same order A".to_owned()),
                (1, "same order A".to_owned()),
                (2, "same customer within 72 h".to_owned())
            ]
        );
        let another_open_case = [
            candidate(1, -30, &["A"], None),
            candidate(2, -20, &[], None),
            candidate(3, -10, &["B"], Some((6, true))),
        ];
        let decision = decide(&subject(&["A"]), &another_open_case, &RULE).unwrap();
        assert_eq!(
            joined(&decision).iter().map(|j| j.0).collect::<Vec<_>>(),
            vec![100, 1]
        );
    }

    #[test]
    fn noise_and_items_without_a_customer_are_in_no_case() {
        let candidates = [candidate(1, -30, &["A"], Some((4, true)))];
        let mut noise = subject(&["A"]);
        noise.noise = true;
        assert_eq!(decide(&noise, &candidates, &RULE), None);
        let mut unknown = subject(&["A"]);
        unknown.customer = None;
        assert_eq!(decide(&unknown, &candidates, &RULE), None);
    }

    #[test]
    fn the_subject_itself_is_never_its_own_candidate() {
        let candidates = [candidate(100, 0, &["A"], Some((4, true)))];
        assert_eq!(decide(&subject(&["A"]), &candidates, &RULE), None);
    }

    #[test]
    fn the_window_follows_the_rule() {
        let candidates = [candidate(1, -30, &["A"], None)];
        let narrow = CaseRule { window_hours: 24 };
        assert_eq!(decide(&subject(&["A"]), &candidates, &narrow), None);
        let decision = decide(
            &subject(&[]),
            &[candidate(1, -3, &["A"], Some((2, true)))],
            &narrow,
        )
        .unwrap();
        assert_eq!(
            decision.joins[0].reason.to_string(),
            "same customer within 24 h"
        );
    }
}
