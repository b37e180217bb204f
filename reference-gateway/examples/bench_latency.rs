//! Latency driver for `bench/gateway-latency.sh`: an open-loop, fixed-rate GET load spread over
//! several targets in ONE interleaved schedule (slot i goes to target i mod n), so every target
//! sees the same machine noise at the same moments. Each target has its own keep-alive
//! connection pool (hyper-util's client). A request's latency runs from the moment it is sent to
//! the moment its whole answer is read; how late the sender was against its schedule is reported
//! separately ("send lag"), because tokio's timer has 1 ms granularity.
//!
//!     cargo run --release -p spillway-reference-gateway --example bench_latency -- \
//!         --target direct=http://127.0.0.1:9001/bench --target gateway=http://127.0.0.1:9080/bench \
//!         --target nginx=http://127.0.0.1:9090/bench --rate 500 --duration 20 --warmup 2 --rounds 3 \
//!         --goal gateway:100:500
//!
//! `--rate` is per target (req/s); each of `--rounds` rounds is bounded by `--duration` +
//! `--warmup` seconds and a 5 s per-request timeout. Prints a markdown table per round and a
//! summary (medians over rounds) with the latency each path adds over the first target, checked
//! against `--goal NAME:P50_US:P99_US`. Exits 1 if any request failed.

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Opts {
    targets: Vec<(String, hyper::Uri)>,
    rate: f64,
    duration: f64,
    warmup: f64,
    rounds: usize,
    /// (target name, p50 goal us, p99 goal us) for the added latency.
    goal: Option<(String, f64, f64)>,
}

fn parse() -> anyhow::Result<Opts> {
    let mut o = Opts {
        targets: Vec::new(),
        rate: 500.0,
        duration: 20.0,
        warmup: 2.0,
        rounds: 1,
        goal: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut val = || it.next().ok_or_else(|| anyhow::anyhow!("{a} needs a value"));
        match a.as_str() {
            "--target" => {
                let v = val()?;
                let (name, url) = v
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--target NAME=URL, got `{v}`"))?;
                o.targets.push((name.to_string(), url.parse()?));
            }
            "--rate" => o.rate = val()?.parse()?,
            "--duration" => o.duration = val()?.parse()?,
            "--warmup" => o.warmup = val()?.parse()?,
            "--rounds" => o.rounds = val()?.parse()?,
            "--goal" => {
                let v = val()?;
                let p: Vec<&str> = v.split(':').collect();
                anyhow::ensure!(p.len() == 3, "--goal NAME:P50_US:P99_US, got `{v}`");
                o.goal = Some((p[0].to_string(), p[1].parse()?, p[2].parse()?));
            }
            other => anyhow::bail!(
                "unknown argument `{other}` (--target NAME=URL, --rate R, --duration S, --warmup S, --rounds N, --goal NAME:P50_US:P99_US)"
            ),
        }
    }
    anyhow::ensure!(!o.targets.is_empty(), "give at least one --target NAME=URL");
    anyhow::ensure!(o.rate > 0.0 && o.rate <= 20_000.0, "--rate must be in (0, 20000]");
    anyhow::ensure!(
        o.duration > 0.0 && o.duration <= 600.0,
        "--duration must be in (0, 600] s"
    );
    anyhow::ensure!(o.warmup >= 0.0 && o.warmup <= 60.0, "--warmup must be in [0, 60] s");
    anyhow::ensure!((1..=20).contains(&o.rounds), "--rounds must be in [1, 20]");
    Ok(o)
}

struct Sample {
    target: usize,
    measured: bool,
    ok: bool,
    latency_us: f64,
    lag_us: f64,
}

/// One target's figures in one round: p50, p90, p99, p99.9, max (us), requests, errors, lag p50, lag p99.
struct Row {
    q: [f64; 5],
    requests: usize,
    errors: usize,
    lag: [f64; 2],
}

const QS: [f64; 5] = [0.5, 0.9, 0.99, 0.999, 1.0];

fn pct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    pct(&v, 0.5)
}

fn main() -> anyhow::Result<()> {
    let o = parse()?;
    // One thread: the driver's own footprint on a 2-core machine stays small and constant.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut rounds = Vec::new();
    for r in 0..o.rounds {
        eprintln!("round {}/{} ...", r + 1, o.rounds);
        rounds.push(rt.block_on(round(&o))?);
    }
    println!("| round | path | requests | errors | p50 | p90 | p99 | p99.9 | max | send lag p50 / p99 |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut failed = 0;
    for (r, rows) in rounds.iter().enumerate() {
        for (ti, row) in rows.iter().enumerate() {
            failed += row.errors;
            println!(
                "| {} | {} | {} | {} | {:.0} us | {:.0} us | {:.0} us | {:.0} us | {:.0} us | {:.0} / {:.0} us |",
                r + 1,
                o.targets[ti].0,
                row.requests,
                row.errors,
                row.q[0],
                row.q[1],
                row.q[2],
                row.q[3],
                row.q[4],
                row.lag[0],
                row.lag[1]
            );
        }
    }
    println!();
    println!(
        "Median over {} round(s); \"added\" = that path's percentile minus the first path's (`{}`) in the same round.",
        o.rounds, o.targets[0].0
    );
    println!();
    println!("| path | p50 | p99 | added p50 | added p99 | goal |");
    println!("|---|---|---|---|---|---|");
    for (ti, (name, _)) in o.targets.iter().enumerate() {
        let m = |k: usize| median(rounds.iter().map(|rows| rows[ti].q[k]).collect());
        let added = |k: usize| median(rounds.iter().map(|rows| rows[ti].q[k] - rows[0].q[k]).collect());
        let (p50, p99) = (m(0), m(2));
        if ti == 0 {
            println!("| {name} | {p50:.0} us | {p99:.0} us | | | |");
            continue;
        }
        let (a50, a99) = (added(0), added(2));
        let goal = match &o.goal {
            Some((g, g50, g99)) if g == name => format!(
                "p50 < {g50:.0} us: {}; p99 < {g99:.0} us: {}",
                if a50 < *g50 { "met" } else { "NOT met" },
                if a99 < *g99 { "met" } else { "NOT met" }
            ),
            _ => String::new(),
        };
        println!("| {name} | {p50:.0} us | {p99:.0} us | {a50:+.0} us | {a99:+.0} us | {goal} |");
    }
    if failed > 0 {
        eprintln!("{failed} requests failed or timed out");
        std::process::exit(1);
    }
    Ok(())
}

async fn round(o: &Opts) -> anyhow::Result<Vec<Row>> {
    let n = o.targets.len();
    let clients: Vec<Client<_, Empty<Bytes>>> = (0..n)
        .map(|_| {
            Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(60))
                .build_http()
        })
        .collect();
    // Open each pool's first connection before the clock starts.
    for (i, (name, url)) in o.targets.iter().enumerate() {
        let r = clients[i]
            .get(url.clone())
            .await
            .map_err(|e| anyhow::anyhow!("{name} ({url}) is not answering: {e}"))?;
        anyhow::ensure!(r.status() == 200, "{name} ({url}) answered {}", r.status());
        let _ = r.into_body().collect().await;
    }
    let interval = Duration::from_secs_f64(1.0 / (o.rate * n as f64));
    let total = ((o.warmup + o.duration) * o.rate * n as f64).round() as u64;
    let warm_slots = (o.warmup * o.rate * n as f64).round() as u64;
    let samples = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
    let start = Instant::now() + Duration::from_millis(10);
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        let intended = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(intended.into()).await;
        let target = (i % n as u64) as usize;
        let client = clients[target].clone();
        let url = o.targets[target].1.clone();
        let samples = samples.clone();
        tasks.push(tokio::spawn(async move {
            let t0 = Instant::now();
            let call = async {
                let r = client.get(url).await.map_err(|e| e.to_string())?;
                let status = r.status();
                r.into_body().collect().await.map_err(|e| e.to_string())?;
                Ok::<_, String>(status == 200)
            };
            let ok = matches!(tokio::time::timeout(Duration::from_secs(5), call).await, Ok(Ok(true)));
            let latency_us = t0.elapsed().as_secs_f64() * 1e6;
            samples.lock().unwrap().push(Sample {
                target,
                measured: i >= warm_slots,
                ok,
                latency_us,
                lag_us: t0.saturating_duration_since(intended).as_secs_f64() * 1e6,
            });
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let samples = std::mem::take(&mut *samples.lock().unwrap());
    Ok((0..n)
        .map(|ti| {
            let mine: Vec<&Sample> = samples.iter().filter(|s| s.target == ti && s.measured).collect();
            let mut lat: Vec<f64> = mine.iter().filter(|s| s.ok).map(|s| s.latency_us).collect();
            let mut lag: Vec<f64> = mine.iter().map(|s| s.lag_us).collect();
            lat.sort_by(f64::total_cmp);
            lag.sort_by(f64::total_cmp);
            Row {
                q: QS.map(|q| pct(&lat, q)),
                requests: mine.len(),
                errors: mine.iter().filter(|s| !s.ok).count(),
                lag: [pct(&lag, 0.5), pct(&lag, 0.99)],
            }
        })
        .collect())
}
