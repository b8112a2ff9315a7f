//! Route definitions that know their method and path, so the app registers routes and the
//! tests enumerate them (a route without an expected outcome per role fails the route table
//! test) from the same lists.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, Route, web};

/// One route: its method, its path (relative to its scope) and the handler.
pub struct RouteDef {
    /// The HTTP method.
    pub method: Method,
    /// The path pattern, e.g. `/items/{id}`.
    pub path: String,
    route: Route,
}

impl RouteDef {
    /// A route for `method` on `path`.
    pub fn new<F, Args>(method: Method, path: impl Into<String>, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Self {
            route: web::method(method.clone()).to(handler),
            method,
            path: path.into(),
        }
    }

    /// A `GET` route.
    pub fn get<F, Args>(path: impl Into<String>, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Self::new(Method::GET, path, handler)
    }

    /// A `POST` route.
    pub fn post<F, Args>(path: impl Into<String>, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Self::new(Method::POST, path, handler)
    }

    /// A `PUT` route.
    pub fn put<F, Args>(path: impl Into<String>, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Self::new(Method::PUT, path, handler)
    }
}

/// Registers `routes` on `config`.
pub fn register(config: &mut web::ServiceConfig, routes: Vec<RouteDef>) {
    for definition in routes {
        config.route(&definition.path, definition.route);
    }
}

/// Every route of the app as (method, full path): the system routes (health, metrics, the
/// OpenAPI document, the signed voicemail webhook), the API under `/api/v1` and the UI.
pub fn all() -> Vec<(Method, String)> {
    let system = [
        (Method::GET, "/healthz"),
        (Method::GET, "/readyz"),
        (Method::GET, "/metrics"),
        (Method::GET, "/api/openapi.json"),
        (Method::POST, "/api/v1/inbound/voicemail"),
    ]
    .map(|(method, path)| (method, path.to_owned()));
    let api = crate::api::routes()
        .into_iter()
        .map(|definition| (definition.method, format!("/api/v1{}", definition.path)));
    let ui = crate::ui::routes()
        .into_iter()
        .map(|definition| (definition.method, definition.path));
    system.into_iter().chain(api).chain(ui).collect()
}
