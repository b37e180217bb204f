//! Dense counts in HdrHistogram's bins, for recording.
//!
//! `Histogram::record` also tracks the minimum, maximum and total and checks whether it must
//! resize, which made recording a fifth of a simulation's time (four metrics, each in its window
//! and in the whole run). A [`Bins`] only increments a counter; it becomes a [`Hist`] (the same
//! bins, so the same counts, percentiles, mean and encoded bytes) when it is read or packed.

use super::histogram::Hist;

/// HdrHistogram's sub-bucket magnitude for `sigfig` digits (what [`Bins::new`] computes with
/// floats: the smallest power of two that tells `2 * 10^sigfig` values apart), as a constant
/// for [`FineBins`].
const fn magnitude_of(sigfig: u8) -> u32 {
    let largest = 2 * 10u64.pow(sigfig as u32);
    let mut m = 0;
    while (1u64 << m) < largest {
        m += 1;
    }
    m
}

/// HdrHistogram's `index_for` with a unit magnitude of 0, sub-bucket magnitude `magnitude` and
/// `mask` its `2^magnitude - 1` (given, not computed: a [`Bins`] keeps it, a [`FineBins`] has
/// both as constants).
#[inline(always)]
const fn index_at(magnitude: u32, mask: u64, value: u64) -> usize {
    let half_mag = magnitude - 1;
    // HdrHistogram's bucket, `(64 - m) - leading_zeros(value | mask)`, as the highest set bit
    // less `m - 1`: one `bsr` (`| 1` tells the compiler the operand is never zero, so there is
    // no zero check).
    let bucket = (value | mask | 1).ilog2() - half_mag;
    let sub = value >> bucket;
    // (bucket + 1) * half + sub - half, where half = 2^(m-1).
    ((bucket as u64) << half_mag).wrapping_add(sub) as usize
}

/// Counts per HdrHistogram bin (lowest discernible value 1, `sigfig` significant digits).
#[derive(Clone, Debug)]
pub struct Bins {
    sigfig: u8,
    /// log2 of the sub-buckets per bucket (HdrHistogram's `sub_bucket_count_magnitude`).
    magnitude: u32,
    /// `2^magnitude - 1`: the values of bucket 0 (kept, as the index needs it per value).
    mask: u64,
    counts: Vec<u64>,
}

impl Bins {
    pub fn new(sigfig: u8) -> Bins {
        // As HdrHistogram: enough sub-buckets to tell 2 * 10^sigfig values apart.
        let sigfig = sigfig.clamp(1, 5);
        let largest = 2.0 * 10f64.powi(i32::from(sigfig));
        let magnitude = largest.log2().ceil() as u32;
        Bins {
            sigfig,
            magnitude,
            mask: (1u64 << magnitude) - 1,
            counts: Vec::new(),
        }
    }

    /// HdrHistogram's `index_for` with a unit magnitude of 0.
    #[inline]
    fn index(&self, value: u64) -> usize {
        index_at(self.magnitude, self.mask, value)
    }

    /// The lowest and the highest value in bin `index` (HdrHistogram's `value_for`).
    fn range_at(&self, index: usize) -> (u64, u64) {
        let half_mag = self.magnitude - 1;
        let half = 1u64 << half_mag;
        let i = index as u64;
        let bucket = (i >> half_mag).saturating_sub(1);
        let sub = if i < half { i } else { (i & (half - 1)) + half };
        let low = sub << bucket;
        (low, low + ((1u64 << bucket) - 1))
    }

    /// Records `us` (microseconds, as [`Hist::micros`] converts).
    #[inline]
    pub fn record_us(&mut self, us: u64) {
        self.record_n(us, 1);
    }

    #[inline]
    pub fn record_n(&mut self, us: u64, n: u64) {
        // One bounds check, not two; the number of values is summed when it is read.
        self.add_at(self.index(us), n);
    }

    #[inline]
    pub fn record(&mut self, d: std::time::Duration) {
        self.record_us(Hist::micros(d));
    }

    /// Adds `n` values to bin `index`.
    #[inline]
    fn add_at(&mut self, index: usize, n: u64) {
        match self.counts.get_mut(index) {
            Some(c) => *c += n,
            None => self.grow_and_add(index, n),
        }
    }

    #[cold]
    fn grow_and_add(&mut self, index: usize, n: u64) {
        // To the end of the index's bucket, so a bucket grows once.
        let half = 1usize << (self.magnitude - 1);
        self.counts.resize((index / half + 1) * half, 0);
        self.counts[index] += n;
    }

    pub fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0)
    }

    /// Whether `other` has these very counts (and precision): then it converts, packs and
    /// encodes to the same bytes.
    pub fn same_counts(&self, other: &Bins) -> bool {
        self.sigfig == other.sigfig && self.counts == other.counts
    }

    /// The same values as a [`Hist`]: the histogram hdrhistogram decodes from
    /// [`Bins::write_v2`]'s bytes, which sets each count once rather than recording it (a
    /// fifth as many instructions), or, where those bytes are not written, recorded bin by bin.
    pub fn to_hist(&self) -> Hist {
        let mut v2 = Vec::new();
        self.write_v2(&mut v2)
            .and_then(|_| Hist::from_v2(&v2))
            .unwrap_or_else(|| self.to_hist_recorded())
    }

    /// [`Bins::to_hist`] by recording each bin's count at its highest value.
    fn to_hist_recorded(&self) -> Hist {
        let mut h = Hist::new(self.sigfig);
        for (i, &c) in self.counts.iter().enumerate() {
            if c > 0 {
                // The bin's highest value, so the maximum matches direct recording. In the very
                // last bin HdrHistogram's highest-equivalent arithmetic saturates and the two
                // can differ by 1; the only value that lands there is `Hist::micros`' saturated
                // u64::MAX (584,000 years), for which they agree.
                // Auto-resizing accepts any value; counts are far below overflow.
                let _ = h.0.record_n(self.range_at(i).1, c);
            }
        }
        h
    }

    /// Writes the uncompressed V2 encoding of [`Bins::to_hist`] (what hdrhistogram's
    /// `V2Serializer` writes for it) to `out`, and returns the number of values and the largest
    /// (as `Histogram::max` gives it). `None`, with `out` in any state, when empty or when the
    /// largest value is within a factor 4 of `u64::MAX` (see `to_hist`): callers serialize the
    /// histogram then.
    pub fn write_v2(&self, out: &mut Vec<u8>) -> Option<(u64, u64)> {
        let top = self.counts.iter().rposition(|&c| c > 0)?;
        let max = self.range_at(top).1;
        if max >= u64::MAX / 4 {
            return None;
        }
        // The highest trackable value `to_hist` leaves: the initial 2 while every value fits the
        // first bucket's bins (no resize), else the top of the counts array auto-resizing gave
        // it, which ends with the largest value's bucket.
        let half = 1usize << (self.magnitude - 1);
        let high = if top < 2 * half {
            2
        } else {
            self.range_at((top / half + 1) * half - 1).1
        };
        out.clear();
        out.extend_from_slice(&super::histogram::V2_COOKIE.to_be_bytes());
        out.extend_from_slice(&[0; 4]); // payload length, set below
        out.extend_from_slice(&0u32.to_be_bytes()); // normalizing index offset
        out.extend_from_slice(&u32::from(self.sigfig).to_be_bytes());
        out.extend_from_slice(&1u64.to_be_bytes()); // lowest discernible value
        out.extend_from_slice(&high.to_be_bytes());
        out.extend_from_slice(&1.0f64.to_be_bytes()); // integer to double ratio
        let header = out.len();
        // Counts up to the largest value's bin: a count as itself, a run of two or more empty
        // bins as minus its length, each zigzag-encoded as a varint.
        let counts = &self.counts[..=top];
        // Room for the longest encoding (9 bytes an item) at once. (Not zero-filled to write by
        // index: a fill that size cost more than the pushes' capacity checks.)
        out.reserve(9 * counts.len());
        let (mut i, mut total) = (0, 0u64);
        while let Some(&c) = counts.get(i) {
            // Zigzag of the item: 2c for a count, 2r - 1 for -r.
            let zigzag = if c != 0 {
                // A count is not the start of a run: no run to measure (most bins of a long
                // window).
                i += 1;
                total += c;
                i64::try_from(c).ok()?;
                c << 1
            } else {
                let run = zero_run(&counts[i..]);
                i += run;
                // A lone empty bin is a count of 0.
                if run > 1 {
                    ((run as u64) << 1) - 1
                } else {
                    0
                }
            };
            write_varint(out, zigzag);
        }
        let payload = u32::try_from(out.len() - header).ok()?;
        out[4..8].copy_from_slice(&payload.to_be_bytes());
        Some((total, max))
    }

    /// `Histogram::mean` of [`Bins::to_hist`] (microseconds), bit for bit: the crate's sum, in
    /// its order, of each recorded bin's median value times its count over the total, without
    /// its iterator (which visits every bin at some 100 instructions each). `None` when empty
    /// or where [`Bins::write_v2`] hands back (values near `u64::MAX`).
    pub fn mean_us(&self) -> Option<f64> {
        let top = self.counts.iter().rposition(|&c| c > 0)?;
        if self.range_at(top).1 >= u64::MAX / 4 {
            return None;
        }
        let total = self.counts.iter().fold(0u64, |t, &c| t.saturating_add(c)) as f64;
        let mut mean = 0.0;
        for (i, &c) in self.counts[..=top].iter().enumerate() {
            if c > 0 {
                // `median_equivalent`: the bin's lowest value plus half its width.
                let (low, high) = self.range_at(i);
                mean += (low + ((high - low + 1) >> 1)) as f64 * c as f64 / total;
            }
        }
        Some(mean)
    }

    /// The values of `h` (which must have this sigfig to keep its bins exactly).
    pub fn from_hist(h: &Hist) -> Bins {
        let mut b = Bins::new(h.0.sigfig());
        for v in h.0.iter_recorded() {
            b.record_n(v.value_iterated_to(), v.count_at_value());
        }
        b
    }

    /// Quantile in seconds (0 when empty), as [`Hist::quantile_s`].
    pub fn quantile_s(&self, q: f64) -> f64 {
        if self.is_empty() {
            return 0.0;
        }
        self.to_hist().quantile_s(q)
    }
}

/// [`Bins`] that know which runs of bins they touched since they were last drained: the newest
/// window's values at the whole run's precision (see `Recorder::fine`).
///
/// Draining a window of few values visits the runs that hold them, not every bin up to the
/// largest value's (about 25,000 at three figures once a value of 30 s was seen). With 1 s
/// windows of a hundred requests, the full pass over four such histograms per window was a
/// third of a simulation's instructions (the death-spiral scenario). A window whose values
/// touched much of the range is drained by the full pass, which is faster there.
///
/// The precision is a constant (`SIGFIG`), as are the run length and the bin arithmetic that
/// follow from it: every value of every request is binned and marked here, and with them as
/// fields each took loads the constants fold away.
///
/// The counts are a fixed array with room for every bin a `u64` can fall in ([`FINE_LEN`], a
/// power of two, so at most three figures): a value's bin is masked into it (a no-op the
/// compiler cannot see, and one instruction where a bounds check and a growth path were two),
/// and that bin's run is then in [`FineBins::touched`] without a check either. The memory is
/// zeroed lazily by the system: only the pages of bins in use are ever touched.
#[derive(Clone, Debug)]
pub struct FineBins<const SIGFIG: u8> {
    /// `u32`, not `u64`: half the footprint of the histograms a request's values land in at
    /// random (tens of kilobytes each in use at three figures; with `u64` counts callgrind
    /// counted one D1 miss per increment). The caller drains them before any count could
    /// pass `u32::MAX` ([`FINE_CAPACITY`]).
    counts: Box<[FineCount; FINE_LEN]>,
    /// Non-zero: the run (bins `r << RUN_SHIFT` onwards) may hold counts. A byte, not a bit:
    /// marking is one store on the path of every value, with no read. Kept inline (not boxed):
    /// the store needs no pointer loaded first.
    touched: [u8; RUNS],
}

const RUNS: usize = 4096;
/// A [`FineBins`] count.
type FineCount = u32;
/// The values a [`FineBins`] may take between drains (its own, and those another's
/// [`FineBins::drain_into_fine`] adds to it): no bin can then pass its count's range.
pub const FINE_CAPACITY: u64 = FineCount::MAX as u64;
/// Bins of a [`FineBins`]: a power of two above the 56,320 bins three figures need for values
/// up to `u64::MAX`.
const FINE_LEN: usize = 1 << 16;

impl<const SIGFIG: u8> FineBins<SIGFIG> {
    /// The sub-bucket magnitude ([`Bins::magnitude`]) and its mask ([`Bins::mask`]).
    const MAGNITUDE: u32 = magnitude_of(SIGFIG);
    const MASK: u64 = (1u64 << Self::MAGNITUDE) - 1;
    /// log2 of the bins per run: at least 16 (a window's values cluster, so a run that size
    /// holds several), and few enough runs for [`FineBins::touched`] to have one byte for
    /// each index a `u64` value can have (16 bins a run at three figures).
    const RUN_SHIFT: u32 = {
        let mut shift = 4;
        while (FINE_LEN >> shift) > RUNS {
            shift += 1;
        }
        shift
    };
    /// Bins a value can fall in (the highest value's, plus one): at most [`FINE_LEN`].
    const BINS: usize = {
        let bins = index_at(Self::MAGNITUDE, Self::MASK, u64::MAX) + 1;
        assert!(bins <= FINE_LEN, "fine bins keep at most three figures");
        bins
    };
    /// Mark words (eight runs each) that cover [`FineBins::BINS`].
    const WORDS: usize = Self::BINS.div_ceil(1 << Self::RUN_SHIFT).div_ceil(8);

    pub fn new() -> FineBins<SIGFIG> {
        // Through a vector, not an array on the stack first (512 KiB); zeroed by the allocator.
        let counts: Box<[FineCount]> = vec![0; FINE_LEN].into_boxed_slice();
        let Ok(counts) = counts.try_into() else {
            unreachable!("the slice has FINE_LEN counts")
        };
        // Evaluated here, so that a precision with too many bins fails to build.
        let _ = Self::BINS;
        FineBins {
            counts,
            touched: [0; RUNS],
        }
    }

    /// Records `us` (microseconds, as [`Hist::micros`] converts).
    #[inline]
    pub fn record_us(&mut self, us: u64) {
        self.record_index(Self::index(us));
    }

    /// The bin of `us`: the same in every [`FineBins`] of the same precision, so a value
    /// recorded in two of them is binned once ([`FineBins::record_index`]).
    #[inline]
    pub fn index(us: u64) -> usize {
        index_at(Self::MAGNITUDE, Self::MASK, us)
    }

    /// Records a value of bin `i` (as [`FineBins::index`] gives it).
    #[inline]
    pub fn record_index(&mut self, i: usize) {
        // The mask keeps the index in range without a check (every bin is below `FINE_LEN`:
        // it changes none), and then its run too: `RUN_SHIFT` makes `FINE_LEN` runs fit.
        let i = i & (FINE_LEN - 1);
        self.counts[i] += 1;
        self.touched[i >> Self::RUN_SHIFT] = 1;
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.counts.iter().all(|&c| c == 0)
    }

    /// How many values it holds.
    #[cfg(test)]
    pub(crate) fn held(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// Adds these counts to both `a` and `b` (of the same precision), then empties them: a
    /// value recorded here once counts as recorded in each. Only the marked runs are read.
    pub fn drain_into_fine(&mut self, a: &mut FineBins<SIGFIG>, b: &mut FineBins<SIGFIG>) {
        let marks = self.touched.as_chunks_mut::<8>().0.iter_mut().enumerate();
        // Eight marks at a time: most runs are never marked.
        for (k, mark) in marks.filter(|(_, m)| u64::from_ne_bytes(**m) != 0) {
            for (r, mark) in mark.iter_mut().enumerate().filter(|(_, m)| **m != 0) {
                *mark = 0;
                Self::move_run(&mut self.counts[..], k * 8 + r, a, b);
            }
        }
    }

    /// [`FineBins::drain_into_fine`] of run `r`.
    #[inline]
    fn move_run(counts: &mut [FineCount], r: usize, a: &mut FineBins<SIGFIG>, b: &mut FineBins<SIGFIG>) {
        a.touched[r] = 1;
        b.touched[r] = 1;
        let from = r << Self::RUN_SHIFT;
        let to = (from + (1 << Self::RUN_SHIFT)).min(FINE_LEN);
        let runs = counts[from..to]
            .iter_mut()
            .zip(&mut a.counts[from..to])
            .zip(&mut b.counts[from..to]);
        for ((c, a), b) in runs {
            let c = std::mem::take(c);
            *a += c;
            *b += c;
        }
    }

    /// Adds these counts to `total` (of the same precision) and to `coarse` (of the same or
    /// fewer significant figures), then empties them, keeping their memory. Exact: a bin of
    /// more sub-buckets never straddles one of fewer (each is a power-of-two range aligned to
    /// its size, the coarse one at least as large, or a single value in bucket 0), so adding a
    /// bin's count at its lowest value gives the counts recording every value would.
    pub fn drain_into(&mut self, coarse: &mut Bins, total: &mut Bins) {
        let magnitude = Self::MAGNITUDE;
        debug_assert!(total.magnitude == magnitude && coarse.magnitude <= magnitude);
        // The marks in use end at the last non-zero word (most of the range, the bins of
        // values of hours to centuries, is never marked): found from the top, four words at a
        // time.
        let marks = &mut self.touched[..Self::WORDS * 8];
        let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        let mut words = Self::WORDS;
        let quad = |m: &[u8], k: usize| {
            (k * 8..k * 8 + 32)
                .step_by(8)
                .fold(0, |any, at| any | word(&m[at..at + 8]))
        };
        while words >= 4 && quad(marks, words - 4) == 0 {
            words -= 4;
        }
        while words > 0 && word(&marks[(words - 1) * 8..words * 8]) == 0 {
            words -= 1;
        }
        if words == 0 {
            // Nothing recorded since the last drain (a mark stays until its run is drained).
            return;
        }
        // The bins those marks cover: a whole number of words of runs, so of octets.
        let n = ((words * 8) << Self::RUN_SHIFT).min(FINE_LEN);
        let fine = &mut self.counts[..n];
        if total.counts.len() < n {
            total.counts.resize(n, 0);
        }
        // Bucket 0 (indices below 2^magnitude) holds one value per bin. Above it, with `d`
        // fewer sub-bucket bits, fine index `(b << h) + s` (bucket b >= 1, h = magnitude - 1,
        // s the sub-bucket) is value range `s << b`, which is coarse bucket `b + d` and
        // sub-bucket `s >> d`, at index `((b + d) << (h - d)) + (s >> d)`, that is
        // `(i >> d) + (d << (h - d))`.
        let bucket0 = (1usize << magnitude).min(n);
        let d = magnitude - coarse.magnitude;
        let offset = (d as usize) << (coarse.magnitude - 1);
        // The marks of the runs in use, read eight at a time: each byte is 0 or 1, so a word's
        // set bits are its marked runs. How many runs are marked (the last word has one).
        let marks = &mut marks[..words * 8];
        let runs: usize = marks.chunks_exact(8).map(|c| word(c).count_ones() as usize).sum();
        let top = words - 1;
        if runs * 3 > words * 8 * 2 {
            marks.fill(0);
            Self::drain_all(fine, coarse, total, bucket0, d, offset);
            return;
        }
        // Room for the coarse bins up to the last marked word's runs, taken at once: a window's
        // bins grew a bucket at a time, each growth a reallocation and a copy. (Capacity only:
        // the counts still grow as recording would.)
        let last = (((top + 1) * 8) << Self::RUN_SHIFT).min(n).saturating_sub(1);
        let top_coarse = if last < bucket0 {
            coarse.index(last as u64)
        } else {
            (last >> d) + offset
        };
        let half = 1usize << (coarse.magnitude - 1);
        let need = (top_coarse / half + 1) * half;
        coarse.counts.reserve(need.saturating_sub(coarse.counts.len()));
        // Fine bins per coarse bin, at most a run: both are aligned powers of two, so each such
        // chunk of a run above bucket 0 lies in one coarse bin, added to once.
        let step = 1usize << d.min(Self::RUN_SHIFT);
        for (k, chunk) in marks.chunks_exact_mut(8).enumerate() {
            let w = word(chunk);
            if w == 0 {
                continue;
            }
            chunk.fill(0);
            // One bit per run (each byte is 0 or 1: the product gathers them in its top byte),
            // so that neighbouring marked runs, as a window's values make them, are drained as
            // one span: per run, the setup cost about as much as its bins.
            let mut bits = (w.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u32;
            while bits != 0 {
                let first = bits.trailing_zeros();
                let len = (bits >> first).trailing_ones();
                bits &= !(((1u32 << len) - 1) << first);
                let from = (k * 8 + first as usize) << Self::RUN_SHIFT;
                let to = ((k * 8 + (first + len) as usize) << Self::RUN_SHIFT).min(n);
                // Bucket 0 bin by bin, then the rest (runs are aligned: bucket 0 ends at one's
                // start).
                let mid = bucket0.clamp(from, to);
                for (v, c) in fine[from..mid].iter_mut().enumerate() {
                    let c = u64::from(std::mem::take(c));
                    if c != 0 {
                        total.counts[from + v] += c;
                        coarse.record_n((from + v) as u64, c);
                    }
                }
                let from = mid;
                let (f, t) = (&mut fine[from..to], &mut total.counts[from..to]);
                if step == 8 && f.len() % 8 == 0 {
                    // The windows' precision (three figures to two): chunks of a constant
                    // size, summed and moved without a branch per bin. Grown as recording
                    // would (to the bucket's end), not to the top of the fine range: a new
                    // window's coarse bins stay small.
                    let (f, t) = (f.as_chunks_mut::<8>().0, t.as_chunks_mut::<8>().0);
                    drain_octets(f, t, |j, sum| coarse.add_at(((from + j * 8) >> d) + offset, sum));
                } else {
                    for (j, (f, t)) in f.chunks_mut(step).zip(t.chunks_mut(step)).enumerate() {
                        let sum: u64 = f.iter().map(|&c| u64::from(c)).sum();
                        if sum != 0 {
                            for (t, f) in t.iter_mut().zip(f.iter_mut()) {
                                *t += u64::from(std::mem::take(f));
                            }
                            coarse.add_at(((from + j * step) >> d) + offset, sum);
                        }
                    }
                }
            }
        }
    }

    /// [`FineBins::drain_into`] over every bin: one pass that adds, coarsens and empties.
    fn drain_all(fine: &mut [FineCount], coarse: &mut Bins, total: &mut Bins, bucket0: usize, d: u32, offset: usize) {
        let n = fine.len();
        let total = &mut total.counts[..n];
        // Eight bins at a time, the empty ones (all of them, for latencies over 2 ms) skipped
        // with one test.
        for (k, (f, t)) in fine[..bucket0].chunks_mut(8).zip(total.chunks_mut(8)).enumerate() {
            if f.iter().fold(0, |any, &c| any | c) == 0 {
                continue;
            }
            for (v, (f, t)) in f.iter_mut().zip(t).enumerate() {
                let c = u64::from(std::mem::take(f));
                if c != 0 {
                    *t += c;
                    coarse.record_n((k * 8 + v) as u64, c);
                }
            }
        }
        if n > bucket0 {
            // Each aligned run of 2^d fine bins is one coarse bin; bin counts are whole
            // buckets (`grow_and_add`), so the runs fit exactly and the coarse bins cover them.
            let run = 1usize << d;
            let need = (n >> d) + offset;
            let first = (bucket0 >> d) + offset;
            if run == 8 && coarse.counts.len() <= first {
                // The windows' precision, into coarse bins that end below these (a new window's,
                // unless a late value reached them): each sum appended, not added to a zero
                // filled in first.
                coarse.counts.resize(first, 0);
                let f = fine[bucket0..].as_chunks_mut::<8>().0;
                let t = total[bucket0..].as_chunks_mut::<8>().0;
                coarse
                    .counts
                    .extend(f.iter_mut().zip(t).map(|(f, t)| drain_octet(f, t)));
                return;
            }
            if coarse.counts.len() < need {
                coarse.counts.resize(need, 0);
            }
            if run == 8 {
                // Runs of a constant size, without a loop each.
                let f = fine[bucket0..].as_chunks_mut::<8>().0;
                let t = total[bucket0..].as_chunks_mut::<8>().0;
                let coarse = &mut coarse.counts[first..need];
                drain_octets(f, t, |j, sum| coarse[j] += sum);
                return;
            }
            let runs = fine[bucket0..]
                .chunks_exact_mut(run)
                .zip(total[bucket0..].chunks_exact_mut(run));
            for (k, (f, t)) in coarse.counts[first..need].iter_mut().zip(runs) {
                let mut sum = 0;
                for (f, t) in f.iter_mut().zip(t) {
                    let c = u64::from(std::mem::take(f));
                    sum += c;
                    *t += c;
                }
                *k += sum;
            }
        }
    }
}

impl<const SIGFIG: u8> Default for FineBins<SIGFIG> {
    fn default() -> Self {
        Self::new()
    }
}

/// Adds each run of eight fine counts to the same bins of `total`, empties it, and hands its
/// sum with its index to `coarse` (the coarse bin it makes up); a run of zeros is skipped.
#[inline(always)]
fn drain_octets(fine: &mut [[FineCount; 8]], total: &mut [[u64; 8]], mut coarse: impl FnMut(usize, u64)) {
    for (j, (f, t)) in fine.iter_mut().zip(total).enumerate() {
        let sum = drain_octet(f, t);
        if sum != 0 {
            coarse(j, sum);
        }
    }
}

/// Adds eight fine counts to the same bins of `total` and empties them (left alone when all
/// are zero); returns their sum.
///
/// Both octets are read whole before either is written: where they come from (a boxed array,
/// a vector) the compiler cannot tell they do not overlap, and added in place it reloaded each
/// fine count and added it to memory one by one, twice the instructions of four vector adds.
#[inline(always)]
fn drain_octet(f: &mut [FineCount; 8], t: &mut [u64; 8]) -> u64 {
    let fine = f.map(u64::from);
    let sum: u64 = fine.iter().sum();
    if sum != 0 {
        let mut total = *t;
        for (t, f) in total.iter_mut().zip(fine) {
            *t += f;
        }
        *t = total;
        *f = [0; 8];
    }
    sum
}

/// How many counts `c` starts with that are zero: four at a time while it can (a window's
/// counts are mostly long runs of zeros, and bin by bin they were a tenth of a short-window
/// run's instructions), then one at a time.
#[inline]
fn zero_run(c: &[u64]) -> usize {
    let quads = c.as_chunks::<4>().0;
    let k = 4 * quads.iter().take_while(|q| (q[0] | q[1] | q[2] | q[3]) == 0).count();
    k + c[k..].iter().take_while(|&&x| x == 0).count()
}

/// HdrHistogram's varint (`varint_write`): LEB128 for the first 8 groups of 7 bits, the 9th byte
/// whole.
#[inline]
fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    for _ in 0..8 {
        if v < 0x80 {
            out.push(v as u8);
            return;
        }
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::histogram::{PackedHist, TOTAL_SIGFIG, WINDOW_SIGFIG};
    use rand::{Rng, SeedableRng};

    /// Recording through bins gives the histogram direct recording gives: same counts, same
    /// figures, same encoded bytes, at both precisions and across the whole value range.
    #[test]
    fn bins_convert_to_the_histogram_direct_recording_builds() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for sigfig in [WINDOW_SIGFIG, TOTAL_SIGFIG, 1, 4] {
            let mut bins = Bins::new(sigfig);
            let mut direct = Hist::new(sigfig);
            let mut values: Vec<u64> = vec![0, 1, 2, 255, 256, 257, 2047, 2048, 2049, 1 << 40, u64::MAX];
            for _ in 0..20_000 {
                // Log-uniform over the whole range, so every bucket sees values.
                let bits = rng.random_range(0..64u32);
                values.push(rng.random::<u64>() >> bits);
            }
            for &v in &values {
                bins.record_us(v);
                direct.record_us(v);
            }
            let via = bins.to_hist();
            assert_eq!(via.len(), direct.len(), "sigfig {sigfig}");
            assert!(
                via.0 == direct.0,
                "sigfig {sigfig}: max {} vs {}, high {} vs {}, distinct {} vs {}",
                via.0.max(),
                direct.0.max(),
                via.0.high(),
                direct.0.high(),
                via.0.distinct_values(),
                direct.0.distinct_values()
            );
            assert_eq!(via.encode(), direct.encode(), "sigfig {sigfig}: same bytes");
            for q in [0.0, 0.5, 0.9, 0.99, 0.999, 1.0] {
                assert_eq!(via.quantile_s(q), direct.quantile_s(q));
                assert_eq!(bins.quantile_s(q), direct.quantile_s(q));
            }
            assert_eq!(via.mean_s(), direct.mean_s());
            assert_eq!(via.max_s(), direct.max_s());
            // And back: a packed window that receives a late value is unpacked into bins.
            assert!(Bins::from_hist(&direct).to_hist().0 == direct.0);
        }
    }

    /// Value sets of every shape the fast paths must agree on: empty, single values, bucket
    /// edges, the first bucket only, log-uniform over the whole range, window-like latencies.
    fn varied_value_sets(seed: u64) -> Vec<Vec<u64>> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut sets: Vec<Vec<u64>> = vec![
            vec![],
            vec![0],
            vec![1],
            vec![2],
            vec![0, 0, 3],
            vec![1, 1, 1, 5],
            vec![255],
            vec![256],
            vec![255, 256, 257],
            vec![2047, 2048, 2049],
            vec![4095],
            vec![4096],
            vec![4095, 4096],
            vec![1 << 40],
            vec![u64::MAX / 4 - 1],
            vec![u64::MAX / 4],
            vec![u64::MAX],
            vec![3, 1 << 20, 7],
        ];
        for n in [1usize, 10, 1000, 20_000] {
            sets.push(
                (0..n)
                    .map(|_| rng.random::<u64>() >> rng.random_range(0..64u32))
                    .collect(),
            );
            sets.push((0..n).map(|_| rng.random_range(0..300u64)).collect());
            sets.push((0..n).map(|_| rng.random_range(1..20_000_000u64)).collect());
        }
        sets
    }

    /// `values` recorded into bins of `sigfig` digits.
    fn bins_of(sigfig: u8, values: &[u64]) -> Bins {
        let mut b = Bins::new(sigfig);
        for &v in values {
            b.record_us(v);
        }
        b
    }

    /// The mean from the bins is the crate's mean of their histogram, bit for bit.
    #[test]
    fn bins_mean_is_the_crates_mean_exactly() {
        for sigfig in [WINDOW_SIGFIG, TOTAL_SIGFIG, 1, 4] {
            for values in varied_value_sets(23) {
                let b = bins_of(sigfig, &values);
                let slow = b.to_hist_recorded();
                let what = format!(
                    "sigfig {sigfig}, {} values, max {:?}",
                    values.len(),
                    values.iter().max()
                );
                match b.mean_us() {
                    Some(m) => assert_eq!(m.to_bits(), slow.0.mean().to_bits(), "{what}"),
                    None => assert!(slow.is_empty() || slow.0.max() >= u64::MAX / 4, "{what}"),
                }
            }
        }
    }

    /// The histogram decoded from the bins' V2 bytes is the one recording them builds: same
    /// counts, figures, range and bytes, and it goes on recording alike.
    #[test]
    fn decoded_histogram_is_the_recorded_one() {
        for sigfig in [WINDOW_SIGFIG, TOTAL_SIGFIG, 1, 4] {
            for values in varied_value_sets(29) {
                let b = bins_of(sigfig, &values);
                let (mut fast, mut slow) = (b.to_hist(), b.to_hist_recorded());
                let what = format!(
                    "sigfig {sigfig}, {} values, max {:?}",
                    values.len(),
                    values.iter().max()
                );
                for _ in 0..2 {
                    assert!(fast.0 == slow.0, "{what}");
                    assert_eq!(
                        (fast.0.high(), fast.0.distinct_values(), fast.0.buckets()),
                        (slow.0.high(), slow.0.distinct_values(), slow.0.buckets()),
                        "{what}"
                    );
                    assert_eq!(
                        (fast.0.min(), fast.0.max(), fast.0.min_nz(), fast.len()),
                        (slow.0.min(), slow.0.max(), slow.0.min_nz(), slow.len()),
                        "{what}"
                    );
                    assert_eq!(fast.encode(), slow.encode(), "{what}");
                    assert_eq!(fast.0.mean().to_bits(), slow.0.mean().to_bits(), "{what}");
                    // Then a value inside the range, one past it, and one in the lowest bin.
                    for v in [5, 1 << 30, values.iter().copied().min().unwrap_or(9)] {
                        fast.record_us(v);
                        slow.record_us(v);
                    }
                }
            }
        }
    }

    /// Packing straight from the bins gives what packing the histogram gives: same bytes, count
    /// and maximum, with and without a resize, at bucket edges, and for the cases it hands back.
    #[test]
    fn bins_pack_to_the_bytes_of_their_histogram() {
        for sigfig in [WINDOW_SIGFIG, TOTAL_SIGFIG, 1, 4] {
            let sets = varied_value_sets(11 + u64::from(sigfig));
            for values in &sets {
                let b = bins_of(sigfig, values);
                let direct = PackedHist::pack_bins(&b);
                let via = PackedHist::pack(&b.to_hist());
                assert!(
                    direct == via,
                    "sigfig {sigfig}, {} values, max {:?}",
                    values.len(),
                    values.iter().max()
                );
            }
        }
    }

    /// Draining fine bins into coarse and total ones gives the counts recording each value
    /// into both would: the windows record at the totals' precision and are coarsened.
    #[test]
    fn draining_fine_bins_equals_recording_at_both_precisions() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        // The windows' precision (runs of 8 bins), and others (runs of 64, and of 1).
        for coarse_sigfig in [WINDOW_SIGFIG, 1, TOTAL_SIGFIG] {
            let (mut fine, mut coarse, mut total) = (
                FineBins::<TOTAL_SIGFIG>::new(),
                Bins::new(coarse_sigfig),
                Bins::new(TOTAL_SIGFIG),
            );
            let (mut coarse_direct, mut total_direct) = (Bins::new(coarse_sigfig), Bins::new(TOTAL_SIGFIG));
            for round in 0..5 {
                let mut values: Vec<u64> = vec![0, 1, 2, 255, 256, 2047, 2048, 2049, 4095, 4096, u64::MAX];
                // Many values (the pass over every bin: into coarse bins that are short, then
                // into ones that are not) and fewer (only the runs they touched).
                let many = [20_000, 30, 300, 2_000, 20_000][round as usize];
                for _ in 0..many {
                    let bits = rng.random_range(0..64u32);
                    values.push(rng.random::<u64>() >> bits);
                }
                for &v in &values {
                    fine.record_us(v);
                    coarse_direct.record_us(v);
                    total_direct.record_us(v);
                }
                // A value straight into the coarse and total bins, as a late one is.
                for b in [&mut coarse, &mut total, &mut coarse_direct, &mut total_direct] {
                    b.record_us(round * 1000 + 7);
                }
                fine.drain_into(&mut coarse, &mut total);
                let what = format!("sigfig {coarse_sigfig}, round {round}");
                assert!(fine.is_empty(), "{what}");
                assert!(coarse.to_hist().0 == coarse_direct.to_hist().0, "{what}");
                assert!(total.to_hist().0 == total_direct.to_hist().0, "{what}");
                assert!(
                    PackedHist::pack_bins(&coarse) == PackedHist::pack_bins(&coarse_direct),
                    "{what}"
                );
            }
            // Every fine bin's values fall in one coarse bin.
            let f = Bins::new(TOTAL_SIGFIG);
            for i in 0..(50usize << (f.magnitude - 1)) {
                let (low, high) = f.range_at(i);
                assert_eq!(
                    coarse.index(low),
                    coarse.index(high),
                    "sigfig {coarse_sigfig}, fine bin {i}"
                );
            }
        }
    }

    /// Values recorded once and drained into two fine bins count as recorded in each: with
    /// values of their own already there, over several drains, anywhere in the range.
    #[test]
    fn fine_bins_drained_into_two_count_in_each() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (mut both, mut a, mut b) = (
            FineBins::<TOTAL_SIGFIG>::new(),
            FineBins::<TOTAL_SIGFIG>::new(),
            FineBins::<TOTAL_SIGFIG>::new(),
        );
        let (mut a_direct, mut b_direct) = (Bins::new(TOTAL_SIGFIG), Bins::new(TOTAL_SIGFIG));
        let (mut a_total, mut b_total) = (Bins::new(TOTAL_SIGFIG), Bins::new(TOTAL_SIGFIG));
        let value = |rng: &mut rand_chacha::ChaCha8Rng| rng.random::<u64>() >> rng.random_range(0..64u32);
        for round in 0..4 {
            for v in [0, 1, 2047, 2048, u64::MAX]
                .into_iter()
                .chain((0..3000).map(|_| value(&mut rng)))
            {
                both.record_us(v);
                a_direct.record_us(v);
                b_direct.record_us(v);
            }
            for _ in 0..500 {
                let v = value(&mut rng);
                a.record_us(v);
                a_direct.record_us(v);
                let w = value(&mut rng);
                b.record_us(w);
                b_direct.record_us(w);
            }
            both.drain_into_fine(&mut a, &mut b);
            assert!(both.is_empty() && both.touched.iter().all(|&t| t == 0), "round {round}");
            // Through the marks `drain_into_fine` set: a run it filled but did not mark would
            // stay behind here.
            a.drain_into(&mut Bins::new(WINDOW_SIGFIG), &mut a_total);
            b.drain_into(&mut Bins::new(WINDOW_SIGFIG), &mut b_total);
            assert!(a.is_empty() && b.is_empty(), "round {round}");
            assert!(a_total.to_hist().0 == a_direct.to_hist().0, "round {round}");
            assert!(b_total.to_hist().0 == b_direct.to_hist().0, "round {round}");
        }
    }

    /// Every precision's runs fit the touched bits (a run past them would wrap onto another
    /// and its counts would never be drained), and a drain empties values anywhere in the range.
    #[test]
    fn fine_bins_drain_values_anywhere_at_every_precision() {
        fn check<const SIGFIG: u8>() {
            let sigfig = SIGFIG;
            let mut fine = FineBins::<SIGFIG>::new();
            let bins = Bins::new(SIGFIG);
            // The constants are what `Bins::new` computes for the precision.
            assert_eq!(
                (FineBins::<SIGFIG>::MAGNITUDE, FineBins::<SIGFIG>::MASK),
                (bins.magnitude, bins.mask),
                "sigfig {sigfig}"
            );
            // Every bin fits the counts (so the mask in `record_index` changes none), and
            // every run the marks, and the words `drain_into` reads cover them.
            let top = bins.index(u64::MAX);
            assert_eq!(top + 1, FineBins::<SIGFIG>::BINS, "sigfig {sigfig}");
            assert!(top < FINE_LEN, "sigfig {sigfig}: bin {top}");
            let top_run = top >> FineBins::<SIGFIG>::RUN_SHIFT;
            assert!(top_run < RUNS, "sigfig {sigfig}: run {top_run}");
            assert!(top_run < FineBins::<SIGFIG>::WORDS * 8, "sigfig {sigfig}");
            assert!(FineBins::<SIGFIG>::WORDS * 8 <= RUNS, "sigfig {sigfig}");
            let (mut coarse, mut total) = (Bins::new(sigfig.min(WINDOW_SIGFIG)), Bins::new(sigfig));
            let values = [0, 1, 1 << 20, (1 << 40) + 5, u64::MAX / 2, u64::MAX];
            for v in values {
                assert_eq!(FineBins::<SIGFIG>::index(v), bins.index(v), "sigfig {sigfig}");
                fine.record_us(v);
            }
            fine.drain_into(&mut coarse, &mut total);
            assert!(fine.is_empty(), "sigfig {sigfig}");
            assert_eq!(total.to_hist().len(), values.len() as u64, "sigfig {sigfig}");
            assert_eq!(coarse.to_hist().len(), values.len() as u64, "sigfig {sigfig}");
            assert!(fine.touched.iter().all(|&t| t == 0), "sigfig {sigfig}");
        }
        check::<1>();
        check::<2>();
        check::<3>();
    }

    /// Zero runs counted four at a time are the runs counted one at a time.
    #[test]
    fn zero_runs_are_counted_exactly() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        for _ in 0..2000 {
            let len = rng.random_range(0..40usize);
            let c: Vec<u64> = (0..len).map(|_| u64::from(rng.random_range(0..5u8) == 0)).collect();
            for i in 0..=len {
                assert_eq!(
                    zero_run(&c[i..]),
                    c[i..].iter().take_while(|&&x| x == 0).count(),
                    "{c:?} from {i}"
                );
            }
        }
    }

    #[test]
    fn every_bin_maps_back_to_itself() {
        for sigfig in [WINDOW_SIGFIG, TOTAL_SIGFIG] {
            let b = Bins::new(sigfig);
            for i in 0..(50usize << (b.magnitude - 1)) {
                let (low, high) = b.range_at(i);
                assert_eq!(b.index(low), i, "sigfig {sigfig} bin {i}");
                assert_eq!(b.index(high), i, "sigfig {sigfig} bin {i}");
                assert_eq!(b.index(high + 1), i + 1, "sigfig {sigfig} bin {i}");
            }
        }
    }

    #[test]
    fn empty_bins_are_an_empty_histogram() {
        let b = Bins::new(TOTAL_SIGFIG);
        assert!(b.is_empty());
        assert!(b.to_hist().is_empty());
        assert_eq!(b.quantile_s(0.99), 0.0);
    }
}
