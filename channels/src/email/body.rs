//! Text and HTML bodies of one message level.

use mail_parser::{Message, PartType};

use super::config::EmailLimits;
use super::html::{html_to_text, max_nesting, sanitize_html};

/// The readable text and display HTML of a message.
#[derive(Debug, Default)]
pub(crate) struct Body {
    pub text: String,
    pub html: Option<String>,
    pub warnings: Vec<String>,
}

/// Extracts the text (text/plain, else HTML turned into text) and, when asked, the sanitised
/// HTML.
pub(crate) fn extract(message: &Message<'_>, limits: &EmailLimits, with_html: bool) -> Body {
    let mut body = Body::default();
    let mut texts: Vec<String> = Vec::new();
    for &part_id in &message.text_body {
        let Some(part) = message.parts.get(part_id as usize) else {
            continue;
        };
        if part.is_encoding_problem {
            body.warnings
                .push(format!("text part {part_id} could not be decoded cleanly"));
        }
        let text = match &part.body {
            PartType::Text(text) => normalise_newlines(text),
            PartType::Html(html) => html_to_text(html),
            _ => continue,
        };
        if !text.trim().is_empty() {
            texts.push(text.trim_end().to_owned());
        }
    }
    let html_parts: Vec<&str> = message
        .html_body
        .iter()
        .filter_map(
            |&part_id| match &message.parts.get(part_id as usize)?.body {
                PartType::Html(html) => Some(html.as_ref()),
                _ => None,
            },
        )
        .collect();
    if texts.is_empty() {
        texts.extend(
            html_parts
                .iter()
                .map(|html| html_to_text(html))
                .filter(|text| !text.trim().is_empty()),
        );
    }
    body.text = texts.join("\n\n");
    if !with_html || html_parts.is_empty() {
        return body;
    }
    let html_bytes: usize = html_parts.iter().map(|html| html.len()).sum();
    if html_bytes > limits.max_html_bytes {
        body.warnings.push(format!(
            "html body of {html_bytes} bytes not kept for display (limit {})",
            limits.max_html_bytes
        ));
        return body;
    }
    let html_depth = html_parts
        .iter()
        .map(|html| {
            // Every level of nesting opens with a `<`: markup with no more of them than the
            // limit is not nested deeper, and is spared the tokenizer pass that measures it.
            if html.bytes().filter(|&byte| byte == b'<').count() <= limits.max_html_depth {
                0
            } else {
                max_nesting(html)
            }
        })
        .max()
        .unwrap_or(0);
    if html_depth > limits.max_html_depth {
        body.warnings.push(format!(
            "html body nested {html_depth} levels deep not kept for display (limit {})",
            limits.max_html_depth
        ));
        return body;
    }
    let sanitised: Vec<String> = html_parts.iter().map(|html| sanitize_html(html)).collect();
    body.html = Some(sanitised.join("\n<hr>\n"));
    body
}

fn normalise_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_owned()
    }
}

/// Cuts a text to at most `max_chars` characters; tells whether it cut.
pub(crate) fn truncate_chars(text: &mut String, max_chars: usize) -> bool {
    match text.char_indices().nth(max_chars) {
        Some((byte_index, _)) => {
            text.truncate(byte_index);
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use mail_parser::MessageParser;

    use super::*;

    fn html_mail(html: &str) -> Vec<u8> {
        format!(
            "From: a@example.nl\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
        )
        .into_bytes()
    }

    fn nested(levels: usize) -> String {
        format!("{}deep{}", "<div>".repeat(levels), "</div>".repeat(levels))
    }

    /// HTML nested up to the limit is kept for display, one level deeper is not (with a
    /// warning); markup with few tags is kept without being measured.
    #[test]
    fn html_nested_deeper_than_the_limit_is_not_kept() {
        let limits = EmailLimits {
            max_html_depth: 5,
            ..EmailLimits::default()
        };
        for (html, kept) in [
            (nested(5), true),
            (nested(6), false),
            ("<p>Hallo <b>daar</b></p>".to_owned(), true),
        ] {
            let raw = html_mail(&html);
            let message = MessageParser::default().parse(&raw).expect("a message");
            let body = extract(&message, &limits, true);
            assert_eq!(body.html.is_some(), kept, "{html}");
            assert_eq!(body.warnings.is_empty(), kept, "{:?}", body.warnings);
        }
        let raw = html_mail(&nested(6));
        let message = MessageParser::default().parse(&raw).expect("a message");
        assert_eq!(
            extract(&message, &limits, true).warnings,
            ["html body nested 6 levels deep not kept for display (limit 5)"]
        );
    }
}
