//! The live driver of the model's gateway policies: one [`ServicePolicy`] per service behind a
//! mutex, the requests waiting for a decision, a timer task per service for `poll_timeout`,
//! and the forwarding of dispatched requests.
//!
//! A request dispatched the moment it arrives is forwarded by its own connection's task (no
//! task hand-off, no cross-thread wake per request); one dispatched later, from the queue, is
//! forwarded by a task of its own. Either way a forward runs to its end even if the client has
//! gone: with `keep` semantics a queued request whose client has left is still sent to the
//! service (a message queue does exactly that), and a service's answer frees its slot whether
//! or not anyone reads it. A client that leaves during an inline forward detaches it into a
//! task ([`Forward`]).

use crate::answers::{AnswerBudget, AnswerHold, AnswerLimits};
use crate::config::Setup;
use crate::h1::{H1Client, H1Error};
use crate::metrics::{Outcome, ServiceMetrics};
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, RETRY_AFTER};
use http::{Method, StatusCode};
use model::gateway::{Action, Admit, Arrival, Cancelled, PolicyConfig, Rejection, ServicePolicy, Ticket};
use model::{wire, Time};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

/// An upstream call that got no usable answer: the status the client gets (502, 504), why, and
/// whether the request never left the gateway (no connection), so resending it is safe.
struct UpstreamFailure {
    status: StatusCode,
    message: String,
    unsent: bool,
    /// The status the service answered with, when it did answer (the gateway had no room
    /// for the answer): what the policy is told, not the client's 503.
    service_status: Option<u16>,
    retry_after: Option<Duration>,
}

impl UpstreamFailure {
    fn bad_gateway(message: String, unsent: bool) -> UpstreamFailure {
        UpstreamFailure {
            status: StatusCode::BAD_GATEWAY,
            message,
            unsent,
            service_status: None,
            retry_after: None,
        }
    }
}

/// Largest upstream answer the gateway buffers.
const MAX_UPSTREAM_BODY: usize = 16 << 20;
/// Idle keep-alive connections kept per upstream.
const MAX_IDLE_UPSTREAM: usize = 1024;

/// A request read in full, ready to forward.
pub struct Buffered {
    pub method: Method,
    /// Parsed once on arrival; forwarding clones it (a reference count), never re-parses it.
    pub path_and_query: http::uri::PathAndQuery,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub request_id: String,
}

/// How a request was answered.
pub enum Delivery {
    Upstream {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        /// The body's share of the gateway's answer memory, until the answer is written.
        hold: crate::answers::AnswerHold,
        queue_wait: Duration,
    },
    Rejected {
        rejection: Rejection,
        waited: Duration,
    },
    Failed {
        status: StatusCode,
        message: String,
        queue_wait: Duration,
        /// For a 503 the gateway gives when it has no room for the service's answer.
        retry_after: Option<Duration>,
    },
}

struct Pending {
    req: Buffered,
    arrival: Arrival,
    attempts: u32,
    queue_wait: Duration,
    tx: oneshot::Sender<Delivery>,
    /// The request's current ticket, shared with its [`CancelGuard`]: a gateway retry queues
    /// under a new one, and a client that leaves then must cancel that one.
    ticket: Arc<std::sync::Mutex<Ticket>>,
}

/// The most requests a policy of `cfg` queues: its bound, or with priority classes each
/// class's bound (its own, else the shared one) added, as the policy admits them; `None` when
/// any queue is unbounded.
fn queue_capacity(cfg: &PolicyConfig) -> Option<u64> {
    let shared = cfg.queue_capacity;
    match &cfg.priorities {
        None => shared.map(u64::from),
        Some(p) => {
            let interactive = p.interactive_capacity.or(shared)?;
            let background = p.background_capacity.or(shared)?;
            Some(u64::from(interactive) + u64::from(background))
        }
    }
}

/// Sets the ticket a request is known by now (under the driver's lock).
fn set_ticket(current: &std::sync::Mutex<Ticket>, t: Ticket) {
    *current.lock().unwrap_or_else(|p| p.into_inner()) = t;
}

struct Inner {
    policy: ServicePolicy,
    pending: HashMap<Ticket, Pending>,
    next_wake: Option<Time>,
    /// The APIs (paths below the service) seen so far, numbered in order of first sight: what
    /// the policy keeps a per-API estimate by (`gateway.deadline_estimate = "api"`). At most
    /// [`model::gateway::MAX_API_ESTIMATES`] of at most [`MAX_API_KEY`] bytes; others share
    /// the service's estimate.
    api_ids: HashMap<Box<str>, u32>,
    /// Each request's queue wait since the last [`ServiceDriver::take_waits`], kept only once
    /// [`ServiceDriver::log_waits`] asked for them: an in-process load generator records them
    /// per request, as the simulator does (the metrics' buckets are too coarse for percentiles).
    /// Logged under the policy's lock as it decides, so a request is either in the log or
    /// still queued, never neither nor both ([`ServiceDriver::take_last_waits`]).
    wait_log: Option<Vec<LoggedWait>>,
}

/// A request's queue wait as the in-process load generator reads it: when it ended, so the
/// results put it (and a cancellation) in the window it happened in, not that of the sampler's
/// next tick, up to 50 ms of real time later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedWait {
    pub at: Instant,
    pub waited: Duration,
    /// Removed from the queue because its client left (`abandon = "cancel"`).
    pub cancelled: bool,
}

impl Inner {
    fn log_wait(&mut self, waited: Duration, cancelled: bool) {
        if let Some(l) = self.wait_log.as_mut() {
            l.push(LoggedWait {
                at: Instant::now(),
                waited,
                cancelled,
            });
        }
    }
}

/// The longest API path the gateway numbers (see `Inner::api_ids`): longer ones (no legacy
/// API is named so) would only let a client fill the table with long keys.
const MAX_API_KEY: usize = 256;

/// Where a request's API starts in its path (see [`ServiceDriver::offer`]): below the
/// service's first segment (`/svc/op/1` -> `/op/1`; `/svc` -> nothing), or all of it for a
/// catch-all service, whose paths name no service.
pub(crate) fn api_start(path: &str, catch_all: bool) -> usize {
    if catch_all {
        return 0;
    }
    let below = path.strip_prefix('/').map_or(0, |_| 1);
    path[below..].find('/').map_or(path.len(), |i| below + i)
}

impl Inner {
    /// The number of API `key`, numbering it if it is new and the table has room.
    fn api_id(&mut self, key: &str) -> u32 {
        if let Some(&id) = self.api_ids.get(key) {
            return id;
        }
        let next = self.api_ids.len() as u32;
        if next >= model::gateway::MAX_API_ESTIMATES || key.len() > MAX_API_KEY {
            return model::gateway::NO_API;
        }
        self.api_ids.insert(key.into(), next);
        next
    }
}

/// Shared by every service.
pub struct Shared {
    epoch: Instant,
    pub connect_timeout: Duration,
    pub upstream_timeout: Duration,
    pub shutting_down: AtomicBool,
    next_id: AtomicU64,
    /// The answer bytes held for clients, gateway-wide (see [`crate::answers`]).
    pub answers: Arc<AnswerBudget>,
    pub answer_limits: AnswerLimits,
}

impl Shared {
    pub fn new(setup: &Setup) -> Shared {
        Shared::with_answer_limits(setup, AnswerLimits::default())
    }

    pub fn with_answer_limits(setup: &Setup, answer_limits: AnswerLimits) -> Shared {
        Shared {
            epoch: Instant::now(),
            connect_timeout: setup.gateway.connect_timeout.0,
            upstream_timeout: setup.gateway.upstream_timeout.0,
            shutting_down: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            answers: AnswerBudget::new(answer_limits.memory),
            answer_limits,
        }
    }

    pub fn now(&self) -> Time {
        Time::from_duration(self.epoch.elapsed())
    }

    fn instant(&self, t: Time) -> Instant {
        self.epoch + Duration::from_nanos(t.0)
    }

    pub fn new_request_id(&self) -> String {
        format!("gw-{}", self.next_id.fetch_add(1, Ordering::Relaxed))
    }
}

/// One service: its policy and the requests it holds.
pub struct ServiceDriver {
    pub name: String,
    upstream: String,
    /// Pooled connections to the upstream, and the path prefix of its URL (no trailing `/`);
    /// `None` for a URL the client cannot use (config checks make that unreachable).
    client: Option<(H1Client, String)>,
    inner: Mutex<Inner>,
    wake: Notify,
    pub metrics: ServiceMetrics,
    shared: Arc<Shared>,
    /// The second (of model time) in which a failed upstream call was last logged, plus one
    /// (0: never): one warning per service per second, since a broken service fails every call
    /// and would flood the log at the request rate; /metrics counts them all.
    failure_logged_s: std::sync::atomic::AtomicU64,
}

/// The result of offering a request to a service.
pub enum Offer {
    /// Wait on this; the guard tells the policy if the client leaves first.
    Waiting(oneshot::Receiver<Delivery>, CancelGuard),
    /// Dispatched at once: run the forward, then the answer is on the receiver.
    Now(Forward, oneshot::Receiver<Delivery>, CancelGuard),
    Rejected(Rejection),
    /// Shutdown has begun: nothing new is admitted.
    ShuttingDown,
}

/// A dispatched request's call to its service, to run in the caller's task. Dropped before it
/// finished (the client left), it goes on in a task of its own: the service's answer must free
/// the slot, and `keep` semantics must not depend on where the call ran.
pub struct Forward {
    call: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Future for Forward {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(call) = self.call.as_mut() else {
            return Poll::Ready(());
        };
        let done = call.as_mut().poll(cx);
        if done.is_ready() {
            self.call = None;
        }
        done
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        if let Some(call) = self.call.take() {
            // Outside a runtime (it is shutting down) there is nothing left to answer.
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(call);
            }
        }
    }
}

/// Reports the client's departure to the policy when dropped before the answer arrived.
pub struct CancelGuard {
    driver: Arc<ServiceDriver>,
    /// The request's current ticket (see [`Pending::ticket`]).
    ticket: Option<Arc<std::sync::Mutex<Ticket>>>,
}

impl CancelGuard {
    pub fn disarm(&mut self) {
        self.ticket = None;
    }
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if let Some(current) = self.ticket.take() {
            let now = self.driver.shared.now();
            let removed = {
                let mut g = self.driver.lock();
                // Read under the driver's lock, which every change of ticket holds.
                let t = *current.lock().unwrap_or_else(|p| p.into_inner());
                match g.policy.handle_cancel(now, t) {
                    Cancelled::Removed { waited } => {
                        g.log_wait(waited, true);
                        g.pending.remove(&t).map(|_| waited)
                    }
                    _ => None,
                }
            };
            if let Some(waited) = removed {
                self.driver.metrics.count(Outcome::Cancelled);
                self.driver.metrics.queue_wait.observe(waited);
            }
        }
    }
}

impl ServiceDriver {
    pub fn new(name: String, upstream: String, policy: PolicyConfig, shared: Arc<Shared>) -> Arc<ServiceDriver> {
        let client = upstream.parse::<http::Uri>().ok().and_then(|u| {
            if u.scheme_str() != Some("http") {
                return None;
            }
            let (host, port) = crate::h1::host_port(&u)?;
            let prefix = u.path().trim_end_matches('/').to_string();
            Some((
                H1Client::for_host(host, port, MAX_IDLE_UPSTREAM, shared.connect_timeout),
                prefix,
            ))
        });
        let d = Arc::new(ServiceDriver {
            name,
            upstream,
            client,
            inner: Mutex::new(Inner {
                policy: ServicePolicy::new(policy),
                pending: HashMap::new(),
                next_wake: None,
                api_ids: HashMap::new(),
                wait_log: None,
            }),
            wake: Notify::new(),
            metrics: ServiceMetrics::default(),
            shared,
            failure_logged_s: std::sync::atomic::AtomicU64::new(0),
        });
        tokio::spawn(timer_loop(Arc::downgrade(&d)));
        d
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts keeping each request's queue wait for [`ServiceDriver::take_waits`].
    pub fn log_waits(&self) {
        self.lock().wait_log.get_or_insert_with(Vec::new);
    }

    /// The queue waits logged since the last call (dispatched, answered from the queue, or
    /// removed because its client left; not requests refused at the door, which never queued),
    /// oldest first.
    pub fn take_waits(&self) -> Vec<LoggedWait> {
        self.lock().wait_log.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// [`ServiceDriver::take_waits`] at the end of a run, with the waits so far of the
    /// requests still queued (kept after their clients left), as the simulator records them
    /// at its run's end: in one look, so each request counts once.
    pub fn take_last_waits(&self) -> Vec<LoggedWait> {
        let (now, at) = (self.shared.now(), Instant::now());
        let mut g = self.lock();
        let mut waits = g.wait_log.as_mut().map(std::mem::take).unwrap_or_default();
        waits.extend(g.policy.queued_waits(now).map(|waited| LoggedWait {
            at,
            waited,
            cancelled: false,
        }));
        waits
    }

    /// Gauges for /metrics.
    pub fn gauges(&self) -> crate::metrics::ServiceGauges {
        let g = self.lock();
        let s = g.policy.stats();
        crate::metrics::ServiceGauges {
            name: self.name.clone(),
            queue_depth: g.policy.queue_len(),
            in_flight: g.policy.in_flight(),
            limit: g.policy.limit(),
            queue_capacity: queue_capacity(g.policy.config()),
            pauses: s.pauses,
            retries: s.retries,
            cancelled: s.cancelled,
        }
    }

    /// A request arrives. If the policy dispatches it at once, the caller gets the call to run
    /// ([`Offer::Now`]).
    /// Offers a request to the service's policy. Its API is its path from byte `api_from` on
    /// (below the service's segment): what the policy keeps a per-API estimate by, when it
    /// keeps one.
    pub fn offer(self: &Arc<Self>, req: Buffered, mut arrival: Arrival, api_from: usize) -> Offer {
        let now = arrival.arrived;
        let (tx, rx) = oneshot::channel();
        let current = Arc::new(std::sync::Mutex::new(Ticket::NONE));
        let mut pending = Pending {
            req,
            arrival,
            attempts: 1,
            queue_wait: Duration::ZERO,
            tx,
            ticket: current.clone(),
        };
        // Admission, the shutdown check and the queued entry in one critical section: a drain
        // (or another task's pump answering the ticket) then either comes before, or finds the
        // request in `pending`; never between, where its answer would be lost.
        let mut g = self.lock();
        if self.shared.shutting_down.load(std::sync::atomic::Ordering::Relaxed) {
            return Offer::ShuttingDown;
        }
        if g.policy.config().per_api_estimate {
            arrival.api = g.api_id(pending.req.path_and_query.path().get(api_from..).unwrap_or(""));
            // The gateway's own retries of it are judged by the same API's times.
            pending.arrival.api = arrival.api;
        }
        match g.policy.handle_arrival(now, arrival) {
            Admit::Queued(t) => {
                set_ticket(&current, t);
                g.pending.insert(t, pending);
                drop(g);
                self.pump(now);
                Offer::Waiting(
                    rx,
                    CancelGuard {
                        driver: self.clone(),
                        ticket: Some(current),
                    },
                )
            }
            Admit::Rejected(r) => {
                drop(g);
                // Never queued: no wait to observe (zeros here read as short waits exactly
                // when the gateway sheds), as the simulator records none.
                self.metrics.count(Outcome::from_rejection(&r));
                Offer::Rejected(r)
            }
            Admit::Dispatch(t) => {
                set_ticket(&current, t);
                g.log_wait(Duration::ZERO, false);
                drop(g);
                self.metrics.queue_wait.observe(Duration::ZERO);
                self.pump(now);
                let call = Box::pin(self.clone().forward(t, pending));
                let guard = CancelGuard {
                    driver: self.clone(),
                    ticket: Some(current),
                };
                Offer::Now(Forward { call: Some(call) }, rx, guard)
            }
        }
    }

    /// Runs the policy's decisions after an event, then re-arms the timer.
    fn pump(self: &Arc<Self>, now: Time) {
        let mut dispatch = Vec::new();
        let mut answers = Vec::new();
        let changed = {
            let mut g = self.lock();
            while let Some(a) = g.policy.poll(now) {
                match a {
                    Action::Dispatch { ticket, queued_at, .. } => {
                        if let Some(mut p) = g.pending.remove(&ticket) {
                            let waited = now.saturating_since(queued_at);
                            p.queue_wait = waited;
                            g.log_wait(waited, false);
                            dispatch.push((ticket, p));
                        }
                    }
                    Action::Answer {
                        ticket,
                        rejection,
                        waited,
                        ..
                    } => {
                        if let Some(p) = g.pending.remove(&ticket) {
                            g.log_wait(waited, false);
                            answers.push((p, rejection, waited));
                        }
                    }
                }
            }
            let next = g.policy.poll_timeout();
            // The timer task re-reads `next_wake` each time it wakes, and an early wake is
            // harmless (the policy's timer callback checks the time): wake it only for an
            // earlier time, not every time the deadline strategy's timer moves on to the next
            // request's deadline (every dispatch).
            let earlier = next.is_some_and(|n| g.next_wake.is_none_or(|o| n < o));
            g.next_wake = next;
            earlier
        };
        if changed {
            self.wake.notify_one();
        }
        for (p, rejection, waited) in answers {
            self.metrics.queue_wait.observe(waited);
            self.metrics.count(Outcome::from_rejection(&rejection));
            let _ = p.tx.send(Delivery::Rejected { rejection, waited });
        }
        for (t, p) in dispatch {
            self.metrics.queue_wait.observe(p.queue_wait);
            self.clone().spawn_forward(t, p);
        }
    }

    fn spawn_forward(self: Arc<Self>, ticket: Ticket, p: Pending) {
        tokio::spawn(async move { self.forward(ticket, p).await });
    }

    async fn forward(self: Arc<Self>, mut ticket: Ticket, mut p: Pending) {
        loop {
            let sent = self.shared.now();
            let result = self.send_upstream(&p, sent).await;
            let now = self.shared.now();
            let (status, retry_after) = match &result {
                Ok((s, h, _, _)) => (
                    s.as_u16(),
                    // Either form of Retry-After: seconds, or an HTTP date (read against the
                    // wall clock, as the service wrote it).
                    wire::parse_retry_after_at(
                        header(h, RETRY_AFTER.as_str()),
                        header(h, wire::RETRY_AFTER_MS),
                        std::time::SystemTime::now(),
                    ),
                ),
                // An answer the gateway had no room for is the service's answer all the same:
                // a healthy service is neither paused nor retried for the gateway's memory.
                Err(f) => (f.service_status.unwrap_or(f.status.as_u16()), None),
            };
            // A request that may have reached the service is sent again only if doing it twice
            // is harmless: a POST whose connection broke after it was written, or that the
            // service answered 502/503, may have been carried out (as nginx's
            // `proxy_next_upstream` without `non_idempotent`). One that never left is safe.
            let resendable = crate::h1::is_idempotent(&p.req.method) || matches!(&result, Err(f) if f.unsent);
            let retry = {
                let mut g = self.lock();
                g.policy.handle_complete(now, ticket, status, retry_after);
                // A retry is a new upstream call: none once shutdown has begun, which lets
                // in-flight calls finish but starts nothing (the client gets the upstream's
                // answer). Read under the lock `drain` takes, and a queued retry is recorded in
                // the same critical section, so a drain either comes first (no retry) or sees it.
                let draining = self.shared.shutting_down.load(std::sync::atomic::Ordering::Relaxed);
                if matches!(status, 502 | 503) && resendable && !draining && g.policy.allow_retry(now, p.attempts) {
                    p.attempts += 1;
                    match g.policy.handle_retry(now, p.arrival) {
                        Admit::Queued(t) => {
                            set_ticket(&p.ticket, t);
                            g.pending.insert(t, p);
                            drop(g);
                            self.pump(now);
                            return;
                        }
                        Admit::Dispatch(t) => {
                            set_ticket(&p.ticket, t);
                            Some(Admit::Dispatch(t))
                        }
                        admit => Some(admit),
                    }
                } else {
                    None
                }
            };
            // Dispatched at once: call again. Rejected, or no retry: answer the client.
            if let Some(Admit::Dispatch(t)) = retry {
                ticket = t;
                self.pump(now);
                continue;
            }
            let queue_wait = p.queue_wait;
            let delivery = match result {
                Ok((status, headers, body, hold)) => {
                    self.metrics.count(Outcome::of_upstream(status.as_u16()));
                    Delivery::Upstream {
                        status,
                        headers,
                        body,
                        hold,
                        queue_wait,
                    }
                }
                Err(UpstreamFailure {
                    status,
                    message,
                    retry_after,
                    ..
                }) => {
                    self.log_failure(now, status, &message);
                    self.metrics.count(Outcome::of_failure(status));
                    Delivery::Failed {
                        status,
                        message,
                        queue_wait,
                        retry_after,
                    }
                }
            };
            // The client may have gone: the answer is dropped, the slot is free all the same.
            let _ = p.tx.send(delivery);
            self.pump(now);
            return;
        }
    }

    /// Logs a failed upstream call (the client gets `status`), at most once a second: the
    /// log says why the gateway answers 502 or 504, where /metrics only counts them.
    fn log_failure(&self, now: Time, status: StatusCode, message: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        let second = now.0 / 1_000_000_000 + 1;
        // fetch_max: a call that read `now` just before a later one cannot set the second back.
        if self.failure_logged_s.fetch_max(second, Relaxed) < second {
            tracing::warn!(
                "{} to the client: {message} (one such line per second per service; /metrics counts every one)",
                status.as_u16()
            );
        }
    }

    #[allow(clippy::type_complexity)]
    async fn send_upstream(
        &self,
        p: &Pending,
        now: Time,
    ) -> Result<(StatusCode, HeaderMap, Bytes, AnswerHold), UpstreamFailure> {
        let Some((client, prefix)) = &self.client else {
            return Err(UpstreamFailure::bad_gateway(
                format!(
                    "service `{}`: the upstream `{}` is not an http:// URL",
                    self.name, self.upstream
                ),
                true,
            ));
        };
        let mut path = String::with_capacity(prefix.len() + p.req.path_and_query.as_str().len());
        path.push_str(prefix);
        path.push_str(p.req.path_and_query.as_str());
        let mut req = client.request(p.req.method.as_str(), &path, 512);
        // The client's headers, less what must not pass and what the gateway sets itself.
        // Hop-by-hop headers were stripped on admission (`handler::admit`), before the gateway
        // added its Via and X-Forwarded-For.
        for (name, value) in &p.req.headers {
            let n = name.as_str();
            // `Expect: 100-continue` was the client's to the gateway, which has read the whole
            // body: the request goes with it, and the service has nothing to wait for.
            let continued = n == "expect" && value.as_bytes().trim_ascii().eq_ignore_ascii_case(b"100-continue");
            let ours =
                n == wire::REQUEST_ID || n == wire::TIMEOUT_MS || n == "host" || n == "content-length" || continued;
            if ours {
                continue;
            }
            crate::h1::push_header(&mut req, n, value.as_bytes());
        }
        crate::h1::push_header(&mut req, wire::REQUEST_ID, p.req.request_id.as_bytes());
        {
            // The service's caller is the gateway, which waits for it at most the upstream
            // timeout: the budget passed on is the client's remaining one capped at that, so
            // work the gateway gave up on counts as wasted (the simulator's backend is told the
            // same deadline).
            use std::io::Write as _;
            // At most what the header may carry: an `upstream_timeout` (or `default_timeout`)
            // past a day is no practical limit, and was sent as is, which a service refuses
            // (mock-legacy answered 400 to every such request).
            let cap = self.shared.upstream_timeout.min(wire::MAX_TIMEOUT);
            let budget = p.arrival.deadline.map_or(cap, |d| d.saturating_since(now).min(cap));
            let _ = write!(req, "{}: {}\r\n", wire::TIMEOUT_MS, wire::timeout_ms(budget));
        }
        let call = async {
            let mut hold = self.shared.answers.hold();
            let charge = crate::h1::Charge {
                hold: &mut hold,
                wait: self.shared.answer_limits.wait,
            };
            let sent = client
                .send_charged(&p.req.method, req, &p.req.body, MAX_UPSTREAM_BODY, Some(charge))
                .await;
            let r = sent.map_err(|e| {
                    if let H1Error::NoRoom(status) = e {
                        let answers = &self.shared.answers;
                        answers.refused.fetch_add(1, Ordering::Relaxed);
                        let service_status = (status != 0).then_some(status);
                        // Larger than the whole memory: sending it again cannot help, so no
                        // Retry-After invites the client to.
                        if let Some(bytes) = hold.never_fits() {
                            return UpstreamFailure {
                                status: StatusCode::SERVICE_UNAVAILABLE,
                                message: format!(
                                    "service `{}` answered, but its answer ({bytes} bytes at least) is larger than all the memory the gateway has for answers ({} bytes, --answer-memory): it can never be held, however often it is asked for",
                                    self.name,
                                    answers.limit()
                                ),
                                unsent: false,
                                service_status,
                                retry_after: None,
                            };
                        }
                        return UpstreamFailure {
                            status: StatusCode::SERVICE_UNAVAILABLE,
                            message: format!(
                                "service `{}` answered, but the gateway has no room for its answer: it holds {} bytes of answers for their clients, of at most {} (--answer-memory); send again later",
                                self.name,
                                answers.held(),
                                answers.limit()
                            ),
                            unsent: false,
                            service_status,
                            retry_after: Some(crate::answers::RETRY_AFTER),
                        };
                    }
                    let what = match e {
                        H1Error::Connect(_) => "cannot connect to",
                        H1Error::Malformed(_) | H1Error::TooLarge(_) => "got an unreadable answer from",
                        _ => "failed talking to",
                    };
                    UpstreamFailure::bad_gateway(
                        format!("{what} service `{}` at {}: {e}", self.name, self.upstream),
                        matches!(e, H1Error::Connect(_)),
                    )
                })?;
            let status = StatusCode::from_u16(r.status).map_err(|_| {
                UpstreamFailure::bad_gateway(
                    format!("service `{}` answered with status {}", self.name, r.status),
                    false,
                )
            })?;
            Ok((status, r.headers, r.body, hold))
        };
        match tokio::time::timeout(self.shared.upstream_timeout, call).await {
            Ok(r) => r,
            Err(_) => Err(UpstreamFailure {
                status: StatusCode::GATEWAY_TIMEOUT,
                message: format!(
                    "service `{}` did not answer within the upstream timeout ({:?})",
                    self.name, self.shared.upstream_timeout
                ),
                unsent: false,
                service_status: None,
                retry_after: None,
            }),
        }
    }

    /// Shutdown: answer everything still queued with 503.
    pub fn drain(&self) {
        let now = self.shared.now();
        let answers: Vec<_> = {
            let mut g = self.lock();
            let actions = g.policy.drain(now);
            actions
                .into_iter()
                .filter_map(|a| match a {
                    Action::Answer {
                        ticket,
                        rejection,
                        waited,
                        ..
                    } => g.pending.remove(&ticket).map(|p| (p, rejection, waited)),
                    Action::Dispatch { .. } => None,
                })
                .collect()
        };
        for (p, rejection, waited) in answers {
            self.metrics.count(Outcome::Shed);
            let _ = p.tx.send(Delivery::Rejected { rejection, waited });
        }
    }
}

impl Outcome {
    /// A failed upstream call's outcome, by the status the client gets.
    fn of_failure(status: StatusCode) -> Outcome {
        match status {
            StatusCode::BAD_GATEWAY => Outcome::BadGateway,
            StatusCode::SERVICE_UNAVAILABLE => Outcome::Shed,
            _ => Outcome::UpstreamTimeout,
        }
    }

    fn from_rejection(r: &Rejection) -> Outcome {
        if r.reason.status() == 504 {
            Outcome::Expired
        } else {
            Outcome::Shed
        }
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The headers a `Connection` header names: hop-by-hop for this connection only.
fn connection_named(h: &HeaderMap) -> Vec<HeaderName> {
    h.get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect()
}

/// Removes the hop-by-hop headers (RFC 9110 7.6.1), including those `Connection` names.
pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    for n in connection_named(h) {
        h.remove(n);
    }
    let hop: Vec<HeaderName> = h.keys().filter(|k| is_hop_by_hop(k)).cloned().collect();
    for n in hop {
        h.remove(n);
    }
}

pub fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "proxy-connection"
    )
}

/// Wakes a service's policy at its `poll_timeout` (queue timeouts, pauses, limit updates).
/// Holds the driver only for one wait, so the task ends soon after the gateway is dropped.
async fn timer_loop(d: std::sync::Weak<ServiceDriver>) {
    loop {
        let Some(driver) = d.upgrade() else { return };
        let at = driver.lock().next_wake.map(|t| driver.shared.instant(t));
        let until = at.unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            _ = tokio::time::sleep_until(until.into()) => {
                if at.is_none() {
                    continue;
                }
            }
            _ = driver.wake.notified() => continue,
        }
        let now = driver.shared.now();
        driver.lock().policy.handle_timeout(now);
        driver.pump(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::HeaderValue;

    #[test]
    fn the_api_is_the_path_below_the_service() {
        let api = |p: &'static str, all| &p[api_start(p, all)..];
        assert_eq!(api("/svc/op", false), "/op");
        assert_eq!(api("/svc/op/1", false), "/op/1");
        assert_eq!(api("/svc", false), "");
        assert_eq!(api("/svc/", false), "/");
        assert_eq!(api("//svc/op", false), "/svc/op");
        assert_eq!(api("/", false), "");
        assert_eq!(api("/any/path", true), "/any/path");
    }

    /// The table numbers the first MAX_API_ESTIMATES short paths and no more: a client
    /// sending endless distinct paths (ids in them, or an attack) cannot grow it.
    #[test]
    fn api_numbers_are_bounded_in_count_and_key_length() {
        let g = model::scenario::GatewayConfig {
            strategy: model::scenario::Strategy::Deadline,
            ..Default::default()
        };
        let mut inner = Inner {
            policy: ServicePolicy::new(model::gateway::PolicyConfig::for_service(&g, 1)),
            pending: HashMap::new(),
            next_wake: None,
            api_ids: HashMap::new(),
            wait_log: None,
        };
        assert_eq!(inner.api_id("/a"), 0);
        assert_eq!(inner.api_id("/b"), 1);
        assert_eq!(inner.api_id("/a"), 0, "a path keeps its number");
        let long = "x".repeat(MAX_API_KEY + 1);
        assert_eq!(inner.api_id(&long), model::gateway::NO_API);
        assert_eq!(inner.api_id(&long[..MAX_API_KEY]), 2);
        for i in 3..model::gateway::MAX_API_ESTIMATES {
            assert_eq!(inner.api_id(&format!("/p{i}")), i);
        }
        assert_eq!(inner.api_id("/one-too-many"), model::gateway::NO_API);
        assert_eq!(inner.api_id("/b"), 1, "known paths keep theirs");
        assert_eq!(inner.api_ids.len(), model::gateway::MAX_API_ESTIMATES as usize);
    }

    /// The budget cap is the most the header's readers accept, to the millisecond.
    #[test]
    fn the_wire_budget_cap_is_what_the_header_accepts() {
        let most = wire::timeout_ms(wire::MAX_TIMEOUT).to_string();
        assert_eq!(wire::parse_timeout_ms(&most), Ok(wire::MAX_TIMEOUT));
        let past = wire::timeout_ms(wire::MAX_TIMEOUT + Duration::from_millis(1)).to_string();
        assert!(wire::parse_timeout_ms(&past).is_err(), "{past}");
    }

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_stripped() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("keep-alive, x-trace-hop"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-trace-hop", HeaderValue::from_static("1"));
        h.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        h.insert("x-spillway-request-id", HeaderValue::from_static("r1"));
        h.append("accept", HeaderValue::from_static("a"));
        h.append("accept", HeaderValue::from_static("b"));
        strip_hop_by_hop(&mut h);
        let mut left: Vec<_> = h.keys().map(|k| k.as_str().to_string()).collect();
        left.sort();
        assert_eq!(left, ["accept", "x-spillway-request-id"]);
        assert_eq!(
            h.get_all("accept").iter().count(),
            2,
            "repeated end-to-end headers kept"
        );
    }
}
