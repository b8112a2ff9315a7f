//! The search indexer: one task that keeps the node's search index (`<data_dir>/index`) fed
//! from the store's change feed and its master data.
//!
//! - On start it resumes after the sequence committed in the index, so after a crash nothing
//!   is missed; a new or reset index is rebuilt from the database instead of replaying the feed.
//! - It then follows the feed (every `poll_interval`, or at once when woken) and re-reads master
//!   data when its fingerprint changes (imports by the CLI, the API or another node).
//! - The index's own writer thread owns the `IndexWriter`; this task is its only feeder.
//!
//! The feed is in commit order on both databases (on PostgreSQL a change is numbered when its
//! transaction commits, migration 0007): a gap is a rollback, never a transaction in flight, so
//! the feeder reads straight past it.

mod search;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use switchboard_core::feed::{IndexableItem, MasterVersion, SearchIndex};
use switchboard_core::master::{Delivery, MasterData};
use switchboard_core::store::Store;
use switchboard_core::{CoreError, CustomerNo, OrderNo, WorkItemId};
use switchboard_search::index::{
    Change, ChangeSource, CustomerDoc, Doc, FeedStep, IndexConfig, IndexHandle, MasterChange,
    OrderDoc, feed_once, rebuild_index,
};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use self::search::IndexSearch;
use crate::config::Config;

/// How the indexer follows the feed.
#[derive(Debug, Clone)]
pub struct IndexerSettings {
    /// Wait between feed reads when idle.
    pub poll_interval: Duration,
    /// Feed entries read per step.
    pub batch: u32,
    /// Wait between master-data fingerprint checks.
    pub master_interval: Duration,
}

impl Default for IndexerSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(200),
            batch: 500,
            master_interval: Duration::from_secs(5),
        }
    }
}

/// Items read per page while rebuilding.
const REBUILD_PAGE: u32 = 500;

/// The folder of a node's search index.
pub fn index_root(config: &Config) -> PathBuf {
    config.data_dir.join("index")
}

/// The index settings of a node.
pub fn index_config(config: &Config) -> IndexConfig {
    let mut index = IndexConfig::default();
    if let Some(region) = &config.organisation.default_region {
        index.default_region.clone_from(region);
    }
    if let Some(threads) = config.search_threads {
        index.search_threads = threads.max(1);
    }
    index
}

/// The search index and what feeds it.
pub struct Indexer {
    handle: IndexHandle,
    store: Arc<dyn Store>,
    settings: IndexerSettings,
    master: Option<(MasterVersion, MasterDocs)>,
    wake: Arc<Notify>,
}

impl Indexer {
    /// Opens (or creates) the index under `root`.
    pub async fn open(
        root: PathBuf,
        config: IndexConfig,
        store: Arc<dyn Store>,
        settings: IndexerSettings,
    ) -> anyhow::Result<Self> {
        let shown = root.display().to_string();
        let handle = tokio::task::spawn_blocking(move || IndexHandle::open(root, config))
            .await
            .context("index open task failed")?
            .with_context(|| format!("cannot open the search index at {shown}"))?;
        Ok(Self {
            handle,
            store,
            settings,
            master: None,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Returns the index handle.
    pub fn handle(&self) -> &IndexHandle {
        &self.handle
    }

    /// Returns the search port handlers use.
    pub fn search(&self) -> Arc<dyn SearchIndex> {
        Arc::new(IndexSearch::new(self.handle.clone()))
    }

    /// Returns a waker: notifying it makes a running indexer read the feed at once.
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Brings the index up to date: rebuilds a new or reset index from the database, indexes
    /// master data, replays the feed and commits. Returns the applied sequence.
    pub async fn start(&mut self) -> anyhow::Result<i64> {
        let fresh = self.handle.applied_seq() == 0 || self.handle.was_reset();
        if fresh && self.store.max_change_seq().await? > 0 {
            let summary = rebuild(&self.store, RebuildTarget::Handle(self.handle.clone())).await?;
            tracing::info!(
                items = summary.items,
                customers = summary.customers,
                orders = summary.orders,
                "search index built from the database"
            );
            self.master = Some((summary.master_version, summary.master_docs));
        }
        self.sync_master().await?;
        self.catch_up().await
    }

    /// Reads the feed until it has nothing new and commits. Returns the applied sequence.
    pub async fn catch_up(&mut self) -> anyhow::Result<i64> {
        loop {
            match self.step().await? {
                FeedStep::Applied(_) | FeedStep::Restarted => {}
                FeedStep::Busy => tokio::time::sleep(self.settings.poll_interval).await,
                FeedStep::Idle => break,
            }
        }
        self.commit().await
    }

    /// Reads one batch of the feed and hands it to the index writer.
    pub async fn step(&self) -> anyhow::Result<FeedStep> {
        let limit = usize::try_from(self.settings.batch).unwrap_or(500);
        feed_once(&self.handle, self, limit)
            .await
            .context("feeding the search index failed")
    }

    /// Commits what was handed to the writer; returns the applied sequence.
    pub async fn commit(&self) -> anyhow::Result<i64> {
        let handle = self.handle.clone();
        Ok(tokio::task::spawn_blocking(move || handle.commit())
            .await
            .context("index commit task failed")??)
    }

    /// Indexes master data again when its fingerprint changed; returns whether it did.
    pub async fn sync_master(&mut self) -> anyhow::Result<bool> {
        // The fingerprint is read before the records, so a change during the read is seen
        // again at the next check.
        let version = self.store.master_version().await?;
        if self.master.as_ref().map(|(seen, _)| seen) == Some(&version) {
            return Ok(false);
        }
        let docs = MasterDocs::from_data(&self.store.master_data().await?);
        let changes = docs.changes_since(self.master.as_ref().map(|(_, docs)| docs));
        let count = changes.len();
        if !changes.is_empty() {
            self.handle.update_master(changes)?;
        }
        tracing::info!(changes = count, "master data indexed");
        self.master = Some((version, docs));
        Ok(true)
    }

    /// Runs the indexer as a task until [`IndexerTask::shutdown`].
    pub fn spawn(self) -> IndexerTask {
        let (stop, stopped) = watch::channel(false);
        let join = tokio::spawn(self.run(stopped));
        IndexerTask { stop, join }
    }

    /// Commits, waits for merges and stops the index writer.
    pub async fn shutdown(self) -> anyhow::Result<i64> {
        let handle = self.handle;
        Ok(tokio::task::spawn_blocking(move || handle.shutdown())
            .await
            .context("index shutdown task failed")??)
    }

    /// Stops the writer without committing, as a crash would; for recovery tests.
    #[doc(hidden)]
    pub fn simulate_crash(self) {
        self.handle.simulate_crash();
    }

    async fn run(mut self, mut stopped: watch::Receiver<bool>) -> anyhow::Result<i64> {
        if let Err(error) = self.start().await {
            tracing::error!(error = %format!("{error:#}"), "search index catch-up failed");
        }
        let mut last_master_check = Instant::now();
        loop {
            let step = match self.step().await {
                Ok(step) => step,
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "search index feed failed");
                    FeedStep::Idle
                }
            };
            if last_master_check.elapsed() >= self.settings.master_interval {
                last_master_check = Instant::now();
                if let Err(error) = self.sync_master().await {
                    tracing::warn!(error = %format!("{error:#}"), "master data not indexed");
                }
            }
            if matches!(step, FeedStep::Applied(_) | FeedStep::Restarted) {
                continue;
            }
            tokio::select! {
                _ = stopped.changed() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(self.settings.poll_interval) => {}
            }
        }
        self.shutdown().await
    }

    async fn changes(&self, seq: i64, limit: usize) -> Result<Vec<(i64, Change)>, CoreError> {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        let entries = self.store.changes_after(seq, limit).await?;
        let mut last_seq_of: HashMap<WorkItemId, i64> = HashMap::new();
        for entry in &entries {
            last_seq_of.insert(entry.item_id, entry.seq);
        }
        let ids: Vec<WorkItemId> = last_seq_of.keys().copied().collect();
        let mut items: HashMap<WorkItemId, IndexableItem> = self
            .store
            .indexable_items(&ids)
            .await?
            .into_iter()
            .map(|item| (item.id, item))
            .collect();
        let mut changes = Vec::with_capacity(ids.len());
        for entry in entries {
            // Only an item's last entry in the batch is applied: it shows the item as it is now.
            if last_seq_of.get(&entry.item_id) != Some(&entry.seq) {
                continue;
            }
            let change = match items.remove(&entry.item_id) {
                Some(item) => Change::Upsert(item),
                None => Change::Delete(entry.item_id),
            };
            changes.push((entry.seq, change));
        }
        Ok(changes)
    }
}

impl ChangeSource for Indexer {
    fn changes_after(
        &self,
        seq: i64,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<(i64, Change)>, CoreError>> + Send {
        self.changes(seq, limit)
    }
}

/// A running indexer.
pub struct IndexerTask {
    stop: watch::Sender<bool>,
    join: JoinHandle<anyhow::Result<i64>>,
}

impl IndexerTask {
    /// Stops the indexer; it commits and stops the index writer. Returns the applied sequence.
    pub async fn shutdown(self) -> anyhow::Result<i64> {
        let _ = self.stop.send(true);
        self.join.await.context("indexer task failed")?
    }
}

/// The customer and order documents of master data, by key.
#[derive(Debug, Default)]
pub struct MasterDocs {
    customers: HashMap<CustomerNo, CustomerDoc>,
    orders: HashMap<OrderNo, OrderDoc>,
}

impl MasterDocs {
    /// Builds the documents of every customer and order.
    pub fn from_data(data: &MasterData) -> Self {
        let mut deliveries: HashMap<&OrderNo, Vec<Delivery>> = HashMap::new();
        for delivery in &data.deliveries {
            deliveries
                .entry(&delivery.order_no)
                .or_default()
                .push(delivery.clone());
        }
        let customers = data
            .customers
            .iter()
            .map(|customer| {
                (
                    customer.customer_no.clone(),
                    CustomerDoc::from_customer(customer),
                )
            })
            .collect();
        let orders = data
            .orders
            .iter()
            .map(|order| {
                let own = deliveries
                    .get(&order.order_no)
                    .map_or(&[][..], Vec::as_slice);
                (order.order_no.clone(), OrderDoc::from_order(order, own))
            })
            .collect();
        Self { customers, orders }
    }

    /// Returns the changes from `earlier` (everything when unknown) to these documents.
    fn changes_since(&self, earlier: Option<&Self>) -> Vec<MasterChange> {
        let empty = Self::default();
        let earlier = earlier.unwrap_or(&empty);
        let mut changes = Vec::new();
        for (key, doc) in &self.customers {
            if earlier.customers.get(key) != Some(doc) {
                changes.push(MasterChange::UpsertCustomer(doc.clone()));
            }
        }
        for (key, doc) in &self.orders {
            if earlier.orders.get(key) != Some(doc) {
                changes.push(MasterChange::UpsertOrder(doc.clone()));
            }
        }
        for key in earlier.customers.keys() {
            if !self.customers.contains_key(key) {
                changes.push(MasterChange::DeleteCustomer(key.clone()));
            }
        }
        for key in earlier.orders.keys() {
            if !self.orders.contains_key(key) {
                changes.push(MasterChange::DeleteOrder(key.clone()));
            }
        }
        changes
    }

    fn into_docs(self) -> impl Iterator<Item = Doc> {
        let customers = self.customers.into_values().map(Doc::Customer);
        customers.chain(self.orders.into_values().map(Doc::Order))
    }
}

/// Where a rebuild goes.
pub enum RebuildTarget {
    /// Into an open index, which switches to the new generation at once.
    Handle(IndexHandle),
    /// Into the index folder; a server using it switches within its watch interval.
    Root(PathBuf, IndexConfig),
}

/// What a rebuild indexed.
#[derive(Debug)]
pub struct RebuildSummary {
    /// Items indexed.
    pub items: u64,
    /// Customers indexed.
    pub customers: u64,
    /// Orders indexed.
    pub orders: u64,
    /// The feed position recorded in the new index.
    pub applied_seq: i64,
    /// The master-data fingerprint read before the records.
    pub master_version: MasterVersion,
    /// The master documents indexed.
    pub master_docs: MasterDocs,
}

/// Rebuilds the index from the database into a new generation beside the serving one and
/// switches to it. The feed position is read first, so no change falls between.
pub async fn rebuild(
    store: &Arc<dyn Store>,
    target: RebuildTarget,
) -> anyhow::Result<RebuildSummary> {
    let applied_seq = store.max_change_seq().await?;
    let master_version = store.master_version().await?;
    let master = MasterDocs::from_data(&store.master_data().await?);
    let customers = u64::try_from(master.customers.len()).unwrap_or(u64::MAX);
    let orders = u64::try_from(master.orders.len()).unwrap_or(u64::MAX);
    let master_docs = MasterDocs {
        customers: master.customers.clone(),
        orders: master.orders.clone(),
    };

    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Doc>(256);
    let builder = tokio::task::spawn_blocking(move || {
        let docs = std::iter::from_fn(move || receiver.blocking_recv());
        match target {
            RebuildTarget::Handle(handle) => handle.rebuild(docs, applied_seq),
            RebuildTarget::Root(root, config) => rebuild_index(root, &config, docs, applied_seq),
        }
    });
    let sent = send_docs(store, master, &sender).await;
    drop(sender);
    let built = builder.await.context("index rebuild task failed")?;
    let items = sent?;
    built.context("index rebuild failed")?;
    Ok(RebuildSummary {
        items,
        customers,
        orders,
        applied_seq,
        master_version,
        master_docs,
    })
}

/// Sends master and item documents to a rebuild; returns the number of items.
async fn send_docs(
    store: &Arc<dyn Store>,
    master: MasterDocs,
    sender: &tokio::sync::mpsc::Sender<Doc>,
) -> anyhow::Result<u64> {
    let stopped = || anyhow::anyhow!("index rebuild stopped early");
    for doc in master.into_docs() {
        sender.send(doc).await.map_err(|_| stopped())?;
    }
    let mut items = 0_u64;
    let mut after = None;
    loop {
        let page = store.indexable_items_after(after, REBUILD_PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(items);
        };
        after = Some(last.id);
        for item in page {
            sender.send(Doc::Item(item)).await.map_err(|_| stopped())?;
            items += 1;
        }
    }
}
