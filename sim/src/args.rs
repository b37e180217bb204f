//! Command-line arguments of `spillway sim`.

use std::path::PathBuf;

#[derive(clap::Subcommand, Debug, Clone)]
pub enum SimCmd {
    /// Simulate a scenario: the same results file and summary as a live run, in milliseconds.
    #[command(long_about = RUN_ABOUT)]
    Run(RunArgs),
    /// Simulate a grid of variants in parallel and find the best configuration under an SLO.
    #[command(long_about = SWEEP_ABOUT)]
    Sweep(SweepArgs),
}

/// `sim sweep --help`. Set on the subcommand: its one-line doc comment would otherwise stand
/// in for the whole of it.
const SWEEP_ABOUT: &str = "\
Simulate a grid of variants in parallel and find the best configuration under an SLO.

Every combination of the --vary axes is simulated, on as many threads as cores (RAYON_NUM_THREADS \
sets the number). Example: --vary gateway.strategy=fifo,deadline --vary gateway.concurrency=1..8 \
--vary clients.timeout=1s,2s,5s --objective goodput --slo \"p99<2s\". A range is A..B, integers, \
inclusive, or A..B:STEP, from A every STEP up to B (1..8:2 is 1, 3, 5, 7). Keys are scenario field paths \
(e.g. workload.phases[1].rate; a service entry by index or by name, backend.services[billing].workers); \
gateway.services.*.queue_capacity, clients.services.*.timeout and backend.services[*].workers set \
every service's, and a key \
naming one service wins over them; a table is TOML inline: \
clients.timeout={ dist = \"exponential\", mean = \"1s\" }. A setting a point's strategy does not \
take (a queue bound for fifo) is shown as - and that point runs once; an axis that changes nothing \
at any point (every service it reaches overrides it) is refused.

Load: axes under workload., a backend service's faults (backend.services[N].faults...: outages, \
stalls, errors, slowdown, rate_limit), and run.duration and run.window, are the load and the \
conditions under test, not settings to choose. The best configuration must meet every --slo at every \
load tried, and is ranked by its worst point over them.

Ranking: by --objective, then goodput ratio (higher is better), p99, wasted work (lower is better); \
configurations tied on all of these are named beside the best. Higher is better for goodput_ratio \
and goodput; lower for p50, p99, amplification, wasted and recovery (a recovery that never came \
ranks last); a class's or a service's figure goes by its metric. goodput is successes per second, \
which follows the offered load: with a workload rate or a phase's duration varied, every \
configuration's worst load serves about the same rate, so rank by goodput_ratio (a note says so).

Safe envelope: over the burst: the first axis giving a trigger phase (trigger = true) two or more \
rates (its rate or ramp_to, or its extra traffic's rate), else two or more durations of a trigger \
phase (how long a burst lasts), else of an outage (backend.services[N].faults.outages[J].duration: \
how long an outage lasts), whatever the order of the --vary flags; the rate of another phase (the \
load before or after the burst) is no burst. An outage does not follow its trigger phase: varying \
the phase's duration leaves the outage as long as the file says (a note says so). Only in a scenario without a trigger phase is it over \
the first axis varying any phase's rate. Per configuration (its settings), the largest value up to \
which the whole run and every class and service recover, however long that takes, at every value \
tried and at every value of the other load axes (the normal load, say), as the best configuration \
must. No SLO applies to it.

Exit codes: 0 done (with --slo: some configuration meets it); 1 the table could not be \
written; 2 bad input (scenario, axes, \
objective, SLO); 3 --slo given and no configuration meets it at every load tried; 130 interrupted by \
Ctrl-C (the points that finished are written; if none did, nothing is, and an earlier sweep's \
table in --out is removed; a second Ctrl-C stops at once, writing nothing).";

/// `sim run --help`. Set on the subcommand, as `SWEEP_ABOUT` is: a doc comment here would be
/// replaced by the variant's one line.
const RUN_ABOUT: &str = "\
Simulate a scenario: the same results file and summary as a live run, in milliseconds.

The scenario's workload, clients (timeouts, retries, backoff), gateway strategy and backend run \
on a virtual clock with the model's own code, the code the live servers run. The same scenario \
and seed give a byte-identical results.json. --out gets results.json and results.hlog, which \
`spillway report` and `spillway compare --baseline` read as they read a live run's.

With --replications R, seeds SEED to SEED+R-1 run on all cores (RAYON_NUM_THREADS sets how \
many), each into --out/seed-N, and replications.json gets each headline figure's mean and 95% \
confidence interval and the share of seeds that ended metastable.

Exit codes: 0 every threshold passed (in every replication); 1 the results could not be \
written; 2 bad input (scenario, flags, an --out that cannot be created); 3 a threshold failed; 130 replications interrupted by Ctrl-C \
(the seeds that ran are written; a single run ends at once, writing nothing).";

/// The most seeds `sim run --replications` runs (and so the most a replications.json of
/// its counts).
pub const MAX_REPLICATIONS: u32 = 10_000;

/// Simulate a scenario on a virtual clock with the model's own code (its help is `RUN_ABOUT`).
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// Directory for results.json and results.hlog.
    #[arg(long, short, value_name = "DIR", default_value = "out/sim")]
    pub out: PathBuf,
    /// Seed (overrides run.seed); replications use SEED, SEED+1, ...
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Run R seeds (1 to 10,000) and report each headline figure as mean and 95% confidence
    /// interval.
    #[arg(long, value_name = "R", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REPLICATIONS)), allow_negative_numbers = true)]
    pub replications: u32,
    /// Gateway strategy (overrides gateway.strategy).
    #[arg(long, value_name = "NAME")]
    pub strategy: Option<model::scenario::Strategy>,
    /// A scenario setting, as a sweep axis names it, with one value: KEY=VALUE (e.g.
    /// gateway.concurrency=4, backend.services[billing].workers=8, or
    /// gateway.services.*.queue_capacity=20 under a strategy with a queue bound, not fifo).
    /// Repeat for more. Applied
    /// with --strategy, as a sweep applies a point's settings; checks one point of a sweep
    /// without editing the file.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// A parameter sweep: every combination of the --vary axes, simulated on all cores (its help is
/// `SWEEP_ABOUT`).
#[derive(clap::Args, Debug, Clone)]
pub struct SweepArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// An axis: KEY=V1,V2,..., KEY=A..B (integers, inclusive) or KEY=A..B:STEP (from A, every
    /// STEP, up to B: 1..8:2 is 1, 3, 5, 7). Repeat for more axes.
    #[arg(long = "vary", value_name = "KEY=VALUES", required = true)]
    pub vary: Vec<String>,
    /// What to optimise: goodput_ratio (default), goodput (successes/s), p50, p99,
    /// amplification, wasted, recovery; or a class's or a service's figure, e.g. "interactive.p99",
    /// "service[billing].goodput_ratio", "service[billing].recovery"; or the worst service's at
    /// each point, "service[*].goodput_ratio" (the configuration best for the service that fares
    /// worst).
    #[arg(long, value_name = "METRIC", default_value = "goodput_ratio")]
    pub objective: String,
    /// A service-level objective every candidate must meet, e.g. "p99<2s", or a class's or a
    /// service's, e.g. "interactive.p99<500ms", "service[orders].p99<2s", or every service's:
    /// "service[*].recovery<10s". Repeatable.
    #[arg(long, value_name = "EXPR")]
    pub slo: Vec<String>,
    /// Seeds per point, 1 to 1,000 (the scenario's seed, +1, ...): figures are their means, and a point
    /// meets the SLO and recovers only if every seed does. One seed can call a configuration safe
    /// that fails on the next. A sweep runs at most 1,000,000 simulations (points x seeds).
    #[arg(long, value_name = "R", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000), allow_negative_numbers = true)]
    pub replications: u32,
    /// Directory for sweep.csv and sweep.json.
    #[arg(long, short, value_name = "DIR", default_value = "out/sweep")]
    pub out: PathBuf,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    #[derive(clap::Parser)]
    struct Sim {
        #[command(subcommand)]
        cmd: super::SimCmd,
    }

    /// `sim run --help` has more than its one-line summary: what replications write and the exit
    /// codes (the doc comment on `RunArgs` that said them never showed).
    #[test]
    fn run_help_has_replications_and_exit_codes() {
        let mut cmd = Sim::command();
        let help = cmd
            .find_subcommand_mut("run")
            .expect("run")
            .render_long_help()
            .to_string();
        for needed in [
            "byte-identical results.json",
            "--out/seed-N",
            "95% confidence interval",
            "RAYON_NUM_THREADS",
            "3 a threshold failed",
            "130 replications interrupted",
        ] {
            assert!(help.contains(needed), "`{needed}` missing from:\n{help}");
        }
    }

    /// `sim sweep --help` says what a sweep's findings and exit code depend on, not only its
    /// one-line summary.
    #[test]
    fn sweep_help_has_the_envelope_load_axes_objectives_threads_and_exit_codes() {
        let mut cmd = Sim::command();
        let help = cmd
            .find_subcommand_mut("sweep")
            .expect("sweep")
            .render_long_help()
            .to_string();
        for needed in [
            "Safe envelope: over the burst: the first axis giving a trigger phase (trigger = true) two or more rates",
            "at every value of the other load axes",
            "axes under workload., a backend service's faults",
            "backend.services[N].faults.outages[J].duration: how long an outage lasts",
            "ranked by its worst point",
            "Higher is better for goodput_ratio and goodput; lower for p50, p99, amplification, wasted and recovery",
            "RAYON_NUM_THREADS",
            "with a workload rate or a phase's duration varied, every configuration's worst load serves about the same rate, so rank by goodput_ratio",
            "2 bad input",
            "3 --slo given and no configuration meets it",
            "130 interrupted",
        ] {
            assert!(help.contains(needed), "`{needed}` missing from:\n{help}");
        }
    }
}
