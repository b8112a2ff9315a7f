//! Runs a search on one index generation: ids, scores and highlighted, HTML-escaped snippets.
//! The store supplies the records themselves.

use serde::Serialize;
use switchboard_core::{CustomerNo, OrderNo, WorkItemId};
use tantivy::collector::TopDocs;
use tantivy::columnar::Column;
use tantivy::query::Query;
use tantivy::schema::{Field, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument};

use super::analysis::{Slot, snippet_analyser};
use super::error::IndexError;
use super::generation::Generation;
use super::query::{BuiltQuery, MatchMode, SearchQuery, build};
use super::schema::{DocKind, ITEM_ID};
use super::search_threads::{Job, SearchThreads};
use super::{count, top_k};

/// Most hits one page may hold.
pub const MAX_LIMIT: usize = 200;
/// Deepest hit a page may reach (offset + limit).
pub const MAX_WINDOW: usize = 10_000;
/// Matches counted at most: no page reaches further, and counting every match of a common word
/// over a million items would cost more than the page itself (search engines stop there too).
pub const MAX_COUNT: usize = MAX_WINDOW;
/// Characters of a snippet around the best match.
const SNIPPET_CHARS: usize = 160;

/// The record a hit names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum HitId {
    /// A work item.
    Item(WorkItemId),
    /// A customer, by its number as written in master data.
    Customer(CustomerNo),
    /// An order.
    Order(OrderNo),
}

impl HitId {
    /// Returns the kind of record.
    pub fn kind(&self) -> DocKind {
        match self {
            Self::Item(_) => DocKind::Item,
            Self::Customer(_) => DocKind::Customer,
            Self::Order(_) => DocKind::Order,
        }
    }

    fn parse(key: &str) -> Option<Self> {
        let (kind, id) = key.split_once(':')?;
        match DocKind::parse(kind)? {
            DocKind::Item => id.parse().ok().map(|raw| Self::Item(WorkItemId::new(raw))),
            DocKind::Customer => Some(Self::Customer(CustomerNo::new(id))),
            DocKind::Order => Some(Self::Order(OrderNo::new(id))),
        }
    }
}

/// The field a snippet comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SnippetField {
    /// An item's subject.
    Subject,
    /// An item's text.
    Text,
    /// A customer's name.
    Name,
    /// A customer's or order's details.
    Details,
}

/// A piece of a field with the matched words marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HitSnippet {
    /// The field.
    pub field: SnippetField,
    /// HTML: the text escaped, matches wrapped in `<mark>`; safe to insert into a page.
    pub html: String,
    /// Whether a match was marked (otherwise the html is the field's beginning).
    pub highlighted: bool,
}

/// One hit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The record.
    pub id: HitId,
    /// BM25 relevance; 0 for listings without words.
    pub score: f32,
    /// Snippets, when asked for.
    pub snippets: Vec<HitSnippet>,
}

/// A page of hits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// The hits, best first (listings: newest first).
    pub hits: Vec<SearchHit>,
    /// The matches, when counting was asked for, up to [`MAX_COUNT`].
    pub total: Option<usize>,
    /// Whether counting stopped at [`MAX_COUNT`]: there are at least `total` matches.
    pub total_capped: bool,
    /// Whether hits follow this page.
    pub has_more: bool,
}

/// Runs a search on a generation, with `threads` sharing its work.
pub(crate) fn run(
    generation: &Generation,
    threads: &SearchThreads,
    search: &SearchQuery,
    default_mode: MatchMode,
    region: &str,
) -> Result<SearchResults, IndexError> {
    let limit = search.limit.clamp(1, MAX_LIMIT);
    if search.offset.saturating_add(limit) > MAX_WINDOW {
        return Err(IndexError::BadQuery(format!(
            "search pages end at hit {MAX_WINDOW}; narrow the search"
        )));
    }
    let parsers = generation.parsers();
    let BuiltQuery {
        query,
        listing,
        disjunction,
    } = build(search, &generation.fields, &parsers, default_mode, region);
    let searcher = generation.reader.searcher();
    // Counted apart from the page, beside it: the page's pruning skips blocks that cannot
    // reach it (collected together with a count, every match would be scored).
    let (mut scored, total) = if listing {
        let newest = TopDocs::with_limit(limit + 1)
            .and_offset(search.offset)
            .order_by_fast_field::<i64>("date", Order::Desc);
        let scored = searcher
            .search(query.as_ref(), &newest)?
            .into_iter()
            .map(|(_, address)| (0.0, address))
            .collect();
        let total = search
            .count_total
            .then(|| count_matches(&searcher, query.as_ref(), disjunction))
            .transpose()?;
        (scored, total)
    } else {
        let (mut best, total) = best_and_count(
            &searcher,
            query.as_ref(),
            search.offset + limit + 1,
            search.count_total.then_some(disjunction),
            threads,
        )?;
        best.drain(..search.offset.min(best.len()));
        (best, total)
    };
    let has_more = scored.len() > limit;
    scored.truncate(limit);

    let mut snippets = Snippets {
        searcher: &searcher,
        query: query.as_ref(),
        fields: Vec::new(),
    };
    let mut item_ids = ItemIds::default();
    let mut hits = Vec::with_capacity(scored.len());
    for (score, address) in scored {
        if !search.snippets
            && let Some(id) = item_ids.get(&searcher, address)
        {
            hits.push(SearchHit {
                id: HitId::Item(id),
                score,
                snippets: Vec::new(),
            });
            continue;
        }
        let document: TantivyDocument = searcher.doc(address)?;
        let Some(id) = first_str(&document, generation.fields.key).and_then(HitId::parse) else {
            tracing::warn!(?address, "search hit without key");
            continue;
        };
        let snippets = if search.snippets {
            snippets.of(generation, &id, &document)?
        } else {
            Vec::new()
        };
        hits.push(SearchHit {
            id,
            score,
            snippets,
        });
    }
    Ok(SearchResults {
        hits,
        total: total.map(|count| count.min(MAX_COUNT)),
        total_capped: total.is_some_and(|count| count > MAX_COUNT),
        has_more,
    })
}

/// Counts the matches of `query` one past [`MAX_COUNT`], so a count that stopped there shows.
fn count_matches(
    searcher: &Searcher,
    query: &dyn Query,
    disjunction: bool,
) -> Result<usize, IndexError> {
    count::up_to(searcher, query, disjunction, MAX_COUNT + 1)
}

/// Hits with their scores, best first.
type Scored = Vec<(f32, DocAddress)>;

/// What one job of a scored search found.
enum Found {
    Lane(tantivy::Result<top_k::LaneHits>),
    Count(Result<usize, IndexError>),
}

/// The best `k` hits of `query`, best first, and, when `count` says whether the query is a
/// plain disjunction, its matches counted up to the cap; the lanes of the top-k search and the
/// count are run side by side by `threads`.
fn best_and_count(
    searcher: &Searcher,
    query: &dyn Query,
    k: usize,
    count: Option<bool>,
    threads: &SearchThreads,
) -> Result<(Scored, Option<usize>), IndexError> {
    let lanes = threads.lanes_for(searcher.num_docs());
    let mut jobs: Vec<Job<Found>> = top_k::lane_jobs(searcher, query, k, lanes)?
        .into_iter()
        .map(|job| Box::new(move || Found::Lane(job())) as Job<Found>)
        .collect();
    if let Some(disjunction) = count {
        let (searcher, query) = (searcher.clone(), query.box_clone());
        jobs.push(Box::new(move || {
            Found::Count(count_matches(&searcher, query.as_ref(), disjunction))
        }));
    }
    let (mut lanes, mut total) = (Vec::new(), None);
    for found in threads.run(jobs) {
        match found {
            Found::Lane(hits) => lanes.push(hits?),
            Found::Count(counted) => total = Some(counted?),
        }
    }
    Ok((top_k::merge(lanes, k), total))
}

/// Reads item hits' ids from the fast field, without loading stored documents; opens each
/// segment's column once per search.
#[derive(Default)]
struct ItemIds {
    columns: Vec<(u32, Option<Column<u64>>)>,
}

impl ItemIds {
    fn get(&mut self, searcher: &Searcher, address: DocAddress) -> Option<WorkItemId> {
        let position = match self
            .columns
            .iter()
            .position(|(segment, _)| *segment == address.segment_ord)
        {
            Some(position) => position,
            None => {
                let column = searcher
                    .segment_reader(address.segment_ord)
                    .fast_fields()
                    .u64(ITEM_ID)
                    .ok();
                self.columns.push((address.segment_ord, column));
                self.columns.len() - 1
            }
        };
        let raw = self.columns[position].1.as_ref()?.first(address.doc_id)?;
        i64::try_from(raw).ok().map(WorkItemId::new)
    }
}

fn first_str(document: &TantivyDocument, field: Field) -> Option<&str> {
    document.get_first(field).and_then(|value| value.as_str())
}

fn all_str(document: &TantivyDocument, field: Field) -> String {
    document
        .get_all(field)
        .filter_map(|value| value.as_str())
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Builds snippets, creating each field's generator once per search.
struct Snippets<'a> {
    searcher: &'a Searcher,
    query: &'a dyn Query,
    fields: Vec<FieldSnippets>,
}

/// A field's snippet generator (for the item text, one per language) and the strings its query
/// terms start with.
struct FieldSnippets {
    field: Field,
    slot: Option<Slot>,
    generator: SnippetGenerator,
    /// Lower-case beginnings of the field's query terms, to find where a match may be
    /// without running the analyser (stemmer) over the whole text.
    probes: Vec<String>,
}

impl FieldSnippets {
    fn new(
        searcher: &Searcher,
        query: &dyn Query,
        field: Field,
        slot: Option<Slot>,
    ) -> Result<Self, IndexError> {
        let probes = probes(query, field, slot);
        let mut generator = match slot {
            Some(slot) => in_language(searcher, query, field, slot, &probes)?,
            None => SnippetGenerator::create(searcher, query, field)?,
        };
        generator.set_max_num_chars(SNIPPET_CHARS);
        Ok(Self {
            field,
            slot,
            generator,
            probes,
        })
    }

    /// Builds the snippet; long texts are analysed only around the words that may match (see
    /// [`snippet_window`](super::snippet_window)).
    fn snippet(&self, text: &str) -> Option<tantivy::snippet::Snippet> {
        if self.probes.is_empty() {
            return None;
        }
        super::snippet_window::windows(text, &self.probes)
            .into_iter()
            .map(|window| self.generator.snippet(window))
            .find(|snippet| !snippet.is_empty())
    }
}

/// Lower-case beginnings of the query's terms in `field` (see [`FieldSnippets::probes`]).
fn probes(query: &dyn Query, field: Field, slot: Option<Slot>) -> Vec<String> {
    let mut probes = Vec::new();
    query.query_terms(&mut |term, _| {
        if term.field() != field {
            return;
        }
        if let Some(probe) = term
            .value()
            .as_str()
            .and_then(|term| super::probe_gate::probe(term, slot))
        {
            probes.push(probe);
        }
    });
    probes.sort_unstable();
    probes.dedup();
    probes
}

/// Builds a snippet generator for the item text field analysed in one language, weighting each
/// query term as tantivy's own generator does (rarer terms weigh more); only words beginning
/// with one of `probes` are stemmed and matched.
fn in_language(
    searcher: &Searcher,
    query: &dyn Query,
    field: Field,
    slot: Slot,
    probes: &[String],
) -> Result<SnippetGenerator, IndexError> {
    let mut terms = std::collections::BTreeSet::new();
    query.query_terms(&mut |term, _| {
        if term.field() == field {
            terms.insert(term.clone());
        }
    });
    let mut weights = std::collections::BTreeMap::new();
    for term in terms {
        let Some(text) = term.value().as_str().map(str::to_owned) else {
            continue;
        };
        let doc_freq = searcher.doc_freq(&term)?;
        if doc_freq > 0 {
            #[expect(
                clippy::cast_precision_loss,
                reason = "a weight; document counts far below 2^24 stay exact"
            )]
            weights.insert(text, 1.0 / (1.0 + doc_freq as f32));
        }
    }
    Ok(SnippetGenerator::new(
        weights,
        snippet_analyser(slot, probes),
        field,
        SNIPPET_CHARS,
    ))
}

impl Snippets<'_> {
    fn of(
        &mut self,
        generation: &Generation,
        id: &HitId,
        document: &TantivyDocument,
    ) -> Result<Vec<HitSnippet>, IndexError> {
        let fields = &generation.fields;
        let mut snippets = Vec::new();
        match id {
            HitId::Item(_) => {
                let slot = first_str(document, fields.slot)
                    .and_then(|suffix| Slot::ALL.into_iter().find(|s| s.suffix() == suffix))
                    .unwrap_or(Slot::Plain);
                let text_field = (fields.text, Some(slot));
                if let Some(subject) = first_str(document, fields.subject_stored) {
                    snippets.push(self.make(SnippetField::Subject, text_field, subject)?);
                }
                let text = first_str(document, fields.text_stored).unwrap_or("");
                snippets.push(self.make(SnippetField::Text, text_field, text)?);
            }
            HitId::Customer(_) => {
                let name = all_str(document, fields.customer_name);
                snippets.push(self.make(
                    SnippetField::Name,
                    (fields.customer_name, None),
                    &name,
                )?);
                let details = all_str(document, fields.customer_details);
                snippets.push(self.make(
                    SnippetField::Details,
                    (fields.customer_details, None),
                    &details,
                )?);
            }
            HitId::Order(_) => {
                let details = all_str(document, fields.order_details);
                snippets.push(self.make(
                    SnippetField::Details,
                    (fields.order_details, None),
                    &details,
                )?);
            }
        }
        Ok(snippets)
    }

    /// Builds a snippet of `text` from a field, analysed in a language for the item text.
    fn make(
        &mut self,
        kind: SnippetField,
        (field, slot): (Field, Option<Slot>),
        text: &str,
    ) -> Result<HitSnippet, IndexError> {
        let position = match self
            .fields
            .iter()
            .position(|entry| entry.field == field && entry.slot == slot)
        {
            Some(position) => position,
            None => {
                self.fields
                    .push(FieldSnippets::new(self.searcher, self.query, field, slot)?);
                self.fields.len() - 1
            }
        };
        let Some(mut snippet) = self.fields[position].snippet(text) else {
            return Ok(HitSnippet {
                field: kind,
                html: escape_html(beginning(text, SNIPPET_CHARS)),
                highlighted: false,
            });
        };
        snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
        Ok(HitSnippet {
            field: kind,
            html: snippet.to_html(),
            highlighted: true,
        })
    }
}

/// Returns the first `chars` characters of a text.
fn beginning(text: &str, chars: usize) -> &str {
    match text.char_indices().nth(chars) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + text.len() / 8);
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_ids_round_trip_through_keys() {
        assert_eq!(
            HitId::parse("item:42"),
            Some(HitId::Item(WorkItemId::new(42)))
        );
        assert_eq!(
            HitId::parse("customer:0000104321"),
            Some(HitId::Customer(CustomerNo::new("0000104321")))
        );
        assert_eq!(HitId::parse("order"), None);
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_html("<script>alert('x & \"y\"')</script>"),
            "&lt;script&gt;alert(&#39;x &amp; &quot;y&quot;&#39;)&lt;/script&gt;"
        );
    }
}
