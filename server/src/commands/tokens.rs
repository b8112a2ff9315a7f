//! `switchboard tokens create`.

use std::process::ExitCode;
use std::sync::Arc;

use switchboard_core::store::Store;
use switchboard_core::user::Role;

/// Creates an API token and prints it once.
pub async fn create(store: &Arc<dyn Store>, name: &str, role: Role) -> anyhow::Result<ExitCode> {
    let (plaintext, token) = switchboard_web::auth::new_api_token(name, role);
    store.create_api_token(&token, chrono::Utc::now()).await?;
    eprintln!("token {name:?} created with role {role}; it is shown only this once:");
    println!("{plaintext}");
    Ok(ExitCode::SUCCESS)
}
