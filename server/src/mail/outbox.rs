//! The outbox sender: sends queued messages through the SMTP relay in force with lettre (a
//! relay an admin puts in force is used from the next round on), records each attempt, retries
//! failures with exponential backoff and marks a message failed after the last attempt (it
//! stays visible on its item). On PostgreSQL one node sends at a time (an advisory
//! lock), so no message goes out twice from two nodes.

use std::sync::Arc;
use std::time::Duration;

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use switchboard_core::outbox::{DueOutbound, RetryPolicy};
use switchboard_core::store::Store;
use tokio::sync::Notify;

use super::relay_in_force::RelayInForce;
use super::settings::{Security, SmtpRelay};
use crate::advisory_lock::{self, AdvisoryLock};

/// How often due retries are looked for when nothing new was queued.
const TICK: Duration = Duration::from_secs(1);
/// The most messages taken per round.
const BATCH: i64 = 50;

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// Sends the outbox for the life of the process through the relay in force; `queued` wakes it
/// when a message is queued.
pub async fn run(
    store: Arc<dyn Store>,
    relay: impl Into<RelayInForce>,
    queued: Arc<Notify>,
    lock_url: Option<String>,
) {
    let mut relay = relay.into().subscribe();
    let mut sender = Sender::of(&relay.borrow_and_update());
    loop {
        let mut lock = match &lock_url {
            Some(url) => match AdvisoryLock::acquire(url, advisory_lock::key_for("outbox")).await {
                Ok(lock) => Some(lock),
                Err(error) => {
                    tracing::warn!(%error, "cannot take the outbox lock");
                    tokio::time::sleep(advisory_lock::RETRY).await;
                    continue;
                }
            },
            None => None,
        };
        loop {
            if let Some(lock) = lock.as_mut()
                && let Err(error) = lock.check().await
            {
                tracing::warn!(%error, "outbox lock lost");
                break;
            }
            if relay.has_changed().unwrap_or(false) {
                sender = Sender::of(&relay.borrow_and_update());
                tracing::info!("outbox sends through the relay now in force");
            }
            if let Some(Sender { transport, policy }) = &sender
                && let Err(error) = send_due(store.as_ref(), transport, policy).await
            {
                tracing::warn!(error = %error, "outbox round failed");
            }
            tokio::select! {
                _ = queued.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
        }
    }
}

/// The connection and retry policy of one relay.
struct Sender {
    transport: Transport,
    policy: RetryPolicy,
}

impl Sender {
    /// The sender for `relay`; `None` (messages stay queued) when it is misconfigured.
    fn of(relay: &SmtpRelay) -> Option<Self> {
        match transport(relay) {
            Ok(transport) => Some(Self {
                transport,
                policy: relay.retry_policy(),
            }),
            Err(error) => {
                tracing::error!(error = %error, "smtp relay misconfigured; replies stay queued");
                None
            }
        }
    }
}

/// Sends every message due now; returns how many the relay accepted.
pub async fn send_due(
    store: &dyn Store,
    transport: &Transport,
    policy: &RetryPolicy,
) -> switchboard_core::error::CoreResult<usize> {
    let due = store.due_outbound(chrono::Utc::now(), BATCH).await?;
    let mut sent = 0;
    for message in due {
        let attempt = message.attempts + 1;
        match send(transport, &message).await {
            Ok(()) => {
                store.outbound_sent(message.id, chrono::Utc::now()).await?;
                tracing::info!(outbound = %message.id.get(), item = %message.item, attempt, "mail sent");
                sent += 1;
            }
            Err(error) => {
                let now = chrono::Utc::now();
                let retry_at = policy.next_attempt(attempt, now);
                tracing::warn!(
                    outbound = %message.id.get(),
                    item = %message.item,
                    attempt,
                    error = %error,
                    gives_up = retry_at.is_none(),
                    "mail not sent"
                );
                store
                    .outbound_attempt_failed(message.id, &error, retry_at, now)
                    .await?;
            }
        }
    }
    Ok(sent)
}

async fn send(transport: &Transport, message: &DueOutbound) -> Result<(), String> {
    let from: Address = message
        .mail_from
        .parse()
        .map_err(|error| format!("bad sender address: {error}"))?;
    let recipients = message
        .recipients
        .iter()
        .map(|address| address.parse::<Address>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| format!("bad recipient address: {error}"))?;
    let envelope =
        Envelope::new(Some(from), recipients).map_err(|error| format!("bad envelope: {error}"))?;
    transport
        .send_raw(&envelope, &message.raw)
        .await
        .map(|_| ())
        .map_err(|error| error.to_string())
}

/// The relay connection with the configured security and login.
pub fn transport(relay: &SmtpRelay) -> Result<Transport, lettre::transport::smtp::Error> {
    let builder = match relay.security {
        Security::Tls => Transport::relay(&relay.host)?,
        Security::Starttls => Transport::starttls_relay(&relay.host)?,
        Security::Plain => Transport::builder_dangerous(&relay.host),
    };
    let builder = builder
        .port(relay.port())
        .timeout(Some(Duration::from_secs(60)));
    let builder = match (&relay.user, &relay.password) {
        (Some(user), Some(password)) => {
            builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()))
        }
        _ => builder,
    };
    Ok(builder.build())
}
