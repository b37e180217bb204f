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
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

struct Inner {
    model: ServiceModel,
    waiters: HashMap<u64, oneshot::Sender<Completion>>,
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

    /// The service's API names, in order.
    pub fn api_names(&self) -> Vec<String> {
        self.lock().model.spec().apis.clone()
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
        st.busy_seconds = g.model.busy_seconds_at(now);
        (st, g.model.busy(), g.model.backlog_len())
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
                    inner: Mutex::new(Inner {
                        model: ServiceModel::new(spec.clone(), &streams),
                        waiters: HashMap::new(),
                        done: None,
                    }),
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

    /// Serves one request: admission, waiting in the backlog, the work itself.
    pub async fn call(self: &Arc<Self>, svc: &Arc<Service>, api: usize, budget: Option<Duration>) -> Answer {
        let now = self.now();
        let id = self.next_job.fetch_add(1, Ordering::Relaxed);
        let req = BackendRequest {
            id,
            api,
            arrived: now,
            deadline: budget.map(|b| now + b),
        };
        let (tx, rx) = oneshot::channel();
        {
            let mut g = svc.lock();
            // Read under the service's lock: `close` empties the backlog under it, so no request
            // joins the backlog after that to wait out the drain.
            if self.closing.load(Ordering::Relaxed) {
                return Answer::Gone;
            }
            match g.model.handle_request(now, req) {
                Admission::Rejected(reply) => return Answer::Rejected(reply),
                Admission::Started(job) => {
                    g.waiters.insert(id, tx);
                    self.spawn_job(svc.clone(), job);
                }
                Admission::Queued => {
                    g.waiters.insert(id, tx);
                }
            }
        }
        match rx.await {
            Ok(c) => Answer::Done(c),
            Err(_) => Answer::Gone,
        }
    }

    fn spawn_job(self: &Arc<Self>, svc: Arc<Service>, job: Job) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut job = job;
            loop {
                me.timer.sleep_until(me.instant(job.completes_at)).await;
                // The job ends at its model time, not at the wake-up's (late by the host's
                // scheduling): a worker that woke late starts its next backlogged job where the
                // last one ended, so the service delivers workers / service time, not less by
                // every wake-up's delay (a busy 2-core host delivered 96.7 of 100 req/s).
                let now = job.completes_at;
                let next = {
                    let mut g = svc.lock();
                    let (done, next) = g.model.handle_complete(now, job);
                    if let Some(log) = g.done.as_mut() {
                        log.push((now, done.busy, done.wasted));
                    }
                    if let Some(w) = g.waiters.remove(&done.request.id) {
                        // The caller may have gone: the work is done anyway (and maybe wasted).
                        let _ = w.send(done);
                    }
                    next
                };
                match next {
                    // The freed worker takes the next backlogged request in this same task.
                    Some(n) => job = n,
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
}
