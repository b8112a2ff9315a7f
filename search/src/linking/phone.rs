//! Phone and fax number normalisation to E.164.
//!
//! Uses `phonenumber` for country codes and trunk prefixes, without validating the number
//! against the numbering plan: fictional ranges (555...) are real enough for matching.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use phonenumber::Mode;
use phonenumber::country::Id;

/// Normalises a phone or fax number as written (`020-5551234`, `0031 20 555 1234`,
/// `03/555.12.34`) to E.164 (`+31205551234`), reading national numbers in `region`.
/// Returns `None` when the text is no phone number.
pub fn normalise_phone(raw: &str, region: &str) -> Option<String> {
    let cleaned = clean(raw)?;
    let key = format!("{region}:{cleaned}");
    if let Some(known) = memo().get(&key) {
        return known.clone();
    }
    let normalised = parse_e164(&cleaned, region);
    let mut memo = memo();
    if memo.len() >= MEMO_ENTRIES {
        memo.clear();
    }
    memo.insert(key, normalised.clone());
    normalised
}

/// Numbers normalised lately, by region and cleaned digits. Parsing is the costly part of
/// linking a message (phonenumber keeps 100 compiled patterns, fewer than the regions'
/// metadata uses, so it compiles them again and again), and the same numbers come back in
/// every signature.
static MEMO: LazyLock<Mutex<HashMap<String, Option<String>>>> = LazyLock::new(Mutex::default);

/// Numbers [`MEMO`] holds before it starts again from empty.
const MEMO_ENTRIES: usize = 8192;

fn memo() -> MutexGuard<'static, HashMap<String, Option<String>>> {
    MEMO.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Parses cleaned digits in `region` and formats them as E.164, when plausible.
fn parse_e164(cleaned: &str, region: &str) -> Option<String> {
    let region_id = Id::from_str(&region.to_ascii_uppercase()).ok();
    let parsed = phonenumber::parse(region_id, cleaned).ok()?;
    let e164 = parsed.format().mode(Mode::E164).to_string();
    let digits = e164.trim_start_matches('+');
    let plausible = (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit());
    plausible.then_some(e164)
}

/// Drops decorations phonenumber does not expect: the Dutch/German `(0)` after a country code,
/// and any character other than digits and a leading plus.
fn clean(raw: &str) -> Option<String> {
    let without_trunk = raw.replace("(0)", "");
    let trimmed = without_trunk.trim();
    let mut cleaned = String::with_capacity(trimmed.len());
    for (position, character) in trimmed.chars().enumerate() {
        if character.is_ascii_digit() || (character == '+' && position == 0) {
            cleaned.push(character);
        }
    }
    if let Some(rest) = cleaned.strip_prefix("00") {
        cleaned = format!("+{rest}");
    }
    let digit_count = cleaned.chars().filter(char::is_ascii_digit).count();
    (7..=16).contains(&digit_count).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_formats_normalise_to_e164() {
        let cases = [
            ("+31 20 555 1234", "NL", "+31205551234"),
            ("020-5551234", "NL", "+31205551234"),
            ("0031205551234", "NL", "+31205551234"),
            ("(020) 555 1234", "NL", "+31205551234"),
            ("+31 (0)20 555 1234", "NL", "+31205551234"),
            ("06 55 51 50 47", "NL", "+31655515047"),
            ("03/555.12.34", "BE", "+3235551234"),
            ("0032 3 555 12 34", "NL", "+3235551234"),
            ("030/555 12 34", "DE", "+49305551234"),
            ("0171 55 50 99 82", "DE", "+4917155509982"),
            ("020 7946 0210", "GB", "+442079460210"),
            ("01 99 00 83 49", "FR", "+33199008349"),
            ("+45 555 8546 2", "NL", "+4555585462"),
            ("0592 555 71 8", "NL", "+31592555718"),
        ];
        for (raw, region, expected) in cases {
            assert_eq!(
                normalise_phone(raw, region).as_deref(),
                Some(expected),
                "{raw} in {region}"
            );
        }
    }

    #[test]
    fn a_number_read_again_normalises_alike_in_each_region() {
        for _ in 0..2 {
            assert_eq!(
                normalise_phone("020 555 1234", "NL").as_deref(),
                Some("+31205551234")
            );
            assert_eq!(
                normalise_phone("020 555 1234", "DE").as_deref(),
                Some("+49205551234")
            );
            assert_eq!(normalise_phone("020 555 1234", "XX").as_deref(), None);
        }
    }

    #[test]
    fn non_numbers_are_rejected() {
        for raw in ["", "abc", "12", "-", "anonymous"] {
            assert_eq!(normalise_phone(raw, "NL"), None, "{raw}");
        }
    }
}
