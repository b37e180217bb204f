//! The results schema shared by the simulator and live runs, and the recorder that builds it.
//!
//! A results file holds per-window counters, gauges and HdrHistograms (serialized, so reports
//! can compute any percentile and merge shards exactly), whole-run histograms, a summary with
//! the verdict, and the scenario echoed with its seed.

mod bins;
mod check;
mod deflate;
mod groups;
mod histogram;
mod hlog;
mod merge;
mod notes;
mod outcome;
mod recorder;
mod save;
mod text;
mod verdict;

pub use check::{figures, text_problem};
pub use groups::{
    keeps_classes, keeps_services, natural_order, services_in_order, uses_priorities, GroupCounters, GroupResults,
    GroupSummary, GroupWindow, Tag,
};
pub use histogram::{Hist, PackedHist, TOTAL_SIGFIG, WINDOW_SIGFIG};
pub use hlog::write_hlog;
pub use merge::{merge, MergeError};
pub use notes::{status_text, Overhead, RunNotes};
pub use outcome::Outcome;
pub use recorder::{summarize, Recorder, RunMeta, EXTERNAL_STRATEGY, INTERRUPTED_NOT_JUDGED, STOPPED_NOT_JUDGED};
pub use save::StagedSeeds;
pub use text::{
    cut_off, fmt_secs, incomplete_reason, interrupted, latency_coverage, secs_unit, summary_table, verdict_label,
    verdict_reason,
};
pub use verdict::{decide, Verdict, VerdictParams, VerdictResult, WindowGoodput, ROLLING_WINDOWS};

use crate::scenario::{Priority, Scenario, ScenarioFile};
use crate::threshold::ThresholdResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Version of the results file layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Histogram names.
pub mod metric {
    /// First attempt's intended send time to the final answer, retries and backoff included.
    pub const INTENT_LATENCY: &str = "intent_latency";
    /// One attempt, from its intended send time.
    pub const ATTEMPT_LATENCY: &str = "attempt_latency";
    /// Time in the gateway's queue.
    pub const QUEUE_WAIT: &str = "queue_wait";
    /// Backend busy time per request.
    pub const SERVICE_TIME: &str = "service_time";
    /// Live runs: one attempt, from its actual send time.
    pub const ATTEMPT_LATENCY_ACTUAL: &str = "attempt_latency_actual";
    /// Live runs: actual minus intended send time.
    pub const SEND_LATENESS: &str = "send_lateness";
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunSource {
    Sim,
    Live,
}

impl RunSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RunSource::Sim => "sim",
            RunSource::Live => "live",
        }
    }
}

/// Counters of one window (or a whole run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Intents by intended start (offered, succeeded within the client's timeout, finally
    /// failed) and attempts by intended send time and outcome: what each class and service has
    /// too (flattened: the file keeps them at this level).
    #[serde(flatten)]
    pub requests: GroupCounters,
    /// Backend busy seconds, and the part spent on requests nobody waited for any more.
    pub backend_busy_s: f64,
    pub wasted_s: f64,
    /// Queued requests removed from the gateway because their client left (cancel semantics).
    #[serde(default)]
    pub cancelled: u64,
    /// The gateway's own retries of a 502/503 (`[gateway.retries]`): backend calls on top of the
    /// clients' attempts. Absent when none (and from files of older versions).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub gateway_retries: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Counters {
    /// Adds `o`, saturating (see [`GroupCounters::add`]).
    pub fn add(&mut self, o: &Counters) {
        self.requests.add(&o.requests);
        self.backend_busy_s += o.backend_busy_s;
        self.wasted_s += o.wasted_s;
        self.cancelled = self.cancelled.saturating_add(o.cancelled);
        self.gateway_retries = self.gateway_retries.saturating_add(o.gateway_retries);
    }

    /// The sum with `o`, or the name of the first field (as the results file spells it) whose
    /// sum does not fit: a u64 past `u64::MAX`, seconds past `f64::MAX`.
    pub fn checked_add(&self, o: &Counters) -> Result<Counters, &'static str> {
        let secs = |a: f64, b: f64, name: &'static str| Some(a + b).filter(|s| s.is_finite()).ok_or(name);
        Ok(Counters {
            requests: self.requests.checked_add(&o.requests)?,
            backend_busy_s: secs(self.backend_busy_s, o.backend_busy_s, "backend_busy_s")?,
            wasted_s: secs(self.wasted_s, o.wasted_s, "wasted_s")?,
            cancelled: self.cancelled.checked_add(o.cancelled).ok_or("cancelled")?,
            gateway_retries: self
                .gateway_retries
                .checked_add(o.gateway_retries)
                .ok_or("gateway_retries")?,
        })
    }
}

/// Gauges of one window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Gauges {
    pub queue_depth_max: u64,
    pub queue_depth_mean: f64,
    pub in_flight_max: u64,
    pub in_flight_mean: f64,
    /// Adaptive strategies: the concurrency limit at the end of the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Live runs: attempts the load generator held, on average, for want of a free connection
    /// (`--connections`): backlog the target never saw, which drains as the target's does.
    #[serde(default, skip_serializing_if = "is_zero_f64")]
    pub generator_waiting_mean: f64,
    /// No gauge sample fell in this window, though later windows got some: its means, maxima
    /// and services' `held` are no measurement (written as 0), not an empty queue. A live run
    /// samples its in-process stack every 5 to 50 ms of real time, so a window of a few
    /// milliseconds of real time (`--time-scale 20`, 1 s windows: 50 ms) during which a loaded
    /// machine stalls the sampler gets none. Windows after the last sample are not marked: the
    /// sampler stops once nothing is
    /// left (the simulator when idle, loadgen after the drain). Absent when false (and from
    /// files of older versions, whose such windows read 0).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsampled: bool,
}

impl Gauges {
    /// Whether the window's gauges are a measurement (see [`Gauges::unsampled`]).
    pub fn sampled(&self) -> bool {
        !self.unsampled
    }
}

fn is_zero_f64(v: &f64) -> bool {
    *v == 0.0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Window {
    pub start_s: f64,
    pub counters: Counters,
    pub gauges: Gauges,
    /// Non-empty histograms by metric name (see [`metric`]), compressed: unpack to read.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "serialize_histograms"
    )]
    pub histograms: BTreeMap<String, PackedHist>,
    /// Per priority class that had intents in the window (runs that keep classes).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<Priority, GroupWindow>,
    /// Per service that had intents in the window (runs that keep services).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, GroupWindow>,
}

/// Latency percentiles, in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn of(h: &Hist) -> Percentiles {
        Percentiles::with_mean(h, None)
    }

    /// [`Percentiles::of`], with the mean (seconds) when the caller has it exactly as
    /// [`Hist::mean_s`] gives it (`Bins::mean_us`): the crate's mean walks every bin with its
    /// slow iterator, most of the instructions of a whole-run histogram's figures.
    pub(crate) fn with_mean(h: &Hist, mean_s: Option<f64>) -> Percentiles {
        Percentiles {
            count: h.len(),
            mean: mean_s.unwrap_or_else(|| h.mean_s()),
            p50: h.quantile_s(0.5),
            p90: h.quantile_s(0.9),
            p99: h.quantile_s(0.99),
            p999: h.quantile_s(0.999),
            max: h.max_s(),
        }
    }
}

/// Whole-run headline figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub duration_s: f64,
    /// The intent and attempt figures, intent latency and verdict: what each class and service
    /// has too (flattened: the file keeps them at this level).
    #[serde(flatten)]
    pub whole: GroupSummary,
    pub backend_busy_s: f64,
    pub wasted_s: f64,
    /// Wasted / busy backend time.
    pub wasted_ratio: f64,
    /// The run drove an external target (`loadgen run --target`): loadgen sees only its own
    /// side, so the backend's work (busy and wasted time), queue waits and gauges were not
    /// measured. Their zeros are no measurement: figures of them read as missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external_target: bool,
    pub attempt_latency: Percentiles,
    pub queue_wait: Percentiles,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_goodput_ratio: Option<f64>,
    /// Per priority class, for scenarios with priorities (see [`Summary::class`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<Priority, GroupSummary>,
    /// Per backend service, for scenarios with several (see [`Summary::service`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, GroupSummary>,
}

/// A phase on the results' time line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseMark {
    pub name: String,
    pub start_s: f64,
    pub end_s: f64,
    pub rate_start: f64,
    pub rate_end: f64,
    pub trigger: bool,
}

/// Whether the load generator kept up (live runs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GeneratorHealth {
    pub lateness_p99_s: f64,
    pub unsent: u64,
    /// True when the numbers describe the generator rather than the target (see
    /// [`GeneratorHealth::judge`]).
    pub lagging: bool,
    /// Sends later than [`LAGGING_LATENESS`]. Absent in files written before it was counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_sends: Option<u64>,
}

/// Send lateness (real time) over which a send counts as late, and a lateness p99 over which
/// the generator may be what a live run's latencies describe.
pub const LAGGING_LATENESS: std::time::Duration = std::time::Duration::from_millis(1);

/// Late sends (over [`LAGGING_LATENESS`]) a run needs before its lateness p99 alone flags the
/// generator. With under a few hundred sends (5-20 req/s) the p99 is the slowest send or
/// nearly, so one scheduler hiccup of a few ms on a busy 2-CPU host flagged about half of
/// such runs. Hiccups that hit a send are rare and independent: at a mean of one per run
/// (above the half of runs observed), five or more come in 0.4% of runs (Poisson), while a
/// real lag makes every send of its stretch late: 5 is a second behind at 5 req/s. From 500
/// sends on, a p99 over the line needs 5 late sends anyway: fast runs are judged as before.
pub const LAGGING_MIN_LATE_SENDS: u64 = 5;

impl GeneratorHealth {
    /// How far behind it fell, as summaries and reports say it: `send lateness p99 12.3ms real
    /// time, 40 sends later than 1.0ms` (files from before the count have none to show).
    pub fn lateness_text(&self) -> String {
        let late = self.late_sends.map_or(String::new(), |n| {
            format!(", {n} sends later than {}", fmt_secs(LAGGING_LATENESS.as_secs_f64()))
        });
        format!("send lateness p99 {} real time{late}", fmt_secs(self.lateness_p99_s))
    }

    /// The generator's health from its send lateness p99 (seconds, real time), its count of
    /// late sends and its arrivals unsent, at `time_scale` against `scenario`'s clients.
    ///
    /// Lagging: it left arrivals unsent, or its lateness p99 is over [`LAGGING_LATENESS`] with
    /// at least [`LAGGING_MIN_LATE_SENDS`] late sends, or with a p99 already material on its
    /// own ([`lateness_in_doubt`]): a single send that late may have failed a small run's
    /// tail threshold, and the WARNING must stand by each run that exits inconclusive.
    pub fn judge(
        lateness_p99_s: f64,
        late_sends: u64,
        unsent: u64,
        time_scale: f64,
        scenario: &Scenario,
    ) -> GeneratorHealth {
        let over = lateness_p99_s > LAGGING_LATENESS.as_secs_f64();
        let sustained = late_sends >= LAGGING_MIN_LATE_SENDS;
        let in_doubt = || {
            lateness_in_doubt(lateness_p99_s, time_scale, &scenario.file, |n| {
                scenario.receives_intents(n)
            })
        };
        GeneratorHealth {
            lateness_p99_s,
            unsent,
            lagging: unsent > 0 || (over && (sustained || in_doubt())),
            late_sends: Some(late_sends),
        }
    }
}

/// A results file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub schema: u32,
    pub tool: String,
    pub source: RunSource,
    pub scenario_name: String,
    pub scenario_path: String,
    pub strategy: String,
    pub seed: u64,
    pub time_scale: f64,
    pub window_s: f64,
    /// The run was interrupted: figures cover what was gathered.
    #[serde(default)]
    pub incomplete: bool,
    /// A simulated run that stopped early: why (the cap it reached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<GeneratorHealth>,
    /// Live runs: answers by status code, failures by cause, resends and intents left out.
    #[serde(default, skip_serializing_if = "RunNotes::is_empty")]
    pub notes: RunNotes,
    /// A shard of a live run (`loadgen run --shard I/N`): `[I, N]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<(u32, u32)>,
    /// A run `loadgen merge` added up from this many shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<u32>,
    pub phases: Vec<PhaseMark>,
    pub summary: Summary,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thresholds: Vec<ThresholdResult>,
    pub windows: Vec<Window>,
    /// Whole-run histograms at full precision.
    #[serde(serialize_with = "serialize_totals")]
    pub totals: BTreeMap<String, Hist>,
    /// Whole-run counters and intent latency per priority class, for scenarios with priorities.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub classes: BTreeMap<Priority, GroupResults>,
    /// The same per backend service, for scenarios with several.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, GroupResults>,
    pub scenario: ScenarioFile,
}

/// [`Results::totals`] as `Hist` serializes each, with one encoding for a histogram that
/// encodes as the one before it: attempt and intent latency are the same histogram in every
/// run whose intents have one attempt each, and encoding a whole-run histogram walks and
/// compresses tens of thousands of bins.
fn serialize_totals<S: serde::Serializer>(totals: &BTreeMap<String, Hist>, s: S) -> Result<S::Ok, S::Error> {
    serialize_texts(totals, s, Hist::encodes_as, Hist::encode)
}

/// [`Window::histograms`] as `PackedHist` serializes each, with one base64 text for the same
/// bytes as the histogram's before (see [`serialize_totals`]).
fn serialize_histograms<S: serde::Serializer>(
    histograms: &BTreeMap<String, PackedHist>,
    s: S,
) -> Result<S::Ok, S::Error> {
    serialize_texts(histograms, s, PartialEq::eq, PackedHist::base64)
}

/// `map` with each value as its `text`, taken again from the value before when `same` says
/// they give the same.
fn serialize_texts<S: serde::Serializer, T>(
    map: &BTreeMap<String, T>,
    s: S,
    same: fn(&T, &T) -> bool,
    text: fn(&T) -> String,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap as _;
    let mut out = s.serialize_map(Some(map.len()))?;
    let mut last: Option<(&T, String)> = None;
    for (name, v) in map {
        let t = match last {
            Some((before, t)) if same(before, v) => t,
            _ => text(v),
        };
        out.serialize_entry(name, &t)?;
        last = Some((v, t));
    }
    out.end()
}

/// Send lateness (p99), as a fraction of the shortest median client timeout (of a service the
/// workload sends intents to), from which a failed check is in doubt: each late attempt has
/// spent that much of its time budget before it left, so the generator, not the target, may
/// have made it fail. Below it (a few milliseconds against a one-second timeout, say) the
/// summary still cautions, but a failure stands.
pub const LATENESS_IN_DOUBT: f64 = 0.1;

/// Whether a send lateness p99 (seconds, real time) exceeds [`LATENESS_IN_DOUBT`] of
/// the shortest median timeout of the clients of `scenario`'s services that receive intents
/// (`receives(name)`; scenario time), compared at `time_scale`. A service that gets no
/// intents (the mix leaves it out) has no attempts a late send could fail: its clients'
/// timeout, however short, does not count. When `receives` admits none, every service counts.
pub fn lateness_in_doubt(
    lateness_p99_s: f64,
    time_scale: f64,
    scenario: &ScenarioFile,
    receives: impl Fn(&str) -> bool,
) -> bool {
    // The most impatient clients' median: a late send matters to them first. Each service's
    // timeout (its own, its group's or `clients.timeout`; each member of a `count = N` group).
    let c = &scenario.clients;
    let all: Vec<(String, &str)> = scenario
        .backend
        .services
        .iter()
        .flat_map(|e| {
            e.service_names(u32::MAX)
                .into_iter()
                .map(move |name| (name, e.name.as_str()))
        })
        .collect();
    let sent_to: Vec<&(String, &str)> = all.iter().filter(|(name, _)| receives(name)).collect();
    let counted: Vec<&(String, &str)> = if sent_to.is_empty() {
        all.iter().collect()
    } else {
        sent_to
    };
    let timeout = counted
        .into_iter()
        .map(|(name, group)| c.timeout_for(name, group))
        .chain(scenario.backend.services.is_empty().then_some(&c.timeout))
        .map(|t| t.resolve().map_or(f64::INFINITY, |d| d.quantile(0.5)))
        .fold(f64::INFINITY, f64::min);
    lateness_p99_s * time_scale > LATENESS_IN_DOUBT * timeout
}

impl Results {
    /// Whether the load generator fell behind its schedule enough that a failed threshold or
    /// expectation on this run is inconclusive: it left arrivals unsent, or its send lateness
    /// p99 exceeds [`LATENESS_IN_DOUBT`] of the shortest median client timeout (of a
    /// service offered intents). The lateness is measured in real time and the timeout is the file's (scenario
    /// time): compared at the run's time scale.
    pub fn generator_in_doubt(&self) -> bool {
        let Some(g) = self.generator.as_ref().filter(|g| g.lagging) else {
            return false;
        };
        // The services offered intents: with one service (no per-service figures) it is
        // the only one; a service the results do not list (an older file) counts.
        let services = &self.summary.services;
        let offered = |name: &str| services.get(name).is_none_or(|g| g.offered > 0);
        g.unsent > 0 || lateness_in_doubt(g.lateness_p99_s, self.time_scale, &self.scenario, offered)
    }

    /// What to do about a run whose generator fell behind or left arrivals unsent, by cause. A
    /// quieter machine is the remedy for a generator short of CPU only: arrivals left unsent for
    /// want of sockets (out of file descriptors: `ulimit -n 200` against the default
    /// `--connections 2048`) or because every connection was busy until the generator held all
    /// the intents it can are not helped by one, and were advised it.
    pub fn generator_remedy(&self) -> String {
        let quieter = if self.time_scale > 1.0 {
            "rerun on a quieter machine or at a lower --time-scale"
        } else {
            // At time scale 1 there is no lower one to suggest.
            "rerun on a quieter machine"
        };
        let Some(g) = self.generator.as_ref().filter(|g| g.unsent > 0) else {
            return quieter.to_string();
        };
        let no_socket: u64 = self.notes.generator_failures.values().sum();
        if no_socket > 0 {
            let causes: Vec<&str> = self.notes.generator_failures.keys().map(String::as_str).collect();
            return format!(
                "{no_socket} of the {} arrivals left unsent had no socket, which a quieter machine does not change: {}",
                g.unsent,
                causes.join("; ")
            );
        }
        if self.notes.connection_waits > 0 {
            return format!(
                "the arrivals were left unsent because every one of the {} connections (--connections) was busy and the intents waiting for one filled what the generator holds: the target answered slower than the load arrived, which a quieter machine does not change; raise --connections (within the open-files limit, `ulimit -n`), or lower the load",
                self.notes.connections
            );
        }
        quieter.to_string()
    }

    /// Arrivals the load generator left unsent for want of room for intents: the unsent less
    /// those its notes give a cause for (no socket, [`RunNotes::generator_failures`]), so a
    /// report says each once.
    pub fn unsent_without_cause(&self) -> u64 {
        let noted: u64 = self.notes.generator_failures.values().sum();
        self.generator.as_ref().map_or(0, |g| g.unsent.saturating_sub(noted))
    }

    /// Drops what only a run's charts read: its windows, whole-run histograms and groups'
    /// counters and histograms, keeping its summary, thresholds, notes, phases and scenario,
    /// which figures over replications read. A report charts one seed and averages every
    /// seed's summary: held whole, a death-spiral seed took about 1.1 MB, so a report of a
    /// few thousand replications needed gigabytes. (Figures of the windows, such as
    /// [`Results::gateway_retries`], read zero afterwards.)
    pub fn drop_chart_data(&mut self) {
        self.windows = Vec::new();
        self.totals = BTreeMap::new();
        self.classes = BTreeMap::new();
        self.services = BTreeMap::new();
    }

    /// The gateway's own retries over the run (`[gateway.retries]`).
    pub fn gateway_retries(&self) -> u64 {
        self.windows
            .iter()
            .fold(0u64, |n, w| n.saturating_add(w.counters.gateway_retries))
    }
}

/// Why a results file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("{path}: cannot read results: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("{path}:{line}:{column}: not a spillway results file: {message}")]
    Parse {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// Another of spillway's JSON files where a results file goes: no position (the parse
    /// fails at the end of the file, which says nothing).
    #[error("{path}: not a spillway results file: this is {what}; {advice}")]
    OtherFile {
        path: String,
        what: &'static str,
        advice: String,
    },
    #[error(
        "{path}: results schema {found} is not supported (this build reads schema {SCHEMA_VERSION}){}",
        if !*by_spillway { "" } else if *found > SCHEMA_VERSION {
            ": a newer spillway wrote it; write it again with this one (`spillway sim run` or `loadgen run` of its scenario, `-o DIR`), or read it with the version that wrote it"
        } else {
            ": another spillway wrote it; write it again with this one (`spillway sim run` or `loadgen run` of its scenario, `-o DIR`), or read it with the version that wrote it"
        }
    )]
    Schema {
        path: String,
        found: u32,
        /// Its `tool` names spillway (the advice is for a spillway's file).
        by_spillway: bool,
    },
    /// A results file of this schema that does not read (a field missing or of another
    /// type): written by a spillway of another version of the schema's, or edited.
    #[error(
        "{path}:{line}:{column}: a results file this build cannot read: {message}; a spillway of another version may have written it, or it was edited: write it again with this build (`spillway sim run` or `loadgen run` of its scenario, `-o DIR`)"
    )]
    Unreadable {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A figure no run produces (a ratio past 1, a negative time, windows out of order).
    #[error("{path}: {field}: {message}")]
    Invalid {
        path: String,
        field: String,
        message: String,
    },
}

/// For JSON text that is a bare value (`null`, a number, a string, `true`), what it holds: no
/// object of a run's figures.
fn bare_json(text: &str) -> Option<&'static str> {
    use serde_json::Value;
    Some(
        match serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')).ok()? {
            Value::Null => "JSON holding `null`, not a results object",
            Value::Bool(_) => "JSON holding a boolean, not a results object",
            Value::Number(_) => "JSON holding a number, not a results object",
            Value::String(_) => "JSON holding a string, not a results object",
            Value::Array(_) | Value::Object(_) => return None,
        },
    )
}

/// What a file that is not JSON at all is, and the advice, for [`ResultsError::OtherFile`]:
/// serde's "1:1: expected value" said neither. Text that starts as JSON keeps its position
/// (a scenario's `[run]` starts as an array, but is no JSON one).
fn not_json(path: &str, text: &str) -> Option<(&'static str, String)> {
    let first = text.trim_start_matches('\u{feff}').trim_start().chars().next()?;
    if first == '{' {
        return None;
    }
    let takes = "spillway takes results.json files, or the run directories that hold them";
    let scenario = text.parse::<toml::Table>().is_ok_and(|t| {
        ["run", "workload", "clients", "gateway", "backend", "thresholds"]
            .iter()
            .any(|k| t.contains_key(*k))
    });
    // A sweep's CSV table: its header names the figures every point has.
    let header = text.trim_start_matches('\u{feff}').lines().next().unwrap_or_default();
    let sweep_csv = ["goodput_ratio", "verdict", "meets_slo"]
        .iter()
        .all(|c| header.split(',').any(|h| h.trim() == *c));
    if scenario {
        Some((
            "a scenario file (TOML), not JSON",
            format!("{takes}: run the scenario first (`spillway sim run {path} -o DIR`) and give DIR"),
        ))
    } else if sweep_csv {
        Some((
            "the CSV table of `sim sweep` (sweep.csv), not JSON",
            format!(
                "{takes}; `spillway report` draws a sweep from its sweep.json, beside this file (or give the sweep's directory)"
            ),
        ))
    } else if let Some(held) = bare_json(text) {
        // JSON, but a bare value: "not JSON" was wrong.
        Some((held, takes.to_string()))
    } else {
        (first != '[').then(|| ("not JSON", takes.to_string()))
    }
}

impl Results {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    pub fn from_json(path: &str, text: &str) -> Result<Results, ResultsError> {
        // A byte order mark some editors write (scenario files take one too).
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        #[derive(Deserialize)]
        struct Version {
            schema: u32,
            /// `spillway VERSION` in every results file: other JSON with a `schema` number is
            /// not one of another version.
            #[serde(default)]
            tool: String,
        }
        let perr = |e: serde_json::Error| ResultsError::Parse {
            path: path.to_string(),
            line: e.line(),
            column: e.column(),
            message: crate::files::json_message(&e),
        };
        let v: Version = serde_json::from_str(text).map_err(|e| {
            // spillway's other JSON files, given where a results file goes: say what they are.
            let other = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text)
                .ok()
                .and_then(|m| {
                    if m.contains_key("replications") && m.contains_key("metastable_fraction") {
                        Some((
                            "the summary of `sim run --replications` (replications.json)",
                            "give `spillway report` its directory instead (its seeds' results are there)".to_string(),
                        ))
                    } else if m.contains_key("points") && m.contains_key("objective") {
                        Some((
                            "the table of `sim sweep` (sweep.json)",
                            format!("`spillway report {path}` draws it as a heatmap; runs to compare are results.json files"),
                        ))
                    } else {
                        None
                    }
                })
                .or_else(|| not_json(path, text));
            match other {
                Some((what, advice)) => ResultsError::OtherFile {
                    path: path.to_string(),
                    what,
                    advice,
                },
                None => perr(e),
            }
        })?;
        let spillway = v.tool.starts_with("spillway");
        // JSON that names another tool is no results file of another version.
        if v.schema != SCHEMA_VERSION && (spillway || v.tool.is_empty()) {
            return Err(ResultsError::Schema {
                path: path.to_string(),
                found: v.schema,
                by_spillway: spillway,
            });
        }
        let r: Results = match serde_json::from_str(text) {
            Ok(r) => r,
            // Parsed again to name the field: tracking the path costs every file, the error
            // only a bad one.
            Err(e) => {
                let mut de = serde_json::Deserializer::from_str(text);
                let tracked = match serde_path_to_error::deserialize::<_, Results>(&mut de) {
                    // Inside the whole run's figures, flattened into `summary`, serde buffers
                    // the object: its error names no field below `summary` ("summary: missing
                    // field `p99`", of which percentiles?) and sits at the object's end. Read
                    // them as their own object to name the field where it is.
                    Err(at) if at.path().to_string() == "summary" => {
                        #[derive(Deserialize)]
                        struct Whole {
                            #[allow(dead_code)]
                            summary: GroupSummary,
                        }
                        let mut de = serde_json::Deserializer::from_str(text);
                        match serde_path_to_error::deserialize::<_, Whole>(&mut de) {
                            Err(inner) if inner.path().to_string().starts_with("summary") => Err(inner),
                            _ => Err(at),
                        }
                    }
                    other => other.map(|_| ()),
                };
                // A spillway wrote it (its `tool`), with this schema's number: a results file of
                // another version or edited, not some other JSON.
                let unreadable = |e: &serde_json::Error, message: String| {
                    let (path, line, column) = (path.to_string(), e.line(), e.column());
                    if spillway {
                        ResultsError::Unreadable {
                            path,
                            line,
                            column,
                            message,
                        }
                    } else {
                        ResultsError::Parse {
                            path,
                            line,
                            column,
                            message,
                        }
                    }
                };
                return Err(match tracked {
                    Err(at) if !at.path().to_string().is_empty() && at.path().to_string() != "." => {
                        let field = at.path().to_string();
                        let inner = at.into_inner();
                        let message = format!("{field}: {}", crate::files::json_message(&inner));
                        unreadable(&inner, message)
                    }
                    _ => unreadable(&e, crate::files::json_message(&e)),
                });
            }
        };
        check::check(&r).map_err(|b| ResultsError::Invalid {
            path: path.to_string(),
            field: b.field,
            message: b.message,
        })?;
        Ok(r)
    }

    /// Whether the run's scenario has a trigger phase (so recovery times mean something).
    pub fn has_trigger(&self) -> bool {
        self.phases.iter().any(|p| p.trigger)
    }

    pub fn load(path: &std::path::Path) -> Result<Results, ResultsError> {
        let p = path.display().to_string();
        let io = |error| ResultsError::Io { path: p.clone(), error };
        let bytes = crate::files::read_at_most(path, crate::files::MAX_RESULTS_BYTES, "a results file").map_err(io)?;
        let text = String::from_utf8(bytes)
            .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error())))?;
        Results::from_json(&p, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// 5 s at 10 req/s (50 sends) against clients with a 1 s timeout.
    fn small_run() -> crate::scenario::Scenario {
        crate::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"5s\"\nrate = 10\n\
             [clients]\ntimeout = \"1s\"\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid")
    }

    /// `lateness` (real time) per send, judged as a live run at `time_scale`.
    fn judged(lateness: &[Duration], time_scale: f64) -> GeneratorHealth {
        let mut h = Hist::new(TOTAL_SIGFIG);
        lateness.iter().for_each(|d| h.record(*d));
        let late = lateness.iter().filter(|d| **d > LAGGING_LATENESS).count() as u64;
        GeneratorHealth::judge(h.quantile_s(0.99), late, 0, time_scale, &small_run())
    }

    /// Sends `late` of `n` later by `by`, the others 100 us late.
    fn sends(n: usize, late: usize, by: Duration) -> Vec<Duration> {
        (0..n)
            .map(|i| if i < late { by } else { Duration::from_micros(100) })
            .collect()
    }

    /// One scheduler hiccup among 50 sends is their p99, but not a generator behind its
    /// schedule; a lag over many sends is.
    #[test]
    fn one_late_send_among_few_does_not_flag_the_generator() {
        let one = judged(&sends(50, 1, Duration::from_millis(8)), 1.0);
        assert!(one.lateness_p99_s > 0.007, "the outlier is the p99: {one:?}");
        assert!(!one.lagging, "{one:?}");
        assert_eq!(one.late_sends, Some(1));
        let four = judged(&sends(50, 4, Duration::from_millis(8)), 1.0);
        assert!(!four.lagging, "{four:?}");
        let sustained = judged(&sends(50, 30, Duration::from_millis(3)), 1.0);
        assert!(sustained.lagging, "{sustained:?}");
        assert!(judged(&sends(50, 5, Duration::from_millis(2)), 1.0).lagging);
        // Many sends: the p99 decides, as before (5 of 10,000 late is no lag).
        assert!(!judged(&sends(10_000, 5, Duration::from_millis(8)), 1.0).lagging);
        assert!(judged(&sends(10_000, 200, Duration::from_millis(8)), 1.0).lagging);
        // Arrivals left unsent flag it however punctual the sends.
        let unsent = GeneratorHealth::judge(0.0, 0, 3, 1.0, &small_run());
        assert!(unsent.lagging, "{unsent:?}");
    }

    /// A field missing or mistyped among the whole run's figures (flattened into `summary`) is
    /// named with its path and where it is: "summary: missing field `p99`", at the end of the
    /// summary, said neither which percentiles nor where.
    #[test]
    fn a_bad_field_of_the_whole_runs_figures_is_named_where_it_is() {
        let s = small_run();
        let r = Recorder::for_scenario(&s).finish(&s, RunMeta::sim("fifo"));
        let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
            edit(&mut v["summary"]);
            let text = serde_json::to_string_pretty(&v).unwrap();
            let err = Results::from_json("r.json", &text).unwrap_err().to_string();
            (text, err)
        };
        // The line of a key of `summary` (its first: classes and services follow the whole).
        let line_of = |text: &str, key: &str| {
            let from = text.find("\"summary\"").unwrap();
            let at = from + text[from..].find(&format!("\"{key}\"")).unwrap();
            1 + text[..at].matches('\n').count()
        };
        let (text, err) = edited(&|s| {
            s["latency"].as_object_mut().unwrap().remove("p99");
        });
        assert!(err.contains(": summary.latency: missing field `p99`"), "{err}");
        // At the end of the latency object, a few lines below its key, not the summary's end.
        let line: usize = err.split(':').nth(1).unwrap().parse().unwrap();
        let latency = line_of(&text, "latency");
        assert!(
            (latency..latency + 8).contains(&line),
            "{err} (latency at line {latency})"
        );
        let (text, err) = edited(&|s| s["goodput_ratio"] = serde_json::json!("0.9"));
        assert!(err.contains(": summary.goodput_ratio: invalid type: string"), "{err}");
        assert!(
            err.starts_with(&format!("r.json:{}:", line_of(&text, "goodput_ratio"))),
            "{err}"
        );
        // A field of the summary's own still names its path, as before.
        let (_, err) = edited(&|s| s["wasted_s"] = serde_json::json!("x"));
        assert!(err.contains("summary.wasted_s: invalid type"), "{err}");
    }

    /// A single send late by over a tenth of the clients' timeout still flags the generator,
    /// and a failed check on its run is still inconclusive: that rule is unchanged.
    #[test]
    fn one_send_late_by_a_material_part_of_the_timeout_is_still_in_doubt() {
        let s = small_run();
        let mut r = Recorder::for_scenario(&s).finish(&s, RunMeta::sim("fifo"));
        r.source = RunSource::Live;
        let stall = judged(&sends(50, 1, Duration::from_millis(150)), 1.0);
        assert!(stall.lagging, "{stall:?}");
        r.generator = Some(stall);
        assert!(r.generator_in_doubt());
        // 20 ms real is 200 ms of the scenario at 10x: material there, and only a hiccup at 1x.
        assert!(!judged(&sends(50, 1, Duration::from_millis(20)), 1.0).lagging);
        let compressed = judged(&sends(50, 1, Duration::from_millis(20)), 10.0);
        assert!(compressed.lagging, "{compressed:?}");
        r.generator = Some(compressed);
        r.time_scale = 10.0;
        assert!(r.generator_in_doubt());
        // Many late sends, a few ms each: a caution, not a doubt.
        r.generator = Some(judged(&sends(50, 30, Duration::from_millis(3)), 1.0));
        r.time_scale = 1.0;
        assert!(!r.generator_in_doubt());
    }

    /// The lateness that puts a failure in doubt is judged against the most impatient service's
    /// clients: 150 ms late is material to a 1 s timeout even when the clients-wide one (which
    /// that service overrides) is 10 s; a 10 s timeout every service overrides counts for none.
    #[test]
    fn lateness_is_judged_against_the_shortest_timeout_of_a_service() {
        let file = |clients: &str| {
            crate::scenario::parse(
                "t.toml",
                &format!(
                    "[[workload.phases]]\nduration = \"5s\"\nrate = 10\n{clients}\
                     [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
                     [[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"10ms\"\n"
                ),
            )
            .expect("valid")
            .file
        };
        let late = 0.15;
        assert!(!lateness_in_doubt(
            late,
            1.0,
            &file("[clients]\ntimeout = \"10s\"\n"),
            |_| true
        ));
        let one_impatient = file("[clients]\ntimeout = \"10s\"\n[clients.services.b]\ntimeout = \"1s\"\n");
        assert!(lateness_in_doubt(late, 1.0, &one_impatient, |_| true));
        // Every service patient, the clients-wide timeout short but read by none.
        let all_own = file(
            "[clients]\ntimeout = \"1s\"\n[clients.services.a]\ntimeout = \"10s\"\n[clients.services.b]\ntimeout = \"10s\"\n",
        );
        assert!(!lateness_in_doubt(late, 1.0, &all_own, |_| true));
        // A group whose members each have their own: neither the group's table nor the
        // clients-wide timeout is read.
        let group = crate::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"5s\"\nrate = 10\n\
             [clients]\ntimeout = \"1s\"\n[clients.services.g]\ntimeout = \"1s\"\n\
             [clients.services.g-1]\ntimeout = \"10s\"\n[clients.services.g-2]\ntimeout = \"10s\"\n\
             [[backend.services]]\nname = \"g\"\ncount = 2\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid")
        .file;
        assert!(!lateness_in_doubt(late, 1.0, &group, |_| true));
    }

    /// A service the workload sends no intents to has no attempts a late send could fail: a
    /// 5 ms timeout on an idle service `b` does not put a lagging run's failure in doubt, when
    /// the service the mix aims at waits 1 s. In the run's health (judged from the scenario's
    /// mix) and in its results (judged from the intents each service was offered) alike.
    #[test]
    fn the_timeout_of_a_service_sent_no_intents_does_not_put_lateness_in_doubt() {
        let s = crate::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"5s\"\nrate = 10\n\
             [[workload.mix]]\nservice = \"a\"\n\
             [clients]\ntimeout = \"1s\"\n[clients.services.b]\ntimeout = \"5ms\"\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        assert!(s.receives_intents("a") && !s.receives_intents("b"));
        // 50 ms late: a twentieth of a's timeout, ten times b's.
        let late = 0.05;
        assert!(!lateness_in_doubt(late, 1.0, &s.file, |n| s.receives_intents(n)));
        // Were b sent intents, its clients would be the ones in doubt.
        assert!(lateness_in_doubt(late, 1.0, &s.file, |_| true));
        // Lagging (many late sends), but no doubt from b's timeout.
        let lag: Vec<Duration> = sends(50, 30, Duration::from_millis(50));
        let mut h = Hist::new(TOTAL_SIGFIG);
        lag.iter().for_each(|d| h.record(*d));
        let health = GeneratorHealth::judge(h.quantile_s(0.99), 30, 0, 1.0, &s);
        assert!(health.lagging, "{health:?}");
        let mut r = Recorder::for_scenario(&s).finish(&s, RunMeta::sim("fifo"));
        r.source = RunSource::Live;
        r.generator = Some(health);
        r.summary.services.entry("a".into()).or_default().offered = 50;
        r.summary.services.entry("b".into()).or_default().offered = 0;
        assert!(!r.generator_in_doubt());
        // Results in which b was offered intents: its clients count.
        r.summary.services.entry("b".into()).or_default().offered = 3;
        assert!(r.generator_in_doubt());
    }

    /// A file that is not JSON says so, and a scenario file given by mistake is named as one,
    /// not "1:1: expected value"; broken JSON keeps its position.
    #[test]
    fn a_scenario_or_other_text_given_as_results_says_what_it_is() {
        let err = |path: &str, text: &str| Results::from_json(path, text).expect_err("not results").to_string();
        assert_eq!(
            err(
                "s.toml",
                "# steady\n[run]\nname = \"steady\"\n[[workload.phases]]\nduration = \"60s\"\nrate = 120\n"
            ),
            "s.toml: not a spillway results file: this is a scenario file (TOML), not JSON; spillway takes \
             results.json files, or the run directories that hold them: run the scenario first \
             (`spillway sim run s.toml -o DIR`) and give DIR"
        );
        assert_eq!(
            err("notes.txt", "hello"),
            "notes.txt: not a spillway results file: this is not JSON; spillway takes results.json files, \
             or the run directories that hold them"
        );
        let broken = err("r.json", "{\"schema\": ");
        assert!(
            broken.starts_with("r.json:1:11: not a spillway results file:"),
            "{broken}"
        );
        assert!(err("empty.json", "").starts_with("empty.json:1:0: not a spillway results file:"));
        // A sweep's CSV table points to the sweep.json beside it.
        let csv = err(
            "out/sweep/sweep.csv",
            "gateway.strategy,goodput_ratio,goodput,p50_s,verdict,meets_slo\nfifo,0.5,1,0.1,metastable,false\n",
        );
        assert!(
            csv.contains("this is the CSV table of `sim sweep` (sweep.csv)") && csv.contains("from its sweep.json"),
            "{csv}"
        );
        // A scenario opening with its `[run]` table (as `compare --baseline` reads it), and a
        // JSON array, which is no scenario.
        assert!(err("s.toml", "[run]\nname = \"steady\"\n").contains("this is a scenario file (TOML)"));
        let array = err("a.json", "[1, 2]");
        assert!(array.starts_with("a.json:1:") && !array.contains("this is"), "{array}");
    }

    /// A results file of another schema, or of this one with a field missing, says which
    /// spillway may have written it and how to get one this build reads; it read "not a
    /// spillway results file" for a field missing.
    #[test]
    fn a_results_file_of_another_version_says_what_to_do() {
        let s = small_run();
        let r = Recorder::for_scenario(&s).finish(&s, RunMeta::sim("fifo"));
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).expect("json");
        let err = |v: &serde_json::Value| {
            Results::from_json("base.json", &v.to_string())
                .expect_err("refused")
                .to_string()
        };
        let mut newer = json.clone();
        newer["schema"] = serde_json::json!(SCHEMA_VERSION + 1);
        let e = err(&newer);
        assert!(
            e.starts_with(&format!("base.json: results schema {} is not supported (this build reads schema {SCHEMA_VERSION}): a newer spillway wrote it; write it again with this one", SCHEMA_VERSION + 1)),
            "{e}"
        );
        let mut older = json.clone();
        older["schema"] = serde_json::json!(0);
        assert!(err(&older).contains("another spillway wrote it"));
        // JSON that names no spillway is not said to be a spillway's.
        let e = err(&serde_json::json!({"schema": 0, "x": 1}));
        assert_eq!(
            e,
            "base.json: results schema 0 is not supported (this build reads schema 1)"
        );
        let e = err(&serde_json::json!({"schema": 0, "tool": "other 2.0"}));
        assert!(
            e.contains("not a spillway results file") && !e.contains("wrote it"),
            "{e}"
        );
        let e = err(&serde_json::json!({"schema": SCHEMA_VERSION, "name": "other tool"}));
        assert!(
            e.contains("not a spillway results file") && !e.contains("cannot read"),
            "{e}"
        );
        let mut missing = json.clone();
        missing["summary"]
            .as_object_mut()
            .expect("an object")
            .remove("goodput_ratio");
        let e = err(&missing);
        assert!(
            e.starts_with("base.json:1:")
                && e.contains("a results file this build cannot read: summary: missing field `goodput_ratio`")
                && e.contains("write it again with this build")
                && !e.contains("not a spillway results file"),
            "{e}"
        );
    }

    /// Goodput of 33,638 in 33,639 read "100.0%" in the summary (the reports' tables said
    /// 99.997%): a share short of the whole is never shown as it, the run's nor a service's.
    #[test]
    fn the_summary_never_rounds_goodput_up_to_the_whole() {
        let s = small_run();
        let mut r = Recorder::for_scenario(&s).finish(&s, RunMeta::sim("fifo"));
        r.summary.whole.offered = 33_639;
        r.summary.whole.successes = 33_638;
        r.summary.whole.goodput_ratio = 33_638.0 / 33_639.0;
        let mut billing = GroupSummary {
            offered: 2_989,
            successes: 2_988,
            goodput_ratio: 2_988.0 / 2_989.0,
            ..Default::default()
        };
        billing.latency.p50 = 0.02;
        r.summary.services.insert("billing".into(), billing);
        let table = summary_table(&r);
        assert!(table.contains("goodput       99.997% of intents"), "{table}");
        assert!(table.contains("goodput 99.97%"), "{table}");
        assert!(!table.contains("100.0%"), "{table}");
    }

    /// The summary warns of a sustained lag, with its count of late sends, and not of one
    /// hiccup; a file from before the count (no `late_sends`) loads and warns as it said.
    #[test]
    fn the_summary_warns_of_a_lag_not_a_hiccup() {
        let s = small_run();
        let mut r = Recorder::for_scenario(&s).finish(&s, RunMeta::sim("fifo"));
        r.source = RunSource::Live;
        r.generator = Some(judged(&sends(50, 1, Duration::from_millis(8)), 1.0));
        assert!(!summary_table(&r).contains("fell behind its schedule"));
        r.generator = Some(judged(&sends(50, 30, Duration::from_millis(3)), 1.0));
        let table = summary_table(&r);
        assert!(table.contains("30 sends later than 1.0ms"), "{table}");
        let old: GeneratorHealth =
            serde_json::from_str(r#"{"lateness_p99_s":0.008,"unsent":0,"lagging":true}"#).expect("an older file");
        assert_eq!(old.late_sends, None);
        r.generator = Some(old);
        let table = summary_table(&r);
        assert!(table.contains("(send lateness p99 8.0ms real time): "), "{table}");
        assert!(
            !table.contains("arrivals not sent"),
            "none left unsent, none said: {table}"
        );
        r.generator.as_mut().expect("set above").unsent = 9;
        let table = summary_table(&r);
        assert!(
            table.contains("(send lateness p99 8.0ms real time, 9 arrivals not sent, left out of the figures)"),
            "{table}"
        );
    }
}
