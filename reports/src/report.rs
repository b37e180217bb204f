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

/// A chart with where it belongs in the page.
pub(crate) struct Placed {
    pub figure: Figure,
    /// `None`: an overlay of all runs; `Some(i)`: entry `i`'s own chart.
    pub entry: Option<usize>,
}

/// Draws every chart the report needs.
pub(crate) fn figures(r: &Report) -> Result<Vec<Placed>, ChartError> {
    let firsts: Vec<(usize, Labeled)> = r
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
                )
            })
        })
        .collect();
    let mut out = Vec::new();
    let labeled: Vec<Labeled> = firsts.iter().map(|(_, l)| *l).collect();
    if !labeled.is_empty() {
        if labeled.len() > 1 {
            out.push(Placed {
                figure: charts::comparison(&labeled)?,
                entry: None,
            });
        }
        out.push(Placed {
            figure: charts::nines(&labeled)?,
            entry: None,
        });
    }
    for h in &r.heatmaps {
        out.push(Placed {
            figure: charts::heatmap(h)?,
            entry: None,
        });
    }
    for (i, l) in &firsts {
        let by_class = charts::nines_by_class(*l).transpose()?;
        let by_group = charts::goodput_by_group(*l)
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?;
        for f in [charts::throughput(*l)?, charts::latency(*l)?, charts::gateway(*l)?]
            .into_iter()
            .chain(by_group)
            .chain(by_class)
        {
            out.push(Placed {
                figure: f,
                entry: Some(*i),
            });
        }
    }
    Ok(out)
}

fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    std::fs::write(path, text).map_err(|error| ReportError::Io {
        path: path.display().to_string(),
        error,
    })
}

/// Writes the report into `dir` (created if missing).
pub fn write(dir: &Path, r: &Report) -> Result<Written, ReportError> {
    std::fs::create_dir_all(dir).map_err(|error| ReportError::Io {
        path: dir.display().to_string(),
        error,
    })?;
    let placed = figures(r)?;
    let mut charts = Vec::new();
    for p in &placed {
        charts.extend(p.figure.write(dir)?);
    }
    let index = dir.join("index.html");
    write_file(&index, &crate::html::render(r, &placed))?;
    let summary_md = dir.join("summary.md");
    write_file(&summary_md, &crate::markdown::render(r))?;
    let junit = dir.join("junit.xml");
    write_file(&junit, &crate::junit::render(r).map_err(ReportError::Junit)?)?;
    Ok(Written {
        index,
        summary_md,
        junit,
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
