//! The best hits by score across all segments, pruned with one threshold for all.
//!
//! tantivy's `TopDocs` prunes each segment from scratch (block-WAND starts at no threshold in
//! every segment) and merges the segments' lists. Here the segments are searched largest first,
//! and each starts pruning at the k-th best score found so far: the smaller segments, and the
//! many small ones a live index has between merges, cost little more than a look at their
//! block maxima.
//!
//! On a large index the segments are split into lanes of about equal size, searched side by
//! side (`search_threads.rs`); the lanes share the best k-th score any of them holds, so each
//! prunes almost as if it had searched the others' segments too.
//!
//! Hits rank by score, then by the position of their segment in that order, then by document:
//! a total order, so a page's hits are the first hits of any longer page of the same search,
//! however many lanes searched it.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering as AtomicOrdering};

use tantivy::query::{EnableScoring, Query, Weight};
use tantivy::{DocAddress, DocId, Score, Searcher};

use super::search_threads::Job;

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

/// A segment to search: its position in the search order and its ordinal.
type Segment = (usize, u32);

/// The best hits of one lane, in no order.
pub(crate) struct LaneHits(Vec<Held>);

/// The best `k` hits of `query`, best first, the segments split among `threads`.
#[cfg(test)]
pub(crate) fn best(
    searcher: &Searcher,
    query: &dyn Query,
    k: usize,
    threads: &super::search_threads::SearchThreads,
) -> tantivy::Result<Vec<(Score, DocAddress)>> {
    let jobs = lane_jobs(searcher, query, k, threads.lanes_for(searcher.num_docs()))?;
    let lanes = threads
        .run(jobs)
        .into_iter()
        .collect::<tantivy::Result<Vec<LaneHits>>>()?;
    Ok(merge(lanes, k))
}

/// The jobs of a search for the best `k` hits of `query`, one per lane (at most `lanes`);
/// [`merge`] puts their hits together.
pub(crate) fn lane_jobs(
    searcher: &Searcher,
    query: &dyn Query,
    k: usize,
    lanes: usize,
) -> tantivy::Result<Vec<Job<tantivy::Result<LaneHits>>>> {
    if k == 0 {
        return Ok(Vec::new());
    }
    let weight: Arc<dyn Weight> =
        Arc::from(query.weight(EnableScoring::enabled_from_searcher(searcher))?);
    let shared = Arc::new(SharedThreshold::default());
    Ok(self::lanes(searcher, lanes)
        .into_iter()
        .map(|lane| {
            let (searcher, weight, shared) =
                (searcher.clone(), Arc::clone(&weight), Arc::clone(&shared));
            Box::new(move || {
                search_lane(&searcher, weight.as_ref(), &lane, k, &shared).map(LaneHits)
            }) as Job<_>
        })
        .collect())
}

/// The best `k` of the lanes' hits, best first.
pub(crate) fn merge(lanes: Vec<LaneHits>, k: usize) -> Vec<(Score, DocAddress)> {
    let mut held: Vec<Held> = lanes.into_iter().flat_map(|lane| lane.0).collect();
    held.sort_unstable();
    held.truncate(k);
    held.into_iter()
        .map(|hit| (hit.score, DocAddress::new(hit.segment_ord, hit.doc)))
        .collect()
}

/// The segments, largest first, dealt into `count` lanes of about equal size (each to the
/// lane holding the fewest documents so far); each lane keeps the search order.
fn lanes(searcher: &Searcher, count: usize) -> Vec<Vec<Segment>> {
    let readers = searcher.segment_readers();
    let mut order: Vec<u32> = (0..readers.len())
        .filter_map(|ord| u32::try_from(ord).ok())
        .collect();
    order.sort_by_key(|&ord| (Reverse(searcher.segment_reader(ord).max_doc()), ord));
    let count = count.clamp(1, order.len().max(1));
    let mut lanes: Vec<(u64, Vec<Segment>)> = vec![(0, Vec::new()); count];
    for (rank, segment_ord) in order.into_iter().enumerate() {
        if let Some((docs, lane)) = lanes.iter_mut().min_by_key(|(docs, _)| *docs) {
            *docs += u64::from(searcher.segment_reader(segment_ord).max_doc());
            lane.push((rank, segment_ord));
        }
    }
    lanes
        .into_iter()
        .map(|(_, lane)| lane)
        .filter(|lane| !lane.is_empty())
        .collect()
}

/// Searches a lane's segments in order; returns its best `k` hits.
fn search_lane(
    searcher: &Searcher,
    weight: &dyn Weight,
    lane: &[Segment],
    k: usize,
    shared: &SharedThreshold,
) -> tantivy::Result<Vec<Held>> {
    let mut held: BinaryHeap<Held> = BinaryHeap::with_capacity(k + 1);
    for &(rank, segment_ord) in lane {
        let reader = searcher.segment_reader(segment_ord);
        let alive = reader.alive_bitset();
        let mut threshold = pruned_up_to(&held, k, shared);
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
            if held.len() >= k {
                shared.raise(kth_score(&held, k));
            }
            threshold = pruned_up_to(&held, k, shared);
            threshold
        })?;
    }
    Ok(held.into_vec())
}

/// The score up to which hits are skipped. A hit scoring the lane's own k-th best ranks after
/// it (an earlier segment of the lane, or an earlier document); one scoring another lane's k-th
/// best may still rank before that lane's hits, so only scores below it are skipped.
fn pruned_up_to(held: &BinaryHeap<Held>, k: usize, shared: &SharedThreshold) -> Score {
    kth_score(held, k).max(shared.get().next_down())
}

/// The score a hit must exceed to enter: the k-th best once `k` are held.
fn kth_score(held: &BinaryHeap<Held>, k: usize) -> Score {
    match held.peek() {
        Some(worst) if held.len() >= k => worst.score,
        _ => Score::MIN,
    }
}

/// The best k-th score any lane holds: every lane has k hits at least this good.
struct SharedThreshold(AtomicU32);

impl Default for SharedThreshold {
    fn default() -> Self {
        Self(AtomicU32::new(Score::NEG_INFINITY.to_bits()))
    }
}

impl SharedThreshold {
    fn get(&self) -> Score {
        Score::from_bits(self.0.load(AtomicOrdering::Relaxed))
    }

    /// Raises the threshold to `score` unless it is that high already.
    fn raise(&self, score: Score) {
        let mut current = self.0.load(AtomicOrdering::Relaxed);
        while Score::from_bits(current).total_cmp(&score) == Ordering::Less {
            match self.0.compare_exchange_weak(
                current,
                score.to_bits(),
                AtomicOrdering::Relaxed,
                AtomicOrdering::Relaxed,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
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
    use crate::index::search_threads::SearchThreads;

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

    /// Documents holding either word, scored by both.
    fn alpha_or_beta(body: tantivy::schema::Field) -> BooleanQuery {
        let term = |word: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(body, word),
                IndexRecordOption::WithFreqs,
            ))
        };
        BooleanQuery::new(vec![
            (Occur::Should, term("alpha")),
            (Occur::Should, term("beta")),
        ])
    }

    #[test]
    fn best_hits_score_as_tantivys_and_pages_nest() {
        let (index, body) = segmented();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() >= 4);
        let union = alpha_or_beta(body);
        let single = SearchThreads::single();
        let longest = best(&searcher, &union, 60, &single).unwrap();
        for k in [1, 5, 11, 30, 60] {
            let ours = best(&searcher, &union, k, &single).unwrap();
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
        assert!(best(&searcher, &union, 0, &single).unwrap().is_empty());
    }

    #[test]
    fn lanes_searched_side_by_side_find_the_same_hits_in_the_same_order() {
        let (index, body) = segmented();
        let searcher = index.reader().unwrap().searcher();
        let union = alpha_or_beta(body);
        let single = SearchThreads::single();
        for threads in [2, 3, 8] {
            let split = SearchThreads::new(threads, 0).unwrap();
            assert_eq!(split.lanes_for(searcher.num_docs()), threads);
            for k in [1, 3, 10, 60, 1_000] {
                // Many hits tie on score: the order among them must not depend on the lanes.
                assert_eq!(
                    best(&searcher, &union, k, &split).unwrap(),
                    best(&searcher, &union, k, &single).unwrap(),
                    "{threads} threads, k = {k}"
                );
            }
        }
    }

    #[test]
    fn lanes_hold_about_equal_documents_and_keep_the_search_order() {
        let (index, _) = segmented();
        let searcher = index.reader().unwrap().searcher();
        let segments = searcher.segment_readers().len();
        let lanes = lanes(&searcher, 2);
        assert_eq!(lanes.len(), 2);
        assert_eq!(lanes.iter().map(Vec::len).sum::<usize>(), segments);
        for lane in &lanes {
            assert!(lane.windows(2).all(|pair| pair[0].0 < pair[1].0));
        }
        let docs = |lane: &Vec<Segment>| -> u32 {
            lane.iter()
                .map(|(_, ord)| searcher.segment_reader(*ord).max_doc())
                .sum()
        };
        let largest = searcher
            .segment_readers()
            .iter()
            .map(tantivy::SegmentReader::max_doc)
            .max()
            .unwrap();
        assert!(docs(&lanes[0]).abs_diff(docs(&lanes[1])) <= largest);
        assert_eq!(super::lanes(&searcher, 99).len(), segments);
    }
}
