//! Property tests of the service-time distributions: samples drawn from a seeded stream follow
//! the distribution's own exact quantile function and mean.
//!
//! # The checks and their tolerances
//!
//! For a continuous distribution and its exact quantile q_p = `d.quantile(p)`, the number of
//! samples at or below q_p is Binomial(n, p), so the empirical CDF F_n(q_p) has mean p and
//! standard deviation sqrt(p(1-p)/n). We require |F_n(q_p) - p| <= 4 sqrt(p(1-p)/n) at
//! p in {0.1, 0.5, 0.9, 0.99}. With n = 20 000 even p = 0.99 has n p (1-p) = 198 expected
//! exceedances, enough for the normal approximation: each check fails by chance with probability
//! about 2 (1 - Phi(4)) = 6.3e-5.
//!
//! The sample mean has standard error sqrt(Var X / n); we use the exact variance of each
//! distribution (derived in [`variance`]) and require |mean - d.mean()| <= 4 standard errors.
//! The parameter ranges keep the skewness gamma of every distribution below about 6 (lognormal
//! sigma <= 1; bounded Pareto alpha >= 0.5 with max/min <= 1000), so the skewness of the mean,
//! gamma / sqrt(n) < 0.05, leaves the 4-sigma tail of the normal approximation within a factor
//! of about 1.5 of 6.3e-5.
//!
//! # False-alarm budget
//!
//! Six continuous kinds x 16 cases x 5 checks = 480 checks, plus one check of the sample mean
//! against the configured mean for uniform and exponential (2 x 16 = 32 more, same 4 sigma; the
//! exact comparisons of resolved and configured parameters cannot fail by chance), so a fresh set
//! of parameters and seeds fails by chance with probability at most 512 x 6.3e-5 x 1.5 = 4.8%
//! (union bound). To
//! keep CI deterministic, proptest's own RNG is seeded with a fixed value ([`config`]): the same
//! 16 cases run every time, and they pass. `PROPTEST_RNG_SEED=<n>` explores other cases; a
//! failure there that does not reproduce at a clearly larger margin with a larger n is the
//! expected ~4% chance, while a real defect (a wrong quantile or mean formula) shows up as a
//! deviation of many sigma.

use model::dist::{DistKind, DistSpec, DistTable, Distribution};
use model::duration::Dur;
use model::rng::Streams;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::time::Duration;

/// Samples per case.
const N: usize = 20_000;
/// Probabilities at which the empirical CDF is checked.
const PS: [f64; 4] = [0.1, 0.5, 0.9, 0.99];
/// Allowed deviation, in standard deviations.
const Z: f64 = 4.0;

/// 16 cases, a fixed proptest seed unless `PROPTEST_RNG_SEED` is set, no regression files.
fn config() -> ProptestConfig {
    let base = ProptestConfig::default();
    let rng_seed = match base.rng_seed {
        RngSeed::Random => RngSeed::Fixed(0x5eed_d157),
        fixed => fixed,
    };
    ProptestConfig {
        cases: 16,
        rng_seed,
        failure_persistence: None,
        ..base
    }
}

fn table(dist: DistKind) -> DistTable {
    DistTable::new(dist)
}

fn us(v: u64) -> Option<Dur> {
    Some(Dur(Duration::from_micros(v)))
}

fn resolve(t: DistTable) -> Distribution {
    DistSpec::Table(t).resolve().expect("valid distribution")
}

fn draw(d: &Distribution, seed: u64) -> Vec<f64> {
    let mut rng = Streams::new(seed).stream("t");
    (0..N).map(|_| d.sample_secs(&mut rng)).collect()
}

/// Exact variance, in seconds squared.
///
/// - uniform on [a, b]: (b - a)^2 / 12;
/// - exponential with mean m: m^2;
/// - lognormal(mu, sigma): (e^{sigma^2} - 1) e^{2 mu + sigma^2};
/// - bounded Pareto on [l, h] with shape a: density c x^{-a-1} with c = a l^a / (1 - (l/h)^a),
///   so E[X^2] = c (h^{2-a} - l^{2-a}) / (2 - a), or c ln(h/l) when a = 2;
/// - empirical (piecewise-linear quantile function): between points (p0, v0) and (p1, v1) the
///   mass p1 - p0 is uniform on [v0, v1], contributing (p1 - p0)(v0^2 + v0 v1 + v1^2) / 3 to E[X^2].
fn variance(d: &Distribution) -> f64 {
    let second_moment = match d {
        Distribution::Constant(_) => return 0.0,
        Distribution::Uniform { min, max } => return (max - min).powi(2) / 12.0,
        Distribution::Exponential { mean } => return mean * mean,
        Distribution::LogNormal { mu, sigma } => {
            let s2 = sigma * sigma;
            return (s2.exp() - 1.0) * (2.0 * mu + s2).exp();
        }
        Distribution::BoundedPareto { alpha, min: l, max: h } => {
            let (a, l, h) = (*alpha, *l, *h);
            let c = a * l.powf(a) / (1.0 - (l / h).powf(a));
            if (a - 2.0).abs() < 1e-12 {
                c * (h / l).ln()
            } else {
                c * (h.powf(2.0 - a) - l.powf(2.0 - a)) / (2.0 - a)
            }
        }
        Distribution::Empirical(pts) => pts
            .windows(2)
            .map(|w| (w[1].0 - w[0].0) * (w[0].1 * w[0].1 + w[0].1 * w[1].1 + w[1].1 * w[1].1) / 3.0)
            .sum(),
    };
    let m = d.mean();
    second_moment - m * m
}

/// The empirical CDF at each exact quantile is within 4 binomial sigmas of p, the sample mean
/// within 4 standard errors of the exact mean, and every sample inside the support.
fn check(d: &Distribution, seed: u64) -> Result<(), TestCaseError> {
    let xs = draw(d, seed);
    let n = N as f64;
    let (lo, hi) = (d.quantile(0.0), d.quantile(1.0));
    prop_assert!(
        xs.iter().all(|x| *x >= lo && *x <= hi),
        "{d:?}: a sample outside [{lo}, {hi}]"
    );
    for p in PS {
        let q = d.quantile(p);
        let below = xs.iter().filter(|x| **x <= q).count() as f64 / n;
        let tol = Z * (p * (1.0 - p) / n).sqrt();
        prop_assert!(
            (below - p).abs() <= tol,
            "{d:?} seed {seed}: F_n(q({p}) = {q}) = {below}, expected {p} +- {tol}"
        );
    }
    let mean = xs.iter().sum::<f64>() / n;
    let se = (variance(d) / n).sqrt();
    prop_assert!(
        (mean - d.mean()).abs() <= Z * se,
        "{d:?} seed {seed}: sample mean {mean}, exact {} +- {}",
        d.mean(),
        Z * se
    );
    Ok(())
}

/// Configured microseconds in seconds, the unit `Distribution` works in.
fn secs(us: u64) -> f64 {
    Duration::from_micros(us).as_secs_f64()
}

/// Equal up to float rounding (relative 1e-12); a unit error is off by a factor of 1000 or more.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1e-9)
}

/// The sample mean is within Z standard errors (`sd / sqrt(N)`) of the CONFIGURED mean, both
/// computed from the configuration rather than from the resolved distribution.
fn check_configured_mean(d: &Distribution, seed: u64, mean: f64, sd: f64) -> Result<(), TestCaseError> {
    let xs = draw(d, seed);
    let got = xs.iter().sum::<f64>() / N as f64;
    let tol = Z * sd / (N as f64).sqrt();
    prop_assert!(
        (got - mean).abs() <= tol,
        "{d:?} seed {seed}: sample mean {got}, configured {mean} +- {tol}"
    );
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// A constant has no randomness: every sample, quantile and the mean are the value.
    #[test]
    fn constant(v in 1u64..5_000_000, seed in any::<u64>(), table_form in any::<bool>()) {
        let d = if table_form {
            let mut t = table(DistKind::Constant);
            t.value = us(v);
            resolve(t)
        } else {
            DistSpec::constant(Duration::from_micros(v)).resolve().unwrap()
        };
        let x = Duration::from_micros(v).as_secs_f64();
        let mut rng = Streams::new(seed).stream("t");
        for _ in 0..1000 {
            prop_assert_eq!(d.sample_secs(&mut rng), x);
            prop_assert_eq!(d.sample(&mut rng), Duration::from_micros(v));
        }
        for p in PS {
            prop_assert_eq!(d.quantile(p), x);
        }
        prop_assert_eq!(d.mean(), x);
    }

    /// `check` compares samples with the resolved distribution only, so a unit slip in `resolve`
    /// would pass it; here the support and the sample mean are tied to the configured microseconds.
    #[test]
    fn uniform(min in 0u64..200_000, width in 1_000u64..2_000_000, seed in any::<u64>()) {
        let mut t = table(DistKind::Uniform);
        t.min = us(min);
        t.max = us(min + width);
        let d = resolve(t);
        let (lo, hi) = (secs(min), secs(min + width));
        prop_assert!(close(d.quantile(0.0), lo), "{:?}: quantile(0) != configured min {}", d, lo);
        prop_assert!(close(d.quantile(1.0), hi), "{:?}: quantile(1) != configured max {}", d, hi);
        prop_assert!(close(d.mean(), (lo + hi) / 2.0), "{:?}: mean != configured midpoint", d);
        // Configured mean and SE (b - a) / sqrt(12 n), independent of what `resolve` produced.
        check_configured_mean(&d, seed, (lo + hi) / 2.0, (hi - lo) / 12f64.sqrt())?;
        check(&d, seed)?;
    }

    #[test]
    fn exponential(mean in 100u64..10_000_000, seed in any::<u64>()) {
        let mut t = table(DistKind::Exponential);
        t.mean = us(mean);
        let d = resolve(t);
        let m = secs(mean);
        prop_assert!(close(d.mean(), m), "{:?}: mean != configured mean {}", d, m);
        // The median of an exponential is m ln 2: pins the scale through the quantile function too.
        prop_assert!(close(d.quantile(0.5), m * std::f64::consts::LN_2), "{:?}: median != m ln 2", d);
        // Configured mean and SE m / sqrt(n) (an exponential's SD equals its mean).
        check_configured_mean(&d, seed, m, m)?;
        check(&d, seed)?;
    }

    /// p99 / median up to 10 gives sigma = ln(10) / z_0.99 = 0.99 at most.
    #[test]
    fn lognormal_from_median_and_p99(median in 1_000u64..1_000_000, ratio in 1.05f64..10.0, seed in any::<u64>()) {
        let p99 = (median as f64 * ratio).round() as u64;
        let mut t = table(DistKind::Lognormal);
        t.median = us(median);
        t.p99 = us(p99);
        let d = resolve(t);
        // The resolved distribution honours both numbers it was given (Acklam's inverse normal
        // has relative error < 1.2e-9, far below the 1e-6 asked here).
        prop_assert!((d.quantile(0.5) / (median as f64 * 1e-6) - 1.0).abs() < 1e-6);
        prop_assert!((d.quantile(0.99) / (p99 as f64 * 1e-6) - 1.0).abs() < 1e-6);
        check(&d, seed)?;
    }

    #[test]
    fn lognormal_from_mu_and_sigma(mu in -7.0f64..0.0, sigma in 0.05f64..1.0, seed in any::<u64>()) {
        let mut t = table(DistKind::Lognormal);
        t.mu = Some(mu);
        t.sigma = Some(sigma);
        let d = resolve(t);
        prop_assert_eq!(d.clone(), Distribution::LogNormal { mu, sigma });
        check(&d, seed)?;
    }

    /// alpha = 1 and alpha = 2 are the special cases of the mean and variance formulas.
    #[test]
    fn bounded_pareto(
        alpha in prop_oneof![Just(1.0), Just(2.0), 0.5f64..3.0],
        min in 1_000u64..100_000,
        ratio in 2u64..1_000,
        seed in any::<u64>(),
    ) {
        let mut t = table(DistKind::Pareto);
        t.alpha = Some(alpha);
        t.min = us(min);
        t.max = us(min * ratio);
        check(&resolve(t), seed)?;
    }

    /// 2 to 6 points; probabilities strictly increasing from 0 to 1, durations strictly
    /// increasing (a continuous distribution, so the binomial argument holds exactly).
    #[test]
    fn empirical(
        steps in prop::collection::vec((1u32..100, 100u64..500_000), 1..6),
        start in 0u64..100_000,
        seed in any::<u64>(),
    ) {
        let total: u32 = steps.iter().map(|s| s.0).sum();
        let mut points = vec![(0.0, Dur(Duration::from_micros(start)))];
        let (mut acc, mut at) = (0u32, start);
        for (i, (dp, dv)) in steps.iter().enumerate() {
            acc += dp;
            at += dv;
            let p = if i + 1 == steps.len() { 1.0 } else { f64::from(acc) / f64::from(total) };
            points.push((p, Dur(Duration::from_micros(at))));
        }
        let mut t = table(DistKind::Empirical);
        t.quantiles = Some(points);
        check(&resolve(t), seed)?;
    }
}

/// The variance formulas used above agree with numerical integration of the quantile function
/// (Var X = integral over (0, 1) of (Q(u) - mean)^2 du), so the mean checks rest on correct
/// standard errors. Midpoint rule with 400 000 points on bounded distributions (smooth, bounded
/// quantile functions): the error is far below the 1e-3 relative tolerance. The unbounded cases
/// use textbook formulas (exponential m^2, lognormal (e^{s^2} - 1) e^{2 mu + s^2}).
#[test]
fn variance_formulas_match_numerical_integration() {
    let dists = [
        Distribution::Uniform { min: 0.01, max: 0.05 },
        Distribution::BoundedPareto {
            alpha: 0.5,
            min: 0.001,
            max: 1.0,
        },
        Distribution::BoundedPareto {
            alpha: 1.0,
            min: 0.005,
            max: 2.0,
        },
        Distribution::BoundedPareto {
            alpha: 2.0,
            min: 0.005,
            max: 2.0,
        },
        Distribution::BoundedPareto {
            alpha: 2.7,
            min: 0.005,
            max: 0.5,
        },
        Distribution::Empirical(vec![(0.0, 0.005), (0.5, 0.02), (0.9, 0.05), (1.0, 0.5)]),
    ];
    let n = 400_000;
    for d in &dists {
        let m = d.mean();
        let v: f64 = (0..n)
            .map(|i| (d.quantile((i as f64 + 0.5) / n as f64) - m).powi(2))
            .sum::<f64>()
            / n as f64;
        let exact = variance(d);
        assert!(
            (v - exact).abs() / exact < 1e-3,
            "{d:?}: numeric {v} vs formula {exact}"
        );
    }
}
