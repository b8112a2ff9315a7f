//! Placing one item: the case it joins, the cases it ties together, and the loose items of the
//! customer that come along.

use super::{
    CandidateCase, CaseCandidate, CaseDecision, CaseJoin, CaseReason, CaseRule, CaseSubject,
    CaseTarget,
};
use crate::ids::CaseId;

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
        let target = only_open_case(&near)?;
        return Some(CaseDecision {
            target: CaseTarget::Existing(target),
            customer,
            merged: Vec::new(),
            joins: vec![CaseJoin {
                item: subject.item,
                reason: same_customer,
            }],
        });
    }
    let sharing: Vec<(&CaseCandidate, Vec<String>)> = near
        .iter()
        .map(|candidate| {
            (
                *candidate,
                shared_orders(&subject.orders, &candidate.orders),
            )
        })
        .filter(|(_, shared)| !shared.is_empty())
        .collect();
    if sharing.is_empty() {
        return None;
    }
    let subject_shares: Vec<String> = subject
        .orders
        .iter()
        .filter(|order| sharing.iter().any(|(_, shared)| shared.contains(order)))
        .cloned()
        .collect();
    let target = most_shared_case(&sharing);
    let mut merged: Vec<CaseId> = sharing
        .iter()
        .filter_map(|(candidate, _)| candidate.case.map(|case| case.id))
        .filter(|case| Some(*case) != target)
        .collect();
    merged.sort();
    merged.dedup();
    let mut joins = vec![CaseJoin {
        item: subject.item,
        reason: CaseReason::SameOrder(subject_shares),
    }];
    joins.extend(
        sharing
            .iter()
            .filter(|(candidate, _)| candidate.case.is_none())
            .map(|(candidate, shared)| CaseJoin {
                item: candidate.item,
                reason: CaseReason::SameOrder(shared.clone()),
            }),
    );
    let is_grouped = |case: &CandidateCase| Some(case.id) == target || merged.contains(&case.id);
    let another_open_case = near
        .iter()
        .filter_map(|candidate| candidate.case)
        .any(|case| case.open && !is_grouped(&case));
    if !another_open_case {
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
        target: target.map_or(CaseTarget::New, CaseTarget::Existing),
        customer,
        merged,
        joins,
    })
}

/// The orders of `these` that `those` names too, in the order of `these`.
pub(super) fn shared_orders(these: &[String], those: &[String]) -> Vec<String> {
    these
        .iter()
        .filter(|order| those.contains(order))
        .cloned()
        .collect()
}

/// The one open case among `near`; `None` when there is none or more than one.
fn only_open_case(near: &[&CaseCandidate]) -> Option<CaseId> {
    let mut open: Vec<CaseId> = near
        .iter()
        .filter_map(|candidate| candidate.case)
        .filter(|case| case.open)
        .map(|case| case.id)
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
fn most_shared_case(sharing: &[(&CaseCandidate, Vec<String>)]) -> Option<CaseId> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::test_support::{RULE, at, orders};
    use crate::ids::WorkItemId;

    fn subject(names: &[&str]) -> CaseSubject {
        CaseSubject {
            item: WorkItemId::new(100),
            received_at: at(0),
            customer: Some("0000104321".into()),
            orders: orders(names),
            noise: false,
        }
    }

    fn candidate(id: i64, hours: i64, names: &[&str], case: Option<(i64, bool)>) -> CaseCandidate {
        CaseCandidate {
            item: WorkItemId::new(id),
            received_at: at(hours),
            orders: orders(names),
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

    #[test]
    fn an_item_naming_orders_of_two_cases_merges_them_into_the_larger() {
        let candidates = [
            candidate(1, -30, &["A"], Some((9, true))),
            candidate(2, -20, &["B"], Some((8, true))),
            candidate(3, -10, &["B"], Some((8, true))),
            candidate(4, -5, &["C"], Some((7, true))),
        ];
        let decision = decide(&subject(&["A", "B"]), &candidates, &RULE).unwrap();
        assert_eq!(decision.target, CaseTarget::Existing(CaseId::new(8)));
        assert_eq!(
            decision.merged,
            vec![CaseId::new(9)],
            "case 7 (order C) stays apart"
        );
        assert_eq!(
            joined(&decision),
            vec![(100, "same orders A and B".to_owned())],
            "members of merged cases keep their evidence; only loose sharers join one by one"
        );
    }

    #[test]
    fn merging_takes_the_merged_cases_out_of_the_way_of_loose_items() {
        // Once cases 8 and 9 are one, the customer has one open case near: loose items come.
        let candidates = [
            candidate(1, -30, &["A"], Some((9, true))),
            candidate(2, -20, &["B"], Some((8, true))),
            candidate(3, -10, &[], None),
        ];
        let decision = decide(&subject(&["A", "B"]), &candidates, &RULE).unwrap();
        assert_eq!(decision.merged, vec![CaseId::new(9)]);
        assert_eq!(
            joined(&decision),
            vec![
                (100, "same orders A and B".to_owned()),
                (3, "same customer within 72 h".to_owned())
            ]
        );
        // A third open case (order C) keeps the loose item out: it could belong to either.
        let with_another = [
            candidate(1, -30, &["A"], Some((9, true))),
            candidate(2, -20, &["B"], Some((8, true))),
            candidate(3, -10, &[], None),
            candidate(4, -5, &["C"], Some((7, true))),
        ];
        let decision = decide(&subject(&["A", "B"]), &with_another, &RULE).unwrap();
        assert_eq!(
            joined(&decision).iter().map(|j| j.0).collect::<Vec<_>>(),
            vec![100]
        );
    }

    #[test]
    fn a_customer_only_item_never_merges_cases() {
        let candidates = [
            candidate(1, -30, &["A"], Some((9, true))),
            candidate(2, -20, &["B"], Some((8, true))),
        ];
        assert_eq!(decide(&subject(&[]), &candidates, &RULE), None);
    }
}
