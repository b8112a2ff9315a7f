//! The admin's SLA page in process on every configured database, with a real ingest pipeline
//! sharing the page's policy: the configuration file's settings are shown until a version is
//! saved; hours that close before they open are refused at that day and change nothing; a
//! saved version is in force at once (an e-mail ingested next is due after the new target,
//! without a restart), is audited, reaches a second node's policy through the follower, and
//! can be restored; "use the configuration file" returns to the file's settings; a version
//! that cannot be read is named on the page instead of breaking it.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use actix_web::test;
use chrono::{Duration, Utc};
use switchboard_core::event::Actor;
use switchboard_core::ingest::IngestOutcome;
use switchboard_core::item::Channel;
use switchboard_core::store::Store;
use switchboard_core::user::Role;
use switchboard_router::sla::{SharedSlaPolicy, SlaPolicy, SlaSettings, SlaTarget};
use switchboard_server::pipeline::{Pipeline, PipelineSettings};
use switchboard_tests::ui_session::{UiSession, body_text};
use switchboard_tests::user_with_password;
use switchboard_web::{AppState, WebConfig, create_app};

/// The file's settings: open around the clock in UTC, e-mail due within 8 business hours.
fn file_settings() -> SlaSettings {
    SlaSettings {
        timezone: "UTC".into(),
        hours: switchboard_router::sla::DAY_NAMES
            .iter()
            .map(|day| ((*day).to_owned(), "00:00-24:00".to_owned()))
            .collect(),
        holidays: Vec::new(),
        at_risk_share: 0.75,
        targets: vec![SlaTarget {
            queue: None,
            channel: Some(Channel::Email),
            business_minutes: 480,
        }],
    }
}

/// The page's form fields for the file's settings with e-mail due within `minutes` and
/// Wednesday's hours `wednesday`.
fn fields(minutes: &str, wednesday: &str) -> Vec<(String, String)> {
    let mut fields = vec![
        ("timezone".to_owned(), "UTC".to_owned()),
        ("at_risk_percent".to_owned(), "50".to_owned()),
        ("holidays".to_owned(), "2026-12-25\n2026-12-26".to_owned()),
        ("queue_0".to_owned(), String::new()),
        ("channel_0".to_owned(), "email".to_owned()),
        ("minutes_0".to_owned(), minutes.to_owned()),
        ("queue_1".to_owned(), String::new()),
        ("channel_1".to_owned(), String::new()),
        ("minutes_1".to_owned(), String::new()),
    ];
    for day in switchboard_router::sla::DAY_NAMES {
        let hours = if day == "wed" {
            wednesday
        } else {
            "00:00-24:00"
        };
        fields.push((format!("hours_{day}"), hours.to_owned()));
    }
    fields
}

fn borrowed(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect()
}

fn email_target(policy: &SharedSlaPolicy) -> Option<Duration> {
    policy.current().target_for(None, Channel::Email)
}

/// Ingests a new e-mail and returns how long after ingesting it is due (bounded by the time
/// the ingest took).
async fn due_after_ingest(
    store: &Arc<dyn Store>,
    pipeline: &Pipeline,
    n: u32,
) -> (Duration, Duration) {
    let raw = format!(
        "From: Klant <klant{n}@example.com>\r\nTo: service@example.com\r\n\
         Subject: Vraag {n}\r\nMessage-ID: <sla-{n}@example.com>\r\n\
         Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nWaar blijft mijn bestelling?\r\n"
    );
    let before = Utc::now();
    let outcome = pipeline
        .ingest_raw(Channel::Email, &format!("test-{n}"), raw.into_bytes())
        .await
        .unwrap();
    let after = Utc::now();
    let IngestOutcome::Ingested { item, .. } = outcome else {
        panic!("not ingested: {outcome:?}")
    };
    let due = store.item(item).await.unwrap().unwrap().sla_due_at.unwrap();
    (due - after, due - before)
}

#[actix_web::test]
async fn an_admin_puts_sla_settings_in_force_without_a_restart_on_every_database() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in switchboard_tests::stores(folder.path()).await {
        let admin = user_with_password(&store, "root", Role::Admin, "pw").await;
        let session = UiSession::open(&store, admin, "admin").await;
        let pipeline = Pipeline::new(
            store.clone(),
            switchboard_store::BlobStore::new(folder.path().join(format!("blobs-{label}"))),
            PipelineSettings {
                sla: file_settings(),
                ..PipelineSettings::default()
            },
        )
        .await
        .unwrap();
        let shared = pipeline.sla_policy();
        let state = AppState::new(store.clone(), WebConfig::default())
            .with_shared_sla(shared.clone(), file_settings());
        let app = test::init_service(create_app(state)).await;
        // A second node: its own policy, following the saved versions.
        let other_node = SharedSlaPolicy::new(SlaPolicy::from_settings(&file_settings()).unwrap());
        let follower = switchboard_server::sla_settings::follow(
            store.clone(),
            file_settings(),
            other_node.clone(),
            None,
            StdDuration::from_millis(50),
        );

        let page = test::call_service(&app, session.page("/admin/sla").to_request()).await;
        assert_eq!(page.status(), StatusCode::OK, "{label}");
        let body = body_text(page).await;
        assert!(body.contains("configuration file"), "{label}");
        assert!(body.contains("name=\"minutes_0\" value=\"480\""), "{label}");

        // Wednesday closing before it opens: refused at Wednesday, nothing stored or changed.
        let bad = fields("60", "17:00-09:00");
        let refused = test::call_service(
            &app,
            session.form("/admin/sla", &borrowed(&bad)).to_request(),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{label}");
        let body = body_text(refused).await;
        assert!(body.contains("id=\"problem-hours_wed\""), "{label}");
        assert!(
            body.contains("value=\"17:00-09:00\""),
            "{label}: the typed hours are kept"
        );
        assert!(
            store.sla_settings_versions(10).await.unwrap().is_empty(),
            "{label}"
        );
        assert_eq!(
            email_target(&shared),
            Some(Duration::minutes(480)),
            "{label}"
        );

        // Saved: in force at once for the next e-mail the pipeline places.
        let good = fields("60", "00:00-24:00");
        let saved = test::call_service(
            &app,
            session.form("/admin/sla", &borrowed(&good)).to_request(),
        )
        .await;
        assert_eq!(saved.status(), StatusCode::SEE_OTHER, "{label}");
        assert_eq!(
            email_target(&shared),
            Some(Duration::minutes(60)),
            "{label}"
        );
        let (least, most) = due_after_ingest(&store, &pipeline, 1).await;
        assert!(
            least <= Duration::minutes(60) && Duration::minutes(60) <= most,
            "{label}: due {least} .. {most} after ingest"
        );
        let versions = store.sla_settings_versions(10).await.unwrap();
        assert_eq!(versions.len(), 1, "{label}");
        let first = versions[0].version;
        assert_eq!(versions[0].created_by, Actor::User { id: admin }, "{label}");
        let stored: SlaSettings =
            serde_json::from_value(versions[0].document.clone().unwrap()).unwrap();
        assert_eq!(stored.holidays, vec!["2026-12-25", "2026-12-26"], "{label}");
        assert!((stored.at_risk_share - 0.5).abs() < 1e-9, "{label}");
        let events = store.recent_events("sla.", 10).await.unwrap();
        assert_eq!(events.len(), 1, "{label}");
        assert_eq!(events[0].actor, Actor::User { id: admin }, "{label}");
        assert_eq!(events[0].details["version"], first, "{label}");

        // The other node follows within its interval.
        let mut followed = false;
        for _ in 0..100 {
            if email_target(&other_node) == Some(Duration::minutes(60)) {
                followed = true;
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(20)).await;
        }
        assert!(
            followed,
            "{label}: the other node follows the saved version"
        );

        let page = test::call_service(&app, session.page("/admin/sla").to_request()).await;
        let body = body_text(page).await;
        assert!(
            body.contains(&format!("id=\"sla-version\">{first}<")),
            "{label}"
        );

        // A second version, then the first restored as a third.
        let second = fields("30", "00:00-24:00");
        test::call_service(
            &app,
            session.form("/admin/sla", &borrowed(&second)).to_request(),
        )
        .await;
        assert_eq!(
            email_target(&shared),
            Some(Duration::minutes(30)),
            "{label}"
        );
        let restored = test::call_service(
            &app,
            session
                .form(&format!("/admin/sla/{first}/restore"), &[])
                .to_request(),
        )
        .await;
        assert_eq!(restored.status(), StatusCode::SEE_OTHER, "{label}");
        assert_eq!(
            email_target(&shared),
            Some(Duration::minutes(60)),
            "{label}"
        );
        let versions = store.sla_settings_versions(10).await.unwrap();
        assert_eq!(versions.len(), 3, "{label}");
        assert_eq!(versions[0].document, versions[2].document, "{label}");

        // Back to the configuration file: a version without settings, the file's policy.
        let to_file =
            test::call_service(&app, session.form("/admin/sla/file", &[]).to_request()).await;
        assert_eq!(to_file.status(), StatusCode::SEE_OTHER, "{label}");
        assert_eq!(
            email_target(&shared),
            Some(Duration::minutes(480)),
            "{label}"
        );
        let newest = store.sla_settings_versions(1).await.unwrap().remove(0);
        assert_eq!(newest.document, None, "{label}");
        let (least, most) = due_after_ingest(&store, &pipeline, 2).await;
        assert!(
            least <= Duration::minutes(480) && Duration::minutes(480) <= most,
            "{label}: due {least} .. {most} after ingest"
        );
        assert_eq!(
            store.recent_events("sla.", 10).await.unwrap().len(),
            4,
            "{label}"
        );

        // A saved version that cannot be read (written by hand) is named on the page, which
        // still opens with the file's settings to save over it.
        store
            .save_sla_settings(
                Some(&serde_json::json!({ "timezone": 5 })),
                &Actor::System,
                Utc::now(),
            )
            .await
            .unwrap();
        let page = test::call_service(&app, session.page("/admin/sla").to_request()).await;
        assert_eq!(page.status(), StatusCode::OK, "{label}");
        let body = body_text(page).await;
        assert!(body.contains("cannot be read"), "{label}");
        assert!(body.contains("name=\"minutes_0\" value=\"480\""), "{label}");
        follower.abort();
    }
}
