//! The best hits by score across all segments, pruned with one threshold for all.
//!
//! tantivy's `TopDocs` prunes each segment from scratch (block-WAND starts at no threshold in
//! every segment) and merges the segments' lists. Here the segments are searched largest first,
//! and each starts pruning at the k-th best score found so far: the smaller segments, and the
//! many small ones a live index has between merges, cost little more than a look at their
//! block maxima.
//!
//! Hits rank by score, then by the position of their segment in that order, then by document:
//! a total order, so a page's hits are the first hits of any longer page of the same search.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, DocId, Score, Searcher};

/// A hit held while searching; ordered worst first, so a max-heap keeps the worst on top.
#[derive(Debug, Clone, Copy)]
struct Held {
    score: Score,
    /// The segment's position in the search order.
    rank: usize,
    segment_ord: u32,
    doc: DocId,
}

impl Ord for Held {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.rank.cmp(&other.rank))
            .then(self.doc.cmp(&other.doc))
    }
}

impl PartialOrd for Held {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Held {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Held {}

/// The best `k` hits of `query`, best first.
pub(crate) fn best(
    searcher: &Searcher,
    query: &dyn Query,
    k: usize,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    if k == 0 {
        return Ok(Vec::new());
    }
    let weight = query.weight(EnableScoring::enabled_from_searcher(searcher))?;
    let readers = searcher.segment_readers();
    let mut order: Vec<u32> = (0..readers.len())
        .filter_map(|ord| u32::try_from(ord).ok())
        .collect();
    order.sort_by_key(|&ord| (Reverse(searcher.segment_reader(ord).max_doc()), ord));
    let mut held: BinaryHeap<Held> = BinaryHeap::with_capacity(k + 1);
    for (rank, &segment_ord) in order.iter().enumerate() {
        let reader = searcher.segment_reader(segment_ord);
        let alive = reader.alive_bitset();
        let mut threshold = kth_score(&held, k);
        weight.for_each_pruning(threshold, reader, &mut |doc, score| {
            if alive.is_some_and(|alive| alive.is_deleted(doc)) {
                return threshold;
            }
            let hit = Held {
                score,
                rank,
                segment_ord,
                doc,
            };
            if held.len() < k {
                held.push(hit);
            } else if held.peek().is_some_and(|worst| hit < *worst) {
                held.pop();
                held.push(hit);
            }
            threshold = kth_score(&held, k);
            threshold
        })?;
    }
    Ok(held
        .into_sorted_vec()
        .into_iter()
        .map(|hit| (hit.score, DocAddress::new(hit.segment_ord, hit.doc)))
        .collect())
}

/// The score a hit must exceed to enter: the k-th best once `k` are held.
fn kth_score(held: &BinaryHeap<Held>, k: usize) -> Score {
    match held.peek() {
        Some(worst) if held.len() >= k => worst.score,
        _ => Score::MIN,
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::indexer::NoMergePolicy;
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, IndexWriter, TantivyDocument, Term, doc};

    use super::*;

    /// An index of four segments (one with deletions) whose documents repeat two words
    /// a varying number of times, so scores vary and tie.
    fn segmented() -> (Index, tantivy::schema::Field) {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer: IndexWriter<TantivyDocument> = index.writer(15_000_000).unwrap();
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let mut state = 7_u64;
        for segment in 0..4 {
            for _ in 0..(40 + segment * 90) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                let (alpha, beta) = ((state >> 33) % 4, (state >> 40) % 3);
                let text = format!(
                    "{} {} filler",
                    "alpha ".repeat(usize::try_from(alpha).unwrap()),
                    "beta ".repeat(usize::try_from(beta).unwrap())
                );
                writer.add_document(doc!(body => text)).unwrap();
            }
            writer.commit().unwrap();
        }
        writer.delete_term(Term::from_field_text(body, "beta"));
        writer
            .add_document(doc!(body => "beta alpha alpha"))
            .unwrap();
        writer.commit().unwrap();
        (index, body)
    }

    #[test]
    fn best_hits_score_as_tantivys_and_pages_nest() {
        let (index, body) = segmented();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() >= 4);
        let term = |word: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(body, word),
                IndexRecordOption::WithFreqs,
            ))
        };
        let union = BooleanQuery::new(vec![
            (Occur::Should, term("alpha")),
            (Occur::Should, term("beta")),
        ]);
        let longest = best(&searcher, &union, 60).unwrap();
        for k in [1, 5, 11, 30, 60] {
            let ours = best(&searcher, &union, k).unwrap();
            let theirs = searcher
                .search(&union, &TopDocs::with_limit(k).order_by_score())
                .unwrap();
            let scores = |hits: &[(Score, DocAddress)]| -> Vec<Score> {
                hits.iter().map(|(score, _)| *score).collect()
            };
            assert_eq!(scores(&ours), scores(&theirs), "k = {k}");
            assert_eq!(
                ours,
                longest[..k],
                "a page is the start of a longer one (k = {k})"
            );
            for (_, address) in &ours {
                let reader = searcher.segment_reader(address.segment_ord);
                assert!(
                    reader
                        .alive_bitset()
                        .is_none_or(|alive| alive.is_alive(address.doc_id))
                );
            }
        }
        assert!(best(&searcher, &union, 0).unwrap().is_empty());
    }
}
