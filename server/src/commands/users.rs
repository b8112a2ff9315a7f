//! `switchboard users add`.

use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use switchboard_core::Login;
use switchboard_core::store::Store;
use switchboard_core::user::NewUser;

use crate::cli::UserArgs;

/// Adds a user, or sets the password and role of an existing one (an imported agent).
pub async fn add(store: &Arc<dyn Store>, args: UserArgs) -> anyhow::Result<ExitCode> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(
        !password.is_empty(),
        "the password on standard input is empty"
    );
    let hash = switchboard_web::auth::hash_password(password)?;
    let login = Login::new(args.login.clone());
    let role = args.role.into();
    match store.user_credentials(&login).await? {
        Some(_) => {
            store.set_password(&login, &hash).await?;
            store.set_role(&login, role).await?;
            println!("user {login} updated (role {role}, password set)");
        }
        None => {
            store
                .create_user(&NewUser {
                    login: login.clone(),
                    display_name: args.name.unwrap_or_else(|| args.login.clone()),
                    role,
                    password_hash: Some(hash),
                    agent_id: None,
                })
                .await?;
            println!("user {login} added (role {role})");
        }
    }
    Ok(ExitCode::SUCCESS)
}
