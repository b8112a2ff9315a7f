//! Browser sessions over a cookie: sign-in creates one (a random id in the cookie, its SHA-256
//! in the store), every request finds it again, logout deletes it. Each session carries a CSRF
//! token that state-changing requests echo in a form field or the `X-CSRF-Token` header.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::ServiceRequest;
use chrono::Duration;
use sha2::{Digest, Sha256};
use switchboard_core::CoreError;
use switchboard_core::session::{NewSession, Session};
use switchboard_core::user::User;

use crate::auth::{random_secret, secret_hash};
use crate::error::ApiError;
use crate::state::{AppState, SessionConfig};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sb_session";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
/// The header that carries the CSRF token for script requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Activity (of sessions and API tokens) is written back at most this often, so reading
/// pages stays read-only.
pub(crate) const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// Signs `user` in: stores a new session and returns the cookie that names it.
pub async fn start(state: &AppState, user: &User) -> Result<Cookie<'static>, ApiError> {
    let session_id = random_secret();
    let now = state.clock.now();
    let config = &state.config.sessions;
    state
        .store
        .create_session(&NewSession {
            id_hash: secret_hash(&session_id),
            user: user.id,
            csrf_token: random_secret(),
            created_at: now,
            expires_at: now + config.lifetime,
        })
        .await?;
    Ok(session_cookie(session_id, config, config.lifetime))
}

/// Ends the request's session, if any, and returns the cookie that clears it in the browser.
pub async fn end(state: &AppState, session: Option<&Session>) -> Result<Cookie<'static>, ApiError> {
    if let Some(session) = session {
        state.store.delete_session(&session.id_hash).await?;
        state.sessions.forget(&session.id_hash);
    }
    Ok(session_cookie(
        String::new(),
        &state.config.sessions,
        Duration::zero(),
    ))
}

fn session_cookie(value: String, config: &SessionConfig, max_age: Duration) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(config.secure_cookie)
        .max_age(time::Duration::seconds(max_age.num_seconds()))
        .finish()
}

/// Finds the live session the request's cookie names (from this node's [`SessionCache`] when it
/// read it a moment ago); a session past its end or idle time is deleted and treated as absent.
///
/// [`SessionCache`]: crate::fresh_cache::SessionCache
pub async fn of_request(
    request: &ServiceRequest,
    state: &AppState,
) -> Result<Option<Session>, ApiError> {
    let Some(cookie) = request.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    if cookie.value().is_empty() {
        return Ok(None);
    }
    let id_hash = secret_hash(cookie.value());
    let Some(session) = state
        .sessions
        .fresh_or_read(&id_hash, state.store.session(&id_hash))
        .await?
    else {
        return Ok(None);
    };
    let now = state.clock.now();
    if !session.is_live(now, state.config.sessions.idle_timeout) {
        state.store.delete_session(&id_hash).await?;
        state.sessions.forget(&id_hash);
        return Ok(None);
    }
    if now - session.last_seen_at >= Duration::seconds(TOUCH_INTERVAL_SECONDS) {
        state.store.touch_session(&id_hash, now).await?;
        state
            .sessions
            .update(&id_hash, |session| session.last_seen_at = now);
    }
    Ok(Some(session))
}

/// Reads the CSRF token a request presents: the `X-CSRF-Token` header, or the `csrf_token`
/// field of a URL-encoded form (the body is read and put back for the handler).
pub async fn presented_csrf_token(
    request: &mut ServiceRequest,
) -> Result<Option<String>, ApiError> {
    if let Some(header) = request.headers().get(CSRF_HEADER) {
        return Ok(header.to_str().ok().map(str::to_owned));
    }
    let is_form = request
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok(None);
    }
    let body = request
        .extract::<actix_web::web::Bytes>()
        .await
        .map_err(|error| CoreError::BadInput(format!("unreadable form: {error}")))?;
    let token = url::form_urlencoded::parse(&body)
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.into_owned());
    request.set_payload(actix_web::dev::Payload::from(body));
    Ok(token)
}

/// Checks a presented CSRF token against the session's; a missing or wrong one is refused.
pub fn check_csrf(session: &Session, presented: Option<&str>) -> Result<(), ApiError> {
    let matches = presented.is_some_and(|presented| {
        // Comparing digests keeps the comparison's time independent of the token.
        Sha256::digest(presented.as_bytes()) == Sha256::digest(session.csrf_token.as_bytes())
    });
    if matches {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "this request needs the session's CSRF token; reload the page and try again".into(),
        )
        .into())
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use switchboard_core::user::Role;
    use switchboard_core::{Login, UserId};

    use super::*;

    fn session() -> Session {
        Session {
            id_hash: "h".into(),
            user: UserId::new(1),
            login: Login::new("agent"),
            display_name: "Agent".into(),
            role: Role::Agent,
            csrf_token: "right-token".into(),
            last_seen_at: Utc::now(),
            expires_at: Utc::now(),
        }
    }

    #[test]
    fn only_the_sessions_own_token_passes() {
        assert!(check_csrf(&session(), Some("right-token")).is_ok());
        assert!(check_csrf(&session(), Some("wrong-token")).is_err());
        assert!(check_csrf(&session(), Some("")).is_err());
        assert!(check_csrf(&session(), None).is_err());
    }

    #[test]
    fn the_cookie_is_http_only_and_strict() {
        let cookie = session_cookie("id".into(), &SessionConfig::default(), Duration::hours(1));
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Strict));
        assert_eq!(cookie.secure(), Some(false));
        let secure = SessionConfig {
            secure_cookie: true,
            ..SessionConfig::default()
        };
        assert_eq!(
            session_cookie("id".into(), &secure, Duration::hours(1)).secure(),
            Some(true)
        );
    }
}
