//! `summary.md`: the report as GitHub-flavoured markdown, for a CI job summary.

use crate::report::Report;
use crate::table;
use std::fmt::Write as _;

/// Escapes the characters that would break a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A table; `left(column, columns)` says which columns hold names (left-aligned) rather than
/// figures.
fn md_table(o: &mut String, header: &[String], rows: &[Vec<String>], left: impl Fn(usize, usize) -> bool) {
    let n = header.len();
    let _ = writeln!(o, "| {} |", header.join(" | "));
    let _ = writeln!(
        o,
        "|{}",
        (0..n)
            .map(|i| if left(i, n) { " --- |" } else { " ---: |" })
            .collect::<String>()
    );
    for row in rows {
        let _ = writeln!(o, "| {} |", row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | "));
    }
    o.push('\n');
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "## {}\n", cell(&r.title));
    if !r.entries.is_empty() {
        let (header, rows) = table::cells(r.entries);
        md_table(&mut o, &header, &rows, |c, n| c < 2 || c == n - 1);
    }
    // What the CI reader must know before trusting the table (the page says it per run).
    let named = |pick: fn(&crate::Entry) -> bool| {
        r.entries
            .iter()
            .filter(|e| pick(e))
            .map(|e| cell(&e.label))
            .collect::<Vec<_>>()
    };
    let interrupted = named(|e| e.runs.iter().any(|x| x.incomplete));
    if !interrupted.is_empty() {
        let _ = writeln!(
            o,
            "> **Interrupted:** {} stopped early; figures cover what was gathered.\n",
            interrupted.join(", ")
        );
    }
    let lagging = named(crate::Entry::lagging);
    if !lagging.is_empty() {
        let _ = writeln!(
            o,
            "> **Caution:** the load generator fell behind its schedule in {}: their latencies include its own delay.\n",
            lagging.join(", ")
        );
    }
    if let Some((header, rows)) = table::class_cells(r.entries) {
        let _ = writeln!(o, "By priority class:\n");
        md_table(&mut o, &header, &rows, |c, n| {
            c < 2 || (c == n - 1 && header[c] == "verdict")
        });
    }
    if let Some((header, rows)) = table::service_cells(r.entries) {
        let _ = writeln!(o, "By service:\n");
        md_table(&mut o, &header, &rows, |c, n| {
            c < 2 || (c == n - 1 && header[c] == "verdict")
        });
    }
    for e in r.entries {
        if let Some(first) = e.first() {
            let _ = writeln!(
                o,
                "- **{}**: {} — {}",
                cell(&e.label),
                first.summary.whole.verdict.map_or("no verdict", |v| v.as_str()),
                cell(&first.summary.whole.verdict_reason)
            );
        }
    }
    if !r.expectations.is_empty() {
        let failed = r.expectations.iter().filter(|c| !c.passed).count();
        let _ = writeln!(
            o,
            "\n### Expectations: {} of {} hold\n",
            r.expectations.len() - failed,
            r.expectations.len()
        );
        for c in r.expectations {
            let _ = writeln!(
                o,
                "- {} `{}` ({})",
                if c.passed { "✅" } else { "❌" },
                c.expectation,
                cell(&c.detail)
            );
        }
    }
    let thresholds: Vec<_> = r
        .entries
        .iter()
        .filter_map(|e| e.first().map(|f| (e, f)))
        .filter(|(_, f)| !f.thresholds.is_empty())
        .collect();
    if !thresholds.is_empty() {
        let _ = writeln!(o, "\n### Scenario thresholds\n");
        for (e, f) in thresholds {
            for t in &f.thresholds {
                let _ = writeln!(
                    o,
                    "- {} {}: `{}`",
                    if t.passed { "✅" } else { "❌" },
                    cell(&e.label),
                    t.check
                );
            }
        }
    }
    if let Some(b) = &r.baseline {
        let _ = writeln!(
            o,
            "\n### Against the baseline (tolerance {})\n",
            crate::baseline::fmt_tolerance(b.tolerance)
        );
        let _ = writeln!(o, "```\n{}```", crate::baseline::render(&b.rows, b.tolerance));
    }
    for h in &r.heatmaps {
        let _ = writeln!(o, "\n### {}\n\n```\n{}\n```", cell(&h.title), h.notes.join("\n"));
    }
    o
}
