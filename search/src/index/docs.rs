//! The documents the index is built from: plain structs made from core types (an item's is
//! core's `IndexableItem` itself, as the store reads it), so the crate stays free of store I/O.
//! The caller reads records; the index only projects them.

use chrono::NaiveDate;
use switchboard_core::feed::IndexableItem;
use switchboard_core::master::{Customer, Delivery, Order};
use switchboard_core::{CustomerNo, DeliveryNo, OrderNo, Sku, WorkItemId};

/// What the index keeps of a work item: the item as the store reads it for the index.
pub type ItemDoc = IndexableItem;

/// What the index keeps of a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerDoc {
    /// The customer number as written in master data.
    pub customer_no: CustomerNo,
    /// The company name.
    pub name: String,
    /// ISO country code; the region its national phone numbers are read in.
    pub country: Option<String>,
    /// Street and house number, postcode and city, as lines.
    pub address_lines: Vec<String>,
    /// Postcodes.
    pub postcodes: Vec<String>,
    /// Phone, fax and mobile numbers as written.
    pub phones: Vec<String>,
    /// E-mail addresses.
    pub emails: Vec<String>,
    /// Web sites.
    pub websites: Vec<String>,
    /// Contact people: names and roles.
    pub contacts: Vec<String>,
}

impl CustomerDoc {
    /// Builds the document of a customer with its contacts.
    pub fn from_customer(customer: &Customer) -> Self {
        let street = [customer.street.as_deref(), customer.house_number.as_deref()];
        let place = [customer.postcode.as_deref(), customer.city.as_deref()];
        let address_lines = [join_present(&street), join_present(&place)]
            .into_iter()
            .filter(|line| !line.is_empty())
            .collect();
        let mut phones: Vec<String> = [&customer.phone, &customer.fax]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let mut emails: Vec<String> = [&customer.email_general, &customer.email_invoice]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let mut contacts = Vec::new();
        for contact in &customer.contacts {
            let person = [
                contact.first_name.as_deref(),
                contact.last_name.as_deref(),
                contact.role.as_deref(),
            ];
            contacts.push(join_present(&person));
            phones.extend(contact.mobile.clone());
            emails.extend(contact.email.clone());
        }
        Self {
            customer_no: customer.customer_no.clone(),
            name: customer.name.clone(),
            country: customer.country.clone(),
            address_lines,
            postcodes: customer.postcode.iter().cloned().collect(),
            phones,
            emails,
            websites: customer.website.iter().cloned().collect(),
            contacts,
        }
    }
}

/// What the index keeps of a sales order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDoc {
    /// The order number.
    pub order_no: OrderNo,
    /// The ordering customer.
    pub customer_no: CustomerNo,
    /// The customer's own reference.
    pub customer_po: Option<String>,
    /// The order status.
    pub status: String,
    /// When it was ordered.
    pub order_date: Option<NaiveDate>,
    /// Products ordered.
    pub skus: Vec<Sku>,
    /// Line descriptions.
    pub line_descriptions: Vec<String>,
    /// Its deliveries.
    pub delivery_nos: Vec<DeliveryNo>,
    /// Carrier tracking numbers of its deliveries.
    pub tracking_numbers: Vec<String>,
    /// Carriers of its deliveries.
    pub carriers: Vec<String>,
}

impl OrderDoc {
    /// Builds the document of an order with its deliveries (those of other orders are ignored).
    pub fn from_order(order: &Order, deliveries: &[Delivery]) -> Self {
        let own: Vec<&Delivery> = deliveries
            .iter()
            .filter(|delivery| delivery.order_no == order.order_no)
            .collect();
        Self {
            order_no: order.order_no.clone(),
            customer_no: order.customer_no.clone(),
            customer_po: order.customer_po.clone(),
            status: order.status.clone(),
            order_date: order.order_date,
            skus: order.lines.iter().map(|line| line.sku.clone()).collect(),
            line_descriptions: order
                .lines
                .iter()
                .filter_map(|line| line.description.clone())
                .collect(),
            delivery_nos: own.iter().map(|d| d.delivery_no.clone()).collect(),
            tracking_numbers: own
                .iter()
                .filter_map(|d| d.tracking_number.clone())
                .collect(),
            carriers: own.iter().filter_map(|d| d.carrier.clone()).collect(),
        }
    }
}

/// One change of the item change feed.
#[expect(
    clippy::large_enum_variant,
    reason = "nearly every change is an upsert; boxing would only add an allocation"
)]
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The item is new or changed: its document replaces any earlier one.
    Upsert(ItemDoc),
    /// The item is gone from the index.
    Delete(WorkItemId),
}

/// One change of master data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterChange {
    /// A customer is new or changed.
    UpsertCustomer(CustomerDoc),
    /// An order is new or changed.
    UpsertOrder(OrderDoc),
    /// A customer is gone.
    DeleteCustomer(CustomerNo),
    /// An order is gone.
    DeleteOrder(OrderNo),
}

/// Any document, as a rebuild reads them.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    /// A work item.
    Item(ItemDoc),
    /// A customer.
    Customer(CustomerDoc),
    /// A sales order.
    Order(OrderDoc),
}

fn join_present(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
