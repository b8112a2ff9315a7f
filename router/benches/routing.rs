//! Routing benchmark: 1,000 agents, 50 skills, 100,000 queued items.
//!
//! Prints the two figures the issue asks for before criterion's own runs:
//! - decision latency (p50/p99) of one assignment inside a round, measured per decision;
//! - the time to assign a 100,000-item backlog when 1,000 agents come online (one `assign`).
//!
//! Every figure is given twice: wall clock, and the thread's CPU clock, which leaves out the
//! time the benchmark waited for a core on a shared machine (it still counts cache misses
//! caused by other processes). With `SWITCHBOARD_FLOOR_BIN` naming the floor binary
//! (`../shared/floor`, built with `cargo build --release`), the floor's p99 is measured in the
//! same run and the ratio printed. `ROUTING_EVENTS` sets the steady-state event count.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, TimeZone, Utc};
use cpu_time::ThreadTime;
use criterion::{Criterion, criterion_group, criterion_main};
use switchboard_core::item::Channel;
use switchboard_core::skill::{Skill, SkillRequirement};
use switchboard_core::{QueueId, UserId, WorkItemId};
use switchboard_router::Decision;
use switchboard_router::model::{
    Agent, ItemRoute, QueueConfig, RoutingState, Snapshot, WaitingItem,
};
use switchboard_router::policy::{Round, RoutingIndex, assign};

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
                sla: None,
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

/// A started measurement on both clocks.
struct Stopwatch {
    wall: Instant,
    cpu: ThreadTime,
}

impl Stopwatch {
    fn start() -> Self {
        let cpu = ThreadTime::now();
        Self {
            wall: Instant::now(),
            cpu,
        }
    }

    /// (wall, cpu) elapsed.
    fn read(&self) -> (StdDuration, StdDuration) {
        let wall = self.wall.elapsed();
        (wall, self.cpu.elapsed())
    }
}

/// Latency samples on both clocks.
#[derive(Default)]
struct Samples {
    wall: Vec<StdDuration>,
    cpu: Vec<StdDuration>,
}

impl Samples {
    fn push(&mut self, (wall, cpu): (StdDuration, StdDuration)) {
        self.wall.push(wall);
        self.cpu.push(cpu);
    }

    fn pop(&mut self) {
        self.wall.pop();
        self.cpu.pop();
    }

    fn len(&self) -> usize {
        self.wall.len()
    }
}

/// Prints p50/p99/max on both clocks; returns the wall and CPU p99.
fn summary(label: &str, mut samples: Samples) -> (StdDuration, StdDuration) {
    if samples.len() == 0 {
        println!("{label}: none");
        return (StdDuration::ZERO, StdDuration::ZERO);
    }
    samples.wall.sort_unstable();
    samples.cpu.sort_unstable();
    let (wall, cpu) = (&samples.wall, &samples.cpu);
    println!(
        "{label}: {} decisions, wall p50 {:?} p99 {:?} max {:?}; cpu p50 {:?} p99 {:?} max {:?}",
        wall.len(),
        percentile(wall, 0.5),
        percentile(wall, 0.99),
        wall.last().copied().unwrap_or_default(),
        percentile(cpu, 0.5),
        percentile(cpu, 0.99),
        cpu.last().copied().unwrap_or_default(),
    );
    (percentile(wall, 0.99), percentile(cpu, 0.99))
}

/// What reading both clocks around nothing costs (it is inside every sample).
fn clock_overhead() {
    let mut samples = Samples::default();
    for _ in 0..10_000 {
        let watch = Stopwatch::start();
        samples.push(watch.read());
    }
    summary("clock reads alone (inside every sample)", samples);
}

fn print_figures(snapshot: &Snapshot) {
    let mut latencies = Samples::default();
    let watch = Stopwatch::start();
    let mut round = Round::new(snapshot, now());
    let (index_wall, index_cpu) = watch.read();
    loop {
        let watch = Stopwatch::start();
        let decision = round.next_decision();
        latencies.push(watch.read());
        if decision.is_none() {
            break;
        }
        black_box(decision);
    }
    latencies.pop();
    println!(
        "round (assign) indexing before the first decision: wall {index_wall:?}, cpu {index_cpu:?}"
    );
    summary("round (assign) decision latency", latencies);
    let watch = Stopwatch::start();
    let decisions = assign(snapshot, now());
    let (wall, cpu) = watch.read();
    let handed_out = decisions.iter().filter(|d| d.taken_by().is_some()).count();
    println!(
        "backlog: {ITEMS} items, {AGENTS} agents coming online: assign() took wall {wall:?}, cpu {cpu:?} \
         ({handed_out} assigned, {} decisions with explanations)",
        decisions.len()
    );
}

/// The event-driven index: the backlog drained once, then one event (an agent finishes an
/// item, a new item arrives) followed by the decisions it allows, with the clock moving on.
fn print_index_figures(snapshot: &Snapshot) -> (StdDuration, StdDuration) {
    let events: i64 = std::env::var("ROUTING_EVENTS")
        .ok()
        .and_then(|raw| raw.parse().ok())
        .unwrap_or(100_000);
    let watch = Stopwatch::start();
    let mut index = RoutingIndex::new(snapshot, now());
    let (build_wall, build_cpu) = watch.read();
    let mut held: Vec<Vec<u32>> = vec![Vec::new(); AGENTS];
    let cost_of = |item: i64| {
        let channel = snapshot.items[(item - 1) as usize].channel;
        snapshot.config.costs.cost(channel)
    };
    let note = |decision: &Decision, held: &mut Vec<Vec<u32>>, cost: u32| {
        if let Some(agent) = decision.taken_by() {
            held[(agent.get() - 1) as usize].push(cost);
        }
    };
    let mut drain_latencies = Samples::default();
    let drain_watch = Stopwatch::start();
    loop {
        let watch = Stopwatch::start();
        let decision = index.next_decision(now());
        drain_latencies.push(watch.read());
        let Some(decision) = decision else { break };
        let cost = decision.item().map_or(0, |item| cost_of(item.get()));
        note(&decision, &mut held, cost);
        black_box(decision);
    }
    drain_latencies.pop();
    let (drain_wall, drain_cpu) = drain_watch.read();
    println!(
        "index backlog: {ITEMS} items, {AGENTS} agents: built in wall {build_wall:?} (cpu {build_cpu:?}), \
         drained in wall {drain_wall:?} (cpu {drain_cpu:?}); {} assigned",
        drain_latencies.len()
    );
    summary("index decision latency (backlog drain)", drain_latencies);

    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut clock = now();
    let template = snapshot.items.clone();
    let mut event_latencies = Samples::default();
    let mut quiet_latencies = Samples::default();
    let mut extra_costs: std::collections::HashMap<i64, u32> = Default::default();
    let mut tick_latencies = Samples::default();
    for next_id in ITEMS as i64 + 1..ITEMS as i64 + 1 + events {
        clock += Duration::milliseconds(10);
        let ticked = Stopwatch::start();
        index.on_tick(clock);
        tick_latencies.push(ticked.read());
        let agent = rng.below(AGENTS);
        let mut item = template[rng.below(ITEMS)].clone();
        item.id = WorkItemId::new(next_id);
        item.arrived_at = clock;
        extra_costs.insert(item.id.get(), snapshot.config.costs.cost(item.channel));
        let mut started = Stopwatch::start();
        if !held[agent].is_empty() {
            held[agent].swap_remove(0);
            let load: u32 = held[agent].iter().sum();
            index.on_agent_capacity_changed(UserId::new(agent as i64 + 1), 100, load);
        }
        index.on_item_queued(item);
        loop {
            let decision = index.next_decision(clock);
            let elapsed = started.read();
            let Some(decision) = decision else {
                quiet_latencies.push(elapsed);
                break;
            };
            let item = decision.item().map_or(0, |item| item.get());
            let cost = extra_costs.get(&item).copied().unwrap_or_else(|| {
                if item >= 1 && item <= ITEMS as i64 {
                    cost_of(item)
                } else {
                    0
                }
            });
            note(&decision, &mut held, cost);
            event_latencies.push(elapsed);
            black_box(decision);
            started = Stopwatch::start();
        }
    }
    println!(
        "index steady state: {events} events (agent finishes an item + one item arrives), clock +10 ms each, backlog ~{}",
        index.len()
    );
    let p99 = summary(
        "index decision latency (event -> decision)",
        event_latencies,
    );
    summary("index event with no decision (quiet)", quiet_latencies);
    summary(
        "index clock tick between events (aging, timers)",
        tick_latencies,
    );
    p99
}

/// Runs the floor's routing part when `SWITCHBOARD_FLOOR_BIN` names its binary; returns its p99.
fn floor_p99() -> Option<StdDuration> {
    let binary = std::env::var("SWITCHBOARD_FLOOR_BIN").ok()?;
    let output = std::process::Command::new(binary)
        .args(["route", "--quick"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|line| line.contains("agent -> item, N=1000, M=100000: p99"))?;
    let median = line.split('|').nth(3)?.trim().replace(',', "");
    let nanos: u64 = median.parse().ok()?;
    println!("floor (bare in-memory matcher, agent -> item): p99 {nanos} ns");
    Some(StdDuration::from_nanos(nanos))
}

fn bench(c: &mut Criterion) {
    let floor = floor_p99();
    clock_overhead();
    let snapshot = build_snapshot();
    print_figures(&snapshot);
    let (wall_p99, cpu_p99) = print_index_figures(&snapshot);
    if let Some(floor) = floor {
        println!(
            "ratio index p99 / floor p99: wall {:.1}x, cpu {:.1}x",
            wall_p99.as_secs_f64() / floor.as_secs_f64(),
            cpu_p99.as_secs_f64() / floor.as_secs_f64()
        );
    }
    let mut group = c.benchmark_group("router");
    group.sample_size(10);
    group.measurement_time(StdDuration::from_secs(5));
    group.bench_function("assign 100k items / 1k agents", |b| {
        b.iter(|| black_box(assign(&snapshot, now())))
    });
    group.bench_function("index build + drain 100k items / 1k agents", |b| {
        b.iter(|| {
            let mut index = RoutingIndex::new(&snapshot, now());
            while let Some(decision) = index.next_decision(now()) {
                black_box(decision);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
