//! The audit log (`/audit`, leads and admins, read only): who did what when, newest first,
//! filtered by kind (an action or its family, e.g. `user.`), actor (a login, `system`, or
//! `token:NAME`) and dates (UTC, both inclusive), fifty to a page with a link to older ones.
//! Details are shown as escaped, shortened JSON text.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use switchboard_core::admin::AuditQuery;
use switchboard_core::event::{Actor, AuditEvent};
use switchboard_core::{EventId, WorkItemId};

use super::audit::ActorNames;
use crate::auth::{Authed, LeadRole};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::page::{Chrome, render};

/// Events to a page.
const PAGE_SIZE: u32 = 50;
/// The most characters of an event's details the list shows.
const DETAIL_CHARS: usize = 300;
/// Families of actions offered as kinds (any prefix may be typed).
const KINDS: &[&str] = &[
    "agent.",
    "api_token.",
    "channel.",
    "customer.",
    "item.",
    "queue.",
    "rules.",
    "sla.",
    "user.",
];

/// The filter as the form sends it.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Filter {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    before: Option<i64>,
}

/// One event as the list shows it.
struct EventRow {
    id: EventId,
    at: String,
    actor: String,
    action: String,
    item: Option<WorkItemId>,
    details: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    chrome: Chrome<'a>,
    filter: Filter,
    kinds: &'static [&'static str],
    events: Vec<EventRow>,
    /// The query string of the next (older) page, when there may be one.
    older: Option<String>,
    /// Filter fields that could not be read, each with why.
    problems: Vec<(&'static str, String)>,
}

/// A date of the form, or the problem with it.
fn date(field: &'static str, raw: &str) -> Result<Option<NaiveDate>, (&'static str, String)> {
    match raw.trim() {
        "" => Ok(None),
        text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| (field, format!("{text:?} is not a date (YYYY-MM-DD)"))),
    }
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Whether `kind` can be an action prefix (lower-case letters, digits, `.` and `_`).
fn is_kind(kind: &str) -> bool {
    kind.len() <= 64
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_'))
}

/// The actor the filter names: `system`, `token:NAME`, or a user's login.
fn actor_of(names: &ActorNames, raw: &str) -> Result<Option<Actor>, (&'static str, String)> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw == "system" {
        return Ok(Some(Actor::System));
    }
    if let Some(name) = raw.strip_prefix("token:") {
        return Ok(Some(Actor::Token {
            name: name.trim().to_owned(),
        }));
    }
    match names.user_with_login(raw) {
        Some(id) => Ok(Some(Actor::User { id })),
        None => Err(("actor", format!("there is no user {raw:?}"))),
    }
}

/// The store query of a filter, or every field's problem.
fn query_of(
    names: &ActorNames,
    filter: &Filter,
) -> Result<AuditQuery, Vec<(&'static str, String)>> {
    let mut problems = Vec::new();
    let kind = filter.kind.trim();
    if !is_kind(kind) {
        problems.push(("kind", format!("{kind:?} is not an action or family")));
    }
    let actor = actor_of(names, &filter.actor)
        .map_err(|problem| problems.push(problem))
        .ok()
        .flatten();
    let from = date("from", &filter.from)
        .map_err(|problem| problems.push(problem))
        .ok()
        .flatten();
    let to = date("to", &filter.to)
        .map_err(|problem| problems.push(problem))
        .ok()
        .flatten();
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(AuditQuery {
        action_prefix: (!kind.is_empty()).then(|| kind.to_owned()),
        actor,
        from: from.map(start_of),
        until: to.and_then(|day| day.succ_opt()).map(start_of),
        before: filter.before.map(EventId::new),
        limit: PAGE_SIZE,
    })
}

/// The details of an event as short text.
fn shortened(details: &serde_json::Value) -> String {
    if details.is_null() {
        return String::new();
    }
    let text = details.to_string();
    match text.char_indices().nth(DETAIL_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn row_of(event: AuditEvent, names: &ActorNames) -> EventRow {
    EventRow {
        id: event.id,
        at: crate::ui::clock::second(event.at),
        actor: names.of(&event.actor),
        details: shortened(&event.details),
        action: event.action,
        item: event.item_id,
    }
}

/// The query string of the page after `last` with the same filter.
fn older_than(filter: &Filter, last: EventId) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("kind", filter.kind.trim())
        .append_pair("actor", filter.actor.trim())
        .append_pair("from", filter.from.trim())
        .append_pair("to", filter.to.trim())
        .append_pair("before", &last.to_string())
        .finish()
}

/// `GET /audit`.
pub(super) async fn page(
    _caller: Authed<LeadRole>,
    request: HttpRequest,
    filter: web::Query<Filter>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let filter = filter.into_inner();
    let names = ActorNames::load(&state).await?;
    let (events, problems) = match query_of(&names, &filter) {
        Ok(query) => (state.store.audit_events(&query).await?, Vec::new()),
        Err(problems) => (Vec::new(), problems),
    };
    let full_page = events.len() == PAGE_SIZE as usize;
    let older = events
        .last()
        .filter(|_| full_page)
        .map(|last| older_than(&filter, last.id));
    render(&AuditPage {
        chrome: Chrome::of(&request, &state, "audit"),
        kinds: KINDS,
        events: events
            .into_iter()
            .map(|event| row_of(event, &names))
            .collect(),
        older,
        problems,
        filter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_cut_on_a_character_boundary() {
        let long = serde_json::json!({ "note": "é".repeat(400) });
        let text = shortened(&long);
        assert_eq!(text.chars().count(), DETAIL_CHARS + 1);
        assert!(text.ends_with('…'));
        assert_eq!(shortened(&serde_json::Value::Null), "");
        assert_eq!(shortened(&serde_json::json!({"a": 1})), "{\"a\":1}");
    }

    #[test]
    fn kinds_are_action_prefixes_and_dates_are_days() {
        assert!(is_kind("user.") && is_kind("api_token.created") && is_kind(""));
        assert!(!is_kind("user' OR 1") && !is_kind("User."));
        assert_eq!(
            date("from", "2026-12-05").unwrap().map(start_of),
            Some(chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 5, 0, 0, 0).unwrap())
        );
        assert!(date("to", "05-12-2026").is_err());
        let next = older_than(
            &Filter {
                kind: "user.".into(),
                actor: "anna & co".into(),
                ..Filter::default()
            },
            EventId::new(42),
        );
        assert_eq!(next, "kind=user.&actor=anna+%26+co&from=&to=&before=42");
    }
}
