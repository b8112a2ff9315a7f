//! Channels (`/admin/channels`): the IMAP mailboxes, the SMTP relay, the voicemail webhook and
//! the watched folders as configured. Channel settings live in the configuration file and
//! environment only, so the page is read-only; a secret is shown as set or not set, never its
//! value (the overview never holds one).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::{AdminRole, Authed};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::page::{Chrome, render};

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

#[derive(Template)]
#[template(path = "admin_channels.html")]
struct ChannelsPage<'a> {
    chrome: Chrome<'a>,
    channels: &'a [ConfiguredChannel],
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
}

/// `GET /admin/channels`.
pub(super) async fn page(
    _caller: Authed<AdminRole>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    render(&ChannelsPage {
        chrome: Chrome::of(&request, &state, "admin"),
        channels: &state.channels.channels,
    })
}
