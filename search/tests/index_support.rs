//! Shared helpers of the index tests: a temporary index and small documents.

#![allow(
    dead_code,
    clippy::unwrap_used,
    reason = "each test binary uses a part of these helpers; failures must be loud"
)]

use std::time::Duration;

use chrono::{TimeZone, Utc};
use switchboard_core::item::{Channel, ItemStatus, Language, SenderIdentity};
use switchboard_core::master::{Contact, Customer, Delivery, Order, OrderLine};
use switchboard_core::{CustomerNo, DeliveryNo, OrderNo, Sku, WorkItemId};
use switchboard_search::index::{
    CustomerDoc, HitId, IndexConfig, IndexHandle, ItemDoc, OrderDoc, SearchQuery,
};
use tempfile::TempDir;

/// Returns a configuration that commits and watches quickly (on the interval: quiet writers
/// are not committed early, so tests see the interval at work).
pub fn config() -> IndexConfig {
    IndexConfig {
        commit_interval: Duration::from_millis(50),
        commit_quiet: Duration::from_secs(600),
        watch_interval: Duration::from_millis(50),
        writer_memory_bytes: 32 * 1024 * 1024,
        writer_threads: 1,
        ..IndexConfig::default()
    }
}

/// Opens an empty index in a temporary directory.
pub fn open() -> (TempDir, IndexHandle) {
    let dir = tempfile::tempdir().unwrap();
    let index = IndexHandle::open(dir.path(), config()).unwrap();
    (dir, index)
}

/// Returns the hit of an item.
pub fn item_hit(id: i64) -> HitId {
    HitId::Item(WorkItemId::new(id))
}

/// Builds an e-mail item received `id` hours after 2026-01-01T00:00Z.
pub fn item(id: i64, language: Option<Language>, subject: &str, text: &str) -> ItemDoc {
    ItemDoc {
        id: WorkItemId::new(id),
        channel: Channel::Email,
        status: ItemStatus::Queued,
        language,
        received_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
            + chrono::Duration::hours(id),
        subject: Some(subject.to_owned()),
        text: text.to_owned(),
        sender: SenderIdentity {
            name: None,
            email: None,
            phone: None,
        },
        attachment_names: Vec::new(),
        customer_no: None,
        order_nos: Vec::new(),
        queue_id: None,
    }
}

/// Builds a Dutch customer with a phone, a postcode, a contact and a web site.
pub fn customer(number: &str, name: &str) -> CustomerDoc {
    let bakery = number.ends_with("4321");
    CustomerDoc::from_customer(&Customer {
        customer_no: CustomerNo::new(number),
        name: name.to_owned(),
        customer_type: None,
        segment: None,
        language: Some("nl".to_owned()),
        country: Some("NL".to_owned()),
        street: Some("Kerkstraat".to_owned()),
        house_number: Some("12".to_owned()),
        postcode: Some(if bakery { "1234 AB" } else { "9999 ZZ" }.to_owned()),
        city: Some("Haarlem".to_owned()),
        phone: Some(if bakery { "023-5551234" } else { "020-5559876" }.to_owned()),
        fax: None,
        email_general: Some(
            if bakery {
                "info@bakkerij-jansen.nl"
            } else {
                "info@noord.nl"
            }
            .to_owned(),
        ),
        email_invoice: None,
        website: None,
        account_manager: None,
        product_lines: Vec::new(),
        contacts: vec![Contact {
            contact_id: format!("{number}-1"),
            first_name: Some("Anna".to_owned()),
            last_name: Some(if bakery { "Jansen" } else { "Visser" }.to_owned()),
            role: None,
            email: None,
            mobile: None,
            language: None,
        }],
    })
}

/// Builds an order with a PO reference, one line and a delivery with a tracking number.
pub fn order(number: &str, customer_no: &str) -> OrderDoc {
    let order = Order {
        order_no: OrderNo::new(number),
        customer_no: CustomerNo::new(customer_no),
        order_date: chrono::NaiveDate::from_ymd_opt(2026, 1, 5),
        requested_delivery: None,
        status: "open".to_owned(),
        customer_po: Some("PO-2024/117".to_owned()),
        order_channel: None,
        currency: None,
        net_value_cents: None,
        lines: vec![OrderLine {
            line: 10,
            sku: Sku::new("22509999"),
            description: Some("Haarlak extra sterk".to_owned()),
            quantity: Some(12),
            unit: None,
            unit_price_cents: None,
            line_value_cents: None,
        }],
    };
    let delivery = Delivery {
        delivery_no: DeliveryNo::new("8000436900"),
        order_no: OrderNo::new(number),
        carrier: Some("DHL".to_owned()),
        tracking_number: Some("JJD000390007".to_owned()),
        status: None,
        ship_date: None,
        expected_date: None,
        delivered_date: None,
    };
    OrderDoc::from_order(&order, &[delivery])
}

/// Returns the ids of a search's hits, in rank order.
pub fn hits(index: &IndexHandle, query: &SearchQuery) -> Vec<HitId> {
    index
        .search(query)
        .unwrap()
        .hits
        .into_iter()
        .map(|hit| hit.id)
        .collect()
}
