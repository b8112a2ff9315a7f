//! API tokens (`/admin/tokens`): create one (its plaintext is shown on the answer to the
//! creating request and never again; only its hash and a short prefix are stored), list them
//! (prefix, role, created, last used, revoked) and revoke one. Audited as `api_token.*`.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use switchboard_core::admin::ApiTokenListing;
use switchboard_core::user::Role;
use switchboard_core::{ApiTokenId, ErrorKind};

use super::audit::record;
use super::{Done, render_refused};
use crate::auth::{AdminRole, Authed, new_api_token};
use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::page::{Chrome, render, see_other};

/// The longest token name.
const MAX_NAME_CHARS: usize = 100;

/// A token as the list shows it.
struct TokenRow {
    id: ApiTokenId,
    name: String,
    role: Role,
    prefix: String,
    created_at: String,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
}

fn row_of(token: ApiTokenListing) -> TokenRow {
    let minute = crate::ui::clock::minute;
    TokenRow {
        id: token.id,
        name: token.name,
        role: token.role,
        prefix: token.prefix.unwrap_or_default(),
        created_at: minute(token.created_at),
        last_used_at: token.last_used_at.map(minute),
        revoked_at: token.revoked_at.map(minute),
    }
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage<'a> {
    chrome: Chrome<'a>,
    tokens: Vec<TokenRow>,
    roles: [Role; 3],
    /// The plaintext of the token just created: shown this once.
    created: Option<(String, String)>,
    notice: Option<&'static str>,
    alert: Option<String>,
}

async fn page_of<'a>(
    request: &HttpRequest,
    state: &'a AppState,
) -> Result<TokensPage<'a>, ApiError> {
    Ok(TokensPage {
        chrome: Chrome::of(request, state, "admin"),
        tokens: state
            .store
            .api_tokens()
            .await?
            .into_iter()
            .map(row_of)
            .collect(),
        roles: [Role::Agent, Role::Lead, Role::Admin],
        created: None,
        notice: None,
        alert: None,
    })
}

/// `GET /admin/tokens`.
pub(super) async fn page(
    _caller: Authed<AdminRole>,
    request: HttpRequest,
    done: web::Query<Done>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut page = page_of(&request, &state).await?;
    page.notice = done.notice(&["admin.tokens.revoked"]);
    render(&page)
}

/// The new token's name and role.
#[derive(Debug, Deserialize)]
pub(super) struct CreateForm {
    name: String,
    role: String,
}

/// `POST /admin/tokens`: answers with the page showing the new token's plaintext once (not a
/// redirect, so it is never in a URL or a later page).
pub(super) async fn create(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    form: web::Form<CreateForm>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let name = form.name.trim().to_owned();
    let role = Role::parse(&form.role);
    let problem = match role {
        _ if name.is_empty() || name.chars().count() > MAX_NAME_CHARS => Some(format!(
            "a token needs a name of 1 to {MAX_NAME_CHARS} characters"
        )),
        None => Some(format!("unknown role {:?}", form.role)),
        Some(_) => None,
    };
    let Some(role) = role.filter(|_| problem.is_none()) else {
        let mut page = page_of(&request, &state).await?;
        page.alert = problem;
        return render_refused(&page);
    };
    let (plaintext, token) = new_api_token(&name, role);
    let id = state
        .store
        .create_api_token(&token, state.clock.now())
        .await?;
    let details =
        serde_json::json!({ "id": id, "name": name, "role": role, "prefix": token.prefix });
    record(&state, &caller.identity, "api_token.created", details).await?;
    let mut page = page_of(&request, &state).await?;
    page.created = Some((name, plaintext));
    render(&page)
}

/// `POST /admin/tokens/{id}/revoke`.
pub(super) async fn revoke(
    caller: Authed<AdminRole>,
    request: HttpRequest,
    id: web::Path<i64>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = ApiTokenId::new(id.into_inner());
    match state.store.revoke_api_token(id, state.clock.now()).await {
        Ok(()) => state.tokens.forget_where(|token| token.id == id),
        Err(error) if error.kind() == ErrorKind::NotFound => {
            let mut page = page_of(&request, &state).await?;
            page.alert = Some(error.to_string());
            return render_refused(&page);
        }
        Err(error) => return Err(error.into()),
    }
    record(
        &state,
        &caller.identity,
        "api_token.revoked",
        serde_json::json!({ "id": id }),
    )
    .await?;
    Ok(see_other("/admin/tokens?done=revoked"))
}
