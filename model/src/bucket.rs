//! A token bucket on the model's clock: the gateway's per-client rate limit and a backend's
//! rate-limit fault both draw from one.

use crate::time::Time;
use std::time::Duration;

/// Tokens short of a whole one that still count as one. The refill is float arithmetic on
/// nanosecond times, so a request sent exactly when the bucket said a token would be there can
/// find 0.999999999999 of one; refused, it got a wait that rounded to nothing, and the client
/// or gateway honouring it was refused again at once (a queue's whole backlog sent into 429s).
const SLACK: f64 = 1e-9;

/// Tokens and when they were last counted. Starts full.
#[derive(Clone, Copy, Debug)]
pub struct TokenBucket {
    tokens: f64,
    at: Time,
}

impl TokenBucket {
    /// A full bucket of `burst` tokens at `now`.
    pub fn full(burst: f64, now: Time) -> TokenBucket {
        TokenBucket { tokens: burst, at: now }
    }

    /// Tokens at `now`, refilled at `rate` per second up to `burst`.
    pub fn tokens_at(&self, now: Time, rate: f64, burst: f64) -> f64 {
        (self.tokens + now.saturating_since(self.at).as_secs_f64() * rate).min(burst)
    }

    /// Takes a token at `now`; `Err(wait)` when none is left: the wait until one is, rounded
    /// up, so a retry at its end finds the token.
    pub fn take(&mut self, now: Time, rate: f64, burst: f64) -> Result<(), Duration> {
        self.tokens = self.tokens_at(now, rate, burst);
        self.at = now;
        if self.tokens >= 1.0 - SLACK {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(crate::time::secs_ceil((1.0 - self.tokens) / rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request sent exactly when the wait said gets its token, for every rate and offset
    /// tried: the waits were rounded to the nearest nanosecond, and about four in ten ended
    /// just before the token was due.
    #[test]
    fn a_retry_at_the_end_of_the_wait_gets_its_token() {
        let mut refused_again = 0;
        for rate in [0.7, 1.0, 3.0, 7.0, 13.0, 33.3, 100.0, 997.0] {
            for offset_ns in [0u64, 1, 999, 1_234_567, 333_333_333] {
                let mut b = TokenBucket::full(1.0, Time(offset_ns));
                assert!(b.take(Time(offset_ns), rate, 1.0).is_ok());
                let mut now = Time(offset_ns + 1_000);
                for _ in 0..20 {
                    let wait = b.take(now, rate, 1.0).expect_err("the bucket is empty");
                    assert!(wait > Duration::ZERO);
                    now += wait;
                    if b.take(now, rate, 1.0).is_err() {
                        refused_again += 1;
                    }
                    now = Time(now.0 + 1);
                }
            }
        }
        assert_eq!(refused_again, 0);
    }

    /// The rate holds: over a long run, the tokens taken are the burst plus rate x time.
    #[test]
    fn the_rate_and_burst_hold() {
        let (rate, burst) = (3.0, 5.0);
        let mut b = TokenBucket::full(burst, Time::ZERO);
        let mut taken = 0u64;
        for ms in 0..10_000u64 {
            if b.take(Time(ms * 1_000_000), rate, burst).is_ok() {
                taken += 1;
            }
        }
        // 5 at once, then 3 a second for 9.999 s.
        assert_eq!(taken, 5 + 29);
    }
}
