//! Replications: each headline figure as a mean with a 95% confidence interval (Student's t).

use model::results::{Results, Verdict};
use serde::Serialize;

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        d if d <= 30 => T[d - 1],
        d if d <= 60 => 2.000 + (2.042 - 2.000) * (60 - d) as f64 / 30.0,
        d if d <= 120 => 1.980 + (2.000 - 1.980) * (120 - d) as f64 / 60.0,
        _ => 1.960,
    }
}

/// Mean and half-width of the 95% confidence interval.
#[derive(Copy, Clone, Debug, PartialEq, Serialize)]
pub struct Interval {
    pub mean: f64,
    pub half_width: f64,
    pub n: usize,
}

impl Interval {
    pub fn of(xs: &[f64]) -> Interval {
        let n = xs.len();
        if n == 0 {
            return Interval {
                mean: f64::NAN,
                half_width: f64::NAN,
                n,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n == 1 {
            return Interval {
                mean,
                half_width: f64::INFINITY,
                n,
            };
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Interval {
            mean,
            half_width: t975(n - 1) * (var / n as f64).sqrt(),
            n,
        }
    }
    /// Standard error (half-width / t).
    pub fn se(&self) -> f64 {
        self.half_width / t975(self.n.saturating_sub(1))
    }
}

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
