//! The search port on the index: what handlers ask, turned into an index query and back.

use std::sync::Arc;

use async_trait::async_trait;
use switchboard_core::CoreError;
use switchboard_core::feed::{
    SearchIndex, SearchKind, SearchMatch, SearchMode, SearchPage, SearchRequest, SearchSnippet,
    SearchTarget,
};
use switchboard_search::index::{
    DocKind, HitId, IndexHandle, MatchMode, SearchQuery, SnippetField,
};
use tokio::sync::Semaphore;

/// The search port on the index: searches run on blocking threads, at most one per core at a
/// time, the rest waiting their turn. Unbounded, every request waiting for its search had a
/// thread of its own (a hundred on the http bench's hundred connections), all sharing the cores
/// with the server's workers, so a page's last steps (its hits' records, rendering) waited
/// behind dozens of half-done searches.
pub(crate) struct IndexSearch {
    handle: IndexHandle,
    running: Arc<Semaphore>,
}

impl IndexSearch {
    pub(crate) fn new(handle: IndexHandle) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            handle,
            running: Arc::new(Semaphore::new(cores)),
        }
    }
}

#[async_trait]
impl SearchIndex for IndexSearch {
    async fn search(&self, request: SearchRequest) -> Result<SearchPage, CoreError> {
        let query = search_query(request);
        let handle = self.handle.clone();
        // Held by the search itself: a request that goes away does not free its core early.
        let turn = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|error| CoreError::Internal(format!("search turn: {error}")))?;
        let results = tokio::task::spawn_blocking(move || {
            let _turn = turn;
            handle.search(&query)
        })
        .await
        .map_err(|error| CoreError::Internal(format!("search task failed: {error}")))?
        .map_err(CoreError::from)?;
        let matches = results
            .hits
            .into_iter()
            .map(|hit| SearchMatch {
                target: match hit.id {
                    HitId::Item(id) => SearchTarget::Item(id),
                    HitId::Customer(number) => SearchTarget::Customer(number),
                    HitId::Order(number) => SearchTarget::Order(number),
                },
                score: hit.score,
                snippets: hit
                    .snippets
                    .into_iter()
                    .map(|snippet| SearchSnippet {
                        field: snippet_field(snippet.field).to_owned(),
                        html: snippet.html,
                        highlighted: snippet.highlighted,
                    })
                    .collect(),
            })
            .collect();
        Ok(SearchPage {
            matches,
            total: results.total,
            total_capped: results.total_capped,
            has_more: results.has_more,
        })
    }
}

fn search_query(request: SearchRequest) -> SearchQuery {
    SearchQuery {
        q: request.q,
        kind: request.kind.map(|kind| match kind {
            SearchKind::Item => DocKind::Item,
            SearchKind::Customer => DocKind::Customer,
            SearchKind::Order => DocKind::Order,
        }),
        channels: request.channels,
        statuses: request.statuses,
        customer_no: request.customer_no,
        queue: request.queue,
        received_from: request.received_from,
        received_before: request.received_before,
        offset: request.offset,
        limit: request.limit,
        mode: request.mode.map(|mode| match mode {
            SearchMode::And => MatchMode::All,
            SearchMode::Or => MatchMode::Any,
        }),
        snippets: true,
        count_total: true,
    }
}

fn snippet_field(field: SnippetField) -> &'static str {
    match field {
        SnippetField::Subject => "subject",
        SnippetField::Text => "text",
        SnippetField::Name => "name",
        SnippetField::Details => "details",
    }
}
