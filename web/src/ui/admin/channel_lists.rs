//! The editable channel lists on the channels page: IMAP accounts (`POST /admin/channels/imap`),
//! the SMTP relay (`POST /admin/channels/smtp`, one row, never removed) and watched folders, fax
//! gateways among them (`POST /admin/channels/watch`). Each list is one form of rows (fields
//! named `{field}.{row}`, a `remove.{row}` box per row, an empty row to add one), or `use_file`
//! to return to the configuration file's. A password field is always empty:
//! typing one replaces it, leaving it empty keeps the saved one. A refused list is shown again
//! as typed (passwords excepted) with each problem, and nothing is changed.

use std::collections::HashMap;

use crate::api::channel_settings::{
    ChannelList, Entry, EntryProblem, FieldInput, ListChange, ShownList,
};

/// One input of a row, ready for the template.
pub(super) struct Cell {
    /// The field's name, e.g. `host`.
    pub name: &'static str,
    /// `text`, `number`, `select`, `checkbox` or `password`.
    pub kind: &'static str,
    /// The value shown (never a password).
    pub value: String,
    /// A `select`'s options.
    pub options: &'static [&'static str],
    /// A `checkbox`'s state.
    pub checked: bool,
    /// A `password`'s state: one is saved.
    pub password_set: bool,
}

/// One row of a list's form.
pub(super) struct Row {
    /// The row's number in field names.
    pub index: usize,
    /// Whether this is the empty row that adds an entry.
    pub is_new: bool,
    pub cells: Vec<Cell>,
}

/// One list's form.
pub(super) struct ListForm {
    pub list: &'static str,
    /// One entry only (the relay): no row to add, none to remove.
    pub single: bool,
    /// Saved by an admin over the file's.
    pub saved: bool,
    pub rows: Vec<Row>,
    /// Problems of a refused change, as `entry N, field: reason`.
    pub problems: Vec<String>,
}

fn cell(name: &'static str, input: FieldInput, value: &str, password_set: bool) -> Cell {
    let (kind, options) = match input {
        FieldInput::Text => ("text", &[][..]),
        FieldInput::Number => ("number", &[][..]),
        FieldInput::Choice(options) => ("select", options),
        FieldInput::Checkbox => ("checkbox", &[][..]),
        FieldInput::Password => ("password", &[][..]),
    };
    Cell {
        name,
        kind,
        value: if kind == "password" {
            String::new()
        } else {
            value.to_owned()
        },
        options,
        checked: kind == "checkbox" && value == "true",
        password_set,
    }
}

fn row(list: ChannelList, index: usize, fields: &Entry, password_set: bool, is_new: bool) -> Row {
    Row {
        index,
        is_new,
        cells: list
            .fields()
            .iter()
            .map(|spec| {
                let value = fields.get(spec.name).map_or("", String::as_str);
                cell(spec.name, spec.input, value, password_set)
            })
            .collect(),
    }
}

impl ListForm {
    /// The form of `shown`, with an empty row to add an entry.
    pub(super) fn of(list: ChannelList, shown: &ShownList) -> Self {
        let rows: Vec<Row> = shown
            .entries
            .iter()
            .enumerate()
            .map(|(index, entry)| row(list, index, &entry.fields, entry.password_set, false))
            .collect();
        Self {
            list: list.as_str(),
            single: list.is_single(),
            rows: with_new_row(list, rows),
            saved: shown.saved,
            problems: Vec::new(),
        }
    }

    /// The form as typed, with the problems that refused it.
    pub(super) fn refused(
        list: ChannelList,
        saved: bool,
        typed: &[Entry],
        problems: &[EntryProblem],
    ) -> Self {
        let rows: Vec<Row> = typed
            .iter()
            .enumerate()
            .map(|(index, entry)| row(list, index, entry, false, false))
            .collect();
        Self {
            list: list.as_str(),
            single: list.is_single(),
            saved,
            rows: with_new_row(list, rows),
            problems: problems
                .iter()
                .map(|problem| {
                    format!(
                        "{} {}, {}: {}",
                        list.key_field(),
                        problem.entry,
                        problem.field,
                        problem.reason
                    )
                })
                .collect(),
        }
    }
}

/// `rows` and the empty row that adds an entry; a single-entry list gets it only when empty.
fn with_new_row(list: ChannelList, mut rows: Vec<Row>) -> Vec<Row> {
    if !list.is_single() || rows.is_empty() {
        rows.push(row(list, rows.len(), &Entry::new(), false, true));
    }
    rows
}

/// The highest row number a form may post (a bound on what is read).
const MAX_ROWS: usize = 200;

/// The change a posted form asks for: `use_file`, or the rows not removed and not left empty.
pub(super) fn posted_change(list: ChannelList, form: &HashMap<String, String>) -> ListChange {
    if form.contains_key("use_file") {
        return ListChange::UseFile;
    }
    let mut entries = Vec::new();
    for index in 0..MAX_ROWS {
        let key = format!("{}.{index}", list.key_field());
        let Some(key_value) = form.get(&key) else {
            break;
        };
        if form.contains_key(&format!("remove.{index}")) {
            continue;
        }
        let mut entry = Entry::new();
        for spec in list.fields() {
            let value = form.get(&format!("{}.{index}", spec.name));
            match spec.input {
                FieldInput::Checkbox => {
                    entry.insert(spec.name.to_owned(), value.is_some().to_string());
                }
                FieldInput::Password => {
                    if let Some(typed) = value.filter(|typed| !typed.is_empty()) {
                        entry.insert(spec.name.to_owned(), typed.clone());
                    }
                }
                _ => {
                    entry.insert(spec.name.to_owned(), value.cloned().unwrap_or_default());
                }
            }
        }
        let is_blank = key_value.trim().is_empty()
            && entry.iter().all(|(name, value)| {
                value.trim().is_empty() || is_default_choice(list, name, value)
            });
        if !is_blank {
            entries.push(entry);
        }
    }
    ListChange::Entries(entries)
}

/// Whether `value` is what an untouched empty row posts for `name` (a select's first option,
/// an unticked box).
fn is_default_choice(list: ChannelList, name: &str, value: &str) -> bool {
    list.fields().iter().any(|spec| {
        spec.name == name
            && match spec.input {
                FieldInput::Choice(options) => options.first() == Some(&value),
                FieldInput::Checkbox => value == "false",
                _ => false,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::admin::form_of;

    #[test]
    fn removed_and_untouched_rows_are_left_out_and_an_empty_password_is_not_sent() {
        let form = form_of(&[
            ("name.0", "service"),
            ("host.0", "imap.example.nl"),
            ("security.0", "tls"),
            ("password.0", ""),
            ("acknowledge.0", "on"),
            ("name.1", "old"),
            ("remove.1", "on"),
            ("name.2", ""),
            ("host.2", ""),
            ("security.2", "tls"),
            ("csrf_token", "t"),
        ]);
        let ListChange::Entries(entries) = posted_change(ChannelList::Imap, &form) else {
            panic!("entries expected");
        };
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["name"], "service");
        assert_eq!(entries[0]["acknowledge"], "true");
        assert!(!entries[0].contains_key("password"));
        assert!(matches!(
            posted_change(ChannelList::Watch, &form_of(&[("use_file", "on")])),
            ListChange::UseFile
        ));
    }

    #[test]
    fn a_shown_form_never_holds_a_password_and_ends_with_an_empty_row() {
        let mut fields = Entry::new();
        fields.insert("name".into(), "service".into());
        fields.insert("password".into(), "should-not-appear".into());
        let shown = ShownList {
            entries: vec![crate::api::channel_settings::ShownEntry {
                fields,
                password_set: true,
            }],
            saved: true,
        };
        let form = ListForm::of(ChannelList::Imap, &shown);
        assert_eq!(form.rows.len(), 2);
        assert!(form.rows[1].is_new);
        let password = form.rows[0]
            .cells
            .iter()
            .find(|cell| cell.name == "password")
            .unwrap();
        assert!(password.value.is_empty() && password.password_set);
    }

    #[test]
    fn the_relay_form_has_one_row_and_none_to_add() {
        let mut fields = Entry::new();
        fields.insert("host".into(), "smtp.example.nl".into());
        let shown = ShownList {
            entries: vec![crate::api::channel_settings::ShownEntry {
                fields,
                password_set: false,
            }],
            saved: false,
        };
        let form = ListForm::of(ChannelList::Smtp, &shown);
        assert!(form.single);
        assert_eq!(form.rows.len(), 1);
        assert!(!form.rows[0].is_new);
        let empty = ListForm::of(ChannelList::Smtp, &ShownList::default());
        assert_eq!(empty.rows.len(), 1);
        assert!(empty.rows[0].is_new);
    }
}
