//! The customer panel of the item view: the customer an item is linked to, their open orders
//! and the orders the item names, each with its lines and deliveries.

use async_trait::async_trait;

use crate::error::CoreResult;
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

/// Reads what the customer panel needs beyond single customers and orders.
#[async_trait]
pub trait CustomerViewStore: Send + Sync {
    /// A customer's orders in [`OPEN_ORDER_STATUSES`], newest first, at most `limit`, with lines.
    async fn open_orders(&self, customer_no: &str, limit: u32) -> CoreResult<Vec<Order>>;

    /// The deliveries of the orders `order_nos`, by order, then expected date.
    async fn deliveries_of(&self, order_nos: &[&str]) -> CoreResult<Vec<Delivery>>;
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

/// Builds the customer panel of an item from its links.
pub async fn customer_panel(
    store: &dyn crate::store::Store,
    links: &[Link],
) -> CoreResult<CustomerPanel> {
    let (customer_no, linked_orders) = linked_keys(links);
    let mut orders = Vec::new();
    for order_no in &linked_orders {
        if let Some(order) = store.order(order_no).await? {
            orders.push((order, true));
        }
    }
    let customer_no = customer_no.map(str::to_owned).or_else(|| {
        orders
            .first()
            .map(|(order, _)| order.customer_no.as_str().to_owned())
    });
    let (customer, open) = match &customer_no {
        Some(customer_no) => {
            futures_util::future::try_join(
                store.customer(customer_no),
                store.open_orders(customer_no, OPEN_ORDERS_SHOWN),
            )
            .await?
        }
        None => (None, Vec::new()),
    };
    if customer.is_some() {
        for order in open {
            if !orders
                .iter()
                .any(|(shown, _)| shown.order_no == order.order_no)
            {
                orders.push((order, false));
            }
        }
    }
    let order_nos: Vec<&str> = orders
        .iter()
        .map(|(order, _)| order.order_no.as_str())
        .collect();
    let deliveries = store.deliveries_of(&order_nos).await?;
    let views = orders
        .into_iter()
        .map(|(order, linked)| OrderView {
            deliveries: deliveries
                .iter()
                .filter(|delivery| delivery.order_no == order.order_no)
                .cloned()
                .collect(),
            order,
            linked,
        })
        .collect();
    Ok(CustomerPanel {
        customer,
        orders: views,
    })
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
}
