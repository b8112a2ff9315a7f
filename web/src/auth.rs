//! Who is calling and what they may do: API tokens (hashed at rest), password hashing, and
//! role extractors that make each handler's rule visible in its signature.

use std::future::{Ready, ready};
use std::marker::PhantomData;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use switchboard_core::CoreError;
use switchboard_core::admin::NewApiToken;
use switchboard_core::event::Actor;
use switchboard_core::session::Session;
use switchboard_core::user::Role;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The caller's role.
    pub role: Role,
    /// Who to record in audit events.
    pub actor: Actor,
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, CoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| CoreError::Internal(format!("password hashing failed: {error}")))
}

/// Checks a password against a PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the time of one password check on a hash nobody's password matches, so a sign-in for
/// an unknown, disabled or password-less login takes as long as a wrong password for a real
/// one and response times do not tell which logins exist.
pub fn verify_against_nobody(password: &str) {
    static NOBODY: std::sync::LazyLock<Option<String>> =
        std::sync::LazyLock::new(|| hash_password(&random_secret()).ok());
    if let Some(hash) = NOBODY.as_deref() {
        verify_password(password, hash);
    }
}

/// How many characters of a token's plaintext are kept to tell tokens apart in lists:
/// `sb_` and six random characters (36 of the 256 random bits).
const TOKEN_PREFIX_CHARS: usize = 9;

/// Creates a new API token named `name` acting with `role`: the plaintext (shown once) and
/// what to store (its hash and a short prefix, never the rest).
pub fn new_api_token(name: &str, role: Role) -> (String, NewApiToken) {
    let plaintext = format!("sb_{}", random_secret());
    let token = NewApiToken {
        name: name.to_owned(),
        role,
        token_hash: api_token_hash(&plaintext),
        prefix: plaintext.chars().take(TOKEN_PREFIX_CHARS).collect(),
    };
    (plaintext, token)
}

/// Returns 256 random bits, URL-safe base64: session ids, CSRF tokens, API tokens.
pub fn random_secret() -> String {
    let mut secret = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
}

/// Returns the stored form of a random secret. Secrets carry 256 random bits, so a fast hash
/// is safe.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Returns the stored form of a token.
pub fn api_token_hash(plaintext: &str) -> String {
    secret_hash(plaintext)
}

/// Finds who is calling, for every request before any body is read: a bearer token (API
/// integrations, exempt from CSRF) or a session cookie (browsers). A cookie-authenticated request
/// that changes state must carry the session's CSRF token (header or form field) or is refused
/// with 403. The identity (and the session) go into the request extensions; a request without
/// credentials goes on anonymous, and the role extractors refuse it where a role is needed.
pub async fn identify(
    mut request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    match authenticate(&mut request).await {
        Ok(found) => {
            if let Some((identity, session)) = found {
                request.extensions_mut().insert(identity);
                if let Some(session) = session {
                    request.extensions_mut().insert(session);
                }
            }
            next.call(request)
                .await
                .map(ServiceResponse::map_into_left_body)
        }
        Err(error) => Ok(request.error_response(error).map_into_right_body()),
    }
}

/// Refuses API requests without an identity with 401.
pub async fn require_identity(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if request.extensions().get::<Identity>().is_some() {
        next.call(request)
            .await
            .map(ServiceResponse::map_into_left_body)
    } else {
        let error = ApiError::from(CoreError::Unauthenticated);
        Ok(request.error_response(error).map_into_right_body())
    }
}

async fn authenticate(
    request: &mut ServiceRequest,
) -> Result<Option<(Identity, Option<Session>)>, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| CoreError::Internal("application state missing".into()))?
        .clone();
    let header = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    if let Some(header) = header {
        let token = header
            .strip_prefix("Bearer ")
            .ok_or(CoreError::Unauthenticated)?;
        let hash = api_token_hash(token.trim());
        let token = state
            .tokens
            .fresh_or_read(&hash, state.store.api_token_by_hash(&hash))
            .await?
            .ok_or(CoreError::Unauthenticated)?;
        let now = state.clock.now();
        let used_long_ago = token.last_used_at.is_none_or(|last| {
            now - last >= chrono::Duration::seconds(crate::session::TOUCH_INTERVAL_SECONDS)
        });
        if used_long_ago {
            state.store.touch_api_token(token.id, now).await?;
            state
                .tokens
                .update(&hash, |token| token.last_used_at = Some(now));
        }
        let identity = Identity {
            role: token.role,
            actor: Actor::Token { name: token.name },
        };
        return Ok(Some((identity, None)));
    }
    let Some(session) = crate::session::of_request(request, &state).await? else {
        return Ok(None);
    };
    if !request.method().is_safe() {
        let presented = crate::session::presented_csrf_token(request).await?;
        crate::session::check_csrf(&session, presented.as_deref())?;
    }
    let identity = Identity {
        role: session.role,
        actor: Actor::User { id: session.user },
    };
    Ok(Some((identity, Some(session))))
}

/// A role a handler requires.
pub trait RequiredRole {
    /// The least role allowed.
    const ROLE: Role;
}

/// Marker: any signed-in agent, lead or admin.
pub struct AgentRole;
/// Marker: team leads and admins.
pub struct LeadRole;
/// Marker: admins only.
pub struct AdminRole;

impl RequiredRole for AgentRole {
    const ROLE: Role = Role::Agent;
}
impl RequiredRole for LeadRole {
    const ROLE: Role = Role::Lead;
}
impl RequiredRole for AdminRole {
    const ROLE: Role = Role::Admin;
}

/// An identity proven to hold at least role `R`; extracting it refuses everyone else.
pub struct Authed<R: RequiredRole> {
    /// The caller.
    pub identity: Identity,
    role: PhantomData<R>,
}

impl<R: RequiredRole> FromRequest for Authed<R> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let identity = request.extensions().get::<Identity>().cloned();
        ready(match identity {
            None => Err(CoreError::Unauthenticated.into()),
            Some(identity) if identity.role.includes(R::ROLE) => Ok(Self {
                identity,
                role: PhantomData,
            }),
            Some(identity) => Err(CoreError::Forbidden(format!(
                "this needs the {} role; the caller is {}",
                R::ROLE,
                identity.role
            ))
            .into()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let phc = hash_password("demo").unwrap();
        assert!(verify_password("demo", &phc));
        assert!(!verify_password("Demo", &phc));
        assert!(!verify_password("demo", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let (first, stored) = new_api_token("erp", Role::Lead);
        let (second, _) = new_api_token("erp", Role::Lead);
        assert_ne!(first, second);
        assert_eq!(api_token_hash(&first), stored.token_hash);
        assert!(first.starts_with("sb_") && first.len() > 40);
        assert!(first.starts_with(&stored.prefix) && stored.prefix.len() == 9);
        assert_eq!((stored.name.as_str(), stored.role), ("erp", Role::Lead));
    }
}
