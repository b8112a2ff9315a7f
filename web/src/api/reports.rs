//! Reports for leads: `GET /api/v1/reports/sla?from=&to=` — per queue and channel, of the items
//! due in the period, how many met their SLA, how many breached, and how long answers took.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use switchboard_core::sla_report::{SlaReport, checked_period};

use crate::auth::{Authed, LeadRole};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// Registers the report routes.
pub fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get("/reports/sla", sla_report)]
}

#[derive(Debug, Deserialize)]
struct PeriodQuery {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/sla",
    tag = "lead",
    summary = "SLA report per queue and channel over the items due in a period",
    params(
        ("from" = String, Query, description = "start of the period (RFC 3339, inclusive)"),
        ("to" = String, Query, description = "end of the period (RFC 3339, exclusive; at most 366 days after from)")
    ),
    responses((status = 200, description = "{from, to, groups: [{queue, channel, due, met, breached, open, breach_rate, answer_seconds_median, answer_seconds_p90}]}", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 403, description = "the caller's role does not allow it")),
    security(("bearer" = []))
)]
async fn sla_report(
    _caller: Authed<LeadRole>,
    query: web::Query<PeriodQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    checked_period(query.from, query.to)?;
    let outcomes = state.store.sla_outcomes(query.from, query.to).await?;
    Ok(HttpResponse::Ok().json(SlaReport::build(query.from, query.to, &outcomes)))
}
