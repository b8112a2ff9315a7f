//! What every page shares: the layout's data ([`Chrome`]) and turning a template into a
//! response.

use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use askama::Template;
use switchboard_core::CoreError;
use switchboard_core::session::Session;

use super::assets;
use super::i18n::{Lang, Texts};
use crate::error::ApiError;
use crate::state::AppState;

/// The layout's data: texts, the signed-in user, the CSRF token for forms.
pub struct Chrome<'a> {
    /// Texts in the request's language.
    pub t: &'a Texts,
    /// The signed-in user's session, if any.
    pub user: Option<Session>,
    /// The CSRF token forms carry (empty when signed out).
    pub csrf: String,
    /// Busts browser caches of the embedded assets.
    pub asset_version: &'static str,
    /// The current path (where the language form returns to).
    pub path: String,
    /// The navigation section to mark.
    pub section: &'static str,
    /// The event stream the page listens to for live updates, if any.
    pub live: Option<&'static str>,
    /// The languages to choose from.
    pub languages: [Lang; 2],
}

impl<'a> Chrome<'a> {
    /// The layout's data for `request` in section `section`.
    pub fn of(request: &HttpRequest, state: &'a AppState, section: &'static str) -> Self {
        let user = request.extensions().get::<Session>().cloned();
        let csrf = user
            .as_ref()
            .map(|session| session.csrf_token.clone())
            .unwrap_or_default();
        let path = match request.query_string() {
            "" => request.path().to_owned(),
            query => format!("{}?{query}", request.path()),
        };
        Self {
            t: state.texts.for_request(request),
            user,
            csrf,
            asset_version: assets::version(),
            path,
            section,
            live: None,
            languages: Lang::ALL,
        }
    }

    /// Whether the signed-in user may open the admin pages.
    pub fn is_admin(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|user| user.role.includes(switchboard_core::user::Role::Admin))
    }

    /// Marks the page as listening for live updates on the event stream at `url`.
    pub fn live(mut self, url: &'static str) -> Self {
        self.live = Some(url);
        self
    }

    /// Whether the signed-in user is a lead or an admin (the lead board's audience).
    pub fn is_lead(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|user| user.role.includes(switchboard_core::user::Role::Lead))
    }
}

/// Renders a page as a `200 text/html` response.
pub fn render(template: &impl Template) -> Result<HttpResponse, ApiError> {
    let body = template
        .render()
        .map_err(|error| CoreError::Internal(format!("template failed: {error}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// A `303 See Other` to `location` (after a form post).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// Keeps a post-login or post-form destination on this site: a local path, else `/work`.
pub fn local_path(candidate: &str) -> &str {
    let is_local = candidate.starts_with('/')
        && !candidate.starts_with("//")
        && !candidate.starts_with("/\\")
        && !candidate.contains(['\r', '\n']);
    if is_local { candidate } else { "/work" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/items/3?x=1"), "/items/3?x=1");
        assert_eq!(local_path("//evil.example/"), "/work");
        assert_eq!(local_path("/\\evil.example/"), "/work");
        assert_eq!(local_path("https://evil.example/"), "/work");
        assert_eq!(local_path("/a\r\nSet-Cookie: x"), "/work");
        assert_eq!(local_path(""), "/work");
    }
}
