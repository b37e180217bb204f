//! sim: the gateway + legacy backend system on a virtual clock.
//!
//! A discrete-event loop around the model: the same workload schedule, client retry model,
//! gateway policies (with their timers) and backend service model the live servers run, so a
//! prediction is about the real code. Seeded and deterministic: a scenario and a seed give a
//! byte-identical results file. Fast enough for parameter sweeps (`sweep`), with replications
//! and confidence intervals (`stats`).

pub mod engine;
mod events;

pub use engine::{simulate, simulate_counted, simulate_summary, simulate_with_progress};
pub mod args;
pub mod stats;
pub mod sweep;

pub use args::{RunArgs, SimCmd, SweepArgs};

use anyhow::Context as _;
use model::results::{self, Results};
use model::scenario::{self, Scenario};
use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

pub use model::UsageError;

fn load(path: &Path, strategy: Option<model::scenario::Strategy>) -> anyhow::Result<Scenario> {
    let s = scenario::load(path)?;
    // Said of what runs: a `--strategy` may use a table the file's own strategy would ignore.
    let s = match strategy {
        None => s,
        Some(st) => {
            let switched = s.with_strategy(st)?;
            if let Some(note) = scenario::sized_bound_note(&switched) {
                tracing::info!("{note}");
            }
            switched
        }
    };
    for w in s.warnings() {
        tracing::warn!("{w}");
    }
    Ok(s)
}

/// `s` under `strategy` with `--set KEY=VALUE` settings applied, as a sweep applies its axes
/// (and refused, as a sweep refuses a setting its strategy does not take).
fn with_settings(s: Scenario, strategy: Option<model::scenario::Strategy>, set: &[String]) -> anyhow::Result<Scenario> {
    let mut assignments: Vec<(String, serde_json::Value)> = strategy
        .map(|st| ("gateway.strategy".to_string(), serde_json::Value::from(st.as_str())))
        .into_iter()
        .collect();
    for spec in set {
        let axis = sweep::parse_axis_for("--set", spec).map_err(UsageError)?;
        if axis.values.len() != 1 {
            return Err(UsageError(format!(
                "--set `{spec}`: one value (KEY=VALUE); a sweep's --vary takes several"
            ))
            .into());
        }
        if assignments.iter().any(|(k, _)| *k == axis.key) {
            let what = if axis.key == "gateway.strategy" && strategy.is_some() {
                "given by --strategy too"
            } else {
                "given twice"
            };
            return Err(UsageError(format!("--set {}: {what}", axis.key)).into());
        }
        assignments.extend(axis.values.into_iter().map(|v| (axis.key.clone(), v)));
    }
    let axes: Vec<sweep::Axis> = assignments
        .iter()
        .map(|(key, v)| sweep::Axis {
            key: key.clone(),
            values: vec![v.clone()],
        })
        .collect();
    sweep::check_paths(&s, "--set", &axes).map_err(UsageError)?;
    let v = sweep::variant(&s, &assignments).map_err(UsageError)?;
    if let Some(note) = scenario::sized_bound_note(&v) {
        tracing::info!("{note}");
    }
    Ok(v)
}

/// The seeds of `replications` runs from `seed`: `seed`, `seed + 1`, ... Refused when they
/// would pass `u64::MAX`: wrapping round to 0 printed `seeds 18446744073709551615..1` and saved
/// the runs out of order. `from_flag`: the seed came from `--seed` (else from `run.seed`).
pub fn replication_seeds(seed: u64, replications: u32, from_flag: bool) -> Result<Vec<u64>, UsageError> {
    let extra = u64::from(replications.max(1)) - 1;
    match seed.checked_add(extra) {
        Some(last) => Ok((seed..=last).collect()),
        None => {
            let given = if from_flag {
                format!("--seed {seed}")
            } else {
                format!("run.seed = {seed} (the scenario's)")
            };
            Err(UsageError(format!(
                "{given} with --replications {replications}: the seeds would pass {}, the largest; use a seed of at most {}",
                u64::MAX,
                u64::MAX - extra
            )))
        }
    }
}

/// One run that logs how far it is every ~10 s of wall time (a run of 10^9 intents takes
/// minutes; most runs end before the first line).
fn simulate_logging_progress(s: &Scenario, seed: u64) -> Results {
    let started = std::time::Instant::now();
    let mut last = 0;
    let total = s.duration.as_secs_f64();
    engine::simulate_with_progress(s, Some(seed), &mut |t| {
        let secs = started.elapsed().as_secs();
        if secs >= last + 10 {
            last = secs;
            let done = t.saturating_since(model::Time::ZERO).as_secs_f64();
            if done <= total {
                let pct = 100.0 * done / total.max(1e-9);
                // fmt_secs, not whole seconds: a run of 0.5 s read "0 s of the run's 0 s (81%)".
                tracing::info!(
                    "simulated {} of the run's {} ({pct:.0}%) in {secs} s of real time",
                    model::results::fmt_secs(done),
                    model::results::fmt_secs(total)
                );
            } else {
                // Past the arrivals, the run goes on until the last intent has its answer
                // (timeouts, retries, backoff): no percentage to give of that.
                tracing::info!(
                    "simulated {} in {secs} s of real time: arrivals ended at {}, the intents still in flight are finishing (their timeouts, retries and backoff)",
                    model::results::fmt_secs(done),
                    model::results::fmt_secs(total)
                );
            }
        }
    })
}

/// Progress of a batch of simulations: a bar on a terminal; without one (CI logs), a line every
/// ~10 s. Shared by `sim run --replications` and `sim sweep`.
struct Progress {
    bar: indicatif::ProgressBar,
    quiet: bool,
    started: std::time::Instant,
    last_line: std::sync::atomic::AtomicU64,
    total: u64,
    what: &'static str,
}

impl Progress {
    fn new(total: u64, what: &'static str) -> Progress {
        let bar = indicatif::ProgressBar::new(total);
        // With the time left: a grid of points x seeds can take hours, and nothing else says so.
        // None before the first simulation ends: "about 0s left" then meant nothing.
        bar.set_style(
            indicatif::ProgressStyle::with_template("{wide_bar} {pos}/{len} {msg} ({elapsed} so far{left})")
                .map(|s| {
                    s.with_key(
                        "left",
                        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            if state.pos() > 0 {
                                let _ = write!(w, ", about {} left", indicatif::HumanDuration(state.eta()));
                            }
                        },
                    )
                })
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(what);
        let quiet = !std::io::stderr().is_terminal();
        if quiet {
            bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        Progress {
            bar,
            quiet,
            started: std::time::Instant::now(),
            last_line: std::sync::atomic::AtomicU64::new(0),
            total,
            what,
        }
    }

    /// One more simulation done.
    fn tick(&self) {
        self.bar.inc(1);
        let secs = self.started.elapsed().as_secs();
        if self.quiet && secs >= self.last_line.load(Relaxed) + 10 {
            self.last_line.store(secs, Relaxed);
            let done = self.bar.position();
            tracing::info!(
                "{done} of {} {} after {secs} s{}",
                self.total,
                self.what,
                time_left(self.started.elapsed().as_secs_f64(), done, self.total)
            );
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// The indexes of `s`'s trigger phases (`workload.phases[N]`), for the safe envelope.
fn bursts(s: &Scenario) -> Vec<usize> {
    let phases = &s.file.workload.phases;
    (0..phases.len()).filter(|&i| phases[i].trigger).collect()
}

/// Whether a sweep writes or removes `rel` in its output directory (see [`write_table`]).
fn sweep_writes(rel: &Path) -> bool {
    rel.to_str()
        .is_some_and(|r| sweep::TABLE_FILES.iter().any(|f| r == *f || r == format!(".{f}.tmp")))
}

/// Writes sweep.csv and sweep.json into `out`: each to a temporary file first, renamed once
/// both are written, so a failure leaves no file half written (one read as a smaller sweep).
fn write_table(out: &Path, csv: &str, table: &sweep::Table) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create the directory {}", out.display()))?;
    let json = serde_json::to_string_pretty(table).context("cannot encode the sweep table")?;
    let files = [("sweep.json", json.as_str()), ("sweep.csv", csv)];
    let tmp = |name: &str| out.join(format!(".{name}.tmp"));
    let result = (|| -> anyhow::Result<()> {
        for (name, text) in files {
            std::fs::write(tmp(name), text).with_context(|| format!("cannot write {}", tmp(name).display()))?;
        }
        for (name, _) in files {
            let to = out.join(name);
            std::fs::rename(tmp(name), &to).with_context(|| format!("cannot write {}", to.display()))?;
        }
        Ok(())
    })();
    if result.is_err() {
        for (name, _) in files {
            let _ = std::fs::remove_file(tmp(name));
        }
    }
    result
}

/// ", about 21.4 h left at this pace" from the time `done` of `total` took; empty before any.
fn time_left(elapsed_s: f64, done: u64, total: u64) -> String {
    if done == 0 || done >= total {
        return String::new();
    }
    let left = elapsed_s / done as f64 * (total - done) as f64;
    let text = if left < 90.0 {
        format!("{left:.0} s")
    } else if left < 5400.0 {
        format!("{:.0} min", left / 60.0)
    } else if left < 3.0 * 86400.0 {
        format!("{:.1} h", left / 3600.0)
    } else {
        format!("{:.0} days", left / 86400.0)
    };
    format!(", about {text} left at this pace")
}

/// How a `sim` command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    /// Every threshold held (in every replication), or a sweep found a configuration meeting
    /// its SLO.
    pub passed: bool,
    /// `stop` was set (Ctrl-C) before every simulation ran: what ran is written.
    pub interrupted: bool,
}

/// `spillway sim run`. With replications, `stop` (set on Ctrl-C) starts no further seed, and
/// the seeds that ran are summarized and written; a single run does not read it.
pub fn run(a: RunArgs, stop: &AtomicBool) -> anyhow::Result<Ended> {
    // With --set, --strategy is one more setting, applied with them as a sweep applies a
    // point's: bounds are sized (or not) once everything is set, not before.
    let s = if a.set.is_empty() {
        load(&a.scenario, a.strategy)?
    } else {
        with_settings(load(&a.scenario, None)?, a.strategy, &a.set)?
    };
    model::check_out_dir(&a.out)?;
    let written = if a.replications > 1 {
        Results::is_saved_by_replications
    } else {
        Results::is_saved
    };
    model::check_input_not_output(&a.scenario, "scenario", &a.out, written)?;
    let seed = a.seed.unwrap_or(s.seed());
    let seeds = replication_seeds(seed, a.replications, a.seed.is_some())?;
    // The summary names the scenario, strategy and seed: what --set changed is said above it,
    // or two runs of one file read alike (`abandon = "cancel"` or not: 25% against 60%).
    if !a.set.is_empty() {
        println!("settings (--set): {}", a.set.join(", "));
    }
    if a.replications <= 1 {
        let r = simulate_logging_progress(&s, seed);
        print!("{}", results::summary_table(&r));
        // In place of what the directory held (written first, then renamed over it).
        let path = r.save(&a.out)?;
        println!("results: {}  (and results.hlog)", path.display());
        return Ok(Ended {
            passed: r.thresholds.iter().all(|t| t.passed),
            interrupted: false,
        });
    }
    use rayon::prelude::*;
    // Each seed's results are written as soon as it has run, and only its summary and
    // thresholds are kept: a thousand seeds' whole results (windows, histograms) ran out of
    // memory before anything was written.
    std::fs::create_dir_all(&a.out).with_context(|| format!("cannot create {}", a.out.display()))?;
    // The seeds are staged, and replace the directory's earlier results only once every one
    // ran and replications.json is written: a run that fails (a full disk), or is killed, before
    // then leaves them as they were. After one Ctrl-C the seeds under way finish and are
    // written, as documented, and so replace them.
    let staged = results::StagedSeeds::begin(&a.out)?;
    let progress = Progress::new(seeds.len() as u64, "seeds");
    type Kept = (
        u64,
        results::Summary,
        Vec<model::threshold::ThresholdResult>,
        Option<String>,
    );
    let runs: Vec<Kept> = seeds
        .par_iter()
        .filter_map(|sd| {
            if stop.load(Relaxed) {
                return None;
            }
            let r = simulate(&s, Some(*sd));
            let saved = staged.save(&r);
            progress.tick();
            Some(
                saved
                    .map(|_| (*sd, r.summary, r.thresholds, r.stopped))
                    .map_err(anyhow::Error::from),
            )
        })
        .collect::<anyhow::Result<_>>()?;
    progress.finish();
    let seeds: Vec<u64> = runs.iter().map(|(sd, ..)| *sd).collect();
    let planned = a.replications as usize;
    let interrupted = runs.len() < planned;
    if runs.is_empty() {
        drop(staged);
        println!("interrupted before any of the {planned} seeds finished: nothing written");
        return Ok(Ended {
            passed: false,
            interrupted,
        });
    }
    let summary = stats::ReplicationSummary {
        planned_replications: interrupted.then_some(planned),
        ..stats::summarize_summaries(&runs.iter().map(|(_, summary, ..)| summary).collect::<Vec<_>>())
    };
    let seed_list = if interrupted {
        // The seeds that ran need not be consecutive (they run in parallel).
        format!(
            "seeds {}; interrupted: {} of {planned} ran",
            seed_ranges(&seeds),
            runs.len()
        )
    } else {
        format!("seeds {}..{}", seed, seeds.last().copied().unwrap_or(seed))
    };
    println!(
        "{} (sim, strategy {}, {seed_list})",
        s.name(),
        s.file.gateway.strategy.as_str(),
    );
    print!("{}", stats::render(&summary));
    let stopped: Vec<&String> = runs.iter().filter_map(|(.., why)| why.as_ref()).collect();
    if let Some(first) = stopped.first() {
        println!(
            "  STOPPED       {} of {} seeds stopped before their end (the first: {first}): their figures cover part of the run",
            stopped.len(),
            runs.len()
        );
    }
    // Each threshold over the seeds: the exit code says whether all held in every seed.
    for (i, t) in runs[0].2.iter().enumerate() {
        let held = runs
            .iter()
            .filter(|(_, _, thresholds, _)| thresholds.get(i).is_some_and(|x| x.passed))
            .count();
        println!(
            "  threshold     {} {}  (held in {held} of {} seeds)",
            if held == runs.len() { "PASS" } else { "FAIL" },
            t.label(),
            runs.len()
        );
    }
    let path = staged.finish(&serde_json::to_string_pretty(&summary)?)?;
    println!(
        "results: {} and {}/seed-*/results.json",
        path.display(),
        a.out.display()
    );
    Ok(Ended {
        passed: runs
            .iter()
            .all(|(_, _, thresholds, _)| thresholds.iter().all(|t| t.passed)),
        interrupted,
    })
}

/// Ascending seeds as runs of consecutive ones: `1..3, 7, 9..10`.
fn seed_ranges(seeds: &[u64]) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &s in seeds {
        match runs.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(s) => *last = s,
            _ => runs.push((s, s)),
        }
    }
    runs.iter()
        .map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}..{b}") })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `spillway sim sweep`: not passed when SLOs were given and no configuration meets them.
/// `stop` (set on Ctrl-C) starts no further simulation; the points that ran are written.
pub fn sweep(a: SweepArgs, stop: &AtomicBool) -> anyhow::Result<Ended> {
    let s = load(&a.scenario, None)?;
    model::check_out_dir(&a.out)?;
    model::check_input_not_output(&a.scenario, "scenario", &a.out, sweep_writes)?;
    let axes: Vec<sweep::Axis> = a
        .vary
        .iter()
        .map(|v| sweep::parse_axis(v))
        .collect::<Result<_, _>>()
        .map_err(UsageError)?;
    for (i, x) in axes.iter().enumerate() {
        if axes[..i].iter().any(|y| y.key == x.key) {
            return Err(UsageError(format!(
                "--vary {}: given twice; list every value in one --vary {}=V1,V2,...",
                x.key, x.key
            ))
            .into());
        }
        // One axis inside another's value (a table): whichever is applied last wins, silently.
        if let Some(outer) = axes
            .iter()
            .find(|y| x.key.starts_with(&format!("{}.", y.key)) || x.key.starts_with(&format!("{}[", y.key)))
        {
            return Err(UsageError(format!(
                "--vary {}: inside --vary {}, which sets all of it: one would override the other; vary one of them",
                x.key, outer.key
            ))
            .into());
        }
    }
    let objective = sweep::parse_objective(&a.objective).map_err(|e| UsageError(format!("--objective {e}")))?;
    let slo = sweep::parse_slos(&a.slo).map_err(UsageError)?;
    let Some(plan) = sweep::plan_until(&s, &axes, stop).map_err(UsageError)? else {
        let removed = sweep::remove_earlier_table(&a.out);
        println!("interrupted while the grid was being prepared: nothing simulated, nothing written{removed}");
        return Ok(Ended {
            passed: false,
            interrupted: true,
        });
    };
    // Before anything else is built per point: a grid within the bound on points can still
    // be days of simulations with many seeds.
    sweep::check_simulations(plan.points.len(), a.replications).map_err(UsageError)?;
    // A misspelt service, a class without priorities, or a recovery the runs end too soon to
    // judge would fail every point after the whole grid ran. Checked at every point: an axis
    // can rename services (`count` expands `risk` to `risk-1`..), drop the priorities or
    // change the time line.
    let mut figures: Vec<(String, &model::threshold::Figure)> =
        slo.iter().map(|t| (format!("--slo `{t}`: "), &t.figure)).collect();
    figures.push(("--objective ".to_string(), &objective));
    if let Some((flag, at, problem)) = sweep::figure_problem(&plan, &figures) {
        return Err(UsageError(format!("{flag}{at}{problem}")).into());
    }
    // Said now (a long sweep) and again beside the findings, whose best line names the bound
    // its configuration ran with.
    let sized_note = plan.sized_bounds_note();
    if let Some(note) = &sized_note {
        tracing::info!("{note}");
    }
    // Said before the sweep runs (it may be long, and the objective is the user's to change)
    // and again beside the findings it bears on.
    let objective_note = sweep::objective_note(&objective, &axes);
    if let Some(note) = &objective_note {
        tracing::warn!("{note}");
    }
    // Likewise: an outage that stays as it is while its trigger phase's duration varies.
    let fault_note = sweep::fault_note(&s, &axes);
    if let Some(note) = &fault_note {
        tracing::warn!("{note}");
    }
    sweep::check_seeds(&plan, a.replications).map_err(UsageError)?;
    let total = plan.points.len();
    let runs = total as u64 * u64::from(a.replications);
    tracing::info!(
        "sweeping {total} points x {} seed(s) on {} threads",
        a.replications,
        rayon::current_num_threads()
    );
    let progress = Progress::new(runs, "simulations");
    let tick = || progress.tick();
    let ignored = plan.ignored.clone();
    let combinations = plan.combinations;
    let points = sweep::run_plan_until(plan, &slo, a.replications, &tick, stop);
    progress.finish();
    let interrupted = points.len() < total;
    if points.is_empty() {
        // No table to write: a report of an empty one would have no axes to chart. An earlier
        // sweep's left in `--out` would read as this one's.
        let removed = sweep::remove_earlier_table(&a.out);
        println!("interrupted before any of the {total} points finished: nothing written{removed}");
        return Ok(Ended {
            passed: false,
            interrupted: true,
        });
    }
    let csv = sweep::to_csv(&points, &objective, &a.slo);
    let table = sweep::Table {
        scenario: Some(s.name().to_string()),
        objective: objective.to_string(),
        slo: a.slo.clone(),
        planned_points: interrupted.then_some(total),
        bursts: bursts(&s),
        points,
    };
    // A table that cannot be written still has findings: they are printed, then the error.
    let written = write_table(&a.out, &csv, &table);
    let (points, table_bursts) = (table.points, table.bursts);
    let files = format!(
        "{} and {}",
        a.out.join("sweep.csv").display(),
        a.out.join("sweep.json").display()
    );
    let files = match &written {
        Ok(()) => files,
        Err(e) => format!("NOT WRITTEN ({e:#})"),
    };
    if interrupted {
        println!(
            "interrupted: {} of {total} points simulated: {files}; what follows is over those points, not the whole grid",
            points.len(),
        );
    } else {
        println!("{total} point{} simulated: {files}", if total == 1 { "" } else { "s" });
    }
    for (key, by) in &ignored {
        println!(
            "  {key} does not apply to {} (shown as -): {combinations} combinations, {total} distinct points",
            by.join(", ")
        );
    }
    // By meaning, not text: `goodput_ratio >= 90%` is the file's `goodput_ratio >= 0.9`.
    let not_slo: Vec<&str> = s
        .thresholds
        .iter()
        .filter(|t| !slo.iter().any(|x| x.same_check(t)))
        .map(|t| t.text.as_str())
        .collect();
    if !not_slo.is_empty() {
        println!(
            "note: the scenario's thresholds {} are not part of the SLO (only --slo is): pass them with --slo to hold every point to them",
            not_slo.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
        );
    }
    if let Some(note) = sized_note {
        println!("note: {note}");
    }
    if let Some(note) = objective_note {
        println!("note: {note}");
    }
    if let Some(note) = fault_note {
        println!("note: {note}");
    }
    let found = sweep::best_config(&points, &objective).is_some();
    for line in sweep::findings(&points, &axes, &objective, &a.slo, &table_bursts) {
        println!("{line}");
    }
    written?;
    Ok(Ended {
        passed: found || slo.is_empty(),
        interrupted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_in_a_sensible_unit() {
        assert_eq!(time_left(10.0, 0, 100), "");
        assert_eq!(time_left(10.0, 100, 100), "");
        assert_eq!(time_left(10.0, 50, 100), ", about 10 s left at this pace");
        assert_eq!(time_left(10.0, 10, 100), ", about 2 min left at this pace");
        assert_eq!(time_left(10.0, 1_300, 10_000_000), ", about 21.4 h left at this pace");
        assert_eq!(time_left(10.0, 1_300, 100_000_000), ", about 9 days left at this pace");
    }

    #[test]
    fn seeds_that_ran_read_as_ranges() {
        assert_eq!(seed_ranges(&[1, 2, 3, 7, 9, 10]), "1..3, 7, 9..10");
        assert_eq!(seed_ranges(&[5]), "5");
        assert_eq!(
            seed_ranges(&[u64::MAX - 1, u64::MAX]),
            format!("{}..{}", u64::MAX - 1, u64::MAX)
        );
        assert_eq!(seed_ranges(&[]), "");
    }

    /// `--set` without a value says what `--set` takes, not a sweep's lists and ranges.
    #[test]
    fn set_without_a_value_names_its_own_syntax() {
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"a\"\nworkers = 1\nservice_time = \"1ms\"\n",
        )
        .expect("valid");
        let e = with_settings(s, None, &["gateway.queue_capacity".to_string()])
            .expect_err("no value")
            .to_string();
        assert_eq!(e, "--set `gateway.queue_capacity`: expected KEY=VALUE");
        assert!(sweep::parse_axis_for("--vary", "x")
            .unwrap_err()
            .ends_with("expected KEY=V1,V2,... or KEY=A..B (or KEY=A..B:STEP)"));
    }

    /// A service named with a dot is set with its name quoted, as the file's errors write it;
    /// unquoted, its dot splits it into a service `api` with a key `v2`, and the refusal says
    /// to quote the name the file has.
    #[test]
    fn set_quotes_a_dotted_service_name() {
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"1s\"\nrate = 1\n[[backend.services]]\nname = \"api.v2\"\nworkers = 1\nservice_time = \"1ms\"\n",
        )
        .expect("valid");
        let set = with_settings(
            s.clone(),
            None,
            &["gateway.services.\"api.v2\".concurrency=1".to_string()],
        )
        .expect("quoted name");
        assert_eq!(set.file.gateway.services["api.v2"].concurrency, Some(1));
        let e = with_settings(s, None, &["gateway.services.api.v2.concurrency=1".to_string()])
            .expect_err("unquoted name")
            .to_string();
        assert!(
            e.contains("unknown key `v2`")
                && e.contains(
                    "the service `api.v2` has a dot in its name: quote it, 'gateway.services.\"api.v2\".concurrency'"
                ),
            "{e}"
        );
    }

    /// `--seed 18446744073709551615 --replications 3` wrapped round to seeds ..., 0, 1.
    #[test]
    fn replication_seeds_do_not_wrap() {
        assert_eq!(replication_seeds(7, 3, true).unwrap(), vec![7, 8, 9]);
        assert_eq!(replication_seeds(u64::MAX, 1, true).unwrap(), vec![u64::MAX]);
        assert_eq!(
            replication_seeds(u64::MAX - 2, 3, true).unwrap(),
            vec![u64::MAX - 2, u64::MAX - 1, u64::MAX]
        );
        let e = replication_seeds(u64::MAX, 3, true).unwrap_err().to_string();
        assert_eq!(
            e,
            "--seed 18446744073709551615 with --replications 3: the seeds would pass 18446744073709551615, the largest; use a seed of at most 18446744073709551613"
        );
        let e = replication_seeds(u64::MAX - 1, 3, false).unwrap_err().to_string();
        assert!(e.starts_with("run.seed = 18446744073709551614 (the scenario's)"), "{e}");
    }
}
