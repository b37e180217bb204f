//! Model time: nanoseconds since the start of a run.
//!
//! Every model function that needs "now" takes a [`Time`]. The simulator advances it on a
//! virtual clock; live drivers convert `std::time::Instant` against a run epoch. A plain `u64`
//! of nanoseconds keeps the simulator's event queue cheap and covers 584 years.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::Duration;

/// A point in model time, in nanoseconds since the run started.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

impl Time {
    pub const ZERO: Time = Time(0);
    pub const MAX: Time = Time(u64::MAX);

    #[inline]
    pub fn from_secs_f64(s: f64) -> Time {
        Time((s.max(0.0) * 1e9) as u64)
    }
    #[inline]
    pub fn from_duration(d: Duration) -> Time {
        Time(duration_nanos(d))
    }
    #[inline]
    pub fn as_nanos(self) -> u64 {
        self.0
    }
    #[inline]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// `self + secs(s)` without the round trip through a `Duration` (the same nanoseconds: the
    /// simulator does this for every arrival and every job).
    #[inline]
    pub fn add_secs(self, s: f64) -> Time {
        Time(self.0.saturating_add(round_to_u64(s * 1e9)))
    }
    /// Time elapsed since `earlier`, zero if `earlier` is later.
    #[inline]
    pub fn saturating_since(self, earlier: Time) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// Seconds to a duration, fast (the simulator converts every sample) and total: negative or NaN
/// gives zero, too large saturates, where `Duration::from_secs_f64` would panic.
#[inline]
pub fn secs(s: f64) -> Duration {
    Duration::from_nanos(secs_to_nanos(s))
}

/// Seconds to a duration rounded up to the nanosecond (at least 1 ns when `s > 0`): a wait
/// until something is due must not end before it. Negative or NaN gives zero; saturating.
pub fn secs_ceil(s: f64) -> Duration {
    if s.is_nan() || s <= 0.0 {
        return Duration::ZERO;
    }
    let ns = s * 1e9;
    // Truncates (and saturates); one more when a fraction was cut off.
    let n = ns as u64;
    Duration::from_nanos(if (n as f64) < ns { n.saturating_add(1) } else { n })
}

/// [`secs`] in nanoseconds.
#[inline]
pub fn secs_to_nanos(s: f64) -> u64 {
    round_to_u64(s * 1e9)
}

/// `x.round() as u64` (halves away from zero; negative and NaN give 0; saturating), without
/// the libm call `round` costs on the baseline x86-64 target, which lacks a rounding
/// instruction. `x as u64` truncates; for `x < 2^53` the fraction `x - n` is then exact, and
/// from 2^52 on every float is a whole number, so the fraction is 0.
///
/// Branch-free: whether the fraction reaches one half is a coin toss for sampled times, so a
/// branch on it was mispredicted about every other call (twice per simulated request).
///
/// Times below 2^62 ns (146 years) take the `i64` conversions, one instruction each way; the
/// baseline target has none for `u64`, whose saturating emulation cost ~10 instructions per
/// call. Both give the same `n` there, and `n + 1` cannot overflow. That range is one integer
/// comparison of the bits (a non-negative float's bits order as its value; negative ones,
/// -0.0 included, and NaN have larger bits), and inside it the conversion is unchecked: the
/// saturating `x as i64` kept its NaN and overflow selects even behind a range check (6 of
/// the 15 instructions of a call).
#[inline]
fn round_to_u64(x: f64) -> u64 {
    if x.to_bits() < BELOW_2_POW_62 {
        // SAFETY: `0 <= x < 2^62` (bits below those of 2^62, sign clear: neither NaN nor
        // infinite), so its integer part is representable in an i64.
        let n: i64 = unsafe { x.to_int_unchecked() };
        return (n + i64::from(x - n as f64 >= 0.5)) as u64;
    }
    round_to_u64_outside(x)
}

/// The bits of 2^62 (`4.611_686_018_427_388e18`): a float's bits are below them exactly when
/// it is in `[0, 2^62)` (+0.0 included, -0.0 not).
const BELOW_2_POW_62: u64 = 0x43D0_0000_0000_0000;

/// [`round_to_u64`] outside `[0, 2^62)`: negative, NaN, huge (saturating).
#[cold]
#[inline(never)]
fn round_to_u64_outside(x: f64) -> u64 {
    let n = x as u64;
    n.saturating_add(u64::from(x - n as f64 >= 0.5))
}

/// Nanoseconds of a duration, saturating at `u64::MAX` (584 years).
#[inline]
pub fn duration_nanos(d: Duration) -> u64 {
    // `as_nanos` without its u128: every `Time + Duration` of the simulator goes through here.
    d.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(d.subsec_nanos()))
}

impl Add<Duration> for Time {
    type Output = Time;
    #[inline]
    fn add(self, d: Duration) -> Time {
        Time(self.0.saturating_add(duration_nanos(d)))
    }
}

impl AddAssign<Duration> for Time {
    #[inline]
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Time {
    type Output = Time;
    #[inline]
    fn sub(self, d: Duration) -> Time {
        Time(self.0.saturating_sub(duration_nanos(d)))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secs_is_total() {
        assert_eq!(secs(1.5), Duration::from_millis(1500));
        assert_eq!(secs(-1.0), Duration::ZERO);
        assert_eq!(secs(f64::NAN), Duration::ZERO);
        assert_eq!(secs(1e300), Duration::from_nanos(u64::MAX));
    }

    #[test]
    fn rounding_matches_round() {
        for x in rounding_cases() {
            assert_eq!(round_to_u64(x), x.round() as u64, "{x:e}");
        }
    }

    /// The rounding as it was before its range check became a comparison of bits and its
    /// conversion an unchecked one.
    fn round_to_u64_before(x: f64) -> u64 {
        if (0.0..4.611_686_018_427_388e18).contains(&x) {
            let n = x as i64;
            return (n + i64::from(x - n as f64 >= 0.5)) as u64;
        }
        let n = x as u64;
        n.saturating_add(u64::from(x - n as f64 >= 0.5))
    }

    /// Inputs for the rounding tests: random bit patterns, exact halves and their neighbours at
    /// every magnitude, the 2^52, 2^53, 2^62 and 2^64 edges (the last float below each, it, the
    /// next), huge, infinite, NaN (payloads and signs), negative, -0.0, subnormal, and sampled
    /// times in nanoseconds.
    fn rounding_cases() -> Vec<f64> {
        let two62 = 4.611_686_018_427_388e18_f64;
        assert_eq!(two62.to_bits(), BELOW_2_POW_62);
        let mut cases = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -0.4,
            -0.5,
            -0.6,
            -1.5,
            0.499_999_999_999_999_94,
            f64::from_bits(two62.to_bits() - 1),
            two62,
            f64::from_bits(two62.to_bits() + 1),
            -two62,
            9.223_372_036_854_776e18,
            1.8e19,
            1.844_674_407_370_955_2e19,
            f64::from_bits(1.844_674_407_370_955_2e19_f64.to_bits() - 1),
            1.9e19,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_991.0,
            9_007_199_254_740_993.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff0_0000_0000_0001),
            f64::from_bits(0xfff8_0000_0000_0001),
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::from_bits(1),
            f64::EPSILON,
            1e300,
            -1e300,
        ];
        let mut state = 0x0123_4567_89ab_cdefu64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300_000 {
            let r = next();
            cases.push(f64::from_bits(r));
            let half = (r >> (r % 64)) as f64 + 0.5;
            cases.extend([
                half,
                f64::from_bits(half.to_bits() - 1),
                f64::from_bits(half.to_bits() + 1),
            ]);
            cases.push(f64::from_bits(BELOW_2_POW_62.wrapping_add(r % 4096).wrapping_sub(2048)));
            cases.push((r % 1_000_000_000_000) as f64 * 1e-3);
            cases.push((r % 10_000_000) as f64 * 1e-7 * 1e9);
        }
        cases
    }

    /// The same integer as before its range check became a comparison of bits and its
    /// conversion an unchecked one, for every input of [`rounding_cases`].
    #[test]
    fn rounding_is_unchanged() {
        for x in rounding_cases() {
            assert_eq!(round_to_u64(x), round_to_u64_before(x), "{x:e} ({:#x})", x.to_bits());
        }
    }

    /// The u64 forms equal `as_nanos` / `as_micros` (saturated to u64) over the whole range,
    /// the edges where they saturate included.
    #[test]
    fn u64_conversions_equal_the_u128_ones() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut cases = vec![
            Duration::ZERO,
            Duration::from_nanos(999),
            Duration::from_nanos(u64::MAX),
            Duration::new(u64::MAX / 1_000_000_000, 999_999_999),
            Duration::new(u64::MAX / 1_000_000_000 + 1, 0),
            Duration::new(u64::MAX / 1_000_000, 999_999_999),
            Duration::new(u64::MAX / 1_000_000 + 1, 0),
            Duration::MAX,
        ];
        for _ in 0..10_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Seconds spread over every magnitude.
            let secs = state >> (state % 64);
            cases.push(Duration::new(secs, (state % 1_000_000_000) as u32));
        }
        for d in cases {
            assert_eq!(
                duration_nanos(d),
                u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
                "{d:?}"
            );
            let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1);
            assert_eq!(crate::results::Hist::micros(d), us, "{d:?}");
            if d <= Duration::from_nanos(u64::MAX) {
                assert_eq!(crate::results::Hist::micros_of_nanos(duration_nanos(d)), us, "{d:?}");
            }
        }
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Time(5);
        assert_eq!(t - Duration::from_nanos(10), Time(0));
        assert_eq!(Time::MAX + Duration::from_secs(1), Time::MAX);
        assert_eq!(Time(10).saturating_since(Time(4)), Duration::from_nanos(6));
        assert_eq!(Time(4).saturating_since(Time(10)), Duration::ZERO);
    }
}
