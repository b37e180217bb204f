//! sim: the gateway + legacy backend system on a virtual clock.
//!
//! A discrete-event loop around the model: the same workload schedule, client retry model,
//! gateway policies (with their timers) and backend service model the live servers run, so a
//! prediction is about the real code. Seeded and deterministic: a scenario and a seed give a
//! byte-identical results file. Fast enough for parameter sweeps (`sweep`), with replications
//! and confidence intervals (`stats`).

pub mod engine;
mod events;

pub use engine::{simulate, simulate_counted, simulate_summary};
pub mod args;
pub mod stats;
pub mod sweep;

pub use args::{RunArgs, SimCmd, SweepArgs};

use anyhow::Context as _;
use model::results::{self, Results};
use model::scenario::{self, Scenario};
use model::threshold::Metric;
use std::io::IsTerminal as _;
use std::path::Path;

pub use model::UsageError;

fn load(path: &Path, strategy: Option<model::scenario::Strategy>) -> anyhow::Result<Scenario> {
    let s = scenario::load(path)?;
    match strategy {
        None => Ok(s),
        Some(st) => Ok(s.with_strategy(st)?),
    }
}

/// `spillway sim run`; returns whether every threshold passed (in every replication).
pub fn run(a: RunArgs) -> anyhow::Result<bool> {
    let s = load(&a.scenario, a.strategy)?;
    let seed = a.seed.unwrap_or(s.seed());
    if a.replications <= 1 {
        let r = simulate(&s, Some(seed));
        print!("{}", results::summary_table(&r));
        let path = r.save(&a.out)?;
        println!("results: {}  (and results.hlog)", path.display());
        return Ok(r.thresholds.iter().all(|t| t.passed));
    }
    use rayon::prelude::*;
    let seeds: Vec<u64> = (0..u64::from(a.replications)).map(|i| seed.wrapping_add(i)).collect();
    let runs: Vec<Results> = seeds.par_iter().map(|sd| simulate(&s, Some(*sd))).collect();
    let summary = stats::summarize(&runs);
    println!(
        "{} (sim, strategy {}, seeds {}..{})",
        s.name(),
        s.file.gateway.strategy.as_str(),
        seed,
        seed + u64::from(a.replications) - 1
    );
    print!("{}", stats::render(&summary));
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    for (i, r) in runs.iter().enumerate() {
        r.save(&a.out.join(format!("seed-{}", seeds[i])))?;
    }
    let path = a.out.join("replications.json");
    std::fs::write(&path, serde_json::to_string_pretty(&summary)?)?;
    println!(
        "results: {} and {}/seed-*/results.json",
        path.display(),
        a.out.display()
    );
    Ok(runs.iter().all(|r| r.thresholds.iter().all(|t| t.passed)))
}

/// `spillway sim sweep`.
pub fn sweep(a: SweepArgs) -> anyhow::Result<()> {
    let s = load(&a.scenario, None)?;
    let axes: Vec<sweep::Axis> = a
        .vary
        .iter()
        .map(|v| sweep::parse_axis(v))
        .collect::<Result<_, _>>()
        .map_err(UsageError)?;
    let objective = sweep::parse_objective(&a.objective).map_err(|e| UsageError(format!("--objective {e}")))?;
    let slo: Vec<model::threshold::Threshold> = a
        .slo
        .iter()
        .map(|t| t.parse().map_err(|e: String| UsageError(format!("--slo `{t}`: {e}"))))
        .collect::<Result<_, _>>()?;
    // A misspelt service, or a class without priorities, would fail every point after the
    // whole grid ran.
    for t in &slo {
        if let Some(p) = s.figure_problem(&t.figure) {
            return Err(UsageError(format!("--slo `{t}`: {p}")).into());
        }
    }
    if let Some(p) = s.figure_problem(&objective) {
        return Err(UsageError(format!("--objective {p}")).into());
    }
    let total = sweep::grid(&axes).len();
    tracing::info!("sweeping {total} points on {} threads", rayon::current_num_threads());
    let bar = indicatif::ProgressBar::new(total as u64);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let tick = || bar.inc(1);
    let points = sweep::run_grid(&s, &axes, &slo, &tick).map_err(UsageError)?;
    bar.finish_and_clear();
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    std::fs::write(a.out.join("sweep.csv"), sweep::to_csv(&points, &objective))?;
    std::fs::write(a.out.join("sweep.json"), serde_json::to_string_pretty(&points)?)?;
    println!("{total} points simulated: {}/sweep.csv, sweep.json", a.out.display());
    match sweep::best(&points, &objective) {
        Some(b) => println!(
            "best under the SLO ({}) by {objective}: {}  -> {}goodput ratio {:.4}, p99 {}, amplification {:.2}, verdict {}",
            if slo.is_empty() {
                "none given".to_string()
            } else {
                a.slo.join(", ")
            },
            sweep::describe(&b.params),
            // The objective first, unless it is among the figures that follow.
            if objective.scope == model::threshold::Scope::Whole
                && matches!(objective.metric, Metric::GoodputRatio | Metric::P99 | Metric::Amplification)
            {
                String::new()
            } else {
                format!("{objective} {}, ", objective.metric.show(b.value(&objective)))
            },
            b.goodput_ratio,
            results::fmt_secs(b.p99),
            b.amplification,
            b.verdict
        ),
        None if points.iter().any(|p| p.meets_slo) => {
            println!("no point under the SLO has {objective} (a group that sent nothing, or that a --vary removed)")
        }
        None => println!("no point meets the SLO ({})", a.slo.join(", ")),
    }
    let env = sweep::safe_envelope(&points, &axes);
    if !env.is_empty() {
        println!("safe envelope (largest rate after which the system still recovers):");
        for (label, rate) in env {
            println!(
                "  {label}: {}",
                rate.map_or("none of the rates tried".to_string(), |r| format!("{r}/s"))
            );
        }
    }
    Ok(())
}
