//! The index's own copy of the agents: profiles, skill levels, queue membership, the state
//! decisions change (load, assignments, idle time, missed offers) and, kept in step with it,
//! who can take an item of each capacity cost now (available, room, under the fairness cap).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use switchboard_core::UserId;
use switchboard_core::user::AgentStatus;

use super::bits::BitSet;
use super::vocabulary::Vocabulary;
use crate::explain::Exclusion;
use crate::model::Agent;
use crate::policy::table::{Need, QueueAccess};

const NOT_MEMBER: u8 = 0;
const SECONDARY: u8 = 1;
const PRIMARY: u8 = 2;

/// An agent's role in one queue.
pub(crate) enum Role {
    Primary,
    Secondary,
    None,
}

/// One agent as the index keeps it.
pub(crate) struct AgentRow {
    pub(crate) profile: Agent,
    /// Skills as (interned skill, level), sorted by skill.
    levels: Vec<(u16, u8)>,
    /// Role per queue row (not a member, secondary, primary).
    membership: Vec<u8>,
    pub(crate) idle_since_ms: i64,
    /// When, at instant `taken_instant`, the agent last got an item.
    taken_order: u64,
    taken_instant: u64,
}

/// All agents, addressable by row and by id.
pub(crate) struct AgentRows {
    pub(crate) rows: Vec<AgentRow>,
    by_id: HashMap<UserId, u32>,
    taken_count: u64,
    /// Counts the index's instants; a `taken_order` from an earlier one counts as 0.
    instant: u64,
    /// The capacity costs items come in (ascending); `room` has one set per cost.
    costs: Vec<u32>,
    /// Agents whose status is available.
    available: BitSet,
    /// Agents who reached their fairness cap.
    capped: BitSet,
    /// Per cost: agents with at least that many units free.
    room: Vec<BitSet>,
}

impl AgentRows {
    /// No agents yet; readiness is kept for items of the given `costs` (ascending).
    pub(crate) fn new(costs: Vec<u32>) -> Self {
        Self {
            rows: Vec::new(),
            by_id: HashMap::new(),
            taken_count: 0,
            instant: 1,
            room: vec![BitSet::default(); costs.len()],
            costs,
            available: BitSet::default(),
            capped: BitSet::default(),
        }
    }

    /// Brings the readiness sets in line with the agent's profile.
    fn refresh(&mut self, row: usize) {
        let profile = &self.rows[row].profile;
        let free = profile.free_units();
        let capped = profile
            .fairness
            .is_some_and(|cap| profile.assignments_in_window >= cap.max_assignments);
        self.available
            .set(row, profile.status == AgentStatus::Available);
        self.capped.set(row, capped);
        for (set, &cost) in self.room.iter_mut().zip(&self.costs) {
            set.set(row, free >= cost);
        }
    }

    /// Changes an agent's profile (presence, capacity, load, counters) and keeps the
    /// readiness sets in step.
    pub(crate) fn update<T>(&mut self, row: usize, change: impl FnOnce(&mut Agent) -> T) -> T {
        let result = change(&mut self.rows[row].profile);
        self.refresh(row);
        result
    }

    /// Agents (in word `word` of the row sets) available, under their cap and with room for an
    /// item of the `class`-th cost: those who pass [`Self::check_status`] and
    /// [`Self::check_dynamic`] without declines.
    pub(crate) fn ready_word(&self, class: usize, word: usize) -> u64 {
        self.available.word(word) & self.room_word(class, word) & !self.capped.word(word)
    }

    /// Agents (in word `word`) whose status is available.
    pub(crate) fn available_word(&self, word: usize) -> u64 {
        self.available.word(word)
    }

    /// Agents (in word `word`) at their fairness cap.
    pub(crate) fn capped_word(&self, word: usize) -> u64 {
        self.capped.word(word)
    }

    /// Agents (in word `word`) with room for an item of the `class`-th cost.
    pub(crate) fn room_word(&self, class: usize, word: usize) -> u64 {
        self.room.get(class).map_or(0, |set| set.word(word))
    }
    /// Adds an agent or replaces the profile of a known one; returns the row.
    pub(crate) fn upsert(
        &mut self,
        agent: Agent,
        vocabulary: &mut Vocabulary,
        queue_row: impl Fn(&switchboard_core::QueueId) -> Option<u16>,
        queue_count: usize,
    ) -> usize {
        let mut levels: Vec<(u16, u8)> = Vec::with_capacity(agent.skills.len());
        for skill in &agent.skills {
            let id = vocabulary.intern(&skill.name);
            match levels.iter_mut().find(|(known, _)| *known == id) {
                Some(entry) => entry.1 = entry.1.max(skill.level),
                None => levels.push((id, skill.level)),
            }
        }
        levels.sort_unstable();
        let mut membership = vec![NOT_MEMBER; queue_count];
        let mut mark = |queue: &switchboard_core::QueueId, role: u8| {
            if let Some(column) = queue_row(queue) {
                let cell = &mut membership[usize::from(column)];
                *cell = (*cell).max(role);
            }
        };
        agent
            .secondary_queues
            .iter()
            .for_each(|q| mark(q, SECONDARY));
        agent.primary_queues.iter().for_each(|q| mark(q, PRIMARY));
        let row = AgentRow {
            idle_since_ms: agent.idle_since.timestamp_millis(),
            profile: agent,
            levels,
            membership,
            taken_order: 0,
            taken_instant: 0,
        };
        let position = match self.by_id.get(&row.profile.id) {
            Some(&existing) => {
                let slot = &mut self.rows[existing as usize];
                let (taken_order, taken_instant) = (slot.taken_order, slot.taken_instant);
                *slot = row;
                slot.taken_order = taken_order;
                slot.taken_instant = taken_instant;
                existing as usize
            }
            None => {
                let next = self.rows.len();
                self.by_id
                    .insert(row.profile.id, u32::try_from(next).unwrap_or(u32::MAX));
                self.rows.push(row);
                next
            }
        };
        self.refresh(position);
        position
    }

    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn row_of(&self, id: UserId) -> Option<usize> {
        self.by_id.get(&id).map(|&row| row as usize)
    }

    pub(crate) fn id(&self, row: usize) -> UserId {
        self.rows[row].profile.id
    }

    /// Forgets who got items at the previous instant (the tie-break is per instant).
    pub(crate) fn new_instant(&mut self) {
        self.instant += 1;
        self.taken_count = 0;
    }

    /// When, at the current instant, the agent last got an item (0 = not yet).
    pub(crate) fn taken_order(&self, row: usize) -> u64 {
        let agent = &self.rows[row];
        if agent.taken_instant == self.instant {
            agent.taken_order
        } else {
            0
        }
    }

    pub(crate) fn level(&self, row: usize, skill: Option<u16>) -> u8 {
        let Some(skill) = skill else { return 0 };
        let levels = &self.rows[row].levels;
        levels
            .binary_search_by_key(&skill, |&(id, _)| id)
            .map_or(0, |position| levels[position].1)
    }

    /// Sum of the agent's levels in the needed skills (the "most skilled" score).
    pub(crate) fn skill_sum(&self, row: usize, needs: &[Need]) -> u32 {
        needs
            .iter()
            .map(|&(skill, _)| u32::from(self.level(row, skill)))
            .sum()
    }

    /// Returns the agent's (skill, level) pairs.
    pub(crate) fn skill_levels(&self, row: usize) -> impl Iterator<Item = (u16, u8)> + '_ {
        self.rows[row].levels.iter().copied()
    }

    /// Returns the agent's role in a queue.
    pub(crate) fn role(&self, row: usize, queue: usize) -> Role {
        match self.rows[row].membership.get(queue).copied() {
            Some(PRIMARY) => Role::Primary,
            Some(SECONDARY) => Role::Secondary,
            _ => Role::None,
        }
    }

    pub(crate) fn check_status(&self, row: usize) -> Result<(), Exclusion> {
        match self.rows[row].profile.status {
            AgentStatus::Available => Ok(()),
            status => Err(Exclusion::Status { status }),
        }
    }

    pub(crate) fn check_skills(&self, row: usize, needs: &[Need]) -> Result<(), Exclusion> {
        for (requirement, &(skill, min_level)) in needs.iter().enumerate() {
            let level = self.level(row, skill);
            if level < min_level {
                return Err(Exclusion::MissingSkill { requirement, level });
            }
        }
        Ok(())
    }

    pub(crate) fn check_membership(
        &self,
        row: usize,
        access: &[QueueAccess],
    ) -> Result<(), Exclusion> {
        let membership = &self.rows[row].membership;
        let mut secondary_too_early = false;
        for &(queue, secondary_allowed) in access {
            match membership.get(usize::from(queue)).copied() {
                Some(PRIMARY) => return Ok(()),
                Some(SECONDARY) if secondary_allowed => return Ok(()),
                Some(SECONDARY) => secondary_too_early = true,
                _ => {}
            }
        }
        Err(if secondary_too_early {
            Exclusion::QueueDelay
        } else {
            Exclusion::NotInQueue
        })
    }

    /// Checks what only a profile change alters: queue membership and skills.
    pub(crate) fn check_profile(
        &self,
        row: usize,
        access: &[QueueAccess],
        needs: &[Need],
    ) -> Result<(), Exclusion> {
        self.check_membership(row, access)?;
        self.check_skills(row, needs)
    }

    /// Checks what changes as items are handed out: declines, capacity and the fairness cap.
    pub(crate) fn check_dynamic(
        &self,
        row: usize,
        cost: u32,
        declined_by: &[UserId],
    ) -> Result<(), Exclusion> {
        let profile = &self.rows[row].profile;
        if declined_by.contains(&profile.id) {
            return Err(Exclusion::Declined);
        }
        let free = profile.free_units();
        if free < cost {
            return Err(Exclusion::Capacity { free, needed: cost });
        }
        self.check_cap(row)
    }

    pub(crate) fn check_cap(&self, row: usize) -> Result<(), Exclusion> {
        let profile = &self.rows[row].profile;
        match profile.fairness {
            Some(cap) if profile.assignments_in_window >= cap.max_assignments => {
                Err(Exclusion::FairnessCap {
                    max_assignments: cap.max_assignments,
                })
            }
            _ => Ok(()),
        }
    }

    /// Records that the agent got an item of `cost` units at `now`.
    pub(crate) fn take(&mut self, row: usize, cost: u32, now: DateTime<Utc>) {
        self.taken_count += 1;
        let agent = &mut self.rows[row];
        agent.profile.load_units = agent.profile.load_units.saturating_add(cost);
        agent.profile.assignments_in_window = agent.profile.assignments_in_window.saturating_add(1);
        agent.profile.idle_since = now;
        agent.idle_since_ms = now.timestamp_millis();
        agent.taken_order = self.taken_count;
        agent.taken_instant = self.instant;
        self.refresh(row);
    }

    /// Replaces the profile of a known agent whose skills and queues stay the same.
    pub(crate) fn replace_profile(&mut self, row: usize, agent: Agent) {
        self.rows[row].idle_since_ms = agent.idle_since.timestamp_millis();
        self.update(row, |profile| *profile = agent);
    }
}
