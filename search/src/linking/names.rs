//! Company-name lookup behind a small trait: in memory now, the tantivy index later.

use rustc_hash::FxHashMap;

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

/// Words this long or longer may carry one wrong letter and still match.
const FUZZY_MIN_CHARS: usize = 6;

/// Matches normalised word sequences of customer names against a text, tolerating one wrong
/// letter in long words (OCR and transcription errors).
#[derive(Debug, Clone, Default)]
pub struct InMemoryNameMatcher {
    names: Vec<IndexedName>,
    by_word: FxHashMap<String, Vec<usize>>,
    /// The first words that can be one edit from a long word, by each form of theirs with at
    /// most one letter dropped: a word one edit away shares one of these forms
    /// ([`one_deletion_forms`]), so a long word of a text is compared only with the few first
    /// words that share one, not with all of them.
    by_deletion: FxHashMap<String, Vec<String>>,
}

/// Returns lower-case words with diacritics folded and punctuation dropped.
pub fn name_words(text: &str) -> Vec<String> {
    words_of(&crate::fold::folded(text))
        .map(str::to_owned)
        .collect()
}

/// The words of folded text: letters, digits and `&` between punctuation and spaces.
fn words_of(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !(c.is_alphanumeric() || c == '&'))
        .filter(|word| !word.is_empty())
}

/// The words of a text as [`name_words`] gives them with its full stops dropped first (`B.V.`
/// is the word `bv`), borrowed from `folded`, which is filled with the folded text: the name
/// matcher reads every text of every item, so it allocates once per text, not once per word.
fn text_words<'t>(text: &str, folded: &'t mut String) -> Vec<&'t str> {
    folded.clear();
    for character in text.chars().filter(|character| *character != '.') {
        crate::fold::push_folded(character, folded);
    }
    words_of(folded).collect()
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
            matcher.index_first_word(&words[0], position);
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
        self.index_first_word(&words[0], position);
        self.names.push(IndexedName {
            customer_no: customer_no.clone(),
            name: format!("{first_name} {last_name}"),
            words,
            legal_form: Vec::new(),
            contact: true,
        });
    }

    /// Indexes the first word of the name at `position`.
    fn index_first_word(&mut self, first: &str, position: usize) {
        let positions = self.by_word.entry(first.to_owned()).or_default();
        let is_new = positions.is_empty();
        positions.push(position);
        // Only a word of at least FUZZY_MIN_CHARS - 1 letters is one edit from a long word.
        if is_new && first.chars().count() + 1 >= FUZZY_MIN_CHARS {
            for form in one_deletion_forms(first) {
                self.by_deletion
                    .entry(form)
                    .or_default()
                    .push(first.to_owned());
            }
        }
    }

    /// The indexed first words other than `word` that are one edit from it.
    fn first_words_near(&self, word: &str) -> Vec<&str> {
        let mut near: Vec<&str> = Vec::new();
        for_each_deletion_form(word, |form| {
            let firsts = self.by_deletion.get(form).into_iter().flatten();
            near.extend(
                firsts
                    .map(String::as_str)
                    .filter(|first| *first != word && within_one_edit(first, word)),
            );
        });
        near.sort_unstable();
        near.dedup();
        near
    }
}

/// `word` itself and every form of it with one letter dropped, each once. Two words are one
/// edit apart only if they share one: a replaced letter dropped from both gives the same form,
/// an inserted letter dropped gives the other word.
fn one_deletion_forms(word: &str) -> Vec<String> {
    let mut forms = Vec::new();
    for_each_deletion_form(word, |form| forms.push(form.to_owned()));
    forms.sort_unstable();
    forms.dedup();
    forms
}

/// Calls `visit` with `word` and each form of it with one letter dropped (a form twice when
/// two letters give it), built in one buffer: it runs for every long word of every item.
fn for_each_deletion_form(word: &str, mut visit: impl FnMut(&str)) {
    visit(word);
    let mut form = String::with_capacity(word.len());
    for (at, letter) in word.char_indices() {
        form.clear();
        form.push_str(&word[..at]);
        form.push_str(&word[at + letter.len_utf8()..]);
        visit(&form);
    }
}

/// Whether `words` begin with `expected`.
fn starts_with_words(words: &[&str], expected: &[String]) -> bool {
    words.len() >= expected.len()
        && words
            .iter()
            .zip(expected)
            .all(|(word, expected)| word == expected)
}

fn same_word(expected: &str, seen: &str) -> bool {
    expected == seen
        || (expected.chars().count() >= FUZZY_MIN_CHARS && within_one_edit(expected, seen))
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
        let mut folded = String::with_capacity(text.len());
        let words = text_words(text, &mut folded);
        let mut best: FxHashMap<usize, f64> = FxHashMap::default();
        for (start, word) in words.iter().enumerate() {
            let exact_first = self.by_word.get(*word).map_or(&[][..], Vec::as_slice);
            let near_firsts = if word.chars().count() >= FUZZY_MIN_CHARS {
                self.first_words_near(word)
            } else {
                Vec::new()
            };
            let near_first = near_firsts
                .iter()
                .flat_map(|first| self.by_word.get(*first).into_iter().flatten());
            for &position in exact_first.iter().chain(near_first) {
                let indexed = &self.names[position];
                let Some(window) = words.get(start..start + indexed.words.len()) else {
                    continue;
                };
                let exact = starts_with_words(window, &indexed.words);
                if !exact
                    && !window
                        .iter()
                        .zip(&indexed.words)
                        .all(|(seen, expected)| same_word(expected, seen))
                {
                    continue;
                }
                let after = &words[start + indexed.words.len()..];
                let legal_form_follows =
                    !indexed.legal_form.is_empty() && starts_with_words(after, &indexed.legal_form);
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
    fn first_words_near_a_word_are_those_one_edit_from_it() {
        let mut matcher = matcher();
        for (first, last) in [
            ("Isabela", "Smit"),
            ("Isabellas", "Jansen"),
            ("Jan", "Drogerij"),
        ] {
            matcher.add_contact(&CustomerNo::new("0000000005"), first, last);
        }
        let firsts: Vec<String> = matcher.by_word.keys().cloned().collect();
        for word in [
            "isabella",
            "izabella",
            "isabel",
            "drogerie",
            "drogerij",
            "beautykoopjes",
            "rohricht",
        ] {
            let mut expected: Vec<&str> = firsts
                .iter()
                .map(String::as_str)
                .filter(|first| *first != word && within_one_edit(first, word))
                .collect();
            expected.sort_unstable();
            assert_eq!(matcher.first_words_near(word), expected, "{word}");
        }
        assert_eq!(
            matcher.first_words_near("isabella"),
            ["isabela", "isabellas"]
        );
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
