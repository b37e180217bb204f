//! Headline figures of several runs side by side: one small panel per metric, one horizontal
//! bar per run.
//!
//! Small multiples rather than one grouped bar chart because the metrics have different units
//! (a ratio, seconds, a multiplier) and a shared axis would make all but the largest vanish.
//! Bars are horizontal so run labels read without rotation, and every bar carries its value,
//! so no panel needs a numeric axis. Laid out in pixels rather than with plotters' chart
//! builder: categories, hatching and value labels are simpler to place by hand.

use super::render::{
    anchored, fit, fmt_tick, frame, no_data, render, run_color, text, text_width, Draw, BAD, FRAME, INK, MUTED,
};
use super::{ChartError, Figure, Labeled};
use model::results::{fmt_secs, Results, Summary, Verdict};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

const WIDTH: u32 = 900;
const COLS: usize = 2;
const ROW: i32 = 24;
const PANEL_TOP: i32 = 34;
const PAD: i32 = 12;
const FONT: f64 = 12.0;
const HATCH_FILL: RGBColor = RGBColor(252, 235, 235);
const GOOD: RGBColor = RGBColor(30, 130, 60);

enum Cell {
    Bar {
        value: f64,
        text: String,
    },
    /// No value: "did not recover" is hatched across the whole panel (recovery never came, so
    /// its bar is as long as the chart allows); anything else is a grey "n/a".
    Missing {
        text: String,
        hatched: bool,
    },
}

struct Panel {
    title: &'static str,
    hint: &'static str,
    cells: Vec<Cell>,
    /// The value a full-width bar stands for.
    scale: f64,
}

impl Panel {
    fn new(title: &'static str, hint: &'static str, cells: Vec<Cell>, at_least: f64) -> Panel {
        let max = cells
            .iter()
            .filter_map(|c| match c {
                Cell::Bar { value, .. } => Some(*value),
                Cell::Missing { .. } => None,
            })
            .fold(at_least, f64::max);
        let scale = if max.is_finite() && max > 0.0 { max } else { 1.0 };
        Panel {
            title,
            hint,
            cells,
            scale,
        }
    }
}

struct Comparison {
    title: String,
    subtitle: String,
    labels: Vec<String>,
    panels: Vec<Panel>,
    /// Verdict text and colour per run.
    verdicts: Vec<(String, RGBColor)>,
}

fn bar(value: f64, text: impl FnOnce(f64) -> String) -> Cell {
    if value.is_finite() {
        Cell::Bar {
            value: value.max(0.0),
            text: text(value),
        }
    } else {
        na()
    }
}

fn na() -> Cell {
    Cell::Missing {
        text: "n/a".into(),
        hatched: false,
    }
}

fn sum<'a>(r: &Labeled<'a>) -> &'a Summary {
    &r.results.summary
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn recovery(r: &Results) -> Cell {
    match (r.summary.whole.recovery_s, r.summary.whole.verdict) {
        (Some(s), _) => bar(s, fmt_secs),
        (None, Some(Verdict::Metastable | Verdict::Overloaded)) => Cell::Missing {
            text: "did not recover".into(),
            hatched: true,
        },
        (None, Some(Verdict::Stable)) => Cell::Missing {
            text: "n/a (no trigger)".into(),
            hatched: false,
        },
        (None, _) => na(),
    }
}

fn verdict(r: &Results) -> (String, RGBColor) {
    match r.summary.whole.verdict {
        Some(v @ (Verdict::Stable | Verdict::Recovered)) => (v.as_str().into(), GOOD),
        Some(v) => (v.as_str().into(), BAD),
        None => ("n/a".into(), MUTED),
    }
}

impl Comparison {
    fn panel_height(&self) -> i32 {
        PANEL_TOP + ROW * i32::try_from(self.labels.len()).unwrap_or(0) + PAD
    }

    fn rows(&self) -> usize {
        (self.panels.len() + 1).div_ceil(COLS)
    }

    fn draw_panel<DB: DrawingBackend>(&self, a: &DrawingArea<DB, Shift>, p: &Panel) -> Result<(), ChartError> {
        let (pw, _) = a.dim_in_pixel();
        let pw = i32::try_from(pw).unwrap_or(0);
        self.panel_head(a, p.title, p.hint)?;
        let lw = self.label_column(a, pw)?;
        let x0 = PAD + lw + 6;
        let value_w = p
            .cells
            .iter()
            .map(|c| match c {
                Cell::Bar { text, .. } | Cell::Missing { text, .. } => text_width(text, FONT),
            })
            .max()
            .unwrap_or(0)
            .max(30)
            .min(pw / 3)
            + 10;
        let x1 = (pw - PAD - value_w).max(x0 + 10);
        let bottom = PANEL_TOP + ROW * i32::try_from(p.cells.len()).unwrap_or(0);
        for (i, c) in p.cells.iter().enumerate() {
            let yc = row_center(i);
            let (y0, y1) = (yc - 8, yc + 8);
            match c {
                Cell::Bar { value, text: t } => {
                    let frac = (value / p.scale).clamp(0.0, 1.0);
                    let len = (frac * f64::from(x1 - x0)).round() as i32;
                    let len = if *value > 0.0 { len.max(1) } else { len };
                    if len > 0 {
                        a.draw(&Rectangle::new([(x0, y0), (x0 + len, y1)], run_color(i).filled()))?;
                    }
                    a.draw(&Text::new(
                        fit(t, FONT, pw - x0 - len - 8),
                        (x0 + len + 5, yc),
                        anchored(text(FONT, INK), HPos::Left, VPos::Center),
                    ))?;
                }
                Cell::Missing { text: t, hatched: true } => {
                    hatch(a, (x0, y0), (x1, y1))?;
                    a.draw(&Text::new(
                        fit(t, FONT, pw - x1 - 8),
                        (x1 + 5, yc),
                        anchored(text(FONT, BAD), HPos::Left, VPos::Center),
                    ))?;
                }
                Cell::Missing {
                    text: t,
                    hatched: false,
                } => {
                    a.draw(&Text::new(
                        fit(t, FONT, pw - x0 - 8),
                        (x0 + 5, yc),
                        anchored(text(FONT, MUTED), HPos::Left, VPos::Center),
                    ))?;
                }
            }
        }
        a.draw(&PathElement::new(
            vec![(x0, PANEL_TOP - 2), (x0, bottom + 2)],
            FRAME.stroke_width(1),
        ))?;
        Ok(())
    }

    fn draw_verdicts<DB: DrawingBackend>(&self, a: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (pw, _) = a.dim_in_pixel();
        let pw = i32::try_from(pw).unwrap_or(0);
        self.panel_head(a, "verdict", "")?;
        let lw = self.label_column(a, pw)?;
        let x0 = PAD + lw + 6;
        for (i, (v, color)) in self.verdicts.iter().enumerate() {
            a.draw(&Text::new(
                fit(v, FONT, pw - x0 - 8),
                (x0 + 5, row_center(i)),
                anchored(text(FONT, *color), HPos::Left, VPos::Center),
            ))?;
        }
        Ok(())
    }

    fn panel_head<DB: DrawingBackend>(
        &self,
        a: &DrawingArea<DB, Shift>,
        title: &str,
        hint: &str,
    ) -> Result<(), ChartError> {
        a.draw(&Text::new(
            title.to_string(),
            (PAD, 8),
            anchored(text(14.0, INK), HPos::Left, VPos::Top),
        ))?;
        if !hint.is_empty() {
            a.draw(&Text::new(
                hint.to_string(),
                (PAD + text_width(title, 14.0) + 8, 10),
                anchored(text(11.0, MUTED), HPos::Left, VPos::Top),
            ))?;
        }
        Ok(())
    }

    /// Draws the run labels, right-aligned; returns the column's width.
    fn label_column<DB: DrawingBackend>(&self, a: &DrawingArea<DB, Shift>, pw: i32) -> Result<i32, ChartError> {
        let max_w = (pw * 2) / 5;
        let lw = self
            .labels
            .iter()
            .map(|l| text_width(l, FONT))
            .max()
            .unwrap_or(0)
            .min(max_w);
        for (i, l) in self.labels.iter().enumerate() {
            a.draw(&Text::new(
                fit(l, FONT, max_w),
                (PAD + lw, row_center(i)),
                anchored(text(FONT, INK), HPos::Right, VPos::Center),
            ))?;
        }
        Ok(lw)
    }
}

fn row_center(i: usize) -> i32 {
    PANEL_TOP + ROW * i32::try_from(i).unwrap_or(0) + ROW / 2
}

/// A rectangle filled with diagonal lines, clipped to it by hand (plotters does not clip).
fn hatch<DB: DrawingBackend>(
    a: &DrawingArea<DB, Shift>,
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
) -> Result<(), ChartError> {
    a.draw(&Rectangle::new([(x0, y0), (x1, y1)], HATCH_FILL.filled()))?;
    let h = y1 - y0;
    let line = BAD.mix(0.55).stroke_width(1);
    let mut s = x0 - h;
    while s < x1 {
        // The line (s + t, y1 - t) for t in [0, h], kept where x0 <= s + t <= x1.
        let (t0, t1) = ((x0 - s).max(0), (x1 - s).min(h));
        if t0 < t1 {
            a.draw(&PathElement::new(vec![(s + t0, y1 - t0), (s + t1, y1 - t1)], line))?;
        }
        s += 7;
    }
    a.draw(&Rectangle::new([(x0, y0), (x1, y1)], BAD.mix(0.7).stroke_width(1)))?;
    Ok(())
}

impl Draw for Comparison {
    fn size(&self) -> (u32, u32) {
        if self.labels.is_empty() {
            return (WIDTH, 240);
        }
        let h = 50 + self.panel_height() * i32::try_from(self.rows()).unwrap_or(1) + 8;
        (WIDTH, u32::try_from(h.max(240)).unwrap_or(240))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let body = frame(root, &self.title, Some(&self.subtitle))?;
        if self.labels.is_empty() {
            return no_data(&body, "no data: no runs to compare");
        }
        let (bw, _) = body.dim_in_pixel();
        let pw = i32::try_from(bw).unwrap_or(0) / i32::try_from(COLS).unwrap_or(1);
        let ph = self.panel_height();
        let cell = |i: usize| {
            let (c, r) = (
                i32::try_from(i % COLS).unwrap_or(0),
                i32::try_from(i / COLS).unwrap_or(0),
            );
            body.clone().shrink((c * pw, r * ph), (pw, ph))
        };
        for (i, p) in self.panels.iter().enumerate() {
            self.draw_panel(&cell(i), p)?;
        }
        self.draw_verdicts(&cell(self.panels.len()))?;
        Ok(())
    }
}

/// Goodput ratio, p99 latency, amplification, wasted backend time and recovery of each run,
/// with each run's verdict. Runs keep their position's colour, as in the percentile chart.
pub fn comparison(runs: &[Labeled]) -> Result<Figure, ChartError> {
    let title = "Strategy comparison".to_string();
    let mut scenarios: Vec<&str> = runs.iter().map(|r| r.results.scenario_name.as_str()).collect();
    scenarios.dedup();
    let mut subtitle = match scenarios.as_slice() {
        [one] => format!("scenario {one} · "),
        _ => String::new(),
    };
    subtitle.push_str("bars scaled per panel · colours match the percentile chart");
    let panels = vec![
        Panel::new(
            "goodput ratio",
            "succeeded / offered, higher is better",
            runs.iter().map(|r| bar(sum(r).whole.goodput_ratio, pct)).collect(),
            1.0,
        ),
        Panel::new(
            "p99 latency",
            "intents, lower is better",
            runs.iter()
                .map(|r| match sum(r).whole.latency.count {
                    0 => na(),
                    _ => bar(sum(r).whole.latency.p99, fmt_secs),
                })
                .collect(),
            0.0,
        ),
        Panel::new(
            "amplification",
            "attempts / intent, lower is better",
            runs.iter()
                .map(|r| match sum(r).whole.offered {
                    0 => na(),
                    _ => bar(sum(r).whole.amplification, |v| {
                        format!("{}×", fmt_tick((v * 100.0).round() / 100.0))
                    }),
                })
                .collect(),
            1.0,
        ),
        Panel::new(
            "wasted backend time",
            "served to no one, lower is better",
            runs.iter()
                .map(|r| {
                    let s = sum(r);
                    let wasted = if s.wasted_s.is_finite() {
                        fmt_secs(s.wasted_s)
                    } else {
                        "n/a".into()
                    };
                    bar(s.wasted_ratio, |v| format!("{} · {wasted}", pct(v)))
                })
                .collect(),
            1.0,
        ),
        Panel::new(
            "recovery time",
            "after the trigger, lower is better",
            runs.iter().map(|r| recovery(r.results)).collect(),
            0.0,
        ),
    ];
    let chart = Comparison {
        title: title.clone(),
        subtitle,
        labels: runs.iter().map(|r| r.label.to_string()).collect(),
        panels,
        verdicts: runs.iter().map(|r| verdict(r.results)).collect(),
    };
    render("comparison".into(), title, &chart)
}
