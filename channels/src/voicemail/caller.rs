//! Caller numbers: caller-ID text to E.164, with withheld numbers recognised.

use std::str::FromStr;

use phonenumber::Mode;
use phonenumber::country::Id;
use serde::Serialize;

use super::config::VoicemailConfig;

/// Shortest and longest E.164 digit counts accepted (country code included).
const E164_DIGITS: std::ops::RangeInclusive<usize> = 8..=15;

/// The caller as far as the caller ID tells.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallerId {
    /// The number in E.164, when one was given and could be read.
    pub number: Option<String>,
    /// Whether the caller withheld the number (`anonymous`, `-`, empty).
    pub withheld: bool,
    /// The caller-ID value as the PBX wrote it.
    pub raw: Option<String>,
}

/// Reads a caller-ID value: withheld markers give no number, `sip:`/`tel:` forms lose their
/// scheme and host, national numbers are read in the configured region.
pub fn normalise_caller(raw: Option<&str>, config: &VoicemailConfig) -> CallerId {
    let Some(raw) = raw.map(str::trim) else {
        return CallerId {
            withheld: true,
            ..CallerId::default()
        };
    };
    if config.is_withheld(raw) {
        return CallerId {
            number: None,
            withheld: true,
            raw: Some(raw.to_owned()),
        };
    }
    CallerId {
        number: to_e164(raw, &config.default_region),
        withheld: false,
        raw: Some(raw.to_owned()),
    }
}

/// Normalises a written phone number to E.164, reading national numbers in `region`.
pub fn to_e164(raw: &str, region: &str) -> Option<String> {
    let cleaned = clean(strip_uri(raw))?;
    let region_id = Id::from_str(&region.trim().to_ascii_uppercase()).ok();
    let parsed = phonenumber::parse(region_id, &cleaned).ok()?;
    let e164 = parsed.format().mode(Mode::E164).to_string();
    let digits = e164.strip_prefix('+')?;
    let plausible =
        E164_DIGITS.contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit());
    plausible.then_some(e164)
}

/// Takes the user part of `sip:+31...@host` and the number of `tel:+31...`.
fn strip_uri(raw: &str) -> &str {
    let lower = raw.to_ascii_lowercase();
    let without_scheme = ["sip:", "sips:", "tel:"]
        .iter()
        .find(|scheme| lower.starts_with(*scheme))
        .map_or(raw, |scheme| &raw[scheme.len()..]);
    without_scheme
        .split(['@', ';'])
        .next()
        .unwrap_or(without_scheme)
}

/// Keeps digits and a leading plus, turns an international `00` prefix into `+`, drops the
/// `(0)` trunk hint; refuses text holding letters (a name, not a number).
fn clean(raw: &str) -> Option<String> {
    if raw.chars().any(char::is_alphabetic) {
        return None;
    }
    let without_trunk = raw.replace("(0)", "");
    let trimmed = without_trunk.trim();
    let mut cleaned = String::with_capacity(trimmed.len());
    for character in trimmed.chars() {
        if character.is_ascii_digit() || (character == '+' && cleaned.is_empty()) {
            cleaned.push(character);
        }
    }
    if let Some(rest) = cleaned.strip_prefix("00") {
        cleaned = format!("+{rest}");
    }
    let digit_count = cleaned.chars().filter(char::is_ascii_digit).count();
    (6..=16).contains(&digit_count).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_numbers_normalise_to_e164() {
        let cases = [
            ("+31 35 555 4627", "NL", Some("+31355554627")),
            ("+49 21 615 558692", "NL", Some("+4921615558692")),
            ("0612345678", "NL", Some("+31612345678")),
            ("0031 20 555 1234", "NL", Some("+31205551234")),
            ("+31 (0)20 555 1234", "NL", Some("+31205551234")),
            ("sip:+3289555828@pbx.example.com", "NL", Some("+3289555828")),
            ("tel:+442079460210", "NL", Some("+442079460210")),
            ("0171 55 50 99 82", "DE", Some("+4917155509982")),
            ("KAPPERSZAAK", "NL", None),
            ("12", "NL", None),
        ];
        for (raw, region, expected) in cases {
            assert_eq!(to_e164(raw, region).as_deref(), expected, "{raw}");
        }
    }

    #[test]
    fn withheld_callers_have_no_number() {
        let config = VoicemailConfig::default();
        for raw in [
            Some("anonymous"),
            Some("-"),
            Some(""),
            Some("Onbekend"),
            None,
        ] {
            let caller = normalise_caller(raw, &config);
            assert!(caller.withheld, "{raw:?}");
            assert_eq!(caller.number, None);
        }
        let known = normalise_caller(Some("+31655566218"), &config);
        assert!(!known.withheld);
        assert_eq!(known.number.as_deref(), Some("+31655566218"));
    }
}
