//! `GET /api/v1/items/{id}/related` and the item view's case panel in process; and a contact an
//! agent remembers through the API links the next mail on the running node, without a restart.

use std::sync::Arc;

use actix_web::test;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use switchboard_core::item::Channel;
use switchboard_core::link::{LinkKind, LinkOrigin};
use switchboard_core::user::Role;
use switchboard_tests::linked_items::{ItemsFrom, customer_with_two_orders};
use switchboard_tests::ui_session::UiSession;
use switchboard_tests::{bearer, corpus_pipeline, import_master, token, user_with_password};
use switchboard_web::{AppState, WebConfig, create_app};

#[actix_web::test]
async fn related_items_show_the_case_with_evidence_and_the_customers_timeline() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    import_master(&store).await;
    let (customer, order, other_order, _) =
        customer_with_two_orders(&store.master_data().await.unwrap());
    let items = ItemsFrom::new(&store, Utc::now() - Duration::days(3));
    let c = Some(customer.as_str());
    let email = items.item(Channel::Email, 0, c, &[&order]).await;
    let voicemail = items.item(Channel::Voicemail, 1, c, &[]).await;
    let fax = items.item(Channel::Fax, 2, c, &[&order]).await;
    let letter = items.item(Channel::Letter, 3, c, &[&other_order]).await;
    let agent = token(&store, Role::Agent).await;
    let user = user_with_password(&store, "ann", Role::Agent, "pw").await;
    let session = UiSession::open(&store, user, "ann").await;
    let app = test::init_service(create_app(AppState::new(store, WebConfig::default()))).await;

    let get = |uri: String| {
        test::TestRequest::get()
            .uri(&uri)
            .insert_header(bearer(&agent))
            .to_request()
    };
    let response = test::call_service(&app, get(format!("/api/v1/items/{fax}/related"))).await;
    assert_eq!(response.status(), 200);
    let related: Value = test::read_body_json(response).await;
    assert_eq!(related["customer_no"], customer.as_str());
    let members: Vec<(i64, &str, &str)> = related["case"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|member| {
            (
                member["item"].as_i64().unwrap(),
                member["channel"].as_str().unwrap(),
                member["evidence"].as_str().unwrap(),
            )
        })
        .collect();
    let same_order = format!("same order {order}");
    assert_eq!(
        members,
        vec![
            (email.get(), "email", same_order.as_str()),
            (voicemail.get(), "voicemail", "same customer within 72 h"),
            (fax.get(), "fax", same_order.as_str()),
        ],
        "{related}"
    );
    let member = &related["case"]["members"][0];
    for field in ["reference", "subject", "status", "holder", "received_at"] {
        assert!(member.get(field).is_some(), "{field} missing: {member}");
    }
    let timeline: Vec<i64> = related["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["item"].as_i64().unwrap())
        .collect();
    assert_eq!(timeline, vec![letter.get(), voicemail.get(), email.get()]);
    assert_eq!(related["timeline"][0]["case_id"], Value::Null);

    let missing = test::call_service(&app, get("/api/v1/items/999999/related".into())).await;
    assert_eq!(missing.status(), 404);

    // The browser's item view shows the case with its evidence and the timeline.
    let page = session.page(&format!("/items/{fax}")).to_request();
    let response = test::call_service(&app, page).await;
    assert_eq!(response.status(), 200);
    let html = String::from_utf8(test::read_body(response).await.to_vec()).unwrap();
    assert!(html.contains("id=\"case-members\""), "{html}");
    assert!(html.contains(&same_order), "{html}");
    assert!(html.contains("same customer within 72 h"));
    assert!(html.contains(&format!("href=\"/items/{email}\"")));
    assert!(html.contains("id=\"customer-timeline\""));
    assert!(html.contains(&format!("data-item=\"{letter}\"")));
}

#[actix_web::test]
async fn a_contact_remembered_through_the_api_links_the_next_mail_without_a_restart() {
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let customer = store.master_data().await.unwrap().customers[0]
        .customer_no
        .as_str()
        .to_owned();
    let lead = token(&store, Role::Lead).await;
    let state =
        AppState::new(store.clone(), WebConfig::default()).with_ingestor(Arc::new(pipeline));
    let app = test::init_service(create_app(state)).await;
    let mail = |id: &str| {
        format!(
            "From: Nieuwe Inkoper <nieuwe.inkoper@example.org>\r\n\
             To: klantenservice@velora.example.nl\r\nSubject: Vraag over levertijden\r\n\
             Message-ID: <{id}@example.org>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0100\r\n\r\n\
             Goedemorgen, wat zijn de levertijden op dit moment?\r\n"
        )
    };
    let post_mail = |body: String| {
        test::TestRequest::post()
            .uri("/api/v1/inbound/email")
            .insert_header(bearer(&lead))
            .set_payload(body)
            .to_request()
    };
    let first: Value = test::call_and_read_body_json(&app, post_mail(mail("first"))).await;
    assert_eq!(first["outcome"], "ingested", "{first}");
    let first_item = switchboard_core::WorkItemId::new(first["item"].as_i64().unwrap());
    let applied_customer = |links: Vec<switchboard_core::link::Link>| {
        links
            .into_iter()
            .find(|link| link.kind == LinkKind::Customer && link.applied)
    };
    assert!(applied_customer(store.links_of(first_item).await.unwrap()).is_none());

    let remember = test::TestRequest::post()
        .uri(&format!("/api/v1/items/{first_item}/links"))
        .insert_header(bearer(&lead))
        .set_json(json!({"kind": "customer", "key": customer, "remember_contact": true}))
        .to_request();
    let edited: Value = test::call_and_read_body_json(&app, remember).await;
    assert_eq!(edited["remembered_contact"], true, "{edited}");

    let next: Value = test::call_and_read_body_json(&app, post_mail(mail("next"))).await;
    assert_eq!(next["outcome"], "ingested", "{next}");
    let next_item = switchboard_core::WorkItemId::new(next["item"].as_i64().unwrap());
    let linked = applied_customer(store.links_of(next_item).await.unwrap());
    assert!(
        linked.is_some(),
        "the next mail of the remembered sender is linked"
    );
    let linked = linked.unwrap();
    assert_eq!(linked.key, customer);
    assert_eq!(linked.origin, LinkOrigin::Auto);
}
