//! The index as a projection: after a crash the indexer resumes from the committed feed
//! position and every item is searchable exactly once; `switchboard reindex` rebuilds the
//! same index from the database, and a running indexer switches to it.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use switchboard_server::cli::Command;
use switchboard_server::commands::dispatch;

use crate::search_support::{Setup, email_files, keys, setups};

/// Queries whose hits must not depend on how the index was built; each fits in one page.
const QUERIES: &[&str] = &[
    "kind=item&limit=200",
    "q=bestelling&kind=item&limit=200",
    "q=order&limit=200",
    "q=118084&limit=200",
    "q=%2B31%2033%20555%206294&kind=customer",
    "q=3SNKHR740622268&kind=order",
    "q=kapsalon&kind=customer&limit=200",
    "q=factuur&mode=or&limit=200",
];

async fn results(
    setup: &Setup,
    indexer: &switchboard_server::indexer::Indexer,
) -> Vec<BTreeSet<String>> {
    let state = setup.state(indexer);
    let mut all = Vec::new();
    for query in QUERIES {
        let hits = setup.hits(&state, query).await;
        all.push(keys(&hits).into_iter().collect());
    }
    all
}

#[actix_web::test]
async fn indexer_resumes_after_a_crash_and_reindex_rebuilds_the_same_index() {
    let folder = tempfile::tempdir().unwrap();
    let files = email_files();
    for setup in setups(folder.path()).await {
        let label = &setup.label;
        // Part of the feed committed, part handed to the writer but never committed.
        setup.ingest(&files[..20]).await;
        let mut first = setup.indexer().await;
        let committed = first.start().await.unwrap();
        assert!(committed > 0, "{label}");
        setup.ingest(&files[20..40]).await;
        first.step().await.unwrap();
        first.simulate_crash();

        setup.ingest(&files[40..60]).await;
        let mut second = setup.indexer().await;
        assert_eq!(
            second.handle().applied_seq(),
            committed,
            "{label}: resumes where it committed"
        );
        let applied = second.start().await.unwrap();
        assert_eq!(
            applied,
            setup.store.max_change_seq().await.unwrap(),
            "{label}"
        );

        let state = setup.state(&second);
        let (status, listing) = setup.get(&state, "kind=item&limit=200").await;
        assert_eq!(status, 200);
        let ids = keys(listing["hits"].as_array().unwrap());
        let distinct: BTreeSet<&String> = ids.iter().collect();
        let stored = usize::try_from(setup.store.count_items().await.unwrap()).unwrap();
        assert_eq!(stored, 60, "{label}");
        assert_eq!(ids.len(), stored, "{label}: every item once: {ids:?}");
        assert_eq!(distinct.len(), stored, "{label}");
        assert_eq!(listing["total"], 60, "{label}");
        let customers = setup
            .store
            .count_master(switchboard_core::master::MasterKind::Customers)
            .await
            .unwrap();
        let orders = setup
            .store
            .count_master(switchboard_core::master::MasterKind::Orders)
            .await
            .unwrap();
        let expected_docs = u64::try_from(customers + orders).unwrap() + 60;
        assert_eq!(second.handle().num_docs(), expected_docs, "{label}");

        // Reindex while the indexer runs: it switches to the rebuilt generation.
        let incremental = results(&setup, &second).await;
        let generation = second.handle().feed_position().generation;
        let code = dispatch(Command::Reindex, setup.config.clone())
            .await
            .unwrap();
        assert_eq!(code, std::process::ExitCode::SUCCESS);
        let deadline = Instant::now() + Duration::from_secs(20);
        while second.handle().feed_position().generation == generation {
            assert!(
                Instant::now() < deadline,
                "{label}: rebuilt index not adopted"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        second.catch_up().await.unwrap();
        assert_eq!(second.handle().num_docs(), expected_docs, "{label}");
        let rebuilt = results(&setup, &second).await;
        for ((query, before), after) in QUERIES.iter().zip(&incremental).zip(&rebuilt) {
            assert!(!before.is_empty(), "{label}: {query} finds nothing");
            assert!(before.len() < 200, "{label}: {query} fills the page");
            assert_eq!(before, after, "{label}: {query}");
        }
        second.shutdown().await.unwrap();

        // A restart opens the rebuilt index and finds the same.
        let mut third = setup.indexer().await;
        third.start().await.unwrap();
        assert_eq!(results(&setup, &third).await, incremental, "{label}");
        third.shutdown().await.unwrap();
    }
}
