//! Regressions against a baseline: `spillway compare --baseline OLD.json NEW.json`.
//!
//! Each metric has a direction (goodput up is better, p99 down is better). A change counts as a
//! regression when it goes the wrong way by more than the relative tolerance *and* by more than
//! the metric's resolution, so 0.1% wasted work after 0% is not flagged as an infinite change.
//! When both runs keep figures per priority class, each class's goodput, latency, timeouts and
//! shed are compared too (`interactive.p99`): a regression for users can hide in whole-run
//! figures that a batch job dominates.

use model::results::Results;
use model::scenario::Priority;
use model::threshold::{Figure, Metric, Scope};
use serde::Serialize;

/// The metrics compared, in report order.
pub const METRICS: [Metric; 15] = [
    Metric::GoodputRatio,
    Metric::Goodput,
    Metric::P50,
    Metric::P90,
    Metric::P99,
    Metric::P999,
    Metric::Max,
    Metric::Amplification,
    Metric::WastedRatio,
    Metric::Timeouts,
    Metric::Shed,
    Metric::RateLimited,
    Metric::Expired,
    Metric::Errors,
    Metric::Recovery,
];

/// The metrics compared per priority class and per service, when both runs keep them.
pub const GROUP_METRICS: [Metric; 5] = [
    Metric::GoodputRatio,
    Metric::P50,
    Metric::P99,
    Metric::Timeouts,
    Metric::Shed,
];

/// A latency quantile gates only when each run has at least this many values beyond it. The
/// number of values above a quantile is about Poisson (mean `count * (1 - q)`), so with 10 the
/// estimate's rank wanders by about a third (sqrt 10 / 10) between runs; with 1 (a p999 of
/// 1,000 intents) or 0 (`max`, one value) it is a single request's luck, which would fail a CI
/// job on noise.
pub const MIN_TAIL: u64 = 10;

/// How many of `count` values lie beyond the latency quantile `metric` (`max`: none), or `None`
/// for a metric that is not a latency quantile.
fn tail(metric: Metric, count: u64) -> Option<u64> {
    match metric {
        Metric::P50 => Some(count / 2),
        Metric::P90 => Some(count / 10),
        Metric::P99 => Some(count / 100),
        Metric::P999 => Some(count / 1000),
        Metric::Max => Some(0),
        _ => None,
    }
}

/// The row of the offered load: intents sent per second of the run (offered intents over the
/// run's duration). No figure of the target, so never a regression: shown so that two runs of
/// different loads read as such (a load generator that left arrivals unsent offered less, and
/// its goodput "regressed" with a goodput ratio the "same").
pub const OFFERED_RATE: &str = "offered_rate";

/// Intents offered per second of `r`'s run (`None` for a run of no duration).
fn offered_rate(r: &Results) -> Option<f64> {
    (r.summary.duration_s > 0.0).then(|| r.summary.whole.offered as f64 / r.summary.duration_s)
}

/// The [`OFFERED_RATE`] row: `same` within 1% (the goodput's resolution), else
/// [`Change::Load`].
fn offered_row(old: &Results, new: &Results) -> Row {
    let (o, n) = (offered_rate(old), offered_rate(new));
    let (worse_by, change) = match (o, n) {
        (Some(o), Some(n)) => {
            let rel = (o > 0.0).then(|| (o - n) / o);
            let same = (n - o).abs() <= 0.01 * o.abs().max(1.0);
            (rel, if same { Change::Same } else { Change::Load })
        }
        (None, None) => (None, Change::Same),
        _ => (None, Change::Load),
    };
    Row {
        metric: OFFERED_RATE.to_string(),
        // Signed as a rate: less offered reads "-38.8%".
        higher_is_better: true,
        old: o,
        new: n,
        worse_by,
        change,
        tail: None,
    }
}

/// Why the figures of `old` or `new` partly describe the load generator rather than the target
/// ([`Results::generator_in_doubt`]): a sentence per run in doubt, with the cause where its
/// notes give one. A regression beside one is inconclusive (`compare` exits 4), as a failed
/// threshold on such a run is; and a run that left arrivals unsent offered a load the other
/// did not, which the [`OFFERED_RATE`] row shows.
pub fn generator_doubts(old: &Results, new: &Results) -> Vec<String> {
    let mut out = Vec::new();
    for (r, which) in [(old, "the baseline"), (new, "the new run")] {
        if !r.generator_in_doubt() {
            continue;
        }
        let Some(g) = r.generator.as_ref() else { continue };
        if g.unsent > 0 {
            let offered = r.summary.whole.offered;
            let causes: Vec<&str> = r.notes.generator_failures.keys().map(String::as_str).collect();
            let cause = if causes.is_empty() {
                "it held as many intents as it can, or fell behind".to_string()
            } else {
                causes.join("; ")
            };
            out.push(format!(
                "{which}'s load generator left {} of {} arrivals unsent ({cause}): the target never saw that load, so its figures describe the generator's limits as much as the target (see {OFFERED_RATE}), and a regression beside them is inconclusive",
                g.unsent,
                offered.saturating_add(g.unsent)
            ));
        } else {
            out.push(format!(
                "{which}'s load generator fell behind its schedule by over a tenth of the shortest median client timeout ({}): its latencies include its own delay, and a regression beside them is inconclusive (rerun on a quieter machine or, if time-compressed, at a lower --time-scale)",
                g.lateness_text()
            ));
        }
    }
    out
}

/// Changes smaller than this are noise whatever their relative size.
fn resolution(f: &Figure, old: &Results) -> f64 {
    let (goodput, offered) = f
        .scope
        .figures(&old.summary)
        .map_or((0.0, 0), |g| (g.goodput, g.offered));
    match f.metric {
        Metric::GoodputRatio | Metric::WastedRatio => 0.01,
        Metric::Amplification => 0.01,
        Metric::Goodput => 0.01 * goodput.abs().max(1.0),
        // One window: the verdict cannot place recovery more finely.
        Metric::Recovery => old.window_s,
        Metric::Timeouts | Metric::Shed | Metric::RateLimited | Metric::Expired | Metric::Errors => {
            (0.001 * offered as f64).max(1.0)
        }
        // A millisecond, or the histograms' 1% precision.
        _ => 0.001,
    }
}

/// What is compared: the whole-run metrics, then per class those of the classes either run
/// sent to, when both runs keep classes, and per service those of the services both runs
/// have. A group's recovery is compared too when the scenario has a trigger and both runs
/// gave the group a verdict.
fn figures(old: &Results, new: &Results) -> Vec<Figure> {
    // Both runs: against a run without a trigger (another scenario), "0s -> never" would read
    // as a regression.
    let trigger = old.has_trigger() && new.has_trigger();
    // And both judged: a run that ended too soon after its trigger has no recovery to compare
    // (its "not judged" would read "never", a regression).
    let judged = old.summary.whole.verdict.is_some() && new.summary.whole.verdict.is_some();
    // Recovery only after a trigger ("never" would read as a failure to recover); wasted work
    // only where both runs measured it (not against an external target, where it is unknown).
    let external = old.summary.external_target || new.summary.external_target;
    let mut out: Vec<Figure> = METRICS
        .into_iter()
        .filter(|m| match m {
            Metric::Recovery => trigger && judged,
            Metric::WastedRatio => !external,
            _ => true,
        })
        .map(Figure::whole)
        .collect();
    let group = |out: &mut Vec<Figure>, scope: Scope| {
        let judged = |r: &Results| scope.figures(&r.summary).is_some_and(|g| g.verdict.is_some());
        let recovery = (trigger && judged(old) && judged(new)).then_some(Metric::Recovery);
        out.extend(GROUP_METRICS.into_iter().chain(recovery).map(|metric| Figure {
            scope: scope.clone(),
            metric,
        }));
    };
    if old.summary.keeps_classes() && new.summary.keeps_classes() {
        for class in Priority::ALL {
            let sent = |r: &Results| r.summary.class(class).is_some_and(|c| c.offered > 0);
            if sent(old) || sent(new) {
                group(&mut out, Scope::Class(class));
            }
        }
    }
    for (name, o) in &old.summary.services {
        // Services both runs have and either sent to: an estate of idle services adds no rows.
        if new
            .summary
            .service(name)
            .is_some_and(|n| n.offered > 0 || o.offered > 0)
        {
            group(&mut out, Scope::Service(name.clone()));
        }
    }
    out
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Better,
    Same,
    Worse,
    /// Worse by more than the tolerance.
    Regression,
    /// A latency quantile worse by more than the tolerance, with fewer than [`MIN_TAIL`] values
    /// beyond it in a run: reported, not gated.
    Ungated,
    /// The offered load ([`OFFERED_RATE`]) differs: no figure of the target, never a
    /// regression, but every other row compares different loads.
    Load,
    /// A group (a class, a service) one of the runs sent nothing: nothing to compare (its
    /// goodput ratio of 0 of 0 read "1 -> 1 same", its latencies "- -> 1.60s better"). Of the
    /// whole run, its ratios, latencies and recovery when one run offered nothing at all.
    Unsent,
}

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// `p99`, or a class's `interactive.p99`.
    pub metric: String,
    pub higher_is_better: bool,
    pub old: Option<f64>,
    pub new: Option<f64>,
    /// Relative change in the bad direction is positive; `None` when it cannot be expressed.
    pub worse_by: Option<f64>,
    pub change: Change,
    /// For a latency quantile: the fewer of the two runs' values beyond it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tail: Option<u64>,
}

/// Why `old` and `new` are no baseline and a change of it: runs of different scenarios, or of
/// versions of one that differ in their load (workload, clients, backend, run settings); `None`
/// when they are comparable. The gateway and thresholds may differ: a gateway change is what
/// a baseline comparison measures.
///
/// A warning, not a refusal: a scenario renamed or retuned along with the change is a
/// legitimate baseline, and refusing would need a flag to override it; but every row of such
/// a comparison measures the difference in load as much as the change (`+1741.4% better`), so
/// the warning goes wherever the rows do (stderr, summary.md, index.html).
pub fn scenario_mismatch(old: &Results, new: &Results) -> Option<String> {
    let (a, b) = (crate::entry::scenario_of(old), crate::entry::scenario_of(new));
    if a != b {
        return Some(format!(
            "different scenarios: the baseline is a run of `{a}`, the new run of `{b}`; the changes below compare different loads, not a change"
        ));
    }
    let parts = crate::entry::scenario_parts_differing(old, new, false);
    (!parts.is_empty()).then(|| {
        format!(
            "the baseline and the new run are of different versions of scenario `{a}` ({} settings differ); the changes below mix the change with a different load",
            parts.join(", ")
        )
    })
}

/// Everything that makes `old` and `new` less than a baseline and a change of it: different
/// scenarios ([`scenario_mismatch`]), one simulated and one live, or different seeds. Warnings:
/// each row still compares, but measures the difference as much as the change.
pub fn mismatches(old: &Results, new: &Results) -> Vec<String> {
    let mut out: Vec<String> = scenario_mismatch(old, new).into_iter().collect();
    out.extend(generator_doubts(old, new));
    let source = |r: &Results| match r.source {
        model::results::RunSource::Sim => "simulated",
        model::results::RunSource::Live => "live",
    };
    if old.source != new.source {
        out.push(format!(
            "the baseline is a {} run and the new one {}: the live stack's own cost per request shows in the changes below as much as the change does",
            source(old),
            source(new)
        ));
    } else if old.seed != new.seed {
        out.push(format!(
            "the runs have different seeds ({} and {}): other arrivals and service times, so a difference within one seed's noise reads as a change; compare runs of one seed (`--seed N` for both)",
            old.seed, new.seed
        ));
    }
    // A shard carries 1/N of the load: against a whole run (or another shard count) its rates
    // and counts read as a change.
    let part = |r: &Results| r.shard.filter(|&(_, n)| n >= 2);
    if part(old).is_some() || part(new).is_some() {
        let what = |r: &Results| match part(r) {
            Some((i, n)) => format!("shard {i}/{n} of its run"),
            None => "a whole run".to_string(),
        };
        if let (Some((i, n)), Some((j, m))) = (part(old), part(new)) {
            if n == m && i != j {
                out.push(format!(
                    "the runs are different shards ({i}/{n} and {j}/{n}): each offers 1/{n} of the load, but other arrivals, so a difference within that noise reads as a change; compare merged results (`spillway loadgen merge`) or the same shard of each"
                ));
            }
        }
        let same_share = matches!((part(old), part(new)), (Some((_, n)), Some((_, m))) if n == m);
        if !same_share {
            out.push(format!(
                "the baseline is {} and the new run {}: a shard offers 1/N of the load, so rates and counts differ by that alone; compare merged results (`spillway loadgen merge`) or the same shard of each",
                what(old),
                what(new)
            ));
        }
    }
    // A service of one run only has no rows: its figures would otherwise vanish unsaid.
    for (r, o, side, other) in [
        (old, new, "the baseline", "the new run"),
        (new, old, "the new run", "the baseline"),
    ] {
        let alone: Vec<&str> = r
            .summary
            .services
            .keys()
            .filter(|name| !o.summary.services.contains_key(*name))
            .map(String::as_str)
            .collect();
        if !alone.is_empty() {
            out.push(format!(
                "{} only in {side}, not in {other}: no rows compare {}",
                plural_services(&alone),
                if alone.len() == 1 { "it" } else { "them" }
            ));
        }
    }
    out
}

/// "service legacy-10" or "services a, b and c" (at most five named).
fn plural_services(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let list = match names.len() {
        1 => return format!("service {}", names[0]),
        n if n <= SHOWN => format!("{} and {}", names[..n - 1].join(", "), names[n - 1]),
        n => format!("{} and {} more", names[..SHOWN].join(", "), n - SHOWN),
    };
    format!("services {list}")
}

/// A reason a baseline comparison fails whatever its rows say: the check (a junit case's
/// name, one per side) and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub check: &'static str,
    pub detail: String,
}

/// How a baseline comparison ends ([`outcome`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// Its figures partly describe the load generator: `compare` exits 4.
    Inconclusive,
}

/// How a baseline comparison with `regressions` ends. An incomplete run (`complete` false)
/// fails it for sure. Otherwise, when the load generator of either run is in doubt
/// ([`Results::generator_in_doubt`]), a regression is inconclusive, as a failed threshold of
/// such a run is in `loadgen run`; so is a pass over a run that left arrivals unsent (the
/// target never saw its whole load, as `compare` holds an expectation on such a run), while a
/// pass beside a lag alone stands (the late sends only made its figures worse).
pub fn outcome(regressions: usize, complete: bool, old: &Results, new: &Results) -> Outcome {
    let in_doubt = old.generator_in_doubt() || new.generator_in_doubt();
    let unsent = |r: &Results| r.generator.as_ref().is_some_and(|g| g.unsent > 0);
    match (regressions, complete) {
        (_, false) => Outcome::Failed,
        (0, true) if unsent(old) || unsent(new) => Outcome::Inconclusive,
        (0, true) => Outcome::Passed,
        _ if in_doubt => Outcome::Inconclusive,
        _ => Outcome::Failed,
    }
}

/// Why the comparison cannot pass, whatever its rows say: a run that is incomplete (interrupted,
/// or stopped at a cap) covers part of its scenario, and its figures say nothing of the change
/// (an interrupted run before its burst read "better" on every row).
pub fn problems(old: &Results, new: &Results) -> Vec<Problem> {
    let mut out = Vec::new();
    for (r, which, check) in [
        (new, "the new run", "new run complete"),
        (old, "the baseline", "baseline complete"),
    ] {
        if r.incomplete {
            let why = r
                .stopped
                .as_deref()
                .map_or("interrupted, or stopped at a cap".to_string(), str::to_string);
            out.push(Problem {
                check,
                detail: format!(
                    "{which} is incomplete ({why}): its figures cover {:.0}s of the scenario's run, not what the change does over it",
                    r.summary.duration_s
                ),
            });
        }
    }
    out
}

/// Compares `new` with `old`, metric by metric; warns (on stderr) of each of [`mismatches`].
pub fn compare(old: &Results, new: &Results, tolerance: f64) -> Vec<Row> {
    for w in mismatches(old, new) {
        tracing::warn!("{w}");
    }
    let mut rows: Vec<Row> = figures(old, new)
        .into_iter()
        .map(|m| {
            let (o, n) = (m.value(&old.summary), m.value(&new.summary));
            let hib = m.metric.higher_is_better();
            let count = |r: &Results| m.scope.figures(&r.summary).map_or(0, |g| g.latency.count);
            let tail = tail(m.metric, count(old).min(count(new)));
            let sent = |r: &Results| m.scope.figures(&r.summary).is_some_and(|g| g.offered > 0);
            // A group one run sent nothing has no figures to compare; the whole run then still
            // has its counts (100 successes -> 0 is a regression), not its ratios, latencies or
            // recovery (0 of 0 is no goodput ratio of 1, nor a latency of 0s an improvement).
            let unsent =
                (m.scope != Scope::Whole || crate::entry::needs_offered(m.metric)) && !(sent(old) && sent(new));
            let (o, n) = if unsent {
                (o.filter(|_| sent(old)), n.filter(|_| sent(new)))
            } else {
                (o, n)
            };
            let (worse_by, change) = match (o, n) {
                _ if unsent => (None, Change::Unsent),
                // Recovery: "never" is worse than any time.
                (Some(_), None) => (None, Change::Regression),
                (None, Some(_)) => (None, Change::Better),
                (None, None) => (None, Change::Same),
                (Some(o), Some(n)) => {
                    let bad = if hib { o - n } else { n - o };
                    let rel = if o.abs() > 0.0 { Some(bad / o.abs()) } else { None };
                    let change = if bad.abs() <= resolution(&m, old) {
                        Change::Same
                    } else if bad < 0.0 {
                        Change::Better
                    } else if rel.is_none_or(|r| r > tolerance) {
                        if tail.is_some_and(|t| t < MIN_TAIL) {
                            Change::Ungated
                        } else {
                            Change::Regression
                        }
                    } else {
                        Change::Worse
                    };
                    (rel, change)
                }
            };
            Row {
                metric: m.to_string(),
                higher_is_better: hib,
                old: o,
                new: n,
                worse_by,
                change,
                tail,
            }
        })
        .collect();
    // After the goodput, which it explains when the loads differ.
    let at = rows.iter().position(|r| r.metric == "goodput").map_or(0, |i| i + 1);
    rows.insert(at, offered_row(old, new));
    rows
}

fn fmt_value(metric: &str, v: Option<f64>) -> String {
    if metric == OFFERED_RATE {
        return v.map_or("-".into(), |v| format!("{v:.1}/s"));
    }
    match metric.parse::<Figure>() {
        Ok(f) => f.metric.show(v),
        Err(_) => v.map_or("-".into(), |v| format!("{v:.4}")),
    }
}

/// A relative tolerance as a percentage, as precise as it was given: `10%`, `0.5%`.
pub fn fmt_tolerance(tolerance: f64) -> String {
    let p = format!("{:.3}", tolerance * 100.0);
    format!("{}%", p.trim_end_matches('0').trim_end_matches('.'))
}

impl Row {
    /// The relative change as signed by value (`+12.5%` for a rise), `from 0` for a rise from
    /// zero (no relative change, and `-` read as none at all), `-` if it has none.
    pub fn change_text(&self) -> String {
        match self.worse_by {
            Some(w) if w.is_finite() => {
                let pct = -w * 100.0 * if self.higher_is_better { 1.0 } else { -1.0 };
                // No "-0.0%" for an unchanged value (-0.0 of a negated zero) or a change that
                // rounds to nothing: the other rows read "+0.0%".
                format!("{:+.1}%", if pct.abs() < 0.05 { 0.0 } else { pct })
            }
            _ if self.old == Some(0.0) && self.new.is_some_and(|n| n.is_finite() && n != 0.0) => "from 0".into(),
            _ => "-".into(),
        }
    }

    /// `better`, `same`, `worse, within 10%` or `REGRESSION (lower is better)`.
    pub fn verdict_text(&self, tolerance: f64) -> String {
        match self.change {
            Change::Better => "better".to_string(),
            Change::Same => "same".to_string(),
            Change::Worse => format!("worse, within {}", fmt_tolerance(tolerance)),
            Change::Load => "not judged: the runs offered different loads".to_string(),
            Change::Regression => format!(
                "REGRESSION ({} is better)",
                if self.higher_is_better { "higher" } else { "lower" }
            ),
            Change::Unsent if self.metric.parse::<Figure>().is_ok_and(|f| f.scope == Scope::Whole) => {
                "not compared: one run offered nothing".to_string()
            }
            Change::Unsent => "not compared: one run sent this group nothing".to_string(),
            Change::Ungated => match self.tail {
                Some(0) | None => format!("worse beyond {}, not gated: one value", fmt_tolerance(tolerance)),
                Some(t) => format!(
                    "worse beyond {}, not gated: {t} value{} beyond it (gates from {MIN_TAIL})",
                    fmt_tolerance(tolerance),
                    if t == 1 { "" } else { "s" }
                ),
            },
        }
    }

    /// One line for a CI system: `p99: 1.20s -> 2.50s (+108.3%): REGRESSION (lower is better,
    /// tolerance 10%)`.
    pub fn describe(&self, tolerance: f64) -> String {
        format!(
            "{}: {} -> {} ({}): {}, tolerance {}",
            self.metric,
            fmt_value(&self.metric, self.old),
            fmt_value(&self.metric, self.new),
            self.change_text(),
            self.verdict_text(tolerance),
            fmt_tolerance(tolerance)
        )
    }
}

/// The table printed by `compare --baseline`.
pub fn render(rows: &[Row], tolerance: f64) -> String {
    let mut o = format!(
        "{:<w$} {:>12} {:>12} {:>10}  {}\n",
        "metric",
        "baseline",
        "new",
        "change",
        "verdict",
        w = width(rows)
    );
    for r in rows {
        let (change, verdict) = (r.change_text(), r.verdict_text(tolerance));
        o.push_str(&format!(
            "{:<w$} {:>12} {:>12} {:>10}  {verdict}\n",
            r.metric,
            fmt_value(&r.metric, r.old),
            fmt_value(&r.metric, r.new),
            change,
            w = width(rows)
        ));
    }
    o
}

/// The regressions of `rows`, one short item each (`shed 0 -> 1758 (from 0)`), at most
/// `shown` of them and then how many more: for the last lines of a comparison, where a table
/// of 60 rows (ten services) would leave the reader scrolling up for the few that failed.
pub fn regressions_list(rows: &[Row], shown: usize) -> Vec<String> {
    let failed: Vec<&Row> = rows.iter().filter(|r| r.change == Change::Regression).collect();
    let mut out: Vec<String> = failed
        .iter()
        .take(shown)
        .map(|r| {
            format!(
                "{} {} -> {} ({})",
                r.metric,
                fmt_value(&r.metric, r.old),
                fmt_value(&r.metric, r.new),
                r.change_text()
            )
        })
        .collect();
    if failed.len() > shown {
        out.push(format!("and {} more (in the table above)", failed.len() - shown));
    }
    out
}

/// The metric column's width: the longest name (class figures are longer), at least 15.
fn width(rows: &[Row]) -> usize {
    // Capped: metric names carry service names from results files, and `format!` panics at
    // widths past 65,535.
    rows.iter().map(|r| r.metric.len()).max().unwrap_or(0).clamp(15, 200)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::blank;

    /// A run that was offered 1,000 intents, all served: its ratios and latencies compare.
    fn served() -> Results {
        let mut r = blank();
        let w = &mut r.summary.whole;
        (w.offered, w.successes, w.latency.count) = (1000, 1000, 1000);
        r
    }

    fn row<'a>(rows: &'a [Row], m: &str) -> &'a Row {
        rows.iter().find(|r| r.metric == m).expect("metric compared")
    }

    /// An unchanged figure reads "+0.0%" whichever way is better: a higher-is-better one read
    /// "-0.0%" (its negated zero).
    #[test]
    fn no_change_is_plus_zero() {
        let r = |higher_is_better, worse_by| Row {
            metric: "goodput_ratio".into(),
            higher_is_better,
            old: Some(0.8194),
            new: Some(0.8194),
            worse_by: Some(worse_by),
            change: Change::Same,
            tail: None,
        };
        for h in [true, false] {
            assert_eq!(r(h, 0.0).change_text(), "+0.0%");
            assert_eq!(r(h, -0.0).change_text(), "+0.0%");
            assert_eq!(r(h, 0.0004).change_text(), "+0.0%");
        }
        assert_eq!(r(true, 0.125).change_text(), "-12.5%");
        assert_eq!(r(false, 0.125).change_text(), "+12.5%");
    }

    /// The regressions listed for the end of the output: each with its values and change,
    /// only regressions, and past the number shown a count of the rest.
    #[test]
    fn regressions_are_listed_with_their_values() {
        let old = served();
        let mut new = served();
        new.summary.whole.shed = 300;
        new.summary.whole.latency.p99 = 4.0;
        new.summary.whole.latency.count = 1000;
        let rows = compare(&old, &new, 0.1);
        let failed = rows.iter().filter(|r| r.change == Change::Regression).count();
        assert!(failed >= 2, "{}", render(&rows, 0.1));
        let list = regressions_list(&rows, 10);
        assert_eq!(list.len(), failed, "{list:?}");
        assert!(list.iter().any(|l| l == "shed 0 -> 300 (from 0)"), "{list:?}");
        assert!(
            list.iter().all(|l| !l.starts_with("goodput")),
            "only regressions: {list:?}"
        );
        let short = regressions_list(&rows, 1);
        assert_eq!(short.len(), 2, "{short:?}");
        assert_eq!(short[1], format!("and {} more (in the table above)", failed - 1));
        assert!(regressions_list(&compare(&old, &old, 0.1), 10).is_empty());
    }

    /// Runs without a trigger compare no recovery (both would read "never"); a run against an
    /// external target, whose wasted work is unknown, compares none either.
    #[test]
    fn figures_a_run_does_not_have_are_not_compared() {
        let old = blank();
        assert!(!old.has_trigger());
        let rows = compare(&old, &old.clone(), 0.10);
        assert!(rows.iter().all(|r| r.metric != "recovery"), "no trigger");
        assert!(rows.iter().any(|r| r.metric == "wasted_ratio"));
        let mut external = old.clone();
        external.summary.external_target = true;
        let rows = compare(&old, &external, 0.10);
        assert!(rows.iter().all(|r| r.metric != "wasted_ratio"), "not measured");
        // A trigger on one side only (runs of different scenarios): no recovery row either.
        let mut triggered = old.clone();
        triggered.phases[0].trigger = true;
        triggered.summary.whole.recovery_s = Some(0.0);
        triggered.summary.whole.verdict = Some(model::results::Verdict::Recovered);
        for (a, b) in [(&triggered, &old), (&old, &triggered)] {
            let rows = compare(a, b, 0.10);
            assert!(rows.iter().all(|r| r.metric != "recovery"), "one trigger");
        }
        assert!(compare(&triggered, &triggered, 0.1)
            .iter()
            .any(|r| r.metric == "recovery"));
        assert!(rows.iter().all(|r| r.change != Change::Regression));
        // A run that ended too soon after its trigger to be judged (`loadgen --duration`): its
        // recovery is unknown, not "never", so it is no regression against a judged baseline.
        let mut cut_short = triggered.clone();
        (cut_short.summary.whole.verdict, cut_short.summary.whole.recovery_s) = (None, None);
        for (a, b) in [(&triggered, &cut_short), (&cut_short, &triggered)] {
            let rows = compare(a, b, 0.10);
            assert!(rows.iter().all(|r| r.metric != "recovery"), "not judged");
        }
    }

    /// A simulated baseline against a live run, or runs of other seeds, are warned of; an
    /// incomplete run is a problem that fails the comparison.
    #[test]
    fn mismatched_or_incomplete_runs_are_said() {
        let old = blank();
        assert!(mismatches(&old, &old.clone()).is_empty());
        assert!(problems(&old, &old.clone()).is_empty());
        let mut live = old.clone();
        live.source = model::results::RunSource::Live;
        let w = mismatches(&old, &live);
        assert!(
            w.len() == 1 && w[0].starts_with("the baseline is a simulated run and the new one live"),
            "{w:?}"
        );
        let mut other_seed = old.clone();
        other_seed.seed = old.seed + 2;
        let w = mismatches(&old, &other_seed);
        assert!(
            w.len() == 1 && w[0].contains("different seeds") && w[0].ends_with("(`--seed N` for both)"),
            "{w:?}"
        );
        // A service of one side only is said, as it has no rows.
        let with = |names: &[&str]| {
            let mut r = old.clone();
            for n in names {
                r.summary.services.insert(n.to_string(), Default::default());
            }
            r
        };
        let w = mismatches(&with(&["a", "b", "legacy-10"]), &with(&["a", "b"]));
        assert_eq!(
            w,
            ["service legacy-10 only in the baseline, not in the new run: no rows compare it"]
        );
        let w = mismatches(&with(&["a"]), &with(&["a", "x", "y", "z"]));
        assert_eq!(
            w,
            ["services x, y and z only in the new run, not in the baseline: no rows compare them"]
        );
        // A shard against the merged run (whose shard is none) or a whole run (0/1).
        let mut shard = old.clone();
        shard.shard = Some((0, 2));
        for whole in [None, Some((0, 1))] {
            let mut merged = old.clone();
            merged.shard = whole;
            let w = mismatches(&shard, &merged);
            assert!(
                w.len() == 1 && w[0].starts_with("the baseline is shard 0/2 of its run and the new run a whole run"),
                "{w:?}"
            );
        }
        assert!(mismatches(&shard, &shard.clone()).is_empty(), "the same shard of each");
        let mut other = shard.clone();
        other.shard = Some((1, 2));
        let w = mismatches(&shard, &other);
        assert!(
            w.len() == 1
                && w[0].starts_with("the runs are different shards (0/2 and 1/2): each offers 1/2 of the load"),
            "{w:?}"
        );
        other.shard = Some((0, 3));
        let w = mismatches(&shard, &other);
        assert!(
            w.len() == 1 && w[0].starts_with("the baseline is shard 0/2 of its run and the new run shard 0/3"),
            "{w:?}"
        );
        let mut cut = old.clone();
        cut.incomplete = true;
        let p = problems(&old, &cut);
        assert!(
            p.len() == 1 && p[0].detail.starts_with("the new run is incomplete"),
            "{p:?}"
        );
        let p = problems(&cut, &cut);
        let checks: Vec<&str> = p.iter().map(|p| p.check).collect();
        assert_eq!(checks, ["new run complete", "baseline complete"]);
    }

    /// A run that offered nothing has no ratios, latencies or recovery to compare (its 0 of 0
    /// read as a goodput ratio of 1, its latencies "39ms -> 0s better"); its counts compare.
    #[test]
    fn a_run_that_offered_nothing_compares_counts_alone() {
        let mut old = blank();
        (old.summary.whole.offered, old.summary.whole.successes) = (100, 100);
        (old.summary.whole.goodput_ratio, old.summary.whole.latency.p50) = (1.0, 0.039);
        old.summary.whole.goodput = 1.6;
        let mut idle = blank();
        idle.summary.whole.goodput_ratio = 1.0;
        for (a, b) in [(&old, &idle), (&idle, &old)] {
            let rows = compare(a, b, 0.1);
            for m in ["goodput_ratio", "p50", "p99", "amplification"] {
                let r = row(&rows, m);
                let idle_value = if a.summary.whole.offered == 0 { r.old } else { r.new };
                assert_eq!((r.change, idle_value), (Change::Unsent, None), "{m}");
                assert_eq!(r.verdict_text(0.1), "not compared: one run offered nothing");
            }
            assert_ne!(row(&rows, "goodput").change, Change::Unsent);
        }
        assert_eq!(row(&compare(&old, &idle, 0.1), "goodput").change, Change::Regression);
    }

    /// A class one run sent nothing is not compared: 0 of 0 is no goodput ratio of 1, and a
    /// latency against none is no improvement.
    #[test]
    fn a_group_one_run_sent_nothing_is_not_compared() {
        let mut old = blank();
        let mut g = old.summary.whole.clone();
        g.offered = 100;
        g.goodput_ratio = 0.9;
        g.latency.p50 = 0.1;
        old.summary.classes.insert(Priority::Interactive, g.clone());
        old.summary.classes.insert(Priority::Background, g.clone());
        let mut new = old.clone();
        let idle = new.summary.classes.get_mut(&Priority::Background).expect("class");
        (idle.offered, idle.goodput_ratio, idle.latency.p50) = (0, 1.0, 0.0);
        assert!(old.summary.keeps_classes());
        let rows = compare(&old, &new, 0.1);
        let r = row(&rows, "background.goodput_ratio");
        assert_eq!((r.change, r.old, r.new), (Change::Unsent, Some(0.9), None));
        assert_eq!(row(&rows, "background.p50").change, Change::Unsent);
        assert_eq!(row(&rows, "interactive.goodput_ratio").change, Change::Same);
        assert!(r.verdict_text(0.1).starts_with("not compared"));
    }

    /// A new run whose load generator left arrivals unsent (out of file descriptors) read as a
    /// goodput regression with the goodput ratio "same", and nothing said the load differed:
    /// the offered rate has a row, never a regression, and the generator's doubt is said.
    #[test]
    fn a_run_whose_generator_left_arrivals_unsent_shows_its_load_and_doubt() {
        let mut old = served();
        old.summary.duration_s = 3.0;
        (old.summary.whole.offered, old.summary.whole.successes) = (608, 608);
        old.summary.whole.goodput = 202.7;
        let mut new = old.clone();
        (new.summary.whole.offered, new.summary.whole.successes) = (372, 372);
        new.summary.whole.goodput = 124.0;
        let same = compare(&old, &old.clone(), 0.1);
        let r = row(&same, OFFERED_RATE);
        assert_eq!((r.change, r.verdict_text(0.1).as_str()), (Change::Same, "same"));
        let rows = compare(&old, &new, 0.1);
        let at = |m: &str| rows.iter().position(|r| r.metric == m);
        assert_eq!(at(OFFERED_RATE), at("goodput").map(|i| i + 1), "after the goodput");
        let r = row(&rows, OFFERED_RATE);
        assert_eq!(r.change, Change::Load);
        assert_eq!(
            r.describe(0.1),
            "offered_rate: 202.7/s -> 124.0/s (-38.8%): not judged: the runs offered different loads, tolerance 10%"
        );
        assert_eq!(row(&rows, "goodput").change, Change::Regression);
        // Its figures are in doubt: said, with the cause the run's notes give.
        assert!(
            generator_doubts(&old, &new).is_empty(),
            "no generator health: a sure change"
        );
        let hint = "the generator ran out of file descriptors (too many open files, limit 200): raise the hard limit";
        new.generator = Some(model::results::GeneratorHealth {
            unsent: 236,
            lagging: true,
            ..Default::default()
        });
        new.notes.generator_failures.insert(hint.to_string(), 236);
        let d = generator_doubts(&old, &new);
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(
            d[0].starts_with(&format!(
                "the new run's load generator left 236 of 608 arrivals unsent ({hint})"
            )),
            "{d:?}"
        );
        assert_eq!(mismatches(&old, &new), d, "said where the mismatches are");
        // A lag alone, over a tenth of the 1 s timeout, is said with its lateness.
        let mut late = old.clone();
        late.generator = Some(model::results::GeneratorHealth {
            lateness_p99_s: 0.2,
            lagging: true,
            late_sends: Some(50),
            ..Default::default()
        });
        let d = generator_doubts(&late, &old);
        assert!(
            d.len() == 1
                && d[0].starts_with("the baseline's load generator fell behind its schedule")
                && d[0].contains("send lateness p99 200.0ms"),
            "{d:?}"
        );
    }

    #[test]
    fn tolerances_print_as_given() {
        assert_eq!(fmt_tolerance(0.1), "10%");
        assert_eq!(fmt_tolerance(0.005), "0.5%");
        assert_eq!(fmt_tolerance(0.0125), "1.25%");
        assert_eq!(fmt_tolerance(0.0), "0%");
    }

    #[test]
    fn flags_each_metric_in_its_own_direction() {
        let mut old = served();
        old.phases[0].trigger = true;
        old.summary.whole.goodput_ratio = 0.95;
        old.summary.whole.latency.p99 = 1.0;
        old.summary.whole.amplification = 1.10;
        old.summary.whole.recovery_s = Some(5.0);
        old.summary.whole.verdict = Some(model::results::Verdict::Recovered);
        let mut new = old.clone();
        new.summary.whole.goodput_ratio = 0.80; // -16%: regression
        new.summary.whole.latency.p99 = 0.5; // better
        new.summary.whole.amplification = 1.15; // +4.5%: worse, within 10%
        let never = (None, Some(model::results::Verdict::Metastable)); // no longer recovers
        (new.summary.whole.recovery_s, new.summary.whole.verdict) = never;
        let rows = compare(&old, &new, 0.10);
        assert_eq!(row(&rows, "goodput_ratio").change, Change::Regression);
        assert_eq!(row(&rows, "p99").change, Change::Better);
        assert_eq!(row(&rows, "amplification").change, Change::Worse);
        assert_eq!(row(&rows, "recovery").change, Change::Regression);
        assert_eq!(row(&rows, "p50").change, Change::Same);
        let text = render(&rows, 0.10);
        assert!(text.contains("REGRESSION (higher is better)"), "{text}");
        assert!(text.contains("never"), "{text}");
    }

    /// With classes on both sides, a regression for one class is flagged even when the
    /// whole-run figure stays the same.
    #[test]
    fn compares_each_class_when_both_runs_keep_classes() {
        use model::results::{GroupCounters, GroupSummary, Percentiles};
        let class = |shed: u64, p99: f64| {
            let mut c = GroupSummary::of(
                &GroupCounters {
                    intents: 1000,
                    attempts: 1000 + shed,
                    successes: 1000,
                    shed,
                    ..Default::default()
                },
                Percentiles::default(),
                10.0,
            );
            c.latency.count = 1000;
            c.latency.p99 = p99;
            c
        };
        let mut old = served();
        assert!(
            !compare(&old, &old, 0.1).iter().any(|r| r.metric.contains('.')),
            "no classes kept: whole-run rows only"
        );
        old.summary.classes.insert(Priority::Interactive, class(0, 0.1));
        old.summary.classes.insert(Priority::Background, class(500, 20.0));
        let mut new = old.clone();
        new.summary.classes.insert(Priority::Interactive, class(300, 0.1));
        let rows = compare(&old, &new, 0.10);
        assert_eq!(row(&rows, "interactive.shed").change, Change::Regression);
        assert_eq!(row(&rows, "background.shed").change, Change::Same);
        assert_eq!(row(&rows, "p99").change, Change::Same);
        assert!(
            !rows.iter().any(|r| r.metric.starts_with("service[")),
            "no services kept"
        );
        // Services both runs have are compared too.
        old.summary.services.insert("a".into(), class(0, 0.1));
        new.summary.services.insert("a".into(), class(0, 0.5));
        new.summary.services.insert("b".into(), class(0, 0.5));
        let rows = compare(&old, &new, 0.10);
        assert_eq!(row(&rows, "service[a].p99").change, Change::Regression);
        assert!(!rows.iter().any(|r| r.metric.starts_with("service[b]")), "b is new");
        assert!(
            !rows.iter().any(|r| r.metric.ends_with(".recovery")),
            "no trigger, no group verdicts: no group recovery rows"
        );
        // With a trigger and a verdict on both sides, a service that takes longer to recover
        // is a regression.
        let (mut old_t, mut new_t) = (old.clone(), new.clone());
        for (r, rec) in [(&mut old_t, 2.0), (&mut new_t, 30.0)] {
            r.phases[0].trigger = true;
            let a = r.summary.services.get_mut("a").unwrap();
            (a.verdict, a.recovery_s) = (Some(model::results::Verdict::Recovered), Some(rec));
        }
        let rows = compare(&old_t, &new_t, 0.10);
        assert_eq!(row(&rows, "service[a].recovery").change, Change::Regression);
        assert_eq!(fmt_value("service[a].recovery", None), "never");
        assert_eq!(fmt_value("service[a].p99", None), "-");
        assert!(
            !rows.iter().any(|r| r.metric == "interactive.recovery"),
            "no class verdicts"
        );
        let text = render(&rows, 0.10);
        assert!(text.contains("background.goodput_ratio"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.starts_with("interactive.p99 ") && l.contains("100.0ms")),
            "{text}"
        );
    }

    /// A latency quantile with fewer than MIN_TAIL values beyond it in either run is reported
    /// but does not gate: one slow request out of 1,000 is not a regression of p999 or max.
    #[test]
    fn tail_quantiles_of_a_few_values_do_not_gate() {
        let mut old = served();
        let l = &mut old.summary.whole.latency;
        (l.count, l.p99, l.p999, l.max) = (1000, 1.0, 2.0, 3.0);
        let mut new = old.clone();
        let l = &mut new.summary.whole.latency;
        (l.p99, l.p999, l.max) = (2.0, 4.0, 6.0);
        let rows = compare(&old, &new, 0.10);
        assert_eq!(row(&rows, "p99").change, Change::Regression, "10 values beyond p99");
        assert_eq!(row(&rows, "p999").change, Change::Ungated);
        assert_eq!(row(&rows, "max").change, Change::Ungated);
        let text = render(&rows, 0.10);
        assert!(
            text.contains("worse beyond 10%, not gated: 1 value beyond it (gates from 10)"),
            "{text}"
        );
        assert!(text.contains("worse beyond 10%, not gated: one value"), "{text}");
        // The fewer of the two runs decides: a baseline of 99 intents gates no p99.
        old.summary.whole.latency.count = 99;
        assert_eq!(row(&compare(&old, &new, 0.10), "p99").change, Change::Ungated);
        // With enough values beyond it, p999 gates.
        for r in [&mut old, &mut new] {
            r.summary.whole.latency.count = 10_000;
        }
        let rows = compare(&old, &new, 0.10);
        assert_eq!(row(&rows, "p999").change, Change::Regression);
        assert_eq!(row(&rows, "max").change, Change::Ungated);
        // Better stays better whatever the tail.
        assert_eq!(row(&compare(&new, &old, 0.10), "max").change, Change::Better);
    }

    #[test]
    fn tiny_changes_from_zero_are_not_regressions() {
        let mut old = blank();
        old.summary.wasted_ratio = 0.0;
        let mut new = old.clone();
        new.summary.wasted_ratio = 0.001;
        assert_eq!(row(&compare(&old, &new, 0.1), "wasted_ratio").change, Change::Same);
        new.summary.wasted_ratio = 0.2;
        assert_eq!(
            row(&compare(&old, &new, 0.1), "wasted_ratio").change,
            Change::Regression
        );
    }
}
