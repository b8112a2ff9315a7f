//! SQLite connections the pages' read-model statements run on in the calling thread.
//!
//! Every sqlx statement on SQLite is handed to its connection's worker thread over a channel and
//! the answer handed back: two thread wake-ups and two context switches per statement. For the
//! pages' one-statement reads (the item page, an agent's work list, a search's hit records)
//! that hand-off cost as much CPU as the statement itself (perf on the http bench's item view:
//! a third of the request's samples in futex wake-ups, parking and task switches). These
//! connections run the statement right where the page asks for it, as a local file read, and
//! are lent out one caller at a time. They only read (`query_only`); every write still goes
//! through sqlx's writer.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use switchboard_core::CoreError;

/// Idle connections kept for the next caller; more callers at once each open one.
const KEPT_IDLE: usize = 8;

/// Longest a read waits for a lock. Readers of a WAL database wait only in rare moments (a
/// crashed writer's log being recovered); the wait blocks the calling thread and every request
/// it serves, so it is kept short and the page fails as unavailable instead.
const BUSY_TIMEOUT: Duration = Duration::from_secs(1);

/// Read-only connections to one database file, lent out one caller at a time.
#[derive(Debug)]
pub(crate) struct InlineReads {
    path: PathBuf,
    /// `PRAGMA` statements every connection runs once opened (cache and memory map).
    pragmas: String,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReads {
    /// Connections to the database at `path`, each set up by `pragmas` once opened.
    pub(crate) fn new(path: &Path, pragmas: String) -> Self {
        Self {
            path: path.to_owned(),
            pragmas,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The first column of the first row `statement` returns for its parameter `$1`, as text;
    /// `None` without a row.
    pub(crate) fn text(
        &self,
        statement: &str,
        parameter: &dyn rusqlite::ToSql,
    ) -> Result<Option<String>, CoreError> {
        let connection = self.lend()?;
        let text = connection
            .prepare_cached(statement)
            .and_then(|mut prepared| prepared.query_row([parameter], |row| row.get(0)).optional())
            .map_err(read_error)?;
        self.give_back(connection);
        Ok(text)
    }

    fn lend(&self) -> Result<Connection, CoreError> {
        if let Some(connection) = self.idle.lock().map_err(poisoned)?.pop() {
            return Ok(connection);
        }
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(read_error)?;
        connection
            .busy_timeout(BUSY_TIMEOUT)
            .and_then(|()| connection.execute_batch(&self.pragmas))
            .and_then(|()| connection.pragma_update(None, "query_only", true))
            .map_err(read_error)?;
        Ok(connection)
    }

    fn give_back(&self, connection: Connection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEPT_IDLE
        {
            idle.push(connection);
        }
    }
}

fn read_error(error: rusqlite::Error) -> CoreError {
    match error {
        rusqlite::Error::SqliteFailure(failure, _)
            if matches!(
                failure.code,
                rusqlite::ErrorCode::CannotOpen
                    | rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            CoreError::Unavailable(format!("database ({error})"))
        }
        other => CoreError::Internal(format!("database read: {other}")),
    }
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> CoreError {
    CoreError::Internal("inline read connections: a reader panicked".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database file in WAL mode with one row, and the connection that wrote it.
    fn database(folder: &Path) -> (PathBuf, Connection) {
        let path = folder.join("reads.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); \
                 INSERT INTO notes VALUES (1, 'first');",
            )
            .unwrap();
        (path, writer)
    }

    fn reads(path: &Path) -> InlineReads {
        InlineReads::new(path, "PRAGMA mmap_size = 1048576;".into())
    }

    const BODY: &str = "SELECT body FROM notes WHERE id = $1";

    #[test]
    fn reads_what_another_connection_committed_on_a_kept_connection() {
        let folder = tempfile::tempdir().unwrap();
        let (path, writer) = database(folder.path());
        let reads = reads(&path);
        assert_eq!(reads.text(BODY, &1).unwrap().as_deref(), Some("first"));
        writer
            .execute("INSERT INTO notes VALUES (2, 'second')", [])
            .unwrap();
        assert_eq!(reads.text(BODY, &2).unwrap().as_deref(), Some("second"));
        assert_eq!(
            reads.idle.lock().unwrap().len(),
            1,
            "one connection, lent twice"
        );
    }

    #[test]
    fn refuses_to_write() {
        let folder = tempfile::tempdir().unwrap();
        let (path, writer) = database(folder.path());
        let error = reads(&path)
            .text(
                "UPDATE notes SET body = 'changed' WHERE id = $1 RETURNING body",
                &1,
            )
            .unwrap_err();
        assert!(error.to_string().contains("readonly"), "{error}");
        let body: String = writer
            .query_row("SELECT body FROM notes WHERE id = 1", [], |row| row.get(0))
            .unwrap();
        assert_eq!(body, "first");
    }

    #[test]
    fn a_missing_row_is_none_and_a_missing_file_unavailable() {
        let folder = tempfile::tempdir().unwrap();
        let (path, _writer) = database(folder.path());
        assert_eq!(reads(&path).text(BODY, &9).unwrap(), None);
        let missing = folder.path().join("missing.db");
        assert!(matches!(
            reads(&missing).text(BODY, &1),
            Err(CoreError::Unavailable(_))
        ));
        assert!(!missing.exists(), "a read never creates the database");
    }
}
