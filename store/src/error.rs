//! Turns database errors into the shared error kinds.

use switchboard_core::CoreError;

/// Maps a sqlx error: unreachable databases are `Unavailable`, constraint violations `Conflict`,
/// everything else `Internal`. Messages never contain bound values (they may be secrets).
pub(crate) fn db_error(error: sqlx::Error) -> CoreError {
    match &error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            CoreError::Unavailable(format!("database ({error})"))
        }
        sqlx::Error::Database(database_error) => match database_error.kind() {
            sqlx::error::ErrorKind::UniqueViolation => {
                CoreError::Conflict(format!("already exists: {}", database_error.message()))
            }
            sqlx::error::ErrorKind::ForeignKeyViolation => CoreError::Conflict(format!(
                "refers to a record that does not exist: {}",
                database_error.message()
            )),
            _ => CoreError::Internal(format!("database: {}", database_error.message())),
        },
        _ => CoreError::Internal(format!("database: {error}")),
    }
}

/// Maps a stored value that no longer parses (a hand-edited row, a newer schema).
pub(crate) fn corrupt(what: &str, value: &str) -> CoreError {
    CoreError::Internal(format!("stored {what} {value:?} is not understood"))
}
