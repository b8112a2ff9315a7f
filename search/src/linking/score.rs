//! Turns extracted identifiers and the sender identity into evidence per customer, order and
//! delivery. Identity evidence (who is writing) is kept apart from document evidence (which
//! order the item is about) so that one can confirm or contradict the other.

use std::collections::HashSet;

use regex::Regex;

use super::LinkInput;
use super::evidence::Tally;
use super::extract::{Extracted, Found, Place, Segments};
use super::names::{NameMatcher, name_words};
use super::phone::normalise_phone;
use super::snapshot::{MasterSnapshot, domain_of};

/// Strength of the sender's address being a known address of the customer.
const SENDER_ADDRESS: f64 = 0.95;
/// Strength of a new address at a customer's own domain.
const SENDER_DOMAIN: f64 = 0.85;
/// Strength of a caller id or fax CSID being a known number of the customer.
const SENDER_NUMBER: f64 = 0.92;
/// Strength of a labelled customer number.
const LABELLED_CUSTOMER_NUMBER: f64 = 0.97;
/// Strength of an unlabelled 10-digit number with leading zeros that is a customer number.
const PADDED_CUSTOMER_NUMBER: f64 = 0.85;
/// Strength of an existing order number for the order.
const ORDER_NUMBER: f64 = 0.97;
/// Strength of an order number for the order's customer.
const ORDER_FOR_CUSTOMER: f64 = 0.9;
/// Strength of an invoice, delivery or tracking number for its order.
const DOCUMENT_FOR_ORDER: f64 = 0.95;
/// Strength of a distinctive customer reference (PO) for its order.
const REFERENCE_FOR_ORDER: f64 = 0.9;
/// Strength of a short or shared customer reference, which needs the customer's agreement.
const WEAK_REFERENCE: f64 = 0.45;
/// Strength of a known e-mail address in the text (signature, forwarded header).
const TEXT_ADDRESS: f64 = 0.85;
/// Strength of a customer's web or mail domain in the text.
const TEXT_DOMAIN: f64 = 0.75;
/// Strength of a customer's phone or fax number in the text.
const TEXT_NUMBER: f64 = 0.8;
/// Strength of a customer's postcode with house number in the text.
const ADDRESS: f64 = 0.75;
/// Scale of a name match's score.
const NAME: f64 = 0.9;
/// Factor for evidence in quoted text.
const QUOTED: f64 = 0.6;

/// Patterns compiled from the configuration.
#[derive(Debug, Clone)]
pub struct Patterns {
    pub order: Regex,
    pub delivery: Regex,
    pub invoice: Regex,
    pub sku: Regex,
    pub customer_label: Regex,
    pub reference_label: Regex,
}

/// The evidence collected for one item.
#[derive(Debug, Default)]
pub struct Collected {
    /// Who is writing: sender address and number, customer numbers, names, addresses.
    pub identity: Tally<usize>,
    /// Which customer the documents named in the item belong to.
    pub documents: Tally<usize>,
    /// Orders named directly or through invoices, deliveries, tracking numbers and references.
    pub orders: Tally<String>,
    /// Orders whose number is written in the item (typo candidates when they conflict).
    pub written_orders: HashSet<String>,
    /// Orders only named through a weak reference: linked only when the customer agrees.
    pub weak_orders: HashSet<String>,
    /// Deliveries named by number or tracking number.
    pub deliveries: Tally<String>,
    /// 10-digit numbers of order shape that are no known document: typo candidates.
    pub unknown_order_numbers: Vec<Found>,
}

/// Collects evidence from one item.
pub struct Collector<'a> {
    pub snapshot: &'a MasterSnapshot,
    pub patterns: &'a Patterns,
    pub names: &'a dyn NameMatcher,
    pub own_numbers: &'a HashSet<String>,
    pub own_domains: &'a [String],
    pub free_mail_domains: &'a [String],
}

fn weight(place: Place) -> f64 {
    if place == Place::Quoted { QUOTED } else { 1.0 }
}

impl Collector<'_> {
    fn name(&self, customer: usize) -> &str {
        self.snapshot
            .customer(customer)
            .map_or("an unknown customer", |c| c.name.as_str())
    }

    fn is_own_domain(&self, domain: &str) -> bool {
        self.own_domains
            .iter()
            .any(|own| domain == own || domain.ends_with(&format!(".{own}")))
    }

    fn is_free_mail(&self, domain: &str) -> bool {
        self.free_mail_domains.iter().any(|free| free == domain)
    }

    /// Collects all evidence of an item.
    pub fn collect(
        &self,
        input: &LinkInput<'_>,
        segments: &Segments,
        extracted: &Extracted,
    ) -> Collected {
        let mut collected = Collected::default();
        self.sender(input, &mut collected);
        self.customer_numbers(extracted, &mut collected);
        self.documents(extracted, &mut collected);
        self.references(extracted, &mut collected);
        self.contact_details(extracted, &mut collected);
        self.names(input, segments, &mut collected);
        collected
    }

    fn sender(&self, input: &LinkInput<'_>, collected: &mut Collected) {
        if let Some(address) = input.sender_email.map(|a| a.trim().to_ascii_lowercase()) {
            let domain = domain_of(&address).unwrap_or_default();
            let owners = self.snapshot.email_owners(&address);
            if self.is_own_domain(&domain) {
                // our own colleagues forward and reply; they identify nobody
            } else if !owners.is_empty() {
                let share = SENDER_ADDRESS / owners.len() as f64;
                for owner in owners {
                    let words = format!(
                        "sender's address {address} is the {} of {}",
                        owner.role,
                        self.name(owner.customer)
                    );
                    collected
                        .identity
                        .add(owner.customer, share, "sender-address", words);
                }
            } else if !self.is_free_mail(&domain) {
                let owners = self.snapshot.domain_owners(&domain);
                for &owner in owners {
                    let words = format!(
                        "sender's address {address} is at {}'s domain {domain}",
                        self.name(owner)
                    );
                    collected.identity.add(
                        owner,
                        SENDER_DOMAIN / owners.len() as f64,
                        "sender-domain",
                        words,
                    );
                }
            }
        }
        if let Some(number) = input.sender_phone {
            for e164 in self.e164_forms(number) {
                let owners = self.snapshot.phone_owners(&e164);
                for owner in owners {
                    let words = format!(
                        "sender's number {e164} is the {} of {}",
                        owner.role,
                        self.name(owner.customer)
                    );
                    collected.identity.add(
                        owner.customer,
                        SENDER_NUMBER / owners.len() as f64,
                        "sender-number",
                        words,
                    );
                }
                if !owners.is_empty() {
                    break;
                }
            }
        }
    }

    /// Returns the E.164 forms a written number may have: one for international numbers, one
    /// per region for national numbers. Our own numbers give none.
    fn e164_forms(&self, written: &str) -> Vec<String> {
        let international =
            written.trim_start().starts_with('+') || written.trim_start().starts_with("00");
        let regions: &[String] = if international {
            &self.snapshot.regions()[..1.min(self.snapshot.regions().len())]
        } else {
            self.snapshot.regions()
        };
        let mut forms = Vec::new();
        for region in regions {
            if let Some(e164) = normalise_phone(written, region)
                && !forms.contains(&e164)
            {
                forms.push(e164);
            }
        }
        if forms.iter().any(|form| self.own_numbers.contains(form)) {
            return Vec::new();
        }
        forms
    }

    fn customer_numbers(&self, extracted: &Extracted, collected: &mut Collected) {
        for found in &extracted.customer_numbers {
            if let Some(customer) = self.snapshot.customer_by_number(&found.value) {
                let words = format!("customer number {} {}", found.written, found.place.words());
                let strength = LABELLED_CUSTOMER_NUMBER * weight(found.place);
                collected.identity.add(
                    customer,
                    strength,
                    format!("customer:{}", found.value),
                    words,
                );
            }
        }
        for found in &extracted.numbers {
            let padded = found.value.len() == 10 && found.value.starts_with("00");
            if let Some(customer) = padded
                .then(|| self.snapshot.customer_by_number(&found.value))
                .flatten()
            {
                let words = format!("customer number {} {}", found.value, found.place.words());
                let strength = PADDED_CUSTOMER_NUMBER * weight(found.place);
                collected.identity.add(
                    customer,
                    strength,
                    format!("customer:{}", found.value),
                    words,
                );
            }
        }
    }

    fn order_found(&self, collected: &mut Collected, order_no: &str, strength: f64, words: String) {
        let customer_strength = strength / ORDER_NUMBER * ORDER_FOR_CUSTOMER;
        if let Some(customer) = self.snapshot.order_customer(order_no) {
            let customer_words = format!("{words}, an order of {}", self.name(customer));
            collected.documents.add(
                customer,
                customer_strength,
                format!("order:{order_no}"),
                customer_words,
            );
        }
        collected
            .orders
            .add(order_no.to_owned(), strength, "document", words);
    }

    fn documents(&self, extracted: &Extracted, collected: &mut Collected) {
        for found in &extracted.numbers {
            let number = found.value.as_str();
            let place = found.place.words();
            let scale = weight(found.place);
            if self.snapshot.order(number).is_some() {
                let words = format!("order {number} {place}");
                self.order_found(collected, number, ORDER_NUMBER * scale, words);
                collected.written_orders.insert(number.to_owned());
            } else if let Some(order) = self.snapshot.order_by_invoice(number) {
                let words = format!("invoice {number} {place} is for order {order}");
                self.order_found(collected, order, DOCUMENT_FOR_ORDER * scale, words);
            } else if let Some(order) = self.snapshot.order_by_delivery(number) {
                let words = format!("delivery {number} {place} is for order {order}");
                self.order_found(collected, order, DOCUMENT_FOR_ORDER * scale, words);
                let delivery_words = format!("delivery {number} {place}");
                collected.deliveries.add(
                    number.to_owned(),
                    ORDER_NUMBER * scale,
                    "delivery",
                    delivery_words,
                );
            } else if self.looks_like_order_number(number) {
                collected.unknown_order_numbers.push(found.clone());
            }
        }
    }

    /// Tells whether an unknown number may be a mistyped order number: order-shaped, or as
    /// long as one and starting like one, and no other document's shape.
    fn looks_like_order_number(&self, number: &str) -> bool {
        let shaped =
            self.patterns.order.is_match(number) || (number.len() == 10 && number.starts_with('4'));
        shaped
            && !self.patterns.invoice.is_match(number)
            && !self.patterns.delivery.is_match(number)
    }

    fn references(&self, extracted: &Extracted, collected: &mut Collected) {
        for found in &extracted.references {
            let key = found.value.as_str();
            let place = found.place.words();
            let scale = weight(found.place);
            if let Some((delivery, order)) = self.snapshot.delivery_by_tracking(key) {
                let words = format!(
                    "tracking number {} {place} is for order {order}",
                    found.written
                );
                self.order_found(collected, order, DOCUMENT_FOR_ORDER * scale, words);
                let delivery_words = format!("tracking number {} {place}", found.written);
                collected.deliveries.add(
                    delivery.to_owned(),
                    DOCUMENT_FOR_ORDER * scale,
                    "tracking",
                    delivery_words,
                );
                continue;
            }
            let orders = self.snapshot.orders_by_po(key);
            if orders.is_empty() {
                continue;
            }
            let has_letter = key.chars().any(|c| c.is_ascii_alphabetic());
            let distinctive = orders.len() == 1 && key.len() >= 5 && (has_letter || found.labelled);
            for order in orders {
                let words = format!(
                    "reference {} {place} is the customer's PO of order {order}",
                    found.written
                );
                if distinctive {
                    self.order_found(collected, order, REFERENCE_FOR_ORDER * scale, words);
                } else if found.labelled || has_letter {
                    collected
                        .orders
                        .add(order.clone(), WEAK_REFERENCE * scale, "reference", words);
                    collected.weak_orders.insert(order.clone());
                }
            }
        }
    }

    fn contact_details(&self, extracted: &Extracted, collected: &mut Collected) {
        for found in &extracted.emails {
            let domain = domain_of(&found.value).unwrap_or_default();
            if self.is_own_domain(&domain) {
                continue;
            }
            let scale = weight(found.place);
            let owners = self.snapshot.email_owners(&found.value);
            for owner in owners {
                let words = format!(
                    "address {} {} is the {} of {}",
                    found.value,
                    found.place.words(),
                    owner.role,
                    self.name(owner.customer)
                );
                collected.identity.add(
                    owner.customer,
                    TEXT_ADDRESS * scale / owners.len() as f64,
                    format!("email:{}", found.value),
                    words,
                );
            }
            if owners.is_empty() && !self.is_free_mail(&domain) {
                self.domain_evidence(&domain, &found.value, found.place, collected);
            }
        }
        for found in &extracted.domains {
            if !self.is_own_domain(&found.value) && !self.is_free_mail(&found.value) {
                self.domain_evidence(&found.value, &found.written, found.place, collected);
            }
        }
        for found in &extracted.phones {
            for e164 in self.e164_forms(&found.value) {
                let owners = self.snapshot.phone_owners(&e164);
                for owner in owners {
                    let words = format!(
                        "number {} {} is the {} of {}",
                        found.written,
                        found.place.words(),
                        owner.role,
                        self.name(owner.customer)
                    );
                    let strength = TEXT_NUMBER * weight(found.place) / owners.len() as f64;
                    collected.identity.add(
                        owner.customer,
                        strength,
                        format!("phone:{e164}"),
                        words,
                    );
                }
                if !owners.is_empty() {
                    break;
                }
            }
        }
        for found in &extracted.addresses {
            let Some((postcode, house)) = found.value.split_once('|') else {
                continue;
            };
            let owners = self.snapshot.customers_at(postcode, house);
            for &owner in owners {
                let words = format!(
                    "address {} {} is {}'s",
                    found.written,
                    found.place.words(),
                    self.name(owner)
                );
                let strength = ADDRESS * weight(found.place) / owners.len() as f64;
                collected
                    .identity
                    .add(owner, strength, format!("address:{}", found.value), words);
            }
        }
    }

    fn domain_evidence(
        &self,
        domain: &str,
        written: &str,
        place: Place,
        collected: &mut Collected,
    ) {
        let owners = self.snapshot.domain_owners(domain);
        for &owner in owners {
            let words = format!(
                "{written} {} is at {}'s domain",
                place.words(),
                self.name(owner)
            );
            let strength = TEXT_DOMAIN * weight(place) / owners.len() as f64;
            collected
                .identity
                .add(owner, strength, format!("domain:{domain}"), words);
        }
    }

    fn names(&self, input: &LinkInput<'_>, segments: &Segments, collected: &mut Collected) {
        let sender = input.sender_name.map(|name| (Place::Sender, name));
        let parts = segments
            .parts
            .iter()
            .map(|(place, text)| (*place, text.as_str()));
        for (place, text) in sender.into_iter().chain(parts) {
            let matches = self.names.find_in_text(text);
            for found in &matches {
                let rivals = matches
                    .iter()
                    .filter(|other| other.score >= found.score)
                    .count();
                let Some(customer) = self.snapshot.customer_by_number(found.customer_no.as_str())
                else {
                    continue;
                };
                let words = match (place, found.contact) {
                    (Place::Sender, false) => format!("sender's name is {}", found.name),
                    (_, false) => format!("company name {} {}", found.name, place.words()),
                    (_, true) => format!(
                        "{} {}, a contact of {}",
                        found.name,
                        place.words(),
                        self.name(customer)
                    ),
                };
                let strength = found.score * NAME * weight(place) / rivals.max(1) as f64;
                let source = format!("name:{}", name_words(&found.name).join(" "));
                collected.identity.add(customer, strength, source, words);
            }
        }
    }
}
