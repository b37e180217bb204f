//! Means with 95% confidence intervals (Student's t): replicated simulations, and `compare`
//! expectations that must hold beyond the noise.

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

/// The least an amplification (attempts per intent) can be, for clipping the low end of its
/// interval: 1 (every intent makes its first attempt), or 0 for a mean below 1 (nothing was
/// offered, so no attempt either: there is no natural floor above the mean to clip it to).
pub fn amplification_floor(mean: f64) -> f64 {
    if mean >= 1.0 {
        1.0
    } else {
        0.0
    }
}

/// A ratio's half-width in percentage points, `12.3 pp`: one decimal, or two significant digits
/// when one decimal would round a real spread to nothing (`± 0.0 pp` read as no spread at all,
/// over 106 seeds whose interval was ± 0.05 pp).
pub fn points_text(half_width: f64) -> String {
    let pp = half_width * 100.0;
    if pp == 0.0 || !pp.is_finite() || pp >= 0.05 {
        return format!("{pp:.1} pp");
    }
    // Two significant digits: 0.049 -> 0.049, 0.0012 -> 0.0012.
    let decimals = (1 - pp.log10().floor() as i32).clamp(2, 12) as usize;
    format!("{pp:.decimals$} pp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_spread_in_points_keeps_its_digits() {
        assert_eq!(points_text(0.113), "11.3 pp");
        assert_eq!(points_text(0.0005), "0.1 pp");
        assert_eq!(points_text(0.00049), "0.049 pp");
        assert_eq!(points_text(0.000_012), "0.0012 pp");
        assert_eq!(points_text(0.0), "0.0 pp");
    }
}
