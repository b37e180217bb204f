//! `summary.md`: the report as GitHub-flavoured markdown, for a CI job summary.

use crate::expect::show;
use crate::report::Report;
use crate::table;
use model::results::verdict_label;
use model::threshold::Metric;
use std::fmt::Write as _;

/// The most points a sweep's table in summary.md lists (GitHub caps a job summary at 1 MiB).
const MAX_POINT_ROWS: usize = 60;

/// Escapes the characters that would break a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Plain text (a title, a label) as markdown shows it literally: no HTML (`<b>` stays text),
/// no emphasis, links, headings or code, no cell breaks.
fn md(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut o = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        // `goodput_ratio`: an underscore inside a word makes no emphasis.
        let intraword = |k: Option<&char>| k.is_some_and(|k| k.is_alphanumeric());
        match c {
            '_' if intraword(i.checked_sub(1).and_then(|k| chars.get(k))) && intraword(chars.get(i + 1)) => o.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                o.push('\\');
                o.push(c);
            }
            // A `#` only makes a heading at the start of a line.
            '#' if i == 0 => o.push_str("\\#"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\n' | '\r' => o.push(' '),
            // As in the page (see `html::esc`): no NUL or ESC in a job summary.
            c if c.is_control() && c != '\t' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// [`md`] for spillway's own sentences, which quote names and settings in backticks: those
/// stay code spans (escaped, they showed as literal backticks), and the rest is escaped. A
/// span whose text holds what would end it early (a newline) or that is not closed is
/// escaped whole, as `md` would.
fn md_prose(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    let mut o = String::with_capacity(s.len());
    for (i, part) in parts.iter().enumerate() {
        let closed = i + 1 < parts.len();
        if i % 2 == 1 && closed && !part.is_empty() && !part.contains(['\n', '\r']) {
            o.push('`');
            o.push_str(part);
            o.push('`');
        } else if i % 2 == 1 {
            let close = if closed { "`" } else { "" };
            o.push_str(&md(&format!("`{part}{close}")));
        } else {
            o.push_str(&md(part));
        }
    }
    o
}

/// The outcome counts the page's card gives (means over the seeds with replications).
fn counts(e: &crate::Entry) -> String {
    [
        ("timeouts", Metric::Timeouts),
        ("shed (503)", Metric::Shed),
        ("429", Metric::RateLimited),
        ("expired (504)", Metric::Expired),
        ("errors", Metric::Errors),
    ]
    .into_iter()
    .map(|(name, m)| format!("{name} {}", show(&e.figure(m), Some(m))))
    .collect::<Vec<_>>()
    .join(", ")
}

/// A table of plain-text cells, escaped here and only here (escaped twice, a label's `|` read
/// `\\|`: an escaped backslash, then a column break); `left(column, columns)` says which columns
/// hold names (left-aligned) rather than figures.
fn md_table(o: &mut String, header: &[String], rows: &[Vec<String>], left: impl Fn(usize, usize) -> bool) {
    let n = header.len();
    let _ = writeln!(
        o,
        "| {} |",
        header.iter().map(|h| md(h)).collect::<Vec<_>>().join(" | ")
    );
    let _ = writeln!(
        o,
        "|{}",
        (0..n)
            .map(|i| if left(i, n) { " --- |" } else { " ---: |" })
            .collect::<String>()
    );
    for row in rows {
        let _ = writeln!(o, "| {} |", row.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | "));
    }
    o.push('\n');
}

pub fn render(r: &Report) -> String {
    let mut o = String::new();
    // A report of sweeps alone: each sweep's own heading (which names its scenario) heads the
    // summary, rather than the report's title over an empty section.
    let sweeps_only = r.entries.is_empty() && !r.heatmaps.is_empty();
    if !sweeps_only {
        let _ = writeln!(o, "## {}\n", md(&r.title));
    }
    if !r.entries.is_empty() {
        let (header, rows) = table::cells(r.entries);
        md_table(&mut o, &header, &rows, |c, n| c < 2 || c == n - 1);
    }
    for w in crate::report::warnings(r) {
        let _ = writeln!(o, "> **Warning:** {}.\n", md_prose(&w));
    }
    // What the CI reader must know before trusting the table (the page says it per run).
    // Each with its own reason: an interruption, or the simulator's cap it reached.
    let incomplete: Vec<String> = r
        .entries
        .iter()
        .filter_map(|e| {
            let why = e.runs.iter().find_map(model::results::incomplete_reason)?;
            Some(format!("{} ({})", md(&e.label), md_prose(why)))
        })
        .collect();
    if !incomplete.is_empty() {
        let _ = writeln!(
            o,
            "> **Incomplete**, figures cover what was gathered: {}.\n",
            incomplete.join("; ")
        );
    }
    // What each run's gateway bounded its queue at (a bound `bounded` sized was said on
    // stderr only).
    let bounds: Vec<String> = r
        .entries
        .iter()
        .filter_map(|e| Some(format!("{} {}", md(&e.label), md(&e.queue_bounds()?))))
        .collect();
    if !bounds.is_empty() {
        let _ = writeln!(o, "Queue bounds: {}.\n", bounds.join("; "));
    }
    // Errors that are not the backend's load (a 404 from a mistyped URL, refused connections)
    // would otherwise read as overload in the table.
    for e in r.entries {
        let notes = e.notes();
        let errors = notes.other_errors();
        if !errors.is_empty() {
            let refused = notes.mostly_refused().map_or(String::new(), |(n, of, _)| {
                format!(" **{n} of {of} answers were client errors: check the target URL and credentials.**")
            });
            let _ = writeln!(o, "> **Errors in {}:** {}.{refused}\n", md(&e.label), md(&errors));
        }
        let sentences = notes.report_sentences();
        if !sentences.is_empty() {
            let _ = writeln!(o, "> **Notes on {}:**", md(&e.label));
            for s in sentences {
                let _ = writeln!(o, "> - {}.", md_prose(&s));
            }
            let _ = writeln!(o);
        }
    }
    let lagging: Vec<String> = r
        .entries
        .iter()
        .filter(|e| e.lagging())
        // Those the generator had no socket for are in its notes, with the cause.
        .map(|e| match e.unsent_without_cause() {
            0 => md(&e.label),
            n => format!("{} ({n} arrivals not sent, left out of the figures)", md(&e.label)),
        })
        .collect();
    if !lagging.is_empty() {
        let _ = writeln!(
            o,
            "> **Caution:** the load generator fell behind its schedule in {}: the latencies of {} include its own delay.\n",
            lagging.join(", "),
            if lagging.len() == 1 { "that run" } else { "those runs" }
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
    // Per run: its verdict and why, its outcome counts, and the groups behind it (what the
    // page's card says).
    for e in r.entries {
        let Some(first) = e.first() else { continue };
        let s = &first.summary;
        let idle = s.whole.offered == 0;
        let verdict = if idle {
            crate::entry::NOTHING_OFFERED
        } else {
            s.whole.verdict_name().unwrap_or("not judged")
        };
        // A run of no requests has no reason for a verdict ("goodput ratio 100.0% throughout").
        let reason = if idle {
            "the run sent no request".to_string()
        } else {
            model::results::verdict_reason(first)
        };
        let head = match e.first_seed_note() {
            Some(note) => format!("{}; {note}: {verdict}", e.verdict_text()),
            None => verdict.to_string(),
        };
        let _ = writeln!(
            o,
            "- **{}**: {head} — {}. Attempts: {}{}.",
            md(&e.label),
            cell(&reason),
            counts(e),
            if e.runs.len() > 1 {
                format!(" (means over {} seeds)", e.runs.len())
            } else {
                String::new()
            }
        );
        for note in [
            crate::entry::gateway_retries_note(first),
            crate::entry::queue_drain_note(first),
            crate::entry::cut_short(first),
            crate::entry::provenance(first).map(|f| format!("figures of {f}")),
        ]
        .into_iter()
        .flatten()
        {
            let _ = writeln!(o, "  - {}.", md_prose(&crate::report::capitalize(&note)));
        }
        let whole = s.whole.verdict.map_or("not judged".into(), |v| {
            verdict_label(v, s.whole.recovery_s, s.whole.held)
        });
        for (name, g) in s.groups_behind(first.window_s) {
            let _ = writeln!(
                o,
                "  - **behind:** {}: {} ({}); whole run: {whole}{}",
                md(&name),
                g.verdict
                    .map_or("not judged".into(), |v| verdict_label(v, g.recovery_s, g.held)),
                cell(&g.verdict_reason),
                e.first_seed_note().map_or(String::new(), |n| format!(" ({n})"))
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
                match (c.passed, c.inconclusive) {
                    (true, _) => "✅",
                    (false, false) => "❌",
                    (false, true) => "⚠️",
                },
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
        if r.thresholds_gate {
            let _ = writeln!(o, "\n### Scenario thresholds\n");
        } else {
            // As junit.xml lists them (skipped, not failed): a job that passed showed red crosses.
            let _ = writeln!(
                o,
                "\n### Scenario thresholds\n\nNot gated: this comparison gates on its {}; ➖ marks a threshold that fails.\n",
                if r.baseline.is_some() {
                    "baseline's regressions"
                } else if r.expectations.is_empty() {
                    "expectations (none given)"
                } else {
                    "expectations"
                }
            );
        }
        for (e, f) in thresholds {
            // A pass over part of a run (interrupted before its burst, say), or over part of
            // its seeds, proves nothing.
            let why = e.incomplete();
            let incomplete = why.is_some();
            for (k, t) in f.thresholds.iter().enumerate() {
                let fails = e.threshold_failures(k);
                let _ = writeln!(
                    o,
                    "- {} {}: {}`{}` ({}{}{})",
                    // A failure where the load generator fell behind or left arrivals unsent is
                    // inconclusive (exit code 4), as an expectation's is.
                    match (fails, incomplete) {
                        (0, false) => "✅",
                        (0, true) => "⚠️",
                        _ if e.generator_in_doubt() => "⚠️",
                        _ if !r.thresholds_gate => "➖",
                        _ => "❌",
                    },
                    md(&e.label),
                    t.name.as_deref().map_or(String::new(), |n| format!("{}: ", md(n))),
                    t.check,
                    cell(&t.measured_phrase()),
                    if e.runs.len() > 1 {
                        format!(" in seed {}; fails in {fails} of {} seeds", f.seed, e.runs.len())
                    } else {
                        String::new()
                    },
                    match (&why, fails) {
                        (Some(why), 0) => format!(
                            "; not judged: the run is incomplete ({}), measured over part of it",
                            md_prose(why)
                        ),
                        _ => String::new(),
                    }
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
        let (outcome, text) = baseline_outcome(r, b);
        let mark = match outcome {
            crate::baseline::Outcome::Passed => "✅",
            crate::baseline::Outcome::Failed => "❌",
            // The word `compare` prints with its exit code 4.
            crate::baseline::Outcome::Inconclusive => "⚠️ INCONCLUSIVE:",
        };
        let _ = writeln!(o, "{mark} **{}**\n", md(&text));
        for w in baseline_mismatch(r) {
            let _ = writeln!(o, "> **Warning:** {}.\n", md_prose(&w));
        }
        // The regressions first, each in a line that says what moved and by how much: the
        // table below has every metric, through which a reader had to search for them.
        let regressions: Vec<&crate::baseline::Row> = b
            .rows
            .iter()
            .filter(|row| row.change == crate::baseline::Change::Regression)
            .collect();
        for row in &regressions {
            let _ = writeln!(o, "- `{}`", row.describe(b.tolerance).replace('`', "'"));
        }
        if !regressions.is_empty() {
            o.push('\n');
        }
        let _ = writeln!(o, "```\n{}```", crate::baseline::render(&b.rows, b.tolerance));
        let _ = writeln!(
            o,
            "\nEach run's charts and card: `index.html` in this report's directory."
        );
    }
    for h in &r.heatmaps {
        let _ = writeln!(
            o,
            "{}{} {}\n",
            if o.is_empty() { "" } else { "\n" },
            if sweeps_only { "##" } else { "###" },
            md(&h.title),
        );
        notes_list(&mut o, &h.notes);
        match &h.points {
            // A job summary has room for a small grid; a large one is in sweep.csv.
            Some((header, rows)) if rows.len() <= MAX_POINT_ROWS => {
                let left: Vec<bool> = (0..header.len())
                    .map(|c| crate::table::is_text_column(header, c))
                    .collect();
                o.push('\n');
                md_table(&mut o, header, rows, |c, _| left.get(c).copied().unwrap_or(false));
            }
            Some((_, rows)) => {
                let _ = writeln!(
                    o,
                    "\n{} points: every one is in the sweep's sweep.csv and in index.html.",
                    rows.len()
                );
            }
            None => {}
        }
    }
    o
}

/// A sweep's findings as the terminal prints them (indented two spaces a level) as a nested
/// list: in a code block its lines of 200-300 characters ran off the side of a job summary.
fn notes_list(o: &mut String, notes: &[String]) {
    for line in notes.iter().flat_map(|n| n.lines()) {
        let text = line.trim_start();
        if text.is_empty() {
            continue;
        }
        let level = (line.len() - text.len()) / 2;
        let _ = writeln!(o, "{}- {}", "  ".repeat(level), md_prose(text));
    }
}

/// [`crate::baseline::mismatches`] of a baseline report's two runs (its entries are the
/// baseline's and the new run's).
pub(crate) fn baseline_mismatch(r: &Report) -> Vec<String> {
    match (r.baseline.as_ref(), r.entries) {
        (Some(_), [old, new]) => match (old.first(), new.first()) {
            (Some(o), Some(n)) => crate::baseline::mismatches(o, n),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A baseline comparison's outcome, and it in one line: "2 regressions beyond 10%", or none,
/// and why it cannot pass ([`crate::baseline::problems`]) or why it is inconclusive.
pub(crate) fn baseline_outcome(r: &Report, b: &crate::report::Baseline) -> (crate::baseline::Outcome, String) {
    use crate::baseline::Outcome;
    let regressions = b
        .rows
        .iter()
        .filter(|r| r.change == crate::baseline::Change::Regression)
        .count();
    let tol = crate::baseline::fmt_tolerance(b.tolerance);
    let mut text = match regressions {
        0 => format!("no regression beyond {tol}"),
        1 => format!("1 regression beyond {tol}"),
        n => format!("{n} regressions beyond {tol}"),
    };
    for p in &b.problems {
        text.push_str("; ");
        text.push_str(&p.detail);
    }
    // The report's entries are the baseline's run and the new one.
    let outcome = match r.entries {
        [old, new] => match (old.first(), new.first()) {
            (Some(o), Some(n)) => crate::baseline::outcome(regressions, b.problems.is_empty(), o, n),
            _ => Outcome::Failed,
        },
        _ if regressions == 0 && b.problems.is_empty() => Outcome::Passed,
        _ => Outcome::Failed,
    };
    if outcome == Outcome::Inconclusive {
        text = format!(
            "{text}, {}",
            if regressions == 0 {
                "but over a load the target never saw in full (a pass proves nothing of it)"
            } else {
                "which may be the load generator's, not the change's"
            }
        );
    }
    (outcome, text)
}

#[cfg(test)]
mod tests {
    use super::{md, md_prose};

    /// The tool's own sentences keep their code spans; everything else is escaped as in `md`.
    #[test]
    fn prose_keeps_its_code_spans() {
        assert_eq!(
            md_prose("the runs are of different scenarios (`estate` and `estate-2`): *not* comparable"),
            "the runs are of different scenarios (`estate` and `estate-2`): \\*not\\* comparable"
        );
        // An unclosed backtick, an empty span or one across lines stays literal, as `md` has it.
        assert_eq!(md_prose("a ` b"), "a \\` b");
        assert_eq!(md_prose("a `` b"), "a \\`\\` b");
        assert_eq!(md_prose("`a\nb` c"), "\\`a b\\` c");
        assert_eq!(md_prose("no spans <b>"), md("no spans <b>"));
    }
}
