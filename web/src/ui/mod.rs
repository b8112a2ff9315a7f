//! The browser UI. For now a start page; the agent, lead and admin pages grow here.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::error::ApiError;
use crate::state::AppState;

/// Registers the UI routes.
pub fn configure(config: &mut web::ServiceConfig) {
    config.route("/", web::get().to(start_page));
}

/// Adds the security headers every response carries: a strict CSP, no sniffing, no framing.
pub async fn security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(request).await?;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

async fn start_page(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let items = state.store.count_items().await?;
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Switchboard</title></head><body>\
         <h1>Switchboard</h1>\
         <p>Every inbound channel as work items in one queue.</p>\
         <p>{items} work items in the system.</p>\
         <ul><li><a href=\"/healthz\">health</a></li><li><a href=\"/readyz\">readiness</a></li>\
         <li><a href=\"/metrics\">metrics</a></li></ul>\
         </body></html>\n"
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}
