//! The admin pages under `/admin/` (admin role only): the routing rules editor, users and API
//! tokens, queue and agent routing settings, and the configured channels; and the audit log
//! (`/audit`), which leads may read too. Every form posts
//! with the session's CSRF token, works without JavaScript, and every change is audited.

mod audit;
mod audit_log;
mod channel_lists;
mod channels;
mod routing;
mod rules;
mod rules_view;
mod simulation;
mod skills;
mod sla;
mod sla_form;
mod tokens;
mod users;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

pub use self::channels::{ChannelOverview, ConfiguredChannel};
use super::page::{render, see_other};
use crate::auth::{AdminRole, Authed};
use crate::error::ApiError;
use crate::routes::RouteDef;

/// Every admin route.
pub(super) fn routes() -> Vec<RouteDef> {
    vec![
        RouteDef::get("/admin", start),
        RouteDef::get("/admin/rules", rules::page),
        RouteDef::post("/admin/rules", rules::submit),
        RouteDef::post("/admin/rules/{version}/activate", rules::restore),
        RouteDef::get("/admin/users", users::page),
        RouteDef::post("/admin/users", users::create),
        RouteDef::post("/admin/users/{login}/role", users::change_role),
        RouteDef::post("/admin/users/{login}/active", users::change_active),
        RouteDef::post("/admin/users/{login}/password", users::reset_password),
        RouteDef::get("/admin/tokens", tokens::page),
        RouteDef::post("/admin/tokens", tokens::create),
        RouteDef::post("/admin/tokens/{id}/revoke", tokens::revoke),
        RouteDef::get("/admin/queues", routing::queues_page),
        RouteDef::post("/admin/queues/{id}", routing::update_queue),
        RouteDef::get("/admin/agents/{login}", routing::agent_page),
        RouteDef::post("/admin/agents/{login}", routing::update_agent),
        RouteDef::post("/admin/agents/{login}/skills", skills::update),
        RouteDef::get("/admin/channels", channels::page),
        RouteDef::post(
            "/admin/channels/webhook-secret",
            channels::change_webhook_secret,
        ),
        RouteDef::post("/admin/channels/{list}", channels::change_list),
        RouteDef::get("/admin/sla", sla::page),
        RouteDef::post("/admin/sla", sla::save),
        RouteDef::post("/admin/sla/{version}/restore", sla::restore),
        RouteDef::post("/admin/sla/file", sla::use_file),
        RouteDef::get("/audit", audit_log::page),
    ]
}

/// `GET /admin`: the rules editor is the admin's start page.
async fn start(_caller: Authed<AdminRole>) -> HttpResponse {
    see_other("/admin/rules")
}

/// A fixed-text message after a change, by translation key (never text from the request).
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

impl Done {
    /// The translation key of the notice to show, if the key is one of `known`.
    fn notice(&self, known: &[&'static str]) -> Option<&'static str> {
        let done = self.done.as_deref()?;
        known
            .iter()
            .copied()
            .find(|key| key.rsplit('.').next() == Some(done))
    }
}

/// Renders a page that refuses what was posted (shown again with the problem) as `400`.
fn render_refused(template: &impl Template) -> Result<HttpResponse, ApiError> {
    let mut response = render(template)?;
    *response.status_mut() = StatusCode::BAD_REQUEST;
    Ok(response)
}

/// A posted form of `fields` (unit tests of the form readers).
#[cfg(test)]
fn form_of(fields: &[(&str, &str)]) -> std::collections::HashMap<String, String> {
    fields
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}
