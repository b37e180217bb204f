//! ChaCha8, sixteen blocks at a time: the same stream as `rand_chacha::ChaCha8Rng` (same
//! seed, stream and position, same words), generated with AVX-512 or AVX2 where the CPU has it.
//!
//! Every simulated request draws about two numbers (its arrival gap and its service time), and
//! `rand_chacha`'s AVX2 code, four blocks a refill, took about 22 instructions a `u64`: some 3%
//! of a simulation's instructions. Here sixteen blocks sit in sixteen 512-bit registers (one
//! state word of every block each, a rotation one instruction): `next_u64` 1.15 ns against
//! 1.75 (`cargo bench -p spillway-model --bench rng`), a 1M-request simulation 2.4% faster
//! (BENCHMARKS.md, stop 57). A CPU with AVX2 but not AVX-512F generates them eight at a time
//! in the same layout, straight into the buffer (`rand_chacha` fills bytes that are then
//! copied): 1.2% fewer instructions for a 200k-request simulation (BENCHMARKS.md, stop 58).
//! Without either the blocks come from `rand_chacha` itself, so the numbers never depend on
//! the machine; tests check every path against it word for word.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Words in a refill: sixteen 16-word blocks.
const WORDS: usize = 256;

/// ChaCha8 with a 64-bit block counter and a 64-bit stream (nonce), as `rand_chacha` lays out
/// its state.
#[derive(Clone)]
pub struct ChaCha8 {
    buf: [u32; WORDS],
    /// The next word of `buf` to hand out (`WORDS`: none left).
    index: usize,
    source: Source,
}

#[derive(Clone)]
enum Source {
    /// The key, the stream and the block counter of the next refill's first block, generated
    /// by the widest code the CPU runs.
    #[cfg(target_arch = "x86_64")]
    Wide {
        key: [u32; 8],
        stream: u64,
        block: u64,
        width: Width,
    },
    /// `rand_chacha` itself, at the position of the next refill.
    Portable(Box<ChaCha8Rng>),
}

impl std::fmt::Debug for ChaCha8 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is the seed: not printed, as `rand_chacha` does not print it either.
        f.debug_struct("ChaCha8")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl ChaCha8 {
    /// The stream `rand_chacha::ChaCha8Rng::seed_from_u64(seed)` gives after
    /// `set_stream(stream)`, from its start.
    pub fn new(seed: u64, stream: u64) -> ChaCha8 {
        Self::with_source(seed, stream, Width::available())
    }

    /// `width`: the code that generates the blocks (`None`: `rand_chacha`'s), which must be
    /// one the CPU runs ([`Width::available`]).
    fn with_source(seed: u64, stream: u64, width: Option<Width>) -> ChaCha8 {
        let mut portable = ChaCha8Rng::seed_from_u64(seed);
        portable.set_stream(stream);
        let source = match width {
            #[cfg(target_arch = "x86_64")]
            Some(width) => {
                let seed = portable.get_seed();
                let mut key = [0u32; 8];
                for (k, b) in key.iter_mut().zip(seed.as_chunks::<4>().0) {
                    *k = u32::from_le_bytes(*b);
                }
                Source::Wide {
                    key,
                    stream,
                    block: 0,
                    width,
                }
            }
            _ => Source::Portable(Box::new(portable)),
        };
        ChaCha8 {
            buf: [0; WORDS],
            index: WORDS,
            source,
        }
    }

    /// The next sixteen blocks into `buf`, from its first word.
    #[cold]
    fn refill(&mut self) {
        match &mut self.source {
            #[cfg(target_arch = "x86_64")]
            Source::Wide {
                key,
                stream,
                block,
                width,
            } => {
                match width {
                    // SAFETY: chosen only when the CPU has AVX-512F (`Width::available`).
                    Width::Avx512 => unsafe { wide::blocks16(key, *block, *stream, &mut self.buf) },
                    Width::Avx2 => {
                        if let ([first, second], []) = self.buf.as_chunks_mut::<{ WORDS / 2 }>() {
                            // SAFETY: chosen only when the CPU has AVX2 (`Width::available`).
                            unsafe {
                                avx2::blocks8(key, *block, *stream, first);
                                avx2::blocks8(key, block.wrapping_add(8), *stream, second);
                            }
                        }
                    }
                }
                *block = block.wrapping_add(16);
            }
            Source::Portable(rng) => {
                let mut bytes = [0u8; WORDS * 4];
                rng.fill_bytes(&mut bytes);
                for (w, b) in self.buf.iter_mut().zip(bytes.as_chunks::<4>().0) {
                    *w = u32::from_le_bytes(*b);
                }
            }
        }
        self.index = 0;
    }
}

/// The vector code that generates the blocks: sixteen at a time with AVX-512F, or twice eight
/// with AVX2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Width {
    Avx512,
    Avx2,
}

impl Width {
    /// Widest first.
    const ALL: [Width; 2] = [Width::Avx512, Width::Avx2];

    /// Whether this CPU runs the code of this width.
    fn runs(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            match self {
                Width::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
                Width::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// The widest this CPU runs (`None`: neither; the blocks then come from `rand_chacha`).
    fn available() -> Option<Width> {
        Width::ALL.into_iter().find(|w| w.runs())
    }

    /// Every width this CPU runs (for the tests, which check each against `rand_chacha`).
    #[cfg(test)]
    fn all_available() -> Vec<Width> {
        Width::ALL.into_iter().filter(|w| w.runs()).collect()
    }
}

// As `rand_core::block::BlockRng` hands words out of its buffer, so that every call takes the
// same words of the stream whatever the buffer's size.
impl RngCore for ChaCha8 {
    #[inline]
    fn next_u32(&mut self) -> u32 {
        if self.index >= WORDS {
            self.refill();
        }
        let v = self.buf[self.index];
        self.index += 1;
        v
    }

    #[inline]
    fn next_u64(&mut self) -> u64 {
        let i = self.index;
        if i < WORDS - 1 {
            self.index = i + 2;
            return (u64::from(self.buf[i + 1]) << 32) | u64::from(self.buf[i]);
        }
        self.next_u64_across()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(4) {
            let w = self.next_u32().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
    }
}

impl ChaCha8 {
    /// [`RngCore::next_u64`] at the end of the buffer: its last word (if any) low, the next
    /// refill's first high.
    #[cold]
    fn next_u64_across(&mut self) -> u64 {
        let low = u64::from(self.next_u32());
        (u64::from(self.next_u32()) << 32) | low
    }
}

/// "expand 32-byte k".
#[cfg(target_arch = "x86_64")]
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// A block's initial state under `key` and `stream`, its counter (words 12 and 13) zero: the
/// same in every block but for those.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn state_words(key: &[u32; 8], stream: u64) -> [u32; 16] {
    let mut words = [0u32; 16];
    words[..4].copy_from_slice(&SIGMA);
    words[4..12].copy_from_slice(key);
    words[14..].copy_from_slice(&[stream as u32, (stream >> 32) as u32]);
    words
}

/// The first two steps of the transpose of `$n` registers of 32-bit lanes (one state word of
/// every block each), at either width: 32-bit then 64-bit interleaves within 128-bit lanes,
/// which leave `b[4k + m]`'s 128-bit lane L holding words 4k..4k+3 of that lane's block m.
#[cfg(target_arch = "x86_64")]
macro_rules! interleave {
    ($x:expr, $n:literal, $zero:expr, $lo32:ident, $hi32:ident, $lo64:ident, $hi64:ident) => {{
        let x = $x;
        let mut a = [$zero; $n];
        for k in 0..$n / 2 {
            a[2 * k] = $lo32(x[2 * k], x[2 * k + 1]);
            a[2 * k + 1] = $hi32(x[2 * k], x[2 * k + 1]);
        }
        let mut b = [$zero; $n];
        for k in 0..$n / 4 {
            b[4 * k] = $lo64(a[4 * k], a[4 * k + 2]);
            b[4 * k + 1] = $hi64(a[4 * k], a[4 * k + 2]);
            b[4 * k + 2] = $lo64(a[4 * k + 1], a[4 * k + 3]);
            b[4 * k + 3] = $hi64(a[4 * k + 1], a[4 * k + 3]);
        }
        b
    }};
}

#[cfg(target_arch = "x86_64")]
mod wide {
    use std::arch::x86_64::*;

    use super::state_words;

    macro_rules! quarter {
        ($x:ident, $a:literal, $b:literal, $c:literal, $d:literal) => {
            $x[$a] = _mm512_add_epi32($x[$a], $x[$b]);
            $x[$d] = _mm512_rol_epi32::<16>(_mm512_xor_si512($x[$d], $x[$a]));
            $x[$c] = _mm512_add_epi32($x[$c], $x[$d]);
            $x[$b] = _mm512_rol_epi32::<12>(_mm512_xor_si512($x[$b], $x[$c]));
            $x[$a] = _mm512_add_epi32($x[$a], $x[$b]);
            $x[$d] = _mm512_rol_epi32::<8>(_mm512_xor_si512($x[$d], $x[$a]));
            $x[$c] = _mm512_add_epi32($x[$c], $x[$d]);
            $x[$b] = _mm512_rol_epi32::<7>(_mm512_xor_si512($x[$b], $x[$c]));
        };
    }

    /// Blocks `block`..`block + 16` of ChaCha8 under `key` and `stream`, in order, into `out`.
    ///
    /// Register `i` holds state word `i` of all sixteen blocks (lane `j`: block `block + j`),
    /// so a round is the scalar round on vectors; a 16x16 transpose puts each block's words
    /// together at the end.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn blocks16(key: &[u32; 8], block: u64, stream: u64, out: &mut [u32; 256]) {
        let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let lo = _mm512_set1_epi32(block as u32 as i32);
        let counter_lo = _mm512_add_epi32(lo, lanes);
        // A lane whose low word wrapped carries into the high word.
        let carried = _mm512_cmplt_epu32_mask(counter_lo, lo);
        let hi = _mm512_set1_epi32((block >> 32) as u32 as i32);
        let counter_hi = _mm512_mask_add_epi32(hi, carried, hi, _mm512_set1_epi32(1));
        let mut init = [_mm512_setzero_si512(); 16];
        for (v, w) in init.iter_mut().zip(state_words(key, stream)) {
            *v = _mm512_set1_epi32(w as i32);
        }
        init[12] = counter_lo;
        init[13] = counter_hi;
        let mut x = init;
        for _ in 0..4 {
            quarter!(x, 0, 4, 8, 12);
            quarter!(x, 1, 5, 9, 13);
            quarter!(x, 2, 6, 10, 14);
            quarter!(x, 3, 7, 11, 15);
            quarter!(x, 0, 5, 10, 15);
            quarter!(x, 1, 6, 11, 12);
            quarter!(x, 2, 7, 8, 13);
            quarter!(x, 3, 4, 9, 14);
        }
        for (x, i) in x.iter_mut().zip(init) {
            *x = _mm512_add_epi32(*x, i);
        }
        // Transpose: 32-bit then 64-bit interleaves within 128-bit lanes leave `b[4k + m]`'s
        // lane L holding words 4k..4k+3 of block 4L + m; two 128-bit shuffles gather a block's
        // four lanes.
        let b = interleave!(
            &x,
            16,
            _mm512_setzero_si512(),
            _mm512_unpacklo_epi32,
            _mm512_unpackhi_epi32,
            _mm512_unpacklo_epi64,
            _mm512_unpackhi_epi64
        );
        let dst = out.as_mut_ptr().cast::<__m512i>();
        for m in 0..4 {
            let p = _mm512_shuffle_i32x4::<0x44>(b[m], b[4 + m]);
            let q = _mm512_shuffle_i32x4::<0xEE>(b[m], b[4 + m]);
            let r = _mm512_shuffle_i32x4::<0x44>(b[8 + m], b[12 + m]);
            let s = _mm512_shuffle_i32x4::<0xEE>(b[8 + m], b[12 + m]);
            // SAFETY: `out` is 256 words, sixteen 64-byte rows; block j is row j.
            unsafe {
                _mm512_storeu_si512(dst.add(m), _mm512_shuffle_i32x4::<0x88>(p, r));
                _mm512_storeu_si512(dst.add(4 + m), _mm512_shuffle_i32x4::<0xDD>(p, r));
                _mm512_storeu_si512(dst.add(8 + m), _mm512_shuffle_i32x4::<0x88>(q, s));
                _mm512_storeu_si512(dst.add(12 + m), _mm512_shuffle_i32x4::<0xDD>(q, s));
            }
        }
    }
}

/// Eight blocks at a time in 256-bit registers, for x86-64 CPUs without AVX-512F: the same
/// layout as [`wide`] (one state word of every block per register), with AVX2's lack of a
/// rotate made up by byte shuffles (16 and 8) and shift pairs (12 and 7).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::state_words;

    macro_rules! quarter {
        ($x:ident, $r16:ident, $r8:ident, $a:literal, $b:literal, $c:literal, $d:literal) => {
            $x[$a] = _mm256_add_epi32($x[$a], $x[$b]);
            $x[$d] = _mm256_shuffle_epi8(_mm256_xor_si256($x[$d], $x[$a]), $r16);
            $x[$c] = _mm256_add_epi32($x[$c], $x[$d]);
            let t = _mm256_xor_si256($x[$b], $x[$c]);
            $x[$b] = _mm256_or_si256(_mm256_slli_epi32::<12>(t), _mm256_srli_epi32::<20>(t));
            $x[$a] = _mm256_add_epi32($x[$a], $x[$b]);
            $x[$d] = _mm256_shuffle_epi8(_mm256_xor_si256($x[$d], $x[$a]), $r8);
            $x[$c] = _mm256_add_epi32($x[$c], $x[$d]);
            let t = _mm256_xor_si256($x[$b], $x[$c]);
            $x[$b] = _mm256_or_si256(_mm256_slli_epi32::<7>(t), _mm256_srli_epi32::<25>(t));
        };
    }

    /// Blocks `block`..`block + 8` of ChaCha8 under `key` and `stream`, in order, into `out`.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn blocks8(key: &[u32; 8], block: u64, stream: u64, out: &mut [u32; 128]) {
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let lo = _mm256_set1_epi32(block as u32 as i32);
        let counter_lo = _mm256_add_epi32(lo, lanes);
        // A lane whose low word wrapped (below `lo`, unsigned: compared signed with the top
        // bits flipped) carries into the high word: the compare's all-ones is -1.
        let flip = _mm256_set1_epi32(i32::MIN);
        let carried = _mm256_cmpgt_epi32(_mm256_xor_si256(lo, flip), _mm256_xor_si256(counter_lo, flip));
        let counter_hi = _mm256_sub_epi32(_mm256_set1_epi32((block >> 32) as u32 as i32), carried);
        let mut init = [_mm256_setzero_si256(); 16];
        for (v, w) in init.iter_mut().zip(state_words(key, stream)) {
            *v = _mm256_set1_epi32(w as i32);
        }
        init[12] = counter_lo;
        init[13] = counter_hi;
        // Rotations by whole bytes: each 32-bit word's bytes moved within it.
        let r16 = _mm256_setr_epi8(
            2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
        );
        let r8 = _mm256_setr_epi8(
            3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
        );
        let mut x = init;
        for _ in 0..4 {
            quarter!(x, r16, r8, 0, 4, 8, 12);
            quarter!(x, r16, r8, 1, 5, 9, 13);
            quarter!(x, r16, r8, 2, 6, 10, 14);
            quarter!(x, r16, r8, 3, 7, 11, 15);
            quarter!(x, r16, r8, 0, 5, 10, 15);
            quarter!(x, r16, r8, 1, 6, 11, 12);
            quarter!(x, r16, r8, 2, 7, 8, 13);
            quarter!(x, r16, r8, 3, 4, 9, 14);
        }
        for (x, i) in x.iter_mut().zip(init) {
            *x = _mm256_add_epi32(*x, i);
        }
        let dst = out.as_mut_ptr().cast::<__m256i>();
        // Each half of the state (words 0-7, then 8-15) is an 8x8 transpose: 32-bit then
        // 64-bit interleaves leave `b[m]` holding words 0-3 of blocks m and 4 + m (one per
        // 128-bit lane) and `b[4 + m]` words 4-7; a 128-bit permute pairs them.
        for half in 0..2 {
            let b = interleave!(
                &x[8 * half..8 * half + 8],
                8,
                _mm256_setzero_si256(),
                _mm256_unpacklo_epi32,
                _mm256_unpackhi_epi32,
                _mm256_unpacklo_epi64,
                _mm256_unpackhi_epi64
            );
            for m in 0..4 {
                // SAFETY: `out` is 128 words, eight 64-byte rows of two 32-byte halves; block
                // j is row j, `half` its half (`2 * (m + 4) + half` is at most 15).
                unsafe {
                    _mm256_storeu_si256(dst.add(2 * m + half), _mm256_permute2x128_si256::<0x20>(b[m], b[4 + m]));
                    _mm256_storeu_si256(
                        dst.add(2 * (m + 4) + half),
                        _mm256_permute2x128_si256::<0x31>(b[m], b[4 + m]),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `rand_chacha`'s own blocks (`None`) and every vector width this CPU runs.
    fn sources() -> Vec<Option<Width>> {
        std::iter::once(None)
            .chain(Width::all_available().into_iter().map(Some))
            .collect()
    }

    /// Every source, against `rand_chacha`, through every way of drawing and across refills.
    fn check(seed: u64, stream: u64) {
        let mut want = ChaCha8Rng::seed_from_u64(seed);
        want.set_stream(stream);
        for wide in sources() {
            let mut want = want.clone();
            let mut got = ChaCha8::with_source(seed, stream, wide);
            let mut k = seed;
            for step in 0..3000u32 {
                // A mix of calls that puts u64 reads across refills at both parities.
                k = k
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                match (k >> 60) % 4 {
                    0 => assert_eq!(
                        got.next_u32(),
                        want.next_u32(),
                        "seed {seed} step {step} width {wide:?}"
                    ),
                    1 | 2 => assert_eq!(
                        got.next_u64(),
                        want.next_u64(),
                        "seed {seed} step {step} width {wide:?}"
                    ),
                    _ => {
                        let n = (k >> 40) as usize % 37;
                        let (mut a, mut b) = (vec![0u8; n], vec![0u8; n]);
                        got.fill_bytes(&mut a);
                        want.fill_bytes(&mut b);
                        assert_eq!(a, b, "seed {seed} step {step} width {wide:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_words_are_rand_chachas() {
        for (seed, stream) in [
            (0, 0),
            (1, 0),
            (42, crate::rng::fnv1a(b"arrivals")),
            (u64::MAX, u64::MAX),
        ] {
            check(seed, stream);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_block_counter_carries_into_its_high_word() {
        let widths = Width::all_available();
        if widths.is_empty() {
            // The portable path is rand_chacha's own counter.
            eprintln!("skipped: this CPU has neither AVX-512F nor AVX2, so no vector code of ours runs");
            return;
        }
        let seed = 7;
        for width in widths {
            // Sixteen blocks from a few below 2^32, lanes on both sides of the carry: in the
            // first eight (-5) and in the second (-13), which AVX2 generates apart.
            for start in [(1u64 << 32) - 5, (1u64 << 32) - 13] {
                let mut want = ChaCha8Rng::seed_from_u64(seed);
                want.set_stream(3);
                want.set_word_pos(u128::from(start) * 16);
                let mut got = ChaCha8::with_source(seed, 3, Some(width));
                if let Source::Wide { block, .. } = &mut got.source {
                    *block = start;
                }
                for i in 0..600 {
                    assert_eq!(
                        got.next_u32(),
                        want.next_u32(),
                        "{width:?} from block {start}, word {i}"
                    );
                }
            }
        }
    }
}
