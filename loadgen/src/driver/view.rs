//! What the progress line reads of a run, and the recent latencies it shows.

use super::shared::{lock, Shared};
use model::results::Hist;
use model::Time;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the progress line reads.
pub(crate) struct View {
    shared: Arc<Shared>,
}

impl View {
    pub(crate) fn now(&self) -> Time {
        self.shared.now()
    }
    /// Intents started so far (the recorder counts them only once they have their answer);
    /// arrivals left unsent are not.
    pub(crate) fn started(&self) -> u64 {
        self.shared.started.load(Ordering::Relaxed)
    }
    /// Intents started and still without their final answer (in flight, or waiting to retry).
    pub(crate) fn waiting(&self) -> u64 {
        self.shared.outstanding.load(Ordering::Relaxed) as u64
    }
    /// Arrivals left unsent so far: beyond the intents the generator can hold, or without a
    /// socket (out of file descriptors or ports).
    pub(crate) fn unsent(&self) -> u64 {
        let no_socket: u64 = lock(&self.shared.generator_failures).iter().map(|(_, n)| n).sum();
        self.shared.unsent.load(Ordering::Relaxed).saturating_add(no_socket)
    }
    /// The counters so far, and the p99 latency (seconds, from the intended send) of the
    /// attempts that ended since the last call, timeouts included (`None`: none ended).
    pub(crate) fn snapshot(&self) -> (model::results::Counters, Option<f64>) {
        let mut totals = lock(&self.shared.recorder).totals_so_far();
        totals.requests.timeouts = self.shared.timeouts_seen.load(Ordering::Relaxed);
        totals.requests.shed = self.shared.shed_seen.load(Ordering::Relaxed);
        (totals, self.shared.recent.take_p99())
    }
}

/// Latencies of the attempts that ended since they were last taken (see [`Shared::recent`]).
pub(super) struct Recent(Mutex<Hist>);

impl Default for Recent {
    fn default() -> Recent {
        Recent(Mutex::new(Hist::new(model::results::WINDOW_SIGFIG)))
    }
}

impl Recent {
    pub(super) fn record(&self, latency: Duration) {
        lock(&self.0).record(latency);
    }

    /// The p99 (seconds) of what was recorded since the last call, which starts afresh; `None`
    /// when nothing was.
    fn take_p99(&self) -> Option<f64> {
        let h = std::mem::replace(&mut *lock(&self.0), Hist::new(model::results::WINDOW_SIGFIG));
        (!h.is_empty()).then(|| h.quantile_s(0.99))
    }
}

pub(super) fn shared_view(s: &Arc<Shared>) -> View {
    View { shared: s.clone() }
}

#[cfg(test)]
mod tests {
    /// The progress line's p99 is of the attempts that ended since it last looked: timeouts
    /// show at once (it read the newest window, which cannot hold one), and a quiet spell
    /// shows no figure rather than an old one.
    #[test]
    fn the_progress_p99_is_of_what_ended_since_the_last_look() {
        use std::time::Duration;
        let recent = super::Recent::default();
        assert_eq!(recent.take_p99(), None);
        for _ in 0..90 {
            recent.record(Duration::from_millis(5));
        }
        for _ in 0..10 {
            recent.record(Duration::from_secs(2));
        }
        let p99 = recent.take_p99().expect("a figure");
        assert!((1.99..2.01).contains(&p99), "{p99}");
        assert_eq!(recent.take_p99(), None, "taken: starts afresh");
        recent.record(Duration::from_millis(5));
        let p99 = recent.take_p99().expect("a figure");
        assert!(p99 < 0.006, "{p99}");
    }
}
