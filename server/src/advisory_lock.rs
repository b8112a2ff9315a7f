//! Singleton work across nodes on PostgreSQL: a session-level advisory lock held on a dedicated
//! connection for as long as the work runs. When the holder dies, its connection closes and the
//! lock with it, so a waiting node takes over.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

/// How often a waiting node tries to take a lock.
pub const RETRY: Duration = Duration::from_secs(1);

/// A held advisory lock.
pub struct AdvisoryLock {
    connection: PgConnection,
}

impl AdvisoryLock {
    /// Takes the lock `key`, waiting while another session holds it.
    pub async fn acquire(url: &str, key: i64) -> Result<Self, sqlx::Error> {
        let mut connection = PgConnection::connect(url).await?;
        loop {
            let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(key)
                .fetch_one(&mut connection)
                .await?;
            if held {
                return Ok(Self { connection });
            }
            tokio::time::sleep(RETRY).await;
        }
    }

    /// Fails when the lock's connection is gone (and the lock with it).
    pub async fn check(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&mut self.connection)
            .await?;
        Ok(())
    }
}

/// The advisory-lock key for a named resource, e.g. a mailbox.
pub fn key_for(name: &str) -> i64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_and_distinct_per_name() {
        assert_eq!(key_for("imap:a"), key_for("imap:a"));
        assert_ne!(key_for("imap:a"), key_for("imap:b"));
    }
}
