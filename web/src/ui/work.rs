//! "My work" (`/work`): the agent's offers with their countdown and accept/reject buttons, the
//! items they own with SLA timers, and "next item". The forms post to UI routes that call the
//! same store and router methods as the API.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use switchboard_core::routing::AssignmentId;
use switchboard_core::work::{AssignedWork, OfferedWork};
use switchboard_core::{CoreError, UserId};

use super::page::{Chrome, render, see_other};
use crate::api::acting::{Router, wake};
use crate::auth::{AgentRole, Authed, Identity};
use crate::error::ApiError;
use crate::state::AppState;

/// An offer as the page shows it.
struct OfferRow {
    offer: AssignmentId,
    item: i64,
    reference: String,
    channel: String,
    subject: String,
    sender: String,
    expires_at: Option<String>,
}

/// An owned item as the page shows it.
struct AssignedRow {
    item: i64,
    reference: String,
    channel: String,
    subject: String,
    customer: String,
    status: String,
    sla_due_at: Option<String>,
}

#[derive(Template)]
#[template(path = "work.html")]
struct WorkPage<'a> {
    chrome: Chrome<'a>,
    offers: Vec<OfferRow>,
    assigned: Vec<AssignedRow>,
    notice: Option<&'static str>,
}

fn offer_row(offer: OfferedWork) -> OfferRow {
    OfferRow {
        offer: offer.offer,
        item: offer.item.get(),
        reference: offer.reference,
        channel: offer.channel.to_string(),
        subject: offer.subject.unwrap_or_default(),
        sender: offer.sender.unwrap_or_default(),
        expires_at: offer.expires_at.map(|at| at.to_rfc3339()),
    }
}

fn assigned_row(item: AssignedWork) -> AssignedRow {
    let customer = match (item.customer_no, item.customer_name) {
        (Some(number), Some(name)) => format!("{number} · {name}"),
        (Some(number), None) => number,
        _ => String::new(),
    };
    AssignedRow {
        item: item.item.get(),
        reference: item.reference,
        channel: item.channel.to_string(),
        subject: item.subject.unwrap_or_default(),
        customer,
        status: item.status.to_string(),
        sla_due_at: item.sla_due_at.map(|at| at.to_rfc3339()),
    }
}

/// The signed-in user the UI acts for.
pub(super) fn user_of(identity: &Identity) -> Result<UserId, ApiError> {
    match identity.actor {
        switchboard_core::event::Actor::User { id } => Ok(id),
        _ => Err(CoreError::Forbidden("the pages are for signed-in users".into()).into()),
    }
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Notice {
    done: Option<String>,
}

/// `GET /work`.
pub(super) async fn page(
    caller: Authed<AgentRole>,
    request: HttpRequest,
    notice: web::Query<Notice>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let agent = user_of(&caller.identity)?;
    let work = state.store.my_work(agent).await?;
    let notice = match notice.done.as_deref() {
        Some("rejected") => Some("work.rejected"),
        Some("nothing") => Some("work.nothing_next"),
        _ => None,
    };
    render(&WorkPage {
        chrome: Chrome::of(&request, &state, "work").live("/ui/events"),
        offers: work.offers.into_iter().map(offer_row).collect(),
        assigned: work.assigned.into_iter().map(assigned_row).collect(),
        notice,
    })
}

/// `POST /work/offers/{id}/accept`: takes the offer and opens the item.
pub(super) async fn accept(
    caller: Authed<AgentRole>,
    offer: web::Path<i64>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let agent = user_of(&caller.identity)?;
    let offer = AssignmentId::new(offer.into_inner());
    let item = state
        .store
        .accept_offer(offer, agent, state.clock.now())
        .await?;
    wake(&router);
    Ok(see_other(&format!("/items/{item}")))
}

/// `POST /work/offers/{id}/reject`: declines the offer; the router offers it elsewhere.
pub(super) async fn reject(
    caller: Authed<AgentRole>,
    offer: web::Path<i64>,
    state: web::Data<AppState>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let agent = user_of(&caller.identity)?;
    let offer = AssignmentId::new(offer.into_inner());
    state
        .store
        .reject_offer(offer, agent, state.clock.now())
        .await?;
    wake(&router);
    Ok(see_other("/work?done=rejected"))
}

/// `POST /work/next`: pulls the next item the router would give this agent.
pub(super) async fn next(
    caller: Authed<AgentRole>,
    router: Router,
) -> Result<HttpResponse, ApiError> {
    let agent = user_of(&caller.identity)?;
    let router = router.ok_or_else(|| CoreError::Unavailable("routing on this node".into()))?;
    Ok(match router.next_item(agent).await? {
        Some(item) => see_other(&format!("/items/{item}")),
        None => see_other("/work?done=nothing"),
    })
}
