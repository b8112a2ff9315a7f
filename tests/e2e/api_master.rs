//! The master-data API: single upserts, bulk NDJSON, authentication and role checks.

use actix_web::test;
use serde_json::json;
use switchboard_core::user::Role;
use switchboard_tests::{bearer, token};
use switchboard_web::{AppState, WebConfig, create_app};

struct Fixture {
    _folder: tempfile::TempDir,
    state: AppState,
    admin: String,
    agent: String,
}

async fn fixture() -> Fixture {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let admin = token(&store, Role::Admin).await;
    let agent = token(&store, Role::Agent).await;
    Fixture {
        _folder: folder,
        state: AppState::new(store, WebConfig::default()),
        admin,
        agent,
    }
}

fn customer() -> serde_json::Value {
    json!({"name": "Salon Zon", "segment": "regular", "language": "nl", "phone": "023-5551234"})
}

#[actix_web::test]
async fn put_requires_a_token_and_the_admin_role() {
    let fixture = fixture().await;
    let app = test::init_service(create_app(fixture.state.clone())).await;
    let anonymous = test::TestRequest::put()
        .uri("/api/v1/customers/0000100001")
        .set_json(customer())
        .to_request();
    let response = test::call_service(&app, anonymous).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        "Bearer"
    );

    let wrong_token = test::TestRequest::put()
        .uri("/api/v1/customers/0000100001")
        .insert_header(bearer("sb_not-a-token"))
        .set_json(customer())
        .to_request();
    assert_eq!(test::call_service(&app, wrong_token).await.status(), 401);

    let agent = test::TestRequest::put()
        .uri("/api/v1/customers/0000100001")
        .insert_header(bearer(&fixture.agent))
        .set_json(customer())
        .to_request();
    let response = test::call_service(&app, agent).await;
    assert_eq!(response.status(), 403);
    let body: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(body["code"], "forbidden");
}

#[actix_web::test]
async fn put_creates_then_reports_unchanged_then_updates() {
    let fixture = fixture().await;
    let app = test::init_service(create_app(fixture.state.clone())).await;
    let put = |body: serde_json::Value| {
        test::TestRequest::put()
            .uri("/api/v1/customers/0000100001")
            .insert_header(bearer(&fixture.admin))
            .set_json(body)
            .to_request()
    };
    let created = test::call_service(&app, put(customer())).await;
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = test::read_body_json(created).await;
    assert_eq!(body["result"], "new");

    let again: serde_json::Value = test::call_and_read_body_json(&app, put(customer())).await;
    assert_eq!(again["result"], "unchanged");

    let mut changed = customer();
    changed["segment"] = json!("key_account");
    let updated: serde_json::Value = test::call_and_read_body_json(&app, put(changed)).await;
    assert_eq!(updated["result"], "updated");

    let read = test::TestRequest::get()
        .uri("/api/v1/customers/0000100001")
        .insert_header(bearer(&fixture.agent))
        .to_request();
    let stored: serde_json::Value = test::call_and_read_body_json(&app, read).await;
    assert_eq!(stored["segment"], "key_account");
    assert_eq!(stored["customer_no"], "0000100001");
}

#[actix_web::test]
async fn put_rejects_bad_fields_and_unknown_references_by_name() {
    let fixture = fixture().await;
    let app = test::init_service(create_app(fixture.state.clone())).await;
    let bad_segment = test::TestRequest::put()
        .uri("/api/v1/customers/0000100001")
        .insert_header(bearer(&fixture.admin))
        .set_json(json!({"name": "X", "segment": "gold"}))
        .to_request();
    let response = test::call_service(&app, bad_segment).await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = test::read_body_json(response).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("segment \"gold\""),
        "{body}"
    );

    let orphan_order = test::TestRequest::put()
        .uri("/api/v1/orders/4500000001")
        .insert_header(bearer(&fixture.admin))
        .set_json(json!({"customer_number": "0000999999", "status": "open"}))
        .to_request();
    let response = test::call_service(&app, orphan_order).await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = test::read_body_json(response).await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("0000999999 does not exist in customers"),
        "{body}"
    );

    let mismatch = test::TestRequest::put()
        .uri("/api/v1/customers/0000100001")
        .insert_header(bearer(&fixture.admin))
        .set_json(json!({"customer_number": "0000100002", "name": "X"}))
        .to_request();
    assert_eq!(test::call_service(&app, mismatch).await.status(), 400);
}

#[actix_web::test]
async fn bulk_ndjson_is_all_or_nothing() {
    let fixture = fixture().await;
    let app = test::init_service(create_app(fixture.state.clone())).await;
    let post = |body: String| {
        test::TestRequest::post()
            .uri("/api/v1/import/customers")
            .insert_header(bearer(&fixture.admin))
            .set_payload(body)
            .to_request()
    };
    let bad = [
        r#"{"customer_number": "0000100001", "name": "A"}"#,
        r#"{"customer_number": "0000100002", "name": "B", "language": "es"}"#,
        "not json",
    ]
    .join("\n");
    let response = test::call_service(&app, post(bad)).await;
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = test::read_body_json(response).await;
    let lines: Vec<u64> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|error| error["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        vec![3],
        "syntax errors are reported before records are checked"
    );
    assert_eq!(
        fixture
            .state
            .store
            .count_master(switchboard_core::master::MasterKind::Customers)
            .await
            .unwrap(),
        0
    );

    let invalid = [
        r#"{"customer_number": "0000100001", "name": "A"}"#,
        r#"{"customer_number": "0000100002", "name": "B", "language": "es"}"#,
    ]
    .join("\n");
    let body: serde_json::Value = test::call_and_read_body_json(&app, post(invalid)).await;
    assert_eq!(body["errors"][0]["line"], 2, "{body}");

    let good = [
        r#"{"customer_number": "0000100001", "name": "A"}"#,
        "",
        r#"{"customer_number": "0000100002", "name": "B", "product_lines": ["nails", "makeup"]}"#,
    ]
    .join("\n");
    let body: serde_json::Value = test::call_and_read_body_json(&app, post(good)).await;
    assert_eq!(
        body,
        json!({"kind": "customers", "rows": 2, "new": 2, "updated": 0, "unchanged": 0})
    );

    let unknown_kind = test::TestRequest::post()
        .uri("/api/v1/import/widgets")
        .insert_header(bearer(&fixture.admin))
        .set_payload("{}")
        .to_request();
    assert_eq!(test::call_service(&app, unknown_kind).await.status(), 404);
}
