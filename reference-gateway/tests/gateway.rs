//! The real gateway in front of the real mock-legacy, both on 127.0.0.1:0.

use mock_legacy::testing::{client, metric, raw, HttpClient, Reply};
use mock_legacy::MockLegacy;
use reference_gateway::{RunningGateway, Setup};
use std::time::{Duration, Instant};

async fn send(c: &HttpClient, url: &str, headers: &[(&str, &str)]) -> Reply {
    mock_legacy::testing::send(c, url, headers, Vec::new())
        .await
        .expect("request succeeds")
}

/// mock-legacy serving the scenario's backend, and the gateway in front of it.
async fn stack(text: &str) -> (MockLegacy, RunningGateway) {
    let s = model::scenario::parse("test.toml", text).expect("valid scenario");
    let ml = mock_legacy::start(&s, "127.0.0.1:0".parse().unwrap(), false)
        .await
        .expect("mock-legacy starts");
    let setup = Setup::from_scenario(&s, Some(&ml.url())).expect("gateway setup");
    let gw = reference_gateway::start(setup, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("gateway starts");
    (ml, gw)
}

fn scenario(gateway: &str, backend: &str) -> String {
    format!("[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\n[gateway]\n{gateway}\n\n[[backend.services]]\nname = \"svc\"\napis = [\"op\"]\n{backend}\n")
}

async fn backend_metric(c: &HttpClient, ml: &MockLegacy, name: &str) -> f64 {
    let m = send(c, &format!("{}/metrics", ml.url()), &[]).await.body;
    metric(&m, name, "service=\"svc\"").unwrap_or_else(|| panic!("{name} missing:\n{m}"))
}

async fn gateway_metric(c: &HttpClient, gw: &RunningGateway, name: &str, labels: &str) -> f64 {
    let m = send(c, &format!("{}/metrics", gw.url()), &[]).await.body;
    metric(&m, name, labels).unwrap_or_else(|| panic!("{name}{{{labels}}} missing:\n{m}"))
}

#[tokio::test]
async fn a_full_bounded_queue_sheds_503_with_retry_after() {
    let (ml, gw) = stack(&scenario(
        "strategy = \"bounded\"\nconcurrency = 1\nqueue_capacity = 1",
        "workers = 1\nservice_time = \"200ms\"",
    ))
    .await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let mut set = tokio::task::JoinSet::new();
    for i in 0..3u64 {
        let (c, url) = (c.clone(), url.clone());
        set.spawn(async move {
            tokio::time::sleep(Duration::from_millis(20 * i)).await;
            send(&c, &url, &[]).await
        });
    }
    let mut replies = Vec::new();
    while let Some(r) = set.join_next().await {
        replies.push(r.unwrap());
    }
    replies.sort_by_key(|r| r.status);
    assert_eq!(
        replies.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![200, 200, 503]
    );
    let shed = &replies[2];
    assert_eq!(shed.header("x-spillway-outcome"), Some("shed"));
    assert!(shed.header("retry-after").is_some(), "503 carries Retry-After");
    assert!(shed.header("x-spillway-retry-after-ms").is_some());
    assert!(shed.json()["error"].as_str().unwrap().contains("queue full"));
    let queued = replies
        .iter()
        .filter_map(|r| r.header("x-spillway-queue-ms"))
        .filter_map(|v| v.parse::<f64>().ok())
        .fold(0.0, f64::max);
    assert!(queued >= 100.0, "the second request waited for the first: {queued} ms");
    assert_eq!(
        gateway_metric(
            &c,
            &gw,
            "spillway_gateway_requests_total",
            "service=\"svc\",outcome=\"shed\""
        )
        .await,
        1.0
    );
    // The two admitted requests waited; the one shed on arrival was never queued.
    assert_eq!(
        gateway_metric(&c, &gw, "spillway_gateway_queue_wait_seconds_count", "service=\"svc\"").await,
        2.0
    );
    gw.shutdown().await;
    ml.shutdown().await;
}

/// /metrics gave each service's limit but not its queue bound: a service's own
/// `[gateway.services.NAME]` bound (or the shared one) is exported, with priority classes their
/// bounds added, and an unbounded queue has no line.
#[tokio::test]
async fn metrics_give_each_services_queue_capacity() {
    let backend = "[[backend.services]]\nname = \"pricing\"\nworkers = 1\nservice_time = \"1ms\"\n\
        [[backend.services]]\nname = \"orders\"\nworkers = 1\nservice_time = \"1ms\"\n";
    let text = |gateway: &str| {
        format!("[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\n[gateway]\n{gateway}\n\n{backend}")
    };
    let c = client();
    let (ml, gw) = stack(&text(
        "strategy = \"bounded\"\nqueue_capacity = 100\n[gateway.services.pricing]\nqueue_capacity = 23",
    ))
    .await;
    let m = send(&c, &format!("{}/metrics", gw.url()), &[]).await.body;
    assert!(
        m.contains("# HELP spillway_gateway_queue_capacity ")
            && m.contains("# TYPE spillway_gateway_queue_capacity gauge\n"),
        "{m}"
    );
    let capacity = |service: &str| metric(&m, "spillway_gateway_queue_capacity", &format!("service=\"{service}\""));
    assert_eq!((capacity("pricing"), capacity("orders")), (Some(23.0), Some(100.0)));
    gw.shutdown().await;
    ml.shutdown().await;

    // Two classes, each with its bound: the queue holds both.
    let (ml, gw) = stack(&text(
        "strategy = \"bounded\"\nqueue_capacity = 10\n[gateway.priorities]\nbackground_capacity = 4",
    ))
    .await;
    assert_eq!(
        gateway_metric(&c, &gw, "spillway_gateway_queue_capacity", "service=\"orders\"").await,
        14.0
    );
    gw.shutdown().await;
    ml.shutdown().await;

    let (ml, gw) = stack(&text("strategy = \"fifo\"")).await;
    let m = send(&c, &format!("{}/metrics", gw.url()), &[]).await.body;
    assert!(!m.contains("spillway_gateway_queue_capacity{"), "{m}");
    gw.shutdown().await;
    ml.shutdown().await;
}

/// The first request holds the only slot for 2 s; the second, with 100 ms of budget, expires
/// in the queue behind it.
#[tokio::test]
async fn expired_requests_get_504_without_a_backend_call() {
    // 2 s of service: the second request must reach the gateway while the first is still on
    // the backend, and that is the margin a stalled machine has for it (the test's length).
    let (ml, gw) = stack(&scenario(
        "strategy = \"deadline\"\nconcurrency = 1",
        "workers = 1\nservice_time = \"2s\"",
    ))
    .await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let first = {
        let (c, url) = (c.clone(), url.clone());
        tokio::spawn(async move { send(&c, &url, &[("x-spillway-timeout-ms", "10000")]).await })
    };
    // The first holds the slot once the backend has it: then the second can only queue. (A
    // sleep here let a stalled first request reach the gateway after the second.)
    let mut polls = 0;
    while backend_metric(&c, &ml, "mock_legacy_in_flight").await < 1.0 {
        polls += 1;
        assert!(polls < 2000, "the first request never reached the backend");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // 100 ms of budget while the only slot is busy: expires in the queue.
    let second = send(&c, &url, &[("x-spillway-timeout-ms", "100")]).await;
    assert_eq!(second.status, 504, "{}", second.body);
    assert_eq!(second.header("x-spillway-outcome"), Some("expired"));
    assert_eq!(first.await.unwrap().status, 200);
    assert_eq!(
        backend_metric(&c, &ml, "mock_legacy_arrived_total").await,
        1.0,
        "the expired request never reached the backend"
    );
    gw.shutdown().await;
    ml.shutdown().await;
}

/// The deadline strategy predicts each API (the path below the service) by its own times: with
/// a 1.5 s API and a 5 ms one behind one service, a request to the slow API with 600 ms left
/// is answered 504 without a backend call, and one to the fast API with as little is served.
/// (One estimate for the service, the lower of its average and its newest answer, would have
/// sent the slow one: about 0.3 s predicted.)
#[tokio::test]
async fn the_deadline_strategy_predicts_each_api_by_its_path() {
    let (ml, gw) = stack(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\n[gateway]\nstrategy = \"deadline\"\nconcurrency = 2\n\n\
         [[backend.services]]\nname = \"svc\"\napis = [\"fast\", \"slow\"]\nworkers = 2\nservice_time = \"5ms\"\n\
         api_service_time = { slow = \"1500ms\" }\n",
    )
    .await;
    let c = client();
    let (fast, slow) = (format!("{}/svc/fast", gw.url()), format!("{}/svc/slow", gw.url()));
    let patient = [("x-spillway-timeout-ms", "30000")];
    assert_eq!(send(&c, &fast, &patient).await.status, 200);
    assert_eq!(send(&c, &slow, &patient).await.status, 200);
    // A slow call holds one slot (else, with nothing in flight for longer than the estimate,
    // it would count as stale and let one request through to refresh it).
    let held = {
        let (c, slow) = (c.clone(), slow.clone());
        tokio::spawn(async move { send(&c, &slow, &patient).await })
    };
    let mut polls = 0;
    while backend_metric(&c, &ml, "mock_legacy_in_flight").await < 1.0 {
        polls += 1;
        assert!(polls < 2000, "the held request never reached the backend");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let short = [("x-spillway-timeout-ms", "600")];
    let refused = send(&c, &slow, &short).await;
    assert_eq!(refused.status, 504, "{}", refused.body);
    assert_eq!(refused.header("x-spillway-outcome"), Some("expired"));
    let served = send(&c, &fast, &short).await;
    assert_eq!(served.status, 200, "{}", served.body);
    assert_eq!(held.await.unwrap().status, 200);
    assert_eq!(
        backend_metric(&c, &ml, "mock_legacy_arrived_total").await,
        4.0,
        "the refused request never reached the backend"
    );
    gw.shutdown().await;
    ml.shutdown().await;
}

#[tokio::test]
async fn auth_401_and_rate_limit_429() {
    let (ml, gw) = stack(&scenario(
        // A slow refill (one token per 10 s), so a loaded machine cannot refill a bucket between
        // the requests below.
        "strategy = \"fifo\"\nauth = { keys = [\"k1\", \"k2\"] }\nrate_limit = { rate = 0.1, burst = 2 }",
        "workers = 2\nservice_time = \"1ms\"",
    ))
    .await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let r = send(&c, &url, &[]).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(send(&c, &url, &[("x-api-key", "k3")]).await.status, 401);
    assert_eq!(send(&c, &url, &[("authorization", "Bearer k1x")]).await.status, 401);
    assert_eq!(
        send(&c, &format!("{}/healthz", gw.url()), &[]).await.status,
        200,
        "admin endpoints open by default"
    );
    assert_eq!(send(&c, &url, &[("x-api-key", "k1")]).await.status, 200);
    assert_eq!(send(&c, &url, &[("x-api-key", "k1")]).await.status, 200);
    let limited = send(&c, &url, &[("x-api-key", "k1")]).await;
    assert_eq!(limited.status, 429, "burst of 2 spent");
    assert_eq!(limited.header("x-spillway-outcome"), Some("rate-limited"));
    assert_eq!(limited.header("retry-after"), Some("10"));
    // Respelling the same key is the same client (each spelling used to get a bucket of its own).
    for (header, value) in [
        ("authorization", "Bearer k1"),
        ("authorization", "bearer  k1"),
        ("authorization", "BEARER k1 "),
        ("x-api-key", " k1"),
    ] {
        assert_eq!(
            send(&c, &url, &[(header, value)]).await.status,
            429,
            "{header}: {value:?}"
        );
    }
    assert_eq!(
        send(&c, &url, &[("authorization", "Bearer k2")]).await.status,
        200,
        "another client has its own bucket"
    );
    gw.shutdown().await;
    ml.shutdown().await;

    // Without auth nobody checks keys: a made-up key per request is still the same client.
    let (ml, gw) = stack(&scenario(
        "strategy = \"fifo\"\nrate_limit = { rate = 0.1, burst = 2 }",
        "workers = 2\nservice_time = \"1ms\"",
    ))
    .await;
    let url = format!("{}/svc/op", gw.url());
    let mut statuses = Vec::new();
    for i in 0..4 {
        statuses.push(send(&c, &url, &[("x-api-key", &format!("made-up-{i}"))]).await.status);
    }
    assert_eq!(statuses, [200, 200, 429, 429], "one bucket, by address");
    gw.shutdown().await;
    ml.shutdown().await;
}

#[tokio::test]
async fn a_backend_429_pauses_dispatch_for_its_retry_after() {
    let (ml, gw) = stack(&scenario(
        "strategy = \"fifo\"\nconcurrency = 4",
        "workers = 4\nservice_time = \"1ms\"\nfaults = { rate_limit = { rate = 1, burst = 1, retry_after = \"1s\" } }",
    ))
    .await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    assert_eq!(send(&c, &url, &[]).await.status, 200);
    let throttled = send(&c, &url, &[]).await;
    assert_eq!(throttled.status, 429, "the backend's answer is passed on");
    assert_eq!(throttled.header("x-spillway-outcome"), Some("backend-rate-limited"));
    let t0 = Instant::now();
    let third = send(&c, &url, &[]).await;
    assert_eq!(
        third.status, 200,
        "sent after the pause, when the backend has a token again"
    );
    let queued: f64 = third.header("x-spillway-queue-ms").unwrap().parse().unwrap();
    assert!(queued >= 900.0, "held for the 1 s Retry-After: {queued} ms");
    assert!(t0.elapsed() >= Duration::from_millis(900));
    assert_eq!(
        backend_metric(&c, &ml, "mock_legacy_arrived_total").await,
        3.0,
        "no hammering during the pause"
    );
    assert_eq!(
        gateway_metric(&c, &gw, "spillway_gateway_pauses_total", "service=\"svc\"").await,
        1.0
    );
    gw.shutdown().await;
    ml.shutdown().await;
}

/// A service's Retry-After in the HTTP-date form pauses dispatch as the seconds form does.
#[tokio::test]
async fn a_backend_retry_after_date_pauses_dispatch() {
    let until = std::time::SystemTime::now() + Duration::from_secs(3);
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nretry-after: {}\r\ncontent-length: 0\r\n\r\n",
        model::wire::format_http_date(until)
    );
    let (upstream, _seen) = scripted_upstream(Box::leak(answer.into_bytes().into_boxed_slice())).await;
    let gw = gateway_on(&upstream, Default::default()).await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    assert_eq!(
        send(&c, &url, &[]).await.status,
        503,
        "the service's answer is passed on"
    );
    // The next request waits out the date (2-3 s ahead, whole seconds), not the 1 s default
    // pause an unreadable Retry-After gets.
    let next = send(&c, &url, &[]).await;
    let queued: f64 = next
        .header("x-spillway-queue-ms")
        .and_then(|v| v.parse().ok())
        .expect("queue time");
    assert!(queued >= 1500.0, "held until the date: {queued} ms");
    gw.shutdown().await;
}

/// Five clients that give up after 150 ms, one slot, 100 ms per request.
async fn wasted_with(abandon: &str) -> (f64, f64) {
    let (ml, gw) = stack(&scenario(
        &format!("strategy = \"fifo\"\nconcurrency = 1\nabandon = \"{abandon}\""),
        "workers = 1\nservice_time = \"100ms\"",
    ))
    .await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..5 {
        let (c, url) = (c.clone(), url.clone());
        set.spawn(async move {
            let _ = tokio::time::timeout(
                Duration::from_millis(150),
                mock_legacy::testing::send(&c, &url, &[("x-spillway-timeout-ms", "150")], Vec::new()),
            )
            .await;
        });
    }
    while set.join_next().await.is_some() {}
    // Let kept requests drain through the backend (at most 5 x 100 ms).
    tokio::time::sleep(Duration::from_millis(700)).await;
    let arrived = backend_metric(&c, &ml, "mock_legacy_arrived_total").await;
    let wasted = backend_metric(&c, &ml, "mock_legacy_wasted_seconds_total").await;
    gw.shutdown().await;
    ml.shutdown().await;
    (arrived, wasted)
}

/// A queued request whose client leaves (`cancel`) counts the time it waited, as the simulator
/// counts it: left out, the waits of a collapse would be those of the requests that outlasted
/// their clients' patience less often.
#[tokio::test]
async fn a_request_removed_when_its_client_leaves_counts_its_queue_wait() {
    let (ml, gw) = stack(&scenario(
        "strategy = \"fifo\"\nconcurrency = 1\nabandon = \"cancel\"",
        "workers = 1\nservice_time = \"400ms\"",
    ))
    .await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let first = {
        let (c, url) = (c.clone(), url.clone());
        tokio::spawn(async move { send(&c, &url, &[]).await.status })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    let gone = tokio::time::timeout(
        Duration::from_millis(150),
        mock_legacy::testing::send(&c, &url, &[], Vec::new()),
    )
    .await;
    assert!(gone.is_err(), "the second client left while its request was queued");
    assert_eq!(first.await.unwrap(), 200);
    let labels = "service=\"svc\"";
    assert_eq!(
        gateway_metric(
            &c,
            &gw,
            "spillway_gateway_requests_total",
            "service=\"svc\",outcome=\"cancelled\""
        )
        .await,
        1.0
    );
    assert_eq!(
        gateway_metric(&c, &gw, "spillway_gateway_queue_wait_seconds_count", labels).await,
        2.0,
        "the first (dispatched at once) and the one whose client left"
    );
    let waited = gateway_metric(&c, &gw, "spillway_gateway_queue_wait_seconds_sum", labels).await;
    assert!(
        (0.05..=0.4).contains(&waited),
        "the second waited until its client left, ~150 ms: {waited} s"
    );
    gw.shutdown().await;
    ml.shutdown().await;
}

#[tokio::test]
async fn keep_sends_abandoned_requests_cancel_does_not() {
    let (keep_arrived, keep_wasted) = wasted_with("keep").await;
    let (cancel_arrived, cancel_wasted) = wasted_with("cancel").await;
    assert_eq!(
        keep_arrived, 5.0,
        "keep: message-queue semantics, every request reaches the backend"
    );
    assert!(
        keep_wasted >= 0.25,
        "at least three requests served after their clients left: {keep_wasted}s"
    );
    assert!(
        cancel_arrived <= 2.0,
        "cancel: requests whose clients left never reach the backend ({cancel_arrived})"
    );
    assert!(
        cancel_wasted < keep_wasted / 2.0,
        "cancel {cancel_wasted}s vs keep {keep_wasted}s"
    );
}

#[tokio::test]
async fn bad_input_gets_4xx_and_the_gateway_keeps_serving() {
    let (ml, gw) = stack(&scenario("strategy = \"fifo\"", "workers = 2\nservice_time = \"1ms\"")).await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    assert!(raw(gw.addr(), b"GARBAGE\r\n\r\n").await.starts_with("HTTP/1.1 400"));
    let big = format!(
        "GET /svc/op HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    assert!(raw(gw.addr(), big.as_bytes()).await.starts_with("HTTP/1.1 431"));
    let r = mock_legacy::testing::send(&c, &url, &[], vec![b'x'; 2 << 20])
        .await
        .unwrap();
    assert_eq!(r.status, 413);
    let r = send(&c, &url, &[("x-spillway-timeout-ms", "2s")]).await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().contains("x-spillway-timeout-ms"));
    assert_eq!(send(&c, &url, &[("x-spillway-priority", "urgent")]).await.status, 400);
    let r = send(&c, &format!("{}/nope/op", gw.url()), &[]).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-spillway-outcome"), Some("not-found"));
    let why = r.json()["error"].as_str().unwrap_or_default().to_string();
    assert!(why.ends_with("with service one of svc"), "{why}");
    // A dot-segment would be admitted as `svc`'s and, resolved by a backend, run as another
    // route's: refused in every spelling, before any route is picked.
    for path in ["/svc/../other/op", "/svc/%2e%2e/other/op", "/svc/..%2fother/op"] {
        let answer = raw(
            gw.addr(),
            format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
        assert!(answer.contains("dot-segment"), "{path}: {answer}");
    }
    let ok = send(&c, &url, &[]).await;
    assert_eq!(ok.status, 200, "still serving");
    gw.shutdown().await;
    ml.shutdown().await;
}

/// A request at the gateway's header limits, with what the gateway adds, is still within a
/// backend with the same server limits (mock-legacy's): one header more is refused by the
/// gateway itself. A backend's own 4xx is its error, not a request served.
#[tokio::test]
async fn what_the_gateway_accepts_fits_a_backend_with_the_same_limits() {
    let (ml, gw) = stack(&scenario("strategy = \"fifo\"", "workers = 2\nservice_time = \"1ms\"")).await;
    let limits = reference_gateway::proxy_limits();
    let defaults = reference_gateway::ServerLimits::default();
    assert!(limits.max_headers < defaults.max_headers && limits.max_head_bytes < defaults.max_head_bytes);
    // `host` and `connection` are two of the headers; the rest fill up to the limit.
    let request = |n: usize, pad: usize| {
        let mut r = String::from("GET /svc/op HTTP/1.1\r\nhost: x\r\nconnection: close\r\n");
        for i in 0..n - 2 {
            r.push_str(&format!("x-h{i}: v\r\n"));
        }
        if pad > 0 {
            r.push_str(&format!("x-pad: {}\r\n", "p".repeat(pad)));
        }
        r + "\r\n"
    };
    let full = raw(gw.addr(), request(limits.max_headers, 0).as_bytes()).await;
    assert!(full.starts_with("HTTP/1.1 200"), "{full}");
    // A POST without a body gets a `content-length: 0` on its way: it fits too.
    let post = request(limits.max_headers, 0).replacen("GET ", "POST ", 1);
    let answer = raw(gw.addr(), post.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let over = raw(gw.addr(), request(limits.max_headers + 1, 0).as_bytes()).await;
    assert!(over.starts_with("HTTP/1.1 431"), "{over}");
    // A head just under the gateway's byte limit, with the gateway's additions, passes too.
    let base = request(10, 0).len() + "x-pad: \r\n".len();
    let big = raw(gw.addr(), request(10, limits.max_head_bytes - base - 64).as_bytes()).await;
    assert!(big.starts_with("HTTP/1.1 200"), "{}", &big[..big.len().min(200)]);
    // The gateway's own endpoints are read-only.
    let c = client();
    for path in ["/healthz", "/metrics"] {
        let r = mock_legacy::testing::send(&c, &format!("{}{path}", gw.url()), &[], b"x".to_vec())
            .await
            .expect("answered");
        assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")), "{path}");
    }
    // The backend's 404 (an API it does not serve) is a backend error at the gateway.
    let r = send(&c, &format!("{}/svc/nope", gw.url()), &[]).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-spillway-outcome"), Some("backend-error"));
    gw.shutdown().await;
    ml.shutdown().await;
}

#[tokio::test]
async fn a_backend_that_is_down_gives_a_clear_502() {
    let s = model::scenario::parse(
        "t.toml",
        &scenario("strategy = \"fifo\"", "workers = 1\nservice_time = \"1ms\""),
    )
    .unwrap();
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let setup = Setup::from_scenario(&s, Some(&format!("http://127.0.0.1:{port}"))).unwrap();
    let gw = reference_gateway::start(setup, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let c = client();
    let r = send(&c, &format!("{}/svc/op", gw.url()), &[]).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.header("x-spillway-outcome"), Some("bad-gateway"));
    let msg = r.json()["error"].as_str().unwrap().to_string();
    assert!(
        msg.contains("cannot connect") && msg.contains(&port.to_string()),
        "{msg}"
    );
    gw.shutdown().await;
}

#[tokio::test]
async fn request_ids_and_budgets_travel_upstream() {
    let (ml, gw) = stack(&scenario("strategy = \"fifo\"", "workers = 1\nservice_time = \"50ms\"")).await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let r = send(&c, &url, &[]).await;
    let id = r.header("x-request-id").unwrap().to_string();
    assert!(id.starts_with("gw-"));
    assert_eq!(r.json()["request_id"], id.as_str(), "the backend saw the generated id");
    let r = send(&c, &url, &[("x-request-id", "mine-7"), ("x-spillway-timeout-ms", "10")]).await;
    assert_eq!(r.header("x-request-id"), Some("mine-7"));
    assert_eq!(
        r.json()["late"],
        true,
        "the backend got the remaining budget and knows it was late"
    );
    gw.shutdown().await;
    ml.shutdown().await;
}

#[tokio::test]
async fn shutdown_answers_queued_requests_503_and_finishes_in_flight_ones() {
    let (ml, gw) = stack(&scenario(
        "strategy = \"fifo\"\nconcurrency = 1",
        "workers = 1\nservice_time = \"300ms\"",
    ))
    .await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let mut set = tokio::task::JoinSet::new();
    for i in 0..3u64 {
        let (c, url) = (c.clone(), url.clone());
        set.spawn(async move {
            tokio::time::sleep(Duration::from_millis(10 * i)).await;
            let r = send(&c, &url, &[]).await;
            (r.status, r.header("retry-after").map(str::to_string))
        });
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    gw.shutdown().await;
    let mut codes = Vec::new();
    while let Some(r) = set.join_next().await {
        codes.push(r.unwrap());
    }
    codes.sort();
    // Shed answers carry a Retry-After, these too (DESIGN: 503 with retry-after).
    let one = Some("1".to_string());
    assert_eq!(codes, vec![(200, None), (503, one.clone()), (503, one)]);
    ml.shutdown().await;
}

#[tokio::test]
async fn speaks_h2c_with_prior_knowledge() {
    use http_body_util::{BodyExt, Full};
    let (ml, gw) = stack(&scenario("strategy = \"fifo\"", "workers = 2\nservice_time = \"1ms\"")).await;
    let h2 = mock_legacy::testing::h2c_client();
    let req = http::Request::get(format!("{}/svc/op", gw.url()))
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = h2.request(req).await.expect("h2c request");
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("x-spillway-outcome").unwrap(), "served");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("\"service\":\"svc\""));
    // A stream's body past the limit gets 413, and the connection goes on.
    let req = http::Request::post(format!("{}/svc/op", gw.url()))
        .body(Full::new(bytes::Bytes::from(vec![b'x'; 2 << 20])))
        .unwrap();
    let resp = h2.request(req).await.expect("h2c request");
    assert_eq!(resp.status(), 413);
    let req = http::Request::get(format!("{}/svc/op", gw.url()))
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    assert_eq!(h2.request(req).await.expect("h2c request").status(), 200);
    // A declared length past the limit is refused before any of the body: this stream sends
    // none and never ends, yet gets its 413 at once (it waited for 1 MiB, or the body timeout).
    struct Declared(u64);
    impl hyper::body::Body for Declared {
        type Data = bytes::Bytes;
        type Error = std::convert::Infallible;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
            std::task::Poll::Pending
        }
        fn size_hint(&self) -> hyper::body::SizeHint {
            hyper::body::SizeHint::with_exact(self.0)
        }
    }
    let declaring = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .http2_only(true)
        .build_http::<Declared>();
    let req = http::Request::post(format!("{}/svc/op", gw.url()))
        .header("content-length", 2u64 << 20)
        .body(Declared(2 << 20))
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(3), declaring.request(req))
        .await
        .expect("answered before the body")
        .expect("h2c request");
    assert_eq!(resp.status(), 413);
    gw.shutdown().await;
    ml.shutdown().await;
}

/// An h2c connection that carries no request is closed after the idle timeout with a
/// GOAWAY, as an idle HTTP/1.1 keep-alive one is; a call in flight longer than that is not cut.
#[tokio::test]
async fn idle_h2c_connections_are_closed_and_long_calls_are_not() {
    use http_body_util::{BodyExt, Full};
    let (upstream, _seen) = scripted_upstream_after(
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
        Duration::from_millis(700),
    )
    .await;
    let limits = reference_gateway::ServerLimits {
        idle_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let gw = gateway_on(&upstream, limits).await;
    mock_legacy::testing::assert_idle_h2c_is_closed(gw.addr()).await;

    let h2 = mock_legacy::testing::h2c_client();
    let req = http::Request::get(format!("{}/svc/op", gw.url()))
        .body(Full::new(bytes::Bytes::new()))
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), h2.request(req))
        .await
        .expect("answered in time")
        .expect("a 700 ms call on a connection with a 200 ms idle timeout");
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.expect("whole body").to_bytes();
    assert_eq!(&body[..], b"ok");
    gw.shutdown().await;
}

/// What a scripted upstream on 127.0.0.1 received: the request head and body it read.
async fn scripted_upstream(answer: &'static [u8]) -> (String, tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    scripted_upstream_after(answer, Duration::ZERO).await
}

/// [`scripted_upstream`] that waits `delay` before each answer (a call in flight).
async fn scripted_upstream_after(
    answer: &'static [u8],
    delay: Duration,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length: "))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    while buf.len() < end + 4 + len {
                        match s.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let body = buf[end + 4..end + 4 + len].to_vec();
                    buf.drain(..end + 4 + len);
                    let _ = tx.send((head, body));
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    if s.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (format!("http://{addr}/base"), rx)
}

/// The gateway's own upstream client: method, path (under the upstream's prefix), body and
/// end-to-end headers go through, hop-by-hop ones do not; a chunked answer reaches the client
/// whole, without the upstream's hop-by-hop headers.
#[tokio::test]
async fn requests_and_answers_pass_through_the_upstream_client_intact() {
    let (upstream, mut seen) = scripted_upstream(
        b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\nconnection: x-hop\r\nx-hop: 1\r\nx-e2e: yes\r\n\r\n\
          4\r\npong\r\n6\r\n-done!\r\n0\r\n\r\n",
    )
    .await;
    let gw = gateway_with("strategy = \"fifo\"", &upstream).await;
    let c = client();
    // The second time the client's Connection also names Via and X-Forwarded-For: its copies
    // go, the gateway's entries stay.
    for (connection, forwarded_for) in [
        ("x-drop", "6.6.6.6, 127.0.0.1"),
        ("x-drop, via, x-forwarded-for", "127.0.0.1"),
    ] {
        let r = mock_legacy::testing::send(
            &c,
            &format!("{}/svc/op?x=1", gw.url()),
            &[
                ("x-custom", "42"),
                ("x-forwarded-for", "6.6.6.6"),
                ("via", "1.1 client-side"),
                ("connection", connection),
                ("x-drop", "1"),
                ("x-spillway-timeout-ms", "5000"),
            ],
            b"ping body".to_vec(),
        )
        .await
        .expect("answered");
        assert_eq!(r.status, 201);
        assert_eq!(r.body, "pong-done!");
        assert_eq!(r.header("x-e2e"), Some("yes"));
        assert_eq!(r.header("x-hop"), None, "named by the upstream's Connection header");
        let (head, body) = seen.recv().await.expect("the upstream got the request");
        assert!(head.starts_with("POST /base/svc/op?x=1 HTTP/1.1\r\n"), "{head}");
        assert_eq!(body, b"ping body");
        assert!(head.contains("\r\nx-custom: 42\r\n"), "{head}");
        assert!(head.contains("\r\ncontent-length: 9\r\n"), "{head}");
        assert!(
            !head.contains("x-drop"),
            "named by the client's Connection header: {head}"
        );
        assert!(head.contains("\r\nx-request-id: gw-"), "{head}");
        // A forwarding gateway says so (RFC 9110 section 7.6.3), and appends its client's
        // address to what the client claimed.
        assert!(head.contains("\r\nvia: 1.1 spillway\r\n"), "{head}");
        assert_eq!(
            head.contains("\r\nvia: 1.1 client-side\r\n"),
            !connection.contains("via"),
            "{head}"
        );
        assert!(
            head.contains(&format!("\r\nx-forwarded-for: {forwarded_for}\r\n")),
            "{head}"
        );
        let budget = head
            .lines()
            .find_map(|l| l.strip_prefix("x-spillway-timeout-ms: "))
            .and_then(|v| v.parse::<u64>().ok())
            .expect("the remaining budget travels");
        assert!(budget <= 5000 && budget > 4000, "{budget}");
    }
    assert!(seen.try_recv().is_err());
    gw.shutdown().await;
}

/// The budget the gateway passes on is its own patience: the client's remaining budget capped
/// at the upstream timeout, and the upstream timeout when the client sent none. A service then
/// counts work finished after the gateway gave up on it as wasted, as the simulator does.
#[tokio::test]
async fn the_budget_passed_on_is_capped_at_the_upstream_timeout() {
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
    let gw = gateway_with("strategy = \"fifo\"\nupstream_timeout = \"2s\"", &upstream).await;
    let c = client();
    for (sent, low, high) in [(Some("5000"), 1900, 2000), (Some("800"), 700, 800), (None, 2000, 2000)] {
        let headers: Vec<(&str, &str)> = sent.map(|v| ("x-spillway-timeout-ms", v)).into_iter().collect();
        let r = mock_legacy::testing::send(&c, &format!("{}/svc/op", gw.url()), &headers, Vec::new())
            .await
            .expect("answered");
        assert_eq!(r.status, 200);
        let (head, _) = seen.recv().await.expect("the upstream got the request");
        let budget = head
            .lines()
            .find_map(|l| l.strip_prefix("x-spillway-timeout-ms: "))
            .and_then(|v| v.parse::<u64>().ok())
            .expect("a budget travels");
        assert!(
            (low..=high).contains(&budget),
            "client sent {sent:?}: upstream got {budget}"
        );
    }
    gw.shutdown().await;
}

/// The gateway on a scripted upstream, with these limits for its clients.
async fn gateway_on(upstream: &str, limits: reference_gateway::ServerLimits) -> RunningGateway {
    gateway_with_limits("strategy = \"fifo\"", upstream, limits).await
}

/// The gateway with these `[gateway]` settings, in front of one one-worker service `svc` at
/// `upstream`.
async fn gateway_with(gateway: &str, upstream: &str) -> RunningGateway {
    gateway_with_limits(gateway, upstream, Default::default()).await
}

async fn gateway_with_limits(gateway: &str, upstream: &str, limits: reference_gateway::ServerLimits) -> RunningGateway {
    let s =
        model::scenario::parse("test.toml", &scenario(gateway, "workers = 1\nservice_time = \"1ms\"")).expect("valid");
    let setup = Setup::from_scenario(&s, Some(upstream)).expect("setup");
    reference_gateway::start_with_limits(setup, "127.0.0.1:0".parse().unwrap(), limits)
        .await
        .expect("gateway starts")
}

/// Reads one answer (head and content-length body) from a raw connection; `buf` keeps what
/// follows it.
async fn read_answer(s: &mut tokio::net::TcpStream, buf: &mut Vec<u8>, head_request: bool) -> (String, Vec<u8>) {
    use tokio::io::AsyncReadExt as _;
    let mut chunk = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
            let len = if head_request || head.starts_with("HTTP/1.1 1") {
                0
            } else {
                head.lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0)
            };
            if buf.len() >= end + 4 + len {
                let body = buf[end + 4..end + 4 + len].to_vec();
                buf.drain(..end + 4 + len);
                return (head, body);
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            other => panic!("no whole answer ({other:?}); have {:?}", String::from_utf8_lossy(buf)),
        }
    }
}

/// The gateway's HTTP/1.1 server: pipelined requests answered in order, a chunked request body
/// and one sent after `100 Continue` forwarded whole, HTTP/1.0 answered and closed.
#[tokio::test]
async fn http1_pipelining_chunked_bodies_continue_and_http10() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let gw = gateway_on(&upstream, Default::default()).await;
    let mut s = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    s.write_all(
        b"POST /svc/a HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nx-trailer: t\r\n\r\n\
          GET /svc/b HTTP/1.1\r\nhost: g\r\n\r\n",
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    for path in ["/base/svc/a", "/base/svc/b"] {
        let (head, body) = read_answer(&mut s, &mut buf, false).await;
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(
            head.contains("\r\ndate: ") && head.contains("\r\nx-spillway-outcome: served\r\n"),
            "{head}"
        );
        assert_eq!(body, b"ok");
        let (up_head, up_body) = seen.recv().await.unwrap();
        assert!(
            up_head.contains(&format!(" {path} HTTP/1.1\r\n")),
            "in order: {up_head}"
        );
        if path.ends_with('a') {
            assert_eq!(up_body, b"abcde", "the chunked body, decoded");
            assert!(up_head.contains("content-length: 5\r\n") && !up_head.contains("transfer-encoding"));
        }
    }
    s.write_all(b"PUT /svc/c HTTP/1.1\r\nhost: g\r\nexpect: 100-continue\r\ncontent-length: 4\r\n\r\n")
        .await
        .unwrap();
    let (head, _) = read_answer(&mut s, &mut buf, false).await;
    assert!(head.starts_with("HTTP/1.1 100 Continue\r\n"), "{head}");
    s.write_all(b"data").await.unwrap();
    let (head, _) = read_answer(&mut s, &mut buf, false).await;
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let (up_head, up_body) = seen.recv().await.unwrap();
    assert_eq!(up_body, b"data");
    // The gateway has the whole body: the service is not asked to say Continue again.
    assert!(!up_head.to_ascii_lowercase().contains("expect:"), "{up_head}");

    let mut s = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    s.write_all(b"GET /svc/d HTTP/1.0\r\n\r\n").await.unwrap();
    let mut all = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut all))
        .await
        .expect("HTTP/1.0 without keep-alive: closed after the answer")
        .unwrap();
    let all = String::from_utf8_lossy(&all);
    assert!(
        all.starts_with("HTTP/1.1 200 OK\r\n") && all.contains("connection: close\r\n") && all.ends_with("ok"),
        "{all}"
    );
    gw.shutdown().await;
}

/// A HEAD answer keeps the upstream's content-length and has no body; the connection goes on.
#[tokio::test]
async fn head_answers_keep_their_length_and_no_body() {
    use tokio::io::AsyncWriteExt as _;
    let (upstream, _seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n").await;
    let gw = gateway_on(&upstream, Default::default()).await;
    let mut s = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    let mut buf = Vec::new();
    for _ in 0..2 {
        s.write_all(b"HEAD /svc/a HTTP/1.1\r\nhost: g\r\n\r\n").await.unwrap();
        let (head, _) = read_answer(&mut s, &mut buf, true).await;
        assert!(
            head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains("\r\ncontent-length: 1234\r\n"),
            "{head}"
        );
        assert!(buf.is_empty(), "no body after a HEAD answer");
    }
    gw.shutdown().await;
    // Repeated lengths are one; a 204 has none (two, or one on a 204, and an HTTP/2 client
    // refused the stream).
    for (answer, want) in [
        (
            &b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\ncontent-length: 7\r\n\r\n"[..],
            Some("7"),
        ),
        (b"HTTP/1.1 204 No Content\r\ncontent-length: 10\r\n\r\n", None),
    ] {
        let (upstream, _seen) = scripted_upstream(answer).await;
        let gw = gateway_on(&upstream, Default::default()).await;
        let mut s = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
        let mut buf = Vec::new();
        s.write_all(b"HEAD /svc/a HTTP/1.1\r\nhost: g\r\n\r\n").await.unwrap();
        let (head, _) = read_answer(&mut s, &mut buf, true).await;
        let lengths: Vec<&str> = head
            .split("\r\n")
            .filter_map(|l| l.strip_prefix("content-length: "))
            .collect();
        assert_eq!(lengths, want.into_iter().collect::<Vec<_>>(), "{head}");
        gw.shutdown().await;
    }
}

/// A client that sends its head slower than the read timeout gets 408 and is cut off, and one
/// that connects and sends nothing is closed; a keep-alive connection idle between requests is
/// not; others are served meanwhile. Bad framing gets 400.
#[tokio::test]
async fn slow_heads_get_408_and_bad_framing_400() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (upstream, _seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let limits = reference_gateway::ServerLimits {
        header_read_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let gw = gateway_on(&upstream, limits).await;
    let mut idle = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    idle.write_all(b"GET /svc/a HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let (head, _) = read_answer(&mut idle, &mut Vec::new(), false).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut silent = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    let mut slow = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    slow.write_all(b"GET /svc/a HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let t0 = Instant::now();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut out))
        .await
        .expect("the slow connection is closed")
        .unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(150), "not before the timeout");
    assert!(
        String::from_utf8_lossy(&out).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut out))
        .await
        .expect("a connection that sends nothing is closed")
        .unwrap();
    assert!(out.is_empty(), "nothing to answer: {}", String::from_utf8_lossy(&out));
    // The idle keep-alive connection outlived the head timeout and still works.
    idle.write_all(b"GET /svc/a HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let (head, _) = read_answer(&mut idle, &mut Vec::new(), false).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    for bad in [
        &b"POST /svc/a HTTP/1.1\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n"[..],
        b"POST /svc/a HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
        b"GET /svc/a HTTP/1.1\r\ncontent-length: -1\r\n\r\n",
    ] {
        let r = raw(gw.addr(), bad).await;
        assert!(r.starts_with("HTTP/1.1 400"), "{r}");
        assert!(r.contains("\"outcome\":\"bad-request\""), "{r}");
    }
    gw.shutdown().await;
}

/// A request body of one part, then nothing, and no end.
struct StallingBody(Option<bytes::Bytes>);

impl hyper::body::Body for StallingBody {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, Self::Error>>> {
        match self.0.take() {
            Some(part) => std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(part)))),
            None => std::task::Poll::Pending,
        }
    }
}

/// An h2c connection to `addr` (prior knowledge), and its driver task.
async fn h2c_stalling(
    addr: std::net::SocketAddr,
) -> (
    hyper::client::conn::http2::SendRequest<StallingBody>,
    tokio::task::JoinHandle<Result<(), hyper::Error>>,
) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (h2, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(tcp))
            .await
            .expect("h2c handshake");
    (h2, tokio::spawn(conn))
}

/// A POST whose body is `part`, then stalls.
fn stalling_post(addr: std::net::SocketAddr, part: &'static [u8]) -> http::Request<StallingBody> {
    http::Request::post(format!("http://{addr}/svc/a"))
        .body(StallingBody(Some(bytes::Bytes::from_static(part))))
        .unwrap()
}

/// An h2c request body that stops arriving is answered 408 once nothing came for the read
/// timeout, as on HTTP/1.1; it was answered only at ten times that (100 s by default), while
/// the connection's 200 streams could each hold a body of up to the limit.
#[tokio::test]
async fn an_h2c_body_that_stops_arriving_gets_408_at_the_read_timeout() {
    let (upstream, _seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    // Between parts 1 s; in all 10 s, past the 5 s this test waits.
    let limits = reference_gateway::ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        ..Default::default()
    };
    let gw = gateway_on(&upstream, limits).await;
    let (mut h2, driver) = h2c_stalling(gw.addr()).await;
    let resp = tokio::time::timeout(
        Duration::from_secs(5),
        h2.send_request(stalling_post(gw.addr(), b"part")),
    )
    .await
    .expect("answered at the read timeout, not the total one")
    .expect("h2c answer");
    assert_eq!(resp.status(), 408);
    driver.abort();
    gw.shutdown().await;
}

/// An h2c connection's streams hold at most sixteen bodies of the largest size at once: the
/// stream that would pass it is shed (503, Retry-After) at once, the others wait for their
/// bodies as usual. Its 200 streams could hold 200 (800 MB from four connections).
#[tokio::test]
async fn an_h2c_connections_streams_hold_at_most_sixteen_bodies() {
    static PART: [u8; 999] = [b'x'; 999];
    let (upstream, _seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let limits = reference_gateway::ServerLimits {
        max_body_bytes: 1000,
        header_read_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let gw = gateway_on(&upstream, limits).await;
    let (h2, driver) = h2c_stalling(gw.addr()).await;
    let streams: Vec<_> = (0..20)
        .map(|_| {
            let mut h2 = h2.clone();
            let req = stalling_post(gw.addr(), &PART);
            tokio::spawn(async move {
                let resp = tokio::time::timeout(Duration::from_secs(10), h2.send_request(req))
                    .await
                    .expect("answered")
                    .expect("h2c answer");
                (resp.status().as_u16(), resp.headers().contains_key("retry-after"))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for s in streams {
        answers.push(s.await.expect("stream task"));
    }
    let shed = answers.iter().filter(|a| **a == (503, true)).count();
    let timed_out = answers.iter().filter(|a| a.0 == 408).count();
    assert_eq!((shed, timed_out), (4, 16), "{answers:?}");
    driver.abort();
    gw.shutdown().await;
}

/// A request dispatched at once is called from its client's connection; a client that leaves
/// mid-call must neither abort the call nor leak the service's slot: the call goes on (the
/// backend sees it through), frees the slot, and the next request is served after it.
#[tokio::test]
async fn a_client_that_leaves_mid_call_neither_aborts_it_nor_leaks_the_slot() {
    for abandon in ["keep", "cancel"] {
        let (ml, gw) = stack(&scenario(
            &format!("strategy = \"fifo\"\nconcurrency = 1\nabandon = \"{abandon}\""),
            "workers = 1\nservice_time = \"200ms\"",
        ))
        .await;
        let c = client();
        let url = format!("{}/svc/op", gw.url());
        let gone = tokio::time::timeout(Duration::from_millis(50), send(&c, &url, &[])).await;
        assert!(gone.is_err(), "{abandon}: the first client left before its answer");
        let t0 = Instant::now();
        let r = tokio::time::timeout(Duration::from_secs(5), send(&c, &url, &[]))
            .await
            .unwrap_or_else(|_| panic!("{abandon}: the slot was never freed"));
        assert_eq!(r.status, 200);
        assert!(
            t0.elapsed() >= Duration::from_millis(250),
            "{abandon}: waited for the first call to finish ({:?})",
            t0.elapsed()
        );
        assert_eq!(backend_metric(&c, &ml, "mock_legacy_arrived_total").await, 2.0);
        let busy = backend_metric(&c, &ml, "mock_legacy_busy_seconds_total").await;
        assert!(busy >= 0.39, "{abandon}: both calls served in full ({busy} s)");
        gw.shutdown().await;
        ml.shutdown().await;
    }
}

/// With `abandon = "cancel"`, a client that leaves while the gateway's own retry of its request
/// waits in the queue (behind a service's Retry-After) takes that retry with it, as the
/// simulator does: the cancel follows the request to its new ticket.
#[tokio::test]
async fn a_client_that_leaves_takes_its_queued_gateway_retry_with_it() {
    let (upstream, mut seen) =
        scripted_upstream(b"HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n").await;
    let gw = gateway_with(
        "strategy = \"bounded\"\nqueue_capacity = 10\nabandon = \"cancel\"\n\
             [gateway.retries]\nenabled = true\nmax_attempts = 3\nbudget_ratio = 1.0\nmin_per_sec = 100",
        &upstream,
    )
    .await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let gone = tokio::time::timeout(Duration::from_millis(300), send(&c, &url, &[])).await;
    assert!(
        gone.is_err(),
        "the client left while the retry waited out the 1 s pause"
    );
    // Past the pause: a retry still queued would have been sent by now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut calls = 0;
    while seen.try_recv().is_ok() {
        calls += 1;
    }
    assert_eq!(calls, 1, "the queued retry left with its client");
    gw.shutdown().await;
}

/// A body over the limit is refused with 413 before it is read, and a client still sending it
/// reads the refusal. (On loopback this holds even without the gateway's lingering close; the
/// linger matters where the answer is still in flight when the socket would be reset.)
#[tokio::test]
async fn a_client_still_sending_a_refused_body_reads_its_413() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (upstream, _seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let gw = gateway_on(&upstream, Default::default()).await;
    let s = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let body = vec![b'x'; 2 << 20];
    let writer = tokio::spawn(async move {
        let head = format!(
            "POST /svc/a HTTP/1.1\r\nhost: g\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let _ = wr.write_all(head.as_bytes()).await;
        let _ = wr.write_all(&body).await;
        wr
    });
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), rd.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out);
    assert!(read.is_ok(), "answered and closed");
    assert!(text.starts_with("HTTP/1.1 413"), "{read:?}: {text}");
    assert!(
        text.contains("connection: close\r\n") && text.contains("byte limit"),
        "{text}"
    );
    drop(writer.await);
    gw.shutdown().await;
}

/// A client whose request waits in the queue, that pipelines more than the gateway will buffer
/// behind it and then closes, is still seen to leave: with `cancel` its request never reaches
/// the backend.
#[tokio::test]
async fn a_client_that_pipelines_past_the_buffer_and_leaves_is_cancelled() {
    use tokio::io::AsyncWriteExt as _;
    let (ml, gw) = stack(&scenario(
        "strategy = \"fifo\"\nconcurrency = 1\nabandon = \"cancel\"",
        "workers = 1\nservice_time = \"300ms\"",
    ))
    .await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let first = tokio::spawn(async move { send(&client(), &url, &[]).await.status });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut s = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    let mut bytes = b"GET /svc/op HTTP/1.1\r\nhost: g\r\n\r\n".to_vec();
    let body = vec![b'x'; 20 * 1024];
    bytes.extend_from_slice(
        format!(
            "POST /svc/op HTTP/1.1\r\nhost: g\r\ncontent-length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(&body);
    s.write_all(&bytes).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(s);
    assert_eq!(first.await.unwrap(), 200);
    // Had the departure gone unseen, the queued request would be served by now (300 ms).
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(backend_metric(&c, &ml, "mock_legacy_arrived_total").await, 1.0);
    gw.shutdown().await;
    ml.shutdown().await;
}

/// A client that stops reading its answer is cut off once no write progresses for the stall
/// timeout (the head timeout), rather than holding the connection and the answer for ever; the
/// gateway goes on serving.
#[tokio::test]
async fn a_client_that_stops_reading_its_answer_is_cut_off() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    const BODY: usize = 12 << 20;
    let mut answer = format!("HTTP/1.1 200 OK\r\ncontent-length: {BODY}\r\n\r\n").into_bytes();
    answer.resize(answer.len() + BODY, b'x');
    let (upstream, _seen) = scripted_upstream(answer.leak()).await;
    let limits = reference_gateway::ServerLimits {
        header_read_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let gw = gateway_on(&upstream, limits).await;
    // A small receive buffer (no autotuning): the answer cannot hide in the client's kernel.
    // The 12 MiB answer must also exceed what the gateway's send buffer takes (Linux's
    // default tcp_wmem maximum is 4 MiB); on a host tuned past 12 MiB this test cannot stall.
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let mut s = sock.connect(gw.addr()).await.unwrap();
    s.write_all(b"GET /svc/a HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Now read what there is: the gateway gave up mid-answer and closed.
    let mut got = 0usize;
    let mut chunk = vec![0u8; 1 << 16];
    let deadline = Instant::now() + Duration::from_secs(10);
    let closed = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break true,
            Ok(Ok(n)) => got += n,
            Err(_) => break false,
        }
    };
    assert!(closed, "the connection stayed open ({got} bytes read)");
    assert!(got > 0 && got < BODY, "cut mid-answer: {got} of {BODY} body bytes");
    // Still serving: a client that reads gets the whole answer.
    let mut s = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    s.write_all(b"GET /svc/a HTTP/1.1\r\nhost: x\r\n\r\n").await.unwrap();
    let (head, body) = read_answer(&mut s, &mut Vec::new(), false).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body.len(), BODY);
    gw.shutdown().await;
}

/// Shutdown lets an in-flight call finish but starts no gateway retry: a 503 from the upstream
/// after shutdown began goes to the client as it is, after one upstream call, not three.
#[tokio::test]
async fn no_gateway_retry_starts_once_shutdown_has_begun() {
    // An upstream that answers every request 503 after 300 ms; `calls` sees each call.
    let (upstream, mut calls) = scripted_upstream_after(
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n",
        Duration::from_millis(300),
    )
    .await;
    let gw = gateway_with(
        "strategy = \"fifo\"\nconcurrency = 1\n[gateway.retries]\nenabled = true\nmax_attempts = 3\nbudget_ratio = 1.0",
        &upstream,
    )
    .await;
    let url = format!("{}/svc/op", gw.url());
    let c = client();
    let answer = tokio::spawn(async move { send(&c, &url, &[]).await.status });
    // Shut down while the first call is in flight (its answer takes 300 ms).
    tokio::time::timeout(Duration::from_secs(5), calls.recv())
        .await
        .expect("the call is in flight")
        .expect("upstream running");
    gw.shutdown().await;
    let status = tokio::time::timeout(Duration::from_secs(10), answer)
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(status, 503);
    assert!(calls.try_recv().is_err(), "no retry after shutdown began");
}

/// The status line of a raw answer.
fn status_line(answer: &str) -> &str {
    answer.split("\r\n").next().unwrap_or("")
}

/// The JSON error of a raw answer.
fn error_of(answer: &str) -> String {
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let j: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    j["error"].as_str().unwrap_or("").to_string()
}

/// CONNECT, in any form, is refused 501 (with Allow), never forwarded, and the connection
/// closes: what follows a CONNECT is a tunnel's bytes, not a request to serve. Over h2c too.
#[tokio::test]
async fn connect_is_refused_and_never_forwarded() {
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let gw = gateway_on(&upstream, Default::default()).await;
    for connect in [
        &b"CONNECT /svc/a HTTP/1.1\r\nhost: g\r\n\r\n"[..],
        b"CONNECT http://g/svc/a HTTP/1.1\r\nhost: g\r\n\r\n",
        b"CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n",
    ] {
        let mut req = connect.to_vec();
        req.extend_from_slice(b"GET /metrics HTTP/1.1\r\nhost: g\r\n\r\n");
        let r = raw(gw.addr(), &req).await;
        let shown = String::from_utf8_lossy(connect);
        assert_eq!(status_line(&r), "HTTP/1.1 501 Not Implemented", "{shown:?}: {r}");
        assert!(r.contains("\r\nallow: GET, HEAD, POST"), "{shown:?}: {r}");
        assert!(r.contains("\r\nconnection: close\r\n"), "{shown:?}: {r}");
        assert_eq!(r.matches("HTTP/1.1 ").count(), 1, "nothing after it is served: {r}");
    }
    // h2c: a CONNECT stream is refused the same way.
    let tcp = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
    let (mut h2, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(tcp))
            .await
            .expect("h2c handshake");
    let driver = tokio::spawn(conn);
    let req = http::Request::connect(format!("{}", gw.addr()))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let resp = tokio::time::timeout(Duration::from_secs(5), h2.send_request(req))
        .await
        .expect("answered in time")
        .expect("h2c CONNECT answered");
    assert_eq!(resp.status(), 501);
    assert!(resp.headers().contains_key("allow"));
    driver.abort();
    assert!(seen.try_recv().is_err(), "no CONNECT reached the upstream");
    gw.shutdown().await;
}

/// Two copies of a single-value header are refused, whatever their order (it used to be the
/// first that counted); a timeout is digits only; a priority that is not ASCII is refused like
/// any other invalid one (it used to mean the default).
#[tokio::test]
async fn repeated_single_value_headers_and_odd_values_are_refused() {
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let gw = gateway_on(&upstream, Default::default()).await;
    let req = |headers: &[u8]| {
        let mut r = b"GET /svc/a HTTP/1.1\r\nhost: g\r\n".to_vec();
        r.extend_from_slice(headers);
        r.extend_from_slice(b"connection: close\r\n\r\n");
        r
    };
    for (headers, named) in [
        (
            &b"x-spillway-timeout-ms: 100\r\nx-spillway-timeout-ms: abc\r\n"[..],
            "x-spillway-timeout-ms",
        ),
        (
            b"x-spillway-timeout-ms: abc\r\nx-spillway-timeout-ms: 100\r\n",
            "x-spillway-timeout-ms",
        ),
        (
            b"x-spillway-priority: background\r\nx-spillway-priority: bogus\r\n",
            "x-spillway-priority",
        ),
        (
            b"x-spillway-priority: background\r\nx-spillway-priority: interactive\r\n",
            "x-spillway-priority",
        ),
        (b"x-request-id: a\r\nx-request-id: b\r\n", "x-request-id"),
        (
            b"authorization: Bearer a\r\nauthorization: Bearer b\r\n",
            "authorization",
        ),
        (b"x-spillway-timeout-ms: +5000\r\n", "x-spillway-timeout-ms"),
        (b"x-spillway-priority: \xe9background\r\n", "x-spillway-priority"),
    ] {
        let r = raw(gw.addr(), &req(headers)).await;
        let shown = String::from_utf8_lossy(headers);
        assert_eq!(status_line(&r), "HTTP/1.1 400 Bad Request", "{shown:?}: {r}");
        assert!(error_of(&r).starts_with(named), "{shown:?}: {r}");
    }
    assert!(seen.try_recv().is_err(), "none was forwarded");
    let r = raw(
        gw.addr(),
        &req(b"x-spillway-timeout-ms: 5000\r\nx-spillway-priority: background\r\n"),
    )
    .await;
    assert!(r.starts_with("HTTP/1.1 200"), "{r}");
    gw.shutdown().await;
}

/// A malformed request body is described as one: the chunked decoder is shared with the
/// upstream client, whose error messages speak of responses.
#[tokio::test]
async fn request_body_errors_speak_of_the_request() {
    let (upstream, _seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let gw = gateway_on(&upstream, Default::default()).await;
    let r = raw(
        gw.addr(),
        b"POST /svc/a HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\n",
    )
    .await;
    assert_eq!(status_line(&r), "HTTP/1.1 400 Bad Request", "{r}");
    let e = error_of(&r);
    assert!(e.contains("request body") && e.contains("chunk data"), "{e}");
    assert!(!e.contains("response"), "{e}");
    gw.shutdown().await;
}

/// The gateway's own refusals of a HEAD request say their length and send no body, on
/// HTTP/1.1 (refused heads, bodies, timeouts) and on h2c.
#[tokio::test]
async fn refusals_of_head_requests_have_no_body() {
    use http_body_util::{BodyExt, Full};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (upstream, _seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let limits = reference_gateway::ServerLimits {
        header_read_timeout: Duration::from_millis(200),
        ..Default::default()
    };
    let gw = gateway_on(&upstream, limits).await;
    for (req, status) in [
        (&b"HEAD /svc/a HTTP/1.1\r\n\r\n"[..], "400"),
        (b"\r\nHEAD /svc/a HTTP/1.1\r\nhost: g\r\nhost: h\r\n\r\n", "400"),
        (
            b"HEAD /svc/a HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n",
            "400",
        ),
        (
            b"HEAD /svc/a HTTP/1.1\r\nhost: g\r\ncontent-length: 5000000\r\n\r\n",
            "413",
        ),
        (b"HEAD /svc/a HTTP/1.1\r\nhost: g\r\n", "408"),
    ] {
        let shown = String::from_utf8_lossy(req);
        let mut s = tokio::net::TcpStream::connect(gw.addr()).await.unwrap();
        s.write_all(req).await.unwrap();
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        assert!(read.is_ok(), "{shown:?}: answered and closed");
        let r = String::from_utf8_lossy(&out);
        assert_eq!(status_line(&r).split(' ').nth(1), Some(status), "{shown:?}: {r}");
        assert!(r.contains("\r\ncontent-length: "), "{shown:?}: {r}");
        assert!(r.ends_with("\r\n\r\n"), "{shown:?}: a body after the head: {r}");
    }
    let h2 = mock_legacy::testing::h2c_client();
    for path in ["/svc/a", "/nope/a"] {
        let req = http::Request::head(format!("{}{path}", gw.url()))
            .header("x-spillway-timeout-ms", "soon")
            .body(Full::new(bytes::Bytes::new()))
            .unwrap();
        let resp = tokio::time::timeout(Duration::from_secs(5), h2.request(req))
            .await
            .expect("answered in time")
            .expect("h2c request");
        assert!(resp.status().is_client_error(), "{path}: {}", resp.status());
        assert!(resp.headers().contains_key("content-length"), "{path}");
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        assert!(body.is_empty(), "{path}: HEAD answered with content {body:?}");
    }
    gw.shutdown().await;
}

/// Trailer lines must be header fields (a request line there is a smuggled request), and a
/// chunk size may be followed by whitespace only before an extension.
#[tokio::test]
async fn chunked_trailers_and_sizes_are_checked() {
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let gw = gateway_on(&upstream, Default::default()).await;
    let post = |body: &[u8]| {
        let mut r = b"POST /svc/a HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        r.extend_from_slice(body);
        r.extend_from_slice(b"GET /svc/b HTTP/1.1\r\nhost: g\r\nconnection: close\r\n\r\n");
        r
    };
    for bad in [
        &b"3\r\nabc\r\n0\r\nGET /smuggled HTTP/1.1\r\n\r\n"[..],
        b"3\r\nabc\r\n0\r\nx-t : 1\r\n\r\n",
        b"3\r\nabc\r\n0\r\nx-t: 1\r\n folded\r\n\r\n",
        b"3 \r\nabc\r\n0\r\n\r\n",
        b"3\r\nabc\r\n0\t\r\n\r\n",
    ] {
        let r = raw(gw.addr(), &post(bad)).await;
        let shown = String::from_utf8_lossy(bad);
        assert_eq!(status_line(&r), "HTTP/1.1 400 Bad Request", "{shown:?}: {r}");
        assert_eq!(r.matches("HTTP/1.1 ").count(), 1, "{shown:?}: closed after: {r}");
    }
    assert!(seen.try_recv().is_err(), "none was forwarded");
    let r = raw(gw.addr(), &post(b"3 ;ext=1\r\nabc\r\n0\r\nx-t: 1\r\n\r\n")).await;
    assert_eq!(r.matches("HTTP/1.1 200").count(), 2, "{r}");
    let (_, body) = tokio::time::timeout(Duration::from_secs(5), seen.recv())
        .await
        .expect("forwarded in time")
        .expect("forwarded");
    assert_eq!(body, b"abc");
    gw.shutdown().await;
}

/// `OPTIONS *` is answered by the gateway (200 with Allow) and not forwarded; the connection
/// goes on. An absolute target with another scheme than http(s), and an invalid Host, are 400.
#[tokio::test]
async fn options_asterisk_odd_schemes_and_invalid_hosts() {
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let gw = gateway_on(&upstream, Default::default()).await;
    let r = raw(
        gw.addr(),
        b"OPTIONS * HTTP/1.1\r\nhost: g\r\n\r\nGET /svc/a HTTP/1.1\r\nhost: g\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{r}");
    assert!(r.contains("\r\nallow: GET, HEAD, POST"), "{r}");
    assert_eq!(r.matches("HTTP/1.1 200").count(), 2, "keep-alive goes on: {r}");
    let (head, _) = tokio::time::timeout(Duration::from_secs(5), seen.recv())
        .await
        .expect("forwarded in time")
        .expect("the GET was forwarded");
    assert!(head.starts_with("GET /base/svc/a "), "{head}");
    for (req, why) in [
        (&b"GET * HTTP/1.1\r\nhost: g\r\n\r\n"[..], "request target"),
        (
            b"GET ftp://example.com/svc/a HTTP/1.1\r\nhost: g\r\n\r\n",
            "request target",
        ),
        (b"GET http:///svc/a HTTP/1.1\r\nhost: g\r\n\r\n", "request target"),
        (b"GET /svc/a HTTP/1.1\r\nhost: a b/c@d\r\n\r\n", "Host"),
        (b"GET /svc/a HTTP/1.1\r\nhost: user@g\r\n\r\n", "Host"),
    ] {
        let r = raw(gw.addr(), req).await;
        let shown = String::from_utf8_lossy(req);
        assert_eq!(status_line(&r), "HTTP/1.1 400 Bad Request", "{shown:?}: {r}");
        assert!(error_of(&r).contains(why), "{shown:?}: {r}");
    }
    assert!(seen.try_recv().is_err(), "none was forwarded");
    for ok in [
        &b"GET https://g.example/svc/a HTTP/1.1\r\nhost: g.example\r\nconnection: close\r\n\r\n"[..],
        b"GET /svc/a HTTP/1.1\r\nhost: [::1]:8080\r\nconnection: close\r\n\r\n",
    ] {
        let r = raw(gw.addr(), ok).await;
        assert!(r.starts_with("HTTP/1.1 200"), "{}: {r}", String::from_utf8_lossy(ok));
    }
    gw.shutdown().await;
}

/// The gateway's retries send a request again only when doing it twice is harmless: a GET the
/// service answered 503 is retried, a POST (which the service may have carried out) is not,
/// unless it never left the gateway (no connection to the service).
#[tokio::test]
async fn gateway_retries_resend_posts_only_when_they_never_left() {
    let (upstream, mut calls) =
        scripted_upstream(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n").await;
    let retries = "strategy = \"fifo\"\nconcurrency = 1\n[gateway.pushback]\nenabled = false\n\
                   [gateway.retries]\nenabled = true\nmax_attempts = 3\nbudget_ratio = 1.0\nmin_per_sec = 100";
    let gw = gateway_with(retries, &upstream).await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    let mut count = async |what: &str| {
        let mut n = 0;
        while let Ok(Some((head, _))) = tokio::time::timeout(Duration::from_millis(300), calls.recv()).await {
            assert!(head.starts_with(what), "{head}");
            n += 1;
        }
        n
    };
    let get = send(&c, &url, &[]).await;
    assert_eq!(get.status, 503);
    assert_eq!(count("GET ").await, 3, "a GET is retried up to max_attempts");
    // The service's own 5xx is told apart from a served request, in the answer and the metrics.
    assert_eq!(get.header("x-spillway-outcome"), Some("backend-error"));
    let errors = "service=\"svc\",outcome=\"backend-error\"";
    assert_eq!(
        gateway_metric(&c, &gw, "spillway_gateway_requests_total", errors).await,
        1.0
    );
    let post = mock_legacy::testing::send(&c, &url, &[], b"order 42".to_vec())
        .await
        .expect("answered");
    assert_eq!(post.status, 503);
    assert_eq!(count("POST ").await, 1, "a POST the service answered is not sent again");
    gw.shutdown().await;

    // No service listening: the POST never left, so it is retried.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let gw = gateway_with(retries, &format!("http://{closed}")).await;
    let url = format!("{}/svc/op", gw.url());
    let post = mock_legacy::testing::send(&c, &url, &[], b"order 43".to_vec())
        .await
        .expect("answered");
    assert_eq!(post.status, 502);
    assert_eq!(
        gateway_metric(&c, &gw, "spillway_gateway_retries_total", "service=\"svc\"").await,
        2.0
    );
    gw.shutdown().await;
}

/// Both servers say their time scale on `/healthz`, and the probe the gateway runs on its
/// upstreams reads it: a gateway at 4x in front of a mock at 1x would find every service
/// overloaded with nothing to say why.
#[tokio::test]
async fn both_servers_say_their_time_scale_and_the_probe_reads_it() {
    let (ml, gw) = stack(&scenario("", "workers = 1\nservice_time = \"1ms\"")).await;
    let port = |url: &str| {
        url.rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .expect("a port")
    };
    let probe = mock_legacy::probe::time_scale_of;
    assert_eq!(probe("127.0.0.1", port(&ml.url())).await, Some(1.0));
    ml.set_time_scale(4.0);
    assert_eq!(probe("127.0.0.1", port(&ml.url())).await, Some(4.0));
    // The gateway of a setup built from a scenario already compressed says 1.
    assert_eq!(probe("127.0.0.1", port(&gw.url())).await, Some(1.0));
    let w = mock_legacy::probe::mismatch("the upstream", &ml.url(), 4.0, 1.0).expect("differs");
    assert!(w.contains("4x too fast"), "{w}");
    // A server that says nothing (a plain 404 at /healthz) gives no reading.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let other = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        if let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let _ = s
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    assert_eq!(probe("127.0.0.1", other).await, None);
    server.abort();
    gw.shutdown().await;
    ml.shutdown().await;
}

/// The gateway and mock-legacy answer the same framing errors and paths alike, on raw
/// connections: both Content-Length and Transfer-Encoding, in either order and behind a
/// pipelined request that is served, is 400 and closes the connection (RFC 9112 section 6.3);
/// a Content-Length list (`2, 2`) is 400 (the gateway took it as 2; hyper refuses it); the same
/// length on two lines is served by both. `//svc/op` is routed as sent: 404 from both (the
/// gateway routed it to `svc`, as `/svc/op`). Both go on serving.
#[tokio::test]
async fn framing_errors_and_doubled_slashes_are_answered_alike_by_both_servers() {
    let (ml, gw) = stack(&scenario("strategy = \"fifo\"", "workers = 2\nservice_time = \"1ms\"")).await;
    let post = |framing: &str, body: &str| format!("POST /svc/op HTTP/1.1\r\nhost: x\r\n{framing}\r\n{body}");
    let then_get = "GET /svc/op HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    let chunked = "3\r\nabc\r\n0\r\n\r\n";
    let both = "both transfer-encoding and content-length";
    // The request, the statuses of the answers, and what the last one says.
    let cases: Vec<(String, &[&str], &str)> = vec![
        (
            post("content-length: 3\r\ntransfer-encoding: chunked\r\n", chunked) + then_get,
            &["400"],
            both,
        ),
        (
            post("transfer-encoding: chunked\r\ncontent-length: 3\r\n", chunked) + then_get,
            &["400"],
            both,
        ),
        (
            post("content-length: 2\r\n", "ok")
                + &post("content-length: 3\r\ntransfer-encoding: chunked\r\n", chunked)
                + then_get,
            &["200", "400"],
            both,
        ),
        (post("content-length: 2, 2\r\n", "ok") + then_get, &["400"], ""),
        (
            post("content-length: 2\r\ncontent-length: 2\r\n", "ok") + then_get,
            &["200", "200"],
            "",
        ),
        (
            post("transfer-encoding: chunked\r\n", chunked) + then_get,
            &["200", "200"],
            "",
        ),
        (
            "GET //svc/op HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n".to_string(),
            &["404"],
            "no route for //svc/op",
        ),
        (then_get.to_string(), &["200"], ""),
    ];
    for (req, want, says) in &cases {
        for (server, addr) in [("gateway", gw.addr()), ("mock-legacy", ml.addr())] {
            let r = raw(addr, req.as_bytes()).await;
            let statuses: Vec<&str> = r.split("HTTP/1.1 ").skip(1).map(|a| a.get(..3).unwrap_or(a)).collect();
            assert_eq!(&statuses, want, "{server}, {req:?}: {r}");
            assert!(r.contains(says), "{server}, {req:?}: {r}");
        }
    }
    gw.shutdown().await;
    ml.shutdown().await;
}

/// An h2c request to `url` with `n` headers of its own (`x-h0: v`, ...), on a new connection;
/// its status and the `x-spillway-outcome` of the answer.
async fn h2c_with_headers(addr: std::net::SocketAddr, url: &str, n: usize) -> (u16, Option<String>) {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut h2, conn) =
        hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(tcp))
            .await
            .expect("h2c handshake");
    let driver = tokio::spawn(conn);
    let mut req = http::Request::get(url);
    for i in 0..n {
        req = req.header(format!("x-h{i}"), "v");
    }
    let req = req.body(http_body_util::Empty::<bytes::Bytes>::new()).expect("request");
    let resp = tokio::time::timeout(Duration::from_secs(5), h2.send_request(req))
        .await
        .expect("answered in time")
        .expect("h2c answer");
    driver.abort();
    let outcome = resp
        .headers()
        .get("x-spillway-outcome")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (resp.status().as_u16(), outcome)
}

/// h2c has the HTTP/1.1 header limit: past it the gateway answers 431 itself, counted as a bad
/// request, and sends nothing upstream (it forwarded 150 headers, a service with the same
/// limits answered 431, and the request had taken a slot and counted as a backend error).
#[tokio::test]
async fn h2c_requests_past_the_header_limit_get_431_from_the_gateway() {
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let limits = reference_gateway::proxy_limits();
    let gw = gateway_on(&upstream, limits.clone()).await;
    let c = client();
    let url = format!("{}/svc/op", gw.url());
    for n in [limits.max_headers + 1, 150] {
        let (status, outcome) = h2c_with_headers(gw.addr(), &url, n).await;
        assert_eq!((status, outcome.as_deref()), (431, Some("bad-request")), "{n} headers");
    }
    assert!(seen.try_recv().is_err(), "none was forwarded");
    assert_eq!(
        gateway_metric(&c, &gw, "spillway_gateway_bad_requests_total", "").await,
        2.0
    );
    // At the limit it is served.
    let (status, _) = h2c_with_headers(gw.addr(), &url, limits.max_headers).await;
    assert_eq!(status, 200);
    let (head, _) = tokio::time::timeout(Duration::from_secs(5), seen.recv())
        .await
        .expect("forwarded in time")
        .expect("forwarded");
    assert!(
        head.contains(&format!("\r\nx-h{}: v\r\n", limits.max_headers - 1)),
        "{head}"
    );
    gw.shutdown().await;
}

/// An `upstream_timeout` (or a `default_timeout`) past a day, no practical limit, is passed on
/// as the most the budget header carries, a day: it went as 359999999999 ms, which mock-legacy
/// refuses (400) as any service reading the header may.
#[tokio::test]
async fn a_budget_past_a_day_is_passed_on_as_a_day() {
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
    let c = client();
    for settings in [
        "strategy = \"fifo\"\nupstream_timeout = \"100000h\"",
        "strategy = \"fifo\"\nupstream_timeout = \"100000h\"\ndefault_timeout = \"50000h\"",
    ] {
        let gw = gateway_with(settings, &upstream).await;
        let r = mock_legacy::testing::send(&c, &format!("{}/svc/op", gw.url()), &[], Vec::new())
            .await
            .expect("answered");
        assert_eq!(r.status, 200, "{settings}");
        let (head, _) = tokio::time::timeout(Duration::from_secs(5), seen.recv())
            .await
            .expect("forwarded in time")
            .expect("forwarded");
        let budget = head
            .lines()
            .find_map(|l| l.strip_prefix("x-spillway-timeout-ms: "))
            .and_then(|v| v.parse::<u64>().ok())
            .expect("a budget travels");
        assert_eq!(budget, 86_400_000, "{settings}");
        gw.shutdown().await;
    }
    // In front of mock-legacy, which refused the longer budget: served.
    let (ml, gw) = stack(&scenario(
        "strategy = \"fifo\"\nupstream_timeout = \"100000h\"",
        "workers = 1\nservice_time = \"1ms\"",
    ))
    .await;
    let r = send(&c, &format!("{}/svc/op", gw.url()), &[]).await;
    assert_eq!(
        (r.status, r.header("x-spillway-outcome")),
        (200, Some("served")),
        "{}",
        r.body
    );
    gw.shutdown().await;
    ml.shutdown().await;
}

/// A chunk size past the body limit is 413 at once, as a Content-Length past it is: it was
/// read as a chunk to wait for, and a client that sent the size and stalled got 408 at the
/// body timeout.
#[tokio::test]
async fn a_chunk_size_past_the_body_limit_is_413_at_once() {
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let head = "POST /svc/a HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\n";
    // At once means before the client sends another byte, where the bug answered 408 at the
    // body timeout (10 x the 10 s header read timeout by default: 100 s). The client below sends
    // the size and nothing more and waits up to 30 s, well below that timeout: an answer at all
    // is one given without the rest of the body, and the bound is no speed requirement, only
    // what a stalled machine cannot reach and the bug's 408 cannot beat.
    let limits = reference_gateway::ServerLimits::default();
    let body_timeout = limits.header_read_timeout * 10;
    let wait = Duration::from_secs(30);
    assert!(wait * 3 <= body_timeout, "the wait stays well below the body timeout");
    let gw = gateway_on(&upstream, limits).await;
    for size in ["ffffffffffffffff\r\n", "100001\r\n", "4\r\nabcd\r\nfffff"] {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut s = tokio::net::TcpStream::connect(gw.addr()).await.expect("connect");
        s.write_all(format!("{head}{size}").as_bytes()).await.expect("send");
        let mut answer = Vec::new();
        let read = tokio::time::timeout(wait, s.read_to_end(&mut answer)).await;
        let r = String::from_utf8_lossy(&answer);
        assert!(read.is_ok(), "{size:?}: no answer without the rest of the body: {r}");
        assert_eq!(status_line(&r), "HTTP/1.1 413 Payload Too Large", "{size:?}: {r}");
    }
    assert!(seen.try_recv().is_err(), "none was forwarded");
    gw.shutdown().await;
}

/// TRACE is answered 405 with Allow by the gateway, counted as a bad request, and never
/// forwarded: a service that echoed it handed back the client's credentials (cross-site
/// tracing). The connection goes on; a method of the services' own is still forwarded.
#[tokio::test]
async fn trace_is_answered_405_and_never_forwarded() {
    let (upstream, mut seen) = scripted_upstream(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
    let gw = gateway_on(&upstream, Default::default()).await;
    let c = client();
    for target in ["/svc/a", "/healthz"] {
        let req = format!(
            "TRACE {target} HTTP/1.1\r\nhost: g\r\nauthorization: Bearer secret\r\nx-api-key: k\r\n\r\n\
             GET /svc/b HTTP/1.1\r\nhost: g\r\nconnection: close\r\n\r\n"
        );
        let r = raw(gw.addr(), req.as_bytes()).await;
        assert_eq!(status_line(&r), "HTTP/1.1 405 Method Not Allowed", "{target}: {r}");
        assert!(
            r.contains("\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n"),
            "{target}: {r}"
        );
        assert!(!r.contains("secret"), "{target}: {r}");
        // Not "one of" the Allow list: other methods are forwarded (PROPFIND below).
        assert!(r.contains("any other method but CONNECT is"), "{target}: {r}");
        assert_eq!(r.matches("HTTP/1.1 200").count(), 1, "the next request is served: {r}");
        let (head, _) = tokio::time::timeout(Duration::from_secs(5), seen.recv())
            .await
            .expect("forwarded in time")
            .expect("forwarded");
        assert!(head.starts_with("GET /base/svc/b "), "only the GET went on: {head}");
    }
    assert_eq!(
        gateway_metric(&c, &gw, "spillway_gateway_bad_requests_total", "").await,
        2.0
    );
    // Over h2c too.
    let h2 = mock_legacy::testing::h2c_client();
    let req = http::Request::builder()
        .method("TRACE")
        .uri(format!("{}/svc/a", gw.url()))
        .body(http_body_util::Full::new(bytes::Bytes::new()))
        .expect("request");
    let resp = tokio::time::timeout(Duration::from_secs(5), h2.request(req))
        .await
        .expect("answered in time")
        .expect("h2c answer");
    assert_eq!(resp.status(), 405);
    assert!(resp.headers().contains_key("allow"));
    // A method of the service's own goes on, as before.
    let r = raw(
        gw.addr(),
        b"PROPFIND /svc/a HTTP/1.1\r\nhost: g\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_line(&r), "HTTP/1.1 200 OK", "{r}");
    let (head, _) = tokio::time::timeout(Duration::from_secs(5), seen.recv())
        .await
        .expect("forwarded in time")
        .expect("forwarded");
    assert!(head.starts_with("PROPFIND /base/svc/a "), "{head}");
    assert!(seen.try_recv().is_err(), "no TRACE reached the upstream");
    gw.shutdown().await;
}

/// `[gateway.services.NAME]`'s `queue_timeout` is that service's alone: behind a busy slot, a
/// request to `a` (100 ms) is answered 503 for waiting too long, while one to `b` (the shared
/// setting: none) waits its turn and is served.
#[tokio::test]
async fn a_services_own_queue_timeout_applies_to_it_alone() {
    let (ml, gw) = stack(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\n\
         [gateway]\nstrategy = \"fifo\"\nconcurrency = 1\n\
         [gateway.services.a]\nqueue_timeout = \"100ms\"\n\n\
         [[backend.services]]\nname = \"a\"\napis = [\"op\"]\nworkers = 1\nservice_time = \"1s\"\n\
         [[backend.services]]\nname = \"b\"\napis = [\"op\"]\nworkers = 1\nservice_time = \"1s\"\n",
    )
    .await;
    let c = client();
    let in_flight = |c: HttpClient, svc: &'static str| {
        let url = format!("{}/metrics", ml.url());
        async move {
            let m = send(&c, &url, &[]).await.body;
            metric(&m, "mock_legacy_in_flight", &format!("service=\"{svc}\"")).unwrap_or(0.0)
        }
    };
    // Each service's only slot is taken first, by a request the backend holds for 1 s.
    let mut first = Vec::new();
    for svc in ["a", "b"] {
        let (c2, url) = (c.clone(), format!("{}/{svc}/op", gw.url()));
        first.push(tokio::spawn(async move { send(&c2, &url, &[]).await }));
        let mut polls = 0;
        while in_flight(c.clone(), svc).await < 1.0 {
            polls += 1;
            assert!(polls < 2000, "the first request to {svc} never reached the backend");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let (url_a, url_b) = (format!("{}/a/op", gw.url()), format!("{}/b/op", gw.url()));
    let (a, b) = tokio::join!(send(&c, &url_a, &[]), send(&c, &url_b, &[]));
    assert_eq!(a.status, 503, "{}", a.body);
    assert_eq!(a.header("x-spillway-outcome"), Some("shed"));
    assert!(
        a.json()["error"].as_str().unwrap_or("").contains("queue timeout"),
        "{}",
        a.body
    );
    assert_eq!(b.status, 200, "b has no queue timeout: it waits its turn ({})", b.body);
    for f in first {
        assert_eq!(f.await.expect("first request").status, 200);
    }
    gw.shutdown().await;
    ml.shutdown().await;
}
