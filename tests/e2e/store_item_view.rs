//! The item page's one-statement read on SQLite and PostgreSQL returns what the single reads
//! return: the item with its queue, owner, links, attachments and routing history (as the
//! API's item), its case and customer timeline (as `GET /items/{id}/related`), the replies
//! sent (as the outbox listing), and a customer panel with the customer, the linked order and
//! the customer's open orders, each with its lines and deliveries (as the master data holds
//! them).

use std::sync::Arc;

use chrono::{Duration, Utc};
use switchboard_core::WorkItemId;
use switchboard_core::case::related;
use switchboard_core::customer_view::{
    CustomerPanel, OPEN_ORDER_STATUSES, OPEN_ORDERS_SHOWN, OrderView,
};
use switchboard_core::item::{Channel, ItemStatus, NewAttachment, NewItem, NoiseKind};
use switchboard_core::item_view::read_item_view;
use switchboard_core::link::{LinkKind, LinkOrigin, NewLink};
use switchboard_core::master::{MasterData, Order};
use switchboard_core::outbox::{NewOutbound, OutboundKind};
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::work::item_detail;
use switchboard_tests::linked_items::{ItemsFrom, another_customer, applied_link};
use switchboard_tests::{import_master, stores};

use crate::store_links::lead;
use crate::store_routing::{agent, assign_now};

/// A customer with an open order that has a delivery, and another order; every order of the
/// customer has a date and every delivery an expected date, so both databases order them
/// alike. Returns (customer, delivered open order, other order, another customer).
fn customer_with_open_delivered_order(master: &MasterData) -> (String, String, String, String) {
    let orders_of = |customer: &str| -> Vec<&Order> {
        master
            .orders
            .iter()
            .filter(|order| order.customer_no.as_str() == customer)
            .collect()
    };
    let deliveries_of = |order: &Order| -> Vec<&switchboard_core::master::Delivery> {
        master
            .deliveries
            .iter()
            .filter(|delivery| delivery.order_no == order.order_no)
            .collect()
    };
    let dated = |orders: &[&Order]| {
        orders.iter().all(|order| {
            order.order_date.is_some()
                && deliveries_of(order)
                    .iter()
                    .all(|delivery| delivery.expected_date.is_some())
        })
    };
    let (customer, delivered, other) = master
        .customers
        .iter()
        .map(|customer| customer.customer_no.as_str())
        .find_map(|customer| {
            let orders = orders_of(customer);
            let delivered = orders.iter().find(|order| {
                OPEN_ORDER_STATUSES.contains(&order.status.as_str())
                    && !order.lines.is_empty()
                    && !deliveries_of(order).is_empty()
            })?;
            let other = orders
                .iter()
                .find(|order| order.order_no != delivered.order_no)?;
            dated(&orders).then_some((customer, *delivered, *other))
        })
        .unwrap_or_else(|| panic!("no customer has an open order with a delivery"));
    (
        customer.to_owned(),
        delivered.order_no.as_str().to_owned(),
        other.order_no.as_str().to_owned(),
        another_customer(master, customer),
    )
}

/// The panel as the master data says it should be: the linked order, then the customer's
/// other open orders (newest first, at most the panel's limit), with deliveries by expected
/// date.
async fn expected_panel(
    store: &Arc<dyn Store>,
    master: &MasterData,
    customer: &str,
    linked: &str,
) -> CustomerPanel {
    let view = |order: Order, linked: bool| {
        let mut deliveries: Vec<_> = master
            .deliveries
            .iter()
            .filter(|delivery| delivery.order_no == order.order_no)
            .cloned()
            .collect();
        deliveries.sort_by(|a, b| {
            (a.expected_date, a.delivery_no.as_str())
                .cmp(&(b.expected_date, b.delivery_no.as_str()))
        });
        OrderView {
            order,
            deliveries,
            linked,
        }
    };
    let mut open: Vec<Order> = master
        .orders
        .iter()
        .filter(|order| {
            order.customer_no.as_str() == customer
                && OPEN_ORDER_STATUSES.contains(&order.status.as_str())
        })
        .cloned()
        .collect();
    open.sort_by(|a, b| {
        (b.order_date, b.order_no.as_str()).cmp(&(a.order_date, a.order_no.as_str()))
    });
    open.truncate(OPEN_ORDERS_SHOWN as usize);
    let linked_order = store.order(linked).await.unwrap().unwrap();
    let mut orders = vec![view(linked_order, true)];
    orders.extend(
        open.into_iter()
            .filter(|order| order.order_no.as_str() != linked)
            .map(|order| view(order, false)),
    );
    CustomerPanel {
        customer: store.customer(customer).await.unwrap(),
        orders,
    }
}

/// A fax with two page images, linked to `customer` and `order`, with a suggestion of
/// `suggested` at a confidence no short decimal writes exactly.
async fn fax_with_pages(
    store: &Arc<dyn Store>,
    at: chrono::DateTime<Utc>,
    customer: &str,
    order: &str,
    suggested: &str,
) -> WorkItemId {
    let mut fax = NewItem::new(Channel::Fax, "fax-view.pdf", at, "Bestelling klopt niet");
    fax.subject = Some("Fax van de salon".into());
    fax.attachments = ["page-1.png", "page-2.png"]
        .into_iter()
        .map(|name| NewAttachment {
            file_name: name.into(),
            declared_type: Some("image/png".into()),
            sniffed_type: Some("image/png".into()),
            content: name.as_bytes().to_vec(),
        })
        .collect();
    let suggestion = NewLink {
        kind: LinkKind::Customer,
        key: suggested.into(),
        confidence: 1.0 / 3.0,
        origin: LinkOrigin::Auto,
        applied: false,
        evidence: "same street".into(),
    };
    let placement = ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some("inbox".into()),
        priority: 20,
        links: vec![
            applied_link(LinkKind::Customer, customer),
            applied_link(LinkKind::Order, order),
            suggestion,
        ],
        ..ItemPlacement::default()
    };
    store.insert_item(&fax, &placement).await.unwrap()
}

#[tokio::test]
async fn the_item_view_reads_in_one_statement_what_the_single_reads_return() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        import_master(&store).await;
        let master = store.master_data().await.unwrap();
        let (customer, order, other_order, another) = customer_with_open_delivered_order(&master);
        let start = Utc::now() - Duration::days(10);
        let items = ItemsFrom::new(&store, start);
        let c = Some(customer.as_str());
        let email = items.item(Channel::Email, 0, c, &[&order]).await;
        let voicemail = items.item(Channel::Voicemail, 5, c, &[]).await;
        let letter = items.item(Channel::Letter, 7, c, &[&other_order]).await;
        // The customer's newest item is noise: never on the timeline.
        let mut auto_reply = NewItem::new(
            Channel::Email,
            "auto-reply",
            start + Duration::hours(9),
            "Out of office",
        );
        auto_reply.noise = Some(NoiseKind::AutoReply);
        let discarded = ItemPlacement {
            status: ItemStatus::Discarded,
            links: vec![applied_link(LinkKind::Customer, &customer)],
            ..ItemPlacement::default()
        };
        store.insert_item(&auto_reply, &discarded).await.unwrap();
        let fax = fax_with_pages(
            &store,
            start + Duration::hours(3),
            &customer,
            &order,
            &another,
        )
        .await;
        assign_now(&store, fax, agent(&store, "ann").await).await;
        let reply = NewOutbound {
            item: fax,
            kind: OutboundKind::Reply,
            message_id: format!("sb.view.{label}@velora.example.nl"),
            mail_from: "klantenservice@velora.example.nl".into(),
            recipients: vec!["anna@salon.example.nl".into()],
            subject: "Re: bestelling".into(),
            body: "We kijken ernaar.".into(),
            raw: b"Subject: Re: bestelling\r\n\r\nWe kijken ernaar.\r\n".to_vec(),
        };
        store
            .queue_reply(&reply, &lead(), Utc::now())
            .await
            .unwrap();

        let view = read_item_view(store.as_ref(), fax).await.unwrap().unwrap();

        let mut detail = item_detail(store.as_ref(), fax).await.unwrap().unwrap();
        detail.notes.clear();
        detail.thread = Default::default();
        assert_eq!(view.detail, detail, "{label}: the item as the API reads it");
        assert_eq!(view.detail.attachments.len(), 2, "{label}");
        assert_eq!(
            view.detail
                .assigned_agent
                .as_ref()
                .map(|login| login.as_str()),
            Some("ann")
        );
        assert_eq!(view.detail.links.len(), 3, "{label}");
        assert_eq!(
            view.detail.links[2].confidence,
            1.0 / 3.0,
            "{label}: exactly"
        );

        let expected_related = related(store.as_ref(), fax).await.unwrap().unwrap();
        assert_eq!(view.related, expected_related, "{label}: case and timeline");
        let members: Vec<WorkItemId> = view
            .related
            .case
            .as_ref()
            .unwrap()
            .members
            .iter()
            .map(|m| m.item)
            .collect();
        assert_eq!(members, vec![email, fax, voicemail], "{label}");
        let timeline: Vec<WorkItemId> = view
            .related
            .timeline
            .iter()
            .map(|entry| entry.item)
            .collect();
        assert_eq!(
            timeline,
            vec![letter, voicemail, email],
            "{label}: newest first"
        );

        let outbound = store.outbound_of(fax).await.unwrap();
        assert_eq!(outbound.len(), 1, "{label}");
        assert_eq!(view.outbound, outbound, "{label}");

        let panel = expected_panel(&store, &master, &customer, &order).await;
        assert_eq!(view.panel, panel, "{label}: the customer panel");
        assert!(
            panel.orders[0].linked && !panel.orders[0].deliveries.is_empty(),
            "{label}: the linked order comes first, with its deliveries"
        );
        assert!(panel.customer.is_some(), "{label}");

        // An item of two customers: the view picks the same timeline as the single reads.
        let shared = NewItem::new(
            Channel::Email,
            "shared",
            start + Duration::hours(10),
            "for both of you",
        );
        let both = ItemPlacement {
            links: vec![
                applied_link(LinkKind::Customer, &customer),
                applied_link(LinkKind::Customer, &another),
            ],
            ..ItemPlacement::default()
        };
        let shared = store.insert_item(&shared, &both).await.unwrap();
        let view = read_item_view(store.as_ref(), shared)
            .await
            .unwrap()
            .unwrap();
        let expected = related(store.as_ref(), shared).await.unwrap().unwrap();
        assert!(!expected.timeline.is_empty(), "{label}");
        assert_eq!(view.related, expected, "{label}: two customers");

        // An item without links: no panel, no case, no timeline.
        let lonely = items.item(Channel::Email, 100, None, &[]).await;
        let view = read_item_view(store.as_ref(), lonely)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(view.panel, CustomerPanel::default(), "{label}");
        assert_eq!(
            view.related,
            related(store.as_ref(), lonely).await.unwrap().unwrap()
        );
        assert!(view.related.case.is_none() && view.related.timeline.is_empty());
        assert!(view.outbound.is_empty() && view.detail.attachments.is_empty());

        let missing = read_item_view(store.as_ref(), WorkItemId::new(999_999)).await;
        assert_eq!(missing.unwrap(), None, "{label}: no such item");
    }
}
