//! A run's shared state: its clocks, counters and recorder, and the accounting every intent
//! settles under.

use super::causes::count_reason;
use super::transport::{Prepared, Transport};
use super::view::Recent;
use mock_legacy::timer::PreciseTimer;
use model::client::ClientModel;
use model::results::{metric, Recorder, LAGGING_LATENESS};
use model::workload::Arrival;
use model::Time;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

pub(super) struct Shared {
    pub(super) epoch: Instant,
    pub(super) f: f64,
    pub(super) recorder: Mutex<Recorder>,
    pub(super) clients: Mutex<ClientModel>,
    pub(super) transport: Transport,
    pub(super) connections: Semaphore,
    /// What to request per service and API (one entry in one-liner mode), in the transport's form.
    targets: Vec<Vec<String>>,
    /// What to send per service (method, headers, body), indexed like `targets`.
    requests: Vec<Prepared>,
    pub(super) credentials: Option<(&'static str, String)>,
    /// Whether requests carry their class in `x-spillway-priority` (`LiveOptions::send_priority`).
    pub(super) send_priority: bool,
    /// This run's part of the request ids (`lg-<run>-<intent>-<attempt>`): intents are numbered
    /// from 0 in every run and every shard, so without it shards sent the same ids for
    /// different intents, and so did consecutive runs.
    pub(super) run_tag: String,
    pub(super) outstanding: AtomicUsize,
    /// Intents started (arrivals the generator did not leave unsent): what the progress line's
    /// rate counts, since an intent enters the recorder only with its final answer.
    pub(super) started: AtomicU64,
    /// Attempts that timed out and were shed so far, for the progress line: the recorder gets
    /// an attempt only with its intent's final answer, seconds later for one being retried.
    pub(super) timeouts_seen: AtomicU64,
    pub(super) shed_seen: AtomicU64,
    /// The latencies of attempts that ended since the progress line last looked, timeouts
    /// included: what clients see now. (The recorder's newest window holds only the attempts
    /// due in it that already ended, none of which can have waited as long as a timeout.)
    pub(super) recent: Recent,
    pub(super) unsent: AtomicU64,
    /// Sends later than [`LAGGING_LATENESS`]: the lagging rule needs their count, not only
    /// the lateness p99 (see [`GeneratorHealth::judge`]).
    ///
    /// [`GeneratorHealth::judge`]: model::results::GeneratorHealth::judge
    pub(super) late_sends: AtomicU64,
    pub(super) timer: PreciseTimer,
    pub(super) stop: AtomicBool,
    /// Why attempts failed without an answer (a malformed response, a reset): each distinct
    /// reason and how often, so "other errors 9" comes with its cause.
    pub(super) failures: Mutex<Vec<(String, u64)>>,
    /// Answers per status code (index: the code, 100 to 999).
    pub(super) statuses: Vec<AtomicU64>,
    /// Requests sent again after a reused connection closed before answering.
    pub(super) resent: AtomicU64,
    /// Attempts the generator could not send (no socket), per reason; their intents are left
    /// out of the figures.
    pub(super) generator_failures: Mutex<Vec<(String, u64)>>,
    /// Intents that ended without a final answer (waiting to retry at an interrupt).
    pub(super) left_out: AtomicU64,
    /// Set, under the recorder's lock, when the run's figures are taken. An intent settles its
    /// accounting under that lock too (see [`Shared::settle`]), so each is counted once: in the
    /// figures, in `left_out` or among the unsent if it ended before, in "still in flight" if
    /// after (read in the same critical section as the seal).
    pub(super) sealed: AtomicBool,
    /// Attempts that found every one of the `--connections` permits taken and waited.
    pub(super) connection_waits: AtomicU64,
    /// Per service (indexed like `targets`): attempts waiting for a permit now. Sampled with
    /// the gateway's gauges: past the cap the backlog is here, not at the target, and a drain
    /// the verdict must see goes on here too.
    pub(super) waiting: Vec<AtomicU64>,
}

/// Eight hex digits that tell this run's request ids from another's: from the standard
/// library's randomly keyed hasher (seeded by the OS per process), the time and the shard.
pub(super) fn run_tag(shard: u32) -> String {
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

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `d` times `k`, saturating (a target may send any Retry-After: `Duration::mul_f64` panics
/// past `Duration::MAX`).
pub(super) fn scale(d: Duration, k: f64) -> Duration {
    Duration::try_from_secs_f64(d.as_secs_f64() * k).unwrap_or(if k > 0.0 { Duration::MAX } else { Duration::ZERO })
}

/// What a run's [`Shared`] is made of besides its counters and flags, which start at zero.
pub(super) struct RunParts {
    pub(super) epoch: Instant,
    pub(super) f: f64,
    pub(super) recorder: Recorder,
    pub(super) clients: ClientModel,
    pub(super) transport: Transport,
    pub(super) connections: usize,
    pub(super) targets: Vec<Vec<String>>,
    pub(super) requests: Vec<Prepared>,
    pub(super) credentials: Option<(&'static str, String)>,
    pub(super) send_priority: bool,
    pub(super) run_tag: String,
    pub(super) timer: PreciseTimer,
}

impl Shared {
    pub(super) fn new(p: RunParts) -> Shared {
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

    /// Scenario time now.
    pub(super) fn now(&self) -> Time {
        Time::from_secs_f64(self.epoch.elapsed().as_secs_f64() * self.f)
    }
    pub(super) fn real(&self, d: Duration) -> Duration {
        scale(d, 1.0 / self.f)
    }
    pub(super) fn scenario(&self, d: Duration) -> Duration {
        scale(d, self.f)
    }
    pub(super) fn instant(&self, t: Time) -> Instant {
        let after = model::time::secs(t.as_secs_f64() / self.f);
        // Far enough: no run lasts a century.
        self.epoch
            .checked_add(after)
            .unwrap_or_else(|| self.epoch + Duration::from_secs(100 * 365 * 86_400))
    }

    /// An arrival's send lateness (real time), into the recorder and the late sends' count.
    pub(super) fn record_lateness(&self, at: Time, late: Duration) {
        if late > LAGGING_LATENESS {
            self.late_sends.fetch_add(1, Ordering::Relaxed);
        }
        lock(&self.recorder).record(at, metric::SEND_LATENESS, late);
    }

    pub(super) fn target(&self, a: &Arrival) -> &str {
        match self.targets.get(a.service).and_then(|s| s.get(a.api)) {
            Some(t) => t,
            // One-liner mode: one target for every arrival.
            None => self.targets.iter().flatten().next().map_or("/", String::as_str),
        }
    }

    pub(super) fn request(&self, a: &Arrival) -> &Prepared {
        // One-liner mode: one request for every arrival (as `target`); `requests` is never
        // empty (see `Prepared::for_scenario`).
        self.requests.get(a.service).unwrap_or(&self.requests[0])
    }

    /// Counts a failed attempt under its reason (when its intent settles); for the first of
    /// each reason, the warning to log (once out of the recorder's lock).
    pub(super) fn failed(&self, why: String) -> Option<String> {
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
    pub(super) fn settle<R>(&self, f: impl FnOnce(&mut Recorder) -> R) -> Option<R> {
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
    pub(super) fn not_sent(&self, why: String) -> Option<String> {
        let mut f = lock(&self.generator_failures);
        count_reason(&mut f, why.clone()).then(|| {
            format!("the generator could not send an attempt: {why} (left out of the figures, counted as not sent)")
        })
    }
}
