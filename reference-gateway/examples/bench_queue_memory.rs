//! Memory-per-queued-request driver for `bench/gateway-queue-memory.sh`.
//!
//! Expects a running `spillway gateway --strategy fifo --concurrency 1` (its address and PID)
//! in front of an upstream that does not answer for a long time. It
//! 1. sends one warm-up request, which takes the single concurrency slot and stays in flight;
//! 2. reads the gateway's VmRSS ("before");
//! 3. sends N requests: `h1` one HTTP/1.1 request on each of N new connections (written as soon
//!    as each connects), `h2` N h2c (prior-knowledge) streams over `--h2-conns` connections
//!    (hyper's server allows 200 concurrent streams per connection), whose VmRSS is read once they
//!    are open and before any stream ("connections open");
//! 4. waits until /metrics shows `spillway_gateway_queue_depth` = N, reads VmRSS ("queued").
//!
//! Prints one markdown table row: (queued - before) / queued is the figure asked for; for h2c
//! the split into the connection share and the request share shows where the memory goes.
//! With `--plain` the target is a trivial HTTP/1.1 server (a reference for hyper's own cost per
//! connection): no /metrics, accepted connections are counted instead. Every wait is bounded;
//! the connections close when the program exits.
//!
//!     cargo run --release -p spillway-reference-gateway --example bench_queue_memory -- \
//!         --gateway 127.0.0.1:9080 --pid PID --n 10000 --mode h1

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

#[derive(PartialEq)]
enum Mode {
    H1,
    H2,
}

struct Opts {
    gateway: SocketAddr,
    pid: u32,
    n: usize,
    mode: Mode,
    h2_conns: usize,
    header: bool,
    /// The target is a plain HTTP/1.1 server without /metrics (a reference): count accepted
    /// connections instead of the queue gauge.
    plain: bool,
}

fn parse() -> anyhow::Result<Opts> {
    let mut o = Opts {
        gateway: "127.0.0.1:9080".parse()?,
        pid: 0,
        n: 10_000,
        mode: Mode::H1,
        h2_conns: 50,
        header: false,
        plain: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| anyhow::anyhow!("{a} needs a value"));
        match a.as_str() {
            "--gateway" => o.gateway = val()?.parse()?,
            "--pid" => o.pid = val()?.parse()?,
            "--n" => o.n = val()?.parse()?,
            "--mode" => {
                o.mode = match val()?.as_str() {
                    "h1" => Mode::H1,
                    "h2" => Mode::H2,
                    m => anyhow::bail!("--mode h1 or h2, got `{m}`"),
                }
            }
            "--h2-conns" => o.h2_conns = val()?.parse()?,
            "--print-header" => o.header = true,
            "--plain" => o.plain = true,
            other => anyhow::bail!(
                "unknown argument `{other}` (--gateway ADDR --pid PID --n N --mode h1|h2 --h2-conns K --print-header)"
            ),
        }
    }
    anyhow::ensure!(o.pid > 0, "--pid PID of the gateway is required");
    anyhow::ensure!(!(o.plain && o.mode == Mode::H2), "--plain is for --mode h1 only");
    anyhow::ensure!(o.n >= 1 && o.n <= 50_000, "--n must be in [1, 50000]");
    anyhow::ensure!(o.h2_conns >= 1, "--h2-conns must be >= 1");
    Ok(o)
}

fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS in /proc/{pid}/status"))
}

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

async fn gauge(client: &mock_legacy::testing::HttpClient, url: &str, name: &str) -> Option<f64> {
    let r = mock_legacy::testing::get(client, url).await.ok()?;
    mock_legacy::testing::metric(&r.body, name, "service=\"default\"")
}

/// Waits (bounded) until `cond` holds, polling every 100 ms.
async fn wait_for<F, Fut>(what: &str, limit: Duration, mut cond: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let until = Instant::now() + limit;
    while !cond().await {
        anyhow::ensure!(Instant::now() < until, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let o = parse()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(run(o))
}

async fn run(o: Opts) -> anyhow::Result<()> {
    let metrics_url = format!("http://{}/metrics", o.gateway);
    let client = mock_legacy::testing::client();
    let depth = "spillway_gateway_queue_depth";
    let in_flight = "spillway_gateway_in_flight";

    // 1. The warm-up request takes the slot (the upstream holds it).
    let mut warm = TcpStream::connect(o.gateway).await?;
    warm.write_all(b"GET /warm-up HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await?;
    if !o.plain {
        wait_for(
            "the warm-up request to be in flight",
            Duration::from_secs(10),
            || async { gauge(&client, &metrics_url, in_flight).await == Some(1.0) },
        )
        .await?;
        anyhow::ensure!(
            gauge(&client, &metrics_url, depth).await == Some(0.0),
            "the gateway's queue is not empty before the run"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(o.pid)?;
    let fds_before = open_fds(o.pid);

    // 2. Open the connections. HTTP/1.1: each connection sends its request at once (hyper closes
    //    a connection that sends no header within 10 s), at most `CONNECT_PARALLEL` connects at a
    //    time.
    //    h2c: open the few connections first, read VmRSS, then open the streams.
    let conns = match o.mode {
        Mode::H1 => o.n,
        Mode::H2 => o.h2_conns,
    };
    // Well below the gateway's listen backlog (128, mio's default): past it the kernel drops SYNs
    // (1 s, 3 s, ... retransmits).
    const CONNECT_PARALLEL: usize = 64;
    let t0 = Instant::now();
    let mut streams = Vec::with_capacity(conns);
    let mut connected = None;
    let mut h2_senders = Vec::new();
    let mut h2_pending = Vec::new();
    match o.mode {
        Mode::H1 => {
            let mut next = 0;
            while next < conns {
                let k = (conns - next).min(CONNECT_PARALLEL);
                let batch: Vec<_> = (next..next + k)
                    .map(|i| {
                        tokio::spawn(async move {
                            let mut s = TcpStream::connect(o.gateway).await?;
                            let req = format!("GET /q/{i} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n");
                            s.write_all(req.as_bytes()).await?;
                            Ok::<_, std::io::Error>(s)
                        })
                    })
                    .collect();
                for b in batch {
                    streams.push(b.await??);
                }
                next += k;
                // Do not run ahead of the gateway's accept loop: a connect completes in the kernel
                // before it is accepted, so an unpaced client overflows the backlog.
                let accepted_by = Instant::now() + Duration::from_secs(5);
                while open_fds(o.pid) < fds_before + next && Instant::now() < accepted_by {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                anyhow::ensure!(
                    t0.elapsed() < Duration::from_secs(150),
                    "only {next} of {conns} connections after 150 s"
                );
            }
        }
        Mode::H2 => {
            for _ in 0..conns {
                streams.push(TcpStream::connect(o.gateway).await?);
            }
            wait_for(
                "the gateway to accept every connection",
                Duration::from_secs(8),
                || async { open_fds(o.pid) >= fds_before + conns },
            )
            .await?;
            tokio::time::sleep(Duration::from_millis(500)).await;
            connected = Some(rss_kib(o.pid)?);
            let per = o.n.div_ceil(conns);
            let cap = mock_legacy::serve::H2_MAX_CONCURRENT_STREAMS as usize;
            anyhow::ensure!(
                per <= cap,
                "{per} streams per connection: over the gateway's {cap}; use more --h2-conns"
            );
            let mut sent = 0;
            for s in streams.drain(..) {
                let (sender, conn) =
                    hyper::client::conn::http2::handshake::<_, _, Empty<Bytes>>(TokioExecutor::new(), TokioIo::new(s))
                        .await?;
                tokio::spawn(conn);
                for _ in 0..per.min(o.n - sent) {
                    let req = http::Request::builder()
                        .uri(format!("http://{}/q/{sent}", o.gateway))
                        .body(Empty::<Bytes>::new())?;
                    let mut sr = sender.clone();
                    h2_pending.push(tokio::spawn(async move {
                        let _ = sr.ready().await;
                        let _ = sr.send_request(req).await;
                    }));
                    sent += 1;
                }
                h2_senders.push(sender);
            }
        }
    }
    let connect_secs = t0.elapsed().as_secs_f64();
    let n = o.n as f64;
    // Bounded. After the upstream timeout (30 s) the warm-up request fails and a queued one takes
    // its slot, so the depth can end at N - 1: wait for N, or for N - 2 and no growth for 3 s.
    let until = Instant::now() + Duration::from_secs(60);
    let (mut last, mut still) = (0.0, Instant::now());
    let waited = loop {
        let reached = if o.plain {
            open_fds(o.pid).saturating_sub(fds_before) as f64
        } else {
            gauge(&client, &metrics_url, depth).await.unwrap_or(0.0)
        };
        if reached > last {
            last = reached;
            still = Instant::now();
        }
        if reached >= n || (reached >= n - 2.0 && still.elapsed() > Duration::from_secs(3)) {
            break Ok(());
        }
        if Instant::now() >= until {
            eprintln!("warning: queue depth reached only {reached} of {n} within 60 s");
            break Err(anyhow::anyhow!("queue depth reached only {reached} of {n}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let fill_secs = t0.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let queued = rss_kib(o.pid)?;
    let depth_now = if o.plain {
        open_fds(o.pid).saturating_sub(fds_before) as f64
    } else {
        gauge(&client, &metrics_url, depth).await.unwrap_or(0.0)
    };
    let q = depth_now.max(1.0);
    let kib = |k: u64| k as f64 / 1024.0;
    let per_req = (queued as f64 - before as f64) * 1024.0 / q;
    if o.header {
        println!("| clients | connections | queued (gauge) | VmRSS before | VmRSS connections open, no request | VmRSS queued | (queued − before) / queued | of which connections | of which requests | goal < 4 KiB | time to fill |");
        println!("|---|---|---|---|---|---|---|---|---|---|---|");
    }
    let (conn_col, split_conn, split_req) = match connected {
        Some(c) => (
            format!("{:.1} MiB", kib(c)),
            format!("{:.0} B", (c as f64 - before as f64) * 1024.0 / q),
            format!("{:.0} B", (queued as f64 - c as f64) * 1024.0 / q),
        ),
        None => ("n/a (request sent on connect)".into(), "n/a".into(), "n/a".into()),
    };
    let h2_label = format!("h2c, {} streams per connection", o.n.div_ceil(conns));
    println!(
        "| {} | {conns} | {depth_now:.0} | {:.1} MiB | {conn_col} | {:.1} MiB | **{per_req:.0} B** ({:.2} KiB) | {split_conn} | {split_req} | {} | {fill_secs:.1} s |",
        match (o.plain, &o.mode) {
            (true, _) => "reference: trivial hyper HTTP/1.1 server (bench_upstream) holding the requests, same clients",
            (false, Mode::H1) => "HTTP/1.1, 1 request per connection",
            (false, Mode::H2) => h2_label.as_str(),
        },
        kib(before),
        kib(queued),
        per_req / 1024.0,
        match (o.plain, per_req < 4096.0) {
            (true, _) => "(reference)",
            (false, true) => "met",
            (false, false) => "NOT met",
        }
    );
    eprintln!("(connections opened in {connect_secs:.1} s; queue filled after {fill_secs:.1} s)");
    drop(h2_pending);
    drop(h2_senders);
    drop(streams);
    drop(warm);
    waited.map(|_| ())
}
