//! The run itself: the in-process stack or the target, the schedule sent, the drain, and the
//! results with the generator's health and the stack's overhead.

use super::loops::{closed_loop, dispatch};
use super::options::LiveOptions;
use super::sampling::{sample_every, sample_stack};
use super::shared::{lock, run_tag, RunParts, Shared};
use super::target::{preflight, tls_preflight};
use super::transport::{transport, Prepared};
use super::view::shared_view;
use anyhow::Context as _;
use mock_legacy::timer::PreciseTimer;
use model::client::ClientModel;
use model::results::{metric, GeneratorHealth, Overhead, Recorder, Results, RunMeta, RunNotes, RunSource};
use model::rng::Streams;
use model::scenario::Scenario;
use model::workload::Schedule;
use model::{wire, Time};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the live stack adds to each request in real time beyond its modelled service time:
/// measured ~0.29 ms (a capacity probe at time scales 2, 4 and 10 lost 1.4%, 2.8% and 6.7% of
/// a service of 40 ms mean, 4 workers). A time scale multiplies it in scenario time.
const LIVE_OVERHEAD: Duration = Duration::from_micros(300);

/// The largest share of a service's capacity the stack's overhead costs at time scale `f`
/// (over 2%), and the services it costs that much: all of them, when several are alike (one
/// named alone read as if only it were affected).
fn overhead_loss(scenario: &Scenario, f: f64) -> Option<(String, f64)> {
    let losses: Vec<(&str, f64)> = scenario
        .services
        .iter()
        .map(|s| {
            let mean = s.mean_service_time().max(1e-9);
            // Each request takes `1 + x` times its service time, so a worker serves `1 / (1 + x)`
            // of the requests it would: `x` itself read as a loss of over 100% at a 10 ms
            // service time and time scale 60.
            let x = LIVE_OVERHEAD.as_secs_f64() * f / mean;
            (s.name.as_str(), x / (1.0 + x))
        })
        .filter(|(_, loss)| *loss > 0.02)
        .collect();
    let worst = losses.iter().map(|l| l.1).fold(0.0, f64::max);
    let names: Vec<&str> = losses
        .iter()
        .filter(|l| l.1 >= worst * (1.0 - 1e-9))
        .map(|l| l.0)
        .collect();
    let list = match names.as_slice() {
        [] => return None,
        [one] => one.to_string(),
        [a, b] => format!("{a} and {b}"),
        [a, b, c] => format!("{a}, {b} and {c}"),
        [a, b, rest @ ..] => format!("{a}, {b} and {} more", rest.len()),
    };
    Some((list, worst))
}

/// Runs `scenario` live; `stop` ends it early (the results are then marked incomplete). What
/// the results' [`RunNotes`] say is logged at the end (warnings as warnings).
pub async fn run<F: Future<Output = ()> + Send>(
    scenario: &Scenario,
    opts: &LiveOptions,
    stop: F,
) -> anyhow::Result<Results> {
    let results = run_quiet(scenario, opts, stop).await?;
    // The overhead warning was logged as the run started.
    let notes = RunNotes {
        overhead: None,
        ..results.notes.clone()
    };
    for line in notes.lines() {
        let line = line.trim_start();
        match line.strip_prefix("WARNING") {
            Some(warning) => tracing::warn!("{}", warning.trim_start()),
            None => tracing::info!("{}", line.trim_start()),
        }
    }
    Ok(results)
}

/// [`run`] without logging its [`RunNotes`] (they are in the results, and
/// [`model::results::summary_table`] prints them).
pub async fn run_quiet<F: Future<Output = ()> + Send>(
    scenario: &Scenario,
    opts: &LiveOptions,
    stop: F,
) -> anyhow::Result<Results> {
    run_boxed(scenario, opts, std::pin::pin!(stop)).await
}

/// A run's future, boxed in this non-generic function so that the driver (with the in-process
/// gateway and mock-legacy) is compiled here once, not again in each crate that awaits
/// [`run_quiet`] (see [`mock_legacy::serve::BoxedFuture`]).
#[inline(never)]
fn run_boxed<'a>(
    scenario: &'a Scenario,
    opts: &'a LiveOptions,
    stop: std::pin::Pin<&'a mut (dyn Future<Output = ()> + Send + 'a)>,
) -> mock_legacy::serve::BoxedFuture<'a, anyhow::Result<Results>> {
    Box::pin(run_until(scenario, opts, stop))
}

/// [`run_quiet`]'s body. Not generic: a generic one was compiled again, whole, in every crate
/// that called it with a stop future of its own type (each live test binary, the `spillway`
/// binary), for half a minute of a 2-core build each.
async fn run_until(
    scenario: &Scenario,
    opts: &LiveOptions,
    mut stop: std::pin::Pin<&mut (dyn Future<Output = ()> + Send)>,
) -> anyhow::Result<Results> {
    let f = model::scenario::check_time_scale(opts.time_scale)?;
    // Before anything starts: a body file that went missing is bad input, not a failed run.
    let requests = Prepared::for_scenario(scenario)?;
    let (shard, shards) = opts.shard;
    // A shard is 1/N of the clients: of a closed loop's users, and of the retry budget's floor
    // (its ratio scales with the shard's own attempts already).
    let users = match &scenario.file.workload.closed {
        Some(c) => {
            let mine = model::workload::shard_share(c.users, shard, shards);
            if mine == 0 {
                return Err(model::UsageError(format!(
                    "--shard {shard}/{shards}: the closed loop has {} user(s), fewer than {shards} shards, so this shard would have none; use at most {} shards",
                    c.users, c.users
                ))
                .into());
            }
            mine
        }
        None => 0,
    };
    let clients = model::client::for_shard(&scenario.file.clients, shards);
    // In-process stack: the scenario's backend and gateway, compressed like the workload.
    let mut stack = None;
    let mut overhead = None;
    let base = match &opts.target {
        Some(t) => {
            preflight(t).await?;
            tls_preflight(t, opts).await?;
            // loadgen cannot ask a target its time scale: one that is not spillway's runs in
            // real time, and then every timeout is f times too short against it and every
            // latency reads f times longer (a 300 ms service read 600 ms, timed out at 500 ms).
            if f != 1.0 {
                let origin = opts
                    .time_scale_origin
                    .clone()
                    .unwrap_or_else(|| format!("--time-scale {f}"));
                tracing::warn!(
                    "{origin} with --target: the target must run {f} times faster too (spillway's mock-legacy and gateway started with --time-scale {f}); a service of your own runs in real time, so against it the clients' timeouts are {f} times too short and its latencies read {f} times longer: use --time-scale 1"
                );
            }
            // As written: the one-liner requests this URL itself (`/sub/` is not `/sub`), and
            // `transport` trims the slash before a scenario's service paths.
            t.to_string()
        }
        None => {
            // Said now, as a long run starts, and kept in the results' notes (the summary and
            // the reports show it; `run` does not log it again at the end).
            overhead = overhead_loss(scenario, f).map(|(service, loss)| Overhead {
                service,
                time_scale: f,
                loss,
            });
            if let Some(o) = &overhead {
                tracing::warn!("{}", o.warning());
            }
            let scaled = scenario.time_scaled(f)?;
            let ml = mock_legacy::start(&scaled, "127.0.0.1:0".parse()?, false).await?;
            let setup = reference_gateway::Setup::from_scenario(&scaled, Some(&ml.url()))?;
            let gw = reference_gateway::start(setup, "127.0.0.1:0".parse()?).await?;
            let url = gw.url();
            stack = Some((ml, gw));
            url
        }
    };
    if let Some(a) = &opts.announce {
        tracing::info!("{a}");
    }
    let streams = Streams::new(scenario.seed()).for_shard(shard, shards);
    let credentials = scenario
        .file
        .clients
        .credentials
        .as_ref()
        .and_then(|c| match (&c.api_key, &c.bearer) {
            (Some(k), _) => Some((wire::API_KEY, k.clone())),
            (None, Some(b)) => Some(("authorization", format!("Bearer {b}"))),
            _ => None,
        });
    if let Some((name, value)) = &credentials {
        if http::HeaderValue::from_str(value).is_err() {
            return Err(model::UsageError(format!(
                "clients.credentials: the {name} value is not a valid HTTP header value"
            ))
            .into());
        }
    }
    let (transport, targets) = transport(&base, scenario, opts).await?;
    let shared = Arc::new(Shared::new(RunParts {
        epoch: Instant::now() + Duration::from_millis(20),
        f,
        recorder: Recorder::for_scenario(scenario),
        clients: ClientModel::new(&clients, &scenario.services, &streams),
        transport,
        connections: opts.max_connections,
        targets,
        requests,
        credentials,
        send_priority: opts.send_priority,
        run_tag: run_tag(shard),
        timer: PreciseTimer::new().context("starting the send timer")?,
    }));
    // The in-process backend's faults count from the load's start, as in the simulator (its
    // clock would otherwise start when it did, a little before).
    if let Some((ml, _)) = &stack {
        ml.backend().start_clock_at(shared.epoch);
    }
    let schedule = Schedule::with_rate_factor(scenario, &streams, 1.0 / f64::from(shards));
    let progress = opts
        .progress
        .then(|| crate::progress::Progress::start(shared_view(&shared), scenario));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = stack.as_ref().map(|(ml, gw)| {
        tokio::spawn(sample_stack(
            shared.clone(),
            ml.backend().clone(),
            gw.gateway().clone(),
            sampling.clone(),
            sample_every(scenario.window(), f),
        ))
    });

    let closed = match &scenario.file.workload.closed {
        Some(c) => Some((
            users,
            c.think_time
                .resolve()
                .map_err(|e| anyhow::anyhow!("workload.closed.think_time: {}", e.message))?,
        )),
        None => None,
    };
    let dispatch = async {
        match closed {
            Some((users, think)) => {
                closed_loop(shared.clone(), scenario, &streams, users, think).await;
                Ok(())
            }
            // On a worker, so the intents it starts queue locally.
            None => match tokio::spawn(dispatch(shared.clone(), schedule, opts.max_outstanding)).await {
                Ok(r) => r,
                Err(e) => Err(anyhow::anyhow!("the dispatch task failed: {e}")),
            },
        }
    };
    let interrupted = tokio::select! {
        r = dispatch => {
            r?;
            false
        }
        _ = &mut stop => true,
    };
    // Drain: wait for outstanding intents, or stop. How long an intent can still be in flight
    // after arrivals end is what the scenario checks bound, or, with a timeout distribution,
    // the lifetime bound (no retry is sent past it) and the longest timeout drawn.
    let r = &scenario.file.clients.retry;
    let max_timeout = lock(&shared.clients).max_timeout();
    let lifetime = model::client::intent_lifetime_bound(&scenario.file.clients);
    let (in_flight, _) = model::scenario::in_flight_after_arrivals(&scenario.file.clients);
    let drain = shared
        .real(in_flight.max(lifetime.saturating_add(max_timeout).saturating_add(r.cap.0)))
        .saturating_add(Duration::from_secs(2));
    let mut interrupted = interrupted;
    // Stopped before the schedule ended: rates are per the time the run actually lasted.
    let stopped_at = interrupted.then(|| shared.now());
    if interrupted {
        shared.stop.store(true, Ordering::Relaxed);
    }
    // After an interrupt, in-flight attempts get a second, not their full timeouts.
    let now = Instant::now();
    let mut deadline = if interrupted {
        now + Duration::from_secs(1)
    } else {
        now.checked_add(drain)
            .unwrap_or(now + Duration::from_secs(365 * 86_400))
    };
    while shared.outstanding.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(10)) => {}
            _ = &mut stop, if !interrupted => {
                interrupted = true;
                shared.stop.store(true, Ordering::Relaxed);
                deadline = deadline.min(Instant::now() + Duration::from_secs(1));
            }
        }
    }
    shared.stop.store(true, Ordering::Relaxed);
    if let Some(s) = sampler {
        // Its last sample takes in what ended since the one before (the tick is 5 to 50 ms).
        sampling.store(false, Ordering::Relaxed);
        let _ = tokio::time::timeout(Duration::from_secs(1), s).await;
    }
    if let Some(p) = progress {
        p.finish();
    }
    // Intents still running now get no final answer: left out of the figures. Sealed under the
    // recorder's lock, which every intent settles under (`Shared::settle`): one that ends from
    // here on records nothing, so it is counted once, as still in flight, and the rest are in
    // the figures, `left_out` or the unsent. Tasks that outlive this may still hold the shared
    // state: the recorder is taken out.
    let (lost, left_out, recorder) = {
        let mut r = lock(&shared.recorder);
        shared.sealed.store(true, Ordering::Relaxed);
        (
            shared.outstanding.load(Ordering::Relaxed),
            shared.left_out.load(Ordering::Relaxed),
            std::mem::replace(&mut *r, Recorder::for_scenario(scenario)),
        )
    };
    if lost > 0 && !interrupted {
        // Not an interrupt: the wait for in-flight intents ran out (a generator that fell far
        // behind its schedule). Said as what it is; `incomplete` is for an interrupt.
        tracing::warn!(
            "{lost} intents were still in flight or waiting to retry when the end-of-run wait for them ({:.1}s real) ran out: abandoned, left out of the figures (the run was not interrupted); the generator likely fell behind its schedule (see its send lateness)",
            drain.as_secs_f64()
        );
    }
    let (gave_up, lifetime) = {
        let c = lock(&shared.clients);
        (c.gave_up_on_retry_after(), c.lifetime())
    };
    let notes = RunNotes {
        statuses: shared
            .statuses
            .iter()
            .enumerate()
            .filter_map(|(code, n)| {
                let n = n.load(Ordering::Relaxed);
                (n > 0).then(|| (u16::try_from(code).unwrap_or(u16::MAX), n))
            })
            .collect(),
        failures: lock(&shared.failures).iter().cloned().collect(),
        resent: shared.resent.load(Ordering::Relaxed),
        generator_failures: lock(&shared.generator_failures)
            .iter()
            .map(|(why, n)| match &stack {
                // One process: the in-process gateway's and mock-legacy's sockets count against
                // the same limit as the generator's.
                Some(_) => (
                    format!("{why}; the in-process gateway and mock-legacy share this process's limit"),
                    *n,
                ),
                None => (why.clone(), *n),
            })
            .collect(),
        left_out: left_out + lost as u64,
        connection_waits: shared.connection_waits.load(Ordering::Relaxed),
        connections: opts.max_connections.max(1) as u64,
        retry_after_past_lifetime: gave_up,
        intent_lifetime_s: if gave_up > 0 { lifetime.as_secs_f64() } else { 0.0 },
        overhead,
    };
    if let Some((ml, gw)) = stack {
        gw.shutdown().await;
        ml.shutdown().await;
    }
    // Arrivals it could not hold, and intents it could not send (no socket).
    let unsent = shared.unsent.load(Ordering::Relaxed) + notes.generator_failures.values().sum::<u64>();
    let generator = generator_health(
        &recorder,
        shared.late_sends.load(Ordering::Relaxed),
        unsent,
        f,
        scenario,
    );
    let strategy = if opts.target.is_some() {
        model::results::EXTERNAL_STRATEGY.to_string()
    } else {
        scenario.file.gateway.strategy.as_str().to_string()
    };
    let cut;
    let scenario = match stopped_at {
        Some(t) if t.saturating_since(Time::ZERO) < scenario.duration => {
            let mut c = scenario.clone();
            c.duration = t.saturating_since(Time::ZERO);
            cut = c;
            &cut
        }
        _ => scenario,
    };
    let mut results = recorder.finish(
        scenario,
        RunMeta {
            source: RunSource::Live,
            strategy,
            // An interrupt only: intents abandoned when the drain ran out are in `left_out`.
            incomplete: interrupted,
            stopped: None,
            generator: Some(generator),
        },
    );
    results.time_scale = f;
    // Every live run records its shard (0/1 unsharded), so merge can tell a whole set.
    results.shard = Some((shard, shards));
    results.notes = notes;
    Ok(results)
}

/// The generator's health at the end of a run: its whole-run send lateness p99 and `late_sends`
/// (over [`LAGGING_LATENESS`]), judged at time scale `f` (see [`GeneratorHealth::judge`]).
///
/// [`LAGGING_LATENESS`]: model::results::LAGGING_LATENESS
fn generator_health(recorder: &Recorder, late_sends: u64, unsent: u64, f: f64, scenario: &Scenario) -> GeneratorHealth {
    let lateness_p99_s = recorder.total_quantile(metric::SEND_LATENESS, 0.99).unwrap_or(0.0);
    GeneratorHealth::judge(lateness_p99_s, late_sends, unsent, f, scenario)
}

#[cfg(test)]
mod tests {
    /// A live run's lagging flag (the summary's WARNING) needs a lag, not one hiccup: at
    /// 10 req/s for 5 s, one send 8 ms late is the lateness p99 (it flagged the run); thirty
    /// sends 3 ms late flag it.
    #[test]
    fn one_late_send_in_a_small_run_is_not_a_lag() {
        use model::Time;
        use std::time::Duration;
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"5s\"\nrate = 10\n\
             [[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let health = |late: usize, by: Duration| {
            let mut rec = model::results::Recorder::for_scenario(&s);
            let mut n = 0;
            for i in 0..50u64 {
                let d = if (i as usize) < late {
                    by
                } else {
                    Duration::from_micros(100)
                };
                n += u64::from(d > model::results::LAGGING_LATENESS);
                rec.record(
                    Time::from_secs_f64(i as f64 / 10.0),
                    model::results::metric::SEND_LATENESS,
                    d,
                );
            }
            super::generator_health(&rec, n, 0, 1.0, &s)
        };
        let hiccup = health(1, Duration::from_millis(8));
        assert!(hiccup.lateness_p99_s > 0.007 && !hiccup.lagging, "{hiccup:?}");
        let lag = health(30, Duration::from_millis(3));
        assert!(lag.lagging && lag.late_sends == Some(30), "{lag:?}");
    }

    /// The warning's arithmetic: 0.3 ms x f on top of the mean service time, over 2% only.
    #[test]
    fn live_overhead_loss_by_time_scale() {
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
             [[backend.services]]\nname = \"slow\"\nworkers = 1\nservice_time = \"300ms\"\n\
             [[backend.services]]\nname = \"fast\"\nworkers = 1\nservice_time = \"30ms\"\n",
        )
        .expect("valid");
        assert_eq!(super::overhead_loss(&s, 1.0), None, "1% at f = 1");
        // 0.3 ms x 10 = 3 ms on top of 30 ms: 30 of every 33 ms serve, a loss of 1/11.
        let (name, loss) = super::overhead_loss(&s, 10.0).expect("9% at f = 10");
        assert_eq!(name, "fast");
        assert!((loss - 1.0 / 11.0).abs() < 1e-9, "{loss}");
        // 0.3 ms x 60 on 10 ms: 18 ms of 28 ms are overhead, 64% (it said 180%).
        let ten = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
             [[backend.services]]\nname = \"s\"\nworkers = 1\nservice_time = \"10ms\"\n",
        )
        .expect("valid");
        let (_, loss) = super::overhead_loss(&ten, 60.0).expect("a loss");
        assert!((loss - 1.8 / 2.8).abs() < 1e-9, "{loss}");
        // Alike services are named together, not one of them as if it alone were hit.
        let group = |n: u32| {
            model::scenario::parse(
                "t.toml",
                &format!(
                    "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n\
                     [[backend.services]]\nname = \"legacy\"\ncount = {n}\nworkers = 1\nservice_time = \"30ms\"\n\
                     [[backend.services]]\nname = \"slow\"\nworkers = 1\nservice_time = \"300ms\"\n"
                ),
            )
            .expect("valid")
        };
        let name = |n: u32| super::overhead_loss(&group(n), 10.0).expect("a loss").0;
        assert_eq!(name(1), "legacy-1");
        assert_eq!(name(2), "legacy-1 and legacy-2");
        assert_eq!(name(10), "legacy-1, legacy-2 and 8 more");
        let warning = model::results::Overhead {
            service: name(2),
            time_scale: 10.0,
            loss: 0.09,
        }
        .warning();
        assert!(
            warning.contains("costs services legacy-1 and legacy-2 each about 9.0%"),
            "{warning}"
        );
    }
}
