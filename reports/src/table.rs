//! The comparison table: one row per run, the headline figures as columns. The same cells feed
//! the terminal, `summary.md` and `index.html`.

use crate::entry::Entry;
use crate::expect::show;
use model::threshold::Metric;

/// Columns after the label: (header, metric).
pub const COLUMNS: [(&str, Metric); 8] = [
    ("goodput", Metric::GoodputRatio),
    ("p50", Metric::P50),
    ("p99", Metric::P99),
    ("p99.9", Metric::P999),
    ("max", Metric::Max),
    ("amplif.", Metric::Amplification),
    ("wasted", Metric::WastedRatio),
    ("recovery", Metric::Recovery),
];

/// Header and rows of cells (label, source, the metrics, verdict).
pub fn cells(entries: &[Entry]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec!["run".to_string(), "source".to_string()];
    header.extend(COLUMNS.iter().map(|(h, _)| h.to_string()));
    header.push("verdict".into());
    let rows = entries
        .iter()
        .map(|e| {
            let mut row = vec![e.label.clone(), e.source().to_string()];
            for (_, m) in COLUMNS {
                let i = e.figure(m);
                row.push(match m {
                    Metric::GoodputRatio | Metric::WastedRatio => percent(&i),
                    Metric::Recovery if e.first().is_some_and(|r| !r.phases.iter().any(|p| p.trigger)) => "-".into(),
                    _ => show(&i, Some(m)),
                });
            }
            row.push(e.verdict_text());
            row
        })
        .collect();
    (header, rows)
}

fn percent(i: &model::interval::Interval) -> String {
    if i.n > 1 && i.half_width.is_finite() && i.half_width > 0.0 {
        format!("{:.1}% ± {:.1}", i.mean * 100.0, i.half_width * 100.0)
    } else {
        format!("{:.1}%", i.mean * 100.0)
    }
}

/// Columns padded to their widest cell, for the terminal.
pub fn render_text(entries: &[Entry]) -> String {
    let (header, rows) = cells(entries);
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            std::iter::once(&header)
                .chain(rows.iter())
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |r: &[String]| {
        let mut s = String::new();
        for (c, cell) in r.iter().enumerate() {
            let pad = widths[c].saturating_sub(cell.chars().count());
            // Names left, figures right.
            if c < 2 || c == r.len() - 1 {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            }
            s.push_str("  ");
        }
        s.trim_end().to_string() + "\n"
    };
    let mut o = line(&header);
    for r in &rows {
        o.push_str(&line(r));
    }
    o
}
