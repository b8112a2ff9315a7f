//! Cases on SQLite and PostgreSQL: items of one customer about the same order within the window
//! are grouped across channels, a customer-only item joins the one open case, other orders,
//! other customers and items outside the window stay apart; link edits move items in and out;
//! the router prefers the agent who holds another item of the case; the related view reads it.

use std::sync::Arc;

use chrono::{Duration, Utc};
use switchboard_core::WorkItemId;
use switchboard_core::case::{CaseView, related};
use switchboard_core::item::{Channel, ItemStatus};
use switchboard_core::link::{LinkEdit, LinkKind};
use switchboard_core::store::Store;
use switchboard_tests::linked_items::{ItemsFrom, customer_with_two_orders};
use switchboard_tests::{import_master, stores};

use crate::store_links::lead;
use crate::store_routing::{agent, assign, version_of};

async fn case_of(store: &Arc<dyn Store>, item: WorkItemId) -> Option<CaseView> {
    store.case_of(item).await.unwrap()
}

/// Links `item` to `key` (a customer or order number) as a lead would.
async fn add_link(store: &Arc<dyn Store>, item: WorkItemId, kind: LinkKind, key: &str) {
    let add = LinkEdit::Add {
        kind,
        key: key.to_owned(),
    };
    store
        .edit_link(item, &add, false, &lead(), Utc::now())
        .await
        .unwrap();
}

/// Removes the link of `item` to `key` as a lead would.
async fn remove_link(store: &Arc<dyn Store>, item: WorkItemId, kind: LinkKind, key: &str) {
    let link = store
        .links_of(item)
        .await
        .unwrap()
        .into_iter()
        .find(|link| link.kind == kind && link.key == key)
        .unwrap();
    store
        .edit_link(item, &LinkEdit::Remove(link.id), false, &lead(), Utc::now())
        .await
        .unwrap();
}

fn members(case: &CaseView) -> Vec<(WorkItemId, String)> {
    case.members
        .iter()
        .map(|member| (member.item, member.evidence.clone().unwrap_or_default()))
        .collect()
}

#[tokio::test]
async fn items_about_one_order_form_a_case_across_channels() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        import_master(&store).await;
        let (customer, order, other_order, other_customer) =
            customer_with_two_orders(&store.master_data().await.unwrap());
        let items = ItemsFrom::new(&store, Utc::now() - Duration::days(10));
        let c = Some(customer.as_str());

        let email = items.item(Channel::Email, 0, c, &[&order]).await;
        assert_eq!(case_of(&store, email).await, None, "{label}: alone");
        let fax = items.item(Channel::Fax, 30, c, &[&order]).await;
        let case = case_of(&store, fax).await.unwrap();
        let same_order = format!("same order {order}");
        assert_eq!(case.customer_no, customer, "{label}");
        assert_eq!(
            members(&case),
            vec![(email, same_order.clone()), (fax, same_order.clone())],
            "{label}"
        );
        let voicemail = items.item(Channel::Voicemail, 40, c, &[]).await;
        let letter = items.item(Channel::Letter, 41, c, &[&other_order]).await;
        let much_later = items.item(Channel::Email, 200, c, &[&order]).await;
        let other_c = Some(other_customer.as_str());
        let other = items.item(Channel::Task, 31, other_c, &[&order]).await;
        let case = case_of(&store, fax).await.unwrap();
        assert_eq!(
            members(&case),
            vec![
                (email, same_order.clone()),
                (fax, same_order.clone()),
                (voicemail, "same customer within 72 h".to_owned()),
            ],
            "{label}: the voicemail joins, the letter (other order), the late e-mail and the \
             other customer's task do not"
        );
        for apart in [letter, much_later, other] {
            assert_eq!(case_of(&store, apart).await, None, "{label}");
        }

        // The router prefers the agent who holds another item of the case.
        let ann = agent(&store, "ann").await;
        let applied = store
            .apply_decisions(
                &[assign(email, version_of(&store, email).await, ann)],
                Utc::now(),
            )
            .await
            .unwrap();
        assert_eq!(applied, vec![true], "{label}");
        let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
        let preferred = |item: WorkItemId| {
            snapshot
                .items
                .iter()
                .find(|waiting| waiting.item == item)
                .unwrap()
                .preferred_agent
        };
        assert_eq!(preferred(fax), Some(ann), "{label}");
        assert_eq!(preferred(voicemail), Some(ann), "{label}");
        assert_eq!(preferred(letter), None, "{label}");

        // The related view: the case and the customer's other items, newest first.
        let view = related(store.as_ref(), fax).await.unwrap().unwrap();
        assert_eq!(view.customer_no.as_deref(), Some(customer.as_str()));
        let case = view.case.unwrap();
        let holder = case.members.iter().find(|m| m.item == email).unwrap();
        assert_eq!(holder.holder.as_deref(), Some("ann"), "{label}");
        assert_eq!(holder.status, ItemStatus::Assigned, "{label}");
        let timeline: Vec<WorkItemId> = view.timeline.iter().map(|entry| entry.item).collect();
        assert_eq!(
            timeline,
            vec![much_later, letter, voicemail, email],
            "{label}: newest first, the item itself and other customers left out"
        );
    }
}

#[tokio::test]
async fn link_edits_move_items_in_and_out_of_cases() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        import_master(&store).await;
        let (customer, order, other_order, other_customer) =
            customer_with_two_orders(&store.master_data().await.unwrap());
        let items = ItemsFrom::new(&store, Utc::now() - Duration::days(5));
        let c = Some(customer.as_str());
        let first = items.item(Channel::Email, 0, c, &[&order]).await;
        let second = items.item(Channel::Fax, 2, c, &[&order]).await;
        let letter = items.item(Channel::Letter, 3, c, &[&other_order]).await;
        let unknown = items.item(Channel::Voicemail, 4, None, &[]).await;
        let case = case_of(&store, first).await.unwrap().id;
        assert_eq!(case_of(&store, unknown).await, None, "{label}");

        // Adding the case's order to the letter brings it in.
        add_link(&store, letter, LinkKind::Order, &order).await;
        let joined = case_of(&store, letter).await.unwrap();
        assert_eq!(joined.id, case, "{label}");
        assert_eq!(joined.members.len(), 3, "{label}");

        // Linking the unknown caller to the customer: the one open case takes it.
        add_link(&store, unknown, LinkKind::Customer, &customer).await;
        assert_eq!(case_of(&store, unknown).await.unwrap().id, case, "{label}");

        // Relinking it to another customer takes it out again: a case never spans two.
        add_link(&store, unknown, LinkKind::Customer, &other_customer).await;
        assert_eq!(case_of(&store, unknown).await, None, "{label}");
        let remaining = case_of(&store, first).await.unwrap();
        assert_eq!(remaining.members.len(), 3, "{label}");
        assert!(
            remaining
                .members
                .iter()
                .all(|member| member.item != unknown),
            "{label}"
        );

        // Removing the customer link of one item takes it out; a case left with one member
        // is dissolved.
        for leaving in [second, letter] {
            remove_link(&store, leaving, LinkKind::Customer, &customer).await;
            assert_eq!(case_of(&store, leaving).await, None, "{label}");
        }
        assert_eq!(case_of(&store, first).await, None, "{label}: dissolved");
    }
}

#[tokio::test]
async fn an_item_naming_the_orders_of_two_cases_merges_them_and_removing_the_tie_splits_them() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        import_master(&store).await;
        let (customer, order_a, order_b, _) =
            customer_with_two_orders(&store.master_data().await.unwrap());
        let items = ItemsFrom::new(&store, Utc::now() - Duration::days(5));
        let c = Some(customer.as_str());
        let email_a = items.item(Channel::Email, 0, c, &[&order_a]).await;
        let fax_a = items.item(Channel::Fax, 1, c, &[&order_a]).await;
        let email_b = items.item(Channel::Email, 2, c, &[&order_b]).await;
        let letter_b = items.item(Channel::Letter, 3, c, &[&order_b]).await;
        let case_a = case_of(&store, email_a).await.unwrap().id;
        let case_b = case_of(&store, email_b).await.unwrap().id;
        assert_ne!(case_a, case_b, "{label}: two orders, two matters");

        // One mail about both orders: one agent answers it, so both matters are one case now.
        let both = items
            .item(Channel::Email, 4, c, &[&order_a, &order_b])
            .await;
        let merged = case_of(&store, both).await.unwrap();
        assert_eq!(
            merged.id, case_a,
            "{label}: equal shares, the older case stays"
        );
        let same_a = format!("same order {order_a}");
        let same_b = format!("same order {order_b}");
        assert_eq!(
            members(&merged),
            vec![
                (email_a, same_a.clone()),
                (fax_a, same_a.clone()),
                (email_b, same_b.clone()),
                (letter_b, same_b.clone()),
                (both, format!("same orders {order_a} and {order_b}")),
            ],
            "{label}"
        );
        for member in [email_b, letter_b] {
            assert_eq!(case_of(&store, member).await.unwrap().id, case_a, "{label}");
        }

        // The mail was about order A only: B's items are a matter of their own again.
        remove_link(&store, both, LinkKind::Order, &order_b).await;
        let kept = case_of(&store, both).await.unwrap();
        assert_eq!(kept.id, case_a, "{label}");
        assert_eq!(
            members(&kept),
            vec![
                (email_a, same_a.clone()),
                (fax_a, same_a.clone()),
                (both, same_a.clone()),
            ],
            "{label}"
        );
        let split = case_of(&store, email_b).await.unwrap();
        assert_ne!(split.id, case_a, "{label}");
        assert_eq!(split.customer_no, customer, "{label}");
        assert_eq!(
            members(&split),
            vec![(email_b, same_b.clone()), (letter_b, same_b.clone())],
            "{label}"
        );
    }
}

#[tokio::test]
async fn when_an_item_leaves_the_members_it_held_together_are_examined_again() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        import_master(&store).await;
        let (customer, order_a, order_b, other_customer) =
            customer_with_two_orders(&store.master_data().await.unwrap());
        let items = ItemsFrom::new(&store, Utc::now() - Duration::days(5));
        let c = Some(customer.as_str());
        let about_a = items.item(Channel::Email, 0, c, &[&order_a]).await;
        let about_b = items.item(Channel::Letter, 1, c, &[&order_b]).await;
        assert_eq!(case_of(&store, about_a).await, None, "{label}");
        // A fax naming both orders ties them into one case; a call-me-back voicemail joins it.
        let both = items.item(Channel::Fax, 2, c, &[&order_a, &order_b]).await;
        let voicemail = items.item(Channel::Voicemail, 3, c, &[]).await;
        let case = case_of(&store, both).await.unwrap();
        assert_eq!(
            members(&case).iter().map(|m| m.0).collect::<Vec<_>>(),
            vec![about_a, about_b, both, voicemail],
            "{label}"
        );

        // The fax was another customer's: without it the mail and the letter share no order,
        // so nothing holds the case together and it dissolves, the voicemail with it.
        add_link(&store, both, LinkKind::Customer, &other_customer).await;
        for member in [both, about_a, about_b, voicemail] {
            assert_eq!(case_of(&store, member).await, None, "{label}: {member}");
        }

        // Two items about order A and the voicemail form a case again; when one of them
        // leaves, the case of one order item and a loose item is no case.
        let again_a = items.item(Channel::Task, 4, c, &[&order_a]).await;
        let case = case_of(&store, again_a).await.unwrap();
        assert_eq!(
            members(&case).iter().map(|m| m.0).collect::<Vec<_>>(),
            vec![about_a, voicemail, again_a],
            "{label}: the loose voicemail comes along with the new case"
        );
        remove_link(&store, again_a, LinkKind::Order, &order_a).await;
        for member in [about_a, voicemail, again_a] {
            assert_eq!(case_of(&store, member).await, None, "{label}: {member}");
        }
    }
}
