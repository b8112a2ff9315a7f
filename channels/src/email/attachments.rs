//! Attachments: safe file names, declared and sniffed content types.

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};
use serde::Serialize;
use switchboard_core::item::NewAttachment;

/// Longest file name kept, in bytes (the extension is kept when cutting).
const MAX_FILE_NAME_BYTES: usize = 120;
/// Windows device names that must not be a file's stem.
const RESERVED_STEMS: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// An inline attachment referenced from the HTML by `cid:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlineContent {
    /// The Content-ID without angle brackets.
    pub content_id: String,
    /// Index into the item's attachments.
    pub attachment_index: usize,
}

/// What attachment collection produced for one message level.
#[derive(Debug, Default)]
pub(crate) struct Collected<'m, 'x> {
    pub attachments: Vec<NewAttachment>,
    pub inline: Vec<InlineContent>,
    /// Attached messages (message/rfc822), in order.
    pub messages: Vec<&'m Message<'x>>,
    pub warnings: Vec<String>,
}

/// Collects the attachments of a message (not of messages attached to it; their own
/// attachments are collected by the caller when it wants them).
pub(crate) fn collect<'m, 'x>(
    message: &'m Message<'x>,
    max_attachments: usize,
    already_kept: usize,
) -> Collected<'m, 'x> {
    let mut collected = Collected::default();
    let mut skipped = 0usize;
    for &part_id in &message.attachments {
        let Some(part) = message.parts.get(part_id as usize) else {
            continue;
        };
        if let PartType::Message(nested) = &part.body {
            collected.messages.push(nested);
        }
        if already_kept + collected.attachments.len() >= max_attachments {
            skipped += 1;
            continue;
        }
        let attachment = to_attachment(part, already_kept + collected.attachments.len() + 1);
        if let Some(content_id) = part.content_id() {
            let content_id = content_id.trim().trim_matches(['<', '>']).to_owned();
            if !content_id.is_empty() {
                collected.inline.push(InlineContent {
                    content_id,
                    attachment_index: already_kept + collected.attachments.len(),
                });
            }
        }
        collected.attachments.push(attachment);
    }
    if skipped > 0 {
        collected.warnings.push(format!(
            "{skipped} attachment(s) left out: more than {max_attachments} attachments"
        ));
    }
    collected
}

fn to_attachment(part: &MessagePart<'_>, position: usize) -> NewAttachment {
    let content = part.contents().to_vec();
    let declared_type = declared_type(part);
    let sniffed_type = sniff_content_type(&content).map(str::to_owned);
    let nested_subject = match &part.body {
        PartType::Message(nested) => nested.subject().map(|subject| format!("{subject}.eml")),
        _ => None,
    };
    let raw_name = part.attachment_name().map(str::to_owned).or(nested_subject);
    let extension = extension_for(sniffed_type.as_deref().or(declared_type.as_deref()));
    let file_name = safe_file_name(raw_name.as_deref(), position, extension);
    NewAttachment {
        file_name,
        declared_type,
        sniffed_type,
        content,
    }
}

fn declared_type(part: &MessagePart<'_>) -> Option<String> {
    let content_type = part.content_type()?;
    let main = content_type.ctype().trim().to_ascii_lowercase();
    if main.is_empty() {
        return None;
    }
    Some(match content_type.subtype() {
        Some(sub) => format!("{main}/{}", sub.trim().to_ascii_lowercase()),
        None => main,
    })
}

/// Sniffs the content type from the leading bytes.
pub fn sniff_content_type(content: &[u8]) -> Option<&'static str> {
    infer::get(content).map(|kind| kind.mime_type())
}

fn extension_for(content_type: Option<&str>) -> &'static str {
    match content_type.unwrap_or_default() {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/tiff" => "tif",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "application/zip" => "zip",
        "message/rfc822" => "eml",
        "text/plain"
        | "message/delivery-status"
        | "text/rfc822-headers"
        | "message/disposition-notification"
        | "message/feedback-report" => "txt",
        "text/html" => "html",
        _ => "bin",
    }
}

/// Turns a sender-supplied file name into one that is safe to store and show: no path parts, no
/// control, bidi or zero-width characters, no leading dots, no device names, at most
/// 120 bytes with the extension kept; `attachment-N.ext` when nothing usable is left.
pub fn safe_file_name(raw: Option<&str>, position: usize, fallback_extension: &str) -> String {
    let fallback = || format!("attachment-{position}.{fallback_extension}");
    let Some(raw) = raw else {
        return fallback();
    };
    let last_segment = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last_segment
        .chars()
        .filter(|&c| !c.is_control() && !is_invisible_formatting(c))
        .map(|c| {
            if matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned
        .trim()
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_owned();
    if cleaned.is_empty() {
        return fallback();
    }
    let (stem, extension) = match cleaned.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && extension.len() <= 10 => {
            (stem.to_owned(), Some(extension.to_owned()))
        }
        _ => (cleaned.clone(), None),
    };
    let stem = if RESERVED_STEMS.contains(&stem.to_ascii_lowercase().as_str()) {
        format!("_{stem}")
    } else {
        stem
    };
    let extension_bytes = extension.as_ref().map_or(0, |e| e.len() + 1);
    let stem = truncate_bytes(&stem, MAX_FILE_NAME_BYTES.saturating_sub(extension_bytes));
    match extension {
        Some(extension) => format!("{stem}.{extension}"),
        None => stem.to_owned(),
    }
}

fn is_invisible_formatting(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

fn truncate_bytes(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_bidi_tricks() {
        assert_eq!(safe_file_name(Some("../../etc/passwd"), 1, "bin"), "passwd");
        assert_eq!(
            safe_file_name(Some("C:\\Users\\x\\order.pdf"), 1, "pdf"),
            "order.pdf"
        );
        assert_eq!(
            safe_file_name(Some("invoice\u{202E}fdp.exe"), 1, "bin"),
            "invoicefdp.exe"
        );
        assert_eq!(safe_file_name(Some("a\u{0}b\r\n.pdf"), 1, "pdf"), "ab.pdf");
        assert_eq!(safe_file_name(Some(".htaccess"), 1, "bin"), "htaccess");
        assert_eq!(safe_file_name(Some("CON.txt"), 1, "txt"), "_CON.txt");
        assert_eq!(safe_file_name(Some("what?.pdf"), 1, "pdf"), "what_.pdf");
    }

    #[test]
    fn names_fall_back_and_stay_short() {
        assert_eq!(safe_file_name(None, 3, "pdf"), "attachment-3.pdf");
        assert_eq!(safe_file_name(Some("../.."), 2, "bin"), "attachment-2.bin");
        assert_eq!(
            safe_file_name(Some("\u{202E}\u{200B}"), 4, "jpg"),
            "attachment-4.jpg"
        );
        let long = format!("{}.pdf", "é".repeat(300));
        let safe = safe_file_name(Some(&long), 1, "pdf");
        assert!(safe.len() <= MAX_FILE_NAME_BYTES, "{}", safe.len());
        assert!(safe.ends_with(".pdf"));
    }

    #[test]
    fn sniffs_the_types_that_matter() {
        assert_eq!(sniff_content_type(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(
            sniff_content_type(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]),
            Some("image/png")
        );
        assert_eq!(
            sniff_content_type(&[0xff, 0xd8, 0xff, 0xe0]),
            Some("image/jpeg")
        );
        assert_eq!(sniff_content_type(b"GIF89a"), Some("image/gif"));
        assert_eq!(
            sniff_content_type(b"II*\0\x08\0\0\0\x0e\0\0\x01\x03\0"),
            Some("image/tiff")
        );
        assert_eq!(
            sniff_content_type(b"RIFF\x24\0\0\0WAVEfmt "),
            Some("audio/x-wav")
        );
        assert_eq!(sniff_content_type(b"PK\x03\x04"), Some("application/zip"));
        assert_eq!(sniff_content_type(b"hello"), None);
    }
}
