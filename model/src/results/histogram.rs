//! HdrHistograms in results files: V2 + deflate, base64, as HdrHistogram's interval logs
//! store them, so nothing is reduced to a few percentiles and other tools can read them.

use super::bins::Bins;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer as HdrDeserializer, Serializer as _};
use hdrhistogram::Histogram;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::time::Duration;

/// Significant digits of per-window histograms (1% precision keeps a window near 9 KiB).
pub const WINDOW_SIGFIG: u8 = 2;
/// Significant digits of whole-run histograms (0.1%).
pub const TOTAL_SIGFIG: u8 = 3;

/// A latency histogram in microseconds.
#[derive(Clone, Debug)]
pub struct Hist(pub Histogram<u64>);

impl Hist {
    pub fn new(sigfig: u8) -> Hist {
        // Auto-resizing from 1 us: memory grows only with the largest value recorded.
        let mut h =
            Histogram::new(sigfig).unwrap_or_else(|_| Histogram::new(3).expect("3 significant digits is valid"));
        h.auto(true);
        Hist(h)
    }

    #[inline]
    pub fn record(&mut self, d: Duration) {
        self.record_us(Hist::micros(d));
    }

    /// The value [`Hist::record`] stores for `d`: whole microseconds, at least 1. Recorders that
    /// put one value in several histograms convert it once.
    #[inline]
    pub fn micros(d: Duration) -> u64 {
        // `as_micros` in u64 arithmetic (it returns a u128, which the simulator paid for on
        // every recorded latency), saturating where the conversion from u128 did.
        d.as_secs()
            .saturating_mul(1_000_000)
            .saturating_add(u64::from(d.subsec_micros()))
            .max(1)
    }

    /// [`Hist::micros`] of a duration given in nanoseconds: the same value (whole seconds are
    /// whole microseconds, so `secs * 10^6 + subsec_nanos / 1000` is `nanos / 1000`), without
    /// the split into seconds and nanoseconds that a `Duration` costs: the simulator keeps its
    /// times in nanoseconds and records several latencies per request.
    #[inline]
    pub fn micros_of_nanos(ns: u64) -> u64 {
        (ns / 1000).max(1)
    }

    /// Records `us` microseconds, as returned by [`Hist::micros`].
    #[inline]
    pub fn record_us(&mut self, us: u64) {
        // Auto-resize accepts any value; saturate rather than fail on absurd ones.
        let _ = self.0.record(us);
    }

    pub fn len(&self) -> u64 {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Quantile in seconds (0 when empty).
    pub fn quantile_s(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.value_at_quantile(q) as f64 / 1e6
    }

    pub fn max_s(&self) -> f64 {
        if self.0.is_empty() {
            0.0
        } else {
            self.0.max() as f64 / 1e6
        }
    }

    pub fn mean_s(&self) -> f64 {
        if self.0.is_empty() {
            0.0
        } else {
            self.0.mean() / 1e6
        }
    }

    /// Adds `other`'s counts (histograms are added, never percentiles averaged).
    pub fn add(&mut self, other: &Hist) {
        let _ = self.0.add(&other.0);
    }

    /// Whether `other` encodes to the same text ([`Hist::encode`]): the V2 bytes are the
    /// precision, the value range and the counts up to the largest value, which equal
    /// histograms share but for the range.
    pub fn encodes_as(&self, other: &Hist) -> bool {
        self.0 == other.0 && self.0.low() == other.0.low() && self.0.high() == other.0.high()
    }

    pub fn encode(&self) -> String {
        STANDARD.encode(PackedHist::pack(self).bytes)
    }

    pub fn decode(text: &str) -> Result<Hist, String> {
        Hist::from_bytes(&from_base64(text)?)
    }

    /// The histogram of uncompressed V2 bytes this program wrote ([`Bins::write_v2`]), so
    /// not checked as a file's are; `None` if hdrhistogram refuses them.
    pub(super) fn from_v2(v2: &[u8]) -> Option<Hist> {
        let mut h: Histogram<u64> = HdrDeserializer::new().deserialize(&mut &v2[..]).ok()?;
        h.auto(true);
        Some(Hist(h))
    }

    fn from_bytes(bytes: &[u8]) -> Result<Hist, String> {
        let v2 = checked_v2(bytes)?;
        let mut h: Histogram<u64> = HdrDeserializer::new()
            .deserialize(&mut &v2[..])
            .map_err(|e| format!("histogram does not decode: {e:?}"))?;
        h.auto(true);
        Ok(Hist(h))
    }
}

/// Cookie of HdrHistogram's uncompressed V2 encoding (`V2_COOKIE` in the crate).
pub(super) const V2_COOKIE: u32 = 0x1c84_9303 | 0x10;
/// The V2 header: cookie, payload length, normalizing offset, significant digits (u32 each),
/// lowest discernible and highest trackable value (u64 each), integer-to-double ratio (f64),
/// all big-endian (`V2_HEADER_SIZE` in the crate).
const V2_HEADER_LEN: usize = 40;
/// Significant digits read: spillway writes [`WINDOW_SIGFIG`] and [`TOTAL_SIGFIG`]. Each digit
/// multiplies the counts array by about ten (5 digits up to 2^62 took 49 MB per decode).
const MAX_SIGFIG: u32 = 3;
/// Counters of the largest histogram read: 3 digits from 1 up to `u64::MAX` (440 KiB), the
/// widest range at spillway's finest precision (a test checks it against the crate).
const MAX_COUNTS: u64 = 56_320;
/// A counter, or a run of zero counters, is one varint of at most 9 bytes in the payload.
const MAX_VARINT_BYTES: u64 = 9;

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be_u64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The uncompressed V2 bytes of an encoded histogram, once its header is checked: hdrhistogram's
/// deserializer allocates what the header claims (a 4 GiB payload, a counts array sized by the
/// digits and value range) before it reads a byte of counts. The compressed form is inflated
/// only as far as the checked header allows, so a small file cannot claim gigabytes.
fn checked_v2(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    match be_u32(bytes, 0) {
        Some(V2_COOKIE) => {
            let payload = v2_payload_len(bytes)?;
            let present = bytes.len() - V2_HEADER_LEN;
            if payload > present {
                return Err(format!(
                    "histogram header claims {payload} bytes of counts, but {present} follow"
                ));
            }
            Ok(std::borrow::Cow::Borrowed(bytes))
        }
        Some(V2_COMPRESSED_COOKIE) => {
            use std::io::Read as _;
            let claimed = be_u32(bytes, 4).ok_or("histogram is truncated (no compressed length)")? as usize;
            let present = bytes.len() - 8;
            if claimed > present {
                return Err(format!(
                    "histogram claims {claimed} compressed bytes, but {present} follow"
                ));
            }
            let mut inflate = flate2::read::ZlibDecoder::new(&bytes[8..8 + claimed]);
            let mut raw = vec![0; V2_HEADER_LEN];
            let broken = |e: std::io::Error| format!("histogram does not inflate: {e}");
            inflate.read_exact(&mut raw).map_err(broken)?;
            if be_u32(&raw, 0) != Some(V2_COOKIE) {
                return Err("histogram does not decode: the compressed bytes are not a V2 histogram".into());
            }
            let payload = v2_payload_len(&raw)?;
            raw.resize(V2_HEADER_LEN + payload, 0);
            inflate.read_exact(&mut raw[V2_HEADER_LEN..]).map_err(broken)?;
            Ok(std::borrow::Cow::Owned(raw))
        }
        _ => Err("histogram does not decode: not an HdrHistogram V2 encoding".into()),
    }
}

/// The payload length a V2 header gives, if the histogram it describes is one spillway would
/// write: 1 to [`MAX_SIGFIG`] digits, a value range of at most [`MAX_COUNTS`] counters, and a
/// payload those counters can fill.
fn v2_payload_len(header: &[u8]) -> Result<usize, String> {
    let (Some(payload), Some(digits), Some(low), Some(high), true) = (
        be_u32(header, 4),
        be_u32(header, 12),
        be_u64(header, 16),
        be_u64(header, 24),
        header.len() >= V2_HEADER_LEN,
    ) else {
        return Err(format!(
            "histogram is truncated (header shorter than {V2_HEADER_LEN} bytes)"
        ));
    };
    if !(1..=MAX_SIGFIG).contains(&digits) {
        return Err(format!(
            "histogram has {digits} significant digits: 1 to {MAX_SIGFIG} are read (spillway writes {WINDOW_SIGFIG} and {TOTAL_SIGFIG})"
        ));
    }
    let counts = counts_len(low, high, digits).ok_or_else(|| {
        format!("histogram's range is not valid: lowest discernible value {low}, highest trackable {high}")
    })?;
    if counts > MAX_COUNTS {
        return Err(format!(
            "histogram's range ({low} to {high} at {digits} digits) needs {counts} counters: at most {MAX_COUNTS}"
        ));
    }
    let most = counts * MAX_VARINT_BYTES;
    if u64::from(payload) > most {
        return Err(format!(
            "histogram header claims {payload} bytes of counts: its {counts} counters take at most {most}"
        ));
    }
    Ok(payload as usize)
}

/// The length of the counts array `Histogram::new_with_bounds(low, high, digits)` allocates
/// (as the crate computes it), or `None` where it refuses the bounds.
fn counts_len(low: u64, high: u64, digits: u32) -> Option<u64> {
    if !(1..=u64::MAX / 2).contains(&low) || high < 2 * low || digits > 5 {
        return None;
    }
    let largest = 2 * 10u32.pow(digits);
    let sub_bucket_magnitude = f64::from(largest).log2().ceil() as u32;
    let unit_magnitude = (low as f64).log2().floor() as u32;
    if unit_magnitude + sub_bucket_magnitude > 63 {
        return None;
    }
    let sub_buckets = 1u64 << sub_bucket_magnitude;
    let mut untrackable = sub_buckets << unit_magnitude;
    let mut buckets = 1u64;
    while untrackable <= high {
        if untrackable > u64::MAX / 2 {
            buckets += 1;
            break;
        }
        untrackable <<= 1;
        buckets += 1;
    }
    Some((buckets + 1) * (sub_buckets / 2))
}

fn from_base64(text: &str) -> Result<Vec<u8>, String> {
    STANDARD
        .decode(text.trim())
        .map_err(|e| format!("histogram is not base64: {e}"))
}

/// Cookie of HdrHistogram's "V2 compressed" encoding (`V2_COMPRESSED_COOKIE` in the crate).
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9304 | 0x10;

/// The V2 + deflate encoding of hdrhistogram's `V2DeflateSerializer` (the same V2 bytes in the
/// same envelope), compressed by [`super::deflate`] rather than by miniz, which clears ~250 KB of
/// state per histogram even when reused. Its buffers are kept per thread.
struct Packer {
    v2: hdrhistogram::serialization::V2Serializer,
    raw: Vec<u8>,
    packed: Vec<u8>,
}

impl Packer {
    fn pack<T: hdrhistogram::Counter>(&mut self, h: &Histogram<T>) -> Vec<u8> {
        self.raw.clear();
        if self.v2.serialize(h, &mut self.raw).is_err() {
            // Only a count above i64::MAX fails, never one we record; `V2DeflateSerializer`
            // wrote nothing for it either.
            return Vec::new();
        }
        self.compress()
    }

    /// The V2 + deflate encoding of the V2 bytes in `raw`.
    fn compress(&mut self) -> Vec<u8> {
        let out = &mut self.packed;
        out.clear();
        out.extend_from_slice(&V2_COMPRESSED_COOKIE.to_be_bytes());
        out.extend_from_slice(&[0; 4]);
        super::deflate::zlib(&self.raw, out);
        let len = u32::try_from(out.len() - 8).unwrap_or(u32::MAX);
        out[4..8].copy_from_slice(&len.to_be_bytes());
        // A copy of exactly this length: packed windows are kept for the whole run.
        out.clone()
    }
}

thread_local! {
    static PACKER: std::cell::RefCell<Packer> = std::cell::RefCell::new(Packer {
        v2: hdrhistogram::serialization::V2Serializer::new(),
        raw: Vec::new(),
        packed: Vec::new(),
    });
}

/// The bytes [`PackedHist::pack`] stores for `h`, for tests that feed HdrHistogram's writers.
#[cfg(test)]
pub(super) fn packed_bytes<T: hdrhistogram::Counter>(h: &Histogram<T>) -> Vec<u8> {
    PACKER.with(|p| p.borrow_mut().pack(h))
}

/// A histogram kept compressed (V2 + deflate, the bytes the results file stores in base64).
///
/// A window's dense counts array costs ~15 KiB per histogram whatever it holds; compressed, a
/// window costs what its values need (a few hundred bytes). Results keep their per-window
/// histograms packed, so a 10-hour run at a 1 s window fits in tens of MiB rather than GiB;
/// readers [`PackedHist::unpack`] the windows they look at.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedHist {
    bytes: Vec<u8>,
    len: u64,
    /// `Histogram::max`, for `.hlog` lines (which carry each interval's maximum).
    max: u64,
}

impl PackedHist {
    pub fn pack(h: &Hist) -> PackedHist {
        let bytes = PACKER.with(|p| p.borrow_mut().pack(&h.0));
        PackedHist {
            bytes,
            len: h.len(),
            max: h.0.max(),
        }
    }

    /// [`PackedHist::pack`] of `b.to_hist()`, the same bytes, without building the histogram:
    /// the V2 encoding is written from the bins ([`Bins::write_v2`]), so a window's counts are
    /// walked once rather than recorded into a histogram and walked again.
    pub fn pack_bins(b: &Bins) -> PackedHist {
        let direct = PACKER.with(|p| {
            let mut p = p.borrow_mut();
            let (len, max) = b.write_v2(&mut p.raw)?;
            Some(PackedHist {
                bytes: p.compress(),
                len,
                max,
            })
        });
        direct.unwrap_or_else(|| PackedHist::pack(&b.to_hist()))
    }

    /// The histogram. The bytes were produced by [`PackedHist::pack`] or checked when read, so
    /// decoding cannot fail; an empty histogram stands in if it ever did.
    pub fn unpack(&self) -> Hist {
        Hist::from_bytes(&self.bytes).unwrap_or_else(|_| Hist::new(WINDOW_SIGFIG))
    }

    /// Number of values recorded.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The largest value recorded (at the histogram's precision), microseconds.
    pub fn max_us(&self) -> u64 {
        self.max
    }

    /// The base64 text of the results file and of `.hlog` lines.
    pub fn base64(&self) -> String {
        STANDARD.encode(&self.bytes)
    }

    /// Compressed size in bytes.
    pub fn packed_bytes(&self) -> usize {
        self.bytes.len()
    }
}

impl From<&Hist> for PackedHist {
    fn from(h: &Hist) -> PackedHist {
        PackedHist::pack(h)
    }
}

impl Serialize for PackedHist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.base64())
    }
}

impl<'de> Deserialize<'de> for PackedHist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<PackedHist, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = from_base64(&s).map_err(de::Error::custom)?;
        // Decoded once to reject a corrupt file when it is read, not when a chart is drawn.
        let h = Hist::from_bytes(&bytes).map_err(de::Error::custom)?;
        if bytes.get(..4) != Some(&V2_COMPRESSED_COOKIE.to_be_bytes()[..]) {
            // Another tool's encoding (uncompressed V2): stored as this tool packs, so the
            // `.hlog` lines copied from it are what HdrHistogram's log readers expect.
            return Ok(PackedHist::pack(&h));
        }
        Ok(PackedHist {
            bytes,
            len: h.len(),
            max: h.0.max(),
        })
    }
}

impl Default for Hist {
    fn default() -> Self {
        Hist::new(WINDOW_SIGFIG)
    }
}

impl PartialEq for Hist {
    fn eq(&self, other: &Hist) -> bool {
        self.0 == other.0
    }
}

impl Serialize for Hist {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Hist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Hist, D::Error> {
        let s = String::deserialize(d)?;
        Hist::decode(&s).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_base64() {
        let mut h = Hist::new(3);
        for ms in [1u64, 5, 20, 100, 2000] {
            h.record(Duration::from_millis(ms));
        }
        let back = Hist::decode(&h.encode()).unwrap();
        assert_eq!(back, h);
        assert_eq!(back.len(), 5);
        assert!((back.quantile_s(0.5) - 0.020).abs() < 0.020 * 0.001);
    }

    /// A histogram another tool stored uncompressed is read, and re-stored in the compressed
    /// encoding that `.hlog` readers expect.
    #[test]
    fn an_uncompressed_histogram_is_read_and_stored_compressed() {
        use hdrhistogram::serialization::Serializer as _;
        let mut h = Hist::new(WINDOW_SIGFIG);
        for ms in [3u64, 7, 900] {
            h.record(Duration::from_millis(ms));
        }
        let mut raw = Vec::new();
        hdrhistogram::serialization::V2Serializer::new()
            .serialize(&h.0, &mut raw)
            .unwrap();
        let text = serde_json::to_string(&STANDARD.encode(&raw)).unwrap();
        let p: PackedHist = serde_json::from_str(&text).unwrap();
        assert_eq!(p.unpack(), h);
        assert_eq!(p.base64(), h.encode(), "stored as this tool packs");
        assert_eq!(p.max_us(), h.0.max());
    }

    #[test]
    fn packed_round_trips_and_is_small() {
        let mut h = Hist::new(WINDOW_SIGFIG);
        for i in 0..1000u64 {
            h.record(Duration::from_micros(1000 + i * 37));
        }
        h.record(Duration::from_secs(3));
        let p = PackedHist::pack(&h);
        assert_eq!(p.len(), 1001);
        assert_eq!(p.unpack(), h);
        assert_eq!(p.base64(), h.encode());
        // The dense counts reach 3 s: thousands of u64 slots; packed, well under a KiB.
        assert!(p.packed_bytes() < 1024, "{} bytes", p.packed_bytes());
        let json = serde_json::to_string(&p).unwrap();
        let back: PackedHist = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<PackedHist>("\"aGVsbG8=\"").is_err());
    }

    /// Packed bytes are the V2 + deflate encoding as HdrHistogram reads it: its own deserializer
    /// gives the histogram back, and the envelope (cookie, compressed length) holds a zlib stream
    /// of exactly `V2Serializer`'s bytes.
    #[test]
    fn packed_bytes_are_what_hdrhistogram_reads() {
        use hdrhistogram::serialization::V2Serializer;
        use rand::{Rng, SeedableRng};
        use std::io::Read as _;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        for n in [0usize, 1, 10, 1000, 100_000] {
            for sigfig in [WINDOW_SIGFIG, TOTAL_SIGFIG] {
                let mut h = Hist::new(sigfig);
                for _ in 0..n {
                    h.record(Duration::from_micros(rng.random_range(1..20_000_000)));
                }
                let p = PackedHist::pack(&h);
                let back: Histogram<u64> = HdrDeserializer::new().deserialize(&mut &p.bytes[..]).unwrap();
                assert!(back == h.0, "n = {n}, sigfig {sigfig}");
                assert_eq!((p.len(), p.max_us()), (h.len(), h.0.max()));
                assert_eq!(be_u32(&p.bytes, 0), Some(V2_COMPRESSED_COOKIE));
                assert_eq!(be_u32(&p.bytes, 4), Some(p.bytes.len() as u32 - 8));
                let mut v2 = Vec::new();
                flate2::read::ZlibDecoder::new(&p.bytes[8..])
                    .read_to_end(&mut v2)
                    .unwrap();
                let mut reference = Vec::new();
                V2Serializer::new().serialize(&h.0, &mut reference).unwrap();
                assert_eq!(v2, reference, "n = {n}, sigfig {sigfig}");
            }
        }
    }

    /// Histograms compressed by hdrhistogram's serializer (miniz, as spillway wrote them before
    /// its own encoder) still read, and are kept as read.
    #[test]
    fn histograms_compressed_by_miniz_still_read() {
        use hdrhistogram::serialization::V2DeflateSerializer;
        let mut h = Hist::new(WINDOW_SIGFIG);
        for us in 1..5000u64 {
            h.record_us(us * us % 7919 + 1);
        }
        let mut old = Vec::new();
        V2DeflateSerializer::new().serialize(&h.0, &mut old).unwrap();
        assert_ne!(old, PackedHist::pack(&h).bytes, "a different encoder");
        assert_eq!(Hist::decode(&STANDARD.encode(&old)).unwrap(), h);
        let p: PackedHist = serde_json::from_str(&serde_json::to_string(&STANDARD.encode(&old)).unwrap()).unwrap();
        assert_eq!(p.unpack(), h);
        assert_eq!(p.bytes, old, "kept as read");
    }

    /// Sizes on window-like data (M/M/2-like latencies: 10 windows of 20k values at the window
    /// precision, the whole run at the total precision) against zlib level 6, what miniz wrote:
    /// 10% smaller (one Huffman block per histogram was 5% larger).
    #[test]
    fn packing_is_smaller_than_zlib_level_6() {
        use rand::{Rng, SeedableRng};
        use rand_distr::{Distribution, Exp};
        use std::io::Write as _;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let (latency, service) = (Exp::new(1.0 / 2.8e6).unwrap(), Exp::new(1.0 / 1e6).unwrap());
        let mut whole = [
            Bins::new(TOTAL_SIGFIG),
            Bins::new(TOTAL_SIGFIG),
            Bins::new(TOTAL_SIGFIG),
        ];
        let mut hists = Vec::new();
        for _ in 0..10 {
            let mut window = [
                Bins::new(WINDOW_SIGFIG),
                Bins::new(WINDOW_SIGFIG),
                Bins::new(WINDOW_SIGFIG),
            ];
            for _ in 0..20_000 {
                let s = service.sample(&mut rng);
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
            hists.extend(window);
        }
        hists.extend(whole);
        let (mut ours, mut level6) = (0, 0);
        for b in &hists {
            ours += PackedHist::pack_bins(b).packed_bytes();
            let mut raw = Vec::new();
            b.write_v2(&mut raw).unwrap();
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
            z.write_all(&raw).unwrap();
            level6 += 8 + z.finish().unwrap().len();
        }
        assert!(ours * 100 <= level6 * 95, "{ours} bytes against level 6's {level6}");
    }

    /// The header check sizes the counts array as the crate does, and its bound is the widest
    /// range at 3 digits: what spillway writes always passes.
    #[test]
    fn counts_are_sized_as_the_crate_sizes_them() {
        for digits in 1..=5u32 {
            for low in [1u64, 2, 3, 1000, 1 << 20, u64::MAX / 4] {
                for high in [2 * low, 2 * low + 1, 1 << 40, u64::MAX / 2, u64::MAX] {
                    let ours = counts_len(low, high, digits);
                    let theirs = Histogram::<u64>::new_with_bounds(low, high, digits as u8)
                        .ok()
                        .map(|h| h.distinct_values() as u64);
                    assert_eq!(ours, theirs, "{low}..{high} at {digits} digits");
                }
            }
        }
        let widest = Histogram::<u64>::new_with_bounds(1, u64::MAX, TOTAL_SIGFIG).unwrap();
        assert_eq!(widest.distinct_values() as u64, MAX_COUNTS);
    }

    /// Histograms that encode alike are the ones whose encodings are equal.
    #[test]
    fn encoding_alike_is_the_same_text() {
        let of = |values: &[u64], sigfig: u8| {
            let mut h = Hist::new(sigfig);
            for &v in values {
                h.record_us(v);
            }
            h
        };
        let mut wide = of(&[5, 70], TOTAL_SIGFIG);
        // The same counts over a wider range (a value recorded, then taken out again).
        let big = of(&[1 << 40], TOTAL_SIGFIG);
        wide.add(&big);
        let _ = wide.0.subtract(&big.0);
        let hists = [
            of(&[5, 70], TOTAL_SIGFIG),
            of(&[5, 70], TOTAL_SIGFIG),
            of(&[5, 71], TOTAL_SIGFIG),
            of(&[5, 70, 70], TOTAL_SIGFIG),
            of(&[5, 70], WINDOW_SIGFIG),
            of(&[], TOTAL_SIGFIG),
            of(&[], TOTAL_SIGFIG),
            wide,
        ];
        for a in &hists {
            for b in &hists {
                assert_eq!(a.encodes_as(b), a.encode() == b.encode(), "{a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn bad_text_is_an_error() {
        assert!(Hist::decode("not base64!").is_err());
        assert!(Hist::decode("aGVsbG8=").is_err());
    }
}
