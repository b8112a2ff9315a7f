//! One round of decisions over a snapshot.
//!
//! Items are grouped into buckets that share everything agent eligibility depends on (queues
//! open to them, needs at the current step, capacity cost, reservation). Each bucket computes
//! its statically eligible agents once and keeps its items in order; a heap over bucket heads
//! yields items in global order. When a bucket's head finds no agent and has no declines of its
//! own, no later item of that bucket can either (agents only fill up during a round), so the
//! whole bucket waits. A decision therefore costs a heap step plus one scan of the bucket's
//! candidates, independent of the backlog's size.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use chrono::{DateTime, Duration, Utc};
use switchboard_core::UserId;
use switchboard_core::queue::{OfferMode, QueueStrategy};
use switchboard_core::user::AgentStatus;

use super::prepare::{OrderKey, Prepared, bare_explanation, hold_reason, prepare};
use super::select::{Selection, select};
use super::table::{AgentTable, Need, QueueAccess};
use crate::explain::{Decision, Exclusion, ExclusionTally, Explanation, Outcome};
use crate::model::{PolicyConfig, Snapshot};

type BucketKey = (Vec<QueueAccess>, Vec<Need>, u32, Option<u32>, u16);

struct Bucket {
    strategy: QueueStrategy,
    /// Statically eligible agents, computed when the bucket first reaches the front.
    candidates: Option<Vec<u32>>,
    static_excluded: ExclusionTally,
    items: Vec<u32>,
    cursor: usize,
}

/// A round of decisions in progress; [`super::assign`] drives it to the end.
pub struct Round<'a> {
    table: AgentTable<'a>,
    config: &'a PolicyConfig,
    now: DateTime<Utc>,
    prepared: Vec<Prepared<'a>>,
    buckets: Vec<Bucket>,
    heap: BinaryHeap<Reverse<(OrderKey, u32)>>,
    preliminary: Vec<Decision>,
    settled: Vec<Decision>,
    scratch: Vec<(f64, u64, UserId)>,
    /// Agents that can still take some item: available, room for the cheapest item, under cap.
    open: Vec<u32>,
    /// Why every other agent cannot (complete counts, listed up to the explain limit).
    closed: ExclusionTally,
    min_cost: u32,
}

impl<'a> Round<'a> {
    /// Indexes the snapshot as of `now`: settles expired offers, then buckets the items.
    pub fn new(snapshot: &'a Snapshot, now: DateTime<Utc>) -> Self {
        let mut table = AgentTable::build(snapshot);
        let config = &snapshot.config;
        let mut preliminary = Vec::new();
        let mut declines: Vec<Vec<UserId>> = Vec::with_capacity(snapshot.items.len());
        for item in &snapshot.items {
            let mut declined_by = item.state.declined_by.clone();
            if let Some(offer) = item.state.offer
                && offer.expires_at <= now
            {
                preliminary.push(Decision::OfferExpired {
                    item: item.id,
                    agent: offer.agent,
                });
                if let Some(row) = table.row_of(offer.agent) {
                    let cost = config.costs.cost(item.channel);
                    table.load[row] = table.load[row].saturating_sub(cost);
                    table.missed[row] += 1;
                    if table.missed[row] >= config.not_responding_after
                        && table.status[row] == AgentStatus::Available
                    {
                        table.status[row] = AgentStatus::NotResponding;
                        preliminary.push(Decision::MarkNotResponding {
                            agent: offer.agent,
                            missed_offers: table.missed[row],
                        });
                    }
                }
                if !declined_by.contains(&offer.agent) {
                    declined_by.push(offer.agent);
                }
            }
            declines.push(declined_by);
        }
        let mut prepared = Vec::with_capacity(snapshot.items.len());
        for (item, declined_by) in snapshot.items.iter().zip(declines) {
            if let Some(outcome) = hold_reason(item, now) {
                preliminary.push(Decision::Wait {
                    item: item.id,
                    explanation: Box::new(bare_explanation(item, now, outcome)),
                });
                continue;
            }
            let cost = config.costs.cost(item.channel);
            match prepare(&table, item, declined_by, cost, now) {
                Some(ready) => prepared.push(ready),
                None => preliminary.push(Decision::Wait {
                    item: item.id,
                    explanation: Box::new(bare_explanation(item, now, Outcome::UnknownQueue)),
                }),
            }
        }
        let min_cost = prepared.iter().map(|p| p.cost).min().unwrap_or(0);
        let mut round = Self {
            open: Vec::with_capacity(table.len()),
            closed: ExclusionTally::default(),
            min_cost,
            table,
            config,
            now,
            prepared,
            buckets: Vec::new(),
            heap: BinaryHeap::new(),
            preliminary,
            settled: Vec::new(),
            scratch: Vec::new(),
        };
        for agent in 0..round.table.len() {
            match round.closing_reason(agent) {
                None => round.open.push(u32::try_from(agent).unwrap_or(u32::MAX)),
                Some(reason) => {
                    let id = round.table.agents[agent].id;
                    round.closed.add(id, reason, config.explain_limit);
                }
            }
        }
        round.build_buckets();
        round
    }

    /// Why an agent can take no item at all any more, if so.
    fn closing_reason(&self, agent: usize) -> Option<Exclusion> {
        self.table
            .check_status(agent)
            .and_then(|()| self.table.check_dynamic(agent, self.min_cost, &[]))
            .err()
    }

    fn ensure_candidates(&mut self, bucket_number: usize) {
        let bucket = &mut self.buckets[bucket_number];
        if bucket.candidates.is_some() {
            return;
        }
        let Some(&head) = bucket.items.first() else {
            return;
        };
        let item = &self.prepared[head as usize];
        let limit = self.config.explain_limit;
        let mut tally = self.closed.clone();
        let mut candidates = Vec::new();
        for &agent in &self.open {
            let row = agent as usize;
            match self.table.check_static(row, &item.access, &item.needs) {
                Ok(()) => candidates.push(agent),
                Err(reason) => tally.add(self.table.agents[row].id, reason, limit),
            }
        }
        bucket.static_excluded = tally;
        bucket.candidates = Some(candidates);
    }

    fn build_buckets(&mut self) {
        let mut index: HashMap<BucketKey, u32> = HashMap::new();
        for (position, item) in self.prepared.iter().enumerate() {
            let key: BucketKey = (
                item.access.clone(),
                item.needs.clone(),
                item.cost,
                item.reserved_for,
                item.home,
            );
            let next = u32::try_from(self.buckets.len()).unwrap_or(u32::MAX);
            let bucket = *index.entry(key).or_insert_with(|| {
                self.buckets.push(new_bucket(&self.table, item));
                next
            });
            self.buckets[bucket as usize]
                .items
                .push(u32::try_from(position).unwrap_or(u32::MAX));
        }
        for (number, bucket) in self.buckets.iter_mut().enumerate() {
            let prepared = &self.prepared;
            bucket
                .items
                .sort_unstable_by_key(|&item| prepared[item as usize].key);
            if let Some(&head) = bucket.items.first() {
                let number = u32::try_from(number).unwrap_or(u32::MAX);
                self.heap
                    .push(Reverse((prepared[head as usize].key, number)));
            }
        }
    }

    /// Returns the decisions settled while indexing: expired offers, agents no longer
    /// responding, and items held (open offer, cool-down, unknown queue).
    pub fn take_preliminary(&mut self) -> Vec<Decision> {
        std::mem::take(&mut self.preliminary)
    }

    /// Returns the next assignment or offer, best item first; `None` when no more are possible.
    pub fn next_decision(&mut self) -> Option<Decision> {
        while let Some(Reverse((_, number))) = self.heap.pop() {
            let bucket_number = number as usize;
            self.ensure_candidates(bucket_number);
            let bucket = &self.buckets[bucket_number];
            let candidates = bucket.candidates.as_deref().unwrap_or(&[]);
            let position = bucket.items[bucket.cursor] as usize;
            let prepared = &self.prepared[position];
            let selection = select(
                &self.table,
                bucket.strategy,
                candidates,
                prepared,
                self.now,
                self.config.explain_limit,
                &mut self.scratch,
            );
            if let Some(agent) = selection.best {
                let decision = self.hand_out(bucket_number, position, agent, selection);
                self.advance(bucket_number, 1);
                return Some(decision);
            }
            let has_declines = !prepared.declined_by.is_empty();
            let failure = self.explain(
                bucket_number,
                position,
                selection.excluded,
                selection.scored,
                None,
            );
            if has_declines {
                let cool = !selection.undeclined_left && !candidates.is_empty();
                self.settle(position, failure, cool);
                self.advance(bucket_number, 1);
            } else {
                self.settle_bucket(bucket_number, failure);
            }
        }
        None
    }

    /// Returns the waits and cool-downs of everything not handed out.
    pub fn finish(mut self) -> Vec<Decision> {
        while self.next_decision().is_some() {}
        self.settled
    }

    fn advance(&mut self, bucket_number: usize, by: usize) {
        let bucket = &mut self.buckets[bucket_number];
        bucket.cursor += by;
        if let Some(&next) = bucket.items.get(bucket.cursor) {
            let number = u32::try_from(bucket_number).unwrap_or(u32::MAX);
            self.heap
                .push(Reverse((self.prepared[next as usize].key, number)));
        }
    }

    fn hand_out(
        &mut self,
        bucket_number: usize,
        position: usize,
        agent: usize,
        selection: Selection,
    ) -> Decision {
        let prepared = &self.prepared[position];
        let agent_id = self.table.agents[agent].id;
        let queue = self.table.queue(prepared.home);
        let outcome = match (prepared.reserved_for.is_some(), queue.offer_mode) {
            (true, _) => Outcome::PreferredAgent { agent: agent_id },
            (false, OfferMode::AutoAssign) => Outcome::Assigned { agent: agent_id },
            (false, OfferMode::Offer) => Outcome::Offered { agent: agent_id },
        };
        let item = prepared.item.id;
        let cost = prepared.cost;
        let offer_timeout = i64::from(queue.offer_timeout_seconds);
        let offer_mode = queue.offer_mode;
        let explanation = Box::new(self.explain(
            bucket_number,
            position,
            selection.excluded,
            selection.scored,
            Some(outcome),
        ));
        self.table.take(agent, cost, self.now);
        if let Some(reason) = self.closing_reason(agent) {
            let row = u32::try_from(agent).unwrap_or(u32::MAX);
            self.open.retain(|&open| open != row);
            self.closed.add(agent_id, reason, self.config.explain_limit);
        }
        match offer_mode {
            OfferMode::AutoAssign => Decision::Assign {
                item,
                agent: agent_id,
                explanation,
            },
            OfferMode::Offer => Decision::Offer {
                item,
                agent: agent_id,
                expires_at: self.now + Duration::seconds(offer_timeout),
                explanation,
            },
        }
    }

    fn explain(
        &self,
        bucket_number: usize,
        position: usize,
        dynamic: ExclusionTally,
        scored: Vec<crate::explain::ScoredAgent>,
        outcome: Option<Outcome>,
    ) -> Explanation {
        let prepared = &self.prepared[position];
        let outcome = outcome.unwrap_or_else(|| waiting_outcome(prepared));
        let mut tally = self.buckets[bucket_number].static_excluded.clone();
        tally.merge(&dynamic, self.config.explain_limit);
        let mut explanation = prepared.explanation(&self.table, outcome);
        explanation.excluded_counts = tally.count_list();
        explanation.excluded = tally.listed;
        explanation.scored = scored;
        debug_assert!(tally.counts.iter().sum::<u32>() <= explanation.considered);
        explanation
    }

    fn settle(&mut self, position: usize, explanation: Explanation, cool_down: bool) {
        let prepared = &self.prepared[position];
        let item = prepared.item.id;
        if cool_down {
            let seconds = i64::from(self.table.queue(prepared.home).cooldown_seconds);
            let until = self.now + Duration::seconds(seconds);
            let mut explanation = explanation;
            explanation.outcome = Outcome::CoolingDown { until };
            self.settled.push(Decision::CoolDown {
                item,
                until,
                explanation: Box::new(explanation),
            });
        } else {
            self.settled.push(Decision::Wait {
                item,
                explanation: Box::new(explanation),
            });
        }
    }

    /// Settles every remaining item of a bucket whose head found no agent.
    fn settle_bucket(&mut self, bucket_number: usize, failure: Explanation) {
        let bucket = &self.buckets[bucket_number];
        let remaining: Vec<u32> = bucket.items[bucket.cursor..].to_vec();
        let candidates = bucket.candidates.as_deref().unwrap_or(&[]);
        let everyone_declined = |declined_by: &[UserId]| {
            !candidates.is_empty()
                && candidates
                    .iter()
                    .all(|&agent| declined_by.contains(&self.table.agents[agent as usize].id))
        };
        let cool: Vec<bool> = remaining
            .iter()
            .map(|&position| everyone_declined(&self.prepared[position as usize].declined_by))
            .collect();
        for (&position, cool_down) in remaining.iter().zip(cool) {
            let prepared = &self.prepared[position as usize];
            let mut explanation = prepared.explanation(&self.table, waiting_outcome(prepared));
            explanation.excluded_counts = failure.excluded_counts.clone();
            explanation.excluded = failure.excluded.clone();
            explanation.scored = failure.scored.clone();
            self.settle(position as usize, explanation, cool_down);
        }
        let bucket = &mut self.buckets[bucket_number];
        bucket.cursor = bucket.items.len();
    }
}

fn waiting_outcome(prepared: &Prepared<'_>) -> Outcome {
    match prepared.preferred {
        Some(note) if note.reserved => Outcome::ReservedForPreferred {
            agent: note.agent,
            until: note.until,
        },
        _ => Outcome::NoEligibleAgent,
    }
}

fn new_bucket(table: &AgentTable<'_>, item: &Prepared<'_>) -> Bucket {
    let strategy = table.queue(item.home).strategy;
    let mut static_excluded = ExclusionTally::default();
    let candidates = item.reserved_for.map(|reserved| {
        let others = u32::try_from(table.len().saturating_sub(1)).unwrap_or(u32::MAX);
        static_excluded.counts[Exclusion::ReservedForOther.kind() as usize] = others;
        vec![reserved]
    });
    Bucket {
        strategy,
        candidates,
        static_excluded,
        items: Vec::new(),
        cursor: 0,
    }
}
