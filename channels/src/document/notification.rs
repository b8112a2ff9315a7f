//! Fax-server notification e-mails: the message that carries a fax as a PDF or TIFF attachment,
//! with the sender's number in the subject and body. Such mails become fax items, not e-mail
//! items. Pure: bytes in, document bytes and notification facts out.

use chrono::{DateTime, Utc};
use mail_parser::{MessageParser, MimeHeaders};
use serde::Serialize;

use super::error::DocumentError;
use super::sniff::sniff_document;

/// What the notification e-mail says about the fax it carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FaxNotification {
    /// The subject ("Fax from +31235551234, 2 pages").
    pub subject: Option<String>,
    /// The plain-text body.
    pub body: String,
    /// The Message-ID without angle brackets.
    pub message_id: Option<String>,
    /// The Date header.
    pub sent_at: Option<DateTime<Utc>>,
    /// The attachment's file name, which often encodes the number and time.
    pub attachment_name: Option<String>,
}

/// A fax notification split into the document and its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationFax {
    /// The attached PDF or TIFF.
    pub document: Vec<u8>,
    /// The notification facts.
    pub notification: FaxNotification,
}

/// Parses a notification e-mail and takes its first PDF or TIFF attachment (recognised by
/// content, whatever its declared type).
pub fn parse_fax_notification(raw: &[u8]) -> Result<NotificationFax, DocumentError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(DocumentError::NoFaxAttachment)?;
    let attachment = message
        .attachments()
        .find(|part| sniff_document(part.contents()).is_ok())
        .ok_or(DocumentError::NoFaxAttachment)?;
    let notification = FaxNotification {
        subject: message.subject().map(str::to_owned),
        body: message
            .body_text(0)
            .map(|body| body.into_owned())
            .unwrap_or_default(),
        message_id: message.message_id().map(str::to_owned),
        sent_at: message
            .date()
            .and_then(|date| DateTime::from_timestamp(date.to_timestamp(), 0)),
        attachment_name: attachment.attachment_name().map(str::to_owned),
    };
    Ok(NotificationFax {
        document: attachment.contents().to_vec(),
        notification,
    })
}

/// Tells whether an e-mail looks like a fax-server notification: it carries a PDF or TIFF and
/// its subject starts with "Fax".
pub fn is_fax_notification(raw: &[u8]) -> bool {
    // The subject decides first: the headers alone cost a fraction of the whole message.
    let subject_says_fax = crate::header_check::headers_of(raw)
        .and_then(|headers| headers.subject().map(says_fax))
        .unwrap_or(false);
    // The full parse reads the same subject: it only has to find the document.
    subject_says_fax && parse_fax_notification(raw).is_ok()
}

fn says_fax(subject: &str) -> bool {
    subject.trim_start().to_lowercase().starts_with("fax")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTIFICATION: &str = "From: Fax Server <fax@example.nl>\r\nTo: orders@example.nl\r\n\
        Subject: Fax from +31486555613, 2 pages\r\nDate: Mon, 03 Mar 2025 08:27:59 +0100\r\n\
        Message-ID: <abc@fax.example.nl>\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n\
        From: +31486555613\r\nPages: 2\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\n\
        Content-Disposition: attachment; filename=\"fax_20250303_082719_31486555613.pdf\"\r\n\
        Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJSVFT0YK\r\n--b--\r\n";

    #[test]
    fn notification_gives_document_and_facts() {
        let fax = parse_fax_notification(NOTIFICATION.as_bytes()).unwrap();
        assert!(fax.document.starts_with(b"%PDF-1.4"));
        let notification = fax.notification;
        assert_eq!(
            notification.subject.as_deref(),
            Some("Fax from +31486555613, 2 pages")
        );
        assert!(notification.body.contains("From: +31486555613"));
        assert_eq!(
            notification.message_id.as_deref(),
            Some("abc@fax.example.nl")
        );
        assert_eq!(
            notification.attachment_name.as_deref(),
            Some("fax_20250303_082719_31486555613.pdf")
        );
        assert_eq!(
            notification.sent_at.unwrap().to_rfc3339(),
            "2025-03-03T07:27:59+00:00"
        );
        assert!(is_fax_notification(NOTIFICATION.as_bytes()));
    }

    #[test]
    fn mail_without_document_is_no_fax() {
        let plain = "From: a@example.nl\r\nSubject: Fax from me\r\n\r\nno attachment\r\n";
        assert!(matches!(
            parse_fax_notification(plain.as_bytes()),
            Err(DocumentError::NoFaxAttachment)
        ));
        assert!(!is_fax_notification(plain.as_bytes()));
    }
}
