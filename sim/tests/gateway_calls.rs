//! The gateway's side of a backend call, as the live gateway runs it: its own retries of a
//! 502/503 (`[gateway.retries]`) and its upstream timeout (`gateway.upstream_timeout`, 504).

use model::scenario;

fn run(text: &str) -> model::results::Results {
    sim::simulate(&scenario::parse("t.toml", text).expect("valid scenario"), None)
}

/// A backend down for its first second answers 503 with Retry-After 1 s. The gateway pauses
/// dispatch (pushback) and, with retries on, queues the failed call and sends it again after
/// the pause: the requests of the outage succeed. Without retries each of them is a 503.
#[test]
fn gateway_retries_carry_requests_over_a_short_outage() {
    let text = |retries: &str| {
        format!(
            "[run]\nseed = 1\n[workload]\narrival = \"uniform\"\n[[workload.phases]]\nduration = \"3s\"\nrate = 5\n\
             [clients]\ntimeout = \"10s\"\n[gateway]\nstrategy = \"bounded\"\nqueue_capacity = 100\n{retries}\
             [[backend.services]]\nname = \"a\"\nworkers = 2\nservice_time = \"10ms\"\n\
             faults = {{ outages = [{{ at = \"0s\", duration = \"1s\", kind = \"reject\", retry_after = \"1s\" }}] }}\n"
        )
    };
    let without = run(&text(""));
    let with = run(&text(
        "[gateway.retries]\nenabled = true\nmax_attempts = 3\nbudget_ratio = 1.0\nmin_per_sec = 100\n",
    ));
    let (w, r) = (&without.summary.whole, &with.summary.whole);
    assert_eq!(w.offered, 15);
    assert_eq!(r.offered, 15);
    // Without: the first call of the outage is refused, and dispatch pauses until 1 s, so the
    // rest of the outage's requests wait and are served after it: exactly one failure.
    assert_eq!(
        w.offered - w.successes,
        1,
        "without retries the outage costs exactly its first request: {w:?}"
    );
    assert_eq!(
        r.successes, r.offered,
        "retried after the pause, every request succeeds: {r:?}"
    );
    assert!(
        r.latency.max >= 0.9,
        "a retried request waited out the pause: {}",
        r.latency.max
    );
    // The retries are counted (backend calls besides the clients' attempts), and said.
    assert_eq!(without.gateway_retries(), 0);
    let n = with.gateway_retries();
    assert!(n >= w.offered - w.successes, "{n} gateway retries");
    let table = model::results::summary_table(&with);
    assert!(
        table.contains(&format!("gateway       {n} retries of a 502/503")),
        "{table}"
    );
}

/// A call longer than the upstream timeout is answered 504 at the timeout and frees the
/// gateway's slot; the backend keeps working on it (its answer is for nobody).
#[test]
fn the_upstream_timeout_answers_504_and_the_backend_keeps_working() {
    let text = |timeout: &str| {
        format!(
            "[run]\nseed = 1\n[workload]\narrival = \"uniform\"\n[[workload.phases]]\nduration = \"4s\"\nrate = 1\n\
             [clients]\ntimeout = \"20s\"\n[gateway]\nstrategy = \"fifo\"\n{timeout}\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"2s\"\n"
        )
    };
    let patient = run(&text(""));
    assert_eq!(patient.summary.whole.successes, 4, "{:?}", patient.summary.whole);
    let r = run(&text("upstream_timeout = \"500ms\"\n"));
    let w = &r.summary.whole;
    assert_eq!((w.offered, w.successes, w.expired + w.errors), (4, 0, 4), "{w:?}");
    // Each attempt is answered exactly at the timeout, whatever waits in the backend.
    assert!(
        (r.summary.attempt_latency.max - 0.5).abs() < 1e-3,
        "{:?}",
        r.summary.attempt_latency
    );
    assert!((r.summary.attempt_latency.p50 - 0.5).abs() < 1e-3);
    // The backend worked on them anyway (the run ends with the last answer, so only the work
    // done by then is counted). As live, it counts as wasted only past the client's deadline,
    // which the backend knows; the gateway giving up it does not.
    assert!(r.summary.backend_busy_s >= 2.0, "{}", r.summary.backend_busy_s);
}
