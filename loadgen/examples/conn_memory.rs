//! Where the load generator's memory per outstanding attempt goes (for bench/loadgen-memory.sh):
//! opens N connections to a server that holds every request (bench_upstream --hold-ms) and
//! prints the RSS growth per connection, for one layer at a time:
//!
//! - `tcp`: bare tokio TcpStreams, each having sent a GET (the socket and its registration);
//! - `lean`: loadgen's default HTTP/1.1 client (`loadgen::h1`), N requests awaiting answers
//!   (the socket, the task and the pool; no buffer until the answer arrives);
//! - `hyper`: loadgen's hyper client for https and HTTP/2 (`loadgen::http::client`), N requests awaiting answers
//!   (adds hyper's connection task, its read and write buffers and the pool);
//! - `hyper-small-read`: the same with `http1_read_buf_exact_size(1024)` (hyper's write buffer
//!   keeps its fixed 8 KiB initial capacity);
//! - `tasks`: N idle tokio tasks holding a future as large as loadgen's per-intent one would,
//!   without any socket (an attempt waiting for a connection).
//!
//!     cargo run --release -p spillway-loadgen --example conn_memory -- URL N MODE
//!
//! Prints one tab-separated line: mode, n, RSS before (KiB), RSS after (KiB), bytes per item.

use bytes::Bytes;
use http_body_util::Full;
use std::time::Duration;
use tokio::io::AsyncWriteExt as _;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

async fn main_async(url: String, n: usize, mode: String) -> anyhow::Result<()> {
    let uri: http::Uri = url.parse()?;
    let addr = format!(
        "{}:{}",
        uri.host().ok_or_else(|| anyhow::anyhow!("no host"))?,
        uri.port_u16().unwrap_or(80)
    );
    // Warm the runtime and the allocator with a handful of items first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_kib();
    let mut streams = Vec::new();
    let mut tasks = Vec::new();
    let pace = Duration::from_micros(400); // ~2,500 per second: the server keeps accepting
    match mode.as_str() {
        "tcp" => {
            for _ in 0..n {
                let mut s = tokio::net::TcpStream::connect(&addr).await?;
                s.set_nodelay(true)?;
                s.write_all(format!("GET {} HTTP/1.1\r\nhost: {addr}\r\n\r\n", uri.path()).as_bytes())
                    .await?;
                streams.push(s);
                tokio::time::sleep(pace).await;
            }
        }
        "lean" => {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host(&addr).await?.collect();
            let client = std::sync::Arc::new(loadgen::h1::H1Client::new(addrs, addr.clone(), n));
            for _ in 0..n {
                let c = client.clone();
                let req = c.get(uri.path(), 128);
                tasks.push(tokio::spawn(async move {
                    let _ = c.send(req, |_| {}).await;
                }));
                tokio::time::sleep(pace).await;
            }
        }
        "hyper" => {
            let client = loadgen::http::client(false, n, None).map_err(anyhow::Error::msg)?;
            for _ in 0..n {
                let c = client.clone();
                let req = http::Request::get(url.as_str()).body(Full::new(Bytes::new()))?;
                tasks.push(tokio::spawn(async move {
                    let _ = c.request(req).await;
                }));
                tokio::time::sleep(pace).await;
            }
        }
        "hyper-small-read" => {
            // Plain http (no TLS wrapper: nothing of it is kept per plain-text connection).
            let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
            http.set_nodelay(true);
            let mut b = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
            b.pool_max_idle_per_host(n);
            b.http1_read_buf_exact_size(1024);
            let client: hyper_util::client::legacy::Client<_, Full<Bytes>> = b.build(http);
            for _ in 0..n {
                let c = client.clone();
                let req = http::Request::get(url.as_str()).body(Full::new(Bytes::new()))?;
                tasks.push(tokio::spawn(async move {
                    let _ = c.request(req).await;
                }));
                tokio::time::sleep(pace).await;
            }
        }
        "tasks" => {
            for _ in 0..n {
                // About the size of loadgen's run_intent future while it waits for a permit.
                let pad = [0u8; 1024];
                tasks.push(tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    std::hint::black_box(pad);
                }));
            }
        }
        other => anyhow::bail!("unknown mode `{other}` (tcp, lean, hyper, hyper-small-read, tasks)"),
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib();
    println!(
        "{mode}\t{n}\t{before}\t{after}\t{:.0}",
        (after.saturating_sub(before)) as f64 * 1024.0 / n.max(1) as f64
    );
    for t in tasks {
        t.abort();
    }
    drop(streams);
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let mut a = std::env::args().skip(1);
    let usage = "usage: conn_memory URL N tcp|lean|hyper|hyper-small-read|tasks";
    let url = a.next().ok_or_else(|| anyhow::anyhow!(usage))?;
    let n: usize = a.next().ok_or_else(|| anyhow::anyhow!(usage))?.parse()?;
    let mode = a.next().ok_or_else(|| anyhow::anyhow!(usage))?;
    // The runtime loadgen runs on (the binary's default multi-threaded runtime).
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(main_async(url, n, mode))
}
