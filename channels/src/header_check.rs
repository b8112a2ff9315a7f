//! Reading a mail's headers to tell what it is (a fax-server or PBX notification) before a
//! channel's parser reads all of it.

use std::sync::LazyLock;

use mail_parser::{HeaderName, Message, MessageParser};

/// Parses `raw`'s headers, reading only the sender and the subject as the default parser
/// does and keeping every other header as it is written: the checks look at no more (a
/// header's presence, by name), and taking every header apart — `Received` lines, reference
/// lists, dates — was most of the cost of a check that runs twice for every e-mail, once for
/// each kind of notification.
pub(crate) fn headers_of(raw: &[u8]) -> Option<Message<'_>> {
    static PARSER: LazyLock<MessageParser> = LazyLock::new(|| {
        MessageParser::new()
            .header_address(HeaderName::From)
            .header_text(HeaderName::Subject)
            .default_header_raw()
    });
    PARSER.parse_headers(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_subject_and_header_names_read_as_the_default_parser_reads_them() {
        let raw =
            b"Received: from mx.example.nl by in.example.nl; Mon, 3 Mar 2025 08:28:01 +0100\r\n\
            From: =?utf-8?q?Fax_Server_M=C3=BCller?= <fax@example.nl>, other@example.nl\r\n\
            Subject: =?utf-8?q?Fax_van_+31486555613?=\r\nX-Pbx: yes\r\n\r\nbody\r\n";
        let lean = headers_of(raw).expect("headers");
        let full = MessageParser::default()
            .parse_headers(raw)
            .expect("headers");
        assert_eq!(lean.subject(), Some("Fax van +31486555613"));
        assert_eq!(lean.subject(), full.subject());
        let sender = lean.from().and_then(|from| from.first()).expect("sender");
        assert_eq!(sender.name(), Some("Fax Server Müller"));
        assert_eq!(lean.from(), full.from());
        let names = |message: &Message<'_>| -> Vec<String> {
            message
                .headers()
                .iter()
                .map(|header| header.name().to_owned())
                .collect()
        };
        assert_eq!(names(&lean), names(&full));
        assert!(full.received().is_some());
        assert!(lean.received().is_none(), "Received is not taken apart");
    }
}
