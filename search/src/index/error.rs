//! The index's errors, with the kind the web layer maps.

use std::path::PathBuf;

use switchboard_core::{CoreError, ErrorKind};

/// A failure of the search index.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed (I/O, corrupt segment, lock held by another process).
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A file or directory of the index layout could not be read or written.
    #[error("search index at {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The index directory holds something this version cannot use.
    #[error("search index at {path}: {reason}")]
    Layout {
        /// The directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The writer thread has stopped; the handle can still search but no longer index.
    #[error("search index writer stopped")]
    WriterStopped,
    /// The change source failed while feeding.
    #[error("change feed: {0}")]
    Source(CoreError),
    /// The query asks for something the index cannot give (e.g. a page too deep).
    #[error("{0}")]
    BadQuery(String),
    /// The threads searches share could not be started.
    #[error("search threads: {0}")]
    Threads(String),
}

impl IndexError {
    /// Returns the error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::BadQuery(_) => ErrorKind::BadInput,
            Self::WriterStopped => ErrorKind::Unavailable,
            Self::Source(source) => source.kind(),
            Self::Tantivy(_) | Self::Io { .. } | Self::Layout { .. } | Self::Threads(_) => {
                ErrorKind::Internal
            }
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<IndexError> for CoreError {
    fn from(error: IndexError) -> Self {
        match error {
            IndexError::BadQuery(message) => Self::BadInput(message),
            IndexError::WriterStopped => Self::Unavailable("search index writer".to_owned()),
            IndexError::Source(source) => source,
            other => Self::Internal(other.to_string()),
        }
    }
}
