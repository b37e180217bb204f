//! Cost of the seeded streams: spillway's ChaCha8 (`model::rng::Rng`, sixteen blocks a refill,
//! with AVX-512 or AVX2 where the CPU has it) against `rand_chacha::ChaCha8Rng`, the generator it
//! replaced, on the same seed and stream (both give the same words; a test checks it). `u64`:
//! 4,096 `next_u64` calls; `exp1`: 4,096 draws of `rand_distr::Exp1`, as the simulator draws
//! its arrival gaps and service times. Compare the two generators' times within one run.
//!
//! Run: `cargo bench -p spillway-model --bench rng`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::{RngCore, SeedableRng};
use rand_distr::{Distribution, Exp1};

const DRAWS: u64 = 4096;

fn bench(c: &mut Criterion) {
    let name = "arrivals";
    let mut ours = model::rng::Streams::new(1).stream(name);
    let mut theirs = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    theirs.set_stream(model::rng::fnv1a(name.as_bytes()));
    assert_eq!(ours.next_u64(), theirs.next_u64(), "the same stream");

    let mut g = c.benchmark_group("rng");
    g.throughput(Throughput::Elements(DRAWS));
    g.bench_function("u64/spillway", |b| {
        b.iter(|| (0..DRAWS).fold(0u64, |x, _| x ^ ours.next_u64()))
    });
    g.bench_function("u64/rand_chacha", |b| {
        b.iter(|| (0..DRAWS).fold(0u64, |x, _| x ^ theirs.next_u64()))
    });
    g.bench_function("exp1/spillway", |b| {
        b.iter(|| (0..DRAWS).fold(0.0f64, |x, _| x + black_box::<f64>(Exp1.sample(&mut ours))))
    });
    g.bench_function("exp1/rand_chacha", |b| {
        b.iter(|| (0..DRAWS).fold(0.0f64, |x, _| x + black_box::<f64>(Exp1.sample(&mut theirs))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
