//! The item view's reply by e-mail: the form (subject as the composer sends it, templates per
//! language with the item's language preselected, the original quoted below), sending through
//! the API's one reply path, and the item's outgoing messages with their status and the relay's
//! last answer. Picking a template reloads the page with that template (no script needed).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use switchboard_core::item::{Channel, WorkItem};
use switchboard_core::outbox::{
    Outbound, OutboundMail, OutboundStatus, ReplyRequest, quoted_original,
};
use switchboard_core::{ErrorKind, WorkItemId};

use super::item::{ItemQuery, render_item};
use super::page::see_other;
use crate::api::acting::AgentQuery;
use crate::api::reply::queue_reply;
use crate::auth::{AgentRole, Authed};
use crate::error::{ApiError, status_of};
use crate::state::AppState;

/// A template in the picker.
pub(super) struct TemplateChoice {
    pub(super) index: usize,
    pub(super) label: String,
    pub(super) selected: bool,
}

/// The reply form as the item view shows it.
pub(super) struct ReplySection {
    /// Whether this node can send (an SMTP relay is configured).
    pub(super) enabled: bool,
    pub(super) subject: String,
    pub(super) text: String,
    pub(super) cc: String,
    pub(super) templates: Vec<TemplateChoice>,
    /// Why the last send was refused.
    pub(super) problem: Option<String>,
}

/// What the agent typed, kept when a send is refused so nothing is lost.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ReplyForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    cc: String,
}

/// A sent, waiting or failed message as the item view lists it.
pub(super) struct OutboundRow {
    pub(super) status: &'static str,
    pub(super) status_key: &'static str,
    pub(super) subject: String,
    pub(super) recipients: String,
    pub(super) author: String,
    pub(super) queued_at: String,
    pub(super) attempts: i32,
    pub(super) last_error: Option<String>,
}

/// The form for `item`: `None` for items not answered by e-mail. `template` is the picked
/// template's index; `typed` what the agent wrote before a refused send.
pub(super) fn section(
    mail: Option<&dyn OutboundMail>,
    item: &WorkItem,
    template: Option<usize>,
    typed: Option<(ReplyForm, String)>,
) -> Option<ReplySection> {
    if item.channel != Channel::Email {
        return None;
    }
    let draft = mail.map(|mail| mail.draft(item)).unwrap_or_default();
    let chosen = template
        .filter(|index| *index < draft.templates.len())
        .or_else(|| draft.preselected(item.language));
    let templates = draft
        .templates
        .iter()
        .enumerate()
        .map(|(index, template)| TemplateChoice {
            index,
            label: format!("{} ({})", template.name, template.language),
            selected: Some(index) == chosen,
        })
        .collect();
    if let Some((form, problem)) = typed {
        return Some(ReplySection {
            enabled: mail.is_some(),
            subject: form.subject,
            text: form.text,
            cc: form.cc,
            templates,
            problem: Some(problem),
        });
    }
    let sender = item.sender.display().unwrap_or_default();
    let quote = quoted_original(&item.text, sender, item.received_at);
    let text = match chosen.and_then(|index| draft.templates.get(index)) {
        Some(template) => format!("{}\n\n{quote}", template.text),
        None => format!("\n\n{quote}"),
    };
    Some(ReplySection {
        enabled: mail.is_some(),
        subject: draft.subject,
        text,
        cc: String::new(),
        templates,
        problem: None,
    })
}

/// The item's outgoing messages, oldest first.
pub(super) fn outbound_rows(messages: Vec<Outbound>) -> Vec<OutboundRow> {
    messages
        .into_iter()
        .map(|message| {
            let (status, status_key) = match message.status {
                OutboundStatus::Pending => ("pending", "reply.status_queued"),
                OutboundStatus::Sent => ("sent", "reply.status_sent"),
                OutboundStatus::Failed => ("failed", "reply.status_failed"),
            };
            OutboundRow {
                status,
                status_key,
                subject: message.subject,
                recipients: message.recipients.join(", "),
                author: message.author_name.unwrap_or_default(),
                queued_at: format!("{} UTC", super::clock::minute(message.created_at)),
                attempts: message.attempts,
                last_error: message.last_error,
            }
        })
        .collect()
}

/// Splits the Cc field at commas, semicolons and white space.
fn cc_addresses(field: &str) -> Vec<String> {
    field
        .split([',', ';', ' ', '\n', '\r', '\t'])
        .filter(|address| !address.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `POST /items/{id}/reply`: queues the reply through the API's path and returns to the item;
/// a refused reply shows the item again with the reason and everything typed kept.
pub(super) async fn send(
    caller: Authed<AgentRole>,
    request: HttpRequest,
    id: web::Path<i64>,
    form: web::Form<ReplyForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = WorkItemId::new(id.into_inner());
    let form = form.into_inner();
    let reply = ReplyRequest {
        text: form.text.clone(),
        cc: cc_addresses(&form.cc),
        subject: Some(form.subject.clone()),
    };
    let refused = match queue_reply(
        &caller.identity,
        &AgentQuery { agent: None },
        id,
        &reply,
        &state,
    )
    .await
    {
        Ok(_) => return Ok(see_other(&format!("/items/{id}?replied=1#outbound"))),
        Err(error) if error.error.kind() == ErrorKind::Internal => return Err(error),
        Err(error) => error,
    };
    let status = status_of(refused.error.kind());
    let problem = refused.error.to_string();
    let mut page = render_item(
        &caller,
        &request,
        &state,
        id,
        &ItemQuery::default(),
        Some((form, problem)),
    )
    .await?;
    *page.status_mut() = status;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cc_addresses_are_split_at_separators() {
        assert_eq!(
            cc_addresses(" a@x.nl, b@y.nl;c@z.nl\n"),
            vec!["a@x.nl", "b@y.nl", "c@z.nl"]
        );
        assert!(cc_addresses("  ").is_empty());
    }
}
