//! The sender's address block in a letterhead, and the letter's place and date line.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A postal address as read from the letterhead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// Street and house number.
    pub street: Option<String>,
    /// The postcode, normalised (`2988 UL`, `79203`).
    pub postcode: Option<String>,
    /// The city.
    pub city: Option<String>,
    /// ISO 3166 alpha-2 country, stated or inferred from the postcode form and phone prefix.
    pub country: Option<String>,
}

/// Country names as letters write them.
const COUNTRIES: &[(&str, &str)] = &[
    ("nederland", "NL"),
    ("netherlands", "NL"),
    ("the netherlands", "NL"),
    ("niederlande", "NL"),
    ("pays-bas", "NL"),
    ("belgië", "BE"),
    ("belgie", "BE"),
    ("belgium", "BE"),
    ("belgique", "BE"),
    ("belgien", "BE"),
    ("deutschland", "DE"),
    ("germany", "DE"),
    ("duitsland", "DE"),
    ("allemagne", "DE"),
    ("france", "FR"),
    ("frankrijk", "FR"),
    ("frankreich", "FR"),
    ("luxembourg", "LU"),
    ("luxemburg", "LU"),
    ("österreich", "AT"),
    ("austria", "AT"),
];

/// Month names in Dutch, English, German and French.
const MONTHS: &[(&str, u32)] = &[
    ("januari", 1),
    ("january", 1),
    ("januar", 1),
    ("janvier", 1),
    ("jan", 1),
    ("februari", 2),
    ("february", 2),
    ("februar", 2),
    ("février", 2),
    ("fevrier", 2),
    ("feb", 2),
    ("maart", 3),
    ("march", 3),
    ("märz", 3),
    ("marz", 3),
    ("mars", 3),
    ("mrt", 3),
    ("april", 4),
    ("avril", 4),
    ("apr", 4),
    ("mei", 5),
    ("may", 5),
    ("mai", 5),
    ("juni", 6),
    ("june", 6),
    ("juin", 6),
    ("jun", 6),
    ("juli", 7),
    ("july", 7),
    ("juillet", 7),
    ("jul", 7),
    ("augustus", 8),
    ("august", 8),
    ("août", 8),
    ("aout", 8),
    ("aug", 8),
    ("september", 9),
    ("septembre", 9),
    ("sep", 9),
    ("sept", 9),
    ("oktober", 10),
    ("october", 10),
    ("octobre", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("novembre", 11),
    ("nov", 11),
    ("december", 12),
    ("dezember", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("dec", 12),
    ("dez", 12),
];

/// Returns the country code a country name line states.
pub fn country_from_name(line: &str) -> Option<&'static str> {
    let normalised = line.trim().trim_end_matches('.').to_lowercase();
    COUNTRIES
        .iter()
        .find(|(name, _)| *name == normalised)
        .map(|&(_, code)| code)
}

/// Reads a line (or one `|`/` - `-separated part of it) holding a postcode and city:
/// `2988UL Azewijn`, `1863 SV Steendam`, `79203 Schrobenhausen`, `B-2000 Antwerpen`.
pub fn parse_postcode_city(segment: &str) -> Option<(String, String, Option<&'static str>)> {
    let words: Vec<&str> = segment.split_whitespace().collect();
    let first = *words.first()?;
    let (prefix_country, digits_word) = match first.split_once('-') {
        Some(("B", digits)) => (Some("BE"), digits),
        Some(("D", digits)) => (Some("DE"), digits),
        Some(("F", digits)) => (Some("FR"), digits),
        Some(("NL", digits)) => (Some("NL"), digits),
        _ => (None, first),
    };
    let digits: String = digits_word
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let attached_letters = &digits_word[digits.len()..];
    let dutch_letters = |letters: &str| {
        letters.len() == 2
            && letters
                .chars()
                .all(|character| character.is_ascii_uppercase())
    };
    let (postcode, country, city_from) = if digits.len() == 4 && dutch_letters(attached_letters) {
        (format!("{digits} {attached_letters}"), Some("NL"), 1)
    } else if digits.len() == 4
        && attached_letters.is_empty()
        && words.get(1).is_some_and(|word| dutch_letters(word))
    {
        (format!("{digits} {}", words[1]), Some("NL"), 2)
    } else if matches!(digits.len(), 4 | 5) && attached_letters.is_empty() {
        // Four digits without letters is Belgian (or Swiss, Austrian...); five is German or French.
        let guess = if digits.len() == 4 { Some("BE") } else { None };
        (digits.clone(), prefix_country.or(guess), 1)
    } else {
        return None;
    };
    let city = words.get(city_from..)?.join(" ");
    let city_is_name = city.chars().next().is_some_and(char::is_alphabetic)
        && city
            .chars()
            .filter(|character| character.is_alphabetic())
            .count()
            >= 2;
    city_is_name.then_some((postcode, city, country))
}

/// Tells whether a segment is a street with a house number (`Rosaliesteeg 618`, `Irmtrud-Textor-Allee 9-3`).
pub fn looks_like_street(segment: &str) -> bool {
    let words: Vec<&str> = segment.split_whitespace().collect();
    let has_number = words.iter().any(|word| {
        word.chars()
            .next()
            .is_some_and(|character| character.is_ascii_digit())
    });
    let starts_with_name = words
        .first()
        .is_some_and(|word| word.chars().next().is_some_and(char::is_alphabetic));
    words.len() >= 2 && has_number && starts_with_name && segment.chars().count() <= 60
}

/// Reads a date line: `Azewijn, 28 februari 2025`, `Schrobenhausen, 28. Februar 2025`,
/// `Paris, le 3 mars 2025`, `March 3, 2025`, `03-03-2025`. Returns the place when one precedes it.
pub fn parse_date_line(line: &str) -> Option<(Option<String>, NaiveDate)> {
    let (place, rest) = match line.split_once(',') {
        Some((place, rest))
            if place
                .chars()
                .all(|character| character.is_alphabetic() || " -'.".contains(character)) =>
        {
            (
                Some(place.trim().to_owned()).filter(|place| !place.is_empty()),
                rest,
            )
        }
        _ => (None, line),
    };
    let words: Vec<String> = rest
        .split_whitespace()
        .map(|word| word.trim_end_matches([',', '.']).to_lowercase())
        .filter(|word| word != "le" && word != "den" && word != "the")
        .collect();
    let date = match words.as_slice() {
        // "28 februari 2025" or "March 3 2025"
        [first, second, year] => {
            day_month_year(first, second, year).or_else(|| day_month_year(second, first, year))
        }
        [numeric] => numeric_date(numeric),
        _ => None,
    }?;
    Some((place, date))
}

fn day_month_year(day: &str, month: &str, year: &str) -> Option<NaiveDate> {
    let month = MONTHS
        .iter()
        .find(|(name, _)| *name == month)
        .map(|&(_, number)| number)?;
    let year: i32 = year.parse().ok()?;
    (1990..=2100).contains(&year).then_some(())?;
    NaiveDate::from_ymd_opt(year, month, day.parse().ok()?)
}

fn numeric_date(word: &str) -> Option<NaiveDate> {
    let parts: Vec<&str> = word.split(['-', '/', '.']).collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    if year.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_of_several_countries() {
        assert_eq!(
            parse_postcode_city("2988UL Azewijn"),
            Some(("2988 UL".into(), "Azewijn".into(), Some("NL")))
        );
        assert_eq!(
            parse_postcode_city("1863 SV Steendam"),
            Some(("1863 SV".into(), "Steendam".into(), Some("NL")))
        );
        assert_eq!(
            parse_postcode_city("79203 Schrobenhausen"),
            Some(("79203".into(), "Schrobenhausen".into(), None))
        );
        assert_eq!(
            parse_postcode_city("B-2000 Antwerpen"),
            Some(("2000".into(), "Antwerpen".into(), Some("BE")))
        );
        assert_eq!(parse_postcode_city("Postbus 5550"), None);
        assert_eq!(parse_postcode_city("4500018807 retour"), None);
    }

    #[test]
    fn streets_and_countries() {
        assert!(looks_like_street("Rosaliesteeg 618"));
        assert!(looks_like_street("Irmtrud-Textor-Allee 9-3"));
        assert!(!looks_like_street("Hair by Joost"));
        assert_eq!(country_from_name("Niederlande"), Some("NL"));
        assert_eq!(country_from_name("Hair by Joost"), None);
    }

    #[test]
    fn dates_in_four_languages() {
        let date =
            |text: &str| parse_date_line(text).map(|(place, date)| (place, date.to_string()));
        assert_eq!(
            date("Azewijn, 28 februari 2025"),
            Some((Some("Azewijn".into()), "2025-02-28".into()))
        );
        assert_eq!(
            date("Schrobenhausen, 28. Februar 2025"),
            Some((Some("Schrobenhausen".into()), "2025-02-28".into()))
        );
        assert_eq!(
            date("Wavre, le 3 mars 2025"),
            Some((Some("Wavre".into()), "2025-03-03".into()))
        );
        assert_eq!(
            date("March 3, 2025").map(|found| found.1),
            Some("2025-03-03".into())
        );
        assert_eq!(
            date("03-03-2025").map(|found| found.1),
            Some("2025-03-03".into())
        );
        assert_eq!(date("Betreft: order 12 maart 4500018807"), None);
    }
}
