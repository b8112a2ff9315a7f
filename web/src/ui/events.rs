//! `GET /ui/events`: Server-Sent Events that tell the agent's page when their offers or owned
//! items change. The stream polls the agent's work list every second and sends `changed` when
//! it differs from what the page was rendered with (the page then reloads). The lead board's
//! stream (`/lead/events`) is the same [`change_stream`] over the board's figures.
//! A stream ends after ten minutes; the browser's `EventSource` reconnects by itself.

use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures_util::stream;
use switchboard_core::error::CoreResult;
use switchboard_core::work::MyWork;

use super::work::user_of;
use crate::auth::{AgentRole, Authed};
use crate::error::ApiError;
use crate::state::AppState;

const POLL: Duration = Duration::from_secs(1);
const POLLS_PER_STREAM: u32 = 600;
const KEEPALIVE_EVERY: u32 = 15;

/// What the stream says after one poll.
fn message(changed: bool, poll: u32) -> Option<&'static str> {
    if changed {
        Some("event: changed\ndata: {}\n\n")
    } else if poll.is_multiple_of(KEEPALIVE_EVERY) {
        Some(": keepalive\n\n")
    } else {
        None
    }
}

/// `GET /ui/events`.
pub(super) async fn stream(
    caller: Authed<AgentRole>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let agent = user_of(&caller.identity)?;
    let first: MyWork = state.store.my_work(agent).await?;
    Ok(change_stream(first, move || {
        let state = state.clone();
        async move { state.store.my_work(agent).await }
    }))
}

/// An event stream that polls `current` every second and sends `changed` when its answer
/// differs from the one before (starting from `first`), with keepalives in between.
pub(super) fn change_stream<T, Poll, Answer>(first: T, current: Poll) -> HttpResponse
where
    T: PartialEq + 'static,
    Poll: Fn() -> Answer + 'static,
    Answer: Future<Output = CoreResult<T>> + 'static,
{
    let current = std::rc::Rc::new(current);
    let events = stream::unfold((first, 0_u32), move |(seen, poll)| {
        let current = current.clone();
        async move {
            let mut seen = seen;
            let mut poll = poll;
            loop {
                if poll >= POLLS_PER_STREAM {
                    return None;
                }
                tokio::time::sleep(POLL).await;
                poll += 1;
                let now = match current().await {
                    Ok(now) => now,
                    Err(error) => {
                        tracing::warn!(%error, "live updates stopped");
                        return None;
                    }
                };
                let changed = now != seen;
                seen = now;
                if let Some(text) = message(changed, poll) {
                    let chunk = web::Bytes::from_static(text.as_bytes());
                    return Some((Ok::<_, actix_web::Error>(chunk), (seen, poll)));
                }
            }
        }
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_announced_and_quiet_streams_kept_alive() {
        assert_eq!(message(true, 3), Some("event: changed\ndata: {}\n\n"));
        assert_eq!(message(false, 3), None);
        assert_eq!(message(false, KEEPALIVE_EVERY), Some(": keepalive\n\n"));
    }
}
