//! HdrHistograms in results files: V2 + deflate, base64, as HdrHistogram's interval logs
//! store them, so nothing is reduced to a few percentiles and other tools can read them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hdrhistogram::serialization::{Deserializer as HdrDeserializer, Serializer as _, V2DeflateSerializer};
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

    pub fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
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

    pub fn encode(&self) -> String {
        let mut buf = Vec::new();
        // Writing to a Vec cannot fail for a valid histogram.
        let _ = V2DeflateSerializer::new().serialize(&self.0, &mut buf);
        STANDARD.encode(buf)
    }

    pub fn decode(text: &str) -> Result<Hist, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| format!("histogram is not base64: {e}"))?;
        let mut h: Histogram<u64> = HdrDeserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| format!("histogram does not decode: {e:?}"))?;
        h.auto(true);
        Ok(Hist(h))
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

    #[test]
    fn bad_text_is_an_error() {
        assert!(Hist::decode("not base64!").is_err());
        assert!(Hist::decode("aGVsbG8=").is_err());
    }
}
