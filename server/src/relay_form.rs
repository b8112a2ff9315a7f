//! The admin's SMTP relay entry (text fields by name, as the web layer takes them) turned into
//! a relay, and back for showing; pure, so every refusal is a unit test. The relay is a list of
//! exactly one entry. An empty password keeps the saved relay's.

use switchboard_web::api::channel_settings::{ChannelList, Entry, EntryProblem, ShownEntry};

use crate::channel_forms::{Fields, security_name, shown};
use crate::mail::SmtpRelay;

/// The relay of `entries` (exactly one); `current` supplies a kept password. Every problem is
/// reported.
pub fn smtp_relay(entries: &[Entry], current: &SmtpRelay) -> Result<SmtpRelay, Vec<EntryProblem>> {
    let entry = match entries {
        [entry] => entry,
        [] => return Err(vec![one_relay(1, "the relay needs a host")]),
        [_, _, ..] => return Err(vec![one_relay(2, "one relay only")]),
    };
    let mut fields = Fields::new(entry, 0);
    fields.only(ChannelList::Smtp);
    let host = fields.word("host", "a host");
    let security = fields.security(&host);
    let port = fields.number("port", 1u16, u16::MAX, None);
    let user = optional(&mut fields, "user");
    let password = match (&user, fields.typed_secret("password")) {
        (None, None) => None,
        (None, Some(_)) => {
            fields.refuse("user", "a password needs the user it logs in as");
            None
        }
        (Some(_), Some(typed)) => Some(typed),
        (Some(_), None) => {
            if current.password.is_none() {
                fields.refuse("password", "a login needs its password");
            }
            current.password.clone()
        }
    };
    let from = fields.word("from", "the address replies come from");
    if !from.is_empty() && from.parse::<lettre::Address>().is_err() {
        fields.refuse("from", format!("{from:?} is not an e-mail address"));
    }
    let from_name = Some(fields.text("from_name").to_owned()).filter(|name| !name.is_empty());
    let max_attempts = fields
        .number("max_attempts", 1i32, 100, Some(8))
        .unwrap_or(8);
    let first_retry_seconds = fields
        .number("first_retry_seconds", 0i64, 86_400, Some(30))
        .unwrap_or(30);
    let max_retry_seconds = fields
        .number("max_retry_seconds", 0i64, 604_800, Some(3_600))
        .unwrap_or(3_600);
    if !fields.problems.is_empty() {
        return Err(fields.problems);
    }
    Ok(SmtpRelay {
        host,
        port,
        security,
        user,
        password,
        from,
        from_name,
        max_attempts,
        first_retry_seconds,
        max_retry_seconds,
    })
}

fn one_relay(entry: usize, reason: &str) -> EntryProblem {
    EntryProblem {
        entry,
        field: "host".to_owned(),
        reason: reason.to_owned(),
    }
}

/// An optional text without spaces or control characters; `None` when empty.
fn optional(fields: &mut Fields<'_>, field: &str) -> Option<String> {
    let value = fields.text(field);
    if value.is_empty() {
        return None;
    }
    Some(fields.word(field, field))
}

/// The relay as the admin sees it: every field but the password, and whether it is set.
pub fn shown_relay(relay: &SmtpRelay) -> ShownEntry {
    shown(
        &[
            ("host", relay.host.clone()),
            ("port", relay.port().to_string()),
            ("security", security_name(relay.security).to_owned()),
            ("user", relay.user.clone().unwrap_or_default()),
            ("from", relay.from.clone()),
            ("from_name", relay.from_name.clone().unwrap_or_default()),
            ("max_attempts", relay.max_attempts.to_string()),
            ("first_retry_seconds", relay.first_retry_seconds.to_string()),
            ("max_retry_seconds", relay.max_retry_seconds.to_string()),
        ],
        relay
            .password
            .as_ref()
            .is_some_and(|password| !password.expose().is_empty()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel_forms::entry;
    use crate::mail::{Secret, Security};

    fn saved_relay() -> SmtpRelay {
        SmtpRelay {
            host: "smtp.example.nl".into(),
            port: None,
            security: Security::Starttls,
            user: Some("service".into()),
            password: Some(Secret::new("kept-password")),
            from: "service@example.nl".into(),
            from_name: Some("Service".into()),
            max_attempts: 8,
            first_retry_seconds: 30,
            max_retry_seconds: 3600,
        }
    }

    #[test]
    fn a_shown_relay_comes_back_with_its_saved_password_and_never_holds_it() {
        let shown = shown_relay(&saved_relay());
        assert!(shown.password_set);
        assert!(!format!("{shown:?}").contains("kept-password"));
        assert!(!shown.fields.contains_key("password"));
        let back = smtp_relay(&[shown.fields], &saved_relay()).unwrap();
        assert_eq!(back.password, Some(Secret::new("kept-password")));
        assert_eq!(back.port, Some(587));
        assert_eq!(back.security, Security::Starttls);
    }

    #[test]
    fn without_a_user_there_is_no_login_and_a_new_login_needs_its_password() {
        let mut without_password = saved_relay();
        without_password.password = None;
        let anonymous = smtp_relay(
            &[entry(&[
                ("host", "127.0.0.1"),
                ("port", "2525"),
                ("security", "plain"),
                ("from", "service@example.nl"),
            ])],
            &saved_relay(),
        )
        .unwrap();
        assert_eq!((anonymous.user, anonymous.password), (None, None));
        let refused = smtp_relay(
            &[entry(&[
                ("host", "smtp.example.nl"),
                ("user", "service"),
                ("from", "service@example.nl"),
            ])],
            &without_password,
        )
        .unwrap_err();
        assert_eq!(refused[0].field, "password");
    }

    #[test]
    fn every_bad_field_is_named_and_the_relay_is_one_entry() {
        let refused = smtp_relay(
            &[entry(&[
                ("host", "smtp.example.nl"),
                ("port", "0"),
                ("security", "plain"),
                ("password", "no-user"),
                ("from", "not an address"),
                ("max_attempts", "many"),
                ("colour", "red"),
            ])],
            &saved_relay(),
        )
        .unwrap_err();
        let named: Vec<&str> = refused
            .iter()
            .map(|problem| problem.field.as_str())
            .collect();
        for expected in ["port", "security", "user", "from", "max_attempts", "colour"] {
            assert!(named.contains(&expected), "{expected} in {named:?}");
        }
        assert_eq!(
            smtp_relay(&[], &saved_relay()).unwrap_err()[0].field,
            "host"
        );
        let two = smtp_relay(&[entry(&[]), entry(&[])], &saved_relay()).unwrap_err();
        assert_eq!((two[0].entry, two[0].field.as_str()), (2, "host"));
    }
}
