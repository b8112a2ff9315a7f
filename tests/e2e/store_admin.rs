//! The administration port on SQLite and, when configured, PostgreSQL: disabling users,
//! listing, using and revoking API tokens, and reading audit events by action, actor and time.

use chrono::{Duration, TimeZone, Utc};
use switchboard_core::Login;
use switchboard_core::admin::{AuditQuery, NewApiToken};
use switchboard_core::event::{Actor, NewEvent};
use switchboard_core::session::NewSession;
use switchboard_core::user::Role;
use switchboard_tests::{stores, user_with_password};

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_and_loses_their_sessions_until_enabled() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let user = user_with_password(&store, "anna", Role::Agent, "pw").await;
        store
            .create_session(&NewSession {
                id_hash: "session-hash".into(),
                user,
                csrf_token: "csrf".into(),
                created_at: Utc::now(),
                expires_at: Utc::now() + Duration::hours(1),
            })
            .await
            .unwrap();
        assert!(store.session("session-hash").await.unwrap().is_some());

        store
            .set_user_active(&Login::new("anna"), false)
            .await
            .unwrap();
        let credentials = store
            .user_credentials(&Login::new("anna"))
            .await
            .unwrap()
            .unwrap();
        assert!(!credentials.user.active, "{label}");
        assert!(
            store.session("session-hash").await.unwrap().is_none(),
            "{label}"
        );

        store
            .set_user_active(&Login::new("anna"), true)
            .await
            .unwrap();
        assert!(
            store.session("session-hash").await.unwrap().is_some(),
            "{label}"
        );
        let missing = store.set_user_active(&Login::new("nobody"), false).await;
        assert!(missing.is_err(), "{label}");
    }
}

#[tokio::test]
async fn tokens_list_with_prefix_record_their_use_and_stop_when_revoked() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let created = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let make = |name: &str, hash: &str| NewApiToken {
            name: name.into(),
            role: Role::Lead,
            token_hash: hash.into(),
            prefix: format!("sb_{name}"),
        };
        let erp = store
            .create_api_token(&make("erp", "hash-erp"), created)
            .await
            .unwrap();
        let crm = store
            .create_api_token(&make("crm", "hash-crm"), created)
            .await
            .unwrap();

        let listed = store.api_tokens().await.unwrap();
        let ids: Vec<_> = listed.iter().map(|token| token.id).collect();
        assert_eq!(ids, vec![crm, erp], "{label}: newest first");
        assert_eq!(listed[1].prefix.as_deref(), Some("sb_erp"), "{label}");
        assert_eq!(listed[1].role, Role::Lead);
        assert!(listed[1].last_used_at.is_none() && listed[1].revoked_at.is_none());

        let used = created + Duration::minutes(5);
        store.touch_api_token(erp, used).await.unwrap();
        let found = store.api_token_by_hash("hash-erp").await.unwrap().unwrap();
        assert_eq!(found.last_used_at, Some(used), "{label}");

        let revoked = created + Duration::minutes(10);
        store.revoke_api_token(erp, revoked).await.unwrap();
        store
            .revoke_api_token(erp, revoked + Duration::minutes(1))
            .await
            .unwrap();
        assert!(
            store.api_token_by_hash("hash-erp").await.unwrap().is_none(),
            "{label}"
        );
        assert!(
            store.api_token_by_hash("hash-crm").await.unwrap().is_some(),
            "{label}"
        );
        let listed = store.api_tokens().await.unwrap();
        assert_eq!(
            listed[1].revoked_at,
            Some(revoked),
            "{label}: first revocation kept"
        );
        let unknown = store
            .revoke_api_token(switchboard_core::ApiTokenId::new(999_999), revoked)
            .await;
        assert!(unknown.is_err(), "{label}");
    }
}

#[tokio::test]
async fn recent_events_are_read_by_action_prefix_newest_first() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        for (minute, action) in [
            (0, "user.created"),
            (1, "rules.activated"),
            (2, "users.other"),
            (3, "user.role_changed"),
            (4, "user"),
        ] {
            store
                .record_event(&NewEvent {
                    at: at + Duration::minutes(minute),
                    actor: Actor::Token { name: "t".into() },
                    action: action.into(),
                    item_id: None,
                    details: serde_json::json!({ "minute": minute }),
                })
                .await
                .unwrap();
        }
        let found = store.recent_events("user.", 10).await.unwrap();
        let actions: Vec<&str> = found.iter().map(|event| event.action.as_str()).collect();
        assert_eq!(
            actions,
            vec!["user.role_changed", "user.created"],
            "{label}"
        );
        assert_eq!(found[0].details["minute"], 3);
        assert_eq!(found[0].actor, Actor::Token { name: "t".into() });
        assert_eq!(store.recent_events("user.", 1).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn audit_events_filter_by_action_actor_and_time_and_page_by_id() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let alice = Actor::User {
            id: switchboard_core::UserId::new(7),
        };
        let crm = Actor::Token { name: "crm".into() };
        for (minute, action, actor) in [
            (0, "user.created", &alice),
            (10, "queue.settings_changed", &crm),
            (20, "user.role_changed", &alice),
            (30, "user.disabled", &crm),
            (40, "rules.activated", &Actor::System),
            (50, "user.enabled", &alice),
        ] {
            store
                .record_event(&NewEvent {
                    at: at + Duration::minutes(minute),
                    actor: actor.clone(),
                    action: action.into(),
                    item_id: None,
                    details: serde_json::json!({ "minute": minute }),
                })
                .await
                .unwrap();
        }
        let minutes = |events: &[switchboard_core::event::AuditEvent]| -> Vec<i64> {
            events
                .iter()
                .map(|event| event.details["minute"].as_i64().unwrap())
                .collect()
        };
        let read = |query: AuditQuery| {
            let store = store.clone();
            async move { store.audit_events(&query).await.unwrap() }
        };
        let everything = read(AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        })
        .await;
        assert_eq!(minutes(&everything), vec![50, 40, 30, 20, 10, 0], "{label}");

        let by_alice = read(AuditQuery {
            actor: Some(alice.clone()),
            limit: 100,
            ..AuditQuery::default()
        })
        .await;
        assert_eq!(minutes(&by_alice), vec![50, 20, 0], "{label}");

        let users_by_token_in_window = read(AuditQuery {
            action_prefix: Some("user.".into()),
            actor: Some(crm.clone()),
            from: Some(at + Duration::minutes(5)),
            until: Some(at + Duration::minutes(45)),
            limit: 100,
            ..AuditQuery::default()
        })
        .await;
        assert_eq!(minutes(&users_by_token_in_window), vec![30], "{label}");

        // Two pages of two, each continuing before the last id shown.
        let first_page = read(AuditQuery {
            action_prefix: Some("user.".into()),
            limit: 2,
            ..AuditQuery::default()
        })
        .await;
        assert_eq!(minutes(&first_page), vec![50, 30], "{label}");
        let second_page = read(AuditQuery {
            action_prefix: Some("user.".into()),
            before: Some(first_page[1].id),
            limit: 2,
            ..AuditQuery::default()
        })
        .await;
        assert_eq!(minutes(&second_page), vec![20, 0], "{label}");

        let nothing_before = read(AuditQuery {
            until: Some(at),
            limit: 100,
            ..AuditQuery::default()
        })
        .await;
        assert!(nothing_before.is_empty(), "{label}");
    }
}
