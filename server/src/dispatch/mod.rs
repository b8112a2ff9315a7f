//! The dispatch loop: reacts to routing events (an item queued, an agent's status or load
//! changed, an offer answered, a lead's action, and timers for offer timeouts, cool-downs,
//! reservations and relaxation steps), brings its routing state up to date ([`live`]: the items
//! the change feed names, not a full snapshot), asks the pure policy and persists its decisions
//! fenced by item versions. It also records SLA breaches: a check runs when an event
//! may have moved a due time and at the next due time it knows of (never on a fixed beat).
//!
//! Exactly one node routes at a time: on PostgreSQL the loop runs only while it holds an
//! advisory lock ([`leader`]) and wakes on `LISTEN switchboard_routing`; SQLite is one node.

pub mod leader;
pub mod live;
pub mod model;
pub mod simulate;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex as StdMutex, PoisonError};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use switchboard_core::error::CoreResult;
use switchboard_core::item::ItemStatus;
use switchboard_core::routing::{ClaimCandidate, RouterHandle, SimulationRequest};
use switchboard_core::store::Store;
use switchboard_core::{CoreError, UserId, WorkItemId};
use switchboard_router::model::PolicyConfig;
use switchboard_router::rules::{ValidRuleSet, default_rule_set, validate};
use switchboard_router::{explain::Decision, policy};
use tokio::sync::{Mutex, Notify};

/// Settings of the dispatch loop.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// How long an agent may be away or offline before their work returns to routing.
    pub absence_grace: Duration,
    /// The longest the loop sleeps without an event (covers writes by other processes).
    pub idle_tick: StdDuration,
    /// Policy settings (channel costs, not-responding threshold).
    pub policy: PolicyConfig,
    /// How often the loop reads its whole routing state again instead of following the change
    /// feed (it also does when it takes the router lock and after a failed round).
    pub resync_every: StdDuration,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            absence_grace: Duration::minutes(2),
            idle_tick: StdDuration::from_secs(1),
            policy: PolicyConfig::default(),
            resync_every: StdDuration::from_secs(30),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundSummary {
    /// Items given a route by the rules.
    pub planned: usize,
    /// Decisions persisted.
    pub applied: usize,
    /// Decisions found stale by the version fence.
    pub stale: usize,
    /// Items returned to routing from absent agents.
    pub returned: usize,
    /// SLA breaches recorded.
    pub breaches: usize,
    /// The next moment something changes without an event, as the round's snapshot and
    /// decisions tell (an offer times out, a cool-down or reservation ends, a step relaxes).
    pub next_due: Option<DateTime<Utc>>,
}

/// The longest the router goes without a breach check when no event comes (writes by other
/// processes that sent none).
const BREACH_CHECK_BACKSTOP_MINUTES: i64 = 1;

/// The rule set in force, cached by version (0 = the built-in default set).
struct ActiveRules {
    version: i64,
    rules: Arc<ValidRuleSet>,
}

/// The router of this node, shared by the loop, the HTTP surface and the pipeline.
pub struct Router {
    store: Arc<dyn Store>,
    settings: DispatchSettings,
    wake: Notify,
    rules: Mutex<Option<ActiveRules>>,
    /// The routing state kept between rounds; `None` makes the next round read it all.
    live: Mutex<Option<live::LiveRouting>>,
    /// An event may have moved a due time: check for breaches in the next round.
    sla_changed: AtomicBool,
    /// When the next breach check is due without an event.
    next_breach_check: StdMutex<Option<DateTime<Utc>>>,
}

/// A cheap handle to the node's router.
#[derive(Clone)]
pub struct DispatchHandle(Arc<Router>);

impl DispatchHandle {
    /// Builds a router on `store`; nothing runs until [`DispatchHandle::run`] or a round.
    pub fn new(store: Arc<dyn Store>, settings: DispatchSettings) -> Self {
        Self(Arc::new(Router {
            store,
            settings,
            wake: Notify::new(),
            rules: Mutex::new(None),
            live: Mutex::new(None),
            sla_changed: AtomicBool::new(true),
            next_breach_check: StdMutex::new(None),
        }))
    }

    /// The handle as the HTTP surface takes it.
    pub fn as_router_handle(&self) -> Arc<dyn RouterHandle> {
        Arc::new(self.clone())
    }

    /// Wakes the loop: routing state changed.
    pub fn notify(&self) {
        self.0.sla_changed.store(true, Ordering::Release);
        self.0.wake.notify_one();
    }

    /// Runs one round now: plan new routes, return absent agents' work, decide and persist.
    pub async fn round(&self) -> CoreResult<RoundSummary> {
        self.0.round().await
    }

    /// Routes until the process ends. On PostgreSQL (`database_url` given) only while this
    /// node holds the router lock.
    pub async fn run(self, postgres_url: Option<String>) {
        match postgres_url {
            Some(url) => leader::run_as_leader(self, &url).await,
            None => loop {
                self.routing_session(None).await;
            },
        }
    }

    /// Brings the loop's routing state up to date as a round does (following the change feed,
    /// or reading it all when missing or due) and returns it as a stored snapshot, for
    /// comparing it with a fresh read.
    pub async fn caught_up_snapshot(
        &self,
    ) -> CoreResult<switchboard_core::routing::RoutingSnapshot> {
        let router = &self.0;
        let mut slot = router.live.lock().await;
        let caught_up = router.up_to_date(&mut slot, Utc::now()).await;
        match caught_up {
            Ok(state) => Ok(state.to_snapshot()),
            Err(error) => {
                *slot = None;
                Err(error)
            }
        }
    }

    /// The decisions a round would take now on the kept routing state (brought up to date as a
    /// round does) and by the policy over a fresh read of the store, neither persisted; for
    /// comparing the two. The kept state is read again at the next round (its index took the
    /// decisions).
    pub async fn decisions_now(&self) -> CoreResult<(Vec<Decision>, Vec<Decision>)> {
        let router = &self.0;
        let now = Utc::now();
        let mut slot = router.live.lock().await;
        let kept = match router.up_to_date(&mut slot, now).await {
            Ok(state) => state.decide(&router.settings.policy, now).0,
            Err(error) => {
                *slot = None;
                return Err(error);
            }
        };
        *slot = None;
        drop(slot);
        let fresh = router.store.routing_snapshot(now).await?;
        let policy = model::policy_snapshot(&fresh, &router.settings.policy);
        let acting = policy::assign(&policy, now)
            .into_iter()
            .filter(|decision| !matches!(decision, Decision::Wait { .. }))
            .collect();
        Ok((kept, acting))
    }

    /// Routes until `session` (the leadership check) fails; returns then. A session starts
    /// from a full read of the routing state (another node may have routed meanwhile).
    pub(crate) async fn routing_session(&self, mut session: Option<&mut leader::Leadership>) {
        let router = &self.0;
        *router.live.lock().await = None;
        loop {
            let next = match router.round().await {
                Ok(summary) => {
                    if summary.applied + summary.planned + summary.returned + summary.breaches > 0 {
                        tracing::debug!(?summary, "routing round");
                    }
                    let breach_check = router.next_breach_check();
                    match summary.next_due {
                        Some(due) => Some(breach_check.map_or(due, |check| check.min(due))),
                        None => breach_check,
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "routing round failed");
                    None
                }
            };
            let tick = router.settings.idle_tick;
            let sleep = next
                .and_then(|due| (due - Utc::now()).to_std().ok())
                .map_or(tick, |until| until.min(tick));
            match session.as_deref_mut() {
                Some(leadership) => {
                    tokio::select! {
                        () = router.wake.notified() => {}
                        () = tokio::time::sleep(sleep) => {}
                        alive = leadership.event() => {
                            if !alive {
                                return;
                            }
                            // Another node changed items: their due times may have moved.
                            router.sla_changed.store(true, Ordering::Release);
                        }
                    }
                }
                None => {
                    tokio::select! {
                        () = router.wake.notified() => {}
                        () = tokio::time::sleep(sleep) => {}
                    }
                }
            }
        }
    }
}

impl Router {
    async fn active_rules(&self) -> CoreResult<(i64, Arc<ValidRuleSet>)> {
        let stored = self.store.active_rule_set().await?;
        let version = stored.as_ref().map_or(0, |set| set.version);
        let mut cache = self.rules.lock().await;
        if let Some(active) = cache.as_ref().filter(|active| active.version == version) {
            return Ok((version, Arc::clone(&active.rules)));
        }
        let document = match stored {
            Some(set) => serde_json::from_value(set.document)
                .map_err(|error| CoreError::Internal(format!("stored rule set: {error}")))?,
            None => default_rule_set(),
        };
        let rules = Arc::new(validate(&document).map_err(|errors| {
            CoreError::Internal(format!(
                "rule set {version} no longer validates: {errors:?}"
            ))
        })?);
        *cache = Some(ActiveRules {
            version,
            rules: Arc::clone(&rules),
        });
        Ok((version, rules))
    }

    async fn round(&self) -> CoreResult<RoundSummary> {
        let mut slot = self.live.lock().await;
        let result = self.round_on(&mut slot).await;
        if result.is_err() {
            // Part of the round may have been written: read everything again next time.
            *slot = None;
        }
        result
    }

    /// Brings the kept routing state up to date, reading it all when it is missing or due.
    async fn up_to_date<'a>(
        &self,
        slot: &'a mut Option<live::LiveRouting>,
        now: DateTime<Utc>,
    ) -> CoreResult<&'a mut live::LiveRouting> {
        let current = match slot.take() {
            Some(mut kept) if !kept.is_due_for_full_read(self.settings.resync_every) => {
                if kept.refresh(self.store.as_ref(), now).await? {
                    kept
                } else {
                    live::LiveRouting::read(self.store.as_ref(), now).await?
                }
            }
            _ => live::LiveRouting::read(self.store.as_ref(), now).await?,
        };
        Ok(slot.insert(current))
    }

    async fn round_on(&self, slot: &mut Option<live::LiveRouting>) -> CoreResult<RoundSummary> {
        let mut summary = RoundSummary::default();
        let now = Utc::now();
        summary.returned = self
            .store
            .return_absent_work(now - self.settings.absence_grace, now)
            .await?
            .len();
        let (version, rules) = self.active_rules().await?;
        let state = self.up_to_date(slot, now).await?;
        let unplanned: Vec<WorkItemId> = state
            .items()
            .filter(|item| {
                item.status == ItemStatus::Queued
                    && !item.route_locked
                    && (item.route.is_none() || item.rule_set_version != Some(version))
            })
            .map(|item| item.item)
            .collect();
        if !unplanned.is_empty() {
            let facts = self.store.routing_facts(&unplanned).await?;
            let placements: Vec<_> = facts
                .iter()
                .map(|facts| model::placement(facts, &model::route_plan(&rules, facts), version))
                .collect();
            let saved = self.store.save_routes(&placements).await?;
            summary.planned = saved.iter().filter(|saved| **saved).count();
            // The saved routes go into the state as the store wrote them (no second read);
            // a route naming a queue the store just created needs the queues read again.
            if placements
                .iter()
                .any(|placement| !state.knows_queue(&placement.queue))
            {
                state.set_queues(self.store.queue_settings().await?);
            }
            state.apply_routes(&placements, &saved);
        }
        let grace = self.settings.absence_grace;
        let agents_due = model::next_due_of_agents(state.agents(), now, grace);
        let (decisions, items_due) = state.decide(&self.settings.policy, now);
        summary.next_due = model::decision_moments(&decisions)
            .chain(items_due)
            .chain(agents_due)
            .filter(|moment| *moment > now)
            .min();
        let (writes, not_responding) = model::fenced(decisions, |item| state.version_of(item));
        if !writes.is_empty() {
            let applied = self.store.apply_decisions(&writes, now).await?;
            summary.applied = applied.iter().filter(|applied| **applied).count();
            summary.stale = applied.len() - summary.applied;
        }
        for (agent, missed) in not_responding {
            self.store.mark_not_responding(agent, missed, now).await?;
        }
        summary.breaches = self.check_sla_breaches(now).await?;
        Ok(summary)
    }

    /// Records SLA breaches when an event may have moved a due time or the next known due time
    /// has come; returns how many were recorded.
    async fn check_sla_breaches(&self, now: DateTime<Utc>) -> CoreResult<usize> {
        let changed = self.sla_changed.swap(false, Ordering::AcqRel);
        let due = self.next_breach_check().is_none_or(|at| at <= now);
        if !changed && !due {
            return Ok(0);
        }
        let check = match self.store.record_sla_breaches(now).await {
            Ok(check) => check,
            Err(error) => {
                self.sla_changed.store(true, Ordering::Release);
                return Err(error);
            }
        };
        if check.recorded > 0 {
            tracing::info!(breaches = check.recorded, "sla breaches recorded");
        }
        let backstop = now + Duration::minutes(BREACH_CHECK_BACKSTOP_MINUTES);
        let next = check.next_due_at.map_or(backstop, |at| at.min(backstop));
        *self
            .next_breach_check
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(next);
        Ok(check.recorded)
    }

    fn next_breach_check(&self) -> Option<DateTime<Utc>> {
        *self
            .next_breach_check
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn waiting_explanations(&self) -> CoreResult<Vec<(WorkItemId, serde_json::Value)>> {
        let now = Utc::now();
        let snapshot = self.store.routing_snapshot(now).await?;
        let policy_snapshot = model::policy_snapshot(&snapshot, &self.settings.policy);
        Ok(policy::assign(&policy_snapshot, now)
            .iter()
            .filter_map(|decision| {
                let explanation = serde_json::to_value(decision.explanation()?).ok()?;
                Some((decision.item()?, explanation))
            })
            .collect())
    }

    async fn next_item(&self, agent: UserId) -> CoreResult<Option<WorkItemId>> {
        for _attempt in 0..5 {
            let now = Utc::now();
            let snapshot = self.store.routing_snapshot(now).await?;
            let policy_snapshot = model::policy_snapshot(&snapshot, &self.settings.policy);
            let Some(Decision::Assign {
                item, explanation, ..
            }) = policy::next_item_for(agent, &policy_snapshot, now)
            else {
                return Ok(None);
            };
            let Some(waiting) = snapshot.items.iter().find(|waiting| waiting.item == item) else {
                return Ok(None);
            };
            let candidate = ClaimCandidate {
                item,
                expected_version: waiting.version,
                explanation: serde_json::to_value(&explanation).unwrap_or(serde_json::Value::Null),
            };
            if let Some(claimed) = self.store.claim_next_item(agent, &[candidate], now).await? {
                return Ok(Some(claimed));
            }
        }
        Err(CoreError::Conflict(
            "other agents keep taking the items first; try again".into(),
        ))
    }
}

#[async_trait]
impl RouterHandle for DispatchHandle {
    fn wake(&self) {
        self.notify();
    }

    async fn next_item(&self, agent: UserId) -> CoreResult<Option<WorkItemId>> {
        let claimed = self.0.next_item(agent).await;
        self.notify();
        claimed
    }

    async fn simulate(&self, request: &SimulationRequest) -> CoreResult<serde_json::Value> {
        let report = simulate::run(self.0.store.as_ref(), request, &self.0.settings.policy).await?;
        Ok(report.to_json())
    }

    async fn waiting_explanations(&self) -> CoreResult<Vec<(WorkItemId, serde_json::Value)>> {
        self.0.waiting_explanations().await
    }
}

/// Starts the node's router for `database_url` and returns its handle.
pub fn start(store: Arc<dyn Store>, database_url: &str) -> DispatchHandle {
    let postgres = switchboard_store::is_postgres(database_url);
    let settings = DispatchSettings {
        idle_tick: if postgres {
            StdDuration::from_secs(5)
        } else {
            StdDuration::from_secs(1)
        },
        ..DispatchSettings::default()
    };
    let handle = DispatchHandle::new(store, settings);
    let url = postgres.then(|| database_url.to_owned());
    tokio::spawn(handle.clone().run(url));
    handle
}
