//! Both clients (the lean HTTP/1.1 one and hyper's) against legacy servers on 127.0.0.1: folded
//! header lines, long header lists, duplicate Retry-After headers and status codes out of range
//! are read alike; a reused connection reset before its request was read is sent again without
//! counting a try the server never saw.

use crate::common::{read_head, target};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use loadgen::h1::{H1Client, H1Error, Head};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;

const BOUND: Duration = Duration::from_secs(5);

struct Server {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    /// Request heads the server read.
    heads: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Answers every request with `answer` and keeps the connection; with `reset_next`, answers only
/// a connection's first request, then waits for the next one to arrive and closes without
/// reading it: with unread bytes in its receive buffer, the close sends a reset (no FIN).
async fn server(answer: Vec<u8>, reset_next: bool) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (acc, h) = (accepted.clone(), heads.clone());
    let answer: Arc<[u8]> = answer.into();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            acc.fetch_add(1, Ordering::SeqCst);
            let (h, answer) = (h.clone(), answer.clone());
            tokio::spawn(async move {
                while let Some(head) = read_head(&mut s).await {
                    h.lock().expect("lock").push(head);
                    if s.write_all(&answer).await.is_err() {
                        return;
                    }
                    if reset_next {
                        let mut one = [0u8; 1];
                        let _ = s.peek(&mut one).await;
                        return;
                    }
                }
            });
        }
    });
    Server {
        addr,
        accepted,
        heads,
        task,
    }
}

fn lean(s: &Server) -> H1Client {
    H1Client::new(vec![s.addr], s.addr.to_string(), 4)
}

async fn lean_get(c: &H1Client, told: &AtomicUsize) -> Result<Head, H1Error> {
    let req = c.get("/x", 64);
    let send = c.send(req, |_| {
        told.fetch_add(1, Ordering::SeqCst);
    });
    tokio::time::timeout(BOUND, send).await.expect("within the bound")
}

async fn lean_full(c: &H1Client) -> Result<loadgen::h1::Response, H1Error> {
    let send = c.send_full(&http::Method::GET, c.request("GET", "/x", 64), b"", 1024);
    tokio::time::timeout(BOUND, send).await.expect("within the bound")
}

/// hyper's answer through the load generator's https/h2 client (plain http here): the status
/// and headers, or the error.
async fn hyper_get(s: &Server) -> Result<(u16, http::HeaderMap), String> {
    let client = loadgen::http::client(false, 4, None).expect("client");
    let req = http::Request::get(format!("http://{}/x", s.addr))
        .body(Full::new(Bytes::new()))
        .expect("request");
    let call = async {
        let resp = client.request(req).await.map_err(|e| format!("{e:?}"))?;
        let (parts, body) = resp.into_parts();
        body.collect().await.map_err(|e| format!("{e:?}"))?;
        Ok((parts.status.as_u16(), parts.headers))
    };
    tokio::time::timeout(BOUND, call).await.expect("within the bound")
}

/// A server that closes a kept-alive connection with the next request unread sends a reset: it
/// never read that request, so sending it again on a new connection is no second request to
/// it, and the caller (who counts what the server may have received twice) is not told.
#[tokio::test]
async fn a_reused_connection_reset_before_reading_the_request_is_resent_untold() {
    let s = server(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec(), true).await;
    let c = lean(&s);
    let told = AtomicUsize::new(0);
    for round in 1..=3 {
        assert_eq!(lean_get(&c, &told).await.expect("answer").status, 200);
        assert_eq!(s.accepted.load(Ordering::SeqCst), round, "each on a new connection");
        assert_eq!(s.heads.lock().expect("lock").len(), round, "each read once");
    }
    assert_eq!(told.load(Ordering::SeqCst), 0, "no try the server saw failed");
}

/// A server that times out an idle kept-alive connection with a 408 as the next request
/// arrives (the keep-alive race, with a 408 instead of a bare close): that 408 answers no
/// request, so a GET is sent again on a new connection and answered, untold (it was handed on
/// as the answer; the gateway passed it to its client as "served").
#[tokio::test]
async fn a_reused_connections_idle_408_is_the_keep_alive_race() {
    // A connection's first request is answered; its next gets the 408 (and the close).
    let t = target(Arc::new(|_: &str, n: usize| {
        let answer: &[u8] = if n == 0 {
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
        } else {
            b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
        };
        Some((Duration::ZERO, answer.to_vec()))
    }))
    .await;
    let c = H1Client::new(vec![t.addr], t.addr.to_string(), 4);
    let told = AtomicUsize::new(0);
    for _ in 0..3 {
        assert_eq!(lean_get(&c, &told).await.expect("answer").status, 200);
    }
    // Connections: 1st answered, 2nd reused -> 408 -> sent again on a new one, 3rd the same.
    assert_eq!(t.requests().len(), 5);
    assert_eq!(told.load(Ordering::SeqCst), 0);
}

/// A 408 that keeps the connection open is no idle timeout: the server read the request and
/// answered it. It is the answer, not sent again (it was, and a target that answered 408 saw
/// every GET twice while the summary counted one attempt: review, stop 42).
#[tokio::test]
async fn a_408_that_keeps_the_connection_open_is_the_answer() {
    let t = target(Arc::new(|_: &str, n: usize| {
        let answer: &[u8] = if n == 0 {
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
        } else {
            b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n"
        };
        Some((Duration::ZERO, answer.to_vec()))
    }))
    .await;
    let c = H1Client::new(vec![t.addr], t.addr.to_string(), 4);
    let told = AtomicUsize::new(0);
    assert_eq!(lean_get(&c, &told).await.expect("answer").status, 200);
    for round in 1..=2 {
        assert_eq!(lean_get(&c, &told).await.expect("answer").status, 408);
        assert_eq!(t.requests().len(), 1 + round, "each request sent once");
    }
    assert_eq!(told.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_obsolete_folded_header_line_is_read_as_a_space() {
    let s = server(
        b"HTTP/1.1 200 OK\r\nX-Long: part one\r\n  part two\r\n\tthree\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        false,
    )
    .await;
    let c = lean(&s);
    assert_eq!(lean_get(&c, &AtomicUsize::new(0)).await.expect("answer").status, 200);
    let r = lean_full(&c).await.expect("answer");
    assert_eq!((r.status, &r.body[..]), (200, &b"ok"[..]));
    let unfolded = Some(&b"part one part two three"[..]);
    assert_eq!(r.headers.get("x-long").map(|v| v.as_bytes()), unfolded);
    assert_eq!(s.accepted.load(Ordering::SeqCst), 1, "and the connection is reused");
    let (status, headers) = hyper_get(&s).await.expect("hyper's answer");
    assert_eq!(status, 200);
    assert_eq!(headers.get("x-long").map(|v| v.as_bytes()), unfolded);
}

fn with_cookies(n: usize) -> Vec<u8> {
    let mut a = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n".to_vec();
    for i in 0..n {
        a.extend_from_slice(format!("set-cookie: c{i}=1\r\n").as_bytes());
    }
    a.extend_from_slice(b"\r\nok");
    a
}

/// More than 100 header lines (hyper's default, and this client's old limit) is a good answer;
/// the number stays bounded, and so does the size of the head.
#[tokio::test]
async fn long_header_lists_are_read_up_to_a_bound() {
    let s = server(with_cookies(200), false).await;
    let c = lean(&s);
    assert_eq!(lean_get(&c, &AtomicUsize::new(0)).await.expect("answer").status, 200);
    let r = lean_full(&c).await.expect("answer");
    assert_eq!(r.headers.get_all("set-cookie").iter().count(), 200);
    let (status, headers) = hyper_get(&s).await.expect("hyper's answer");
    assert_eq!((status, headers.get_all("set-cookie").iter().count()), (200, 200));

    let s = server(with_cookies(1000), false).await;
    let c = lean(&s);
    let e = lean_get(&c, &AtomicUsize::new(0)).await;
    assert!(matches!(e, Err(H1Error::Malformed(_))), "{e:?}");
    assert!(hyper_get(&s).await.is_err());

    let mut huge = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n".to_vec();
    for i in 0..100 {
        huge.extend_from_slice(format!("x-h{i}: {}\r\n", "v".repeat(1000)).as_bytes());
    }
    huge.extend_from_slice(b"\r\n");
    let s = server(huge, false).await;
    let e = lean_get(&lean(&s), &AtomicUsize::new(0)).await;
    assert!(matches!(e, Err(H1Error::Malformed(_))), "over 64 KiB of head: {e:?}");
}

/// Duplicate Retry-After headers: both transports read the first (the load generator reads
/// hyper's with `HeaderMap::get`).
#[tokio::test]
async fn the_first_of_duplicate_retry_after_headers_counts() {
    let s = server(
        b"HTTP/1.1 429 x\r\nRetry-After: 1\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n".to_vec(),
        false,
    )
    .await;
    let h = lean_get(&lean(&s), &AtomicUsize::new(0)).await.expect("answer");
    assert_eq!((h.status, h.retry_after), (429, Some(Duration::from_secs(1))));
    let (status, headers) = hyper_get(&s).await.expect("hyper's answer");
    assert_eq!(
        (status, headers.get("retry-after").map(|v| v.as_bytes())),
        (429, Some(&b"1"[..]))
    );

    let s = server(
        b"HTTP/1.1 503 x\r\nx-spillway-retry-after-ms: 250\r\nx-spillway-retry-after-ms: 900\r\ncontent-length: 0\r\n\r\n"
            .to_vec(),
        false,
    )
    .await;
    let h = lean_get(&lean(&s), &AtomicUsize::new(0)).await.expect("answer");
    assert_eq!((h.status, h.retry_after), (503, Some(Duration::from_millis(250))));
}

/// httparse reads any three digits as a status; hyper rejects what is outside 100 to 999, and so
/// must the lean client rather than report status 0.
#[tokio::test]
async fn a_status_code_out_of_range_is_malformed() {
    for code in ["000", "099", "042"] {
        let s = server(
            format!("HTTP/1.1 {code} Weird\r\nContent-Length: 0\r\n\r\n").into_bytes(),
            false,
        )
        .await;
        let e = lean_get(&lean(&s), &AtomicUsize::new(0)).await;
        assert!(matches!(e, Err(H1Error::Malformed(_))), "{code}: {e:?}");
        assert!(lean_full(&lean(&s)).await.is_err(), "{code}");
        assert!(hyper_get(&s).await.is_err(), "{code}");
    }
    let s = server(b"HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n".to_vec(), false).await;
    assert_eq!(
        lean_get(&lean(&s), &AtomicUsize::new(0)).await.expect("answer").status,
        999
    );
    assert_eq!(hyper_get(&s).await.expect("hyper's answer").0, 999);
}

/// The audit's target, end to end: it answers each connection's first request, then closes with
/// the next one unread. Every request the load generator sent again went to a connection that
/// never read it, so the attempts are the requests the target read, and none is an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_against_a_target_that_resets_reused_connections_counts_what_it_read() {
    let s = server(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".to_vec(), true).await;
    let text = "[[workload.phases]]\nduration = \"2s\"\nrate = 20\n[clients]\ntimeout = \"2s\"\n\
                [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n";
    let scenario = model::scenario::parse("test.toml", text).expect("valid scenario");
    let opts = loadgen::LiveOptions {
        target: Some(format!("http://{}/x", s.addr)),
        catch_all: true,
        ..loadgen::LiveOptions::default()
    };
    let run = loadgen::run_live_quiet(&scenario, &opts, std::future::pending::<()>());
    let r = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the run ends in time")
        .expect("run succeeds");
    let w = &r.summary.whole;
    let read = s.heads.lock().expect("lock").len() as u64;
    assert!(w.offered >= 20, "{w:?}");
    assert!(
        s.accepted.load(Ordering::SeqCst) > 1,
        "connections were reused and reset"
    );
    assert_eq!((w.attempts, w.errors, w.successes), (read, 0, w.offered), "{w:?}");
    assert_eq!(r.notes.resent, 0);
}
