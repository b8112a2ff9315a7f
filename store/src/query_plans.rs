//! The plans SQLite makes for statements whose speed depends on its planner choosing the right
//! index: each once read a whole table (or every open item, or every assignment) and made
//! intake or the router wait. SQLite chooses without statistics here, as on a new database,
//! except where a test gives it the stale statistics that once misled it.

use std::collections::HashMap;

use crate::sqlite::SqliteStore;

/// The plan's steps, as `EXPLAIN QUERY PLAN` words them.
async fn plan(store: &SqliteStore, statement: &str) -> Vec<String> {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "EXPLAIN QUERY PLAN {statement}"
    )))
    .fetch_all(store.pool())
    .await
    .unwrap();
    rows.into_iter().map(|(.., detail)| detail).collect()
}

/// Whether a step of `plan` contains `text`.
fn has_step(plan: &[String], text: &str) -> bool {
    plan.iter().any(|step| step.contains(text))
}

async fn store() -> (SqliteStore, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/plans.db", folder.path().display());
    (SqliteStore::open(&url).await.unwrap(), folder)
}

#[tokio::test]
async fn case_candidates_are_sought_span_by_span_in_the_customer_link_index() {
    let (store, _folder) = store().await;
    // Many spans: with a few, SQLite chose well without being told.
    let spans = (0..75)
        .map(|customer| format!("('{customer:010}', '2026-01-01', '2026-01-07')"))
        .collect::<Vec<_>>()
        .join(", ");
    let statement = format!(
        "WITH spans (customer, span_from, span_to) AS (VALUES {spans}) {} {}",
        crate::case_sql::case_candidate_select(),
        crate::case_sql::CASE_CANDIDATES_WHERE
    );
    let plan = plan(&store, &statement).await;
    let step = |prefix: &str| plan.iter().position(|step| step.starts_with(prefix));
    let (Some(spans), Some(links)) = (
        step("SCAN spans"),
        step("SEARCH links USING COVERING INDEX links_customer_received"),
    ) else {
        panic!("the spans are not sought in links_customer_received: {plan:#?}");
    };
    assert!(spans < links, "the spans are not the outer loop: {plan:#?}");
}

#[tokio::test]
async fn the_sla_breach_check_reads_only_open_items_due_in_its_range() {
    let (store, _folder) = store().await;
    let statements = HashMap::from([
        ("record breaches", crate::sla_sql::RECORD_BREACHES),
        ("next due time", crate::sla_sql::NEXT_DUE),
    ]);
    for (name, statement) in statements {
        let plan = plan(&store, statement).await;
        assert!(
            plan.iter()
                .any(|step| step.starts_with("SEARCH items USING")
                    && step.contains("INDEX items_status_sla_due (status=? AND sla_due_at")),
            "{name}: {plan:#?}"
        );
    }
}

#[tokio::test]
async fn the_item_page_reads_a_customers_timeline_newest_first_from_the_customer_link_index() {
    use crate::json_sql::JsonSql;
    let (store, _folder) = store().await;
    let plan = plan(&store, &<sqlx::Sqlite>::statements().item_view).await;
    assert!(
        plan.iter().any(|step| step.starts_with(
            "SEARCH customer_links USING COVERING INDEX links_customer_received (key=?)"
        )),
        "{plan:#?}"
    );
}

#[tokio::test]
async fn the_router_reads_changed_items_by_id_not_the_whole_backlog() {
    let (store, _folder) = store().await;
    let ids = (1..=200)
        .map(|id| id.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let statement = format!(
        "{} WHERE items.id IN ({ids}) ORDER BY items.id",
        crate::routing_sql::rows::ROUTING_ITEM_SELECT
    );
    let plan = plan(&store, &statement).await;
    assert!(
        plan.first()
            .is_some_and(|step| step.starts_with("SEARCH items USING INTEGER PRIMARY KEY")),
        "{plan:#?}"
    );
    assert!(!has_step(&plan, "items_status"), "{plan:#?}");
}

#[tokio::test]
async fn the_routers_full_read_takes_open_offers_from_the_open_assignment_index() {
    let (store, _folder) = store().await;
    let plan = plan(&store, crate::routing_sql::rows::OPEN_OFFER_SELECT).await;
    assert!(
        has_step(&plan, "USING INDEX assignments_one_open"),
        "{plan:#?}"
    );
}

#[tokio::test]
async fn stale_statistics_do_not_make_the_preferred_agent_walk_every_assigned_item() {
    let folder = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/plans.db", folder.path().display());
    // Statistics taken while no item had an agent: the assigned-user index looks free to walk,
    // and SQLite walked it for every waiting item instead of finding the case's items by id.
    let store = SqliteStore::open(&url).await.unwrap();
    sqlx::raw_sql(
        "ANALYZE; DELETE FROM sqlite_stat1; \
         INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES \
         ('items', 'items_assigned_user', '0 0'), \
         ('items', 'items_status_queue', '100000 50000 12500');",
    )
    .execute(store.pool())
    .await
    .unwrap();
    store.pool().close().await;
    let store = SqliteStore::open(&url).await.unwrap();
    let statement = format!(
        "{} WHERE {} ORDER BY items.id",
        crate::routing_sql::rows::ROUTING_ITEM_SELECT,
        crate::routing_sql::rows::WAITING
    );
    let plan = plan(&store, &statement).await;
    assert!(
        has_step(&plan, "SEARCH other USING INTEGER PRIMARY KEY"),
        "{plan:#?}"
    );
    assert!(!has_step(&plan, "items_assigned_user"), "{plan:#?}");
}
