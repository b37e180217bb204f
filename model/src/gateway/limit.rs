//! Concurrency limits: fixed, or adaptive (gradient as in Netflix concurrency-limits and
//! Envoy's adaptive concurrency filter, or AIMD).
//!
//! Defaults are sized for tens of requests per second: a limit update every `sample_size`
//! (10) completions or every `update_interval` (1 s), whichever comes first. The published
//! defaults (50+ samples, 100 ms windows) assume thousands of requests per second and would
//! update once every few seconds here, or never.

use crate::scenario::{AdaptiveConfig, LimitAlgorithm};
use crate::time::Time;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum Limiter {
    /// No limit (passthrough).
    Unlimited,
    Fixed(u32),
    Adaptive(Box<AdaptiveLimit>),
}

impl Limiter {
    #[inline]
    pub fn limit(&self) -> Option<u32> {
        match self {
            Limiter::Unlimited => None,
            Limiter::Fixed(n) => Some(*n),
            Limiter::Adaptive(a) => Some(a.limit()),
        }
    }

    /// A request finished after `latency`; `dropped` when it failed in a way that signals
    /// overload (timeout, 503, 429). `latency` is `None` for answers whose time says nothing
    /// about the service's speed (an instant 503 of an outage would read as a fast service and
    /// pull the no-load baseline to zero, after which every later sample reads as queueing).
    #[inline]
    pub fn on_sample(&mut self, now: Time, latency: Option<Duration>, dropped: bool, in_flight: u32) {
        if let Limiter::Adaptive(a) = self {
            a.on_sample(now, latency, dropped, in_flight);
        }
    }

    /// Time-based updates, when samples are scarce.
    pub fn on_timer(&mut self, now: Time) {
        if let Limiter::Adaptive(a) = self {
            a.on_timer(now);
        }
    }

    #[inline]
    pub fn next_update(&self) -> Option<Time> {
        match self {
            Limiter::Adaptive(a) if a.samples > 0 => Some(a.window_start + a.cfg.update_interval.0),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct AdaptiveLimit {
    cfg: AdaptiveConfig,
    limit: f64,
    /// Estimate of the latency without queueing: the lowest sample average seen, slowly forgotten.
    no_load: Option<Duration>,
    /// When the baseline last forgot (see [`AdaptiveLimit::update`]).
    forgot_at: Option<Time>,
    window_start: Time,
    samples: u32,
    /// Samples with a latency, and the sum of their latencies.
    timed: u32,
    sum: Duration,
    dropped: u32,
    max_in_flight: u32,
}

impl AdaptiveLimit {
    pub fn new(cfg: &AdaptiveConfig, initial: u32) -> AdaptiveLimit {
        let init = cfg.initial_limit.unwrap_or(initial).clamp(cfg.min_limit, cfg.max_limit);
        AdaptiveLimit {
            cfg: cfg.clone(),
            limit: f64::from(init),
            no_load: None,
            forgot_at: None,
            window_start: Time::ZERO,
            samples: 0,
            timed: 0,
            sum: Duration::ZERO,
            dropped: 0,
            max_in_flight: 0,
        }
    }

    #[inline]
    pub fn limit(&self) -> u32 {
        self.limit.round() as u32
    }

    fn on_sample(&mut self, now: Time, latency: Option<Duration>, dropped: bool, in_flight: u32) {
        if self.samples == 0 {
            self.window_start = now;
        }
        self.samples += 1;
        if let Some(l) = latency {
            self.timed += 1;
            self.sum += l;
        }
        self.dropped += u32::from(dropped);
        self.max_in_flight = self.max_in_flight.max(in_flight);
        if self.samples >= self.cfg.sample_size {
            self.update(now);
        }
    }

    fn on_timer(&mut self, now: Time) {
        if self.samples > 0 && now >= self.window_start + self.cfg.update_interval.0 {
            self.update(now);
        }
    }

    fn update(&mut self, now: Time) {
        let (min, max) = (f64::from(self.cfg.min_limit), f64::from(self.cfg.max_limit));
        // Latency against the no-load baseline: `None` in a window without a timed sample (all
        // drops), which then moves the limit on its drops alone.
        let latency = (self.timed > 0).then(|| {
            let avg = self.sum / self.timed;
            let no_load = match self.no_load {
                Some(n) if n <= avg => n,
                _ => avg,
            };
            // Forget slowly, so a permanently slower backend is eventually the baseline: 1% per
            // `update_interval` of time, not per update. Updates come every `sample_size`
            // completions, so per update it forgot faster the busier the service: at 200 req/s
            // the baseline doubled within 4 s of overload, the gradient read the backend's
            // queueing as no-load latency, and the limit climbed to `max_limit` during a burst.
            // At most 1% per update: a silence (no samples, no updates) tells nothing new.
            let elapsed = self.forgot_at.map_or(0.0, |t| {
                let interval = self.cfg.update_interval.0.as_secs_f64().max(1e-9);
                (now.saturating_since(t).as_secs_f64() / interval).min(1.0)
            });
            self.forgot_at = Some(now);
            self.no_load = Some(crate::time::secs(no_load.as_secs_f64() * 1.01f64.powf(elapsed)));
            (avg, no_load)
        });
        let app_limited = f64::from(self.max_in_flight) < self.limit / 2.0;
        self.limit = match self.cfg.algorithm {
            LimitAlgorithm::Gradient => {
                let gradient = latency.map_or(1.0, |(avg, no_load)| {
                    let ratio = self.cfg.tolerance * no_load.as_secs_f64() / avg.as_secs_f64().max(1e-9);
                    ratio.clamp(0.5, 1.0)
                });
                let headroom = if self.dropped > 0 { 0.0 } else { self.limit.sqrt() };
                let target = self.limit * gradient + headroom;
                // Do not grow a limit the traffic is not using.
                let target = if app_limited && target > self.limit {
                    self.limit
                } else {
                    target
                };
                0.8 * self.limit + 0.2 * target
            }
            LimitAlgorithm::Aimd => {
                let slow = latency
                    .is_some_and(|(avg, no_load)| avg.as_secs_f64() > self.cfg.tolerance * no_load.as_secs_f64());
                if self.dropped > 0 || slow {
                    self.limit * self.cfg.backoff_ratio
                } else if app_limited {
                    self.limit
                } else {
                    self.limit + 1.0
                }
            }
        }
        .clamp(min, max);
        self.samples = 0;
        self.timed = 0;
        self.sum = Duration::ZERO;
        self.dropped = 0;
        self.max_in_flight = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(algorithm: LimitAlgorithm) -> AdaptiveConfig {
        AdaptiveConfig {
            algorithm,
            initial_limit: Some(4),
            ..AdaptiveConfig::default()
        }
    }

    fn feed(l: &mut AdaptiveLimit, t0: u64, n: u32, latency_ms: u64, dropped: bool, in_flight: u32) {
        for i in 0..n {
            l.on_sample(
                Time(t0 + u64::from(i) * 1_000_000),
                Some(Duration::from_millis(latency_ms)),
                dropped,
                in_flight,
            );
        }
    }

    #[test]
    fn gradient_rises_at_low_latency_and_falls_when_latency_climbs() {
        let mut l = AdaptiveLimit::new(&cfg(LimitAlgorithm::Gradient), 4);
        feed(&mut l, 0, 10, 20, false, 4);
        let after_first = l.limit;
        assert!(
            after_first > 4.0,
            "steady latency at full use: the limit grows ({after_first})"
        );
        for k in 0..10 {
            let used = l.limit() + 1;
            feed(&mut l, 1_000_000_000 * (k + 1), 10, 20, false, used);
        }
        let high = l.limit;
        assert!(high > after_first);
        // Latency 5x the no-load value: gradient 0.5 (tolerance 2): every update shrinks the
        // limit, towards the floor where the sqrt(limit) headroom balances the halving.
        let mut prev = high;
        for k in 0..30 {
            let used = l.limit();
            feed(&mut l, 100_000_000_000 + 1_000_000_000 * k, 10, 100, false, used);
            assert!(l.limit < prev, "update {k}: {} after {prev}", l.limit);
            prev = l.limit;
        }
        assert!(l.limit < high * 0.6, "{} vs {high}", l.limit);
        assert!(l.limit() >= 1);
    }

    /// At 200 completions a second (20 updates a second), 20 s of queueing at the backend
    /// (10x the no-load latency, every slot in use) keep pressing the gradient limit down. The
    /// baseline forgets 1% per `update_interval`: forgetting 1% per update, it had grown 53-fold
    /// by the end, read the queueing as no-load latency, and the limit climbed to `max_limit`.
    #[test]
    fn a_busy_service_under_overload_does_not_forget_its_baseline_in_seconds() {
        let mut l = AdaptiveLimit::new(&cfg(LimitAlgorithm::Gradient), 4);
        let ms = 1_000_000u64;
        let mut t = 0u64;
        // `busy`: every slot in use; else the 4 the load needs.
        let mut feed_at = |l: &mut AdaptiveLimit, seconds: u64, latency_ms: u64, busy: bool| {
            for _ in 0..seconds * 200 {
                let used = if busy { l.limit() } else { l.limit().min(4) };
                l.on_sample(Time(t), Some(Duration::from_millis(latency_ms)), false, used);
                t += 5 * ms;
            }
        };
        feed_at(&mut l, 5, 20, false);
        let before = l.limit;
        let mut highest = 0.0f64;
        for _ in 0..20 {
            feed_at(&mut l, 1, 200, true);
            highest = highest.max(l.limit);
        }
        assert!(before < 10.0, "the load needs 4: {before}");
        assert!(highest <= before, "rose to {highest} from {before} under overload");
        assert!(l.limit < before * 0.5, "{} after {before}", l.limit);
        let baseline = l.no_load.expect("timed samples").as_secs_f64();
        // 1.01^20 of 20 ms after 20 s, within the 1% one update interval more or less gives.
        assert!(
            (baseline / (0.020 * 1.01f64.powi(20)) - 1.0).abs() < 0.011,
            "baseline {baseline}"
        );
    }

    #[test]
    fn aimd_adds_one_and_multiplies_down_on_drops() {
        let mut l = AdaptiveLimit::new(&cfg(LimitAlgorithm::Aimd), 4);
        feed(&mut l, 0, 10, 20, false, 4);
        assert_eq!(l.limit(), 5);
        feed(&mut l, 1_000_000_000, 10, 20, false, 5);
        assert_eq!(l.limit(), 6);
        feed(&mut l, 2_000_000_000, 10, 20, true, 6);
        assert!((l.limit - 5.4).abs() < 1e-9, "6 x 0.9 = {}", l.limit);
    }

    /// An outage's instant 503s (no latency, dropped) neither collapse the gradient limit nor
    /// leave a zero no-load baseline behind: once the service answers at its usual 20 ms
    /// again, both algorithms grow as before the outage.
    #[test]
    fn instant_rejections_do_not_poison_the_baseline() {
        for algorithm in [LimitAlgorithm::Gradient, LimitAlgorithm::Aimd] {
            let mut l = AdaptiveLimit::new(&cfg(algorithm), 4);
            for k in 0..5 {
                let used = l.limit() + 1;
                feed(&mut l, 1_000_000_000 * k, 10, 20, false, used);
            }
            let before = l.limit;
            for k in 5..15 {
                for i in 0..10u64 {
                    let used = l.limit() + 1;
                    l.on_sample(Time(1_000_000_000 * k + i * 1_000_000), None, true, used);
                }
            }
            if algorithm == LimitAlgorithm::Gradient {
                assert!(
                    (l.limit - before).abs() < 1e-9,
                    "held during the outage: {} vs {before}",
                    l.limit
                );
            }
            assert_eq!(
                l.no_load,
                Some(Duration::from_millis(20).mul_f64(1.01)),
                "the baseline of before"
            );
            let low = l.limit;
            for k in 15..25 {
                let used = l.limit() + 1;
                feed(&mut l, 1_000_000_000 * k, 10, 20, false, used);
            }
            assert!(l.limit > low, "{algorithm:?} grows again: {} after {low}", l.limit);
        }
    }

    #[test]
    fn an_unused_limit_does_not_grow() {
        let mut l = AdaptiveLimit::new(&cfg(LimitAlgorithm::Aimd), 4);
        feed(&mut l, 0, 10, 20, false, 1);
        assert_eq!(l.limit(), 4);
    }

    #[test]
    fn time_updates_when_samples_are_scarce() {
        let mut lim = Limiter::Adaptive(Box::new(AdaptiveLimit::new(&cfg(LimitAlgorithm::Aimd), 4)));
        lim.on_sample(Time(0), Some(Duration::from_millis(20)), false, 4);
        assert_eq!(lim.next_update(), Some(Time(1_000_000_000)));
        lim.on_timer(Time(500_000_000));
        assert_eq!(lim.limit(), Some(4));
        lim.on_timer(Time(1_000_000_000));
        assert_eq!(lim.limit(), Some(5));
        assert_eq!(lim.next_update(), None);
    }
}
