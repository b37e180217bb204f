//! One scenario, both clocks: the simulator and a time-compressed live run through the real
//! gateway and mock-legacy agree on goodput ratio and median latency within 10%.

const SCENARIO: &str = r#"
[run]
name = "sim-vs-live"
seed = 5
[[workload.phases]]
name = "normal"
duration = "12s"
rate = 60
[[workload.phases]]
name = "burst"
duration = "6s"
rate = 160
trigger = true
[[workload.phases]]
name = "after"
duration = "12s"
rate = 60
[clients]
timeout = "1s"
[clients.retry]
max_attempts = 2
backoff = "exponential"
base = "100ms"
jitter = "full"
[gateway]
strategy = "bounded"
queue_capacity = 30
[[backend.services]]
name = "legacy"
apis = 5
workers = 4
service_time = { dist = "lognormal", median = "35ms", p99 = "120ms" }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulator_and_live_run_agree() {
    let s = model::scenario::parse("sim-vs-live.toml", SCENARIO).unwrap();
    let sim = sim::simulate(&s, None);
    let opts = loadgen::LiveOptions {
        time_scale: 2.0,
        ..Default::default()
    };
    let live = loadgen::run_live(&s, &opts, std::future::pending()).await.unwrap();
    let (gs, gl) = (sim.summary.whole.goodput_ratio, live.summary.whole.goodput_ratio);
    let (ms, ml) = (sim.summary.whole.latency.p50, live.summary.whole.latency.p50);
    eprintln!("sim: goodput ratio {gs:.4}, p50 {ms:.4}s; live: goodput ratio {gl:.4}, p50 {ml:.4}s");
    // The burst must bite, or agreement would be trivial.
    assert!(
        sim.summary.whole.shed + sim.summary.whole.timeouts > 50,
        "the burst overloads: {:?}",
        sim.summary
    );
    assert!((gs - gl).abs() / gs <= 0.10, "goodput ratio: sim {gs:.4}, live {gl:.4}");
    assert!(
        (ms - ml).abs() / ms <= 0.10,
        "median latency: sim {ms:.4}s, live {ml:.4}s"
    );
}
