//! The router's routing state kept between rounds: queues, agents with their open work, the
//! waiting items as stored, and the policy's [`RoutingIndex`] over them. A round reads the item
//! change feed (`item_changes`) since the last one and re-reads only the items it names, which
//! the index is told about; agents and queues (staff-sized, and changed by writes that do not
//! pass through the feed) are read every round, and the index takes the agents that changed.
//! A round's decisions therefore cost what changed, not the backlog.
//!
//! A full read replaces everything when the state is new, every `resync_every`, after a round
//! failed, when leadership is (re)acquired, and when the feed names more items than a full read
//! costs, so the state can never drift for long; the index is built again from the state after
//! a full read and when the queues change.

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
use switchboard_router::explain::Decision;
use switchboard_router::model::PolicyConfig;
use switchboard_router::policy::RoutingIndex;

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
    /// The policy's index over the waiting items that have a queue, kept up to date with them;
    /// `None` until a round needs it, and again once the queues change.
    index: Option<RoutingIndex>,
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
        Self {
            queues: snapshot.queues,
            agents: snapshot.agents,
            open_work,
            items: snapshot
                .items
                .into_iter()
                .map(|item| (item.item, item))
                .collect(),
            index: None,
            cursor,
            synced_at: Instant::now(),
        }
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
        for item in changes.waiting {
            self.items.insert(item.item, item);
        }
        for (agent, work) in changes.open_work {
            self.open_work.insert(work.item, (agent, work));
        }
        self.reindex(changed);
        self.attach_open_work();
    }

    /// Puts routes the round saved into the state as the store wrote them.
    pub fn apply_routes(&mut self, placements: &[RoutePlacement], saved: &[bool]) {
        let changed = model::apply_routes(&self.queues, &mut self.items, placements, saved);
        self.reindex(&changed);
    }

    /// Tells the index (when there is one) that the `changed` items are now as the state holds
    /// them: each leaves it, and comes back if it still waits in a known queue.
    fn reindex(&mut self, changed: &[WorkItemId]) {
        let Some(index) = &mut self.index else {
            return;
        };
        for item in changed {
            index.on_item_removed(*item);
        }
        let queue_ids = model::queue_ids(&self.queues);
        for item in changed.iter().filter_map(|id| self.items.get(id)) {
            if let Some(waiting) = model::waiting_item(item, &queue_ids) {
                index.on_item_queued(waiting);
            }
        }
    }

    /// Takes the queues read now; when they changed, the index is built again at the next
    /// round (widened queues are named in routes and resolved by name).
    pub fn set_queues(&mut self, queues: Vec<QueueSettings>) {
        if queues == self.queues {
            return;
        }
        self.queues = queues;
        self.index = None;
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

    /// The policy's decisions at `now` that change something (hand-outs, expired offers,
    /// cool-downs, agents no longer responding), already applied to the index, and the next
    /// moment an item becomes routable without an event. The index takes the agents as read
    /// this round first; it is built from the whole state when there is none.
    pub fn decide(
        &mut self,
        config: &PolicyConfig,
        now: DateTime<Utc>,
    ) -> (Vec<Decision>, Option<DateTime<Utc>>) {
        let index = match &mut self.index {
            Some(index) => {
                index.on_agents_read(&model::policy_agents(&self.queues, &self.agents, config));
                index
            }
            None => {
                let queue_ids = model::queue_ids(&self.queues);
                let items = self
                    .items
                    .values()
                    .filter_map(|item| model::waiting_item(item, &queue_ids))
                    .collect();
                let snapshot =
                    model::policy_snapshot_with(&self.queues, &self.agents, items, config);
                self.index.insert(RoutingIndex::new(&snapshot, now))
            }
        };
        let mut decisions = Vec::new();
        while let Some(decision) = index.next_decision(now) {
            decisions.push(decision);
        }
        (decisions, index.next_due())
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

    fn attach_open_work(&mut self) {
        for agent in &mut self.agents {
            agent.open_work.clear();
        }
        let mut work: Vec<(UserId, OpenWork)> = self.open_work.values().copied().collect();
        work.sort_by_key(|(_, work)| work.item);
        attach_open_work(&mut self.agents, work);
    }
}
