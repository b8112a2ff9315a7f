//! `switchboard reindex`: rebuilds the search index from the database. The new index is built
//! beside the serving one and switched in, so a running server keeps searching meanwhile and
//! picks it up within a few seconds.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use switchboard_core::store::Store;

use crate::config::Config;
use crate::indexer::{self, RebuildTarget};

/// Rebuilds the index under `<data_dir>/index` and prints what it indexed.
pub async fn run(store: &Arc<dyn Store>, config: &Config) -> anyhow::Result<ExitCode> {
    let root = indexer::index_root(config);
    let target = RebuildTarget::Root(root.clone(), indexer::index_config(config));
    let summary = indexer::rebuild(store, target)
        .await
        .with_context(|| format!("cannot rebuild the search index at {}", root.display()))?;
    println!(
        "reindexed {} items, {} customers, {} orders into {}",
        summary.items,
        summary.customers,
        summary.orders,
        root.display()
    );
    Ok(ExitCode::SUCCESS)
}
