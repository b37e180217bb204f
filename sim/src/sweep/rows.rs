//! The points as rows: the cells of a report's table, and sweep.csv.

use super::axis::show_value;
use super::point::Point;
use model::threshold::{Figure, Metric, Scope, Threshold};

/// CSV with one row per point; a class's or a service's objective gets a last column of its own.
/// The table of every point as a report shows it: the swept values, the headline figures, the
/// objective and each SLO's figure where they are not among those, and whether the SLO held
/// (in how many seeds, with replications). A report of a sweep that no point passes otherwise
/// shows only the objective, not the figures that failed.
pub fn cells(points: &[Point], objective: &Figure, slo: &[String]) -> (Vec<String>, Vec<Vec<String>>) {
    let shown = |f: &Figure| {
        f.scope == Scope::Whole
            && matches!(
                f.metric,
                Metric::GoodputRatio | Metric::P50 | Metric::P99 | Metric::Amplification | Metric::Recovery
            )
    };
    // Each extra column: its figure, and the SLO whose reading fills it where the point does
    // not keep the figure itself (p999, timeouts, every service's p99).
    let mut extra: Vec<(Figure, Option<usize>)> = Vec::new();
    let slo_figures = slo
        .iter()
        .enumerate()
        .filter_map(|(i, t)| Some((t.parse::<Threshold>().ok()?.figure, Some(i))));
    for (f, i) in std::iter::once((objective.clone(), None)).chain(slo_figures) {
        match extra.iter_mut().find(|(g, _)| *g == f) {
            Some((_, j)) => *j = j.or(i),
            None if !shown(&f) => extra.push((f, i)),
            None => {}
        }
    }
    let mut header: Vec<String> = points
        .first()
        .map(|p| p.params.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    // The ratio, named so: headed "goodput", its 25.3% read as successes per second's bound
    // (`goodput >= 0.8`), as in the runs' tables.
    header.extend(["goodput ratio", "p50", "p99", "amplif.", "recovery", "verdict"].map(String::from));
    header.extend(extra.iter().map(|(f, _)| f.to_string()));
    if !slo.is_empty() {
        header.push(format!("SLO ({})", slo.join(", ")));
    }
    let rows = points
        .iter()
        .map(|p| {
            let mut row: Vec<String> = p.params.iter().map(|(_, v)| show_value(v)).collect();
            row.push(model::threshold::share(p.goodput_ratio));
            row.push(model::results::fmt_secs(p.p50));
            row.push(model::results::fmt_secs(p.p99));
            row.push(format!("{:.2}", p.amplification));
            // No recovery time: "never" when it did not recover, "-" when it had nothing to
            // recover from (stable, no trigger) or was not judged. A run that held reads 0s,
            // as in the reports' tables.
            row.push(p.recovery_s.map_or_else(
                || match p.verdict.as_str() {
                    "metastable" | "overloaded" => "never".into(),
                    _ => "-".into(),
                },
                model::results::fmt_secs,
            ));
            row.push(p.verdict_text());
            for (f, slo_index) in &extra {
                let measured = slo_index.and_then(|i| p.slo_measured.get(i));
                let shown = |v: f64| match f.metric.is_ratio() {
                    true => model::threshold::share(v),
                    false => f.metric.show(Some(v)),
                };
                row.push(match (p.value(f), measured) {
                    // `service[*]`: as its check reads it, naming the worst service.
                    (_, Some(m)) if f.scope == Scope::EveryService => m.clone(),
                    (Some(v), None) if f.scope == Scope::EveryService => match p.worst_label(f) {
                        Some(l) => format!("{} in {l}", shown(v)),
                        None => shown(v),
                    },
                    (Some(v), _) if f.metric.is_ratio() => shown(v),
                    (None, Some(m)) => m.clone(),
                    (None, None) if f.metric.is_ratio() || f.scope == Scope::EveryService => "-".into(),
                    (v, _) => f.metric.show(v),
                });
            }
            if !slo.is_empty() {
                row.push(match (p.seeds > 1, p.meets_slo) {
                    (false, true) => "meets".into(),
                    (false, false) => "fails".into(),
                    (true, true) => format!("meets (all {} seeds)", p.seeds),
                    (true, false) => format!("fails (holds in {} of {} seeds)", p.slo_held.unwrap_or(0), p.seeds),
                });
            }
            row
        })
        .collect();
    (header, rows)
}

pub fn to_csv(points: &[Point], objective: &Figure, slo: &[String]) -> String {
    let extra = objective.scope != Scope::Whole;
    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
    // Quoted only where RFC 4180 needs it (a comma, a quote or a line break), so plain cells
    // stay as they were.
    let cell = |t: &str| {
        if t.contains(['"', ',', '\n', '\r']) {
            quote(t)
        } else {
            t.to_string()
        }
    };
    let mut o = String::new();
    if let Some(p) = points.first() {
        for (k, _) in &p.params {
            // A key naming a service by a quoted name (`services."billing".concurrency`): strict
            // CSV readers stop at its first `"` unless the cell is quoted.
            o.push_str(&cell(k));
            o.push(',');
        }
    }
    // The bound sized for `bounded` points given none, beside the settings it belongs with.
    let sized = points.iter().any(|p| p.sized_text().is_some());
    if sized {
        o.push_str("sized_queue_capacity,");
    }
    // `verdict` is the whole run's; `all_recover` and `failure` are the envelope's judgement
    // (every class and service too), or a filter on `verdict` counts a drowning service safe.
    o.push_str(
        "goodput_ratio,goodput,p50_s,p99_s,amplification,wasted_s,recovery_s,verdict,held,all_recover,failure,attempts,meets_slo",
    );
    if extra {
        o.push_str(&format!(",{objective}"));
    }
    // With replications: the seeds behind each row and how many met the SLO.
    let seeds = points.iter().any(|p| p.seeds > 1);
    if seeds {
        o.push_str(",seeds,slo_held");
    }
    // What each SLO measured (a figure the columns above may not hold: p999, timeouts).
    for t in slo {
        o.push(',');
        o.push_str(&quote(&format!("measured: {t}")));
    }
    o.push('\n');
    for p in points {
        for (_, v) in &p.params {
            // A table value (`{ dist = "exponential", mean = "1s" }`) has commas and quotes.
            o.push_str(&cell(&show_value(v)));
            o.push(',');
        }
        if sized {
            o.push_str(&p.sized_text().unwrap_or_else(|| "-".to_string()));
            o.push(',');
        }
        let recovered = p.recovered();
        let failure = if recovered { String::new() } else { cell(&p.failure()) };
        o.push_str(&format!(
            "{:.6},{},{:.6},{:.6},{:.4},{:.3},{},{},{},{recovered},{failure},{},{}",
            p.goodput_ratio,
            p.goodput.map_or(String::new(), |g| format!("{g:.4}")),
            p.p50,
            p.p99,
            p.amplification,
            p.wasted_s,
            p.recovery_s.map_or(String::new(), |r| format!("{r:.3}")),
            p.verdict,
            p.held,
            p.attempts,
            p.meets_slo
        ));
        if extra {
            o.push(',');
            if let Some(v) = p.value(objective) {
                o.push_str(&format!("{v:.6}"));
            }
        }
        if seeds {
            o.push_str(&format!(
                ",{},{}",
                p.seeds,
                p.slo_held.unwrap_or(u32::from(p.meets_slo))
            ));
        }
        for i in 0..slo.len() {
            o.push(',');
            if let Some(v) = p.slo_values.get(i).copied().flatten() {
                // Six decimals like the columns before (`to_string` wrote 0.32447899999999996).
                o.push_str(&format!("{v:.6}"));
            }
        }
        o.push('\n');
    }
    o
}
