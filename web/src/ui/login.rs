//! Signing in and out, and choosing the UI language.

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use switchboard_core::Login;
use switchboard_core::session::Session;

use super::i18n::{LANGUAGE_COOKIE, Lang};
use super::page::{Chrome, local_path, render, see_other};
use crate::auth::{verify_against_nobody, verify_password};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    chrome: Chrome<'a>,
    problem: Option<&'static str>,
    login: String,
    next: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

/// `GET /login`: the sign-in form (signed-in users go on to their work).
pub(super) async fn form(
    request: HttpRequest,
    query: web::Query<NextQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let next = local_path(query.next.as_deref().unwrap_or("/work")).to_owned();
    if request.extensions().get::<Session>().is_some() {
        return Ok(see_other(&next));
    }
    render(&LoginPage {
        chrome: Chrome::of(&request, &state, "login"),
        problem: None,
        login: String::new(),
        next,
    })
}

#[derive(Deserialize)]
pub(super) struct Credentials {
    login: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`: checks the password (argon2, off the async threads), starts a session and
/// goes on to the page asked for. Failures are counted per login and address.
pub(super) async fn submit(
    request: HttpRequest,
    form: web::Form<Credentials>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Credentials {
        login,
        password,
        next,
    } = form.into_inner();
    let login = login.trim().to_owned();
    let next = local_path(next.as_deref().unwrap_or("/work")).to_owned();
    let address = request.peer_addr().map(|peer| peer.ip());
    let now = state.clock.now();
    let refuse = |problem: &'static str, status| {
        let page = LoginPage {
            chrome: Chrome::of(&request, &state, "login"),
            problem: Some(problem),
            login: login.clone(),
            next: next.clone(),
        };
        render(&page).map(|mut response| {
            *response.status_mut() = status;
            response
        })
    };
    if !state.login_limiter.allows(&login, address, now) {
        tracing::warn!(login = %login, "sign-in throttled");
        return refuse(
            "login.throttled",
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        );
    }
    let credentials = state.store.user_credentials(&Login::new(&login)).await?;
    let hash = credentials
        .as_ref()
        .filter(|credentials| credentials.user.active)
        .and_then(|credentials| credentials.password_hash.clone());
    let verified = web::block(move || match hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_against_nobody(&password);
            false
        }
    })
    .await
    .unwrap_or(false);
    let user = credentials
        .filter(|_| verified)
        .map(|credentials| credentials.user);
    let Some(user) = user else {
        state.login_limiter.record_failure(&login, address, now);
        tracing::warn!(login = %login, "sign-in failed");
        return refuse("login.failed", actix_web::http::StatusCode::UNAUTHORIZED);
    };
    state.login_limiter.record_success(&login, address);
    let cookie = crate::session::start(&state, &user).await?;
    tracing::info!(login = %user.login, role = %user.role, "signed in");
    let mut response = see_other(&next);
    response
        .add_cookie(&cookie)
        .map_err(|error| switchboard_core::CoreError::Internal(format!("cookie: {error}")))?;
    Ok(response)
}

/// `POST /logout`: deletes the session and clears its cookie.
pub(super) async fn logout(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let session = request.extensions().get::<Session>().cloned();
    let cookie = crate::session::end(&state, session.as_ref()).await?;
    if let Some(session) = &session {
        tracing::info!(login = %session.login, "signed out");
    }
    let mut response = see_other("/login");
    response
        .add_cookie(&cookie)
        .map_err(|error| switchboard_core::CoreError::Internal(format!("cookie: {error}")))?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub(super) struct LanguageChoice {
    lang: String,
    back: Option<String>,
}

/// `POST /language`: keeps the user's language choice in a cookie for a year.
pub(super) async fn choose_language(
    form: web::Form<LanguageChoice>,
) -> Result<HttpResponse, ApiError> {
    let lang = Lang::parse(&form.lang).unwrap_or(Lang::En);
    let cookie = Cookie::build(LANGUAGE_COOKIE, lang.code())
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(time::Duration::days(365))
        .finish();
    let mut response = see_other(local_path(form.back.as_deref().unwrap_or("/")));
    response
        .add_cookie(&cookie)
        .map_err(|error| switchboard_core::CoreError::Internal(format!("cookie: {error}")))?;
    Ok(response)
}
