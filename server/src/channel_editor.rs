//! The IMAP accounts, watched folders and SMTP relay in force on this node: the configuration
//! file's, or those an admin saved (the `settings` rows [`SAVED_IMAP_SETTING`],
//! [`SAVED_WATCH_SETTING`] and [`SAVED_SMTP_SETTING`], JSON in the file's shape; empty: the
//! file's). A change an admin saves is checked first — each new or changed mailbox is logged in
//! to and its folder selected, each folder must exist and be readable, the relay is connected
//! and logged in to — and then put in force: only the workers whose settings changed restart
//! ([`ChannelWorkers`]), and the outbox sends the next message through the new relay
//! ([`RelayInForce`]). Other nodes follow the saved rows within seconds
//! ([`ChannelEditor::follow`]). Passwords are never shown, logged or audited.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use switchboard_core::CoreError;
use switchboard_core::error::CoreResult;
use switchboard_core::store::Store;
use switchboard_web::api::channel_settings::{
    ChannelList, ChannelSettingsEditor, Entry, EntryProblem, ShownList,
};
use tokio::sync::Mutex;

use crate::channel_forms::{imap_accounts, shown_account, shown_folder, watch_folders};
use crate::channel_workers::ChannelWorkers;
use crate::mail::relay_check::check_relay;
use crate::mail::{ImapAccount, RelayInForce, SmtpRelay, imap};
use crate::relay_form::{shown_relay, smtp_relay};
use crate::watch::WatchFolder;

/// The `settings` row holding the IMAP accounts an admin saved.
pub const SAVED_IMAP_SETTING: &str = "channels.imap";
/// The `settings` row holding the watched folders an admin saved.
pub const SAVED_WATCH_SETTING: &str = "channels.watch";
/// The `settings` row holding the SMTP relay an admin saved.
pub const SAVED_SMTP_SETTING: &str = "channels.smtp";
/// The longest a mailbox check (connect, log in, select the folder) may take.
const MAILBOX_CHECK_TIMEOUT: Duration = Duration::from_secs(15);

/// The lists in force and the saved rows they came from.
struct InForce {
    workers: ChannelWorkers,
    imap: Vec<ImapAccount>,
    folders: Vec<WatchFolder>,
    /// The saved rows last put in force (`None` or empty: the file's).
    imap_row: Option<String>,
    watch_row: Option<String>,
    smtp_row: Option<String>,
    /// Whether the workers were started at all.
    applied: bool,
}

/// The channels of the configuration file, in force until an admin saves others.
pub struct ChannelFiles {
    /// `[[mail.imap]]`.
    pub imap: Vec<ImapAccount>,
    /// `[[watch]]`.
    pub folders: Vec<WatchFolder>,
    /// The relay the outbox sends through, holding `[mail.smtp]`; `None` where no outbox runs
    /// (the relay is then not edited here).
    pub relay: Option<RelayInForce>,
}

/// This node's channel settings: shown to and changed by admins, followed from the database.
pub struct ChannelEditor {
    store: Arc<dyn Store>,
    files: ChannelFiles,
    in_force: Mutex<InForce>,
}

fn saved(row: Option<&str>) -> Option<&str> {
    row.filter(|row| !row.trim().is_empty())
}

impl ChannelEditor {
    /// Starts `workers` with the saved lists, else the file's, and puts the saved relay in force.
    pub async fn start(
        store: Arc<dyn Store>,
        files: ChannelFiles,
        workers: ChannelWorkers,
    ) -> anyhow::Result<Arc<Self>> {
        let editor = Arc::new(Self {
            store,
            files,
            in_force: Mutex::new(InForce {
                workers,
                imap: Vec::new(),
                folders: Vec::new(),
                imap_row: None,
                watch_row: None,
                smtp_row: None,
                applied: false,
            }),
        });
        editor.refresh().await?;
        Ok(editor)
    }

    /// Puts the saved rows in force if they changed since they last were; a saved list that
    /// cannot be read is logged and the lists in force are kept.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let imap_row = self.store.setting(SAVED_IMAP_SETTING).await?;
        let watch_row = self.store.setting(SAVED_WATCH_SETTING).await?;
        let smtp_row = match &self.files.relay {
            Some(_) => self.store.setting(SAVED_SMTP_SETTING).await?,
            None => None,
        };
        let mut in_force = self.in_force.lock().await;
        if in_force.applied
            && in_force.imap_row == imap_row
            && in_force.watch_row == watch_row
            && in_force.smtp_row == smtp_row
        {
            return Ok(());
        }
        let imap = match saved(imap_row.as_deref()) {
            Some(row) => serde_json::from_str(row).context("saved IMAP accounts unreadable")?,
            None => self.files.imap.clone(),
        };
        let folders = match saved(watch_row.as_deref()) {
            Some(row) => serde_json::from_str(row).context("saved watched folders unreadable")?,
            None => self.files.folders.clone(),
        };
        if let Some(relay) = &self.files.relay {
            let saved_relay: SmtpRelay = match saved(smtp_row.as_deref()) {
                Some(row) => serde_json::from_str(row).context("saved SMTP relay unreadable")?,
                None => relay.file().clone(),
            };
            relay.put_in_force(saved_relay);
        }
        let changes = in_force.workers.apply(&imap, &folders).await?;
        if changes.started + changes.stopped > 0 {
            tracing::info!(
                started = changes.started,
                stopped = changes.stopped,
                "channel workers follow changed settings"
            );
        }
        in_force.imap = imap;
        in_force.folders = folders;
        in_force.imap_row = imap_row;
        in_force.watch_row = watch_row;
        in_force.smtp_row = smtp_row;
        in_force.applied = true;
        Ok(())
    }

    /// Checks for changed saved lists every `interval`, for the life of the process.
    pub fn follow(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let editor = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                if let Err(error) = editor.refresh().await {
                    tracing::warn!(error = %format!("{error:#}"), "channel settings check failed");
                }
            }
        })
    }

    /// Stops every worker, each finishing its batch.
    pub async fn stop(&self) {
        self.in_force.lock().await.workers.stop_all().await;
    }

    fn row_of(list: ChannelList) -> &'static str {
        match list {
            ChannelList::Imap => SAVED_IMAP_SETTING,
            ChannelList::Smtp => SAVED_SMTP_SETTING,
            ChannelList::Watch => SAVED_WATCH_SETTING,
        }
    }

    /// Saves `row` for `list` and puts it in force.
    async fn save_row(&self, list: ChannelList, row: &str) -> CoreResult<()> {
        self.store.set_setting(Self::row_of(list), row).await?;
        self.refresh()
            .await
            .map_err(|error| CoreError::Internal(format!("{error:#}")))
    }

    /// The relay handle, when this node edits the relay.
    fn relay(&self) -> CoreResult<&RelayInForce> {
        self.files
            .relay
            .as_ref()
            .ok_or_else(|| CoreError::not_found("the SMTP relay on this node"))
    }
}

/// Logs in to a mailbox and selects its folder; the problem names the field to look at.
async fn check_mailbox(account: &ImapAccount) -> Result<(), (&'static str, String)> {
    let checked = tokio::time::timeout(MAILBOX_CHECK_TIMEOUT, async {
        let mut session = imap::connect(account).await.map_err(|error| {
            let message = format!("{error:#}");
            let field = if message.starts_with("login as") {
                "password"
            } else {
                "host"
            };
            (field, message)
        })?;
        session.select(&account.folder).await.map_err(|error| {
            (
                "folder",
                format!("cannot select folder {:?}: {error}", account.folder),
            )
        })?;
        let _ = session.logout().await;
        Ok(())
    })
    .await;
    checked.unwrap_or_else(|_| {
        Err((
            "host",
            format!(
                "no answer from {}:{} within {} s",
                account.host,
                account.port(),
                MAILBOX_CHECK_TIMEOUT.as_secs()
            ),
        ))
    })
}

/// Checks that a watched folder exists, is a folder and can be listed.
async fn check_folder(path: &Path) -> Result<(), String> {
    let path = path.to_owned();
    let checked = tokio::task::spawn_blocking(move || {
        let metadata = std::fs::metadata(&path)
            .map_err(|error| format!("{} cannot be read: {error}", path.display()))?;
        if !metadata.is_dir() {
            return Err(format!("{} is not a folder", path.display()));
        }
        std::fs::read_dir(&path)
            .map(|_| ())
            .map_err(|error| format!("{} cannot be listed: {error}", path.display()))
    })
    .await;
    checked.unwrap_or_else(|error| Err(format!("folder check failed: {error}")))
}

#[async_trait::async_trait]
impl ChannelSettingsEditor for ChannelEditor {
    fn offers(&self, list: ChannelList) -> bool {
        list != ChannelList::Smtp || self.files.relay.is_some()
    }

    async fn shown(&self, list: ChannelList) -> CoreResult<ShownList> {
        let in_force = self.in_force.lock().await;
        Ok(match list {
            ChannelList::Imap => ShownList {
                entries: in_force.imap.iter().map(shown_account).collect(),
                saved: saved(in_force.imap_row.as_deref()).is_some(),
            },
            ChannelList::Smtp => ShownList {
                entries: vec![shown_relay(&self.relay()?.current())],
                saved: saved(in_force.smtp_row.as_deref()).is_some(),
            },
            ChannelList::Watch => ShownList {
                entries: in_force.folders.iter().map(shown_folder).collect(),
                saved: saved(in_force.watch_row.as_deref()).is_some(),
            },
        })
    }

    async fn save(
        &self,
        list: ChannelList,
        entries: Vec<Entry>,
    ) -> CoreResult<Result<(), Vec<EntryProblem>>> {
        let problem = |position: usize, field: &str, reason: String| EntryProblem {
            entry: position + 1,
            field: field.to_owned(),
            reason,
        };
        let row = match list {
            ChannelList::Imap => {
                let current = self.in_force.lock().await.imap.clone();
                let accounts = match imap_accounts(&entries, &current) {
                    Ok(accounts) => accounts,
                    Err(problems) => return Ok(Err(problems)),
                };
                let mut problems = Vec::new();
                for (position, account) in accounts.iter().enumerate() {
                    if current.contains(account) {
                        continue;
                    }
                    if let Err((field, reason)) = check_mailbox(account).await {
                        problems.push(problem(position, field, reason));
                    }
                }
                if !problems.is_empty() {
                    return Ok(Err(problems));
                }
                serde_json::to_string(&accounts)
            }
            ChannelList::Smtp => {
                let relay = match smtp_relay(&entries, &self.relay()?.current()) {
                    Ok(relay) => relay,
                    Err(problems) => return Ok(Err(problems)),
                };
                if let Err(refused) = check_relay(&relay).await {
                    return Ok(Err(vec![problem(0, refused.field, refused.reason)]));
                }
                serde_json::to_string(&relay)
            }
            ChannelList::Watch => {
                let folders = match watch_folders(&entries) {
                    Ok(folders) => folders,
                    Err(problems) => return Ok(Err(problems)),
                };
                let mut problems = Vec::new();
                for (position, folder) in folders.iter().enumerate() {
                    if let Err(reason) = check_folder(&folder.path).await {
                        problems.push(problem(position, "path", reason));
                    }
                }
                if !problems.is_empty() {
                    return Ok(Err(problems));
                }
                serde_json::to_string(&folders)
            }
        }
        .map_err(|error| CoreError::Internal(format!("channel settings not encoded: {error}")))?;
        self.save_row(list, &row).await?;
        Ok(Ok(()))
    }

    async fn use_file(&self, list: ChannelList) -> CoreResult<()> {
        self.save_row(list, "").await
    }
}
