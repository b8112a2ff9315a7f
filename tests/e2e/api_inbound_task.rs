//! The task API: created once per external id, updated in place, invalid payloads named field
//! by field, and NDJSON imports all or nothing.

use std::sync::Arc;

use actix_web::test;
use switchboard_core::WorkItemId;
use switchboard_core::item::Channel;
use switchboard_core::user::Role;
use switchboard_server::pipeline::Pipeline;
use switchboard_store::BlobStore;
use switchboard_tests::token;
use switchboard_web::{AppState, WebConfig, create_app};

#[actix_web::test]
async fn tasks_are_upserted_by_external_id_and_validated_per_field() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let agent = token(&store, Role::Agent).await;
    let config = switchboard_server::Config::default();
    let pipeline = Arc::new(
        Pipeline::new(
            store.clone(),
            BlobStore::new(folder.path().join("blobs")),
            config.pipeline_settings(),
        )
        .await
        .unwrap(),
    );
    let state = AppState::new(store.clone(), WebConfig::default())
        .with_ingestor(pipeline.clone())
        .with_tasks(pipeline);
    let app = test::init_service(create_app(state)).await;
    let post = |uri: &str, body: String| {
        test::TestRequest::post()
            .uri(uri)
            .insert_header(("Authorization", format!("Bearer {agent}")))
            .set_payload(body)
            .to_request()
    };
    let task = serde_json::json!({
        "external_id": "crm-1001",
        "title": "Terugbellen over levering",
        "description": "Klant vraagt naar order 4500012345.",
        "customer_number": "100234",
        "order_numbers": ["4500012345"],
        "required_skills": ["language_nl"],
        "priority": 20
    });

    // Create: 201 and one task item.
    let response = test::call_service(&app, post("/api/v1/inbound/task", task.to_string())).await;
    assert_eq!(response.status(), 201);
    let created: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(created["created"], true, "{created}");
    let id: WorkItemId = serde_json::from_value(created["item"].clone()).unwrap();
    let item = store.item(id).await.unwrap().unwrap();
    assert_eq!(item.channel, Channel::Task);
    assert_eq!(item.subject.as_deref(), Some("Terugbellen over levering"));
    let links = store.links_of(id).await.unwrap();
    assert!(
        links
            .iter()
            .any(|link| link.key == "4500012345" && link.applied),
        "{links:?}"
    );

    // The same task again: 200, the same item, nothing new.
    let response = test::call_service(&app, post("/api/v1/inbound/task", task.to_string())).await;
    assert_eq!(response.status(), 200);
    let again: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(again["item"], created["item"]);
    assert_eq!(again["created"], false);
    assert_eq!(store.count_items().await.unwrap(), 1);

    // A changed title updates the item in place; a due time becomes its SLA due time.
    assert_eq!(store.item(id).await.unwrap().unwrap().sla_due_at, None);
    let mut changed = task.clone();
    changed["title"] = "Terugbellen: levering te laat".into();
    changed["description"] = "Nog steeds niets ontvangen.".into();
    changed["due_at"] = "2030-01-07T15:00:00Z".into();
    let response =
        test::call_service(&app, post("/api/v1/inbound/task", changed.to_string())).await;
    assert_eq!(response.status(), 200);
    let updated = store.item(id).await.unwrap().unwrap();
    assert_eq!(
        updated.subject.as_deref(),
        Some("Terugbellen: levering te laat")
    );
    assert_eq!(updated.text, "Nog steeds niets ontvangen.");
    assert_eq!(
        updated.sla_due_at.map(|due| due.to_rfc3339()),
        Some("2030-01-07T15:00:00+00:00".to_owned())
    );
    assert_eq!(store.count_items().await.unwrap(), 1);

    // Invalid payloads: 400, each naming its field, nothing created.
    let mut missing_title = task.clone();
    missing_title["external_id"] = "crm-2".into();
    missing_title.as_object_mut().unwrap().remove("title");
    let mut bad_skill = task.clone();
    bad_skill["external_id"] = "crm-3".into();
    bad_skill["required_skills"] = serde_json::json!(["Language NL"]);
    let mut bad_priority = task.clone();
    bad_priority["external_id"] = "crm-4".into();
    bad_priority["priority"] = 1000.into();
    let mut unknown = task.clone();
    unknown["external_id"] = "crm-5".into();
    unknown["colour"] = "red".into();
    for (body, field) in [
        (missing_title, "title"),
        (bad_skill, "required_skills"),
        (bad_priority, "priority"),
        (unknown, "colour"),
    ] {
        let response =
            test::call_service(&app, post("/api/v1/inbound/task", body.to_string())).await;
        assert_eq!(response.status(), 400, "{field}");
        let problem: serde_json::Value = test::read_body_json(response).await;
        let named = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|error| error["field"].as_str().unwrap_or("").starts_with(field));
        assert!(named, "{field}: {problem}");
    }
    assert_eq!(store.count_items().await.unwrap(), 1);

    // NDJSON with one bad line: nothing imported, the line named.
    let good = |id: &str| {
        serde_json::json!({"external_id": id, "title": format!("Taak {id}")}).to_string()
    };
    let bulk = format!(
        "{}\n{}\n{}\n",
        good("bulk-1"),
        serde_json::json!({"external_id": "bulk-2", "priority": 5}),
        good("bulk-3")
    );
    let response = test::call_service(&app, post("/api/v1/inbound/tasks", bulk)).await;
    assert_eq!(response.status(), 400);
    let problem: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(problem["errors"][0]["line"], 2, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "title", "{problem}");
    assert_eq!(store.count_items().await.unwrap(), 1);

    // A good bulk body: created and updated by external id.
    let bulk = format!("{}\n\n{}\n", good("bulk-1"), good("crm-1001"));
    let response = test::call_service(&app, post("/api/v1/inbound/tasks", bulk)).await;
    assert_eq!(response.status(), 200);
    let imported: serde_json::Value = test::read_body_json(response).await;
    assert_eq!(imported["created"], 1, "{imported}");
    assert_eq!(imported["updated"], 1, "{imported}");
    assert_eq!(store.count_items().await.unwrap(), 2);
}
