//! `spillway report`: charts and an HTML report from results files (sim or live, mixed) and
//! sweep tables.

use clap::Args;
use model::results::Results;
use model::threshold::Figure;
use model::UsageError;
use reports::charts::Heatmap;
use reports::{Entry, Report};
use sim::sweep::Point;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Draw charts and write index.html, summary.md and junit.xml from results files.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  spillway report out/sim/results.json out/live/results.json -o out/report
  spillway report out/sweep/sweep.json --objective p99
  spillway report nginx-queue=out/nginx/results.json envoy-shed=out/envoy/results.json

Writes DIR/index.html (self-contained), DIR/summary.md, DIR/junit.xml and each chart as PNG and SVG.

Exit codes: 0 the report is written (junit.xml lists each run's failed thresholds as failures; the
commands that made the runs gate on them); 2 bad input (a file that is not results, a sweep table
or a replications directory; a bad --objective).")]
pub struct ReportArgs {
    /// results.json files (or directories holding one), directories of `sim run
    /// --replications` (their seeds as one entry, with confidence intervals), and sweep.json
    /// tables from `sim sweep` (or their directories). `LABEL=FILE` names the entry (default: its strategy and source,
    /// e.g. "fifo (sim)", which two runs against external targets share).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output directory.
    #[arg(short, long, value_name = "DIR", default_value = "out/report")]
    pub out: PathBuf,
    /// Page title (default: the scenario's name).
    #[arg(long)]
    pub title: Option<String>,
    /// For sweep tables: the figure the heatmap colours and the best configuration is chosen
    /// by (goodput_ratio, goodput, p50, p99, amplification, wasted, recovery, or a class's or a
    /// service's figure such as "service[billing].goodput_ratio", or the worst service's,
    /// "service[*].goodput_ratio"). Default: the sweep's own
    /// --objective (goodput_ratio for tables of older versions).
    #[arg(long, value_name = "METRIC")]
    pub objective: Option<String>,
}

fn read(path: &Path) -> anyhow::Result<(PathBuf, String)> {
    let file = if path.is_dir() {
        let results = path.join("results.json");
        let sweep = path.join("sweep.json");
        // A sweep's directory is read as its table, as a run's is read as its results.json.
        if !results.exists() && sweep.is_file() {
            sweep
        } else {
            if !results.exists() {
                if let Some(hint) = runs_inside(path) {
                    return Err(UsageError(hint).into());
                }
            }
            results
        }
    } else {
        path.to_path_buf()
    };
    let text = read_text(&file, "a spillway results file")?;
    // A byte order mark some editors write: JSON has none, scenario files take one.
    let text = match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    };
    Ok((file, text))
}

/// What is wrong with `text`, read from `file` (named as `kind`), before it is parsed: it is
/// empty, or it is a JSON array where results are expected.
fn shape_problem(file: &Path, text: &str, kind: Named) -> Option<UsageError> {
    if text.trim().is_empty() {
        let what = match kind {
            Named::Sweep => "not a sweep table",
            Named::Results => "not a spillway results file",
            Named::Other => "neither a spillway results file nor a sweep table",
        };
        return Some(UsageError(format!("{}: {what}: the file is empty", file.display())));
    }
    if kind == Named::Results && text.trim_start().starts_with('[') {
        return Some(UsageError(format!(
            "{}: not a spillway results file: this is a JSON array, not a results object (a run's figures)",
            file.display()
        )));
    }
    // An array that is no table of points (whose items are objects) reads as neither: said so,
    // rather than the results parser's "trailing characters" after its first item.
    let items = text.trim_start().strip_prefix('[').map(str::trim_start);
    if kind == Named::Other && items.is_some_and(|t| !t.starts_with(['{', ']'])) {
        // Parsed whole, on this error path alone (a file that is no table nor results).
        if let Ok(serde_json::Value::Array(_)) = serde_json::from_str(text) {
            return Some(UsageError(format!(
                "{}: neither a spillway results file nor a sweep table: a JSON array whose items are not objects (a results file is one object; a sweep table's points are objects)",
                file.display()
            )));
        }
    }
    None
}

/// A run's results file read and checked as `report` reads one, with its messages (for
/// `compare --baseline`, whose files are results whatever their names).
pub fn load_results(file: &Path) -> anyhow::Result<Results> {
    let (file, text) = read(file)?;
    if let Some(e) = shape_problem(&file, &text, Named::Results) {
        return Err(e.into());
    }
    Ok(Results::from_json(&file.display().to_string(), &text)?)
}

/// What a file's name says it is: spillway names a run's file results.json and a sweep's
/// sweep.json, so such a file that reads as neither is called by its name ("not a sweep
/// table: the file is empty"), not by a guess from its text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Named {
    Results,
    Sweep,
    Other,
}

fn named(file: &Path) -> Named {
    match file.file_name().and_then(|n| n.to_str()) {
        Some("results.json") => Named::Results,
        Some("sweep.json") => Named::Sweep,
        _ => Named::Other,
    }
}

/// The verdicts a sweep's point has: the whole run's, `-` without one, `stopped` for a run
/// the simulator stopped at its cap.
const POINT_VERDICTS: [&str; 6] = ["stable", "recovered", "metastable", "overloaded", "-", "stopped"];

/// The longest scenario or service name a sweep table's labels take (as a results file's).
const MAX_NAME_CHARS: usize = 256;

/// A name the page, summary.md and junit.xml show: one line, no control characters, of a
/// bounded length (as a results file's names).
fn name_problem(name: &str) -> Option<String> {
    model::results::text_problem(name, "a name", MAX_NAME_CHARS)
}

/// How many characters of a refused `--title` its error repeats.
const SHOWN_TITLE_CHARS: usize = 64;

/// A refused `--title` as its error shows it: its first [`SHOWN_TITLE_CHARS`] characters,
/// escaped, then `...`; a megabyte title was repeated whole.
fn shown_title(t: &str) -> String {
    match t.char_indices().nth(SHOWN_TITLE_CHARS) {
        Some((i, _)) => format!("{}...", t[..i].escape_debug()),
        None => t.escape_debug().to_string(),
    }
}

/// Whether the sweep's scenario evidently has no trigger phase: the table records none
/// (`bursts`), no point recovered or stayed metastable (verdicts of a run after a trigger),
/// and some point or group is `stable`, which only a run without a trigger is. (Tables of
/// older versions record no `bursts` at all: without a `stable` verdict nothing is assumed.)
fn evidently_no_trigger(table: &sim::sweep::Table) -> bool {
    use model::results::Verdict;
    if !table.bursts.is_empty() {
        return false;
    }
    let groups = |p: &Point| -> Vec<Option<Verdict>> {
        p.classes
            .values()
            .chain(p.services.values())
            .map(|g| g.verdict)
            .collect()
    };
    let after_trigger = table.points.iter().any(|p| {
        matches!(p.verdict.as_str(), "recovered" | "metastable")
            || p.recovery_s.is_some()
            || groups(p)
                .iter()
                .any(|v| matches!(v, Some(Verdict::Recovered | Verdict::Metastable)))
    });
    let stable = table
        .points
        .iter()
        .any(|p| p.verdict == "stable" || groups(p).contains(&Some(Verdict::Stable)));
    !after_trigger && stable
}

/// What `sim sweep` says of a recovery figure for a scenario without a trigger phase
/// (`Scenario::figure_problem`): the table keeps no scenario to ask, so its points tell.
fn recovery_problem(figure: &Figure, table: &sim::sweep::Table) -> Option<String> {
    (figure.metric == model::threshold::Metric::Recovery && evidently_no_trigger(table)).then(|| {
        format!(
            "`{figure}`: recovery is measured from the end of a trigger phase, and the sweep's scenario{} has none (its points are `stable`, which only a run without a trigger is; `sim sweep` refuses this objective for it)",
            table
                .scenario
                .as_ref()
                .map_or(String::new(), |n| format!(" ({n})"))
        )
    })
}

/// Refuses what no sweep writes, naming the field: `Table::check` checks the figures of each
/// point; this the rest (the verdicts, the SLOs, the axes, the points' configurations),
/// which a report would otherwise print as it is ("(zzz there)"), judge by (an SLO no check
/// reads, counted as met) or misread (points of other axes taken for an interrupted sweep).
/// `object`: the table is an object (tables of older versions are a bare array of points,
/// with no SLO text, objective or bursts).
fn check_table(table: &sim::sweep::Table, object: bool) -> Result<(), String> {
    if table.points.is_empty() {
        return Err(
            "points: empty: a sweep writes at least one point (one interrupted before any finished writes no table)"
                .into(),
        );
    }
    if let Some(problem) = table.scenario.as_deref().and_then(name_problem) {
        return Err(format!("scenario: {problem}"));
    }
    if object && !table.objective.is_empty() {
        let objective = sim::sweep::parse_objective(&table.objective)
            .map_err(|e| format!("objective: `{}`: {e}", table.objective.escape_debug()))?;
        if let Some(problem) = recovery_problem(&objective, table) {
            return Err(format!("objective: {problem}"));
        }
        if !table.points.iter().any(|p| p.keeps(&objective)) {
            return Err(format!(
                "objective: `{objective}`: no point keeps it (a group the sweep's scenario does not keep)"
            ));
        }
    }
    let mut slos: Vec<model::threshold::Threshold> = Vec::new();
    if object {
        for (k, text) in table.slo.iter().enumerate() {
            let t: model::threshold::Threshold = text
                .parse()
                .map_err(|e: String| format!("slo[{k}]: `{}`: {e}", text.escape_debug()))?;
            if let Some(j) = slos.iter().position(|s| s.same_check(&t)) {
                return Err(format!(
                    "slo[{k}]: `{text}`: the same check as slo[{j}]; a sweep judges each SLO once"
                ));
            }
            if let Some(problem) = recovery_problem(&t.figure, table) {
                return Err(format!("slo[{k}]: {problem}"));
            }
            slos.push(t);
        }
    }
    // The trigger phases' indexes, in phase order, each once (as `sim sweep` records them).
    if let Some(k) = (1..table.bursts.len()).find(|&k| table.bursts[k] <= table.bursts[k - 1]) {
        return Err(format!(
            "bursts[{k}]: {}: after {}: the indexes of the scenario's trigger phases are recorded in order, each once",
            table.bursts[k],
            table.bursts[k - 1]
        ));
    }
    let axes: Vec<&str> = table.points[0].params.iter().map(|(k, _)| k.as_str()).collect();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(table.points.len());
    for (i, p) in table.points.iter().enumerate() {
        let at = |f: &str| format!("points[{i}].{f}");
        if p.params.is_empty() {
            return Err(format!(
                "{}: empty: each point names its value on every axis of the sweep",
                at("params")
            ));
        }
        let keys: Vec<&str> = p.params.iter().map(|(k, _)| k.as_str()).collect();
        if let Some((j, k)) = keys.iter().enumerate().find(|(j, k)| keys[..*j].contains(k)) {
            return Err(format!("{}: the axis `{k}` twice", at(&format!("params[{j}]"))));
        }
        if keys != axes {
            return Err(format!(
                "{}: the axes {}, but points[0] has {}: every point of a sweep has the same axes, in the same order",
                at("params"),
                keys.join(", "),
                axes.join(", ")
            ));
        }
        for (j, (k, v)) in p.params.iter().enumerate() {
            let field = || at(&format!("params[{j}]"));
            let bad_value = match v {
                serde_json::Value::String(s) if k == "gateway.strategy" => {
                    (!model::scenario::Strategy::ALL.iter().any(|x| x.as_str() == s))
                        .then(|| format!("unknown strategy `{}`", s.escape_debug()))
                }
                serde_json::Value::Null => None,
                _ if k == "gateway.strategy" => Some("expected a strategy's name".to_string()),
                serde_json::Value::Number(n)
                    if k.starts_with("workload.phases[") && (k.ends_with(".rate") || k.ends_with(".ramp_to")) =>
                {
                    (n.as_f64().is_none_or(|r| !r.is_finite() || r < 0.0)).then(|| "expected a rate >= 0".to_string())
                }
                _ if k.starts_with("workload.phases[") && (k.ends_with(".rate") || k.ends_with(".ramp_to")) => {
                    Some("expected a rate (a number of intents per second)".to_string())
                }
                serde_json::Value::String(s) => name_problem(s),
                _ => None,
            };
            if let Some(why) = bad_value {
                return Err(format!(
                    "{}: `{k}` = {}: {why}",
                    field(),
                    sim::sweep::show_value(v).escape_debug()
                ));
            }
        }
        let config = serde_json::to_string(&p.params).unwrap_or_default();
        if let Some(j) = seen.insert(config, i) {
            return Err(format!(
                "{}: the same configuration as points[{j}] ({}): each point of a sweep runs once",
                at("params"),
                sim::sweep::describe(&p.params)
            ));
        }
        if !POINT_VERDICTS.contains(&p.verdict.as_str()) {
            return Err(format!(
                "{}: `{}`: expected one of {}",
                at("verdict"),
                p.verdict.escape_debug(),
                POINT_VERDICTS.join(", ")
            ));
        }
        if (p.verdict == "stopped") != p.stopped.is_some() {
            return Err(format!(
                "{}: `{}`, but the point {}: a stopped run's verdict is `stopped`",
                at("verdict"),
                p.verdict,
                if p.stopped.is_some() { "stopped" } else { "did not stop" }
            ));
        }
        for name in p.services.keys() {
            if let Some(problem) = name_problem(name) {
                return Err(format!(
                    "{}: {problem}",
                    at(&format!("services.{}", name.escape_debug()))
                ));
            }
        }
        if object && p.meets_slo && !p.slo_measured.is_empty() && p.slo_measured.len() != slos.len() {
            return Err(format!(
                "{}: {} readings, but the table has {} SLOs",
                at("slo_measured"),
                p.slo_measured.len(),
                slos.len()
            ));
        }
        // One seed meets the SLO when each check holds on its value: one marked as met whose
        // value fails (or is missing) would pass the report's "some configuration meets" case.
        if object && p.meets_slo && p.seeds == 1 && p.slo_values.len() == slos.len() {
            for (k, (t, v)) in slos.iter().zip(&p.slo_values).enumerate() {
                if !v.is_some_and(|v| t.cmp.holds(v, t.value)) {
                    return Err(format!(
                        "{}: true, but slo[{k}] `{t}` {} at the point (slo_values[{k}] is {})",
                        at("meets_slo"),
                        if v.is_some() { "fails" } else { "has no value" },
                        v.map_or("null".to_string(), |v| v.to_string())
                    ));
                }
            }
        }
    }
    Ok(())
}

/// A sweep table's error with the path of the field it is about ("points[3].p99: "), for a
/// table that does not read: `None` when the error names no field (broken JSON, the root).
fn table_error_path(text: &str) -> Option<(serde_json::Error, String)> {
    let t = text.trim_start();
    let mut de = serde_json::Deserializer::from_str(t);
    let at = if t.starts_with('[') {
        // Older tables: a bare array of points.
        serde_path_to_error::deserialize::<_, Vec<Point>>(&mut de).err()?
    } else {
        serde_path_to_error::deserialize::<_, sim::sweep::Table>(&mut de).err()?
    };
    let path = at.path().to_string();
    if path.is_empty() || path == "." {
        return None;
    }
    Some((at.into_inner(), format!("{path}: ")))
}

/// For a directory with no run of its own whose subdirectories hold runs (a `compare` output,
/// `DIR/LABEL/results.json`), what to give instead: "cannot read DIR/results.json" said only
/// what was missing.
fn runs_inside(dir: &Path) -> Option<String> {
    let mut labels: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let p = e.path();
            p.join("results.json").is_file() || p.join("replications.json").is_file()
        })
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    if labels.is_empty() {
        return None;
    }
    labels.sort();
    let shown: Vec<String> = labels
        .iter()
        .take(8)
        .map(|l| dir.join(l).display().to_string())
        .collect();
    Some(format!(
        "{}: no results.json here, but {} of its directories hold runs (a `compare` output?): give them, `spillway report {}{}`",
        dir.display(),
        labels.len(),
        shown.join(" "),
        if labels.len() > shown.len() { " ..." } else { "" }
    ))
}

/// A file's text; a file that is not UTF-8 is refused with where its first bad byte is.
fn read_text(file: &Path, what: &str) -> Result<String, UsageError> {
    let bytes = model::files::read_at_most(file, model::files::MAX_RESULTS_BYTES, what)
        .map_err(|e| UsageError(format!("{}: cannot read: {e}", file.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        UsageError(format!(
            "{}: not UTF-8 text: byte 0x{:02x} at byte offset {at} (line {line}) is not valid UTF-8",
            file.display(),
            bytes[at]
        ))
    })
}

/// How many runs `replications.json` in `dir` says were saved (the `replications` field of
/// `sim::stats::ReplicationSummary`, which `sim run --replications` and `compare` write).
/// With it, the seeds asked for when Ctrl-C stopped the run before all of them ran
/// (`planned_replications`).
fn replications_count(dir: &Path) -> Result<(usize, Option<u64>), UsageError> {
    let file = dir.join("replications.json");
    let text = read_text(&file, "a replications summary")?;
    let bad = |what: String| UsageError(format!("{}: not a replications summary: {what}", file.display()));
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "line {} column {}: {}",
            e.line(),
            e.column(),
            model::files::json_message(&e)
        ))
    })?;
    // No more than `sim run --replications` runs: a count of 2^64 - 1 listed its missing
    // seeds for ever, in ever more memory.
    let max = u64::from(sim::args::MAX_REPLICATIONS);
    let too_many = |field: &str, n: u64| {
        bad(format!(
            "`{field}` is {n}: more than the {max} seeds `sim run --replications` runs at most"
        ))
    };
    let count = match v.get("replications").and_then(serde_json::Value::as_u64) {
        Some(n) if n > max => return Err(too_many("replications", n)),
        Some(n) if n > 0 => usize::try_from(n).map_err(|_| bad(format!("`replications` is {n}")))?,
        Some(_) => return Err(bad("`replications` is 0".into())),
        None => return Err(bad("no `replications` count".into())),
    };
    let planned = match v.get("planned_replications") {
        None | Some(serde_json::Value::Null) => None,
        Some(p) => match p.as_u64() {
            Some(p) if p > max => return Err(too_many("planned_replications", p)),
            Some(p) if p > count as u64 => Some(p),
            _ => {
                return Err(bad(format!(
                    "`planned_replications` is {p}: expected a count of seeds larger than `replications` ({count})"
                )))
            }
        },
    };
    Ok((count, planned))
}

/// "seed-7, seed-8" (at most `MAX` of them, then how many more).
fn seed_list(seeds: impl IntoIterator<Item = u64>) -> String {
    let seeds: Vec<u64> = seeds.into_iter().collect();
    let mut s = seeds
        .iter()
        .take(SEEDS_SHOWN)
        .map(|n| format!("seed-{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    if seeds.len() > SEEDS_SHOWN {
        s.push_str(&format!(" and {} more", seeds.len() - SEEDS_SHOWN));
    }
    s
}

/// Seeds a message lists by name before it says how many more.
const SEEDS_SHOWN: usize = 8;

/// The seeds missing from `found` (sorted) of `n` consecutive ones, when they can be told: the
/// seeds are `base`, `base + 1`, ... (wrapping past `u64::MAX` as `sim run` does), `base`
/// either the scenario's `run.seed` (`hint`, when no `--seed` was given) or, when `found`
/// spans `n` seeds already, its first. Said as [`seed_list`] says seeds: the first few, then
/// how many more (found by counting, not by listing them all).
fn missing_seeds(found: &[u64], n: usize, hint: u64) -> Option<String> {
    let n = n as u64;
    let fits = |base: u64| found.iter().all(|f| f.wrapping_sub(base) < n);
    let base = if fits(hint) {
        hint
    } else {
        let (first, last) = (*found.first()?, *found.last()?);
        if last.wrapping_sub(first) != n - 1 {
            return None;
        }
        first
    };
    // Every found seed is one of the `n` (they fit), each once.
    let mut distinct = found.to_vec();
    distinct.dedup();
    let missing = n - distinct.len() as u64;
    let shown: Vec<u64> = (0..n)
        .map(|i| base.wrapping_add(i))
        .filter(|s| found.binary_search(s).is_err())
        .take(SEEDS_SHOWN)
        .collect();
    let mut s = seed_list(shown.iter().copied());
    if missing > shown.len() as u64 {
        s.push_str(&format!(" and {} more", missing - shown.len() as u64));
    }
    Some(s)
}

/// The runs of a `sim run --replications` directory (`seed-*/results.json`), in seed order:
/// as many as its replications.json says, all of one configuration; and the seeds asked for
/// when the run was interrupted before all of them ran.
fn replications(dir: &Path) -> anyhow::Result<(Vec<Results>, Option<u64>)> {
    let (count, planned) = replications_count(dir)?;
    let listing = dir.join("replications.json");
    let mut seeds: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| UsageError(format!("{}: cannot read: {e}", dir.display())))?
        .filter_map(|e| {
            let e = e.ok()?;
            let seed = e.file_name().to_str()?.strip_prefix("seed-")?.parse().ok()?;
            // A seed's folder without a results.json holds no run (a user's file kept there
            // when a later run's results replaced its own): a missing seed, if one is missing.
            let file = e.path().join("results.json");
            file.symlink_metadata().is_ok().then_some((seed, file))
        })
        .collect();
    seeds.sort();
    if seeds.is_empty() {
        return Err(UsageError(format!(
            "{}: {count} replications, but no seed-*/results.json next to it",
            listing.display()
        ))
        .into());
    }
    // The first seed whole (the charts draw it), the others' summaries only: held whole, a
    // report of thousands of seeds took gigabytes.
    let runs: Vec<Results> = seeds
        .iter()
        .enumerate()
        .map(|(i, (_, f))| -> anyhow::Result<Results> {
            let text = read_text(f, "a spillway results file")?;
            let mut r = Results::from_json(&f.display().to_string(), &text)?;
            if i > 0 {
                r.drop_chart_data();
            }
            Ok(r)
        })
        .collect::<anyhow::Result<_>>()?;
    // One entry is one configuration: seeds of another scenario (or strategy) averaged in gave
    // `goodput 50.4% ± 106.7`.
    let (first_file, first) = (&seeds[0].1, &runs[0]);
    for ((seed, file), r) in seeds.iter().zip(&runs) {
        if let Some(why) = reports::entry::replication_difference(first, r) {
            return Err(UsageError(format!(
                "{}: {why} like {}: a replications directory holds seeds of one configuration",
                file.display(),
                first_file.display()
            ))
            .into());
        }
        if r.seed != *seed {
            return Err(UsageError(format!(
                "{}: holds seed {}, not {seed}: a run copied from elsewhere?",
                file.display(),
                r.seed
            ))
            .into());
        }
    }
    // A report of fewer seeds than were run shows another mean and interval under the same
    // name, and a gate on it would pass on what is left: refused, not warned about, since a
    // warning scrolls past in CI while the report looks complete.
    let found: Vec<u64> = seeds.iter().map(|(s, _)| *s).collect();
    if found.len() < count {
        let which = match missing_seeds(&found, count, first.scenario.run.seed) {
            Some(m) => format!("{m} missing"),
            None => format!("{} seeds missing", count - found.len()),
        };
        return Err(UsageError(format!(
            "{}: {count} replications, but {} holds {} ({}): {which}; run them again, or report the seeds' results.json files one by one",
            listing.display(),
            dir.display(),
            found.len(),
            seed_list(found.iter().copied())
        ))
        .into());
    }
    if found.len() > count {
        return Err(UsageError(format!(
            "{}: {count} replications, but {} holds {} seed directories ({}): seeds of another run?",
            listing.display(),
            dir.display(),
            found.len(),
            seed_list(found.iter().copied())
        ))
        .into());
    }
    Ok((runs, planned))
}

/// Values in first-seen order with each one's position: lookups in O(1), where searching the
/// list made a 300x300 table's report take 49 s (every point searched every axis value and
/// every configuration seen so far).
struct Index<K> {
    values: Vec<K>,
    at: HashMap<K, usize>,
}

impl<K: Clone + Eq + std::hash::Hash> Index<K> {
    fn new() -> Self {
        Index {
            values: Vec::new(),
            at: HashMap::new(),
        }
    }

    /// The position of `k`, added at the end if new.
    fn insert(&mut self, k: &K) -> usize {
        probe();
        if let Some(&i) = self.at.get(k) {
            return i;
        }
        self.values.push(k.clone());
        self.at.insert(k.clone(), self.values.len() - 1);
        self.values.len() - 1
    }

    fn get(&self, k: &K) -> Option<usize> {
        probe();
        self.at.get(k).copied()
    }
}

#[cfg(test)]
thread_local! {
    /// Lookups [`heatmap`] made (tests check it grows linearly with the points).
    static PROBES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts a lookup (in tests).
fn probe() {
    #[cfg(test)]
    PROBES.with(|p| p.set(p.get() + 1));
}

/// [`heatmap_with_slo`] of a sweep without SLOs (tests).
#[cfg(test)]
pub fn heatmap(path: &Path, points: &[Point], objective: &Figure) -> Result<Heatmap, UsageError> {
    heatmap_with_slo(path, points, objective, &[])
}

/// A sweep table's heatmap: the first two axes; further axes are folded into each cell: the
/// worst over load axes ([`sim::sweep::is_load_axis`]), then the best over the settings. A
/// cell failing the sweep's `slo` (its `--slo` checks, in order) shows the figure it failed on
/// ([`Heatmap::failing_slo`]), not the objective's.
pub fn heatmap_with_slo(
    path: &Path,
    points: &[Point],
    objective: &Figure,
    slo: &[String],
) -> Result<Heatmap, UsageError> {
    let bad = |what: &str| UsageError(format!("{}: not a sweep table: {what}", path.display()));
    let mut keys: Index<String> = Index::new();
    /// Per point: (axis, value) pairs as positions in `keys`, the value shown, whether it meets the SLO.
    type Parsed = (Vec<(usize, String)>, Option<f64>, bool);
    let mut parsed: Vec<Parsed> = Vec::with_capacity(points.len());
    let higher = objective.metric.higher_is_better();
    for p in points {
        let kv = p
            .params
            .iter()
            .map(|(k, v)| (keys.insert(k), sim::sweep::show_value(v)))
            .collect();
        // A recovery that never came is the worst value (infinite; the chart draws "never"),
        // not a missing one (grey "n/a", as for a setting with no point).
        let v = sim::sweep::objective_value(p, objective).map(|s| if higher { s } else { -s });
        parsed.push((kv, v, p.meets_slo));
    }
    let keys = keys.values;
    if keys.is_empty() {
        return Err(bad("no axes"));
    }
    if !points.iter().any(|p| p.keeps(objective)) {
        return Err(UsageError(format!(
            "--objective {objective}: {} keeps it at no point (a group the sweep's scenario does not keep, or a table of an older spillway)",
            path.display()
        )));
    }
    /// A point's value on axis `k` (a point names each axis once; the first wins if not).
    fn on(kv: &[(usize, String)], k: usize) -> Option<&String> {
        kv.iter().find(|(kk, _)| *kk == k).map(|(_, v)| v)
    }
    let axis_values = |k: usize| {
        let mut vs: Index<String> = Index::new();
        for (kv, _, _) in &parsed {
            if let Some(v) = on(kv, k) {
                vs.insert(v);
            }
        }
        vs
    };
    let x_key = keys[0].clone();
    let y_key = keys.get(1).cloned().unwrap_or_default();
    let x = axis_values(0);
    let y = if y_key.is_empty() {
        let mut one = Index::new();
        one.insert(&String::new());
        one
    } else {
        axis_values(1)
    };
    let better = |a: f64, b: f64| if higher { a > b } else { a < b };
    let folded_keys = keys.get(2..).unwrap_or_default();
    // The folded axes that are settings (not loads), by position in `keys`.
    let setting_axes: Vec<usize> = (2..keys.len())
        .filter(|&k| !sim::sweep::is_load_axis(&keys[k]))
        .collect();
    let load_axes: Vec<usize> = (2..keys.len()).filter(|k| !setting_axes.contains(k)).collect();
    let loads_of = |kv: &[(usize, String)]| -> Vec<(usize, String)> {
        kv.iter().filter(|(k, _)| load_axes.contains(k)).cloned().collect()
    };
    // Every combination of the folded loads any point ran at: a configuration that did not run
    // at all of them (an interrupted sweep) is not ranked, as `sim sweep`'s findings do not.
    let all_loads: std::collections::HashSet<Vec<(usize, String)>> =
        parsed.iter().map(|(kv, _, _)| loads_of(kv)).collect();
    // Fold the other axes per cell: first each configuration's worst over the folded load axes
    // (a configuration must hold at every load), then the best configuration. A point missing
    // the objective (or, with `slo`, the SLO) makes its configuration's cell fail at that load.
    /// A cell (x, y) and a configuration of the folded settings (their values in axis order).
    type Config = (usize, usize, Vec<(usize, String)>);
    let fold_cells = |slo: bool| {
        let mut configs: Index<Config> = Index::new();
        // Each configuration's worst value so far, by position in `configs`, and the loads it ran at.
        let mut worst: Vec<Option<f64>> = Vec::new();
        let mut ran: Vec<std::collections::HashSet<Vec<(usize, String)>>> = Vec::new();
        for (kv, v, meets) in &parsed {
            let v = if slo && !meets { None } else { *v };
            let (Some(xi), Some(yi)) = (
                on(kv, 0).and_then(|val| x.get(val)),
                if y_key.is_empty() {
                    Some(0)
                } else {
                    on(kv, 1).and_then(|val| y.get(val))
                },
            ) else {
                continue;
            };
            let settings: Vec<(usize, String)> = kv.iter().filter(|(k, _)| setting_axes.contains(k)).cloned().collect();
            let i = configs.insert(&(xi, yi, settings));
            if i == ran.len() {
                ran.push(Default::default());
            }
            ran[i].insert(loads_of(kv));
            if i == worst.len() {
                worst.push(v);
            } else {
                worst[i] = match (worst[i], v) {
                    (Some(w), Some(v)) => Some(if better(w, v) { v } else { w }),
                    _ => None,
                };
            }
        }
        let mut cells = vec![vec![None; x.values.len()]; y.values.len()];
        // Cells with a configuration that did not run at every load (an interrupted sweep).
        let mut not_run = vec![vec![false; x.values.len()]; y.values.len()];
        for (((xi, yi, _), v), ran) in configs.values.into_iter().zip(worst).zip(&ran) {
            if ran.len() != all_loads.len() {
                not_run[yi][xi] = true;
            }
            let Some(v) = v.filter(|_| ran.len() == all_loads.len()) else {
                continue;
            };
            let cell: &mut Option<f64> = &mut cells[yi][xi];
            if cell.is_none_or(|c| better(v, c)) {
                *cell = Some(v);
            }
        }
        (cells, not_run)
    };
    let (cells, not_run) = fold_cells(true);
    // Cells that fail the SLO, with the value they have without it (the chart shows it).
    let failing: Vec<Vec<Option<f64>>> = fold_cells(false)
        .0
        .into_iter()
        .zip(&cells)
        .map(|(raw, kept)| {
            raw.into_iter()
                .zip(kept)
                .map(|(r, k)| if k.is_none() { r } else { None })
                .collect()
        })
        .collect();
    // Per failing cell, the figure the SLO failed on, at the worst point failing it (the cell
    // is the worst over its loads): the objective's value is another figure (the whole run's
    // goodput ratio beside a service's SLO read as a pass). The first point in grid order showed
    // a p99 of 3.26 s in a cell whose worst load read 3.28 s. With folded settings, each
    // configuration's worst, then the least bad of those (the cell is the best over settings).
    let checks: Vec<Option<model::threshold::Threshold>> = slo.iter().map(|t| t.parse().ok()).collect();
    // How far a reading is past its bound, larger is worse; a missing reading is the worst.
    let badness = |k: usize, v: Option<f64>| -> f64 {
        match (checks.get(k).and_then(|c| c.as_ref()), v) {
            (Some(t), Some(v)) => {
                let past = match t.cmp {
                    model::threshold::Cmp::Lt | model::threshold::Cmp::Le => v - t.value,
                    model::threshold::Cmp::Gt | model::threshold::Cmp::Ge => t.value - v,
                    model::threshold::Cmp::Eq => (v - t.value).abs(),
                };
                if past.is_nan() {
                    f64::INFINITY
                } else {
                    past
                }
            }
            (Some(_), None) => f64::INFINITY,
            (None, _) => f64::NEG_INFINITY,
        }
    };
    /// A failing reading: the SLO's index (an earlier SLO failed is worse), how far past its
    /// bound, and the text shown.
    type Reading = (usize, f64, String);
    // Worse first: the lower SLO index, then the further past the bound.
    let worse = |a: &Reading, b: &Reading| a.0 < b.0 || (a.0 == b.0 && a.1 > b.1);
    // Each configuration's worst failing reading, by its cell and settings.
    let mut worst_of: HashMap<Config, Reading> = HashMap::new();
    for ((kv, _, meets), p) in parsed.iter().zip(points) {
        // Only failing points are looked up (the lookups per point stay bounded).
        if *meets || slo.is_empty() || p.slo_measured.len() != slo.len() {
            continue;
        }
        let cell = on(kv, 0).and_then(|val| x.get(val)).zip(if y_key.is_empty() {
            Some(0)
        } else {
            on(kv, 1).and_then(|val| y.get(val))
        });
        let Some((xi, yi)) = cell else { continue };
        if failing[yi][xi].is_none() {
            continue;
        }
        // The first SLO that failed in a seed (the means may all hold while a seed failed);
        // in tables without the seed counts of each SLO, the first whose figure fails its
        // bound, else the first SLO.
        let each = (p.slo_held_each.len() == slo.len()).then_some(&p.slo_held_each);
        let fails = |k: usize| match (each, &checks[k], p.slo_values.get(k).copied().flatten()) {
            (Some(each), _, _) => each[k] < p.seeds,
            (None, Some(t), Some(v)) => !t.cmp.holds(v, t.value),
            (None, Some(_), None) => true,
            (None, None, _) => false,
        };
        let k = (0..slo.len()).find(|&k| fails(k)).unwrap_or(0);
        let mut text = if slo.len() == 1 {
            format!("SLO: {}", p.slo_measured[k])
        } else {
            format!("{}: {}", slo[k], p.slo_measured[k])
        };
        // With replications the figure is the seeds' mean, which may hold while a seed fails:
        // how many seeds held says more than the mean beside the bound.
        let held = each.map(|each| each[k]).or(p.slo_held);
        if let (Some(held), true) = (held, p.seeds > 1) {
            text.push_str(&format!(" (holds in {held} of {} seeds)", p.seeds));
        }
        let reading = (k, badness(k, p.slo_values.get(k).copied().flatten()), text);
        let settings: Vec<(usize, String)> = kv.iter().filter(|(k, _)| setting_axes.contains(k)).cloned().collect();
        match worst_of.entry((xi, yi, settings)) {
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(reading);
            }
            std::collections::hash_map::Entry::Occupied(mut e) => {
                if worse(&reading, e.get()) {
                    e.insert(reading);
                }
            }
        }
    }
    let mut failing_slo: Vec<Vec<Option<String>>> = vec![vec![None; x.values.len()]; y.values.len()];
    let mut shown: Vec<Vec<Option<Reading>>> = vec![vec![None; x.values.len()]; y.values.len()];
    // In a fixed order (the map's is not): the configurations' settings sorted.
    let mut configs: Vec<_> = worst_of.into_iter().collect();
    configs.sort_by(|a, b| a.0.cmp(&b.0));
    for ((xi, yi, _), reading) in configs {
        let here = &mut shown[yi][xi];
        if here.as_ref().is_none_or(|h| worse(h, &reading)) {
            failing_slo[yi][xi] = Some(reading.2.clone());
            *here = Some(reading);
        }
    }
    // The best cell is a recommendation only when neither shown axis is a load: the lightest
    // load would always win.
    let shows_load = sim::sweep::is_load_axis(&x_key) || sim::sweep::is_load_axis(&y_key);
    // The configuration `sim sweep`'s findings name, ties broken as they are (goodput ratio,
    // p99, wasted work): by the objective alone the outline fell on the first tied cell, another
    // configuration than the findings' beside it. A "never" is no best, even when all are.
    let best = sim::sweep::best_config(points, objective)
        .filter(|_| !shows_load)
        .filter(|c| sim::sweep::objective_value(c.worst, objective).is_some_and(f64::is_finite))
        .and_then(|c| {
            let at = |key: &str, axis: &Index<String>| -> Option<usize> {
                let (_, v) = c.settings.iter().find(|(k, _)| k == key)?;
                axis.get(&sim::sweep::show_value(v))
            };
            let xi = at(&x_key, &x)?;
            let yi = if y_key.is_empty() { Some(0) } else { at(&y_key, &y) }?;
            cells[yi][xi].is_some().then_some((xi, yi))
        });
    let (loads, others): (Vec<&String>, Vec<&String>) = folded_keys.iter().partition(|k| sim::sweep::is_load_axis(k));
    let mut fold = Vec::new();
    if !loads.is_empty() {
        fold.push(format!(
            "worst over {}",
            loads.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    if !others.is_empty() {
        fold.push(format!(
            "best over {}",
            others.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
        ));
    }
    let folded = if fold.is_empty() {
        String::new()
    } else {
        format!(" ({})", fold.join("; "))
    };
    Ok(Heatmap {
        title: format!(
            "sweep: {objective} by {x_key}{}{folded}",
            if y_key.is_empty() {
                String::new()
            } else {
                format!(" and {y_key}")
            }
        ),
        x_key,
        y_key,
        x: x.values,
        y: y.values,
        objective: objective.to_string(),
        cells,
        best,
        higher_is_better: higher,
        notes: Vec::new(),
        slo_met: None,
        interrupted: None,
        failing,
        points: None,
        failing_slo,
        not_run,
    })
}

/// `spillway report`.
pub fn run(a: ReportArgs) -> anyhow::Result<()> {
    let objective_of =
        |text: &str| sim::sweep::parse_objective(text).map_err(|e| UsageError(format!("--objective {e}")));
    if let Some(o) = &a.objective {
        objective_of(o)?;
    }
    // The page's <title> and heading, summary.md's and junit.xml's: a blank one labels nothing
    // (an empty <h1>, a bare `## `).
    if let Some(t) = &a.title {
        if t.trim().is_empty() {
            return Err(UsageError(
                "--title: empty: give the report a title, or leave --title out for the scenarios' names".into(),
            )
            .into());
        }
        if let Some(problem) = name_problem(t) {
            return Err(UsageError(format!("--title `{}`: {problem}", shown_title(t))).into());
        }
    }
    // Each group is one entry: a run, or the seeds of `sim run --replications` (a directory
    // with replications.json), shown as means with confidence intervals.
    let mut groups: Vec<Vec<Results>> = Vec::new();
    // Per group, what its label says beyond the default: an interrupted replications run.
    let mut marks: Vec<Option<String>> = Vec::new();
    // Per group, the seeds planned when fewer ran.
    let mut planneds: Vec<Option<usize>> = Vec::new();
    let mut heatmaps = Vec::new();
    let mut sweep_names: Vec<String> = Vec::new();
    // Per group, the label its argument gave (`LABEL=FILE`).
    let mut given: Vec<Option<String>> = Vec::new();
    // Per group, the file (or replications directory) it came from, for messages.
    let mut origins: Vec<String> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for arg in &a.files {
        let (label, f) = labelled(arg)?;
        if let Some(l) = &label {
            if seen.contains(l) {
                return Err(UsageError(format!("`{}`: the label `{l}` is given twice", arg.display())).into());
            }
            seen.push(l.clone());
        }
        let f = &f;
        // Any replications.json, not only a file: a directory in its place is an error naming it,
        // not one about a results.json that was never meant.
        if f.join("replications.json").symlink_metadata().is_ok() {
            let (runs, planned) = replications(f)?;
            planneds.push(planned.and_then(|p| usize::try_from(p).ok()));
            marks.push(planned.map(|p| {
                tracing::warn!(
                    "{}: interrupted: {} of {p} seeds ran; its figures are over those",
                    f.display(),
                    runs.len()
                );
                format!("interrupted: {} of {p} seeds", runs.len())
            }));
            groups.push(runs);
            given.push(label);
            origins.push(f.display().to_string());
            continue;
        }
        let (file, text) = read(f)?;
        let kind = named(&file);
        if let Some(e) = shape_problem(&file, &text, kind) {
            return Err(e.into());
        }
        // A results.json is read as results (`[]` there is no sweep table of no axes); a
        // sweep.json as a table (`null` there is no results file).
        let parsed = match kind {
            Named::Results => None,
            Named::Sweep => sim::sweep::Table::parse(&text).or_else(|| {
                // A results file renamed sweep.json starts with its schema: read it as one.
                let results = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
                    .is_ok_and(|m| m.contains_key("schema"));
                (!results).then(|| serde_json::from_str::<sim::sweep::Table>(&text))
            }),
            Named::Other => sim::sweep::Table::parse(&text),
        };
        if let Some(table) = parsed {
            let table = table.map_err(|e| {
                // Which field, as a results file's errors say it: parsed again with the path
                // tracked (only a bad table pays for it).
                let (e, field) = table_error_path(&text).unwrap_or((e, String::new()));
                UsageError(format!(
                    "{}:{}:{}: not a sweep table: {field}{}",
                    file.display(),
                    e.line(),
                    e.column(),
                    model::files::json_message(&e)
                ))
            })?;
            if table.points.is_empty() && text.trim_start().starts_with('[') && kind != Named::Sweep {
                return Err(UsageError(format!(
                    "{}: neither a spillway results file nor a sweep table: an empty JSON array",
                    file.display()
                ))
                .into());
            }
            table
                .check()
                .map_err(|e| UsageError(format!("{}: not a valid sweep table: {e}", file.display())))?;
            check_table(&table, text.trim_start().starts_with('{'))
                .map_err(|e| UsageError(format!("{}: not a valid sweep table: {e}", file.display())))?;
            let objective = match &a.objective {
                Some(o) => {
                    let objective = objective_of(o)?;
                    if let Some(problem) = recovery_problem(&objective, &table) {
                        return Err(UsageError(format!("--objective {problem}")).into());
                    }
                    objective
                }
                // The table's own (checked above), else what older tables were ranked by.
                None if !table.objective.is_empty() => objective_of(&table.objective)?,
                None => objective_of("goodput_ratio")?,
            };
            let mut h = heatmap_with_slo(&file, &table.points, &objective, &table.slo)?;
            h.notes = sim::sweep::findings(&table.points, &table.axes(), &objective, &table.slo, &table.bursts);
            if let Some(planned) = table.planned_points {
                let note = format!(
                    "interrupted: {} of the grid's {planned} points ran; the findings are over those, not the whole grid",
                    table.points.len()
                );
                h.notes.insert(0, note.clone());
                h.interrupted = Some(note);
            }
            h.points = Some(sim::sweep::cells(&table.points, &objective, &table.slo));
            if !table.slo.is_empty() {
                let met = sim::sweep::best_config(&table.points, &objective).is_some();
                h.slo_met = Some((table.slo.join(", "), met));
            }
            let n = table.points.len();
            h.notes.push(format!(
                "{n} point{}: {}",
                if n == 1 { "" } else { "s" },
                file.display()
            ));
            if let Some(name) = label.as_ref().or(table.scenario.as_ref()) {
                h.title = format!("{name} · {}", h.title);
                sweep_names.push(name.clone());
            }
            heatmaps.push(h);
        } else {
            groups.push(vec![Results::from_json(&file.display().to_string(), &text)?]);
            marks.push(None);
            planneds.push(None);
            given.push(label);
            origins.push(file.display().to_string());
        }
    }
    if let (Some(o), true) = (&a.objective, heatmaps.is_empty()) {
        return Err(UsageError(format!(
            "--objective {o}: it chooses what a sweep table's heatmap shows, and no sweep.json was given"
        ))
        .into());
    }
    let runs: Vec<Results> = groups.iter().filter_map(|g| g.first().cloned()).collect();
    let defaults = reports::entry::default_labels(&runs);
    // A given label that is another entry's default would put two runs under one name in the
    // legends and tables, as a label given twice would.
    for (i, l) in given.iter().enumerate() {
        let Some(l) = l else { continue };
        if let Some(j) = (0..defaults.len()).find(|&j| j != i && given[j].is_none() && defaults[j] == *l) {
            return Err(UsageError(format!(
                "the label `{l}` is also the label of {} (its default): choose another, or label that one too",
                origins[j]
            ))
            .into());
        }
    }
    let labels = defaults
        .into_iter()
        .zip(given)
        .map(|(default, given)| given.unwrap_or(default));
    let title = a.title.clone().unwrap_or_else(|| default_title(&runs, &sweep_names));
    let entries: Vec<Entry> = groups
        .into_iter()
        .zip(labels)
        .zip(marks)
        .zip(planneds)
        .map(|(((g, l), mark), planned)| {
            match mark {
                Some(m) => Entry::new(format!("{l} ({m})"), g),
                None => Entry::new(l, g),
            }
            .with_planned(planned)
        })
        .collect();
    let report = Report {
        title,
        entries: &entries,
        expectations: &[],
        baseline: None,
        heatmaps,
        thresholds_gate: true,
        // Files given side by side that are not what their labels suggest: one file twice, runs
        // of one scenario at different loads or of different systems (stderr, the page and
        // summary.md). (Not in
        // `compare`, whose variants change a scenario on purpose and are labelled by name.)
        warnings: reports::entry::run_warnings(&entries),
    };
    model::check_out_dir(&a.out)?;
    let written = reports::write(&a.out, &report)?;
    if !entries.is_empty() {
        print!("{}", reports::table::render_text(&entries));
    }
    reports::report::append_step_summary_or_warn(&written.summary_md);
    println!(
        "report: {}  ({}, summary.md, junit.xml)",
        written.index.display(),
        match written.charts.len() / 2 {
            1 => "1 chart".to_string(),
            n => format!("{n} charts"),
        }
    );
    Ok(())
}

/// The longest label `LABEL=FILE` takes: a chart legend or a table column wider than that is
/// hard to read.
const MAX_LABEL_CHARS: usize = 64;

/// A FILE argument and the label it gives: `LABEL=FILE` when the argument is not itself an
/// existing path and what is left of its first `=` has no path separator (so
/// `out/a=b/results.json` stays a path, and is refused as one if missing).
fn labelled(arg: &Path) -> Result<(Option<String>, PathBuf), UsageError> {
    if arg.symlink_metadata().is_ok() {
        return Ok((None, arg.to_path_buf()));
    }
    let Some((label, path)) = arg.to_str().and_then(|s| s.split_once('=')) else {
        return Ok((None, arg.to_path_buf()));
    };
    let path = path.trim_start();
    if label.contains(['/', std::path::MAIN_SEPARATOR]) {
        return Ok((None, arg.to_path_buf()));
    }
    let problem = if label.trim().is_empty() {
        Some("the label before `=` is empty".to_string())
    } else if label.contains(|c: char| c.is_control()) {
        Some("the label has control characters".to_string())
    } else if label.chars().count() > MAX_LABEL_CHARS {
        Some(format!(
            "the label has {} characters; at most {MAX_LABEL_CHARS}",
            label.chars().count()
        ))
    } else if path.is_empty() {
        Some("no file after `=` (LABEL=FILE)".to_string())
    } else {
        None
    };
    match problem {
        Some(p) => Err(UsageError(format!(
            "`{}`: {p}",
            arg.display().to_string().escape_debug()
        ))),
        None => Ok((Some(label.trim().to_string()), PathBuf::from(path))),
    }
}

/// The page's title when `--title` is not given: each scenario named once, in the order the
/// runs and then the sweep tables were given.
fn default_title(runs: &[Results], sweep_names: &[String]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for n in runs
        .iter()
        .map(|r| r.scenario_name.as_str())
        .chain(sweep_names.iter().map(String::as_str))
    {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    if names.is_empty() {
        "parameter sweep".into()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::results::GroupSummary;

    /// `LABEL=FILE` gives a label unless the whole argument is a path; what is wrong with a
    /// label is said with the argument.
    #[test]
    fn a_file_argument_may_carry_its_label() {
        let dir = std::env::temp_dir().join(format!("spillway-labelled-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let odd = dir.join("a=b.json");
        std::fs::write(&odd, "{}").unwrap();
        let l = |s: &str| labelled(Path::new(s));
        assert_eq!(
            l("nginx=out/n/results.json").unwrap(),
            (Some("nginx".into()), PathBuf::from("out/n/results.json"))
        );
        assert_eq!(
            l("envoy shed = x.json").unwrap(),
            (Some("envoy shed".into()), PathBuf::from("x.json"))
        );
        assert_eq!(l(odd.to_str().unwrap()).unwrap(), (None, odd.clone()));
        assert_eq!(
            l("out/a=b/results.json").unwrap(),
            (None, PathBuf::from("out/a=b/results.json"))
        );
        assert_eq!(l("plain.json").unwrap(), (None, PathBuf::from("plain.json")));
        for (arg, says) in [
            ("=x.json", "the label before `=` is empty"),
            ("nginx=", "no file after `=`"),
            ("a\tb=x.json", "control characters"),
        ] {
            let e = l(arg).unwrap_err().to_string();
            assert!(e.contains(says), "{arg}: {e}");
        }
        let long = format!("{}=x.json", "x".repeat(MAX_LABEL_CHARS + 1));
        assert!(l(&long).unwrap_err().to_string().contains("at most 64"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A refused `--title` of a megabyte was repeated whole in its error.
    #[test]
    fn a_refused_title_is_shown_cut_short() {
        let long = "t".repeat(1 << 20);
        let shown = shown_title(&long);
        assert_eq!(shown, format!("{}...", "t".repeat(SHOWN_TITLE_CHARS)));
        assert_eq!(shown_title("a\u{1b}b"), "a\\u{1b}b");
        assert_eq!(shown_title("short"), "short");
        // Cut at a character, not a byte.
        let wide = "é".repeat(100);
        assert_eq!(shown_title(&wide).chars().count(), SHOWN_TITLE_CHARS + 3);
    }

    /// Runs of two scenarios given as steady, one-liner, steady: the title names each once
    /// ("steady, one-liner"), not "steady, one-liner, steady".
    #[test]
    fn the_default_title_names_each_scenario_once() {
        let run = |name: &str| Results {
            scenario_name: name.into(),
            ..reports::fixture::blank()
        };
        let runs = [run("steady"), run("one-liner"), run("steady"), run("steady")];
        assert_eq!(default_title(&runs, &[]), "steady, one-liner");
        assert_eq!(
            default_title(&runs[..1], &["death-spiral".into(), "steady".into()]),
            "steady, death-spiral"
        );
        assert_eq!(default_title(&[], &[]), "parameter sweep");
    }

    /// The heatmap of a service's figure shows the service's values, not the whole run's.
    #[test]
    fn a_group_objective_colours_the_cells_by_the_groups_values() {
        let point = |x: i64, whole: f64, billing: f64| {
            let mut p: Point = serde_json::from_value(serde_json::json!({
                "params": [["gateway.queue_capacity", x]], "goodput_ratio": whole, "p50": 0.1,
                "p99": 0.2, "amplification": 1.0, "wasted_s": 0.0, "recovery_s": null,
                "verdict": "recovered", "attempts": 10, "meets_slo": true
            }))
            .unwrap();
            p.services.insert(
                "billing".into(),
                GroupSummary {
                    offered: 5,
                    goodput_ratio: billing,
                    ..Default::default()
                },
            );
            p
        };
        let points = [point(10, 0.9, 0.1), point(50, 0.1, 0.9)];
        let path = Path::new("sweep.json");
        let objective = |f: &str| sim::sweep::parse_objective(f).unwrap();
        let h = heatmap(path, &points, &objective("service[billing].goodput_ratio")).unwrap();
        assert_eq!(h.cells, [[Some(0.1), Some(0.9)]]);
        assert_eq!(
            (h.best, h.objective.as_str()),
            (Some((1, 0)), "service[billing].goodput_ratio")
        );
        let h = heatmap(path, &points, &objective("goodput_ratio")).unwrap();
        assert_eq!((h.cells[0][0], h.best), (Some(0.9), Some((0, 0))));
        let err = heatmap(path, &points, &objective("interactive.p99")).unwrap_err();
        assert!(err.to_string().contains("keeps it at no point"), "{err}");
    }

    /// An interrupted sweep: a configuration that never ran at the heaviest load is no cell
    /// (it read as the best, its worst taken over the light load alone).
    #[test]
    fn a_configuration_missing_a_folded_load_is_no_cell() {
        let point = |strategy: &str, q: i64, rate: i64, v: f64| -> Point {
            serde_json::from_value(serde_json::json!({
                "params": [["gateway.queue_capacity", q], ["gateway.strategy", strategy],
                           ["workload.phases[1].rate", rate]],
                "goodput_ratio": v, "p50": 0.1, "p99": 0.2, "amplification": 1.0, "wasted_s": 0.0,
                "recovery_s": null, "verdict": "recovered", "attempts": 10, "meets_slo": true
            }))
            .unwrap()
        };
        let mut points = vec![
            point("bounded", 10, 150, 1.0),
            point("bounded", 10, 400, 0.5),
            point("bounded", 40, 150, 0.95),
            point("bounded", 40, 400, 0.86),
        ];
        let objective = sim::sweep::parse_objective("goodput_ratio").unwrap();
        let h = heatmap(Path::new("sweep.json"), &points, &objective).unwrap();
        assert_eq!(h.cells, [[Some(0.5), Some(0.86)]]);
        points.remove(1);
        let h = heatmap(Path::new("sweep.json"), &points, &objective).unwrap();
        assert_eq!((&h.cells, h.best), (&vec![vec![None, Some(0.86)]], Some((1, 0))));
        // Its cell is marked as not run (the chart reads "not run", not "n/a": no setting
        // that does not apply).
        assert_eq!(h.not_run, [[true, false]]);
    }

    /// A `compare` output directory (its runs in `DIR/LABEL/`) given to `report` says to give
    /// its runs, naming them, rather than only that DIR/results.json cannot be read.
    #[test]
    fn a_directory_of_runs_says_to_give_them() {
        let dir = std::env::temp_dir().join(format!("spillway-report-runs-inside-{}", std::process::id()));
        for label in ["fifo", "deadline"] {
            std::fs::create_dir_all(dir.join(label)).unwrap();
            std::fs::write(dir.join(label).join("results.json"), "{}").unwrap();
        }
        std::fs::create_dir_all(dir.join("report")).unwrap();
        let e = read(&dir).unwrap_err();
        assert!(e.downcast_ref::<UsageError>().is_some(), "bad input: {e}");
        let e = e.to_string();
        let (d, f) = (dir.join("deadline"), dir.join("fifo"));
        assert!(
            e.contains("2 of its directories hold runs")
                && e.contains(&format!("`spillway report {} {}`", d.display(), f.display())),
            "{e}"
        );
        // An empty directory: as before, the results.json it lacks.
        let empty = dir.join("report");
        assert!(read(&empty)
            .unwrap_err()
            .to_string()
            .contains("results.json: cannot read"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A hand-edited sweep table's error names the field, as a results file's does: serde's
    /// plain error said only "invalid type" and where.
    #[test]
    fn a_bad_sweep_table_names_the_field() {
        let point = r#"{"params": [["gateway.strategy", "fifo"]], "goodput_ratio": 0.5, "p50": 0.1,
            "p99": "slow", "amplification": 1.0, "wasted_s": 0.0, "recovery_s": null,
            "verdict": "recovered", "attempts": 10, "meets_slo": true}"#;
        let table = format!("{{\"objective\": \"goodput_ratio\", \"slo\": [], \"points\": [{point}]}}");
        let (e, field) = table_error_path(&table).unwrap();
        assert_eq!(field, "points[0].p99: ");
        assert_eq!(e.line(), 2, "{e}");
        let (_, field) = table_error_path(&format!("[{point}]")).unwrap();
        assert_eq!(field, "[0].p99: ");
    }

    /// A cell failing a service's SLO shows the service's figure the SLO failed on, not the
    /// objective's (the whole run's 92.1% beside billing's 80.4%); with several SLOs, the one
    /// that failed, named.
    #[test]
    fn a_failing_cell_shows_the_figure_its_slo_failed_on() {
        let point = |strategy: &str, meets: bool, measured: &[(&str, f64)]| -> Point {
            let mut p: Point = serde_json::from_value(serde_json::json!({
                "params": [["gateway.strategy", strategy]],
                "goodput_ratio": 0.921, "p50": 0.1, "p99": 3.1, "amplification": 1.0, "wasted_s": 0.0,
                "recovery_s": null, "verdict": "recovered", "attempts": 10, "meets_slo": meets
            }))
            .unwrap();
            p.slo_measured = measured.iter().map(|(t, _)| t.to_string()).collect();
            p.slo_values = measured.iter().map(|(_, v)| Some(*v)).collect();
            p
        };
        let objective = sim::sweep::parse_objective("goodput_ratio").unwrap();
        let slo = ["service[billing].goodput_ratio>=0.8".to_string()];
        // Its mean holds (a seed failed): the one SLO's figure is still what it failed on.
        let points = [
            point("fifo", false, &[("80.40%", 0.804)]),
            point("deadline", true, &[("99.00%", 0.99)]),
        ];
        let h = heatmap_with_slo(Path::new("sweep.json"), &points, &objective, &slo).unwrap();
        assert_eq!(h.failing[0][0], Some(0.921));
        assert_eq!(h.failing_slo, [[Some("SLO: 80.40%".to_string()), None]]);
        // Replicated: how many seeds held, beside the mean.
        let mut replicated = points.clone();
        replicated[0].seeds = 5;
        replicated[0].slo_held = Some(4);
        let h = heatmap_with_slo(Path::new("sweep.json"), &replicated, &objective, &slo).unwrap();
        assert_eq!(
            h.failing_slo,
            [[Some("SLO: 80.40% (holds in 4 of 5 seeds)".to_string()), None]]
        );
        let slo = ["goodput_ratio>=0.5".to_string(), "p99<2s".to_string()];
        let points = [point("fifo", false, &[("92.10%", 0.921), ("3.10s", 3.1)])];
        let h = heatmap_with_slo(Path::new("sweep.json"), &points, &objective, &slo).unwrap();
        assert_eq!(h.failing_slo, [[Some("p99<2s: 3.10s".to_string())]]);
        // Replicated, every mean holding: the SLO that failed in a seed is named, with its own
        // count of seeds (walkthrough 5: a recovery of 11.5 s read as failing `recovery<=30s`,
        // where `goodput_ratio>=0.97` failed in one of two seeds).
        let slo = [
            "service[*].recovery<=30s".to_string(),
            "goodput_ratio>=0.97".to_string(),
        ];
        let mut p = point("fifo", false, &[("11.50s", 11.5), ("97.34%", 0.9734)]);
        (p.seeds, p.slo_held, p.slo_held_each) = (2, Some(1), vec![2, 1]);
        let h = heatmap_with_slo(Path::new("sweep.json"), &[p], &objective, &slo).unwrap();
        assert_eq!(
            h.failing_slo,
            [[Some("goodput_ratio>=0.97: 97.34% (holds in 1 of 2 seeds)".to_string())]]
        );
        // A table without the SLOs' figures (an older spillway): the objective's value.
        let h = heatmap_with_slo(Path::new("sweep.json"), &points, &objective, &slo[..1]).unwrap();
        assert_eq!(h.failing_slo, [[None]]);
    }

    /// A failing cell is the worst over its folded loads: it shows the worst failing reading of
    /// them, not the first in grid order (fifo's cell read 3.26 s, its worst load 3.28 s). With
    /// a folded setting, the cell is its best configuration: the least bad of their worsts.
    #[test]
    fn a_failing_cell_shows_its_worst_failing_reading() {
        let point = |params: serde_json::Value, meets: bool, p99: f64| -> Point {
            let mut p: Point = serde_json::from_value(serde_json::json!({
                "params": params,
                "goodput_ratio": 0.9, "p50": 0.1, "p99": p99, "amplification": 1.0, "wasted_s": 0.0,
                "recovery_s": null, "verdict": "recovered", "attempts": 10, "meets_slo": meets
            }))
            .unwrap();
            p.slo_measured = vec![model::results::fmt_secs(p99)];
            p.slo_values = vec![Some(p99)];
            p
        };
        let objective = sim::sweep::parse_objective("goodput_ratio").unwrap();
        let slo = ["p99<2s".to_string()];
        let at = |strategy: &str, rate: u32| {
            serde_json::json!([
                ["gateway.strategy", strategy],
                ["gateway.concurrency", 4],
                ["workload.phases[1].rate", rate]
            ])
        };
        let points = [
            point(at("fifo", 100), true, 1.5),
            point(at("fifo", 200), false, 3.26),
            point(at("fifo", 300), false, 3.28),
            point(at("fifo", 400), false, 2.9),
            point(at("deadline", 100), true, 0.5),
            point(at("deadline", 200), true, 0.6),
            point(at("deadline", 300), true, 0.7),
            point(at("deadline", 400), true, 0.8),
        ];
        let h = heatmap_with_slo(Path::new("sweep.json"), &points, &objective, &slo).unwrap();
        assert!(h.title.contains("worst over workload.phases[1].rate"), "{}", h.title);
        assert_eq!(h.failing_slo, [[Some("SLO: 3.28s".to_string()), None]]);
        // A folded setting: queue bound 10's worst is 3.50 s, bound 20's 3.28 s; the cell is
        // the best of the two configurations, so it reads 3.28 s.
        let at = |bound: u32, rate: u32| {
            serde_json::json!([
                ["gateway.strategy", "bounded"],
                ["gateway.concurrency", 4],
                ["gateway.queue_capacity", bound],
                ["workload.phases[1].rate", rate]
            ])
        };
        let points = [
            point(at(10, 200), false, 3.1),
            point(at(10, 300), false, 3.5),
            point(at(20, 200), false, 3.2),
            point(at(20, 300), false, 3.28),
        ];
        let h = heatmap_with_slo(Path::new("sweep.json"), &points, &objective, &slo).unwrap();
        assert_eq!(h.failing_slo, [[Some("SLO: 3.28s".to_string())]]);
    }

    /// A 300x300 table's report took 49 s: every point searched the axis values and every
    /// configuration seen so far. The lookups per point are bounded now, however large the grid,
    /// and the cells are still the best configuration of each.
    #[test]
    fn a_heatmap_makes_a_bounded_number_of_lookups_per_point() {
        let point = |bound: i64, conc: i64, strategy: &str, v: f64| -> Point {
            serde_json::from_value(serde_json::json!({
                "params": [["gateway.queue_capacity", bound], ["gateway.concurrency", conc],
                           ["gateway.strategy", strategy]],
                "goodput_ratio": v, "p50": 0.1, "p99": 0.2, "amplification": 1.0,
                "wasted_s": 0.0, "recovery_s": null, "verdict": "recovered", "attempts": 10,
                "meets_slo": true
            }))
            .unwrap()
        };
        let n = 60;
        let mut points = Vec::new();
        for x in 0..n {
            for y in 0..n {
                let v = (x * n + y) as f64 / (n * n) as f64;
                points.push(point(x, y, "fifo", v / 2.0));
                points.push(point(x, y, "deadline", v));
            }
        }
        let objective = sim::sweep::parse_objective("goodput_ratio").unwrap();
        PROBES.with(|p| p.set(0));
        let h = heatmap(Path::new("sweep.json"), &points, &objective).unwrap();
        let probes = PROBES.with(|p| p.get());
        assert!(
            probes <= 12 * points.len() as u64,
            "{probes} lookups for {} points",
            points.len()
        );
        assert_eq!((h.x.len(), h.y.len()), (n as usize, n as usize));
        assert_eq!(
            h.cells[7][3],
            Some((3 * n + 7) as f64 / (n * n) as f64),
            "deadline, the better"
        );
        assert!(h.title.contains("best over gateway.strategy"), "{}", h.title);
    }

    /// A point that never recovered is the worst recovery (infinite: the chart draws "never"),
    /// not a missing point, and never the best cell.
    #[test]
    fn a_recovery_that_never_came_is_infinite_not_missing() {
        let point = |bound: i64, recovery_s: Option<f64>, verdict: &str| -> Point {
            serde_json::from_value(serde_json::json!({
                "params": [["gateway.queue_capacity", bound]],
                "goodput_ratio": 0.5, "p50": 0.1, "p99": 0.2, "amplification": 1.0,
                "wasted_s": 0.0, "recovery_s": recovery_s, "verdict": verdict, "attempts": 10,
                "meets_slo": true
            }))
            .unwrap()
        };
        let objective = sim::sweep::parse_objective("recovery").unwrap();
        let points = [point(10, None, "metastable"), point(50, Some(4.0), "recovered")];
        let h = heatmap(Path::new("sweep.json"), &points, &objective).unwrap();
        assert_eq!(h.cells, [[Some(f64::INFINITY), Some(4.0)]]);
        assert_eq!(h.best, Some((1, 0)));
        let h = heatmap(Path::new("sweep.json"), &points[..1], &objective).unwrap();
        assert_eq!((h.cells[0][0], h.best), (Some(f64::INFINITY), None));
    }

    /// The outlined cell is the configuration `sim sweep` names: where the objective ties (a
    /// recovery of 0 s everywhere) its tie-breaks decide, the goodput ratio first. The outline
    /// took the first tied cell (concurrency 3, the worst) beside findings naming 5.
    #[test]
    fn the_best_cell_is_the_configuration_the_sweep_names() {
        let point = |c: i64, goodput_ratio: f64| -> Point {
            serde_json::from_value(serde_json::json!({
                "params": [["gateway.strategy", "bounded"], ["gateway.concurrency", c]],
                "goodput_ratio": goodput_ratio, "p50": 0.1, "p99": 0.2, "amplification": 1.0,
                "wasted_s": 0.0, "recovery_s": 0.0, "verdict": "recovered", "attempts": 10,
                "meets_slo": true
            }))
            .unwrap()
        };
        let points = [point(3, 0.832), point(4, 0.85), point(5, 0.868)];
        let objective = sim::sweep::parse_objective("recovery").unwrap();
        let named = sim::sweep::best_config(&points, &objective).unwrap();
        assert_eq!(named.worst.params[1].1, serde_json::json!(5));
        let h = heatmap(Path::new("sweep.json"), &points, &objective).unwrap();
        assert_eq!(h.cells, [[Some(0.0)], [Some(0.0)], [Some(0.0)]]);
        assert_eq!(h.best, Some((0, 2)));
    }

    /// A folded load axis takes each configuration's worst load, and a shown load axis gets no
    /// "best" cell (the lightest load would always win).
    #[test]
    fn load_axes_fold_by_the_worst_case() {
        let point = |strategy: &str, bound: i64, rate: i64, goodput_ratio: f64| -> Point {
            serde_json::from_value(serde_json::json!({
                "params": [["gateway.strategy", strategy], ["gateway.queue_capacity", bound],
                           ["workload.phases[1].rate", rate]],
                "goodput_ratio": goodput_ratio, "p50": 0.1, "p99": 0.2, "amplification": 1.0,
                "wasted_s": 0.0, "recovery_s": null, "verdict": "recovered", "attempts": 10,
                "meets_slo": true
            }))
            .unwrap()
        };
        let points = [
            point("bounded", 10, 150, 0.99),
            point("bounded", 10, 400, 0.70),
            point("bounded", 50, 150, 0.95),
            point("bounded", 50, 400, 0.85),
        ];
        let objective = sim::sweep::parse_objective("goodput_ratio").unwrap();
        let h = heatmap(Path::new("sweep.json"), &points, &objective).unwrap();
        assert_eq!(h.cells, [[Some(0.70)], [Some(0.85)]], "{:?}", h.cells);
        assert_eq!(h.best, Some((0, 1)));
        assert!(h.title.contains("worst over workload.phases[1].rate"), "{}", h.title);
        // Rate shown on the y axis: best over the bound, no best cell.
        let reordered: Vec<Point> = points
            .iter()
            .map(|p| {
                let mut p = p.clone();
                p.params.swap(1, 2);
                p
            })
            .collect();
        let h = heatmap(Path::new("sweep.json"), &reordered, &objective).unwrap();
        assert_eq!(h.cells, [[Some(0.99)], [Some(0.85)]], "{:?}", h.cells);
        assert_eq!(h.best, None);
    }
}
