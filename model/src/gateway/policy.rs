//! The per-service admission and queueing policy: one state machine for every strategy.
//!
//! Events go in through `handle_*` (arrival, cancellation, completion, timer), each with `now`;
//! decisions come out of [`ServicePolicy::poll`] (dispatch this request, or answer it without the
//! backend), and [`ServicePolicy::poll_timeout`] says when the policy must be called again even
//! if nothing happens. The live gateway and the simulator drive exactly this code.
//!
//! Every check is O(1) amortized per request: queue timeouts and CoDel look only at the ends of
//! the queue, deadlines are checked when a request reaches the front, and cancelled requests are
//! skipped lazily. Nothing ever scans the queue.

use super::codel::Codel;
use super::limit::{AdaptiveLimit, Limiter};
use super::slots::{Slots, Ticket};
use crate::budget::RetryBudget;
use crate::scenario::{
    Abandon, AdaptiveConfig, CodelConfig, DeadlineEstimate, GatewayConfig, Priority, PushbackConfig, Strategy,
};
use crate::time::Time;
use std::collections::VecDeque;
use std::time::Duration;

/// Queue bound of the strategies that have one when the scenario sets none.
pub const DEFAULT_QUEUE_CAPACITY: u32 = 1000;

/// APIs of one service that get an estimate of their own under [`DeadlineEstimate::Api`]
/// (numbered from 0, see [`Arrival::api`]); requests to others use the service's. Bounds the
/// memory a gateway that numbers the paths it sees can spend on them.
pub const MAX_API_ESTIMATES: u32 = 4096;

/// The Retry-After of the 503s a gateway shutting down gives its queued requests.
pub const SHUTDOWN_RETRY_AFTER: Duration = Duration::from_secs(1);

/// A policy's settings, resolved for one service.
#[derive(Clone, Debug)]
pub struct PolicyConfig {
    pub strategy: Strategy,
    /// Concurrency limit (initial limit for `adaptive`); ignored by `passthrough`.
    pub concurrency: u32,
    /// `None`: unbounded (fifo, passthrough).
    pub queue_capacity: Option<u32>,
    pub queue_timeout: Option<Duration>,
    pub abandon: Abandon,
    /// The `deadline` strategy predicts each API's service time from its own answers.
    pub per_api_estimate: bool,
    pub codel: CodelConfig,
    pub adaptive: AdaptiveConfig,
    /// Separate bounds and an anti-starvation share, when classes are configured.
    pub priorities: Option<PriorityClasses>,
    pub pushback: PushbackConfig,
    /// Gateway retries for 502/503 and connect failures: (max attempts, budget).
    pub retries: Option<(u32, f64, f64)>,
    /// [`GatewayConfig::clock_scale`]: the policy's own time constants are divided by it.
    pub clock_scale: f64,
}

#[derive(Clone, Debug)]
pub struct PriorityClasses {
    pub interactive_capacity: Option<u32>,
    pub background_capacity: Option<u32>,
    pub background_share: f64,
}

/// The queue bound a gateway with settings `g` keeps: none under passthrough and fifo, else its
/// `queue_capacity` or [`DEFAULT_QUEUE_CAPACITY`].
pub fn queue_bound(g: &GatewayConfig) -> Option<u32> {
    match g.strategy {
        Strategy::Passthrough | Strategy::Fifo => None,
        _ => Some(g.queue_capacity.unwrap_or(DEFAULT_QUEUE_CAPACITY)),
    }
}

impl PolicyConfig {
    /// A time constant of the policy's own, in the run's clock (see `clock_scale`).
    fn scaled(&self, d: Duration) -> Duration {
        if self.clock_scale > 0.0 && self.clock_scale.is_finite() {
            d.div_f64(self.clock_scale)
        } else {
            d
        }
    }

    /// The policy of one backend service with `workers` workers.
    pub fn for_service(g: &GatewayConfig, workers: u32) -> PolicyConfig {
        let queue_capacity = queue_bound(g);
        PolicyConfig {
            strategy: g.strategy,
            concurrency: g.concurrency.unwrap_or(workers).max(1),
            queue_capacity,
            queue_timeout: g.queue_timeout.map(|d| d.0),
            abandon: g.abandon,
            // Only `deadline` reads the prediction: other strategies keep no per-API table (and
            // the live gateway numbers no paths for them).
            per_api_estimate: g.strategy == Strategy::Deadline && g.deadline_estimate == DeadlineEstimate::Api,
            codel: g.codel.clone(),
            adaptive: g.adaptive.clone(),
            priorities: g.priorities.as_ref().map(|p| PriorityClasses {
                interactive_capacity: p.interactive_capacity,
                background_capacity: p.background_capacity,
                background_share: p.background_share,
            }),
            pushback: g.pushback.clone(),
            retries: g.retries.enabled.then_some((
                g.retries.max_attempts,
                g.retries.budget_ratio,
                g.retries.min_per_sec,
            )),
            clock_scale: g.clock_scale,
        }
    }
}

/// A request arriving at the gateway.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub arrived: Time,
    /// The client's deadline (from `x-spillway-timeout-ms` or the route's default).
    pub deadline: Option<Time>,
    pub priority: Priority,
    /// The request's API within its service, numbered from 0 by the driver ([`NO_API`] when it
    /// does not tell): the `deadline` strategy's per-API estimate
    /// ([`PolicyConfig::per_api_estimate`]) is kept by it.
    pub api: u32,
    /// The driver's own number for the request, handed back unread in the [`Action`] that
    /// dispatches or answers it: the simulator's attempt slot, so it needs no map from tickets
    /// to its requests. A driver that keeps its own map (the live gateway) passes 0.
    pub token: u32,
}

/// `s` seconds, saturating (a prediction from a sample of years times a factor in the
/// thousands is still a duration).
fn secs_duration(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or(if s > 0.0 { Duration::MAX } else { Duration::ZERO })
}

/// [`Arrival::api`] of a request whose API the driver does not tell.
pub const NO_API: u32 = u32::MAX;

/// Why the gateway answered without the backend.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// The queue (or the request's class queue) is full.
    QueueFull,
    /// Waited longer than the queue timeout.
    QueueTimeout,
    /// Dropped by CoDel (standing queue, waited past the slough timeout).
    Codel,
    /// Its deadline passed, or too little budget is left for the predicted service time.
    Expired,
    /// The gateway is shutting down.
    Shutdown,
}

impl Reason {
    pub fn status(self) -> u16 {
        match self {
            Reason::Expired => 504,
            _ => 503,
        }
    }
    /// `x-spillway-outcome`.
    pub fn outcome(self) -> &'static str {
        match self {
            Reason::Expired => "expired",
            _ => "shed",
        }
    }
    pub fn describe(self) -> &'static str {
        match self {
            Reason::QueueFull => "queue full",
            Reason::QueueTimeout => "waited longer than the queue timeout",
            Reason::Codel => "dropped by CoDel: standing queue",
            Reason::Expired => "deadline passed, or too little of it left for the predicted service time",
            Reason::Shutdown => "gateway shutting down",
        }
    }
    pub const ALL: [Reason; 5] = [
        Reason::QueueFull,
        Reason::QueueTimeout,
        Reason::Codel,
        Reason::Expired,
        Reason::Shutdown,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Reason::QueueFull => "queue_full",
            Reason::QueueTimeout => "queue_timeout",
            Reason::Codel => "codel",
            Reason::Expired => "expired",
            Reason::Shutdown => "shutdown",
        }
    }
}

/// An answer given without calling the backend.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub reason: Reason,
    pub retry_after: Option<Duration>,
}

/// What happens to an arrival at once.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Send it to the backend now.
    Dispatch(Ticket),
    /// Wait: a later `poll` dispatches or answers it.
    Queued(Ticket),
    Rejected(Rejection),
}

/// A decision from [`ServicePolicy::poll`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this queued request to the backend. `abandoned`: its client has gone (keep semantics).
    /// `token`: its [`Arrival::token`].
    /// `queued_at`: when it was queued, its wait being the time since ([`Action::waited`]): a
    /// driver that keeps time in nanoseconds takes it from there, without the split into a
    /// `Duration`'s seconds and nanoseconds and back (the simulator, once per queued request).
    Dispatch {
        ticket: Ticket,
        token: u32,
        queued_at: Time,
        abandoned: bool,
    },
    /// Answer this queued request without the backend.
    Answer {
        ticket: Ticket,
        token: u32,
        rejection: Rejection,
        waited: Duration,
        abandoned: bool,
    },
}

impl Action {
    /// How long the request waited in the queue, when the action comes from a poll at `now`.
    pub fn waited(&self, now: Time) -> Duration {
        match *self {
            Action::Dispatch { queued_at, .. } => now.saturating_since(queued_at),
            Action::Answer { waited, .. } => waited,
        }
    }
}

/// What the cancellation of a request did.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Cancelled {
    /// Removed from the queue (cancel semantics): it will never reach the backend. `waited`
    /// is how long it was queued, which a driver records as its queue wait: left out, a
    /// collapse's waits would count only the requests that outlasted their clients' patience
    /// less often than the ones that did not.
    Removed { waited: Duration },
    /// Still queued (keep semantics): it will be sent to the backend anyway.
    Kept,
    /// Already at the backend.
    InFlight,
    /// Unknown or finished ticket.
    NotFound,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum State {
    Queued,
    InFlight(Time),
}

#[derive(Copy, Clone, Debug)]
struct Entry {
    arrival: Arrival,
    class: usize,
    state: State,
    abandoned: bool,
}

/// Counters a driver exports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyStats {
    pub arrived: u64,
    pub dispatched: u64,
    pub completed: u64,
    pub rejected: [u64; 5],
    pub cancelled: u64,
    pub pauses: u64,
    pub retries: u64,
}

/// One backend service's admission and queueing state.
pub struct ServicePolicy {
    cfg: PolicyConfig,
    entries: Slots<Entry>,
    /// Class queues: [interactive, background] (one class when priorities are off).
    queues: [VecDeque<Ticket>; 2],
    live: [usize; 2],
    in_flight: u32,
    limiter: Limiter,
    /// The limiter's limit (`u32::MAX`: none), kept in step with it after each change
    /// ([`ServicePolicy::limit_changed`]): every admission and poll asks, and an adaptive
    /// limit is a float to round.
    room: u32,
    codel: Codel,
    /// Running estimate of backend latency, for deadline prediction and Retry-After.
    latency_ewma: Option<Duration>,
    /// Whether anything can read `latency_ewma` (see [`ServicePolicy::new`]).
    track_latency: bool,
    /// Neither a queue timeout, deadlines nor CoDel: time alone never changes the queue (nothing expires,
    /// no interval closes), so an idle poll can be told apart cheaply (see `nothing_to_do`).
    clockless: bool,
    /// Clockless, and no adaptive limit (whose updates are timed): with no pushback pause
    /// either, [`ServicePolicy::poll_timeout`] can only answer `None` (see `timerless`).
    timer_free: bool,
    /// No latency estimate to feed (`track_latency`) and no adaptive limit (plain fifo,
    /// passthrough): a completion that is not an overload signal (429, 502-504, which may pause
    /// for pushback) changes only the counts, and [`ServicePolicy::handle_complete`] skips the
    /// checks that feed them.
    counts_only: bool,
    /// When the backend last answered (the age of the latency estimate's newest sample).
    last_completion: Time,
    /// The newest latency sample.
    last_latency: Option<Duration>,
    /// Per API ([`Arrival::api`], below [`MAX_API_ESTIMATES`]), under
    /// [`PolicyConfig::per_api_estimate`]: its typical service time in seconds, a slow
    /// running average of its own samples over the load factor (`None` until it has one).
    api_baselines: Vec<Option<f64>>,
    /// How slow the service is now against its APIs' typical times: a fast running average of
    /// each sample over its API's baseline, and the newest such ratio (see
    /// [`ServicePolicy::api_sample`]).
    load_factor: Option<(f64, f64)>,
    paused_until: Time,
    background_credit: f64,
    budget: Option<RetryBudget>,
    stats: PolicyStats,
}

impl ServicePolicy {
    pub fn new(mut cfg: PolicyConfig) -> ServicePolicy {
        // The baseline sends everything straight on: no queue, hence no pause either.
        if cfg.strategy == Strategy::Passthrough {
            cfg.pushback.enabled = false;
        }
        let limiter = match cfg.strategy {
            Strategy::Passthrough => Limiter::Unlimited,
            Strategy::Adaptive => Limiter::Adaptive(Box::new(AdaptiveLimit::new(&cfg.adaptive, cfg.concurrency))),
            _ => Limiter::Fixed(cfg.concurrency),
        };
        let budget = cfg
            .retries
            .map(|(_, ratio, min)| RetryBudget::new(ratio, min, cfg.scaled(Duration::from_secs(10))));
        // The latency estimate is read only to predict deadlines (`deadline`) and to size the
        // Retry-After of shed requests (bounded queues, queue timeouts, CoDel). A policy that
        // can do neither (plain fifo, passthrough) skips updating it: two float round trips per
        // completion that nothing would ever see.
        let has_bound = cfg.queue_capacity.is_some()
            || cfg
                .priorities
                .as_ref()
                .is_some_and(|p| p.interactive_capacity.is_some() || p.background_capacity.is_some());
        let track_latency = has_bound
            || cfg.queue_timeout.is_some()
            || matches!(
                cfg.strategy,
                Strategy::Deadline | Strategy::Codel | Strategy::AdaptiveLifo
            );
        let clockless = cfg.queue_timeout.is_none()
            && !matches!(
                cfg.strategy,
                Strategy::Codel | Strategy::AdaptiveLifo | Strategy::Deadline
            );
        let timer_free = clockless && !matches!(limiter, Limiter::Adaptive(_));
        let counts_only = !track_latency && !matches!(limiter, Limiter::Adaptive(_));
        ServicePolicy {
            codel: Codel::new(cfg.codel.target.0, cfg.codel.interval.0),
            cfg,
            entries: Slots::default(),
            queues: [VecDeque::new(), VecDeque::new()],
            live: [0, 0],
            in_flight: 0,
            room: limiter.limit().unwrap_or(u32::MAX),
            limiter,
            latency_ewma: None,
            track_latency,
            clockless,
            timer_free,
            counts_only,
            last_completion: Time::ZERO,
            last_latency: None,
            api_baselines: Vec::new(),
            load_factor: None,
            paused_until: Time::ZERO,
            background_credit: 0.0,
            budget,
            stats: PolicyStats::default(),
        }
    }

    pub fn config(&self) -> &PolicyConfig {
        &self.cfg
    }
    #[inline]
    pub fn queue_len(&self) -> usize {
        self.live[0] + self.live[1]
    }
    pub fn queue_len_of(&self, p: Priority) -> usize {
        self.live[self.class_of(p)]
    }
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }
    pub fn limit(&self) -> Option<u32> {
        self.limiter.limit()
    }
    #[inline]
    pub fn paused(&self, now: Time) -> bool {
        now < self.paused_until
    }
    pub fn stats(&self) -> &PolicyStats {
        &self.stats
    }
    /// How long each request still queued has waited so far, by `now`: a run that ends with a
    /// queue (under `abandon = "keep"`, the requests its clients gave up on) records these as
    /// its last queue waits, which it would otherwise never see.
    pub fn queued_waits(&self, now: Time) -> impl Iterator<Item = Duration> + '_ {
        self.queues
            .iter()
            .flatten()
            .filter_map(|&t| self.entries.get(t))
            .filter(|e| e.state == State::Queued)
            .map(move |e| now.saturating_since(e.arrival.arrived))
    }

    /// Whether the client of a ticket has gone.
    pub fn is_abandoned(&self, t: Ticket) -> bool {
        self.entries.get(t).is_some_and(|e| e.abandoned)
    }

    fn class_of(&self, p: Priority) -> usize {
        match (&self.cfg.priorities, p) {
            (Some(_), Priority::Background) => 1,
            _ => 0,
        }
    }

    fn capacity_of(&self, class: usize) -> Option<usize> {
        let own = self.cfg.priorities.as_ref().and_then(|p| {
            if class == 0 {
                p.interactive_capacity
            } else {
                p.background_capacity
            }
        });
        own.or(self.cfg.queue_capacity).map(|c| c as usize)
    }

    #[inline]
    fn has_room(&self) -> bool {
        // `limiter.limit().is_none_or(|l| self.in_flight < l)`: with no limit, `room` is
        // `u32::MAX`, more requests than a gateway ever holds.
        self.in_flight < self.room
    }

    /// After the limiter may have changed its limit.
    #[inline]
    fn limit_changed(&mut self) {
        self.room = self.limiter.limit().unwrap_or(u32::MAX);
    }

    fn reject(&mut self, reason: Reason, retry_after: Option<Duration>) -> Rejection {
        self.stats.rejected[reason as usize] += 1;
        Rejection { reason, retry_after }
    }

    /// How long a shed client of `class` should wait: the time to drain what is queued ahead of
    /// it (its class and any above) at the current rate, after what is left of a pushback
    /// pause (nothing drains while the backend asked for one).
    fn drain_estimate(&self, now: Time, class: usize) -> Duration {
        debug_assert!(self.track_latency, "the latency estimate is not maintained");
        let c = &self.cfg;
        let per = match self.latency_ewma {
            Some(per) => per,
            // No service time measured yet: at least as long as the oldest request on the
            // backend has taken so far. (A flat 100 ms sent the first burst's shed clients of
            // a 1 s service back ten times too early.) Rare, and only until the first answer.
            None => self
                .entries
                .values()
                .filter_map(|e| match e.state {
                    State::InFlight(sent) => Some(now.saturating_since(sent)),
                    State::Queued => None,
                })
                .max()
                .unwrap_or_default()
                .max(c.scaled(Duration::from_millis(100))),
        };
        let slots = self.limiter.limit().unwrap_or(1).max(1);
        let ahead = if class == 0 { self.live[0] } else { self.queue_len() };
        let n = u32::try_from(ahead + 1).unwrap_or(u32::MAX);
        let drain = (per * n / slots).clamp(c.scaled(Duration::from_millis(1)), c.scaled(Duration::from_secs(60)));
        drain + self.paused_until.saturating_since(now)
    }

    /// A request arrives.
    #[inline]
    pub fn handle_arrival(&mut self, now: Time, a: Arrival) -> Admit {
        self.stats.arrived += 1;
        if let Some(b) = &mut self.budget {
            b.record_request(now);
        }
        self.admit(now, a, false)
    }

    // Always inlined: called, its Admit came back through memory, and the simulator's read of
    // it stalled on store forwarding (a sixth of `send_attempt`'s samples).
    #[inline(always)]
    fn admit(&mut self, now: Time, a: Arrival, front: bool) -> Admit {
        let class = self.class_of(a.priority);
        // Dispatch at once only when nobody of the same or a higher class is waiting.
        let waiting_ahead = self.live[0] > 0 || (class == 1 && self.live[1] > 0);
        if !front && self.cfg.strategy == Strategy::Deadline {
            if let Some(reason) = self.deadline_check(now, a.deadline, a.api) {
                return Admit::Rejected(self.reject(reason, None));
            }
        }
        if !waiting_ahead && self.has_room() && !self.paused(now) {
            if matches!(self.cfg.strategy, Strategy::Codel | Strategy::AdaptiveLifo) {
                self.codel.should_drop(now, Duration::ZERO);
            }
            let t = self.entries.insert(Entry {
                arrival: a,
                class,
                state: State::InFlight(now),
                abandoned: false,
            });
            self.in_flight += 1;
            self.stats.dispatched += 1;
            return Admit::Dispatch(t);
        }
        if !front {
            if let Some(cap) = self.capacity_of(class) {
                if self.live[class] >= cap {
                    let ra = self.drain_estimate(now, class);
                    return Admit::Rejected(self.reject(Reason::QueueFull, Some(ra)));
                }
            }
        }
        let t = self.entries.insert(Entry {
            arrival: a,
            class,
            state: State::Queued,
            abandoned: false,
        });
        // "Ahead of the queue" is the end served next: the back while adaptive LIFO is overloaded.
        let lifo_now = self.cfg.strategy == Strategy::AdaptiveLifo && self.codel.overloaded();
        if front && !lifo_now {
            self.queues[class].push_front(t);
        } else {
            self.queues[class].push_back(t);
        }
        self.live[class] += 1;
        Admit::Queued(t)
    }

    /// The client of `t` has gone (disconnected or timed out).
    pub fn handle_cancel(&mut self, now: Time, t: Ticket) -> Cancelled {
        let abandon = self.cfg.abandon;
        let Some(e) = self.entries.get_mut(t) else {
            return Cancelled::NotFound;
        };
        e.abandoned = true;
        match (e.state, abandon) {
            (State::InFlight(_), _) => Cancelled::InFlight,
            (State::Queued, Abandon::Keep) => Cancelled::Kept,
            (State::Queued, Abandon::Cancel) => {
                let class = e.class;
                let waited = now.saturating_since(e.arrival.arrived);
                self.entries.remove(t);
                self.live[class] -= 1;
                self.stats.cancelled += 1;
                self.compact(class);
                Cancelled::Removed { waited }
            }
        }
    }

    /// Drops cancelled tickets when they outnumber the live ones, keeping memory bounded.
    fn compact(&mut self, class: usize) {
        let q = &self.queues[class];
        if q.len() > 64 && q.len() > 2 * self.live[class] {
            let entries = &self.entries;
            self.queues[class].retain(|t| entries.get(*t).is_some_and(|e| e.state == State::Queued));
        }
    }

    /// The backend answered `t` with `status` (502 for a connection failure, 504 for an
    /// upstream timeout). Returns the backend latency.
    #[inline(always)]
    pub fn handle_complete(&mut self, now: Time, t: Ticket, status: u16, retry_after: Option<Duration>) -> Duration {
        let Some(e) = self.entries.remove(t) else {
            return Duration::ZERO;
        };
        let State::InFlight(sent) = e.state else {
            // A queued ticket cannot complete; put the books right and ignore it.
            self.live[e.class] = self.live[e.class].saturating_sub(1);
            return Duration::ZERO;
        };
        self.in_flight = self.in_flight.saturating_sub(1);
        self.stats.completed += 1;
        self.last_completion = self.last_completion.max(now);
        // Made into a `Duration` on each path, not before the test: a driver that ignores the
        // result (the simulator) then skips the division on the counts-only path.
        let latency_ns = now.0.saturating_sub(sent.0);
        if self.counts_only && !matches!(status, 429 | 502 | 503 | 504) {
            return Duration::from_nanos(latency_ns);
        }
        let latency = Duration::from_nanos(latency_ns);
        // How long the service took to do the work: not a refusal (429, 503: an outage answers
        // at once), a failed connection (502) or the gateway giving up (504), whose times would
        // read as a fast or a stuck service.
        let service_time = (!matches!(status, 429 | 502 | 503 | 504)).then_some(latency);
        if let (true, Some(latency)) = (self.track_latency, service_time) {
            self.latency_ewma = Some(match self.latency_ewma {
                None => latency,
                Some(p) => p.mul_f64(0.8) + latency.mul_f64(0.2),
            });
            self.last_latency = Some(latency);
            if self.cfg.per_api_estimate && e.arrival.api < MAX_API_ESTIMATES {
                self.api_sample(e.arrival.api as usize, latency);
            }
        }
        let overload_signal = matches!(status, 429 | 503 | 504);
        self.limiter
            .on_sample(now, service_time, overload_signal, self.in_flight + 1);
        if let Limiter::Adaptive(_) = self.limiter {
            self.limit_changed();
        }
        if self.cfg.pushback.enabled && matches!(status, 429 | 503) {
            let pause = retry_after
                .unwrap_or(self.cfg.pushback.default_pause.0)
                .min(self.cfg.pushback.max_pause.0);
            let until = now + pause;
            if until > self.paused_until {
                if !self.paused(now) {
                    self.stats.pauses += 1;
                }
                self.paused_until = until;
            }
        }
        latency
    }

    /// A service-time sample of API `api` (below [`MAX_API_ESTIMATES`]).
    ///
    /// An API's prediction is its typical time times the service's load factor. Each API's
    /// own average alone lagged a slowdown: with 4 alike APIs each saw a quarter of the
    /// samples, and a backend that slows 10x under load went metastable under `deadline`
    /// (`scenarios/retry-storm-hotos.toml`) where the service's one estimate recovers. The
    /// factor, like that one estimate, moves with every answer of the service. The typical
    /// times learn from samples divided by the factor, so they keep telling APIs apart and do
    /// not absorb a slowdown: else the APIs called most would bring the factor back to 1 and an
    /// API not heard from since would be predicted at its time before the slowdown.
    fn api_sample(&mut self, api: usize, latency: Duration) {
        if self.api_baselines.len() <= api {
            self.api_baselines.resize(api + 1, None);
        }
        let secs = latency.as_secs_f64();
        let typical = match self.api_baselines[api] {
            Some(typical) => {
                let ratio = secs / typical.max(1e-9);
                self.load_factor = Some(match self.load_factor {
                    None => (ratio, ratio),
                    Some((avg, _)) => (avg * 0.8 + ratio * 0.2, ratio),
                });
                typical
            }
            None => secs / self.load_factor.map_or(1.0, |(avg, _)| avg.max(1e-9)),
        };
        let factor = self.load_factor.map_or(1.0, |(avg, _)| avg.max(1e-9));
        self.api_baselines[api] = Some(typical * 0.95 + secs / factor * 0.05);
    }

    /// Whether a failed attempt (502/503, connect failure) of a request may be retried by the
    /// gateway: retries on, attempts left, and budget left.
    pub fn allow_retry(&mut self, now: Time, attempts_so_far: u32) -> bool {
        let Some((max, _, _)) = self.cfg.retries else {
            return false;
        };
        if attempts_so_far >= max {
            return false;
        }
        let ok = self.budget.as_mut().is_some_and(|b| b.try_retry(now));
        if ok {
            self.stats.retries += 1;
        }
        ok
    }

    /// Re-admits a request for a gateway retry, ahead of the queue and past its bound. Its wait
    /// in the queue counts from now (its deadline stays): counted from its first arrival, the
    /// retry's recorded wait held the first wait again, the failed call and any pushback
    /// pause, and a queue timeout or CoDel judged that total, so a retry could be shed as a
    /// "queue timeout" the moment it was queued.
    pub fn handle_retry(&mut self, now: Time, a: Arrival) -> Admit {
        self.admit(now, Arrival { arrived: now, ..a }, true)
    }

    /// Timer callback: time-based limit updates. A call before [`ServicePolicy::poll_timeout`]'s
    /// time does nothing (drivers may wake early rather than re-arm at every change).
    pub fn handle_timeout(&mut self, now: Time) {
        self.limiter.on_timer(now);
        self.limit_changed();
    }

    fn front_live(&mut self, class: usize) -> Option<(Ticket, Entry)> {
        while let Some(&t) = self.queues[class].front() {
            match self.entries.get(t) {
                Some(e) if e.state == State::Queued => return Some((t, *e)),
                _ => {
                    self.queues[class].pop_front();
                }
            }
        }
        None
    }

    /// Takes the oldest (or `newest`) request still queued in `class`, skipping the tickets of
    /// those already gone. With `send_at`, it is marked in flight from then in the same look-up
    /// (the entry returned is as it was, queued).
    #[inline]
    fn pop_live(&mut self, class: usize, newest: bool, send_at: Option<Time>) -> Option<(Ticket, Entry)> {
        loop {
            let t = if newest {
                self.queues[class].pop_back()?
            } else {
                self.queues[class].pop_front()?
            };
            if let Some(e) = self.entries.get_mut(t) {
                if e.state == State::Queued {
                    let queued = *e;
                    if let Some(now) = send_at {
                        e.state = State::InFlight(now);
                    }
                    self.live[class] -= 1;
                    return Some((t, queued));
                }
            }
        }
    }

    /// Counts the request `t`, taken from the queue and marked in flight, as dispatched.
    #[inline]
    fn dispatch(&mut self, t: Ticket, e: &Entry) -> Action {
        self.in_flight += 1;
        self.stats.dispatched += 1;
        Action::Dispatch {
            ticket: t,
            token: e.arrival.token,
            queued_at: e.arrival.arrived,
            abandoned: e.abandoned,
        }
    }

    /// Answers the oldest request of a class if it has waited too long (queue timeout, or CoDel
    /// slough timeout while adaptive LIFO serves newest first), or, under `deadline`, once its
    /// deadline has passed: at the deadline, not at a dequeue that a pushback pause or a hung
    /// backend can put off for seconds.
    ///
    /// Inlined for its first check: most strategies can expire nothing, and every dispatch
    /// from the queue asks.
    #[inline]
    fn expire_oldest(&mut self, now: Time) -> Option<Action> {
        let lifo_overloaded = self.cfg.strategy == Strategy::AdaptiveLifo && self.codel.overloaded();
        let deadlines = self.cfg.strategy == Strategy::Deadline;
        if self.cfg.queue_timeout.is_none() && !lifo_overloaded && !deadlines {
            // Nothing can expire; cancelled tickets at the front are skipped when popped.
            return None;
        }
        self.expire_front(now, lifo_overloaded, deadlines)
    }

    /// [`ServicePolicy::expire_oldest`] when something may expire.
    fn expire_front(&mut self, now: Time, lifo_overloaded: bool, deadlines: bool) -> Option<Action> {
        for class in 0..2 {
            let Some((t, e)) = self.front_live(class) else { continue };
            let waited = now.saturating_since(e.arrival.arrived);
            let reason = if self.cfg.queue_timeout.is_some_and(|qt| waited > qt) {
                Reason::QueueTimeout
            } else if deadlines && e.arrival.deadline.is_some_and(|d| now >= d) {
                Reason::Expired
            } else if lifo_overloaded && waited > self.codel.slough_timeout() {
                Reason::Codel
            } else {
                continue;
            };
            self.queues[class].pop_front();
            self.live[class] -= 1;
            self.entries.remove(t);
            // An expired request gets no Retry-After, as at dequeue: its time is up, not the
            // service's room.
            let retry_after = (reason != Reason::Expired).then(|| self.drain_estimate(now, class));
            let rejection = self.reject(reason, retry_after);
            return Some(Action::Answer {
                ticket: t,
                token: e.arrival.token,
                rejection,
                waited,
                abandoned: e.abandoned,
            });
        }
        None
    }

    #[inline]
    fn next_class(&mut self) -> Option<usize> {
        let (i, b) = (self.live[0] > 0, self.live[1] > 0);
        match (i, b) {
            (false, false) => None,
            (true, false) => Some(0),
            (false, true) => Some(1),
            (true, true) => {
                let share = self.cfg.priorities.as_ref().map_or(0.0, |p| p.background_share);
                self.background_credit += share;
                // With slack for float sums: ten shares of 0.1 add up to 0.9999999999999999,
                // which made the first background dispatch the 11th instead of the 10th.
                if self.background_credit >= 1.0 - 1e-9 {
                    self.background_credit -= 1.0;
                    Some(1)
                } else {
                    Some(0)
                }
            }
        }
    }

    /// 504 for a request whose deadline has passed or whose remaining budget is below the
    /// running estimate of the service time.
    fn deadline_check(&self, now: Time, deadline: Option<Time>, api: u32) -> Option<Reason> {
        let d = deadline?;
        debug_assert!(self.track_latency, "the latency estimate is not maintained");
        // The estimate learns from completions alone. After one stall has inflated it, dropping
        // every request "too short for the predicted service time" would leave nothing in
        // flight to correct it: a latch that refuses all traffic for good (seen live, when a
        // loaded machine stalled a request). So once the backend has been idle for longer than
        // the prediction itself, the prediction is stale and only the deadline counts: the next
        // request goes through and refreshes the estimate.
        // The newest sample caps the average, so one probe that comes back fast ends the
        // refusal at once instead of after several decaying probes.
        // An API that has answered before is judged by its own times (the service's would send
        // a slow API's request with a budget only a fast one fits in, and refuse a fast one
        // with a budget that suffices); one that has not yet, by the service's.
        let own = match self.cfg.per_api_estimate {
            true => self.api_baselines.get(api as usize).copied().flatten(),
            false => None,
        };
        let predicted = match (own, self.load_factor, self.latency_ewma, self.last_latency) {
            (Some(typical), Some((avg, last)), _, _) => secs_duration(typical * avg.min(last)),
            (Some(typical), None, _, _) => secs_duration(typical),
            (None, _, Some(avg), Some(last)) => avg.min(last),
            (None, _, avg, _) => avg.unwrap_or(Duration::ZERO),
        };
        let stale = self.in_flight == 0 && now.saturating_since(self.last_completion) > predicted;
        let predicted = if stale { Duration::ZERO } else { predicted };
        (now >= d || d.saturating_since(now) < predicted).then_some(Reason::Expired)
    }

    /// Whether [`ServicePolicy::poll`] would return `None` and change nothing: no CoDel clock to
    /// tick, nothing that can expire, no ended pause to clear, and nothing to dispatch (paused,
    /// no room, or an empty queue). Every driver's pump ends on such a poll, and most events
    /// find the queue empty or the slots full: those polls cost a few compares this way.
    #[inline]
    fn nothing_to_do(&self, now: Time) -> bool {
        // Paused, or no pause to clear and nothing to dispatch (`paused_until` zero is no pause).
        self.clockless
            && if self.paused_until == Time::ZERO {
                self.queue_len() == 0 || !self.has_room()
            } else {
                self.paused(now)
            }
    }

    /// Whether [`ServicePolicy::poll`] is sure to answer `None` now and change nothing (see
    /// `nothing_to_do`): a driver may skip its poll loop.
    #[inline]
    pub fn idle(&self, now: Time) -> bool {
        self.nothing_to_do(now)
    }

    /// The next decision, if any. Call until `None` after every event.
    #[inline]
    pub fn poll(&mut self, now: Time) -> Option<Action> {
        if self.nothing_to_do(now) {
            return None;
        }
        self.decide(now)
    }

    /// [`ServicePolicy::poll`] without its idle fast path: for the test that checks the fast
    /// path answers `None` exactly when this does (`model/tests/gateway_policy.rs`).
    #[doc(hidden)]
    pub fn poll_without_fast_path(&mut self, now: Time) -> Option<Action> {
        self.decide(now)
    }

    /// [`ServicePolicy::poll`] when there may be something to do. Its early exits and
    /// [`ServicePolicy::nothing_to_do`] must stay in step.
    #[inline]
    fn decide(&mut self, now: Time) -> Option<Action> {
        if self.paused_until != Time::ZERO && now >= self.paused_until {
            self.paused_until = Time::ZERO;
        }
        if self.clockless {
            // No CoDel, nothing that expires, no drop at dequeue: what the general path below
            // does for these strategies, without asking at each step.
            if self.paused(now) || !self.has_room() {
                return None;
            }
            let class = self.next_class()?;
            let (t, e) = self.pop_live(class, false, Some(now))?;
            return Some(self.dispatch(t, &e));
        }
        if matches!(self.cfg.strategy, Strategy::Codel | Strategy::AdaptiveLifo) {
            self.codel.tick(now);
        }
        if let Some(a) = self.expire_oldest(now) {
            return Some(a);
        }
        if self.paused(now) || !self.has_room() {
            return None;
        }
        let class = self.next_class()?;
        let newest = self.cfg.strategy == Strategy::AdaptiveLifo && self.codel.overloaded();
        // Marked in flight as it is taken (a request dropped below is removed instead).
        let (t, e) = self.pop_live(class, newest, Some(now))?;
        let waited = now.saturating_since(e.arrival.arrived);
        let drop = match self.cfg.strategy {
            Strategy::Deadline => self.deadline_check(now, e.arrival.deadline, e.arrival.api),
            Strategy::AdaptiveLifo if newest => {
                // Served newest first, the request leaving says nothing of the standing queue:
                // CoDel watches the wait of the oldest still queued (what FIFO would serve
                // now). Fed the newest's, it saw no queue every other interval under constant
                // overload, and went back to FIFO for one.
                let standing = self
                    .front_live(class)
                    .map_or(waited, |(_, f)| now.saturating_since(f.arrival.arrived));
                self.codel
                    .should_drop_standing(now, standing, waited)
                    .then_some(Reason::Codel)
            }
            Strategy::Codel | Strategy::AdaptiveLifo => self.codel.should_drop(now, waited).then_some(Reason::Codel),
            _ => None,
        };
        if let Some(reason) = drop {
            self.entries.remove(t);
            let retry_after = (reason != Reason::Expired).then(|| self.drain_estimate(now, class));
            let rejection = self.reject(reason, retry_after);
            return Some(Action::Answer {
                ticket: t,
                token: e.arrival.token,
                rejection,
                waited,
                abandoned: e.abandoned,
            });
        }
        Some(self.dispatch(t, &e))
    }

    /// Whether [`ServicePolicy::poll_timeout`] is sure to answer `None` now: no clock of the
    /// policy's own (no queue timeout, deadlines or CoDel), no adaptive limit and no pushback
    /// pause. A driver that re-arms its timer after every event, and found `None` last time,
    /// can skip asking (the simulator's pump, twice per request).
    #[inline]
    pub fn timerless(&self) -> bool {
        self.timer_free && self.paused_until == Time::ZERO
    }

    /// When the policy must be polled again if no event comes first.
    #[inline]
    pub fn poll_timeout(&mut self) -> Option<Time> {
        let mut next: Option<Time> = self.limiter.next_update();
        if self.queue_len() > 0 && self.paused_until > Time::ZERO {
            next = Some(next.map_or(self.paused_until, |n| n.min(self.paused_until)));
        }
        if self.clockless {
            // No queue timeout, no slough timeout: the oldest request sets no deadline.
            return next;
        }
        self.queue_deadline(next)
    }

    /// [`ServicePolicy::poll_timeout`]'s `next`, or the first moment the oldest queued request
    /// times out or may be sloughed, if earlier.
    fn queue_deadline(&mut self, mut next: Option<Time>) -> Option<Time> {
        let mut consider = |t: Time| next = Some(next.map_or(t, |n| n.min(t)));
        let lifo = self.cfg.strategy == Strategy::AdaptiveLifo && self.codel.overloaded();
        let deadlines = self.cfg.strategy == Strategy::Deadline;
        let slough = self.codel.slough_timeout();
        let qt = self.cfg.queue_timeout;
        if qt.is_none() && !lifo && !deadlines {
            // Only queue timeouts, deadlines and the slough timeout depend on the oldest request.
            return next;
        }
        for class in 0..2 {
            if let Some((_, e)) = self.front_live(class) {
                if let Some(qt) = qt {
                    consider(e.arrival.arrived + qt + Duration::from_nanos(1));
                }
                if let (true, Some(d)) = (deadlines, e.arrival.deadline) {
                    consider(d);
                }
                if lifo {
                    consider(e.arrival.arrived + slough + Duration::from_nanos(1));
                }
            }
        }
        next
    }

    /// Shutdown: every queued request is answered 503, with a Retry-After of a second as every
    /// shed answer has one: the client may find a restarted gateway, or another instance.
    pub fn drain(&mut self, now: Time) -> Vec<Action> {
        let mut out = Vec::new();
        let retry_after = self.cfg.scaled(SHUTDOWN_RETRY_AFTER);
        for class in 0..2 {
            while let Some((t, e)) = self.pop_live(class, false, None) {
                self.entries.remove(t);
                let rejection = self.reject(Reason::Shutdown, Some(retry_after));
                out.push(Action::Answer {
                    ticket: t,
                    token: e.arrival.token,
                    rejection,
                    waited: now.saturating_since(e.arrival.arrived),
                    abandoned: e.abandoned,
                });
            }
        }
        out
    }
}
