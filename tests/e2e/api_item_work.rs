//! The item-work API in process: work lists, the item view, status changes, notes, attachment
//! downloads and the lead board, with their role checks (401, 403) and conflicts (409).

use std::sync::Arc;

use actix_web::test;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use switchboard_core::item::{Channel, INLINE_ATTACHMENT_MAX, ItemStatus, NewAttachment, NewItem};
use switchboard_core::routing::{FencedDecision, RoutingAction};
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::user::Role;
use switchboard_core::{UserId, WorkItemId};
use switchboard_store::BlobStore;
use switchboard_tests::{bearer, token};
use switchboard_web::{AppState, WebConfig, create_app};

use crate::store_routing::{agent, assign_now, queued_item, version_of};

struct Fixture {
    _folder: tempfile::TempDir,
    store: Arc<dyn Store>,
    state: AppState,
    blobs: BlobStore,
    agent_token: String,
    lead_token: String,
    ann: UserId,
}

async fn fixture() -> Fixture {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let agent_token = token(&store, Role::Agent).await;
    let lead_token = token(&store, Role::Lead).await;
    let ann = agent(&store, "ann").await;
    agent(&store, "bob").await;
    let blobs = BlobStore::new(folder.path().join("blobs"));
    let state = AppState::new(store.clone(), WebConfig::default())
        .with_attachment_bytes(Arc::new(blobs.clone()));
    Fixture {
        _folder: folder,
        store,
        state,
        blobs,
        agent_token,
        lead_token,
        ann,
    }
}

pub(crate) async fn assigned_to(store: &Arc<dyn Store>, source: &str, owner: UserId) -> WorkItemId {
    let item = queued_item(store, source).await;
    assign_now(store, item, owner).await;
    item
}

fn get(uri: &str, token: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri(uri)
        .insert_header(bearer(token))
}

fn post(uri: &str, token: &str, body: Value) -> test::TestRequest {
    test::TestRequest::post()
        .uri(uri)
        .insert_header(bearer(token))
        .set_json(body)
}

#[actix_web::test]
async fn an_agent_reads_their_work_list_with_offers_and_owned_items() {
    let fixture = fixture().await;
    let owned = assigned_to(&fixture.store, "owned", fixture.ann).await;
    let offered = queued_item(&fixture.store, "offered").await;
    let offer = FencedDecision {
        item: offered,
        expected_version: version_of(&fixture.store, offered).await,
        action: RoutingAction::Offer {
            agent: fixture.ann,
            expires_at: Utc::now() + Duration::minutes(2),
            explanation: Value::Null,
        },
    };
    fixture
        .store
        .apply_decisions(&[offer], Utc::now())
        .await
        .unwrap();
    let app = test::init_service(create_app(fixture.state.clone())).await;

    let anonymous = test::TestRequest::get().uri("/api/v1/me/work").to_request();
    assert_eq!(test::call_service(&app, anonymous).await.status(), 401);
    let unnamed = test::call_service(
        &app,
        get("/api/v1/me/work", &fixture.agent_token).to_request(),
    )
    .await;
    assert_eq!(unnamed.status(), 400, "a token names the agent it acts for");

    let response = test::call_service(
        &app,
        get("/api/v1/me/work?agent=ann", &fixture.agent_token).to_request(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let work: Value = test::read_body_json(response).await;
    assert_eq!(work["offers"][0]["item"], offered.get());
    assert!(work["offers"][0]["expires_at"].is_string());
    assert_eq!(work["assigned"][0]["item"], owned.get());
    assert_eq!(work["assigned"][0]["reference"], owned.reference());
    let bobs: Value = test::read_body_json(
        test::call_service(
            &app,
            get("/api/v1/me/work?agent=bob", &fixture.agent_token).to_request(),
        )
        .await,
    )
    .await;
    assert_eq!(bobs["assigned"], json!([]));
}

#[actix_web::test]
async fn agents_read_any_item_but_change_only_their_own() {
    let fixture = fixture().await;
    let item = assigned_to(&fixture.store, "ann's", fixture.ann).await;
    let app = test::init_service(create_app(fixture.state.clone())).await;
    let uri = format!("/api/v1/items/{item}");

    // Bob reads Ann's item: agents need the customer's history.
    let view = test::call_service(
        &app,
        get(&format!("{uri}?agent=bob"), &fixture.agent_token).to_request(),
    )
    .await;
    assert_eq!(view.status(), 200);
    let view: Value = test::read_body_json(view).await;
    assert_eq!(view["reference"], item.reference());
    assert_eq!(view["assigned_agent"], "ann");
    assert_eq!(view["assignments"].as_array().unwrap().len(), 1);
    let missing = test::call_service(
        &app,
        get("/api/v1/items/999999", &fixture.agent_token).to_request(),
    )
    .await;
    assert_eq!(missing.status(), 404);

    // Bob may not change it.
    let status_uri = format!("{uri}/status");
    let refused = test::call_service(
        &app,
        post(
            &format!("{status_uri}?agent=bob"),
            &fixture.agent_token,
            json!({"status": "done"}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let problem: Value = test::read_body_json(refused).await;
    assert_eq!(problem["code"], "forbidden");
    let note_refused = test::call_service(
        &app,
        post(
            &format!("{uri}/notes?agent=bob"),
            &fixture.agent_token,
            json!({"text": "hi"}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(note_refused.status(), 403);

    // Ann sets it waiting, then an illegal change is a conflict.
    let waiting = test::call_service(
        &app,
        post(
            &format!("{status_uri}?agent=ann"),
            &fixture.agent_token,
            json!({"status": "waiting"}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(waiting.status(), 200);
    let waiting: Value = test::read_body_json(waiting).await;
    assert_eq!(
        (waiting["from"].as_str(), waiting["to"].as_str()),
        (Some("assigned"), Some("waiting"))
    );
    let twice = test::call_service(
        &app,
        post(
            &format!("{status_uri}?agent=ann"),
            &fixture.agent_token,
            json!({"status": "waiting"}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(twice.status(), 409);
    let problem: Value = test::read_body_json(twice).await;
    assert_eq!(problem["code"], "conflict");
    let unknown = test::call_service(
        &app,
        post(
            &format!("{status_uri}?agent=ann"),
            &fixture.agent_token,
            json!({"status": "closed"}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(unknown.status(), 400);

    // A note by Ann, and a lead (acting for nobody) finishes the item.
    let note = test::call_service(
        &app,
        post(
            &format!("{uri}/notes?agent=ann"),
            &fixture.agent_token,
            json!({"text": "asked for the PO"}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(note.status(), 201);
    let note: Value = test::read_body_json(note).await;
    assert_eq!(note["author_name"], "ann");
    let blank = test::call_service(
        &app,
        post(
            &format!("{uri}/notes?agent=ann"),
            &fixture.agent_token,
            json!({"text": "  "}),
        )
        .to_request(),
    )
    .await;
    assert_eq!(blank.status(), 400);
    let done = test::call_service(
        &app,
        post(&status_uri, &fixture.lead_token, json!({"status": "done"})).to_request(),
    )
    .await;
    assert_eq!(done.status(), 200);
    let stored = fixture.store.item(item).await.unwrap().unwrap();
    assert_eq!(stored.status, ItemStatus::Done);
    let view: Value = test::read_body_json(
        test::call_service(&app, get(&uri, &fixture.lead_token).to_request()).await,
    )
    .await;
    assert_eq!(view["notes"][0]["text"], "asked for the PO");
    assert_eq!(view["item"]["status"], "done");
}

#[actix_web::test]
async fn attachments_download_under_their_name_with_a_safe_type() {
    let fixture = fixture().await;
    // Small attachments are kept in their rows; a large one is in the blob store.
    let page = b"<html><script>alert(1)</script></html>".to_vec();
    let pdf = b"%PDF-1.4 minimal".to_vec();
    let mut scan = b"%PDF-1.4 large".to_vec();
    scan.resize(INLINE_ATTACHMENT_MAX + 1, b'x');
    fixture.blobs.put(&scan).unwrap();
    let mut item = NewItem::new(Channel::Email, "mail", Utc::now(), "see attached");
    for (name, declared, content) in [
        ("überweisung \"1\".html", "text/html", &page),
        ("invoice.pdf", "application/pdf", &pdf),
        ("scan.pdf", "application/pdf", &scan),
    ] {
        item.attachments.push(NewAttachment {
            file_name: name.into(),
            declared_type: Some(declared.into()),
            sniffed_type: None,
            content: content.clone(),
        });
    }
    let placement = ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some("inbox".into()),
        ..ItemPlacement::default()
    };
    let item = fixture.store.insert_item(&item, &placement).await.unwrap();
    let other = queued_item(&fixture.store, "other").await;
    let attachments = fixture.store.attachments_of(item).await.unwrap();
    let app = test::init_service(create_app(fixture.state.clone())).await;

    let html_uri = format!("/api/v1/items/{item}/attachments/{}", attachments[0].id);
    let response =
        test::call_service(&app, get(&html_uri, &fixture.agent_token).to_request()).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/octet-stream"
    );
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    let disposition = headers
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''%C3%BCberweisung%20%221%22.html"),
        "{disposition}"
    );
    assert_eq!(test::read_body(response).await.as_ref(), page.as_slice());

    let pdf_uri = format!("/api/v1/items/{item}/attachments/{}", attachments[1].id);
    let response = test::call_service(&app, get(&pdf_uri, &fixture.agent_token).to_request()).await;
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    assert_eq!(test::read_body(response).await.as_ref(), pdf.as_slice());

    let scan_uri = format!("/api/v1/items/{item}/attachments/{}", attachments[2].id);
    let response =
        test::call_service(&app, get(&scan_uri, &fixture.agent_token).to_request()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(test::read_body(response).await.as_ref(), scan.as_slice());

    // An attachment is found only under its own item.
    let wrong_item = format!("/api/v1/items/{other}/attachments/{}", attachments[1].id);
    let response =
        test::call_service(&app, get(&wrong_item, &fixture.agent_token).to_request()).await;
    assert_eq!(response.status(), 404);
    let anonymous = test::TestRequest::get().uri(&pdf_uri).to_request();
    assert_eq!(test::call_service(&app, anonymous).await.status(), 401);
}

#[actix_web::test]
async fn the_board_is_for_leads_and_counts_waiting_work_and_load() {
    let fixture = fixture().await;
    assigned_to(&fixture.store, "owned", fixture.ann).await;
    queued_item(&fixture.store, "first").await;
    queued_item(&fixture.store, "second").await;
    let app = test::init_service(create_app(fixture.state.clone())).await;

    let refused = test::call_service(
        &app,
        get("/api/v1/board", &fixture.agent_token).to_request(),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let response =
        test::call_service(&app, get("/api/v1/board", &fixture.lead_token).to_request()).await;
    assert_eq!(response.status(), 200);
    let board: Value = test::read_body_json(response).await;
    assert!(
        board.get("sla_risk_share").is_none(),
        "at risk comes from each item's clock"
    );
    assert_eq!(board["queues"][0]["queue"], "inbox");
    assert_eq!(board["queues"][0]["channel"], "email");
    assert_eq!(board["queues"][0]["waiting"], 2);
    let ann = board["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|agent| agent["login"] == "ann")
        .unwrap();
    assert_eq!(ann["load"], 20, "an e-mail takes 20 units");
    assert_eq!(ann["current"].as_array().unwrap().len(), 1);
}
