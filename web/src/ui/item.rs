//! The item view (`/items/{id}`): the content as its channel needs it, attachments, the
//! router's explanation, the customer panel (customer, orders with lines and prices,
//! deliveries, link evidence), the item's case with the customer's other recent items, and the
//! status actions. An e-mail's HTML (sanitised at intake)
//! is served on its own route inside a sandboxed frame, with a policy of its own that blocks
//! remote images until the agent asks for them.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use switchboard_core::case::RelatedItem;
use switchboard_core::customer_view::OrderView;
use switchboard_core::document::ReadingProgress;
use switchboard_core::item::{Attachment, Channel, ItemStatus};
use switchboard_core::item_view::read_item_view;
use switchboard_core::master::Customer;
use switchboard_core::user::Role;
use switchboard_core::work::StatusChange;
use switchboard_core::{CoreError, WorkItemId};

use super::page::{Chrome, render, see_other};
use super::reply::{self, OutboundRow, ReplyForm, ReplySection};
use crate::api::acting::{AgentQuery, Router, acting_worker, wake};
use crate::auth::{AgentRole, Authed};
use crate::error::ApiError;
use crate::state::AppState;

/// A link with its evidence, as the panel shows it.
struct LinkRow {
    kind: String,
    key: String,
    percent: i64,
    applied: bool,
    evidence: String,
}

/// An item of the case or the customer's timeline, as the item view lists it.
struct RelatedRow {
    id: i64,
    reference: String,
    channel: String,
    subject: String,
    status: String,
    holder: String,
    received_at: String,
    evidence: String,
    current: bool,
}

impl RelatedRow {
    fn of(related: &RelatedItem, current: WorkItemId) -> Self {
        Self {
            id: related.item.get(),
            reference: related.reference.clone(),
            channel: related.channel.to_string(),
            subject: related.subject.clone().unwrap_or_default(),
            status: related.status.to_string(),
            holder: related.holder.clone().unwrap_or_default(),
            received_at: super::clock::minute(related.received_at),
            evidence: related.evidence.clone().unwrap_or_default(),
            current: related.item == current,
        }
    }
}

#[derive(Template)]
#[template(path = "item.html")]
struct ItemPage<'a> {
    chrome: Chrome<'a>,
    id: i64,
    reference: String,
    channel: String,
    subject: String,
    status: String,
    reading: Option<ReadingProgress>,
    sender: String,
    received_at: String,
    queue: String,
    priority: i32,
    sla_due_at: Option<String>,
    actions: Vec<&'static str>,
    has_html: bool,
    load_images: bool,
    page_images: Vec<String>,
    audio: Vec<String>,
    fields: Vec<(String, String)>,
    text: String,
    attachments: Vec<(String, String)>,
    routing: Vec<(String, String)>,
    customer: Option<Customer>,
    orders: Vec<OrderView>,
    links: Vec<LinkRow>,
    case_id: Option<i64>,
    case_members: Vec<RelatedRow>,
    timeline: Vec<RelatedRow>,
    reply: Option<ReplySection>,
    outbound: Vec<OutboundRow>,
    replied: bool,
}

impl ItemPage<'_> {
    fn action_key(&self, action: &str) -> &'static str {
        match action {
            "waiting" => "item.action_waiting",
            "done" => "item.action_done",
            _ => "item.action_reopen",
        }
    }

    fn money(&self, cents: &Option<i64>) -> String {
        cents.map_or_else(String::new, |cents| {
            format!("{}.{:02}", cents / 100, (cents % 100).abs())
        })
    }

    fn date(&self, date: &Option<chrono::NaiveDate>) -> String {
        date.map(|date| date.to_string()).unwrap_or_default()
    }
}

/// The status changes offered for an item in `status`.
fn actions_for(status: ItemStatus) -> Vec<&'static str> {
    match status {
        ItemStatus::Assigned => vec!["waiting", "done"],
        ItemStatus::Waiting => vec!["done", "reopen"],
        ItemStatus::Done => vec!["reopen"],
        _ => Vec::new(),
    }
}

fn download_url(item: WorkItemId, attachment: &Attachment) -> String {
    format!("/api/v1/items/{item}/attachments/{}", attachment.id)
}

fn attachment_type(attachment: &Attachment) -> &str {
    attachment
        .sniffed_type
        .as_deref()
        .or(attachment.declared_type.as_deref())
        .unwrap_or_default()
}

/// A task's details as label/value pairs.
fn detail_fields(details: &serde_json::Value) -> Vec<(String, String)> {
    let Some(object) = details.as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .map(|(name, value)| {
            let shown = match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (name.clone(), shown)
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ItemQuery {
    images: Option<String>,
    /// The reply template picked.
    template: Option<usize>,
    /// Set after a reply was queued.
    replied: Option<String>,
}

/// `GET /items/{id}`.
pub(super) async fn page(
    caller: Authed<AgentRole>,
    request: HttpRequest,
    id: web::Path<i64>,
    query: web::Query<ItemQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = WorkItemId::new(id.into_inner());
    render_item(&caller, &request, &state, id, &query, None).await
}

/// Renders the item view; `typed` is a refused reply with its reason, shown in the form.
pub(super) async fn render_item(
    caller: &Authed<AgentRole>,
    request: &HttpRequest,
    state: &AppState,
    id: WorkItemId,
    query: &ItemQuery,
    typed: Option<(ReplyForm, String)>,
) -> Result<HttpResponse, ApiError> {
    let view = read_item_view(state.store.as_ref(), id)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("item {}", id.reference())))?;
    let (detail, panel, related) = (&view.detail, view.panel, &view.related);
    let case = related.case.as_ref();
    let item = &detail.item;
    let of_type = |prefix: &str| -> Vec<String> {
        detail
            .attachments
            .iter()
            .filter(|attachment| attachment_type(attachment).starts_with(prefix))
            .map(|attachment| download_url(id, attachment))
            .collect()
    };
    let page_images = match item.channel {
        Channel::Fax | Channel::Letter => of_type("image/"),
        _ => Vec::new(),
    };
    let audio = match item.channel {
        Channel::Voicemail => of_type("audio/"),
        _ => Vec::new(),
    };
    let routing = detail
        .assignments
        .iter()
        .map(|record| {
            let heading = format!(
                "{} · {} · {}",
                super::clock::minute(record.created_at),
                record.login,
                record.origin
            );
            let explanation = serde_json::to_string_pretty(&record.explanation).unwrap_or_default();
            (heading, explanation)
        })
        .collect();
    let links = detail
        .links
        .iter()
        .map(|link| LinkRow {
            kind: link.kind.to_string(),
            key: link.key.clone(),
            percent: (link.confidence * 100.0).round() as i64,
            applied: link.applied,
            evidence: link.evidence.clone(),
        })
        .collect();
    let chrome = Chrome::of(request, state, "work");
    let holds_item = chrome
        .user
        .as_ref()
        .is_some_and(|user| detail.assigned_agent.as_ref() == Some(&user.login));
    let may_reply = caller.identity.role.includes(Role::Lead) || holds_item;
    let reply = may_reply
        .then(|| reply::section(state.outbound_mail.as_deref(), item, query.template, typed))
        .flatten();
    let outbound = reply::outbound_rows(view.outbound);
    render(&ItemPage {
        chrome,
        id: id.get(),
        reference: detail.reference.clone(),
        channel: item.channel.to_string(),
        subject: item.subject.clone().unwrap_or_default(),
        status: item.status.to_string(),
        reading: match item.channel {
            Channel::Fax | Channel::Letter => ReadingProgress::of_details(&item.details),
            _ => None,
        },
        sender: item.sender.display().unwrap_or_default().to_owned(),
        received_at: format!("{} UTC", super::clock::minute(item.received_at)),
        queue: detail.queue.clone().unwrap_or_default(),
        priority: item.priority,
        sla_due_at: item.sla_due_at.map(|at| at.to_rfc3339()),
        actions: actions_for(item.status),
        has_html: item.html.is_some(),
        load_images: query.images.is_some(),
        page_images,
        audio,
        fields: detail_fields(&item.details),
        text: item.text.clone(),
        attachments: detail
            .attachments
            .iter()
            .map(|attachment| (attachment.file_name.clone(), download_url(id, attachment)))
            .collect(),
        routing,
        customer: panel.customer,
        orders: panel.orders,
        links,
        case_id: case.map(|case| case.id.get()),
        case_members: case
            .map(|case| case.members.iter().map(|m| RelatedRow::of(m, id)).collect())
            .unwrap_or_default(),
        timeline: related
            .timeline
            .iter()
            .map(|r| RelatedRow::of(r, id))
            .collect(),
        reply,
        outbound,
        replied: query.replied.is_some(),
    })
}

/// The policy of an e-mail body: no scripts, no plugins, no forms, no navigation of the page
/// around it, inline styles only; images from the message itself (`data:`) unless the agent
/// asked for remote ones.
fn body_policy(remote_images: bool) -> &'static str {
    if remote_images {
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data: https: http:; \
         frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
    } else {
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
         frame-ancestors 'self'; form-action 'none'; base-uri 'none'"
    }
}

/// `GET /items/{id}/body`: the sanitised HTML of an e-mail, for the sandboxed frame.
pub(super) async fn body(
    _caller: Authed<AgentRole>,
    id: web::Path<i64>,
    query: web::Query<ItemQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = WorkItemId::new(id.into_inner());
    let item = state
        .store
        .item(id)
        .await?
        .ok_or_else(|| CoreError::not_found(format!("item {}", id.reference())))?;
    let html = item
        .html
        .ok_or_else(|| CoreError::not_found(format!("an HTML body of {}", id.reference())))?;
    let document = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"></head><body>{html}</body></html>"
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            body_policy(query.images.is_some()),
        ))
        .insert_header((header::X_FRAME_OPTIONS, "SAMEORIGIN"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(document))
}

#[derive(Debug, Deserialize)]
pub(super) struct StatusForm {
    status: String,
}

/// `POST /items/{id}/status`: waiting, done or reopen, as the API's status change.
pub(super) async fn change_status(
    caller: Authed<AgentRole>,
    id: web::Path<i64>,
    form: web::Form<StatusForm>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let id = WorkItemId::new(id.into_inner());
    let change = StatusChange::parse(&form.status)
        .ok_or_else(|| CoreError::BadInput(format!("unknown status change {:?}", form.status)))?;
    let worker = acting_worker(&caller.identity, &AgentQuery { agent: None }, &state).await?;
    let changed = state
        .store
        .change_item_status(id, change, &worker, state.sla.as_ref(), state.clock.now())
        .await?;
    if changed.wakes_router() {
        wake(&router);
    }
    Ok(see_other(&format!("/items/{id}")))
}
