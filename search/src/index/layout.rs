//! The index directory: generations side by side, and a `CURRENT` file naming the one in use.
//!
//! ```text
//! <root>/CURRENT                 "gen-000003"
//! <root>/gen-000003/             the generation in use
//! <root>/gen-000004.building/    a rebuild in progress (renamed when complete)
//! ```
//! A rebuild writes a new generation beside the one serving and then switches `CURRENT`
//! atomically, so `switchboard reindex` can run while a server searches and indexes.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::IndexError;

const CURRENT: &str = "CURRENT";
const PREFIX: &str = "gen-";
const BUILDING: &str = ".building";

/// The directory layout of an index root.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    root: PathBuf,
}

impl Layout {
    /// Uses `root`, creating it when missing.
    pub(crate) fn new(root: &Path) -> Result<Self, IndexError> {
        fs::create_dir_all(root).map_err(|error| IndexError::io(root, error))?;
        Ok(Self {
            root: root.to_owned(),
        })
    }

    /// Returns a generation's directory.
    pub(crate) fn dir_of(&self, number: u64) -> PathBuf {
        self.root.join(format!("{PREFIX}{number:06}"))
    }

    /// Returns the directory a generation is built in.
    pub(crate) fn building_dir_of(&self, number: u64) -> PathBuf {
        self.root.join(format!("{PREFIX}{number:06}{BUILDING}"))
    }

    /// Reads which generation is in use.
    pub(crate) fn current(&self) -> Result<Option<u64>, IndexError> {
        let path = self.root.join(CURRENT);
        let raw = match fs::read_to_string(&path) {
            Ok(raw) => raw,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(IndexError::io(path, error)),
        };
        parse_number(raw.trim())
            .map(Some)
            .ok_or_else(|| IndexError::Layout {
                path,
                reason: format!("CURRENT names no generation: {:?}", raw.trim()),
            })
    }

    /// Switches to a generation: writes `CURRENT` beside, syncs it, renames it over.
    pub(crate) fn set_current(&self, number: u64) -> Result<(), IndexError> {
        let temporary = self.root.join(format!("{CURRENT}.tmp"));
        let target = self.root.join(CURRENT);
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&temporary)?;
            writeln!(file, "{PREFIX}{number:06}")?;
            file.sync_all()?;
            fs::rename(&temporary, &target)?;
            fs::File::open(&self.root)?.sync_all()
        };
        write().map_err(|error| IndexError::io(&target, error))
    }

    /// Reserves the next generation number by creating its building directory.
    pub(crate) fn reserve(&self) -> Result<(u64, PathBuf), IndexError> {
        let mut number = self.highest()? + 1;
        loop {
            let dir = self.building_dir_of(number);
            match fs::create_dir(&dir) {
                Ok(()) => return Ok((number, dir)),
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => number += 1,
                Err(error) => return Err(IndexError::io(dir, error)),
            }
        }
    }

    /// Renames a completed build to its generation directory.
    pub(crate) fn complete(&self, number: u64) -> Result<PathBuf, IndexError> {
        let from = self.building_dir_of(number);
        let to = self.dir_of(number);
        fs::rename(&from, &to).map_err(|error| IndexError::io(&from, error))?;
        Ok(to)
    }

    /// Removes completed generations older than `current`; newer ones may be a rebuild about
    /// to switch, and building directories may belong to a running `reindex`.
    pub(crate) fn remove_older_than(&self, current: u64) {
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(number) = name.to_str().and_then(parse_number) else {
                continue;
            };
            if number < current
                && let Err(error) = fs::remove_dir_all(entry.path())
            {
                tracing::warn!(path = %entry.path().display(), %error, "old index generation not removed");
            }
        }
    }

    /// Returns the highest generation number present, built or building.
    fn highest(&self) -> Result<u64, IndexError> {
        let entries =
            fs::read_dir(&self.root).map_err(|error| IndexError::io(&self.root, error))?;
        let highest = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_str()?.to_owned();
                parse_number(name.trim_end_matches(BUILDING))
            })
            .max()
            .unwrap_or(0);
        Ok(highest.max(self.current()?.unwrap_or(0)))
    }
}

/// Reads `gen-000003` as 3; anything else (building directories included) as `None`.
fn parse_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(PREFIX)?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}
