//! The header line fax machines print at the top of each page, e.g.
//! `03-MAR-2025 08:41  FROM: DROGISTERIJ VAN DAM  070-5556133  P.001/001`, read token by token so
//! that OCR noise in one field does not lose the others.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::{FaxMeta, FaxMetaSource, is_real_name};
use crate::document::phone::normalise_number;

/// Words in header lines that are labels, not names.
const LABELS: &[&str] = &[
    "from", "from:", "van:", "von:", "de:", "fax", "fax:", "tel", "tel:", "to:", "an:",
];

/// Month abbreviations fax machines print, in English, Dutch, German and French.
const MONTHS: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("fev", 2),
    ("fév", 2),
    ("mar", 3),
    ("mrt", 3),
    ("mär", 3),
    ("mrz", 3),
    ("apr", 4),
    ("avr", 4),
    ("may", 5),
    ("mei", 5),
    ("mai", 5),
    ("jun", 6),
    ("jui", 6),
    ("jul", 7),
    ("aug", 8),
    ("aou", 8),
    ("aoû", 8),
    ("sep", 9),
    ("oct", 10),
    ("okt", 10),
    ("nov", 11),
    ("dec", 12),
    ("dez", 12),
    ("déc", 12),
];

/// What a token of a header line is.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Date(NaiveDate),
    Time(NaiveTime),
    Page { page: u32, of: Option<u32> },
    Number(String),
    Word(String),
    Label,
}

/// Reads a fax header line; `None` when the line has neither a date nor a page marker.
pub fn parse_header_line(line: &str, region: &str) -> Option<FaxMeta> {
    let tokens = tokenise(line);
    let mut meta = FaxMeta::empty(FaxMetaSource::HeaderLine);
    let mut date = None;
    let mut time = None;
    let mut number_parts: Vec<String> = Vec::new();
    let mut name_parts: Vec<String> = Vec::new();
    let mut best_number: Option<String> = None;
    let flush_number = |parts: &mut Vec<String>, best: &mut Option<String>| {
        let joined = parts.join(" ");
        let digits = joined.chars().filter(char::is_ascii_digit).count();
        if digits >= 8
            && best
                .as_ref()
                .is_none_or(|current| current.len() < joined.len())
        {
            *best = Some(joined);
        }
        parts.clear();
    };
    for token in tokens {
        if !matches!(token, Token::Number(_)) {
            flush_number(&mut number_parts, &mut best_number);
        }
        match token {
            Token::Date(found) => date = date.or(Some(found)),
            Token::Time(found) => time = time.or(Some(found)),
            Token::Page { page, of } => {
                meta.page = meta.page.or(Some(page));
                meta.pages = meta.pages.or(of);
            }
            Token::Number(digits) => number_parts.push(digits),
            Token::Word(word) => name_parts.push(word),
            Token::Label => {}
        }
    }
    flush_number(&mut number_parts, &mut best_number);
    if date.is_none() && meta.page.is_none() {
        return None;
    }
    meta.sent_at = date.map(|date| NaiveDateTime::new(date, time.unwrap_or_default()));
    meta.number = best_number
        .as_deref()
        .and_then(|raw| normalise_number(raw, region));
    meta.raw_number = best_number;
    let name = name_parts.join(" ");
    meta.name = is_real_name(&name).then_some(name);
    Some(meta)
}

fn tokenise(line: &str) -> Vec<Token> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut tokens = Vec::new();
    let mut index = 0;
    while index < words.len() {
        let word = words[index];
        let next = words.get(index + 1).copied();
        let after = words.get(index + 2).copied();
        // "Mar 03 2025"
        if let (Some(day), Some(year)) = (next, after)
            && let Some(date) = month_day_year(word, day, year)
        {
            tokens.push(Token::Date(date));
            index += 3;
            continue;
        }
        // "PAGE 01/02", "p. 1"
        if is_page_label(word)
            && let Some(page) = next.and_then(page_fraction)
        {
            tokens.push(page);
            index += 2;
            continue;
        }
        // "08:27AM" or "08:27 AM"
        if let Some(time) = clock_time(word, next) {
            let consumed_meridiem =
                next.is_some_and(is_meridiem) && !word.to_ascii_lowercase().ends_with('m');
            tokens.push(Token::Time(time));
            index += if consumed_meridiem { 2 } else { 1 };
            continue;
        }
        tokens.push(classify_word(word));
        index += 1;
    }
    tokens
}

fn classify_word(word: &str) -> Token {
    if let Some(date) = numeric_date(word) {
        return Token::Date(date);
    }
    if let Some(page) = attached_page(word) {
        return page;
    }
    if LABELS.contains(&word.to_lowercase().as_str()) {
        return Token::Label;
    }
    let repaired = repair_digits(word);
    let digits = repaired.chars().filter(char::is_ascii_digit).count();
    if digits > 0
        && repaired
            .chars()
            .all(|character| character.is_ascii_digit() || "+-()./".contains(character))
    {
        return Token::Number(repaired);
    }
    Token::Word(word.to_owned())
}

/// Turns letters OCR confuses with digits back into digits in tokens that are mostly digits.
fn repair_digits(word: &str) -> String {
    let digits = word.chars().filter(char::is_ascii_digit).count();
    if digits * 2 < word.chars().count() {
        return word.to_owned();
    }
    word.chars()
        .map(|character| match character {
            'O' | 'o' => '0',
            'l' | 'I' | '|' => '1',
            other => other,
        })
        .collect()
}

fn month_number(word: &str) -> Option<u32> {
    let lower = word.to_lowercase();
    let prefix: String = lower.chars().take(3).collect();
    MONTHS
        .iter()
        .find(|(name, _)| *name == prefix)
        .map(|&(_, month)| month)
}

fn month_day_year(month: &str, day: &str, year: &str) -> Option<NaiveDate> {
    if month.chars().count() > 4 && !month.ends_with('.') {
        return None;
    }
    let month = month_number(month.trim_end_matches('.'))?;
    NaiveDate::from_ymd_opt(
        year.parse().ok()?,
        month,
        day.trim_end_matches(',').parse().ok()?,
    )
}

/// Reads `03-MAR-2025`, `04/03/2025` (day first) and `2025-03-04`.
fn numeric_date(word: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = word.split(['-', '/', '.']).collect();
    let [first, second, third] = parts.as_slice() else {
        return None;
    };
    let month = second.parse().ok().or_else(|| month_number(second))?;
    if first.len() == 4 {
        return NaiveDate::from_ymd_opt(first.parse().ok()?, month, third.parse().ok()?);
    }
    let year: i32 = third.parse().ok()?;
    let year = if third.len() == 2 { 2000 + year } else { year };
    NaiveDate::from_ymd_opt(year, month, first.parse().ok()?)
}

fn is_meridiem(word: &str) -> bool {
    matches!(word.to_ascii_lowercase().as_str(), "am" | "pm")
}

fn clock_time(word: &str, next: Option<&str>) -> Option<NaiveTime> {
    let lower = word.to_ascii_lowercase();
    let (clock, meridiem) = match lower
        .strip_suffix("am")
        .or_else(|| lower.strip_suffix("pm"))
    {
        Some(clock) => (clock.to_owned(), Some(lower.ends_with("pm"))),
        None => (
            lower.clone(),
            next.filter(|next| is_meridiem(next))
                .map(|next| next.eq_ignore_ascii_case("pm")),
        ),
    };
    let (hours, minutes) = clock.split_once(':')?;
    let minutes = minutes.get(..2)?;
    let mut hours: u32 = hours.parse().ok()?;
    if let Some(afternoon) = meridiem {
        hours = (hours % 12) + if afternoon { 12 } else { 0 };
    }
    NaiveTime::from_hms_opt(hours, minutes.parse().ok()?, 0)
}

fn is_page_label(word: &str) -> bool {
    matches!(
        word.to_lowercase().trim_end_matches([':', '.']),
        "p" | "page" | "pag" | "pagina" | "seite" | "s"
    )
}

/// Reads `01/02`, `1` or `001/001`.
fn page_fraction(word: &str) -> Option<Token> {
    let repaired = repair_digits(word);
    let (page, of) = match repaired.split_once('/') {
        Some((page, of)) => (page.parse().ok()?, Some(of.parse().ok()?)),
        None => (repaired.parse().ok()?, None),
    };
    (page > 0).then_some(Token::Page { page, of })
}

/// Reads `p.1`, `P.001/001` and `PAGE01/02`.
fn attached_page(word: &str) -> Option<Token> {
    let lower = word.to_lowercase();
    let rest = ["page", "pag.", "p."]
        .iter()
        .find_map(|label| lower.strip_prefix(label))?;
    page_fraction(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(line: &str) -> FaxMeta {
        parse_header_line(line, "NL").unwrap()
    }

    #[test]
    fn us_style_header_line() {
        let meta = header("Mar 03 2025 08:27AM   0031405556337   p.1");
        assert_eq!(meta.number.as_deref(), Some("+31405556337"));
        assert_eq!(meta.page, Some(1));
        assert_eq!(meta.sent_at.unwrap().to_string(), "2025-03-03 08:27:00");
        assert_eq!(
            header("Mar 03 2025 01:32PM   +31715550893   p.1")
                .sent_at
                .unwrap()
                .to_string(),
            "2025-03-03 13:32:00"
        );
    }

    #[test]
    fn from_style_header_line_with_name() {
        let meta = header("03-MAR-2025 08:41  FROM: DROGISTERIJ VAN DAM    070-5556133  P.001/001");
        assert_eq!(meta.number.as_deref(), Some("+31705556133"));
        assert_eq!(meta.name.as_deref(), Some("DROGISTERIJ VAN DAM"));
        assert_eq!((meta.page, meta.pages), (Some(1), Some(1)));
        let meta =
            header("06-MAR-2025 12:07  FROM:                        +31 53 555 1317  P.001/001");
        assert_eq!(meta.number.as_deref(), Some("+31535551317"));
        assert_eq!(meta.name, None);
    }

    #[test]
    fn european_header_line_with_page_of_pages() {
        let meta = header("04/03/2025 13:14   004555585462   GLOW BY LINDA   PAGE 01/01");
        assert_eq!(meta.number.as_deref(), Some("+4555585462"));
        assert_eq!(meta.name.as_deref(), Some("GLOW BY LINDA"));
        assert_eq!(meta.sent_at.unwrap().to_string(), "2025-03-04 13:14:00");
        let meta =
            header("14/03/2025 13:28   +31 20 555 7121   SITTERS KAPPERSGROOTHAND   PAGE 01/02");
        assert_eq!(meta.number.as_deref(), Some("+31205557121"));
        assert_eq!(meta.pages, Some(2));
        let meta = header("08/03/2025 16:21   +31486555224   FAX   PAGE 01/02");
        assert_eq!(meta.name, None);
    }

    #[test]
    fn ocr_confusions_in_numbers_are_repaired() {
        let meta = header("Mar 20 2025 12:59PM   O43-5559482   p.1");
        assert_eq!(meta.number.as_deref(), Some("+31435559482"));
    }

    #[test]
    fn lines_without_a_number_or_not_headers() {
        let meta = header("Mar 06 2025 08:41AM      p.1");
        assert_eq!(meta.number, None);
        assert!(parse_header_line("Betreft: Retourneren bestelling 4500018807", "NL").is_none());
    }
}
