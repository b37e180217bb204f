//! What each request carries: `[clients.request]` (method, headers, body) and the one-liner's
//! `--method`, `-H`, `--body` and `--body-file`, over both transports (the lean HTTP/1.1 client
//! and hyper's HTTP/2), checked by a server that records what it received; and the lean
//! client's rule that a POST whose kept-alive connection closed under it is a failure, never
//! sent a second time.

use bytes::Bytes;
use clap::Parser as _;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use loadgen::LiveOptions;
use model::results::Results;
use model::scenario::{self, Scenario};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// One request as the server got it.
#[derive(Clone, Debug)]
struct Got {
    method: String,
    path: String,
    version: http::Version,
    headers: http::HeaderMap,
    body: Bytes,
}

/// A hyper server on 127.0.0.1:0 (HTTP/1.1, or h2c by prior knowledge) that records every
/// request and answers 200; aborted on drop.
struct Recorder {
    addr: std::net::SocketAddr,
    got: Arc<Mutex<Vec<Got>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Recorder {
    async fn start() -> Recorder {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let task = tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let g = g.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        let g = g.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                            g.lock().expect("lock").push(Got {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_string(),
                                version: parts.version,
                                headers: parts.headers,
                                body,
                            });
                            Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                                b"ok",
                            ))))
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
        Recorder { addr, got, task }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().expect("lock").clone()
    }
}

/// Bounded: 1 s of arrivals at 10/s (about ten intents), each attempt at most 1 s.
const PHASES: &str = "[[workload.phases]]\nduration = \"1s\"\nrate = 10\n[clients]\ntimeout = \"1s\"\n";
const SERVICE: &str =
    "[[backend.services]]\nname = \"orders\"\napis = [\"create\"]\nworkers = 1\nservice_time = \"1ms\"\n";

async fn run(s: &Scenario, opts: LiveOptions) -> Results {
    let run = loadgen::run_live(s, &opts, std::future::pending());
    tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("a bounded run ends")
        .expect("the run succeeds")
}

/// Every request the server got is a POST of `body` with these headers, and the run's
/// intents all succeeded.
#[track_caller]
fn assert_all(got: &[Got], r: &Results, method: &str, headers: &[(&str, &str)], body: &[u8]) {
    assert!(r.summary.whole.offered >= 3, "{:?}", r.summary.whole);
    assert_eq!(
        r.summary.whole.successes, r.summary.whole.offered,
        "{:?}",
        r.summary.whole
    );
    assert_eq!(got.len() as u64, r.summary.whole.attempts, "one request per attempt");
    for g in got {
        assert_eq!(g.method, method, "{g:?}");
        assert_eq!(&g.body[..], body, "{g:?}");
        for (name, value) in headers {
            assert_eq!(
                g.headers.get(*name).and_then(|v| v.to_str().ok()),
                Some(*value),
                "{name}: {g:?}"
            );
        }
        if !body.is_empty() {
            // HTTP/2 frames the body itself; hyper sends the length it knows all the same.
            let len = body.len().to_string();
            assert_eq!(
                g.headers.get("content-length").and_then(|v| v.to_str().ok()),
                Some(len.as_str()),
                "{g:?}"
            );
        }
        // loadgen's own headers are still there, once.
        assert_eq!(g.headers.get_all("x-request-id").iter().count(), 1, "{g:?}");
        // Each attempt's budget is short of its 1 s timeout by loadgen's margin: a gateway
        // that answers at the deadline beats the client's own timer.
        let budget: u128 = g
            .headers
            .get("x-spillway-timeout-ms")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("a budget");
        let most = 1000 - loadgen::driver::BUDGET_MARGIN.as_millis();
        assert!(budget <= most && budget > most - 200, "budget {budget} ms: {g:?}");
    }
}

/// A scenario's `[clients.request]`, over the lean HTTP/1.1 client and over hyper (h2c): the
/// target receives the method, the headers and the body, with its Content-Length. A
/// service's own `request` changes its method, field by field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_request_reaches_the_target_over_both_transports() {
    let server = Recorder::start().await;
    let text = format!(
        "{PHASES}[clients.request]\nmethod = \"POST\"\nheaders = {{ \"Content-Type\" = \"application/json\", x-tenant = \"a\" }}\nbody = '{{\"order\": 42}}'\n{SERVICE}"
    );
    let s = scenario::parse("request.toml", &text).expect("valid");
    for http2 in [false, true] {
        server.got.lock().expect("lock").clear();
        let opts = LiveOptions {
            target: Some(format!("http://{}/base", server.addr)),
            http2,
            ..LiveOptions::default()
        };
        let r = run(&s, opts).await;
        let got = server.got();
        assert_all(
            &got,
            &r,
            "POST",
            &[("content-type", "application/json"), ("x-tenant", "a")],
            b"{\"order\": 42}",
        );
        let want = if http2 {
            http::Version::HTTP_2
        } else {
            http::Version::HTTP_11
        };
        assert!(
            got.iter().all(|g| g.version == want && g.path == "/base/orders/create"),
            "{got:?}"
        );
    }
    // A service's own `request`: its method over the clients-wide one, the rest kept.
    let text = text.replace(
        "service_time = \"1ms\"\n",
        "service_time = \"1ms\"\nrequest = { method = \"PUT\" }\n",
    );
    let s = scenario::parse("request.toml", &text).expect("valid");
    server.got.lock().expect("lock").clear();
    let opts = LiveOptions {
        target: Some(format!("http://{}/base", server.addr)),
        ..LiveOptions::default()
    };
    let r = run(&s, opts).await;
    assert_all(&server.got(), &r, "PUT", &[("x-tenant", "a")], b"{\"order\": 42}");
}

#[derive(clap::Parser)]
struct Cli {
    #[command(flatten)]
    run: loadgen::RunArgs,
}

/// The one-liner's flags, as `loadgen run` builds its scenario from them.
fn one_liner(url: &str, extra: &[&str]) -> (Scenario, LiveOptions) {
    let args = ["loadgen", "--target", url, "--phases", "1s@10", "--timeout", "1s"];
    let a = Cli::try_parse_from(args.iter().chain(extra)).expect("valid flags").run;
    let (s, catch_all) = loadgen::scenario_from_args(&a).expect("a scenario");
    let opts = LiveOptions {
        target: Some(url.to_string()),
        catch_all,
        http2: a.http2,
        ..LiveOptions::default()
    };
    (s, opts)
}

/// `--method`, `-H` (repeated), `--body` and `--body-file` reach the target, over both
/// transports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_liner_flags_reach_the_target() {
    let server = Recorder::start().await;
    let url = format!("http://{}/orders/create", server.addr);
    for http2 in [false, true] {
        server.got.lock().expect("lock").clear();
        let mut flags = vec![
            "--method",
            "POST",
            "-H",
            "content-type: application/json",
            "-H",
            "X-Tenant:b",
            "--body",
            "{\"n\":1}",
        ];
        if http2 {
            flags.push("--http2");
        }
        let (s, opts) = one_liner(&url, &flags);
        let r = run(&s, opts).await;
        assert_all(
            &server.got(),
            &r,
            "POST",
            &[("content-type", "application/json"), ("x-tenant", "b")],
            b"{\"n\":1}",
        );
    }
    let file =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("spillway-body-{}.bin", std::process::id()));
    std::fs::write(&file, b"\x00binary\xffbody").expect("a body file");
    server.got.lock().expect("lock").clear();
    let (s, opts) = one_liner(&url, &["-X", "PATCH", "--body-file", &file.display().to_string()]);
    let r = run(&s, opts).await;
    let _ = std::fs::remove_file(&file);
    assert_all(&server.got(), &r, "PATCH", &[], b"\x00binary\xffbody");
}

/// The one-liner requests its target as written: a trailing slash stays (it was trimmed, so
/// `/sub/` went out as `/sub` and a static server answered 301), over both transports.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_one_liner_keeps_the_targets_trailing_slash() {
    let server = Recorder::start().await;
    for (path, http2) in [("/sub/", false), ("/a/b//", false), ("/a/b//", true)] {
        server.got.lock().expect("lock").clear();
        let url = format!("http://{}{path}", server.addr);
        let (s, opts) = one_liner(&url, if http2 { &["--http2"] } else { &[] });
        let r = run(&s, opts).await;
        let got = server.got();
        assert!(!got.is_empty(), "{url}: {:?}", r.summary.whole);
        assert!(got.iter().all(|g| g.path == path), "{url}: {got:?}");
    }
}

/// Bad values are clap's errors, naming the flag; `--body` and `--body-file` together too.
#[test]
fn bad_request_flags_are_refused_by_the_parser() {
    let refused = |extra: &[&str]| {
        let args = ["loadgen", "--target", "http://127.0.0.1:1/", "--phases", "1s@1"];
        match Cli::try_parse_from(args.iter().chain(extra)) {
            Ok(_) => panic!("{extra:?} accepted"),
            Err(e) => e.to_string(),
        }
    };
    let e = refused(&["--method", "post"]);
    assert!(e.contains("--method") && e.contains("write `POST`"), "{e}");
    let e = refused(&["-H", "no colon"]);
    assert!(e.contains("--header") && e.contains("expected \"Name: value\""), "{e}");
    let e = refused(&["-H", "Host: x"]);
    assert!(e.contains("loadgen sets Host from the target URL"), "{e}");
    let e = refused(&["-H", "content-length: 3"]);
    assert!(e.contains("Content-Length from the body"), "{e}");
    let e = refused(&["--body", "a", "--body-file", "b"]);
    assert!(e.contains("--body") && e.contains("cannot be used with"), "{e}");
}

/// A target that answers the first request on each connection (kept alive) and closes the
/// connection when the second arrives, without answering: the keep-alive race, every time.
/// Counts the requests it read.
async fn closes_reused_connections() -> (std::net::SocketAddr, Arc<Mutex<u64>>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(0u64));
    let count = seen.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                for n in 0.. {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match s.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                    let len: usize = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0u8; len];
                    if s.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    *count.lock().expect("lock") += 1;
                    if n > 0 {
                        return; // read whole, then closed unanswered: the server may have acted on it
                    }
                    if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen, task)
}

/// The lean client's rule: a request whose kept-alive connection closed before answering is
/// sent again on a new connection only for an idempotent method. A POST's such failure is the
/// attempt's own (an error, counted, no resend); a GET's is sent again (counted as resent).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_on_a_stale_connection_fails_and_is_not_sent_again() {
    let (addr, seen, task) = closes_reused_connections().await;
    // Spaced arrivals, one connection allowed: every attempt after the first reuses it.
    let text = format!(
        "[[workload.phases]]\nduration = \"1s\"\nrate = 8\n[workload]\narrival = \"uniform\"\n[clients]\ntimeout = \"1s\"\n[clients.request]\nmethod = \"POST\"\nbody = \"once\"\n{SERVICE}"
    );
    let s = scenario::parse("stale.toml", &text).expect("valid");
    let opts = || LiveOptions {
        target: Some(format!("http://{addr}/")),
        max_connections: 1,
        ..LiveOptions::default()
    };
    let r = run(&s, opts()).await;
    let w = &r.summary.whole;
    assert!(w.errors > 0, "POSTs on a reused connection failed: {w:?}");
    assert_eq!(r.notes.resent, 0, "no POST was sent again: {:?}", r.notes);
    assert_eq!(
        *seen.lock().expect("lock"),
        w.attempts,
        "the server read each attempt once: {w:?}"
    );
    // The same target with GETs: each reused connection's request is sent again, and said.
    *seen.lock().expect("lock") = 0;
    let get = scenario::parse("stale.toml", &text.replace("method = \"POST\"", "method = \"GET\"")).expect("valid");
    let r = run(&get, opts()).await;
    assert!(r.notes.resent > 0, "GETs were sent again: {:?}", r.notes);
    assert_eq!(
        r.summary.whole.successes, r.summary.whole.offered,
        "{:?}",
        r.summary.whole
    );
    task.abort();
}
