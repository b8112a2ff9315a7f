//! `switchboard rules validate|activate FILE` and `rules simulate [--rules FILE] [--since DATE]
//! [--format json]`: routing rules from the command line. Rule files are TOML, or JSON when the
//! name ends in `.json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Subcommand, ValueEnum};
use switchboard_core::event::Actor;
use switchboard_core::routing::SimulationRequest;
use switchboard_router::model::PolicyConfig;
use switchboard_router::rules::{RuleSet, ValidRuleSet, validate};

use super::open_store;
use crate::config::Config;
use crate::dispatch::simulate::{self, SimulationReport};

/// What `rules` does.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Check a rule file; every error is printed with its rule and position.
    Validate {
        /// The rule file (TOML, or JSON when it ends in `.json`).
        file: PathBuf,
    },
    /// Validate a rule file, store it as a new version and make it the active one.
    Activate {
        /// The rule file.
        file: PathBuf,
    },
    /// Replay past items against a rule set and the current agents; changes nothing.
    Simulate {
        /// The candidate rule file (default: the active rule set).
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// Replay items received since this date (YYYY-MM-DD or RFC 3339; default: 7 days ago).
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Use agents' live status and load instead of treating every active agent as free.
        #[arg(long)]
        live_status: bool,
    },
}

/// Output formats of `rules simulate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A readable summary.
    Text,
    /// One JSON object.
    Json,
}

/// Runs a `rules` action.
pub async fn run(action: RulesAction, config: &Config) -> anyhow::Result<ExitCode> {
    match action {
        RulesAction::Validate { file } => {
            let Some(rules) = load(&file)? else {
                return Ok(ExitCode::FAILURE);
            };
            println!(
                "{}: valid, {} rules, queues: {}",
                file.display(),
                rules.source().rules.len(),
                rules.queue_names().join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        RulesAction::Activate { file } => {
            let Some(rules) = load(&file)? else {
                return Ok(ExitCode::FAILURE);
            };
            let store = open_store(config).await?;
            let document = serde_json::to_value(rules.source())?;
            let now = Utc::now();
            let version = store.save_rule_set(&document, true, "cli", now).await?;
            store
                .activate_rule_set(version, &Actor::System, now)
                .await?;
            println!(
                "activated rule set version {version} from {}",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        RulesAction::Simulate {
            rules,
            since,
            format,
            live_status,
        } => {
            let candidate = match &rules {
                Some(file) => match load(file)? {
                    Some(rules) => Some(serde_json::to_value(rules.source())?),
                    None => return Ok(ExitCode::FAILURE),
                },
                None => None,
            };
            let since = since.as_deref().map(parse_since).transpose()?;
            let store = open_store(config).await?;
            let request = SimulationRequest {
                rules: candidate,
                since,
                live_status,
            };
            let report = simulate::run(store.as_ref(), &request, &PolicyConfig::default()).await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string(&report)?),
                Format::Text => print_text(&report),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads and validates a rule file; prints every problem and returns `None` when it has any.
fn load(file: &Path) -> anyhow::Result<Option<ValidRuleSet>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let is_json = file
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
    let parsed = if is_json {
        RuleSet::from_json(&text)
    } else {
        RuleSet::from_toml(&text)
    };
    let set = match parsed {
        Ok(set) => set,
        Err(error) => {
            eprintln!("{}:{error}", file.display());
            return Ok(None);
        }
    };
    match validate(&set) {
        Ok(valid) => Ok(Some(valid)),
        Err(errors) => {
            for error in &errors {
                eprintln!("{}: {error}", file.display());
            }
            eprintln!(
                "{}: {} error(s); nothing changed",
                file.display(),
                errors.len()
            );
            Ok(None)
        }
    }
}

fn parse_since(raw: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
    }
    DateTime::parse_from_rfc3339(raw)
        .map(|at| at.with_timezone(&Utc))
        .with_context(|| format!("--since {raw:?}: use YYYY-MM-DD or an RFC 3339 time"))
}

fn print_text(report: &SimulationReport) {
    println!(
        "replayed {} items: {} assigned, {} unassigned, {} would change queue",
        report.items,
        report.assignments.len(),
        report.unassigned.len(),
        report.queue_changes.len()
    );
    println!("\nqueues:");
    for (name, figures) in &report.queues {
        println!(
            "  {name}: {} items, {} assigned, {} unassigned, wait avg {:.0}s p90 {}s max {}s, {} moved in",
            figures.items,
            figures.assigned,
            figures.unassigned,
            figures.avg_wait_seconds,
            figures.p90_wait_seconds,
            figures.max_wait_seconds,
            figures.moved_in
        );
    }
    println!("\nassignments per agent:");
    for (login, count) in &report.agents {
        println!("  {login}: {count}");
    }
    if !report.unassigned.is_empty() {
        println!("\nunassigned:");
        for item in &report.unassigned {
            println!("  {} ({}): {}", item.item_id, item.queue, item.reason);
        }
    }
    if !report.queue_changes.is_empty() {
        println!("\nqueue changes:");
        for change in &report.queue_changes {
            let from = change.from.as_deref().unwrap_or("-");
            println!("  {}: {from} -> {}", change.item_id, change.to);
        }
    }
}
