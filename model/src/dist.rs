//! Service-time (and think-time) distributions.
//!
//! A scenario writes a distribution as a duration string (a constant) or a table with a `dist`
//! key. [`DistSpec`] is that written form, kept for echoing the scenario; [`Distribution`] is the
//! validated form that samples, and knows its mean and quantiles exactly so that `scenario check`
//! can compute capacity and tests can compare samples with the truth.

use crate::duration::Dur;
use rand::Rng;
use rand_distr::{Distribution as _, Exp1, StandardNormal};
use serde::de::{self, value::MapAccessDeserializer, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// z such that Phi(z) = 0.99.
pub const Z_P99: f64 = 2.326_347_874_040_840_8;

/// The written form of a distribution.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DistSpec {
    /// `"40ms"`: always that long.
    Constant(Dur),
    Table(DistTable),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistKind {
    Constant,
    Uniform,
    Exponential,
    Lognormal,
    Pareto,
    Empirical,
}

/// `{ dist = "lognormal", median = "40ms", p99 = "400ms" }` and friends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistTable {
    pub dist: DistKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Dur>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Dur>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Dur>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<Dur>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median: Option<Dur>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99: Option<Dur>,
    /// Lognormal: mean of ln(seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mu: Option<f64>,
    /// Lognormal: standard deviation of ln(seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigma: Option<f64>,
    /// Bounded Pareto: shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// Empirical: `[[0.0, "5ms"], [0.5, "20ms"], [1.0, "1s"]]`, linear between points.
    #[serde(default, deserialize_with = "exact_pairs", skip_serializing_if = "Option::is_none")]
    pub quantiles: Option<Vec<(f64, Dur)>>,
}

/// `quantiles` as pairs of exactly two values: a tuple read from TOML dropped whatever came
/// after its second value (`[0.5, "20ms", "junk"]` was `[0.5, "20ms"]`, silently).
fn exact_pairs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<(f64, Dur)>>, D::Error> {
    struct Pair(f64, Dur);
    impl<'de> Deserialize<'de> for Pair {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Pair;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    // As serde says it of a tuple: the scenario's wording turns it into "a
                    // [probability, duration] pair".
                    f.write_str("a tuple of size 2")
                }
                fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Pair, A::Error> {
                    let p = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
                    let d = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
                    let mut n = 2;
                    while seq.next_element::<de::IgnoredAny>()?.is_some() {
                        n += 1;
                    }
                    if n > 2 {
                        return Err(de::Error::invalid_length(n, &self));
                    }
                    Ok(Pair(p, d))
                }
            }
            d.deserialize_seq(V)
        }
    }
    let pairs: Option<Vec<Pair>> = Option::deserialize(d)?;
    Ok(pairs.map(|v| v.into_iter().map(|Pair(p, d)| (p, d)).collect()))
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DistSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration like \"40ms\" or a table like { dist = \"exponential\", mean = \"40ms\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DistSpec, E> {
                crate::duration::parse_duration(v)
                    .map(|d| DistSpec::Constant(Dur(d)))
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DistSpec, A::Error> {
                DistTable::deserialize(MapAccessDeserializer::new(map)).map(DistSpec::Table)
            }
        }
        d.deserialize_any(V)
    }
}

/// A validated distribution over durations, in seconds.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    Constant(f64),
    Uniform {
        min: f64,
        max: f64,
    },
    Exponential {
        mean: f64,
    },
    LogNormal {
        mu: f64,
        sigma: f64,
    },
    BoundedPareto {
        alpha: f64,
        min: f64,
        max: f64,
    },
    /// (cumulative probability, value) points, probabilities from 0 to 1, values non-decreasing.
    Empirical(Vec<(f64, f64)>),
}

/// A validation failure inside a distribution: the field (relative to the distribution) and why.
#[derive(Clone, Debug, PartialEq)]
pub struct DistError {
    pub field: &'static str,
    pub message: String,
}

fn need(v: Option<Dur>, field: &'static str, kind: &str) -> Result<f64, DistError> {
    v.map(|d| d.as_secs_f64()).ok_or_else(|| DistError {
        field,
        message: format!("{kind} needs `{field}`"),
    })
}

fn err(field: &'static str, message: String) -> DistError {
    DistError { field, message }
}

impl DistTable {
    /// A table of `dist` with no fields set yet.
    pub fn new(dist: DistKind) -> DistTable {
        DistTable {
            dist,
            value: None,
            min: None,
            max: None,
            mean: None,
            median: None,
            p99: None,
            mu: None,
            sigma: None,
            alpha: None,
            quantiles: None,
        }
    }
}

impl DistSpec {
    pub fn constant(d: Duration) -> DistSpec {
        DistSpec::Constant(Dur(d))
    }

    /// The duration, when the distribution is written as one.
    pub fn as_constant(&self) -> Option<Dur> {
        match self {
            DistSpec::Constant(d) => Some(*d),
            DistSpec::Table(_) => None,
        }
    }

    /// Checks the fields and builds the samplable distribution.
    pub fn resolve(&self) -> Result<Distribution, DistError> {
        let t = match self {
            DistSpec::Constant(d) => return Ok(Distribution::Constant(d.as_secs_f64())),
            DistSpec::Table(t) => t,
        };
        let allowed: &[&str] = match t.dist {
            DistKind::Constant => &["value"],
            DistKind::Uniform => &["min", "max"],
            DistKind::Exponential => &["mean"],
            DistKind::Lognormal => &["median", "p99", "mu", "sigma"],
            DistKind::Pareto => &["alpha", "min", "max"],
            DistKind::Empirical => &["quantiles"],
        };
        let present = [
            ("value", t.value.is_some()),
            ("min", t.min.is_some()),
            ("max", t.max.is_some()),
            ("mean", t.mean.is_some()),
            ("median", t.median.is_some()),
            ("p99", t.p99.is_some()),
            ("mu", t.mu.is_some()),
            ("sigma", t.sigma.is_some()),
            ("alpha", t.alpha.is_some()),
            ("quantiles", t.quantiles.is_some()),
        ];
        for (name, is) in present {
            if is && !allowed.contains(&name) {
                // At the key that does not belong, not at `dist`.
                let kind = format!("{:?}", t.dist).to_lowercase();
                let a = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                return Err(err(
                    name,
                    format!(
                        "`{name}` does not apply to {a} {kind} distribution (it takes {})",
                        allowed.join(", ")
                    ),
                ));
            }
        }
        match t.dist {
            DistKind::Constant => Ok(Distribution::Constant(need(t.value, "value", "constant")?)),
            DistKind::Uniform => {
                let min = need(t.min, "min", "uniform")?;
                let max = need(t.max, "max", "uniform")?;
                if max < min {
                    return Err(err(
                        "max",
                        format!("expected max >= min ({}), got {}", fmt_s(min), fmt_s(max)),
                    ));
                }
                Ok(Distribution::Uniform { min, max })
            }
            DistKind::Exponential => {
                let mean = need(t.mean, "mean", "exponential")?;
                if mean <= 0.0 {
                    return Err(err("mean", "expected a mean > 0".into()));
                }
                Ok(Distribution::Exponential { mean })
            }
            DistKind::Lognormal => match (t.median, t.p99, t.mu, t.sigma) {
                (Some(median), Some(p99), None, None) => {
                    let (m, p) = (median.as_secs_f64(), p99.as_secs_f64());
                    if m <= 0.0 {
                        return Err(err("median", "expected a median > 0".into()));
                    }
                    if p <= m {
                        return Err(err("p99", format!("expected p99 > median ({median}), got {p99}")));
                    }
                    bounded_mean(
                        "p99",
                        "lower p99: the mean grows with the ratio of p99 to the median",
                        Distribution::LogNormal {
                            mu: m.ln(),
                            sigma: (p / m).ln() / Z_P99,
                        },
                    )
                }
                (None, None, Some(mu), Some(sigma)) => {
                    if !mu.is_finite() {
                        return Err(err("mu", format!("expected a finite number, got {mu}")));
                    }
                    if !(sigma > 0.0 && sigma.is_finite()) {
                        return Err(err("sigma", format!("expected sigma > 0, got {sigma}")));
                    }
                    bounded_mean("sigma", "lower sigma or mu", Distribution::LogNormal { mu, sigma })
                }
                _ => Err(err(
                    "dist",
                    "lognormal needs either `median` and `p99`, or `mu` and `sigma` (of ln seconds)".into(),
                )),
            },
            DistKind::Pareto => {
                let alpha = t.alpha.ok_or_else(|| err("alpha", "pareto needs `alpha`".into()))?;
                if !(alpha > 0.0 && alpha.is_finite()) {
                    return Err(err("alpha", format!("expected alpha > 0, got {alpha}")));
                }
                let min = need(t.min, "min", "pareto")?;
                let max = need(t.max, "max", "pareto")?;
                if min <= 0.0 {
                    return Err(err("min", "expected min > 0".into()));
                }
                if max <= min {
                    return Err(err(
                        "max",
                        format!("expected max > min ({}), got {}", fmt_s(min), fmt_s(max)),
                    ));
                }
                Ok(Distribution::BoundedPareto { alpha, min, max })
            }
            DistKind::Empirical => {
                let q = t
                    .quantiles
                    .as_ref()
                    .ok_or_else(|| err("quantiles", "empirical needs `quantiles`".into()))?;
                if q.len() < 2 {
                    return Err(err(
                        "quantiles",
                        "expected at least two [probability, duration] points".into(),
                    ));
                }
                if q[0].0 != 0.0 || q[q.len() - 1].0 != 1.0 {
                    return Err(err(
                        "quantiles",
                        "expected the first point at probability 0.0 and the last at 1.0".into(),
                    ));
                }
                for w in q.windows(2) {
                    if w[1].0 <= w[0].0 || w[1].0.is_nan() {
                        return Err(err(
                            "quantiles",
                            format!("probabilities must increase, got {} then {}", w[0].0, w[1].0),
                        ));
                    }
                    if w[1].1 < w[0].1 {
                        return Err(err(
                            "quantiles",
                            format!("durations must not decrease, got {} then {}", w[0].1, w[1].1),
                        ));
                    }
                }
                Ok(Distribution::Empirical(
                    q.iter().map(|(p, d)| (*p, d.as_secs_f64())).collect(),
                ))
            }
        }
    }
}

/// The longest mean a distribution may have: the longest duration a file may write (1e9 s).
/// A lognormal's mean grows as exp(sigma^2 / 2): `sigma = 30` is a mean of 10^195 seconds,
/// whose requests never finish, and `mu = 1000` overflows to infinity.
const MAX_MEAN_SECS: f64 = 1e9;

/// `hint`: what to change, in the keys the file gave (`median` and `p99`, or `mu` and `sigma`).
fn bounded_mean(field: &'static str, hint: &str, d: Distribution) -> Result<Distribution, DistError> {
    let mean = d.mean();
    if mean.is_finite() && mean <= MAX_MEAN_SECS {
        Ok(d)
    } else {
        Err(err(
            field,
            format!("this distribution's mean is {mean:.3e} s: at most {MAX_MEAN_SECS:.0e} s ({hint})"),
        ))
    }
}

fn fmt_s(s: f64) -> String {
    crate::duration::format_duration(crate::time::secs(s))
}

impl Distribution {
    /// One sample, in seconds.
    pub fn sample_secs<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Distribution::Constant(v) => *v,
            Distribution::Uniform { min, max } => min + (max - min) * rng.random::<f64>(),
            Distribution::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                mean * e
            }
            Distribution::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Distribution::BoundedPareto { .. } | Distribution::Empirical(_) => self.quantile(rng.random::<f64>()),
        }
    }

    /// Fills `out` with samples, in order: [`Distribution::sample_secs`] each, the choice of
    /// distribution made once.
    pub fn fill_secs<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f64]) {
        match self {
            Distribution::Exponential { mean } => {
                let mut chunks = out.chunks_exact_mut(EXP1_RUN);
                for c in &mut chunks {
                    for (s, e) in c.iter_mut().zip(exp1_run(rng)) {
                        *s = mean * e;
                    }
                }
                for s in chunks.into_remainder() {
                    let e: f64 = Exp1.sample(rng);
                    *s = mean * e;
                }
            }
            _ => {
                for s in out {
                    *s = self.sample_secs(rng);
                }
            }
        }
    }

    /// One sample as a duration.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Duration {
        crate::time::secs(self.sample_secs(rng))
    }

    /// Exact mean, in seconds.
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Constant(v) => *v,
            Distribution::Uniform { min, max } => (min + max) / 2.0,
            Distribution::Exponential { mean } => *mean,
            Distribution::LogNormal { mu, sigma } => (mu + sigma * sigma / 2.0).exp(),
            Distribution::BoundedPareto { alpha, min: l, max: h } => {
                // l^a / (1 - (l/h)^a) * a/(a-1) * (l^(1-a) - h^(1-a)), in powers of l/h < 1
                // (l^a alone underflows to 0 for a large alpha: alpha = 150, l = 1 ms), and
                // through `shrink`, whose limits hold at alpha = 1 and as alpha -> 0 (the
                // log-uniform mean (h - l) / ln(h/l)): 1 - (l/h)^a cancelled to 0 or to a few
                // bits for a tiny alpha (1e-17 read 90 ms for 144.6, 1e-20 infinity).
                let (a, l, h) = (*alpha, *l, *h);
                let span = (h / l).ln();
                (l * shrink(a - 1.0, span) / shrink(a, span)).max(l).min(h)
            }
            Distribution::Empirical(pts) => pts
                .windows(2)
                .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
                .sum(),
        }
    }

    /// Exact quantile at probability `p` in [0, 1], in seconds.
    pub fn quantile(&self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0);
        match self {
            Distribution::Constant(v) => *v,
            Distribution::Uniform { min, max } => min + (max - min) * p,
            Distribution::Exponential { mean } => -mean * (1.0 - p).ln(),
            Distribution::LogNormal { mu, sigma } => (mu + sigma * inverse_normal_cdf(p)).exp(),
            Distribution::BoundedPareto { alpha, min: l, max: h } => {
                // l (1 - p (1 - (l/h)^a))^(-1/a) = l exp(u), u the log of x/l at which
                // 1 - (l/x)^a = p (1 - (l/h)^a), solved without cancellation for a tiny alpha
                // (it collapsed to l: every sample was the minimum); as alpha -> 0, u = p ln(h/l)
                // (log-uniform).
                let (a, l, h) = (*alpha, *l, *h);
                if p <= 0.0 {
                    return l;
                }
                if p >= 1.0 {
                    return h;
                }
                let span = (h / l).ln();
                let u = if a * span < TINY_EXPONENT {
                    p * span
                } else {
                    // 1 - (l/h)^a.
                    let kept = -(-a * span).exp_m1();
                    -(-p * kept).ln_1p() / a
                };
                (l * u.exp()).max(l).min(h)
            }
            Distribution::Empirical(pts) => {
                let i = pts.partition_point(|(q, _)| *q < p).clamp(1, pts.len() - 1);
                let ((p0, v0), (p1, v1)) = (pts[i - 1], pts[i]);
                v0 + (v1 - v0) * (p - p0) / (p1 - p0)
            }
        }
    }

    /// Exact CDF at `x` seconds (used by tests and capacity summaries).
    pub fn cdf(&self, x: f64) -> f64 {
        match self {
            Distribution::Constant(v) => f64::from(u8::from(x >= *v)),
            Distribution::Uniform { min, max } => {
                if max == min {
                    f64::from(u8::from(x >= *min))
                } else {
                    ((x - min) / (max - min)).clamp(0.0, 1.0)
                }
            }
            Distribution::Exponential { mean } => (1.0 - (-x / mean).exp()).max(0.0),
            Distribution::LogNormal { mu, sigma } => {
                if x <= 0.0 {
                    0.0
                } else {
                    normal_cdf((x.ln() - mu) / sigma)
                }
            }
            Distribution::BoundedPareto { alpha, min: l, max: h } => {
                if x <= *l {
                    0.0
                } else if x >= *h {
                    1.0
                } else {
                    let span = (h / l).ln();
                    (shrink(*alpha, (x / l).ln()) / shrink(*alpha, span)).clamp(0.0, 1.0)
                }
            }
            Distribution::Empirical(pts) => {
                if x < pts[0].1 {
                    return 0.0;
                }
                if x >= pts[pts.len() - 1].1 {
                    return 1.0;
                }
                let i = pts.partition_point(|(_, v)| *v <= x).clamp(1, pts.len() - 1);
                let ((p0, v0), (p1, v1)) = (pts[i - 1], pts[i]);
                if v1 == v0 {
                    p1
                } else {
                    p0 + (p1 - p0) * (x - v0) / (v1 - v0)
                }
            }
        }
    }
}

/// How many draws [`exp1_run`] makes.
pub(crate) const EXP1_RUN: usize = 16;

/// The next [`EXP1_RUN`] draws of `Exp1` from `rng`, in order: `Exp1.sample(rng)` that many
/// times, written out rather than looped. In a loop, the draw's rare paths (calls to `exp` and
/// `ln`, which may clobber every floating-point register) made the compiler keep the loop's
/// pointers and the draw on the stack, reloaded per draw (a third of the draw's
/// instructions); straight-line code has no loop state to keep.
#[inline(always)]
pub(crate) fn exp1_run<R: Rng + ?Sized>(rng: &mut R) -> [f64; EXP1_RUN] {
    // Written out by a macro, one draw per listed index: an array expression's elements are
    // evaluated in order, left to right (the return type checks there are `EXP1_RUN`).
    macro_rules! draws {
        ($($i:literal)*) => {
            [$({
                let _ = $i;
                Exp1.sample(rng)
            }),*]
        };
    }
    draws!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

/// How many samples [`Ahead`] draws at a time.
const AHEAD: usize = 32;

/// A sample as [`Ahead`] keeps it: seconds (`f64`, as drawn), or nanoseconds (`u64`, as
/// [`crate::time::secs_to_nanos`] converts them).
pub trait Drawn: Copy + Default {
    /// The sample `secs` (seconds), as kept.
    fn of_secs(secs: f64) -> Self;
}

impl Drawn for f64 {
    #[inline(always)]
    fn of_secs(secs: f64) -> f64 {
        secs
    }
}

impl Drawn for u64 {
    #[inline(always)]
    fn of_secs(secs: f64) -> u64 {
        crate::time::secs_to_nanos(secs)
    }
}

/// Samples of one distribution drawn ahead from a stream of their own, [`AHEAD`] at a time:
/// a call per sample paid its entry, exit and the choice of distribution (the simulator takes
/// one per job). The same samples in the same order, only drawn earlier. Kept as `T`
/// ([`Drawn`]): a simulator that needs nanoseconds gets them converted in the batch, off the
/// path from the sample to its use (the conversion's multiply and rounding were a fifth of
/// the simulator's samples where it places a job's completion).
#[derive(Clone, Debug)]
pub struct Ahead<T = f64> {
    samples: [T; AHEAD],
    next: usize,
}

impl<T: Drawn> Default for Ahead<T> {
    fn default() -> Ahead<T> {
        Ahead {
            samples: [T::default(); AHEAD],
            next: AHEAD,
        }
    }
}

impl<T: Drawn> Ahead<T> {
    /// The next sample of `d` from `rng`: always the same `d` and `rng` for one `Ahead`.
    #[inline]
    pub fn next<R: Rng + ?Sized>(&mut self, d: &Distribution, rng: &mut R) -> T {
        if self.next == AHEAD {
            self.refill(d, rng);
        }
        let s = self.samples[self.next % AHEAD];
        self.next += 1;
        s
    }

    #[inline(never)]
    fn refill<R: Rng + ?Sized>(&mut self, d: &Distribution, rng: &mut R) {
        let mut secs = [0.0; AHEAD];
        d.fill_secs(rng, &mut secs);
        for (s, x) in self.samples.iter_mut().zip(secs) {
            *s = T::of_secs(x);
        }
        self.next = 0;
    }
}

/// Below this, `a * y` is so small that (1 - e^(-a y)) / a is y to double precision: its
/// relative error is about a y / 2.
const TINY_EXPONENT: f64 = 1e-20;

/// (1 - e^(-a y)) / a without cancellation, for any real `a` (its limit y at a = 0): the
/// bounded Pareto's formulas in powers of l/h (1 - (l/h)^a = a shrink(a, ln(h/l))) for an alpha
/// near 0 or 1.
fn shrink(a: f64, y: f64) -> f64 {
    if (a * y).abs() < TINY_EXPONENT {
        y
    } else {
        -(-a * y).exp_m1() / a
    }
}

/// Standard normal CDF via the complementary error function (Numerical Recipes erfc, |err| < 1.2e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = -z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * x.abs());
    let y = t
        * (-x * x - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    let erfc = if x >= 0.0 { y } else { 2.0 - y };
    0.5 * erfc
}

/// Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
#[allow(clippy::excessive_precision)]
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let plow = 0.02425;
    if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -inverse_normal_cdf(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(dist: DistKind) -> DistTable {
        DistTable::new(dist)
    }

    #[test]
    fn lognormal_from_median_and_p99_hits_both() {
        let mut t = table(DistKind::Lognormal);
        t.median = Some(Dur::from_millis(40));
        t.p99 = Some(Dur::from_millis(400));
        let d = DistSpec::Table(t).resolve().unwrap();
        assert!((d.quantile(0.5) - 0.040).abs() < 1e-9);
        assert!((d.quantile(0.99) - 0.400).abs() < 1e-6);
    }

    #[test]
    fn lognormal_p99_must_exceed_median() {
        let mut t = table(DistKind::Lognormal);
        t.median = Some(Dur::from_millis(40));
        t.p99 = Some(Dur::from_millis(30));
        let e = DistSpec::Table(t).resolve().unwrap_err();
        assert_eq!(e.field, "p99");
        assert!(e.message.contains("p99 > median"), "{}", e.message);
    }

    #[test]
    fn fields_of_other_kinds_are_rejected() {
        let mut t = table(DistKind::Exponential);
        t.mean = Some(Dur::from_millis(10));
        t.p99 = Some(Dur::from_millis(30));
        assert!(DistSpec::Table(t).resolve().unwrap_err().message.contains("p99"));
    }

    /// One distribution of each continuous kind, the empirical table included.
    fn continuous_kinds() -> Vec<Distribution> {
        let mut emp = table(DistKind::Empirical);
        emp.quantiles = Some(vec![
            (0.0, Dur::from_millis(5)),
            (0.5, Dur::from_millis(20)),
            (0.9, Dur::from_millis(50)),
            (1.0, Dur::from_millis(500)),
        ]);
        vec![
            Distribution::Uniform { min: 0.01, max: 0.03 },
            Distribution::Exponential { mean: 0.02 },
            Distribution::LogNormal {
                mu: (0.02f64).ln(),
                sigma: 0.8,
            },
            Distribution::BoundedPareto {
                alpha: 1.5,
                min: 0.005,
                max: 2.0,
            },
            DistSpec::Table(emp).resolve().unwrap(),
        ]
    }

    #[test]
    fn quantile_and_cdf_are_inverse() {
        for d in &continuous_kinds() {
            for p in [0.01, 0.1, 0.5, 0.9, 0.99] {
                let x = d.quantile(p);
                assert!((d.cdf(x) - p).abs() < 1e-6, "{d:?} p={p} x={x} cdf={}", d.cdf(x));
            }
        }
    }

    #[test]
    fn means_match_numeric_integration() {
        let dists = [
            Distribution::BoundedPareto {
                alpha: 1.5,
                min: 0.005,
                max: 2.0,
            },
            Distribution::BoundedPareto {
                alpha: 1.0,
                min: 0.005,
                max: 2.0,
            },
            Distribution::LogNormal {
                mu: (0.02f64).ln(),
                sigma: 0.5,
            },
            // min^alpha underflows to 0 here: the textbook form gave NaN.
            Distribution::BoundedPareto {
                alpha: 150.0,
                min: 0.001,
                max: 0.002,
            },
            Distribution::BoundedPareto {
                alpha: 0.5,
                min: 0.001,
                max: 10.0,
            },
            // 1 - (l/h)^alpha cancels here in the textbook forms.
            Distribution::BoundedPareto {
                alpha: 1e-6,
                min: 0.001,
                max: 1.0,
            },
            Distribution::BoundedPareto {
                alpha: 1e-17,
                min: 0.001,
                max: 1.0,
            },
        ];
        for d in &dists {
            // E[X] = integral of the quantile function over (0, 1).
            let n = 200_000;
            let m: f64 = (0..n).map(|i| d.quantile((i as f64 + 0.5) / n as f64)).sum::<f64>() / n as f64;
            assert!(
                (m - d.mean()).abs() / d.mean() < 1e-3,
                "{d:?}: numeric {m} vs {}",
                d.mean()
            );
        }
    }

    /// A bounded Pareto with a tiny alpha is close to its alpha -> 0 limit, the log-uniform
    /// distribution on [min, max]: 1 - (l/h)^alpha cancelled, so alpha = 1e-17 had a mean of
    /// 90 ms, alpha = 1e-20 an infinite one, and every sample was the minimum.
    #[test]
    fn a_tiny_pareto_alpha_is_the_log_uniform_limit() {
        let (l, h) = (0.001, 1.0);
        let span = f64::ln(h / l);
        let log_uniform_mean = (h - l) / span;
        assert!((log_uniform_mean - 0.144_62).abs() < 1e-5, "{log_uniform_mean}");
        for alpha in [1e-9, 1e-12, 1e-17, 1e-20, 1e-100, 1e-300, 5e-324] {
            let mut t = table(DistKind::Pareto);
            t.alpha = Some(alpha);
            t.min = Some(Dur::from_millis(1));
            t.max = Some(Dur::from_secs(1));
            let d = DistSpec::Table(t).resolve().expect("a tiny alpha is a valid pareto");
            let mean = d.mean();
            assert!(
                (mean / log_uniform_mean - 1.0).abs() < 1e-6,
                "alpha {alpha}: mean {mean}, limit {log_uniform_mean}"
            );
            for p in [0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 1.0] {
                let x = d.quantile(p);
                let want = l * (p * span).exp();
                assert!(
                    (x / want - 1.0).abs() < 1e-6,
                    "alpha {alpha}: quantile({p}) {x}, want {want}"
                );
                assert!((d.cdf(x) - p).abs() < 1e-9, "alpha {alpha}: cdf(quantile({p}))");
            }
            // Samples spread over the range, with the limit's mean.
            let mut rng = crate::rng::Streams::new(7).stream("t");
            let n = 20_000;
            let samples: Vec<f64> = (0..n).map(|_| d.sample_secs(&mut rng)).collect();
            assert!(
                samples.iter().all(|x| (l..=h).contains(x)),
                "alpha {alpha}: a sample out of range"
            );
            let below_median = samples.iter().filter(|x| **x < (l * h).sqrt()).count();
            assert!(
                (9_000..11_000).contains(&below_median),
                "alpha {alpha}: {below_median} below the median"
            );
            let m = samples.iter().sum::<f64>() / n as f64;
            assert!(
                (m / log_uniform_mean - 1.0).abs() < 0.05,
                "alpha {alpha}: sample mean {m}"
            );
        }
    }

    /// The mean, quantiles and CDF are continuous through alpha = 1 (a special case of the
    /// textbook mean) and from a tiny alpha to a large one.
    #[test]
    fn pareto_figures_are_continuous_in_alpha() {
        let pareto = |alpha: f64| Distribution::BoundedPareto {
            alpha,
            min: 0.005,
            max: 2.0,
        };
        for (a, b) in [
            (1.0, 1.0 + 1e-13),
            (1.0 - 1e-10, 1.0),
            (1e-10, 1e-22),
            (150.0, 150.0 + 1e-9),
        ] {
            let (x, y) = (pareto(a), pareto(b));
            assert!(
                (x.mean() / y.mean() - 1.0).abs() < 1e-7,
                "alpha {a} vs {b}: {} vs {}",
                x.mean(),
                y.mean()
            );
            for p in [0.1, 0.5, 0.99] {
                assert!(
                    (x.quantile(p) / y.quantile(p) - 1.0).abs() < 1e-7,
                    "alpha {a} vs {b} at {p}"
                );
            }
        }
        // A huge alpha puts everything at the minimum; the maximum stays the maximum.
        let d = pareto(1e300);
        assert_eq!(d.mean(), 0.005);
        assert_eq!(d.quantile(0.999), 0.005);
        assert_eq!(d.quantile(1.0), 2.0);
        assert_eq!(pareto(150.0).quantile(1.0), 2.0, "(l/h)^150 underflows: was infinite");
    }

    /// A lognormal whose mean is beyond any duration a file may write (or infinite) is refused
    /// at the field that made it so; one just inside is accepted.
    #[test]
    fn lognormal_means_are_bounded() {
        let table = |mu: f64, sigma: f64| {
            let mut t = DistTable::new(DistKind::Lognormal);
            t.mu = Some(mu);
            t.sigma = Some(sigma);
            DistSpec::Table(t)
        };
        for (mu, sigma) in [(1000.0, 1.0), (0.0, 30.0), (0.0, 1e300), (21.0, 0.1)] {
            let e = table(mu, sigma).resolve().expect_err("an unbounded mean");
            assert_eq!(e.field, "sigma", "mu {mu} sigma {sigma}");
            assert!(e.message.contains("at most 1e9 s"), "{}", e.message);
        }
        assert!(table(20.0, 0.1).resolve().is_ok(), "a mean of ~4.9e8 s is allowed");
        let mut t = DistTable::new(DistKind::Lognormal);
        t.median = Some(Dur::from_secs(1));
        t.p99 = Some(Dur::from_secs(999_999_999));
        let e = DistSpec::Table(t)
            .resolve()
            .expect_err("a p99 this far out has a huge mean");
        assert_eq!(e.field, "p99");
    }

    #[test]
    fn normal_helpers_agree() {
        assert!((inverse_normal_cdf(0.99) - Z_P99).abs() < 1e-8);
        for z in [-3.0, -1.0, 0.0, 0.5, 2.0] {
            assert!((inverse_normal_cdf(normal_cdf(z)) - z).abs() < 1e-5);
        }
    }

    /// Drawn ahead in batches, the samples are those of `sample_secs` one at a time, for every
    /// kind of distribution.
    #[test]
    fn samples_drawn_ahead_are_those_drawn_one_at_a_time() {
        let mut dists = continuous_kinds();
        dists.extend([
            Distribution::Constant(0.25),
            Distribution::Exponential { mean: 1.0 },
            Distribution::LogNormal { mu: -3.0, sigma: 0.8 },
        ]);
        for d in &dists {
            for seed in [1, 2] {
                let mut one = crate::rng::Streams::new(seed).stream("service:a");
                let mut rng = crate::rng::Streams::new(seed).stream("service:a");
                let mut ahead: Ahead = Ahead::default();
                let mut nanos: Ahead<u64> = Ahead::default();
                let mut rng_ns = crate::rng::Streams::new(seed).stream("service:a");
                for i in 0..10 * AHEAD + 7 {
                    let want = d.sample_secs(&mut one);
                    assert_eq!(ahead.next(d, &mut rng).to_bits(), want.to_bits(), "{d:?} sample {i}");
                    let ns = nanos.next(d, &mut rng_ns);
                    assert_eq!(ns, crate::time::secs_to_nanos(want), "{d:?} sample {i} in nanoseconds");
                }
            }
        }
    }

    /// Written out in runs, the draws are `Exp1.sample` called that many times, in
    /// order: over many runs and seeds (the draw's rare paths, which take more than one word of
    /// the stream, included), and so are the exponential's batches of every length.
    #[test]
    fn exp1_runs_are_the_draws_one_at_a_time() {
        for seed in 1..=4 {
            let mut one = crate::rng::Streams::new(seed).stream("service:a");
            let mut rng = crate::rng::Streams::new(seed).stream("service:a");
            for i in 0..20_000 {
                let run = exp1_run(&mut rng);
                for (j, e) in run.iter().enumerate() {
                    let want: f64 = Exp1.sample(&mut one);
                    assert_eq!(e.to_bits(), want.to_bits(), "seed {seed} run {i} draw {j}");
                }
            }
        }
        let d = Distribution::Exponential { mean: 0.37 };
        for len in 0..40 {
            let mut one = crate::rng::Streams::new(5).stream("service:b");
            let mut rng = crate::rng::Streams::new(5).stream("service:b");
            let mut out = vec![0.0; len];
            for _ in 0..50 {
                d.fill_secs(&mut rng, &mut out);
                for s in &out {
                    assert_eq!(s.to_bits(), d.sample_secs(&mut one).to_bits(), "len {len}");
                }
            }
        }
    }
}
