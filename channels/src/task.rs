//! The task channel: work pushed by other systems through the API, one JSON object per task
//! (or NDJSON in bulk). Validation names the field of every problem so the HTTP layer can answer
//! with a precise problem+json body.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::ids::{CustomerNo, OrderNo};
use switchboard_core::item::{Channel, Language, NewItem};
use switchboard_core::skill::SkillRequirement;

/// Lowest and highest task priority accepted.
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i64> = -100..=100;
/// Longest external id, in characters.
pub const MAX_EXTERNAL_ID_CHARS: usize = 200;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 100_000;
/// Longest customer or order number, in characters.
pub const MAX_KEY_CHARS: usize = 40;
/// Most order numbers or skills on one task.
pub const MAX_LIST_ENTRIES: usize = 50;
/// Field names a payload may carry, in declaration order.
pub const FIELDS: [&str; 9] = [
    "external_id",
    "title",
    "description",
    "customer_number",
    "order_numbers",
    "required_skills",
    "priority",
    "due_at",
    "language",
];

/// A task as another system sends it. Unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskPayload {
    /// The sender's id for the task; the idempotency key. Required.
    #[serde(default)]
    pub external_id: Option<String>,
    /// A one-line title. Required.
    #[serde(default)]
    pub title: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// The customer the task is about.
    #[serde(default)]
    pub customer_number: Option<String>,
    /// Orders the task is about.
    #[serde(default)]
    pub order_numbers: Vec<String>,
    /// Skills an agent needs: `name` or `name>=level`.
    #[serde(default)]
    pub required_skills: Vec<String>,
    /// Base priority, higher first, within [`PRIORITY_RANGE`].
    #[serde(default)]
    pub priority: Option<i64>,
    /// When the task is due (RFC 3339).
    #[serde(default)]
    pub due_at: Option<String>,
    /// `nl`, `en`, `de` or `fr` (a region suffix such as `nl-BE` is accepted).
    #[serde(default)]
    pub language: Option<String>,
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The field, with an index for list entries (`required_skills[1]`); empty for the whole body.
    pub field: String,
    /// What is wrong, for the person who sent it.
    pub message: String,
}

impl FieldError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A validated task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValidTask {
    /// The sender's id; the idempotency key.
    pub external_id: String,
    /// The title.
    pub title: String,
    /// Free text.
    pub description: Option<String>,
    /// The customer.
    pub customer_number: Option<CustomerNo>,
    /// The orders, without duplicates, in the order given.
    pub order_numbers: Vec<OrderNo>,
    /// The skills an agent needs.
    pub required_skills: Vec<SkillRequirement>,
    /// Base priority.
    pub priority: Option<i32>,
    /// When it is due.
    pub due_at: Option<DateTime<Utc>>,
    /// The language.
    pub language: Option<Language>,
}

impl ValidTask {
    /// Builds the work item: channel task, the external id as source and message id, the title
    /// as subject, the description as text, and the task fields in `details`.
    pub fn to_new_item(&self, received_at: DateTime<Utc>) -> NewItem {
        let text = self.description.clone().unwrap_or_default();
        let mut item = NewItem::new(Channel::Task, self.external_id.clone(), received_at, text);
        item.subject = Some(self.title.clone());
        item.message_id = Some(self.external_id.clone());
        item.language = self.language;
        item.details = serde_json::json!({
            "external_id": self.external_id,
            "customer_number": self.customer_number,
            "order_numbers": self.order_numbers,
            "required_skills": self.required_skills,
            "priority": self.priority,
            "due_at": self.due_at.map(|due| due.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        });
        item
    }
}

/// Reads one task from JSON, naming the field of every problem: unknown fields and values of
/// the wrong type each give a [`FieldError`].
pub fn parse_payload(json: &[u8]) -> Result<TaskPayload, Vec<FieldError>> {
    let value: serde_json::Value = serde_json::from_slice(json)
        .map_err(|error| vec![FieldError::new("", format!("invalid JSON: {error}"))])?;
    let serde_json::Value::Object(object) = value else {
        return Err(vec![FieldError::new("", "expected a JSON object")]);
    };
    let mut errors: Vec<FieldError> = object
        .keys()
        .filter(|key| !FIELDS.contains(&key.as_str()))
        .map(|key| FieldError::new(key.clone(), "unknown field"))
        .collect();
    for (key, field_value) in &object {
        if FIELDS.contains(&key.as_str()) {
            let single = serde_json::json!({ key.as_str(): field_value });
            if let Err(error) = serde_json::from_value::<TaskPayload>(single) {
                errors.push(FieldError::new(key.clone(), type_message(&error)));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|error| vec![FieldError::new("", error.to_string())])
}

/// Drops serde's position suffix, which points into a rebuilt document.
fn type_message(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.find(" at line ") {
        Some(position) => message[..position].to_owned(),
        None => message,
    }
}

/// Validates a payload; every problem is reported, each naming its field.
pub fn validate(payload: &TaskPayload) -> Result<ValidTask, Vec<FieldError>> {
    let mut errors = Vec::new();
    let external_id = required_text(
        &payload.external_id,
        "external_id",
        MAX_EXTERNAL_ID_CHARS,
        &mut errors,
    );
    let title = required_text(&payload.title, "title", MAX_TITLE_CHARS, &mut errors);
    let description = payload
        .description
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned);
    if description
        .as_ref()
        .is_some_and(|text| text.chars().count() > MAX_DESCRIPTION_CHARS)
    {
        errors.push(FieldError::new(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    let customer_number = payload
        .customer_number
        .as_deref()
        .and_then(|raw| business_key(raw, "customer_number", &mut errors))
        .map(CustomerNo::new);
    let order_numbers = order_numbers(&payload.order_numbers, &mut errors);
    let required_skills = skills(&payload.required_skills, &mut errors);
    let priority = payload
        .priority
        .and_then(|value| priority(value, &mut errors));
    let due_at = payload
        .due_at
        .as_deref()
        .and_then(|raw| due_at(raw, &mut errors));
    let language = payload
        .language
        .as_deref()
        .and_then(|raw| language(raw, &mut errors));
    match (external_id, title) {
        (Some(external_id), Some(title)) if errors.is_empty() => Ok(ValidTask {
            external_id,
            title,
            description,
            customer_number,
            order_numbers,
            required_skills,
            priority,
            due_at,
            language,
        }),
        _ => Err(errors),
    }
}

fn required_text(
    value: &Option<String>,
    field: &str,
    max_chars: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let trimmed = value.as_deref().map(str::trim).unwrap_or_default();
    if trimmed.is_empty() {
        errors.push(FieldError::new(field, "is required"));
        return None;
    }
    if trimmed.chars().count() > max_chars {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max_chars} characters"),
        ));
        return None;
    }
    if trimmed.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            "must not contain control characters",
        ));
        return None;
    }
    Some(trimmed.to_owned())
}

/// Checks a customer or order number: letters, digits and `-`, `_`, `/`, `.`.
fn business_key(raw: &str, field: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let trimmed = raw.trim();
    let well_formed = !trimmed.is_empty()
        && trimmed.chars().count() <= MAX_KEY_CHARS
        && trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'));
    if well_formed {
        Some(trimmed.to_owned())
    } else {
        errors.push(FieldError::new(
            field,
            format!("must be 1..={MAX_KEY_CHARS} letters, digits, '-', '_', '/' or '.'"),
        ));
        None
    }
}

fn order_numbers(raw: &[String], errors: &mut Vec<FieldError>) -> Vec<OrderNo> {
    if raw.len() > MAX_LIST_ENTRIES {
        errors.push(FieldError::new(
            "order_numbers",
            format!("must list at most {MAX_LIST_ENTRIES} numbers"),
        ));
        return Vec::new();
    }
    let mut seen = BTreeSet::new();
    raw.iter()
        .enumerate()
        .filter_map(|(index, number)| {
            business_key(number, &format!("order_numbers[{index}]"), errors)
        })
        .filter(|number| seen.insert(number.clone()))
        .map(OrderNo::new)
        .collect()
}

fn skills(raw: &[String], errors: &mut Vec<FieldError>) -> Vec<SkillRequirement> {
    if raw.len() > MAX_LIST_ENTRIES {
        errors.push(FieldError::new(
            "required_skills",
            format!("must list at most {MAX_LIST_ENTRIES} skills"),
        ));
        return Vec::new();
    }
    let mut requirements: Vec<SkillRequirement> = Vec::with_capacity(raw.len());
    for (index, text) in raw.iter().enumerate() {
        match text.parse::<SkillRequirement>() {
            Ok(requirement)
                if requirements
                    .iter()
                    .any(|known| known.name == requirement.name) =>
            {
                errors.push(FieldError::new(
                    format!("required_skills[{index}]"),
                    format!("skill {:?} is listed twice", requirement.name),
                ));
            }
            Ok(requirement) => requirements.push(requirement),
            Err(error) => errors.push(FieldError::new(
                format!("required_skills[{index}]"),
                error.to_string(),
            )),
        }
    }
    requirements
}

fn priority(value: i64, errors: &mut Vec<FieldError>) -> Option<i32> {
    let in_range = PRIORITY_RANGE.contains(&value);
    match i32::try_from(value) {
        Ok(priority) if in_range => Some(priority),
        _ => {
            errors.push(FieldError::new(
                "priority",
                format!(
                    "must be an integer from {} to {}",
                    PRIORITY_RANGE.start(),
                    PRIORITY_RANGE.end()
                ),
            ));
            None
        }
    }
}

fn due_at(raw: &str, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    match DateTime::parse_from_rfc3339(raw.trim()) {
        Ok(stamp) => Some(stamp.with_timezone(&Utc)),
        Err(_) => {
            errors.push(FieldError::new(
                "due_at",
                "must be an RFC 3339 date-time with offset, e.g. 2025-03-03T17:00:00+01:00",
            ));
            None
        }
    }
}

fn language(raw: &str, errors: &mut Vec<FieldError>) -> Option<Language> {
    let primary = raw
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let parsed = Language::parse(&primary);
    if parsed.is_none() {
        errors.push(FieldError::new("language", "must be one of nl, en, de, fr"));
    }
    parsed
}

/// One NDJSON line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct LineError {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong with it, per field.
    pub errors: Vec<FieldError>,
}

/// Reads NDJSON: one task per non-blank line, each read independently, results in line order
/// with 1-based line numbers for errors. Blank lines are skipped.
pub fn parse_ndjson(bytes: &[u8]) -> Vec<Result<TaskPayload, LineError>> {
    bytes
        .split(|&byte| byte == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(index, line)| {
            parse_payload(line).map_err(|errors| LineError {
                line: index + 1,
                errors,
            })
        })
        .collect()
}
