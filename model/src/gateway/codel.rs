//! CoDel for request queues, as Facebook runs it (wangle's `Codel`).
//!
//! Every request leaving the queue reports how long it waited. Once per `interval` the
//! controller looks at the smallest wait seen in that interval: if even the luckiest request
//! waited longer than `target`, there is a standing queue and the controller is *overloaded*
//! until the next check. While overloaded, requests that waited more than 2 x `target` (the
//! slough timeout) are dropped instead of served. A queue that drains at least once per
//! interval never enters this state, however large a burst it absorbs.

use crate::time::Time;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Codel {
    target: Duration,
    interval: Duration,
    interval_end: Time,
    min_delay: Duration,
    reset: bool,
    overloaded: bool,
}

impl Codel {
    pub fn new(target: Duration, interval: Duration) -> Codel {
        Codel {
            target,
            interval,
            interval_end: Time::ZERO + interval,
            min_delay: Duration::ZERO,
            reset: true,
            overloaded: false,
        }
    }

    /// A request leaves the queue at `now` after waiting `delay`: true if it should be dropped.
    pub fn should_drop(&mut self, now: Time, delay: Duration) -> bool {
        self.should_drop_standing(now, delay, delay)
    }

    /// [`Codel::should_drop`] for a request that waited `delay` while the queue's standing
    /// delay (the wait of the request FIFO service would take now) is `standing`: the interval's
    /// minimum is of standing delays, the drop is judged on the request's own wait. They differ
    /// when the queue is served newest first (adaptive LIFO): the newest barely waited, and an
    /// interval of such minima read as no standing queue.
    pub fn should_drop_standing(&mut self, now: Time, standing: Duration, delay: Duration) -> bool {
        self.tick(now);
        if self.reset {
            self.reset = false;
            self.min_delay = standing;
            return false;
        }
        self.min_delay = self.min_delay.min(standing);
        self.overloaded && delay > self.slough_timeout()
    }

    /// Closes the interval if it has ended, so `overloaded()` is current even when no request
    /// has left the queue since.
    pub fn tick(&mut self, now: Time) {
        // As in wangle: an interval closes only if a request was seen since the last close.
        if now > self.interval_end && !self.reset {
            self.interval_end = now + self.interval;
            self.overloaded = self.min_delay > self.target;
            self.reset = true;
        }
    }

    /// Whether the last interval showed a standing queue (adaptive LIFO serves newest first then).
    pub fn overloaded(&self) -> bool {
        self.overloaded
    }

    /// Waits longer than this are dropped while overloaded.
    pub fn slough_timeout(&self) -> Duration {
        self.target * 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Duration {
        Duration::from_millis(v)
    }
    fn at(v: u64) -> Time {
        Time::ZERO + ms(v)
    }

    #[test]
    fn enters_and_leaves_the_dropping_state() {
        let mut c = Codel::new(ms(5), ms(100));
        // First interval: every request waited 50 ms. Nothing dropped yet: not known overloaded.
        assert!(!c.should_drop(at(10), ms(50)));
        assert!(!c.should_drop(at(50), ms(50)));
        assert!(!c.overloaded());
        // The check after 100 ms sees min 50 ms > 5 ms: overloaded. The first request of the new
        // interval only resets the minimum; the next long waiter is dropped.
        assert!(!c.should_drop(at(101), ms(50)));
        assert!(c.overloaded());
        assert!(c.should_drop(at(110), ms(50)));
        assert!(!c.should_drop(at(120), ms(8)), "under the 10 ms slough timeout: served");
        // The queue drains: a request that did not wait brings the minimum to zero, so the
        // check at the end of this interval leaves the dropping state.
        assert!(c.should_drop(at(150), ms(11)));
        assert!(!c.should_drop(at(160), ms(0)));
        assert!(!c.should_drop(at(202), ms(30)), "check at 202: min was 0");
        assert!(!c.overloaded());
        assert!(!c.should_drop(at(220), ms(30)), "not overloaded: long waits are served");
        // A standing 30 ms queue for a whole interval: back in the dropping state.
        assert!(!c.should_drop(at(303), ms(30)));
        assert!(c.overloaded());
        assert!(c.should_drop(at(310), ms(30)));
    }

    #[test]
    fn a_queue_that_drains_every_interval_is_never_overloaded() {
        let mut c = Codel::new(ms(5), ms(100));
        for k in 0..50u64 {
            let t = k * 20;
            // A burst waits long, but every interval has one request that did not wait.
            assert!(!c.should_drop(at(t), if k % 4 == 0 { ms(0) } else { ms(80) }));
        }
        assert!(!c.overloaded());
    }
}
