//! Scores an item's text against the intent rules.

use std::collections::BTreeMap;

use regex::{Regex, RegexBuilder};
use switchboard_core::item::{Intent, Language};

use super::IntentRules;
use super::prefilter::{RulePrefilter, Starts};
use crate::linking::{Place, Segments};

/// Extra distinct matches of one rule that still add weight.
const MAX_REPEATS: usize = 2;
/// Weight of each extra distinct match, relative to the rule's weight.
const REPEAT_FACTOR: f64 = 0.5;

/// A rule table problem.
#[derive(Debug, thiserror::Error)]
pub enum IntentError {
    /// A rule's pattern is no valid regex.
    #[error("invalid intent pattern {pattern:?}: {source}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// The regex error.
        source: regex::Error,
    },
    /// A valid pattern the anchored matcher could not be built for (too large).
    #[error("intent pattern {pattern:?} cannot be matched: {source}")]
    Matcher {
        /// The pattern.
        pattern: String,
        /// Why.
        source: Box<regex_automata::meta::BuildError>,
    },
}

/// The classified intent with the evidence behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    /// The intent, or `None` when no rule scored enough.
    pub intent: Option<Intent>,
    /// The winning score.
    pub score: f64,
    /// What matched, e.g. "\"retourlabel\" in text".
    pub evidence: Vec<String>,
}

struct CompiledRule {
    intent: Intent,
    language: Option<Language>,
    /// Searched only where the prefilter says a match may start, anchored there.
    regex: regex_automata::meta::Regex,
    weight: f64,
}

/// Classifies items by intent with a compiled rule table.
pub struct IntentClassifier {
    rules: Vec<CompiledRule>,
    /// Tells which rules may match a text, so the others' regexes are not run.
    prefilter: RulePrefilter,
    pub(crate) line_rules: Vec<(String, Regex)>,
    table: IntentRules,
}

pub(crate) fn case_insensitive(pattern: &str) -> Result<Regex, IntentError> {
    RegexBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .map_err(|source| IntentError::Pattern {
            pattern: pattern.to_owned(),
            source,
        })
}

/// The case-insensitive `pattern` as a regex that can be searched anchored at a position.
fn anchorable(pattern: &str) -> Result<regex_automata::meta::Regex, IntentError> {
    // Checked by the regex crate first: its errors point at the mistake.
    case_insensitive(pattern)?;
    regex_automata::meta::Regex::builder()
        .syntax(regex_automata::util::syntax::Config::new().case_insensitive(true))
        .build(pattern)
        .map_err(|source| IntentError::Matcher {
            pattern: pattern.to_owned(),
            source: Box::new(source),
        })
}

/// The matches of `regex` in `text`, leftmost first and never overlapping, as `find_iter`
/// gives them; where the prefilter lists the positions matches may start, only an anchored
/// search at each of those (after the last match) runs, not a scan of the whole text.
fn matches<'t>(
    regex: &regex_automata::meta::Regex,
    text: &'t str,
    starts: &Starts,
) -> Vec<&'t str> {
    match starts {
        Starts::Anywhere => regex
            .find_iter(text)
            .map(|found| &text[found.range()])
            .collect(),
        Starts::At(positions) => {
            let mut found = Vec::new();
            let mut end = 0;
            for &start in positions {
                if start < end {
                    continue;
                }
                let input = regex_automata::Input::new(text)
                    .range(start..)
                    .anchored(regex_automata::Anchored::Yes);
                if let Some(matched) = regex.search(&input) {
                    found.push(&text[matched.range()]);
                    end = matched.end().max(start + 1);
                }
            }
            found
        }
    }
}

impl IntentClassifier {
    /// Compiles a rule table.
    pub fn new(table: IntentRules) -> Result<Self, IntentError> {
        let mut rules = Vec::with_capacity(table.rules.len());
        for rule in &table.rules {
            rules.push(CompiledRule {
                intent: rule.intent,
                language: rule.language,
                regex: anchorable(&rule.pattern)?,
                weight: rule.weight,
            });
        }
        let mut line_rules = Vec::with_capacity(table.product_lines.len());
        for rule in &table.product_lines {
            line_rules.push((rule.line.clone(), case_insensitive(&rule.pattern)?));
        }
        let prefilter = RulePrefilter::new(table.rules.iter().map(|rule| rule.pattern.as_str()));
        Ok(Self {
            rules,
            prefilter,
            line_rules,
            table,
        })
    }

    /// Compiles the built-in rule table.
    pub fn with_defaults() -> Result<Self, IntentError> {
        Self::new(IntentRules::default())
    }

    /// Classifies an item from its subject and text; quoted text of replies counts less.
    pub fn classify(
        &self,
        subject: Option<&str>,
        text: &str,
        language: Option<Language>,
    ) -> Classification {
        let segments = Segments::of(subject, text);
        let mut scores: BTreeMap<usize, f64> = BTreeMap::new();
        let mut evidence: BTreeMap<usize, Vec<(f64, String)>> = BTreeMap::new();
        for (place, part) in &segments.parts {
            let place_factor = match place {
                Place::Subject => self.table.subject_factor,
                Place::Quoted => self.table.quoted_factor,
                Place::Text | Place::Sender => 1.0,
            };
            let starts = self.prefilter.starts(part);
            for (rule, starts) in self.rules.iter().zip(&starts) {
                let found = matches(&rule.regex, part, starts);
                let Some(first) = found.first() else {
                    continue;
                };
                let mut distinct: Vec<String> = Vec::with_capacity(found.len());
                for other in &found {
                    let other = other.to_lowercase();
                    if !distinct.contains(&other) {
                        distinct.push(other);
                    }
                }
                // more distinct phrasings of the same intent add up, with diminishing weight
                let repeats = (distinct.len() - 1).min(MAX_REPEATS) as f64;
                let language_factor = match (rule.language, language) {
                    (Some(rule_language), Some(item_language))
                        if rule_language != item_language =>
                    {
                        self.table.other_language_factor
                    }
                    _ => 1.0,
                };
                let gained =
                    rule.weight * (1.0 + REPEAT_FACTOR * repeats) * place_factor * language_factor;
                let key = self.tie_rank(rule.intent);
                *scores.entry(key).or_default() += gained;
                let words = format!("\"{}\" {}", first.trim(), place.words());
                evidence.entry(key).or_default().push((gained, words));
            }
        }
        let best = scores
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(key, score)| (*key, *score));
        match best {
            Some((key, score)) if score >= self.table.min_score => {
                let mut reasons = evidence.remove(&key).unwrap_or_default();
                reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
                Classification {
                    intent: self.intent_at(key),
                    score,
                    evidence: reasons.into_iter().map(|(_, words)| words).collect(),
                }
            }
            _ => Classification {
                intent: None,
                score: best.map_or(0.0, |(_, score)| score),
                evidence: Vec::new(),
            },
        }
    }

    fn tie_rank(&self, intent: Intent) -> usize {
        self.table
            .tie_order
            .iter()
            .position(|candidate| *candidate == intent)
            .unwrap_or(self.table.tie_order.len() + intent_index(intent))
    }

    fn intent_at(&self, rank: usize) -> Option<Intent> {
        self.table.tie_order.get(rank).copied().or_else(|| {
            Intent::ALL
                .get(rank.checked_sub(self.table.tie_order.len())?)
                .copied()
        })
    }
}

fn intent_index(intent: Intent) -> usize {
    Intent::ALL
        .iter()
        .position(|candidate| *candidate == intent)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{IntentClassifier, Starts, anchorable, matches};
    use crate::intent::default_rules;
    use crate::intent::prefilter::RulePrefilter;
    use crate::intent::prefilter::tests::corpus_texts;

    /// Searched anchored where the prefilter says matches may start, every rule finds exactly
    /// the matches a scan of the whole text finds: on the development corpus as written and
    /// upper-cased, and on repeats, overlaps and word boundaries just before a start.
    #[test]
    fn matches_at_the_prefilter_starts_are_those_of_a_whole_scan() {
        let classifier = IntentClassifier::new(default_rules()).expect("default rules");
        let mut found = 0;
        for text in corpus_texts() {
            let starts = classifier.prefilter.starts(&text);
            for (rule, starts) in classifier.rules.iter().zip(&starts) {
                let whole = matches(&rule.regex, &text, &Starts::Anywhere);
                assert_eq!(matches(&rule.regex, &text, starts), whole);
                found += whole.len();
            }
        }
        assert!(found > 100, "the corpus exercises the rules: {found}");

        let patterns = [
            "aa",
            r"\bnew order\b",
            "retour(?:label)?",
            "klacht|klachten",
        ];
        let prefilter = RulePrefilter::new(patterns);
        for text in [
            "aaaaa",
            "renew order, a NEW ORDER; new orders",
            "RETOURLABEL retour retourlabel",
            "klachtenklacht",
        ] {
            let starts = prefilter.starts(text);
            for (pattern, starts) in patterns.iter().zip(&starts) {
                let regex = anchorable(pattern).expect("valid");
                assert_eq!(
                    matches(&regex, text, starts),
                    matches(&regex, text, &Starts::Anywhere),
                    "{pattern} in {text}"
                );
            }
        }
        let aa = anchorable("aa").expect("valid");
        assert_eq!(
            matches(&aa, "aaaaa", &prefilter.starts("aaaaa")[0]),
            ["aa", "aa"]
        );
    }
}
