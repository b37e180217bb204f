//! Writing a report directory: charts (PNG + SVG), `index.html`, `summary.md`, `junit.xml`.

use crate::baseline::Row;
use crate::charts::{self, ChartError, Figure, Heatmap, Labeled};
use crate::entry::Entry;
use crate::expect::Checked;
use std::path::{Path, PathBuf};

/// A baseline comparison to include.
#[derive(Clone, Debug)]
pub struct Baseline {
    pub old: String,
    pub new: String,
    pub tolerance: f64,
    pub rows: Vec<Row>,
    /// Why it cannot pass whatever its rows say ([`crate::baseline::problems`]).
    pub problems: Vec<crate::baseline::Problem>,
}

/// Everything a report shows.
pub struct Report<'a> {
    pub title: String,
    pub entries: &'a [Entry],
    pub expectations: &'a [Checked],
    pub baseline: Option<Baseline>,
    pub heatmaps: Vec<Heatmap>,
    /// Whether the runs' scenario thresholds gate the command (`report`, `sim run`), or only
    /// inform it (`compare` gates on its expectations): in junit.xml a failed threshold that does
    /// not gate is a skipped case, so a CI check is red exactly when the command failed.
    pub thresholds_gate: bool,
    /// What the caller found wrong with the entries side by side (one file given twice, runs
    /// of one scenario at different loads: [`crate::entry::run_warnings`]), said on stderr, the
    /// page and in summary.md beside the summary table.
    pub warnings: Vec<String>,
}

/// The files written.
#[derive(Clone, Debug)]
pub struct Written {
    pub index: PathBuf,
    pub summary_md: PathBuf,
    pub junit: PathBuf,
    pub charts: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error(transparent)]
    Chart(#[from] ChartError),
    #[error("cannot render junit.xml: {0}")]
    Junit(String),
}

/// Where a chart belongs in the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// An overlay of all runs (beside the summary table).
    Overlay,
    /// Sweep `i`'s heatmap, beside what the sweep found.
    Sweep(usize),
    /// Entry `i`'s own chart, in its card.
    Entry(usize),
}

/// A chart with where it belongs in the page.
pub(crate) struct Placed {
    pub figure: Figure,
    pub place: Place,
    /// What the page says under the chart besides its title (how to read it, which seed).
    pub note: Option<String>,
}

/// What both throughput captions say first: the chart's counts are by send time.
macro_rules! by_send_time {
    () => {
        "Requests are counted in the window they were sent in: the goodput line is the intents \
         sent then that succeeded (perhaps much later, after retries), not completions per second"
    };
}

/// How to read the throughput chart: its counts are by send time, not completion time.
pub(crate) const THROUGHPUT_NOTE: &str = concat!(
    by_send_time!(),
    "; backend busy and wasted time are counted when the work was done."
);

/// [`THROUGHPUT_NOTE`] for a run against an external target, whose chart draws no backend time.
pub(crate) const THROUGHPUT_NOTE_EXTERNAL: &str = concat!(by_send_time!(), ".");

/// Draws every chart the report needs, each with a file name (stem) of its own.
pub(crate) fn figures(r: &Report) -> Result<Vec<Placed>, ChartError> {
    let firsts: Vec<(usize, Labeled, usize)> = r
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            e.first().map(|results| {
                (
                    i,
                    Labeled {
                        label: &e.label,
                        results,
                    },
                    e.runs.len(),
                )
            })
        })
        .collect();
    let mut out = Vec::new();
    let shown: Vec<&Entry> = r.entries.iter().filter(|e| !e.runs.is_empty()).collect();
    if !shown.is_empty() {
        if shown.len() > 1 {
            out.push(Placed {
                figure: charts::comparison_of(&shown)?,
                place: Place::Overlay,
                note: None,
            });
        }
        let labeled: Vec<(Labeled, usize)> = firsts.iter().map(|(_, l, n)| (*l, *n)).collect();
        out.push(Placed {
            figure: charts::nines_of(&labeled)?,
            place: Place::Overlay,
            note: None,
        });
    }
    let several = r.heatmaps.len() > 1;
    for (i, h) in r.heatmaps.iter().enumerate() {
        let mut figure = charts::heatmap(h)?;
        if several {
            // One file (and one page anchor) per sweep: `heatmap-1`, `heatmap-2`, ...
            figure.stem = format!("{}-{}", figure.stem, i + 1);
        }
        out.push(Placed {
            figure,
            place: Place::Sweep(i),
            note: None,
        });
    }
    for (i, l, n) in &firsts {
        let seed = r.entries[*i].first_seed_note();
        let how = if l.results.summary.external_target {
            THROUGHPUT_NOTE_EXTERNAL
        } else {
            THROUGHPUT_NOTE
        };
        for f in charts::per_run(*l, *n)? {
            let throughput = f.stem.starts_with("throughput-");
            let note = match (&seed, throughput) {
                (Some(s), true) => Some(format!("{}: {how}", capitalize(s))),
                (Some(s), false) => Some(capitalize(s)),
                (None, true) => Some(how.to_string()),
                (None, false) => None,
            };
            out.push(Placed {
                figure: f,
                place: Place::Entry(*i),
                note,
            });
        }
    }
    unique_stems(&mut out);
    Ok(out)
}

/// [`crate::entry::mixed_scenarios`], unless the report compares against a baseline (which
/// says so in its own words), and the caller's [`Report::warnings`].
pub(crate) fn warnings(r: &Report) -> Vec<String> {
    let mixed = match r.baseline {
        Some(_) => None,
        None => crate::entry::mixed_scenarios(r.entries),
    };
    mixed.into_iter().chain(r.warnings.iter().cloned()).collect()
}

/// "Seed 7 (first of 10)".
pub(crate) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Makes every chart's stem unique (`-2`, `-3`, ... after a repeated one): two charts with one
/// stem would overwrite each other's files and share an anchor in the page.
fn unique_stems(placed: &mut [Placed]) {
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for p in placed.iter_mut() {
        if !seen.contains(&p.figure.stem) {
            seen.insert(p.figure.stem.clone());
            continue;
        }
        let stem = (2..)
            .map(|k| format!("{}-{k}", p.figure.stem))
            .find(|s| !seen.contains(s))
            .unwrap_or_default();
        seen.insert(stem.clone());
        p.figure.stem = stem;
    }
}

/// Writes the report into `dir` (created if missing), all or nothing: every file is rendered,
/// then written into a staging directory inside `dir`, and only then moved into place, index.html
/// last. A report that cannot be written (a full disk, a name the file system refuses) leaves
/// `dir` as it was, rather than new charts next to an earlier report's index.html.
pub fn write(dir: &Path, r: &Report) -> Result<Written, ReportError> {
    for w in warnings(r) {
        tracing::warn!("{w}");
    }
    let placed = figures(r)?;
    let index_html = crate::html::render(r, &placed);
    let summary = crate::markdown::render(r);
    let junit = crate::junit::render(r).map_err(ReportError::Junit)?;
    let mut files: Vec<(String, &[u8])> = Vec::with_capacity(2 * placed.len() + 3);
    for p in &placed {
        files.push((format!("{}.svg", p.figure.stem), p.figure.svg.as_bytes()));
        files.push((format!("{}.png", p.figure.stem), &p.figure.png));
    }
    files.push(("summary.md".into(), summary.as_bytes()));
    files.push(("junit.xml".into(), junit.as_bytes()));
    files.push(("index.html".into(), index_html.as_bytes()));
    crate::install::install(dir, &files)?;
    let charts = files[..2 * placed.len()]
        .iter()
        .map(|(name, _)| dir.join(name))
        .collect();
    Ok(Written {
        index: dir.join("index.html"),
        summary_md: dir.join("summary.md"),
        junit: dir.join("junit.xml"),
        charts,
    })
}

/// Appends `summary.md` to the GitHub Actions job summary when `$GITHUB_STEP_SUMMARY` is set.
/// [`append_step_summary`], logging a failure instead of failing: the job summary is a
/// convenience, and the command's exit code must stay the gate's.
pub fn append_step_summary_or_warn(summary_md: &Path) {
    match append_step_summary(summary_md) {
        Ok(true) => tracing::info!("summary appended to $GITHUB_STEP_SUMMARY"),
        Ok(false) => {}
        Err(e) => tracing::warn!("$GITHUB_STEP_SUMMARY: {e}; the report is complete without it"),
    }
}

pub fn append_step_summary(summary_md: &Path) -> Result<bool, ReportError> {
    let Some(target) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) else {
        return Ok(false);
    };
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |error| ReportError::Io { path, error }
    };
    let text = std::fs::read_to_string(summary_md).map_err(io(summary_md))?;
    let target = PathBuf::from(target);
    use std::io::Write as _;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&target)
        .map_err(io(&target))?;
    writeln!(f, "{text}").map_err(io(&target))?;
    Ok(true)
}
