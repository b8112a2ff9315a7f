//! Decides links from collected evidence: picks the customer, accepts typing errors only when
//! they agree with that customer, lowers confidence on conflicts, and words the evidence.

use switchboard_core::link::{LinkKind, LinkOrigin, NewLink};

use super::config::LinkingConfig;
use super::digits::one_keystroke_away;
use super::evidence::Tally;
use super::score::Collected;
use super::snapshot::MasterSnapshot;

/// Strength of an order number one keystroke off an order of the customer found otherwise.
const TYPO_FOR_ORDER: f64 = 0.88;
/// Strength of a weak reference once the customer agrees.
const AGREEING_REFERENCE: f64 = 0.85;
/// Identity evidence at least this strong anchors typo correction.
const ANCHOR: f64 = 0.6;
/// How much an order of another customer lowers a customer identified by the sender.
const DOCUMENT_CONFLICT: f64 = 0.1;
/// How much a rival customer lowers the best one when no identity evidence decides.
const RIVAL_CONFLICT: f64 = 0.5;
/// How much a conflict with the chosen customer lowers an order.
const ORDER_CONFLICT: f64 = 0.5;

/// The chosen customer and how sure the linker is.
struct Choice {
    customer: Option<usize>,
    confidence: f64,
    customers: Tally<usize>,
}

fn name(snapshot: &MasterSnapshot, customer: usize) -> &str {
    snapshot.customer(customer).map_or("?", |c| c.name.as_str())
}

/// Returns the customer that identity evidence (sender, numbers, names) points at clearly.
fn anchor(identity: &Tally<usize>) -> Option<(usize, f64)> {
    let ranked = identity.ranked();
    let (customer, confidence) = *ranked.first()?;
    let rival = identity.rival_confidence(&customer);
    (confidence >= ANCHOR && rival < confidence * 0.6).then_some((customer, confidence))
}

/// Adds orders one keystroke off the written numbers when they belong to the anchor customer,
/// and marks written orders of other customers that have such a neighbour as superseded.
fn correct_typos(
    snapshot: &MasterSnapshot,
    collected: &mut Collected,
    customer: usize,
) -> Vec<String> {
    let mut superseded = Vec::new();
    let mut written: Vec<(String, String)> = collected
        .unknown_order_numbers
        .iter()
        .map(|found| (found.value.clone(), found.place.words().to_owned()))
        .collect();
    let conflicting: Vec<String> = collected
        .written_orders
        .iter()
        .filter(|order| {
            snapshot
                .order_customer(order)
                .is_some_and(|owner| owner != customer)
        })
        .cloned()
        .collect();
    written.extend(
        conflicting
            .iter()
            .map(|order| (order.clone(), "in the item".to_owned())),
    );
    for (number, place) in written {
        let neighbours: Vec<String> = one_keystroke_away(&number)
            .into_iter()
            .filter(|variant| snapshot.order_customer(variant) == Some(customer))
            .collect();
        if neighbours.len() != 1 {
            continue;
        }
        let intended = &neighbours[0];
        let words = format!(
            "order {number} {place} is one keystroke off {intended}, an order of {}",
            name(snapshot, customer)
        );
        collected
            .orders
            .add(intended.clone(), TYPO_FOR_ORDER, "typo", words.clone());
        collected
            .documents
            .add(customer, TYPO_FOR_ORDER, format!("order:{intended}"), words);
        if conflicting.contains(&number) {
            superseded.push(number);
        }
    }
    superseded
}

fn choose_customer(collected: &Collected, apply_threshold: f64) -> Choice {
    let mut customers = collected.identity.clone();
    customers.merge(&collected.documents);
    let identity = collected.identity.ranked();
    if let Some(&(customer, confidence)) = identity.first()
        && confidence >= apply_threshold
        && collected.identity.rival_confidence(&customer) < 0.5
    {
        let other_documents = collected
            .documents
            .ranked()
            .into_iter()
            .filter(|(other, _)| *other != customer)
            .map(|(_, c)| c)
            .fold(0.0, f64::max);
        let confidence =
            customers.confidence(&customer) * (1.0 - DOCUMENT_CONFLICT * other_documents);
        return Choice {
            customer: Some(customer),
            confidence,
            customers,
        };
    }
    let ranked = customers.ranked();
    let Some(&(customer, confidence)) = ranked.first() else {
        return Choice {
            customer: None,
            confidence: 0.0,
            customers,
        };
    };
    let rival = customers.rival_confidence(&customer);
    Choice {
        customer: Some(customer),
        confidence: confidence * (1.0 - RIVAL_CONFLICT * rival),
        customers,
    }
}

fn link(
    kind: LinkKind,
    key: &str,
    confidence: f64,
    config: &LinkingConfig,
    evidence: String,
) -> NewLink {
    let confidence = (confidence.clamp(0.0, 1.0) * 1000.0).round() / 1000.0;
    NewLink {
        kind,
        key: key.to_owned(),
        confidence,
        origin: LinkOrigin::Auto,
        applied: confidence >= config.apply_threshold,
        evidence,
    }
}

/// Turns collected evidence into links: the customer first, then orders, then deliveries.
pub fn decide(
    snapshot: &MasterSnapshot,
    config: &LinkingConfig,
    mut collected: Collected,
) -> Vec<NewLink> {
    let superseded = match anchor(&collected.identity) {
        Some((customer, _)) => correct_typos(snapshot, &mut collected, customer),
        None => Vec::new(),
    };
    let choice = choose_customer(&collected, config.apply_threshold);
    let mut links = Vec::new();
    for (customer, confidence) in choice.customers.ranked() {
        let confidence = if Some(customer) == choice.customer {
            choice.confidence
        } else {
            confidence * 0.5
        };
        if confidence < config.suggest_threshold {
            continue;
        }
        let Some(customer_no) = snapshot.customer_no(customer) else {
            continue;
        };
        let evidence = choice.customers.words(&customer);
        links.push(link(
            LinkKind::Customer,
            customer_no.as_str(),
            confidence,
            config,
            evidence,
        ));
    }
    // Only one customer link can be applied.
    let mut applied_customer = false;
    for customer_link in links.iter_mut() {
        customer_link.applied &= !applied_customer;
        applied_customer |= customer_link.applied;
    }
    let chosen = choice.customer.filter(|_| applied_customer);
    for (order, mut confidence) in collected.orders.ranked() {
        let owner = snapshot.order_customer(&order);
        let mut evidence = collected.orders.words(&order);
        let agrees = chosen.is_some() && owner == chosen;
        if collected.weak_orders.contains(&order) && confidence < AGREEING_REFERENCE {
            if !agrees {
                continue;
            }
            confidence = AGREEING_REFERENCE;
            evidence.push_str("; the reference agrees with the customer");
        }
        if let (Some(chosen), Some(owner)) = (chosen, owner)
            && chosen != owner
        {
            confidence *= ORDER_CONFLICT;
            evidence.push_str(&format!(
                "; but it is an order of {}, not of {}",
                name(snapshot, owner),
                name(snapshot, chosen)
            ));
        }
        if superseded.contains(&order) {
            confidence = confidence.min(config.suggest_threshold);
        }
        if confidence >= config.suggest_threshold {
            links.push(link(LinkKind::Order, &order, confidence, config, evidence));
        }
    }
    for (delivery, confidence) in collected.deliveries.ranked() {
        let owner = snapshot
            .order_by_delivery(&delivery)
            .and_then(|order| snapshot.order_customer(order));
        let conflict = chosen.is_some() && owner.is_some() && owner != chosen;
        let confidence = if conflict {
            confidence * ORDER_CONFLICT
        } else {
            confidence
        };
        if confidence >= config.suggest_threshold {
            let evidence = collected.deliveries.words(&delivery);
            links.push(link(
                LinkKind::Delivery,
                &delivery,
                confidence,
                config,
                evidence,
            ));
        }
    }
    links
}
