//! A hardened HTTP/1.1 + h2c accept loop with graceful shutdown, for spillway's servers.
//!
//! hyper answers what it cannot parse itself (400 for a malformed request, 431 for headers past
//! the limits) and closes that connection; the loop keeps accepting. hyper's answer has no
//! body: the connection's stream replaces it with one whose JSON body says why, as the reference
//! gateway's does ([`crate::framing::Framing::refusal`]). A header read timeout
//! stops slowloris clients from holding connections: one that sends nothing at all is closed
//! after it too (hyper's own timer only starts at a connection's first byte), and one that
//! started a request head gets 408 before the close. An HTTP/2 connection that carries no
//! request for the idle timeout is closed with a GOAWAY ([`crate::idle`]; the gateway's h2c
//! connections run through [`serve_connection`] too). [`protocol_refusal`] is what a handler
//! refuses of what hyper lets through (CONNECT, Host and Transfer-Encoding rules, and a request
//! with both Content-Length and Transfer-Encoding, which hyper serves: the connection's bytes
//! are followed to tell which request that was, see [`FramingConflict`]).

use http::header::{HOST, TRANSFER_ENCODING};
use http::{Method, StatusCode, Version};
use hyper::body::{Body, Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

/// A future boxed in the crate that makes it. rustc compiles an async fn's body (a coroutine)
/// again in every crate that awaits it, and with it everything that body awaits: awaiting a
/// server's or a run's start copied the hyper server, the gateway front end or the whole load
/// driver into each test binary and the `spillway` binary. Entry points that do that much return
/// this instead, so their bodies are compiled once, in their own crate.
pub type BoxedFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

use crate::idle::Idle;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// Limits on what a client may send.
#[derive(Clone, Debug)]
pub struct ServerLimits {
    pub max_body_bytes: usize,
    pub max_headers: usize,
    /// Largest request head (request line + headers) in bytes.
    pub max_head_bytes: usize,
    pub header_read_timeout: Duration,
    /// How long a connection may carry no request: an HTTP/2 one, on both servers, and an
    /// HTTP/1.1 keep-alive one on the gateway (hyper, serving mock-legacy's HTTP/1.1, closes
    /// those after the header read timeout).
    pub idle_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            // In the model, where `scenario check` reads them too (a request over them fails
            // every live request).
            max_body_bytes: model::wire::MAX_REQUEST_BODY_BYTES,
            max_headers: model::wire::MAX_REQUEST_HEADERS,
            max_head_bytes: model::wire::MAX_REQUEST_HEAD_BYTES,
            header_read_timeout: Duration::from_secs(10),
            // nginx's keep-alive default.
            idle_timeout: Duration::from_secs(75),
            drain_timeout: Duration::from_secs(5),
        }
    }
}

/// Streams an HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS), on
/// both servers. hyper's default of 200 held a load generator's streams past the 200th in the
/// client, where no backlog, queue or metric saw them: over h2c a mock with a backlog of 300
/// never filled it, and a gateway's bounded queue never shed. HTTP/1.1 has no such limit (one
/// request per connection, as many connections as open files allow), so the two protocols
/// agree when this is far above any backlog or queue a scenario sets: the server's own rules
/// then decide what waits and what is refused. What bounds an h2c connection's memory instead:
/// the streams' bodies (mock-legacy lets each go once read, before the request waits for a
/// worker, and HTTP/2 flow control bounds those still arriving; the gateway, which forwards
/// them, holds at most 16 bodies' worth per connection) and each stream's header list (the
/// head limit).
pub const H2_MAX_CONCURRENT_STREAMS: u32 = 65_536;

/// Accept backlog: a burst of connections (a retry storm) must queue in the kernel, not be
/// dropped and retried by clients after 1 s, 3 s. tokio's default is 128; nginx uses 511.
pub const LISTEN_BACKLOG: u32 = 4096;

/// A `--listen` value: `IP:PORT`, or `HOST:PORT` resolved now (`localhost:8081`; its IPv4
/// address when it has one, as most clients try that first).
pub fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = s
        .to_socket_addrs()
        .map_err(|e| format!("expected IP:PORT or HOST:PORT, e.g. 127.0.0.1:8081 ({e})"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("`{s}` resolves to no address"))
}

/// Binds a listener with [`LISTEN_BACKLOG`] (the kernel caps it at `net.core.somaxconn`).
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// A server running in the background; dropping it also stops it.
pub struct RunningServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RunningServer {
    /// A server run by another accept loop (the gateway's): `stop` ends it, `task` finishes once
    /// it has drained.
    pub fn from_parts(addr: SocketAddr, stop: oneshot::Sender<()>, task: JoinHandle<()>) -> RunningServer {
        RunningServer {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops accepting, lets in-flight requests finish (up to the drain timeout), and waits.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Serves `handler` on `listener` until [`RunningServer::shutdown`] (or drop).
pub fn spawn<F, Fut, B>(listener: TcpListener, limits: ServerLimits, handler: F) -> std::io::Result<RunningServer>
where
    F: Fn(Request<Incoming>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    spawn_counting(listener, limits, Arc::new(AtomicU64::new(0)), handler)
}

/// [`spawn`], counting in `malformed` the requests the HTTP layer refuses before `handler` sees
/// them: HTTP/1 requests hyper cannot parse (it answers 400, or 431 for a head too large).
///
/// On shutdown each connection finishes the requests it is answering (up to the drain timeout);
/// one that answers none (idle, a head or body half sent, an h2c connection with no stream
/// open) is closed once what is ready to go out has had a moment ([`DRAIN_LINGER`]): its
/// half-sent request is dropped. Requests count as answered from the moment hyper hands them
/// to `handler` except while it waits for the client ([`Answering::awaiting_client`]).
pub fn spawn_counting<F, Fut, B>(
    listener: TcpListener,
    limits: ServerLimits,
    malformed: Arc<AtomicU64>,
    handler: F,
) -> std::io::Result<RunningServer>
where
    F: Fn(Request<Incoming>, SocketAddr) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<B>> + Send + 'static,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let addr = listener.local_addr()?;
    // The requests being answered on all connections, for the drain timeout's warning.
    let answering = Arc::new(AtomicUsize::new(0));
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // Each connection holds a receiver: `closed` tells when the last has drained.
        let (shutdown, _) = watch::channel(false);
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_headers(limits.max_headers)
            .max_buf_size(limits.max_head_bytes.max(8192));
        builder
            .http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(limits.max_head_bytes).unwrap_or(u32::MAX))
            .max_concurrent_streams(H2_MAX_CONCURRENT_STREAMS);
        let (timeout, idle_timeout) = (limits.header_read_timeout, limits.idle_timeout);
        accept_until(listener, &mut stopped, |stream, peer| {
            let idle = Idle::new(false);
            let h = handler.clone();
            let requests = idle.clone();
            let work = Answering::new(answering.clone());
            let answers = work.clone();
            // The number of the request that had both Content-Length and Transfer-Encoding
            // (told by the connection's stream), and of requests handed to the service: HTTP/1
            // hands them over one at a time, in order.
            let conflict = Arc::new(AtomicU64::new(0));
            let (told, served) = (conflict.clone(), AtomicU64::new(0));
            let svc = service_fn(move |mut req: Request<Incoming>| {
                let h = h.clone();
                let n = served.fetch_add(1, Ordering::Relaxed) + 1;
                if req.version() < Version::HTTP_2 && n == told.load(Ordering::Relaxed) {
                    req.extensions_mut().insert(FramingConflict);
                }
                let in_flight = requests.request();
                let answering = answers.start();
                req.extensions_mut().insert(answers.clone());
                async move {
                    let resp = h(req, peer).await;
                    drop((in_flight, answering));
                    Ok::<_, Infallible>(resp)
                }
            });
            // hyper's HTTP/1 timer serves only its header read timeout: this one tells the
            // connection's stream when that fired.
            let head_timed_out = Arc::new(AtomicBool::new(false));
            let mut builder = builder.clone();
            builder.http1().timer(HeadTimer(head_timed_out.clone()));
            let framing = crate::framing::Framing::new(limits.max_head_bytes.max(8192), limits.max_headers, conflict)
                .with_max_body(limits.max_body_bytes);
            let io = Watched::new(stream, timeout, head_timed_out, idle.clone(), framing);
            let conn = builder.serve_connection(TokioIo::new(io), svc).into_owned();
            let malformed = malformed.clone();
            // The connection's error type, borrowed as `drive` lends it.
            #[allow(clippy::borrowed_box)]
            let ended = move |e: &Box<dyn std::error::Error + Send + Sync>| {
                match e.downcast_ref::<hyper::Error>() {
                    // hyper answered it (400, or 431 for a head too large) and closes the
                    // connection.
                    Some(h) if h.is_parse() && !h.is_parse_version_h2() => {
                        malformed.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(%peer, "request refused as malformed: {e}");
                    }
                    _ => tracing::debug!(%peer, "connection ended: {e}"),
                }
            };
            let stop = shutdown.subscribe();
            tokio::spawn(drive(conn, peer, idle, idle_timeout, stop, Some(work), ended));
        })
        .await;
        shutdown.send_replace(true);
        tokio::select! {
            _ = shutdown.closed() => {}
            _ = tokio::time::sleep(limits.drain_timeout) => match answering.load(Ordering::Acquire) {
                0 => tracing::debug!("shutdown: connections still closing after the drain timeout"),
                n => tracing::warn!(
                    "shutdown: {n} request(s) still being answered after the {:?} drain timeout: left unanswered",
                    limits.drain_timeout
                ),
            },
        }
    });
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Runs one connection until it ends, the server stops (`stop` turns true), or it has carried no
/// request for `timeout` once `idle` watches it (HTTP/2); the last two end it gracefully (a
/// GOAWAY on HTTP/2). The gateway's h2c connections run here too.
pub async fn serve_connection<C>(conn: C, peer: SocketAddr, idle: Idle, timeout: Duration, stop: watch::Receiver<bool>)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    let ended = |e: &C::Error| tracing::debug!(%peer, "connection ended: {e}");
    drive(conn, peer, idle, timeout, stop, None, ended).await;
}

/// How long a connection answering no request is given on shutdown to send what is ready (an
/// answer just made, a GOAWAY) before it is closed.
pub const DRAIN_LINGER: Duration = Duration::from_millis(100);

/// [`serve_connection`]; with `work`, on shutdown the connection is closed once it answers no
/// request (after [`DRAIN_LINGER`]) instead of waiting for its client. `ended` is told of the
/// error a connection ends with.
async fn drive<C>(
    conn: C,
    peer: SocketAddr,
    idle: Idle,
    timeout: Duration,
    mut stop: watch::Receiver<bool>,
    work: Option<Answering>,
    ended: impl FnOnce(&C::Error),
) where
    C: GracefulConnection,
{
    let mut conn = std::pin::pin!(conn);
    // On shutdown the server's drain timeout bounds the wait; an idle connection's peer gets
    // `timeout` to take part in the GOAWAY exchange.
    let mut bound = None;
    if !*stop.borrow() {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    ended(&e);
                }
                return;
            }
            _ = stop.changed() => {}
            _ = idle.expired(timeout) => {
                tracing::debug!(%peer, "closing an idle HTTP/2 connection");
                bound = Some(timeout);
            }
        }
    }
    conn.as_mut().graceful_shutdown();
    let result = match (bound, work) {
        (Some(t), _) => tokio::time::timeout(t, conn).await.ok(),
        (None, None) => Some(conn.await),
        (None, Some(work)) => loop {
            tokio::select! {
                biased;
                r = conn.as_mut() => break Some(r),
                _ = work.none() => {}
            }
            // Answering nothing: what is ready to go out gets a moment, then the connection
            // closes (a half-sent request is dropped, an h2c client that does not answer the
            // GOAWAY's PING is not waited for).
            match tokio::time::timeout(DRAIN_LINGER, conn.as_mut()).await {
                Ok(r) => break Some(r),
                Err(_) if work.count() == 0 => {
                    tracing::debug!(%peer, "shutdown: closing a connection that answers no request");
                    break Some(Ok(()));
                }
                Err(_) => {}
            }
        },
    };
    match result {
        Some(Err(e)) => ended(&e),
        Some(Ok(())) => {}
        None => tracing::debug!(%peer, "closed an idle connection whose peer did not take part in its GOAWAY"),
    }
}

/// The requests one connection is answering (and, with all connections', the server's): what a
/// shutdown waits for. The server puts it in each request's extensions; a handler marks the
/// time it waits for the client (a request body that may never come) with
/// [`Answering::awaiting_client`], which a shutdown does not wait out.
#[derive(Clone, Debug)]
pub struct Answering {
    conn: Arc<watch::Sender<usize>>,
    server: Arc<AtomicUsize>,
}

/// A request counted by [`Answering`] until dropped.
#[derive(Debug)]
#[must_use]
pub struct AnsweringGuard(Answering);

/// A request not counted by [`Answering`] until dropped (see [`Answering::awaiting_client`]).
#[derive(Debug)]
#[must_use]
pub struct AwaitingClient(Answering);

impl Answering {
    fn new(server: Arc<AtomicUsize>) -> Answering {
        Answering {
            conn: Arc::new(watch::channel(0).0),
            server,
        }
    }

    fn add(&self) {
        self.conn.send_modify(|n| *n += 1);
        self.server.fetch_add(1, Ordering::AcqRel);
    }

    fn sub(&self) {
        self.conn.send_modify(|n| *n = n.saturating_sub(1));
        self.server.fetch_sub(1, Ordering::AcqRel);
    }

    fn start(&self) -> AnsweringGuard {
        self.add();
        AnsweringGuard(self.clone())
    }

    /// The request that carries this (in its extensions) waits for its client until the
    /// guard is dropped: a shutdown may close its connection meanwhile.
    pub fn awaiting_client(&self) -> AwaitingClient {
        self.sub();
        AwaitingClient(self.clone())
    }

    fn count(&self) -> usize {
        *self.conn.borrow()
    }

    /// Resolves while the connection answers no request.
    async fn none(&self) {
        let mut rx = self.conn.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }
}

impl Drop for AnsweringGuard {
    fn drop(&mut self) {
        self.0.sub();
    }
}

impl Drop for AwaitingClient {
    fn drop(&mut self) {
        self.0.add();
    }
}

/// The answer to a client whose request head did not arrive within the header read timeout.
const HEAD_TIMEOUT_ANSWER: &[u8] = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n\
content-length: 58\r\nconnection: close\r\n\r\n\
{\"error\":\"request head not received in time\",\"status\":408}";

/// The HTTP/2 connection preface (RFC 9113 section 3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A connection's socket as hyper sees it, watched for what hyper does not watch: a client that
/// connects and sends nothing (hyper's header read timeout only starts once hyper knows the
/// protocol, that is, at the first bytes), and a request head that times out (hyper closes
/// without a word; this answers 408 once hyper has let go of the socket).
struct Watched {
    /// `None` once handed to the task that answers 408.
    s: Option<TcpStream>,
    /// Until the first bytes tell HTTP/1 from HTTP/2: when the connection is closed.
    first: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Bytes of the HTTP/2 preface seen so far.
    preface: usize,
    /// Bytes have been read since the last answer was written: a request is under way.
    started: bool,
    /// The peer closed, or the socket failed.
    ended: bool,
    /// hyper's header read timeout fired (set by [`HeadTimer`]).
    head_timed_out: Arc<AtomicBool>,
    /// Told when the connection turns out to be HTTP/2, which hyper does not time out idle.
    idle: Idle,
    /// Follows the HTTP/1 requests' framing (see [`FramingConflict`]), and says why hyper
    /// refused a request.
    framing: crate::framing::Framing,
    /// An answer written in place of hyper's bodiless refusal, and how much of it has gone.
    replaced: Vec<u8>,
    replaced_sent: usize,
}

impl Watched {
    fn new(
        s: TcpStream,
        first_byte_timeout: Duration,
        head_timed_out: Arc<AtomicBool>,
        idle: Idle,
        framing: crate::framing::Framing,
    ) -> Watched {
        Watched {
            s: Some(s),
            first: Some(Box::pin(tokio::time::sleep(first_byte_timeout))),
            preface: 0,
            started: false,
            ended: false,
            head_timed_out,
            idle,
            framing,
            replaced: Vec::new(),
            replaced_sent: 0,
        }
    }

    /// Sends what is left of a replaced answer; ready once it has all gone.
    fn poll_replaced(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.replaced_sent < self.replaced.len() {
            let s = self.s.as_mut().ok_or(io::ErrorKind::NotConnected)?;
            let n = ready!(Pin::new(s).poll_write(cx, &self.replaced[self.replaced_sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.replaced_sent += n;
        }
        if !self.replaced.is_empty() {
            self.replaced = Vec::new();
            self.replaced_sent = 0;
        }
        Poll::Ready(Ok(()))
    }

    /// Takes hyper's bodiless refusal `auto` (at the start of what it writes) and writes the
    /// answer with a body in its place; ready with the bytes of hyper's taken.
    fn poll_replace(&mut self, cx: &mut Context<'_>, auto: AutoAnswer<'_>) -> Poll<io::Result<usize>> {
        let refused = self.framing.refusal(auto.status);
        tracing::debug!(status = auto.status, "refused: {}", refused.why);
        self.replaced = refusal_answer(&refused, auto.date);
        self.replaced_sent = 0;
        self.started = false;
        // What does not go at once goes before anything else, and at the flush.
        match self.poll_replaced(cx) {
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            _ => Poll::Ready(Ok(auto.len)),
        }
    }

    fn stream(&mut self) -> io::Result<&mut TcpStream> {
        self.s.as_mut().ok_or_else(|| io::ErrorKind::NotConnected.into())
    }

    /// Follows the first bytes until they tell HTTP/1 (a byte off the preface) from HTTP/2 (the
    /// whole preface): hyper's timers take over from there. HTTP/1 requests' framing is
    /// followed throughout.
    fn saw(&mut self, bytes: &[u8]) {
        self.started = true;
        self.framing.feed(bytes);
        for &b in bytes {
            if self.first.is_none() {
                return;
            }
            if b == H2_PREFACE[self.preface] {
                self.preface += 1;
                if self.preface == H2_PREFACE.len() {
                    self.first = None;
                    self.idle.watch();
                    self.framing.stop();
                }
            } else {
                self.first = None;
            }
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let s = this.stream()?;
        match Pin::new(s).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let filled = buf.filled();
                if filled.len() == before {
                    this.ended = true;
                } else {
                    this.saw(&filled[before..]);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => {
                this.ended = true;
                Poll::Ready(Err(e))
            }
            Poll::Pending => {
                if let Some(first) = this.first.as_mut() {
                    if first.as_mut().poll(cx).is_ready() {
                        this.ended = true;
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "no request within the header read timeout",
                        )));
                    }
                }
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_replaced(cx))?;
        if let Some(auto) = auto_answer(buf) {
            return this.poll_replace(cx, auto);
        }
        // hyper's refusal behind the end of an answer it had not sent yet: that end first.
        let buf = match auto_answer_at_end(buf) {
            Some(at) => &buf[..at],
            None => buf,
        };
        let n = ready!(Pin::new(this.stream()?).poll_write(cx, buf))?;
        if n > 0 {
            this.started = false;
        }
        Poll::Ready(Ok(n))
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_replaced(cx))?;
        // hyper queues each part of its output apart: its refusal's head is one of them.
        let first = bufs.iter().position(|b| !b.is_empty()).unwrap_or(bufs.len());
        if let Some(auto) = bufs.get(first).and_then(|b| auto_answer(b)) {
            return this.poll_replace(cx, auto);
        }
        let end = bufs
            .iter()
            .skip(first + 1)
            .position(|b| auto_answer(b).is_some())
            .map_or(bufs.len(), |k| first + 1 + k);
        let n = ready!(Pin::new(this.stream()?).poll_write_vectored(cx, &bufs[..end]))?;
        if n > 0 {
            this.started = false;
        }
        Poll::Ready(Ok(n))
    }
    fn is_write_vectored(&self) -> bool {
        self.s.as_ref().is_some_and(|s| s.is_write_vectored())
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replaced(cx))?;
        Pin::new(this.stream()?).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_replaced(cx))?;
        Pin::new(this.stream()?).poll_shutdown(cx)
    }
}

/// hyper's answer to a request it refuses itself: a 400, 414 or 431 head with no body and no
/// header but `connection: close`, `content-length: 0` and `date` (an answer of the handler's
/// always has more), `len` bytes long.
#[derive(Debug, PartialEq)]
struct AutoAnswer<'a> {
    status: u16,
    len: usize,
    date: Option<&'a [u8]>,
}

/// hyper's refusal ([`AutoAnswer`]) at the start of `buf`, if it is there whole.
fn auto_answer(buf: &[u8]) -> Option<AutoAnswer<'_>> {
    if !buf.starts_with(b"HTTP/1.1 4") {
        return None;
    }
    let mut slots = [httparse::EMPTY_HEADER; 4];
    let mut r = httparse::Response::new(&mut slots);
    let Ok(httparse::Status::Complete(len)) = r.parse(buf) else {
        return None;
    };
    let status = r.code.filter(|c| matches!(c, 400 | 414 | 431))?;
    let (mut close, mut empty, mut date) = (false, false, None);
    for h in r.headers.iter() {
        match h.name {
            "connection" if h.value == b"close" => close = true,
            "content-length" if h.value == b"0" => empty = true,
            "date" => date = Some(h.value),
            _ => return None,
        }
    }
    (close && empty).then_some(AutoAnswer { status, len, date })
}

/// Where hyper's refusal begins when it ends `buf`, behind other bytes (it is the last thing
/// hyper writes on a connection). Only the end is searched: the refusal is short.
fn auto_answer_at_end(buf: &[u8]) -> Option<usize> {
    let from = buf.len().saturating_sub(256);
    (from + 1..buf.len())
        .filter(|&i| buf[i..].starts_with(b"HTTP/1.1 4"))
        .find(|&i| auto_answer(&buf[i..]).is_some_and(|a| a.len == buf.len() - i))
}

/// The answer to a request hyper refused, with a JSON body that says why, as the reference
/// gateway's; none for a HEAD request (its length is still given).
fn refusal_answer(r: &crate::framing::Refused, date: Option<&[u8]>) -> Vec<u8> {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_REQUEST);
    let body = serde_json::json!({ "error": r.why, "status": r.status }).to_string();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len()
    )
    .into_bytes();
    if let Some(d) = date {
        out.extend_from_slice(b"date: ");
        out.extend_from_slice(d);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !r.head {
        out.extend_from_slice(body.as_bytes());
    }
    out
}

impl Drop for Watched {
    fn drop(&mut self) {
        // hyper let go after its header read timeout, a request head under way: answer 408
        // (a connection idle between requests times out the same way, and is closed silently).
        if !self.head_timed_out.load(Ordering::Relaxed) || !self.started || self.ended {
            return;
        }
        if let (Some(s), Ok(rt)) = (self.s.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(answer_head_timeout(s));
        }
    }
}

/// Writes the 408, closes, and reads what the client still sends for a moment (closing with
/// unread bytes resets the connection, which can destroy the answer before it is read).
async fn answer_head_timeout(mut s: TcpStream) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        s.write_all(HEAD_TIMEOUT_ANSWER).await?;
        s.shutdown().await
    })
    .await;
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        let mut sink = [0u8; 1024];
        for _ in 0..64 {
            match s.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
}

/// hyper's HTTP/1 timer (tokio's), which also records that a sleep ended: hyper uses it for the
/// header read timeout alone.
#[derive(Clone)]
struct HeadTimer(Arc<AtomicBool>);

impl hyper::rt::Timer for HeadTimer {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HeadSleep {
            sleep: Box::pin(tokio::time::sleep(d)),
            fired: self.0.clone(),
        })
    }
    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HeadSleep {
            sleep: Box::pin(tokio::time::sleep_until(deadline.into())),
            fired: self.0.clone(),
        })
    }
    fn now(&self) -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }
}

struct HeadSleep {
    sleep: Pin<Box<tokio::time::Sleep>>,
    fired: Arc<AtomicBool>,
}

impl Future for HeadSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        ready!(self.sleep.as_mut().poll(cx));
        self.fired.store(true, Ordering::Relaxed);
        Poll::Ready(())
    }
}

impl hyper::rt::Sleep for HeadSleep {}

/// Marks an HTTP/1 request that came with both Content-Length and Transfer-Encoding. hyper frames
/// it by the Transfer-Encoding and drops the Content-Length, so the handler cannot see it; the
/// server follows each connection's bytes to tell which request it was, and marks it in the
/// request's extensions. [`protocol_refusal`] refuses it 400, as the gateway does (RFC 9112
/// section 6.3: an error; hyper closes the connection after the answer).
#[derive(Clone, Copy, Debug)]
pub struct FramingConflict;

/// What a server refuses of a request hyper has parsed, before reading its body: the status and
/// why. CONNECT (501: these servers are no tunnels); a request marked [`FramingConflict`] (400);
/// other methods outside `Allow` (501); on
/// HTTP/1, a missing Host (HTTP/1.1), two, or an invalid one (400, RFC 9112 section 3.2); a
/// transfer coding other than chunked (501), chunked twice or in HTTP/1.0 (400), as RFC 9112
/// section 6 says. Refused requests must close their connection: their bodies are not read.
pub fn protocol_refusal<B>(req: &Request<B>) -> Option<(StatusCode, String)> {
    if req.method() == Method::CONNECT {
        return Some((
            StatusCode::NOT_IMPLEMENTED,
            "CONNECT is not supported: this server is not a proxy".into(),
        ));
    }
    if req.extensions().get::<FramingConflict>().is_some() {
        return Some((
            StatusCode::BAD_REQUEST,
            "both transfer-encoding and content-length".into(),
        ));
    }
    // Every API answers the methods of `Allow` alike; TRACE (which echoes the request, headers
    // and all) or a made-up method is none of a legacy service's.
    if !model::wire::allowed_method(req.method().as_str()) {
        return Some((
            StatusCode::NOT_IMPLEMENTED,
            format!("method {} is not served: one of {}", req.method(), model::wire::ALLOW),
        ));
    }
    let bad = |why: &str| Some((StatusCode::BAD_REQUEST, why.to_string()));
    // The asterisk form is for OPTIONS alone (RFC 9112 section 3.2.4); an absolute form must
    // name an http(s) resource: `GET *` and `GET ftp://...` are no requests for this server.
    // (Over HTTP/2 the asterisk arrives as the `:path` of a URI with a scheme and authority.)
    if req.uri().path() == "*" && req.method() != Method::OPTIONS {
        return bad("request target: the asterisk `*` is for OPTIONS only");
    }
    if let Some(scheme) = req.uri().scheme_str() {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return bad(&format!("request target: `{scheme}://` is not an http(s) URL"));
        }
    } else if let Some(authority) = req.uri().authority() {
        // The authority form (`GET host:port`) is CONNECT's alone (section 3.2.3), which no
        // legacy service serves: `GET nowhere` names no resource here.
        return bad(&format!(
            "request target: `{authority}` is neither a path (`/...`) nor an http(s) URL"
        ));
    }
    if req.version() >= Version::HTTP_2 {
        return None;
    }
    let mut chunked = false;
    for v in req.headers().get_all(TRANSFER_ENCODING) {
        if req.version() < Version::HTTP_11 {
            return bad("transfer-encoding in an HTTP/1.0 request");
        }
        for coding in v.as_bytes().split(|&b| b == b',').map(<[u8]>::trim_ascii) {
            if coding.is_empty() {
                continue;
            }
            if !coding.eq_ignore_ascii_case(b"chunked") {
                return Some((
                    StatusCode::NOT_IMPLEMENTED,
                    "unsupported transfer-encoding: only chunked is understood".into(),
                ));
            }
            if std::mem::replace(&mut chunked, true) {
                return bad("transfer-encoding: chunked more than once");
            }
        }
    }
    let mut hosts = req.headers().get_all(HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) if req.version() == Version::HTTP_11 => bad("missing Host header"),
        (None, _) => None,
        (Some(_), Some(_)) => bad("more than one Host header"),
        (Some(h), None) if !model::wire::valid_host(h.as_bytes()) => bad("invalid Host header"),
        (Some(_), None) => None,
    }
}

/// Accepts connections (TCP_NODELAY set) and hands each to `on_conn` until `stop` fires (or
/// its sender is dropped), then closes the listener.
pub async fn accept_until(
    listener: TcpListener,
    stop: &mut oneshot::Receiver<()>,
    mut on_conn: impl FnMut(tokio::net::TcpStream, SocketAddr),
) {
    let mut failures = AcceptFailures::default();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    failures.recovered();
                    let _ = stream.set_nodelay(true);
                    on_conn(stream, peer);
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    failures.failed(&e, std::time::Instant::now());
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = &mut *stop => break,
        }
    }
}

/// Failed accepts, logged at most once per [`AcceptFailures::EVERY`]: out of file descriptors,
/// a server retries every 20 ms, and a warning each time flooded the log (236 lines in 5 s).
#[derive(Default)]
struct AcceptFailures {
    /// Failures since the last warning.
    unlogged: u64,
    last_warning: Option<std::time::Instant>,
    /// Failures since the last accept that worked.
    streak: u64,
    /// A failure of the streak was warned of (its end is then said too).
    streak_warned: bool,
}

impl AcceptFailures {
    const EVERY: Duration = Duration::from_secs(10);

    /// Whether this failure is warned of (the first, then one per period, with the count).
    fn failed(&mut self, e: &std::io::Error, now: std::time::Instant) -> bool {
        self.streak += 1;
        self.unlogged += 1;
        if self.last_warning.is_some_and(|t| now.duration_since(t) < Self::EVERY) {
            return false;
        }
        if self.unlogged > 1 {
            tracing::warn!(
                "accept failed: {e} ({} failures in the last {} s; retrying every 20 ms)",
                self.unlogged,
                Self::EVERY.as_secs()
            );
        } else {
            tracing::warn!(
                "accept failed: {e} (retrying every 20 ms; repeats are summed every {} s)",
                Self::EVERY.as_secs()
            );
        }
        self.unlogged = 0;
        self.last_warning = Some(now);
        self.streak_warned = true;
        true
    }

    /// An accept worked: the end of a streak that was warned of is said (whether it was is
    /// returned). The period is kept: when descriptors run out now and then, failures and
    /// successes alternate, and resetting it here made every failure a first one (2,323
    /// warnings and as many "accepting again" lines in 90 s).
    fn recovered(&mut self) -> bool {
        let said = self.streak_warned;
        if said {
            tracing::info!("accepting connections again after {} failed accepts", self.streak);
        }
        self.streak = 0;
        self.streak_warned = false;
        said
    }
}

#[cfg(test)]
mod accept_tests {
    use super::*;

    #[test]
    fn accept_failures_are_warned_once_per_period() {
        let e = std::io::Error::other("too many open files");
        let t0 = std::time::Instant::now();
        let mut f = AcceptFailures::default();
        let warned: Vec<bool> = (0..500u64)
            .map(|i| f.failed(&e, t0 + Duration::from_millis(20 * i)))
            .collect();
        // 10 s of failures every 20 ms: the first, and one when the period is over.
        assert_eq!(warned.iter().filter(|w| **w).count(), 1);
        assert!(f.failed(&e, t0 + Duration::from_secs(10)));
        assert_eq!(f.streak, 501);
        assert!(f.recovered(), "the end of a warned streak is said");
        assert_eq!((f.streak, f.unlogged), (0, 0));
        // A new streak inside the period is summed into the next warning, not warned at once.
        assert!(!f.failed(&e, t0 + Duration::from_secs(11)));
        assert!(!f.recovered(), "nothing was warned of this streak");
        assert!(f.failed(&e, t0 + Duration::from_millis(20_001)));
        assert_eq!(f.unlogged, 0);
    }

    /// Descriptors that run out now and then make accepts fail and work by turns: still one
    /// warning (and one "accepting again") per period, not one per failure.
    #[test]
    fn failures_between_successes_are_warned_once_per_period() {
        let e = std::io::Error::other("too many open files");
        let t0 = std::time::Instant::now();
        let mut f = AcceptFailures::default();
        let (mut warned, mut said) = (0, 0);
        for i in 0..1000u64 {
            warned += u32::from(f.failed(&e, t0 + Duration::from_millis(30 * i)));
            said += u32::from(f.recovered());
        }
        // 30 s: a warning at 0, 10 and 20 s.
        assert_eq!((warned, said), (3, 3));
    }
}

/// Runs `drain` (a server's graceful shutdown) unless another Ctrl-C or SIGTERM comes first: an
/// operator who signals again does not want to wait out the drain timeout.
pub async fn drain_unless_signalled_again(drain: impl Future<Output = ()>, signals: &mut TerminationSignals) {
    tokio::select! {
        _ = drain => {}
        _ = signals.recv() => {
            tracing::warn!("signalled again: stopping at once, without answering requests still in flight");
        }
    }
}

/// Ctrl-C and SIGTERM, listened for from creation on. A server makes it before it says it is
/// listening (a signal before that would end the process the default way, unlogged) and keeps
/// it across both waits of a shutdown: a second signal that comes while the first is being
/// handled is still seen, where a new listener for the second wait would miss it.
pub struct TerminationSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl TerminationSignals {
    /// Starts listening (inside a tokio runtime).
    pub fn new() -> TerminationSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let listen = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!("cannot listen for {name} ({e}): it will not stop the server gracefully");
                    None
                }
            };
            TerminationSignals {
                interrupt: listen(SignalKind::interrupt(), "Ctrl-C (SIGINT)"),
                terminate: listen(SignalKind::terminate(), "SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        TerminationSignals {}
    }

    /// Completes on the next Ctrl-C or SIGTERM (at once for one that came since the last call).
    pub async fn recv(&mut self) {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = next(&mut self.interrupt) => {}
                _ = next(&mut self.terminate) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

impl Default for TerminationSignals {
    fn default() -> Self {
        TerminationSignals::new()
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn termination_signal() {
    TerminationSignals::new().recv().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--listen` takes a host name as well as an address; nonsense is refused, saying the form.
    #[test]
    fn listen_takes_an_address_or_a_host() {
        assert_eq!(listen_addr("127.0.0.1:0"), Ok("127.0.0.1:0".parse().unwrap()));
        assert_eq!(listen_addr("[::1]:8081"), Ok("[::1]:8081".parse().unwrap()));
        let local = listen_addr("localhost:8081").expect("localhost resolves");
        assert!(local.ip().is_loopback() && local.port() == 8081, "{local}");
        for bad in ["localhost", "127.0.0.1:99999", ":80"] {
            let e = listen_addr(bad).unwrap_err();
            assert!(
                e.contains("IP:PORT or HOST:PORT") || e.contains("resolves to no address"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn the_408_answer_says_its_own_length() {
        let text = std::str::from_utf8(HEAD_TIMEOUT_ANSWER).expect("ASCII");
        let (head, body) = text.split_once("\r\n\r\n").expect("a head");
        let length = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.parse::<usize>().ok());
        assert_eq!(length, Some(body.len()));
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok(), "{body}");
    }

    /// The README gave the 408 for a head not received in time among the answers with no body;
    /// it carries a JSON body, which the README now quotes as sent.
    #[test]
    fn the_readme_gives_the_408_answer_as_sent() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).expect("README");
        let section = readme
            .split("### mock-legacy")
            .nth(1)
            .and_then(|s| s.split("\n### ").next())
            .expect("the README's mock-legacy section");
        let text = std::str::from_utf8(HEAD_TIMEOUT_ANSWER).expect("ASCII");
        let (_, body) = text.split_once("\r\n\r\n").expect("a head");
        let flat = section.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&format!("`408` with the JSON body `{body}`")), "{flat}");
        let no_body = flat.split("has no body").nth(1).expect("what has no body");
        let no_body = no_body.split(". ").next().unwrap_or_default();
        assert!(!no_body.contains("408"), "{no_body}");
    }

    #[test]
    fn protocol_refusals() {
        let req = |version: Version, method: Method, headers: &[(&str, &str)]| {
            let mut b = Request::builder().version(version).method(method).uri("/a");
            for (k, v) in headers {
                b = b.header(*k, *v);
            }
            b.body(()).expect("request")
        };
        let status = |r: Request<()>| protocol_refusal(&r).map(|(s, _)| s.as_u16());
        let h11 = Version::HTTP_11;
        assert_eq!(status(req(h11, Method::GET, &[("host", "a")])), None);
        assert_eq!(status(req(Version::HTTP_10, Method::GET, &[])), None);
        // Methods outside `Allow`: none of a service's work.
        for m in ["TRACE", "FOO", "PROPFIND"] {
            let m = Method::from_bytes(m.as_bytes()).expect("a method token");
            assert_eq!(status(req(h11, m, &[("host", "a")])), Some(501));
        }
        for m in model::wire::ALLOW.split(", ") {
            let m = Method::from_bytes(m.as_bytes()).expect("a method token");
            assert_eq!(status(req(h11, m, &[("host", "a")])), None);
        }
        assert_eq!(
            status(req(Version::HTTP_2, Method::GET, &[])),
            None,
            "h2 has :authority"
        );
        assert_eq!(status(req(Version::HTTP_2, Method::CONNECT, &[])), Some(501));
        assert_eq!(status(req(h11, Method::CONNECT, &[("host", "a")])), Some(501));
        assert_eq!(status(req(h11, Method::GET, &[])), Some(400));
        assert_eq!(
            status(req(h11, Method::GET, &[("host", "a"), ("host", "a")])),
            Some(400)
        );
        assert_eq!(status(req(h11, Method::GET, &[("host", "a b")])), Some(400));
        let te = |v: &[&str]| {
            let mut h = vec![("host", "a")];
            h.extend(v.iter().map(|v| ("transfer-encoding", *v)));
            status(req(h11, Method::POST, &h))
        };
        assert_eq!(te(&["chunked"]), None);
        assert_eq!(te(&["Chunked "]), None);
        assert_eq!(te(&["gzip, chunked"]), Some(501));
        assert_eq!(te(&["identity", "chunked"]), Some(501));
        assert_eq!(te(&["chunked", "chunked"]), Some(400));
        assert_eq!(te(&["chunked, chunked"]), Some(400));
        assert_eq!(
            status(req(Version::HTTP_10, Method::POST, &[("transfer-encoding", "chunked")])),
            Some(400)
        );
        let target = |method: Method, uri: &str| {
            let r = Request::builder()
                .method(method)
                .uri(uri)
                .header("host", "a")
                .body(())
                .expect("request");
            protocol_refusal(&r).map(|(s, why)| (s.as_u16(), why))
        };
        assert_eq!(target(Method::OPTIONS, "*"), None);
        // HTTP/2's form of the asterisk: scheme, authority and `*` as the path.
        let h2 = Request::builder()
            .version(Version::HTTP_2)
            .method(Method::GET)
            .uri(
                http::Uri::from_parts({
                    let mut p = http::uri::Parts::default();
                    p.scheme = Some(http::uri::Scheme::HTTP);
                    p.authority = Some(http::uri::Authority::from_static("a"));
                    p.path_and_query = Some(http::uri::PathAndQuery::from_static("*"));
                    p
                })
                .expect("uri"),
            )
            .body(())
            .expect("request");
        assert_eq!(protocol_refusal(&h2).map(|(s, _)| s.as_u16()), Some(400));
        assert_eq!(target(Method::GET, "http://a/x"), None);
        assert_eq!(target(Method::GET, "HTTPS://a/x"), None);
        let (code, why) = target(Method::GET, "*").expect("refused");
        assert_eq!(code, 400);
        assert!(why.contains("for OPTIONS only"), "{why}");
        let (code, why) = target(Method::GET, "ftp://a/x").expect("refused");
        assert_eq!(code, 400);
        assert!(why.contains("`ftp://` is not an http(s) URL"), "{why}");
        // The authority form, CONNECT's: it names no resource.
        let (code, why) = target(Method::GET, "nowhere").expect("refused");
        assert_eq!(code, 400);
        assert!(why.contains("`nowhere` is neither a path"), "{why}");
        assert_eq!(target(Method::GET, "/nowhere"), None);
    }
}
