//! `spillway compare`: one scenario under several strategies (or named variants), on identical
//! traffic, in the simulator or live; a report with the runs overlaid, a comparison table, and
//! expectations across runs as a CI gate. Also `--baseline OLD NEW`: regressions metric by metric.

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use model::results::Results;
use model::scenario::{self, Scenario, Strategy};
use model::UsageError;
use reports::expect::{self, Checked};
use reports::{Baseline, Entry, Report};
use std::path::{Path, PathBuf};

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// The simulator: seconds, deterministic.
    Sim,
    /// In-process mock-legacy + reference gateway on loopback, driven by the load generator.
    Live,
}

/// Compare strategies on identical traffic, or a run against a baseline (examples in `after_help`).
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  spillway compare scenarios/death-spiral.toml --strategies fifo,bounded,deadline \\
      --expect \"deadline.goodput_ratio >= 0.8\" --expect \"deadline.p99 < fifo.p99\"
  spillway compare scenarios/retry-storm.toml \\
      --variant \"immediate:clients.retry.backoff=none;clients.retry.jitter=none;clients.retry.budget.ratio=100\" \\
      --variant \"budget:clients.retry.budget.ratio=0.1\"
  spillway compare --baseline old/results.json new/results.json --tolerance 10%

Metrics: goodput_ratio, goodput, offered, attempts, successes, amplification, p50, p90, p99,
p999, max, recovery, timeouts, shed, rate_limited, expired, errors, wasted, wasted_ratio.
Per priority class (scenarios with priorities): LABEL.interactive.METRIC,
LABEL.background.METRIC, e.g. \"bounded.interactive.shed > fifo.interactive.shed\"; per
service (scenarios with several): LABEL.service[NAME].METRIC, e.g.
\"deadline.service[legacy-2].p99 < 2s\", \"fifo.service[billing].recovery > 20s\" (the group's own
verdict); every metric but wasted and wasted_ratio (the backend's). p99.9 is p999.
Exit codes: 0 every expectation holds (and no regression), 3 an expectation failed (or a
regression), 4 inconclusive (live: every failed expectation names a run in which the load
generator fell behind its schedule by over a tenth of the shortest median client timeout, or left
arrivals unsent; rerun; with --baseline: a regression when either run's generator is so in
doubt, or no regression when either left arrivals unsent), 2 bad input, 1 a run failed, 130
interrupted.")]
pub struct CompareArgs {
    /// Scenario file (TOML). Not with --baseline.
    pub scenario: Option<PathBuf>,
    /// Gateway strategies to compare, comma-separated: passthrough, fifo, bounded, deadline,
    /// codel, adaptive-lifo (or lifo), adaptive. Each run is labelled with the name as given.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub strategies: Vec<String>,
    /// A named variant: NAME:KEY=VALUE[;KEY=VALUE...], KEY a scenario field path as in
    /// `sim sweep --vary` (e.g. "immediate:clients.retry.backoff=none;clients.retry.jitter=none").
    /// Repeatable; runs beside --strategies.
    #[arg(long = "variant", value_name = "SPEC")]
    pub variants: Vec<String>,
    /// Where to run: the simulator, or live through in-process servers on 127.0.0.1.
    #[arg(long, value_enum, default_value_t = Mode::Sim)]
    pub mode: Mode,
    /// An expectation across runs, LABEL.METRIC OP (VALUE | LABEL.METRIC), e.g.
    /// "deadline.goodput_ratio >= 0.9" or "deadline.p99 < fifo.p99", or a priority class's
    /// figure: "bounded.interactive.shed == 0", or a service's: "fifo.service[legacy-1].p99 < 2s",
    /// or the worst service's in each run: "bounded.service[*].p99 < fifo.service[*].p99".
    /// Repeatable. With replications it must hold beyond the 95% confidence intervals (between
    /// two labels, of the seed-by-seed differences; `<=` and `>=` also by a sign test over six
    /// or more seeds that differ).
    #[arg(long = "expect", value_name = "EXPR")]
    pub expect: Vec<String>,
    /// Runs per configuration (seeds SEED, SEED+1, ...); figures get 95% confidence intervals.
    #[arg(long, value_name = "R", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000), allow_negative_numbers = true)]
    pub replications: u32,
    /// Seed (overrides run.seed). Every configuration runs on the same seeds, so the same traffic.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Live mode: compress the scenario's time by this factor (overrides run.time_scale).
    #[arg(long, value_name = "F", value_parser = model::scenario::parse_time_scale, allow_negative_numbers = true)]
    pub time_scale: Option<f64>,
    /// Directory for each run's results (DIR/LABEL/) and the report (index.html, summary.md,
    /// junit.xml) [default: out/compare; with --baseline, out/baseline, so it never replaces
    /// the report of the runs it compares]. The runs of an earlier comparison into DIR that this
    /// one does not repeat are removed (DIR/.spillway-compare-runs lists them).
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Compare NEW against OLD (results.json files, or run directories holding one) metric by
    /// metric instead of running.
    #[arg(long, num_args = 2, value_names = ["OLD", "NEW"])]
    pub baseline: Option<Vec<PathBuf>>,
    /// With --baseline: how much worse a metric may get before it is a regression (e.g. 5%;
    /// default 10%; from 0% to 1000%).
    #[arg(long, value_name = "PCT", allow_hyphen_values = true)]
    pub tolerance: Option<String>,
}

/// One configuration to run.
#[derive(Clone, Debug)]
pub struct Config {
    pub label: String,
    pub scenario: Scenario,
    /// The queue bounds the strategy sized, said once the command line has been checked.
    pub sized_note: Option<String>,
    /// How to set them instead (`compare` says it after the note; the demo, whose scenario is
    /// built in and which takes no `--variant`, does not).
    pub sized_advice: Option<String>,
}

/// The configurations `--strategies` and `--variant` describe.
pub fn configs(base: &Scenario, strategies: &[String], variants: &[String]) -> Result<Vec<Config>, UsageError> {
    let mut out: Vec<Config> = Vec::new();
    if strategies.iter().any(|s| s.trim().is_empty()) {
        return Err(UsageError(format!(
            "--strategies `{}`: an empty name (two commas in a row, or one at an end)",
            strategies.join(",")
        )));
    }
    for name in strategies.iter().map(|s| s.trim()) {
        let st: Strategy = name.parse().map_err(|e| UsageError(format!("--strategies: {e}")))?;
        let s = base
            .with_strategy(st)
            .map_err(|e| UsageError(format!("--strategies {name}: {e}")))?;
        // Sized bounds are said (per service when services drain at different rates).
        let variant = format!("--variant \"{name}-N:gateway.strategy={name};gateway.queue_capacity=N\"");
        let (sized_note, sized_advice) = match s.sized_bounds.as_slice() {
            [] => (None, None),
            [(_, q), rest @ ..] if rest.iter().all(|(_, x)| x == q) => (
                Some(format!(
                    "{name}: queue bound {q}, sized from the clients' median timeout (what the gateway drains in half of it)"
                )),
                Some(format!(
                    "set one with gateway.queue_capacity in the scenario, or in `spillway compare` with {variant}"
                )),
            ),
            sized => (
                Some(format!(
                    "{name}: queue bounds sized per service from the clients' median timeout (what the gateway drains from each within half that timeout): {}",
                    sized.iter().map(|(n, q)| format!("{n} {q}")).collect::<Vec<_>>().join(", ")
                )),
                Some(format!(
                    "set them with [gateway.services.NAME] queue_capacity in the scenario, or one for all in `spillway compare` with {variant}"
                )),
            ),
        };
        out.push(Config {
            label: name.to_string(),
            scenario: s,
            sized_note,
            sized_advice,
        });
    }
    for spec in variants {
        let (name, body) = spec
            .split_once(':')
            .ok_or_else(|| UsageError(format!("--variant `{spec}`: expected NAME:KEY=VALUE[;KEY=VALUE...]")))?;
        let name = name.trim();
        check_variant_name(spec, name)?;
        let mut assignments: Vec<(String, serde_json::Value)> = Vec::new();
        // The field each assignment names ([`sim::sweep::canonical_path`]).
        let mut paths: Vec<Vec<model::scenario::locate::Seg>> = Vec::new();
        for kv in body.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            if !kv.contains('=') {
                return Err(UsageError(format!(
                    "--variant {name}: `{kv}` has no value; expected KEY=VALUE, e.g. clients.timeout=2s"
                )));
            }
            let axis = sim::sweep::parse_axis_for(&format!("--variant {name}"), kv).map_err(UsageError)?;
            // Every configuration runs on the same seeds (the same traffic): a variant's own
            // seed was silently replaced, and its results still recorded it.
            if axis.key == "run.seed" {
                return Err(UsageError(format!(
                    "--variant {name}: `{kv}`: every configuration runs on the same seeds, so that they see the same traffic; --seed sets them all"
                )));
            }
            if axis.values.len() != 1 {
                return Err(UsageError(format!(
                    "--variant {name}: `{kv}` gives {} values; a variant sets one value per key",
                    axis.values.len()
                )));
            }
            // The last of two values won, silently (`--set` refuses a key given twice too). By
            // the field they name, not their text: `backend.services[a].workers` and
            // `backend.services[0].workers`, `"gateway".concurrency` and `gateway.concurrency`.
            let path = sim::sweep::canonical_path(base, &axis.key);
            if let Some((k, _)) = assignments
                .iter()
                .zip(&paths)
                .find(|(_, p)| **p == path)
                .map(|(a, _)| a)
            {
                return Err(UsageError(if *k == axis.key {
                    format!("--variant {name}: `{k}` given twice; a variant sets each key once")
                } else {
                    format!(
                        "--variant {name}: `{k}` and `{}` set the same field, given twice; a variant sets each key once",
                        axis.key
                    )
                }));
            }
            paths.push(path);
            assignments.push((axis.key, axis.values[0].clone()));
        }
        // `NAME:` alone ran the base scenario again under another name.
        if assignments.is_empty() {
            return Err(UsageError(format!(
                "--variant `{}`: sets nothing, so it would run the base scenario again; give NAME:KEY=VALUE[;KEY=VALUE...], e.g. {name}:clients.timeout=2s",
                spec.escape_debug()
            )));
        }
        let s = sim::sweep::variant(base, &assignments).map_err(|e| UsageError(format!("--variant {name}: {e}")))?;
        out.push(Config {
            label: name.to_string(),
            scenario: s,
            sized_note: None,
            sized_advice: None,
        });
    }
    if out.is_empty() {
        return Err(UsageError(
            "nothing to compare: give --strategies fifo,bounded,... and/or --variant NAME:KEY=VALUE".into(),
        ));
    }
    let from_strategies = strategies.len();
    for (i, c) in out.iter().enumerate() {
        if let Some(j) = out[..i].iter().position(|d| d.label == c.label) {
            let by = match (j < from_strategies, i < from_strategies) {
                (true, true) => "twice in --strategies",
                (true, false) => "by --strategies and by a --variant: give the variant another name (`--variant \"NAME-2:...\"`) or leave it out of --strategies",
                _ => "by two --variant: give each its own name",
            };
            return Err(UsageError(format!("`{}` is named {by}", c.label)));
        }
        // Each run is saved under its label's slug: two labels with one slug would overwrite.
        let slug = reports::charts::slug(&c.label);
        if let Some(d) = out[..i].iter().find(|d| reports::charts::slug(&d.label) == slug) {
            return Err(UsageError(format!(
                "`{}` and `{}` would share the output directory `{slug}`: rename one",
                d.label, c.label
            )));
        }
    }
    Ok(out)
}

/// The longest variant name: it names the run's output directory (through its slug), and a
/// name past the file system's limit (255 bytes) failed only after every run had finished.
const MAX_NAME_CHARS: usize = 64;

/// Whether a variant name may hold `c`: what `--expect` can name (`NAME.p99 < 1s`): no dot
/// (it ends the name), no comparison character (`a<b.p99 < 1s` split at the name's `<`), no
/// space or control character.
/// Refuses a variant that sets a key the simulator never reads (a request header, the gateway's
/// connect timeout): simulated, it would run as its base scenario and be compared as if it were
/// another configuration. Live (`--mode live`) it is a real difference, unless the key is a
/// label (a run's or a phase's name), which no run reads. A variant that also sets keys the
/// simulator does read is no copy of its base: the ignored key is named as what it is, a
/// setting the simulator ignores. After [`configs`].
fn check_sim_variants(variants: &[String]) -> Result<(), UsageError> {
    use sim::sweep::Ignored;
    for spec in variants {
        let Some((name, body)) = spec.split_once(':') else {
            continue;
        };
        let name = name.trim();
        let keys: Vec<&str> = body
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|kv| kv.split_once('=').map_or(kv, |(k, _)| k).trim())
            .collect();
        let ignored: Vec<(&str, Ignored)> = keys
            .iter()
            .filter_map(|k| sim::sweep::simulator_ignores(k).map(|why| (*k, why)))
            .collect();
        let Some(&(key, why)) = ignored.first() else {
            continue;
        };
        let alone = ignored.len() == keys.len();
        let label = ignored.iter().all(|(_, w)| matches!(w, Ignored::Label(_)));
        let what = why.why();
        return Err(UsageError(match (alone, label) {
            (true, true) => format!(
                "--variant {name}: `{key}`: {what}, which no run reads (live runs neither), so this variant is its base scenario again under another name"
            ),
            (true, false) => format!(
                "--variant {name}: `{key}`: {what}, so simulated this variant is its base scenario again; compare it with --mode live"
            ),
            (false, _) if matches!(why, Ignored::Label(_)) => format!(
                "--variant {name}: `{key}`: {what}, which no run reads (the simulator ignores it, and live runs too); leave it out of the variant"
            ),
            (false, _) => format!(
                "--variant {name}: `{key}`: {what}, so the simulator ignores it (it runs the variant's other settings without it); leave it out, or compare with --mode live"
            ),
        }));
    }
    Ok(())
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Refuses, before anything runs, a variant name that cannot label a run: empty, with a
/// character an expectation cannot name ([`name_char`]), or too long for a directory.
fn check_variant_name(spec: &str, name: &str) -> Result<(), UsageError> {
    const ALLOWED: &str = "ASCII letters, digits, `-` and `_` (expectations refer to NAME.metric), without dots, spaces, comparison signs or control characters";
    if name.is_empty() {
        return Err(UsageError(format!(
            "--variant `{}`: the name is empty; a name is {ALLOWED}",
            spec.escape_debug()
        )));
    }
    if let Some(c) = name.chars().find(|c| !name_char(*c)) {
        let shown = if c.is_control() || c.is_whitespace() {
            format!("{:?}", c)
        } else {
            format!("`{c}`")
        };
        return Err(UsageError(format!(
            "--variant `{}`: the name cannot hold {shown}; a name is {ALLOWED}",
            spec.escape_debug()
        )));
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        let head: String = name.chars().take(MAX_NAME_CHARS).collect();
        return Err(UsageError(format!(
            "--variant `{head}...`: the name has {n} characters; at most {MAX_NAME_CHARS} (it names the run's output directory)"
        )));
    }
    Ok(())
}

/// Every configuration on the same seeds, in parallel on all cores.
pub fn run_sim(configs: &[Config], seed: u64, replications: u32) -> Vec<Entry> {
    use rayon::prelude::*;
    // `run` refuses seeds past u64::MAX up front (`sim::replication_seeds`); never wrap to 0.
    let seeds: Vec<u64> = (0..u64::from(replications))
        .map_while(|i| seed.checked_add(i))
        .collect();
    let jobs: Vec<(usize, u64)> = (0..configs.len())
        .flat_map(|c| seeds.iter().map(move |s| (c, *s)))
        .collect();
    let mut runs: Vec<(usize, Results)> = jobs
        .par_iter()
        .map(|&(c, s)| (c, sim::simulate(&configs[c].scenario, Some(s))))
        .collect();
    runs.sort_by_key(|(c, r)| (*c, r.seed));
    // Moved into their entries, not copied: each run is whole (windows, histograms).
    let mut per_config: Vec<Vec<Results>> = configs.iter().map(|_| Vec::new()).collect();
    for (c, r) in runs {
        per_config[c].push(r);
    }
    configs
        .iter()
        .zip(per_config)
        .map(|(c, mine)| Entry::new(c.label.clone(), mine))
        .collect()
}

/// Every configuration live, one after the other (they would measure each other otherwise).
/// Returns the entries and whether the user interrupted.
pub async fn run_live(
    configs: &[Config],
    seed: u64,
    replications: u32,
    time_scale: Option<f64>,
) -> anyhow::Result<(Vec<Entry>, bool)> {
    let mut entries = Vec::new();
    let total = configs.len() * replications as usize;
    let mut n = 0;
    let stop = std::sync::Arc::new(tokio::sync::Notify::new());
    {
        let stop = stop.clone();
        tokio::spawn(async move {
            mock_legacy::serve::termination_signal().await;
            stop.notify_waiters();
            stop.notify_one();
        });
    }
    for c in configs {
        let mut runs = Vec::new();
        // `run` refuses seeds past u64::MAX up front (`sim::replication_seeds`); never wrap to 0.
        for seed in (0..u64::from(replications)).map_while(|i| seed.checked_add(i)) {
            n += 1;
            let mut s = c.scenario.clone();
            s.file.run.seed = seed;
            let f = time_scale.unwrap_or(s.file.run.time_scale);
            tracing::info!(
                "[{n}/{total}] live: {} (seed {}), {:.0}s real at {f}x",
                c.label,
                s.file.run.seed,
                s.duration.as_secs_f64() / f
            );
            // A line on a terminal; a log line every 10 s otherwise: a CI job's comparison of
            // four strategies over the 200 s death spiral at 1x is silent for 13 minutes else.
            let opts = loadgen::LiveOptions {
                time_scale: f,
                progress: true,
                ..loadgen::LiveOptions::default()
            };
            let waiter = stop.clone();
            let r = loadgen::run_live(&s, &opts, async move { waiter.notified().await })
                .await
                .with_context(|| format!("live run of {}", c.label))?;
            let interrupted = r.incomplete;
            runs.push(r);
            if interrupted {
                entries.push(Entry::new(c.label.clone(), runs));
                return Ok((entries, true));
            }
        }
        entries.push(Entry::new(c.label.clone(), runs));
    }
    Ok((entries, false))
}

/// Saves each run under `out/<label>/`. With replications: `seed-N/` and the
/// `replications.json` that `sim run --replications` writes, so `spillway report out/<label>`
/// reads the seeds as one entry.
///
/// The runs of an earlier comparison into `out` that this one does not repeat are removed (their
/// results files and seeds, then the folder if that left it empty): a CI job that uploads `out`,
/// or reports `out/*`, would take them for this comparison's. `out/.spillway-compare-runs`
/// lists the runs a comparison saved; folders it does not list are not touched.
pub fn save_runs(entries: &[Entry], out: &Path) -> anyhow::Result<()> {
    let manifest = out.join(RUNS_MANIFEST);
    let mut listed: Vec<String> = entries.iter().map(|e| reports::charts::slug(&e.label)).collect();
    // A manifest that cannot be read lists nothing: nothing else is removed.
    let earlier = std::fs::read_to_string(&manifest).unwrap_or_default();
    let stale: Vec<&str> = earlier
        .lines()
        .filter(|l| is_run_slug(l) && !listed.iter().any(|s| s == l))
        .collect();
    for old in stale {
        let dir = out.join(old);
        // Not this comparison's folder: a link put in its place points elsewhere, whose results
        // are not an earlier run of this comparison (they were removed through it).
        if std::fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
            tracing::warn!(
                "{} is a symbolic link, not the folder an earlier comparison saved its run `{old}` in: left as it is",
                dir.display()
            );
            continue;
        }
        Results::clear_saved(&dir)?;
        // Left in place if something else is in it, and listed again: removed once it is empty.
        if std::fs::remove_dir(&dir).is_err() && dir.is_dir() {
            listed.push(old.to_string());
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    std::fs::write(&manifest, listed.iter().map(|s| format!("{s}\n")).collect::<String>())
        .with_context(|| format!("cannot write {}", manifest.display()))?;
    for e in entries {
        let dir = out.join(reports::charts::slug(&e.label));
        // Each in place of what the folder held, written before that is removed: a failure
        // (a full disk) leaves the earlier run readable and whole.
        if e.runs.len() == 1 {
            e.runs[0].save(&dir)?;
        } else {
            let staged = model::results::StagedSeeds::begin(&dir)?;
            for r in &e.runs {
                staged.save(r)?;
            }
            staged.finish(&serde_json::to_string_pretty(&sim::stats::summarize(&e.runs))?)?;
        }
    }
    Ok(())
}

/// Whether a comparison writes or removes `rel` in its output directory: its runs' results
/// ([`save_runs`]) and its report's files.
fn compare_writes(rel: &Path) -> bool {
    let mut parts = rel.components();
    let Some(std::path::Component::Normal(first)) = parts.next() else {
        return false;
    };
    let first = first.to_string_lossy();
    let rest = parts.as_path();
    if rest.as_os_str().is_empty() {
        first == RUNS_MANIFEST
            || ["index.html", "summary.md", "junit.xml"].contains(&&*first)
            || first.ends_with(".svg")
            || first.ends_with(".png")
    } else {
        is_run_slug(&first) && Results::is_saved(rest)
    }
}

/// The list of the runs a comparison saved in its output directory (see [`save_runs`]).
const RUNS_MANIFEST: &str = ".spillway-compare-runs";

/// Whether a manifest line can name a run's folder: one path component, as slugs are (a line
/// edited to `..` or `/etc` removes nothing).
fn is_run_slug(line: &str) -> bool {
    !line.is_empty() && line == reports::charts::slug(line)
}

/// Parses the expectations against the labels (bad input before anything runs).
pub fn parse_expectations(texts: &[String], labels: &[String]) -> Result<Vec<expect::Expectation>, UsageError> {
    texts
        .iter()
        .map(|t| expect::parse(t, labels).map_err(|e| UsageError(format!("--expect: {e}"))))
        .collect()
}

/// Refuses, before anything runs, an expectation on a class or service its run will not keep
/// (a scenario without priorities, one service, a misspelt service name).
pub fn check_expectation_groups(expectations: &[expect::Expectation], configs: &[Config]) -> Result<(), UsageError> {
    for e in expectations {
        for side in [&e.lhs, &e.rhs] {
            let expect::Operand::Run { label, figure } = side else {
                continue;
            };
            let problem = configs
                .iter()
                .find(|c| &c.label == label)
                .and_then(|c| c.scenario.figure_problem(figure));
            if let Some(p) = problem {
                return Err(UsageError(format!("--expect `{}`: run `{label}`: {p}", e.text)));
            }
        }
    }
    Ok(())
}

/// A run an expectation names that is not among the entries (labels were checked up front, so
/// only an interruption leaves one out).
fn not_run<'a>(e: &'a expect::Expectation, entries: &[Entry]) -> Option<&'a str> {
    [&e.lhs, &e.rhs].into_iter().find_map(|side| match side {
        expect::Operand::Run { label, .. } if !entries.iter().any(|x| &x.label == label) => Some(label.as_str()),
        _ => None,
    })
}

/// The first of the runs `e` names for which `pick` finds something: its label, and that.
fn in_named_runs<'a, T>(
    e: &'a expect::Expectation,
    entries: &[Entry],
    pick: impl Fn(&Entry) -> Option<T>,
) -> Option<(&'a str, T)> {
    [&e.lhs, &e.rhs].into_iter().find_map(|side| match side {
        expect::Operand::Run { label, .. } => entries
            .iter()
            .filter(|x| &x.label == label)
            .find_map(&pick)
            .map(|found| (label.as_str(), found)),
        _ => None,
    })
}

/// The first run `e` names that was cut off, and how (its results cover only part of the
/// scenario, so comparing it with whole runs says nothing: [`model::results::cut_off`]).
fn cut_short<'a>(e: &'a expect::Expectation, entries: &[Entry]) -> Option<(&'a str, &'static str)> {
    in_named_runs(e, entries, |x| x.runs.iter().find_map(model::results::cut_off))
}

/// A run of the expectation's whose load generator left arrivals unsent: its label, and how many.
fn unsent_in<'a>(e: &'a expect::Expectation, entries: &[Entry]) -> Option<(&'a str, u64)> {
    in_named_runs(e, entries, |x| Some(x.unsent()).filter(|&n| n > 0))
}

/// How the expectations came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every expectation held.
    Held,
    /// One failed on runs the load generator drove on schedule (or one was not judged).
    Failed,
    /// Each failure names a run in which the load generator fell behind its schedule, so none
    /// is a sure verdict on the target.
    Inconclusive,
}

impl Verdict {
    fn of(checked: &[Checked]) -> Verdict {
        if checked.iter().all(|c| c.passed) {
            Verdict::Held
        } else if checked.iter().all(|c| c.passed || c.inconclusive) {
            Verdict::Inconclusive
        } else {
            Verdict::Failed
        }
    }
}

/// Checks the expectations, writes the report, prints the table; returns how they came out.
pub fn conclude(
    title: &str,
    entries: &[Entry],
    expectations: &[expect::Expectation],
    out: &Path,
) -> anyhow::Result<(Verdict, reports::Written)> {
    let checked: Vec<Checked> = expectations
        .iter()
        .map(|e| match not_run(e, entries) {
            // An interrupted comparison stops before its later runs: their expectations are
            // not judged (and fail), which is not bad input.
            Some(label) => Ok(Checked {
                expectation: e.text.clone(),
                passed: false,
                detail: format!("not judged: `{label}` did not run (the comparison was interrupted)"),
                inconclusive: false,
            }),
            None => match cut_short(e, entries) {
                Some((label, how)) => Ok(Checked {
                    expectation: e.text.clone(),
                    passed: false,
                    detail: format!("not judged: `{label}` {how} (its results cover part of the run)"),
                    inconclusive: false,
                }),
                None => match unsent_in(e, entries) {
                    // As a threshold over such a run: a pass proves nothing about the load
                    // the target never saw; inconclusive, not a failure of the target.
                    Some((label, n)) => e.check(entries).map_err(UsageError).map(|c| Checked {
                        passed: false,
                        detail: if c.passed {
                            format!("not judged: `{label}`'s load generator left {n} arrival(s) unsent")
                        } else {
                            c.detail
                        },
                        inconclusive: true,
                        ..c
                    }),
                    None => e.check(entries).map_err(UsageError),
                },
            },
        })
        .collect::<Result<_, _>>()?;
    let report = Report {
        title: title.to_string(),
        entries,
        expectations: &checked,
        baseline: None,
        heatmaps: Vec::new(),
        thresholds_gate: false,
        warnings: Vec::new(),
    };
    let written = reports::write(out, &report)?;
    print!("{}", reports::table::render_text(entries));
    let lagging: Vec<&str> = entries
        .iter()
        .filter(|e| e.lagging())
        .map(|e| e.label.as_str())
        .collect();
    if !lagging.is_empty() {
        println!(
            "WARNING the load generator fell behind its schedule in {}: their latencies include its own delay (each run's card in the report says by how much); rerun on a quieter machine or, if time-compressed, at a lower --time-scale",
            lagging.join(", ")
        );
    }
    for c in &checked {
        println!("{} {}   ({})", c.word(), c.expectation, c.detail);
    }
    let verdict = Verdict::of(&checked);
    if verdict == Verdict::Inconclusive {
        println!(
            "INCONCLUSIVE: every expectation that failed names a run in which the load generator fell behind its schedule by over a tenth of the shortest median client timeout, or left arrivals unsent; rerun on a quieter machine or, if time-compressed, at a lower --time-scale"
        );
    }
    reports::report::append_step_summary_or_warn(&written.summary_md);
    println!("report: {}", written.index.display());
    Ok((verdict, written))
}

/// The largest `--tolerance`, as a fraction: 1000%.
const MAX_TOLERANCE: f64 = 10.0;

/// A tolerance like `10%` or `0.1`, from 0% to 1000%.
fn parse_tolerance(t: &str) -> Result<f64, UsageError> {
    let t = t.trim();
    let v = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t.parse::<f64>(),
    };
    match v {
        // A bare number above 1 is a percentage written without its sign (`10` was 1000%).
        Ok(v) if !t.ends_with('%') && v > 1.0 => Err(UsageError(format!(
            "--tolerance `{t}`: a fraction is at most 1; for {v}% write `{v}%`"
        ))),
        // A relative change beyond +1000% is not a regression gate but no gate: `1e300%`
        // passed everything. Beyond it (or `inf%`, `nan%`) is refused, not clamped.
        Ok(v) if v.is_finite() && v > MAX_TOLERANCE => Err(UsageError(format!(
            "--tolerance `{t}`: at most {}% (a figure eleven times worse; a gate looser than that catches almost nothing)",
            MAX_TOLERANCE * 100.0
        ))),
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(UsageError(format!(
            "--tolerance: expected a percentage like 10% (or a fraction like 0.1), got `{t}`"
        ))),
    }
}

/// A run's results file: `path`, or the `results.json` in a run's directory (as `report`
/// takes it). A directory of replications or of compared runs holds one per run: named.
fn results_file(path: &Path) -> Result<PathBuf, UsageError> {
    if !path.is_dir() {
        return Ok(path.to_path_buf());
    }
    let file = path.join("results.json");
    if file.is_file() {
        return Ok(file);
    }
    let runs = if path.join("replications.json").is_file() {
        // Named from the directory: its seeds are the run's (seed-7.. for a scenario of seed 7).
        let mut seeds: Vec<String> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with("seed-") && path.join(n).join("results.json").is_file())
            .collect();
        seeds.sort_by_key(|n| (n.len(), n.clone()));
        match seeds.first() {
            Some(first) => format!(
                "a --replications directory, with one run per seed: give one seed's, such as {}",
                path.join(first).join("results.json").display()
            ),
            None => "a --replications directory whose seeds hold no results.json".to_string(),
        }
    } else {
        "give a run's results.json, or the directory of one run".to_string()
    };
    Err(UsageError(format!(
        "--baseline: {} is a directory without a results.json: {runs}",
        path.display()
    )))
}

fn baseline(a: &CompareArgs, files: &[PathBuf], out: &Path) -> anyhow::Result<loadgen::Finish> {
    if a.scenario.is_some() || !a.strategies.is_empty() || !a.variants.is_empty() || !a.expect.is_empty() {
        return Err(UsageError(
            "--baseline OLD NEW compares two results files; it takes no scenario, --strategies, --variant or --expect"
                .into(),
        )
        .into());
    }
    // Flags of a run, which --baseline does not make: silently ignored, they read as applied.
    let run_flags = [
        (a.replications != 1, "--replications"),
        (a.seed.is_some(), "--seed"),
        (a.time_scale.is_some(), "--time-scale"),
        (a.mode == Mode::Live, "--mode live"),
    ];
    if let Some((_, flag)) = run_flags.iter().find(|(given, _)| *given) {
        return Err(UsageError(format!(
            "{flag} applies to runs, and --baseline OLD NEW runs nothing: it compares two results files as they are"
        ))
        .into());
    }
    let tolerance = parse_tolerance(a.tolerance.as_deref().unwrap_or("10%"))?;
    let (old_file, new_file) = (results_file(&files[0])?, results_file(&files[1])?);
    // As `report` reads them, with its messages (an empty file, `[]`, bytes not UTF-8).
    let old = crate::report_cmd::load_results(&old_file)?;
    let new = crate::report_cmd::load_results(&new_file)?;
    // One file twice compares a run with itself: every row "same", a job that passes for ever
    // (also given once as its run's directory).
    if let (Ok(o), Ok(n)) = (std::fs::canonicalize(&old_file), std::fs::canonicalize(&new_file)) {
        if o == n {
            return Err(UsageError(format!(
                "--baseline: OLD and NEW are the same file ({}); give the baseline's results and the new run's",
                o.display()
            ))
            .into());
        }
    }
    let rows = reports::baseline::compare(&old, &new, tolerance);
    // Named again last: with ten services the table runs to sixty rows.
    let listed = reports::baseline::regressions_list(&rows, 12);
    let problems = reports::baseline::problems(&old, &new);
    print!("{}", reports::baseline::render(&rows, tolerance));
    for p in &problems {
        tracing::error!("{}: the comparison fails", p.detail);
    }
    let regressions = rows
        .iter()
        .filter(|r| r.change == reports::baseline::Change::Regression)
        .count();
    // Figures that partly describe the load generator (stderr and summary.md say why, as
    // mismatches): the exit code says so too.
    let doubts = reports::baseline::generator_doubts(&old, &new);
    let finish = baseline_finish(regressions, problems.is_empty(), &old, &new);
    let entries = [
        Entry::new(format!("baseline ({})", old.strategy), vec![old]),
        Entry::new(format!("new ({})", new.strategy), vec![new]),
    ];
    // Named by the runs, so a CI job's sim and live baselines list distinct junit cases.
    let source = |r: &Results| match r.source {
        model::results::RunSource::Sim => "sim",
        model::results::RunSource::Live => "live",
    };
    let title = format!(
        "baseline comparison: {} ({} vs {})",
        reports::entry::scenario_of(&entries[1].runs[0]),
        source(&entries[0].runs[0]),
        source(&entries[1].runs[0])
    );
    let report = Report {
        title,
        entries: &entries,
        expectations: &[],
        baseline: Some(Baseline {
            old: files[0].display().to_string(),
            new: files[1].display().to_string(),
            tolerance,
            rows,
            problems: problems.clone(),
        }),
        heatmaps: Vec::new(),
        // The baseline's regressions are the gate; the runs' own thresholds only inform.
        thresholds_gate: false,
        warnings: Vec::new(),
    };
    let written = reports::write(out, &report)?;
    reports::report::append_step_summary_or_warn(&written.summary_md);
    if !listed.is_empty() {
        println!("regressions:");
        for l in &listed {
            println!("  {l}");
        }
    }
    println!(
        "{regressions} regression(s) beyond {}{}; report: {}",
        reports::baseline::fmt_tolerance(tolerance),
        if problems.is_empty() {
            String::new()
        } else {
            let why: Vec<&str> = problems.iter().map(|p| p.detail.as_str()).collect();
            format!("; FAILED: {}", why.join("; "))
        },
        written.index.display()
    );
    if finish == loadgen::Finish::Inconclusive {
        println!(
            "INCONCLUSIVE (exit code 4): {}",
            if regressions == 0 {
                "no regression, but over a load the target never saw in full: a pass proves nothing of it"
            } else {
                "the regressions may be the load generator's, not the change's"
            }
        );
        for d in &doubts {
            println!("  {d}");
        }
    }
    Ok(finish)
}

/// How a baseline comparison ends ([`reports::baseline::outcome`]), as `compare`'s exit.
fn baseline_finish(regressions: usize, complete: bool, old: &Results, new: &Results) -> loadgen::Finish {
    match reports::baseline::outcome(regressions, complete, old, new) {
        reports::baseline::Outcome::Passed => loadgen::Finish::Passed,
        reports::baseline::Outcome::Failed => loadgen::Finish::ThresholdFailed,
        reports::baseline::Outcome::Inconclusive => loadgen::Finish::Inconclusive,
    }
}

/// `spillway compare`.
pub async fn run(a: CompareArgs) -> anyhow::Result<loadgen::Finish> {
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(if a.baseline.is_some() {
            "out/baseline"
        } else {
            "out/compare"
        })
    });
    if let Some(files) = &a.baseline {
        model::check_out_dir(&out)?;
        return baseline(&a, files, &out);
    }
    let Some(path) = &a.scenario else {
        return Err(UsageError("give a scenario file to compare strategies on, or --baseline OLD NEW".into()).into());
    };
    if a.tolerance.is_some() {
        return Err(UsageError(
            "--tolerance applies to --baseline OLD NEW; expectations take none (they hold beyond the runs' confidence intervals): for a margin between two labels, compare their results with --baseline OUT/A OUT/B --tolerance".into(),
        )
        .into());
    }
    // The value itself was checked by its parser (`parse_time_scale`).
    if a.time_scale.is_some() && a.mode == Mode::Sim {
        return Err(UsageError("--time-scale applies to --mode live only".into()).into());
    }
    let base = scenario::load(path)?;
    let configs = configs(&base, &a.strategies, &a.variants)?;
    if a.mode == Mode::Sim {
        check_sim_variants(&a.variants)?;
    }
    // Before any run, but after the scenario: a bad file leaves no empty directory behind.
    model::check_out_dir(&out)?;
    model::check_input_not_output(path, "scenario", &out, compare_writes)?;
    // What holds for every configuration compared (a [gateway.codel] table is no mistake when
    // one of them runs codel).
    let mut warnings = base.warnings();
    for c in &configs {
        let theirs = c.scenario.warnings();
        warnings.retain(|w| theirs.contains(w));
    }
    // What holds for some: said with their label (a variant's `backoff = "none"` under the
    // file's jitter), except a strategy's table unused by the others, kept for the one using it.
    for c in &configs {
        for w in c.scenario.warnings() {
            let unused_table = w.starts_with("gateway.codel:") || w.starts_with("gateway.adaptive:");
            if !warnings.contains(&w) && !unused_table {
                tracing::warn!("{}: {w}", c.label);
            }
        }
    }
    for w in warnings {
        tracing::warn!("{w}");
    }
    let labels: Vec<String> = configs.iter().map(|c| c.label.clone()).collect();
    let expectations = parse_expectations(&a.expect, &labels)?;
    check_expectation_groups(&expectations, &configs)?;
    // Said once the command line is known good: before an error it read as its cause.
    // On stderr, as `sim run` logs it: stdout is the results table.
    for c in &configs {
        if let (Some(note), Some(advice)) = (&c.sized_note, &c.sized_advice) {
            tracing::info!("{note}; {advice}");
        }
    }
    let seed = a.seed.unwrap_or(base.seed());
    sim::replication_seeds(seed, a.replications, a.seed.is_some())?;
    let (entries, interrupted) = match a.mode {
        Mode::Sim => (run_sim(&configs, seed, a.replications), false),
        Mode::Live => run_live(&configs, seed, a.replications, a.time_scale).await?,
    };
    save_runs(&entries, &out)?;
    let mode = match a.mode {
        Mode::Sim => "sim",
        Mode::Live => "live",
    };
    let cut = if interrupted { ", interrupted" } else { "" };
    let title = format!("{}: {} ({mode}{cut})", base.name(), labels.join(" vs "));
    let (verdict, _) = conclude(&title, &entries, &expectations, &out)?;
    if interrupted {
        println!("{}", interrupted_line(&entries, &labels));
    }
    Ok(finish(interrupted, verdict))
}

/// What an interrupted comparison says last: which run it stopped in, and which it never made.
fn interrupted_line(entries: &[Entry], labels: &[String]) -> String {
    let stopped = entries
        .last()
        .map_or("the first run".to_string(), |e| format!("`{}`'s run", e.label));
    let skipped: Vec<String> = labels
        .iter()
        .filter(|l| !entries.iter().any(|e| &e.label == *l))
        .map(|l| format!("`{l}`"))
        .collect();
    let skipped = if skipped.is_empty() {
        String::new()
    } else {
        format!("; not run: {}", skipped.join(", "))
    };
    format!("INTERRUPTED in {stopped} (its results cover part of it and are marked incomplete){skipped}")
}

/// How a run of runs ended: interrupted, every expectation held, or one failed (for sure, or
/// only where the generator fell behind).
pub fn finish(interrupted: bool, verdict: Verdict) -> loadgen::Finish {
    match verdict {
        _ if interrupted => loadgen::Finish::Interrupted,
        Verdict::Held => loadgen::Finish::Passed,
        Verdict::Failed => loadgen::Finish::ThresholdFailed,
        Verdict::Inconclusive => loadgen::Finish::Inconclusive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exit 4 only when every failure is the generator's doubt: one sure failure beside an
    /// inconclusive one is a failure (exit 3).
    #[test]
    fn the_verdict_is_inconclusive_only_when_every_failure_is() {
        let c = |passed, inconclusive| Checked {
            expectation: "e".into(),
            passed,
            detail: String::new(),
            inconclusive,
        };
        assert_eq!(Verdict::of(&[c(true, false), c(true, false)]), Verdict::Held);
        assert_eq!(Verdict::of(&[c(true, false), c(false, true)]), Verdict::Inconclusive);
        assert_eq!(Verdict::of(&[c(false, false), c(false, true)]), Verdict::Failed);
        assert_eq!(Verdict::of(&[c(false, false)]), Verdict::Failed);
        assert_eq!(finish(false, Verdict::Inconclusive), loadgen::Finish::Inconclusive);
        assert_eq!(finish(true, Verdict::Inconclusive), loadgen::Finish::Interrupted);
        assert_eq!(finish(false, Verdict::Failed), loadgen::Finish::ThresholdFailed);
    }

    /// An empty name in --strategies (`fifo,,deadline`) is refused, as an empty --vary value
    /// is; a name given twice too.
    #[test]
    fn strategies_with_an_empty_or_repeated_name_are_refused() {
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"5s\"\nrate = 10\n[[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let names = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let e = configs(&s, &names(&["fifo", "", "deadline"]), &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("an empty name"), "{e}");
        let e = configs(&s, &names(&["fifo", "fifo"]), &[]).unwrap_err().to_string();
        assert!(e.contains("`fifo` is named twice in --strategies"), "{e}");
        // A strategy and a variant of one name: the error says which two, and what to do.
        let e = configs(
            &s,
            &names(&["fifo", "bounded"]),
            &names(&["bounded:gateway.strategy=bounded;gateway.queue_capacity=20"]),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("`bounded` is named by --strategies and by a --variant: give the variant another name"),
            "{e}"
        );
        let e = configs(
            &s,
            &[],
            &names(&["a:gateway.strategy=fifo", "a:gateway.strategy=bounded"]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`a` is named by two --variant"), "{e}");
        assert_eq!(configs(&s, &names(&["fifo", "deadline"]), &[]).unwrap().len(), 2);
        // A variant's own seed was silently replaced by the comparison's (same traffic for all).
        let e = configs(&s, &[], &names(&["s8:run.seed=8;gateway.strategy=fifo"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("every configuration runs on the same seeds"), "{e}");
    }

    /// A key given twice in one variant was taken at its last value, silently; a name an
    /// expectation cannot name (`a<b`) was accepted, and `--expect "a<b.p99 < 1s"` then failed;
    /// a variant that sets nothing ran the base scenario again.
    #[test]
    fn a_simulated_variant_of_a_key_the_simulator_never_reads_is_refused() {
        let e = check_sim_variants(&["ct:gateway.connect_timeout=5s".to_string()])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--variant ct: `gateway.connect_timeout`: "), "{e}");
        assert!(e.contains("compare it with --mode live"), "{e}");
        // The method is read (gateway retries of idempotent methods only).
        assert!(check_sim_variants(&["post:gateway.concurrency=2;clients.request.method=POST".to_string()]).is_ok());
    }

    /// A label is read by no run, so its refusal does not send the user to --mode live; a
    /// variant that sets a real key beside an ignored one is no copy of its base scenario,
    /// and its refusal names the ignored key as a setting the simulator ignores.
    #[test]
    fn refusals_of_ignored_keys_give_true_advice() {
        let refused = |spec: &str| check_sim_variants(&[spec.to_string()]).unwrap_err().to_string();
        for spec in [
            "n:run.name=x",
            "n:workload.phases[0].name=x",
            "n:run.description=x;run.name=y",
        ] {
            let e = refused(spec);
            assert!(e.contains("label") && e.contains("no run reads"), "{e}");
            assert!(!e.contains("--mode live"), "{e}");
        }
        let e = refused("v:gateway.concurrency=1;clients.request.headers.x-tenant=t1");
        assert!(
            e.starts_with("--variant v: `clients.request.headers.x-tenant`: ")
                && e.contains("so the simulator ignores it"),
            "{e}"
        );
        assert!(!e.contains("base scenario again"), "{e}");
        let e = refused("v:gateway.concurrency=1;workload.phases[0].name=x");
        assert!(
            e.contains("`workload.phases[0].name`") && !e.contains("base scenario again"),
            "{e}"
        );
        assert!(!e.contains("--mode live"), "{e}");
        // An admin-endpoint guard is live-only too.
        let e = refused("p:gateway.auth.protect_admin=true");
        assert!(e.contains("compare it with --mode live"), "{e}");
    }

    /// A scenario of one 5 s phase and a service of 2 workers per name.
    fn services(names: &[&str]) -> Scenario {
        let mut text = String::from("[[workload.phases]]\nduration = \"5s\"\nrate = 10\n");
        for n in names {
            text.push_str(&format!(
                "[[backend.services]]\nname = \"{n}\"\nworkers = 2\nservice_time = \"10ms\"\n"
            ));
        }
        model::scenario::parse("t.toml", &text).unwrap()
    }

    /// Why `configs` refuses the one variant `spec` (a test fails if it accepts it).
    fn refusal(s: &Scenario, spec: &str) -> String {
        configs(s, &[], &[spec.to_string()])
            .err()
            .unwrap_or_else(|| panic!("{spec} accepted"))
            .to_string()
    }

    /// Two spellings of one field in a variant (a service entry by name and by index, a quoted
    /// key and a bare one) were taken as two keys, the last value silently winning.
    #[test]
    fn a_field_given_twice_under_two_spellings_is_refused() {
        let s = services(&["a", "b"]);
        let refused = |spec: &str| refusal(&s, spec);
        let e = refused("v:backend.services[a].workers=3;backend.services[0].workers=5");
        assert!(
            e.contains("`backend.services[a].workers` and `backend.services[0].workers` set the same field"),
            "{e}"
        );
        let e = refused(r#"v:gateway.concurrency=3;"gateway".concurrency=5"#);
        assert!(e.contains("set the same field"), "{e}");
        // Different entries are different fields.
        assert!(configs(
            &s,
            &[],
            &["v:backend.services[a].workers=3;backend.services[1].workers=5".to_string()]
        )
        .is_ok());
    }

    #[test]
    fn variants_set_each_key_once_have_nameable_names_and_set_something() {
        let s = services(&["s"]);
        let refused = |spec: &str| refusal(&s, spec);
        let e = refused("a:gateway.concurrency=3;gateway.concurrency=4");
        assert!(e.contains("--variant a: `gateway.concurrency` given twice"), "{e}");
        for (spec, shown) in [
            ("a<b:gateway.concurrency=3", "`<`"),
            ("a>=b:gateway.concurrency=3", "`>`"),
            ("a!b:gateway.concurrency=3", "`!`"),
            ("a.b:gateway.concurrency=3", "`.`"),
            ("a b:gateway.concurrency=3", "' '"),
            ("a\u{1b}b:gateway.concurrency=3", "'\\u{1b}'"),
            ("café:gateway.concurrency=3", "`é`"),
        ] {
            let e = refused(spec);
            assert!(e.contains(&format!("the name cannot hold {shown}")), "{spec}: {e}");
            assert!(e.contains("ASCII letters, digits, `-` and `_`"), "{spec}: {e}");
        }
        assert!(refused(":gateway.concurrency=3").contains("the name is empty"));
        for spec in ["a:", "a: ; ;"] {
            let e = refused(spec);
            assert!(
                e.contains("sets nothing, so it would run the base scenario again"),
                "{spec}: {e}"
            );
        }
        // What an expectation names is accepted, and named by it.
        let c = configs(&s, &[], &["Fast_2-b:gateway.concurrency=3".to_string()]).unwrap();
        let labels: Vec<String> = c.iter().map(|c| c.label.clone()).collect();
        assert!(parse_expectations(&["Fast_2-b.p99 < 1s".to_string()], &labels).is_ok());
    }

    /// `--tolerance 10` read as a fraction was 1000%, so a +211% regression passed.
    #[test]
    fn a_tolerance_is_a_percentage_or_a_fraction() {
        assert_eq!(parse_tolerance("10%").ok(), Some(0.1));
        assert_eq!(parse_tolerance("0.1").ok(), Some(0.1));
        assert_eq!(parse_tolerance("1").ok(), Some(1.0));
        let e = parse_tolerance("10").unwrap_err().to_string();
        assert!(e.contains("write `10%`"), "{e}");
        assert!(parse_tolerance("-5%").is_err() && parse_tolerance("x").is_err());
    }

    /// `--tolerance 1e300%` was accepted: no regression could fail it.
    #[test]
    fn an_absurd_or_infinite_tolerance_is_refused() {
        assert_eq!(parse_tolerance("1000%").ok(), Some(10.0));
        for t in ["1e300%", "1001%", "inf%", "NaN%", "1e400%"] {
            let e = parse_tolerance(t).unwrap_err().to_string();
            assert!(e.starts_with("--tolerance"), "{t}: {e}");
        }
        let e = parse_tolerance("1e300%").unwrap_err().to_string();
        assert!(e.contains("at most 1000%"), "{e}");
    }

    /// An interrupted comparison has fewer entries than labels: expectations on the runs that
    /// never ran fail as not judged (exit 130 follows), instead of "no run labelled" (exit 2)
    /// and no report at all.
    #[test]
    fn expectations_on_runs_an_interruption_skipped_are_not_judged() {
        let s = model::scenario::parse(
            "t.toml",
            "[[workload.phases]]\nduration = \"5s\"\nrate = 10\n[[backend.services]]\nname = \"s\"\nworkers = 2\nservice_time = \"10ms\"\n",
        )
        .unwrap();
        let entries = vec![Entry::new("fifo", vec![sim::simulate(&s, Some(1))])];
        let labels = vec!["fifo".to_string(), "deadline".to_string()];
        // What the terminal says last, with or without expectations.
        assert_eq!(
            interrupted_line(&entries, &labels),
            "INTERRUPTED in `fifo`'s run (its results cover part of it and are marked incomplete); not run: `deadline`"
        );
        let expectations = parse_expectations(
            &[
                "deadline.goodput_ratio > fifo.goodput_ratio".into(),
                "fifo.goodput_ratio > 0.5".into(),
            ],
            &labels,
        )
        .unwrap();
        let out = std::env::temp_dir().join(format!("spillway-interrupted-{}", std::process::id()));
        let (verdict, written) = conclude("t", &entries, &expectations, &out).unwrap();
        assert_eq!(verdict, Verdict::Failed);
        let md = std::fs::read_to_string(&written.summary_md).unwrap();
        assert!(md.contains("not judged: `deadline` did not run"), "{md}");
        assert!(md.contains("Expectations: 1 of 2 hold"), "{md}");
        // A live run cut short by the interruption is not compared with whole runs either: its
        // goodput over the seconds before Ctrl-C once made `deadline > fifo` HOLD.
        let mut cut = sim::simulate(&s, Some(1));
        (cut.source, cut.incomplete) = (model::results::RunSource::Live, true);
        let mut entries = entries;
        entries.push(Entry::new("deadline", vec![cut]));
        let (verdict, written) = conclude("t", &entries, &expectations, &out).unwrap();
        assert_eq!(verdict, Verdict::Failed);
        let md = std::fs::read_to_string(&written.summary_md).unwrap();
        assert!(md.contains("not judged: `deadline` was interrupted"), "{md}");
        // A simulated run stopped at the closed-loop cap is judged as before.
        entries[1].runs[0].source = model::results::RunSource::Sim;
        let (_, written) = conclude("t", &entries, &expectations, &out).unwrap();
        let md = std::fs::read_to_string(&written.summary_md).unwrap();
        assert!(!md.contains("not judged"), "{md}");
        // One stopped at its cap on requests held (a blow-up) is not: its goodput over the part
        // before it stopped could make any expectation hold.
        entries[1].runs[0].stopped = Some("stopped at 789s: 4000001 requests held at once, the simulator's cap".into());
        let (verdict, written) = conclude("t", &entries, &expectations, &out).unwrap();
        assert_eq!(verdict, Verdict::Failed);
        let md = std::fs::read_to_string(&written.summary_md).unwrap();
        assert!(
            md.contains("not judged: `deadline` stopped early, at the simulator's cap"),
            "{md}"
        );
        // A live run whose generator left arrivals unsent: an expectation that held on it is
        // not judged, and inconclusive (exit 4), as a threshold over it is.
        let mut live = sim::simulate(&s, Some(1));
        live.source = model::results::RunSource::Live;
        live.generator = Some(model::results::GeneratorHealth {
            lateness_p99_s: 0.0,
            unsent: 7,
            lagging: true,
            ..Default::default()
        });
        entries[1] = Entry::new("deadline", vec![live]);
        let held = parse_expectations(&["deadline.goodput_ratio > 0.5".into()], &labels).unwrap();
        let (verdict, written) = conclude("t", &entries, &held, &out).unwrap();
        assert_eq!(verdict, Verdict::Inconclusive);
        let md = std::fs::read_to_string(&written.summary_md).unwrap();
        assert!(
            md.contains("not judged: `deadline`'s load generator left 7 arrival(s) unsent"),
            "{md}"
        );
        let _ = std::fs::remove_dir_all(&out);
    }

    /// `compare --baseline OLD NEW` against a new run whose load generator left 236 of 608
    /// arrivals unsent (out of file descriptors) exited 3, "goodput REGRESSION", with nothing on
    /// stdout or stderr naming the generator and no row showing the load differed. Now a
    /// regression beside a generator in doubt is inconclusive (exit 4), and so is a pass over
    /// a load the target never saw in full; a pass beside a lag alone stands, and an
    /// incomplete run fails for sure.
    #[test]
    fn a_regression_beside_a_generator_in_doubt_is_inconclusive() {
        use clap::Parser as _;
        use loadgen::Finish;
        use model::results::GeneratorHealth;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            compare: CompareArgs,
        }
        // The new run's generator sent 60% of the load: a run at 120/s stands for it.
        let run = |rate: u32| {
            let s = model::scenario::parse(
                "t.toml",
                &format!("[[workload.phases]]\nduration = \"3s\"\nrate = {rate}\n[clients]\ntimeout = \"5s\"\n[[backend.services]]\nname = \"s\"\nworkers = 8\nservice_time = \"10ms\"\n"),
            )
            .unwrap();
            let mut r = sim::simulate(&s, Some(1));
            r.source = model::results::RunSource::Live;
            r
        };
        let (old, new) = (run(200), run(120));
        let kept = new.summary.whole.offered;
        let unsent = GeneratorHealth {
            unsent: old.summary.whole.offered - kept,
            lagging: true,
            ..Default::default()
        };
        let lag = GeneratorHealth {
            lateness_p99_s: 1.0,
            lagging: true,
            late_sends: Some(100),
            ..Default::default()
        };
        let with = |r: &Results, g: &GeneratorHealth| Results {
            generator: Some(g.clone()),
            ..r.clone()
        };
        let cases = [
            (old.clone(), new.clone(), Finish::ThresholdFailed, "a sure regression"),
            (
                old.clone(),
                with(&new, &unsent),
                Finish::Inconclusive,
                "unsent, regression",
            ),
            (
                with(&old, &lag),
                new.clone(),
                Finish::Inconclusive,
                "a lagging baseline, regression",
            ),
            (
                old.clone(),
                with(&old, &unsent),
                Finish::Inconclusive,
                "unsent, no regression",
            ),
            (
                old.clone(),
                with(&old, &lag),
                Finish::Passed,
                "a lag alone, no regression",
            ),
            (old.clone(), old.clone(), Finish::Passed, "the same"),
        ];
        let dir = std::env::temp_dir().join(format!("spillway-baseline-doubt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (i, (a, b, want, what)) in cases.iter().enumerate() {
            let (pa, pb, out) = (
                dir.join(format!("{i}/old")),
                dir.join(format!("{i}/new")),
                dir.join(format!("{i}/report")),
            );
            a.save(&pa).unwrap();
            b.save(&pb).unwrap();
            let files = [pa.clone(), pb.clone()];
            let args = Cli::parse_from([
                "compare".as_ref(),
                "--baseline".as_ref(),
                pa.as_os_str(),
                pb.as_os_str(),
            ])
            .compare;
            let finish = baseline(&args, &files, &out).unwrap();
            assert_eq!(finish, *want, "{what}");
            let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
            assert!(md.contains("offered_rate"), "{what}: the load has its row:\n{md}");
            if b.generator.as_ref().is_some_and(|g| g.unsent > 0) {
                assert!(
                    md.contains("the new run's load generator left") && md.contains("arrivals unsent"),
                    "{what}: summary.md says why:\n{md}"
                );
            }
        }
        // An incomplete run fails whatever the generator did.
        let mut cut = with(&new, &unsent);
        cut.incomplete = true;
        assert_eq!(baseline_finish(1, false, &old, &cut), Finish::ThresholdFailed);
        assert_eq!(baseline_finish(0, false, &old, &cut), Finish::ThresholdFailed);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
