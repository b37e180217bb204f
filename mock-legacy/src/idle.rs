//! When a connection has carried no request for a while, for closing idle HTTP/2 connections.
//!
//! An idle HTTP/1.1 keep-alive connection is closed by a timer (hyper's header read timeout on
//! mock-legacy, the idle timeout on the gateway's own server). hyper's HTTP/2 side has no such
//! timer: a client that sends the preface and then nothing (or only PINGs) would hold a
//! connection and its task forever. [`Idle`] counts the
//! requests in flight on one connection and when the last one ended; [`Idle::expired`] resolves
//! once none has been in flight for the timeout, and the server then closes with a GOAWAY.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// One connection's requests in flight and last activity. Clones share them.
#[derive(Clone, Debug)]
pub struct Idle(Arc<State>);

#[derive(Debug)]
struct State {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
    /// Expiry applies (mock-legacy turns it on once the connection turns out to be HTTP/2).
    watching: AtomicBool,
}

/// A request in flight on the connection, until dropped.
#[derive(Debug)]
pub struct InFlight(Idle);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.touch();
        self.0 .0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Idle {
    /// Active from now when `watching`, else from [`Idle::watch`].
    pub fn new(watching: bool) -> Idle {
        Idle(Arc::new(State {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
            watching: AtomicBool::new(watching),
        }))
    }

    /// Starts the clock: the connection is idle from now unless a request arrives.
    pub fn watch(&self) {
        self.touch();
        self.0.watching.store(true, Ordering::Release);
    }

    /// A request started; it counts as in flight until the returned guard is dropped.
    pub fn request(&self) -> InFlight {
        self.0.in_flight.fetch_add(1, Ordering::AcqRel);
        self.touch();
        InFlight(self.clone())
    }

    fn touch(&self) {
        // A poisoned lock still holds a valid instant.
        let mut last = self.0.last.lock().unwrap_or_else(|p| p.into_inner());
        *last = Instant::now();
    }

    fn last(&self) -> Instant {
        *self.0.last.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves once the connection is watched and no request has been in flight for `timeout`.
    pub async fn expired(&self, timeout: Duration) {
        loop {
            let due = self.last() + timeout;
            if Instant::now() < due {
                tokio::time::sleep_until(due).await;
                continue;
            }
            if self.0.watching.load(Ordering::Acquire) && self.0.in_flight.load(Ordering::Acquire) == 0 {
                return;
            }
            // Busy, or not watched yet: a request's end (or `watch`) restarts the clock, and
            // until then this looks again a timeout from now.
            self.touch();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(10);

    async fn expires_within(idle: &Idle, limit: Duration) -> bool {
        tokio::time::timeout(limit, idle.expired(T)).await.is_ok()
    }

    #[tokio::test(start_paused = true)]
    async fn an_unused_watched_connection_expires_after_the_timeout() {
        let idle = Idle::new(true);
        let start = Instant::now();
        assert!(expires_within(&idle, T * 2).await);
        assert_eq!(start.elapsed(), T, "exactly a timeout after it opened");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_keeps_it_open_and_its_end_restarts_the_clock() {
        let idle = Idle::new(true);
        let guard = idle.request();
        assert!(!expires_within(&idle, T * 5).await, "a long request is never cut off");
        let ended = Instant::now();
        drop(guard);
        assert!(expires_within(&idle, T * 3).await);
        let after = ended.elapsed();
        assert!(
            after >= T && after <= T * 2,
            "a timeout or two after the request ended: {after:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn it_does_not_expire_until_watched() {
        let idle = Idle::new(false);
        assert!(!expires_within(&idle, T * 5).await);
        idle.watch();
        let watched = Instant::now();
        assert!(expires_within(&idle, T * 3).await);
        assert!(watched.elapsed() >= T, "a whole timeout from the moment it was watched");
    }

    #[tokio::test(start_paused = true)]
    async fn each_request_restarts_the_clock() {
        let idle = Idle::new(true);
        for _ in 0..5 {
            tokio::time::sleep(T / 2).await;
            drop(idle.request());
        }
        let last = Instant::now();
        assert!(expires_within(&idle, T * 3).await);
        assert!(last.elapsed() >= T);
    }
}
