//! Sampling the in-process stack: the gateway's gauges, queue waits and retries, and the
//! backend's work, into the recorder.

use super::shared::{lock, scale, Shared};
use model::results::Recorder;
use model::Time;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the in-process stack's gauges are sampled, in real time: 50 ms, or about 20
/// samples a window when a compressed run's windows are shorter than a second of real time
/// (at `--time-scale 20` a 1 s window lasts 50 ms, which a 50 ms tick missed now and then, and
/// the window read no data), never below 5 ms.
pub(super) fn sample_every(window: Duration, time_scale: f64) -> Duration {
    // Total: a time scale the run refused (or a huge window) gives the 50 ms tick, no panic.
    let real = Duration::try_from_secs_f64(window.as_secs_f64() / time_scale).unwrap_or(Duration::MAX);
    (real / 20).clamp(Duration::from_millis(5), Duration::from_millis(50))
}

/// Samples the in-process stack every `every` ([`sample_every`]) until `sampling` clears, then
/// once more: the gateway's queue depth, requests in flight and (adaptive) concurrency limit,
/// and what the gateway and the backend did since the last sample, request by request, as the
/// simulator records it: queue waits and queued requests cancelled (each in the window it happened in),
/// the gateway's retries (at the tick), and each finished job's work in the windows it took up
/// (wasted or not) with its service time.
pub(super) async fn sample_stack(
    shared: Arc<Shared>,
    backend: Arc<mock_legacy::state::Backend>,
    gateway: Arc<reference_gateway::Gateway>,
    sampling: Arc<AtomicBool>,
    every: Duration,
) {
    for s in &gateway.services {
        s.log_waits();
    }
    for s in &backend.services {
        s.log_completions();
    }
    let adaptive = gateway.setup.gateway.strategy == model::scenario::Strategy::Adaptive;
    // Each gateway service's index in the recorder's services (`None`: a run that keeps none).
    let slots: Vec<Option<usize>> = {
        let r = lock(&shared.recorder);
        gateway.services.iter().map(|s| r.service_index(&s.name)).collect()
    };
    let mut held = Vec::with_capacity(gateway.services.len());
    let mut retries_seen = 0u64;
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let last = !sampling.load(Ordering::Relaxed);
        let now = shared.now();
        let (mut q, mut fl, mut limit, mut retries) = (0u64, 0u64, 0u64, 0u64);
        let mut waits = Vec::new();
        held.clear();
        // Each counter read once: the whole run's count and each service's come from the same
        // reads, so the services' held add up to the whole gateway's (read twice, a send
        // between the reads made them differ).
        let counts: Vec<u64> = shared.waiting.iter().map(|n| n.load(Ordering::Relaxed)).collect();
        let waiting_for = |i: usize| counts.get(i).copied().unwrap_or(0);
        let waiting: u64 = counts.iter().sum();
        for (s, slot) in gateway.services.iter().zip(&slots) {
            let g = s.gauges();
            q += g.queue_depth as u64;
            fl += u64::from(g.in_flight);
            if let Some(i) = slot {
                held.push((*i, g.queue_depth as u64 + u64::from(g.in_flight) + waiting_for(*i)));
            }
            limit += u64::from(g.limit.unwrap_or(0));
            retries += g.retries;
            // The last sample also takes the waits so far of requests still queued.
            waits.extend(if last { s.take_last_waits() } else { s.take_waits() });
        }
        let jobs: Vec<_> = backend.services.iter().flat_map(|s| s.take_completions()).collect();
        let mut r = lock(&shared.recorder);
        r.gauges(now, q, fl);
        if waiting > 0 {
            r.generator_waiting(now, waiting);
        }
        for &(i, h) in &held {
            r.service_held(now, i, h);
        }
        if adaptive {
            r.limit(now, limit);
        }
        for _ in retries_seen..retries {
            r.gateway_retry(now);
        }
        retries_seen = retries_seen.max(retries);
        record_waits(&mut r, waits, shared.epoch, shared.f);
        // The backend's clock starts at the load's epoch and runs in real time.
        for (at, busy, wasted) in jobs {
            let at = Time::from_secs_f64(at.saturating_since(Time::ZERO).as_secs_f64() * shared.f);
            r.backend_work(at, scale(busy, shared.f), wasted);
        }
        drop(r);
        if last {
            break;
        }
    }
}

/// The gateway's logged queue waits (and cancellations) into the results, each in the window of
/// the scenario time it ended at (a run's `epoch`, time compressed by `f`).
fn record_waits(r: &mut Recorder, waits: Vec<reference_gateway::state::LoggedWait>, epoch: Instant, f: f64) {
    for w in waits {
        let at = Time::from_secs_f64(w.at.saturating_duration_since(epoch).as_secs_f64() * f);
        r.queue_wait(at, scale(w.waited, f));
        if w.cancelled {
            r.cancelled(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use model::results::{metric, RunMeta};

    /// Compressed runs sample often enough for each window to get samples; uncompressed ones
    /// keep the 50 ms tick, and nothing ticks faster than 5 ms.
    #[test]
    fn the_stack_is_sampled_several_times_a_window() {
        use std::time::Duration;
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        assert_eq!(super::sample_every(s(1), 1.0), ms(50));
        assert_eq!(super::sample_every(s(10), 4.0), ms(50));
        // A 1 s window at 20x lasts 50 ms: ten samples in it, not one or none.
        assert_eq!(super::sample_every(s(1), 20.0), ms(5));
        assert_eq!(super::sample_every(s(1), 10.0), ms(5));
        assert_eq!(super::sample_every(s(2), 2.0), ms(50));
        assert_eq!(super::sample_every(s(1), 2.0), Duration::from_micros(25_000));
        assert_eq!(super::sample_every(ms(100), 1.0), ms(5));
        assert_eq!(super::sample_every(s(1), 0.0), ms(50), "no panic on a refused scale");
        assert_eq!(super::sample_every(s(1), f64::NAN), ms(50));
    }

    /// Each queue wait and cancellation the gateway logs lands in the window it happened in,
    /// not in that of the sampler's tick that read it (up to 50 ms x F later).
    #[test]
    fn logged_waits_land_in_the_window_they_ended_in() {
        use super::*;
        use reference_gateway::state::LoggedWait;
        let s = model::scenario::parse(
            "t.toml",
            "[run]\nwindow = \"100ms\"\n[[workload.phases]]\nduration = \"2s\"\nrate = 10\n[[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"1ms\"\n",
        )
        .expect("valid");
        let mut r = Recorder::for_scenario(&s);
        let epoch = Instant::now();
        let ms = Duration::from_millis;
        // At 4x: 120 ms of real time is 480 ms of the scenario (window 4), 310 ms is 1.24 s.
        let waits = vec![
            LoggedWait {
                at: epoch + ms(120),
                waited: ms(25),
                cancelled: true,
            },
            LoggedWait {
                at: epoch + ms(310),
                waited: ms(5),
                cancelled: false,
            },
        ];
        record_waits(&mut r, waits, epoch, 4.0);
        let res = r.finish(&s, RunMeta::sim("fifo"));
        let cancelled: Vec<u64> = res.windows.iter().map(|w| w.counters.cancelled).collect();
        assert_eq!(cancelled.iter().sum::<u64>(), 1);
        assert_eq!(cancelled[4], 1, "{cancelled:?}");
        let waits_in = |i: usize| res.windows[i].histograms.get(metric::QUEUE_WAIT).map_or(0, |h| h.len());
        assert_eq!(waits_in(4), 1);
        assert_eq!(waits_in(12), 1);
        let whole = &res.totals[metric::QUEUE_WAIT];
        assert_eq!(whole.len(), 2);
        assert!((whole.max_s() - 0.1).abs() < 1e-3, "25 ms at 4x: {} s", whole.max_s());
    }
}
