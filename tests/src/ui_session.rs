//! A signed-in UI session for in-process tests: the session row in the store, and requests
//! that carry its cookie (and, on forms, its CSRF token).

use std::sync::Arc;

use actix_web::cookie::Cookie;
use actix_web::test::TestRequest;
use chrono::{Duration, Utc};
use switchboard_core::UserId;
use switchboard_core::session::NewSession;
use switchboard_core::store::Store;

/// A session of one user, valid for an hour.
pub struct UiSession {
    id: String,
    csrf: String,
}

impl UiSession {
    /// Stores a session of `user` named `name` (its cookie value; the CSRF token derives
    /// from it).
    pub async fn open(store: &Arc<dyn Store>, user: UserId, name: &str) -> Self {
        let session = Self {
            id: format!("session-{name}"),
            csrf: format!("csrf-{name}"),
        };
        store
            .create_session(&NewSession {
                id_hash: switchboard_web::auth::secret_hash(&session.id),
                user,
                csrf_token: session.csrf.clone(),
                created_at: Utc::now(),
                expires_at: Utc::now() + Duration::hours(1),
            })
            .await
            .unwrap_or_else(|error| panic!("cannot store the session: {error}"));
        session
    }

    /// The session's cookie.
    pub fn cookie(&self) -> Cookie<'static> {
        Cookie::new("sb_session", self.id.clone())
    }

    /// The CSRF token the session's forms carry.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// A `GET` of `uri` in this session.
    pub fn page(&self, uri: &str) -> TestRequest {
        TestRequest::get().uri(uri).cookie(self.cookie())
    }

    /// A form `POST` of `fields` to `uri` in this session, with its CSRF token.
    pub fn form(&self, uri: &str, fields: &[(&str, &str)]) -> TestRequest {
        let mut fields: Vec<(&str, &str)> = fields.to_vec();
        fields.push(("csrf_token", &self.csrf));
        TestRequest::post()
            .uri(uri)
            .cookie(self.cookie())
            .peer_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 40_000)))
            .set_form(fields)
    }
}

/// The body of a response as text.
pub async fn body_text<B: actix_web::body::MessageBody>(
    response: actix_web::dev::ServiceResponse<B>,
) -> String {
    let bytes = actix_web::test::read_body(response).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The `Location` header of a response, empty without one.
pub fn location<B>(response: &actix_web::dev::ServiceResponse<B>) -> String {
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
