//! `spillway`: one binary composing the crates' subcommands.

mod compare;
mod demo;
mod report_cmd;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

/// Measure the backlog death spiral before production: queueing vs shedding in front of slow
/// legacy services, with clients that time out and retry.
#[derive(Parser, Debug)]
#[command(name = "spillway", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Work with scenario files.
    #[command(subcommand)]
    Scenario(ScenarioCmd),
    // These two take their help, the one-line summary and the long description, from their
    // Args: a doc comment here would replace both with one line.
    // `mock` as the gateway has `reference-gateway`: the short name works too.
    #[command(visible_alias = "mock")]
    MockLegacy(mock_legacy::Args),
    // The crate's name (and the README's) works too.
    #[command(visible_alias = "reference-gateway")]
    Gateway(reference_gateway::Args),
    /// Open-loop load with client timeouts, retries and retry storms.
    #[command(subcommand)]
    Loadgen(loadgen::LoadgenCmd),
    /// The same system on a virtual clock: runs, replications and parameter sweeps.
    #[command(subcommand)]
    Sim(sim::SimCmd),
    /// Charts, index.html, summary.md and junit.xml from results files (sim or live) and sweeps.
    Report(report_cmd::ReportArgs),
    /// Run a scenario under several strategies on identical traffic and check expectations
    /// across them; or compare a run against a baseline.
    Compare(compare::CompareArgs),
    /// The death spiral in two minutes: queue vs shed, simulated and live, with a report.
    Demo(demo::DemoArgs),
}

impl Command {
    /// Whether the command serves or sends over the network (servers, live load, live compares).
    fn uses_sockets(&self) -> bool {
        match self {
            Command::Scenario(_) | Command::Sim(_) | Command::Report(_) => false,
            Command::Loadgen(loadgen::LoadgenCmd::Merge(_)) => false,
            Command::Compare(a) => a.baseline.is_none() && matches!(a.mode, compare::Mode::Live),
            Command::Demo(a) => !a.sim_only,
            Command::MockLegacy(_) | Command::Gateway(_) | Command::Loadgen(_) => true,
        }
    }
}

#[derive(Subcommand, Debug)]
enum ScenarioCmd {
    /// Validate a scenario and print a one-screen summary: capacity per service, offered load
    /// and utilisation per phase.
    ///
    /// A file is checked for what reads it: `sim run`, `loadgen run` and `compare` (the default)
    /// need a [workload] and each service's workers and service_time; `--for gateway` checks a
    /// gateway's own file (`gateway --config`: no [workload] nor service_time needed); `--for
    /// target` a file for `loadgen run --target URL` (services need only their names).
    ///
    /// Exit codes: 0 valid (notes and warnings, if any, are printed with the summary); 2 an
    /// error, named by file:line:column and field path.
    Check {
        /// The scenario file (TOML).
        file: PathBuf,
        /// What the file is for: `run` (sim run, loadgen run, compare, demo), `gateway`
        /// (gateway --config) or `target` (loadgen run --target).
        #[arg(long = "for", value_enum, default_value_t = CheckFor::Run)]
        purpose: CheckFor,
    },
}

/// What `scenario check` checks a file for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum CheckFor {
    /// A whole scenario: sim run, loadgen run, compare.
    Run,
    /// A gateway's own file: gateway --config.
    Gateway,
    /// Load against your own service: loadgen run --target.
    Target,
}

/// `scenario check`: the file read as `purpose` reads it, and its summary.
fn check_scenario(file: &std::path::Path, purpose: CheckFor) -> Result<String, model::scenario::ScenarioError> {
    use model::scenario as sc;
    Ok(match purpose {
        CheckFor::Run => sc::check_summary(&sc::load(file)?),
        CheckFor::Gateway => sc::gateway_file_summary(&sc::check_for_gateway(file)?),
        CheckFor::Target => sc::target_file_summary(&sc::load_for_loadgen(file, true)?),
    })
}

/// Exit codes (documented in the README).
mod exit {
    /// Bad input: a scenario or config error, unusable flags.
    pub const BAD_INPUT: u8 = 2;
    /// The command failed while running.
    pub const FAILED: u8 = 1;
    /// A threshold (or expectation) failed.
    pub const THRESHOLD: u8 = 3;
    /// A threshold or expectation failed, but only on runs where the load generator fell
    /// behind its schedule: rerun on a quieter machine or, if time-compressed, at a lower --time-scale.
    pub const INCONCLUSIVE: u8 = 4;
    /// Interrupted by Ctrl-C / SIGTERM; results written, marked incomplete.
    pub const INTERRUPTED: u8 = 130;
}

/// Logging without `RUST_LOG`. The h2 library warns once per connection a client breaks the
/// protocol on (a burst of resets, the "rapid reset" attack: it then sends GOAWAY): one client
/// reconnecting wrote 30,000 such lines in 8 s to a server's stderr, where each is about that
/// client's behaviour, not the server's. Its errors still show.
const DEFAULT_LOG: &str = "info,h2=error";

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Die quietly on a closed stdout (`spillway sim run ... | head`), as command-line tools do,
    // instead of panicking on the failed write; but only in commands without sockets: there a
    // peer that closes its connection early would kill the whole process with SIGPIPE.
    #[cfg(unix)]
    if !cli.command.uses_sockets() {
        // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    } else {
        quiet_on_closed_stdout();
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| DEFAULT_LOG.into()))
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // Servers and the generator hold a socket per connection; 1024 is a common soft limit.
    if cli.command.uses_sockets() {
        loadgen::driver::raise_fd_limit();
    }
    match cli.command {
        Command::Scenario(ScenarioCmd::Check { file, purpose }) => match check_scenario(&file, purpose) {
            Ok(summary) => {
                print!("{summary}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(exit::BAD_INPUT)
            }
        },
        Command::MockLegacy(args) => runtime_then(|| mock_legacy::run(args)),
        Command::Gateway(args) => runtime_then(|| reference_gateway::run(args)),
        Command::Loadgen(loadgen::LoadgenCmd::Run(args)) => {
            let threads = args.threads.map(usize::from);
            runtime_finish_with(threads, || loadgen::run(*args))
        }
        Command::Loadgen(loadgen::LoadgenCmd::Merge(args)) => finish_code(loadgen::merge(args)),
        Command::Sim(sim::SimCmd::Run(args)) => {
            // A single run is short, or says how far it is: Ctrl-C ends it the default way.
            let stop = if args.replications > 1 {
                stop_on_interrupt()
            } else {
                &NEVER
            };
            finish_code(sim::run(args, stop).map(ended))
        }
        Command::Sim(sim::SimCmd::Sweep(args)) => finish_code(sim::sweep(args, stop_on_interrupt()).map(ended)),
        Command::Report(args) => finish_code(report_cmd::run(args).map(|()| loadgen::Finish::Passed)),
        Command::Compare(args) => runtime_finish(|| compare::run(args)),
        Command::Demo(args) => runtime_finish(|| demo::run(args)),
    }
}

/// In commands that keep SIGPIPE ignored, a write to a closed stdout (`| head`) panics inside
/// `println!`: end as SIGPIPE would (exit 141, nothing on stderr) instead of with a backtrace.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.starts_with("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

static NEVER: AtomicBool = AtomicBool::new(false);

/// A flag set on the first Ctrl-C or SIGTERM, for commands that then finish the simulations
/// under way and write what ran (sweeps, replications); a second one ends the process at once.
fn stop_on_interrupt() -> &'static AtomicBool {
    static STOP: AtomicBool = AtomicBool::new(false);
    let listener = std::thread::Builder::new().name("signals".into()).spawn(|| {
        let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                tracing::warn!("cannot listen for Ctrl-C ({e}): it will end the run without writing results");
                return;
            }
        };
        rt.block_on(async {
            let mut signals = mock_legacy::serve::TerminationSignals::new();
            signals.recv().await;
            STOP.store(true, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(
                "interrupted: finishing the simulations under way, then writing what ran (interrupt again to stop at once, writing nothing)"
            );
            signals.recv().await;
            std::process::exit(i32::from(exit::INTERRUPTED));
        });
    });
    if let Err(e) = listener {
        tracing::warn!("cannot listen for Ctrl-C ({e}): it will end the run without writing results");
    }
    &STOP
}

fn ended(e: sim::Ended) -> loadgen::Finish {
    match e {
        sim::Ended { interrupted: true, .. } => loadgen::Finish::Interrupted,
        sim::Ended { passed: ok, .. } => passed(ok),
    }
}

fn passed(ok: bool) -> loadgen::Finish {
    if ok {
        loadgen::Finish::Passed
    } else {
        loadgen::Finish::ThresholdFailed
    }
}

fn error_code(e: &anyhow::Error) -> ExitCode {
    eprintln!("error: {e:#}");
    let bad_input = e.chain().any(|c| {
        c.downcast_ref::<model::scenario::ScenarioError>().is_some()
            || c.downcast_ref::<loadgen::driver::TargetError>().is_some()
            || c.downcast_ref::<model::UsageError>().is_some()
            || c.downcast_ref::<model::results::ResultsError>().is_some()
            || c.downcast_ref::<model::results::MergeError>().is_some()
    });
    ExitCode::from(if bad_input { exit::BAD_INPUT } else { exit::FAILED })
}

fn finish_code(r: anyhow::Result<loadgen::Finish>) -> ExitCode {
    match r {
        Ok(loadgen::Finish::Passed) => ExitCode::SUCCESS,
        Ok(loadgen::Finish::ThresholdFailed) => ExitCode::from(exit::THRESHOLD),
        Ok(loadgen::Finish::Inconclusive) => ExitCode::from(exit::INCONCLUSIVE),
        Ok(loadgen::Finish::Interrupted) => ExitCode::from(exit::INTERRUPTED),
        Err(e) => error_code(&e),
    }
}

fn runtime_finish<F, Fut>(f: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<loadgen::Finish>>,
{
    runtime_finish_with(None, f)
}

/// [`runtime_finish`] with `threads` worker threads (default: one per CPU).
fn runtime_finish_with<F, Fut>(threads: Option<usize>, f: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<loadgen::Finish>>,
{
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = threads {
        b.worker_threads(n);
    }
    match b.enable_all().build() {
        Ok(rt) => finish_code(rt.block_on(f())),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}

/// Runs an async command on a multi-threaded runtime; scenario errors exit with BAD_INPUT.
fn runtime_then<F, Fut>(f: F) -> ExitCode
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    match rt.block_on(f()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => error_code(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::{Cli, Command, DEFAULT_LOG};
    use clap::Parser as _;

    /// `mock` is `mock-legacy`, as `gateway` is `reference-gateway`.
    #[test]
    fn mock_is_an_alias_of_mock_legacy() {
        for name in ["mock", "mock-legacy"] {
            let cli = Cli::try_parse_from(["spillway", name, "--workers", "3"]).expect("parses");
            match cli.command {
                Command::MockLegacy(a) => assert_eq!(a.workers, Some(3), "{name}"),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    /// The default filter parses (a bad directive would make `try_new` fail and the fallback
    /// drop every log), keeps info for the tool and quiets the h2 library's per-connection
    /// warnings.
    #[test]
    fn the_default_log_filter_keeps_info_and_quiets_h2_warnings() {
        let f = tracing_subscriber::EnvFilter::try_new(DEFAULT_LOG).expect("the default filter parses");
        let text = f.to_string();
        assert!(text.contains("h2=error") && text.contains("info"), "{text}");
    }
}
