//! The `switchboard` binary's library: CLI, configuration, wiring and commands. `main.rs`
//! only parses arguments and calls [`run`].

pub mod advisory_lock;
pub mod backlog_sampler;
pub mod channel_editor;
pub mod channel_forms;
pub mod channel_overview;
pub mod channel_settings;
pub mod channel_workers;
pub mod cli;
pub mod commands;
pub mod config;
pub mod demo;
pub mod dispatch;
pub mod indexer;
pub mod mail;
pub mod master_csv;
pub mod periodic;
pub mod pipeline;
pub mod relay_form;
pub mod session_sweeper;
pub mod sla_settings;
pub mod stop_signal;
pub mod telemetry;
pub mod watch;

pub use cli::Cli;
pub use config::Config;

/// Runs a parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let config = Config::load(cli.config.as_deref())?;
    commands::dispatch(cli.command, config).await
}

/// mimalloc instead of the system allocator: parsing, linking and page rendering allocate
/// and free many small strings, and glibc's malloc and free took a sixth of intake's CPU
/// (12 % more e-mails per CPU-second with mimalloc on the intake bench). Declared here, it
/// serves the `switchboard` binary and everything else built on this library (benches,
/// tests) alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
