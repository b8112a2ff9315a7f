//! Builders shared by the router's tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use switchboard_core::item::Channel;
use switchboard_core::skill::{Skill, SkillRequirement};
use switchboard_core::{QueueId, UserId, WorkItemId};
use switchboard_router::model::{
    Agent, ItemRoute, QueueConfig, RoutingState, Snapshot, WaitingItem,
};

pub const Q: QueueId = QueueId::new(1);

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap()
}

pub fn minutes(m: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(m)
}

pub fn skills(list: &[(&str, u8)]) -> Vec<Skill> {
    list.iter()
        .map(|(name, level)| Skill {
            name: (*name).into(),
            level: *level,
        })
        .collect()
}

pub fn reqs(list: &[&str]) -> Vec<SkillRequirement> {
    list.iter().map(|raw| raw.parse().unwrap()).collect()
}

pub fn agent(id: i64, list: &[(&str, u8)], idle_since_minute: i64) -> Agent {
    let mut agent = Agent::new(UserId::new(id), skills(list), minutes(idle_since_minute));
    agent.primary_queues = vec![Q];
    agent
}

pub fn item(id: i64, arrived_minute: i64, priority: i32, required: &[&str]) -> WaitingItem {
    WaitingItem {
        id: WorkItemId::new(id),
        channel: Channel::Email,
        arrived_at: minutes(arrived_minute),
        sla: None,
        route: ItemRoute::simple(Q, priority, reqs(required)),
        preferred_agent: None,
        state: RoutingState::default(),
    }
}

pub fn snapshot(agents: Vec<Agent>, items: Vec<WaitingItem>) -> Snapshot {
    Snapshot {
        queues: vec![QueueConfig::new(Q, "inbox")],
        agents,
        items,
        config: Default::default(),
    }
}

/// (item, agent) pairs of assignments and offers, in decision order.
pub fn handed_out(decisions: &[switchboard_router::Decision]) -> Vec<(i64, i64)> {
    decisions
        .iter()
        .filter_map(|d| Some((d.item()?.get(), d.taken_by()?.get())))
        .collect()
}
