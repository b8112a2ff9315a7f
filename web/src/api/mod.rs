//! The REST API under `/api/v1`. Every route sits behind [`crate::auth::require_identity`].

mod inbound;
mod master;
mod routing;
mod search;

use actix_web::middleware::from_fn;
use actix_web::{Scope, web};

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
        .configure(master::configure)
        .configure(inbound::configure)
        .configure(routing::configure)
        .configure(search::configure)
}
