//! Routing rules: an ordered, versioned list; the first rule whose CEL condition matches an item
//! decides its queue, required skills, priority and relaxation steps.
//!
//! A rule set is a TOML or JSON document:
//!
//! ```toml
//! version = 1
//! default_queue = "inbox"
//!
//! [[rules]]
//! name = "complaints"
//! when = "intent in ['complaint', 'return_request']"
//! queue = "complaints"
//! priority = 40
//! require = ["language:{language}", "complaint>=3"]
//! require_if = [{ when = "customer.segment == 'key_account'", require = ["key_account"] }]
//! relax = [{ after_minutes = 30, lower = ["complaint>=1"] },
//!          { after_minutes = 60, drop = ["language:*"], widen = ["inbox"] }]
//! ```
//!
//! Conditions are [CEL](https://cel.dev) over the variables of [`facts::VARIABLES`].
//! Requirements are `name[>=level]`; names may hold `{language}`, `{channel}`, `{product_line}`
//! (one requirement per product line), `{intent}` or `{segment}`, which yield nothing when the
//! item lacks the fact. Relaxation steps are cumulative and counted from the item's arrival.

mod defaults;
mod eval;
pub mod facts;
mod locate;
mod template;
mod validate;

use serde::{Deserialize, Serialize};

pub use defaults::default_rule_set;
pub use eval::{PlanStep, RoutePlan, Routing, RuleNote, RuleOutcome, evaluate, plan};
pub use facts::{CustomerFacts, ItemFacts, OrderFacts};
pub use locate::{TextPosition, locate_in_toml};
pub use validate::{RuleError, ValidRuleSet, validate};

/// The rule-set versions this build understands.
pub const SUPPORTED_VERSION: u32 = 1;

/// A rule set as written by an admin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// The document format version ([`SUPPORTED_VERSION`]).
    pub version: u32,
    /// The queue for items no rule matches.
    pub default_queue: String,
    /// Rules, first match wins.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// One routing rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A unique name, shown in explanations.
    pub name: String,
    /// CEL condition; the rule applies when it yields `true`.
    #[serde(default = "always")]
    pub when: String,
    /// The queue.
    pub queue: String,
    /// Base priority (higher first).
    #[serde(default)]
    pub priority: i32,
    /// Requirement templates.
    #[serde(default)]
    pub require: Vec<String>,
    /// Extra requirements that apply when their condition holds.
    #[serde(default)]
    pub require_if: Vec<ConditionalRequirement>,
    /// Relaxation steps, by rising `after_minutes`.
    #[serde(default)]
    pub relax: Vec<RelaxationStep>,
}

fn always() -> String {
    "true".into()
}

/// Requirements that apply only when a condition holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionalRequirement {
    /// CEL condition.
    pub when: String,
    /// Requirement templates.
    pub require: Vec<String>,
}

/// What changes once an item has waited `after_minutes` since arrival.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelaxationStep {
    /// Minutes since arrival.
    pub after_minutes: u32,
    /// `pattern>=level`: lower matching requirements to that level.
    #[serde(default)]
    pub lower: Vec<String>,
    /// Skill names or `prefix*` patterns to drop.
    #[serde(default)]
    pub drop: Vec<String>,
    /// Queues whose agents may also take the item.
    #[serde(default)]
    pub widen: Vec<String>,
}

/// A document that could not be read, with where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct LoadError {
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl RuleSet {
    /// Reads a TOML document.
    pub fn from_toml(text: &str) -> Result<Self, LoadError> {
        toml::from_str(text).map_err(|error| {
            let (line, column) = error
                .span()
                .map_or((0, 0), |span| line_column(text, span.start));
            LoadError {
                line,
                column,
                message: error.message().to_owned(),
            }
        })
    }

    /// Reads a JSON document.
    pub fn from_json(text: &str) -> Result<Self, LoadError> {
        serde_json::from_str(text).map_err(|error| LoadError {
            line: error.line(),
            column: error.column(),
            message: error.to_string(),
        })
    }

    /// Writes the set as TOML.
    pub fn to_toml(&self) -> Result<String, LoadError> {
        toml::to_string(self).map_err(|error| LoadError {
            line: 0,
            column: 0,
            message: error.to_string(),
        })
    }

    /// Writes the set as pretty JSON.
    pub fn to_json(&self) -> Result<String, LoadError> {
        serde_json::to_string_pretty(self).map_err(|error| LoadError {
            line: 0,
            column: 0,
            message: error.to_string(),
        })
    }
}
