//! The whole-run latency distribution on HdrHistogram's "nines" axis, one curve per run.
//!
//! The x axis is 1/(1-q) on a log scale, so 90%, 99%, 99.9%... are evenly spaced and the tail,
//! where queueing strategies differ most, gets as much room as the median. Unlike
//! HdrHistogram's plotter the latency axis is logarithmic too: runs compared here differ by
//! orders of magnitude (a collapsed FIFO queue at the clients' timeout, a shedding gateway at
//! the service time), and a linear axis would flatten the better one onto zero.

use super::render::{
    fmt_dur_tick, frame, legend, legend_width, log_axis, no_data, render, run_color, text, Draw, LegendEntry, Swatch,
    FRAME, GRID, INK,
};
use super::{ChartError, Figure, Labeled};
use model::results::{fmt_secs, metric, Hist};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::ops::Range;

const SIZE: (u32, u32) = (900, 420);
/// Samples per curve: enough for a smooth step shape at 900 px.
const STEPS: u32 = 480;

struct Curve {
    label: String,
    color: RGBColor,
    /// (log10(1/(1-q)), latency in seconds).
    points: Vec<(f64, f64)>,
}

struct Nines {
    title: String,
    subtitle: String,
    curves: Vec<Curve>,
}

/// The curve of one histogram: `q = 1 - 10^-x` on a fine grid of `x` up to the last quantile
/// the sample count can resolve (1 - 1/count), then the maximum.
fn curve(h: &Hist) -> Vec<(f64, f64)> {
    let n = h.len();
    if n == 0 {
        return Vec::new();
    }
    let x_end = (n as f64).log10();
    let mut pts: Vec<(f64, f64)> = (0..=STEPS)
        .map(|i| {
            let x = x_end * f64::from(i) / f64::from(STEPS);
            let q = (1.0 - 10f64.powf(-x)).clamp(0.0, 1.0);
            (x, h.0.value_at_quantile(q) as f64 / 1e6)
        })
        .collect();
    pts.push((x_end, h.max_s()));
    pts.retain(|(x, v)| x.is_finite() && v.is_finite() && *v > 0.0);
    pts
}

/// The x axis: linear in log10(1/(1-q)) from 0 to `end`, with ticks only at the nines.
struct NinesAxis {
    end: f64,
    keys: Vec<f64>,
}

impl Ranged for NinesAxis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, (a, b): (i32, i32)) -> i32 {
        let f = if self.end > 0.0 { v / self.end } else { 0.0 };
        a + (f64::from(b - a) * f).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        0.0..self.end
    }
}

/// "90%", "99%", "99.9%" for x = 1, 2, 3 (and "50%" for log10 2).
fn nines_label(x: f64) -> String {
    if (x - 2f64.log10()).abs() < 1e-6 {
        return "50%".into();
    }
    let pct = 100.0 * (1.0 - 10f64.powf(-x));
    let decimals = (x.round() as i64 - 2).clamp(0, 12) as usize;
    format!("{pct:.decimals$}%")
}

impl Draw for Nines {
    fn size(&self) -> (u32, u32) {
        SIZE
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let body = frame(root, &self.title, Some(&self.subtitle))?;
        let all = || self.curves.iter().flat_map(|c| c.points.iter());
        let lo = all().map(|p| p.1).min_by(f64::total_cmp);
        let hi = all().map(|p| p.1).max_by(f64::total_cmp);
        let x_max = all().map(|p| p.0).fold(0.0, f64::max);
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return no_data(&body, "no data: no run has intent latency samples");
        };
        // Whole nines, at least "99%", so the axis always shows the tail's direction.
        let k = x_max.ceil().clamp(2.0, 12.0);
        let mut keys = vec![2f64.log10()];
        keys.extend((1..=k as u32).map(f64::from));

        let entries: Vec<LegendEntry> = self
            .curves
            .iter()
            .map(|c| LegendEntry {
                label: c.label.clone(),
                swatch: Swatch::Line {
                    color: c.color,
                    width: 2,
                    dashed: false,
                },
            })
            .collect();
        let (w, _) = body.dim_in_pixel();
        let (plot, side) = body.split_horizontally(i32::try_from(w).unwrap_or(0) - legend_width(&entries));
        legend(&side, &entries, 20)?;

        let mut chart = ChartBuilder::on(&plot)
            .margin_top(12)
            .margin_right(34)
            .margin_left(6)
            .x_label_area_size(42)
            .y_label_area_size(62)
            .build_cartesian_2d(NinesAxis { end: k, keys }, log_axis(lo, hi))?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .bold_line_style(GRID)
            .axis_style(FRAME)
            .label_style(text(12.0, INK))
            .axis_desc_style(text(13.0, INK))
            .x_desc("percentile (log scale of 1/(1-q))")
            .y_desc("intent latency (log scale)")
            .x_label_formatter(&|x| nines_label(*x))
            .y_label_formatter(&|v| fmt_dur_tick(*v))
            .draw()?;
        for c in &self.curves {
            chart.draw_series(LineSeries::new(c.points.iter().copied(), c.color.stroke_width(2)))?;
        }
        Ok(())
    }
}

/// The latency distribution of several runs overlaid (`results.totals["intent_latency"]`);
/// runs without that histogram are left out and named in the subtitle.
pub fn nines(runs: &[Labeled]) -> Result<Figure, ChartError> {
    let runs: Vec<(Labeled, usize)> = runs.iter().map(|r| (*r, 1)).collect();
    nines_of(&runs)
}

/// [`nines`] of runs that each stand for a number of replications: a replicated run's curve is
/// its first seed's, and its legend entry names that seed.
pub fn nines_of(runs: &[(Labeled, usize)]) -> Result<Figure, ChartError> {
    let title = "Latency by percentile".to_string();
    let mut curves = Vec::new();
    let mut missing = Vec::new();
    let mut replicated = false;
    for (i, (run, replications)) in runs.iter().enumerate() {
        let h = run.results.totals.get(metric::INTENT_LATENCY);
        let points = h.map(curve).unwrap_or_default();
        match h {
            Some(h) if !points.is_empty() => curves.push(Curve {
                label: format!(
                    "{}{}  p99 {}",
                    run.label,
                    if *replications > 1 {
                        replicated = true;
                        format!(" (seed {})", run.results.seed)
                    } else {
                        String::new()
                    },
                    fmt_secs(h.quantile_s(0.99))
                ),
                // Colour by position among all runs, as in the comparison chart.
                color: run_color(i),
                points,
            }),
            _ => missing.push(run.label),
        }
    }
    let mut subtitle = "intent latency of all finished intents, retries included".to_string();
    if replicated {
        subtitle.push_str(" · replicated runs: their first seed's");
    }
    if !missing.is_empty() && !curves.is_empty() {
        subtitle.push_str(&format!(" · no latency data: {}", missing.join(", ")));
    }
    let chart = Nines {
        title: title.clone(),
        subtitle,
        curves,
    };
    render("percentiles".into(), title, &chart)
}

/// One run's latency distribution per priority class (`results.classes`), for runs of
/// scenarios with priorities; `None` when the run keeps no classes. Whole-run percentiles mix
/// users and batch work; this shows whether the users' tail was kept short.
pub fn nines_by_class(run: Labeled) -> Option<Result<Figure, ChartError>> {
    nines_by_class_of(run, 1)
}

/// [`nines_by_class`] of the first of `replications` seeds.
pub(crate) fn nines_by_class_of(run: Labeled, replications: usize) -> Option<Result<Figure, ChartError>> {
    if run.results.classes.is_empty() {
        return None;
    }
    let title = format!("Latency by priority class — {}", run.label);
    let curves = run
        .results
        .classes
        .iter()
        .enumerate()
        .filter_map(|(i, (class, c))| {
            let points = curve(&c.intent_latency);
            (!points.is_empty()).then(|| Curve {
                label: format!(
                    "{}  {} intents, p99 {}",
                    class.as_str(),
                    c.intent_latency.len(),
                    fmt_secs(c.intent_latency.quantile_s(0.99))
                ),
                color: run_color(i),
                points,
            })
        })
        .collect();
    let chart = Nines {
        title: title.clone(),
        subtitle: format!(
            "intent latency of each class's finished intents, retries included · {}",
            super::timeline::seed_text(run.results, replications)
        ),
        curves,
    };
    Some(render(format!("classes-{}", super::slug(run.label)), title, &chart))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn labels() {
        assert_eq!(nines_label(2f64.log10()), "50%");
        assert_eq!(nines_label(1.0), "90%");
        assert_eq!(nines_label(2.0), "99%");
        assert_eq!(nines_label(3.0), "99.9%");
        assert_eq!(nines_label(5.0), "99.999%");
    }

    #[test]
    fn curve_rises_to_the_max() {
        let mut h = Hist::new(3);
        for ms in 1..=1000u64 {
            h.record(Duration::from_millis(ms));
        }
        let c = curve(&h);
        assert!(c.windows(2).all(|w| w[0].1 <= w[1].1 && w[0].0 <= w[1].0));
        let last = c.last().copied().unwrap_or_default();
        assert!((last.0 - 3.0).abs() < 1e-9);
        assert!((last.1 - 1.0).abs() < 0.01);
        assert!(curve(&Hist::new(3)).is_empty());
    }
}
