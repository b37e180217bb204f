//! Retry budgets: retries allowed are `ratio` x requests plus `min_per_sec`, over a sliding
//! window (as Finagle and Linkerd do). Used by the gateway's own retries and by the clients.

use crate::time::Time;
use std::time::Duration;

const BUCKETS: usize = 10;

/// A sliding-window retry budget, in ten buckets.
#[derive(Clone, Debug)]
pub struct RetryBudget {
    ratio: f64,
    min_per_sec: f64,
    bucket_ns: u64,
    window: Duration,
    /// (bucket number, requests, retries)
    buckets: [(u64, u64, u64); BUCKETS],
}

impl RetryBudget {
    pub fn new(ratio: f64, min_per_sec: f64, window: Duration) -> RetryBudget {
        let bucket_ns = (u64::try_from(window.as_nanos()).unwrap_or(u64::MAX) / BUCKETS as u64).max(1);
        RetryBudget {
            ratio,
            min_per_sec,
            bucket_ns,
            window,
            buckets: [(u64::MAX, 0, 0); BUCKETS],
        }
    }

    fn bucket(&mut self, now: Time) -> &mut (u64, u64, u64) {
        let n = now.0 / self.bucket_ns;
        let b = &mut self.buckets[(n % BUCKETS as u64) as usize];
        if b.0 != n {
            *b = (n, 0, 0);
        }
        b
    }

    fn totals(&self, now: Time) -> (u64, u64) {
        let n = now.0 / self.bucket_ns;
        self.buckets
            .iter()
            .filter(|b| b.0 != u64::MAX && b.0 + BUCKETS as u64 > n && b.0 <= n)
            .fold((0, 0), |(r, t), b| (r + b.1, t + b.2))
    }

    /// A first attempt was made.
    pub fn record_request(&mut self, now: Time) {
        self.bucket(now).1 += 1;
    }

    /// Takes a retry from the budget if one is left.
    pub fn try_retry(&mut self, now: Time) -> bool {
        let (requests, retries) = self.totals(now);
        let allowed = self.ratio * requests as f64 + self.min_per_sec * self.window.as_secs_f64();
        if (retries as f64) < allowed {
            self.bucket(now).2 += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_bounds_retries() {
        let mut b = RetryBudget::new(0.1, 0.0, Duration::from_secs(10));
        let now = Time::from_secs_f64(1.0);
        for _ in 0..100 {
            b.record_request(now);
        }
        let granted = (0..50).filter(|_| b.try_retry(now)).count();
        assert_eq!(granted, 10);
    }

    #[test]
    fn minimum_per_second_allows_retries_at_low_volume() {
        let mut b = RetryBudget::new(0.0, 1.0, Duration::from_secs(10));
        let granted = (0..50).filter(|_| b.try_retry(Time::from_secs_f64(0.5))).count();
        assert_eq!(granted, 10, "1/s over a 10 s window");
    }

    #[test]
    fn old_requests_leave_the_window() {
        let mut b = RetryBudget::new(0.5, 0.0, Duration::from_secs(10));
        for _ in 0..10 {
            b.record_request(Time::from_secs_f64(0.5));
        }
        assert!(b.try_retry(Time::from_secs_f64(1.0)));
        assert!(
            !b.try_retry(Time::from_secs_f64(11.0)),
            "the requests of second 0 have expired"
        );
    }
}
