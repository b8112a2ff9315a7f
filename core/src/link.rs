//! Links tie an item to the customer, orders and deliveries it is about, with evidence.

use serde::{Deserialize, Serialize};

use crate::ids::{LinkId, WorkItemId};
use crate::item::wire_enum;

wire_enum!(
    /// What a link points at.
    LinkKind {
        Customer = "customer",
        Order = "order",
        Delivery = "delivery",
    }
);

wire_enum!(
    /// Who made a link.
    LinkOrigin {
        /// The linker.
        Auto = "auto",
        /// An agent or lead.
        Agent = "agent",
    }
);

/// A link with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    /// The id.
    pub id: LinkId,
    /// The linked item.
    pub item_id: WorkItemId,
    /// What it points at.
    pub kind: LinkKind,
    /// The business key (customer, order or delivery number).
    pub key: String,
    /// How sure the linker is, 0..1.
    pub confidence: f64,
    /// Who made it.
    pub origin: LinkOrigin,
    /// Applied links count; others are suggestions.
    pub applied: bool,
    /// Why, in words an agent understands.
    pub evidence: String,
}

/// A link before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewLink {
    /// What it points at.
    pub kind: LinkKind,
    /// The business key.
    pub key: String,
    /// How sure the linker is, 0..1.
    pub confidence: f64,
    /// Who made it.
    pub origin: LinkOrigin,
    /// Applied or only suggested.
    pub applied: bool,
    /// Why.
    pub evidence: String,
}

impl From<&Link> for NewLink {
    fn from(link: &Link) -> Self {
        Self {
            kind: link.kind,
            key: link.key.clone(),
            confidence: link.confidence,
            origin: link.origin,
            applied: link.applied,
            evidence: link.evidence.clone(),
        }
    }
}

/// A change an agent or lead makes to an item's links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LinkEdit {
    /// Applies a link the linker only suggested; it becomes the agent's.
    Confirm(LinkId),
    /// Removes a link.
    Remove(LinkId),
    /// Links the customer or order with this key (leading zeros do not matter), applied.
    Add {
        /// A customer or an order.
        kind: LinkKind,
        /// The customer or order number.
        key: String,
    },
}

/// What a link edit did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinksEdited {
    /// The item's links now.
    pub links: Vec<Link>,
    /// The item's sender address or number when the edit linked a customer it does not belong
    /// to any customer yet: it may be remembered as that customer's contact.
    pub unknown_sender: Option<String>,
    /// Whether the sender was remembered as the customer's contact.
    pub remembered_contact: bool,
}

/// Returns the sender's address or number when it is not among a customer's own addresses and
/// numbers or its contacts' (numbers compare by their last nine digits, so `+31 23 555 1234`
/// and `023-5551234` are the same): the one an agent may remember as the customer's contact.
pub fn unknown_sender(
    sender: &crate::item::SenderIdentity,
    customer: &crate::master::Customer,
) -> Option<String> {
    if let Some(email) = &sender.email {
        let known = [&customer.email_general, &customer.email_invoice]
            .into_iter()
            .flatten()
            .chain(customer.contacts.iter().filter_map(|c| c.email.as_ref()))
            .any(|known| known.trim().eq_ignore_ascii_case(email.trim()));
        return (!known).then(|| email.clone());
    }
    let phone = sender.phone.as_ref()?;
    let tail = number_tail(phone)?;
    let known = [&customer.phone, &customer.fax]
        .into_iter()
        .flatten()
        .chain(customer.contacts.iter().filter_map(|c| c.mobile.as_ref()))
        .any(|known| number_tail(known).as_deref() == Some(tail.as_str()));
    (!known).then(|| phone.clone())
}

/// The last nine digits of a phone number, which tell numbers apart whatever prefix they are
/// written with; `None` for fewer than six digits.
fn number_tail(raw: &str) -> Option<String> {
    let digits: Vec<char> = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return None;
    }
    Some(digits[digits.len().saturating_sub(9)..].iter().collect())
}

/// The port the store implements for link edits by agents and leads.
#[async_trait::async_trait]
pub trait LinkEditStore: Send + Sync {
    /// Applies an edit to an item's links for `by` (refused when the item is not theirs): the
    /// link is stored with origin `agent` and confidence 1, an applied customer link replaces
    /// the one applied before, the item's version is bumped, an audit event recorded, the
    /// change fed to the search index and the item placed in its case again
    /// ([`crate::case::decide`]), in one transaction. With `remember_contact`, an added or
    /// confirmed customer link also stores the item's unknown sender address or number as a
    /// contact of that customer, so the linker finds it next time.
    async fn edit_link(
        &self,
        item: WorkItemId,
        edit: &LinkEdit,
        remember_contact: bool,
        by: &crate::work::Worker,
        at: chrono::DateTime<chrono::Utc>,
    ) -> crate::error::CoreResult<LinksEdited>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::SenderIdentity;
    use crate::master::{Contact, Customer};

    fn customer() -> Customer {
        let mut customer: Customer = serde_json::from_value(serde_json::json!({
            "customer_no": "0000104321",
            "name": "Salon Vera",
            "customer_type": null, "segment": null, "language": null, "country": null,
            "street": null, "house_number": null, "postcode": null, "city": null,
            "phone": "023-5551234", "fax": null, "email_general": "Info@vera.nl",
            "email_invoice": null, "website": null, "account_manager": null,
            "product_lines": [], "contacts": []
        }))
        .unwrap();
        customer.contacts.push(Contact {
            contact_id: "c1".into(),
            first_name: None,
            last_name: None,
            role: None,
            email: Some("anna@vera.nl".into()),
            mobile: Some("06 1234 5678".into()),
            language: None,
        });
        customer
    }

    fn sender(email: Option<&str>, phone: Option<&str>) -> SenderIdentity {
        SenderIdentity {
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
            name: None,
        }
    }

    #[test]
    fn a_sender_of_the_customer_or_its_contacts_is_known() {
        let customer = customer();
        assert_eq!(
            unknown_sender(&sender(Some("info@vera.nl"), None), &customer),
            None
        );
        assert_eq!(
            unknown_sender(&sender(Some("anna@vera.nl"), None), &customer),
            None
        );
        assert_eq!(
            unknown_sender(&sender(None, Some("+31235551234")), &customer),
            None
        );
        assert_eq!(
            unknown_sender(&sender(None, Some("+31612345678")), &customer),
            None
        );
    }

    #[test]
    fn another_address_or_number_is_unknown() {
        let customer = customer();
        assert_eq!(
            unknown_sender(&sender(Some("boss@vera.nl"), None), &customer),
            Some("boss@vera.nl".to_owned())
        );
        assert_eq!(
            unknown_sender(&sender(None, Some("+31235559999")), &customer),
            Some("+31235559999".to_owned())
        );
        assert_eq!(unknown_sender(&sender(None, None), &customer), None);
    }
}
