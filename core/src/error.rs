//! The one set of error kinds; `web` maps each kind to an HTTP status exactly once.

use std::fmt;

/// What kind of failure happened, independent of the crate that noticed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller sent something invalid.
    BadInput,
    /// The thing asked for does not exist.
    NotFound,
    /// The request conflicts with the current state.
    Conflict,
    /// The caller is known but lacks the role.
    Forbidden,
    /// The caller is not known.
    Unauthenticated,
    /// A dependency (database, OCR engine) is not reachable right now.
    Unavailable,
    /// Our own failure.
    Internal,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Self::BadInput => "bad_input",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::Forbidden => "forbidden",
            Self::Unauthenticated => "unauthenticated",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        };
        f.write_str(name)
    }
}

/// Errors raised by domain code and by ports.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CoreError {
    /// Invalid input, with a message meant for the person who sent it.
    #[error("{0}")]
    BadInput(String),
    /// A named thing was not found.
    #[error("{what} not found")]
    NotFound {
        /// What was looked up, e.g. "customer 0000104321".
        what: String,
    },
    /// The state does not allow the operation.
    #[error("{0}")]
    Conflict(String),
    /// The caller's role does not allow the operation.
    #[error("{0}")]
    Forbidden(String),
    /// The caller could not be identified.
    #[error("authentication required")]
    Unauthenticated,
    /// A dependency is unavailable.
    #[error("{0} unavailable")]
    Unavailable(String),
    /// An unexpected failure inside Switchboard.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// Returns the error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::BadInput(_) => ErrorKind::BadInput,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Conflict(_) => ErrorKind::Conflict,
            Self::Forbidden(_) => ErrorKind::Forbidden,
            Self::Unauthenticated => ErrorKind::Unauthenticated,
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Builds a not-found error for a described thing.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }
}

/// Result with [`CoreError`].
pub type CoreResult<T> = Result<T, CoreError>;
