//! The live driver of the backend model: one [`ServiceModel`] per service behind a mutex, the
//! callers waiting for their completions, and the jobs running on the precise timer.
//!
//! A job runs in its own task, independent of the connection that brought it: a legacy server
//! finishes what it started even when the client has gone, and that is the wasted work
//! spillway measures.

use crate::timer::PreciseTimer;
use model::backend::{Admission, BackendRequest, Completion, Job, Reply, ServiceModel, ServiceStats};
use model::rng::Streams;
use model::scenario::Scenario;
use model::Time;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

struct Inner {
    model: ServiceModel,
    waiters: HashMap<u64, oneshot::Sender<Completion>>,
    /// The jobs on a worker by (modelled end, request number): completed in that order when
    /// due, by their timer or by an arrival that finds them due ([`Inner::settle`]).
    running: BTreeMap<(Time, u64), Job>,
    /// Jobs finished since the last [`Service::take_completions`], kept only once
    /// [`Service::log_completions`] asked for them: (model time finished, busy, wasted).
    done: Option<Vec<(Time, Duration, bool)>>,
}

/// One legacy service.
pub struct Service {
    pub name: String,
    pub workers: u32,
    apis: HashMap<String, usize>,
    inner: Mutex<Inner>,
}

/// What a caller gets back for a request.
pub enum Answer {
    Done(Completion),
    Rejected(Reply),
    /// The server is shutting down or the job was lost.
    Gone,
}

/// All services plus the clock mapping.
pub struct Backend {
    pub services: Vec<Arc<Service>>,
    by_name: HashMap<String, usize>,
    /// Every path goes to the first service (one-liner mode).
    pub catch_all: bool,
    /// Model time 0 is `base` plus `offset_ns` (see [`Backend::start_clock_at`]).
    base: Instant,
    offset_ns: AtomicU64,
    /// The time scale it was started at (the bits of an f64; 1 until said), for `/healthz`.
    time_scale: AtomicU64,
    timer: PreciseTimer,
    next_id: AtomicU64,
    /// The backend model's own request numbers, apart from `next_id`: sharing it made the
    /// `x-request-id`s of successive requests go up by two.
    next_job: AtomicU64,
    pub not_found: AtomicU64,
    /// Requests refused as malformed, by the handler or by the HTTP layer (shared with the
    /// server, see [`crate::serve::spawn_counting`]).
    pub bad_requests: Arc<AtomicU64>,
    /// Shutting down ([`Backend::close`]): a request for a service gets 503 at once.
    closing: AtomicBool,
}

impl Service {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock would be a bug in the model; keep serving regardless.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn api_index(&self, api: &str) -> Option<usize> {
        self.apis.get(api).copied()
    }

    /// Its APIs as a 404 names them: the only one, or `first .. last (N APIs)`. Read under the
    /// lock without copying the list: a service may have 100,000 APIs, and a copy per 404 (5 to
    /// 18 ms) held up its requests, which wait for the same lock.
    pub fn api_range(&self) -> String {
        let (first, last, n) = {
            let g = self.lock();
            let apis = &g.model.spec().apis;
            (apis.first().cloned(), apis.last().cloned(), apis.len())
        };
        match (first, last) {
            (Some(one), _) if n == 1 => one,
            (Some(first), Some(last)) => format!("{first} .. {last} ({n} APIs)"),
            _ => String::new(),
        }
    }

    pub fn api_name(&self, api: usize) -> String {
        self.lock().model.spec().apis.get(api).cloned().unwrap_or_default()
    }

    /// In thrash mode, the most requests it serves at once (`overload.max_in_flight`): a thrash
    /// service has no worker limit, so this is what its overload 503 is about.
    pub fn max_in_flight(&self) -> Option<u32> {
        match self.lock().model.spec().overload {
            model::scenario::Overload::Thrash { max_in_flight, .. } => max_in_flight,
            _ => None,
        }
    }

    /// Starts keeping each finished job for [`Service::take_completions`]: an in-process load
    /// generator records them per job, as the simulator does, so its windows hold the work where
    /// it was done (the counters only grow when a job ends: a hang's wasted work would land in
    /// one window, more than the workers could do in it).
    pub fn log_completions(&self) {
        self.lock().done.get_or_insert_with(Vec::new);
    }

    /// The jobs finished since the last call, oldest first: (model time, busy, wasted).
    pub fn take_completions(&self) -> Vec<(Time, Duration, bool)> {
        self.lock().done.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Counters, requests on a worker and backlog at `now` (model time): busy seconds include
    /// the time so far of the jobs still running.
    pub fn stats(&self, now: Time) -> (ServiceStats, u32, usize) {
        let g = self.lock();
        let mut st = g.model.stats();
        // Each running job up to its own end: one past it whose timer has not run yet counts
        // no more than it will once completed, so the counter never goes back.
        st.busy_seconds = g.model.busy_seconds_at(now, g.running.values());
        (st, g.model.busy(), g.model.backlog_len())
    }
}

impl Inner {
    fn new(model: ServiceModel) -> Inner {
        Inner {
            model,
            waiters: HashMap::new(),
            running: BTreeMap::new(),
            done: None,
        }
    }

    /// Completes every job whose modelled end is at or before `upto`, in the order of their
    /// ends, each at its own end, as the timer does: the completion is logged, its caller
    /// answered, and the freed worker takes the next backlogged request (itself completed here
    /// if it is due by `upto` too). Returns the ends of the jobs it started that still run:
    /// each needs a timer.
    ///
    /// The timer calls it when it wakes, and so does an arrival before the model sees it: a
    /// timer that woke late (a busy host) left the worker busy past its job's end, and a
    /// `reject` service refused requests that the simulator, whose completions come on time,
    /// admitted (8% more 503s at 2 ms service times).
    fn settle(&mut self, upto: Time) -> Vec<Time> {
        let mut started = Vec::new();
        while let Some(due) = self.running.first_entry() {
            if due.key().0 > upto {
                break;
            }
            let job = due.remove();
            // The job ends at its model time, not at the wake-up's (late by the host's
            // scheduling): a worker that woke late starts its next backlogged job where the
            // last one ended, so the service delivers workers / service time, not less by
            // every wake-up's delay (a busy 2-core host delivered 96.7 of 100 req/s).
            let now = job.completes_at;
            let (done, next) = self.model.handle_complete(now, job);
            if let Some(log) = self.done.as_mut() {
                log.push((now, done.busy, done.wasted));
            }
            if let Some(w) = self.waiters.remove(&done.request.id) {
                // The caller may have gone: the work is done anyway (and maybe wasted).
                let _ = w.send(done);
            }
            if let Some(n) = next {
                self.running.insert((n.completes_at, n.request.id), n);
                started.push(n.completes_at);
            }
        }
        started.retain(|&end| end > upto);
        started
    }

    /// A request arrives at `now`: first the jobs due by then are completed ([`Inner::settle`]),
    /// then the model admits, queues or refuses it; `done` gets its completion. Returns the
    /// ends of the jobs started (settled backlog and the request itself), each needing a
    /// timer, and the refusal if it was refused.
    fn arrive(
        &mut self,
        now: Time,
        req: BackendRequest,
        done: oneshot::Sender<Completion>,
    ) -> (Vec<Time>, Option<Reply>) {
        let mut timers = self.settle(now);
        match self.model.handle_request(now, req) {
            Admission::Rejected(reply) => return (timers, Some(reply)),
            Admission::Started(job) => {
                self.running.insert((job.completes_at, req.id), job);
                timers.push(job.completes_at);
            }
            Admission::Queued => {}
        }
        self.waiters.insert(req.id, done);
        (timers, None)
    }
}

impl Backend {
    pub fn new(scenario: &Scenario, catch_all: bool) -> std::io::Result<Arc<Backend>> {
        let streams = Streams::new(scenario.seed());
        let services: Vec<Arc<Service>> = scenario
            .services
            .iter()
            .map(|spec| {
                Arc::new(Service {
                    name: spec.name.clone(),
                    workers: spec.workers,
                    apis: spec.apis.iter().enumerate().map(|(i, a)| (a.clone(), i)).collect(),
                    inner: Mutex::new(Inner::new(ServiceModel::new(spec.clone(), &streams))),
                })
            })
            .collect();
        let by_name = services.iter().enumerate().map(|(i, s)| (s.name.clone(), i)).collect();
        Ok(Arc::new(Backend {
            services,
            by_name,
            catch_all,
            base: Instant::now(),
            offset_ns: AtomicU64::new(0),
            time_scale: AtomicU64::new(1f64.to_bits()),
            timer: PreciseTimer::new()?,
            next_id: AtomicU64::new(1),
            next_job: AtomicU64::new(1),
            not_found: AtomicU64::new(0),
            bad_requests: Arc::new(AtomicU64::new(0)),
            closing: AtomicBool::new(false),
        }))
    }

    pub fn service(&self, name: &str) -> Option<&Arc<Service>> {
        self.by_name.get(name).map(|i| &self.services[*i])
    }

    /// A request id for callers that sent none.
    /// The time scale its scenario was compressed by (its `/healthz` says it).
    pub fn set_time_scale(&self, factor: f64) {
        self.time_scale.store(factor.to_bits(), Ordering::Relaxed);
    }

    pub fn time_scale(&self) -> f64 {
        f64::from_bits(self.time_scale.load(Ordering::Relaxed))
    }

    pub fn new_request_id(&self) -> String {
        format!("ml-{}", self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Model time now (0 until the clock starts, if it starts later).
    pub fn now(&self) -> Time {
        Time::from_duration(self.base.elapsed().saturating_sub(self.offset()))
    }

    fn offset(&self) -> Duration {
        Duration::from_nanos(self.offset_ns.load(Ordering::Relaxed))
    }

    fn instant(&self, t: Time) -> Instant {
        self.base + self.offset() + Duration::from_nanos(t.0)
    }

    /// Makes `epoch` model time 0: fault times (outages, stalls) then count from it. The clock
    /// otherwise starts with the server; a load generator that starts the server in-process
    /// calls this with its own start, so an outage at 60 s comes 60 s into the load, as in the
    /// simulator. Call it before the first request.
    pub fn start_clock_at(&self, epoch: Instant) {
        let ns = epoch.saturating_duration_since(self.base).as_nanos();
        self.offset_ns
            .store(u64::try_from(ns).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// Shutting down: requests waiting in a backlog, and any that come after, are answered 503
    /// ("server shutting down") at once; those on a worker finish within the drain timeout.
    pub fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
        for svc in &self.services {
            let mut g = svc.lock();
            for r in g.model.take_backlog() {
                // Dropping its sender answers the waiting call `Gone`.
                g.waiters.remove(&r.id);
            }
        }
    }

    /// Serves one request: admission, waiting in the backlog, the work itself. `deadline`: when
    /// its caller stops waiting (model time), its budget from its arrival (before its body).
    pub async fn call(self: &Arc<Self>, svc: &Arc<Service>, api: usize, deadline: Option<Time>) -> Answer {
        let id = self.next_job.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        let (timers, refused) = {
            let mut g = svc.lock();
            // Read under the service's lock: `close` empties the backlog under it, so no request
            // joins the backlog after that to wait out the drain.
            if self.closing.load(Ordering::Relaxed) {
                return Answer::Gone;
            }
            // The time read under the lock too: the model sees arrivals and completions in the
            // order of their times.
            let now = self.now();
            let req = BackendRequest {
                id,
                api,
                arrived: now,
                deadline,
            };
            g.arrive(now, req, tx)
        };
        for end in timers {
            self.spawn_timer(svc.clone(), end);
        }
        if let Some(reply) = refused {
            return Answer::Rejected(reply);
        }
        match rx.await {
            Ok(c) => Answer::Done(c),
            Err(_) => Answer::Gone,
        }
    }

    /// Wakes at `end` (model time) and completes the jobs due then ([`Inner::settle`]); a job it
    /// starts is timed by this same task, any others by tasks of their own.
    fn spawn_timer(self: &Arc<Self>, svc: Arc<Service>, end: Time) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut end = end;
            loop {
                me.timer.sleep_until(me.instant(end)).await;
                let mut started = {
                    let mut g = svc.lock();
                    // Every job due by now, not only this one (its own may have been completed
                    // by an arrival already).
                    let upto = me.now().max(end);
                    g.settle(upto)
                };
                match started.pop() {
                    Some(next) => {
                        for other in started {
                            me.spawn_timer(svc.clone(), other);
                        }
                        end = next;
                    }
                    None => break,
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock started at a later instant reads 0 until then and counts from it after, and
    /// model times map back to instants from it.
    #[test]
    fn the_clock_starts_where_it_is_told() {
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"1ms\"\n",
        )
        .expect("valid");
        let b = Backend::new(&s, false).expect("backend");
        let epoch = Instant::now() + Duration::from_secs(3600);
        b.start_clock_at(epoch);
        assert_eq!(b.now(), Time::ZERO, "before its start");
        assert_eq!(
            b.instant(Time::ZERO + Duration::from_secs(1)),
            epoch + Duration::from_secs(1)
        );
        let earlier = Instant::now();
        b.start_clock_at(earlier);
        let t = b.now().saturating_since(Time::ZERO);
        assert!(t <= earlier.elapsed(), "{t:?} counts from the new start");
    }

    fn ms(v: u64) -> Time {
        Time(v * 1_000_000)
    }

    /// A backend of one service `s` with one worker, 10 ms service times and `overload`.
    fn one_worker(overload: &str) -> Arc<Backend> {
        let s = model::scenario::parse(
            "t.toml",
            &format!("[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"10ms\"\noverload = {overload}\n"),
        )
        .expect("valid");
        Backend::new(&s, false).expect("backend")
    }

    fn request(id: u64, at: Time) -> BackendRequest {
        BackendRequest {
            id,
            api: 0,
            arrived: at,
            deadline: None,
        }
    }

    /// A request that arrives after a job's modelled end finds its worker free, though no timer
    /// has completed the job (a host too busy to wake it on time): the arrival completes it
    /// first, as the simulator would have, and its caller gets the answer.
    #[test]
    fn an_arrival_after_a_jobs_end_finds_its_worker_free() {
        let b = one_worker("\"reject\"");
        let mut g = b.services[0].lock();
        let (tx, mut first) = oneshot::channel();
        assert_eq!(g.arrive(ms(0), request(1, ms(0)), tx), (vec![ms(10)], None));
        let (tx, _second) = oneshot::channel();
        let (timers, refused) = g.arrive(ms(20), request(2, ms(20)), tx);
        assert_eq!(refused, None, "refused, the worker still counted busy");
        assert_eq!(timers, vec![ms(30)]);
        let done = first.try_recv().expect("the first caller is answered");
        assert_eq!(
            done.busy,
            Duration::from_millis(10),
            "at its end, not the arrival's time"
        );
        // Its timer, waking late, finds nothing more to do.
        assert_eq!(g.settle(ms(10)), vec![]);
        assert_eq!(g.model.stats().completed, 1);
    }

    /// Jobs past their end are completed in the order of their ends, each where it ended, and
    /// the worker each frees takes the next backlogged request then, as the timer does: at 25
    /// ms, the jobs that ended at 10 and 20 ms are done and the third runs from 20 ms.
    #[test]
    fn an_arrival_completes_due_jobs_in_order_and_starts_the_backlog() {
        let b = one_worker("{ mode = \"queue\", backlog = 5 }");
        b.services[0].log_completions();
        let mut g = b.services[0].lock();
        let mut answers = Vec::new();
        for id in 1..=3 {
            let (tx, rx) = oneshot::channel();
            answers.push(rx);
            let (timers, refused) = g.arrive(ms(0), request(id, ms(0)), tx);
            assert_eq!(refused, None);
            assert_eq!(timers, if id == 1 { vec![ms(10)] } else { vec![] });
        }
        let (tx, _fourth) = oneshot::channel();
        let (timers, refused) = g.arrive(ms(25), request(4, ms(25)), tx);
        assert_eq!(refused, None);
        assert_eq!(timers, vec![ms(30)], "the third job, started at 20 ms, needs a timer");
        assert_eq!(g.model.busy(), 1);
        assert_eq!(g.model.backlog_len(), 1, "the new request waits behind the third");
        let ends: Vec<Time> = g.done.as_ref().map_or(vec![], |d| d.iter().map(|c| c.0).collect());
        assert_eq!(ends, vec![ms(10), ms(20)]);
        let second = answers[1].try_recv().expect("the second caller is answered");
        assert_eq!(second.queued, Duration::from_millis(10));
        assert!(answers[2].try_recv().is_err(), "the third still runs");
    }

    /// `/metrics`' busy seconds never go back: a job past its end that no timer has completed
    /// yet counts up to its end (it counted up to the time read, 50 ms, then dropped to 10 ms
    /// when completed).
    #[test]
    fn busy_seconds_read_over_time_never_decrease() {
        let b = one_worker("\"reject\"");
        let svc = &b.services[0];
        let (tx, _rx) = oneshot::channel();
        let (timers, _) = svc.lock().arrive(ms(0), request(1, ms(0)), tx);
        assert_eq!(timers, vec![ms(10)]);
        let busy = |t| svc.stats(ms(t)).0.busy_seconds;
        let mut readings = vec![busy(5), busy(10), busy(50)];
        assert_eq!(svc.lock().settle(ms(50)), vec![]);
        readings.extend([busy(50), busy(60)]);
        assert!(readings.windows(2).all(|w| w[0] <= w[1]), "went back: {readings:?}");
        assert_eq!(readings[2], 0.010);
    }
}
