//! Structured fields of a letter's text: the sender's letterhead (name, address, phone, fax,
//! e-mail), the place and date, the reference lines, the signature name and the company
//! registration numbers in the footer. Pure functions over OCR or text-layer output.

mod address;
mod references;

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;
use serde::{Deserialize, Serialize};
use switchboard_core::item::Language;

pub use self::address::{PostalAddress, parse_date_line, parse_postcode_city};
pub use self::references::{ReferenceKind, ReferenceLine, is_closing, parse_reference_line};
use super::phone::normalise_number;
use crate::email::detect_language;

/// The letterhead is looked for in this many first lines.
const LETTERHEAD_LINES: usize = 8;
/// A signature name has at most this many words.
const MAX_SIGNATURE_WORDS: usize = 5;

/// What a letter says about itself, for the linker and the agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LetterFields {
    /// The sender's name as the letterhead states it (usually the company).
    pub sender_name: Option<String>,
    /// The sender's postal address.
    pub sender_address: PostalAddress,
    /// The letterhead's phone number in E.164.
    pub phone: Option<String>,
    /// The letterhead's fax number in E.164.
    pub fax: Option<String>,
    /// The letterhead's e-mail address, lower-cased.
    pub email: Option<String>,
    /// The place before the date.
    pub place: Option<String>,
    /// The letter's date.
    pub date: Option<NaiveDate>,
    /// Labelled reference lines in order.
    pub references: Vec<ReferenceLine>,
    /// The subject ("Betreft", "Betreff", "Objet").
    pub subject: Option<String>,
    /// The name under the closing.
    pub signature_name: Option<String>,
    /// The Dutch chamber of commerce number from the footer.
    pub chamber_of_commerce: Option<String>,
    /// The VAT number from the footer.
    pub vat_number: Option<String>,
    /// The letter's language.
    pub language: Option<Language>,
}

static PHONE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:tel|telefoon|telefon|phone|t[ée]l[ée]phone)\.?:?\s*(\+?[\d(][\d ()./-]{6,}\d)",
    )
    .ok()
});
static FAX: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:fax|telefax)\.?:?\s*(\+?[\d(][\d ()./-]{6,}\d)").ok());
static EMAIL: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+").ok());
static CHAMBER: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)\bkvk(?:-nummer|nr\.?)?\s*:?\s*(\d{8})\b").ok());
static VAT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"\b((?:NL\d{9}B\d{2})|(?:NL\d{9})|(?:DE\d{9})|(?:BE0?\d{9,10})|(?:FR[0-9A-Z]{2}\d{9}))\b",
    )
    .ok()
});

/// Reads a letter's structured fields from its text; national numbers are read in `region`.
pub fn parse_letter(text: &str, region: &str) -> LetterFields {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let mut fields = LetterFields {
        language: detect_language(text),
        ..LetterFields::default()
    };
    read_letterhead(&lines, region, &mut fields);
    for line in &lines {
        if fields.date.is_none()
            && let Some((place, date)) = parse_date_line(line)
        {
            fields.place = place;
            fields.date = Some(date);
        }
        if let Some(reference) = parse_reference_line(line) {
            if reference.kind == ReferenceKind::Subject && fields.subject.is_none() {
                fields.subject = Some(reference.value.clone());
            }
            fields.references.push(reference);
        }
    }
    fields.signature_name = signature_name(&lines);
    fields.chamber_of_commerce = first_capture(&CHAMBER, text);
    fields.vat_number = first_capture(&VAT, text);
    fields
}

/// Fills the sender's name, address, phone, fax and e-mail from the first lines.
fn read_letterhead(lines: &[&str], region: &str, fields: &mut LetterFields) {
    let head = &lines[..lines.len().min(LETTERHEAD_LINES)];
    let mut postcode_country = None;
    let mut postcode_line = None;
    for (index, line) in head.iter().enumerate() {
        let is_contact_line = PHONE.as_ref().is_some_and(|regex| regex.is_match(line))
            || FAX.as_ref().is_some_and(|regex| regex.is_match(line))
            || EMAIL.as_ref().is_some_and(|regex| regex.is_match(line));
        if is_contact_line {
            fields.phone = fields
                .phone
                .take()
                .or_else(|| number_after(&PHONE, line, region));
            fields.fax = fields
                .fax
                .take()
                .or_else(|| number_after(&FAX, line, region));
            fields.email = fields
                .email
                .take()
                .or_else(|| first_match(&EMAIL, line).map(|email| email.to_lowercase()));
            continue;
        }
        if let Some(postcode_index) = postcode_line {
            // The recipient block follows the sender's address; a stated country directly
            // after the postcode line still belongs to the sender.
            if index == postcode_index + 1
                && let Some(country) = address::country_from_name(line)
            {
                fields.sender_address.country = Some(country.to_owned());
            }
            postcode_line = None;
            continue;
        }
        if fields.sender_address.postcode.is_some() {
            continue;
        }
        let mut claimed = false;
        for segment in line
            .split(['|', '·', '•'])
            .flat_map(|part| part.split(" - "))
            .map(str::trim)
        {
            if let Some((postcode, city, country)) = parse_postcode_city(segment) {
                fields.sender_address.postcode = Some(postcode);
                fields.sender_address.city = Some(city);
                postcode_country = country;
                postcode_line = Some(index);
                claimed = true;
            } else if address::looks_like_street(segment) && fields.sender_address.street.is_none()
            {
                fields.sender_address.street = Some(segment.to_owned());
                claimed = true;
            }
        }
        if !claimed && fields.sender_name.is_none() {
            fields.sender_name = Some((*line).to_owned());
        }
    }
    if fields.sender_address.country.is_none() {
        fields.sender_address.country = postcode_country
            .filter(|country| *country == "NL")
            .or_else(|| {
                fields
                    .phone
                    .as_deref()
                    .or(fields.fax.as_deref())
                    .and_then(country_of_number)
            })
            .or(postcode_country)
            .map(str::to_owned);
    }
}

/// Returns the country of an E.164 number for the countries letters come from.
fn country_of_number(number: &str) -> Option<&'static str> {
    [
        ("+31", "NL"),
        ("+32", "BE"),
        ("+49", "DE"),
        ("+33", "FR"),
        ("+352", "LU"),
        ("+43", "AT"),
    ]
    .iter()
    .find(|(prefix, _)| number.starts_with(prefix))
    .map(|&(_, country)| country)
}

/// Returns the name under the last closing: the first short line of letters after it.
fn signature_name(lines: &[&str]) -> Option<String> {
    let closing = lines.iter().rposition(|line| is_closing(line))?;
    lines[closing + 1..]
        .iter()
        .take(2)
        .find(|line| {
            let words = line.split_whitespace().count();
            let letters = line
                .chars()
                .filter(|character| character.is_alphabetic())
                .count();
            (1..=MAX_SIGNATURE_WORDS).contains(&words)
                && letters * 10 >= line.chars().count() * 7
                && parse_reference_line(line).is_none()
        })
        .map(|line| (*line).to_owned())
}

fn number_after(regex: &LazyLock<Option<Regex>>, line: &str, region: &str) -> Option<String> {
    let captures = regex.as_ref()?.captures(line)?;
    normalise_number(captures.get(1)?.as_str(), region)
}

fn first_match(regex: &LazyLock<Option<Regex>>, text: &str) -> Option<String> {
    Some(regex.as_ref()?.find(text)?.as_str().to_owned())
}

fn first_capture(regex: &LazyLock<Option<Regex>>, text: &str) -> Option<String> {
    Some(regex.as_ref()?.captures(text)?.get(1)?.as_str().to_owned())
}

#[cfg(test)]
mod tests;
