//! Identifier normalisation shared by indexing and querying, so any common way of writing a
//! number finds the record: customer numbers with or without leading zeros, phone numbers in
//! national or international form, postcodes with or without the space, any letter case.
//!
//! Identifiers are indexed as terms with a type prefix in the kind's identifier field:
//! `n:` numbers and references, `p:` phone numbers (E.164 digits), `z:` postcodes, `e:` e-mail
//! addresses and domains.

use std::sync::LazyLock;

use regex::Regex;

use crate::linking::{digit_runs, domain_of, normalise_phone, number_candidates, reference_key};

/// Fewest digits a number in free text needs to be indexed as an identifier.
const SHORTEST_TEXT_NUMBER: usize = 4;
/// Longest reference kept as an identifier; longer strings are no reference anyone types.
const LONGEST_REFERENCE: usize = 30;

/// Returns a number or reference as an identifier key: upper-case letters and digits only,
/// and for pure numbers without leading zeros (`0000104321` and `104321` give `104321`).
pub fn identifier_key(raw: &str) -> Option<String> {
    let key = reference_key(raw);
    if key.is_empty() || key.len() > LONGEST_REFERENCE {
        return None;
    }
    if key.bytes().all(|byte| byte.is_ascii_digit()) {
        let trimmed = key.trim_start_matches('0');
        return Some(if trimmed.is_empty() { "0" } else { trimmed }.to_owned());
    }
    Some(key)
}

/// Returns the term of a number or reference.
pub(crate) fn number_term(raw: &str) -> Option<String> {
    identifier_key(raw).map(|key| format!("n:{key}"))
}

/// Returns the term of a phone or fax number, read in `region` when written nationally.
pub(crate) fn phone_term(raw: &str, region: &str) -> Option<String> {
    let e164 = normalise_phone(raw, region)?;
    Some(format!("p:{}", e164.trim_start_matches('+')))
}

/// Returns the term of a postcode (`1234 ab` gives `z:1234AB`).
pub(crate) fn postcode_term(raw: &str) -> Option<String> {
    let key = reference_key(raw);
    let plausible = (3..=10).contains(&key.len()) && key.bytes().any(|b| b.is_ascii_digit());
    plausible.then(|| format!("z:{key}"))
}

/// Returns the terms of an e-mail address: the address and its domain.
pub(crate) fn email_terms(raw: &str) -> Vec<String> {
    let address = raw
        .trim()
        .trim_matches(|c: char| matches!(c, '<' | '>' | ',' | ';' | '"' | '\'' | '(' | ')'))
        .to_lowercase();
    let Some((local, domain)) = address.split_once('@') else {
        return Vec::new();
    };
    if local.is_empty() || !domain.contains('.') || domain.contains('@') {
        return Vec::new();
    }
    let mut terms = vec![format!("e:{address}")];
    terms.extend(domain_term(domain));
    terms
}

/// Returns the term of a domain or web site (`www.Example.nl/contact` gives `e:example.nl`).
pub(crate) fn domain_term(raw: &str) -> Option<String> {
    domain_of(raw).map(|domain| format!("e:{domain}"))
}

/// Tells whether a word is shaped like a Dutch postcode written without a space (`1234ab`).
pub(crate) fn is_compact_postcode(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() == 6
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4..].iter().all(u8::is_ascii_alphabetic)
}

static SPACED_POSTCODE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"\b[1-9][0-9]{3} [A-Z]{2}\b").ok());
static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}").ok()
});

/// Collects the identifier terms found in free text (subject, body, OCR text, file names):
/// numbers of four digits or more however they are grouped, references mixing letters and
/// digits, phone numbers, postcodes and e-mail addresses.
pub(crate) fn text_identifiers(text: &str, region: &str, terms: &mut Vec<String>) {
    let runs = digit_runs(text);
    for candidate in number_candidates(&runs) {
        if candidate.digits.len() >= SHORTEST_TEXT_NUMBER {
            terms.extend(number_term(&candidate.digits));
        }
    }
    for run in &runs {
        let digits: String = run.groups.concat();
        let phone_like = (9..=15).contains(&digits.len()) && (run.plus || digits.starts_with('0'));
        if phone_like {
            let written = if run.plus {
                format!("+{digits}")
            } else {
                digits
            };
            terms.extend(phone_term(&written, region));
        }
    }
    for word in text.split_whitespace() {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric());
        let has_digit = word.bytes().any(|b| b.is_ascii_digit());
        let has_letter = word.chars().any(char::is_alphabetic);
        if has_digit && has_letter && !word.contains('@') {
            terms.extend(number_term(word));
            if is_compact_postcode(word) {
                terms.extend(postcode_term(word));
            }
        }
    }
    if let Some(pattern) = SPACED_POSTCODE.as_ref() {
        terms.extend(
            pattern
                .find_iter(text)
                .filter_map(|m| postcode_term(m.as_str())),
        );
    }
    if let Some(pattern) = EMAIL.as_ref() {
        for found in pattern.find_iter(text) {
            terms.extend(email_terms(found.as_str()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lose_leading_zeros_and_decoration() {
        assert_eq!(identifier_key("0000104321").as_deref(), Some("104321"));
        assert_eq!(identifier_key("104321").as_deref(), Some("104321"));
        assert_eq!(identifier_key("PO-2024/117").as_deref(), Some("PO2024117"));
        assert_eq!(identifier_key("000").as_deref(), Some("0"));
        assert_eq!(identifier_key("--"), None);
    }

    #[test]
    fn phone_formats_share_a_term() {
        let expected = Some("p:31235551234".to_owned());
        for raw in [
            "+31 23 555 1234",
            "023-5551234",
            "0031235551234",
            "(023) 555 12 34",
        ] {
            assert_eq!(phone_term(raw, "NL"), expected, "{raw}");
        }
    }

    #[test]
    fn postcodes_ignore_space_and_case() {
        assert_eq!(postcode_term("1234 AB"), postcode_term("1234ab"));
        assert_eq!(postcode_term("1234ab").as_deref(), Some("z:1234AB"));
    }

    #[test]
    fn text_yields_numbers_phones_postcodes_and_addresses() {
        let mut terms = Vec::new();
        text_identifiers(
            "Klant 0000104321, order 45 0001 2345, ref PO-77/A. Bel 023-5551234, \
             adres 2011 AB Haarlem of 2011cd. Mail: Jan@Bakker-Jansen.NL",
            "NL",
            &mut terms,
        );
        for expected in [
            "n:104321",
            "n:4500012345",
            "n:PO77A",
            "p:31235551234",
            "z:2011AB",
            "z:2011CD",
            "e:jan@bakker-jansen.nl",
            "e:bakker-jansen.nl",
        ] {
            assert!(
                terms.iter().any(|term| term == expected),
                "{expected}: {terms:?}"
            );
        }
    }
}
