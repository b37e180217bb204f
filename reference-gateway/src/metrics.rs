//! Prometheus text for the gateway: queue depth and capacity, in flight, current limit, queue-wait
//! histogram, requests by outcome, pauses.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Queue-wait histogram bucket bounds, seconds (tens of requests per second: ms to seconds).
pub const BUCKETS: [f64; 13] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A lock-free cumulative histogram.
#[derive(Default)]
pub struct WaitHistogram {
    counts: [AtomicU64; 13],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl WaitHistogram {
    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| s <= *b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add(u64::try_from(d.as_micros()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    fn render(&self, o: &mut String, name: &str, service: &str) {
        let mut acc = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            acc += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(o, "{name}_bucket{{service=\"{service}\",le=\"{b}\"}} {acc}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(o, "{name}_bucket{{service=\"{service}\",le=\"+Inf\"}} {count}");
        let _ = writeln!(
            o,
            "{name}_sum{{service=\"{service}\"}} {:.6}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(o, "{name}_count{{service=\"{service}\"}} {count}");
    }
}

/// How a request ended, as counted in `spillway_gateway_requests_total{outcome}`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Served,
    Shed,
    Expired,
    BackendRateLimited,
    /// The service answered 5xx itself (passed on as it came).
    BackendError,
    BadGateway,
    UpstreamTimeout,
    Cancelled,
}

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Outcome::Served,
        Outcome::Shed,
        Outcome::Expired,
        Outcome::BackendRateLimited,
        Outcome::BackendError,
        Outcome::BadGateway,
        Outcome::UpstreamTimeout,
        Outcome::Cancelled,
    ];
    /// Also the `x-spillway-outcome` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Served => "served",
            Outcome::Shed => "shed",
            Outcome::Expired => "expired",
            Outcome::BackendRateLimited => "backend-rate-limited",
            Outcome::BackendError => "backend-error",
            Outcome::BadGateway => "bad-gateway",
            Outcome::UpstreamTimeout => "upstream-timeout",
            Outcome::Cancelled => "cancelled",
        }
    }

    /// The outcome of an answer the service gave: its 429s and its errors (4xx, 5xx) apart
    /// from the rest, so a dashboard can tell served requests from a failing service (a 404 or
    /// a 431 is not a request served).
    pub fn of_upstream(status: u16) -> Outcome {
        match status {
            429 => Outcome::BackendRateLimited,
            400.. => Outcome::BackendError,
            _ => Outcome::Served,
        }
    }
}

/// Per-service counters.
#[derive(Default)]
pub struct ServiceMetrics {
    pub outcomes: [AtomicU64; Outcome::ALL.len()],
    pub queue_wait: WaitHistogram,
}

impl ServiceMetrics {
    pub fn count(&self, o: Outcome) {
        self.outcomes[o as usize].fetch_add(1, Ordering::Relaxed);
    }
}

/// Gateway-wide counters.
#[derive(Default)]
pub struct GlobalMetrics {
    pub unauthorized: AtomicU64,
    pub rate_limited: AtomicU64,
    pub not_found: AtomicU64,
    pub bad_requests: AtomicU64,
}

/// One service's gauges, read under its lock.
pub struct ServiceGauges {
    pub name: String,
    pub queue_depth: usize,
    pub in_flight: u32,
    pub limit: Option<u32>,
    /// The most requests its queue holds (every class's bound added), `None` when unbounded.
    pub queue_capacity: Option<u64>,
    pub pauses: u64,
    pub retries: u64,
    /// Queued requests removed because their client left (`abandon = "cancel"`).
    pub cancelled: u64,
}

pub fn render(
    services: &[(ServiceGauges, &ServiceMetrics)],
    g: &GlobalMetrics,
    answers: &crate::answers::AnswerBudget,
) -> String {
    let mut o = String::new();
    let gauge = |o: &mut String, name: &str, help: &str, kind: &str, f: &dyn Fn(&ServiceGauges) -> Option<String>| {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (s, _) in services {
            if let Some(v) = f(s) {
                let _ = writeln!(o, "{name}{{service=\"{}\"}} {v}", s.name);
            }
        }
    };
    gauge(
        &mut o,
        "spillway_gateway_queue_depth",
        "Requests waiting in the gateway queue.",
        "gauge",
        &|s| Some(s.queue_depth.to_string()),
    );
    gauge(
        &mut o,
        "spillway_gateway_in_flight",
        "Requests sent to the service and not yet answered.",
        "gauge",
        &|s| Some(s.in_flight.to_string()),
    );
    gauge(
        &mut o,
        "spillway_gateway_concurrency_limit",
        "Current concurrency limit (absent: unlimited).",
        "gauge",
        &|s| s.limit.map(|l| l.to_string()),
    );
    gauge(
        &mut o,
        "spillway_gateway_queue_capacity",
        "Most requests the gateway queue holds, with priority classes their bounds added (absent: unbounded).",
        "gauge",
        &|s| s.queue_capacity.map(|c| c.to_string()),
    );
    gauge(
        &mut o,
        "spillway_gateway_pauses_total",
        "Dispatch pauses after a service answered 429/503.",
        "counter",
        &|s| Some(s.pauses.to_string()),
    );
    gauge(
        &mut o,
        "spillway_gateway_retries_total",
        "Retries made by the gateway.",
        "counter",
        &|s| Some(s.retries.to_string()),
    );
    let _ = writeln!(o, "# HELP spillway_gateway_requests_total Requests by how they ended.\n# TYPE spillway_gateway_requests_total counter");
    for (s, m) in services {
        for out in Outcome::ALL {
            let v = m.outcomes[out as usize].load(Ordering::Relaxed);
            let _ = writeln!(
                o,
                "spillway_gateway_requests_total{{service=\"{}\",outcome=\"{}\"}} {v}",
                s.name,
                out.as_str()
            );
        }
    }
    let _ = writeln!(o, "# HELP spillway_gateway_queue_wait_seconds Time spent in the gateway queue, counted when a request leaves it: for the service, for an answer from the queue, or because its client left (abandon cancel) (0 when dispatched at once; a gateway retry that queues, its wait again, counted from the retry), as the simulator records it; not for requests refused on arrival or answered at shutdown.\n# TYPE spillway_gateway_queue_wait_seconds histogram");
    for (s, m) in services {
        m.queue_wait
            .render(&mut o, "spillway_gateway_queue_wait_seconds", &s.name);
    }
    for (name, help, v) in [
        (
            "spillway_gateway_unauthorized_total",
            "Requests refused 401.",
            &g.unauthorized,
        ),
        (
            "spillway_gateway_rate_limited_total",
            "Requests refused 429 by the gateway's rate limit.",
            &g.rate_limited,
        ),
        (
            "spillway_gateway_not_found_total",
            "Requests for no known route.",
            &g.not_found,
        ),
        (
            "spillway_gateway_bad_requests_total",
            "Requests refused as malformed, too large, too slow or unsupported (400, 405, 408, 413, 431, 501).",
            &g.bad_requests,
        ),
    ] {
        let _ = writeln!(
            o,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
            v.load(Ordering::Relaxed)
        );
    }
    for (name, help, kind, v) in [
        (
            "spillway_gateway_answer_bytes_held",
            "Bytes of services' answers the gateway holds for its clients (read, or being read, and not yet taken by the client).",
            "gauge",
            answers.held() as u64,
        ),
        (
            "spillway_gateway_answer_bytes_limit",
            "The most answer bytes the gateway holds at once (--answer-memory).",
            "gauge",
            answers.limit() as u64,
        ),
        (
            "spillway_gateway_answers_refused_total",
            "Services' answers the gateway had no room for (its client got 503).",
            "counter",
            answers.refused.load(Ordering::Relaxed),
        ),
        (
            "spillway_gateway_answers_cut_off_total",
            "Answers whose client did not take them in time (no progress for the stall timeout, or slower than --min-send-rate): the connection (HTTP/1.1) or stream (h2c) is cut off.",
            "counter",
            answers.cut_off.load(Ordering::Relaxed),
        ),
    ] {
        let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
    }
    o
}
