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
    match text_problem(s, "a name", MAX_LABEL_CHARS) {
        Some(problem) => Err(bad(field(), problem)),
        None => Ok(()),
    }
}

/// What is wrong with a text a report prints (a name, `what` = "a name"; a failure's reason):
/// more than `max` characters, or a control character. Reports write it to terminals,
/// summary.md, index.html and junit.xml, where a NUL or an ESC makes the XML unreadable or
/// moves the cursor; no run writes one (scenario and phase names are refused with them, service
/// names are letters, digits, '-', '_' and '.'). The one check of results files, sweep tables
/// and report titles.
pub fn text_problem(s: &str, what: &str, max: usize) -> Option<String> {
    // `nth` stops early: a megabyte text costs no more than a short one.
    if s.chars().nth(max).is_some() {
        return Some(format!("{what} of {} characters: at most {max}", s.chars().count()));
    }
    s.chars().enumerate().find(|(_, c)| c.is_control()).map(|(at, c)| {
        format!(
            "a control character (U+{:04X}) at character {}: expected {what} on one line without control characters",
            c as u32,
            at + 1
        )
    })
}

/// Whether a stored figure is `expected`, the figure recomputed from what the file says it
/// was computed from. The file keeps each float's shortest exact form, which reads back as
/// the same float and the same computation gives the same result; the slack (a relative
/// 1e-9) is for a file written with fewer digits, far below any figure the reports print.
fn agrees(stored: f64, expected: f64) -> bool {
    (stored - expected).abs() <= RATIO_SLACK * stored.abs().max(expected.abs()) + 1e-12
}

/// A figure that disagrees with what it is computed from: `how` says how it is computed.
fn derived(stored: f64, expected: f64, field: impl FnOnce() -> String, how: impl FnOnce() -> String) -> Checked {
    if agrees(stored, expected) {
        return Ok(());
    }
    Err(bad(
        field(),
        format!(
            "{}, but {}: a figure no run produces (the file was edited?)",
            num(stored),
            how()
        ),
    ))
}

/// A group's figures computed from its counts over a run of `duration_s` seconds, as
/// [`GroupSummary::of`] computes them: the goodput ratio is successes / offered (1 when
/// nothing was offered), amplification attempts / offered (0 then), goodput successes per
/// second of the run. (Not for a sweep's points, whose figures are means over seeds.)
fn group_derived(g: &GroupSummary, duration_s: f64, at: &str) -> Checked {
    let field = |f: &str| format!("{at}.{f}");
    let (successes, offered, attempts) = (g.successes as f64, g.offered as f64, g.attempts as f64);
    if g.offered == 0 {
        derived(
            g.goodput_ratio,
            1.0,
            || field("goodput_ratio"),
            || "nothing was offered (offered is 0), which makes a goodput ratio of 1".to_string(),
        )?;
        derived(
            g.amplification,
            0.0,
            || field("amplification"),
            || "nothing was offered (offered is 0), which makes an amplification of 0".to_string(),
        )?;
    } else {
        derived(
            g.goodput_ratio,
            successes / offered,
            || field("goodput_ratio"),
            || {
                format!(
                    "successes / offered is {} / {} = {}",
                    g.successes,
                    g.offered,
                    num(successes / offered)
                )
            },
        )?;
        derived(
            g.amplification,
            attempts / offered,
            || field("amplification"),
            || {
                format!(
                    "attempts / offered is {} / {} = {}",
                    g.attempts,
                    g.offered,
                    num(attempts / offered)
                )
            },
        )?;
    }
    let goodput = if duration_s > 0.0 { successes / duration_s } else { 0.0 };
    derived(
        g.goodput,
        goodput,
        || field("goodput"),
        || {
            format!(
                "successes per second of the run is {} / summary.duration_s {} = {}",
                g.successes,
                num(duration_s),
                num(goodput)
            )
        },
    )
}

/// A verdict and its recovery as the verdict computes them: a recovery time only with
/// `recovered` (`held` with a recovery of 0), `stable` only without a trigger phase (there is
/// nothing to recover from), `recovered` and `metastable` only with one.
fn verdict(g: &GroupSummary, trigger: bool, at: &str) -> Checked {
    use super::Verdict;
    let field = |f: &str| format!("{at}.{f}");
    let name = |v: Option<Verdict>| v.map_or("none", Verdict::as_str);
    match (g.verdict, g.recovery_s) {
        (Some(Verdict::Recovered), None) => {
            return Err(bad(
                field("recovery_s"),
                "missing: a verdict of recovered comes with its recovery time".into(),
            ))
        }
        (v, Some(r)) if v != Some(Verdict::Recovered) => {
            return Err(bad(
                field("recovery_s"),
                format!(
                    "{}, but the verdict is {}: only a run that recovered has a recovery time",
                    num(r),
                    name(v)
                ),
            ))
        }
        _ => {}
    }
    if g.held && g.recovery_s != Some(0.0) {
        return Err(bad(
            field("held"),
            format!(
                "true, but the recovery took {}: a run that held through the trigger recovers in 0s",
                g.recovery_s.map_or("none".to_string(), |r| format!("{}s", num(r)))
            ),
        ));
    }
    let fits = match g.verdict {
        Some(Verdict::Stable) => !trigger,
        Some(Verdict::Recovered | Verdict::Metastable) => trigger,
        _ => true,
    };
    if !fits {
        let why = if trigger {
            "the run has a trigger phase, after which a run recovers or not"
        } else {
            "the run has no trigger phase (phases[].trigger), nothing to recover from"
        };
        return Err(bad(field("verdict"), format!("{}, but {why}", name(g.verdict))));
    }
    Ok(())
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

/// Each attempt ends in at most one outcome (one that has not ended yet in none): the
/// failures by kind add up to at most the attempts. A count near 2^64 among them, with the
/// attempts as the run counted them, was read as it was.
fn outcomes(attempts: u64, kinds: [(&str, u64); 5], at: &dyn Fn(&str) -> String) -> Checked {
    let mut sum = 0u64;
    for (name, n) in kinds {
        sum = match sum.checked_add(n) {
            Some(s) if s <= attempts => s,
            _ => {
                return Err(bad(
                    at(name),
                    format!(
                        "{n}: with the outcomes before it ({}), more than the {attempts} attempts, each of which ends in one outcome",
                        kinds
                            .iter()
                            .take_while(|(k, _)| *k != name)
                            .map(|(k, v)| format!("{k} {v}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ))
            }
        };
    }
    Ok(())
}

/// Each intent makes at most `clients.retry.max_attempts` attempts (the scenario the run
/// recorded, with the command line's overrides): more attempts than the intents offered
/// allow is a count no run of the file makes.
fn attempts_per_intent(offered: u64, attempts: u64, max_attempts: u32, at: &str) -> Checked {
    let most = offered.saturating_mul(u64::from(max_attempts.max(1)));
    if attempts <= most {
        return Ok(());
    }
    Err(bad(
        format!("{at}.attempts"),
        format!(
            "{attempts}: more than the {offered} intents offered make at scenario.clients.retry.max_attempts {max_attempts} each ({most})"
        ),
    ))
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

/// A window's (or a group's) counts by their summary field names ("offered" for the counters'
/// `intents`): the tallies, then the five outcomes an attempt ends in. One list for both
/// [`summary_counts`] and the checks that compare the two.
fn counter_counts(c: &GroupCounters) -> [(&'static str, u64); 10] {
    [
        ("offered", c.intents),
        ("attempts", c.attempts),
        ("retries", c.retries),
        ("successes", c.successes),
        ("failures", c.failures),
        ("timeouts", c.timeouts),
        ("shed", c.shed),
        ("rate_limited", c.rate_limited),
        ("expired", c.expired),
        ("errors", c.errors),
    ]
}

/// A summary's counts, in [`counter_counts`]'s order and names.
fn summary_counts(g: &GroupSummary) -> [(&'static str, u64); 10] {
    [
        ("offered", g.offered),
        ("attempts", g.attempts),
        ("retries", g.retries),
        ("successes", g.successes),
        ("failures", g.failures),
        ("timeouts", g.timeouts),
        ("shed", g.shed),
        ("rate_limited", g.rate_limited),
        ("expired", g.expired),
        ("errors", g.errors),
    ]
}

/// The five outcomes of [`counter_counts`] or [`summary_counts`].
fn outcome_counts(counts: [(&'static str, u64); 10]) -> [(&'static str, u64); 5] {
    [counts[5], counts[6], counts[7], counts[8], counts[9]]
}

fn group_counters(c: &GroupCounters, at: &dyn Fn(&str) -> String) -> Checked {
    tallies(c.intents, c.successes, c.failures, c.attempts, c.retries, at)?;
    outcomes(c.attempts, outcome_counts(counter_counts(c)), at)
}

fn counters(c: &Counters, at: &dyn Fn(&str) -> String) -> Checked {
    group_counters(&c.requests, at)?;
    amount(c.backend_busy_s, || at("backend_busy_s"))?;
    amount(c.wasted_s, || at("wasted_s"))
}

fn group_window(g: &GroupWindow, at: impl Fn() -> String) -> Checked {
    amount(g.held, || format!("{}.held", at()))?;
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
    outcomes(g.attempts, outcome_counts(summary_counts(g)), &field)?;
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
    // Wasted work is part of the backend's busy time.
    if s.wasted_s > s.backend_busy_s * (1.0 + RATIO_SLACK) + 1e-12 {
        return Err(bad(
            "summary.wasted_s".into(),
            format!(
                "{}: more than the backend's busy time (summary.backend_busy_s {}), of which it is a part",
                num(s.wasted_s),
                num(s.backend_busy_s)
            ),
        ));
    }
    Ok(())
}

/// Whether the summary's figures agree with what they are computed from (checked once the
/// counts are known to be the windows'): ratios of its counts, verdicts with their recovery.
fn summary_derived(s: &Summary, trigger: bool) -> Checked {
    group_derived(&s.whole, s.duration_s, "summary")?;
    verdict(&s.whole, trigger, "summary")?;
    for (k, g) in &s.classes {
        let at = format!("summary.classes.{}", k.as_str());
        group_derived(g, s.duration_s, &at)?;
        verdict(g, trigger, &at)?;
    }
    for (k, g) in &s.services {
        let at = format!("summary.services.{k}");
        group_derived(g, s.duration_s, &at)?;
        verdict(g, trigger, &at)?;
    }
    let wasted_ratio = if s.backend_busy_s > 0.0 {
        s.wasted_s / s.backend_busy_s
    } else {
        0.0
    };
    derived(
        s.wasted_ratio,
        wasted_ratio,
        || "summary.wasted_ratio".into(),
        || {
            format!(
                "wasted_s / backend_busy_s is {} / {} = {}",
                num(s.wasted_s),
                num(s.backend_busy_s),
                num(wasted_ratio)
            )
        },
    )
}

/// The strategy a run records: its scenario's gateway strategy, or `external` for a live run
/// against a target loadgen did not start (`loadgen run --target`), whose summary says so.
fn strategy(r: &Results) -> Checked {
    use crate::scenario::Strategy;
    let external = r.strategy == super::EXTERNAL_STRATEGY;
    if !external && !Strategy::ALL.iter().any(|s| s.as_str() == r.strategy) {
        let names: Vec<&str> = Strategy::ALL
            .iter()
            .map(|s| s.as_str())
            .chain([super::EXTERNAL_STRATEGY])
            .collect();
        return Err(bad(
            "strategy".into(),
            format!(
                "unknown strategy `{}`: expected one of {}",
                r.strategy.escape_debug(),
                names.join(", ")
            ),
        ));
    }
    let own = r.scenario.gateway.strategy.as_str();
    if !external && r.strategy != own {
        return Err(bad(
            "strategy".into(),
            format!(
                "`{}`, but the run's scenario has scenario.gateway.strategy `{own}`, the strategy it ran",
                r.strategy
            ),
        ));
    }
    if r.summary.external_target != external {
        return Err(bad(
            "summary.external_target".into(),
            format!(
                "{}, but the strategy is `{}`: a run against an external target records strategy `{}`",
                r.summary.external_target,
                r.strategy,
                super::EXTERNAL_STRATEGY
            ),
        ));
    }
    Ok(())
}

/// Percentiles as the summary computes them from a histogram (none: all 0).
fn percentiles_of(stored: &Percentiles, h: Option<&super::Hist>, at: &str, from: &str) -> Checked {
    let expected = h.map(Percentiles::of).unwrap_or_default();
    if stored.count != expected.count {
        return Err(bad(
            format!("{at}.count"),
            format!("{}, but {from} holds {}", stored.count, expected.count),
        ));
    }
    for (name, v, e) in [
        ("mean", stored.mean, expected.mean),
        ("p50", stored.p50, expected.p50),
        ("p90", stored.p90, expected.p90),
        ("p99", stored.p99, expected.p99),
        ("p999", stored.p999, expected.p999),
        ("max", stored.max, expected.max),
    ] {
        derived(v, e, || format!("{at}.{name}"), || format!("{from} gives {}", num(e)))?;
    }
    Ok(())
}

/// The summary's latencies and groups, against the whole-run histograms and the groups'
/// counters they are computed from: a group in one and not the other (a service the run did
/// not have), or counts that differ, were edited in.
fn summary_sources(r: &Results) -> Checked {
    let s = &r.summary;
    for (at, stored, metric) in [
        ("summary.latency", &s.whole.latency, super::metric::INTENT_LATENCY),
        (
            "summary.attempt_latency",
            &s.attempt_latency,
            super::metric::ATTEMPT_LATENCY,
        ),
        ("summary.queue_wait", &s.queue_wait, super::metric::QUEUE_WAIT),
    ] {
        percentiles_of(stored, r.totals.get(metric), at, &format!("totals.{metric}"))?;
    }
    fn groups<K: Ord>(
        summary: &std::collections::BTreeMap<K, GroupSummary>,
        kept: &std::collections::BTreeMap<K, super::GroupResults>,
        name: impl Fn(&K) -> String,
        (what, one): (&str, &str),
    ) -> Checked {
        if let Some(k) = summary.keys().find(|k| !kept.contains_key(k)) {
            let have: Vec<String> = kept.keys().map(&name).collect();
            return Err(bad(
                format!("summary.{what}.{}", key(&name(k))),
                format!(
                    "no such {one} in the run: its results keep {}",
                    if have.is_empty() {
                        format!("no per-{one} figures ({what} is empty)")
                    } else {
                        format!("{what} {}", have.join(", "))
                    }
                ),
            ));
        }
        if let Some(k) = kept.keys().find(|k| !summary.contains_key(k)) {
            return Err(bad(
                format!("summary.{what}"),
                format!("no figures of `{}`, which the run's {what} keep", key(&name(k))),
            ));
        }
        for (k, g) in summary {
            let Some(c) = kept.get(k).map(|k| &k.counters) else {
                continue;
            };
            let at = format!("summary.{what}.{}", name(k));
            for ((f, stored), (_, counted)) in summary_counts(g).into_iter().zip(counter_counts(c)) {
                if stored != counted {
                    let source = if f == "offered" { "intents" } else { f };
                    return Err(bad(
                        format!("{at}.{f}"),
                        format!("{stored}, but {what}.{}.counters.{source} is {counted}", name(k)),
                    ));
                }
            }
            let h = kept.get(k).map(|g| &g.intent_latency);
            percentiles_of(
                &g.latency,
                h,
                &format!("{at}.latency"),
                &format!("{what}.{}.intent_latency", name(k)),
            )?;
        }
        Ok(())
    }
    groups(&s.classes, &r.classes, |k| k.as_str().to_string(), ("classes", "class"))?;
    groups(
        &s.services,
        &r.services,
        |k: &String| k.clone(),
        ("services", "service"),
    )
}

/// The thresholds a run stores, judged again from its summary with the scenario's checks: a
/// verdict or a value the figures do not give (a passing `p99 < 1ms` beside a p99 of 3 s)
/// would pass a CI gate that reads the file. Refused rather than judged again silently: the
/// file was edited, and its other figures are in doubt too.
fn thresholds(r: &Results) -> Checked {
    let configured = &r.scenario.thresholds;
    let unsent = r.generator.as_ref().map_or(0, |g| g.unsent);
    // Each judged again first (what a gate reads), then held to the scenario's list.
    for (i, t) in r.thresholds.iter().enumerate() {
        let at = |f: &str| format!("thresholds[{i}].{f}");
        let mut check: crate::threshold::Threshold = t
            .check
            .parse()
            .map_err(|e: String| bad(at("check"), format!("`{}`: {e}", t.check.escape_debug())))?;
        check.name = t.name.clone();
        let mut judged = [check.evaluate(&r.summary)];
        let run = super::recorder::PartialRun {
            source: r.source,
            incomplete: r.incomplete,
            stopped: r.stopped.is_some(),
            unsent,
        };
        super::recorder::not_judged_if_partial(&mut judged, run);
        let [j] = judged;
        let verdict = |passed: bool| if passed { "passed" } else { "failed" };
        if t.passed != j.passed {
            return Err(bad(
                at("passed"),
                format!(
                    "{}, but `{}` {} on the summary's figures ({}): a verdict no run produces (the file was edited?)",
                    t.passed,
                    t.check,
                    if j.passed { "holds" } else { "fails" },
                    j.measured_phrase()
                ),
            ));
        }
        let value_agrees = match (t.value, j.value) {
            (Some(a), Some(b)) => agrees(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        if !value_agrees || t.service != j.service || t.missing != j.missing {
            let shown = |v: &crate::threshold::ThresholdResult| match v.value {
                Some(x) => format!(
                    "{}{}",
                    num(x),
                    v.service.as_ref().map_or(String::new(), |s| format!(" in service {s}"))
                ),
                None => format!("no value ({})", v.missing.as_deref().unwrap_or("none given")),
            };
            return Err(bad(
                at("value"),
                format!(
                    "{}, but `{}` measures {} on the summary's figures ({} there): a value no run produces (the file was edited?)",
                    shown(t),
                    t.check,
                    shown(&j),
                    verdict(j.passed)
                ),
            ));
        }
    }
    if r.thresholds.len() != configured.len() {
        return Err(bad(
            "thresholds".into(),
            format!(
                "{} results, but the run's scenario has {} thresholds (scenario.thresholds), each judged once",
                r.thresholds.len(),
                configured.len()
            ),
        ));
    }
    for (i, (t, c)) in r.thresholds.iter().zip(configured).enumerate() {
        let at = |f: &str| format!("thresholds[{i}].{f}");
        if t.check != c.check.trim() {
            return Err(bad(
                at("check"),
                format!(
                    "`{}`, but the run's scenario.thresholds[{i}] is `{}`",
                    t.check.escape_debug(),
                    c.check.trim().escape_debug()
                ),
            ));
        }
        let name = c.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        if t.name.as_deref() != name {
            return Err(bad(
                at("name"),
                format!(
                    "{}, but the run's scenario.thresholds[{i}] is named {}",
                    t.name
                        .as_deref()
                        .map_or("none".to_string(), |n| format!("`{}`", n.escape_debug())),
                    name.map_or("nothing".to_string(), |n| format!("`{}`", n.escape_debug()))
                ),
            ));
        }
    }
    Ok(())
}

/// A window marked without a gauge sample has no gauge figures: spillway writes them as 0, and
/// any other value would be read as no data by some readers and as a figure by others.
fn unsampled(w: &super::Window, at: &dyn Fn(&str) -> String) -> Checked {
    let g = &w.gauges;
    if !g.unsampled {
        return Ok(());
    }
    let measured = [
        ("queue_depth_mean", g.queue_depth_mean),
        ("queue_depth_max", g.queue_depth_max as f64),
        ("in_flight_mean", g.in_flight_mean),
        ("in_flight_max", g.in_flight_max as f64),
        ("generator_waiting_mean", g.generator_waiting_mean),
    ]
    .into_iter()
    .map(|(name, v)| (format!("gauges.{name}"), v))
    .chain(w.services.iter().map(|(k, s)| (format!("services.{k}.held"), s.held)));
    for (field, v) in measured {
        if v != 0.0 {
            return Err(bad(
                at(&field),
                format!(
                    "{}, in a window marked `unsampled` (no gauge sample fell in it: it has no such figure)",
                    num(v)
                ),
            ));
        }
    }
    Ok(())
}

/// Window `i` starts at `i * window_s` (the recorder and merge lay them out so); windows out of
/// order, all at 0 or at 1e308 put charts and verdicts on a time line no run had.
fn windows(r: &Results) -> Checked {
    let w_s = r.window_s;
    let mut sum = GroupCounters::default();
    let (mut busy, mut wasted) = (0.0f64, 0.0f64);
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
        unsampled(w, &at)?;
        let g = &w.gauges;
        amount(g.generator_waiting_mean, || at("gauges.generator_waiting_mean"))?;
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
        let c = &w.counters;
        if c.wasted_s > c.backend_busy_s * (1.0 + RATIO_SLACK) + 1e-12 {
            return Err(bad(
                at("counters.wasted_s"),
                format!(
                    "{}: more than the window's backend busy time ({}), of which it is a part",
                    num(c.wasted_s),
                    num(c.backend_busy_s)
                ),
            ));
        }
        // Added up as the summary adds them.
        busy += c.backend_busy_s;
        wasted += c.wasted_s;
    }
    // The summary is computed from the windows: figures that disagree were edited, and a sum
    // that wraps would turn into a small, plausible figure in whatever adds them again.
    let s = &r.summary.whole;
    for ((name, file), (_, windows)) in summary_counts(s).into_iter().zip(counter_counts(&sum)) {
        if file != windows {
            return Err(bad(
                format!("summary.{name}"),
                format!("{file}, but the windows add up to {windows}"),
            ));
        }
    }
    for (name, file, windows) in [
        ("backend_busy_s", r.summary.backend_busy_s, busy),
        ("wasted_s", r.summary.wasted_s, wasted),
    ] {
        derived(
            file,
            windows,
            || format!("summary.{name}"),
            || format!("the windows add up to {}", num(windows)),
        )?;
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
    strategy(r)?;
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
    if let Some((field, message)) = r.notes.text_problem() {
        return Err(bad(field, message));
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
        // Phases follow one another: each starts where the one before it ends.
        if let Some(prev) = i.checked_sub(1).map(|k| &r.phases[k]) {
            if p.start_s < prev.end_s - START_SLACK * prev.end_s.max(1.0) {
                return Err(bad(
                    at("start_s"),
                    format!(
                        "{}: before phases[{}].end_s ({}): phases run one after another",
                        num(p.start_s),
                        i - 1,
                        num(prev.end_s)
                    ),
                ));
            }
        }
    }
    summary(&r.summary)?;
    for (i, t) in r.thresholds.iter().enumerate() {
        if let Some(v) = t.value {
            finite(v, || format!("thresholds[{i}].value"))?;
        }
    }
    windows(r)?;
    let max_attempts = r.scenario.clients.retry.max_attempts;
    let s = &r.summary;
    attempts_per_intent(s.whole.offered, s.whole.attempts, max_attempts, "summary")?;
    for (k, g) in &s.classes {
        attempts_per_intent(
            g.offered,
            g.attempts,
            max_attempts,
            &format!("summary.classes.{}", k.as_str()),
        )?;
    }
    for (k, g) in &s.services {
        attempts_per_intent(g.offered, g.attempts, max_attempts, &format!("summary.services.{k}"))?;
    }
    summary_derived(&r.summary, r.has_trigger())?;
    summary_sources(r)?;
    thresholds(r)?;
    for (k, g) in &r.classes {
        group_counters(&g.counters, &|f| format!("classes.{}.counters.{f}", k.as_str()))?;
    }
    for (k, g) in &r.services {
        label(k, || format!("services.{}", key(k)))?;
        group_counters(&g.counters, &|f| format!("services.{k}.counters.{f}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::results::{Outcome, Recorder, Results, RunMeta, RunSource, Tag, EXTERNAL_STRATEGY};
    use crate::scenario::{self, Priority, Scenario};
    use crate::time::Time;
    use serde_json::{json, Value};
    use std::time::Duration;

    fn scenario() -> Scenario {
        scenario::parse(
            "t.toml",
            "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"3s\"\nrate = 10\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n\
             [clients.retry]\nmax_attempts = 2\n\
             [[thresholds]]\ncheck = \"goodput_ratio >= 0.5\"\n[[thresholds]]\ncheck = \"p99 < 1s\"\n",
        )
        .unwrap()
    }

    /// Three intents: one succeeds after a retry, one at once, one fails; some wasted work.
    fn run(meta: RunMeta) -> Results {
        let tag = Tag::new(Priority::Interactive, 0);
        let mut r = Recorder::new(Duration::from_secs(1));
        for (start, retried, ok) in [(0.2, true, true), (1.1, false, true), (2.3, false, false)] {
            let t0 = Time::from_secs_f64(start);
            r.intent_offered(tag, t0);
            r.attempt_sent(tag, t0, false);
            let first = if retried || !ok { Outcome::Timeout } else { Outcome::Ok };
            r.attempt_finished(tag, t0, first, Duration::from_millis(300));
            if retried {
                let t1 = Time::from_secs_f64(start + 0.4);
                r.attempt_sent(tag, t1, true);
                r.attempt_finished(tag, t1, Outcome::Ok, Duration::from_millis(20));
            }
            r.intent_finished(tag, t0, Duration::from_millis(if retried { 420 } else { 300 }), ok);
            r.backend_work(Time::from_secs_f64(start + 0.01), Duration::from_millis(10), false);
            r.backend_work(Time::from_secs_f64(start + 0.02), Duration::from_millis(10), true);
        }
        r.finish(&scenario(), meta)
    }

    /// The error reading `r`'s file edited by `edit`.
    fn edited(r: &Results, edit: impl FnOnce(&mut Value)) -> Result<Results, String> {
        let mut v: Value = serde_json::from_str(&r.to_json()).unwrap();
        edit(&mut v);
        Results::from_json("r.json", &serde_json::to_string_pretty(&v).unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn runs_as_recorded_are_read() {
        let plain = run(RunMeta::sim("fifo"));
        assert_eq!(plain.summary.whole.offered, 3);
        assert!(plain.summary.wasted_s > 0.0);
        assert!(edited(&plain, |_| {}).is_ok());
        // A run that stopped at its cap (its passing thresholds not judged), an interrupted
        // live run, one against an external target, one that offered nothing.
        let stopped = run(RunMeta {
            incomplete: true,
            stopped: Some("held too many requests".into()),
            ..RunMeta::sim("fifo")
        });
        assert!(stopped.thresholds.iter().all(|t| !t.passed));
        assert!(edited(&stopped, |_| {}).is_ok());
        let interrupted = run(RunMeta {
            source: RunSource::Live,
            incomplete: true,
            ..RunMeta::sim("fifo")
        });
        assert!(edited(&interrupted, |_| {}).is_ok());
        let external = run(RunMeta {
            source: RunSource::Live,
            ..RunMeta::sim(EXTERNAL_STRATEGY)
        });
        assert!(external.summary.external_target);
        assert!(edited(&external, |_| {}).is_ok());
        let s = scenario();
        let nothing = Recorder::for_scenario(&s).finish(&s, RunMeta::sim("fifo"));
        assert_eq!(nothing.summary.whole.amplification, 0.0);
        assert!(edited(&nothing, |_| {}).is_ok());
        let err = edited(&nothing, |v| v["summary"]["amplification"] = json!(1.0)).unwrap_err();
        assert!(
            err.contains("summary.amplification: 1, but nothing was offered"),
            "{err}"
        );
        // A byte order mark is no part of the JSON.
        let text = format!("\u{feff}{}", plain.to_json());
        assert!(Results::from_json("r.json", &text).is_ok());
    }

    /// Counts near 2^64 that the run's own figures rule out were read: outcomes beyond the
    /// attempts (each ends in one), attempts beyond what the intents offered make at the
    /// scenario's max_attempts. Bounds from the file's figures, no arbitrary cap.
    #[test]
    fn counts_beyond_what_the_files_own_figures_allow_are_refused() {
        let r = run(RunMeta::sim("fifo"));
        assert_eq!((r.summary.whole.offered, r.summary.whole.attempts), (3, 4));
        assert_eq!(r.summary.whole.timeouts, 2);
        let err = edited(&r, |v| v["summary"]["shed"] = json!(u64::MAX)).unwrap_err();
        assert!(
            err.starts_with(
                "r.json: summary.shed: 18446744073709551615: with the outcomes before it (timeouts 2), more than the 4 attempts"
            ),
            "{err}"
        );
        let err = edited(&r, |v| v["windows"][0]["counters"]["errors"] = json!(u64::MAX - 1)).unwrap_err();
        assert!(err.starts_with("r.json: windows[0].counters.errors: "), "{err}");
        // Attempts the windows and the summary agree on, beyond 3 intents x 2 attempts.
        let err = edited(&r, |v| {
            let w = v["windows"][0]["counters"]["attempts"].as_u64().unwrap();
            v["windows"][0]["counters"]["attempts"] = json!(w + (1u64 << 62));
            v["summary"]["attempts"] = json!(4 + (1u64 << 62));
        })
        .unwrap_err();
        assert!(
            err.starts_with(&format!(
                "r.json: summary.attempts: {}: more than the 3 intents offered make at scenario.clients.retry.max_attempts 2 each (6)",
                4 + (1u64 << 62)
            )),
            "{err}"
        );
        // Within the bound, the figures derived from the counts still judge.
        let err = edited(&r, |v| {
            let w = v["windows"][0]["counters"]["attempts"].as_u64().unwrap();
            v["windows"][0]["counters"]["attempts"] = json!(w + 2);
            v["summary"]["attempts"] = json!(6);
        })
        .unwrap_err();
        assert!(err.contains("summary.amplification: "), "{err}");
    }

    #[test]
    fn figures_that_disagree_with_their_counts_name_the_field() {
        let r = run(RunMeta::sim("fifo"));
        for (edit, says) in [
            (
                ("amplification", json!(0.5)),
                "r.json: summary.amplification: 0.5, but attempts / offered is 4 / 3 = 1.3333333333333333",
            ),
            (
                ("goodput_ratio", json!(0.3)),
                "r.json: summary.goodput_ratio: 0.3, but successes / offered is 2 / 3",
            ),
            (
                ("goodput", json!(9999.0)),
                "r.json: summary.goodput: 9999, but successes per second",
            ),
            (
                ("wasted_s", json!(1e6)),
                "r.json: summary.wasted_s: 1000000: more than the backend's busy time",
            ),
            (
                ("wasted_ratio", json!(0.99)),
                "r.json: summary.wasted_ratio: 0.99, but wasted_s / backend_busy_s",
            ),
        ] {
            let err = edited(&r, |v| v["summary"][edit.0] = edit.1).unwrap_err();
            assert!(err.contains(says), "{err}");
        }
        // Busy time the windows do not add up to (its wasted share edited to match).
        let err = edited(&r, |v| {
            let wasted = v["summary"]["wasted_s"].as_f64().unwrap();
            v["summary"]["backend_busy_s"] = json!(100.0);
            v["summary"]["wasted_ratio"] = json!(wasted / 100.0);
        })
        .unwrap_err();
        assert!(
            err.contains("r.json: summary.backend_busy_s: 100, but the windows add up to 0.06"),
            "{err}"
        );
        // A verdict of a run after a trigger, in a run with none.
        let err = edited(&r, |v| v["summary"]["verdict"] = json!("metastable")).unwrap_err();
        assert!(
            err.contains("summary.verdict: metastable, but the run has no trigger phase"),
            "{err}"
        );
    }

    #[test]
    fn stored_thresholds_are_judged_again() {
        let r = run(RunMeta::sim("fifo"));
        assert!(r.thresholds.iter().all(|t| t.passed), "{:?}", r.thresholds);
        let err = edited(&r, |v| {
            v["thresholds"][1] = json!({"check": "p99 < 1ms", "passed": true, "value": 0});
        })
        .unwrap_err();
        assert!(
            err.contains("thresholds[1].passed: true, but `p99 < 1ms` fails on the summary's figures (measured "),
            "{err}"
        );
        let err = edited(&r, |v| v["thresholds"][0]["value"] = json!(1.0)).unwrap_err();
        assert!(
            err.contains("thresholds[0].value: 1, but `goodput_ratio >= 0.5` measures 0.66"),
            "{err}"
        );
        let err = edited(&r, |v| v["thresholds"][0]["check"] = json!("p99 <<< 2")).unwrap_err();
        assert!(
            err.contains("thresholds[0].check: `p99 <<< 2`: unknown operator"),
            "{err}"
        );
        // A stopped run's passing threshold fails, not judged: stored as passing, refused.
        let stopped = run(RunMeta {
            stopped: Some("cap".into()),
            ..RunMeta::sim("fifo")
        });
        let err = edited(&stopped, |v| {
            v["thresholds"][0] = json!({"check": "goodput_ratio >= 0.5", "passed": true, "value": 2.0 / 3.0});
        })
        .unwrap_err();
        assert!(err.contains("thresholds[0].passed: true, but"), "{err}");
    }

    #[test]
    fn names_and_strategies_no_run_writes_are_refused() {
        let r = run(RunMeta::sim("fifo"));
        let err = edited(&r, |v| v["scenario_name"] = json!("a\u{0}b")).unwrap_err();
        assert!(
            err.contains("scenario_name: a control character (U+0000) at character 2"),
            "{err}"
        );
        let err = edited(&r, |v| v["strategy"] = json!("bogus")).unwrap_err();
        assert!(
            err.contains("strategy: unknown strategy `bogus`: expected one of passthrough, fifo"),
            "{err}"
        );
        let err = edited(&r, |v| v["strategy"] = json!("deadline")).unwrap_err();
        assert!(
            err.contains("strategy: `deadline`, but the run's scenario has scenario.gateway.strategy `fifo`"),
            "{err}"
        );
        let err = edited(&r, |v| v["summary"]["external_target"] = json!(true)).unwrap_err();
        assert!(
            err.contains("summary.external_target: true, but the strategy is `fifo`"),
            "{err}"
        );
    }

    #[test]
    fn json_that_holds_no_object_is_called_json() {
        let err = Results::from_json("r.json", "null").unwrap_err().to_string();
        assert!(
            err.contains("this is JSON holding `null`, not a results object"),
            "{err}"
        );
        let err = Results::from_json("r.json", "12").unwrap_err().to_string();
        assert!(err.contains("this is JSON holding a number"), "{err}");
    }
}
