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
use switchboard_core::event::Actor;
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

/// Creates a new API token: the plaintext (shown once) and the hash to store.
pub fn new_api_token() -> (String, String) {
    let mut secret = [0_u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let plaintext = format!(
        "sb_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let hash = api_token_hash(&plaintext);
    (plaintext, hash)
}

/// Returns the stored form of a token. Tokens carry 256 random bits, so a fast hash is safe.
pub fn api_token_hash(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

/// Authenticates API requests before any body is read; the identity goes into the request
/// extensions, and requests without valid credentials are refused with 401.
pub async fn require_identity(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    match identify(&request).await {
        Ok(identity) => {
            request.extensions_mut().insert(identity);
            next.call(request)
                .await
                .map(ServiceResponse::map_into_left_body)
        }
        Err(error) => Ok(request.error_response(error).map_into_right_body()),
    }
}

async fn identify(request: &ServiceRequest) -> Result<Identity, ApiError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| CoreError::Internal("application state missing".into()))?;
    let header = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let Some(token) = header.and_then(|value| value.strip_prefix("Bearer ")) else {
        return Err(CoreError::Unauthenticated.into());
    };
    let token = state
        .store
        .api_token_by_hash(&api_token_hash(token.trim()))
        .await?
        .ok_or(CoreError::Unauthenticated)?;
    Ok(Identity {
        role: token.role,
        actor: Actor::Token { name: token.name },
    })
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
        let (first, first_hash) = new_api_token();
        let (second, _) = new_api_token();
        assert_ne!(first, second);
        assert_eq!(api_token_hash(&first), first_hash);
        assert!(first.starts_with("sb_") && first.len() > 40);
    }
}
