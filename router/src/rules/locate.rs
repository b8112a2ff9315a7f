//! Finding a validation error in the TOML text an admin wrote, so an editor can show it at its
//! line: errors name a rule, a field and a position inside the field's own text.

use super::RuleError;

/// A place in a document: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextPosition {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
}

/// Finds where `error` sits in `text`, a TOML rule set that writes its rules as `[[rules]]`
/// tables: the field's line within its rule's table (and, for a one-line string value, the
/// error's column inside the string). Falls back to the rule's header line; `None` when the
/// document has no such rule table.
pub fn locate_in_toml(text: &str, error: &RuleError) -> Option<TextPosition> {
    let lines: Vec<&str> = text.lines().collect();
    let headers: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| is_rule_header(line))
        .map(|(index, _)| index)
        .collect();
    let (start, end, header) = match error.rule {
        Some(rule) => {
            let header = *headers.get(rule)?;
            let end = headers.get(rule + 1).copied().unwrap_or(lines.len());
            (header + 1, end, Some(header))
        }
        None => {
            let end = lines
                .iter()
                .position(|line| line.trim_start().starts_with('['))
                .unwrap_or(lines.len());
            (0, end, None)
        }
    };
    let base = field_base(&error.field);
    let found = (start..end).find_map(|index| {
        value_start(lines[index], base).map(|value_column| (index, value_column))
    });
    let Some((index, value_column)) = found else {
        return header.map(|header| TextPosition {
            line: header + 1,
            column: 1,
        });
    };
    let value = &lines[index][value_column..];
    let is_plain_string = base == error.field
        && (value.starts_with('"') || value.starts_with('\''))
        && !value.starts_with("\"\"\"")
        && !value.starts_with("'''");
    let column_of_value = lines[index][..value_column].chars().count() + 1;
    Some(if is_plain_string && error.line <= 1 {
        TextPosition {
            line: index + 1,
            column: column_of_value + error.column.max(1),
        }
    } else {
        TextPosition {
            line: index + 1,
            column: column_of_value,
        }
    })
}

fn is_rule_header(line: &str) -> bool {
    let line = line.trim();
    line.strip_prefix("[[")
        .and_then(|rest| rest.split_once("]]"))
        .is_some_and(|(name, after)| {
            name.trim() == "rules" && (after.trim().is_empty() || after.trim().starts_with('#'))
        })
}

/// `relax[1].drop[0]` → `relax`; `when` → `when`.
fn field_base(field: &str) -> &str {
    field.split(['[', '.']).next().unwrap_or(field)
}

/// The byte offset where the value of `key = value` starts on `line`, when `line` sets `key`.
fn value_start(line: &str, key: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start().len();
    let rest = line[indent..].strip_prefix(key)?;
    let after_key = rest.trim_start();
    let after_equals = after_key.strip_prefix('=')?;
    let value = after_equals.trim_start();
    Some(line.len() - value.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOCUMENT: &str = r#"version = 1
default_queue = "inbox"

[[rules]]
name = "complaints"
when = "intent == 'complaint'"
queue = "complaints"

[[rules]] # key accounts first
name = "vip"
require_if = [{ when = "x", require = ["a"] }]
require = ["lang:{language}", "bad skill"]
when = "sentiment == 'angry'"
queue = "vip"
"#;

    fn error(rule: Option<usize>, field: &str, column: usize) -> RuleError {
        RuleError {
            rule,
            rule_name: None,
            field: field.into(),
            line: 1,
            column,
            message: "wrong".into(),
        }
    }

    fn at(line: usize, column: usize) -> Option<TextPosition> {
        Some(TextPosition { line, column })
    }

    #[test]
    fn errors_are_found_at_their_rule_and_field() {
        // `when = "` puts the string's first character in column 9.
        assert_eq!(
            locate_in_toml(DOCUMENT, &error(Some(1), "when", 1)),
            at(13, 9)
        );
        assert_eq!(
            locate_in_toml(DOCUMENT, &error(Some(0), "when", 8)),
            at(6, 16)
        );
        assert_eq!(
            locate_in_toml(DOCUMENT, &error(Some(1), "require[1]", 3)),
            at(12, 11)
        );
        assert_eq!(
            locate_in_toml(DOCUMENT, &error(Some(1), "require_if[0].when", 1)),
            at(11, 14)
        );
        assert_eq!(
            locate_in_toml(DOCUMENT, &error(None, "default_queue", 1)),
            at(2, 18)
        );
    }

    #[test]
    fn a_missing_field_points_at_its_rule_and_a_missing_rule_at_nothing() {
        assert_eq!(
            locate_in_toml(DOCUMENT, &error(Some(0), "relax[0].after_minutes", 1)),
            at(4, 1)
        );
        assert_eq!(locate_in_toml(DOCUMENT, &error(Some(2), "when", 1)), None);
        assert_eq!(locate_in_toml(DOCUMENT, &error(None, "rules", 1)), None);
    }
}
