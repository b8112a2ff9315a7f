//! What a search asks for, and how it becomes a tantivy query.

use std::ops::Bound;

use chrono::{DateTime, Utc};
use switchboard_core::item::{Channel, ItemStatus};
use switchboard_core::{CustomerNo, QueueId};
use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};

use super::identifiers::{QueryIdentifier, split};
use super::normalise::identifier_key;
use super::schema::{DocKind, Fields};
use super::words::Parsers;

/// How the words of a query combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    /// Every word must match (AND).
    #[default]
    All,
    /// Any word may match (OR); more matches rank higher.
    Any,
}

/// A search: user syntax, kind, filters and a page.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// The user's query in tantivy's syntax, parsed leniently; empty lists everything that
    /// passes the filters, newest first.
    pub q: String,
    /// The kind of record; `None` searches all three.
    pub kind: Option<DocKind>,
    /// Item channels, any of them (items only).
    pub channels: Vec<Channel>,
    /// Item statuses, any of them (items only).
    pub statuses: Vec<ItemStatus>,
    /// The customer of items and orders, or the customer itself; leading zeros do not matter.
    pub customer_no: Option<CustomerNo>,
    /// The queue of items.
    pub queue: Option<QueueId>,
    /// Items received at or after this time (orders: ordered on or after).
    pub received_from: Option<DateTime<Utc>>,
    /// Items received before this time.
    pub received_before: Option<DateTime<Utc>>,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return.
    pub limit: usize,
    /// AND or OR between words; `None` uses the index's configured default.
    pub mode: Option<MatchMode>,
    /// Whether to build highlighted snippets.
    pub snippets: bool,
    /// Whether to count every match (costs a pass over all of them).
    pub count_total: bool,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            q: String::new(),
            kind: None,
            channels: Vec::new(),
            statuses: Vec::new(),
            customer_no: None,
            queue: None,
            received_from: None,
            received_before: None,
            offset: 0,
            limit: 20,
            mode: None,
            snippets: true,
            count_total: false,
        }
    }
}

impl SearchQuery {
    /// Builds a query for user input, everything else at its default.
    pub fn new(q: impl Into<String>) -> Self {
        Self {
            q: q.into(),
            ..Self::default()
        }
    }

    /// Restricts the search to one kind.
    #[must_use]
    pub fn kind(mut self, kind: DocKind) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Sets the page.
    #[must_use]
    pub fn page(mut self, offset: usize, limit: usize) -> Self {
        self.offset = offset;
        self.limit = limit;
        self
    }

    /// Sets AND or OR between words.
    #[must_use]
    pub fn mode(mut self, mode: MatchMode) -> Self {
        self.mode = Some(mode);
        self
    }
}

/// Weight of an exact identifier match against a text match.
const IDENTIFIER_BOOST: f32 = 3.0;

/// A built query and whether it is a plain listing (no words), which sorts by date.
pub(crate) struct BuiltQuery {
    pub query: Box<dyn Query>,
    pub listing: bool,
    /// Whether the query is a plain disjunction of its words (one word, or words with OR, no
    /// identifiers, syntax or filters): a document holding any one of its terms matches, unless
    /// the term belongs to a phrase (see [`count`](super::count)).
    pub disjunction: bool,
}

/// Builds the tantivy query of a search.
pub(crate) fn build(
    search: &SearchQuery,
    fields: &Fields,
    parsers: &Parsers,
    default_mode: MatchMode,
    region: &str,
) -> BuiltQuery {
    let split = split(&search.q, region);
    let mode = if split.typed_or {
        MatchMode::Any
    } else {
        search.mode.unwrap_or(default_mode)
    };
    let kinds: Vec<DocKind> = search.kind.map_or(DocKind::ALL.to_vec(), |kind| vec![kind]);
    let occur = match mode {
        MatchMode::All => Occur::Must,
        MatchMode::Any => Occur::Should,
    };

    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(words) = parsers.words(search.kind, &split.text, mode) {
        clauses.push((occur, words));
    }
    for identifier in &split.identifiers {
        let query = identifier_query(identifier, fields, &kinds, parsers, search.kind, occur);
        clauses.push((occur, query));
    }
    let listing = clauses.is_empty();
    let plain_words = split
        .text
        .split_whitespace()
        .filter(|word| !matches!(*word, "OR" | "||"))
        .collect::<Vec<_>>();
    let disjunction = !listing
        && split.identifiers.is_empty()
        && (mode == MatchMode::Any || plain_words.len() == 1)
        && plain_words.iter().all(|word| {
            !matches!(*word, "AND" | "NOT" | "&&")
                && word.chars().all(|c| !"+-:\"()[]{}^~*!".contains(c))
        });
    // Text and identifier fields are per kind; the kind filter is needed only for listings,
    // queries naming fields themselves and exclusions (`-word` alone matches all but it).
    let needs_kind_filter = listing || split.text.contains(':') || split.text.contains('-');

    let mut filters: Vec<Box<dyn Query>> = Vec::new();
    if let (Some(kind), true) = (search.kind, needs_kind_filter) {
        filters.push(term_query(fields.kind, kind.as_str()));
    }
    if !search.channels.is_empty() {
        filters.push(any_of(
            fields.channel,
            search.channels.iter().map(|c| c.as_str()),
        ));
    }
    if !search.statuses.is_empty() {
        filters.push(any_of(
            fields.status,
            search.statuses.iter().map(|s| s.as_str()),
        ));
    }
    if let Some(key) = search
        .customer_no
        .as_ref()
        .and_then(|no| identifier_key(no.as_str()))
    {
        filters.push(term_query(fields.customer, &key));
    }
    if let Some(queue) = search.queue {
        let term = Term::from_field_u64(fields.queue, queue.get().cast_unsigned());
        filters.push(Box::new(TermQuery::new(term, IndexRecordOption::Basic)));
    }
    if search.received_from.is_some() || search.received_before.is_some() {
        let bound = |time: Option<DateTime<Utc>>, inclusive: bool| match time {
            Some(time) if inclusive => {
                Bound::Included(Term::from_field_i64(fields.date, time.timestamp()))
            }
            Some(time) => Bound::Excluded(Term::from_field_i64(fields.date, time.timestamp())),
            None => Bound::Unbounded,
        };
        filters.push(Box::new(RangeQuery::new(
            bound(search.received_from, true),
            bound(search.received_before, false),
        )));
    }

    let main: Box<dyn Query> = if listing {
        Box::new(AllQuery)
    } else if clauses.len() == 1 && filters.is_empty() {
        clauses.remove(0).1
    } else {
        Box::new(BooleanQuery::new(clauses))
    };
    if filters.is_empty() {
        return BuiltQuery {
            query: main,
            listing,
            disjunction,
        };
    }
    let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, main)];
    all.extend(filters.into_iter().map(|filter| {
        (
            Occur::Must,
            Box::new(ConstScoreQuery::new(filter, 0.0)) as Box<dyn Query>,
        )
    }));
    BuiltQuery {
        query: Box::new(BooleanQuery::new(all)),
        listing,
        disjunction: false,
    }
}

/// Builds the query of one identifier: any of its normalised terms in the identifier fields,
/// or the words as typed in the text fields, or (for grouped digits) each group on its own.
fn identifier_query(
    identifier: &QueryIdentifier,
    fields: &Fields,
    kinds: &[DocKind],
    parsers: &Parsers,
    scope: Option<DocKind>,
    occur: Occur,
) -> Box<dyn Query> {
    let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for term in &identifier.terms {
        for kind in kinds {
            let exact = term_query(fields.identifiers_of(*kind), term);
            alternatives.push((
                Occur::Should,
                Box::new(BoostQuery::new(exact, IDENTIFIER_BOOST)),
            ));
        }
    }
    if identifier.parts.is_empty() {
        if let Some(phrase) = parsers.phrase(scope, &identifier.words.join(" ")) {
            alternatives.push((Occur::Should, phrase));
        }
    } else {
        let parts = identifier
            .parts
            .iter()
            .map(|part| {
                let query = identifier_query(part, fields, kinds, parsers, scope, occur);
                (occur, query)
            })
            .collect();
        alternatives.push((Occur::Should, Box::new(BooleanQuery::new(parts))));
    }
    Box::new(BooleanQuery::new(alternatives))
}

fn term_query(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn any_of<'a>(field: Field, values: impl Iterator<Item = &'a str>) -> Box<dyn Query> {
    let clauses = values
        .map(|value| (Occur::Should, term_query(field, value)))
        .collect();
    Box::new(BooleanQuery::new(clauses))
}
