//! The router's routing state kept between rounds: queues, agents with their open work, and the
//! waiting items (as stored and as the policy sees them). A round reads the item change feed
//! (`item_changes`) since the last one and re-reads only the items it names; agents and queues
//! (staff-sized, and changed by writes that do not pass through the feed) are read every round.
//! A full read replaces everything when the state is new, every `resync_every`, after a round
//! failed, when leadership is (re)acquired, and when the feed names more items than a full read
//! costs, so the state can never drift for long.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Utc};
use switchboard_core::error::CoreResult;
use switchboard_core::routing::{
    AgentRouting, OpenWork, QueueSettings, RoutePlacement, RoutingChanges, RoutingSnapshot,
    WaitingItemRouting, attach_open_work,
};
use switchboard_core::store::Store;
use switchboard_core::{UserId, WorkItemId};
use switchboard_router::model::{PolicyConfig, Snapshot, WaitingItem};

use super::model;

/// Feed entries read per page.
const FEED_PAGE: u32 = 5_000;

/// Above this many changed items a full read is cheaper than reading them one by one.
const FULL_READ_ABOVE: usize = 20_000;

/// Routing state kept between rounds; see the module documentation.
pub struct LiveRouting {
    queues: Vec<QueueSettings>,
    /// Active agents as last read, with the open work below attached.
    agents: Vec<AgentRouting>,
    /// Owned or offered items by item, with their agent.
    open_work: HashMap<WorkItemId, (UserId, OpenWork)>,
    /// Waiting items as stored, by id.
    items: BTreeMap<WorkItemId, WaitingItemRouting>,
    /// The policy's view of the waiting items that have a queue, in id order.
    policy_items: Vec<WaitingItem>,
    /// The feed position every change up to which is in this state.
    cursor: i64,
    synced_at: Instant,
}

impl LiveRouting {
    /// Reads everything: the feed position first, so a change committed meanwhile is read
    /// again by the next refresh (reading an item twice is harmless).
    pub async fn read(store: &dyn Store, now: DateTime<Utc>) -> CoreResult<Self> {
        let cursor = store.max_change_seq().await?;
        let snapshot = store.routing_snapshot(now).await?;
        Ok(Self::from_snapshot(snapshot, cursor))
    }

    /// The state of a full snapshot read at feed position `cursor`.
    pub fn from_snapshot(snapshot: RoutingSnapshot, cursor: i64) -> Self {
        let open_work = snapshot
            .agents
            .iter()
            .flat_map(|agent| {
                agent
                    .open_work
                    .iter()
                    .map(|work| (work.item, (agent.user, *work)))
            })
            .collect();
        let mut live = Self {
            queues: snapshot.queues,
            agents: snapshot.agents,
            open_work,
            items: snapshot
                .items
                .into_iter()
                .map(|item| (item.item, item))
                .collect(),
            policy_items: Vec::new(),
            cursor,
            synced_at: Instant::now(),
        };
        live.convert_all_items();
        live
    }

    /// Whether the last full read is older than `resync_every`.
    pub fn is_due_for_full_read(&self, resync_every: StdDuration) -> bool {
        self.synced_at.elapsed() >= resync_every
    }

    /// Catches up with the store: the items the feed names since the last round, then agents
    /// and queues. Returns false (and changes nothing) when so many items changed that a full
    /// read is cheaper.
    pub async fn refresh(&mut self, store: &dyn Store, now: DateTime<Utc>) -> CoreResult<bool> {
        let mut cursor = self.cursor;
        let mut changed: Vec<WorkItemId> = Vec::new();
        loop {
            let page = store.changes_after(cursor, FEED_PAGE).await?;
            let full_page = page.len() == FEED_PAGE as usize;
            if let Some(last) = page.last() {
                cursor = last.seq;
            }
            changed.extend(page.into_iter().map(|entry| entry.item_id));
            if changed.len() > FULL_READ_ABOVE {
                return Ok(false);
            }
            if !full_page {
                break;
            }
        }
        changed.sort_unstable();
        changed.dedup();
        if !changed.is_empty() {
            let changes = store.routing_changes(&changed).await?;
            self.apply_changes(&changed, changes);
        }
        self.cursor = cursor;
        let queues = store.queue_settings().await?;
        self.set_queues(queues);
        let agents = store.routing_agents(now).await?;
        self.set_agents(agents);
        Ok(true)
    }

    /// Replaces what the state knows of the `changed` items by what they look like now.
    pub fn apply_changes(&mut self, changed: &[WorkItemId], changes: RoutingChanges) {
        for item in changed {
            self.items.remove(item);
            self.open_work.remove(item);
        }
        let queue_ids = model::queue_ids(&self.queues);
        let mut arrived: Vec<WaitingItem> = Vec::new();
        for item in changes.waiting {
            arrived.extend(model::waiting_item(&item, &queue_ids));
            self.items.insert(item.item, item);
        }
        for (agent, work) in changes.open_work {
            self.open_work.insert(work.item, (agent, work));
        }
        self.forget_policy_items(changed.to_vec());
        self.merge_policy_items(arrived);
        self.attach_open_work();
    }

    /// Puts routes the round saved into the state as the store wrote them.
    pub fn apply_routes(&mut self, placements: &[RoutePlacement], saved: &[bool]) {
        let changed = model::apply_routes(&self.queues, &mut self.items, placements, saved);
        let queue_ids = model::queue_ids(&self.queues);
        let converted = changed
            .iter()
            .filter_map(|id| self.items.get(id))
            .filter_map(|item| model::waiting_item(item, &queue_ids))
            .collect();
        self.forget_policy_items(changed);
        self.merge_policy_items(converted);
    }

    /// Takes the queues read now; the policy's items are converted again when they changed
    /// (widened queues are named in routes and resolved by name).
    pub fn set_queues(&mut self, queues: Vec<QueueSettings>) {
        if queues == self.queues {
            return;
        }
        self.queues = queues;
        self.convert_all_items();
    }

    /// Takes the agents read now and gives them their open work.
    fn set_agents(&mut self, agents: Vec<AgentRouting>) {
        self.agents = agents;
        self.attach_open_work();
    }

    /// The queues.
    pub fn queues(&self) -> &[QueueSettings] {
        &self.queues
    }

    /// Whether a queue of that name is known.
    pub fn knows_queue(&self, name: &str) -> bool {
        self.queues.iter().any(|queue| queue.name == name)
    }

    /// The waiting items as stored, in id order.
    pub fn items(&self) -> impl Iterator<Item = &WaitingItemRouting> {
        self.items.values()
    }

    /// The stored version of a waiting item.
    pub fn version_of(&self, item: WorkItemId) -> Option<i64> {
        self.items.get(&item).map(|item| item.version)
    }

    /// The agents with their open work.
    pub fn agents(&self) -> &[AgentRouting] {
        &self.agents
    }

    /// Runs `decide` on the policy's snapshot of this state (without copying the items).
    pub fn with_policy_snapshot<T>(
        &mut self,
        config: &PolicyConfig,
        decide: impl FnOnce(&Snapshot) -> T,
    ) -> T {
        let items = std::mem::take(&mut self.policy_items);
        let snapshot = model::policy_snapshot_with(&self.queues, &self.agents, items, config);
        let result = decide(&snapshot);
        self.policy_items = snapshot.items;
        result
    }

    /// The state as a stored snapshot (agents' open work in item order), to compare with a
    /// fresh read.
    pub fn to_snapshot(&self) -> RoutingSnapshot {
        let mut agents = self.agents.clone();
        for agent in &mut agents {
            agent.open_work.sort_by_key(|work| work.item);
        }
        RoutingSnapshot {
            queues: self.queues.clone(),
            agents,
            items: self.items.values().cloned().collect(),
        }
    }

    fn convert_all_items(&mut self) {
        let queue_ids = model::queue_ids(&self.queues);
        self.policy_items = self
            .items
            .values()
            .filter_map(|item| model::waiting_item(item, &queue_ids))
            .collect();
    }

    /// Drops the policy's view of these items. The list is in id order and a round's changes
    /// are mostly its newest items, so only the part from the first of them on is visited.
    fn forget_policy_items(&mut self, mut ids: Vec<WorkItemId>) {
        ids.sort_unstable();
        let Some(first) = ids.first() else {
            return;
        };
        let from = self.policy_items.partition_point(|item| item.id < *first);
        let tail = self.policy_items.split_off(from);
        self.policy_items.extend(
            tail.into_iter()
                .filter(|item| ids.binary_search(&item.id).is_err()),
        );
    }

    /// Adds converted items, keeping the id order.
    fn merge_policy_items(&mut self, mut arrived: Vec<WaitingItem>) {
        if arrived.is_empty() {
            return;
        }
        arrived.sort_by_key(|item| item.id);
        let in_order = match (self.policy_items.last(), arrived.first()) {
            (Some(last), Some(first)) => last.id < first.id,
            _ => true,
        };
        self.policy_items.append(&mut arrived);
        if !in_order {
            self.policy_items.sort_by_key(|item| item.id);
        }
    }

    fn attach_open_work(&mut self) {
        for agent in &mut self.agents {
            agent.open_work.clear();
        }
        let mut work: Vec<(UserId, OpenWork)> = self.open_work.values().copied().collect();
        work.sort_by_key(|(_, work)| work.item);
        attach_open_work(&mut self.agents, work);
    }
}
