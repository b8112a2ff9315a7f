//! Items with applied customer and order links, stored directly (no pipeline), for the tests of
//! cases and of the related-items view.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use switchboard_core::WorkItemId;
use switchboard_core::item::{Channel, ItemStatus, NewItem};
use switchboard_core::link::{LinkKind, LinkOrigin, NewLink};
use switchboard_core::master::MasterData;
use switchboard_core::store::{ItemPlacement, Store};

/// A customer with two orders, and another customer: (customer, order, other order, other
/// customer).
pub fn customer_with_two_orders(master: &MasterData) -> (String, String, String, String) {
    let orders_of = |customer_no: &str| -> Vec<String> {
        master
            .orders
            .iter()
            .filter(|order| order.customer_no.as_str() == customer_no)
            .map(|order| order.order_no.as_str().to_owned())
            .collect()
    };
    let (customer, orders) = master
        .customers
        .iter()
        .map(|customer| customer.customer_no.as_str())
        .map(|customer| (customer, orders_of(customer)))
        .find(|(_, orders)| orders.len() >= 2)
        .unwrap_or_else(|| panic!("no customer has two orders"));
    (
        customer.to_owned(),
        orders[0].clone(),
        orders[1].clone(),
        another_customer(master, customer),
    )
}

/// A customer other than `customer`.
pub fn another_customer(master: &MasterData, customer: &str) -> String {
    master
        .customers
        .iter()
        .map(|other| other.customer_no.as_str())
        .find(|other| *other != customer)
        .unwrap_or_else(|| panic!("only one customer"))
        .to_owned()
}

/// An automatic link the linker applied.
pub fn applied_link(kind: LinkKind, key: &str) -> NewLink {
    NewLink {
        kind,
        key: key.into(),
        confidence: 0.95,
        origin: LinkOrigin::Auto,
        applied: true,
        evidence: format!("{kind} {key} in the text"),
    }
}

/// Stores queued items received a number of hours after a start.
pub struct ItemsFrom<'a> {
    store: &'a Arc<dyn Store>,
    start: DateTime<Utc>,
}

impl<'a> ItemsFrom<'a> {
    /// Items of `store` counted in hours from `start`.
    pub fn new(store: &'a Arc<dyn Store>, start: DateTime<Utc>) -> Self {
        Self { store, start }
    }

    /// A queued item of `channel` received `hours` after the start, with applied links to
    /// `customer` and `orders`.
    pub async fn item(
        &self,
        channel: Channel,
        hours: i64,
        customer: Option<&str>,
        orders: &[&str],
    ) -> WorkItemId {
        let at = self.start + Duration::hours(hours);
        let item = NewItem::new(channel, format!("{channel}-{at}"), at, "about my order");
        let links = customer
            .map(|customer| applied_link(LinkKind::Customer, customer))
            .into_iter()
            .chain(
                orders
                    .iter()
                    .map(|order| applied_link(LinkKind::Order, order)),
            )
            .collect();
        let placement = ItemPlacement {
            status: ItemStatus::Queued,
            queue: Some("inbox".into()),
            priority: 20,
            links,
            ..ItemPlacement::default()
        };
        self.store
            .insert_item(&item, &placement)
            .await
            .unwrap_or_else(|error| panic!("cannot store the {channel} item: {error}"))
    }
}
