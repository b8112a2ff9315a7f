//! Text analysis: one analyser per language (lower-casing, stemming, accent folding) and a plain
//! one for text in no known language, names and addresses.
//!
//! Item subjects and texts of every language share one field, so a frequent word has one posting
//! list (two or three where stemmers disagree) and top-k pruning (block-WAND) stays tight. Each
//! value is prefixed with a language mark ([`marked`]); the field's analyser ([`TEXT`]) reads the
//! mark and stems with that language's analyser. Queries are analysed once per language.

use switchboard_core::item::Language;
use tantivy::Index;
use tantivy::tokenizer::{
    AsciiFoldingFilter, BoxTokenStream, Language as StemLanguage, LowerCaser, RemoveLongFilter,
    SimpleTokenizer, Stemmer, TextAnalyzer, TextAnalyzerBuilder, Tokenizer,
};

use super::probe_gate::ProbeGate;

/// Tokens longer than this (base64 debris, URLs glued together) are dropped.
const LONGEST_TOKEN: usize = 40;

/// The analyser of names, addresses, senders and text in no known language.
pub(crate) const PLAIN: &str = "sb_plain";

/// The analyser of the item text field: reads a value's language mark and analyses the rest in
/// that language; a value without a mark (a query naming the field) is analysed plainly.
pub(crate) const TEXT: &str = "sb_text";

/// Opens and closes a language mark; control characters no tokenizer keeps.
const MARK: char = '\u{1}';

/// A language slot: item subjects and texts are stemmed by their language's stemmer, and a query
/// is analysed once per slot.
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

    /// Returns the slot's short name (language mark, stored slot).
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

/// Returns a value of the item text field: `text` behind its language mark.
pub(crate) fn marked(slot: Slot, text: &str) -> String {
    let suffix = slot.suffix();
    let mut value = String::with_capacity(text.len() + suffix.len() + 2);
    value.push(MARK);
    value.push_str(suffix);
    value.push(MARK);
    value.push_str(text);
    value
}

/// Splits a marked value into its slot and text.
fn unmark(value: &str) -> (Slot, &str) {
    let unmarked = (Slot::Plain, value);
    let Some(rest) = value.strip_prefix(MARK) else {
        return unmarked;
    };
    let Some((suffix, text)) = rest.split_once(MARK) else {
        return unmarked;
    };
    match Slot::ALL.into_iter().find(|slot| slot.suffix() == suffix) {
        Some(slot) => (slot, text),
        None => unmarked,
    }
}

/// The tokenizer of the item text field: one analyser per slot, chosen by the value's mark.
#[derive(Clone)]
struct LanguageSwitch {
    analysers: Vec<TextAnalyzer>,
}

impl Tokenizer for LanguageSwitch {
    type TokenStream<'a> = BoxTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, value: &'a str) -> BoxTokenStream<'a> {
        let (slot, text) = unmark(value);
        self.analysers[slot.position()].token_stream(text)
    }
}

/// Builds a slot's analyser. Stemming runs before accent folding, as the stemmers expect the
/// accents; folding after it lets `cafe` find `café` and `uberweisung` find `Überweisung`.
pub(crate) fn analyser(slot: Slot) -> TextAnalyzer {
    stemmed(lower_cased(), slot)
}

/// A slot's analyser for a snippet that looks for terms beginning with `probes`: the same
/// tokens at the same offsets, but a word that begins with no probe is neither stemmed nor
/// matched ([`ProbeGate`]).
pub(crate) fn snippet_analyser(slot: Slot, probes: &[String]) -> TextAnalyzer {
    stemmed(lower_cased().filter(ProbeGate::new(probes)), slot)
}

fn lower_cased() -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_TOKEN))
        .filter(LowerCaser)
}

fn stemmed<T: Tokenizer>(base: TextAnalyzerBuilder<T>, slot: Slot) -> TextAnalyzer {
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
    let switch = LanguageSwitch {
        analysers: Slot::ALL.into_iter().map(analyser).collect(),
    };
    manager.register(TEXT, TextAnalyzer::from(switch));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(slot: Slot, text: &str) -> Vec<String> {
        analysed(analyser(slot), text)
    }

    fn analysed(mut analyser: TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyser.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = tantivy::tokenizer::TokenStream::next(&mut stream) {
            out.push(token.text.clone());
        }
        out
    }

    /// Snippets made with [`snippet_analyser`] are those of the slot's full analyser: for
    /// every development e-mail and every slot, a query of three of its words (stemmed as the
    /// slot stems them) gives the same fragment and highlights either way.
    #[test]
    fn gated_snippets_are_the_full_analysers_snippets() {
        use tantivy::snippet::SnippetGenerator;
        let folder =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/dev/email");
        let mut files: Vec<_> = std::fs::read_dir(folder)
            .expect("the development corpus")
            .map(|entry| entry.expect("a corpus file").path())
            .collect();
        files.sort();
        let field = tantivy::schema::Field::from_field_id(0);
        let (mut compared, mut highlighted) = (0, 0);
        for file in files.iter().take(120) {
            let raw = std::fs::read(file).expect("readable");
            let text = String::from_utf8_lossy(&raw);
            let body = text.split("\r\n\r\n").nth(1).unwrap_or(&text);
            let words: Vec<&str> = body
                .split(|c: char| !c.is_alphanumeric())
                .filter(|word| word.chars().count() > 3)
                .collect();
            for slot in Slot::ALL {
                let terms: std::collections::BTreeMap<String, f32> = [7, 19, 31]
                    .iter()
                    .filter_map(|&at| words.get(at % words.len().max(1)))
                    .flat_map(|word| tokens(slot, word))
                    .map(|term| (term, 1.0))
                    .collect();
                let probes: Vec<String> = terms
                    .keys()
                    .filter_map(|term| crate::index::probe_gate::probe(term, Some(slot)))
                    .collect();
                let full = SnippetGenerator::new(terms.clone(), analyser(slot), field, 160);
                let gated =
                    SnippetGenerator::new(terms, snippet_analyser(slot, &probes), field, 160);
                let (full, gated) = (full.snippet(body), gated.snippet(body));
                assert_eq!(
                    (gated.fragment(), gated.highlighted()),
                    (full.fragment(), full.highlighted()),
                    "{} in {slot:?}",
                    file.display()
                );
                compared += 1;
                highlighted += usize::from(!full.highlighted().is_empty());
            }
        }
        assert!(
            compared > 500 && highlighted * 5 > compared * 4,
            "{highlighted} of {compared}"
        );
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

    #[test]
    fn the_text_analyser_stems_in_the_marked_language() {
        let switch = || {
            TextAnalyzer::from(LanguageSwitch {
                analysers: Slot::ALL.into_iter().map(analyser).collect(),
            })
        };
        assert_eq!(
            analysed(switch(), &marked(Slot::German, "Lieferungen")),
            tokens(Slot::German, "Lieferungen")
        );
        assert_eq!(
            analysed(switch(), &marked(Slot::Dutch, "bestellingen")),
            tokens(Slot::Dutch, "bestellingen")
        );
        assert_eq!(
            analysed(switch(), "Bestellingen"),
            vec!["bestellingen".to_owned()]
        );
        assert_eq!(
            analysed(switch(), "\u{1}xx\u{1}Bestellingen"),
            vec!["xx".to_owned(), "bestellingen".to_owned()]
        );
    }
}
