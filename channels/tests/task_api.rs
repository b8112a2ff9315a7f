//! Task API payloads: validation naming every bad field, unknown fields, NDJSON bulk input and
//! the resulting work item.
#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

use chrono::{DateTime, Utc};
use serde_json::json;
use switchboard_channels::task::{FieldError, TaskPayload, parse_ndjson, parse_payload, validate};
use switchboard_core::item::{Channel, Language};
use switchboard_core::skill::SkillRequirement;

fn received_at() -> DateTime<Utc> {
    DateTime::from_timestamp(1_741_000_000, 0).unwrap()
}

fn good() -> serde_json::Value {
    json!({
        "external_id": "crm-4711",
        "title": "Call back about order 4500012345",
        "description": "Customer asked for a delivery date.",
        "customer_number": "0000103709",
        "order_numbers": ["4500012345", "4500012345", "4500012346"],
        "required_skills": ["language:nl>=3", "channel:task"],
        "priority": 10,
        "due_at": "2025-03-04T17:00:00+01:00",
        "language": "nl-BE"
    })
}

fn fields_of(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|error| error.field.as_str()).collect()
}

#[test]
fn good_payload_becomes_a_task_item() {
    let payload = parse_payload(good().to_string().as_bytes()).unwrap();
    let task = validate(&payload).unwrap();
    assert_eq!(task.order_numbers.len(), 2, "duplicates dropped");
    assert_eq!(
        task.required_skills[0],
        SkillRequirement::new("language:nl", 3)
    );
    assert_eq!(task.language, Some(Language::Dutch));
    assert_eq!(
        task.due_at.unwrap().to_rfc3339(),
        "2025-03-04T16:00:00+00:00"
    );
    let item = task.to_new_item(received_at());
    assert_eq!(item.channel, Channel::Task);
    assert_eq!(item.source, "crm-4711");
    assert_eq!(item.message_id.as_deref(), Some("crm-4711"));
    assert_eq!(
        item.subject.as_deref(),
        Some("Call back about order 4500012345")
    );
    assert_eq!(item.text, "Customer asked for a delivery date.");
    assert_eq!(item.received_at, received_at());
    assert_eq!(
        item.details["required_skills"],
        json!(["language:nl>=3", "channel:task"])
    );
    assert_eq!(item.details["priority"], 10);
    assert_eq!(item.details["due_at"], "2025-03-04T16:00:00Z");
    assert_eq!(item.details["customer_number"], "0000103709");
}

#[test]
fn minimal_payload_needs_only_id_and_title() {
    let payload = parse_payload(br#"{"external_id":"x1","title":"Check stock"}"#).unwrap();
    let task = validate(&payload).unwrap();
    assert_eq!(task.priority, None);
    assert!(task.required_skills.is_empty());
    assert_eq!(task.to_new_item(received_at()).text, "");
}

#[test]
fn each_invalid_field_is_named() {
    let cases: [(&str, serde_json::Value, &str); 12] = [
        ("external_id", json!(null), "is required"),
        ("external_id", json!("  "), "is required"),
        ("external_id", json!("x".repeat(201)), "at most 200"),
        ("title", json!(""), "is required"),
        ("title", json!("line\u{0007}bell"), "control characters"),
        ("customer_number", json!("0000 1037"), "letters, digits"),
        (
            "order_numbers[1]",
            json!(["4500012345", ""]),
            "letters, digits",
        ),
        (
            "required_skills[0]",
            json!(["Language NL"]),
            "invalid skill name",
        ),
        (
            "required_skills[1]",
            json!(["language:nl>=3", "channel:task>=9"]),
            "outside 1..=5",
        ),
        ("priority", json!(101), "from -100 to 100"),
        ("due_at", json!("tomorrow"), "RFC 3339"),
        ("language", json!("es"), "nl, en, de, fr"),
    ];
    for (field, value, message) in cases {
        let mut body = good();
        let key = field.split('[').next().unwrap();
        body[key] = value;
        let payload: TaskPayload = serde_json::from_value(body).unwrap();
        let errors = validate(&payload).unwrap_err();
        assert_eq!(fields_of(&errors), vec![field], "{field}: {errors:?}");
        assert!(
            errors[0].message.contains(message),
            "{field}: {}",
            errors[0].message
        );
    }
}

#[test]
fn several_problems_are_all_reported() {
    let payload = parse_payload(br#"{"title":"","priority":-101,"language":"xx"}"#).unwrap();
    let errors = validate(&payload).unwrap_err();
    assert_eq!(
        fields_of(&errors),
        vec!["external_id", "title", "priority", "language"]
    );
}

#[test]
fn unknown_fields_and_wrong_types_are_named() {
    let errors = parse_payload(br#"{"external_id":"a","title":"b","colour":"red"}"#).unwrap_err();
    assert_eq!(fields_of(&errors), vec!["colour"]);
    assert_eq!(errors[0].message, "unknown field");
    let errors = parse_payload(
        br#"{"external_id":"a","title":"b","priority":"high","order_numbers":"4500"}"#,
    )
    .unwrap_err();
    let mut fields = fields_of(&errors);
    fields.sort_unstable();
    assert_eq!(fields, vec!["order_numbers", "priority"]);
    assert!(
        errors
            .iter()
            .all(|error| error.message.contains("invalid type")),
        "{errors:?}"
    );
    assert!(
        serde_json::from_str::<TaskPayload>(r#"{"colour":"red"}"#).is_err(),
        "serde refuses unknown fields too"
    );
    assert_eq!(fields_of(&parse_payload(b"[1,2]").unwrap_err()), vec![""]);
}

#[test]
fn ndjson_reports_bad_lines_by_number() {
    let body = b"{\"external_id\":\"a\",\"title\":\"one\"}\n\
\n\
{\"external_id\":\"b\",\"title\":\"two\",\"extra\":1}\n\
{not json\n\
{\"external_id\":\"c\",\"title\":\"three\"}\r\n";
    let results = parse_ndjson(body);
    assert_eq!(results.len(), 4, "blank line skipped");
    assert_eq!(
        results[0].as_ref().unwrap().external_id.as_deref(),
        Some("a")
    );
    let unknown = results[1].as_ref().unwrap_err();
    assert_eq!(unknown.line, 3);
    assert_eq!(fields_of(&unknown.errors), vec!["extra"]);
    let broken = results[2].as_ref().unwrap_err();
    assert_eq!(broken.line, 4);
    assert!(broken.to_string().starts_with("line 4: "), "{broken}");
    assert_eq!(results[3].as_ref().unwrap().title.as_deref(), Some("three"));
}
