//! Which requests' queue waits the results count: every request that queued, once, whether it
//! left the queue for the backend, for an answer, because its client left (`abandon =
//! "cancel"`), or not at all by the run's end (`abandon = "keep"`: requests whose clients gave
//! up stay queued). Counting only those that reached the backend made a collapse look short:
//! the requests that waited longest were the ones left out.

use model::results::{metric, Results};
use model::scenario;

/// 20 requests 100 ms apart at a one-worker backend that takes 100 s each, clients that wait
/// 1 s and do not retry: the first is served at once, the other 19 queue behind it until their
/// clients give up.
fn stuck(abandon: &str) -> Results {
    let text = format!(
        "[run]\nseed = 1\nwindow = \"1s\"\n[workload]\narrival = \"uniform\"\n[[workload.phases]]\nduration = \"2s\"\nrate = 10\n\
         [clients]\ntimeout = \"1s\"\n[clients.retry]\nmax_attempts = 1\n\
         [gateway]\nstrategy = \"fifo\"\nconcurrency = 1\nabandon = \"{abandon}\"\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"100s\"\n"
    );
    sim::simulate(&scenario::parse("t.toml", &text).expect("valid scenario"), None)
}

#[test]
fn a_request_removed_when_its_client_leaves_counts_the_time_it_waited() {
    let r = stuck("cancel");
    assert_eq!(r.summary.whole.offered, 20);
    let w = &r.summary.queue_wait;
    assert_eq!(w.count, 20, "every request queued once: {w:?}");
    // 19 of them waited their clients' whole 1 s (the histogram's grain is under 0.1%).
    assert!((w.p50 - 1.0).abs() < 0.002, "median wait {} s, not 1 s", w.p50);
    let h = &r.totals[metric::QUEUE_WAIT].0;
    assert_eq!(h.count_between(999_000, 1_001_000), 19);
}

#[test]
fn requests_still_queued_at_the_end_count_their_wait_so_far() {
    let r = stuck("keep");
    assert_eq!(r.summary.whole.offered, 20);
    let w = &r.summary.queue_wait;
    assert_eq!(w.count, 20, "every request queued once: {w:?}");
    // Kept after their clients left, the 19 are still queued when the last client gives up,
    // 1 s after the last arrival: each waited from its arrival to then, the second request
    // longest (1.8 s after it), the last 1 s.
    let arrivals_span = 1.8;
    assert!(
        (w.max - (1.0 + arrivals_span)).abs() < 0.003,
        "longest wait {} s",
        w.max
    );
    let h = &r.totals[metric::QUEUE_WAIT].0;
    assert_eq!(h.count_between(999_000, 2_803_000), 19);
}
