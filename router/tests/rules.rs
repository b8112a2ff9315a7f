#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{minutes, t0};
use switchboard_core::item::{Channel, Intent, Language, NoiseKind};
use switchboard_router::rules::{
    self, CustomerFacts, ItemFacts, RuleSet, default_rule_set, evaluate, validate,
};

fn names(required: &[switchboard_core::skill::SkillRequirement]) -> Vec<String> {
    required.iter().map(ToString::to_string).collect()
}

fn corpus_item(
    channel: Channel,
    language: Language,
    intent: Intent,
    segment: &str,
    products: &[&str],
) -> ItemFacts {
    let mut facts = ItemFacts::new(channel, t0());
    facts.language = Some(language);
    facts.intent = Some(intent);
    facts.product_lines = products.iter().map(|p| (*p).into()).collect();
    facts.customer = Some(CustomerFacts {
        number: "0000104321".into(),
        segment: Some(segment.into()),
        ..Default::default()
    });
    facts
}

#[test]
fn default_rule_set_is_valid_and_round_trips() {
    let set = default_rule_set();
    validate(&set).unwrap();
    let toml = set.to_toml().unwrap();
    assert_eq!(RuleSet::from_toml(&toml).unwrap(), set);
    let json = set.to_json().unwrap();
    assert_eq!(RuleSet::from_json(&json).unwrap(), set);
}

#[test]
fn default_rule_set_matches_corpus_labels() {
    let set = validate(&default_rule_set()).unwrap();
    // (facts, expected required skills, expected rule) as labelled in corpus/dev/truth.jsonl
    let cases = [
        (
            corpus_item(
                Channel::Fax,
                Language::Dutch,
                Intent::ReturnRequest,
                "key_account",
                &["makeup"],
            ),
            vec![
                "language:nl",
                "channel:fax",
                "product:makeup",
                "complaint",
                "key_account",
            ],
            "urgent",
        ),
        (
            corpus_item(
                Channel::Email,
                Language::Dutch,
                Intent::InvoiceQuestion,
                "regular",
                &[],
            ),
            vec!["language:nl", "channel:email", "credit_pricing"],
            "standard",
        ),
        (
            corpus_item(
                Channel::Email,
                Language::German,
                Intent::NewOrder,
                "new",
                &["fragrance", "haircare"],
            ),
            vec![
                "language:de",
                "channel:email",
                "product:fragrance",
                "product:haircare",
            ],
            "standard",
        ),
        (
            corpus_item(
                Channel::Voicemail,
                Language::English,
                Intent::OrderCancel,
                "key_account",
                &[],
            ),
            vec!["language:en", "channel:voicemail", "key_account"],
            "urgent",
        ),
    ];
    for (facts, expected, rule) in cases {
        let routing = evaluate(&set, &facts, t0());
        assert_eq!(names(&routing.required_skills), expected);
        assert_eq!(routing.rule.unwrap().name, rule);
        assert_eq!(routing.queue, "inbox");
    }
    let mut noise = ItemFacts::new(Channel::Email, t0());
    noise.noise = Some(NoiseKind::AutoReply);
    let routing = evaluate(&set, &noise, t0());
    assert_eq!(routing.rule.unwrap().name, "noise");
    assert!(routing.required_skills.is_empty());
}

#[test]
fn unlinked_item_without_language_still_routes() {
    let set = validate(&default_rule_set()).unwrap();
    let facts = ItemFacts::new(Channel::Letter, t0());
    let routing = evaluate(&set, &facts, t0());
    assert_eq!(routing.rule.unwrap().name, "standard");
    assert_eq!(names(&routing.required_skills), vec!["channel:letter"]);
    assert!(
        routing
            .notes
            .iter()
            .all(|n| matches!(n.outcome, rules::RuleOutcome::NotMatched))
    );
}

#[test]
fn relaxation_steps_change_at_their_minute() {
    let set = validate(&default_rule_set()).unwrap();
    let facts = corpus_item(
        Channel::Email,
        Language::French,
        Intent::Complaint,
        "regular",
        &["nails"],
    );
    let at = |m| evaluate(&set, &facts, minutes(m));
    assert_eq!(at(29).step, 0);
    assert_eq!(
        names(&at(29).required_skills),
        ["language:fr", "channel:email", "product:nails", "complaint"]
    );
    assert_eq!(at(29).next_step_at, Some(minutes(30)));
    assert_eq!(at(30).step, 1);
    assert_eq!(
        names(&at(30).required_skills),
        ["language:fr", "channel:email", "complaint"]
    );
    assert_eq!(at(59).step, 1);
    assert_eq!(at(60).step, 2);
    assert_eq!(names(&at(60).required_skills), ["language:fr", "complaint"]);
    assert_eq!(at(600).next_step_at, None);
}

const ORDERED: &str = r#"
version = 1
default_queue = "inbox"

[[rules]]
name = "fax-de"
when = "channel == 'fax' && language == 'de'"
queue = "fax-de"
priority = 30
require = ["language:de>=3"]
relax = [{ after_minutes = 10, lower = ["language:*>=1"], widen = ["inbox"] }]

[[rules]]
name = "fax"
when = "channel == 'fax'"
queue = "fax"
priority = 20

[[rules]]
name = "domain"
when = "sender_domain == 'kapsalon.example.nl' || age_minutes > 120 || 'open' in order_statuses"
queue = "vip"
"#;

#[test]
fn first_matching_rule_wins_in_order() {
    let set = validate(&RuleSet::from_toml(ORDERED).unwrap()).unwrap();
    let mut facts = ItemFacts::new(Channel::Fax, t0());
    facts.language = Some(Language::German);
    let routing = evaluate(&set, &facts, t0());
    assert_eq!((routing.queue.as_str(), routing.priority), ("fax-de", 30));
    assert_eq!(names(&routing.required_skills), ["language:de>=3"]);
    let later = evaluate(&set, &facts, minutes(10));
    assert_eq!(names(&later.required_skills), ["language:de"]);
    assert_eq!(later.extra_queues, ["inbox"]);

    facts.language = Some(Language::French);
    let routing = evaluate(&set, &facts, t0());
    assert_eq!(routing.rule.unwrap().index, 1);
    assert_eq!(routing.notes.len(), 1);

    let mut mail = ItemFacts::new(Channel::Email, t0());
    assert_eq!(evaluate(&set, &mail, t0()).queue, "inbox");
    assert_eq!(evaluate(&set, &mail, minutes(121)).queue, "vip");
    mail.sender_email = Some("info@kapsalon.example.nl".into());
    assert_eq!(evaluate(&set, &mail, t0()).queue, "vip");
}

#[test]
fn validation_reports_every_error_with_rule_and_position() {
    let text = r#"
version = 2
default_queue = "Inbox"

[[rules]]
name = "a"
when = "channel == 'fax' &&"
queue = "q"

[[rules]]
name = "a"
when = "chanel == 'fax'"
queue = "q"
require = ["language:{lang}", "complaint>=7"]
relax = [{ after_minutes = 10, drop = ["product:*"] }, { after_minutes = 5, drop = ["pro*duct"] }, { after_minutes = 20 }]
"#;
    let set = RuleSet::from_toml(text).unwrap();
    let errors = validate(&set).unwrap_err();
    let found: Vec<(Option<usize>, &str, usize, usize)> = errors
        .iter()
        .map(|e| (e.rule, e.field.as_str(), e.line, e.column))
        .collect();
    assert!(found.contains(&(None, "version", 1, 1)), "{errors:#?}");
    assert!(found.contains(&(None, "default_queue", 1, 1)));
    assert!(
        found.iter().any(|f| f.0 == Some(0) && f.1 == "when"),
        "{errors:#?}"
    );
    assert!(found.contains(&(Some(1), "name", 1, 1)));
    assert!(found.contains(&(Some(1), "when", 1, 1)), "{errors:#?}");
    assert!(
        found.contains(&(Some(1), "require[0]", 1, 10)),
        "{errors:#?}"
    );
    assert!(
        found.contains(&(Some(1), "require[1]", 1, 12)),
        "{errors:#?}"
    );
    assert!(found.contains(&(Some(1), "relax[1].after_minutes", 1, 1)));
    assert!(
        found.contains(&(Some(1), "relax[1].drop[0]", 1, 4)),
        "{errors:#?}"
    );
    assert!(found.contains(&(Some(1), "relax[2]", 1, 1)));
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("unknown variable `chanel`"))
    );
    let shown = errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        shown.contains("rule 1 (\"a\") require[0] 1:10: unknown placeholder {lang}"),
        "{shown}"
    );
}

#[test]
fn load_errors_carry_document_positions() {
    let error = RuleSet::from_toml("version = 1\ndefault_queue = \"inbox\"\n[[rules]]\nname = 3\n")
        .unwrap_err();
    assert_eq!(error.line, 4, "{error}");
    let error = RuleSet::from_json("{\"version\": 1,\n \"default_queue\": }").unwrap_err();
    assert_eq!(error.line, 2, "{error}");
}

#[test]
fn runtime_condition_errors_skip_the_rule_and_are_noted() {
    let text = r#"
version = 1
default_queue = "inbox"
[[rules]]
name = "bad"
when = "priority"
queue = "x"
"#;
    let set = validate(&RuleSet::from_toml(text).unwrap()).unwrap();
    let routing = evaluate(&set, &ItemFacts::new(Channel::Email, t0()), t0());
    assert_eq!(routing.queue, "inbox");
    assert!(routing.rule.is_none());
    assert!(matches!(
        routing.notes[0].outcome,
        rules::RuleOutcome::Error { .. }
    ));
}
