//! The routing API through `create_app` in process, with the node's real router (stepped by
//! hand, so every decision happens when the test says), on SQLite and, when configured,
//! PostgreSQL: rule sets, offers answered, pull, lead overrides, explanations, and the admin's
//! queue and agent settings, each with its role check.

use std::sync::Arc;

use actix_web::{test, web};
use serde_json::{Value, json};
use switchboard_core::WorkItemId;
use switchboard_core::item::ItemStatus;
use switchboard_core::store::Store;
use switchboard_core::user::Role;
use switchboard_server::dispatch::{DispatchHandle, DispatchSettings};
use switchboard_tests::{bearer, stores, token};
use switchboard_web::{AppState, WebConfig, create_app};

use crate::store_item_work::event_actions;
use crate::store_routing::{agent, queued_item};

struct Tokens {
    agent: String,
    lead: String,
    admin: String,
}

async fn tokens(store: &Arc<dyn Store>) -> Tokens {
    Tokens {
        agent: token(store, Role::Agent).await,
        lead: token(store, Role::Lead).await,
        admin: token(store, Role::Admin).await,
    }
}

/// The node's router, not running: the test steps it with `round()`.
fn router(store: &Arc<dyn Store>) -> DispatchHandle {
    DispatchHandle::new(store.clone(), DispatchSettings::default())
}

macro_rules! app {
    ($store:expr, $router:expr) => {
        test::init_service(
            create_app(AppState::new($store.clone(), WebConfig::default()))
                .app_data(web::Data::from($router.as_router_handle())),
        )
        .await
    };
}

macro_rules! call {
    ($app:expr, $method:ident, $uri:expr, $token:expr) => {
        test::call_service(
            &$app,
            test::TestRequest::$method()
                .uri(&$uri)
                .insert_header(bearer(&$token))
                .to_request(),
        )
        .await
    };
    ($app:expr, $method:ident, $uri:expr, $token:expr, $body:expr) => {
        test::call_service(
            &$app,
            test::TestRequest::$method()
                .uri(&$uri)
                .insert_header(bearer(&$token))
                .set_json($body)
                .to_request(),
        )
        .await
    };
}

const INBOX_RULES: &str = r#"{"version": 1, "default_queue": "inbox"}"#;

#[actix_web::test]
async fn rule_sets_validate_save_and_activate_for_admins_only() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let tokens = tokens(&store).await;
        let router = router(&store);
        let app = app!(store, router);
        let good: Value = serde_json::from_str(INBOX_RULES).unwrap();
        let bad = json!({"version": 1, "default_queue": "inbox",
                         "rules": [{"name": "x", "when": "channel ==", "queue": "q"}]});

        let refused = call!(app, post, "/api/v1/rule-sets/validate", tokens.lead, &good);
        assert_eq!(refused.status(), 403, "{label}");
        let checked: Value = test::read_body_json(call!(
            app,
            post,
            "/api/v1/rule-sets/validate",
            tokens.admin,
            &bad
        ))
        .await;
        assert_eq!(checked["valid"], false, "{label}");
        assert!(!checked["errors"].as_array().unwrap().is_empty(), "{label}");

        let saved = call!(app, post, "/api/v1/rule-sets", tokens.admin, &bad);
        assert_eq!(saved.status(), 201, "{label}");
        let invalid_version = test::read_body_json::<Value, _>(saved).await["version"].clone();
        let saved: Value =
            test::read_body_json(call!(app, post, "/api/v1/rule-sets", tokens.admin, &good)).await;
        assert_eq!(saved["valid"], true, "{label}");
        let refused = call!(
            app,
            post,
            format!("/api/v1/rule-sets/{invalid_version}/activate"),
            tokens.admin
        );
        assert_eq!(refused.status(), 400, "{label}");
        let activated = call!(
            app,
            post,
            format!("/api/v1/rule-sets/{}/activate", saved["version"]),
            tokens.admin
        );
        assert_eq!(activated.status(), 200, "{label}");
        let listed: Value =
            test::read_body_json(call!(app, get, "/api/v1/rule-sets", tokens.admin)).await;
        let active: Vec<&Value> = listed
            .as_array()
            .unwrap()
            .iter()
            .filter(|set| set["active"] == true)
            .collect();
        assert_eq!(active.len(), 1, "{label}");
        assert_eq!(active[0]["version"], saved["version"], "{label}");
    }
}

/// Activates the one-queue rule set through the API.
pub(crate) async fn activate_inbox_rules(store: &Arc<dyn Store>) {
    activate_rules(store, &serde_json::from_str(INBOX_RULES).unwrap()).await;
}

/// Saves `document` as a valid rule set and makes it the active one.
async fn activate_rules(store: &Arc<dyn Store>, document: &Value) {
    let version = store
        .save_rule_set(document, true, "test", chrono::Utc::now())
        .await
        .unwrap();
    store
        .activate_rule_set(
            version,
            &switchboard_core::event::Actor::System,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
}

fn offered_to(app_work: &[Value; 2]) -> Option<usize> {
    app_work
        .iter()
        .position(|work| !work["offers"].as_array().unwrap().is_empty())
}

#[actix_web::test]
async fn offers_made_by_the_router_are_rejected_and_accepted_through_the_api() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let tokens = tokens(&store).await;
        let router = router(&store);
        activate_inbox_rules(&store).await;
        agent(&store, "ann").await;
        agent(&store, "bob").await;
        let item = queued_item(&store, "offer me").await;
        let app = app!(store, router);

        // The admin switches the queue to offers.
        let queues: Value =
            test::read_body_json(call!(app, get, "/api/v1/queues", tokens.admin)).await;
        let inbox = queues
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["name"] == "inbox")
            .unwrap();
        let changed = call!(
            app,
            put,
            format!("/api/v1/queues/{}", inbox["id"]),
            tokens.admin,
            json!({"offer_mode": "offer", "offer_timeout_seconds": 300})
        );
        assert_eq!(changed.status(), 200, "{label}");

        router.round().await.unwrap();
        let logins = ["ann", "bob"];
        let mut work = [Value::Null, Value::Null];
        for (slot, login) in logins.iter().enumerate() {
            work[slot] = test::read_body_json(call!(
                app,
                get,
                format!("/api/v1/me/work?agent={login}"),
                tokens.agent
            ))
            .await;
        }
        let first = offered_to(&work).unwrap();
        let offer = work[first]["offers"][0]["offer"].clone();
        assert_eq!(work[first]["offers"][0]["item"], item.get(), "{label}");
        // The other agent cannot answer someone else's offer.
        let other = 1 - first;
        let foreign = call!(
            app,
            post,
            format!("/api/v1/offers/{offer}/accept?agent={}", logins[other]),
            tokens.agent
        );
        assert_eq!(foreign.status(), 409, "{label}");
        let rejected = call!(
            app,
            post,
            format!("/api/v1/offers/{offer}/reject?agent={}", logins[first]),
            tokens.agent
        );
        assert_eq!(rejected.status(), 200, "{label}");

        // The router offers it to the other agent, who accepts.
        router.round().await.unwrap();
        let theirs: Value = test::read_body_json(call!(
            app,
            get,
            format!("/api/v1/me/work?agent={}", logins[other]),
            tokens.agent
        ))
        .await;
        let offer = theirs["offers"][0]["offer"].clone();
        assert!(offer.is_number(), "{label}: {theirs}");
        let accepted = call!(
            app,
            post,
            format!("/api/v1/offers/{offer}/accept?agent={}", logins[other]),
            tokens.agent
        );
        assert_eq!(accepted.status(), 200, "{label}");
        let again = call!(
            app,
            post,
            format!("/api/v1/offers/{offer}/accept?agent={}", logins[other]),
            tokens.agent
        );
        assert_eq!(again.status(), 409, "{label}");
        let stored = store.item(item).await.unwrap().unwrap();
        assert_eq!(stored.status, ItemStatus::Assigned, "{label}");

        // Leads read why: the history with the router's explanations.
        let refused = call!(
            app,
            get,
            format!("/api/v1/items/{item}/explanation"),
            tokens.agent
        );
        assert_eq!(refused.status(), 403, "{label}");
        let why: Value = test::read_body_json(call!(
            app,
            get,
            format!("/api/v1/items/{item}/explanation"),
            tokens.lead
        ))
        .await;
        let outcomes: Vec<&str> = why["assignments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["outcome"].as_str().unwrap_or("open"))
            .collect();
        assert_eq!(outcomes, ["rejected", "accepted", "open"], "{label}");
        assert!(why["assignments"][0]["explanation"].is_object(), "{label}");
    }
}

#[actix_web::test]
async fn agents_pull_and_leads_reassign_move_and_reprioritise() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _) in stores(folder.path()).await {
        let tokens = tokens(&store).await;
        let router = router(&store);
        activate_inbox_rules(&store).await;
        agent(&store, "ann").await;
        let bob = agent(&store, "bob").await;
        let items: Vec<WorkItemId> = [
            queued_item(&store, "one").await,
            queued_item(&store, "two").await,
            queued_item(&store, "three").await,
        ]
        .to_vec();
        let app = app!(store, router);

        let pulled = call!(app, post, "/api/v1/items/next?agent=ann", tokens.agent);
        assert_eq!(pulled.status(), 200, "{label}");
        let pulled: Value = test::read_body_json(pulled).await;
        let first = WorkItemId::new(pulled["item_id"].as_i64().unwrap());
        assert!(items.contains(&first), "{label}");
        assert_eq!(
            store.item(first).await.unwrap().unwrap().status,
            ItemStatus::Assigned
        );

        // Lead actions refuse agents.
        let refused = call!(
            app,
            post,
            format!("/api/v1/items/{first}/reassign"),
            tokens.agent,
            json!({"agent": "bob"})
        );
        assert_eq!(refused.status(), 403, "{label}");
        let missing_field = call!(
            app,
            post,
            format!("/api/v1/items/{first}/reassign"),
            tokens.lead,
            json!({})
        );
        assert_eq!(missing_field.status(), 400, "{label}");

        let reassigned = call!(
            app,
            post,
            format!("/api/v1/items/{first}/reassign"),
            tokens.lead,
            json!({"agent": "bob", "reason": "ann is on a call"})
        );
        assert_eq!(reassigned.status(), 200, "{label}");
        assert_eq!(
            store.item(first).await.unwrap().unwrap().assigned_user_id,
            Some(bob)
        );

        let moved = call!(
            app,
            post,
            format!("/api/v1/items/{first}/move"),
            tokens.lead,
            json!({"queue": "complaints"})
        );
        assert_eq!(moved.status(), 200, "{label}");
        let stored = store.item(first).await.unwrap().unwrap();
        assert_eq!(
            (stored.status, stored.assigned_user_id),
            (ItemStatus::Queued, None)
        );

        let rest: Vec<i64> = items
            .iter()
            .filter(|item| **item != first)
            .map(|item| item.get())
            .collect();
        let bulk: Value = test::read_body_json(call!(
            app,
            post,
            "/api/v1/items/bulk/priority",
            tokens.lead,
            json!({"items": [rest[0], rest[1], 999_999], "priority": 70})
        ))
        .await;
        let oks: Vec<bool> = bulk["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|result| result["ok"].as_bool().unwrap())
            .collect();
        assert_eq!(oks, [true, true, false], "{label}");
        let raised = store.item(WorkItemId::new(rest[0])).await.unwrap().unwrap();
        assert_eq!(raised.priority, 70, "{label}");

        let bulk_move: Value = test::read_body_json(call!(
            app,
            post,
            "/api/v1/items/bulk/reassign",
            tokens.lead,
            json!({"items": rest, "agent": "bob"})
        ))
        .await;
        assert!(
            bulk_move["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["ok"] == true),
            "{label}"
        );
        let bobs: Value =
            test::read_body_json(call!(app, get, "/api/v1/me/work?agent=bob", tokens.agent)).await;
        assert_eq!(bobs["assigned"].as_array().unwrap().len(), 2, "{label}");
        // Ann's pull now finds the moved item only if she may take it; nothing else waits.
        let status = call!(
            app,
            put,
            "/api/v1/me/status?agent=ann",
            tokens.agent,
            json!({"status": "away"})
        );
        assert_eq!(status.status(), 204, "{label}");
        let nothing = call!(app, post, "/api/v1/items/next?agent=ann", tokens.agent);
        assert_eq!(
            nothing.status(),
            204,
            "{label}: an away agent pulls nothing"
        );
    }
}

#[actix_web::test]
async fn admins_change_queue_and_agent_settings_within_their_limits() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, url) in stores(folder.path()).await {
        let tokens = tokens(&store).await;
        let router = router(&store);
        agent(&store, "ann").await;
        queued_item(&store, "creates the inbox").await;
        let app = app!(store, router);

        assert_eq!(
            call!(app, get, "/api/v1/queues", tokens.lead).status(),
            403,
            "{label}"
        );
        let queues: Value =
            test::read_body_json(call!(app, get, "/api/v1/queues", tokens.admin)).await;
        let inbox_id = queues[0]["id"].clone();
        let uri = format!("/api/v1/queues/{inbox_id}");
        let bad = call!(
            app,
            put,
            uri,
            tokens.admin,
            json!({"aging_per_minute": -1.0, "offer_timeout_seconds": 1})
        );
        assert_eq!(bad.status(), 400, "{label}");
        let problem: Value = test::read_body_json(bad).await;
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["aging_per_minute", "offer_timeout_seconds"],
            "{label}"
        );
        let unknown = call!(app, put, uri, tokens.admin, json!({"strategy": "random"}));
        assert_eq!(unknown.status(), 400, "{label}");
        let refused = call!(app, put, uri, tokens.lead, json!({"aging_per_minute": 1.0}));
        assert_eq!(refused.status(), 403, "{label}");
        let changed = call!(
            app,
            put,
            uri,
            tokens.admin,
            json!({"strategy": "least_loaded", "aging_per_minute": 1.5, "cooldown_seconds": 60})
        );
        assert_eq!(changed.status(), 200, "{label}");
        let stored = store.queue_settings().await.unwrap();
        assert_eq!(stored[0].strategy.as_str(), "least_loaded", "{label}");
        assert_eq!(
            (stored[0].aging_per_minute, stored[0].cooldown_seconds),
            (1.5, 60)
        );
        assert_eq!(
            stored[0].offer_timeout_seconds, 120,
            "{label}: absent fields keep their value"
        );
        let missing = call!(app, put, "/api/v1/queues/999999", tokens.admin, json!({}));
        assert_eq!(missing.status(), 404, "{label}");

        let routing_uri = "/api/v1/agents/ann/routing";
        let bad = call!(
            app,
            put,
            routing_uri,
            tokens.admin,
            json!({"capacity": 0, "fairness": {"max": 5, "window_minutes": 0}})
        );
        assert_eq!(bad.status(), 400, "{label}");
        let unknown_queue = call!(
            app,
            put,
            routing_uri,
            tokens.admin,
            json!({"queues": [{"queue": "nowhere", "membership": "primary"}]})
        );
        assert_eq!(unknown_queue.status(), 400, "{label}");
        let changed = call!(
            app,
            put,
            routing_uri,
            tokens.admin,
            json!({"capacity": 60, "queues": [{"queue": "inbox", "membership": "secondary"}],
                   "fairness": {"max": 5, "window_minutes": 30}})
        );
        assert_eq!(changed.status(), 200, "{label}");
        let view: Value = test::read_body_json(call!(app, get, routing_uri, tokens.admin)).await;
        assert_eq!(view["capacity"], 60, "{label}");
        assert_eq!(
            view["queues"],
            json!([{"queue": "inbox", "membership": "secondary"}])
        );
        assert_eq!(
            view["fairness"],
            json!({"max": 5, "window_minutes": 30}),
            "{label}"
        );
        let lead_refused = call!(app, get, routing_uri, tokens.lead);
        assert_eq!(lead_refused.status(), 403, "{label}");
        let nobody = call!(app, get, "/api/v1/agents/nobody/routing", tokens.admin);
        assert_eq!(nobody.status(), 404, "{label}");

        let audited = event_actions(&url, None).await;
        assert!(
            audited.contains(&"queue.settings_changed".to_owned()),
            "{label}"
        );
        assert!(
            audited.contains(&"agent.routing_changed".to_owned()),
            "{label}"
        );
    }
}

#[actix_web::test]
async fn an_admin_giving_an_agent_a_skill_gets_the_item_waiting_for_it_assigned() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, url) in stores(folder.path()).await {
        let tokens = tokens(&store).await;
        let router = router(&store);
        let app = app!(store, router);
        let rules = json!({"version": 1, "default_queue": "inbox",
            "rules": [{"name": "complaints", "queue": "inbox", "require": ["complaint>=3"]}]});
        activate_rules(&store, &rules).await;
        // Ann works as the master-data agent A-7, so far without the skill.
        let record = call!(
            app,
            put,
            "/api/v1/agents/A-7",
            tokens.admin,
            json!({"name": "Ann"})
        );
        assert!(record.status().is_success(), "{label}");
        let ann = store
            .create_user(&switchboard_core::user::NewUser {
                login: switchboard_core::Login::new("ann"),
                display_name: "Ann".into(),
                role: Role::Agent,
                password_hash: None,
                agent_id: Some("A-7".into()),
            })
            .await
            .unwrap();
        store
            .set_agent_status(
                ann,
                switchboard_core::user::AgentStatus::Available,
                &switchboard_core::event::Actor::System,
                chrono::Utc::now(),
            )
            .await
            .unwrap();
        let item = queued_item(&store, "complaint").await;
        router.round().await.unwrap();
        let waiting = store.item(item).await.unwrap().unwrap();
        assert_eq!(
            waiting.status,
            ItemStatus::Queued,
            "{label}: nobody has the skill"
        );

        let uri = "/api/v1/agents/ann/routing";
        // Levels 1–5, well-formed names, each once: every problem named by its field.
        let bad = call!(
            app,
            put,
            uri,
            tokens.admin,
            json!({"skills": [{"name": "complaint", "level": 7}, {"name": "Key Account", "level": 2}]})
        );
        assert_eq!(bad.status(), 400, "{label}");
        let problem: Value = test::read_body_json(bad).await;
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["skills[0].level", "skills[1].name"],
            "{label}: {problem}"
        );
        let refused = call!(app, put, uri, tokens.lead, json!({"skills": []}));
        assert_eq!(refused.status(), 403, "{label}");
        router.round().await.unwrap();
        assert_eq!(
            store.item(item).await.unwrap().unwrap().status,
            ItemStatus::Queued,
            "{label}: refused changes change nothing"
        );

        let given = call!(
            app,
            put,
            uri,
            tokens.admin,
            json!({"skills": [{"name": "complaint", "level": 4}, {"name": "lang:nl", "level": 5}]})
        );
        assert_eq!(given.status(), 200, "{label}");
        let view: Value = test::read_body_json(given).await;
        assert_eq!(
            view["skills"],
            json!([{"name": "complaint", "level": 4}, {"name": "lang:nl", "level": 5}]),
            "{label}"
        );
        // The change woke the router; its next round assigns the waiting item to Ann.
        router.round().await.unwrap();
        let routed = store.item(item).await.unwrap().unwrap();
        assert_eq!(routed.status, ItemStatus::Assigned, "{label}");
        assert_eq!(routed.assigned_user_id, Some(ann), "{label}");
        assert!(
            event_actions(&url, None)
                .await
                .contains(&"agent.routing_changed".to_owned()),
            "{label}"
        );

        // A user linked to no agent record has nowhere to keep skills: 409, nothing changed.
        agent(&store, "bob").await;
        let unlinked = call!(
            app,
            put,
            "/api/v1/agents/bob/routing",
            tokens.admin,
            json!({"capacity": 50, "skills": [{"name": "complaint", "level": 3}]})
        );
        assert_eq!(unlinked.status(), 409, "{label}");
        let bob: Value =
            test::read_body_json(call!(app, get, "/api/v1/agents/bob/routing", tokens.admin)).await;
        assert_ne!(bob["capacity"], 50, "{label}");
    }
}

#[actix_web::test]
async fn an_import_leaves_the_skills_an_admin_set_and_updates_the_others() {
    let folder = tempfile::tempdir().unwrap();
    for (label, store, _url) in stores(folder.path()).await {
        let tokens = tokens(&store).await;
        let router = router(&store);
        let app = app!(store, router);
        for (record, login) in [("A-7", "ann"), ("A-8", "bob")] {
            let created = call!(
                app,
                put,
                format!("/api/v1/agents/{record}"),
                tokens.admin,
                json!({"name": login})
            );
            assert!(created.status().is_success(), "{label}");
            store
                .create_user(&switchboard_core::user::NewUser {
                    login: switchboard_core::Login::new(login),
                    display_name: login.into(),
                    role: Role::Agent,
                    password_hash: None,
                    agent_id: Some(record.into()),
                })
                .await
                .unwrap();
        }
        let import = |lines: &[&str]| {
            test::TestRequest::post()
                .uri("/api/v1/import/agent_skills")
                .insert_header(bearer(&tokens.admin))
                .set_payload(lines.join("\n"))
                .to_request()
        };
        let first: Value = test::call_and_read_body_json(
            &app,
            import(&[
                r#"{"agent_id": "A-7", "skill": "complaint", "proficiency": 2}"#,
                r#"{"agent_id": "A-8", "skill": "complaint", "proficiency": 2}"#,
            ]),
        )
        .await;
        assert_eq!(first["new"], 2, "{label}: {first}");

        // The admin sets Ann's list: it is hers from now on.
        let given = call!(
            app,
            put,
            "/api/v1/agents/ann/routing",
            tokens.admin,
            json!({"skills": [{"name": "complaint", "level": 4}, {"name": "lang:nl", "level": 5}]})
        );
        assert_eq!(given.status(), 200, "{label}");

        // The next import changes Ann's level and adds a skill to her, and raises Bob's level.
        let second: Value = test::call_and_read_body_json(
            &app,
            import(&[
                r#"{"agent_id": "A-7", "skill": "complaint", "proficiency": 1}"#,
                r#"{"agent_id": "A-7", "skill": "key_account", "proficiency": 3}"#,
                r#"{"agent_id": "A-8", "skill": "complaint", "proficiency": 5}"#,
            ]),
        )
        .await;
        assert_eq!(
            second,
            json!({"kind": "agent_skills", "rows": 3, "new": 0, "updated": 1, "unchanged": 2}),
            "{label}: Ann's rows are kept as the admin set them"
        );
        let read = |login: &str| format!("/api/v1/agents/{login}/routing");
        let ann: Value = test::read_body_json(call!(app, get, read("ann"), tokens.admin)).await;
        assert_eq!(
            ann["skills"],
            json!([{"name": "complaint", "level": 4}, {"name": "lang:nl", "level": 5}]),
            "{label}"
        );
        let bob: Value = test::read_body_json(call!(app, get, read("bob"), tokens.admin)).await;
        assert_eq!(
            bob["skills"],
            json!([{"name": "complaint", "level": 5}]),
            "{label}: agents no admin edited follow the import"
        );
    }
}
