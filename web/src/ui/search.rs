//! `GET /search`: items, customers and orders through the search port, with highlighted
//! snippets. Everything is escaped by the template except the snippets, which the index
//! returns HTML-escaped with only `<mark>` added.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use switchboard_core::ErrorKind;

use super::page::{Chrome, render};
use crate::api::search::{HitRecord, search_hits};
use crate::auth::{AgentRole, Authed};
use crate::error::ApiError;
use crate::state::AppState;

/// One hit as the page shows it.
struct HitView {
    kind_key: &'static str,
    title: String,
    detail: String,
    href: Option<String>,
    snippets: Vec<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    chrome: Chrome<'a>,
    q: String,
    kind: String,
    searched: bool,
    total: Option<usize>,
    total_capped: bool,
    hits: Vec<HitView>,
    problem: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
}

fn view(record: HitRecord, snippets: Vec<String>) -> HitView {
    match record {
        HitRecord::Item {
            id,
            reference,
            subject,
            channel,
            status,
            received_at,
            sender,
            ..
        } => HitView {
            kind_key: "search.item",
            title: format!("{reference} · {}", subject.unwrap_or_default()),
            detail: format!(
                "{channel} · {status} · {} · {received_at}",
                sender.unwrap_or_default()
            ),
            href: Some(format!("/items/{id}")),
            snippets,
        },
        HitRecord::Customer {
            number, name, city, ..
        } => HitView {
            kind_key: "search.customer",
            title: format!("{number} · {name}"),
            detail: city.unwrap_or_default(),
            href: None,
            snippets,
        },
        HitRecord::Order {
            number,
            customer,
            status,
            order_date,
            ..
        } => HitView {
            kind_key: "search.order",
            title: number,
            detail: format!(
                "{customer} · {status} · {}",
                order_date.map(|date| date.to_string()).unwrap_or_default()
            ),
            href: None,
            snippets,
        },
    }
}

/// `GET /search?q=&kind=`.
pub(super) async fn page(
    _caller: Authed<AgentRole>,
    request: HttpRequest,
    form: web::Query<SearchForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let chrome = Chrome::of(&request, &state, "search");
    let SearchForm { q, kind } = form.into_inner();
    let searched = !q.trim().is_empty();
    let mut page = SearchPage {
        chrome,
        q,
        kind,
        searched,
        total: None,
        total_capped: false,
        hits: Vec::new(),
        problem: None,
    };
    if searched {
        let mut query: Vec<(&str, &str)> = vec![("q", page.q.as_str())];
        if !page.kind.is_empty() {
            query.push(("kind", page.kind.as_str()));
        }
        let query_string = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        match search_hits(&query_string, &state).await {
            Ok(found) => {
                page.total = found.total;
                page.total_capped = found.total_capped;
                page.hits = found
                    .hits
                    .into_iter()
                    .map(|hit| {
                        let snippets = hit.snippets.into_iter().map(|s| s.html).collect();
                        view(hit.record, snippets)
                    })
                    .collect();
            }
            Err(error) if error.error.kind() == ErrorKind::Unavailable => {
                page.problem = Some(page.chrome.t.get("search.unavailable").to_owned());
            }
            Err(error) if error.error.kind() == ErrorKind::BadInput => {
                page.problem = Some(error.error.to_string());
            }
            Err(error) => return Err(error),
        }
    }
    render(&page)
}
