//! Simulated requests per second on one core: the M/M/2 FIFO scenario and the death spiral.
//!
//!     cargo bench -p spillway-sim --bench sim_throughput

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use model::scenario::{self, Scenario};
use std::path::Path;

fn load(rel: &str) -> Scenario {
    scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)).expect("scenario loads")
}

fn with_duration(s: &Scenario, secs: u64) -> Scenario {
    let mut f = s.file.clone();
    f.workload.phases[0].duration = model::duration::Dur::from_secs(secs);
    scenario::resolve(&s.source, f).expect("valid")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10);
    // About 200,000 requests (M/M/2 at 1.6/s for 125,000 s).
    let mm2 = with_duration(&load("bench/mm2-fifo.toml"), 125_000);
    let n = sim::simulate(&mm2, None).summary.whole.attempts;
    g.throughput(Throughput::Elements(n));
    g.bench_function("mm2_fifo_200k", |b| b.iter(|| sim::simulate(&mm2, None)));
    let ds = load("scenarios/death-spiral.toml");
    let n = sim::simulate(&ds, None).summary.whole.attempts;
    g.throughput(Throughput::Elements(n));
    g.bench_function("death_spiral_fifo", |b| b.iter(|| sim::simulate(&ds, None)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
