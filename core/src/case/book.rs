//! Placing several items in their cases at once, in memory: the store reads the cases and
//! items the placements can touch once ([`CaseBook::new`]), the book places each item exactly
//! as one-by-one placement would — [`decide`], then [`regroup`] of the case it left and of the
//! case it ends in — and hands back the writes in the order they happened
//! ([`CaseBook::into_steps`]), so a batch costs a handful of statements instead of a dozen per
//! item, with the same cases, members, evidence and case numbering.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::{CandidateCase, CaseCandidate, CaseRule, CaseSubject, CaseTarget, decide, regroup};
use crate::ids::{CaseId, WorkItemId};
use crate::item::ItemStatus;

/// Case numbers the book gives the cases it opens until the store has written them: above
/// every stored case and in the order they were opened, so they compare as the stored
/// numbers will.
const PROVISIONAL_BASE: i64 = 1 << 62;

/// An item as the grouping reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct BookItem {
    /// The item.
    pub id: WorkItemId,
    /// When it was received, as stored.
    pub received_at: DateTime<Utc>,
    /// Whether it is noise.
    pub noise: bool,
    /// Its status.
    pub status: ItemStatus,
    /// The keys of its applied customer links, in the order they were made.
    pub customers: Vec<String>,
    /// The keys of its applied order links, in the order they were made.
    pub orders: Vec<String>,
}

/// A stored membership: an item, its case and the evidence shown for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookMember {
    /// The item.
    pub item: WorkItemId,
    /// Its case.
    pub case: CaseId,
    /// Why it is in that case.
    pub evidence: String,
}

/// A write, in the order the placements need them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseStep {
    /// Open a case of `customer`; `provisional` is the number the book gave it, which later
    /// steps use until the stored one replaces it.
    Open {
        /// The book's number.
        provisional: CaseId,
        /// The customer.
        customer: String,
    },
    /// Take these items out of their cases (before the upserts of the same step).
    Remove(Vec<WorkItemId>),
    /// Put items in cases with their evidence; a membership that stays keeps its join time.
    Upsert(Vec<BookMember>),
    /// End a case, which has no members any more.
    End(CaseId),
}

/// The cases near a batch of items and the items that can matter to their placement.
#[derive(Debug)]
pub struct CaseBook {
    rule: CaseRule,
    items: BTreeMap<WorkItemId, BookItem>,
    memberships: HashMap<WorkItemId, (CaseId, String)>,
    members: HashMap<CaseId, BTreeSet<WorkItemId>>,
    customers: HashMap<CaseId, String>,
    opened: i64,
    changes: Vec<Change>,
}

/// One change to the cases, as it happened.
#[derive(Debug)]
enum Change {
    Open(CaseId, String),
    Leave(WorkItemId),
    Join(BookMember),
    End(CaseId),
}

impl CaseBook {
    /// A book over `items` (every item a placement can see: the items to place, the items of
    /// their customers within the window of them, and every member of those items' cases),
    /// their stored `memberships`, and the customer of each case those name.
    pub fn new(
        rule: CaseRule,
        items: Vec<BookItem>,
        memberships: Vec<BookMember>,
        cases: Vec<(CaseId, String)>,
    ) -> Self {
        let mut book = Self {
            rule,
            items: items.into_iter().map(|item| (item.id, item)).collect(),
            memberships: HashMap::new(),
            members: HashMap::new(),
            customers: cases.into_iter().collect(),
            opened: 0,
            changes: Vec::new(),
        };
        for member in memberships {
            book.set_membership(member.item, member.case, member.evidence);
        }
        book
    }

    /// Places `item` in its case, or takes it out of the one it is in, from its applied links
    /// (the store's `place_in_case`, one item after another).
    pub fn place(&mut self, item: WorkItemId) {
        let Some(subject) = self.subject(item) else {
            return;
        };
        let candidates = match &subject.customer {
            Some(customer) => self.candidates(&subject, customer),
            None => Vec::new(),
        };
        let decision = decide(&subject, &candidates, &self.rule);
        if let Some((current, _)) = self.memberships.get(&item).cloned() {
            // Staying, or moving along with its case as that case merges.
            let stays = decision.as_ref().is_some_and(|decision| {
                decision.target == CaseTarget::Existing(current)
                    || decision.merged.contains(&current)
            });
            if !stays {
                self.leave(item);
                self.regroup(current);
            }
        }
        let Some(decision) = decision else {
            return;
        };
        let case = match decision.target {
            CaseTarget::Existing(case) => case,
            CaseTarget::New => self.open(decision.customer.clone()),
        };
        for merged in &decision.merged {
            self.merge(*merged, case);
        }
        for join in &decision.joins {
            self.join(join.item, case, join.reason.to_string());
        }
        // The item's links may have changed while it stayed: the case may not hold together
        // any more, and its evidence follows the members as they are now.
        self.regroup(case);
    }

    /// The writes that bring the stored cases where the placements left them, in order: a
    /// case is ended only after its members' moves are written, and cases are opened and ended
    /// in the order one-by-one placement would, so they get the same numbers.
    pub fn into_steps(self) -> Vec<CaseStep> {
        let mut steps = Vec::new();
        let mut pending = Pending::default();
        for change in self.changes {
            match change {
                Change::Open(provisional, customer) => steps.push(CaseStep::Open {
                    provisional,
                    customer,
                }),
                Change::Leave(item) => pending.leave(item),
                Change::Join(member) => pending.join(member),
                Change::End(case) => {
                    pending.flush_into(&mut steps);
                    steps.push(CaseStep::End(case));
                }
            }
        }
        pending.flush_into(&mut steps);
        steps
    }

    fn subject(&self, item: WorkItemId) -> Option<CaseSubject> {
        let found = self.items.get(&item)?;
        Some(CaseSubject {
            item,
            received_at: found.received_at,
            customer: found.customers.first().cloned(),
            orders: found.orders.clone(),
            noise: found.noise,
        })
    }

    /// The customer's other items within the window (noise, discarded and failed items left
    /// out), by id, once per link to the customer.
    fn candidates(&self, subject: &CaseSubject, customer: &str) -> Vec<CaseCandidate> {
        let window = self.rule.window();
        let (from, to) = (subject.received_at - window, subject.received_at + window);
        let mut candidates = Vec::new();
        // Whether a case is open is asked once per case, not once per member.
        let mut open: HashMap<CaseId, bool> = HashMap::new();
        for item in self.items.values() {
            let links = item.customers.iter().filter(|key| *key == customer).count();
            let eligible = links > 0
                && item.id != subject.item
                && !item.noise
                && !matches!(item.status, ItemStatus::Discarded | ItemStatus::Failed)
                && item.received_at >= from
                && item.received_at <= to;
            if !eligible {
                continue;
            }
            let case = self
                .memberships
                .get(&item.id)
                .map(|(case, _)| CandidateCase {
                    id: *case,
                    open: *open.entry(*case).or_insert_with(|| self.is_open(*case)),
                });
            candidates.extend((0..links).map(|_| CaseCandidate {
                item: item.id,
                received_at: item.received_at,
                orders: item.orders.clone(),
                case,
            }));
        }
        candidates
    }

    /// Whether a member of `case` is still work.
    fn is_open(&self, case: CaseId) -> bool {
        self.members.get(&case).is_some_and(|members| {
            members
                .iter()
                .filter_map(|member| self.items.get(member))
                .any(|member| member.status.is_open())
        })
    }

    fn open(&mut self, customer: String) -> CaseId {
        self.opened += 1;
        let case = CaseId::new(PROVISIONAL_BASE + self.opened);
        self.customers.insert(case, customer.clone());
        self.changes.push(Change::Open(case, customer));
        case
    }

    fn end(&mut self, case: CaseId) {
        debug_assert!(
            self.members.get(&case).is_none_or(BTreeSet::is_empty),
            "a case ends without members"
        );
        self.customers.remove(&case);
        self.members.remove(&case);
        self.changes.push(Change::End(case));
    }

    fn set_membership(&mut self, item: WorkItemId, case: CaseId, evidence: String) {
        if let Some((before, _)) = self.memberships.insert(item, (case, evidence))
            && let Some(members) = self.members.get_mut(&before)
        {
            members.remove(&item);
        }
        self.members.entry(case).or_default().insert(item);
    }

    fn join(&mut self, item: WorkItemId, case: CaseId, evidence: String) {
        self.set_membership(item, case, evidence.clone());
        self.changes.push(Change::Join(BookMember {
            item,
            case,
            evidence,
        }));
    }

    fn leave(&mut self, item: WorkItemId) {
        if let Some((case, _)) = self.memberships.remove(&item)
            && let Some(members) = self.members.get_mut(&case)
        {
            members.remove(&item);
        }
        self.changes.push(Change::Leave(item));
    }

    /// Moves the members of case `from` into case `into` and ends `from`.
    fn merge(&mut self, from: CaseId, into: CaseId) {
        debug_assert_ne!(from, into, "a case merges into another");
        let moving: Vec<WorkItemId> = self
            .members
            .get(&from)
            .map(|members| members.iter().copied().collect())
            .unwrap_or_default();
        for item in moving {
            let evidence = self
                .memberships
                .get(&item)
                .map(|(_, evidence)| evidence.clone())
                .unwrap_or_default();
            self.join(item, into, evidence);
        }
        self.end(from);
    }

    /// Examines the members of `case` again ([`regroup`]): members that no longer belong
    /// leave, a part that broke off becomes a new case, a case left with no group ends, and
    /// each member's evidence is brought up to date.
    fn regroup(&mut self, case: CaseId) {
        let Some(customer) = self.customers.get(&case).cloned() else {
            return;
        };
        let members: Vec<WorkItemId> = self
            .members
            .get(&case)
            .map(|members| members.iter().copied().collect())
            .unwrap_or_default();
        let stored: HashMap<WorkItemId, String> = members
            .iter()
            .filter_map(|member| {
                self.memberships
                    .get(member)
                    .map(|(_, evidence)| (*member, evidence.clone()))
            })
            .collect();
        // The store reads every member of the cases it names, so none is missing.
        let subjects: Vec<CaseSubject> = members
            .iter()
            .filter_map(|member| self.subject(*member))
            .collect();
        debug_assert_eq!(subjects.len(), members.len(), "every member is in the book");
        let regrouping = regroup(&customer, &subjects, &self.rule);
        for leaving in &regrouping.leaving {
            self.leave(*leaving);
        }
        if regrouping.groups.is_empty() {
            self.end(case);
            return;
        }
        for (position, group) in regrouping.groups.iter().enumerate() {
            let group_case = if position == 0 {
                case
            } else {
                self.open(customer.clone())
            };
            for join in group {
                let evidence = join.reason.to_string();
                let unchanged = group_case == case && stored.get(&join.item) == Some(&evidence);
                if !unchanged {
                    self.join(join.item, group_case, evidence);
                }
            }
        }
    }
}

/// Membership writes not yet handed out: per item, whether its stored row goes first and
/// where it ends up.
#[derive(Default)]
struct Pending {
    order: Vec<WorkItemId>,
    writes: HashMap<WorkItemId, (bool, Option<BookMember>)>,
}

impl Pending {
    fn entry(&mut self, item: WorkItemId) -> &mut (bool, Option<BookMember>) {
        if !self.writes.contains_key(&item) {
            self.order.push(item);
        }
        self.writes.entry(item).or_insert((false, None))
    }

    fn leave(&mut self, item: WorkItemId) {
        *self.entry(item) = (true, None);
    }

    fn join(&mut self, member: BookMember) {
        let item = member.item;
        self.entry(item).1 = Some(member);
    }

    fn flush_into(&mut self, steps: &mut Vec<CaseStep>) {
        let mut removed = Vec::new();
        let mut upserted = Vec::new();
        for item in self.order.drain(..) {
            if let Some((remove, member)) = self.writes.remove(&item) {
                if remove {
                    removed.push(item);
                }
                upserted.extend(member);
            }
        }
        if !removed.is_empty() {
            steps.push(CaseStep::Remove(removed));
        }
        if !upserted.is_empty() {
            steps.push(CaseStep::Upsert(upserted));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::test_support::{RULE, at, orders};

    const CUSTOMER: &str = "0000104321";

    fn item(id: i64, hours: i64, names: &[&str]) -> BookItem {
        BookItem {
            id: WorkItemId::new(id),
            received_at: at(hours),
            noise: false,
            status: ItemStatus::Queued,
            customers: vec![CUSTOMER.to_owned()],
            orders: orders(names),
        }
    }

    fn member(item: i64, case: i64, evidence: &str) -> BookMember {
        BookMember {
            item: WorkItemId::new(item),
            case: CaseId::new(case),
            evidence: evidence.to_owned(),
        }
    }

    fn provisional(opened: i64) -> CaseId {
        CaseId::new(PROVISIONAL_BASE + opened)
    }

    #[test]
    fn items_placed_in_one_batch_see_the_cases_the_earlier_ones_opened() {
        let mut book = CaseBook::new(
            RULE,
            vec![item(1, 0, &["A"]), item(2, 5, &["A"]), item(3, 10, &["A"])],
            Vec::new(),
            Vec::new(),
        );
        for id in [2, 3] {
            book.place(WorkItemId::new(id));
        }
        assert_eq!(
            book.into_steps(),
            vec![
                CaseStep::Open {
                    provisional: provisional(1),
                    customer: CUSTOMER.to_owned()
                },
                CaseStep::Upsert(vec![
                    member(2, PROVISIONAL_BASE + 1, "same order A"),
                    member(1, PROVISIONAL_BASE + 1, "same order A"),
                    member(3, PROVISIONAL_BASE + 1, "same order A"),
                ]),
            ],
            "item 3 joins the case item 2 opened with item 1; no case twice"
        );
    }

    #[test]
    fn a_merged_case_ends_only_after_its_members_moved() {
        let mut book = CaseBook::new(
            RULE,
            vec![
                item(1, 0, &["A"]),
                item(2, 1, &["A"]),
                item(3, 2, &["B"]),
                item(4, 3, &["B"]),
                item(5, 4, &["A", "B"]),
            ],
            vec![
                member(1, 7, "same order A"),
                member(2, 7, "same order A"),
                member(3, 8, "same order B"),
                member(4, 8, "same order B"),
            ],
            vec![
                (CaseId::new(7), CUSTOMER.to_owned()),
                (CaseId::new(8), CUSTOMER.to_owned()),
            ],
        );
        book.place(WorkItemId::new(5));
        assert_eq!(
            book.into_steps(),
            vec![
                CaseStep::Upsert(vec![
                    member(3, 7, "same order B"),
                    member(4, 7, "same order B"),
                ]),
                CaseStep::End(CaseId::new(8)),
                CaseStep::Upsert(vec![member(5, 7, "same orders A and B")]),
            ]
        );
    }

    #[test]
    fn an_item_that_left_and_came_back_is_written_anew() {
        let mut book = CaseBook::new(
            RULE,
            vec![item(1, 0, &["A"]), item(2, 1, &["A"])],
            vec![member(1, 7, "same order A"), member(2, 7, "same order A")],
            vec![(CaseId::new(7), CUSTOMER.to_owned())],
        );
        // Item 2 moved to another customer: it leaves, case 7 dissolves.
        if let Some(moved) = book.items.get_mut(&WorkItemId::new(2)) {
            moved.customers = vec!["0000999999".to_owned()];
        }
        book.place(WorkItemId::new(2));
        assert_eq!(
            book.into_steps(),
            vec![
                CaseStep::Remove(vec![WorkItemId::new(2), WorkItemId::new(1)]),
                CaseStep::End(CaseId::new(7)),
            ]
        );
    }
}
