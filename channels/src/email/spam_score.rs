//! Content-based spam scoring, for mail no upstream filter marked: weighted phrases per language
//! are looked up in the subject and the text, and a few signs in the headers (a hidden recipient
//! list) add their weight. A message whose total reaches the threshold is spam, and the verdict
//! names every sign that counted with its weight, so an agent sees why and an admin knows which
//! weight to tune (`[mail.spam]`).
//!
//! Every language's phrases are looked up in every message: spam reaches a Dutch mailbox in
//! English as often as in Dutch. Phrases match whole words only ("seo" never matches "Seoul").
//! The defaults are tuned so that no single ordinary word of a customer's message decides:
//! spam needs several signs together.

use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, MatchKind};
use serde::{Deserialize, Serialize};

/// The `[mail.spam]` settings: the threshold, the phrases per language and their weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpamScoring {
    /// Whether content is scored at all (header verdicts of upstream filters always count).
    pub enabled: bool,
    /// The total weight from which a message is spam.
    pub threshold: f64,
    /// The weight of a hidden recipient list (`To: undisclosed-recipients:;`, or no `To`).
    pub undisclosed_recipients: f64,
    /// Phrases and their weights per language; setting a language replaces its built-in list.
    pub phrases: SpamPhrases,
}

/// Weighted phrases per language, matched case-insensitively on whole words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpamPhrases {
    /// English.
    pub en: BTreeMap<String, f64>,
    /// Dutch.
    pub nl: BTreeMap<String, f64>,
    /// German.
    pub de: BTreeMap<String, f64>,
    /// French.
    pub fr: BTreeMap<String, f64>,
}

fn weighted(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs
        .iter()
        .map(|(phrase, weight)| ((*phrase).to_owned(), *weight))
        .collect()
}

impl Default for SpamPhrases {
    fn default() -> Self {
        Self {
            en: weighted(&[
                // Search-engine and marketing offers.
                ("seo", 2.0),
                ("search engine optimization", 2.0),
                ("google ranking", 2.0),
                ("first page", 1.0),
                ("rankings", 1.0),
                ("guarantee top", 2.0),
                ("free audit", 2.0),
                ("boost your", 1.5),
                // Advance-fee and "partnership" fraud.
                ("business consultant", 2.0),
                ("investor looking for", 2.0),
                ("business proposal", 2.0),
                ("partnership proposal", 1.5),
                ("direct phone number", 2.0),
                ("strictly confidential", 2.0),
                ("beneficiary", 2.0),
                ("unclaimed", 2.0),
                ("dear friend", 2.0),
                // Bulk trade offers.
                ("exclusive offer", 1.5),
                ("% off", 1.5),
                ("dear buyer", 2.0),
                ("fob price", 2.5),
                ("moq", 2.0),
                ("whatsapp us", 2.0),
                ("in stock", 0.5),
                // Phishing.
                ("dear user", 2.0),
                ("verify your account", 3.0),
                ("your mailbox", 1.5),
                ("quota", 1.0),
                ("within 24 hours", 1.0),
                ("avoid losing", 1.5),
                ("password expires", 2.5),
                ("click here", 1.5),
                ("act now", 1.5),
                ("lottery", 2.5),
                ("you have won", 3.0),
                ("bitcoin", 2.0),
            ]),
            nl: weighted(&[
                ("uw pakket kon niet worden bezorgd", 2.5),
                ("onvoldoende frankering", 2.5),
                ("via de volgende link", 2.0),
                ("incassokosten", 1.5),
                ("actie vereist", 1.5),
                ("geachte klant", 1.0),
                ("beste klant", 1.0),
                ("verifieer uw account", 3.0),
                ("uw mailbox is bijna vol", 3.0),
                ("binnen 24 uur", 1.0),
                ("klik hier", 1.5),
                ("gratis audit", 2.0),
                ("u heeft gewonnen", 3.0),
                ("loterij", 2.5),
            ]),
            de: weighted(&[
                ("google-ranking", 2.0),
                ("erste seite", 1.0),
                ("kostenlose analyse", 2.0),
                ("bestätigen sie ihr konto", 3.0),
                ("ihr postfach", 1.5),
                ("über den folgenden link", 2.0),
                ("innerhalb von 24 stunden", 1.0),
                ("klicken sie hier", 1.5),
                ("exklusives angebot", 1.5),
                ("sie haben gewonnen", 3.0),
                ("lotterie", 2.5),
            ]),
            fr: weighted(&[
                ("référencement", 2.0),
                ("première page", 1.0),
                ("audit gratuit", 2.0),
                ("vérifiez votre compte", 3.0),
                ("votre boîte mail", 1.5),
                ("via le lien suivant", 2.0),
                ("dans les 24 heures", 1.0),
                ("cliquez ici", 1.5),
                ("offre exclusive", 1.5),
                ("vous avez gagné", 3.0),
                ("loterie", 2.5),
            ]),
        }
    }
}

impl Default for SpamScoring {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: 5.0,
            undisclosed_recipients: 2.0,
            phrases: SpamPhrases::default(),
        }
    }
}

/// One sign that counted, for the verdict's explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct SpamSign {
    /// What was found, e.g. `"free audit" (en)`.
    pub sign: String,
    /// Its weight.
    pub weight: f64,
}

/// The signs found in a message and their total.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpamScore {
    /// Every sign found, in the order looked for.
    pub signs: Vec<SpamSign>,
    /// The sum of their weights.
    pub total: f64,
}

impl SpamScore {
    /// The explanation: `content score 7.5 >= 5: "free audit" (en) +2, ...`.
    pub fn explain(&self, threshold: f64) -> String {
        let signs: Vec<String> = self
            .signs
            .iter()
            .map(|sign| format!("{} +{}", sign.sign, sign.weight))
            .collect();
        format!(
            "content score {} >= {threshold}: {}",
            self.total,
            signs.join(", ")
        )
    }
}

/// Longest text scored, in bytes: spam says what it wants early.
const SCORED_BYTES: usize = 20_000;

/// A phrase looked for, lower-cased, with the sign it gives and its weight.
#[derive(Debug, Clone)]
struct Phrase {
    lowered: String,
    sign: String,
    weight: f64,
}

/// [`SpamScoring`] compiled once: every phrase of every language is found in one pass over a
/// message instead of one search per phrase.
#[derive(Debug, Clone)]
pub struct SpamScorer {
    /// Whether content is scored at all.
    enabled: bool,
    /// The total weight from which a message is spam.
    threshold: f64,
    /// The weight of a hidden recipient list.
    undisclosed_recipients: f64,
    /// The phrases with a weight, in the order their signs are listed (language, then phrase).
    phrases: Vec<Phrase>,
    /// Finds the distinct lower-cased phrases (`None` when there are none).
    automaton: Option<AhoCorasick>,
    /// The phrases each of the automaton's patterns stands for.
    owners: Vec<Vec<usize>>,
}

impl SpamScorer {
    /// Compiles `scoring`.
    pub fn new(scoring: &SpamScoring) -> Self {
        let languages = [
            ("en", &scoring.phrases.en),
            ("nl", &scoring.phrases.nl),
            ("de", &scoring.phrases.de),
            ("fr", &scoring.phrases.fr),
        ];
        let mut phrases = Vec::new();
        for (language, listed) in languages {
            for (phrase, &weight) in listed {
                let lowered = phrase.to_lowercase();
                if weight != 0.0 && !lowered.is_empty() {
                    phrases.push(Phrase {
                        lowered,
                        sign: format!("{phrase:?} ({language})"),
                        weight,
                    });
                }
            }
        }
        let mut patterns: Vec<&str> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        let mut pattern_of: HashMap<&str, usize> = HashMap::new();
        for (index, phrase) in phrases.iter().enumerate() {
            let pattern = *pattern_of.entry(&phrase.lowered).or_insert_with(|| {
                patterns.push(&phrase.lowered);
                owners.push(Vec::new());
                patterns.len() - 1
            });
            owners[pattern].push(index);
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .ok()
            .filter(|_| !patterns.is_empty());
        Self {
            enabled: scoring.enabled,
            threshold: scoring.threshold,
            undisclosed_recipients: scoring.undisclosed_recipients,
            phrases,
            automaton,
            owners,
        }
    }

    /// Scores a message's subject and text; `hidden_recipients` tells whether its recipient
    /// list was hidden. Pure: no I/O.
    pub fn score(&self, subject: Option<&str>, text: &str, hidden_recipients: bool) -> SpamScore {
        let mut score = SpamScore::default();
        if hidden_recipients && self.undisclosed_recipients > 0.0 {
            score.signs.push(SpamSign {
                sign: "undisclosed recipients".into(),
                weight: self.undisclosed_recipients,
            });
        }
        let scored = normalise(subject.unwrap_or_default(), text);
        let mut found = vec![false; self.phrases.len()];
        if let Some(automaton) = &self.automaton {
            for hit in automaton.find_overlapping_iter(&scored) {
                let owners = &self.owners[hit.pattern().as_usize()];
                let pattern = &self.phrases[owners[0]].lowered;
                if !found[owners[0]] && on_word_boundaries(&scored, hit.start(), pattern) {
                    owners.iter().for_each(|&phrase| found[phrase] = true);
                }
            }
        }
        for (phrase, _) in self.phrases.iter().zip(&found).filter(|(_, found)| **found) {
            score.signs.push(SpamSign {
                sign: phrase.sign.clone(),
                weight: phrase.weight,
            });
        }
        score.total = score.signs.iter().map(|sign| sign.weight).sum();
        score
    }

    /// The explanation of a message's spam verdict, when its score reaches the threshold.
    pub fn verdict(
        &self,
        subject: Option<&str>,
        text: &str,
        hidden_recipients: bool,
    ) -> Option<String> {
        if !self.enabled {
            return None;
        }
        let score = self.score(subject, text, hidden_recipients);
        (score.total >= self.threshold).then(|| score.explain(self.threshold))
    }
}

impl Default for SpamScorer {
    fn default() -> Self {
        Self::new(&SpamScoring::default())
    }
}

/// Subject and the start of the text, lower-cased, whitespace collapsed to single spaces.
fn normalise(subject: &str, text: &str) -> String {
    let mut end = text.len().min(SCORED_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let joined = format!("{subject}\n{}", &text[..end]);
    joined
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Tells whether `phrase`, found in `text` at `start`, stands on word boundaries there (a phrase
/// that starts or ends with a sign, like "% off", needs no boundary on that side).
fn on_word_boundaries(text: &str, start: usize, phrase: &str) -> bool {
    let starts_with_word = phrase.chars().next().is_some_and(char::is_alphanumeric);
    let ends_with_word = phrase.chars().last().is_some_and(char::is_alphanumeric);
    let before = text[..start].chars().next_back();
    let after = text[start + phrase.len()..].chars().next();
    let open = !starts_with_word || !before.is_some_and(char::is_alphanumeric);
    let close = !ends_with_word || !after.is_some_and(char::is_alphanumeric);
    open && close
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scorer that looks for one English phrase only.
    fn scorer_of(phrase: &str) -> SpamScorer {
        let phrases = SpamPhrases {
            en: BTreeMap::from([(phrase.to_owned(), 1.0)]),
            nl: BTreeMap::new(),
            de: BTreeMap::new(),
            fr: BTreeMap::new(),
        };
        SpamScorer::new(&SpamScoring {
            phrases,
            ..SpamScoring::default()
        })
    }

    fn finds(text: &str, phrase: &str) -> bool {
        scorer_of(phrase).score(None, text, false).total > 0.0
    }

    #[test]
    fn several_signs_make_spam_and_the_verdict_names_them() {
        let scorer = SpamScorer::default();
        let verdict = scorer
            .verdict(
                Some("Boost your Google ranking today!"),
                "Our SEO experts guarantee top 3 rankings in 30 days. Reply for a free audit.",
                false,
            )
            .unwrap();
        assert!(verdict.starts_with("content score "), "{verdict}");
        assert!(verdict.contains("\"free audit\" (en) +2"), "{verdict}");
        assert!(verdict.contains("\"seo\" (en) +2"), "{verdict}");
    }

    #[test]
    fn one_ordinary_word_of_a_customer_never_decides() {
        let scorer = SpamScorer::default();
        for (subject, text) in [
            (
                "Vraag over factuur 9000123",
                "Beste klantenservice, op de factuur staan incassokosten. Klopt dat?",
            ),
            (
                "Is item 30012345 in stock?",
                "Dear Velora team, is the shampoo in stock? We need it within 24 hours.",
            ),
            (
                "Seoul office order",
                "Please ship 20 boxes to our Seoul office.",
            ),
        ] {
            assert_eq!(scorer.verdict(Some(subject), text, false), None, "{text}");
        }
    }

    #[test]
    fn phrases_match_whole_words_only() {
        assert!(finds("our seo experts", "seo"));
        assert!(finds("Our SEO experts", "SEO"));
        assert!(!finds("seoul office", "seo"));
        assert!(finds("gloves 70% off", "% off"));
        assert!(!finds("beste klantenservice", "beste klant"));
        // Every occurrence counts, overlapping ones too: the first "a a" is inside a word.
        assert!(finds("xa a a", "a a"));
    }

    /// One pass for all phrases finds exactly the signs a search per phrase finds, in the same
    /// order, on every development e-mail (and upper-cased: matching ignores case).
    #[test]
    fn one_pass_finds_what_a_search_per_phrase_finds() {
        let scorer = SpamScorer::default();
        let folder =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev/email");
        let mut signs = 0;
        for entry in std::fs::read_dir(folder).expect("the development corpus") {
            let raw = std::fs::read(entry.expect("a corpus file").path()).expect("readable");
            let text = String::from_utf8_lossy(&raw).into_owned();
            for text in [text.to_uppercase(), text] {
                let scored = normalise("", &text);
                let expected: Vec<&str> = scorer
                    .phrases
                    .iter()
                    .filter(|phrase| {
                        scored
                            .match_indices(phrase.lowered.as_str())
                            .any(|(start, _)| on_word_boundaries(&scored, start, &phrase.lowered))
                    })
                    .map(|phrase| phrase.sign.as_str())
                    .collect();
                let found = scorer.score(None, &text, false);
                let found: Vec<&str> = found.signs.iter().map(|sign| sign.sign.as_str()).collect();
                assert_eq!(found, expected);
                signs += found.len();
            }
        }
        assert!(signs > 10, "the corpus exercises the phrases: {signs}");
    }

    #[test]
    fn weights_and_threshold_are_tunable() {
        let mut scoring = SpamScoring::default();
        let text = "Beste klant, klik hier.";
        assert_eq!(SpamScorer::new(&scoring).verdict(None, text, false), None);
        scoring.threshold = 2.5;
        assert!(
            SpamScorer::new(&scoring)
                .verdict(None, text, false)
                .is_some()
        );
        scoring.phrases.nl.insert("klik hier".into(), 0.0);
        assert_eq!(SpamScorer::new(&scoring).verdict(None, text, false), None);
        scoring.enabled = false;
        assert_eq!(
            SpamScorer::new(&scoring).verdict(None, "dear user verify your account", true),
            None
        );
    }
}
