//! Checkpoints of SQLite's write-ahead log on a thread of their own.
//!
//! SQLite copies the log back into the database file (a checkpoint, with its two `fsync`s)
//! on the connection whose commit took the log past a size: here, the one writer, between two
//! of intake's transactions, so every write queued behind it waited for the copy (perf on the
//! intake bench: 3.5 % of the process inside the writer's commit; moving it here made SQLite
//! intake 14 % faster). The writer now leaves the copying to this thread, which runs a
//! `PASSIVE` checkpoint (it never waits for, nor blocks, readers or the writer) every
//! [`INTERVAL`]: a read of the log's index when nothing was written since the last.
//!
//! The log starts over from its beginning only when a write begins with every frame copied
//! back. Between bursts this thread's checkpoint leaves it so; under sustained full-speed
//! intake the writer has always appended more since, and the log grows until the writer's own
//! checkpoint at [`WRITER_BACKSTOP_PAGES`] (about 64 MiB) — by then this thread has copied
//! nearly all of it, so that checkpoint costs the writer little — and starts over after it
//! (intake bench, 40,000 e-mails: the `-wal` file stayed at 69 MB).

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use rusqlite::Connection;

/// How often the thread looks at the log.
const INTERVAL: Duration = Duration::from_millis(100);

/// The log size (pages) at which the writer checkpoints on its own commit (SQLite's default is
/// 1,000): under sustained writes, what lets the log start over (module doc).
pub(crate) const WRITER_BACKSTOP_PAGES: u32 = 16_000;

/// The checkpointing thread of one database; dropping this ends it.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _running: Sender<()>,
}

impl Checkpointer {
    /// Starts checkpointing the database at `path` (in WAL mode).
    pub(crate) fn start(path: &Path) -> std::io::Result<Self> {
        let (running, stopped) = mpsc::channel::<()>();
        let path = path.to_owned();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let mut connection = None;
                let mut failing = false;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    match checkpoint(&path, &mut connection) {
                        Ok(()) => failing = false,
                        Err(error) => {
                            // The writer's own checkpoint still bounds the log. Said once per
                            // run of failures, not ten times a second.
                            if !failing {
                                tracing::warn!(%error, "WAL checkpoint failed; retrying");
                            }
                            failing = true;
                            connection = None;
                        }
                    }
                }
            })?;
        Ok(Self { _running: running })
    }
}

/// One `PASSIVE` checkpoint on `connection`, opened first if need be.
fn checkpoint(path: &Path, connection: &mut Option<Connection>) -> rusqlite::Result<()> {
    let connection = match connection {
        Some(connection) => connection,
        None => connection.insert(open(path)?),
    };
    connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // The same durability as the writer's: the log is synced before the copy, the database
    // after it.
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_copies_the_log_back_while_the_writer_never_checkpoints() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("log.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; \
                 CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
            )
            .unwrap();
        writer
            .execute(
                "INSERT INTO notes (body) SELECT zeroblob(100000) FROM \
                 (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20) \
                 SELECT i FROM n)",
                [],
            )
            .unwrap();
        // The twenty rows reach the database file only through a checkpoint.
        assert!(std::fs::metadata(&path).unwrap().len() < 100_000);
        let _checkpointer = Checkpointer::start(&path).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(&path).unwrap().len() < 2_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the log was not copied back"
            );
            std::thread::park_timeout(INTERVAL);
        }
        let count: i64 = writer
            .query_row("SELECT count(*) FROM notes", [], |row| row.get(0))
            .unwrap();
        assert_eq!(count, 20);
    }

    #[test]
    fn a_missing_database_is_never_created() {
        let folder = tempfile::tempdir().unwrap();
        let missing = folder.path().join("missing.db");
        let checkpointer = Checkpointer::start(&missing).unwrap();
        let waited = std::time::Instant::now();
        while waited.elapsed() < INTERVAL * 3 {
            std::thread::park_timeout(INTERVAL);
        }
        drop(checkpointer);
        assert!(!missing.exists());
    }
}
