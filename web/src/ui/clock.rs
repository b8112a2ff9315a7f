//! Times as the pages show them (UTC), written field by field: chrono's `format("%Y-%m-%d
//! %H:%M")` parses its pattern again on every call, and a page lists dozens of times (the
//! item view's timelines: 2.8 % of its samples on the http bench went to that parsing and
//! the generic formatter).

use std::fmt::Write;

use chrono::{DateTime, Datelike, Timelike, Utc};

/// `2025-03-03 08:27`.
pub(crate) fn minute(at: DateTime<Utc>) -> String {
    let mut text = String::with_capacity(16);
    push_minute(&mut text, at);
    text
}

/// `2025-03-03 08:27:59`.
pub(crate) fn second(at: DateTime<Utc>) -> String {
    let mut text = String::with_capacity(19);
    push_minute(&mut text, at);
    let _ = write!(text, ":{:02}", at.second());
    text
}

fn push_minute(text: &mut String, at: DateTime<Utc>) {
    // Writing to a String cannot fail.
    let _ = write!(
        text,
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    );
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn times_read_as_chrono_formats_them() {
        for at in [
            Utc.with_ymd_and_hms(2025, 3, 3, 8, 7, 9).unwrap(),
            Utc.with_ymd_and_hms(999, 12, 31, 23, 59, 59).unwrap(),
            Utc.timestamp_opt(1_767_225_599, 999_999_999).unwrap(),
        ] {
            assert_eq!(minute(at), at.format("%Y-%m-%d %H:%M").to_string());
            assert_eq!(second(at), at.format("%Y-%m-%d %H:%M:%S").to_string());
        }
    }
}
