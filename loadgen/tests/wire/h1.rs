//! The lean HTTP/1.1 client against scripted servers on 127.0.0.1: keep-alive reuse, body
//! framings, a pooled connection the server already closed, a reused connection closed before
//! answering (sent again once, on a new connection, and said so), `Connection: close`, malformed
//! answers, and a dropped request closing its connection.

use crate::common::read_head;

use loadgen::h1::{push_header, H1Client, H1Error};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

struct Server {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    /// Requests read, with their heads.
    requests: Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A server that answers each request on a connection with `answer`, then keeps the
/// connection open (`close_after == false`) or closes it.
async fn server(answer: &'static [u8], close_after: bool) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (acc, reqs) = (accepted.clone(), requests.clone());
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            acc.fetch_add(1, Ordering::SeqCst);
            let reqs = reqs.clone();
            tokio::spawn(async move {
                while let Some(head) = read_head(&mut s).await {
                    reqs.lock().expect("lock").push(head);
                    if s.write_all(answer).await.is_err() || close_after {
                        return;
                    }
                }
            });
        }
    });
    Server {
        addr,
        accepted,
        requests,
        task,
    }
}

fn client(s: &Server) -> H1Client {
    H1Client::new(vec![s.addr], s.addr.to_string(), 16)
}

async fn get(c: &H1Client, path: &str) -> Result<loadgen::h1::Head, H1Error> {
    let mut req = c.get(path, 128);
    push_header(&mut req, "x-test", b"1");
    tokio::time::timeout(Duration::from_secs(5), c.send(req, |_| {}))
        .await
        .expect("answered within 5 s")
}

#[tokio::test]
async fn keep_alive_connections_are_reused_across_framings() {
    for answer in [
        &b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello"[..],
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    ] {
        let s = server(answer, false).await;
        let c = client(&s);
        for _ in 0..5 {
            let h = get(&c, "/svc/api").await.expect("answer");
            assert!(h.status == 200 || h.status == 204, "{h:?}");
        }
        assert_eq!(
            s.accepted.load(Ordering::SeqCst),
            1,
            "{}",
            String::from_utf8_lossy(answer)
        );
        let first = s.requests.lock().expect("lock")[0].clone();
        assert!(
            first.starts_with("GET /svc/api HTTP/1.1\r\nhost: 127.0.0.1:"),
            "{first}"
        );
        assert!(first.contains("\r\nx-test: 1\r\n"), "{first}");
    }
}

#[tokio::test]
async fn a_pooled_connection_the_server_closed_is_replaced_once() {
    // No `Connection: close`: the client pools the connection, which the server then closes.
    let s = server(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", true).await;
    let c = client(&s);
    for _ in 0..4 {
        // Let the close reach the client's socket first.
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(get(&c, "/").await.expect("answer").status, 200);
    }
    assert_eq!(s.accepted.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn connection_close_and_read_until_close_are_not_reused() {
    for answer in [
        &b"HTTP/1.1 503 Busy\r\nconnection: close\r\nretry-after: 2\r\ncontent-length: 0\r\n\r\n"[..],
        b"HTTP/1.0 503 Busy\r\nretry-after: 2\r\n\r\nbody until close",
    ] {
        let s = server(answer, true).await;
        let c = client(&s);
        for _ in 0..3 {
            let h = get(&c, "/").await.expect("answer");
            assert_eq!((h.status, h.retry_after), (503, Some(Duration::from_secs(2))));
        }
        assert_eq!(s.accepted.load(Ordering::SeqCst), 3);
    }
}

#[tokio::test]
async fn malformed_or_cut_answers_are_errors() {
    for answer in [
        &b"HTTP/1.1 200 OK\r\ncontent-length: nope\r\n\r\n"[..],
        b"SMTP ready\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nZZ\r\n",
    ] {
        let s = server(answer, true).await;
        let c = client(&s);
        assert!(get(&c, "/").await.is_err(), "{}", String::from_utf8_lossy(answer));
    }
}

#[tokio::test]
async fn an_abandoned_request_closes_its_connection() {
    // A server that never answers, and tells when its client leaves.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (left_tx, left_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        if let Ok((mut s, _)) = listener.accept().await {
            let _ = read_head(&mut s).await;
            let mut rest = [0u8; 16];
            let n = s.read(&mut rest).await.unwrap_or(0);
            let _ = left_tx.send(n);
        }
    });
    let c = H1Client::new(vec![addr], addr.to_string(), 4);
    let req = c.get("/slow", 64);
    let r = tokio::time::timeout(Duration::from_millis(100), c.send(req, |_| {})).await;
    assert!(r.is_err(), "the server never answers");
    let n = tokio::time::timeout(Duration::from_secs(5), left_rx)
        .await
        .expect("the server saw the client leave")
        .expect("sent");
    assert_eq!(n, 0, "end of stream");
    task.abort();
}

/// The answer to HEAD carries the Content-Length of the GET it stands for, and no body: the
/// client must not wait for one, and the connection stays usable.
#[tokio::test]
async fn a_head_answer_has_no_body_whatever_its_length_says() {
    let s = server(b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n", false).await;
    let c = client(&s);
    for _ in 0..3 {
        let r = tokio::time::timeout(
            Duration::from_secs(5),
            c.send_full(&http::Method::HEAD, c.request("HEAD", "/x", 64), b"", 1024),
        )
        .await
        .expect("answered at once, not waiting for 5 body bytes")
        .expect("answer");
        assert_eq!((r.status, r.body.len()), (200, 0));
        assert_eq!(r.headers.get("content-length").map(|v| v.as_bytes()), Some(&b"5"[..]));
    }
    assert_eq!(s.accepted.load(Ordering::SeqCst), 1, "one connection for all three");
}

/// A collected body arrives whole; one over the limit is an error, not a truncation.
#[tokio::test]
async fn collected_bodies_arrive_whole_and_are_bounded() {
    let s = server(b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\nhello world", false).await;
    let c = client(&s);
    let r = c
        .send_full(&http::Method::POST, c.request("POST", "/echo", 64), b"data", 1024)
        .await
        .expect("answer");
    assert_eq!(&r.body[..], b"hello world");
    let head = s.requests.lock().expect("lock")[0].clone();
    assert!(
        head.starts_with("POST /echo HTTP/1.1\r\n") && head.contains("\r\ncontent-length: 4\r\n"),
        "{head}"
    );
    let e = c
        .send_full(&http::Method::GET, c.request("GET", "/", 64), b"", 10)
        .await;
    assert!(matches!(e, Err(H1Error::TooLarge(10))), "{e:?}");
}

/// A server that answers the first request of each connection (after `delay`) and, on any
/// later one, reads it and closes the connection without a word: every reused connection fails
/// as one the server closed idle just as the client reused it. Counts requests by path.
async fn answers_once_per_connection(delay: Duration) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (acc, reqs) = (accepted.clone(), requests.clone());
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            acc.fetch_add(1, Ordering::SeqCst);
            let reqs = reqs.clone();
            tokio::spawn(async move {
                let mut served = false;
                while let Some(head) = read_head(&mut s).await {
                    reqs.lock().expect("lock").push(head);
                    if served {
                        return;
                    }
                    served = true;
                    tokio::time::sleep(delay).await;
                    if s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Server {
        addr,
        accepted,
        requests,
        task,
    }
}

fn received(s: &Server, path: &str) -> usize {
    let line = format!("GET {path} HTTP/1.1\r\n");
    s.requests
        .lock()
        .expect("lock")
        .iter()
        .filter(|h| h.starts_with(&line))
        .count()
}

/// With four idle pooled connections that the server closes on reuse, a request goes out twice
/// (the reused connection, then a new one), not once per idle connection; the caller hears of
/// the second sending once.
#[tokio::test]
async fn a_request_is_sent_again_at_most_once_and_on_a_new_connection() {
    let s = answers_once_per_connection(Duration::from_millis(50)).await;
    let c = client(&s);
    // Four requests at once: four connections, all pooled afterwards.
    let warm = |_| async {
        let req = c.get("/warm", 64);
        tokio::time::timeout(Duration::from_secs(5), c.send(req, |_| {})).await
    };
    let all = futures_join4(warm(0), warm(1), warm(2), warm(3)).await;
    for r in all {
        assert_eq!(r.expect("in time").expect("answer").status, 200);
    }
    assert_eq!(s.accepted.load(Ordering::SeqCst), 4);
    for round in 1..=3 {
        let resends = std::sync::Mutex::new(Vec::new());
        let req = c.get("/once", 64);
        let head = tokio::time::timeout(
            Duration::from_secs(5),
            c.send(req, |e| resends.lock().expect("lock").push(e.to_string())),
        )
        .await
        .expect("in time")
        .expect("answered on the new connection");
        assert_eq!(head.status, 200);
        let resends = resends.into_inner().expect("lock");
        assert_eq!(resends.len(), 1, "told once: {resends:?}");
        assert!(resends[0].contains("closed"), "{resends:?}");
        assert_eq!(
            received(&s, "/once"),
            2 * round,
            "sent on one reused connection and then on a new one, never on every idle one"
        );
    }
}

/// A new connection that closes before answering is not sent to again, nor is a request whose
/// method is not idempotent.
#[tokio::test]
async fn no_resend_on_a_new_connection_or_for_a_post() {
    // Reads every request and closes at once: even a new connection fails.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let requests = Arc::new(std::sync::Mutex::new(Vec::new()));
    let reqs = requests.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            if let Some(head) = read_head(&mut s).await {
                reqs.lock().expect("lock").push(head);
            }
        }
    });
    let c = H1Client::new(vec![addr], addr.to_string(), 4);
    let mut told = 0;
    let r = tokio::time::timeout(Duration::from_secs(5), c.send(c.get("/x", 64), |_| told += 1))
        .await
        .expect("in time");
    assert!(r.is_err(), "{r:?}");
    assert_eq!((told, requests.lock().expect("lock").len()), (0, 1));
    task.abort();

    // A POST on a reused connection that the server closes: one request, an error.
    let s = answers_once_per_connection(Duration::ZERO).await;
    let c = client(&s);
    assert_eq!(post(&c, "/p").await.expect("first on its connection").status, 200);
    assert!(post(&c, "/p").await.is_err(), "not sent again");
    let posts = s
        .requests
        .lock()
        .expect("lock")
        .iter()
        // (The server reads no bodies: the second head follows the first one's body, `x`.)
        .filter(|h| h.contains("POST /p "))
        .count();
    assert_eq!(posts, 2, "one per call");
    // The gateway's GET through send_full: sent again once, on a new connection.
    for path in ["/g1", "/g2"] {
        let get = c.send_full(&http::Method::GET, c.request("GET", path, 64), b"", 1024);
        let r = tokio::time::timeout(Duration::from_secs(5), get)
            .await
            .expect("in time");
        assert_eq!(r.expect("answered").status, 200);
    }
    assert_eq!(received(&s, "/g1"), 1, "on a new connection (the POST's was closed)");
    assert_eq!(received(&s, "/g2"), 2, "on /g1's reused connection, then on a new one");
}

async fn post(c: &H1Client, path: &str) -> Result<loadgen::h1::Response, H1Error> {
    let call = c.send_full(&http::Method::POST, c.request("POST", path, 64), b"x", 1024);
    tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("in time")
}

async fn futures_join4<F: std::future::Future>(a: F, b: F, c: F, d: F) -> [F::Output; 4] {
    let (a, b, c, d) = tokio::join!(a, b, c, d);
    [a, b, c, d]
}
