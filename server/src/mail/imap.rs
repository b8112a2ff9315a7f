//! The IMAP source: reads one mailbox folder of an account and feeds every message to the ingest
//! pipeline. A message is marked processed (flagged or moved, per config) only after the
//! pipeline reports it durably landed, so a crash between the two re-reads it, and the pipeline's
//! idempotency makes that re-read a duplicate rather than a second item. New mail is awaited with
//! IDLE where the server offers it, else by polling; lost connections are retried with backoff.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_imap::Session;
use async_imap::extensions::idle::IdleResponse;
use futures_util::stream::FuturesOrdered;
use futures_util::{StreamExt, TryStreamExt};
use switchboard_core::ingest::{BATCHES_IN_FLIGHT, IngestOutcome, Ingestor, RawInput};
use switchboard_core::item::Channel;

use super::compose::Acknowledger;
use super::settings::{ImapAccount, ProcessedAction, Security};
use super::stream::MailStream;
use crate::advisory_lock::{self, AdvisoryLock};
use crate::pipeline::landing;
use crate::stop_signal::StopSignal;

/// The first wait after a failure; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(120);

type ImapSession = Session<MailStream>;

/// Consumes one account's folder for the life of the process. On PostgreSQL (`lock_url`), it
/// first takes the mailbox's advisory lock, so one node consumes each mailbox.
pub async fn run(
    account: ImapAccount,
    ingestor: Arc<dyn Ingestor>,
    acknowledger: Option<Arc<Acknowledger>>,
    lock_url: Option<String>,
) {
    run_until(
        account,
        ingestor,
        acknowledger,
        lock_url,
        StopSignal::never(),
    )
    .await;
}

/// Consumes one account's folder until `stop` is raised: a wait (for mail, the lock, a retry)
/// ends at once, a batch taken from the mailbox is landed and marked first.
pub async fn run_until(
    account: ImapAccount,
    ingestor: Arc<dyn Ingestor>,
    acknowledger: Option<Arc<Acknowledger>>,
    lock_url: Option<String>,
    stop: StopSignal,
) {
    let mut backoff = FIRST_BACKOFF;
    while !stop.is_stopped() {
        let mut opened = false;
        let reader = Reader {
            account: &account,
            ingestor: ingestor.as_ref(),
            acknowledger: acknowledger.as_deref(),
            stop: &stop,
        };
        let error = match consume(&reader, lock_url.as_deref(), &mut opened).await {
            Ok(()) => break,
            Err(error) => error,
        };
        if opened {
            // The connection worked for a while: start the backoff over.
            backoff = FIRST_BACKOFF;
        }
        tracing::warn!(
            mailbox = %account.name,
            error = %format!("{error:#}"),
            retry_in_seconds = backoff.as_secs(),
            "imap connection failed"
        );
        if stop
            .unless_stopped(tokio::time::sleep(backoff))
            .await
            .is_none()
        {
            break;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    tracing::info!(mailbox = %account.name, "imap reader stopped");
}

/// Reads the folder until the connection or the lock fails (an error) or the reader is asked
/// to stop (`Ok`); `opened` tells whether it got as far as selecting the folder.
async fn consume(
    reader: &Reader<'_>,
    lock_url: Option<&str>,
    opened: &mut bool,
) -> anyhow::Result<()> {
    let account = reader.account;
    let stop = reader.stop;
    let mut lock = match lock_url {
        Some(url) => {
            let key = advisory_lock::key_for(&lock_name(account));
            match stop.unless_stopped(AdvisoryLock::acquire(url, key)).await {
                Some(lock) => Some(lock?),
                None => return Ok(()),
            }
        }
        None => None,
    };
    let Some(session) = stop.unless_stopped(connect(account)).await else {
        return Ok(());
    };
    let mut session = session?;
    let capabilities = session.capabilities().await?;
    let can_idle = capabilities.has_str("IDLE");
    let can_move = capabilities.has_str("MOVE");
    session
        .select(&account.folder)
        .await
        .with_context(|| format!("cannot select folder {:?}", account.folder))?;
    *opened = true;
    tracing::info!(mailbox = %account.name, folder = %account.folder, idle = can_idle, "imap mailbox opened");
    let wait = Duration::from_secs(account.poll_seconds.max(1));
    loop {
        if let Some(lock) = lock.as_mut() {
            lock.check().await?;
        }
        take_new_messages(&mut session, reader, can_move).await?;
        if stop.is_stopped() {
            // Nothing is in flight: every message taken is landed and marked.
            let _ = session.logout().await;
            return Ok(());
        }
        let waited = stop
            .unless_stopped(async {
                if can_idle {
                    idle(session, wait).await
                } else {
                    tokio::time::sleep(wait).await;
                    session.noop().await?;
                    Ok(session)
                }
            })
            .await;
        // Stopped while waiting: the connection is simply dropped, nothing was taken.
        let Some(waited) = waited else {
            return Ok(());
        };
        session = waited?;
        while session.unsolicited_responses.try_recv().is_ok() {}
    }
}

/// One mailbox's reader: where messages go, and who acknowledges them.
struct Reader<'a> {
    account: &'a ImapAccount,
    ingestor: &'a dyn Ingestor,
    acknowledger: Option<&'a Acknowledger>,
    /// Asks the reader to stop between batches.
    stop: &'a StopSignal,
}

/// Logs in with the configured security.
pub async fn connect(account: &ImapAccount) -> anyhow::Result<ImapSession> {
    let host = account.host.as_str();
    account.security.check_host(host)?;
    let stream = MailStream::connect(host, account.port())
        .await
        .with_context(|| format!("cannot connect to {host}:{}", account.port()))?;
    let stream = match account.security {
        Security::Tls => stream.into_tls(host).await?,
        Security::Starttls => {
            let mut client = async_imap::Client::new(stream);
            read_greeting(&mut client).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .context("STARTTLS refused")?;
            client.into_inner().into_tls(host).await?
        }
        Security::Plain => stream,
    };
    let greeted = !matches!(account.security, Security::Starttls);
    let mut client = async_imap::Client::new(stream);
    if greeted {
        read_greeting(&mut client).await?;
    }
    client
        .login(&account.user, account.password.expose())
        .await
        .map_err(|(error, _)| anyhow::anyhow!("login as {:?} failed: {error}", account.user))
}

async fn read_greeting(client: &mut async_imap::Client<MailStream>) -> anyhow::Result<()> {
    client
        .read_response()
        .await?
        .map(|_| ())
        .context("the server closed the connection before its greeting")
}

/// Messages fetched and handed to the pipeline at once: enough to write them in one
/// transaction, few enough that a backlog is flagged as it goes (a killed server re-reads at
/// most [`BATCHES_IN_FLIGHT`] chunks, and the mailbox shows progress).
const FETCH_CHUNK: usize = 8;

/// Ingests every message not yet processed, oldest first, a chunk at a time; returns how many
/// it took. The next chunk is fetched and handed over while the one before it is written (up
/// to [`BATCHES_IN_FLIGHT`] chunks). A message is marked processed only once the pipeline has
/// answered for it; at the first one it could not land, the rest of the mailbox stays unmarked
/// for the next pass (a chunk still in progress then is dropped: what it landed is found again
/// as its messages are read again).
async fn take_new_messages(
    session: &mut ImapSession,
    reader: &Reader<'_>,
    can_move: bool,
) -> anyhow::Result<usize> {
    let account = reader.account;
    let mut uids: Vec<u32> = session
        .uid_search(unprocessed_query(&account.processed))
        .await?
        .into_iter()
        .collect();
    uids.sort_unstable();
    let mut in_flight = FuturesOrdered::new();
    for chunk in uids.chunks(FETCH_CHUNK) {
        if reader.stop.is_stopped() {
            // The rest stays unmarked for the reader that follows.
            break;
        }
        // Messages expunged meanwhile are simply missing.
        let fetched = fetch(session, chunk).await?;
        let inputs = fetched
            .iter()
            .map(|(_, raw)| RawInput {
                source: landing::keys(Channel::Email, raw).idem_key,
                raw: raw.clone(),
            })
            .collect();
        let ingested = reader.ingestor.ingest_batch(Channel::Email, inputs);
        in_flight.push_back(async move { (fetched, ingested.await) });
        if in_flight.len() >= BATCHES_IN_FLIGHT
            && let Some((fetched, outcomes)) = in_flight.next().await
        {
            settle(session, reader, &fetched, outcomes, can_move).await?;
        }
    }
    while let Some((fetched, outcomes)) = in_flight.next().await {
        settle(session, reader, &fetched, outcomes, can_move).await?;
    }
    Ok(uids.len())
}

/// Marks the messages of a chunk processed in order as the pipeline answered for them, and
/// has new items acknowledged; stops at the first message that could not be landed.
async fn settle(
    session: &mut ImapSession,
    reader: &Reader<'_>,
    fetched: &[(u32, Vec<u8>)],
    outcomes: Vec<Result<IngestOutcome, switchboard_core::CoreError>>,
    can_move: bool,
) -> anyhow::Result<()> {
    let account = reader.account;
    for ((uid, raw), outcome) in fetched.iter().zip(outcomes) {
        let outcome = outcome.with_context(|| format!("cannot land message uid {uid}"))?;
        tracing::debug!(mailbox = %account.name, uid, outcome = ?outcome, "imap message ingested");
        mark_processed(session, &account.processed, *uid, can_move).await?;
        // Only a new item is acknowledged: a copy on another mailbox is a duplicate.
        if let (Some(acknowledger), IngestOutcome::Ingested { item, .. }) =
            (reader.acknowledger, &outcome)
            && let Err(error) = acknowledger.acknowledge(*item, raw).await
        {
            tracing::warn!(item = %item, error = %error, "acknowledgement not queued");
        }
    }
    Ok(())
}

/// The search for messages not yet taken: with a flag, those without it; with a folder to move
/// to, everything still here.
pub fn unprocessed_query(processed: &ProcessedAction) -> String {
    match processed {
        ProcessedAction::Flag(flag) => match flag.to_ascii_lowercase().as_str() {
            "\\seen" => "UNDELETED UNSEEN".to_owned(),
            "\\flagged" => "UNDELETED UNFLAGGED".to_owned(),
            "\\answered" => "UNDELETED UNANSWERED".to_owned(),
            _ => format!("UNDELETED UNKEYWORD {flag}"),
        },
        ProcessedAction::MoveTo(_) => "UNDELETED".to_owned(),
    }
}

/// Fetches the messages of `uids` in one command, in the order asked.
async fn fetch(session: &mut ImapSession, uids: &[u32]) -> anyhow::Result<Vec<(u32, Vec<u8>)>> {
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let fetched: Vec<_> = session
        .uid_fetch(set, "BODY.PEEK[]")
        .await?
        .try_collect()
        .await?;
    Ok(uids
        .iter()
        .filter_map(|&uid| {
            fetched
                .iter()
                .find(|message| message.uid == Some(uid))
                .and_then(|message| message.body())
                .map(|body| (uid, body.to_vec()))
        })
        .collect())
}

async fn mark_processed(
    session: &mut ImapSession,
    processed: &ProcessedAction,
    uid: u32,
    can_move: bool,
) -> anyhow::Result<()> {
    let uid = uid.to_string();
    match processed {
        ProcessedAction::Flag(flag) => {
            let _: Vec<_> = session
                .uid_store(&uid, format!("+FLAGS.SILENT ({flag})"))
                .await?
                .try_collect()
                .await?;
        }
        ProcessedAction::MoveTo(folder) if can_move => session.uid_mv(&uid, folder).await?,
        ProcessedAction::MoveTo(folder) => {
            session.uid_copy(&uid, folder).await?;
            let _: Vec<_> = session
                .uid_store(&uid, "+FLAGS.SILENT (\\Deleted)")
                .await?
                .try_collect()
                .await?;
            let _: Vec<_> = session.expunge().await?.try_collect().await?;
        }
    }
    Ok(())
}

/// Waits in IDLE until the server reports a change or `wait` passes.
async fn idle(session: ImapSession, wait: Duration) -> anyhow::Result<ImapSession> {
    let mut handle = session.idle();
    handle.init().await?;
    let response = {
        let (waiting, _stop) = handle.wait_with_timeout(wait);
        waiting.await?
    };
    if let IdleResponse::NewData(data) = &response {
        tracing::trace!(response = ?data.parsed(), "imap idle woke");
    }
    Ok(handle.done().await?)
}

/// The name of a mailbox's consumer lock: one account folder on one server.
fn lock_name(account: &ImapAccount) -> String {
    format!(
        "imap:{}:{}:{}:{}",
        account.host,
        account.port(),
        account.user,
        account.folder
    )
}
