//! The agents in a form fast to match: interned skills, dense level and membership tables,
//! and the mutable state one round of decisions changes.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use switchboard_core::skill::SkillRequirement;
use switchboard_core::user::AgentStatus;
use switchboard_core::{QueueId, UserId};

use crate::explain::Exclusion;
use crate::model::{Agent, QueueConfig, Snapshot};

const NOT_MEMBER: u8 = 0;
const SECONDARY: u8 = 1;
const PRIMARY: u8 = 2;

/// A requirement with its skill interned; `None` when no agent has the skill at all.
pub(crate) type Need = (Option<u16>, u8);

/// A queue the item may be taken from, and whether secondary members count yet.
pub(crate) type QueueAccess = (u16, bool);

pub(crate) struct AgentTable<'a> {
    pub(crate) agents: &'a [Agent],
    pub(crate) queues: &'a [QueueConfig],
    skill_index: HashMap<&'a str, u16>,
    skill_count: usize,
    levels: Vec<u8>,
    queue_index: HashMap<QueueId, u16>,
    membership: Vec<u8>,
    by_id: HashMap<UserId, u32>,
    pub(crate) status: Vec<AgentStatus>,
    pub(crate) load: Vec<u32>,
    pub(crate) assignments: Vec<u32>,
    pub(crate) idle_since_ms: Vec<i64>,
    pub(crate) missed: Vec<u32>,
    /// When, within this round, the agent last got an item (0 = not yet); breaks ties so that
    /// agents who got work earlier in the round come later.
    pub(crate) taken_order: Vec<u64>,
    taken_count: u64,
}

impl<'a> AgentTable<'a> {
    pub(crate) fn build(snapshot: &'a Snapshot) -> Self {
        let agents = snapshot.agents.as_slice();
        let mut skill_index: HashMap<&str, u16> = HashMap::new();
        for skill in agents.iter().flat_map(|agent| agent.skills.iter()) {
            let next = u16::try_from(skill_index.len()).unwrap_or(u16::MAX);
            skill_index.entry(skill.name.as_str()).or_insert(next);
        }
        let skill_count = skill_index.len();
        let mut levels = vec![0u8; agents.len() * skill_count];
        for (row, agent) in agents.iter().enumerate() {
            for skill in &agent.skills {
                if let Some(&column) = skill_index.get(skill.name.as_str()) {
                    let cell = &mut levels[row * skill_count + usize::from(column)];
                    *cell = (*cell).max(skill.level);
                }
            }
        }
        let queue_index: HashMap<QueueId, u16> = snapshot
            .queues
            .iter()
            .enumerate()
            .map(|(index, queue)| (queue.id, u16::try_from(index).unwrap_or(u16::MAX)))
            .collect();
        let queue_count = snapshot.queues.len();
        let mut membership = vec![NOT_MEMBER; agents.len() * queue_count];
        for (row, agent) in agents.iter().enumerate() {
            let mut mark = |queue: &QueueId, role: u8| {
                if let Some(&column) = queue_index.get(queue) {
                    let cell = &mut membership[row * queue_count + usize::from(column)];
                    *cell = (*cell).max(role);
                }
            };
            agent
                .secondary_queues
                .iter()
                .for_each(|q| mark(q, SECONDARY));
            agent.primary_queues.iter().for_each(|q| mark(q, PRIMARY));
        }
        let mut by_id = HashMap::with_capacity(agents.len());
        for (row, agent) in agents.iter().enumerate() {
            by_id
                .entry(agent.id)
                .or_insert(u32::try_from(row).unwrap_or(u32::MAX));
        }
        Self {
            agents,
            queues: &snapshot.queues,
            skill_index,
            skill_count,
            levels,
            queue_index,
            membership,
            by_id,
            status: agents.iter().map(|a| a.status).collect(),
            load: agents.iter().map(|a| a.load_units).collect(),
            assignments: agents.iter().map(|a| a.assignments_in_window).collect(),
            idle_since_ms: agents
                .iter()
                .map(|a| a.idle_since.timestamp_millis())
                .collect(),
            missed: agents.iter().map(|a| a.missed_offers).collect(),
            taken_order: vec![0; agents.len()],
            taken_count: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.agents.len()
    }

    pub(crate) fn row_of(&self, id: UserId) -> Option<usize> {
        self.by_id.get(&id).map(|&row| row as usize)
    }

    pub(crate) fn queue_row(&self, id: QueueId) -> Option<u16> {
        self.queue_index.get(&id).copied()
    }

    pub(crate) fn queue(&self, row: u16) -> &'a QueueConfig {
        &self.queues[usize::from(row)]
    }

    pub(crate) fn needs(&self, required: &[SkillRequirement]) -> Vec<Need> {
        required
            .iter()
            .map(|req| {
                (
                    self.skill_index.get(req.name.as_str()).copied(),
                    req.min_level,
                )
            })
            .collect()
    }

    pub(crate) fn level(&self, agent: usize, skill: Option<u16>) -> u8 {
        skill.map_or(0, |column| {
            self.levels[agent * self.skill_count + usize::from(column)]
        })
    }

    /// Sum of the agent's levels in the needed skills (the "most skilled" score).
    pub(crate) fn skill_sum(&self, agent: usize, needs: &[Need]) -> u32 {
        needs
            .iter()
            .map(|&(skill, _)| u32::from(self.level(agent, skill)))
            .sum()
    }

    pub(crate) fn check_status(&self, agent: usize) -> Result<(), Exclusion> {
        match self.status[agent] {
            AgentStatus::Available => Ok(()),
            status => Err(Exclusion::Status { status }),
        }
    }

    pub(crate) fn check_skills(&self, agent: usize, needs: &[Need]) -> Result<(), Exclusion> {
        for (requirement, &(skill, min_level)) in needs.iter().enumerate() {
            let level = self.level(agent, skill);
            if level < min_level {
                return Err(Exclusion::MissingSkill { requirement, level });
            }
        }
        Ok(())
    }

    pub(crate) fn check_membership(
        &self,
        agent: usize,
        access: &[QueueAccess],
    ) -> Result<(), Exclusion> {
        let queue_count = self.queues.len();
        let mut secondary_too_early = false;
        for &(queue, secondary_allowed) in access {
            match self.membership[agent * queue_count + usize::from(queue)] {
                PRIMARY => return Ok(()),
                SECONDARY if secondary_allowed => return Ok(()),
                SECONDARY => secondary_too_early = true,
                _ => {}
            }
        }
        Err(if secondary_too_early {
            Exclusion::QueueDelay
        } else {
            Exclusion::NotInQueue
        })
    }

    /// Checks what does not change while a round runs: status, queue membership and skills.
    pub(crate) fn check_static(
        &self,
        agent: usize,
        access: &[QueueAccess],
        needs: &[Need],
    ) -> Result<(), Exclusion> {
        self.check_status(agent)?;
        self.check_membership(agent, access)?;
        self.check_skills(agent, needs)
    }

    /// Checks what changes as items are handed out: declines, capacity and the fairness cap.
    pub(crate) fn check_dynamic(
        &self,
        agent: usize,
        cost: u32,
        declined_by: &[UserId],
    ) -> Result<(), Exclusion> {
        let profile = &self.agents[agent];
        if declined_by.contains(&profile.id) {
            return Err(Exclusion::Declined);
        }
        let free = profile.capacity_units.saturating_sub(self.load[agent]);
        if free < cost {
            return Err(Exclusion::Capacity { free, needed: cost });
        }
        if let Some(cap) = profile.fairness
            && self.assignments[agent] >= cap.max_assignments
        {
            return Err(Exclusion::FairnessCap {
                max_assignments: cap.max_assignments,
            });
        }
        Ok(())
    }

    /// Records that the agent got an item of `cost` units at `now`.
    pub(crate) fn take(&mut self, agent: usize, cost: u32, now: DateTime<Utc>) {
        self.load[agent] = self.load[agent].saturating_add(cost);
        self.assignments[agent] = self.assignments[agent].saturating_add(1);
        self.idle_since_ms[agent] = now.timestamp_millis();
        self.taken_count += 1;
        self.taken_order[agent] = self.taken_count;
    }
}
