//! The gateway's accept loop: a task per connection that speaks HTTP/1.1 through `h1_server`,
//! or h2c (prior knowledge) through hyper when the connection opens with the HTTP/2 preface;
//! and graceful shutdown.
//!
//! Shutdown stops accepting, closes idle connections, lets each connection finish the request it
//! is serving (answered with `connection: close`; h2 connections get a GOAWAY), and waits for
//! them up to the drain timeout.

use crate::answers::AnswerBody;
use crate::handler::{self, Request};
use crate::Gateway;
use bytes::{Buf as _, Bytes};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use mock_legacy::idle::Idle;
use mock_legacy::serve::{RunningServer, ServerLimits};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

/// What every connection task shares.
pub(crate) struct Front {
    pub(crate) gw: Arc<Gateway>,
    pub(crate) limits: ServerLimits,
}

/// Serves the gateway on `listener` until [`RunningServer::shutdown`] (or drop).
pub fn spawn(listener: TcpListener, limits: ServerLimits, gw: Arc<Gateway>) -> io::Result<RunningServer> {
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = oneshot::channel::<()>();
    let drain_timeout = limits.drain_timeout;
    let front = Arc::new(Front { gw, limits });
    let task = tokio::spawn(async move {
        // Every connection holds a receiver: `closed()` completes when the last one has ended.
        let (shutdown, _) = watch::channel(false);
        mock_legacy::serve::accept_until(listener, &mut stopped, |stream, peer| {
            tokio::spawn(connection(stream, peer, front.clone(), shutdown.subscribe()));
        })
        .await;
        shutdown.send_replace(true);
        tokio::select! {
            _ = shutdown.closed() => {}
            _ = tokio::time::sleep(drain_timeout) => {
                tracing::warn!("shutdown: requests still running after the drain timeout");
            }
        }
    });
    Ok(RunningServer::from_parts(addr, stop, task))
}

async fn connection(s: TcpStream, peer: SocketAddr, front: Arc<Front>, mut stop: watch::Receiver<bool>) {
    if let Some((s, read)) = crate::h1_server::serve(s, peer, &front, &mut stop).await {
        // Boxed: hyper's h2 connection is large, and most connections never need it.
        Box::pin(h2c(s, read, peer, &front, &mut stop)).await;
    }
}

/// Request bodies an h2c connection's streams may hold at once, in bodies of the largest size
/// (16 MiB at the default 1 MiB limit): sixteen times what an HTTP/1.1 connection holds,
/// rather than its streams' worth (up to `H2_MAX_CONCURRENT_STREAMS` of them).
pub(crate) const H2C_BODIES_HELD: usize = 16;

/// An h2c (prior knowledge) connection, served by hyper.
async fn h2c(s: TcpStream, read: Vec<u8>, peer: SocketAddr, front: &Front, stop: &mut watch::Receiver<bool>) {
    let gw = front.gw.clone();
    let max_body = front.limits.max_body_bytes;
    let max_headers = front.limits.max_headers;
    // As on HTTP/1.1: a body that stops arriving is answered 408, not waited for forever.
    let body_timeout = front.limits.header_read_timeout * crate::h1_server::BODY_TIMEOUT_FACTOR;
    let idle_read = front.limits.header_read_timeout;
    let held = handler::HeldBodies::new(max_body.saturating_mul(H2C_BODIES_HELD));
    // As an idle HTTP/1.1 keep-alive connection: closed after the idle timeout without a request
    // (hyper's HTTP/2 side has no such timer).
    let idle = Idle::new(true);
    let requests = idle.clone();
    // An answer's stream whose window stays closed this long, or that is not all taken within
    // its time at the minimum pace, is dropped (see `answers::AnswerBody`).
    let stall = front.limits.header_read_timeout;
    let pace = front.gw.shared.answer_limits.min_send_rate;
    // Told when an answer is cut off while hyper holds a piece of it: the connection closes.
    let answers = crate::answers::ConnAnswers::new();
    let conn_answers = answers.clone();
    let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let gw = gw.clone();
        let held = held.clone();
        let conn_answers = conn_answers.clone();
        let in_flight = requests.request();
        async move {
            let _in_flight = in_flight;
            let is_head = req.method() == http::Method::HEAD;
            let mut resp =
                match Request::from_hyper(&gw, req, max_headers, max_body, idle_read, body_timeout, &held).await {
                    // The body's bytes count against the connection until it is answered.
                    Ok((req, _hold)) => handler::handle(gw, req, peer).await,
                    Err(refused) => refused,
                };
            if is_head && !resp.body().is_empty() {
                // The gateway's own answers (an upstream's HEAD answer has no body): hyper's
                // HTTP/2 side would send the content. Only its length, as a GET would have.
                let n = resp.body().len();
                *resp.body_mut() = Bytes::new();
                resp.headers_mut()
                    .entry(http::header::CONTENT_LENGTH)
                    .or_insert(http::HeaderValue::from(n));
            }
            // The answer's bytes stay counted until hyper has taken them, or the stream is gone.
            let held = resp.extensions_mut().remove::<crate::answers::HeldAnswer>();
            Ok::<_, Infallible>(resp.map(|b| AnswerBody::new(b, held, stall, pace, &conn_answers)))
        }
    });
    let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    builder
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(front.limits.max_head_bytes).unwrap_or(u32::MAX))
        // Not hyper's 200: the strategy's concurrency and queue decide, as over HTTP/1.1.
        .max_concurrent_streams(mock_legacy::serve::H2_MAX_CONCURRENT_STREAMS);
    let conn = builder.serve_connection(
        TokioIo::new(Rewind {
            read: Bytes::from(read),
            inner: s,
        }),
        svc,
    );
    // Closed outright: the stalled client takes nothing, a GOAWAY included. Its streams go with
    // it, and with them what hyper held of their answers.
    tokio::select! {
        () = mock_legacy::serve::serve_connection(conn, peer, idle, front.limits.idle_timeout, stop.clone()) => {}
        () = answers.stalled.notified() => {
            tracing::debug!(%peer, "closed an h2c connection: a stream's answer was not taken in time");
        }
    }
}

/// A stream that first replays the bytes already read from it.
struct Rewind {
    read: Bytes,
    inner: TcpStream,
}

impl AsyncRead for Rewind {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.read.is_empty() {
            let n = this.read.len().min(buf.remaining());
            buf.put_slice(&this.read[..n]);
            this.read.advance(n);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
