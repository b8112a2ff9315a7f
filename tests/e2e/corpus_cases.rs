//! Cases on the development corpus: every e-mail and voicemail, and the faxes and letters that
//! truth says share a customer and an order with another item within the window, go through the
//! live pipeline; then every such pair of items truth names — across channels and threads —
//! must be in one case whenever the linker applied that customer and order to both, and no
//! case may hold items of two customers. Expectations come from `truth.jsonl`, not from ids.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use switchboard_core::case::CaseRule;
use switchboard_core::inbound::NewInbound;
use switchboard_core::item::{Channel, ExportedItem};
use switchboard_server::pipeline::landing;
use switchboard_store::BlobStore;
use switchboard_tests::{corpus_dir, corpus_files, corpus_pipeline, velora_config};

/// A labelled item of truth that belongs to a customer and names orders.
struct Labelled {
    id: String,
    channel: String,
    customer: String,
    orders: BTreeSet<String>,
    received_at: DateTime<Utc>,
}

fn labelled() -> Vec<Labelled> {
    let text = std::fs::read_to_string(corpus_dir().join("dev/truth.jsonl")).unwrap();
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|row| row["is_noise"] != true)
        .filter_map(|row| {
            let customer = row["customer_number"].as_str()?.to_owned();
            let orders: BTreeSet<String> = row["order_numbers"]
                .as_array()?
                .iter()
                .filter_map(|order| order.as_str().map(str::to_owned))
                .collect();
            let received_at = DateTime::parse_from_rfc3339(row["received_at"].as_str()?)
                .ok()?
                .with_timezone(&Utc);
            Some(Labelled {
                id: row["id"].as_str()?.to_owned(),
                channel: row["channel"].as_str()?.to_owned(),
                customer,
                orders,
                received_at,
            })
        })
        .collect()
}

/// Pairs of truth items with the same customer and a shared order within `window`, with the
/// order.
fn expected_pairs(items: &[Labelled], window: Duration) -> Vec<(&Labelled, &Labelled, String)> {
    let mut pairs = Vec::new();
    for (position, first) in items.iter().enumerate() {
        for second in &items[position + 1..] {
            let shared = first.orders.intersection(&second.orders).next();
            if let Some(order) = shared
                && first.customer == second.customer
                && (first.received_at - second.received_at).abs() <= window
            {
                pairs.push((first, second, order.clone()));
            }
        }
    }
    pairs
}

/// The truth id of an exported item, from its source file name (`e0001.eml`, `f0001.eml`, …).
fn truth_id(item: &ExportedItem) -> String {
    item.source.split('.').next().unwrap_or_default().to_owned()
}

fn links_agree(item: &ExportedItem, customer: &str, order: &str) -> bool {
    item.customer_no.as_ref().map(|no| no.as_str()) == Some(customer)
        && item.order_nos.iter().any(|no| no.as_str() == order)
}

#[tokio::test]
async fn items_truth_groups_by_customer_and_order_share_a_case() {
    let window = CaseRule::default().window();
    let truth = labelled();
    let pairs = expected_pairs(&truth, window);
    let documents: BTreeSet<&str> = pairs
        .iter()
        .flat_map(|(first, second, _)| [first, second])
        .filter(|item| item.channel == "fax" || item.channel == "letter")
        .map(|item| item.id.as_str())
        .collect();

    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let mut inputs: Vec<(Channel, std::path::PathBuf)> = Vec::new();
    inputs.extend(
        corpus_files("dev/email")
            .into_iter()
            .map(|path| (Channel::Email, path)),
    );
    inputs.extend(
        corpus_files("dev/voicemail")
            .into_iter()
            .map(|path| (Channel::Voicemail, path)),
    );
    let mut letters = Vec::new();
    for id in &documents {
        // A fax arrives as the fax server's notification mail (dated); a letter is received
        // when the mailroom scans it, so it is landed at truth's arrival time and processed
        // the way a restarted node processes landed inputs.
        match id.chars().next() {
            Some('f') => inputs.push((
                Channel::Email,
                corpus_dir().join(format!("dev/fax/{id}.eml")),
            )),
            _ => letters.push(*id),
        }
    }
    for (channel, path) in &inputs {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        pipeline
            .ingest_raw(*channel, &name, std::fs::read(path).unwrap())
            .await
            .unwrap();
    }
    let blobs = BlobStore::new(velora_config(folder.path()).blob_dir());
    for id in &letters {
        let raw = std::fs::read(corpus_dir().join(format!("dev/letter/{id}.pdf"))).unwrap();
        let keys = landing::keys(Channel::Letter, &raw);
        let scanned = truth
            .iter()
            .find(|item| item.id == *id)
            .unwrap()
            .received_at;
        store
            .land(&NewInbound {
                channel: Channel::Letter,
                source: format!("{id}.pdf"),
                idem_key: keys.idem_key,
                fingerprint: keys.fingerprint,
                blob: blobs.put(&raw).unwrap(),
                raw: None,
                size: i64::try_from(raw.len()).unwrap(),
                received_at: scanned,
            })
            .await
            .unwrap();
    }
    assert_eq!(pipeline.recover().await.unwrap(), letters.len());

    let exported: BTreeMap<String, ExportedItem> = store
        .export_items(None, 10_000, false)
        .await
        .unwrap()
        .into_iter()
        .map(|item| (truth_id(&item), item))
        .collect();
    let mut case_of = BTreeMap::new();
    for (id, item) in &exported {
        let item_id = switchboard_core::WorkItemId::new(item.id);
        if let Some(case) = store.case_of(item_id).await.unwrap() {
            // A case never spans two customers: every member carries the case's customer.
            for member in &case.members {
                let member = store.links_of(member.item).await.unwrap();
                assert!(
                    member.iter().any(|link| link.applied
                        && link.kind == switchboard_core::link::LinkKind::Customer
                        && link.key == case.customer_no),
                    "{id}: case {} mixes customers",
                    case.id
                );
            }
            case_of.insert(id.clone(), case.id);
        }
    }

    let (mut linked, mut together, mut across_channels) = (0, 0, 0);
    for (first, second, order) in &pairs {
        let (Some(a), Some(b)) = (exported.get(&first.id), exported.get(&second.id)) else {
            panic!("{} or {} was not ingested", first.id, second.id);
        };
        if !(links_agree(a, &first.customer, order) && links_agree(b, &second.customer, order)) {
            continue;
        }
        linked += 1;
        let (case_a, case_b) = (case_of.get(&first.id), case_of.get(&second.id));
        assert!(
            case_a.is_some() && case_a == case_b,
            "{} and {} (customer {}, order {order}) are not in one case: {case_a:?} {case_b:?}",
            first.id,
            second.id,
            first.customer
        );
        together += 1;
        across_channels += usize::from(a.channel != b.channel);
    }

    // How well cases agree with truth: pairs in one case that truth says share a customer.
    let by_case: BTreeMap<_, Vec<&String>> =
        case_of
            .iter()
            .fold(BTreeMap::new(), |mut cases, (id, case)| {
                cases.entry(*case).or_insert_with(Vec::new).push(id);
                cases
            });
    let customer_of: BTreeMap<&str, &str> = truth
        .iter()
        .map(|item| (item.id.as_str(), item.customer.as_str()))
        .collect();
    let (mut case_pairs, mut case_pairs_right) = (0, 0);
    for members in by_case.values() {
        for (position, first) in members.iter().enumerate() {
            for second in &members[position + 1..] {
                case_pairs += 1;
                let same = customer_of
                    .get(first.as_str())
                    .is_some_and(|customer| customer_of.get(second.as_str()) == Some(customer));
                case_pairs_right += usize::from(same);
            }
        }
    }
    println!(
        "cases: {} truth pairs (same customer and order within {} h), {linked} linked right, \
         {together} in one case ({across_channels} across channels); {} cases, {case_pairs_right}/{case_pairs} \
         case pairs of one truth customer",
        pairs.len(),
        window.num_hours(),
        by_case.len(),
    );
    assert!(linked * 10 >= pairs.len() * 8, "too few pairs linked right");
    assert!(across_channels >= 1, "no case across channels was checked");
    assert!(
        case_pairs_right * 100 >= case_pairs * 95,
        "cases group items truth gives different customers: {case_pairs_right}/{case_pairs}"
    );
}
