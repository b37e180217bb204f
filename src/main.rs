//! `spillway`: one binary composing the crates' subcommands.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

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
    /// Serve a mock legacy backend.
    MockLegacy(mock_legacy::Args),
    /// Run the reference queueing gateway.
    Gateway(reference_gateway::Args),
}

#[derive(Subcommand, Debug)]
enum ScenarioCmd {
    /// Validate a scenario and print a one-screen summary: capacity per service, offered load
    /// and utilisation per phase.
    Check {
        /// The scenario file (TOML).
        file: PathBuf,
    },
}

/// Exit codes (documented in the README).
mod exit {
    /// Bad input: a scenario or config error, unusable flags.
    pub const BAD_INPUT: u8 = 2;
    /// The command failed while running.
    pub const FAILED: u8 = 1;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match cli.command {
        Command::Scenario(ScenarioCmd::Check { file }) => match model::scenario::load(&file) {
            Ok(s) => {
                print!("{}", model::scenario::check_summary(&s));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(exit::BAD_INPUT)
            }
        },
        Command::MockLegacy(args) => runtime_then(|| mock_legacy::run(args)),
        Command::Gateway(args) => runtime_then(|| reference_gateway::run(args)),
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
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<model::scenario::ScenarioError>().is_some() {
                ExitCode::from(exit::BAD_INPUT)
            } else {
                ExitCode::from(exit::FAILED)
            }
        }
    }
}
