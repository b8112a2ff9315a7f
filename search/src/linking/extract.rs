//! Identifier extraction from an item's subject, text and sender. Extraction is generous: every
//! candidate is checked against master data before it becomes evidence.

use std::sync::LazyLock;

use regex::Regex;

use super::digits::{NumberCandidate, digit_runs, number_candidates, strip_hesitations};
use super::snapshot::reference_key;

/// Where in an item a value was found; evidence names it and scoring weighs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// The sender identity given by the channel (From address, caller id, fax CSID).
    Sender,
    /// The subject or title.
    Subject,
    /// The item's own text.
    Text,
    /// Quoted or earlier text of a reply.
    Quoted,
}

impl Place {
    /// Returns the place as words for evidence, e.g. "in subject".
    pub fn words(self) -> &'static str {
        match self {
            Self::Sender => "of the sender",
            Self::Subject => "in subject",
            Self::Text => "in text",
            Self::Quoted => "in quoted text",
        }
    }
}

/// A value found in an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The value, normalised for lookup (digits, lower-case address, reference key).
    pub value: String,
    /// As written, for evidence.
    pub written: String,
    /// Where it was found.
    pub place: Place,
    /// Whether a label ("Klantnummer:", "Uw referentie:") introduced it.
    pub labelled: bool,
}

/// Everything extracted from one item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Numbers read from digit groups (all lengths), for orders, deliveries, invoices, SKUs.
    pub numbers: Vec<Found>,
    /// Customer numbers introduced by a label, and 10-digit numbers with leading zeros.
    pub customer_numbers: Vec<Found>,
    /// Alphanumeric references (PO, tracking) in [`reference_key`] form.
    pub references: Vec<Found>,
    /// E-mail addresses, lower-cased.
    pub emails: Vec<Found>,
    /// Web domains (`www.example.nl`), lower-cased, without `www.`.
    pub domains: Vec<Found>,
    /// Phone-number candidates as written (normalised later, per region).
    pub phones: Vec<Found>,
    /// Postcode and house-number pairs: value is `postcode|house`.
    pub addresses: Vec<Found>,
}

/// The text of an item split by place.
#[derive(Debug, Clone, Default)]
pub struct Segments {
    /// (place, text) pairs.
    pub parts: Vec<(Place, String)>,
}

impl Segments {
    /// Splits an item into subject, own text and quoted text.
    pub fn of(subject: Option<&str>, text: &str) -> Self {
        let mut parts = Vec::new();
        if let Some(subject) = subject {
            parts.push((Place::Subject, subject.to_owned()));
        }
        let (own, quoted) = split_quoted(text);
        parts.push((Place::Text, own));
        if !quoted.is_empty() {
            parts.push((Place::Quoted, quoted));
        }
        Self { parts }
    }

    /// Returns the text at a place, if any.
    pub fn text_at(&self, place: Place) -> Option<&str> {
        self.parts
            .iter()
            .find(|(at, _)| *at == place)
            .map(|(_, text)| text.as_str())
    }
}

static REPLY_HEADER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?im)^(?:(?:op|on|am|le)\s.{0,120}(?:schreef|wrote|schrieb|a\s+écrit)[^\n]*:\s*$|",
        r"-{2,}\s*(?:original message|oorspronkelijk bericht|ursprüngliche nachricht|message d'origine)\s*-{2,})"
    ))
    .ok()
});

/// Splits a body into the sender's own text and the quoted rest (`>` lines and everything after
/// a reply header such as "Op ... schreef ...:"). Forwarded messages stay in the own text: they
/// are what the item is about.
fn split_quoted(text: &str) -> (String, String) {
    let cut = REPLY_HEADER
        .as_ref()
        .and_then(|pattern| pattern.find(text))
        .map_or(text.len(), |found| found.start());
    let (head, tail) = text.split_at(cut);
    let mut own = String::with_capacity(head.len());
    let mut quoted = String::from(tail);
    for line in head.lines() {
        if line.trim_start().starts_with('>') {
            quoted.push_str(line);
            quoted.push('\n');
        } else {
            own.push_str(line);
            own.push('\n');
        }
    }
    (own, quoted)
}

static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9][A-Za-z0-9.\-]*\.[A-Za-z]{2,}").ok()
});
static WEB: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?-u:\b)(?:https?://)?www\.[a-z0-9][a-z0-9.\-]*\.[a-z]{2,}").ok()
});
static ADDRESS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r"\p{L}{3,}\.?\s+(\d{1,4}[a-zA-Z]?(?:[-/]\d{1,4}[a-zA-Z]?)?),?\s*[|\-–,]?\s*",
        r"(?:[A-Z]{1,2}-)?(\d{4}\s?[A-Z]{2}|\d{4,5})(?-u:\b)"
    ))
    .ok()
});
/// The characters besides whitespace that end a reference token.
const TOKEN_ENDS: [char; 11] = ['(', ')', '[', ']', '<', '>', ',', ';', ':', '!', '?'];

/// The tokens of `text` a reference may be (runs of characters that are neither whitespace nor
/// [`TOKEN_ENDS`]), each with its start: what the regex `[^\s()\[\]<>,;:!?]+` finds, without
/// its per-match cost on every word of every item.
fn token_spans(text: &str) -> Vec<(usize, &str)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        let ends = c.is_whitespace() || TOKEN_ENDS.contains(&c);
        match (ends, start) {
            (true, Some(from)) => {
                spans.push((from, &text[from..at]));
                start = None;
            }
            (false, None) => start = Some(at),
            _ => {}
        }
    }
    if let Some(from) = start {
        spans.push((from, &text[from..]));
    }
    spans
}

/// Extracts identifiers from an item's segments with the configured label patterns.
pub fn extract(segments: &Segments, customer_label: &Regex, reference_label: &Regex) -> Extracted {
    let mut extracted = Extracted::default();
    for (place, text) in &segments.parts {
        let place = *place;
        let spoken = strip_hesitations(text);
        let candidates = number_candidates(&digit_runs(&spoken));
        extract_numbers(&mut extracted, &candidates, place);
        extract_customer_numbers(&mut extracted, &spoken, customer_label, place);
        extract_phones(&mut extracted, &candidates, &spoken, place);
        extract_references(&mut extracted, text, reference_label, place);
        extract_addresses(&mut extracted, text, place);
        for found in EMAIL.iter().flat_map(|pattern| pattern.find_iter(text)) {
            let address = found.as_str().trim_end_matches('.').to_ascii_lowercase();
            push_unique(
                &mut extracted.emails,
                found_at(address, found.as_str(), place, false),
            );
        }
        for found in WEB.iter().flat_map(|pattern| pattern.find_iter(text)) {
            if let Some(domain) = super::snapshot::domain_of(found.as_str()) {
                push_unique(
                    &mut extracted.domains,
                    found_at(domain, found.as_str(), place, false),
                );
            }
        }
    }
    extracted
}

fn found_at(value: String, written: &str, place: Place, labelled: bool) -> Found {
    Found {
        value,
        written: written.trim().to_owned(),
        place,
        labelled,
    }
}

fn push_unique(list: &mut Vec<Found>, found: Found) {
    match list.iter_mut().find(|known| known.value == found.value) {
        Some(known) => {
            // keep the most telling place: sender before subject before text before quote
            known.place = known.place.min(found.place);
            known.labelled |= found.labelled;
        }
        None => list.push(found),
    }
}

fn extract_numbers(extracted: &mut Extracted, candidates: &[NumberCandidate], place: Place) {
    for candidate in candidates {
        if candidate.digits.len() >= 6 {
            let found = found_at(candidate.digits.clone(), &candidate.written, place, false);
            push_unique(&mut extracted.numbers, found);
        }
    }
}

fn extract_customer_numbers(extracted: &mut Extracted, text: &str, label: &Regex, place: Place) {
    for label_match in label.find_iter(text) {
        let rest = &text[label_match.end()..];
        let rest = rest.trim_start_matches(|c: char| {
            c == ':' || c == '.' || c == '#' || c == '-' || c == ' ' || c == '\t'
        });
        let rest = ["is ", "ist ", "est ", "lautet ", "="]
            .iter()
            .find_map(|word| rest.strip_prefix(word))
            .unwrap_or(rest)
            .trim_start();
        let Some(run) = digit_runs(rest).into_iter().find(|run| run.start == 0) else {
            continue;
        };
        let digits: String = run.groups.concat();
        if (4..=12).contains(&digits.len()) {
            let written = run.groups.join(" ");
            push_unique(
                &mut extracted.customer_numbers,
                found_at(digits, &written, place, true),
            );
        }
    }
}

fn extract_phones(
    extracted: &mut Extracted,
    candidates: &[NumberCandidate],
    text: &str,
    place: Place,
) {
    for candidate in candidates {
        let length = candidate.digits.len();
        if !(8..=15).contains(&length) {
            continue;
        }
        let plus = text[candidate.start..].starts_with('+');
        let leading_zero = candidate.digits.starts_with('0');
        let starts_run = text[candidate.start..]
            .trim_start_matches(['+', ' ', '('])
            .starts_with(candidate.written.split(' ').next().unwrap_or(""));
        if !starts_run || !(plus || leading_zero) {
            continue;
        }
        let written = if plus {
            format!("+{}", candidate.written)
        } else {
            candidate.written.clone()
        };
        let value = if plus {
            format!("+{}", candidate.digits)
        } else {
            candidate.digits.clone()
        };
        push_unique(
            &mut extracted.phones,
            found_at(value, &written, place, false),
        );
    }
}

fn extract_references(extracted: &mut Extracted, text: &str, label: &Regex, place: Place) {
    let label_ends: Vec<usize> = label.find_iter(text).map(|found| found.end()).collect();
    let tokens: Vec<(usize, &str)> = token_spans(text)
        .into_iter()
        .map(|(start, token)| (start, token.trim_matches(['.', '\'', '"', '*'])))
        .filter(|(_, token)| !token.is_empty())
        .collect();
    // A reference has a digit: a token without one (most words) is skipped before any key is
    // built, and so is a short word whose next token has none.
    let has_digit = |token: &str| token.bytes().any(|byte| byte.is_ascii_digit());
    for (index, (start, token)) in tokens.iter().enumerate() {
        let next = tokens.get(index + 1).map(|(_, next)| *next).filter(|next| {
            token.len() <= 4 && token.chars().all(char::is_alphabetic) && has_digit(next)
        });
        if !has_digit(token) && next.is_none() {
            continue;
        }
        let labelled = label_ends
            .iter()
            .any(|end| *end <= *start && text[*end..*start].chars().count() <= 12);
        let mut keys = vec![(reference_key(token), (*token).to_owned())];
        if let Some(next) = next {
            let joined = format!("{token} {next}");
            keys.push((reference_key(&joined), joined));
        }
        for (key, written) in keys {
            if key.len() >= 2 && key.len() <= 30 && has_digit(&key) {
                push_unique(
                    &mut extracted.references,
                    found_at(key, &written, place, labelled),
                );
            }
        }
    }
}

fn extract_addresses(extracted: &mut Extracted, text: &str, place: Place) {
    for captures in ADDRESS
        .iter()
        .flat_map(|pattern| pattern.captures_iter(text))
    {
        let (Some(house), Some(postcode)) = (captures.get(1), captures.get(2)) else {
            continue;
        };
        let key = super::snapshot::address_key(postcode.as_str(), house.as_str());
        let written = format!("{} {}", postcode.as_str(), house.as_str());
        push_unique(
            &mut extracted.addresses,
            found_at(key, &written, place, false),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tokens are exactly those of the regex they replace, on the development corpus and
    /// on separators, Unicode whitespace and multi-byte letters at the edges.
    #[test]
    fn token_spans_are_the_regex_tokens() {
        let regex = Regex::new(r"[^\s()\[\]<>,;:!?]+").unwrap();
        let mut texts = crate::intent::prefilter::tests::corpus_texts();
        texts.extend(
            [
                "",
                "   ",
                "PO:4711 (ref.AB-12)[x]<y>z,1;2!3?4",
                "Bestellung\u{2003}Nr.\u{00a0}4500012345\u{3000}ü",
                "éé",
                "a",
            ]
            .map(str::to_owned),
        );
        for text in &texts {
            let expected: Vec<(usize, &str)> = regex
                .find_iter(text)
                .map(|found| (found.start(), found.as_str()))
                .collect();
            assert_eq!(token_spans(text), expected, "{text:?}");
        }
    }

    fn labels() -> (Regex, Regex) {
        let config = super::super::config::LinkingConfig::default();
        (
            Regex::new(&config.customer_number_label).unwrap(),
            Regex::new(&config.reference_label).unwrap(),
        )
    }

    fn run(subject: &str, text: &str) -> Extracted {
        let (customer, reference) = labels();
        extract(&Segments::of(Some(subject), text), &customer, &reference)
    }

    #[test]
    fn customer_numbers_follow_labels_in_four_languages() {
        let cases = [
            ("Klantnummer: 136422", "136422"),
            ("ons klantnummer is 12 18 35 wat", "121835"),
            ("Kundennummer: 0000362114", "0000362114"),
            ("Customer no.: 0000142298", "0000142298"),
            ("Réf. client: 443760", "443760"),
            ("Numéro client: 0000498866", "0000498866"),
            ("n° client 443760", "443760"),
            ("Debiteurnummer: 109295", "109295"),
        ];
        for (text, expected) in cases {
            let extracted = run("", text);
            let values: Vec<&str> = extracted
                .customer_numbers
                .iter()
                .map(|f| f.value.as_str())
                .collect();
            assert_eq!(values, vec![expected], "{text}");
        }
    }

    #[test]
    fn quoted_text_is_told_apart() {
        let text = "Dank u.\n\nOp Mon, 03 Mar 2025 08:46:27 +0100 schreef X <x@y.nl>:\n> order 4500021305\n";
        let extracted = run("Re: vraag", text);
        let order = extracted
            .numbers
            .iter()
            .find(|f| f.value == "4500021305")
            .unwrap();
        assert_eq!(order.place, Place::Quoted);
    }

    #[test]
    fn phones_addresses_and_mail_are_found() {
        let text = "Gr.,\nJan\nVeldstraat 181, 9300 Aalst\nT: 089 555 58 7\nMob. +32 470 555 488\n\
                    jan@parfumerie.example.be www.parfumerieengelen.example.be\nOscarpad 498  -  8672 OY Angeren";
        let extracted = run("", text);
        let phones: Vec<&str> = extracted.phones.iter().map(|f| f.value.as_str()).collect();
        assert!(phones.contains(&"089555587"), "{phones:?}");
        assert!(phones.contains(&"+32470555488"), "{phones:?}");
        let addresses: Vec<&str> = extracted
            .addresses
            .iter()
            .map(|f| f.value.as_str())
            .collect();
        assert!(addresses.contains(&"9300|181"), "{addresses:?}");
        assert!(addresses.contains(&"8672OY|498"), "{addresses:?}");
        assert_eq!(extracted.emails[0].value, "jan@parfumerie.example.be");
        assert_eq!(extracted.domains[0].value, "parfumerieengelen.example.be");
    }

    #[test]
    fn references_keep_their_label() {
        let extracted = run("Bestelling INK89375", "Onze referentie: BN 301 graag");
        let bn = extracted
            .references
            .iter()
            .find(|f| f.value == "BN301")
            .unwrap();
        assert!(bn.labelled);
        let ink = extracted
            .references
            .iter()
            .find(|f| f.value == "INK89375")
            .unwrap();
        assert_eq!(ink.place, Place::Subject);
    }
}
