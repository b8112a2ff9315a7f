//! `GET /api/v1/search` on an index fed from the change feed: customers by number and phone
//! in other formats, orders by tracking number, items by an inflected Dutch word, escaped
//! snippets, parameter checks and the 503 without an index.

use actix_web::test;
use switchboard_web::{AppState, WebConfig, create_app};

use crate::search_support::{Setup, email_files, keys, setups};

#[actix_web::test]
async fn search_finds_customers_orders_and_items_through_the_api() {
    let folder = tempfile::tempdir().unwrap();
    for setup in setups(folder.path()).await {
        setup.ingest(&email_files()[..40]).await;
        let mut indexer = setup.indexer().await;
        let applied = indexer.start().await.unwrap();
        assert!(applied >= 40, "{}: applied {applied}", setup.label);
        let state = setup.state(&indexer);
        finds_records(&setup, &state).await;
        checks_parameters(&setup, &state).await;
        indexer.shutdown().await.unwrap();
    }
}

async fn finds_records(setup: &Setup, state: &AppState) {
    let label = &setup.label;
    let customer = setup.hits(state, "q=118084&kind=customer").await;
    assert_eq!(customer[0]["id"], "0000118084", "{label}: {customer:?}");
    assert_eq!(customer[0]["name"], "de Boer Distributie B.V.");
    assert_eq!(customer[0]["city"], "De Weere");

    // Stored as 033-5556294.
    let by_phone = setup
        .hits(state, "q=%2B31%2033%20555%206294&kind=customer")
        .await;
    assert_eq!(by_phone[0]["number"], "0000100711", "{label}: {by_phone:?}");

    // Delivery 8000436904 of order 4500015199 travels as 3SNKHR740622268.
    let by_tracking = setup.hits(state, "q=3SNKHR740622268&kind=order").await;
    assert_eq!(
        by_tracking[0]["number"], "4500015199",
        "{label}: {by_tracking:?}"
    );
    assert_eq!(by_tracking[0]["customer"], "0000111593");
    assert_eq!(by_tracking[0]["status"], "invoiced");
    assert!(by_tracking[0]["order_date"].is_string(), "{by_tracking:?}");

    // All kinds at once: every hit carries its record's summary, read one statement per kind.
    let mixed = setup.hits(state, "q=118084&limit=50").await;
    for kind in ["customer", "order"] {
        assert!(
            mixed.iter().any(|hit| hit["kind"] == kind),
            "{label}: no {kind} in {mixed:?}"
        );
    }
    for hit in mixed.iter().filter(|hit| hit["kind"] == "order") {
        assert_eq!(hit["customer"], "0000118084", "{label}: {hit}");
        assert!(hit["status"].is_string(), "{label}: {hit}");
    }

    // e0004 asks "Graag bestellen wij" under the subject "Bestelling INK89375".
    let dutch = setup
        .hits(state, "q=bestellingen&kind=item&limit=200")
        .await;
    let e0004 = dutch
        .iter()
        .find(|hit| hit["subject"] == "Bestelling INK89375")
        .unwrap_or_else(|| panic!("{label}: e0004 not found: {dutch:?}"));
    assert_eq!(e0004["kind"], "item");
    assert_eq!(e0004["channel"], "email");
    assert!(e0004["ref"].as_str().unwrap().starts_with("SB-"));
    assert!(e0004["received_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        e0004["snippets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|snippet| snippet["html"].as_str().unwrap().contains("<mark>")),
        "{label}: {e0004}"
    );

    // e0003's subject is "Track & trace": snippets are HTML, so the ampersand is escaped.
    let escaped = setup.hits(state, "q=trace&kind=item&channel=email").await;
    let subject = escaped
        .iter()
        .filter(|hit| hit["subject"] == "Track & trace")
        .flat_map(|hit| hit["snippets"].as_array().unwrap().clone())
        .find(|snippet| snippet["field"] == "subject")
        .unwrap_or_else(|| panic!("{label}: no subject snippet: {escaped:?}"));
    let html = subject["html"].as_str().unwrap();
    assert!(
        html.contains("&amp;") && !html.contains("& "),
        "{label}: {html}"
    );

    // Filters: the items of a customer, and a date range before the corpus.
    let of_customer = setup
        .hits(state, "kind=item&customer=118084&limit=200")
        .await;
    assert!(!of_customer.is_empty(), "{label}");
    assert!(
        of_customer
            .iter()
            .all(|hit| hit["customer_no"] == "0000118084")
    );
    let (status, before) = setup.get(state, "kind=item&to=2020-01-01").await;
    assert_eq!(status, 200);
    assert_eq!(before["hits"].as_array().unwrap().len(), 0, "{label}");
    let listing = setup.hits(state, "kind=item&limit=200").await;
    assert_eq!(listing.len(), 40, "{label}: {:?}", keys(&listing));
    // Every item counted: far fewer than where counting stops.
    let (_, counted) = setup.get(state, "kind=item&limit=5").await;
    assert_eq!(
        (&counted["total"], &counted["total_capped"]),
        (&serde_json::json!(40), &serde_json::json!(false)),
        "{label}"
    );
    hits_show_the_stored_items(setup, &listing).await;
}

/// Each item hit's summary (read without the item's text) is what the item's full read shows.
async fn hits_show_the_stored_items(setup: &Setup, hits: &[serde_json::Value]) {
    let label = &setup.label;
    let mut with_customer = 0;
    for hit in hits {
        let id = switchboard_core::WorkItemId::new(hit["id"].as_i64().unwrap());
        let (item, queue) = setup.store.item_with_queue(id).await.unwrap().unwrap();
        let customer = setup
            .store
            .links_of(id)
            .await
            .unwrap()
            .into_iter()
            .find(|link| link.applied && link.kind == switchboard_core::link::LinkKind::Customer)
            .map(|link| link.key);
        with_customer += usize::from(customer.is_some());
        let expected = serde_json::json!({
            "ref": id.reference(),
            "subject": item.subject,
            "channel": item.channel,
            "status": item.status,
            "received_at": item.received_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "sender": item.sender.display(),
            "queue": queue,
            "customer_no": customer,
        });
        for (field, value) in expected.as_object().unwrap() {
            assert_eq!(&hit[field], value, "{label}: {field} of {id}: {hit}");
        }
    }
    assert!(with_customer > 0, "{label}: no hit with a customer");
}

async fn checks_parameters(setup: &Setup, state: &AppState) {
    for query in [
        "kind=invoice",
        "limit=0",
        "limit=201",
        "offset=9990&limit=20",
        "offset=-1",
        "mode=xor",
        "channel=pigeon",
        "from=yesterday",
        "from=2025-03-02&to=2025-03-01",
        "colour=red",
    ] {
        let (status, body) = setup.get(state, query).await;
        assert_eq!(status, 400, "{}: {query}: {body}", setup.label);
        assert_eq!(body["code"], "bad_input", "{query}");
    }
    let (status, body) = setup.get(state, "q=bestelling&mode=or&queue=nowhere").await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 0, "{body}");

    let app = test::init_service(create_app(state.clone())).await;
    let anonymous = test::TestRequest::get()
        .uri("/api/v1/search?q=x")
        .to_request();
    assert_eq!(test::call_service(&app, anonymous).await.status(), 401);
}

#[actix_web::test]
async fn search_without_an_index_answers_503() {
    let folder = tempfile::tempdir().unwrap();
    let url = switchboard_store::testing::sqlite_url(folder.path());
    let store = switchboard_store::open(&url).await.unwrap();
    let agent = switchboard_tests::token(&store, switchboard_core::user::Role::Agent).await;
    let app = test::init_service(create_app(AppState::new(store, WebConfig::default()))).await;
    let request = test::TestRequest::get()
        .uri("/api/v1/search?q=x")
        .insert_header(("Authorization", format!("Bearer {agent}")))
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 503);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/problem+json"
    );
}
