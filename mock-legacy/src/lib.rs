//! mock-legacy: an HTTP server that behaves like the legacy estate spillway's users front with
//! a gateway: a few workers per service, slow service times drawn from a distribution, an
//! overload behaviour (backlog, reject or thrash) and faults (errors, throttling, stalls,
//! outages).
//!
//! All behaviour comes from `model::backend::ServiceModel`, the same code the simulator runs;
//! this crate is the tokio/hyper driver around it: it maps HTTP requests to model calls, runs
//! service times on a sub-millisecond timer, and exports the model's counters on /metrics.
//! `serve` holds the hardened accept loop that spillway's other servers reuse.

pub mod args;
mod framing;
mod handler;
pub mod idle;
mod metrics;
pub mod probe;
pub mod serve;
pub mod state;
#[doc(hidden)]
pub mod testing;
pub mod timer;

pub(crate) use serve::listen_addr;

pub use args::Args;

use anyhow::Context as _;
use model::scenario::{self, Scenario};
use serve::{RunningServer, ServerLimits};
use state::Backend;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

/// A running mock-legacy.
pub struct MockLegacy {
    server: RunningServer,
    backend: Arc<Backend>,
}

impl MockLegacy {
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.server.addr)
    }

    /// Says (on `/healthz`) that its scenario runs `factor` times faster than written.
    pub fn set_time_scale(&self, factor: f64) {
        self.backend.set_time_scale(factor);
    }

    pub fn backend(&self) -> &Arc<Backend> {
        &self.backend
    }

    /// Stops accepting; answers what waits in a backlog 503 at once, lets the requests on a
    /// worker finish (up to the drain timeout) and closes the other connections at once.
    pub async fn shutdown(self) {
        self.backend.close();
        self.server.shutdown().await;
    }
}

/// Starts serving `scenario`'s backend on `listen`. `catch_all`: every path goes to the first service.
pub async fn start(scenario: &Scenario, listen: SocketAddr, catch_all: bool) -> anyhow::Result<MockLegacy> {
    start_with_limits(scenario, listen, catch_all, ServerLimits::default()).await
}

/// [`start`] with other limits on what clients may send (the header read timeout also bounds
/// how long a request body may take to arrive).
pub async fn start_with_limits(
    scenario: &Scenario,
    listen: SocketAddr,
    catch_all: bool,
    limits: ServerLimits,
) -> anyhow::Result<MockLegacy> {
    start_now(scenario, listen, catch_all, limits)
}

/// [`start_with_limits`]'s body: not async, so that the hyper server it instantiates is compiled
/// here once (see [`serve::BoxedFuture`]).
#[inline(never)]
fn start_now(
    scenario: &Scenario,
    listen: SocketAddr,
    catch_all: bool,
    limits: ServerLimits,
) -> anyhow::Result<MockLegacy> {
    let backend = Backend::new(scenario, catch_all).context("starting the service timer")?;
    let listener = serve::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    let body = handler::BodyLimits {
        max_bytes: limits.max_body_bytes,
        read_timeout: limits.header_read_timeout,
    };
    let b = backend.clone();
    let malformed = backend.bad_requests.clone();
    let server = serve::spawn_counting(listener, limits, malformed, move |req, _peer| {
        handler::handle(b.clone(), req, body)
    })?;
    Ok(MockLegacy { server, backend })
}

/// The built-in backend of one-liner mode: one service that serves every path.
pub fn one_liner_scenario(args: &Args) -> anyhow::Result<Scenario> {
    let service_time = args.service_time.clone().unwrap_or_else(|| "\"40ms\"".into());
    if let (Some(o @ (args::OverloadFlag::Reject | args::OverloadFlag::Thrash)), Some(_)) =
        (args.overload, args.backlog)
    {
        let o = if o == args::OverloadFlag::Reject {
            "reject"
        } else {
            "thrash"
        };
        return Err(model::UsageError(format!(
            "--backlog applies to --overload queue only: --overload {o} keeps no backlog"
        ))
        .into());
    }
    let overload = match args.overload {
        Some(args::OverloadFlag::Reject) => "\"reject\"".to_string(),
        Some(args::OverloadFlag::Thrash) => "\"thrash\"".to_string(),
        _ => format!(
            "{{ mode = \"queue\", backlog = {} }}",
            args.backlog.unwrap_or(model::scenario::DEFAULT_BACKLOG)
        ),
    };
    let text = format!(
        "[run]\nname = \"mock-legacy\"\nseed = {seed}\n[[workload.phases]]\nduration = \"1s\"\nrate = 0\n\
         [[backend.services]]\nname = \"default\"\nworkers = {workers}\nservice_time = {service_time}\noverload = {overload}\n\
         faults = {{ error_ratio = {err} }}\n",
        seed = args.seed.unwrap_or(1),
        workers = args.workers.unwrap_or(2),
        err = args.error_ratio.unwrap_or(0.0),
    );
    Ok(scenario::parse_flags(&text)?)
}

/// The scenario `args` serve, whether every path goes to its one service (the one-liner), and
/// what is worth saying of the file before serving it: the notes `spillway scenario check`
/// prints and `sim run` logs ([`Scenario::warnings`]; the one-liner's own scenario has none).
fn scenario_of(args: &Args) -> anyhow::Result<(Scenario, bool, Vec<String>)> {
    Ok(match &args.scenario {
        Some(path) => {
            let s = scenario::load(path).map_err(for_the_mock)?;
            let warnings = s.warnings();
            (s, false, warnings)
        }
        None => (one_liner_scenario(args)?, true, Vec::new()),
    })
}

/// What mock-legacy says of a file without `[workload]`, in place of the scenario reader's hint
/// (`scenario check --for gateway`, which checks a file for the gateway, not for the mock).
pub const NO_WORKLOAD: &str = "no [workload]: mock-legacy serves the [backend] of a scenario, and a scenario needs [[workload.phases]] or [workload.closed] too; the mock does not use it, so one phase will do (`[[workload.phases]]` with `duration = \"1s\"` and `rate = 0`), or serve one service without a file (`--workers`, `--service-time`, `--overload`)";

/// `e` with [`NO_WORKLOAD`] for the reader's message on a file without `[workload]`.
fn for_the_mock(e: scenario::ScenarioError) -> scenario::ScenarioError {
    match e {
        scenario::ScenarioError::Invalid(mut diagnostics) => {
            for d in &mut diagnostics {
                if d.message.starts_with("no [workload]:") {
                    d.message = NO_WORKLOAD.to_string();
                }
            }
            scenario::ScenarioError::Invalid(diagnostics)
        }
        other => other,
    }
}

/// `spillway mock-legacy`: serve until Ctrl-C or SIGTERM (boxed: see [`serve::BoxedFuture`]).
pub fn run(args: Args) -> serve::BoxedFuture<'static, anyhow::Result<()>> {
    Box::pin(serve_until_signalled(args))
}

async fn serve_until_signalled(args: Args) -> anyhow::Result<()> {
    let (mut s, catch_all, warnings) = scenario_of(&args)?;
    for w in warnings {
        tracing::warn!("{w}");
    }
    if let Some(seed) = args.seed {
        s.file.run.seed = seed;
    }
    let factor = args.time_scale.unwrap_or(s.file.run.time_scale);
    let s = s.time_scaled(factor)?;
    let mut signals = serve::TerminationSignals::new();
    let server = start(&s, args.listen, catch_all).await?;
    server.set_time_scale(factor);
    let url = server.url();
    println!("mock-legacy listening on {url}");
    let _ = std::io::stdout().flush();
    if catch_all {
        let svc = &s.services[0];
        // `s` is time-scaled: its service times are real ones, F times shorter than given.
        let real_ms = svc.mean_service_time() * 1e3;
        let mean = if factor == 1.0 {
            format!("{real_ms:.1} ms")
        } else {
            format!("{:.1} ms ({real_ms:.1} ms real at {factor}x)", real_ms * factor)
        };
        tracing::info!(
            "one service, {} worker(s), mean service time {mean}: every path is served",
            svc.workers
        );
        eprintln!("try: curl -i {url}/any/path   (metrics: {url}/metrics)");
    } else {
        let first = &s.services[0];
        tracing::info!("{} service(s) from {}", s.services.len(), s.source);
        eprintln!(
            "try: curl -i {url}/{}/{}   (metrics: {url}/metrics)",
            first.name, first.apis[0]
        );
    }
    if factor != 1.0 {
        tracing::info!(
            "time scale {factor}x: answers' service_ms and /metrics are in real time, {factor} times shorter than scenario time"
        );
    }
    signals.recv().await;
    tracing::info!(
        "shutting down: finishing the requests on a worker, answering the backlog's 503 (Ctrl-C again to stop at once)"
    );
    serve::drain_unless_signalled_again(server.shutdown(), &mut signals).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn one_liner(flags: &[&str]) -> anyhow::Result<Scenario> {
        let argv = std::iter::once("mock-legacy").chain(flags.iter().copied());
        one_liner_scenario(&<Cli as clap::Parser>::parse_from(argv).args)
    }

    /// A backlog for an overload mode that keeps none was ignored silently.
    #[test]
    fn a_backlog_needs_the_queue_overload() {
        for mode in ["reject", "thrash"] {
            let err = one_liner(&["--overload", mode, "--backlog", "5"]).unwrap_err();
            assert!(
                err.to_string().contains("--backlog applies to --overload queue only"),
                "{err}"
            );
        }
        let s = one_liner(&["--overload", "queue", "--backlog", "5"]).expect("a queue takes a backlog");
        assert_eq!(s.services.len(), 1);
        assert!(one_liner(&["--backlog", "5"]).is_ok(), "queue is the default");
    }

    /// Started with --scenario it said nothing of what `scenario check` notes and `sim run`
    /// warns of, e.g. a Retry-After on a "hang" outage, which answers nothing.
    #[test]
    fn a_scenario_file_is_warned_of_as_sim_run_warns() {
        let path = std::env::temp_dir().join(format!("mock-legacy-notes-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "[[workload.phases]]\nduration = \"5s\"\nrate = 1\n[[backend.services]]\nname = \"svc\"\n\
             workers = 1\nservice_time = \"1ms\"\nfaults = { outages = [{ at = \"1s\", duration = \"1s\", \
             kind = \"hang\", retry_after = \"1s\" }] }\n",
        )
        .expect("a temporary file");
        let argv = ["mock-legacy", "--scenario", path.to_str().expect("a UTF-8 path")];
        let got = scenario_of(&<Cli as clap::Parser>::parse_from(argv).args);
        let _ = std::fs::remove_file(&path);
        let (s, catch_all, warnings) = got.expect("a valid scenario");
        assert!(!catch_all);
        assert_eq!(warnings, s.warnings(), "the notes of `scenario check`, all of them");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("retry_after: a \"hang\" outage answers nothing")),
            "{warnings:?}"
        );
        let (_, _, none) = scenario_of(&<Cli as clap::Parser>::parse_from(["mock-legacy"]).args).expect("one-liner");
        assert!(none.is_empty(), "{none:?}");
    }

    /// A file without [workload] is refused with what the mock needs, not the scenario
    /// reader's hint to check it `--for gateway` (a check for the gateway, which the mock's file
    /// would then pass and still be refused by the mock).
    #[test]
    fn a_file_without_workload_is_refused_with_the_mocks_hint() {
        let path = std::env::temp_dir().join(format!("mock-legacy-no-workload-{}.toml", std::process::id()));
        std::fs::write(
            &path,
            "[[backend.services]]\nname = \"svc\"\nworkers = 1\nservice_time = \"1ms\"\n",
        )
        .expect("a temporary file");
        let argv = ["mock-legacy", "--scenario", path.to_str().expect("a UTF-8 path")];
        let got = scenario_of(&<Cli as clap::Parser>::parse_from(argv).args);
        let _ = std::fs::remove_file(&path);
        let err = match got {
            Ok(_) => panic!("a file without [workload] was accepted"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(NO_WORKLOAD), "{err}");
        assert!(!err.contains("--for gateway"), "{err}");
        assert!(
            err.contains(path.to_str().unwrap_or_default()),
            "still names the file: {err}"
        );
    }
}
