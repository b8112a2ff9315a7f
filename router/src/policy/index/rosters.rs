//! Agent sets as bitsets over agent rows, per (skill, minimum level) and per queue role, so a
//! group's eligible agents are a few word-wise ANDs instead of a check per agent.

use super::agents::AgentRows;
use super::vocabulary::LEVELS;
use crate::policy::table::{Need, QueueAccess};

/// A set of agent rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AgentBits {
    words: Vec<u64>,
}

impl AgentBits {
    fn empty(rows: usize) -> Self {
        Self {
            words: vec![0; rows.div_ceil(64)],
        }
    }

    fn full(rows: usize) -> Self {
        let mut words = vec![u64::MAX; rows.div_ceil(64)];
        if let Some(last) = words.last_mut()
            && !rows.is_multiple_of(64)
        {
            *last = (1u64 << (rows % 64)) - 1;
        }
        Self { words }
    }

    fn insert(&mut self, row: usize) {
        if let Some(word) = self.words.get_mut(row / 64) {
            *word |= 1 << (row % 64);
        }
    }

    pub(crate) fn contains(&self, row: usize) -> bool {
        self.words
            .get(row / 64)
            .is_some_and(|word| word & (1 << (row % 64)) != 0)
    }

    fn and(&mut self, other: &AgentBits) {
        for (index, word) in self.words.iter_mut().enumerate() {
            *word &= other.words.get(index).copied().unwrap_or(0);
        }
    }

    fn or(&mut self, other: &AgentBits) {
        for (word, theirs) in self.words.iter_mut().zip(&other.words) {
            *word |= theirs;
        }
    }

    fn and_not(&mut self, other: &AgentBits) {
        for (word, theirs) in self.words.iter_mut().zip(&other.words) {
            *word &= !theirs;
        }
    }

    pub(crate) fn count(&self) -> u32 {
        self.words.iter().map(|word| word.count_ones()).sum()
    }

    /// Returns the rows in the set, lowest first.
    pub(crate) fn ones(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(index, &word)| {
            let base = u32::try_from(index * 64).unwrap_or(u32::MAX);
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros();
                rest &= rest - 1;
                Some(base + bit)
            })
        })
    }
}

/// Who fits a group, and why the others do not (first failing check, as in the per-agent checks).
pub(crate) struct Fit {
    pub(crate) fits: AgentBits,
    pub(crate) not_in_queue: AgentBits,
    pub(crate) queue_delay: AgentBits,
    pub(crate) missing_skill: AgentBits,
}

/// Agent sets per (skill, level) and per queue role.
#[derive(Default)]
pub(crate) struct Rosters {
    rows: usize,
    /// `skilled[skill][l]`: agents with the skill at level `l + 1` or higher.
    skilled: Vec<[AgentBits; LEVELS]>,
    primary: Vec<AgentBits>,
    secondary: Vec<AgentBits>,
}

impl Rosters {
    /// Builds the sets for every agent, `skills` skill ids and `queues` queue rows.
    pub(crate) fn build(agents: &AgentRows, skills: usize, queues: usize) -> Self {
        let rows = agents.len();
        let mut skilled: Vec<[AgentBits; LEVELS]> = (0..skills)
            .map(|_| std::array::from_fn(|_| AgentBits::empty(rows)))
            .collect();
        let mut primary = vec![AgentBits::empty(rows); queues];
        let mut secondary = vec![AgentBits::empty(rows); queues];
        for row in 0..rows {
            for (skill, level) in agents.skill_levels(row) {
                let Some(sets) = skilled.get_mut(usize::from(skill)) else {
                    continue;
                };
                for (threshold, set) in sets.iter_mut().enumerate() {
                    if usize::from(level) > threshold {
                        set.insert(row);
                    }
                }
            }
            for queue in 0..queues {
                match agents.role(row, queue) {
                    super::agents::Role::Primary => primary[queue].insert(row),
                    super::agents::Role::Secondary => secondary[queue].insert(row),
                    super::agents::Role::None => {}
                }
            }
        }
        Self {
            rows,
            skilled,
            primary,
            secondary,
        }
    }

    /// Splits the agents by how they fit `access` and `needs`.
    pub(crate) fn fitting(
        &self,
        agents: &AgentRows,
        access: &[QueueAccess],
        needs: &[Need],
    ) -> Fit {
        let rows = self.rows;
        let mut member = AgentBits::empty(rows);
        let mut delayed = AgentBits::empty(rows);
        for &(queue, secondary_allowed) in access {
            let queue = usize::from(queue);
            if let Some(set) = self.primary.get(queue) {
                member.or(set);
            }
            if let Some(set) = self.secondary.get(queue) {
                if secondary_allowed {
                    member.or(set);
                } else {
                    delayed.or(set);
                }
            }
        }
        delayed.and_not(&member);
        let mut not_in_queue = AgentBits::full(rows);
        not_in_queue.and_not(&member);
        not_in_queue.and_not(&delayed);
        let mut skilled = AgentBits::full(rows);
        for &(skill, min_level) in needs {
            if min_level == 0 {
                continue;
            }
            let set = skill
                .and_then(|skill| self.skilled.get(usize::from(skill)))
                .and_then(|sets| sets.get(usize::from(min_level) - 1));
            match set {
                Some(set) => skilled.and(set),
                None if usize::from(min_level) > LEVELS => {
                    let mut exact = AgentBits::empty(rows);
                    for row in 0..rows {
                        if agents.level(row, skill) >= min_level {
                            exact.insert(row);
                        }
                    }
                    skilled.and(&exact);
                }
                None => skilled = AgentBits::empty(rows),
            }
        }
        let mut fits = member.clone();
        fits.and(&skilled);
        let mut missing_skill = member;
        missing_skill.and_not(&skilled);
        Fit {
            fits,
            not_in_queue,
            queue_delay: delayed,
            missing_skill,
        }
    }
}
