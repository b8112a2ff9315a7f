//! Text analysis: one analyser per language (lower-casing, stemming, accent folding) and a plain
//! one for text in no known language, names and addresses.

use switchboard_core::item::Language;
use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language as StemLanguage, LowerCaser, RemoveLongFilter, SimpleTokenizer,
    Stemmer, TextAnalyzer,
};

/// Tokens longer than this (base64 debris, URLs glued together) are dropped.
const LONGEST_TOKEN: usize = 40;

/// The analyser of names, addresses, senders and text in no known language.
pub(crate) const PLAIN: &str = "sb_plain";

/// A language slot: item subjects and texts are indexed into the field of their language, so
/// each is stemmed by the right stemmer and a query is analysed once per slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Dutch,
    English,
    German,
    French,
    Plain,
}

impl Slot {
    /// Every slot, in field order.
    pub(crate) const ALL: [Self; 5] = [
        Self::Dutch,
        Self::English,
        Self::German,
        Self::French,
        Self::Plain,
    ];

    /// Returns the slot for an item's language.
    pub(crate) fn of(language: Option<Language>) -> Self {
        match language {
            Some(Language::Dutch) => Self::Dutch,
            Some(Language::English) => Self::English,
            Some(Language::German) => Self::German,
            Some(Language::French) => Self::French,
            None => Self::Plain,
        }
    }

    /// Returns the position of the slot's field in the field arrays.
    pub(crate) fn position(self) -> usize {
        match self {
            Self::Dutch => 0,
            Self::English => 1,
            Self::German => 2,
            Self::French => 3,
            Self::Plain => 4,
        }
    }

    /// Returns the suffix of the slot's field names.
    pub(crate) fn suffix(self) -> &'static str {
        match self {
            Self::Dutch => "nl",
            Self::English => "en",
            Self::German => "de",
            Self::French => "fr",
            Self::Plain => "plain",
        }
    }

    /// Returns the name of the slot's analyser.
    pub(crate) fn analyser(self) -> &'static str {
        match self {
            Self::Dutch => "sb_nl",
            Self::English => "sb_en",
            Self::German => "sb_de",
            Self::French => "sb_fr",
            Self::Plain => PLAIN,
        }
    }

    fn stemmer(self) -> Option<StemLanguage> {
        match self {
            Self::Dutch => Some(StemLanguage::Dutch),
            Self::English => Some(StemLanguage::English),
            Self::German => Some(StemLanguage::German),
            Self::French => Some(StemLanguage::French),
            Self::Plain => None,
        }
    }
}

/// Builds a slot's analyser. Stemming runs before accent folding, as the stemmers expect the
/// accents; folding after it lets `cafe` find `café` and `uberweisung` find `Überweisung`.
fn analyser(slot: Slot) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_TOKEN))
        .filter(LowerCaser);
    match slot.stemmer() {
        Some(language) => base
            .filter(Stemmer::new(language))
            .filter(AsciiFoldingFilter)
            .build(),
        None => base.filter(AsciiFoldingFilter).build(),
    }
}

/// Registers every analyser with an index; must run after each open, as tantivy keeps
/// custom analysers in memory only.
pub(crate) fn register(index: &Index) {
    let manager = index.tokenizers();
    for slot in Slot::ALL {
        manager.register(slot.analyser(), analyser(slot));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(slot: Slot, text: &str) -> Vec<String> {
        let mut analyser = analyser(slot);
        let mut stream = analyser.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = tantivy::tokenizer::TokenStream::next(&mut stream) {
            out.push(token.text.clone());
        }
        out
    }

    #[test]
    fn plural_and_singular_share_a_stem() {
        assert_eq!(
            tokens(Slot::Dutch, "bestellingen"),
            tokens(Slot::Dutch, "bestelling")
        );
        assert_eq!(
            tokens(Slot::German, "Lieferungen"),
            tokens(Slot::German, "Lieferung")
        );
        assert_eq!(
            tokens(Slot::French, "commandes"),
            tokens(Slot::French, "commande")
        );
        assert_eq!(
            tokens(Slot::English, "deliveries"),
            tokens(Slot::English, "delivery")
        );
    }

    #[test]
    fn accents_fold_after_stemming() {
        assert_eq!(tokens(Slot::Plain, "Café"), vec!["cafe".to_owned()]);
        assert_eq!(
            tokens(Slot::German, "Überweisung"),
            tokens(Slot::German, "uberweisung")
        );
    }
}
