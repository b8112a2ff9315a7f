//! The master-data snapshot the linker works on, with its lookup indexes.

use std::collections::{HashMap, HashSet};

use switchboard_core::CustomerNo;
use switchboard_core::master::{Customer, Order, Product};

use super::config::LinkingConfig;
use super::phone::normalise_phone;

/// Master data as loaded from the store or from CSV files (defined in core, where the store
/// port returns it).
pub use switchboard_core::master::MasterData;

/// What a phone number or e-mail address is to its customer, for evidence wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// Position of the customer in the snapshot.
    pub customer: usize,
    /// The role of the number or address, e.g. "fax number", "contact Abel Heinrichs".
    pub role: String,
}

/// An in-memory, indexed copy of master data. Built once per import, shared read-only.
#[derive(Debug, Default)]
pub struct MasterSnapshot {
    customers: Vec<Customer>,
    customer_by_key: HashMap<String, usize>,
    orders: HashMap<String, Order>,
    orders_by_customer: HashMap<usize, Vec<String>>,
    by_phone: HashMap<String, Vec<Owner>>,
    by_email: HashMap<String, Vec<Owner>>,
    by_domain: HashMap<String, Vec<usize>>,
    by_po: HashMap<String, Vec<String>>,
    by_tracking: HashMap<String, (String, String)>,
    by_delivery: HashMap<String, String>,
    by_invoice: HashMap<String, String>,
    by_address: HashMap<String, Vec<usize>>,
    products: HashMap<String, Product>,
    regions: Vec<String>,
    /// Derived from `products` on first use: see [`MasterSnapshot::product_phrases`].
    product_phrases: std::sync::OnceLock<crate::intent::ProductPhrases>,
}

/// Returns a customer number without leading zeros, the form used as index key.
pub fn customer_key(raw: &str) -> String {
    raw.trim().trim_start_matches('0').to_owned()
}

/// Returns a reference (PO, tracking number) upper-cased with only letters and digits.
pub fn reference_key(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Returns the index key of a postcode and house number: `8071UI|64`.
pub fn address_key(postcode: &str, house_number: &str) -> String {
    let postcode = reference_key(postcode);
    let postcode = postcode.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let house = house_number
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    format!("{postcode}|{house}")
}

/// Returns the domain of an e-mail address or web site, lower-cased and without `www.`.
pub fn domain_of(address: &str) -> Option<String> {
    let lowered = address.trim().to_ascii_lowercase();
    let after_at = lowered
        .rsplit_once('@')
        .map_or(lowered.as_str(), |(_, domain)| domain);
    let without_scheme = after_at
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = without_scheme.split('/').next().unwrap_or("");
    let host = host.strip_prefix("www.").unwrap_or(host);
    host.contains('.')
        .then(|| host.trim_end_matches('.').to_owned())
}

impl MasterSnapshot {
    /// Builds the snapshot and its indexes. Free-mail and own domains are left out of the
    /// domain index; phone numbers are normalised in the customer's country.
    pub fn build(data: MasterData, config: &LinkingConfig) -> Self {
        let mut snapshot = Self::default();
        let excluded_domains: HashSet<&str> = config
            .free_mail_domains
            .iter()
            .chain(&config.own_domains)
            .map(String::as_str)
            .collect();
        let mut regions = vec![config.default_region.to_ascii_uppercase()];
        for (position, customer) in data.customers.iter().enumerate() {
            snapshot.index_customer(position, customer, config, &excluded_domains);
            if let Some(country) = &customer.country {
                regions.push(country.to_ascii_uppercase());
            }
        }
        regions.extend(config.extra_regions.iter().map(|r| r.to_ascii_uppercase()));
        let mut seen = HashSet::new();
        regions.retain(|region| seen.insert(region.clone()));
        snapshot.regions = regions;
        snapshot.customers = data.customers;
        for order in data.orders {
            snapshot.index_order(order);
        }
        for delivery in data.deliveries {
            let order_no = delivery.order_no.as_str().to_owned();
            if let Some(tracking) = &delivery.tracking_number {
                let delivery_no = delivery.delivery_no.as_str().to_owned();
                snapshot
                    .by_tracking
                    .insert(reference_key(tracking), (delivery_no, order_no.clone()));
            }
            snapshot
                .by_delivery
                .insert(delivery.delivery_no.as_str().to_owned(), order_no);
        }
        for invoice in data.invoices {
            let order_no = invoice.order_no.as_str().to_owned();
            snapshot
                .by_invoice
                .insert(invoice.invoice_no.as_str().to_owned(), order_no);
        }
        for product in data.products {
            snapshot
                .products
                .insert(product.sku.as_str().to_owned(), product);
        }
        snapshot
    }

    fn index_customer(
        &mut self,
        position: usize,
        customer: &Customer,
        config: &LinkingConfig,
        excluded_domains: &HashSet<&str>,
    ) {
        self.customer_by_key
            .insert(customer_key(customer.customer_no.as_str()), position);
        let region = customer
            .country
            .clone()
            .unwrap_or_else(|| config.default_region.clone());
        let mut numbers = vec![
            (customer.phone.as_deref(), "phone number".to_owned()),
            (customer.fax.as_deref(), "fax number".to_owned()),
        ];
        let mut addresses = vec![
            (
                customer.email_general.as_deref(),
                "general address".to_owned(),
            ),
            (
                customer.email_invoice.as_deref(),
                "invoice address".to_owned(),
            ),
        ];
        for contact in &customer.contacts {
            let name = contact_name(contact);
            numbers.push((
                contact.mobile.as_deref(),
                format!("mobile number of {name}"),
            ));
            addresses.push((contact.email.as_deref(), format!("address of {name}")));
        }
        for (number, role) in numbers {
            let Some(e164) = number.and_then(|raw| normalise_phone(raw, &region)) else {
                continue;
            };
            self.by_phone.entry(e164).or_default().push(Owner {
                customer: position,
                role,
            });
        }
        let mut domains = HashSet::new();
        for (address, role) in addresses {
            let Some(address) = address.map(|a| a.trim().to_ascii_lowercase()) else {
                continue;
            };
            if address.is_empty() {
                continue;
            }
            if let Some(domain) = domain_of(&address) {
                domains.insert(domain);
            }
            self.by_email.entry(address).or_default().push(Owner {
                customer: position,
                role,
            });
        }
        if let Some(domain) = customer.website.as_deref().and_then(domain_of) {
            domains.insert(domain);
        }
        for domain in domains {
            if !excluded_domains.contains(domain.as_str()) {
                self.by_domain.entry(domain).or_default().push(position);
            }
        }
        if let (Some(postcode), Some(house)) = (&customer.postcode, &customer.house_number) {
            self.by_address
                .entry(address_key(postcode, house))
                .or_default()
                .push(position);
        }
    }

    fn index_order(&mut self, order: Order) {
        let order_no = order.order_no.as_str().to_owned();
        if let Some(po) = order.customer_po.as_deref().map(reference_key)
            && !po.is_empty()
        {
            self.by_po.entry(po).or_default().push(order_no.clone());
        }
        if let Some(&position) = self
            .customer_by_key
            .get(&customer_key(order.customer_no.as_str()))
        {
            self.orders_by_customer
                .entry(position)
                .or_default()
                .push(order_no.clone());
        }
        self.orders.insert(order_no, order);
    }

    /// Returns the customer at a position.
    pub fn customer(&self, position: usize) -> Option<&Customer> {
        self.customers.get(position)
    }

    /// Returns all customers.
    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    /// Finds a customer by number, with or without leading zeros.
    pub fn customer_by_number(&self, raw: &str) -> Option<usize> {
        self.customer_by_key.get(&customer_key(raw)).copied()
    }

    /// Finds an order by number.
    pub fn order(&self, order_no: &str) -> Option<&Order> {
        self.orders.get(order_no)
    }

    /// Returns the position of an order's customer.
    pub fn order_customer(&self, order_no: &str) -> Option<usize> {
        self.order(order_no)
            .and_then(|order| self.customer_by_number(order.customer_no.as_str()))
    }

    /// Returns the order numbers of a customer.
    pub fn orders_of(&self, customer: usize) -> &[String] {
        self.orders_by_customer
            .get(&customer)
            .map_or(&[], Vec::as_slice)
    }

    /// Finds the owners of a phone or fax number in E.164.
    pub fn phone_owners(&self, e164: &str) -> &[Owner] {
        self.by_phone.get(e164).map_or(&[], Vec::as_slice)
    }

    /// Finds the owners of an e-mail address.
    pub fn email_owners(&self, address: &str) -> &[Owner] {
        self.by_email
            .get(&address.trim().to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// Finds the customers using a (non-free-mail) domain.
    pub fn domain_owners(&self, domain: &str) -> &[usize] {
        self.by_domain.get(domain).map_or(&[], Vec::as_slice)
    }

    /// Finds orders carrying a customer reference (PO), in [`reference_key`] form.
    pub fn orders_by_po(&self, key: &str) -> &[String] {
        self.by_po.get(key).map_or(&[], Vec::as_slice)
    }

    /// Finds the delivery and order of a tracking number, in [`reference_key`] form.
    pub fn delivery_by_tracking(&self, key: &str) -> Option<(&str, &str)> {
        self.by_tracking
            .get(key)
            .map(|(delivery, order)| (delivery.as_str(), order.as_str()))
    }

    /// Finds the order of a delivery number.
    pub fn order_by_delivery(&self, delivery_no: &str) -> Option<&str> {
        self.by_delivery.get(delivery_no).map(String::as_str)
    }

    /// Finds the order of an invoice number.
    pub fn order_by_invoice(&self, invoice_no: &str) -> Option<&str> {
        self.by_invoice.get(invoice_no).map(String::as_str)
    }

    /// Finds customers by postcode and house number.
    pub fn customers_at(&self, postcode: &str, house_number: &str) -> &[usize] {
        self.by_address
            .get(&address_key(postcode, house_number))
            .map_or(&[], Vec::as_slice)
    }

    /// Finds a product by SKU.
    pub fn product(&self, sku: &str) -> Option<&Product> {
        self.products.get(sku)
    }

    /// Returns all products.
    pub fn products(&self) -> impl Iterator<Item = &Product> {
        self.products.values()
    }

    /// The phrases of the products' names and their lines (see
    /// [`crate::intent::product_lines`]); worked out once per snapshot with `phrases` and kept.
    pub(crate) fn product_phrases(
        &self,
        phrases: impl FnOnce(&Self) -> crate::intent::ProductPhrases,
    ) -> &crate::intent::ProductPhrases {
        self.product_phrases.get_or_init(|| phrases(self))
    }

    /// Returns the regions to read national phone numbers in: the default first.
    pub fn regions(&self) -> &[String] {
        &self.regions
    }

    /// Returns the number of a customer at a position.
    pub fn customer_no(&self, position: usize) -> Option<&CustomerNo> {
        self.customers
            .get(position)
            .map(|customer| &customer.customer_no)
    }
}

fn contact_name(contact: &switchboard_core::master::Contact) -> String {
    let parts: Vec<&str> = [contact.first_name.as_deref(), contact.last_name.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if parts.is_empty() {
        contact.contact_id.clone()
    } else {
        parts.join(" ")
    }
}
