//! Events that keep the index up to date between decisions. Decisions the index returns are
//! already applied; these report what happened elsewhere.

use switchboard_core::user::AgentStatus;
use switchboard_core::{UserId, WorkItemId};

use super::RoutingIndex;
use crate::explain::Decision;
use crate::model::{Agent, WaitingItem};

impl RoutingIndex {
    /// Adds a waiting item; an item the index already holds is replaced.
    pub fn on_item_queued(&mut self, item: WaitingItem) {
        if let Some(&slot) = self.by_item.get(&item.id) {
            self.drop_slot(slot);
        }
        let slot = self.adopt(item);
        self.place(slot);
    }

    /// Forgets an item (done, discarded, moved by a lead); returns whether it was known.
    pub fn on_item_removed(&mut self, item: WorkItemId) -> bool {
        let Some(&slot) = self.by_item.get(&item) else {
            return false;
        };
        self.drop_slot(slot);
        true
    }

    /// Records an agent's presence; an agent becoming available looks for work.
    pub fn on_agent_status_changed(&mut self, agent: UserId, status: AgentStatus) {
        let Some(row) = self.agents.row_of(agent) else {
            return;
        };
        self.agents.update(row, |profile| {
            profile.status = status;
            if status == AgentStatus::Available {
                profile.missed_offers = 0;
            }
        });
        if status == AgentStatus::Available {
            self.mark_agent_dirty(row);
        }
        self.replace_preferring(agent);
    }

    /// Records an agent's capacity and load (after finishing an item, or an admin change).
    pub fn on_agent_capacity_changed(
        &mut self,
        agent: UserId,
        capacity_units: u32,
        load_units: u32,
    ) {
        let Some(row) = self.agents.row_of(agent) else {
            return;
        };
        let more_room = self.agents.update(row, |profile| {
            let before = profile.free_units();
            profile.capacity_units = capacity_units;
            profile.load_units = load_units;
            profile.free_units() > before
        });
        if more_room {
            self.mark_agent_dirty(row);
        }
    }

    /// Records an agent's full profile (presence, capacity, load, fairness count, skills,
    /// queues). Skill or queue changes re-index every group, which is slow but rare.
    pub fn on_agent_available(&mut self, agent: Agent) {
        let known = self.agents.row_of(agent.id);
        let same_profile = known.is_some_and(|row| {
            let current = &self.agents.rows[row].profile;
            current.skills == agent.skills
                && current.primary_queues == agent.primary_queues
                && current.secondary_queues == agent.secondary_queues
        });
        let Some(row) = known.filter(|_| same_profile) else {
            let mut snapshot = self.to_snapshot();
            match snapshot
                .agents
                .iter_mut()
                .find(|known| known.id == agent.id)
            {
                Some(slot) => *slot = agent,
                None => snapshot.agents.push(agent),
            }
            self.rebuild(&snapshot);
            return;
        };
        let id = agent.id;
        self.agents.replace_profile(row, agent);
        self.mark_agent_dirty(row);
        self.replace_preferring(id);
    }

    /// Takes a fresh read of every agent: an agent whose profile differs from the index's is
    /// replaced ([`Self::on_agent_available`]); when agents came or went, the index is built
    /// again from its items and the agents read.
    pub fn on_agents_read(&mut self, agents: &[Agent]) {
        let same_roster = agents.len() == self.agents.len()
            && agents
                .iter()
                .all(|agent| self.agents.row_of(agent.id).is_some());
        if !same_roster {
            let mut snapshot = self.to_snapshot();
            snapshot.agents = agents.to_vec();
            self.rebuild(&snapshot);
            return;
        }
        for agent in agents {
            let changed = self
                .agents
                .row_of(agent.id)
                .is_some_and(|row| self.agents.rows[row].profile != *agent);
            if changed {
                self.on_agent_available(agent.clone());
            }
        }
    }

    /// Builds the index again from `snapshot` at its time, keeping the notices not yet
    /// returned ahead of the new ones.
    fn rebuild(&mut self, snapshot: &crate::model::Snapshot) {
        let mut notices = std::mem::take(&mut self.notices);
        *self = Self::new(snapshot, self.now);
        notices.append(&mut self.notices);
        self.notices = notices;
    }

    /// Records that an agent accepted an offer: the item is theirs and leaves the index.
    pub fn on_offer_accepted(&mut self, item: WorkItemId) -> bool {
        self.on_item_removed(item)
    }

    /// Records an agent's reject: their units come back and the item is routed again
    /// without them.
    pub fn on_offer_rejected(&mut self, item: WorkItemId, agent: UserId) {
        let Some(&slot) = self.by_item.get(&item) else {
            return;
        };
        let costs = self.config.costs;
        let Some(entry) = self.slot_mut(slot) else {
            return;
        };
        let had_offer = entry
            .item
            .state
            .offer
            .is_some_and(|offer| offer.agent == agent);
        entry.item.state.reject(agent);
        let cost = costs.cost(entry.item.channel);
        if had_offer && let Some(row) = self.agents.row_of(agent) {
            self.agents.update(row, |profile| {
                profile.load_units = profile.load_units.saturating_sub(cost);
                profile.missed_offers = 0;
            });
            self.mark_agent_dirty(row);
        }
        self.place(slot);
    }

    /// Applies a decision taken outside the index (a pull, a lead's override, another
    /// router's round); decisions the index returned itself are already applied.
    pub fn apply(&mut self, decision: &Decision) {
        match decision {
            Decision::Assign { item, agent, .. } | Decision::Offer { item, agent, .. } => {
                let Some(&slot) = self.by_item.get(item) else {
                    return;
                };
                let costs = self.config.costs;
                let Some(entry) = self.slot_mut(slot) else {
                    return;
                };
                let cost = costs.cost(entry.item.channel);
                if let Decision::Offer { expires_at, .. } = decision {
                    entry.item.state.offer = Some(crate::model::PendingOffer {
                        agent: *agent,
                        expires_at: *expires_at,
                    });
                    self.place(slot);
                } else {
                    self.drop_slot(slot);
                }
                if let Some(row) = self.agents.row_of(*agent) {
                    self.agents.take(row, cost, self.now);
                }
            }
            Decision::OfferExpired { item, agent } => self.on_offer_rejected(*item, *agent),
            Decision::MarkNotResponding { agent, .. } => {
                self.on_agent_status_changed(*agent, AgentStatus::NotResponding);
            }
            Decision::CoolDown { item, until, .. } => {
                let Some(&slot) = self.by_item.get(item) else {
                    return;
                };
                if let Some(entry) = self.slot_mut(slot) {
                    entry.item.state.cool_down(*until);
                }
                self.place(slot);
            }
            Decision::Wait { .. } => {}
        }
    }

    /// Re-places items whose reservation depends on this agent's presence.
    fn replace_preferring(&mut self, agent: UserId) {
        let Some(slots) = self.preferring.remove(&agent) else {
            return;
        };
        let mut kept = Vec::with_capacity(slots.len());
        for slot in slots {
            let still = self
                .slot(slot)
                .is_some_and(|entry| entry.item.preferred_agent == Some(agent));
            if !still {
                continue;
            }
            kept.push(slot);
            let reserved_window = self
                .slot(slot)
                .and_then(|entry| entry.facts.as_ref())
                .and_then(|facts| facts.preferred)
                .is_some_and(|note| self.now < note.until);
            if reserved_window {
                self.place(slot);
            }
        }
        kept.sort_unstable();
        kept.dedup();
        self.preferring.insert(agent, kept);
    }
}
