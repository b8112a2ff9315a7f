//! Thread inheritance: a reply is about what its thread is about, unless it says otherwise.

use switchboard_core::link::{LinkKind, NewLink};

/// Share of the parent's confidence a reply inherits.
const INHERITED: f64 = 0.95;

/// Adds the parent's applied customer and order links to a reply's own links when the reply
/// has no applied link of that kind, and its own customer (if any) agrees with the parent's.
/// Returns the reply's links, own links first.
pub fn inherit_from_parent(
    own: Vec<NewLink>,
    parent: &[NewLink],
    apply_threshold: f64,
) -> Vec<NewLink> {
    let applied_key = |links: &[NewLink], kind: LinkKind| {
        links
            .iter()
            .find(|link| link.applied && link.kind == kind)
            .map(|link| link.key.clone())
    };
    let own_customer = applied_key(&own, LinkKind::Customer);
    let parent_customer = applied_key(parent, LinkKind::Customer);
    let customers_agree = own_customer.is_none() || own_customer == parent_customer;
    if !customers_agree {
        return own;
    }
    let own_has_orders = own
        .iter()
        .any(|link| link.applied && link.kind == LinkKind::Order);
    let mut links = own;
    for parent_link in parent.iter().filter(|link| link.applied) {
        let wanted = match parent_link.kind {
            LinkKind::Customer => own_customer.is_none(),
            LinkKind::Order | LinkKind::Delivery => !own_has_orders,
        };
        if !wanted {
            continue;
        }
        let confidence = parent_link.confidence * INHERITED;
        let inherited = NewLink {
            confidence,
            applied: confidence >= apply_threshold,
            evidence: format!("earlier message in the thread: {}", parent_link.evidence),
            ..parent_link.clone()
        };
        links.retain(|link| !(link.kind == inherited.kind && link.key == inherited.key));
        links.push(inherited);
    }
    links
}

#[cfg(test)]
mod tests {
    use switchboard_core::link::LinkOrigin;

    use super::*;

    fn new_link(kind: LinkKind, key: &str, confidence: f64, applied: bool) -> NewLink {
        NewLink {
            kind,
            key: key.to_owned(),
            confidence,
            origin: LinkOrigin::Auto,
            applied,
            evidence: "x".to_owned(),
        }
    }

    #[test]
    fn reply_without_evidence_inherits() {
        let parent = [
            new_link(LinkKind::Customer, "1", 0.95, true),
            new_link(LinkKind::Order, "45", 0.97, true),
        ];
        let links = inherit_from_parent(Vec::new(), &parent, 0.8);
        assert_eq!(links.len(), 2);
        assert!(links.iter().all(|link| link.applied));
        assert!(links[0].evidence.starts_with("earlier message"));
    }

    #[test]
    fn reply_with_other_customer_keeps_its_own() {
        let parent = [new_link(LinkKind::Customer, "1", 0.95, true)];
        let own = vec![new_link(LinkKind::Customer, "2", 0.9, true)];
        let links = inherit_from_parent(own.clone(), &parent, 0.8);
        assert_eq!(links, own);
    }

    #[test]
    fn reply_with_own_order_keeps_it_and_gains_the_customer() {
        let parent = [
            new_link(LinkKind::Customer, "1", 0.95, true),
            new_link(LinkKind::Order, "45", 0.97, true),
        ];
        let own = vec![new_link(LinkKind::Order, "46", 0.97, true)];
        let links = inherit_from_parent(own, &parent, 0.8);
        let keys: Vec<&str> = links.iter().map(|link| link.key.as_str()).collect();
        assert_eq!(keys, vec!["46", "1"]);
    }
}
