//! One module per command.

mod export;
pub mod import;
mod ingest;
mod reindex;
pub mod rules;
mod serve;
mod tokens;
mod users;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use switchboard_core::store::Store;

use crate::cli::{Command, ExportWhat, TokensAction, UsersAction};
use crate::config::Config;

/// Runs a command.
pub async fn dispatch(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { demo } => serve::run(config, demo).await,
        Command::Migrate => {
            open_store(&config).await?;
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { path } => import::run(&open_store(&config).await?, &path).await,
        Command::Ingest { channel, paths } => {
            ingest::run(open_store(&config).await?, &config, channel.into(), &paths).await
        }
        Command::Reindex => reindex::run(&open_store(&config).await?, &config).await,
        Command::Export {
            what: ExportWhat::Items { with_text },
        } => export::items(&open_store(&config).await?, with_text).await,
        Command::Users {
            action: UsersAction::Add(args),
        } => users::add(&open_store(&config).await?, args).await,
        Command::Rules { action } => rules::run(action, &config).await,
        Command::Tokens {
            action: TokensAction::Create { name, role },
        } => tokens::create(&open_store(&config).await?, &name, role.into()).await,
    }
}

/// Opens the configured store, applying pending migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let url = config.database_url();
    switchboard_store::open_with(&url, config.cases)
        .await
        .with_context(|| {
            format!(
                "cannot open database {}",
                switchboard_store::redact_url(&url)
            )
        })
}
