//! loadgen: an open-loop HTTP load generator whose clients behave like real clients under
//! stress: they give up after a timeout, retry with backoff and jitter within a budget, honour
//! Retry-After, and so can turn a burst into a retry storm.
//!
//! It drives any HTTP target (Kong, HAProxy, nginx, our reference gateway) or, with no target,
//! the scenario's own mock-legacy and gateway started in-process. The schedule of intents and
//! every retry decision come from the model (`model::workload`, `model::client`), the same code
//! the simulator runs; this crate sends the requests, keeps the clocks and records the results
//! in the shared schema.
//!
//! Modules: `driver` (the open-loop run), `send_timer` (the schedule's sub-millisecond timer),
//! `h1` (the lean HTTP/1.1 client for plain http, from reference-gateway), `http` (hyper, for https and HTTP/2),
//! `phases` (the one-liner's `--phases`), `args` (the command line).

pub mod args;
pub mod driver;
pub mod http;
pub mod phases;
mod progress;
pub mod send_timer;

pub use args::{LoadgenCmd, MergeArgs, RunArgs};
pub use driver::{run as run_live, run_quiet as run_live_quiet, LiveOptions};
/// The lean HTTP/1.1 client (it lives with the gateway, whose upstream calls use it too).
pub use reference_gateway::h1;

use model::results::{self, Results};
use model::scenario::{self, Backoff, Jitter, Scenario};

pub use model::UsageError;

macro_rules! usage {
    ($($t:tt)*) => { return Err(UsageError(format!($($t)*)).into()) };
}

/// How a command ended, for the binary's exit code.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Finish {
    Passed,
    ThresholdFailed,
    /// A threshold or expectation failed, but only where the load generator fell behind its
    /// schedule: the failure may describe the generator, not the target (exit code 4, so CI
    /// can rerun instead of reporting a regression).
    Inconclusive,
    Interrupted,
}

impl Finish {
    /// How a run whose thresholds failed ends: inconclusive (said on stdout, beside the
    /// summary's WARNING, with [`Results::generator_remedy`]) when its generator fell behind its
    /// schedule by a material part of the clients' timeout, or left arrivals unsent
    /// ([`model::results::Results::generator_in_doubt`]).
    pub fn failed(r: &Results) -> Finish {
        if r.generator_in_doubt() {
            println!(
                "INCONCLUSIVE: thresholds failed in a run in which the load generator fell behind its schedule by over a tenth of the shortest median client timeout (of any service), or left arrivals unsent (exit code 4); {}",
                r.generator_remedy()
            );
            Finish::Inconclusive
        } else {
            Finish::ThresholdFailed
        }
    }
}

/// The scenario a `run` command describes: a file with overrides, or the one-liner flags.
pub fn scenario_from_args(a: &RunArgs) -> anyhow::Result<(Scenario, bool)> {
    if let (Some(st), Some(target)) = (a.strategy, &a.target) {
        usage!(
            "--strategy {} chooses the in-process gateway's strategy; against --target {target} the target's own gateway decides (start it with `spillway gateway --strategy {}`)",
            st.as_str(),
            st.as_str()
        );
    }
    // Before the file is read (and its notes logged): the flag has no place with one.
    if let (Some(_), Some(path)) = (a.priority, &a.scenario) {
        usage!(
            "--priority is the one-liner's: {}'s classes are its [[workload.mix]] entries' `priority`",
            path.display()
        );
    }
    let (mut file, source, catch_all) = match &a.scenario {
        Some(_) if a.phases.is_some() => {
            usage!("--phases is for the one-liner without a scenario file; with a file, edit its [[workload.phases]] (or `--duration` to cut it short)")
        }
        Some(path) => {
            // Against --target the services' workers and service_time may be left out: they
            // describe only the in-process mock backend, which then never starts. Their
            // placeholders are no figures of the target's: nothing said of capacity uses them.
            let read = scenario::load_for_loadgen(path, a.target.is_some())?;
            let left_out = read.left_out();
            let s = read.scenario;
            // Said of what runs: a `--strategy` may use a table the file's own would ignore.
            // (Never with placeholders: --strategy is refused with --target above.)
            let given = s.file.gateway.queue_capacity;
            let s = match a.strategy {
                Some(st) => s.with_strategy(st)?,
                None => s,
            };
            // With --rate, that the phases offer less than one intent is said of the load the
            // rate scales them to (below), not of the file's.
            let few = a.rate.and(s.few_intents_warning());
            for w in s.warnings_with(&read.placeholders) {
                if few.as_ref() != Some(&w) {
                    tracing::warn!("{w}");
                }
            }
            if !left_out.is_empty() {
                tracing::info!(
                    "{}: left out by {}: not needed against --target, whose own services serve the requests; results.json's copy of the scenario holds placeholders there, not figures of the target",
                    path.display(),
                    left_out.join(", ")
                );
            }
            let mut file = s.file;
            // A bound to size is sized below, once the clients' flags (--timeout) apply.
            file.gateway.queue_capacity = given;
            (file, s.source, false)
        }
        None => {
            let Some(phases) = a.phases.as_deref() else {
                usage!("give a scenario file, or --target URL with --phases (e.g. --phases 30s@50,10s@300!,60s@50)")
            };
            if a.target.is_none() {
                usage!("the one-liner needs --target URL (a scenario file is needed to start an in-process stack)");
            }
            let phases = match phases::parse_phases(phases) {
                Ok(p) => p,
                Err(e) => usage!("--phases {e}"),
            };
            // `--priority background`: every intent of that class (a mix of one entry).
            let mix = if a.priority == Some(args::PriorityFlag::Background) {
                "[[workload.mix]]\nservice = \"target\"\npriority = \"background\"\n"
            } else {
                ""
            };
            let text = format!(
                "[run]\nname = \"one-liner\"\n{}\n{mix}[[backend.services]]\nname = \"target\"\nworkers = 1\nservice_time = \"1ms\"\n",
                phases::phases_toml(&phases)
            );
            let s = scenario::parse_flags(&text)?;
            (s.file, s.source, true)
        }
    };
    if let Some(seed) = a.seed {
        file.run.seed = seed;
    }
    if let Some(d) = a.duration {
        if d.0.is_zero() {
            usage!("--duration: expected a duration > 0, got {d}");
        }
        file.run.duration = Some(d);
    }
    for check in &a.thresholds {
        // Checked here, so a bad one names the flag, not a place in a file it is not in.
        if let Err(e) = check.parse::<model::threshold::Threshold>() {
            usage!("--threshold `{check}`: {e}");
        }
        file.thresholds.push(model::scenario::ThresholdConfig {
            check: check.clone(),
            name: None,
        });
    }
    if let Some(s) = a.strategy {
        file.gateway.set_strategy(s);
    }
    // The client flags override a file's [clients]: said, since results.json records the
    // overridden values and a reader of the file would expect its own.
    if let Some(path) = &a.scenario {
        let given: Vec<&str> = [
            (
                a.timeout.is_some(),
                "--timeout (clients.timeout, and every [clients.services.NAME] timeout)",
            ),
            (a.retries.is_some(), "--retries (clients.retry.max_attempts)"),
            (a.backoff.is_some(), "--backoff (clients.retry.backoff)"),
            (a.jitter.is_some(), "--jitter (clients.retry.jitter)"),
            (a.method.is_some(), "--method (clients.request.method)"),
            (!a.headers.is_empty(), "--header (clients.request.headers)"),
            (
                a.body.is_some() || a.body_file.is_some(),
                "--body/--body-file (clients.request.body)",
            ),
        ]
        .into_iter()
        .filter_map(|(set, what)| set.then_some(what))
        .collect();
        if !given.is_empty() {
            tracing::info!("{} set over {}'s [clients]", given.join(", "), path.display());
        }
    }
    apply_request_flags(a, &mut file)?;
    let c = &mut file.clients;
    let jitter_without_backoff =
        |r: &scenario::RetryConfig| r.backoff == Backoff::None && r.jitter != Jitter::None && r.max_attempts > 1;
    let warned_before = a.scenario.is_some() && jitter_without_backoff(&c.retry);
    if let Some(t) = a.timeout {
        // Every service's, as the gateway's --concurrency sets every service's limit.
        c.timeout = model::dist::DistSpec::Constant(t);
        for o in c.services.values_mut() {
            o.timeout = None;
        }
        c.services
            .retain(|_, o| *o != scenario::ServiceClientsConfig::default());
    }
    if let Some(n) = a.retries {
        // Attempts are retries + 1: `n + 1` wrapped to 0 at u32::MAX.
        c.retry.max_attempts = match n.checked_add(1) {
            Some(attempts) => attempts,
            None => usage!(
                "--retries {n}: at most {} (the attempts, retries + 1, must fit in 32 bits)",
                u32::MAX - 1
            ),
        };
    }
    if let Some(b) = &a.backoff {
        c.retry.backoff = match b.as_str() {
            "none" => Backoff::None,
            "fixed" => Backoff::Fixed,
            "exponential" => Backoff::Exponential,
            other => usage!("--backoff: expected none, fixed or exponential, got `{other}`"),
        };
    }
    if let Some(j) = &a.jitter {
        c.retry.jitter = match j.as_str() {
            "none" => Jitter::None,
            "full" => Jitter::Full,
            "equal" => Jitter::Equal,
            "decorrelated" => Jitter::Decorrelated,
            other => usage!("--jitter: expected none, full, equal or decorrelated, got `{other}`"),
        };
    }
    // The file's own combination was warned of with its other warnings; one the flags made is
    // said here, once.
    if !warned_before && jitter_without_backoff(&c.retry) {
        tracing::warn!(
            "jitter \"{}\" (--jitter, clients.retry.jitter) spreads the backoff between attempts, and with no backoff (--backoff none, the default) retries go at once, unjittered: add --backoff fixed or exponential",
            c.retry.jitter.as_str()
        );
    }
    if let Some(r) = a.rate {
        if !(r.is_finite() && r > 0.0) {
            usage!("--rate: expected intents/s > 0, got {r}");
        }
        // The first rate the workload reaches: a warm-up ramping up from 0 scales by its end.
        // Its extra traffic included: the phase offers its rate and the extra together.
        let Some(first) = file
            .workload
            .phases
            .iter()
            .flat_map(|p| {
                let extra: f64 = p.extra.iter().map(|e| e.rate).sum();
                [Some(p.rate + extra), p.ramp_to.map(|r| r + extra)]
            })
            .flatten()
            .find(|x| *x > 0.0)
        else {
            usage!("--rate {r}: the workload has no phase rate to scale (every phase's rate is 0, or it is a closed loop: set its users instead)");
        };
        let k = r / first;
        for p in &mut file.workload.phases {
            p.rate *= k;
            p.ramp_to = p.ramp_to.map(|x| x * k);
            // A phase's extra traffic is part of its load: a batch job keeps its size to the rest.
            for e in &mut p.extra {
                e.rate *= k;
            }
        }
    }
    let s = scenario::resolve_sizing_bounds(&source, file).map_err(|e| {
        if catch_all {
            scenario::for_flags(e)
        } else {
            match a.rate {
                Some(r) => for_rate(e, r),
                None => e,
            }
        }
    })?;
    // A file's own recovery threshold that its run ends too soon to judge is refused when the
    // file is read; one given here is refused the same way, before any load is sent (it would
    // fail the run, exit 3, with "not judged"). By the same rule: a --duration that cuts the
    // run short is a quick look on purpose (warned of below), for the flags' thresholds as for
    // the file's.
    let judged_by_the_file = a.duration.is_none();
    for check in a.thresholds.iter().filter(|_| judged_by_the_file) {
        if let Some(problem) = check
            .parse::<model::threshold::Threshold>()
            .ok()
            .and_then(|t| s.figure_problem(&t.figure))
        {
            // The one-liner has no flag for the window: said where the advice names it.
            let window = if catch_all && problem.contains("run.window") {
                " (the one-liner keeps the default run.window: change the --phases, or write a scenario file)"
            } else {
                ""
            };
            usage!("--threshold `{check}`: {problem}{window}");
        }
    }
    // Against a --target loadgen sees no backend work: a bound on it can only fail, as "not
    // measured", after the whole load. One given here is refused now; a file's own (the file
    // may serve runs without --target too) is warned of.
    if a.target.is_some() {
        let unmeasured = |t: &model::threshold::Threshold| {
            matches!(
                t.figure.metric,
                model::threshold::Metric::Wasted | model::threshold::Metric::WastedRatio
            )
        };
        for check in &a.thresholds {
            if check
                .parse::<model::threshold::Threshold>()
                .is_ok_and(|t| unmeasured(&t))
            {
                usage!("--threshold `{check}`: against a --target loadgen sees no backend work, so wasted work is not measured (the threshold could only fail, as \"not measured\"); drop it, or run without --target");
            }
        }
        for (i, t) in s.thresholds.iter().enumerate().filter(|(_, t)| unmeasured(t)) {
            tracing::warn!(
                "thresholds[{i}] `{}`: against a --target loadgen sees no backend work, so wasted work is not measured: this threshold will fail as \"not measured\"",
                t.text
            );
        }
    }
    // The one-liner's are said below, of --phases.
    if let (Some(r), false) = (a.rate, catch_all) {
        if let Some(w) = s.few_intents_warning() {
            let rest = w.strip_prefix("workload.phases: ").unwrap_or(&w);
            tracing::warn!("--rate {} scales workload.phases: {rest}", rate_text(r));
        }
    }
    // The one-liner's phases get the file's warnings on phases (a run that offers less than
    // one intent, a trigger with no baseline before it), said of --phases; the rest concern
    // the placeholder backend, which a --target run never starts.
    if catch_all {
        for w in s.warnings_with(&[scenario::ServiceKeys::BOTH]) {
            if let Some(rest) = w.strip_prefix("workload.phases:") {
                // It has no flag for the window: say so where the advice names it.
                let window = if rest.contains("run.window") {
                    " (the one-liner keeps the default run.window: change the --phases, or write a scenario file)"
                } else {
                    ""
                };
                tracing::warn!("--phases:{rest}{window}");
            }
        }
    }
    // A cut that ends before or inside a trigger is allowed (a quick look), but its run gets no
    // verdict: said before the run, not only in its summary.
    if a.duration.is_some() {
        let end = model::Time::ZERO + s.duration;
        if let Some(p) = s.phases.iter().find(|p| p.trigger && p.end > end) {
            let at = |t: model::Time| results::fmt_secs(t.saturating_since(model::Time::ZERO).as_secs_f64());
            tracing::warn!(
                "--duration {} ends {} the trigger phase `{}` ({}-{}): the run will read \"not judged\" (a verdict needs the trigger and time after it)",
                results::fmt_secs(s.duration.as_secs_f64()),
                if p.start >= end { "before" } else { "during" },
                p.name,
                at(p.start),
                at(p.end)
            );
        }
    }
    if let Some(w) = duration_past_the_phases(a, &s) {
        tracing::warn!("{w}");
    }
    // Only an in-process gateway has a queue (a --target's is its own business).
    if a.target.is_none() {
        if let Some(note) = scenario::sized_bound_note(&s) {
            tracing::info!("{note}");
        }
    }
    Ok((s, catch_all))
}

/// `r` as a message quotes it: `1e300`, not its 301 digits.
fn rate_text(r: f64) -> String {
    if (1e-4..1e9).contains(&r) {
        r.to_string()
    } else {
        format!("{r:e}")
    }
}

/// A scenario file's errors of its phases once `--rate r` scaled them: said of the flag (they
/// were none of the file's, which resolved before).
fn for_rate(e: scenario::ScenarioError, r: f64) -> scenario::ScenarioError {
    match e {
        scenario::ScenarioError::Invalid(mut d) => {
            for d in d.iter_mut().filter(|d| d.path.starts_with("workload.phases")) {
                (d.line, d.column) = (0, 0);
                d.path = format!("--rate {} (it scales {})", rate_text(r), d.path);
            }
            scenario::ScenarioError::Invalid(d)
        }
        other => other,
    }
}

/// A `--duration` past the phases' end: the run goes on with no arrivals, over which every rate
/// is then taken. Allowed (a file's run.duration may do the same, to watch a drain), but said
/// before the run, since the flag reads as a cut (its help says so too).
fn duration_past_the_phases(a: &RunArgs, s: &Scenario) -> Option<String> {
    let d = a.duration.filter(|_| s.file.workload.closed.is_none())?;
    let load_end = s
        .phases
        .iter()
        .map(|p| p.end.saturating_since(model::Time::ZERO))
        .max()
        .unwrap_or_default();
    let f = model::duration::format_duration;
    (d.0 > load_end).then(|| {
        format!(
            "--duration {} is longer than the phases, whose arrivals end at {}: the run goes on {} with no arrivals, and its rates (offered, goodput) are per the whole {}; to cut the phases short, give a --duration under {}",
            f(d.0),
            f(load_end),
            f(d.0 - load_end),
            f(d.0),
            f(load_end)
        )
    })
}

/// `--ca-cert` where no https target will use it: said, rather than read as trusted.
fn unused_ca_cert(a: &RunArgs) -> Option<String> {
    a.ca_cert.as_ref()?;
    match a.target.as_deref() {
        Some(t) if t.starts_with("https://") => None,
        Some(t) => Some(format!(
            "--ca-cert is unused: it trusts a CA for an https:// target's certificate, and --target {t} is plain http"
        )),
        None => Some(
            "--ca-cert is unused: it trusts a CA for an https:// target's certificate, and without --target the in-process stack speaks plain http".to_string(),
        ),
    }
}

/// Why `-H` names one header twice (names are case-insensitive), if it does: the last was
/// kept silently. curl sends both lines, but a request here carries one value per name (as
/// `clients.request.headers` does), so a second is refused rather than dropped: a list-valued
/// header takes its values comma-separated in one `-H`, which HTTP reads as the same.
fn duplicate_header(headers: &[(String, String)]) -> Option<String> {
    const SHOWN: usize = 64;
    let shown = |v: &str| match v.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{}...", &v[..i]),
        None => v.to_string(),
    };
    headers.iter().enumerate().find_map(|(i, (name, value))| {
        let (_, (first_name, first)) = headers[..i]
            .iter()
            .enumerate()
            .find(|(_, (n, _))| n.eq_ignore_ascii_case(name))?;
        Some(format!(
            "--header: `{}` is given twice (`{first_name}: {}`, then `{name}: {}`); a request carries one value per name: give one -H, with a list-valued header's values comma-separated (`-H \"{name}: {}, {}\"`, which HTTP reads as the two lines)",
            shown(name),
            shown(first),
            shown(value),
            shown(first),
            shown(value)
        ))
    })
}

/// `--method`, `--header`, `--body` and `--body-file` over the file's clients-wide
/// `[clients.request]` (a service's own `request` still wins for its service, as it does over
/// the file's clients-wide table).
fn apply_request_flags(a: &RunArgs, file: &mut model::scenario::ScenarioFile) -> anyhow::Result<()> {
    let r = &mut file.clients.request;
    if let Some(m) = &a.method {
        r.method = Some(m.clone());
    }
    if let Some(problem) = duplicate_header(&a.headers) {
        return Err(UsageError(problem).into());
    }
    for (name, value) in &a.headers {
        // Names are case-insensitive: the flag's replaces the file's of any case.
        r.headers.retain(|n, _| !n.eq_ignore_ascii_case(name));
        r.headers.insert(name.clone(), value.clone());
    }
    if let Some(b) = &a.body {
        (r.body, r.body_file, r.body_file_bytes) = (Some(b.clone()), None, None);
    }
    if let Some(path) = &a.body_file {
        let bytes = model::files::read_at_most(path, model::scenario::MAX_BODY_BYTES, "a request body")
            .map_err(|e| UsageError(format!("--body-file {}: {e}", path.display())))?;
        // Kept as read: the scenario's own `body_file` is relative to the scenario, this one to
        // the current directory, so the path is only echoed.
        r.body = None;
        r.body_file = Some(path.display().to_string());
        r.body_file_bytes = Some(bytes.into());
    }
    Ok(())
}

/// `spillway loadgen run` (boxed: see [`mock_legacy::serve::BoxedFuture`]).
pub fn run(a: RunArgs) -> mock_legacy::serve::BoxedFuture<'static, anyhow::Result<Finish>> {
    Box::pin(run_command(a))
}

async fn run_command(a: RunArgs) -> anyhow::Result<Finish> {
    // The scenario first: a bad file leaves no empty output directory behind.
    let (s, catch_all) = scenario_from_args(&a)?;
    if let Some(t) = &a.target {
        driver::check_target_url(t)?;
    }
    model::check_out_dir(&a.out)?;
    if let Some(p) = &a.scenario {
        model::check_input_not_output(p, "scenario", &a.out, Results::is_saved)?;
    }
    if let Some(p) = &a.body_file {
        model::check_input_not_output(p, "--body-file", &a.out, Results::is_saved)?;
    }
    let f = a.time_scale.unwrap_or(s.file.run.time_scale);
    if let Some(w) = unused_ca_cert(&a) {
        tracing::warn!("{w}");
    }
    // Before the run: past the open-files limit, connections fail as "too many open files"
    // and their arrivals go unsent, which read as a generator short of CPU.
    let connections = driver::connections_within_fd_limit(a.connections, a.target.is_none(), a.http2)?;
    let opts = LiveOptions {
        target: a.target.clone(),
        catch_all,
        time_scale: f,
        send_priority: a.priority != Some(args::PriorityFlag::None),
        // The file's own time scale, unasked for on the command line: a warning about it names
        // the file's setting, not a flag the user did not pass.
        time_scale_origin: match (&a.scenario, a.time_scale) {
            (Some(p), None) => Some(format!("run.time_scale = {f} in {}", p.display())),
            _ => None,
        },
        shard: a.shard.unwrap_or((0, 1)),
        max_connections: connections as usize,
        http2: a.http2,
        ca_pem: match &a.ca_cert {
            Some(p) => Some(
                model::files::read_at_most(p, model::files::MAX_PEM_BYTES, "a PEM certificate file")
                    .map_err(|e| UsageError(format!("--ca-cert {}: {e}", p.display())))?,
            ),
            None => None,
        },
        progress: !a.no_progress,
        ..LiveOptions::default()
    };
    if let (Some((i, n @ 2..)), None) = (a.shard, &a.target) {
        tracing::warn!(
            "--shard {i}/{n} without --target: this shard's own in-process stack serves 1/{n} of the load with the scenario's whole backend, so its figures are not the scenario's; shards are for several generators driving one shared --target"
        );
    }
    let what = a
        .target
        .clone()
        .unwrap_or_else(|| "an in-process mock-legacy + reference gateway".into());
    // Said by the driver once the target is checked: before its "cannot reach", it read as if
    // the run had started.
    let opts = LiveOptions {
        announce: Some(format!(
            "running {} against {what} for {} (real time {:.1}s)",
            s.name(),
            results::fmt_secs(s.duration.as_secs_f64()),
            s.duration.as_secs_f64() / f
        )),
        ..opts
    };
    // The summary ends with the run's notes: answers by status, causes, resends.
    let r = driver::run_quiet(&s, &opts, mock_legacy::serve::termination_signal()).await?;
    print!("{}", results::summary_table(&r));
    let path = r.save(&a.out)?;
    println!("results: {}  (and results.hlog)", path.display());
    Ok(if r.incomplete {
        Finish::Interrupted
    } else if r.thresholds.iter().any(|t| !t.passed) {
        Finish::failed(&r)
    } else {
        Finish::Passed
    })
}

/// A shard's results file: `path`, or the `results.json` in a shard's directory (what
/// `loadgen run --out DIR` wrote). A directory without one is an error naming it ("Is a
/// directory" said only that it could not be read).
fn shard_file(path: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let file = path.join("results.json");
    if file.is_file() {
        return Ok(file);
    }
    Err(UsageError(format!(
        "{} is a directory without a results.json: give each shard's results.json, or the directory a shard wrote (its --out)",
        path.display()
    ))
    .into())
}

/// `spillway loadgen merge`.
pub fn merge(a: MergeArgs) -> anyhow::Result<Finish> {
    // A shard's directory stands for its results.json, as in `report` and `compare`.
    let files = a
        .files
        .iter()
        .map(|f| shard_file(f))
        .collect::<anyhow::Result<Vec<_>>>()?;
    // A shard's own results.json given with its directory as --out would be replaced by the
    // merge, and the shard lost.
    for f in &files {
        model::check_input_not_output(f, "results file", &a.out, Results::is_saved)?;
    }
    // Before the merge and its summary, as every command checks its --out (exit 2): found only
    // when saving, it came after a summary of results that were then not written.
    model::check_out_dir(&a.out)?;
    let mut parts = Vec::new();
    for f in &files {
        parts.push((f.display().to_string(), Results::load(f)?));
    }
    // As each such shard warned when it ran: added up, they read as one run of the scenario.
    let in_process: Vec<String> = parts
        .iter()
        .filter(|(_, r)| r.shard.is_some() && !r.summary.external_target)
        .map(|(name, _)| name.clone())
        .collect();
    let r = results::merge(parts)?;
    if !in_process.is_empty() {
        tracing::warn!(
            "{} ran without --target: each such shard served its part of the load with its own in-process copy of the scenario's whole backend, so the merged figures describe more backends than the scenario's one; shards of one load go against one shared --target",
            in_process.join(", ")
        );
    }
    print!("{}", results::summary_table(&r));
    let path = r.save(&a.out)?;
    let n = files.len();
    println!("merged {n} shard{}: {}", if n == 1 { "" } else { "s" }, path.display());
    Ok(if r.thresholds.iter().any(|t| !t.passed) {
        Finish::failed(&r)
    } else {
        Finish::Passed
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        run: RunArgs,
    }

    fn one_liner(extra: &[&str]) -> RunArgs {
        let args = ["loadgen", "--target", "http://127.0.0.1:1", "--phases", "10s@5"];
        Cli::parse_from(args.iter().chain(extra)).run
    }

    fn with_file(toml: &str, extra: &[&str]) -> anyhow::Result<Scenario> {
        let path = std::env::temp_dir().join(format!("spillway-rate-{}-{}.toml", std::process::id(), toml.len()));
        std::fs::write(&path, toml)?;
        let args = ["loadgen".to_string(), path.display().to_string()];
        let a = Cli::parse_from(args.iter().map(String::as_str).chain(extra.iter().copied())).run;
        let r = scenario_from_args(&a).map(|(s, _)| s);
        let _ = std::fs::remove_file(&path);
        r
    }

    const SERVICE: &str = "[[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = \"10ms\"\n";

    /// `--timeout` sets every service's timeout, over a file's `[clients.services.NAME]` ones
    /// too, as the gateway's `--concurrency` sets every service's limit.
    #[test]
    fn the_timeout_flag_sets_every_services_timeout() {
        let file = format!(
            "[[workload.phases]]\nduration = \"2s\"\nrate = 10\n[clients.services.s]\ntimeout = \"30s\"\n{SERVICE}"
        );
        let secs = |s: &Scenario| {
            let t = s.file.clients.timeout_for("s", "s");
            t.resolve().map(|d| d.mean()).unwrap_or(f64::NAN)
        };
        assert_eq!(secs(&with_file(&file, &[]).unwrap()), 30.0);
        assert_eq!(secs(&with_file(&file, &["--timeout", "500ms"]).unwrap()), 0.5);
    }

    /// `--rate` on a warm-up ramping up from 0 was silently ignored (the factor fell back to 1):
    /// it now scales to the ramp's end, and a workload with no rate to scale is refused.
    #[test]
    fn rate_scales_a_warm_up_from_zero_by_its_ramp_end() {
        let ramp = format!(
            "[[workload.phases]]\nduration = \"2s\"\nrate = 0\nramp_to = 100\n[[workload.phases]]\nduration = \"2s\"\nrate = 100\n[[workload.phases]]\nduration = \"1s\"\nrate = 300\n{SERVICE}"
        );
        let s = with_file(&ramp, &["--rate", "10"]).unwrap();
        let p = &s.file.workload.phases;
        assert_eq!((p[0].rate, p[0].ramp_to), (0.0, Some(10.0)));
        assert_eq!((p[1].rate, p[2].rate), (10.0, 30.0));

        // A phase's extra traffic counts in its rate and scales with it: 100 + 50 becomes 10,
        // in the same proportions; a phase of extra traffic alone scales too.
        let extra = format!(
            "[[workload.phases]]\nduration = \"2s\"\nrate = 100\nextra = [{{ service = \"s\", rate = 50 }}]\n{SERVICE}"
        );
        let s = with_file(&extra, &["--rate", "10"]).unwrap();
        let p = &s.phases[0];
        assert!(
            (p.rate_start - 10.0).abs() < 1e-9 && (p.extra_rate() - 10.0 / 3.0).abs() < 1e-9,
            "{p:?}"
        );
        let only = format!(
            "[[workload.phases]]\nduration = \"2s\"\nrate = 0\nextra = [{{ service = \"s\", rate = 20 }}]\n{SERVICE}"
        );
        let s = with_file(&only, &["--rate", "40"]).unwrap();
        assert_eq!(s.phases[0].extra_rate(), 40.0);

        let zero = format!("[[workload.phases]]\nduration = \"2s\"\nrate = 0\n{SERVICE}");
        let e = with_file(&zero, &["--rate", "10"]).unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some(), "{e:#}");
        assert!(e.to_string().contains("no phase rate to scale"), "{e}");
    }

    /// `-H "x-a: 1" -H "X-A: 2"` silently kept the last: refused (a usage error), naming the
    /// flag, both values and the one -H to give instead; different names stand.
    #[test]
    fn a_header_name_given_twice_is_refused() {
        let e = scenario_from_args(&one_liner(&[
            "-H",
            "accept: text/plain",
            "-H",
            "Accept: application/json",
        ]))
        .unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some(), "{e:#}");
        let e = e.to_string();
        assert!(
            e.starts_with("--header: `Accept` is given twice (`accept: text/plain`, then `Accept: application/json`)")
                && e.contains("-H \"Accept: text/plain, application/json\""),
            "{e}"
        );
        // A long value is not repeated whole.
        let long = format!("x-a: {}", "v".repeat(10_000));
        let e = scenario_from_args(&one_liner(&["-H", &long, "-H", "x-a: w"]))
            .unwrap_err()
            .to_string();
        assert!(e.len() < 1000, "{}", e.len());
        let s = scenario_from_args(&one_liner(&["-H", "x-a: 1", "-H", "x-b: 2"]));
        assert!(s.is_ok(), "{:#}", s.err().unwrap());
    }

    /// An error in the one-liner's flags named a line and column of the TOML built from them.
    #[test]
    fn one_liner_errors_name_no_line_of_the_text_built_from_the_flags() {
        let a = Cli::parse_from(["loadgen", "--target", "http://127.0.0.1:1", "--phases", "10s@1e12"]).run;
        let e = scenario_from_args(&a).unwrap_err().to_string();
        assert!(e.starts_with("<command line>: workload.phases: "), "{e}");
        // Advice names what the command line can do: no window holds a million retries, so
        // the error is at the retries, which --retries sets.
        let e = scenario_from_args(&one_liner(&["--retries", "1000000"]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("clients.retry.max_attempts") && e.ends_with("(give fewer --retries)"),
            "{e}"
        );
        // A recovery bound without a trigger: the one-liner marks one in --phases, with `!`.
        let e = scenario_from_args(&one_liner(&["--threshold", "recovery < 1s"]))
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("(end the burst or outage phase of --phases with `!`: `30s@20,10s@60!,60s@20`)"),
            "{e}"
        );
        assert!(!e.contains("trigger = true"), "{e}");
    }

    /// A `--threshold` on recovery that the run ends too soon to judge is refused before any
    /// load is sent (exit 2), as the same check in a file's `[[thresholds]]` is: run, it could
    /// only fail (exit 3) with "not judged". A run long enough after its trigger takes it, and
    /// so does one cut short by --duration, as with the file's thresholds.
    #[test]
    fn a_recovery_threshold_the_run_cannot_judge_is_refused_before_the_run() {
        let run = |phases: &str, extra: &[&str]| {
            let args = ["loadgen", "--target", "http://127.0.0.1:1", "--phases", phases];
            let a = Cli::parse_from(args.iter().chain(extra)).run;
            scenario_from_args(&a).map(|(s, _)| s)
        };
        let err = run("10s@20,1s@50!", &["--threshold", "recovery < 5s"]).unwrap_err();
        // A usage error: exit 2.
        assert!(err.downcast_ref::<UsageError>().is_some(), "{err}");
        let e = err.to_string();
        assert!(
            e.starts_with("--threshold `recovery < 5s`: `recovery` could never be judged: the run ends 0s after its last trigger phase ends")
                && e.ends_with("(the one-liner keeps the default run.window: change the --phases, or write a scenario file)"),
            "{e}"
        );
        let s = run("10s@20,1s@50!,20s@20", &["--threshold", "recovery < 5s"]).expect("judged");
        assert_eq!(s.thresholds.len(), 1);
        // --duration cutting the run short is a quick look on purpose, warned of: taken, as a
        // file's own recovery threshold is (the run then reads "not judged").
        let s = run(
            "10s@20,1s@50!,20s@20",
            &["--threshold", "recovery < 5s", "--duration", "12s"],
        )
        .expect("a quick look");
        assert_eq!(s.thresholds.len(), 1);
    }

    /// The request flags override the file's clients-wide `[clients.request]`: the method,
    /// a header of the same name in any case (the others kept), the body whatever its form;
    /// a service's own `request` still wins for its service.
    #[test]
    fn request_flags_override_the_files_clients_wide_request() {
        let file = format!(
            "[[workload.phases]]\nduration = \"2s\"\nrate = 5\n[clients.request]\nmethod = \"PUT\"\nheaders = {{ X-Tenant = \"file\", x-keep = \"k\" }}\nbody = \"file\"\n{SERVICE}\
             [[backend.services]]\nname = \"own\"\nworkers = 1\nservice_time = \"10ms\"\nrequest = {{ method = \"DELETE\" }}\n"
        );
        let s = with_file(&file, &["-X", "POST", "-H", "x-tenant: flag", "--body", "flag"]).unwrap();
        let r = s.request(0).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.headers,
            vec![("x-keep".into(), "k".into()), ("x-tenant".into(), "flag".into())]
        );
        assert_eq!(&r.body[..], b"flag");
        let own = s.request(1).unwrap();
        assert_eq!((own.method.as_str(), &own.body[..]), ("DELETE", &b"flag"[..]));

        // A --body-file that cannot be read names the flag and the file.
        let e = with_file(&file, &["--body-file", "/nonexistent/spillway-body"]).unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some(), "{e:#}");
        assert!(
            e.to_string().starts_with("--body-file /nonexistent/spillway-body: "),
            "{e}"
        );
        // A flag's header that [clients.credentials] also sends is refused with the scenario.
        let creds = file.replace(
            "[clients.request]",
            "[clients.credentials]\nbearer = \"t\"\n[clients.request]",
        );
        let e = with_file(&creds, &["-H", "Authorization: Bearer other"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("clients.request.headers.Authorization: header `Authorization` cannot be set: [clients.credentials] sends the key"), "{e}");
    }

    /// A file's services need only their names against --target (workers and service_time
    /// describe the in-process mock backend, which then never starts); without --target the
    /// file is refused, saying which key is missing where, and why.
    #[test]
    fn a_file_for_a_target_needs_only_the_services_names() {
        let file = "[[workload.phases]]\nduration = \"2s\"\nrate = 5\n[[backend.services]]\nname = \"orders\"\n";
        let path = std::env::temp_dir().join(format!("spillway-target-{}.toml", std::process::id()));
        std::fs::write(&path, file).unwrap();
        let args = |target: bool| {
            let mut args = vec!["loadgen".to_string(), path.display().to_string()];
            if target {
                args.extend(["--target".into(), "http://127.0.0.1:1".into()]);
            }
            Cli::parse_from(args).run
        };
        let read = scenario_from_args(&args(true)).map(|(s, _)| s);
        let refused = scenario_from_args(&args(false)).map(|(s, _)| s);
        let _ = std::fs::remove_file(&path);
        let s = read.unwrap();
        assert_eq!(s.services[0].name, "orders");
        let e = refused.unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "{}:4:1: backend.services[0]: missing `workers` and `service_time`: they are needed because no --target was given",
                path.display()
            )),
            "{e}"
        );
    }

    /// Arrivals left unsent for want of sockets (`ulimit -n 200` against `--connections 2048`)
    /// were advised "rerun on a quieter machine": the advice now follows the cause.
    #[test]
    fn the_remedy_for_a_generator_in_doubt_follows_its_cause() {
        let (s, _) = scenario_from_args(&one_liner(&[])).unwrap();
        let mut r = model::results::Recorder::for_scenario(&s).finish(&s, model::results::RunMeta::sim("fifo"));
        r.generator = Some(model::results::GeneratorHealth {
            lateness_p99_s: 0.5,
            lagging: true,
            late_sends: Some(100),
            ..Default::default()
        });
        assert_eq!(r.generator_remedy(), "rerun on a quieter machine", "a lag");
        r.time_scale = 4.0;
        assert_eq!(
            r.generator_remedy(),
            "rerun on a quieter machine or at a lower --time-scale"
        );
        let fds = "the generator ran out of file descriptors (too many open files, limit 200): raise the hard limit (`ulimit -Hn`; spillway raises its soft limit to it at start) or lower --connections";
        r.generator.as_mut().unwrap().unsent = 236;
        r.notes.generator_failures.insert(fds.into(), 236);
        let w = r.generator_remedy();
        assert!(
            w.starts_with("236 of the 236 arrivals left unsent had no socket, which a quieter machine does not change: the generator ran out of file descriptors"),
            "{w}"
        );
        // The summary's own WARNING gives it (it advised a quieter machine, and a second
        // WARNING line followed with this).
        let summary = model::results::summary_table(&r);
        let warning = summary.lines().find(|l| l.contains("WARNING")).expect("a WARNING line");
        assert!(
            warning.ends_with(&w) && !warning.contains("rerun on a quieter"),
            "{summary}"
        );
        // Unsent because the intents waiting for a busy connection filled what it holds.
        r.notes.generator_failures.clear();
        (r.notes.connection_waits, r.notes.connections) = (5000, 160);
        let w = r.generator_remedy();
        assert!(
            w.contains("every one of the 160 connections (--connections) was busy")
                && w.contains("raise --connections"),
            "{w}"
        );
    }

    /// `--ca-cert FILE` with an http:// target (or none) was silently accepted; a `--duration`
    /// past the phases silently ran on with no arrivals. Both are said before the run.
    #[test]
    fn an_unused_ca_cert_and_a_duration_past_the_phases_are_said() {
        let a = one_liner(&["--ca-cert", "ca.pem"]);
        let w = unused_ca_cert(&a).expect("said");
        assert!(w.ends_with("and --target http://127.0.0.1:1 is plain http"), "{w}");
        assert_eq!(unused_ca_cert(&one_liner(&[])), None);
        let https = Cli::parse_from([
            "loadgen",
            "--target",
            "https://127.0.0.1:1",
            "--phases",
            "10s@5",
            "--ca-cert",
            "ca.pem",
        ])
        .run;
        assert_eq!(unused_ca_cert(&https), None);
        let a = one_liner(&["--duration", "25s"]);
        let (s, _) = scenario_from_args(&a).unwrap();
        let w = duration_past_the_phases(&a, &s).expect("said");
        assert!(
            w.starts_with("--duration 25s is longer than the phases, whose arrivals end at 10s: the run goes on 15s with no arrivals"),
            "{w}"
        );
        for within in ["10s", "4s"] {
            let a = one_liner(&["--duration", within]);
            let (s, _) = scenario_from_args(&a).unwrap();
            assert_eq!(duration_past_the_phases(&a, &s), None, "{within}");
        }
    }

    /// The "running ... against ..." line came before the check of the target, which then
    /// failed with "cannot reach": it read as if a run had started. It is logged once the
    /// target is checked, so an unreachable one logs no "running".
    #[test]
    fn running_is_said_after_the_target_is_checked() {
        use std::sync::{Arc, Mutex};
        /// Keeps every event's message.
        struct Messages(Arc<Mutex<Vec<String>>>);
        struct Message<'a>(&'a mut String);
        impl tracing::field::Visit for Message<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    *self.0 = format!("{value:?}");
                }
            }
        }
        impl tracing::Subscriber for Messages {
            fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
                true
            }
            fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
                tracing::span::Id::from_u64(1)
            }
            fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
            fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
            fn event(&self, e: &tracing::Event<'_>) {
                let mut m = String::new();
                e.record(&mut Message(&mut m));
                self.0.lock().unwrap_or_else(|p| p.into_inner()).push(m);
            }
            fn enter(&self, _: &tracing::span::Id) {}
            fn exit(&self, _: &tracing::span::Id) {}
        }
        // A port nothing listens on: bound, then closed.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let out = std::env::temp_dir().join(format!("spillway-announce-{}", std::process::id()));
        let a = Cli::parse_from([
            "loadgen".to_string(),
            "--target".into(),
            format!("http://127.0.0.1:{port}/x"),
            "--phases".into(),
            "1s@5".into(),
            "--no-progress".into(),
            "--out".into(),
            out.display().to_string(),
        ])
        .run;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let r = tracing::subscriber::with_default(Messages(seen.clone()), || {
            rt.block_on(async { tokio::time::timeout(std::time::Duration::from_secs(30), run(a)).await })
        });
        let _ = std::fs::remove_dir_all(&out);
        let e = r.expect("ended in time").expect_err("unreachable").to_string();
        assert!(e.contains("cannot reach the target"), "{e}");
        let seen = seen.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert!(!seen.iter().any(|m| m.starts_with("running ")), "{seen:?}");
    }

    /// `--retries 4294967295` wrapped `n + 1` to 0 and was reported as a bad
    /// `clients.retry.max_attempts`, a key the user never wrote.
    #[test]
    fn retries_past_u32_are_refused_naming_the_flag() {
        let (s, _) = scenario_from_args(&one_liner(&["--retries", "2"])).unwrap();
        assert_eq!(s.file.clients.retry.max_attempts, 3);
        // Refused as the flag is parsed, with the range it takes (it advertised
        // 0..=4294967295, then refused the top of it).
        let args = [
            "loadgen",
            "--target",
            "http://127.0.0.1:1",
            "--phases",
            "10s@5",
            "--retries",
        ];
        let e = Cli::try_parse_from(args.iter().chain(&["4294967295"]))
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains("4294967295 is not in 0..=4294967294"), "{e}");
        assert!(Cli::try_parse_from(args.iter().chain(&["4294967294"])).is_ok());
        // Built in code past the parser: still refused, naming the flag.
        let mut a = one_liner(&[]);
        a.retries = Some(u32::MAX);
        let e = scenario_from_args(&a).unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some(), "{e:#}");
        assert!(e.to_string().starts_with("--retries 4294967295:"), "{e}");
    }

    /// Two shards of a one-liner run, each changed by `change(i, results)`, saved in a folder of
    /// their own and merged by `loadgen merge`: the merge's error, or None when it merged.
    fn merge_shards(tag: &str, change: impl Fn(u32, &mut Results)) -> Option<String> {
        let args = ["loadgen", "--target", "http://127.0.0.1:1", "--phases", "5s@4,3s@10!"];
        let (s, _) = scenario_from_args(&Cli::parse_from(args).run).unwrap();
        let dir = std::env::temp_dir().join(format!("spillway-merge-pace-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut files = Vec::new();
        for i in 0..2 {
            let meta = model::results::RunMeta {
                source: results::RunSource::Live,
                ..model::results::RunMeta::sim(s.file.gateway.strategy.as_str())
            };
            let mut r = model::results::Recorder::for_scenario(&s).finish(&s, meta);
            r.shard = Some((i, 2));
            change(i, &mut r);
            let out = dir.join(format!("shard-{i}"));
            r.save(&out).unwrap();
            files.push(out);
        }
        let merged = merge(MergeArgs {
            files,
            out: dir.join("merged"),
        });
        let _ = std::fs::remove_dir_all(&dir);
        merged.err().map(|e| {
            // Bad input (exit 2), as the model's own same-run refusals are.
            assert!(e.downcast_ref::<results::MergeError>().is_some(), "{e:#}");
            e.to_string().replace(&dir.display().to_string(), "")
        })
    }

    /// Shards at different --time-scale values, or with different phase tables, were merged
    /// silently under the first file's: each is refused naming both files and the field.
    #[test]
    fn shards_of_another_pace_or_phase_table_are_not_merged() {
        assert_eq!(merge_shards("same", |_, _| {}), None, "shards of one run merge");
        let e = merge_shards("scale", |i, r| r.time_scale = if i == 1 { 4.0 } else { 2.0 }).expect("refused");
        assert!(
            e.starts_with("/shard-1/results.json: not a shard of the same run as /shard-0/results.json: time_scale (--time-scale) is 4 here and 2 there"),
            "{e}"
        );
        let refused = |tag: &str, change: fn(&mut Results), says: &str| {
            let e = merge_shards(tag, |i, r| {
                if i == 1 {
                    change(r)
                }
            })
            .expect("refused");
            assert!(
                e.starts_with(&format!(
                    "/shard-1/results.json: not a shard of the same run as /shard-0/results.json: {says}"
                )),
                "{e}"
            );
        };
        refused(
            "trigger",
            |r| r.phases[1].trigger = !r.phases[1].trigger,
            "phases[1].trigger is ",
        );
        refused(
            "end",
            |r| r.phases[1].end_s = 7.0,
            "phases[1].end_s is 7 here and 8 there",
        );
        refused(
            "name",
            |r| r.phases[1].name = "spike".into(),
            "phases[1].name is \"spike\" here",
        );
        refused(
            "count",
            |r| drop(r.phases.pop()),
            "phases is 1 phases here and 2 phases there",
        );
    }
}
