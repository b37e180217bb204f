//! Per-client token buckets (429 + Retry-After past the rate).

use crate::bucket::TokenBucket;
use crate::scenario::RateLimitKey;
use crate::time::Time;
use std::collections::HashMap;
use std::time::Duration;

/// The bucket a request draws from: one for everyone (`Global`), or its client's: the key it
/// presents as auth reads it (so respelling the header is the same client) when `[gateway.auth]`
/// checks keys (`keys_checked`), else its address. An unchecked key names nobody: a client
/// would get a fresh bucket per made-up key. The live gateway and the simulator key their
/// limiters with it.
pub fn bucket_key(
    per: RateLimitKey,
    keys_checked: bool,
    authorization: Option<&str>,
    api_key: Option<&str>,
    address: &str,
) -> String {
    let key = keys_checked
        .then(|| super::presented_key(authorization, api_key))
        .flatten();
    match (per, key) {
        (RateLimitKey::Global, _) => String::new(),
        (RateLimitKey::Client, Some(k)) => format!("key {k}"),
        (RateLimitKey::Client, None) => format!("ip {address}"),
    }
}

/// Token buckets by client key, with a bounded number of tracked clients.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: HashMap<String, TokenBucket>,
    max_clients: usize,
}

impl RateLimiter {
    pub fn new(rate: f64, burst: u32) -> RateLimiter {
        RateLimiter {
            rate,
            burst: f64::from(burst.max(1)),
            buckets: HashMap::new(),
            max_clients: 100_000,
        }
    }

    /// Takes a token for `key`; `Err(wait)` when none is left.
    pub fn check(&mut self, now: Time, key: &str) -> Result<(), Duration> {
        if !self.buckets.contains_key(key) && self.buckets.len() >= self.max_clients {
            // Buckets that have refilled hold no information: forget them to stay bounded.
            let (rate, burst) = (self.rate, self.burst);
            self.buckets.retain(|_, b| b.tokens_at(now, rate, burst) < burst);
        }
        let (rate, burst) = (self.rate, self.burst);
        self.buckets
            .entry(key.to_string())
            .or_insert(TokenBucket::full(burst, now))
            .take(now, rate, burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One client's key in any spelling is one bucket; without a key, its address; `Global`
    /// is one bucket for all. Keys nobody checks do not count: the address does.
    #[test]
    fn bucket_keys() {
        let k = |a: Option<&str>, x: Option<&str>| bucket_key(RateLimitKey::Client, true, a, x, "10.0.0.1");
        assert_eq!(k(Some("Bearer k1"), None), "key k1");
        assert_eq!(k(Some("bearer  k1 "), None), k(None, Some("k1")));
        assert_eq!(k(None, None), "ip 10.0.0.1");
        assert_eq!(
            bucket_key(RateLimitKey::Global, true, Some("Bearer k1"), None, "10.0.0.1"),
            ""
        );
        let unchecked = |x: &str| bucket_key(RateLimitKey::Client, false, None, Some(x), "10.0.0.1");
        assert_eq!(unchecked("made-up-1"), "ip 10.0.0.1");
        assert_eq!(unchecked("made-up-1"), unchecked("made-up-2"));
    }

    #[test]
    fn burst_then_rate() {
        let mut r = RateLimiter::new(10.0, 2);
        let t = Time::from_secs_f64(1.0);
        assert!(r.check(t, "a").is_ok());
        assert!(r.check(t, "a").is_ok());
        assert_eq!(r.check(t, "a"), Err(Duration::from_millis(100)));
        assert!(r.check(t, "b").is_ok(), "clients have their own buckets");
        assert!(r.check(Time::from_secs_f64(1.1), "a").is_ok());
    }
}
