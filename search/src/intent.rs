//! Intent classification and product lines: weighted keyword and pattern rules per language,
//! loadable with serde, with a built-in default table.

mod classify;
mod defaults;
pub(crate) mod prefilter;
mod product_lines;

pub use classify::{Classification, IntentClassifier, IntentError};
pub use defaults::default_rules;
pub(crate) use product_lines::ProductPhrases;
pub use product_lines::{ProductLines, product_lines};

use serde::{Deserialize, Serialize};
use switchboard_core::item::{Intent, Language};

/// One weighted rule: when the pattern occurs, the intent gains the weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentRule {
    /// The intent the rule votes for.
    pub intent: Intent,
    /// The language the pattern is written in; `None` for any. Rules of other languages than the
    /// item's still count (items mix languages), at `other_language_factor`.
    #[serde(default)]
    pub language: Option<Language>,
    /// A regex, matched case-insensitively.
    pub pattern: String,
    /// The weight gained.
    pub weight: f64,
}

/// Words that name a product line (e.g. "haircare-lijn").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductLineRule {
    /// The product line, as in master data.
    pub line: String,
    /// A regex, matched case-insensitively.
    pub pattern: String,
}

/// The rule table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntentRules {
    /// Intent rules.
    pub rules: Vec<IntentRule>,
    /// Product-line words.
    pub product_lines: Vec<ProductLineRule>,
    /// Factor for matches in the subject.
    pub subject_factor: f64,
    /// Factor for matches in quoted text of replies.
    pub quoted_factor: f64,
    /// Factor for rules written in another language than the item's.
    pub other_language_factor: f64,
    /// Least score for an intent to be given.
    pub min_score: f64,
    /// Order in which ties are broken, first wins.
    pub tie_order: Vec<Intent>,
}

impl Default for IntentRules {
    fn default() -> Self {
        default_rules()
    }
}
