//! A hardened HTTP/1.1 + h2c accept loop with graceful shutdown, for spillway's servers.
//!
//! hyper answers what it cannot parse itself (400 for a malformed request, 431 for headers past
//! the limits) and closes that connection; the loop keeps accepting. A header read timeout
//! stops slowloris clients from holding connections.

use hyper::body::{Body, Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Limits on what a client may send.
#[derive(Clone, Debug)]
pub struct ServerLimits {
    pub max_body_bytes: usize,
    pub max_headers: usize,
    /// Largest request head (request line + headers) in bytes.
    pub max_head_bytes: usize,
    pub header_read_timeout: Duration,
    /// How long shutdown waits for in-flight requests.
    pub drain_timeout: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_body_bytes: 1 << 20,
            max_headers: 100,
            max_head_bytes: 16 * 1024,
            header_read_timeout: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(5),
        }
    }
}

/// Accept backlog: a burst of connections (a retry storm) must queue in the kernel, not be
/// dropped and retried by clients after 1 s, 3 s. tokio's default is 128; nginx uses 511.
pub const LISTEN_BACKLOG: u32 = 4096;

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
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let graceful = GracefulShutdown::new();
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
            .max_header_list_size(u32::try_from(limits.max_head_bytes).unwrap_or(u32::MAX));
        accept_until(listener, &mut stopped, |stream, peer| {
            let h = handler.clone();
            let svc = service_fn(move |req| {
                let h = h.clone();
                async move { Ok::<_, Infallible>(h(req, peer).await) }
            });
            let conn = builder.serve_connection(TokioIo::new(stream), svc).into_owned();
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
            });
        })
        .await;
        tokio::select! {
            _ = graceful.shutdown() => {}
            _ = tokio::time::sleep(limits.drain_timeout) => tracing::warn!("shutdown: in-flight requests still running after the drain timeout"),
        }
    });
    Ok(RunningServer {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

/// Accepts connections (TCP_NODELAY set) and hands each to `on_conn` until `stop` fires (or
/// its sender is dropped), then closes the listener.
pub async fn accept_until(
    listener: TcpListener,
    stop: &mut oneshot::Receiver<()>,
    mut on_conn: impl FnMut(tokio::net::TcpStream, SocketAddr),
) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    on_conn(stream, peer);
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            _ = &mut *stop => break,
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn termination_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
