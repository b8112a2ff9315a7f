//! Where items sit as time passes: taking items in, settling expired offers, placing items in
//! their buckets (or holding them), and re-keying items whose priority aged.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};
use switchboard_core::user::AgentStatus;

use super::facts::{self, declined_key, facts_of};
use super::groups::GroupKey;
use super::{Place, RoutingIndex, Slot};
use crate::explain::{Decision, Outcome};
use crate::model::WaitingItem;
use crate::policy::prepare::{OrderKey, effective_priority, hold_reason};

impl RoutingIndex {
    pub(super) fn advance(&mut self, now: DateTime<Utc>) {
        if now != self.now {
            self.agents.new_instant();
            self.now = now;
        }
        while let Some(&Reverse((at, slot, generation))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some(entry) = self.slots.get(slot as usize).and_then(Option::as_ref) else {
                continue;
            };
            if entry.generation != generation {
                continue;
            }
            if entry
                .item
                .state
                .offer
                .is_some_and(|offer| offer.expires_at <= now)
            {
                self.expire_offer(slot);
                self.place(slot);
                continue;
            }
            let regroup = entry
                .facts
                .as_ref()
                .is_none_or(|facts| facts.regroup_at.is_none_or(|at| at <= now));
            if regroup {
                self.place(slot);
            } else {
                self.reage(slot);
            }
        }
    }

    /// Re-keys a waiting item whose priority aged, within its bucket.
    fn reage(&mut self, slot: u32) {
        let now = self.now;
        let Some(entry) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else {
            return;
        };
        let (Place::Waiting { bucket, key }, Some(facts)) = (entry.place, entry.facts.as_mut())
        else {
            return;
        };
        let queue = &self.queues.list[usize::from(facts.home)];
        let (priority, aging_at) = effective_priority(&entry.item, queue, now);
        entry.generation = entry.generation.wrapping_add(1);
        let generation = entry.generation;
        facts.changes_at = facts::next_change(facts.regroup_at, aging_at, now);
        let (changes_at, regroup_at) = (facts.changes_at, facts.regroup_at);
        let aged = priority.total_cmp(&key.priority).is_ne();
        if aged {
            let new_key = OrderKey { priority, ..key };
            facts.key = new_key;
            entry.place = Place::Waiting {
                bucket,
                key: new_key,
            };
            let removed = self.groups.remove(bucket, key, slot);
            let inserted = self.groups.insert(bucket, new_key, slot);
            if (removed || inserted)
                && self.groups.is_dirty(bucket)
                && let Some((head, _)) = self.groups.head(bucket)
            {
                self.dirty_buckets.push(Reverse((head, bucket)));
            }
        }
        self.schedule(slot, generation, changes_at, regroup_at);
    }

    /// Takes ownership of an item, settling an offer that has already expired.
    pub(super) fn adopt(&mut self, item: WaitingItem) -> u32 {
        let id = item.id;
        let preferred = item.preferred_agent;
        let slot = match self.free_slots.pop() {
            Some(free) => free,
            None => {
                self.slots.push(None);
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.slots[slot as usize] = Some(Slot {
            item,
            place: Place::Held,
            facts: None,
            generation: 0,
        });
        self.by_item.insert(id, slot);
        if let Some(agent) = preferred {
            self.preferring.entry(agent).or_default().push(slot);
        }
        let expired = self.slot(slot).and_then(|entry| {
            entry
                .item
                .state
                .offer
                .filter(|offer| offer.expires_at <= self.now)
        });
        if expired.is_some() {
            self.expire_offer(slot);
        }
        slot
    }

    /// Settles an expired offer: the agent's units come back, the miss is counted (and may make
    /// the agent not responding), and the item counts the agent as having declined.
    pub(super) fn expire_offer(&mut self, slot: u32) {
        let cost_of = |item: &WaitingItem| self.config.costs.cost(item.channel);
        let Some(entry) = self.slot(slot) else { return };
        let Some(offer) = entry.item.state.offer else {
            return;
        };
        let cost = cost_of(&entry.item);
        let item_id = entry.item.id;
        self.notices.push_back(Decision::OfferExpired {
            item: item_id,
            agent: offer.agent,
        });
        if let Some(row) = self.agents.row_of(offer.agent) {
            let limit = self.config.not_responding_after;
            let stopped = self.agents.update(row, |profile| {
                profile.load_units = profile.load_units.saturating_sub(cost);
                profile.missed_offers += 1;
                let stops =
                    profile.missed_offers >= limit && profile.status == AgentStatus::Available;
                if stops {
                    profile.status = AgentStatus::NotResponding;
                }
                stops.then_some(profile.missed_offers)
            });
            if let Some(missed_offers) = stopped {
                self.notices.push_back(Decision::MarkNotResponding {
                    agent: offer.agent,
                    missed_offers,
                });
            }
            self.mark_agent_dirty(row);
        }
        if let Some(entry) = self.slot_mut(slot) {
            entry.item.state.offer = None;
            if !entry.item.state.declined_by.contains(&offer.agent) {
                entry.item.state.declined_by.push(offer.agent);
            }
        }
    }

    /// Puts an item where it belongs now: held, or in its bucket (marked dirty unless the
    /// bucket is parked and already holds items, which then share its verdict).
    pub(super) fn place(&mut self, slot: u32) {
        self.unplace(slot);
        let now = self.now;
        let Some(entry) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else {
            return;
        };
        entry.generation = entry.generation.wrapping_add(1);
        let generation = entry.generation;
        let hold_until = match hold_reason(&entry.item, now) {
            Some(Outcome::OfferPending { expires_at, .. }) => Some(Some(expires_at)),
            Some(Outcome::CoolingDown { until }) => Some(Some(until)),
            Some(_) => Some(None),
            None => None,
        };
        if let Some(until) = hold_until {
            entry.facts = None;
            if let Some(until) = until {
                self.schedule(slot, generation, Some(until), Some(until));
            }
            return;
        }
        let cost = self.config.costs.cost(entry.item.channel);
        let Some(facts) = facts_of(
            &self.queues,
            &self.agents,
            &mut self.vocabulary,
            &entry.item,
            cost,
            now,
        ) else {
            entry.facts = None;
            return;
        };
        let key = GroupKey {
            home: facts.home,
            access: facts.access.clone(),
            needs: facts.needs.clone(),
            reserved_for: facts.reserved_for,
            declined: declined_key(&entry.item.state.declined_by),
        };
        let (changes_at, regroup_at) = (facts.changes_at, facts.regroup_at);
        let order = facts.key;
        entry.facts = Some(facts);
        let strategy = self.queues.list[usize::from(key.home)].strategy;
        let group = self.groups.intern(
            key,
            &self.agents,
            &self.rosters,
            strategy,
            self.config.explain_limit,
        );
        let bucket = self.groups.bucket(group, self.groups.class_of(cost));
        self.schedule(slot, generation, changes_at, regroup_at);
        let was_empty = self.groups.head(bucket).is_none();
        let new_head = self.groups.insert(bucket, order, slot);
        if let Some(entry) = self.slot_mut(slot) {
            entry.place = Place::Waiting { bucket, key: order };
        }
        self.open_cost = self.open_cost.min(cost);
        if was_empty && !self.groups.is_dirty(bucket) {
            self.groups.set_dirty(bucket, true);
            self.dirty_buckets.push(Reverse((order, bucket)));
        } else if new_head && self.groups.is_dirty(bucket) {
            self.dirty_buckets.push(Reverse((order, bucket)));
        }
    }

    /// Takes an item out of its bucket, if it waits in one.
    pub(super) fn unplace(&mut self, slot: u32) {
        let Some(entry) = self.slot_mut(slot) else {
            return;
        };
        let Place::Waiting { bucket, key } = entry.place else {
            return;
        };
        entry.place = Place::Held;
        if self.groups.remove(bucket, key, slot)
            && self.groups.is_dirty(bucket)
            && let Some((head, _)) = self.groups.head(bucket)
        {
            self.dirty_buckets.push(Reverse((head, bucket)));
        }
    }

    /// Forgets an item entirely.
    pub(super) fn drop_slot(&mut self, slot: u32) {
        self.unplace(slot);
        if let Some(entry) = self.slots.get_mut(slot as usize).and_then(Option::take) {
            self.by_item.remove(&entry.item.id);
            self.free_slots.push(slot);
        }
    }
}
