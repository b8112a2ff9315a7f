//! The store conformance suite: every test runs on SQLite and, when configured, PostgreSQL.

use chrono::{TimeZone, Utc};
use switchboard_core::import::{RawRecords, import};
use switchboard_core::inbound::NewInbound;
use switchboard_core::item::{Channel, ItemStatus, Language, NewItem};
use switchboard_core::link::{LinkKind, LinkOrigin, NewLink};
use switchboard_core::master::MasterKind;
use switchboard_core::skill::SkillRequirement;
use switchboard_core::sla::SlaClock;
use switchboard_core::store::{InboundCompletion, ItemPlacement};
use switchboard_core::user::{NewUser, Role};
use switchboard_core::{CoreError, Login, WorkItemId};
use switchboard_tests::{csv_rows, master_dir, stores};

fn read_master(kind: MasterKind) -> RawRecords {
    let content = std::fs::read(master_dir().join(kind.file_name())).unwrap();
    let (raw, problems) = switchboard_server::master_csv::read(kind, &content);
    assert!(problems.is_empty(), "{kind}: {problems:?}");
    raw
}

fn all_master() -> Vec<(MasterKind, RawRecords)> {
    MasterKind::ALL
        .iter()
        .map(|kind| (*kind, read_master(*kind)))
        .collect()
}

#[tokio::test]
async fn importing_the_corpus_twice_stores_every_row_once() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let first = import(store.as_ref(), all_master()).await.unwrap().unwrap();
        for (kind, counts) in &first {
            assert_eq!(counts.new, csv_rows(*kind), "{label}: {kind} first import");
            assert_eq!(counts.unchanged + counts.updated, 0, "{label}: {kind}");
        }
        let second = import(store.as_ref(), all_master()).await.unwrap().unwrap();
        for (kind, counts) in &second {
            assert_eq!(
                counts.unchanged,
                csv_rows(*kind),
                "{label}: {kind} second import"
            );
            assert_eq!(counts.new + counts.updated, 0, "{label}: {kind}");
            assert_eq!(
                store.count_master(*kind).await.unwrap(),
                i64::try_from(csv_rows(*kind)).unwrap(),
                "{label}: {kind} stored rows"
            );
        }
        let agents = store.users().await.unwrap();
        assert_eq!(agents.len() as u64, csv_rows(MasterKind::Agents), "{label}");
        assert!(
            agents
                .iter()
                .all(|user| !user.can_sign_in && user.role == Role::Agent)
        );
    }
}

#[tokio::test]
async fn a_changed_row_updates_and_reads_back() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        import(store.as_ref(), all_master()).await.unwrap().unwrap();
        let mut orders = read_master(MasterKind::Orders);
        let (_, first) = &mut orders.records[0];
        let order_no = first["order_number"].clone();
        first.insert("status".into(), "cancelled".into());
        let counts = import(store.as_ref(), vec![(MasterKind::Orders, orders)])
            .await
            .unwrap()
            .unwrap();
        assert_eq!(counts[0].1.updated, 1, "{label}");
        assert_eq!(
            counts[0].1.unchanged,
            csv_rows(MasterKind::Orders) - 1,
            "{label}"
        );
        let order = store.order(&order_no).await.unwrap().unwrap();
        assert_eq!(order.status, "cancelled", "{label}");
        assert!(
            !order.lines.is_empty(),
            "{label}: lines read with the order"
        );
        let customer = store
            .customer(order.customer_no.as_str())
            .await
            .unwrap()
            .unwrap();
        assert!(!customer.name.is_empty(), "{label}");
    }
}

#[tokio::test]
async fn a_bad_row_rejects_the_import_and_leaves_the_database_as_it_was() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let mut customers = read_master(MasterKind::Customers);
        customers.records[4]
            .1
            .insert("segment".into(), "gold".into());
        let mut orders = read_master(MasterKind::Orders);
        orders.records[7]
            .1
            .insert("customer_number".into(), "0000000042".into());
        let rejected = import(
            store.as_ref(),
            vec![
                (MasterKind::Customers, customers),
                (MasterKind::Orders, orders),
            ],
        )
        .await
        .unwrap()
        .unwrap_err();
        let lines: Vec<(MasterKind, u64)> =
            rejected.iter().map(|row| (row.kind, row.line)).collect();
        assert_eq!(
            lines,
            vec![(MasterKind::Customers, 6), (MasterKind::Orders, 9)],
            "{label}: {rejected:?}"
        );
        assert!(
            rejected[1]
                .reason
                .contains("0000000042 does not exist in customers")
        );
        for kind in MasterKind::ALL {
            assert_eq!(
                store.count_master(*kind).await.unwrap(),
                0,
                "{label}: {kind}"
            );
        }
    }
}

#[tokio::test]
async fn users_and_tokens_round_trip() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let login = Login::new("lea");
        store
            .create_user(&NewUser {
                login: login.clone(),
                display_name: "Lea".into(),
                role: Role::Lead,
                password_hash: Some("$argon2id$fake".into()),
                agent_id: None,
            })
            .await
            .unwrap();
        let duplicate = store
            .create_user(&NewUser {
                login: login.clone(),
                display_name: "Lea again".into(),
                role: Role::Agent,
                password_hash: None,
                agent_id: None,
            })
            .await;
        assert!(
            matches!(duplicate, Err(CoreError::Conflict(_))),
            "{label}: {duplicate:?}"
        );
        store.set_role(&login, Role::Admin).await.unwrap();
        let credentials = store.user_credentials(&login).await.unwrap().unwrap();
        assert_eq!(credentials.user.role, Role::Admin, "{label}");
        assert_eq!(credentials.password_hash.as_deref(), Some("$argon2id$fake"));
        assert!(
            store
                .user_credentials(&Login::new("nobody"))
                .await
                .unwrap()
                .is_none()
        );

        let id = store
            .create_api_token(
                &switchboard_core::admin::NewApiToken {
                    name: "erp".into(),
                    role: Role::Admin,
                    token_hash: "hash-1".into(),
                    prefix: "sb_abcdef".into(),
                },
                Utc::now(),
            )
            .await
            .unwrap();
        let token = store.api_token_by_hash("hash-1").await.unwrap().unwrap();
        assert_eq!(
            (token.id, token.role, token.name.as_str()),
            (id, Role::Admin, "erp")
        );
        assert!(
            store.api_token_by_hash("hash-2").await.unwrap().is_none(),
            "{label}"
        );
    }
}

#[tokio::test]
async fn items_export_with_links_threads_and_queue() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        import(store.as_ref(), all_master()).await.unwrap().unwrap();
        let received_at = Utc.with_ymd_and_hms(2025, 3, 3, 7, 36, 39).unwrap();
        let mut item = NewItem::new(Channel::Email, "e0002.eml", received_at, "Bestelling graag");
        item.subject = Some("Bestelling".into());
        item.language = Some(Language::Dutch);
        item.sender.email = Some("inkoop@example.nl".into());
        let placement = ItemPlacement {
            status: ItemStatus::Queued,
            queue: Some("orders-nl".into()),
            priority: 3,
            required_skills: vec![
                SkillRequirement::new("language:nl", 3),
                SkillRequirement::new("channel:email", 1),
            ],
            links: vec![
                NewLink {
                    kind: LinkKind::Customer,
                    key: "0000118084".into(),
                    confidence: 0.97,
                    origin: LinkOrigin::Auto,
                    applied: true,
                    evidence: "sender's e-mail address belongs to the customer".into(),
                },
                NewLink {
                    kind: LinkKind::Order,
                    key: "4500021305".into(),
                    confidence: 0.6,
                    origin: LinkOrigin::Auto,
                    applied: false,
                    evidence: "order number one digit off".into(),
                },
            ],
            parent_id: None,
            intent: None,
            product_lines: Vec::new(),
            sla: Some(SlaClock {
                due_at: received_at + chrono::TimeDelta::hours(24),
                at_risk_at: received_at + chrono::TimeDelta::hours(18),
            }),
            route: None,
        };
        let parent = store.insert_item(&item, &placement).await.unwrap();
        let mut reply = NewItem::new(Channel::Email, "e0010.eml", received_at, "Re: Bestelling");
        reply.subject = Some("Re: Bestelling".into());
        let child = store
            .insert_item(
                &reply,
                &ItemPlacement {
                    parent_id: Some(parent),
                    ..ItemPlacement::default()
                },
            )
            .await
            .unwrap();
        let orphan = store
            .insert_item(
                &reply,
                &ItemPlacement {
                    parent_id: Some(WorkItemId::new(9_999)),
                    ..ItemPlacement::default()
                },
            )
            .await;
        assert!(matches!(orphan, Err(CoreError::NotFound { .. })), "{label}");

        let exported = store.export_items(None, 10, true).await.unwrap();
        assert_eq!(exported.len(), 2, "{label}");
        let json = serde_json::to_value(&exported[0]).unwrap();
        assert_eq!(json["ref"], parent.reference());
        assert_eq!(json["channel"], "email");
        assert_eq!(json["received_at"], "2025-03-03T07:36:39Z");
        assert_eq!(json["language"], "nl");
        assert_eq!(json["sender"], "inkoop@example.nl");
        assert_eq!(json["customer_no"], "0000118084");
        assert_eq!(
            json["order_nos"],
            serde_json::json!([]),
            "suggestions are not applied"
        );
        assert_eq!(json["links"].as_array().unwrap().len(), 2);
        assert_eq!(json["queue"], "orders-nl");
        assert_eq!(json["priority"], 3);
        assert_eq!(json["status"], "queued");
        assert_eq!(
            json["required_skills"],
            serde_json::json!(["language:nl>=3", "channel:email"])
        );
        assert_eq!(json["text"], "Bestelling graag");
        assert_eq!(json["sla_due_at"], "2025-03-04T07:36:39Z", "{label}");
        let reply_json = serde_json::to_value(&exported[1]).unwrap();
        assert_eq!(reply_json["parent_id"], parent.get(), "{label}");
        assert_eq!(reply_json["thread_id"], parent.get(), "{label}");
        assert_eq!(reply_json["id"], child.get());

        let without_text = store.export_items(Some(parent), 10, false).await.unwrap();
        assert_eq!(without_text.len(), 1);
        assert!(
            serde_json::to_value(&without_text[0])
                .unwrap()
                .get("text")
                .is_none()
        );
    }
}

/// Lands one e-mail input per source, as the pipeline does.
async fn land(
    store: &std::sync::Arc<dyn switchboard_core::store::Store>,
    sources: &[&str],
) -> Vec<switchboard_core::InboundId> {
    let inbounds: Vec<NewInbound> = sources
        .iter()
        .map(|source| NewInbound {
            channel: Channel::Email,
            source: (*source).into(),
            idem_key: format!("key-{source}"),
            fingerprint: format!("fingerprint-{source}"),
            blob: format!("blob-{source}"),
            raw: Some(source.as_bytes().to_vec()),
            size: 1,
            received_at: Utc::now(),
        })
        .collect();
    store
        .land_batch(&inbounds)
        .await
        .unwrap()
        .into_iter()
        .map(|landing| landing.inbound.id)
        .collect()
}

/// A batch may hold a reply to an item of the same batch (`replies_to`): written together, the
/// reply names that item as parent and joins its thread, down a chain of replies and from a
/// thread that began before the batch; a reply that names a later completion is refused whole.
#[tokio::test]
async fn a_reply_written_with_its_parent_joins_its_thread() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let received_at = Utc::now();
        let email = |source: &str| NewItem::new(Channel::Email, source, received_at, source);
        let starter = store
            .insert_item(&email("starter"), &ItemPlacement::default())
            .await
            .unwrap();
        let inbounds = land(&store, &["first", "second", "third", "fresh"]).await;
        let items: Vec<NewItem> = ["first", "second", "third", "fresh"]
            .into_iter()
            .map(email)
            .collect();
        let to_starter = ItemPlacement {
            parent_id: Some(starter),
            ..ItemPlacement::default()
        };
        let unthreaded = ItemPlacement::default();
        let completion = |position: usize, placement, replies_to| InboundCompletion {
            inbound: inbounds[position],
            item: &items[position],
            placement,
            replies_to,
        };

        let backwards = [
            completion(0, &unthreaded, Some(1)),
            completion(1, &unthreaded, None),
        ];
        assert!(
            store.complete_inbounds(&backwards).await.is_err(),
            "{label}"
        );
        assert_eq!(
            store.count_items().await.unwrap(),
            1,
            "{label}: nothing written"
        );

        // first replies to the starter, second to first, third to second; fresh is alone.
        let batch = [
            completion(0, &to_starter, None),
            completion(1, &unthreaded, Some(0)),
            completion(2, &unthreaded, Some(1)),
            completion(3, &unthreaded, None),
        ];
        let ids = store.complete_inbounds(&batch).await.unwrap();
        let exported = store.export_items(None, 10, false).await.unwrap();
        let threading = |id: WorkItemId| {
            let item = exported.iter().find(|item| item.id == id.get()).unwrap();
            (item.parent_id, item.thread_id)
        };
        let starter_id = Some(starter.get());
        assert_eq!(threading(ids[0]), (starter_id, starter_id), "{label}");
        assert_eq!(
            threading(ids[1]),
            (Some(ids[0].get()), starter_id),
            "{label}"
        );
        assert_eq!(
            threading(ids[2]),
            (Some(ids[1].get()), starter_id),
            "{label}"
        );
        assert_eq!(threading(ids[3]), (None, None), "{label}");
    }
}
