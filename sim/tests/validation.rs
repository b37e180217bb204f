//! The simulator against exact queueing results. Each case is a scenario in the normal format;
//! each estimate is the mean over R independent replications (seeds), and must lie within
//! 3 standard errors of the exact value (SE from the replications themselves; with R - 1 = 19
//! degrees of freedom a correct simulator misses by chance with probability 0.74% per check,
//! 7.2% for the ten, whose seeds are independent). Seeds are fixed, so every run of this file
//! is identical. Each check has its own seeds (`base..base + R`, the bases at least 5 000 apart): when
//! all checks used 1000-1019 they shared arrival and service streams, and that one seed set
//! pushed every estimate the same way (all nine below exact, M/M/2/5 P(block) at -2.6 SE).

use model::results::{metric, Results};
use model::scenario::{self, Scenario};
use sim::stats::Interval;

const R: u64 = 20;

fn scenario(arrival_rate: f64, horizon_s: u64, gateway: &str, servers: u32, service: &str, clients: &str) -> Scenario {
    scenario::parse(
        "validation.toml",
        &format!(
            "[run]\nwindow = \"1000s\"\n[[workload.phases]]\nduration = \"{horizon_s}s\"\nrate = {arrival_rate}\n\
             [clients]\n{clients}\n[clients.retry]\nmax_attempts = 1\n[gateway]\n{gateway}\n\
             [[backend.services]]\nname = \"s\"\nworkers = {servers}\nservice_time = {service}\n"
        ),
    )
    .expect("validation scenario is valid")
}

/// The estimate over seeds `base..base + R`.
fn replicate(s: &Scenario, base: u64, f: impl Fn(&Results) -> f64) -> Interval {
    let xs: Vec<f64> = (base..base + R).map(|seed| f(&sim::simulate(s, Some(seed)))).collect();
    Interval::of(&xs)
}

fn check(name: &str, est: Interval, exact: f64) {
    let se = est.se();
    let z = (est.mean - exact) / se;
    eprintln!(
        "{name}: simulated {:.5} (SE {se:.5}), exact {exact:.7}, z = {z:+.2}",
        est.mean
    );
    assert!(
        (est.mean - exact).abs() < 3.0 * se,
        "{name}: simulated {:.5} ± {:.5} (SE), exact {exact:.5}: off by {:.1} SE",
        est.mean,
        se,
        (est.mean - exact).abs() / se
    );
    // The check must be able to fail: the estimate is precise enough to tell 5% apart.
    assert!(3.0 * se < 0.05 * exact, "{name}: SE {se:.5} too large to test anything");
}

const PATIENT: &str = "timeout = \"100000s\"";
const EXP1: &str = "{ dist = \"exponential\", mean = \"1s\" }";

fn mean_wait(r: &Results) -> f64 {
    r.totals[metric::QUEUE_WAIT].mean_s()
}

/// Fraction of requests that waited at all (a wait of zero is recorded as the 1 us minimum).
fn p_wait(r: &Results) -> f64 {
    let h = &r.totals[metric::QUEUE_WAIT].0;
    1.0 - h.count_between(0, 1) as f64 / h.len() as f64
}

/// Fraction of requests that waited longer than `t_s` seconds. The histogram's bucket at
/// `t_s` (under 0.1% of it wide) may hold a few waits just under it: at 10 s in M/M/1, at most
/// the wait's density there (0.022/s) times 8.2 ms, 0.0002, a sixth of the estimate's SE.
fn p_wait_over(r: &Results, t_s: f64) -> f64 {
    let h = &r.totals[metric::QUEUE_WAIT].0;
    let lo = (t_s * 1e6) as u64;
    h.count_between(lo, h.max().max(lo)) as f64 / h.len() as f64
}

/// The mean wait, and the tail of the wait, which the service order decides (the mean, P(wait)
/// and abandonment with exponential patience do not: a LIFO bug in `fifo` would pass the
/// others): P(Wq > t) = rho e^{-(mu - lambda) t}, 0.108268 at t = 10 s (LIFO gives about 0.088).
/// 200,000 s per seed: at 50,000 s the mean's 3 SE was 4.5% of it, near the 5% the check needs.
#[test]
fn mm1_wait_is_4_on_average_with_an_exponential_tail() {
    let s = scenario(0.8, 200_000, "strategy = \"fifo\"\nconcurrency = 1", 1, EXP1, PATIENT);
    check("M/M/1 Wq", replicate(&s, 10_000, mean_wait), 4.0);
    check(
        "M/M/1 P(Wq > 10 s)",
        replicate(&s, 20_000, |r| p_wait_over(r, 10.0)),
        0.8 * (-0.2f64 * 10.0).exp(),
    );
}

#[test]
fn mm2_erlang_c() {
    let s = scenario(1.6, 50_000, "strategy = \"fifo\"\nconcurrency = 2", 2, EXP1, PATIENT);
    check("M/M/2 P(wait)", replicate(&s, 30_000, p_wait), 32.0 / 45.0);
    check("M/M/2 Wq", replicate(&s, 40_000, mean_wait), 16.0 / 9.0);
}

/// M/M/c/K blocking: p_n proportional to prod_{i=1..n} lambda / (min(i, c) mu), n = 0..K;
/// an arrival is blocked with probability p_K (PASTA).
fn mmck_blocking(lambda: f64, mu: f64, c: u32, k: u32) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for n in 1..=k {
        term *= lambda / (f64::from(n.min(c)) * mu);
        sum += term;
    }
    term / sum
}

/// Erlang-A (M/M/c+M): a birth-death chain with birth rate lambda and death rate
/// min(n, c) mu + max(n - c, 0) theta; abandonments happen at rate theta E[Q], so
/// P(abandon) = theta E[Q] / lambda. Truncated at 1000 customers (the terms underflow to zero
/// long before: the death rate grows as theta n).
fn erlang_a_p_abandon(lambda: f64, mu: f64, c: u32, theta: f64) -> f64 {
    let (mut term, mut sum, mut queued) = (1.0f64, 1.0f64, 0.0f64);
    for n in 1..1000u32 {
        term *= lambda / (f64::from(n.min(c)) * mu + f64::from(n.saturating_sub(c)) * theta);
        sum += term;
        queued += f64::from(n.saturating_sub(c)) * term;
    }
    theta * (queued / sum) / lambda
}

/// M/M/1+D, patience T: P(abandon) = (1 - rho) rho e^{-(mu - lambda) T} / (1 - rho^2
/// e^{-(mu - lambda) T}).
fn mm1_deterministic_patience_abandonment(lambda: f64, mu: f64, t: f64) -> f64 {
    let (rho, e) = (lambda / mu, (-(mu - lambda) * t).exp());
    (1.0 - rho) * rho * e / (1.0 - rho * rho * e)
}

/// The computed exact values agree with the published figures to the digits given (a slip in
/// a formula above, or in its parameters, would not).
#[test]
fn exact_values_match_the_stated_figures() {
    let cases = [
        ("M/M/2/5 P(block)", mmck_blocking(1.6, 1.0, 2, 5), 0.102_744_2),
        ("M/M/2+M P(abandon)", erlang_a_p_abandon(1.6, 1.0, 2, 0.5), 0.162_330),
        (
            "M/M/1+D P(abandon)",
            mm1_deterministic_patience_abandonment(0.9, 1.0, 5.0),
            0.107_306,
        ),
    ];
    for (name, computed, stated) in cases {
        assert!(
            (computed - stated).abs() < 5e-7,
            "{name}: computed {computed:.8}, stated {stated}"
        );
    }
}

#[test]
fn mm25_blocking() {
    let s = scenario(
        1.6,
        50_000,
        "strategy = \"bounded\"\nconcurrency = 2\nqueue_capacity = 3",
        2,
        EXP1,
        PATIENT,
    );
    check(
        "M/M/2/5 P(block)",
        replicate(&s, 50_000, |r| {
            r.summary.whole.shed as f64 / r.summary.whole.attempts as f64
        }),
        mmck_blocking(1.6, 1.0, 2, 5),
    );
}

#[test]
fn md1_mean_wait_is_2() {
    let s = scenario(
        0.8,
        50_000,
        "strategy = \"fifo\"\nconcurrency = 1",
        1,
        "\"1s\"",
        PATIENT,
    );
    check("M/D/1 Wq", replicate(&s, 60_000, mean_wait), 2.0);
}

/// Erlang-A: exponential patience (mean 2 s) is the client timeout; a client that gives up
/// while queued is removed from the queue (abandon = cancel); one in service is served.
fn erlang_a() -> Scenario {
    scenario(
        1.6,
        50_000,
        "strategy = \"fifo\"\nconcurrency = 2\nabandon = \"cancel\"",
        2,
        EXP1,
        "timeout = { dist = \"exponential\", mean = \"2s\" }",
    )
}

#[test]
fn erlang_a_abandonment() {
    let s = erlang_a();
    check(
        "M/M/2+M P(abandon)",
        replicate(&s, 70_000, |r| {
            r.windows.iter().map(|w| w.counters.cancelled).sum::<u64>() as f64 / r.summary.whole.offered as f64
        }),
        erlang_a_p_abandon(1.6, 1.0, 2, 0.5),
    );
}

/// Erlang-A again: the mean queue wait over every request, those removed when their client
/// gave up included (each waited its patience), is E[Q] / lambda by Little's law on the queue,
/// the same E[Q] as above: P(abandon) / theta = 0.324660 s. Counting only the requests that
/// left the queue for the backend gave 0.278 s (20 seeds, SE 0.001).
#[test]
fn erlang_a_mean_wait_counts_the_abandoned() {
    let s = erlang_a();
    check(
        "M/M/2+M Wq (all requests)",
        replicate(&s, 75_000, mean_wait),
        erlang_a_p_abandon(1.6, 1.0, 2, 0.5) / 0.5,
    );
}

/// M/M/1+D: a FIFO that drops what waited longer than T = 5 s (queue_timeout).
#[test]
fn mm1_with_deterministic_patience() {
    let s = scenario(
        0.9,
        50_000,
        "strategy = \"bounded\"\nconcurrency = 1\nqueue_capacity = 1000000\nqueue_timeout = \"5s\"",
        1,
        EXP1,
        PATIENT,
    );
    check(
        "M/M/1+D P(abandon)",
        replicate(&s, 80_000, |r| {
            r.summary.whole.shed as f64 / r.summary.whole.offered as f64
        }),
        mm1_deterministic_patience_abandonment(0.9, 1.0, 5.0),
    );
}

/// Same scenario, same seed: byte-identical results file. Another seed: different numbers.
#[test]
fn seeded_runs_are_byte_identical() {
    let s = scenario::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/death-spiral.toml"
    )))
    .unwrap();
    let a = sim::simulate(&s, None).to_json();
    let b = sim::simulate(&s, None).to_json();
    assert_eq!(a, b);
    assert_ne!(a, sim::simulate(&s, Some(12345)).to_json());
}

/// Closed loop (the machine-repairman model, M/M/1//N): N = 10 users thinking 9 s on average,
/// one server at 1 s. Exact: p0 = 1 / sum_n N!/(N-n)! (S/Z)^n, X = (1 - p0) / S, and the
/// response time R = N / X - Z (Little's law over the whole loop).
#[test]
fn closed_loop_response_time() {
    let s = scenario::parse(
        "closed.toml",
        "[run]\nduration = \"20000s\"\nwindow = \"1000s\"\n[workload.closed]\nusers = 10\nthink_time = { dist = \"exponential\", mean = \"9s\" }\n\
         [clients]\ntimeout = \"100000s\"\n[gateway]\nstrategy = \"fifo\"\nconcurrency = 1\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = { dist = \"exponential\", mean = \"1s\" }\n",
    )
    .unwrap();
    let (n, z, sv) = (10u32, 9.0f64, 1.0f64);
    let mut sum = 0.0;
    let mut term = 1.0;
    for k in 0..=n {
        if k > 0 {
            term *= f64::from(n - k + 1) * sv / z;
        }
        sum += term;
    }
    let x = (1.0 - 1.0 / sum) / sv;
    let r = f64::from(n) / x - z;
    check(
        "M/M/1//10 response time",
        replicate(&s, 90_000, |r| r.summary.whole.latency.mean),
        r,
    );
}
