//! The figures of a results file, checked once it is parsed: reports, `compare` and `loadgen
//! merge` print, chart and add what a file says, so a figure no run can produce (a goodput
//! ratio of 1e308, a negative latency, windows out of order, a counter that makes the sums wrap)
//! is refused when the file is read, naming the field, rather than drawn as `inf%` or a
//! 309-digit axis label.

use super::{Counters, GroupCounters, GroupSummary, GroupWindow, Percentiles, Results, Summary};

/// A figure out of range: its field path (`windows[3].start_s`) and what is wrong with it.
#[derive(Debug)]
pub(crate) struct Bad {
    pub field: String,
    pub message: String,
}

type Checked = Result<(), Bad>;

fn bad(field: String, message: String) -> Bad {
    Bad { field, message }
}

/// Model time is u64 nanoseconds ([`crate::time::Time`]): no run reaches past 2^64 ns (584
/// years), so no time in its results does.
const MAX_TIME_S: f64 = u64::MAX as f64 / 1e9;
/// Latencies come from histograms of u64 microseconds.
const MAX_LATENCY_S: f64 = u64::MAX as f64 / 1e6;
/// Ratios are computed as a / b with a <= b; float rounding may pass 1 by a hair.
const RATIO_SLACK: f64 = 1e-9;
/// Window starts are `i * window_s`; a file written with fewer digits is off by a rounding.
const START_SLACK: f64 = 1e-6;
/// Longest name kept for labels (scenario, strategy, phase, service): a scenario name is at
/// most 128 characters and a file stem 255 bytes; one of a megabyte kept `report` drawing
/// charts for over a minute.
const MAX_LABEL_CHARS: usize = 256;

/// A number as an error shows it: 1e308 in full is 309 digits.
fn num(v: f64) -> String {
    if v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A float `field` that must be finite and within `min..=max`.
fn within(v: f64, min: f64, max: f64, field: impl FnOnce() -> String) -> Checked {
    if v.is_finite() && (min..=max).contains(&v) {
        return Ok(());
    }
    let expected = if max == f64::MAX {
        format!("a finite number >= {}", num(min))
    } else {
        format!("a number from {} to {}", num(min), num(max))
    };
    Err(bad(field(), format!("{}: expected {expected}", num(v))))
}

fn seconds(v: f64, field: impl FnOnce() -> String) -> Checked {
    if v.is_finite() && (0.0..=MAX_TIME_S).contains(&v) {
        return Ok(());
    }
    Err(bad(
        field(),
        format!(
            "{}: expected seconds from 0 to {MAX_TIME_S:.0} (model time ends at 2^64 ns, 584 years)",
            num(v)
        ),
    ))
}

fn ratio(v: f64, field: impl FnOnce() -> String) -> Checked {
    if v.is_finite() && (0.0..=1.0 + RATIO_SLACK).contains(&v) {
        return Ok(());
    }
    Err(bad(field(), format!("{}: expected a ratio from 0 to 1", num(v))))
}

/// A finite figure >= 0 with no natural bound (busy seconds, intents per second).
fn amount(v: f64, field: impl FnOnce() -> String) -> Checked {
    within(v, 0.0, f64::MAX, field)
}

fn label(s: &str, field: impl FnOnce() -> String) -> Checked {
    // `nth` stops early: a megabyte name costs no more than a short one.
    if s.chars().nth(MAX_LABEL_CHARS).is_none() {
        return Ok(());
    }
    Err(bad(
        field(),
        format!("a name of {} characters: at most {MAX_LABEL_CHARS}", s.chars().count()),
    ))
}

/// A map key in a field path: a key too long to be a label is cut, so the error is readable.
fn key(k: &str) -> String {
    match k.char_indices().nth(32) {
        Some((end, _)) => format!("{}...", &k[..end]),
        None => k.to_string(),
    }
}

fn finite(v: f64, field: impl FnOnce() -> String) -> Checked {
    if v.is_finite() {
        return Ok(());
    }
    Err(bad(field(), format!("{}: expected a finite number", num(v))))
}

/// Intents that ended (succeeded or finally failed) are among those offered, and retries
/// among the attempts: anything else makes a goodput ratio above 100%.
fn tallies(
    offered: u64,
    successes: u64,
    failures: u64,
    attempts: u64,
    retries: u64,
    at: &dyn Fn(&str) -> String,
) -> Checked {
    if successes.checked_add(failures).is_none_or(|ended| ended > offered) {
        return Err(bad(
            at("successes"),
            format!("{successes} successes and {failures} failures: more than the {offered} intents offered"),
        ));
    }
    if retries > attempts {
        return Err(bad(
            at("retries"),
            format!("{retries}: more than the {attempts} attempts"),
        ));
    }
    Ok(())
}

fn percentiles(p: &Percentiles, at: &str) -> Checked {
    let named = [
        ("mean", p.mean),
        ("p50", p.p50),
        ("p90", p.p90),
        ("p99", p.p99),
        ("p999", p.p999),
        ("max", p.max),
    ];
    for (name, v) in named {
        within(v, 0.0, MAX_LATENCY_S, || format!("{at}.{name}"))?;
    }
    // Quantiles of one histogram rise with the quantile, and none passes the maximum.
    let slack = |v: f64| v * (1.0 + RATIO_SLACK) + 1e-9;
    for pair in named[1..].windows(2) {
        let ((lo_name, lo), (hi_name, hi)) = (pair[0], pair[1]);
        if lo > slack(hi) {
            return Err(bad(
                format!("{at}.{lo_name}"),
                format!("{}: above {hi_name} ({})", num(lo), num(hi)),
            ));
        }
    }
    if p.mean > slack(p.max) {
        return Err(bad(
            format!("{at}.mean"),
            format!("{}: above max ({})", num(p.mean), num(p.max)),
        ));
    }
    Ok(())
}

fn group_counters(c: &GroupCounters, at: &dyn Fn(&str) -> String) -> Checked {
    tallies(c.intents, c.successes, c.failures, c.attempts, c.retries, at)
}

fn counters(c: &Counters, at: &dyn Fn(&str) -> String) -> Checked {
    group_counters(&c.requests, at)?;
    amount(c.backend_busy_s, || at("backend_busy_s"))?;
    amount(c.wasted_s, || at("wasted_s"))
}

fn group_window(g: &GroupWindow, at: impl Fn() -> String) -> Checked {
    if g.successes <= g.offered {
        return Ok(());
    }
    Err(bad(
        format!("{}.successes", at()),
        format!("{}: more than the {} intents offered", g.successes, g.offered),
    ))
}

fn group_summary(g: &GroupSummary, at: &str) -> Checked {
    let field = |f: &str| format!("{at}.{f}");
    tallies(g.offered, g.successes, g.failures, g.attempts, g.retries, &field)?;
    amount(g.goodput, || format!("{at}.goodput"))?;
    ratio(g.goodput_ratio, || format!("{at}.goodput_ratio"))?;
    amount(g.amplification, || format!("{at}.amplification"))?;
    percentiles(&g.latency, &format!("{at}.latency"))?;
    if let Some(r) = g.recovery_s {
        seconds(r, || format!("{at}.recovery_s"))?;
    }
    Ok(())
}

fn summary(s: &Summary) -> Checked {
    seconds(s.duration_s, || "summary.duration_s".into())?;
    group_summary(&s.whole, "summary")?;
    amount(s.backend_busy_s, || "summary.backend_busy_s".into())?;
    amount(s.wasted_s, || "summary.wasted_s".into())?;
    ratio(s.wasted_ratio, || "summary.wasted_ratio".into())?;
    percentiles(&s.attempt_latency, "summary.attempt_latency")?;
    percentiles(&s.queue_wait, "summary.queue_wait")?;
    if let Some(b) = s.baseline_goodput_ratio {
        ratio(b, || "summary.baseline_goodput_ratio".into())?;
    }
    for (k, g) in &s.classes {
        group_summary(g, &format!("summary.classes.{}", k.as_str()))?;
    }
    for (k, g) in &s.services {
        label(k, || format!("summary.services.{}", key(k)))?;
        group_summary(g, &format!("summary.services.{k}"))?;
    }
    Ok(())
}

/// Window `i` starts at `i * window_s` (the recorder and merge lay them out so); windows out of
/// order, all at 0 or at 1e308 put charts and verdicts on a time line no run had.
fn windows(r: &Results) -> Checked {
    let w_s = r.window_s;
    let mut sum = GroupCounters::default();
    for (i, w) in r.windows.iter().enumerate() {
        let at = |f: &str| format!("windows[{i}].{f}");
        let expected = i as f64 * w_s;
        if !(w.start_s.is_finite() && (w.start_s - expected).abs() <= START_SLACK * w_s) {
            return Err(bad(
                at("start_s"),
                format!(
                    "{}: expected {} (window {i} of {}s windows starts at {i} x window_s)",
                    num(w.start_s),
                    num(expected),
                    num(w_s)
                ),
            ));
        }
        seconds(w.start_s, || at("start_s"))?;
        counters(&w.counters, &|f| at(&format!("counters.{f}")))?;
        let g = &w.gauges;
        for (name, mean, max) in [
            ("queue_depth_mean", g.queue_depth_mean, g.queue_depth_max),
            ("in_flight_mean", g.in_flight_mean, g.in_flight_max),
        ] {
            // A mean of samples is at most their maximum.
            within(mean, 0.0, max as f64 * (1.0 + RATIO_SLACK), || {
                at(&format!("gauges.{name}"))
            })?;
        }
        for (k, g) in &w.classes {
            group_window(g, || at(&format!("classes.{}", k.as_str())))?;
        }
        for (k, g) in &w.services {
            label(k, || at(&format!("services.{}", key(k))))?;
            group_window(g, || at(&format!("services.{k}")))?;
        }
        sum = sum
            .checked_add(&w.counters.requests)
            .map_err(|f| bad(at(&format!("counters.{f}")), "the windows' sum passes 2^64 - 1".into()))?;
    }
    // The summary is computed from the windows: figures that disagree were edited, and a sum
    // that wraps would turn into a small, plausible figure in whatever adds them again.
    let s = &r.summary.whole;
    for (name, file, windows) in [
        ("offered", s.offered, sum.intents),
        ("attempts", s.attempts, sum.attempts),
        ("retries", s.retries, sum.retries),
        ("successes", s.successes, sum.successes),
        ("failures", s.failures, sum.failures),
        ("timeouts", s.timeouts, sum.timeouts),
        ("shed", s.shed, sum.shed),
        ("rate_limited", s.rate_limited, sum.rate_limited),
        ("expired", s.expired, sum.expired),
        ("errors", s.errors, sum.errors),
    ] {
        if file != windows {
            return Err(bad(
                format!("summary.{name}"),
                format!("{file}, but the windows add up to {windows}"),
            ));
        }
    }
    Ok(())
}

/// Checks the figures of a parsed results file; the first one out of range is the error.
/// The same checks for files that carry results figures without being results files (a
/// sweep table's points): each error reads `FIELD: VALUE: expected ...`.
pub mod figures {
    use super::{Bad, GroupSummary, MAX_LATENCY_S};

    fn text(r: Result<(), Bad>) -> Result<(), String> {
        r.map_err(|b| format!("{}: {}", b.field, b.message))
    }
    /// A ratio from 0 to 1 (a goodput ratio).
    pub fn ratio(v: f64, field: &str) -> Result<(), String> {
        text(super::ratio(v, || field.to_string()))
    }
    /// A latency in seconds.
    pub fn latency(v: f64, field: &str) -> Result<(), String> {
        text(super::within(v, 0.0, MAX_LATENCY_S, || field.to_string()))
    }
    /// A span of model time in seconds (a recovery time).
    pub fn seconds(v: f64, field: &str) -> Result<(), String> {
        text(super::seconds(v, || field.to_string()))
    }
    /// A finite figure >= 0 (goodput, amplification, wasted seconds).
    pub fn amount(v: f64, field: &str) -> Result<(), String> {
        text(super::amount(v, || field.to_string()))
    }
    /// A class's or a service's figures, as in a results file's summary.
    pub fn group(g: &GroupSummary, at: &str) -> Result<(), String> {
        text(super::group_summary(g, at))
    }
}

pub(crate) fn check(r: &Results) -> Checked {
    label(&r.scenario_name, || "scenario_name".into())?;
    label(&r.strategy, || "strategy".into())?;
    if !(r.time_scale.is_finite() && r.time_scale > 0.0) {
        return Err(bad(
            "time_scale".into(),
            format!("{}: expected a number > 0", num(r.time_scale)),
        ));
    }
    // Windows are whole nanoseconds of model time, at least one.
    within(r.window_s, 1e-9, MAX_TIME_S, || "window_s".into())?;
    if let Some((i, n)) = r.shard {
        if i >= n {
            return Err(bad(
                "shard".into(),
                format!("[{i}, {n}]: shard {i} of {n} does not exist"),
            ));
        }
    }
    if let Some(g) = &r.generator {
        within(g.lateness_p99_s, 0.0, MAX_LATENCY_S, || {
            "generator.lateness_p99_s".into()
        })?;
    }
    for (i, p) in r.phases.iter().enumerate() {
        let at = |f: &str| format!("phases[{i}].{f}");
        label(&p.name, || at("name"))?;
        seconds(p.start_s, || at("start_s"))?;
        seconds(p.end_s, || at("end_s"))?;
        if p.end_s < p.start_s {
            return Err(bad(
                at("end_s"),
                format!("{}: before the phase's start_s ({})", num(p.end_s), num(p.start_s)),
            ));
        }
        amount(p.rate_start, || at("rate_start"))?;
        amount(p.rate_end, || at("rate_end"))?;
    }
    summary(&r.summary)?;
    for (i, t) in r.thresholds.iter().enumerate() {
        if let Some(v) = t.value {
            finite(v, || format!("thresholds[{i}].value"))?;
        }
    }
    windows(r)?;
    for (k, g) in &r.classes {
        group_counters(&g.counters, &|f| format!("classes.{}.counters.{f}", k.as_str()))?;
    }
    for (k, g) in &r.services {
        label(k, || format!("services.{}", key(k)))?;
        group_counters(&g.counters, &|f| format!("services.{k}.counters.{f}"))?;
    }
    Ok(())
}
