//! What the rules editor shows about a candidate: its rules in order with their errors, every
//! error at its rule and position, and the text with each error under its line. Pure: text
//! and validation results in, rows out.

use switchboard_router::rules::{LoadError, RuleError, RuleSet, locate_in_toml, validate};

/// One error as the editor lists it.
pub(super) struct ErrorRow {
    /// `rule 2 "complaints"`, or empty for the document's own fields.
    pub rule: String,
    /// The field, e.g. `when`, `require[1]`.
    pub field: String,
    /// Line and column in the editor's text, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Line and column inside the field's own text.
    pub field_position: String,
    pub message: String,
}

/// A rule of the candidate, in order, with its errors.
pub(super) struct RuleRow {
    pub position: usize,
    pub name: String,
    pub when: String,
    pub queue: String,
    pub priority: i32,
    pub require: String,
    pub errors: Vec<String>,
}

/// A line of the candidate's text with the errors found on it.
pub(super) struct SourceLine {
    pub number: usize,
    pub text: String,
    /// (column, message) of each error on this line.
    pub errors: Vec<(usize, String)>,
}

/// Everything the editor shows about a checked candidate.
pub(super) struct CheckedCandidate {
    /// The parsed set, when the text parsed.
    pub set: Option<RuleSet>,
    pub errors: Vec<ErrorRow>,
    pub rules: Vec<RuleRow>,
    pub lines: Vec<SourceLine>,
}

impl CheckedCandidate {
    /// Whether the candidate can be simulated and activated.
    pub fn is_valid(&self) -> bool {
        self.set.is_some() && self.errors.is_empty()
    }
}

/// Parses and validates the TOML `text` an admin wrote.
pub(super) fn check_candidate(text: &str) -> CheckedCandidate {
    let set = match RuleSet::from_toml(text) {
        Ok(set) => set,
        Err(error) => return unreadable(text, &error),
    };
    let errors = validate(&set).err().unwrap_or_default();
    let rows: Vec<ErrorRow> = errors.iter().map(|error| error_row(text, error)).collect();
    let rules = set
        .rules
        .iter()
        .enumerate()
        .map(|(index, rule)| RuleRow {
            position: index + 1,
            name: rule.name.clone(),
            when: rule.when.clone(),
            queue: rule.queue.clone(),
            priority: rule.priority,
            require: rule.require.join(", "),
            errors: errors
                .iter()
                .filter(|error| error.rule == Some(index))
                .map(|error| {
                    format!(
                        "{} {}:{}: {}",
                        error.field, error.line, error.column, error.message
                    )
                })
                .collect(),
        })
        .collect();
    let lines = annotated_lines(text, &rows);
    CheckedCandidate {
        set: Some(set),
        errors: rows,
        rules,
        lines,
    }
}

fn unreadable(text: &str, error: &LoadError) -> CheckedCandidate {
    let known = |value: usize| (value > 0).then_some(value);
    let rows = vec![ErrorRow {
        rule: String::new(),
        field: String::new(),
        line: known(error.line),
        column: known(error.column),
        field_position: String::new(),
        message: error.message.clone(),
    }];
    let lines = annotated_lines(text, &rows);
    CheckedCandidate {
        set: None,
        errors: rows,
        rules: Vec::new(),
        lines,
    }
}

fn error_row(text: &str, error: &RuleError) -> ErrorRow {
    let position = locate_in_toml(text, error);
    let rule = match (error.rule, &error.rule_name) {
        (Some(index), Some(name)) => format!("#{} \u{201c}{name}\u{201d}", index + 1),
        (Some(index), None) => format!("#{}", index + 1),
        (None, _) => String::new(),
    };
    ErrorRow {
        rule,
        field: error.field.clone(),
        line: position.map(|position| position.line),
        column: position.map(|position| position.column),
        field_position: format!("{}:{}", error.line, error.column),
        message: error.message.clone(),
    }
}

/// The text's lines, each with the errors located on it; empty when no error has a line.
fn annotated_lines(text: &str, errors: &[ErrorRow]) -> Vec<SourceLine> {
    if errors.iter().all(|error| error.line.is_none()) {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .map(|(index, line)| SourceLine {
            number: index + 1,
            text: line.to_owned(),
            errors: errors
                .iter()
                .filter(|error| error.line == Some(index + 1))
                .map(|error| (error.column.unwrap_or(1), error.message.clone()))
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_ERROR: &str = "version = 1\ndefault_queue = \"inbox\"\n\n[[rules]]\nname = \"ok\"\nqueue = \"inbox\"\n\n[[rules]]\nname = \"angry\"\nwhen = \"sentiment == 'angry'\"\nqueue = \"complaints\"\n";

    #[test]
    fn an_error_is_shown_at_its_rule_and_line() {
        let checked = check_candidate(WITH_ERROR);
        assert!(!checked.is_valid());
        assert_eq!(checked.errors.len(), 1);
        let error = &checked.errors[0];
        assert_eq!(error.rule, "#2 \u{201c}angry\u{201d}");
        assert_eq!(error.field, "when");
        assert_eq!((error.line, error.column), (Some(10), Some(9)));
        assert!(error.message.contains("sentiment"), "{}", error.message);
        assert!(checked.rules[0].errors.is_empty());
        assert_eq!(checked.rules[1].errors.len(), 1);
        let marked: Vec<usize> = checked
            .lines
            .iter()
            .filter(|line| !line.errors.is_empty())
            .map(|line| line.number)
            .collect();
        assert_eq!(marked, vec![10]);
    }

    #[test]
    fn a_valid_candidate_has_no_errors_and_unreadable_text_one_with_its_line() {
        let fixed = WITH_ERROR.replace("sentiment == 'angry'", "intent == 'complaint'");
        let checked = check_candidate(&fixed);
        assert!(
            checked.is_valid(),
            "{:?}",
            checked.errors.first().map(|e| &e.message)
        );
        assert!(checked.lines.is_empty());

        let broken = check_candidate("version = 1\ndefault_queue = \n");
        assert!(!broken.is_valid());
        assert_eq!(broken.errors[0].line, Some(2));
        assert_eq!(broken.lines.len(), 2);
    }
}
