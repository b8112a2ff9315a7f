//! Fax metadata from the three places fax servers put it: the notification e-mail's subject and
//! body, the file name, and the header line printed at the top of every page. Pure functions.

mod header;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use regex::{Captures, Regex};
use serde::Serialize;

pub use self::header::parse_header_line;
use super::phone::{normalise_international_digits, normalise_number};

/// Where a piece of fax metadata was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaxMetaSource {
    /// The notification e-mail's subject.
    NotificationSubject,
    /// The notification e-mail's body.
    NotificationBody,
    /// The file name.
    FileName,
    /// The header line printed on a page.
    HeaderLine,
}

/// What one source tells about a fax.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaxMeta {
    /// Where this was read.
    pub source: FaxMetaSource,
    /// The sender's fax number in E.164.
    pub number: Option<String>,
    /// The number as written.
    pub raw_number: Option<String>,
    /// The sender's station name (CSID name), when one was given.
    pub name: Option<String>,
    /// The page count.
    pub pages: Option<u32>,
    /// The page this header line is on.
    pub page: Option<u32>,
    /// When the fax was sent or received, as the source states it (local time).
    pub sent_at: Option<NaiveDateTime>,
}

impl FaxMeta {
    fn empty(source: FaxMetaSource) -> Self {
        Self {
            source,
            number: None,
            raw_number: None,
            name: None,
            pages: None,
            page: None,
            sent_at: None,
        }
    }
}

/// Station names that say nothing about the sender.
const PLACEHOLDER_NAMES: &[&str] = &["-", "fax", "unknown", "none", "n/a", "anonymous"];

/// Regular expressions for notification subjects, bodies and file names. Each may name the groups
/// `number`, `name`, `pages`, `date` (`YYYYMMDD`) and `time` (`HHMMSS`); the first pattern that
/// matches decides each field.
#[derive(Debug, Clone)]
pub struct FaxPatterns {
    /// Patterns for the notification subject.
    pub subject: Vec<Regex>,
    /// Patterns for the notification body.
    pub body: Vec<Regex>,
    /// Patterns for the file name.
    pub file_name: Vec<Regex>,
    /// Whether file-name numbers without a leading `0` or `+` start with a country code.
    pub file_name_numbers_international: bool,
}

/// A number as fax servers write it: optional plus, digit groups joined by dashes, dots, slashes,
/// brackets or single spaces.
const NUMBER: &str = r"\+?\(?\d[\d()./-]*(?: \d[\d()./-]*)*";

impl Default for FaxPatterns {
    fn default() -> Self {
        let subject = [format!(
            r"(?i)\bfax\s+(?:from|van|von|de|da)\s+(?:(?P<number>{NUMBER})|\S+)(?:[^\d]+(?P<pages>\d+)\s*(?:pages?|pagina|seiten?))?"
        )];
        let body = [
            format!(
                r"(?im)^\s*(?:from|van|von|de|sender|afzender|absender)\s*:\s*(?P<number>{NUMBER})\s*$"
            ),
            r"(?im)^\s*(?:csid|tsi|station)\s*:\s*(?P<name>[^\r\n]*?)\s*$".to_owned(),
            r"(?im)^\s*(?:pages|pagina's|paginas|seiten)\s*:\s*(?P<pages>\d+)".to_owned(),
        ];
        let file_name = [
            r"(?i)(?P<date>\d{8})[_-](?P<time>\d{6})[_-](?P<number>\+?\d{6,15})(?:\D|$)".to_owned(),
        ];
        Self::new(&subject, &body, &file_name).unwrap_or_else(|_| Self::empty())
    }
}

impl FaxPatterns {
    /// Compiles the given patterns.
    pub fn new<S: AsRef<str>>(
        subject: &[S],
        body: &[S],
        file_name: &[S],
    ) -> Result<Self, regex::Error> {
        let compile = |patterns: &[S]| -> Result<Vec<Regex>, regex::Error> {
            patterns
                .iter()
                .map(|pattern| Regex::new(pattern.as_ref()))
                .collect()
        };
        Ok(Self {
            subject: compile(subject)?,
            body: compile(body)?,
            file_name: compile(file_name)?,
            file_name_numbers_international: true,
        })
    }

    fn empty() -> Self {
        Self {
            subject: Vec::new(),
            body: Vec::new(),
            file_name: Vec::new(),
            file_name_numbers_international: true,
        }
    }
}

/// Reads "Fax from +31235551234, 2 pages" style subjects.
pub fn parse_notification_subject(
    subject: &str,
    patterns: &FaxPatterns,
    region: &str,
) -> Option<FaxMeta> {
    apply(
        &patterns.subject,
        subject,
        FaxMetaSource::NotificationSubject,
        |raw| normalise_number(raw, region),
    )
}

/// Reads "From: +31...", "CSID: ..." and "Pages: 2" lines of a notification body.
pub fn parse_notification_body(
    body: &str,
    patterns: &FaxPatterns,
    region: &str,
) -> Option<FaxMeta> {
    apply(
        &patterns.body,
        body,
        FaxMetaSource::NotificationBody,
        |raw| normalise_number(raw, region),
    )
}

/// Reads the number and time fax servers put in file names (`fax_20250303_082719_31405556337.pdf`).
pub fn parse_file_name(file_name: &str, patterns: &FaxPatterns, region: &str) -> Option<FaxMeta> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    apply(&patterns.file_name, base, FaxMetaSource::FileName, |raw| {
        if patterns.file_name_numbers_international {
            normalise_international_digits(raw, region)
        } else {
            normalise_number(raw, region)
        }
    })
}

/// Merges the captures of every matching pattern into one [`FaxMeta`], or `None` when none match.
fn apply(
    patterns: &[Regex],
    text: &str,
    source: FaxMetaSource,
    normalise: impl Fn(&str) -> Option<String>,
) -> Option<FaxMeta> {
    let mut meta = FaxMeta::empty(source);
    let mut matched = false;
    let mut date = None;
    let mut time = None;
    for captures in patterns.iter().filter_map(|pattern| pattern.captures(text)) {
        matched = true;
        let group = |name: &str| captures_text(&captures, name);
        if meta.number.is_none()
            && let Some(raw) = group("number")
        {
            meta.number = normalise(&raw);
            meta.raw_number = Some(raw);
        }
        if meta.name.is_none() {
            meta.name = group("name").filter(|name| is_real_name(name));
        }
        meta.pages = meta
            .pages
            .or_else(|| group("pages").and_then(|pages| pages.parse().ok()));
        date = date.or_else(|| {
            group("date").and_then(|date| NaiveDate::parse_from_str(&date, "%Y%m%d").ok())
        });
        time = time.or_else(|| {
            group("time").and_then(|time| NaiveTime::parse_from_str(&time, "%H%M%S").ok())
        });
    }
    if let Some(date) = date {
        meta.sent_at = Some(date.and_time(time.unwrap_or_default()));
    }
    matched.then_some(meta)
}

fn captures_text(captures: &Captures<'_>, name: &str) -> Option<String> {
    captures
        .name(name)
        .map(|found| found.as_str().trim().to_owned())
        .filter(|found| !found.is_empty())
}

/// Tells whether a station name names someone (not `-`, `FAX`, or a bare number).
pub(crate) fn is_real_name(name: &str) -> bool {
    let trimmed = name.trim();
    let has_letters = trimmed
        .chars()
        .filter(|character| character.is_alphabetic())
        .count()
        >= 2;
    has_letters && !PLACEHOLDER_NAMES.contains(&trimmed.to_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns() -> FaxPatterns {
        FaxPatterns::default()
    }

    #[test]
    fn subjects_in_several_languages_give_number_and_pages() {
        let meta = parse_notification_subject("Fax van +31405556337 (1 pagina)", &patterns(), "NL")
            .unwrap();
        assert_eq!(meta.number.as_deref(), Some("+31405556337"));
        assert_eq!(meta.pages, Some(1));
        let meta = parse_notification_subject("Fax from +31486555613, 2 pages", &patterns(), "NL")
            .unwrap();
        assert_eq!(meta.number.as_deref(), Some("+31486555613"));
        assert_eq!(meta.pages, Some(2));
        let meta =
            parse_notification_subject("Fax from 0855551761, 1 page", &patterns(), "NL").unwrap();
        assert_eq!(meta.number.as_deref(), Some("+31855551761"));
        assert_eq!(meta.raw_number.as_deref(), Some("0855551761"));
        let meta =
            parse_notification_subject("Fax van +31252555968 (2 pagina's)", &patterns(), "NL")
                .unwrap();
        assert_eq!(meta.pages, Some(2));
    }

    #[test]
    fn unknown_sender_matches_without_a_number() {
        let meta =
            parse_notification_subject("Fax van unknown (2 pagina's)", &patterns(), "NL").unwrap();
        assert_eq!(meta.number, None);
        assert_eq!(meta.pages, Some(2));
        assert!(parse_notification_subject("Re: your order", &patterns(), "NL").is_none());
    }

    #[test]
    fn body_lines_give_number_name_and_pages() {
        let body = "You have received a new fax.\n\nFrom: +31405556337\nCSID: DROGISTERIJ VAN DAM\nTo: +31 23 555 0199\nPages: 2\n";
        let meta = parse_notification_body(body, &patterns(), "NL").unwrap();
        assert_eq!(meta.number.as_deref(), Some("+31405556337"));
        assert_eq!(meta.name.as_deref(), Some("DROGISTERIJ VAN DAM"));
        assert_eq!(meta.pages, Some(2));
        let anonymous = "From: unknown\nCSID: FAX\nPages: 1\n";
        let meta = parse_notification_body(anonymous, &patterns(), "NL").unwrap();
        assert_eq!((meta.number, meta.name), (None, None));
    }

    #[test]
    fn file_names_give_number_and_time() {
        let meta =
            parse_file_name("in/fax_20250303_082719_31405556337.pdf", &patterns(), "NL").unwrap();
        assert_eq!(meta.number.as_deref(), Some("+31405556337"));
        assert_eq!(meta.sent_at.unwrap().to_string(), "2025-03-03 08:27:19");
        let meta =
            parse_file_name("fax_20250303_084513_0855551761.pdf", &patterns(), "NL").unwrap();
        assert_eq!(meta.number.as_deref(), Some("+31855551761"));
        assert!(parse_file_name("fax_20250306_084108_unknown.pdf", &patterns(), "NL").is_none());
        assert!(parse_file_name("f0001.pdf", &patterns(), "NL").is_none());
    }

    #[test]
    fn custom_patterns_replace_the_defaults() {
        let custom =
            FaxPatterns::new(&[r"^FAX<(?P<number>\d+)>"], &[], &[r"^(?P<number>\d{9,})-"]).unwrap();
        let meta = parse_notification_subject("FAX<0205551234> received", &custom, "NL").unwrap();
        assert_eq!(meta.number.as_deref(), Some("+31205551234"));
        assert!(FaxPatterns::new(&["(unclosed"], &[], &[]).is_err());
    }
}
