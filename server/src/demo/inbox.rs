//! A handful of sample inbound items across every channel, linked to demo customers.

use chrono::{Duration, TimeZone, Utc};
use switchboard_core::item::{Channel, ItemStatus, Language, NewItem, SenderIdentity};
use switchboard_core::link::{LinkKind, LinkOrigin, NewLink};
use switchboard_core::master::MasterKind;
use switchboard_core::skill::SkillRequirement;
use switchboard_core::store::ItemPlacement;

use super::company::{Company, DemoCustomer, customers};

struct Sample {
    channel: Channel,
    subject: &'static str,
    text: &'static str,
    customer_index: usize,
}

const SAMPLES: &[Sample] = &[
    Sample {
        channel: Channel::Email,
        subject: "Levering bestelling {order}",
        text: "Goedemiddag,\n\nWanneer wordt bestelling {order} geleverd? We hebben de producten \
               vrijdag nodig.\n\nMet vriendelijke groet,\n{name}",
        customer_index: 0,
    },
    Sample {
        channel: Channel::Fax,
        subject: "Fax from {phone}, 1 page",
        text: "BESTELFORMULIER\nKlantnummer: {customer}\nArtikel 20100000 Shampoo 12 st\n\
               Graag levering volgende week.",
        customer_index: 3,
    },
    Sample {
        channel: Channel::Voicemail,
        subject: "Voicemail from {phone} (0:42)",
        text: "hallo met {name} ik bel over order {order} er ontbreken twee dozen graag terugbellen",
        customer_index: 1,
    },
    Sample {
        channel: Channel::Letter,
        subject: "Réclamation commande {order}",
        text: "Madame, Monsieur,\n\nLa commande {order} est arrivée endommagée. Nous demandons \
               un remplacement.\n\nCordialement,\n{name}",
        customer_index: 4,
    },
    Sample {
        channel: Channel::Email,
        subject: "Preisanfrage Haarpflege",
        text: "Guten Tag,\n\nbitte senden Sie uns ein Angebot für 48 Shampoo und 24 \
               Conditioner.\n\nMit freundlichen Grüßen\n{name}",
        customer_index: 5,
    },
    Sample {
        channel: Channel::Task,
        subject: "Call back: campaign spring 2026",
        text: "The CRM campaign asks for a call back about the spring range for {name}.",
        customer_index: 8,
    },
];

/// Builds the sample items with their placement and links.
pub fn sample_items(company: &Company) -> Vec<(NewItem, ItemPlacement)> {
    let customers = customers(company);
    let start = Utc
        .with_ymd_and_hms(2026, 12, 1, 8, 30, 0)
        .single()
        .unwrap_or_default();
    SAMPLES
        .iter()
        .enumerate()
        .filter_map(|(index, sample)| {
            let customer = customers.get(sample.customer_index % customers.len().max(1))?;
            let order = first_order_of(company, &customer.number);
            let received_at = start + Duration::minutes(i64::try_from(index).unwrap_or(0) * 47);
            Some(build(
                sample,
                customer,
                order.as_deref(),
                received_at,
                index,
            ))
        })
        .collect()
}

fn build(
    sample: &Sample,
    customer: &DemoCustomer,
    order: Option<&str>,
    received_at: chrono::DateTime<Utc>,
    index: usize,
) -> (NewItem, ItemPlacement) {
    let phone = format!("+3123555{:04}", 2000 + index);
    let fill = |template: &str| {
        template
            .replace("{order}", order.unwrap_or("-"))
            .replace("{customer}", &customer.number)
            .replace("{name}", &customer.name)
            .replace("{phone}", &phone)
    };
    let mut item = NewItem::new(
        sample.channel,
        format!("demo-{:03}", index + 1),
        received_at,
        fill(sample.text),
    );
    item.subject = Some(fill(sample.subject));
    item.language = Language::parse(&customer.language);
    item.sender = match sample.channel {
        Channel::Email => SenderIdentity {
            email: Some(customer.email.clone()),
            ..SenderIdentity::default()
        },
        Channel::Fax | Channel::Voicemail => SenderIdentity {
            phone: Some(phone.clone()),
            ..SenderIdentity::default()
        },
        Channel::Letter | Channel::Task => SenderIdentity {
            name: Some(customer.name.clone()),
            ..SenderIdentity::default()
        },
    };
    let mut links = vec![NewLink {
        kind: LinkKind::Customer,
        key: customer.number.clone(),
        confidence: 0.95,
        origin: LinkOrigin::Auto,
        applied: true,
        evidence: format!("sender belongs to {}", customer.name),
    }];
    if let Some(order) = order.filter(|_| sample.text.contains("{order}")) {
        links.push(NewLink {
            kind: LinkKind::Order,
            key: order.to_owned(),
            confidence: 0.99,
            origin: LinkOrigin::Auto,
            applied: true,
            evidence: format!("order {order} in the text"),
        });
    }
    let placement = ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some(format!("inbound-{}", customer.language)),
        priority: 0,
        required_skills: vec![
            SkillRequirement::new(format!("language:{}", customer.language), 1),
            SkillRequirement::new(format!("channel:{}", sample.channel), 1),
        ],
        links,
        parent_id: None,
        intent: None,
        product_lines: Vec::new(),
        sla: None,
        route: None,
    };
    (item, placement)
}

fn first_order_of(company: &Company, customer_no: &str) -> Option<String> {
    company
        .rows(MasterKind::Orders)
        .iter()
        .find(|row| {
            row.get("customer_number")
                .is_some_and(|number| number == customer_no)
        })
        .and_then(|row| row.get("order_number").cloned())
}
