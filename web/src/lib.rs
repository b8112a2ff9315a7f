//! The HTTP surface: one app factory ([`create_app`]) used by the server and by tests, the REST
//! API under `/api/v1`, authentication, health and metrics, and the browser UI.

pub mod api;
pub mod auth;
pub mod error;
pub mod fresh_cache;
pub mod health;
pub mod login_limit;
pub mod metrics;
pub mod routes;
pub mod session;
pub mod state;
pub mod ui;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{App, web};
pub use state::{AppState, SessionConfig, WebConfig};

/// Builds the application: every route, the shared state and the middleware.
pub fn create_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let json_limit = state.config.max_json_bytes;
    App::new()
        .app_data(web::Data::new(state))
        .app_data(
            web::JsonConfig::default()
                .limit(json_limit)
                .error_handler(error::json_error),
        )
        .app_data(
            web::FormConfig::default()
                .limit(json_limit)
                .error_handler(error::form_error),
        )
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .wrap(from_fn(ui::login_redirect))
        .wrap(from_fn(auth::identify))
        .wrap(from_fn(metrics::record_request))
        .wrap(from_fn(ui::security_headers))
        .service(health::healthz)
        .service(health::readyz)
        .service(metrics::serve_metrics)
        .service(api::openapi::openapi_json)
        .service(api::voicemail_webhook())
        .service(api::scope())
        .configure(ui::configure)
        .default_service(web::to(error::not_found))
}
