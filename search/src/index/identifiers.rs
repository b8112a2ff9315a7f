//! Reads identifiers out of a user's query before tantivy's parser sees it: phone numbers
//! typed with spaces (`+31 23 555 1234`), postcodes with a space (`1234 AB`), numbers with or
//! without leading zeros, references, e-mail addresses and domains. Each becomes a set of
//! normalised terms for the identifier fields, and stays findable as text too.

use super::normalise::{
    domain_term, email_terms, is_compact_postcode, number_term, phone_term, postcode_term,
};

/// Most words a number typed in groups may span (`+31 6 12 34 56 78`).
const LONGEST_DIGIT_RUN: usize = 6;

/// An identifier typed in the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryIdentifier {
    /// Normalised identifier terms (with type prefix); any of them may match.
    pub terms: Vec<String>,
    /// The words as typed: looked up as one phrase in the text fields when `parts` is empty.
    pub words: Vec<String>,
    /// For numbers typed in several groups: each group on its own, as an alternative reading
    /// (`4500012345 4500012346` are two order numbers, not one).
    pub parts: Vec<QueryIdentifier>,
}

/// A query split into free text for the parser and identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SplitQuery {
    /// What is left for the query parser, in the order typed.
    pub text: String,
    /// The identifiers found.
    pub identifiers: Vec<QueryIdentifier>,
    /// Whether the user typed `OR` between words.
    pub typed_or: bool,
}

/// Splits a query into identifiers and the rest.
pub(crate) fn split(query: &str, region: &str) -> SplitQuery {
    let words = words(query);
    let mut split = SplitQuery::default();
    let mut text = Vec::new();
    let mut position = 0;
    while position < words.len() {
        let word = words[position];
        if !is_plain(word) {
            text.push(word);
            position += 1;
            continue;
        }
        if is_digitish(word) {
            let next = words.get(position + 1).copied();
            if let Some(letters) =
                next.filter(|next| is_postcode_start(word) && is_two_letters(next))
            {
                split.identifiers.push(QueryIdentifier {
                    terms: postcode_term(&format!("{word}{letters}"))
                        .into_iter()
                        .collect(),
                    words: vec![word.to_owned(), letters.to_owned()],
                    parts: Vec::new(),
                });
                position += 2;
                continue;
            }
            let mut end = position + 1;
            while end < words.len()
                && end - position < LONGEST_DIGIT_RUN
                && is_plain(words[end])
                && is_digitish(words[end])
            {
                end += 1;
            }
            split
                .identifiers
                .push(digit_identifier(&words[position..end], region));
            position = end;
            continue;
        }
        if let Some(identifier) = word_identifier(word) {
            split.identifiers.push(identifier);
        } else {
            split.typed_or |= word == "OR" || word == "||";
            text.push(word);
        }
        position += 1;
    }
    let only_operators = text
        .iter()
        .all(|word| matches!(*word, "AND" | "OR" | "NOT" | "&&" | "||"));
    if !only_operators {
        split.text = text.join(" ");
    }
    split
}

/// Splits a query at white space, keeping quoted phrases whole.
fn words(query: &str) -> Vec<&str> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quoted = false;
    for (index, character) in query.char_indices() {
        if character == '"' {
            quoted = !quoted;
            start.get_or_insert(index);
        } else if character.is_whitespace() && !quoted {
            if let Some(begin) = start.take() {
                words.push(&query[begin..index]);
            }
        } else {
            start.get_or_insert(index);
        }
    }
    if let Some(begin) = start {
        words.push(&query[begin..]);
    }
    words
}

/// Tells whether a word carries no query syntax (phrase, field, negation, wildcard, boost).
fn is_plain(word: &str) -> bool {
    !word.starts_with('-')
        && !word.chars().any(|c| {
            matches!(
                c,
                '"' | ':' | '*' | '^' | '~' | '[' | ']' | '{' | '}' | '\\'
            )
        })
}

/// Tells whether a word is part of a number as people write it: digits with `+`, brackets,
/// dots, slashes or hyphens.
fn is_digitish(word: &str) -> bool {
    let has_digit = word.bytes().any(|b| b.is_ascii_digit());
    let allowed = word.char_indices().all(|(i, c)| {
        c.is_ascii_digit() || matches!(c, '(' | ')' | '.' | '/' | '-') || (c == '+' && i == 0)
    });
    has_digit && allowed
}

fn is_postcode_start(word: &str) -> bool {
    word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit()) && !word.starts_with('0')
}

fn is_two_letters(word: &str) -> bool {
    word.len() == 2 && word.bytes().all(|b| b.is_ascii_alphabetic())
}

/// Reads a run of digit groups: one number, a phone number, or several numbers.
fn digit_identifier(run: &[&str], region: &str) -> QueryIdentifier {
    let digits: String = run
        .iter()
        .flat_map(|word| word.chars())
        .filter(char::is_ascii_digit)
        .collect();
    let written = run.join(" ");
    let mut terms: Vec<String> = number_term(&digits).into_iter().collect();
    if (8..=15).contains(&digits.len()) {
        terms.extend(phone_term(&written, region));
    }
    if run.len() == 1 {
        if (4..=5).contains(&digits.len()) {
            terms.extend(postcode_term(&digits));
        }
        return QueryIdentifier {
            terms,
            words: vec![written],
            parts: Vec::new(),
        };
    }
    QueryIdentifier {
        terms,
        words: run.iter().map(|word| (*word).to_owned()).collect(),
        parts: run
            .iter()
            .map(|word| digit_identifier(std::slice::from_ref(word), region))
            .collect(),
    }
}

/// Reads an e-mail address, a reference mixing letters and digits, or a domain.
fn word_identifier(word: &str) -> Option<QueryIdentifier> {
    let trimmed = word.trim_matches(|c: char| matches!(c, ',' | ';' | '(' | ')' | '<' | '>'));
    let mut terms = Vec::new();
    if trimmed.contains('@') {
        terms.extend(email_terms(trimmed).into_iter().take(1));
    } else if trimmed.bytes().any(|b| b.is_ascii_digit())
        && trimmed.chars().any(char::is_alphabetic)
    {
        terms.extend(number_term(trimmed));
        if is_compact_postcode(trimmed) {
            terms.extend(postcode_term(trimmed));
        }
    } else if looks_like_domain(trimmed) {
        terms.extend(domain_term(trimmed));
    }
    (!terms.is_empty()).then(|| QueryIdentifier {
        terms,
        words: vec![trimmed.to_owned()],
        parts: Vec::new(),
    })
}

fn looks_like_domain(word: &str) -> bool {
    let labels: Vec<&str> = word.split('.').collect();
    let top = labels.last().copied().unwrap_or("");
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && (2..=6).contains(&top.len())
        && top.bytes().all(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(query: &str) -> Vec<Vec<String>> {
        split(query, "NL")
            .identifiers
            .into_iter()
            .map(|identifier| identifier.terms)
            .collect()
    }

    #[test]
    fn phone_typed_in_groups_is_one_identifier() {
        let split = split("terugbellen +31 23 555 1234", "NL");
        assert_eq!(split.text, "terugbellen");
        assert_eq!(split.identifiers.len(), 1);
        assert!(
            split.identifiers[0]
                .terms
                .contains(&"p:31235551234".to_owned())
        );
        assert_eq!(split.identifiers[0].parts.len(), 4);
    }

    #[test]
    fn national_phone_and_leading_zeros() {
        assert!(terms("023-5551234")[0].contains(&"p:31235551234".to_owned()));
        assert!(terms("0000104321")[0].contains(&"n:104321".to_owned()));
    }

    #[test]
    fn postcodes_with_and_without_space() {
        assert_eq!(terms("1234 AB"), vec![vec!["z:1234AB".to_owned()]]);
        assert!(terms("1234ab")[0].contains(&"z:1234AB".to_owned()));
    }

    #[test]
    fn addresses_references_and_syntax() {
        assert_eq!(
            terms("Jan@Example.NL")[0],
            vec!["e:jan@example.nl".to_owned()]
        );
        assert_eq!(terms("PO-2024/117")[0], vec!["n:PO2024117".to_owned()]);
        assert_eq!(terms("bakker.nl")[0], vec!["e:bakker.nl".to_owned()]);
        let split = split("subject:\"order 12\" -4500012345 levering", "NL");
        assert!(split.identifiers.is_empty());
        assert_eq!(split.text, "subject:\"order 12\" -4500012345 levering");
    }

    #[test]
    fn operators_alone_are_dropped() {
        let split = split("4500012345 OR 4500012346", "NL");
        assert!(split.typed_or);
        assert_eq!(split.text, "");
        assert_eq!(split.identifiers.len(), 2);
    }
}
