//! Headline figures of several runs side by side: one small panel per metric, one horizontal
//! bar per run.
//!
//! Small multiples rather than one grouped bar chart because the metrics have different units
//! (a ratio, seconds, a multiplier) and a shared axis would make all but the largest vanish.
//! Bars are horizontal so run labels read without rotation, and every bar carries its value,
//! so no panel needs a numeric axis. Laid out in pixels rather than with plotters' chart
//! builder: categories, hatching and value labels are simpler to place by hand.

use super::render::{
    anchored, fit, fit_labels, frame, no_data, render, run_color, text, text_width, Draw, BAD, FRAME, INK, MUTED,
};
use super::{ChartError, Figure, Labeled};
use crate::entry::{self, Entry};
use model::interval::Interval;
use model::results::{fmt_secs, Results, Verdict};
use model::threshold::{Figure as Fig, Metric, Scope};
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
    /// A mean; `half_width` > 0 draws the 95% confidence interval around it as a whisker, from
    /// no lower than `floor` (the least the figure can be: 1 for amplification).
    Bar {
        value: f64,
        half_width: f64,
        floor: f64,
        text: String,
    },
    /// No value: "did not recover" is hatched across the whole panel (recovery never came, so
    /// its bar is as long as the chart allows); anything else is a grey "n/a".
    Missing { text: String, hatched: bool },
}

impl Cell {
    fn text(&self) -> &str {
        match self {
            Cell::Bar { text, .. } | Cell::Missing { text, .. } => text,
        }
    }
}

struct Panel {
    title: &'static str,
    hint: String,
    cells: Vec<Cell>,
    /// The value a full-width bar stands for.
    scale: f64,
    /// Bars on a log scale from this value (a decade below the smallest) up: one slow run
    /// would otherwise squash the others' bars to nothing.
    log_from: Option<f64>,
}

/// A panel switches to a log scale when its largest value is this many times its smallest.
const LOG_RATIO: f64 = 20.0;

impl Panel {
    fn new(title: &'static str, hint: &str, cells: Vec<Cell>, at_least: f64) -> Panel {
        let ends = || {
            cells.iter().filter_map(|c| match c {
                Cell::Bar { value, half_width, .. } => Some(value + half_width),
                Cell::Missing { .. } => None,
            })
        };
        let max = ends().fold(at_least, f64::max);
        let scale = if max.is_finite() && max > 0.0 { max } else { 1.0 };
        Panel {
            title,
            hint: hint.to_string(),
            cells,
            scale,
            log_from: None,
        }
    }

    /// Puts the bars on a log scale when their values span more than [`LOG_RATIO`].
    fn log_when_spread(mut self) -> Panel {
        let smallest = self
            .cells
            .iter()
            .filter_map(|c| match c {
                Cell::Bar { value, .. } if *value > 0.0 && value.is_finite() => Some(*value),
                _ => None,
            })
            .fold(f64::INFINITY, f64::min);
        if smallest.is_finite() && self.scale / smallest > LOG_RATIO {
            self.log_from = Some(10f64.powf(smallest.log10().floor() - 1.0));
            self.hint.push_str(" · log scale");
        }
        self
    }

    /// Where the bars start and where a full one ends, in a panel `pw` pixels wide whose run
    /// labels take `lw`: the value column on the right as wide as the widest value (a third of
    /// the panel at most).
    fn bar_span(&self, pw: i32, lw: i32) -> (i32, i32) {
        let x0 = PAD + lw + 6;
        let value_w = self
            .cells
            .iter()
            .map(|c| text_width(c.text(), FONT))
            .max()
            .unwrap_or(0)
            .max(30)
            .min(pw / 3)
            + 10;
        (x0, (pw - PAD - value_w).max(x0 + 10))
    }

    /// Where cell `c`'s value text starts (after its bar, or its whisker) and how wide it may
    /// be before it is cut, for [`Panel::bar_span`]'s `(x0, x1)`.
    fn text_place(&self, c: &Cell, (x0, x1): (i32, i32), pw: i32) -> (i32, i32) {
        let at = |v: f64| x0 + (self.frac(v) * f64::from(x1 - x0)).round() as i32;
        let x = match c {
            Cell::Bar { value, half_width, .. } => {
                let end = at(*value);
                let end = if *value > 0.0 { end.max(x0 + 1) } else { end };
                if *half_width > 0.0 {
                    end.max(at(value + half_width))
                } else {
                    end
                }
            }
            Cell::Missing { hatched: true, .. } => x1,
            Cell::Missing { hatched: false, .. } => x0,
        };
        (x + 5, pw - x - 8)
    }

    /// Where `v` ends along a full-width bar, in [0, 1].
    fn frac(&self, v: f64) -> f64 {
        let f = match self.log_from {
            Some(base) => {
                let v = v.max(base);
                (v / base).log10() / (self.scale / base).log10()
            }
            None => v / self.scale,
        };
        if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

struct Comparison {
    /// Panels side by side: [`COLS`], or one a row when labels or values would be cut.
    cols: usize,
    title: String,
    subtitle: String,
    labels: Vec<String>,
    panels: Vec<Panel>,
    /// Verdict text and colour per run.
    verdicts: Vec<(String, RGBColor)>,
}

/// A bar of the mean of `i`, with its confidence interval as a whisker and in the text
/// ("87.8% ± 11.3 pp": percentage points) when there are replications.
/// A bar for `i`; `ceiling` is the most the figure can be (1 for a share). An interval reaching
/// below 0 or past it is labelled with the range it can be (`63.3% (0.0%–100.0%)`), as the
/// tables do.
fn bar(i: Interval, ceiling: f64, text: impl Fn(f64) -> String, ci_text: impl Fn(f64) -> String) -> Cell {
    bar_from(i, 0.0, ceiling, text, ci_text)
}

/// [`bar`] for a figure whose least is `floor` (amplification: 1 attempt per intent).
fn bar_from(
    i: Interval,
    floor: f64,
    ceiling: f64,
    text: impl Fn(f64) -> String,
    ci_text: impl Fn(f64) -> String,
) -> Cell {
    if !i.mean.is_finite() {
        return na();
    }
    let half_width = if i.n > 1 && i.half_width.is_finite() && i.half_width > 0.0 {
        i.half_width
    } else {
        0.0
    };
    Cell::Bar {
        value: i.mean.max(0.0),
        half_width,
        floor,
        text: if half_width > 0.0 && (i.mean - half_width < floor || i.mean + half_width > ceiling) {
            // Short, for the bar's label (the subtitle says it is a 95% interval).
            format!(
                "{} ({}–{})",
                text(i.mean),
                text((i.mean - half_width).max(floor)),
                text((i.mean + half_width).min(ceiling))
            )
        } else if half_width > 0.0 {
            format!("{} ± {}", text(i.mean), ci_text(half_width))
        } else {
            text(i.mean)
        },
    }
}

/// The amplification panel's bar: attempts per intent are at least 1, so an interval reaching
/// below that (two seeds far apart) is labelled from 1 (`1.98× (1×–3.91×)`), not from 0.05.
fn amplification_bar(runs: &[Results]) -> Cell {
    let i = entry::figure_of(runs, &Fig::whole(Metric::Amplification));
    bar_from(
        i,
        model::interval::amplification_floor(i.mean),
        f64::INFINITY,
        // Two decimals for every bar, as the tables give three: trimmed, 2.501 read `2.5×`
        // beside `2.49×`. A half-width under 0.005 keeps a third (`± 0.002`, not `± 0.00`).
        |v| format!("{v:.2}×"),
        |h| {
            if h < 0.005 {
                format!("{h:.3}")
            } else {
                format!("{h:.2}")
            }
        },
    )
}

fn na() -> Cell {
    Cell::Missing {
        text: "n/a".into(),
        hatched: false,
    }
}

fn pct(v: f64) -> String {
    crate::table::share(v)
}

/// Recovery after the trigger: the mean over the runs that recovered ("12.0s (6/10
/// recovered)" when not all did), hatched "did not recover" when none did.
fn recovery(runs: &[Results]) -> Cell {
    let whole = Fig::whole(Metric::Recovery);
    let xs: Vec<f64> = runs.iter().map(|r| entry::value(r, &whole)).collect();
    let recovered: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    let stable = runs.iter().all(|r| r.summary.whole.verdict == Some(Verdict::Stable));
    if recovered.is_empty() {
        return if stable && !runs.is_empty() {
            Cell::Missing {
                text: "n/a (no trigger)".into(),
                hatched: false,
            }
        } else if xs.iter().any(|x| x.is_infinite()) {
            Cell::Missing {
                text: if xs.len() > 1 && xs.iter().any(|x| x.is_nan()) {
                    entry::recovery_text(runs, &Scope::Whole)
                } else {
                    "did not recover".into()
                },
                hatched: true,
            }
        } else if xs.iter().any(|x| x.is_nan()) {
            Cell::Missing {
                text: "not judged".into(),
                hatched: false,
            }
        } else {
            na()
        };
    }
    let time = |xs: &[f64]| match bar(Interval::of(xs), f64::INFINITY, fmt_secs, fmt_secs) {
        Cell::Bar { text, .. } | Cell::Missing { text, .. } => text,
    };
    match bar(Interval::of(&recovered), f64::INFINITY, fmt_secs, fmt_secs) {
        Cell::Bar {
            value,
            half_width,
            floor,
            ..
        } => Cell::Bar {
            value,
            half_width,
            floor,
            text: entry::recovery_text_in(runs, &Scope::Whole, &time),
        },
        missing => missing,
    }
}

const WARN: RGBColor = RGBColor(181, 71, 8);

/// The verdict ("metastable", or "recovered 6/10, metastable 4/10") in the colour of its
/// worst and best: green when every run is healthy or recovered and no class or service is
/// behind it, red when none is, amber when the seeds disagree or a group is behind.
fn verdict(runs: &[Results]) -> (String, RGBColor) {
    let counts = entry::verdicts(runs, &Scope::Whole);
    let good = |v: &Verdict| matches!(v, Verdict::Stable | Verdict::Recovered);
    let color = if counts.is_empty() {
        MUTED
    } else if counts.iter().all(|(v, _)| good(v)) && entry::some_group_behind(runs) {
        WARN
    } else if counts.iter().all(|(v, _)| good(v)) {
        GOOD
    } else if counts.iter().any(|(v, _)| good(v)) {
        WARN
    } else {
        BAD
    };
    (entry::verdict_text(runs, &Scope::Whole), color)
}

impl Comparison {
    fn panel_height(&self) -> i32 {
        PANEL_TOP + ROW * i32::try_from(self.labels.len()).unwrap_or(0) + PAD
    }

    fn rows(&self) -> usize {
        (self.panels.len() + 1).div_ceil(self.cols)
    }

    fn draw_panel<DB: DrawingBackend>(&self, a: &DrawingArea<DB, Shift>, p: &Panel) -> Result<(), ChartError> {
        let (pw, _) = a.dim_in_pixel();
        let pw = i32::try_from(pw).unwrap_or(0);
        self.panel_head(a, p.title, &p.hint)?;
        let lw = self.label_column(a, pw)?;
        let (x0, x1) = p.bar_span(pw, lw);
        let at = |v: f64| x0 + (p.frac(v) * f64::from(x1 - x0)).round() as i32;
        let bottom = PANEL_TOP + ROW * i32::try_from(p.cells.len()).unwrap_or(0);
        for (i, c) in p.cells.iter().enumerate() {
            let yc = row_center(i);
            let (y0, y1) = (yc - 8, yc + 8);
            let (text_x, room) = p.text_place(c, (x0, x1), pw);
            let ink = match c {
                Cell::Bar {
                    value,
                    half_width,
                    floor,
                    ..
                } => {
                    let end = at(*value);
                    let end = if *value > 0.0 { end.max(x0 + 1) } else { end };
                    if end > x0 {
                        a.draw(&Rectangle::new([(x0, y0), (end, y1)], run_color(i).filled()))?;
                    }
                    if *half_width > 0.0 {
                        // The 95% confidence interval: a whisker with end caps, over the bar.
                        let (lo, hi) = (at((value - half_width).max(*floor)), at(value + half_width));
                        let ink = INK.stroke_width(1);
                        a.draw(&PathElement::new(vec![(lo, yc), (hi, yc)], ink))?;
                        for x in [lo, hi] {
                            a.draw(&PathElement::new(vec![(x, yc - 5), (x, yc + 5)], ink))?;
                        }
                    }
                    INK
                }
                Cell::Missing { hatched: true, .. } => {
                    hatch(a, (x0, y0), (x1, y1))?;
                    BAD
                }
                Cell::Missing { hatched: false, .. } => MUTED,
            };
            a.draw(&Text::new(
                fit(c.text(), FONT, room),
                (text_x, yc),
                anchored(text(FONT, ink), HPos::Left, VPos::Center),
            ))?;
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

/// Panels a row: [`COLS`] when, laid out that way, no run label and no value would be cut
/// (as [`Comparison::label_column`] and [`Comparison::draw_panel`] place them); otherwise one,
/// twice as wide, so that long labels ("death-spiral · fifo (sim) #1") and values ("61.4s ±
/// 14.8s (17/20 recovered)") read whole. Not a wider chart: the page shows charts at most 1000
/// pixels wide, and scaled down its text would be too small to read.
fn columns(labels: &[String], panels: &[Panel], verdicts: &[(String, RGBColor)]) -> usize {
    let pw = i32::try_from(WIDTH).unwrap_or(0) / i32::try_from(COLS).unwrap_or(1);
    let label_w = labels.iter().map(|l| text_width(l, FONT)).max().unwrap_or(0);
    if label_w > pw * 2 / 5 {
        return 1;
    }
    let fits = |t: &str, room: i32| text_width(t, FONT) <= room;
    let values_fit = panels.iter().all(|p| {
        let span = p.bar_span(pw, label_w);
        p.cells.iter().all(|c| fits(c.text(), p.text_place(c, span, pw).1))
    });
    // `draw_verdicts`: after the labels, the rest of the panel.
    let room = pw - (PAD + label_w + 6) - 8;
    if values_fit && verdicts.iter().all(|(v, _)| fits(v, room)) {
        COLS
    } else {
        1
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
        let pw = i32::try_from(bw).unwrap_or(0) / i32::try_from(self.cols).unwrap_or(1);
        let ph = self.panel_height();
        let cell = |i: usize| {
            let (c, r) = (
                i32::try_from(i % self.cols).unwrap_or(0),
                i32::try_from(i / self.cols).unwrap_or(0),
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
    let rows: Vec<(&str, &[Results])> = runs
        .iter()
        .map(|r| (r.label, std::slice::from_ref(r.results)))
        .collect();
    draw(&rows)
}

/// [`comparison`] of entries: with replications, each bar is the mean over the seeds with its
/// 95% confidence interval as a whisker, as the tables give them (not the first seed's value).
pub fn comparison_of(entries: &[&Entry]) -> Result<Figure, ChartError> {
    let rows: Vec<(&str, &[Results])> = entries.iter().map(|e| (e.label.as_str(), e.runs.as_slice())).collect();
    draw(&rows)
}

fn draw(rows: &[(&str, &[Results])]) -> Result<Figure, ChartError> {
    let mut scenarios: Vec<&str> = rows
        .iter()
        .flat_map(|(_, runs)| runs.iter().map(|r| r.scenario_name.as_str()))
        .collect();
    scenarios.sort_unstable();
    scenarios.dedup();
    // Runs of different scenarios are not strategies compared on the same traffic: a neutral
    // title, and the subtitle names the scenarios.
    // Nor are runs of one scenario at different loads (its workload, duration or window
    // changed): their bars set the loads side by side.
    let firsts: Vec<&Results> = rows.iter().filter_map(|(_, runs)| runs.first()).collect();
    let loads_differ = firsts
        .iter()
        .any(|a| firsts.iter().any(|b| !entry::load_differences(a, b).is_empty()));
    let (title, mut subtitle) = match scenarios.as_slice() {
        [] => ("Strategy comparison".to_string(), String::new()),
        [one] if loads_differ => (
            "Run comparison".to_string(),
            format!("different loads of scenario {one} · "),
        ),
        [one] => ("Strategy comparison".to_string(), format!("scenario {one} · ")),
        many => (
            "Run comparison".to_string(),
            format!("different scenarios: {} · ", many.join(", ")),
        ),
    };
    if rows.iter().any(|(_, runs)| runs.len() > 1) {
        subtitle.push_str("replicated runs: mean with 95% confidence interval · ");
    }
    subtitle.push_str("bars scaled per panel · colours match the percentile chart");
    let whole = |m: Metric| Fig::whole(m);
    let each = |f: &dyn Fn(&[Results]) -> Cell| rows.iter().map(|(_, runs)| f(runs)).collect::<Vec<_>>();
    let panels = vec![
        Panel::new(
            "goodput ratio",
            "succeeded / offered, higher is better",
            each(&|runs| {
                bar(entry::figure_of(runs, &whole(Metric::GoodputRatio)), 1.0, pct, |h| {
                    model::interval::points_text(h)
                })
            }),
            1.0,
        ),
        Panel::new(
            "p99 latency",
            "intents, lower is better",
            each(&|runs| {
                if runs.iter().all(|r| r.summary.whole.latency.count == 0) {
                    na()
                } else {
                    bar(
                        entry::figure_of(runs, &whole(Metric::P99)),
                        f64::INFINITY,
                        fmt_secs,
                        fmt_secs,
                    )
                }
            }),
            0.0,
        )
        .log_when_spread(),
        Panel::new(
            "amplification",
            "attempts / intent, lower is better",
            each(&|runs| {
                if runs.iter().all(|r| r.summary.whole.offered == 0) {
                    na()
                } else {
                    amplification_bar(runs)
                }
            }),
            1.0,
        ),
        Panel::new(
            "wasted backend time",
            "served to no one, lower is better",
            each(&|runs| {
                let wasted_s = runs.iter().map(|r| r.summary.wasted_s).sum::<f64>() / runs.len().max(1) as f64;
                let wasted = if wasted_s.is_finite() {
                    fmt_secs(wasted_s)
                } else {
                    "n/a".into()
                };
                match bar(entry::figure_of(runs, &whole(Metric::WastedRatio)), 1.0, pct, |h| {
                    model::interval::points_text(h)
                }) {
                    Cell::Bar {
                        value,
                        half_width,
                        floor,
                        text,
                    } => Cell::Bar {
                        value,
                        half_width,
                        floor,
                        text: format!("{text} · {wasted}"),
                    },
                    missing => missing,
                }
            }),
            1.0,
        ),
        Panel::new(
            "recovery time",
            "after the trigger, lower is better",
            each(&recovery),
            0.0,
        ),
    ];
    let verdicts: Vec<(String, RGBColor)> = rows.iter().map(|(_, runs)| verdict(runs)).collect();
    let labels: Vec<String> = rows.iter().map(|(l, _)| l.to_string()).collect();
    let cols = columns(&labels, &panels, &verdicts);
    // Two fifths of a panel, as `label_column` allows.
    let label_max_w = i32::try_from(WIDTH).unwrap_or(0) / i32::try_from(cols).unwrap_or(1) * 2 / 5;
    let chart = Comparison {
        cols,
        title: title.clone(),
        subtitle,
        labels: fit_labels(&labels, FONT, label_max_w),
        panels,
        verdicts,
    };
    render("comparison".into(), title, &chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Amplification is at least 1: two seeds of 1.05 and 2.92 attempts per intent (an interval
    /// of 1.98 ± 11.9) are labelled from 1, not from 0.
    #[test]
    fn an_amplification_interval_is_clipped_at_one() {
        let run = |amplification: f64| {
            let mut r = crate::fixture::blank();
            r.summary.whole.offered = 100;
            r.summary.whole.amplification = amplification;
            r
        };
        match amplification_bar(&[run(1.05), run(2.92)]) {
            Cell::Bar { text, floor, .. } => {
                assert!(text.starts_with("1.98× (1.00×–"), "{text}");
                assert_eq!(floor, 1.0, "the whisker stops at 1 too");
            }
            other => panic!("{:?}", matches!(other, Cell::Missing { .. })),
        }
    }

    /// Every amplification bar has two decimals (2.501 beside 2.49 read `2.5×` and `2.49×`),
    /// and a narrow interval keeps the digit that is not zero (`± 0.002`, not `± 0.00`).
    #[test]
    fn amplification_labels_keep_their_decimals() {
        let run = |amplification: f64| {
            let mut r = crate::fixture::blank();
            r.summary.whole.offered = 100;
            r.summary.whole.amplification = amplification;
            r
        };
        let text = |runs: &[Results]| match amplification_bar(runs) {
            Cell::Bar { text, .. } => text,
            _ => panic!("a bar"),
        };
        assert_eq!(text(&[run(2.501)]), "2.50×");
        assert_eq!(text(&[run(2.0)]), "2.00×");
        let narrow = text(&[run(1.069), run(1.071), run(1.070)]);
        assert!(
            narrow.starts_with("1.07× ± 0.00") && !narrow.ends_with("± 0.00"),
            "{narrow}"
        );
    }

    /// The verdict panel colours a "recovered" run amber when a service of it stayed down: its
    /// whole-run verdict hides the service, and green read as healthy.
    #[test]
    fn a_recovered_run_with_a_group_behind_is_amber() {
        let run = |billing: Verdict| {
            let mut r = crate::fixture::blank();
            r.summary.whole.offered = 100;
            r.summary.whole.verdict = Some(Verdict::Recovered);
            r.summary.whole.recovery_s = Some(2.0);
            let mut g = r.summary.whole.clone();
            g.verdict = Some(billing);
            g.recovery_s = (billing == Verdict::Recovered).then_some(2.0);
            r.summary.services.insert("billing".into(), g.clone());
            g.verdict = Some(Verdict::Recovered);
            g.recovery_s = Some(2.0);
            r.summary.services.insert("orders".into(), g);
            r
        };
        assert_eq!(verdict(&[run(Verdict::Recovered)]).1, GOOD);
        let (text, color) = verdict(&[run(Verdict::Metastable)]);
        assert_eq!(text, "recovered (service billing metastable)");
        assert_eq!(color, WARN);
    }

    /// Long run labels or values lay the panels out one a row, uncut; short ones keep two.
    #[test]
    fn long_labels_take_one_panel_a_row_rather_than_be_cut() {
        let run = |recovery: Option<f64>| {
            let mut r = crate::fixture::blank();
            r.summary.whole.offered = 100;
            r.summary.whole.successes = 90;
            r.summary.whole.goodput_ratio = 0.9;
            r.summary.whole.amplification = 1.2;
            r.summary.whole.verdict = Some(if recovery.is_some() {
                Verdict::Recovered
            } else {
                Verdict::Metastable
            });
            r.summary.whole.recovery_s = recovery;
            r
        };
        let (a, b) = (vec![run(Some(61.4))], vec![run(None)]);
        let short = draw(&[("fifo (sim)", a.as_slice()), ("bounded (sim)", b.as_slice())]).expect("chart");
        let long_a = "death-spiral · fifo (sim) #1";
        let long_b = "death-spiral · fifo (sim) #2 with a longer name";
        let long = draw(&[(long_a, a.as_slice()), (long_b, b.as_slice())]).expect("chart");
        // The same panels, twice as many rows of them: taller.
        let height = |svg: &str| {
            let at = svg.find("height=\"").expect("an svg height") + 8;
            svg[at..]
                .split('"')
                .next()
                .and_then(|h| h.parse::<u32>().ok())
                .expect("a height")
        };
        assert!(height(&long.svg) > height(&short.svg) * 3 / 2, "one panel a row");
        for label in [long_a, long_b] {
            assert!(long.svg.contains(label), "{label} uncut");
        }
        assert!(!long.svg.contains('…'), "nothing cut");
    }
}
