//! Health, readiness, metrics, errors and security headers of the in-process app.

use actix_web::test;
use switchboard_web::{AppState, WebConfig, create_app};

async fn state() -> (tempfile::TempDir, AppState) {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    (folder, AppState::new(store, WebConfig::default()))
}

#[actix_web::test]
async fn health_and_readiness_answer() {
    let (_folder, state) = state().await;
    let app = test::init_service(create_app(state)).await;
    for path in ["/healthz", "/readyz"] {
        let response =
            test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[actix_web::test]
async fn the_openapi_document_is_served_without_sign_in() {
    let (_folder, state) = state().await;
    let app = test::init_service(create_app(state)).await;
    let request = test::TestRequest::get()
        .uri("/api/openapi.json")
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 200);
    let document: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(document["info"]["title"], "Switchboard");
    assert!(document["paths"]["/api/v1/items/{id}/status"]["post"].is_object());
}

#[actix_web::test]
async fn metrics_are_labelled_by_route_template() {
    let (_folder, state) = state().await;
    let app = test::init_service(create_app(state)).await;
    let request = test::TestRequest::put()
        .uri("/api/v1/customers/0000000001")
        .to_request();
    test::call_service(&app, request).await;
    let body =
        test::call_and_read_body(&app, test::TestRequest::get().uri("/metrics").to_request()).await;
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        text.contains("route=\"/api/v1/customers/{key}\""),
        "route template missing:\n{text}"
    );
    assert!(
        !text.contains("0000000001"),
        "raw paths must not become labels"
    );
}

#[actix_web::test]
async fn unknown_routes_are_problems_and_headers_are_strict() {
    let (_folder, state) = state().await;
    let app = test::init_service(create_app(state)).await;
    let response =
        test::call_service(&app, test::TestRequest::get().uri("/nope").to_request()).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
    let csp = response
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    let body: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(body["code"], "not_found");
    assert_eq!(body["status"], 404);
}

#[actix_web::test]
async fn start_page_sends_visitors_to_sign_in() {
    let (_folder, state) = state().await;
    let app = test::init_service(create_app(state)).await;
    let response = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers().get("location").unwrap(), "/login");
    let response =
        test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
    assert_eq!(response.status(), 200);
    let body = test::read_body(response).await;
    assert!(String::from_utf8_lossy(&body).contains("<form method=\"post\" action=\"/login\""));
}
