//! Routing benchmark: 1,000 agents, 50 skills, 100,000 queued items.
//!
//! Prints the two figures the issue asks for before criterion's own runs:
//! - decision latency (p50/p99) of one assignment inside a round, measured per decision;
//! - the time to assign a 100,000-item backlog when 1,000 agents come online (one `assign`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use switchboard_core::item::Channel;
use switchboard_core::skill::{Skill, SkillRequirement};
use switchboard_core::{QueueId, UserId, WorkItemId};
use switchboard_router::model::{
    Agent, ItemRoute, QueueConfig, RoutingState, Snapshot, WaitingItem,
};
use switchboard_router::policy::{Round, assign};

const AGENTS: usize = 1_000;
const ITEMS: usize = 100_000;
const SKILLS: usize = 50;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Skewed towards low indexes (popular skills).
    fn skewed(&mut self, n: usize) -> usize {
        self.below(n).min(self.below(n))
    }
}

fn skill_names() -> Vec<String> {
    let mut names: Vec<String> = ["nl", "en", "de", "fr"]
        .iter()
        .map(|l| format!("language:{l}"))
        .collect();
    names.extend(
        ["skincare", "haircare", "makeup", "fragrance", "nails"]
            .iter()
            .map(|p| format!("product:{p}")),
    );
    names.extend(
        ["email", "fax", "voicemail", "letter"]
            .iter()
            .map(|c| format!("channel:{c}")),
    );
    names.extend(["complaint", "key_account", "credit_pricing"].map(String::from));
    let mut filler = 0;
    while names.len() < SKILLS {
        names.push(format!("extra:s{filler:02}"));
        filler += 1;
    }
    names
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap()
}

fn build_snapshot() -> Snapshot {
    let names = skill_names();
    let queue = QueueId::new(1);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let agents = (0..AGENTS)
        .map(|index| {
            let mut skills: Vec<Skill> = Vec::new();
            let wanted = 8 + rng.below(8);
            while skills.len() < wanted {
                let name = &names[rng.skewed(SKILLS)];
                if !skills.iter().any(|s| &s.name == name) {
                    skills.push(Skill {
                        name: name.clone(),
                        level: 1 + rng.below(5) as u8,
                    });
                }
            }
            let idle = now() - Duration::seconds(rng.below(3_600) as i64);
            let mut agent = Agent::new(UserId::new(index as i64 + 1), skills, idle);
            agent.primary_queues = vec![queue];
            agent
        })
        .collect();
    let channels = [
        Channel::Email,
        Channel::Email,
        Channel::Email,
        Channel::Fax,
        Channel::Letter,
        Channel::Voicemail,
    ];
    let items = (0..ITEMS)
        .map(|index| {
            let mut required: Vec<SkillRequirement> = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let name = &names[rng.skewed(SKILLS)];
                if !required.iter().any(|r| &r.name == name) {
                    required.push(SkillRequirement::new(name.clone(), 1 + rng.below(3) as u8));
                }
            }
            WaitingItem {
                id: WorkItemId::new(index as i64 + 1),
                channel: channels[rng.below(channels.len())],
                arrived_at: now() - Duration::seconds(rng.below(86_400) as i64),
                sla_due_at: None,
                route: ItemRoute::simple(queue, rng.below(4) as i32 * 10, required),
                preferred_agent: None,
                state: RoutingState::default(),
            }
        })
        .collect();
    let mut config = QueueConfig::new(queue, "inbox");
    config.aging_per_minute = 0.1;
    Snapshot {
        queues: vec![config],
        agents,
        items,
        config: Default::default(),
    }
}

fn percentile(sorted: &[StdDuration], share: f64) -> StdDuration {
    sorted[((sorted.len() as f64 - 1.0) * share) as usize]
}

fn print_figures(snapshot: &Snapshot) {
    let mut latencies = Vec::new();
    let index_started = Instant::now();
    let mut round = Round::new(snapshot, now());
    let index_time = index_started.elapsed();
    loop {
        let started = Instant::now();
        let decision = round.next_decision();
        latencies.push(started.elapsed());
        if decision.is_none() {
            break;
        }
        black_box(decision);
    }
    latencies.pop();
    latencies.sort_unstable();
    println!(
        "decision latency: {} decisions, p50 {:?}, p99 {:?}, max {:?} (indexing {:?} before the first)",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default(),
        index_time,
    );
    let started = Instant::now();
    let decisions = assign(snapshot, now());
    let elapsed = started.elapsed();
    let handed_out = decisions.iter().filter(|d| d.taken_by().is_some()).count();
    println!(
        "backlog: {ITEMS} items, {AGENTS} agents coming online: assign() took {elapsed:?} \
         ({handed_out} assigned, {} decisions with explanations)",
        decisions.len()
    );
}

fn bench(c: &mut Criterion) {
    let snapshot = build_snapshot();
    print_figures(&snapshot);
    let mut group = c.benchmark_group("router");
    group.sample_size(10);
    group.measurement_time(StdDuration::from_secs(5));
    group.bench_function("assign 100k items / 1k agents", |b| {
        b.iter(|| black_box(assign(&snapshot, now())))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
