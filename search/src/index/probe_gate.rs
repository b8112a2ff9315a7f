//! A token filter for snippets: a word that cannot match any of the query's terms keeps its
//! place and offsets (tantivy cuts fragments by them) but loses its text before the stemmer.
//! Stemming every word of a snippet's window was half of the snippets' cost, 13 % of the
//! search page's samples on the http bench.
//!
//! Which words can match is decided by their first letter, lower-cased and folded, against the
//! first letters of the terms: the stemmers rewrite endings and some letters inside a word
//! (the German one reads `oe` as `ö`, so `goedemiddag` stems to `godemiddag`), never the first
//! letter. A test checks the snippets against the full analyser's over the development e-mails
//! in every language.

use std::sync::Arc;

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

use super::analysis::Slot;

/// Empties the text of every token that cannot match; place it after the lower-caser.
#[derive(Clone)]
pub(crate) struct ProbeGate {
    /// The first letters of the probes, each once.
    first_letters: Arc<[String]>,
}

impl ProbeGate {
    /// A gate for the terms `probes` begin (lower-case, folded): it passes the words that begin
    /// with the first letter of one of them.
    pub(crate) fn new(probes: &[String]) -> Self {
        let mut first_letters: Vec<String> = probes
            .iter()
            .filter_map(|probe| probe.chars().next())
            .map(String::from)
            .collect();
        first_letters.sort_unstable();
        first_letters.dedup();
        Self {
            first_letters: first_letters.into(),
        }
    }
}

impl TokenFilter for ProbeGate {
    type Tokenizer<T: Tokenizer> = GatedTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> GatedTokenizer<T> {
        GatedTokenizer {
            first_letters: self.first_letters,
            inner: tokenizer,
        }
    }
}

#[derive(Clone)]
pub(crate) struct GatedTokenizer<T> {
    first_letters: Arc<[String]>,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for GatedTokenizer<T> {
    type TokenStream<'a> = GatedStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        GatedStream {
            first_letters: &self.first_letters,
            folded: String::new(),
            tail: self.inner.token_stream(text),
        }
    }
}

pub(crate) struct GatedStream<'a, T> {
    first_letters: &'a [String],
    /// Scratch space for folding a word that is not ASCII.
    folded: String,
    tail: T,
}

impl<T: TokenStream> TokenStream for GatedStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if !begins_with_probe(&token.text, self.first_letters, &mut self.folded) {
            token.text.clear();
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The probe of a term analysed for `slot`: its lower-case beginning that every word stemming
/// to it begins with once folded. The last letter goes from a term longer than four bytes
/// (stemmers change endings: `delivery` gives `deliveri`); for German, everything after the
/// first `a`, `o` or `u` goes too (its stemmer reads `ae`, `oe`, `ue` as umlauts, which fold
/// to `a`, `o`, `u`: `goedemiddag` stems to `godemiddag`).
pub(crate) fn probe(term: &str, slot: Option<Slot>) -> Option<String> {
    let mut keep = if term.len() > 4 {
        term.len() - 1
    } else {
        term.len()
    };
    if slot == Some(Slot::German)
        && let Some(vowel) = term.find(['a', 'o', 'u'])
    {
        keep = keep.min(vowel + 1);
    }
    term.is_char_boundary(keep)
        .then(|| term[..keep].to_ascii_lowercase())
}

/// Whether a lower-cased word may match a term whose first letter is one of `first_letters`: its
/// first letter folded as the analysers fold is one of them. A letter this crate does not fold
/// to ASCII passes (tantivy's folding knows more letters), so nothing that could match is gated.
fn begins_with_probe(word: &str, first_letters: &[String], folded: &mut String) -> bool {
    let Some(first) = word.chars().next() else {
        return false;
    };
    folded.clear();
    crate::fold::push_folded(first, folded);
    !folded.is_ascii()
        || first_letters
            .iter()
            .any(|letter| folded.starts_with(letter.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_german_probe_ends_at_its_first_a_o_or_u() {
        assert_eq!(
            probe("godemiddag", Some(Slot::German)).as_deref(),
            Some("go")
        );
        assert_eq!(
            probe("godemiddag", Some(Slot::Dutch)).as_deref(),
            Some("godemidda")
        );
        assert_eq!(
            probe("liefer", Some(Slot::German)).as_deref(),
            Some("liefe")
        );
        assert_eq!(probe("bus", None).as_deref(), Some("bus"));
    }

    #[test]
    fn only_words_with_the_first_letter_of_a_term_keep_their_text() {
        let gate = ProbeGate::new(&["bestel".to_owned(), "gross".to_owned(), "bus".to_owned()]);
        assert_eq!(&*gate.first_letters, ["b".to_owned(), "g".to_owned()]);
        let mut folded = String::new();
        for (word, kept) in [
            ("bestellingen", true),
            ("bus", true),
            ("goedemiddag", true),
            ("nabestellen", false),
            ("größe", true),
            ("ĝis", true),
            ("żaba", true),
            ("levering", false),
            ("", false),
        ] {
            assert_eq!(
                begins_with_probe(word, &gate.first_letters, &mut folded),
                kept,
                "{word}"
            );
        }
    }
}
