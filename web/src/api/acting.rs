//! Who an agent action is for, and telling the router: one place for every API module.
//!
//! An API token acts with its role; for agent actions it names the agent with `?agent=LOGIN`
//! (a signed-in user acts as themselves).

use actix_web::web;
use serde::Deserialize;
use switchboard_core::event::Actor;
use switchboard_core::routing::RouterHandle;
use switchboard_core::user::Role;
use switchboard_core::work::Worker;
use switchboard_core::{CoreError, Login, UserId};

use crate::auth::Identity;
use crate::error::ApiError;
use crate::state::AppState;

/// The node's router, when this node routes.
pub(crate) type Router = Option<web::Data<dyn RouterHandle>>;

/// `?agent=LOGIN` of agent actions taken with an API token.
#[derive(Debug, Deserialize)]
pub(crate) struct AgentQuery {
    pub(crate) agent: Option<String>,
}

/// The agent an agent action is for: the signed-in user, or the agent a token names.
pub(crate) async fn acting_agent(
    identity: &Identity,
    query: &AgentQuery,
    state: &AppState,
) -> Result<UserId, ApiError> {
    if let Actor::User { id } = identity.actor {
        return Ok(id);
    }
    let login = query.agent.as_deref().ok_or_else(|| {
        CoreError::BadInput("an API token acts for an agent: name it with ?agent=LOGIN".into())
    })?;
    user_id(state, login).await
}

/// Finds a user's id by login.
pub(crate) async fn user_id(state: &AppState, login: &str) -> Result<UserId, ApiError> {
    let credentials = state.store.user_credentials(&Login::new(login)).await?;
    Ok(credentials
        .ok_or_else(|| CoreError::not_found(format!("agent {login}")))?
        .user
        .id)
}

/// Who changes an item: leads and admins change any item (acting for an agent only when they
/// name one); an agent changes their own.
pub(crate) async fn acting_worker(
    identity: &Identity,
    query: &AgentQuery,
    state: &AppState,
) -> Result<Worker, ApiError> {
    let lead = identity.role.includes(Role::Lead);
    let names_agent = query.agent.is_some() || matches!(identity.actor, Actor::User { .. });
    let agent = if lead && !names_agent {
        None
    } else {
        Some(acting_agent(identity, query, state).await?)
    };
    let name = match (&identity.actor, agent) {
        (Actor::Token { name }, None) => name.clone(),
        (_, Some(agent)) => login_of(state, agent).await?,
        (actor, None) => serde_json::to_string(actor).unwrap_or_default(),
    };
    Ok(Worker {
        actor: identity.actor.clone(),
        name,
        agent,
        lead,
    })
}

async fn login_of(state: &AppState, user: UserId) -> Result<String, ApiError> {
    let users = state.store.users().await?;
    let found = users.into_iter().find(|candidate| candidate.id == user);
    Ok(found
        .ok_or_else(|| CoreError::not_found(format!("user {user}")))?
        .login
        .to_string())
}

/// Tells the node's router that routing state changed.
pub(crate) fn wake(router: &Router) {
    if let Some(router) = router {
        router.wake();
    }
}
