//! Generates the demo company's master data: customers with contacts, products and prices,
//! orders with lines, deliveries, invoices, and agents with skills.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use switchboard_core::import::RawRecords;
use switchboard_core::master::{MasterKind, format_cents};

/// The seed `serve --demo` uses.
pub const SEED: u64 = 20_261_204;

const CITIES: &[(&str, &str, &str, &str)] = &[
    ("NL", "nl", "Haarlem", "2011"),
    ("NL", "nl", "Utrecht", "3511"),
    ("NL", "nl", "Groningen", "9711"),
    ("BE", "nl", "Gent", "9000"),
    ("BE", "fr", "Liège", "4000"),
    ("DE", "de", "Köln", "50667"),
    ("DE", "de", "Münster", "48143"),
    ("FR", "fr", "Lille", "59000"),
    ("GB", "en", "Leeds", "LS1"),
];
const NAME_PARTS: &[&str] = &[
    "Lumen", "Bella", "Nova", "Aurora", "Jade", "Sol", "Iris", "Coral", "Vita", "Mira",
];
const SHOP_KINDS: &[(&str, &str)] = &[
    ("salon", "Hair Studio"),
    ("perfumery", "Parfumerie"),
    ("pharmacy", "Apotheek"),
    ("nail_studio", "Nails"),
    ("wholesaler", "Groothandel"),
];
const PRODUCT_LINES: &[(&str, char, &[&str])] = &[
    (
        "skincare",
        '1',
        &["Day Cream", "Night Serum", "Cleansing Gel", "Eye Balm"],
    ),
    (
        "haircare",
        '2',
        &["Shampoo", "Conditioner", "Hair Mask", "Styling Wax"],
    ),
    (
        "makeup",
        '3',
        &["Lipstick", "Mascara", "Foundation", "Blush"],
    ),
    (
        "fragrance",
        '4',
        &["Eau de Toilette", "Eau de Parfum", "Body Mist"],
    ),
    ("nails", '5', &["Nail Polish", "Top Coat", "Cuticle Oil"]),
];
const FIRST_NAMES: &[&str] = &[
    "Anouk", "Bram", "Chloé", "Daan", "Eva", "Felix", "Greta", "Hugo",
];
const LAST_NAMES: &[&str] = &["de Wit", "Janssen", "Peeters", "Schmidt", "Dubois", "Smith"];

/// The generated company, as raw master-data records per kind.
pub struct Company {
    records: BTreeMap<&'static str, Vec<BTreeMap<String, String>>>,
}

impl Company {
    /// The records in import form.
    pub fn master_data(&self) -> Vec<(MasterKind, RawRecords)> {
        MasterKind::IMPORT_ORDER
            .iter()
            .map(|kind| {
                let rows = self.records.get(kind.as_str()).cloned().unwrap_or_default();
                let records = rows
                    .into_iter()
                    .enumerate()
                    .map(|(index, fields)| (u64::try_from(index).unwrap_or(0) + 2, fields))
                    .collect();
                (*kind, RawRecords { records })
            })
            .collect()
    }

    /// The records of one kind.
    pub fn rows(&self, kind: MasterKind) -> &[BTreeMap<String, String>] {
        self.records.get(kind.as_str()).map_or(&[], Vec::as_slice)
    }

    /// The agent id the demo user `agent` works as.
    pub fn first_agent_id(&self) -> String {
        self.rows(MasterKind::Agents)
            .first()
            .and_then(|row| row.get("agent_id").cloned())
            .unwrap_or_default()
    }

    fn push(&mut self, kind: MasterKind, fields: &[(&str, String)]) {
        self.records.entry(kind.as_str()).or_default().push(
            fields
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
        );
    }
}

/// Generates the company for a seed.
pub fn generate(seed: u64) -> Company {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut company = Company {
        records: BTreeMap::new(),
    };
    let agents = add_agents(&mut company);
    let skus = add_products(&mut company, &mut rng);
    add_customers(&mut company, &mut rng, &agents);
    let customers = customers(&company);
    add_orders(&mut company, &mut rng, &customers, &skus);
    company
}

fn add_agents(company: &mut Company) -> Vec<String> {
    let agents = [
        (
            "DA01",
            "Sanne Visser",
            "Telesales NL",
            &[
                "language:nl",
                "language:en",
                "channel:email",
                "channel:fax",
                "product:haircare",
                "complaint",
            ][..],
        ),
        (
            "DA02",
            "Jonas Weber",
            "Telesales DE",
            &[
                "language:de",
                "language:en",
                "channel:email",
                "channel:voicemail",
                "product:skincare",
            ][..],
        ),
        (
            "DA03",
            "Camille Leroy",
            "Telesales FR",
            &[
                "language:fr",
                "language:nl",
                "channel:email",
                "channel:letter",
                "product:fragrance",
            ][..],
        ),
        (
            "DA04",
            "Noah Bakker",
            "Key accounts",
            &[
                "language:nl",
                "language:en",
                "language:de",
                "channel:email",
                "key_account",
                "credit_pricing",
            ][..],
        ),
        (
            "DA05",
            "Lotte Mertens",
            "Backoffice",
            &[
                "language:nl",
                "language:fr",
                "channel:fax",
                "channel:letter",
                "channel:voicemail",
                "product:makeup",
                "product:nails",
            ][..],
        ),
    ];
    for (index, (agent_id, name, team, skills)) in agents.iter().enumerate() {
        let email = format!(
            "{}@demo-cosmetics.example.nl",
            name.to_lowercase().replace(' ', ".")
        );
        company.push(
            MasterKind::Agents,
            &[
                ("agent_id", (*agent_id).to_owned()),
                ("name", (*name).to_owned()),
                ("email", email),
                ("team", (*team).to_owned()),
                ("extension", format!("{}", 3100 + index)),
                ("active", "yes".to_owned()),
            ],
        );
        for (rank, skill) in skills.iter().enumerate() {
            company.push(
                MasterKind::AgentSkills,
                &[
                    ("agent_id", (*agent_id).to_owned()),
                    ("skill", (*skill).to_owned()),
                    ("proficiency", format!("{}", 5 - rank.min(3))),
                ],
            );
        }
    }
    agents
        .iter()
        .map(|(agent_id, ..)| (*agent_id).to_owned())
        .collect()
}

/// A product orders are made of: its SKU, name and base price.
struct DemoProduct {
    sku: String,
    name: String,
    cents: u64,
}

fn add_products(company: &mut Company, rng: &mut StdRng) -> Vec<DemoProduct> {
    let mut skus = Vec::new();
    for (line, digit, names) in PRODUCT_LINES {
        for (index, name) in names.iter().enumerate() {
            let sku = format!("{digit}{:07}", 100_000 + index * 7919);
            let cents: u64 = rng.gen_range(300..4_500);
            company.push(
                MasterKind::Products,
                &[
                    ("sku", sku.clone()),
                    ("name", format!("Lumière {name}")),
                    ("brand", "Lumière".to_owned()),
                    ("product_line", (*line).to_owned()),
                    ("pack_size", "1 st".to_owned()),
                    (
                        "ean",
                        format!("87{:011}", rng.gen_range(0..99_999_999_999_u64)),
                    ),
                    ("status", "active".to_owned()),
                ],
            );
            for (segment, factor) in [("key_account", 82), ("regular", 100), ("new", 105)] {
                company.push(
                    MasterKind::PriceList,
                    &[
                        ("sku", sku.clone()),
                        ("segment", segment.to_owned()),
                        ("min_qty", "1".to_owned()),
                        (
                            "price",
                            format_cents(i64::try_from(cents * factor / 100).unwrap_or(0)),
                        ),
                        ("currency", "EUR".to_owned()),
                        ("valid_from", "2026-01-01".to_owned()),
                        ("valid_to", "2026-12-31".to_owned()),
                    ],
                );
            }
            skus.push(DemoProduct {
                sku,
                name: format!("Lumière {name}"),
                cents,
            });
        }
    }
    skus
}

/// A generated customer: number, language and e-mail address.
pub struct DemoCustomer {
    pub number: String,
    pub language: String,
    pub email: String,
    pub name: String,
}

fn add_customers(company: &mut Company, rng: &mut StdRng, agents: &[String]) {
    for index in 0..24_usize {
        let (country, language, city, postcode) = CITIES[index % CITIES.len()];
        let (kind, label) = SHOP_KINDS[index % SHOP_KINDS.len()];
        let name = format!("{} {label} {city}", NAME_PARTS[index % NAME_PARTS.len()]);
        let number = format!("{:010}", 200_100 + index * 37);
        let domain = format!(
            "{}-{}.example.com",
            NAME_PARTS[index % NAME_PARTS.len()].to_lowercase(),
            index
        );
        let email = format!("orders@{domain}");
        let segment = match index % 6 {
            0 => "key_account",
            5 => "new",
            _ => "regular",
        };
        company.push(
            MasterKind::Customers,
            &[
                ("customer_number", number.clone()),
                ("name", name),
                ("type", kind.to_owned()),
                ("segment", segment.to_owned()),
                ("language", language.to_owned()),
                ("country", country.to_owned()),
                ("street", "Marktstraat".to_owned()),
                ("house_number", format!("{}", 1 + index * 3)),
                ("postcode", postcode.to_owned()),
                ("city", city.to_owned()),
                ("phone", format!("+31 23 555 {:04}", 2000 + index)),
                ("email_general", email),
                ("account_manager", agents[index % agents.len()].clone()),
                ("product_lines", "haircare|skincare".to_owned()),
                ("created", "2024-05-01".to_owned()),
            ],
        );
        let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
        company.push(
            MasterKind::Contacts,
            &[
                ("customer_number", number.clone()),
                ("contact_id", format!("{number}-01")),
                ("first_name", first.to_owned()),
                ("last_name", last.to_owned()),
                ("role", "purchasing".to_owned()),
                ("email", format!("{}@{domain}", first.to_lowercase())),
                ("language", language.to_owned()),
            ],
        );
    }
}

fn add_orders(
    company: &mut Company,
    rng: &mut StdRng,
    customers: &[DemoCustomer],
    skus: &[DemoProduct],
) {
    let start = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default();
    let statuses = ["open", "confirmed", "in_delivery", "delivered", "invoiced"];
    for index in 0..60_usize {
        let customer = &customers[index % customers.len()];
        let order_number = format!("46{:08}", 1_000 + index);
        let order_date = start + Duration::days(i64::try_from(index).unwrap_or(0) / 2);
        let status = statuses[index % statuses.len()];
        let mut net_cents = 0_u64;
        for line in 1..=rng.gen_range(1..4_usize) {
            let product = &skus[rng.gen_range(0..skus.len())];
            let unit_cents = &product.cents;
            let quantity: u64 = rng.gen_range(1..24);
            net_cents += unit_cents * quantity;
            company.push(
                MasterKind::OrderLines,
                &[
                    ("order_number", order_number.clone()),
                    ("line", format!("{}", line * 10)),
                    ("sku", product.sku.clone()),
                    ("description", product.name.clone()),
                    ("quantity", quantity.to_string()),
                    ("unit", "ST".to_owned()),
                    (
                        "unit_price",
                        format_cents(i64::try_from(*unit_cents).unwrap_or(0)),
                    ),
                    (
                        "line_value",
                        format_cents(i64::try_from(unit_cents * quantity).unwrap_or(0)),
                    ),
                ],
            );
        }
        company.push(
            MasterKind::Orders,
            &[
                ("order_number", order_number.clone()),
                ("customer_number", customer.number.clone()),
                ("order_date", order_date.to_string()),
                (
                    "requested_delivery",
                    (order_date + Duration::days(3)).to_string(),
                ),
                ("status", status.to_owned()),
                ("customer_po", format!("PO-{}", 700 + index)),
                ("order_channel", "email".to_owned()),
                ("currency", "EUR".to_owned()),
                (
                    "net_value",
                    format_cents(i64::try_from(net_cents).unwrap_or(0)),
                ),
            ],
        );
        if matches!(status, "in_delivery" | "delivered" | "invoiced") {
            let delivered = status != "in_delivery";
            company.push(
                MasterKind::Deliveries,
                &[
                    ("delivery_number", format!("81{:08}", 5_000 + index)),
                    ("order_number", order_number.clone()),
                    ("carrier", ["PostNL", "DHL", "DPD"][index % 3].to_owned()),
                    (
                        "tracking_number",
                        format!("3SDEMO{:09}", 40_000 + index * 13),
                    ),
                    (
                        "status",
                        if delivered { "delivered" } else { "in_transit" }.to_owned(),
                    ),
                    ("ship_date", (order_date + Duration::days(1)).to_string()),
                    (
                        "expected_date",
                        (order_date + Duration::days(3)).to_string(),
                    ),
                    (
                        "delivered_date",
                        if delivered {
                            (order_date + Duration::days(3)).to_string()
                        } else {
                            String::new()
                        },
                    ),
                ],
            );
        }
        if status == "invoiced" {
            let vat = net_cents * 21 / 100;
            company.push(
                MasterKind::Invoices,
                &[
                    ("invoice_number", format!("91{:08}", 8_000 + index)),
                    ("order_number", order_number.clone()),
                    ("customer_number", customer.number.clone()),
                    ("invoice_date", (order_date + Duration::days(4)).to_string()),
                    ("due_date", (order_date + Duration::days(34)).to_string()),
                    (
                        "net_amount",
                        format_cents(i64::try_from(net_cents).unwrap_or(0)),
                    ),
                    ("vat_amount", format_cents(i64::try_from(vat).unwrap_or(0))),
                    (
                        "gross_amount",
                        format_cents(i64::try_from(net_cents + vat).unwrap_or(0)),
                    ),
                    ("status", "open".to_owned()),
                ],
            );
        }
    }
}

/// The customers, for the sample inbox.
pub fn customers(company: &Company) -> Vec<DemoCustomer> {
    company
        .rows(MasterKind::Customers)
        .iter()
        .map(|row| DemoCustomer {
            number: row.get("customer_number").cloned().unwrap_or_default(),
            language: row.get("language").cloned().unwrap_or_default(),
            email: row.get("email_general").cloned().unwrap_or_default(),
            name: row.get("name").cloned().unwrap_or_default(),
        })
        .collect()
}
