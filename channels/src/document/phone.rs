//! Fax and phone numbers as written or OCRed, normalised to E.164.

use std::str::FromStr;

use phonenumber::Mode;
use phonenumber::country::Id;

/// E.164 numbers have at most this many digits.
const MAX_DIGITS: usize = 15;
/// Fewer digits than this is no fax number.
const MIN_DIGITS: usize = 8;

/// Normalises a number as written (`070-5556133`, `0031 40 555 6337`, `+32 3 555 0335`) to E.164,
/// reading national numbers in `region` (ISO 3166 alpha-2). Returns `None` for anything that is
/// not a plausible number.
pub fn normalise_number(raw: &str, region: &str) -> Option<String> {
    let cleaned = clean(raw)?;
    let region = Id::from_str(&region.to_ascii_uppercase()).ok();
    let parsed = phonenumber::parse(region, &cleaned).ok()?;
    let e164 = parsed.format().mode(Mode::E164).to_string();
    let digits = e164.strip_prefix('+')?;
    let plausible = (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len())
        && digits.chars().all(|character| character.is_ascii_digit());
    plausible.then_some(e164)
}

/// Normalises digits that are known to start with a country code though they lack the `+`
/// (fax servers drop it in file names: `31405556337`); national numbers with a leading zero are
/// read in `region`.
pub fn normalise_international_digits(raw: &str, region: &str) -> Option<String> {
    let digits = raw.trim();
    if digits.starts_with('+') || digits.starts_with('0') {
        normalise_number(digits, region)
    } else {
        normalise_number(&format!("+{digits}"), region)
    }
}

/// Keeps digits and a leading plus, drops the `(0)` trunk hint after a country code, and turns
/// the `00` international prefix into `+`.
fn clean(raw: &str) -> Option<String> {
    let without_trunk = raw.replace("(0)", "");
    let trimmed = without_trunk.trim();
    let mut cleaned = String::with_capacity(trimmed.len());
    if trimmed.starts_with('+') {
        cleaned.push('+');
    }
    cleaned.extend(trimmed.chars().filter(char::is_ascii_digit));
    if let Some(rest) = cleaned.strip_prefix("00") {
        cleaned = format!("+{rest}");
    }
    let digit_count = cleaned.chars().filter(char::is_ascii_digit).count();
    (MIN_DIGITS - 1..=MAX_DIGITS + 1)
        .contains(&digit_count)
        .then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_forms_normalise_to_e164() {
        let cases = [
            ("+31405556337", "+31405556337"),
            ("0031405556337", "+31405556337"),
            ("070-5556133", "+31705556133"),
            ("+31 53 555 1317", "+31535551317"),
            ("+32 3 555 0335", "+3235550335"),
            ("004555585462", "+4555585462"),
            ("(0486) 555 640", "+31486555640"),
            ("+49 (0)40 555 1899", "+49405551899"),
            ("0855551761", "+31855551761"),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                normalise_number(raw, "NL").as_deref(),
                Some(expected),
                "{raw}"
            );
        }
    }

    #[test]
    fn non_numbers_are_refused() {
        for raw in ["", "unknown", "12345", "FAX", "+1234567890123456789"] {
            assert_eq!(normalise_number(raw, "NL"), None, "{raw}");
        }
    }

    #[test]
    fn file_name_digits_are_international_unless_zero_led() {
        assert_eq!(
            normalise_international_digits("31405556337", "NL").as_deref(),
            Some("+31405556337")
        );
        assert_eq!(
            normalise_international_digits("0855551761", "NL").as_deref(),
            Some("+31855551761")
        );
        assert_eq!(
            normalise_international_digits("4555585462", "NL").as_deref(),
            Some("+4555585462")
        );
    }
}
