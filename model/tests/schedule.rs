//! Property tests of the open-loop workload schedule (`model::workload::Schedule`).
//!
//! # Tolerances
//!
//! - Poisson arrivals: the number of arrivals in an interval with integrated rate L is
//!   Poisson(L), variance L. We allow 4 sqrt(L). Every interval checked has L >= 500 (rates >= 20/s
//!   over >= 25 s), where the Poisson skewness 1/sqrt(L) <= 0.045 leaves the two-sided 4-sigma
//!   tail close to the normal 6.3e-5 (at most about 1e-4).
//! - Uniform arrivals are deterministic: arrival k is due when the integrated rate reaches k
//!   (k = 0, 1, 2, ...), so the count before a time t with integrated rate L is ceil(L), or L when
//!   L is a whole number: always floor(L) or ceil(L). (The whole-number boundary cases, which the
//!   schedule once got wrong, are pinned by the regression tests at the end of this file.)
//! - Poisson shape (counts alone would pass evenly spaced arrivals): the first n = 10 000 gaps
//!   of a Poisson process of rate r are independent Exp(r), so the number longer than 1/r is
//!   exactly Binomial(n, e^-1); we allow 4 sqrt(p (1 - p) / n) on the fraction (n p >= 3600). The
//!   counts in m = 400 one-second intervals are independent Poisson(50), so (m - 1) s^2 / mean
//!   is approximately chi-squared with m - 1 degrees of freedom: the variance-to-mean ratio is 1
//!   with standard error about sqrt(2 / (m - 1)) = 0.071; we allow 4 of those.
//! - Mix: given n arrivals, the count sent to a target of weight share p is Binomial(n, p). We allow
//!   4 sqrt(n p (1 - p)); shares are >= 0.5 / 20.5 = 0.024 and n = 20 000, so n p >= 480
//!   (skewness <= 0.05); within entry `a` (n_a >= 480 arrivals) each of 3 APIs has p = 1/3.
//!
//! # False-alarm budget
//!
//! Poisson totals: 16 cases x at most 5 checks; Poisson ramp: 16 x 4; mix: 16 x 6; Poisson
//! shape: 3 seeds x 2. About 250 checks at <= 1e-4 each: a fresh set of cases fails by chance
//! with probability below 2.5%. As in
//! `distributions.rs`, proptest's RNG has a fixed seed ([`config`]), so CI runs the same cases every
//! time; set `PROPTEST_RNG_SEED` to explore others.

use model::rng::Streams;
use model::scenario::{self, Priority, Scenario};
use model::workload::{Arrival, Schedule};
use model::Time;
use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use std::fmt::Write as _;

const Z: f64 = 4.0;

fn config() -> ProptestConfig {
    let base = ProptestConfig::default();
    let rng_seed = match base.rng_seed {
        RngSeed::Random => RngSeed::Fixed(0x5c4e_d01e),
        fixed => fixed,
    };
    ProptestConfig {
        cases: 16,
        rng_seed,
        failure_persistence: None,
        ..base
    }
}

/// How a phase's rate changes.
#[derive(Clone, Copy, Debug)]
enum Ramp {
    Flat,
    To(f64),
    /// `ramp = true`: to the next phase's rate.
    Next,
}

#[derive(Clone, Copy, Debug)]
struct Ph {
    ms: u64,
    rate: f64,
    ramp: Ramp,
}

/// Rates and durations as written in the file; `ramp = true` on the last phase is written as flat.
fn phases_toml(phases: &[Ph]) -> String {
    let mut t = String::new();
    for (i, p) in phases.iter().enumerate() {
        let _ = write!(
            t,
            "[[workload.phases]]\nduration = \"{}ms\"\nrate = {:?}\n",
            p.ms, p.rate
        );
        match p.ramp {
            Ramp::Flat => {}
            Ramp::To(r) => {
                let _ = writeln!(t, "ramp_to = {r:?}");
            }
            Ramp::Next if i + 1 < phases.len() => t.push_str("ramp = true\n"),
            Ramp::Next => {}
        }
    }
    t
}

const BACKEND: &str = "[[backend.services]]\nname = \"a\"\napis = 3\nworkers = 2\nservice_time = \"10ms\"\n";

fn build(arrival: &str, phases: &[Ph]) -> Scenario {
    let text = format!("[workload]\narrival = \"{arrival}\"\n{}{BACKEND}", phases_toml(phases));
    scenario::parse("t.toml", &text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// Integrated rate of the scenario's phases from 0 to `t` seconds (rates are piecewise linear).
fn integrated(s: &Scenario, t: f64) -> f64 {
    s.phases
        .iter()
        .map(|p| {
            let (a, b) = (p.start.as_secs_f64(), p.end.as_secs_f64());
            if t <= a {
                return 0.0;
            }
            let d = b - a;
            let u = (t.min(b) - a).max(0.0);
            p.rate_start * u + (p.rate_end - p.rate_start) * u * u / (2.0 * d)
        })
        .sum()
}

fn count_before(arrivals: &[Arrival], t: Time) -> usize {
    arrivals.partition_point(|a| a.at < t)
}

fn all(s: &Scenario, seed: u64) -> Vec<Arrival> {
    Schedule::new(s, &Streams::new(seed)).collect()
}

/// Ordered in time, ids 0, 1, 2, ..., every arrival before the end, targets valid.
fn check_well_formed(s: &Scenario, a: &[Arrival]) -> Result<(), TestCaseError> {
    let end = Time::ZERO + s.duration;
    prop_assert!(a.windows(2).all(|w| w[0].at <= w[1].at), "arrivals out of order");
    prop_assert!(
        a.iter().enumerate().all(|(i, x)| x.intent == i as u64),
        "intent ids not sequential"
    );
    prop_assert!(a.iter().all(|x| x.at < end), "an arrival at or after the end");
    prop_assert!(
        a.iter()
            .all(|x| x.service < s.services.len() && x.api < s.services[x.service].apis.len()),
        "an arrival to a target that does not exist"
    );
    Ok(())
}

/// A constant, ramp-to or ramp-to-next phase with rates >= 20/s and >= 25 s long.
fn poisson_phase() -> impl Strategy<Value = Ph> {
    (
        25_000u64..150_000,
        20.0f64..100.0,
        prop_oneof![Just(None), (20.0f64..100.0).prop_map(Some), Just(Some(-1.0))],
    )
        .prop_map(|(ms, rate, ramp)| Ph {
            ms,
            rate,
            ramp: match ramp {
                None => Ramp::Flat,
                Some(r) if r < 0.0 => Ramp::Next,
                Some(r) => Ramp::To(r),
            },
        })
}

/// Any phase, including zero rates, fractional rates and whole-number cases.
fn uniform_phase() -> impl Strategy<Value = Ph> {
    prop_oneof![
        // Whole seconds and whole rates: integer expected counts, where an off-by-one shows.
        (1u64..60, 0u32..50, prop_oneof![Just(None), (0u32..50).prop_map(Some)]).prop_map(|(s, r, to)| Ph {
            ms: s * 1000,
            rate: f64::from(r),
            ramp: to.map_or(Ramp::Flat, |t| Ramp::To(f64::from(t))),
        }),
        (
            1u64..60_000,
            0.0f64..200.0,
            prop_oneof![Just(None), (0.0f64..200.0).prop_map(Some), Just(Some(-1.0))]
        )
            .prop_map(|(ms, rate, ramp)| Ph {
                ms,
                rate,
                ramp: match ramp {
                    None => Ramp::Flat,
                    Some(r) if r < 0.0 => Ramp::Next,
                    Some(r) => Ramp::To(r),
                },
            }),
    ]
}

/// Whether `n` is floor(x) or ceil(x).
fn floor_or_ceil(n: usize, x: f64) -> bool {
    let n = n as f64;
    n == x.floor() || n == x.ceil()
}

proptest! {
    #![proptest_config(config())]

    /// Poisson: the count in every phase, and in all, is within 4 sigma of the integrated rate;
    /// a zero-rate phase has no arrivals at all.
    #[test]
    fn poisson_counts_match_the_integrated_rate(
        mut phases in prop::collection::vec(poisson_phase(), 1..4),
        silent_at in prop::option::of(0usize..4),
        seed in any::<u64>(),
    ) {
        if let Some(k) = silent_at {
            let k = k.min(phases.len());
            phases.insert(k, Ph { ms: 10_000, rate: 0.0, ramp: Ramp::Flat });
            // A ramp into the silent phase would not be silent; keep the phase before it flat.
            if k > 0 {
                if let Ramp::Next = phases[k - 1].ramp {
                    phases[k - 1].ramp = Ramp::Flat;
                }
            }
        }
        let s = build("poisson", &phases);
        let a = all(&s, seed);
        check_well_formed(&s, &a)?;
        for p in &s.phases {
            let n = count_before(&a, p.end) - count_before(&a, p.start);
            let l = p.expected_intents();
            if l == 0.0 {
                prop_assert_eq!(n, 0, "a zero-rate phase has arrivals");
            } else {
                prop_assert!((n as f64 - l).abs() <= Z * l.sqrt(), "phase {:?}: {} arrivals, expected {} +- {}", p, n, l, Z * l.sqrt());
            }
        }
        let total = integrated(&s, s.duration.as_secs_f64());
        prop_assert!((a.len() as f64 - total).abs() <= Z * total.sqrt(), "{} arrivals, expected {} +- {}", a.len(), total, Z * total.sqrt());
    }

    /// Uniform: the count before every phase boundary, and in all, is floor or ceil of the
    /// integrated rate.
    #[test]
    fn uniform_counts_are_floor_or_ceil_of_the_integrated_rate(
        phases in prop::collection::vec(uniform_phase(), 1..5),
        seed in any::<u64>(),
    ) {
        let s = build("uniform", &phases);
        let a = all(&s, seed);
        check_well_formed(&s, &a)?;
        for p in &s.phases {
            let l = integrated(&s, p.end.as_secs_f64());
            let n = count_before(&a, p.end);
            prop_assert!(floor_or_ceil(n, l), "{} arrivals before {}, integrated rate {} (phases {:?})", n, p.end, l, s.phases);
        }
        let total = integrated(&s, s.duration.as_secs_f64());
        prop_assert!(floor_or_ceil(a.len(), total), "{} arrivals, integrated rate {} (phases {:?})", a.len(), total, s.phases);
    }

    /// A ramp: uniform arrivals before each quarter of the phase are floor or ceil of the
    /// integral of the rate up to there, r0 t + (r1 - r0) t^2 / (2 d).
    #[test]
    fn uniform_ramp_follows_the_integral(
        secs in 10u64..300,
        r0 in prop_oneof![Just(0.0), 1.0f64..200.0],
        r1 in prop_oneof![Just(0.0), 1.0f64..200.0],
        seed in any::<u64>(),
    ) {
        let s = build("uniform", &[Ph { ms: secs * 1000, rate: r0, ramp: Ramp::To(r1) }]);
        let a = all(&s, seed);
        check_well_formed(&s, &a)?;
        let d = secs as f64;
        for q in [0.25, 0.5, 0.75, 1.0] {
            let t = d * q;
            let l = r0 * t + (r1 - r0) * t * t / (2.0 * d);
            let n = count_before(&a, Time::from_secs_f64(t));
            prop_assert!(floor_or_ceil(n, l), "{} arrivals before {}s, integral {}", n, t, l);
        }
    }

    /// The same with Poisson arrivals: within 4 sigma of the integral at each quarter.
    #[test]
    fn poisson_ramp_follows_the_integral(
        secs in 100u64..300,
        r0 in 20.0f64..200.0,
        r1 in 20.0f64..200.0,
        seed in any::<u64>(),
    ) {
        let s = build("poisson", &[Ph { ms: secs * 1000, rate: r0, ramp: Ramp::To(r1) }]);
        let a = all(&s, seed);
        check_well_formed(&s, &a)?;
        let d = secs as f64;
        for q in [0.25, 0.5, 0.75, 1.0] {
            let t = d * q;
            let l = r0 * t + (r1 - r0) * t * t / (2.0 * d);
            let n = count_before(&a, Time::from_secs_f64(t)) as f64;
            prop_assert!((n - l).abs() <= Z * l.sqrt(), "{} arrivals before {}s, integral {} +- {}", n, t, l, Z * l.sqrt());
        }
    }

    /// Same seed, same schedule; another seed, another schedule.
    #[test]
    fn the_seed_determines_the_schedule(seed in any::<u64>(), delta in 1u64..u64::MAX) {
        let s = build("poisson", &[Ph { ms: 10_000, rate: 50.0, ramp: Ramp::Flat }]);
        let a = all(&s, seed);
        prop_assert!(a.len() > 100);
        prop_assert_eq!(&a, &all(&s, seed));
        let other = all(&s, seed.wrapping_add(delta));
        prop_assert_ne!(&a, &other);
    }

    /// Mix frequencies match the weights: per entry, Binomial(n, w / W) within 4 sigma; within an
    /// entry without `api`, each of the service's APIs gets Binomial(n_entry, 1 / apis).
    #[test]
    fn mix_frequencies_match_the_weights(
        w in (0.5f64..10.0, 0.5f64..10.0, 0.5f64..10.0),
        seed in any::<u64>(),
    ) {
        let text = format!(
            "[workload]\narrival = \"uniform\"\nmix = [\
             {{ service = \"a\", weight = {:?} }}, \
             {{ service = \"b\", api = \"x\", weight = {:?} }}, \
             {{ service = \"c\", weight = {:?}, priority = \"background\" }}]\n\
             [[workload.phases]]\nduration = \"100s\"\nrate = 200\n\
             [[backend.services]]\nname = \"a\"\napis = 3\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"b\"\napis = [\"y\", \"x\"]\nworkers = 1\nservice_time = \"10ms\"\n\
             [[backend.services]]\nname = \"c\"\nworkers = 1\nservice_time = \"10ms\"\n",
            w.0, w.1, w.2
        );
        let s = scenario::parse("t.toml", &text).unwrap();
        let a = all(&s, seed);
        prop_assert_eq!(a.len(), 20_000, "uniform arrivals: exactly rate x duration");
        let n = a.len() as f64;
        let total = w.0 + w.1 + w.2;
        let mut counts = [0usize; 3];
        let mut apis_of_a = [0usize; 3];
        for x in &a {
            counts[x.service] += 1;
            match x.service {
                0 => {
                    apis_of_a[x.api] += 1;
                    prop_assert_eq!(x.priority, Priority::Interactive);
                }
                1 => {
                    prop_assert_eq!(x.api, 1, "entry b names API `x`, the second of b's APIs");
                    prop_assert_eq!(x.priority, Priority::Interactive);
                }
                _ => prop_assert_eq!(x.priority, Priority::Background),
            }
        }
        for (k, wk) in [w.0, w.1, w.2].into_iter().enumerate() {
            let p = wk / total;
            let sd = (n * p * (1.0 - p)).sqrt();
            prop_assert!((counts[k] as f64 - n * p).abs() <= Z * sd, "target {}: {} of {}, expected {} +- {}", k, counts[k], n, n * p, Z * sd);
        }
        let na = counts[0] as f64;
        let sd = (na * (1.0 / 3.0) * (2.0 / 3.0)).sqrt();
        for (k, c) in apis_of_a.iter().enumerate() {
            prop_assert!((*c as f64 - na / 3.0).abs() <= Z * sd, "api {} of a: {} of {}", k, c, na);
        }
    }
}

/// Poisson shape statistics of a flat phase of `rate`/s lasting `secs`: the fraction of the
/// first `GAPS` gaps longer than 1/rate, and the variance-to-mean ratio of the counts per second.
fn shape(a: &[Arrival], rate: f64, secs: u64) -> (f64, f64) {
    const GAPS: usize = 10_000;
    assert!(a.len() > GAPS, "{} arrivals", a.len());
    let long = a[..=GAPS]
        .windows(2)
        .filter(|w| (w[1].at.as_nanos() - w[0].at.as_nanos()) as f64 * 1e-9 > 1.0 / rate)
        .count();
    let counts: Vec<f64> = (0..secs)
        .map(|k| {
            let n =
                count_before(a, Time::from_secs_f64((k + 1) as f64)) - count_before(a, Time::from_secs_f64(k as f64));
            n as f64
        })
        .collect();
    let m = counts.len() as f64;
    let mean = counts.iter().sum::<f64>() / m;
    let var = counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (m - 1.0);
    (long as f64 / GAPS as f64, var / mean)
}

/// Poisson arrivals look like a Poisson process, not just its counts: gaps exponential, counts
/// per second as dispersed as their mean (tolerances in the module docs). Uniform arrivals at
/// the same rate, which pass every count check, fail both: their gaps are all 1/rate (so the
/// fraction longer than that is near 0 or 1 by rounding, never e^-1) and every second holds
/// exactly 50 (ratio 0).
#[test]
fn poisson_gaps_are_exponential_and_counts_as_dispersed_as_their_mean() {
    const RATE: f64 = 50.0;
    const SECS: u64 = 400;
    let p = (-1.0f64).exp();
    let gap_tol = Z * (p * (1.0 - p) / 10_000.0).sqrt();
    let vmr_tol = Z * (2.0 / (SECS as f64 - 1.0)).sqrt();
    let flat = [Ph {
        ms: SECS * 1000,
        rate: RATE,
        ramp: Ramp::Flat,
    }];
    let poisson = build("poisson", &flat);
    for seed in [1, 7, 1234] {
        let (long, vmr) = shape(&all(&poisson, seed), RATE, SECS);
        assert!(
            (long - p).abs() <= gap_tol,
            "seed {seed}: {long} of gaps > 1/rate, expected {p} +- {gap_tol}"
        );
        assert!(
            (vmr - 1.0).abs() <= vmr_tol,
            "seed {seed}: variance/mean {vmr}, expected 1 +- {vmr_tol}"
        );
    }
    // The checks can fail: evenly spaced arrivals at the same rate are far outside both.
    let (long, vmr) = shape(&all(&build("uniform", &flat), 1), RATE, SECS);
    assert!(
        (long - p).abs() > gap_tol,
        "uniform gaps passed the exponential check: {long}"
    );
    assert!(
        (vmr - 1.0).abs() > vmr_tol,
        "uniform counts passed the dispersion check: {vmr}"
    );
}

/// Common random numbers: the gateway, the clients and the backend's service times do not draw
/// from the arrival or mix streams, so changing them leaves the schedule identical, byte for byte.
#[test]
fn the_schedule_ignores_everything_but_the_workload() {
    let workload = "[workload]\narrival = \"poisson\"\n\
                    mix = [{ service = \"a\", weight = 3 }, { service = \"b\", api = \"api-2\" }]\n\
                    [[workload.phases]]\nduration = \"20s\"\nrate = 40\nramp = true\n\
                    [[workload.phases]]\nduration = \"10s\"\nrate = 120\ntrigger = true\n\
                    [[workload.phases]]\nduration = \"20s\"\nrate = 40\n";
    let backend = |st: &str| {
        format!(
            "[[backend.services]]\nname = \"a\"\napis = 4\nworkers = 2\nservice_time = {st}\n\
             [[backend.services]]\nname = \"b\"\napis = 2\nworkers = 1\nservice_time = \"30ms\"\n"
        )
    };
    let variants = [
        "[gateway]\nstrategy = \"fifo\"\n".to_string(),
        "[gateway]\nstrategy = \"passthrough\"\n".to_string(),
        "[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 10\n".to_string(),
        "[gateway]\nstrategy = \"deadline\"\n".to_string(),
        "[gateway]\nstrategy = \"codel\"\n".to_string(),
        "[gateway]\nstrategy = \"adaptive-lifo\"\nqueue_capacity = 50\n".to_string(),
        "[gateway]\nstrategy = \"adaptive\"\nconcurrency = 3\n".to_string(),
        "[clients]\ntimeout = \"300ms\"\n[clients.retry]\nmax_attempts = 4\nbackoff = \"exponential\"\njitter = \"full\"\n"
            .to_string(),
    ];
    let bytes = |a: &[Arrival]| -> Vec<u8> {
        let mut out = Vec::new();
        for x in a {
            out.extend_from_slice(&x.intent.to_le_bytes());
            out.extend_from_slice(&x.at.as_nanos().to_le_bytes());
            out.extend_from_slice(&(x.service as u64).to_le_bytes());
            out.extend_from_slice(&(x.api as u64).to_le_bytes());
            out.push(u8::from(x.priority == Priority::Background));
        }
        out
    };
    for seed in [1, 7, 1234] {
        let base = scenario::parse("t.toml", &format!("{workload}{}", backend("\"10ms\""))).unwrap();
        let reference = all(&base, seed);
        assert!(reference.len() > 1000);
        let mut others: Vec<String> = variants
            .iter()
            .map(|v| format!("{workload}{v}{}", backend("\"10ms\"")))
            .collect();
        others.push(format!(
            "{workload}{}",
            backend("{ dist = \"lognormal\", median = \"40ms\", p99 = \"400ms\" }")
        ));
        for text in &others {
            let s = scenario::parse("t.toml", text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            let a = all(&s, seed);
            assert_eq!(
                bytes(&a),
                bytes(&reference),
                "seed {seed}: the schedule changed for\n{text}"
            );
        }
    }
}

/// Regression (model/src/workload.rs, `Schedule::next`, fixed): with uniform arrivals, the arrival whose
/// integrated rate equals a phase's total exactly (`target <= total`) is emitted at `p.end`, the
/// first instant of the next phase. When that phase is silent (rate 0), it receives an arrival:
/// here one at t = 1.000 s in the silent phase [1 s, 3 s), and the last phase gets 499 instead of 500.
#[test]
fn uniform_arrivals_never_fall_in_a_silent_phase() {
    let s = build(
        "uniform",
        &[
            Ph {
                ms: 1000,
                rate: 500.0,
                ramp: Ramp::Flat,
            },
            Ph {
                ms: 2000,
                rate: 0.0,
                ramp: Ramp::Flat,
            },
            Ph {
                ms: 1000,
                rate: 500.0,
                ramp: Ramp::Flat,
            },
        ],
    );
    let a = all(&s, 1);
    let per_phase: Vec<usize> = s
        .phases
        .iter()
        .map(|p| count_before(&a, p.end) - count_before(&a, p.start))
        .collect();
    assert_eq!(per_phase, [500, 0, 500], "arrivals per phase");
}

/// Regression (model/src/workload.rs, `invert`, fixed): near the end of a ramp down to rate 0 the quadratic's
/// discriminant r0^2 + 4 a x is a difference of nearly equal numbers; its rounding error, magnified
/// by the square root, places the arrival due exactly at the end (integrated rate 165 = 22 s x 15/2)
/// 247 ns early, inside the run: 166 arrivals instead of 165 (floor = ceil = 165).
#[test]
fn uniform_ramp_down_to_zero_has_the_integrated_count() {
    let s = build(
        "uniform",
        &[Ph {
            ms: 22_000,
            rate: 15.0,
            ramp: Ramp::To(0.0),
        }],
    );
    assert_eq!(all(&s, 1).len(), 165);
}
