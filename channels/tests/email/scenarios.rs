//! Behaviour by scenario: forwards, attachments, HTML, reference tokens, noise rules.

use std::fs;

use switchboard_channels::email::{ForwardVia, ParsedEmail};
use switchboard_channels::reference_token::{self, TokenLocation};
use switchboard_core::WorkItemId;
use switchboard_core::item::{Language, NoiseKind};

use crate::support::{SECRET, parse, shared};

fn parse_text(raw: &str) -> ParsedEmail {
    parse(raw.replace('\n', "\r\n").as_bytes()).unwrap()
}

fn noise_of(headers: &str, body: &str) -> Option<NoiseKind> {
    parse_text(&format!("{headers}\n\n{body}\n")).item.noise
}

// --- forwards -------------------------------------------------------------------------------

#[test]
fn internal_inline_forward_takes_the_customer_as_sender() {
    let parsed = parse_text(
        "From: Piet de Vries <piet.devries@velora.example.nl>
To: klantenservice@velora.example.nl
Subject: FW: Klacht levering
Date: Tue, 11 Mar 2025 10:56:22 +0100

Graag oppakken.

Van: Anna Bakker <Anna.Bakker@kapsalonbakker.example.nl>
Verzonden: maandag 10 maart 2025 16:02
Aan: piet.devries@velora.example.nl
Onderwerp: Klacht levering

Beste Piet,

De levering van order 4500012345 is beschadigd aangekomen. Wij willen graag een nieuwe levering.

Met vriendelijke groet,
Anna Bakker
",
    );
    assert_eq!(
        parsed.item.sender.email.as_deref(),
        Some("anna.bakker@kapsalonbakker.example.nl")
    );
    assert_eq!(parsed.item.sender.name.as_deref(), Some("Anna Bakker"));
    let forward = parsed.details.forward.unwrap();
    assert_eq!(forward.via, ForwardVia::InlineBlock);
    assert_eq!(
        forward.forwarded_by.email.as_deref(),
        Some("piet.devries@velora.example.nl")
    );
    assert_eq!(forward.original_subject.as_deref(), Some("Klacht levering"));
    assert_eq!(parsed.item.language, Some(Language::Dutch));
    assert!(
        parsed.item.text.contains("Graag oppakken."),
        "full text kept"
    );
    assert!(parsed.item.text.contains("beschadigd"), "full text kept");
}

#[test]
fn internal_forward_with_attached_message_reads_the_original() {
    let parsed = parse_text(
        "From: Piet de Vries <piet.devries@velora.example.nl>
To: orders@velora.example.nl
Subject: WG: Bestellung
Content-Type: multipart/mixed; boundary=\"outer\"

--outer
Content-Type: text/plain; charset=utf-8

Zur Info.
--outer
Content-Type: message/rfc822

From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <einkauf@drogeriemueller.example.de>
To: piet.devries@velora.example.nl
Subject: Bestellung
Message-ID: <original-1@drogeriemueller.example.de>
Content-Type: multipart/mixed; boundary=\"inner\"

--inner
Content-Type: text/plain; charset=utf-8

Sehr geehrte Damen und Herren, anbei unsere Bestellung. Bitte liefern Sie die Ware bis Freitag.

Mit freundlichen Grüßen
Jürgen Müller
--inner
Content-Type: application/pdf; name=\"Bestellung 4711.pdf\"
Content-Transfer-Encoding: base64

JVBERi0xLjcKJcOkw7zDtsOfCg==
--inner--
--outer--
",
    );
    assert_eq!(
        parsed.item.sender.email.as_deref(),
        Some("einkauf@drogeriemueller.example.de")
    );
    assert_eq!(parsed.item.sender.name.as_deref(), Some("Jürgen Müller"));
    assert_eq!(
        parsed.details.forward.as_ref().unwrap().via,
        ForwardVia::AttachedMessage
    );
    assert_eq!(parsed.item.language, Some(Language::German));
    let names: Vec<&str> = parsed
        .item
        .attachments
        .iter()
        .map(|a| a.file_name.as_str())
        .collect();
    assert_eq!(names, ["Bestellung.eml", "Bestellung 4711.pdf"]);
    let pdf = &parsed.item.attachments[1];
    assert_eq!(pdf.declared_type.as_deref(), Some("application/pdf"));
    assert_eq!(pdf.sniffed_type.as_deref(), Some("application/pdf"));
    assert!(parsed.item.text.contains("anbei unsere Bestellung"));
}

#[test]
fn own_mailboxes_are_never_the_customer() {
    let parsed = parse_text(
        "From: Piet <piet.devries@velora.example.nl>
To: klantenservice@velora.example.nl
Subject: Fwd: Re: Offerte

---------- Forwarded message ---------
From: Velora Klantenservice <klantenservice@velora.example.nl>
Date: Mon, 10 Mar 2025 09:00:00 +0100
Subject: Re: Offerte

Hierbij onze offerte.

---------- Forwarded message ---------
From: Mila Jansen <mila@salonjansen.example.nl>
Date: Sun, 9 Mar 2025 09:00:00 +0100
Subject: Offerte

Graag een offerte voor 20 flessen shampoo.
",
    );
    assert_eq!(
        parsed.item.sender.email.as_deref(),
        Some("mila@salonjansen.example.nl")
    );

    let parsed = parse_text(
        "From: Velora <klantenservice@velora.example.nl>
To: orders@velora.example.nl
Subject: Test

Interne test.
",
    );
    assert_eq!(parsed.item.sender.email, None);
    assert!(
        parsed
            .item
            .warnings
            .iter()
            .any(|w| w.contains("own mailboxes"))
    );
}

#[test]
fn forwards_by_customers_keep_the_customer() {
    let parsed = parse_text(
        "From: Klant <inkoop@kapsalon.example.nl>
To: klantenservice@velora.example.nl
Subject: Fwd: Factuur

---------- Forwarded message ---------
From: Boekhouding <boekhouding@kapsalon.example.nl>
Subject: Factuur

Kunnen jullie deze factuur controleren?
",
    );
    assert_eq!(
        parsed.item.sender.email.as_deref(),
        Some("inkoop@kapsalon.example.nl")
    );
    assert!(parsed.details.forward.is_none());
}

#[test]
fn internal_system_mail_with_header_like_lines_is_not_a_forward() {
    let parsed = parse_text(
        "From: Fax Server <faxserver@velora.example.nl>
To: orders@velora.example.nl
Subject: Fax van +31405556337 (1 pagina)

You have received a new fax.

From: +31405556337
To: +31 23 555 0199
Pages: 1
",
    );
    assert!(parsed.details.forward.is_none());
    assert_eq!(
        parsed.item.sender.email.as_deref(),
        Some("faxserver@velora.example.nl")
    );
    assert!(
        parsed.item.warnings.is_empty(),
        "{:?}",
        parsed.item.warnings
    );
}

#[test]
fn corpus_forward_in_html_finds_the_customer() {
    let raw = fs::read(shared("corpus/dev/email/e0136.eml")).unwrap();
    let parsed = parse(&raw).unwrap();
    assert_eq!(
        parsed.item.sender.email.as_deref(),
        Some("edouard.guichard@latelierdefranck.example.com")
    );
    assert_eq!(parsed.item.language, Some(Language::French));
    assert_eq!(parsed.item.attachments.len(), 1);
    assert_eq!(
        parsed.item.attachments[0].sniffed_type.as_deref(),
        Some("image/jpeg")
    );
}

// --- attachments and HTML -------------------------------------------------------------------

#[test]
fn attachment_names_are_made_safe() {
    let parsed = parse_text(
        "From: a@example.com
Subject: bijlagen
Content-Type: multipart/mixed; boundary=\"p\"

--p
Content-Type: text/plain

zie bijlagen
--p
Content-Type: application/octet-stream
Content-Disposition: attachment; filename*=UTF-8''..%2F..%2Fetc%2Finvoice%E2%80%AEfdp.exe

MZ
--p
Content-Type: image/png
Content-Disposition: attachment
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==
--p--
",
    );
    let names: Vec<&str> = parsed
        .item
        .attachments
        .iter()
        .map(|a| a.file_name.as_str())
        .collect();
    assert_eq!(names, ["invoicefdp.exe", "attachment-2.png"]);
    assert_eq!(
        parsed.item.attachments[1].sniffed_type.as_deref(),
        Some("image/png")
    );
}

#[test]
fn html_is_sanitised_and_inline_images_are_mapped() {
    let parsed = parse_text(
        "From: a@example.com
Subject: html
Content-Type: multipart/related; boundary=\"r\"

--r
Content-Type: text/html; charset=utf-8

<html><body><p onmouseover=\"x()\">Hallo <script>alert(1)</script><a href=\"javascript:alert(2)\">klik</a></p>
<img src=\"https://tracker.example.com/open.gif\" onerror=\"alert(3)\"><img src=\"cid:logo@velora\"></body></html>
--r
Content-Type: image/gif
Content-ID: <logo@velora>
Content-Disposition: inline; filename=\"logo.gif\"
Content-Transfer-Encoding: base64

R0lGODlhAQABAAAAACw=
--r--
",
    );
    let html = parsed.item.html.as_deref().unwrap();
    for forbidden in [
        "<script",
        "alert",
        "onmouseover",
        "onerror",
        "javascript:",
        " src=\"https://",
    ] {
        assert!(!html.contains(forbidden), "{forbidden} in {html}");
    }
    assert!(html.contains("data-remote-src=\"https://tracker.example.com/open.gif\""));
    assert!(html.contains("src=\"cid:logo@velora\""));
    assert_eq!(parsed.details.inline_content.len(), 1);
    assert_eq!(parsed.details.inline_content[0].content_id, "logo@velora");
    let index = parsed.details.inline_content[0].attachment_index;
    assert_eq!(parsed.item.attachments[index].file_name, "logo.gif");
    assert!(
        parsed.item.text.starts_with("Hallo klik"),
        "{}",
        parsed.item.text
    );
}

// --- reference tokens -----------------------------------------------------------------------

#[test]
fn signed_subject_tokens_are_verified_and_forged_ones_rejected() {
    let token = reference_token::sign(WorkItemId::new(123), SECRET);
    let parsed = parse_text(&format!(
        "From: a@example.com\nSubject: Re: Uw bestelling {token}\n\nDank u.\n"
    ));
    let reference = parsed.details.reference.unwrap();
    assert_eq!(reference.item, WorkItemId::new(123));
    assert_eq!(reference.location, TokenLocation::Subject);

    let forged = reference_token::sign(WorkItemId::new(124), b"guessed-secret");
    let parsed = parse_text(&format!(
        "From: a@example.com\nSubject: Re: Uw bestelling {forged}\n\nDank u.\n"
    ));
    assert!(parsed.details.reference.is_none());
    assert_eq!(parsed.details.rejected_references.len(), 1);
    assert!(
        parsed
            .item
            .warnings
            .iter()
            .any(|w| w.contains("failed verification"))
    );
}

#[test]
fn message_id_tokens_in_reply_headers_are_found() {
    let id =
        reference_token::sign_message_id(WorkItemId::new(77), SECRET, "a1", "velora.example.nl");
    let parsed = parse_text(&format!(
        "From: a@example.com\nSubject: Re: vraag\nIn-Reply-To: {id}\nReferences: <x@y> {id}\n\nOk.\n"
    ));
    let reference = parsed.details.reference.unwrap();
    assert_eq!(reference.item, WorkItemId::new(77));
    assert_eq!(reference.location, TokenLocation::InReplyTo);
    assert_eq!(
        parsed.item.reply_to_ids,
        [id.trim_matches(['<', '>']).to_owned(), "x@y".to_owned()]
    );
}

// --- noise ----------------------------------------------------------------------------------

#[test]
fn bounces_yield_the_original_message_id() {
    let id = reference_token::sign_message_id(WorkItemId::new(9), SECRET, "z", "velora.example.nl");
    let parsed = parse_text(&format!(
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"

--b
Content-Type: text/plain

Your message could not be delivered.
--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; Jan@Klant.example.nl
Action: failed
Status: 5.1.1
--b
Content-Type: text/rfc822-headers

From: Velora <klantenservice@velora.example.nl>
To: jan@klant.example.nl
Subject: Orderbevestiging
Message-ID: {id}
--b--
"
    ));
    assert_eq!(parsed.item.noise, Some(NoiseKind::Bounce));
    assert_eq!(
        parsed.details.bounced_message_id.as_deref(),
        Some(id.trim_matches(['<', '>']))
    );
    assert_eq!(parsed.details.bounced_recipients, ["jan@klant.example.nl"]);
    let reference = parsed.details.reference.unwrap();
    assert_eq!(reference.item, WorkItemId::new(9));
    assert_eq!(reference.location, TokenLocation::BouncedMessage);
}

#[test]
fn corpus_bounce_yields_the_attached_original() {
    let raw = fs::read(shared("corpus/dev/email/e0105.eml")).unwrap();
    let parsed = parse(&raw).unwrap();
    assert_eq!(parsed.item.noise, Some(NoiseKind::Bounce));
    assert_eq!(
        parsed.details.bounced_message_id.as_deref(),
        Some("f429bea2efdd149e.081BFDB5@velora.example.nl")
    );
    assert_eq!(
        parsed.details.bounced_recipients,
        ["lgerard@parfumeriecallens.example.com"]
    );
    assert_eq!(parsed.item.language, Some(Language::German));
}

#[test]
fn plain_text_bounces_from_daemons_are_recognised() {
    let parsed = parse_text(
        "From: MAILER-DAEMON@mail.example.org
Subject: failure notice

Hi. This is the qmail-send program. I'm afraid I wasn't able to deliver your message.

--- Below this line is a copy of the message.

From: klantenservice@velora.example.nl
Message-ID: <abc.123@velora.example.nl>
Subject: Orderbevestiging
",
    );
    assert_eq!(parsed.item.noise, Some(NoiseKind::Bounce));
    assert_eq!(
        parsed.details.bounced_message_id.as_deref(),
        Some("abc.123@velora.example.nl")
    );
}

#[test]
fn auto_reply_rules() {
    let from = "From: a@klant.example.nl\nSubject: Re: Uw bestelling";
    assert_eq!(
        noise_of(
            &format!("{from}\nAuto-Submitted: auto-replied"),
            "Ik ben afwezig."
        ),
        Some(NoiseKind::AutoReply)
    );
    assert_eq!(
        noise_of(&format!("{from}\nAuto-Submitted: no"), "Graag leveren."),
        None
    );
    assert_eq!(
        noise_of(&format!("{from}\nX-Autoreply: yes"), "Ik ben afwezig."),
        Some(NoiseKind::AutoReply)
    );
    assert_eq!(
        noise_of(
            &format!("{from}\nPrecedence: auto_reply"),
            "Ik ben afwezig."
        ),
        Some(NoiseKind::AutoReply)
    );
    assert_eq!(
        noise_of(
            "From: a@klant.example.nl\nSubject: Out of Office: Uw bestelling",
            "Back on Monday."
        ),
        Some(NoiseKind::AutoReply)
    );
    assert_eq!(
        noise_of(
            "From: a@klant.example.nl\nSubject: Read: bestelling\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b",
            "--b\nContent-Type: text/plain\n\nRead.\n--b--"
        ),
        Some(NoiseKind::AutoReply)
    );
}

#[test]
fn newsletter_and_spam_rules() {
    let from = "From: news@leverancier.example.com\nSubject: Nieuws";
    assert_eq!(
        noise_of(
            &format!("{from}\nList-Unsubscribe: <mailto:u@x>"),
            "Nieuws."
        ),
        Some(NoiseKind::Newsletter)
    );
    assert_eq!(
        noise_of(
            &format!("{from}\nList-Id: <nieuws.leverancier.example.com>"),
            "Nieuws."
        ),
        Some(NoiseKind::Newsletter)
    );
    // A discussion list (e.g. a shared mailbox run as a group) is not a newsletter.
    assert_eq!(
        noise_of(
            &format!("{from}\nList-Id: <orders.klant>\nList-Post: <mailto:orders@klant>"),
            "Bestelling."
        ),
        None
    );
    // Precedence: bulk alone is not enough.
    assert_eq!(
        noise_of(&format!("{from}\nPrecedence: bulk"), "Order."),
        None
    );
    assert_eq!(
        noise_of(&format!("{from}\nX-Spam-Status: Yes, score=9.1"), "Win!"),
        Some(NoiseKind::Spam)
    );
    assert_eq!(
        noise_of(&format!("{from}\nX-Spam-Status: No, score=0.1"), "Hallo."),
        None
    );
    // The upstream verdict wins over list headers.
    assert_eq!(
        noise_of(
            &format!("{from}\nX-Spam-Flag: YES\nList-Unsubscribe: <mailto:u@x>"),
            "Win!"
        ),
        Some(NoiseKind::Spam)
    );
}

#[test]
fn work_items_carry_threading_and_addresses() {
    let parsed = parse_text(
        "From: =?iso-8859-1?q?Ren=E9_Dupont?= <Rene@Salon.example.fr>
Reply-To: commandes@salon.example.fr
To: serviceclient@velora.example.nl, \"Jan\" <jan@velora.example.nl>
Cc: compta@salon.example.fr
Subject: =?utf-8?q?R=C3=A9clamation?=
Date: Wed, 05 Mar 2025 09:15:00 +0100
Message-ID: <m1@salon.example.fr>
In-Reply-To: <v2@velora.example.nl>
References: <v1@velora.example.nl> <v2@velora.example.nl>

Bonjour, nous avons reçu la commande mais il manque deux cartons. Merci de vérifier.
",
    );
    let item = &parsed.item;
    assert_eq!(item.subject.as_deref(), Some("Réclamation"));
    assert_eq!(item.sender.email.as_deref(), Some("rene@salon.example.fr"));
    assert_eq!(item.sender.name.as_deref(), Some("René Dupont"));
    assert_eq!(item.message_id.as_deref(), Some("m1@salon.example.fr"));
    assert_eq!(
        item.reply_to_ids,
        ["v2@velora.example.nl", "v1@velora.example.nl"]
    );
    assert_eq!(item.received_at.to_rfc3339(), "2025-03-05T08:15:00+00:00");
    assert_eq!(item.language, Some(Language::French));
    assert_eq!(item.noise, None);
    assert_eq!(parsed.details.to.len(), 2);
    assert_eq!(
        parsed.details.reply_to[0].email.as_deref(),
        Some("commandes@salon.example.fr")
    );
    assert_eq!(
        parsed.details.cc[0].email.as_deref(),
        Some("compta@salon.example.fr")
    );
    assert_eq!(item.details["message_id"], "m1@salon.example.fr");
}
