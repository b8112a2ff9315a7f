//! The rule set of a fresh installation.

use super::{ConditionalRequirement, RelaxationStep, Rule, RuleSet, SUPPORTED_VERSION};

/// Base priority of urgent items (complaints, returns, changes and cancellations of key accounts).
pub const PRIORITY_HIGH: i32 = 50;
/// Base priority of ordinary work.
pub const PRIORITY_NORMAL: i32 = 20;
/// Base priority of noise that still reaches a queue.
pub const PRIORITY_LOW: i32 = 0;

fn standard_requirements() -> (Vec<String>, Vec<ConditionalRequirement>) {
    let require = [
        "language:{language}",
        "channel:{channel}",
        "product:{product_line}",
    ]
    .map(String::from)
    .to_vec();
    let require_if = [
        ("intent in ['complaint', 'return_request']", "complaint"),
        ("customer.segment == 'key_account'", "key_account"),
        (
            "intent in ['invoice_question', 'price_quote']",
            "credit_pricing",
        ),
    ]
    .map(|(when, skill)| ConditionalRequirement {
        when: when.into(),
        require: vec![skill.into()],
    })
    .to_vec();
    (require, require_if)
}

fn standard_relaxation() -> Vec<RelaxationStep> {
    vec![
        RelaxationStep {
            after_minutes: 30,
            lower: Vec::new(),
            drop: vec!["product:*".into()],
            widen: Vec::new(),
        },
        RelaxationStep {
            after_minutes: 60,
            lower: Vec::new(),
            drop: vec!["channel:*".into()],
            widen: Vec::new(),
        },
    ]
}

/// Returns the rule set a fresh installation starts with: one `inbox` queue; every item requires
/// its language, channel and product lines, plus `complaint` for complaints and returns,
/// `key_account` for key accounts and `credit_pricing` for invoice and price questions.
/// Product skills are dropped after 30 minutes, channel skills after 60.
pub fn default_rule_set() -> RuleSet {
    let (require, require_if) = standard_requirements();
    RuleSet {
        version: SUPPORTED_VERSION,
        default_queue: "inbox".into(),
        rules: vec![
            Rule {
                name: "noise".into(),
                when: "noise != null".into(),
                queue: "inbox".into(),
                priority: PRIORITY_LOW,
                require: Vec::new(),
                require_if: Vec::new(),
                relax: Vec::new(),
            },
            Rule {
                name: "urgent".into(),
                when: "(customer.segment == 'key_account' && intent in ['complaint', \
                       'return_request', 'order_change', 'order_cancel']) || \
                       keywords.exists(k, k in ['urgent', 'dringend', 'spoed', 'urgence'])"
                    .into(),
                queue: "inbox".into(),
                priority: PRIORITY_HIGH,
                require: require.clone(),
                require_if: require_if.clone(),
                relax: standard_relaxation(),
            },
            Rule {
                name: "standard".into(),
                when: "true".into(),
                queue: "inbox".into(),
                priority: PRIORITY_NORMAL,
                require,
                require_if,
                relax: standard_relaxation(),
            },
        ],
    }
}
