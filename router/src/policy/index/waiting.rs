//! Explanations for items that keep waiting, built on request (once per bucket), and the
//! index's state as a snapshot.

use std::collections::HashMap;

use switchboard_core::WorkItemId;

use super::facts::{item_explanation, waiting_outcome};
use super::{Place, RoutingIndex, pick};
use crate::explain::{Decision, ExclusionTally, Explanation, Outcome};
use crate::model::Snapshot;
use crate::policy::prepare::{bare_explanation, hold_reason};

impl RoutingIndex {
    /// Returns a `Wait` decision with its explanation for every item the index holds, in the
    /// order the items came in.
    pub fn waiting(&self) -> Vec<Decision> {
        let mut tallies: HashMap<usize, ExclusionTally> = HashMap::new();
        let mut out = Vec::new();
        for (slot, entry) in self.slots.iter().enumerate() {
            let Some(entry) = entry else { continue };
            let slot = u32::try_from(slot).unwrap_or(u32::MAX);
            let explanation = match entry.place {
                Place::Waiting { bucket, .. } => {
                    let tally = tallies
                        .entry(bucket)
                        .or_insert_with(|| self.bucket_tally(bucket));
                    self.explain_with(slot, tally)
                }
                Place::Held => self.explain_waiting_slot(slot),
            };
            out.push(Decision::Wait {
                item: entry.item.id,
                explanation: Box::new(explanation),
            });
        }
        out
    }

    /// Explains why an item the index holds is still waiting.
    pub fn explain_waiting(&self, item: WorkItemId) -> Option<Explanation> {
        let slot = *self.by_item.get(&item)?;
        Some(self.explain_waiting_slot(slot))
    }

    /// Returns how many items the index holds (waiting or held).
    pub fn len(&self) -> usize {
        self.by_item.len()
    }

    /// Tells whether the index holds no item.
    pub fn is_empty(&self) -> bool {
        self.by_item.is_empty()
    }

    pub(super) fn explain_waiting_slot(&self, slot: u32) -> Explanation {
        let Some(entry) = self.slot(slot) else {
            return bare_explanation_missing(self);
        };
        match entry.place {
            Place::Waiting { bucket, .. } => {
                let tally = self.bucket_tally(bucket);
                self.explain_with(slot, &tally)
            }
            Place::Held => {
                let outcome = hold_reason(&entry.item, self.now).unwrap_or(Outcome::UnknownQueue);
                bare_explanation(&entry.item, self.now, outcome)
            }
        }
    }

    fn bucket_tally(&self, bucket: usize) -> ExclusionTally {
        let (group, class) = self.groups.split(bucket);
        let group = &self.groups.list[group as usize];
        let cost = self.groups.costs.get(class).copied().unwrap_or(0);
        let limit = self.config.explain_limit;
        let mut tally = ExclusionTally::with_capacity(limit);
        tally.merge(&group.static_excluded, limit);
        pick::exclusions(&mut tally, &self.agents, group, class, cost, limit);
        tally
    }

    fn explain_with(&self, slot: u32, tally: &ExclusionTally) -> Explanation {
        let Some(entry) = self.slot(slot) else {
            return bare_explanation_missing(self);
        };
        let Some(facts) = entry.facts.as_ref() else {
            return bare_explanation(&entry.item, self.now, Outcome::UnknownQueue);
        };
        let mut explanation = item_explanation(
            &self.queues.list,
            &entry.item,
            facts,
            self.agents.len(),
            self.now,
            waiting_outcome(facts),
        );
        explanation.excluded_counts = tally.count_list();
        explanation.excluded = tally.listed.clone();
        explanation
    }

    /// Returns the index's current state as a snapshot (items still held, agents as updated).
    pub fn to_snapshot(&self) -> Snapshot {
        Snapshot {
            queues: self.queues.list.clone(),
            agents: self
                .agents
                .rows
                .iter()
                .map(|row| row.profile.clone())
                .collect(),
            items: self
                .slots
                .iter()
                .flatten()
                .map(|entry| entry.item.clone())
                .collect(),
            config: self.config.clone(),
        }
    }
}

fn bare_explanation_missing(index: &RoutingIndex) -> Explanation {
    Explanation {
        rule: None,
        step: 0,
        waited_minutes: 0,
        queue: index
            .queues
            .list
            .first()
            .map_or(switchboard_core::QueueId::new(0), |queue| queue.id),
        queues: Vec::new(),
        required_skills: Vec::new(),
        effective_priority: 0.0,
        preferred: None,
        considered: 0,
        excluded_counts: Vec::new(),
        excluded: Vec::new(),
        scored: Vec::new(),
        outcome: Outcome::UnknownQueue,
    }
}
