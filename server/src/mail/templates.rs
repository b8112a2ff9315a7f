//! The built-in reply templates: a plain answer and an order-status answer in every language
//! Switchboard recognises. `[[mail.reply_templates]]` replaces them.

use switchboard_core::item::Language;
use switchboard_core::outbox::ReplyTemplate;

fn template(name: &str, language: Language, text: &str) -> ReplyTemplate {
    ReplyTemplate {
        name: name.to_owned(),
        language,
        text: text.to_owned(),
    }
}

/// The templates offered when the configuration names none.
pub fn default_reply_templates() -> Vec<ReplyTemplate> {
    vec![
        template(
            "Antwoord",
            Language::Dutch,
            "Beste klant,\n\n\n\nMet vriendelijke groet,\nKlantenservice\n\nOnze referentie: {reference}",
        ),
        template(
            "Orderstatus",
            Language::Dutch,
            "Beste klant,\n\nBedankt voor uw vraag over uw bestelling. \n\nMet vriendelijke groet,\nKlantenservice\n\nOnze referentie: {reference}",
        ),
        template(
            "Answer",
            Language::English,
            "Dear customer,\n\n\n\nKind regards,\nCustomer service\n\nOur reference: {reference}",
        ),
        template(
            "Order status",
            Language::English,
            "Dear customer,\n\nThank you for your question about your order. \n\nKind regards,\nCustomer service\n\nOur reference: {reference}",
        ),
        template(
            "Antwort",
            Language::German,
            "Sehr geehrte Kundin, sehr geehrter Kunde,\n\n\n\nMit freundlichen Grüßen\nKundenservice\n\nUnsere Referenz: {reference}",
        ),
        template(
            "Réponse",
            Language::French,
            "Madame, Monsieur,\n\n\n\nCordialement,\nService client\n\nNotre référence : {reference}",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_has_a_template_that_names_the_reference() {
        let templates = default_reply_templates();
        for language in Language::ALL {
            assert!(
                templates
                    .iter()
                    .any(|template| template.language == *language
                        && template.text.contains("{reference}")),
                "no template in {language}"
            );
        }
    }
}
