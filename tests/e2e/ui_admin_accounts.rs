//! The admin's users and API-token pages in process, through their forms with the session's
//! CSRF token: creating a user who can then sign in, changing a role, disabling (the user's
//! session stops working) and enabling, resetting a password, refusing to lock oneself out;
//! creating a token shown once that then works on the API and records its use, and revoking
//! it. Every change is in the audit trail.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::test;
use switchboard_core::Login;
use switchboard_core::event::Actor;
use switchboard_core::user::Role;
use switchboard_tests::ui_session::{UiSession, body_text, location};
use switchboard_tests::{bearer, user_with_password};
use switchboard_web::{AppState, WebConfig, create_app};

fn sign_in(login: &str, password: &str) -> test::TestRequest {
    test::TestRequest::post()
        .uri("/login")
        .peer_addr("127.0.0.1:40001".parse().unwrap())
        .set_form([("login", login), ("password", password), ("next", "/work")])
}

#[actix_web::test]
async fn an_admin_manages_users_and_tokens_through_the_pages_and_every_change_is_audited() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let admin = user_with_password(&store, "root", Role::Admin, "root-password").await;
    let session = UiSession::open(&store, admin, "admin").await;
    let app = test::init_service(create_app(AppState::new(
        store.clone(),
        WebConfig::default(),
    )))
    .await;

    // Create: a too-short password is refused on the page, a good one creates a user who signs in.
    let short = [
        ("login", "bert"),
        ("display_name", "Bert"),
        ("role", "agent"),
        ("password", "short"),
    ];
    let refused = test::call_service(&app, session.form("/admin/users", &short).to_request()).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body = body_text(refused).await;
    assert!(body.contains("at least 8 characters"), "{body}");
    let fields = [
        ("login", "bert"),
        ("display_name", "Bert B."),
        ("role", "agent"),
        ("password", "bert-secret-1"),
    ];
    let created =
        test::call_service(&app, session.form("/admin/users", &fields).to_request()).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&created), "/admin/users?done=created");
    let bert = store
        .user_credentials(&Login::new("bert"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (bert.user.role, bert.user.display_name.as_str()),
        (Role::Agent, "Bert B.")
    );
    assert!(bert.password_hash.unwrap().starts_with("$argon2"));
    let taken = test::call_service(&app, session.form("/admin/users", &fields).to_request()).await;
    assert_eq!(taken.status(), StatusCode::BAD_REQUEST);
    let signed_in = test::call_service(&app, sign_in("bert", "bert-secret-1").to_request()).await;
    assert_eq!(location(&signed_in), "/work");
    let bert_cookie = signed_in
        .response()
        .cookies()
        .find(|cookie| cookie.name() == "sb_session")
        .map(Cookie::into_owned)
        .unwrap();

    // The list shows the user; the page never shows a password hash.
    let listed =
        test::call_service(&app, session.page("/admin/users?done=created").to_request()).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let body = body_text(listed).await;
    assert!(body.contains("id=\"user-bert\"") && body.contains("The user is created."));
    assert!(!body.contains("$argon2"));

    // Role: Bert's session (read, and kept by the node, on his first page) has the new role on
    // his next request.
    let with_bert = |path: &str| {
        test::TestRequest::get()
            .uri(path)
            .cookie(bert_cookie.clone())
            .to_request()
    };
    assert_eq!(
        test::call_service(&app, with_bert("/work")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        test::call_service(&app, with_bert("/lead")).await.status(),
        StatusCode::FORBIDDEN
    );
    let role = test::call_service(
        &app,
        session
            .form("/admin/users/bert/role", &[("role", "lead")])
            .to_request(),
    )
    .await;
    assert_eq!(role.status(), StatusCode::SEE_OTHER);
    let bert = store
        .user_credentials(&Login::new("bert"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bert.user.role, Role::Lead);
    assert_eq!(
        test::call_service(&app, with_bert("/lead")).await.status(),
        StatusCode::OK
    );

    // Disable: Bert's open session stops working and he cannot sign in; enable again.
    let disabled = test::call_service(
        &app,
        session
            .form("/admin/users/bert/active", &[("active", "false")])
            .to_request(),
    )
    .await;
    assert_eq!(location(&disabled), "/admin/users?done=disabled");
    let with_old_session = test::call_service(&app, with_bert("/work")).await;
    assert!(
        location(&with_old_session).starts_with("/login"),
        "{}",
        with_old_session.status()
    );
    let again = test::call_service(&app, sign_in("bert", "bert-secret-1").to_request()).await;
    assert_ne!(location(&again), "/work");
    test::call_service(
        &app,
        session
            .form("/admin/users/bert/active", &[("active", "true")])
            .to_request(),
    )
    .await;
    assert!(
        store
            .user_credentials(&Login::new("bert"))
            .await
            .unwrap()
            .unwrap()
            .user
            .active
    );

    // Password reset: the new one signs in, the old one no longer does.
    let reset = test::call_service(
        &app,
        session
            .form(
                "/admin/users/bert/password",
                &[("password", "bert-secret-2")],
            )
            .to_request(),
    )
    .await;
    assert_eq!(location(&reset), "/admin/users?done=password_reset");
    let old = test::call_service(&app, sign_in("bert", "bert-secret-1").to_request()).await;
    assert_ne!(location(&old), "/work");
    let new = test::call_service(&app, sign_in("bert", "bert-secret-2").to_request()).await;
    assert_eq!(location(&new), "/work");

    // The admin cannot lock themselves out.
    for (uri, field) in [
        ("/admin/users/root/active", ("active", "false")),
        ("/admin/users/root/role", ("role", "lead")),
    ] {
        let refused = test::call_service(&app, session.form(uri, &[field]).to_request()).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{uri}");
    }
    let root = store
        .user_credentials(&Login::new("root"))
        .await
        .unwrap()
        .unwrap()
        .user;
    assert!(root.active && root.role == Role::Admin);

    // Token: shown once on the answer, works on the API, records its use, then is revoked.
    let created = test::call_service(
        &app,
        session
            .form("/admin/tokens", &[("name", "ERP sync"), ("role", "lead")])
            .to_request(),
    )
    .await;
    assert_eq!(created.status(), StatusCode::OK);
    let body = body_text(created).await;
    let plaintext = body
        .split("id=\"token-plaintext\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    assert!(
        plaintext.starts_with("sb_") && plaintext.len() > 40,
        "{plaintext}"
    );
    let listed = test::call_service(&app, session.page("/admin/tokens").to_request()).await;
    let body = body_text(listed).await;
    assert!(!body.contains(&plaintext), "the token is shown only once");
    assert!(body.contains(&plaintext[..9]), "its prefix is listed");
    let token = store.api_tokens().await.unwrap().remove(0);
    assert!(token.last_used_at.is_none());
    let board = test::TestRequest::get()
        .uri("/api/v1/board")
        .insert_header(bearer(&plaintext))
        .to_request();
    assert_eq!(
        test::call_service(&app, board).await.status(),
        StatusCode::OK
    );
    assert!(store.api_tokens().await.unwrap()[0].last_used_at.is_some());
    let revoke_uri = format!("/admin/tokens/{}/revoke", token.id);
    let revoked = test::call_service(&app, session.form(&revoke_uri, &[]).to_request()).await;
    assert_eq!(location(&revoked), "/admin/tokens?done=revoked");
    let board = test::TestRequest::get()
        .uri("/api/v1/board")
        .insert_header(bearer(&plaintext))
        .to_request();
    assert_eq!(
        test::call_service(&app, board).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // The audit trail: who did what, never a password.
    let mut actions = Vec::new();
    for prefix in ["user.", "api_token."] {
        for event in store.recent_events(prefix, 50).await.unwrap() {
            assert_eq!(event.actor, Actor::User { id: admin });
            assert!(
                !event.details.to_string().contains("secret"),
                "{}",
                event.details
            );
            actions.push(event.action);
        }
    }
    actions.sort();
    assert_eq!(
        actions,
        [
            "api_token.created",
            "api_token.revoked",
            "user.created",
            "user.disabled",
            "user.enabled",
            "user.password_reset",
            "user.role_changed",
        ]
    );
}
