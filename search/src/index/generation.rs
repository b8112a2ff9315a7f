//! One generation of the index: a tantivy index in its own directory, its reader (built once,
//! reloaded after each commit) and its query parsers. A rebuild makes a new generation.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::{Index, IndexReader, IndexSettings, ReloadPolicy};

use super::analysis;
use super::error::IndexError;
use super::schema::{Fields, SCHEMA_VERSION};
use super::words::Parsers;

/// Bytes of stored documents compressed together (tantivy's default is 16 KiB). A hit's
/// snippet reads its document, and reading one document decompresses its whole block: with an
/// item's stored fields a few KiB, smaller blocks decompress a quarter as much per hit.
const DOCSTORE_BLOCK_BYTES: usize = 4 * 1024;

/// What a commit records inside the index: the last change-feed sequence it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Payload {
    /// The last applied `item_changes.seq`; 0 before any.
    pub applied_seq: i64,
    /// The schema version the index was written with.
    pub schema_version: u32,
}

impl Payload {
    pub(crate) fn new(applied_seq: i64) -> Self {
        Self {
            applied_seq,
            schema_version: SCHEMA_VERSION,
        }
    }

    pub(crate) fn to_json(self) -> String {
        // A struct of two integers always serialises.
        serde_json::to_string(&self).unwrap_or_default()
    }
}

/// An open generation.
pub(crate) struct Generation {
    /// Its number (the directory is `gen-<number>`).
    pub number: u64,
    /// Its directory.
    pub dir: PathBuf,
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    /// Rebuilt after each reload, as fields come into use.
    parsers: RwLock<Arc<Parsers>>,
}

impl Generation {
    /// Creates an empty index in a new directory.
    pub(crate) fn create(dir: &Path, number: u64) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|error| IndexError::io(dir, error))?;
        let (schema, _) = Fields::build();
        let index = Index::builder()
            .schema(schema)
            .settings(IndexSettings {
                docstore_blocksize: DOCSTORE_BLOCK_BYTES,
                ..IndexSettings::default()
            })
            .create_in_dir(dir)?;
        Self::ready(index, dir, number)
    }

    /// Opens an existing index; fails with [`IndexError::Layout`] when it was written with
    /// another schema.
    pub(crate) fn open(dir: &Path, number: u64) -> Result<Self, IndexError> {
        let index = Index::open_in_dir(dir)?;
        let (schema, _) = Fields::build();
        if index.schema() != schema {
            return Err(IndexError::Layout {
                path: dir.to_owned(),
                reason: "written with another schema".to_owned(),
            });
        }
        let generation = Self::ready(index, dir, number)?;
        if let Some(payload) = generation.payload()?
            && payload.schema_version != SCHEMA_VERSION
        {
            return Err(IndexError::Layout {
                path: dir.to_owned(),
                reason: format!("written with schema version {}", payload.schema_version),
            });
        }
        Ok(generation)
    }

    fn ready(index: Index, dir: &Path, number: u64) -> Result<Self, IndexError> {
        analysis::register(&index);
        let (_, fields) = Fields::build();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let parsers = RwLock::new(Arc::new(Parsers::new(&index, &fields, &reader.searcher())));
        Ok(Self {
            number,
            dir: dir.to_owned(),
            index,
            reader,
            fields,
            parsers,
        })
    }

    /// Returns the query parsers.
    pub(crate) fn parsers(&self) -> Arc<Parsers> {
        Arc::clone(&self.parsers.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Reloads the reader after a commit and rebuilds the parsers over the fields in use.
    pub(crate) fn reload(&self) -> Result<(), IndexError> {
        self.reader.reload()?;
        let parsers = Parsers::new(&self.index, &self.fields, &self.reader.searcher());
        *self.parsers.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(parsers);
        Ok(())
    }

    /// Reads the payload of the last commit.
    pub(crate) fn payload(&self) -> Result<Option<Payload>, IndexError> {
        let metas = self.index.load_metas()?;
        let Some(raw) = metas.payload else {
            return Ok(None);
        };
        serde_json::from_str(&raw)
            .map(Some)
            .map_err(|error| IndexError::Layout {
                path: self.dir.clone(),
                reason: format!("unreadable commit payload: {error}"),
            })
    }

    /// Returns the last change-feed sequence durably in this generation.
    pub(crate) fn applied_seq(&self) -> Result<i64, IndexError> {
        Ok(self.payload()?.map_or(0, |payload| payload.applied_seq))
    }
}
