//! Turns the plain documents into tantivy documents of the schema.

use tantivy::TantivyDocument;

use super::analysis::{Slot, marked};
use super::docs::{CustomerDoc, ItemDoc, OrderDoc};
use super::normalise::{
    domain_term, email_terms, identifier_key, number_term, phone_term, postcode_term,
    text_identifiers,
};
use super::schema::{DocKind, Fields};

/// Most bytes of an item's text kept in the document store for snippets; the whole text is
/// indexed either way.
const STORED_TEXT_LIMIT: usize = 32 * 1024;

/// Returns the key term value of an item.
pub(crate) fn item_key(id: switchboard_core::WorkItemId) -> String {
    format!("item:{}", id.get())
}

/// Returns the key term value of a customer.
pub(crate) fn customer_key(customer_no: &switchboard_core::CustomerNo) -> String {
    format!("customer:{}", customer_no.as_str())
}

/// Returns the key term value of an order.
pub(crate) fn order_key(order_no: &switchboard_core::OrderNo) -> String {
    format!("order:{}", order_no.as_str())
}

/// Builds tantivy documents; holds the region national phone numbers are read in.
pub(crate) struct DocumentBuilder<'a> {
    pub fields: &'a Fields,
    pub default_region: &'a str,
}

impl DocumentBuilder<'_> {
    /// Builds an item's document.
    pub(crate) fn item(&self, item: &ItemDoc) -> TantivyDocument {
        let fields = self.fields;
        let slot = Slot::of(item.language);
        let mut document = TantivyDocument::default();
        document.add_text(fields.kind, DocKind::Item.as_str());
        document.add_text(fields.key, item_key(item.id));
        document.add_u64(fields.item_id, item.id.get().cast_unsigned());
        // The subject is indexed with the text, stemmed in the item's language, and once more
        // unstemmed to favour subject matches.
        if let Some(subject) = &item.subject {
            document.add_text(fields.text, marked(slot, subject));
            document.add_text(fields.subject, subject);
            document.add_text(fields.subject_stored, subject);
        }
        document.add_text(fields.text, marked(slot, &item.text));
        document.add_text(fields.text_stored, truncate(&item.text, STORED_TEXT_LIMIT));
        document.add_text(fields.slot, slot.suffix());
        let sender = [&item.sender.name, &item.sender.email, &item.sender.phone];
        for part in sender.into_iter().flatten() {
            document.add_text(fields.sender, part);
        }
        for name in &item.attachment_names {
            document.add_text(fields.attachments, name);
        }

        let mut terms = Vec::new();
        if let Some(subject) = &item.subject {
            text_identifiers(subject, self.default_region, &mut terms);
        }
        text_identifiers(&item.text, self.default_region, &mut terms);
        for name in &item.attachment_names {
            text_identifiers(name, self.default_region, &mut terms);
        }
        if let Some(email) = &item.sender.email {
            terms.extend(email_terms(email));
        }
        if let Some(phone) = &item.sender.phone {
            terms.extend(phone_term(phone, self.default_region));
        }
        if let Some(customer_no) = &item.customer_no {
            terms.extend(number_term(customer_no.as_str()));
            if let Some(key) = identifier_key(customer_no.as_str()) {
                document.add_text(fields.customer, key);
            }
        }
        for order_no in &item.order_nos {
            terms.extend(number_term(order_no.as_str()));
        }
        add_terms(&mut document, fields.identifiers_of(DocKind::Item), terms);

        document.add_text(fields.channel, item.channel.as_str());
        document.add_text(fields.status, item.status.as_str());
        if let Some(queue) = item.queue_id {
            document.add_u64(fields.queue, queue.get().cast_unsigned());
        }
        document.add_i64(fields.date, item.received_at.timestamp());
        document
    }

    /// Builds a customer's document.
    pub(crate) fn customer(&self, customer: &CustomerDoc) -> TantivyDocument {
        let fields = self.fields;
        let region = customer
            .country
            .as_deref()
            .map(str::trim)
            .filter(|country| country.len() == 2)
            .unwrap_or(self.default_region);
        let mut document = TantivyDocument::default();
        document.add_text(fields.kind, DocKind::Customer.as_str());
        document.add_text(fields.key, customer_key(&customer.customer_no));
        document.add_text(fields.customer_name, &customer.name);
        let details = std::iter::once(customer.customer_no.as_str())
            .chain(customer.address_lines.iter().map(String::as_str))
            .chain(customer.contacts.iter().map(String::as_str))
            .chain(customer.emails.iter().map(String::as_str))
            .chain(customer.websites.iter().map(String::as_str))
            .chain(customer.phones.iter().map(String::as_str));
        for detail in details {
            document.add_text(fields.customer_details, detail);
        }

        let mut terms: Vec<String> = number_term(customer.customer_no.as_str())
            .into_iter()
            .collect();
        terms.extend(customer.phones.iter().filter_map(|raw| {
            phone_term(raw, region).or_else(|| phone_term(raw, self.default_region))
        }));
        terms.extend(
            customer
                .postcodes
                .iter()
                .filter_map(|raw| postcode_term(raw)),
        );
        terms.extend(customer.emails.iter().flat_map(|raw| email_terms(raw)));
        terms.extend(customer.websites.iter().filter_map(|raw| domain_term(raw)));
        add_terms(
            &mut document,
            fields.identifiers_of(DocKind::Customer),
            terms,
        );
        if let Some(key) = identifier_key(customer.customer_no.as_str()) {
            document.add_text(fields.customer, key);
        }
        document
    }

    /// Builds an order's document.
    pub(crate) fn order(&self, order: &OrderDoc) -> TantivyDocument {
        let fields = self.fields;
        let mut document = TantivyDocument::default();
        document.add_text(fields.kind, DocKind::Order.as_str());
        document.add_text(fields.key, order_key(&order.order_no));
        let numbers: Vec<&str> = std::iter::once(order.order_no.as_str())
            .chain(order.customer_po.as_deref())
            .chain(order.skus.iter().map(|sku| sku.as_str()))
            .chain(order.delivery_nos.iter().map(|no| no.as_str()))
            .chain(order.tracking_numbers.iter().map(String::as_str))
            .collect();
        let words = std::iter::once(order.status.as_str())
            .chain(order.line_descriptions.iter().map(String::as_str))
            .chain(order.carriers.iter().map(String::as_str));
        for detail in numbers.iter().copied().chain(words) {
            document.add_text(fields.order_details, detail);
        }

        let mut terms: Vec<String> = numbers.iter().filter_map(|raw| number_term(raw)).collect();
        terms.extend(number_term(order.customer_no.as_str()));
        add_terms(&mut document, fields.identifiers_of(DocKind::Order), terms);
        if let Some(key) = identifier_key(order.customer_no.as_str()) {
            document.add_text(fields.customer, key);
        }
        if let Some(date) = order.order_date.and_then(|date| date.and_hms_opt(0, 0, 0)) {
            document.add_i64(fields.date, date.and_utc().timestamp());
        }
        document
    }
}

fn add_terms(
    document: &mut TantivyDocument,
    field: tantivy::schema::Field,
    mut terms: Vec<String>,
) {
    terms.sort_unstable();
    terms.dedup();
    for term in terms {
        document.add_text(field, term);
    }
}

/// Cuts a text to at most `limit` bytes at a character boundary.
pub(crate) fn truncate(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
