//! The legacy service model: few workers, a service-time distribution, overload behaviour and
//! faults. Sans-I/O: the caller passes `now` and runs the clock; the model decides what starts,
//! what waits, what is refused, how long work takes and whether it was wasted.
//!
//! mock-legacy drives it with tokio timers; the simulator with its event queue.

use crate::rng::{Rng, Streams};
use crate::scenario::{Outage, OutageKind, Overload, ServiceSpec, Stalls};
use crate::time::Time;
use rand::Rng as _;
use std::collections::VecDeque;
use std::time::Duration;

/// A request as the backend sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackendRequest {
    pub id: u64,
    pub api: usize,
    pub arrived: Time,
    /// When the caller stops waiting (from `x-spillway-timeout-ms`); work finished after it is wasted.
    pub deadline: Option<Time>,
}

/// Work in progress on one worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub request: BackendRequest,
    pub started: Time,
    /// Work needed, in nanoseconds (the sampled service time, after any thrash or slowdown
    /// factor; see [`Job::work`]). Nanoseconds, not a `Duration`: the simulator writes a job
    /// per request and reads this only with stalls or hangs.
    pub work_ns: u64,
    /// When the work is done, stalls included.
    pub completes_at: Time,
    /// 200, or 500 for an injected error.
    pub status: u16,
}

impl Job {
    /// Work needed (the sampled service time, after any thrash or slowdown factor).
    pub fn work(&self) -> Duration {
        Duration::from_nanos(self.work_ns)
    }
}

/// Why the backend answered without doing the work.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// Queue mode: backlog full. Reject mode: no free worker. Thrash: past max in flight.
    Overloaded,
    /// Rate-limit fault.
    RateLimited,
    /// Outage window.
    Outage,
}

/// An immediate answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub reason: RejectReason,
}

/// What happens to an arriving request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// A worker took it: complete it at `job.completes_at`.
    Started(Job),
    /// Waiting in the backlog: it starts when a worker frees up (returned by `handle_complete`).
    Queued,
    Rejected(Reply),
}

/// A finished job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    pub request: BackendRequest,
    pub status: u16,
    /// Time in the backend's own backlog.
    pub queued: Duration,
    /// Time on a worker (stalls included).
    pub busy: Duration,
    /// `busy` in nanoseconds.
    pub busy_ns: u64,
    /// Finished after the caller's deadline: nobody was waiting for it.
    pub wasted: bool,
}

/// Counters a driver exports (mock-legacy's /metrics) or records (the simulator).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServiceStats {
    pub arrived: u64,
    pub completed: u64,
    pub ok: u64,
    pub errors: u64,
    pub rejected: u64,
    pub rate_limited: u64,
    pub outage: u64,
    pub busy_seconds: f64,
    pub wasted_seconds: f64,
    pub wasted_requests: u64,
}

/// One service's state.
pub struct ServiceModel {
    spec: ServiceSpec,
    busy: u32,
    backlog: VecDeque<BackendRequest>,
    times: Rng,
    faults: Rng,
    /// The rate-limit fault's bucket (full at the start; unused without the fault).
    tokens: crate::bucket::TokenBucket,
    /// The slowdown fault's arrival rate: an exponentially weighted count of the arrivals up
    /// to `rate_at` (time constant `window`), per second.
    rate_estimate: f64,
    rate_at: Time,
    stats: ServiceStats,
    /// Busy and wasted time of finished jobs (ns): [`ServiceStats::busy_seconds`] and
    /// [`ServiceStats::wasted_seconds`] when read. Summed as integers, exactly, instead of a
    /// float addition per job, whose latency (a division and an addition) sat in every
    /// simulated completion.
    busy_ns: u128,
    wasted_ns: u128,
    /// The hanging outages as their union: sorted, disjoint, non-touching intervals.
    hangs: Vec<(Time, Time)>,
    /// Whether every API has the service's own distribution, and then its samples drawn ahead
    /// (see [`ServiceModel::start`]).
    one_distribution: bool,
    ahead: crate::dist::Ahead,
    /// [`ServiceModel::ahead`] for a faultless service (see [`ServiceModel::start`]): the
    /// samples are the work itself, kept in nanoseconds. A service draws from one of the two
    /// for its whole life, so its stream gives the same samples either way.
    ahead_ns: crate::dist::Ahead<u64>,
    /// No fault (errors, rate limit, stalls, outages, slowdown) and no thrashing: a request is
    /// refused only for want of room, and its work is its sample (see [`ServiceModel::start`]).
    /// Decided once: the simulator asks per request.
    faultless: bool,
}

impl ServiceModel {
    /// `streams` gives the service its own service-time and fault streams (named by service).
    pub fn new(spec: ServiceSpec, streams: &Streams) -> ServiceModel {
        let tokens = crate::bucket::TokenBucket::full(
            spec.faults.rate_limit.as_ref().map_or(0.0, |r| f64::from(r.burst)),
            Time::ZERO,
        );
        let hangs = merge_hangs(&spec.faults.outages);
        let one_distribution = spec.api_service_time.iter().all(Option::is_none);
        let f = &spec.faults;
        // No error draw: `start` draws one only when `error_ratio > 0.0` (NaN included here).
        let faultless = (f.error_ratio <= 0.0 || f.error_ratio.is_nan())
            && f.rate_limit.is_none()
            && f.stalls.is_none()
            && f.outages.is_empty()
            && f.slowdown.is_none()
            && !matches!(spec.overload, Overload::Thrash { .. });
        ServiceModel {
            hangs,
            times: streams.stream(&format!("service:{}", spec.name)),
            faults: streams.stream(&format!("faults:{}", spec.name)),
            spec,
            busy: 0,
            backlog: VecDeque::new(),
            tokens,
            rate_estimate: 0.0,
            rate_at: Time::ZERO,
            stats: ServiceStats::default(),
            busy_ns: 0,
            wasted_ns: 0,
            one_distribution,
            ahead: Default::default(),
            ahead_ns: Default::default(),
            faultless,
        }
    }

    pub fn spec(&self) -> &ServiceSpec {
        &self.spec
    }
    pub fn stats(&self) -> ServiceStats {
        ServiceStats {
            busy_seconds: self.busy_ns as f64 / 1e9,
            wasted_seconds: self.wasted_ns as f64 / 1e9,
            ..self.stats
        }
    }
    /// Requests on a worker.
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Busy seconds up to `now`: those of finished jobs ([`ServiceStats::busy_seconds`]) and
    /// the time so far of `running`, the jobs on a worker (the driver holds them), so a counter
    /// sampled over time grows as the work happens, not all at once when a long job ends. Each
    /// running job counts up to its own end at most: a driver that completes it late (its timer
    /// woke late) would otherwise count it up to `now`, then back to its end once completed,
    /// and the counter went down.
    pub fn busy_seconds_at<'a>(&self, now: Time, running: impl IntoIterator<Item = &'a Job>) -> f64 {
        let running: u128 = running
            .into_iter()
            .map(|j| u128::from(now.min(j.completes_at).0.saturating_sub(j.started.0)))
            .sum();
        (self.busy_ns + running) as f64 / 1e9
    }
    /// Requests waiting in the backend's own backlog.
    pub fn backlog_len(&self) -> usize {
        self.backlog.len()
    }

    /// Empties the backlog, oldest first: a server shutting down answers what waits there at
    /// once rather than holding it until its drain timeout and closing it unanswered.
    pub fn take_backlog(&mut self) -> Vec<BackendRequest> {
        self.backlog.drain(..).collect()
    }

    /// A request arrives at `now`.
    #[inline]
    pub fn handle_request(&mut self, now: Time, req: BackendRequest) -> Admission {
        self.stats.arrived += 1;
        if !self.faultless {
            if let Some(reply) = self.fault_reply(now) {
                return Admission::Rejected(reply);
            }
        }
        let free = match self.spec.overload {
            Overload::Thrash { max_in_flight, .. } => max_in_flight.is_none_or(|m| self.busy < m),
            _ => self.busy < self.spec.workers,
        };
        if free {
            return Admission::Started(self.start(now, req));
        }
        if let Overload::Queue { backlog } = self.spec.overload {
            if self.backlog.len() < backlog as usize {
                self.backlog.push_back(req);
                return Admission::Queued;
            }
        }
        self.stats.rejected += 1;
        Admission::Rejected(Reply {
            status: 503,
            retry_after: None,
            reason: RejectReason::Overloaded,
        })
    }

    /// The faults' answer to a request arriving at `now`, if they give one: an outage's 503 or
    /// the rate limit's 429 (and the slowdown fault's count of arrivals, kept here).
    fn fault_reply(&mut self, now: Time) -> Option<Reply> {
        self.observe_arrival(now);
        if let Some(o) = self
            .spec
            .faults
            .outages
            .iter()
            .find(|o| o.kind == OutageKind::Reject && now >= o.start && now < o.end)
        {
            self.stats.outage += 1;
            return Some(Reply {
                status: 503,
                retry_after: o.retry_after,
                reason: RejectReason::Outage,
            });
        }
        let wait = self.take_token(now)?;
        self.stats.rate_limited += 1;
        Some(Reply {
            status: 429,
            retry_after: Some(wait),
            reason: RejectReason::RateLimited,
        })
    }

    /// A job finished (the caller calls this at `job.completes_at`). Returns the completion
    /// and the next job, if one was waiting in the backlog.
    #[inline]
    pub fn handle_complete(&mut self, now: Time, job: Job) -> (Completion, Option<Job>) {
        self.busy = self.busy.saturating_sub(1);
        // In nanoseconds first: the sums and the simulator's recorder take them so, without a
        // round trip through a `Duration`'s seconds and nanoseconds.
        let busy_ns = now.0.saturating_sub(job.started.0);
        let busy = Duration::from_nanos(busy_ns);
        let wasted = job.request.deadline.is_some_and(|d| now > d);
        self.stats.completed += 1;
        self.busy_ns += u128::from(busy_ns);
        if job.status == 200 {
            self.stats.ok += 1;
        } else {
            self.stats.errors += 1;
        }
        if wasted {
            self.stats.wasted_requests += 1;
            self.wasted_ns += u128::from(busy_ns);
        }
        let completion = Completion {
            request: job.request,
            status: job.status,
            queued: job.started.saturating_since(job.request.arrived),
            busy,
            busy_ns,
            wasted,
        };
        let next = if self.busy < self.spec.workers {
            // Not before it arrived: live, `now` is the finished job's model time, which a
            // request that came while its worker was waking up is later than (in the simulator
            // every backlogged request arrived by `now`).
            self.backlog.pop_front().map(|r| self.start(now.max(r.arrived), r))
        } else {
            None
        };
        (completion, next)
    }

    // Always inlined: called, it wrote the Job into the caller's frame with narrow stores that
    // the simulator's copy into its job slab read back at once with wide loads, which stall on
    // store forwarding (a third of `forward_to_backend`'s samples).
    #[inline(always)]
    fn start(&mut self, now: Time, req: BackendRequest) -> Job {
        self.busy += 1;
        // With one distribution for every API, samples are drawn ahead, in batches: the sample
        // is a chain of dependent operations (the RNG, the Exp(1) draw, the scaling) whose
        // result the simulator needs at once, to place the job's completion among its events;
        // drawn ahead, it is ready. The stream is this service's own and draws the same samples
        // in the same order, only earlier.
        if self.faultless {
            // What the general path below gives with a factor of 1, no error draw and no
            // interruption (`base * 1.0` is `base`, bit for bit), the samples drawn ahead
            // already in nanoseconds.
            let work_ns = if self.one_distribution {
                self.ahead_ns.next(&self.spec.service_time, &mut self.times)
            } else {
                crate::time::secs_to_nanos(self.spec.distribution(req.api).sample_secs(&mut self.times))
            };
            return Job {
                request: req,
                started: now,
                work_ns,
                completes_at: Time(now.0.saturating_add(work_ns)),
                status: 200,
            };
        }
        let base = if self.one_distribution {
            self.ahead.next(&self.spec.service_time, &mut self.times)
        } else {
            self.spec.distribution(req.api).sample_secs(&mut self.times)
        };
        let mut factor = 1.0;
        if let Overload::Thrash { k, .. } = self.spec.overload {
            let excess = self.busy.saturating_sub(self.spec.workers);
            factor *= 1.0 + k * f64::from(excess);
        }
        if let Some(s) = &self.spec.faults.slowdown {
            if self.arrival_rate(now, req.arrived, s.window) > s.above_rate {
                factor *= s.factor;
            }
        }
        let work_ns = crate::time::secs_to_nanos(base * factor);
        let status = if self.spec.faults.error_ratio > 0.0 && self.faults.random::<f64>() < self.spec.faults.error_ratio
        {
            500
        } else {
            200
        };
        // Without stalls or hangs the work runs uninterrupted (what `progress_end` finds too,
        // at the cost of a call and an empty search per job).
        let completes_at = if self.spec.faults.stalls.is_none() && self.hangs.is_empty() {
            Time(now.0.saturating_add(work_ns))
        } else {
            progress_end(
                self.spec.faults.stalls.as_ref(),
                &self.hangs,
                now,
                Duration::from_nanos(work_ns),
            )
        };
        Job {
            request: req,
            started: now,
            work_ns,
            completes_at,
            status,
        }
    }

    /// Token bucket of the rate-limit fault: `Some(wait)` when no token is left. Inlined for
    /// its first check (most services have no rate limit; every request asks).
    #[inline]
    fn take_token(&mut self, now: Time) -> Option<Duration> {
        self.spec.faults.rate_limit.as_ref()?;
        self.take_token_from_bucket(now)
    }

    fn take_token_from_bucket(&mut self, now: Time) -> Option<Duration> {
        let r = self.spec.faults.rate_limit.as_ref()?;
        let wait = self.tokens.take(now, r.rate, f64::from(r.burst)).err()?;
        Some(r.retry_after.unwrap_or(wait))
    }

    /// Inlined for its first check: most services have no slowdown fault.
    #[inline]
    fn observe_arrival(&mut self, now: Time) {
        if self.spec.faults.slowdown.is_some() {
            self.observe_arrival_rate(now);
        }
    }

    fn observe_arrival_rate(&mut self, now: Time) {
        let Some(s) = &self.spec.faults.slowdown else { return };
        let tau = s.window.as_secs_f64();
        let dt = now.saturating_since(self.rate_at).as_secs_f64();
        self.rate_estimate = self.rate_estimate * (-dt / tau).exp() + 1.0 / tau;
        self.rate_at = now.max(self.rate_at);
    }

    /// The arrival rate a request that arrived at `arrived` is judged by when its work starts
    /// at `now`: every arrival so far but its own (exponentially weighted, time constant
    /// `window`). Counting its own read a stream `1 / window` faster than it was (18/s spaced
    /// evenly read 20.6/s with a 200 ms window); requests that arrived at the same instant
    /// before it count, as they do live, microseconds apart; and one that waited in the backlog
    /// while arrivals stopped sees the rate decayed to when it runs.
    fn arrival_rate(&self, now: Time, arrived: Time, window: Duration) -> f64 {
        let tau = window.as_secs_f64();
        let decay = |since: Time| (-now.saturating_since(since).as_secs_f64() / tau).exp();
        (self.rate_estimate * decay(self.rate_at) - decay(arrived) / tau).max(0.0)
    }
}

/// The union of the hanging outages among `outages`: sorted by start, overlapping, touching and
/// repeated intervals merged, so that each moment of hang counts once whatever the file's order.
pub fn merge_hangs(outages: &[Outage]) -> Vec<(Time, Time)> {
    let mut hangs: Vec<(Time, Time)> = outages
        .iter()
        .filter(|o| o.kind == OutageKind::Hang && o.end > o.start)
        .map(|o| (o.start, o.end))
        .collect();
    hangs.sort_unstable();
    let mut merged: Vec<(Time, Time)> = Vec::with_capacity(hangs.len());
    for (s, e) in hangs {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// When `work` started at `start` is done, if nothing progresses during the stalls nor during
/// the hangs (`hangs` as [`merge_hangs`] gives them: sorted and disjoint). Work is done when it
/// has had `work` of time that is neither stall nor hang: the end does not depend on the order
/// the outages were written in, and time covered by two of them counts once.
pub fn progress_end(stalls: Option<&Stalls>, hangs: &[(Time, Time)], start: Time, work: Duration) -> Time {
    let run = |t: Time, w: Duration| match stalls {
        Some(st) => stalled_end(st, t, w),
        None => t + w,
    };
    let mut t = start;
    let mut remaining = work;
    // The first hang that ends after `start`; the ones before cannot matter.
    let first = hangs.partition_point(|&(_, e)| e <= start);
    for &(hs, he) in &hangs[first..] {
        if t >= hs {
            // Inside this hang: nothing moves until it ends.
            t = he;
            continue;
        }
        let end = run(t, remaining);
        // Work done as the hang starts is done; no work at all waits for a moment of progress.
        if end < hs || (end == hs && !remaining.is_zero()) {
            return end;
        }
        // Up to the hang, only the time outside stalls counted.
        let stalled = stalls.map_or(0, |st| {
            stall_time_before(st, hs.0).saturating_sub(stall_time_before(st, t.0))
        });
        let done = Duration::from_nanos((hs.0 - t.0).saturating_sub(stalled));
        remaining = remaining.saturating_sub(done);
        t = he;
    }
    run(t, remaining)
}

/// Stall time in `[0, x)` (nanoseconds): stalls are `[offset + k every, offset + k every +
/// duration)` for k = 0, 1, ...
fn stall_time_before(st: &Stalls, x: u64) -> u64 {
    let (every, len, off) = stall_params(st);
    if every == 0 || len == 0 || x <= off {
        return 0;
    }
    let y = x - off;
    (y / every).saturating_mul(len).saturating_add((y % every).min(len))
}

/// Period, length and offset of the stalls in nanoseconds (saturating: 584 years).
fn stall_params(st: &Stalls) -> (u64, u64, u64) {
    let ns = crate::time::duration_nanos;
    (ns(st.every), ns(st.duration), ns(st.offset))
}

/// When `work` started at `start` is done if the service makes no progress during stalls.
///
/// In closed form: a start inside a stall waits for its end; then the free time up to the next
/// stall; then whole periods (a stall, then `every - duration` of progress) arithmetically, and
/// the remainder after the last stall. Saturates at [`Time::MAX`].
pub fn stalled_end(st: &Stalls, start: Time, work: Duration) -> Time {
    let (every, len, off) = stall_params(st);
    if every == 0 || len == 0 {
        return start + work;
    }
    let work = crate::time::duration_nanos(work);
    let mut t = start.0;
    // The next stall's start, after moving out of a stall that `t` is in.
    let next = if t < off {
        off
    } else {
        let s0 = off + (t - off) / every * every;
        t = t.max(s0.saturating_add(len));
        s0.saturating_add(every)
    };
    if work == 0 {
        return Time(t);
    }
    // Zero only for stalls as long as their period, which a valid file cannot have.
    let run = next.saturating_sub(t);
    if work <= run {
        return Time(t.saturating_add(work));
    }
    // From the stall at `next` on, each period gives `every - len` of progress after its stall.
    let free = every.saturating_sub(len);
    if free == 0 {
        return Time::MAX;
    }
    let remaining = work - run;
    let whole = (remaining - 1) / free;
    let last = remaining - whole * free;
    Time(
        whole
            .checked_mul(every)
            .and_then(|w| next.checked_add(w))
            .map_or(u64::MAX, |t| t.saturating_add(len).saturating_add(last)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;

    fn model(extra: &str) -> ServiceModel {
        let text = format!(
            "[[workload.phases]]\nduration = \"10s\"\nrate = 1\n[[backend.services]]\nname = \"svc\"\nworkers = 2\nservice_time = \"10ms\"\n{extra}\n"
        );
        let s = scenario::parse("t.toml", &text).unwrap();
        ServiceModel::new(s.services[0].clone(), &Streams::new(7))
    }

    fn req(id: u64, at_ms: u64) -> BackendRequest {
        BackendRequest {
            id,
            api: 0,
            arrived: Time(at_ms * 1_000_000),
            deadline: None,
        }
    }

    fn ms(v: u64) -> Time {
        Time(v * 1_000_000)
    }

    fn started(a: Admission) -> Job {
        match a {
            Admission::Started(j) => j,
            other => panic!("expected a start, got {other:?}"),
        }
    }

    /// Busy time sampled over time grows as the work happens: the running jobs' time so far
    /// counts, and a job's whole time once it is done, with nothing counted twice.
    #[test]
    fn busy_seconds_grow_while_jobs_run() {
        let mut m = model("overload = { mode = \"queue\", backlog = 1 }");
        assert_eq!(m.busy_seconds_at(ms(100), []), 0.0);
        let secs = |m: &ServiceModel, t, running: &[Job]| (m.busy_seconds_at(ms(t), running) * 1e6).round() / 1e6;
        // Ending where they are completed below.
        let a = Job {
            completes_at: ms(600),
            ..started(m.handle_request(ms(0), req(1, 0)))
        };
        assert_eq!(secs(&m, 100, &[a]), 0.1);
        let b = Job {
            completes_at: ms(900),
            ..started(m.handle_request(ms(200), req(2, 200)))
        };
        assert_eq!(secs(&m, 500, &[a, b]), 0.8);
        let (done, _) = m.handle_complete(ms(600), a);
        assert_eq!(done.busy, Duration::from_millis(600));
        assert_eq!(secs(&m, 600, &[b]), 1.0);
        assert_eq!(secs(&m, 700, &[b]), 1.1);
        m.handle_complete(ms(900), b);
        assert_eq!(secs(&m, 900, &[]), 1.3);
        assert_eq!(secs(&m, 5000, &[]), 1.3, "nothing runs: no more time");
    }

    /// A job read after its end but before its driver completed it (a late timer) counts up to
    /// its end, what it counts once completed: sampled over time, the busy seconds never go
    /// back (they counted it up to the time read, then dropped to its end).
    #[test]
    fn busy_seconds_count_a_running_job_up_to_its_end() {
        let mut m = model("");
        let a = started(m.handle_request(ms(0), req(1, 0)));
        assert_eq!(a.completes_at, ms(10));
        let mut readings = vec![m.busy_seconds_at(ms(5), [&a]), m.busy_seconds_at(ms(50), [&a])];
        m.handle_complete(a.completes_at, a);
        readings.push(m.busy_seconds_at(ms(50), []));
        readings.push(m.busy_seconds_at(ms(60), []));
        assert!(readings.windows(2).all(|w| w[0] <= w[1]), "went back: {readings:?}");
        assert_eq!(readings[1], 0.010, "capped at its end");
    }

    #[test]
    fn queue_mode_backlogs_then_rejects() {
        let mut m = model("overload = { mode = \"queue\", backlog = 1 }");
        let j1 = started(m.handle_request(ms(0), req(1, 0)));
        let _j2 = started(m.handle_request(ms(0), req(2, 0)));
        assert_eq!(m.handle_request(ms(1), req(3, 1)), Admission::Queued);
        let r = m.handle_request(ms(2), req(4, 2));
        assert!(matches!(
            r,
            Admission::Rejected(Reply {
                status: 503,
                reason: RejectReason::Overloaded,
                ..
            })
        ));
        assert_eq!(j1.completes_at, ms(10));
        let (c, next) = m.handle_complete(ms(10), j1);
        assert_eq!(c.status, 200);
        let next = next.expect("the backlogged request starts");
        assert_eq!(next.request.id, 3);
        assert_eq!(next.started, ms(10));
        assert_eq!(next.completes_at, ms(20));
        let (c3, _) = m.handle_complete(ms(20), next);
        assert_eq!(c3.queued, Duration::from_millis(9));
        assert_eq!(m.stats().rejected, 1);
    }

    #[test]
    fn reject_mode_refuses_past_the_workers() {
        let mut m = model("overload = \"reject\"");
        started(m.handle_request(ms(0), req(1, 0)));
        started(m.handle_request(ms(0), req(2, 0)));
        assert!(matches!(
            m.handle_request(ms(0), req(3, 0)),
            Admission::Rejected(Reply { status: 503, .. })
        ));
    }

    #[test]
    fn thrash_mode_slows_with_excess() {
        let mut m = model("overload = { mode = \"thrash\", k = 0.5 }");
        let a = started(m.handle_request(ms(0), req(1, 0)));
        let b = started(m.handle_request(ms(0), req(2, 0)));
        let c = started(m.handle_request(ms(0), req(3, 0)));
        let d = started(m.handle_request(ms(0), req(4, 0)));
        assert_eq!(a.work(), Duration::from_millis(10));
        assert_eq!(b.work(), Duration::from_millis(10));
        assert_eq!(c.work(), Duration::from_millis(15), "one beyond the workers: x1.5");
        assert_eq!(d.work(), Duration::from_millis(20), "two beyond: x2");
    }

    #[test]
    fn wasted_work_is_counted_after_the_deadline() {
        let mut m = model("");
        let mut r = req(1, 0);
        r.deadline = Some(ms(5));
        let j = started(m.handle_request(ms(0), r));
        let (c, _) = m.handle_complete(ms(10), j);
        assert!(c.wasted);
        assert_eq!(m.stats().wasted_requests, 1);
        assert!((m.stats().wasted_seconds - 0.010).abs() < 1e-12);
        let mut r = req(2, 20);
        r.deadline = Some(ms(100));
        let j = started(m.handle_request(ms(20), r));
        assert!(!m.handle_complete(ms(30), j).0.wasted);
    }

    #[test]
    fn rate_limit_answers_429_with_the_wait() {
        let mut m = model("faults = { rate_limit = { rate = 10, burst = 2 } }");
        started(m.handle_request(ms(0), req(1, 0)));
        started(m.handle_request(ms(0), req(2, 0)));
        match m.handle_request(ms(0), req(3, 0)) {
            Admission::Rejected(Reply {
                status: 429,
                retry_after: Some(w),
                ..
            }) => assert_eq!(w, Duration::from_millis(100)),
            other => panic!("{other:?}"),
        }
        // 100 ms later one token is back.
        assert!(matches!(
            m.handle_request(ms(100), req(4, 100)),
            Admission::Queued | Admission::Started(_)
        ));
    }

    #[test]
    fn outage_answers_503_only_inside_the_window() {
        let mut m = model("faults = { outages = [{ at = \"1s\", duration = \"2s\", retry_after = \"5s\" }] }");
        assert!(matches!(m.handle_request(ms(999), req(1, 999)), Admission::Started(_)));
        assert_eq!(
            m.handle_request(ms(1000), req(2, 1000)),
            Admission::Rejected(Reply {
                status: 503,
                retry_after: Some(Duration::from_secs(5)),
                reason: RejectReason::Outage
            })
        );
        assert!(matches!(
            m.handle_request(ms(3000), req(3, 3000)),
            Admission::Started(_)
        ));
    }

    #[test]
    fn a_hanging_outage_accepts_but_freezes_work() {
        let mut m = model("faults = { outages = [{ at = \"1s\", duration = \"2s\", kind = \"hang\" }] }");
        let inside = started(m.handle_request(ms(1500), req(1, 1500)));
        assert_eq!(inside.completes_at, ms(3010), "starts when the outage ends");
        let across = started(m.handle_request(ms(995), req(2, 995)));
        assert_eq!(across.completes_at, ms(3005), "5 ms before, 5 ms after");
    }

    #[test]
    fn error_ratio_one_always_fails() {
        let mut m = model("faults = { error_ratio = 1.0 }");
        let j = started(m.handle_request(ms(0), req(1, 0)));
        assert_eq!(j.status, 500);
        assert_eq!(m.handle_complete(ms(10), j).0.status, 500);
        assert_eq!(m.stats().errors, 1);
    }

    #[test]
    fn stalls_freeze_progress() {
        // Stall from 90 ms to 100 ms, every 100 ms.
        let st = Stalls {
            every: Duration::from_millis(100),
            duration: Duration::from_millis(10),
            offset: Duration::from_millis(90),
        };
        assert_eq!(stalled_end(&st, ms(0), Duration::from_millis(50)), ms(50));
        assert_eq!(
            stalled_end(&st, ms(80), Duration::from_millis(20)),
            ms(110),
            "10 ms before, 10 ms after the stall"
        );
        assert_eq!(
            stalled_end(&st, ms(95), Duration::from_millis(5)),
            ms(105),
            "starting inside a stall waits for its end"
        );
        assert_eq!(
            stalled_end(&st, ms(0), Duration::from_millis(250)),
            ms(270),
            "two stalls crossed"
        );
    }

    #[test]
    fn slowdown_applies_above_the_rate() {
        let mut m =
            model("overload = \"reject\"\nfaults = { slowdown = { above_rate = 50, factor = 10, window = \"1s\" } }");
        let j = started(m.handle_request(ms(0), req(1, 0)));
        assert_eq!(j.work(), Duration::from_millis(10), "one arrival: far below 50/s");
        m.handle_complete(ms(10), j);
        // 200 arrivals at once push the rate estimate far above 50/s.
        for i in 0..200u64 {
            if let Admission::Started(j) = m.handle_request(ms(20), req(10 + i, 20)) {
                m.handle_complete(ms(20), j);
            }
        }
        let j = started(m.handle_request(ms(21), req(999, 21)));
        assert_eq!(j.work(), Duration::from_millis(100));
    }

    /// A reject-overload service slowed 10x above 20/s (200 ms window).
    fn slowing() -> ServiceModel {
        model("overload = \"reject\"\nfaults = { slowdown = { above_rate = 20, factor = 10, window = \"200ms\" } }")
    }

    /// Serves `n` requests arriving evenly at `per_s` from time 0 (each done at once); how many
    /// after the first `skip` were slowed.
    fn evenly(m: &mut ServiceModel, per_s: u64, n: u64, skip: u64) -> u64 {
        let gap = 1_000_000_000 / per_s;
        let mut slowed = 0;
        for i in 0..n {
            let at = Time(gap * i);
            let j = started(m.handle_request(
                at,
                BackendRequest {
                    arrived: at,
                    ..req(i, 0)
                },
            ));
            if i >= skip && j.work() > Duration::from_millis(10) {
                slowed += 1;
            }
            m.handle_complete(at, j);
        }
        slowed
    }

    /// Evenly spaced arrivals with a 200 ms window read 1/(2 x window) = 2.5/s below their
    /// rate (Poisson arrivals read theirs): 18/s reads 15.6/s and is never slowed at a 20/s
    /// threshold, 23/s reads 20.6/s and always is once the average has caught up. Counting the
    /// arrival being judged read 18/s as 20.6/s and slowed all of it.
    #[test]
    fn slowdown_switches_at_the_rate() {
        assert_eq!(evenly(&mut slowing(), 18, 4 * 18, 18), 0);
        assert_eq!(evenly(&mut slowing(), 23, 4 * 23, 23), 69);
    }

    /// Requests that arrive at one instant (a gateway's dispatches as a pushback pause ends)
    /// count the ones before them, as live, where they come microseconds apart: after 18/s
    /// (read as 15.6/s before each arrival with a 200 ms window), a burst of six is judged at
    /// 15.6, 20.6, 25.6, ... per second, so all but the first are slowed at 20/s.
    #[test]
    fn a_burst_at_one_instant_counts_its_earlier_requests() {
        let mut m = slowing();
        evenly(&mut m, 18, 36, 36);
        let gap = Time(1_000_000_000 / 18);
        let at = Time(gap.0 * 36);
        let slowed = (0..6u64)
            .filter(|i| {
                let j = started(m.handle_request(
                    at,
                    BackendRequest {
                        arrived: at,
                        ..req(100 + i, 0)
                    },
                ));
                let slow = j.work() > Duration::from_millis(10);
                m.handle_complete(at, j);
                slow
            })
            .count();
        assert_eq!(slowed, 5);
    }

    /// A request that waited in the backlog while arrivals stopped runs at the rate as it is
    /// when it starts, not as it was at the last arrival.
    #[test]
    fn slowdown_reads_the_rate_when_a_request_starts() {
        let mut m = model(
            "overload = { mode = \"queue\", backlog = 100 }\nfaults = { slowdown = { above_rate = 20, factor = 10, window = \"200ms\" } }",
        );
        // 30 arrivals within 30 ms: the first two start at once (two workers), slowed after the
        // first few; the rest wait.
        let mut running = Vec::new();
        for i in 0..30u64 {
            if let Admission::Started(j) = m.handle_request(ms(i), req(i, i)) {
                running.push(j);
            }
        }
        assert_eq!(running.len(), 2);
        // Two seconds later (ten time constants), the backlog's requests start at a rate near 0.
        let (_, next) = m.handle_complete(ms(2_000), running.remove(0));
        let next = next.expect("the backlog's next request starts");
        assert_eq!(
            next.work(),
            Duration::from_millis(10),
            "not slowed: nobody arrived for 2 s"
        );
    }
}
