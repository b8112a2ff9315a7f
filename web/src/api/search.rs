//! Search across items, customers and orders:
//! `GET /api/v1/search?q=&kind=item|customer|order&channel=&status=&customer=&queue=&from=&to=&offset=&limit=&mode=and|or`.
//!
//! The index returns ids and HTML-escaped snippets; the store supplies the records shown.
//! `channel` and `status` take comma-separated lists; `from` and `to` take RFC 3339 times or
//! dates (`to` as a date includes that day); `queue` takes a queue's name or id.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::feed::{
    SearchIndex, SearchKind, SearchMode, SearchPage, SearchRequest, SearchSnippet, SearchTarget,
};
use switchboard_core::item::{Channel, ItemStatus};
use switchboard_core::{CoreError, CustomerNo, OrderNo, QueueId, WorkItemId};

use crate::auth::{AgentRole, Authed};
use crate::error::ApiError;
use crate::routes::RouteDef;
use crate::state::AppState;

/// Hits per page unless asked.
const DEFAULT_LIMIT: usize = 20;
/// Most hits per page.
const MAX_LIMIT: usize = 200;
/// Deepest hit a page may reach.
const MAX_WINDOW: usize = 10_000;
/// Longest query accepted, in characters.
const MAX_QUERY_CHARS: usize = 1_000;

/// Registers the search route.
pub fn routes() -> Vec<RouteDef> {
    vec![RouteDef::get("/search", search)]
}

/// The query parameters as sent.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    q: Option<String>,
    kind: Option<String>,
    channel: Option<String>,
    status: Option<String>,
    customer: Option<String>,
    queue: Option<String>,
    from: Option<String>,
    to: Option<String>,
    offset: Option<String>,
    limit: Option<String>,
    mode: Option<String>,
}

/// A page of hits with their records.
#[derive(Debug, Serialize)]
pub(crate) struct SearchResponse {
    pub(crate) hits: Vec<Hit>,
    pub(crate) total: Option<usize>,
    /// Whether `total` is where counting stopped (at least that many match).
    pub(crate) total_capped: bool,
    offset: usize,
    limit: usize,
    pub(crate) has_more: bool,
}

/// One hit: the record's summary, relevance and snippets.
#[derive(Debug, Serialize)]
pub(crate) struct Hit {
    #[serde(flatten)]
    pub(crate) record: HitRecord,
    score: f32,
    pub(crate) snippets: Vec<SearchSnippet>,
}

/// The summary of the record a hit names.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum HitRecord {
    Item {
        id: i64,
        #[serde(rename = "ref")]
        reference: String,
        subject: Option<String>,
        channel: Channel,
        status: ItemStatus,
        received_at: String,
        sender: Option<String>,
        queue: Option<String>,
        customer_no: Option<String>,
    },
    Customer {
        id: String,
        number: String,
        name: String,
        city: Option<String>,
    },
    Order {
        id: String,
        number: String,
        customer: String,
        status: String,
        order_date: Option<NaiveDate>,
    },
}

#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    summary = "Searches items, customers and orders",
    params(("q" = Option<String>, Query, description = "words in tantivy syntax"), ("kind" = Option<String>, Query, description = "item, customer or order"), ("channel" = Option<String>, Query, description = "items: comma-separated channels"), ("status" = Option<String>, Query, description = "items: comma-separated statuses"), ("customer" = Option<String>, Query, description = "a customer number"), ("queue" = Option<String>, Query, description = "a queue name or id"), ("from" = Option<String>, Query, description = "received at or after"), ("to" = Option<String>, Query, description = "received up to"), ("offset" = Option<String>, Query, description = "page start"), ("limit" = Option<String>, Query, description = "page size, 1-200"), ("mode" = Option<String>, Query, description = "and or or")),
    responses((status = 200, description = "hits, total (counted up to 10,000), total_capped, offset, limit, has_more", body = Object), (status = 400, description = "bad input"), (status = 401, description = "no valid credentials"), (status = 503, description = "not available on this node")),
    security(("bearer" = []))
)]
async fn search(
    _caller: Authed<AgentRole>,
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(search_hits(request.query_string(), &state).await?))
}

/// Runs the search a query string asks for (the API's parameters) and reads the records hit;
/// the search page shows the same.
pub(crate) async fn search_hits(
    query_string: &str,
    state: &AppState,
) -> Result<SearchResponse, ApiError> {
    let index: &dyn SearchIndex = state
        .search
        .as_deref()
        .ok_or_else(|| CoreError::Unavailable("search index".to_owned()))?;
    let params = web::Query::<Params>::from_query(query_string)
        .map_err(|error| CoreError::BadInput(format!("invalid search parameters: {error}")))?
        .into_inner();
    let Some(search) = parse(&params, state).await? else {
        // A queue name nobody knows filters everything out.
        return Ok(SearchResponse {
            hits: Vec::new(),
            total: Some(0),
            total_capped: false,
            offset: 0,
            limit: DEFAULT_LIMIT,
            has_more: false,
        });
    };
    let (offset, limit) = (search.offset, search.limit);
    let page = index.search(search).await?;
    let (total, total_capped) = (page.total, page.total_capped);
    let has_more = page.has_more;
    let hits = enrich(page, state).await?;
    Ok(SearchResponse {
        hits,
        total,
        total_capped,
        offset,
        limit,
        has_more,
    })
}

async fn parse(params: &Params, state: &AppState) -> Result<Option<SearchRequest>, CoreError> {
    let q = params.q.clone().unwrap_or_default();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(bad(format!(
            "q is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    let kind = params
        .kind
        .as_deref()
        .filter(|raw| !raw.is_empty())
        .map(|raw| {
            SearchKind::parse(raw)
                .ok_or_else(|| bad(format!("kind must be item, customer or order, got {raw:?}")))
        })
        .transpose()?;
    let channels = list(params.channel.as_deref(), "channel", Channel::parse)?;
    let statuses = list(params.status.as_deref(), "status", ItemStatus::parse)?;
    let customer_no = params
        .customer
        .as_deref()
        .map(str::trim)
        .filter(|raw| !raw.is_empty())
        .map(CustomerNo::new);
    let queue = match params.queue.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() => match state.store.queue_id(name).await? {
            Some(id) => Some(id),
            None => match name.parse::<i64>() {
                Ok(raw) => Some(QueueId::new(raw)),
                Err(_) => return Ok(None),
            },
        },
        _ => None,
    };
    let received_from = params
        .from
        .as_deref()
        .map(|raw| time(raw, "from", false))
        .transpose()?;
    let received_before = params
        .to
        .as_deref()
        .map(|raw| time(raw, "to", true))
        .transpose()?;
    if let (Some(from), Some(before)) = (received_from, received_before)
        && from >= before
    {
        return Err(bad("from must be before to".to_owned()));
    }
    let offset = number(params.offset.as_deref(), "offset", 0)?;
    let limit = number(params.limit.as_deref(), "limit", DEFAULT_LIMIT)?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(bad(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    if offset.saturating_add(limit) > MAX_WINDOW {
        return Err(bad(format!(
            "search pages end at hit {MAX_WINDOW}; narrow the search"
        )));
    }
    let mode = match params.mode.as_deref() {
        None | Some("") => None,
        Some("and") => Some(SearchMode::And),
        Some("or") => Some(SearchMode::Or),
        Some(other) => return Err(bad(format!("mode must be and or or, got {other:?}"))),
    };
    Ok(Some(SearchRequest {
        q,
        kind,
        channels,
        statuses,
        customer_no,
        queue,
        received_from,
        received_before,
        offset,
        limit,
        mode,
    }))
}

fn bad(message: String) -> CoreError {
    CoreError::BadInput(message)
}

fn list<T>(
    raw: Option<&str>,
    name: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<Vec<T>, CoreError> {
    raw.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .map(|value| parse(value).ok_or_else(|| bad(format!("unknown {name} {value:?}"))))
        .collect()
}

fn number(raw: Option<&str>, name: &str, default: usize) -> Result<usize, CoreError> {
    match raw.map(str::trim).filter(|raw| !raw.is_empty()) {
        None => Ok(default),
        Some(raw) => raw
            .parse()
            .map_err(|_| bad(format!("{name} must be a whole number, got {raw:?}"))),
    }
}

/// Reads an RFC 3339 time or a date; an upper bound given as a date includes that day, one
/// given as a time includes that second.
fn time(raw: &str, name: &str, upper: bool) -> Result<DateTime<Utc>, CoreError> {
    let raw = raw.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        let time = time.with_timezone(&Utc);
        return Ok(if upper {
            time + Duration::seconds(1)
        } else {
            time
        });
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        bad(format!(
            "{name} must be a date (2025-03-01) or an RFC 3339 time, got {raw:?}"
        ))
    })?;
    let date = if upper { date.succ_opt() } else { Some(date) };
    date.and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|time| time.and_utc())
        .ok_or_else(|| bad(format!("{name} is out of range")))
}

/// Adds each hit's record from the store; hits whose record is gone are left out.
async fn enrich(page: SearchPage, state: &AppState) -> Result<Vec<Hit>, CoreError> {
    let (mut item_ids, mut customer_nos, mut order_nos) = (Vec::new(), Vec::new(), Vec::new());
    for hit in &page.matches {
        match &hit.target {
            SearchTarget::Item(id) => item_ids.push(*id),
            SearchTarget::Customer(number) => customer_nos.push(number.clone()),
            SearchTarget::Order(number) => order_nos.push(number.clone()),
        }
    }
    // One statement per kind of record hit, however many hits.
    let mut items: HashMap<WorkItemId, _> = state
        .store
        .item_hit_records(&item_ids)
        .await?
        .into_iter()
        .map(|item| (item.id, item))
        .collect();
    let mut customers: HashMap<CustomerNo, _> = state
        .store
        .customer_hit_records(&customer_nos)
        .await?
        .into_iter()
        .map(|customer| (customer.number.clone(), customer))
        .collect();
    let mut orders: HashMap<OrderNo, _> = state
        .store
        .order_hit_records(&order_nos)
        .await?
        .into_iter()
        .map(|order| (order.number.clone(), order))
        .collect();
    let mut hits = Vec::with_capacity(page.matches.len());
    for hit in page.matches {
        let record = match &hit.target {
            SearchTarget::Item(id) => items.remove(id).map(|found| HitRecord::Item {
                id: id.get(),
                reference: id.reference(),
                channel: found.channel,
                status: found.status,
                received_at: found
                    .received_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                sender: found.sender.display().map(str::to_owned),
                subject: found.subject,
                queue: found.queue,
                customer_no: found.customer_no.map(|number| number.as_str().to_owned()),
            }),
            SearchTarget::Customer(number) => {
                customers
                    .remove(number)
                    .map(|customer| HitRecord::Customer {
                        id: number.as_str().to_owned(),
                        number: number.as_str().to_owned(),
                        name: customer.name,
                        city: customer.city,
                    })
            }
            SearchTarget::Order(number) => orders.remove(number).map(|order| HitRecord::Order {
                id: number.as_str().to_owned(),
                number: number.as_str().to_owned(),
                customer: order.customer_no.as_str().to_owned(),
                status: order.status,
                order_date: order.order_date,
            }),
        };
        match record {
            Some(record) => hits.push(Hit {
                record,
                score: hit.score,
                snippets: hit.snippets,
            }),
            None => tracing::debug!(target = ?hit.target, "search hit without a record"),
        }
    }
    Ok(hits)
}
