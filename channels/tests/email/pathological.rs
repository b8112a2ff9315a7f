//! Hostile and broken input, generated in code: each gives a clear outcome, never a crash or hang.

use std::time::{Duration, Instant};

use switchboard_channels::email::{EmailConfig, EmailError, EmailLimits, parse_email};

use crate::support::{config, fallback_time, parse};

/// Generous bound for one pathological parse in a debug build on a shared machine.
const MAX_TIME: Duration = Duration::from_secs(10);

fn timed<T>(what: &str, run: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let outcome = run();
    let elapsed = started.elapsed();
    println!("{what}: {elapsed:?}");
    assert!(elapsed < MAX_TIME, "{what} took {elapsed:?}");
    outcome
}

fn with_limits(limits: EmailLimits) -> EmailConfig {
    EmailConfig { limits, ..config() }
}

#[test]
fn sixty_megabyte_message_is_rejected_before_parsing() {
    let mut raw = b"From: a@example.com\r\nSubject: big\r\n\r\n".to_vec();
    raw.resize(60 * 1024 * 1024, b'a');
    let outcome = timed("60 MB", || parse(&raw));
    assert_eq!(
        outcome.unwrap_err(),
        EmailError::TooLarge {
            size: 60 * 1024 * 1024,
            limit: 50 * 1024 * 1024
        }
    );
}

#[test]
fn empty_and_non_message_input_are_clear_errors() {
    assert_eq!(parse(b"").unwrap_err(), EmailError::Empty);
    assert_eq!(parse(b" \r\n\t ").unwrap_err(), EmailError::Empty);
    let error = parse(b"\r\n\r\njust a body without any header").unwrap_err();
    assert_eq!(error, EmailError::NotAMessage);
    assert_eq!(error.kind(), switchboard_core::ErrorKind::BadInput);
}

#[test]
fn binary_garbage_gives_a_clear_outcome() {
    let garbage: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    match timed("garbage", || parse(&garbage)) {
        Ok(parsed) => assert_eq!(parsed.item.channel.as_str(), "email"),
        Err(error) => assert_ne!(error.to_string(), ""),
    }
}

#[test]
fn headers_without_a_body_give_an_empty_item() {
    let parsed = parse(b"From: Jan <jan@example.nl>\r\nSubject: Alleen een kop\r\n").unwrap();
    assert_eq!(parsed.item.subject.as_deref(), Some("Alleen een kop"));
    assert_eq!(parsed.item.text, "");
    assert_eq!(parsed.item.sender.email.as_deref(), Some("jan@example.nl"));
}

#[test]
fn cr_only_line_endings_are_understood() {
    let raw = b"From: Jan <jan@example.nl>\rSubject: Mac mail\rDate: Mon, 03 Mar 2025 10:00:00 +0100\r\rEerste regel\rTweede regel\r";
    let parsed = parse(raw).unwrap();
    assert_eq!(parsed.item.subject.as_deref(), Some("Mac mail"));
    assert_eq!(parsed.item.text, "Eerste regel\nTweede regel");
    assert_eq!(
        parsed.item.received_at.to_rfc3339(),
        "2025-03-03T09:00:00+00:00"
    );
}

#[test]
fn unknown_charsets_and_broken_encodings_still_give_text() {
    let raw = b"From: a@example.com\r\nSubject: =?x-klingon?Q?qapla=27?=\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=x-klingon\r\nContent-Transfer-Encoding: base64\r\n\r\n\
SGFsbG8gd2VyZWxk!!!not base64 at all@@@\r\n";
    let parsed = parse(raw).unwrap();
    assert!(parsed.item.subject.is_some());
    let raw = b"From: a@example.com\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xff\xfe caf\xe9\r\n";
    let parsed = parse(raw).unwrap();
    assert!(parsed.item.text.contains("caf"), "{}", parsed.item.text);
}

#[test]
fn malformed_mime_gives_an_item() {
    let unterminated = b"From: a@example.com\r\nSubject: x\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain\r\n\r\nvisible text\r\n--b1\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjc=\r\n";
    let parsed = parse(unterminated).unwrap();
    assert!(parsed.item.text.contains("visible text"));
    let no_boundary =
        b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\ntext\r\n--x--\r\n";
    assert!(parse(no_boundary).is_ok());
    let nul_bytes = b"From: a@exa\0mple.com\r\nSubject: nul\0byte\r\n\r\nbody\0text\r\n";
    assert!(parse(nul_bytes).is_ok());
}

fn nested_multipart(depth: usize) -> Vec<u8> {
    let mut raw = String::from("From: a@example.com\r\nSubject: deep\r\n");
    for level in 0..depth {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"
        ));
    }
    raw.push_str("Content-Type: text/plain\r\n\r\ndeepest\r\n");
    for level in (0..depth).rev() {
        raw.push_str(&format!("--b{level}--\r\n"));
    }
    raw.into_bytes()
}

fn nested_messages(depth: usize) -> Vec<u8> {
    let mut raw = String::new();
    for level in 0..depth {
        raw.push_str(&format!(
            "From: level{level}@example.com\r\nSubject: level {level}\r\nContent-Type: message/rfc822\r\n\r\n"
        ));
    }
    raw.push_str("From: bottom@example.com\r\nSubject: bottom\r\n\r\nbottom text\r\n");
    raw.into_bytes()
}

#[test]
fn thousand_deep_multipart_nesting_is_rejected() {
    let raw = nested_multipart(1_000);
    let outcome = timed("1000-deep multipart", || parse(&raw));
    assert_eq!(outcome.unwrap_err(), EmailError::TooDeep { limit: 50 });
}

#[test]
fn thousand_deep_message_nesting_is_rejected() {
    let raw = nested_messages(1_000);
    let outcome = timed("1000-deep message/rfc822", || parse(&raw));
    assert_eq!(outcome.unwrap_err(), EmailError::TooDeep { limit: 50 });
}

#[test]
fn nesting_within_the_limit_parses() {
    let parsed = parse(&nested_multipart(20)).unwrap();
    assert!(parsed.item.text.contains("deepest"));
    let parsed = parse(&nested_messages(5)).unwrap();
    assert!(
        parsed.item.text.contains("bottom text"),
        "{}",
        parsed.item.text
    );
}

#[test]
fn hundred_thousand_parts_are_rejected() {
    let mut raw = String::from(
        "From: a@example.com\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n",
    );
    for index in 0..100_000 {
        raw.push_str(&format!(
            "--p\r\nContent-Type: text/plain\r\n\r\npart {index}\r\n"
        ));
    }
    raw.push_str("--p--\r\n");
    let outcome = timed("100000 parts", || parse(raw.as_bytes()));
    assert_eq!(
        outcome.unwrap_err(),
        EmailError::TooManyParts { limit: 2_000 }
    );
}

#[test]
fn long_text_is_cut_with_a_warning() {
    let mut raw = b"From: a@example.com\r\nSubject: long\r\n\r\n".to_vec();
    raw.extend(std::iter::repeat_n(b'x', 5_000));
    let config = with_limits(EmailLimits {
        max_text_chars: 1_000,
        ..EmailLimits::default()
    });
    let parsed = parse_email(&raw, "long.eml", fallback_time(), &config).unwrap();
    assert_eq!(parsed.item.text.chars().count(), 1_000);
    assert!(parsed.item.warnings.iter().any(|w| w.contains("cut")));
}

#[test]
fn too_many_attachments_are_left_out_with_a_warning() {
    let mut raw = String::from(
        "From: a@example.com\r\nSubject: bijlagen\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n\
--p\r\nContent-Type: text/plain\r\n\r\nzie bijlagen\r\n",
    );
    for index in 0..10 {
        raw.push_str(&format!(
            "--p\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"f{index}.bin\"\r\n\r\ndata\r\n"
        ));
    }
    raw.push_str("--p--\r\n");
    let config = with_limits(EmailLimits {
        max_attachments: 3,
        ..EmailLimits::default()
    });
    let parsed = parse_email(raw.as_bytes(), "many.eml", fallback_time(), &config).unwrap();
    assert_eq!(parsed.item.attachments.len(), 3);
    assert!(
        parsed
            .item
            .warnings
            .iter()
            .any(|w| w.contains("7 attachment(s) left out"))
    );
}

#[test]
fn huge_html_is_not_kept_for_display() {
    let mut raw =
        b"From: a@example.com\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n<p>hallo</p>"
            .to_vec();
    raw.extend(
        "<a href=\"https://x.example.com/\">link</a>"
            .repeat(1_000)
            .bytes(),
    );
    let config = with_limits(EmailLimits {
        max_html_bytes: 10_000,
        ..EmailLimits::default()
    });
    let parsed = parse_email(&raw, "html.eml", fallback_time(), &config).unwrap();
    assert_eq!(parsed.item.html, None);
    assert!(parsed.item.text.starts_with("hallo"));
    assert!(parsed.item.warnings.iter().any(|w| w.contains("not kept")));
}

#[test]
fn deeply_nested_html_does_not_overflow_the_stack() {
    let mut raw =
        b"From: a@example.com\r\nSubject: html\r\nContent-Type: text/html\r\n\r\n".to_vec();
    raw.extend("<div><span>".repeat(50_000).bytes());
    raw.extend(b"diep");
    let parsed = timed("deep html", || parse(&raw)).unwrap();
    assert_eq!(parsed.item.text, "diep");
}
