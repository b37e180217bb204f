//! The live driver: the model's workload schedule and client model on tokio's clock.
//!
//! Every intent's first attempt is sent at its scheduled time, whatever the target is doing
//! (open loop), and every latency is measured from the time the attempt was *meant* to be sent,
//! so a stalled target cannot hide its stall (no coordinated omission). The driver records in
//! scenario time: with `time_scale = f`, real durations are multiplied by f, so a compressed live
//! run reports the same units as the simulator. Send lateness (a property of the generator) is
//! recorded in real time.

use crate::h1::{push_header, H1Client};
use crate::http::HttpClient;
use crate::send_timer::SendTimer;
use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use mock_legacy::timer::PreciseTimer;
use model::client::{AttemptResult, ClientModel, Intent, Next};
use model::results::{metric, GeneratorHealth, Recorder, Results, RunMeta, RunSource};
use model::rng::Streams;
use model::scenario::Scenario;
use model::workload::{Arrival, ClosedLoop, MixSampler, Schedule};
use model::{wire, Time};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// How to run.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// `None`: start the scenario's mock-legacy and gateway in-process.
    pub target: Option<String>,
    /// Send every request to the target URL itself (one-liner mode).
    pub catch_all: bool,
    pub time_scale: f64,
    /// (index, count); (0, 1) is the whole run.
    pub shard: (u32, u32),
    pub max_connections: usize,
    pub http2: bool,
    pub progress: bool,
    /// Arrivals beyond this many outstanding intents are counted as unsent, not sent.
    pub max_outstanding: usize,
    /// PEM certificates to trust for https targets, besides the public roots.
    pub ca_pem: Option<Vec<u8>>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            target: None,
            catch_all: false,
            time_scale: 1.0,
            shard: (0, 1),
            max_connections: 2048,
            http2: false,
            progress: false,
            max_outstanding: 200_000,
            ca_pem: None,
        }
    }
}

/// Lateness p99 above which the generator, not the target, is what the numbers describe.
pub const LAGGING_P99: Duration = Duration::from_millis(1);

/// How requests travel.
enum Transport {
    /// Plain http over HTTP/1.1: the lean client (`crate::h1`); targets are origin-form paths.
    Lean(H1Client),
    /// https or HTTP/2: hyper; targets are absolute URLs.
    Hyper(Box<HttpClient>),
}

struct Shared {
    epoch: Instant,
    f: f64,
    recorder: Mutex<Recorder>,
    clients: Mutex<ClientModel>,
    transport: Transport,
    connections: Semaphore,
    /// What to request per service and API (one entry in one-liner mode), in the transport's form.
    targets: Vec<Vec<String>>,
    credentials: Option<(&'static str, String)>,
    outstanding: AtomicUsize,
    unsent: AtomicU64,
    timer: PreciseTimer,
    stop: AtomicBool,
    /// Why attempts failed without an answer (a malformed response, a reset): each distinct
    /// reason and how often, so "other errors 9" comes with its cause.
    failures: Mutex<Vec<(String, u64)>>,
}

/// Distinct failure reasons kept; more are counted under the last.
const FAILURE_KINDS: usize = 8;

/// An error and its sources, as one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        let more = x.to_string();
        if !s.contains(&more) {
            s.push_str(": ");
            s.push_str(&more);
        }
        src = x.source();
    }
    s
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Scenario time now.
    fn now(&self) -> Time {
        Time::from_secs_f64(self.epoch.elapsed().as_secs_f64() * self.f)
    }
    fn real(&self, d: Duration) -> Duration {
        d.div_f64(self.f)
    }
    fn scenario(&self, d: Duration) -> Duration {
        d.mul_f64(self.f)
    }
    fn instant(&self, t: Time) -> Instant {
        self.epoch + model::time::secs(t.as_secs_f64() / self.f)
    }

    fn target(&self, a: &Arrival) -> &str {
        match self.targets.get(a.service).and_then(|s| s.get(a.api)) {
            Some(t) => t,
            // One-liner mode: one target for every arrival.
            None => self.targets.iter().flatten().next().map_or("/", String::as_str),
        }
    }

    /// Counts a failed attempt under its reason; the first of each reason is logged at once.
    fn failed(&self, why: String) {
        let mut f = lock(&self.failures);
        if let Some(e) = f.iter_mut().find(|(w, _)| *w == why) {
            e.1 += 1;
        } else if f.len() < FAILURE_KINDS {
            tracing::warn!(
                "an attempt failed without an answer: {why} (counted as an error; more are summed at the end)"
            );
            f.push((why, 1));
        } else {
            // Past the kinds kept, one bucket, so no listed reason is overstated.
            const OTHER: &str = "other reasons";
            match f.iter_mut().find(|(w, _)| w == OTHER) {
                Some(e) => e.1 += 1,
                None => f.push((OTHER.to_string(), 1)),
            }
        }
    }

    /// One request and its whole answer: status and Retry-After; `Err` says why there is none.
    async fn exchange(&self, a: &Arrival, intent: &Intent, left: Duration) -> Result<(u16, Option<Duration>), String> {
        let timeout_ms = wire::format_timeout_ms(left);
        match &self.transport {
            Transport::Lean(h1) => {
                use std::io::Write as _;
                let mut req = h1.get(self.target(a), 256);
                push_header(&mut req, wire::TIMEOUT_MS, timeout_ms.as_bytes());
                let _ = write!(req, "{}: lg-{}-{}\r\n", wire::REQUEST_ID, a.intent, intent.attempts);
                push_header(&mut req, wire::PRIORITY, a.priority.as_str().as_bytes());
                if let Some((name, value)) = &self.credentials {
                    push_header(&mut req, name, value.as_bytes());
                }
                let head = h1.send(req).await.map_err(|e| error_chain(&e))?;
                Ok((head.status, head.retry_after))
            }
            Transport::Hyper(http) => {
                let mut b = http::Request::get(self.target(a))
                    .header(wire::TIMEOUT_MS, timeout_ms)
                    .header(wire::REQUEST_ID, format!("lg-{}-{}", a.intent, intent.attempts))
                    .header(wire::PRIORITY, a.priority.as_str());
                if let Some((name, value)) = &self.credentials {
                    b = b.header(*name, value.as_str());
                }
                let req = b.body(Full::new(Bytes::new())).map_err(|e| error_chain(&e))?;
                let resp = http.request(req).await.map_err(|e| error_chain(&e))?;
                let status = resp.status().as_u16();
                let h = resp.headers();
                let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok());
                let retry_after = wire::parse_retry_after(get("retry-after"), get(wire::RETRY_AFTER_MS));
                resp.into_body().collect().await.map_err(|e| error_chain(&e))?;
                Ok((status, retry_after))
            }
        }
    }

    async fn attempt(&self, a: &Arrival, intent: &Intent, timeout: Duration) -> AttemptResult {
        let timeout_real = self.real(timeout);
        let start = Instant::now();
        let call = async {
            // Waiting for a free connection is part of the attempt: its clock already runs.
            let _permit = self
                .connections
                .acquire()
                .await
                .map_err(|_| "the connection pool closed".to_string())?;
            self.exchange(a, intent, timeout_real.saturating_sub(start.elapsed()))
                .await
        };
        // On timeout the request future is dropped, which closes its connection: the target
        // sees the client leave, as it would a real one.
        match tokio::time::timeout(timeout_real, call).await {
            Err(_) => AttemptResult::Timeout,
            Ok(Err(why)) => {
                self.failed(why);
                AttemptResult::ConnectionError
            }
            Ok(Ok((status, ra))) => AttemptResult::Status {
                status,
                retry_after: ra.map(|d| self.scenario(d)),
            },
        }
    }

    /// One intent, first attempt to final answer. `due`: when the schedule meant it to start
    /// (its send lateness is recorded here, when the task runs, so the runtime's own delay in
    /// starting it counts); `None` when the caller recorded it.
    async fn run_intent(self: Arc<Self>, a: Arrival, due: Option<Instant>) {
        let mut intent = Intent::new(a.intent, a.at);
        let mut intended = a.at;
        loop {
            let timeout = {
                let mut c = lock(&self.clients);
                c.on_send(intended, &mut intent);
                c.attempt_timeout()
            };
            {
                let mut r = lock(&self.recorder);
                if let (Some(due), 1) = (due, intent.attempts) {
                    r.record(
                        a.at,
                        metric::SEND_LATENESS,
                        Instant::now().saturating_duration_since(due),
                    );
                    r.intent_offered(a.tag(), a.at);
                }
                r.attempt_sent(a.tag(), intended, intent.attempts > 1);
            }
            let sent = self.now();
            let result = self.attempt(&a, &intent, timeout).await;
            let end = self.now();
            {
                let mut r = lock(&self.recorder);
                r.attempt_finished(a.tag(), intended, result.outcome(), end.saturating_since(intended));
                r.record(intended, metric::ATTEMPT_LATENCY_ACTUAL, end.saturating_since(sent));
            }
            let next = lock(&self.clients).on_result(end, &mut intent, result);
            match next {
                Next::Done { success } => {
                    lock(&self.recorder).intent_finished(a.tag(), a.at, end.saturating_since(a.at), success);
                    break;
                }
                Next::RetryAt(t) => {
                    if self.stop.load(Ordering::Relaxed) {
                        lock(&self.recorder).intent_finished(a.tag(), a.at, end.saturating_since(a.at), false);
                        break;
                    }
                    self.timer.sleep_until(self.instant(t)).await;
                    intended = t;
                }
            }
        }
        self.outstanding.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The transport for `base`, and what to request per service and API: the lean HTTP/1.1 client
/// for plain http, hyper for https and HTTP/2.
async fn transport(
    base: &str,
    scenario: &Scenario,
    opts: &LiveOptions,
) -> anyhow::Result<(Transport, Vec<Vec<String>>)> {
    let uri: http::Uri = base
        .parse()
        .map_err(|e| TargetError(format!("target `{base}` is not a URL: {e}")))?;
    let lean = uri.scheme_str() == Some("http") && !opts.http2;
    let prefix = if lean { uri.path().trim_end_matches('/') } else { base };
    let mut targets: Vec<Vec<String>> = if opts.catch_all {
        let whole = if lean {
            uri.path_and_query().map_or("/", |p| p.as_str()).to_string()
        } else {
            base.to_string()
        };
        vec![vec![whole]]
    } else {
        scenario
            .services
            .iter()
            .map(|s| s.apis.iter().map(|a| format!("{prefix}/{}/{a}", s.name)).collect())
            .collect()
    };
    if targets.iter().all(Vec::is_empty) {
        targets = vec![vec![if lean { "/".into() } else { base.to_string() }]];
    }
    for t in targets.iter().flatten() {
        let valid = if lean {
            t.parse::<http::uri::PathAndQuery>().is_ok()
        } else {
            t.parse::<http::Uri>().is_ok()
        };
        if !valid {
            return Err(model::UsageError(format!(
                "`{t}` is not a valid request target (check the service and API names)"
            ))
            .into());
        }
    }
    if !lean {
        let client =
            crate::http::client(opts.http2, opts.max_connections, opts.ca_pem.as_deref()).map_err(model::UsageError)?;
        return Ok((Transport::Hyper(Box::new(client)), targets));
    }
    let (name, port) = crate::h1::host_port(&uri).ok_or_else(|| TargetError(format!("target `{base}` has no host")))?;
    let host = match uri.port() {
        Some(p) => format!("{}:{p}", uri.host().unwrap_or(name)),
        None => uri.host().unwrap_or(name).to_string(),
    };
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|e| TargetError(format!("cannot resolve the target {base}: {e}")))?
        .collect();
    if addrs.is_empty() {
        return Err(TargetError(format!("the target {base} resolves to no address")).into());
    }
    Ok((
        Transport::Lean(H1Client::new(addrs, host, opts.max_connections)),
        targets,
    ))
}

/// A target that cannot be used, found before the run (bad input, not a failed run).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

/// Checks once, before the run, that the target accepts connections.
pub async fn preflight(url: &str) -> Result<(), TargetError> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| TargetError(format!("--target `{url}` is not a URL: {e}")))?;
    match uri.scheme_str() {
        Some("http") | Some("https") => {}
        _ => {
            return Err(TargetError(format!(
                "--target `{url}`: expected an http:// or https:// URL"
            )))
        }
    }
    let (host, port) = crate::h1::host_port(&uri)
        .ok_or_else(|| TargetError(format!("--target `{url}`: no host, or a port beyond 65535")))?;
    let addr = format!("{}:{port}", uri.host().unwrap_or(host));
    match tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(TargetError(format!("cannot reach the target {url} ({addr}): {e}"))),
        Err(_) => Err(TargetError(format!(
            "cannot reach the target {url} ({addr}): no answer to a connection attempt within 3 s"
        ))),
    }
}

/// Runs `scenario` live; `stop` ends it early (the results are then marked incomplete).
pub async fn run<F: Future<Output = ()>>(scenario: &Scenario, opts: &LiveOptions, stop: F) -> anyhow::Result<Results> {
    let f = model::scenario::check_time_scale(opts.time_scale)?;
    // In-process stack: the scenario's backend and gateway, compressed like the workload.
    let mut stack = None;
    let base = match &opts.target {
        Some(t) => {
            preflight(t).await?;
            t.trim_end_matches('/').to_string()
        }
        None => {
            let scaled = scenario.time_scaled(f)?;
            let ml = mock_legacy::start(&scaled, "127.0.0.1:0".parse()?, false).await?;
            let setup = reference_gateway::Setup::from_scenario(&scaled, Some(&ml.url()))?;
            let gw = reference_gateway::start(setup, "127.0.0.1:0".parse()?).await?;
            let url = gw.url();
            stack = Some((ml, gw));
            url
        }
    };
    let (shard, shards) = opts.shard;
    let streams = Streams::new(scenario.seed()).for_shard(shard, shards);
    let credentials = scenario
        .file
        .clients
        .credentials
        .as_ref()
        .and_then(|c| match (&c.api_key, &c.bearer) {
            (Some(k), _) => Some((wire::API_KEY, k.clone())),
            (None, Some(b)) => Some(("authorization", format!("Bearer {b}"))),
            _ => None,
        });
    if let Some((name, value)) = &credentials {
        if http::HeaderValue::from_str(value).is_err() {
            return Err(model::UsageError(format!(
                "clients.credentials: the {name} value is not a valid HTTP header value"
            ))
            .into());
        }
    }
    let (transport, targets) = transport(&base, scenario, opts).await?;
    let shared = Arc::new(Shared {
        epoch: Instant::now() + Duration::from_millis(20),
        f,
        recorder: Mutex::new(Recorder::for_scenario(scenario)),
        clients: Mutex::new(ClientModel::new(&scenario.file.clients, &streams)),
        transport,
        connections: Semaphore::new(opts.max_connections.max(1)),
        targets,
        credentials,
        outstanding: AtomicUsize::new(0),
        unsent: AtomicU64::new(0),
        failures: Mutex::new(Vec::new()),
        timer: PreciseTimer::new().context("starting the send timer")?,
        stop: AtomicBool::new(false),
    });
    let schedule = Schedule::with_rate_factor(scenario, &streams, 1.0 / f64::from(shards));
    let progress = opts
        .progress
        .then(|| crate::progress::Progress::start(shared_view(&shared), scenario));
    let sampler = stack
        .as_ref()
        .map(|(ml, gw)| tokio::spawn(sample_stack(shared.clone(), ml.backend().clone(), gw.gateway().clone())));

    let closed = match &scenario.file.workload.closed {
        Some(c) => Some((
            c.users,
            c.think_time
                .resolve()
                .map_err(|e| anyhow::anyhow!("workload.closed.think_time: {}", e.message))?,
        )),
        None => None,
    };
    let dispatch = async {
        match closed {
            Some((users, think)) => {
                closed_loop(shared.clone(), scenario, &streams, users, think).await;
                Ok(())
            }
            // On a worker, so the intents it starts queue locally.
            None => match tokio::spawn(dispatch(shared.clone(), schedule, opts.max_outstanding)).await {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("the dispatch task failed: {e}")),
            },
        }
    };
    tokio::pin!(stop);
    let interrupted = tokio::select! {
        r = dispatch => {
            r?;
            false
        }
        _ = &mut stop => true,
    };
    // Drain: wait for outstanding intents (bounded by their timeouts and backoff), or stop.
    let r = &scenario.file.clients.retry;
    let max_timeout = lock(&shared.clients).max_timeout();
    let drain = shared.real(max_timeout + r.cap.0) * r.max_attempts + Duration::from_secs(2);
    let mut interrupted = interrupted;
    // Stopped before the schedule ended: rates are per the time the run actually lasted.
    let stopped_at = interrupted.then(|| shared.now());
    if interrupted {
        shared.stop.store(true, Ordering::Relaxed);
    }
    // After an interrupt, in-flight attempts get a second, not their full timeouts.
    let mut deadline = Instant::now() + if interrupted { Duration::from_secs(1) } else { drain };
    while shared.outstanding.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(10)) => {}
            _ = &mut stop, if !interrupted => {
                interrupted = true;
                shared.stop.store(true, Ordering::Relaxed);
                deadline = deadline.min(Instant::now() + Duration::from_secs(1));
            }
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    if let Some(s) = sampler {
        s.abort();
    }
    if let Some(p) = progress {
        p.finish();
    }
    for (why, n) in lock(&shared.failures).iter() {
        tracing::warn!("{n} attempt(s) failed without an answer: {why}");
    }
    let lost = shared.outstanding.load(Ordering::Relaxed);
    if lost > 0 {
        tracing::warn!("{lost} intents still outstanding at the end: not counted as finished");
    }
    if let Some((ml, gw)) = stack {
        gw.shutdown().await;
        ml.shutdown().await;
    }
    // Tasks that outlived the drain may still hold the shared state: take the recorder out.
    let recorder = std::mem::replace(&mut *lock(&shared.recorder), Recorder::for_scenario(scenario));
    let lateness_p99_s = recorder.total_quantile(metric::SEND_LATENESS, 0.99).unwrap_or(0.0);
    let unsent = shared.unsent.load(Ordering::Relaxed);
    let generator = GeneratorHealth {
        lateness_p99_s,
        unsent,
        lagging: lateness_p99_s > LAGGING_P99.as_secs_f64() || unsent > 0,
    };
    let strategy = if opts.target.is_some() {
        "external".to_string()
    } else {
        scenario.file.gateway.strategy.as_str().to_string()
    };
    let cut;
    let scenario = match stopped_at {
        Some(t) if t.saturating_since(Time::ZERO) < scenario.duration => {
            let mut c = scenario.clone();
            c.duration = t.saturating_since(Time::ZERO);
            cut = c;
            &cut
        }
        _ => scenario,
    };
    let mut results = recorder.finish(
        scenario,
        RunMeta {
            source: RunSource::Live,
            strategy,
            incomplete: interrupted || lost > 0,
            generator: Some(generator),
        },
    );
    results.time_scale = f;
    // Every live run records its shard (0/1 unsharded), so merge can tell a whole set.
    results.shard = Some((shard, shards));
    Ok(results)
}

/// What the progress line reads.
pub(crate) struct View {
    shared: Arc<Shared>,
}

impl View {
    pub(crate) fn now(&self) -> Time {
        self.shared.now()
    }
    pub(crate) fn snapshot(&self) -> (model::results::Counters, Option<(model::results::Counters, f64)>) {
        let r = lock(&self.shared.recorder);
        let now = self.shared.now();
        (r.totals_so_far(), r.window_snapshot(now))
    }
}

fn shared_view(s: &Arc<Shared>) -> View {
    View { shared: s.clone() }
}

/// Closed loop: each user sends, waits for the final answer, thinks, and sends again, until the
/// run's duration is over.
async fn closed_loop(
    shared: Arc<Shared>,
    scenario: &Scenario,
    streams: &Streams,
    users: u32,
    think: model::dist::Distribution,
) {
    let mut users_loop = ClosedLoop::new(think, streams);
    let starts = users_loop.initial(users);
    let state = Arc::new(Mutex::new((
        users_loop,
        MixSampler::new(scenario),
        streams.stream("mix"),
        0u64,
    )));
    let end = Time::ZERO + scenario.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for start in starts {
        let (shared, state) = (shared.clone(), state.clone());
        tasks.spawn(async move {
            let mut t = start;
            while t < end && !shared.stop.load(Ordering::Relaxed) {
                let due = shared.instant(t);
                shared.timer.sleep_until(due).await;
                let a = {
                    let mut st = lock(&state);
                    let (svc, api, priority) = {
                        let (_, mix, rng, _) = &mut *st;
                        mix.sample(rng)
                    };
                    st.3 += 1;
                    Arrival {
                        intent: st.3 - 1,
                        at: t,
                        service: svc,
                        api,
                        priority,
                    }
                };
                {
                    let mut r = lock(&shared.recorder);
                    r.record(t, metric::SEND_LATENESS, Instant::now().saturating_duration_since(due));
                    r.intent_offered(a.tag(), t);
                }
                shared.outstanding.fetch_add(1, Ordering::Relaxed);
                shared.clone().run_intent(a, None).await;
                let done = shared.now();
                t = lock(&state).0.next_after(done);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// The send timer's grain: wakes are rounded up to a multiple of it, so that at high rates one
/// wake sends every arrival of its slot (arming a timer costs microseconds in a VM). It is
/// Linux's default timer slack: what an ordinary sleep may overshoot by anyway.
const SEND_GRAIN: Duration = Duration::from_micros(50);

/// Sends the open-loop schedule: sleeps on the send timer until each arrival is due and starts
/// its intent's task; arrivals that fell due meanwhile (a late wake, a high rate) start together.
async fn dispatch(shared: Arc<Shared>, schedule: Schedule, max_outstanding: usize) -> anyhow::Result<()> {
    let timer = SendTimer::new().context("starting the send timer")?;
    let grain = SEND_GRAIN.as_nanos();
    let mut schedule = schedule.peekable();
    while let Some(a) = schedule.next() {
        let due = shared.instant(a.at);
        let since = due.saturating_duration_since(shared.epoch).as_nanos();
        let slot =
            shared.epoch + Duration::from_nanos(u64::try_from(since.div_ceil(grain) * grain).unwrap_or(u64::MAX));
        timer.sleep_until(slot.max(due)).await.context("send timer")?;
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        admit(&shared, a, due, max_outstanding);
        let now = Instant::now();
        while let Some(a) = schedule.next_if(|a| shared.instant(a.at) <= now) {
            let due = shared.instant(a.at);
            admit(&shared, a, due, max_outstanding);
        }
    }
    Ok(())
}

/// Starts an arrival's intent, or counts it unsent when the generator holds `max_outstanding`
/// intents already.
fn admit(shared: &Arc<Shared>, a: Arrival, due: Instant, max_outstanding: usize) {
    if shared.outstanding.load(Ordering::Relaxed) >= max_outstanding {
        // The generator cannot hold more: count it, and say so in the results.
        let late = Instant::now().saturating_duration_since(due);
        let mut r = lock(&shared.recorder);
        r.record(a.at, metric::SEND_LATENESS, late);
        r.intent_offered(a.tag(), a.at);
        shared.unsent.fetch_add(1, Ordering::Relaxed);
        r.intent_finished(a.tag(), a.at, Duration::ZERO, false);
        return;
    }
    shared.outstanding.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(shared.clone().run_intent(a, Some(due)));
}

/// In-process runs also record the gateway's queue and the backend's busy and wasted time.
async fn sample_stack(
    shared: Arc<Shared>,
    backend: Arc<mock_legacy::state::Backend>,
    gateway: Arc<reference_gateway::Gateway>,
) {
    let mut last = (0.0f64, 0.0f64);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    loop {
        tick.tick().await;
        let now = shared.now();
        let (mut q, mut fl) = (0u64, 0u64);
        for s in &gateway.services {
            let g = s.gauges();
            q += g.queue_depth as u64;
            fl += u64::from(g.in_flight);
        }
        let (mut busy, mut wasted) = (0.0, 0.0);
        for s in &backend.services {
            let (st, _, _) = s.stats();
            busy += st.busy_seconds;
            wasted += st.wasted_seconds;
        }
        let mut r = lock(&shared.recorder);
        r.gauges(now, q, fl);
        let d_busy = model::time::secs((busy - last.0) * shared.f);
        let d_wasted = model::time::secs((wasted - last.1) * shared.f);
        r.backend_seconds(now, d_busy, d_wasted);
        last = (busy, wasted);
    }
}
