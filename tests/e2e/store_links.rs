//! Link edits by agents and leads, on SQLite and PostgreSQL: confirm a suggestion, link a
//! customer or order by number, remove a link; stored with origin `agent`, exported, fed to the
//! search index, refused for an agent who does not own the item. A remembered sender links the
//! next message from that address automatically.

use std::sync::Arc;

use chrono::Utc;
use switchboard_core::event::Actor;
use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::{Channel, ExportedItem, NewItem};
use switchboard_core::link::{LinkEdit, LinkKind, LinkOrigin, NewLink};
use switchboard_core::master::MasterData;
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::work::Worker;
use switchboard_core::{CoreError, OrderNo, UserId, WorkItemId};
use switchboard_tests::{corpus_pipeline, import_master, stores};

const UNKNOWN_SENDER: &str = "new.buyer@example.org";

pub(crate) fn lead() -> Worker {
    Worker {
        actor: Actor::Token {
            name: "test lead".into(),
        },
        name: "lead".into(),
        agent: None,
        lead: true,
    }
}

/// An item from an unknown sender with a suggested (unapplied) customer link.
async fn suggested_item(store: &Arc<dyn Store>, suggested: &str) -> WorkItemId {
    let mut item = NewItem::new(Channel::Email, "links.eml", Utc::now(), "Graag een offerte");
    item.sender.email = Some(UNKNOWN_SENDER.into());
    let placement = ItemPlacement {
        links: vec![NewLink {
            kind: LinkKind::Customer,
            key: suggested.into(),
            confidence: 0.6,
            origin: LinkOrigin::Auto,
            applied: false,
            evidence: "company name in signature".into(),
        }],
        ..ItemPlacement::default()
    };
    store.insert_item(&item, &placement).await.unwrap()
}

async fn exported(store: &Arc<dyn Store>, item: WorkItemId) -> ExportedItem {
    let items = store.export_items(None, 1_000, false).await.unwrap();
    items
        .into_iter()
        .find(|exported| exported.id == item.get())
        .unwrap()
}

fn two_customers(master: &MasterData) -> (String, String, String) {
    let order = &master.orders[0];
    let customer = order.customer_no.as_str().to_owned();
    let other = master
        .customers
        .iter()
        .find(|candidate| candidate.customer_no.as_str() != customer)
        .unwrap()
        .customer_no
        .as_str()
        .to_owned();
    (customer, other, order.order_no.as_str().to_owned())
}

#[tokio::test]
async fn agents_and_leads_confirm_add_and_remove_links() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        import_master(&store).await;
        let (customer, suggested, order) = two_customers(&store.master_data().await.unwrap());
        let item = suggested_item(&store, &suggested).await;
        let suggestion = store.links_of(item).await.unwrap()[0].id;
        let fed_before = store.max_change_seq().await.unwrap();

        // A lead confirms the suggestion: applied, the agent's, fed to the index.
        let edited = store
            .edit_link(
                item,
                &LinkEdit::Confirm(suggestion),
                false,
                &lead(),
                Utc::now(),
            )
            .await
            .unwrap();
        let confirmed = &edited.links[0];
        assert!(confirmed.applied, "{label}");
        assert_eq!(confirmed.origin, LinkOrigin::Agent, "{label}");
        assert_eq!(
            edited.unknown_sender.as_deref(),
            Some(UNKNOWN_SENDER),
            "{label}"
        );
        assert!(!edited.remembered_contact, "{label}");
        let fed = store.changes_after(fed_before, 10).await.unwrap();
        assert!(fed.iter().any(|entry| entry.item_id == item), "{label}");
        assert_eq!(
            exported(&store, item)
                .await
                .customer_no
                .as_ref()
                .map(|no| no.as_str()),
            Some(suggested.as_str()),
            "{label}"
        );

        // Linking another customer by its number without leading zeros replaces it and
        // remembers the sender as that customer's contact.
        let typed = customer.trim_start_matches('0').to_owned();
        let add_customer = LinkEdit::Add {
            kind: LinkKind::Customer,
            key: typed,
        };
        let edited = store
            .edit_link(item, &add_customer, true, &lead(), Utc::now())
            .await
            .unwrap();
        assert!(edited.remembered_contact, "{label}");
        let applied: Vec<&str> = edited
            .links
            .iter()
            .filter(|link| link.applied)
            .map(|link| link.key.as_str())
            .collect();
        assert_eq!(applied, vec![customer.as_str()], "{label}");
        let remembered = store.customer(&customer).await.unwrap().unwrap();
        assert!(
            remembered
                .contacts
                .iter()
                .any(|contact| contact.email.as_deref() == Some(UNKNOWN_SENDER)),
            "{label}"
        );

        // An order by number; then removed again.
        let add_order = LinkEdit::Add {
            kind: LinkKind::Order,
            key: order.clone(),
        };
        let edited = store
            .edit_link(item, &add_order, false, &lead(), Utc::now())
            .await
            .unwrap();
        let export = exported(&store, item).await;
        assert_eq!(
            export.customer_no.as_ref().map(|no| no.as_str()),
            Some(customer.as_str())
        );
        assert_eq!(
            export.order_nos,
            vec![OrderNo::new(order.clone())],
            "{label}"
        );
        assert!(
            export
                .links
                .iter()
                .all(|link| link.origin == LinkOrigin::Agent),
            "{label}"
        );
        let order_link = edited
            .links
            .iter()
            .find(|link| link.kind == LinkKind::Order)
            .unwrap()
            .id;
        store
            .edit_link(
                item,
                &LinkEdit::Remove(order_link),
                false,
                &lead(),
                Utc::now(),
            )
            .await
            .unwrap();
        assert!(exported(&store, item).await.order_nos.is_empty(), "{label}");

        // Unknown numbers and links of other items are not found; an agent who does not own
        // the item may not change its links.
        let unknown = LinkEdit::Add {
            kind: LinkKind::Order,
            key: "9999999999".into(),
        };
        let refused = store
            .edit_link(item, &unknown, false, &lead(), Utc::now())
            .await;
        assert!(
            matches!(refused, Err(CoreError::NotFound { .. })),
            "{label}"
        );
        let other_item = suggested_item(&store, &suggested).await;
        let foreign = store.links_of(other_item).await.unwrap()[0].id;
        let refused = store
            .edit_link(item, &LinkEdit::Remove(foreign), false, &lead(), Utc::now())
            .await;
        assert!(
            matches!(refused, Err(CoreError::NotFound { .. })),
            "{label}"
        );
        let stranger = Worker {
            agent: Some(UserId::new(4_242)),
            lead: false,
            ..lead()
        };
        let refused = store
            .edit_link(item, &add_order, false, &stranger, Utc::now())
            .await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))), "{label}");
    }
}

#[tokio::test]
async fn a_remembered_sender_links_the_next_message_automatically() {
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let (customer, _, _) = two_customers(&store.master_data().await.unwrap());
    let message = |id: &str| {
        format!(
            "From: Nieuwe Inkoper <{UNKNOWN_SENDER}>\r\nTo: klantenservice@velora.example.nl\r\n\
             Subject: Vraag over levertijden\r\nMessage-ID: <{id}@example.org>\r\n\
             Date: Fri, 04 Dec 2026 10:00:00 +0100\r\n\r\n\
             Goedemorgen, wat zijn de levertijden op dit moment?\r\n"
        )
        .into_bytes()
    };
    let ingested = |outcome: IngestOutcome| match outcome {
        IngestOutcome::Ingested { item, .. } => item,
        other => panic!("not ingested: {other:?}"),
    };
    let first = ingested(
        pipeline
            .ingest_raw(Channel::Email, "first.eml", message("first"))
            .await
            .unwrap(),
    );
    assert_eq!(exported(&store, first).await.customer_no, None);

    let link = LinkEdit::Add {
        kind: LinkKind::Customer,
        key: customer.clone(),
    };
    let edited = store
        .edit_link(first, &link, true, &lead(), Utc::now())
        .await
        .unwrap();
    assert!(edited.remembered_contact);

    // A pipeline started after the edit (a restarted node, `switchboard ingest`) knows the
    // sender now.
    let config = switchboard_tests::velora_config(folder.path());
    let pipeline = switchboard_server::pipeline::Pipeline::new(
        store.clone(),
        switchboard_store::BlobStore::new(config.blob_dir()),
        config.pipeline_settings(),
    )
    .await
    .unwrap();
    let next = ingested(
        pipeline
            .ingest_raw(Channel::Email, "next.eml", message("next"))
            .await
            .unwrap(),
    );
    let export = exported(&store, next).await;
    assert_eq!(
        export.customer_no.as_ref().map(|no| no.as_str()),
        Some(customer.as_str())
    );
    assert!(
        export
            .links
            .iter()
            .any(|link| link.kind == LinkKind::Customer && link.origin == LinkOrigin::Auto),
        "{:?}",
        export.links
    );
}

#[tokio::test]
async fn the_links_of_several_items_are_read_at_once_and_missing_items_left_out() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        import_master(&store).await;
        let (customer, suggested, _) = two_customers(&store.master_data().await.unwrap());
        let first = suggested_item(&store, &suggested).await;
        let second = suggested_item(&store, &customer).await;
        let bare = store
            .insert_item(
                &NewItem::new(Channel::Email, "bare.eml", Utc::now(), "Hallo"),
                &ItemPlacement::default(),
            )
            .await
            .unwrap();
        let missing = WorkItemId::new(second.get() + 1_000);

        let read = store
            .links_of_items(&[first, second, bare, missing])
            .await
            .unwrap();
        assert_eq!(read.len(), 3, "{label}: the missing item is left out");
        for item in [first, second, bare] {
            assert_eq!(
                read[&item],
                store.links_of(item).await.unwrap(),
                "{label}: item {item} reads as alone"
            );
        }
        assert!(read[&bare].is_empty(), "{label}");
        assert_eq!(read[&second][0].key, customer, "{label}");
    }
}
