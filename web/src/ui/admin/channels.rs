//! Channels (`/admin/channels`): the IMAP mailboxes, the SMTP relay, the voicemail webhook and
//! the watched folders. On a node that runs channel workers, the IMAP accounts and watched
//! folders (and the SMTP relay, where replies are sent) are edited here ([`super::channel_lists`]), saved over the configuration file's and
//! put in force without a restart. The other settings live in the configuration file and
//! environment, shown read-only; a secret is shown as set or not set, never its value (the
//! overview never holds one). The voicemail webhook's secret can be replaced here, write-only
//! (`POST /admin/channels/webhook-secret`): the form never shows a secret, an empty field keeps
//! the one in force, and a saved secret (the `settings` row `voicemail_webhook.secret`)
//! overrides the file's until an admin returns to it. Changes are audited without the value.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use switchboard_core::CoreError;

use super::audit::record;
use super::channel_lists::{ListForm, posted_change};
use super::{Done, render_refused};
use crate::api::channel_settings::{ChannelList, ListChange, change_list as change_channel_list};
use crate::api::webhook_secret::{SAVED_SECRET_SETTING, secret_problem};
use crate::auth::{AdminRole, Authed};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::page::{Chrome, render, see_other};

/// The configured channels as the admin page shows them.
#[derive(Debug, Clone, Default)]
pub struct ChannelOverview {
    /// Every configured channel, in configuration order.
    pub channels: Vec<ConfiguredChannel>,
}

/// One configured channel: its settings as text and, for each secret, only whether it is set.
#[derive(Debug, Clone)]
pub struct ConfiguredChannel {
    /// `imap`, `smtp`, `webhook` or `folder`.
    pub kind: &'static str,
    /// The channel's name (mailbox name, relay host, folder path).
    pub name: String,
    /// Setting name and value.
    pub settings: Vec<(String, String)>,
    /// Secret name and whether it is set.
    pub secrets: Vec<(String, bool)>,
}

/// Where the webhook's secret in force comes from.
struct WebhookSecretState {
    /// A saved secret overrides the file's.
    saved: bool,
    /// The configuration file holds one.
    in_file: bool,
}

#[derive(Template)]
#[template(path = "admin_channels.html")]
struct ChannelsPage<'a> {
    chrome: Chrome<'a>,
    /// The read-only channels (without the edited lists' kinds when those are editable).
    channels: Vec<&'a ConfiguredChannel>,
    /// The editable lists, when this node runs channel workers.
    lists: Vec<ListForm>,
    /// The webhook secret's state, when this node serves the webhook.
    webhook: Option<WebhookSecretState>,
    notice: Option<&'static str>,
    alert: Option<String>,
}

impl ChannelsPage<'_> {
    fn kind_key(&self, kind: &str) -> &'static str {
        match kind {
            "imap" => "admin.channels.imap",
            "smtp" => "admin.channels.smtp",
            "webhook" => "admin.channels.webhook",
            _ => "admin.channels.folder",
        }
    }

    fn list_title(&self, list: &str) -> &'static str {
        match list {
            "imap" => "admin.channels.imap_accounts",
            "smtp" => "admin.channels.smtp_relay",
            _ => "admin.channels.watched_folders",
        }
    }

    fn list_help(&self, list: &str) -> &'static str {
        match list {
            "imap" => "admin.channels.imap_help",
            "smtp" => "admin.channels.smtp_help",
            _ => "admin.channels.watch_help",
        }
    }
}

/// The page with the lists in force; `refused` replaces one list's form with a refused one.
async fn page_of<'a>(
    request: &HttpRequest,
    state: &'a AppState,
    refused: Option<ListForm>,
) -> Result<ChannelsPage<'a>, ApiError> {
    let mut refused = refused;
    let mut lists = Vec::new();
    let mut edited_kinds = Vec::new();
    if let Some(editor) = &state.channel_settings {
        for list in ChannelList::ALL
            .into_iter()
            .filter(|list| editor.offers(*list))
        {
            edited_kinds.push(match list {
                ChannelList::Imap => "imap",
                ChannelList::Smtp => "smtp",
                ChannelList::Watch => "folder",
            });
            let form = match refused.take_if(|form| form.list == list.as_str()) {
                Some(form) => form,
                None => ListForm::of(list, &editor.shown(list).await?),
            };
            lists.push(form);
        }
    }
    let channels = state
        .channels
        .channels
        .iter()
        .filter(|channel| !edited_kinds.contains(&channel.kind))
        .collect();
    Ok(ChannelsPage {
        chrome: Chrome::of(request, state, "admin"),
        channels,
        lists,
        webhook: state
            .voicemail_webhook
            .as_ref()
            .map(|webhook| WebhookSecretState {
                saved: webhook.secret.is_saved(),
                in_file: webhook.secret.has_file_secret(),
            }),
        notice: None,
        alert: None,
    })
}

/// `GET /admin/channels`.
pub(super) async fn page(
    _caller: Authed<AdminRole>,
    request: HttpRequest,
    done: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut page = page_of(&request, &state, None).await?;
    page.notice = done.notice(&[
        "admin.channels.secret_saved",
        "admin.channels.secret_file",
        "admin.channels.secret_kept",
        "admin.channels.list_saved",
        "admin.channels.relay_saved",
        "admin.channels.list_file",
    ]);
    render(&page)
}

/// `POST /admin/channels/webhook-secret`: `secret` (empty: keep the one in force) or
/// `use_file` (return to the configuration file's).
pub(super) async fn change_webhook_secret(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    form: web::Form<HashMap<String, String>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let webhook = state
        .voicemail_webhook
        .clone()
        .ok_or_else(|| CoreError::not_found("the voicemail webhook on this node"))?;
    let use_file = form.contains_key("use_file");
    let typed = form.get("secret").map(String::as_str).unwrap_or_default();
    if !use_file && typed.is_empty() {
        return Ok(see_other("/admin/channels?done=secret_kept"));
    }
    if !use_file && let Some(problem) = secret_problem(typed) {
        let mut page = page_of(&request, &state, None).await?;
        page.alert = Some(problem);
        return render_refused(&page);
    }
    let saved = if use_file { "" } else { typed };
    state.store.set_setting(SAVED_SECRET_SETTING, saved).await?;
    webhook.secret.apply_saved(Some(saved));
    let source = if use_file { "file" } else { "admin" };
    let details = serde_json::json!({ "channel": "voicemail_webhook", "source": source });
    record(
        &state,
        &caller.identity,
        "channel.webhook_secret_changed",
        details,
    )
    .await?;
    let done = if use_file {
        "secret_file"
    } else {
        "secret_saved"
    };
    Ok(see_other(&format!("/admin/channels?done={done}")))
}

/// `POST /admin/channels/{list}`: the IMAP accounts (`imap`), relay (`smtp`) or folders (`watch`) as
/// posted, or `use_file`; a refused list is shown again as typed with its problems (`400`).
pub(super) async fn change_list(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    list: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let list = ChannelList::parse(&list)
        .ok_or_else(|| CoreError::not_found(format!("channel list {:?}", list.as_str())))?;
    let change = posted_change(list, &form);
    let typed = match &change {
        ListChange::Entries(entries) => entries.clone(),
        ListChange::UseFile => Vec::new(),
    };
    let done = match (&change, list.is_single()) {
        (ListChange::Entries(_), true) => "relay_saved",
        (ListChange::Entries(_), false) => "list_saved",
        (ListChange::UseFile, _) => "list_file",
    };
    if let Err(problems) = change_channel_list(&state, &caller.identity, list, change).await? {
        let saved = match &state.channel_settings {
            Some(editor) => editor.shown(list).await?.saved,
            None => false,
        };
        let refused = ListForm::refused(list, saved, &typed, &problems);
        return render_refused(&page_of(&request, &state, Some(refused)).await?);
    }
    Ok(see_other(&format!(
        "/admin/channels?done={done}#list-{}",
        list.as_str()
    )))
}
