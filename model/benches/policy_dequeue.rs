//! Cost of the gateway policy's hot path against the length of its queue.
//!
//! For each strategy (fifo, deadline, codel, adaptive-lifo) and each queue length (10^3, 10^5,
//! 10^6 requests already waiting), two measurements:
//!
//! - `cycle`: one completion + one `poll` (which dispatches the next request) + one arrival
//!   (which queues), with a concurrency limit of 1 and the backend held busy, so the queue
//!   length stays constant;
//! - `poll`: one `poll` that dequeues and dispatches, timed in batches of 64 (concurrency 64:
//!   the completions that free the slots and the arrivals that refill the queue run untimed).
//!
//! Synthetic time advances 1 ns per operation, so no request ever waits long enough to be
//! dropped: every poll takes the dispatch path. Adaptive LIFO is first driven into CoDel's
//! overloaded state (with a 1000 s interval, so it stays there for the whole run), so its polls
//! take the newest-first path; the other strategies run with the default CoDel settings.
//!
//! Run: `cargo bench -p spillway-model --bench policy_dequeue`

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use model::duration::Dur;
use model::gateway::{Action, Admit, Arrival, PolicyConfig, ServicePolicy, Ticket};
use model::scenario::{GatewayConfig, Priority, Strategy};
use model::Time;
use std::collections::VecDeque;
use std::time::Duration;

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];
const STRATEGIES: [Strategy; 4] = [
    Strategy::Fifo,
    Strategy::Deadline,
    Strategy::Codel,
    Strategy::AdaptiveLifo,
];
const BATCH: usize = 64;
const NS: Duration = Duration::from_nanos(1);

fn arrival(now: Time) -> Arrival {
    Arrival {
        arrived: now,
        // Far away: the deadline check runs, and passes.
        deadline: Some(now + Duration::from_secs(3600)),
        priority: Priority::Interactive,
        api: model::gateway::NO_API,
        token: 0,
    }
}

/// A policy with `concurrency` requests in flight and `queued` waiting, and its clock.
struct Loaded {
    p: ServicePolicy,
    now: Time,
    in_flight: VecDeque<Ticket>,
}

impl Loaded {
    fn new(strategy: Strategy, concurrency: u32, queued: usize) -> Loaded {
        let mut g = GatewayConfig {
            strategy,
            ..GatewayConfig::default()
        };
        if strategy == Strategy::AdaptiveLifo {
            g.codel.target = Dur::from_secs(1);
            g.codel.interval = Dur::from_secs(1000);
        }
        let mut cfg = PolicyConfig::for_service(&g, concurrency);
        if cfg.queue_capacity.is_some() {
            cfg.queue_capacity = Some(u32::try_from(queued + 2 * BATCH).unwrap());
        }
        let mut l = Loaded {
            p: ServicePolicy::new(cfg),
            now: Time::ZERO,
            in_flight: VecDeque::new(),
        };
        for _ in 0..concurrency {
            l.arrive_dispatched();
        }
        if strategy == Strategy::AdaptiveLifo {
            l.overload();
        }
        for _ in 0..queued {
            l.arrive_queued();
        }
        assert_eq!(l.p.queue_len(), queued);
        l
    }

    /// Drives CoDel into its overloaded state: two requests that waited 1001 s leave the queue
    /// in two consecutive intervals; the second one's check finds the first interval's
    /// minimum over target. It then stays overloaded until the interval ends, 1000 s later.
    fn overload(&mut self) {
        for _ in 0..2 {
            self.arrive_queued();
            self.now += Duration::from_secs(1001);
            self.complete_oldest();
            self.poll_dispatch();
            assert!(self.p.poll(self.now).is_none());
        }
    }

    fn arrive_dispatched(&mut self) {
        match self.p.handle_arrival(self.now, arrival(self.now)) {
            Admit::Dispatch(t) => self.in_flight.push_back(t),
            other => panic!("expected a dispatch, got {other:?}"),
        }
    }

    #[inline]
    fn arrive_queued(&mut self) {
        match self.p.handle_arrival(self.now, arrival(self.now)) {
            Admit::Queued(_) => {}
            other => panic!("expected the request to queue, got {other:?}"),
        }
    }

    #[inline]
    fn complete_oldest(&mut self) {
        let t = self.in_flight.pop_front().expect("a request in flight");
        black_box(self.p.handle_complete(self.now, t, 200, None));
    }

    #[inline]
    fn poll_dispatch(&mut self) {
        match self.p.poll(self.now) {
            Some(Action::Dispatch { ticket, .. }) => self.in_flight.push_back(ticket),
            other => panic!("expected a dispatch, got {other:?}"),
        }
    }

    /// Complete one, dispatch the next, queue a new one.
    #[inline]
    fn cycle(&mut self) {
        self.now += NS;
        self.complete_oldest();
        self.poll_dispatch();
        self.arrive_queued();
    }

    /// `k` dequeues, timed; the completions before and the arrivals after are not.
    #[allow(clippy::disallowed_methods)] // a benchmark measures wall time
    fn timed_polls(&mut self, k: usize) -> Duration {
        self.now += NS;
        for _ in 0..k {
            self.complete_oldest();
        }
        let mut out: [Option<Action>; BATCH] = [None; BATCH];
        let start = std::time::Instant::now();
        for slot in out.iter_mut().take(k) {
            *slot = self.p.poll(self.now);
        }
        let elapsed = start.elapsed();
        for a in out.into_iter().take(k) {
            match a {
                Some(Action::Dispatch { ticket, .. }) => self.in_flight.push_back(ticket),
                other => panic!("expected a dispatch, got {other:?}"),
            }
        }
        for _ in 0..k {
            self.arrive_queued();
        }
        elapsed
    }
}

fn name(s: Strategy) -> &'static str {
    s.as_str()
}

fn cycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("cycle");
    for strategy in STRATEGIES {
        for n in SIZES {
            let mut l = Loaded::new(strategy, 1, n);
            group.bench_with_input(BenchmarkId::new(name(strategy), n), &n, |b, _| b.iter(|| l.cycle()));
            assert_eq!(l.p.queue_len(), n, "the queue length stayed constant");
            assert_eq!(l.p.stats().rejected, [0; 5], "every poll took the dispatch path");
        }
    }
    group.finish();
}

fn poll(c: &mut Criterion) {
    let mut group = c.benchmark_group("poll");
    for strategy in STRATEGIES {
        for n in SIZES {
            let mut l = Loaded::new(strategy, BATCH as u32, n);
            group.bench_with_input(BenchmarkId::new(name(strategy), n), &n, |b, _| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    let mut left = iters;
                    while left > 0 {
                        let k = left.min(BATCH as u64);
                        total += l.timed_polls(k as usize);
                        left -= k;
                    }
                    total
                })
            });
            assert_eq!(l.p.queue_len(), n, "the queue length stayed constant");
            assert_eq!(l.p.stats().rejected, [0; 5], "every poll took the dispatch path");
        }
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = cycle, poll
}
criterion_main!(benches);
