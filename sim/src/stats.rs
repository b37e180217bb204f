//! Replications: each headline figure as a mean with a 95% confidence interval (Student's t).

use model::results::{Results, Verdict};
use serde::Serialize;

pub use model::interval::{t975, Interval};

/// Headline figures over replications.
#[derive(Clone, Debug, Serialize)]
pub struct ReplicationSummary {
    pub replications: usize,
    pub goodput_ratio: Interval,
    pub p50: Interval,
    pub p99: Interval,
    pub amplification: Interval,
    pub wasted_s: Interval,
    /// Recovery times of the runs that recovered.
    pub recovery_s: Interval,
    pub metastable_fraction: f64,
}

pub fn summarize(runs: &[Results]) -> ReplicationSummary {
    let col = |f: &dyn Fn(&Results) -> f64| -> Interval { Interval::of(&runs.iter().map(f).collect::<Vec<_>>()) };
    let recoveries: Vec<f64> = runs.iter().filter_map(|r| r.summary.recovery_s).collect();
    let metastable = runs
        .iter()
        .filter(|r| r.summary.verdict == Some(Verdict::Metastable))
        .count();
    ReplicationSummary {
        replications: runs.len(),
        goodput_ratio: col(&|r| r.summary.goodput_ratio),
        p50: col(&|r| r.summary.latency.p50),
        p99: col(&|r| r.summary.latency.p99),
        amplification: col(&|r| r.summary.amplification),
        wasted_s: col(&|r| r.summary.wasted_s),
        recovery_s: Interval::of(&recoveries),
        metastable_fraction: metastable as f64 / runs.len().max(1) as f64,
    }
}

pub fn render(s: &ReplicationSummary) -> String {
    use model::results::fmt_secs;
    let iv = |i: &Interval, secs: bool| {
        if i.n == 0 {
            return "-".to_string();
        }
        if secs {
            format!("{} ± {}", fmt_secs(i.mean), fmt_secs(i.half_width))
        } else {
            format!("{:.4} ± {:.4}", i.mean, i.half_width)
        }
    };
    format!(
        "{} replications (mean ± 95% CI)\n  goodput ratio   {}\n  p50             {}\n  p99             {}\n  amplification   {}\n  wasted work     {}\n  recovery        {} ({} of {} runs recovered)\n  metastable      {:.0}% of seeds\n",
        s.replications,
        iv(&s.goodput_ratio, false),
        iv(&s.p50, true),
        iv(&s.p99, true),
        iv(&s.amplification, false),
        iv(&s.wasted_s, true),
        iv(&s.recovery_s, true),
        s.recovery_s.n,
        s.replications,
        s.metastable_fraction * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_of_known_sample() {
        let i = Interval::of(&[1.0, 2.0, 3.0, 4.0]);
        assert!((i.mean - 2.5).abs() < 1e-12);
        // s = 1.29099, se = 0.645497, t(3) = 3.182
        assert!((i.half_width - 3.182 * 0.645_497).abs() < 1e-4);
    }
}
