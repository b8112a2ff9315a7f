//! The REST API under `/api/v1`. Every route sits behind [`crate::auth::require_identity`],
//! except the voicemail webhook ([`voicemail_webhook`]), which its HMAC signature authenticates.

pub(crate) mod acting;
mod attachments;
pub(crate) mod board;
mod body;
pub mod channel_settings;
mod inbound;
mod inbound_document;
mod inbound_task;
mod inbound_voicemail;
mod links;
mod master;
pub mod openapi;
mod related;
pub(crate) mod reply;
mod reports;
pub(crate) mod routing;
pub(crate) mod routing_settings;
pub(crate) mod search;
pub mod webhook_secret;
mod work;

use actix_web::middleware::from_fn;
use actix_web::{Scope, web};

use crate::routes::RouteDef;

pub use self::inbound_document::FILE_NAME_HEADER;
pub use self::inbound_task::TaskSink;
pub use self::inbound_voicemail::VoicemailWebhook;

/// Every API route, relative to `/api/v1`.
pub fn routes() -> Vec<RouteDef> {
    [
        master::routes(),
        inbound::routes(),
        inbound_document::routes(),
        inbound_task::routes(),
        routing::routes(),
        routing_settings::routes(),
        search::routes(),
        work::routes(),
        reply::routes(),
        links::routes(),
        related::routes(),
        attachments::routes(),
        board::routes(),
        reports::routes(),
        channel_settings::routes(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Returns the `/api/v1` scope with its routes.
pub fn scope() -> Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/api/v1")
        .wrap(from_fn(crate::auth::require_identity))
        .configure(|config| crate::routes::register(config, routes()))
}

/// The signed voicemail webhook at `/api/v1/inbound/voicemail`; register it before [`scope`].
pub fn voicemail_webhook() -> actix_web::Resource {
    inbound_voicemail::resource()
}
