//! Pass/fail expressions on a run's results: `goodput_ratio >= 0.9`, `p99 < 2s`,
//! `recovery <= 10s`, `amplification <= 1.2`.

use crate::duration::parse_duration;
use crate::results::Summary;
use serde::{Deserialize, Serialize};
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

    /// Whether a larger value is better (for regression checks).
    pub fn higher_is_better(self) -> bool {
        matches!(self, Metric::GoodputRatio | Metric::Goodput | Metric::Successes)
    }

    /// The value in a run's summary; `None` when it does not exist (no recovery happened).
    pub fn value(self, s: &Summary) -> Option<f64> {
        Some(match self {
            Metric::GoodputRatio => s.goodput_ratio,
            Metric::Goodput => s.goodput,
            Metric::Offered => s.offered as f64,
            Metric::Attempts => s.attempts as f64,
            Metric::Successes => s.successes as f64,
            Metric::Amplification => s.amplification,
            Metric::P50 => s.latency.p50,
            Metric::P90 => s.latency.p90,
            Metric::P99 => s.latency.p99,
            Metric::P999 => s.latency.p999,
            Metric::Max => s.latency.max,
            Metric::Recovery => return s.recovery_s,
            Metric::Timeouts => s.timeouts as f64,
            Metric::Shed => s.shed as f64,
            Metric::RateLimited => s.rate_limited as f64,
            Metric::Expired => s.expired as f64,
            Metric::Errors => s.errors as f64,
            Metric::Wasted => s.wasted_s,
            Metric::WastedRatio => s.wasted_ratio,
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
            format!("unknown metric `{s}`: expected one of {}", names.join(", "))
        })
    }
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
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
            Cmp::Eq => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        }
    }
}

/// A parsed `metric op value` check.
#[derive(Clone, Debug, PartialEq)]
pub struct Threshold {
    pub text: String,
    pub metric: Metric,
    pub cmp: Cmp,
    /// The bound, in seconds for time metrics.
    pub value: f64,
}

/// Splits `lhs op rhs` at the first comparison operator.
pub fn split_comparison(text: &str) -> Result<(&str, Cmp, &str), String> {
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

/// Parses a bound: a number, a percentage (`90%`) or, for time metrics, a duration (`2s`).
pub fn parse_bound(metric: Metric, text: &str) -> Result<f64, String> {
    let t = text.trim();
    if let Some(p) = t.strip_suffix('%') {
        return p
            .trim()
            .parse::<f64>()
            .map(|v| v / 100.0)
            .map_err(|_| format!("expected a percentage like 90%, got `{t}`"));
    }
    if let Ok(v) = t.parse::<f64>() {
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
        let metric: Metric = l.parse()?;
        let value = parse_bound(metric, r)?;
        Ok(Threshold {
            text: text.trim().to_string(),
            metric,
            cmp,
            value,
        })
    }
}

/// A threshold evaluated on one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThresholdResult {
    pub check: String,
    pub value: Option<f64>,
    pub passed: bool,
}

impl Threshold {
    /// A missing value (no recovery) fails: the bound cannot be shown to hold.
    pub fn evaluate(&self, s: &Summary) -> ThresholdResult {
        let value = self.metric.value(s);
        let passed = value.is_some_and(|v| self.cmp.holds(v, self.value));
        ThresholdResult {
            check: self.text.clone(),
            value,
            passed,
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

    #[test]
    fn parses_examples() {
        let t: Threshold = "goodput_ratio >= 0.9".parse().unwrap();
        assert_eq!((t.metric, t.cmp, t.value), (Metric::GoodputRatio, Cmp::Ge, 0.9));
        let t: Threshold = "p99 < 2s".parse().unwrap();
        assert_eq!((t.metric, t.cmp, t.value), (Metric::P99, Cmp::Lt, 2.0));
        let t: Threshold = "recovery<=10s".parse().unwrap();
        assert_eq!((t.metric, t.cmp, t.value), (Metric::Recovery, Cmp::Le, 10.0));
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

    #[test]
    fn evaluates_against_a_summary() {
        let mut s = Summary {
            goodput_ratio: 0.95,
            ..Default::default()
        };
        s.latency.p99 = 2.5;
        let ok: Threshold = "goodput_ratio >= 0.9".parse().unwrap();
        let bad: Threshold = "p99 < 2s".parse().unwrap();
        let none: Threshold = "recovery <= 10s".parse().unwrap();
        assert!(ok.evaluate(&s).passed);
        assert!(!bad.evaluate(&s).passed);
        assert!(!none.evaluate(&s).passed, "no recovery cannot pass a recovery bound");
    }
}
