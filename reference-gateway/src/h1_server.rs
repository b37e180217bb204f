//! The gateway's HTTP/1.1 server side: one task per connection reads a request in full, runs
//! the handler, and writes its answer.
//!
//! Why not hyper's server: hyper keeps an 8 KiB read and an 8 KiB write buffer for the life of
//! each HTTP/1 connection, and a parsed request's header values point into the read buffer, so
//! a queued request held ~14 KiB before the gateway held anything (one connection per queued
//! request is what HTTP/1.1 clients give a queueing gateway). Here the head is copied to an
//! allocation of its own size, the read buffer is released while the request waits, and the
//! answer is written from a buffer made for it. The handler runs in the connection's own task.
//!
//! What it enforces, as hyper did: a bound on the head (431), on the number of headers (431),
//! on the body (413), a read timeout for heads and bodies (slowloris; 408 if a request had
//! started), 400 for anything malformed, after which the connection closes and the server goes
//! on. A client that closes its connection while its request waits drops the handler, which
//! tells the policy (the `cancel` semantics). Pipelined requests are answered in order. A
//! connection that opens with the HTTP/2 preface is handed back for h2c.

use crate::front::Front;
use crate::h1::{content_length, has_token, read_more, Body as Collect, Chunked, H1Error};
use crate::handler::{self, Request};
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{Method, Response, StatusCode};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncWriteExt as _, Interest};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

/// The HTTP/2 connection preface (RFC 9113 section 3.4).
pub(crate) const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// How much a read asks for; a request head is usually a few hundred bytes.
const READ_CHUNK: usize = 2048;
/// A body must arrive within this many header read timeouts (and each read within one).
pub(crate) const BODY_TIMEOUT_FACTOR: u32 = 10;
/// Headers parsed at most (the configured limit applies below it).
const HEADERS_CAP: usize = 128;
/// Answers with bodies up to this size go out in one write with their head.
const COALESCE: usize = 16 * 1024;

/// How a body is framed (RFC 9112 section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    None,
    Length(u64),
    Chunked,
}

/// A parsed request head.
struct Head {
    method: Method,
    path_and_query: PathAndQuery,
    headers: HeaderMap,
    /// Bytes of the head in the buffer.
    len: usize,
    framing: Framing,
    keep_alive: bool,
    http10: bool,
    expect_continue: bool,
}

/// A request the server answers itself, then closes the connection.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    why: String,
    /// Say which methods are served (`Allow`).
    allow: bool,
}

fn refuse(status: StatusCode, why: impl Into<String>) -> Refusal {
    Refusal {
        status,
        why: why.into(),
        allow: false,
    }
}

/// Whether the request at the start of `buf`, as far as it came, is a HEAD: its refusal then
/// carries no body.
fn is_head_request(buf: &[u8]) -> bool {
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    buf[start..].starts_with(b"HEAD ")
}

/// Parses a request head from the start of `buf`; `None` when more bytes are needed.
fn parse_head(buf: &[u8], max_headers: usize, max_head: usize) -> Result<Option<Head>, Refusal> {
    let mut slots = [httparse::EMPTY_HEADER; HEADERS_CAP];
    let mut req = httparse::Request::new(&mut slots[..max_headers.clamp(1, HEADERS_CAP)]);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > max_head => {
            return Err(refuse(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("request head over the {max_head}-byte limit"),
            ))
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(refuse(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("more than {max_headers} request headers"),
            ))
        }
        Err(e) => return Err(refuse(StatusCode::BAD_REQUEST, format!("malformed request: {e}"))),
    };
    if len > max_head {
        return Err(refuse(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("request head over the {max_head}-byte limit"),
        ));
    }
    let method = Method::from_bytes(req.method.unwrap_or("").as_bytes())
        .map_err(|_| refuse(StatusCode::BAD_REQUEST, "invalid method"))?;
    if method == Method::CONNECT {
        // Not a forward proxy: forwarded, CONNECT got the upstream's 200 and the connection
        // stayed in HTTP mode, its tunnel bytes read as requests (smuggling behind a proxy).
        return Err(Refusal {
            allow: true,
            ..refuse(
                StatusCode::NOT_IMPLEMENTED,
                "CONNECT is not supported: this gateway is not a forward proxy",
            )
        });
    }
    let http10 = req.version == Some(0);
    // One copy of the head, sized to it: header values and the path point into it, and the
    // connection's read buffer is free to go.
    let head = Bytes::copy_from_slice(&buf[..len]);
    let at = |s: &[u8]| {
        let start = s.as_ptr() as usize - buf.as_ptr() as usize;
        head.slice(start..start + s.len())
    };
    let target = req.path.unwrap_or("");
    let path_and_query = if target.starts_with('/') {
        PathAndQuery::from_maybe_shared(at(target.as_bytes())).ok()
    } else if target == "*" {
        // The asterisk form is for OPTIONS alone (RFC 9112 section 3.2.4): the handler answers
        // it for the server as a whole.
        (method == Method::OPTIONS).then(|| PathAndQuery::from_static("*"))
    } else {
        // Absolute form (a client that takes the gateway for a forward proxy): keep its path.
        // Only an http(s) URI with a host names this gateway's resources.
        target
            .parse::<http::Uri>()
            .ok()
            .filter(|u| {
                let scheme = u.scheme_str().unwrap_or("");
                (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
                    && u.host().is_some_and(|h| !h.is_empty())
            })
            .map(|u| {
                u.path_and_query()
                    .cloned()
                    .unwrap_or_else(|| PathAndQuery::from_static("/"))
            })
    }
    .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "invalid request target"))?;

    let mut headers = HeaderMap::with_capacity(req.headers.len());
    let (mut length, mut chunked, mut close, mut keep, mut expect) = (None::<u64>, false, false, false, false);
    let mut hosts = 0u32;
    let mut codings: Vec<&[u8]> = Vec::new();
    let mut transfer_encoding = false;
    for h in req.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| refuse(StatusCode::BAD_REQUEST, format!("invalid header name `{}`", h.name)))?;
        let value = HeaderValue::from_maybe_shared(at(h.value))
            .map_err(|_| refuse(StatusCode::BAD_REQUEST, format!("invalid value of header `{}`", h.name)))?;
        match name.as_str() {
            "content-length" => {
                // A list of values (`2, 2`, RFC 9110 section 8.6 lets a recipient take it as
                // one value or refuse it) is refused, as mock-legacy (hyper) refuses it: the
                // same request must not be framed by one of spillway's servers and refused by
                // the other. Identical values on separate lines pass on both.
                if h.value.contains(&b',') {
                    return Err(refuse(
                        StatusCode::BAD_REQUEST,
                        "content-length: a list of values; send one",
                    ));
                }
                let n = content_length(h.value, length).map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
                length = Some(n);
            }
            // Its lines are one list (RFC 9110 section 5.3): judged whole after the loop.
            "transfer-encoding" => {
                transfer_encoding = true;
                codings.extend(
                    h.value
                        .split(|&b| b == b',')
                        .map(<[u8]>::trim_ascii)
                        .filter(|c| !c.is_empty()),
                );
            }
            "connection" => {
                close |= has_token(h.value, "close");
                keep |= has_token(h.value, "keep-alive");
            }
            "expect" => expect = h.value.trim_ascii().eq_ignore_ascii_case(b"100-continue"),
            "host" => {
                hosts += 1;
                if !model::wire::valid_host(h.value) {
                    return Err(refuse(StatusCode::BAD_REQUEST, "invalid Host header"));
                }
            }
            _ => {}
        }
        headers.append(name, value);
    }
    // Both at once is how requests are smuggled past proxies (RFC 9112 section 6.3: an error,
    // and the connection closes after the answer). Refused first, whatever the codings, as
    // mock-legacy refuses it; so is a Transfer-Encoding that names no coding (hyper's 400).
    if transfer_encoding && length.is_some() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "both transfer-encoding and content-length",
        ));
    }
    if transfer_encoding && codings.is_empty() {
        return Err(refuse(StatusCode::BAD_REQUEST, "transfer-encoding without a coding"));
    }
    // Only a single `chunked` is understood. Chunked twice, or in HTTP/1.0, is malformed; so
    // is a final coding other than chunked, whose body has no length (RFC 9112 section 6.3:
    // 400, and the connection closes). Another coding before a final chunked would reach the
    // service without its name (the header is hop-by-hop): 501, as section 6.1 says, and as
    // mock-legacy answers `gzip, chunked` on one line or two.
    if let Some(last) = codings.last() {
        let is_chunked = |c: &[u8]| c.eq_ignore_ascii_case(b"chunked");
        if http10 || codings.iter().filter(|c| is_chunked(c)).count() > 1 {
            return Err(refuse(StatusCode::BAD_REQUEST, "invalid transfer-encoding"));
        }
        if !is_chunked(last) {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "transfer-encoding whose final coding is not chunked: the body's length cannot be told",
            ));
        }
        if codings.len() > 1 {
            return Err(refuse(
                StatusCode::NOT_IMPLEMENTED,
                "unsupported transfer-encoding: only chunked is understood",
            ));
        }
        chunked = true;
    }
    let framing = match (chunked, length) {
        (true, _) => Framing::Chunked,
        (false, Some(0) | None) => Framing::None,
        (false, Some(n)) => Framing::Length(n),
    };
    // RFC 9112 section 3.2: an HTTP/1.1 request without Host, or any request with two, is
    // refused; two hosts are another way to make a proxy and a server disagree.
    if hosts > 1 || (hosts == 0 && !http10) {
        let why = if hosts > 1 {
            "more than one Host header"
        } else {
            "missing Host header"
        };
        return Err(refuse(StatusCode::BAD_REQUEST, why));
    }
    Ok(Some(Head {
        method,
        path_and_query,
        headers,
        len,
        framing,
        keep_alive: if http10 { keep && !close } else { !close },
        http10,
        expect_continue: expect && !http10,
    }))
}

/// Why a read did not bring bytes.
enum Stop {
    /// The peer closed, or the socket failed: nothing more to say.
    Gone,
    TimedOut,
    /// The server is shutting down and the connection is idle.
    Shutdown,
}

/// Reads more into `buf` by `deadline`; when `stop` is given (an idle connection), also ends on
/// shutdown.
async fn fill(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    deadline: Instant,
    stop: Option<&mut watch::Receiver<bool>>,
) -> Result<(), Stop> {
    let read = async {
        match read_more(s, buf, READ_CHUNK).await {
            Ok(0) | Err(_) => Err(Stop::Gone),
            Ok(_) => Ok(()),
        }
    };
    match stop {
        Some(stop) => {
            if *stop.borrow() {
                return Err(Stop::Shutdown);
            }
            tokio::select! {
                r = read => r,
                _ = tokio::time::sleep_until(deadline) => Err(Stop::TimedOut),
                _ = stop.changed() => Err(Stop::Shutdown),
            }
        }
        None => tokio::select! {
            r = read => r,
            _ = tokio::time::sleep_until(deadline) => Err(Stop::TimedOut),
        },
    }
}

/// Serves HTTP/1.1 on `s` until the peer leaves, an error, or shutdown. Returns the stream and
/// what was read of it when it opens with the HTTP/2 preface (for h2c).
pub(crate) async fn serve(
    mut s: TcpStream,
    peer: SocketAddr,
    front: &Front,
    stop: &mut watch::Receiver<bool>,
) -> Option<(TcpStream, Vec<u8>)> {
    let mut buf: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        // Boxed: reading needs timers and readiness futures that a waiting request should not
        // carry in its connection's task for as long as it waits.
        let (handler, is_head, keep_alive, http10) =
            match Box::pin(read_request(&mut s, &mut buf, &mut first, front, stop)).await {
                Next::Request(head, body) => start(front, head, body, peer),
                Next::H2 => return Some((s, buf)),
                Next::Done => return None,
            };
        let Some(resp) = run_watching(&s, &mut buf, handler, front.limits.max_head_bytes).await else {
            // The client left: the handler was dropped, which told the policy.
            return None;
        };
        let keep_alive = keep_alive && !*stop.borrow();
        let stall = front.limits.header_read_timeout;
        let pace = front.gw.shared.answer_limits.min_send_rate;
        // The answer's hold (in its extensions) goes with it, written or not.
        if let Err(e) = write_response(&mut s, resp, is_head, keep_alive, http10, stall, pace).await {
            if e.kind() == io::ErrorKind::TimedOut {
                front
                    .gw
                    .shared
                    .answers
                    .cut_off
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                // Closed with a reset: what the kernel still holds of the answer (megabytes,
                // with send-buffer autotuning) goes too, rather than trickling out to a client
                // that was too slow for it (nginx's `reset_timedout_connection`).
                let _ = s.set_zero_linger();
            }
            tracing::debug!(%peer, "answer not delivered: {e}");
            return None;
        }
        if !keep_alive {
            let _ = s.shutdown().await;
            return None;
        }
    }
}

/// The handler for a request, boxed, and what the answer needs of the request (is it HEAD,
/// keep-alive, HTTP/1.0). Not async, and boxed, so that the connection's task keeps neither the
/// parsed request nor a second copy of the handler's state while the request waits.
#[allow(clippy::type_complexity)]
fn start(
    front: &Front,
    head: Head,
    body: Bytes,
    peer: SocketAddr,
) -> (
    std::pin::Pin<Box<impl std::future::Future<Output = Response<Bytes>> + Send + use<>>>,
    bool,
    bool,
    bool,
) {
    let flags = (head.method == Method::HEAD, head.keep_alive, head.http10);
    let req = Request {
        method: head.method,
        path_and_query: head.path_and_query,
        headers: head.headers,
        body,
        via: if head.http10 { "1.0 spillway" } else { "1.1 spillway" },
    };
    (
        Box::pin(handler::handle(front.gw.clone(), req, peer)),
        flags.0,
        flags.1,
        flags.2,
    )
}

/// What the connection reads next. Moved once per request and taken apart at once: boxing
/// the large variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
enum Next {
    Request(Head, Bytes),
    /// The connection opened with the HTTP/2 preface (now in the buffer).
    H2,
    /// The peer left, timed out or was refused, or the server is shutting down.
    Done,
}

/// Reads the next request, head and body, in full; answers the requests it refuses.
async fn read_request(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    first: &mut bool,
    front: &Front,
    stop: &mut watch::Receiver<bool>,
) -> Next {
    let limits = &front.limits;
    // Between requests a keep-alive connection may idle up to the idle timeout (and leaves on
    // shutdown); a new connection's first request, and any request once begun, must arrive
    // within the header read timeout (slowloris clients that connect and send nothing too).
    let between = buf.is_empty() && !*first;
    let mut deadline = Instant::now()
        + if between {
            limits.idle_timeout
        } else {
            limits.header_read_timeout
        };
    let head = loop {
        if !buf.is_empty() {
            if *first {
                let n = buf.len().min(PREFACE.len());
                if buf[..n] == PREFACE[..n] {
                    if n == PREFACE.len() {
                        return Next::H2;
                    }
                } else {
                    *first = false;
                }
            }
            if !*first {
                match parse_head(buf, limits.max_headers, limits.max_head_bytes) {
                    Ok(Some(h)) => break h,
                    Ok(None) => {}
                    Err(r) => {
                        answer_refusal(s, front, r, is_head_request(buf)).await;
                        return Next::Done;
                    }
                }
            }
        }
        let idle = buf.is_empty();
        match fill(s, buf, deadline, idle.then_some(&mut *stop)).await {
            Ok(()) if idle && between => deadline = Instant::now() + limits.header_read_timeout,
            Ok(()) => {}
            Err(Stop::TimedOut) if !idle => {
                let r = refuse(StatusCode::REQUEST_TIMEOUT, "request head not received in time");
                answer_refusal(s, front, r, is_head_request(buf)).await;
                return Next::Done;
            }
            Err(_) => return Next::Done,
        }
    };
    *first = false;
    let timeouts = BodyTimeouts {
        idle: limits.header_read_timeout,
        end: Instant::now() + limits.header_read_timeout * BODY_TIMEOUT_FACTOR,
    };
    match read_body(s, buf, &head, limits.max_body_bytes, timeouts).await {
        Ok(body) => {
            if buf.is_empty() {
                // Nothing pipelined behind it: the request may wait long, and holds no buffer.
                *buf = Vec::new();
            } else {
                buf.shrink_to_fit();
            }
            Next::Request(head, body)
        }
        Err(Some(r)) => {
            answer_refusal(s, front, r, head.method == Method::HEAD).await;
            Next::Done
        }
        Err(None) => Next::Done,
    }
}

/// How long a body may take: each read within `idle` of the last, the whole by `end`.
#[derive(Clone, Copy)]
struct BodyTimeouts {
    idle: Duration,
    end: Instant,
}

impl BodyTimeouts {
    fn next(&self) -> Instant {
        (Instant::now() + self.idle).min(self.end)
    }
}

/// The buffer for a body of `n` bytes that has not all come yet: not all of it reserved ahead,
/// or a client announcing the limit and stalling would hold that much per connection until
/// the body timeout.
fn announced_body(n: usize) -> Vec<u8> {
    Vec::with_capacity(n.min(crate::h1::RESERVE_AHEAD))
}

/// Reads the body `head` announces, starting with what follows the head in `buf`; leaves in
/// `buf` what comes after it (a pipelined request). `Err(None)`: the peer left.
async fn read_body(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    head: &Head,
    max_body: usize,
    timeouts: BodyTimeouts,
) -> Result<Bytes, Option<Refusal>> {
    let too_large = || {
        Some(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body over the {max_body}-byte limit"),
        ))
    };
    let mut pos = head.len;
    // Asked to, the client is told to go on once its body is wanted and not already here.
    let mut go_on = head.expect_continue;
    let timed_out = |e: Stop| match e {
        Stop::TimedOut => Some(refuse(StatusCode::REQUEST_TIMEOUT, "request body not received in time")),
        _ => None,
    };
    let body = match head.framing {
        Framing::None => Bytes::new(),
        Framing::Length(n) => {
            if n > max_body as u64 {
                return Err(too_large());
            }
            let n = n as usize;
            if buf.len() - pos >= n {
                let b = Bytes::copy_from_slice(&buf[pos..pos + n]);
                pos += n;
                b
            } else {
                let mut body = announced_body(n);
                loop {
                    let take = (buf.len() - pos).min(n - body.len());
                    body.extend_from_slice(&buf[pos..pos + take]);
                    pos += take;
                    if body.len() == n {
                        break;
                    }
                    buf.clear();
                    pos = 0;
                    send_continue(s, &mut go_on).await?;
                    fill(s, buf, timeouts.next(), None).await.map_err(timed_out)?;
                }
                Bytes::from(body)
            }
        }
        Framing::Chunked => {
            let mut sink = Collect {
                data: Vec::new(),
                max: max_body,
            };
            let mut d = Chunked::default();
            loop {
                let used = d.feed(&buf[pos..], Some(&mut sink)).map_err(|e| match e {
                    H1Error::TooLarge(_) => too_large(),
                    // The decoder's own words: its error type's message is about a response.
                    H1Error::Malformed(what) => Some(refuse(
                        StatusCode::BAD_REQUEST,
                        format!("malformed request body: {what}"),
                    )),
                    _ => Some(refuse(StatusCode::BAD_REQUEST, "malformed request body")),
                })?;
                pos += used;
                if d.done() {
                    break;
                }
                buf.clear();
                pos = 0;
                send_continue(s, &mut go_on).await?;
                fill(s, buf, timeouts.next(), None).await.map_err(timed_out)?;
            }
            // The collected body may wait in a queue: without the growth slack.
            sink.data.shrink_to_fit();
            Bytes::from(sink.data)
        }
    };
    buf.drain(..pos);
    Ok(body)
}

/// Sends `100 Continue` the first time a body has to be waited for, if the client asked.
async fn send_continue(s: &mut TcpStream, pending: &mut bool) -> Result<(), Option<Refusal>> {
    if std::mem::take(pending) {
        s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await.map_err(|_| None)?;
    }
    Ok(())
}

/// Runs the handler while watching the socket: a client that closes its connection drops the
/// handler (`None`); bytes that arrive meanwhile (a pipelined request) are kept in `buf`, up to
/// `cap`.
async fn run_watching<F>(
    s: &TcpStream,
    buf: &mut Vec<u8>,
    mut handler: std::pin::Pin<Box<F>>,
    cap: usize,
) -> Option<Response<Bytes>>
where
    F: std::future::Future<Output = Response<Bytes>>,
{
    loop {
        tokio::select! {
            biased;
            r = handler.as_mut() => return Some(r),
            ready = s.ready(Interest::READABLE) => {
                let Ok(ready) = ready else { return None };
                if buf.len() < cap {
                    if buf.capacity() - buf.len() < 512 {
                        buf.reserve(READ_CHUNK);
                    }
                    match s.try_read_buf(buf) {
                        Ok(0) => return None,
                        Ok(_) => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        Err(_) => return None,
                    }
                } else if ready.is_read_closed() || ready.is_error() {
                    // Full of pipelined bytes, and the client has closed: gone all the same.
                    return None;
                } else {
                    // Reading no more: clear the readiness, so that the next wake is the
                    // client closing (or more bytes, cleared again).
                    let _ = s.try_io(Interest::READABLE, || Err::<(), _>(io::ErrorKind::WouldBlock.into()));
                }
            }
        }
    }
}

/// Appends a `Date` header, its value formatted once a second per thread.
fn push_date(out: &mut Vec<u8>) {
    use std::cell::RefCell;
    use std::time::{SystemTime, UNIX_EPOCH};
    thread_local! {
        static CACHED: RefCell<(u64, String)> = const { RefCell::new((0, String::new())) };
    }
    let now = SystemTime::now();
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    CACHED.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != secs || c.1.is_empty() {
            *c = (secs, httpdate::fmt_http_date(now));
        }
        crate::h1::push_header(out, "date", c.1.as_bytes());
    });
}

/// Serializes an answer's head (and a small body) into one buffer.
fn encode(resp: &Response<Bytes>, is_head: bool, keep_alive: bool, http10: bool) -> Vec<u8> {
    let status = resp.status();
    let body = resp.body();
    let headers = resp.headers();
    let mut out = Vec::with_capacity(128 + headers.len() * 48 + if body.len() <= COALESCE { body.len() } else { 0 });
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
    out.extend_from_slice(b"\r\n");
    // A HEAD answer keeps the length the upstream gave (what a GET's body would be).
    let keep_length = is_head && headers.contains_key(http::header::CONTENT_LENGTH);
    for (name, value) in headers {
        let n = name.as_str();
        let ours =
            matches!(n, "connection" | "transfer-encoding" | "keep-alive") || (n == "content-length" && !keep_length);
        if !ours {
            crate::h1::push_header(&mut out, n, value.as_bytes());
        }
    }
    let bodiless = status.is_informational() || status == StatusCode::NO_CONTENT || status == StatusCode::NOT_MODIFIED;
    // A proxied HEAD answer without a length (its GET would be chunked) says none.
    let unknown_length = is_head && body.is_empty();
    if !bodiless && !keep_length && !unknown_length {
        use std::io::Write as _;
        let _ = write!(out, "content-length: {}\r\n", body.len());
    }
    if !headers.contains_key(http::header::DATE) {
        push_date(&mut out);
    }
    if !keep_alive {
        out.extend_from_slice(b"connection: close\r\n");
    } else if http10 {
        out.extend_from_slice(b"connection: keep-alive\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !is_head && !bodiless && body.len() <= COALESCE {
        out.extend_from_slice(body);
    }
    out
}

/// Writes an answer. Each write must make progress within `stall` (nginx's `send_timeout`),
/// and the whole answer must go within `max(stall, size / min_rate)` (see
/// [`crate::answers::send_time`]; `min_rate` 0: no pace): a client that stops reading its
/// answer, or reads it a trickle at a time, cannot hold the connection, and the answer's
/// memory, for ever.
async fn write_response(
    s: &mut TcpStream,
    resp: Response<Bytes>,
    is_head: bool,
    keep_alive: bool,
    http10: bool,
    stall: Duration,
    min_rate: u64,
) -> io::Result<()> {
    let out = encode(&resp, is_head, keep_alive, http10);
    let body = resp.body();
    let bodiless = is_head || resp.status().is_informational() || matches!(resp.status().as_u16(), 204 | 304);
    let rest = if !bodiless && body.len() > COALESCE {
        &body[..]
    } else {
        &[][..]
    };
    let by = Instant::now().checked_add(crate::answers::send_time(out.len() + rest.len(), stall, min_rate));
    write_all_within(s, &out, stall, by).await?;
    write_all_within(s, rest, stall, by).await?;
    Ok(())
}

/// `write_all`, failing when the socket accepts nothing for `stall`, or when it is not done
/// `by` then. Writes that go through at once (nearly all) arm no timer.
async fn write_all_within(s: &mut TcpStream, mut buf: &[u8], stall: Duration, by: Option<Instant>) -> io::Result<()> {
    while !buf.is_empty() {
        match s.try_write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                let stalled = Instant::now() + stall;
                let until = by.map_or(stalled, |by| by.min(stalled));
                match tokio::time::timeout_at(until, s.writable()).await {
                    Ok(r) => r?,
                    Err(_) if until < stalled => {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the client read its answer slower than the minimum pace",
                        ))
                    }
                    Err(_) => {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the client stopped reading its answer",
                        ))
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Answers a request the server refuses before the handler (400, 408, 413, 431, 501), closing
/// after; without a body when the request is a HEAD.
async fn answer_refusal(s: &mut TcpStream, front: &Front, r: Refusal, is_head: bool) {
    front
        .gw
        .global
        .bad_requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    tracing::debug!(status = r.status.as_u16(), "refused: {}", r.why);
    let id = front.gw.shared.new_request_id();
    let mut resp = handler::json_error(r.status, &id, "bad-request", r.why);
    if r.allow {
        resp.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static(model::wire::ALLOW));
    }
    let stall = Duration::from_secs(1);
    let _ = tokio::time::timeout(stall, write_response(s, resp, is_head, false, false, stall, 0)).await;
    let _ = s.shutdown().await;
    linger(s).await;
}

/// Reads and discards what the client is still sending (the rest of a refused body), for a
/// while, before the socket closes: closing it with unread bytes makes the kernel send a reset,
/// which can destroy the refusal before the client reads it (nginx's lingering close).
async fn linger(s: &mut TcpStream) {
    use tokio::io::AsyncReadExt as _;
    const LINGER: Duration = Duration::from_millis(500);
    const LINGER_BYTES: usize = 4 << 20;
    let _ = tokio::time::timeout(LINGER, async {
        // On the heap: a buffer here would be in every request's read state, not only here.
        let mut sink = vec![0u8; 4096];
        let mut total = 0;
        while total < LINGER_BYTES {
            match s.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(n) => total += n,
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<Head>, Refusal> {
        parse_head(text.as_bytes(), 100, 16 * 1024)
    }

    #[test]
    fn an_announced_body_is_not_reserved_whole_before_it_comes() {
        assert!(announced_body(16 * 1024 * 1024).capacity() <= crate::h1::RESERVE_AHEAD);
        assert!(announced_body(100).capacity() >= 100);
    }

    #[test]
    fn a_request_head_parses_with_its_framing_and_keep_alive() {
        let h = parse("POST /svc/a?x=1 HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\nhello")
            .unwrap()
            .unwrap();
        assert_eq!(h.method, Method::POST);
        assert_eq!(h.path_and_query.as_str(), "/svc/a?x=1");
        assert_eq!(h.framing, Framing::Length(5));
        assert!(h.keep_alive && !h.http10);
        assert_eq!(h.headers.get_all("x-a").iter().count(), 2);
        assert_eq!(
            h.len,
            "POST /svc/a?x=1 HTTP/1.1\r\nHost: g\r\nContent-Length: 5\r\nX-A: 1\r\nX-A: 2\r\n\r\n".len()
        );
        let h = parse("GET / HTTP/1.0\r\n\r\n").unwrap().unwrap();
        assert!(!h.keep_alive && h.http10);
        let h = parse("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(h.keep_alive);
        let h = parse("GET / HTTP/1.1\r\nhost: g\r\nconnection: close\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!h.keep_alive);
        let h = parse("PUT / HTTP/1.1\r\nhost: g\r\ntransfer-encoding: Chunked\r\nexpect: 100-continue\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.framing, Framing::Chunked);
        assert!(h.expect_continue);
        let h = parse("GET http://example.com/svc/b?q HTTP/1.1\r\nhost: example.com\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.path_and_query.as_str(), "/svc/b?q");
    }

    #[test]
    fn partial_heads_wait_for_more() {
        let full = "GET /svc/a HTTP/1.1\r\nhost: g\r\n\r\n";
        for cut in 0..full.len() {
            assert!(parse(&full[..cut]).unwrap().is_none(), "cut at {cut}");
        }
    }

    #[test]
    fn bad_heads_are_refused_with_the_right_status() {
        let status = |t: &str| parse(t).err().map(|r| r.status.as_u16());
        assert_eq!(status("GARBAGE\r\n\r\n"), Some(400));
        assert_eq!(status("GET / HTTP/1.1\r\ncontent-length: x\r\n\r\n"), Some(400));
        assert_eq!(
            status("GET / HTTP/1.1\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n"),
            Some(400)
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n"),
            Some(400)
        );
        // Both framing headers are refused before the codings are judged (hyper's order, in
        // mock-legacy); a Content-Length list and an empty Transfer-Encoding as hyper does.
        let why = |t: &str| parse(t).err().map(|r| (r.status.as_u16(), r.why));
        for both in [
            "POST / HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\ncontent-length: 3\r\n\r\n",
            "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n",
            "POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n",
            "POST / HTTP/1.1\r\ntransfer-encoding:\r\ncontent-length: 3\r\n\r\n",
        ] {
            assert_eq!(
                why(both),
                Some((400, "both transfer-encoding and content-length".to_string())),
                "{both:?}"
            );
        }
        assert_eq!(status("POST / HTTP/1.1\r\ntransfer-encoding: \r\n\r\n"), Some(400));
        for list in ["2, 2", "2,2", "2, 3", "2,"] {
            assert_eq!(
                status(&format!(
                    "POST / HTTP/1.1\r\nhost: g\r\ncontent-length: {list}\r\n\r\nok"
                )),
                Some(400),
                "{list:?}"
            );
        }
        let h = parse("POST / HTTP/1.1\r\nhost: g\r\ncontent-length: 2\r\ncontent-length: 2\r\n\r\nok")
            .unwrap()
            .unwrap();
        assert_eq!(h.framing, Framing::Length(2), "the same length on two lines");
        // A final coding other than chunked leaves the body without a length: 400 (RFC 9112
        // section 6.3); a coding before chunked is one the gateway cannot forward: 501.
        assert_eq!(status("POST / HTTP/1.1\r\ntransfer-encoding: gzip\r\n\r\n"), Some(400));
        assert_eq!(
            status("POST / HTTP/1.1\r\ntransfer-encoding: chunked, gzip\r\n\r\n"),
            Some(400)
        );
        // Several lines are one list: `gzip` then `chunked` is `gzip, chunked`.
        assert_eq!(
            status("POST / HTTP/1.1\r\ntransfer-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n"),
            Some(501)
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ntransfer-encoding: gzip\r\n\r\n"),
            Some(400)
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\ntransfer-encoding: gzip, chunked\r\n\r\n"),
            Some(501)
        );
        assert_eq!(
            status("POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\ntransfer-encoding: chunked\r\n\r\n"),
            Some(400)
        );
        assert_eq!(
            status("POST / HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n"),
            Some(400)
        );
        assert_eq!(status("GET / HTTP/1.1\r\ncontent-length: +5\r\n\r\n"), Some(400));
        assert_eq!(status("GET nowhere HTTP/1.1\r\n\r\n"), Some(400));
        assert_eq!(status("CONNECT a:443 HTTP/1.1\r\nhost: a:443\r\n\r\n"), Some(501));
        assert_eq!(status("CONNECT /a HTTP/1.1\r\nhost: a\r\n\r\n"), Some(501));
        assert_eq!(status("GET * HTTP/1.1\r\nhost: a\r\n\r\n"), Some(400));
        assert_eq!(status("GET ftp://a/b HTTP/1.1\r\nhost: a\r\n\r\n"), Some(400));
        assert_eq!(status("GET /b HTTP/1.1\r\nhost: a b/c@d\r\n\r\n"), Some(400));
        let h = parse("OPTIONS * HTTP/1.1\r\nhost: g\r\n\r\n").unwrap().unwrap();
        assert_eq!(h.path_and_query.as_str(), "*");
        assert!(is_head_request(b"\r\nHEAD / HTTP/1.1\r\n") && !is_head_request(b"HEADER / HTTP/1.1"));
        assert_eq!(
            why("GET / HTTP/1.1\r\nx: 1\r\n\r\n"),
            Some((400, "missing Host header".to_string()))
        );
        assert_eq!(
            why("GET / HTTP/1.1\r\nhost: a\r\nHost: b\r\n\r\n"),
            Some((400, "more than one Host header".to_string()))
        );
        assert_eq!(
            why("GET / HTTP/1.0\r\nhost: a\r\nhost: a\r\n\r\n"),
            Some((400, "more than one Host header".to_string()))
        );
        let many: String = (0..101).map(|i| format!("x-{i}: 1\r\n")).collect();
        assert_eq!(status(&format!("GET / HTTP/1.1\r\n{many}\r\n")), Some(431));
        let big = format!("GET / HTTP/1.1\r\nx-big: {}\r\n", "a".repeat(20_000));
        assert_eq!(status(&big), Some(431), "a head past the limit, even unfinished");
    }

    #[test]
    fn answers_carry_length_date_and_connection() {
        let mut r = Response::new(Bytes::from_static(b"hello"));
        r.headers_mut().insert("x-a", HeaderValue::from_static("1"));
        r.headers_mut()
            .insert("transfer-encoding", HeaderValue::from_static("chunked"));
        let out = String::from_utf8(encode(&r, false, true, false)).unwrap();
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.contains("x-a: 1\r\n") && out.contains("content-length: 5\r\n") && out.contains("date: "));
        assert!(!out.contains("transfer-encoding") && !out.contains("connection"));
        assert!(out.ends_with("\r\n\r\nhello"));
        let out = String::from_utf8(encode(&r, false, false, false)).unwrap();
        assert!(out.contains("connection: close\r\n"));
        let out = String::from_utf8(encode(&r, false, true, true)).unwrap();
        assert!(out.contains("connection: keep-alive\r\n"));

        // HEAD: no body, and the upstream's length stands.
        let mut r = Response::new(Bytes::new());
        r.headers_mut()
            .insert("content-length", HeaderValue::from_static("1234"));
        let out = String::from_utf8(encode(&r, true, true, false)).unwrap();
        assert!(
            out.contains("content-length: 1234\r\n") && out.ends_with("\r\n\r\n"),
            "{out}"
        );
        let out = String::from_utf8(encode(&Response::new(Bytes::new()), true, true, false)).unwrap();
        assert!(
            !out.contains("content-length"),
            "a HEAD answer of unknown length: {out}"
        );
        let out = String::from_utf8(encode(&Response::new(Bytes::from_static(b"{}")), true, true, false)).unwrap();
        assert!(
            out.contains("content-length: 2\r\n") && out.ends_with("\r\n\r\n"),
            "{out}"
        );
        let mut r = Response::new(Bytes::new());
        *r.status_mut() = StatusCode::NO_CONTENT;
        let out = String::from_utf8(encode(&r, false, true, false)).unwrap();
        assert!(!out.contains("content-length"), "{out}");
    }
}
