//! Groups of waiting items that share everything agent eligibility depends on except the
//! capacity cost: queues open to them, needs, reservation and declines. A group finds its
//! eligible agents once and keeps one ordered bucket of items per cost class, so items that
//! differ only in channel cost share the agent list.

use std::collections::{BTreeSet, HashMap};

use switchboard_core::UserId;
use switchboard_core::queue::QueueStrategy;

use super::agents::AgentRows;
use super::bits::BitSet;
use super::rosters::Rosters;
use crate::explain::{ExcludedAgent, ExclusionKind, ExclusionTally};
use crate::policy::prepare::OrderKey;
use crate::policy::table::{Need, QueueAccess};

/// What a group's items have in common.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct GroupKey {
    pub(crate) home: u16,
    pub(crate) access: Vec<QueueAccess>,
    pub(crate) needs: Vec<Need>,
    pub(crate) reserved_for: Option<u32>,
    /// Agents who declined, sorted.
    pub(crate) declined: Vec<UserId>,
}

/// A group: its agents and its items per cost class.
pub(crate) struct Group {
    pub(crate) key: GroupKey,
    pub(crate) strategy: QueueStrategy,
    /// Agents whose profile (membership, skills) fits, by row.
    pub(crate) candidates: BitSet,
    /// Rows of the agents in `key.declined`, ascending.
    pub(crate) declined_rows: Vec<u32>,
    /// Why every other agent does not fit (complete counts, listed up to the explain limit).
    pub(crate) static_excluded: ExclusionTally,
    subs: Vec<BTreeSet<(OrderKey, u32)>>,
}

/// All groups, the cost classes, and the reverse index from agents to their groups.
pub(crate) struct Groups {
    pub(crate) list: Vec<Group>,
    index: HashMap<GroupKey, u32>,
    /// Distinct capacity costs; a bucket is (group, cost class).
    pub(crate) costs: Vec<u32>,
    /// Best item of each bucket, by bucket number (`group * costs + class`).
    heads: Vec<Option<(OrderKey, u32)>>,
    /// Per group, the best head over its cost classes as a coarse priority-only sort key
    /// (the high half of [`priority_rank`]: smaller goes first, `u32::MAX` when empty): a
    /// 4-byte array the per-agent scan reads instead of the full keys, so it stays in cache.
    summary: Vec<u32>,
    /// Per group, that head's cost.
    head_costs: Vec<u32>,
    /// Buckets whose items may have an agent (examined in item order before being parked).
    dirty: Vec<bool>,
    /// Groups each agent fits, by agent row.
    pub(crate) by_agent: Vec<Vec<u32>>,
}

impl Groups {
    pub(crate) fn new(costs: Vec<u32>, agents: usize) -> Self {
        Self {
            list: Vec::new(),
            index: HashMap::new(),
            costs,
            heads: Vec::new(),
            summary: Vec::new(),
            head_costs: Vec::new(),
            dirty: Vec::new(),
            by_agent: vec![Vec::new(); agents],
        }
    }

    pub(crate) fn class_of(&self, cost: u32) -> usize {
        self.costs.iter().position(|&c| c == cost).unwrap_or(0)
    }

    pub(crate) fn bucket(&self, group: u32, class: usize) -> usize {
        group as usize * self.costs.len() + class
    }

    pub(crate) fn split(&self, bucket: usize) -> (u32, usize) {
        let classes = self.costs.len().max(1);
        (
            u32::try_from(bucket / classes).unwrap_or(u32::MAX),
            bucket % classes,
        )
    }

    pub(crate) fn head(&self, bucket: usize) -> Option<(OrderKey, u32)> {
        self.heads.get(bucket).copied().flatten()
    }

    pub(crate) fn is_dirty(&self, bucket: usize) -> bool {
        self.dirty.get(bucket).copied().unwrap_or(false)
    }

    pub(crate) fn set_dirty(&mut self, bucket: usize, dirty: bool) {
        if let Some(flag) = self.dirty.get_mut(bucket) {
            *flag = dirty;
        }
    }

    pub(crate) fn items(&self, bucket: usize) -> impl Iterator<Item = &(OrderKey, u32)> {
        let (group, class) = self.split(bucket);
        self.list[group as usize].subs[class].iter()
    }

    /// Returns the group for `key`, creating it (and finding its agents) when new.
    pub(crate) fn intern(
        &mut self,
        key: GroupKey,
        agents: &AgentRows,
        rosters: &Rosters,
        strategy: QueueStrategy,
        limit: usize,
    ) -> u32 {
        if let Some(&group) = self.index.get(&key) {
            return group;
        }
        let number = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        let (candidates, static_excluded) = find_candidates(&key, agents, rosters, limit);
        for row in candidates.ones() {
            self.by_agent[row as usize].push(number);
        }
        let mut declined_rows: Vec<u32> = key
            .declined
            .iter()
            .filter_map(|&id| agents.row_of(id))
            .filter_map(|row| u32::try_from(row).ok())
            .collect();
        declined_rows.sort_unstable();
        self.list.push(Group {
            key: key.clone(),
            strategy,
            candidates,
            declined_rows,
            static_excluded,
            subs: vec![BTreeSet::new(); self.costs.len()],
        });
        self.heads
            .extend(std::iter::repeat_n(None, self.costs.len()));
        self.summary.push(u32::MAX);
        self.head_costs.push(0);
        self.dirty
            .extend(std::iter::repeat_n(false, self.costs.len()));
        self.index.insert(key, number);
        number
    }

    /// Adds an item; returns true when it became the bucket's best.
    pub(crate) fn insert(&mut self, bucket: usize, key: OrderKey, slot: u32) -> bool {
        let (group, class) = self.split(bucket);
        let sub = &mut self.list[group as usize].subs[class];
        sub.insert((key, slot));
        let head = sub.first().copied();
        self.set_head(bucket, group, head)
    }

    /// Removes an item; returns true when the bucket's best changed.
    pub(crate) fn remove(&mut self, bucket: usize, key: OrderKey, slot: u32) -> bool {
        let (group, class) = self.split(bucket);
        let sub = &mut self.list[group as usize].subs[class];
        sub.remove(&(key, slot));
        let head = sub.first().copied();
        self.set_head(bucket, group, head)
    }

    /// Records a bucket's best item; returns true when it changed.
    fn set_head(&mut self, bucket: usize, group: u32, head: Option<(OrderKey, u32)>) -> bool {
        let before = self.heads[bucket];
        if before == head {
            return false;
        }
        self.heads[bucket] = head;
        self.summarise(group);
        true
    }

    fn summarise(&mut self, group: u32) {
        let classes = self.costs.len();
        let base = group as usize * classes;
        let best = self.heads[base..base + classes]
            .iter()
            .zip(&self.costs)
            .filter_map(|(head, &cost)| head.map(|(key, _)| (key, cost)))
            .min_by(|a, b| a.0.cmp(&b.0));
        let (rank, cost) = best.map_or((u32::MAX, 0), |(key, cost)| {
            (coarse_rank(key.priority), cost)
        });
        self.summary[group as usize] = rank;
        self.head_costs[group as usize] = cost;
    }

    /// Returns the best item `row` may take from the groups it fits, with `free` units free.
    pub(crate) fn best_for_agent(
        &self,
        row: usize,
        id: UserId,
        free: u32,
    ) -> Option<(OrderKey, u32)> {
        let classes = self.costs.len();
        let mut best: Option<(OrderKey, u32)> = None;
        let mut best_rank = u32::MAX;
        for &group in &self.by_agent[row] {
            let rank = self.summary[group as usize];
            if rank > best_rank || rank == u32::MAX {
                continue;
            }
            let head_cost = self.head_costs[group as usize];
            let declined = !self.list[group as usize].key.declined.is_empty();
            if declined && self.list[group as usize].key.declined.contains(&id) {
                continue;
            }
            let base = group as usize * classes;
            if head_cost <= free {
                let class = self.class_of(head_cost);
                if let Some(head) = self.heads[base + class]
                    && best.is_none_or(|current| head < current)
                {
                    best = Some(head);
                    best_rank = rank;
                }
                continue;
            }
            for (class, &cost) in self.costs.iter().enumerate() {
                if cost > free {
                    continue;
                }
                let Some(head) = self.heads[base + class] else {
                    continue;
                };
                if best.is_none_or(|current| head < current) {
                    best = Some(head);
                    best_rank = coarse_rank(head.0.priority);
                }
            }
        }
        best
    }
}

/// The high half of [`priority_rank`]: a strictly greater coarse rank means a strictly lower
/// priority, equal ones need the full key. Only a NaN priority reaches `u32::MAX`.
fn coarse_rank(priority: f64) -> u32 {
    u32::try_from(priority_rank(priority) >> 32).unwrap_or(u32::MAX)
}

/// Maps a priority to a key that sorts like [`OrderKey`]'s first field: higher priority first.
fn priority_rank(priority: f64) -> u64 {
    let bits = priority.to_bits();
    let ascending = if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    };
    !ascending
}

/// Finds the agents whose profile fits a group and tallies why the others do not.
fn find_candidates(
    key: &GroupKey,
    agents: &AgentRows,
    rosters: &Rosters,
    limit: usize,
) -> (BitSet, ExclusionTally) {
    let mut tally = ExclusionTally::default();
    if let Some(reserved) = key.reserved_for {
        let others = u32::try_from(agents.len().saturating_sub(1)).unwrap_or(u32::MAX);
        tally.counts[ExclusionKind::ReservedForOther as usize] = others;
        let mut only = BitSet::empty(agents.len());
        only.insert(reserved as usize);
        return (only, tally);
    }
    let fit = rosters.fitting(agents, &key.access, &key.needs);
    let counts = [
        (ExclusionKind::NotInQueue, fit.not_in_queue.count()),
        (ExclusionKind::QueueDelay, fit.queue_delay.count()),
        (ExclusionKind::MissingSkill, fit.missing_skill.count()),
    ];
    for (kind, count) in counts {
        tally.counts[kind as usize] = count;
    }
    let mut listed = 0;
    for row in 0..agents.len() {
        if listed >= limit {
            break;
        }
        if fit.fits.contains(row) {
            continue;
        }
        if let Err(reason) = agents.check_profile(row, &key.access, &key.needs) {
            tally.listed.push(ExcludedAgent {
                agent: agents.id(row),
                reason,
            });
            listed += 1;
        }
    }
    (fit.fits, tally)
}
