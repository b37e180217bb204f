//! The comparison table: one row per run, the headline figures as columns. The same cells feed
//! the terminal, `summary.md` and `index.html`.

use crate::entry::{Entry, NOT_JUDGED};
use crate::expect::show;
use model::scenario::Priority;
use model::threshold::{Figure, Metric};

/// Columns after the label: (header, metric).
pub const COLUMNS: [(&str, Metric); 8] = [
    ("goodput ratio", Metric::GoodputRatio),
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
            let idle = crate::entry::nothing_offered(&e.runs);
            for (_, m) in COLUMNS {
                let i = e.figure(m);
                row.push(match m {
                    // Not 100.0%: a goodput ratio of no requests is no measurement.
                    Metric::GoodputRatio if idle => crate::entry::NOTHING_OFFERED.into(),
                    // 0 s of 0 s is no share: "0.0%" would read as "no waste measured".
                    Metric::WastedRatio if e.runs.iter().all(|r| r.summary.backend_busy_s <= 0.0) => "-".into(),
                    Metric::GoodputRatio | Metric::WastedRatio => percent(&i),
                    Metric::Recovery if !has_trigger(e) => "-".into(),
                    Metric::Recovery => e.recovery_text_of(&model::threshold::Scope::Whole),
                    _ => show(&i, Some(m)),
                });
            }
            row.push(e.verdict_text());
            row
        })
        .collect();
    (header, rows)
}

/// Whether the entry's scenario has a trigger phase (so a recovery time means something).
fn has_trigger(e: &Entry) -> bool {
    e.first().is_none_or(model::results::Results::has_trigger)
}

/// Columns of the per-class and per-service tables after run and group.
/// A last column gives the group's own verdict.
pub const GROUP_COLUMNS: [(&str, Metric); 10] = [
    ("offered", Metric::Offered),
    ("goodput ratio", Metric::GoodputRatio),
    ("p50", Metric::P50),
    ("p99", Metric::P99),
    ("timeouts", Metric::Timeouts),
    ("shed", Metric::Shed),
    ("429", Metric::RateLimited),
    // The deadline strategy answers 504, not 503: without it a group read `shed 0`.
    ("expired", Metric::Expired),
    ("amplif.", Metric::Amplification),
    ("recovery", Metric::Recovery),
];

/// The per-class table (one row per run and priority class it sent), for runs whose results
/// keep classes; `None` when none does or no run sent to any.
pub fn class_cells(entries: &[Entry]) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    group_cells(entries, "class", |r| {
        Priority::ALL
            .into_iter()
            .filter_map(|p| {
                r.summary
                    .class(p)
                    .map(|g| (p.as_str().to_string(), g, Figure::class(p, Metric::P99)))
            })
            .collect()
    })
}

/// The per-service table (one row per run and service it sent to), for runs whose results keep
/// services; `None` when none does or no run sent to any.
pub fn service_cells(entries: &[Entry]) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    group_cells(entries, "service", |r| {
        model::results::services_in_order(&r.summary.services)
            .into_iter()
            .map(|(name, g)| (name.clone(), g.clone(), Figure::service(name, Metric::P99)))
            .collect()
    })
}

/// One row per entry and group its first run kept and some run sent to; `groups` lists a run's
/// groups as (name, figures, a figure of the group, whose metric is replaced per column).
fn group_cells(
    entries: &[Entry],
    kind: &str,
    groups: impl Fn(&model::results::Results) -> Vec<(String, model::results::GroupSummary, Figure)>,
) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let mut header = vec!["run".to_string(), kind.to_string()];
    header.extend(GROUP_COLUMNS.iter().map(|(h, _)| h.to_string()));
    header.push("verdict".into());
    let mut rows = Vec::new();
    let mut kept = false;
    for e in entries {
        let Some(first) = e.first() else { continue };
        let listed = groups(first);
        kept |= !listed.is_empty();
        for (name, _, figure) in listed {
            // A group no run of the entry sent to (all of `untagged` is interactive) has no row.
            let sent = e
                .runs
                .iter()
                .any(|r| groups(r).iter().any(|(n, g, _)| *n == name && g.offered > 0));
            if !sent {
                continue;
            }
            let mut row = vec![e.label.clone(), name];
            let verdicts = e.verdicts_of(&figure.scope);
            let verdict = e.verdict_text_of(&figure.scope);
            for (_, m) in GROUP_COLUMNS {
                let i = e.figure(Figure {
                    metric: m,
                    ..figure.clone()
                });
                row.push(match m {
                    Metric::GoodputRatio => percent(&i),
                    // No trigger, or results that keep no group verdicts: nothing to recover.
                    // A group not judged (a run cut short) reads so here too, as the whole
                    // run's recovery does, not "-".
                    Metric::Recovery if !has_trigger(e) => "-".into(),
                    Metric::Recovery if verdicts.is_empty() && verdict != NOT_JUDGED => "-".into(),
                    Metric::Recovery => e.recovery_text_of(&figure.scope),
                    _ => show(&i, Some(m)),
                });
            }
            row.push(verdict);
            rows.push(row);
        }
    }
    // A header over no rows (no run sent to any group) reads like a table that lost its rows.
    (kept && !rows.is_empty()).then_some((header, rows))
}

/// A share as a percentage that never reads as a bound it does not reach: see
/// [`model::threshold::share`].
pub use model::threshold::share;

fn percent(i: &model::interval::Interval) -> String {
    if i.mean.is_nan() {
        "-".into()
    } else if i.n > 1 && i.half_width.is_finite() && i.half_width > 0.0 {
        let (lo, hi) = (i.mean - i.half_width, i.mean + i.half_width);
        if lo < 0.0 || hi > 1.0 {
            // A share is between 0 and 100%: an interval past either is shown clipped.
            // The clipped ends are the bounds themselves, 0% or 100% exactly.
            return format!(
                "{} (95% CI {} to {})",
                share(i.mean),
                share(lo.max(0.0)),
                share(hi.min(1.0))
            );
        }
        // The half-width is in percentage points, not a share of the mean.
        format!("{} ± {}", share(i.mean), model::interval::points_text(i.half_width))
    } else {
        share(i.mean)
    }
}

/// Columns padded to their widest cell, for the terminal; the per-class table follows when
/// runs keep classes.
pub fn render_text(entries: &[Entry]) -> String {
    let (header, rows) = cells(entries);
    let mut o = pad_columns(&header, &rows, |c, n| c < 2 || c == n - 1);
    if let Some((header, rows)) = class_cells(entries) {
        o.push_str("\nby priority class:\n");
        o.push_str(&pad_columns(&header, &rows, |c, n| {
            c < 2 || (c == n - 1 && header[c] == "verdict")
        }));
    }
    if let Some((header, rows)) = service_cells(entries) {
        o.push_str("\nby service:\n");
        o.push_str(&pad_columns(&header, &rows, |c, n| {
            c < 2 || (c == n - 1 && header[c] == "verdict")
        }));
    }
    o
}

/// `left(column, columns)`: whether a column holds names (left-aligned) rather than figures.
fn pad_columns(header: &[String], rows: &[Vec<String>], left: impl Fn(usize, usize) -> bool) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            std::iter::once(header)
                .chain(rows.iter().map(Vec::as_slice))
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
            if left(c, r.len()) {
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
    let mut o = line(header);
    for r in rows {
        o.push_str(&line(r));
    }
    o
}

/// Whether column `c` of a sweep's table of points holds text (left-aligned): the swept values
/// before the first figure (`goodput ratio`), the verdict and the SLO's outcome.
pub(crate) fn is_text_column(header: &[String], c: usize) -> bool {
    let settings = header.iter().position(|h| h == "goodput ratio").unwrap_or(0);
    c < settings || header.get(c).is_some_and(|h| h == "verdict" || h.starts_with("SLO"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::results::{GroupCounters, GroupSummary, Percentiles};

    /// A share's interval reaching past 0 or 100% is clipped to what a share can be.
    #[test]
    fn a_share_below_100_percent_never_reads_100_percent() {
        let iv = |mean, half_width, n| model::interval::Interval { mean, half_width, n };
        assert_eq!(percent(&iv(0.9999, 0.0, 1)), "99.99%");
        assert_eq!(percent(&iv(0.9999, 0.001, 3)), "99.99% (95% CI 99.9% to 100.0%)");
        assert_eq!(percent(&iv(0.9996, 0.0001, 3)), "99.96% ± 0.010 pp");
    }

    #[test]
    fn a_share_interval_stays_between_0_and_100_percent() {
        let iv = |mean, half_width| model::interval::Interval { mean, half_width, n: 5 };
        assert_eq!(percent(&iv(0.5, 0.1)), "50.0% ± 10.0 pp");
        assert_eq!(percent(&iv(0.99, 0.03)), "99.0% (95% CI 96.0% to 100.0%)");
        assert_eq!(percent(&iv(0.02, 0.05)), "2.0% (95% CI 0.0% to 7.0%)");
    }

    /// The column of the goodput ratio says so: headed "goodput", its 25.3% read as the
    /// figure `goodput >= 0.8` bounds, a rate (successes per second).
    #[test]
    fn the_goodput_ratio_column_is_named_a_ratio() {
        let e = [with_classes("fifo", 0, 400)];
        for header in [cells(&e).0, class_cells(&e).unwrap().0] {
            assert!(header.iter().any(|h| h == "goodput ratio"), "{header:?}");
            assert!(!header.iter().any(|h| h == "goodput"), "{header:?}");
        }
    }

    fn with_classes(label: &str, interactive_shed: u64, background_offered: u64) -> Entry {
        let mut r = crate::fixture::blank();
        let class = |intents, shed| {
            GroupSummary::of(
                &GroupCounters {
                    intents,
                    attempts: intents + shed,
                    successes: intents,
                    shed,
                    ..Default::default()
                },
                Percentiles::default(),
                10.0,
            )
        };
        r.summary
            .classes
            .insert(Priority::Interactive, class(100, interactive_shed));
        r.summary
            .classes
            .insert(Priority::Background, class(background_offered, 0));
        Entry::new(label, vec![r])
    }

    #[test]
    fn the_class_table_has_a_row_per_run_and_class_sent() {
        assert!(class_cells(&[Entry::new("fifo", vec![crate::fixture::blank()])]).is_none());
        let (header, rows) =
            class_cells(&[with_classes("priorities", 0, 400), with_classes("bounded", 30, 0)]).unwrap();
        let shed = header.iter().position(|h| h == "shed").unwrap();
        let cells: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str(), r[shed].as_str()))
            .collect();
        assert_eq!(
            cells,
            [
                ("priorities", "interactive", "0"),
                ("priorities", "background", "0"),
                ("bounded", "interactive", "30"),
            ],
            "bounded sent no background: no row"
        );
        let text = render_text(&[with_classes("bounded", 30, 0)]);
        assert!(text.contains("by priority class:"), "{text}");

        // The last columns: the class's recovery (only with a trigger) and its own verdict.
        let judged = |recovery_s: f64, held: bool| {
            let mut e = with_classes("priorities", 0, 400);
            let r = &mut e.runs[0];
            r.phases[0].trigger = true;
            r.summary.whole.offered = 500;
            r.summary.whole.verdict = Some(model::results::Verdict::Recovered);
            let g = r.summary.classes.get_mut(&Priority::Background).unwrap();
            (g.verdict, g.recovery_s, g.held) = (Some(model::results::Verdict::Recovered), Some(recovery_s), held);
            class_cells(&[e]).unwrap()
        };
        let (header, rows) = judged(12.0, false);
        assert_eq!(header[header.len() - 2..], ["recovery", "verdict"]);
        let tail = |row: &Vec<String>| row[row.len() - 2..].to_vec();
        assert_eq!(tail(&rows[0]), ["-", "-"], "interactive kept no verdict");
        assert_eq!(tail(&rows[1]), ["12.0s", "recovered"]);
        // A group that never fell below the line reads as the summary has it: held.
        let (_, rows) = judged(0.0, true);
        assert_eq!(tail(&rows[1]), ["0s", "held"]);
    }

    /// A group not judged (a run that ended too soon after its trigger, or was interrupted)
    /// reads "not judged" in its recovery cell as in its verdict cell, as the whole run's row
    /// does; its recovery read "-", as if the run had no trigger.
    #[test]
    fn a_group_not_judged_says_so_in_its_recovery_cell() {
        let run = |whole: Option<model::results::Verdict>| {
            let mut e = with_classes("fifo", 0, 400);
            let r = &mut e.runs[0];
            r.phases[0].trigger = true;
            r.summary.whole.offered = 500;
            r.summary.whole.verdict = whole;
            for g in r.summary.classes.values_mut() {
                g.verdict_reason =
                    "the run ended 3s after its trigger; judging recovery takes 5s after the trigger".into();
            }
            // Interactive given no reason either (no baseline): nothing to say of it.
            r.summary
                .classes
                .get_mut(&Priority::Interactive)
                .unwrap()
                .verdict_reason
                .clear();
            e
        };
        let tail = |row: &Vec<String>| row[row.len() - 2..].to_vec();
        let (_, rows) = cells(&[run(None)]);
        assert_eq!(tail(&rows[0]), ["not judged", "not judged"]);
        let (_, rows) = class_cells(&[run(None)]).unwrap();
        assert_eq!(tail(&rows[0]), ["not judged", "not judged"], "as the whole run");
        assert_eq!(tail(&rows[1]), ["not judged", "not judged"]);
        // The whole run judged: the group with a reason for no verdict is not judged; the one
        // without one kept no verdict.
        let (_, rows) = class_cells(&[run(Some(model::results::Verdict::Recovered))]).unwrap();
        assert_eq!(tail(&rows[0]), ["-", "-"]);
        assert_eq!(tail(&rows[1]), ["not judged", "not judged"]);
    }
}
