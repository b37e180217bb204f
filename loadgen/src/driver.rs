//! The live driver: the model's workload schedule and client model on tokio's clock.
//!
//! Every intent's first attempt is sent at its scheduled time, whatever the target is doing
//! (open loop), and every latency is measured from the time the attempt was *meant* to be sent,
//! so a stalled target cannot hide its stall (no coordinated omission). The driver records in
//! scenario time: with `time_scale = f`, real durations are multiplied by f, so a compressed live
//! run reports the same units as the simulator. Send lateness (a property of the generator) is
//! recorded in real time.
//!
//! An intent enters the figures (offered, succeeded or failed) when it has its final answer.
//! Intents without one when the run ends (in flight or waiting to retry at an interrupt, or still
//! in flight when the end-of-run wait for them ran out) are left out and counted in
//! [`RunNotes::left_out`], so an interrupt does not read as failures; only an interrupt marks
//! the results incomplete (the binary's exit 130), an intent abandoned at the end is said as such;
//! so are intents the generator itself could not send (no socket: too many open files), which
//! are no failure of the target and count as unsent in the generator's health.

use crate::h1::{push_header, H1Client, H1Error};
use crate::http::HttpClient;
use crate::send_timer::SendTimer;
use anyhow::Context as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use mock_legacy::timer::PreciseTimer;
use model::client::{AttemptResult, ClientModel, Intent, Next};
use model::results::{
    metric, GeneratorHealth, Hist, Outcome, Overhead, Recorder, Results, RunMeta, RunNotes, RunSource, LAGGING_LATENESS,
};
use model::rng::Streams;
use model::scenario::Scenario;
use model::workload::{Arrival, ClosedLoop, MixSampler, Schedule};
use model::{wire, Time};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
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
    /// Where `time_scale` came from, as a warning names it: "--time-scale 4" (the default), or
    /// "run.time_scale = 4 in FILE" for a file's own.
    pub time_scale_origin: Option<String>,
    /// (index, count); (0, 1) is the whole run.
    pub shard: (u32, u32),
    pub max_connections: usize,
    pub http2: bool,
    pub progress: bool,
    /// Arrivals beyond this many outstanding intents are counted as unsent, not sent.
    pub max_outstanding: usize,
    /// PEM certificates to trust for https targets, besides the public roots.
    pub ca_pem: Option<Vec<u8>>,
    /// Send each request's class in `x-spillway-priority` (on by default). Off (the one-liner's
    /// `--priority none`), the target classifies requests itself (the gateway by its
    /// `[gateway.priorities]` routes).
    pub send_priority: bool,
    /// Logged (INFO) as the run starts, once the target has been checked: `loadgen run`'s
    /// "running ... against ...", which before the check read as if a run had started that
    /// then "cannot reach" the target.
    pub announce: Option<String>,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            target: None,
            catch_all: false,
            time_scale: 1.0,
            time_scale_origin: None,
            send_priority: true,
            shard: (0, 1),
            max_connections: 2048,
            http2: false,
            progress: false,
            max_outstanding: 200_000,
            ca_pem: None,
            announce: None,
        }
    }
}

/// How requests travel.
enum Transport {
    /// Plain http over HTTP/1.1: the lean client (`crate::h1`); targets are origin-form paths.
    Lean(H1Client),
    /// https or HTTP/2: hyper; targets are absolute URLs.
    Hyper(Box<HttpClient>),
}

/// What every attempt to one service sends besides loadgen's own headers: the scenario's
/// `[clients.request]` with the service's `request` over it ([`Scenario::request`]), checked
/// and converted once, before the run.
struct Prepared {
    method: http::Method,
    headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// Shared by every attempt (a retry sends the same bytes).
    body: Bytes,
}

impl Prepared {
    fn new(r: model::scenario::RequestSpec) -> Result<Prepared, String> {
        let method = http::Method::from_bytes(r.method.as_bytes())
            .map_err(|_| format!("`{}` is not an HTTP method", r.method))?;
        let headers = r
            .headers
            .iter()
            .map(|(n, v)| {
                let name =
                    http::HeaderName::from_bytes(n.as_bytes()).map_err(|_| format!("`{n}` is not a header name"))?;
                let value = http::HeaderValue::from_bytes(v.as_bytes())
                    .map_err(|_| format!("header `{n}`: not a valid value"))?;
                Ok((name, value))
            })
            .collect::<Result<_, String>>()?;
        Ok(Prepared {
            method,
            headers,
            body: Bytes::from(r.body.to_vec()),
        })
    }

    /// The request for each service, indexed like [`Shared::targets`]: one for every service
    /// (a one-liner's one included).
    fn for_scenario(scenario: &Scenario) -> Result<Vec<Prepared>, model::UsageError> {
        (0..scenario.services.len().max(1))
            .map(|i| {
                let spec = if scenario.services.is_empty() {
                    Ok(model::scenario::RequestSpec::default())
                } else {
                    scenario.request(i)
                };
                spec.and_then(Prepared::new).map_err(|e| {
                    let at = scenario
                        .services
                        .get(i)
                        .map_or(String::new(), |s| format!(" (service `{}`)", s.name));
                    model::UsageError(format!("{}: the request{at}: {e}", scenario.source))
                })
            })
            .collect()
    }
}

/// An attempt's figures, kept until its intent has its final answer.
struct Try {
    /// When the attempt was due: its window.
    intended: Time,
    retry: bool,
    outcome: Outcome,
    /// From `intended` to its end (what the attempt's client saw).
    latency: Duration,
    /// From when it was actually sent; `None` for a failed try sent again.
    actual: Option<Duration>,
    /// The status it was answered with in time, or why it got no answer (an error): counted in
    /// the run's notes with its intent, like the attempt itself.
    status: Option<u16>,
    failure: Option<String>,
}

/// How an attempt ended (see [`Shared::attempt`]).
struct Ended {
    result: AttemptResult,
    /// Why it got no answer, for a connection error.
    failure: Option<String>,
    /// When its request had to be sent twice: the failed try's latency and why it failed.
    failed_try: Option<(Duration, String)>,
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
    /// What to send per service (method, headers, body), indexed like `targets`.
    requests: Vec<Prepared>,
    credentials: Option<(&'static str, String)>,
    /// Whether requests carry their class in `x-spillway-priority` (`LiveOptions::send_priority`).
    send_priority: bool,
    /// This run's part of the request ids (`lg-<run>-<intent>-<attempt>`): intents are numbered
    /// from 0 in every run and every shard, so without it shards sent the same ids for
    /// different intents, and so did consecutive runs.
    run_tag: String,
    outstanding: AtomicUsize,
    /// Intents started (arrivals the generator did not leave unsent): what the progress line's
    /// rate counts, since an intent enters the recorder only with its final answer.
    started: AtomicU64,
    /// Attempts that timed out and were shed so far, for the progress line: the recorder gets
    /// an attempt only with its intent's final answer, seconds later for one being retried.
    timeouts_seen: AtomicU64,
    shed_seen: AtomicU64,
    /// The latencies of attempts that ended since the progress line last looked, timeouts
    /// included: what clients see now. (The recorder's newest window holds only the attempts
    /// due in it that already ended, none of which can have waited as long as a timeout.)
    recent: Recent,
    unsent: AtomicU64,
    /// Sends later than [`LAGGING_LATENESS`]: the lagging rule needs their count, not only
    /// the lateness p99 (see [`GeneratorHealth::judge`]).
    late_sends: AtomicU64,
    timer: PreciseTimer,
    stop: AtomicBool,
    /// Why attempts failed without an answer (a malformed response, a reset): each distinct
    /// reason and how often, so "other errors 9" comes with its cause.
    failures: Mutex<Vec<(String, u64)>>,
    /// Answers per status code (index: the code, 100 to 999).
    statuses: Vec<AtomicU64>,
    /// Requests sent again after a reused connection closed before answering.
    resent: AtomicU64,
    /// Attempts the generator could not send (no socket), per reason; their intents are left
    /// out of the figures.
    generator_failures: Mutex<Vec<(String, u64)>>,
    /// Intents that ended without a final answer (waiting to retry at an interrupt).
    left_out: AtomicU64,
    /// Set, under the recorder's lock, when the run's figures are taken. An intent settles its
    /// accounting under that lock too (see [`Shared::settle`]), so each is counted once: in the
    /// figures, in `left_out` or among the unsent if it ended before, in "still in flight" if
    /// after (read in the same critical section as the seal).
    sealed: AtomicBool,
    /// Attempts that found every one of the `--connections` permits taken and waited.
    connection_waits: AtomicU64,
    /// Per service (indexed like `targets`): attempts waiting for a permit now. Sampled with
    /// the gateway's gauges: past the cap the backlog is here, not at the target, and a drain
    /// the verdict must see goes on here too.
    waiting: Vec<AtomicU64>,
}

/// Counts an attempt waiting for a connection permit while it lives: the attempt's future is
/// dropped when its client times out, mid-wait.
struct Waiting<'a>(&'a AtomicU64);

impl<'a> Waiting<'a> {
    fn new(n: &'a AtomicU64) -> Waiting<'a> {
        n.fetch_add(1, Ordering::Relaxed);
        Waiting(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why an attempt got no answer.
enum Failure {
    /// The target's doing (or the network's): counted as an error.
    Target(String),
    /// The generator's own: it could not open a socket. Not counted against the target.
    Generator(String),
}

/// Whether a failed connection attempt is the generator's own limit (not the target's): a hint.
fn generator_limit(e: &std::io::Error) -> Option<String> {
    use std::io::ErrorKind;
    // EMFILE and ENFILE are 24 and 23 on Linux, macOS and the BSDs.
    match (e.raw_os_error(), e.kind()) {
        (Some(24), _) if cfg!(unix) => Some(format!(
            "the generator ran out of file descriptors (too many open files{}): raise the hard limit (`ulimit -Hn`; spillway raises its soft limit to it at start) or lower --connections",
            fd_limit().map_or(String::new(), |n| format!(", limit {n}"))
        )),
        (Some(23), _) if cfg!(unix) => Some(
            "the generator's machine ran out of file descriptors (file table overflow): raise fs.file-max or lower --connections".into(),
        ),
        (_, ErrorKind::AddrNotAvailable) => Some(
            "the generator ran out of local ports (address not available): lower --connections, or widen the ephemeral port range".into(),
        ),
        (_, ErrorKind::OutOfMemory) => Some("the generator ran out of memory for a socket".into()),
        _ => None,
    }
}

/// Raises the soft limit on open files to the hard one (as Go's runtime does at start): the
/// common soft limit of 1024 is below the default --connections, and a target that stalls
/// holds a socket per outstanding attempt; arrivals the generator cannot send are load the
/// target never sees. The hard limit is the administrator's, and stays. For the binary, at
/// start: a library user's process is its own to limit (tests lower it on purpose).
pub fn raise_fd_limit() {
    #[cfg(target_os = "linux")]
    if let Some(mut l) = nofile_limit().filter(|l| l.rlim_cur < l.rlim_max) {
        let was = l.rlim_cur;
        l.rlim_cur = l.rlim_max;
        // SAFETY: setrlimit reads the struct it is given, which lives on this stack.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &l) } == 0 {
            tracing::debug!("raised the open-files limit from {was} to {}", l.rlim_max);
        }
    }
}

/// The soft and hard limits on open files, where they can be read.
#[cfg(target_os = "linux")]
fn nofile_limit() -> Option<libc::rlimit> {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given, which lives on this stack.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) } == 0).then_some(l)
}

/// Eight hex digits that tell this run's request ids from another's: from the standard
/// library's randomly keyed hasher (seeded by the OS per process), the time and the shard.
fn run_tag(shard: u32) -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(shard);
    h.write_u32(std::process::id());
    format!("{:08x}", h.finish() as u32)
}

/// The soft limit on open files, where it can be read.
fn fd_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        // rlim_t is u64 on 64-bit Linux, narrower on some 32-bit targets.
        #[allow(clippy::useless_conversion)]
        nofile_limit().map(|l| u64::from(l.rlim_cur))
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Descriptors that `--connections` leaves to the generator's own use: its runtime and timers,
/// the checks of the target, DNS, the results files.
const FD_RESERVE: u64 = 32;

/// Descriptors a connection takes: one over a socket to a target; four with the in-process
/// stack, whose gateway and mock-legacy share the process and its limit (the generator's socket,
/// the gateway's end of it, the gateway's upstream socket and mock-legacy's end of that).
fn fds_per_connection(in_process: bool) -> u64 {
    if in_process {
        4
    } else {
        1
    }
}

/// The descriptors this process has open, where they can be counted.
fn open_fds() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        // (The directory's own descriptor is among them: one more than before the count.)
        std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as u64)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// `--connections` within what the open-files limit allows: past it, connections fail with
/// "too many open files", their arrivals go unsent and the summary read as a generator short
/// of CPU ("rerun on a quieter machine"). Above it, the cap is lowered to fit, with a warning
/// naming both numbers and the fix (`ulimit -n`); with no room for one connection, refused.
/// Over HTTP/2, `--connections` caps streams, which share a few connections: as given.
pub fn connections_within_fd_limit(requested: u32, in_process: bool, http2: bool) -> Result<u32, model::UsageError> {
    if http2 {
        return Ok(requested);
    }
    let (Some(limit), Some(open)) = (fd_limit(), open_fds()) else {
        return Ok(requested);
    };
    let (cap, warning) =
        fit_connections(requested, limit, open, fds_per_connection(in_process)).map_err(model::UsageError)?;
    if let Some(w) = warning {
        tracing::warn!("{w}");
    }
    Ok(cap)
}

/// [`connections_within_fd_limit`]'s arithmetic: the cap for `requested` connections of `per`
/// descriptors each under a `limit` with `open` open, and the warning when it is lower.
fn fit_connections(requested: u32, limit: u64, open: u64, per: u64) -> Result<(u32, Option<String>), String> {
    let used = open.saturating_add(FD_RESERVE);
    let room = limit.saturating_sub(used) / per.max(1);
    let each = if per == 1 {
        String::new()
    } else {
        format!(", {per} descriptors each with the in-process stack (its gateway and mock-legacy share this process's limit)")
    };
    let needed = u64::from(requested).saturating_mul(per).saturating_add(used);
    let raise = format!(
        "raise the limit before the run (`ulimit -n {needed}`, within the hard limit `ulimit -Hn`; spillway raises its soft limit to the hard one at start)"
    );
    if room == 0 {
        return Err(format!(
            "--connections: the open-files limit ({limit}, `ulimit -n`) leaves no room for a connection ({open} open, {FD_RESERVE} kept for the generator's own use{each}): {raise}"
        ));
    }
    if u64::from(requested) <= room {
        return Ok((requested, None));
    }
    let cap = u32::try_from(room).unwrap_or(u32::MAX);
    Ok((
        cap,
        Some(format!(
            "--connections {requested} is more than the open-files limit allows: the limit is {limit} (`ulimit -n`), with {open} open and {FD_RESERVE} kept for the generator's own use, which leaves room for {cap} connections{each}; capped at {cap} (the target holds at most {cap} requests at once, the rest wait in the generator, their waits counted in their latency). For {requested}, {raise}"
        )),
    ))
}

/// The generator-side cause anywhere in an error's chain (hyper wraps the socket's error).
fn generator_cause(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(io) = x.downcast_ref::<std::io::Error>() {
            if let Some(why) = generator_limit(io) {
                return Some(why);
            }
        }
        cur = x.source();
    }
    None
}

/// Adds one under `why` in a short list of reasons; past `FAILURE_KINDS` into one bucket.
/// Returns whether `why` is new.
fn count_reason(list: &mut Vec<(String, u64)>, why: String) -> bool {
    if let Some(e) = list.iter_mut().find(|(w, _)| *w == why) {
        e.1 += 1;
        false
    } else if list.len() < FAILURE_KINDS {
        list.push((why, 1));
        true
    } else {
        // Past the kinds kept, one bucket, so no listed reason is overstated.
        const OTHER: &str = "other reasons";
        match list.iter_mut().find(|(w, _)| w == OTHER) {
            Some(e) => e.1 += 1,
            None => list.push((OTHER.to_string(), 1)),
        }
        false
    }
}

/// Distinct failure reasons kept; more are counted under the last.
const FAILURE_KINDS: usize = 8;

/// What the budget an attempt sends (`x-spillway-timeout-ms`) is short of the time its client
/// has left, in real time. A gateway that answers at the deadline (the deadline strategy
/// expiring a queued request) then beats the client's own timer, as the simulator's tie rule
/// has it; with the budget merely rounded down to the millisecond, the gateway's timer and the
/// client's (both of a 1 ms grain) raced, and the client won about 40% of the ties: the
/// deadline strategy through a 10 s hang at 50/s (seed 1, --time-scale 2) counted 322 timeouts
/// and 487 expired 504s live where the simulator counted 4 and 805; with the margin, 8 and 801.
pub const BUDGET_MARGIN: Duration = Duration::from_millis(2);

/// Why a request over hyper failed, as one line: an HTTP/2 GOAWAY or stream reset from the
/// target in words (h2's own read "client error (SendRequest): http2 error: connection error
/// received: not a result of an error" for a graceful GOAWAY), else the error and its sources.
fn http_cause(e: &dyn std::error::Error) -> String {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(why) = h2_cause(&x.to_string()) {
            return why;
        }
        cur = x.source();
    }
    error_chain(e)
}

/// HTTP/2 error codes (RFC 9113 section 7) by h2's description of each.
const H2_REASONS: [(&str, &str); 14] = [
    ("NO_ERROR", "not a result of an error"),
    ("PROTOCOL_ERROR", "unspecific protocol error detected"),
    ("INTERNAL_ERROR", "unexpected internal error encountered"),
    ("FLOW_CONTROL_ERROR", "flow-control protocol violated"),
    ("SETTINGS_TIMEOUT", "settings ACK not received in timely manner"),
    ("STREAM_CLOSED", "received frame when stream half-closed"),
    ("FRAME_SIZE_ERROR", "frame with invalid size"),
    (
        "REFUSED_STREAM",
        "refused stream before processing any application logic",
    ),
    ("CANCEL", "stream no longer needed"),
    ("COMPRESSION_ERROR", "unable to maintain the header compression context"),
    (
        "CONNECT_ERROR",
        "connection established in response to a CONNECT request was reset or abnormally closed",
    ),
    ("ENHANCE_YOUR_CALM", "detected excessive load generating behavior"),
    (
        "INADEQUATE_SECURITY",
        "security properties do not meet minimum requirements",
    ),
    ("HTTP_1_1_REQUIRED", "endpoint requires HTTP/1.1"),
];

/// An h2 error's text (`stream error received: <description>`, `connection error received:
/// <description> (b"debug data")`, ...) in words, with the error code's name; `None` for
/// anything else.
fn h2_cause(text: &str) -> Option<String> {
    const KINDS: [(&str, bool, bool); 6] = [
        // (prefix, a connection error (GOAWAY) rather than a stream's, sent by the target)
        ("connection error received: ", true, true),
        ("stream error received: ", false, true),
        ("connection error detected: ", true, false),
        ("stream error detected: ", false, false),
        ("connection error sent by user: ", true, false),
        ("stream error sent by user: ", false, false),
    ];
    let (rest, connection, remote) = KINDS
        .iter()
        .find_map(|(p, c, r)| text.strip_prefix(p).map(|rest| (rest, *c, *r)))?;
    let (name, described) = H2_REASONS
        .iter()
        .find(|(_, d)| rest.starts_with(d))
        .map_or(("an unknown error code", rest), |(n, d)| (*n, *d));
    Some(match (connection, remote, name) {
        (true, true, "NO_ERROR") => {
            "the target closed the HTTP/2 connection (GOAWAY, NO_ERROR) before answering".to_string()
        }
        (true, true, _) => {
            format!("the target closed the HTTP/2 connection with an error (GOAWAY, {name}: {described})")
        }
        (false, true, "REFUSED_STREAM") => {
            "the target refused the HTTP/2 stream (REFUSED_STREAM) before processing the request".to_string()
        }
        (false, true, _) => format!("the target reset the HTTP/2 stream ({name}: {described})"),
        (true, false, _) => format!("HTTP/2 connection error on the generator's side ({name}: {described})"),
        (false, false, _) => format!("HTTP/2 stream error on the generator's side ({name}: {described})"),
    })
}

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

/// `d` times `k`, saturating (a target may send any Retry-After: `Duration::mul_f64` panics
/// past `Duration::MAX`).
fn scale(d: Duration, k: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * k).unwrap_or(if k > 0.0 { Duration::MAX } else { Duration::ZERO })
}

/// What a run's [`Shared`] is made of besides its counters and flags, which start at zero.
struct RunParts {
    epoch: Instant,
    f: f64,
    recorder: Recorder,
    clients: ClientModel,
    transport: Transport,
    connections: usize,
    targets: Vec<Vec<String>>,
    requests: Vec<Prepared>,
    credentials: Option<(&'static str, String)>,
    send_priority: bool,
    run_tag: String,
    timer: PreciseTimer,
}

impl Shared {
    fn new(p: RunParts) -> Shared {
        let services = p.targets.len().max(1);
        Shared {
            epoch: p.epoch,
            f: p.f,
            recorder: Mutex::new(p.recorder),
            clients: Mutex::new(p.clients),
            transport: p.transport,
            connections: Semaphore::new(p.connections.max(1)),
            targets: p.targets,
            requests: p.requests,
            credentials: p.credentials,
            send_priority: p.send_priority,
            run_tag: p.run_tag,
            outstanding: AtomicUsize::new(0),
            started: AtomicU64::new(0),
            unsent: AtomicU64::new(0),
            late_sends: AtomicU64::new(0),
            failures: Mutex::new(Vec::new()),
            timer: p.timer,
            stop: AtomicBool::new(false),
            statuses: (0..1000).map(|_| AtomicU64::new(0)).collect(),
            resent: AtomicU64::new(0),
            timeouts_seen: AtomicU64::new(0),
            shed_seen: AtomicU64::new(0),
            recent: Recent::default(),
            generator_failures: Mutex::new(Vec::new()),
            left_out: AtomicU64::new(0),
            sealed: AtomicBool::new(false),
            connection_waits: AtomicU64::new(0),
            waiting: (0..services).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Shared {
    /// Scenario time now.
    fn now(&self) -> Time {
        Time::from_secs_f64(self.epoch.elapsed().as_secs_f64() * self.f)
    }
    fn real(&self, d: Duration) -> Duration {
        scale(d, 1.0 / self.f)
    }
    fn scenario(&self, d: Duration) -> Duration {
        scale(d, self.f)
    }
    fn instant(&self, t: Time) -> Instant {
        let after = model::time::secs(t.as_secs_f64() / self.f);
        // Far enough: no run lasts a century.
        self.epoch
            .checked_add(after)
            .unwrap_or_else(|| self.epoch + Duration::from_secs(100 * 365 * 86_400))
    }

    /// An arrival's send lateness (real time), into the recorder and the late sends' count.
    fn record_lateness(&self, at: Time, late: Duration) {
        if late > LAGGING_LATENESS {
            self.late_sends.fetch_add(1, Ordering::Relaxed);
        }
        lock(&self.recorder).record(at, metric::SEND_LATENESS, late);
    }

    fn target(&self, a: &Arrival) -> &str {
        match self.targets.get(a.service).and_then(|s| s.get(a.api)) {
            Some(t) => t,
            // One-liner mode: one target for every arrival.
            None => self.targets.iter().flatten().next().map_or("/", String::as_str),
        }
    }

    fn request(&self, a: &Arrival) -> &Prepared {
        // One-liner mode: one request for every arrival (as `target`); `requests` is never
        // empty (see `Prepared::for_scenario`).
        self.requests.get(a.service).unwrap_or(&self.requests[0])
    }

    /// Counts a failed attempt under its reason (when its intent settles); for the first of
    /// each reason, the warning to log (once out of the recorder's lock).
    fn failed(&self, why: String) -> Option<String> {
        let mut f = lock(&self.failures);
        count_reason(&mut f, why.clone()).then(|| {
            format!("an attempt failed without an answer: {why} (counted as an error; more are summed at the end)")
        })
    }

    /// An intent's last step: `f` does its accounting (recording its attempts, counting it left
    /// out or unsent) and the intent stops being outstanding, both under the recorder's lock,
    /// unless the run's figures were already taken: then it is counted among those still in
    /// flight at the end, and only there.
    /// Returns what `f` returns (the warnings to log once the lock is released), `None` after
    /// the seal.
    fn settle<R>(&self, f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
        let mut r = lock(&self.recorder);
        if self.sealed.load(Ordering::Relaxed) {
            return None;
        }
        let out = f(&mut r);
        self.outstanding.fetch_sub(1, Ordering::Relaxed);
        Some(out)
    }

    /// Counts an attempt the generator could not send; for the first of each reason, the
    /// warning to log.
    fn not_sent(&self, why: String) -> Option<String> {
        let mut f = lock(&self.generator_failures);
        count_reason(&mut f, why.clone()).then(|| {
            format!("the generator could not send an attempt: {why} (left out of the figures, counted as not sent)")
        })
    }

    /// The lean client is about to send a request again, on a new connection, because the reused
    /// one closed before answering: the try that failed is an attempt of its own (an error), as
    /// the server may have received it. Kept in `failed_try` (its latency and why), which
    /// outlives the request future, so a timeout that drops the resend does not lose it.
    fn resending(&self, intended: Time, e: &H1Error, failed_try: &OnceLock<(Duration, String)>) {
        let _ = failed_try.set((
            self.now().saturating_since(intended),
            format!(
                "{} on a kept-alive connection (sent again on a new one)",
                error_chain(e)
            ),
        ));
    }

    /// One request and its whole answer: status and Retry-After; `Err` says why there is none.
    /// `failed_try` is set when the request had to be sent a second time (see
    /// [`Shared::resending`]).
    async fn exchange(
        &self,
        a: &Arrival,
        intent: &Intent,
        intended: Time,
        left: Duration,
        failed_try: &OnceLock<(Duration, String)>,
    ) -> Result<(u16, Option<Duration>), Failure> {
        let timeout_ms = wire::format_timeout_ms(left.saturating_sub(BUDGET_MARGIN));
        match &self.transport {
            Transport::Lean(h1) => {
                use std::io::Write as _;
                let p = self.request(a);
                let extra: usize = p.headers.iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
                let mut req = h1.request(p.method.as_str(), self.target(a), 256 + extra + p.body.len());
                push_header(&mut req, wire::TIMEOUT_MS, timeout_ms.as_bytes());
                let _ = write!(
                    req,
                    "{}: lg-{}-{}-{}\r\n",
                    wire::REQUEST_ID,
                    self.run_tag,
                    a.intent,
                    intent.attempts
                );
                if self.send_priority {
                    push_header(&mut req, wire::PRIORITY, a.priority.as_str().as_bytes());
                }
                if let Some((name, value)) = &self.credentials {
                    push_header(&mut req, name, value.as_bytes());
                }
                for (name, value) in &p.headers {
                    push_header(&mut req, name.as_str(), value.as_bytes());
                }
                let on_resend = |e: &H1Error| self.resending(intended, e, failed_try);
                // Content-Length is written for a body; a request of a method that is not
                // idempotent (POST) is never sent a second time after a stale keep-alive: its
                // failure is the attempt's (an error, which the client model may retry).
                match h1.send_with(&p.method, req, &p.body, on_resend).await {
                    Ok(head) => Ok((head.status, head.retry_after)),
                    Err(H1Error::Connect(e)) => Err(match generator_limit(&e) {
                        Some(why) => Failure::Generator(why),
                        None => Failure::Target(error_chain(&H1Error::Connect(e))),
                    }),
                    Err(e) => Err(Failure::Target(error_chain(&e))),
                }
            }
            Transport::Hyper(http) => {
                let p = self.request(a);
                let mut b = http::Request::builder()
                    .method(p.method.clone())
                    .uri(self.target(a))
                    .header(wire::TIMEOUT_MS, timeout_ms)
                    .header(
                        wire::REQUEST_ID,
                        format!("lg-{}-{}-{}", self.run_tag, a.intent, intent.attempts),
                    );
                if self.send_priority {
                    b = b.header(wire::PRIORITY, a.priority.as_str());
                }
                if let Some((name, value)) = &self.credentials {
                    b = b.header(*name, value.as_str());
                }
                for (name, value) in &p.headers {
                    b = b.header(name, value);
                }
                let target = |e: &dyn std::error::Error| Failure::Target(http_cause(e));
                // A `Full` body has a known length: hyper sends it with its Content-Length.
                let req = b.body(Full::new(p.body.clone())).map_err(|e| target(&e))?;
                let resp = http.request(req).await.map_err(|e| match generator_cause(&e) {
                    Some(why) => Failure::Generator(why),
                    None => target(&e),
                })?;
                let status = resp.status().as_u16();
                let h = resp.headers();
                let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok());
                let retry_after = wire::parse_retry_after_at(
                    get("retry-after"),
                    get(wire::RETRY_AFTER_MS),
                    std::time::SystemTime::now(),
                );
                resp.into_body().collect().await.map_err(|e| target(&e))?;
                Ok((status, retry_after))
            }
        }
    }

    /// One attempt: how it ended (see [`Ended`]); `Err` (why) when the generator could not send
    /// it.
    ///
    /// Its deadline is `intended` + `timeout`, as the simulator's client has it: the time it was
    /// due (a first attempt's scheduled time, a retry's when it came due), not when this task
    /// got to run. A generator running late (a busy machine, a rate beyond it) so sends a late
    /// attempt with that much less time left, and its budget header says what is left; one
    /// whose deadline has passed before it could be sent is a timeout, unsent, as it was for a
    /// client that sent it on time. (Timed from the task's start, an answer 21.8 ms after the
    /// intended time counted as a success against a 20 ms timeout.)
    async fn attempt(&self, a: &Arrival, intent: &Intent, intended: Time, timeout: Duration) -> Result<Ended, String> {
        let timeout_real = self.real(timeout);
        let due = self.instant(intended);
        // Far enough: no attempt waits a century.
        let deadline = due
            .checked_add(timeout_real)
            .unwrap_or_else(|| due + Duration::from_secs(100 * 365 * 86_400));
        let failed_try = OnceLock::new();
        if Instant::now() >= deadline {
            // Already timed out: sending it would only make the target work for no one.
            return Ok(Ended {
                result: AttemptResult::Timeout,
                failure: None,
                failed_try: None,
            });
        }
        let call = async {
            // Waiting for a free connection is part of the attempt: its clock already runs.
            let _permit = match self.connections.try_acquire() {
                Ok(p) => p,
                Err(_) => {
                    self.connection_waits.fetch_add(1, Ordering::Relaxed);
                    let _waiting = self.waiting.get(a.service).map(Waiting::new);
                    self.connections
                        .acquire()
                        .await
                        .map_err(|_| Failure::Target("the connection pool closed".to_string()))?
                }
            };
            self.exchange(
                a,
                intent,
                intended,
                deadline.saturating_duration_since(Instant::now()),
                &failed_try,
            )
            .await
        };
        // On timeout the request future is dropped, which closes its connection: the target
        // sees the client leave, as it would a real one.
        let outcome = tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), call).await;
        // tokio's timers have a 1 ms grain and fire late on a busy machine: an answer that came
        // after the attempt's timeout is one its client had given up on (the model's client
        // never sees it). Compressed runs multiply that lateness, so it would otherwise turn
        // timeouts into successes (the deadline strategy dispatches many just in time).
        let late = Instant::now() > deadline;
        // Statuses and failures are counted by the caller, with the intent (see `settle`).
        let (result, failure) = match outcome {
            Err(_) => (AttemptResult::Timeout, None),
            Ok(Err(Failure::Generator(why))) => return Err(why),
            Ok(_) if late => (AttemptResult::Timeout, None),
            Ok(Err(Failure::Target(why))) => (AttemptResult::ConnectionError, Some(why)),
            Ok(Ok((status, ra))) => (
                AttemptResult::Status {
                    status,
                    // In scenario time, like every other duration (the seconds and the date form
                    // alike): a compressed target's pauses are compressed too.
                    retry_after: ra.map(|d| self.scenario(d)),
                },
                None,
            ),
        };
        Ok(Ended {
            result,
            failure,
            failed_try: failed_try.into_inner(),
        })
    }

    /// One intent, first attempt to final answer. `due`: when the schedule meant it to start
    /// (its send lateness is recorded here, when the task runs, so the runtime's own delay in
    /// starting it counts); `None` when the caller recorded it.
    ///
    /// The intent is counted as offered when it has its final answer (with that answer), so one
    /// still in flight when the run ends is left out rather than read as a failure.
    async fn run_intent(self: Arc<Self>, a: Arrival, due: Option<Instant>) {
        let mut intent = Intent::new(a.intent, a.at);
        let mut intended = a.at;
        // Recorded with the intent's final answer, so an intent left out takes its attempts
        // with it (counted alone, they made an interrupted run's amplification 3.5 with
        // max_attempts = 3).
        let mut tries: Vec<Try> = Vec::new();
        if let Some(due) = due {
            self.record_lateness(a.at, Instant::now().saturating_duration_since(due));
        }
        loop {
            let timeout = {
                let mut c = lock(&self.clients);
                c.on_send(intended, &mut intent);
                c.attempt_timeout(a.service)
            };
            let sent = self.now();
            let Ended {
                result,
                failure,
                failed_try,
            } = match self.attempt(&a, &intent, intended, timeout).await {
                Ok(e) => e,
                Err(why) => {
                    // No socket: the generator's failure, not the target's (see `not_sent`).
                    if let Some(Some(w)) = self.settle(|_| self.not_sent(why)) {
                        tracing::warn!("{w}");
                    }
                    return;
                }
            };
            let end = self.now();
            match result.outcome() {
                Outcome::Timeout => self.timeouts_seen.fetch_add(1, Ordering::Relaxed),
                Outcome::Shed => self.shed_seen.fetch_add(1, Ordering::Relaxed),
                _ => 0,
            };
            self.recent.record(end.saturating_since(intended));
            let retry = intent.attempts > 1;
            let resent = failed_try.is_some();
            if let Some((latency, why)) = failed_try {
                tries.push(Try {
                    intended,
                    retry,
                    outcome: Outcome::Error,
                    latency,
                    actual: None,
                    status: None,
                    failure: Some(why),
                });
            }
            tries.push(Try {
                intended,
                retry: retry || resent,
                outcome: result.outcome(),
                latency: end.saturating_since(intended),
                actual: Some(end.saturating_since(sent)),
                status: match result {
                    AttemptResult::Status { status, .. } => Some(status),
                    _ => None,
                },
                failure,
            });
            let next = lock(&self.clients).on_result(end, &mut intent, result);
            match next {
                Next::Done { success } => {
                    // Counted with the intent they belong to, as its attempts are: an intent left
                    // out takes its resends with it.
                    let resent = tries.iter().filter(|t| t.actual.is_none()).count() as u64;
                    let warnings = self.settle(|r| {
                        let mut warnings = Vec::new();
                        if resent > 0 {
                            self.resent.fetch_add(resent, Ordering::Relaxed);
                        }
                        for t in tries {
                            if let Some(n) = t.status.and_then(|s| self.statuses.get(usize::from(s))) {
                                n.fetch_add(1, Ordering::Relaxed);
                            }
                            if let Some(w) = t.failure.and_then(|why| self.failed(why)) {
                                warnings.push(w);
                            }
                            r.attempt_sent(a.tag(), t.intended, t.retry);
                            r.attempt_finished(a.tag(), t.intended, t.outcome, t.latency);
                            if let Some(actual) = t.actual {
                                r.record(t.intended, metric::ATTEMPT_LATENCY_ACTUAL, actual);
                            }
                        }
                        r.intent_offered(a.tag(), a.at);
                        r.intent_finished(a.tag(), a.at, end.saturating_since(a.at), success);
                        warnings
                    });
                    for w in warnings.into_iter().flatten() {
                        tracing::warn!("{w}");
                    }
                    return;
                }
                Next::RetryAt(t) => {
                    if self.stop.load(Ordering::Relaxed) {
                        // Interrupted while waiting to retry: no final answer.
                        self.settle(|_| {
                            self.left_out.fetch_add(1, Ordering::Relaxed);
                        });
                        return;
                    }
                    self.timer.sleep_until(self.instant(t)).await;
                    intended = t;
                }
            }
        }
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
    // The services' paths go after the target's path and before its query (`/base?key=abc`
    // requests `/base/billing/api-1?key=abc`).
    let path = uri.path().trim_end_matches('/');
    let prefix = match (lean, uri.scheme_str(), uri.authority()) {
        (true, _, _) => path.to_string(),
        (false, Some(scheme), Some(authority)) => format!("{scheme}://{authority}{path}"),
        (false, _, _) => base.to_string(),
    };
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
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
            .map(|s| {
                s.apis
                    .iter()
                    .map(|a| format!("{prefix}/{}/{a}{query}", s.name))
                    .collect()
            })
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

/// Checks the target's URL without connecting: an http:// or https:// URL with a host.
pub fn check_target_url(url: &str) -> Result<http::Uri, TargetError> {
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
    if crate::h1::host_port(&uri).is_none() {
        return Err(no_host(url));
    }
    // `user:pw@` is never sent (no Authorization header is made of it): refused, as a
    // service's upstream is, rather than a run of 401s that reads as the target's.
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(TargetError(format!(
            "--target `{}` has credentials (user@), which loadgen does not send: send them as a header (-H 'authorization: Basic ...', or in [clients.request] headers) and drop them from the URL",
            model::wire::redact_userinfo(url)
        )));
    }
    Ok(uri)
}

fn no_host(url: &str) -> TargetError {
    TargetError(format!("--target `{url}`: no host, or a port beyond 65535"))
}

/// Checks once, before the run, that the target accepts connections.
pub async fn preflight(url: &str) -> Result<(), TargetError> {
    let uri = check_target_url(url)?;
    let (host, port) = crate::h1::host_port(&uri).ok_or_else(|| no_host(url))?;
    let addr = format!("{}:{port}", uri.host().unwrap_or(host));
    match tokio::time::timeout(Duration::from_secs(3), tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(TargetError(format!("cannot reach the target {url} ({addr}): {e}"))),
        Err(_) => Err(TargetError(format!(
            "cannot reach the target {url} ({addr}): no answer to a connection attempt within 3 s"
        ))),
    }
}

/// For an `https://` target, once before the run: the TLS handshake the run's connections will
/// make, without a request (for `--http2` over plain http, [`h2c_preflight`]). A certificate
/// the run cannot verify, or `--http2` against a target that does not offer HTTP/2, would
/// otherwise make every attempt an error ("other errors 900 x invalid peer certificate") and
/// the run a false failure of the target.
async fn tls_preflight(url: &str, opts: &LiveOptions) -> Result<(), TargetError> {
    use hyper_util::client::legacy::connect::Connection as _;
    let uri: http::Uri = url
        .parse()
        .map_err(|e| TargetError(format!("--target `{url}` is not a URL: {e}")))?;
    if uri.scheme_str() != Some("https") {
        return if opts.http2 {
            h2c_preflight(url, &uri).await
        } else {
            Ok(())
        };
    }
    let mut connector = crate::http::connector(opts.http2, opts.ca_pem.as_deref()).map_err(TargetError)?;
    let handshake = tower_service::Service::call(&mut connector, uri);
    let stream = match tokio::time::timeout(Duration::from_secs(5), handshake).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let why = error_chain(e.as_ref());
            // A server that offers protocols but not h2 may end the handshake over it (rustls
            // does); one that ignores ALPN completes it and is caught below.
            if opts.http2 && why.contains("NoApplicationProtocol") {
                return Err(TargetError(format!(
                    "--http2: the target {url} does not offer HTTP/2 (its TLS handshake refused h2: {why}): drop --http2"
                )));
            }
            // A plain-HTTP server answers the TLS hello in HTTP ("HTTP/1.1 400 ..."), which
            // rustls reads as a record of an invalid type: no certificate is involved.
            let hint = if why.contains("InvalidContentType") || why.contains("corrupt message") {
                "the target did not answer in TLS: if it speaks plain HTTP, use an http:// URL"
            } else if opts.ca_pem.is_some() {
                "check that --ca-cert holds the CA that signed the target's certificate (not the certificate itself) and that the URL's host is a name the certificate holds"
            } else {
                "a target with a private or self-signed certificate needs its CA: --ca-cert FILE (PEM)"
            };
            return Err(TargetError(format!(
                "TLS with the target {url} failed before the run: {why}; {hint}"
            )));
        }
        Err(_) => {
            return Err(TargetError(format!(
                "TLS with the target {url}: no handshake within 5 s"
            )))
        }
    };
    if opts.http2 && !stream.connected().is_negotiated_h2() {
        return Err(TargetError(format!(
            "--http2: the target {url} does not offer HTTP/2 (its TLS handshake did not choose h2): drop --http2"
        )));
    }
    Ok(())
}

/// `--http2` over plain http (h2c, prior knowledge), once before the run: the connection
/// preface and an empty SETTINGS frame, which an HTTP/2 server answers with its own SETTINGS
/// (RFC 9113 section 3.4) and an HTTP/1 one with an error status or a close. Without it, every
/// attempt against an HTTP/1-only target failed with "frame with invalid size". No request
/// is sent; an HTTP/1 target may log one malformed one (the preface's `PRI *` line).
async fn h2c_preflight(url: &str, uri: &http::Uri) -> Result<(), TargetError> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    const PREFACE_AND_SETTINGS: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
    const SETTINGS: u8 = 0x4;
    let (host, port) = crate::h1::host_port(uri).ok_or_else(|| no_host(url))?;
    let probe = async {
        let mut s = tokio::net::TcpStream::connect((host, port)).await?;
        s.write_all(PREFACE_AND_SETTINGS).await?;
        let mut frame = [0u8; 9];
        s.read_exact(&mut frame).await?;
        Ok::<_, std::io::Error>(frame)
    };
    let refused = |why: String| {
        TargetError(format!(
            "--http2: the target {url} does not speak HTTP/2 over plain http (h2c by prior knowledge): {why}; drop --http2"
        ))
    };
    match tokio::time::timeout(Duration::from_secs(5), probe).await {
        // A frame header: 3 bytes of length, its type, flags, then stream 0 for SETTINGS.
        Ok(Ok(f)) if f[3] == SETTINGS && f[5..] == [0, 0, 0, 0] => Ok(()),
        Ok(Ok(f)) if f.starts_with(b"HTTP/") => Err(refused(format!(
            "it answered the HTTP/2 preface in HTTP/1 (`{}`)",
            String::from_utf8_lossy(&f).trim_end()
        ))),
        Ok(Ok(_)) => Err(refused(
            "its answer to the HTTP/2 preface was not a SETTINGS frame".into(),
        )),
        Ok(Err(e)) => Err(refused(format!("the connection ended at the HTTP/2 preface ({e})"))),
        Err(_) => Err(refused("no answer to the HTTP/2 preface within 5 s".into())),
    }
}

/// What the live stack adds to each request in real time beyond its modelled service time:
/// measured ~0.29 ms (a capacity probe at time scales 2, 4 and 10 lost 1.4%, 2.8% and 6.7% of
/// a service of 40 ms mean, 4 workers). A time scale multiplies it in scenario time.
const LIVE_OVERHEAD: Duration = Duration::from_micros(300);

/// The largest share of a service's capacity the stack's overhead costs at time scale `f`
/// (over 2%), and the services it costs that much: all of them, when several are alike (one
/// named alone read as if only it were affected).
fn overhead_loss(scenario: &Scenario, f: f64) -> Option<(String, f64)> {
    let losses: Vec<(&str, f64)> = scenario
        .services
        .iter()
        .map(|s| {
            let mean = s.mean_service_time().max(1e-9);
            // Each request takes `1 + x` times its service time, so a worker serves `1 / (1 + x)`
            // of the requests it would: `x` itself read as a loss of over 100% at a 10 ms
            // service time and time scale 60.
            let x = LIVE_OVERHEAD.as_secs_f64() * f / mean;
            (s.name.as_str(), x / (1.0 + x))
        })
        .filter(|(_, loss)| *loss > 0.02)
        .collect();
    let worst = losses.iter().map(|l| l.1).fold(0.0, f64::max);
    let names: Vec<&str> = losses
        .iter()
        .filter(|l| l.1 >= worst * (1.0 - 1e-9))
        .map(|l| l.0)
        .collect();
    let list = match names.as_slice() {
        [] => return None,
        [one] => one.to_string(),
        [a, b] => format!("{a} and {b}"),
        [a, b, c] => format!("{a}, {b} and {c}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} more", rest.len()),
    };
    Some((list, worst))
}

/// Runs `scenario` live; `stop` ends it early (the results are then marked incomplete). What
/// the results' [`RunNotes`] say is logged at the end (warnings as warnings).
pub async fn run<F: Future<Output = ()> + Send>(
    scenario: &Scenario,
    opts: &LiveOptions,
    stop: F,
) -> anyhow::Result<Results> {
    let results = run_quiet(scenario, opts, stop).await?;
    // The overhead warning was logged as the run started.
    let notes = RunNotes {
        overhead: None,
        ..results.notes.clone()
    };
    for line in notes.lines() {
        let line = line.trim_start();
        match line.strip_prefix("WARNING") {
            Some(warning) => tracing::warn!("{}", warning.trim_start()),
            None => tracing::info!("{}", line.trim_start()),
        }
    }
    Ok(results)
}

/// [`run`] without logging its [`RunNotes`] (they are in the results, and
/// [`model::results::summary_table`] prints them).
pub async fn run_quiet<F: Future<Output = ()> + Send>(
    scenario: &Scenario,
    opts: &LiveOptions,
    stop: F,
) -> anyhow::Result<Results> {
    run_boxed(scenario, opts, std::pin::pin!(stop)).await
}

/// A run's future, boxed in this non-generic function so that the driver (with the in-process
/// gateway and mock-legacy) is compiled here once, not again in each crate that awaits
/// [`run_quiet`] (see [`mock_legacy::serve::BoxedFuture`]).
#[inline(never)]
fn run_boxed<'a>(
    scenario: &'a Scenario,
    opts: &'a LiveOptions,
    stop: std::pin::Pin<&'a mut (dyn Future<Output = ()> + Send + 'a)>,
) -> mock_legacy::serve::BoxedFuture<'a, anyhow::Result<Results>> {
    Box::pin(run_until(scenario, opts, stop))
}

/// [`run_quiet`]'s body. Not generic: a generic one was compiled again, whole, in every crate
/// that called it with a stop future of its own type (each live test binary, the `spillway`
/// binary), for half a minute of a 2-core build each.
async fn run_until(
    scenario: &Scenario,
    opts: &LiveOptions,
    mut stop: std::pin::Pin<&mut (dyn Future<Output = ()> + Send)>,
) -> anyhow::Result<Results> {
    let f = model::scenario::check_time_scale(opts.time_scale)?;
    // Before anything starts: a body file that went missing is bad input, not a failed run.
    let requests = Prepared::for_scenario(scenario)?;
    let (shard, shards) = opts.shard;
    // A shard is 1/N of the clients: of a closed loop's users, and of the retry budget's floor
    // (its ratio scales with the shard's own attempts already).
    let users = match &scenario.file.workload.closed {
        Some(c) => {
            let mine = model::workload::shard_share(c.users, shard, shards);
            if mine == 0 {
                return Err(model::UsageError(format!(
                    "--shard {shard}/{shards}: the closed loop has {} user(s), fewer than {shards} shards, so this shard would have none; use at most {} shards",
                    c.users, c.users
                ))
                .into());
            }
            mine
        }
        None => 0,
    };
    let clients = model::client::for_shard(&scenario.file.clients, shards);
    // In-process stack: the scenario's backend and gateway, compressed like the workload.
    let mut stack = None;
    let mut overhead = None;
    let base = match &opts.target {
        Some(t) => {
            preflight(t).await?;
            tls_preflight(t, opts).await?;
            // loadgen cannot ask a target its time scale: one that is not spillway's runs in
            // real time, and then every timeout is f times too short against it and every
            // latency reads f times longer (a 300 ms service read 600 ms, timed out at 500 ms).
            if f != 1.0 {
                let origin = opts
                    .time_scale_origin
                    .clone()
                    .unwrap_or_else(|| format!("--time-scale {f}"));
                tracing::warn!(
                    "{origin} with --target: the target must run {f} times faster too (spillway's mock-legacy and gateway started with --time-scale {f}); a service of your own runs in real time, so against it the clients' timeouts are {f} times too short and its latencies read {f} times longer: use --time-scale 1"
                );
            }
            // As written: the one-liner requests this URL itself (`/sub/` is not `/sub`), and
            // `transport` trims the slash before a scenario's service paths.
            t.to_string()
        }
        None => {
            // Said now, as a long run starts, and kept in the results' notes (the summary and
            // the reports show it; `run` does not log it again at the end).
            overhead = overhead_loss(scenario, f).map(|(service, loss)| Overhead {
                service,
                time_scale: f,
                loss,
            });
            if let Some(o) = &overhead {
                tracing::warn!("{}", o.warning());
            }
            let scaled = scenario.time_scaled(f)?;
            let ml = mock_legacy::start(&scaled, "127.0.0.1:0".parse()?, false).await?;
            let setup = reference_gateway::Setup::from_scenario(&scaled, Some(&ml.url()))?;
            let gw = reference_gateway::start(setup, "127.0.0.1:0".parse()?).await?;
            let url = gw.url();
            stack = Some((ml, gw));
            url
        }
    };
    if let Some(a) = &opts.announce {
        tracing::info!("{a}");
    }
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
    let shared = Arc::new(Shared::new(RunParts {
        epoch: Instant::now() + Duration::from_millis(20),
        f,
        recorder: Recorder::for_scenario(scenario),
        clients: ClientModel::new(&clients, &scenario.services, &streams),
        transport,
        connections: opts.max_connections,
        targets,
        requests,
        credentials,
        send_priority: opts.send_priority,
        run_tag: run_tag(shard),
        timer: PreciseTimer::new().context("starting the send timer")?,
    }));
    // The in-process backend's faults count from the load's start, as in the simulator (its
    // clock would otherwise start when it did, a little before).
    if let Some((ml, _)) = &stack {
        ml.backend().start_clock_at(shared.epoch);
    }
    let schedule = Schedule::with_rate_factor(scenario, &streams, 1.0 / f64::from(shards));
    let progress = opts
        .progress
        .then(|| crate::progress::Progress::start(shared_view(&shared), scenario));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = stack.as_ref().map(|(ml, gw)| {
        tokio::spawn(sample_stack(
            shared.clone(),
            ml.backend().clone(),
            gw.gateway().clone(),
            sampling.clone(),
            sample_every(scenario.window(), f),
        ))
    });

    let closed = match &scenario.file.workload.closed {
        Some(c) => Some((
            users,
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
    let interrupted = tokio::select! {
        r = dispatch => {
            r?;
            false
        }
        _ = &mut stop => true,
    };
    // Drain: wait for outstanding intents, or stop. How long an intent can still be in flight
    // after arrivals end is what the scenario checks bound, or, with a timeout distribution,
    // the lifetime bound (no retry is sent past it) and the longest timeout drawn.
    let r = &scenario.file.clients.retry;
    let max_timeout = lock(&shared.clients).max_timeout();
    let lifetime = model::client::intent_lifetime_bound(&scenario.file.clients);
    let (in_flight, _) = model::scenario::in_flight_after_arrivals(&scenario.file.clients);
    let drain = shared
        .real(in_flight.max(lifetime.saturating_add(max_timeout).saturating_add(r.cap.0)))
        .saturating_add(Duration::from_secs(2));
    let mut interrupted = interrupted;
    // Stopped before the schedule ended: rates are per the time the run actually lasted.
    let stopped_at = interrupted.then(|| shared.now());
    if interrupted {
        shared.stop.store(true, Ordering::Relaxed);
    }
    // After an interrupt, in-flight attempts get a second, not their full timeouts.
    let now = Instant::now();
    let mut deadline = if interrupted {
        now + Duration::from_secs(1)
    } else {
        now.checked_add(drain)
            .unwrap_or(now + Duration::from_secs(365 * 86_400))
    };
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
        // Its last sample takes in what ended since the one before (the tick is 5 to 50 ms).
        sampling.store(false, Ordering::Relaxed);
        let _ = tokio::time::timeout(Duration::from_secs(1), s).await;
    }
    if let Some(p) = progress {
        p.finish();
    }
    // Intents still running now get no final answer: left out of the figures. Sealed under the
    // recorder's lock, which every intent settles under (`Shared::settle`): one that ends from
    // here on records nothing, so it is counted once, as still in flight, and the rest are in
    // the figures, `left_out` or the unsent. Tasks that outlive this may still hold the shared
    // state: the recorder is taken out.
    let (lost, left_out, recorder) = {
        let mut r = lock(&shared.recorder);
        shared.sealed.store(true, Ordering::Relaxed);
        (
            shared.outstanding.load(Ordering::Relaxed),
            shared.left_out.load(Ordering::Relaxed),
            std::mem::replace(&mut *r, Recorder::for_scenario(scenario)),
        )
    };
    if lost > 0 && !interrupted {
        // Not an interrupt: the wait for in-flight intents ran out (a generator that fell far
        // behind its schedule). Said as what it is; `incomplete` is for an interrupt.
        tracing::warn!(
            "{lost} intents were still in flight or waiting to retry when the end-of-run wait for them ({:.1}s real) ran out: abandoned, left out of the figures (the run was not interrupted); the generator likely fell behind its schedule (see its send lateness)",
            drain.as_secs_f64()
        );
    }
    let (gave_up, lifetime) = {
        let c = lock(&shared.clients);
        (c.gave_up_on_retry_after(), c.lifetime())
    };
    let notes = RunNotes {
        statuses: shared
            .statuses
            .iter()
            .enumerate()
            .filter_map(|(code, n)| {
                let n = n.load(Ordering::Relaxed);
                (n > 0).then(|| (u16::try_from(code).unwrap_or(u16::MAX), n))
            })
            .collect(),
        failures: lock(&shared.failures).iter().cloned().collect(),
        resent: shared.resent.load(Ordering::Relaxed),
        generator_failures: lock(&shared.generator_failures)
            .iter()
            .map(|(why, n)| match &stack {
                // One process: the in-process gateway's and mock-legacy's sockets count against
                // the same limit as the generator's.
                Some(_) => (
                    format!("{why}; the in-process gateway and mock-legacy share this process's limit"),
                    *n,
                ),
                None => (why.clone(), *n),
            })
            .collect(),
        left_out: left_out + lost as u64,
        connection_waits: shared.connection_waits.load(Ordering::Relaxed),
        connections: opts.max_connections.max(1) as u64,
        retry_after_past_lifetime: gave_up,
        intent_lifetime_s: if gave_up > 0 { lifetime.as_secs_f64() } else { 0.0 },
        overhead,
    };
    if let Some((ml, gw)) = stack {
        gw.shutdown().await;
        ml.shutdown().await;
    }
    // Arrivals it could not hold, and intents it could not send (no socket).
    let unsent = shared.unsent.load(Ordering::Relaxed) + notes.generator_failures.values().sum::<u64>();
    let generator = generator_health(
        &recorder,
        shared.late_sends.load(Ordering::Relaxed),
        unsent,
        f,
        scenario,
    );
    let strategy = if opts.target.is_some() {
        model::results::EXTERNAL_STRATEGY.to_string()
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
            // An interrupt only: intents abandoned when the drain ran out are in `left_out`.
            incomplete: interrupted,
            stopped: None,
            generator: Some(generator),
        },
    );
    results.time_scale = f;
    // Every live run records its shard (0/1 unsharded), so merge can tell a whole set.
    results.shard = Some((shard, shards));
    results.notes = notes;
    Ok(results)
}

/// The generator's health at the end of a run: its whole-run send lateness p99 and `late_sends`
/// (over [`LAGGING_LATENESS`]), judged at time scale `f` (see [`GeneratorHealth::judge`]).
fn generator_health(recorder: &Recorder, late_sends: u64, unsent: u64, f: f64, scenario: &Scenario) -> GeneratorHealth {
    let lateness_p99_s = recorder.total_quantile(metric::SEND_LATENESS, 0.99).unwrap_or(0.0);
    GeneratorHealth::judge(lateness_p99_s, late_sends, unsent, f, scenario)
}

/// What the progress line reads.
pub(crate) struct View {
    shared: Arc<Shared>,
}

impl View {
    pub(crate) fn now(&self) -> Time {
        self.shared.now()
    }
    /// Intents started so far (the recorder counts them only once they have their answer);
    /// arrivals left unsent are not.
    pub(crate) fn started(&self) -> u64 {
        self.shared.started.load(Ordering::Relaxed)
    }
    /// Intents started and still without their final answer (in flight, or waiting to retry).
    pub(crate) fn waiting(&self) -> u64 {
        self.shared.outstanding.load(Ordering::Relaxed) as u64
    }
    /// Arrivals left unsent so far: beyond the intents the generator can hold, or without a
    /// socket (out of file descriptors or ports).
    pub(crate) fn unsent(&self) -> u64 {
        let no_socket: u64 = lock(&self.shared.generator_failures).iter().map(|(_, n)| n).sum();
        self.shared.unsent.load(Ordering::Relaxed).saturating_add(no_socket)
    }
    /// The counters so far, and the p99 latency (seconds, from the intended send) of the
    /// attempts that ended since the last call, timeouts included (`None`: none ended).
    pub(crate) fn snapshot(&self) -> (model::results::Counters, Option<f64>) {
        let mut totals = lock(&self.shared.recorder).totals_so_far();
        totals.requests.timeouts = self.shared.timeouts_seen.load(Ordering::Relaxed);
        totals.requests.shed = self.shared.shed_seen.load(Ordering::Relaxed);
        (totals, self.shared.recent.take_p99())
    }
}

/// Latencies of the attempts that ended since they were last taken (see [`Shared::recent`]).
struct Recent(Mutex<Hist>);

impl Default for Recent {
    fn default() -> Recent {
        Recent(Mutex::new(Hist::new(model::results::WINDOW_SIGFIG)))
    }
}

impl Recent {
    fn record(&self, latency: Duration) {
        lock(&self.0).record(latency);
    }

    /// The p99 (seconds) of what was recorded since the last call, which starts afresh; `None`
    /// when nothing was.
    fn take_p99(&self) -> Option<f64> {
        let h = std::mem::replace(&mut *lock(&self.0), Hist::new(model::results::WINDOW_SIGFIG));
        (!h.is_empty()).then(|| h.quantile_s(0.99))
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
                // Offered when it has its final answer (see `run_intent`).
                shared.record_lateness(t, Instant::now().saturating_duration_since(due));
                shared.outstanding.fetch_add(1, Ordering::Relaxed);
                shared.started.fetch_add(1, Ordering::Relaxed);
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
        // At a rate beyond the generator, arrivals fall due faster than this loop admits them:
        // it checks for a stop and yields now and then, or an interrupt would wait for minutes.
        let mut burst = 0u32;
        while let Some(a) = schedule.next_if(|a| shared.instant(a.at) <= now) {
            let due = shared.instant(a.at);
            admit(&shared, a, due, max_outstanding);
            burst += 1;
            if burst.is_multiple_of(1024) {
                if shared.stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                tokio::task::yield_now().await;
            }
        }
    }
    Ok(())
}

/// Starts an arrival's intent, or counts it unsent when the generator holds `max_outstanding`
/// intents already: left out of the figures, as an intent the generator had no socket for. It
/// was once a failed intent of latency 0, so a run whose target hung read `p50 1us`.
fn admit(shared: &Arc<Shared>, a: Arrival, due: Instant, max_outstanding: usize) {
    if shared.outstanding.load(Ordering::Relaxed) >= max_outstanding {
        // The generator cannot hold more: count it, and say so in the results. Not started:
        // the progress line counted it in its rate and as waiting (`waiting 2289552` with at
        // most 200,000 held).
        shared.record_lateness(a.at, Instant::now().saturating_duration_since(due));
        shared.unsent.fetch_add(1, Ordering::Relaxed);
        return;
    }
    shared.started.fetch_add(1, Ordering::Relaxed);
    shared.outstanding.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(shared.clone().run_intent(a, Some(due)));
}

/// How often the in-process stack's gauges are sampled, in real time: 50 ms, or about 20
/// samples a window when a compressed run's windows are shorter than a second of real time
/// (at `--time-scale 20` a 1 s window lasts 50 ms, which a 50 ms tick missed now and then, and
/// the window read no data), never below 5 ms.
fn sample_every(window: Duration, time_scale: f64) -> Duration {
    // Total: a time scale the run refused (or a huge window) gives the 50 ms tick, no panic.
    let real = Duration::try_from_secs_f64(window.as_secs_f64() / time_scale).unwrap_or(Duration::MAX);
    (real / 20).clamp(Duration::from_millis(5), Duration::from_millis(50))
}

/// Samples the in-process stack every `every` ([`sample_every`]) until `sampling` clears, then
/// once more: the gateway's queue depth, requests in flight and (adaptive) concurrency limit,
/// and what the gateway and the backend did since the last sample, request by request, as the
/// simulator records it: queue waits and queued requests cancelled (each in the window it happened in),
/// the gateway's retries (at the tick), and each finished job's work in the windows it took up
/// (wasted or not) with its service time.
async fn sample_stack(
    shared: Arc<Shared>,
    backend: Arc<mock_legacy::state::Backend>,
    gateway: Arc<reference_gateway::Gateway>,
    sampling: Arc<AtomicBool>,
    every: Duration,
) {
    for s in &gateway.services {
        s.log_waits();
    }
    for s in &backend.services {
        s.log_completions();
    }
    let adaptive = gateway.setup.gateway.strategy == model::scenario::Strategy::Adaptive;
    // Each gateway service's index in the recorder's services (`None`: a run that keeps none).
    let slots: Vec<Option<usize>> = {
        let r = lock(&shared.recorder);
        gateway.services.iter().map(|s| r.service_index(&s.name)).collect()
    };
    let mut held = Vec::with_capacity(gateway.services.len());
    let mut retries_seen = 0u64;
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let last = !sampling.load(Ordering::Relaxed);
        let now = shared.now();
        let (mut q, mut fl, mut limit, mut retries) = (0u64, 0u64, 0u64, 0u64);
        let mut waits = Vec::new();
        held.clear();
        // Each counter read once: the whole run's count and each service's come from the same
        // reads, so the services' held add up to the whole gateway's (read twice, a send
        // between the reads made them differ).
        let counts: Vec<u64> = shared.waiting.iter().map(|n| n.load(Ordering::Relaxed)).collect();
        let waiting_for = |i: usize| counts.get(i).copied().unwrap_or(0);
        let waiting: u64 = counts.iter().sum();
        for (s, slot) in gateway.services.iter().zip(&slots) {
            let g = s.gauges();
            q += g.queue_depth as u64;
            fl += u64::from(g.in_flight);
            if let Some(i) = slot {
                held.push((*i, g.queue_depth as u64 + u64::from(g.in_flight) + waiting_for(*i)));
            }
            limit += u64::from(g.limit.unwrap_or(0));
            retries += g.retries;
            // The last sample also takes the waits so far of requests still queued.
            waits.extend(if last { s.take_last_waits() } else { s.take_waits() });
        }
        let jobs: Vec<_> = backend.services.iter().flat_map(|s| s.take_completions()).collect();
        let mut r = lock(&shared.recorder);
        r.gauges(now, q, fl);
        if waiting > 0 {
            r.generator_waiting(now, waiting);
        }
        for &(i, h) in &held {
            r.service_held(now, i, h);
        }
        if adaptive {
            r.limit(now, limit);
        }
        for _ in retries_seen..retries {
            r.gateway_retry(now);
        }
        retries_seen = retries_seen.max(retries);
        record_waits(&mut r, waits, shared.epoch, shared.f);
        // The backend's clock starts at the load's epoch and runs in real time.
        for (at, busy, wasted) in jobs {
            let at = Time::from_secs_f64(at.saturating_since(Time::ZERO).as_secs_f64() * shared.f);
            r.backend_work(at, scale(busy, shared.f), wasted);
        }
        drop(r);
        if last {
            break;
        }
    }
}

/// The gateway's logged queue waits (and cancellations) into the results, each in the window of
/// the scenario time it ended at (a run's `epoch`, time compressed by `f`).
fn record_waits(r: &mut Recorder, waits: Vec<reference_gateway::state::LoggedWait>, epoch: Instant, f: f64) {
    for w in waits {
        let at = Time::from_secs_f64(w.at.saturating_duration_since(epoch).as_secs_f64() * f);
        r.queue_wait(at, scale(w.waited, f));
        if w.cancelled {
            r.cancelled(at);
        }
    }
}

#[cfg(test)]
mod tests {
    /// Compressed runs sample often enough for each window to get samples; uncompressed ones
    /// keep the 50 ms tick, and nothing ticks faster than 5 ms.
    #[test]
    fn the_stack_is_sampled_several_times_a_window() {
        use std::time::Duration;
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        assert_eq!(super::sample_every(s(1), 1.0), ms(50));
        assert_eq!(super::sample_every(s(10), 4.0), ms(50));
        // A 1 s window at 20x lasts 50 ms: ten samples in it, not one or none.
        assert_eq!(super::sample_every(s(1), 20.0), ms(5));
        assert_eq!(super::sample_every(s(1), 10.0), ms(5));
        assert_eq!(super::sample_every(s(2), 2.0), ms(50));
        assert_eq!(super::sample_every(s(1), 2.0), Duration::from_micros(25_000));
        assert_eq!(super::sample_every(ms(100), 1.0), ms(5));
        assert_eq!(super::sample_every(s(1), 0.0), ms(50), "no panic on a refused scale");
        assert_eq!(super::sample_every(s(1), f64::NAN), ms(50));
    }

    /// An h2c server on 127.0.0.1 that reads the client's first request's HEADERS, then sends
    /// `frame` (a GOAWAY, an RST_STREAM) and holds the connection a while.
    async fn h2_server_that_sends(frame: Vec<u8>) -> String {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let frame = frame.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    // The preface (24 bytes), then frames (9-byte headers) until a HEADERS.
                    let mut at = 24;
                    let mut settings_sent = false;
                    loop {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        if !settings_sent && buf.len() >= 24 {
                            // Our SETTINGS (none) and the ACK of the client's.
                            let _ = s
                                .write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0])
                                .await;
                            settings_sent = true;
                        }
                        let mut headers = false;
                        while buf.len() >= at + 9 {
                            let len =
                                usize::from(buf[at]) << 16 | usize::from(buf[at + 1]) << 8 | usize::from(buf[at + 2]);
                            headers |= buf[at + 3] == 1;
                            at += 9 + len;
                        }
                        if headers {
                            let _ = s.write_all(&frame).await;
                            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                            return;
                        }
                    }
                });
            }
        });
        format!("http://{addr}/x")
    }

    /// A GOAWAY (graceful or not) and a refused or reset stream are said in words, not in h2's
    /// ("http2 error: connection error received: not a result of an error").
    #[tokio::test]
    async fn http2_goaway_and_refused_streams_are_said_in_words() {
        use super::*;
        // GOAWAY: last stream 0 (the request was not processed), then the error code.
        let goaway = |code: u8| vec![0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, code];
        let reset = |code: u8| vec![0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, code];
        let cases = [
            (
                goaway(0),
                "the target closed the HTTP/2 connection (GOAWAY, NO_ERROR) before answering",
            ),
            (
                goaway(11),
                "the target closed the HTTP/2 connection with an error (GOAWAY, ENHANCE_YOUR_CALM: detected excessive load generating behavior)",
            ),
            (
                reset(7),
                "the target refused the HTTP/2 stream (REFUSED_STREAM) before processing the request",
            ),
            (
                reset(2),
                "the target reset the HTTP/2 stream (INTERNAL_ERROR: unexpected internal error encountered)",
            ),
        ];
        for (frame, words) in cases {
            let url = h2_server_that_sends(frame).await;
            let client = crate::http::client(true, 1, None).unwrap();
            let req = http::Request::get(url).body(Full::new(Bytes::new())).unwrap();
            let e = tokio::time::timeout(Duration::from_secs(10), client.request(req))
                .await
                .expect("an answer or an error within 10 s")
                .expect_err("no answer");
            assert_eq!(http_cause(&e), words, "{}", error_chain(&e));
        }
        // Anything else: the error and its sources, as before.
        let io = std::io::Error::other("connection reset");
        assert_eq!(http_cause(&io), "connection reset");
        assert_eq!(
            h2_cause("connection error received: unspecific protocol error detected (b\"bye\")").as_deref(),
            Some("the target closed the HTTP/2 connection with an error (GOAWAY, PROTOCOL_ERROR: unspecific protocol error detected)")
        );
    }

    /// Each queue wait and cancellation the gateway logs lands in the window it happened in,
    /// not in that of the sampler's tick that read it (up to 50 ms x F later).
    #[test]
    fn logged_waits_land_in_the_window_they_ended_in() {
        use super::*;
        use reference_gateway::state::LoggedWait;
        let s = model::scenario::parse(
            "t.toml",
            "[run]\nwindow = \"100ms\"\n[[workload.phases]]\nduration = \"2s\"\nrate = 10\n[[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n",
        )
        .expect("valid");
        let mut r = Recorder::for_scenario(&s);
        let epoch = Instant::now();
        let ms = Duration::from_millis;
        // At 4x: 120 ms of real time is 480 ms of the scenario (window 4), 310 ms is 1.24 s.
        let waits = vec![
            LoggedWait {
                at: epoch + ms(120),
                waited: ms(25),
                cancelled: true,
            },
            LoggedWait {
                at: epoch + ms(310),
                waited: ms(5),
                cancelled: false,
            },
        ];
        record_waits(&mut r, waits, epoch, 4.0);
        let res = r.finish(&s, RunMeta::sim("fifo"));
        let cancelled: Vec<u64> = res.windows.iter().map(|w| w.counters.cancelled).collect();
        assert_eq!(cancelled.iter().sum::<u64>(), 1);
        assert_eq!(cancelled[4], 1, "{cancelled:?}");
        let waits_in = |i: usize| res.windows[i].histograms.get(metric::QUEUE_WAIT).map_or(0, |h| h.len());
        assert_eq!(waits_in(4), 1);
        assert_eq!(waits_in(12), 1);
        let whole = &res.totals[metric::QUEUE_WAIT];
        assert_eq!(whole.len(), 2);
        assert!((whole.max_s() - 0.1).abs() < 1e-3, "25 ms at 4x: {} s", whole.max_s());
    }

    /// A run's shared state for a one-liner at `http://127.0.0.1:1/x`, nothing started.
    fn shared() -> std::sync::Arc<super::Shared> {
        use super::*;
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 10\n[[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n",
        )
        .expect("valid");
        let streams = Streams::new(1);
        Arc::new(Shared::new(RunParts {
            epoch: Instant::now(),
            f: 1.0,
            recorder: Recorder::for_scenario(&s),
            clients: ClientModel::new(&s.file.clients, &s.services, &streams),
            transport: Transport::Lean(H1Client::new(
                vec!["127.0.0.1:1".parse().expect("addr")],
                "127.0.0.1:1".into(),
                4,
            )),
            connections: 4,
            targets: vec![vec!["/x".into()]],
            requests: Prepared::for_scenario(&s).expect("requests"),
            credentials: None,
            send_priority: true,
            run_tag: run_tag(0),
            timer: PreciseTimer::new().expect("timer"),
        }))
    }

    /// `--connections 2048` under `ulimit -n 200` ran out of descriptors and left arrivals
    /// unsent, with no word before the run: it is capped to what the limit leaves room for,
    /// said with both numbers and the fix; with no room at all, refused.
    #[test]
    fn connections_are_capped_to_the_open_files_limit() {
        use super::{fit_connections, FD_RESERVE};
        assert_eq!(fit_connections(100, 200, 10, 1), Ok((100, None)));
        let room = 200 - 10 - FD_RESERVE;
        let (cap, w) = fit_connections(2048, 200, 10, 1).expect("room for some");
        assert_eq!(u64::from(cap), room);
        let w = w.expect("a warning");
        assert!(
            w.starts_with(&format!("--connections 2048 is more than the open-files limit allows: the limit is 200 (`ulimit -n`), with 10 open and {FD_RESERVE} kept for the generator's own use, which leaves room for {room} connections; capped at {room}")),
            "{w}"
        );
        let needed = 2048 + 10 + FD_RESERVE;
        assert!(
            w.contains(&format!(
                "For 2048, raise the limit before the run (`ulimit -n {needed}`"
            )),
            "{w}"
        );
        // In-process, each connection takes four.
        let (cap, w) = fit_connections(2048, 1024, 10, 4).expect("room for some");
        assert_eq!(u64::from(cap), (1024 - 10 - FD_RESERVE) / 4);
        assert!(w
            .expect("a warning")
            .contains("4 descriptors each with the in-process stack"));
        let e = fit_connections(10, 40, 10, 1).unwrap_err();
        assert!(
            e.starts_with("--connections: the open-files limit (40, `ulimit -n`) leaves no room"),
            "{e}"
        );
    }

    /// Arrivals the generator cannot hold are neither started (the progress line's rate) nor
    /// waiting: `admit` counted them started first, and the line read `waiting 2289552` with at
    /// most 200,000 intents held. Waiting is the intents outstanding; the unsent are said apart,
    /// those without a socket among them.
    #[test]
    fn arrivals_left_unsent_are_not_started_nor_waiting() {
        use std::sync::atomic::Ordering;
        let shared = shared();
        let view = super::shared_view(&shared);
        let arrival = |intent| model::workload::Arrival {
            intent,
            at: model::Time::ZERO,
            service: 0,
            api: 0,
            priority: model::scenario::Priority::Interactive,
        };
        shared.outstanding.store(3, Ordering::Relaxed);
        for i in 0..5 {
            super::admit(&shared, arrival(i), shared.epoch, 3);
        }
        assert_eq!((view.started(), view.waiting(), view.unsent()), (0, 3, 5));
        assert!(shared.not_sent("out of file descriptors".into()).is_some());
        assert_eq!(view.unsent(), 6, "an intent without a socket is unsent too");
    }

    /// The binary raises the soft limit on open files to the hard one at start.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_open_files_limit_is_raised_to_the_hard_one() {
        use super::{fd_limit, raise_fd_limit};
        let get = || {
            let mut l = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit writes the struct given, on this stack.
            assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) }, 0);
            l
        };
        let hard = get().rlim_max;
        // One below the hard limit first, so the raise has something to do.
        let lowered = libc::rlimit {
            rlim_cur: hard - 1,
            rlim_max: hard,
        };
        // SAFETY: setrlimit reads the struct given, on this stack.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) }, 0);
        raise_fd_limit();
        assert_eq!((get().rlim_cur, get().rlim_max), (hard, hard));
        #[allow(clippy::useless_conversion)]
        let hard = u64::from(hard);
        assert_eq!(fd_limit(), Some(hard));
    }

    /// A target URL with credentials is refused: loadgen would send none of them.
    #[test]
    fn a_target_url_with_credentials_is_refused() {
        let e = super::check_target_url("http://user:secret@127.0.0.1:8080/x")
            .unwrap_err()
            .0;
        assert!(
            e.contains("has credentials (user@), which loadgen does not send"),
            "{e}"
        );
        // The password is not printed (stderr ends up in CI logs).
        assert!(
            e.contains("`http://user:***@127.0.0.1:8080/x`") && !e.contains("secret"),
            "{e}"
        );
        assert!(super::check_target_url("http://127.0.0.1:8080/x?a=b@c").is_ok());
    }

    /// A target URL's query follows the services' paths, over plain http (the lean client's
    /// request targets) and https (hyper's absolute URLs); it was dropped, or had the paths
    /// glued after it.
    #[tokio::test]
    async fn a_target_query_follows_the_service_paths() {
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
             [[backend.services]]\nname = \"billing\"\nworkers = 1\nservice_time = \"30ms\"\napis = [\"pay\"]\n",
        )
        .expect("valid");
        let opts = crate::LiveOptions::default();
        for (base, want) in [
            ("http://127.0.0.1:9/base?key=abc", "/base/billing/pay?key=abc"),
            ("http://127.0.0.1:9/base/", "/base/billing/pay"),
            ("http://127.0.0.1:9", "/billing/pay"),
            (
                "https://localhost:9/base?key=abc",
                "https://localhost:9/base/billing/pay?key=abc",
            ),
            ("https://localhost:9?a=1&b=2", "https://localhost:9/billing/pay?a=1&b=2"),
        ] {
            let (_, targets) = super::transport(base, &s, &opts).await.expect(base);
            assert_eq!(targets, vec![vec![want.to_string()]], "{base}");
        }
    }

    /// The progress line's p99 is of the attempts that ended since it last looked: timeouts
    /// show at once (it read the newest window, which cannot hold one), and a quiet spell
    /// shows no figure rather than an old one.
    #[test]
    fn the_progress_p99_is_of_what_ended_since_the_last_look() {
        use std::time::Duration;
        let recent = super::Recent::default();
        assert_eq!(recent.take_p99(), None);
        for _ in 0..90 {
            recent.record(Duration::from_millis(5));
        }
        for _ in 0..10 {
            recent.record(Duration::from_secs(2));
        }
        let p99 = recent.take_p99().expect("a figure");
        assert!((1.99..2.01).contains(&p99), "{p99}");
        assert_eq!(recent.take_p99(), None, "taken: starts afresh");
        recent.record(Duration::from_millis(5));
        let p99 = recent.take_p99().expect("a figure");
        assert!(p99 < 0.006, "{p99}");
    }

    /// A live run's lagging flag (the summary's WARNING) needs a lag, not one hiccup: at
    /// 10 req/s for 5 s, one send 8 ms late is the lateness p99 (it flagged the run); thirty
    /// sends 3 ms late flag it.
    #[test]
    fn one_late_send_in_a_small_run_is_not_a_lag() {
        use model::Time;
        use std::time::Duration;
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"5s\"\nrate = 10\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let health = |late: usize, by: Duration| {
            let mut rec = model::results::Recorder::for_scenario(&s);
            let mut n = 0;
            for i in 0..50u64 {
                let d = if (i as usize) < late {
                    by
                } else {
                    Duration::from_micros(100)
                };
                n += u64::from(d > model::results::LAGGING_LATENESS);
                rec.record(
                    Time::from_secs_f64(i as f64 / 10.0),
                    model::results::metric::SEND_LATENESS,
                    d,
                );
            }
            super::generator_health(&rec, n, 0, 1.0, &s)
        };
        let hiccup = health(1, Duration::from_millis(8));
        assert!(hiccup.lateness_p99_s > 0.007 && !hiccup.lagging, "{hiccup:?}");
        let lag = health(30, Duration::from_millis(3));
        assert!(lag.lagging && lag.late_sends == Some(30), "{lag:?}");
    }

    /// The warning's arithmetic: 0.3 ms x f on top of the mean service time, over 2% only.
    #[test]
    fn live_overhead_loss_by_time_scale() {
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
             [[backend.services]]\nname = \"slow\"\nworkers = 1\nservice_time = \"300ms\"\n\
             [[backend.services]]\nname = \"fast\"\nworkers = 1\nservice_time = \"30ms\"\n",
        )
        .expect("valid");
        assert_eq!(super::overhead_loss(&s, 1.0), None, "1% at f = 1");
        // 0.3 ms x 10 = 3 ms on top of 30 ms: 30 of every 33 ms serve, a loss of 1/11.
        let (name, loss) = super::overhead_loss(&s, 10.0).expect("9% at f = 10");
        assert_eq!(name, "fast");
        assert!((loss - 1.0 / 11.0).abs() < 1e-9, "{loss}");
        // 0.3 ms x 60 on 10 ms: 18 ms of 28 ms are overhead, 64% (it said 180%).
        let ten = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
             [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let (_, loss) = super::overhead_loss(&ten, 60.0).expect("a loss");
        assert!((loss - 1.8 / 2.8).abs() < 1e-9, "{loss}");
        // Alike services are named together, not one of them as if it alone were hit.
        let group = |n: u32| {
            model::scenario::parse(
                "t.toml",
                &format!(
                    "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
                     [[backend.services]]\nname = \"legacy\"\ncount = {n}\nworkers = 1\nservice_time = \"30ms\"\n\
                     [[backend.services]]\nname = \"slow\"\nworkers = 1\nservice_time = \"300ms\"\n"
                ),
            )
            .expect("valid")
        };
        let name = |n: u32| super::overhead_loss(&group(n), 10.0).expect("a loss").0;
        assert_eq!(name(1), "legacy-1");
        assert_eq!(name(2), "legacy-1 and legacy-2");
        assert_eq!(name(10), "legacy-1, legacy-2 and 8 more");
        let warning = model::results::Overhead {
            service: name(2),
            time_scale: 10.0,
            loss: 0.09,
        }
        .warning();
        assert!(
            warning.contains("costs services legacy-1 and legacy-2 each about 9.0%"),
            "{warning}"
        );
    }
}
