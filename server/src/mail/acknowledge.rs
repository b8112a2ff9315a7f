//! Automatic acknowledgements of receipt: whether a message may be answered automatically, and
//! the text per language. Never answers noise, bulk or list mail, another automatic message or a
//! bounce (RFC 3834); carries `Auto-Submitted: auto-replied`; at most one per sender per window,
//! counted from the outbox so the limit survives restarts; and one per item, so a message sent
//! to several of our mailboxes (one item) is acknowledged once.

use serde::{Deserialize, Serialize};
use switchboard_core::item::{Language, NoiseKind};

use crate::pipeline::landing;

/// The `[mail.acknowledgement]` settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AcknowledgementSettings {
    /// At most one acknowledgement per sender within this many hours.
    pub per_sender_hours: i64,
    /// Templates per language (`nl`, `en`, `de`, `fr`); `en` for other languages.
    pub templates: Templates,
    /// Our addresses whose mail is acknowledged whatever source brings it (IMAP, the MTA pipe,
    /// a drop folder, HTTP), matched against `To`, `Delivered-To` and `X-Original-To`.
    pub mailboxes: Vec<String>,
}

impl Default for AcknowledgementSettings {
    fn default() -> Self {
        Self {
            per_sender_hours: 24,
            templates: Templates::default(),
            mailboxes: Vec::new(),
        }
    }
}

/// One template per language.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Templates {
    /// Dutch.
    pub nl: Template,
    /// English (also for unknown languages).
    pub en: Template,
    /// German.
    pub de: Template,
    /// French.
    pub fr: Template,
}

/// A subject and a body; `{reference}` and `{subject}` are replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// The subject (the reference token is appended).
    pub subject: String,
    /// The text.
    pub body: String,
}

fn template(subject: &str, body: &str) -> Template {
    Template {
        subject: subject.to_owned(),
        body: body.to_owned(),
    }
}

impl Default for Templates {
    fn default() -> Self {
        Self {
            nl: template(
                "Ontvangen: {subject}",
                "Bedankt voor uw bericht. We hebben het ontvangen onder nummer {reference} en \
                 antwoorden zo snel mogelijk.",
            ),
            en: template(
                "Received: {subject}",
                "Thank you for your message. We received it as {reference} and will answer as \
                 soon as we can.",
            ),
            de: template(
                "Erhalten: {subject}",
                "Vielen Dank für Ihre Nachricht. Wir haben sie unter der Nummer {reference} \
                 erhalten und antworten so bald wie möglich.",
            ),
            fr: template(
                "Reçu : {subject}",
                "Merci pour votre message. Nous l'avons reçu sous le numéro {reference} et vous \
                 répondrons dès que possible.",
            ),
        }
    }
}

impl Templates {
    /// The template for a language, English when it is unknown.
    pub fn for_language(&self, language: Option<Language>) -> &Template {
        match language {
            Some(Language::Dutch) => &self.nl,
            Some(Language::German) => &self.de,
            Some(Language::French) => &self.fr,
            _ => &self.en,
        }
    }
}

/// Why a message is not acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The item is noise (auto-reply, bounce, newsletter, spam).
    Noise,
    /// Bulk or list mail (`Precedence`, `List-*` headers).
    Bulk,
    /// Sent automatically (`Auto-Submitted`, `X-Autoreply`, `X-Auto-Response-Suppress`).
    Automatic,
    /// No sender to answer, or a null sender (`Return-Path: <>`).
    NoSender,
    /// The sender is one of our own addresses.
    OwnAddress,
}

/// Decides whether a freshly ingested message may be acknowledged, from its item's noise kind
/// and sender and the message's raw header fields.
pub fn check(
    noise: Option<NoiseKind>,
    sender: Option<&str>,
    raw: &[u8],
    own_addresses: &[String],
) -> Result<(), Refusal> {
    if noise.is_some() {
        return Err(Refusal::Noise);
    }
    let (head, _) = landing::split_head(raw);
    for (name, value) in landing::unfolded_headers(head) {
        let name = name.to_ascii_lowercase();
        let value = value.trim().to_ascii_lowercase();
        match name.as_str() {
            "precedence" if matches!(value.as_str(), "bulk" | "list" | "junk") => {
                return Err(Refusal::Bulk);
            }
            "list-id" | "list-unsubscribe" | "list-post" => return Err(Refusal::Bulk),
            "auto-submitted" if value != "no" => return Err(Refusal::Automatic),
            "x-autoreply" | "x-autorespond" => return Err(Refusal::Automatic),
            "x-auto-response-suppress" if value.contains("all") || value.contains("autoreply") => {
                return Err(Refusal::Automatic);
            }
            "return-path" if value.trim_matches(['<', '>', ' ']).is_empty() => {
                return Err(Refusal::NoSender);
            }
            _ => {}
        }
    }
    let sender = sender.ok_or(Refusal::NoSender)?;
    if own_addresses
        .iter()
        .any(|own| own.eq_ignore_ascii_case(sender))
    {
        return Err(Refusal::OwnAddress);
    }
    Ok(())
}

/// The recipient fields that name the mailbox a message was delivered to.
const RECIPIENT_HEADERS: &[&str] = &["to", "delivered-to", "x-original-to"];

/// Returns the first of `mailboxes` the message was addressed or delivered to (`To`,
/// `Delivered-To`, `X-Original-To`), compared case-insensitively on whole addresses.
pub fn addressed_mailbox<'a>(raw: &[u8], mailboxes: &'a [String]) -> Option<&'a str> {
    let (head, _) = landing::split_head(raw);
    let recipients: Vec<String> = landing::unfolded_headers(head)
        .into_iter()
        .filter(|(name, _)| RECIPIENT_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(_, value)| value.to_ascii_lowercase())
        .collect();
    mailboxes
        .iter()
        .map(|mailbox| mailbox.trim())
        .find(|mailbox| {
            let mailbox = mailbox.to_ascii_lowercase();
            !mailbox.is_empty()
                && recipients
                    .iter()
                    .any(|value| names_address(value, &mailbox))
        })
}

/// Tells whether a header value names `address` itself, not a longer one ending or starting
/// with it (`bigorders@...`, `orders@velora.example.nl.evil`).
fn names_address(value: &str, address: &str) -> bool {
    let part_of_address = |c: char| c.is_ascii_alphanumeric() || "._%+-@".contains(c);
    value.match_indices(address).any(|(start, _)| {
        let before = value[..start].chars().next_back();
        let after = value[start + address.len()..].chars().next();
        !before.is_some_and(part_of_address) && !after.is_some_and(part_of_address)
    })
}

/// Fills a template's placeholders.
pub fn fill(text: &str, reference: &str, subject: &str) -> String {
    text.replace("{reference}", reference)
        .replace("{subject}", subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str =
        "From: anna@salon.example.nl\r\nSubject: Levering\r\n\r\nWaar blijft het?\r\n";

    fn checked(extra_header: &str) -> Result<(), Refusal> {
        let raw = format!("{extra_header}{PLAIN}");
        check(None, Some("anna@salon.example.nl"), raw.as_bytes(), &[])
    }

    #[test]
    fn a_customers_message_is_acknowledged() {
        assert_eq!(checked(""), Ok(()));
        assert_eq!(checked("Auto-Submitted: no\r\n"), Ok(()));
    }

    #[test]
    fn noise_bulk_automatic_and_null_senders_are_never_answered() {
        let refused = [
            ("Precedence: bulk\r\n", Refusal::Bulk),
            ("Precedence: list\r\n", Refusal::Bulk),
            ("List-Id: <news.example.nl>\r\n", Refusal::Bulk),
            ("List-Unsubscribe: <mailto:u@example.nl>\r\n", Refusal::Bulk),
            ("Auto-Submitted: auto-replied\r\n", Refusal::Automatic),
            ("Auto-Submitted:\r\n auto-generated\r\n", Refusal::Automatic),
            ("X-Autoreply: yes\r\n", Refusal::Automatic),
            ("X-Auto-Response-Suppress: All\r\n", Refusal::Automatic),
            ("Return-Path: <>\r\n", Refusal::NoSender),
        ];
        for (header, refusal) in refused {
            assert_eq!(checked(header), Err(refusal), "{header}");
        }
        let noise = check(
            Some(NoiseKind::AutoReply),
            Some("a@b.nl"),
            PLAIN.as_bytes(),
            &[],
        );
        assert_eq!(noise, Err(Refusal::Noise));
        assert_eq!(
            check(None, None, PLAIN.as_bytes(), &[]),
            Err(Refusal::NoSender)
        );
        let own = ["Orders@velora.example.nl".to_owned()];
        let ours = check(
            None,
            Some("orders@velora.example.nl"),
            PLAIN.as_bytes(),
            &own,
        );
        assert_eq!(ours, Err(Refusal::OwnAddress));
    }

    #[test]
    fn the_mailbox_is_found_in_to_delivered_to_or_x_original_to() {
        let mailboxes = [
            "Orders@velora.example.nl".to_owned(),
            "klantenservice@velora.example.nl".to_owned(),
        ];
        let to = b"From: a@b.nl\r\nTo: Velora <ORDERS@velora.example.nl>\r\n\r\nx\r\n";
        assert_eq!(
            addressed_mailbox(to, &mailboxes),
            Some("Orders@velora.example.nl")
        );
        let delivered = b"Delivered-To: klantenservice@velora.example.nl\r\nTo: undisclosed-recipients:;\r\n\r\nx";
        assert_eq!(
            addressed_mailbox(delivered, &mailboxes),
            Some("klantenservice@velora.example.nl")
        );
        let original = b"X-Original-To: orders@velora.example.nl\r\nTo: list@example.nl\r\n\r\nx";
        assert!(addressed_mailbox(original, &mailboxes).is_some());
        for other in [
            "To: bigorders@velora.example.nl\r\n\r\nx",
            "To: orders@velora.example.nl.example.com\r\n\r\nx",
            "Cc: orders@velora.example.nl\r\nTo: someone@example.nl\r\n\r\nx",
            "To: someone@example.nl\r\n\r\norders@velora.example.nl",
        ] {
            assert_eq!(
                addressed_mailbox(other.as_bytes(), &mailboxes),
                None,
                "{other}"
            );
        }
    }

    #[test]
    fn templates_follow_the_language_and_fill_placeholders() {
        let templates = Templates::default();
        assert!(
            templates
                .for_language(Some(Language::Dutch))
                .subject
                .starts_with("Ontvangen")
        );
        assert!(templates.for_language(None).subject.starts_with("Received"));
        assert_eq!(
            fill("{subject} / {reference}", "SB-000007", "Vraag"),
            "Vraag / SB-000007"
        );
    }
}
