//! Counting a search's matches, up to a cap: no page reaches further, and counting every match
//! of a common word over a million items would cost more than the page.
//!
//! A plain disjunction (one word, or words with OR) matches every document holding any one of
//! its terms, so it has at least as many matches as its most frequent term has documents; when
//! that alone passes the cap, nothing is iterated. Otherwise matches are iterated until the cap.

use tantivy::query::{EnableScoring, Query};
use tantivy::{DocSet, Searcher, TERMINATED};

use super::error::IndexError;

/// Counts the matches of `query` up to `cap`; `disjunction` says a document holding any one of
/// its terms (outside phrases) matches.
pub(crate) fn up_to(
    searcher: &Searcher,
    query: &dyn Query,
    disjunction: bool,
    cap: usize,
) -> Result<usize, IndexError> {
    if disjunction && least_matches(searcher, query)? >= cap {
        return Ok(cap);
    }
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let mut found = 0;
    for reader in searcher.segment_readers() {
        if found >= cap {
            break;
        }
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != TERMINATED && found < cap {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                found += 1;
            }
            doc = scorer.advance();
        }
    }
    Ok(found)
}

/// The fewest matches a disjunction has: the most documents any one of its terms is in, in the
/// segments without deletions (a term's frequency still counts deleted documents). Terms of
/// phrases are left out: they do not match alone.
fn least_matches(searcher: &Searcher, query: &dyn Query) -> Result<usize, IndexError> {
    let mut terms = Vec::new();
    query.query_terms(&mut |term, in_phrase| {
        if !in_phrase {
            terms.push(term.clone());
        }
    });
    let mut most = 0_usize;
    for term in &terms {
        let mut documents = 0_usize;
        for reader in searcher
            .segment_readers()
            .iter()
            .filter(|reader| !reader.has_deletes())
        {
            let frequency = reader
                .inverted_index(term.field())?
                .doc_freq(term)
                .map_err(tantivy::TantivyError::from)?;
            documents = documents.saturating_add(usize::try_from(frequency).unwrap_or(usize::MAX));
        }
        most = most.max(documents);
    }
    Ok(most)
}
