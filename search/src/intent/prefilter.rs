//! Which intent rules can match a text at all: every match of a rule's regex starts with one
//! of a few literals (its prefixes, with every case variant the case-insensitive regex
//! accepts), so one Aho–Corasick pass over the text for all rules' literals tells which rules
//! are worth running. A rule whose prefixes cannot be listed always runs.

use aho_corasick::{AhoCorasick, MatchKind};
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// The rules that may match a text, by one pass over it.
pub(crate) struct RulePrefilter {
    /// All rules' prefix literals; `None` when no rule has any.
    automaton: Option<AhoCorasick>,
    /// The rule each literal of the automaton belongs to.
    owners: Vec<usize>,
    /// Which rules have no prefix literals and always run.
    unfiltered: Vec<bool>,
}

impl RulePrefilter {
    /// Builds the prefilter of case-insensitive `patterns` (valid regexes).
    pub(crate) fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Self {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners = Vec::new();
        let mut unfiltered = Vec::new();
        for (rule, pattern) in patterns.into_iter().enumerate() {
            match prefixes(pattern) {
                Some(prefixes) => {
                    owners.extend(std::iter::repeat_n(rule, prefixes.len()));
                    literals.extend(prefixes);
                    unfiltered.push(false);
                }
                None => unfiltered.push(true),
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .ok()
            .filter(|_| !literals.is_empty());
        if automaton.is_none() {
            // Nothing to search for (or the automaton could not be built): every rule runs.
            unfiltered.iter_mut().for_each(|always| *always = true);
        }
        Self {
            automaton,
            owners,
            unfiltered,
        }
    }

    /// Per rule: whether it may match `text`. A rule marked `false` has no match in it.
    #[cfg(test)]
    pub(crate) fn candidates(&self, text: &str) -> Vec<bool> {
        self.starts(text)
            .iter()
            .map(|starts| match starts {
                Starts::Anywhere => true,
                Starts::At(positions) => !positions.is_empty(),
            })
            .collect()
    }

    /// Per rule: where in `text` its matches may start (every match starts at one of these).
    pub(crate) fn starts(&self, text: &str) -> Vec<Starts> {
        let mut starts: Vec<Starts> = self
            .unfiltered
            .iter()
            .map(|&always| {
                if always {
                    Starts::Anywhere
                } else {
                    Starts::At(Vec::new())
                }
            })
            .collect();
        if let Some(automaton) = &self.automaton {
            for found in automaton.find_overlapping_iter(text) {
                if let Starts::At(positions) = &mut starts[self.owners[found.pattern().as_usize()]]
                {
                    positions.push(found.start());
                }
            }
        }
        for rule in &mut starts {
            if let Starts::At(positions) = rule {
                positions.sort_unstable();
                positions.dedup();
            }
        }
        starts
    }
}

/// Where a rule's matches may start in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Starts {
    /// Anywhere: the rule has no listable prefixes.
    Anywhere,
    /// Only at these byte offsets, ascending (none: the rule cannot match).
    At(Vec<usize>),
}

/// The literals every match of the case-insensitive `pattern` starts with, or `None` when
/// there is no such finite list of non-empty literals.
fn prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(pattern)
        .ok()?;
    let mut sequence = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    sequence.dedup();
    let literals = sequence.literals()?;
    if literals.is_empty() || literals.iter().any(|literal| literal.as_bytes().is_empty()) {
        return None;
    }
    Some(
        literals
            .iter()
            .map(|literal| literal.as_bytes().to_vec())
            .collect(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::RulePrefilter;
    use crate::intent::classify::case_insensitive;
    use crate::intent::default_rules;

    /// The development corpus' e-mails as text, as written and in upper case (the regexes
    /// ignore case, so the prefilter must too).
    pub(crate) fn corpus_texts() -> Vec<String> {
        let folder =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev/email");
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(folder).expect("the development corpus") {
            let raw = std::fs::read(entry.expect("a corpus file").path()).expect("readable");
            let text = String::from_utf8_lossy(&raw).into_owned();
            texts.push(text.to_uppercase());
            texts.push(text);
        }
        assert!(texts.len() > 100, "corpus found");
        texts
    }

    #[test]
    fn a_rule_the_prefilter_skips_never_matches_and_most_rules_are_skipped() {
        let rules = default_rules().rules;
        let regexes: Vec<_> = rules
            .iter()
            .map(|rule| case_insensitive(&rule.pattern).expect("valid rule"))
            .collect();
        let prefilter = RulePrefilter::new(rules.iter().map(|rule| rule.pattern.as_str()));
        let (mut pairs, mut skipped, mut matched) = (0, 0, 0);
        for text in corpus_texts() {
            let candidates = prefilter.candidates(&text);
            for ((rule, regex), candidate) in rules.iter().zip(&regexes).zip(candidates) {
                let matches = regex.is_match(&text);
                assert!(
                    candidate || !matches,
                    "{:?} skipped on a text it matches",
                    rule.pattern
                );
                pairs += 1;
                skipped += usize::from(!candidate);
                matched += usize::from(matches);
            }
        }
        assert!(matched > 0, "the corpus exercises the rules");
        // The point of it: most rules are not run on most texts.
        assert!(skipped * 2 > pairs, "{skipped} of {pairs} skipped");
    }

    #[test]
    fn every_case_variant_the_regex_accepts_passes_the_prefilter() {
        // Unicode case folding: the Kelvin sign is a K, the long s an s, Ü a ü.
        let patterns = [
            "klacht",
            "status",
            "möchten (?:gerne )?bestellen",
            r"\bnew order\b",
        ];
        let prefilter = RulePrefilter::new(patterns);
        for (rule, text) in [
            (0, "Een \u{212A}LACHT over de levering"),
            (1, "wat is de \u{17F}tatus"),
            (2, "WIR MÖCHTEN GERNE BESTELLEN"),
            (3, "A NEW ORDER, please"),
        ] {
            assert!(
                case_insensitive(patterns[rule])
                    .expect("valid")
                    .is_match(text)
            );
            assert!(prefilter.candidates(text)[rule], "{text}");
        }
        assert_eq!(prefilter.candidates("nothing here"), vec![false; 4]);
        // A rule without a listable prefix always runs.
        let open = RulePrefilter::new([r".{0,3}retour", "retour"]);
        assert_eq!(open.candidates("nothing here"), vec![true, false]);
    }
}
