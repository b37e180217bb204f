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

    pub fn from_secs_f64(s: f64) -> Time {
        Time((s.max(0.0) * 1e9) as u64)
    }
    pub fn from_duration(d: Duration) -> Time {
        Time(duration_nanos(d))
    }
    pub fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
    /// Time elapsed since `earlier`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Time) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// Seconds to a duration, fast (the simulator converts every sample) and total: negative or NaN
/// gives zero, too large saturates, where `Duration::from_secs_f64` would panic.
#[inline]
pub fn secs(s: f64) -> Duration {
    Duration::from_nanos((s * 1e9).round() as u64)
}

/// Nanoseconds of a duration, saturating at `u64::MAX` (584 years).
pub fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(self.0.saturating_add(duration_nanos(d)))
    }
}

impl AddAssign<Duration> for Time {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Time {
    type Output = Time;
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
    fn arithmetic_saturates() {
        let t = Time(5);
        assert_eq!(t - Duration::from_nanos(10), Time(0));
        assert_eq!(Time::MAX + Duration::from_secs(1), Time::MAX);
        assert_eq!(Time(10).saturating_since(Time(4)), Duration::from_nanos(6));
        assert_eq!(Time(4).saturating_since(Time(10)), Duration::ZERO);
    }
}
