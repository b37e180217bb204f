//! A trivial upstream for the gateway's whole-program benchmarks (`bench/gateway-*.sh`): an
//! HTTP/1.1 keep-alive server that answers every request at once with `200` and a 13-byte body,
//! so the upstream's own time is negligible next to the proxy's. With `--hold-ms N` it waits N ms
//! before answering (e.g. a very long hold for the queue-memory benchmark).
//!
//!     cargo run --release -p spillway-reference-gateway --example bench_upstream -- \
//!         --listen 127.0.0.1:9001 [--threads 1] [--hold-ms 0]
//!
//! Prints `listening on ADDR` once bound; stops on SIGTERM / Ctrl-C (or when killed).

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

struct Opts {
    listen: SocketAddr,
    threads: usize,
    hold: Duration,
}

fn parse() -> anyhow::Result<Opts> {
    let mut o = Opts {
        listen: "127.0.0.1:9001".parse()?,
        threads: 1,
        hold: Duration::ZERO,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| anyhow::anyhow!("{a} needs a value"));
        match a.as_str() {
            "--listen" => o.listen = val()?.parse()?,
            "--threads" => o.threads = val()?.parse()?,
            "--hold-ms" => o.hold = Duration::from_millis(val()?.parse()?),
            other => anyhow::bail!("unknown argument `{other}` (--listen ADDR, --threads N, --hold-ms N)"),
        }
    }
    anyhow::ensure!(o.threads >= 1, "--threads must be >= 1");
    Ok(o)
}

async fn answer(_req: Request<Incoming>, hold: Duration) -> Result<Response<Full<Bytes>>, Infallible> {
    if !hold.is_zero() {
        tokio::time::sleep(hold).await;
    }
    let mut r = Response::new(Full::new(Bytes::from_static(b"hello, world\n")));
    r.headers_mut()
        .insert("content-type", http::HeaderValue::from_static("text/plain"));
    Ok(r)
}

async fn serve(o: Opts) -> anyhow::Result<()> {
    let listener = TcpListener::bind(o.listen).await?;
    println!("listening on {}", listener.local_addr()?);
    let _ = std::io::stdout().flush();
    let hold = o.hold;
    let accept = async {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc = service_fn(move |req| answer(req, hold));
                let _ = http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    };
    tokio::select! {
        _ = accept => {}
        _ = mock_legacy::serve::termination_signal() => {}
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let o = parse()?;
    let rt = if o.threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(o.threads)
            .enable_all()
            .build()?
    };
    rt.block_on(serve(o))
}
