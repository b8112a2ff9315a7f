//! `switchboard import PATH`: a folder of master-data files named by kind, or one file. Every
//! file is read and checked before anything is written; one bad row rejects the whole import.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use switchboard_core::import::{RawRecords, check, write};
use switchboard_core::master::MasterKind;
use switchboard_core::store::Store;

use crate::master_csv;

/// Imports a folder or a file and prints the contract's summary lines.
pub async fn run(store: &Arc<dyn Store>, path: &Path) -> anyhow::Result<ExitCode> {
    let files = files_to_import(path)?;
    anyhow::ensure!(
        !files.is_empty(),
        "{} holds no master-data file (expected names like customers.csv, orders.csv)",
        path.display()
    );
    let progress = Progress::new(files.len());
    let mut inputs: Vec<(MasterKind, RawRecords)> = Vec::new();
    let mut bad_rows: Vec<String> = Vec::new();
    for (kind, file) in &files {
        progress.reading(file);
        let content =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let (raw, problems) = master_csv::read(*kind, &content);
        bad_rows.extend(
            problems
                .iter()
                .map(|problem| format!("{}:{}: {}", file.display(), problem.line, problem.reason)),
        );
        tracing::info!(kind = %kind, file = %file.display(), rows = raw.records.len(), "file read");
        inputs.push((*kind, raw));
    }
    progress.writing(inputs.iter().map(|(_, raw)| raw.records.len()).sum());
    let checked = check(store.as_ref(), inputs).await?;
    let file_of = |kind: MasterKind| {
        files
            .iter()
            .find(|(candidate, _)| *candidate == kind)
            .map_or_else(|| PathBuf::from(kind.file_name()), |(_, file)| file.clone())
    };
    let batches = match checked {
        Ok(batches) => batches,
        Err(rejected) => {
            bad_rows.extend(rejected.iter().map(|row| {
                format!(
                    "{}:{}: {}",
                    file_of(row.kind).display(),
                    row.line,
                    row.reason
                )
            }));
            Vec::new()
        }
    };
    if !bad_rows.is_empty() {
        progress.finish();
        return reject(&bad_rows);
    }
    let counts = write(store.as_ref(), batches).await?;
    progress.finish();
    for (kind, counts) in counts {
        println!("{}", counts.summary_line(kind));
    }
    Ok(ExitCode::SUCCESS)
}

fn reject(bad_rows: &[String]) -> anyhow::Result<ExitCode> {
    for line in bad_rows {
        println!("{line}");
    }
    eprintln!(
        "import rejected: {} bad row(s); nothing was imported",
        bad_rows.len()
    );
    Ok(ExitCode::FAILURE)
}

/// The files of a folder recognised by name, or the one file given, with their kinds.
fn files_to_import(path: &Path) -> anyhow::Result<Vec<(MasterKind, PathBuf)>> {
    if path.is_dir() {
        let mut files = Vec::new();
        for kind in MasterKind::IMPORT_ORDER {
            let file = path.join(kind.file_name());
            if file.is_file() {
                files.push((*kind, file));
            }
        }
        for entry in
            std::fs::read_dir(path).with_context(|| format!("cannot list {}", path.display()))?
        {
            let name = entry?.file_name();
            let name = name.to_string_lossy();
            if !files.iter().any(|(kind, _)| kind.file_name() == name) {
                tracing::warn!(file = %name, "not a master-data file name; skipped");
            }
        }
        Ok(files)
    } else {
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kind = MasterKind::parse(&stem).with_context(|| {
            let known: Vec<String> = MasterKind::ALL
                .iter()
                .map(|kind| kind.file_name())
                .collect();
            format!(
                "cannot tell the kind of {} from its name; expected one of {}",
                path.display(),
                known.join(", ")
            )
        })?;
        Ok(vec![(kind, path.to_path_buf())])
    }
}

/// A progress bar on a terminal; plain log lines otherwise.
struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(files: usize) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(u64::try_from(files).unwrap_or(0));
            bar.set_style(
                ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        Self { bar }
    }

    fn reading(&self, file: &Path) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("reading {}", file.display()));
            bar.inc(1);
        }
    }

    fn writing(&self, rows: usize) {
        match &self.bar {
            Some(bar) => {
                bar.set_message(format!("checking and writing {rows} rows"));
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
            }
            None => tracing::info!(rows, "checking and writing"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
