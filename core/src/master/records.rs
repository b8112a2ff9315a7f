//! Read models of master data, as the linker and the agent's customer panel use them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{CustomerNo, DeliveryNo, InvoiceNo, OrderNo, Sku};

/// A customer with its contacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub customer_no: CustomerNo,
    pub name: String,
    pub customer_type: Option<String>,
    /// `key_account`, `regular` or `new`.
    pub segment: Option<String>,
    pub language: Option<String>,
    pub country: Option<String>,
    pub street: Option<String>,
    pub house_number: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    /// As entered in the ERP; normalise before matching.
    pub phone: Option<String>,
    pub fax: Option<String>,
    pub email_general: Option<String>,
    pub email_invoice: Option<String>,
    pub website: Option<String>,
    /// The agent id of the account manager.
    pub account_manager: Option<String>,
    pub product_lines: Vec<String>,
    pub contacts: Vec<Contact>,
}

/// A contact person of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub contact_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub language: Option<String>,
}

/// A product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub sku: Sku,
    pub name: String,
    pub brand: Option<String>,
    pub product_line: Option<String>,
    pub pack_size: Option<String>,
    pub ean: Option<String>,
    pub status: Option<String>,
}

/// A price-list entry: price per SKU, segment and validity period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceEntry {
    pub sku: Sku,
    pub segment: String,
    /// Volume prices have a minimum quantity above 1.
    pub min_qty: i64,
    pub price_cents: i64,
    pub currency: Option<String>,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// A sales order with its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub order_no: OrderNo,
    pub customer_no: CustomerNo,
    pub order_date: Option<NaiveDate>,
    pub requested_delivery: Option<NaiveDate>,
    pub status: String,
    /// The customer's own reference.
    pub customer_po: Option<String>,
    pub order_channel: Option<String>,
    pub currency: Option<String>,
    pub net_value_cents: Option<i64>,
    pub lines: Vec<OrderLine>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub line: i64,
    pub sku: Sku,
    pub description: Option<String>,
    pub quantity: Option<i64>,
    pub unit: Option<String>,
    pub unit_price_cents: Option<i64>,
    pub line_value_cents: Option<i64>,
}

/// A delivery of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub delivery_no: DeliveryNo,
    pub order_no: OrderNo,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub status: Option<String>,
    pub ship_date: Option<NaiveDate>,
    pub expected_date: Option<NaiveDate>,
    pub delivered_date: Option<NaiveDate>,
}

/// An invoice for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub invoice_no: InvoiceNo,
    pub order_no: OrderNo,
    pub customer_no: CustomerNo,
    pub invoice_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub gross_amount_cents: Option<i64>,
    pub status: Option<String>,
}
