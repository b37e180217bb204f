//! A small HTTP client for tests, examples and benchmarks of spillway's servers (not for load:
//! the load generator has its own).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::Duration;

pub type HttpClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A client that speaks HTTP/2 with prior knowledge (h2c) only.
pub fn h2c_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).http2_only(true).build_http()
}

/// An answer, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    /// The body as JSON (`Null` if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A reply's future, boxed so that hyper's client is compiled here, not in each test binary
/// (see [`crate::serve::BoxedFuture`]).
pub type ReplyFuture<'a> = crate::serve::BoxedFuture<'a, Result<Reply, String>>;

/// Sends a request (POST when `body` is not empty) and reads the answer, within 10 s.
pub fn send<'a>(c: &'a HttpClient, url: &'a str, headers: &'a [(&'a str, &'a str)], body: Vec<u8>) -> ReplyFuture<'a> {
    Box::pin(send_now(c, url, headers, body))
}

async fn send_now(c: &HttpClient, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Result<Reply, String> {
    let mut b = http::Request::builder()
        .method(if body.is_empty() { "GET" } else { "POST" })
        .uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(Duration::from_secs(10), c.request(req))
        .await
        .map_err(|_| format!("no answer from {url} within 10 s"))?
        .map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

pub fn get<'a>(c: &'a HttpClient, url: &'a str) -> ReplyFuture<'a> {
    send(c, url, &[], Vec::new())
}

/// The value of `name{labels}` in Prometheus text, e.g. `metric(text, "x_total", "service=\"a\"")`.
pub fn metric(text: &str, name: &str, labels: &str) -> Option<f64> {
    let prefix = if labels.is_empty() {
        format!("{name} ")
    } else {
        format!("{name}{{{labels}}} ")
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

/// Sends raw bytes on a new connection and returns what came back (for malformed requests).
pub async fn raw(addr: std::net::SocketAddr, bytes: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return String::new();
    };
    if s.write_all(bytes).await.is_err() {
        return String::new();
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// Opens an HTTP/2 (prior knowledge) connection that sends the preface and an empty SETTINGS
/// frame, then nothing. Returns the types of the frames the server sent and whether it closed
/// the connection within `limit`.
pub async fn h2_preface_then_silence(addr: std::net::SocketAddr, limit: Duration) -> (Vec<u8>, bool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
        return (Vec::new(), false);
    };
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    if s.write_all(&hello).await.is_err() {
        return (Vec::new(), false);
    }
    let mut out = Vec::new();
    let closed = matches!(tokio::time::timeout(limit, s.read_to_end(&mut out)).await, Ok(Ok(_)));
    // Frames: a 9-byte header (24-bit length, type, flags, stream id), then the payload.
    let mut types = Vec::new();
    let mut at = 0;
    while at + 9 <= out.len() {
        let len = (usize::from(out[at]) << 16) | (usize::from(out[at + 1]) << 8) | usize::from(out[at + 2]);
        types.push(out[at + 3]);
        at += 9 + len;
    }
    (types, closed)
}

/// HTTP/2's GOAWAY frame type.
pub const H2_GOAWAY: u8 = 7;

/// Asserts that a server with an idle timeout of about 200 ms closes an HTTP/2 connection that
/// carries no request, not before the timeout, with a GOAWAY (within 5 s).
pub async fn assert_idle_h2c_is_closed(addr: std::net::SocketAddr) {
    let t0 = std::time::Instant::now();
    let (frames, closed) = h2_preface_then_silence(addr, Duration::from_secs(5)).await;
    assert!(closed, "an idle h2c connection is closed (frames {frames:?})");
    assert!(t0.elapsed() >= Duration::from_millis(150), "not before the timeout");
    assert!(frames.contains(&H2_GOAWAY), "with a GOAWAY: {frames:?}");
}
