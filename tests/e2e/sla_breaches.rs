//! SLA breaches recorded for reporting, on SQLite and (when configured) PostgreSQL: the router's
//! check records an item past due while its clock runs, once per item and due time whoever
//! checks again; a paused item (waiting on the customer) and one done in time are not breaches;
//! one done late is. The lead board counts breaches from the record, and the SLA report sums
//! due, met and breached items per queue and channel with answer times.

use std::collections::HashSet;
use std::sync::Arc;

use actix_web::test;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use switchboard_core::item::{Channel, ItemStatus, NewItem};
use switchboard_core::sla::SlaClock;
use switchboard_core::store::{ItemPlacement, Store};
use switchboard_core::user::{AgentStatus, Role};
use switchboard_core::work::{StatusChange, Worker};
use switchboard_core::{UserId, WorkItemId};
use switchboard_server::dispatch::{DispatchHandle, DispatchSettings};
use switchboard_tests::{bearer, stores, token};
use switchboard_web::{AppState, WebConfig, create_app};

use crate::store_routing::{agent, assign_now};

/// Whole seconds: PostgreSQL keeps microseconds only.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

/// A queued item that arrived three hours ago and is due `due_in` from now.
async fn item_due(
    store: &Arc<dyn Store>,
    source: &str,
    channel: Channel,
    due_in: Duration,
) -> WorkItemId {
    let due_at = now() + due_in;
    let item = NewItem::new(
        channel,
        source,
        now() - Duration::hours(3),
        "please call back",
    );
    let placement = ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some("inbox".into()),
        priority: 20,
        sla: Some(SlaClock {
            due_at,
            at_risk_at: due_at - Duration::minutes(30),
        }),
        ..ItemPlacement::default()
    };
    store.insert_item(&item, &placement).await.unwrap()
}

fn worker(agent: UserId) -> Worker {
    Worker {
        actor: switchboard_core::event::Actor::User { id: agent },
        name: "ann".into(),
        agent: Some(agent),
        lead: false,
    }
}

/// The items the tests look at, by name.
struct Cases {
    queued_late: WorkItemId,
    assigned_late: WorkItemId,
    paused_late: WorkItemId,
    due_later: WorkItemId,
}

/// One rule set sending everything to `inbox`, an agent who goes away after taking her items,
/// and an item for each case: queued and assigned past due, paused (waiting on the customer)
/// before its due time passed, due later, done late and done in time.
async fn cases(store: &Arc<dyn Store>) -> Cases {
    let version = store
        .save_rule_set(
            &serde_json::json!({ "version": 1, "default_queue": "inbox" }),
            true,
            "test",
            Utc::now(),
        )
        .await
        .unwrap();
    store
        .activate_rule_set(version, &switchboard_core::event::Actor::System, Utc::now())
        .await
        .unwrap();
    let ann = agent(store, "ann").await;
    let ann_works = worker(ann);
    let queued_late = item_due(store, "queued-late", Channel::Email, -Duration::hours(1)).await;
    let assigned_late = item_due(
        store,
        "assigned-late",
        Channel::Voicemail,
        -Duration::minutes(5),
    )
    .await;
    assign_now(store, assigned_late, ann).await;
    let paused_late = item_due(store, "paused", Channel::Email, -Duration::hours(1)).await;
    assign_now(store, paused_late, ann).await;
    store
        .change_item_status(
            paused_late,
            StatusChange::Waiting,
            &ann_works,
            &switchboard_tests::always_open_sla(),
            now() - Duration::hours(2),
        )
        .await
        .unwrap();
    let due_later = item_due(store, "later", Channel::Email, Duration::hours(2)).await;
    let done_late = item_due(store, "done-late", Channel::Email, -Duration::hours(2)).await;
    assign_now(store, done_late, ann).await;
    store
        .change_item_status(
            done_late,
            StatusChange::Done,
            &ann_works,
            &switchboard_tests::always_open_sla(),
            now(),
        )
        .await
        .unwrap();
    let done_in_time = item_due(store, "in-time", Channel::Email, Duration::hours(1)).await;
    assign_now(store, done_in_time, ann).await;
    store
        .change_item_status(
            done_in_time,
            StatusChange::Done,
            &ann_works,
            &switchboard_tests::always_open_sla(),
            now(),
        )
        .await
        .unwrap();
    store
        .set_agent_status(
            ann,
            AgentStatus::Away,
            &switchboard_core::event::Actor::System,
            Utc::now(),
        )
        .await
        .unwrap();
    Cases {
        queued_late,
        assigned_late,
        paused_late,
        due_later,
    }
}

#[tokio::test]
async fn breaches_are_recorded_once_while_the_clock_runs_and_reported() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let cases = cases(&store).await;
        let due_later_at = store
            .item(cases.due_later)
            .await
            .unwrap()
            .unwrap()
            .sla_due_at;

        // The router's check: the two open late items; the late answer was recorded when done.
        let router = DispatchHandle::new(store.clone(), DispatchSettings::default());
        let round = router.round().await.unwrap();
        assert_eq!(round.breaches, 2, "{label}");
        let expected: HashSet<WorkItemId> = [cases.queued_late, cases.assigned_late].into();
        assert_eq!(
            store.breached_open_items().await.unwrap(),
            expected,
            "{label}"
        );
        // Checked again (another node, a restart): nothing new, and the next check is due when
        // the next running clock is.
        let again = store.record_sla_breaches(now()).await.unwrap();
        assert_eq!(again.recorded, 0, "{label}");
        assert_eq!(again.next_due_at, due_later_at, "{label}");
        let fresh_router = DispatchHandle::new(store.clone(), DispatchSettings::default());
        assert_eq!(fresh_router.round().await.unwrap().breaches, 0, "{label}");

        // The report of the period holding every due time.
        let outcomes = store
            .sla_outcomes(now() - Duration::days(1), now() + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(outcomes.len(), 6, "{label}");
        let report = switchboard_core::sla_report::SlaReport::build(
            now() - Duration::days(1),
            now() + Duration::days(1),
            &outcomes,
        );
        let email = report
            .groups
            .iter()
            .find(|group| group.channel == Channel::Email)
            .unwrap();
        // Due: queued late, paused, later, done late, done in time.
        assert_eq!(
            (email.due, email.met, email.breached, email.open),
            (5, 1, 2, 2),
            "{label}"
        );
        assert_eq!(email.breach_rate, Some(2.0 / 3.0), "{label}");
        // Both answers came three hours after arrival (a second may have ticked meanwhile).
        let median = email.answer_seconds_median.unwrap();
        assert!(
            (3 * 3600..3 * 3600 + 10).contains(&median),
            "{label}: {median}"
        );
        let voicemail = report
            .groups
            .iter()
            .find(|group| group.channel == Channel::Voicemail)
            .unwrap();
        assert_eq!((voicemail.due, voicemail.breached), (1, 1), "{label}");
        assert!(
            !store
                .breached_open_items()
                .await
                .unwrap()
                .contains(&cases.paused_late),
            "{label}: a paused clock does not breach"
        );
    }
}

#[actix_web::test]
async fn leads_read_the_sla_report_and_the_board_counts_recorded_breaches() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let lead = token(&store, Role::Lead).await;
    let agent_token = token(&store, Role::Agent).await;
    let cases = cases(&store).await;
    let app = test::init_service(create_app(AppState::new(
        store.clone(),
        WebConfig::default(),
    )))
    .await;
    let get = |uri: String, token: &str| {
        test::TestRequest::get()
            .uri(&uri)
            .insert_header(bearer(token))
            .to_request()
    };
    let period = |from: DateTime<Utc>, to: DateTime<Utc>| {
        format!(
            "/api/v1/reports/sla?from={}&to={}",
            from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )
    };
    let day = period(now() - Duration::days(1), now() + Duration::days(1));

    // Before the router checked, the overdue queued item is at risk, not breached.
    let board: Value =
        test::read_body_json(test::call_service(&app, get("/api/v1/board".into(), &lead)).await)
            .await;
    let inbox_email = |board: &Value| {
        board["queues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|group| group["channel"] == "email")
            .cloned()
            .unwrap()
    };
    assert_eq!(inbox_email(&board)["sla_breached"], 0, "{board}");
    assert_eq!(inbox_email(&board)["sla_at_risk"], 1, "{board}");

    DispatchHandle::new(store.clone(), DispatchSettings::default())
        .round()
        .await
        .unwrap();
    let board: Value =
        test::read_body_json(test::call_service(&app, get("/api/v1/board".into(), &lead)).await)
            .await;
    assert_eq!(inbox_email(&board)["sla_breached"], 1, "{board}");
    assert_eq!(inbox_email(&board)["sla_at_risk"], 0, "{board}");

    let response = test::call_service(&app, get(day.clone(), &lead)).await;
    assert_eq!(response.status(), 200);
    let report: Value = test::read_body_json(response).await;
    let email = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|group| group["channel"] == "email" && group["queue"] == "inbox")
        .unwrap();
    assert_eq!(email["due"], 5, "{report}");
    assert_eq!(email["met"], 1, "{report}");
    assert_eq!(email["breached"], 2, "{report}");
    let p90 = email["answer_seconds_p90"].as_i64().unwrap();
    assert!((3 * 3600..3 * 3600 + 10).contains(&p90), "{report}");

    // A period without due times is empty; agents may not read reports; bad periods are 400.
    let empty = period(now() + Duration::days(3), now() + Duration::days(4));
    let report: Value =
        test::read_body_json(test::call_service(&app, get(empty, &lead)).await).await;
    assert_eq!(report["groups"], serde_json::json!([]));
    let refused = test::call_service(&app, get(day, &agent_token)).await;
    assert_eq!(refused.status(), 403);
    for bad in [
        "/api/v1/reports/sla".to_owned(),
        "/api/v1/reports/sla?from=yesterday&to=today".to_owned(),
        period(now(), now() - Duration::days(1)),
    ] {
        let response = test::call_service(&app, get(bad.clone(), &lead)).await;
        assert_eq!(response.status(), 400, "{bad}");
        let problem: Value = test::read_body_json(response).await;
        assert_eq!(problem["code"], "bad_input", "{bad}");
    }
    assert!(
        store
            .breached_open_items()
            .await
            .unwrap()
            .contains(&cases.queued_late)
    );
}
