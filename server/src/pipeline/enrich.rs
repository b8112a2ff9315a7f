//! Decides what a parsed item is about and where it goes: links (with thread inheritance),
//! intent, product lines, and the routing rule's queue, skills and priority. Pure: the master
//! data and the parent's links are handed in.

use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Utc};
use switchboard_core::WorkItemId;
use switchboard_core::item::{ItemStatus, NewItem};
use switchboard_core::link::{LinkKind, NewLink};
use switchboard_core::master::MasterData;
use switchboard_core::store::{ItemPlacement, PlannedRoute};
use switchboard_router::rules::facts::{CustomerFacts, ItemFacts, OrderFacts};
use switchboard_router::rules::{ValidRuleSet, default_rule_set, plan, validate};
use switchboard_router::sla::{SharedSlaPolicy, SlaPolicy};
use switchboard_search::IntentClassifier;
use switchboard_search::intent::product_lines;
use switchboard_search::linking::{
    LinkInput, Linker, LinkingConfig, MasterSnapshot, inherit_from_parent,
};

/// The earlier item a new one replies to.
#[derive(Debug, Clone, Default)]
pub struct ThreadContext {
    /// The parent item.
    pub parent: Option<Parent>,
    /// The parent's links, inherited when the reply has no stronger evidence.
    pub parent_links: Vec<NewLink>,
}

/// Where a reply's parent is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// Stored already.
    Stored(WorkItemId),
    /// Written in the same transaction before the reply, at this position (the store joins
    /// them).
    Unwritten(usize),
}

impl Parent {
    /// The parent's id, when it is stored.
    pub fn stored(self) -> Option<WorkItemId> {
        match self {
            Self::Stored(item) => Some(item),
            Self::Unwritten(_) => None,
        }
    }

    /// The parent's position among the items written with the reply, when it is not stored.
    pub fn unwritten(self) -> Option<usize> {
        match self {
            Self::Unwritten(position) => Some(position),
            Self::Stored(_) => None,
        }
    }
}

/// What an item says about itself, whatever thread it is in ([`Enricher::analyse`]).
pub struct Analysis {
    /// The linker it was read with: placing it uses the same master data.
    linker: Arc<Linker>,
    own_links: Vec<NewLink>,
    intent: Option<switchboard_core::item::Intent>,
    product_lines: Vec<String>,
}

/// Links, classifies and places items.
pub struct Enricher {
    /// Swapped whole when master data changes ([`Enricher::relink`]); an item being placed
    /// keeps the linker it started with.
    linker: RwLock<Arc<Linker>>,
    linking: LinkingConfig,
    classifier: IntentClassifier,
    rules: ValidRuleSet,
    /// The version of `rules` (0: the built-in set), stamped on the routes planned at intake.
    rules_version: i64,
    /// Replaced whole when an admin changes the SLA settings.
    sla: SharedSlaPolicy,
}

impl Enricher {
    /// Builds the enricher from master data, linking settings, a routing rule set with its
    /// version (the built-in set, version 0, when none is given) and the SLA policy.
    pub fn build(
        master: MasterData,
        linking: LinkingConfig,
        rules: Option<(i64, ValidRuleSet)>,
        sla: SlaPolicy,
    ) -> anyhow::Result<Self> {
        let linker = RwLock::new(Arc::new(build_linker(master, &linking)?));
        let classifier = IntentClassifier::with_defaults()?;
        let (rules_version, rules) = match rules {
            Some(versioned) => versioned,
            None => (
                0,
                validate(&default_rule_set()).map_err(|errors| {
                    anyhow::anyhow!("the default rule set is invalid: {errors:?}")
                })?,
            ),
        };
        Ok(Self {
            linker,
            linking,
            classifier,
            rules,
            rules_version,
            sla: SharedSlaPolicy::new(sla),
        })
    }

    /// Links the next items against `master` (a remembered contact, an import).
    pub fn relink(&self, master: MasterData) -> anyhow::Result<()> {
        let linker = Arc::new(build_linker(master, &self.linking)?);
        *self.linker.write().unwrap_or_else(PoisonError::into_inner) = linker;
        Ok(())
    }

    fn linker(&self) -> Arc<Linker> {
        Arc::clone(&self.linker.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Returns the placement of a parsed item that reached Switchboard at `queued_at` (when it
    /// landed: its SLA clock starts then).
    pub fn placement(
        &self,
        item: &NewItem,
        thread: &ThreadContext,
        queued_at: DateTime<Utc>,
    ) -> ItemPlacement {
        self.place(item, self.analyse(item), thread, queued_at)
    }

    /// Reads what an item says about itself: the costly half of placing it, which needs no
    /// thread, so it is done where the item is parsed (on every core) and a reply waits only
    /// for [`Enricher::place`].
    pub fn analyse(&self, item: &NewItem) -> Analysis {
        let linker = self.linker();
        let (own_links, skus) = linker.link_and_skus(&LinkInput::from_item(item));
        let classification =
            self.classifier
                .classify(item.subject.as_deref(), &item.text, item.language);
        let intent = item
            .noise
            .is_none()
            .then_some(classification.intent)
            .flatten();
        let product_lines = product_lines(
            &self.classifier,
            linker.snapshot(),
            &skus,
            item.subject.as_deref(),
            &item.text,
        )
        .lines;
        Analysis {
            linker,
            own_links,
            intent,
            product_lines,
        }
    }

    /// Places an analysed item in its thread: links inherited from the parent, the routing
    /// rule's queue, skills and priority, and the SLA clock from `queued_at`.
    pub fn place(
        &self,
        item: &NewItem,
        analysis: Analysis,
        thread: &ThreadContext,
        queued_at: DateTime<Utc>,
    ) -> ItemPlacement {
        let Analysis {
            linker,
            own_links,
            intent,
            product_lines: lines,
        } = analysis;
        let links = if thread.parent.is_some() {
            inherit_from_parent(
                own_links,
                &thread.parent_links,
                linker.config().apply_threshold,
            )
        } else {
            own_links
        };
        let facts = routing_facts(linker.snapshot(), item, &links, intent, &lines);
        // The whole route is planned here, as the router would plan it (the rule's steps,
        // stamped with the rule set's version), so the router only routes the item. Until the
        // first step relaxes, its requirements are the item's.
        let route = plan(&self.rules, &facts, item.received_at);
        let is_noise = item.noise.is_some();
        let sla = (!is_noise)
            .then(|| {
                self.sla
                    .current()
                    .clock(Some(&route.queue), item.channel, queued_at)
            })
            .flatten();
        let required_skills = if is_noise {
            Vec::new()
        } else {
            route.first_required()
        };
        // A plan that cannot be written down is left to the router to plan again.
        let planned = (!is_noise)
            .then(|| serde_json::value::to_raw_value(&route).ok())
            .flatten()
            .map(|plan| PlannedRoute {
                plan,
                rule_set_version: self.rules_version,
            });
        ItemPlacement {
            status: if is_noise {
                ItemStatus::Discarded
            } else {
                ItemStatus::Queued
            },
            priority: route.priority,
            queue: (!is_noise).then_some(route.queue),
            required_skills,
            links,
            parent_id: thread.parent.and_then(Parent::stored),
            intent,
            product_lines: lines,
            sla,
            route: planned,
        }
    }

    /// The SLA policy items are placed with now.
    pub fn sla(&self) -> std::sync::Arc<SlaPolicy> {
        self.sla.current()
    }

    /// The shared SLA policy, to replace when the settings change.
    pub fn shared_sla(&self) -> SharedSlaPolicy {
        self.sla.clone()
    }
}

/// Builds the linker over a snapshot of `master`.
fn build_linker(master: MasterData, linking: &LinkingConfig) -> anyhow::Result<Linker> {
    let snapshot = Arc::new(MasterSnapshot::build(master, linking));
    Ok(Linker::new(linking.clone(), snapshot)?)
}

/// The facts routing rules see of an item.
fn routing_facts(
    snapshot: &MasterSnapshot,
    item: &NewItem,
    links: &[NewLink],
    intent: Option<switchboard_core::item::Intent>,
    product_lines: &[String],
) -> ItemFacts {
    let applied = |kind: LinkKind| {
        links
            .iter()
            .filter(move |link| link.applied && link.kind == kind)
            .map(|link| link.key.as_str())
    };
    let customer = applied(LinkKind::Customer)
        .next()
        .and_then(|number| snapshot.customer_by_number(number))
        .and_then(|position| snapshot.customer(position))
        .map(|customer| CustomerFacts {
            number: customer.customer_no.to_string(),
            segment: customer.segment.clone(),
            language: customer.language.clone(),
            country: customer.country.clone(),
            account_manager: customer.account_manager.clone(),
        });
    let orders = applied(LinkKind::Order)
        .filter_map(|number| snapshot.order(number))
        .map(|order| OrderFacts {
            number: order.order_no.to_string(),
            status: order.status.clone(),
        })
        .collect();
    let mut facts = ItemFacts::new(item.channel, item.received_at);
    facts.language = item.language;
    facts.noise = item.noise;
    facts.intent = intent;
    facts.subject = item.subject.clone();
    facts.sender_email = item.sender.email.clone();
    facts.product_lines = product_lines.to_vec();
    facts.customer = customer;
    facts.orders = orders;
    facts
}

/// Builds the failed item that keeps an unreadable input visible.
pub fn failed_item(
    channel: switchboard_core::item::Channel,
    source: &str,
    received_at: DateTime<Utc>,
    reason: &str,
) -> (NewItem, ItemPlacement) {
    let mut item = NewItem::new(channel, source, received_at, "");
    item.warnings.push(format!("intake failed: {reason}"));
    let placement = ItemPlacement {
        status: ItemStatus::Failed,
        ..ItemPlacement::default()
    };
    (item, placement)
}
