//! The command line of DESIGN.md's CLI contract.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Switchboard: every inbound channel as work items in one queue, routed by skills.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about)]
pub struct Cli {
    /// Configuration file (TOML); `SWITCHBOARD_<KEY>` environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP and run the workers.
    Serve {
        /// Seed fictional demo data into an empty database.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Import master data: a folder of files named by kind (customers.csv, ...) or one file.
    Import {
        /// Folder or file.
        path: PathBuf,
    },
    /// Ingest inputs of a channel through the live pipeline: files, folders, or `-` for one
    /// message on standard input (exit 75 when it could not be landed, for mail servers).
    Ingest {
        /// The channel.
        #[arg(long, value_enum)]
        channel: ChannelArg,
        /// Files, folders, or `-`.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Rebuild the search index from the database; a running server switches to it.
    Reindex,
    /// Export data.
    Export {
        /// What to export.
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Manage user accounts.
    Users {
        /// The action.
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Manage API tokens for integrations.
    Tokens {
        /// The action.
        #[command(subcommand)]
        action: TokensAction,
    },
    /// Validate, activate or simulate routing rules.
    Rules {
        /// The action.
        #[command(subcommand)]
        action: crate::commands::rules::RulesAction,
    },
}

/// What `export` writes.
#[derive(Debug, Subcommand)]
pub enum ExportWhat {
    /// Work items as JSON Lines on stdout, one item per line.
    Items {
        /// Include each item's text (body, OCR text or transcription).
        #[arg(long)]
        with_text: bool,
    },
}

/// Channels on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChannelArg {
    /// E-mail messages (RFC 5322).
    Email,
    /// Fax PDFs/TIFFs and fax-server notification e-mails.
    Fax,
    /// PBX notification e-mails and webhook payloads.
    Voicemail,
    /// Scanned letters.
    Letter,
    /// Task payloads.
    Task,
}

impl From<ChannelArg> for switchboard_core::item::Channel {
    fn from(channel: ChannelArg) -> Self {
        match channel {
            ChannelArg::Email => Self::Email,
            ChannelArg::Fax => Self::Fax,
            ChannelArg::Voicemail => Self::Voicemail,
            ChannelArg::Letter => Self::Letter,
            ChannelArg::Task => Self::Task,
        }
    }
}

/// Roles on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Works their queue.
    Agent,
    /// Watches queues and rebalances work.
    Lead,
    /// Defines agents, skills, queues and rules.
    Admin,
}

impl From<RoleArg> for switchboard_core::user::Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Agent => Self::Agent,
            RoleArg::Lead => Self::Lead,
            RoleArg::Admin => Self::Admin,
        }
    }
}

/// User actions.
#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Add a user, or set the password and role of an existing one (e.g. an imported agent).
    Add(UserArgs),
}

/// Arguments of `users add`.
#[derive(Debug, Args)]
pub struct UserArgs {
    /// Login name.
    #[arg(long)]
    pub login: String,
    /// Role.
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// Read the password from the first line of standard input.
    #[arg(long, required = true)]
    pub password_stdin: bool,
    /// Display name (defaults to the login).
    #[arg(long)]
    pub name: Option<String>,
}

/// Token actions.
#[derive(Debug, Subcommand)]
pub enum TokensAction {
    /// Create a token and print it once; only its hash is stored.
    Create {
        /// What the token is for, e.g. "SAP sync".
        #[arg(long)]
        name: String,
        /// The role it acts with (master-data import needs admin).
        #[arg(long, value_enum)]
        role: RoleArg,
    },
}
