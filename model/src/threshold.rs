//! Pass/fail expressions on a run's results: `goodput_ratio >= 0.9`, `p99 < 2s`,
//! `recovery <= 10s`, `amplification <= 1.2`, per priority class `interactive.shed == 0`,
//! `background.p99 < 30s`, and per service `service[billing].goodput_ratio >= 0.8`.

use crate::duration::parse_duration;
use crate::results::{GroupSummary, Summary};
use crate::scenario::Priority;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A headline figure a threshold (or a `compare` expectation) can name.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    GoodputRatio,
    Goodput,
    Offered,
    Attempts,
    Successes,
    Amplification,
    P50,
    P90,
    P99,
    P999,
    Max,
    Recovery,
    Timeouts,
    Shed,
    RateLimited,
    Expired,
    Errors,
    Wasted,
    WastedRatio,
}

impl Metric {
    pub const ALL: [Metric; 19] = [
        Metric::GoodputRatio,
        Metric::Goodput,
        Metric::Offered,
        Metric::Attempts,
        Metric::Successes,
        Metric::Amplification,
        Metric::P50,
        Metric::P90,
        Metric::P99,
        Metric::P999,
        Metric::Max,
        Metric::Recovery,
        Metric::Timeouts,
        Metric::Shed,
        Metric::RateLimited,
        Metric::Expired,
        Metric::Errors,
        Metric::Wasted,
        Metric::WastedRatio,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::GoodputRatio => "goodput_ratio",
            Metric::Goodput => "goodput",
            Metric::Offered => "offered",
            Metric::Attempts => "attempts",
            Metric::Successes => "successes",
            Metric::Amplification => "amplification",
            Metric::P50 => "p50",
            Metric::P90 => "p90",
            Metric::P99 => "p99",
            Metric::P999 => "p999",
            Metric::Max => "max",
            Metric::Recovery => "recovery",
            Metric::Timeouts => "timeouts",
            Metric::Shed => "shed",
            Metric::RateLimited => "rate_limited",
            Metric::Expired => "expired",
            Metric::Errors => "errors",
            Metric::Wasted => "wasted",
            Metric::WastedRatio => "wasted_ratio",
        }
    }

    /// Whether the metric is a time, in seconds (so `2s` is a fitting bound).
    pub fn is_time(self) -> bool {
        matches!(
            self,
            Metric::P50 | Metric::P90 | Metric::P99 | Metric::P999 | Metric::Max | Metric::Recovery | Metric::Wasted
        )
    }

    /// A value of the metric as tables print it: times in seconds, counts whole, ratios to four
    /// places; a missing recovery is "never", any other missing value "-".
    pub fn show(self, v: Option<f64>) -> String {
        match v {
            None if self == Metric::Recovery => "never".into(),
            None => "-".into(),
            Some(v) if self.is_time() => crate::results::fmt_secs(v),
            // Successes per second: a rate, with its unit.
            Some(v) if self == Metric::Goodput => format!("{v:.1}/s"),
            Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
            Some(v) => format!("{v:.4}"),
        }
    }

    /// A value as threshold results print it (ratios as percentages, the rest as [`Metric::show`]),
    /// checked against `cmp bound`: when the usual rounding would read as the bound itself
    /// (`1.00s` for 1.000447 failing `< 1s`) or as on the other side of it, the value gets as
    /// many more decimals (in the same unit) as tell them apart: `1.0004s`.
    pub fn show_against(self, v: f64, cmp: Cmp, bound: f64) -> String {
        // The unit (a scale and a suffix) and the usual decimals for `v`.
        let (scale, suffix, decimals) = if self.is_ratio() {
            (100.0, "%", 2)
        } else if self.is_time() {
            if v == 0.0 {
                return "0s".into();
            }
            crate::results::secs_unit(v)
        } else if self == Metric::Goodput {
            (1.0, "/s", 1)
        } else if v.fract() == 0.0 || !v.is_finite() {
            return self.show(Some(v));
        } else {
            (1.0, "", 4)
        };
        let usual = if self.is_ratio() {
            format!("{:.2}%", v * 100.0)
        } else {
            self.show(Some(v))
        };
        if v == bound || !v.is_finite() || !bound.is_finite() {
            return usual;
        }
        let holds = cmp.holds(v, bound);
        let rounded = |x: f64, d: usize| format!("{:.d$}", x * scale).parse::<f64>().unwrap_or(x * scale);
        // Enough decimals: the value shown differs from the bound shown the same way, and
        // compares with the bound as the value does. Past a dozen more, floating-point noise.
        let fits = |d: usize| {
            let shown = rounded(v, d);
            shown != rounded(bound, d) && cmp.holds(shown / scale, bound) == holds
        };
        if fits(decimals) {
            return usual;
        }
        let d = (decimals + 1..=decimals + 12)
            .find(|&d| fits(d))
            .unwrap_or(decimals + 12);
        format!("{:.d$}{suffix}", v * scale)
    }

    /// Whether the metric is a ratio, shown as a percentage.
    pub fn is_ratio(self) -> bool {
        matches!(self, Metric::GoodputRatio | Metric::WastedRatio)
    }

    /// Whether a larger value is better (for regression checks).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::GoodputRatio | Metric::Goodput | Metric::Successes)
    }

    /// The value in a run's summary; `None` when it does not exist (no recovery happened).
    pub fn value(self, s: &Summary) -> Option<f64> {
        match self {
            Metric::Recovery => s.whole.recovery_s,
            Metric::Wasted | Metric::WastedRatio if s.external_target => None,
            Metric::Wasted => Some(s.wasted_s),
            Metric::WastedRatio => Some(s.wasted_ratio),
            _ => self.group_value(&s.whole),
        }
    }
}

impl Metric {
    /// Whether a group (a priority class, a service) has the figure: wasted work is the
    /// backend's, counted per request, not per group.
    pub fn per_group(self) -> bool {
        !matches!(self, Metric::Wasted | Metric::WastedRatio)
    }

    /// Whether the figure is an intent latency percentile.
    pub fn is_latency(self) -> bool {
        matches!(
            self,
            Metric::P50 | Metric::P90 | Metric::P99 | Metric::P999 | Metric::Max
        )
    }

    /// The value in a group's figures (or the whole run's, `Summary::whole`); `None` for
    /// whole-run-only metrics.
    pub fn group_value(self, c: &GroupSummary) -> Option<f64> {
        Some(match self {
            Metric::GoodputRatio => c.goodput_ratio,
            Metric::Goodput => c.goodput,
            Metric::Offered => c.offered as f64,
            Metric::Attempts => c.attempts as f64,
            Metric::Successes => c.successes as f64,
            Metric::Amplification => c.amplification,
            Metric::P50 => c.latency.p50,
            Metric::P90 => c.latency.p90,
            Metric::P99 => c.latency.p99,
            Metric::P999 => c.latency.p999,
            Metric::Max => c.latency.max,
            Metric::Timeouts => c.timeouts as f64,
            Metric::Shed => c.shed as f64,
            Metric::RateLimited => c.rate_limited as f64,
            Metric::Expired => c.expired as f64,
            Metric::Errors => c.errors as f64,
            Metric::Recovery => return c.recovery_s,
            Metric::Wasted | Metric::WastedRatio => return None,
        })
    }
}

/// Whose figure: the whole run's, a priority class's or a backend service's; or, in
/// thresholds only (`service[*].METRIC`), each service's in turn.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Whole,
    Class(Priority),
    Service(String),
    /// Every service that was sent something: a bound that must hold for each
    /// ([`Threshold::evaluate`]); as one value (an expectation, a sweep's objective), the worst
    /// service's ([`Figure::worst_service`]).
    EveryService,
}

impl Scope {
    /// The scope's figures in `s`: the whole run's, or the group's (`None` when the run kept
    /// no such group, and for every service: which one depends on the metric, see
    /// [`Figure::group`]).
    pub fn figures(&self, s: &Summary) -> Option<GroupSummary> {
        match self {
            Scope::Whole => Some(s.whole.clone()),
            Scope::Class(c) => s.class(*c),
            Scope::Service(name) => s.service(name),
            Scope::EveryService => None,
        }
    }
}

/// What a threshold or an expectation names: a whole-run metric (`p99`), a priority class's
/// (`interactive.p99`) or a service's (`service[orders].p99`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Figure {
    pub scope: Scope,
    pub metric: Metric,
}

impl Figure {
    /// A whole-run metric.
    pub fn whole(metric: Metric) -> Figure {
        Figure {
            scope: Scope::Whole,
            metric,
        }
    }

    /// A priority class's metric.
    pub fn class(class: Priority, metric: Metric) -> Figure {
        Figure {
            scope: Scope::Class(class),
            metric,
        }
    }

    /// A service's metric.
    pub fn service(name: &str, metric: Metric) -> Figure {
        Figure {
            scope: Scope::Service(name.to_string()),
            metric,
        }
    }

    /// The value in a run's summary; `None` when it does not exist: no recovery happened, the
    /// run kept no such group (no priorities, one service), or a latency of the run or a group
    /// none of whose intents succeeded (so a bound on it cannot pass vacuously).
    pub fn value(&self, s: &Summary) -> Option<f64> {
        match &self.scope {
            // A latency of the whole run is guarded as a group's: of failures alone it is none.
            Scope::Whole if self.metric.is_latency() => self.value_in(&s.whole),
            Scope::Whole => self.metric.value(s),
            Scope::EveryService => self.value_in(self.worst_service(&s.services)?.1),
            _ => self.value_in(&self.scope.figures(s)?),
        }
    }

    /// Why `service[*]` of this metric is no single figure, if it is not: the worst service by
    /// a count or a rate (`goodput`, `shed`, `offered`) is the busiest or the idlest one, which
    /// its load decides, not how it fares. Ratios, latencies, amplification and recovery
    /// compare across services of any load. (Bounds on every service take any metric.)
    pub fn worst_service_problem(&self) -> Option<String> {
        let fair = matches!(
            self.metric,
            Metric::GoodputRatio | Metric::Amplification | Metric::Recovery
        ) || self.metric.is_latency();
        (self.scope == Scope::EveryService && !fair).then(|| {
            format!(
                "`{self}` as one figure would be the worst service's {}, which picks the busiest or the idlest service by its load, not the one that fares worst: use a ratio, a latency, amplification or recovery (`service[*].goodput_ratio`), name a service, or bound every service with a threshold or --slo",
                self.metric.name()
            )
        })
    }

    /// The figures the figure reads in `s`: the run's, a class's, a service's, or for
    /// `service[*]` the worst service's ([`Figure::worst_service`]). `None` when the run keeps
    /// no such group.
    pub fn group(&self, s: &Summary) -> Option<GroupSummary> {
        match &self.scope {
            Scope::EveryService => self.worst_service(&s.services).map(|(_, g)| g.clone()),
            scope => scope.figures(s),
        }
    }

    /// Of `services`, the one worst at the figure's metric among those offered something
    /// (`service[*]` as one figure: the value a bound on every service is judged by): the
    /// highest latency, shed count or recovery, the lowest goodput. A service with no value
    /// is worse than any with one (a latency of failures alone, a recovery that never came),
    /// and one not judged for recovery worst of all (its recovery is unknown). Ties go to the
    /// first in natural order (`legacy-2` before `legacy-10`). `None` when none was offered
    /// anything.
    pub fn worst_service<'a>(
        &self,
        services: &'a BTreeMap<String, GroupSummary>,
    ) -> Option<(&'a str, &'a GroupSummary)> {
        let rank = |g: &GroupSummary| -> (u8, f64) {
            match self.value_in(g) {
                None if self.metric == Metric::Recovery && g.verdict.is_none() => (2, 0.0),
                None => (1, 0.0),
                Some(v) if self.metric.higher_is_better() => (0, -v),
                Some(v) => (0, v),
            }
        };
        let mut worst: Option<(&'a str, &'a GroupSummary, (u8, f64))> = None;
        for (name, g) in crate::results::services_in_order(services) {
            if g.offered == 0 {
                continue;
            }
            let r = rank(g);
            if worst.is_none_or(|(_, _, w)| r.0 > w.0 || (r.0 == w.0 && r.1 > w.1)) {
                worst = Some((name.as_str(), g, r));
            }
        }
        worst.map(|(n, g, _)| (n, g))
    }

    /// The metric's value in a group's figures `g` (see [`Figure::value`]). A latency of a
    /// group none of whose intents succeeded has none: intent latency counts failures, and a
    /// fast 404 for everything would read as a fast service (in thresholds, comparisons,
    /// expectations and sweep objectives alike).
    pub fn value_in(&self, g: &GroupSummary) -> Option<f64> {
        if self.metric.is_latency() && (g.latency.count == 0 || g.successes == 0) {
            return None;
        }
        self.metric.group_value(g)
    }
}

impl From<Metric> for Figure {
    fn from(metric: Metric) -> Figure {
        Figure::whole(metric)
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scope {
            Scope::Whole => f.write_str(self.metric.name()),
            Scope::Class(c) => write!(f, "{}.{}", c.as_str(), self.metric.name()),
            Scope::Service(name) => write!(f, "service[{name}].{}", self.metric.name()),
            Scope::EveryService => write!(f, "service[*].{}", self.metric.name()),
        }
    }
}

/// The metric of a group's figure: `kind` is "priority class" or "service", `name` the
/// group's, `prefix` what precedes the metric.
fn group_metric(rest: &str, kind: &str, name: &str, prefix: &str) -> Result<Metric, String> {
    let metric: Metric = rest.parse().map_err(|_| {
        let names: Vec<_> = Metric::ALL.iter().filter(|m| m.per_group()).map(|m| m.name()).collect();
        format!(
            "unknown metric `{rest}` of {kind} {name}{}: expected one of {}",
            did_you_mean(rest, &names),
            names.join(", ")
        )
    })?;
    if !metric.per_group() {
        return Err(format!(
            "{} is kept for the whole run, not per {kind} (drop `{prefix}`)",
            metric.name()
        ));
    }
    Ok(metric)
}

impl std::str::FromStr for Figure {
    type Err = String;
    fn from_str(s: &str) -> Result<Figure, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("service[") {
            // Service names have no brackets (they may have dots), so the first `]` ends it.
            let (name, rest) = rest
                .split_once(']')
                .ok_or_else(|| format!("`{s}`: expected service[NAME].METRIC"))?;
            let metric = rest
                .strip_prefix('.')
                .ok_or_else(|| format!("`{s}`: expected service[NAME].METRIC"))?;
            let name = name.trim();
            if name == "*" {
                // One figure of every service: the worst one's (see `Figure::worst_service`).
                return Ok(Figure {
                    scope: Scope::EveryService,
                    metric: group_metric(metric, "service", name, "service[*].")?,
                });
            }
            if !crate::scenario::valid_name(name) {
                return Err(format!(
                    "`{s}`: `{name}` is not a service name (letters, digits, '-', '_', '.')"
                ));
            }
            let prefix = format!("service[{name}].");
            return Ok(Figure::service(name, group_metric(metric, "service", name, &prefix)?));
        }
        for class in Priority::ALL {
            let Some(rest) = s.strip_prefix(class.as_str()).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            let metric = group_metric(rest, "priority class", class.as_str(), &format!("{}.", class.as_str()))?;
            return Ok(Figure::class(class, metric));
        }
        s.parse().map(Figure::whole).map_err(|e| {
            format!("{e}; or a priority class's or a service's, as interactive.METRIC, background.METRIC, service[NAME].METRIC")
        })
    }
}

impl std::str::FromStr for Metric {
    type Err = String;
    fn from_str(s: &str) -> Result<Metric, String> {
        let s = s.trim();
        let alias = match s {
            "p99.9" => "p999",
            "goodput-ratio" => "goodput_ratio",
            other => other,
        };
        Metric::ALL.into_iter().find(|m| m.name() == alias).ok_or_else(|| {
            let names: Vec<_> = Metric::ALL.iter().map(|m| m.name()).collect();
            format!(
                "unknown metric `{s}`{}: expected one of {}",
                did_you_mean(s, &names),
                names.join(", ")
            )
        })
    }
}

/// " (did you mean `goodput_ratio`?)" for a near miss among `names`, as for a scenario's keys.
/// A quantile other than those kept (`p95`) is no typo of one: it gets the quantiles kept.
fn did_you_mean(word: &str, names: &[&str]) -> String {
    let quantile = word.len() > 1 && word.starts_with('p') && word[1..].bytes().all(|b| b.is_ascii_digit());
    if quantile {
        return " (the quantiles kept are p50, p90, p99, p999 and max)".to_string();
    }
    crate::scenario::nearest(word, names).map_or(String::new(), |near| format!(" (did you mean `{near}`?)"))
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cmp {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "==")]
    Eq,
}

impl Cmp {
    pub fn symbol(self) -> &'static str {
        match self {
            Cmp::Lt => "<",
            Cmp::Le => "<=",
            Cmp::Gt => ">",
            Cmp::Ge => ">=",
            Cmp::Eq => "==",
        }
    }
    /// The same comparison with its sides swapped: `a < b` is `b > a`.
    pub fn mirror(self) -> Cmp {
        match self {
            Cmp::Lt => Cmp::Gt,
            Cmp::Le => Cmp::Ge,
            Cmp::Gt => Cmp::Lt,
            Cmp::Ge => Cmp::Le,
            Cmp::Eq => Cmp::Eq,
        }
    }

    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            // Infinities (a recovery that never came) are equal to themselves only: the
            // relative tolerance below is infinite next to one.
            Cmp::Eq => {
                a == b || (a.is_finite() && b.is_finite() && (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0))
            }
        }
    }
}

/// A share (0 to 1) as a percentage to one decimal, or to as many more (up to three) as keep
/// it from reading as a bound it does not reach: 0.9999 is "99.99%", not "100.0%" (the sweep's
/// heatmap printed 99.99% beside a table's 100.0%), 0.0004 is "0.04%", not "0.0%"; closer still,
/// ">99.999%" and "<0.001%".
pub fn share(v: f64) -> String {
    if !v.is_finite() {
        return format!("{}%", v * 100.0);
    }
    let p = v * 100.0;
    let honest = |s: &str| {
        let shown = s.parse::<f64>().unwrap_or(p);
        (v >= 1.0 || shown < 100.0) && (v <= 0.0 || shown > 0.0)
    };
    match (1..=3).map(|d| format!("{p:.d$}")).find(|s| honest(s)) {
        Some(s) => format!("{s}%"),
        None if v > 0.5 => ">99.999%".into(),
        None => "<0.001%".into(),
    }
}

/// A parsed `metric op value` check.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub text: String,
    /// The scenario's `name` for it, shown before the check.
    pub name: Option<String>,
    pub figure: Figure,
    pub cmp: Cmp,
    /// The bound, in seconds for time metrics.
    pub value: f64,
}

impl Threshold {
    /// How the summaries name it: `name: check`, or the check alone (as its result's label).
    pub fn label(&self) -> String {
        label(self.name.as_deref(), &self.text)
    }
    /// Whether `other` checks the same thing, however written (`recovery <= 10000ms` is
    /// `recovery <= 10s`, `goodput_ratio >= 90%` is `goodput_ratio >= 0.9`); names aside.
    pub fn same_check(&self, other: &Threshold) -> bool {
        self.figure == other.figure && self.cmp == other.cmp && self.value == other.value
    }

    /// Whether it bounds every service (`service[*].METRIC`): it holds when it holds for each
    /// service that was sent something.
    pub fn every_service(&self) -> bool {
        self.figure.scope == Scope::EveryService
    }
}

/// Splits `lhs op rhs` at the first comparison operator.
pub fn split_comparison(text: &str) -> Result<(&str, Cmp, &str), String> {
    // The operator as written: the first run of comparison characters (`=<` would otherwise
    // split at `<` and read `p99 =` as an unknown metric).
    let is_op = |c: char| matches!(c, '<' | '>' | '=' | '!');
    if let Some(start) = text.find(is_op) {
        let end = text[start..]
            .find(|c: char| !is_op(c))
            .map_or(text.len(), |n| start + n);
        let op = &text[start..end];
        if !matches!(op, "<=" | ">=" | "==" | "<" | ">") {
            let hint = match op {
                "=" => ": for equality write `==`".to_string(),
                "=<" | "=>" => format!(": write `{}`", op.chars().rev().collect::<String>()),
                _ => String::new(),
            };
            return Err(format!(
                "unknown operator `{op}` in `{}` (use one of <, <=, >, >=, ==){hint}",
                text.trim()
            ));
        }
    }
    for (sym, cmp) in [
        ("<=", Cmp::Le),
        (">=", Cmp::Ge),
        ("==", Cmp::Eq),
        ("<", Cmp::Lt),
        (">", Cmp::Gt),
    ] {
        if let Some(i) = text.find(sym) {
            let (l, r) = (text[..i].trim(), text[i + sym.len()..].trim());
            if l.is_empty() || r.is_empty() {
                break;
            }
            return Ok((l, cmp, r));
        }
    }
    Err(format!(
        "expected `metric op value` (op one of <, <=, >, >=, ==), got `{text}`"
    ))
}

/// Parses the bound of `metric cmp text`: a number, a percentage (`90%`) or, for time metrics,
/// a duration (`2s`). A bound that decides nothing is refused: below 0 (every figure is a count,
/// a time, a rate or a ratio), `< 0` (never met), a ratio's bound outside 0 to 1
/// (`goodput_ratio >= 99` is never met, `goodput_ratio <= 1.5` always), and a ratio's `> 1`.
/// Goodput (a rate) takes `50/s`, and a bound on it up to 1 must be written so: `goodput >= 0.8`
/// is the goodput ratio misnamed far more often than 0.8 successes a second. `figure` is the
/// figure as written (`service[*].shed`), for the message.
pub fn parse_bound(metric: Metric, cmp: Cmp, text: &str, figure: &str) -> Result<f64, String> {
    let v = parse_bound_range(metric, cmp, text)?;
    // Goodput is successes per second, and tables print the goodput *ratio*: `goodput >= 0.8`
    // beside a table of 25.3% read as a bound on that ratio, and held on any run with more
    // than 0.8 successes a second (a CI gate that always passed). A bound up to 1 must say it
    // is a rate (`0.8/s`); a larger one cannot be a ratio.
    if metric == Metric::Goodput && v > 0.0 && v <= 1.0 && !text.trim().ends_with("/s") {
        let (figure, t) = (figure.trim(), text.trim());
        let ratio = figure
            .strip_suffix("goodput")
            .map_or_else(|| figure.to_string(), |p| format!("{p}goodput_ratio"));
        return Err(format!(
            "`{figure} {} {t}`: goodput is a rate (successful intents per second), not the goodput ratio the tables show: for a share of the intents offered write `{ratio} {} {t}`; for {t} successes per second write `{figure} {} {t}/s`",
            cmp.symbol(),
            cmp.symbol(),
            cmp.symbol(),
        ));
    }
    // Attempts per intent: every intent sends at least one, so below 1 nothing is.
    if metric == Metric::Amplification && (v < 1.0 || (v == 1.0 && cmp == Cmp::Lt)) {
        let effect = match cmp {
            Cmp::Gt | Cmp::Ge => "always holds, so it checks nothing",
            _ => "could never be met",
        };
        return Err(format!(
            "amplification is attempts per intent, 1 without retries and never less, so `{} {} {}` {effect} (for no retries at all, write `{} == 1`)",
            figure.trim(),
            cmp.symbol(),
            text.trim(),
            figure.trim()
        ));
    }
    // A ratio is at most 1: `goodput_ratio > 1` (or `> 100%`) never holds.
    if metric.is_ratio() && v >= 1.0 && cmp == Cmp::Gt {
        let figure = figure.trim();
        // `== 1` is "every intent succeeded" for goodput; of wasted work it is "all wasted".
        let hint = if metric == Metric::GoodputRatio {
            format!(" (for all of them, write `{figure} == 1`)")
        } else {
            String::new()
        };
        return Err(format!(
            "`{figure} > {}` could never be met: {} is a ratio from 0 to 1 (0% to 100%), never more{hint}",
            text.trim(),
            metric.name(),
        ));
    }
    if v == 0.0 && cmp == Cmp::Lt {
        let figure = figure.trim();
        return Err(format!(
            "`{figure} < {}` could never be met: {} is never negative (for none at all, write `{figure} == 0`)",
            text.trim(),
            metric.name(),
        ));
    }
    Ok(v)
}

fn parse_bound_range(metric: Metric, cmp: Cmp, text: &str) -> Result<f64, String> {
    let v = parse_bound_value(metric, text)?;
    // Every figure is a count, a time, a rate or a ratio: `timeouts == -1` could never hold,
    // `timeouts > -1` always does.
    if v < 0.0 {
        return Err(format!(
            "{} is never negative, so a bound of `{}` decides nothing",
            metric.name(),
            text.trim()
        ));
    }
    if metric.is_ratio() && !(0.0..=1.0).contains(&v) {
        let t = text.trim();
        let hint = if t.ends_with('%') || !(1.0..=100.0).contains(&v) {
            String::new()
        } else {
            format!(": for {v}% write {}% or {}", t, v / 100.0)
        };
        // Above 1 (below 0 is refused above): `<` and `<=` always hold, the rest never do.
        let effect = if matches!(cmp, Cmp::Lt | Cmp::Le) {
            "always holds, so it checks nothing"
        } else {
            "could never be met"
        };
        return Err(format!(
            "{} is a ratio from 0 to 1 (0% to 100%), so a bound of `{t}` {effect}{hint}",
            metric.name()
        ));
    }
    Ok(v)
}

fn parse_bound_value(metric: Metric, text: &str) -> Result<f64, String> {
    let t = text.trim();
    // A rate, written as one: `goodput >= 50/s`.
    if let Some(n) = t.strip_suffix("/s") {
        if metric != Metric::Goodput {
            return Err(format!(
                "{} is not a rate: `/s` is for goodput (successful intents per second), got `{t}`",
                metric.name()
            ));
        }
        return match n.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(format!("expected a rate like 50/s for goodput, got `{t}`")),
        };
    }
    if let (Some(_), true) = (t.strip_suffix('%'), metric.is_time()) {
        return Err(format!(
            "{} is a time: write the bound with a unit, like 2s or 500ms, not a percentage",
            metric.name()
        ));
    }
    if let (Some(_), false) = (
        t.strip_suffix('%'),
        metric.is_ratio() || metric == Metric::Amplification,
    ) {
        // `timeouts < 5%` read as `< 0.05` fails on any timeout; `goodput > 95%` (a rate)
        // holds on anything: both look like a share and are not.
        let what = if metric == Metric::Goodput {
            "a rate (successful intents per second), not a share: bound goodput_ratio for a share of the intents offered"
        } else {
            "a count, not a share: write a number of them"
        };
        return Err(format!("{} is {what}", metric.name()));
    }
    if let Some(p) = t.strip_suffix('%') {
        return p
            .trim()
            .parse::<f64>()
            .map(|v| v / 100.0)
            .map_err(|_| format!("expected a percentage like 90%, got `{t}`"));
    }
    if let Ok(v) = t.parse::<f64>() {
        if !v.is_finite() {
            return Err(format!("expected a finite bound for {}, got `{t}`", metric.name()));
        }
        if metric.is_time() && v != 0.0 {
            return Err(format!(
                "{} is a time: write the bound with a unit, like {v}s or {v}ms",
                metric.name()
            ));
        }
        return Ok(v);
    }
    if metric.is_time() {
        return parse_duration(t).map(|d| d.as_secs_f64());
    }
    Err(format!("expected a number for {}, got `{t}`", metric.name()))
}

impl std::str::FromStr for Threshold {
    type Err = String;
    fn from_str(text: &str) -> Result<Threshold, String> {
        let (l, cmp, r) = split_comparison(text)?;
        let figure: Figure = l.parse()?;
        let value = parse_bound(figure.metric, cmp, r, l)?;
        Ok(Threshold {
            text: text.trim().to_string(),
            name: None,
            figure,
            cmp,
            value,
        })
    }
}

/// A threshold evaluated on one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    pub check: String,
    /// The scenario's `name` for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub value: Option<f64>,
    pub passed: bool,
    /// For `service[*]`: the service whose value is given (the worst one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Why there is no value: "never" (no recovery), "not judged" (the run ended too soon after
    /// its trigger), "nothing offered" (the run or group was sent nothing), "nothing succeeded"
    /// (a latency bound on a run or group whose every intent failed), "no value" (nothing
    /// measured).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<String>,
}

/// How summaries and reports name a threshold: `name: check`, or the check alone.
fn label(name: Option<&str>, check: &str) -> String {
    match name {
        Some(n) => format!("{n}: {check}"),
        None => check.to_string(),
    }
}

impl ThresholdResult {
    /// How reports name it: `name: check`, or the check alone.
    pub fn label(&self) -> String {
        label(self.name.as_deref(), &self.check)
    }

    /// Fails it, as not judged for `why` (its run covered too little to tell): the value goes,
    /// since what it measured is not the run's figure.
    pub fn not_judged(&mut self, why: &str) {
        (self.passed, self.value, self.service, self.missing) = (false, None, None, Some(why.into()));
    }

    /// What a report says after the check: "measured 1.20s", or, with no value, why alone
    /// ("never", "nothing offered", "not measured: ...": not "measured not measured").
    pub fn measured_phrase(&self) -> String {
        match self.value {
            Some(_) => format!("measured {}", self.measured()),
            None => self.measured(),
        }
    }

    /// The value as reports print it, in the metric's unit: "65.81%", "1.20s", "1.20s in
    /// service billing", "never".
    pub fn measured(&self) -> String {
        let bound = self.check.parse::<Threshold>().ok();
        let v = match (self.value, bound) {
            // Rounding must not make the value read as its bound (`1.00s` failing `< 1s`), nor
            // as on the other side of it: then it gets the digits that tell them apart.
            (Some(v), Some(t)) => t.figure.metric.show_against(v, t.cmp, t.value),
            (Some(v), None) => format!("{v:.4}"),
            (None, _) => self.missing.clone().unwrap_or_else(|| "no value".into()),
        };
        match &self.service {
            Some(service) => format!("{v} in service {service}"),
            None => v,
        }
    }
}

/// Why a latency bound fails on a group that was sent intents but saw none succeed.
const NOTHING_SUCCEEDED: &str = "nothing succeeded (the latency would be of failures alone)";

/// Why a figure has no value in a group with `verdict` (see [`ThresholdResult::missing`]).
/// Why a recovery bound has no value when its run or group got no verdict.
pub const NOT_JUDGED: &str = "not judged";

fn missing(metric: Metric, verdict: Option<crate::results::Verdict>) -> String {
    use crate::results::Verdict;
    match (metric, verdict) {
        (Metric::Recovery, Some(Verdict::Metastable | Verdict::Overloaded)) => "never".into(),
        (Metric::Recovery, Some(Verdict::Stable)) => "no trigger".into(),
        (Metric::Recovery, _) => NOT_JUDGED.into(),
        _ => "no value".into(),
    }
}

impl Threshold {
    /// A missing value (no recovery) fails: the bound cannot be shown to hold.
    pub fn evaluate(&self, s: &Summary) -> ThresholdResult {
        if self.every_service() {
            return self.evaluate_every_service(s);
        }
        let group = self.figure.scope.figures(s);
        if self.figure.metric != Metric::Offered && group.as_ref().is_some_and(|g| g.offered == 0) {
            // A run (or group) that was sent nothing shows no goodput loss and no latency: a
            // bound on it would hold on nothing.
            return self.failed_without_value("nothing offered");
        }
        if self.figure.metric.is_latency() && group.as_ref().is_some_and(|g| g.successes == 0) {
            // Intent latency counts failures too: a target that answers every request with a
            // fast 404 or 503 has a fast p99, and a latency gate on it would pass a run in which
            // nothing worked.
            return self.failed_without_value(NOTHING_SUCCEEDED);
        }
        let value = self.figure.value(s);
        let verdict = group.and_then(|g| g.verdict);
        let why = || match self.figure.metric {
            Metric::Wasted | Metric::WastedRatio if s.external_target => {
                "not measured: against a --target, loadgen sees no backend work".to_string()
            }
            m => missing(m, verdict),
        };
        ThresholdResult {
            check: self.text.clone(),
            name: self.name.clone(),
            value,
            passed: value.is_some_and(|v| self.cmp.holds(v, self.value)),
            service: None,
            missing: value.is_none().then(why),
        }
    }

    /// Failed, with no value to show, for `why`.
    fn failed_without_value(&self, why: &str) -> ThresholdResult {
        ThresholdResult {
            check: self.text.clone(),
            name: self.name.clone(),
            value: None,
            passed: false,
            service: None,
            missing: Some(why.into()),
        }
    }

    /// `service[*]`: holds when it holds for every service that was sent something; the value
    /// given is the worst service's (the farthest on the wrong side of the bound, or the
    /// closest to it when all hold). No service sent anything: no value, so it fails.
    fn evaluate_every_service(&self, s: &Summary) -> ThresholdResult {
        let badness = |v: Option<f64>| match v {
            None => f64::INFINITY,
            Some(v) => match self.cmp {
                Cmp::Lt | Cmp::Le => v,
                Cmp::Gt | Cmp::Ge => -v,
                Cmp::Eq => (v - self.value).abs(),
            },
        };
        let mut worst: Option<(&String, Option<f64>, &GroupSummary)> = None;
        let mut passed = true;
        for (name, g) in crate::results::services_in_order(&s.services) {
            if g.offered == 0 {
                continue;
            }
            // As for one group (see `evaluate`): no latency bound holds on failures alone.
            let v = if self.figure.metric.is_latency() && g.successes == 0 {
                None
            } else {
                Figure::service(name, self.figure.metric).value_in(g)
            };
            passed &= v.is_some_and(|v| self.cmp.holds(v, self.value));
            if worst.is_none_or(|(_, w, _)| badness(v) > badness(w)) {
                worst = Some((name, v, g));
            }
        }
        let value = worst.and_then(|(_, v, _)| v);
        ThresholdResult {
            check: self.text.clone(),
            name: self.name.clone(),
            value,
            passed: passed && worst.is_some(),
            service: worst.map(|(n, _, _)| n.clone()),
            missing: value.is_none().then(|| match worst {
                // No service was sent anything, as for a whole run sent nothing.
                None => "nothing offered".to_string(),
                Some((_, _, g)) if self.figure.metric.is_latency() && g.successes == 0 => NOTHING_SUCCEEDED.into(),
                Some((_, _, g)) => missing(self.figure.metric, g.verdict),
            }),
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against an external target the backend's work was not measured: a bound on wasted work
    /// fails as "not measured" rather than passing on a zero nobody measured.
    #[test]
    fn wasted_work_of_an_external_target_is_not_measured() {
        let mut s = Summary::default();
        s.whole.offered = 10;
        let t: Threshold = "wasted_ratio <= 0.05".parse().unwrap();
        assert!(t.evaluate(&s).passed, "measured: 0 of 0");
        s.external_target = true;
        let r = t.evaluate(&s);
        assert!(!r.passed);
        assert!(r.measured().starts_with("not measured"), "{}", r.measured());
        assert_eq!(r.measured_phrase(), r.measured());
        let mut with_value = r.clone();
        with_value.value = Some(0.5);
        assert!(
            with_value.measured_phrase().starts_with("measured "),
            "{}",
            with_value.measured_phrase()
        );
        assert!(!"wasted < 1s".parse::<Threshold>().unwrap().evaluate(&s).passed);
        assert!("goodput_ratio >= 0".parse::<Threshold>().unwrap().evaluate(&s).passed);
    }

    /// The same check however written; a different figure, comparison or bound is another.
    #[test]
    fn same_check_is_by_meaning() {
        let t = |s: &str| s.parse::<Threshold>().unwrap();
        for (a, b) in [
            ("goodput_ratio >= 0.9", "goodput_ratio>=90%"),
            ("goodput_ratio >= 0.9", "goodput_ratio >= 0.90"),
            ("recovery <= 10s", "recovery <= 10000ms"),
            ("service[a].p99 < 2s", "service[a].p99<2000ms"),
        ] {
            assert!(t(a).same_check(&t(b)), "{a} vs {b}");
        }
        for (a, b) in [
            ("goodput_ratio >= 0.9", "goodput_ratio > 0.9"),
            ("goodput_ratio >= 0.9", "goodput_ratio >= 0.8"),
            ("p99 < 2s", "p50 < 2s"),
            ("service[a].p99 < 2s", "service[b].p99 < 2s"),
        ] {
            assert!(!t(a).same_check(&t(b)), "{a} vs {b}");
        }
    }

    /// A run that was sent nothing has 100% goodput and 0 s latency by arithmetic: thresholds
    /// on it fail as "nothing offered" instead of passing on nothing.
    #[test]
    fn thresholds_on_a_run_sent_nothing_fail() {
        let s = Summary::default();
        for text in ["goodput_ratio >= 0.9", "p99 < 1s", "timeouts < 5"] {
            let r = text.parse::<Threshold>().unwrap().evaluate(&s);
            assert!(!r.passed, "{text}");
            assert_eq!(r.measured(), "nothing offered");
        }
        assert!("offered < 10".parse::<Threshold>().unwrap().evaluate(&s).passed);
    }

    /// A missing recovery says why: never recovered, not judged (a run cut short), no trigger.
    #[test]
    fn a_missing_value_says_why() {
        use crate::results::Verdict;
        let t: Threshold = "recovery <= 30s".parse().unwrap();
        let mut s = Summary::default();
        s.whole.offered = 10;
        for (verdict, why) in [
            (Some(Verdict::Metastable), "never"),
            (Some(Verdict::Overloaded), "never"),
            (None, "not judged"),
            (Some(Verdict::Stable), "no trigger"),
        ] {
            s.whole.verdict = verdict;
            let r = t.evaluate(&s);
            assert_eq!((r.passed, r.measured()), (false, why.to_string()), "{verdict:?}");
        }
        s.whole.recovery_s = Some(12.0);
        s.whole.verdict = Some(Verdict::Recovered);
        let r = t.evaluate(&s);
        assert_eq!((r.passed, r.measured(), r.missing), (true, "12.0s".to_string(), None));
        let r = "goodput_ratio >= 0.9".parse::<Threshold>().unwrap().evaluate(&s);
        assert_eq!(r.measured(), "0.00%");
    }

    /// A failing value never reads as its bound, nor as on the passing side of it: rounding
    /// that would hide the difference gives way to the digits that show it.
    #[test]
    fn a_value_is_never_shown_as_its_bound() {
        let result = |check: &str, v: f64| {
            let t: Threshold = check.parse().unwrap();
            let r = ThresholdResult {
                check: check.into(),
                name: None,
                value: Some(v),
                passed: t.cmp.holds(v, t.value),
                service: None,
                missing: None,
            };
            (r.passed, r.measured())
        };
        assert_eq!(result("p99 < 1s", 1.000447), (false, "1.0004s".into()));
        assert_eq!(result("service[api.v2].p99 < 1s", 1.000447), (false, "1.0004s".into()));
        // Rounded down to 1.00s it would read as passing `< 1.001s`.
        assert_eq!(result("p99 < 1.001s", 1.0012), (false, "1.0012s".into()));
        assert_eq!(result("p99 < 1.001s", 1.0016), (false, "1.002s".into()));
        assert_eq!(result("goodput_ratio >= 0.9", 0.899_999), (false, "89.9999%".into()));
        assert_eq!(result("goodput_ratio >= 0.9", 0.8994), (false, "89.94%".into()));
        assert_eq!(result("amplification <= 1.5", 1.500_02), (false, "1.50002".into()));
        assert_eq!(result("p99 <= 50ms", 0.050_04), (false, "50.04ms".into()));
        // Values the usual rounding already tells from the bound keep it.
        assert_eq!(result("p99 < 1s", 1.2), (false, "1.20s".into()));
        assert_eq!(result("p99 < 2s", 1.000447), (true, "1.00s".into()));
        assert_eq!(result("p99 <= 1s", 1.0), (true, "1.00s".into()));
        assert_eq!(result("timeouts == 0", 3.0), (false, "3".into()));
    }

    /// A share below 100% never reads "100.0%", nor one above 0 "0.0%".
    #[test]
    fn a_share_never_reads_as_a_bound_it_does_not_reach() {
        assert_eq!(share(0.9999), "99.99%");
        assert_eq!(share(0.99988), "99.99%");
        assert_eq!(share(0.99999999), ">99.999%");
        assert_eq!(share(1.0), "100.0%");
        assert_eq!(share(0.0), "0.0%");
        assert_eq!(share(0.0004), "0.04%");
        assert_eq!(share(1e-9), "<0.001%");
        assert_eq!(share(0.7115), "71.2%");
    }

    /// An operator written the other way round, or `=`, is named as the operator it is.
    #[test]
    fn unknown_operators_are_named() {
        for (t, want) in [
            (
                "p99 =< 2s",
                "unknown operator `=<` in `p99 =< 2s` (use one of <, <=, >, >=, ==): write `<=`",
            ),
            (
                "p99 => 2s",
                "unknown operator `=>` in `p99 => 2s` (use one of <, <=, >, >=, ==): write `>=`",
            ),
            (
                "shed = 0",
                "unknown operator `=` in `shed = 0` (use one of <, <=, >, >=, ==): for equality write `==`",
            ),
            ("shed != 0", "unknown operator `!=`"),
            ("shed <== 0", "unknown operator `<==`"),
        ] {
            let e = t.parse::<Threshold>().unwrap_err();
            assert!(e.starts_with(want), "{t}: {e}");
        }
        assert!("p99 <= 2s".parse::<Threshold>().is_ok());
        assert!("p99<2s".parse::<Threshold>().is_ok());
    }

    /// A percentage bound on a time read as seconds (`p99 < 50%` was p99 < 0.5 s); NaN bounds
    /// always failed.
    #[test]
    fn bounds_must_fit_the_metric() {
        let e = "p99 < 50%".parse::<Threshold>().unwrap_err();
        assert!(e.contains("not a percentage"), "{e}");
        let e = "goodput_ratio >= nan".parse::<Threshold>().unwrap_err();
        assert!(e.contains("finite"), "{e}");
        assert_eq!("goodput_ratio >= 90%".parse::<Threshold>().unwrap().value, 0.9);
        // A ratio is from 0 to 1: 99 meant 99%, and could never hold.
        let e = "goodput_ratio >= 99".parse::<Threshold>().unwrap_err();
        assert!(
            e.contains("goodput_ratio is a ratio from 0 to 1 (0% to 100%), so a bound of `99` could never be met: for 99% write 99% or 0.99"),
            "{e}"
        );
        // Figures are never negative: a negative bound decides nothing, `< 0` never holds.
        for t in ["timeouts == -1", "timeouts > -1", "goodput_ratio >= -10%"] {
            let e = t.parse::<Threshold>().unwrap_err();
            assert!(e.contains("is never negative, so a bound of `-1"), "{t}: {e}");
        }
        for t in ["p99 < 0s", "shed < 0"] {
            let e = t.parse::<Threshold>().unwrap_err();
            assert!(e.contains("could never be met"), "{t}: {e}");
        }
        assert!("shed == 0".parse::<Threshold>().is_ok() && "shed <= 0".parse::<Threshold>().is_ok());
        // A ratio's `> 1` never holds: refused wherever a bound is written (a file's threshold,
        // --slo, --expect), not only in a file.
        for t in ["goodput_ratio > 1", "service[a].goodput_ratio > 1"] {
            let e = t.parse::<Threshold>().unwrap_err();
            assert!(e.contains("could never be met") && e.contains("== 1`"), "{t}: {e}");
        }
        let e = "wasted_ratio > 100%".parse::<Threshold>().unwrap_err();
        assert!(e.contains("could never be met") && !e.contains("== 1"), "{e}");
        assert!("goodput_ratio >= 1".parse::<Threshold>().is_ok());
        let e = "goodput_ratio >= 120%".parse::<Threshold>().unwrap_err();
        assert!(e.ends_with("could never be met"), "{e}");
        // Above 1 with `<` or `<=`, the check always holds: said so, not "never met".
        for t in ["goodput_ratio <= 1.5", "wasted_ratio < 120%"] {
            let e = t.parse::<Threshold>().unwrap_err();
            assert!(e.contains("always holds, so it checks nothing"), "{t}: {e}");
        }
        assert_eq!("goodput_ratio >= 1".parse::<Threshold>().unwrap().value, 1.0);
        // Amplification is at least 1: a bound below it decides nothing.
        for (t, effect) in [
            ("amplification <= 0.5", "could never be met"),
            ("amplification < 1", "could never be met"),
            ("amplification >= 0.9", "always holds, so it checks nothing"),
        ] {
            let e = t.parse::<Threshold>().unwrap_err();
            assert!(
                e.contains("amplification is attempts per intent") && e.contains(effect),
                "{t}: {e}"
            );
        }
        for t in [
            "amplification <= 1",
            "amplification == 1",
            "amplification < 1.5",
            "amplification > 1",
        ] {
            assert!(t.parse::<Threshold>().is_ok(), "{t}");
        }
        // A percentage on a count or a rate looks like a share and is not: `timeouts < 5%`
        // failed on any timeout, `goodput > 95%` held on anything.
        for (t, why) in [
            ("timeouts < 5%", "timeouts is a count, not a share"),
            ("service[a].shed <= 10%", "shed is a count, not a share"),
            (
                "goodput > 95%",
                "goodput is a rate (successful intents per second), not a share",
            ),
        ] {
            let e = t.parse::<Threshold>().unwrap_err();
            assert!(e.contains(why), "{t}: {e}");
        }
        assert_eq!("wasted_ratio <= 5%".parse::<Threshold>().unwrap().value, 0.05);
    }

    /// `goodput >= 0.8` beside tables of the goodput ratio meant the ratio, and held on any run
    /// with more than 0.8 successes a second: a bound on goodput up to 1 must say it is a rate.
    #[test]
    fn a_goodput_bound_below_one_must_be_written_as_a_rate() {
        for (t, ratio) in [
            ("goodput >= 0.8", "`goodput_ratio >= 0.8`"),
            ("goodput == 1", "`goodput_ratio == 1`"),
            (
                "service[billing].goodput > 0.5",
                "`service[billing].goodput_ratio > 0.5`",
            ),
            ("interactive.goodput >= 0.9", "`interactive.goodput_ratio >= 0.9`"),
        ] {
            let e = t.parse::<Threshold>().unwrap_err();
            assert!(
                e.contains("goodput is a rate") && e.contains(ratio) && e.contains("/s`"),
                "{t}: {e}"
            );
        }
        let t: Threshold = "goodput >= 0.8/s".parse().unwrap();
        assert_eq!((t.figure.metric, t.cmp, t.value), (Metric::Goodput, Cmp::Ge, 0.8));
        assert_eq!("goodput > 50/s".parse::<Threshold>().unwrap().value, 50.0);
        // Larger bounds cannot be a ratio; 0 is either.
        assert_eq!("goodput >= 30".parse::<Threshold>().unwrap().value, 30.0);
        assert_eq!("goodput > 0".parse::<Threshold>().unwrap().value, 0.0);
        // `/s` is for the rate alone.
        let e = "goodput_ratio >= 0.8/s".parse::<Threshold>().unwrap_err();
        assert!(e.contains("not a rate"), "{e}");
        assert!("goodput >= -1/s".parse::<Threshold>().is_err());
        assert!("goodput >= x/s".parse::<Threshold>().unwrap_err().contains("like 50/s"));
        // The measured value is shown as a rate, against a bound written as one.
        let r = ThresholdResult {
            check: "goodput >= 0.8/s".into(),
            name: None,
            value: Some(37.185),
            passed: true,
            service: None,
            missing: None,
        };
        assert_eq!(r.measured(), "37.2/s");
        assert_eq!("amplification <= 110%".parse::<Threshold>().unwrap().value, 1.1);
    }

    #[test]
    fn parses_examples() {
        let t: Threshold = "goodput_ratio >= 0.9".parse().unwrap();
        assert_eq!((t.figure.metric, t.cmp, t.value), (Metric::GoodputRatio, Cmp::Ge, 0.9));
        let t: Threshold = "p99 < 2s".parse().unwrap();
        assert_eq!((t.figure.metric, t.cmp, t.value), (Metric::P99, Cmp::Lt, 2.0));
        let t: Threshold = "recovery<=10s".parse().unwrap();
        assert_eq!((t.figure.metric, t.cmp, t.value), (Metric::Recovery, Cmp::Le, 10.0));
        let t: Threshold = "goodput_ratio > 90%".parse().unwrap();
        assert!((t.value - 0.9).abs() < 1e-12);
    }

    #[test]
    fn rejects_nonsense() {
        assert!("p99 2s".parse::<Threshold>().unwrap_err().contains("op"));
        assert!("latency < 2s"
            .parse::<Threshold>()
            .unwrap_err()
            .contains("unknown metric"));
        assert!("p99 < 2".parse::<Threshold>().unwrap_err().contains("unit"));
        assert!("amplification <= lots".parse::<Threshold>().is_err());
    }

    /// A near miss of a metric's name gets the name it was likely meant as, as a scenario's
    /// mistyped key does; a word near none gets the list alone.
    #[test]
    fn a_mistyped_metric_gets_a_did_you_mean() {
        let err = "goodput_ration >= 0.9".parse::<Threshold>().unwrap_err();
        assert!(
            err.starts_with("unknown metric `goodput_ration` (did you mean `goodput_ratio`?): expected one of"),
            "{err}"
        );
        let err = "service[billing].timouts < 5".parse::<Threshold>().unwrap_err();
        assert!(
            err.contains("`timouts` of service billing (did you mean `timeouts`?)"),
            "{err}"
        );
        // A quantile not kept is no typo of p90.
        let err = "p95 < 2s".parse::<Threshold>().unwrap_err();
        assert!(
            err.contains("`p95` (the quantiles kept are p50, p90, p99, p999 and max)") && !err.contains("did you mean"),
            "{err}"
        );
        let err = "latency < 2s".parse::<Threshold>().unwrap_err();
        assert!(!err.contains("did you mean"), "{err}");
    }

    #[test]
    fn names_a_priority_class_figure() {
        let t: Threshold = "interactive.p99 < 500ms".parse().unwrap();
        assert_eq!(t.figure.scope, Scope::Class(Priority::Interactive));
        assert_eq!((t.figure.metric, t.value), (Metric::P99, 0.5));
        let t: Threshold = "background.p99.9 <= 30s".parse().unwrap();
        assert_eq!(t.figure.to_string(), "background.p999");
        let t: Threshold = "interactive.recovery < 5s".parse().unwrap();
        assert_eq!(t.figure, Figure::class(Priority::Interactive, Metric::Recovery));
        let err = "interactive.wasted_ratio < 0.1".parse::<Threshold>().unwrap_err();
        assert!(
            err.contains("whole run, not per priority class (drop `interactive.`)"),
            "{err}"
        );
        let err = "vip.p99 < 5s".parse::<Threshold>().unwrap_err();
        assert!(err.contains("interactive.METRIC"), "{err}");
        assert!("interactive.latency < 2s"
            .parse::<Threshold>()
            .unwrap_err()
            .contains("unknown metric"));
    }

    #[test]
    fn names_a_service_figure() {
        let t: Threshold = "service[orders.v2].p99.9 < 2s".parse().unwrap();
        assert_eq!(t.figure, Figure::service("orders.v2", Metric::P999));
        assert_eq!(t.figure.to_string(), "service[orders.v2].p999");
        assert_eq!(t.figure.to_string().parse::<Figure>().unwrap(), t.figure);
        for (bad, why) in [
            ("service[orders.p99 < 2s", "expected service[NAME].METRIC"),
            ("service[orders]p99 < 2s", "expected service[NAME].METRIC"),
            ("service[].p99 < 2s", "is not a service name"),
            ("service[a b].p99 < 2s", "is not a service name"),
            ("service[a].wasted < 2s", "not per service (drop `service[a].`)"),
            ("service[a].latency < 2s", "unknown metric `latency` of service a"),
        ] {
            let err = bad.parse::<Threshold>().unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn a_service_figure_reads_the_service_summary() {
        use crate::results::{GroupCounters, GroupSummary, Percentiles};
        let mut s = Summary::default();
        let slow = GroupCounters {
            intents: 10,
            attempts: 10,
            successes: 4,
            timeouts: 6,
            ..Default::default()
        };
        s.services
            .insert("b".into(), GroupSummary::of(&slow, Percentiles::default(), 10.0));
        let b: Threshold = "service[b].goodput_ratio >= 0.9".parse().unwrap();
        assert_eq!(b.evaluate(&s).value, Some(0.4));
        let a: Threshold = "service[a].goodput_ratio >= 0.9".parse().unwrap();
        assert_eq!(a.evaluate(&s).value, None, "no such service: no value");
        let p99: Threshold = "service[b].p99 < 1s".parse().unwrap();
        assert_eq!(p99.evaluate(&s).value, None, "no finished intent: no latency");
    }

    #[test]
    fn a_class_figure_reads_the_class_summary() {
        use crate::results::{GroupCounters, GroupSummary, Percentiles};
        let mut s = Summary {
            duration_s: 10.0,
            whole: GroupSummary {
                shed: 7,
                ..Default::default()
            },
            ..Default::default()
        };
        let bg = GroupCounters {
            intents: 10,
            attempts: 17,
            shed: 7,
            successes: 10,
            ..Default::default()
        };
        s.classes.insert(
            Priority::Background,
            GroupSummary::of(&bg, Percentiles::default(), 10.0),
        );
        let fg = GroupCounters {
            intents: 5,
            attempts: 5,
            successes: 5,
            ..Default::default()
        };
        s.classes.insert(
            Priority::Interactive,
            GroupSummary::of(&fg, Percentiles::default(), 10.0),
        );
        let whole: Threshold = "shed == 0".parse().unwrap();
        let users: Threshold = "interactive.shed == 0".parse().unwrap();
        let batch: Threshold = "background.amplification <= 1.5".parse().unwrap();
        assert!(!whole.evaluate(&s).passed);
        assert!(users.evaluate(&s).passed);
        let b = batch.evaluate(&s);
        assert_eq!(b.value, Some(1.7));
        assert!(!b.passed);
    }

    /// `service[*]` bounds every service that was sent something and reports the worst one.
    #[test]
    fn a_bound_on_every_service() {
        let t: Threshold = "service[*].goodput_ratio >= 0.8".parse().unwrap();
        assert!(t.every_service());
        assert_eq!(t.figure.to_string(), "service[*].goodput_ratio");
        assert!(
            "service[*].wasted < 1s".parse::<Threshold>().is_err(),
            "wasted is not per service"
        );
        assert!("service[*] >= 0.8".parse::<Threshold>().is_err());
        let g = |offered, goodput_ratio, p99: f64, count| {
            let mut g = GroupSummary {
                offered,
                goodput_ratio,
                successes: count,
                ..Default::default()
            };
            (g.latency.p99, g.latency.count) = (p99, count);
            g
        };
        let mut s = Summary::default();
        s.services.insert("a".into(), g(10, 0.95, 0.5, 10));
        s.services.insert("b".into(), g(10, 0.85, 1.5, 10));
        s.services.insert("idle".into(), g(0, 1.0, 0.0, 0));
        let r = t.evaluate(&s);
        assert_eq!((r.passed, r.value, r.service.as_deref()), (true, Some(0.85), Some("b")));
        let r = "service[*].goodput_ratio > 0.9"
            .parse::<Threshold>()
            .unwrap()
            .evaluate(&s);
        assert_eq!(
            (r.passed, r.value, r.service.as_deref()),
            (false, Some(0.85), Some("b"))
        );
        assert_eq!(r.measured(), "85.00% in service b");
        let r = "service[*].p99 < 1s".parse::<Threshold>().unwrap().evaluate(&s);
        assert_eq!(r.measured(), "1.50s in service b");
        assert_eq!(
            (r.passed, r.service.as_deref()),
            (false, Some("b")),
            "the idle service is skipped"
        );
        let r = "service[*].p99 < 2s".parse::<Threshold>().unwrap().evaluate(&s);
        assert!(r.passed, "{r:?}");
        // A service that was sent something but finished nothing has no latency: it fails.
        s.services.insert("stuck".into(), g(10, 0.0, 0.0, 0));
        let r = "service[*].p99 < 2s".parse::<Threshold>().unwrap().evaluate(&s);
        assert_eq!((r.passed, r.value, r.service.as_deref()), (false, None, Some("stuck")));
        // A service whose intents all failed (fast) has a latency of failures alone: it fails.
        let mut failing = g(10, 0.0, 0.01, 10);
        failing.successes = 0;
        s.services.insert("stuck".into(), failing);
        let r = "service[*].p99 < 2s".parse::<Threshold>().unwrap().evaluate(&s);
        assert_eq!((r.passed, r.value, r.service.as_deref()), (false, None, Some("stuck")));
        assert_eq!(r.measured(), format!("{NOTHING_SUCCEEDED} in service stuck"));
        // No service sent anything: nothing shows the bound holds.
        let r = t.evaluate(&Summary::default());
        assert_eq!(r.measured(), "nothing offered");
        assert_eq!((r.passed, r.value, r.service), (false, None, None));
    }

    /// `service[*]` as one figure (an expectation, an objective) is the worst service's, by
    /// the metric's own direction, among those offered something; no value is worse than any.
    #[test]
    fn every_service_as_one_figure_is_the_worst() {
        let g = |offered, goodput_ratio, p99: f64, successes| {
            let mut g = GroupSummary {
                offered,
                goodput_ratio,
                successes,
                ..Default::default()
            };
            (g.latency.p99, g.latency.count) = (p99, successes);
            g
        };
        let mut s = Summary::default();
        s.services.insert("legacy-10".into(), g(10, 0.5, 0.2, 5));
        s.services.insert("legacy-2".into(), g(10, 0.9, 3.0, 9));
        s.services.insert("idle".into(), g(0, 0.0, 9.0, 0));
        let f = |t: &str| t.parse::<Figure>().unwrap();
        assert_eq!(f("service[*].p99").scope, Scope::EveryService);
        assert_eq!(f("service[ * ].p99").to_string(), "service[*].p99");
        // Lower goodput is worse; higher latency is worse; the idle service is skipped.
        assert_eq!(f("service[*].goodput_ratio").value(&s), Some(0.5));
        assert_eq!(f("service[*].p99").value(&s), Some(3.0));
        let worst = |t: &str, s: &Summary| f(t).worst_service(&s.services).map(|(n, _)| n.to_string());
        assert_eq!(worst("service[*].goodput_ratio", &s).as_deref(), Some("legacy-10"));
        assert_eq!(worst("service[*].p99", &s).as_deref(), Some("legacy-2"));
        assert_eq!(
            f("service[*].p99").group(&s).map(|g| g.goodput_ratio),
            Some(0.9),
            "the group read is the worst service's"
        );
        // A tie goes to the first in natural order: legacy-2 before legacy-10.
        s.services.insert("legacy-10".into(), g(10, 0.9, 3.0, 9));
        assert_eq!(worst("service[*].p99", &s).as_deref(), Some("legacy-2"));
        // A service that finished nothing has no latency: worse than any that has one.
        s.services.insert("stuck".into(), g(10, 0.0, 0.0, 0));
        assert_eq!(worst("service[*].p99", &s).as_deref(), Some("stuck"));
        assert_eq!(f("service[*].p99").value(&s), None);
        // Recovery: never (judged, no value) is worse than late; not judged worst of all.
        let mut r = Summary::default();
        let judged = |recovery_s| GroupSummary {
            offered: 10,
            verdict: Some(crate::results::Verdict::Recovered),
            recovery_s,
            ..Default::default()
        };
        r.services.insert("fast".into(), judged(Some(2.0)));
        r.services.insert("slow".into(), judged(Some(9.0)));
        assert_eq!(worst("service[*].recovery", &r).as_deref(), Some("slow"));
        r.services.insert("never".into(), judged(None));
        assert_eq!(worst("service[*].recovery", &r).as_deref(), Some("never"));
        r.services.insert(
            "unjudged".into(),
            GroupSummary {
                offered: 10,
                ..Default::default()
            },
        );
        assert_eq!(worst("service[*].recovery", &r).as_deref(), Some("unjudged"));
        // Nothing offered anywhere: no worst service, no value.
        assert_eq!(f("service[*].p99").value(&Summary::default()), None);
        // The parser still checks the metric.
        assert!("service[*].wasted".parse::<Figure>().is_err());
        // As one figure, only metrics that compare across loads.
        for ok in ["goodput_ratio", "p99", "max", "amplification", "recovery"] {
            assert_eq!(f(&format!("service[*].{ok}")).worst_service_problem(), None, "{ok}");
        }
        for refused in ["goodput", "shed", "offered", "successes", "timeouts"] {
            let e = f(&format!("service[*].{refused}"))
                .worst_service_problem()
                .expect(refused);
            assert!(e.contains("by its load"), "{e}");
        }
        assert_eq!(f("service[billing].shed").worst_service_problem(), None);
    }

    /// Intent latency counts failures: a run whose every intent failed fast (a target that
    /// answers 404 or 503 at once) has a small p99, and a latency gate must not pass it. A
    /// run with one success is judged on its latency as usual.
    #[test]
    fn a_latency_bound_fails_when_nothing_succeeded() {
        let mut s = Summary::default();
        s.whole.offered = 100;
        s.whole.latency.count = 100;
        s.whole.latency.p99 = 0.002;
        s.whole.latency.max = 0.003;
        for text in ["p99 < 500ms", "p50 <= 1s", "max < 1s"] {
            let r = text.parse::<Threshold>().unwrap().evaluate(&s);
            assert!(!r.passed, "{text}");
            assert_eq!((r.value, r.measured()), (None, NOTHING_SUCCEEDED.to_string()), "{text}");
        }
        // Other figures are judged as they are: nothing succeeded is what they measure.
        assert!("timeouts == 0".parse::<Threshold>().unwrap().evaluate(&s).passed);
        // The figure itself has no value either (compare's expectations, baselines and report
        // tables read it), as a group's has none.
        assert_eq!(Figure::whole(Metric::P99).value(&s), None);
        assert_eq!(Figure::whole(Metric::Timeouts).value(&s), Some(0.0));
        s.whole.successes = 1;
        assert_eq!(Figure::whole(Metric::P99).value(&s), Some(0.002));
        let r = "p99 < 500ms".parse::<Threshold>().unwrap().evaluate(&s);
        assert_eq!((r.passed, r.value), (true, Some(0.002)));
    }

    #[test]
    fn evaluates_against_a_summary() {
        let mut s = Summary::default();
        s.whole.offered = 100;
        s.whole.goodput_ratio = 0.95;
        s.whole.latency.p99 = 2.5;
        let ok: Threshold = "goodput_ratio >= 0.9".parse().unwrap();
        let bad: Threshold = "p99 < 2s".parse().unwrap();
        let none: Threshold = "recovery <= 10s".parse().unwrap();
        assert!(ok.evaluate(&s).passed);
        assert!(!bad.evaluate(&s).passed);
        assert!(!none.evaluate(&s).passed, "no recovery cannot pass a recovery bound");
    }
}
