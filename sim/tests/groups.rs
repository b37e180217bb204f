//! Per-class and per-service figures are attributed to the right intents: two services behind
//! one gateway, one of them overloaded, each reached by its own mix entry with its own class.

use model::results::GroupCounters;
use model::scenario::{self, Priority};

/// `fast` (4 workers, 10 ms) gets background traffic; `slow` (1 worker, ~100 ms, offered 150%
/// of its capacity) interactive traffic (crossed, so the first class goes to the second service
/// and a mix-up of class and service indices shows). The gateway's queues are per service, so
/// `fast` stays healthy while `slow` times out; since each class goes to one service, the class
/// figures and the service figures must be the same counts.
#[test]
fn classes_and_services_count_the_same_intents_when_they_coincide() {
    let s = scenario::parse(
        "groups.toml",
        "[run]\nseed = 3\n[[workload.phases]]\nduration = \"60s\"\nrate = 30\n\
         [[workload.mix]]\nservice = \"fast\"\nweight = 1\npriority = \"background\"\n\
         [[workload.mix]]\nservice = \"slow\"\nweight = 1\n\
         [clients]\ntimeout = \"1s\"\n[gateway]\nstrategy = \"fifo\"\n\
         [[backend.services]]\nname = \"fast\"\nworkers = 4\nservice_time = \"10ms\"\n\
         [[backend.services]]\nname = \"slow\"\nworkers = 1\nservice_time = { dist = \"exponential\", mean = \"100ms\" }\n",
    )
    .unwrap();
    let r = sim::simulate(&s, None);
    let (fast, slow) = (&r.summary.services["fast"], &r.summary.services["slow"]);
    assert!(fast.goodput_ratio > 0.99, "fast stays healthy: {fast:?}");
    assert!(
        slow.goodput_ratio < 0.8 && slow.timeouts > 100,
        "slow is overloaded: {slow:?}"
    );
    assert!(fast.latency.p99 < 0.05, "{}", fast.latency.p99);
    assert_eq!(fast.offered + slow.offered, r.summary.whole.offered);
    assert_eq!(fast.timeouts + slow.timeouts, r.summary.whole.timeouts);
    let counters = |g: &model::results::GroupResults| -> GroupCounters { g.counters };
    assert_eq!(
        counters(&r.classes[&Priority::Background]),
        counters(&r.services["fast"])
    );
    assert_eq!(
        counters(&r.classes[&Priority::Interactive]),
        counters(&r.services["slow"])
    );
    assert_eq!(
        r.classes[&Priority::Interactive].intent_latency,
        r.services["slow"].intent_latency
    );
    // Per window as well, and the windows add up to the whole run. (Only services keep the
    // requests their queue held: classes share their service's.)
    let intents = |g: Option<&model::results::GroupWindow>| g.map(|g| (g.offered, g.successes)).unwrap_or_default();
    for w in &r.windows {
        assert_eq!(
            intents(w.classes.get(&Priority::Background)),
            intents(w.services.get("fast")),
            "{}",
            w.start_s
        );
        assert_eq!(
            intents(w.classes.get(&Priority::Interactive)),
            intents(w.services.get("slow")),
            "{}",
            w.start_s
        );
        assert_eq!(w.classes.get(&Priority::Interactive).map_or(0.0, |g| g.held), 0.0);
    }
    let offered: u64 = r
        .windows
        .iter()
        .filter_map(|w| w.services.get("slow"))
        .map(|g| g.offered)
        .sum();
    assert_eq!(offered, slow.offered);
    // No trigger: healthy `fast` is stable, overloaded `slow` is overloaded.
    use model::results::Verdict;
    assert_eq!(
        (fast.verdict, slow.verdict),
        (Some(Verdict::Stable), Some(Verdict::Overloaded))
    );
    let back = model::results::Results::from_json("groups.json", &r.to_json()).unwrap();
    assert_eq!(
        (&back.classes, &back.services),
        (&r.classes, &r.services),
        "groups survive the results file"
    );
    // The whole run averages them: its goodput sits between the two.
    assert!(r.summary.whole.goodput_ratio < fast.goodput_ratio && r.summary.whole.goodput_ratio > slow.goodput_ratio);

    // Replications report each service over the seeds.
    let runs: Vec<_> = (3..6).map(|seed| sim::simulate(&s, Some(seed))).collect();
    let reps = sim::stats::summarize(&runs);
    let names: Vec<&str> = reps.services.keys().map(String::as_str).collect();
    assert_eq!(names, ["fast", "slow"]);
    assert!(reps.services["slow"].goodput_ratio.mean < reps.services["fast"].goodput_ratio.mean);
    assert!(sim::stats::render(&reps).contains("service slow"));
}

/// One service: no per-service figures (the whole run is that service).
#[test]
fn one_service_keeps_no_service_figures() {
    let s = scenario::parse(
        "one.toml",
        "[[workload.phases]]\nduration = \"5s\"\nrate = 10\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
    )
    .unwrap();
    let r = sim::simulate(&s, None);
    assert!(r.services.is_empty() && r.summary.services.is_empty());
}

/// A service whose requests all outlast the clients' timeout at 30% utilisation is unhealthy,
/// not overloaded: its verdict's reason says so with its own utilisation, while an overloaded
/// one reads "plain overload" with its own.
#[test]
fn an_unhealthy_service_at_light_load_is_not_called_plain_overload() {
    let s = scenario::parse(
        "light.toml",
        "[run]\nseed = 3\n[[workload.phases]]\nduration = \"60s\"\nrate = 4\n\
         [clients]\ntimeout = \"200ms\"\n\
         [[backend.services]]\nname = \"slowish\"\nworkers = 1\nservice_time = \"300ms\"\n\
         [[backend.services]]\nname = \"busy\"\nworkers = 1\nservice_time = \"600ms\"\n",
    )
    .unwrap();
    // 2/s each: slowish 2 x 0.3 = 60%, busy 2 x 0.6 = 120%.
    let r = sim::simulate(&s, None);
    let reason = |name: &str| r.summary.services[name].verdict_reason.clone();
    assert!(
        reason("slowish").contains("at 60% offered utilisation: not overload"),
        "{}",
        reason("slowish")
    );
    assert!(
        reason("busy").contains("plain overload (120% offered utilisation)"),
        "{}",
        reason("busy")
    );
    assert!(
        r.summary
            .whole
            .verdict_reason
            .contains("plain overload (120% offered utilisation)"),
        "the whole run is judged by its busiest service: {}",
        r.summary.whole.verdict_reason
    );
}

/// `[gateway.services.NAME]` limits that service alone: one slot in front of two workers halves
/// its capacity through the gateway, and the other service keeps the shared limit.
#[test]
fn a_service_gets_its_own_gateway_limit() {
    let text = |own: &str| {
        format!(
            "[run]\nseed = 5\n[[workload.phases]]\nduration = \"60s\"\nrate = 3\n\
             [clients]\ntimeout = \"1000s\"\n[gateway]\nstrategy = \"fifo\"\n{own}\
             [[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"1s\"\n\
             [[backend.services]]\nname = \"b\"\nworkers = 2\nservice_time = \"1s\"\n"
        )
    };
    // 1.5/s each against 2 workers of 1 s: 75% utilisation, waits of about a second at most.
    let shared = sim::simulate(&scenario::parse("a.toml", &text("")).unwrap(), None);
    let own = sim::simulate(
        &scenario::parse("b.toml", &text("[gateway.services.a]\nconcurrency = 1\n")).unwrap(),
        None,
    );
    let p50 = |r: &model::results::Results, s: &str| r.summary.services[s].latency.p50;
    // Through one slot `a` is offered 150% of what it can serve: its queue grows all run long.
    assert!(p50(&shared, "a") < 3.0, "{}", p50(&shared, "a"));
    assert!(p50(&own, "a") > 10.0, "{}", p50(&own, "a"));
    // `b` is untouched: the same arrivals and service times give the same figures.
    assert_eq!(p50(&own, "b"), p50(&shared, "b"));
}

/// `[gateway.services.NAME]`'s `queue_timeout` sheds that service's requests that waited
/// longer (503), and no other service's: both are offered 150% of what they serve under
/// `fifo`, which sheds for nothing else, and only `a` has a queue timeout.
#[test]
fn a_service_gets_its_own_queue_timeout() {
    let s = scenario::parse(
        "qt.toml",
        "[run]\nseed = 7\n[[workload.phases]]\nduration = \"20s\"\nrate = 30\n\
         [clients]\ntimeout = \"1000s\"\n[gateway]\nstrategy = \"fifo\"\n\
         [gateway.services.a]\nqueue_timeout = \"200ms\"\n\
         [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"100ms\"\n\
         [[backend.services]]\nname = \"b\"\nworkers = 1\nservice_time = \"100ms\"\n",
    )
    .unwrap();
    let r = sim::simulate(&s, None);
    let (a, b) = (&r.summary.services["a"], &r.summary.services["b"]);
    // About a third of `a`'s 300 intents cannot be served: each waits 200 ms, then is shed.
    assert!(a.shed > 50, "a sheds what waited past its queue timeout: {a:?}");
    assert!(a.latency.max < 0.35, "no answer of a's waits much past 200 ms: {a:?}");
    // `b` queues without limit, as the shared settings say: its backlog grows all run long.
    assert_eq!(b.shed, 0, "{b:?}");
    assert!(b.latency.max > 5.0, "{b:?}");
    assert_eq!(r.summary.whole.shed, a.shed);
}

/// `[clients.services.NAME]` gives one service's clients their own timeout: two services alike
/// (one worker, 1.5 s per request, lightly loaded), whose clients wait 1 s and 10 s. Every
/// attempt to the first times out; none to the second does.
#[test]
fn each_service_gets_its_own_client_timeout() {
    let s = scenario::parse(
        "ct.toml",
        "[run]\nseed = 11\n[[workload.phases]]\nduration = \"60s\"\nrate = 0.5\n\
         [clients]\ntimeout = \"5s\"\n\
         [clients.services.impatient]\ntimeout = \"1s\"\n\
         [clients.services.patient]\ntimeout = \"10s\"\n\
         [[backend.services]]\nname = \"impatient\"\nworkers = 1\nservice_time = \"1500ms\"\n\
         [[backend.services]]\nname = \"patient\"\nworkers = 1\nservice_time = \"1500ms\"\n",
    )
    .unwrap();
    let r = sim::simulate(&s, None);
    let (short, long) = (&r.summary.services["impatient"], &r.summary.services["patient"]);
    assert!(short.offered > 5 && long.offered > 5, "{short:?} {long:?}");
    assert_eq!(short.timeouts, short.attempts, "{short:?}");
    assert_eq!(short.successes, 0, "{short:?}");
    assert_eq!(long.timeouts, 0, "{long:?}");
    assert_eq!(long.successes, long.offered, "{long:?}");
}
