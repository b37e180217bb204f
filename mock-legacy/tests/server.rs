//! mock-legacy on 127.0.0.1:0 with the real model behind it: routing, status codes,
//! Retry-After, wasted-work counting, /metrics, bad input, and delivered capacity.

use mock_legacy::testing::{client, metric as prom, raw, HttpClient, Reply};
use mock_legacy::MockLegacy;
use std::time::{Duration, Instant};

async fn send(c: &HttpClient, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Reply {
    mock_legacy::testing::send(c, url, headers, body)
        .await
        .expect("request succeeds")
}

async fn get(c: &HttpClient, url: &str) -> Reply {
    send(c, url, &[], Vec::new()).await
}

const BACKEND: &str = r#"
[[workload.phases]]
duration = "1s"
rate = 1

[[backend.services]]
name = "orders"
apis = ["create", "get"]
workers = 1
service_time = "30ms"
overload = "reject"

[[backend.services]]
name = "billing"
apis = 3
workers = 2
service_time = "10ms"
faults = { error_ratio = 1.0 }

[[backend.services]]
name = "partner"
workers = 4
service_time = "1ms"
faults = { rate_limit = { rate = 2, burst = 1 } }

[[backend.services]]
name = "mainframe"
workers = 1
service_time = "1ms"
faults = { outages = [{ at = "0s", duration = "1h", retry_after = "2500ms" }] }
"#;

async fn start(text: &str) -> MockLegacy {
    let s = model::scenario::parse("test.toml", text).expect("valid scenario");
    mock_legacy::start(&s, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .expect("server starts")
}

fn metric(text: &str, name: &str, service: &str) -> f64 {
    prom(text, name, &format!("service=\"{service}\"")).unwrap_or_else(|| panic!("no {name} for {service} in:\n{text}"))
}

#[tokio::test]
async fn routes_and_answers_with_json() {
    let ml = start(BACKEND).await;
    let c = client();
    let url = ml.url();
    let r = send(
        &c,
        &format!("{url}/orders/create"),
        &[("x-request-id", "abc-1")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-request-id"), Some("abc-1"));
    let j = r.json();
    assert_eq!(j["service"], "orders");
    assert_eq!(j["api"], "create");
    assert_eq!(j["request_id"], "abc-1");
    let service_ms = j["service_ms"].as_f64().unwrap();
    assert!(service_ms >= 30.0, "work is never cut short: {service_ms} ms");
    // Requests without an id get consecutive ones of the mock's own.
    let ids: Vec<u64> = {
        let mut ids = Vec::new();
        for _ in 0..2 {
            let r = get(&c, &format!("{url}/orders/create")).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let id = r
                .header("x-request-id")
                .and_then(|h| h.strip_prefix("ml-"))
                .map(str::parse);
            ids.push(id.and_then(Result::ok).expect("an ml-N id"));
        }
        ids
    };
    assert_eq!(ids[1], ids[0] + 1, "{ids:?}");

    let r = get(&c, &format!("{url}/billing/api-3")).await;
    assert_eq!(r.status, 500, "error_ratio = 1 always fails");
    assert_eq!(r.json()["status"], 500);

    for path in ["/nope/create", "/orders", "/orders/create/extra", "/"] {
        let r = get(&c, &format!("{url}{path}")).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(
            r.json()["error"].as_str().unwrap().contains("no route"),
            "{path}: {}",
            r.body
        );
    }
    // A known service, an API it lacks: the answer names the service's APIs.
    let r = get(&c, &format!("{url}/billing/api-9")).await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json()["error"].as_str().unwrap(),
        "no API `api-9` in service billing: its APIs are api-1 .. api-3 (3 APIs)",
        "{}",
        r.body
    );
    let r = get(&c, &format!("{url}/orders/delete")).await;
    assert_eq!(r.status, 404);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("no API `delete` in service orders: its APIs are "),
        "{}",
        r.body
    );
    let r = get(&c, &format!("{url}/healthz")).await;
    assert_eq!((r.status, r.body.as_str()), (200, "ok\n"));
    // The server's own endpoints are read-only: a POST to them did nothing and read 200.
    for path in ["/healthz", "/metrics"] {
        let r = mock_legacy::testing::send(&c, &format!("{url}{path}"), &[], b"x".to_vec())
            .await
            .expect("answered");
        assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")), "{path}");
        assert!(r.json()["error"].as_str().unwrap().ends_with("not POST"), "{}", r.body);
    }
    ml.shutdown().await;
}

#[tokio::test]
async fn overload_rate_limit_and_outage_status_codes() {
    let ml = start(BACKEND).await;
    let c = client();
    let url = ml.url();
    // Reject mode with one worker: two at once, one is refused.
    let orders = format!("{url}/orders/get");
    let (a, b) = tokio::join!(get(&c, &orders), get(&c, &orders));
    let mut codes = [a.status, b.status];
    codes.sort();
    assert_eq!(codes, [200, 503]);

    // Rate limit: burst 1, 2/s: the second call at once gets 429 with the wait (500 ms).
    let first = get(&c, &format!("{url}/partner/api-1")).await;
    assert_eq!(first.status, 200);
    let second = get(&c, &format!("{url}/partner/api-1")).await;
    assert_eq!(second.status, 429);
    assert_eq!(second.header("retry-after"), Some("1"), "whole seconds, rounded up");
    let ms: u64 = second.header("x-spillway-retry-after-ms").unwrap().parse().unwrap();
    assert!((400..=500).contains(&ms), "{ms}");

    let r = get(&c, &format!("{url}/mainframe/api-1")).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert_eq!(r.header("x-spillway-retry-after-ms"), Some("2500"));

    let m = get(&c, &format!("{url}/metrics")).await.body;
    assert!(
        m.contains("mock_legacy_requests_total{service=\"partner\",code=\"429\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("mock_legacy_requests_total{service=\"orders\",code=\"503\"} 1"),
        "{m}"
    );
    assert!(
        m.contains("mock_legacy_requests_total{service=\"mainframe\",code=\"503\"} 1"),
        "{m}"
    );
    assert!(m.contains("# TYPE mock_legacy_busy_seconds_total counter"));
    ml.shutdown().await;
}

/// A thrash service has no worker limit: its 503 past `max_in_flight` says that is what is full,
/// not "no free worker and no room to wait".
#[tokio::test]
async fn a_thrash_503_names_its_max_in_flight() {
    let ml = start(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
         [[backend.services]]\nname = \"thr\"\nworkers = 1\nservice_time = \"300ms\"\n\
         overload = { mode = \"thrash\", k = 0, max_in_flight = 2 }\n",
    )
    .await;
    let c = client();
    let url = format!("{}/thr/api-1", ml.url());
    let (a, b, d) = tokio::join!(get(&c, &url), get(&c, &url), get(&c, &url));
    let mut codes = [a.status, b.status, d.status];
    codes.sort();
    assert_eq!(codes, [200, 200, 503], "two in flight on one worker, the third refused");
    let refused = [a, b, d].into_iter().find(|r| r.status == 503).unwrap();
    assert_eq!(
        refused.json()["error"],
        "thr/api-1: overloaded: 2 requests in flight already, its max_in_flight",
        "{}",
        refused.body
    );
    ml.shutdown().await;
}

/// A zero `retry_after` (rate limit or outage) reads 0 in both headers: `Retry-After: 1` beside
/// `x-spillway-retry-after-ms: 0` said two different pauses. A pause under a second is still 1.
#[tokio::test]
async fn a_zero_retry_after_is_0_in_both_headers() {
    let ml = start(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
         [[backend.services]]\nname = \"limited\"\nworkers = 1\nservice_time = \"1ms\"\n\
         faults = { rate_limit = { rate = 1, burst = 1, retry_after = \"0s\" } }\n\
         [[backend.services]]\nname = \"down\"\nworkers = 1\nservice_time = \"1ms\"\n\
         faults = { outages = [{ at = \"0s\", duration = \"1h\", retry_after = \"0s\" }] }\n\
         [[backend.services]]\nname = \"brief\"\nworkers = 1\nservice_time = \"1ms\"\n\
         faults = { outages = [{ at = \"0s\", duration = \"1h\", retry_after = \"1ms\" }] }\n",
    )
    .await;
    let c = client();
    let url = ml.url();
    assert_eq!(get(&c, &format!("{url}/limited/api-1")).await.status, 200);
    let limited = get(&c, &format!("{url}/limited/api-1")).await;
    let down = get(&c, &format!("{url}/down/api-1")).await;
    for (r, status) in [(&limited, 429), (&down, 503)] {
        assert_eq!(r.status, status, "{}", r.body);
        assert_eq!(r.header("retry-after"), Some("0"), "{:?}", r.headers);
        assert_eq!(r.header("x-spillway-retry-after-ms"), Some("0"), "{:?}", r.headers);
    }
    let brief = get(&c, &format!("{url}/brief/api-1")).await;
    assert_eq!(brief.status, 503);
    assert_eq!(brief.header("retry-after"), Some("1"), "rounded up to a whole second");
    assert_eq!(brief.header("x-spillway-retry-after-ms"), Some("1"));
    ml.shutdown().await;
}

#[tokio::test]
async fn work_finished_after_the_budget_is_wasted() {
    let ml = start(BACKEND).await;
    let c = client();
    let url = ml.url();
    // 30 ms of work with a 5 ms budget: done, but nobody was waiting any more.
    let r = send(
        &c,
        &format!("{url}/orders/create"),
        &[("x-spillway-timeout-ms", "5")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["late"], true);
    // A generous budget is not wasted.
    let r = send(
        &c,
        &format!("{url}/orders/create"),
        &[("x-spillway-timeout-ms", "5000")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.json()["late"], false);
    let m = get(&c, &format!("{url}/metrics")).await.body;
    assert_eq!(metric(&m, "mock_legacy_wasted_requests_total", "orders"), 1.0);
    let wasted = metric(&m, "mock_legacy_wasted_seconds_total", "orders");
    let busy = metric(&m, "mock_legacy_busy_seconds_total", "orders");
    assert!((0.030..0.060).contains(&wasted), "wasted {wasted}s is one 30 ms job");
    assert!(busy >= 0.060 && busy > wasted, "busy {busy}s covers both jobs");
    ml.shutdown().await;
}

/// The budget counts from the request's arrival, as `grpc-timeout` counts from a call's start,
/// not from the end of its body: a POST with a 300 ms budget whose 5-byte body comes 600 ms
/// after its head is done after its caller gave up, and counted as wasted (it was answered
/// `"late": false`, its budget starting once the body was in).
#[tokio::test]
async fn the_budget_counts_from_arrival_not_from_the_end_of_the_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ml = start(BACKEND).await;
    let mut s = tokio::net::TcpStream::connect(ml.addr()).await.expect("connects");
    s.write_all(
        b"POST /partner/api-1 HTTP/1.1\r\nhost: x\r\nx-spillway-timeout-ms: 300\r\ncontent-length: 5\r\nconnection: close\r\n\r\n",
    )
    .await
    .expect("head sent");
    tokio::time::sleep(Duration::from_millis(600)).await;
    s.write_all(b"hello").await.expect("body sent");
    let mut answer = String::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_string(&mut answer)).await;
    assert!(
        matches!(read, Ok(Ok(_))),
        "answered and closed within 5 s: {read:?} {answer}"
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"late\":true"), "{answer}");
    let m = get(&client(), &format!("{}/metrics", ml.url())).await.body;
    assert_eq!(metric(&m, "mock_legacy_wasted_requests_total", "partner"), 1.0, "{m}");
    ml.shutdown().await;
}

#[tokio::test]
async fn a_client_that_leaves_still_costs_work() {
    let ml = start(BACKEND).await;
    let c = client();
    let url = format!("{}/orders/create", ml.url());
    // Abandon the request after 5 ms: the worker finishes its 30 ms anyway.
    let abandoned = tokio::time::timeout(
        Duration::from_millis(5),
        send(&c, &url, &[("x-spillway-timeout-ms", "5")], Vec::new()),
    )
    .await;
    assert!(abandoned.is_err(), "the client gave up first");
    tokio::time::sleep(Duration::from_millis(80)).await;
    let m = get(&client(), &format!("{}/metrics", ml.url())).await.body;
    assert_eq!(metric(&m, "mock_legacy_wasted_requests_total", "orders"), 1.0);
    ml.shutdown().await;
}

/// `/metrics` help texts say what is counted: code 200 counts finished jobs, a caller that left
/// included; a thrash service's in-flight gauge counts every request in service, past its
/// workers. ("Requests answered" and "Requests on a worker now" said otherwise.)
#[tokio::test]
async fn metrics_help_says_what_is_counted() {
    let ml = start(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
         [[backend.services]]\nname = \"thr\"\nworkers = 1\nservice_time = \"300ms\"\n\
         overload = { mode = \"thrash\", k = 0 }\n",
    )
    .await;
    let c = client();
    let url = format!("{}/thr/api-1", ml.url());
    // Three at once on one worker (300 ms each); the callers leave after 150 ms.
    for _ in 0..3 {
        let (c, url) = (c.clone(), url.clone());
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_millis(150), get(&c, &url)).await;
        });
    }
    let metrics = format!("{}/metrics", ml.url());
    let t0 = Instant::now();
    let mut m = get(&c, &metrics).await.body;
    while metric(&m, "mock_legacy_in_flight", "thr") < 3.0 && t0.elapsed() < Duration::from_millis(250) {
        tokio::time::sleep(Duration::from_millis(10)).await;
        m = get(&c, &metrics).await.body;
    }
    assert_eq!(metric(&m, "mock_legacy_in_flight", "thr"), 3.0, "{m}");
    assert_eq!(metric(&m, "mock_legacy_workers", "thr"), 1.0);
    let help = |m: &str, name: &str| {
        let prefix = format!("# HELP {name} ");
        m.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no help for {name}"))
            .to_string()
    };
    let in_flight = help(&m, "mock_legacy_in_flight");
    assert!(
        in_flight.contains("in thrash mode every request being served"),
        "{in_flight}"
    );
    while metric(&m, "mock_legacy_in_flight", "thr") > 0.0 && t0.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        m = get(&c, &metrics).await.body;
    }
    // Nobody got these answers, and code 200 counts them.
    assert_eq!(
        prom(&m, "mock_legacy_requests_total", "service=\"thr\",code=\"200\""),
        Some(3.0),
        "{m}"
    );
    let requests = help(&m, "mock_legacy_requests_total");
    assert!(
        requests.contains("200 and 500 count jobs finished, whether or not their caller was still there"),
        "{requests}"
    );
    assert!(requests.contains("503s answered while shutting down"), "{requests}");
    ml.shutdown().await;
}

#[tokio::test]
async fn malformed_and_oversized_requests_get_4xx_and_the_server_keeps_serving() {
    let ml = start(BACKEND).await;
    let addr = ml.addr();
    let garbage = raw(addr, b"THIS IS NOT HTTP\r\n\r\n").await;
    assert!(garbage.starts_with("HTTP/1.1 400"), "{garbage:?}");

    let big_header = format!(
        "GET /orders/get HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let r = raw(addr, big_header.as_bytes()).await;
    assert!(r.starts_with("HTTP/1.1 431"), "{:?}", &r[..r.len().min(80)]);

    let mut many = String::from("GET /orders/get HTTP/1.1\r\nhost: x\r\n");
    for i in 0..200 {
        many.push_str(&format!("x-h{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let r = raw(addr, many.as_bytes()).await;
    assert!(r.starts_with("HTTP/1.1 431"), "{:?}", &r[..r.len().min(80)]);

    let c = client();
    let r = send(&c, &format!("{}/orders/create", ml.url()), &[], vec![b'x'; 2 << 20]).await;
    assert_eq!(r.status, 413, "{}", r.body);
    // Declared over the limit and never sent: refused at once (it used to wait 10 s for the
    // body and answer 408), with the JSON error, and the connection closes.
    let declared = raw(
        addr,
        b"POST /orders/create HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999999\r\n\r\n",
    )
    .await;
    assert!(declared.starts_with("HTTP/1.1 413"), "{declared:?}");
    assert!(declared.contains("\"error\""), "{declared:?}");
    let r = send(
        &c,
        &format!("{}/orders/create", ml.url()),
        &[("x-spillway-timeout-ms", "soon")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("x-spillway-timeout-ms"), "{}", r.body);

    let r = get(&c, &format!("{}/orders/get", ml.url())).await;
    assert_eq!(r.status, 200, "still serving after bad input");
    let m = get(&c, &format!("{}/metrics", ml.url())).await.body;
    // The 400 and the two 431s of the HTTP layer, the two 413s and the 400 of the handler.
    assert!(m.contains("mock_legacy_bad_requests_total 6"), "{m}");
    ml.shutdown().await;
}

/// The requests hyper refuses itself (400, 431) were answered with no body; the reference
/// gateway answers them with a JSON body naming the problem, and so does the mock now, in the
/// same words.
#[tokio::test]
async fn protocol_refusals_carry_a_json_body_that_says_why() {
    let ml = start(BACKEND).await;
    let addr = ml.addr();
    let mut many = String::from("GET /orders/get HTTP/1.1\r\nhost: x\r\n");
    for i in 0..200 {
        many.push_str(&format!("x-h{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let big = format!(
        "GET /orders/get HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let served = "GET /orders/get HTTP/1.1\r\nhost: x\r\n\r\n";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            "THIS IS NOT HTTP\r\n\r\n".into(),
            "400 Bad Request",
            "malformed request: invalid HTTP version",
        ),
        (
            "HELLO WORLD\r\n\r\n".into(),
            "400 Bad Request",
            "malformed request: invalid token",
        ),
        (
            String::from_utf8_lossy(&(0..=255u8).collect::<Vec<_>>()).into_owned(),
            "400 Bad Request",
            "malformed request: invalid token",
        ),
        (
            "POST /orders/create HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n".into(),
            "400 Bad Request",
            "invalid content-length",
        ),
        (
            "POST /orders/create HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab".into(),
            "400 Bad Request",
            "conflicting content-length values",
        ),
        (
            "POST /orders/create HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip\r\n\r\n".into(),
            "400 Bad Request",
            "transfer-encoding whose final coding is not chunked: the body's length cannot be told",
        ),
        (
            "GET /orders/get HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n folded\r\n\r\n".into(),
            "400 Bad Request",
            "malformed request: invalid header name",
        ),
        (
            big,
            "431 Request Header Fields Too Large",
            "request head over the 16384-byte limit",
        ),
        // hyper's own refusal (431) of lengths it keeps for chunked and read-until-close
        // bodies: a body too large, as one less is (the review of helper-180).
        (
            "POST /orders/create HTTP/1.1\r\nhost: x\r\ncontent-length: 18446744073709551615\r\n\r\n".into(),
            "413 Payload Too Large",
            "request body over the 1048576-byte limit",
        ),
        (
            "POST /orders/create HTTP/1.1\r\nhost: x\r\ncontent-length: 18446744073709551614\r\n\r\n".into(),
            "413 Payload Too Large",
            "request body over the 1048576-byte limit",
        ),
        (
            many,
            "431 Request Header Fields Too Large",
            "more than 100 request headers",
        ),
        // Behind a request it serves, on the same connection.
        (
            format!("{served}NOT HTTP\r\n\r\n"),
            "400 Bad Request",
            "malformed request: invalid token",
        ),
    ];
    for (request, status, why) in &cases {
        let answer = raw(addr, request.as_bytes()).await;
        // The last answer on the connection is the refusal.
        let at = answer.rfind("HTTP/1.1 ").unwrap_or(0);
        let refusal = &answer[at..];
        let shown: String = request.chars().take(60).collect();
        assert!(
            refusal.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{shown:?}: {answer:?}"
        );
        let (head, body) = refusal.split_once("\r\n\r\n").unwrap_or((refusal, ""));
        assert!(head.contains("content-type: application/json"), "{shown:?}: {head}");
        assert!(head.contains("connection: close"), "{shown:?}: {head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{shown:?}: {refusal}"
        );
        let j: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{shown:?}: {e}: {body:?}"));
        assert_eq!(j["error"], *why, "{shown:?}");
        assert_eq!(j["status"].as_u64(), status[..3].parse().ok(), "{shown:?}");
        if request.starts_with(served) {
            assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer:?}");
        }
    }
    // A HEAD request's refusal has no body, but says its length.
    let r = raw(
        addr,
        b"HEAD /orders/get HTTP/1.1\r\nhost: x\r\nx-a: 1\r\n folded\r\n\r\n",
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{r:?}");
    assert!(r.ends_with("\r\n\r\n"), "{r:?}");
    let length = r
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse::<usize>().ok());
    assert!(length.is_some_and(|n| n > 20), "{r:?}");
    // Refusals are still counted, and the server keeps serving.
    let c = client();
    let r = get(&c, &format!("{}/orders/get", ml.url())).await;
    assert_eq!(r.status, 200, "still serving after bad input");
    let m = get(&c, &format!("{}/metrics", ml.url())).await.body;
    let refused = cases.len() + 1;
    assert!(m.contains(&format!("mock_legacy_bad_requests_total {refused}")), "{m}");
    ml.shutdown().await;
}

/// 2 workers x 20 ms constant can deliver 100 requests/s. Offer 300 at once (more than it can
/// serve) and measure the completion rate between the first and the last completion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_is_workers_over_service_time() {
    let ml = start(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = \"20ms\"\noverload = { mode = \"queue\", backlog = 1000 }\n",
    )
    .await;
    let c = client();
    let url = format!("{}/s/api-1", ml.url());
    let n = 300;
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let c = c.clone();
        let url = url.clone();
        set.spawn(async move {
            let r = get(&c, &url).await;
            (r.status, Instant::now())
        });
    }
    let mut done = Vec::new();
    while let Some(r) = set.join_next().await {
        let (status, at) = r.unwrap();
        assert_eq!(status, 200);
        done.push(at);
    }
    done.sort();
    // Completions come in pairs every 20 ms: n - 2 completions after the first pair.
    let span = done[n - 1].duration_since(done[0]).as_secs_f64();
    let rate = (n - 2) as f64 / span;
    assert!(
        (rate - 100.0).abs() <= 3.0,
        "delivered {rate:.2} req/s, expected 100 within 3%"
    );
    ml.shutdown().await;
}

/// A client that sends its headers slower than the header read timeout is cut off, and the
/// server keeps serving others.
#[tokio::test]
async fn slow_header_senders_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let limits = mock_legacy::serve::ServerLimits {
        header_read_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let server = mock_legacy::serve::spawn(listener, limits, |_req, _peer| async {
        http::Response::new(http_body_util::Full::new(bytes::Bytes::from_static(b"ok")))
    })
    .unwrap();
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closed the slow connection");
    assert!(t0.elapsed() >= Duration::from_millis(150), "not before the timeout");
    let r = mock_legacy::testing::get(&client(), &format!("http://{}/", server.addr))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    server.shutdown().await;
}

/// A client that declares a body and stops sending it gets 408 once the read timeout passes
/// (it used to hold the connection, unanswered, for as long as it liked), and the server keeps
/// serving others.
#[tokio::test]
async fn a_body_that_stops_arriving_gets_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let s = model::scenario::parse(
        "test.toml",
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"svc\"\nworkers = 1\nservice_time = \"1ms\"\n",
    )
    .unwrap();
    let limits = mock_legacy::serve::ServerLimits {
        header_read_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    // Every path to the one service.
    let ml = mock_legacy::start_with_limits(&s, "127.0.0.1:0".parse().unwrap(), true, limits)
        .await
        .unwrap();
    let mut stalled = tokio::net::TcpStream::connect(ml.addr()).await.unwrap();
    stalled
        .write_all(b"POST /svc/api HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\nabc")
        .await
        .unwrap();
    let t0 = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stalled.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "answered and closed within 5 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("connection: close\r\n"),
        "the answer says it closes: {text}"
    );
    assert!(t0.elapsed() >= Duration::from_millis(200), "not before the timeout");
    let r = mock_legacy::testing::get(&client(), &format!("{}/svc/api", ml.url()))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    ml.shutdown().await;
}

/// mock-legacy serving every path with one fast service, with these limits.
async fn start_one(limits: mock_legacy::serve::ServerLimits) -> MockLegacy {
    let s = model::scenario::parse(
        "test.toml",
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"svc\"\nworkers = 2\nservice_time = \"1ms\"\n",
    )
    .expect("valid scenario");
    mock_legacy::start_with_limits(&s, "127.0.0.1:0".parse().unwrap(), true, limits)
        .await
        .expect("server starts")
}

/// The status line of a raw answer.
fn status_line(answer: &str) -> &str {
    answer.split("\r\n").next().unwrap_or("")
}

/// A connection that sends nothing at all is closed after the header read timeout (hyper's own
/// timer starts only at the first byte: such connections used to stay open for ever); one that
/// starts a head and stalls gets 408; one idle between requests is closed without a word.
#[tokio::test]
async fn silent_and_stalled_connections_are_closed_after_the_header_read_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limits = mock_legacy::serve::ServerLimits {
        header_read_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let ml = start_one(limits).await;
    let t0 = Instant::now();
    let mut silent = tokio::net::TcpStream::connect(ml.addr()).await.unwrap();
    let mut stalled = tokio::net::TcpStream::connect(ml.addr()).await.unwrap();
    stalled.write_all(b"GET /svc/a HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let mut idle = tokio::net::TcpStream::connect(ml.addr()).await.unwrap();
    idle.write_all(b"GET /svc/a HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();

    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut out)).await;
    assert!(
        matches!(read, Ok(Ok(0))),
        "a connection that sends nothing is closed, unanswered: {read:?} {:?}",
        String::from_utf8_lossy(&out)
    );
    assert!(t0.elapsed() >= Duration::from_millis(150), "not before the timeout");

    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stalled.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the stalled connection is closed");
    let text = String::from_utf8_lossy(&out);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        text.contains("connection: close\r\n") && text.ends_with("\"status\":408}"),
        "{text}"
    );

    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "the idle keep-alive connection is closed");
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "its answer, and no 408: {text}");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");

    let r = mock_legacy::testing::get(&client(), &format!("{}/svc/a", ml.url()))
        .await
        .expect("still serving");
    assert_eq!(r.status, 200);
    ml.shutdown().await;
}

/// An HTTP/2 connection that carries no request is closed after the idle timeout with a
/// GOAWAY, as an idle HTTP/1.1 one is (hyper's HTTP/2 side has no such timer: a client that
/// sent the preface and then nothing held its connection for ever); a request in flight longer
/// than that timeout is not cut off.
#[tokio::test]
async fn idle_h2c_connections_are_closed_and_long_requests_are_not() {
    use http_body_util::{BodyExt, Full};
    let limits = mock_legacy::serve::ServerLimits {
        idle_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let s = model::scenario::parse(
        "test.toml",
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"svc\"\nworkers = 2\nservice_time = \"700ms\"\n",
    )
    .expect("valid scenario");
    let ml = mock_legacy::start_with_limits(&s, "127.0.0.1:0".parse().unwrap(), true, limits)
        .await
        .expect("server starts");
    mock_legacy::testing::assert_idle_h2c_is_closed(ml.addr()).await;

    let h2 = mock_legacy::testing::h2c_client();
    let req = http::Request::get(format!("{}/svc/a", ml.url()))
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), h2.request(req))
        .await
        .expect("answered in time")
        .expect("a 700 ms request on a connection with a 200 ms idle timeout");
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.expect("whole body").to_bytes();
    assert!(!body.is_empty());
    ml.shutdown().await;
}

/// CONNECT, in any form, is refused 501 (with Allow) and the connection closes: what follows a
/// CONNECT is a tunnel's bytes, never a request to serve.
#[tokio::test]
async fn connect_is_refused_and_closes_the_connection() {
    let ml = start_one(Default::default()).await;
    for connect in [
        &b"CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n"[..],
        b"CONNECT /svc/a HTTP/1.1\r\nhost: x\r\n\r\n",
    ] {
        let mut req = connect.to_vec();
        req.extend_from_slice(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n");
        let r = raw(ml.addr(), &req).await;
        assert_eq!(status_line(&r), "HTTP/1.1 501 Not Implemented", "{r}");
        assert!(r.contains("\r\nallow: GET, HEAD, POST"), "{r}");
        assert!(r.contains("\r\nconnection: close\r\n"), "{r}");
        assert_eq!(r.matches("HTTP/1.1 ").count(), 1, "nothing after it is served: {r}");
    }
    // Methods outside `Allow` take no worker's time either (TRACE was served a 200 by a
    // worker, under an `Allow` that does not list it); the server serves on.
    for method in ["TRACE", "FOO"] {
        let r = raw(
            ml.addr(),
            format!("{method} /svc/a HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes(),
        )
        .await;
        assert_eq!(status_line(&r), "HTTP/1.1 501 Not Implemented", "{r}");
        assert!(r.contains("\r\nallow: GET, HEAD, POST"), "{r}");
        assert!(r.contains(&format!("method {method} is not served")), "{r}");
    }
    let r = raw(
        ml.addr(),
        b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{r}");
    ml.shutdown().await;
}

/// Over h2c a HEAD answer has no content (hyper's HTTP/1 side drops it, its HTTP/2 side sent
/// it as DATA), and says the length a GET's body would have.
#[tokio::test]
async fn head_answers_over_h2c_carry_no_body() {
    use http_body_util::{BodyExt, Full};
    let ml = start_one(Default::default()).await;
    let h2 = mock_legacy::testing::h2c_client();
    for path in ["/svc/a", "/healthz", "/metrics"] {
        let req = http::Request::head(format!("{}{path}", ml.url()))
            .body(Full::new(bytes::Bytes::new()))
            .unwrap();
        let resp = tokio::time::timeout(Duration::from_secs(5), h2.request(req))
            .await
            .expect("answered in time")
            .expect("h2c request");
        assert_eq!(resp.version(), http::Version::HTTP_2);
        assert_eq!(resp.status(), 200, "{path}");
        let length: u64 = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{path}: the length a GET would have"));
        assert!(length > 0, "{path}");
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        assert!(body.is_empty(), "{path}: HEAD answered with content {body:?}");
    }
    // HTTP/1.1 still says the length and sends nothing.
    let r = raw(
        ml.addr(),
        b"HEAD /svc/a HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 200") && r.contains("content-length: "), "{r}");
    assert!(r.ends_with("\r\n\r\n"), "{r}");
    ml.shutdown().await;
}

/// RFC 9112 section 3.2: an HTTP/1.1 request without Host, with two, or with an invalid one is
/// refused 400; HTTP/1.0 may go without.
#[tokio::test]
async fn http11_requests_need_one_valid_host() {
    let ml = start_one(Default::default()).await;
    for (req, want) in [
        (&b"GET /svc/a HTTP/1.1\r\n\r\n"[..], "400"),
        (b"GET /svc/a HTTP/1.1\r\nhost: a\r\nhost: a\r\n\r\n", "400"),
        (b"GET /svc/a HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n", "400"),
        (b"GET /svc/a HTTP/1.1\r\nhost: a b/c@d\r\n\r\n", "400"),
        (b"GET /svc/a HTTP/1.1\r\nhost: user@a\r\n\r\n", "400"),
        (b"GET /healthz HTTP/1.1\r\n\r\n", "400"),
        (b"GET /svc/a HTTP/1.0\r\n\r\n", "200"),
        (
            b"GET /svc/a HTTP/1.1\r\nhost: a.example:8080\r\nconnection: close\r\n\r\n",
            "200",
        ),
        (
            b"GET /svc/a HTTP/1.1\r\nhost: [::1]:80\r\nconnection: close\r\n\r\n",
            "200",
        ),
        (
            b"GET /svc/a HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n",
            "200",
        ),
    ] {
        let r = raw(ml.addr(), req).await;
        let shown = String::from_utf8_lossy(req);
        assert_eq!(status_line(&r).split(' ').nth(1), Some(want), "{shown:?}: {r}");
        if want == "400" {
            assert!(r.contains("Host header"), "{shown:?}: {r}");
        }
    }
    ml.shutdown().await;
}

/// Two copies of a single-value header are refused, whatever their order (it used to be the
/// first that counted), and a timeout is digits only.
#[tokio::test]
async fn repeated_single_value_headers_and_signed_timeouts_are_refused() {
    let ml = start_one(Default::default()).await;
    let req = |headers: &str| format!("GET /svc/a HTTP/1.1\r\nhost: x\r\n{headers}connection: close\r\n\r\n");
    for (headers, named) in [
        (
            "x-spillway-timeout-ms: 100\r\nx-spillway-timeout-ms: abc\r\n",
            "x-spillway-timeout-ms",
        ),
        (
            "x-spillway-timeout-ms: abc\r\nx-spillway-timeout-ms: 100\r\n",
            "x-spillway-timeout-ms",
        ),
        (
            "x-spillway-timeout-ms: 100\r\nx-spillway-timeout-ms: 100\r\n",
            "x-spillway-timeout-ms",
        ),
        (
            "x-spillway-priority: background\r\nx-spillway-priority: interactive\r\n",
            "x-spillway-priority",
        ),
        ("x-request-id: a\r\nx-request-id: b\r\n", "x-request-id"),
        ("x-spillway-timeout-ms: +5000\r\n", "x-spillway-timeout-ms"),
    ] {
        let r = raw(ml.addr(), req(headers).as_bytes()).await;
        assert_eq!(status_line(&r), "HTTP/1.1 400 Bad Request", "{headers:?}: {r}");
        let body = r.split("\r\n\r\n").nth(1).unwrap_or("");
        let j: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert!(
            j["error"].as_str().is_some_and(|e| e.starts_with(named)),
            "{headers:?}: {body}"
        );
    }
    let r = raw(ml.addr(), req("x-spillway-timeout-ms: 5000\r\n").as_bytes()).await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    ml.shutdown().await;
}

/// Transfer codings other than chunked are not understood (501), chunked twice or in HTTP/1.0
/// is malformed (400), and either closes the connection (hyper framed the body its own way).
#[tokio::test]
async fn transfer_codings_other_than_one_chunked_are_refused() {
    let ml = start_one(Default::default()).await;
    let post = |te: &str| {
        format!(
            "POST /svc/a HTTP/1.1\r\nhost: x\r\n{te}\r\n3\r\nabc\r\n0\r\n\r\nGET /svc/a HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
    };
    for (te, want) in [
        ("transfer-encoding: gzip, chunked\r\n", "501"),
        ("transfer-encoding: identity\r\ntransfer-encoding: chunked\r\n", "501"),
        ("transfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n", "400"),
        ("transfer-encoding: chunked, chunked\r\n", "400"),
    ] {
        let r = raw(ml.addr(), post(te).as_bytes()).await;
        assert!(status_line(&r).starts_with(&format!("HTTP/1.1 {want}")), "{te:?}: {r}");
        assert!(r.contains("transfer-encoding"), "{te:?}: {r}");
        assert_eq!(r.matches("HTTP/1.1 ").count(), 1, "{te:?}: closed after: {r}");
    }
    let r = raw(
        ml.addr(),
        b"POST /svc/a HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    let r = raw(ml.addr(), post("transfer-encoding: chunked\r\n").as_bytes()).await;
    assert_eq!(r.matches("HTTP/1.1 200").count(), 2, "a single chunked is fine: {r}");
    ml.shutdown().await;
}

/// On shutdown, requests waiting in the backlog are answered 503 at once; the one on the worker
/// finishes. They used to wait for the worker through the drain, each served in turn (here all
/// three, 2 s apart) until the drain timeout (5 s) cut the rest off unanswered.
#[tokio::test]
async fn shutdown_answers_the_backlog_503_and_finishes_the_work_under_way() {
    let ml = start(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
         [[backend.services]]\nname = \"slow\"\napis = [\"a\"]\nworkers = 1\nservice_time = \"2s\"\n\
         overload = { mode = \"queue\", backlog = 10 }\n",
    )
    .await;
    let c = client();
    let url = format!("{}/slow/a", ml.url());
    let mut calls = Vec::new();
    for _ in 0..3 {
        let (c, url) = (c.clone(), url.clone());
        calls.push(tokio::spawn(async move { get(&c, &url).await }));
        // In order: the first takes the worker, the others queue behind it.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Wait until both are in the backlog (bounded: 5 s).
    for _ in 0..100 {
        if ml.backend().services[0].stats(model::Time::ZERO).2 == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        ml.backend().services[0].stats(model::Time::ZERO).2,
        2,
        "two in the backlog"
    );
    ml.shutdown().await;
    let mut statuses = Vec::new();
    for call in calls {
        let r = tokio::time::timeout(Duration::from_secs(30), call)
            .await
            .expect("answered")
            .expect("task");
        if r.status == 503 {
            assert!(r.body.contains("server shutting down"), "{}", r.body);
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [200, 503, 503]);
}

/// A request with both Content-Length and Transfer-Encoding is refused 400 (hyper served it by
/// its Transfer-Encoding: RFC 9112 section 6.3 calls it an error, the gateway refuses it) and
/// the connection closes; behind a pipelined request that is served. A Content-Length list
/// (`2, 2`) is 400 too. Other connections go on being served.
#[tokio::test]
async fn both_framing_headers_and_length_lists_are_400() {
    let ml = start_one(Default::default()).await;
    let post = |framing: &str, body: &str| {
        format!(
            "POST /svc/a HTTP/1.1\r\nhost: x\r\n{framing}\r\n{body}GET /svc/a HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
    };
    let chunked = "3\r\nabc\r\n0\r\n\r\n";
    for (framing, body) in [
        ("content-length: 3\r\ntransfer-encoding: chunked\r\n", chunked),
        ("transfer-encoding: chunked\r\ncontent-length: 3\r\n", chunked),
        ("content-length: 15\r\ntransfer-encoding: chunked\r\n", chunked),
    ] {
        let r = raw(ml.addr(), post(framing, body).as_bytes()).await;
        assert_eq!(status_line(&r), "HTTP/1.1 400 Bad Request", "{framing:?}: {r}");
        assert!(
            r.contains("both transfer-encoding and content-length"),
            "{framing:?}: {r}"
        );
        assert_eq!(r.matches("HTTP/1.1 ").count(), 1, "{framing:?}: closed after: {r}");
    }
    // Pipelined behind a request that is fine: that one is served, this one refused.
    let mut two = post("content-length: 2\r\n", "ok");
    two.truncate(two.len() - "connection: close\r\n\r\n".len());
    two.push_str("\r\n");
    two.push_str(&post("content-length: 3\r\ntransfer-encoding: chunked\r\n", chunked));
    let r = raw(ml.addr(), two.as_bytes()).await;
    let statuses: Vec<&str> = r.split("HTTP/1.1 ").skip(1).map(|a| &a[..3]).collect();
    assert_eq!(statuses, ["200", "200", "400"], "{r}");
    let r = raw(ml.addr(), post("content-length: 2, 2\r\n", "ok").as_bytes()).await;
    assert!(r.starts_with("HTTP/1.1 400"), "{r}");
    assert_eq!(r.matches("HTTP/1.1 ").count(), 1, "closed after: {r}");
    let r = raw(
        ml.addr(),
        post("content-length: 2\r\ncontent-length: 2\r\n", "ok").as_bytes(),
    )
    .await;
    assert_eq!(
        r.matches("HTTP/1.1 200").count(),
        2,
        "the same length twice, on two lines: {r}"
    );
    let r = raw(ml.addr(), post("transfer-encoding: chunked\r\n", chunked).as_bytes()).await;
    assert_eq!(r.matches("HTTP/1.1 200").count(), 2, "{r}");
    ml.shutdown().await;
}

/// A path is routed as sent: `//orders/get` names no service (404), it is not `/orders/get`.
#[tokio::test]
async fn doubled_slashes_are_not_collapsed() {
    let ml = start(BACKEND).await;
    for path in ["//orders/get", "///orders/get", "//orders//get"] {
        let r = raw(
            ml.addr(),
            format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .await;
        assert_eq!(status_line(&r), "HTTP/1.1 404 Not Found", "{path}: {r}");
        assert!(r.contains(&format!("no route for {path}")), "{path}: {r}");
    }
    let r = raw(
        ml.addr(),
        b"GET /orders/get HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    ml.shutdown().await;
}

/// A shutdown with no request being answered is over at once: a connection with half a head,
/// one with half a body, an h2c one that sent only its preface and SETTINGS, and one that
/// finished a stream and sits idle (none of which answer the GOAWAY's PING) used to hold it for
/// the whole drain timeout, with a warning blaming requests in flight.
#[tokio::test]
async fn shutdown_does_not_wait_for_connections_that_answer_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A drain timeout far past the bound below: a shutdown that waited for these connections
    // would wait it out, and the bound tells that from a slow machine with room to spare.
    let limits = mock_legacy::serve::ServerLimits {
        drain_timeout: Duration::from_secs(300),
        ..Default::default()
    };
    let ml = start_one(limits).await;
    let addr = ml.addr();
    let connect = || tokio::net::TcpStream::connect(addr);
    let mut half_head = connect().await.unwrap();
    half_head.write_all(b"GET /x HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut half_body = connect().await.unwrap();
    half_body
        .write_all(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        .await
        .unwrap();
    let preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";
    let mut h2_silent = connect().await.unwrap();
    h2_silent.write_all(preface).await.unwrap();
    let mut h2_done = connect().await.unwrap();
    h2_done.write_all(preface).await.unwrap();
    // HEADERS, END_STREAM | END_HEADERS, stream 1: GET http://x/ (HPACK static entries 2, 6, 4;
    // :authority by name, index 1).
    let block = [0x82, 0x86, 0x84, 0x41, 0x01, b'x'];
    let mut headers = vec![0, 0, block.len() as u8, 1, 0x05, 0, 0, 0, 1];
    headers.extend_from_slice(&block);
    h2_done.write_all(&headers).await.unwrap();
    // Its answer: HEADERS and DATA, the last with END_STREAM (bounded: 5 s).
    let mut got = Vec::new();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(5) {
        let mut buf = [0u8; 4096];
        match tokio::time::timeout(Duration::from_millis(100), h2_done.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) if !got.is_empty() => break,
            Err(_) => {}
        }
    }
    assert!(
        String::from_utf8_lossy(&got).contains("\"status\":200"),
        "the stream was answered: {got:?}"
    );
    // The server has read the half-sent requests.
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Over at once means well before the 300 s drain timeout; 30 s is no speed requirement, only
    // what a stalled machine cannot reach and a shutdown waiting for these connections cannot
    // beat.
    let t0 = Instant::now();
    let shut = tokio::time::timeout(Duration::from_secs(30), ml.shutdown()).await;
    assert!(
        shut.is_ok(),
        "shutdown still waiting after {:?} for connections answering nothing",
        t0.elapsed()
    );
    for (what, mut s) in [
        ("half a head", half_head),
        ("half a body", half_body),
        ("h2c preface only", h2_silent),
        ("h2c idle after a stream", h2_done),
    ] {
        let mut rest = Vec::new();
        // Closed by the shutdown that is over: the bound only keeps a bug from hanging the test.
        let read = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "{what}: the connection is closed");
    }
}

/// What the HTTP layer refuses before the handler sees a request (it cannot be parsed, a
/// Content-Length that is no number or a list, a NUL byte, headers too large) counts in
/// `mock_legacy_bad_requests_total`, as the handler's refusals do; a request the handler
/// refuses is counted once.
#[tokio::test]
async fn requests_the_http_layer_refuses_are_counted_as_malformed() {
    let ml = start_one(Default::default()).await;
    let addr = ml.addr();
    let refused: [&[u8]; 6] = [
        b"THIS IS NOT HTTP\r\n\r\n",
        b"POST /x HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n",
        b"POST /x HTTP/1.1\r\nhost: x\r\ncontent-length: 2, 2\r\n\r\nok",
        b"GET /x HTTP/1.1\r\nhost: x\r\nx-a: a\0b\r\n\r\n",
        b"GET /x HTTP/1.1\r\nhost: x\r\ntransfer-encoding: gzip\r\n\r\n",
        &[b'a'; 64 * 1024],
    ];
    for bytes in refused {
        let answer = raw(addr, bytes).await;
        let status = status_line(&answer);
        assert!(
            status.starts_with("HTTP/1.1 4"),
            "{:?}: {status:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(60)])
        );
    }
    // Refused by the handler (missing Host), and a chunked body that breaks off in nonsense.
    let answer = raw(addr, b"GET /x HTTP/1.1\r\n\r\n").await;
    assert!(status_line(&answer).starts_with("HTTP/1.1 400"), "{answer}");
    let answer = raw(
        addr,
        b"POST /x HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
    )
    .await;
    assert!(status_line(&answer).starts_with("HTTP/1.1 400"), "{answer}");
    let m = mock_legacy::testing::get(&client(), &format!("{}/metrics", ml.url()))
        .await
        .expect("metrics")
        .body;
    assert_eq!(prom(&m, "mock_legacy_bad_requests_total", ""), Some(8.0), "{m}");
    ml.shutdown().await;
}

/// Sends `n` GETs to `url` at once on one h2c connection (opened first) and returns their
/// statuses and bodies; each within 20 s.
async fn h2c_burst(url: &str, n: usize) -> Vec<(u16, String)> {
    let h2 = mock_legacy::testing::h2c_client();
    let base = url.split('/').take(3).collect::<Vec<_>>().join("/");
    // The connection first, so the burst shares it.
    let first = mock_legacy::testing::get(&h2, &format!("{base}/healthz")).await;
    assert_eq!(first.map(|r| r.status), Ok(200), "h2c /healthz");
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        let (h2, url) = (h2.clone(), url.to_string());
        set.spawn(async move {
            let req = http::Request::get(url)
                .body(http_body_util::Full::new(bytes::Bytes::new()))
                .map_err(|e| e.to_string())?;
            let resp = tokio::time::timeout(Duration::from_secs(20), h2.request(req))
                .await
                .map_err(|_| "no answer within 20 s".to_string())?
                .map_err(|e| e.to_string())?;
            assert_eq!(resp.version(), http::Version::HTTP_2);
            let status = resp.status().as_u16();
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, String::from_utf8_lossy(&body).into_owned()))
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("request task").expect("h2c request"));
    }
    out
}

/// Over h2c, more requests at once than hyper's default stream limit (200) all reach the
/// service, whose overload rule decides: 300 at once at a reject service with 250 workers get
/// 503s. With 200 streams a connection, the rest waited in the client, no worker was ever
/// short and none was refused (a backlog of 300 never held more than 199).
#[tokio::test]
async fn h2c_requests_past_200_at_once_meet_the_services_overload_rule() {
    let ml = start(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"s\"\nworkers = 250\nservice_time = \"2s\"\noverload = \"reject\"\n",
    )
    .await;
    let replies = h2c_burst(&format!("{}/s/api-1", ml.url()), 300).await;
    let ok = replies.iter().filter(|r| r.0 == 200).count();
    let refused: Vec<_> = replies.iter().filter(|r| r.0 == 503).collect();
    assert_eq!(ok + refused.len(), 300, "only 200s and 503s: {replies:?}");
    assert!(
        !refused.is_empty(),
        "no 503: at most 200 requests reached the service at once"
    );
    assert!(refused.iter().all(|r| r.1.contains("overloaded")), "{refused:?}");
    let m = get(&client(), &format!("{}/metrics", ml.url())).await.body;
    let counted = prom(&m, "mock_legacy_requests_total", "service=\"s\",code=\"503\"");
    assert_eq!(counted, Some(refused.len() as f64), "{m}");
    ml.shutdown().await;
}
