//! The load generator against real servers on 127.0.0.1: open-loop honesty (coordinated
//! omission), latency accuracy, retry behaviour, the death spiral, shards, bad targets.

use loadgen::{run_live, LiveOptions};
use model::results::{Results, Verdict};
use model::scenario::{self, Scenario};
use std::time::Duration;

fn parse(text: &str) -> Scenario {
    scenario::parse("test.toml", text).expect("valid scenario")
}

fn never() -> std::future::Pending<()> {
    std::future::pending()
}

/// Live tests share two cores: one at a time, so none measures the others' load.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn live(s: &Scenario, opts: LiveOptions) -> Results {
    let _turn = ONE_AT_A_TIME.lock().await;
    run_live(s, &opts, never()).await.expect("run succeeds")
}

fn scaled(f: f64) -> LiveOptions {
    LiveOptions {
        time_scale: f,
        ..LiveOptions::default()
    }
}

/// Service 5 ms, a 1 s stall every 5 s, 100 intents/s with enough workers that nothing else
/// queues. A fifth of the arrivals land in a stall and wait out its rest, uniformly 0..1 s, so
/// P(latency > x) = 0.2 (1 - (x - 5 ms) / 1 s): the p90 is 0.505 s and the p99 0.955 s. A
/// closed-loop generator would send no new requests during the stall and report a p99 near 5 ms.
///
/// The stack adds its own time O >= 0 to each request, and most to the stalled ones: they are
/// all released together at the stall's end, queue behind each other in the gateway and the
/// generator, and at time scale 5 each real millisecond of that is 5 ms of scenario time. How
/// much depends on the machine (a fixed 25 ms allowance failed at load average 4-5, p99 1.02 to
/// 1.06 s), so the test measures it in the same run instead of assuming it: the p90's requests
/// are stalled ones too, released in the same bursts as the p99's, and for latency R + 5 ms + O
/// with the rest of the stall R uniform and O independent of it, every quantile of the stalled
/// fifth is the analytic one plus the mean of O (exact while O varies by under 50 ms below its
/// mean). A probe service, as the next test has, would not measure it: the probe's requests
/// are not in the bursts, and its tail misses most of what the stalled ones get. Nor would the
/// generator's lateness scale it: that is how late sends were, not how long answers queued. So:
/// - lower: O >= 0, so each empirical quantile is at least the analytic quantile 3 sigma below
///   it, sigma = sqrt(q(1-q)/n), free of the machine;
/// - upper: p99 - p90 is the analytic 0.45 s, whatever O adds to both, within 3 standard errors
///   of the spacing of two empirical quantiles, sqrt(0.09 * 0.91 / n) / f with the density
///   f = 0.2/s: 68 ms at n ~ 4000, which a stall of the wrong length (a time scale applied
///   twice or not at all) is far outside.
///
/// 40 s of scenario time (8 s real) for n ~ 4000 samples, so that the spacing's spread stays
/// near the 60 ms this test's fixed tolerance had. The run is seeded, so its draw is the same
/// every time; what varies between runs is O (on 2026-12-05, with and without 4 busy loops on
/// the 2 cores: p90 0.542-0.575 s, p99 0.984-1.016 s, p99 - p90 0.429-0.452 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_shows_in_the_p99_as_the_analysis_says() {
    const TIME_SCALE: f64 = 5.0;
    let s = parse(
        "[[workload.phases]]\nduration = \"40s\"\nrate = 100\n[clients]\ntimeout = \"10s\"\n[gateway]\nstrategy = \"passthrough\"\n\
         [[backend.services]]\nname = \"s\"\nworkers = 200\nservice_time = \"5ms\"\n\
         faults = { stalls = { every = \"5s\", duration = \"1s\" } }\n",
    );
    let r = live(&s, scaled(TIME_SCALE)).await;
    let lat = r.summary.whole.latency;
    let n = lat.count;
    assert!(n > 3000, "the run served its requests: {lat:?}");
    // The analytic quantile of the latency without the stack's time, for q >= 0.8.
    let analytic = |q: f64| 1.005 - (1.0 - q) / 0.2;
    let sigma = |q: f64| (q * (1.0 - q) / n as f64).sqrt();
    // Histogram buckets round values by up to 1 part in 1000 (3 significant digits).
    let p99_low = analytic(0.99 - 3.0 * sigma(0.99)) * 0.999;
    let p90_low = analytic(0.9 - 3.0 * sigma(0.9)) * 0.999;
    assert!(
        lat.p99 >= p99_low,
        "the stall shows in the p99: {:.3}s, analytic 0.955s, at least {p99_low:.3}s",
        lat.p99
    );
    assert!(
        lat.p90 >= p90_low,
        "and in the p90: {:.3}s, analytic 0.505s, at least {p90_low:.3}s",
        lat.p90
    );
    let spacing_se = (0.09 * 0.91 / n as f64).sqrt() / 0.2;
    let spacing_high = analytic(0.99) - analytic(0.9) + 3.0 * spacing_se + 0.001 * (lat.p99 + lat.p90);
    assert!(
        lat.p99 - lat.p90 <= spacing_high,
        "p99 {:.3}s - p90 {:.3}s = {:.3}s, analytic 0.450s, at most {spacing_high:.3}s (the stack \
         added {:.3}s to the stalled requests' p90)",
        lat.p99,
        lat.p90,
        lat.p99 - lat.p90,
        lat.p90 - analytic(0.9)
    );
    assert!(lat.p50 < 0.05, "most requests are fast: p50 {}", lat.p50);
    // The generator kept up: nothing left unsent, and its lateness cannot account for what the
    // p99 shows: fewer than 1% of sends were late by as much as the p99's lower bound (lateness
    // is real time, latency scenario time). Not the 1 ms `lagging` warning: generator, gateway
    // and backend share one 2-worker runtime here, and the burst released at the end of each
    // stall delays the generator's tasks past 1 ms in about one run in four on a 2-core VM
    // (4 runs on 2026-12-01: 1.02 and 1.97 ms; the others 0.22-0.88 ms). Nor a fixed number of
    // milliseconds: how late a shared machine makes it is not what this test is about.
    let g = r.generator.as_ref().expect("a live run reports its generator's health");
    assert!(
        g.unsent == 0 && g.lateness_p99_s * TIME_SCALE < p99_low,
        "the generator kept up: {g:?}"
    );
}

/// At low load through a passthrough gateway, measured latency quantiles match the configured
/// service-time distribution, up to the stack's own overhead, which a second service measures
/// in the same run: `probe` answers in a constant 1 ms, so its latency minus 1 ms samples the
/// overhead (two loopback hops, the mock's timer, whatever else the machine is doing) under
/// the same conditions. Latency is S + O, service time plus overhead, both non-negative, so:
/// - lower: L >= S, hence the empirical q-quantile of L is at least S's (q - 3 sigma)-quantile,
///   sigma = sqrt(q(1-q)/n), the empirical quantile's spread, free of any distribution;
/// - upper: P(S + O > s_a + o_b) <= (1 - a) + (1 - b). The probe's empirical quantile at qp
///   exceeds O's true quantile at b = qp - 3 sigma_p, so the empirical q-quantile of L (at most
///   the true (q + 3 sigma)-quantile) is at most s_a + probe_qp - 1 ms with
///   a = q + 3 sigma + (1 - b).
///
/// This catches unit, scale and wrong-clock errors (tens of ms) without assuming how idle the
/// machine is: a busy CI runner put 3.5 ms on the p90 of a constant 20 ms service (the fixed
/// 3 ms allowance this test once had). Run unscaled, since time compression multiplies the
/// overhead in scenario time. 5 s per distribution, ~1000 requests per service: the bounds
/// widen with 1/sqrt(n) (at q0.9, 0.028 in probability against 0.020 at 10 s), far inside the
/// errors the test is for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_quantiles_match_the_configured_service_times() {
    const PROBE_S: f64 = 0.001;
    for dist in [
        "\"20ms\"",
        "{ dist = \"lognormal\", median = \"20ms\", p99 = \"100ms\" }",
    ] {
        let s = parse(&format!(
            "[[workload.phases]]\nduration = \"5s\"\nrate = 400\n[clients]\ntimeout = \"10s\"\n[gateway]\nstrategy = \"passthrough\"\n\
             [[backend.services]]\nname = \"s\"\nworkers = 64\nservice_time = {dist}\n\
             [[backend.services]]\nname = \"probe\"\nworkers = 64\nservice_time = \"1ms\"\n"
        ));
        let r = live(&s, scaled(1.0)).await;
        // The stack's ~0.3 ms per request is 23% of the probe's 1 ms (0.3 / 1.3): the results
        // say so, not only a log line.
        let overhead = r.notes.overhead.as_ref().expect("the overhead is noted");
        assert_eq!((overhead.service.as_str(), overhead.time_scale), ("probe", 1.0));
        assert!((overhead.loss - 0.3 / 1.3).abs() < 1e-9, "{overhead:?}");
        assert!(model::results::summary_table(&r).contains("WARNING       at time scale 1, the in-process stack's"));
        let of = |name: &str| {
            r.summary
                .services
                .get(name)
                .unwrap_or_else(|| panic!("a summary for service {name}: {:?}", r.summary.services.keys()))
                .latency
        };
        let (lat, probe) = (of("s"), of("probe"));
        assert!(
            lat.count > 750 && probe.count > 750,
            "both services served: {lat:?} {probe:?}"
        );
        let d = &s.services[0].service_time;
        let spread = |q: f64, n: u64| 3.0 * (q * (1.0 - q) / n as f64).sqrt();
        for (q, got, qp, probe_qp) in [(0.5, lat.p50, 0.9, probe.p90), (0.9, lat.p90, 0.99, probe.p99)] {
            // Histogram buckets round values by up to 1 part in 1000 (3 significant digits).
            let low = d.quantile(q - spread(q, lat.count)) * 0.999;
            let b = qp - spread(qp, probe.count);
            let a = q + spread(q, lat.count) + (1.0 - b);
            let overhead = (probe_qp - PROBE_S).max(0.0);
            let high = (d.quantile(a) + overhead) * 1.001;
            assert!(
                got >= low && got <= high,
                "{dist} q{q}: measured {got:.4}s, want {low:.4}..{high:.4}s (service time {:.4}s \
                 at q{q}, the probe's overhead {overhead:.4}s at q{qp})",
                d.quantile(q)
            );
        }
    }
}

/// A Retry-After of an hour is not waited: the intents give up at once, and the results say how
/// many did (the simulator's note, live).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intents_given_up_on_a_long_retry_after_are_noted_live() {
    let s = parse(
        "[[workload.phases]]\nduration = \"3s\"\nrate = 20\n[clients]\ntimeout = \"1s\"\n[clients.retry]\nmax_attempts = 3\n\
         [gateway]\nstrategy = \"passthrough\"\n[[backend.services]]\nname = \"s\"\nworkers = 4\nservice_time = \"1ms\"\n\
         faults = { rate_limit = { rate = 5, burst = 5, retry_after = \"1h\" } }\n",
    );
    let r = live(&s, scaled(1.0)).await;
    let w = &r.summary.whole;
    assert!(w.rate_limited > 10, "{w:?}");
    assert_eq!(w.retries, 0, "no retry waited an hour");
    assert_eq!(r.notes.retry_after_past_lifetime, w.rate_limited);
    assert!(model::results::summary_table(&r).contains("intents gave up: a Retry-After's pause"));
}

/// `[clients.services.NAME]` applies live: two services alike (1 s per request, workers to
/// spare, nothing queued), whose clients wait 300 ms and 5 s (the clients-wide timeout, 2 s,
/// would serve both). Every attempt to the first times out; every intent to the second
/// succeeds. Margins of 700 ms and 4 s over the service time: no race with the machine's load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_service_gets_its_own_client_timeout_live() {
    let s = parse(
        "[[workload.phases]]\nduration = \"3s\"\nrate = 4\n[clients]\ntimeout = \"2s\"\n\
         [clients.services.impatient]\ntimeout = \"300ms\"\n[clients.services.patient]\ntimeout = \"5s\"\n\
         [gateway]\nstrategy = \"passthrough\"\n\
         [[backend.services]]\nname = \"impatient\"\nworkers = 16\nservice_time = \"1s\"\n\
         [[backend.services]]\nname = \"patient\"\nworkers = 16\nservice_time = \"1s\"\n",
    );
    let r = live(&s, scaled(1.0)).await;
    let (short, long) = (&r.summary.services["impatient"], &r.summary.services["patient"]);
    assert!(short.offered > 0 && long.offered > 0, "{short:?} {long:?}");
    assert_eq!((short.timeouts, short.successes), (short.attempts, 0), "{short:?}");
    assert_eq!((long.timeouts, long.successes), (0, long.offered), "{long:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_backend_gets_exactly_max_attempts_per_intent() {
    let s = parse(
        "[[workload.phases]]\nduration = \"5s\"\nrate = 40\n[clients]\ntimeout = \"1s\"\n[clients.retry]\nmax_attempts = 3\nbackoff = \"fixed\"\nbase = \"10ms\"\n\
         [gateway]\nstrategy = \"passthrough\"\n[[backend.services]]\nname = \"s\"\nworkers = 16\nservice_time = \"1ms\"\nfaults = { error_ratio = 1.0 }\n",
    );
    let r = live(&s, scaled(1.0)).await;
    assert!(r.summary.whole.offered > 100);
    assert_eq!(
        r.summary.whole.attempts,
        3 * r.summary.whole.offered,
        "every intent made exactly 3 attempts"
    );
    assert_eq!(r.summary.whole.successes, 0);
    assert_eq!(r.summary.whole.errors, r.summary.whole.attempts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_budget_bounds_amplification() {
    let s = parse(
        "[[workload.phases]]\nduration = \"10s\"\nrate = 50\n[clients]\ntimeout = \"1s\"\n\
         [clients.retry]\nmax_attempts = 5\nbudget = { ratio = 0.1, min_per_sec = 0 }\n\
         [gateway]\nstrategy = \"passthrough\"\n[[backend.services]]\nname = \"s\"\nworkers = 16\nservice_time = \"1ms\"\nfaults = { error_ratio = 1.0 }\n",
    );
    let r = live(&s, scaled(2.0)).await;
    let a = r.summary.whole.amplification;
    assert!(a <= 1.1 + 1e-9, "amplification {a} within the 10% budget");
    assert!(a > 1.05, "and the budget is used: {a}");
}

/// scenarios/death-spiral.toml, live, 8x compressed: the unbounded FIFO collapses during the
/// burst and stays collapsed at normal load; shedding (the bounded queue, its bound sized as
/// `spillway compare` sizes it) and the deadline-aware strategy recover. Shortened to 20 s
/// before the burst and 80 s after it (from 60 s and 120 s): 15 s of a CI run per strategy,
/// and 20 s of normal load at 120/s is baseline enough. (This is CI's live queue-against-shed
/// gate: `.ci/run` compares the strategies live no more.)
///
/// Both verdicts need a normal phase the stack carried: at 60% utilisation it did unless the
/// host took the machine away (CI, 2026-12-07: deadline's 20 s before the burst at 83.2%,
/// `overloaded`; 100% in every window of 3 local runs that day). A run called `overloaded` is
/// no evidence either way, so that run alone is done again, at most twice; a strategy that
/// cannot carry its normal load fails all three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_death_spiral_live_fifo_stays_down_bounded_and_deadline_recover() {
    let s = scenario::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/death-spiral.toml"
    )))
    .unwrap();
    let mut by_strategy = Vec::new();
    for strategy in ["fifo", "bounded", "deadline"] {
        let mut file = s.file.clone();
        let phases = &mut file.workload.phases;
        assert_eq!(phases.len(), 3, "normal, burst, after");
        phases[0].duration = "20s".parse().unwrap();
        phases[2].duration = "80s".parse().unwrap();
        let sc = scenario::resolve(&s.source, file)
            .unwrap()
            .with_strategy(strategy.parse().unwrap())
            .unwrap();
        let mut r = live(&sc, scaled(8.0)).await;
        for again in 1..=2 {
            if r.summary.whole.verdict != Some(Verdict::Overloaded) {
                break;
            }
            eprintln!(
                "{strategy}: the normal phase was not carried ({}); run {} of at most 3",
                r.summary.whole.verdict_reason,
                again + 1
            );
            r = live(&sc, scaled(8.0)).await;
        }
        assert!(
            !r.generator.as_ref().unwrap().lagging || r.generator.as_ref().unwrap().unsent == 0,
            "{:?}",
            r.generator
        );
        by_strategy.push(r);
    }
    let [fifo, bounded, deadline] = &by_strategy[..] else {
        unreachable!("three strategies ran")
    };
    // After the burst (it ends at 40 s) the offered load is back to normal; fifo's goodput is
    // not, from 40 s later to the end.
    let after = |r: &Results| {
        let w: Vec<_> = r
            .windows
            .iter()
            .filter(|w| w.start_s >= 80.0 && w.start_s < 120.0)
            .collect();
        let (o, ok) = w.iter().fold((0, 0), |(o, k), w| {
            (o + w.counters.requests.intents, k + w.counters.requests.successes)
        });
        ok as f64 / o.max(1) as f64
    };
    assert_eq!(
        fifo.summary.whole.verdict,
        Some(Verdict::Metastable),
        "{}",
        fifo.summary.whole.verdict_reason
    );
    assert!(after(fifo) < 0.5, "fifo goodput 40 s after the burst: {}", after(fifo));
    for (name, r) in [("bounded", bounded), ("deadline", deadline)] {
        assert_eq!(
            r.summary.whole.verdict,
            Some(Verdict::Recovered),
            "{name}: {}",
            r.summary.whole.verdict_reason
        );
        assert!(after(r) > 0.9, "{name} goodput after the burst: {}", after(r));
    }
    assert!(
        fifo.summary.wasted_s > 5.0 * deadline.summary.wasted_s,
        "fifo serves the abandoned: {} vs {}",
        fifo.summary.wasted_s,
        deadline.summary.wasted_s
    );
}

/// Two shards (each half the arrivals, its own seed) against one target, merged, look like one
/// unsharded run within sampling error. A fifth of the intents are background, all of them to
/// service `t`: each run keeps figures per class and per service (the same counts, since class
/// and service coincide), and the merge adds them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_merged_equal_one_unsharded_run() {
    let s = parse(
        "[run]\nseed = 11\n[[workload.phases]]\nduration = \"20s\"\nrate = 100\n[clients]\ntimeout = \"2s\"\n[gateway]\nstrategy = \"passthrough\"\n\
         [[workload.mix]]\nservice = \"s\"\nweight = 4\n[[workload.mix]]\nservice = \"t\"\nweight = 1\npriority = \"background\"\n\
         [[backend.services]]\nname = \"s\"\nworkers = 64\nservice_time = \"10ms\"\n\
         [[backend.services]]\nname = \"t\"\nworkers = 32\nservice_time = \"10ms\"\n",
    );
    let ml = mock_legacy::start(&s.time_scaled(4.0).unwrap(), "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let target = |shard| LiveOptions {
        target: Some(ml.url()),
        time_scale: 4.0,
        shard,
        ..LiveOptions::default()
    };
    let whole = live(&s, target((0, 1))).await;
    let (a, b) = {
        // Both shards at once, as on two machines (the lock is taken for the pair).
        let _turn = ONE_AT_A_TIME.lock().await;
        let (first, second) = (target((0, 2)), target((1, 2)));
        tokio::join!(run_live(&s, &first, never()), run_live(&s, &second, never()))
    };
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.summary.whole.offered, 0);
    let shard_p50s = (a.summary.whole.latency.p50, b.summary.whole.latency.p50);
    let mut shard_classes = a.classes.clone();
    for (class, c) in &b.classes {
        let sum = shard_classes.get_mut(class).expect("both shards keep both classes");
        sum.counters.add(&c.counters);
        sum.intent_latency.add(&c.intent_latency);
    }
    let merged = model::results::merge(vec![("a".into(), a), ("b".into(), b)]).unwrap();
    assert_eq!(merged.classes, shard_classes, "the merge adds the shards' classes");
    assert_eq!(
        (merged.shard, merged.merged_from),
        (None, Some(2)),
        "a merge says what it is"
    );
    for r in [&whole, &merged] {
        let counters = |g: Option<&model::results::GroupResults>| g.map(|g| g.counters);
        assert_eq!(
            counters(r.classes.get(&model::scenario::Priority::Interactive)),
            counters(r.services.get("s"))
        );
        assert_eq!(
            counters(r.classes.get(&model::scenario::Priority::Background)),
            counters(r.services.get("t"))
        );
        assert_eq!(
            r.classes.len(),
            2,
            "a scenario with background traffic keeps both classes"
        );
        let sum =
            |f: fn(&model::results::GroupCounters) -> u64| r.classes.values().map(|c| f(&c.counters)).sum::<u64>();
        assert_eq!(sum(|c| c.intents), r.summary.whole.offered);
        assert_eq!(sum(|c| c.attempts), r.summary.whole.attempts);
        assert_eq!(sum(|c| c.successes), r.summary.whole.successes);
        assert_eq!(sum(|c| c.failures), r.summary.whole.failures);
        assert_eq!(sum(|c| c.retries), r.summary.whole.retries);
        assert_eq!(sum(|c| c.timeouts), r.summary.whole.timeouts);
        let latencies: u64 = r.classes.values().map(|c| c.intent_latency.len()).sum();
        assert_eq!(latencies, r.summary.whole.latency.count);
        // Background is a binomial fifth of the intents: within 4 standard deviations.
        let n = r.summary.whole.offered as f64;
        let bg = r.summary.classes[&model::scenario::Priority::Background].offered as f64;
        assert!(
            (bg - 0.2 * n).abs() < 4.0 * (n * 0.2 * 0.8).sqrt(),
            "{bg} background intents of {n}"
        );
    }
    let lambda: f64 = 2000.0;
    let diff = (merged.summary.whole.offered as f64 - whole.summary.whole.offered as f64).abs();
    assert!(
        diff < 4.0 * (2.0 * lambda).sqrt(),
        "offered {} vs {}",
        merged.summary.whole.offered,
        whole.summary.whole.offered
    );
    assert!(merged.summary.whole.goodput_ratio > 0.99 && whole.summary.whole.goodput_ratio > 0.99);
    // Latencies are not compared with the unsharded run's: the shards ran at the same time on a
    // shared host, so their overheads differ by the host's load, not by the merge (a CI run once
    // read p50 13.6 ms merged against 17.0 ms whole). What the merge must keep holds exactly: no
    // answer beats the constant 10 ms service time, and the median of the merged histogram lies
    // between the shards' medians.
    let p50 = merged.summary.whole.latency.p50;
    assert!(
        p50 >= 0.010 && whole.summary.whole.latency.p50 >= 0.010,
        "p50 {p50} below the service time"
    );
    let (lo, hi) = (shard_p50s.0.min(shard_p50s.1), shard_p50s.0.max(shard_p50s.1));
    assert!(
        (lo..=hi).contains(&p50),
        "merged p50 {p50} outside the shards' {shard_p50s:?}"
    );
    let count: u64 = merged.windows.iter().map(|w| w.counters.requests.intents).sum();
    assert_eq!(count, merged.summary.whole.offered, "windows were added, not replaced");
    ml.shutdown().await;
}

/// A closed loop is split between shards by its users (each shard used to run all of them, so
/// N shards sent N times the load), and a shard with no user is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_loop_shard_runs_its_share_of_the_users() {
    // Constant think time and 1 ms answers: each user sends about every 0.2 s.
    let s = parse(
        "[run]\nduration = \"2s\"\n[workload.closed]\nusers = 4\nthink_time = \"200ms\"\n\
         [[backend.services]]\nname = \"a\"\nworkers = 8\nservice_time = \"1ms\"\n",
    );
    let sharded = |shard| LiveOptions {
        shard,
        ..LiveOptions::default()
    };
    let whole = live(&s, sharded((0, 1))).await.summary.whole.offered as f64;
    let half = live(&s, sharded((1, 2))).await.summary.whole.offered as f64;
    assert!(whole >= 30.0, "4 users for 2 s: {whole}");
    assert!(
        (0.35..=0.65).contains(&(half / whole)),
        "2 of 4 users: {half} of {whole}"
    );
    let e = run_live(&s, &sharded((4, 5)), never()).await.unwrap_err().to_string();
    assert!(e.contains("the closed loop has 4 user(s), fewer than 5 shards"), "{e}");
}

#[tokio::test]
async fn an_unreachable_target_is_reported_once_before_the_run() {
    let s = parse("[[workload.phases]]\nduration = \"5s\"\nrate = 10\n[[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = LiveOptions {
        target: Some(format!("http://127.0.0.1:{port}")),
        ..LiveOptions::default()
    };
    // A watchdog against a hang only (the preflight gives up after 3 s).
    let err = tokio::time::timeout(Duration::from_secs(60), run_live(&s, &opts, never()))
        .await
        .expect("no hang")
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&format!("127.0.0.1:{port}")) && msg.to_lowercase().contains("refused"),
        "{msg}"
    );
    // Reported before the run, not after 5 s of failures: the error is the preflight's own
    // (`TargetError`, "cannot reach the target"). Without the preflight the run would go ahead,
    // return results full of refused attempts, and `unwrap_err` above or this check would fail.
    let pre = err.downcast_ref::<loadgen::driver::TargetError>();
    assert!(
        pre.is_some_and(|e| e.0.starts_with("cannot reach the target")),
        "not the pre-run check: {msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_still_returns_its_results_marked_incomplete() {
    let s = parse(
        "[[workload.phases]]\nduration = \"60s\"\nrate = 50\n[gateway]\nstrategy = \"passthrough\"\n[[backend.services]]\nname = \"s\"\nworkers = 8\nservice_time = \"5ms\"\n\
         [[thresholds]]\ncheck = \"goodput_ratio >= 0.5\"\n",
    );
    let _turn = ONE_AT_A_TIME.lock().await;
    let stop = tokio::time::sleep(Duration::from_millis(1500));
    let r = run_live(&s, &LiveOptions::default(), stop).await.unwrap();
    assert!(r.incomplete);
    assert!(
        r.summary.whole.offered >= 40 && r.summary.whole.offered < 200,
        "about 1.5 s of arrivals: {}",
        r.summary.whole.offered
    );
    assert!(r.summary.whole.successes > 0);
    // Rates are per the 1.5 s it ran, not the 60 s it was meant to (which gave ~1.25/s).
    assert!(
        (0.5..5.0).contains(&r.summary.duration_s),
        "duration {} s",
        r.summary.duration_s
    );
    assert!(
        r.summary.whole.goodput > 25.0,
        "goodput {}/s at 50/s offered",
        r.summary.whole.goodput
    );
    // It held over the 1.5 s that ran, which proves nothing of the 60 s run: not judged.
    let [t] = &r.thresholds[..] else {
        panic!("one threshold: {:?}", r.thresholds)
    };
    assert!(!t.passed, "{t:?}");
    assert_eq!(t.missing.as_deref(), Some(model::results::INTERRUPTED_NOT_JUDGED));
}

/// HTTP/2 by prior knowledge (h2c) against the reference gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speaks_h2c() {
    let s = parse(
        "[[workload.phases]]\nduration = \"3s\"\nrate = 50\n[gateway]\nstrategy = \"passthrough\"\n[[backend.services]]\nname = \"s\"\nworkers = 8\nservice_time = \"2ms\"\n",
    );
    let ml = mock_legacy::start(&s, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let setup = reference_gateway::Setup::from_scenario(&s, Some(&ml.url())).unwrap();
    let gw = reference_gateway::start(setup, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let r = live(
        &s,
        LiveOptions {
            target: Some(gw.url()),
            http2: true,
            ..LiveOptions::default()
        },
    )
    .await;
    assert!(r.summary.whole.offered > 100);
    assert_eq!(r.summary.whole.successes, r.summary.whole.offered, "{:?}", r.summary);
    gw.shutdown().await;
    ml.shutdown().await;
}

/// An in-process run records what the simulator records, request by request: queue waits,
/// service times, queued requests cancelled when their client left, the adaptive limit, and
/// each job's work in the windows it took up. Before, live results had no queue waits, service
/// times, cancellations or limit, and a job's wasted work landed whole in the window it ended
/// in: 3 s jobs on 2 workers put up to 6 backend-seconds into a 1 s window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stack_records_what_the_simulator_records() {
    // 3 s jobs on 2 workers at 3 intents/s: the queue grows, clients give up after 500 ms, the
    // gateway cancels the queued ones and the dispatched ones run on, wasted.
    let s = parse(
        "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"8s\"\nrate = 3\n\
         [clients]\ntimeout = \"500ms\"\n[clients.retry]\nmax_attempts = 1\n\
         [gateway]\nstrategy = \"fifo\"\nconcurrency = 2\nabandon = \"cancel\"\n\
         [[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = \"3s\"\n",
    );
    let r = live(&s, scaled(8.0)).await;
    let wasted: f64 = r.windows.iter().map(|w| w.counters.wasted_s).sum();
    // The simulator: 9.0 s.
    assert!(wasted > 4.0, "the dispatched jobs ran on, wasted: {wasted}s");
    for w in &r.windows {
        // Two workers do at most 2 backend-seconds of work in a 1 s window (5% for the jitter
        // of live timers at 8x).
        assert!(
            w.counters.wasted_s <= 2.1 && w.counters.backend_busy_s <= 2.1,
            "window at {}s: busy {}s, wasted {}s",
            w.start_s,
            w.counters.backend_busy_s,
            w.counters.wasted_s
        );
    }
    // Every attempt queued once: dispatched, or removed when its client left (its wait then
    // counts too, as in the simulator), or still queued at the end. (Only counting the
    // dispatched ones gave 5 of 19.) An attempt whose client gave up before the gateway read
    // it (62 ms of real time here) never queued: on a loaded machine, a few may not count.
    let (waits, attempts) = (r.summary.queue_wait.count, r.summary.whole.attempts);
    assert!(
        waits <= attempts && waits + (attempts / 10).max(3) >= attempts,
        "{waits} queue waits for {attempts} attempts: {:?}",
        r.summary.queue_wait
    );
    let service = &r.totals[model::results::metric::SERVICE_TIME];
    assert!(!service.is_empty(), "service times recorded");
    let cancelled: u64 = r.windows.iter().map(|w| w.counters.cancelled).sum();
    assert!(cancelled > 0, "queued requests whose client left were cancelled");

    let adaptive = parse(
        "[run]\nwindow = \"1s\"\n[[workload.phases]]\nduration = \"3s\"\nrate = 20\n\
         [gateway]\nstrategy = \"adaptive\"\n\
         [[backend.services]]\nname = \"s\"\nworkers = 4\nservice_time = \"20ms\"\n",
    );
    let r = live(&adaptive, scaled(4.0)).await;
    let limits = r.windows.iter().filter(|w| w.gauges.limit.is_some()).count();
    assert!(
        limits * 2 >= r.windows.len(),
        "the limit in {limits} of {} windows",
        r.windows.len()
    );

    // The gateway's own retries of a 503 (an outage's first second, Retry-After 1 s).
    let retries = parse(
        "[run]\nseed = 1\n[workload]\narrival = \"uniform\"\n[[workload.phases]]\nduration = \"3s\"\nrate = 5\n\
         [clients]\ntimeout = \"10s\"\n[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 100\n\
         [gateway.retries]\nenabled = true\nmax_attempts = 3\nbudget_ratio = 1.0\nmin_per_sec = 100\n\
         [[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"10ms\"\n\
         faults = { outages = [{ at = \"0s\", duration = \"1s\", kind = \"reject\", retry_after = \"1s\" }] }\n",
    );
    let r = live(&retries, scaled(2.0)).await;
    assert!(r.gateway_retries() > 0, "the gateway's retries are in the results");
}

/// Each window's services' requests held add up to the whole run's: the same samples.
fn services_add_up_to_the_whole(r: &Results) {
    // A window no gauge sample fell in has neither (its services' held read 0).
    for (w, held) in r.windows.iter().filter_map(|w| Some((w, w.held()?))) {
        let sum: f64 = w.services.values().map(|g| g.held).sum();
        assert!(
            (sum - held).abs() <= 1e-9 * held.max(1.0),
            "{}: {sum} vs {held}",
            w.start_s
        );
    }
}

/// Each service's requests held at the gateway are sampled with the gauges, as the simulator
/// samples them: a service's verdict reads its own backlog draining, not the whole gateway's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stack_samples_each_services_backlog() {
    // `slow` gets about 3 intents/s and serves 1/s: its queue grows; `fast` keeps up.
    let s = parse(
        "[run]\nwindow = \"1s\"\nseed = 3\n[[workload.phases]]\nduration = \"4s\"\nrate = 6\n\
         [clients]\ntimeout = \"30s\"\n[clients.retry]\nmax_attempts = 1\n[gateway]\nstrategy = \"fifo\"\n\
         [[backend.services]]\nname = \"slow\"\nworkers = 1\nservice_time = \"1s\"\n\
         [[backend.services]]\nname = \"fast\"\nworkers = 2\nservice_time = \"10ms\"\n",
    );
    let r = live(&s, scaled(4.0)).await;
    let held = |name: &str| -> f64 {
        r.windows
            .iter()
            .filter_map(|w| w.services.get(name))
            .map(|g| g.held)
            .sum()
    };
    assert!(held("slow") > 2.0, "slow's backlog: {}", held("slow"));
    assert!(
        held("fast") < held("slow") / 2.0,
        "fast {} vs slow {}",
        held("fast"),
        held("slow")
    );
    services_add_up_to_the_whole(&r);
}

/// Past `--connections`, attempts wait in the generator for a connection, unseen by the gateway:
/// they are sampled too, in the whole run's and their service's requests held, so a backlog
/// draining there is seen draining (with the gateway's only, a queue pinned at the cap read as a
/// standing one: live called `metastable` what the simulator called still draining).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_waiting_for_a_connection_count_in_the_backlog() {
    // 3 connections for about 6 intents/s against 2 services of 1 worker at 1 s each.
    let s = parse(
        "[run]\nwindow = \"1s\"\nseed = 5\n[[workload.phases]]\nduration = \"4s\"\nrate = 6\n\
         [clients]\ntimeout = \"30s\"\n[clients.retry]\nmax_attempts = 1\n[gateway]\nstrategy = \"fifo\"\n\
         [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"1s\"\n\
         [[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"1s\"\n",
    );
    let opts = LiveOptions {
        max_connections: 3,
        ..scaled(4.0)
    };
    let r = live(&s, opts).await;
    let peak = |f: &dyn Fn(&model::results::Window) -> f64| r.windows.iter().map(f).fold(0.0, f64::max);
    let waiting = peak(&|w| w.gauges.generator_waiting_mean);
    assert!(waiting > 2.0, "attempts waited in the generator: {waiting}");
    // The gateway never holds more than the connections; the backlog is past them.
    let at_gateway = peak(&|w| w.gauges.queue_depth_mean + w.gauges.in_flight_mean);
    assert!(at_gateway <= 3.0 + 1e-9, "{at_gateway}");
    let held = peak(&|w| w.held().unwrap_or(0.0));
    assert!(held > 5.0, "{held}");
    services_add_up_to_the_whole(&r);
    // Every wait ended: the count goes back to 0 (the last sample is after the last answer).
    assert_eq!(r.windows.last().map(|w| w.gauges.generator_waiting_mean), Some(0.0));
}

/// Arrivals beyond what the generator can hold (`max_outstanding`) are unsent: left out of
/// the figures, as intents it had no socket for. They were once failed intents of latency 0,
/// so a run against a target that never answers read `p50 1us` beside 0% goodput.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_the_generator_cannot_hold_are_left_out_of_the_latencies() {
    use tokio::io::AsyncReadExt as _;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Reads every request and never answers.
    let target = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while matches!(s.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    let s = parse(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 200\n[clients]\ntimeout = \"300ms\"\n[clients.retry]\nmax_attempts = 1\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n",
    );
    let opts = LiveOptions {
        target: Some(format!("http://127.0.0.1:{port}")),
        max_outstanding: 10,
        ..LiveOptions::default()
    };
    let r = live(&s, opts).await;
    target.abort();
    let g = r.generator.as_ref().expect("generator health");
    let w = &r.summary.whole;
    // About 10 held per 300 ms timeout of ~200 arrivals: most are unsent.
    assert!(g.unsent > 50, "{g:?}");
    assert!(w.offered > 0 && w.successes == 0, "{w:?}");
    assert_eq!(w.timeouts, w.attempts, "every attempt sent timed out: {w:?}");
    assert!(
        w.latency.p50 >= 0.29,
        "every intent in the figures waited out its timeout: p50 {}",
        w.latency.p50
    );
}

/// At a rate far beyond the generator, arrivals fall due faster than it admits them; an
/// interrupt still stops it at once. It once admitted every overdue arrival of the batch under
/// way before it looked at the stop flag and never yielded: the results came back, but the
/// dispatching task held its worker until the batch was through (at ~100 ns each against an
/// arrival due every 1.1 ns, each batch ~90 times the last), so the runtime, and the binary,
/// could not finish: 10-23 s past the stop here in release, four minutes for `timeout 15` on a
/// 1-second run at 1e9/s. The test reads when admissions ended from the run's own send
/// lateness, and guards the runtime's shutdown with a watchdog.
#[test]
fn an_interrupt_stops_a_rate_beyond_the_generator_at_once() {
    let s = parse(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 900000000\n[clients]\ntimeout = \"300ms\"\n[gateway]\nstrategy = \"passthrough\"\n\
         [[backend.services]]\nname = \"s\"\nworkers = 8\nservice_time = \"1ms\"\n",
    );
    let _turn = ONE_AT_A_TIME.blocking_lock();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Few held at once, so almost every arrival is unsent and cheap: memory stays small.
    let opts = LiveOptions {
        max_outstanding: 1000,
        ..LiveOptions::default()
    };
    let r = rt.block_on(async {
        let stop = tokio::time::sleep(Duration::from_millis(300));
        run_live(&s, &opts, stop).await.expect("run")
    });
    // A watchdog against a shutdown that hangs (the four-minute case), not a timing check.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(rt);
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(60))
        .expect("the runtime shut down");
    assert!(r.incomplete);
    // What the run recorded shows when it stopped admitting. The schedule runs ~50x ahead of the
    // generator, so an arrival's send lateness is about the real time at which it was admitted,
    // and the largest is about the last admission. Fixed, the dispatcher stops within 1024
    // admissions (well under a millisecond) of the stop, at `duration_s` (~0.3 s). The regression
    // kept admitting (every arrival unsent or started on a worker, each recording its lateness)
    // until the results were sealed, after the interrupt's 1 s grace for in-flight intents,
    // which its own new intents kept from ending early: its largest lateness is ~1.3 s. Half the
    // grace, 0.5 s, lies between the two with room for scheduling noise either way.
    let last_admitted = r
        .totals
        .get(model::results::metric::SEND_LATENESS)
        .map_or(0.0, |h| h.max_s());
    let stopped = r.summary.duration_s;
    assert!(
        last_admitted < stopped + 0.5,
        "arrivals admitted until {last_admitted} s, after the stop at {stopped} s"
    );
}

/// The in-process stack (no --target) with POSTs carrying a JSON body and headers: the
/// reference gateway forwards method and body, and mock-legacy serves a POST like a GET, so
/// every intent succeeds. A body over the stack's 1 MiB limit is refused (413), which shows
/// the body is sent, not dropped on the way. Bounded: 1 s at 20 intents/s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_process_stack_serves_posts_with_a_body() {
    let text = |body: &str| {
        format!(
            "[[workload.phases]]\nduration = \"1s\"\nrate = 20\n[clients]\ntimeout = \"2s\"\n\
             [clients.request]\nmethod = \"POST\"\nheaders = {{ content-type = \"application/json\", x-tenant = \"a\" }}\nbody = '{body}'\n\
             [gateway]\nstrategy = \"passthrough\"\n\
             [[backend.services]]\nname = \"s\"\nworkers = 8\nservice_time = \"2ms\"\n"
        )
    };
    let r = live(&parse(&text("{\"order\": 1}")), scaled(1.0)).await;
    let w = &r.summary.whole;
    assert!(w.offered >= 10, "{w:?}");
    assert_eq!(w.successes, w.offered, "{w:?} {:?}", r.notes);
    let big = "x".repeat(1_100_000);
    let r = live(&parse(&text(&big)), scaled(1.0)).await;
    assert_eq!(r.summary.whole.successes, 0, "{:?}", r.summary.whole);
    assert!(r.notes.statuses.get(&413).is_some_and(|n| *n > 0), "{:?}", r.notes);
}

/// `loadgen run FILE --target URL` with a file whose services give only their names (and
/// APIs): no workers, no service_time, which describe only the in-process mock backend. It
/// drives a mock-legacy started here (with its own workers and service times) through the whole
/// command: file, flags, run, results. Bounded: 1 s at 20 intents/s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_only_service_names_drives_a_target() {
    use clap::Parser as _;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        run: loadgen::RunArgs,
    }
    let load = "[[workload.phases]]\nduration = \"1s\"\nrate = 20\n[clients]\ntimeout = \"2s\"\n\
                [[thresholds]]\ncheck = \"goodput_ratio >= 0.99\"\n";
    let file = format!(
        "{load}[[backend.services]]\nname = \"orders\"\napis = [\"list\", \"get\"]\n\n[[backend.services]]\nname = \"billing\"\n"
    );
    // The target: spillway's own backend, with figures of its own the file does not know.
    let backend = parse(&format!(
        "{load}[[backend.services]]\nname = \"orders\"\napis = [\"list\", \"get\"]\nworkers = 8\nservice_time = \"2ms\"\n\
         [[backend.services]]\nname = \"billing\"\nworkers = 8\nservice_time = \"3ms\"\n"
    ));
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-only-names-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (path, out) = (dir.join("target.toml"), dir.join("out"));
    std::fs::write(&path, &file).unwrap();
    let ml = mock_legacy::start(&backend, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .unwrap();
    let args = |target: Option<&str>| {
        let mut a = vec![
            "loadgen".to_string(),
            path.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--no-progress".into(),
        ];
        if let Some(t) = target {
            a.extend(["--target".into(), t.into()]);
        }
        Cli::parse_from(a).run
    };
    // Without --target the in-process backend would serve the services: refused, saying so.
    let e = loadgen::run(args(None)).await.unwrap_err().to_string();
    assert!(
        e.contains(
            "backend.services[0]: missing `workers` and `service_time`: they are needed because no --target was given"
        ),
        "{e}"
    );
    assert!(!out.exists(), "a refused file leaves no output directory");
    let finish = {
        let _turn = ONE_AT_A_TIME.lock().await;
        loadgen::run(args(Some(&ml.url()))).await.expect("run succeeds")
    };
    ml.shutdown().await;
    let r = Results::load(&out.join("results.json")).expect("results written");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(finish, loadgen::Finish::Passed, "{:?} {:?}", r.summary.whole, r.notes);
    let w = &r.summary.whole;
    assert!(w.offered >= 10, "{w:?}");
    assert_eq!(w.successes, w.offered, "{w:?} {:?}", r.notes);
    assert_eq!(r.strategy, model::results::EXTERNAL_STRATEGY);
    // Both services were driven (a service the target did not know would answer 404).
    assert_eq!(r.services.len(), 2, "{:?}", r.services.keys().collect::<Vec<_>>());
}

/// An attempt's deadline is its intended time plus its timeout, as the simulator's client has
/// it, not the time its task got to run plus the timeout: timed from the task, a generator
/// running late counted answers that came after the timeout (from the intended send) as
/// successes (max intent latency 21.8 ms against a 20 ms timeout, no timeouts). The
/// generator is made late on purpose: its only thread is blocked for 60 ms every 130 ms, so
/// arrivals due meanwhile start up to 60 ms late. A late attempt carries the budget it has
/// left (less the margin), and one whose deadline passed before it could be sent is a timeout
/// the target never sees. The target runs on a thread and runtime of its own, answering at once.
#[test]
fn a_late_attempts_deadline_runs_from_its_intended_time() {
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let budgets: Arc<Mutex<Vec<u64>>> = Arc::default();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let seen = budgets.clone();
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let _ = port_tx.send(listener.local_addr().expect("addr").port());
            let serve = async move {
                while let Ok((mut s, _)) = listener.accept().await {
                    let seen = seen.clone();
                    tokio::spawn(async move {
                        let mut buf = Vec::new();
                        let mut chunk = [0u8; 2048];
                        // Requests on one kept-alive connection, until it closes.
                        loop {
                            while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                                let budget = head
                                    .lines()
                                    .find_map(|l| l.strip_prefix("x-spillway-timeout-ms:"))
                                    .and_then(|v| v.trim().parse::<u64>().ok());
                                seen.lock().expect("lock").push(budget.unwrap_or(u64::MAX));
                                buf.drain(..end + 4);
                                let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                                if s.write_all(ok).await.is_err() {
                                    return;
                                }
                            }
                            match s.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        }
                    });
                }
            };
            tokio::select! {
                _ = serve => {}
                _ = done_rx => {}
                _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            }
        });
    });
    let port = port_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the target started");
    let s = parse(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 200\n[clients]\ntimeout = \"20ms\"\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n",
    );
    let opts = LiveOptions {
        target: Some(format!("http://127.0.0.1:{port}/x")),
        catch_all: true,
        ..LiveOptions::default()
    };
    let _turn = ONE_AT_A_TIME.blocking_lock();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let r = rt.block_on(async {
        let blocker = tokio::spawn(async {
            for _ in 0..40 {
                tokio::time::sleep(Duration::from_millis(70)).await;
                std::thread::sleep(Duration::from_millis(60));
            }
        });
        let r = tokio::time::timeout(Duration::from_secs(30), run_live(&s, &opts, never())).await;
        blocker.abort();
        r
    });
    drop(rt);
    let _ = done_tx.send(());
    let _ = server.join();
    let r = r.expect("the run ended in time").expect("run succeeds");
    let g = r.generator.as_ref().expect("generator health");
    assert!(
        g.late_sends.unwrap_or(0) >= 10 && g.lateness_p99_s > 0.02,
        "the generator was late, as the test means it: {g:?}"
    );
    let w = &r.summary.whole;
    let budgets = budgets.lock().expect("lock").clone();
    let most = 20 - loadgen::driver::BUDGET_MARGIN.as_millis() as u64;
    assert!(
        budgets.iter().all(|&b| b <= most),
        "no budget beyond the timeout less the margin: {budgets:?}"
    );
    // Timed from the task's start, every budget was the whole 18 ms.
    assert!(
        budgets.iter().filter(|&&b| b <= most - 6).count() >= 3,
        "a late send has that much less time: {budgets:?}"
    );
    // Timed from the task's start, every attempt was sent and answered in time: a success.
    let sent = budgets.len() as u64;
    assert!(
        sent + 10 <= w.attempts,
        "attempts past their deadline before they could be sent are not sent: {sent} sent of {} attempts",
        w.attempts
    );
    assert!(w.timeouts >= w.attempts - sent, "and time out: {w:?}");
    assert_eq!(w.errors, 0, "{w:?} {:?}", r.notes);
}
