//! This node's channel workers: one IMAP reader per account and one scanner per watched folder,
//! replaced while serving when their settings change. A worker whose settings are unchanged keeps
//! running; a changed or removed one is asked to stop and awaited before its replacement starts,
//! so an IMAP reader lands and marks the batch it took before it logs out, and two readers of one
//! mailbox never overlap on this node. Whatever a stopped worker left unmarked is read again by
//! its successor, and landing is idempotent, so nothing is lost or taken twice.

use std::sync::Arc;

use switchboard_core::ingest::Ingestor;
use tokio::task::JoinHandle;

use crate::mail::compose::Acknowledger;
use crate::mail::{ImapAccount, imap};
use crate::stop_signal::{StopSignal, Stopper};
use crate::watch::{self, WatchFolder};

/// A worker and the settings it runs with.
struct Running<S> {
    settings: S,
    stopper: Stopper,
    task: JoinHandle<()>,
}

impl<S> Running<S> {
    /// Asks the worker to stop and waits until it has.
    async fn stop(self) {
        self.stopper.stop();
        if let Err(error) = self.task.await
            && error.is_panic()
        {
            tracing::error!(%error, "channel worker panicked");
        }
    }
}

/// What an [`ChannelWorkers::apply`] changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WorkerChanges {
    /// Workers started (new or changed settings).
    pub started: usize,
    /// Workers stopped (removed or changed settings).
    pub stopped: usize,
}

/// The running channel workers of this node.
pub struct ChannelWorkers {
    ingestor: Arc<dyn Ingestor>,
    acknowledger: Option<Arc<Acknowledger>>,
    database_url: String,
    imap: Vec<Running<ImapAccount>>,
    folders: Vec<Running<WatchFolder>>,
}

impl ChannelWorkers {
    /// No workers yet; they land inputs through `ingestor`, and on PostgreSQL (`database_url`)
    /// each holds its mailbox's or folder's lock.
    pub fn new(
        ingestor: Arc<dyn Ingestor>,
        acknowledger: Option<Arc<Acknowledger>>,
        database_url: String,
    ) -> Self {
        Self {
            ingestor,
            acknowledger,
            database_url,
            imap: Vec::new(),
            folders: Vec::new(),
        }
    }

    /// Runs exactly the workers of `accounts` and `folders`: unchanged ones keep running,
    /// changed and removed ones are stopped (each finishing its batch), new ones started.
    pub async fn apply(
        &mut self,
        accounts: &[ImapAccount],
        folders: &[WatchFolder],
    ) -> anyhow::Result<WorkerChanges> {
        let mut changes = WorkerChanges::default();
        let (kept, retired) = partition(std::mem::take(&mut self.imap), accounts);
        let (kept_folders, retired_folders) = partition(std::mem::take(&mut self.folders), folders);
        changes.stopped = retired.len() + retired_folders.len();
        for worker in retired {
            tracing::info!(mailbox = %worker.settings.name, "imap reader stopping for new settings");
            worker.stop().await;
        }
        for worker in retired_folders {
            tracing::info!(folder = %worker.settings.path.display(), "folder scanner stopping for new settings");
            worker.stop().await;
        }
        self.imap = kept;
        self.folders = kept_folders;
        for account in accounts {
            if self.imap.iter().any(|running| &running.settings == account) {
                continue;
            }
            self.imap.push(self.start_imap(account));
            changes.started += 1;
        }
        for folder in folders {
            if self
                .folders
                .iter()
                .any(|running| &running.settings == folder)
            {
                continue;
            }
            self.folders.push(self.start_folder(folder)?);
            changes.started += 1;
        }
        Ok(changes)
    }

    /// Stops every worker, each finishing its batch.
    pub async fn stop_all(&mut self) {
        for worker in std::mem::take(&mut self.imap) {
            worker.stop().await;
        }
        for worker in std::mem::take(&mut self.folders) {
            worker.stop().await;
        }
    }

    fn start_imap(&self, account: &ImapAccount) -> Running<ImapAccount> {
        if account.acknowledge && self.acknowledger.is_none() {
            tracing::warn!(mailbox = %account.name, "acknowledgements need [mail.smtp]; none sent");
        }
        let acknowledger = self.acknowledger.clone().filter(|_| account.acknowledge);
        let lock_url =
            switchboard_store::is_postgres(&self.database_url).then(|| self.database_url.clone());
        let (stopper, signal) = StopSignal::new();
        let task = tokio::spawn(imap::run_until(
            account.clone(),
            self.ingestor.clone(),
            acknowledger,
            lock_url,
            signal,
        ));
        Running {
            settings: account.clone(),
            stopper,
            task,
        }
    }

    fn start_folder(&self, folder: &WatchFolder) -> anyhow::Result<Running<WatchFolder>> {
        let (stopper, signal) = StopSignal::new();
        let task = watch::spawn(folder, self.ingestor.clone(), &self.database_url, signal)?;
        Ok(Running {
            settings: folder.clone(),
            stopper,
            task,
        })
    }
}

/// Splits running workers into those whose settings are still wanted and the rest.
fn partition<S: PartialEq>(
    running: Vec<Running<S>>,
    wanted: &[S],
) -> (Vec<Running<S>>, Vec<Running<S>>) {
    running
        .into_iter()
        .partition(|worker| wanted.contains(&worker.settings))
}
