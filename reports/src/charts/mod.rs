//! Charts of spillway results, each rendered twice from one drawing routine: SVG text that
//! `index.html` inlines (crisp, searchable, no extra files to keep next to the page) and PNG bytes
//! for places that cannot show SVG (CI job summaries, chat, issue trackers).
//!
//! Every chart is drawn by code that is generic over plotters' `DrawingBackend`, so the SVG and
//! the PNG cannot drift apart. Text uses the DejaVu Sans font bundled in `assets/` and
//! registered with plotters at first use: CI runners and containers often have no system fonts
//! at all, and a chart without labels is worse than no chart. (The PNG's text is laid out by
//! ab_glyph directly rather than by plotters, whose bitmap text loses letter spacing.)
//!
//! The charts read only [`model::results::Results`], so they never panic on what a results
//! file may hold (no windows, empty histograms, zero-length windows, NaN): such a chart says
//! "no data" instead, because a report with one odd run should still render the others.

mod comparison;
mod glyphs;
mod heatmap;
mod nines;
mod render;
mod timeline;

pub use comparison::{comparison, comparison_of};
pub use heatmap::{heatmap, Heatmap};
pub use nines::{nines, nines_by_class, nines_of};
pub use timeline::{gateway, goodput_by_group, held_by_service, latency, throughput, MAX_GROUP_LINES};

use model::results::Results;
use std::path::{Path, PathBuf};

/// Why a chart could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// plotters refused to draw (a backend or layout error).
    #[error("cannot draw chart: {0}")]
    Draw(String),
    /// The bundled font could not be registered.
    #[error("cannot load the chart font: {0}")]
    Font(String),
    /// The PNG encoder failed.
    #[error("cannot encode PNG: {0}")]
    Encode(String),
    #[error("cannot write {}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(e.to_string())
    }
}

/// One chart, rendered twice: SVG text (inlined into index.html) and PNG bytes.
#[derive(Clone, Debug)]
pub struct Figure {
    /// File name without extension, e.g. `throughput-fifo-sim`.
    pub stem: String,
    pub title: String,
    pub svg: String,
    pub png: Vec<u8>,
}

impl Figure {
    /// Writes `<dir>/<stem>.svg` and `<dir>/<stem>.png` (creating `dir` if needed); returns both
    /// paths, SVG first.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, ChartError> {
        std::fs::create_dir_all(dir).map_err(|error| ChartError::Io {
            path: dir.to_path_buf(),
            error,
        })?;
        let mut paths = Vec::with_capacity(2);
        for (ext, bytes) in [("svg", self.svg.as_bytes()), ("png", self.png.as_slice())] {
            let path = dir.join(format!("{}.{ext}", self.stem));
            std::fs::write(&path, bytes).map_err(|error| ChartError::Io {
                path: path.clone(),
                error,
            })?;
            paths.push(path);
        }
        Ok(paths)
    }
}

/// Every chart of one run, in page order: throughput, latency, the gateway (not for a run
/// against an external target, which does not see it), goodput per class and per service,
/// requests held per service, latency per class. `replications`: how many seeds the run stands
/// for (1 for a single run); the charts draw the first, and their subtitles say which seed
/// that is.
pub fn per_run(run: Labeled, replications: usize) -> Result<Vec<Figure>, ChartError> {
    let mut out = vec![
        timeline::throughput_of(run, replications)?,
        timeline::latency_of(run, replications)?,
    ];
    // Against an external target the gateway's queue is not seen: its chart was an empty box
    // (the run's card says so instead).
    if !run.results.summary.external_target {
        out.push(timeline::gateway_of(run, replications)?);
    }
    for f in timeline::goodput_by_group_of(run, replications) {
        out.push(f?);
    }
    if let Some(f) = timeline::held_by_service_of(run, replications) {
        out.push(f?);
    }
    if let Some(f) = nines::nines_by_class_of(run, replications) {
        out.push(f?);
    }
    Ok(out)
}

/// A results file with the label it carries in legends (e.g. "fifo (sim)").
#[derive(Clone, Copy, Debug)]
pub struct Labeled<'a> {
    pub label: &'a str,
    pub results: &'a Results,
}

/// The longest slug: chart files are named `<kind>-<slug>-<n>.<ext>` and `compare` names a
/// run's directory by its slug, and a file name past the file system's limit (255 bytes) made
/// a report fail after half its files were written.
pub const MAX_SLUG: usize = 80;

/// A file-name-safe form of a label: lowercase ascii alnum and '-', e.g. "fifo (sim)" ->
/// "fifo-sim". Runs of other characters become one '-', none at either end; a label with no
/// ascii letter or digit at all gives "run", so a stem never ends in a bare '-'. A slug longer
/// than [`MAX_SLUG`] is cut and ends in a hash of the whole label, so labels that share a long
/// beginning keep slugs of their own.
pub fn slug(label: &str) -> String {
    let mut s = String::with_capacity(label.len().min(4 * MAX_SLUG));
    for c in label.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() {
        s.push_str("run");
    }
    if s.len() > MAX_SLUG {
        let hash = format!("{:016x}", fnv1a(label.as_bytes()));
        // The slug is ascii, so any byte index is a char boundary.
        s.truncate(MAX_SLUG - hash.len() - 1);
        while s.ends_with('-') {
            s.pop();
        }
        s.push('-');
        s.push_str(&hash);
    }
    s
}

/// 64-bit FNV-1a: stable across builds and platforms (std's hashers promise neither), so a
/// label keeps its file names from one version to the next.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
