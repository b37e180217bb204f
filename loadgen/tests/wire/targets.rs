//! The load generator against scripted targets on 127.0.0.1 that misbehave the way real ones
//! do: closing reused connections before answering, asking for absurd or long pauses, pauses as
//! HTTP-dates, refusing every request, answering slowly while the run is interrupted. Nothing a
//! target does may panic the generator, stall its run, or go uncounted.

use crate::common::{target, Answer, Target};

use loadgen::{run_live_quiet, LiveOptions};
use model::results::{Results, RunNotes};
use model::scenario::{self, Scenario};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// Live runs share two cores: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn answer(status: &str, headers: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\n{headers}content-length: 2\r\n\r\nno").into_bytes()
}

/// A one-target scenario: `secs` at `rate` intents/s, the clients' timeout and retry settings.
fn scenario(secs: u32, rate: u32, clients: &str) -> Scenario {
    let text = format!(
        "[[workload.phases]]\nduration = \"{secs}s\"\nrate = {rate}\n{clients}\n\
         [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n"
    );
    scenario::parse("test.toml", &text).expect("valid scenario")
}

fn against(t: &Target, time_scale: f64) -> LiveOptions {
    LiveOptions {
        target: Some(t.url()),
        catch_all: true,
        time_scale,
        ..LiveOptions::default()
    }
}

/// Runs, interrupted after `stop_after` if given, with a bound on the whole run: a run that
/// stalls fails here rather than hangs.
async fn run(s: &Scenario, opts: LiveOptions, stop_after: Option<Duration>, bound: Duration) -> (Results, RunNotes) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let t0 = Instant::now();
    let stop = async {
        match stop_after {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let r = tokio::time::timeout(bound, run_live_quiet(s, &opts, stop))
        .await
        .unwrap_or_else(|_| panic!("the run ended within {bound:?}"))
        .expect("run succeeds");
    eprintln!("run took {:?}", t0.elapsed());
    let notes = r.notes.clone();
    (r, notes)
}

/// [`run`] against `t` in real time, interrupted after 1.5 s, within 30 s.
async fn interrupted_at_1500ms(s: &Scenario, t: &Target) -> (Results, RunNotes) {
    run(
        s,
        against(t, 1.0),
        Some(Duration::from_millis(1500)),
        Duration::from_secs(30),
    )
    .await
}

fn request_id(head: &str) -> Option<&str> {
    head.split("\r\n").find_map(|l| l.strip_prefix("x-request-id: "))
}

/// A target that answers a connection's first request and closes any later one unanswered:
/// every request on a reused connection is sent again on a new one, and each of those counts as
/// an attempt, so the attempts reported are the requests the target received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_sent_again_after_a_kept_alive_connection_closed_are_counted() {
    let t = target(Arc::new(|_: &str, n: usize| {
        (n == 0).then(|| (Duration::ZERO, answer("200 OK", "")))
    }))
    .await;
    let s = scenario(2, 20, "[clients]\ntimeout = \"2s\"\n");
    let (r, notes) = run(&s, against(&t, 1.0), None, Duration::from_secs(30)).await;
    let w = &r.summary.whole;
    let received = t.requests();
    assert!(w.offered >= 20, "{w:?}");
    assert_eq!(
        w.attempts,
        received.len() as u64,
        "every request the target got is an attempt"
    );
    assert!(notes.resent > 0 && notes.resent < w.offered, "{notes:?}");
    assert_eq!(w.attempts, w.offered + notes.resent);
    assert_eq!(w.retries, notes.resent, "each resend is a retry");
    assert_eq!(w.errors, notes.resent, "each try that failed is an error");
    assert_eq!(
        w.successes, w.offered,
        "and every intent got its answer on a new connection"
    );
    let mut ids = std::collections::BTreeMap::new();
    for (_, h) in &received {
        *ids.entry(request_id(h).expect("an id").to_string()).or_insert(0) += 1;
    }
    assert!(ids.values().all(|&n| n <= 2), "sent at most twice each: {ids:?}");
    assert!(
        notes.lines().iter().any(|l| l.contains("sent again")),
        "{:?}",
        notes.lines()
    );
}

/// `Retry-After: 18446744073709551615` (u64::MAX seconds) on every answer, in a time-scaled
/// run with retries: no panic, no stall; the pause is past any intent's lifetime, so each
/// intent ends at once as rate-limited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_largest_retry_after_neither_panics_nor_stalls() {
    let t = target(Arc::new(|_: &str, _| {
        Some((
            Duration::ZERO,
            answer("429 Too Many Requests", "retry-after: 18446744073709551615\r\n"),
        ))
    }))
    .await;
    let s = scenario(
        2,
        20,
        "[clients]\ntimeout = \"1s\"\n[clients.retry]\nmax_attempts = 3\non = [\"429\", \"5xx\", \"timeout\"]\n",
    );
    let (r, _) = run(&s, against(&t, 2.0), None, Duration::from_secs(20)).await;
    let w = &r.summary.whole;
    assert!(!r.incomplete);
    assert!(w.offered >= 10, "{w:?}");
    assert_eq!(
        (w.attempts, w.rate_limited, w.failures),
        (w.offered, w.offered, w.offered),
        "{w:?}"
    );
    assert_eq!(w.latency.count, w.offered, "every intent ended");
}

/// `503` with `Retry-After: 3600` in a 2 s run: the run ends on schedule, not after its drain,
/// and every intent ends as a failure with its answer (shed), its latency recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_retry_after_ends_the_intent_instead_of_holding_the_run() {
    let t = target(Arc::new(|_: &str, _| {
        Some((
            Duration::ZERO,
            answer("503 Service Unavailable", "retry-after: 3600\r\n"),
        ))
    }))
    .await;
    let s = scenario(
        2,
        10,
        "[clients]\ntimeout = \"1s\"\n[clients.retry]\nmax_attempts = 3\n",
    );
    // 60 s: a watchdog against a hang only, beyond the drain's (1 s + 10 s) x 3 + 2 s.
    let (r, notes) = run(&s, against(&t, 1.0), None, Duration::from_secs(60)).await;
    let w = &r.summary.whole;
    // An intent that ends with its first answer lasts at most its 1 s attempt timeout, counted
    // from its due time, so plus its send lateness. One held for the Retry-After (until the 10 s
    // backoff cap, its lifetime bound or the drain) would record several seconds more, and the
    // run would last into its drain: this replaces timing the run.
    let lateness = r
        .totals
        .get(model::results::metric::SEND_LATENESS)
        .map_or(0.0, |h| h.max_s());
    assert!(
        w.latency.max < 1.0 + lateness,
        "an intent was held: {:?}, send lateness up to {lateness} s",
        w.latency
    );
    assert!(!r.incomplete, "{notes:?}");
    assert!(w.offered >= 10, "{w:?}");
    assert_eq!(
        (w.attempts, w.shed, w.failures),
        (w.offered, w.offered, w.offered),
        "{w:?}"
    );
    assert_eq!(w.latency.count, w.offered);
    assert_eq!(notes.left_out, 0);
}

/// `Retry-After` as an HTTP-date two seconds ahead: the retry waits for it (at least the one
/// second the date's whole-second grain leaves), and in a run compressed 2x the pause counts
/// twice as long in scenario time, like the seconds form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_date_retry_after_is_honoured_and_time_scaled() {
    let t = target(Arc::new(|head: &str, _| {
        let first = request_id(head).is_some_and(|id| id.ends_with("-1"));
        Some((
            Duration::ZERO,
            if first {
                let date = model::wire::format_http_date(SystemTime::now() + Duration::from_secs(2));
                answer("429 Too Many Requests", &format!("retry-after: {date}\r\n"))
            } else {
                answer("200 OK", "")
            },
        ))
    }))
    .await;
    let s = scenario(
        4,
        2,
        "[clients]\ntimeout = \"10s\"\n[clients.retry]\nmax_attempts = 2\non = [\"429\"]\n",
    );
    let (r, _) = run(&s, against(&t, 2.0), None, Duration::from_secs(30)).await;
    let w = &r.summary.whole;
    assert!(w.offered >= 2, "{w:?}");
    assert_eq!((w.successes, w.attempts), (w.offered, 2 * w.offered), "{w:?}");
    let mut first = std::collections::BTreeMap::new();
    for (at, h) in t.requests() {
        let id = request_id(&h).expect("an id").to_string();
        let (intent, attempt) = id.rsplit_once('-').expect("lg-R-I-A");
        match attempt {
            "1" => {
                first.insert(intent.to_string(), at);
            }
            _ => {
                let gap = at - first[intent];
                assert!(gap >= Duration::from_millis(900), "{id} retried after {gap:?}");
            }
        }
    }
    assert!(
        r.summary.whole.latency.p50 >= 1.8,
        "a real pause of 1-2 s is 2-4 s of scenario time: p50 {}",
        r.summary.whole.latency.p50
    );
}

/// A target that answers 404 to everything (a mistyped URL): the run says what the errors
/// were, and that they are the target refusing requests, not capacity.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_requests_are_broken_down_by_status_and_flagged() {
    let t = target(Arc::new(|head: &str, _| {
        let status = if request_id(head).is_some_and(|id| id.ends_with("-3-1")) {
            "500 Internal Server Error"
        } else {
            "404 Not Found"
        };
        Some((Duration::ZERO, answer(status, "")))
    }))
    .await;
    let s = scenario(1, 20, "[clients]\ntimeout = \"1s\"\n");
    let (r, notes) = run(&s, against(&t, 1.0), None, Duration::from_secs(20)).await;
    let w = &r.summary.whole;
    assert_eq!(notes.statuses.get(&500), Some(&1), "{notes:?}");
    assert_eq!(notes.statuses.get(&404), Some(&(w.attempts - 1)), "{notes:?}");
    // The results file keeps them, and its summary prints them.
    let saved = Results::from_json("results.json", &r.to_json()).expect("readable");
    assert_eq!(saved.notes, notes);
    let lines = model::results::summary_table(&saved);
    assert!(
        lines.contains(&format!(
            "other errors  {} x 404 Not Found, 1 x 500 Internal Server Error",
            w.attempts - 1
        )),
        "{lines}"
    );
    assert!(
        lines.contains("WARNING") && lines.contains("check the target URL"),
        "{lines}"
    );
    // Mostly 503s (overload) are no reason to doubt the URL.
    let busy = RunNotes {
        statuses: [(503, 90), (404, 10)].into_iter().collect(),
        ..RunNotes::default()
    };
    assert!(!busy.lines().join("\n").contains("check the target URL"));
}

/// Interrupted while requests are in flight (every one answered in 1.5 s): those still without
/// an answer are left out, not counted as failures, so the goodput is what was answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intents_in_flight_at_an_interrupt_are_left_out_of_goodput() {
    let t = target(Arc::new(|_: &str, _| {
        Some((Duration::from_millis(1500), answer("200 OK", "")))
    }))
    .await;
    let s = scenario(60, 20, "[clients]\ntimeout = \"10s\"\n");
    let stop = Some(Duration::from_millis(1500));
    let (r, notes) = run(&s, against(&t, 1.0), stop, Duration::from_secs(20)).await;
    let w = &r.summary.whole;
    assert!(r.incomplete);
    assert!(notes.left_out > 0, "{notes:?}");
    assert!(w.offered > 0, "{w:?}");
    assert_eq!(w.successes, w.offered, "{w:?}");
    assert!(w.goodput_ratio > 0.999, "{w:?}");
    assert!(
        (t.requests().len() as u64) >= w.offered + notes.left_out,
        "the left out were sent"
    );
}

/// An answer that comes after the attempt's timeout is a timeout, even when the timer that
/// should have ended the attempt fires later still (tokio's 1 ms grain, a busy machine): the
/// model's client would never have seen it. The target answers every request 0.3 ms after the
/// 40 ms timeout (measured from when it read the request, with a thread's precise sleep, not a
/// tokio timer), so no answer is in time, while the client's timer often fires after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_after_the_timeout_is_a_timeout() {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { return };
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match c.read(&mut chunk) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let end = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(0) + 4;
                    buf.drain(..end);
                    std::thread::sleep(Duration::from_micros(40_300));
                    if c.write_all(&answer("200 OK", "")).is_err() {
                        return;
                    }
                }
            });
        }
    });
    let s = scenario(3, 30, "[clients]\ntimeout = \"40ms\"\n");
    let opts = LiveOptions {
        target: Some(format!("http://{addr}/x")),
        catch_all: true,
        ..LiveOptions::default()
    };
    let (r, notes) = run(&s, opts, None, Duration::from_secs(20)).await;
    let w = &r.summary.whole;
    assert!(w.offered >= 30, "{w:?}");
    assert_eq!((w.successes, w.timeouts), (0, w.attempts), "{w:?} {notes:?}");
}

/// When attempts wait for one of `--connections`, the target never held more than that many,
/// and the notes say so (a queueing strategy's queue filled in the generator instead).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binding_connection_cap_is_reported() {
    let t = target(Arc::new(|_: &str, _| {
        Some((Duration::from_millis(200), answer("200 OK", "")))
    }))
    .await;
    let s = scenario(1, 20, "[clients]\ntimeout = \"5s\"\n");
    let opts = LiveOptions {
        max_connections: 2,
        ..against(&t, 1.0)
    };
    let (r, notes) = run(&s, opts, None, Duration::from_secs(30)).await;
    assert!(notes.connection_waits > 0, "{notes:?}");
    assert_eq!(notes.connections, 2);
    let text = model::results::summary_table(&r);
    assert!(
        text.contains("waited for a connection: --connections (2) capped the requests in flight"),
        "{text}"
    );
    // Room to spare: no waits, nothing said; the cap is on record all the same.
    let t = target(Arc::new(|_: &str, _| Some((Duration::ZERO, answer("200 OK", ""))))).await;
    let (r, notes) = run(&s, against(&t, 1.0), None, Duration::from_secs(30)).await;
    assert_eq!((notes.connection_waits, notes.connections), (0, 2048));
    assert!(!model::results::summary_table(&r).contains("waited for a connection"));
}

/// A run whose end-of-run wait for in-flight intents runs out (the generator fell behind) is
/// not an interrupt: the intents still in flight are left out and said, but the results are not
/// marked incomplete (what `loadgen run` reports as "interrupted", exit 130), since nobody
/// stopped the run. The generator falling behind is made certain here: the run's only thread is
/// blocked, once, inside that wait (from the `stop` future, which is polled there and never
/// ends the run), past the wait's deadline, while the target holds every request unanswered.
#[tokio::test(flavor = "current_thread")]
async fn intents_abandoned_when_the_end_of_run_wait_runs_out_are_not_an_interrupt() {
    use std::io::Read as _;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Poll;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let received = Arc::new(AtomicUsize::new(0));
    let got = received.clone();
    // Reads requests and never answers (on threads of its own: the block does not stop it).
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { return };
            let got = got.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                let mut seen = false;
                while let Ok(n @ 1..) = c.read(&mut chunk) {
                    if !seen && chunk[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                        seen = true;
                        got.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    // 0.1 s of arrivals at time scale 10; every attempt times out (0.2 s) and is retried once
    // after 0.05 s: the wait after arrivals is 0.7 s + 2 s, an intent lives at least 0.45 s.
    let s = scenario(
        1,
        20,
        "[clients]\ntimeout = \"2s\"\n[clients.retry]\nmax_attempts = 2\nbackoff = \"fixed\"\n\
         base = \"500ms\"\ncap = \"500ms\"\njitter = \"none\"\non = [\"timeout\"]\n",
    );
    let opts = LiveOptions {
        target: Some(format!("http://{addr}/x")),
        catch_all: true,
        time_scale: 10.0,
        ..LiveOptions::default()
    };
    // The stop future is polled once when the run starts and at most once more before the
    // arrivals end (nothing else wakes the run's task before then), then every 10 ms in the
    // wait: its fourth poll, with requests at the target, is inside the wait.
    let mut polls = 0u32;
    let mut stalled = false;
    let stop = std::future::poll_fn(|_| {
        polls += 1;
        if !stalled && polls >= 4 && received.load(Ordering::Relaxed) > 0 {
            stalled = true;
            std::thread::sleep(Duration::from_secs(4));
        }
        Poll::<()>::Pending
    });
    let _turn = ONE_AT_A_TIME.lock().await;
    let r = tokio::time::timeout(Duration::from_secs(30), run_live_quiet(&s, &opts, stop))
        .await
        .expect("the run ended within 30 s")
        .expect("run succeeds");
    assert!(stalled, "the wait was reached");
    assert!(
        r.notes.left_out > 0,
        "intents were in flight when the wait ran out: {:?}",
        r.notes
    );
    assert!(!r.incomplete, "abandoned at the end is not an interrupt");
    assert_eq!(model::results::incomplete_reason(&r), None);
    let text = model::results::summary_table(&r);
    assert!(!text.contains("interrupted"), "{text}");
    assert!(text.contains("had no final answer when the run ended"), "{text}");
}

/// The attempts of intents left out at an interrupt (waiting to retry) were counted while their
/// intents were not: an interrupted run reported an amplification above `max_attempts`. Against
/// a target that never answers, every intent that ends does so after exactly two attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_of_intents_left_out_are_left_out_with_them() {
    let t = target(Arc::new(|_: &str, _: usize| {
        Some((Duration::from_secs(3600), answer("200 OK", "")))
    }))
    .await;
    // Every attempt times out after 0.1 s and is retried once, 1 s later: at the interrupt
    // (1.5 s) the intents of the first ~0.4 s have ended, and the next second's wait to retry.
    let s = scenario(
        60,
        100,
        "[clients]\ntimeout = \"100ms\"\n[clients.retry]\nmax_attempts = 2\nbackoff = \"fixed\"\n\
         base = \"1s\"\ncap = \"1s\"\njitter = \"none\"\non = [\"timeout\"]\n",
    );
    let (r, notes) = interrupted_at_1500ms(&s, &t).await;
    assert!(r.incomplete, "interrupted");
    let w = &r.summary.whole;
    assert!(
        w.offered > 0 && notes.left_out > 0,
        "offered {}, left out {}",
        w.offered,
        notes.left_out
    );
    assert_eq!(w.successes, 0);
    assert_eq!(
        w.attempts,
        2 * w.offered,
        "two attempts per intent counted, none of the {} left out",
        notes.left_out
    );
    assert_eq!(w.retries, w.offered);
    assert_eq!(w.amplification, 2.0);
}

/// The notes' answers by status and failures by cause are the attempts the figures count: an
/// interrupted run's intents waiting to retry are left out with their attempts, and with their
/// 500s and resets too (they were counted as each attempt ended: "other errors 77 x 500" under
/// "attempts 0").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_and_failures_of_intents_left_out_are_left_out_with_them() {
    let clients = "[clients]\ntimeout = \"1s\"\n[clients.retry]\nmax_attempts = 2\nbackoff = \"fixed\"\n\
                   base = \"2s\"\ncap = \"2s\"\njitter = \"none\"\non = [\"5xx\"]\n";
    // Every request answered 500 at once, or its connection closed unanswered (an error).
    let cases: [(&str, Arc<Answer>); 2] = [
        (
            "500",
            Arc::new(|_: &str, _: usize| Some((Duration::ZERO, answer("500 Internal Server Error", "")))),
        ),
        ("closed", Arc::new(|_: &str, _: usize| None)),
    ];
    for (name, reply) in cases {
        let t = target(reply).await;
        let s = scenario(60, 100, clients);
        let (r, notes) = interrupted_at_1500ms(&s, &t).await;
        let w = &r.summary.whole;
        assert!(
            r.incomplete && w.offered > 0 && notes.left_out > 0,
            "{name}: {w:?} {notes:?}"
        );
        let answered: u64 = notes.statuses.values().sum();
        let failed: u64 = notes.failures.values().sum();
        assert_eq!(
            answered + failed,
            w.attempts,
            "{name}: every attempt counted has one status or cause in the notes, and only those ({} left out): {notes:?}",
            notes.left_out
        );
        assert_eq!(w.attempts, 2 * w.offered, "{name}");
        if name == "500" {
            assert_eq!(notes.statuses.get(&500), Some(&w.attempts), "{name}");
        } else {
            assert_eq!(answered, 0, "{name}");
        }
    }
}

/// `--http2` over plain http against an HTTP/1-only target is refused before the run, with the
/// flag to drop (every attempt failed with "frame with invalid size"); h2c targets pass it
/// (`live.rs`'s `speaks_h2c`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h2c_against_an_http1_target_is_refused_before_the_run() {
    let t = target(Arc::new(|_: &str, _: usize| {
        Some((Duration::ZERO, answer("200 OK", "")))
    }))
    .await;
    let s = scenario(1, 10, "");
    let opts = LiveOptions {
        http2: true,
        ..against(&t, 1.0)
    };
    let e = tokio::time::timeout(
        Duration::from_secs(20),
        run_live_quiet(&s, &opts, std::future::pending()),
    )
    .await
    .expect("refused in time")
    .expect_err("refused before the run")
    .to_string();
    assert!(
        e.contains("does not speak HTTP/2")
            && e.contains("answered the HTTP/2 preface in HTTP/1")
            && e.contains("drop --http2"),
        "{e}"
    );
    assert!(
        t.requests().iter().all(|(_, head)| !head.starts_with("GET ")),
        "no request was sent (only the preface, which the target read as two heads)"
    );
}

/// Request ids are `lg-<run>-<intent>-<attempt>`, the run's part drawn per run: two shards of
/// one scenario number their intents alike and once sent the same ids for different intents
/// (review, stop 42), as did consecutive runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_ids_differ_between_runs_and_shards() {
    let t = target(Arc::new(|_: &str, _| Some((Duration::ZERO, answer("200 OK", ""))))).await;
    let s = scenario(1, 20, "[clients]\ntimeout = \"2s\"\n");
    for shard in [(0, 2), (1, 2), (0, 1)] {
        let opts = LiveOptions {
            shard,
            ..against(&t, 1.0)
        };
        run(&s, opts, None, Duration::from_secs(30)).await;
    }
    let ids: Vec<String> = t
        .requests()
        .iter()
        .map(|(_, h)| request_id(h).expect("an id").to_string())
        .collect();
    assert!(ids.len() >= 20, "{ids:?}");
    let mut runs = std::collections::BTreeSet::new();
    for id in &ids {
        let parts: Vec<&str> = id.split('-').collect();
        assert!(
            parts.len() == 4
                && parts[0] == "lg"
                && parts[1].len() == 8
                && parts[1].chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
        assert!(
            parts[2].parse::<u64>().is_ok() && parts[3].parse::<u32>().is_ok(),
            "{id}"
        );
        runs.insert(parts[1].to_string());
    }
    assert_eq!(runs.len(), 3, "one run part per run: {runs:?}");
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no id sent twice");
}
