//! `spillway report`: charts and an HTML report from results files (sim or live, mixed) and
//! sweep tables.

use clap::Args;
use model::results::Results;
use model::threshold::Figure;
use model::UsageError;
use reports::charts::Heatmap;
use reports::{Entry, Report};
use sim::sweep::Point;
use std::path::{Path, PathBuf};

/// Draw charts and write index.html, summary.md and junit.xml from results files.
#[derive(Args, Debug)]
#[command(after_help = "Examples:
  spillway report out/sim/results.json out/live/results.json -o out/report
  spillway report out/sweep/sweep.json --objective p99

Writes DIR/index.html (self-contained), DIR/summary.md, DIR/junit.xml and each chart as PNG and SVG.

Exit codes: 0 the report is written (junit.xml lists each run's failed thresholds as failures; the
commands that made the runs gate on them); 2 bad input (a file that is not results, a sweep table
or a replications directory; a bad --objective).")]
pub struct ReportArgs {
    /// results.json files (or directories holding one), directories of `sim run
    /// --replications` (their seeds as one entry, with confidence intervals), and sweep.json
    /// tables from `sim sweep`.
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
    /// service's figure such as "service[billing].goodput_ratio"). Default: the sweep's own
    /// --objective (goodput_ratio for tables of older versions).
    #[arg(long, value_name = "METRIC")]
    pub objective: Option<String>,
}

fn read(path: &Path) -> anyhow::Result<(PathBuf, String)> {
    let file = if path.is_dir() {
        path.join("results.json")
    } else {
        path.to_path_buf()
    };
    let text =
        std::fs::read_to_string(&file).map_err(|e| UsageError(format!("{}: cannot read: {e}", file.display())))?;
    Ok((file, text))
}

/// The runs of a `sim run --replications` directory (`seed-*/results.json`), in seed order.
fn replications(dir: &Path) -> anyhow::Result<Vec<Results>> {
    let mut seeds: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| UsageError(format!("{}: cannot read: {e}", dir.display())))?
        .filter_map(|e| {
            let e = e.ok()?;
            let seed = e.file_name().to_str()?.strip_prefix("seed-")?.parse().ok()?;
            Some((seed, e.path().join("results.json")))
        })
        .collect();
    seeds.sort();
    if seeds.is_empty() {
        return Err(UsageError(format!(
            "{}: replications.json but no seed-*/results.json",
            dir.display()
        ))
        .into());
    }
    seeds
        .iter()
        .map(|(_, f)| {
            let (file, text) = read(f)?;
            Ok(Results::from_json(&file.display().to_string(), &text)?)
        })
        .collect()
}

/// A sweep table's heatmap: the first two axes; further axes are folded into each cell: the
/// worst over load axes (`workload.*`), then the best over the settings.
pub fn heatmap(path: &Path, points: &[Point], objective: &Figure) -> Result<Heatmap, UsageError> {
    let bad = |what: &str| UsageError(format!("{}: not a sweep table: {what}", path.display()));
    let mut keys: Vec<String> = Vec::new();
    let mut parsed = Vec::new();
    for p in points {
        let mut kv = Vec::new();
        for (k, v) in &p.params {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
            kv.push((k.clone(), sim::sweep::show_value(v)));
        }
        parsed.push((kv, p.value(objective), p.meets_slo));
    }
    if keys.is_empty() {
        return Err(bad("no axes"));
    }
    if !points.iter().any(|p| p.keeps(objective)) {
        return Err(UsageError(format!(
            "--objective {objective}: {} keeps it at no point (a group the sweep's scenario does not keep, or a table of an older spillway)",
            path.display()
        )));
    }
    let axis_values = |k: &str| {
        let mut vs: Vec<String> = Vec::new();
        for (kv, _, _) in &parsed {
            if let Some((_, v)) = kv.iter().find(|(kk, _)| kk == k) {
                if !vs.contains(v) {
                    vs.push(v.clone());
                }
            }
        }
        vs
    };
    let x_key = keys[0].clone();
    let y_key = keys.get(1).cloned().unwrap_or_default();
    let x = axis_values(&x_key);
    let y = if y_key.is_empty() {
        vec![String::new()]
    } else {
        axis_values(&y_key)
    };
    let higher = objective.metric.higher_is_better();
    let better = |a: f64, b: f64| if higher { a > b } else { a < b };
    let folded_keys = keys.get(2..).unwrap_or_default();
    // Fold the other axes per cell: first each configuration's worst over the folded load axes
    // (a configuration must hold at every load), then the best configuration. A point missing
    // the objective (or, with `slo`, the SLO) makes its configuration's cell fail at that load.
    /// A cell (x, y), a configuration of the folded settings, and its worst value so far.
    type Config = (usize, usize, Vec<(String, String)>, Option<f64>);
    let fold_cells = |slo: bool| {
        let mut configs: Vec<Config> = Vec::new();
        for (kv, v, meets) in &parsed {
            let v = if slo && !meets { None } else { *v };
            let find = |key: &str, axis: &[String]| {
                kv.iter()
                    .find(|(k, _)| k == key)
                    .and_then(|(_, val)| axis.iter().position(|a| a == val))
            };
            let (Some(xi), Some(yi)) = (
                find(&x_key, &x),
                if y_key.is_empty() { Some(0) } else { find(&y_key, &y) },
            ) else {
                continue;
            };
            let settings: Vec<(String, String)> = kv
                .iter()
                .filter(|(k, _)| folded_keys.contains(k) && !sim::sweep::is_load_axis(k))
                .cloned()
                .collect();
            match configs
                .iter_mut()
                .find(|(cx, cy, s, _)| (*cx, *cy) == (xi, yi) && *s == settings)
            {
                Some((_, _, _, worst)) => {
                    *worst = match (*worst, v) {
                        (Some(w), Some(v)) => Some(if better(w, v) { v } else { w }),
                        _ => None,
                    }
                }
                None => configs.push((xi, yi, settings, v)),
            }
        }
        let mut cells = vec![vec![None; x.len()]; y.len()];
        for (xi, yi, _, v) in configs {
            let Some(v) = v else { continue };
            let cell: &mut Option<f64> = &mut cells[yi][xi];
            if cell.is_none_or(|c| better(v, c)) {
                *cell = Some(v);
            }
        }
        cells
    };
    let cells = fold_cells(true);
    // Cells that fail the SLO, with the value they have without it (the chart shows it).
    let failing: Vec<Vec<Option<f64>>> = fold_cells(false)
        .into_iter()
        .zip(&cells)
        .map(|(raw, kept)| {
            raw.into_iter()
                .zip(kept)
                .map(|(r, k)| if k.is_none() { r } else { None })
                .collect()
        })
        .collect();
    // The best cell is a recommendation only when neither shown axis is a load: the lightest
    // load would always win.
    let shows_load = sim::sweep::is_load_axis(&x_key) || sim::sweep::is_load_axis(&y_key);
    let mut best: Option<(usize, usize, f64)> = None;
    for (yi, row) in cells.iter().enumerate() {
        for (xi, c) in row.iter().enumerate() {
            if let Some(v) = c {
                if !shows_load && best.is_none_or(|(_, _, b)| better(*v, b)) {
                    best = Some((xi, yi, *v));
                }
            }
        }
    }
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
        x,
        y,
        objective: objective.to_string(),
        cells,
        best: best.map(|(x, y, _)| (x, y)),
        higher_is_better: higher,
        notes: Vec::new(),
        slo_met: None,
        failing,
    })
}

/// `spillway report`.
pub fn run(a: ReportArgs) -> anyhow::Result<()> {
    let objective_of =
        |text: &str| sim::sweep::parse_objective(text).map_err(|e| UsageError(format!("--objective {e}")));
    if let Some(o) = &a.objective {
        objective_of(o)?;
    }
    // Each group is one entry: a run, or the seeds of `sim run --replications` (a directory
    // with replications.json), shown as means with confidence intervals.
    let mut groups: Vec<Vec<Results>> = Vec::new();
    let mut heatmaps = Vec::new();
    let mut sweep_names: Vec<String> = Vec::new();
    for f in &a.files {
        if f.join("replications.json").is_file() {
            groups.push(replications(f)?);
            continue;
        }
        let (file, text) = read(f)?;
        if let Some(table) = sim::sweep::Table::parse(&text) {
            let table = table.map_err(|e| {
                UsageError(format!(
                    "{}:{}:{}: not a sweep table: {e}",
                    file.display(),
                    e.line(),
                    e.column()
                ))
            })?;
            let named = a
                .objective
                .clone()
                .or_else(|| Some(table.objective.clone()).filter(|o| !o.is_empty()));
            let objective = objective_of(named.as_deref().unwrap_or("goodput_ratio"))?;
            let mut h = heatmap(&file, &table.points, &objective)?;
            h.notes = sim::sweep::findings(&table.points, &table.axes(), &objective, &table.slo);
            if !table.slo.is_empty() {
                let met = sim::sweep::best_config(&table.points, &objective).is_some();
                h.slo_met = Some((table.slo.join(", "), met));
            }
            h.notes
                .push(format!("{} points: {}", table.points.len(), file.display()));
            if let Some(name) = &table.scenario {
                h.title = format!("{name} · {}", h.title);
                sweep_names.push(name.clone());
            }
            heatmaps.push(h);
        } else {
            groups.push(vec![Results::from_json(&file.display().to_string(), &text)?]);
        }
    }
    let runs: Vec<Results> = groups.iter().filter_map(|g| g.first().cloned()).collect();
    let labels = reports::entry::default_labels(&runs);
    let title = a.title.clone().unwrap_or_else(|| {
        let mut names: Vec<&str> = runs.iter().map(|r| r.scenario_name.as_str()).collect();
        names.dedup();
        for n in &sweep_names {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
        if names.is_empty() {
            "parameter sweep".into()
        } else {
            names.join(", ")
        }
    });
    let entries: Vec<Entry> = groups.into_iter().zip(labels).map(|(g, l)| Entry::new(l, g)).collect();
    let report = Report {
        title,
        entries: &entries,
        expectations: &[],
        baseline: None,
        heatmaps,
        thresholds_gate: true,
    };
    let written = reports::write(&a.out, &report)?;
    if !entries.is_empty() {
        print!("{}", reports::table::render_text(&entries));
    }
    reports::report::append_step_summary_or_warn(&written.summary_md);
    println!(
        "report: {}  ({} charts, summary.md, junit.xml)",
        written.index.display(),
        written.charts.len() / 2
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::results::GroupSummary;

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
