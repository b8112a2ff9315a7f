//! Where in a long text a query's terms probably occur, so the snippet analyser (tokeniser and
//! stemmer, the costly part of a search page) reads a few hundred bytes instead of the text.
//!
//! A probe is the beginning of an analysed query term (its last letter dropped, which stemmers
//! may change). A word of the text can only match the term if it starts with the probe once
//! lower-cased and folded like the analysers fold, so the windows are cut around such word
//! starts; a text without any yields no window and is not analysed at all.

/// Bytes before and after a probable match that the analyser reads: enough for a snippet of
/// 160 characters around the match.
const WINDOW_BEFORE: usize = 80;
const WINDOW_AFTER: usize = 240;
/// Probable matches tried before giving up (a probe can begin words that stem differently).
const MOST_WINDOWS: usize = 8;

/// Returns the parts of `text` to analyse for a snippet, best first: the whole of a short text,
/// else windows around the first words that begin with a probe (none when no word does).
pub(super) fn windows<'t>(text: &'t str, probes: &[String]) -> Vec<&'t str> {
    if text.len() <= WINDOW_BEFORE + WINDOW_AFTER {
        return vec![text];
    }
    // Most texts hold their matches in ASCII: folding the whole text is needed only when
    // lower-casing alone finds no word.
    let mut folded = Folded::lower_ascii(text);
    let mut starts = word_starts(&folded.text, probes);
    if starts.is_empty() && !text.is_ascii() {
        folded = Folded::of(text);
        starts = word_starts(&folded.text, probes);
    }
    let mut windows: Vec<&'t str> = Vec::new();
    let mut covered = 0;
    for at in starts {
        let at = folded.original(at);
        if at < covered {
            continue;
        }
        let start = floor_boundary(text, at.saturating_sub(WINDOW_BEFORE));
        let end = ceil_boundary(text, (at + WINDOW_AFTER).min(text.len()));
        windows.push(&text[start..end]);
        covered = end.saturating_sub(WINDOW_BEFORE);
        if windows.len() == MOST_WINDOWS {
            break;
        }
    }
    windows
}

/// Byte offsets of the first words of `text` that begin with a probe, in text order.
fn word_starts(text: &str, probes: &[String]) -> Vec<usize> {
    let mut starts: Vec<usize> = Vec::new();
    for probe in probes.iter().filter(|probe| !probe.is_empty()) {
        let found = text
            .match_indices(probe.as_str())
            .map(|(at, _)| at)
            .filter(|&at| starts_word(text, at))
            .take(MOST_WINDOWS);
        starts.extend(found);
    }
    starts.sort_unstable();
    starts.dedup();
    starts
}

/// Whether a word begins at byte `at` (the analysers split words at anything not alphanumeric).
fn starts_word(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|before| !before.is_alphanumeric())
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// A text lower-cased and folded, with the way back to the original's byte offsets.
struct Folded {
    text: String,
    /// For each byte of `text`, the offset of the character it came from (empty: the text is
    /// ASCII and the offsets are the same).
    origins: Vec<usize>,
}

impl Folded {
    /// Only ASCII letters lower-cased: the byte offsets stay the same.
    fn lower_ascii(text: &str) -> Self {
        Self {
            text: text.to_ascii_lowercase(),
            origins: Vec::new(),
        }
    }

    /// Lower-cased and folded character by character (for a text that is not all ASCII).
    fn of(text: &str) -> Self {
        let mut folded = String::with_capacity(text.len());
        let mut origins = Vec::with_capacity(text.len());
        for (offset, character) in text.char_indices() {
            let before = folded.len();
            crate::fold::push_folded(character, &mut folded);
            origins.resize(origins.len() + folded.len() - before, offset);
        }
        Self {
            text: folded,
            origins,
        }
    }

    fn original(&self, at: usize) -> usize {
        if self.origins.is_empty() {
            at
        } else {
            self.origins[at]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::windows;

    fn long(middle: &str) -> String {
        format!("{}{middle}{}", "woord ".repeat(200), " slot".repeat(200))
    }

    #[test]
    fn a_short_text_is_read_whole() {
        assert_eq!(
            windows("Bestelling 12", &["bestellin".into()]),
            ["Bestelling 12"]
        );
    }

    #[test]
    fn a_long_text_is_read_around_the_word_that_begins_with_a_probe() {
        let text = long("wij bestellen graag");
        let found = windows(&text, &["bestel".into()]);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("wij bestellen graag"), "{found:?}");
        assert!(found[0].len() <= 320);
    }

    #[test]
    fn a_probe_inside_a_word_is_no_match_and_no_probe_means_no_window() {
        // "nabestellen" contains the probe but does not begin with it.
        assert!(windows(&long("nabestellen"), &["bestel".into()]).is_empty());
        assert!(windows(&long("levering"), &["bestel".into()]).is_empty());
    }

    #[test]
    fn folded_words_are_found_at_their_place_in_the_original() {
        let text = long("die Größe passt, Größe");
        let found = windows(&text, &["gross".into()]);
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("die Größe passt, Größe"), "{found:?}");
    }

    #[test]
    fn a_german_word_whose_stem_reads_oe_as_o_is_found() {
        use crate::index::analysis::{Slot, analyser};
        let mut german = analyser(Slot::German);
        let mut stream = german.token_stream("Goedemiddag");
        let term = tantivy::tokenizer::TokenStream::next(&mut stream)
            .map(|token| token.text.clone())
            .unwrap();
        assert_eq!(term, "godemiddag");
        let probe = crate::index::probe_gate::probe(&term, Some(Slot::German)).unwrap();
        let text = long("Goedemiddag mevrouw");
        let found = windows(&text, &[probe]);
        assert!(
            found.iter().any(|window| window.contains("Goedemiddag")),
            "{found:?}"
        );
    }

    #[test]
    fn later_matches_give_further_windows() {
        let text = format!(
            "{}bestelbon {}bestellen{}",
            "a ".repeat(400),
            "b ".repeat(400),
            " c".repeat(400)
        );
        let found = windows(&text, &["bestel".into()]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].contains("bestelbon") && found[1].contains("bestellen"));
    }
}
