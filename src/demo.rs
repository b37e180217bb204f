//! `spillway demo`: the death spiral on the built-in scenario, in the simulator and live, for
//! the unbounded queue and two strategies that shed; one report; under two minutes.

use crate::compare::{self, finish};
use clap::Args;
use model::scenario;
use std::path::PathBuf;

/// How much faster than real time the live runs go unless `--time-scale` says otherwise.
const DEFAULT_TIME_SCALE: f64 = 8.0;

/// The scenario the demo runs, built into the binary.
pub const DEATH_SPIRAL: &str = include_str!("../scenarios/death-spiral.toml");

/// Run the death-spiral story: unbounded FIFO vs bounded (shed) vs deadline-aware drop, in the
/// simulator and live on loopback, then write an HTML report.
#[derive(Args, Debug)]
#[command(
    after_help = "Exit codes: 0 the story held (each strategy after the first beat it on goodput and on \
recovery, in every mode); 3 it did not; 4 inconclusive (it failed only on live runs in which the load \
generator fell behind its schedule: rerun at a lower --time-scale); 2 bad input (fewer than two \
strategies, an unknown one); 1 a run failed; 130 interrupted (results so far written, marked incomplete)."
)]
pub struct DemoArgs {
    /// Directory for the results and the report.
    #[arg(short, long, value_name = "DIR", default_value = "out/demo")]
    pub out: PathBuf,
    /// Live runs compress the scenario's 200 s by this factor [default: 8].
    #[arg(long, value_name = "F", value_parser = model::scenario::parse_time_scale, allow_negative_numbers = true)]
    pub time_scale: Option<f64>,
    /// Skip the live runs (the simulator alone takes a second).
    #[arg(long)]
    pub sim_only: bool,
    /// Strategies to compare; the first is the queue the others are expected to beat on goodput
    /// and recovery.
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "LIST",
        default_value = "fifo,bounded,deadline"
    )]
    pub strategies: Vec<String>,
}

/// One line on what the scenario does, from its own numbers.
fn story(s: &model::scenario::Scenario) -> String {
    let capacity: f64 = s
        .services
        .iter()
        .map(|v| f64::from(v.workers) / v.service_time.mean().max(1e-9))
        .sum();
    let normal = s.phases.first().map_or(0.0, |p| p.rate_start);
    let burst = s
        .phases
        .iter()
        .filter(|p| p.trigger)
        .map(|p| {
            format!(
                "a {:.0} s burst at {:.0}/s",
                p.duration().as_secs_f64(),
                p.rate_start.max(p.rate_end)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let timeout = s.file.clients.timeout.resolve().map_or(0.0, |d| d.quantile(0.5));
    format!(
        "The backlog death spiral: {normal:.0} intents/s against ~{capacity:.0}/s of capacity, {burst}; clients time out \
         after {} and make up to {} attempts.",
        model::results::fmt_secs(timeout),
        s.file.clients.retry.max_attempts
    )
}

/// The runs the demo means to make (`fifo (sim)`, ..., then `fifo (live)`, ...), whether or
/// not an interruption let them run, and the story as expectations on them: each strategy
/// after the first (the queue) beats it on goodput and on recovery, in each mode. With every
/// planned run labelled, expectations on runs an interruption skipped are "not judged", not
/// bad input.
fn planned_story(strategies: &[String], sim_only: bool) -> (Vec<String>, Vec<String>) {
    let modes: &[&str] = if sim_only { &["sim"] } else { &["sim", "live"] };
    let labels = modes
        .iter()
        .flat_map(|m| strategies.iter().map(move |s| format!("{s} ({m})")))
        .collect();
    let mut expectations = Vec::new();
    if let Some(queue) = strategies.first() {
        for mode in modes {
            for s in &strategies[1..] {
                expectations.push(format!("{s} ({mode}).goodput_ratio > {queue} ({mode}).goodput_ratio"));
                expectations.push(format!("{s} ({mode}).recovery < {queue} ({mode}).recovery"));
            }
        }
    }
    (labels, expectations)
}

/// `spillway demo`.
pub async fn run(a: DemoArgs) -> anyhow::Result<loadgen::Finish> {
    model::check_out_dir(&a.out)?;
    if a.sim_only && a.time_scale.is_some() {
        return Err(
            model::UsageError("--time-scale applies to the live runs, and --sim-only skips them".into()).into(),
        );
    }
    let time_scale = a.time_scale.unwrap_or(DEFAULT_TIME_SCALE);
    let base = scenario::parse("death-spiral.toml (built in)", DEATH_SPIRAL)?;
    let configs = compare::configs(&base, &a.strategies, &[])?;
    if configs.len() < 2 {
        return Err(model::UsageError(
            "--strategies: give at least two, the queue first and then what should beat it (e.g. fifo,bounded)".into(),
        )
        .into());
    }
    let seed = base.seed();
    let started = std::time::Instant::now();
    println!("{}", story(&base));
    // After the story it belongs to; the advice on setting the bound is `compare`'s (the
    // demo's scenario is built in, and it takes no --variant).
    for note in configs.iter().filter_map(|c| c.sized_note.as_deref()) {
        println!("({note})");
    }
    println!("Simulating {} strategies...", configs.len());
    let mut entries = compare::run_sim(&configs, seed, 1);
    for e in &mut entries {
        e.label = format!("{} (sim)", e.label);
    }
    let mut interrupted = false;
    if !a.sim_only {
        println!(
            "Running them live: in-process mock-legacy + reference gateway on 127.0.0.1, {:.0} s each at {}x...",
            base.duration.as_secs_f64() / time_scale,
            time_scale
        );
        let (live, stop) = compare::run_live(&configs, seed, 1, Some(time_scale)).await?;
        interrupted = stop;
        entries.extend(live.into_iter().map(|mut e| {
            e.label = format!("{} (live)", e.label);
            e
        }));
    }
    compare::save_runs(&entries, &a.out)?;
    // The story: shedding beats the queue on goodput, and recovers where the queue does not.
    let strategies: Vec<String> = configs.iter().map(|c| c.label.clone()).collect();
    let (labels, expectations) = planned_story(&strategies, a.sim_only);
    let queue = strategies.first().cloned().unwrap_or_default();
    let expectations = compare::parse_expectations(&expectations, &labels)?;
    let (verdict, _) = compare::conclude("The backlog death spiral (demo)", &entries, &expectations, &a.out)?;
    // Said of the strategies given: the first is the queue, the rest need not all shed.
    let others: Vec<&str> = configs.iter().skip(1).map(|c| c.label.as_str()).collect();
    let story = match verdict {
        _ if interrupted => {
            "The demo was interrupted: the live runs it made are in the report, marked incomplete, and the story is not judged on them".to_string()
        }
        compare::Verdict::Held => format!(
            "The story held: {} beat {queue} on goodput and on recovery",
            others.join(", ")
        ),
        compare::Verdict::Inconclusive => {
            "The story is inconclusive this time: the load generator fell behind its schedule (see above)".to_string()
        }
        compare::Verdict::Failed => "The story did NOT hold this time (see the expectations above)".to_string(),
    };
    println!(
        "{story}. (Demo took {}.) Open the report in a browser; rerun any part with `spillway compare` or `spillway sim run`.",
        model::results::fmt_secs(started.elapsed().as_secs_f64())
    );
    Ok(finish(interrupted, verdict))
}

#[cfg(test)]
mod tests {
    /// Interrupted in its first live run, the demo has no `bounded (live)` entry: its story
    /// still names it (and reads "not judged" there) rather than failing as bad input, exit 2.
    #[test]
    fn the_story_labels_every_planned_run() {
        let strategies = vec!["fifo".to_string(), "bounded".to_string()];
        let (labels, expectations) = super::planned_story(&strategies, false);
        assert_eq!(labels, ["fifo (sim)", "bounded (sim)", "fifo (live)", "bounded (live)"]);
        assert_eq!(expectations.len(), 4);
        assert!(expectations.contains(&"bounded (live).recovery < fifo (live).recovery".to_string()));
        let parsed = crate::compare::parse_expectations(&expectations, &labels).expect("every label is planned");
        assert_eq!(parsed.len(), 4);
        let (labels, expectations) = super::planned_story(&strategies, true);
        assert_eq!(labels, ["fifo (sim)", "bounded (sim)"]);
        assert_eq!(expectations.len(), 2);
    }
}
