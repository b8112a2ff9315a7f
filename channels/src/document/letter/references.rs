//! Reference lines of a letter ("Betreft:", "Uw kenmerk:", "Kundennummer:", "Our ref:") and the
//! closing that precedes the signature name.

use serde::{Deserialize, Serialize};

/// What a reference line refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// The letter's subject.
    Subject,
    /// The recipient's reference, quoted back by the sender ("Uw kenmerk").
    YourReference,
    /// The sender's own reference ("Ons kenmerk").
    OurReference,
    /// An order or purchase-order number.
    OrderNumber,
    /// A customer or debtor number.
    CustomerNumber,
    /// An invoice number.
    InvoiceNumber,
    /// A reference of unstated kind.
    Reference,
}

/// One labelled reference line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceLine {
    /// What it refers to.
    pub kind: ReferenceKind,
    /// The label as written.
    pub label: String,
    /// The value after the label.
    pub value: String,
}

/// Labels in the four languages, longest first within a kind so "order nr" wins over "order".
const LABELS: &[(&str, ReferenceKind)] = &[
    ("betreft", ReferenceKind::Subject),
    ("onderwerp", ReferenceKind::Subject),
    ("betreff", ReferenceKind::Subject),
    ("objet", ReferenceKind::Subject),
    ("subject", ReferenceKind::Subject),
    ("concerne", ReferenceKind::Subject),
    ("uw kenmerk", ReferenceKind::YourReference),
    ("uw referentie", ReferenceKind::YourReference),
    ("uw ref", ReferenceKind::YourReference),
    ("ihr zeichen", ReferenceKind::YourReference),
    ("ihre referenz", ReferenceKind::YourReference),
    ("votre référence", ReferenceKind::YourReference),
    ("votre reference", ReferenceKind::YourReference),
    ("v/réf", ReferenceKind::YourReference),
    ("v/ref", ReferenceKind::YourReference),
    ("your reference", ReferenceKind::YourReference),
    ("your ref", ReferenceKind::YourReference),
    ("ons kenmerk", ReferenceKind::OurReference),
    ("onze referentie", ReferenceKind::OurReference),
    ("onze ref", ReferenceKind::OurReference),
    ("unser zeichen", ReferenceKind::OurReference),
    ("unsere referenz", ReferenceKind::OurReference),
    ("notre référence", ReferenceKind::OurReference),
    ("notre reference", ReferenceKind::OurReference),
    ("n/réf", ReferenceKind::OurReference),
    ("n/ref", ReferenceKind::OurReference),
    ("our reference", ReferenceKind::OurReference),
    ("our ref", ReferenceKind::OurReference),
    ("ordernummer", ReferenceKind::OrderNumber),
    ("ordernr", ReferenceKind::OrderNumber),
    ("order nr", ReferenceKind::OrderNumber),
    ("order number", ReferenceKind::OrderNumber),
    ("order no", ReferenceKind::OrderNumber),
    ("bestelnummer", ReferenceKind::OrderNumber),
    ("inkoopordernummer", ReferenceKind::OrderNumber),
    ("bestellnummer", ReferenceKind::OrderNumber),
    ("auftragsnummer", ReferenceKind::OrderNumber),
    ("numéro de commande", ReferenceKind::OrderNumber),
    ("n° de commande", ReferenceKind::OrderNumber),
    ("commande", ReferenceKind::OrderNumber),
    ("po number", ReferenceKind::OrderNumber),
    ("klantnummer", ReferenceKind::CustomerNumber),
    ("klantnr", ReferenceKind::CustomerNumber),
    ("debiteurnummer", ReferenceKind::CustomerNumber),
    ("debiteurennummer", ReferenceKind::CustomerNumber),
    ("kundennummer", ReferenceKind::CustomerNumber),
    ("kunden-nr", ReferenceKind::CustomerNumber),
    ("kundennr", ReferenceKind::CustomerNumber),
    ("numéro client", ReferenceKind::CustomerNumber),
    ("numéro de client", ReferenceKind::CustomerNumber),
    ("n° client", ReferenceKind::CustomerNumber),
    ("customer number", ReferenceKind::CustomerNumber),
    ("customer no", ReferenceKind::CustomerNumber),
    ("account number", ReferenceKind::CustomerNumber),
    ("factuurnummer", ReferenceKind::InvoiceNumber),
    ("rechnungsnummer", ReferenceKind::InvoiceNumber),
    ("numéro de facture", ReferenceKind::InvoiceNumber),
    ("invoice number", ReferenceKind::InvoiceNumber),
    ("référence", ReferenceKind::Reference),
    ("reference", ReferenceKind::Reference),
    ("referentie", ReferenceKind::Reference),
    ("referenz", ReferenceKind::Reference),
    ("kenmerk", ReferenceKind::Reference),
    ("ref", ReferenceKind::Reference),
];

/// Closing phrases after which the signature name follows.
const CLOSINGS: &[&str] = &[
    "met vriendelijke groet",
    "met vriendelijke groeten",
    "vriendelijke groet",
    "hoogachtend",
    "groetjes",
    "groeten",
    "gr.",
    "mvg",
    "mit freundlichen grüßen",
    "mit freundlichen grüssen",
    "freundliche grüße",
    "viele grüße",
    "beste grüße",
    "cordialement",
    "bien cordialement",
    "salutations",
    "bien à vous",
    "veuillez agréer",
    "kind regards",
    "best regards",
    "regards",
    "sincerely",
    "yours sincerely",
    "yours faithfully",
];

/// Reads a reference line: a known label, a colon, and a value.
pub fn parse_reference_line(line: &str) -> Option<ReferenceLine> {
    let (label, value) = line.split_once(':')?;
    let label = label.trim();
    let value = value.trim();
    if value.is_empty() || label.chars().count() > 30 {
        return None;
    }
    let normalised = label.to_lowercase().trim_end_matches('.').to_owned();
    let kind = LABELS
        .iter()
        .find(|(known, _)| *known == normalised)
        .map(|&(_, kind)| kind)?;
    Some(ReferenceLine {
        kind,
        label: label.to_owned(),
        value: value.to_owned(),
    })
}

/// Tells whether a line is a closing phrase ("Met vriendelijke groet,", "Gr.,").
pub fn is_closing(line: &str) -> bool {
    let normalised = line.trim().trim_end_matches([',', '!']).to_lowercase();
    normalised.chars().count() <= 40
        && CLOSINGS
            .iter()
            .any(|closing| normalised == *closing || normalised.starts_with(&format!("{closing} ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelled_lines_in_four_languages() {
        let cases = [
            (
                "Betreft: Retour, order nr 4500016531",
                ReferenceKind::Subject,
            ),
            ("Uw kenmerk: CS-11786", ReferenceKind::YourReference),
            ("Ons kenmerk: V-2025-3", ReferenceKind::OurReference),
            ("Debiteurnummer: 0000185849", ReferenceKind::CustomerNumber),
            ("Kundennummer: 329248", ReferenceKind::CustomerNumber),
            ("Ordernummer: 4500015955", ReferenceKind::OrderNumber),
            ("Référence : AB-12", ReferenceKind::Reference),
            ("Our ref: 77", ReferenceKind::OurReference),
            ("Betreff: Produktanfrage", ReferenceKind::Subject),
        ];
        for (line, kind) in cases {
            assert_eq!(
                parse_reference_line(line).map(|found| found.kind),
                Some(kind),
                "{line}"
            );
        }
        let line = parse_reference_line("Uw kenmerk: BN 154").unwrap();
        assert_eq!(
            (line.label.as_str(), line.value.as_str()),
            ("Uw kenmerk", "BN 154")
        );
    }

    #[test]
    fn body_sentences_are_no_reference_lines() {
        assert!(parse_reference_line("Wij willen graag het volgende: iets").is_none());
        assert!(parse_reference_line("Betreft").is_none());
        assert!(parse_reference_line("Betreft:   ").is_none());
    }

    #[test]
    fn closings_are_recognised() {
        for line in [
            "Met vriendelijke groet,",
            "Gr.,",
            "Mit freundlichen Grüßen",
            "Cordialement,",
            "Kind regards,",
        ] {
            assert!(is_closing(line), "{line}");
        }
        assert!(!is_closing("Graag een retourlabel voor 3 stuks."));
    }
}
