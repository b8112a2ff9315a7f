//! Accounts in the browser UI, in process: sign-in with argon2 passwords, server-side sessions
//! (both databases), session cookies on the API with CSRF on state changes, sign-in throttling
//! and sign-out.

use actix_web::cookie::Cookie;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::test;
use chrono::{Duration, Utc};
use switchboard_core::session::NewSession;
use switchboard_core::user::Role;
use switchboard_tests::ui_session::{UiSession, location};
use switchboard_tests::{stores, user_with_password};
use switchboard_web::auth::secret_hash;
use switchboard_web::fresh_cache::FRESH_FOR;
use switchboard_web::{AppState, WebConfig, create_app};

fn session_cookie<B>(response: &ServiceResponse<B>) -> Option<Cookie<'static>> {
    response
        .response()
        .cookies()
        .find(|cookie| cookie.name() == "sb_session")
        .map(Cookie::into_owned)
}

fn login_form(login: &str, password: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/login")
        .peer_addr("127.0.0.1:40000".parse().unwrap())
        .set_form([
            ("login", login),
            ("password", password),
            ("next", "/search"),
        ])
}

#[actix_web::test]
async fn sessions_are_stored_by_hash_touched_and_deleted_on_both_databases() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let user = user_with_password(&store, "anna", Role::Agent, "secret").await;
        let now = Utc::now();
        let hash = secret_hash("the-session-id");
        store
            .create_session(&NewSession {
                id_hash: hash.clone(),
                user,
                csrf_token: "csrf".into(),
                created_at: now,
                expires_at: now + Duration::hours(12),
            })
            .await
            .unwrap();
        let session = store.session(&hash).await.unwrap().expect(&label);
        assert_eq!((session.user, session.role), (user, Role::Agent), "{label}");
        assert_eq!(session.login.as_str(), "anna");
        assert_eq!(session.csrf_token, "csrf");
        assert!(
            store
                .session(&secret_hash("other"))
                .await
                .unwrap()
                .is_none()
        );

        let later = now + Duration::minutes(10);
        store.touch_session(&hash, later).await.unwrap();
        let touched = store.session(&hash).await.unwrap().unwrap();
        assert_eq!(
            touched.last_seen_at.timestamp(),
            later.timestamp(),
            "{label}"
        );

        let idle_cutoff = later - Duration::minutes(1);
        assert_eq!(
            store
                .delete_stale_sessions(later, idle_cutoff)
                .await
                .unwrap(),
            0
        );
        let removed = store
            .delete_stale_sessions(later, later + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(removed, 1, "{label}: an idle session is stale");
        assert!(store.session(&hash).await.unwrap().is_none());

        store
            .create_session(&NewSession {
                id_hash: hash.clone(),
                user,
                csrf_token: "csrf".into(),
                created_at: now,
                expires_at: now + Duration::hours(12),
            })
            .await
            .unwrap();
        store.delete_session(&hash).await.unwrap();
        store.delete_session(&hash).await.unwrap();
        assert!(store.session(&hash).await.unwrap().is_none(), "{label}");
    }
}

#[actix_web::test]
async fn sign_in_sets_a_strict_cookie_that_works_on_the_api_with_csrf_on_changes() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    user_with_password(&store, "anna", Role::Agent, "correct horse").await;
    let app = test::init_service(create_app(AppState::new(
        store.clone(),
        WebConfig::default(),
    )))
    .await;

    let anonymous = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(anonymous.headers().get("location").unwrap(), "/login");
    let form = test::call_service(&app, test::TestRequest::get().uri("/login").to_request()).await;
    assert_eq!(form.status(), StatusCode::OK);
    let html = String::from_utf8(test::read_body(form).await.to_vec()).unwrap();
    assert!(html.contains("name=\"password\"") && html.contains("/static/app.css?v="));

    let wrong = test::call_service(&app, login_form("anna", "wrong").to_request()).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&wrong).is_none());

    let signed_in =
        test::call_service(&app, login_form("anna", "correct horse").to_request()).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers().get("location").unwrap(), "/search");
    let cookie = session_cookie(&signed_in).unwrap();
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(
        cookie.same_site(),
        Some(actix_web::cookie::SameSite::Strict)
    );
    assert_eq!(cookie.path(), Some("/"));
    let stored = store
        .session(&secret_hash(cookie.value()))
        .await
        .unwrap()
        .unwrap();
    assert!(
        store.session(cookie.value()).await.unwrap().is_none(),
        "the store keeps only the id's hash"
    );

    // The cookie authenticates API reads; a change needs the CSRF token (bearer tokens do not).
    let read = test::TestRequest::get()
        .uri("/api/v1/customers/404")
        .cookie(cookie.clone())
        .to_request();
    assert_eq!(
        test::call_service(&app, read).await.status(),
        StatusCode::NOT_FOUND
    );
    let change = |token: Option<&str>| {
        let mut request = test::TestRequest::put()
            .uri("/api/v1/me/status")
            .cookie(cookie.clone())
            .set_json(serde_json::json!({ "status": "available" }));
        if let Some(token) = token {
            request = request.insert_header(("X-CSRF-Token", token));
        }
        request.to_request()
    };
    let missing = test::call_service(&app, change(None)).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    let problem: serde_json::Value = test::read_body_json(missing).await;
    assert_eq!(problem["code"], "forbidden");
    let wrong_token = test::call_service(&app, change(Some("not-the-token"))).await;
    assert_eq!(wrong_token.status(), StatusCode::FORBIDDEN);
    let right = test::call_service(&app, change(Some(&stored.csrf_token))).await;
    assert_eq!(right.status(), StatusCode::NO_CONTENT);

    // A form post carries the token as a field.
    let logout_without = test::TestRequest::post()
        .uri("/logout")
        .cookie(cookie.clone())
        .set_form([("csrf_token", "nope")])
        .to_request();
    assert_eq!(
        test::call_service(&app, logout_without).await.status(),
        StatusCode::FORBIDDEN
    );
    let logout = test::TestRequest::post()
        .uri("/logout")
        .cookie(cookie.clone())
        .set_form([("csrf_token", stored.csrf_token.as_str())])
        .to_request();
    let logged_out = test::call_service(&app, logout).await;
    assert_eq!(logged_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(session_cookie(&logged_out).unwrap().value(), "");
    assert!(store.session(&stored.id_hash).await.unwrap().is_none());
    let after = test::TestRequest::get()
        .uri("/api/v1/customers/404")
        .cookie(cookie)
        .to_request();
    assert_eq!(
        test::call_service(&app, after).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn repeated_failures_throttle_sign_in_for_that_login_and_address() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    user_with_password(&store, "anna", Role::Agent, "right").await;
    let app = test::init_service(create_app(AppState::new(store, WebConfig::default()))).await;
    for _ in 0..5 {
        let response = test::call_service(&app, login_form("anna", "wrong").to_request()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let throttled = test::call_service(&app, login_form("anna", "right").to_request()).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(session_cookie(&throttled).is_none());
    let elsewhere = login_form("anna", "right")
        .peer_addr("127.0.0.9:40000".parse().unwrap())
        .to_request();
    assert_eq!(
        test::call_service(&app, elsewhere).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[actix_web::test]
async fn pages_follow_the_language_cookie_then_accept_language() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let app = test::init_service(create_app(AppState::new(store, WebConfig::default()))).await;
    let page = |request: test::TestRequest| {
        let app = &app;
        async move {
            let response = test::call_service(app, request.uri("/login").to_request()).await;
            String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
        }
    };
    assert!(page(test::TestRequest::get()).await.contains("Sign in"));
    let dutch =
        page(test::TestRequest::get().insert_header(("Accept-Language", "nl-NL,en;q=0.5"))).await;
    assert!(dutch.contains("Aanmelden") && dutch.contains("lang=\"nl\""));
    let chosen = page(
        test::TestRequest::get()
            .insert_header(("Accept-Language", "nl"))
            .cookie(Cookie::new("sb_lang", "en")),
    )
    .await;
    assert!(chosen.contains("Sign in"));

    let choose = test::TestRequest::post()
        .uri("/language")
        .set_form([("lang", "nl"), ("back", "//evil.example/")])
        .to_request();
    let response = test::call_service(&app, choose).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers().get("location").unwrap(), "/work");
    let cookie = response
        .response()
        .cookies()
        .find(|cookie| cookie.name() == "sb_lang")
        .unwrap();
    assert_eq!(cookie.value(), "nl");
}

#[actix_web::test]
async fn a_serving_node_sweeps_stale_sessions_and_keeps_live_ones() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let user = user_with_password(&store, "sweep", Role::Agent, "secret").await;
        let now = Utc::now();
        let session = |id: &str, last_request: chrono::DateTime<Utc>| NewSession {
            id_hash: secret_hash(id),
            user,
            csrf_token: "csrf".into(),
            created_at: last_request,
            expires_at: last_request + Duration::hours(12),
        };
        store
            .create_session(&session("idle", now - Duration::hours(2)))
            .await
            .unwrap();
        store
            .create_session(&session("live", now - Duration::minutes(5)))
            .await
            .unwrap();
        let sweeper = switchboard_server::session_sweeper::start(
            store.clone(),
            std::sync::Arc::new(switchboard_core::SystemClock),
            Duration::hours(1),
            std::time::Duration::from_millis(20),
        );
        let mut swept = false;
        for _ in 0..250 {
            if store.session(&secret_hash("idle")).await.unwrap().is_none() {
                swept = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        sweeper.abort();
        assert!(swept, "{label}: the idle session was not swept");
        assert!(
            store.session(&secret_hash("live")).await.unwrap().is_some(),
            "{label}: a live session must stay"
        );
    }
}

/// Each node keeps the sessions it read a moment ago: a sign-out or a disabled user applies at
/// once on the node that made the change, and on another node once its copy is older than
/// `fresh_cache::FRESH_FOR`.
#[actix_web::test]
async fn a_change_made_on_another_node_applies_within_seconds() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let user = user_with_password(&store, "nodes", Role::Agent, "secret").await;
        let session = UiSession::open(&store, user, "nodes").await;
        let node = |store| create_app(AppState::new(store, WebConfig::default()));
        let here = test::init_service(node(store.clone())).await;
        let there = test::init_service(node(store.clone())).await;
        for app in [&here, &there] {
            let page = test::call_service(app, session.page("/work").to_request()).await;
            assert_eq!(page.status(), StatusCode::OK, "{label}");
        }

        let logout = session.form("/logout", &[]).to_request();
        assert_eq!(
            test::call_service(&here, logout).await.status(),
            StatusCode::SEE_OTHER
        );
        let at_once = test::call_service(&here, session.page("/work").to_request()).await;
        assert_eq!(location(&at_once), "/login?next=%2Fwork", "{label}");

        tokio::time::sleep(FRESH_FOR + std::time::Duration::from_millis(100)).await;
        let later = test::call_service(&there, session.page("/work").to_request()).await;
        assert_eq!(location(&later), "/login?next=%2Fwork", "{label}");
    }
}
