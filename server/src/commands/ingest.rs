//! `switchboard ingest --channel CHANNEL PATH...`: files and folders (or `-` for one message on
//! standard input, a mail server's pipe transport) through exactly the live pipeline.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use futures_util::StreamExt;
use switchboard_core::CoreError;
use switchboard_core::ingest::BATCHES_IN_FLIGHT;
use switchboard_core::item::Channel;
use switchboard_core::store::Store;
use switchboard_store::BlobStore;

use crate::config::Config;
use crate::dispatch::{DispatchHandle, DispatchSettings};
use crate::pipeline::{IngestOutcome, Pipeline, RawInput};

/// Exit status of the mail-delivery convention for "try again later".
const EX_TEMPFAIL: u8 = 75;

/// Counts of one run.
#[derive(Debug, Default)]
struct Summary {
    ingested: u64,
    duplicates: u64,
    noise: u64,
    awaiting_ocr: Vec<(String, String)>,
    failed: Vec<(String, String)>,
    not_landed: Vec<(String, String)>,
}

impl Summary {
    fn count(&mut self, name: String, outcome: Result<IngestOutcome, CoreError>) {
        match outcome {
            Ok(IngestOutcome::Ingested { noise, .. }) => {
                self.ingested += 1;
                self.noise += u64::from(noise.is_some());
            }
            Ok(IngestOutcome::Duplicate { .. }) => self.duplicates += 1,
            Ok(IngestOutcome::Failed { reason, .. }) => self.failed.push((name, reason)),
            Ok(IngestOutcome::Deferred { reason, .. }) => self.awaiting_ocr.push((name, reason)),
            // Not answered by a synchronous ingest; listed with the waiting inputs if it were.
            Ok(IngestOutcome::Accepted { .. }) => self
                .awaiting_ocr
                .push((name, "landed; processed in the background".into())),
            Err(error) => self.not_landed.push((name, error.to_string())),
        }
    }
}

/// Files read and landed in one batch.
const FILES_PER_BATCH: usize = 100;

/// Ingests the given paths and prints a summary.
pub async fn run(
    store: Arc<dyn Store>,
    config: &Config,
    channel: Channel,
    paths: &[PathBuf],
) -> anyhow::Result<ExitCode> {
    // The SLA settings an admin saved apply here too, over the file's `[sla]`.
    let (settings, _) = crate::sla_settings::pipeline_settings(config, store.as_ref()).await?;
    let pipeline = Pipeline::new(
        Arc::clone(&store),
        BlobStore::new(config.blob_dir()),
        settings,
    )
    .await
    .context("cannot start the ingest pipeline")?;
    // Acknowledgements are queued in the outbox; the serving node's sender sends them.
    let pipeline = match crate::mail::queueing_acknowledger(config, Arc::clone(&store))? {
        Some(acknowledger) => pipeline.acknowledging(acknowledger),
        None => pipeline,
    };
    let recovered = pipeline.recover().await?;
    if recovered > 0 {
        eprintln!("recovered {recovered} input(s) left from an interrupted run");
    }
    if paths.len() == 1 && paths[0].as_os_str() == "-" {
        return from_stdin(&pipeline, channel).await;
    }
    let files = collect_files(paths)?;
    let mut summary = Summary::default();
    // The next batch lands and parses while the one before it is written.
    let mut batches = futures_util::stream::iter(files.chunks(FILES_PER_BATCH))
        .map(|chunk| {
            let (inputs, unread) = read_files(chunk);
            let names: Vec<String> = inputs.iter().map(|input| input.source.clone()).collect();
            let ingested = pipeline.ingest_batch(channel, inputs);
            async move { (names, unread, ingested.await) }
        })
        .buffered(BATCHES_IN_FLIGHT);
    while let Some((names, unread, outcomes)) = batches.next().await {
        summary.not_landed.extend(unread);
        for (name, outcome) in names.into_iter().zip(outcomes) {
            summary.count(name, outcome);
        }
    }
    print_summary(&summary);
    route_once(&store, config).await?;
    Ok(if summary.not_landed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Reads a chunk of files as inputs named by their file names; a file that cannot be read is
/// returned with the error instead.
fn read_files(files: &[PathBuf]) -> (Vec<RawInput>, Vec<(String, String)>) {
    let (mut inputs, mut unread) = (Vec::with_capacity(files.len()), Vec::new());
    for file in files {
        let name = file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.display().to_string());
        match std::fs::read(file) {
            Ok(raw) => inputs.push(RawInput { source: name, raw }),
            Err(error) => unread.push((file.display().to_string(), error.to_string())),
        }
    }
    (inputs, unread)
}

/// Runs one routing round so ingested items are routed in the same process. On PostgreSQL the
/// node holding the router lock does this (several nodes never route at once).
async fn route_once(store: &Arc<dyn Store>, config: &Config) -> anyhow::Result<()> {
    if switchboard_store::is_postgres(&config.database_url()) {
        return Ok(());
    }
    let router = DispatchHandle::new(Arc::clone(store), DispatchSettings::default());
    let round = router
        .round()
        .await
        .context("routing after ingest failed")?;
    println!(
        "routed: {} assignment(s), {} item(s) planned",
        round.applied, round.planned
    );
    Ok(())
}

async fn from_stdin(pipeline: &Pipeline, channel: Channel) -> anyhow::Result<ExitCode> {
    let mut raw = Vec::new();
    if let Err(error) = std::io::stdin().lock().read_to_end(&mut raw) {
        eprintln!("cannot read standard input: {error}");
        return Ok(ExitCode::from(EX_TEMPFAIL));
    }
    match pipeline.ingest_raw(channel, "stdin", raw).await {
        Ok(outcome) => {
            eprintln!("{outcome:?}");
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("not landed: {error}");
            Ok(ExitCode::from(EX_TEMPFAIL))
        }
    }
}

fn print_summary(summary: &Summary) {
    println!(
        "ingested: {}, duplicates: {}, noise: {}, awaiting OCR: {}, failed: {}, not landed: {}",
        summary.ingested,
        summary.duplicates,
        summary.noise,
        summary.awaiting_ocr.len(),
        summary.failed.len(),
        summary.not_landed.len()
    );
    for (name, reason) in &summary.awaiting_ocr {
        println!("awaiting OCR: {name}: {reason}");
    }
    for (name, reason) in &summary.failed {
        println!("failed: {name}: {reason}");
    }
    for (name, reason) in &summary.not_landed {
        println!("not landed: {name}: {reason}");
    }
}

/// Expands folders (recursively, hidden entries skipped) into their files, sorted by path.
fn collect_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn walk(folder: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .with_context(|| format!("cannot list {}", folder.display()))?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            !path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            walk(&entry, files)?;
        } else {
            files.push(entry);
        }
    }
    Ok(())
}
