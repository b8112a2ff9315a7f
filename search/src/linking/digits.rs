//! Digit strings as people write and transcriptions spell them: grouped (`45 0001 2345`,
//! `4500-012345`), interrupted by hesitations (`45 00 uh 12 97`), next to other numbers.

use std::sync::LazyLock;

use regex::Regex;

/// A run of digit groups separated by single spaces, hyphens, dots or slashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitRun {
    /// Byte offset of the run in the text it was found in.
    pub start: usize,
    /// The groups, in order.
    pub groups: Vec<String>,
    /// Whether a `+` stood right before the first group.
    pub plus: bool,
}

/// A number read from a run: its digits and how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberCandidate {
    /// The digits.
    pub digits: String,
    /// The groups as written, joined by spaces.
    pub written: String,
    /// Byte offset of the first group.
    pub start: usize,
    /// Whether this is the whole run (not a part of a longer run).
    pub whole_run: bool,
}

static HESITATION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(\d)[ ]+(?:(?:uh|uhm|eh|ehm|euh|äh|ähm|hm|um)[ ,]+)+(\d)").ok()
});
static RUN: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(\+ ?)?\(?\d+\)?(?:[ \-./]\(?\d+\)?)*").ok());

/// Most groups a run may have before it is read as a table of numbers instead of one number.
const MAX_GROUPS: usize = 8;

/// Removes hesitation words between digit groups of a transcription, keeping byte offsets
/// meaningful only approximately (used for digit extraction, not for evidence positions).
pub fn strip_hesitations(text: &str) -> String {
    match HESITATION.as_ref() {
        Some(pattern) => {
            let once = pattern.replace_all(text, "$1 $2");
            pattern.replace_all(&once, "$1 $2").into_owned()
        }
        None => text.to_owned(),
    }
}

/// Finds the runs of digit groups in a text.
pub fn digit_runs(text: &str) -> Vec<DigitRun> {
    let Some(pattern) = RUN.as_ref() else {
        return Vec::new();
    };
    pattern
        .find_iter(text)
        .filter(|found| !preceded_by_word_char(text, found.start()))
        .map(|found| {
            let written = found.as_str();
            let groups = written
                .split(|c: char| !c.is_ascii_digit())
                .filter(|group| !group.is_empty())
                .map(str::to_owned)
                .collect();
            DigitRun {
                start: found.start(),
                groups,
                plus: written.starts_with('+'),
            }
        })
        .collect()
}

/// Returns whether a letter or digit stands right before a position (`A12`, `art12`), so the
/// digits there belong to a word and are no number of their own.
fn preceded_by_word_char(text: &str, position: usize) -> bool {
    text[..position]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '@')
}

/// Reads numbers from runs: every contiguous sequence of groups, so `45 00 02 18 39` gives
/// `4500021839` and `12 4500012345` also gives `4500012345`.
pub fn number_candidates(runs: &[DigitRun]) -> Vec<NumberCandidate> {
    let mut candidates = Vec::new();
    for run in runs {
        let groups = &run.groups[..run.groups.len().min(MAX_GROUPS)];
        for first in 0..groups.len() {
            let mut digits = String::new();
            for last in first..groups.len() {
                digits.push_str(&groups[last]);
                if digits.len() > 16 {
                    break;
                }
                candidates.push(NumberCandidate {
                    digits: digits.clone(),
                    written: groups[first..=last].join(" "),
                    start: run.start,
                    whole_run: first == 0 && last + 1 == run.groups.len(),
                });
            }
        }
    }
    candidates
}

/// Returns the numbers one keystroke away: one digit replaced, or two adjacent digits swapped.
pub fn one_keystroke_away(digits: &str) -> Vec<String> {
    let bytes = digits.as_bytes();
    let mut variants = Vec::with_capacity(bytes.len() * 10);
    for position in 0..bytes.len() {
        for replacement in b'0'..=b'9' {
            if replacement != bytes[position] {
                let mut variant = bytes.to_vec();
                variant[position] = replacement;
                variants.extend(String::from_utf8(variant).ok());
            }
        }
        if position + 1 < bytes.len() && bytes[position] != bytes[position + 1] {
            let mut variant = bytes.to_vec();
            variant.swap(position, position + 1);
            variants.extend(String::from_utf8(variant).ok());
        }
    }
    variants
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(text: &str) -> Vec<String> {
        let cleaned = strip_hesitations(text);
        number_candidates(&digit_runs(&cleaned))
            .into_iter()
            .map(|candidate| candidate.digits)
            .collect()
    }

    #[test]
    fn grouped_digits_read_as_one_number() {
        let cases = [
            ("order 4500012345 please", "4500012345"),
            ("order 45 0001 2345 please", "4500012345"),
            ("order 4500-012345 please", "4500012345"),
            ("ordernr 45 01 02 16 29 te", "4501021629"),
            ("order no 45 00 02 18 39 will", "4500021839"),
            (
                "orders 4500015836 en 45 00 uh 02 12 97 sturen",
                "4500021297",
            ),
            ("ons klantnummer is 12 18 35 wat", "121835"),
            ("ordernr. 4500020129.", "4500020129"),
            ("12 4500012345", "4500012345"),
        ];
        for (text, expected) in cases {
            assert!(
                numbers(text).iter().any(|n| n == expected),
                "{text}: {:?}",
                numbers(text)
            );
        }
    }

    #[test]
    fn digits_inside_words_are_no_numbers() {
        assert!(!numbers("INK00275").iter().any(|n| n == "00275"));
        assert!(numbers("art. 22509999").iter().any(|n| n == "22509999"));
    }

    #[test]
    fn one_keystroke_variants() {
        let variants = one_keystroke_away("4500218537");
        assert!(variants.contains(&"4500018537".to_owned()));
        assert!(variants.contains(&"4502018537".to_owned()));
        assert!(!variants.contains(&"4500218537".to_owned()));
        assert_eq!(variants.len(), 10 * 9 + 8);
    }
}
