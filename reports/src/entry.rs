//! A labelled configuration in a report: one run, or several replications of it (seeds).

use model::interval::Interval;
use model::results::{Results, RunNotes, RunSource, Verdict};
use model::threshold::{Figure, Metric, Scope};

/// One configuration (a strategy or a named variant) and its runs. With replications, every
/// figure is a mean with a 95% confidence interval over the runs; charts use the first run.
#[derive(Clone, Debug)]
pub struct Entry {
    pub label: String,
    pub runs: Vec<Results>,
}

impl Entry {
    pub fn new(label: impl Into<String>, runs: Vec<Results>) -> Entry {
        Entry {
            label: label.into(),
            runs,
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
    let f = Figure {
        scope: scope.clone(),
        metric: Metric::Recovery,
    };
    let xs: Vec<f64> = runs.iter().map(|r| value(r, &f)).collect();
    let n = xs.len();
    let recovered: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let never = xs.iter().filter(|x| x.is_infinite()).count();
    let unjudged = n - recovered.len() - never;
    let time = |xs: &[f64]| crate::expect::show(&Interval::of(xs), Some(Metric::Recovery));
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

/// [`Entry::verdict_text_of`] of runs.
pub(crate) fn verdict_text(runs: &[Results], scope: &Scope) -> String {
    let v = verdicts(runs, scope);
    match v.as_slice() {
        [] if !runs.is_empty() && runs.iter().all(|r| r.summary.whole.verdict.is_none()) => "not judged".into(),
        [] => "-".into(),
        [(only, n)] if *n == runs.len() => only.as_str().into(),
        _ => v
            .iter()
            .map(|(w, n)| format!("{} {n}/{}", w.as_str(), runs.len()))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// [`Entry::figure`] of runs: a mean with its 95% confidence interval (a missing recovery is an
/// infinite one, and then the mean is infinite with no interval).
pub(crate) fn figure_of(runs: &[Results], f: &Figure) -> Interval {
    let xs: Vec<f64> = runs.iter().map(|r| value(r, f)).collect();
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

/// A figure's value in one run; a missing recovery is +infinity (see [`Entry::figure`]).
pub fn value(r: &Results, f: &Figure) -> f64 {
    match f.value(&r.summary) {
        Some(v) => v,
        // A recovery that never came is infinitely late; one not judged (a run that ended too
        // soon after its trigger) is unknown: NaN, shown "not judged" in tables ("-" by
        // `expect::show`), and no comparison holds on it.
        None if f.metric == model::threshold::Metric::Recovery
            && f.scope.figures(&r.summary).is_some_and(|g| g.verdict.is_none()) =>
        {
            f64::NAN
        }
        None => f64::INFINITY,
    }
}

/// Labels for files given on the command line: the strategy and the source ("fifo (sim)"),
/// after the scenario's name when the runs come from different scenarios ("death-spiral ·
/// fifo (sim)"), made unique with a counter where two runs would still share one.
pub fn default_labels(runs: &[Results]) -> Vec<String> {
    let scenario = |r: &Results| {
        if r.scenario_name.is_empty() {
            std::path::Path::new(&r.scenario_path)
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        } else {
            r.scenario_name.clone()
        }
    };
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
