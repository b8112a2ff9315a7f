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
use super::settings::{ImapAccount, MAX_FETCH_BATCH, ProcessedAction, Security};
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

/// Ingests every message not yet processed, oldest first, a chunk of the account's
/// `fetch_batch` at a time; returns how many it took. The next chunk is fetched and handed
/// over while the one before it is written (up to [`BATCHES_IN_FLIGHT`] chunks). A message is
/// marked processed only once the pipeline has answered for it (a chunk's answered messages
/// with one command); at the first one it could not land, the rest of the mailbox stays
/// unmarked for the next pass (a chunk still in progress then is dropped: what it landed is
/// found again as its messages are read again). A killed server re-reads at most
/// [`BATCHES_IN_FLIGHT`] chunks.
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
    let sized = sizes(session, &uids).await?;
    let mut in_flight = FuturesOrdered::new();
    for chunk in fetch_chunks(&sized, account.fetch_batch, FETCH_BYTES) {
        if reader.stop.is_stopped() {
            // The rest stays unmarked for the reader that follows.
            break;
        }
        // Messages expunged meanwhile are simply missing.
        let fetched = fetch(session, &chunk).await?;
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

/// Has a chunk's new items acknowledged and marks its messages processed up to the first one
/// the pipeline could not land (with one command); then reports that message, if any.
async fn settle(
    session: &mut ImapSession,
    reader: &Reader<'_>,
    fetched: &[(u32, Vec<u8>)],
    outcomes: Vec<Result<IngestOutcome, switchboard_core::CoreError>>,
    can_move: bool,
) -> anyhow::Result<()> {
    let account = reader.account;
    let (answered, unlanded) = answered_prefix(fetched, outcomes);
    // Acknowledged before marking: a message read again after a lost connection is a
    // duplicate, which is never acknowledged.
    for (uid, raw, outcome) in &answered {
        tracing::debug!(mailbox = %account.name, uid, outcome = ?outcome, "imap message ingested");
        // Only a new item is acknowledged: a copy on another mailbox is a duplicate.
        if let (Some(acknowledger), IngestOutcome::Ingested { item, .. }) =
            (reader.acknowledger, outcome)
            && let Err(error) = acknowledger.acknowledge(*item, raw).await
        {
            tracing::warn!(item = %item, error = %error, "acknowledgement not queued");
        }
    }
    let uids: Vec<u32> = answered.iter().map(|(uid, _, _)| *uid).collect();
    mark_processed(session, &account.processed, &uids, can_move).await?;
    unlanded.map_or(Ok(()), Err)
}

/// A fetched message the pipeline answered for: its uid, bytes and outcome.
type Answered<'a> = (u32, &'a [u8], IngestOutcome);

/// A chunk's messages with their outcomes up to the first one the pipeline could not land, and
/// the error naming that one.
fn answered_prefix(
    fetched: &[(u32, Vec<u8>)],
    outcomes: Vec<Result<IngestOutcome, switchboard_core::CoreError>>,
) -> (Vec<Answered<'_>>, Option<anyhow::Error>) {
    let mut answered = Vec::with_capacity(fetched.len());
    for ((uid, raw), outcome) in fetched.iter().zip(outcomes) {
        match outcome {
            Ok(outcome) => answered.push((*uid, raw.as_slice(), outcome)),
            Err(error) => {
                let error =
                    anyhow::Error::new(error).context(format!("cannot land message uid {uid}"));
                return (answered, Some(error));
            }
        }
    }
    (answered, None)
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

/// Bytes of messages fetched at once, at most (a single larger message is fetched alone): with
/// [`BATCHES_IN_FLIGHT`] chunks in memory, a mailbox of large scans cannot exhaust it.
const FETCH_BYTES: u64 = 32 * 1024 * 1024;

/// The sizes of the messages of `uids` (sorted), in one command; a message the server gives
/// no size for counts as empty, and one expunged meanwhile is missing.
async fn sizes(session: &mut ImapSession, uids: &[u32]) -> anyhow::Result<Vec<(u32, u32)>> {
    if uids.is_empty() {
        return Ok(Vec::new());
    }
    let fetched: Vec<_> = session
        .uid_fetch(uid_set(uids), "RFC822.SIZE")
        .await?
        .try_collect()
        .await?;
    let mut sized: Vec<(u32, u32)> = fetched
        .iter()
        .filter_map(|message| Some((message.uid?, message.size.unwrap_or(0))))
        .filter(|(uid, _)| uids.binary_search(uid).is_ok())
        .collect();
    sized.sort_unstable();
    sized.dedup_by_key(|(uid, _)| *uid);
    Ok(sized)
}

/// Cuts `sized` messages (in order) into the chunks fetched and handed over at once: at most
/// `fetch_batch` messages (within 1 to [`MAX_FETCH_BATCH`]) and `max_bytes` each, and at least
/// one message.
fn fetch_chunks(sized: &[(u32, u32)], fetch_batch: usize, max_bytes: u64) -> Vec<Vec<u32>> {
    let most = fetch_batch.clamp(1, MAX_FETCH_BATCH);
    let mut chunks: Vec<Vec<u32>> = Vec::new();
    let mut bytes = 0;
    for &(uid, size) in sized {
        let size = u64::from(size);
        match chunks.last_mut() {
            Some(chunk) if chunk.len() < most && bytes + size <= max_bytes => {
                chunk.push(uid);
                bytes += size;
            }
            _ => {
                chunks.push(vec![uid]);
                bytes = size;
            }
        }
    }
    chunks
}

/// Fetches the messages of `uids` in one command, in the order asked.
async fn fetch(session: &mut ImapSession, uids: &[u32]) -> anyhow::Result<Vec<(u32, Vec<u8>)>> {
    let set = uid_set(uids);
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

/// `uids` (sorted) as an IMAP sequence set, runs written as ranges (`4,7:9`), so a long
/// backlog stays a short command.
fn uid_set(uids: &[u32]) -> String {
    let mut set = String::new();
    let mut rest = uids.iter().copied().peekable();
    while let Some(first) = rest.next() {
        let mut last = first;
        while let Some(next) = rest.next_if(|&next| Some(next) == last.checked_add(1)) {
            last = next;
        }
        if !set.is_empty() {
            set.push(',');
        }
        set.push_str(&first.to_string());
        if last != first {
            set.push(':');
            set.push_str(&last.to_string());
        }
    }
    set
}

/// Marks the messages of `uids` processed, as the account says, with one command (or, moving
/// without the MOVE extension, three).
async fn mark_processed(
    session: &mut ImapSession,
    processed: &ProcessedAction,
    uids: &[u32],
    can_move: bool,
) -> anyhow::Result<()> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uid_set(uids);
    match processed {
        ProcessedAction::Flag(flag) => {
            let _: Vec<_> = session
                .uid_store(&set, format!("+FLAGS.SILENT ({flag})"))
                .await?
                .try_collect()
                .await?;
        }
        ProcessedAction::MoveTo(folder) if can_move => session.uid_mv(&set, folder).await?,
        ProcessedAction::MoveTo(folder) => {
            session.uid_copy(&set, folder).await?;
            let _: Vec<_> = session
                .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
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

#[cfg(test)]
mod tests {
    use switchboard_core::{CoreError, WorkItemId};

    use super::*;

    #[test]
    fn a_chunk_is_answered_up_to_the_first_message_that_could_not_land() {
        let fetched: Vec<(u32, Vec<u8>)> = [4, 7, 9, 12]
            .into_iter()
            .map(|uid| (uid, format!("message {uid}").into_bytes()))
            .collect();
        let item = |id| {
            Ok(IngestOutcome::Ingested {
                item: WorkItemId::new(id),
                noise: None,
            })
        };
        let outcomes = vec![
            item(1),
            Ok(IngestOutcome::Duplicate {
                item: WorkItemId::new(1),
            }),
            Err(CoreError::Internal("disk full".into())),
            item(2),
        ];
        let (answered, unlanded) = answered_prefix(&fetched, outcomes);
        let uids: Vec<u32> = answered.iter().map(|(uid, _, _)| *uid).collect();
        assert_eq!(uids, [4, 7]);
        assert_eq!(answered[1].1, b"message 7");
        let unlanded = format!("{:#}", unlanded.unwrap());
        assert!(
            unlanded.contains("uid 9") && unlanded.contains("disk full"),
            "{unlanded}"
        );

        let (answered, unlanded) = answered_prefix(&fetched[..2], vec![item(3), item(4)]);
        assert_eq!(answered.len(), 2);
        assert!(unlanded.is_none());
    }

    #[test]
    fn uid_sets_write_runs_as_ranges() {
        assert_eq!(uid_set(&[4, 7, 8, 9, 12]), "4,7:9,12");
        assert_eq!(uid_set(&[12]), "12");
        assert_eq!(uid_set(&[1, 2]), "1:2");
        assert_eq!(
            uid_set(&[u32::MAX - 1, u32::MAX]),
            format!("{}:{}", u32::MAX - 1, u32::MAX)
        );
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn chunks_hold_at_most_the_batch_and_the_bytes_and_never_nothing() {
        let sized: Vec<(u32, u32)> = (1..=7).map(|uid| (uid, 10)).collect();
        assert_eq!(
            fetch_chunks(&sized, 3, 1_000),
            vec![vec![1, 2, 3], vec![4, 5, 6], vec![7]]
        );
        // Bytes cut first; a message larger than the limit goes alone.
        let sized = [(1, 10), (2, 15), (3, 100), (4, 5), (5, 5)];
        assert_eq!(
            fetch_chunks(&sized, 50, 30),
            vec![vec![1, 2], vec![3], vec![4, 5]]
        );
        // The batch is kept within 1 to MAX_FETCH_BATCH.
        assert_eq!(fetch_chunks(&sized[..2], 0, 1_000), vec![vec![1], vec![2]]);
        let many: Vec<(u32, u32)> = (1..=1_000).map(|uid| (uid, 0)).collect();
        assert_eq!(
            fetch_chunks(&many, usize::MAX, 1_000)[0].len(),
            MAX_FETCH_BATCH
        );
        assert!(fetch_chunks(&[], 8, 1_000).is_empty());
    }
}
