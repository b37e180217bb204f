//! The limits that keep a run within memory and time, and the check of a resolved run against
//! them: its windows, its intents, a closed loop's sends.

use super::closed_loop::{closed_cycle, CLOSED_FLOOR_S};
use super::in_flight::{in_flight_after_arrivals, longest_timeout_path};
use super::Checker;
use crate::scenario::{ClientsConfig, Phase, RetryConfig, ScenarioFile, ServiceSpec};
use std::time::Duration;

/// Limits that keep a run within memory and time: a typo (`rate = 1e9`, `window = "1ns"`) is an
/// error here, not an hour of simulation or an allocation failure.
///
/// Windows: results keep every window from the start until the last intent is over, each in
/// memory and in results.json (measured: about 520 bytes of results.json and 1.35 KB of memory
/// for an empty window, 1.1 KB of results.json and 0.55 KB of results.hlog for a busy one, more
/// with classes and services). 1e6 windows made a 313 MB results.json of empty windows and
/// 813 MB of memory; 1e5 keep a run under about 150 MB of results and memory, and cover a day
/// of 1 s windows or an hour of 100 ms ones.
const MAX_WINDOWS: f64 = 1e5;
const MAX_INTENTS: f64 = 1e9;
pub(super) const MAX_WEIGHT: f64 = 1e9;
pub(super) const MAX_USERS: u32 = 1_000_000;
pub(super) const MAX_NAMES: u32 = 100_000;
pub(super) const MAX_SERVICES: u32 = 1_000;
/// APIs across the backend once `count` is expanded: each service keeps its own list (and its
/// per-API service times), about 100 bytes an API when a file is checked and 180 in a run
/// (measured: 1e6 APIs take 104 MB in `scenario check` and 183 MB in `sim run`; 1e7, allowed
/// by the per-service limits alone, took 878 MB and 1.7 GB). Ten services of 100,000 APIs, or
/// 1,000 of 1,000, fit.
pub(super) const MAX_EXPANDED_APIS: u64 = 1_000_000;

/// A "nice" duration (1, 2 or 5 times a power of ten nanoseconds) at least `ns`.
fn nice_at_least(ns: f64) -> Duration {
    let mut p = 1u64;
    loop {
        for m in [1u64, 2, 5] {
            let v = p.saturating_mul(m);
            if v as f64 >= ns || v == u64::MAX {
                return Duration::from_nanos(v);
            }
        }
        p = p.saturating_mul(10);
    }
}

pub(super) fn check_size(
    c: &mut Checker,
    file: &ScenarioFile,
    phases: &[Phase],
    services: &[ServiceSpec],
    duration: Duration,
) {
    let fmt = crate::duration::format_duration;
    let (in_flight, bounded) = in_flight_after_arrivals(&file.clients);
    let kept = duration.saturating_add(in_flight);
    let window = file.run.window.0;
    let windows = kept.as_secs_f64() / window.as_secs_f64();
    if windows > MAX_WINDOWS {
        let longer = nice_at_least(kept.as_nanos() as f64 / MAX_WINDOWS);
        if longer > duration {
            // No window shorter than the run can hold it: the clients' time in flight is what
            // to change (advising a larger run.window led to "longer than the run").
            let one_attempt = in_flight_after_arrivals(&ClientsConfig {
                retry: RetryConfig {
                    max_attempts: 1,
                    ..file.clients.retry.clone()
                },
                ..file.clients.clone()
            })
            .0;
            let by_attempts = duration.saturating_add(one_attempt).as_secs_f64() / window.as_secs_f64() <= MAX_WINDOWS;
            let timeout = longest_timeout_path(&file.clients);
            let field = if by_attempts {
                "clients.retry.max_attempts".to_string()
            } else {
                timeout.clone()
            };
            c.fail(
                &field,
                format!(
                    "an intent can still be in flight {} after arrivals end ({timeout}, retries and backoff{}), and results keep every window until the last intent is over: {windows:.0} windows of {}, at most {MAX_WINDOWS:.0}, and no window shorter than the run ({}) holds it; lower {field}",
                    fmt(in_flight),
                    if bounded { "" } else { ", by the timeout's 99.99th percentile" },
                    fmt(window),
                    fmt(duration),
                ),
            );
        } else {
            c.fail(
            "run.window",
            format!(
                "{windows:.0} windows of {} over the run's {} and the {} an intent can still be in flight after arrivals end ({}, retries and backoff{}): at most {MAX_WINDOWS:.0} (results keep every window until the last intent is over); use a larger run.window, \"{}\" or more",
                fmt(window),
                fmt(duration),
                fmt(in_flight),
                longest_timeout_path(&file.clients),
                if bounded { "" } else { ", by the timeout's 99.99th percentile" },
                fmt(longer)
            ),
        );
        }
    }
    let intents: f64 = phases
        .iter()
        .map(|p| (p.rate_start + p.rate_end) / 2.0 * p.duration().as_secs_f64())
        .sum();
    if intents > MAX_INTENTS {
        // Most of them a phase's extra traffic (a typo in its rate): said there.
        let extra = |p: &Phase| p.extra_rate() * p.duration().as_secs_f64();
        let heavy = phases
            .iter()
            .enumerate()
            .max_by(|a, b| extra(a.1).total_cmp(&extra(b.1)))
            .filter(|(_, p)| extra(p) > intents / 2.0);
        match heavy {
            Some((i, p)) => c.fail(
                format!("workload.phases[{i}].extra"),
                format!(
                    "the phases offer about {intents:.3e} intents, {:.3e} of them this extra traffic of phase `{}`: at most {MAX_INTENTS:.0e} per run",
                    extra(p),
                    p.name
                ),
            ),
            None => c.fail(
                "workload.phases",
                format!("the phases offer about {intents:.3e} intents: at most {MAX_INTENTS:.0e} per run"),
            ),
        }
    }
    // A closed loop's users send at most once per think time and answer (the simulator sends
    // a user's next intent at least 1 us after its last answer). The same bound as open loops,
    // so a typo in `duration` is an error, not hours.
    if let Some(closed) = &file.workload.closed {
        let (think, answer, instant) = closed_cycle(file, services, closed);
        // A mean (of a lognormal, say) is no round figure: `41.8ms`, not `41834.094us`; below a
        // microsecond, as written (`1ns`).
        let mean = |secs: f64| {
            if secs == 0.0 || secs >= 1e-6 {
                crate::results::fmt_secs(secs)
            } else {
                fmt(crate::time::secs(secs))
            }
        };
        let intents = f64::from(closed.users) * duration.as_secs_f64() / (think + answer).max(CLOSED_FLOOR_S);
        if intents > MAX_INTENTS {
            let answers = match &instant {
                Some(why) if answer == 0.0 => {
                    format!("answers that can come at once ({why}: a user then sends again a microsecond later)")
                }
                _ => format!("answers of {} or more", mean(answer)),
            };
            c.fail(
                "workload.closed",
                format!(
                    "{} users for {} with a think time of {} and {answers} can send about {intents:.3e} intents: at most {MAX_INTENTS:.0e} per run",
                    closed.users,
                    fmt(duration),
                    mean(think),
                ),
            );
        }
    }
}
