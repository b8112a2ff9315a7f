//! The e-mail channel's I/O: the IMAP source that feeds the ingest pipeline, and the settings of
//! the mail servers Switchboard talks to.

pub mod acknowledge;
pub mod compose;
pub mod imap;
pub mod outbox;
pub mod relay_check;
pub mod relay_in_force;
pub mod settings;
pub mod stream;
pub mod templates;

pub use relay_in_force::RelayInForce;
pub use settings::{ImapAccount, MailSettings, ProcessedAction, Secret, Security, SmtpRelay};

use std::sync::Arc;

use switchboard_channels::reference_token::TokenSecret;
use switchboard_core::outbox::OutboundMail;
use switchboard_core::store::Store;
use tokio::sync::Notify;

use crate::config::Config;

/// What the outbox offers the rest of the node: replies for the API, acknowledgements for the
/// mailboxes, and the relay in force (which an admin may replace).
pub struct Outbox {
    /// Composes and queues agents' replies.
    pub mail: Arc<dyn OutboundMail>,
    /// Acknowledges fresh messages.
    pub acknowledger: Arc<compose::Acknowledger>,
    /// The relay messages go out through.
    pub relay: RelayInForce,
    store: Arc<dyn Store>,
    queued: Arc<Notify>,
    lock_url: Option<String>,
}

impl Outbox {
    /// Starts the sender, through the relay in force from then on.
    pub fn start_sending(&self) {
        tokio::spawn(outbox::run(
            self.store.clone(),
            self.relay.clone(),
            self.queued.clone(),
            self.lock_url.clone(),
        ));
    }
}

/// The outbox when an SMTP relay is configured: the composer the HTTP API queues replies with,
/// and the sender, started by [`Outbox::start_sending`] once the relay an admin saved (if any)
/// is in force. Replies need the reference secret: their tokens are signed with it.
pub fn prepare_outbox(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<Option<Outbox>> {
    let Some((relay, secret)) = relay_and_secret(config)? else {
        return Ok(None);
    };
    let relay = RelayInForce::new(relay);
    let queued = Arc::new(Notify::new());
    let composer =
        compose::ReplyComposer::new(store.clone(), relay.clone(), secret.clone(), queued.clone())
            .with_templates(config.mail.reply_templates.clone());
    let acknowledger = Arc::new(new_acknowledger(
        config,
        store.clone(),
        relay.clone(),
        secret,
        &queued,
    ));
    Ok(Some(Outbox {
        mail: Arc::new(composer),
        acknowledger,
        relay,
        store,
        queued,
        lock_url: lock_url(config),
    }))
}

/// An acknowledger that only queues in the outbox, for runs without a sender (the MTA pipe and
/// `switchboard ingest`): the serving node's outbox sender sends what they queue. `None`
/// without `[mail.smtp]`.
pub fn queueing_acknowledger(
    config: &Config,
    store: Arc<dyn Store>,
) -> anyhow::Result<Option<Arc<compose::Acknowledger>>> {
    let Some((relay, secret)) = relay_and_secret(config)? else {
        return Ok(None);
    };
    let queued = Arc::new(Notify::new());
    Ok(Some(Arc::new(new_acknowledger(
        config,
        store,
        RelayInForce::new(relay),
        secret,
        &queued,
    ))))
}

/// The relay and the secret reply tokens are signed with, when `[mail.smtp]` is configured.
fn relay_and_secret(config: &Config) -> anyhow::Result<Option<(SmtpRelay, TokenSecret)>> {
    let Some(relay) = config.mail.smtp.clone() else {
        return Ok(None);
    };
    relay.security.check_host(&relay.host)?;
    let secret = config
        .organisation
        .reference_secret
        .as_ref()
        .ok_or_else(|| {
            anyhow::anyhow!("[mail.smtp] needs organisation.reference_secret to sign reply tokens")
        })?;
    Ok(Some((relay, TokenSecret::new(secret.as_bytes()))))
}

fn new_acknowledger(
    config: &Config,
    store: Arc<dyn Store>,
    relay: RelayInForce,
    secret: TokenSecret,
    queued: &Arc<Notify>,
) -> compose::Acknowledger {
    compose::Acknowledger::new(
        store,
        relay,
        secret,
        config.mail.acknowledgement.clone(),
        config.organisation.own_addresses.clone(),
        queued.clone(),
    )
}

/// The database to hold singleton locks on: PostgreSQL only (SQLite is one node).
fn lock_url(config: &Config) -> Option<String> {
    let database_url = config.database_url();
    switchboard_store::is_postgres(&database_url).then_some(database_url)
}
