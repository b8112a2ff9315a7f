//! Channel settings an admin edits while serving (admin role): the IMAP accounts read, the
//! SMTP relay replies go out through (a list of exactly one entry) and the watched folders
//! scanned (fax gateways, scanners and mail drops among them), saved in the database over the
//! configuration file's. The node behind the [`ChannelSettingsEditor`] port checks them (a
//! mailbox is logged in to and its folder selected, the relay is connected to and logged in
//! to, a folder must exist and be readable), saves them and puts them in force without a
//! restart. Passwords are write-only: never returned, never logged, never audited; a missing or
//! empty one keeps the password saved for the entry of the same name (for the relay: the
//! relay's).
//!
//! `GET /api/v1/channel-settings/{list}` shows a list (`imap`, `smtp` or `watch`) and where it
//! comes from; `PUT` with `{"entries": [...]}` replaces it, with `{"use_file": true}` returns to
//! the configuration file's. Every change is audited (`channel.imap_changed`,
//! `channel.smtp_changed`, `channel.watch_changed`) with the entries' names, never a secret.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use switchboard_core::CoreError;
use switchboard_core::error::CoreResult;
use switchboard_core::event::NewEvent;

use crate::auth::{AdminRole, Authed, Identity};
use crate::error::{ApiError, FieldProblem};
use crate::routes::RouteDef;
use crate::state::AppState;

/// Which list of channel settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelList {
    /// `[[mail.imap]]`: the mailboxes read.
    Imap,
    /// `[mail.smtp]`: the relay replies go out through (one entry).
    Smtp,
    /// `[[watch]]`: the folders scanned.
    Watch,
}

/// How a field is typed in the admin's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldInput {
    /// Free text.
    Text,
    /// A whole number.
    Number,
    /// One of the listed values.
    Choice(&'static [&'static str]),
    /// On or off.
    Checkbox,
    /// A secret: the form never shows it, empty keeps the saved one.
    Password,
}

/// One field of an entry: its name (as in the configuration file) and input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The field's name, e.g. `host`.
    pub name: &'static str,
    /// How it is typed.
    pub input: FieldInput,
}

const fn field(name: &'static str, input: FieldInput) -> FieldSpec {
    FieldSpec { name, input }
}

/// How a mail connection is secured (IMAP and SMTP alike).
const CONNECTION_SECURITY: FieldInput = FieldInput::Choice(&["tls", "starttls", "plain"]);

const IMAP_FIELDS: &[FieldSpec] = &[
    field("name", FieldInput::Text),
    field("host", FieldInput::Text),
    field("port", FieldInput::Number),
    field("security", CONNECTION_SECURITY),
    field("user", FieldInput::Text),
    field("password", FieldInput::Password),
    field("folder", FieldInput::Text),
    field("processed_flag", FieldInput::Text),
    field("move_to", FieldInput::Text),
    field("poll_seconds", FieldInput::Number),
    field("fetch_batch", FieldInput::Number),
    field("acknowledge", FieldInput::Checkbox),
];

const SMTP_FIELDS: &[FieldSpec] = &[
    field("host", FieldInput::Text),
    field("port", FieldInput::Number),
    field("security", CONNECTION_SECURITY),
    field("user", FieldInput::Text),
    field("password", FieldInput::Password),
    field("from", FieldInput::Text),
    field("from_name", FieldInput::Text),
    field("max_attempts", FieldInput::Number),
    field("first_retry_seconds", FieldInput::Number),
    field("max_retry_seconds", FieldInput::Number),
];

const WATCH_FIELDS: &[FieldSpec] = &[
    field("path", FieldInput::Text),
    field(
        "channel",
        FieldInput::Choice(&["email", "fax", "letter", "voicemail"]),
    ),
    field("settle_seconds", FieldInput::Number),
    field("poll_seconds", FieldInput::Number),
];

impl ChannelList {
    /// Every list, in page order.
    pub const ALL: [Self; 3] = [Self::Imap, Self::Smtp, Self::Watch];

    /// The list's name in paths and audit events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Imap => "imap",
            Self::Smtp => "smtp",
            Self::Watch => "watch",
        }
    }

    /// Whether the list holds exactly one entry (the relay) rather than any number.
    pub fn is_single(self) -> bool {
        self == Self::Smtp
    }

    /// The list named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|list| list.as_str() == name)
    }

    /// An entry's fields, in form order.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Self::Imap => IMAP_FIELDS,
            Self::Smtp => SMTP_FIELDS,
            Self::Watch => WATCH_FIELDS,
        }
    }

    /// The field that names an entry (an entry without it is left out of a form).
    pub fn key_field(self) -> &'static str {
        self.fields()[0].name
    }

    /// The audit action of a change to this list.
    pub fn audit_action(self) -> &'static str {
        match self {
            Self::Imap => "channel.imap_changed",
            Self::Smtp => "channel.smtp_changed",
            Self::Watch => "channel.watch_changed",
        }
    }
}

/// One entry's fields as text, by field name (secrets absent unless typed).
pub type Entry = BTreeMap<String, String>;

/// One entry as shown: its fields without secrets, and whether its secret is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ShownEntry {
    /// Field name and value, secrets left out.
    pub fields: Entry,
    /// Whether a password is saved for it.
    pub password_set: bool,
}

/// A list as shown, and whether an admin's saved list is in force over the file's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ShownList {
    /// The entries in force.
    pub entries: Vec<ShownEntry>,
    /// `true`: saved by an admin; `false`: the configuration file's.
    pub saved: bool,
}

/// Why one field of one entry is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryProblem {
    /// The entry, counted from 1.
    pub entry: usize,
    /// The field, e.g. `port`.
    pub field: String,
    /// Why, for the admin.
    pub reason: String,
}

/// The serving node's channel settings: shows them, checks, saves and puts them in force.
#[async_trait::async_trait]
pub trait ChannelSettingsEditor: Send + Sync {
    /// Whether this node edits `list` (the relay only where replies are sent).
    fn offers(&self, list: ChannelList) -> bool;

    /// The list in force, without secret values.
    async fn shown(&self, list: ChannelList) -> CoreResult<ShownList>;

    /// Checks `entries`, saves them over the file's and restarts the affected workers; refused
    /// entries are returned with their problems and nothing is saved.
    async fn save(
        &self,
        list: ChannelList,
        entries: Vec<Entry>,
    ) -> CoreResult<Result<(), Vec<EntryProblem>>>;

    /// Returns to the configuration file's list and restarts the affected workers.
    async fn use_file(&self, list: ChannelList) -> CoreResult<()>;
}

/// The change an admin asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListChange {
    /// Replace the list with these entries.
    Entries(Vec<Entry>),
    /// Return to the configuration file's list.
    UseFile,
}

/// The editor of this node for `list`, or 404 when it does not edit that list.
pub fn editor(state: &AppState, list: ChannelList) -> Result<&dyn ChannelSettingsEditor, ApiError> {
    state
        .channel_settings
        .as_deref()
        .filter(|editor| editor.offers(list))
        .ok_or_else(|| {
            CoreError::not_found(format!("{} channel settings on this node", list.as_str())).into()
        })
}

/// Applies `change` to `list` and audits it (names of the entries, never a secret); refused
/// entries come back with their problems.
pub async fn change_list(
    state: &AppState,
    caller: &Identity,
    list: ChannelList,
    change: ListChange,
) -> Result<Result<(), Vec<EntryProblem>>, ApiError> {
    let editor = editor(state, list)?;
    let details = match change {
        ListChange::UseFile => {
            editor.use_file(list).await?;
            serde_json::json!({ "list": list.as_str(), "source": "file" })
        }
        ListChange::Entries(entries) => {
            let names: Vec<String> = entries
                .iter()
                .map(|entry| entry.get(list.key_field()).cloned().unwrap_or_default())
                .collect();
            if let Err(problems) = editor.save(list, entries).await? {
                return Ok(Err(problems));
            }
            serde_json::json!({ "list": list.as_str(), "source": "admin", "entries": names })
        }
    };
    state
        .store
        .record_event(&NewEvent {
            at: state.clock.now(),
            actor: caller.actor.clone(),
            action: list.audit_action().to_owned(),
            item_id: None,
            details,
        })
        .await?;
    Ok(Ok(()))
}

/// Registers the channel-settings routes.
pub fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/channel-settings/{list}", show),
        RouteDef::put("/channel-settings/{list}", replace),
    ]
}

fn list_of(name: &str) -> Result<ChannelList, ApiError> {
    ChannelList::parse(name).ok_or_else(|| {
        CoreError::not_found(format!("channel settings {name:?} (imap, smtp or watch)")).into()
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/channel-settings/{list}",
    tag = "admin",
    summary = "IMAP accounts, SMTP relay or watched folders in force, without passwords",
    params(("list" = String, Path, description = "imap, smtp or watch")),
    responses((status = 200, description = "the list", body = Object), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "no such list on this node")),
    security(("bearer" = []))
)]
async fn show(
    _caller: Authed<AdminRole>,
    list: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let list = list_of(&list)?;
    Ok(HttpResponse::Ok().json(editor(&state, list)?.shown(list).await?))
}

/// A replacement list, or a return to the file's.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Replacement {
    /// The entries, with the configuration file's field names.
    #[schema(value_type = Option<Vec<Object>>)]
    entries: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    /// Returns to the configuration file's list.
    #[serde(default)]
    use_file: bool,
}

/// An entry of JSON scalars as the text fields the editor takes.
fn entry_of(
    position: usize,
    object: serde_json::Map<String, serde_json::Value>,
) -> Result<Entry, FieldProblem> {
    object
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                serde_json::Value::String(text) => text,
                serde_json::Value::Number(number) => number.to_string(),
                serde_json::Value::Bool(flag) => flag.to_string(),
                serde_json::Value::Null => String::new(),
                _ => {
                    return Err(FieldProblem {
                        line: Some(position as u64 + 1),
                        field: Some(name),
                        reason: "a text, number or true/false".into(),
                    });
                }
            };
            Ok((name, text))
        })
        .collect()
}

/// The problems as the API reports them: entry (as `line`), field, reason.
fn refused(problems: Vec<EntryProblem>) -> ApiError {
    let problems = problems
        .into_iter()
        .map(|problem| FieldProblem {
            line: Some(problem.entry as u64),
            field: Some(problem.field),
            reason: problem.reason,
        })
        .collect();
    ApiError::with_problems("channel settings refused; nothing was changed", problems)
}

#[utoipa::path(
    put,
    path = "/api/v1/channel-settings/{list}",
    tag = "admin",
    summary = "Replace the IMAP accounts, SMTP relay or watched folders (checked, saved over the file's), or return to the file's",
    params(("list" = String, Path, description = "imap, smtp or watch")),
    request_body = Replacement,
    responses((status = 204, description = "saved and in force"), (status = 400, description = "refused, with a problem per entry and field"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it"), (status = 404, description = "no such list on this node")),
    security(("bearer" = []))
)]
async fn replace(
    caller: Authed<AdminRole>,
    list: web::Path<String>,
    body: web::Json<Replacement>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let list = list_of(&list)?;
    let Replacement { entries, use_file } = body.into_inner();
    let change = match (entries, use_file) {
        (None, true) => ListChange::UseFile,
        (Some(entries), false) => {
            let mut converted = Vec::with_capacity(entries.len());
            let mut problems = Vec::new();
            for (position, object) in entries.into_iter().enumerate() {
                match entry_of(position, object) {
                    Ok(entry) => converted.push(entry),
                    Err(problem) => problems.push(problem),
                }
            }
            if !problems.is_empty() {
                return Err(ApiError::with_problems(
                    "channel settings refused; nothing was changed",
                    problems,
                ));
            }
            ListChange::Entries(converted)
        }
        _ => {
            return Err(CoreError::BadInput(
                "send either \"entries\" or \"use_file\": true".into(),
            )
            .into());
        }
    };
    change_list(&state, &caller.identity, list, change)
        .await?
        .map_err(refused)?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_named_and_keyed_by_their_first_field() {
        assert_eq!(ChannelList::parse("imap"), Some(ChannelList::Imap));
        assert_eq!(ChannelList::parse("watch"), Some(ChannelList::Watch));
        assert_eq!(ChannelList::parse("smtp"), Some(ChannelList::Smtp));
        assert_eq!(ChannelList::parse("fax"), None);
        assert_eq!(ChannelList::Smtp.key_field(), "host");
        assert!(ChannelList::Smtp.is_single() && !ChannelList::Imap.is_single());
        assert_eq!(ChannelList::Imap.key_field(), "name");
        assert_eq!(ChannelList::Watch.key_field(), "path");
    }

    #[test]
    fn json_scalars_become_text_and_structures_are_refused() {
        let object =
            serde_json::json!({ "port": 993, "acknowledge": true, "host": "imap.example.nl" });
        let serde_json::Value::Object(object) = object else {
            unreachable!()
        };
        let entry = entry_of(0, object).unwrap();
        assert_eq!(entry["port"], "993");
        assert_eq!(entry["acknowledge"], "true");
        let serde_json::Value::Object(nested) = serde_json::json!({ "port": [1] }) else {
            unreachable!()
        };
        let problem = entry_of(2, nested).unwrap_err();
        assert_eq!(problem.line, Some(3));
        assert_eq!(problem.field.as_deref(), Some("port"));
    }
}
