//! Common random numbers: one seeded ChaCha8 stream per source of randomness.
//!
//! A stream is identified by the run seed and the source's name (`arrivals`, `mix`,
//! `service:orders`, `jitter`, `faults:orders`, ...). Changing one knob of a scenario (say the
//! gateway strategy) then leaves every other source's draws unchanged, so two strategies are
//! compared on identical traffic.

mod chacha;

/// The generator used everywhere results must be reproducible: ChaCha8, the words of
/// `rand_chacha::ChaCha8Rng`, sixteen blocks a refill, with AVX-512 or AVX2 where the CPU has
/// it (`rng/chacha.rs`).
pub type Rng = chacha::ChaCha8;

/// FNV-1a, 64-bit: a stable hash of stream names (std's hasher may change between releases).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Derives named streams from a run seed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Streams {
    seed: u64,
}

impl Streams {
    pub fn new(seed: u64) -> Streams {
        Streams { seed }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream for `name`: same seed and name, same numbers.
    pub fn stream(&self, name: &str) -> Rng {
        // ChaCha has 2^64 independent streams per key: use one per source.
        chacha::ChaCha8::new(self.seed, fnv1a(name.as_bytes()))
    }

    /// Streams for shard `index` of a run split `n` ways: each shard its own seed.
    pub fn for_shard(&self, index: u32, n: u32) -> Streams {
        if n <= 1 {
            return *self;
        }
        let mix = fnv1a(format!("shard:{index}/{n}").as_bytes());
        Streams {
            seed: self.seed ^ mix.rotate_left(17),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng as _;

    #[test]
    fn same_seed_and_name_same_numbers() {
        let s = Streams::new(42);
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = s.stream("arrivals");
                move |_| r.random()
            })
            .collect();
        let b: Vec<u64> = (0..8)
            .map({
                let mut r = Streams::new(42).stream("arrivals");
                move |_| r.random()
            })
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn names_and_seeds_separate_streams() {
        let first = |seed: u64, name: &str| -> u64 { Streams::new(seed).stream(name).random() };
        assert_ne!(first(1, "arrivals"), first(1, "mix"));
        assert_ne!(first(1, "arrivals"), first(2, "arrivals"));
        assert_ne!(
            Streams::new(1).for_shard(0, 2).seed(),
            Streams::new(1).for_shard(1, 2).seed()
        );
    }

    #[test]
    fn fnv_is_stable() {
        // Published FNV-1a test vector: a change here would change every seeded run.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
