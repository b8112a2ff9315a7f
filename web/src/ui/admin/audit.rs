//! Recording admin changes in the audit trail, and naming who made past ones.

use std::collections::HashMap;

use switchboard_core::UserId;
use switchboard_core::event::{Actor, NewEvent};

use crate::auth::Identity;
use crate::error::ApiError;
use crate::state::AppState;

/// Records that `caller` did `action` (e.g. `user.created`) with `details`.
pub(super) async fn record(
    state: &AppState,
    caller: &Identity,
    action: &str,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    let event = NewEvent {
        at: state.clock.now(),
        actor: caller.actor.clone(),
        action: action.to_owned(),
        item_id: None,
        details,
    };
    Ok(state.store.record_event(&event).await?)
}

/// Names actors for people: users by login, tokens by name.
pub(super) struct ActorNames {
    logins: HashMap<UserId, String>,
}

impl ActorNames {
    /// Reads the logins of every user.
    pub(super) async fn load(state: &AppState) -> Result<Self, ApiError> {
        let logins = state
            .store
            .users()
            .await?
            .into_iter()
            .map(|user| (user.id, user.login.to_string()))
            .collect();
        Ok(Self { logins })
    }

    /// The id of the user who signs in as `login`.
    pub(super) fn user_with_login(&self, login: &str) -> Option<UserId> {
        self.logins
            .iter()
            .find(|(_, known)| known.as_str() == login)
            .map(|(id, _)| *id)
    }

    /// The name of `actor`.
    pub(super) fn of(&self, actor: &Actor) -> String {
        match actor {
            Actor::System => "system".to_owned(),
            Actor::User { id } => self
                .logins
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("user {id}")),
            Actor::Token { name } => format!("token {name}"),
        }
    }

    /// The name of a stored `created_by`: an actor as JSON (the API and UI), or plain text
    /// (`cli`).
    pub(super) fn of_stored(&self, created_by: &str) -> String {
        serde_json::from_str::<Actor>(created_by)
            .map_or_else(|_| created_by.to_owned(), |actor| self.of(&actor))
    }
}
