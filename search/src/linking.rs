//! Linking: ties an item to the customer, orders and deliveries it is about, with evidence.
//!
//! Pure: works on a [`MasterSnapshot`] in memory; company names are looked up through a
//! [`NameMatcher`]. Entry point: [`Linker::link`].

mod config;
mod decide;
mod digits;
mod evidence;
mod extract;
mod names;
mod phone;
mod score;
mod snapshot;
mod thread;

use std::collections::HashSet;
use std::sync::Arc;

use regex::Regex;
use switchboard_core::item::{Channel, NewItem};
use switchboard_core::link::NewLink;

pub use config::LinkingConfig;
pub use digits::{digit_runs, number_candidates, one_keystroke_away};
pub use evidence::{Evidence, Tally};
pub use extract::{Extracted, Found, Place, Segments, extract};
pub use names::{InMemoryNameMatcher, NameMatch, NameMatcher, name_words};
pub use phone::normalise_phone;
pub use snapshot::{MasterData, MasterSnapshot, Owner, customer_key, domain_of, reference_key};
pub use thread::inherit_from_parent;

use score::{Collector, Patterns};

/// A configuration problem found when building a [`Linker`].
#[derive(Debug, thiserror::Error)]
pub enum LinkingError {
    /// A configured pattern is no valid regex.
    #[error("invalid pattern for {name}: {source}")]
    Pattern {
        /// The configuration field.
        name: &'static str,
        /// The regex error.
        source: regex::Error,
    },
}

/// What the linker reads of an item.
#[derive(Debug, Clone, Copy)]
pub struct LinkInput<'a> {
    /// The channel.
    pub channel: Channel,
    /// Subject or title.
    pub subject: Option<&'a str>,
    /// Body, OCR text or transcription.
    pub text: &'a str,
    /// The sender's e-mail address.
    pub sender_email: Option<&'a str>,
    /// The caller id or fax CSID, any format.
    pub sender_phone: Option<&'a str>,
    /// The sender's display name or letter signature name.
    pub sender_name: Option<&'a str>,
}

impl<'a> LinkInput<'a> {
    /// Reads the linker's input from a parsed item.
    pub fn from_item(item: &'a NewItem) -> Self {
        Self {
            channel: item.channel,
            subject: item.subject.as_deref(),
            text: &item.text,
            sender_email: item.sender.email.as_deref(),
            sender_phone: item.sender.phone.as_deref(),
            sender_name: item.sender.name.as_deref(),
        }
    }
}

/// Links items to master data. Cheap to share: the snapshot sits behind an `Arc`.
pub struct Linker {
    config: LinkingConfig,
    snapshot: Arc<MasterSnapshot>,
    names: Box<dyn NameMatcher>,
    patterns: Patterns,
    own_numbers: HashSet<String>,
}

fn compile(name: &'static str, pattern: &str) -> Result<Regex, LinkingError> {
    Regex::new(pattern).map_err(|source| LinkingError::Pattern { name, source })
}

impl Linker {
    /// Builds a linker with the in-memory company-name matcher.
    pub fn new(config: LinkingConfig, snapshot: Arc<MasterSnapshot>) -> Result<Self, LinkingError> {
        let mut names = InMemoryNameMatcher::new(
            snapshot
                .customers()
                .iter()
                .map(|customer| (&customer.customer_no, customer.name.as_str())),
        );
        for customer in snapshot.customers() {
            for contact in &customer.contacts {
                if let (Some(first), Some(last)) = (&contact.first_name, &contact.last_name) {
                    names.add_contact(&customer.customer_no, first, last);
                }
            }
        }
        let patterns = Patterns {
            order: compile("order_number", &config.order_number)?,
            delivery: compile("delivery_number", &config.delivery_number)?,
            invoice: compile("invoice_number", &config.invoice_number)?,
            sku: compile("sku", &config.sku)?,
            customer_label: compile("customer_number_label", &config.customer_number_label)?,
            reference_label: compile("reference_label", &config.reference_label)?,
        };
        let own_numbers = config
            .own_numbers
            .iter()
            .filter_map(|number| normalise_phone(number, &config.default_region))
            .collect();
        Ok(Self {
            config,
            snapshot,
            names: Box::new(names),
            patterns,
            own_numbers,
        })
    }

    /// Replaces the company-name matcher (e.g. with the search index).
    pub fn with_name_matcher(mut self, names: Box<dyn NameMatcher>) -> Self {
        self.names = names;
        self
    }

    /// Returns the snapshot.
    pub fn snapshot(&self) -> &MasterSnapshot {
        &self.snapshot
    }

    /// Returns the configuration.
    pub fn config(&self) -> &LinkingConfig {
        &self.config
    }

    /// Extracts identifiers from an item without scoring them.
    pub fn extract(&self, input: &LinkInput<'_>) -> Extracted {
        let segments = Segments::of(input.subject, input.text);
        extract(
            &segments,
            &self.patterns.customer_label,
            &self.patterns.reference_label,
        )
    }

    /// Returns the SKUs of known products named in an item.
    pub fn skus(&self, extracted: &Extracted) -> Vec<String> {
        let mut skus: Vec<String> = extracted
            .numbers
            .iter()
            .filter(|found| {
                found.place != Place::Quoted && self.patterns.sku.is_match(&found.value)
            })
            .filter(|found| self.snapshot.product(&found.value).is_some())
            .map(|found| found.value.clone())
            .collect();
        skus.dedup();
        skus
    }

    /// Links an item: customer, order and delivery links with confidence and evidence.
    /// Links at or above the apply threshold are applied, weaker ones are suggestions.
    pub fn link(&self, input: &LinkInput<'_>) -> Vec<NewLink> {
        self.link_and_skus(input).0
    }

    /// Links an item (see [`Linker::link`]) and returns the SKUs of known products named in
    /// it (see [`Linker::skus`]), reading its text once for both.
    pub fn link_and_skus(&self, input: &LinkInput<'_>) -> (Vec<NewLink>, Vec<String>) {
        let segments = Segments::of(input.subject, input.text);
        let extracted = extract(
            &segments,
            &self.patterns.customer_label,
            &self.patterns.reference_label,
        );
        let skus = self.skus(&extracted);
        let collector = Collector {
            snapshot: &self.snapshot,
            patterns: &self.patterns,
            names: self.names.as_ref(),
            own_numbers: &self.own_numbers,
            own_domains: &self.config.own_domains,
            free_mail_domains: &self.config.free_mail_domains,
        };
        let collected = collector.collect(input, &segments, &extracted);
        (
            decide::decide(&self.snapshot, &self.config, collected),
            skus,
        )
    }
}
