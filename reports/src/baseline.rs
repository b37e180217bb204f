//! Regressions against a baseline: `spillway compare --baseline OLD.json NEW.json`.
//!
//! Each metric has a direction (goodput up is better, p99 down is better). A change counts as a
//! regression when it goes the wrong way by more than the relative tolerance *and* by more than
//! the metric's resolution, so 0.1% wasted work after 0% is not flagged as an infinite change.

use model::results::{fmt_secs, Results};
use model::threshold::Metric;
use serde::Serialize;

/// The metrics compared, in report order.
pub const METRICS: [Metric; 10] = [
    Metric::GoodputRatio,
    Metric::Goodput,
    Metric::P50,
    Metric::P90,
    Metric::P99,
    Metric::P999,
    Metric::Amplification,
    Metric::WastedRatio,
    Metric::Timeouts,
    Metric::Recovery,
];

/// Changes smaller than this are noise whatever their relative size.
fn resolution(m: Metric, old: &Results) -> f64 {
    match m {
        Metric::GoodputRatio | Metric::WastedRatio => 0.01,
        Metric::Amplification => 0.01,
        Metric::Goodput => 0.01 * old.summary.goodput.abs().max(1.0),
        // One window: the verdict cannot place recovery more finely.
        Metric::Recovery => old.window_s,
        Metric::Timeouts => (0.001 * old.summary.offered as f64).max(1.0),
        // A millisecond, or the histograms' 1% precision.
        _ => 0.001,
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Better,
    Same,
    Worse,
    /// Worse by more than the tolerance.
    Regression,
}

#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub metric: &'static str,
    pub higher_is_better: bool,
    pub old: Option<f64>,
    pub new: Option<f64>,
    /// Relative change in the bad direction is positive; `None` when it cannot be expressed.
    pub worse_by: Option<f64>,
    pub change: Change,
}

/// Compares `new` with `old`, metric by metric.
pub fn compare(old: &Results, new: &Results, tolerance: f64) -> Vec<Row> {
    METRICS
        .iter()
        .map(|&m| {
            let (o, n) = (m.value(&old.summary), m.value(&new.summary));
            let hib = m.higher_is_better();
            let (worse_by, change) = match (o, n) {
                // Recovery: "never" is worse than any time.
                (Some(_), None) => (None, Change::Regression),
                (None, Some(_)) => (None, Change::Better),
                (None, None) => (None, Change::Same),
                (Some(o), Some(n)) => {
                    let bad = if hib { o - n } else { n - o };
                    let rel = if o.abs() > 0.0 { Some(bad / o.abs()) } else { None };
                    let change = if bad.abs() <= resolution(m, old) {
                        Change::Same
                    } else if bad < 0.0 {
                        Change::Better
                    } else if rel.is_none_or(|r| r > tolerance) {
                        Change::Regression
                    } else {
                        Change::Worse
                    };
                    (rel, change)
                }
            };
            Row {
                metric: m.name(),
                higher_is_better: hib,
                old: o,
                new: n,
                worse_by,
                change,
            }
        })
        .collect()
}

fn fmt_value(metric: &str, v: Option<f64>) -> String {
    let Some(v) = v else {
        return if metric == "recovery" {
            "never".into()
        } else {
            "-".into()
        };
    };
    match metric.parse::<Metric>() {
        Ok(m) if m.is_time() => fmt_secs(v),
        _ if v.fract() == 0.0 => format!("{v:.0}"),
        _ => format!("{v:.4}"),
    }
}

/// The table printed by `compare --baseline`.
pub fn render(rows: &[Row], tolerance: f64) -> String {
    let mut o = format!(
        "{:<15} {:>12} {:>12} {:>10}  {}\n",
        "metric", "baseline", "new", "change", "verdict"
    );
    for r in rows {
        let change = match r.worse_by {
            Some(w) if w.is_finite() => format!("{:+.1}%", -w * 100.0 * if r.higher_is_better { 1.0 } else { -1.0 }),
            _ => "-".into(),
        };
        let verdict = match r.change {
            Change::Better => "better".to_string(),
            Change::Same => "same".to_string(),
            Change::Worse => format!("worse, within {:.0}%", tolerance * 100.0),
            Change::Regression => format!(
                "REGRESSION ({} is better)",
                if r.higher_is_better { "higher" } else { "lower" }
            ),
        };
        o.push_str(&format!(
            "{:<15} {:>12} {:>12} {:>10}  {verdict}\n",
            r.metric,
            fmt_value(r.metric, r.old),
            fmt_value(r.metric, r.new),
            change
        ));
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::blank;

    fn row<'a>(rows: &'a [Row], m: &str) -> &'a Row {
        rows.iter().find(|r| r.metric == m).expect("metric compared")
    }

    #[test]
    fn flags_each_metric_in_its_own_direction() {
        let mut old = blank();
        old.summary.goodput_ratio = 0.95;
        old.summary.latency.p99 = 1.0;
        old.summary.amplification = 1.10;
        old.summary.recovery_s = Some(5.0);
        let mut new = old.clone();
        new.summary.goodput_ratio = 0.80; // -16%: regression
        new.summary.latency.p99 = 0.5; // better
        new.summary.amplification = 1.15; // +4.5%: worse, within 10%
        new.summary.recovery_s = None; // no longer recovers
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
