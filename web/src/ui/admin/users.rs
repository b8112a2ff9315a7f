//! Users (`/admin/users`): the list, creating a user with an initial password (argon2, as
//! `switchboard users add`), changing a role, disabling and enabling, resetting a password.
//! An admin cannot disable themselves or take away their own admin role. Every change is
//! audited (`user.*`); passwords never leave the request.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use switchboard_core::user::{NewUser, Role, User};
use switchboard_core::{CoreError, ErrorKind, Login};

use super::audit::record;
use super::{Done, render_refused};
use crate::auth::{AdminRole, Authed, hash_password};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::page::{Chrome, render, see_other};

/// The shortest password an admin may set.
const MIN_PASSWORD_CHARS: usize = 8;
/// The longest login.
const MAX_LOGIN_CHARS: usize = 64;

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage<'a> {
    chrome: Chrome<'a>,
    users: Vec<User>,
    roles: [Role; 3],
    me: String,
    notice: Option<&'static str>,
    alert: Option<String>,
}

const NOTICES: [&str; 5] = [
    "admin.users.created",
    "admin.users.role_changed",
    "admin.users.disabled",
    "admin.users.enabled",
    "admin.users.password_reset",
];

async fn page_of<'a>(
    request: &HttpRequest,
    state: &'a AppState,
) -> Result<UsersPage<'a>, ApiError> {
    let chrome = Chrome::of(request, state, "admin");
    let me = chrome
        .user
        .as_ref()
        .map(|session| session.login.to_string())
        .unwrap_or_default();
    Ok(UsersPage {
        chrome,
        users: state.store.users().await?,
        roles: [Role::Agent, Role::Lead, Role::Admin],
        me,
        notice: None,
        alert: None,
    })
}

/// Shows the page again with `error` when it is the admin's mistake; our failures propagate.
async fn refuse(
    request: &HttpRequest,
    state: &AppState,
    error: ApiError,
) -> Result<HttpResponse, ApiError> {
    if matches!(
        error.error.kind(),
        ErrorKind::Internal | ErrorKind::Unavailable
    ) {
        return Err(error);
    }
    let mut page = page_of(request, state).await?;
    page.alert = Some(error.error.to_string());
    render_refused(&page)
}

/// `GET /admin/users`.
pub(super) async fn page(
    _caller: Authed<AdminRole>,
    request: HttpRequest,
    done: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut page = page_of(&request, &state).await?;
    page.notice = done.notice(&NOTICES);
    render(&page)
}

fn parse_role(raw: &str) -> Result<Role, ApiError> {
    Role::parse(raw).ok_or_else(|| CoreError::BadInput(format!("unknown role {raw:?}")).into())
}

fn check_login(login: &str) -> Result<(), ApiError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if login.is_empty() || login.chars().count() > MAX_LOGIN_CHARS || !login.chars().all(allowed) {
        return Err(CoreError::BadInput(format!(
            "a login has 1 to {MAX_LOGIN_CHARS} letters, digits, '.', '_', '-' or '@'"
        ))
        .into());
    }
    Ok(())
}

/// Hashes a password an admin set, off the async threads.
async fn hashed(password: String) -> Result<String, ApiError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(CoreError::BadInput(format!(
            "a password needs at least {MIN_PASSWORD_CHARS} characters"
        ))
        .into());
    }
    web::block(move || hash_password(&password))
        .await
        .map_err(|error| CoreError::Internal(format!("password hashing stopped: {error}")))?
        .map_err(ApiError::from)
}

/// The new user's fields.
#[derive(Debug, Deserialize)]
pub(super) struct CreateForm {
    login: String,
    display_name: String,
    role: String,
    password: String,
}

/// `POST /admin/users`.
pub(super) async fn create(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    form: web::Form<CreateForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    let login = form.login.trim().to_owned();
    let outcome = async {
        check_login(&login)?;
        let role = parse_role(&form.role)?;
        let display_name = match form.display_name.trim() {
            "" => login.clone(),
            name => name.to_owned(),
        };
        let password_hash = hashed(form.password).await?;
        state
            .store
            .create_user(&NewUser {
                login: Login::new(login.clone()),
                display_name,
                role,
                password_hash: Some(password_hash),
                agent_id: None,
            })
            .await?;
        let details = serde_json::json!({ "login": login, "role": role });
        record(&state, &caller.identity, "user.created", details).await
    }
    .await;
    match outcome {
        Ok(()) => Ok(see_other("/admin/users?done=created")),
        Err(error) => refuse(&request, &state, error).await,
    }
}

/// Refuses a change that would lock the signed-in admin out.
fn not_myself(request: &HttpRequest, state: &AppState, login: &str) -> Result<(), ApiError> {
    let chrome = Chrome::of(request, state, "admin");
    let is_me = chrome
        .user
        .as_ref()
        .is_some_and(|session| session.login.as_str() == login);
    if is_me {
        return Err(CoreError::BadInput(
            "you cannot disable yourself or take away your own admin role".into(),
        )
        .into());
    }
    Ok(())
}

/// The new role.
#[derive(Debug, Deserialize)]
pub(super) struct RoleForm {
    role: String,
}

/// `POST /admin/users/{login}/role`.
pub(super) async fn change_role(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    login: web::Path<String>,
    form: web::Form<RoleForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let login = login.into_inner();
    let outcome = async {
        let role = parse_role(&form.role)?;
        let user = state
            .store
            .user_credentials(&Login::new(login.clone()))
            .await?
            .ok_or_else(|| CoreError::not_found(format!("user {login}")))?
            .user;
        if role != Role::Admin {
            not_myself(&request, &state, &login)?;
        }
        state.store.set_role(&user.login, role).await?;
        state
            .sessions
            .forget_where(|session| session.login == user.login);
        let details = serde_json::json!({ "login": login, "from": user.role, "to": role });
        record(&state, &caller.identity, "user.role_changed", details).await
    }
    .await;
    match outcome {
        Ok(()) => Ok(see_other("/admin/users?done=role_changed")),
        Err(error) => refuse(&request, &state, error).await,
    }
}

/// `active=true` enables, `active=false` disables.
#[derive(Debug, Deserialize)]
pub(super) struct ActiveForm {
    active: bool,
}

/// `POST /admin/users/{login}/active`: a disabled user cannot sign in and their sessions stop
/// working at once.
pub(super) async fn change_active(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    login: web::Path<String>,
    form: web::Form<ActiveForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let login = login.into_inner();
    let active = form.active;
    let outcome = async {
        if !active {
            not_myself(&request, &state, &login)?;
        }
        let user = Login::new(login.clone());
        state.store.set_user_active(&user, active).await?;
        state.sessions.forget_where(|session| session.login == user);
        let action = if active {
            "user.enabled"
        } else {
            "user.disabled"
        };
        record(
            &state,
            &caller.identity,
            action,
            serde_json::json!({ "login": login }),
        )
        .await
    }
    .await;
    match outcome {
        Ok(()) if active => Ok(see_other("/admin/users?done=enabled")),
        Ok(()) => Ok(see_other("/admin/users?done=disabled")),
        Err(error) => refuse(&request, &state, error).await,
    }
}

/// The new password.
#[derive(Debug, Deserialize)]
pub(super) struct PasswordForm {
    password: String,
}

/// `POST /admin/users/{login}/password`.
pub(super) async fn reset_password(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    login: web::Path<String>,
    form: web::Form<PasswordForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let login = login.into_inner();
    let form = form.into_inner();
    let outcome = async {
        let password_hash = hashed(form.password).await?;
        let user = Login::new(login.clone());
        state.store.set_password(&user, &password_hash).await?;
        state.sessions.forget_where(|session| session.login == user);
        let details = serde_json::json!({ "login": login });
        record(&state, &caller.identity, "user.password_reset", details).await
    }
    .await;
    match outcome {
        Ok(()) => Ok(see_other("/admin/users?done=password_reset")),
        Err(error) => refuse(&request, &state, error).await,
    }
}
