//! The zlib encoder of packed histograms: deflate blocks of Huffman-coded literals (no LZ77
//! matches), or stored bytes where those are smaller.
//!
//! Why not flate2: a run packs thousands of small histograms (V2 payloads of ~0.5-20 KB), and
//! miniz's compressor, even reused, zeroes ~250 KB of state on every `reset()`: packing took
//! ~8.5% of the instructions of a 200k-request simulation. LZ77 finds little in these varint
//! payloads (on the window histograms of a 1M-request run zlib level 6 gives 238,184 bytes,
//! Huffman-only 245,266), but their statistics change along the way, from the dense counts of
//! common values to the sparse tail, so a code per stretch pays: cut into up to 8 blocks, the
//! same windows take 219,288 bytes, at a sixth of miniz's instructions. Tables live on the
//! stack; streams are plain zlib, and older results, compressed by miniz, decode as before.

/// Literal/length symbols a block uses: the 256 byte values and end-of-block.
const SYMBOLS: usize = 257;
const END_OF_BLOCK: usize = 256;
/// Longest literal code deflate allows, and longest code-length code.
const MAX_LEN: u8 = 15;
const MAX_CL_LEN: u8 = 7;
/// Code-length code: lengths 0-15, 16 (repeat the previous 3-6 times), 17 (3-10 zeros), 18
/// (11-138 zeros); its own lengths are sent in this order (RFC 1951, 3.2.7).
const CL_SYMBOLS: usize = 19;
const CL_ORDER: [usize; CL_SYMBOLS] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
/// Largest stored block, and the largest Huffman block plus one.
const STORED_MAX: usize = 65_535;
const MAX_HUFFMAN: usize = 1 << 22;
/// Block splitting: the input is cut in at most `CHUNKS` chunks of at least `CHUNK_MIN` bytes,
/// and neighbours are merged while the estimated cost of the merged block is less than that of
/// the two plus the header a block costs (`BLOCK_COST`, 1/65536 bits).
const CHUNKS: usize = 8;
const CHUNK_MIN: usize = 128;
const BLOCK_COST: u64 = 300 << 16;
/// Byte classes of the estimate (byte >> CLASS_SHIFT): a coarse histogram, cheap to compare.
const CLASS_SHIFT: u32 = 3;
const CLASSES: usize = 256 >> CLASS_SHIFT;

/// Appends the zlib stream (RFC 1950) of `data` to `out`.
pub(crate) fn zlib(data: &[u8], out: &mut Vec<u8>) {
    // CMF 0x78: deflate with a 32 KiB window; FLG 0x01: "fastest" level, no dictionary, and the
    // check bits that make 0x7801 a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let (ends, blocks) = split(data);
    let mut w = BitWriter::new(out);
    let mut start = 0;
    for (i, &end) in ends[..blocks].iter().enumerate() {
        let block = data.get(start..end).unwrap_or_default();
        write_block(block, i + 1 == blocks, &mut w);
        start = end;
    }
    w.bytes(&adler32(data).to_be_bytes());
}

/// Writes `data` as one dynamic-Huffman block, or as stored blocks when that is smaller.
fn write_block(data: &[u8], last: bool, w: &mut BitWriter) {
    // Larger blocks (never a histogram's) are stored: counts then fit in 23 bits.
    if data.len() < MAX_HUFFMAN {
        let h = Huffman::new(data);
        if h.bits < stored_bits(w.n, data.len()) {
            w.room(usize::try_from(h.bits.div_ceil(8)).unwrap_or(0));
            return h.write(data, last, w);
        }
    }
    let mut chunks = data.chunks(STORED_MAX);
    let mut next = chunks.next().unwrap_or_default();
    loop {
        let after = chunks.next();
        // BFINAL, BTYPE 00, then LEN and NLEN from the next byte boundary.
        w.put(u64::from(last && after.is_none()), 3);
        let len = next.len() as u16; // at most STORED_MAX
        w.bytes(&len.to_le_bytes());
        w.bytes(&(!len).to_le_bytes());
        w.bytes(next);
        match after {
            Some(chunk) => next = chunk,
            None => break,
        }
    }
}

/// Bits `len` bytes take in stored blocks, starting `pending` bits into a byte.
fn stored_bits(pending: u32, len: usize) -> u64 {
    let blocks = len.div_ceil(STORED_MAX).max(1) as u64;
    // The first header's 3 bits and the padding to a byte; then a byte per further header, and
    // LEN and NLEN per block.
    let first = u64::from(3 + (8 - (pending + 3) % 8) % 8);
    first + (blocks - 1) * 8 + blocks * 32 + 8 * len as u64
}

/// Block ends for `data`, and how many: runs of chunks, neighbours merged while one code for
/// both is estimated to cost less than two (each with its header). Window histograms get 3 or
/// 4 blocks, 10% smaller than one.
fn split(data: &[u8]) -> ([usize; CHUNKS], usize) {
    let mut ends = [data.len(); CHUNKS];
    if data.len() >= MAX_HUFFMAN * CHUNKS {
        // Chunks too large for a Huffman block: stored whole, and class counts fit a u32.
        return (ends, 1);
    }
    let size = data.len().div_ceil(CHUNKS).max(CHUNK_MIN);
    let mut classes = [[0u32; CLASSES]; CHUNKS];
    let mut blocks = 0;
    for (i, (chunk, counts)) in data.chunks(size).zip(&mut classes).enumerate() {
        for &b in chunk {
            counts[usize::from(b >> CLASS_SHIFT)] += 1;
        }
        ends[i] = i * size + chunk.len();
        blocks = i + 1;
    }
    if blocks < 2 {
        return (ends, 1);
    }
    // Estimated cost of each block, and of each block with the next as one.
    let mut cost = [0u64; CHUNKS];
    let mut merged = [0u64; CHUNKS];
    for i in 0..blocks {
        cost[i] = estimate(&classes[i]);
        if i + 1 < blocks {
            merged[i] = estimate(&sum(&classes[i], &classes[i + 1]));
        }
    }
    while blocks > 1 {
        // The neighbours that gain most from one code, while any gain.
        let gains = (0..blocks - 1).map(|i| ((cost[i] + cost[i + 1] + BLOCK_COST).saturating_sub(merged[i]), i));
        let Some((_, i)) = gains.max().filter(|&(gain, _)| gain > 0) else {
            break;
        };
        classes[i] = sum(&classes[i], &classes[i + 1]);
        cost[i] = merged[i];
        classes.copy_within(i + 2..blocks, i + 1);
        cost.copy_within(i + 2..blocks, i + 1);
        merged.copy_within(i + 2..blocks, i + 1);
        ends.copy_within(i + 1..blocks, i);
        blocks -= 1;
        if i > 0 {
            merged[i - 1] = estimate(&sum(&classes[i - 1], &classes[i]));
        }
        if i + 1 < blocks {
            merged[i] = estimate(&sum(&classes[i], &classes[i + 1]));
        }
    }
    (ends, blocks)
}

fn sum(a: &[u32; CLASSES], b: &[u32; CLASSES]) -> [u32; CLASSES] {
    let mut s = *a;
    for (s, &b) in s.iter_mut().zip(b) {
        *s += b;
    }
    s
}

/// Entropy of `counts` in 1/65536 bits: the sum of c * log2(n / c).
fn estimate(counts: &[u32; CLASSES]) -> u64 {
    /// c * 65536 log2(c) for the small counts most classes have.
    const XLOG2X: [u32; 1024] = {
        let mut t = [0; 1024];
        let mut c = 1;
        while c < 1024 {
            t[c] = c as u32 * log2_fixed(c as u32) as u32;
            c += 1;
        }
        t
    };
    let xlog2x = |c: u32| match XLOG2X.get(c as usize) {
        Some(&v) => u64::from(v),
        None => u64::from(c) * log2_fixed(c),
    };
    let n: u32 = counts.iter().sum();
    let parts: u64 = counts.iter().map(|&c| xlog2x(c)).sum();
    xlog2x(n).saturating_sub(parts)
}

/// 65536 log2(x) (0 for 0), to within 0.0001: x's exponent, then log2 of its mantissa from a
/// table of 64 steps, interpolated.
const fn log2_fixed(x: u32) -> u64 {
    /// 65536 log2(1 + i/64).
    const LOG2: [u32; 65] = [
        0, 1466, 2909, 4331, 5732, 7112, 8473, 9814, 11136, 12440, 13727, 14996, 16248, 17484, 18704, 19909, 21098,
        22272, 23433, 24579, 25711, 26830, 27936, 29029, 30109, 31178, 32234, 33279, 34312, 35334, 36346, 37346, 38336,
        39316, 40286, 41246, 42196, 43137, 44068, 44990, 45904, 46809, 47705, 48593, 49472, 50344, 51207, 52063, 52911,
        53751, 54584, 55410, 56229, 57040, 57845, 58643, 59434, 60219, 60997, 61769, 62534, 63294, 64047, 64794, 65536,
    ];
    if x == 0 {
        return 0;
    }
    let k = x.ilog2();
    let m = x << (31 - k); // the highest bit at 31
    let i = (m >> 25 & 63) as usize;
    let step = ((LOG2[i + 1] - LOG2[i]) * (m >> 9 & 0xffff)) >> 16;
    (k as u64) << 16 | (LOG2[i] + step) as u64
}

/// Extra bits after a code-length symbol: 16, 17 and 18 carry a repeat count.
fn cl_extra_bits(symbol: usize) -> u32 {
    match symbol {
        16 => 2,
        17 => 3,
        18 => 7,
        _ => 0,
    }
}

/// A dynamic block's codes, the code-length sequence that describes them, and its size.
struct Huffman {
    /// Bit-reversed literal codes in the low 16 bits, their lengths above.
    lit: [u32; SYMBOLS],
    /// The same for the code-length code.
    cl: [u32; CL_SYMBOLS],
    /// The code-length sequence: symbols, with their extra-bit values above bit 5.
    runs: [u16; SYMBOLS + 1],
    nruns: usize,
    /// Code-length code lengths sent (HCLEN + 4).
    hclen: usize,
    /// The longest literal code.
    max_len: usize,
    bits: u64,
}

impl Huffman {
    fn new(data: &[u8]) -> Huffman {
        let mut freq = [0u32; SYMBOLS];
        for &b in data {
            freq[usize::from(b)] += 1;
        }
        freq[END_OF_BLOCK] = 1;
        let (lens, per_len) = code_lengths(&freq, MAX_LEN);
        let (lit, mut bits) = codes(&lens, &per_len, &freq);
        let max_len = per_len.iter().rposition(|&c| c > 0).unwrap_or(0);

        // The code lengths of literals 0-256 and of one distance code, length 0 (no distances,
        // as miniz writes literal-only blocks), as one run-length coded sequence.
        let mut runs = [0u16; SYMBOLS + 1];
        let mut nruns = 0;
        let mut cl_freq = [0u32; CL_SYMBOLS];
        let mut push = |symbol: u16, extra: usize| {
            runs[nruns] = symbol | (extra as u16) << 5;
            nruns += 1;
            cl_freq[usize::from(symbol)] += 1;
        };
        let mut i = 0;
        while i <= SYMBOLS {
            let len = lens.get(i).copied().unwrap_or(0);
            let mut run = 1;
            while i + run <= SYMBOLS && lens.get(i + run).copied().unwrap_or(0) == len {
                run += 1;
            }
            i += run;
            if len == 0 {
                while run >= 11 {
                    let r = run.min(138);
                    push(18, r - 11);
                    run -= r;
                }
                if run >= 3 {
                    push(17, run - 3);
                    run = 0;
                }
            } else {
                push(u16::from(len), 0);
                run -= 1;
                while run >= 3 {
                    let r = run.min(6);
                    push(16, r - 3);
                    run -= r;
                }
            }
            for _ in 0..run {
                push(u16::from(len), 0);
            }
        }
        let (cl_lens, cl_per_len) = code_lengths(&cl_freq, MAX_CL_LEN);
        let (cl, cl_bits) = codes(&cl_lens, &cl_per_len, &cl_freq);
        let unsent = CL_ORDER.iter().rev().take_while(|&&s| cl_lens[s] == 0).count();
        let hclen = (CL_SYMBOLS - unsent).max(4);
        // Block header (BFINAL, BTYPE, HLIT, HDIST, HCLEN), the code-length code, the sequence
        // and its repeat counts, then the literals and end-of-block.
        bits += 3 + 5 + 5 + 4 + 3 * hclen as u64 + cl_bits;
        bits += u64::from(cl_freq[16] * 2 + cl_freq[17] * 3 + cl_freq[18] * 7);
        Huffman {
            lit,
            cl,
            runs,
            nruns,
            hclen,
            max_len,
            bits,
        }
    }

    fn write(&self, data: &[u8], last: bool, w: &mut BitWriter) {
        // BFINAL, BTYPE 10 (dynamic), HLIT 0 (257 literal codes), HDIST 0 (one distance code),
        // HCLEN.
        w.put(u64::from(last) | 0b100 | (self.hclen as u64 - 4) << 13, 17);
        for &s in &CL_ORDER[..self.hclen] {
            w.put(u64::from(self.cl[s] >> 16), 3);
        }
        for &run in &self.runs[..self.nruns] {
            let s = usize::from(run & 31);
            let extra = u64::from(run >> 5) << (self.cl[s] >> 16);
            w.put(
                u64::from(self.cl[s] & 0xffff) | extra,
                (self.cl[s] >> 16) + cl_extra_bits(s),
            );
        }
        // Four literals per store when their codes fit (at most 56 bits, with the 7 pending),
        // else three (45).
        let i = if self.max_len <= 14 {
            write_literals::<4>(&self.lit, data, w)
        } else {
            write_literals::<3>(&self.lit, data, w)
        };
        for &x in data.get(i..).unwrap_or_default() {
            let a = self.lit[usize::from(x)];
            w.put(u64::from(a & 0xffff), a >> 16);
        }
        let eob = self.lit[END_OF_BLOCK];
        w.put(u64::from(eob & 0xffff), eob >> 16);
    }
}

/// Writes the codes (`lit`, as [`Huffman::lit`]) of `data`'s bytes, `K` per store, in locals
/// rather than through `w`, while the room made for the block lasts (always, unless the size
/// was miscounted); returns how many bytes it wrote, whole groups of `K`. The caller makes sure
/// `K` codes and 7 pending bits fit in 64.
#[inline(always)]
fn write_literals<const K: usize>(lit: &[u32; SYMBOLS], data: &[u8], w: &mut BitWriter) -> usize {
    let (mut acc, mut n, mut pos) = (w.acc, w.n, w.pos);
    let buf = w.out.as_mut_slice();
    let mut done = 0;
    for group in data.chunks_exact(K) {
        let Some(dst) = buf.get_mut(pos..pos + 8) else {
            break;
        };
        let (mut bits, mut len) = (0u64, 0u32);
        for &x in group {
            let a = lit[usize::from(x)];
            bits |= u64::from(a & 0xffff) << len;
            len += a >> 16;
        }
        acc |= bits << n;
        n += len;
        dst.copy_from_slice(&acc.to_le_bytes());
        pos += (n / 8) as usize;
        acc >>= n / 8 * 8;
        n %= 8;
        done += K;
    }
    (w.acc, w.n, w.pos) = (acc, n, pos);
    done
}

/// Deflate's bit order: codes and values from the least significant bit of each byte up.
/// Each put stores all eight bytes of the accumulator at the current byte and moves past the
/// whole ones: one store, whatever the count, into room made beforehand.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Where the bits in `acc` go; `out` may hold scratch bytes past it.
    pos: usize,
    acc: u64,
    /// Bits in `acc`, fewer than 8 between calls.
    n: u32,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> BitWriter<'a> {
        let pos = out.len();
        BitWriter { out, pos, acc: 0, n: 0 }
    }

    /// Makes room for `bytes` more bytes (puts past it still work, a little slower).
    fn room(&mut self, bytes: usize) {
        let needed = self.pos + bytes + 8;
        if self.out.len() < needed {
            self.out.resize(needed, 0);
        }
    }

    /// Appends the low `n` (at most 56) bits of `bits`.
    #[inline]
    fn put(&mut self, bits: u64, n: u32) {
        self.acc |= bits << self.n;
        self.n += n.min(56);
        let bytes = self.acc.to_le_bytes();
        match self.out.get_mut(self.pos..self.pos + 8) {
            Some(dst) => dst.copy_from_slice(&bytes),
            None => {
                self.out.truncate(self.pos);
                self.out.extend_from_slice(&bytes);
            }
        }
        // At most 63 bits: at most 7 whole bytes.
        self.pos += (self.n / 8) as usize;
        self.acc >>= self.n / 8 * 8;
        self.n %= 8;
    }

    /// Pads the bits to a byte boundary; `out` then ends there.
    fn align(&mut self) {
        if self.n > 0 {
            // The last put stored the pending bits in this byte.
            self.pos += 1;
        }
        self.out.truncate(self.pos);
        self.acc = 0;
        self.n = 0;
    }

    /// Appends `bytes` after aligning.
    fn bytes(&mut self, bytes: &[u8]) {
        self.align();
        self.out.extend_from_slice(bytes);
        self.pos = self.out.len();
    }
}

/// Code lengths of a prefix code for symbols with counts `freq` (0: unused; each below 2^23),
/// none longer than `limit`, and the number of codes of each length: Huffman's lengths,
/// computed in place (Moffat and Katajainen, as miniz does), then limited as miniz and zlib
/// limit them.
fn code_lengths<const N: usize>(freq: &[u32; N], limit: u8) -> ([u8; N], [u32; MAX_LEN as usize + 1]) {
    // Used symbols by count, then symbol (so the result is deterministic): count << 9 | symbol.
    let mut keys = [0u32; N];
    let mut n = 0;
    for (s, &f) in freq.iter().enumerate() {
        if f > 0 {
            keys[n] = f << 9 | s as u32;
            n += 1;
        }
    }
    // One used symbol would get a 1-bit code alone, an incomplete code that zlib's inflate
    // rejects for code lengths: add unused symbols at count 0, as zlib does, for two codes.
    for (s, &f) in freq.iter().enumerate() {
        if n >= 2 {
            break;
        }
        if f == 0 {
            keys[n] = s as u32;
            n += 1;
        }
    }
    let keys = &mut keys[..n];
    keys.sort_unstable();
    let mut symbols = [0u16; N];
    for (s, k) in symbols.iter_mut().zip(keys.iter_mut()) {
        *s = (*k & 511) as u16;
        *k >>= 9;
    }
    huffman_depths(keys);

    // Codes per length, deeper ones cut to the limit; then, while that overfills the code space
    // (Kraft sum above 1), a limit-length code goes and a shorter one becomes two one bit longer.
    let limit = usize::from(limit.min(MAX_LEN));
    let mut count = [0u32; MAX_LEN as usize + 1];
    for &d in keys.iter() {
        count[(d as usize).min(limit)] += 1;
    }
    let full = 1u64 << limit;
    let mut total: u64 = (1..=limit).map(|l| u64::from(count[l]) << (limit - l)).sum();
    while total > full {
        count[limit] = count[limit].saturating_sub(1);
        if let Some(l) = (1..limit).rev().find(|&l| count[l] > 0) {
            count[l] -= 1;
            count[l + 1] += 2;
        }
        total -= 1;
    }
    // Shortest codes to the most frequent symbols.
    let mut lens = [0u8; N];
    let mut by_count = symbols[..n].iter().rev();
    for (l, &c) in count.iter().enumerate().skip(1) {
        for &s in by_count.by_ref().take(c as usize) {
            if let Some(len) = lens.get_mut(usize::from(s)) {
                *len = l as u8;
            }
        }
    }
    (lens, count)
}

/// Replaces the weights in `a` (ascending) by the depths of their leaves in a Huffman tree:
/// Moffat and Katajainen's in-place algorithm ("In-place calculation of minimum-redundancy
/// codes", 1995), as miniz's `calculate_minimum_redundancy`.
fn huffman_depths(a: &mut [u32]) {
    let n = a.len();
    if n < 2 {
        if let Some(d) = a.first_mut() {
            *d = 1;
        }
        return;
    }
    // Phase 1: internal node weights, each node's parent index left in place of its weight.
    a[0] += a[1];
    let (mut root, mut leaf) = (0, 2);
    for next in 1..n - 1 {
        if leaf >= n || a[root] < a[leaf] {
            a[next] = a[root];
            a[root] = next as u32;
            root += 1;
        } else {
            a[next] = a[leaf];
            leaf += 1;
        }
        if leaf >= n || (root < next && a[root] < a[leaf]) {
            a[next] += a[root];
            a[root] = next as u32;
            root += 1;
        } else {
            a[next] += a[leaf];
            leaf += 1;
        }
    }
    // Phase 2: internal node depths from parent indices.
    a[n - 2] = 0;
    for next in (0..n - 2).rev() {
        a[next] = a[a[next] as usize] + 1;
    }
    // Phase 3: leaf depths, from the root down.
    let (mut avail, mut used, mut depth) = (1usize, 0usize, 0u32);
    let mut root = n - 1; // one past the next internal node to look at
    let mut next = n; // one past the next leaf to set
    while avail > 0 {
        while root > 0 && a[root - 1] == depth {
            used += 1;
            root -= 1;
        }
        while avail > used && next > 0 {
            next -= 1;
            a[next] = depth;
            avail -= 1;
        }
        avail = 2 * used;
        depth += 1;
        used = 0;
    }
}

/// Canonical codes (RFC 1951, 3.2.2) for `lens`, of which `per_len` have each length: each
/// bit-reversed for the LSB-first writer, its length above bit 16; and the bits of `freq` coded.
fn codes<const N: usize>(lens: &[u8; N], per_len: &[u32; MAX_LEN as usize + 1], freq: &[u32; N]) -> ([u32; N], u64) {
    /// Bytes bit-reversed.
    const REVERSED: [u8; 256] = {
        let mut t = [0; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = (i as u8).reverse_bits();
            i += 1;
        }
        t
    };
    let mut next = [0u32; MAX_LEN as usize + 1];
    let mut code = 0;
    for l in 1..next.len() {
        code = (code + per_len[l - 1]) << 1;
        next[l] = code;
    }
    let mut codes = [0u32; N];
    let mut bits = 0;
    for ((c, &l), &f) in codes.iter_mut().zip(lens).zip(freq) {
        if l > 0 {
            let l = l.min(MAX_LEN);
            let n = &mut next[usize::from(l)];
            let r = u32::from(REVERSED[(*n & 0xff) as usize]) << 8 | u32::from(REVERSED[(*n >> 8 & 0xff) as usize]);
            *c = r >> (16 - l) | u32::from(l) << 16;
            *n += 1;
            bits += u64::from(f) * u64::from(l);
        }
    }
    (codes, bits)
}

/// Adler-32 (RFC 1950), reduced every 5,552 bytes, the most a u32 sum takes unreduced.
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    b << 16 | a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::bins::Bins;
    use crate::results::histogram::{TOTAL_SIGFIG, WINDOW_SIGFIG};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Inflates `z` with flate2 (miniz_oxide), which must end exactly where the stream does.
    fn inflate(z: &[u8]) -> Vec<u8> {
        let mut d = flate2::Decompress::new(true);
        let mut out = Vec::with_capacity(1 << 12);
        loop {
            let consumed = d.total_in() as usize;
            out.reserve(1 << 12);
            match d.decompress_vec(&z[consumed..], &mut out, flate2::FlushDecompress::None) {
                Ok(flate2::Status::StreamEnd) => break,
                Ok(_) if d.total_in() as usize > consumed || out.len() == out.capacity() => {}
                other => panic!("inflate stopped at byte {consumed} of {}: {other:?}", z.len()),
            }
        }
        assert_eq!(d.total_in() as usize, z.len(), "bytes after the stream's end");
        out
    }

    fn encode(data: &[u8]) -> Vec<u8> {
        let mut z = Vec::new();
        zlib(data, &mut z);
        z
    }

    fn round_trip(data: &[u8]) -> Vec<u8> {
        let z = encode(data);
        assert_eq!(u16::from_be_bytes([z[0], z[1]]) % 31, 0, "zlib header check");
        assert_eq!(inflate(&z), data, "{} bytes", data.len());
        assert_eq!(encode(data), z, "deterministic");
        z
    }

    /// BTYPE of the (first) block: 0 stored, 2 dynamic.
    fn block_type(z: &[u8]) -> u8 {
        (z[2] >> 1) & 3
    }

    /// Sum over codes of 2^-length, in units of 2^-15.
    fn kraft(lens: &[u8]) -> u64 {
        lens.iter().filter(|&&l| l > 0).map(|&l| 1u64 << (15 - l)).sum()
    }

    #[test]
    fn small_inputs_round_trip() {
        round_trip(&[]);
        round_trip(&[0]);
        round_trip(&[255]);
        round_trip(b"ab");
        let all: Vec<u8> = (0..=255).collect();
        round_trip(&all);
        let z = round_trip(&all.repeat(40));
        assert_eq!(block_type(&z), 0, "flat counts: stored is smaller");
    }

    /// One byte value (and end-of-block) only: two 1-bit codes, a complete code.
    #[test]
    fn one_repeated_byte_round_trips() {
        for n in [1usize, 2, 3, 100, 10_000, 100_000] {
            for b in [0u8, 7, 255] {
                let z = round_trip(&vec![b; n]);
                if n >= 100 {
                    assert_eq!(block_type(&z), 2);
                    assert!(z.len() < n / 7 + 64, "{n} bytes of {b}: {} compressed", z.len());
                }
            }
        }
        let mut freq = [0u32; SYMBOLS];
        freq[END_OF_BLOCK] = 1;
        let lens = code_lengths(&freq, MAX_LEN).0;
        assert_eq!(kraft(&lens), 1 << 15, "end-of-block alone still gets a complete code");
    }

    /// Fibonacci counts give Huffman codes one bit longer per symbol: 30 symbols need 29 bits
    /// unlimited; deflate allows 15, and 7 for the code-length code.
    #[test]
    fn skewed_counts_are_limited_to_deflates_lengths() {
        let mut fib = vec![1u32, 1];
        while fib.len() < 30 {
            fib.push(fib[fib.len() - 1] + fib[fib.len() - 2]);
        }
        let mut unlimited = fib.clone();
        huffman_depths(&mut unlimited);
        assert_eq!(unlimited.iter().max(), Some(&29));

        let mut data = Vec::new();
        for (i, &f) in fib.iter().enumerate() {
            data.resize(data.len() + f as usize, i as u8 * 8);
        }
        // Shuffled, so the order of the input is not the order of the counts.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for i in (1..data.len()).rev() {
            data.swap(i, rng.random_range(0..=i));
        }
        let z = round_trip(&data);
        assert_eq!(block_type(&z), 2);
        // Each count is ~0.618 of the next: a Huffman code takes ~2.62 bits per byte.
        assert!(z.len() * 3 < data.len(), "{} of {}", z.len(), data.len());

        let mut freq = [0; SYMBOLS];
        freq[..30].copy_from_slice(&fib);
        let mut cl_freq = [0; CL_SYMBOLS];
        cl_freq.copy_from_slice(&fib[..CL_SYMBOLS]);
        for (limit, lens) in [
            (MAX_LEN, &code_lengths(&freq, MAX_LEN).0[..30]),
            (MAX_CL_LEN, &code_lengths(&cl_freq, MAX_CL_LEN).0[..]),
        ] {
            assert_eq!(lens.iter().max(), Some(&limit), "{lens:?}");
            assert_eq!(kraft(lens), 1 << 15, "a complete code: {lens:?}");
            assert!(
                lens.windows(2).all(|w| w[0] >= w[1]),
                "more frequent, no longer: {lens:?}"
            );
        }
    }

    /// Lengths form a complete code, and where no limit binds, an optimal one: the cost of a
    /// Huffman code built the textbook way (merge the two lightest, each merge adds its weight).
    #[test]
    fn code_lengths_are_complete_and_optimal() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for round in 0..2000 {
            let symbols = rng.random_range(2..=SYMBOLS);
            let mut freq = [0u32; SYMBOLS];
            let used: Vec<u32> = (0..symbols)
                .map(|_| match round % 4 {
                    0 => rng.random_range(0..3),
                    1 => rng.random_range(0..1000),
                    2 => 1 << rng.random_range(0..20),
                    _ => rng.random_range(0..2) * rng.random_range(1..100_000),
                })
                .collect();
            freq[..symbols].copy_from_slice(&used);
            let lens = code_lengths(&freq, MAX_LEN).0;
            let lens = &lens[..symbols];
            assert_eq!(kraft(lens), 1 << 15, "round {round}");
            assert!(lens.iter().all(|&l| l <= MAX_LEN));
            assert!(freq.iter().zip(lens).all(|(&f, &l)| f == 0 || l > 0), "round {round}");
            let cost: u64 = freq.iter().zip(lens).map(|(&f, &l)| u64::from(f) * u64::from(l)).sum();
            let mut heap: std::collections::BinaryHeap<_> = freq
                .iter()
                .filter(|&&f| f > 0)
                .map(|&f| std::cmp::Reverse(u64::from(f)))
                .collect();
            // One used symbol still takes a bit per use.
            let mut best = if heap.len() == 1 { heap.peek().unwrap().0 } else { 0 };
            while heap.len() > 1 {
                let (a, b) = (heap.pop().unwrap().0, heap.pop().unwrap().0);
                best += a + b;
                heap.push(std::cmp::Reverse(a + b));
            }
            if *lens.iter().max().unwrap() < MAX_LEN {
                assert_eq!(cost, best, "round {round}");
            }
        }
    }

    #[test]
    fn random_inputs_round_trip() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut sizes: Vec<usize> = (0..300).collect();
        sizes.extend([1000, 4095, 4096, 65_535, 65_536, 65_537, 200_000]);
        for n in sizes {
            // Uniform bytes, few distinct values, and geometric-like (as varints are).
            for kind in 0..3 {
                let data: Vec<u8> = (0..n)
                    .map(|_| match kind {
                        0 => rng.random(),
                        1 => rng.random_range(0..4) * 60,
                        _ => (rng.random::<u32>() | 1).trailing_zeros() as u8 * 9,
                    })
                    .collect();
                let z = round_trip(&data);
                if kind == 0 && n > 100 {
                    // Incompressible: stored, with 5 bytes per 64 KiB block.
                    assert!(z.len() <= n + 6 + 5 * n.div_ceil(STORED_MAX), "{n}: {}", z.len());
                }
            }
        }
    }

    /// The input this encoder is for: V2 payloads of window and whole-run histograms.
    #[test]
    fn histogram_payloads_round_trip() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for sigfig in [WINDOW_SIGFIG, TOTAL_SIGFIG] {
            for n in [0usize, 1, 5, 100, 10_000, 200_000] {
                let mut b = Bins::new(sigfig);
                b.record_us(1);
                for _ in 0..n {
                    let u: f64 = rng.random();
                    b.record_us((-(1.0 - u).ln() * 1e6) as u64 + 1);
                }
                let mut raw = Vec::new();
                b.write_v2(&mut raw).unwrap();
                let z = round_trip(&raw);
                if n >= 100 {
                    assert_eq!(block_type(&z), 2, "sigfig {sigfig}, {n} values");
                }
            }
        }
    }

    /// Statistics that change along the input get a block each, stored or coded, whatever
    /// comes before; uniform ones stay one block.
    #[test]
    fn blocks_follow_the_statistics() {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let low: Vec<u8> = (0..2000).map(|_| rng.random_range(0..16)).collect();
        let high: Vec<u8> = (0..2000).map(|_| rng.random_range(128..144)).collect();
        let noise: Vec<u8> = (0..2000).map(|_| rng.random()).collect();
        assert_eq!(split(&[low.clone(), low.clone()].concat()).1, 1);
        assert_eq!(split(&[noise.clone(), noise.clone()].concat()).1, 1);
        // Each 16-value half codes in ~4 bits a byte; one code for both in ~5.
        for (parts, first, most) in [
            ([&low[..], &high], 2, 2080),
            ([&noise[..], &low], 0, 3080),
            ([&low[..], &noise], 2, 3080),
        ] {
            let data = parts.concat();
            let (ends, blocks) = split(&data);
            assert_eq!(&ends[..blocks], &[2000, 4000]);
            let z = round_trip(&data);
            assert_eq!(block_type(&z), first);
            assert!(z.len() <= most, "{} bytes", z.len());
        }
    }

    /// Blocks too large for 23-bit counts are stored.
    #[test]
    fn a_block_too_large_to_code_is_stored() {
        let data = vec![7; MAX_HUFFMAN];
        let mut z = vec![0x78, 0x01];
        let mut w = BitWriter::new(&mut z);
        write_block(&data, true, &mut w);
        w.bytes(&adler32(&data).to_be_bytes());
        assert_eq!(block_type(&z), 0);
        assert!(inflate(&z) == data);
    }

    /// Literals written four or three per store are the bits written one `put` each, for
    /// codes up to the longest each grouping allows, from any pending bit count, with room for
    /// all of them or only part.
    #[test]
    fn grouped_literals_are_the_bits_put_one_by_one() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        for round in 0..600 {
            let longest = if round % 2 == 0 { 14 } else { 15 };
            let lit: [u32; SYMBOLS] = std::array::from_fn(|_| {
                let len = rng.random_range(1..=longest);
                rng.random_range(0..1u32 << len) | len << 16
            });
            let data: Vec<u8> = (0..rng.random_range(0..200)).map(|_| rng.random()).collect();
            let pending = rng.random_range(0..8u32);
            let mut one = Vec::new();
            let mut w = BitWriter::new(&mut one);
            w.put(0b101_0101 & ((1 << pending) - 1), pending);
            for &x in &data {
                let a = lit[usize::from(x)];
                w.put(u64::from(a & 0xffff), a >> 16);
            }
            w.align();
            let mut grouped = Vec::new();
            let mut w = BitWriter::new(&mut grouped);
            w.put(0b101_0101 & ((1 << pending) - 1), pending);
            // Room for all of it, or for about half (the rest then goes one `put` each).
            let room = if round % 3 == 0 { data.len() } else { data.len() * 2 };
            w.room(room);
            let done = if longest <= 14 {
                write_literals::<4>(&lit, &data, &mut w)
            } else {
                write_literals::<3>(&lit, &data, &mut w)
            };
            for &x in &data[done..] {
                let a = lit[usize::from(x)];
                w.put(u64::from(a & 0xffff), a >> 16);
            }
            w.align();
            assert_eq!(grouped, one, "round {round}: {} bytes, {done} grouped", data.len());
        }
    }

    #[test]
    fn the_stream_is_appended() {
        let data = b"spillway spillway spillway";
        let mut z = b"head".to_vec();
        zlib(data, &mut z);
        assert_eq!(&z[..4], b"head");
        assert_eq!(inflate(&z[4..]), data);
    }

    #[test]
    fn adler32_matches_known_values() {
        assert_eq!(adler32(b""), 1);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        // Past one reduction interval.
        assert_eq!(adler32(&[255; 10_000]), 0xb623_eb2b);
    }
}
