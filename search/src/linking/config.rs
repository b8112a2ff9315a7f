//! Linking configuration: identifier patterns, free-mail domains, our own addresses and numbers,
//! and the confidence levels at which links are applied.

use serde::{Deserialize, Serialize};

/// What the linker needs to know besides master data. Loadable with serde; every field has a
/// default, so a config file names only what differs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkingConfig {
    /// Region for phone numbers written without a country code (ISO 3166 alpha-2).
    pub default_region: String,
    /// Further regions tried for national numbers in text; customers' countries are added.
    pub extra_regions: Vec<String>,
    /// Regex for a sales order number (matched against collapsed digit strings).
    pub order_number: String,
    /// Regex for a delivery number.
    pub delivery_number: String,
    /// Regex for an invoice number.
    pub invoice_number: String,
    /// Regex for a product number.
    pub sku: String,
    /// Number of digits of a customer number, padded with leading zeros.
    pub customer_number_digits: usize,
    /// Regex (case-insensitive) for the labels that introduce a customer number.
    pub customer_number_label: String,
    /// Regex (case-insensitive) for the labels that introduce the customer's own reference.
    pub reference_label: String,
    /// Domains of free-mail providers: an unknown address there identifies nobody.
    pub free_mail_domains: Vec<String>,
    /// Our own e-mail domains: never identify a customer.
    pub own_domains: Vec<String>,
    /// Our own phone and fax numbers (any format): never identify a customer.
    pub own_numbers: Vec<String>,
    /// Links at or above this confidence are applied; weaker ones are suggestions.
    pub apply_threshold: f64,
    /// Links below this confidence are dropped.
    pub suggest_threshold: f64,
}

impl Default for LinkingConfig {
    fn default() -> Self {
        Self {
            default_region: "NL".to_owned(),
            extra_regions: ["BE", "DE", "FR", "LU", "AT", "GB", "DK", "CH"]
                .map(str::to_owned)
                .to_vec(),
            order_number: r"^45\d{8}$".to_owned(),
            delivery_number: r"^80\d{8}$".to_owned(),
            invoice_number: r"^90\d{8}$".to_owned(),
            sku: r"^[1-9]\d{7}$".to_owned(),
            customer_number_digits: 10,
            customer_number_label: concat!(
                r"(?i)(?-u:\b)(?:klant(?:en)?\s*(?:nummer|nr\.?|no\.?)|debiteur(?:en)?\s*(?:nummer|nr\.?)|",
                r"kunden\s*-?\s*(?:nummer|nr\.?)|kd\.?\s*-?\s*nr\.?|customer\s*(?:number|no\.?|nr\.?|id|account)|",
                r"account\s*(?:number|no\.?)|(?:n°|no|num[ée]ro|r[ée]f\.?|r[ée]f[ée]rence)\s*(?:de\s+)?client)"
            )
            .to_owned(),
            reference_label: concat!(
                r"(?i)(?-u:\b)(?:referentie|ref\.?|reference|kenmerk|inkooporder|bestelnummer|po|",
                r"purchase\s+order|referenz|zeichen|bestellnummer|r[ée]f[ée]rence|bon\s+de\s+commande)(?-u:\b)"
            )
            .to_owned(),
            free_mail_domains: [
                "hotmail.example.com",
                "gmail.example.com",
                "outlook.example.com",
                "ziggo.example.nl",
                "kpnmail.example.nl",
                "telenet.example.be",
                "skynet.example.be",
                "gmx.example.de",
                "web.example.de",
                "orange.example.fr",
                "gmail.com",
                "hotmail.com",
                "outlook.com",
                "live.com",
                "yahoo.com",
                "icloud.com",
                "ziggo.nl",
                "kpnmail.nl",
                "telenet.be",
                "skynet.be",
                "gmx.de",
                "web.de",
                "orange.fr",
            ]
            .map(str::to_owned)
            .to_vec(),
            own_domains: Vec::new(),
            own_numbers: Vec::new(),
            apply_threshold: 0.8,
            suggest_threshold: 0.3,
        }
    }
}
