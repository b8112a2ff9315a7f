//! Company-name lookup behind a small trait: in memory now, the tantivy index later.

use std::collections::HashMap;

use switchboard_core::CustomerNo;

/// A customer whose name occurs in a text.
#[derive(Debug, Clone, PartialEq)]
pub struct NameMatch {
    /// The customer.
    pub customer_no: CustomerNo,
    /// The customer's name as in master data.
    pub name: String,
    /// How well it matched, 0..1 (1: every word, in order, legal form included).
    pub score: f64,
    /// Whether the name is a contact person's rather than the company's.
    pub contact: bool,
}

/// Finds customers by company name in free text (signatures, letterheads, transcriptions).
pub trait NameMatcher: Send + Sync {
    /// Returns customers whose names occur in the text, best first.
    fn find_in_text(&self, text: &str) -> Vec<NameMatch>;
}

/// Legal forms: they tell two branches apart but never identify a company by themselves.
const LEGAL_FORMS: &[&str] = &[
    "bv", "vof", "nv", "bvba", "bvba", "sprl", "srl", "gmbh", "ek", "ag", "kg", "ltd", "llp",
    "plc", "sarl", "sas", "sa", "cv", "vzw", "ohg", "ug", "inc", "co", "aps", "as",
];

/// Words too common in this trade to identify a company without the other words.
const GENERIC_WORDS: &[&str] = &[
    "by", "de", "het", "van", "der", "den", "the", "and", "en", "und", "et", "le", "la", "les",
    "du", "des", "of", "&",
];

#[derive(Debug, Clone)]
struct IndexedName {
    customer_no: CustomerNo,
    name: String,
    words: Vec<String>,
    legal_form: Vec<String>,
    contact: bool,
}

/// Matches normalised word sequences of customer names against a text, tolerating one wrong
/// letter in long words (OCR and transcription errors).
#[derive(Debug, Clone, Default)]
pub struct InMemoryNameMatcher {
    names: Vec<IndexedName>,
    by_word: HashMap<String, Vec<usize>>,
}

/// Returns lower-case words with diacritics folded and punctuation dropped.
pub fn name_words(text: &str) -> Vec<String> {
    crate::fold::folded(text)
        .split(|c: char| !(c.is_alphanumeric() || c == '&'))
        .filter(|word| !word.is_empty())
        .map(str::to_owned)
        .collect()
}

impl InMemoryNameMatcher {
    /// Indexes customer names.
    pub fn new<'a>(customers: impl IntoIterator<Item = (&'a CustomerNo, &'a str)>) -> Self {
        let mut matcher = Self::default();
        for (customer_no, name) in customers {
            let all = name_words(&name.replace('.', ""));
            let split = all
                .iter()
                .rposition(|word| !LEGAL_FORMS.contains(&word.as_str()))
                .map_or(0, |last| last + 1);
            let (words, legal_form) = all.split_at(split);
            let distinctive = words
                .iter()
                .any(|word| word.len() >= 3 && !GENERIC_WORDS.contains(&word.as_str()));
            if words.is_empty() || !distinctive {
                continue;
            }
            let position = matcher.names.len();
            matcher
                .by_word
                .entry(words[0].clone())
                .or_default()
                .push(position);
            matcher.names.push(IndexedName {
                customer_no: customer_no.clone(),
                name: name.to_owned(),
                words: words.to_vec(),
                legal_form: legal_form.to_vec(),
                contact: false,
            });
        }
        matcher
    }

    /// Adds a contact person's full name; first and last name must both be given.
    pub fn add_contact(&mut self, customer_no: &CustomerNo, first_name: &str, last_name: &str) {
        let first = name_words(first_name);
        let last = name_words(last_name);
        if first.is_empty() || last.is_empty() {
            return;
        }
        let words: Vec<String> = first.into_iter().chain(last).collect();
        let position = self.names.len();
        self.by_word
            .entry(words[0].clone())
            .or_default()
            .push(position);
        self.names.push(IndexedName {
            customer_no: customer_no.clone(),
            name: format!("{first_name} {last_name}"),
            words,
            legal_form: Vec::new(),
            contact: true,
        });
    }
}

fn same_word(expected: &str, seen: &str) -> bool {
    expected == seen || (expected.chars().count() >= 6 && within_one_edit(expected, seen))
}

/// Whether one letter inserted, dropped or replaced turns `left` into `right`. Runs for every
/// long word of every item against every indexed first word, so it allocates nothing.
fn within_one_edit(left: &str, right: &str) -> bool {
    // One edit changes the length by at most one character of at most four bytes.
    if left.len().abs_diff(right.len()) > 4 {
        return false;
    }
    let (left_count, right_count) = (left.chars().count(), right.chars().count());
    if left_count.abs_diff(right_count) > 1 {
        return false;
    }
    let prefix = left
        .chars()
        .zip(right.chars())
        .take_while(|(a, b)| a == b)
        .count();
    // Matching letters from the end, never reaching back into the common prefix.
    let suffix = left
        .chars()
        .rev()
        .zip(right.chars().rev())
        .take_while(|(a, b)| a == b)
        .count()
        .min(left_count.min(right_count) - prefix);
    left_count.max(right_count) - prefix - suffix <= 1
}

impl NameMatcher for InMemoryNameMatcher {
    fn find_in_text(&self, text: &str) -> Vec<NameMatch> {
        let words = name_words(&text.replace('.', ""));
        let mut best: HashMap<usize, f64> = HashMap::new();
        for start in 0..words.len() {
            let mut candidates: Vec<usize> =
                self.by_word.get(&words[start]).cloned().unwrap_or_default();
            if words[start].chars().count() >= 6 {
                for (first, positions) in &self.by_word {
                    if first != &words[start] && within_one_edit(first, &words[start]) {
                        candidates.extend(positions);
                    }
                }
            }
            for position in candidates {
                let indexed = &self.names[position];
                let Some(window) = words.get(start..start + indexed.words.len()) else {
                    continue;
                };
                let exact = window == indexed.words.as_slice();
                if !exact
                    && !window
                        .iter()
                        .zip(&indexed.words)
                        .all(|(seen, expected)| same_word(expected, seen))
                {
                    continue;
                }
                let after = &words[start + indexed.words.len()..];
                let legal_form_follows = !indexed.legal_form.is_empty()
                    && after.starts_with(indexed.legal_form.as_slice());
                let mut score: f64 = if exact { 0.85 } else { 0.7 };
                if indexed.words.len() == 1 {
                    score -= 0.15;
                }
                if legal_form_follows {
                    score += 0.1;
                }
                let entry = best.entry(position).or_insert(0.0);
                *entry = entry.max(score.min(1.0));
            }
        }
        let mut matches: Vec<NameMatch> = best
            .into_iter()
            .map(|(position, score)| NameMatch {
                customer_no: self.names[position].customer_no.clone(),
                name: self.names[position].name.clone(),
                score,
                contact: self.names[position].contact,
            })
            .collect();
        matches.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.name.cmp(&b.name))
        });
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_letter_inserted_dropped_or_replaced_is_one_edit() {
        let cases = [
            ("isabella", "isabella", true),
            ("isabella", "isabela", true),
            ("isabella", "isabellla", true),
            ("isabella", "izabella", true),
            ("isabella", "izabela", false),
            ("aaaa", "aaa", true),
            ("aaaa", "aa", false),
            ("rohricht", "röhricht", true),
            ("röhricht", "rhricht", true),
            ("röhricht", "rahrichd", false),
            ("abcdef", "abcdefghijk", false),
            ("abcdef", "bacdef", false),
        ];
        for (left, right, expected) in cases {
            assert_eq!(within_one_edit(left, right), expected, "{left} / {right}");
            assert_eq!(within_one_edit(right, left), expected, "{right} / {left}");
        }
    }

    fn matcher() -> InMemoryNameMatcher {
        let customers = [
            (CustomerNo::new("0000000001"), "Hair by Isabella"),
            (CustomerNo::new("0000000002"), "Beautykoopjes.shop BV"),
            (CustomerNo::new("0000000003"), "Beautykoopjes.shop V.O.F."),
            (CustomerNo::new("0000000004"), "Drogerie Röhricht"),
        ];
        let owned: Vec<(CustomerNo, &str)> = customers.to_vec();
        InMemoryNameMatcher::new(owned.iter().map(|(no, name)| (no, *name)))
    }

    #[test]
    fn names_match_in_running_text_and_legal_form_decides() {
        let matches =
            matcher().find_in_text("Groeten,\nJan\nBeautykoopjes.shop V.O.F.\nDorpsstraat 1");
        assert_eq!(matches[0].customer_no.as_str(), "0000000003");
        assert!(matches[0].score > matches[1].score);
        let spoken = matcher().find_in_text("hallo met jan van hair by isabella in den oever");
        assert_eq!(spoken[0].customer_no.as_str(), "0000000001");
        let umlaut = matcher().find_in_text("Drogerie Rohricht");
        assert_eq!(umlaut[0].customer_no.as_str(), "0000000004");
    }
}
