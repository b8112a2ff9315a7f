//! Language detection restricted to the languages Switchboard routes on.
//!
//! Business e-mails are short and end in names and addresses, which trigram statistics alone
//! (whatlang) often get wrong. The detector therefore drops the signature below the sign-off,
//! counts unambiguous function words per language, and lets clear function-word evidence decide;
//! whatlang decides otherwise, when it is confident enough.

use std::collections::HashMap;
use std::sync::LazyLock;

use switchboard_core::item::Language;
use whatlang::{Detector, Lang};

/// Texts with fewer letters than this give no answer.
const MIN_LETTERS: usize = 20;
/// whatlang answers below this confidence give no answer.
const MIN_CONFIDENCE: f64 = 0.2;
/// Function-word evidence decides when the leader has at least this many hits...
const MIN_WORD_HITS: usize = 3;
/// ...and at least this many times the runner-up's.
const WORD_HIT_RATIO: usize = 2;
/// Only this much text is looked at; more does not change the answer.
const MAX_SAMPLE_BYTES: usize = 20_000;
/// A sign-off line is at most this long.
const MAX_SIGN_OFF_CHARS: usize = 40;

const LANGUAGES: [Language; 4] = [
    Language::Dutch,
    Language::English,
    Language::German,
    Language::French,
];

/// Function words that belong to one of the four languages only (words shared between them,
/// such as "de", "die", "en", "in", "is", "of", "we", are left out).
const DUTCH_WORDS: &[&str] = &[
    "het",
    "een",
    "van",
    "ik",
    "wij",
    "jullie",
    "uw",
    "niet",
    "met",
    "voor",
    "zijn",
    "graag",
    "bij",
    "ook",
    "nog",
    "wat",
    "wanneer",
    "kunnen",
    "kunt",
    "hebben",
    "heb",
    "hebt",
    "deze",
    "dit",
    "naar",
    "om",
    "te",
    "er",
    "maar",
    "geen",
    "waar",
    "welke",
    "groet",
    "groeten",
    "beste",
    "vriendelijke",
    "alvast",
    "bedankt",
    "hierbij",
    "mij",
    "ons",
    "onze",
    "zou",
    "wordt",
    "worden",
    "heeft",
    "geachte",
    "dat",
    "al",
    "nu",
    "u",
    "wilt",
    "groetjes",
    "dag",
    "bestelling",
];
const ENGLISH_WORDS: &[&str] = &[
    "the",
    "and",
    "you",
    "your",
    "please",
    "to",
    "for",
    "our",
    "thanks",
    "thank",
    "dear",
    "regards",
    "could",
    "would",
    "have",
    "has",
    "not",
    "with",
    "this",
    "that",
    "are",
    "be",
    "can",
    "will",
    "it",
    "we've",
    "i",
    "my",
    "us",
    "best",
    "hello",
    "hi",
    "when",
    "where",
    "which",
    "received",
    "yet",
    "were",
    "from",
    "been",
    "sincerely",
];
const GERMAN_WORDS: &[&str] = &[
    "der",
    "das",
    "und",
    "ich",
    "wir",
    "nicht",
    "mit",
    "für",
    "ist",
    "bitte",
    "grüße",
    "grüßen",
    "wann",
    "wird",
    "ein",
    "eine",
    "einen",
    "den",
    "dem",
    "zu",
    "auf",
    "uns",
    "unsere",
    "unser",
    "ihre",
    "ihr",
    "ihnen",
    "haben",
    "können",
    "vielen",
    "freundlichen",
    "liebe",
    "liebes",
    "sehr",
    "geehrte",
    "geehrter",
    "noch",
    "auch",
    "sich",
    "wurde",
    "bis",
    "schon",
    "danke",
    "sind",
    "gerne",
    "möchten",
    "wäre",
];
const FRENCH_WORDS: &[&str] = &[
    "le",
    "la",
    "les",
    "et",
    "nous",
    "vous",
    "pour",
    "est",
    "merci",
    "bonjour",
    "une",
    "des",
    "du",
    "au",
    "aux",
    "avec",
    "pas",
    "ne",
    "notre",
    "votre",
    "vos",
    "nos",
    "sur",
    "dans",
    "qui",
    "que",
    "madame",
    "monsieur",
    "cordialement",
    "je",
    "ce",
    "cette",
    "sont",
    "avons",
    "avez",
    "pouvez",
    "bien",
    "salutations",
    "svp",
    "été",
    "reçu",
    "commande",
];

/// Sign-off phrases after which only names, titles and addresses follow.
const SIGN_OFFS: &[&str] = &[
    "met vriendelijke groet",
    "vriendelijke groet",
    "groeten",
    "groetjes",
    "groet",
    "mvg",
    "regards",
    "kind regards",
    "best regards",
    "best",
    "many thanks",
    "thanks",
    "cheers",
    "sincerely",
    "yours sincerely",
    "mit freundlichen grüßen",
    "freundliche grüße",
    "viele grüße",
    "beste grüße",
    "liebe grüße",
    "mfg",
    "gruß",
    "cordialement",
    "bien cordialement",
    "salutations",
    "bien à vous",
    "meilleures salutations",
];

/// Detects Dutch, English, German or French; `None` when the text is too short or the answer
/// is unreliable.
pub fn detect_language(text: &str) -> Option<Language> {
    let sample = sample(text);
    let letters = sample.chars().filter(|c| c.is_alphabetic()).count();
    if letters < MIN_LETTERS {
        return None;
    }
    if let Some(language) = by_function_words(&sample) {
        return Some(language);
    }
    let detector = Detector::with_allowlist(vec![Lang::Nld, Lang::Eng, Lang::Deu, Lang::Fra]);
    let info = detector.detect(&sample)?;
    if info.confidence() < MIN_CONFIDENCE {
        return None;
    }
    match info.lang() {
        Lang::Nld => Some(Language::Dutch),
        Lang::Eng => Some(Language::English),
        Lang::Deu => Some(Language::German),
        Lang::Fra => Some(Language::French),
        _ => None,
    }
}

/// Each function word with the [`LANGUAGES`] whose lists hold it, as bits (bit `i` for
/// `LANGUAGES[i]`): one lookup per word of every e-mail instead of a string comparison with
/// each of the lists' two hundred words.
static FUNCTION_WORDS: LazyLock<HashMap<&'static str, u8>> = LazyLock::new(|| {
    let mut words = HashMap::new();
    for (index, list) in [DUTCH_WORDS, ENGLISH_WORDS, GERMAN_WORDS, FRENCH_WORDS]
        .iter()
        .enumerate()
    {
        for word in *list {
            *words.entry(*word).or_insert(0_u8) |= 1 << index;
        }
    }
    words
});

fn by_function_words(sample: &str) -> Option<Language> {
    let mut hits = [0usize; 4];
    let mut lower = String::new();
    for word in sample.split(|c: char| !c.is_alphabetic() && c != '\'') {
        lower.clear();
        lower.extend(word.chars().flat_map(char::to_lowercase));
        if let Some(&languages) = FUNCTION_WORDS.get(lower.as_str()) {
            for (index, hit) in hits.iter_mut().enumerate() {
                if languages & (1 << index) != 0 {
                    *hit += 1;
                }
            }
        }
    }
    let mut ranked: Vec<(usize, usize)> = hits.iter().copied().enumerate().collect();
    ranked.sort_by_key(|&(_, hits)| std::cmp::Reverse(hits));
    let (leader, leader_hits) = ranked[0];
    let runner_up_hits = ranked[1].1;
    (leader_hits >= MIN_WORD_HITS && leader_hits >= WORD_HIT_RATIO * runner_up_hits)
        .then_some(LANGUAGES[leader])
}

/// Returns the start of the text without the signature block, URLs, e-mail addresses and
/// digit runs, which carry no language and confuse trigram statistics.
fn sample(text: &str) -> String {
    let mut end = text.len().min(MAX_SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut kept = Vec::new();
    for line in text[..end].lines() {
        kept.push(line);
        if kept.len() > 1 && is_sign_off(line) {
            break;
        }
    }
    kept.join("\n")
        .split_whitespace()
        .filter(|word| {
            !word.contains('@')
                && !word.contains("://")
                && !word.starts_with("www.")
                && word.chars().any(char::is_alphabetic)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_sign_off(line: &str) -> bool {
    let trimmed = line.trim().trim_end_matches([',', '.', '!']).trim();
    if trimmed.is_empty() || trimmed.chars().count() > MAX_SIGN_OFF_CHARS {
        return false;
    }
    let lower = trimmed.to_lowercase();
    trimmed == "--" || SIGN_OFFS.iter().any(|phrase| lower == *phrase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_four_languages() {
        let cases = [
            (
                "Goedemorgen, wij hebben de bestelling nog niet ontvangen. Kunt u nagaan waar deze blijft?",
                Language::Dutch,
            ),
            (
                "Good morning, we have not yet received the order. Could you check where it is?",
                Language::English,
            ),
            (
                "Guten Morgen, wir haben die Bestellung noch nicht erhalten. Können Sie nachsehen, wo sie bleibt?",
                Language::German,
            ),
            (
                "Bonjour, nous n'avons pas encore reçu la commande. Pourriez-vous vérifier où elle se trouve ?",
                Language::French,
            ),
            (
                "Dear Sir or Madam,\n\nWe placed order 4500091778 twice by mistake, please cancel it.\n\n\
                 Many thanks in advance.\n\nRegards,\nAyoub Wever\nAdministration\nde Gratie Chemist\n\
                 Lukassingel 2, 9132 IQ Vaassen",
                Language::English,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(detect_language(text), Some(expected), "{text}");
        }
    }

    #[test]
    fn short_text_has_no_language() {
        assert_eq!(detect_language("Ok, thx"), None);
        assert_eq!(detect_language("4500012345 4500012346"), None);
    }

    #[test]
    fn signature_is_left_out_of_the_sample() {
        let text = "Bitte um Rückruf.\nViele Grüße\nJan de Vries\nKerkstraat 1, Amsterdam";
        assert_eq!(sample(text), "Bitte um Rückruf. Viele Grüße");
    }
}
