//! `/metrics` in Prometheus text format: counters end in `_total`, times are in seconds.

use crate::state::Backend;
use std::fmt::Write as _;
use std::sync::atomic::Ordering;

pub fn render(b: &Backend) -> String {
    let rows: Vec<_> = b
        .services
        .iter()
        .map(|s| (s.name.clone(), s.workers, s.stats(b.now())))
        .collect();
    let mut o = String::new();
    let family =
        |name: &str, kind: &str, help: &str, o: &mut String, value: &dyn Fn(usize) -> Vec<(String, String)>| {
            let _ = writeln!(o, "# HELP {name} {help}");
            let _ = writeln!(o, "# TYPE {name} {kind}");
            for (i, row) in rows.iter().enumerate() {
                for (labels, v) in value(i) {
                    let _ = writeln!(o, "{name}{{service=\"{}\"{labels}}} {v}", row.0);
                }
            }
        };
    let one = |v: String| vec![(String::new(), v)];
    family(
        "mock_legacy_requests_total",
        "counter",
        "Requests by status code: 200 and 500 count jobs finished, whether or not their caller was still there for the answer; 503 and 429 count requests refused at once (overload, outage, rate limit). The 503s answered while shutting down (to the backlog and to later arrivals) are not counted.",
        &mut o,
        &|i| {
            let s = rows[i].2 .0;
            vec![
                (",code=\"200\"".into(), s.ok.to_string()),
                (",code=\"500\"".into(), s.errors.to_string()),
                (",code=\"503\"".into(), (s.rejected + s.outage).to_string()),
                (",code=\"429\"".into(), s.rate_limited.to_string()),
            ]
        },
    );
    family(
        "mock_legacy_arrived_total",
        "counter",
        "Requests handed to the service (well-formed and routed to it), not counting those that arrive while it shuts down.",
        &mut o,
        &|i| one(rows[i].2 .0.arrived.to_string()),
    );
    family(
        "mock_legacy_busy_seconds_total",
        "counter",
        "Time spent serving requests (their service_ms, stalls and hangs included), summed over requests and counting those in service so far; in thrash mode requests served together each count in full, so it can exceed workers x elapsed time.",
        &mut o,
        &|i| one(format!("{:.6}", rows[i].2 .0.busy_seconds)),
    );
    family(
        "mock_legacy_wasted_seconds_total",
        "counter",
        "Time spent serving requests that finished after their caller's deadline (x-spillway-timeout-ms), summed over requests as busy seconds are, added when each finishes.",
        &mut o,
        &|i| one(format!("{:.6}", rows[i].2 .0.wasted_seconds)),
    );
    family(
        "mock_legacy_wasted_requests_total",
        "counter",
        "Requests completed after their caller's deadline.",
        &mut o,
        &|i| one(rows[i].2 .0.wasted_requests.to_string()),
    );
    family(
        "mock_legacy_in_flight",
        "gauge",
        "Requests in service now: on a worker (at most the workers), or in thrash mode every request being served (up to max_in_flight, if set).",
        &mut o,
        &|i| one(rows[i].2 .1.to_string()),
    );
    family(
        "mock_legacy_backlog",
        "gauge",
        "Requests waiting for a worker now.",
        &mut o,
        &|i| one(rows[i].2 .2.to_string()),
    );
    family("mock_legacy_workers", "gauge", "Configured workers.", &mut o, &|i| {
        one(rows[i].1.to_string())
    });
    let _ = writeln!(o, "# HELP mock_legacy_not_found_total Requests for unknown paths.");
    let _ = writeln!(o, "# TYPE mock_legacy_not_found_total counter");
    let _ = writeln!(o, "mock_legacy_not_found_total {}", b.not_found.load(Ordering::Relaxed));
    let _ = writeln!(
        o,
        "# HELP mock_legacy_bad_requests_total Requests refused as malformed or over a limit: by the handler (400, 405, 408 for a body not sent in time, 413, 501) or the HTTP layer (HTTP/1 requests it cannot parse: 400, 431); not HTTP/2 streams the HTTP layer resets, nor heads not sent in time."
    );
    let _ = writeln!(o, "# TYPE mock_legacy_bad_requests_total counter");
    let _ = writeln!(
        o,
        "mock_legacy_bad_requests_total {}",
        b.bad_requests.load(Ordering::Relaxed)
    );
    o
}
