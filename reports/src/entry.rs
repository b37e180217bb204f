//! A labelled configuration in a report: one run, or several replications of it (seeds).

use model::interval::Interval;
use model::results::{Results, RunSource, Verdict};
use model::threshold::{Figure, Scope};

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

    /// Whether the load generator fell behind its schedule in any of the runs (live only).
    pub fn lagging(&self) -> bool {
        self.runs
            .iter()
            .any(|r| r.generator.as_ref().is_some_and(|g| g.lagging))
    }

    /// The run the charts draw (the base seed's).
    pub fn first(&self) -> Option<&Results> {
        self.runs.first()
    }

    /// A figure over the runs. A run that never recovered counts as an infinite recovery time,
    /// so "recovered in 8 s" beats "did not recover" rather than being incomparable.
    pub fn figure(&self, f: impl Into<Figure>) -> Interval {
        let f = f.into();
        let xs: Vec<f64> = self.runs.iter().map(|r| value(r, &f)).collect();
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

    /// Fraction of runs with each verdict, most frequent first.
    pub fn verdicts(&self) -> Vec<(Verdict, usize)> {
        self.verdicts_of(&Scope::Whole)
    }

    /// [`Entry::verdicts`] of a group's own verdicts (runs that kept none count in no verdict).
    pub fn verdicts_of(&self, scope: &Scope) -> Vec<(Verdict, usize)> {
        let mut counts: Vec<(Verdict, usize)> = Vec::new();
        for v in self.runs.iter().filter_map(|r| scope.figures(&r.summary)?.verdict) {
            match counts.iter_mut().find(|(w, _)| *w == v) {
                Some((_, n)) => *n += 1,
                None => counts.push((v, 1)),
            }
        }
        counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        counts
    }

    /// "metastable" or "metastable 4/5, recovered 1/5".
    pub fn verdict_text(&self) -> String {
        self.verdict_text_of(&Scope::Whole)
    }

    /// [`Entry::verdict_text`] of a group's own verdicts.
    pub fn verdict_text_of(&self, scope: &Scope) -> String {
        let v = self.verdicts_of(scope);
        match v.as_slice() {
            [] => "-".into(),
            [(only, n)] if *n == self.runs.len() => only.as_str().into(),
            _ => v
                .iter()
                .map(|(w, n)| format!("{} {n}/{}", w.as_str(), self.runs.len()))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    pub fn source(&self) -> &'static str {
        match self.first().map(|r| r.source) {
            Some(RunSource::Sim) => "sim",
            Some(RunSource::Live) => "live",
            None => "-",
        }
    }
}

/// A figure's value in one run; a missing recovery is +infinity (see [`Entry::figure`]).
pub fn value(r: &Results, f: &Figure) -> f64 {
    match f.value(&r.summary) {
        Some(v) => v,
        // A recovery that never came is infinitely late; one not judged (a run that ended too
        // soon after its trigger) is unknown: NaN, shown "-", and no comparison holds on it.
        None if f.metric == model::threshold::Metric::Recovery
            && f.scope.figures(&r.summary).is_some_and(|g| g.verdict.is_none()) =>
        {
            f64::NAN
        }
        None => f64::INFINITY,
    }
}

/// Labels for files given on the command line: the strategy and the source ("fifo (sim)"),
/// made unique with a counter where two runs would share one.
pub fn default_labels(runs: &[Results]) -> Vec<String> {
    let base: Vec<String> = runs
        .iter()
        .map(|r| format!("{} ({})", r.strategy, r.source.as_str()))
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
