//! Product lines an item is about: from SKUs, product names and product-line words.

use std::collections::BTreeSet;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::linking::{MasterSnapshot, name_words};

use super::IntentClassifier;

/// Product lines with the evidence behind each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductLines {
    /// The lines, sorted.
    pub lines: Vec<String>,
    /// Why, e.g. "art. 22509999 is haircare".
    pub evidence: Vec<String>,
}

/// Finds the product lines of an item from the SKUs found in it (see
/// [`crate::linking::Linker::skus`]), product names in its text, and product-line words.
pub fn product_lines(
    classifier: &IntentClassifier,
    snapshot: &MasterSnapshot,
    skus: &[String],
    subject: Option<&str>,
    text: &str,
) -> ProductLines {
    let mut lines = BTreeSet::new();
    let mut evidence = Vec::new();
    for sku in skus {
        if let Some(line) = snapshot.product(sku).and_then(|p| p.product_line.clone()) {
            evidence.push(format!("art. {sku} is {line}"));
            lines.insert(line);
        }
    }
    let full = format!("{}\n{text}", subject.unwrap_or(""));
    let words = format!(" {} ", name_words(&full).join(" "));
    let phrases = snapshot.product_phrases(ProductPhrases::of);
    for ((phrase, line), named) in phrases.phrases.iter().zip(phrases.named_in(&words)) {
        if named && !lines.contains(line) {
            evidence.push(format!("{} is {line}", phrase.trim()));
            lines.insert(line.clone());
        }
    }
    for (line, pattern) in &classifier.line_rules {
        if let Some(found) = pattern.find(&full)
            && lines.insert(line.clone())
        {
            evidence.push(format!("\"{}\" names {line}", found.as_str()));
        }
    }
    ProductLines {
        lines: lines.into_iter().collect(),
        evidence,
    }
}

/// The phrase (" keratin hair mask ") and line of every product with a line and a base name of
/// at least two words, sorted by SKU, and a finder of them all.
#[derive(Debug)]
pub(crate) struct ProductPhrases {
    phrases: Vec<(String, String)>,
    /// Finds every phrase in a text in one pass (a substring search per product was most of
    /// the cost of an item's product lines); `None` if it could not be built, and then each
    /// phrase is looked for on its own.
    finder: Option<AhoCorasick>,
}

impl ProductPhrases {
    fn of(snapshot: &MasterSnapshot) -> Self {
        Self::new(name_phrases(snapshot))
    }

    fn new(phrases: Vec<(String, String)>) -> Self {
        let finder = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(phrases.iter().map(|(phrase, _)| phrase))
            .ok();
        Self { phrases, finder }
    }

    /// Whether each phrase, in order, occurs in `words`.
    fn named_in(&self, words: &str) -> Vec<bool> {
        let mut named = vec![false; self.phrases.len()];
        match &self.finder {
            Some(finder) => {
                for found in finder.find_overlapping_iter(words) {
                    named[found.pattern().as_usize()] = true;
                }
            }
            None => {
                for ((phrase, _), named) in self.phrases.iter().zip(&mut named) {
                    *named = words.contains(phrase.as_str());
                }
            }
        }
        named
    }
}

fn name_phrases(snapshot: &MasterSnapshot) -> Vec<(String, String)> {
    let mut products: Vec<_> = snapshot.products().collect();
    products.sort_by(|left, right| left.sku.cmp(&right.sku));
    products
        .into_iter()
        .filter_map(|product| {
            let line = product.product_line.as_ref()?;
            let base = base_name(
                &product.name,
                product.brand.as_deref(),
                product.pack_size.as_deref(),
            );
            (base.len() >= 2).then(|| (format!(" {} ", base.join(" ")), line.clone()))
        })
        .collect()
}

/// Returns a product name's words without brand and pack size: "Velora Hair Pro Keratin Hair
/// Mask 250 ml" with brand "Velora Hair Pro" gives "keratin hair mask".
fn base_name(name: &str, brand: Option<&str>, pack_size: Option<&str>) -> Vec<String> {
    let mut words = name_words(name);
    if let Some(brand) = brand {
        let brand_words = name_words(brand);
        if words.starts_with(&brand_words) {
            words.drain(..brand_words.len());
        }
    }
    if let Some(pack) = pack_size {
        let pack_words = name_words(pack);
        if words.ends_with(&pack_words) {
            words.truncate(words.len() - pack_words.len());
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::ProductPhrases;

    /// The finder says a phrase occurs exactly where a substring search finds it: overlapping
    /// phrases, one inside another, at either end and repeated.
    #[test]
    fn phrases_are_found_as_a_substring_search_finds_them() {
        let phrases: Vec<(String, String)> = [
            " keratin hair mask ",
            " hair mask ",
            " mask spray ",
            " nail polish remover ",
            " polish ",
        ]
        .iter()
        .map(|phrase| ((*phrase).to_owned(), "line".to_owned()))
        .collect();
        let finder = ProductPhrases::new(phrases.clone());
        assert!(finder.finder.is_some());
        let each_on_its_own = ProductPhrases {
            phrases,
            finder: None,
        };
        for words in [
            " keratin hair mask spray ",
            " hair mask ",
            " de keratin hair mask en hair mask ",
            " nail polish ",
            " nail polish remover ",
            " mask ",
            " ",
        ] {
            assert_eq!(
                finder.named_in(words),
                each_on_its_own.named_in(words),
                "{words:?}"
            );
        }
        assert_eq!(
            finder.named_in(" keratin hair mask spray "),
            [true, true, true, false, false]
        );
    }
}
