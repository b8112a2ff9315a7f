//! Reads the development corpus' master CSVs into a `MasterData`.

use std::collections::HashMap;
use std::path::Path;

use switchboard_core::master::{Contact, Customer, Delivery, Invoice, Order, OrderLine, Product};
use switchboard_core::{CustomerNo, DeliveryNo, InvoiceNo, OrderNo, Sku};
use switchboard_search::linking::MasterData;

type Row = HashMap<String, String>;

fn rows(folder: &Path, name: &str) -> Vec<Row> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(folder.join(format!("{name}.csv")))
        .unwrap();
    reader.deserialize().map(|row| row.unwrap()).collect()
}

fn text(row: &Row, column: &str) -> Option<String> {
    row.get(column)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn req(row: &Row, column: &str) -> String {
    text(row, column).unwrap_or_default()
}

fn cents(row: &Row, column: &str) -> Option<i64> {
    text(row, column).and_then(|v| switchboard_core::master::parse_cents(&v))
}

pub fn load(folder: &Path) -> MasterData {
    let mut contacts: HashMap<String, Vec<Contact>> = HashMap::new();
    for row in rows(folder, "contacts") {
        contacts
            .entry(req(&row, "customer_number"))
            .or_default()
            .push(Contact {
                contact_id: req(&row, "contact_id"),
                first_name: text(&row, "first_name"),
                last_name: text(&row, "last_name"),
                role: text(&row, "role"),
                email: text(&row, "email"),
                mobile: text(&row, "mobile"),
                language: text(&row, "language"),
            });
    }
    let customers = rows(folder, "customers")
        .into_iter()
        .map(|row| {
            let number = req(&row, "customer_number");
            Customer {
                customer_no: CustomerNo::new(number.clone()),
                name: req(&row, "name"),
                customer_type: text(&row, "type"),
                segment: text(&row, "segment"),
                language: text(&row, "language"),
                country: text(&row, "country"),
                street: text(&row, "street"),
                house_number: text(&row, "house_number"),
                postcode: text(&row, "postcode"),
                city: text(&row, "city"),
                phone: text(&row, "phone"),
                fax: text(&row, "fax"),
                email_general: text(&row, "email_general"),
                email_invoice: text(&row, "email_invoice"),
                website: text(&row, "website"),
                account_manager: text(&row, "account_manager"),
                product_lines: req(&row, "product_lines")
                    .split('|')
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
                contacts: contacts.remove(&number).unwrap_or_default(),
            }
        })
        .collect();
    let mut lines: HashMap<String, Vec<OrderLine>> = HashMap::new();
    for row in rows(folder, "order_lines") {
        lines
            .entry(req(&row, "order_number"))
            .or_default()
            .push(OrderLine {
                line: req(&row, "line").parse().unwrap_or(0),
                sku: Sku::new(req(&row, "sku")),
                description: text(&row, "description"),
                quantity: text(&row, "quantity").and_then(|q| q.parse().ok()),
                unit: text(&row, "unit"),
                unit_price_cents: cents(&row, "unit_price"),
                line_value_cents: cents(&row, "line_value"),
            });
    }
    let orders = rows(folder, "orders")
        .into_iter()
        .map(|row| {
            let number = req(&row, "order_number");
            Order {
                order_no: OrderNo::new(number.clone()),
                customer_no: CustomerNo::new(req(&row, "customer_number")),
                order_date: None,
                requested_delivery: None,
                status: req(&row, "status"),
                customer_po: text(&row, "customer_po"),
                order_channel: text(&row, "order_channel"),
                currency: text(&row, "currency"),
                net_value_cents: cents(&row, "net_value"),
                lines: lines.remove(&number).unwrap_or_default(),
            }
        })
        .collect();
    let deliveries = rows(folder, "deliveries")
        .into_iter()
        .map(|row| Delivery {
            delivery_no: DeliveryNo::new(req(&row, "delivery_number")),
            order_no: OrderNo::new(req(&row, "order_number")),
            carrier: text(&row, "carrier"),
            tracking_number: text(&row, "tracking_number"),
            status: text(&row, "status"),
            ship_date: None,
            expected_date: None,
            delivered_date: None,
        })
        .collect();
    let invoices = rows(folder, "invoices")
        .into_iter()
        .map(|row| Invoice {
            invoice_no: InvoiceNo::new(req(&row, "invoice_number")),
            order_no: OrderNo::new(req(&row, "order_number")),
            customer_no: CustomerNo::new(req(&row, "customer_number")),
            invoice_date: None,
            due_date: None,
            gross_amount_cents: cents(&row, "gross_amount"),
            status: text(&row, "status"),
        })
        .collect();
    let products = rows(folder, "products")
        .into_iter()
        .map(|row| Product {
            sku: Sku::new(req(&row, "sku")),
            name: req(&row, "name"),
            brand: text(&row, "brand"),
            product_line: text(&row, "product_line"),
            pack_size: text(&row, "pack_size"),
            ean: text(&row, "ean"),
            status: text(&row, "status"),
        })
        .collect();
    MasterData {
        customers,
        orders,
        deliveries,
        invoices,
        products,
    }
}
