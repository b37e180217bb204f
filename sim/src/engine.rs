//! The discrete-event engine: the model's workload, client model, gateway policies and backend
//! service model on a virtual clock.
//!
//! One event heap ordered by (time, sequence number), so simultaneous events run in the order
//! they were scheduled and a seed gives the same run every time. Per-request state lives in
//! slabs indexed by small integers; cancelled timeouts are skipped lazily by generation.

use model::backend::{Admission, BackendRequest, Job, ServiceModel};
use model::client::{AttemptResult, ClientModel, Intent, Next};
use model::gateway::{
    bucket_key, Action, Admit, Arrival as GwArrival, Auth, Cancelled, PolicyConfig, RateLimiter, ServicePolicy, Ticket,
};
use model::results::{Hist, Recorder, Results, RunMeta, Tag};
use model::rng::Streams;
use model::scenario::{Priority, Scenario};
use model::workload::{ClosedLoop, MixSampler, Schedule};
use model::Time;
use std::time::Duration;

use crate::events::EventHeap;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Ev {
    Arrival,
    /// A closed-loop user sends its next intent.
    User,
    /// A retry is due: the intent waits in [`Engine::waiting`] under this index.
    Send {
        intent: u32,
    },
    Timeout {
        attempt: u32,
        generation: u32,
    },
    /// The job of `attempt`'s backend call number `call` is done (its job is kept in the
    /// attempt's slot: [`AttemptSlot::in_backend`]).
    BackendDone {
        service: u32,
        attempt: u32,
        call: u32,
    },
    GatewayTimer {
        service: u32,
        generation: u32,
    },
    /// The gateway gives up on a backend call (`gateway.upstream_timeout`), as the live one does.
    UpstreamTimeout {
        attempt: u32,
        call: u32,
    },
    /// The oldest of [`Engine::replies`] reaches the gateway.
    BackendReply,
    Sample,
}

/// An intent between its attempts: waiting for its retry's send ([`Engine::waiting`]), or on
/// its way into its attempt's slot.
#[derive(Clone, Copy)]
struct IntentSlot {
    intent: Intent,
    service: u32,
    api: u32,
    priority: Priority,
}

struct AttemptSlot {
    /// Its intent, carried with the attempt its client waits for (most intents have one: no
    /// slab of their own to fill, look up and free per request).
    intent: Intent,
    intended: Time,
    deadline: Time,
    service: u32,
    api: u32,
    ticket: Ticket,
    generation: u32,
    /// The client has its answer or gave up.
    client_done: bool,
    /// The gateway is done with it (answered, or the backend finished it).
    server_done: bool,
    live: bool,
    /// Backend calls made for it so far (a gateway retry is another); numbers the call in
    /// flight, so an answer to a call the gateway gave up on is told apart. Kept across reuse
    /// of the slot, like `generation`.
    call: u32,
    /// A backend call is in flight for it.
    in_call: bool,
    /// The backend holds its request: in its backlog, or on a worker with the job below. The
    /// slot is not reused until then (its job lives here, not in a slab of jobs: one write
    /// and one read per request instead of a slab's free list, copies and look-ups), even
    /// after the gateway gave up on the call and answered (`live` false).
    in_backend: bool,
    /// The job on a worker, field by field ([`Engine::job_of`] rebuilds it; its id is the
    /// attempt and its call, its API the attempt's, and it completes when its
    /// [`Ev::BackendDone`] fires).
    job_arrived: Time,
    job_started: Time,
    job_work_ns: u64,
    job_deadline: Option<Time>,
    job_status: u16,
    /// Tests: when the job completes, checked against its event's time (a slot reused while
    /// the backend still works on its job would have another's).
    #[cfg(debug_assertions)]
    job_completes_at: Time,
    /// Attempts the gateway made for it (its own retries of 502/503 included).
    gateway_attempts: u32,
    /// Its class (kept here: the intent's slot may be reused once the client is done, while the
    /// gateway still retries this attempt).
    priority: Priority,
    /// In [`Engine::timeouts`]' list: its timeout's seq, and its neighbours (older, newer;
    /// [`SENTINEL`] at the ends).
    timeout_seq: u64,
    older: u32,
    newer: u32,
    in_timeouts: bool,
}

/// The slot of no attempt, the first: both ends of the timeout list, a ring through it
/// (its `newer` is the oldest attempt, its `older` the newest), so that taking an attempt out
/// or putting one in tests no end (the tests mispredicted, about once a request: which
/// attempt an answer comes for is random). Its deadline and seq are the largest: its key, the
/// list's head when the list is empty, is "none" (`u128::MAX`).
const SENTINEL: u32 = 0;

/// The attempts waiting for their client's answer, in the order they were sent, linked
/// through their slots (see [`Engine::timeouts`] and [`SENTINEL`]).
#[derive(Clone, Copy)]
struct TimeoutList {
    /// At most the oldest's (deadline, seq) key, as the heap would give it (`u128::MAX` when
    /// empty): kept here, every event compares it without a look into the attempts. A lower
    /// bound, made exact when it comes due ([`Engine::next_event`]): an answered attempt leaves
    /// the list without moving it (the oldest's key only grows as attempts leave, and a new
    /// attempt is the newest). Refreshed at every answer, it was a chain of dependent loads
    /// (the sentinel's link, just stored, then the oldest's key) between an answer and the
    /// next event's choice.
    head: u128,
}

impl AttemptSlot {
    /// The slot of the attempt of `slot`'s intent sent `now`, with its client's `deadline`, its
    /// timeout's seq and its neighbour in the timeout list (`older`; it is the newest).
    #[inline(always)]
    fn sent(slot: IntentSlot, now: Time, deadline: Time, timeout_seq: u64, older: u32, in_timeouts: bool) -> Self {
        AttemptSlot {
            intent: slot.intent,
            intended: now,
            deadline,
            service: slot.service,
            api: slot.api,
            ticket: Ticket::NONE,
            generation: 0,
            client_done: false,
            server_done: false,
            live: true,
            call: 0,
            in_call: false,
            in_backend: false,
            job_arrived: Time::ZERO,
            job_started: Time::ZERO,
            job_work_ns: 0,
            job_deadline: None,
            job_status: 0,
            #[cfg(debug_assertions)]
            job_completes_at: Time::ZERO,
            gateway_attempts: 1,
            priority: slot.priority,
            timeout_seq,
            older,
            newer: SENTINEL,
            in_timeouts,
        }
    }

    /// The slot at [`SENTINEL`]: no attempt (never live, never on the free list), the
    /// largest key.
    fn sentinel() -> AttemptSlot {
        let none = IntentSlot {
            intent: Intent::new(0, Time::ZERO),
            service: 0,
            api: 0,
            priority: Priority::Interactive,
        };
        AttemptSlot {
            client_done: true,
            server_done: true,
            live: false,
            gateway_attempts: 0,
            ..AttemptSlot::sent(none, Time::MAX, Time::MAX, u64::MAX, SENTINEL, false)
        }
    }
}

/// The (deadline, seq) key of the oldest attempt in the timeout list (the sentinel's,
/// `u128::MAX`, when it is empty).
#[inline(always)]
fn oldest_key(items: &[AttemptSlot]) -> u128 {
    let o = &items[items[SENTINEL as usize].newer as usize];
    crate::events::key(o.deadline, o.timeout_seq)
}

/// The client timeout of every service's attempts when it is one and the same constant (the
/// timeout list's condition, [`Engine::timeouts`]): with timeouts that differ by service, a
/// later attempt to a short-timeout service gives up before an earlier one to a patient service.
fn one_constant_timeout(scenario: &Scenario) -> Option<model::duration::Dur> {
    let c = &scenario.file.clients;
    let mut each = scenario
        .services
        .iter()
        .map(|s| c.timeout_for(&s.name, &s.group).as_constant());
    let first = each.next().unwrap_or(c.timeout.as_constant())?;
    each.all(|t| t == Some(first)).then_some(first)
}

/// A backend request id: the attempt's slot and its call number.
fn request_id(attempt: u32, call: u32) -> u64 {
    (u64::from(call) << 32) | u64::from(attempt)
}

/// The microseconds the recorder keeps for the time from `since` to `now`: what
/// `Hist::micros(now.saturating_since(since))` gives, straight from the nanoseconds.
#[inline]
fn latency_us(now: Time, since: Time) -> u64 {
    Hist::micros_of_nanos(now.0.saturating_sub(since.0))
}

/// Takes `attempt` out of the timeout list (see [`Engine::timeouts`]): its slot and its
/// neighbours' in `items` (the list's head stays a lower bound: see [`TimeoutList::head`]). A
/// function of the slice, not of the engine: its stores into the slots then do not make the
/// compiler reload (and check again) the slab's length.
#[inline(always)]
fn unlink(items: &mut [AttemptSlot], attempt: u32) {
    let a = &mut items[attempt as usize];
    a.in_timeouts = false;
    let (older, newer) = (a.older, a.newer);
    items[older as usize].newer = newer;
    items[newer as usize].older = older;
}

/// A slab with a free list.
struct Slab<T> {
    items: Vec<T>,
    free: Vec<u32>,
}

impl<T> Slab<T> {
    fn new() -> Self {
        Slab {
            items: Vec::new(),
            free: Vec::new(),
        }
    }
    fn insert(&mut self, v: T) -> u32 {
        match self.free.pop() {
            Some(i) => {
                self.items[i as usize] = v;
                i
            }
            None => {
                self.items.push(v);
                (self.items.len() - 1) as u32
            }
        }
    }
}

/// The seq bit that orders a client timeout after the other events of its instant (see
/// [`Engine::timeout_seq`]); sequence numbers count events and never reach it.
const TIMEOUT_LAST: u64 = 1 << 63;

/// Gauge samples per reporting window.
const SAMPLES_PER_WINDOW: u32 = 20;

pub struct Engine<'a> {
    scenario: &'a Scenario,
    now: Time,
    seq: u64,
    heap: EventHeap<Ev>,
    schedule: Schedule,
    /// The schedule has an arrival left (the next, [`Schedule::peek`]).
    arrivals_left: bool,
    /// The (time, seq) key of the next arrival's event. The next arrival waits here rather
    /// than in the heap: there is always exactly one, so a compare with the heap's top replaces
    /// a push and a pop per request, in the same order the heap would give.
    arrival_key: u128,
    /// Tests: the next arrival goes through the heap, as it once did, to check the order.
    #[cfg(test)]
    arrival_in_heap: bool,
    /// Tests: every change of a policy's timer gets its own event, as it once did.
    #[cfg(test)]
    eager_timers: bool,
    clients: ClientModel,
    gateways: Vec<ServicePolicy>,
    backends: Vec<ServiceModel>,
    /// Per service, the policy's timer: the time `poll_timeout` last asked for (as given), and
    /// its (time, seq) key, reserved when it was asked for.
    timer_at: Vec<Option<Time>>,
    timer_want: Vec<Option<(Time, u64)>>,
    /// The one [`Ev::GatewayTimer`] per service that counts (others in the heap are superseded):
    /// its key and id. A timer asked for later than it does not get an event of its own: it
    /// re-arms when this one fires, under the key reserved for it, so the order of events is
    /// the same as with an event per request, with one heap entry per firing instead (the
    /// deadline strategy's timer moves to the next request's deadline at every dispatch).
    timer_carrier: Vec<Option<(Time, u64, u32)>>,
    timer_ids: Vec<u32>,
    /// Intents waiting to send a retry (the others travel in their attempt's slot).
    waiting: Slab<IntentSlot>,
    attempts: Slab<AttemptSlot>,
    live_intents: u64,
    recorder: Recorder,
    /// With one constant client timeout for every service ([`one_constant_timeout`]),
    /// timeouts fire in send order: instead of the heap, the
    /// attempts whose clients still wait are a list in send order, its oldest the next timeout,
    /// under the key the heap would give it ([`Engine::timeout_seq`]), so both ways give the
    /// same order. An attempt leaves the list when its client has the answer ([`Engine::respond`]),
    /// in O(1): the list holds only timeouts that can still fire. (It was a FIFO of every timeout
    /// set, with a pass now and then to drop those of answered attempts, which cost a check per
    /// entry and a cache miss or two per request.)
    timeouts: TimeoutList,
    /// Whether [`Engine::timeouts`] is in use (else timeouts go through the heap and the list
    /// stays empty, its head `u128::MAX`).
    timeout_list: bool,
    live_attempts: usize,
    /// Closed loop: the users' think times and request mix, and users still sending.
    closed: Option<(ClosedLoop, MixSampler, model::rng::Rng)>,
    active_users: u64,
    next_intent_id: u64,
    /// The gateway's front door, before any policy, as the live gateway checks it, per
    /// service (each service's requests may carry their own key): whether the clients'
    /// credentials pass `[gateway.auth]`, and their `[gateway.rate_limit]` bucket (the clients
    /// are one client to it, live too: one key, or one address).
    authorized: Vec<bool>,
    rate_limit: Option<(RateLimiter, Vec<String>)>,
    /// Every service's requests pass `authorized` and there is no `rate_limit`: the front door
    /// refuses nothing, decided once rather than checked per request.
    open_door: bool,
    /// `gateway.upstream_timeout`, in nanoseconds (converted once, not per call).
    upstream_timeout_ns: u64,
    /// With [`one_constant_timeout`]: every attempt's timeout in nanoseconds, converted once
    /// (the client model's constant, which draws nothing).
    constant_timeout_ns: Option<u64>,
    /// Per service: its requests' method may be sent twice ([`model::wire::is_idempotent_method`]).
    /// The gateway retries a 502/503 of only these, as the live one does: the service may have
    /// carried out a POST it answered 503.
    idempotent: Vec<bool>,
    /// Answers the backend gave at once (a 503 of an outage or a full backlog, a 429), in the
    /// order given: (attempt, call, status, Retry-After). Each reaches the gateway by its own
    /// [`Ev::BackendReply`] at the same instant, after whatever is being decided now, as live,
    /// where a pump dispatches all it can before the first answer comes back: answered inside
    /// the pump, one 503's pushback pause would stop every dispatch after it.
    replies: std::collections::VecDeque<(u32, u32, u16, Option<Duration>)>,
    /// The run stopped its closed loop at `max_closed_intents` ([`MAX_CLOSED_INTENTS`]).
    capped: bool,
    max_closed_intents: u64,
    /// Why the run stopped before its end, if it did ([`MAX_LIVE_ATTEMPTS`]).
    stopped: Option<String>,
    max_live_attempts: usize,
    /// Called with the virtual time every [`PROGRESS_EVENTS`] events (long runs report progress).
    progress: Option<&'a mut dyn FnMut(Time)>,
}

/// Events between progress calls: about a tenth of a second of simulation, so a run of
/// minutes can say how far it is while the check costs nothing measurable per event.
const PROGRESS_EVENTS: u64 = 1 << 20;

/// A closed loop stops sending after this many intents (open loops are bounded by their
/// phases): with zero think time and answers that take no time, users would send for ever.
pub const MAX_CLOSED_INTENTS: u64 = 1_000_000_000;

/// A run stops when this many requests are held at once (queued at the gateway, in the
/// backend, or waiting for their clients): an unbounded queue under an overload that never
/// ends grows for as long as the run lasts, at a few hundred bytes a request, and a long run
/// ran out of memory (48 hours of the death spiral: 2.4 GB within seconds, then an abort with
/// nothing written). Four million (about a gigabyte) is far past any collapse a run is meant
/// to show.
pub const MAX_LIVE_ATTEMPTS: usize = 4_000_000;

impl<'a> Engine<'a> {
    pub fn new(scenario: &'a Scenario, seed: u64) -> Engine<'a> {
        let mut e = Engine::build(scenario, seed);
        e.open_door = e.rate_limit.is_none() && e.authorized.iter().all(|&a| a);
        if one_constant_timeout(scenario).is_some() {
            // Constant for every service: the client model returns it without a draw.
            e.constant_timeout_ns = Some(model::time::duration_nanos(e.clients.attempt_timeout(0)));
        }
        e
    }

    fn build(scenario: &'a Scenario, seed: u64) -> Engine<'a> {
        let streams = Streams::new(seed);
        let g = &scenario.file.gateway;
        let n = scenario.services.len();
        // The keys loadgen sends to each service (credentials, or request headers).
        let presented: Vec<(Option<String>, Option<String>)> =
            (0..n).map(|i| scenario.presented_credentials(i)).collect();
        Engine {
            scenario,
            now: Time::ZERO,
            seq: 0,
            heap: EventHeap::new(),
            schedule: Schedule::new(scenario, &streams),
            arrivals_left: false,
            arrival_key: u128::MAX,
            #[cfg(test)]
            arrival_in_heap: false,
            #[cfg(test)]
            eager_timers: false,
            clients: ClientModel::new(&scenario.file.clients, &scenario.services, &streams),
            gateways: scenario
                .services
                .iter()
                .map(|s| ServicePolicy::new(PolicyConfig::for_service(&g.for_service(&s.name, &s.group), s.workers)))
                .collect(),
            backends: scenario
                .services
                .iter()
                .map(|s| ServiceModel::new(s.clone(), &streams))
                .collect(),
            timer_at: vec![None; n],
            timer_want: vec![None; n],
            timer_carrier: vec![None; n],
            timer_ids: vec![0; n],
            waiting: Slab::new(),
            attempts: Slab {
                items: vec![AttemptSlot::sentinel()],
                free: Vec::new(),
            },
            live_intents: 0,
            recorder: Recorder::for_scenario(scenario),
            timeouts: TimeoutList { head: u128::MAX },
            timeout_list: one_constant_timeout(scenario).is_some(),
            live_attempts: 0,
            closed: scenario.file.workload.closed.as_ref().and_then(|c| {
                let think = c.think_time.resolve().ok()?;
                Some((
                    ClosedLoop::new(think, &streams),
                    MixSampler::new(scenario),
                    streams.stream("mix"),
                ))
            }),
            active_users: 0,
            next_intent_id: 0,
            authorized: presented
                .iter()
                .map(|(bearer, api_key)| {
                    g.auth
                        .as_ref()
                        .is_none_or(|a| Auth::new(&a.keys).check(bearer.as_deref(), api_key.as_deref()))
                })
                .collect(),
            rate_limit: g.rate_limit.as_ref().map(|r| {
                // Loadgen's clients all connect from one address.
                let keys = presented
                    .iter()
                    .map(|(bearer, api_key)| {
                        bucket_key(
                            r.per,
                            g.auth.is_some(),
                            bearer.as_deref(),
                            api_key.as_deref(),
                            "127.0.0.1",
                        )
                    })
                    .collect();
                (RateLimiter::new(r.rate, r.burst), keys)
            }),
            open_door: false,
            upstream_timeout_ns: model::time::duration_nanos(g.upstream_timeout.0),
            constant_timeout_ns: None,
            idempotent: (0..n)
                .map(|i| {
                    scenario
                        .request(i)
                        .map_or(true, |r| model::wire::is_idempotent_method(&r.method))
                })
                .collect(),
            replies: std::collections::VecDeque::new(),
            capped: false,
            max_closed_intents: MAX_CLOSED_INTENTS,
            stopped: None,
            max_live_attempts: MAX_LIVE_ATTEMPTS,
            progress: None,
        }
    }

    #[inline]
    fn push(&mut self, at: Time, ev: Ev) {
        self.seq += 1;
        self.heap.push(at, self.seq, ev);
    }

    /// The next arrival is due at `at` (see [`Engine::arrival_key`]).
    #[inline]
    fn schedule_arrival(&mut self, at: Time) {
        if self.arrivals_in_heap() {
            self.push(at, Ev::Arrival);
            return;
        }
        self.seq += 1;
        self.arrival_key = crate::events::key(at, self.seq);
    }

    #[cfg(test)]
    fn timers_eager(&self) -> bool {
        self.eager_timers
    }

    #[cfg(not(test))]
    #[inline(always)]
    fn timers_eager(&self) -> bool {
        false
    }

    #[cfg(test)]
    fn arrivals_in_heap(&self) -> bool {
        self.arrival_in_heap
    }

    #[cfg(not(test))]
    #[inline(always)]
    fn arrivals_in_heap(&self) -> bool {
        false
    }

    /// Runs the earliest of the heap's top, the pending arrival and the timeout list's head, in
    /// (time, seq) order as if all were in one heap, and returns its time (`None`: no event
    /// left).
    ///
    /// An arrival or a timeout is handled here, where it was chosen: returned as an [`Ev`] to
    /// the loop's `match`, its dispatch was a second branch on the same unpredictable choice
    /// (an arrival or a backend's answer next), an indirect jump the CPU mispredicted about
    /// once a request on top of the choice itself.
    #[inline(always)]
    fn next_event(&mut self) -> Option<Time> {
        // Keys are unique (sequence numbers are), so only "none" (`u128::MAX`) ties.
        let top = self.heap.peek_key().unwrap_or(u128::MAX);
        let arrival = self.arrival_key;
        if self.timeouts.head < top.min(arrival) {
            // Due, or a lower bound that came due (see `TimeoutList::head`): the oldest's own
            // key decides, in place of the bound.
            let k = oldest_key(&self.attempts.items);
            self.timeouts.head = k;
            if k < top.min(arrival) {
                let oldest = self.attempts.items[SENTINEL as usize].newer;
                let generation = self.attempts.items[oldest as usize].generation;
                unlink(&mut self.attempts.items, oldest);
                let at = crate::events::key_time(k);
                self.now = at;
                self.on_timeout(oldest, generation);
                return Some(at);
            }
        }
        if arrival < top {
            let at = crate::events::key_time(arrival);
            self.now = at;
            self.on_arrival();
            return Some(at);
        }
        let (at, ev) = self.heap.pop()?;
        self.now = at;
        match ev {
            Ev::Arrival => self.on_arrival(),
            Ev::User => self.on_user(),
            Ev::Send { intent } => {
                let slot = self.waiting.items[intent as usize];
                self.waiting.free.push(intent);
                self.send_attempt_call(slot);
            }
            Ev::Timeout { attempt, generation } => self.on_timeout(attempt, generation),
            Ev::BackendDone { service, attempt, call } => self.on_backend_done(service, attempt, call),
            Ev::GatewayTimer { service, generation } => self.on_gateway_timer(service, generation),
            Ev::UpstreamTimeout { attempt, call } => self.on_upstream_timeout(attempt, call),
            Ev::BackendReply => self.on_backend_reply(),
            Ev::Sample => self.on_sample(),
        }
        Some(at)
    }

    /// A client timeout's seq: after every other event at the same instant (the
    /// top bit of its seq; timeouts among themselves in the order they were set). The gateway's
    /// budget is never more than the client has left (`x-spillway-timeout-ms` rounds down), so
    /// an answer the gateway or the backend gives at the instant the client gives up (the
    /// deadline strategy expiring a request at its deadline) is in time. Live, loadgen sends a
    /// budget 2 ms of real time short of what its client has left (`BUDGET_MARGIN`), more than
    /// the two timers' 1 ms grain, so such answers beat the client's timer there too (through
    /// a 10 s hang at 50/s: 8 timeouts and 801 expired live, 4 and 805 simulated; with the
    /// budget only rounded down, 322 and 487 live).
    #[inline]
    fn timeout_seq(&mut self) -> u64 {
        self.seq += 1;
        debug_assert!(self.seq < TIMEOUT_LAST, "sequence numbers reach the timeout bit");
        self.seq | TIMEOUT_LAST
    }

    /// Runs to the end and returns the results.
    pub fn run(mut self) -> (Results, u64) {
        let users = self.scenario.file.workload.closed.as_ref().map_or(0, |c| c.users);
        if let Some((loop_, _, _)) = self.closed.as_mut() {
            // A user whose first send falls past the end never sends: counted as active, it
            // kept the run (and its windows) going until then.
            let end = Time::ZERO + self.scenario.duration;
            let starts: Vec<Time> = loop_.initial(users).into_iter().filter(|&t| t < end).collect();
            self.active_users = starts.len() as u64;
            for t in starts {
                self.push(t, Ev::User);
            }
        } else {
            if let Some(at) = self.schedule.peek_time() {
                self.arrivals_left = true;
                self.schedule_arrival(at);
            }
        }
        self.push(Time::ZERO, Ev::Sample);
        let mut events = 0u64;
        while let Some(at) = self.next_event() {
            // Counted in a local (a register), returned at the end.
            events += 1;
            if events.is_multiple_of(PROGRESS_EVENTS) {
                if let Some(p) = self.progress.as_mut() {
                    p(at);
                }
            }
            // Done when no more arrivals are due and every intent has its final answer (work
            // left in the backend then concerns nobody), or stopped. The rarely true test first:
            // one compare per event instead of all of them.
            if self.live_intents == 0 || self.stopped.is_some() {
                let drained = self.live_intents == 0 && !self.arrivals_left && self.active_users == 0;
                if drained || self.stopped.is_some() {
                    break;
                }
            }
        }
        // Requests still queued (kept after their clients left, or a run stopped at the cap):
        // their waits so far, as the live run's last sample records them.
        let now = self.now;
        for g in &self.gateways {
            for waited in g.queued_waits(now) {
                self.recorder.queue_wait(now, waited);
            }
        }
        let strategy = self.scenario.file.gateway.strategy.as_str().to_string();
        // Stopped early: figures over the run up to then (rates per second of it, the windows
        // it filled), as a live run that is interrupted reports.
        let cut;
        let scenario = match self.stopped {
            Some(_) if self.now.saturating_since(Time::ZERO) < self.scenario.duration => {
                let mut c = self.scenario.clone();
                c.duration = self.now.saturating_since(Time::ZERO);
                cut = c;
                &cut
            }
            _ => self.scenario,
        };
        let mut results = self.recorder.finish(
            scenario,
            RunMeta {
                incomplete: self.capped || self.stopped.is_some(),
                stopped: self.stopped,
                ..RunMeta::sim(strategy)
            },
        );
        let gave_up = self.clients.gave_up_on_retry_after();
        if gave_up > 0 {
            results.notes.retry_after_past_lifetime = gave_up;
            results.notes.intent_lifetime_s = self.clients.lifetime().as_secs_f64();
        }
        (results, events)
    }

    fn on_sample(&mut self) {
        let (mut q, mut f) = (0u64, 0u64);
        let mut limit = None;
        for g in &self.gateways {
            q += g.queue_len() as u64;
            f += u64::from(g.in_flight());
            if self.scenario.file.gateway.strategy == model::scenario::Strategy::Adaptive {
                limit = Some(limit.unwrap_or(0) + u64::from(g.limit().unwrap_or(0)));
            }
        }
        self.recorder.gauges(self.now, q, f);
        for (i, g) in self.gateways.iter().enumerate() {
            self.recorder
                .service_held(self.now, i, g.queue_len() as u64 + u64::from(g.in_flight()));
        }
        if let Some(l) = limit {
            self.recorder.limit(self.now, l);
        }
        if self.arrivals_left || self.active_users > 0 || self.live_intents > 0 {
            let every = (self.scenario.window() / SAMPLES_PER_WINDOW).max(Duration::from_millis(1));
            self.push(self.now + every, Ev::Sample);
        }
    }

    // A function of its own with the first attempt's send inlined, and so is a backend's answer
    // (`on_backend_done`, with `backend_answered` inlined): one call per event rather than two,
    // each out of the event loop, whose size made the compiler spill around the inlined calls.
    // 200k M/M/2: 318.7M -> 312.1M instructions.
    #[inline(never)]
    fn on_arrival(&mut self) {
        // Read where the schedule generated it (see `Schedule::peek_time`).
        let Some(&a) = self.schedule.peek() else { return };
        self.schedule.advance();
        // Offered when its first attempt is sent, at once (`send_attempt`).
        self.live_intents += 1;
        self.send_attempt(IntentSlot {
            intent: Intent::new(a.intent, a.at),
            service: a.service as u32,
            api: a.api as u32,
            priority: a.priority,
        });
        // The next arrival gets its sequence number after this request's events, so ties at
        // one instant keep their order. The schedule draws from streams of its own: drawn
        // here or earlier, no other draw moves.
        match self.schedule.peek_time() {
            Some(at) => self.schedule_arrival(at),
            None => {
                // No arrival is due: none to choose in `next_event`.
                self.arrivals_left = false;
                self.arrival_key = u128::MAX;
            }
        }
    }

    /// A closed-loop user's next intent is due (or, past the run's end, the user stops).
    fn on_user(&mut self) {
        let now = self.now;
        if now >= Time::ZERO + self.scenario.duration {
            self.active_users -= 1;
            return;
        }
        if self.next_intent_id >= self.max_closed_intents {
            if !self.capped {
                self.capped = true;
                tracing::warn!(
                    "the closed loop sent {} intents by {now}: stopping it there (results marked incomplete); zero think time with answers that take no time (401, 429, shed) makes users send without pause",
                    self.max_closed_intents
                );
            }
            self.active_users -= 1;
            return;
        }
        let Some((_, mix, rng)) = self.closed.as_mut() else {
            return;
        };
        let (service, api, priority) = mix.sample(rng);
        // Offered when its first attempt is sent, at once (`send_attempt`).
        let id = self.next_intent_id;
        self.next_intent_id += 1;
        self.live_intents += 1;
        self.send_attempt_call(IntentSlot {
            intent: Intent::new(id, now),
            service: service as u32,
            api: api as u32,
            priority,
        });
    }

    /// [`Engine::send_attempt`] as a call: for retries and closed-loop users (an arrival's
    /// first attempt has it inlined).
    #[inline(never)]
    fn send_attempt_call(&mut self, slot: IntentSlot) {
        self.send_attempt(slot);
    }

    #[inline(always)]
    fn send_attempt(&mut self, mut slot: IntentSlot) {
        let now = self.now;
        self.clients.on_send(now, &mut slot.intent);
        let retry = slot.intent.attempts > 1;
        let (service, api, priority) = (slot.service, slot.api, slot.priority);
        let tag = Tag::new(priority, service as usize);
        if retry {
            self.recorder.attempt_sent(tag, now, true);
        } else {
            // An intent's first attempt is sent as it is offered (`on_arrival`, `on_user`).
            self.recorder.intent_sent(tag, now);
        }
        let deadline = match self.constant_timeout_ns {
            Some(ns) => Time(now.0.saturating_add(ns)),
            None => now + self.clients.attempt_timeout(service as usize),
        };
        // Its timeout: with the timeout list, the attempt is its newest (its deadline is the
        // constant timeout after now), linked in the slot's own write below.
        let seq = self.timeout_seq();
        let newest = self.attempts.items[SENTINEL as usize].older;
        // A reused slot keeps counting generations, so a stale timeout of its previous
        // occupant cannot fire on the new one.
        let slot = AttemptSlot::sent(slot, now, deadline, seq, newest, self.timeout_list);
        let (attempt, generation) = match self.attempts.free.pop() {
            Some(i) => {
                let a = &mut self.attempts.items[i as usize];
                let generation = a.generation.wrapping_add(1);
                // The job fields as they were: only `start_job` writes them, before any read.
                *a = AttemptSlot {
                    generation,
                    call: a.call,
                    job_arrived: a.job_arrived,
                    job_started: a.job_started,
                    job_work_ns: a.job_work_ns,
                    job_deadline: a.job_deadline,
                    job_status: a.job_status,
                    ..slot
                };
                (i, generation)
            }
            None => {
                self.attempts.items.push(slot);
                ((self.attempts.items.len() - 1) as u32, 0)
            }
        };
        if self.timeout_list {
            let items = &mut self.attempts.items[..];
            items[newest as usize].newer = attempt;
            items[SENTINEL as usize].older = attempt;
            if newest == SENTINEL {
                // The list was empty (rarely: it holds every attempt its client waits for).
                self.timeouts.head = crate::events::key(deadline, seq);
            }
        } else {
            self.heap.push(deadline, seq, Ev::Timeout { attempt, generation });
        }
        self.live_attempts += 1;
        if self.live_attempts > self.max_live_attempts {
            self.stop_crowded();
        }
        let refused = if self.open_door {
            None
        } else if !self.authorized[service as usize] {
            Some((401, None))
        } else {
            let limited = self
                .rate_limit
                .as_mut()
                .map(|(r, keys)| r.check(now, &keys[service as usize]));
            match limited {
                Some(Err(wait)) => Some((429, Some(wait))),
                _ => None,
            }
        };
        if let Some((status, retry_after)) = refused {
            self.attempts.items[attempt as usize].server_done = true;
            self.respond(attempt, AttemptResult::Status { status, retry_after });
            return;
        }
        let admit = self.gateways[service as usize].handle_arrival(
            now,
            GwArrival {
                arrived: now,
                deadline: Some(deadline),
                priority,
                api,
                token: attempt,
            },
        );
        match admit {
            Admit::Dispatch(t) => {
                self.bind(t, attempt);
                self.recorder.queue_wait(now, Duration::ZERO);
                self.forward_to_backend(attempt);
            }
            Admit::Queued(t) => self.bind(t, attempt),
            Admit::Rejected(r) => {
                self.attempts.items[attempt as usize].server_done = true;
                self.respond(
                    attempt,
                    AttemptResult::Status {
                        status: r.reason.status(),
                        retry_after: r.retry_after,
                    },
                );
            }
        }
        self.pump(service);
    }

    /// `attempt` is `t` to its service's policy (which hands the attempt back as the token of
    /// the action that dispatches or answers it).
    #[inline]
    fn bind(&mut self, t: Ticket, attempt: u32) {
        self.attempts.items[attempt as usize].ticket = t;
    }

    #[inline]
    fn forward_to_backend(&mut self, attempt: u32) {
        let now = self.now;
        let a = &mut self.attempts.items[attempt as usize];
        a.call = a.call.wrapping_add(1);
        a.in_call = true;
        let (service, api, deadline, call) = (a.service, a.api, a.deadline, a.call);
        let give_up = Time(now.0.saturating_add(self.upstream_timeout_ns));
        // The backend's caller is the gateway, which waits at most its upstream timeout: work
        // finished after either the client or the gateway gave up is wasted, as the live
        // gateway's budget header tells the service.
        let req = BackendRequest {
            id: request_id(attempt, call),
            api: api as usize,
            arrived: now,
            deadline: Some(deadline.min(give_up)),
        };
        debug_assert!(!a.in_backend, "one call at a time in the backend");
        match self.backends[service as usize].handle_request(now, req) {
            Admission::Started(job) => {
                // Only calls that would outlast it need the gateway's upstream timeout.
                if job.completes_at > give_up {
                    self.push(give_up, Ev::UpstreamTimeout { attempt, call });
                }
                self.start_job(service, job);
            }
            Admission::Queued => {
                self.attempts.items[attempt as usize].in_backend = true;
                self.push(give_up, Ev::UpstreamTimeout { attempt, call });
            }
            Admission::Rejected(reply) => {
                self.replies.push_back((attempt, call, reply.status, reply.retry_after));
                self.push(now, Ev::BackendReply);
            }
        }
    }

    /// An answer the backend gave at once reaches the gateway (see [`Engine::replies`]).
    fn on_backend_reply(&mut self) {
        let Some((attempt, call, status, retry_after)) = self.replies.pop_front() else {
            return;
        };
        let a = &mut self.attempts.items[attempt as usize];
        if !a.in_call || a.call != call {
            return;
        }
        a.in_call = false;
        let service = a.service;
        self.backend_answered(service, attempt, status, retry_after);
        self.pump(service);
    }

    /// The backend (or the gateway's upstream timeout) answered `attempt`'s call: the gateway
    /// retries a 502/503 when `[gateway.retries]` allows, as the live one does, or passes the
    /// answer on.
    #[inline(always)] // into `on_backend_done` (see `on_arrival`)
    fn backend_answered(&mut self, service: u32, attempt: u32, status: u16, retry_after: Option<Duration>) {
        let now = self.now;
        let s = service as usize;
        let a = &self.attempts.items[attempt as usize];
        let (ticket, tries) = (a.ticket, a.gateway_attempts);
        self.gateways[s].handle_complete(now, ticket, status, retry_after);
        if matches!(status, 502 | 503) && self.idempotent[s] && self.gateways[s].allow_retry(now, tries) {
            // Built here, not before the check: most answers are not retried.
            let a = &mut self.attempts.items[attempt as usize];
            a.gateway_attempts += 1;
            let arrival = GwArrival {
                arrived: a.intended,
                deadline: Some(a.deadline),
                priority: a.priority,
                api: a.api,
                token: attempt,
            };
            self.recorder.gateway_retry(now);
            match self.gateways[s].handle_retry(now, arrival) {
                Admit::Dispatch(t) => {
                    self.bind(t, attempt);
                    self.forward_to_backend(attempt);
                    return;
                }
                Admit::Queued(t) => {
                    self.bind(t, attempt);
                    return;
                }
                // No room: the client gets the service's answer.
                Admit::Rejected(_) => {}
            }
        }
        self.attempts.items[attempt as usize].server_done = true;
        self.respond(attempt, AttemptResult::Status { status, retry_after });
    }

    fn on_upstream_timeout(&mut self, attempt: u32, call: u32) {
        let a = &mut self.attempts.items[attempt as usize];
        if !a.in_call || a.call != call {
            return;
        }
        // The backend keeps working on it; its answer, when it comes, is for nobody.
        a.in_call = false;
        let service = a.service;
        self.backend_answered(service, attempt, 504, None);
        self.pump(service);
    }

    /// A worker took `job`: kept in its attempt's slot until its [`Ev::BackendDone`].
    #[inline(always)]
    fn start_job(&mut self, service: u32, job: Job) {
        let (attempt, call) = (job.request.id as u32, (job.request.id >> 32) as u32);
        let a = &mut self.attempts.items[attempt as usize];
        a.in_backend = true;
        a.job_arrived = job.request.arrived;
        a.job_started = job.started;
        a.job_work_ns = job.work_ns;
        a.job_deadline = job.request.deadline;
        a.job_status = job.status;
        #[cfg(debug_assertions)]
        {
            a.job_completes_at = job.completes_at;
        }
        self.push(job.completes_at, Ev::BackendDone { service, attempt, call });
    }

    /// The job [`Engine::start_job`] kept in `a`, done `now`.
    #[inline(always)]
    fn job_of(a: &AttemptSlot, attempt: u32, call: u32, now: Time) -> Job {
        Job {
            request: BackendRequest {
                id: request_id(attempt, call),
                api: a.api as usize,
                arrived: a.job_arrived,
                deadline: a.job_deadline,
            },
            started: a.job_started,
            work_ns: a.job_work_ns,
            completes_at: now,
            status: a.job_status,
        }
    }

    #[inline(never)] // see `on_arrival`
    fn on_backend_done(&mut self, service: u32, attempt: u32, call: u32) {
        let now = self.now;
        let a = &mut self.attempts.items[attempt as usize];
        debug_assert!(a.in_backend && a.call == call, "a job's slot was reused");
        #[cfg(debug_assertions)]
        debug_assert_eq!(a.job_completes_at, now, "a job's slot was reused");
        let job = Self::job_of(a, attempt, call, now);
        a.in_backend = false;
        if !a.live {
            // Answered and released while the backend worked on it: the slot is free now.
            self.attempts.free.push(attempt);
        }
        let (done, next) = self.backends[service as usize].handle_complete(now, job);
        self.recorder.backend_work_ns(now, done.busy_ns, done.wasted);
        if let Some(n) = next {
            self.start_job(service, n);
        }
        let a = &mut self.attempts.items[attempt as usize];
        if !a.in_call || a.call != call {
            // The gateway gave up on this call (upstream timeout) and answered already.
            self.pump(service);
            return;
        }
        a.in_call = false;
        self.backend_answered(service, attempt, done.status, None);
        self.pump(service);
    }

    fn on_timeout(&mut self, attempt: u32, generation: u32) {
        let now = self.now;
        let a = &self.attempts.items[attempt as usize];
        if !a.live || a.generation != generation || a.client_done {
            return;
        }
        let (service, ticket, server_done) = (a.service, a.ticket, a.server_done);
        self.respond(attempt, AttemptResult::Timeout);
        if !server_done {
            if let Cancelled::Removed { waited } = self.gateways[service as usize].handle_cancel(now, ticket) {
                self.recorder.cancelled(now);
                self.recorder.queue_wait(now, waited);
                self.attempts.items[attempt as usize].server_done = true;
                self.release(attempt);
            }
        }
    }

    /// The client gets `result` for `attempt` (ignored if it already gave up).
    fn respond(&mut self, attempt: u32, result: AttemptResult) {
        let now = self.now;
        let items = &mut self.attempts.items[..];
        let a = &mut items[attempt as usize];
        if a.client_done {
            self.release(attempt);
            return;
        }
        a.client_done = true;
        let (intended, in_timeouts) = (a.intended, a.in_timeouts);
        let (service, api, priority) = (a.service, a.api, a.priority);
        // What `release` would find at the end (nothing below touches the attempt), done here
        // while the slot is at hand.
        if a.live && a.server_done {
            a.live = false;
            if !a.in_backend {
                self.attempts.free.push(attempt);
            }
            self.live_attempts -= 1;
        }
        if in_timeouts {
            unlink(items, attempt);
        }
        let tag = Tag::new(priority, service as usize);
        let attempt_us = latency_us(now, intended);
        let outcome = result.outcome();
        // The intent is read and updated in the slot: freed above, it is still as it was until
        // the next attempt is written (nothing below writes one).
        let intent = &mut items[attempt as usize].intent;
        match self.clients.on_result(now, intent, result) {
            Next::Done { success } => {
                let start = intent.start;
                if start == intended {
                    // A first attempt's latency and window are its intent's (most intents have
                    // one attempt): recorded together.
                    self.recorder
                        .attempt_and_intent_finished_us(tag, intended, outcome, attempt_us, success);
                } else {
                    self.recorder.attempt_finished_us(tag, intended, outcome, attempt_us);
                    self.recorder
                        .intent_finished_us(tag, start, latency_us(now, start), success);
                }
                self.live_intents -= 1;
                if let Some((loop_, _, _)) = self.closed.as_mut() {
                    // At least a microsecond: with zero think time and an answer that takes no
                    // time (shed, 401, 429), the user would send again at this very instant,
                    // forever.
                    let next = loop_.next_after(now).max(now + Duration::from_micros(1));
                    // A user who would send again past the end stops now: waiting for that
                    // send kept the sampling clock (and a window per step) going until then.
                    if next < Time::ZERO + self.scenario.duration {
                        self.push(next, Ev::User);
                    } else {
                        self.active_users -= 1;
                    }
                }
            }
            Next::RetryAt(t) => {
                self.recorder.attempt_finished_us(tag, intended, outcome, attempt_us);
                let w = self.waiting.insert(IntentSlot {
                    intent: *intent,
                    service,
                    api,
                    priority,
                });
                self.push(t, Ev::Send { intent: w });
            }
        }
    }

    /// Stops the run: more requests are held at once than [`MAX_LIVE_ATTEMPTS`].
    #[cold]
    fn stop_crowded(&mut self) {
        if self.stopped.is_some() {
            return;
        }
        let queued: usize = self.gateways.iter().map(|g| g.queue_len()).sum();
        let now = self.now;
        let held = self.live_attempts;
        // Most of them queued: a backlog that grows. Otherwise the load itself holds that many
        // (a high rate times long service times or timeouts), which a run of it cannot avoid.
        let why = if queued * 2 > held {
            "a backlog the system is not draining, which a longer run only grows; a bounded or deadline strategy, abandon = \"cancel\", fewer retries or a shorter run avoid it"
        } else {
            "most of them in the backend or waiting for their clients, not queued: the load itself holds that many (its rate times its service times and timeouts); a lower rate, or shorter service times or timeouts, fit under the cap"
        };
        tracing::warn!(
            "at {now} the simulation held {held} requests at once ({queued} queued at the gateway), past the simulator's cap of {} (about a gigabyte): {why}. Stopping there: the results are marked incomplete and cover the run up to then",
            self.max_live_attempts
        );
        self.stopped = Some(format!(
            "stopped at {now}: {} requests held at once, the simulator's cap",
            self.live_attempts
        ));
    }

    /// Frees an attempt once both the client and the gateway are done with it.
    #[inline]
    fn release(&mut self, attempt: u32) {
        let a = &mut self.attempts.items[attempt as usize];
        if a.live && a.client_done && a.server_done {
            a.live = false;
            // Its job, if the backend still works on it, frees it when done (`on_backend_done`).
            if !a.in_backend {
                self.attempts.free.push(attempt);
            }
            self.live_attempts -= 1;
        }
    }

    /// Runs the gateway's decisions for `service`, then re-arms its timer. Inlined for its
    /// first check: most pumps after an arrival find nothing to decide and no timer to re-arm.
    #[inline(always)]
    fn pump(&mut self, service: u32) {
        let s = service as usize;
        let g = &self.gateways[s];
        if g.idle(self.now) && g.timerless() && self.timer_at[s].is_none() {
            return;
        }
        self.pump_decide(service);
    }

    /// [`Engine::pump`] when there may be something to decide or a timer to re-arm.
    #[inline(never)]
    fn pump_decide(&mut self, service: u32) {
        let now = self.now;
        let s = service as usize;
        while let Some(action) = self.gateways[s].poll(now) {
            match action {
                Action::Dispatch {
                    token: attempt,
                    queued_at,
                    ..
                } => {
                    self.recorder.queue_wait_us(now, latency_us(now, queued_at));
                    self.forward_to_backend(attempt);
                }
                Action::Answer {
                    token: attempt,
                    rejection,
                    waited,
                    ..
                } => {
                    self.recorder.queue_wait(now, waited);
                    self.attempts.items[attempt as usize].server_done = true;
                    self.respond(
                        attempt,
                        AttemptResult::Status {
                            status: rejection.reason.status(),
                            retry_after: rejection.retry_after,
                        },
                    );
                }
            }
        }
        if self.timer_at[s].is_none() && self.gateways[s].timerless() {
            // `poll_timeout` would answer `None` again: nothing to re-arm.
            return;
        }
        let next = self.gateways[s].poll_timeout();
        if next != self.timer_at[s] {
            self.timer_at[s] = next;
            self.timer_want[s] = next.map(|t| {
                self.seq += 1;
                (t.max(now), self.seq)
            });
            if let Some(want) = self.timer_want[s] {
                // A carrier that fires first re-arms for `want` (see `timer_carrier`).
                if self.timers_eager() || self.timer_carrier[s].is_none_or(|(t, seq, _)| (t, seq) >= want) {
                    self.push_timer(service, want);
                }
            }
        }
    }

    /// Puts the service's timer event in the heap under the key reserved for it.
    fn push_timer(&mut self, service: u32, (at, seq): (Time, u64)) {
        let s = service as usize;
        let id = self.timer_ids[s].wrapping_add(1);
        self.timer_ids[s] = id;
        self.heap.push(
            at,
            seq,
            Ev::GatewayTimer {
                service,
                generation: id,
            },
        );
        self.timer_carrier[s] = Some((at, seq, id));
    }

    /// A service's timer event: the policy's timer if it is the one asked for, or a carrier
    /// that re-arms for a later one; superseded events do nothing.
    fn on_gateway_timer(&mut self, service: u32, id: u32) {
        let s = service as usize;
        let Some((at, seq, carrier)) = self.timer_carrier[s] else {
            return;
        };
        if carrier != id {
            return;
        }
        self.timer_carrier[s] = None;
        match self.timer_want[s] {
            Some(want) if want == (at, seq) => {
                self.timer_want[s] = None;
                self.timer_at[s] = None;
                self.gateways[s].handle_timeout(self.now);
                self.pump(service);
            }
            Some(want) => self.push_timer(service, want),
            None => {}
        }
    }
}

/// Simulates `scenario` with `seed` (the scenario's own seed when `None`).
pub fn simulate(scenario: &Scenario, seed: Option<u64>) -> Results {
    simulate_counted(scenario, seed).0
}

/// Simulates for the summary alone: the windows carry counters and gauges but no latency
/// histograms (every summary figure is the same as [`simulate`]'s). Sweeps use it.
pub fn simulate_summary(scenario: &Scenario, seed: Option<u64>) -> Results {
    let seed = seed.unwrap_or(scenario.seed());
    let mut engine = Engine::new(scenario, seed);
    engine.recorder.keep_window_histograms(false);
    let (mut r, _) = engine.run();
    r.seed = seed;
    r
}

/// [`simulate`], calling `progress` with the virtual time now and then (every million or so
/// events): for a driver that shows how far a long run is.
pub fn simulate_with_progress(scenario: &Scenario, seed: Option<u64>, progress: &mut dyn FnMut(Time)) -> Results {
    let seed = seed.unwrap_or(scenario.seed());
    let mut engine = Engine::new(scenario, seed);
    engine.progress = Some(progress);
    let (mut r, _) = engine.run();
    r.seed = seed;
    r
}

/// Simulates and also returns the number of events processed (for benchmarks).
pub fn simulate_counted(scenario: &Scenario, seed: Option<u64>) -> (Results, u64) {
    let seed = seed.unwrap_or(scenario.seed());
    let (mut r, events) = Engine::new(scenario, seed).run();
    r.seed = seed;
    (r, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A closed loop whose users resend at once after instant 429s would send for ever: it
    /// stops at the intent cap, and the results say they are incomplete.
    /// A client that honours a rate limit's Retry-After gets its token at the end of the
    /// wait (rate 3/s, burst 1, arrivals at 0 and 1 ms): the wait was rounded to the nearest
    /// nanosecond, often just short of the token, and the retry got a wait of nothing, so every
    /// retry went at once and the intent failed (6 attempts, 5 refused, instead of 3 and 1).
    /// The backend's rate-limit fault draws from the same bucket.
    #[test]
    fn a_retry_after_a_rate_limits_wait_gets_its_token() {
        let text = |gateway: &str, faults: &str| {
            format!(
                "[run]\nwindow = \"1ms\"\nduration = \"2s\"\n[workload]\narrival = \"uniform\"\n\
                 [[workload.phases]]\nduration = \"2ms\"\nrate = 1000\n[clients]\ntimeout = \"1s\"\n\
                 [clients.retry]\nmax_attempts = 5\nbackoff = \"none\"\non = [\"429\"]\n{gateway}\
                 [[backend.services]]\nname = \"s\"\nworkers = 4\nservice_time = \"10ms\"\n{faults}"
            )
        };
        for t in [
            text("[gateway.rate_limit]\nrate = 3\nburst = 1\nper = \"global\"\n", ""),
            text(
                "[gateway.pushback]\nenabled = false\n",
                "[backend.services.faults]\nrate_limit = { rate = 3, burst = 1 }\n",
            ),
        ] {
            let r = simulate(&model::scenario::parse("t.toml", &t).expect("valid"), Some(1));
            let w = &r.summary.whole;
            assert_eq!((w.attempts, w.rate_limited, w.successes), (3, 1, 2), "{t}");
        }
    }

    /// The gateway retries a 502/503 of a request that may be sent twice, as the live one does:
    /// not a POST, which the service answering 503 may have carried out. The simulator retried
    /// every method (30,000 retries of POSTs where the live gateway made none).
    #[test]
    fn the_gateway_retries_only_requests_that_may_be_sent_twice() {
        let text = |method: &str| {
            format!(
                "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"5s\"\nrate = 200\n\
                 [clients]\ntimeout = \"1s\"\n[clients.request]\nmethod = \"{method}\"\n\
                 [gateway]\nconcurrency = 8\n[gateway.pushback]\nenabled = false\n\
                 [gateway.retries]\nenabled = true\nmax_attempts = 3\nbudget_ratio = 1.0\n\
                 [[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = \"20ms\"\noverload = \"reject\"\n"
            )
        };
        let retries = |method: &str| {
            let r = simulate(
                &model::scenario::parse("t.toml", &text(method)).expect("valid"),
                Some(1),
            );
            r.windows.iter().map(|w| w.counters.gateway_retries).sum::<u64>()
        };
        assert!(retries("GET") > 100, "GET: {}", retries("GET"));
        assert!(retries("PUT") > 100);
        assert_eq!(retries("POST"), 0);
        assert_eq!(retries("PATCH"), 0);
    }

    /// Adaptive LIFO under constant 2x overload (1 worker at 20 ms, an arrival every 10 ms,
    /// CoDel target 10 ms, interval 100 ms) stays newest-first while the queue stands: CoDel
    /// judged overload on the newest requests' waits, saw none every other interval, and served
    /// FIFO for one, the queue rebuilding to 7 (2 in newest-first intervals).
    #[test]
    fn adaptive_lifo_stays_newest_first_while_a_queue_stands() {
        let text = "[run]\nwindow = \"100ms\"\nduration = \"4s\"\n[workload]\narrival = \"uniform\"\n\
                    [[workload.phases]]\nduration = \"3s\"\nrate = 100\n[clients]\ntimeout = \"5s\"\n\
                    [gateway]\nstrategy = \"adaptive-lifo\"\nconcurrency = 1\n\
                    [gateway.codel]\ntarget = \"10ms\"\ninterval = \"100ms\"\n\
                    [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"20ms\"\n";
        let r = simulate(&model::scenario::parse("t.toml", text).expect("valid"), Some(1));
        // From the fourth window (overload seen) to the end of the arrivals.
        let depths: Vec<u64> = r.windows[3..30].iter().map(|w| w.gauges.queue_depth_max).collect();
        assert!(depths.iter().all(|&d| d <= 3), "queue depth max per window: {depths:?}");
    }

    /// Work the gateway gave up on (its upstream timeout) is wasted, as work the client gave up
    /// on is: the backend was told the gateway's deadline, not the client's later one. (In
    /// debug builds this also checks that no attempt's slot, which keeps its job, is reused
    /// while the backend still works on it: released when the gateway answers 504, or when
    /// the client had given up before.)
    #[test]
    fn work_past_the_upstream_timeout_is_wasted() {
        let run_with = |client: &str, upstream: &str| {
            let text = format!(
                "[run]\nduration = \"60s\"\nwindow = \"10s\"\n[[workload.phases]]\nduration = \"60s\"\nrate = 1\n\
                 [clients]\ntimeout = \"{client}\"\n[gateway]\nstrategy = \"fifo\"\nupstream_timeout = \"{upstream}\"\n\
                 [[backend.services]]\nname = \"a\"\nworkers = 100\nservice_time = \"40s\"\n"
            );
            simulate(&model::scenario::parse("t.toml", &text).expect("valid"), Some(1))
        };
        let run = |upstream: &str| run_with("60s", upstream);
        let gave_up = run("30s");
        let s = &gave_up.summary;
        assert!(s.whole.expired > 0 && s.whole.successes == 0, "{:?}", s.whole);
        assert!(s.backend_busy_s > 0.0);
        assert!(
            (s.wasted_s - s.backend_busy_s).abs() < 1e-9,
            "{} of {}",
            s.wasted_s,
            s.backend_busy_s
        );
        // A gateway that waits long enough gets every answer: nothing wasted.
        let waited = run("50s");
        assert_eq!(waited.summary.whole.successes, waited.summary.whole.offered);
        assert_eq!(waited.summary.wasted_s, 0.0);
        // Clients that give up first: every answer comes late, and all the work is wasted.
        let impatient = run_with("20s", "30s");
        let s = &impatient.summary;
        assert!(s.whole.timeouts > 0 && s.whole.successes == 0, "{:?}", s.whole);
        assert!(s.backend_busy_s > 0.0 && (s.wasted_s - s.backend_busy_s).abs() < 1e-9);
    }

    #[test]
    fn a_closed_loop_stops_at_the_intent_cap() {
        let s = model::scenario::parse(
            "t.toml",
            "[run]\nduration = \"1m\"\n[workload.closed]\nusers = 10\nthink_time = \"0s\"\n\
             [gateway.rate_limit]\nrate = 100\n[[backend.services]]\nname = \"a\"\nworkers = 4\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let mut engine = Engine::new(&s, 1);
        engine.max_closed_intents = 5_000;
        let (r, _) = engine.run();
        assert!(r.incomplete);
        assert_eq!(r.summary.whole.offered, 5_000);
        assert!(model::results::summary_table(&r).contains("[INCOMPLETE: stopped at the intent cap]"));
        // A loop that ends on its own is complete.
        let short = model::scenario::parse(
            "t.toml",
            "[run]\nduration = \"1s\"\n[workload.closed]\nusers = 2\nthink_time = \"100ms\"\n\
             [[backend.services]]\nname = \"a\"\nworkers = 4\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let (r, _) = Engine::new(&short, 1).run();
        assert!(!r.incomplete);
    }

    /// A think time longer than the run: the user who would send again (or first) past the end
    /// stops, so the run ends with its last answer and its windows stay within it. The clock
    /// went on a window at a time until the think time was over (1,000 windows for a 10 s run
    /// with `think_time = "1000s"`; with "10000000s" the run never finished).
    #[test]
    fn a_think_time_past_the_end_stops_the_user_not_the_clock() {
        for users in [1, 3] {
            for think in [
                "\"1000s\"",
                "\"10000000s\"",
                "{ dist = \"exponential\", mean = \"1000s\" }",
            ] {
                let s = model::scenario::parse(
                    "t.toml",
                    &format!(
                        "[run]\nduration = \"10s\"\n[workload.closed]\nusers = {users}\nthink_time = {think}\n\
                         [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n"
                    ),
                )
                .expect("valid");
                let (r, _) = Engine::new(&s, 1).run();
                assert!(!r.incomplete);
                assert!(
                    r.windows.len() <= 10,
                    "{} windows for a 10 s run ({think})",
                    r.windows.len()
                );
            }
        }
        // A user whose first send falls within the run sends it, then stops.
        let s = model::scenario::parse(
            "t.toml",
            "[run]\nduration = \"10s\"\n[workload.closed]\nusers = 1\nthink_time = \"6s\"\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let (r, _) = Engine::new(&s, 1).run();
        assert_eq!(r.summary.whole.offered, 1);
        assert!(r.windows.len() <= 10, "{} windows for a 10 s run", r.windows.len());
    }

    /// A run that ends too soon after its trigger (run.duration, as `loadgen run --duration`
    /// cuts it) is not judged, and each service's line says so with the reason, as the whole
    /// run's does: they ended after their amplification, with no verdict at all.
    #[test]
    fn services_not_judged_say_so_in_the_summary() {
        let s = model::scenario::parse(
            "t.toml",
            "[run]\nduration = \"17s\"\nwindow = \"1s\"\n\
             [[workload.phases]]\nduration = \"10s\"\nrate = 40\n\
             [[workload.phases]]\nduration = \"5s\"\nrate = 40\ntrigger = true\n\
             [[workload.phases]]\nduration = \"20s\"\nrate = 40\n\
             [[backend.services]]\nname = \"legacy\"\ncount = 2\nworkers = 4\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let r = crate::simulate(&s, Some(1));
        let table = model::results::summary_table(&r);
        let why = "the run ended 2s after its trigger; judging recovery takes 5s after the trigger";
        assert!(
            table.contains(&format!("  verdict       not judged: {why}\n")),
            "{table}"
        );
        for name in ["legacy-1", "legacy-2"] {
            let g = &r.summary.services[name];
            assert_eq!((g.verdict, g.verdict_reason.as_str()), (None, why), "{name}");
            let line = table
                .lines()
                .find(|l| l.contains(&format!(" {name} ")))
                .unwrap_or_else(|| panic!("a line for {name}: {table}"));
            assert!(line.ends_with(&format!("   not judged ({why})")), "{line}");
        }
    }

    /// An unbounded queue under an overload that never ends would grow until memory ran out:
    /// the run stops once more requests are held at once than the cap, says so in its
    /// results, and reports over the time it covered. A run that drains never reaches it.
    #[test]
    fn a_stopped_run_with_a_recovery_bound_reads_back() {
        // A burst, then 25/s against 20/s: the backlog grows until the cap stops the run, well
        // after the trigger, so the part that ran got a verdict ("overloaded").
        let s = model::scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"10s\"\nrate = 10\n\
             [[workload.phases]]\nduration = \"10s\"\nrate = 40\ntrigger = true\n\
             [[workload.phases]]\nduration = \"600s\"\nrate = 25\n\
             [clients]\ntimeout = \"1s\"\n[[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"100ms\"\n\
             [[thresholds]]\ncheck = \"recovery <= 30s\"\n",
        )
        .expect("valid");
        let mut engine = Engine::new(&s, 1);
        engine.max_live_attempts = 1_000;
        let (r, _) = engine.run();
        assert!(r.stopped.is_some() && r.summary.duration_s > 40.0, "{:?}", r.stopped);
        assert!(
            r.summary.whole.verdict_reason.contains("what ran read "),
            "{}",
            r.summary.whole.verdict_reason
        );
        // Judged on the summary as stored (no verdict), the bound says why; judged on the part
        // that ran ("never") beside a summary without a verdict, the file was refused as edited.
        let [recovery] = &r.thresholds[..] else {
            panic!("one threshold: {:?}", r.thresholds)
        };
        assert_eq!(
            (recovery.passed, recovery.missing.as_deref()),
            (false, Some(model::results::STOPPED_NOT_JUDGED)),
            "{recovery:?}"
        );
        if let Err(e) = model::results::Results::from_json("results.json", &r.to_json()) {
            panic!("the stopped run's results do not read back: {e}");
        }
    }

    #[test]
    fn a_run_that_never_drains_stops_at_the_cap_on_requests_held() {
        let text = |rate: u32| {
            format!(
                "[run]\nduration = \"600s\"\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"600s\"\nrate = {rate}\n\
                 [clients]\ntimeout = \"1s\"\n[[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"100ms\"\n\
                 [[thresholds]]\ncheck = \"amplification <= 1.5\"\n[[thresholds]]\ncheck = \"goodput_ratio >= 0.9\"\n"
            )
        };
        // 40/s against 20/s: the backlog grows by 20 requests a second.
        let over = model::scenario::parse("t.toml", &text(40)).expect("valid");
        let mut engine = Engine::new(&over, 1);
        engine.max_live_attempts = 1_000;
        let (r, _) = engine.run();
        assert!(r.incomplete);
        let why = r.stopped.clone().expect("the reason is kept");
        assert!(why.contains("1001 requests held at once"), "{why}");
        // About 50 s in (1,000 / 20 per second), not at the end of the 600 s.
        assert!(
            (40.0..60.0).contains(&r.summary.duration_s),
            "figures over {} s",
            r.summary.duration_s
        );
        assert!(
            r.windows.len() < 61,
            "{} windows for a run stopped near 50 s",
            r.windows.len()
        );
        let table = model::results::summary_table(&r);
        assert!(table.contains("[INCOMPLETE: stopped at "), "{table}");
        // The intents still waiting when it stopped count as not succeeded: it says how many.
        let w = &r.summary.whole;
        let unfinished = w.offered - w.successes - w.failures;
        assert!(unfinished > 0, "{w:?}");
        assert!(
            table.contains(&format!("  unfinished    {unfinished} intents had no final answer")),
            "{table}"
        );
        // No retries: amplification 1 held over the part that ran, which proves nothing of a
        // run that blew up, so it is not judged, and fails; goodput failed and stays failed.
        let [amplification, goodput] = &r.thresholds[..] else {
            panic!("two thresholds: {:?}", r.thresholds)
        };
        assert!(
            !amplification.passed && amplification.value.is_none(),
            "{amplification:?}"
        );
        assert_eq!(
            amplification.missing.as_deref(),
            Some(model::results::STOPPED_NOT_JUDGED)
        );
        assert!(!goodput.passed && goodput.value.is_some_and(|v| v < 0.9), "{goodput:?}");
        // Nor is the verdict judged over the part that ran (it read "overloaded"), as a
        // sweep's point of such a run reads `stopped`.
        assert_eq!(r.summary.whole.verdict, None);
        assert!(
            table.contains(
                "  verdict       not judged: the simulation stopped early, at its cap on requests held at once, at "
            ),
            "{table}"
        );
        assert!(
            table.contains("threshold     FAIL amplification <= 1.5  (value not judged: the simulation stopped early"),
            "{table}"
        );
        // 10/s drains: the same cap changes nothing.
        let under = model::scenario::parse("t.toml", &text(10)).expect("valid");
        let mut engine = Engine::new(&under, 1);
        engine.max_live_attempts = 1_000;
        let (capped, _) = engine.run();
        let (free, _) = Engine::new(&under, 1).run();
        assert!(!capped.incomplete && capped.stopped.is_none());
        assert!(capped.thresholds.iter().all(|t| t.passed), "{:?}", capped.thresholds);
        assert!(capped.to_json() == free.to_json());
    }

    /// The next arrival waits outside the heap ([`Engine::arrival_key`]): runs full of
    /// simultaneous events (evenly spaced arrivals, constant service times and timeouts that
    /// land on the same instants, retries) give the same results as with it in the heap.
    #[test]
    fn the_arrival_outside_the_heap_keeps_the_heaps_order() {
        let files = [
            // Arrivals every 100 ms, service 200 ms on 2 workers: completions on arrival instants.
            "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"20s\"\nrate = 10\n[workload]\narrival = \"uniform\"\n\
             [clients]\ntimeout = \"300ms\"\n[clients.retry]\nmax_attempts = 3\nbackoff = \"none\"\n[gateway]\nconcurrency = 2\n\
             [[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"200ms\"\n",
            // Overloaded: a queue, timeouts at the instants of arrivals and completions.
            "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"20s\"\nrate = 20\n[workload]\narrival = \"uniform\"\n\
             [clients]\ntimeout = \"500ms\"\n[clients.retry]\nmax_attempts = 2\nbackoff = \"none\"\n[gateway]\nconcurrency = 1\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"100ms\"\n",
        ];
        for (i, text) in files.iter().enumerate() {
            let s = model::scenario::parse("t.toml", text).expect("valid");
            for strategy in ["fifo", "bounded", "deadline", "codel", "adaptive-lifo", "adaptive"] {
                let mut f = s.file.clone();
                f.gateway.strategy = strategy.parse().expect("strategy");
                if strategy == "bounded" {
                    f.gateway.queue_capacity = Some(3);
                }
                let s = model::scenario::resolve(&s.source, f).expect("valid");
                let (outside, _) = Engine::new(&s, 3).run();
                let mut engine = Engine::new(&s, 3);
                engine.arrival_in_heap = true;
                let (inside, _) = engine.run();
                assert!(outside.summary.whole.attempts > 100, "file {i}");
                assert!(
                    outside.to_json() == inside.to_json(),
                    "file {i}, {strategy}: the results differ"
                );
            }
        }
    }

    /// With a constant client timeout the timeouts wait in a FIFO beside the heap
    /// ([`Engine::timeouts`]): runs where timeouts fall on the instants of other events give the
    /// same results as with every timeout in the heap. The deadline strategy expires a queued
    /// request at the very instant its client times out, and a backend's 429 pauses the queue
    /// (pushback) so that requests stay queued until then: the gateway's 504 comes first
    /// ([`Engine::timeout_seq`]). (Before, only the FIFO put it first: the same scenario with a
    /// timeout distribution ordered the tie the other way.)
    #[test]
    fn timeouts_come_last_at_their_instant_in_the_fifo_as_in_the_heap() {
        let ties = "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"20s\"\nrate = 20\n[workload]\narrival = \"uniform\"\n\
             [clients]\ntimeout = \"300ms\"\n[clients.retry]\nmax_attempts = 3\nbackoff = \"none\"\n[gateway]\nconcurrency = 1\n";
        let slow = "[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"100ms\"\n\
             [backend.services.faults]\nrate_limit = { rate = 8, burst = 2, retry_after = \"200ms\" }\n";
        for (strategy, extra) in [
            ("deadline", ""),
            ("fifo", ""),
            ("bounded", "queue_capacity = 20\nqueue_timeout = \"300ms\"\n"),
            ("codel", ""),
            ("adaptive-lifo", ""),
            ("adaptive", ""),
        ] {
            let text = format!("{ties}strategy = \"{strategy}\"\n{extra}{slow}");
            let s = model::scenario::parse("t.toml", &text).unwrap_or_else(|e| panic!("{strategy}: {e}"));
            let (fifo, _) = Engine::new(&s, 5).run();
            let mut engine = Engine::new(&s, 5);
            assert!(engine.timeout_list, "a constant timeout gets the FIFO");
            engine.timeout_list = false;
            let (heap, _) = engine.run();
            assert!(fifo.summary.whole.attempts > 500, "{strategy}");
            assert!(fifo.to_json() == heap.to_json(), "{strategy}: the results differ");
            let c = &fifo.summary.whole;
            if strategy == "deadline" {
                // Most failures are ties between an expiry and its client's timeout: 785
                // expired and 25 timeouts with the gateway first, 198 and 964 the other way.
                assert!(
                    c.expired > 4 * c.timeouts,
                    "{} expired, {} timeouts",
                    c.expired,
                    c.timeouts
                );
            }
        }
    }

    /// Timeouts that differ by service (`[clients.services.NAME]`) do not fire in send order (a
    /// later attempt to a 1 s service gives up before an earlier one to a 10 s service), so they
    /// take the heap; every service with the same constant timeout keeps the list, with the
    /// same results as the heap.
    #[test]
    fn per_service_timeouts_that_differ_take_the_heap() {
        let text = |own: &str| {
            format!(
                "[[workload.phases]]\nduration = \"10s\"\nrate = 20\n[clients]\ntimeout = \"1s\"\n{own}\
                 [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"150ms\"\n\
                 [[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"150ms\"\n"
            )
        };
        let parse = |t: &str| model::scenario::parse("t.toml", t).unwrap_or_else(|e| panic!("{e}"));
        let differ = parse(&text("[clients.services.b]\ntimeout = \"10s\"\n"));
        assert!(
            !Engine::new(&differ, 1).timeout_list,
            "timeouts that differ take the heap"
        );
        let same = parse(&text("[clients.services.b]\ntimeout = \"1000ms\"\n"));
        let (fifo, _) = Engine::new(&same, 1).run();
        let mut engine = Engine::new(&same, 1);
        assert!(engine.timeout_list, "one constant for every service keeps the list");
        engine.timeout_list = false;
        let (heap, _) = engine.run();
        assert!(fifo.summary.whole.timeouts > 10, "{:?}", fifo.summary.whole);
        assert!(fifo.to_json() == heap.to_json(), "the results differ");
    }

    /// A policy timer asked for later than the pending one re-arms when that one fires, under
    /// the key reserved when it was asked for (`timer_carrier`): the same results, byte for
    /// byte, as an event per change, for every strategy with timers (deadlines, queue timeouts,
    /// CoDel, adaptive limit updates, pushback pauses).
    #[test]
    fn lazily_armed_policy_timers_keep_the_order_of_an_event_per_change() {
        let base = "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"10s\"\nrate = 30\n\
             [[workload.phases]]\nduration = \"4s\"\nrate = 120\ntrigger = true\n[[workload.phases]]\nduration = \"10s\"\nrate = 30\n\
             [clients]\ntimeout = { dist = \"uniform\", min = \"300ms\", max = \"1s\" }\n[clients.retry]\nmax_attempts = 3\n\
             [gateway]\nconcurrency = 2\n";
        let backend = "[[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = { dist = \"exponential\", mean = \"40ms\" }\n\
             [backend.services.faults]\nrate_limit = { rate = 40, burst = 5, retry_after = \"500ms\" }\n";
        // Evenly spaced arrivals, constant times: deadlines, timeouts, completions and timers
        // fall on the same instants, where only the (time, seq) order decides.
        let ties = "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"20s\"\nrate = 20\n[workload]\narrival = \"uniform\"\n\
             [clients]\ntimeout = \"300ms\"\n[clients.retry]\nmax_attempts = 3\nbackoff = \"none\"\n[gateway]\nconcurrency = 1\n";
        let slow = "[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"100ms\"\n\
             [backend.services.faults]\nrate_limit = { rate = 8, burst = 2, retry_after = \"200ms\" }\n";
        for (base, backend) in [(base, backend), (ties, slow)] {
            for (strategy, extra) in [
                ("deadline", ""),
                ("bounded", "queue_capacity = 20\nqueue_timeout = \"200ms\"\n"),
                ("codel", ""),
                ("adaptive-lifo", ""),
                ("adaptive", ""),
            ] {
                let text = format!("{base}strategy = \"{strategy}\"\n{extra}{backend}");
                let s = model::scenario::parse("t.toml", &text).unwrap_or_else(|e| panic!("{strategy}: {e}"));
                let mut engine = Engine::new(&s, 5);
                engine.eager_timers = true;
                let (eager, eager_events) = engine.run();
                let (lazy, lazy_events) = Engine::new(&s, 5).run();
                assert!(lazy.summary.whole.attempts > 500, "{strategy}");
                assert!(
                    lazy_events <= eager_events,
                    "{strategy}: {lazy_events} > {eager_events}"
                );
                if strategy == "deadline" {
                    // The timer moves to the next deadline at every dispatch: fewer events.
                    assert!(lazy_events < eager_events, "{lazy_events} events, as many as eagerly");
                }
                assert!(lazy.to_json() == eager.to_json(), "{strategy}: the results differ");
            }
        }
    }

    /// Progress is reported in order, within the run, and changes nothing in the results.
    #[test]
    fn progress_is_reported_without_changing_the_run() {
        let s = model::scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1000s\"\n[[workload.phases]]\nduration = \"400000s\"\nrate = 1.6\n\
             [clients]\ntimeout = \"100000s\"\n[gateway]\nconcurrency = 2\n\
             [[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = { dist = \"exponential\", mean = \"1s\" }\n",
        )
        .expect("valid");
        let mut seen = Vec::new();
        let with = simulate_with_progress(&s, None, &mut |t| seen.push(t));
        let (without, events) = simulate_counted(&s, None);
        assert_eq!(
            seen.len() as u64,
            events / PROGRESS_EVENTS,
            "one call per {PROGRESS_EVENTS} events"
        );
        assert!(!seen.is_empty(), "{events} events");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
        assert!(seen
            .iter()
            .all(|t| *t <= Time::ZERO + s.duration + Duration::from_secs(100_000)));
        assert_eq!(with.to_json(), without.to_json());
    }
}
