//! The gateway's admission and queueing policy, driven with synthetic time.
//!
//! Every test plays the driver's part: it feeds events with a `now` it chooses, then calls
//! `poll(now)` until `None`, and checks the exact sequence of decisions. Nothing here reads a
//! clock, so every run is identical.
//!
//! The regression tests at the end pin defects these tests once found in
//! `model/src/gateway/policy.rs` (now fixed); each says what used to happen and what should.

use model::duration::Dur;
use model::gateway::{
    Action, Admit, Arrival, Cancelled, PolicyConfig, PriorityClasses, Reason, Rejection, ServicePolicy, Ticket,
    DEFAULT_QUEUE_CAPACITY,
};
use model::scenario::{Abandon, GatewayConfig, LimitAlgorithm, Priority, Strategy};
use model::Time;
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Driver helpers
// ---------------------------------------------------------------------------------------------

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// `v` milliseconds into the run.
fn at(v: u64) -> Time {
    Time::ZERO + ms(v)
}

fn secs(v: u64) -> Time {
    Time::ZERO + Duration::from_secs(v)
}

fn config(strategy: Strategy, concurrency: u32) -> PolicyConfig {
    let g = GatewayConfig {
        strategy,
        ..GatewayConfig::default()
    };
    PolicyConfig::for_service(&g, concurrency)
}

fn policy(strategy: Strategy, concurrency: u32) -> ServicePolicy {
    ServicePolicy::new(config(strategy, concurrency))
}

fn req(arrived: Time) -> Arrival {
    Arrival {
        arrived,
        deadline: None,
        priority: Priority::Interactive,
        api: model::gateway::NO_API,
        token: 0,
    }
}

fn req_until(arrived: Time, deadline: Time) -> Arrival {
    Arrival {
        deadline: Some(deadline),
        ..req(arrived)
    }
}

fn background(arrived: Time) -> Arrival {
    Arrival {
        priority: Priority::Background,
        ..req(arrived)
    }
}

fn dispatched(a: Admit) -> Ticket {
    match a {
        Admit::Dispatch(t) => t,
        other => panic!("expected Dispatch, got {other:?}"),
    }
}

fn queued(a: Admit) -> Ticket {
    match a {
        Admit::Queued(t) => t,
        other => panic!("expected Queued, got {other:?}"),
    }
}

fn rejected(a: Admit) -> Rejection {
    match a {
        Admit::Rejected(r) => r,
        other => panic!("expected Rejected, got {other:?}"),
    }
}

/// Arrival now, at time `now`.
fn arrive(p: &mut ServicePolicy, now: Time) -> Admit {
    p.handle_arrival(now, req(now))
}

/// The driver's loop: every decision until `poll` returns `None`. A dispatch's `queued_at` comes
/// back as its wait (`Time::ZERO + waited`), which [`dispatch`] expects: the tests state waits.
fn poll_all(p: &mut ServicePolicy, now: Time) -> Vec<Action> {
    let mut out = Vec::new();
    while let Some(mut a) = p.poll(now) {
        let waited = a.waited(now);
        if let Action::Dispatch { queued_at, .. } = &mut a {
            assert!(*queued_at <= now, "queued at {queued_at:?}, after {now:?}");
            *queued_at = Time::ZERO + waited;
        }
        out.push(a);
        assert!(out.len() <= 10_000_000, "poll never returned None");
    }
    out
}

/// Completes `t` with a 200 and returns what the driver's poll loop then decides.
fn complete(p: &mut ServicePolicy, now: Time, t: Ticket) -> Vec<Action> {
    p.handle_complete(now, t, 200, None);
    poll_all(p, now)
}

/// A dispatch after a wait of `waited`, as [`poll_all`] gives it.
fn dispatch(ticket: Ticket, waited: Duration) -> Action {
    Action::Dispatch {
        ticket,
        token: 0,
        queued_at: Time::ZERO + waited,
        abandoned: false,
    }
}

fn answer(ticket: Ticket, reason: Reason, retry_after: Option<Duration>, waited: Duration) -> Action {
    Action::Answer {
        ticket,
        token: 0,
        rejection: Rejection { reason, retry_after },
        waited,
        abandoned: false,
    }
}

/// The ticket of a `Dispatch` action.
fn dispatched_ticket(a: &Action) -> Ticket {
    match a {
        Action::Dispatch { ticket, .. } => *ticket,
        other => panic!("expected Dispatch, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn for_service_resolves_bounds_and_concurrency() {
    let fifo = config(Strategy::Fifo, 3);
    assert_eq!(fifo.concurrency, 3, "concurrency defaults to the service's workers");
    assert_eq!(fifo.queue_capacity, None, "fifo is unbounded");
    assert_eq!(config(Strategy::Passthrough, 3).queue_capacity, None);
    for s in [
        Strategy::Bounded,
        Strategy::Deadline,
        Strategy::Codel,
        Strategy::AdaptiveLifo,
        Strategy::Adaptive,
    ] {
        assert_eq!(config(s, 3).queue_capacity, Some(DEFAULT_QUEUE_CAPACITY), "{s:?}");
    }
    let g = GatewayConfig {
        strategy: Strategy::Bounded,
        concurrency: Some(7),
        queue_capacity: Some(12),
        queue_timeout: Some(Dur::from_millis(250)),
        ..GatewayConfig::default()
    };
    let c = PolicyConfig::for_service(&g, 3);
    assert_eq!((c.concurrency, c.queue_capacity), (7, Some(12)));
    assert_eq!(c.queue_timeout, Some(ms(250)));
    assert!(c.retries.is_none(), "gateway retries are off by default");
    assert_eq!(PolicyConfig::for_service(&GatewayConfig::default(), 0).concurrency, 1);
}

#[test]
fn reasons_map_to_status_and_outcome() {
    for r in Reason::ALL {
        let (status, outcome) = if r == Reason::Expired {
            (504, "expired")
        } else {
            (503, "shed")
        };
        assert_eq!((r.status(), r.outcome()), (status, outcome), "{r:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// passthrough
// ---------------------------------------------------------------------------------------------

#[test]
fn passthrough_dispatches_everything_at_once() {
    let mut p = policy(Strategy::Passthrough, 2);
    assert_eq!(p.limit(), None);
    let tickets: Vec<Ticket> = (0..500).map(|_| dispatched(arrive(&mut p, at(1)))).collect();
    assert_eq!(p.queue_len(), 0);
    assert_eq!(p.in_flight(), 500);
    assert_eq!(poll_all(&mut p, at(1)), vec![]);
    assert_eq!(p.poll_timeout(), None);
    // Slow completions change nothing: there is no limit to adapt and no queue to fill.
    for (i, t) in tickets.iter().enumerate() {
        assert_eq!(p.handle_complete(at(1000), *t, 200, None), ms(999));
        if i % 2 == 0 {
            dispatched(arrive(&mut p, at(1000)));
        }
    }
    assert_eq!(p.queue_len(), 0);
    assert_eq!(p.in_flight(), 250);
    assert_eq!(p.stats().dispatched, 750);
    assert_eq!(p.stats().rejected, [0; 5]);
}

// ---------------------------------------------------------------------------------------------
// fifo
// ---------------------------------------------------------------------------------------------

#[test]
fn fifo_queues_past_the_concurrency_limit_and_serves_in_order() {
    let mut p = policy(Strategy::Fifo, 2);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = dispatched(arrive(&mut p, at(0)));
    let c = queued(arrive(&mut p, at(1)));
    let d = queued(arrive(&mut p, at(2)));
    let e = queued(arrive(&mut p, at(3)));
    assert_eq!((p.in_flight(), p.queue_len()), (2, 3));
    assert_eq!(poll_all(&mut p, at(3)), vec![], "no room: nothing to do");
    assert_eq!(p.poll_timeout(), None, "fifo has no timers");

    assert_eq!(complete(&mut p, at(10), a), vec![dispatch(c, ms(9))]);
    assert_eq!(complete(&mut p, at(20), b), vec![dispatch(d, ms(18))]);
    assert_eq!(complete(&mut p, at(30), c), vec![dispatch(e, ms(27))]);
    assert_eq!(p.queue_len(), 0);
    assert_eq!(complete(&mut p, at(40), d), vec![]);
    assert_eq!(p.in_flight(), 1);
    // Room again: the next arrival goes straight through.
    dispatched(arrive(&mut p, at(41)));
}

#[test]
fn fifo_queue_is_unbounded() {
    let mut p = policy(Strategy::Fifo, 2);
    let mut in_flight = vec![dispatched(arrive(&mut p, at(0))), dispatched(arrive(&mut p, at(0)))];
    let waiting: Vec<Ticket> = (0..1000).map(|i| queued(arrive(&mut p, Time(i + 1)))).collect();
    assert_eq!(p.queue_len(), 1000);
    assert_eq!(p.stats().rejected, [0; 5]);
    assert_eq!(p.stats().arrived, 1002);

    let mut served = Vec::new();
    let mut now = at(10);
    while !in_flight.is_empty() {
        let t = in_flight.remove(0);
        for a in complete(&mut p, now, t) {
            let t = dispatched_ticket(&a);
            served.push(t);
            in_flight.push(t);
        }
        now += ms(1);
    }
    assert_eq!(served, waiting, "first in, first out");
    assert_eq!(p.stats().completed, 1002);
}

// ---------------------------------------------------------------------------------------------
// bounded
// ---------------------------------------------------------------------------------------------

fn bounded(capacity: u32, queue_timeout: Option<Duration>) -> ServicePolicy {
    let mut c = config(Strategy::Bounded, 1);
    c.queue_capacity = Some(capacity);
    c.queue_timeout = queue_timeout;
    ServicePolicy::new(c)
}

#[test]
fn bounded_sheds_past_capacity_with_retry_after() {
    let mut p = bounded(3, None);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(1)));
    let _c = queued(arrive(&mut p, at(2)));
    let _d = queued(arrive(&mut p, at(3)));
    // No latency measured yet: 100 ms per request assumed, 3 queued + this one, 1 slot.
    let r = rejected(arrive(&mut p, at(4)));
    assert_eq!(
        r,
        Rejection {
            reason: Reason::QueueFull,
            retry_after: Some(ms(400)),
        }
    );
    assert_eq!(r.reason.status(), 503);
    assert_eq!(p.queue_len(), 3);
    assert_eq!(p.stats().rejected[Reason::QueueFull as usize], 1);

    // A 50 ms backend: the Retry-After follows the measured latency.
    assert_eq!(complete(&mut p, at(50), a), vec![dispatch(b, ms(49))]);
    queued(arrive(&mut p, at(51)));
    let r = rejected(arrive(&mut p, at(52)));
    assert_eq!(r.retry_after, Some(ms(200)), "50 ms x (3 queued + 1) / 1 slot");
    assert_eq!(p.stats().rejected[Reason::QueueFull as usize], 2);
    assert_eq!(p.stats().arrived, 7);
}

/// Before any service time is measured, a shed's Retry-After assumes a request takes at least
/// as long as the oldest one on the backend has so far: a 1 s service's first burst got
/// 300 ms (100 ms per request assumed), ten times too early (review, stop 42).
#[test]
fn before_any_answer_the_drain_estimate_uses_the_oldest_requests_age() {
    let mut p = bounded(2, None);
    let a = dispatched(arrive(&mut p, at(0)));
    queued(arrive(&mut p, at(50)));
    queued(arrive(&mut p, at(100)));
    // 50 ms in: under the 100 ms floor.
    assert_eq!(rejected(arrive(&mut p, at(50))).retry_after, Some(ms(300)));
    // 150 ms in: 150 ms x (2 queued + 1).
    assert_eq!(rejected(arrive(&mut p, at(150))).retry_after, Some(ms(450)));
    assert_eq!(rejected(arrive(&mut p, at(900))).retry_after, Some(ms(2700)));
    // Once the first answer comes, its service time is the estimate.
    complete(&mut p, at(1000), a);
    queued(arrive(&mut p, at(1001)));
    assert_eq!(
        rejected(arrive(&mut p, at(1002))).retry_after,
        Some(ms(3000)),
        "1 s x (2 + 1)"
    );
}

#[test]
fn bounded_queue_timeout_answers_only_after_the_timeout() {
    let mut p = bounded(10, Some(ms(500)));
    let _a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(100)));
    let c = queued(arrive(&mut p, at(300)));
    assert_eq!(poll_all(&mut p, at(300)), vec![]);
    // Answered once it has waited *longer* than 500 ms: 1 ns past arrival + 500 ms.
    let due = at(600) + Duration::from_nanos(1);
    assert_eq!(p.poll_timeout(), Some(due));
    assert_eq!(poll_all(&mut p, at(600)), vec![], "waited exactly the timeout: not yet");
    assert_eq!(
        poll_all(&mut p, due),
        // No answer yet: the request on the backend has taken 600 ms so far, so at least that
        // per request, for the one left queued and this one.
        vec![answer(
            b,
            Reason::QueueTimeout,
            Some(ms(1200) + Duration::from_nanos(2)),
            ms(500) + Duration::from_nanos(1)
        )]
    );
    assert_eq!(p.queue_len(), 1);
    assert_eq!(
        p.poll_timeout(),
        Some(at(800) + Duration::from_nanos(1)),
        "now c's turn"
    );
    assert_eq!(
        poll_all(&mut p, at(900)),
        vec![answer(c, Reason::QueueTimeout, Some(ms(900)), ms(600))],
        "the backend's request 900 ms old, nothing queued behind"
    );
    assert_eq!(p.poll_timeout(), None);
    assert_eq!(p.stats().rejected[Reason::QueueTimeout as usize], 2);
    assert_eq!(Reason::QueueTimeout.status(), 503);
}

#[test]
fn bounded_queue_timeout_does_not_touch_requests_dispatched_in_time() {
    let mut p = bounded(10, Some(ms(500)));
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(100)));
    assert_eq!(complete(&mut p, at(599), a), vec![dispatch(b, ms(499))]);
    assert_eq!(p.poll_timeout(), None);
    assert_eq!(poll_all(&mut p, at(5000)), vec![]);
    assert_eq!(p.stats().rejected, [0; 5]);
}

// ---------------------------------------------------------------------------------------------
// deadline
// ---------------------------------------------------------------------------------------------

fn deadline_policy() -> ServicePolicy {
    policy(Strategy::Deadline, 1)
}

#[test]
fn deadline_expires_at_dequeue_what_cannot_make_it() {
    let mut p = deadline_policy();
    let a = dispatched(p.handle_arrival(at(0), req_until(at(0), at(1000))));
    // b's deadline passes while it waits; c has 80 ms left at dequeue, under the 100 ms the
    // backend takes; d has exactly 100 ms left; e has no deadline.
    let b = queued(p.handle_arrival(at(10), req_until(at(10), at(50))));
    let c = queued(p.handle_arrival(at(20), req_until(at(20), at(180))));
    let d = queued(p.handle_arrival(at(30), req_until(at(30), at(200))));
    let e = queued(p.handle_arrival(at(40), req(at(40))));

    // a took 100 ms: the latency estimate is 100 ms.
    assert_eq!(p.handle_complete(at(100), a, 200, None), ms(100));
    assert_eq!(
        poll_all(&mut p, at(100)),
        vec![
            answer(b, Reason::Expired, None, ms(90)),
            answer(c, Reason::Expired, None, ms(80)),
            dispatch(d, ms(70)),
        ]
    );
    assert_eq!(p.stats().rejected[Reason::Expired as usize], 2);
    assert_eq!(p.stats().dispatched, 2, "expired requests never reach the backend");
    assert_eq!(complete(&mut p, at(190), d), vec![dispatch(e, ms(150))]);
}

/// The oldest queued request is answered 504 at its deadline even when nothing dequeues: a
/// pushback pause (2 s here) or a backend holding every slot would keep it past its client.
#[test]
fn deadline_answers_the_oldest_at_its_deadline_when_nothing_dequeues() {
    let mut p = deadline_policy();
    let a = dispatched(p.handle_arrival(at(0), req_until(at(0), at(5000))));
    let b = queued(p.handle_arrival(at(10), req_until(at(10), at(500))));
    let c = queued(p.handle_arrival(at(20), req_until(at(20), at(900))));
    // No room (a holds the only slot): the timer is the oldest's deadline.
    assert_eq!(p.poll_timeout(), Some(at(500)));
    assert_eq!(poll_all(&mut p, at(499)), vec![]);
    assert_eq!(
        poll_all(&mut p, at(500)),
        vec![answer(b, Reason::Expired, None, ms(490))]
    );
    assert_eq!(p.poll_timeout(), Some(at(900)));
    // A 429 asks for 2 s: paused, and c's deadline still answers it.
    p.handle_complete(at(600), a, 429, Some(Duration::from_secs(2)));
    assert!(p.paused(at(600)));
    assert_eq!(poll_all(&mut p, at(600)), vec![]);
    assert_eq!(p.poll_timeout(), Some(at(900)));
    assert_eq!(
        poll_all(&mut p, at(900)),
        vec![answer(c, Reason::Expired, None, ms(880))]
    );
    assert_eq!(p.queue_len(), 0);
    assert_eq!(p.poll_timeout(), None, "the pause matters to nothing queued");
    assert_eq!(p.stats().rejected[Reason::Expired as usize], 2);
    assert_eq!(p.stats().dispatched, 1);
    // Without a deadline, nothing expires while paused.
    let d = queued(p.handle_arrival(at(1000), req(at(1000))));
    assert_eq!(p.poll_timeout(), Some(at(2600)));
    assert_eq!(poll_all(&mut p, at(2599)), vec![]);
    assert_eq!(poll_all(&mut p, at(2600)), vec![dispatch(d, ms(1600))]);
}

/// A request to API `api` with a deadline.
fn to_api(arrived: Time, deadline: Time, api: u32) -> Arrival {
    Arrival {
        api,
        ..req_until(arrived, deadline)
    }
}

/// A deadline policy (one slot) under `estimate` that has seen API 0 answer in 10 ms and API 1
/// in 500 ms, one request at a time (fast, slow, fast, slow, fast); returns it at 1,030 ms with
/// nothing in flight.
fn after_fast_and_slow_answers(estimate: model::scenario::DeadlineEstimate) -> ServicePolicy {
    let g = GatewayConfig {
        strategy: Strategy::Deadline,
        deadline_estimate: estimate,
        ..GatewayConfig::default()
    };
    let mut p = ServicePolicy::new(PolicyConfig::for_service(&g, 1));
    let mut now = 0;
    for (api, took) in [(0, 10), (1, 500), (0, 10), (1, 500), (0, 10)] {
        let t = dispatched(p.handle_arrival(at(now), to_api(at(now), at(now + 5000), api)));
        now += took;
        assert_eq!(complete(&mut p, at(now), t), vec![]);
    }
    assert_eq!(now, 1030);
    p
}

/// With APIs of 10 ms and 500 ms behind one service, a slow API's request with 490 ms left at
/// dequeue is answered 504 (its own time is 500 ms) while a fast one's is sent. The service's
/// one estimate (the lower of its average and the newest answer, 40 ms) sends both: the slow
/// one's work would be wasted.
#[test]
fn deadline_predicts_each_api_by_its_own_times() {
    use model::scenario::DeadlineEstimate;
    let mut decisions = Vec::new();
    for estimate in [DeadlineEstimate::Api, DeadlineEstimate::Service] {
        let mut p = after_fast_and_slow_answers(estimate);
        // A request of no known API holds the slot for 40 ms; a slow and a fast one queue
        // behind it with 530 ms left, enough at arrival for either.
        let no_api = model::gateway::NO_API;
        let x = dispatched(p.handle_arrival(at(1030), to_api(at(1030), at(9000), no_api)));
        let slow = queued(p.handle_arrival(at(1030), to_api(at(1030), at(1560), 1)));
        let fast = queued(p.handle_arrival(at(1030), to_api(at(1030), at(1560), 0)));
        decisions.push((complete(&mut p, at(1070), x), slow, fast));
    }
    let (api, slow, fast) = &decisions[0];
    assert_eq!(
        api,
        &vec![answer(*slow, Reason::Expired, None, ms(40)), dispatch(*fast, ms(40))],
        "per API"
    );
    let (service, slow, _) = &decisions[1];
    assert_eq!(service, &vec![dispatch(*slow, ms(40))], "per service");
}

/// The per-API prediction follows a slowdown of the whole service at once: after the fast API
/// answered 10x slower, the slow API (not heard from since) is predicted at about 10x its
/// 500 ms too, and a request of it with 2.1 s left is refused; a fast one with 2.1 s is sent.
#[test]
fn deadline_per_api_prediction_follows_a_service_slowdown() {
    use model::scenario::DeadlineEstimate;
    let mut p = after_fast_and_slow_answers(DeadlineEstimate::Api);
    let mut now = 1030;
    for _ in 0..20 {
        let t = dispatched(p.handle_arrival(at(now), to_api(at(now), at(now + 60_000), 0)));
        now += 100;
        assert_eq!(complete(&mut p, at(now), t), vec![]);
    }
    let x = dispatched(p.handle_arrival(at(now), to_api(at(now), at(now + 60_000), 0)));
    let slow = rejected(p.handle_arrival(at(now), to_api(at(now), at(now + 2100), 1)));
    assert_eq!(slow.reason, Reason::Expired);
    let fast = queued(p.handle_arrival(at(now), to_api(at(now), at(now + 2100), 0)));
    assert_eq!(complete(&mut p, at(now + 100), x), vec![dispatch(fast, ms(100))]);
}

/// A request whose API the driver does not tell ([`model::gateway::NO_API`]), or one not yet
/// heard from, is judged by the service's estimate under the per-API one too.
#[test]
fn deadline_per_api_falls_back_to_the_service_estimate() {
    use model::scenario::DeadlineEstimate;
    for api in [model::gateway::NO_API, 7] {
        let mut p = after_fast_and_slow_answers(DeadlineEstimate::Api);
        // The service's estimate is the lower of its average and its newest answer (10 ms).
        let x = dispatched(p.handle_arrival(at(1030), to_api(at(1030), at(6000), 0)));
        let a = queued(p.handle_arrival(at(1030), to_api(at(1030), at(1045), api)));
        let b = queued(p.handle_arrival(at(1030), to_api(at(1030), at(1060), api)));
        assert_eq!(
            complete(&mut p, at(1040), x),
            vec![answer(a, Reason::Expired, None, ms(10)), dispatch(b, ms(10))],
            "api {api}"
        );
    }
}

#[test]
fn deadline_at_exactly_now_is_expired() {
    let mut p = deadline_policy();
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(p.handle_arrival(at(1), req_until(at(1), at(100))));
    // Completed with a 502: no latency estimate, so only the deadline itself counts.
    p.handle_complete(at(100), a, 502, None);
    assert_eq!(
        poll_all(&mut p, at(100)),
        vec![answer(b, Reason::Expired, None, ms(99))]
    );
}

#[test]
fn deadline_without_a_latency_estimate_only_checks_the_deadline() {
    let mut p = deadline_policy();
    let a = dispatched(arrive(&mut p, at(0)));
    let c = queued(p.handle_arrival(at(20), req_until(at(20), at(180))));
    // Connection failures (502) and upstream timeouts (504) do not feed the estimate.
    p.handle_complete(at(100), a, 502, None);
    assert_eq!(poll_all(&mut p, at(100)), vec![dispatch(c, ms(80))]);
}

#[test]
fn deadline_estimate_is_a_running_average() {
    let mut p = deadline_policy();
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(0)));
    assert_eq!(complete(&mut p, at(100), a), vec![dispatch(b, ms(100))]);
    // Estimate 100 ms; b takes 200 ms: 0.8 x 100 + 0.2 x 200 = 120 ms.
    let tight = queued(p.handle_arrival(at(200), req_until(at(200), at(300) + ms(110))));
    let fits = queued(p.handle_arrival(at(200), req_until(at(200), at(300) + ms(130))));
    assert_eq!(p.handle_complete(at(300), b, 200, None), ms(200));
    assert_eq!(
        poll_all(&mut p, at(300)),
        vec![answer(tight, Reason::Expired, None, ms(100)), dispatch(fits, ms(100))]
    );
}
// ---------------------------------------------------------------------------------------------
// codel
// ---------------------------------------------------------------------------------------------

fn codel_config(strategy: Strategy) -> PolicyConfig {
    // Defaults: target 5 ms, interval 100 ms (slough timeout 10 ms).
    let mut c = config(strategy, 1);
    assert_eq!((c.codel.target.0, c.codel.interval.0), (ms(5), ms(100)));
    c.queue_capacity = Some(100_000);
    c
}

fn codel_policy(strategy: Strategy) -> ServicePolicy {
    ServicePolicy::new(codel_config(strategy))
}

/// Serves a 30-request standing queue (all arrived at 0) with a 10 ms backend, one request
/// every 10 ms, up to and including the poll at 220 ms that finds CoDel overloaded:
/// - interval 1 (to 100 ms) saw the immediate dispatch (0 wait): not overloaded;
/// - interval 2 (110..210 ms) saw waits of 110..210 ms: overloaded from the check at 220 ms.
///
/// Returns the policy, the ticket sent at 220 ms and those still queued (8 for CoDel; none for
/// adaptive LIFO, which answers the stale ones at once).
fn standing_queue(strategy: Strategy) -> (ServicePolicy, Ticket, Vec<Ticket>) {
    standing_queue_with(codel_config(strategy))
}

fn standing_queue_with(c: PolicyConfig) -> (ServicePolicy, Ticket, Vec<Ticket>) {
    let mut p = ServicePolicy::new(c);
    let mut current = dispatched(arrive(&mut p, at(0)));
    let waiting: Vec<Ticket> = (0..30).map(|_| queued(arrive(&mut p, at(0)))).collect();
    for (i, &t) in waiting.iter().enumerate().take(21) {
        let now = 10 * (i as u64 + 1);
        assert_eq!(
            complete(&mut p, at(now), current),
            vec![dispatch(t, ms(now))],
            "not overloaded yet: served oldest first, however long they waited"
        );
        current = t;
    }
    // The poll at 220 ms closes the interval: CoDel is overloaded from here.
    p.handle_complete(at(220), current, 200, None);
    if p.config().strategy == Strategy::AdaptiveLifo {
        // Adaptive LIFO answers the stale oldest at once (all waited 220 ms > the 10 ms slough
        // timeout), then a fresh arrival takes the free slot.
        assert_eq!(poll_all(&mut p, at(220)), codel_answers(&waiting[21..], ms(220)));
        let sent = dispatched(arrive(&mut p, at(220)));
        return (p, sent, Vec::new());
    }
    // CoDel in FIFO order: the first dequeue of the new interval only resets its minimum.
    let sent = dispatched_ticket(&p.poll(at(220)).expect("a dispatch"));
    assert_eq!(sent, waiting[21]);
    (p, sent, waiting[22..].to_vec())
}

/// What CoDel answers to each of `dropped` (in order), dropped at `now` after waiting `waited`,
/// with a 10 ms latency estimate and one slot: the Retry-After is the drain estimate.
fn codel_answers(dropped: &[Ticket], waited: Duration) -> Vec<Action> {
    dropped
        .iter()
        .enumerate()
        .map(|(k, &t)| {
            let left = (dropped.len() - k) as u32; // still queued after this one, plus one
            answer(t, Reason::Codel, Some(ms(10) * left), waited)
        })
        .collect()
}

#[test]
fn codel_does_not_drop_a_queue_that_drains_every_interval() {
    let mut p = codel_policy(Strategy::Codel);
    // Every 100 ms a burst of 5 arrives; the backend takes 15 ms each, so each burst waits up
    // to 60 ms (far past the 10 ms slough timeout) yet the queue empties every interval.
    for burst in 0..50u64 {
        let t0 = burst * 100;
        let mut current = dispatched(arrive(&mut p, at(t0)));
        let rest: Vec<Ticket> = (0..4).map(|_| queued(arrive(&mut p, at(t0)))).collect();
        for (k, &t) in rest.iter().enumerate() {
            let waited = 15 * (k as u64 + 1);
            assert_eq!(
                complete(&mut p, at(t0 + waited), current),
                vec![dispatch(t, ms(waited))]
            );
            current = t;
        }
        assert_eq!(complete(&mut p, at(t0 + 75), current), vec![]);
    }
    assert_eq!(p.stats().dispatched, 250);
    assert_eq!(p.stats().rejected, [0; 5]);
}

#[test]
fn codel_enters_the_dropping_state_on_a_standing_queue_and_leaves_it_once_drained() {
    let (mut p, current, rest) = standing_queue(Strategy::Codel);
    assert_eq!(poll_all(&mut p, at(220)), vec![], "no room");
    // Overloaded: every request that waited more than 10 ms is now dropped at dequeue,
    // without reaching the backend.
    assert_eq!(complete(&mut p, at(230), current), codel_answers(&rest, ms(230)));
    assert_eq!(p.stats().rejected[Reason::Codel as usize], 8);
    assert_eq!(p.stats().dispatched, 23);
    assert_eq!(p.queue_len(), 0);
    assert_eq!(p.poll_timeout(), None, "codel answers at dequeue: no timer");

    // Still in the dropping state until the next check (after 320 ms): short waits are served,
    // long ones dropped.
    let b = dispatched(arrive(&mut p, at(240)));
    let d = queued(arrive(&mut p, at(245)));
    let e = queued(arrive(&mut p, at(248)));
    assert_eq!(complete(&mut p, at(250), b), vec![dispatch(d, ms(5))]);
    assert_eq!(
        complete(&mut p, at(260), d),
        vec![answer(e, Reason::Codel, Some(ms(10)), ms(12))],
        "12 ms > the 10 ms slough timeout while overloaded"
    );
    // The queue drained in this interval (the 240 ms request did not wait): the check after
    // 320 ms leaves the dropping state, so a 30 ms wait is served again.
    let f = dispatched(arrive(&mut p, at(300)));
    let g = queued(arrive(&mut p, at(305)));
    assert_eq!(complete(&mut p, at(335), f), vec![dispatch(g, ms(30))]);
    assert_eq!(p.stats().rejected[Reason::Codel as usize], 9);
}

// ---------------------------------------------------------------------------------------------
// adaptive LIFO
// ---------------------------------------------------------------------------------------------

#[test]
fn adaptive_lifo_is_fifo_when_not_overloaded() {
    let mut p = codel_policy(Strategy::AdaptiveLifo);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(1)));
    let c = queued(arrive(&mut p, at(2)));
    let d = queued(arrive(&mut p, at(3)));
    assert_eq!(p.poll_timeout(), None, "no slough timer while not overloaded");
    assert_eq!(complete(&mut p, at(20), a), vec![dispatch(b, ms(19))]);
    assert_eq!(complete(&mut p, at(40), b), vec![dispatch(c, ms(38))]);
    assert_eq!(complete(&mut p, at(60), c), vec![dispatch(d, ms(57))]);
    assert_eq!(p.stats().rejected, [0; 5]);
}

#[test]
fn adaptive_lifo_answers_stale_requests_and_serves_newest_first_once_overloaded() {
    let (mut p, current, rest) = standing_queue(Strategy::AdaptiveLifo);
    // Right after the check that found a standing queue, the oldest (all waited 220 ms, past
    // the slough timeout) are answered at once, without waiting for the backend.
    assert_eq!(poll_all(&mut p, at(220)), codel_answers(&rest, ms(220)));
    assert_eq!(p.queue_len(), 0);

    let n1 = queued(arrive(&mut p, at(225)));
    let n2 = queued(arrive(&mut p, at(226)));
    let n3 = queued(arrive(&mut p, at(227)));
    // The oldest is answered once it has waited longer than the 10 ms slough timeout.
    assert_eq!(p.poll_timeout(), Some(at(235) + Duration::from_nanos(1)));
    assert_eq!(complete(&mut p, at(230), current), vec![dispatch(n3, ms(3))]);
    assert_eq!(complete(&mut p, at(231), n3), vec![dispatch(n2, ms(5))]);
    assert_eq!(complete(&mut p, at(232), n2), vec![dispatch(n1, ms(7))]);
    assert_eq!(complete(&mut p, at(240), n1), vec![]);

    // The queue drained in the 220..320 ms interval: the next check (here the immediate
    // dispatch at 325 ms) leaves the overloaded state, and a new queue is served oldest first.
    let x = dispatched(arrive(&mut p, at(325)));
    let y = queued(arrive(&mut p, at(330)));
    let z = queued(arrive(&mut p, at(331)));
    assert_eq!(p.poll_timeout(), None);
    assert_eq!(complete(&mut p, at(360), x), vec![dispatch(y, ms(30))]);
    assert_eq!(complete(&mut p, at(370), y), vec![dispatch(z, ms(39))]);
}

#[test]
fn adaptive_lifo_answers_stale_oldest_entries_one_per_poll() {
    let (mut p, current, rest) = standing_queue(Strategy::AdaptiveLifo);
    assert_eq!(poll_all(&mut p, at(220)).len(), rest.len());
    let dispatched_before = p.stats().dispatched;
    // 100k requests arrive during the overload, 100 ns apart (221 ms .. 231 ms), while the
    // backend stays busy.
    let base = at(221);
    let arrived = |i: usize| base + Duration::from_nanos(100 * i as u64);
    let tickets: Vec<Ticket> = (0..100_000).map(|i| queued(arrive(&mut p, arrived(i)))).collect();
    assert_eq!(p.poll_timeout(), Some(arrived(0) + ms(10) + Duration::from_nanos(1)));

    // At 240 ms, those that arrived before 230 ms have waited longer than 10 ms. Each poll
    // answers exactly one, the oldest left: constant work per call, and no backend.
    let now = at(240);
    let mut answered = 0usize;
    while let Some(a) = p.poll(now) {
        let left = u32::try_from(tickets.len() - answered).unwrap();
        let retry_after = (ms(10) * left).min(Duration::from_secs(60));
        assert_eq!(
            a,
            answer(
                tickets[answered],
                Reason::Codel,
                Some(retry_after),
                now.saturating_since(arrived(answered))
            )
        );
        answered += 1;
    }
    // 221 ms + i x 100 ns < 230 ms  <=>  i < 90_000; the one at exactly 230 ms has waited
    // exactly the slough timeout, not longer, and stays.
    assert_eq!(answered, 90_000);
    assert_eq!(p.queue_len(), 10_000);
    assert_eq!(p.stats().dispatched, dispatched_before);
    assert_eq!(
        p.stats().rejected[Reason::Codel as usize],
        9 + 90_000,
        "9 stale at 220 ms, then these"
    );
    assert_eq!(p.poll_timeout(), Some(at(240) + Duration::from_nanos(1)));
    // The newest is served first when the backend frees up.
    assert_eq!(
        complete(&mut p, at(240), current),
        vec![dispatch(tickets[99_999], now.saturating_since(arrived(99_999)))]
    );
}

// ---------------------------------------------------------------------------------------------
// adaptive concurrency
// ---------------------------------------------------------------------------------------------

/// A saturated service driven in steady state: the oldest request in flight completes after
/// exactly `latency`, and the driver refills from a long queue at once, so the limit is
/// always in full use.
struct Saturated {
    p: ServicePolicy,
    flight: std::collections::VecDeque<(Ticket, Time)>,
    now: Time,
}

impl Saturated {
    fn new(algorithm: LimitAlgorithm) -> Saturated {
        let mut c = config(Strategy::Adaptive, 4);
        c.adaptive.algorithm = algorithm;
        c.queue_capacity = Some(10_000);
        let mut p = ServicePolicy::new(c);
        assert_eq!(p.limit(), Some(4), "initial limit: the configured concurrency");
        let flight = (0..4)
            .map(|_| (dispatched(arrive(&mut p, Time::ZERO)), Time::ZERO))
            .collect();
        Saturated {
            p,
            flight,
            now: Time::ZERO,
        }
    }

    /// One completion; returns the limit after it.
    fn step(&mut self, latency: Duration, status: u16) -> u32 {
        while self.p.queue_len() < 100 {
            queued(arrive(&mut self.p, self.now));
        }
        let (t, sent) = self.flight.pop_front().expect("something in flight");
        self.now = self.now.max(sent + latency);
        assert_eq!(self.p.handle_complete(self.now, t, status, None), latency);
        for a in poll_all(&mut self.p, self.now) {
            self.flight.push_back((dispatched_ticket(&a), self.now));
        }
        let limit = self.p.limit().expect("adaptive has a limit");
        assert!(self.p.in_flight() >= limit, "the limit is used in full");
        limit
    }

    fn steps(&mut self, n: usize, latency: Duration, status: u16) -> Vec<u32> {
        (0..n).map(|_| self.step(latency, status)).collect()
    }
}

#[test]
fn adaptive_gradient_limit_rises_with_fast_completions_and_falls_when_latency_climbs() {
    let mut s = Saturated::new(LimitAlgorithm::Gradient);
    let rising = s.steps(300, ms(20), 200);
    // One update per 10 samples; latency at the no-load value gives a gradient of 1 and
    // sqrt(limit) headroom, smoothed 0.8/0.2: 4 -> 4.4 -> 4.82 -> ...
    assert_eq!(rising[9], 4, "4.4 rounds to 4");
    assert_eq!(rising[19], 5, "4.82 rounds to 5");
    assert!(
        rising.windows(2).all(|w| w[1] >= w[0]),
        "never falls at steady latency: {rising:?}"
    );
    let high = *rising.last().unwrap();
    assert!(high >= 12, "grows well past 4 in 30 updates: {rising:?}");

    // Latency 10x the no-load value: gradient 0.5 each update, so the limit comes down.
    let falling = s.steps(100, ms(200), 200);
    assert!(
        falling.windows(2).all(|w| w[1] <= w[0]),
        "never rises while slow: {falling:?}"
    );
    let low = *falling.last().unwrap();
    assert!(low < high * 2 / 3, "falls from {high}: {falling:?}");
    assert!(low >= 1);
}

#[test]
fn adaptive_aimd_adds_one_per_window_and_backs_off_multiplicatively() {
    let mut s = Saturated::new(LimitAlgorithm::Aimd);
    // Full use, steady latency: +1 on every 10th completion, exactly.
    for (n, limit) in s.steps(100, ms(20), 200).into_iter().enumerate() {
        assert_eq!(limit, 4 + (n as u32 + 1) / 10, "after {} completions", n + 1);
    }
    assert_eq!(s.p.limit(), Some(14));
    // Upstream timeouts (504) are an overload signal: x 0.9 at each update.
    let limits = s.steps(20, ms(20), 504);
    assert_eq!(limits[8], 14);
    assert_eq!(limits[9], 13, "14 x 0.9 = 12.6");
    assert_eq!(limits[19], 11, "12.6 x 0.9 = 11.34");
    // Latency over tolerance (2) x the no-load latency backs off too.
    let limits = s.steps(10, ms(100), 200);
    assert_eq!(limits[9], 10, "11.34 x 0.9 = 10.2");
}

#[test]
fn adaptive_limit_does_not_grow_when_unused() {
    let mut c = config(Strategy::Adaptive, 4);
    c.adaptive.algorithm = LimitAlgorithm::Aimd;
    let mut p = ServicePolicy::new(c);
    for k in 0..100u64 {
        let t = dispatched(arrive(&mut p, at(20 * k)));
        assert_eq!(complete(&mut p, at(20 * k + 10), t), vec![]);
    }
    assert_eq!(p.limit(), Some(4), "one request at a time never earns a larger limit");
}

#[test]
fn adaptive_limit_updates_on_a_timer_when_completions_are_scarce() {
    let mut c = config(Strategy::Adaptive, 2);
    c.adaptive.algorithm = LimitAlgorithm::Aimd;
    let mut p = ServicePolicy::new(c);
    let a = dispatched(arrive(&mut p, at(0)));
    let _b = dispatched(arrive(&mut p, at(0)));
    let q = queued(arrive(&mut p, at(0)));
    let r = queued(arrive(&mut p, at(0)));
    assert_eq!(p.poll_timeout(), None, "no samples, no update due");
    assert_eq!(complete(&mut p, at(20), a), vec![dispatch(q, ms(20))]);
    // One sample at full use (2 in flight): an update is due 1 s after the window opened.
    assert_eq!(p.poll_timeout(), Some(at(1020)));
    p.handle_timeout(at(1019));
    assert_eq!(p.limit(), Some(2));
    p.handle_timeout(at(1020));
    assert_eq!(p.limit(), Some(3));
    assert_eq!(p.poll_timeout(), None);
    // The larger limit lets the waiting request through.
    assert_eq!(poll_all(&mut p, at(1020)), vec![dispatch(r, ms(1020))]);
}

// ---------------------------------------------------------------------------------------------
// priorities
// ---------------------------------------------------------------------------------------------

fn with_priorities(
    strategy: Strategy,
    interactive_capacity: Option<u32>,
    background_capacity: Option<u32>,
    background_share: f64,
) -> ServicePolicy {
    let mut c = config(strategy, 1);
    c.priorities = Some(PriorityClasses {
        interactive_capacity,
        background_capacity,
        background_share,
    });
    ServicePolicy::new(c)
}

#[test]
fn priorities_serve_interactive_first() {
    let mut p = with_priorities(Strategy::Fifo, None, None, 0.0);
    let a = dispatched(p.handle_arrival(at(0), background(at(0))));
    let b1 = queued(p.handle_arrival(at(1), background(at(1))));
    let b2 = queued(p.handle_arrival(at(2), background(at(2))));
    let i1 = queued(arrive(&mut p, at(3)));
    let i2 = queued(arrive(&mut p, at(4)));
    assert_eq!(p.queue_len_of(Priority::Interactive), 2);
    assert_eq!(p.queue_len_of(Priority::Background), 2);
    assert_eq!(p.queue_len(), 4);
    assert_eq!(complete(&mut p, at(10), a), vec![dispatch(i1, ms(7))]);
    assert_eq!(complete(&mut p, at(20), i1), vec![dispatch(i2, ms(16))]);
    assert_eq!(complete(&mut p, at(30), i2), vec![dispatch(b1, ms(29))]);
    // An interactive request arriving while background ones wait does not queue behind them.
    let i3 = queued(arrive(&mut p, at(31)));
    assert_eq!(complete(&mut p, at(40), b1), vec![dispatch(i3, ms(9))]);
    assert_eq!(complete(&mut p, at(50), i3), vec![dispatch(b2, ms(48))]);
}

/// Background gets its share while both classes wait: with a share of 1/N, exactly every Nth
/// dispatch (I, I, I, B, ... for 0.25). Shares that floats cannot hold exactly count too:
/// summed, ten shares of 0.1 are 0.9999999999999999, and the first background dispatch was
/// the 11th.
#[test]
fn priorities_give_background_its_share_while_both_wait() {
    for (share, every) in [(0.25, 4u64), (0.1, 10), (0.2, 5), (1.0 / 3.0, 3)] {
        let mut p = with_priorities(Strategy::Fifo, None, None, share);
        let mut current = dispatched(arrive(&mut p, at(0)));
        let inter: Vec<Ticket> = (0..1000).map(|_| queued(arrive(&mut p, at(1)))).collect();
        let back: Vec<Ticket> = (0..1000)
            .map(|_| queued(p.handle_arrival(at(1), background(at(1)))))
            .collect();
        let (mut i, mut b) = (0, 0);
        for n in 0..1000u64 {
            let got = complete(&mut p, at(10 + n), current);
            assert_eq!(got.len(), 1);
            current = dispatched_ticket(&got[0]);
            if n % every == every - 1 {
                assert_eq!(current, back[b], "share {share}: dispatch {n}");
                b += 1;
            } else {
                assert_eq!(current, inter[i], "share {share}: dispatch {n}");
                i += 1;
            }
        }
        assert_eq!(b as u64, 1000 / every);
        assert_eq!(p.queue_len_of(Priority::Interactive), 1000 - i);
        assert_eq!(p.queue_len_of(Priority::Background), 1000 - b);
    }
}

#[test]
fn priorities_have_separate_class_capacities() {
    let mut p = with_priorities(Strategy::Bounded, Some(2), Some(3), 0.1);
    dispatched(arrive(&mut p, at(0)));
    queued(arrive(&mut p, at(1)));
    queued(arrive(&mut p, at(1)));
    let r = rejected(arrive(&mut p, at(1)));
    assert_eq!(
        r,
        Rejection {
            reason: Reason::QueueFull,
            retry_after: Some(ms(300))
        }
    );
    // The background class has its own room.
    for _ in 0..3 {
        queued(p.handle_arrival(at(2), background(at(2))));
    }
    let r = rejected(p.handle_arrival(at(2), background(at(2))));
    assert_eq!(r.reason, Reason::QueueFull);
    assert_eq!(r.retry_after, Some(ms(600)), "100 ms x (5 queued + 1)");
    assert_eq!(p.queue_len(), 5);
    assert_eq!(p.stats().rejected[Reason::QueueFull as usize], 2);
    // An interactive request waits behind its own class only, not the background queue.
    let r = rejected(arrive(&mut p, at(2)));
    assert_eq!(r.retry_after, Some(ms(300)), "100 ms x (2 interactive queued + 1)");

    // A class without its own capacity falls back to the queue capacity.
    let mut c = config(Strategy::Bounded, 1);
    c.queue_capacity = Some(3);
    c.priorities = Some(PriorityClasses {
        interactive_capacity: None,
        background_capacity: Some(1),
        background_share: 0.1,
    });
    let mut p = ServicePolicy::new(c);
    dispatched(arrive(&mut p, at(0)));
    for _ in 0..3 {
        queued(arrive(&mut p, at(1)));
    }
    assert_eq!(rejected(arrive(&mut p, at(1))).reason, Reason::QueueFull);
    queued(p.handle_arrival(at(1), background(at(1))));
    assert_eq!(
        rejected(p.handle_arrival(at(1), background(at(1)))).reason,
        Reason::QueueFull
    );
}

// ---------------------------------------------------------------------------------------------
// keep vs cancel
// ---------------------------------------------------------------------------------------------

fn with_abandon(abandon: Abandon) -> ServicePolicy {
    let mut c = config(Strategy::Fifo, 1);
    c.abandon = abandon;
    ServicePolicy::new(c)
}

#[test]
fn cancel_removes_a_queued_request_at_once_and_it_never_reaches_the_backend() {
    let mut p = with_abandon(Abandon::Cancel);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(1)));
    let c = queued(arrive(&mut p, at(2)));
    assert_eq!(p.handle_cancel(at(5), b), Cancelled::Removed { waited: ms(4) });
    assert_eq!(p.queue_len(), 1, "the queue shrinks at once");
    assert_eq!(p.stats().cancelled, 1);
    assert_eq!(p.handle_cancel(at(6), b), Cancelled::NotFound, "already gone");
    assert_eq!(complete(&mut p, at(10), a), vec![dispatch(c, ms(8))]);
    // In flight: the backend has it; the driver knows the client went away.
    assert_eq!(p.handle_cancel(at(11), c), Cancelled::InFlight);
    assert!(p.is_abandoned(c));
    assert_eq!(complete(&mut p, at(20), c), vec![]);
    assert_eq!(p.handle_cancel(at(21), c), Cancelled::NotFound);
    assert_eq!(p.stats().dispatched, 2);
}

#[test]
fn keep_dispatches_an_abandoned_request_later_marked_abandoned() {
    let mut p = with_abandon(Abandon::Keep);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(1)));
    let c = queued(arrive(&mut p, at(2)));
    assert_eq!(p.handle_cancel(at(5), b), Cancelled::Kept);
    assert_eq!(p.queue_len(), 2, "message-queue semantics: it stays");
    assert!(p.is_abandoned(b));
    assert!(!p.is_abandoned(c));
    assert_eq!(
        complete(&mut p, at(10), a),
        vec![Action::Dispatch {
            ticket: b,
            token: 0,
            queued_at: Time::ZERO + ms(9),
            abandoned: true
        }]
    );
    assert_eq!(complete(&mut p, at(20), b), vec![dispatch(c, ms(18))]);
    assert_eq!(p.stats().cancelled, 0);
}

#[test]
fn keep_reports_abandonment_on_answers_too() {
    let mut c = config(Strategy::Bounded, 1);
    c.queue_timeout = Some(ms(100));
    c.abandon = Abandon::Keep;
    let mut p = ServicePolicy::new(c);
    dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(0)));
    assert_eq!(p.handle_cancel(at(50), b), Cancelled::Kept);
    assert_eq!(
        poll_all(&mut p, at(101)),
        vec![Action::Answer {
            ticket: b,
            token: 0,
            rejection: Rejection {
                reason: Reason::QueueTimeout,
                retry_after: Some(ms(101))
            },
            waited: ms(101),
            abandoned: true
        }]
    );
}

// ---------------------------------------------------------------------------------------------
// pushback
// ---------------------------------------------------------------------------------------------

#[test]
fn pushback_pauses_dispatch_until_exactly_the_retry_after() {
    let mut p = policy(Strategy::Fifo, 3);
    let a = dispatched(arrive(&mut p, at(0)));
    dispatched(arrive(&mut p, at(0)));
    dispatched(arrive(&mut p, at(0)));
    let d = queued(arrive(&mut p, at(100)));
    // The backend says 429, retry in 2 s.
    p.handle_complete(secs(1), a, 429, Some(Duration::from_secs(2)));
    assert!(p.paused(secs(1)));
    assert_eq!(p.stats().pauses, 1);
    assert_eq!(
        poll_all(&mut p, secs(1)),
        vec![],
        "there is room, but dispatch is paused"
    );
    assert_eq!(p.poll_timeout(), Some(secs(3)));
    // Arrivals during the pause wait, even with room.
    let _e = queued(arrive(&mut p, at(1500)));
    assert_eq!(p.poll_timeout(), Some(secs(3)));
    assert_eq!(poll_all(&mut p, secs(3) - Duration::from_nanos(1)), vec![]);
    assert!(!p.paused(secs(3)));
    assert_eq!(poll_all(&mut p, secs(3)), vec![dispatch(d, ms(2900))]);
    assert_eq!(p.in_flight(), 3);
    assert_eq!(p.queue_len(), 1);
}

#[test]
fn pushback_without_retry_after_uses_the_default_pause_and_is_capped_by_max_pause() {
    let mut p = policy(Strategy::Fifo, 1);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(0)));
    // 503 without Retry-After: the default 1 s pause.
    p.handle_complete(at(10), a, 503, None);
    assert_eq!(p.poll_timeout(), Some(at(1010)));
    assert_eq!(poll_all(&mut p, at(1009)), vec![]);
    assert_eq!(poll_all(&mut p, at(1010)), vec![dispatch(b, ms(1010))]);

    // Retry-After 120 s is capped at max_pause (30 s by default).
    let c = queued(arrive(&mut p, at(1011)));
    p.handle_complete(at(2000), b, 429, Some(Duration::from_secs(120)));
    assert_eq!(p.poll_timeout(), Some(at(32_000)));
    assert_eq!(poll_all(&mut p, at(31_999)), vec![]);
    assert_eq!(poll_all(&mut p, at(32_000)), vec![dispatch(c, ms(32_000 - 1011))]);
    assert_eq!(p.stats().pauses, 2);

    // A smaller configured cap.
    let mut cfg = config(Strategy::Fifo, 1);
    cfg.pushback.max_pause = Dur::from_millis(500);
    let mut p = ServicePolicy::new(cfg);
    let a = dispatched(arrive(&mut p, at(0)));
    queued(arrive(&mut p, at(0)));
    p.handle_complete(at(10), a, 429, Some(Duration::from_secs(2)));
    assert_eq!(p.poll_timeout(), Some(at(510)));
}

/// While the backend's pushback pauses dispatch, nothing drains: a shed client's Retry-After
/// is the pause left plus the drain time, not the drain time alone.
#[test]
fn shed_retry_after_counts_the_pause_left() {
    let mut p = bounded(2, None);
    let a = dispatched(arrive(&mut p, at(0)));
    queued(arrive(&mut p, at(0)));
    // A 50 ms answer, then a 429 asking for 3 s.
    let b = match complete(&mut p, at(50), a).as_slice() {
        [a] => dispatched_ticket(a),
        other => panic!("{other:?}"),
    };
    queued(arrive(&mut p, at(60)));
    queued(arrive(&mut p, at(60)));
    p.handle_complete(at(100), b, 429, Some(Duration::from_secs(3)));
    assert!(p.paused(at(100)));
    // 50 ms x (2 queued + 1) / 1 slot = 150 ms of drain, after 3 s - 900 ms of pause left.
    let r = rejected(arrive(&mut p, at(1000)));
    assert_eq!(r.retry_after, Some(ms(2100 + 150)));
    // Once the pause is over, the drain time alone.
    let r = rejected(arrive(&mut p, at(3100)));
    assert_eq!(r.retry_after, Some(ms(150)));
}

#[test]
fn pushback_keeps_the_longest_pause() {
    let mut p = policy(Strategy::Fifo, 2);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = dispatched(arrive(&mut p, at(0)));
    let c = queued(arrive(&mut p, at(0)));
    p.handle_complete(at(100), a, 429, Some(Duration::from_secs(5)));
    p.handle_complete(at(200), b, 429, Some(Duration::from_secs(1)));
    assert_eq!(
        p.poll_timeout(),
        Some(at(5100)),
        "a shorter pause does not cut a longer one"
    );
    assert_eq!(p.stats().pauses, 1, "one pause, extended or not");
    assert_eq!(poll_all(&mut p, at(5100)), vec![dispatch(c, ms(5100))]);
}

#[test]
fn pushback_disabled_ignores_429() {
    let mut cfg = config(Strategy::Fifo, 1);
    cfg.pushback.enabled = false;
    let mut p = ServicePolicy::new(cfg);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(0)));
    p.handle_complete(at(10), a, 429, Some(Duration::from_secs(2)));
    assert!(!p.paused(at(10)));
    assert_eq!(p.poll_timeout(), None);
    assert_eq!(poll_all(&mut p, at(10)), vec![dispatch(b, ms(10))]);
    assert_eq!(p.stats().pauses, 0);
}

// ---------------------------------------------------------------------------------------------
// gateway retries
// ---------------------------------------------------------------------------------------------

fn with_retries(strategy: Strategy, max_attempts: u32, ratio: f64, min_per_sec: f64) -> ServicePolicy {
    let mut g = GatewayConfig {
        strategy,
        ..GatewayConfig::default()
    };
    g.retries.enabled = true;
    g.retries.max_attempts = max_attempts;
    g.retries.budget_ratio = ratio;
    g.retries.min_per_sec = min_per_sec;
    if strategy == Strategy::Bounded {
        g.queue_capacity = Some(2);
    }
    let c = PolicyConfig::for_service(&g, 1);
    assert_eq!(c.retries, Some((max_attempts, ratio, min_per_sec)));
    ServicePolicy::new(c)
}

#[test]
fn retries_respect_max_attempts_and_the_budget() {
    let mut p = with_retries(Strategy::Fifo, 3, 0.5, 0.0);
    assert!(!p.allow_retry(at(1), 1), "no requests yet: no budget");
    for _ in 0..4 {
        arrive(&mut p, at(1));
    }
    // 0.5 x 4 requests = 2 retries in the window.
    assert!(p.allow_retry(at(2), 1));
    assert!(p.allow_retry(at(2), 2));
    assert!(!p.allow_retry(at(2), 1), "budget spent");
    assert_eq!(p.stats().retries, 2);

    let mut p = with_retries(Strategy::Fifo, 2, 1.0, 10.0);
    assert!(
        !p.allow_retry(at(1), 2),
        "2 attempts made of 2: none left, budget or not"
    );
    assert!(!p.allow_retry(at(1), 5));
    assert!(p.allow_retry(at(1), 1));
    assert_eq!(p.stats().retries, 1);

    // Off by default.
    let mut p = policy(Strategy::Fifo, 1);
    arrive(&mut p, at(0));
    assert!(!p.allow_retry(at(1), 1));
}

#[test]
fn retry_goes_to_the_front_past_the_bound() {
    let mut p = with_retries(Strategy::Bounded, 2, 0.2, 10.0);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(1)));
    let c = queued(arrive(&mut p, at(2)));
    assert_eq!(rejected(arrive(&mut p, at(3))).reason, Reason::QueueFull);
    // a failed with 502; the gateway retries it.
    p.handle_complete(at(10), a, 502, None);
    assert!(p.allow_retry(at(10), 1));
    let r = queued(p.handle_retry(at(10), req(at(0))));
    assert_eq!(p.queue_len(), 3, "past the bound of 2");
    // Its wait counts from the retry, not from its first arrival (at 0).
    assert_eq!(poll_all(&mut p, at(10)), vec![dispatch(r, ms(0))], "ahead of b and c");
    assert_eq!(complete(&mut p, at(20), r), vec![dispatch(b, ms(19))]);
    assert_eq!(complete(&mut p, at(30), b), vec![dispatch(c, ms(28))]);
    assert_eq!(p.stats().arrived, 4, "a retry is not a new arrival");
    // With room and nobody waiting, a retry goes straight out.
    assert_eq!(complete(&mut p, at(40), c), vec![]);
    dispatched(p.handle_retry(at(41), req(at(35))));
}

/// A retry queued after a long failed call is not shed by the queue timeout for that call's
/// time: its queue wait starts at the retry (review helper-173: it counted from the first
/// arrival, so this retry was answered "queue timeout" the moment it was queued).
#[test]
fn a_retry_s_queue_wait_starts_at_the_retry() {
    let g = GatewayConfig {
        strategy: Strategy::Fifo,
        queue_timeout: Some(Dur(ms(100))),
        retries: model::scenario::GatewayRetriesConfig {
            enabled: true,
            max_attempts: 2,
            budget_ratio: 1.0,
            min_per_sec: 10.0,
        },
        ..GatewayConfig::default()
    };
    let mut p = ServicePolicy::new(PolicyConfig::for_service(&g, 1));
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(450)));
    // a's call failed after 500 ms (a 502): its retry queues at the front, ahead of b, and
    // goes out at once; it was not shed for the 500 ms since a first arrived.
    p.handle_complete(at(500), a, 502, None);
    assert!(p.allow_retry(at(500), 1));
    let r = queued(p.handle_retry(at(500), req(at(0))));
    assert_eq!(poll_all(&mut p, at(500)), vec![dispatch(r, ms(0))]);
    assert_eq!(complete(&mut p, at(540), r), vec![dispatch(b, ms(90))]);
    assert_eq!(p.stats().rejected[Reason::QueueTimeout as usize], 0);
}

// ---------------------------------------------------------------------------------------------
// drain
// ---------------------------------------------------------------------------------------------

#[test]
fn drain_answers_every_queued_request_with_shutdown() {
    let mut p = with_priorities(Strategy::Fifo, None, None, 0.1);
    let a = dispatched(arrive(&mut p, at(0)));
    let b1 = queued(p.handle_arrival(at(1), background(at(1))));
    let i1 = queued(arrive(&mut p, at(2)));
    let i2 = queued(arrive(&mut p, at(3)));
    assert_eq!(p.handle_cancel(at(4), i2), Cancelled::Kept);
    let shutdown = |ticket, waited, abandoned| Action::Answer {
        ticket,
        token: 0,
        rejection: Rejection {
            reason: Reason::Shutdown,
            retry_after: Some(model::gateway::SHUTDOWN_RETRY_AFTER),
        },
        waited,
        abandoned,
    };
    assert_eq!(
        p.drain(at(10)),
        vec![
            shutdown(i1, ms(8), false),
            shutdown(i2, ms(7), true),
            shutdown(b1, ms(9), false),
        ]
    );
    assert_eq!(Reason::Shutdown.status(), 503);
    assert_eq!(p.queue_len(), 0);
    assert_eq!(p.in_flight(), 1, "requests at the backend are left to finish");
    assert_eq!(p.stats().rejected[Reason::Shutdown as usize], 3);
    assert_eq!(complete(&mut p, at(20), a), vec![]);
    assert_eq!(p.drain(at(30)), vec![]);
}

// ---------------------------------------------------------------------------------------------
// memory bound with cancel semantics
// ---------------------------------------------------------------------------------------------

#[test]
fn queued_waits_are_those_of_requests_still_queued_by_now() {
    // Kept after its client left, a request stays queued and counts; one removed does not.
    let mut p = with_abandon(Abandon::Keep);
    let _a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(1)));
    let _c = queued(arrive(&mut p, at(3)));
    assert_eq!(p.handle_cancel(at(4), b), Cancelled::Kept);
    let mut waits: Vec<Duration> = p.queued_waits(at(10)).collect();
    waits.sort();
    assert_eq!(waits, vec![ms(7), ms(9)]);

    let mut p = with_abandon(Abandon::Cancel);
    let _a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(1)));
    let _c = queued(arrive(&mut p, at(3)));
    assert_eq!(p.handle_cancel(at(4), b), Cancelled::Removed { waited: ms(3) });
    assert_eq!(p.queued_waits(at(10)).collect::<Vec<_>>(), vec![ms(7)]);
}

#[test]
fn cancelling_100k_queued_requests_keeps_the_queue_compact() {
    let mut p = with_abandon(Abandon::Cancel);
    let a = dispatched(arrive(&mut p, at(0)));
    let tickets: Vec<Ticket> = (0..100_000u64).map(|i| queued(arrive(&mut p, Time(i + 1)))).collect();
    let max_index = tickets.iter().map(|t| t.as_u64() & 0xffff_ffff).max().unwrap();
    // Cancel all but every 1000th: the queue length drops by one with each cancellation.
    let mut expected_len = 100_000;
    for (i, &t) in tickets.iter().enumerate() {
        if i % 1000 != 999 {
            assert!(matches!(p.handle_cancel(at(1), t), Cancelled::Removed { .. }));
            expected_len -= 1;
            assert_eq!(p.queue_len(), expected_len);
        }
    }
    assert_eq!(p.queue_len(), 100);
    assert_eq!(p.stats().cancelled, 99_900);
    // The survivors are served in their order, nothing cancelled reaches the backend.
    let mut current = a;
    let mut now = at(10);
    for i in 0..100 {
        assert_eq!(
            complete(&mut p, now, current),
            vec![dispatch(
                tickets[i * 1000 + 999],
                now.saturating_since(Time(i as u64 * 1000 + 1000))
            )]
        );
        current = tickets[i * 1000 + 999];
        now += ms(1);
    }
    assert_eq!(complete(&mut p, now, current), vec![]);
    assert_eq!(p.stats().dispatched, 101);

    // Many more rounds of queue-and-cancel reuse the same slots: nothing grows.
    let busy = dispatched(arrive(&mut p, now));
    for round in 0..20 {
        let ts: Vec<Ticket> = (0..10_000).map(|_| queued(arrive(&mut p, now))).collect();
        assert!(
            ts.iter().all(|t| (t.as_u64() & 0xffff_ffff) <= max_index),
            "round {round}"
        );
        for t in ts {
            assert_eq!(p.handle_cancel(now, t), Cancelled::Removed { waited: Duration::ZERO });
        }
        assert_eq!(p.queue_len(), 0);
        assert_eq!(poll_all(&mut p, now), vec![]);
    }
    let last = queued(arrive(&mut p, now));
    assert_eq!(complete(&mut p, now + ms(1), busy), vec![dispatch(last, ms(1))]);
}

#[test]
fn cancelling_from_the_middle_keeps_order_through_compaction() {
    let mut p = with_abandon(Abandon::Cancel);
    let a = dispatched(arrive(&mut p, at(0)));
    let tickets: Vec<Ticket> = (0..1000).map(|_| queued(arrive(&mut p, at(1)))).collect();
    // Cancel every odd one, from the back: compaction runs several times on the way.
    for t in tickets.iter().skip(1).step_by(2).rev() {
        assert_eq!(p.handle_cancel(at(2), *t), Cancelled::Removed { waited: ms(1) });
    }
    assert_eq!(p.queue_len(), 500);
    let mut current = a;
    for &t in tickets.iter().step_by(2) {
        let got = complete(&mut p, at(3), current);
        assert_eq!(got, vec![dispatch(t, ms(2))]);
        current = t;
    }
    assert_eq!(p.queue_len(), 0);
}

// ---------------------------------------------------------------------------------------------
// Defects
// ---------------------------------------------------------------------------------------------

/// Regression (fixed) in policy.rs `poll_timeout`: `paused_until` was never cleared, and `poll_timeout` reports it
/// whenever the queue is non-empty, even long after the pause ended. A driver that sleeps
/// until `poll_timeout()` then wakes at once, polls (`None`: no room), asks again, and gets the
/// same past instant: a busy loop for as long as the backend is full. It should report only a
/// pause that is still in force (here: `None`, as fifo has no other timer).
#[test]
fn poll_timeout_forgets_a_pause_that_has_ended() {
    let mut p = policy(Strategy::Fifo, 1);
    let a = dispatched(arrive(&mut p, at(0)));
    let b = queued(arrive(&mut p, at(500)));
    p.handle_complete(secs(1), a, 429, Some(Duration::from_secs(1)));
    assert_eq!(p.poll_timeout(), Some(secs(2)));
    assert_eq!(poll_all(&mut p, secs(2)), vec![dispatch(b, ms(1500))]);
    // The pause is over; a new request waits for the busy backend.
    let _c = queued(arrive(&mut p, secs(3)));
    assert_eq!(poll_all(&mut p, secs(3)), vec![]);
    let next = p.poll_timeout();
    assert!(
        next.is_none_or(|t| t > secs(3)),
        "poll_timeout() = {next:?} at 3 s: a wake-up in the past, from the pause that ended at 2 s"
    );
}

/// Regression (fixed) in policy.rs `expire_oldest` (and `poll_timeout`, `poll`'s LIFO choice): adaptive LIFO reads
/// `Codel::overloaded()`, which is only brought up to date inside `should_drop`, i.e. when a
/// request is dequeued. `poll` runs `expire_oldest` *before* that, so after an interval whose
/// queue drained (CoDel's verdict: not overloaded), the first poll past the interval's end
/// still acts on the previous interval's "overloaded" and answers 503 to every request at the
/// front that waited more than 2 x target. Here the 220..320 ms interval's smallest wait was
/// 3 ms (< 5 ms target), so at 330 ms the queue is not standing and x (waited 30 ms) should be
/// served oldest first; instead x and y are both shed with Reason::Codel.
#[test]
fn adaptive_lifo_acts_on_a_current_overload_verdict() {
    let (mut p, current, rest) = standing_queue(Strategy::AdaptiveLifo);
    assert_eq!(poll_all(&mut p, at(220)).len(), rest.len());
    let n1 = queued(arrive(&mut p, at(227)));
    assert_eq!(complete(&mut p, at(230), current), vec![dispatch(n1, ms(3))]);
    // A new queue forms behind n1, and n1 completes after the interval ended at 320 ms.
    let x = queued(arrive(&mut p, at(300)));
    let _y = queued(arrive(&mut p, at(301)));
    assert_eq!(
        complete(&mut p, at(330), n1),
        vec![dispatch(x, ms(30))],
        "the last interval drained (min wait 3 ms): not overloaded, so no shedding"
    );
}

/// Regression (fixed) in policy.rs `admit` with `front = true` (`handle_retry`): a gateway retry is pushed on the
/// front of the deque, "ahead of the queue". Under adaptive LIFO in its overloaded state the
/// queue is served from the *back*, so the retry is served last (and is the first candidate
/// for the slough check), behind every request that arrived after it. It should be served
/// next, as in every other strategy.
#[test]
fn adaptive_lifo_serves_a_gateway_retry_next_when_overloaded() {
    let mut c = codel_config(Strategy::AdaptiveLifo);
    c.retries = Some((2, 0.2, 10.0));
    let (mut p, current, rest) = standing_queue_with(c);
    assert_eq!(poll_all(&mut p, at(220)).len(), rest.len());
    let _n1 = queued(arrive(&mut p, at(225)));
    let _n2 = queued(arrive(&mut p, at(226)));
    assert!(p.allow_retry(at(227), 1));
    let r = queued(p.handle_retry(at(227), req(at(227))));
    assert_eq!(
        complete(&mut p, at(230), current),
        vec![dispatch(r, ms(3))],
        "a gateway retry goes ahead of the queue"
    );
}

/// Regression (fixed) in policy.rs `admit`: the pushback pause applies to every strategy, passthrough included, and
/// passthrough's queue is unbounded (`queue_capacity: None`). After one 429/503 from the
/// backend, passthrough holds every arrival in an unbounded queue for the pause (1 s by
/// default, up to 30 s): the message-queue behaviour passthrough is the baseline against.
/// `Strategy::Passthrough` is documented as "every request goes straight to the backend".
#[test]
fn passthrough_never_queues_even_after_backend_pushback() {
    let mut p = policy(Strategy::Passthrough, 4);
    let a = dispatched(arrive(&mut p, at(0)));
    p.handle_complete(at(10), a, 429, None);
    let b = arrive(&mut p, at(20));
    assert!(matches!(b, Admit::Dispatch(_)), "passthrough never queues, got {b:?}");
    assert_eq!(p.queue_len(), 0);
}

/// One stalled request inflates the estimate past every budget; with nothing in flight the
/// policy must not refuse traffic for ever on a stale prediction.
#[test]
fn deadline_does_not_latch_on_a_stale_estimate() {
    let mut p = deadline_policy();
    let a = dispatched(arrive(&mut p, at(0)));
    // A 2 s stall: the estimate becomes 2 s.
    assert_eq!(p.handle_complete(at(2000), a, 200, None), ms(2000));
    // Right after, a 1 s budget is under the prediction: expired without calling the backend.
    assert!(matches!(
        p.handle_arrival(at(2000), req_until(at(2000), at(3000))),
        Admit::Rejected(_)
    ));
    // Once the backend has been idle longer than the prediction, the next request goes through
    // and its completion corrects the estimate.
    let probe = dispatched(p.handle_arrival(at(4500), req_until(at(4500), at(5500))));
    assert_eq!(p.handle_complete(at(4510), probe, 200, None), ms(10));
    let next = dispatched(p.handle_arrival(at(4520), req_until(at(4520), at(5520))));
    p.handle_complete(at(4530), next, 200, None);
}

/// A gateway running a scenario compressed ten times (`clock_scale` 10, set by
/// `time_scaled`) keeps its own time constants in the scenario's proportions: the retry
/// budget remembers 1 s of its clock (10 s of the scenario's), and a shed request's Retry-After
/// before any latency is known assumes 10 ms per request (100 ms of the scenario's).
#[test]
fn the_policys_own_time_constants_follow_the_clock_scale() {
    let scenario = model::scenario::parse(
        "t.toml",
        "[[workload.phases]]\nduration = \"10s\"\nrate = 1\n\
         [gateway]\nstrategy = \"bounded\"\nconcurrency = 1\nqueue_capacity = 1\n\
         [gateway.retries]\nenabled = true\nbudget_ratio = 0.5\nmin_per_sec = 0\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"10ms\"\n",
    )
    .unwrap();
    let fast = scenario.time_scaled(10.0).unwrap();
    assert_eq!(fast.file.gateway.clock_scale, 10.0);
    let policy_of = |s: &model::scenario::Scenario| {
        ServicePolicy::new(PolicyConfig::for_service(&s.file.gateway, s.services[0].workers))
    };
    for (s, retry_after, budget_left_after_2s) in [(&scenario, ms(200), true), (&fast, ms(20), false)] {
        let mut p = policy_of(s);
        dispatched(arrive(&mut p, at(0)));
        queued(arrive(&mut p, at(0)));
        for _ in 0..8 {
            assert_eq!(rejected(arrive(&mut p, at(0))).retry_after, Some(retry_after));
        }
        // 10 requests at 0: half as many retries within the budget's window, none after it.
        assert_eq!(p.allow_retry(secs(2), 1), budget_left_after_2s, "{retry_after:?}");
    }
}

/// `poll`'s idle fast path (no CoDel, no queue timeout: nothing changes with time alone)
/// answers exactly what the full decision does: two identical policies take the same random
/// events, one polled with the fast path and one without, under every strategy, with and
/// without classes, queue timeouts, deadlines and 503 pauses; their decisions and next timeouts
/// must match at every step.
#[test]
fn the_idle_poll_fast_path_decides_what_the_full_poll_decides() {
    use rand::{Rng as _, SeedableRng as _};
    let strategies = [
        Strategy::Fifo,
        Strategy::Bounded,
        Strategy::Deadline,
        Strategy::Codel,
        Strategy::AdaptiveLifo,
        Strategy::Adaptive,
        Strategy::Passthrough,
    ];
    let mut fast_polls_idle = 0u64;
    let mut timerless = 0u64;
    for (k, strategy) in strategies.into_iter().enumerate() {
        for variant in 0..4u64 {
            let mut cfg = config(strategy, 2);
            if strategy == Strategy::Bounded {
                cfg.queue_capacity = Some(8);
            }
            if variant & 1 == 1 && strategy != Strategy::Passthrough {
                cfg.queue_timeout = Some(ms(300));
            }
            if variant & 2 == 2 && strategy != Strategy::Passthrough {
                cfg.priorities = Some(PriorityClasses {
                    interactive_capacity: Some(6),
                    background_capacity: Some(4),
                    background_share: 0.25,
                });
            }
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(k as u64 * 10 + variant);
            let (mut a, mut b) = (ServicePolicy::new(cfg.clone()), ServicePolicy::new(cfg));
            let mut now = Time::ZERO;
            let mut in_flight: Vec<Ticket> = Vec::new();
            let mut queued_tickets: Vec<Ticket> = Vec::new();
            for step in 0..3_000 {
                now += ms(rng.random_range(0..40));
                let ctx = format!("{strategy:?} variant {variant} step {step}");
                match rng.random_range(0..10) {
                    0..=4 => {
                        let arrival = Arrival {
                            arrived: now,
                            deadline: rng.random_bool(0.5).then(|| now + ms(rng.random_range(50..800))),
                            priority: if rng.random_bool(0.3) {
                                Priority::Background
                            } else {
                                Priority::Interactive
                            },
                            api: model::gateway::NO_API,
                            token: 0,
                        };
                        let (x, y) = (a.handle_arrival(now, arrival), b.handle_arrival(now, arrival));
                        assert_eq!(format!("{x:?}"), format!("{y:?}"), "{ctx}");
                        match x {
                            Admit::Dispatch(t) => in_flight.push(t),
                            Admit::Queued(t) => queued_tickets.push(t),
                            Admit::Rejected(_) => {}
                        }
                    }
                    5..=7 if !in_flight.is_empty() => {
                        let t = in_flight.swap_remove(rng.random_range(0..in_flight.len()));
                        // Now and then a 503 with Retry-After: pushback pauses dispatch.
                        let (status, after) = if rng.random_bool(0.1) {
                            (503, Some(ms(rng.random_range(10..200))))
                        } else {
                            (200, None)
                        };
                        a.handle_complete(now, t, status, after);
                        b.handle_complete(now, t, status, after);
                    }
                    8 if !queued_tickets.is_empty() => {
                        let t = queued_tickets.swap_remove(rng.random_range(0..queued_tickets.len()));
                        let (x, y) = (a.handle_cancel(now, t), b.handle_cancel(now, t));
                        assert_eq!(format!("{x:?}"), format!("{y:?}"), "{ctx}");
                    }
                    _ => {
                        if a.poll_timeout().is_some_and(|t| t <= now) {
                            a.handle_timeout(now);
                            b.handle_timeout(now);
                        }
                    }
                }
                loop {
                    let idle = a.idle(now);
                    let (x, y) = (a.poll(now), b.poll_without_fast_path(now));
                    assert_eq!(x, y, "{ctx}");
                    assert!(!idle || y.is_none(), "idle, yet the full poll decided {y:?}: {ctx}");
                    match x {
                        Some(Action::Dispatch { ticket, .. }) => {
                            queued_tickets.retain(|q| *q != ticket);
                            in_flight.push(ticket);
                        }
                        Some(Action::Answer { ticket, .. }) => queued_tickets.retain(|q| *q != ticket),
                        None => {
                            fast_polls_idle += 1;
                            break;
                        }
                    }
                }
                if a.timerless() {
                    timerless += 1;
                    assert_eq!(a.poll_timeout(), None, "timerless: {ctx}");
                }
                assert_eq!(a.poll_timeout(), b.poll_timeout(), "{ctx}");
                assert_eq!((a.queue_len(), a.in_flight()), (b.queue_len(), b.in_flight()), "{ctx}");
            }
        }
    }
    assert!(fast_polls_idle > 50_000, "{fast_polls_idle} idle polls compared");
    assert!(timerless > 10_000, "{timerless} timerless steps checked");
}
