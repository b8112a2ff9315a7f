//! Watched folders: files a fax server, a scanner or a mail system drops into a folder become
//! items. A file is taken once it is complete ([`settle`]), landed through the pipeline, and only
//! then moved to `processed/`; an unreadable one goes to `failed/` with a `.reason` file beside
//! it (and is a failed item). A file that could not be landed stays where it is and is tried
//! again on the next scan, and a restart picks up whatever is left, so nothing is lost; the
//! pipeline's idempotency keys make a file taken twice (a crash between landing and moving)
//! one item.
//!
//! Folders are polled rather than watched with inotify: scanners and fax servers usually write
//! to network shares (SMB, NFS) where inotify sees nothing, and completeness needs repeated
//! looks anyway. On PostgreSQL one node consumes each folder, holding an advisory lock.

pub mod layout;
pub mod settle;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use switchboard_core::ingest::{BATCHES_IN_FLIGHT, IngestOutcome, Ingestor, RawInput};
use switchboard_core::item::Channel;

use self::layout::{FolderLayout, is_input};
use self::settle::{Observation, SettleTracker};
use crate::advisory_lock::{self, AdvisoryLock};
use crate::stop_signal::StopSignal;

/// One `[[watch]]` entry of the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchFolder {
    /// The folder (for e-mail a maildir: files are taken from its `new/`).
    pub path: PathBuf,
    /// The channel of its files: `email`, `fax`, `letter` or `voicemail`.
    pub channel: Channel,
    /// How long a file must rest unchanged before it is taken, in seconds.
    #[serde(default = "default_settle_seconds")]
    pub settle_seconds: u64,
    /// How often the folder is scanned, in seconds.
    #[serde(default = "default_poll_seconds")]
    pub poll_seconds: u64,
}

/// Files landed in one batch.
const SCAN_CHUNK: usize = 100;

fn default_settle_seconds() -> u64 {
    2
}

fn default_poll_seconds() -> u64 {
    2
}

/// What happened to one file of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Landed (an item, a duplicate, or waiting for OCR) and moved to `processed/`.
    Processed(IngestOutcome),
    /// Unreadable: a failed item, the file moved to `failed/`.
    Failed(IngestOutcome),
    /// Not landed (the database is unavailable, the file unreadable now); tried again later.
    Kept(String),
}

/// Consumes one watched folder.
pub struct FolderWatcher {
    folder: WatchFolder,
    layout: FolderLayout,
    ingestor: Arc<dyn Ingestor>,
    settle: SettleTracker,
}

impl FolderWatcher {
    /// Prepares a folder (creating its sub-folders) for `ingestor`.
    pub fn new(folder: WatchFolder, ingestor: Arc<dyn Ingestor>) -> anyhow::Result<Self> {
        let layout = FolderLayout::of(&folder.path, folder.channel);
        layout
            .create()
            .with_context(|| format!("cannot prepare watched folder {}", folder.path.display()))?;
        let settle = SettleTracker::new(Duration::from_secs(folder.settle_seconds));
        Ok(Self {
            folder,
            layout,
            ingestor,
            settle,
        })
    }

    /// The folder's paths.
    pub fn layout(&self) -> &FolderLayout {
        &self.layout
    }

    /// Scans once and takes every complete file; returns each taken file's outcome.
    pub async fn scan_once(&mut self) -> Vec<(PathBuf, FileOutcome)> {
        let inbox = self.layout.inbox.clone();
        let listing = tokio::task::spawn_blocking(move || list_inputs(&inbox)).await;
        let observations = match listing {
            Ok(Ok(observations)) => observations,
            Ok(Err(error)) => {
                tracing::warn!(folder = %self.folder.path.display(), %error, "cannot list watched folder");
                return Vec::new();
            }
            Err(error) => {
                tracing::warn!(%error, "watched folder listing failed");
                return Vec::new();
            }
        };
        let ready = self.settle.ready(observations, SystemTime::now());
        // The next chunk lands and parses while the one before it is written.
        let watcher = &*self;
        let taken: Vec<Vec<(PathBuf, FileOutcome)>> =
            futures_util::stream::iter(ready.chunks(SCAN_CHUNK).map(<[PathBuf]>::to_vec))
                .map(|chunk| async move { watcher.take(&chunk).await })
                .buffered(BATCHES_IN_FLIGHT)
                .collect()
                .await;
        taken.into_iter().flatten().collect()
    }

    /// Lands a chunk of complete files in one batch, then moves each landed file; outcomes
    /// in the order of `files`.
    async fn take(&self, files: &[PathBuf]) -> Vec<(PathBuf, FileOutcome)> {
        let mut unread = Vec::new();
        let (mut read, mut inputs) = (Vec::new(), Vec::new());
        for (position, file) in files.iter().enumerate() {
            match tokio::fs::read(file).await {
                Ok(raw) => {
                    let source = file
                        .file_name()
                        .map(|name| name.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    read.push(position);
                    inputs.push(RawInput { source, raw });
                }
                Err(error) => {
                    tracing::warn!(file = %file.display(), %error, "cannot read watched file; trying again later");
                    unread.push((position, FileOutcome::Kept(error.to_string())));
                }
            }
        }
        let landed = self
            .ingestor
            .ingest_batch(self.folder.channel, inputs)
            .await;
        let mut outcomes: Vec<(usize, FileOutcome)> = read
            .into_iter()
            .zip(landed)
            .map(|(position, outcome)| (position, self.settle_file(&files[position], outcome)))
            .chain(unread)
            .collect();
        outcomes.sort_by_key(|(position, _)| *position);
        outcomes
            .into_iter()
            .map(|(position, outcome)| (files[position].clone(), outcome))
            .collect()
    }

    /// Moves a file by its outcome: landed to `processed/`, unreadable to `failed/`; a file
    /// that was not landed stays for the next scan.
    fn settle_file(
        &self,
        file: &Path,
        outcome: Result<IngestOutcome, switchboard_core::CoreError>,
    ) -> FileOutcome {
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!(file = %file.display(), %error, "watched file not landed; trying again later");
                return FileOutcome::Kept(error.to_string());
            }
        };
        let moved = match &outcome {
            IngestOutcome::Failed { reason, .. } => self.layout.move_failed(file, reason),
            _ => self.layout.move_processed(file),
        };
        if let Err(error) = moved {
            // Landed all the same; the next scan finds it again and the pipeline calls it a
            // duplicate.
            tracing::warn!(file = %file.display(), %error, "cannot move landed file");
        }
        tracing::info!(file = %file.display(), outcome = ?outcome, "watched file taken");
        match outcome {
            IngestOutcome::Failed { .. } => FileOutcome::Failed(outcome),
            _ => FileOutcome::Processed(outcome),
        }
    }

    /// Scans until the process ends.
    pub async fn run(self) {
        self.run_until(StopSignal::never()).await;
    }

    /// Scans until `stop` is raised; a scan under way finishes first (its files are landed
    /// and moved).
    pub async fn run_until(mut self, stop: StopSignal) {
        let mut tick = tokio::time::interval(Duration::from_secs(self.folder.poll_seconds.max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while stop.unless_stopped(tick.tick()).await.is_some() {
            self.scan_once().await;
        }
        tracing::info!(folder = %self.folder.path.display(), "folder scanner stopped");
    }

    /// Scans while this node holds the folder's advisory lock, until `stop` is raised.
    async fn run_locked(mut self, url: String, stop: StopSignal) {
        let key = advisory_lock::key_for(&lock_name(&self.folder.path));
        let poll = Duration::from_secs(self.folder.poll_seconds.max(1));
        loop {
            let acquired = stop.unless_stopped(AdvisoryLock::acquire(&url, key)).await;
            let mut lock = match acquired {
                None => return,
                Some(Ok(lock)) => lock,
                Some(Err(error)) => {
                    tracing::warn!(%error, "cannot take the watched folder's lock");
                    if stop
                        .unless_stopped(tokio::time::sleep(poll))
                        .await
                        .is_none()
                    {
                        return;
                    }
                    continue;
                }
            };
            tracing::info!(folder = %self.folder.path.display(), "watched folder lock taken; this node consumes it");
            while lock.check().await.is_ok() {
                self.scan_once().await;
                if stop
                    .unless_stopped(tokio::time::sleep(poll))
                    .await
                    .is_none()
                {
                    return;
                }
            }
            tracing::warn!(folder = %self.folder.path.display(), "watched folder lock lost");
        }
    }
}

/// The name of a folder's advisory lock (its key is [`advisory_lock::key_for`] of it).
pub fn lock_name(folder: &Path) -> String {
    format!("watch:{}", folder.display())
}

/// Lists the inputs of a folder with their size and modification time.
fn list_inputs(folder: &Path) -> std::io::Result<Vec<(PathBuf, Observation)>> {
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let path = entry.path();
        if !is_input(&path, entry.file_type()?) {
            continue;
        }
        let metadata = entry.metadata()?;
        inputs.push((
            path,
            Observation {
                len: metadata.len(),
                modified: metadata.modified()?,
            },
        ));
    }
    Ok(inputs)
}

/// Starts a consumer for every watched folder for the life of the process. Fails when a
/// folder cannot be prepared.
pub fn start(
    folders: &[WatchFolder],
    ingestor: Arc<dyn Ingestor>,
    database_url: &str,
) -> anyhow::Result<()> {
    for folder in folders {
        spawn(
            folder,
            Arc::clone(&ingestor),
            database_url,
            StopSignal::never(),
        )?;
    }
    Ok(())
}

/// Starts a consumer of `folder` until `stop` is raised: on PostgreSQL (`database_url`) under
/// the folder's advisory lock, else directly. Fails when the folder cannot be prepared.
pub fn spawn(
    folder: &WatchFolder,
    ingestor: Arc<dyn Ingestor>,
    database_url: &str,
    stop: StopSignal,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    anyhow::ensure!(
        folder.channel != Channel::Task,
        "watched folder {}: tasks come through the task API, not files",
        folder.path.display()
    );
    let watcher = FolderWatcher::new(folder.clone(), ingestor)?;
    tracing::info!(folder = %folder.path.display(), channel = %folder.channel, "watching folder");
    Ok(if switchboard_store::is_postgres(database_url) {
        tokio::spawn(watcher.run_locked(database_url.to_owned(), stop))
    } else {
        tokio::spawn(watcher.run_until(stop))
    })
}
