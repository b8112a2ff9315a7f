use super::*;

const DUTCH: &str = "Hair by Joost\nRosaliesteeg 618  |  2988UL Azewijn\nTel. 015 555 71 31   Fax (0486) 555 640   info@hairbyjoost.example.nl\n\
Velora Cosmetics B.V.\nAfdeling Klantenservice\nPostbus 5550\n2031 ZZ Haarlem\n\nAzewijn, 28 februari 2025\n\
Betreft: Wijziging order, order nr 4500020824\nUw kenmerk: CS-11786\nDebiteurnummer: 0000186931\n\nBeste klantenservice,\n\
Kunnen jullie bij order 4500020824 het aantal Daily Moisturizer SPF15 wijzigen naar 3?\n\nMet vriendelijke groet,\n\n\
Elise Elsemulder\nHair by Joost\nHair by Joost 2988UL Azewijn  -  KvK 67288591  -  NL437969344B01\n";

const GERMAN: &str = "Drogerie Röhricht\nIrmtrud-Textor-Allee 9-3  |  79203 Schrobenhausen\nTel. 00497115553431   Fax +49 40 555 1899\n\
Velora Cosmetics B.V.\nKundenservice\nPostfach 5550\n2031 ZZ Haarlem\nNiederlande\nSchrobenhausen, 28. Februar 2025\n\
Betreff: Produktanfrage\nKundennummer: 329248\nLiebes Kundenservice-Team,\nIst art. 25260043 auch für empfindliche Haut geeignet? \
Wir möchten das gerne wissen, bevor wir bestellen.\nMit freundlichen Grüßen\nNatascha Gude\nDrogerie Röhricht\n";

#[test]
fn dutch_letter_fields() {
    let fields = parse_letter(DUTCH, "NL");
    assert_eq!(fields.sender_name.as_deref(), Some("Hair by Joost"));
    assert_eq!(
        fields.sender_address.street.as_deref(),
        Some("Rosaliesteeg 618")
    );
    assert_eq!(fields.sender_address.postcode.as_deref(), Some("2988 UL"));
    assert_eq!(fields.sender_address.city.as_deref(), Some("Azewijn"));
    assert_eq!(fields.sender_address.country.as_deref(), Some("NL"));
    assert_eq!(fields.phone.as_deref(), Some("+31155557131"));
    assert_eq!(fields.fax.as_deref(), Some("+31486555640"));
    assert_eq!(fields.email.as_deref(), Some("info@hairbyjoost.example.nl"));
    assert_eq!(fields.place.as_deref(), Some("Azewijn"));
    assert_eq!(
        fields.date.map(|date| date.to_string()).as_deref(),
        Some("2025-02-28")
    );
    assert_eq!(
        fields.subject.as_deref(),
        Some("Wijziging order, order nr 4500020824")
    );
    let kinds: Vec<ReferenceKind> = fields
        .references
        .iter()
        .map(|reference| reference.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            ReferenceKind::Subject,
            ReferenceKind::YourReference,
            ReferenceKind::CustomerNumber
        ]
    );
    assert_eq!(fields.signature_name.as_deref(), Some("Elise Elsemulder"));
    assert_eq!(fields.chamber_of_commerce.as_deref(), Some("67288591"));
    assert_eq!(fields.vat_number.as_deref(), Some("NL437969344B01"));
    assert_eq!(fields.language, Some(Language::Dutch));
}

#[test]
fn german_letter_fields_ignore_the_recipient_country() {
    let fields = parse_letter(GERMAN, "NL");
    assert_eq!(fields.sender_name.as_deref(), Some("Drogerie Röhricht"));
    assert_eq!(
        fields.sender_address.street.as_deref(),
        Some("Irmtrud-Textor-Allee 9-3")
    );
    assert_eq!(fields.sender_address.postcode.as_deref(), Some("79203"));
    assert_eq!(fields.sender_address.country.as_deref(), Some("DE"));
    assert_eq!(fields.phone.as_deref(), Some("+497115553431"));
    assert_eq!(
        fields.date.map(|date| date.to_string()).as_deref(),
        Some("2025-02-28")
    );
    assert_eq!(fields.subject.as_deref(), Some("Produktanfrage"));
    assert_eq!(fields.signature_name.as_deref(), Some("Natascha Gude"));
    assert_eq!(fields.language, Some(Language::German));
}

#[test]
fn empty_text_gives_empty_fields() {
    assert_eq!(parse_letter("", "NL"), LetterFields::default());
}

#[test]
fn fields_serialise_to_json() {
    let json = serde_json::to_value(parse_letter(DUTCH, "NL")).unwrap();
    assert_eq!(json["sender_address"]["postcode"], "2988 UL");
    assert_eq!(json["references"][1]["kind"], "your_reference");
}

#[test]
fn patterns_compile() {
    for regex in [&PHONE, &FAX, &EMAIL, &CHAMBER, &VAT] {
        assert!(regex.is_some());
    }
}
