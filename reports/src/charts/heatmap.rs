//! A parameter sweep as a grid: one cell per (x, y) setting, coloured by the objective, the
//! value printed in the cell, the best cell outlined.
//!
//! The palette runs from pale (worst) to dark (best) whichever way the objective points, so
//! "darker is better" holds for every sweep and a reader never has to check whether the
//! objective is a latency or a ratio. Cells with no point (or not meeting the SLO) are grey
//! and say "n/a": leaving them white would read as a value.

use super::render::{anchored, fit, fmt_value, frame, no_data, render, rotated, text, text_width, Draw, INK, MUTED};
use super::{ChartError, Figure};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// A sweep over two parameters.
#[derive(Clone, Debug, Default)]
pub struct Heatmap {
    pub title: String,
    /// Names of the swept parameters (axis titles).
    pub x_key: String,
    pub y_key: String,
    /// Tick labels: the values of each parameter, in order.
    pub x: Vec<String>,
    pub y: Vec<String>,
    /// What the colours show, e.g. "goodput ratio".
    pub objective: String,
    /// [y][x]; None = no point / not meeting the SLO
    pub cells: Vec<Vec<Option<f64>>>,
    /// (x, y) of the best cell.
    pub best: Option<(usize, usize)>,
    pub higher_is_better: bool,
    /// What the sweep found (best configuration, safe envelope), shown beside the chart.
    pub notes: Vec<String>,
    /// The sweep's SLO and whether some configuration meets it, for junit.xml (`None`: no SLO).
    pub slo_met: Option<(String, bool)>,
}

const WIDTH: u32 = 900;
const NONE_FILL: RGBColor = RGBColor(224, 226, 229);
const BEST: RGBColor = RGBColor(220, 20, 60);
const BAR_W: i32 = 18;

/// YlGnBu (ColorBrewer), pale to dark.
const PALETTE: [RGBColor; 9] = [
    RGBColor(255, 255, 217),
    RGBColor(237, 248, 177),
    RGBColor(199, 233, 180),
    RGBColor(127, 205, 187),
    RGBColor(65, 182, 196),
    RGBColor(29, 145, 192),
    RGBColor(34, 94, 168),
    RGBColor(37, 52, 148),
    RGBColor(8, 29, 88),
];

/// The palette at `t` in [0, 1] (0 worst, 1 best), interpolated.
fn color_at(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let pos = t * (PALETTE.len() - 1) as f64;
    let i = (pos.floor() as usize).min(PALETTE.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (PALETTE[i], PALETTE[i + 1]);
    let mix = |x: u8, y: u8| {
        (f64::from(x) + (f64::from(y) - f64::from(x)) * f)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads on `c`.
fn ink_on(c: RGBColor) -> RGBColor {
    let l = 0.299 * f64::from(c.0) + 0.587 * f64::from(c.1) + 0.114 * f64::from(c.2);
    if l > 140.0 {
        INK
    } else {
        WHITE
    }
}

struct Grid<'a> {
    h: &'a Heatmap,
    /// Finite values only.
    range: Option<(f64, f64)>,
    cell_h: i32,
}

impl Grid<'_> {
    fn value(&self, x: usize, y: usize) -> Option<f64> {
        self.h.cells.get(y)?.get(x).copied().flatten().filter(|v| v.is_finite())
    }

    /// 0 for the worst value, 1 for the best.
    fn goodness(&self, v: f64) -> f64 {
        let Some((lo, hi)) = self.range else { return 0.5 };
        if hi - lo <= 0.0 {
            return 1.0;
        }
        let t = (v - lo) / (hi - lo);
        if self.h.higher_is_better {
            t
        } else {
            1.0 - t
        }
    }
}

impl Draw for Grid<'_> {
    fn size(&self) -> (u32, u32) {
        let ny = i32::try_from(self.h.y.len()).unwrap_or(0);
        // Title and subtitle, a gap, the grid, tick labels and the x axis title.
        let h = 50 + 16 + ny * self.cell_h + 56;
        (WIDTH, u32::try_from(h.max(260)).unwrap_or(260))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let h = self.h;
        let better = if h.higher_is_better { "higher" } else { "lower" };
        let subtitle = format!(
            "colour: {} ({better} is better, darker is better) · outlined: best",
            h.objective
        );
        let body = frame(root, &h.title, Some(&subtitle))?;
        if h.x.is_empty() || h.y.is_empty() {
            return no_data(&body, "no data: the sweep has no points");
        }
        let (bw, bh) = body.dim_in_pixel();
        let (bw, bh) = (i32::try_from(bw).unwrap_or(0), i32::try_from(bh).unwrap_or(0));
        let (nx, ny) = (
            i32::try_from(h.x.len()).unwrap_or(1),
            i32::try_from(h.y.len()).unwrap_or(1),
        );

        // Left: the y axis title (rotated) and the y tick labels; right: the colour bar.
        let y_label_w = h.y.iter().map(|s| text_width(s, 12.0)).max().unwrap_or(0).min(180);
        let left = 34 + y_label_w + 8;
        let right = 110;
        let top = 16;
        let grid_w = (bw - left - right).max(nx);
        let cell_w = grid_w / nx;
        let cell_h = self.cell_h;
        let grid_h = cell_h * ny;

        for yi in 0..h.y.len() {
            let y0 = top + cell_h * i32::try_from(yi).unwrap_or(0);
            for xi in 0..h.x.len() {
                let x0 = left + cell_w * i32::try_from(xi).unwrap_or(0);
                let v = self.value(xi, yi);
                let fill = v.map_or(NONE_FILL, |v| color_at(self.goodness(v)));
                body.draw(&Rectangle::new(
                    [(x0 + 1, y0 + 1), (x0 + cell_w - 1, y0 + cell_h - 1)],
                    fill.filled(),
                ))?;
                let (label, color) = match v {
                    Some(v) => (fmt_value(v), ink_on(fill)),
                    None => ("n/a".to_string(), MUTED),
                };
                let size = cell_font(&label, cell_w - 6, cell_h);
                if size > 0.0 {
                    body.draw(&Text::new(
                        label,
                        (x0 + cell_w / 2, y0 + cell_h / 2),
                        anchored(text(size, color), HPos::Center, VPos::Center),
                    ))?;
                }
            }
        }
        if let Some((bx, by)) = h.best.filter(|(x, y)| *x < h.x.len() && *y < h.y.len()) {
            let x0 = left + cell_w * i32::try_from(bx).unwrap_or(0);
            let y0 = top + cell_h * i32::try_from(by).unwrap_or(0);
            for d in 0..3 {
                body.draw(&Rectangle::new(
                    [(x0 + d, y0 + d), (x0 + cell_w - d, y0 + cell_h - d)],
                    BEST.stroke_width(1),
                ))?;
            }
        }

        // Axes: tick labels, then titles.
        for (yi, s) in h.y.iter().enumerate() {
            body.draw(&Text::new(
                fit(s, 12.0, y_label_w),
                (left - 8, top + cell_h * i32::try_from(yi).unwrap_or(0) + cell_h / 2),
                anchored(text(12.0, INK), HPos::Right, VPos::Center),
            ))?;
        }
        for (xi, s) in h.x.iter().enumerate() {
            body.draw(&Text::new(
                fit(s, 12.0, cell_w - 4),
                (
                    left + cell_w * i32::try_from(xi).unwrap_or(0) + cell_w / 2,
                    top + grid_h + 6,
                ),
                anchored(text(12.0, INK), HPos::Center, VPos::Top),
            ))?;
        }
        body.draw(&Text::new(
            fit(&h.x_key, 13.0, grid_w),
            (left + grid_w / 2, top + grid_h + 28),
            anchored(text(13.0, INK), HPos::Center, VPos::Top),
        ))?;
        body.draw(&Text::new(
            fit(&h.y_key, 13.0, grid_h.max(40)),
            (10, top + grid_h / 2),
            rotated(anchored(text(13.0, INK), HPos::Center, VPos::Top)),
        ))?;

        self.colour_bar(&body, (bw - right + 24, top), grid_h.min(bh - top - 10).max(60))
    }
}

impl Grid<'_> {
    /// A vertical gradient from worst (bottom) to best (top), labelled with both values.
    fn colour_bar<DB: DrawingBackend>(
        &self,
        a: &DrawingArea<DB, Shift>,
        (x, y): (i32, i32),
        height: i32,
    ) -> Result<(), ChartError> {
        let Some((lo, hi)) = self.range else {
            return Ok(());
        };
        let steps = height.max(1);
        for i in 0..steps {
            let t = 1.0 - f64::from(i) / f64::from(steps);
            a.draw(&Rectangle::new(
                [(x, y + i), (x + BAR_W, y + i + 1)],
                color_at(t).filled(),
            ))?;
        }
        a.draw(&Rectangle::new([(x, y), (x + BAR_W, y + steps)], MUTED.stroke_width(1)))?;
        let (best, worst) = if self.h.higher_is_better { (hi, lo) } else { (lo, hi) };
        let label =
            |s: String, yy: i32, v: VPos| Text::new(s, (x + BAR_W + 6, yy), anchored(text(12.0, INK), HPos::Left, v));
        a.draw(&label(fmt_value(best), y, VPos::Top))?;
        a.draw(&label("best".into(), y + 15, VPos::Top))?;
        a.draw(&label(fmt_value(worst), y + steps, VPos::Bottom))?;
        a.draw(&label("worst".into(), y + steps - 15, VPos::Bottom))?;
        Ok(())
    }
}

/// The largest font (9 to 13 px) at which `s` fits the cell; 0 if none does.
fn cell_font(s: &str, w: i32, h: i32) -> f64 {
    [13.0, 12.0, 11.0, 10.0, 9.0]
        .into_iter()
        .find(|size| text_width(s, *size) <= w && f64::from(h) >= size * 1.2)
        .unwrap_or(0.0)
}

/// A two-parameter sweep as a coloured grid (stem "heatmap").
pub fn heatmap(h: &Heatmap) -> Result<Figure, ChartError> {
    let finite = h.cells.iter().flatten().flatten().copied().filter(|v| v.is_finite());
    let range = finite.fold(None, |acc: Option<(f64, f64)>, v| {
        Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
    });
    // Cells as tall as fit a 420 px figure and no smaller than one line of text; but a sweep
    // with very many rows gets thin, unlabelled rows rather than a huge image.
    let ny = i32::try_from(h.y.len()).unwrap_or(i32::MAX).max(1);
    let cell_h = (300 / ny).clamp(22, 56);
    let cell_h = if ny.saturating_mul(cell_h) > 3000 {
        (3000 / ny).max(1)
    } else {
        cell_h
    };
    let grid = Grid { h, range, cell_h };
    render("heatmap".into(), h.title.clone(), &grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palette_ends_and_contrast() {
        assert_eq!(color_at(0.0), PALETTE[0]);
        assert_eq!(color_at(1.0), PALETTE[8]);
        assert_eq!(color_at(f64::NAN), PALETTE[0]);
        assert_eq!(ink_on(PALETTE[0]), INK);
        assert_eq!(ink_on(PALETTE[8]), WHITE);
    }
}
