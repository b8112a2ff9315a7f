//! A routing index that lives between events: built once from a [`Snapshot`], then kept up to
//! date by events (an item queued, an agent available, capacity changed, an offer answered) so
//! each decision is one step against prepared state.
//!
//! Items sit in buckets (a group of items sharing queues, needs, reservation and declines, and
//! one capacity cost). A bucket is *dirty* while some agent might take its best item, and
//! *parked* once no agent could: parked buckets stay parked until an agent they fit gets room
//! (that agent turns *dirty* and looks for its best item among its groups' heads) or an item
//! moves in. A decision is the best item (global item order) among dirty bucket heads and the
//! dirty agents' best items, handed to its best agent, exactly as [`super::assign`] would.

mod agents;
mod bits;
mod events;
mod facts;
mod groups;
mod pick;
mod placement;
mod rosters;
mod vocabulary;
mod waiting;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};
use switchboard_core::queue::OfferMode;
use switchboard_core::{UserId, WorkItemId};

use self::agents::AgentRows;
use self::facts::{Facts, Queues, item_explanation};
use self::groups::Groups;
use self::rosters::Rosters;
use self::vocabulary::Vocabulary;
use super::prepare::OrderKey;
use crate::explain::{Decision, ExclusionTally, Outcome};
use crate::model::{PendingOffer, PolicyConfig, Snapshot, WaitingItem};

/// Dirty agents beyond this many wake their buckets instead of scanning their groups.
const DIRTY_AGENT_LIMIT: usize = 4;

/// Where an item is: waiting in a bucket, or held (offer open, cooling down, unknown queue).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Place {
    Waiting { bucket: usize, key: OrderKey },
    Held,
}

/// An item the index knows, with its facts while it waits.
struct Slot {
    item: WaitingItem,
    place: Place,
    facts: Option<Facts>,
    generation: u32,
}

/// The event-driven router state; see the module documentation.
pub struct RoutingIndex {
    queues: Queues,
    config: PolicyConfig,
    vocabulary: Vocabulary,
    agents: AgentRows,
    rosters: Rosters,
    groups: Groups,
    slots: Vec<Option<Slot>>,
    free_slots: Vec<u32>,
    by_item: HashMap<WorkItemId, u32>,
    preferring: HashMap<UserId, Vec<u32>>,
    /// When to look at an item again (slot and generation), at the exact moment: a clock
    /// within the same millisecond but before it must not find the change made yet.
    timers: BinaryHeap<Reverse<(DateTime<Utc>, u32, u32)>>,
    /// The moments of `timers` that change where an item may go (offers time out, cool-downs
    /// end, steps relax, reservations and secondary delays end), without priority aging.
    due: BinaryHeap<Reverse<(DateTime<Utc>, u32, u32)>>,
    dirty_buckets: BinaryHeap<Reverse<(OrderKey, usize)>>,
    dirty_agents: Vec<u32>,
    notices: VecDeque<Decision>,
    now: DateTime<Utc>,
    open_cost: u32,
    /// The best candidates of the last [`Self::pick_for`], best first.
    ranked: Vec<pick::Ranked>,
}

impl RoutingIndex {
    /// Indexes a snapshot as of `now`; expired offers and agents that stop responding come out
    /// first from [`Self::next_decision`], as in [`super::assign`].
    pub fn new(snapshot: &Snapshot, now: DateTime<Utc>) -> Self {
        let queues = Queues::new(snapshot.queues.clone());
        let mut vocabulary = Vocabulary::default();
        let mut costs: Vec<u32> = switchboard_core::item::Channel::ALL
            .iter()
            .map(|&channel| snapshot.config.costs.cost(channel))
            .collect();
        costs.sort_unstable();
        costs.dedup();
        let mut agents = AgentRows::new(costs.clone());
        for agent in &snapshot.agents {
            agents.upsert(
                agent.clone(),
                &mut vocabulary,
                |id| queues.row(*id),
                queues.list.len(),
            );
        }
        let rosters = Rosters::build(&agents, vocabulary.len(), queues.list.len());
        let groups = Groups::new(costs, agents.len());
        let mut index = Self {
            queues,
            config: snapshot.config.clone(),
            vocabulary,
            agents,
            rosters,
            groups,
            slots: Vec::with_capacity(snapshot.items.len()),
            free_slots: Vec::new(),
            by_item: HashMap::with_capacity(snapshot.items.len()),
            preferring: HashMap::new(),
            timers: BinaryHeap::new(),
            due: BinaryHeap::new(),
            dirty_buckets: BinaryHeap::new(),
            dirty_agents: Vec::new(),
            notices: VecDeque::new(),
            now,
            open_cost: u32::MAX,
            ranked: Vec::with_capacity(snapshot.config.explain_limit),
        };
        let mut adopted = Vec::with_capacity(snapshot.items.len());
        for item in &snapshot.items {
            adopted.push(index.adopt(item.clone()));
        }
        for slot in adopted {
            index.place(slot);
        }
        index
    }

    /// Returns the time the index is at.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Returns the next decision at `now`: timer outcomes (expired offers, agents no longer
    /// responding, cool-downs) and assignments or offers, best item first; `None` when no
    /// agent can take any waiting item. Decisions it returns are already applied to the index.
    pub fn next_decision(&mut self, now: DateTime<Utc>) -> Option<Decision> {
        self.advance(now);
        // The dirty agents' best item, found once per call: parking a bucket changes no
        // bucket head, and a cool-down returns its notices before this is read again.
        let mut agents_best: Option<Option<(OrderKey, u32)>> = None;
        loop {
            if let Some(notice) = self.notices.pop_front() {
                return Some(notice);
            }
            if self.dirty_agents.len() > DIRTY_AGENT_LIMIT {
                self.wake_dirty_agents();
                agents_best = None;
            }
            let from_buckets = self.peek_dirty_bucket();
            let from_agents = match agents_best {
                Some(found) => found,
                None => *agents_best.insert(self.best_of_dirty_agents()),
            };
            match (from_buckets, from_agents) {
                (None, None) => return None,
                (Some((key, bucket)), agent)
                    if agent.is_none_or(|(agent_key, _)| key <= agent_key) =>
                {
                    if let Some(decision) = self.examine_bucket(bucket) {
                        return Some(decision);
                    }
                }
                (_, Some((_, slot))) => {
                    if let Some(decision) = self.examine_item(slot) {
                        return Some(decision);
                    }
                    debug_assert!(false, "a dirty agent's item found no agent");
                    self.dirty_agents.clear();
                    agents_best = None;
                }
                (Some(_), None) => return None,
            }
        }
    }

    /// Moves the index to `now` between events, so decisions find the time-driven work done:
    /// a new instant forgets the per-instant tie-break, and items whose facts change by then
    /// (offers time out, cool-downs end, steps relax, reservations and secondary delays end,
    /// priorities age) are re-placed. [`Self::next_decision`] does the same when not yet done.
    pub fn on_tick(&mut self, now: DateTime<Utc>) {
        self.advance(now);
    }

    /// The next moment, after the index's time, at which an item becomes routable or changes
    /// where it may go without an event (an offer times out, a cool-down or reservation ends, a
    /// step relaxes, a secondary delay ends); `None` when there is none. Priority aging is left
    /// out: it reorders waiting items but makes none of them routable.
    pub fn next_due(&mut self) -> Option<DateTime<Utc>> {
        while let Some(&Reverse((at, slot, generation))) = self.due.peek() {
            let current = self
                .slot(slot)
                .is_some_and(|entry| entry.generation == generation);
            if current && at > self.now {
                return Some(at);
            }
            self.due.pop();
        }
        None
    }

    /// Schedules `slot` (at `generation`) to be looked at again when its facts change
    /// (`changes_at`), and records when where it may go changes (`regroup_at`, for
    /// [`Self::next_due`]).
    fn schedule(
        &mut self,
        slot: u32,
        generation: u32,
        changes_at: Option<DateTime<Utc>>,
        regroup_at: Option<DateTime<Utc>>,
    ) {
        if let Some(at) = changes_at {
            self.timers.push(Reverse((at, slot, generation)));
        }
        if let Some(at) = regroup_at {
            self.due.push(Reverse((at, slot, generation)));
        }
    }

    fn slot(&self, slot: u32) -> Option<&Slot> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, slot: u32) -> Option<&mut Slot> {
        self.slots.get_mut(slot as usize).and_then(Option::as_mut)
    }

    fn mark_agent_dirty(&mut self, row: usize) {
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        if !self.dirty_agents.contains(&row) {
            self.dirty_agents.push(row);
        }
    }

    /// Returns the best dirty bucket's head, dropping stale heap entries.
    fn peek_dirty_bucket(&mut self) -> Option<(OrderKey, usize)> {
        while let Some(&Reverse((key, bucket))) = self.dirty_buckets.peek() {
            let current = self.groups.head(bucket).map(|(head, _)| head);
            if self.groups.is_dirty(bucket) && current == Some(key) {
                return Some((key, bucket));
            }
            self.dirty_buckets.pop();
        }
        None
    }

    /// Returns the best item any dirty agent could take; agents with none turn clean.
    fn best_of_dirty_agents(&mut self) -> Option<(OrderKey, u32)> {
        let mut best: Option<(OrderKey, u32)> = None;
        let mut position = 0;
        while position < self.dirty_agents.len() {
            let row = self.dirty_agents[position] as usize;
            let found = self.best_for_agent(row);
            match found {
                None => {
                    self.dirty_agents.swap_remove(position);
                }
                Some(found) => {
                    if best.is_none_or(|current| found < current) {
                        best = Some(found);
                    }
                    position += 1;
                }
            }
        }
        best
    }

    fn best_for_agent(&self, row: usize) -> Option<(OrderKey, u32)> {
        self.agents.check_status(row).ok()?;
        self.agents.check_cap(row).ok()?;
        let free = self.agents.rows[row].profile.free_units();
        if self
            .groups
            .costs
            .first()
            .is_none_or(|&cheapest| free < cheapest)
        {
            return None;
        }
        self.groups.best_for_agent(row, self.agents.id(row), free)
    }

    /// Marks every non-empty bucket a dirty agent fits (and can afford) dirty, then forgets
    /// the dirty agents: the bucket heap then finds their work in item order.
    fn wake_dirty_agents(&mut self) {
        let rows = std::mem::take(&mut self.dirty_agents);
        for row in rows {
            let row = row as usize;
            if self.agents.check_status(row).is_err() || self.agents.check_cap(row).is_err() {
                continue;
            }
            let free = self.agents.rows[row].profile.free_units();
            let classes = self.groups.costs.len();
            for position in 0..self.groups.by_agent[row].len() {
                let group = self.groups.by_agent[row][position];
                for class in 0..classes {
                    if self.groups.costs[class] > free {
                        continue;
                    }
                    let bucket = self.groups.bucket(group, class);
                    if self.groups.is_dirty(bucket) {
                        continue;
                    }
                    if let Some((head, _)) = self.groups.head(bucket) {
                        self.groups.set_dirty(bucket, true);
                        self.dirty_buckets.push(Reverse((head, bucket)));
                    }
                }
            }
        }
    }

    /// Tries a dirty bucket's best item: hands it out, or parks (or cools down) the bucket.
    fn examine_bucket(&mut self, bucket: usize) -> Option<Decision> {
        let (_, slot) = self.groups.head(bucket)?;
        let picked = self.pick_for(bucket);
        if let Some(row) = picked.best {
            return self.hand_out(slot, row);
        }
        self.dirty_buckets.pop();
        self.groups.set_dirty(bucket, false);
        if picked.everyone_declined {
            self.cool_down_bucket(bucket);
        }
        None
    }

    /// Hands a dirty agent's best item to its best agent.
    fn examine_item(&mut self, slot: u32) -> Option<Decision> {
        let Place::Waiting { bucket, .. } = self.slot(slot)?.place else {
            return None;
        };
        let picked = self.pick_for(bucket);
        self.hand_out(slot, picked.best?)
    }

    /// Picks the agent for a bucket's items, leaving the best candidates in `self.ranked` for
    /// the explanation of [`Self::hand_out`].
    fn pick_for(&mut self, bucket: usize) -> pick::Pick {
        let (group, class) = self.groups.split(bucket);
        let open_class = self
            .groups
            .costs
            .iter()
            .position(|&cost| cost == self.open_cost);
        pick::pick(
            &self.agents,
            &self.groups.list[group as usize],
            class,
            open_class,
            &mut self.ranked,
            self.config.explain_limit,
        )
    }

    /// Every open agent declined the items of this bucket: they rest for the queue's cool-down.
    fn cool_down_bucket(&mut self, bucket: usize) {
        let slots: Vec<u32> = self.groups.items(bucket).map(|&(_, slot)| slot).collect();
        for slot in slots {
            let Some(entry) = self.slot(slot) else {
                continue;
            };
            let Some(facts) = entry.facts.as_ref() else {
                continue;
            };
            let seconds = i64::from(self.queues.list[usize::from(facts.home)].cooldown_seconds);
            let until = self.now + Duration::seconds(seconds);
            let mut explanation = self.explain_waiting_slot(slot);
            explanation.outcome = Outcome::CoolingDown { until };
            let item = entry.item.id;
            if let Some(entry) = self.slot_mut(slot) {
                entry.item.state.cool_down(until);
            }
            self.place(slot);
            self.notices.push_back(Decision::CoolDown {
                item,
                until,
                explanation: Box::new(explanation),
            });
        }
    }

    /// Gives an item to an agent: builds the decision with its explanation (the scores from the
    /// candidates [`Self::pick_for`] just ranked for its bucket) and applies it.
    fn hand_out(&mut self, slot: u32, row: usize) -> Option<Decision> {
        let now = self.now;
        let limit = self.config.explain_limit;
        let entry = self.slots.get(slot as usize).and_then(Option::as_ref)?;
        let facts = entry.facts.as_ref()?;
        let agent = self.agents.id(row);
        let queue = &self.queues.list[usize::from(facts.home)];
        let outcome = match (facts.reserved_for.is_some(), queue.offer_mode) {
            (true, _) => Outcome::PreferredAgent { agent },
            (false, OfferMode::AutoAssign) => Outcome::Assigned { agent },
            (false, OfferMode::Offer) => Outcome::Offered { agent },
        };
        let Place::Waiting { bucket, .. } = entry.place else {
            return None;
        };
        let (group, class) = self.groups.split(bucket);
        let group = &self.groups.list[group as usize];
        let mut tally = ExclusionTally::with_capacity(limit);
        tally.merge(&group.static_excluded, limit);
        pick::exclusions(&mut tally, &self.agents, group, class, facts.cost, limit);
        let scored = pick::scored(&self.ranked, group.strategy, now);
        let mut explanation = item_explanation(
            &self.queues.list,
            &entry.item,
            facts,
            self.agents.len(),
            now,
            outcome,
        );
        explanation.excluded_counts = tally.count_list();
        explanation.excluded = tally.listed;
        explanation.scored = scored;
        let item = entry.item.id;
        let cost = facts.cost;
        let offer_mode = queue.offer_mode;
        let expires_at = now + Duration::seconds(i64::from(queue.offer_timeout_seconds));
        self.agents.take(row, cost, now);
        match offer_mode {
            OfferMode::AutoAssign => {
                self.drop_slot(slot);
                Some(Decision::Assign {
                    item,
                    agent,
                    explanation: Box::new(explanation),
                })
            }
            OfferMode::Offer => {
                if let Some(entry) = self.slot_mut(slot) {
                    entry.item.state.offer = Some(PendingOffer { agent, expires_at });
                }
                self.place(slot);
                Some(Decision::Offer {
                    item,
                    agent,
                    expires_at,
                    explanation: Box::new(explanation),
                })
            }
        }
    }
}
