//! The admin's channel entries (text fields by name, as the web layer takes them) turned into
//! IMAP accounts and watched folders, and back for showing; pure, so every refusal is a unit
//! test. A missing or empty password keeps the one of the current account with the same name.

use std::collections::HashSet;
use std::path::PathBuf;

use switchboard_core::item::Channel;
use switchboard_web::api::channel_settings::{ChannelList, Entry, EntryProblem, ShownEntry};

use crate::mail::settings::{DEFAULT_FETCH_BATCH, MAX_FETCH_BATCH};
use crate::mail::{ImapAccount, ProcessedAction, Secret, Security};
use crate::watch::WatchFolder;

/// Reads one entry's fields, collecting every problem with its field.
pub(crate) struct Fields<'a> {
    entry: &'a Entry,
    position: usize,
    pub(crate) problems: Vec<EntryProblem>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(entry: &'a Entry, position: usize) -> Self {
        Self {
            entry,
            position,
            problems: Vec::new(),
        }
    }

    pub(crate) fn refuse(&mut self, field: &str, reason: impl Into<String>) {
        self.problems.push(EntryProblem {
            entry: self.position + 1,
            field: field.to_owned(),
            reason: reason.into(),
        });
    }

    /// The trimmed text of a field; empty when absent.
    pub(crate) fn text(&self, field: &str) -> &'a str {
        self.entry.get(field).map_or("", |value| value.trim())
    }

    /// A required text without spaces or control characters.
    pub(crate) fn word(&mut self, field: &str, what: &str) -> String {
        let value = self.text(field);
        if value.is_empty() {
            self.refuse(field, format!("{what} is required"));
        } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            self.refuse(field, format!("{what} has no spaces"));
        }
        value.to_owned()
    }

    /// A whole number from `min` to `max`, or `default` when empty.
    pub(crate) fn number<T>(&mut self, field: &str, min: T, max: T, default: Option<T>) -> Option<T>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let value = self.text(field);
        if value.is_empty() {
            return default;
        }
        match value.parse::<T>() {
            Ok(number) if number >= min && number <= max => Some(number),
            _ => {
                self.refuse(field, format!("a whole number from {min} to {max}"));
                default
            }
        }
    }

    pub(crate) fn flag(&self, field: &str) -> bool {
        matches!(self.text(field), "true" | "on" | "1" | "yes")
    }

    /// Checks that only the fields of `list` are present (a typo would otherwise be ignored).
    pub(crate) fn only(&mut self, list: ChannelList) {
        let known: Vec<&str> = list.fields().iter().map(|field| field.name).collect();
        let unknown: Vec<String> = self
            .entry
            .keys()
            .filter(|name| !known.contains(&name.as_str()))
            .cloned()
            .collect();
        for name in unknown {
            self.refuse(&name, format!("unknown field; known: {}", known.join(", ")));
        }
    }

    /// The connection security (default tls), refusing plain to anything but this host.
    pub(crate) fn security(&mut self, host: &str) -> Security {
        let security = match self.text("security") {
            "" | "tls" => Security::Tls,
            "starttls" => Security::Starttls,
            "plain" => Security::Plain,
            _ => {
                self.refuse("security", "tls, starttls or plain");
                Security::Tls
            }
        };
        if !host.is_empty()
            && let Err(error) = security.check_host(host)
        {
            self.refuse("security", error.to_string());
        }
        security
    }

    /// The typed secret of `field`; `None` when left empty (keep the saved one).
    pub(crate) fn typed_secret(&self, field: &str) -> Option<Secret> {
        self.entry
            .get(field)
            .filter(|typed| !typed.is_empty())
            .map(Secret::new)
    }
}

/// The accounts of `entries`; `current` supplies kept passwords. Every problem is reported.
pub fn imap_accounts(
    entries: &[Entry],
    current: &[ImapAccount],
) -> Result<Vec<ImapAccount>, Vec<EntryProblem>> {
    let mut accounts = Vec::with_capacity(entries.len());
    let mut problems = Vec::new();
    let mut names = HashSet::new();
    for (position, entry) in entries.iter().enumerate() {
        let mut fields = Fields::new(entry, position);
        fields.only(ChannelList::Imap);
        let name = fields.word("name", "a name");
        if !name.is_empty() && !names.insert(name.clone()) {
            fields.refuse("name", format!("another account is named {name:?}"));
        }
        let host = fields.word("host", "a host");
        let security = fields.security(&host);
        let port = fields.number("port", 1u16, u16::MAX, None);
        let user = fields.word("user", "a login");
        let kept = current.iter().find(|account| account.name == name);
        let password = match (fields.typed_secret("password"), kept) {
            (Some(typed), _) => typed,
            (None, Some(account)) => account.password.clone(),
            (None, None) => {
                fields.refuse("password", "a new account needs its password");
                Secret::default()
            }
        };
        let folder = match fields.text("folder") {
            "" => "INBOX".to_owned(),
            folder => folder.to_owned(),
        };
        let move_to = fields.text("move_to");
        let processed = match (fields.text("processed_flag"), move_to) {
            (_, folder) if !folder.is_empty() => ProcessedAction::MoveTo(folder.to_owned()),
            ("", _) => ProcessedAction::default(),
            (flag, _)
                if flag
                    .chars()
                    .any(|c| c.is_whitespace() || "()\"".contains(c)) =>
            {
                fields.refuse(
                    "processed_flag",
                    "a flag or keyword has no spaces, quotes or brackets",
                );
                ProcessedAction::default()
            }
            (flag, _) => ProcessedAction::Flag(flag.to_owned()),
        };
        if move_to == folder {
            fields.refuse("move_to", "moving to the folder read would read it again");
        }
        let poll_seconds = fields
            .number("poll_seconds", 1u64, 86_400, Some(60))
            .unwrap_or(60);
        let fetch_batch = fields
            .number(
                "fetch_batch",
                1usize,
                MAX_FETCH_BATCH,
                Some(DEFAULT_FETCH_BATCH),
            )
            .unwrap_or(DEFAULT_FETCH_BATCH);
        let acknowledge = fields.flag("acknowledge");
        problems.append(&mut fields.problems);
        accounts.push(ImapAccount {
            name,
            host,
            port,
            security,
            user,
            password,
            folder,
            processed,
            poll_seconds,
            fetch_batch,
            acknowledge,
        });
    }
    if problems.is_empty() {
        Ok(accounts)
    } else {
        Err(problems)
    }
}

/// The folders of `entries` (their paths not yet looked at). Every problem is reported.
pub fn watch_folders(entries: &[Entry]) -> Result<Vec<WatchFolder>, Vec<EntryProblem>> {
    let mut folders = Vec::with_capacity(entries.len());
    let mut problems = Vec::new();
    let mut paths = HashSet::new();
    for (position, entry) in entries.iter().enumerate() {
        let mut fields = Fields::new(entry, position);
        fields.only(ChannelList::Watch);
        let path = fields.text("path");
        if path.is_empty() {
            fields.refuse("path", "a folder path is required");
        } else if !path.starts_with('/') {
            fields.refuse("path", "an absolute path (starting with /)");
        } else if !paths.insert(path.to_owned()) {
            fields.refuse("path", "this folder is listed twice");
        }
        let channel = match Channel::parse(fields.text("channel")) {
            Some(Channel::Task) => {
                fields.refuse("channel", "tasks come through the task API, not files");
                Channel::Email
            }
            Some(channel) => channel,
            None => {
                fields.refuse("channel", "email, fax, letter or voicemail");
                Channel::Email
            }
        };
        let settle_seconds = fields
            .number("settle_seconds", 0u64, 3_600, Some(2))
            .unwrap_or(2);
        let poll_seconds = fields
            .number("poll_seconds", 1u64, 3_600, Some(2))
            .unwrap_or(2);
        problems.append(&mut fields.problems);
        folders.push(WatchFolder {
            path: PathBuf::from(path),
            channel,
            settle_seconds,
            poll_seconds,
        });
    }
    if problems.is_empty() {
        Ok(folders)
    } else {
        Err(problems)
    }
}

/// An entry as shown: its fields (never a password) and whether its password is set.
pub(crate) fn shown(fields: &[(&str, String)], password_set: bool) -> ShownEntry {
    ShownEntry {
        fields: fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect(),
        password_set,
    }
}

/// The security's name in forms and the configuration file.
pub(crate) fn security_name(security: Security) -> &'static str {
    match security {
        Security::Tls => "tls",
        Security::Starttls => "starttls",
        Security::Plain => "plain",
    }
}

/// An account as the admin sees it: every field but the password, and whether it is set.
pub fn shown_account(account: &ImapAccount) -> ShownEntry {
    let (flag, move_to) = match &account.processed {
        ProcessedAction::Flag(flag) => (flag.clone(), String::new()),
        ProcessedAction::MoveTo(folder) => (String::new(), folder.clone()),
    };
    shown(
        &[
            ("name", account.name.clone()),
            ("host", account.host.clone()),
            ("port", account.port().to_string()),
            ("security", security_name(account.security).to_owned()),
            ("user", account.user.clone()),
            ("folder", account.folder.clone()),
            ("processed_flag", flag),
            ("move_to", move_to),
            ("poll_seconds", account.poll_seconds.to_string()),
            ("fetch_batch", account.fetch_batch.to_string()),
            ("acknowledge", account.acknowledge.to_string()),
        ],
        !account.password.expose().is_empty(),
    )
}

/// A watched folder as the admin sees it.
pub fn shown_folder(folder: &WatchFolder) -> ShownEntry {
    shown(
        &[
            ("path", folder.path.display().to_string()),
            ("channel", folder.channel.to_string()),
            ("settle_seconds", folder.settle_seconds.to_string()),
            ("poll_seconds", folder.poll_seconds.to_string()),
        ],
        false,
    )
}

/// An entry of the given fields, for unit tests.
#[cfg(test)]
pub(crate) fn entry(fields: &[(&str, &str)]) -> Entry {
    fields
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved_account() -> ImapAccount {
        ImapAccount {
            name: "service".into(),
            host: "imap.example.nl".into(),
            port: None,
            security: Security::Tls,
            user: "service".into(),
            password: Secret::new("kept-password"),
            folder: "INBOX".into(),
            processed: ProcessedAction::default(),
            poll_seconds: 60,
            fetch_batch: 120,
            acknowledge: false,
        }
    }

    #[test]
    fn an_empty_password_keeps_the_saved_one_and_a_new_account_needs_one() {
        let current = [saved_account()];
        let kept = imap_accounts(
            &[entry(&[
                ("name", "service"),
                ("host", "imap2.example.nl"),
                ("user", "service"),
                ("password", ""),
                ("move_to", "Done"),
            ])],
            &current,
        )
        .unwrap();
        assert_eq!(kept[0].password.expose(), "kept-password");
        assert_eq!(kept[0].processed, ProcessedAction::MoveTo("Done".into()));
        assert_eq!(kept[0].port(), 993);
        assert_eq!(kept[0].fetch_batch, DEFAULT_FETCH_BATCH);
        let refused = imap_accounts(
            &[entry(&[
                ("name", "new"),
                ("host", "h.example"),
                ("user", "u"),
            ])],
            &current,
        )
        .unwrap_err();
        assert_eq!(refused[0].field, "password");
        assert_eq!(refused[0].entry, 1);
    }

    #[test]
    fn every_bad_field_is_named() {
        let refused = imap_accounts(
            &[
                entry(&[
                    ("name", "a"),
                    ("host", "imap.example.nl"),
                    ("port", "99999"),
                    ("security", "plain"),
                    ("user", "u"),
                    ("password", "p"),
                    ("poll_seconds", "soon"),
                    ("fetch_batch", "0"),
                    ("colour", "red"),
                ]),
                entry(&[("name", "a"), ("host", "bad host"), ("password", "p")]),
            ],
            &[],
        )
        .unwrap_err();
        let named: Vec<(usize, &str)> = refused
            .iter()
            .map(|problem| (problem.entry, problem.field.as_str()))
            .collect();
        for expected in [
            (1, "port"),
            (1, "security"),
            (1, "poll_seconds"),
            (1, "fetch_batch"),
            (1, "colour"),
            (2, "name"),
            (2, "host"),
            (2, "user"),
        ] {
            assert!(named.contains(&expected), "{expected:?} in {named:?}");
        }
    }

    #[test]
    fn folders_need_an_absolute_path_once_and_a_file_channel() {
        let folders = watch_folders(&[entry(&[("path", "/srv/fax"), ("channel", "fax")])]).unwrap();
        assert_eq!(folders[0].channel, Channel::Fax);
        assert_eq!(folders[0].settle_seconds, 2);
        let refused = watch_folders(&[
            entry(&[("path", "relative"), ("channel", "fax")]),
            entry(&[("path", "/srv/a"), ("channel", "task")]),
            entry(&[
                ("path", "/srv/a"),
                ("channel", "email"),
                ("poll_seconds", "0"),
            ]),
        ])
        .unwrap_err();
        let named: Vec<(usize, &str)> = refused
            .iter()
            .map(|problem| (problem.entry, problem.field.as_str()))
            .collect();
        assert_eq!(
            named,
            vec![
                (1, "path"),
                (2, "channel"),
                (3, "path"),
                (3, "poll_seconds")
            ]
        );
    }

    #[test]
    fn a_shown_account_never_holds_its_password() {
        let shown = shown_account(&saved_account());
        assert!(shown.password_set);
        assert!(!format!("{shown:?}").contains("kept-password"));
        assert!(!shown.fields.contains_key("password"));
        let back = imap_accounts(&[shown.fields], &[saved_account()]).unwrap();
        assert_eq!(back[0].password.expose(), "kept-password");
        assert_eq!(back[0].port, Some(993));
        assert_eq!(back[0].fetch_batch, 120);
    }
}
