//! Examining a case again when one of its members left or its links changed: the members that
//! still belong together by the rule stay, a chain broken in two becomes two cases, and the
//! rest leave.

use super::decide::shared_orders;
use super::{CaseJoin, CaseReason, CaseRule, CaseSubject};
use crate::ids::WorkItemId;

/// What becomes of a case's members.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Regrouping {
    /// The groups that are cases, each with its members (by received time) and why they
    /// belong. The first keeps the case; each other one is a new case.
    pub groups: Vec<Vec<CaseJoin>>,
    /// Members in no group: they leave the case.
    pub leaving: Vec<WorkItemId>,
}

/// Examines the members of a case of `customer` by the rule of [`super::decide`]: members no
/// longer linked to the customer, or noise, leave; the members with orders form chains of
/// items sharing an order within the window, and each chain of two or more is a group; a
/// member without orders stays with the one group that has a member within the window of it,
/// and leaves when there is none or more than one. The largest group (counting its loose
/// members) keeps the case, the one with the earliest member on a tie.
pub fn regroup(customer: &str, members: &[CaseSubject], rule: &CaseRule) -> Regrouping {
    let window = rule.window();
    let mut fitting: Vec<&CaseSubject> = members
        .iter()
        .filter(|member| !member.noise && member.customer.as_deref() == Some(customer))
        .collect();
    fitting.sort_by_key(|member| (member.received_at, member.item));
    let mut leaving: Vec<WorkItemId> = members
        .iter()
        .filter(|member| fitting.iter().all(|fits| fits.item != member.item))
        .map(|member| member.item)
        .collect();
    let near = |a: &CaseSubject, b: &CaseSubject| (a.received_at - b.received_at).abs() <= window;
    let linked = |a: &CaseSubject, b: &CaseSubject| {
        near(a, b) && !shared_orders(&a.orders, &b.orders).is_empty()
    };

    let (mut groups, singles): (Vec<Vec<usize>>, Vec<Vec<usize>>) = chains_of(&fitting, linked)
        .into_iter()
        .filter(|chain| chain.iter().all(|index| !fitting[*index].orders.is_empty()))
        .partition(|chain| chain.len() >= 2);
    leaving.extend(
        singles
            .into_iter()
            .flatten()
            .map(|single| fitting[single].item),
    );
    // Loose members are placed by the chains alone, never by each other.
    let chains = groups.clone();
    let loose = (0..fitting.len()).filter(|index| fitting[*index].orders.is_empty());
    for member in loose {
        let mut near_chains = chains.iter().enumerate().filter(|(_, chain)| {
            chain
                .iter()
                .any(|other| near(fitting[*other], fitting[member]))
        });
        match (near_chains.next(), near_chains.next()) {
            (Some((only, _)), None) => groups[only].push(member),
            _ => leaving.push(fitting[member].item),
        }
    }
    for group in &mut groups {
        // `fitting` is sorted by received time, so index order is received order.
        group.sort_unstable();
    }
    groups.sort_by_key(|group| (std::cmp::Reverse(group.len()), group.first().copied()));

    let same_customer = CaseReason::SameCustomer {
        window_hours: rule.window_hours,
    };
    let groups: Vec<Vec<CaseJoin>> = groups
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|index| {
                    let member = fitting[*index];
                    let reason = if member.orders.is_empty() {
                        same_customer.clone()
                    } else {
                        CaseReason::SameOrder(orders_shared_in(member, group, &fitting, &near))
                    };
                    CaseJoin {
                        item: member.item,
                        reason,
                    }
                })
                .collect()
        })
        .collect();
    debug_assert_eq!(
        groups.iter().map(Vec::len).sum::<usize>() + leaving.len(),
        members.len(),
        "every member stays in one group or leaves"
    );
    Regrouping { groups, leaving }
}

/// The chains of `members`: the sets connected by `linked` (as indexes into `members`).
fn chains_of(
    members: &[&CaseSubject],
    linked: impl Fn(&CaseSubject, &CaseSubject) -> bool,
) -> Vec<Vec<usize>> {
    let mut chain_of: Vec<usize> = (0..members.len()).collect();
    for first in 0..members.len() {
        for second in first + 1..members.len() {
            if linked(members[first], members[second]) {
                let (from, to) = (chain_of[second], chain_of[first]);
                for chain in &mut chain_of {
                    if *chain == from {
                        *chain = to;
                    }
                }
            }
        }
    }
    let mut chains: Vec<Vec<usize>> = Vec::new();
    for (member, chain) in chain_of.iter().enumerate() {
        match chains.iter_mut().find(|found| chain_of[found[0]] == *chain) {
            Some(found) => found.push(member),
            None => chains.push(vec![member]),
        }
    }
    chains
}

/// The orders `member` shares with another member of its group within the window.
fn orders_shared_in(
    member: &CaseSubject,
    group: &[usize],
    fitting: &[&CaseSubject],
    near: &impl Fn(&CaseSubject, &CaseSubject) -> bool,
) -> Vec<String> {
    member
        .orders
        .iter()
        .filter(|order| {
            group.iter().map(|index| fitting[*index]).any(|other| {
                other.item != member.item && near(member, other) && other.orders.contains(order)
            })
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::test_support::{RULE, at, orders};

    const CUSTOMER: &str = "0000104321";

    fn member(id: i64, hours: i64, names: &[&str]) -> CaseSubject {
        CaseSubject {
            item: WorkItemId::new(id),
            received_at: at(hours),
            customer: Some(CUSTOMER.into()),
            orders: orders(names),
            noise: false,
        }
    }

    fn shape(regrouping: &Regrouping) -> (Vec<Vec<(i64, String)>>, Vec<i64>) {
        let groups = regrouping
            .groups
            .iter()
            .map(|group| {
                group
                    .iter()
                    .map(|join| (join.item.get(), join.reason.to_string()))
                    .collect()
            })
            .collect();
        let mut leaving: Vec<i64> = regrouping.leaving.iter().map(|item| item.get()).collect();
        leaving.sort_unstable();
        (groups, leaving)
    }

    fn ids(regrouping: &Regrouping) -> (Vec<Vec<i64>>, Vec<i64>) {
        let (groups, leaving) = shape(regrouping);
        let groups = groups
            .into_iter()
            .map(|group| group.into_iter().map(|(id, _)| id).collect())
            .collect();
        (groups, leaving)
    }

    #[test]
    fn a_case_that_still_holds_together_stays_one_group() {
        let members = [
            member(1, 0, &["A"]),
            member(2, 10, &[]),
            member(3, 20, &["A"]),
        ];
        let regrouping = regroup(CUSTOMER, &members, &RULE);
        assert_eq!(
            shape(&regrouping),
            (
                vec![vec![
                    (1, "same order A".to_owned()),
                    (2, "same customer within 72 h".to_owned()),
                    (3, "same order A".to_owned()),
                ]],
                vec![]
            )
        );
    }

    #[test]
    fn a_chain_broken_in_two_becomes_two_groups_the_larger_first() {
        // 3 tied A and B together; it left. A's items and B's items are two matters again.
        let members = [
            member(1, 0, &["A"]),
            member(2, 5, &["A"]),
            member(4, 30, &["B"]),
            member(5, 40, &["B"]),
            member(6, 50, &["B"]),
        ];
        let regrouping = regroup(CUSTOMER, &members, &RULE);
        assert_eq!(ids(&regrouping), (vec![vec![4, 5, 6], vec![1, 2]], vec![]));
        // On a tie the group with the earliest member keeps the case.
        let tie = &members[..4];
        assert_eq!(
            ids(&regroup(CUSTOMER, tie, &RULE)),
            (vec![vec![1, 2], vec![4, 5]], vec![])
        );
    }

    #[test]
    fn members_left_sharing_no_order_leave_and_a_case_of_one_dissolves() {
        // 2 tied 1 (order A) and 3 (order B); without it nobody shares an order.
        let members = [member(1, 0, &["A"]), member(3, 20, &["B"])];
        assert_eq!(
            ids(&regroup(CUSTOMER, &members, &RULE)),
            (vec![], vec![1, 3])
        );
        // A loose member and one order member are no case either.
        let members = [member(1, 0, &["A"]), member(2, 5, &[])];
        assert_eq!(
            ids(&regroup(CUSTOMER, &members, &RULE)),
            (vec![], vec![1, 2])
        );
    }

    #[test]
    fn a_loose_member_stays_only_when_one_group_is_near_it() {
        let members = [
            member(1, 0, &["A"]),
            member(2, 5, &["A"]),
            member(3, 40, &[]),
            member(4, 60, &["B"]),
            member(5, 70, &["B"]),
            member(6, 140, &[]),
        ];
        // 3 is within the window of both groups: it could belong to either, so it leaves.
        // 6 is near B's items only (A's are 135 h away): it stays with them, and with it B's
        // group is the larger one that keeps the case.
        let regrouping = regroup(CUSTOMER, &members, &RULE);
        assert_eq!(ids(&regrouping), (vec![vec![4, 5, 6], vec![1, 2]], vec![3]));
    }

    #[test]
    fn sharing_an_order_outside_the_window_is_no_tie() {
        let members = [
            member(1, 0, &["A"]),
            member(2, 60, &["A"]),
            member(3, 130, &["A"]),
        ];
        // 1–2 and 2–3 are within 72 h, 1–3 is not: still one chain.
        assert_eq!(
            ids(&regroup(CUSTOMER, &members, &RULE)),
            (vec![vec![1, 2, 3]], vec![])
        );
        let without_the_link = [member(1, 0, &["A"]), member(3, 130, &["A"])];
        assert_eq!(
            ids(&regroup(CUSTOMER, &without_the_link, &RULE)),
            (vec![], vec![1, 3])
        );
    }

    #[test]
    fn members_of_another_customer_or_noise_leave() {
        let mut relinked = member(2, 5, &["A"]);
        relinked.customer = Some("0000999999".into());
        let mut noise = member(3, 6, &["A"]);
        noise.noise = true;
        let members = [member(1, 0, &["A"]), relinked, noise, member(4, 10, &["A"])];
        assert_eq!(
            ids(&regroup(CUSTOMER, &members, &RULE)),
            (vec![vec![1, 4]], vec![2, 3])
        );
    }

    #[test]
    fn the_evidence_names_every_order_a_member_shares_in_its_group() {
        let members = [
            member(1, 0, &["A", "B"]),
            member(2, 5, &["A"]),
            member(3, 10, &["B", "C"]),
        ];
        let (groups, _) = shape(&regroup(CUSTOMER, &members, &RULE));
        assert_eq!(
            groups,
            vec![vec![
                (1, "same orders A and B".to_owned()),
                (2, "same order A".to_owned()),
                (3, "same order B".to_owned()),
            ]]
        );
    }
}
