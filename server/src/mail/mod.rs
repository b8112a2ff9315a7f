//! The e-mail channel's I/O: the IMAP source that feeds the ingest pipeline, and the settings of
//! the mail servers Switchboard talks to.

pub mod imap;
pub mod settings;
pub mod stream;

pub use settings::{ImapAccount, MailSettings, ProcessedAction, Secret, Security};

use std::sync::Arc;

use switchboard_core::ingest::Ingestor;

use crate::config::Config;

/// Starts one IMAP consumer task per configured mailbox; on PostgreSQL each holds its mailbox's
/// lock, so several nodes never read one mailbox at once.
pub fn start_sources(config: &Config, ingestor: Arc<dyn Ingestor>) {
    let database_url = config.database_url();
    let lock_url = switchboard_store::is_postgres(&database_url).then_some(database_url);
    for account in &config.mail.imap {
        tokio::spawn(imap::run(
            account.clone(),
            ingestor.clone(),
            lock_url.clone(),
        ));
    }
}
