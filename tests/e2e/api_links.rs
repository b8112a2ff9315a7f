//! The link API in process: a lead links a customer and an order by number, the owning agent
//! confirms and removes links, another agent is refused (403), unknown numbers are 404.

use actix_web::test;
use serde_json::{Value, json};
use switchboard_core::master::MasterData;
use switchboard_core::user::Role;
use switchboard_tests::{bearer, import_master, token};
use switchboard_web::{AppState, WebConfig, create_app};

use crate::api_item_work::assigned_to;
use crate::store_routing::agent;

fn request(method: &str, uri: &str, token: &str, body: Option<Value>) -> test::TestRequest {
    let request = match method {
        "DELETE" => test::TestRequest::delete(),
        _ => test::TestRequest::post(),
    }
    .uri(uri)
    .insert_header(bearer(token));
    match body {
        Some(body) => request.set_json(body),
        None => request,
    }
}

fn first_order(master: &MasterData) -> (String, String) {
    let order = &master.orders[0];
    (
        order.customer_no.as_str().to_owned(),
        order.order_no.as_str().to_owned(),
    )
}

#[actix_web::test]
async fn links_are_edited_by_the_items_agent_or_a_lead_only() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    import_master(&store).await;
    let (customer, order) = first_order(&store.master_data().await.unwrap());
    let agent_token = token(&store, Role::Agent).await;
    let lead_token = token(&store, Role::Lead).await;
    let ann = agent(&store, "ann").await;
    agent(&store, "bob").await;
    let item = assigned_to(&store, "ann's", ann).await;
    let state = AppState::new(store.clone(), WebConfig::default());
    let app = test::init_service(create_app(state)).await;
    let links = format!("/api/v1/items/{item}/links");

    // A lead links the customer by number, leading zeros left out.
    let typed = customer.trim_start_matches('0');
    let response = test::call_service(
        &app,
        request(
            "POST",
            &links,
            &lead_token,
            Some(json!({"kind": "customer", "key": typed})),
        )
        .to_request(),
    )
    .await;
    assert_eq!(response.status(), 201);
    let edited: Value = test::read_body_json(response).await;
    assert_eq!(edited["links"][0]["key"], customer.as_str());
    assert_eq!(edited["links"][0]["origin"], "agent");
    assert_eq!(edited["links"][0]["applied"], true);
    assert_eq!(edited["remembered_contact"], false);

    // Bob does not own the item: refused, whatever the edit.
    let add_order = json!({"kind": "order", "key": order});
    let refused = test::call_service(
        &app,
        request(
            "POST",
            &format!("{links}?agent=bob"),
            &agent_token,
            Some(add_order.clone()),
        )
        .to_request(),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let problem: Value = test::read_body_json(refused).await;
    assert_eq!(problem["code"], "forbidden");
    let customer_link = edited["links"][0]["id"].as_i64().unwrap();
    let refused = test::call_service(
        &app,
        request(
            "DELETE",
            &format!("{links}/{customer_link}?agent=bob"),
            &agent_token,
            None,
        )
        .to_request(),
    )
    .await;
    assert_eq!(refused.status(), 403);

    // Ann owns it: she links the order, confirms the customer and removes the order again.
    let response = test::call_service(
        &app,
        request(
            "POST",
            &format!("{links}?agent=ann"),
            &agent_token,
            Some(add_order),
        )
        .to_request(),
    )
    .await;
    assert_eq!(response.status(), 201);
    let edited: Value = test::read_body_json(response).await;
    let order_link = edited["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|link| link["kind"] == "order")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let confirmed = test::call_service(
        &app,
        request(
            "POST",
            &format!("{links}/{customer_link}/confirm?agent=ann"),
            &agent_token,
            None,
        )
        .to_request(),
    )
    .await;
    assert_eq!(confirmed.status(), 200);
    let removed = test::call_service(
        &app,
        request(
            "DELETE",
            &format!("{links}/{order_link}?agent=ann"),
            &agent_token,
            None,
        )
        .to_request(),
    )
    .await;
    assert_eq!(removed.status(), 200);
    let edited: Value = test::read_body_json(removed).await;
    assert_eq!(edited["links"].as_array().unwrap().len(), 1);

    // Unknown numbers and links are 404; a bad kind is 400.
    let unknown = test::call_service(
        &app,
        request(
            "POST",
            &links,
            &lead_token,
            Some(json!({"kind": "order", "key": "9999999999"})),
        )
        .to_request(),
    )
    .await;
    assert_eq!(unknown.status(), 404);
    let gone = test::call_service(
        &app,
        request(
            "DELETE",
            &format!("{links}/{order_link}"),
            &lead_token,
            None,
        )
        .to_request(),
    )
    .await;
    assert_eq!(gone.status(), 404);
    let bad = test::call_service(
        &app,
        request(
            "POST",
            &links,
            &lead_token,
            Some(json!({"kind": "planet", "key": "1"})),
        )
        .to_request(),
    )
    .await;
    assert_eq!(bad.status(), 400);
}
