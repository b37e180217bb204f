//! Expectations across runs: `deadline.goodput_ratio >= 0.9`, `deadline.p99 < fifo.p99`, and
//! per priority class or service `bounded.interactive.shed < fifo.interactive.shed`,
//! `deadline.service[orders].p99 < 2s`.
//!
//! With replications an expectation holds only beyond the 95% confidence intervals: `a < b`
//! needs the whole interval of `a` below the whole interval of `b` (or below the bound), so a
//! difference the dice could have made does not pass. Two runs of the same seeds are compared
//! seed by seed: `a < b` needs the interval of the differences `a - b` below zero; `a <= b`
//! needs it at or below zero, or `a <= b` in every seed (two runs alike in every seed hold it,
//! and not `a < b`).

use crate::entry::Entry;
use model::interval::Interval;
use model::threshold::{parse_bound, split_comparison, Cmp, Figure, Metric, Scope};
use serde::Serialize;

/// One side of an expectation.
#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    /// `label.metric`, `label.class.metric` or `label.service[name].metric`
    Run { label: String, figure: Figure },
    /// A bound, in the unit of the other side's metric (seconds for times).
    Value(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub text: String,
    pub lhs: Operand,
    pub cmp: Cmp,
    pub rhs: Operand,
}

/// An expectation checked against the runs.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    pub expectation: String,
    pub passed: bool,
    /// What was compared: a true statement when it holds (`0.953 ± 0.004 >= 0.9`), the
    /// measured values when it fails (`measured 0.253 vs 0.868`, `measured 0.71 (bound 0.8)`).
    pub detail: String,
    /// It failed, but the load generator fell behind its schedule in a run it names, by a
    /// material part of the clients' timeout ([`Entry::generator_in_doubt`]): the failure says
    /// nothing sure about the target (a rerun on a quieter machine, or less time-compressed,
    /// decides).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub inconclusive: bool,
}

impl Checked {
    /// `HOLDS`, `FAILS` or `INCONCLUSIVE`, as the table and the reports print it.
    pub fn word(&self) -> &'static str {
        match (self.passed, self.inconclusive) {
            (true, _) => "HOLDS",
            (false, false) => "FAILS",
            (false, true) => "INCONCLUSIVE",
        }
    }
}

/// Parses `text` naming runs among `labels`. Errors say what was expected.
pub fn parse(text: &str, labels: &[String]) -> Result<Expectation, String> {
    let (l, cmp, r) = split_comparison(text)?;
    let lhs = run_ref(l, labels);
    let rhs = run_ref(r, labels);
    let (lhs, rhs) = match (lhs, rhs) {
        (Some(a), Some(b)) => {
            let (a, b) = (a?, b?);
            if let (Operand::Run { figure: fa, .. }, Operand::Run { figure: fb, .. }) = (&a, &b) {
                if fa.metric.is_time() != fb.metric.is_time() {
                    return Err(format!(
                        "`{text}`: compares {} with {}: one is a time and the other is not",
                        fa.metric.name(),
                        fb.metric.name()
                    ));
                }
            }
            (a, b)
        }
        (Some(a), None) => {
            let a = a?;
            let b = bound(&a, l, cmp, r, labels)?;
            (a, b)
        }
        // `0.9 <= x.goodput_ratio` bounds the run as `x.goodput_ratio >= 0.9` does.
        (None, Some(b)) => {
            let b = b?;
            let a = bound(&b, r, cmp.mirror(), l, labels)?;
            (a, b)
        }
        (None, None) => {
            return Err(format!(
                "`{text}`: neither side names a run; write LABEL.METRIC (or LABEL.CLASS.METRIC, LABEL.service[NAME].METRIC) with LABEL one of {}",
                labels.join(", ")
            ))
        }
    };
    Ok(Expectation {
        text: text.trim().to_string(),
        lhs,
        cmp,
        rhs,
    })
}

/// `Some` when `side` starts with a known label and a dot (the longest label wins, so
/// `adaptive-lifo.p99` is not read as `adaptive` + `-lifo.p99`).
fn run_ref(side: &str, labels: &[String]) -> Option<Result<Operand, String>> {
    let side = side.trim();
    let label = labels
        .iter()
        .filter(|l| side.len() > l.len() + 1 && side.starts_with(l.as_str()) && side[l.len()..].starts_with('.'))
        .max_by_key(|l| l.len())?;
    let figure = &side[label.len() + 1..];
    Some(
        figure
            .parse::<Figure>()
            .and_then(|figure| match figure.worst_service_problem() {
                Some(why) => Err(why),
                None => Ok(figure),
            })
            .map(|figure| Operand::Run {
                label: label.clone(),
                figure,
            })
            .map_err(|e| format!("`{side}`: {e}")),
    )
}

/// The bound `text` on the run `other` (written `written`) as `other cmp text` reads.
fn bound(other: &Operand, written: &str, cmp: Cmp, text: &str, labels: &[String]) -> Result<Operand, String> {
    let Operand::Run { figure, .. } = other else {
        return Err(format!("`{text}`: expected a bound"));
    };
    if text.contains('.')
        && !text
            .trim()
            .starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
    {
        return Err(format!(
            "`{text}`: not a run label (none is called that) nor a number; the runs are {}",
            labels.join(", ")
        ));
    }
    parse_bound(figure.metric, cmp, text, written)
        .map(Operand::Value)
        .map_err(|e| format!("`{text}`: {e}"))
}

impl Expectation {
    /// Checks the expectation; a label with no entry is an error rather than a failure.
    pub fn check(&self, entries: &[Entry]) -> Result<Checked, String> {
        let side = |o: &Operand| -> Result<(Interval, Option<Metric>, Option<Mixed>), String> {
            match o {
                Operand::Value(v) => Ok((
                    Interval {
                        mean: *v,
                        half_width: 0.0,
                        n: 1,
                    },
                    None,
                    None,
                )),
                Operand::Run { label, figure } => {
                    let e = entries
                        .iter()
                        .find(|e| &e.label == label)
                        .ok_or_else(|| format!("`{}`: no run labelled `{label}`", self.text))?;
                    let missing =
                        |keeps: fn(&model::results::Summary) -> bool| e.runs.iter().any(|r| !keeps(&r.summary));
                    let why = match &figure.scope {
                        Scope::Class(_) if missing(|s| s.keeps_classes()) => Some(
                            "keeps no per-class figures (its scenario has no priorities: no mix entry or phase extra with priority = \"background\", no [gateway.priorities])".to_string(),
                        ),
                        Scope::Service(_) | Scope::EveryService if missing(|s| s.keeps_services()) => {
                            Some("keeps no per-service figures (its scenario has one service)".to_string())
                        }
                        Scope::Service(name) if e.runs.iter().any(|r| r.summary.service(name).is_none()) => {
                            Some(format!("has no service `{name}`"))
                        }
                        // A group's missing recovery is "never" only when the group was judged;
                        // otherwise `>=` bounds would pass on nothing.
                        Scope::Class(_) | Scope::Service(_) | Scope::EveryService
                            if figure.metric == Metric::Recovery
                                && e.runs.iter().any(|r| {
                                    // A run that was not judged itself leaves its groups unjudged:
                                    // that fails the check ("not judged"), it is no input error.
                                    r.summary.whole.verdict.is_some()
                                        && figure.group(&r.summary).is_none_or(|g| g.verdict.is_none())
                                }) =>
                        {
                            Some(format!(
                                "gives {} no verdict to take a recovery from (it sent nothing before the trigger or at all, or an older spillway wrote the results)",
                                match &figure.scope {
                                    Scope::Class(c) => format!("class {}", c.as_str()),
                                    Scope::Service(n) => format!("service `{n}`"),
                                    // The worst by recovery is one not judged, when one is.
                                    Scope::EveryService => e
                                        .runs
                                        .iter()
                                        .filter(|r| r.summary.whole.verdict.is_some())
                                        .find_map(|r| {
                                            figure
                                                .worst_service(&r.summary.services)
                                                .filter(|(_, g)| g.verdict.is_none())
                                        })
                                        .map_or("any service (none was sent anything)".to_string(), |(n, _)| {
                                            format!("service `{n}`")
                                        }),
                                    // The whole run's verdict was checked above.
                                    Scope::Whole => String::new(),
                                }
                            ))
                        }
                        _ => None,
                    };
                    if let Some(why) = why {
                        return Err(format!("`{}`: run `{label}` {why}", self.text));
                    }
                    Ok((
                        e.figure(figure.clone()),
                        Some(figure.metric),
                        Mixed::of(&e.runs, figure),
                    ))
                }
            }
        };
        let (a, ma, a_mixed) = side(&self.lhs)?;
        let (b, mb, b_mixed) = side(&self.rhs)?;
        let hw = |i: &Interval| if i.half_width.is_finite() { i.half_width } else { 0.0 };
        // Beyond the intervals: compare the pessimistic ends.
        let ends = |i: &Interval, m: &Option<Mixed>| match m {
            Some(m) => m.ends(),
            None => (i.mean - hw(i), i.mean + hw(i)),
        };
        let (a_lo, a_hi) = ends(&a, &a_mixed);
        let (b_lo, b_hi) = ends(&b, &b_mixed);
        let differences = self.paired_differences(entries);
        let paired = differences.as_deref().map(Interval::of);
        // Seeds whose difference has a sign (ties aside), and whether all of them have the one
        // `sign` wants: an exact one-sided sign test decides at the module's 2.5% once at least
        // [`SIGN_TEST_SEEDS`] seeds differ (2^-6 < 0.025), or when none does (alike in every
        // seed); with fewer, a t-interval of the differences decides alone.
        let every_seed = |sign: f64| {
            let ds = differences.as_deref().unwrap_or_default();
            let differ = ds.iter().filter(|&&x| x != 0.0).count();
            let agree = ds.iter().all(|&x| x == 0.0 || x.signum() == sign);
            agree && (differ == 0 || differ >= SIGN_TEST_SEEDS)
        };
        let passed = match (self.cmp, &paired) {
            // Seed by seed, equality is a difference whose interval holds 0.
            (Cmp::Eq, Some(d)) => {
                let (lo, hi) = (d.mean - hw(d), d.mean + hw(d));
                Cmp::Eq.holds(a.mean, b.mean) || (lo <= 0.0 && 0.0 <= hi && hw(d) > 0.0)
            }
            // Equality within the intervals: they overlap.
            (Cmp::Eq, None) => {
                Cmp::Eq.holds(a.mean, b.mean) || (a_lo <= b_hi && b_lo <= a_hi && (hw(&a) + hw(&b)) > 0.0)
            }
            // Seed by seed: beyond the interval of the differences, which the common seeds
            // make narrow. `<=` and `>=` also hold by the sign test: runs alike in every seed,
            // or one at least as good in each of six or more that differ, whose differences (0
            // in some seeds) a t-interval can stretch past zero.
            (cmp, Some(d)) => {
                let (lo, hi) = (d.mean - hw(d), d.mean + hw(d));
                match cmp {
                    Cmp::Lt => hi < 0.0,
                    Cmp::Le => hi <= 0.0 || every_seed(-1.0),
                    Cmp::Gt => lo > 0.0,
                    Cmp::Ge => lo >= 0.0 || every_seed(1.0),
                    Cmp::Eq => unreachable!("matched above"),
                }
            }
            (Cmp::Lt, None) => a_hi < b_lo,
            (Cmp::Le, None) => a_hi <= b_lo,
            (Cmp::Gt, None) => a_lo > b_hi,
            (Cmp::Ge, None) => a_lo >= b_hi,
        };
        let unit = ma.or(mb);
        let shown = |i: &Interval, m: &Option<Mixed>| match m {
            Some(m) => m.show(unit),
            None => show(i, unit),
        };
        let (sa, sb) = (shown(&a, &a_mixed), shown(&b, &b_mixed));
        // A failure gives the measured values without the operator between them: `0.253 >
        // 0.868` under FAILS reads like a claim that is true.
        let mut detail = if passed {
            format!("{sa} {} {sb}", self.cmp.symbol())
        } else {
            match (&self.lhs, &self.rhs) {
                (Operand::Run { .. }, Operand::Value(_)) => format!("measured {sa} (bound {sb})"),
                (Operand::Value(_), Operand::Run { .. }) => format!("measured {sb} (bound {sa})"),
                _ => format!("measured {sa} vs {sb}"),
            }
        };
        // Rounding can print two different values alike (`0.253 >= 0.253` failing): then give
        // them to the digits that tell them apart.
        if sa == sb && a.mean != b.mean && a.mean.is_finite() && b.mean.is_finite() {
            let (da, db) = apart(a.mean, b.mean);
            detail.push_str(&format!(" (more precisely {da} and {db})"));
        }
        if a.n == 0 || b.n == 0 {
            // No run has the figure: its group (or the run) was offered nothing, or, for a
            // latency, none of its intents succeeded (one of failures alone is none).
            // The figure of an operand with nothing measured, if its runs were offered work.
            let offered = |o: &Operand| match o {
                Operand::Run { label, figure } => entries
                    .iter()
                    .filter(|e| &e.label == label)
                    .flat_map(|e| &e.runs)
                    .any(|r| figure.group(&r.summary).is_some_and(|g| g.offered > 0))
                    .then_some(figure.metric),
                Operand::Value(_) => None,
            };
            let sent = [(&self.lhs, a.n), (&self.rhs, b.n)]
                .into_iter()
                .filter(|(_, n)| *n == 0)
                .find_map(|(o, _)| offered(o));
            let why = match sent {
                None => "nothing was offered",
                Some(m) if m.is_latency() => "nothing succeeded: a latency of failures alone is none",
                Some(_) => "not measured in these runs",
            };
            detail.push_str(&format!(": nothing measured ({why})"));
        } else if a.mean.is_nan() || b.mean.is_nan() {
            detail.push_str(
                ": not judged (a run ended too soon after its trigger to judge recovery, or sent nothing before it)",
            );
        }
        if let Some(d) = &paired {
            let (lo, hi) = (d.mean - hw(d), d.mean + hw(d));
            // Held by the sign test where the interval alone would not have held it.
            let by_sign = passed
                && match self.cmp {
                    Cmp::Le => hi > 0.0,
                    Cmp::Ge => lo < 0.0,
                    _ => false,
                };
            let differ = differences.iter().flatten().filter(|&&x| x != 0.0).count();
            detail.push_str(&if d.mean == 0.0 && hw(d) == 0.0 {
                " (seed by seed: the same in every seed)".to_string()
            } else if by_sign {
                format!(
                    " (seed by seed: difference {}; at least as good in each of the {differ} seeds that differ)",
                    signed(d, unit)
                )
            } else {
                format!(
                    " (seed by seed: {} {})",
                    if passed { "difference" } else { "the difference is" },
                    signed(d, unit)
                )
            });
        }
        // With replications the means may hold while the intervals overlap: say which it is.
        let spread = hw(&a) > 0.0 || hw(&b) > 0.0 || a_mixed.is_some() || b_mixed.is_some();
        if !passed && paired.is_some() && self.cmp.holds(a.mean, b.mean) {
            detail.push_str(
                ", the means hold but not beyond its 95% confidence interval (more replications may separate them)",
            );
        } else if !passed && self.cmp != Cmp::Eq && spread && self.cmp.holds(a.mean, b.mean) {
            // A mean over seeds of which some never recovered is infinite, while the figure
            // shown is the recovered seeds' mean: "the means hold" would contradict it.
            detail.push_str(if a_mixed.is_some() || b_mixed.is_some() {
                ": some seeds recovered and some never did, so it is not decided beyond the 95% confidence intervals (more replications may decide it)"
            } else {
                ": the means hold, but not beyond the 95% confidence intervals (more replications may separate them)"
            });
        }
        // `service[*]` reads each run's worst service: which ones they were.
        let worst: Vec<(&str, String)> = [&self.lhs, &self.rhs]
            .into_iter()
            .filter_map(|o| match o {
                Operand::Run { label, figure } if figure.scope == Scope::EveryService => {
                    let mut names: Vec<&str> = entries
                        .iter()
                        .filter(|e| &e.label == label)
                        .flat_map(|e| &e.runs)
                        .filter_map(|r| figure.worst_service(&r.summary.services).map(|(n, _)| n))
                        .collect();
                    names.sort_by(|a, b| model::results::natural_order(a, b));
                    names.dedup();
                    (!names.is_empty()).then(|| (label.as_str(), names.join(", ")))
                }
                _ => None,
            })
            .collect();
        match worst.as_slice() {
            [] => {}
            [(_, names)] => detail.push_str(&format!("; worst service {names}")),
            [(_, a), (_, b)] if a == b => detail.push_str(&format!("; worst service {a} in both")),
            many => {
                let each: Vec<String> = many.iter().map(|(l, n)| format!("{n} in {l}")).collect();
                detail.push_str(&format!("; worst service {}", each.join(", ")));
            }
        }
        // A run the generator could not drive on schedule cannot fail an expectation for sure.
        let lagging: Vec<&str> = [&self.lhs, &self.rhs]
            .into_iter()
            .filter_map(|o| match o {
                Operand::Run { label, .. } => entries.iter().find(|e| &e.label == label),
                Operand::Value(_) => None,
            })
            .filter(|e| e.generator_in_doubt())
            .map(|e| e.label.as_str())
            .collect();
        let inconclusive = !passed && !lagging.is_empty();
        if inconclusive {
            let mut runs: Vec<String> = lagging.iter().map(|l| format!("`{l}`")).collect();
            runs.dedup();
            detail.push_str(&format!(
                "; inconclusive: the load generator fell behind its schedule in {}, so the measured values partly describe it (rerun on a quieter machine or, if time-compressed, at a lower --time-scale)",
                runs.join(" and ")
            ));
        }
        Ok(Checked {
            expectation: self.text.clone(),
            passed,
            detail,
            inconclusive,
        })
    }
}

impl Expectation {
    /// The seed-by-seed differences `lhs - rhs` of an expectation between two runs: when both
    /// ran the same two or more seeds and every seed has a figure to compare (a time on both
    /// sides, or `never` on both). Every label
    /// of a comparison runs the same seeds, so the seeds' own luck (a burst of slow requests)
    /// is in both sides and cancels in the differences; comparing the two intervals instead
    /// failed `x <= y` for two runs identical in every seed, whose intervals overlap.
    fn paired_differences(&self, entries: &[Entry]) -> Option<Vec<f64>> {
        let values = |o: &Operand| -> Option<Vec<(u64, f64)>> {
            let Operand::Run { label, figure } = o else { return None };
            let e = entries.iter().find(|e| &e.label == label)?;
            e.runs
                .iter()
                .map(|r| {
                    crate::entry::measured(r, figure)
                        .filter(|v| !v.is_nan())
                        .map(|v| (r.seed, v))
                })
                .collect()
        };
        let (mut a, mut b) = (values(&self.lhs)?, values(&self.rhs)?);
        a.sort_by_key(|(seed, _)| *seed);
        b.sort_by_key(|(seed, _)| *seed);
        let same_seeds = a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.0 == y.0);
        if a.len() < 2 || !same_seeds || a.windows(2).any(|w| w[0].0 == w[1].0) {
            return None;
        }
        // `never` against `never` in a seed is a tie; against a time, no difference a
        // t-interval can take: the intervals of the two labels decide then.
        a.iter()
            .zip(&b)
            .map(|(x, y)| match (x.1.is_finite(), y.1.is_finite()) {
                (true, true) => Some(x.1 - y.1),
                (false, false) if x.1 == y.1 => Some(0.0),
                _ => None,
            })
            .collect()
    }
}

/// A difference with its sign and half-width: `+2.1ms ± 0.4ms`, `-0.00029 ± 0.00050`,
/// `+149 ± 35`; no half-width where it is none (a difference the same in every seed).
fn signed(d: &Interval, metric: Option<Metric>) -> String {
    let sign = if d.mean < 0.0 { "-" } else { "+" };
    let half = if d.half_width.is_finite() { d.half_width } else { 0.0 };
    let (mean, half) = if metric.is_some_and(Metric::is_time) {
        (model::results::fmt_secs(d.mean.abs()), model::results::fmt_secs(half))
    } else {
        // Two significant digits of the smaller of the two that is not zero, for both: the
        // differences of ratios are often far below the three decimals their values get.
        let smallest = [d.mean.abs(), half]
            .into_iter()
            .filter(|&v| v > 0.0)
            .fold(f64::INFINITY, f64::min);
        let decimals = if smallest.is_finite() {
            (1 - smallest.log10().floor() as i32).clamp(0, 9) as usize
        } else {
            0
        };
        (format!("{:.decimals$}", d.mean.abs()), format!("{half:.decimals$}"))
    };
    // A half-width that shows as zero is left out (`± 0.000` read as a measured none).
    if half.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("{sign}{mean} ± {half}")
    } else {
        format!("{sign}{mean}")
    }
}

/// Seeds that must differ for a sign test of `<=`/`>=` between two labels: all six agreeing
/// happens by chance with probability 2^-6 (1.6%) when the two are alike, under the module's
/// one-sided 2.5%.
const SIGN_TEST_SEEDS: usize = 6;

/// Two different values with the fewest decimals that tell them apart, trailing zeros dropped:
/// 3.276799 and 3.2800000000000002 (a bound of 3.28s read in) are 3.277 and 3.28, not all of
/// their floating-point digits.
fn apart(a: f64, b: f64) -> (String, String) {
    // A value's shortest exact form when it has no more decimals than `d`, else it rounded.
    let at = |v: f64, d: usize| {
        let exact = v.to_string();
        match exact.split_once('.') {
            Some((_, decimals)) if decimals.len() > d => {
                let s = format!("{v:.d$}");
                match s.contains('.') {
                    true => s.trim_end_matches('0').trim_end_matches('.').to_string(),
                    false => s,
                }
            }
            _ => exact,
        }
    };
    (0..=17)
        .find(|&d| format!("{a:.d$}") != format!("{b:.d$}"))
        .map(|d| (at(a, d), at(b, d)))
        .unwrap_or_else(|| (a.to_string(), b.to_string()))
}

/// A recovery over seeds of which some recovered and some never did: its mean is infinite,
/// yet the seeds that recovered say it may be short. Its interval runs from the low end of
/// theirs to infinity, so neither `recovery > 10s` nor `recovery < 30s` holds beyond it unless
/// the recovered seeds alone decide it (an infinite mean with no spread once let one `never`
/// in five seeds pass `recovery > 10s` over four recoveries in 0 s).
#[derive(Clone, Debug)]
struct Mixed {
    recovered: Interval,
    never: usize,
    seeds: usize,
}

impl Mixed {
    fn of(runs: &[model::results::Results], f: &Figure) -> Option<Mixed> {
        let xs: Vec<f64> = runs.iter().filter_map(|r| crate::entry::measured(r, f)).collect();
        let finite: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        let never = xs.iter().filter(|x| x.is_infinite()).count();
        (never > 0 && !finite.is_empty()).then(|| Mixed {
            recovered: Interval::of(&finite),
            never,
            seeds: xs.len(),
        })
    }

    fn ends(&self) -> (f64, f64) {
        let r = &self.recovered;
        let low = if r.half_width.is_finite() {
            r.mean - r.half_width
        } else {
            r.mean
        };
        (low, f64::INFINITY)
    }

    /// "0s, never in 1 of 5 seeds".
    fn show(&self, metric: Option<Metric>) -> String {
        format!(
            "{}, never in {} of {} seeds",
            show(&self.recovered, metric),
            self.never,
            self.seeds
        )
    }
}

/// A figure as a reader wants it: times with units, `± half-width` with replications, and
/// "never" for a recovery that did not happen.
pub fn show(i: &Interval, metric: Option<Metric>) -> String {
    let is_time = metric.is_some_and(Metric::is_time);
    let one = |v: f64| {
        if v.is_infinite() {
            if metric == Some(Metric::Recovery) {
                "never".to_string()
            } else {
                "inf".to_string()
            }
        } else if v.is_nan() {
            "-".to_string()
        } else if is_time {
            model::results::fmt_secs(v)
        } else if matches!(
            metric,
            Some(Metric::GoodputRatio | Metric::WastedRatio | Metric::Amplification)
        ) {
            format!("{v:.3}")
        } else if metric == Some(Metric::Goodput) {
            // A rate, with its unit: `37.185 >= 0.800` read like a ratio beside tables of them.
            format!("{v:.*}/s", count_decimals(i.mean, i.n > 1 && i.half_width > 0.0))
        } else {
            format!("{v:.*}", count_decimals(i.mean, i.n > 1 && i.half_width > 0.0))
        }
    };
    // A time's half-width below what fmt_secs shows (a microsecond) would read `± 0us`.
    let shown = if is_time { 5e-7 } else { 0.0 };
    if i.n > 1 && i.half_width.is_finite() && i.half_width > shown {
        // Every figure is at least 0 (amplification 1), and a ratio at most 1: a t-interval reaching past either
        // (few seeds, one far off: recoveries of 0 and 1 s) is shown as the range it can be,
        // not as `200ms ± 555ms`.
        let ceiling = if matches!(metric, Some(Metric::GoodputRatio | Metric::WastedRatio)) {
            1.0
        } else {
            f64::INFINITY
        };
        // Attempts per intent are at least 1: `1.983 ± 1.929` read as possibly fewer.
        let floor = if metric == Some(Metric::Amplification) {
            model::interval::amplification_floor(i.mean)
        } else {
            0.0
        };
        let (lo, hi) = (i.mean - i.half_width, i.mean + i.half_width);
        if lo < floor || hi > ceiling {
            return format!(
                "{} (95% CI {} to {})",
                one(i.mean),
                one(lo.max(floor)),
                one(hi.min(ceiling))
            );
        }
        // A count's half-width takes the mean's decimals: `950.7 ± 95.5`, not `± 95.488`. A
        // ratio's (three decimals) keeps two significant digits where three decimals would
        // read as no spread (`0.999 ± 0.000` for ± 0.00027).
        let ratio = matches!(
            metric,
            Some(Metric::GoodputRatio | Metric::WastedRatio | Metric::Amplification)
        );
        let half = if ratio && i.half_width < 0.0005 {
            let decimals = (1 - i.half_width.log10().floor() as i32).clamp(3, 12) as usize;
            format!("{:.decimals$}", i.half_width)
        } else {
            one(i.half_width)
        };
        format!("{} ± {half}", one(i.mean))
    } else {
        one(i.mean)
    }
}

/// Decimals for a count or other plain figure: none when whole, one from 100 up, else three. A
/// mean over seeds that differ keeps its decimals even when it happens to be whole, so a column
/// of means reads alike (`33306.0 ± 563.8` beside `32804.4 ± 377.7`, not `33306 ± 564`).
fn count_decimals(v: f64, mean_of_several: bool) -> usize {
    if !mean_of_several && v.fract() == 0.0 && v.abs() < 1e15 {
        0
    } else if v.abs() >= 100.0 {
        1
    } else {
        3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Vec<String> {
        ["fifo", "deadline", "adaptive", "adaptive-lifo"]
            .map(String::from)
            .to_vec()
    }

    /// Two values that round alike are given in full, so a failure never reads `0.253 >= 0.253`.
    #[test]
    fn values_that_round_alike_are_given_in_full() {
        let e = parse("fifo.goodput_ratio >= 0.2532", &labels()).unwrap();
        let mut r = crate::fixture::blank();
        r.summary.whole.offered = 100;
        r.summary.whole.goodput_ratio = 0.253_191_7;
        let c = e.check(&[Entry::new("fifo", vec![r])]).unwrap();
        assert!(!c.passed);
        assert_eq!(
            c.detail,
            "measured 0.253 (bound 0.253) (more precisely 0.25319 and 0.2532)"
        );
    }

    /// Goodput is a rate: an expectation on it is refused with a bound that reads as a ratio,
    /// and its figures are printed with their unit (`37.185 >= 0.800` read as ratios, and held
    /// on a run at 25% goodput).
    #[test]
    fn goodput_expectations_read_as_rates() {
        let e = parse("fifo.goodput >= 0.8", &labels()).unwrap_err();
        assert!(
            e.contains("goodput is a rate") && e.contains("`fifo.goodput_ratio >= 0.8`"),
            "{e}"
        );
        let e = parse("fifo.goodput >= 0.8/s", &labels()).unwrap();
        let mut r = crate::fixture::blank();
        r.summary.whole.offered = 100;
        r.summary.whole.goodput = 37.185;
        let c = e.check(&[Entry::new("fifo", vec![r])]).unwrap();
        assert!(c.passed);
        assert_eq!(c.detail, "37.185/s >= 0.800/s");
    }

    /// A bound read in as 3.2800000000000002 and a p99 of 3.276799 that both show as 3.28s are
    /// told apart with the fewest digits that do it, not with floating-point noise.
    #[test]
    fn values_that_round_alike_are_told_apart_without_float_noise() {
        let e = parse("fifo.p99 < 3.28s", &labels()).unwrap();
        let mut r = crate::fixture::blank();
        r.summary.whole.offered = 100;
        r.summary.whole.successes = 100;
        r.summary.whole.latency.count = 100;
        r.summary.whole.latency.p99 = 3.276_799;
        let c = e.check(&[Entry::new("fifo", vec![r])]).unwrap();
        assert!(c.passed);
        assert_eq!(c.detail, "3.28s < 3.28s (more precisely 3.277 and 3.28)");
        assert_eq!(apart(1.0, 2.0), ("1".into(), "2".into()));
        assert_eq!(apart(0.1 + 0.2, 0.3), ("0.30000000000000004".into(), "0.3".into()));
    }

    /// A run none of whose intents succeeded has no latency (one of failures alone would let
    /// `p99 < 10s` hold on a run with no goodput), and the failure says why, not that nothing
    /// was offered; a run offered nothing says that.
    #[test]
    fn a_latency_of_a_run_where_nothing_succeeded_is_none_and_says_so() {
        let e = parse("fifo.p99 < 10s", &labels()).unwrap();
        let mut r = crate::fixture::blank();
        r.summary.whole.offered = 100;
        r.summary.whole.latency.count = 100;
        r.summary.whole.latency.p99 = 2.1;
        let c = e.check(&[Entry::new("fifo", vec![r.clone()])]).unwrap();
        assert!(!c.passed, "{}", c.detail);
        assert!(
            c.detail
                .ends_with("nothing measured (nothing succeeded: a latency of failures alone is none)"),
            "{}",
            c.detail
        );
        r.summary.whole.offered = 0;
        let c = e.check(&[Entry::new("fifo", vec![r.clone()])]).unwrap();
        assert!(
            c.detail.ends_with("nothing measured (nothing was offered)"),
            "{}",
            c.detail
        );
        r.summary.whole.offered = 100;
        r.summary.whole.successes = 1;
        assert!(e.check(&[Entry::new("fifo", vec![r])]).unwrap().passed);
    }

    /// A count and its half-width share decimals, so the two read as one figure; a ratio's
    /// small half-width keeps its digits.
    #[test]
    fn a_count_interval_shows_its_half_width_with_the_means_decimals() {
        let iv = |mean, half_width| Interval { mean, half_width, n: 3 };
        assert_eq!(show(&iv(0.999, 0.00027), Some(Metric::GoodputRatio)), "0.999 ± 0.00027");
        assert_eq!(show(&iv(0.9, 0.0123), Some(Metric::GoodputRatio)), "0.900 ± 0.012");
        assert_eq!(show(&iv(950.667, 95.488), Some(Metric::Timeouts)), "950.7 ± 95.5");
        assert_eq!(show(&iv(12.5, 1.25), Some(Metric::Shed)), "12.500 ± 1.250");
        // A whole mean among fractional ones keeps the column's decimals.
        assert_eq!(show(&iv(1000.0, 12.3), Some(Metric::Offered)), "1000.0 ± 12.3");
        assert_eq!(show(&iv(1000.0, 0.0), Some(Metric::Offered)), "1000");
        assert_eq!(show(&iv(3.28, 1e-9), Some(Metric::P99)), "3.28s", "no `± 0us`");
        // An interval past what the figure can be (below 0, a ratio above 1) is clipped.
        assert_eq!(
            show(&iv(0.2, 0.555), Some(Metric::Recovery)),
            "200.0ms (95% CI 0s to 755.0ms)"
        );
        assert_eq!(
            show(&iv(1.5, 2.0), Some(Metric::Timeouts)),
            "1.500 (95% CI 0.000 to 3.500)"
        );
        assert_eq!(
            show(&iv(0.99, 0.02), Some(Metric::GoodputRatio)),
            "0.990 (95% CI 0.970 to 1.000)"
        );
        assert_eq!(show(&iv(0.5, 0.2), Some(Metric::GoodputRatio)), "0.500 ± 0.200");
        // Amplification (attempts per intent) is at least 1: clipped there, not at 0.
        assert_eq!(
            show(&iv(1.9827, 1.9289), Some(Metric::Amplification)),
            "1.983 (95% CI 1.000 to 3.912)"
        );
        assert_eq!(show(&iv(1.5, 0.2), Some(Metric::Amplification)), "1.500 ± 0.200");
    }

    #[test]
    fn parses_run_against_bound_and_run_against_run() {
        let e = parse("deadline.goodput_ratio >= 0.9", &labels()).unwrap();
        assert_eq!(
            e.lhs,
            Operand::Run {
                label: "deadline".into(),
                figure: Figure::whole(Metric::GoodputRatio)
            }
        );
        assert_eq!(e.rhs, Operand::Value(0.9));
        let e = parse("deadline.p99 < fifo.p99", &labels()).unwrap();
        assert!(
            matches!(e.rhs, Operand::Run { ref label, figure: Figure { scope: Scope::Whole, metric: Metric::P99 } } if label == "fifo")
        );
        let e = parse("adaptive-lifo.p99 < 2s", &labels()).unwrap();
        assert!(matches!(e.lhs, Operand::Run { ref label, .. } if label == "adaptive-lifo"));
        assert_eq!(e.rhs, Operand::Value(2.0));
        let e = parse("0.5 < fifo.goodput_ratio", &labels()).unwrap();
        assert_eq!(e.lhs, Operand::Value(0.5));
    }

    #[test]
    fn names_a_class_of_a_run() {
        let e = parse("adaptive-lifo.interactive.p99 < fifo.interactive.p99", &labels()).unwrap();
        let want = |label: &str| Operand::Run {
            label: label.into(),
            figure: Figure::class(model::scenario::Priority::Interactive, Metric::P99),
        };
        assert_eq!((e.lhs, e.rhs), (want("adaptive-lifo"), want("fifo")));
        let e = parse("fifo.background.shed > 10", &labels()).unwrap();
        assert_eq!(e.rhs, Operand::Value(10.0));
        let err = parse("fifo.background.wasted < 1s", &labels()).unwrap_err();
        assert!(err.contains("not per priority class"), "{err}");
    }

    #[test]
    fn bad_expectations_say_what_is_wrong() {
        let err = parse("lifo.p99 < 2s", &labels()).unwrap_err();
        assert!(err.contains("neither side names a run"), "{err}");
        assert!(err.contains("fifo, deadline"), "{err}");
        assert!(parse("fifo.latency < 2s", &labels())
            .unwrap_err()
            .contains("unknown metric"));
        assert!(parse("fifo.p99 < 2", &labels()).unwrap_err().contains("unit"));
        assert!(parse("fifo.p99 2s", &labels()).unwrap_err().contains("op"));
        assert!(parse("fifo.p99 < lifo.p99", &labels())
            .unwrap_err()
            .contains("not a run label"));
        // Bounds that decide nothing are refused as thresholds refuse them, on either side.
        for (t, says) in [
            ("deadline.shed < 0", "`deadline.shed < 0` could never be met"),
            ("0 > deadline.p99", "`deadline.p99 < 0` could never be met"),
            ("deadline.p99 < 0s", "could never be met"),
            ("deadline.goodput_ratio <= 1.5", "always holds"),
            ("1.5 > deadline.goodput_ratio", "always holds"),
            ("deadline.goodput_ratio >= 150%", "could never be met"),
            ("deadline.timeouts > -1", "is never negative"),
        ] {
            let err = parse(t, &labels()).unwrap_err();
            assert!(err.contains(says), "{t}: {err}");
        }
        assert!(parse("0 < deadline.shed", &labels()).is_ok());
        assert!(parse("1 >= deadline.goodput_ratio", &labels()).is_ok());
    }

    /// A blank run that offered something and was judged (a run of nothing has no figures to
    /// compare, and no verdict).
    fn offered() -> model::results::Results {
        let mut r = crate::fixture::blank();
        r.summary.whole.offered = 100;
        r.summary.whole.verdict = Some(model::results::Verdict::Stable);
        r
    }

    fn entry(label: &str, goodputs: &[f64]) -> Entry {
        let runs = goodputs
            .iter()
            .map(|g| {
                let mut r = crate::fixture::blank();
                r.summary.whole.offered = 100;
                r.summary.whole.goodput_ratio = *g;
                r
            })
            .collect();
        Entry::new(label, runs)
    }

    #[test]
    fn single_runs_compare_plainly() {
        let es = [entry("fifo", &[0.4]), entry("deadline", &[0.95])];
        let e = parse("deadline.goodput_ratio > fifo.goodput_ratio", &labels()).unwrap();
        let c = e.check(&es).unwrap();
        assert!(c.passed, "{c:?}");
        let e = parse("fifo.goodput_ratio >= 0.9", &labels()).unwrap();
        assert!(!e.check(&es).unwrap().passed);
    }

    /// A failure on a run whose load generator fell behind its schedule by a tenth of the
    /// clients' timeout (or left arrivals unsent) is inconclusive; a failure on runs it kept up
    /// with, or fell behind by a few milliseconds, is not; a lagging run does not make a holding
    /// expectation doubtful.
    #[test]
    fn a_failure_on_a_run_the_generator_fell_behind_in_is_inconclusive() {
        // The generator's health in every run of `e`: send lateness p99 (s), arrivals unsent.
        let health = |lateness_p99_s: f64, unsent: u64| {
            move |mut e: Entry| {
                for r in &mut e.runs {
                    r.generator = Some(model::results::GeneratorHealth {
                        lateness_p99_s,
                        unsent,
                        lagging: lateness_p99_s > 0.001 || unsent > 0,
                        ..Default::default()
                    });
                }
                e
            }
        };
        let (behind, kept_up) = (health(0.8, 0), health(0.0005, 0));
        let fails = parse("deadline.goodput_ratio > fifo.goodput_ratio", &labels()).unwrap();
        let holds = parse("fifo.goodput_ratio > deadline.goodput_ratio", &labels()).unwrap();
        // Behind by 20 ms against the fixture's 1 s timeout: a caution, not a doubt; arrivals
        // left unsent are a doubt however small the lateness.
        let es = [
            health(0.02, 0)(entry("fifo", &[0.9])),
            kept_up(entry("deadline", &[0.5])),
        ];
        assert!(es[0].lagging());
        let c = fails.check(&es).unwrap();
        assert!(!c.inconclusive && c.word() == "FAILS", "{c:?}");
        let es = [
            health(0.02, 3)(entry("fifo", &[0.9])),
            kept_up(entry("deadline", &[0.5])),
        ];
        assert!(fails.check(&es).unwrap().inconclusive);
        // Lateness is real time, the timeout scenario time: 20 ms real at 10x is 200 ms of the
        // scenario, a fifth of the 1 s timeout.
        let mut compressed = health(0.02, 0)(entry("fifo", &[0.9]));
        compressed.runs.iter_mut().for_each(|r| r.time_scale = 10.0);
        let es = [compressed, kept_up(entry("deadline", &[0.5]))];
        assert!(fails.check(&es).unwrap().inconclusive);

        let es = [behind(entry("fifo", &[0.9])), kept_up(entry("deadline", &[0.5]))];
        let c = fails.check(&es).unwrap();
        assert!(!c.passed && c.inconclusive && c.word() == "INCONCLUSIVE", "{c:?}");
        assert!(c.detail.contains("fell behind its schedule in `fifo`"), "{}", c.detail);
        assert!(!c.detail.contains("`deadline`"), "{}", c.detail);
        let c = holds.check(&es).unwrap();
        assert!(c.passed && !c.inconclusive && c.word() == "HOLDS", "{c:?}");

        let es = [kept_up(entry("fifo", &[0.9])), kept_up(entry("deadline", &[0.5]))];
        let c = fails.check(&es).unwrap();
        assert!(!c.passed && !c.inconclusive && c.word() == "FAILS", "{c:?}");
        assert!(!c.detail.contains("inconclusive"), "{}", c.detail);

        // Against a bound, the one run it names decides; another run's lag does not count.
        let bound = parse("deadline.goodput_ratio >= 0.9", &labels()).unwrap();
        let es = [behind(entry("fifo", &[0.9])), kept_up(entry("deadline", &[0.5]))];
        assert!(!bound.check(&es).unwrap().inconclusive);
        let es = [kept_up(entry("fifo", &[0.9])), behind(entry("deadline", &[0.5]))];
        assert!(bound.check(&es).unwrap().inconclusive);
    }

    #[test]
    fn with_replications_a_difference_inside_the_noise_does_not_hold() {
        // Means 0.50 vs 0.52, but each spread over +-0.1: the intervals overlap.
        let es = [
            entry("fifo", &[0.4, 0.6, 0.5, 0.45, 0.55]),
            entry("deadline", &[0.42, 0.62, 0.52, 0.47, 0.57]),
        ];
        let e = parse("deadline.goodput_ratio > fifo.goodput_ratio", &labels()).unwrap();
        let c = e.check(&es).unwrap();
        assert!(!c.passed, "{c:?}");
        assert!(c.detail.contains('±'), "{}", c.detail);
        assert!(c.detail.contains("more replications"), "{}", c.detail);
        // A failure inside the dice's noise is still a failure, not the generator's doubt.
        assert!(!c.inconclusive && c.word() == "FAILS", "{c:?}");
        // The means themselves failing is a plain failure.
        let lower = parse("deadline.goodput_ratio < fifo.goodput_ratio", &labels()).unwrap();
        assert!(!lower.check(&es).unwrap().detail.contains("more replications"));
        // Far apart: holds.
        let es = [
            entry("fifo", &[0.40, 0.41, 0.39, 0.40]),
            entry("deadline", &[0.90, 0.91, 0.89, 0.90]),
        ];
        assert!(e.check(&es).unwrap().passed);
    }

    /// `entry`, its runs of seeds `first`, `first + 1`, ...
    fn seeded(label: &str, first: u64, goodputs: &[f64]) -> Entry {
        let mut e = entry(label, goodputs);
        for (i, r) in e.runs.iter_mut().enumerate() {
            r.seed = first + i as u64;
        }
        e
    }

    /// Two labels of the same seeds are compared seed by seed: runs alike in every seed hold
    /// `<=` and `>=` (their intervals overlap, which failed both) and fail `<` and `>`; a
    /// difference the same in every seed holds beyond noise the seeds share; a difference that
    /// changes sign from seed to seed does not.
    #[test]
    fn labels_of_the_same_seeds_are_compared_seed_by_seed() {
        let spread = [0.4, 0.6, 0.5, 0.45, 0.55];
        let check = |es: &[Entry], text: &str| parse(text, &labels()).unwrap().check(es).unwrap();
        let alike = [seeded("fifo", 1, &spread), seeded("deadline", 1, &spread)];
        for text in [
            "fifo.goodput_ratio <= deadline.goodput_ratio",
            "fifo.goodput_ratio >= deadline.goodput_ratio",
        ] {
            let c = check(&alike, text);
            assert!(c.passed, "{text}: {c:?}");
            assert!(
                c.detail.ends_with("(seed by seed: the same in every seed)"),
                "{}",
                c.detail
            );
        }
        for text in [
            "fifo.goodput_ratio < deadline.goodput_ratio",
            "fifo.goodput_ratio > deadline.goodput_ratio",
        ] {
            assert!(!check(&alike, text).passed, "{text}");
        }
        // Equality is unchanged: the intervals overlap.
        assert!(check(&alike, "fifo.goodput_ratio == deadline.goodput_ratio").passed);

        // 0.02 better in every seed, inside each label's own spread of +-0.1.
        let better: Vec<f64> = spread.iter().map(|g| g + 0.02).collect();
        let es = [seeded("fifo", 1, &spread), seeded("deadline", 1, &better)];
        let c = check(&es, "deadline.goodput_ratio > fifo.goodput_ratio");
        assert!(c.passed, "{c:?}");
        assert!(c.detail.ends_with("(seed by seed: difference +0.020)"), "{}", c.detail);
        assert!(!check(&es, "deadline.goodput_ratio <= fifo.goodput_ratio").passed);
        // The same figures from different seeds share no luck: their intervals decide, and
        // they overlap.
        let es = [seeded("fifo", 1, &spread), seeded("deadline", 6, &better)];
        let c = check(&es, "deadline.goodput_ratio > fifo.goodput_ratio");
        assert!(!c.passed && !c.detail.contains("seed by seed"), "{c:?}");

        // Better on average, worse in two seeds: not beyond the differences' interval.
        let mixed = [0.5, 0.52, 0.62, 0.43, 0.58];
        let es = [seeded("fifo", 1, &spread), seeded("deadline", 1, &mixed)];
        let c = check(&es, "deadline.goodput_ratio > fifo.goodput_ratio");
        assert!(!c.passed, "{c:?}");
        assert!(
            c.detail.contains("(seed by seed: the difference is +0.030 ± ")
                && c.detail
                    .contains("the means hold but not beyond its 95% confidence interval"),
            "{}",
            c.detail
        );
        // Seed by seed, `==` holds while the differences' interval holds 0: not beside a `>`
        // that holds (both held when `==` compared the labels' overlapping intervals).
        let es = [seeded("fifo", 1, &spread), seeded("deadline", 1, &better)];
        assert!(!check(&es, "deadline.goodput_ratio == fifo.goodput_ratio").passed);
        let es = [seeded("fifo", 1, &spread), seeded("deadline", 1, &mixed)];
        assert!(check(&es, "deadline.goodput_ratio == fifo.goodput_ratio").passed);

        // At least as good in every seed that differs, six of them: `>=` holds by the sign test
        // (all six agreeing by chance: 1.6%), though a t-interval of the differences (0 in two
        // seeds, one far off) reaches below zero; `>` does not.
        let fifo = [1.0; 8];
        let dl = [1.0, 0.999, 0.999, 1.0, 0.999, 0.999, 0.999, 0.95];
        let es = [seeded("fifo", 1, &fifo), seeded("deadline", 1, &dl)];
        let c = check(&es, "fifo.goodput_ratio >= deadline.goodput_ratio");
        assert!(c.passed, "{c:?}");
        assert!(
            c.detail.contains("at least as good in each of the 6 seeds that differ"),
            "{}",
            c.detail
        );
        assert!(check(&es, "deadline.goodput_ratio <= fifo.goodput_ratio").passed);
        assert!(!check(&es, "fifo.goodput_ratio > deadline.goodput_ratio").passed);
        assert!(!check(&es, "fifo.goodput_ratio <= deadline.goodput_ratio").passed);
        // With two seeds that differ, agreeing is a coin tossed twice (25%): the t-interval
        // decides alone, and one far-off seed keeps it from holding.
        let es = [
            seeded("fifo", 1, &[1.0, 1.0, 1.0, 1.0, 1.0]),
            seeded("deadline", 1, &[1.0, 0.999, 1.0, 1.0, 0.9]),
        ];
        let c = check(&es, "fifo.goodput_ratio >= deadline.goodput_ratio");
        assert!(!c.passed, "{c:?}");
        assert!(
            c.detail.contains("(seed by seed: the difference is +0.020 ± 0.055)"),
            "{}",
            c.detail
        );

        // `never` in the same seeds on both sides is a tie: runs alike in every seed, some of
        // which never recovered, hold `<=` and `>=` (they failed both, "more replications may
        // decide it").
        let recovering = |label: &str, recoveries: &[Option<f64>]| {
            let mut e = seeded(label, 1, &vec![0.9; recoveries.len()]);
            for (r, rec) in e.runs.iter_mut().zip(recoveries) {
                r.summary.whole.verdict = Some(if rec.is_some() {
                    model::results::Verdict::Recovered
                } else {
                    model::results::Verdict::Metastable
                });
                r.summary.whole.recovery_s = *rec;
            }
            e
        };
        let seeds = [Some(4.0), None, Some(9.0), None, Some(2.0)];
        let es = [recovering("fifo", &seeds), recovering("deadline", &seeds)];
        for text in [
            "fifo.recovery <= deadline.recovery",
            "fifo.recovery >= deadline.recovery",
        ] {
            let c = check(&es, text);
            assert!(
                c.passed && c.detail.ends_with("(seed by seed: the same in every seed)"),
                "{text}: {c:?}"
            );
        }
        assert!(!check(&es, "fifo.recovery < deadline.recovery").passed);
        // `never` against a time in one seed: no seed-by-seed difference, the labels decide.
        let other = [Some(4.0), Some(30.0), Some(9.0), None, Some(2.0)];
        let es = [recovering("fifo", &seeds), recovering("deadline", &other)];
        let c = check(&es, "deadline.recovery <= fifo.recovery");
        assert!(!c.detail.contains("seed by seed"), "{c:?}");
        // One run a label is no interval: the values decide, as without replications.
        let es = [seeded("fifo", 1, &[0.5]), seeded("deadline", 1, &[0.5])];
        let c = check(&es, "fifo.goodput_ratio <= deadline.goodput_ratio");
        assert!(c.passed && !c.detail.contains("seed by seed"), "{c:?}");
    }

    /// A time against a ratio used to be compared as numbers ("HOLDS (26.8ms < 1.00s)").
    #[test]
    fn a_time_against_a_ratio_is_an_error() {
        let e = parse("deadline.p99 < fifo.goodput_ratio", &labels()).unwrap_err();
        assert!(e.contains("one is a time"), "{e}");
        assert!(parse("deadline.p99 < fifo.p50", &labels()).is_ok());
    }

    #[test]
    fn never_recovering_loses_to_recovering() {
        let mut fifo = offered();
        (fifo.summary.whole.verdict, fifo.summary.whole.recovery_s) = (Some(model::results::Verdict::Metastable), None);
        let mut dl = offered();
        dl.summary.whole.recovery_s = Some(4.0);
        let es = [Entry::new("fifo", vec![fifo]), Entry::new("deadline", vec![dl])];
        let e = parse("deadline.recovery < fifo.recovery", &labels()).unwrap();
        let c = e.check(&es).unwrap();
        assert!(c.passed, "{c:?}");
        assert!(c.detail.contains("never"), "{}", c.detail);
        let e = parse("fifo.recovery <= 30s", &labels()).unwrap();
        assert!(!e.check(&es).unwrap().passed);
        // "never" equals no time, and equals itself (`never == 0s` once held: the equality's
        // relative tolerance was infinite next to an infinity).
        let eq = |text: &str| parse(text, &labels()).unwrap().check(&es).unwrap().passed;
        assert!(!eq("fifo.recovery == 0s"));
        assert!(!eq("fifo.recovery == 5s"));
        assert!(!eq("deadline.recovery == fifo.recovery"));
        assert!(eq("fifo.recovery == fifo.recovery"));
        assert!(eq("deadline.recovery == 4s"));
    }

    /// Replications of which some recovered and some never did: the seeds that recovered keep
    /// a bound above them from holding (one `never` in five once made the mean infinite, with
    /// no spread, and `recovery > 10s` held over four recoveries in 0 s); all never recovering
    /// still holds it.
    #[test]
    fn some_seeds_never_recovering_is_no_infinite_recovery() {
        let seed = |recovery: Option<f64>| {
            let mut r = offered();
            r.summary.whole.recovery_s = recovery;
            if recovery.is_none() {
                r.summary.whole.verdict = Some(model::results::Verdict::Metastable);
            }
            r
        };
        let mixed: Vec<_> = [Some(0.0), Some(0.0), None, Some(0.0), Some(0.0)]
            .into_iter()
            .map(seed)
            .collect();
        let never: Vec<_> = (0..5).map(|_| seed(None)).collect();
        let quick: Vec<_> = (0..5).map(|_| seed(Some(1.0))).collect();
        let es = [
            Entry::new("fifo", mixed),
            Entry::new("deadline", quick),
            Entry::new("adaptive", never),
        ];
        let check = |text: &str| parse(text, &labels()).unwrap().check(&es).unwrap();
        let c = check("fifo.recovery > 10s");
        assert!(!c.passed, "{c:?}");
        assert!(c.detail.contains("0s, never in 1 of 5 seeds"), "{}", c.detail);
        // The shown mean (0s) is below the bound: "the means hold" would contradict it.
        assert!(!c.detail.contains("the means hold"), "{}", c.detail);
        assert!(
            c.detail.contains("some seeds recovered and some never did"),
            "{}",
            c.detail
        );
        assert!(!check("fifo.recovery < 10s").passed, "one seed never recovered");
        assert!(
            !check("deadline.recovery < fifo.recovery").passed,
            "fifo recovered at once in 4"
        );
        assert!(check("adaptive.recovery > 10s").passed, "every seed never recovered");
        assert!(check("deadline.recovery < adaptive.recovery").passed);
    }

    /// A run cut short before recovery could be judged is not "never recovered": no bound
    /// holds on it either way (`> 60s` held on "never" before), and the detail says why.
    #[test]
    fn a_run_not_judged_has_no_recovery_to_compare() {
        let mut cut = offered();
        (cut.summary.whole.verdict, cut.summary.whole.recovery_s) = (None, None);
        let mut dl = offered();
        dl.summary.whole.recovery_s = Some(4.0);
        let es = [Entry::new("fifo", vec![cut]), Entry::new("deadline", vec![dl])];
        for text in [
            "fifo.recovery > 60s",
            "fifo.recovery < 60s",
            "deadline.recovery < fifo.recovery",
        ] {
            let c = parse(text, &labels()).unwrap().check(&es).unwrap();
            assert!(!c.passed, "{text}: {c:?}");
            assert!(c.detail.contains("not judged"), "{text}: {}", c.detail);
        }
    }

    /// A class figure of a run that kept none is an error, not a vacuous pass or fail.
    #[test]
    fn a_class_of_a_run_without_classes_is_an_error() {
        let e = parse("fifo.interactive.shed == 0", &labels()).unwrap();
        let err = e.check(&[entry("fifo", &[0.9])]).unwrap_err();
        assert!(err.contains("keeps no per-class figures"), "{err}");
    }

    /// Likewise a service figure of a run with one service, or of a service it does not have.
    /// `service[*]` compares each run's worst service (by the metric's direction), and the
    /// line names it; a run without per-service figures is an error, as for a named service.
    #[test]
    fn every_service_compares_the_worst_one() {
        let run = |a: f64, b: f64| {
            let mut r = offered();
            for (name, ratio) in [("accounts", a), ("billing", b)] {
                let g = model::results::GroupSummary {
                    offered: 50,
                    goodput_ratio: ratio,
                    ..Default::default()
                };
                r.summary.services.insert(name.into(), g);
            }
            r
        };
        // fifo's average is better, but its worst service does worse than deadline's.
        let entries = [
            Entry::new("fifo", vec![run(0.99, 0.40)]),
            Entry::new("deadline", vec![run(0.80, 0.85)]),
        ];
        let c = parse(
            "deadline.service[*].goodput_ratio > fifo.service[*].goodput_ratio",
            &labels(),
        )
        .unwrap()
        .check(&entries)
        .unwrap();
        assert!(c.passed, "{c:?}");
        assert!(c.detail.contains("0.800 > 0.400"), "{}", c.detail);
        assert!(
            c.detail
                .ends_with("; worst service accounts in deadline, billing in fifo"),
            "{}",
            c.detail
        );
        let c = parse("fifo.service[*].goodput_ratio >= 0.5", &labels())
            .unwrap()
            .check(&entries)
            .unwrap();
        assert!(!c.passed && c.detail.contains("; worst service billing"), "{c:?}");
        let err = parse("fifo.service[*].p99 < 2s", &labels())
            .unwrap()
            .check(&[entry("fifo", &[0.9])])
            .unwrap_err();
        assert!(err.contains("keeps no per-service figures"), "{err}");
        // A count picks a service by its load: refused as one figure.
        let err = parse("fifo.service[*].shed < deadline.service[*].shed", &labels()).unwrap_err();
        assert!(err.contains("by its load"), "{err}");
        // A recovery needs every service's verdict: the one without is named.
        let mut r = run(0.9, 0.9);
        r.summary.services.get_mut("accounts").unwrap().verdict = Some(model::results::Verdict::Recovered);
        let err = parse("fifo.service[*].recovery < 10s", &labels())
            .unwrap()
            .check(&[Entry::new("fifo", vec![r])])
            .unwrap_err();
        assert!(err.contains("gives service `billing` no verdict"), "{err}");
    }

    #[test]
    fn a_service_a_run_did_not_keep_is_an_error() {
        let e = parse("fifo.service[b].p99 < 2s", &labels()).unwrap();
        let err = e.check(&[entry("fifo", &[0.9])]).unwrap_err();
        assert!(err.contains("keeps no per-service figures"), "{err}");
        let mut r = offered();
        r.summary.services.insert("a".into(), Default::default());
        let err = e.check(&[Entry::new("fifo", vec![r.clone()])]).unwrap_err();
        assert!(err.contains("has no service `b`"), "{err}");

        // A group's recovery needs the group's verdict: without one, `>=` would pass on nothing.
        let e = parse("fifo.service[a].recovery >= 20s", &labels()).unwrap();
        let err = e.check(&[Entry::new("fifo", vec![r.clone()])]).unwrap_err();
        assert!(err.contains("no verdict"), "{err}");
        let a = r.summary.services.get_mut("a").unwrap();
        (a.offered, a.verdict, a.recovery_s) = (10, Some(model::results::Verdict::Metastable), None);
        let c = e.check(&[Entry::new("fifo", vec![r])]).unwrap();
        assert!(
            c.passed && c.detail.contains("never"),
            "judged and never recovered: {c:?}"
        );
    }

    #[test]
    fn an_unknown_run_is_an_error_not_a_failure() {
        let e = parse("adaptive.p99 < 2s", &labels()).unwrap();
        assert!(e
            .check(&[entry("fifo", &[0.1])])
            .unwrap_err()
            .contains("no run labelled"));
    }
}
