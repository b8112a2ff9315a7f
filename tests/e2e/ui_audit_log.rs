//! The audit log page in process on every configured database: a lead reads it (an agent may
//! not), filters by kind, actor and dates narrow the list, sixty events page as fifty and ten
//! through the "older" link, an unknown actor is named as the problem, and hostile text in an
//! event's details is shown escaped.

use actix_web::http::StatusCode;
use actix_web::test;
use chrono::{Duration, TimeZone, Utc};
use switchboard_core::event::{Actor, NewEvent};
use switchboard_core::user::Role;
use switchboard_tests::ui_session::{UiSession, body_text};
use switchboard_tests::user_with_password;
use switchboard_web::{AppState, WebConfig, create_app};

/// How many event rows a page lists.
fn rows(body: &str) -> usize {
    body.matches("<tr id=\"event-").count()
}

#[actix_web::test]
async fn leads_read_the_audit_log_filtered_paged_and_escaped_on_every_database() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in switchboard_tests::stores(folder.path()).await {
        let admin = user_with_password(&store, "root", Role::Admin, "pw").await;
        let lead = user_with_password(&store, "lena", Role::Lead, "pw").await;
        let agent = user_with_password(&store, "aart", Role::Agent, "pw").await;
        let lead_session = UiSession::open(&store, lead, "lead").await;
        let agent_session = UiSession::open(&store, agent, "agent").await;
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 8, 0, 0).unwrap();
        // Sixty queue changes by the admin on 30 November, one a minute, then on 1 December
        // a user change by a token whose details carry markup.
        for minute in 0..60 {
            store
                .record_event(&NewEvent {
                    at: at + Duration::minutes(minute),
                    actor: Actor::User { id: admin },
                    action: "queue.settings_changed".into(),
                    item_id: None,
                    details: serde_json::json!({ "minute": minute }),
                })
                .await
                .unwrap();
        }
        store
            .record_event(&NewEvent {
                at: at + Duration::days(1),
                actor: Actor::Token { name: "crm".into() },
                action: "user.created".into(),
                item_id: None,
                details: serde_json::json!({ "login": "<script>alert('x')</script>" }),
            })
            .await
            .unwrap();
        let app = test::init_service(create_app(AppState::new(
            store.clone(),
            WebConfig::default(),
        )))
        .await;
        let get = |session: &UiSession, uri: &str| session.page(uri).to_request();

        let refused = test::call_service(&app, get(&agent_session, "/audit")).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{label}");

        let first = test::call_service(&app, get(&lead_session, "/audit")).await;
        assert_eq!(first.status(), StatusCode::OK, "{label}");
        let body = body_text(first).await;
        assert_eq!(rows(&body), 50, "{label}");
        assert!(
            body.contains("token crm") && body.contains(">root<"),
            "{label}"
        );
        assert!(
            !body.contains("<script>alert"),
            "{label}: markup is escaped"
        );
        assert!(body.contains("&#60;script&#62;"), "{label}");
        let older = body
            .split("id=\"audit-older\"")
            .next()
            .and_then(|head| head.rsplit("href=\"").next())
            .map(|href| href.trim_end_matches("\" ").replace("&#38;", "&"))
            .unwrap();
        assert!(older.starts_with("/audit?"), "{label}: {older}");
        let second = test::call_service(&app, get(&lead_session, &older)).await;
        let body = body_text(second).await;
        assert_eq!(rows(&body), 11, "{label}");
        assert!(!body.contains("id=\"audit-older\""), "{label}");

        let by_kind = test::call_service(&app, get(&lead_session, "/audit?kind=user.")).await;
        let body = body_text(by_kind).await;
        assert_eq!(rows(&body), 1, "{label}");
        assert!(body.contains("user.created"), "{label}");

        let by_actor_and_day = test::call_service(
            &app,
            get(
                &lead_session,
                "/audit?actor=root&from=2026-12-01&to=2026-12-01",
            ),
        )
        .await;
        assert_eq!(rows(&body_text(by_actor_and_day).await), 0, "{label}");
        let by_actor = test::call_service(
            &app,
            get(
                &lead_session,
                "/audit?actor=root&from=2026-11-30&to=2026-11-30&kind=queue.",
            ),
        )
        .await;
        assert_eq!(rows(&body_text(by_actor).await), 50, "{label}");
        let by_token = test::call_service(&app, get(&lead_session, "/audit?actor=token:crm")).await;
        assert_eq!(rows(&body_text(by_token).await), 1, "{label}");

        let unknown = test::call_service(
            &app,
            get(&lead_session, "/audit?actor=nobody&from=yesterday"),
        )
        .await;
        assert_eq!(unknown.status(), StatusCode::OK, "{label}");
        let body = body_text(unknown).await;
        assert_eq!(rows(&body), 0, "{label}");
        assert!(body.contains("id=\"audit-problem-actor\""), "{label}");
        assert!(body.contains("id=\"audit-problem-from\""), "{label}");
    }
}
