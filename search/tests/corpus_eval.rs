//! Measures linking, intent and product lines against the development corpus' labels.
//! Set `SWITCHBOARD_EVAL_VERBOSE=1` to print every disagreement.

#![expect(
    clippy::unwrap_used,
    reason = "test harness: a broken fixture or corpus file must fail loudly"
)]

#[path = "corpus/items.rs"]
mod items;
#[path = "corpus/master.rs"]
mod master;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use switchboard_core::item::Language;
use switchboard_core::link::{LinkKind, NewLink};
use switchboard_search::intent::{IntentClassifier, product_lines};
use switchboard_search::linking::{
    LinkInput, Linker, LinkingConfig, MasterSnapshot, inherit_from_parent,
};

#[derive(Default, Debug, Clone, Copy)]
struct Counts {
    predicted: usize,
    expected: usize,
    correct: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        if self.predicted == 0 {
            1.0
        } else {
            self.correct as f64 / self.predicted as f64
        }
    }
    fn recall(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.correct as f64 / self.expected as f64
        }
    }
}

#[derive(Default, Debug, Clone, Copy)]
struct Figures {
    items: usize,
    customers: Counts,
    orders: Counts,
    intent_right: usize,
    lines_right: usize,
}

impl Figures {
    fn print(&self, label: &str) {
        println!(
            "{label:<34} items {:>3}  customer P {:.3} R {:.3}  order P {:.3} R {:.3}  intent {:.3}  product lines {:.3}",
            self.items,
            self.customers.precision(),
            self.customers.recall(),
            self.orders.precision(),
            self.orders.recall(),
            self.intent_right as f64 / self.items as f64,
            self.lines_right as f64 / self.items as f64,
        );
    }
}

fn applied(links: &[NewLink], kind: LinkKind) -> BTreeSet<String> {
    links
        .iter()
        .filter(|link| link.applied && link.kind == kind)
        .map(|link| link.key.clone())
        .collect()
}

fn count(
    figures: &mut Figures,
    truth: &serde_json::Value,
    links: &[NewLink],
    intent_ok: bool,
    lines_ok: bool,
) {
    figures.items += 1;
    let customers = applied(links, LinkKind::Customer);
    let expected_customer = truth["customer_number"].as_str();
    figures.customers.predicted += customers.len();
    figures.customers.expected += usize::from(expected_customer.is_some());
    figures.customers.correct +=
        usize::from(expected_customer.is_some_and(|c| customers.contains(c)));
    let orders = applied(links, LinkKind::Order);
    let expected_orders: BTreeSet<String> = truth["order_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_owned())
        .collect();
    figures.orders.predicted += orders.len();
    figures.orders.expected += expected_orders.len();
    figures.orders.correct += orders.intersection(&expected_orders).count();
    figures.intent_right += usize::from(intent_ok);
    figures.lines_right += usize::from(lines_ok);
}

#[test]
fn development_corpus_figures() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev");
    if !corpus.join("truth.jsonl").exists() {
        eprintln!("corpus not found at {}; skipping", corpus.display());
        return;
    }
    let verbose = std::env::var_os("SWITCHBOARD_EVAL_VERBOSE").is_some();
    let started = std::time::Instant::now();
    let config = LinkingConfig {
        own_domains: vec!["velora.example.nl".to_owned()],
        own_numbers: vec!["+31 23 555 0199".to_owned(), "+31 23 555 0100".to_owned()],
        ..LinkingConfig::default()
    };
    let snapshot = Arc::new(MasterSnapshot::build(
        master::load(&corpus.join("master")),
        &config,
    ));
    let linker = Linker::new(config.clone(), snapshot.clone()).unwrap();
    let classifier = IntentClassifier::with_defaults().unwrap();
    let loaded = started.elapsed();

    let truth_text = std::fs::read_to_string(corpus.join("truth.jsonl")).unwrap();
    let mut all = Figures::default();
    let mut originals = Figures::default();
    let mut threaded = Figures::default();
    let mut links_by_file: HashMap<String, Vec<NewLink>> = HashMap::new();
    for line in truth_text.lines() {
        let truth: serde_json::Value = serde_json::from_str(line).unwrap();
        let item = items::load(&corpus, truth);
        let truth = &item.truth;
        let input = LinkInput {
            channel: item.channel,
            subject: item.subject.as_deref(),
            text: &item.text,
            sender_email: item.sender_email.as_deref(),
            sender_phone: item.sender_phone.as_deref(),
            sender_name: item.sender_name.as_deref(),
        };
        let links = linker.link(&input);
        let file = truth["files"][0].as_str().unwrap().to_owned();
        let parent = truth["thread_parent"].as_str();
        let inherited = match parent.and_then(|p| links_by_file.get(p)) {
            Some(parent_links) => {
                inherit_from_parent(links.clone(), parent_links, config.apply_threshold)
            }
            None => links.clone(),
        };
        links_by_file.insert(file, inherited.clone());
        if truth["is_noise"].as_bool().unwrap_or(false) {
            continue;
        }
        let language = truth["language"].as_str().and_then(Language::parse);
        let classification = classifier.classify(item.subject.as_deref(), &item.text, language);
        let intent = classification.intent.map(|i| i.as_str().to_owned());
        let intent_ok = intent.as_deref() == truth["intent"].as_str();
        let extracted = linker.extract(&input);
        let skus = linker.skus(&extracted);
        let lines = product_lines(
            &classifier,
            &snapshot,
            &skus,
            item.subject.as_deref(),
            &item.text,
        );
        let expected_lines: Vec<String> = truth["product_lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect();
        let lines_ok = lines.lines == expected_lines;
        count(&mut all, truth, &links, intent_ok, lines_ok);
        count(&mut threaded, truth, &inherited, intent_ok, lines_ok);
        if parent.is_none() {
            count(&mut originals, truth, &links, intent_ok, lines_ok);
        }
        if verbose {
            let customers = applied(&inherited, LinkKind::Customer);
            let orders = applied(&inherited, LinkKind::Order);
            let expected_customer: BTreeSet<String> = truth["customer_number"]
                .as_str()
                .map(str::to_owned)
                .into_iter()
                .collect();
            let expected_orders: BTreeSet<String> = truth["order_numbers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o.as_str().unwrap().to_owned())
                .collect();
            let tag = truth["identified_by"].as_str().unwrap_or("-");
            if customers != expected_customer || orders != expected_orders {
                println!(
                    "LINK {} [{tag}] customer {customers:?} vs {expected_customer:?}; orders {orders:?} vs {expected_orders:?}",
                    item.id
                );
                for link in &inherited {
                    println!(
                        "    {:?} {} {:.2} {} — {}",
                        link.kind, link.key, link.confidence, link.applied, link.evidence
                    );
                }
            }
            if !intent_ok {
                println!(
                    "INTENT {} {:?} vs {:?}: {:?}",
                    item.id,
                    intent,
                    truth["intent"].as_str(),
                    classification.evidence
                );
            }
            if !lines_ok {
                println!(
                    "LINES {} {:?} vs {:?}: {:?}",
                    item.id, lines.lines, expected_lines, lines.evidence
                );
            }
        }
    }
    println!(
        "snapshot built in {loaded:?}, whole run {:?}",
        started.elapsed()
    );
    all.print("all non-noise items");
    originals.print("without replies");
    threaded.print("all, with thread inheritance");

    // Measured levels minus a small margin. Targets: customer P >= 0.98, R >= 0.95; order
    // P >= 0.97, R >= 0.93; intent >= 0.90.
    for figures in [&all, &originals, &threaded] {
        assert!(figures.customers.precision() >= 0.98, "{figures:?}");
        assert!(figures.customers.recall() >= 0.97, "{figures:?}");
        assert!(figures.orders.precision() >= 0.97, "{figures:?}");
        assert!(figures.orders.recall() >= 0.92, "{figures:?}");
        assert!(
            figures.intent_right as f64 / figures.items as f64 >= 0.95,
            "{figures:?}"
        );
        assert!(
            figures.lines_right as f64 / figures.items as f64 >= 0.78,
            "{figures:?}"
        );
    }
    assert!(threaded.orders.recall() >= 0.94, "{threaded:?}");
}

#[test]
fn master_phone_numbers_normalise() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev");
    if !corpus.join("master").exists() {
        return;
    }
    let data = master::load(&corpus.join("master"));
    let (mut total, mut normalised, mut valid) = (0, 0, 0);
    for customer in &data.customers {
        let region = customer.country.as_deref().unwrap_or("NL");
        let mobiles = customer.contacts.iter().filter_map(|c| c.mobile.as_deref());
        for raw in [customer.phone.as_deref(), customer.fax.as_deref()]
            .into_iter()
            .flatten()
            .chain(mobiles)
        {
            total += 1;
            if let Some(e164) = switchboard_search::linking::normalise_phone(raw, region) {
                normalised += 1;
                valid += usize::from(phonenumber::parse(None, &e164).is_ok_and(|n| n.is_valid()));
            }
        }
    }
    println!(
        "master numbers: {total}, normalised {normalised}, of which valid per numbering plan {valid}"
    );
    assert_eq!(normalised, total);
}
