//! Cost of packing histograms (V2 + deflate), spillway's encoder against the reused flate2
//! compressor it replaced (miniz, level 6, `reset()` per histogram).
//!
//! Inputs: M/M/2-like latencies (response ~ Exp(2.8 s), queue wait 0 for 45% else the same,
//! service ~ Exp(1 s)), seeded: `window`: 10 windows x 3 metrics of 16,000 values at the window
//! precision (V2 payloads ~1.4 KB, as a 10,000 s window of `bench/mm2-fifo.toml`); `whole`: the
//! 3 whole-run histograms at the total precision (~19 KB). Each measurement packs the whole set;
//! divide by its element count for the time per histogram. `v2` is the uncompressed V2
//! serialization alone, which both packings include.
//!
//! Run: `cargo bench -p spillway-model --bench pack`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use hdrhistogram::serialization::{Serializer as _, V2Serializer};
use model::results::{Hist, PackedHist, TOTAL_SIGFIG, WINDOW_SIGFIG};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp};

fn sets() -> [(&'static str, Vec<Hist>); 2] {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let (latency, service) = (Exp::new(1.0 / 2.8e6).unwrap(), Exp::new(1.0 / 1e6).unwrap());
    let mut whole: Vec<Hist> = (0..3).map(|_| Hist::new(TOTAL_SIGFIG)).collect();
    let mut windows = Vec::new();
    for _ in 0..10 {
        let mut window: Vec<Hist> = (0..3).map(|_| Hist::new(WINDOW_SIGFIG)).collect();
        for _ in 0..16_000 {
            let s: f64 = service.sample(&mut rng);
            let wait = if rng.random_bool(0.45) {
                0.0
            } else {
                latency.sample(&mut rng)
            };
            for (i, v) in [s + wait, wait, s].into_iter().enumerate() {
                window[i].record_us(v as u64 + 1);
                whole[i].record_us(v as u64 + 1);
            }
        }
        windows.extend(window);
    }
    [("window", windows), ("whole", whole)]
}

/// The packing this crate did before its own encoder: V2 bytes, then one flate2 compressor
/// (miniz, default level) reset per histogram.
struct Flate2 {
    v2: V2Serializer,
    raw: Vec<u8>,
    zlib: flate2::Compress,
}

impl Flate2 {
    fn pack(&mut self, h: &Hist) -> Vec<u8> {
        self.raw.clear();
        self.v2.serialize(&h.0, &mut self.raw).unwrap();
        let mut out = Vec::with_capacity(8 + self.raw.len() / 2 + 64);
        out.extend_from_slice(&0x1c84_9314u32.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        self.zlib.reset();
        loop {
            let input = &self.raw[self.zlib.total_in() as usize..];
            match self
                .zlib
                .compress_vec(input, &mut out, flate2::FlushCompress::Finish)
                .unwrap()
            {
                flate2::Status::StreamEnd => break,
                _ => out.reserve(out.capacity().max(64)),
            }
        }
        let len = (out.len() - 8) as u32;
        out[4..8].copy_from_slice(&len.to_be_bytes());
        out
    }
}

fn bench(c: &mut Criterion) {
    let mut old = Flate2 {
        v2: V2Serializer::new(),
        raw: Vec::new(),
        zlib: flate2::Compress::new(flate2::Compression::default(), true),
    };
    let mut v2 = V2Serializer::new();
    let mut raw = Vec::new();
    for (name, hists) in sets() {
        let (a, b): (usize, usize) = hists
            .iter()
            .map(|h| (old.pack(h).len(), PackedHist::pack(h).packed_bytes()))
            .fold((0, 0), |(x, y), (a, b)| (x + a, y + b));
        eprintln!(
            "{name}: {} histograms, flate2 {a} bytes, spillway {b} bytes",
            hists.len()
        );
        let mut g = c.benchmark_group(format!("pack/{name}"));
        g.throughput(Throughput::Elements(hists.len() as u64));
        g.bench_function("flate2", |bench| {
            bench.iter(|| {
                for h in &hists {
                    black_box(old.pack(black_box(h)));
                }
            })
        });
        g.bench_function("spillway", |bench| {
            bench.iter(|| {
                for h in &hists {
                    black_box(PackedHist::pack(black_box(h)));
                }
            })
        });
        g.bench_function("v2", |bench| {
            bench.iter(|| {
                for h in &hists {
                    raw.clear();
                    v2.serialize(&black_box(h).0, &mut raw).unwrap();
                    black_box(&raw);
                }
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
