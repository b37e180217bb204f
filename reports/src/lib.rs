//! Reports for spillway results: charts (PNG and SVG, drawn with plotters and a bundled font),
//! a self-contained `index.html`, `summary.md` for CI job summaries, `junit.xml`, and the
//! cross-run checks behind `spillway compare` (expectations and baseline regressions).
//!
//! Everything here reads [`model::results::Results`], the file the simulator and the load
//! generator both write, so a sim run and a live run render side by side. Running the runs is
//! the caller's business (the `spillway` binary drives `sim` and `loadgen`); this crate only
//! looks at what they wrote.

pub mod baseline;
pub mod charts;
pub mod entry;
pub mod expect;
#[doc(hidden)]
pub mod fixture;
pub mod html;
mod install;
pub mod junit;
pub mod markdown;
pub mod report;
pub mod table;

pub use entry::Entry;
pub use report::{write, Baseline, Report, ReportError, Written};
