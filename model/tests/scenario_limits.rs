//! Limits that keep a run within memory, and notes that must be true: the APIs of `count`
//! expanded services, the windows results keep until the last intent is over (not only over
//! the run's duration), and outages that start after arrivals end.
//!
//! Inline scenarios are written as one `&str` per line, so the line of a mistake is its
//! position in the array; columns are counted by hand in the comment above each assertion.

mod common;

use common::{only_diagnostic, parse, text};
use model::scenario::Scenario;

/// The whole rendered diagnostic, exactly.
#[track_caller]
fn assert_error(lines: &[&str], rendered: &str) {
    assert_eq!(only_diagnostic(lines).to_string(), rendered);
}

#[track_caller]
fn valid(lines: &[&str]) -> Scenario {
    parse(lines).unwrap_or_else(|e| panic!("{e}\n{}", text(lines)))
}

const PHASE: [&str; 3] = ["[[workload.phases]]", "duration = \"1s\"", "rate = 10"];

fn with_service(head: &[&str], service: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = head.iter().map(|s| s.to_string()).collect();
    v.push("[[backend.services]]".into());
    v.extend(service.iter().map(|s| s.to_string()));
    v
}

fn lines(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

// ---------------------------------------------------------------------------------------------
// count x apis
// ---------------------------------------------------------------------------------------------

/// The audit's apis-product file: count = 100 and apis = 100000, each within its own limit,
/// made ten million APIs (878 MB to check, 1.7 GB to run). Refused at `apis` with the product.
#[test]
fn count_times_apis_is_bounded() {
    // `apis = 100000`: line 8, column 8.
    let f = with_service(
        &PHASE,
        &[
            "name = \"legacy\"",
            "count = 100",
            "apis = 100000",
            "workers = 4",
            "service_time = \"10ms\"",
        ],
    );
    assert_error(
        &lines(&f),
        "t.toml:7:8: backend.services[0].apis: count = 100 services x 100000 APIs each = 10000000 APIs: at most 1000000 APIs across the backend (each service keeps its own list); use fewer APIs or a smaller count",
    );
    // At the limit: 10 x 100,000 and 1,000 x 1,000.
    for (count, apis) in [("10", "100000"), ("1000", "1000")] {
        let c = format!("count = {count}");
        let a = format!("apis = {apis}");
        let f = with_service(
            &PHASE,
            &["name = \"legacy\"", &c, &a, "workers = 4", "service_time = \"10ms\""],
        );
        let s = valid(&lines(&f));
        assert_eq!(s.services.iter().map(|s| s.apis.len() as u64).sum::<u64>(), 1_000_000);
    }
}

/// Across services, the running total: the service that crosses the limit is named, once.
#[test]
fn apis_add_up_across_services() {
    let f = [
        "[[workload.phases]]",
        "duration = \"1s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "count = 6",
        "apis = 100000",
        "service_time = \"10ms\"",
        "workers = 1",
        "[[backend.services]]",
        "name = \"b\"",
        "count = 5",
        "apis = 100000",
        "service_time = \"10ms\"",
        "workers = 1",
        "[[backend.services]]",
        "name = \"c\"",
        "apis = 100000",
        "service_time = \"10ms\"",
        "workers = 1",
    ];
    // The second `apis = 100000`: line 13, column 8.
    assert_error(
        &f,
        "t.toml:13:8: backend.services[1].apis: count = 5 services x 100000 APIs each = 500000 APIs, 1100000 with the services before it: at most 1000000 APIs across the backend (each service keeps its own list); use fewer APIs or a smaller count",
    );
    // A list of names counts as its length; without `count`, one service.
    let names: Vec<String> = (0..3).map(|k| format!("\"x{k}\"")).collect();
    let list = format!("apis = [{}]", names.join(", "));
    let f = [
        "[[workload.phases]]",
        "duration = \"1s\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "count = 10",
        "apis = 100000",
        "service_time = \"10ms\"",
        "workers = 1",
        "[[backend.services]]",
        "name = \"b\"",
        &list,
        "service_time = \"10ms\"",
        "workers = 1",
    ];
    assert_error(
        &f,
        "t.toml:12:8: backend.services[1].apis: 3 APIs, 1000003 with the services before it: at most 1000000 APIs across the backend (each service keeps its own list); use fewer APIs or a smaller count",
    );
    // A count over its own limit is said once, as before, not again as a product.
    let f = with_service(
        &PHASE,
        &[
            "name = \"legacy\"",
            "count = 5000",
            "apis = 100000",
            "workers = 1",
            "service_time = \"10ms\"",
        ],
    );
    assert_error(
        &lines(&f),
        "t.toml:6:9: backend.services[0].count: at most 1000 services, got 5000",
    );
}

// ---------------------------------------------------------------------------------------------
// Windows kept until the last intent is over
// ---------------------------------------------------------------------------------------------

/// The audit's drain-windows file: one intent, 1 ms windows over a 1 s run, and a 10-minute
/// timeout and service time: results kept 600,001 windows (313 MB of results.json). The count
/// is over the run and the 10 minutes an intent can still be in flight after it.
#[test]
fn windows_are_counted_until_the_last_intent_can_end() {
    let f = [
        "[run]",
        "window = \"1ms\"",
        "[workload]",
        "arrival = \"uniform\"",
        "[[workload.phases]]",
        "duration = \"1s\"",
        "rate = 1",
        "[clients]",
        "timeout = \"10m\"",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 1",
        "service_time = \"10m\"",
    ];
    // `window = "1ms"`: line 2, column 10.
    assert_error(
        &f,
        "t.toml:2:10: run.window: 601000 windows of 1ms over the run's 1s and the 10m an intent can still be in flight after arrivals end (clients.timeout, retries and backoff): at most 100000 (results keep every window until the last intent is over); use a larger run.window, \"10ms\" or more",
    );
    // The window it suggests is enough.
    let mut ok = f;
    ok[1] = "window = \"10ms\"";
    valid(&ok);
    // Over the run alone, 100,000 windows, within the limit; the 2 s timeout after it is not.
    assert_error(
        &[
            "[run]",
            "window = \"100us\"",
            "[[workload.phases]]",
            "duration = \"10s\"",
            "rate = 1",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 1",
            "service_time = \"10ms\"",
        ],
        "t.toml:2:10: run.window: 120000 windows of 100us over the run's 10s and the 2s an intent can still be in flight after arrivals end (clients.timeout, retries and backoff): at most 100000 (results keep every window until the last intent is over); use a larger run.window, \"200us\" or more",
    );
    // When no window shorter than the run would do, the error names the client setting that
    // keeps intents in flight (it advised a window the next check refused as longer than the run).
    let retries = [
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 1",
        "[clients.retry]",
        "max_attempts = 4294967295",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 1",
        "service_time = \"10ms\"",
    ];
    let starts = |lines: &[&str], want: &str| {
        let got = only_diagnostic(lines).to_string();
        assert!(got.starts_with(want), "{got}");
        assert!(!got.contains("use a larger run.window"), "{got}");
    };
    starts(
        &retries,
        "t.toml:5:16: clients.retry.max_attempts: an intent can still be in flight",
    );
    let timeout = [
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 1",
        "[clients]",
        "timeout = \"1000000000s\"",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 1",
        "service_time = \"10ms\"",
    ];
    starts(
        &timeout,
        "t.toml:5:11: clients.timeout: an intent can still be in flight",
    );
    // A service's own timeout, the longest, is the one named (and located), not clients.timeout.
    let own = [
        "[[workload.phases]]",
        "duration = \"10s\"",
        "rate = 1",
        "[clients]",
        "timeout = \"1s\"",
        "[clients.services.\"a.v2\"]",
        "timeout = \"1000000000s\"",
        "[[backend.services]]",
        "name = \"a.v2\"",
        "workers = 1",
        "service_time = \"10ms\"",
    ];
    starts(
        &own,
        "t.toml:7:11: clients.services.\"a.v2\".timeout: an intent can still be in flight 1000000000s after arrivals end (clients.services.\"a.v2\".timeout, retries and backoff)",
    );
}

/// The in-flight time, as the window error says it, for the client settings that bound it.
fn in_flight(clients: &[&str]) -> String {
    let mut f = vec![
        "[run]",
        "window = \"1ns\"",
        "[[workload.phases]]",
        "duration = \"1s\"",
        "rate = 1",
        "[clients]",
    ];
    f.extend_from_slice(clients);
    f.extend_from_slice(&[
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 1",
        "service_time = \"10ms\"",
    ]);
    let message = only_diagnostic(&f).message;
    let from = message.find("and the ").expect(&message) + "and the ".len();
    let to = message.find(" an intent").expect(&message);
    let tail = if message.contains("99.99th percentile") {
        " (p99.99)"
    } else {
        ""
    };
    format!("{}{tail}", &message[from..to])
}

/// Attempts x the longest timeout, plus the longest backoff between them; with Retry-After
/// honoured, the clients' lifetime bound plus the attempts a late retry can still make.
#[test]
fn the_in_flight_time_follows_timeouts_retries_and_backoff() {
    assert_eq!(in_flight(&["timeout = \"3s\""]), "3s");
    // A bounded distribution: its maximum. An unbounded one: its 99.99th percentile
    // (exponential, mean 1 s: 9.2103 s, rounded up to the millisecond).
    assert_eq!(
        in_flight(&["timeout = { dist = \"uniform\", min = \"1s\", max = \"4s\" }"]),
        "4s"
    );
    assert_eq!(
        in_flight(&["timeout = { dist = \"exponential\", mean = \"1s\" }"]),
        "9.211s (p99.99)"
    );
    let retry = |backoff: &str, jitter: &str| {
        let b = format!("backoff = \"{backoff}\"");
        let j = format!("jitter = \"{jitter}\"");
        in_flight(&[
            "timeout = \"1s\"",
            "[clients.retry]",
            "max_attempts = 4",
            &b,
            "base = \"100ms\"",
            "cap = \"300ms\"",
            &j,
            "honor_retry_after = false",
        ])
    };
    // 4 x 1 s, and the sleeps between: none; 3 x 100 ms; 100 + 200 + 300 (capped) ms; up to
    // the cap each with decorrelated jitter.
    assert_eq!(retry("none", "none"), "4s");
    assert_eq!(retry("fixed", "full"), "4.3s");
    assert_eq!(retry("exponential", "equal"), "4.6s");
    assert_eq!(retry("exponential", "decorrelated"), "4.9s");
    // Retry-After honoured: a retry can go out at the lifetime bound (4 x 1 s + 3 x 300 ms),
    // and none after it (no retry is sent past the bound): 4.9 + 1 s.
    assert_eq!(
        in_flight(&[
            "timeout = \"1s\"",
            "[clients.retry]",
            "max_attempts = 4",
            "backoff = \"exponential\"",
            "base = \"100ms\"",
            "cap = \"300ms\"",
        ]),
        "5.9s"
    );
    // With backoff = "none" the lifetime bound has no cap (the check added 3 x 300 ms, so a
    // one-liner's `--retries 9500` read 1741.7m in flight instead of about 2.6 h): 4 + 1 s.
    assert_eq!(
        in_flight(&[
            "timeout = \"1s\"",
            "[clients.retry]",
            "max_attempts = 4",
            "backoff = \"none\"",
            "cap = \"300ms\"",
        ]),
        "5s"
    );
}

// ---------------------------------------------------------------------------------------------
// Outages after arrivals end
// ---------------------------------------------------------------------------------------------

fn outage_file(at: &str) -> Vec<String> {
    vec![
        "[workload]".into(),
        "arrival = \"uniform\"".into(),
        "[[workload.phases]]".into(),
        "duration = \"1s\"".into(),
        "rate = 1".into(),
        "[clients]".into(),
        "timeout = \"10s\"".into(),
        "[[backend.services]]".into(),
        "name = \"a\"".into(),
        // Two workers would still be 100% utilised at 1 intent/s of 2 s (noted as an overload).
        "workers = 3".into(),
        "service_time = \"2s\"".into(),
        format!("faults = {{ outages = [{{ at = \"{at}\", duration = \"1s\", kind = \"hang\" }}] }}"),
    ]
}

/// The audit's outage-warning file: the outage starts as arrivals end (1 s), and the request
/// then in the backend sees it (latency 3 s instead of 2 s): not "never". After the 10 s an
/// intent can still be in flight, a run never sees it.
#[test]
fn an_outage_after_arrivals_end_is_seen_by_work_in_flight() {
    let s = valid(&lines(&outage_file("1s")));
    assert_eq!(
        s.warnings(),
        vec!["backend.services[0].faults.outages[0].at: the outage starts at 1s, once arrivals have ended (1s): only the requests still in flight then (for up to 10s more: clients.timeout, retries and backoff) see it"]
    );
    let s = valid(&lines(&outage_file("10999ms")));
    assert_eq!(
        s.warnings(),
        vec!["backend.services[0].faults.outages[0].at: the outage starts at 10.999s, once arrivals have ended (1s): only the requests still in flight then (for up to 10s more: clients.timeout, retries and backoff) see it"]
    );
    let s = valid(&lines(&outage_file("11s")));
    assert_eq!(
        s.warnings(),
        vec!["backend.services[0].faults.outages[0].at: the outage starts at 11s, once arrivals have ended (1s) and the 10s an intent can still be in flight after them have passed (clients.timeout, retries and backoff), so a run never sees it"]
    );
    assert!(valid(&lines(&outage_file("999ms"))).warnings().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The default window is not checked against the run's length
// ---------------------------------------------------------------------------------------------

/// The audit's window-default file: a `[run]` table without `window` made the default 1 s
/// window look written, so a 500 ms run was refused ("a window of 1s is longer than the run").
/// A window the file writes is still checked.
///
/// Needs `scenario::parse` (scenario/mod.rs, outside this change) to ask `locate::is_given`
/// rather than whether `locate::span_of` finds something (it falls back to the `[run]` table).
#[test]
fn a_default_window_is_not_checked_against_the_run() {
    let s = valid(&[
        "[run]",
        "seed = 3",
        "[[workload.phases]]",
        "duration = \"500ms\"",
        "rate = 10",
        "[[backend.services]]",
        "name = \"a\"",
        "workers = 1",
        "service_time = \"10ms\"",
    ]);
    assert_eq!(s.window(), std::time::Duration::from_secs(1));
    // `window = "1s"`: line 3, column 10.
    assert_error(
        &[
            "[run]",
            "seed = 3",
            "window = \"1s\"",
            "[[workload.phases]]",
            "duration = \"500ms\"",
            "rate = 10",
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 1",
            "service_time = \"10ms\"",
        ],
        "t.toml:3:10: run.window: a window of 1s is longer than the run (500ms): results are measured per window; use a window well under the run's length",
    );
}

/// The audit's closed loop: 1,000 users with no think time for 10^9 s against 1 ms answers
/// passed the check (only phases were counted) and simulated for as long as anyone let it. A
/// closed loop is bounded as open loops are: users x duration / (think time + fastest answer).
#[test]
fn a_closed_loop_is_bounded_like_phases() {
    let closed = |duration: &str, think: &str| {
        let d = format!("duration = \"{duration}\"");
        let t = format!("think_time = \"{think}\"");
        let v: Vec<String> = [
            "[run]",
            &d,
            "window = \"20000s\"",
            "[workload.closed]", // line 4
            "users = 1000",
            &t,
            "[[backend.services]]",
            "name = \"a\"",
            "workers = 1000",
            "service_time = \"1ms\"",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        v
    };
    assert_error(
        &lines(&closed("1000000000s", "0s")),
        "t.toml:4:1: workload.closed: 1000 users for 1000000000s with a think time of 0s and answers of 1.0ms or more can send about 1.000e15 intents: at most 1e9 per run",
    );
    // A day of users who think for a second is fine: 1000 x 86400 / 1.001 s ~ 8.6e7.
    valid(&lines(&closed("24h", "1s")));
}

/// The closed-loop estimate took every answer to last the fastest service's mean, but a shed,
/// a 429, a 401, a 503 of an overloaded backend or a client's own timeout ends an intent sooner
/// (at once: its user sends again a microsecond later), so files whose users resend every
/// microsecond passed the check: 10 users, no think time, 20 s against a `reject` service of
/// 1 s ran 180,000,001 intents. The bound now takes the shortest an answer can be; no think
/// time with answers that can come at once is a warning on think_time, under the limit too.
#[test]
fn a_closed_loop_counts_the_answers_that_take_no_time() {
    let closed = |users: u32, think: &str, extra: &[&str], service: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = vec![
            "[run]".into(),
            "duration = \"20s\"".into(),
            "[workload.closed]".into(), // line 3
            format!("users = {users}"),
            format!("think_time = \"{think}\""),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v.extend(
            [
                "[[backend.services]]",
                "name = \"slow\"",
                "workers = 1",
                "service_time = \"1s\"",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        v.extend(service.iter().map(|s| s.to_string()));
        v
    };
    let think_warning = |s: &Scenario| {
        s.warnings()
            .into_iter()
            .find(|w| w.starts_with("workload.closed.think_time:"))
    };
    let passthrough = ["[gateway]", "strategy = \"passthrough\""];
    let reject = ["overload = \"reject\""];
    // The review's file: under the limit (10 x 20 s / 1 us = 2e8), and said.
    let s = valid(&lines(&closed(10, "0s", &passthrough, &reject)));
    assert_eq!(
        think_warning(&s).as_deref(),
        Some(
            "workload.closed.think_time: zero, and answers can come at once (service `slow` answers 503 past its workers (overload = \"reject\")): a user then sends again after 1 us, up to 2.000e8 intents in this run; set a think time (a real client waits at least a round trip)"
        )
    );
    // Ten times the users: over it.
    assert_error(
        &lines(&closed(100, "0s", &passthrough, &reject)),
        "t.toml:3:1: workload.closed: 100 users for 20s with a think time of 0s and answers that can come at once (service `slow` answers 503 past its workers (overload = \"reject\"): a user then sends again a microsecond later) can send about 2.000e9 intents: at most 1e9 per run",
    );
    // Each way an answer comes at once, with 1,000 users (1e10 intents at a microsecond each).
    for (extra, service, why) in [
        (
            &["[gateway]", "strategy = \"bounded\"", "queue_capacity = 10"][..],
            &[][..],
            "gateway.strategy = \"bounded\" sheds",
        ),
        (
            &["[gateway.rate_limit]", "rate = 10"],
            &[],
            "gateway.rate_limit answers 429",
        ),
        (&["[gateway.auth]", "keys = [\"k\"]"], &[], "gateway.auth answers 401"),
        (
            &[],
            &["faults = { outages = [{ at = \"1s\", duration = \"1s\" }] }"],
            "outages answer 503",
        ),
        (
            &[],
            &["faults = { rate_limit = { rate = 1 } }"],
            "faults.rate_limit answers 429",
        ),
        (&["[gateway]", "concurrency = 2000"], &[], "(a full backlog)"),
        (&passthrough, &["overload = { backlog = 10 }"], "(a full backlog)"),
        (
            &passthrough,
            &["overload = { max_in_flight = 5 }"],
            "(overload.max_in_flight)",
        ),
    ] {
        let e = only_diagnostic(&lines(&closed(1000, "0s", extra, service))).to_string();
        assert!(
            e.contains("answers that can come at once (") && e.contains(why) && e.contains("about 2.000e10 intents"),
            "{extra:?} {service:?}: {e}"
        );
    }
    // A client timeout shorter than the service ends each intent at it (1ns: the microsecond).
    let e = only_diagnostic(&lines(&closed(1000, "0s", &["[clients]", "timeout = \"1ns\""], &[]))).to_string();
    assert!(
        e.contains("answers of 1ns or more can send about 2.000e10 intents"),
        "{e}"
    );
    // Answers that all take the service's time: a fifo gateway in front of a queue that holds
    // what it is sent (1,000 users x 20 s / 1 s), and no warning without a think time.
    let s = valid(&lines(&closed(1000, "0s", &[], &[])));
    assert_eq!(think_warning(&s), None);
    let s = valid(&lines(&closed(
        1000,
        "0s",
        &[
            "[gateway.auth]",
            "keys = [\"k\"]",
            "[clients.credentials]",
            "api_key = \"k\"",
        ],
        &[],
    )));
    assert_eq!(think_warning(&s), None);
    // A think time keeps users from spinning: no warning, and its mean bounds them.
    let s = valid(&lines(&closed(10, "1ms", &passthrough, &reject)));
    assert_eq!(think_warning(&s), None);
    // A queue bound the users cannot fill alone (1,000 users, 1 in flight and 5,000 queued)
    // may still shed (a burst of retries, abandoned requests kept): said, not refused. Refusing
    // every shedding strategy refused files that never shed.
    let bounded = ["[gateway]", "strategy = \"bounded\"", "queue_capacity = 5000"];
    let s = valid(&lines(&closed(1000, "0s", &bounded, &[])));
    assert!(
        think_warning(&s).is_some_and(|w| w.contains("gateway.strategy = \"bounded\" may shed")),
        "{:?}",
        s.warnings()
    );
    // Sure to shed past a bound the file leaves to its default (1,000 under codel), or past a
    // priority class's capacity (under fifo too): refused, as at a microsecond an intent.
    for (extra, why) in [
        (
            &["[gateway]", "strategy = \"codel\""][..],
            "gateway.strategy = \"codel\" sheds past service `slow`'s bound of 1000",
        ),
        (
            &["[gateway.priorities]", "interactive_capacity = 1"],
            "gateway.priorities' capacity sheds past service `slow`'s bound of 1",
        ),
    ] {
        let e = only_diagnostic(&lines(&closed(2000, "0s", extra, &[]))).to_string();
        assert!(
            e.contains(why) && e.contains("about 4.000e10 intents"),
            "{extra:?}: {e}"
        );
    }
    // The gateway's default_timeout does not shorten the cycle: the clients send their budget.
    let s = valid(&lines(&closed(
        1000,
        "0s",
        &["[gateway]", "default_timeout = \"10us\""],
        &[],
    )));
    assert_eq!(think_warning(&s), None);
    // The gateway's queue_timeout answers sooner than the service: it bounds the cycle.
    let e = only_diagnostic(&lines(&closed(
        1000,
        "0s",
        &["[gateway]", "queue_timeout = \"1us\""],
        &[],
    )))
    .to_string();
    assert!(
        e.contains("answers of 1") && e.contains("about 2.000e10 intents"),
        "{e}"
    );
    // So does a service's own.
    let e = only_diagnostic(&lines(&closed(
        1000,
        "0s",
        &["[gateway.services.slow]", "queue_timeout = \"1us\""],
        &[],
    )))
    .to_string();
    assert!(
        e.contains("answers of 1") && e.contains("about 2.000e10 intents"),
        "{e}"
    );
}
