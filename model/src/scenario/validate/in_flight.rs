//! How long an intent can still be in flight after arrivals end: the clients' longest timeout,
//! retries and backoff.

use crate::scenario::{Backoff, ClientsConfig, Jitter, RetryConfig};
use std::time::Duration;

/// How long after arrivals end an intent can still be in flight, and whether that is a bound
/// (`false`: the clients' timeout is unbounded, such as exponential patience, and its 99.99th
/// percentile stands for the longest). Rounded up to a whole millisecond.
///
/// Without Retry-After, every attempt waits out the longest timeout, with the longest backoff
/// between attempts. With a Retry-After honoured, a client sends no retry later than its
/// intent's lifetime bound L after the start (`client::intent_lifetime_bound`: n timeouts and,
/// unless `backoff = "none"`, n - 1 backoff caps), whatever paused it: the last attempt, sent by
/// L, ends within one timeout after it.
pub fn in_flight_after_arrivals(cl: &ClientsConfig) -> (Duration, bool) {
    // The longest of every service's timeout (`clients.timeout` and `[clients.services]`).
    let (longest, bounded) = cl
        .all_timeouts()
        .map(timeout_reach)
        .fold((0.0, true), |a, b| if b.0 > a.0 { b } else { a });
    let longest = crate::time::secs(longest.max(0.0));
    let r = &cl.retry;
    let n = r.max_attempts.max(1);
    let attempts = longest.saturating_mul(n);
    let total = if r.honor_retry_after && n > 1 {
        // The bound the clients enforce, not a copy of it (a copy added the cap with
        // `backoff = "none"`, which uses none).
        crate::client::intent_lifetime_bound(cl).saturating_add(longest)
    } else {
        attempts.saturating_add(backoff_total(r, n - 1))
    };
    let ns = crate::time::duration_nanos(total);
    let ms = ns.div_ceil(1_000_000);
    (Duration::from_millis(ms), bounded)
}

/// The longest a timeout lets an attempt wait, in seconds, and whether that is its maximum
/// (`false`: its 99.99th percentile, for an unbounded patience distribution).
fn timeout_reach(t: &crate::dist::DistSpec) -> (f64, bool) {
    match t.resolve() {
        Ok(d) => {
            let max = d.quantile(1.0);
            if max.is_finite() {
                (max, true)
            } else {
                (d.quantile(0.9999), false)
            }
        }
        Err(_) => (2.0, true),
    }
}

/// The path of the longest timeout the file gives (`clients.timeout`, or a service's own in
/// `[clients.services]`, which then bounds the time in flight): the one to lower.
pub(super) fn longest_timeout_path(cl: &ClientsConfig) -> String {
    let own = cl.services.iter().filter_map(|(name, o)| {
        o.timeout
            .as_ref()
            .map(|t| (format!("clients.services.{}.timeout", super::locate::key(name)), t))
    });
    std::iter::once(("clients.timeout".to_string(), &cl.timeout))
        .chain(own)
        .map(|(path, t)| (path, timeout_reach(t).0))
        .fold((String::new(), f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a })
        .0
}

/// The longest the clients sleep over `gaps` backoffs (as `ClientModel::backoff` draws them).
fn backoff_total(r: &RetryConfig, gaps: u32) -> Duration {
    let (base, cap) = (r.base.0, r.cap.0);
    match (r.backoff, r.jitter) {
        (Backoff::None, _) => Duration::ZERO,
        // Decorrelated jitter grows from the last sleep up to the cap, whatever the backoff.
        (_, Jitter::Decorrelated) => cap.saturating_mul(gaps),
        (Backoff::Fixed, _) => base.min(cap).saturating_mul(gaps),
        (Backoff::Exponential, _) => {
            let mut total = Duration::ZERO;
            for k in 0..gaps {
                let ceiling = base.saturating_mul(1u32 << k.min(31)).min(cap);
                if ceiling == cap || k >= 31 {
                    // From here on every sleep is this long.
                    return total.saturating_add(ceiling.saturating_mul(gaps - k));
                }
                total = total.saturating_add(ceiling);
            }
            total
        }
    }
}
