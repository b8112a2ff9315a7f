//! The tantivy search index of items, customers and orders: a projection of the store.
//!
//! - Documents are plain structs ([`ItemDoc`], [`CustomerDoc`], [`OrderDoc`]) built from core
//!   types; this module does no store I/O.
//! - Item text is analysed in the item's language (Dutch, English, German, French stemming,
//!   plain otherwise); identifiers go to exact-match fields after normalisation, so
//!   `0000104321` and `104321`, `+31 23 555 1234` and `023-5551234`, `1234 AB` and `1234ab`
//!   find the same record.
//! - One writer thread owns the `IndexWriter`; updates are "delete by key, then add"; commits
//!   record the applied change-feed sequence in the commit payload, so after a crash feeding
//!   resumes from [`IndexHandle::applied_seq`] and no item is missed. The reader is built once
//!   and reloaded after each commit.
//! - [`IndexHandle::rebuild`] and [`rebuild_index`] build a new generation beside the serving
//!   one and switch to it.
//! - [`IndexHandle::search`] returns ids, scores and HTML-escaped snippets; the store supplies
//!   the records.

mod analysis;
mod config;
mod count;
mod docs;
mod document;
mod error;
mod feed;
mod generation;
mod handle;
mod identifiers;
mod layout;
mod normalise;
mod priority;
mod probe_gate;
mod query;
mod schema;
mod search;
mod search_threads;
mod snippet_window;
mod top_k;
mod words;
mod writer;

pub use config::IndexConfig;
pub use docs::{Change, CustomerDoc, Doc, ItemDoc, MasterChange, OrderDoc};
pub use error::IndexError;
pub use feed::{ChangeSource, FeedStep, feed_once};
pub use handle::{FeedPosition, IndexHandle, rebuild_index};
pub use normalise::identifier_key;
pub use query::{MatchMode, SearchQuery};
pub use schema::DocKind;
pub use search::{
    HitId, HitSnippet, MAX_COUNT, MAX_LIMIT, MAX_WINDOW, SearchHit, SearchResults, SnippetField,
};
