//! Accumulates a run's events into windows, for both drivers.
//!
//! Attribution: everything about an intent (offered, success, failure, latency) goes to the
//! window of its intended start, so a window's goodput ratio compares like with like; attempts
//! to the window of their intended send time; queue waits and backend work to the window in
//! which they happened. Memory is per window, never per request.

use super::bins::{Bins, FineBins, FINE_CAPACITY};
use super::groups::{
    goodput_series, group_verdicts, keeps_classes, keeps_services, GroupCounters, GroupResults, GroupSummary,
    GroupWindow, Tag,
};
use super::histogram::{Hist, PackedHist, TOTAL_SIGFIG, WINDOW_SIGFIG};
use super::verdict::{decide, VerdictParams};
use super::{
    metric, Counters, Gauges, GeneratorHealth, Outcome, Percentiles, PhaseMark, Results, RunNotes, RunSource, Summary,
    Window, SCHEMA_VERSION,
};
use crate::scenario::{Priority, Scenario};
use crate::threshold::Scope;
use crate::threshold::ThresholdResult;
use crate::time::Time;
use std::collections::BTreeMap;
use std::time::Duration;

/// What the driver knows about the run that the events do not say.
#[derive(Clone, Debug)]
pub struct RunMeta {
    pub source: RunSource,
    pub strategy: String,
    pub incomplete: bool,
    /// Why a simulated run stopped early, when it did (a cap it reached).
    pub stopped: Option<String>,
    pub generator: Option<GeneratorHealth>,
}

impl RunMeta {
    /// A complete simulated run under `strategy`.
    pub fn sim(strategy: impl Into<String>) -> RunMeta {
        RunMeta {
            source: RunSource::Sim,
            strategy: strategy.into(),
            incomplete: false,
            stopped: None,
            generator: None,
        }
    }
}

struct Acc {
    counters: Counters,
    q_max: u64,
    q_sum: f64,
    f_max: u64,
    f_sum: f64,
    samples: u64,
    /// Attempts a live run's load generator held for want of a connection, summed over samples.
    waiting_sum: f64,
    limit: Option<u64>,
    intent: Slot,
    attempt: Slot,
    queue: Slot,
    service: Slot,
    extra: Vec<(String, Slot)>,
    /// Per kept group (see [`GroupSlots`]): intents offered and succeeded.
    groups: Vec<GroupWindow>,
}

/// Where a window keeps its groups: the classes first (when kept), then the services.
#[derive(Clone, Copy, Debug, Default)]
struct GroupSlots {
    classes: bool,
    services: usize,
    /// Either of the above: whether a request counts in any group. Most runs keep none; their
    /// recording then tests this once per event rather than each kind of group twice.
    any: bool,
}

impl GroupSlots {
    fn len(self) -> usize {
        if self.classes {
            Priority::ALL.len() + self.services
        } else {
            self.services
        }
    }

    /// Applies `f` to the slots (in `groups`, laid out as above) of the groups an intent tagged
    /// `tag` counts in: its class and its service, for those the run keeps.
    #[inline]
    fn each<T>(self, tag: Tag, groups: &mut [T], f: impl Fn(&mut T)) {
        let mut base = 0;
        if self.classes {
            f(&mut groups[tag.class.index()]);
            base = Priority::ALL.len();
        }
        if tag.service < self.services {
            f(&mut groups[base + tag.service]);
        }
    }
}

/// A window's histogram: dense while the window still receives values, compressed once it is
/// behind the recording horizon (see [`Recorder::set_horizon`]).
enum Slot {
    Live(Bins),
    Packed(PackedHist),
}

impl Slot {
    fn new() -> Slot {
        Slot::Live(Bins::new(WINDOW_SIGFIG))
    }

    /// The dense histogram, unpacking a window that receives a late value.
    #[inline]
    fn live(&mut self) -> &mut Bins {
        if let Slot::Packed(_) = self {
            self.unpack();
        }
        match self {
            Slot::Live(h) => h,
            Slot::Packed(_) => unreachable!("unpacked above"),
        }
    }

    #[cold]
    fn unpack(&mut self) {
        if let Slot::Packed(p) = self {
            *self = Slot::Live(Bins::from_hist(&p.unpack()));
        }
    }

    fn pack(&mut self) {
        if let Slot::Live(h) = self {
            *self = Slot::Packed(PackedHist::pack_bins(h));
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Slot::Live(h) => h.is_empty(),
            Slot::Packed(p) => p.is_empty(),
        }
    }

    fn into_packed(self) -> PackedHist {
        match self {
            Slot::Live(h) => PackedHist::pack_bins(&h),
            Slot::Packed(p) => p,
        }
    }
}

impl Acc {
    /// An intent of `tag` ended here, `success` or not: the window's count and its groups'.
    #[inline(always)]
    fn intent_ended(&mut self, slots: GroupSlots, tag: Tag, success: bool) {
        if success {
            self.counters.requests.successes += 1;
            if slots.any {
                slots.each(tag, &mut self.groups, |g| g.successes += 1);
            }
        } else {
            self.counters.requests.failures += 1;
        }
    }

    fn new(groups: GroupSlots) -> Acc {
        Acc {
            counters: Counters::default(),
            q_max: 0,
            q_sum: 0.0,
            f_max: 0,
            f_sum: 0.0,
            samples: 0,
            waiting_sum: 0.0,
            limit: None,
            intent: Slot::new(),
            attempt: Slot::new(),
            queue: Slot::new(),
            service: Slot::new(),
            extra: Vec::new(),
            groups: vec![GroupWindow::default(); groups.len()],
        }
    }

    /// The histogram of latency metric `m` ([`INTENT`], [`ATTEMPT`], [`QUEUE`], [`SERVICE`]).
    #[inline]
    fn slot(&mut self, m: usize) -> &mut Slot {
        match m {
            INTENT => &mut self.intent,
            ATTEMPT => &mut self.attempt,
            QUEUE => &mut self.queue,
            _ => &mut self.service,
        }
    }

    /// Packs the attempt histogram as the intent's when both hold the same counts (each
    /// intent one attempt, its latency the intent's, as without retries), so that the same
    /// bytes are compressed once.
    fn pack_attempt_as_intent(&mut self) {
        if let (Slot::Live(intent), Slot::Live(attempt)) = (&self.intent, &self.attempt) {
            if intent.same_counts(attempt) {
                let p = PackedHist::pack_bins(intent);
                self.attempt = Slot::Packed(p.clone());
                self.intent = Slot::Packed(p);
            }
        }
    }

    fn pack(&mut self) {
        self.pack_attempt_as_intent();
        for s in [&mut self.intent, &mut self.attempt, &mut self.queue, &mut self.service] {
            s.pack();
        }
        for (_, s) in &mut self.extra {
            s.pack();
        }
    }
}

/// The four latency metrics every request records, as indices (see [`Acc::slot`],
/// [`Totals::bins`] and [`Recorder::fine`]).
const INTENT: usize = 0;
const ATTEMPT: usize = 1;
const QUEUE: usize = 2;
const SERVICE: usize = 3;

/// A group's whole-run counters and intent latency while recording.
type GroupAcc = (GroupCounters, Bins);

struct Totals {
    intent: Bins,
    attempt: Bins,
    queue: Bins,
    service: Bins,
    extra: Vec<(String, Bins)>,
    /// Per kept group, laid out as [`GroupSlots`] says: counters and intent latency.
    groups: Vec<GroupAcc>,
}

impl Totals {
    /// The whole-run histogram of latency metric `m` (see [`Acc::slot`]).
    #[inline]
    fn bins(&mut self, m: usize) -> &mut Bins {
        match m {
            INTENT => &mut self.intent,
            ATTEMPT => &mut self.attempt,
            QUEUE => &mut self.queue,
            _ => &mut self.service,
        }
    }
}

/// A group accumulator as it goes into the results file.
fn group_results((counters, h): (GroupCounters, Bins)) -> GroupResults {
    GroupResults {
        counters,
        intent_latency: h.to_hist(),
    }
}

/// Each group's headline figures.
fn group_summaries<K: Ord + Clone>(groups: &BTreeMap<K, GroupResults>, run_s: f64) -> BTreeMap<K, GroupSummary> {
    groups
        .iter()
        .map(|(k, g)| {
            (
                k.clone(),
                GroupSummary::of(&g.counters, Percentiles::of(&g.intent_latency), run_s),
            )
        })
        .collect()
}

/// The strategy recorded for a live run against a target loadgen did not start (`--target`):
/// neither its gateway nor its backend is the scenario's.
pub const EXTERNAL_STRATEGY: &str = "external";

/// Headline figures, verdict and thresholds from windows and whole-run histograms. Used when
/// a run finishes and when shards are merged (counters and histograms added, never percentiles
/// averaged).
pub fn summarize(
    windows: &[Window],
    totals: &BTreeMap<String, Hist>,
    classes: &BTreeMap<Priority, GroupResults>,
    services: &BTreeMap<String, GroupResults>,
    window_s: f64,
    scenario: &Scenario,
    strategy: &str,
) -> Summary {
    let totals = WholeRun {
        hists: totals,
        bins: &[],
    };
    summarize_with(windows, totals, classes, services, window_s, scenario, strategy)
}

/// The whole-run histograms [`summarize`] reads, and the bins of those the caller still has,
/// whose mean ([`Bins::mean_us`]) does not walk the histogram with the crate's iterator.
#[derive(Clone, Copy)]
struct WholeRun<'a> {
    hists: &'a BTreeMap<String, Hist>,
    bins: &'a [(&'a str, &'a Bins)],
}

impl WholeRun<'_> {
    fn percentiles(self, name: &str) -> Percentiles {
        let bins = self.bins.iter().find(|(n, _)| *n == name);
        let mean = bins.and_then(|(_, b)| b.mean_us()).map(|us| us / 1e6);
        self.hists
            .get(name)
            .map(|h| Percentiles::with_mean(h, mean))
            .unwrap_or_default()
    }
}

/// [`summarize`], with the means the caller knew.
fn summarize_with(
    windows: &[Window],
    totals: WholeRun,
    classes: &BTreeMap<Priority, GroupResults>,
    services: &BTreeMap<String, GroupResults>,
    window_s: f64,
    scenario: &Scenario,
    strategy: &str,
) -> Summary {
    let run_s = scenario.duration.as_secs_f64();
    let mut c = Counters::default();
    for w in windows {
        c.add(&w.counters);
    }
    // The trigger phases, by which the load before and after is told; the verdict's trigger
    // also covers the outages that overlap them (`Scenario::trigger_span`).
    let trigger = scenario
        .phases
        .iter()
        .filter(|p| p.trigger)
        .fold(None, |acc: Option<(f64, f64)>, p| {
            let (s, e) = (p.start.as_secs_f64(), p.end.as_secs_f64());
            Some(acc.map_or((s, e), |(a, b)| (a.min(s), b.max(e))))
        });
    let judged_trigger = scenario.trigger_span().map(|(s, e)| (s.as_secs_f64(), e.as_secs_f64()));
    let goodput = goodput_series(windows, run_s, |w| w.group(&Scope::Whole));
    // Each service's peak offered utilisation before the trigger (open workloads), when the
    // scenario's backend is what was measured: not for an external target (`loadgen --target`).
    let backend_known = strategy != EXTERNAL_STRATEGY;
    let known = backend_known && scenario.file.workload.closed.is_none();
    // Per service, the peak offered utilisation over the (non-trigger) phases `keep` selects.
    let peak = |keep: &dyn Fn(f64) -> bool| -> Vec<f64> {
        scenario
            .phases
            .iter()
            .filter(|p| keep(p.start.as_secs_f64()) && !p.trigger)
            .map(|p| crate::scenario::phase_utilisation(scenario, p))
            .fold(vec![0.0f64; scenario.services.len()], |acc, u| {
                acc.iter().zip(&u).map(|(a, b)| a.max(*b)).collect()
            })
    };
    let load: Option<Vec<f64>> = known.then(|| {
        let before = trigger.map_or(f64::INFINITY, |(start, _)| start);
        peak(&|start| start < before)
    });
    // After the trigger, the phases that start once it is over.
    let load_after: Option<Vec<f64>> = trigger
        .filter(|_| known)
        .map(|(_, end)| peak(&|start| start >= end - 1e-9));
    let busiest_of = |l: &Option<Vec<f64>>| l.as_ref().map(|l| l.iter().copied().fold(0.0, f64::max));
    let (busiest, busiest_after) = (busiest_of(&load), busiest_of(&load_after));
    let params = VerdictParams {
        window_s,
        healthy_ratio: scenario.file.run.healthy_ratio,
        recovery_fraction: 0.9,
        rolling_s: f64::from(super::verdict::ROLLING_WINDOWS) * window_s,
        min_span_intents: super::verdict::MIN_SPAN_INTENTS,
        trigger: judged_trigger,
        load: busiest,
        load_after: busiest_after,
    };
    let v = decide(&goodput, &params);
    // A class reads the gateway's requests held only with one service; a service reads its
    // own (see `group_verdicts`).
    let one_service = scenario.services.len() == 1;
    let mut class_summaries = group_summaries(classes, run_s);
    group_verdicts(
        &mut class_summaries,
        windows,
        run_s,
        |c| Scope::Class(*c),
        &params,
        |_| (busiest, busiest_after),
        one_service,
    );
    let mut service_summaries = group_summaries(services, run_s);
    let service_load = |name: &String| {
        let Some(i) = scenario.services.iter().position(|s| s.name == *name) else {
            return (None, None);
        };
        (load.as_ref().map(|l| l[i]), load_after.as_ref().map(|l| l[i]))
    };
    group_verdicts(
        &mut service_summaries,
        windows,
        run_s,
        |n| Scope::Service(n.clone()),
        &params,
        service_load,
        false,
    );
    let pct = |name: &str| totals.percentiles(name);
    // The intent and attempt figures, computed as each class's are.
    let whole = GroupSummary::of(&c.requests, pct(metric::INTENT_LATENCY), run_s);
    Summary {
        duration_s: run_s,
        whole: GroupSummary {
            verdict: v.verdict,
            recovery_s: v.recovery_s,
            held: v.held,
            verdict_reason: v.reason,
            ..whole
        },
        backend_busy_s: c.backend_busy_s,
        wasted_s: c.wasted_s,
        wasted_ratio: if c.backend_busy_s > 0.0 {
            c.wasted_s / c.backend_busy_s
        } else {
            0.0
        },
        external_target: !backend_known,
        attempt_latency: pct(metric::ATTEMPT_LATENCY),
        queue_wait: pct(metric::QUEUE_WAIT),
        baseline_goodput_ratio: v.baseline,
        classes: class_summaries,
        services: service_summaries,
    }
}

/// The last step of a summary, as a results file stores it: a run cut short loses its verdicts
/// ([`verdicts_not_judged_if_partial`]), then the scenario's thresholds are judged on what is
/// left ([`not_judged_if_partial`]). In that order, so that checking a file
/// ([`super::check`]), which judges its thresholds again on its stored summary, gets the same
/// answers: judged before, a `recovery` bound kept the part that ran's recovery (12 s) beside a
/// summary without it, and the file was refused as edited.
pub(crate) fn judge(summary: &mut Summary, scenario: &Scenario, meta: PartialRun) -> Vec<ThresholdResult> {
    verdicts_not_judged_if_partial(summary, meta);
    let mut thresholds: Vec<ThresholdResult> = scenario.thresholds.iter().map(|t| t.evaluate(summary)).collect();
    not_judged_if_partial(&mut thresholds, meta);
    thresholds
}

/// What [`judge`] needs to know of how a run ended.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PartialRun {
    pub source: RunSource,
    pub incomplete: bool,
    pub stopped: bool,
    pub unsent: u64,
}

/// How a run was cut short: what no verdict or threshold over it can be judged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cut {
    /// A simulation stopped at its cap on requests held at once.
    Stopped,
    /// A live run interrupted.
    Interrupted,
    /// A live run whose load generator left this many arrivals unsent.
    Unsent(u64),
}

impl PartialRun {
    fn cut(&self) -> Option<Cut> {
        if self.stopped {
            Some(Cut::Stopped)
        } else if self.incomplete && self.source != RunSource::Sim {
            Some(Cut::Interrupted)
        } else {
            (self.unsent > 0).then_some(Cut::Unsent(self.unsent))
        }
    }
}

/// "1 arrival", "3 arrivals".
fn arrivals(n: u64) -> String {
    format!("{n} arrival{}", if n == 1 { "" } else { "s" })
}

/// Why a threshold that held over a stopped simulation fails (see [`not_judged_if_partial`]).
pub const STOPPED_NOT_JUDGED: &str = "not judged: the simulation stopped early, at its cap";
/// Why one that held over an interrupted live run fails.
pub const INTERRUPTED_NOT_JUDGED: &str = "not judged: the run was interrupted";

/// A bound that held over part of a run proves nothing about the run (its load, or its
/// effect, may not have come yet), so over a live run that was interrupted, or a simulation
/// the simulator stopped at its cap on requests held, one that passed is not judged, and
/// fails; one that failed stands. The same for a live run whose generator left arrivals
/// unsent (`unsent`: out of sockets or of room for intents): the target never saw that load,
/// and those arrivals came while it was slowest. (A simulation capped at its closed-loop intents ran its
/// course, and is judged.)
pub(crate) fn not_judged_if_partial(thresholds: &mut [ThresholdResult], run: PartialRun) {
    let why = match run.cut() {
        Some(Cut::Stopped) => STOPPED_NOT_JUDGED.to_string(),
        Some(Cut::Interrupted) => INTERRUPTED_NOT_JUDGED.to_string(),
        Some(Cut::Unsent(n)) => format!("not judged: the load generator left {} unsent", arrivals(n)),
        None => return,
    };
    // A recovery bound over a run without a verdict says why there is none.
    for t in thresholds
        .iter_mut()
        .filter(|t| t.passed || t.missing.as_deref() == Some(crate::threshold::NOT_JUDGED))
    {
        t.not_judged(&why);
    }
}

/// A verdict over part of a run says nothing of the run, as a threshold that held over it
/// proves nothing (see [`not_judged_if_partial`]): "stable" over the 4 s before a Ctrl-C, or a
/// recovery the rest might have undone. So a live run that was interrupted, or a simulation
/// stopped at its cap on requests held (a sweep's `stopped` point), is not judged, whole and
/// per group; the reason keeps what the part that ran read. So is a live run whose load
/// generator left arrivals unsent (`unsent`), as its thresholds are: the target never saw that
/// load, and it came while the target was slowest. (A simulation capped at its closed-loop
/// intents ran its course, and is judged.)
pub(crate) fn verdicts_not_judged_if_partial(summary: &mut Summary, run: PartialRun) {
    let why = match run.cut() {
        Some(Cut::Stopped) => "the simulation stopped early, at its cap on requests held at once,".to_string(),
        Some(Cut::Interrupted) => "the run was interrupted".to_string(),
        Some(Cut::Unsent(n)) => format!("the load generator left {} unsent in the run that ended", arrivals(n)),
        None => return,
    };
    let at = super::fmt_secs(summary.duration_s);
    let cut = |g: &mut GroupSummary| {
        if g.verdict.is_none() && g.verdict_reason.is_empty() {
            // A group given no verdict and no reason (no baseline) stays as it was.
            return;
        }
        g.verdict_reason = match g.verdict {
            Some(v) => format!(
                "{why} at {at}; what ran read {}: {}",
                super::verdict_label(v, g.recovery_s, g.held),
                g.verdict_reason
            ),
            None => format!("{why} at {at}; {}", g.verdict_reason),
        };
        (g.verdict, g.recovery_s, g.held) = (None, None, false);
    };
    cut(&mut summary.whole);
    summary.classes.values_mut().for_each(cut);
    summary.services.values_mut().for_each(cut);
}

/// Builds [`Results`] from events.
pub struct Recorder {
    window_ns: u64,
    /// The windows before the newest (window `i` at index `i`).
    windows: Vec<Acc>,
    /// The newest window (index `windows.len()`), once there is one (`fast_ns` non-zero). Kept
    /// out of `windows`, so that nearly every event reaches its counters at a fixed place in
    /// the recorder: no vector's pointer and length to load, no bounds to check.
    newest: Acc,
    /// `window_ns` once the newest window exists, 0 before: [`Recorder::win_newest`]'s one
    /// comparison (`at - newest_start < fast_ns`) then also tells whether there is a window.
    fast_ns: u64,
    /// Whether windows keep latency histograms; the whole-run ones are always kept.
    window_histograms: bool,
    /// Where the newest window starts (ns). Most values fall in it: `win` finds it with a
    /// subtraction and a comparison instead of a division.
    newest_start: u64,
    totals: Totals,
    /// Windows this far behind the newest are packed: values for them are rare by then.
    horizon_windows: usize,
    /// Windows before this index have been packed (a late value unpacks one again: see
    /// `reopened`).
    packed_upto: usize,
    reopened: Vec<usize>,
    /// The groups each window and the whole run keep, and the kept services' names.
    group_slots: GroupSlots,
    service_names: Vec<String>,
    /// The newest window's latencies ([`INTENT`], [`ATTEMPT`], [`QUEUE`], [`SERVICE`]) at the
    /// whole run's precision, in neither the window's histograms nor the totals yet: when the
    /// window stops being the newest (or the run ends) they are added to the totals and,
    /// coarsened, to the window ([`FineBins::drain_into`]). A value for the newest window, nearly
    /// every value, is then one increment instead of two (the window's and the whole run's),
    /// and the four dense histograms in use are as many as before. A value for an older window
    /// goes to both, as before.
    fine: [FineBins<TOTAL_SIGFIG>; 4],
    /// The newest window's latencies of attempts that ended their intent and were its first
    /// (nearly every request's): each value both an intent's and an attempt's, recorded once
    /// here and added to both of [`Recorder::fine`]'s at the drain. Each increment of a value
    /// is a look into one of the dense histograms (tens of kilobytes each, in use at once
    /// with the others), and it was two per request for one value.
    fine_both: FineBins<TOTAL_SIGFIG>,
    /// Values [`Recorder::fine`] and [`Recorder::fine_both`] may still take before they are
    /// drained into the newest window early (their counts are `u32`: see [`FINE_CAPACITY`]).
    /// Any bin of theirs holds at most the values recorded since the last drain, so none can
    /// overflow. A window drains them long before (billions of values in one window are
    /// minutes of simulation); the check costs a decrement per value.
    fine_room: u64,
    /// What [`Recorder::fine_room`] starts at after a drain: [`FINE_CAPACITY`], smaller in
    /// tests to drain in the middle of windows.
    fine_capacity: u64,
    /// Tests only: every window found by division and every value recorded straight into its
    /// window and the totals, as for a window other than the newest: the general path the
    /// newest window's shortcuts are checked against.
    #[cfg(test)]
    general: bool,
}

/// Default horizon: a minute of 1 s windows covers clients' timeouts, retries and backoff in
/// most scenarios; drivers that know better call [`Recorder::set_horizon`].
const DEFAULT_HORIZON_WINDOWS: usize = 64;
/// At most this many windows stay dense, whatever the horizon: with very patient clients (an
/// M/M/c model with no timeout) the bound is the whole run, yet most values still arrive
/// within a few windows; the rare later one unpacks its window.
const MAX_LIVE_WINDOWS: usize = 256;

/// `Duration::from_nanos(ns).as_secs_f64()`, bit for bit (the whole seconds plus the rest over
/// 10^9), with the seconds converted as a signed integer: they are below 2^35, and the
/// unsigned conversion took several instructions more on the path of every backend request.
#[inline(always)]
fn secs_f64(ns: u64) -> f64 {
    const NANOS: u64 = 1_000_000_000;
    let (secs, nanos) = (ns / NANOS, (ns % NANOS) as u32);
    // `secs` is at most u64::MAX / 10^9, so the cast to i64 keeps its value.
    (secs as i64) as f64 + f64::from(nanos) / NANOS as f64
}

fn extra<'a>(list: &'a mut Vec<(String, Bins)>, name: &str, sigfig: u8) -> &'a mut Bins {
    let i = match list.iter().position(|(n, _)| n == name) {
        Some(i) => i,
        None => {
            list.push((name.to_string(), Bins::new(sigfig)));
            list.len() - 1
        }
    };
    &mut list[i].1
}

fn extra_slot<'a>(list: &'a mut Vec<(String, Slot)>, name: &str) -> &'a mut Bins {
    let i = match list.iter().position(|(n, _)| n == name) {
        Some(i) => i,
        None => {
            list.push((name.to_string(), Slot::new()));
            list.len() - 1
        }
    };
    list[i].1.live()
}

impl Recorder {
    pub fn new(window: Duration) -> Recorder {
        let window_ns = u64::try_from(window.as_nanos()).unwrap_or(u64::MAX).max(1);
        Recorder {
            window_ns,
            windows: Vec::new(),
            newest: Acc::new(GroupSlots::default()),
            fast_ns: 0,
            window_histograms: true,
            newest_start: 0,
            totals: Totals {
                intent: Bins::new(TOTAL_SIGFIG),
                attempt: Bins::new(TOTAL_SIGFIG),
                queue: Bins::new(TOTAL_SIGFIG),
                service: Bins::new(TOTAL_SIGFIG),
                extra: Vec::new(),
                groups: Vec::new(),
            },
            horizon_windows: DEFAULT_HORIZON_WINDOWS,
            packed_upto: 0,
            reopened: Vec::new(),
            group_slots: GroupSlots::default(),
            service_names: Vec::new(),
            fine: std::array::from_fn(|_| FineBins::new()),
            fine_both: FineBins::new(),
            fine_room: FINE_CAPACITY,
            fine_capacity: FINE_CAPACITY,
            #[cfg(test)]
            general: false,
        }
    }

    /// How long after a window's end values may still arrive for it (an intent's whole life:
    /// its attempts' timeouts and the backoff between them). Older windows are kept compressed;
    /// a later value is still recorded exactly, at the cost of unpacking that window.
    pub fn set_horizon(&mut self, horizon: Duration) {
        let ns = u64::try_from(horizon.as_nanos()).unwrap_or(u64::MAX);
        self.horizon_windows = usize::try_from(ns / self.window_ns)
            .unwrap_or(usize::MAX)
            .saturating_add(2)
            .min(MAX_LIVE_WINDOWS);
    }

    /// With `false`, windows keep counters and gauges but no latency histograms: for callers
    /// that read only the summary (sweep points), which needs the whole-run histograms and the
    /// window counters. It saves recording into, and compressing, four histograms per window.
    pub fn keep_window_histograms(&mut self, keep: bool) {
        self.window_histograms = keep;
    }

    /// The recorder a driver of `scenario` uses: its window, a horizon of the clients' longest
    /// intent, and per-class figures when the scenario has priorities.
    pub fn for_scenario(scenario: &Scenario) -> Recorder {
        Recorder::new(scenario.window())
            .with_horizon(crate::client::intent_lifetime_bound(&scenario.file.clients))
            .with_classes(keeps_classes(scenario))
            .with_services(if keeps_services(scenario) {
                scenario.services.iter().map(|s| s.name.clone()).collect()
            } else {
                Vec::new()
            })
    }

    /// With `true`, the results also keep counters and intent latency per priority class
    /// (scenarios with priorities; see [`keeps_classes`]). Off, recording skips them.
    pub fn with_classes(mut self, keep: bool) -> Recorder {
        self.group_slots.classes = keep;
        self.lay_out_groups();
        self
    }

    /// With service names (the scenario's, in order), the results also keep counters and
    /// intent latency per service (scenarios with several; see [`keeps_services`]). Empty: off.
    pub fn with_services(mut self, names: Vec<String>) -> Recorder {
        self.group_slots.services = names.len();
        self.service_names = names;
        self.lay_out_groups();
        self
    }

    /// Empty whole-run accumulators for the groups kept (before anything is recorded).
    fn lay_out_groups(&mut self) {
        let slots = &mut self.group_slots;
        slots.any = slots.classes || slots.services > 0;
        self.totals.groups = (0..self.group_slots.len())
            .map(|_| (GroupCounters::default(), Bins::new(TOTAL_SIGFIG)))
            .collect();
    }

    /// [`Recorder::set_horizon`], builder style.
    pub fn with_horizon(mut self, horizon: Duration) -> Recorder {
        self.set_horizon(horizon);
        self
    }

    /// The window containing `at`.
    #[inline]
    fn win(&mut self, at: Time) -> &mut Acc {
        self.win_newest(at).0
    }

    /// The window containing `at`, and whether it is the newest (whose latencies go to
    /// [`Recorder::fine`]): one test of the time for both, not one each.
    #[inline(always)]
    fn win_newest(&mut self, at: Time) -> (&mut Acc, bool) {
        // The newest window is never packed (the horizon is at least two windows), so a value
        // for it needs none of the bookkeeping below.
        if self.in_newest(at) {
            return (&mut self.newest, true);
        }
        let i = self.win_slow(at);
        let newest = i == self.windows.len() && !self.general();
        (self.acc(i), newest)
    }

    /// Whether `at` falls in the newest window (false while there is none).
    #[inline(always)]
    fn in_newest(&self, at: Time) -> bool {
        !self.general() && at.0.wrapping_sub(self.newest_start) < self.fast_ns
    }

    /// Whether this is a test's recorder that takes the general path ([`Recorder::general`]).
    #[inline(always)]
    fn general(&self) -> bool {
        #[cfg(test)]
        return self.general;
        #[cfg(not(test))]
        false
    }

    /// How many windows there are: those before the newest, and the newest if there is one.
    fn window_count(&self) -> usize {
        self.windows.len() + usize::from(self.fast_ns > 0)
    }

    /// Window `i`, which must exist ([`Recorder::window_count`]).
    fn acc(&mut self, i: usize) -> &mut Acc {
        debug_assert!(i < self.window_count());
        if i < self.windows.len() {
            &mut self.windows[i]
        } else {
            &mut self.newest
        }
    }

    /// The index of the window containing `at`, made if need be.
    #[inline(never)]
    fn win_slow(&mut self, at: Time) -> usize {
        let i = usize::try_from(at.0 / self.window_ns).unwrap_or(usize::MAX);
        // A bounded run has a bounded number of windows; guard against absurd timestamps.
        let i = i.min(10_000_000);
        if self.window_count() <= i {
            self.flush_fine();
            // The newest joins the older windows, then the windows between it and `at`'s.
            if self.fast_ns > 0 {
                let newest = std::mem::replace(&mut self.newest, Acc::new(self.group_slots));
                self.windows.push(newest);
            }
            while self.windows.len() < i {
                self.windows.push(Acc::new(self.group_slots));
            }
            self.newest = Acc::new(self.group_slots);
            self.fast_ns = self.window_ns;
            self.newest_start = (i as u64).saturating_mul(self.window_ns);
            self.pack_behind();
        }
        if i < self.packed_upto && !self.reopened.contains(&i) {
            self.reopened.push(i);
        }
        i
    }

    /// Records `us` for latency metric `m` in the window containing `at` (`newest`: the newest
    /// window, as [`Recorder::win_newest`] tells) and in the whole run. Always inlined: each
    /// caller's constant `m` picks its histograms at compile time.
    #[inline(always)]
    fn latency_in(&mut self, newest: bool, at: Time, m: usize, us: u64) {
        // Also without window histograms: `flush_fine` then adds the values to the totals only.
        if newest {
            self.fine[m].record_us(us);
            self.fine_taken();
        } else {
            self.latency_late(at, m, us);
        }
    }

    /// [`Recorder::latency_in`] for a window other than the newest: straight into its histogram
    /// (if windows keep them) and the totals.
    #[inline(never)]
    fn latency_late(&mut self, at: Time, m: usize, us: u64) {
        if self.window_histograms {
            self.win(at).slot(m).live().record_us(us);
        }
        self.totals.bins(m).record_us(us);
    }

    /// Moves [`Recorder::fine`] into the newest window (if windows keep histograms) and the
    /// totals.
    fn flush_fine(&mut self) {
        self.fine_room = self.fine_capacity;
        if self.fast_ns == 0 {
            return;
        }
        let keep = self.window_histograms;
        let [intent, attempt, ..] = &mut self.fine;
        self.fine_both.drain_into_fine(intent, attempt);
        for (m, fine) in self.fine.iter_mut().enumerate() {
            if keep {
                fine.drain_into(self.newest.slot(m).live(), self.totals.bins(m));
            } else {
                fine.drain_into(&mut Bins::new(WINDOW_SIGFIG), self.totals.bins(m));
            }
        }
    }

    /// Packs the windows that fell behind the horizon, and reopened ones that did again.
    fn pack_behind(&mut self) {
        // (The horizon is at least two windows: the newest is never among these.)
        let upto = self.window_count().saturating_sub(self.horizon_windows);
        while self.packed_upto < upto {
            self.windows[self.packed_upto].pack();
            self.packed_upto += 1;
        }
        let horizon = self.horizon_windows;
        let newest = self.window_count();
        let windows = &mut self.windows;
        self.reopened.retain(|&i| {
            if i + horizon < newest {
                windows[i].pack();
                false
            } else {
                true
            }
        });
    }

    /// An intent (of the class and service in `tag`) whose first attempt was due at `at`.
    /// Always inlined: `#[inline]` left it a call from the simulator's arrival, whose frame
    /// cost half as much as its work.
    #[inline(always)]
    pub fn intent_offered(&mut self, tag: Tag, at: Time) {
        let slots = self.group_slots;
        let w = self.win(at);
        w.counters.requests.intents += 1;
        if slots.any {
            slots.each(tag, &mut w.groups, |g| g.offered += 1);
            slots.each(tag, &mut self.totals.groups, |(c, _)| c.intents += 1);
        }
    }

    /// [`Recorder::intent_offered`] and [`Recorder::attempt_sent`] of its first attempt, both
    /// at `at`: what a driver that sends an intent's first attempt at once records, with one
    /// window lookup and one pass over the groups instead of two.
    #[inline(always)]
    pub fn intent_sent(&mut self, tag: Tag, at: Time) {
        if self.in_newest(at) && !self.group_slots.any {
            let r = &mut self.newest.counters.requests;
            r.intents += 1;
            r.attempts += 1;
        } else {
            self.intent_sent_general(tag, at);
        }
    }

    /// [`Recorder::intent_sent`] for any window and groups.
    #[inline(never)]
    fn intent_sent_general(&mut self, tag: Tag, at: Time) {
        let slots = self.group_slots;
        let w = self.win(at);
        w.counters.requests.intents += 1;
        w.counters.requests.attempts += 1;
        if slots.any {
            slots.each(tag, &mut w.groups, |g| g.offered += 1);
            slots.each(tag, &mut self.totals.groups, |(c, _)| {
                c.intents += 1;
                c.attempts += 1;
            });
        }
    }

    /// An intent (of the class and service in `tag`) that started at `intended` ended after
    /// `latency`, successfully or not.
    #[inline]
    pub fn intent_finished(&mut self, tag: Tag, intended: Time, latency: Duration, success: bool) {
        self.intent_finished_us(tag, intended, Hist::micros(latency), success);
    }

    /// [`Recorder::intent_finished`] with the latency already in microseconds ([`Hist::micros`]
    /// or [`Hist::micros_of_nanos`]): the simulator's times are nanoseconds, and a `Duration`
    /// made of them only to be taken apart again cost a division per latency.
    #[inline]
    pub fn intent_finished_us(&mut self, tag: Tag, intended: Time, us: u64, success: bool) {
        let slots = self.group_slots;
        let (w, newest) = self.win_newest(intended);
        w.intent_ended(slots, tag, success);
        self.latency_in(newest, intended, INTENT, us);
        if slots.any {
            slots.each(tag, &mut self.totals.groups, |(c, h)| {
                c.ended(success);
                h.record_us(us);
            });
        }
    }

    /// An attempt (of the class and service in `tag`) due at `intended` was sent (`retry`: not
    /// the intent's first).
    #[inline]
    pub fn attempt_sent(&mut self, tag: Tag, intended: Time, retry: bool) {
        let c = &mut self.win(intended).counters;
        c.requests.attempts += 1;
        if retry {
            c.requests.retries += 1;
        }
        self.group_slots.each(tag, &mut self.totals.groups, |(c, _)| {
            c.attempts += 1;
            if retry {
                c.retries += 1;
            }
        });
    }

    /// An attempt (of the class and service in `tag`) due at `intended` ended in `outcome`
    /// after `latency` (from the intended time).
    #[inline]
    pub fn attempt_finished(&mut self, tag: Tag, intended: Time, outcome: Outcome, latency: Duration) {
        self.attempt_finished_us(tag, intended, outcome, Hist::micros(latency));
    }

    /// [`Recorder::attempt_finished`] with the latency in microseconds (see
    /// [`Recorder::intent_finished_us`]).
    #[inline]
    pub fn attempt_finished_us(&mut self, tag: Tag, intended: Time, outcome: Outcome, us: u64) {
        let slots = self.group_slots;
        if slots.any {
            slots.each(tag, &mut self.totals.groups, |(c, _)| c.outcome(outcome));
        }
        let (w, newest) = self.win_newest(intended);
        w.counters.requests.outcome(outcome);
        self.latency_in(newest, intended, ATTEMPT, us);
    }

    /// [`Recorder::attempt_finished_us`] and [`Recorder::intent_finished_us`] of an attempt that
    /// ended its intent and was due when the intent started (its first, nearly always): the
    /// same window and the same latency, looked up and binned once.
    #[inline]
    pub fn attempt_and_intent_finished_us(
        &mut self,
        tag: Tag,
        intended: Time,
        outcome: Outcome,
        us: u64,
        success: bool,
    ) {
        if self.in_newest(intended) && !self.group_slots.any {
            let r = &mut self.newest.counters.requests;
            // Most attempts succeed: no dispatch on the outcome for them.
            if outcome != Outcome::Ok {
                r.outcome(outcome);
            }
            r.ended(success);
            self.fine_intent_and_attempt(us);
        } else {
            self.attempt_and_intent_finished_general(tag, intended, outcome, us, success);
        }
    }

    /// `us` as both an intent's and an attempt's latency in the newest window's fine bins:
    /// recorded once ([`Recorder::fine_both`]).
    #[inline(always)]
    fn fine_intent_and_attempt(&mut self, us: u64) {
        self.fine_both.record_us(us);
        self.fine_taken();
    }

    /// A value went into the fine bins: when they hold all they may ([`Recorder::fine_room`]),
    /// they are drained into the newest window, which all their values are for.
    #[inline(always)]
    fn fine_taken(&mut self) {
        self.fine_room -= 1;
        if self.fine_room == 0 {
            self.fine_full();
        }
    }

    #[cold]
    #[inline(never)]
    fn fine_full(&mut self) {
        self.flush_fine();
    }

    /// [`Recorder::attempt_and_intent_finished_us`] for any window and groups.
    #[inline(never)]
    fn attempt_and_intent_finished_general(
        &mut self,
        tag: Tag,
        intended: Time,
        outcome: Outcome,
        us: u64,
        success: bool,
    ) {
        let slots = self.group_slots;
        let (w, newest) = self.win_newest(intended);
        w.counters.requests.outcome(outcome);
        w.intent_ended(slots, tag, success);
        if slots.any {
            slots.each(tag, &mut self.totals.groups, |(c, h)| {
                c.outcome(outcome);
                c.ended(success);
                h.record_us(us);
            });
        }
        if newest {
            self.fine_intent_and_attempt(us);
        } else {
            self.latency_late(intended, INTENT, us);
            self.latency_late(intended, ATTEMPT, us);
        }
    }

    /// A request left the gateway queue at `at` after waiting `wait`.
    #[inline]
    pub fn queue_wait(&mut self, at: Time, wait: Duration) {
        self.queue_wait_us(at, Hist::micros(wait));
    }

    /// [`Recorder::queue_wait`] with the wait in microseconds (see
    /// [`Recorder::intent_finished_us`]).
    #[inline]
    pub fn queue_wait_us(&mut self, at: Time, us: u64) {
        if self.in_newest(at) {
            self.fine[QUEUE].record_us(us);
            self.fine_taken();
        } else {
            self.queue_wait_general(at, us);
        }
    }

    /// [`Recorder::queue_wait_us`] for any window.
    #[inline(never)]
    fn queue_wait_general(&mut self, at: Time, us: u64) {
        // The window must exist (it has counters and gauges even when no value lands in it).
        let newest = self.win_newest(at).1;
        self.latency_in(newest, at, QUEUE, us);
    }

    /// The backend finished a request at `at` after `busy`; `wasted` if nobody waited for it.
    /// The time counts in the windows it took up (a request that hung for two minutes is not two
    /// minutes of work in its last window); its service time is recorded when it finished.
    #[inline]
    pub fn backend_work(&mut self, at: Time, busy: Duration, wasted: bool) {
        self.backend_work_ns(at, crate::time::duration_nanos(busy), wasted);
    }

    /// [`Recorder::backend_work`] with the busy time in nanoseconds (the simulator's).
    #[inline]
    pub fn backend_work_ns(&mut self, at: Time, busy_ns: u64, wasted: bool) {
        // Most work ends in the newest window, and started in it too: `at` is `into` past the
        // window's start, within it, and the work took no longer than that. (Work longer than
        // `at` itself, which the general code starts at 0, goes there too.)
        let into = at.0.wrapping_sub(self.newest_start);
        if self.in_newest(at) && into >= busy_ns {
            let s = secs_f64(busy_ns);
            let c = &mut self.newest.counters;
            c.backend_busy_s += s;
            if wasted {
                c.wasted_s += s;
            }
            self.fine[SERVICE].record_us(Hist::micros_of_nanos(busy_ns));
            self.fine_taken();
        } else {
            self.backend_work_general(at, busy_ns, wasted);
        }
    }

    /// [`Recorder::backend_work_ns`] for any window, and work that spans several.
    #[inline(never)]
    fn backend_work_general(&mut self, at: Time, busy_ns: u64, wasted: bool) {
        let window_ns = self.window_ns;
        let started = at.0.saturating_sub(busy_ns);
        let newest_start = self.newest_start;
        let us = Hist::micros_of_nanos(busy_ns);
        // Whether `at` is in the newest window tells, with the test of `win_newest`, whether
        // the work started in it too (most does): no division.
        let at_newest_window = self.in_newest(at);
        let (w, newest) = self.win_newest(at);
        let one_window = if at_newest_window {
            started >= newest_start
        } else {
            started / window_ns == at.0 / window_ns
        };
        if one_window {
            let s = secs_f64(busy_ns);
            w.counters.backend_busy_s += s;
            if wasted {
                w.counters.wasted_s += s;
            }
        } else {
            self.spread_backend_time(started, at.0, wasted);
        }
        self.latency_in(newest, at, SERVICE, us);
    }

    /// Adds the busy time from `start` to `end` (ns) to each window by its share of it.
    #[cold]
    fn spread_backend_time(&mut self, start: u64, end: u64, wasted: bool) {
        let window_ns = self.window_ns;
        let last = usize::try_from(end / window_ns)
            .unwrap_or(usize::MAX)
            .min(self.window_count() - 1);
        let first = usize::try_from(start / window_ns).unwrap_or(usize::MAX).min(last);
        for i in first..=last {
            let w = self.acc(i);
            let from = (i as u64).saturating_mul(window_ns);
            let overlap = end.min(from.saturating_add(window_ns)).saturating_sub(start.max(from));
            let s = overlap as f64 / 1e9;
            w.counters.backend_busy_s += s;
            if wasted {
                w.counters.wasted_s += s;
            }
        }
    }

    /// The gateway retried a request's backend call (a 502/503, `[gateway.retries]`).
    #[inline]
    pub fn gateway_retry(&mut self, at: Time) {
        self.win(at).counters.gateway_retries += 1;
    }

    /// A queued request was removed from the gateway because its client left.
    #[inline]
    pub fn cancelled(&mut self, at: Time) {
        self.win(at).counters.cancelled += 1;
    }

    /// A sample of the gateway's queue depth and requests in flight.
    pub fn gauges(&mut self, at: Time, queue_depth: u64, in_flight: u64) {
        let w = self.win(at);
        w.q_max = w.q_max.max(queue_depth);
        w.f_max = w.f_max.max(in_flight);
        w.q_sum += queue_depth as f64;
        w.f_sum += in_flight as f64;
        w.samples += 1;
    }

    /// A live run's sample of the attempts its load generator holds for want of a free
    /// connection, taken with the [`Recorder::gauges`] sample of the same instant. Service `i`'s
    /// share goes into [`Recorder::service_held`].
    pub fn generator_waiting(&mut self, at: Time, waiting: u64) {
        self.win(at).waiting_sum += waiting as f64;
    }

    /// The index [`Recorder::service_held`] takes for the service named `name`; `None` when
    /// the run keeps no per-service figures (one service) or has no such service.
    pub fn service_index(&self, name: &str) -> Option<usize> {
        self.service_names.iter().position(|n| n == name)
    }

    /// A sample of the requests service `service` (its index in the scenario's services) has
    /// queued or in flight at the gateway, taken with the [`Recorder::gauges`] sample of the
    /// same instant (the window's mean divides by that count). Kept for runs that keep
    /// services: what judges a service's backlog draining on its own (see `group_verdicts`).
    pub fn service_held(&mut self, at: Time, service: usize, held: u64) {
        let slots = self.group_slots;
        if service < slots.services {
            let base = slots.len() - slots.services;
            self.win(at).groups[base + service].held += held as f64;
        }
    }

    /// The adaptive concurrency limit at `at`.
    pub fn limit(&mut self, at: Time, limit: u64) {
        self.win(at).limit = Some(limit);
    }

    /// Any other latency-like metric (live runs: actual-send latency, send lateness).
    pub fn record(&mut self, at: Time, name: &str, value: Duration) {
        extra_slot(&mut self.win(at).extra, name).record(value);
        extra(&mut self.totals.extra, name, TOTAL_SIGFIG).record(value);
    }

    /// Percentile of a whole-run metric so far (e.g. send lateness), seconds.
    pub fn total_quantile(&self, name: &str, q: f64) -> Option<f64> {
        self.totals
            .extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, h)| h.quantile_s(q))
    }

    /// Whole-run counters so far.
    pub fn totals_so_far(&self) -> Counters {
        let mut c = Counters::default();
        let newest = (self.fast_ns > 0).then_some(&self.newest);
        for w in self.windows.iter().chain(newest) {
            c.add(&w.counters);
        }
        c
    }

    /// Builds the results file.
    pub fn finish(mut self, scenario: &Scenario, meta: RunMeta) -> Results {
        self.flush_fine();
        let window_s = self.window_ns as f64 / 1e9;
        let run_s = scenario.duration.as_secs_f64();
        let min_windows = (run_s / window_s).ceil() as usize;
        let mut accs = self.windows;
        if self.fast_ns > 0 {
            accs.push(self.newest);
        }
        while accs.len() < min_windows {
            accs.push(Acc::new(self.group_slots));
        }
        let t = self.totals;
        let class_names: &[Priority] = if self.group_slots.classes { &Priority::ALL } else { &[] };
        let service_names = &self.service_names;
        // A window without a gauge sample before the last one with some has no figure to give
        // (see `Gauges::unsampled`); one past it comes after the sampler stopped with nothing left.
        let last_sampled = accs.iter().rposition(|a| a.samples > 0);
        let windows: Vec<Window> = accs
            .into_iter()
            .enumerate()
            .map(|(i, mut a)| {
                let unsampled = a.samples == 0 && last_sampled.is_some_and(|l| i < l);
                if unsampled {
                    // Shares recorded without a sample of their own are no window's mean.
                    a.waiting_sum = 0.0;
                    a.groups.iter_mut().for_each(|g| g.held = 0.0);
                }
                let n = a.samples.max(1) as f64;
                a.pack_attempt_as_intent();
                let mut histograms = BTreeMap::new();
                for (name, h) in [
                    (metric::INTENT_LATENCY, a.intent),
                    (metric::ATTEMPT_LATENCY, a.attempt),
                    (metric::QUEUE_WAIT, a.queue),
                    (metric::SERVICE_TIME, a.service),
                ] {
                    if !h.is_empty() {
                        histograms.insert(name.to_string(), h.into_packed());
                    }
                }
                for (name, h) in a.extra {
                    if !h.is_empty() {
                        histograms.insert(name, h.into_packed());
                    }
                }
                let (class_part, service_part) = a.groups.split_at_mut(class_names.len());
                // While recording, `held` is the sum of the window's samples.
                for g in service_part.iter_mut() {
                    g.held /= n;
                }
                let kept = |g: &&mut GroupWindow| !g.is_empty();
                Window {
                    start_s: i as f64 * window_s,
                    classes: class_names
                        .iter()
                        .copied()
                        .zip(class_part)
                        .filter(|(_, g)| kept(g))
                        .map(|(k, g)| (k, *g))
                        .collect(),
                    services: service_names
                        .iter()
                        .zip(service_part)
                        .filter(|(_, g)| kept(g))
                        .map(|(k, g)| (k.clone(), *g))
                        .collect(),
                    counters: a.counters,
                    gauges: Gauges {
                        queue_depth_max: a.q_max,
                        queue_depth_mean: a.q_sum / n,
                        in_flight_max: a.f_max,
                        in_flight_mean: a.f_sum / n,
                        limit: a.limit,
                        generator_waiting_mean: a.waiting_sum / n,
                        unsampled,
                    },
                    histograms,
                }
            })
            .collect();
        let mut totals = BTreeMap::new();
        let intent = t.intent.to_hist();
        // The same counts, the same histogram (see `Acc::pack_attempt_as_intent`).
        let attempt = if t.attempt.same_counts(&t.intent) {
            intent.clone()
        } else {
            t.attempt.to_hist()
        };
        let bins = [
            (metric::INTENT_LATENCY, &t.intent),
            (metric::ATTEMPT_LATENCY, &t.attempt),
            (metric::QUEUE_WAIT, &t.queue),
            (metric::SERVICE_TIME, &t.service),
        ];
        for ((name, _), h) in bins.iter().zip([intent, attempt]) {
            totals.insert(name.to_string(), h);
        }
        for (name, b) in &bins[2..] {
            totals.insert(name.to_string(), b.to_hist());
        }
        for (name, h) in t.extra {
            totals.insert(name, h.to_hist());
        }
        let mut groups = t.groups.into_iter().map(group_results);
        let classes: BTreeMap<Priority, GroupResults> = class_names
            .iter()
            .copied()
            .zip(groups.by_ref().take(class_names.len()))
            .collect();
        let services: BTreeMap<String, GroupResults> = self.service_names.into_iter().zip(groups).collect();
        let mut summary = summarize_with(
            &windows,
            WholeRun {
                hists: &totals,
                bins: &bins,
            },
            &classes,
            &services,
            window_s,
            scenario,
            &meta.strategy,
        );
        let thresholds = judge(
            &mut summary,
            scenario,
            PartialRun {
                source: meta.source,
                incomplete: meta.incomplete,
                stopped: meta.stopped.is_some(),
                unsent: meta.generator.as_ref().map_or(0, |g| g.unsent),
            },
        );
        Results {
            schema: SCHEMA_VERSION,
            tool: format!("spillway {}", env!("CARGO_PKG_VERSION")),
            source: meta.source,
            scenario_name: scenario.name(),
            scenario_path: scenario.source.clone(),
            strategy: meta.strategy,
            seed: scenario.seed(),
            time_scale: scenario.file.run.time_scale,
            window_s,
            shard: None,
            merged_from: None,
            incomplete: meta.incomplete,
            stopped: meta.stopped,
            generator: meta.generator,
            notes: RunNotes::default(),
            phases: scenario
                .phases
                .iter()
                .map(|p| PhaseMark {
                    name: p.name.clone(),
                    start_s: p.start.as_secs_f64(),
                    end_s: p.end.as_secs_f64(),
                    rate_start: p.rate_start,
                    rate_end: p.rate_end,
                    trigger: p.trigger,
                })
                .collect(),
            summary,
            thresholds,
            windows,
            totals,
            classes,
            services,
            scenario: scenario.file.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Verdict;
    use crate::scenario;

    fn scenario() -> Scenario {
        scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"3s\"\nrate = 10\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n[[thresholds]]\ncheck = \"goodput_ratio >= 0.5\"\n",
        )
        .unwrap()
    }

    /// Live, so that results can be merged as shards (merge refuses simulated runs).
    fn meta() -> RunMeta {
        RunMeta {
            source: RunSource::Live,
            ..RunMeta::sim("fifo")
        }
    }

    #[test]
    fn attributes_intents_to_their_start_window() {
        let mut r = Recorder::new(Duration::from_secs(1));
        let t0 = Time::from_secs_f64(0.9);
        r.intent_offered(Tag::new(Priority::Interactive, 0), t0);
        r.attempt_sent(Tag::new(Priority::Interactive, 0), t0, false);
        r.attempt_finished(
            Tag::new(Priority::Interactive, 0),
            t0,
            Outcome::Timeout,
            Duration::from_millis(500),
        );
        r.attempt_sent(Tag::new(Priority::Interactive, 0), Time::from_secs_f64(1.5), true);
        r.attempt_finished(
            Tag::new(Priority::Interactive, 0),
            Time::from_secs_f64(1.5),
            Outcome::Ok,
            Duration::from_millis(20),
        );
        r.intent_finished(Tag::new(Priority::Interactive, 0), t0, Duration::from_millis(620), true);
        r.backend_work(Time::from_secs_f64(1.52), Duration::from_millis(10), false);
        let res = r.finish(&scenario(), meta());
        assert_eq!(res.windows.len(), 3, "windows cover the whole run");
        let w0 = &res.windows[0].counters;
        assert_eq!(
            (
                w0.requests.intents,
                w0.requests.successes,
                w0.requests.attempts,
                w0.requests.timeouts
            ),
            (1, 1, 1, 1)
        );
        let w1 = &res.windows[1].counters;
        assert_eq!((w1.requests.attempts, w1.requests.retries), (1, 1));
        assert!((w1.backend_busy_s - 0.010).abs() < 1e-12);
        assert_eq!(res.summary.whole.amplification, 2.0);
        assert_eq!(res.summary.whole.goodput_ratio, 1.0);
        assert!((res.summary.whole.latency.p50 - 0.620).abs() < 0.001);
        assert_eq!(res.thresholds.len(), 1);
        assert!(res.thresholds[0].passed);
    }

    /// `secs_f64` is `Duration::as_secs_f64` of the nanoseconds, bit for bit.
    #[test]
    fn secs_f64_is_the_durations() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let check = |ns: u64| {
            let want = Duration::from_nanos(ns).as_secs_f64();
            assert_eq!(secs_f64(ns).to_bits(), want.to_bits(), "{ns} ns");
        };
        for ns in [
            0,
            1,
            999_999_999,
            1_000_000_000,
            1_000_000_001,
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
        ] {
            check(ns);
        }
        for _ in 0..200_000 {
            let bits = rng.random_range(0..64);
            check(rng.random::<u64>() >> bits);
        }
    }

    /// The newest window's shortcuts (its place outside the vector, its lookup by one
    /// comparison, its values staged at the whole run's precision, busy time without a
    /// division) record exactly what the general path does, for every event, with values late
    /// enough to reopen packed windows, gaps of empty windows, groups, and without window
    /// histograms.
    #[test]
    fn the_newest_windows_shortcuts_record_what_the_general_path_does() {
        use rand::{Rng, SeedableRng};
        let outcomes = [
            Outcome::Ok,
            Outcome::Timeout,
            Outcome::Shed,
            Outcome::RateLimited,
            Outcome::Expired,
            Outcome::Error,
        ];
        // `capacity`: the fine bins drained after that many values (see `fine_room`), also in
        // the middle of windows.
        let run = |general: bool,
                   capacity: u64,
                   seed: u64,
                   keep: bool,
                   horizon: Duration,
                   groups: bool|
         -> (String, Counters) {
            let mut r = Recorder::new(Duration::from_millis(100))
                .with_horizon(horizon)
                .with_classes(groups)
                .with_services(if groups {
                    vec!["a".into(), "b".into()]
                } else {
                    Vec::new()
                });
            r.keep_window_histograms(keep);
            r.general = general;
            (r.fine_capacity, r.fine_room) = (capacity, capacity);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
            let mut now = rng.random_range(0..300_000_000u64);
            for _ in 0..6000 {
                now += if rng.random_bool(0.005) {
                    rng.random_range(0..700_000_000)
                } else {
                    rng.random_range(0..200_000)
                };
                let back = if rng.random_bool(0.03) {
                    rng.random_range(0..2_000_000_000)
                } else {
                    rng.random_range(0..3_000_000)
                };
                let intended = Time(now.saturating_sub(back));
                let tag = Tag::new(Priority::ALL[rng.random_range(0..2)], rng.random_range(0..3));
                let us = (1u64 << rng.random_range(0..36)) + rng.random_range(0..1000);
                let outcome = outcomes[rng.random_range(0..outcomes.len())];
                let success = rng.random_bool(0.7);
                let at = Time(now);
                match rng.random_range(0..11) {
                    0 => r.intent_sent(tag, at),
                    1 => r.attempt_sent(tag, intended, true),
                    2 => r.attempt_and_intent_finished_us(tag, intended, outcome, us, success),
                    3 => r.attempt_finished_us(tag, intended, outcome, us),
                    4 => r.intent_finished_us(tag, intended, us, success),
                    5 => r.queue_wait_us(at, us),
                    6 => {
                        let busy = if rng.random_bool(0.1) {
                            rng.random_range(0..400_000_000)
                        } else {
                            rng.random_range(0..2_000_000)
                        };
                        r.backend_work_ns(at, busy, rng.random_bool(0.2));
                    }
                    7 => r.gauges(at, rng.random_range(0..50), rng.random_range(0..10)),
                    8 => r.queue_wait(at, Duration::from_micros(us)),
                    9 => r.cancelled(at),
                    _ => r.intent_offered(tag, intended),
                }
            }
            let so_far = r.totals_so_far();
            (r.finish(&scenario(), meta()).to_json(), so_far)
        };
        for seed in 0..12 {
            for (keep, horizon, groups) in [
                (true, Duration::ZERO, false),
                (true, Duration::from_secs(1), true),
                (false, Duration::from_millis(300), false),
                (true, Duration::from_secs(3600), true),
            ] {
                let general = run(true, FINE_CAPACITY, seed, keep, horizon, groups);
                for capacity in [FINE_CAPACITY, 1, 3, 17] {
                    let fast = run(false, capacity, seed, keep, horizon, groups);
                    assert_eq!(
                        fast.1, general.1,
                        "seed {seed}, fine bins drained every {capacity} values"
                    );
                    assert!(
                        fast.0 == general.0,
                        "seed {seed}, windows keep histograms: {keep}, fine bins drained every {capacity} values"
                    );
                }
            }
        }
    }

    /// The fine bins never hold more values than they may ([`Recorder::fine_room`]): every
    /// path into them counts, so a window of more values than a `u32` count holds is drained
    /// early rather than wrapping a bin.
    #[test]
    fn fine_bins_are_drained_before_they_hold_more_than_their_capacity() {
        let capacity = 5;
        let mut r = Recorder::new(Duration::from_secs(1000));
        (r.fine_capacity, r.fine_room) = (capacity, capacity);
        let tag = Tag::new(Priority::Interactive, 0);
        let at = Time(1_000_000);
        r.intent_sent(tag, at);
        let held = |r: &Recorder| r.fine.iter().chain([&r.fine_both]).map(|f| f.held()).sum::<u64>();
        for i in 0..100u64 {
            match i % 4 {
                0 => r.attempt_and_intent_finished_us(tag, at, Outcome::Ok, 1000 + i, true),
                1 => r.queue_wait_us(at, 2000 + i),
                // Work that started in the window: its fast path.
                2 => r.backend_work_ns(at, 300_000 + i, false),
                _ => r.attempt_finished_us(tag, at, Outcome::Ok, 4000 + i),
            }
            assert!(held(&r) < capacity, "after value {i}: {} held", held(&r));
        }
        // Nothing lost on the way: every value is in the run's totals once drained.
        r.flush_fine();
        let t = &r.totals;
        let counts = [&t.intent, &t.attempt, &t.queue, &t.service].map(|b| b.to_hist().len());
        assert_eq!(counts, [25, 50, 25, 25]);
    }

    /// The verdict's reason uses the scenario's backend only when that is what was measured:
    /// not for an external target, whose capacity the file does not describe.
    #[test]
    fn an_external_target_gets_no_utilisation_from_the_scenario() {
        let reason = |strategy: &str| {
            let mut r = Recorder::new(Duration::from_secs(1));
            let tag = Tag::new(Priority::Interactive, 0);
            for i in 0..30u64 {
                let t = Time::from_secs_f64(i as f64 * 0.1);
                r.intent_offered(tag, t);
                r.attempt_sent(tag, t, false);
                r.attempt_finished(tag, t, Outcome::Error, Duration::from_millis(1));
                r.intent_finished(tag, t, Duration::from_millis(1), false);
            }
            let meta = RunMeta {
                strategy: strategy.into(),
                ..meta()
            };
            r.finish(&scenario(), meta).summary.whole.verdict_reason
        };
        // 10/s of 10 ms on one worker: 10%.
        assert!(
            reason("fifo").contains("at 10% offered utilisation"),
            "{}",
            reason("fifo")
        );
        let external = reason(EXTERNAL_STRATEGY);
        assert!(
            external.contains("overload, or failures at a load the target can carry"),
            "{external}"
        );
        assert!(!external.contains("utilisation"), "{external}");
    }

    /// A request that took up several windows counts in each by its share: a backend never
    /// shows more busy time in a window than its workers had.
    #[test]
    fn backend_time_counts_in_the_windows_it_took_up() {
        let mut r = Recorder::new(Duration::from_secs(1));
        r.intent_offered(Tag::new(Priority::Interactive, 0), Time::ZERO);
        // Busy from 0.7 s to 3.2 s, wasted; then 0.1 s inside window 3.
        r.backend_work(Time::from_secs_f64(3.2), Duration::from_millis(2500), true);
        r.backend_work(Time::from_secs_f64(3.5), Duration::from_millis(100), false);
        let res = r.finish(&scenario(), meta());
        let busy: Vec<f64> = res.windows.iter().map(|w| w.counters.backend_busy_s).collect();
        let wasted: Vec<f64> = res.windows.iter().map(|w| w.counters.wasted_s).collect();
        for (got, want) in busy.iter().zip([0.3, 1.0, 1.0, 0.3]) {
            assert!((got - want).abs() < 1e-9, "busy per window {busy:?}");
        }
        for (got, want) in wasted.iter().zip([0.3, 1.0, 1.0, 0.2]) {
            assert!((got - want).abs() < 1e-9, "wasted per window {wasted:?}");
        }
        assert!((res.summary.backend_busy_s - 2.6).abs() < 1e-9);
        assert!((res.summary.wasted_s - 2.5).abs() < 1e-9);
    }

    /// Windows behind the horizon are compressed, and a value that arrives for one later is
    /// still recorded exactly: the results equal those of a recorder that never packs.
    #[test]
    fn packing_old_windows_changes_nothing_even_for_late_values() {
        use rand::{Rng, SeedableRng};
        let events = |r: &mut Recorder| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
            for i in 0..3000u64 {
                let now = Time::from_secs_f64(i as f64 * 0.001);
                r.intent_offered(Tag::new(Priority::Interactive, 0), now);
                r.queue_wait(now, Duration::from_micros(rng.random_range(1..50_000)));
                // Mostly prompt answers, some long after their window has been packed.
                let back = if i % 97 == 0 { 2.5 } else { rng.random_range(0.0..0.02) };
                let intended = Time::from_secs_f64((i as f64 * 0.001 - back).max(0.0));
                r.intent_finished(
                    Tag::new(Priority::Interactive, 0),
                    intended,
                    Duration::from_micros(rng.random_range(1..3_000_000)),
                    i % 3 > 0,
                );
                r.record(now, "send_lateness", Duration::from_micros(rng.random_range(1..500)));
            }
        };
        let mut tight = Recorder::new(Duration::from_millis(100)).with_horizon(Duration::ZERO);
        let mut never = Recorder::new(Duration::from_millis(100)).with_horizon(Duration::from_secs(3600));
        events(&mut tight);
        events(&mut never);
        assert!(
            tight.packed_upto > 20,
            "old windows were packed ({})",
            tight.packed_upto
        );
        assert_eq!(never.packed_upto, 0);
        let (a, b) = (tight.finish(&scenario(), meta()), never.finish(&scenario(), meta()));
        assert_eq!(a.to_json(), b.to_json());
        assert!(!a.windows[0].histograms[metric::INTENT_LATENCY].is_empty());
    }

    /// Windows (packed behind the horizon and at the end) and totals whose attempt histogram
    /// holds the intent's counts, packed once, are what packing each from its own values
    /// gives; so are those where they differ by a value.
    #[test]
    fn attempt_histograms_packed_as_the_intents_are_their_own() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(31);
        let mut r = Recorder::new(Duration::from_millis(100)).with_horizon(Duration::ZERO);
        let windows = 30;
        let new_bins = |sigfig| (Bins::new(sigfig), Bins::new(sigfig));
        let mut per_window: Vec<(Bins, Bins)> = (0..windows).map(|_| new_bins(WINDOW_SIGFIG)).collect();
        let mut whole = new_bins(TOTAL_SIGFIG);
        let tag = Tag::new(Priority::Interactive, 0);
        for i in 0..windows * 40 {
            let (w, t) = ((i / 40) as usize, Time(i * 2_500_000));
            let us = rng.random_range(1..3_000_000u64);
            r.intent_sent(tag, t);
            r.attempt_and_intent_finished_us(tag, t, Outcome::Ok, us, true);
            let mut values = vec![(us, us)];
            if w % 3 == 1 && i % 40 == 7 {
                // One more attempt, of another latency: the two differ in this window.
                r.attempt_finished_us(tag, t, Outcome::Ok, us + 5_000);
                values.push((0, us + 5_000));
            }
            let (wi, wa) = &mut per_window[w];
            for (intent, attempt) in values {
                for (b, v) in [
                    (&mut *wi, intent),
                    (&mut *wa, attempt),
                    (&mut whole.0, intent),
                    (&mut whole.1, attempt),
                ] {
                    if v > 0 {
                        b.record_us(v);
                    }
                }
            }
        }
        let res = r.finish(&scenario(), meta());
        for (w, (intent, attempt)) in per_window.iter().enumerate() {
            let h = &res.windows[w].histograms;
            assert_eq!(h[metric::INTENT_LATENCY], PackedHist::pack_bins(intent), "window {w}");
            assert_eq!(h[metric::ATTEMPT_LATENCY], PackedHist::pack_bins(attempt), "window {w}");
        }
        assert_eq!(res.totals[metric::INTENT_LATENCY], whole.0.to_hist());
        assert_eq!(res.totals[metric::ATTEMPT_LATENCY], whole.1.to_hist());
        assert_ne!(res.totals[metric::INTENT_LATENCY], res.totals[metric::ATTEMPT_LATENCY]);
        // The results file and the .hlog give each histogram its own text, shared or not.
        let v: serde_json::Value = serde_json::from_str(&res.to_json()).unwrap();
        let mut hlog = Vec::new();
        crate::results::write_hlog(&res, &mut hlog).unwrap();
        let hlog = String::from_utf8(hlog).unwrap();
        let mut lines = hlog.lines().filter(|l| l.starts_with("Tag="));
        for (w, win) in res.windows.iter().enumerate() {
            for (name, h) in &win.histograms {
                assert_eq!(v["windows"][w]["histograms"][name], h.base64(), "window {w} {name}");
                let line = lines.next().unwrap();
                assert!(line.starts_with(&format!("Tag={name},")) && line.ends_with(&h.base64()));
            }
        }
        for (name, h) in &res.totals {
            assert_eq!(v["totals"][name], h.encode(), "{name}");
        }
    }

    #[test]
    fn results_round_trip_through_json() {
        let mut r = Recorder::new(Duration::from_secs(1));
        for i in 0..30u64 {
            let t = Time(i * 100_000_000);
            r.intent_offered(Tag::new(Priority::Interactive, 0), t);
            r.attempt_sent(Tag::new(Priority::Interactive, 0), t, false);
            r.attempt_finished(
                Tag::new(Priority::Interactive, 0),
                t,
                Outcome::Ok,
                Duration::from_millis(5 + i),
            );
            r.intent_finished(
                Tag::new(Priority::Interactive, 0),
                t,
                Duration::from_millis(5 + i),
                true,
            );
            r.gauges(t, i % 4, 1);
        }
        let res = r.finish(&scenario(), meta());
        assert_eq!(res.summary.whole.verdict, Some(Verdict::Stable));
        let back = Results::from_json("x.json", &res.to_json()).unwrap();
        assert_eq!(back, res);
        assert_eq!(res.windows[0].gauges.queue_depth_max, 3);
    }

    /// Each class gets its own counters and latencies, which add up to the whole run's; a
    /// scenario without priorities keeps none, and its interactive figures are the whole run's.
    #[test]
    fn keeps_figures_per_class_when_the_scenario_has_priorities() {
        let with = scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"3s\"\nrate = 10\n\
             [[workload.mix]]\nservice = \"a\"\nweight = 1\n[[workload.mix]]\nservice = \"a\"\nweight = 1\npriority = \"background\"\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [clients.retry]\nmax_attempts = 2\non = [\"5xx\"]\n",
        )
        .unwrap();
        let events = |r: &mut Recorder| {
            for i in 0..40u64 {
                let t = Time(i * 50_000_000);
                let (class, lat) = if i % 4 == 0 {
                    (Priority::Background, Duration::from_millis(900))
                } else {
                    (Priority::Interactive, Duration::from_millis(20))
                };
                r.intent_offered(Tag::new(class, 0), t);
                r.attempt_sent(Tag::new(class, 0), t, false);
                if class == Priority::Background && i % 8 == 0 {
                    // Shed once, then served on the retry.
                    r.attempt_finished(Tag::new(class, 0), t, Outcome::Shed, Duration::from_millis(1));
                    r.attempt_sent(Tag::new(class, 0), t, true);
                }
                r.attempt_finished(Tag::new(class, 0), t, Outcome::Ok, lat);
                r.intent_finished(Tag::new(class, 0), t, lat, true);
            }
        };
        assert!(keeps_classes(&with));
        let mut r = Recorder::new(Duration::from_secs(1)).with_classes(true);
        events(&mut r);
        let res = r.finish(&with, meta());
        let (i, b) = (
            &res.summary.classes[&Priority::Interactive],
            &res.summary.classes[&Priority::Background],
        );
        assert_eq!((i.offered, i.attempts, i.shed, i.retries), (30, 30, 0, 0));
        assert_eq!((b.offered, b.attempts, b.shed, b.retries), (10, 15, 5, 5));
        assert_eq!(b.amplification, 1.5);
        assert!((i.latency.p99 - 0.020).abs() < 0.0001, "{}", i.latency.p99);
        assert!((b.latency.p50 - 0.900).abs() < 0.001, "{}", b.latency.p50);
        assert_eq!(i.offered + b.offered, res.summary.whole.offered);
        assert_eq!(i.shed + b.shed, res.summary.whole.shed);
        assert_eq!(res.summary.class(Priority::Background).as_ref(), Some(b));
        // Per window too (i * 50 ms: 20 intents per window, every fourth one background).
        let w0 = &res.windows[0].classes;
        assert_eq!(
            (w0[&Priority::Interactive].offered, w0[&Priority::Background].offered),
            (15, 5)
        );
        for class in Priority::ALL {
            let (o, s) = res
                .windows
                .iter()
                .filter_map(|w| w.classes.get(&class))
                .fold((0, 0), |(o, s), g| (o + g.offered, s + g.successes));
            let whole = &res.summary.classes[&class];
            assert_eq!((o, s), (whole.offered, whole.successes), "{class:?}");
        }
        assert_eq!(i.verdict, Some(Verdict::Stable));
        let back = Results::from_json("x.json", &res.to_json()).unwrap();
        assert_eq!(back, res, "classes survive the results file");

        // Without priorities: no classes kept, none in the file, no class figures.
        let without = scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"3s\"\nrate = 10\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [clients.retry]\nmax_attempts = 2\non = [\"5xx\"]\n",
        )
        .unwrap();
        assert!(!keeps_classes(&without));
        let mut r = Recorder::new(Duration::from_secs(1));
        events(&mut r);
        let res = r.finish(&without, meta());
        assert!(res.classes.is_empty() && res.summary.classes.is_empty());
        assert!(res
            .windows
            .iter()
            .all(|w| w.classes.is_empty() && w.services.is_empty()));
        assert_eq!(res.summary.class(Priority::Interactive), None);
        let json = res.to_json();
        assert!(!json.contains("\"classes\""), "no empty classes in the file");
        assert_eq!(Results::from_json("x.json", &json).unwrap(), res);
    }

    /// A results file written before classes existed (no `classes` anywhere) still loads, and
    /// keeps no class figures.
    #[test]
    fn results_without_classes_load() {
        let mut r = Recorder::new(Duration::from_secs(1)).with_classes(true);
        r.intent_offered(Tag::new(Priority::Background, 0), Time::ZERO);
        let res = r.finish(&scenario(), meta());
        let mut v: serde_json::Value = serde_json::from_str(&res.to_json()).unwrap();
        assert!(v["classes"].is_object() && v["summary"]["classes"].is_object());
        v.as_object_mut().unwrap().remove("classes");
        v["summary"].as_object_mut().unwrap().remove("classes");
        let old = Results::from_json("old.json", &v.to_string()).unwrap();
        assert!(old.classes.is_empty() && !old.summary.keeps_classes());
        assert_eq!(old.summary.whole.offered, 1);
    }

    /// Only a whole set of shards of one live run merges: not one run alone, not a shard
    /// twice or missing, not sim with live (each used to be added up silently).
    #[test]
    fn merging_takes_one_whole_set_of_shards() {
        let run = |shard: Option<(u32, u32)>, source: RunSource| {
            let mut r = Recorder::new(Duration::from_secs(1));
            r.intent_offered(Tag::new(Priority::Interactive, 0), Time::ZERO);
            let mut res = r.finish(&scenario(), RunMeta { source, ..meta() });
            res.shard = shard;
            res
        };
        let merge = |parts: Vec<Results>| {
            crate::results::merge(
                parts
                    .into_iter()
                    .enumerate()
                    .map(|(i, r)| (format!("f{i}"), r))
                    .collect(),
            )
            .map(|r| (r.summary.whole.offered, r.shard))
            .map_err(|e| e.to_string())
        };
        let (s0, s1, s2) = (Some((0, 3)), Some((1, 3)), Some((2, 3)));
        let live = RunSource::Live;
        assert_eq!(merge(vec![run(s2, live), run(s0, live), run(s1, live)]), Ok((3, None)));
        let err = |parts| merge(parts).unwrap_err();
        assert!(err(vec![run(s0, live), run(s1, live)]).contains("one of 3 shards, but 2 files"));
        assert!(err(vec![run(s0, live), run(s0, live), run(s1, live)]).contains("both shard 0/3"));
        assert!(err(vec![run(s0, live), run(s1, live), run(Some((1, 2)), live)]).contains("one of 3"));
        assert!(err(vec![run(None, live)]).contains("nothing to merge"));
        assert!(err(vec![run(s0, live), run(s1, live), run(None, live)]).contains("f2 is not a shard"));
        assert!(err(vec![run(None, live), run(None, RunSource::Sim)]).contains("f1 is a simulated run"));
        // An unsharded live run records 0/1: a set of one; twice is the same shard twice.
        let whole = Some((0, 1));
        assert_eq!(merge(vec![run(whole, live)]), Ok((1, None)));
        assert!(err(vec![run(whole, live), run(whole, live)]).contains("one of 1 shards, but 2 files"));
        // A corrupt shard count is an error, not a huge allocation.
        assert!(err(vec![run(Some((0, u32::MAX)), live)]).contains("but 1 file was given"));
        // Files of older versions record no shard: two or more are taken as they come.
        assert_eq!(merge(vec![run(None, live), run(None, live)]), Ok((2, None)));
    }

    /// Shards either all keep classes or none does: a mix would give class figures that no
    /// longer add up to the run's.
    #[test]
    fn merging_shards_with_and_without_classes_is_refused() {
        let shard = |classes: bool| {
            let mut r = Recorder::new(Duration::from_secs(1)).with_classes(classes);
            r.intent_offered(Tag::new(Priority::Interactive, 0), Time::ZERO);
            r.finish(&scenario(), meta())
        };
        let with_notes = |n: u64| {
            let mut r = shard(true);
            r.notes.statuses.insert(404, n);
            r
        };
        let both = crate::results::merge(vec![("a".into(), with_notes(3)), ("b".into(), with_notes(4))]).unwrap();
        assert_eq!(both.classes[&Priority::Interactive].counters.intents, 2);
        assert_eq!(both.notes.statuses[&404], 7, "the shards' notes add up");
        let err = crate::results::merge(vec![("a".into(), shard(true)), ("b".into(), shard(false))]).unwrap_err();
        assert!(err.to_string().contains("per-class figures"), "{err}");
        let with_services = |names: &[&str]| {
            let mut r =
                Recorder::new(Duration::from_secs(1)).with_services(names.iter().map(|n| n.to_string()).collect());
            r.intent_offered(Tag::new(Priority::Interactive, 1), Time::ZERO);
            r.finish(&scenario(), meta())
        };
        let both = crate::results::merge(vec![
            ("a".into(), with_services(&["x", "y"])),
            ("b".into(), with_services(&["x", "y"])),
        ])
        .unwrap();
        assert_eq!((both.classes.len(), both.services["y"].counters.intents), (0, 2));
        assert_eq!(both.windows[0].services["y"].offered, 2, "window figures add too");
        assert!(
            !both.windows[0].services.contains_key("x"),
            "a group with nothing is left out"
        );
        let err = crate::results::merge(vec![
            ("a".into(), with_services(&["x", "y"])),
            ("b".into(), with_services(&[])),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("per-service figures"), "{err}");
    }

    /// After a trigger, each service gets its own verdict from its goodput per window: a
    /// twentieth of the traffic that never comes back leaves the whole run "recovered". A
    /// service that sent nothing before the trigger, and results whose windows do not account
    /// for a group's intents, give that group no verdict.
    #[test]
    fn each_service_gets_its_own_verdict() {
        let s = scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"10s\"\nrate = 10\n\
             [[workload.phases]]\nduration = \"5s\"\nrate = 10\ntrigger = true\n\
             [[workload.phases]]\nduration = \"20s\"\nrate = 10\n\
             [[backend.services]]\nname = \"ok\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"bad\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"late\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[thresholds]]\ncheck = \"service[bad].recovery <= 10s\"\n\
             [[thresholds]]\ncheck = \"service[ok].recovery <= 10s\"\n",
        )
        .unwrap();
        let mut r = Recorder::for_scenario(&s);
        for i in 0..350u64 {
            let t = Time(i * 100_000_000);
            // Every twentieth intent goes to `bad`, which fails from the trigger (10 s) on; from
            // 12 s on, every tenth to `late`.
            let service = match i {
                _ if i % 20 == 0 => 1,
                120.. if i % 10 == 5 => 2,
                _ => 0,
            };
            let tag = Tag::new(Priority::Interactive, service);
            r.intent_offered(tag, t);
            let ok = service != 1 || t < Time::from_secs_f64(10.0);
            r.intent_finished(tag, t, Duration::from_millis(10), ok);
        }
        let res = r.finish(&s, meta());
        let (ok, bad) = (&res.summary.services["ok"], &res.summary.services["bad"]);
        assert_eq!(
            res.summary.whole.verdict,
            Some(Verdict::Recovered),
            "{}",
            res.summary.whole.verdict_reason
        );
        assert_eq!((ok.verdict, ok.recovery_s), (Some(Verdict::Recovered), Some(0.0)));
        assert_eq!(
            (bad.verdict, bad.recovery_s),
            (Some(Verdict::Metastable), None),
            "{}",
            bad.verdict_reason
        );
        // The services' windows account for every intent.
        for w in &res.windows {
            assert_eq!(w.group(&Scope::EveryService), w.group(&Scope::Whole), "{}", w.start_s);
        }
        // The summary names the service the whole run hides.
        let behind: Vec<String> = res.summary.groups_behind(1.0).into_iter().map(|(n, _)| n).collect();
        assert_eq!(behind, ["service bad"]);
        let text = crate::results::summary_table(&res);
        assert!(
            text.contains("BEHIND        service bad: metastable (did not recover although"),
            "{text}"
        );
        // A twentieth failing keeps the whole run above the line throughout: it held.
        assert!(text.contains("; whole run: held\n"), "{text}");
        assert!(res.summary.whole.held && ok.held && !bad.held);
        assert_eq!(
            res.thresholds.iter().map(|t| t.passed).collect::<Vec<_>>(),
            [false, true],
            "{:?}",
            res.thresholds
        );
        // Results without per-window group figures (an older spillway) give groups no verdict.
        let mut old = res.clone();
        for w in &mut old.windows {
            w.services.clear();
        }
        // (A set of one shard: merging it recomputes the summary.)
        let again = crate::results::merge(vec![(
            "old".into(),
            Results {
                shard: Some((0, 1)),
                ..old.clone()
            },
        )])
        .unwrap();
        assert_eq!(again.summary.services["bad"].verdict, None);
        assert_eq!(again.summary.services["bad"].offered, bad.offered);
        // Nor do shards of both kinds merged: the windows hold only part of the intents.
        let mixed = crate::results::merge(vec![("new".into(), res.clone()), ("old".into(), old)]).unwrap();
        assert_eq!(mixed.summary.services["bad"].verdict, None);
        assert_eq!(mixed.summary.services["bad"].offered, 2 * bad.offered);
        let both = crate::results::merge(vec![("a".into(), res.clone()), ("b".into(), res.clone())]).unwrap();
        assert_eq!(both.summary.services["bad"].verdict, Some(Verdict::Metastable));
        // `late` started after the trigger: no baseline, no verdict (not "overloaded").
        let late = &res.summary.services["late"];
        assert!(late.offered > 0 && late.verdict.is_none(), "{late:?}");
    }

    /// A verdict over part of a run is no verdict of it: a steady run interrupted after 4 s
    /// read "stable: no trigger; goodput ratio 100.0% throughout" beside thresholds "not
    /// judged: the run was interrupted". Interrupted, it is not judged, whole and per group,
    /// with what ran in the reason; a simulation stopped at its cap on requests held likewise.
    /// A complete run, or one the simulator capped at its closed-loop intents, is judged.
    #[test]
    fn a_run_cut_short_gets_no_verdict() {
        let s = scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"10s\"\nrate = 10\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let run = |meta: RunMeta| {
            let mut r = Recorder::for_scenario(&s);
            for i in 0..40u64 {
                let (t, tag) = (Time(i * 100_000_000), Tag::new(Priority::Interactive, (i % 2) as usize));
                r.intent_offered(tag, t);
                r.intent_finished(tag, t, Duration::from_millis(10), true);
            }
            // As the drivers do: the figures cover the 4 s that ran.
            let mut cut = s.clone();
            cut.duration = Duration::from_secs(4);
            r.finish(&cut, meta)
        };
        let interrupted = run(RunMeta {
            incomplete: true,
            ..meta()
        });
        let w = &interrupted.summary.whole;
        assert_eq!(
            (w.verdict, w.recovery_s, w.held),
            (None, None, false),
            "{}",
            w.verdict_reason
        );
        assert_eq!(
            w.verdict_reason,
            "the run was interrupted at 4.00s; what ran read stable: no trigger; goodput ratio 100.0% throughout"
        );
        for (name, g) in &interrupted.summary.services {
            assert_eq!(g.verdict, None, "{name}");
            assert!(
                g.verdict_reason.starts_with("the run was interrupted at 4.00s"),
                "{name}: {}",
                g.verdict_reason
            );
        }
        let text = crate::results::summary_table(&interrupted);
        assert!(
            text.contains("  verdict       not judged: the run was interrupted at 4.00s; what ran read stable"),
            "{text}"
        );
        let stopped = run(RunMeta {
            incomplete: true,
            stopped: Some("stopped at 4.00s: 1001 requests held at once, the simulator's cap".into()),
            ..RunMeta::sim("fifo")
        });
        assert_eq!(stopped.summary.whole.verdict, None);
        assert!(
            stopped.summary.whole.verdict_reason.starts_with(
                "the simulation stopped early, at its cap on requests held at once, at 4.00s; what ran read stable"
            ),
            "{}",
            stopped.summary.whole.verdict_reason
        );
        // Merged shards of which one was interrupted: the same.
        let shard = |i, incomplete| Results {
            shard: Some((i, 2)),
            ..run(RunMeta { incomplete, ..meta() })
        };
        let merged = crate::results::merge(vec![("0".into(), shard(0, false)), ("1".into(), shard(1, true))]).unwrap();
        assert_eq!(
            merged.summary.whole.verdict, None,
            "{}",
            merged.summary.whole.verdict_reason
        );
        // A live run whose generator left arrivals unsent, as its thresholds are.
        let unsent = run(RunMeta {
            generator: Some(crate::results::GeneratorHealth {
                unsent: 3,
                ..Default::default()
            }),
            ..meta()
        });
        assert_eq!(unsent.summary.whole.verdict, None);
        assert!(
            unsent.summary.whole.verdict_reason.starts_with(
                "the load generator left 3 arrivals unsent in the run that ended at 4.00s; what ran read stable"
            ),
            "{}",
            unsent.summary.whole.verdict_reason
        );
        assert_eq!(unsent.summary.services["a"].verdict, None);
        for judged in [
            run(meta()),
            run(RunMeta {
                incomplete: true,
                ..RunMeta::sim("fifo")
            }),
        ] {
            assert_eq!(judged.summary.whole.verdict, Some(Verdict::Stable));
            assert_eq!(judged.summary.services["a"].verdict, Some(Verdict::Stable));
        }
    }

    #[test]
    fn wrong_schema_is_named() {
        let err = Results::from_json("old.json", "{\"schema\": 99}").unwrap_err();
        assert!(err.to_string().contains("schema 99"), "{err}");
        let err = Results::from_json("bad.json", "{\n  \"schema\": }").unwrap_err();
        assert!(err.to_string().starts_with("bad.json:2:"), "{err}");
    }
}
