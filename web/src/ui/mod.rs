//! The browser UI: server-rendered pages (askama templates in `web/templates/`), texts in Dutch
//! and English (`web/i18n/`), the project's own CSS and JavaScript embedded under `/static/`.
//! Every form works without JavaScript; the script adds live updates and keyboard shortcuts.

pub mod admin;
pub mod assets;
mod clock;
mod events;
pub mod i18n;
mod item;
mod lead;
mod login;
pub mod page;
mod reply;
mod search;
mod work;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use switchboard_core::session::Session;

use self::page::see_other;
use crate::routes::RouteDef;

/// Every UI route.
pub fn routes() -> Vec<RouteDef> {
    let pages = vec![
        RouteDef::get("/", start_page),
        RouteDef::get("/static/{file}", assets::serve),
        RouteDef::get("/login", login::form),
        RouteDef::post("/login", login::submit),
        RouteDef::post("/logout", login::logout),
        RouteDef::post("/language", login::choose_language),
        RouteDef::get("/search", search::page),
        RouteDef::get("/work", work::page),
        RouteDef::post("/work/next", work::next),
        RouteDef::post("/work/offers/{id}/accept", work::accept),
        RouteDef::post("/work/offers/{id}/reject", work::reject),
        RouteDef::get("/items/{id}", item::page),
        RouteDef::get("/items/{id}/body", item::body),
        RouteDef::post("/items/{id}/status", item::change_status),
        RouteDef::post("/items/{id}/reply", reply::send),
        RouteDef::get("/ui/events", events::stream),
        RouteDef::get("/lead", lead::page),
        RouteDef::post("/lead/items", lead::rebalance),
        RouteDef::post("/lead/agents/status", lead::agent_status),
        RouteDef::get("/lead/events", lead::events),
    ];
    pages.into_iter().chain(admin::routes()).collect()
}

/// Registers the UI routes.
pub fn configure(config: &mut web::ServiceConfig) {
    crate::routes::register(config, routes());
}

/// The policy of every page: only this site's own scripts, styles and images; no framing.
const PAGE_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
                           script-src 'self'; frame-src 'self'; frame-ancestors 'none'; \
                           form-action 'self'; base-uri 'none'; object-src 'none'";

/// Adds the security headers every response carries: a strict CSP, no sniffing, no framing.
/// A handler that sets its own policy (the sandboxed e-mail body) keeps it.
pub async fn security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

/// Sends a browser that opens a page without being signed in to the sign-in form, and back to
/// the page afterwards. API routes keep their 401 problem.
pub async fn login_redirect(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let is_page = request.method() == Method::GET && !request.path().starts_with("/api/");
    let wanted = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |path| path.as_str().to_owned());
    let response = next.call(request).await?;
    if !(is_page && response.status() == StatusCode::UNAUTHORIZED) {
        return Ok(response.map_into_left_body());
    }
    let location = format!(
        "/login?next={}",
        url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect::<String>()
    );
    let (request, _) = response.into_parts();
    Ok(ServiceResponse::new(request, see_other(&location)).map_into_right_body())
}

/// `GET /`: signed-in users go to their work, everyone else to the sign-in form.
async fn start_page(request: HttpRequest) -> HttpResponse {
    if request.extensions().get::<Session>().is_some() {
        see_other("/work")
    } else {
        see_other("/login")
    }
}
