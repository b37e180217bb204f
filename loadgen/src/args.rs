//! Command-line arguments of `spillway loadgen`.

use std::path::PathBuf;

#[derive(clap::Subcommand, Debug, Clone)]
pub enum LoadgenCmd {
    /// Run a scenario (or a one-liner) against a target, or against an in-process mock-legacy
    /// and reference gateway when no --target is given.
    // On the variant: its doc comment replaces the struct's, which `--help` never showed.
    #[command(after_help = RUN_AFTER_HELP)]
    Run(Box<RunArgs>),
    /// Add the results of shards (`run --shard I/N`) into one results file.
    Merge(MergeArgs),
}

/// What `loadgen run --help` says after the flags: the exit codes and the clients' retry
/// rules (`model::client::ClientModel::on_result`, the defaults of `clients.retry`).
const RUN_AFTER_HELP: &str = "\
Open-loop load: intents are sent at their scheduled time whatever the target does, and latency is measured from that intended time (no coordinated omission).

Retries (--retries N): an attempt that timed out, was answered 5xx or 429, or got no answer (a refused or dropped connection, a malformed answer) is retried; other statuses are final. A scenario file narrows this with clients.retry.on.

Backoff: the default, none, retries at once; --backoff fixed sleeps 100 ms between attempts, exponential 100 ms doubling up to a cap of 10 s (a scenario file sets them: clients.retry.base and cap).

Retry-After: honoured (the retry waits at least that long), but no retry is sent later than the intent's lifetime bound after it started: attempts x --timeout, plus (attempts - 1) x the cap unless --backoff none; a Retry-After that would pause past it ends the intent at once, as a failure.

Exit codes: 0 all thresholds passed; 1 the run failed; 2 bad input (scenario, flags, an unreachable target); 3 a threshold failed; 4 a threshold failed but the generator fell behind its schedule by over a tenth of the shortest median client timeout (of any service), or left arrivals unsent (inconclusive: rerun on a quieter machine or, if time-compressed, at a lower --time-scale); 130 interrupted (results written, marked incomplete). A smaller lag (send lateness p99 over 1 ms, with at least 5 sends over 1 ms) is a WARNING in the summary only.";

/// The flags of `loadgen run` (its help text is [`RUN_AFTER_HELP`] and the variant's).
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Scenario file (TOML). Without it, use --target with the one-liner flags (--phases ...).
    pub scenario: Option<PathBuf>,

    /// URL to drive. With a scenario, requests go to TARGET/{service}/{api}, and its
    /// [[backend.services]] tables need only their names (workers and service_time describe the
    /// in-process mock backend); with the one-liner, to TARGET itself. Without --target, the
    /// scenario's mock-legacy and reference gateway are started in-process on 127.0.0.1.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,

    /// Directory for results.json and results.hlog.
    #[arg(long, short, value_name = "DIR", default_value = "out/live")]
    pub out: PathBuf,

    /// Run this many times faster (durations divided, rates multiplied); results are reported
    /// in scenario time [default: the scenario's run.time_scale, else 1].
    #[arg(long, value_name = "F", value_parser = model::scenario::parse_time_scale, allow_negative_numbers = true)]
    pub time_scale: Option<f64>,

    /// Seed of every random stream (overrides run.seed) [default: the scenario's run.seed,
    /// else 1].
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub seed: Option<u64>,

    /// Stop arrivals after this long (scenario time), e.g. 30s: the phases are cut there. Longer
    /// than the phases, the run goes on with no arrivals after they end (as a file's run.duration
    /// longer than its phases does, to watch a drain), and its rates are per the whole run:
    /// warned of before the run.
    #[arg(long, value_name = "DURATION", value_parser = parse_dur, allow_hyphen_values = true)]
    pub duration: Option<model::duration::Dur>,

    /// A pass/fail check of the run, as a scenario's [[thresholds]] writes it, e.g.
    /// "goodput_ratio >= 0.99" or "p99 < 500ms". Repeatable; added to the file's own. A failed
    /// one makes the exit code 3 (so a CI job on the one-liner can fail).
    #[arg(long = "threshold", value_name = "CHECK")]
    pub thresholds: Vec<String>,

    /// Scale the phase rates so the first phase runs at R intents/s (a warm-up ramping up from 0:
    /// its ramp ends at R; a phase's `extra` traffic counts in its rate); every phase keeps its
    /// ratio to it, triggers and extra traffic too.
    #[arg(long, value_name = "R", allow_negative_numbers = true)]
    pub rate: Option<f64>,

    /// Run shard I of N (I from 0 to N-1): the scenario at 1/N of its rates, with random
    /// streams of its own; `loadgen merge` adds all N.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(u32, u32)>,

    /// Gateway strategy for the in-process stack (overrides gateway.strategy); not with --target,
    /// whose own gateway decides.
    #[arg(long, value_name = "NAME")]
    pub strategy: Option<model::scenario::Strategy>,

    /// Cap on requests in flight, and so on open connections over HTTP/1.1 (one request per
    /// connection at a time); over HTTP/2 the requests share connections as streams, so it caps
    /// streams. An attempt waiting for a free slot still counts from its intended time.
    #[arg(long, value_name = "N", default_value_t = 2048,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000), allow_negative_numbers = true)]
    pub connections: u32,

    /// Worker threads of the load generator [default: one per CPU]. With the target on the
    /// same machine, fewer leave it more CPU (as wrk's -t).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024), allow_negative_numbers = true)]
    pub threads: Option<u16>,

    /// Speak HTTP/2: h2c (prior knowledge) for http://, ALPN for https://.
    #[arg(long)]
    pub http2: bool,

    /// PEM file of CA certificates to trust for an https target (besides the public roots).
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<std::path::PathBuf>,

    /// One-liner: phases, e.g. 30s@50,10s@300!,60s@50 (`!` trigger, `a->b` ramp).
    #[arg(long, value_name = "SPEC", value_parser = parse_phases_value, allow_hyphen_values = true)]
    pub phases: Option<String>,

    /// Client timeout per attempt (default 2s). With a scenario file, overrides clients.timeout
    /// and every service's own ([clients.services.NAME] timeout): every attempt gets this one.
    #[arg(long, value_name = "DURATION", value_parser = parse_dur, allow_hyphen_values = true)]
    pub timeout: Option<model::duration::Dur>,

    /// Retries after the first attempt (default 0). With a scenario file, overrides
    /// clients.retry.max_attempts (retries + 1).
    // At most u32::MAX - 1: the attempts, retries + 1, must fit in 32 bits (clap's message
    // then gives the range that is taken).
    #[arg(long, value_name = "N", allow_negative_numbers = true,
        value_parser = clap::value_parser!(u32).range(..=i64::from(u32::MAX - 1)))]
    pub retries: Option<u32>,

    /// Backoff between attempts (default none). With a scenario file, overrides
    /// clients.retry.backoff.
    #[arg(long, value_name = "none|fixed|exponential")]
    pub backoff: Option<String>,

    /// Jitter on the backoff (default none). With a scenario file, overrides clients.retry.jitter.
    #[arg(long, value_name = "none|full|equal|decorrelated")]
    pub jitter: Option<String>,

    /// HTTP method of every request (default GET), as written: methods are case-sensitive,
    /// so `post` is refused (write POST). With a scenario file, overrides
    /// clients.request.method (a service's own `request` still wins for that service).
    #[arg(long, short = 'X', value_name = "M", value_parser = parse_method)]
    pub method: Option<String>,

    /// One-liner: the class each request carries in x-spillway-priority: interactive (the
    /// default), background, or none (no header: the target classifies requests itself, as
    /// spillway's gateway does by its [gateway.priorities] routes). A scenario file's classes
    /// are its [[workload.mix]] entries' `priority`.
    #[arg(long, value_name = "interactive|background|none")]
    pub priority: Option<PriorityFlag>,

    /// A request header, "Name: value" (repeatable), e.g. -H "content-type: application/json".
    /// With a scenario file, set over clients.request.headers, name by name. Host,
    /// Content-Length, Transfer-Encoding, Connection and the headers loadgen sends itself
    /// (x-request-id, x-spillway-timeout-ms, x-spillway-priority) are refused, and so is a
    /// name given twice (curl would send both lines; give one, a list's values
    /// comma-separated: -H "accept: a, b").
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,

    /// The body of every request, sent with its Content-Length (e.g. with --method POST). With a
    /// scenario file, overrides clients.request.body and body_file.
    #[arg(long, value_name = "STRING", conflicts_with = "body_file")]
    pub body: Option<String>,

    /// A file whose bytes are the body of every request (relative to the current directory).
    /// With a scenario file, overrides clients.request.body and body_file.
    #[arg(long, value_name = "PATH")]
    pub body_file: Option<PathBuf>,

    /// Hide the progress line (on a terminal, redrawn twice a second; otherwise, as in a CI
    /// log, logged every 10 s).
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(clap::Args, Debug, Clone)]
pub struct MergeArgs {
    /// Results files of the shards, or the directories the shards wrote (their --out).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// Directory for the merged results.json and results.hlog.
    #[arg(long, short, value_name = "DIR", default_value = "out/merged")]
    pub out: PathBuf,
}

fn parse_shard(s: &str) -> Result<(u32, u32), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("expected I/N like 0/4, got `{s}`"))?;
    let (i, n): (u32, u32) = (
        i.trim()
            .parse()
            .map_err(|_| format!("shard index `{i}` is not a number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("shard count `{n}` is not a number"))?,
    );
    if n == 0 || i >= n {
        return Err(format!("expected 0 <= I < N, got {i}/{n}"));
    }
    Ok((i, n))
}

/// A duration flag (`--timeout`, `--duration`): see [`model::duration::parse_flag_duration`].
fn parse_dur(s: &str) -> Result<model::duration::Dur, String> {
    model::duration::parse_flag_duration(s)
}

/// `--phases`: its value may start with `-` (`-1s@10`, refused by the phases' parser as a
/// negative duration; clap otherwise said "unexpected argument '-1'"), but a flag where the
/// value goes is said to be one rather than read as the phases.
fn parse_phases_value(s: &str) -> Result<String, String> {
    if s.trim_start().starts_with("--") {
        return Err(format!(
            "expected phases like 30s@50,10s@300!,60s@50, got the flag `{s}`: give this flag its value first"
        ));
    }
    Ok(s.to_string())
}

/// `--method`: an HTTP method token, checked as the scenario file checks `method`.
fn parse_method(s: &str) -> Result<String, String> {
    model::scenario::check_method(s).map(|()| s.to_string())
}

/// `-H "Name: value"`: split at the first colon, the value's surrounding spaces trimmed (as
/// curl does), checked as the scenario file checks `headers`. Whether `[clients.credentials]`
/// sends the same header is checked with the scenario.
fn parse_header(s: &str) -> Result<(String, String), String> {
    let Some((name, value)) = s.split_once(':') else {
        return Err(format!(
            "expected \"Name: value\", like \"content-type: application/json\", got `{s}`"
        ));
    };
    let (name, value) = (name.trim(), value.trim());
    model::scenario::check_header(name, value, false)?;
    Ok((name.to_string(), value.to_string()))
}

/// `--priority`: a class, or none (no `x-spillway-priority` header).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PriorityFlag {
    Interactive,
    Background,
    None,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: super::LoadgenCmd,
    }

    /// `--timeout -1s` was clap's "unexpected argument '-1' found": the duration's own parser
    /// now says what is wrong with it.
    #[test]
    fn a_negative_duration_is_said_to_be_one() {
        use clap::Parser as _;
        for flag in ["--timeout", "--duration"] {
            let e = Cli::try_parse_from(["loadgen", "run", "--target", "http://127.0.0.1:1", flag, "-1s"])
                .err()
                .expect("refused")
                .to_string();
            assert!(
                e.contains(&format!("invalid value '-1s' for '{flag} <DURATION>'"))
                    && e.contains("a duration cannot be negative"),
                "{e}"
            );
        }
        let e = Cli::try_parse_from(["loadgen", "run", "--timeout", "--retries", "2"])
            .err()
            .expect("refused")
            .to_string();
        assert!(e.contains("got the flag `--retries`"), "{e}");
        let ok = Cli::try_parse_from(["loadgen", "run", "--timeout", "250ms"]).expect("parsed");
        let super::LoadgenCmd::Run(a) = ok.cmd else {
            panic!("run")
        };
        assert_eq!(a.timeout.map(|d| d.0), Some(std::time::Duration::from_millis(250)));
    }

    /// `loadgen run --help` says the exit codes and the retry rules: they were in the struct's
    /// doc comment, which the variant's replaced, so the help never showed them.
    #[test]
    fn run_help_says_exit_codes_and_retry_rules() {
        let mut cmd = Cli::command();
        let help = cmd
            .find_subcommand_mut("run")
            .expect("a run subcommand")
            .render_long_help()
            .to_string();
        for want in [
            "Exit codes: 0 all thresholds passed",
            "130 interrupted",
            "answered 5xx or 429",
            "exponential 100 ms doubling up to a cap of 10 s",
            "a Retry-After that would pause past it ends the intent",
        ] {
            assert!(help.contains(want), "{want}: {help}");
        }
    }
}
