//! The e-mail channel end to end: every message of the development corpus through the live
//! pipeline, measured against `truth.jsonl`.

use std::collections::HashMap;

use switchboard_server::pipeline::IngestOutcome;
use switchboard_tests::{corpus_files, corpus_pipeline, truth_rows};

struct Truth {
    noise: Option<String>,
    parent: Option<String>,
    customer: Option<String>,
    orders: Vec<String>,
}

fn truth(channel: &str) -> HashMap<String, Truth> {
    truth_rows(channel)
        .into_iter()
        .map(|(base, row)| {
            let parent = row["thread_parent"]
                .as_str()
                .map(|parent| parent.rsplit('/').next().unwrap().to_owned());
            let orders = row["order_numbers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|order| order.as_str().unwrap().to_owned())
                .collect();
            let truth = Truth {
                noise: row["noise_type"].as_str().map(str::to_owned),
                parent,
                customer: row["customer_number"].as_str().map(str::to_owned),
                orders,
            };
            (base, truth)
        })
        .collect()
}

#[tokio::test]
async fn corpus_emails_become_one_item_each_with_truths_threads_and_noise() {
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let files = corpus_files("dev/email");
    let started = chrono::Utc::now();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let outcome = pipeline
            .ingest_raw(
                switchboard_core::item::Channel::Email,
                &name,
                std::fs::read(file).unwrap(),
            )
            .await
            .unwrap();
        assert!(
            matches!(outcome, IngestOutcome::Ingested { .. }),
            "{name}: {outcome:?}"
        );
    }
    for file in files.iter().take(20) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let again = pipeline
            .ingest_raw(
                switchboard_core::item::Channel::Email,
                &name,
                std::fs::read(file).unwrap(),
            )
            .await
            .unwrap();
        assert!(
            matches!(again, IngestOutcome::Duplicate { .. }),
            "{name}: {again:?}"
        );
    }
    let finished = chrono::Utc::now();
    let exported = store.export_items(None, 10_000, false).await.unwrap();
    assert_eq!(exported.len(), files.len(), "one item per message");
    // Every routed e-mail is due 8 business hours after it landed (the default SLA); noise has
    // no SLA clock.
    let policy = switchboard_router::sla::SlaPolicy::default();
    let due = |landed| {
        policy
            .clock(None, switchboard_core::item::Channel::Email, landed)
            .unwrap()
            .due_at
    };
    let (earliest, latest) = (due(started), due(finished));
    for exported_item in &exported {
        let item = store
            .item(switchboard_core::WorkItemId::new(exported_item.id))
            .await
            .unwrap()
            .unwrap();
        match (exported_item.noise, item.sla_due_at) {
            (Some(_), None) => {}
            (None, Some(due_at)) => assert!(
                earliest <= due_at && due_at <= latest,
                "{}: due {due_at}, expected within {earliest}..{latest}",
                exported_item.source
            ),
            (noise, due_at) => panic!(
                "{}: noise {noise:?} with due {due_at:?}",
                exported_item.source
            ),
        }
    }

    let truth = truth("email");
    let source_of: HashMap<i64, &str> = exported
        .iter()
        .map(|item| (item.id, item.source.as_str()))
        .collect();
    let (mut agree, mut noise_agree, mut parent_agree) = (0, 0, 0);
    let (mut spam_found, mut spam_expected) = (0, 0);
    let mut legitimate_as_spam = Vec::new();
    let (mut customer_hits, mut customer_applied, mut customer_expected) = (0, 0, 0);
    let (mut order_hits, mut order_applied, mut order_expected) = (0, 0, 0);
    for item in &exported {
        let expected = &truth[&item.source];
        let noise = item.noise.map(|noise| noise.as_str().to_owned());
        let parent = item.parent_id.map(|id| source_of[&id].to_owned());
        let noise_ok = noise == expected.noise;
        let is_spam = noise.as_deref() == Some("spam");
        spam_expected += usize::from(expected.noise.as_deref() == Some("spam"));
        spam_found += usize::from(is_spam && noise_ok);
        if is_spam && expected.noise.is_none() {
            legitimate_as_spam.push(item.source.clone());
        }
        let parent_ok = parent == expected.parent;
        noise_agree += usize::from(noise_ok);
        parent_agree += usize::from(parent_ok);
        agree += usize::from(noise_ok && parent_ok);
        if !(noise_ok && parent_ok) {
            eprintln!(
                "disagree {}: noise {noise:?} vs {:?}, parent {parent:?} vs {:?}",
                item.source, expected.noise, expected.parent
            );
        }
        if expected.noise.is_none() {
            let customer = item
                .customer_no
                .as_ref()
                .map(|number| number.as_str().to_owned());
            customer_applied += usize::from(customer.is_some());
            customer_expected += usize::from(expected.customer.is_some());
            customer_hits += usize::from(customer.is_some() && customer == expected.customer);
            let orders: Vec<String> = item
                .order_nos
                .iter()
                .map(|order| order.as_str().to_owned())
                .collect();
            order_applied += orders.len();
            order_expected += expected.orders.len();
            order_hits += orders
                .iter()
                .filter(|order| expected.orders.contains(order))
                .count();
        }
    }
    let total = exported.len() as f64;
    let ratio = |part: usize, whole: usize| part as f64 / whole.max(1) as f64;
    println!(
        "email ingest vs truth: both {:.3}, noise {:.3}, thread parent {:.3}; customer P {:.3} R {:.3}; order P {:.3} R {:.3}",
        agree as f64 / total,
        noise_agree as f64 / total,
        parent_agree as f64 / total,
        ratio(customer_hits, customer_applied),
        ratio(customer_hits, customer_expected),
        ratio(order_hits, order_applied),
        ratio(order_hits, order_expected),
    );
    println!("spam: {spam_found} of {spam_expected} found (upstream verdicts and content)");
    assert!(
        agree as f64 / total >= 0.98,
        "noise and thread parent agreement below 98%"
    );
    assert!(
        noise_agree as f64 / total >= 0.98,
        "noise agreement below 98%"
    );
    assert_eq!(
        legitimate_as_spam,
        Vec::<String>::new(),
        "customer mail taken for spam"
    );
    assert_eq!(
        spam_found, spam_expected,
        "spam without an upstream verdict missed"
    );
}

/// The items and cases of the corpus e-mails: every exported item, and each item's case
/// (customer and members) when it is in one.
async fn items_and_cases(
    store: &std::sync::Arc<dyn switchboard_core::store::Store>,
) -> Vec<(
    switchboard_core::item::ExportedItem,
    Option<(String, Vec<switchboard_core::WorkItemId>)>,
)> {
    let mut described = Vec::new();
    for item in store.export_items(None, 10_000, false).await.unwrap() {
        let case = store
            .case_of(switchboard_core::WorkItemId::new(item.id))
            .await
            .unwrap()
            .map(|case| {
                let members = case.members.iter().map(|member| member.item).collect();
                (case.customer_no, members)
            });
        described.push((item, case));
    }
    described
}

/// Sources hand e-mails over in batches (an IMAP fetch, a folder scan, a CLI chunk), which are
/// parsed, threaded, linked and written a chunk at a time, the next batch handed over before the
/// last one answers: the items, links, threads, noise, routing fields and cases must come out
/// exactly as when the same e-mails arrive one by one. The batches differ in size, so a small
/// one is parsed before the large one handed over before it, and must wait to write (its
/// replies need their parents).
#[tokio::test]
async fn corpus_emails_in_batches_become_the_same_items_and_cases_as_one_by_one() {
    use futures_util::StreamExt;

    let files = corpus_files("dev/email");
    let read = |path: &std::path::PathBuf| {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        (name, std::fs::read(path).unwrap())
    };
    let one_by_one_folder = tempfile::tempdir().unwrap();
    let (one_by_one, pipeline) = corpus_pipeline(one_by_one_folder.path()).await;
    for path in &files {
        let (name, raw) = read(path);
        pipeline
            .ingest_raw(switchboard_core::item::Channel::Email, &name, raw)
            .await
            .unwrap();
    }
    let batched_folder = tempfile::tempdir().unwrap();
    let (batched, pipeline) = corpus_pipeline(batched_folder.path()).await;
    let mut rest = files.as_slice();
    let chunks = [120, 7, 60, 3].into_iter().cycle().map_while(|size| {
        let (chunk, after) = rest.split_at(size.min(rest.len()));
        rest = after;
        (!chunk.is_empty()).then_some(chunk)
    });
    let mut batches = futures_util::stream::iter(chunks)
        .map(|chunk| {
            let inputs = chunk
                .iter()
                .map(|path| {
                    let (source, raw) = read(path);
                    switchboard_server::pipeline::RawInput { source, raw }
                })
                .collect();
            pipeline.ingest_batch(switchboard_core::item::Channel::Email, inputs)
        })
        .buffered(switchboard_core::ingest::BATCHES_IN_FLIGHT);
    while let Some(outcomes) = batches.next().await {
        for outcome in outcomes {
            outcome.unwrap();
        }
    }
    drop(batches);

    let expected = items_and_cases(&one_by_one).await;
    assert_eq!(expected.len(), files.len());
    assert!(expected.iter().any(|(item, _)| item.parent_id.is_some()));
    assert!(expected.iter().any(|(_, case)| case.is_some()));
    let made = items_and_cases(&batched).await;
    for ((item, case), (expected_item, expected_case)) in made.iter().zip(&expected) {
        assert_eq!(item, expected_item, "{}", expected_item.source);
        assert_eq!(case, expected_case, "case of {}", expected_item.source);
    }
    assert_eq!(made.len(), expected.len());
}

/// The pipeline plans each item's route as the router would (the rule set's steps, stamped
/// with its version), so the router only routes the arrivals: every queued corpus e-mail
/// carries the route the router plans from the item as stored, and a round plans nothing.
#[tokio::test]
async fn corpus_emails_arrive_with_the_route_the_router_would_plan() {
    use switchboard_core::item::{Channel, ItemStatus};
    use switchboard_router::rules::{default_rule_set, validate};
    use switchboard_server::dispatch::{DispatchHandle, DispatchSettings, model};
    use switchboard_server::pipeline::RawInput;

    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let inputs = corpus_files("dev/email")
        .iter()
        .map(|path| RawInput {
            source: path.file_name().unwrap().to_string_lossy().into_owned(),
            raw: std::fs::read(path).unwrap(),
        })
        .collect();
    for outcome in pipeline.ingest_batch(Channel::Email, inputs).await {
        outcome.unwrap();
    }
    let snapshot = store.routing_snapshot(chrono::Utc::now()).await.unwrap();
    let queued: HashMap<_, _> = snapshot
        .items
        .iter()
        .filter(|item| item.status == ItemStatus::Queued)
        .map(|item| (item.item, item))
        .collect();
    assert!(queued.len() > 100, "{} queued", queued.len());
    let ids: Vec<_> = queued.keys().copied().collect();
    let facts = store.routing_facts(&ids).await.unwrap();
    assert_eq!(facts.len(), ids.len());
    let rules = validate(&default_rule_set()).unwrap();
    let queue_names: HashMap<_, _> = snapshot
        .queues
        .iter()
        .map(|queue| (queue.id, queue.name.as_str()))
        .collect();
    for facts in &facts {
        let planned = model::placement(facts, &model::route_plan(&rules, facts), 0);
        let stored = queued[&facts.item];
        assert_eq!(
            stored.route.as_ref(),
            Some(&planned.route),
            "{}",
            facts.item
        );
        assert_eq!(stored.rule_set_version, Some(0), "{}", facts.item);
        assert_eq!(
            stored.queue.map(|queue| queue_names[&queue]),
            Some(planned.queue.as_str()),
            "{}",
            facts.item
        );
        assert_eq!(stored.priority, planned.priority, "{}", facts.item);
        assert_eq!(
            stored.required_skills, planned.required_skills,
            "{}",
            facts.item
        );
    }
    let router = DispatchHandle::new(store.clone(), DispatchSettings::default());
    assert_eq!(
        router.round().await.unwrap().planned,
        0,
        "nothing left to plan"
    );
}
