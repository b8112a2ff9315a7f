//! Table tests of linking decisions on a tiny synthetic snapshot.

#![expect(
    clippy::unwrap_used,
    reason = "test harness: a broken fixture or corpus file must fail loudly"
)]

use std::sync::Arc;

use switchboard_core::item::Channel;
use switchboard_core::link::{LinkKind, NewLink};
use switchboard_core::master::{Contact, Customer, Order};
use switchboard_core::{CustomerNo, OrderNo};
use switchboard_search::linking::{LinkInput, Linker, LinkingConfig, MasterData, MasterSnapshot};

fn customer(number: &str, name: &str, email: &str, fax: &str, country: &str) -> Customer {
    Customer {
        customer_no: CustomerNo::new(number),
        name: name.to_owned(),
        customer_type: None,
        segment: None,
        language: None,
        country: Some(country.to_owned()),
        street: None,
        house_number: None,
        postcode: None,
        city: None,
        phone: None,
        fax: Some(fax.to_owned()),
        email_general: Some(email.to_owned()),
        email_invoice: None,
        website: None,
        account_manager: None,
        product_lines: Vec::new(),
        contacts: vec![Contact {
            contact_id: format!("{number}-01"),
            first_name: Some("Jack".to_owned()),
            last_name: Some("Phillipsen".to_owned()),
            role: None,
            email: Some("jack@hotmail.example.com".to_owned()),
            mobile: None,
            language: None,
        }],
    }
}

fn order(number: &str, customer: &str) -> Order {
    Order {
        order_no: OrderNo::new(number),
        customer_no: CustomerNo::new(customer),
        order_date: None,
        requested_delivery: None,
        status: "open".to_owned(),
        customer_po: None,
        order_channel: None,
        currency: None,
        net_value_cents: None,
        lines: Vec::new(),
    }
}

fn linker() -> Linker {
    let data = MasterData {
        customers: vec![
            customer(
                "0000100711",
                "Hair by Isabella",
                "inkoop@hairbyisabella.example.nl",
                "023-5551234",
                "NL",
            ),
            customer(
                "0000200222",
                "Salon Antwerpen",
                "info@salonantwerpen.example.be",
                "03/555.12.34",
                "BE",
            ),
        ],
        orders: vec![
            order("4500012345", "0000100711"),
            order("4500054321", "0000200222"),
        ],
        ..MasterData::default()
    };
    let config = LinkingConfig {
        own_domains: vec!["velora.example.nl".to_owned()],
        own_numbers: vec!["+31 23 555 0199".to_owned(), "+31 23 555 0100".to_owned()],
        ..LinkingConfig::default()
    };
    let snapshot = Arc::new(MasterSnapshot::build(data, &config));
    Linker::new(config, snapshot).unwrap()
}

fn applied(links: &[NewLink], kind: LinkKind) -> Vec<String> {
    links
        .iter()
        .filter(|link| link.applied && link.kind == kind)
        .map(|link| link.key.clone())
        .collect()
}

fn email(from: &str, subject: &str, text: &str) -> Vec<NewLink> {
    linker().link(&LinkInput {
        channel: Channel::Email,
        subject: Some(subject),
        text,
        sender_email: Some(from),
        sender_phone: None,
        sender_name: None,
    })
}

/// From, subject, text, expected customer, expected orders.
type Case = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static [&'static str],
);

#[test]
fn linking_decisions() {
    // (from, subject, text, expected customer, expected orders)
    let cases: &[Case] = &[
        // exact order number links the order and its customer
        (
            "x@unknown.example.org",
            "Order 4500012345",
            "Status?",
            Some("0000100711"),
            &["4500012345"],
        ),
        // grouped order number
        (
            "x@unknown.example.org",
            "Vraag",
            "order 45 0001 2345 graag",
            Some("0000100711"),
            &["4500012345"],
        ),
        // known address
        (
            "INKOOP@hairbyisabella.example.nl",
            "Vraag",
            "Hallo",
            Some("0000100711"),
            &[],
        ),
        // new address at the customer's own domain
        (
            "new.person@hairbyisabella.example.nl",
            "Vraag",
            "Hallo",
            Some("0000100711"),
            &[],
        ),
        // unknown free-mail address identifies nobody
        ("someone@hotmail.example.com", "Vraag", "Hallo", None, &[]),
        // a free-mail address in master data does identify its customer (both share it here: ambiguous)
        ("jack@hotmail.example.com", "Vraag", "Hallo", None, &[]),
        // our own address identifies nobody, the forwarded customer does
        (
            "colleague@velora.example.nl",
            "Fw: vraag",
            "From: inkoop@hairbyisabella.example.nl\nHallo",
            Some("0000100711"),
            &[],
        ),
        // typo accepted: one digit off, agrees with the customer known by address
        (
            "inkoop@hairbyisabella.example.nl",
            "Vraag",
            "order 4500012346 klopt niet",
            Some("0000100711"),
            &["4500012345"],
        ),
        // transposition accepted with agreeing customer
        (
            "inkoop@hairbyisabella.example.nl",
            "Vraag",
            "order 4500013245 klopt niet",
            Some("0000100711"),
            &["4500012345"],
        ),
        // typo rejected without an agreeing customer
        (
            "someone@hotmail.example.com",
            "Vraag",
            "order 4500012346 klopt niet",
            None,
            &[],
        ),
        // typo rejected when the customer found is another one
        (
            "info@salonantwerpen.example.be",
            "Vraag",
            "order 4500012346 klopt niet",
            Some("0000200222"),
            &[],
        ),
        // customer number without leading zeros after a label
        (
            "someone@hotmail.example.com",
            "Vraag",
            "Klantnummer: 100711\nHallo",
            Some("0000100711"),
            &[],
        ),
    ];
    for (from, subject, text, customer, orders) in cases {
        let links = email(from, subject, text);
        let customers = applied(&links, LinkKind::Customer);
        let expected_customers: Vec<String> = customer.iter().map(|c| c.to_string()).collect();
        assert_eq!(
            customers, expected_customers,
            "{from} {subject} {text}: {links:#?}"
        );
        let expected_orders: Vec<String> = orders.iter().map(|o| o.to_string()).collect();
        assert_eq!(
            applied(&links, LinkKind::Order),
            expected_orders,
            "{from} {text}: {links:#?}"
        );
        assert!(links.iter().all(|link| !link.evidence.is_empty()));
    }
}

#[test]
fn sender_numbers_link_and_our_own_do_not() {
    let cases: &[(&str, Option<&str>)] = &[
        ("+31235551234", Some("0000100711")),
        ("0031 23 555 1234", Some("0000100711")),
        ("+3235551234", Some("0000200222")),
        ("+31 23 555 0199", None),
        ("+31 23 555 0100", None),
    ];
    for (number, expected) in cases {
        let links = linker().link(&LinkInput {
            channel: Channel::Fax,
            subject: None,
            text: "Fax van +31 23 555 0199 aan Velora, tel +31 23 555 0100",
            sender_email: None,
            sender_phone: Some(number),
            sender_name: None,
        });
        let customers = applied(&links, LinkKind::Customer);
        let expected: Vec<String> = expected.iter().map(|c| c.to_string()).collect();
        assert_eq!(customers, expected, "{number}: {links:#?}");
    }
    let links = linker().link(&LinkInput {
        channel: Channel::Fax,
        subject: None,
        text: "x",
        sender_email: None,
        sender_phone: Some("+31235551234"),
        sender_name: None,
    });
    assert!(
        links[0].evidence.contains("fax number of Hair by Isabella"),
        "{}",
        links[0].evidence
    );
}
