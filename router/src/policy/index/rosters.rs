//! Agent sets as bitsets over agent rows, per (skill, minimum level) and per queue role, so a
//! group's eligible agents are a few word-wise ANDs instead of a check per agent.

use super::agents::AgentRows;
use super::bits::BitSet;
use super::vocabulary::LEVELS;
use crate::policy::table::{Need, QueueAccess};

/// Who fits a group, and why the others do not (first failing check, as in the per-agent checks).
pub(crate) struct Fit {
    pub(crate) fits: BitSet,
    pub(crate) not_in_queue: BitSet,
    pub(crate) queue_delay: BitSet,
    pub(crate) missing_skill: BitSet,
}

/// Agent sets per (skill, level) and per queue role.
#[derive(Default)]
pub(crate) struct Rosters {
    rows: usize,
    /// `skilled[skill][l]`: agents with the skill at level `l + 1` or higher.
    skilled: Vec<[BitSet; LEVELS]>,
    primary: Vec<BitSet>,
    secondary: Vec<BitSet>,
}

impl Rosters {
    /// Builds the sets for every agent, `skills` skill ids and `queues` queue rows.
    pub(crate) fn build(agents: &AgentRows, skills: usize, queues: usize) -> Self {
        let rows = agents.len();
        let mut skilled: Vec<[BitSet; LEVELS]> = (0..skills)
            .map(|_| std::array::from_fn(|_| BitSet::empty(rows)))
            .collect();
        let mut primary = vec![BitSet::empty(rows); queues];
        let mut secondary = vec![BitSet::empty(rows); queues];
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
        let mut member = BitSet::empty(rows);
        let mut delayed = BitSet::empty(rows);
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
        let mut not_in_queue = BitSet::full(rows);
        not_in_queue.and_not(&member);
        not_in_queue.and_not(&delayed);
        let mut skilled = BitSet::full(rows);
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
                    let mut exact = BitSet::empty(rows);
                    for row in 0..rows {
                        if agents.level(row, skill) >= min_level {
                            exact.insert(row);
                        }
                    }
                    skilled.and(&exact);
                }
                None => skilled = BitSet::empty(rows),
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
