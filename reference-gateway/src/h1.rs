//! A lean HTTP/1.1 client: the gateway's upstream calls and the load generator's plain-http
//! requests.
//!
//! hyper's pooled client runs each connection as a task of its own behind a channel and keeps an
//! 8 KiB read and an 8 KiB write buffer per connection: about 21 KiB and two task hand-offs per
//! outstanding request. Here the caller's own task writes the request and reads the answer on a
//! pooled keep-alive connection, and allocates its read buffer only once the socket is readable,
//! so a request waiting for its answer holds a socket and nothing else. The body of the answer
//! is either discarded ([`H1Client::send`], the load generator needs status and Retry-After) or
//! collected up to a bound ([`H1Client::send_full`], the gateway).
//!
//! Dropping a send (the caller timed out) drops its connection, which closes it: the server sees
//! the client leave. A pooled connection found closed is replaced. A request whose reused
//! connection closed before any byte of an answer (the server closed it idle just as we reused
//! it: the keep-alive race of RFC 9112 section 9.3.1) is sent again, once, on a new connection,
//! and only when its method is idempotent; the caller is told (so a load generator counts what
//! the server may have received twice), unless a reset says the server never read it (see
//! [`Stale`]). A request on a new connection is never sent again.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use std::borrow::Cow;
use std::io;
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Largest response head accepted (status line and headers).
pub const MAX_HEAD: usize = 64 * 1024;
/// Most header lines accepted in a response: legacy servers send long `Set-Cookie` lists past
/// hyper's default of 100, and a bound still caps the parsing work (as [`MAX_HEAD`] caps bytes).
pub const MAX_HEADERS: usize = 256;
/// First read buffer; it grows only for large heads and bodies.
const FIRST_READ: usize = 1024;
/// Largest buffer used to read (and discard) a body.
const BODY_READ: usize = 16 * 1024;
/// What a body with a Content-Length gets reserved before it arrives, at most (here and in
/// `h1_server`); longer ones grow as they come, doubling, so a 9 MiB body ends in a 16 MiB
/// buffer: the price of not holding what a stalled peer announced.
pub(crate) const RESERVE_AHEAD: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum H1Error {
    #[error("cannot connect: {0}")]
    Connect(io::Error),
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("connection closed before the response was complete")]
    Closed,
    #[error("malformed response: {0}")]
    Malformed(&'static str),
    #[error("the response body is larger than {0} bytes")]
    TooLarge(usize),
    /// A 408 on a reused connection: the server timed the idle connection out as it was reused.
    #[error("408 Request Timeout on a kept-alive connection the server timed out idle")]
    IdleTimeout,
    /// The gateway's budget of answer bytes had no room for this answer's body in time (see
    /// [`crate::answers`]); the status the service answered with (0: not known yet).
    #[error("no room for the answer's body in the gateway's answer memory")]
    NoRoom(u16),
}

/// An answer's body bytes, taken from the gateway's budget before they are read (see
/// [`crate::answers`]), waiting up to `wait` for room.
pub struct Charge<'a> {
    pub hold: &'a mut crate::answers::AnswerHold,
    pub wait: Duration,
}

/// What the load generator reads of a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub retry_after: Option<Duration>,
}

/// A whole response (for [`H1Client::send_full`]).
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Where to connect: resolved addresses, or a `host:port` looked up per new connection.
enum Dest {
    Addrs(Vec<SocketAddr>),
    Name(String, u16),
}

/// Pooled keep-alive connections to one server.
pub struct H1Client {
    dest: Dest,
    host: String,
    idle: Mutex<Vec<TcpStream>>,
    max_idle: usize,
    connect_timeout: Option<Duration>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl H1Client {
    /// `host` is the `Host` header value (`name:port`); `addrs` where it resolves to.
    pub fn new(addrs: Vec<SocketAddr>, host: String, max_idle: usize) -> H1Client {
        H1Client {
            dest: Dest::Addrs(addrs),
            host,
            idle: Mutex::new(Vec::new()),
            max_idle,
            connect_timeout: None,
        }
    }

    /// A client for `host` and `port` (a name is resolved for each new connection, as a DNS
    /// name may move), with a bound on connecting.
    pub fn for_host(host: &str, port: u16, max_idle: usize, connect_timeout: Duration) -> H1Client {
        let dest = match host.parse::<std::net::IpAddr>() {
            Ok(ip) => Dest::Addrs(vec![SocketAddr::new(ip, port)]),
            Err(_) => Dest::Name(host.to_string(), port),
        };
        H1Client {
            dest,
            host: host_header(host, port),
            idle: Mutex::new(Vec::new()),
            max_idle,
            connect_timeout: Some(connect_timeout),
        }
    }

    /// Starts a GET request for `path` (origin form, e.g. `/svc/api?x=1`): the request line and
    /// `Host`. Add headers with [`push_header`], then send.
    pub fn get(&self, path: &str, capacity: usize) -> Vec<u8> {
        self.request("GET", path, capacity)
    }

    /// Starts a request: `METHOD path HTTP/1.1` and `Host`. `method` and `path` must be valid
    /// (as `http::Method` and `http::uri::PathAndQuery` guarantee).
    pub fn request(&self, method: &str, path: &str, capacity: usize) -> Vec<u8> {
        let mut req = Vec::with_capacity(capacity);
        req.extend_from_slice(method.as_bytes());
        req.push(b' ');
        req.extend_from_slice(path.as_bytes());
        req.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        req.extend_from_slice(self.host.as_bytes());
        req.extend_from_slice(b"\r\n");
        req
    }

    /// Sends a request made by [`H1Client::get`] (headers added, not yet ended) and reads its
    /// whole answer, discarding the body. `on_resend` is called, with why, when the request went
    /// out on a reused connection that closed before answering and is about to be sent again
    /// on a new one (at most once per call): called at once, so it is heard even if the caller
    /// then drops the send. It is not called when the server reset that connection without
    /// reading the request (see [`Stale`]): the server saw one request, not two.
    pub async fn send(&self, mut request: Vec<u8>, on_resend: impl FnOnce(&H1Error)) -> Result<Head, H1Error> {
        request.extend_from_slice(b"\r\n");
        let want = Want {
            idempotent: true,
            with_body: false,
            bodiless: false,
            collect: None,
        };
        let (head, _, _) = self.call(&request, want, on_resend, None).await?;
        Ok(head)
    }

    /// [`H1Client::send`] for a request made by [`H1Client::request`] for `method` with `body`
    /// (its `content-length` is written here, as [`H1Client::send_full`] does): the load
    /// generator's requests with a method and body of the user's. Only an idempotent method is
    /// sent again on a new connection when a pooled one turns out closed (`on_resend` is called
    /// for it as for `send`); any other fails with that error, since the server may have acted
    /// on it once already.
    pub async fn send_with(
        &self,
        method: &http::Method,
        mut request: Vec<u8>,
        body: &[u8],
        on_resend: impl FnOnce(&H1Error),
    ) -> Result<Head, H1Error> {
        let want = finish_request(method, &mut request, body, None);
        let (head, _, _) = self.call(&request, want, on_resend, None).await?;
        Ok(head)
    }

    /// Sends a request made by [`H1Client::request`] for `method` with `body` (its
    /// `content-length` is written here) and returns the whole answer, its body up to
    /// `max_body` bytes. Only an idempotent method is sent again on a new connection when a
    /// pooled one turns out closed; the answer to HEAD has no body whatever its length says.
    pub async fn send_full(
        &self,
        method: &http::Method,
        request: Vec<u8>,
        body: &[u8],
        max_body: usize,
    ) -> Result<Response, H1Error> {
        self.send_charged(method, request, body, max_body, None).await
    }

    /// [`H1Client::send_full`], the answer's body bytes taken from `charge` before they are
    /// read: [`H1Error::NoRoom`] (the connection closed, which frees the server) when they do
    /// not fit in time.
    pub async fn send_charged(
        &self,
        method: &http::Method,
        mut request: Vec<u8>,
        body: &[u8],
        max_body: usize,
        mut charge: Option<Charge<'_>>,
    ) -> Result<Response, H1Error> {
        let want = finish_request(method, &mut request, body, Some(max_body));
        let on_resend = |e: &H1Error| tracing::debug!("upstream connection closed before answering ({e}): sent again");
        let (head, headers, body) = self.call(&request, want, on_resend, charge.as_mut()).await?;
        Ok(Response {
            status: head.status,
            headers: headers.unwrap_or_default(),
            body,
        })
    }

    /// One request: on an idle pooled connection if there is one, else on a new connection.
    /// A reused connection that closed before any byte of an answer gets the request once more,
    /// on a new connection (never another pooled one: a server that closes every reused
    /// connection would otherwise receive it once per idle connection), idempotent methods only.
    async fn call(
        &self,
        request: &[u8],
        want: Want,
        on_resend: impl FnOnce(&H1Error),
        mut charge: Option<&mut Charge<'_>>,
    ) -> Result<(Head, Option<HeaderMap>, Bytes), H1Error> {
        if let Some(mut s) = self.pooled() {
            match exchange(&mut s, request, want, charge.as_deref_mut()).await {
                // A server that times out an idle kept-alive connection may send 408 before
                // closing it (RFC 9110 section 15.5.9): on a reused connection that 408 is the
                // keep-alive race, not an answer to this request, which the server never read
                // if it has no body (as browsers treat it). The connection is dropped. A 408
                // that keeps the connection open is no such race: the server read this
                // request and answered it (sent again, it was counted once for two).
                Ok((head, _, _, false)) if head.status == 408 && want.idempotent => {
                    let error = H1Error::IdleTimeout;
                    if want.with_body {
                        on_resend(&error);
                    } else {
                        tracing::debug!("{error}: sent again");
                    }
                }
                Ok((head, headers, body, reusable)) => {
                    self.done(s, reusable);
                    return Ok((head, headers, body));
                }
                Err(Failed {
                    stale: Some(Stale::MaybeRead),
                    error,
                }) if want.idempotent => on_resend(&error),
                Err(Failed {
                    stale: Some(Stale::Unread),
                    error,
                }) if want.idempotent => {
                    tracing::debug!("reused connection reset before the request was read ({error}): sent again")
                }
                Err(f) => return Err(f.error),
            }
        }
        let mut s = self.connect().await?;
        let (head, headers, body, reusable) = exchange(&mut s, request, want, charge).await.map_err(|f| f.error)?;
        self.done(s, reusable);
        Ok((head, headers, body))
    }

    /// An idle connection that is still open (a closed one reads as end of stream at once).
    fn pooled(&self) -> Option<TcpStream> {
        loop {
            let s = lock(&self.idle).pop()?;
            let mut probe = [0u8; 1];
            match s.try_read(&mut probe) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Some(s),
                // Closed, reset, or bytes nobody asked for: not reusable.
                _ => continue,
            }
        }
    }

    async fn connect(&self) -> Result<TcpStream, H1Error> {
        let connect = async {
            match &self.dest {
                Dest::Addrs(a) => TcpStream::connect(&a[..]).await,
                Dest::Name(n, port) => TcpStream::connect((n.as_str(), *port)).await,
            }
        };
        let s = match self.connect_timeout {
            Some(t) => tokio::time::timeout(t, connect).await.map_err(|_| {
                H1Error::Connect(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no connection within {t:?}"),
                ))
            })?,
            None => connect.await,
        }
        .map_err(H1Error::Connect)?;
        s.set_nodelay(true).map_err(H1Error::Connect)?;
        Ok(s)
    }

    fn done(&self, s: TcpStream, reusable: bool) {
        if reusable {
            let mut idle = lock(&self.idle);
            if idle.len() < self.max_idle {
                idle.push(s);
            }
        }
    }
}

/// Ends a request made by [`H1Client::request`]: its `content-length` (for a body, or any
/// method that is not idempotent), the blank line and `body`; and what to expect of the call.
fn finish_request(method: &http::Method, request: &mut Vec<u8>, body: &[u8], collect: Option<usize>) -> Want {
    let idempotent = is_idempotent(method);
    if !body.is_empty() || !idempotent {
        use std::io::Write as _;
        let _ = write!(request, "content-length: {}\r\n", body.len());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
    Want {
        idempotent,
        with_body: !body.is_empty(),
        bodiless: *method == http::Method::HEAD,
        collect,
    }
}

/// Whether a request may be sent twice without changing what it does (RFC 9110, 9.2.2): only
/// these are sent again after a connection broke with the request possibly received.
pub fn is_idempotent(method: &http::Method) -> bool {
    model::wire::is_idempotent_method(method.as_str())
}

/// What a call sends and expects of its answer.
#[derive(Clone, Copy)]
struct Want {
    /// The request may be sent twice.
    idempotent: bool,
    /// The request carries a body.
    with_body: bool,
    /// The answer has no body (a HEAD request).
    bodiless: bool,
    /// Collect the body up to this many bytes (`None`: discard it).
    collect: Option<usize>,
}

/// The host and port of an `http://` or `https://` URI (default ports filled in, an IPv6
/// literal without its brackets); `None` without a host or with a port beyond 65535 (which
/// `http::Uri` accepts and reports as no port, so the default port would be used instead).
pub fn host_port(uri: &http::Uri) -> Option<(&str, u16)> {
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let written = uri.authority()?.as_str().rsplit_once(':').map(|(_, p)| p);
    if written.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) && uri.port_u16().is_none() {
        return None;
    }
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") { 443 } else { 80 });
    Some((host, port))
}

/// The `Host` header for `host` and `port` (an IPv6 literal in brackets).
pub(crate) fn host_header(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Appends `name: value\r\n`; the caller has checked both are valid header text.
pub fn push_header(req: &mut Vec<u8>, name: &str, value: &[u8]) {
    req.extend_from_slice(name.as_bytes());
    req.extend_from_slice(b": ");
    req.extend_from_slice(value);
    req.extend_from_slice(b"\r\n");
}

struct Failed {
    error: H1Error,
    /// Nothing of an answer arrived: a pooled connection the server had already closed.
    stale: Option<Stale>,
}

impl From<H1Error> for Failed {
    fn from(error: H1Error) -> Failed {
        Failed { error, stale: None }
    }
}

/// Whether the server may have read a request whose connection ended before any byte of an
/// answer.
///
/// A server that closes a connection with bytes it has not read sends a reset (RST), and a reset
/// is also what answers bytes that reach a closed socket; a server that read everything and
/// then closed sends FIN, an end of stream here. So a reset (ECONNRESET, or EPIPE from a write)
/// says the server never read the tail of what was sent. For a request without a body that tail
/// is part of its head, which ends only with the last bytes written, and a server acts on no
/// request before its head is whole: it never saw the request, whether all of it was written or
/// a write failed partway. With a body, a reset says only that part of the body went unread:
/// the server may have read the head and acted on it, so that request is counted as read.
/// An end of stream, or any other failure, may follow a request the server read.
///
/// One exception goes uncounted: a server that reads a request and then aborts the connection
/// on purpose (`SO_LINGER` of zero) without a byte of answer resets it too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stale {
    /// Sending the request again may make the server receive it twice.
    MaybeRead,
    /// The server reset the connection without reading the request.
    Unread,
}

impl Stale {
    /// After a reset before any byte of an answer.
    fn reset(want: Want) -> Stale {
        if want.with_body {
            Stale::MaybeRead
        } else {
            Stale::Unread
        }
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe)
}

/// How the body of a response ends (RFC 9112 section 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    UntilClose,
}

#[derive(Debug)]
struct Parsed {
    head: Head,
    framing: Framing,
    /// The connection may carry another request (given a body that ends where it should).
    keep_alive: bool,
    /// Bytes of the head.
    len: usize,
    /// Every header, when asked for.
    headers: Option<HeaderMap>,
}

/// A `Content-Length` value (a list of equal values is allowed, RFC 9110 section 8.6), checked
/// against one seen before: ASCII digits only, no sign, no other whitespace than around.
pub(crate) fn content_length(v: &[u8], before: Option<u64>) -> Result<u64, &'static str> {
    let mut length = before;
    for part in v.split(|&b| b == b',') {
        let part = part.trim_ascii();
        if part.is_empty() || part.len() > 19 || !part.iter().all(u8::is_ascii_digit) {
            return Err("invalid content-length");
        }
        let n = part.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        if length.is_some_and(|l| l != n) {
            return Err("conflicting content-length values");
        }
        length = Some(n);
    }
    length.ok_or("invalid content-length")
}

/// Whether a comma-separated header value (`Connection`) lists `token`, in any case.
pub(crate) fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// Parses a response head; `None` when more bytes are needed. `want_headers`: also return every
/// header as a map. `now`: the wall-clock time an HTTP-date Retry-After is read against.
fn parse_head(buf: &[u8], want_headers: bool, now: SystemTime) -> Result<Option<Parsed>, H1Error> {
    // Uninitialised: the slots are many and most answers fill a few.
    let mut slots = [MaybeUninit::<httparse::Header<'_>>::uninit(); MAX_HEADERS];
    let mut r = httparse::Response::new(&mut []);
    let mut config = httparse::ParserConfig::default();
    // RFC 9112 section 5.2: a user agent must take a folded line (obs-fold) as a space; see
    // `unfold`.
    config.allow_obsolete_multiline_headers_in_responses(true);
    let len = match config.parse_response_with_uninit_headers(&mut r, buf, &mut slots) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(H1Error::Malformed("too many headers")),
        Err(_) => return Err(H1Error::Malformed("invalid status line or header")),
    };
    // httparse takes any three digits; hyper (the other transport) rejects a code outside
    // 100..=999 as malformed, and a status of 0 would mean nothing to a caller.
    let status = match r.code {
        Some(c) if (100..=999).contains(&c) => c,
        _ => return Err(H1Error::Malformed("invalid status code")),
    };
    let http10 = r.version == Some(0);
    let (mut length, mut chunked, mut te, mut close, mut keep) = (None::<u64>, false, false, false, false);
    let (mut ra, mut ra_ms) = (None::<Cow<'_, [u8]>>, None::<Cow<'_, [u8]>>);
    let mut map = want_headers.then(|| HeaderMap::with_capacity(r.headers.len()));
    for h in r.headers.iter() {
        let v = unfold(h.value);
        if let Some(m) = &mut map {
            let name =
                HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| H1Error::Malformed("invalid header name"))?;
            let value = HeaderValue::from_bytes(&v).map_err(|_| H1Error::Malformed("invalid header value"))?;
            m.append(name, value);
        }
        if h.name.eq_ignore_ascii_case("content-length") {
            length = Some(content_length(&v, length).map_err(H1Error::Malformed)?);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            te = true;
            let last = v.rsplit(|&b| b == b',').next().unwrap_or(&v).trim_ascii();
            chunked = last.eq_ignore_ascii_case(b"chunked");
        } else if h.name.eq_ignore_ascii_case("connection") {
            close |= has_token(&v, "close");
            keep |= has_token(&v, "keep-alive");
        } else if h.name.eq_ignore_ascii_case("retry-after") {
            // The first of duplicates, as `HeaderMap::get` reads hyper's answers: both
            // transports agree.
            ra.get_or_insert(v);
        } else if h.name.eq_ignore_ascii_case(model::wire::RETRY_AFTER_MS) {
            ra_ms.get_or_insert(v);
        }
    }
    let ra = ra.as_deref().and_then(|v| std::str::from_utf8(v).ok());
    let ra_ms = ra_ms.as_deref().and_then(|v| std::str::from_utf8(v).ok());
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if te {
        if chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        }
    } else {
        match length {
            Some(n) => Framing::Length(n),
            None => Framing::UntilClose,
        }
    };
    // Both framings at once is how request smuggling starts: read it, never reuse it.
    let persistent = if http10 { keep } else { !close };
    let keep_alive = persistent && !close && !(te && length.is_some());
    Ok(Some(Parsed {
        head: Head {
            status,
            retry_after: model::wire::parse_retry_after_at(ra, ra_ms, now),
        },
        framing,
        keep_alive,
        len,
        headers: map,
    }))
}

/// A header value with each folded line break (obs-fold: CRLF and the whitespace around it) made
/// one space, as hyper does, so both transports read the same value.
fn unfold(v: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = v.iter().position(|&b| b == b'\n') else {
        return Cow::Borrowed(v);
    };
    let mut out = v[..first].trim_ascii_end().to_vec();
    for line in v[first + 1..].split(|&b| b == b'\n') {
        out.push(b' ');
        out.extend_from_slice(line.trim_ascii());
    }
    Cow::Owned(out)
}

/// Reads what the socket has into the spare capacity of `buf`, allocating only once the socket
/// is readable (a waiting attempt holds no buffer). Returns 0 at the end of the stream.
pub(crate) async fn read_more(s: &mut TcpStream, buf: &mut Vec<u8>, want: usize) -> io::Result<usize> {
    s.readable().await?;
    if buf.capacity() - buf.len() < want {
        buf.reserve(want);
    }
    // Not `try_read_buf`: a short read through `AsyncRead` tells tokio the socket is drained,
    // so the next request on this connection waits for real readiness instead of paying a
    // read that fails with EAGAIN first.
    s.read_buf(buf).await
}

/// One request and its answer on `s`: the head, the headers and body when collecting (up to
/// `collect` bytes), and whether `s` may carry another request.
async fn exchange(
    s: &mut TcpStream,
    request: &[u8],
    want: Want,
    mut charge: Option<&mut Charge<'_>>,
) -> Result<(Head, Option<HeaderMap>, Bytes, bool), Failed> {
    let collect = want.collect;
    if let Some(c) = charge.as_deref_mut() {
        // A body read on an earlier connection is gone.
        c.hold.shrink_to(0);
    }
    if let Err(e) = s.write_all(request).await {
        return Err(Failed {
            stale: Some(if is_reset(&e) {
                Stale::reset(want)
            } else {
                Stale::MaybeRead
            }),
            error: e.into(),
        });
    }
    let mut buf = Vec::new();
    let mut received = false;
    let parsed = loop {
        let n = match read_more(s, &mut buf, FIRST_READ).await {
            Ok(n) => n,
            Err(e) => {
                return Err(Failed {
                    stale: (!received && is_reset(&e)).then(|| Stale::reset(want)),
                    error: e.into(),
                });
            }
        };
        if n == 0 {
            return Err(Failed {
                error: H1Error::Closed,
                stale: (!received).then_some(Stale::MaybeRead),
            });
        }
        received = true;
        // 1xx informational answers come before the real one: skip them.
        let found = loop {
            match parse_head(&buf, collect.is_some(), SystemTime::now())? {
                Some(p) if p.head.status == 101 => return Err(H1Error::Malformed("unexpected protocol switch").into()),
                Some(p) if (100..200).contains(&p.head.status) => {
                    buf.drain(..p.len);
                }
                other => break other,
            }
        };
        match found {
            Some(p) => break p,
            None if buf.len() >= MAX_HEAD => return Err(H1Error::Malformed("response head too large").into()),
            None => {}
        }
    };
    buf.drain(..parsed.len);
    // The answer to HEAD has no body, whatever its Content-Length says.
    let framing = if want.bodiless { Framing::Empty } else { parsed.framing };
    let mut body = collect.map(|max| Body { data: Vec::new(), max });
    let clean_end = match read_body(s, buf, framing, body.as_mut(), charge).await {
        Err(H1Error::NoRoom(_)) => return Err(H1Error::NoRoom(parsed.head.status).into()),
        r => r?,
    };
    let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.data));
    let reusable = parsed.keep_alive && clean_end && framing != Framing::UntilClose;
    Ok((parsed.head, parsed.headers, body, reusable))
}

/// Where a collected body goes (also the gateway server's request bodies).
pub(crate) struct Body {
    pub(crate) data: Vec<u8>,
    pub(crate) max: usize,
}

impl Body {
    /// Room for `more` bytes, the buffer doubling as a `Vec` would but never past `cap`.
    fn grow_for(&mut self, more: usize, cap: usize) {
        let need = self.data.len() + more;
        if self.data.capacity() < need {
            let target = need.max(self.data.capacity() * 2).min(cap).max(need);
            self.data.reserve_exact(target - self.data.len());
        }
    }

    pub(crate) fn take(&mut self, bytes: &[u8]) -> Result<(), H1Error> {
        if self.data.len() + bytes.len() > self.max {
            return Err(H1Error::TooLarge(self.max));
        }
        self.data.extend_from_slice(bytes);
        Ok(())
    }
}

/// Makes room in a collected body of unannounced length (chunked, read until close) for up to
/// `more` bytes, its buffer's growth charged first (doubling, as a `Vec` grows, up to the
/// body limit).
async fn charge_room(sink: Option<&mut Body>, charge: Option<&mut Charge<'_>>, more: usize) -> Result<(), H1Error> {
    let (Some(b), Some(c)) = (sink, charge) else {
        return Ok(());
    };
    let need = (b.data.len() + more).min(b.max);
    if b.data.capacity() >= need {
        return Ok(());
    }
    // No floor: a few-byte chunked answer (legacy services send many) takes a few bytes. The
    // doubling stops at the whole budget: past it, a growth the answer itself does not need
    // would read as an answer that can never be held (`AnswerHold::never_fits`).
    let limit = c.hold.budget().limit();
    let target = need.max(b.data.capacity() * 2).min(b.max).min(limit).max(need);
    if !c.hold.grow_to(target, c.wait).await {
        return Err(H1Error::NoRoom(0));
    }
    b.data.reserve_exact(target - b.data.len());
    Ok(())
}

/// Reads the body, into `sink` or discarded. Returns whether it ended exactly where the framing
/// said (no bytes beyond it, so the connection may carry another request).
async fn read_body(
    s: &mut TcpStream,
    mut buf: Vec<u8>,
    framing: Framing,
    mut sink: Option<&mut Body>,
    mut charge: Option<&mut Charge<'_>>,
) -> Result<bool, H1Error> {
    // Only a collected body is charged.
    if sink.is_none() {
        charge = None;
    }
    match framing {
        Framing::Empty => Ok(buf.is_empty()),
        Framing::Length(n) => {
            if let Some(b) = sink.as_deref_mut() {
                if n > b.max as u64 {
                    return Err(H1Error::TooLarge(b.max));
                }
                // All of it is charged before a byte is read: whether it fits is known at once.
                if let Some(c) = charge.as_deref_mut() {
                    if !c.hold.grow_to(n as usize, c.wait).await {
                        return Err(H1Error::NoRoom(0));
                    }
                }
                // Up to a bound only: a backend that announces 16 MiB and stalls would hold it all
                // for each request in flight before a byte came.
                b.data.reserve_exact((n as usize).min(RESERVE_AHEAD));
            }
            let mut left = n;
            loop {
                let have = buf.len() as u64;
                let take = have.min(left) as usize;
                if let Some(b) = sink.as_deref_mut() {
                    if charge.is_some() {
                        // Grown no further than the length charged.
                        b.grow_for(take, n as usize);
                    }
                    b.take(&buf[..take])?;
                }
                if have >= left {
                    return Ok(have == left);
                }
                left -= have;
                buf.clear();
                let want = usize::try_from(left).unwrap_or(BODY_READ).min(BODY_READ);
                if read_more(s, &mut buf, want).await? == 0 {
                    return Err(H1Error::Closed);
                }
            }
        }
        Framing::Chunked => {
            let mut d = Chunked::default();
            loop {
                charge_room(sink.as_deref_mut(), charge.as_deref_mut(), buf.len()).await?;
                let used = d.feed(&buf, sink.as_deref_mut())?;
                if d.done() {
                    return Ok(used == buf.len());
                }
                buf.clear();
                if read_more(s, &mut buf, 4096).await? == 0 {
                    return Err(H1Error::Closed);
                }
            }
        }
        Framing::UntilClose => loop {
            if let Some(b) = sink.as_deref_mut() {
                charge_room(Some(&mut *b), charge.as_deref_mut(), buf.len()).await?;
                b.take(&buf)?;
            }
            buf.clear();
            if read_more(s, &mut buf, BODY_READ).await? == 0 {
                return Ok(false);
            }
        },
    }
}

/// A chunked body decoder: finds where the body ends, and hands the data to a sink if any.
#[derive(Debug, Default)]
pub(crate) struct Chunked {
    state: ChunkState,
    /// Bytes of chunk extensions and trailers so far (see [`MAX_EXTENSIONS_AND_TRAILERS`]).
    skipped: usize,
}

/// The most bytes of chunk extensions and trailer fields (and of a size's leading zeros) a body
/// may carry. They are skipped, not kept, but without a bound a client could stream them (50 MB
/// of one extension was answered 200) for as long as the body's time limit. hyper, which
/// mock-legacy uses, bounds extensions and trailers at 16 KiB each.
pub(crate) const MAX_EXTENSIONS_AND_TRAILERS: usize = 16 * 1024;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading the hex size of the next chunk.
    #[default]
    SizeStart,
    Size(u64),
    /// Whitespace after the size, which only a `;` may follow (BWS before an extension).
    SizeWs(u64),
    /// After `;` (chunk extensions, ignored) up to CR.
    Ext(u64),
    SizeLf(u64),
    Data(u64),
    DataCr,
    DataLf,
    /// At the start of a trailer line (or of the empty line that ends the body).
    TrailerStart,
    /// In a trailer field's name.
    TrailerName,
    /// In a trailer field's value.
    TrailerValue,
    /// After the CR of a trailer line (`true`: the empty line).
    TrailerLf(bool),
    Done,
}

/// A control byte other than HTAB (RFC 9110 section 5.5 allows none in field values).
fn is_ctl(c: u8) -> bool {
    (c < 0x20 && c != b'\t') || c == 0x7f
}

/// A `tchar` (RFC 9110 section 5.6.2): what a field name is made of.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

impl Chunked {
    pub(crate) fn done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Consumes bytes of the body; returns how many (fewer than `b.len()` only once done).
    pub(crate) fn feed(&mut self, b: &[u8], mut sink: Option<&mut Body>) -> Result<usize, H1Error> {
        use ChunkState::*;
        let bad = |what| Err(H1Error::Malformed(what));
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            // Whitespace before an extension is part of it (RFC 9112 section 7.1.1), and a
            // leading zero past the first says nothing either: both count, or a size line
            // could stream them unbounded.
            let skipped = match self.state {
                Ext(_) | SizeWs(_) | TrailerName | TrailerValue => true,
                Size(0) => c == b'0',
                _ => false,
            };
            if skipped {
                self.skipped += 1;
                if self.skipped > MAX_EXTENSIONS_AND_TRAILERS {
                    return bad("chunk extensions and trailers over 16 KiB");
                }
            }
            self.state = match self.state {
                Done => return Ok(i),
                Data(n) => {
                    let take = (b.len() - i).min(usize::try_from(n).unwrap_or(usize::MAX));
                    if let Some(sink) = sink.as_deref_mut() {
                        sink.take(&b[i..i + take])?;
                    }
                    i += take;
                    let left = n - take as u64;
                    self.state = if left == 0 { DataCr } else { Data(left) };
                    continue;
                }
                SizeStart | Size(_) => {
                    let n = if let Size(n) = self.state { Some(n) } else { None };
                    match (c as char).to_digit(16) {
                        Some(d) => {
                            let v = n.unwrap_or(0);
                            if v >> 60 != 0 {
                                return bad("chunk size too large");
                            }
                            let v = v << 4 | u64::from(d);
                            // A chunk past what the body may still hold is refused at its
                            // size (a size only grows with its digits), not once that much
                            // has come: `ffffffffffffffff` and a stall got 408 at the body
                            // timeout, not 413 at once.
                            if let Some(sink) = sink.as_deref() {
                                if v > sink.max.saturating_sub(sink.data.len()) as u64 {
                                    return Err(H1Error::TooLarge(sink.max));
                                }
                            }
                            Size(v)
                        }
                        None => match (n, c) {
                            (Some(n), b';') => Ext(n),
                            (Some(n), b' ' | b'\t') => SizeWs(n),
                            (Some(n), b'\r') => SizeLf(n),
                            _ => return bad("invalid chunk size"),
                        },
                    }
                }
                SizeWs(n) => match c {
                    b' ' | b'\t' => SizeWs(n),
                    b';' => Ext(n),
                    _ => return bad("whitespace after a chunk size"),
                },
                // Extensions and trailers are skipped, but strictly: a bare LF or another
                // control byte there is where parsers disagree on where a message ends
                // (request smuggling).
                Ext(n) => match c {
                    b'\r' => SizeLf(n),
                    c if is_ctl(c) => return bad("control byte in a chunk extension"),
                    _ => Ext(n),
                },
                SizeLf(n) => match (c, n) {
                    (b'\n', 0) => TrailerStart,
                    (b'\n', n) => Data(n),
                    _ => return bad("chunk size line not ended by CRLF"),
                },
                DataCr if c == b'\r' => DataLf,
                DataLf if c == b'\n' => SizeStart,
                DataCr | DataLf => return bad("chunk data not followed by CRLF"),
                // A trailer line is a header field, `name: value`, nothing else (a request line
                // there is a smuggled request; whitespace before the colon or a folded line is
                // where parsers disagree).
                TrailerStart => match c {
                    b'\r' => TrailerLf(true),
                    c if is_tchar(c) => TrailerName,
                    _ => return bad("invalid trailer field"),
                },
                TrailerName => match c {
                    b':' => TrailerValue,
                    c if is_tchar(c) => TrailerName,
                    _ => return bad("invalid trailer field"),
                },
                TrailerValue => match c {
                    b'\r' => TrailerLf(false),
                    c if is_ctl(c) => return bad("control byte in a trailer"),
                    _ => TrailerValue,
                },
                TrailerLf(empty) => match (c, empty) {
                    (b'\n', true) => Done,
                    (b'\n', false) => TrailerStart,
                    _ => return bad("trailer line not ended by CRLF"),
                },
            };
            i += 1;
        }
        Ok(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked_ends(body: &[u8]) -> Result<Option<usize>, ()> {
        // Every split point must give the same answer as one piece.
        let mut whole = Chunked::default();
        let used = whole.feed(body, None).map_err(|_| ())?;
        let answer = whole.done().then_some(used);
        for cut in 0..body.len() {
            let mut d = Chunked::default();
            let a = d.feed(&body[..cut], None).map_err(|_| ())?;
            let r = if d.done() {
                Some(a)
            } else {
                let b = d.feed(&body[cut..], None).map_err(|_| ())?;
                d.done().then_some(cut + b)
            };
            assert_eq!(r, answer, "split at {cut}");
        }
        Ok(answer)
    }

    #[test]
    fn chunked_bodies_end_where_they_should() {
        let body = b"5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
        assert_eq!(chunked_ends(body), Ok(Some(body.len())));
        let mut more = body.to_vec();
        more.extend_from_slice(b"HTTP/1.1 200");
        assert_eq!(chunked_ends(&more), Ok(Some(body.len())));
        let trailers = b"3\r\nabc\r\n0\r\nx-check: 1\r\nx-other: 2\r\n\r\n";
        assert_eq!(chunked_ends(trailers), Ok(Some(trailers.len())));
        assert_eq!(chunked_ends(b"A\r\n0123456789\r\n"), Ok(None));
    }

    #[test]
    fn chunked_data_is_collected_whole_at_any_split() {
        let body = b"5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
        for cut in 0..body.len() {
            let mut sink = Body {
                data: Vec::new(),
                max: 1 << 20,
            };
            let mut d = Chunked::default();
            d.feed(&body[..cut], Some(&mut sink)).expect("valid");
            d.feed(&body[cut..], Some(&mut sink)).expect("valid");
            assert!(d.done());
            assert_eq!(sink.data, b"helloabcdefghijklmnopqrstuvwxyz", "split at {cut}");
        }
        let mut small = Body {
            data: Vec::new(),
            max: 4,
        };
        assert!(matches!(
            Chunked::default().feed(body, Some(&mut small)),
            Err(H1Error::TooLarge(4))
        ));
        // A size past what the body may still hold is refused as it is read, before its data
        // (or its line's end) comes; one that fits is not.
        for size in [&b"ffffffffffffffff\r\n"[..], b"5", b"3\r\nabc\r\n2"] {
            let mut sink = Body {
                data: Vec::new(),
                max: 4,
            };
            let fed = Chunked::default().feed(size, Some(&mut sink));
            assert!(matches!(fed, Err(H1Error::TooLarge(4))), "{size:?}: {fed:?}");
        }
        let mut sink = Body {
            data: Vec::new(),
            max: 4,
        };
        assert!(Chunked::default().feed(b"3\r\nabc\r\n1\r\n", Some(&mut sink)).is_ok());
    }

    /// Extensions and trailers are skipped but bounded, across chunks and in total; up to the
    /// bound they pass.
    #[test]
    fn chunk_extensions_and_trailers_are_bounded() {
        let half = "e".repeat(MAX_EXTENSIONS_AND_TRAILERS / 2 - 8);
        let ok = format!("1;{half}\r\na\r\n0\r\nx-t: {half}\r\n\r\n");
        let mut d = Chunked::default();
        assert_eq!(d.feed(ok.as_bytes(), None).unwrap(), ok.len());
        assert!(d.done());
        let long = "e".repeat(MAX_EXTENSIONS_AND_TRAILERS);
        let blank = " ".repeat(MAX_EXTENSIONS_AND_TRAILERS + 2);
        let zeros = "0".repeat(MAX_EXTENSIONS_AND_TRAILERS + 2);
        for bad in [
            format!("1;{long}\r\na\r\n0\r\n\r\n"),
            format!("0\r\nx-t: {long}\r\n\r\n"),
            format!("1{blank};\r\na\r\n0\r\n\r\n"),
            format!("{zeros}1\r\na\r\n0\r\n\r\n"),
            format!("1;{half}\r\na\r\n1;{half}\r\nb\r\n1;{half}\r\nc\r\n0\r\n\r\n"),
        ] {
            assert!(
                matches!(
                    Chunked::default().feed(bad.as_bytes(), None),
                    Err(H1Error::Malformed(_))
                ),
                "{} bytes",
                bad.len()
            );
        }
    }

    #[test]
    fn chunk_extensions_whitespace_and_trailers_that_are_well_formed_pass() {
        let ok = b"3 ;name=\"v\" \t\r\nabc\r\n0\t;e\r\nx-t: a\tb\r\nx-empty:\r\n\r\n";
        let mut d = Chunked::default();
        assert_eq!(d.feed(ok, None).unwrap(), ok.len());
        assert!(d.done());
    }

    #[test]
    fn content_length_values_are_digits_only() {
        assert_eq!(content_length(b" 42 ", None), Ok(42));
        assert_eq!(content_length(b"42, 42", None), Ok(42));
        for bad in [
            &b"+5"[..],
            b"\xc2\xa05",
            b"5 5",
            b"-1",
            b"",
            b"0x10",
            b"12345678901234567890",
        ] {
            assert!(content_length(bad, None).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(
            content_length(b"5", Some(6)).is_err(),
            "conflicts with an earlier value"
        );
    }

    #[test]
    fn malformed_chunked_bodies_are_errors() {
        for bad in [
            &b"\r\n"[..],
            b"zz\r\n",
            b"5\r\nhelloXY",
            b"5\n",
            b"11111111111111111\r\n",
            b"0\r\n\rX",
            // Where lenient parsers disagree on the end of a message (smuggling):
            b"0\r\n\nGET /admin HTTP/1.1\r\n\r\n",
            b"3;a\nb\r\nabc\r\n0\r\n\r\n",
            b"5 zz\r\nhello\r\n0\r\n\r\n",
            b"0\r\nx-t: a\x00b\r\n\r\n",
            // Whitespace after a size, unless an extension follows.
            b"3 \r\nabc\r\n0\r\n\r\n",
            b"0\t\r\n\r\n",
            // Trailer lines that are no header fields.
            b"0\r\nGET /smuggled HTTP/1.1\r\n\r\n",
            b"0\r\nx-t : 1\r\n\r\n",
            b"0\r\nx-t\r\n\r\n",
            b"0\r\n: 1\r\n\r\n",
            b"0\r\nx-t: 1\r\n folded\r\n\r\n",
            b"0\r\n\tx-t: 1\r\n\r\n",
        ] {
            assert!(
                Chunked::default().feed(bad, None).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    fn parsed(head: &str) -> Parsed {
        parse_head(
            head.as_bytes(),
            true,
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_792_567_680),
        )
        .expect("valid")
        .expect("complete")
    }

    #[test]
    fn framing_and_keep_alive_follow_rfc_9112() {
        let p = parsed("HTTP/1.1 200 OK\r\ncontent-length: 13\r\n\r\n");
        assert_eq!(
            (p.framing, p.keep_alive, p.head.status),
            (Framing::Length(13), true, 200)
        );
        let p = parsed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert_eq!((p.framing, p.keep_alive), (Framing::Chunked, true));
        let p = parsed("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n");
        assert_eq!((p.framing, p.keep_alive), (Framing::Chunked, false));
        let p = parsed("HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(
            p.framing,
            Framing::UntilClose,
            "read until close: never reused (see exchange)"
        );
        let p = parsed("HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!((p.framing, p.keep_alive), (Framing::Empty, true));
        let p = parsed("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, close\r\ncontent-length: 0\r\n\r\n");
        assert!(!p.keep_alive);
        let p = parsed("HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n");
        assert!(!p.keep_alive);
        let p = parsed("HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n");
        assert!(p.keep_alive);
        let p = parsed("HTTP/1.1 200 OK\r\ncontent-length: 4, 4\r\n\r\n");
        assert_eq!(p.framing, Framing::Length(4));
    }

    #[test]
    fn host_and_port_with_default_ports_and_ipv6_literals() {
        let hp = |u: &str| host_port(&u.parse().expect("uri")).map(|(h, p)| (h.to_string(), p));
        assert_eq!(hp("http://svc.internal/x"), Some(("svc.internal".into(), 80)));
        assert_eq!(hp("https://svc.internal/x"), Some(("svc.internal".into(), 443)));
        assert_eq!(hp("http://[::1]:8081/"), Some(("::1".into(), 8081)));
        assert_eq!(hp("/only/a/path"), None);
        // http::Uri accepts a port beyond 65535 as no port: it must not become port 80.
        assert_eq!(hp("http://127.0.0.1:99999/"), None);
        assert_eq!(hp("http://[::1]/"), Some(("::1".into(), 80)));
        assert_eq!(hp("http://127.0.0.1:65535/"), Some(("127.0.0.1".into(), 65535)));
        assert_eq!(host_header("::1", 8081), "[::1]:8081");
        assert_eq!(host_header("127.0.0.1", 80), "127.0.0.1:80");
        let c = H1Client::for_host("::1", 8081, 1, Duration::from_secs(1));
        assert!(c.get("/", 64).starts_with(b"GET / HTTP/1.1\r\nhost: [::1]:8081\r\n"));
    }

    #[test]
    fn retry_after_is_read_from_either_header() {
        let p = parsed("HTTP/1.1 503 x\r\nretry-after: 2\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(p.head.retry_after, Some(Duration::from_secs(2)));
        let p =
            parsed("HTTP/1.1 429 x\r\nRetry-After: 1\r\nX-Spillway-Retry-After-Ms: 250\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(p.head.retry_after, Some(Duration::from_millis(250)));
        // The date form, against the `now` given (2026-10-21T07:28:00Z): an hour from then.
        let p = parsed("HTTP/1.1 429 x\r\nRetry-After: Wed, 21 Oct 2026 08:28:00 GMT\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(p.head.retry_after, Some(Duration::from_secs(3600)));
        // Any value a target sends is read without overflow.
        let p = parsed("HTTP/1.1 429 x\r\nRetry-After: 18446744073709551615\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(p.head.retry_after, Some(Duration::from_secs(u64::MAX)));
        let p = parsed("HTTP/1.1 429 x\r\nRetry-After: 1\r\nretry-after: 3\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(
            p.head.retry_after,
            Some(Duration::from_secs(1)),
            "the first, as hyper's"
        );
        let p = parsed("HTTP/1.1 429 x\r\nRetry-After: soon\r\nRetry-After: 3\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(p.head.retry_after, None, "the first even when unreadable, as hyper's");
        let p = parsed("HTTP/1.1 429 x\r\nRetry-After:\r\n 7\r\ncontent-length: 0\r\n\r\n");
        assert_eq!(p.head.retry_after, Some(Duration::from_secs(7)), "folded");
    }

    #[test]
    fn folded_lines_read_as_one_space_and_long_header_lists_are_bounded() {
        let p = parsed(
            "HTTP/1.1 200 OK\r\nx-a: one \r\n \t two\r\n\tthree\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n",
        );
        let headers = p.headers.expect("asked for");
        assert_eq!(headers.get("x-a").map(|v| v.as_bytes()), Some(&b"one two three"[..]));
        assert_eq!(p.framing, Framing::Chunked);
        assert_eq!(unfold(b"plain"), Cow::Borrowed(b"plain"));
        let head = |n: usize| {
            let mut h = "HTTP/1.1 200 OK\r\n".to_string();
            h.extend((0..n).map(|i| format!("set-cookie: c{i}=1\r\n")));
            h + "\r\n"
        };
        assert_eq!(parsed(&head(MAX_HEADERS)).headers.map(|h| h.len()), Some(MAX_HEADERS));
        assert!(matches!(
            parse_head(head(MAX_HEADERS + 1).as_bytes(), false, SystemTime::UNIX_EPOCH),
            Err(H1Error::Malformed("too many headers"))
        ));
    }

    /// A server that closes a connection holding the request unread: the reset says it never
    /// read a request without a body, but a request with one may have been acted on.
    #[tokio::test]
    async fn a_reset_says_unread_only_for_a_request_without_a_body() {
        for with_body in [false, true] {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let server = tokio::spawn(async move {
                if let Ok((s, _)) = listener.accept().await {
                    let _ = s.peek(&mut [0u8; 1]).await;
                }
            });
            let mut s = TcpStream::connect(addr).await.expect("connect");
            let want = Want {
                idempotent: true,
                with_body,
                bodiless: false,
                collect: None,
            };
            let request = if with_body {
                &b"PUT / HTTP/1.1\r\ncontent-length: 2\r\n\r\nab"[..]
            } else {
                b"GET / HTTP/1.1\r\n\r\n"
            };
            let r = tokio::time::timeout(Duration::from_secs(5), exchange(&mut s, request, want, None))
                .await
                .expect("in time");
            let Err(Failed { error, stale }) = r else {
                panic!("no answer expected")
            };
            let expected = if with_body { Stale::MaybeRead } else { Stale::Unread };
            assert_eq!(stale, Some(expected), "{error}");
            server.abort();
        }
    }

    /// A body announced at 16 MiB is not reserved whole before it comes: a backend that says so
    /// and stalls holds 64 KiB per request in flight, not 16 MiB.
    #[tokio::test]
    async fn an_announced_length_reserves_a_bounded_buffer_ahead() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Accepts and sends nothing: the body never comes.
        let server = tokio::spawn(async move {
            let conn = listener.accept().await;
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(conn);
        });
        let mut s = TcpStream::connect(addr).await.expect("connect");
        let n = 16 * 1024 * 1024;
        let mut body = Body {
            data: Vec::new(),
            max: n,
        };
        let read = read_body(&mut s, Vec::new(), Framing::Length(n as u64), Some(&mut body), None);
        // Waits for bytes that do not come; what it reserved meanwhile stays.
        let r = tokio::time::timeout(Duration::from_millis(200), read).await;
        assert!(r.is_err(), "nothing was sent, yet: {r:?}");
        assert!(
            body.data.capacity() <= RESERVE_AHEAD,
            "{} bytes reserved for a body not yet sent",
            body.data.capacity()
        );
        server.abort();
    }

    /// An answer's body is charged to the gateway's answer memory before it is read: a
    /// Content-Length whole and at once (its buffer never larger), a chunked body as its
    /// buffer grows; one that does not fit is `NoRoom`, the budget left as it was.
    #[tokio::test]
    async fn collected_answers_are_charged_before_they_are_read() {
        use crate::answers::AnswerBudget;
        async fn read(
            framing: Framing,
            wire: Vec<u8>,
            budget: &std::sync::Arc<AnswerBudget>,
        ) -> Result<usize, H1Error> {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = listener.local_addr().expect("addr");
            let server = tokio::spawn(async move {
                let (mut c, _) = listener.accept().await.expect("accept");
                let _ = c.write_all(&wire).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
            let mut s = TcpStream::connect(addr).await.expect("connect");
            let mut body = Body {
                data: Vec::new(),
                max: 1 << 20,
            };
            let mut hold = budget.hold();
            let mut charge = Charge {
                hold: &mut hold,
                wait: Duration::from_millis(50),
            };
            let r = read_body(&mut s, Vec::new(), framing, Some(&mut body), Some(&mut charge)).await;
            server.abort();
            let charged = hold.bytes();
            r.map(|_| {
                assert!(body.data.capacity() <= charged, "{} > {charged}", body.data.capacity());
                charged
            })
        }
        let budget = AnswerBudget::new(300_000);
        let n = 200_000;
        let plain = vec![b'x'; n];
        assert_eq!(
            read(Framing::Length(n as u64), plain.clone(), &budget).await.ok(),
            Some(n)
        );
        let mut chunked = Vec::new();
        for part in plain.chunks(10_000) {
            chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            chunked.extend_from_slice(part);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        let charged = read(Framing::Chunked, chunked.clone(), &budget).await.expect("fits");
        assert!((n..=2 * n).contains(&charged), "{charged}");
        assert_eq!(budget.held(), 0, "given back with the holds");
        // 200 KB of 150 KB: refused, before a byte (Content-Length) or as it grows (chunked).
        let small = AnswerBudget::new(150_000);
        assert!(matches!(
            read(Framing::Length(n as u64), plain, &small).await,
            Err(H1Error::NoRoom(_))
        ));
        assert!(matches!(
            read(Framing::Chunked, chunked, &small).await,
            Err(H1Error::NoRoom(_))
        ));
        assert_eq!(small.held(), 0);
    }

    #[test]
    fn bad_heads_are_errors_not_panics() {
        for bad in [
            "HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999\r\n\r\n",
            "HTTP/1.1 2000 OK\r\n\r\n",
            "HTTP/1.1 000 Zero\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 099 Low\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n 5\r\n\r\n",
            "NOTHTTP\r\n\r\n",
        ] {
            assert!(
                parse_head(bad.as_bytes(), false, SystemTime::UNIX_EPOCH).is_err(),
                "{bad:?}"
            );
        }
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-le", false, SystemTime::UNIX_EPOCH),
            Ok(None)
        ));
    }
}
