//! A labelled configuration in a report: one run, or several replications of it (seeds).

use model::interval::Interval;
use model::results::{fmt_secs, Results, RunNotes, RunSource, Verdict};
use model::threshold::{Figure, Metric, Scope};

/// One configuration (a strategy or a named variant) and its runs. With replications, every
/// figure is a mean with a 95% confidence interval over the runs; charts use the first run.
#[derive(Clone, Debug)]
pub struct Entry {
    pub label: String,
    pub runs: Vec<Results>,
    /// The seeds planned, when fewer ran (replications interrupted): `runs` is then part of
    /// the configuration's replications.
    pub planned: Option<usize>,
}

impl Entry {
    pub fn new(label: impl Into<String>, runs: Vec<Results>) -> Entry {
        Entry {
            label: label.into(),
            runs,
            planned: None,
        }
    }

    /// The entry of `planned` replications of which only `runs` ran (interrupted).
    pub fn with_planned(mut self, planned: Option<usize>) -> Entry {
        self.planned = planned.filter(|&p| p > self.runs.len());
        self
    }

    /// Why the entry's figures cover part of what was meant, if they do: seeds of its
    /// replications that never ran ("interrupted: 89 of 400 seeds ran"), or a run cut short
    /// ([`model::results::incomplete_reason`]). A threshold that passes on such an entry is not
    /// judged, as a sweep's SLO over part of its grid is not.
    pub fn incomplete(&self) -> Option<String> {
        if let Some(p) = self.planned {
            return Some(format!("interrupted: {} of {p} seeds ran", self.runs.len()));
        }
        self.runs
            .iter()
            .find_map(model::results::incomplete_reason)
            .map(str::to_string)
    }

    /// The seeds of the runs as ranges, "seeds 4..48, 204..247" (parallel replications
    /// interrupted leave gaps); past four ranges, "seeds from 4 to 247, not contiguous".
    pub fn seed_ranges(&self) -> String {
        let mut seeds: Vec<u64> = self.runs.iter().map(|r| r.seed).collect();
        seeds.sort_unstable();
        seeds.dedup();
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for s in seeds {
            match ranges.last_mut() {
                Some((_, last)) if last.checked_add(1) == Some(s) => *last = s,
                _ => ranges.push((s, s)),
            }
        }
        match (ranges.first(), ranges.last()) {
            (Some(&(first, _)), Some(&(_, last))) if ranges.len() > 4 => {
                format!("seeds from {first} to {last}, not contiguous")
            }
            _ if ranges.len() == 1 && ranges[0].0 == ranges[0].1 => format!("seed {}", ranges[0].0),
            _ => format!(
                "seeds {}",
                ranges
                    .iter()
                    .map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}..{b}") })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// In how many of its runs (seeds) threshold `k` failed.
    pub fn threshold_failures(&self, k: usize) -> usize {
        self.runs
            .iter()
            .filter(|r| r.thresholds.get(k).is_some_and(|t| !t.passed))
            .count()
    }

    /// Whether the load generator fell behind its schedule in any of the runs (live only).
    pub fn lagging(&self) -> bool {
        self.runs
            .iter()
            .any(|r| r.generator.as_ref().is_some_and(|g| g.lagging))
    }

    /// Arrivals the load generator left unsent over these runs (left out of the figures).
    pub fn unsent(&self) -> u64 {
        self.runs
            .iter()
            .filter_map(|r| r.generator.as_ref())
            .fold(0u64, |n, g| n.saturating_add(g.unsent))
    }

    /// [`Results::unsent_without_cause`] over these runs.
    pub fn unsent_without_cause(&self) -> u64 {
        self.runs
            .iter()
            .fold(0u64, |n, r| n.saturating_add(r.unsent_without_cause()))
    }

    /// Whether a failed check on these runs is in doubt ([`INCONCLUSIVE_NOTE`]): the generator fell behind its schedule
    /// by a material part of the clients' timeout in one of them
    /// ([`Results::generator_in_doubt`](model::results::Results::generator_in_doubt)).
    pub fn generator_in_doubt(&self) -> bool {
        self.runs.iter().any(|r| r.generator_in_doubt())
    }

    /// The live runs' notes (answers by status, failures by cause), added over the runs (one
    /// after another).
    pub fn notes(&self) -> RunNotes {
        let mut all = RunNotes::default();
        for r in &self.runs {
            all.add_sequential(&r.notes);
        }
        all
    }

    /// The run the charts draw (the base seed's).
    pub fn first(&self) -> Option<&Results> {
        self.runs.first()
    }

    /// A figure over the runs. A run that never recovered counts as an infinite recovery time,
    /// so "recovered in 8 s" beats "did not recover" rather than being incomparable.
    pub fn figure(&self, f: impl Into<Figure>) -> Interval {
        figure_of(&self.runs, &f.into())
    }

    /// The gateway's queue bound(s) the run had, as its results echo its scenario: "105", "1000,
    /// the default", or with services' own "105 (billing 12)"; `None` for a strategy that keeps
    /// none (passthrough, fifo). A bound that `bounded` sized for the user was said on stderr
    /// only, so a CI summary could not tell what "bounded" had been; a default one went unsaid,
    /// and read as no bound.
    /// Services that get a bound of their own (by their name or their `count` group's in
    /// `[gateway.services]`) are listed; the gateway-wide one is given when some service still
    /// has it, and left out when none does (as `compare` sizes `bounded` per service).
    pub fn queue_bounds(&self) -> Option<String> {
        let scenario = &self.first()?.scenario;
        let g = &scenario.gateway;
        let whole = model::gateway::queue_bound(g)?;
        let whole = match g.queue_capacity {
            Some(_) => whole.to_string(),
            None => format!("{whole}, the default"),
        };
        let mut own = Vec::new();
        let mut uses_whole = false;
        for entry in &scenario.backend.services {
            for name in entry.service_names(u32::MAX) {
                let set = [name.as_str(), entry.name.as_str()]
                    .iter()
                    .any(|k| g.services.get(*k).is_some_and(|o| o.queue_capacity.is_some()));
                match model::gateway::queue_bound(&g.for_service(&name, &entry.name)) {
                    Some(q) if set => own.push(format!("{name} {q}")),
                    _ => uses_whole = true,
                }
            }
        }
        Some(match (own.is_empty(), uses_whole) {
            (true, _) => whole,
            (false, false) => own.join(", "),
            (false, true) => format!("{whole} ({})", own.join(", ")),
        })
    }

    /// "seed 7 (first of 10)" when the entry is several replications, whose first run the
    /// card's figures and the charts show; `None` for a single run.
    pub fn first_seed_note(&self) -> Option<String> {
        match (self.first(), self.runs.len()) {
            (Some(r), n) if n > 1 => Some(format!("seed {} (first of {n})", r.seed)),
            _ => None,
        }
    }

    /// The recovery time as a reader wants it: "25.0s", "never", "not judged", and with
    /// replications the mean over the seeds that recovered with how many did, e.g.
    /// "12.0s ± 3.1s (6/10 recovered)". ([`Entry::figure`] counts a missing recovery as an
    /// infinite one, which is right for comparisons but would print "never" for a mean over
    /// 10 seeds of which 6 recovered.)
    pub fn recovery_text_of(&self, scope: &Scope) -> String {
        recovery_text(&self.runs, scope)
    }

    /// Fraction of runs with each verdict, most frequent first.
    pub fn verdicts(&self) -> Vec<(Verdict, usize)> {
        self.verdicts_of(&Scope::Whole)
    }

    /// [`Entry::verdicts`] of a group's own verdicts (runs that kept none count in no verdict).
    pub fn verdicts_of(&self, scope: &Scope) -> Vec<(Verdict, usize)> {
        verdicts(&self.runs, scope)
    }

    /// "metastable" or "metastable 4/5, recovered 1/5".
    pub fn verdict_text(&self) -> String {
        self.verdict_text_of(&Scope::Whole)
    }

    /// [`Entry::verdict_text`] of a group's own verdicts; "not judged" when no run was (the
    /// run ended too soon after its trigger), "-" for a group that kept no verdict of a run
    /// that was judged.
    pub fn verdict_text_of(&self, scope: &Scope) -> String {
        verdict_text(&self.runs, scope)
    }

    pub fn source(&self) -> &'static str {
        match self.first().map(|r| r.source) {
            Some(RunSource::Sim) => "sim",
            Some(RunSource::Live) => "live",
            None => "-",
        }
    }
}

/// [`Entry::recovery_text_of`] of runs.
pub(crate) fn recovery_text(runs: &[Results], scope: &Scope) -> String {
    recovery_text_in(runs, scope, &|xs| {
        crate::expect::show(&Interval::of(xs), Some(Metric::Recovery))
    })
}

/// [`recovery_text`] with the recovered runs' times shown by `time` (a chart's shorter label).
pub(crate) fn recovery_text_in(runs: &[Results], scope: &Scope, time: &dyn Fn(&[f64]) -> String) -> String {
    let f = Figure {
        scope: scope.clone(),
        metric: Metric::Recovery,
    };
    let xs: Vec<f64> = runs.iter().map(|r| value(r, &f)).collect();
    let n = xs.len();
    let recovered: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let never = xs.iter().filter(|x| x.is_infinite()).count();
    let unjudged = n - recovered.len() - never;
    if n == 0 {
        "-".into()
    } else if recovered.len() == n {
        time(&recovered)
    } else if recovered.is_empty() {
        match (never, unjudged) {
            (_, 0) => "never".into(),
            (0, _) => "not judged".into(),
            _ => format!("never {never}/{n}, not judged {unjudged}/{n}"),
        }
    } else if unjudged > 0 {
        format!(
            "{} ({}/{n} recovered, {unjudged} not judged)",
            time(&recovered),
            recovered.len()
        )
    } else {
        format!("{} ({}/{n} recovered)", time(&recovered), recovered.len())
    }
}

/// [`Entry::verdicts_of`] of runs.
pub(crate) fn verdicts(runs: &[Results], scope: &Scope) -> Vec<(Verdict, usize)> {
    let mut counts: Vec<(Verdict, usize)> = Vec::new();
    for v in runs.iter().filter_map(|r| scope.figures(&r.summary)?.verdict) {
        match counts.iter_mut().find(|(w, _)| *w == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
}

/// Whether some run has a priority class or a service behind its whole-run verdict
/// ([`model::results::Summary::groups_behind`]): "recovered" while billing stayed down for good
/// is no green verdict.
pub(crate) fn some_group_behind(runs: &[Results]) -> bool {
    runs.iter().any(|r| !r.summary.groups_behind(r.window_s).is_empty())
}

/// [`Entry::verdict_text_of`] of runs.
pub(crate) fn verdict_text(runs: &[Results], scope: &Scope) -> String {
    // A run of no requests is judged "stable" by the model: healthy is not what it was.
    if *scope == Scope::Whole && nothing_offered(runs) {
        return NOTHING_OFFERED.into();
    }
    // As the summary says it: a recovery that never fell below the line is "held".
    let mut v: Vec<(&str, usize)> = Vec::new();
    for name in runs.iter().filter_map(|r| scope.figures(&r.summary)?.verdict_name()) {
        match v.iter_mut().find(|(w, _)| *w == name) {
            Some((_, n)) => *n += 1,
            None => v.push((name, 1)),
        }
    }
    v.sort_by_key(|c| std::cmp::Reverse(c.1));
    match v.as_slice() {
        // Not judged: the whole run was not, or the group was given a reason for none (a run
        // cut short); "-" for a group that kept no verdict (no baseline, older results).
        [] if !runs.is_empty()
            && runs.iter().all(|r| {
                r.summary.whole.verdict.is_none()
                    || scope.figures(&r.summary).is_some_and(|g| !g.verdict_reason.is_empty())
            }) =>
        {
            NOT_JUDGED.into()
        }
        [] => "-".into(),
        // One run's whole verdict beside the groups it hides: "recovered" while billing stayed
        // down for good read as a design that works (the summary's BEHIND lines said it, the
        // tables did not).
        [(only, 1)] if *scope == Scope::Whole && runs.len() == 1 => {
            let worse: Vec<String> = runs[0]
                .summary
                .groups_behind(runs[0].window_s)
                .into_iter()
                .filter(|(_, g)| g.verdict != runs[0].summary.whole.verdict)
                .map(|(name, g)| format!("{name} {}", g.verdict_name().unwrap_or("not judged")))
                .collect();
            match worse.len() {
                0 => (*only).into(),
                1..=3 => format!("{only} ({})", worse.join(", ")),
                n => format!("{only} ({}, {} more behind)", worse[..2].join(", "), n - 2),
            }
        }
        [(only, n)] if *n == runs.len() => (*only).into(),
        _ => {
            // The seeds with no verdict too, as the recovery column counts them: "metastable
            // 5/10" read as five seeds of ten, where the other five were not judged.
            let unjudged = runs
                .iter()
                .filter(|r| scope.figures(&r.summary).is_some_and(|g| g.verdict_name().is_none()))
                .count();
            v.iter()
                .map(|(w, n)| (*w, *n))
                .chain((unjudged > 0).then_some((NOT_JUDGED, unjudged)))
                .map(|(w, n)| format!("{w} {n}/{}", runs.len()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    }
}

/// [`Entry::figure`] of runs: a mean with its 95% confidence interval (a missing recovery is an
/// infinite one, and then the mean is infinite with no interval), over the runs that have the
/// figure ([`measured`]): a run that offered the group nothing has no latency or goodput ratio
/// to average in, and no run at all gives a NaN mean with `n` 0.
pub(crate) fn figure_of(runs: &[Results], f: &Figure) -> Interval {
    let xs: Vec<f64> = runs.iter().filter_map(|r| measured(r, f)).collect();
    if xs.iter().any(|x| x.is_infinite()) {
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        return Interval {
            mean,
            half_width: 0.0,
            n: xs.len(),
        };
    }
    Interval::of(&xs)
}

/// A figure's value in one run; a missing recovery is +infinity (see [`Entry::figure`]), a
/// figure the run does not have ([`measured`]) NaN.
pub fn value(r: &Results, f: &Figure) -> f64 {
    measured(r, f).unwrap_or(f64::NAN)
}

/// Whether the figure's metric means something only of offered intents: a ratio, an
/// amplification, a latency or a recovery of nothing is no 100%, 0 or 0s.
pub(crate) fn needs_offered(m: Metric) -> bool {
    m == Metric::GoodputRatio || m == Metric::Amplification || m == Metric::Recovery || m.is_latency()
}

/// A figure's value in one run, `None` when the run has none: a group it does not keep (a
/// seed of another estate; infinity here made every per-service mean `inf`), or a ratio,
/// latency or recovery of a scope that was offered nothing. A recovery that never came is
/// infinitely late; one not judged (a run that ended too soon after its trigger) is unknown:
/// NaN, shown "not judged" in tables ("-" by `expect::show`), and no comparison holds on it.
pub fn measured(r: &Results, f: &Figure) -> Option<f64> {
    let group = match &f.scope {
        Scope::Whole => r.summary.whole.clone(),
        // `service[*]`: the worst service's for this metric.
        _ => f.group(&r.summary)?,
    };
    if group.offered == 0 && needs_offered(f.metric) {
        return None;
    }
    match f.value(&r.summary) {
        Some(v) => Some(v),
        None if f.metric == Metric::Recovery && group.verdict.is_none() => Some(f64::NAN),
        None if f.metric == Metric::Recovery => Some(f64::INFINITY),
        // A latency with no finished intent: nothing measured.
        None => None,
    }
}

/// What a report shows for a verdict, or a recovery, a run could not tell.
pub const NOT_JUDGED: &str = "not judged";

/// What a report shows instead of the figures of runs that offered nothing.
pub const NOTHING_OFFERED: &str = "nothing offered";

/// Whether every run of `runs` offered nothing at all: their ratios and latencies are no 100%
/// and 0s, and a report says "nothing offered" instead.
pub fn nothing_offered(runs: &[Results]) -> bool {
    !runs.is_empty() && runs.iter().all(|r| r.summary.whole.offered == 0)
}

/// Labels for files given on the command line: the strategy and the source ("fifo (sim)"),
/// after the scenario's name when the runs come from different scenarios ("death-spiral ·
/// fifo (sim)"), made unique with a counter where two runs would still share one.
pub fn default_labels(runs: &[Results]) -> Vec<String> {
    let scenario = scenario_of;
    let mut scenarios: Vec<String> = runs.iter().map(scenario).collect();
    scenarios.sort();
    scenarios.dedup();
    let base: Vec<String> = runs
        .iter()
        .map(|r| {
            let run = format!("{} ({})", r.strategy, r.source.as_str());
            if scenarios.len() > 1 {
                format!("{} · {run}", scenario(r))
            } else {
                run
            }
        })
        .collect();
    let mut out = Vec::with_capacity(base.len());
    for (i, b) in base.iter().enumerate() {
        let total = base.iter().filter(|x| *x == b).count();
        if total > 1 {
            let nth = base[..=i].iter().filter(|x| *x == b).count();
            out.push(format!("{b} #{nth}"));
        } else {
            out.push(b.clone());
        }
    }
    out
}

/// The scenario a run is of, as labels name it: its name, else its file's stem.
pub fn scenario_of(r: &Results) -> String {
    if r.scenario_name.is_empty() {
        std::path::Path::new(&r.scenario_path)
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
    } else {
        r.scenario_name.clone()
    }
}

/// The parts of two runs' scenarios (as their results echo them) that differ, by their TOML
/// table names, the seed and the scenario's name and description aside (a seed is what
/// replications vary; names are compared on their own). `with_gateway`: whether the gateway
/// and the thresholds count (a baseline comparison is often of another gateway setting).
pub fn scenario_parts_differing(a: &Results, b: &Results, with_gateway: bool) -> Vec<&'static str> {
    let run = |r: &Results| {
        let mut run = r.scenario.run.clone();
        (run.seed, run.name, run.description) = (0, None, None);
        if !with_gateway {
            // A live baseline may be compressed differently: its figures are rescaled.
            run.time_scale = 1.0;
        }
        run
    };
    let (x, y) = (&a.scenario, &b.scenario);
    let mut out = Vec::new();
    if run(a) != run(b) {
        out.push("run");
    }
    if x.workload != y.workload {
        out.push("workload");
    }
    if x.clients != y.clients {
        out.push("clients");
    }
    if with_gateway && x.gateway != y.gateway {
        out.push("gateway");
    }
    if x.backend != y.backend {
        out.push("backend");
    }
    if with_gateway && x.thresholds != y.thresholds {
        out.push("thresholds");
    }
    out
}

/// What sets `other` apart from `first` as another seed of the same configuration (another
/// scenario, strategy or source, other scenario settings), or `None`. The mean of seeds of
/// different scenarios is no figure of either (`goodput 50.4% ± 106.7`).
pub fn replication_difference(first: &Results, other: &Results) -> Option<String> {
    let (a, b) = (scenario_of(first), scenario_of(other));
    if a != b {
        return Some(format!("a run of scenario `{b}`, not `{a}`"));
    }
    if first.strategy != other.strategy {
        return Some(format!(
            "a run of strategy `{}`, not `{}`",
            other.strategy, first.strategy
        ));
    }
    if first.source != other.source {
        return Some(format!(
            "a {} run, not a {} one",
            other.source.as_str(),
            first.source.as_str()
        ));
    }
    let parts = scenario_parts_differing(first, other, true);
    (!parts.is_empty()).then(|| {
        format!(
            "a run of another version of scenario `{a}` (its {} settings differ)",
            parts.join(", ")
        )
    })
}

/// Where a live run's figures come from when it is not one whole run: one shard of several
/// (1/N of the scenario's load), or shards added up by `loadgen merge`.
pub fn provenance(r: &Results) -> Option<String> {
    match (r.shard, r.merged_from) {
        (Some((i, n)), _) if n > 1 => Some(format!(
            "shard {i}/{n} of a run: it offered 1/{n} of the scenario's load (merge the shards with `loadgen merge` for the whole run's figures)"
        )),
        (_, Some(n)) if n > 1 => Some(format!("the run's {n} shards added up by `loadgen merge`")),
        _ => None,
    }
}

/// When a run stopped sending before its scenario's phases end (`--duration`, or a `[run]
/// duration` shorter than the phases): "arrivals stopped at 30s, before the phases end (1m)".
/// The figures then cover a shorter run than the scenario describes, and its charts end early.
pub fn cut_short(r: &Results) -> Option<String> {
    let end = r.phases.iter().map(|p| p.end_s).fold(0.0, f64::max);
    let ran = r.summary.duration_s;
    if r.source == model::results::RunSource::Sim && r.stopped.is_some() {
        // Stopped at the simulator's cap, which the card and summary.md name beside this.
        return None;
    }
    // An interrupted live run says so elsewhere; its early end is no setting.
    let how = if model::results::interrupted(r) {
        "the run was interrupted"
    } else {
        "the run was cut short (--duration or [run] duration)"
    };
    (ran.is_finite() && ran > 0.0 && ran + 1e-6 < end).then(|| {
        format!(
            "arrivals stopped at {}, before the scenario's phases end ({}): {how}, and its figures cover that part",
            fmt_secs(ran),
            fmt_secs(end)
        )
    })
}

/// "The gateway retried 28 backend calls (502/503) on top of those attempts", when it did:
/// amplification counts the clients' attempts, and these are backend calls besides.
pub fn gateway_retries_note(r: &Results) -> Option<String> {
    let n = r.gateway_retries();
    (n > 0).then(|| format!("The gateway retried {n} backend calls (502/503) on top of those attempts"))
}

/// For a run judged recovered while its gateway queue was still long: how long the queue took
/// to drain after the trigger, or that it had not by the end. Recovery is judged on goodput
/// (answers within the client timeout), so with a long timeout a run "recovers at once" while
/// its users wait through a backlog for another minute; the charts show it, the card says it.
pub fn queue_drain_note(r: &Results) -> Option<String> {
    if r.summary.whole.verdict != Some(Verdict::Recovered) || r.window_s <= 0.0 {
        return None;
    }
    let triggers = r.phases.iter().filter(|p| p.trigger);
    let start = triggers.clone().map(|p| p.start_s).reduce(f64::min)?;
    let end = triggers.map(|p| p.end_s).reduce(f64::max)?;
    let w = r.window_s;
    // Windows no gauge sample fell in have no queue depth: neither a level nor a drained queue.
    let measured = |x: &&model::results::Window| x.gauges.sampled();
    let before: Vec<f64> = r
        .windows
        .iter()
        .filter(measured)
        .filter(|x| x.start_s + w <= start + 1e-9)
        .map(|x| x.gauges.queue_depth_mean)
        .collect();
    let base = if before.is_empty() {
        0.0
    } else {
        before.iter().sum::<f64>() / before.len() as f64
    };
    // Back to the healthy level: within twice the pre-trigger mean, or a request.
    let level = 2.0 * base + 1.0;
    let last = r.windows.iter().position(|x| x.start_s <= end && end < x.start_s + w)?;
    // The trigger's last window, or the last measured one before it.
    let at_end = r.windows[..=last].iter().rev().find(measured)?.gauges.queue_depth_mean;
    if at_end <= level {
        return None;
    }
    let drained = r
        .windows
        .iter()
        .filter(measured)
        .find(|x| x.start_s >= end - 1e-9 && x.gauges.queue_depth_mean <= level)
        .map(|x| x.start_s - end);
    let recovery = r.summary.whole.recovery_s.unwrap_or(0.0);
    // How long requests waited in the queue while it drained (the highest window p99), when
    // the windows keep queue-wait histograms: a short bounded queue drains with waits well
    // within the clients' timeout, a long one does not; the reader sees which.
    let until = drained.map_or(f64::INFINITY, |d| end + d);
    let waits = r
        .windows
        .iter()
        .filter(|x| x.start_s + w > end && x.start_s < until)
        .filter_map(|x| x.histograms.get(model::results::metric::QUEUE_WAIT))
        .filter(|h| !h.is_empty())
        .map(|h| h.unpack().quantile_s(0.99))
        .reduce(f64::max)
        .map_or(String::new(), |p99| {
            format!("; queue waits up to {} (p99) meanwhile", fmt_secs(p99))
        });
    let why =
        "recovery is judged on goodput (answers within the client timeout), which counts answers slowed by the queue";
    match drained {
        Some(d) if d > recovery + w => Some(format!(
            "The gateway queue took {} after the trigger ended to drain ({:.0} requests waiting then{waits}): {why}",
            fmt_secs(d),
            at_end
        )),
        Some(_) => None,
        None => Some(format!(
            "The gateway queue had not drained by the end of the run ({:.0} requests waiting when the trigger ended{waits}): {why}",
            at_end
        )),
    }
}

/// Said of a check that failed where the load generator fell behind its schedule (exit code
/// 4; [`Entry::generator_in_doubt`]), beside it on the page and in junit.xml.
pub(crate) const INCONCLUSIVE_NOTE: &str = "; inconclusive: the load generator fell behind its schedule or left arrivals unsent (rerun on a quieter machine or at a lower --time-scale)";

/// Warnings of entries that are not what their labels suggest: the same run twice (one file given
/// twice: `fifo (sim) #1` and `#2`, alike to the digit), and runs of one scenario at different
/// loads or of different systems ([`scenario_versions`]), whose default labels differ only by
/// that counter.
pub fn run_warnings(entries: &[Entry]) -> Vec<String> {
    let mut out = Vec::new();
    // Runs compare whole by a hash of their JSON (a NaN figure is `null`, equal to itself),
    // computed only where cheaper keys already match: a compare of many long runs stays quick.
    let key = |e: &Entry| e.first().map(|r| (r.strategy.clone(), r.source, r.seed, e.runs.len()));
    let hash: Vec<Option<u64>> = entries
        .iter()
        .map(|e| {
            let twin = entries.iter().filter(|d| key(d) == key(e)).count() > 1;
            twin.then(|| json_hash(&e.runs)).flatten()
        })
        .collect();
    let mut reported = vec![false; entries.len()];
    for (i, e) in entries.iter().enumerate() {
        if reported[i] {
            continue;
        }
        let same: Vec<usize> = (i + 1..entries.len())
            .filter(|&j| hash[i].is_some() && hash[j] == hash[i])
            .collect();
        if same.is_empty() {
            continue;
        }
        let mut names = vec![format!("`{}`", e.label)];
        for &j in &same {
            reported[j] = true;
            names.push(format!("`{}`", entries[j].label));
        }
        out.push(format!(
            "{} are the same run (identical results: one file given twice?): the report shows one run under {} labels",
            join_and(&names),
            names.len()
        ));
    }
    out.extend(scenario_versions(entries));
    out
}

/// For each entry whose run is of another version of a scenario than the first entry of it, a
/// warning naming both: its load (workload, duration or window) differs, or its system (the
/// clients, the backend, or the gateway's settings under the same strategy). Runs given to
/// `report` by hand are labelled by strategy alone: a backend twice the size, or `abandon =
/// "cancel"`, would otherwise pass for the same system. (Gateways of different strategies are
/// not warned of: they are what runs compare.)
pub fn scenario_versions(entries: &[Entry]) -> Vec<String> {
    let parts = |a: &Results, b: &Results| {
        let mut differ = load_differences(a, b);
        if a.scenario.clients != b.scenario.clients {
            differ.push("clients");
        }
        if a.strategy == b.strategy && a.scenario.gateway != b.scenario.gateway {
            differ.push("gateway");
        }
        if a.scenario.backend != b.scenario.backend {
            differ.push("backend");
        }
        differ
    };
    let mut out = Vec::new();
    for (j, e) in entries.iter().enumerate() {
        let Some(r) = e.first() else { continue };
        // Against the scenario's first entry: each one set apart from it is named once.
        let first = entries[..j]
            .iter()
            .filter_map(|d| Some((d, d.first()?)))
            .find(|(_, q)| scenario_of(q) == scenario_of(r));
        let earlier = first
            .map(|(d, q)| (d, parts(q, r)))
            .filter(|(_, differ)| !differ.is_empty());
        if let Some((d, differ)) = earlier {
            let load = |p: &&str| ["workload", "duration", "window"].contains(p);
            let what = match (differ.iter().any(load), differ.iter().all(load)) {
                (_, true) => "different loads, not strategies",
                (true, false) => "different loads and systems, which their labels do not show",
                (false, false) => "different systems, which their labels do not show",
            };
            out.push(format!(
                "`{}` and `{}` are runs of different versions of scenario `{}` ({} settings differ): side by side they compare {what}",
                d.label,
                e.label,
                scenario_of(r),
                differ.join(", ")
            ));
        }
    }
    out
}

/// What sets two runs' loads apart: their workload, duration or window ("workload",
/// "duration", "window"); none for runs of one load.
pub(crate) fn load_differences(a: &Results, b: &Results) -> Vec<&'static str> {
    let mut out = Vec::new();
    if a.scenario.workload != b.scenario.workload {
        out.push("workload");
    }
    if a.scenario.run.duration != b.scenario.run.duration {
        out.push("duration");
    }
    if a.scenario.run.window != b.scenario.run.window || a.window_s != b.window_s {
        out.push("window");
    }
    out
}

/// A hash of `v`'s JSON, written straight into the hasher (a long run's is megabytes).
fn json_hash(v: &impl serde::Serialize) -> Option<u64> {
    use std::hash::Hasher;
    struct Sink(std::collections::hash_map::DefaultHasher);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.write(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut sink = Sink(std::collections::hash_map::DefaultHasher::new());
    serde_json::to_writer(&mut sink, v).ok()?;
    Some(sink.0.finish())
}

/// "a, b and c".
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A warning when the entries are runs of different scenarios: side by side, their figures
/// compare loads, not strategies. (Versions of one scenario are warned of by
/// [`scenario_versions`], among `report`'s [`run_warnings`].)
pub fn mixed_scenarios(entries: &[Entry]) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    for r in entries.iter().filter_map(Entry::first) {
        let n = scenario_of(r);
        if !names.contains(&n) {
            names.push(n);
        }
    }
    (names.len() > 1).then(|| {
        format!(
            "these are runs of different scenarios ({}): their figures set different loads side by side, not strategies",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::Entry;

    /// Seeds with no verdict are counted beside those with one, as the recovery column counts
    /// them: "metastable 1/2" read as half the seeds, where the other was not judged
    /// (walkthrough 5).
    #[test]
    fn seeds_not_judged_are_counted_in_the_verdict() {
        let seed = |v: Option<model::results::Verdict>| {
            let mut r = crate::fixture::blank();
            r.summary.whole.offered = 10;
            r.summary.whole.verdict = v;
            r
        };
        let e = Entry::new(
            "fifo",
            vec![seed(Some(model::results::Verdict::Metastable)), seed(None), seed(None)],
        );
        assert_eq!(e.verdict_text(), "metastable 1/3, not judged 2/3");
        let all = Entry::new("fifo", vec![seed(Some(model::results::Verdict::Metastable)); 2]);
        assert_eq!(all.verdict_text(), "metastable");
    }

    /// The bounds given are the ones that apply: a group's key bounds its services, a
    /// service's own key wins over it, and the gateway-wide bound is given only while some
    /// service still has it.
    #[test]
    fn queue_bounds_are_those_each_service_runs_with() {
        let bounds = |gateway: &str| {
            let s = model::scenario::parse(
                "b.toml",
                &format!(
                    "[[workload.phases]]\nduration = \"10s\"\nrate = 10\n[gateway]\nstrategy = \"deadline\"\n{gateway}\n\
                     [[backend.services]]\nname = \"legacy\"\ncount = 2\nworkers = 1\nservice_time = \"10ms\"\n\
                     [[backend.services]]\nname = \"billing\"\nworkers = 1\nservice_time = \"10ms\"\n"
                ),
            )
            .expect("valid");
            let mut r = crate::fixture::blank();
            r.scenario = s.file.clone();
            Entry::new("deadline", vec![r]).queue_bounds()
        };
        assert_eq!(bounds("").as_deref(), Some("1000, the default"));
        // Billing keeps the default: it is still given.
        assert_eq!(
            bounds("[gateway.services.legacy]\nqueue_capacity = 10\n[gateway.services.legacy-2]\nqueue_capacity = 30")
                .as_deref(),
            Some("1000, the default (legacy-1 10, legacy-2 30)")
        );
        // Every service has its own, by its group's key or its name: the default bounds none.
        assert_eq!(
            bounds("[gateway.services.legacy]\nqueue_capacity = 10\n[gateway.services.billing]\nqueue_capacity = 5")
                .as_deref(),
            Some("legacy-1 10, legacy-2 10, billing 5")
        );
        // A service's concurrency alone sets no bound.
        assert_eq!(
            bounds("queue_capacity = 50\n[gateway.services.billing]\nconcurrency = 1").as_deref(),
            Some("50")
        );
    }
}
