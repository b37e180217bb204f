//! The loops that start intents: the open loop's schedule, sent on time, and the closed loop's
//! users.

use super::shared::{lock, Shared};
use crate::send_timer::SendTimer;
use anyhow::Context as _;
use model::rng::Streams;
use model::scenario::Scenario;
use model::workload::{Arrival, ClosedLoop, MixSampler, Schedule};
use model::Time;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Closed loop: each user sends, waits for the final answer, thinks, and sends again, until the
/// run's duration is over.
pub(super) async fn closed_loop(
    shared: Arc<Shared>,
    scenario: &Scenario,
    streams: &Streams,
    users: u32,
    think: model::dist::Distribution,
) {
    let mut users_loop = ClosedLoop::new(think, streams);
    let starts = users_loop.initial(users);
    let state = Arc::new(Mutex::new((
        users_loop,
        MixSampler::new(scenario),
        streams.stream("mix"),
        0u64,
    )));
    let end = Time::ZERO + scenario.duration;
    let mut tasks = tokio::task::JoinSet::new();
    for start in starts {
        let (shared, state) = (shared.clone(), state.clone());
        tasks.spawn(async move {
            let mut t = start;
            while t < end && !shared.stop.load(Ordering::Relaxed) {
                let due = shared.instant(t);
                shared.timer.sleep_until(due).await;
                let a = {
                    let mut st = lock(&state);
                    let (svc, api, priority) = {
                        let (_, mix, rng, _) = &mut *st;
                        mix.sample(rng)
                    };
                    st.3 += 1;
                    Arrival {
                        intent: st.3 - 1,
                        at: t,
                        service: svc,
                        api,
                        priority,
                    }
                };
                // Offered when it has its final answer (see `run_intent`).
                shared.record_lateness(t, Instant::now().saturating_duration_since(due));
                shared.outstanding.fetch_add(1, Ordering::Relaxed);
                shared.started.fetch_add(1, Ordering::Relaxed);
                shared.clone().run_intent(a, None).await;
                let done = shared.now();
                t = lock(&state).0.next_after(done);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// The send timer's grain: wakes are rounded up to a multiple of it, so that at high rates one
/// wake sends every arrival of its slot (arming a timer costs microseconds in a VM). It is
/// Linux's default timer slack: what an ordinary sleep may overshoot by anyway.
const SEND_GRAIN: Duration = Duration::from_micros(50);

/// Sends the open-loop schedule: sleeps on the send timer until each arrival is due and starts
/// its intent's task; arrivals that fell due meanwhile (a late wake, a high rate) start together.
pub(super) async fn dispatch(shared: Arc<Shared>, schedule: Schedule, max_outstanding: usize) -> anyhow::Result<()> {
    let timer = SendTimer::new().context("starting the send timer")?;
    let grain = SEND_GRAIN.as_nanos();
    let mut schedule = schedule.peekable();
    while let Some(a) = schedule.next() {
        let due = shared.instant(a.at);
        let since = due.saturating_duration_since(shared.epoch).as_nanos();
        let slot =
            shared.epoch + Duration::from_nanos(u64::try_from(since.div_ceil(grain) * grain).unwrap_or(u64::MAX));
        timer.sleep_until(slot.max(due)).await.context("send timer")?;
        if shared.stop.load(Ordering::Relaxed) {
            break;
        }
        admit(&shared, a, due, max_outstanding);
        let now = Instant::now();
        // At a rate beyond the generator, arrivals fall due faster than this loop admits them:
        // it checks for a stop and yields now and then, or an interrupt would wait for minutes.
        let mut burst = 0u32;
        while let Some(a) = schedule.next_if(|a| shared.instant(a.at) <= now) {
            let due = shared.instant(a.at);
            admit(&shared, a, due, max_outstanding);
            burst += 1;
            if burst.is_multiple_of(1024) {
                if shared.stop.load(Ordering::Relaxed) {
                    return Ok(());
                }
                tokio::task::yield_now().await;
            }
        }
    }
    Ok(())
}

/// Starts an arrival's intent, or counts it unsent when the generator holds `max_outstanding`
/// intents already: left out of the figures, as an intent the generator had no socket for. It
/// was once a failed intent of latency 0, so a run whose target hung read `p50 1us`.
pub(super) fn admit(shared: &Arc<Shared>, a: Arrival, due: Instant, max_outstanding: usize) {
    if shared.outstanding.load(Ordering::Relaxed) >= max_outstanding {
        // The generator cannot hold more: count it, and say so in the results. Not started:
        // the progress line counted it in its rate and as waiting (`waiting 2289552` with at
        // most 200,000 held).
        shared.record_lateness(a.at, Instant::now().saturating_duration_since(due));
        shared.unsent.fetch_add(1, Ordering::Relaxed);
        return;
    }
    shared.started.fetch_add(1, Ordering::Relaxed);
    shared.outstanding.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(shared.clone().run_intent(a, Some(due)));
}
