//! Service-time accuracy of mock-legacy: configured vs measured p50/p99 at 1, 5, 20 and 100 ms.
//!
//! Starts mock-legacy on 127.0.0.1:0 (one worker, constant service time) and sends sequential
//! requests over a keep-alive connection. Reports the server's own measured busy time
//! (`service_ms`) and the client's round trip. Prints a markdown table.
//!
//!     cargo run --release -p spillway-mock-legacy --example service_time_accuracy

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::time::{Duration, Instant};

fn pct(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    println!("| configured | requests | server p50 | server p99 | client p50 | client p99 | p50 error | within max(2%, 0.5 ms) |");
    println!("|---|---|---|---|---|---|---|---|");
    for ms in [1u64, 5, 20, 100] {
        let n = if ms >= 100 { 60 } else { 300 };
        let text = format!("[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"{ms}ms\"\n");
        let s = model::scenario::parse("<bench>", &text)?;
        let ml = mock_legacy::start(&s, "127.0.0.1:0".parse()?, false).await?;
        let url: hyper::Uri = format!("{}/s/api-1", ml.url()).parse()?;
        let mut server = Vec::new();
        let mut rtt = Vec::new();
        for _ in 0..n {
            let t0 = Instant::now();
            let resp = client.get(url.clone()).await?;
            let body = resp.into_body().collect().await?.to_bytes();
            rtt.push(t0.elapsed().as_secs_f64() * 1e3);
            let j: serde_json::Value = serde_json::from_slice(&body)?;
            server.push(j["service_ms"].as_f64().unwrap_or(f64::NAN));
        }
        server.sort_by(f64::total_cmp);
        rtt.sort_by(f64::total_cmp);
        let target = ms as f64;
        let p50 = pct(&server, 0.5);
        let err = p50 - target;
        let tol = (target * 0.02).max(0.5);
        println!(
            "| {ms} ms | {n} | {:.3} ms | {:.3} ms | {:.3} ms | {:.3} ms | {:+.3} ms | {} |",
            p50,
            pct(&server, 0.99),
            pct(&rtt, 0.5),
            pct(&rtt, 0.99),
            err,
            if err.abs() <= tol { "yes" } else { "NO" }
        );
        ml.shutdown().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
