//! The backend service model (`model::backend::ServiceModel`) driven on synthetic time by a tiny
//! discrete-event loop: a binary heap of pending completions, merged with a sorted arrival list.

use model::backend::{Admission, BackendRequest, Completion, Job, RejectReason, Reply, ServiceModel};
use model::rng::Streams;
use model::scenario;
use model::Time;
use rand_distr::{Distribution as _, Exp1};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

/// One service, from the TOML lines of its `[[backend.services]]` table (after `name`).
fn service(body: &str, seed: u64) -> ServiceModel {
    let text =
        format!("[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"svc\"\n{body}\n");
    let s = scenario::parse("t.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    ServiceModel::new(s.services[0].clone(), &Streams::new(seed))
}

fn request(id: u64, at: Time, deadline: Option<Time>) -> BackendRequest {
    BackendRequest {
        id,
        api: 0,
        arrived: at,
        deadline,
    }
}

/// What the loop saw.
#[derive(Default)]
struct Run {
    /// Completions with the time they happened, in completion order.
    completions: Vec<(Time, Completion, Job)>,
    rejections: Vec<(u64, Reply)>,
    started_at_arrival: usize,
    queued_at_arrival: usize,
}

/// Feeds `arrivals` (sorted by time) to the model and completes every job at its
/// `completes_at`. At equal times completions go first (a worker freed at t serves an arrival at t).
fn run(model: &mut ServiceModel, arrivals: &[BackendRequest]) -> Run {
    assert!(arrivals.windows(2).all(|w| w[0].arrived <= w[1].arrived));
    let mut out = Run::default();
    // (completion time, sequence number) -> job; the sequence keeps equal times in start order.
    let mut heap: BinaryHeap<Reverse<(Time, u64)>> = BinaryHeap::new();
    let mut jobs: Vec<Option<Job>> = Vec::new();
    let push = |heap: &mut BinaryHeap<Reverse<(Time, u64)>>, jobs: &mut Vec<Option<Job>>, job: Job| {
        assert!(job.completes_at >= job.started);
        heap.push(Reverse((job.completes_at, jobs.len() as u64)));
        jobs.push(Some(job));
    };
    let mut next = 0;
    loop {
        let due = heap.peek().map(|Reverse((t, _))| *t);
        let arrival = arrivals.get(next).map(|r| r.arrived);
        match (due, arrival) {
            (Some(t), a) if a.is_none_or(|a| t <= a) => {
                let Reverse((now, seq)) = heap.pop().unwrap();
                let job = jobs[seq as usize].take().unwrap();
                assert_eq!(now, job.completes_at);
                let (c, following) = model.handle_complete(now, job);
                out.completions.push((now, c, job));
                if let Some(j) = following {
                    assert_eq!(j.started, now, "a backlogged request starts when a worker frees up");
                    push(&mut heap, &mut jobs, j);
                }
            }
            (_, Some(now)) => {
                let r = arrivals[next];
                next += 1;
                match model.handle_request(now, r) {
                    Admission::Started(j) => {
                        out.started_at_arrival += 1;
                        assert_eq!(j.started, now);
                        push(&mut heap, &mut jobs, j);
                    }
                    Admission::Queued => out.queued_at_arrival += 1,
                    Admission::Rejected(reply) => out.rejections.push((r.id, reply)),
                }
            }
            (None, None) => break,
            (Some(_), None) => unreachable!(),
        }
    }
    out
}

const MS: u64 = 1_000_000;

#[test]
fn queue_mode_serves_a_burst_at_exactly_workers_over_service_time() {
    // 2 workers x 1 / 20 ms = 100 requests per second.
    let mut m = service(
        "workers = 2\nservice_time = \"20ms\"\noverload = { mode = \"queue\", backlog = 1000 }",
        1,
    );
    let burst: Vec<BackendRequest> = (0..300).map(|i| request(i, Time::ZERO, None)).collect();
    let r = run(&mut m, &burst);
    assert_eq!(r.started_at_arrival, 2);
    assert_eq!(r.queued_at_arrival, 298);
    assert!(r.rejections.is_empty());
    assert_eq!(r.completions.len(), 300);
    for (k, (at, c, job)) in r.completions.iter().enumerate() {
        // Two at a time, every 20 ms, first come first served.
        let round = k as u64 / 2;
        assert_eq!(*at, Time((round + 1) * 20 * MS), "completion {k}");
        assert_eq!(c.request.id, k as u64, "FIFO order");
        assert_eq!(c.queued, Duration::from_nanos(round * 20 * MS));
        assert_eq!(c.busy, Duration::from_millis(20));
        assert_eq!(job.work(), Duration::from_millis(20));
        assert_eq!(c.status, 200);
        assert!(!c.wasted);
    }
    assert_eq!(
        r.completions.last().unwrap().0,
        Time::from_secs_f64(3.0),
        "the last completion at exactly 3 s"
    );
    // 100 per second in each second of the run: (0, 1], (1, 2], (2, 3].
    for s in 0..3u64 {
        let (lo, hi) = (Time(s * 1000 * MS), Time((s + 1) * 1000 * MS));
        let n = r.completions.iter().filter(|(t, ..)| *t > lo && *t <= hi).count();
        assert_eq!(n, 100, "second {s}");
    }
    let st = m.stats();
    assert_eq!((st.arrived, st.completed, st.ok, st.rejected), (300, 300, 300, 0));
    // 300 x 20 ms of busy time; f64 sums of 300 terms, relative rounding error < 300 x 2^-52.
    assert!((st.busy_seconds - 6.0).abs() < 1e-12, "{}", st.busy_seconds);
    assert_eq!((m.busy(), m.backlog_len()), (0, 0));
}

#[test]
fn queue_mode_rejects_past_workers_plus_backlog() {
    let mut m = service(
        "workers = 2\nservice_time = \"20ms\"\noverload = { mode = \"queue\", backlog = 3 }",
        1,
    );
    let burst: Vec<BackendRequest> = (0..10).map(|i| request(i, Time::ZERO, None)).collect();
    let r = run(&mut m, &burst);
    assert_eq!(
        (r.started_at_arrival, r.queued_at_arrival, r.rejections.len()),
        (2, 3, 5)
    );
    let ids: Vec<u64> = r.rejections.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [5, 6, 7, 8, 9], "the last five find the backlog full");
    assert!(r.rejections.iter().all(|(_, reply)| *reply
        == Reply {
            status: 503,
            retry_after: None,
            reason: RejectReason::Overloaded
        }));
    let times: Vec<Time> = r.completions.iter().map(|(t, ..)| *t).collect();
    assert_eq!(times, [20, 20, 40, 40, 60].map(|ms| Time(ms * MS)));
}

#[test]
fn reject_mode_completes_only_the_workers_of_a_burst() {
    let mut m = service("workers = 3\nservice_time = \"20ms\"\noverload = \"reject\"", 1);
    let burst: Vec<BackendRequest> = (0..10).map(|i| request(i, Time::ZERO, None)).collect();
    let r = run(&mut m, &burst);
    assert_eq!(r.started_at_arrival, 3);
    assert_eq!(r.queued_at_arrival, 0);
    assert_eq!(r.completions.len(), 3);
    assert!(r
        .completions
        .iter()
        .all(|(t, c, _)| *t == Time(20 * MS) && c.queued.is_zero()));
    assert_eq!(r.rejections.len(), 7);
    assert!(r.rejections.iter().all(|(_, reply)| *reply
        == Reply {
            status: 503,
            retry_after: None,
            reason: RejectReason::Overloaded
        }));
    let st = m.stats();
    assert_eq!((st.arrived, st.completed, st.rejected), (10, 3, 7));
    // Once the workers are free, the service takes work again.
    let later = run(&mut m, &[request(10, Time(20 * MS), None)]);
    assert_eq!(later.completions.len(), 1);
}

/// Poisson arrivals at `rate` per second from their own seeded stream.
fn poisson_arrivals(n: usize, rate: f64, seed: u64, deadline: Option<Duration>) -> Vec<BackendRequest> {
    let mut rng = Streams::new(seed).stream("test-arrivals");
    let mut t = 0.0;
    (0..n as u64)
        .map(|id| {
            let gap: f64 = Exp1.sample(&mut rng);
            t += gap / rate;
            let at = Time::from_secs_f64(t);
            request(id, at, deadline.map(|d| at + d))
        })
        .collect()
}

/// M/M/1 at utilisation 0.5: one worker, exponential service with mean 10 ms (mu = 100/s), Poisson
/// arrivals at lambda = 50/s. The mean time in system is 1 / (mu - lambda) = 20 ms.
///
/// Successive times in system are correlated, so the standard error comes from batch means: 20
/// batches of 10 000 consecutive customers. The M/M/1 relaxation time at rho = 0.5 is about
/// 1 / (mu (1 - sqrt(rho))^2) = 0.12 s, i.e. about 6 arrivals, so batches of 10 000 are nearly
/// independent (lag-1 correlation of batch means of order 1e-3) and nearly normal. Then
/// (mean - 20 ms) / SE follows Student's t with 19 degrees of freedom: P(|t| > 4) = 7.7e-4, the
/// false-alarm rate of this (fixed-seed, hence deterministic) check. Starting empty biases the
/// mean by O(relaxation time / run length) = O(1e-5) relative, negligible against SE / mean ~ 1%.
#[test]
fn mm1_mean_time_in_system_matches_theory() {
    const BATCHES: usize = 20;
    const PER_BATCH: usize = 10_000;
    let (lambda, mu) = (50.0, 100.0);
    let mut m = service(
        "workers = 1\nservice_time = { dist = \"exponential\", mean = \"10ms\" }\noverload = { mode = \"queue\", backlog = 1000000 }",
        42,
    );
    let arrivals = poisson_arrivals(BATCHES * PER_BATCH, lambda, 42, None);
    let r = run(&mut m, &arrivals);
    assert!(r.rejections.is_empty());
    assert_eq!(r.completions.len(), arrivals.len());
    // Time in system by customer (arrival order; with one FIFO worker this is completion order).
    let mut w = vec![0.0; arrivals.len()];
    for (at, c, _) in &r.completions {
        w[c.request.id as usize] = at.saturating_since(c.request.arrived).as_secs_f64();
    }
    let means: Vec<f64> = w
        .chunks(PER_BATCH)
        .map(|b| b.iter().sum::<f64>() / b.len() as f64)
        .collect();
    let k = means.len() as f64;
    let grand = means.iter().sum::<f64>() / k;
    let var = means.iter().map(|x| (x - grand).powi(2)).sum::<f64>() / (k - 1.0);
    let se = (var / k).sqrt();
    let expected = 1.0 / (mu - lambda);
    assert!(
        (grand - expected).abs() <= 4.0 * se,
        "mean time in system {grand} s, expected {expected} s +- {} (batch means {means:?})",
        4.0 * se
    );
    // The estimate is informative: SE well below the mean (else the check would be vacuous).
    assert!(se < 0.05 * expected, "SE {se}");
}

/// Wasted work is exactly the busy time of the requests that completed after their deadline,
/// counted request by request from the loop's own clock.
#[test]
fn wasted_work_is_the_busy_time_of_late_completions() {
    // 2 workers, exponential 20 ms (capacity 100/s), offered 90/s; deadline 60 ms after arrival:
    // queues build up, so some requests finish late and some in time.
    let mut m = service(
        "workers = 2\nservice_time = { dist = \"exponential\", mean = \"20ms\" }\noverload = { mode = \"queue\", backlog = 100000 }",
        3,
    );
    let arrivals = poisson_arrivals(5_000, 90.0, 3, Some(Duration::from_millis(60)));
    let r = run(&mut m, &arrivals);
    assert_eq!(r.completions.len(), arrivals.len());
    let (mut late, mut late_ns, mut busy_ns) = (0u64, 0u128, 0u128);
    for (now, c, job) in &r.completions {
        let deadline = c.request.deadline.unwrap();
        let is_late = *now > deadline;
        assert_eq!(
            c.wasted, is_late,
            "request {}: done at {now}, deadline {deadline}",
            c.request.id
        );
        let busy = now.saturating_since(job.started);
        assert_eq!(c.busy, busy);
        assert_eq!(c.queued, job.started.saturating_since(c.request.arrived));
        busy_ns += busy.as_nanos();
        if is_late {
            late += 1;
            late_ns += busy.as_nanos();
        }
    }
    assert!(
        late > 0 && late < arrivals.len() as u64,
        "{late} late of {}: the test needs both kinds",
        arrivals.len()
    );
    let st = m.stats();
    assert_eq!(st.wasted_requests, late);
    // The model sums f64 seconds; each addition rounds with relative error <= 2^-53, so the sum
    // of 5 000 terms is within 5 000 x 2^-53 x total of the exact integer sum.
    let tol = |total: f64| arrivals.len() as f64 * f64::EPSILON * total;
    let (late_s, busy_s) = (late_ns as f64 * 1e-9, busy_ns as f64 * 1e-9);
    assert!(
        (st.wasted_seconds - late_s).abs() <= tol(late_s),
        "wasted {} vs {late_s}",
        st.wasted_seconds
    );
    assert!(
        (st.busy_seconds - busy_s).abs() <= tol(busy_s),
        "busy {} vs {busy_s}",
        st.busy_seconds
    );
    assert!(st.wasted_seconds < st.busy_seconds);
}

/// Live, a job completes at its model time though its worker wakes later; a request that came
/// in between (into the backlog, the worker being busy) starts at its arrival, not at the
/// earlier completion, so it never runs before it existed.
#[test]
fn a_backlogged_request_starts_no_earlier_than_it_arrived() {
    let mut m = service(
        "workers = 1\nservice_time = \"20ms\"\noverload = { mode = \"queue\", backlog = 5 }",
        1,
    );
    let Admission::Started(first) = m.handle_request(Time::ZERO, request(0, Time::ZERO, None)) else {
        panic!("an idle worker starts the first request");
    };
    // Arrives at 25 ms, after the first job's 20 ms completion the worker has not yet handled.
    let late = Time(25 * MS);
    assert!(matches!(
        m.handle_request(late, request(1, late, None)),
        Admission::Queued
    ));
    let (done, next) = m.handle_complete(first.completes_at, first);
    assert_eq!(done.busy, Duration::from_millis(20));
    let next = next.expect("the backlogged request starts");
    assert_eq!(next.started, late);
    assert_eq!(next.completes_at, Time(45 * MS));
    // One that was already waiting starts where the last job ended.
    assert!(matches!(
        m.handle_request(late, request(2, late, None)),
        Admission::Queued
    ));
    let (_, after) = m.handle_complete(next.completes_at, next);
    assert_eq!(after.expect("the next starts").started, Time(45 * MS));
}
