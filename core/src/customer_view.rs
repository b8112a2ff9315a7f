//! The customer panel of the item view: the customer an item is linked to, their open orders
//! and the orders the item names, each with its lines and deliveries, picked from what the
//! store read for the item (no I/O here).

use crate::link::{Link, LinkKind};
use crate::master::{Customer, Delivery, Order};

/// Order statuses that still need the customer service's attention.
pub const OPEN_ORDER_STATUSES: [&str; 3] = ["open", "confirmed", "in_delivery"];

/// Most open orders the panel lists.
pub const OPEN_ORDERS_SHOWN: u32 = 20;

/// An order with its deliveries, as the panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderView {
    /// The order with its lines.
    pub order: Order,
    /// Its deliveries.
    pub deliveries: Vec<Delivery>,
    /// Whether the item is linked to this order (else it is one of the customer's open orders).
    pub linked: bool,
}

/// The customer panel.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerPanel {
    /// The linked customer with contacts, if any.
    pub customer: Option<Customer>,
    /// Linked orders first, then the customer's other open orders.
    pub orders: Vec<OrderView>,
}

/// An order with its lines and deliveries, as the store reads it for the panel.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderWithDeliveries {
    /// The order with its lines.
    pub order: Order,
    /// Its deliveries, by expected date.
    pub deliveries: Vec<Delivery>,
}

/// A customer the panel may show, with their orders in [`OPEN_ORDER_STATUSES`] (newest first,
/// at most [`OPEN_ORDERS_SHOWN`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerWithOrders {
    /// The customer with contacts.
    pub customer: Customer,
    /// Their open orders.
    pub open_orders: Vec<OrderWithDeliveries>,
}

/// What the store reads for the panel of an item, before the panel picks from it: the orders
/// of the item's applied order links (in link order), and every customer the item's customer
/// links or those orders name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PanelSources {
    /// The orders of the applied order links that exist, in link order.
    pub linked_orders: Vec<OrderWithDeliveries>,
    /// The customers named by any customer link or by a linked order, that exist.
    pub customers: Vec<CustomerWithOrders>,
}

/// The customer and order an item's links point at: the applied customer link, else the most
/// confident suggestion; the applied order links.
fn linked_keys(links: &[Link]) -> (Option<&str>, Vec<&str>) {
    let customer = links
        .iter()
        .filter(|link| link.kind == LinkKind::Customer)
        .max_by(|a, b| {
            (a.applied, a.confidence)
                .partial_cmp(&(b.applied, b.confidence))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .map(|link| link.key.as_str());
    let orders = links
        .iter()
        .filter(|link| link.kind == LinkKind::Order && link.applied)
        .map(|link| link.key.as_str())
        .collect();
    (customer, orders)
}

fn view_of(source: &OrderWithDeliveries, linked: bool) -> OrderView {
    OrderView {
        order: source.order.clone(),
        deliveries: source.deliveries.clone(),
        linked,
    }
}

/// Builds the customer panel of an item from its links and what the store read for them: the
/// linked orders first, then, when the customer exists, their other open orders.
pub fn customer_panel(links: &[Link], sources: &PanelSources) -> CustomerPanel {
    let (customer_no, linked_orders) = linked_keys(links);
    let mut orders: Vec<OrderView> = linked_orders
        .iter()
        .filter_map(|order_no| {
            sources
                .linked_orders
                .iter()
                .find(|source| source.order.order_no.as_str() == *order_no)
        })
        .map(|source| view_of(source, true))
        .collect();
    let customer_no = customer_no.map(str::to_owned).or_else(|| {
        orders
            .first()
            .map(|view| view.order.customer_no.as_str().to_owned())
    });
    let customer = customer_no.and_then(|customer_no| {
        sources
            .customers
            .iter()
            .find(|source| source.customer.customer_no.as_str() == customer_no)
    });
    if let Some(customer) = customer {
        for open in &customer.open_orders {
            if !orders
                .iter()
                .any(|shown| shown.order.order_no == open.order.order_no)
            {
                orders.push(view_of(open, false));
            }
        }
    }
    CustomerPanel {
        customer: customer.map(|source| source.customer.clone()),
        orders,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{LinkId, WorkItemId};
    use crate::link::LinkOrigin;

    fn link(kind: LinkKind, key: &str, confidence: f64, applied: bool) -> Link {
        Link {
            id: LinkId::new(1),
            item_id: WorkItemId::new(1),
            kind,
            key: key.into(),
            confidence,
            origin: LinkOrigin::Auto,
            applied,
            evidence: String::new(),
        }
    }

    #[test]
    fn the_applied_customer_wins_over_a_more_confident_suggestion() {
        let links = [
            link(LinkKind::Customer, "100", 0.6, true),
            link(LinkKind::Customer, "200", 0.9, false),
            link(LinkKind::Order, "O-1", 0.9, true),
            link(LinkKind::Order, "O-2", 0.4, false),
        ];
        assert_eq!(linked_keys(&links), (Some("100"), vec!["O-1"]));
        let suggestions = [link(LinkKind::Customer, "200", 0.5, false)];
        assert_eq!(linked_keys(&suggestions), (Some("200"), vec![]));
        assert_eq!(linked_keys(&[]), (None, vec![]));
    }

    fn order(order_no: &str, customer_no: &str) -> OrderWithDeliveries {
        OrderWithDeliveries {
            order: Order {
                order_no: crate::ids::OrderNo::new(order_no),
                customer_no: crate::ids::CustomerNo::new(customer_no),
                order_date: None,
                requested_delivery: None,
                status: "open".into(),
                customer_po: None,
                order_channel: None,
                currency: None,
                net_value_cents: None,
                lines: Vec::new(),
            },
            deliveries: Vec::new(),
        }
    }

    fn customer(customer_no: &str, open: &[&str]) -> CustomerWithOrders {
        CustomerWithOrders {
            customer: Customer {
                customer_no: crate::ids::CustomerNo::new(customer_no),
                name: format!("customer {customer_no}"),
                customer_type: None,
                segment: None,
                language: None,
                country: None,
                street: None,
                house_number: None,
                postcode: None,
                city: None,
                phone: None,
                fax: None,
                email_general: None,
                email_invoice: None,
                website: None,
                account_manager: None,
                product_lines: Vec::new(),
                contacts: Vec::new(),
            },
            open_orders: open.iter().map(|no| order(no, customer_no)).collect(),
        }
    }

    fn shown(panel: &CustomerPanel) -> (Option<&str>, Vec<(&str, bool)>) {
        (
            panel
                .customer
                .as_ref()
                .map(|customer| customer.customer_no.as_str()),
            panel
                .orders
                .iter()
                .map(|view| (view.order.order_no.as_str(), view.linked))
                .collect(),
        )
    }

    #[test]
    fn the_panel_shows_linked_orders_then_the_customers_other_open_orders() {
        let sources = PanelSources {
            linked_orders: vec![order("O-1", "100")],
            customers: vec![customer("100", &["O-2", "O-1"]), customer("200", &["O-9"])],
        };
        let links = [
            link(LinkKind::Customer, "100", 0.6, true),
            link(LinkKind::Customer, "200", 0.9, false),
            link(LinkKind::Order, "O-1", 0.9, true),
        ];
        assert_eq!(
            shown(&customer_panel(&links, &sources)),
            (Some("100"), vec![("O-1", true), ("O-2", false)])
        );
        // No customer link: the linked order's customer.
        let order_only = [link(LinkKind::Order, "O-1", 0.9, true)];
        assert_eq!(
            shown(&customer_panel(&order_only, &sources)),
            (Some("100"), vec![("O-1", true), ("O-2", false)])
        );
        // A customer that does not exist: the linked orders only.
        let unknown = [
            link(LinkKind::Customer, "300", 0.9, true),
            link(LinkKind::Order, "O-1", 0.9, true),
        ];
        assert_eq!(
            shown(&customer_panel(&unknown, &sources)),
            (None, vec![("O-1", true)])
        );
        assert_eq!(customer_panel(&[], &sources), CustomerPanel::default());
    }
}
