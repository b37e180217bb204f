//! A parameter sweep as a grid: one cell per (x, y) setting, coloured by the objective, the
//! value printed in the cell, the best cell outlined.
//!
//! The palette runs from pale (worst) to dark (best) whichever way the objective points, so
//! "darker is better" holds for every sweep and a reader never has to check whether the
//! objective is a latency or a ratio. The colours span at least a minimum range (5 points of a
//! ratio, a quarter of the largest value otherwise), so single-seed noise between near-equal
//! cells is not drawn as the whole palette; the colour bar gives the ends of the range it
//! shows. Cells whose points fail the SLO are pale red and show their value ("fails SLO:
//! 71.15%"); a recovery that never came reads "never", the worst outcome, on the palette's
//! worst colour (pale red when it fails the SLO too); cells with no point (a setting that does
//! not apply) are grey and say "n/a": leaving them white would read as a value. A line under
//! the grid says what the colours mean for this sweep. Values carry the objective's unit
//! ("92.7ms", "99.99%", "1.34×"), with one precision for the whole chart, as many digits as it
//! takes for different values to read differently. When no configuration meets the SLO the
//! chart says so above the grid.
//!
//! With a load axis shown (`workload.*`, as `sim sweep` tells them) the sweep names no best
//! cell (the lightest load would always win): the best configuration is then the column (or
//! row) whose worst value over the loads is best among those with a value at every load, as
//! the sweep's notes choose it, and that column is outlined. (With further axes folded into
//! the cells, a column's cells may come from different settings of them: the outline then
//! marks the best shown value, which the notes' configuration may not reach at every load.)

use super::render::{
    anchored, ensure_font, fit, frame_lines, header_height, no_data, pack, render, rotated, text, text_width, wrap,
    Draw, BAD, INK, MUTED,
};
use super::{ChartError, Figure};
use model::threshold::Metric;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use std::collections::HashMap;

/// A sweep over two parameters.
#[derive(Clone, Debug, Default)]
pub struct Heatmap {
    /// The title; a closing parenthesis (what further axes were folded into each cell, e.g.
    /// "(worst over workload.phases[1].rate)") gets a line of its own when the title is long.
    pub title: String,
    /// Names of the swept parameters (axis titles).
    pub x_key: String,
    pub y_key: String,
    /// Tick labels: the values of each parameter, in order.
    pub x: Vec<String>,
    pub y: Vec<String>,
    /// What the colours show, e.g. "goodput ratio".
    pub objective: String,
    /// [y][x]; None = no point / not meeting the SLO; for a recovery objective, `f64::INFINITY`
    /// = never recovered (drawn "never", not as a missing point).
    pub cells: Vec<Vec<Option<f64>>>,
    /// (x, y) of the best cell.
    pub best: Option<(usize, usize)>,
    pub higher_is_better: bool,
    /// What the sweep found (best configuration, safe envelope), shown beside the chart.
    pub notes: Vec<String>,
    /// The sweep's SLO and whether some configuration meets it, for junit.xml (`None`: no SLO).
    pub slo_met: Option<(String, bool)>,
    /// The sweep was interrupted: how much of the grid ran. junit.xml then fails the SLO's
    /// case, met or not: a pass over part of the grid proves nothing.
    pub interrupted: Option<String>,
    /// [y][x]: for a cell with no value under the SLO, the value it has without it (shown as
    /// failing the SLO, not as "n/a"; `f64::INFINITY` as for `cells`); empty when unknown.
    pub failing: Vec<Vec<Option<f64>>>,
    /// Every point of the sweep as a table (header, rows): the swept values, the headline
    /// figures and whether the SLO held. The page and summary.md show it under the chart, so a
    /// sweep no point passes shows the figures that failed, not only the objective.
    pub points: Option<(Vec<String>, Vec<Vec<String>>)>,
    /// [y][x]: for a cell failing the SLO, the figure the SLO failed on, as the cell says it
    /// after "fails ": "SLO: 80.40%", or with several SLOs the one that failed,
    /// "p99<2s: 3.10s" (the objective's value is another figure: "fails SLO: 92.1%" of the
    /// whole run beside a service's SLO read as a pass); empty or `None` when unknown (then
    /// the cell shows the objective's value from `failing`). A detail in parentheses at the
    /// end ("SLO: 87.06% (holds in 4 of 5 seeds)") is dropped in a cell too narrow for it.
    pub failing_slo: Vec<Vec<Option<String>>>,
    /// [y][x]: cells with no value because a configuration of theirs did not run at every load
    /// (the sweep was interrupted, `interrupted`): "not run", not "n/a" (a setting that does not
    /// apply). Empty when none.
    pub not_run: Vec<Vec<bool>>,
}

const WIDTH: u32 = 900;
const NONE_FILL: RGBColor = RGBColor(224, 226, 229);
/// A cell whose points all fail the SLO: its value is shown, on a pale red.
const FAIL_FILL: RGBColor = RGBColor(248, 221, 221);
const BEST: RGBColor = RGBColor(220, 20, 60);
const BAR_W: i32 = 18;
/// The shortest colour bar: room for its two end values and "better" / "worse" between them
/// (a one-row sweep's 56 px bar crammed all four together).
const BAR_MIN_H: i32 = 100;
/// Space above the grid, and above it the strip that says no configuration meets the SLO.
const GRID_TOP: i32 = 16;
const NOTICE_H: i32 = 36;
const KEY_LINE: i32 = 16;

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

/// What is outlined as the best.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Best {
    Cell(usize, usize),
    /// The configuration of this x value, over the loads on the y axis.
    Column(usize),
    /// The configuration of this y value, over the loads on the x axis.
    Row(usize),
}

/// How the objective's values read.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Unit {
    Seconds,
    Ratio,
    /// Amplification: attempts per intent.
    Times,
    PerSecond,
    Plain,
}

impl Unit {
    fn of(objective: &str) -> Unit {
        match objective.parse::<model::threshold::Figure>().map(|f| f.metric) {
            Ok(m) if m.is_time() => Unit::Seconds,
            Ok(m) if m.is_ratio() => Unit::Ratio,
            Ok(Metric::Amplification) => Unit::Times,
            Ok(Metric::Goodput) => Unit::PerSecond,
            _ => Unit::Plain,
        }
    }

    /// The value in the unit it is printed in (a ratio in percent).
    fn shown(self, v: f64) -> f64 {
        if self == Unit::Ratio {
            v * 100.0
        } else {
            v
        }
    }
}

/// `v` with `sig` significant digits (at least the whole part), trailing zeros kept: "1.60s"
/// beside "1.61s", not "1.6s", so every value of a chart reads with one precision.
fn sig_digits(v: f64, sig: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { "n/a".into() };
    }
    let decimals = (sig - 1 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    format!("{v:.decimals$}")
}

/// One value in `unit`: seconds with `digits` significant digits (the unit steps from µs to ms
/// to s, so a fixed number of decimals would not be one precision), everything else with
/// `digits` decimals: "92.7ms", "1.61s", "86.80%", "1.34×".
fn fmt_unit(v: f64, unit: Unit, digits: i32) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let fixed = |v: f64| format!("{v:.*}", digits.clamp(0, 12) as usize);
    match unit {
        Unit::Seconds => {
            let a = v.abs();
            if a == 0.0 {
                "0s".into()
            } else if a >= 1.0 {
                format!("{}s", sig_digits(v, digits))
            } else if a >= 1e-3 {
                format!("{}ms", sig_digits(v * 1e3, digits))
            } else {
                format!("{}µs", sig_digits(v * 1e6, digits))
            }
        }
        Unit::Ratio => format!("{}%", fixed(v * 100.0)),
        Unit::Times => format!("{}×", fixed(v)),
        Unit::PerSecond => format!("{}/s", fixed(v)),
        Unit::Plain => fixed(v),
    }
}

/// The digits [`digits_for`] tries, fewest first: 3 to 6 significant digits of seconds; for
/// other units, from the decimals that give the largest value 3 significant digits, 6 more.
fn digit_range(values: &[f64], unit: Unit) -> std::ops::RangeInclusive<i32> {
    if unit == Unit::Seconds {
        return 3..=6;
    }
    let largest = values
        .iter()
        .map(|v| unit.shown(*v).abs())
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(0.0, f64::max);
    let from = if largest > 0.0 {
        (2 - largest.log10().floor() as i32).clamp(0, 12)
    } else {
        0
    };
    from..=(from + 6).min(12)
}

/// The fewest digits at which different values read differently and no value reads as a bound
/// it does not reach (0.99988 as "100%", 0.0004 as "0%").
fn digits_for(values: &[f64], unit: Unit) -> i32 {
    let ok = |digits: i32| {
        // Values that read alike must be one value up to rounding. Per reading it is enough to
        // check its lowest and highest value, not every pair (90,000 cells made 4e9 pairs): of
        // values of one sign no two are farther apart, relative to the larger, than those two;
        // values of both signs are close only when all are 0, and then so are those two.
        let mut readings: HashMap<String, (f64, f64)> = HashMap::with_capacity(values.len());
        let mut honest = true;
        for &v in values {
            let s = fmt_unit(v, unit, digits);
            if unit == Unit::Ratio {
                let p = s.trim_end_matches('%').parse::<f64>().unwrap_or(f64::NAN);
                honest &= (v >= 1.0 || p < 100.0) && (v <= 0.0 || p > 0.0);
            }
            let e = readings.entry(s).or_insert((v, v));
            (e.0, e.1) = (e.0.min(v), e.1.max(v));
        }
        honest && readings.values().all(|&(lo, hi)| close(lo, hi))
    };
    let range = digit_range(values, unit);
    let last = *range.end();
    range.into_iter().find(|d| ok(*d)).unwrap_or(last)
}

/// Whether two values are one up to floating-point rounding.
fn close(a: f64, b: f64) -> bool {
    #[cfg(test)]
    tests::COMPARED.with(|c| c.set(c.get() + 1));
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// The range the colours span: the values' range `(lo, hi)`, widened around its middle to at
/// least 5 percentage points for a ratio and a quarter of the largest value otherwise, and kept
/// within what the values can be (a ratio in [0, 1], nothing negative when no value is).
/// Stretching the palette over whatever the values span drew 81.5% and 81.9%, single-seed
/// noise, as the palest and the darkest cell.
fn scale_of(range: (f64, f64), unit: Unit) -> (f64, f64) {
    let (lo, hi) = range;
    let min_span = match unit {
        Unit::Ratio => 0.05,
        _ => 0.25 * lo.abs().max(hi.abs()),
    };
    if !(min_span.is_finite() && hi - lo < min_span) {
        return (lo, hi);
    }
    let floor = if lo >= 0.0 { 0.0 } else { f64::NEG_INFINITY };
    let ceil = if unit == Unit::Ratio && hi <= 1.0 {
        1.0
    } else {
        f64::INFINITY
    };
    let mid = (lo + hi) / 2.0;
    let (mut a, mut b) = (mid - min_span / 2.0, mid + min_span / 2.0);
    if a < floor {
        (a, b) = (floor, b + (floor - a));
    }
    if b > ceil {
        (a, b) = ((a - (b - ceil)).max(floor), ceil);
    }
    (a, b)
}

/// What a cell shows.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shown {
    Value(f64),
    /// A recovery that never came: the worst outcome.
    Never,
    /// Fails the SLO; its value without the SLO.
    Fails(f64),
    FailsNever,
    /// Fails the SLO, with the figure it failed on ([`Heatmap::failing_slo`]).
    FailsOn,
    /// An interrupted sweep did not run it at every load ([`Heatmap::not_run`]).
    NotRun,
    /// No point there.
    Absent,
}

struct Grid<'a> {
    h: &'a Heatmap,
    /// Finite values only.
    range: Option<(f64, f64)>,
    /// The range the colours span (see [`scale_of`]).
    scale: Option<(f64, f64)>,
    cell_h: i32,
    unit: Unit,
    /// Digits of every value on the chart (see [`fmt_unit`]).
    digits: i32,
    best: Option<Best>,
    /// The objective is a recovery time: an infinite value means it never came.
    recovery: bool,
}

/// Whether a sweep axis varies the load rather than a setting (as `sim sweep` tells them).
fn is_load_axis(key: &str) -> bool {
    model::scenario::is_load_key(key)
}

impl Grid<'_> {
    fn fmt(&self, v: f64) -> String {
        fmt_unit(v, self.unit, self.digits)
    }

    /// What to outline: the sweep's best cell, or with a load axis shown the configuration
    /// whose worst value over the loads is best (only those with a value at every load).
    fn find_best(&self) -> Option<Best> {
        let h = self.h;
        // A best cell must have a value to be best by (not a "never" or an empty cell).
        if let Some((x, y)) = h.best.filter(|(x, y)| self.value(*x, *y).is_some()) {
            return Some(Best::Cell(x, y));
        }
        let (x_load, y_load) = (is_load_axis(&h.x_key), is_load_axis(&h.y_key));
        if x_load == y_load {
            return None;
        }
        let better = |a: f64, b: f64| if h.higher_is_better { a > b } else { a < b };
        // The worst value of a line of cells, if every cell has one.
        let worst = |cells: Vec<Option<f64>>| {
            cells
                .into_iter()
                .try_fold(None, |acc: Option<f64>, c| {
                    let c = c?;
                    Some(Some(acc.map_or(c, |a| if better(a, c) { c } else { a })))
                })
                .flatten()
        };
        let lines: Vec<Option<f64>> = if y_load {
            (0..h.x.len())
                .map(|x| worst((0..h.y.len()).map(|y| self.value(x, y)).collect()))
                .collect()
        } else {
            (0..h.y.len())
                .map(|y| worst((0..h.x.len()).map(|x| self.value(x, y)).collect()))
                .collect()
        };
        let mut best: Option<(usize, f64)> = None;
        for (i, v) in lines.iter().enumerate() {
            if let Some(v) = v {
                if best.is_none_or(|(_, b)| better(*v, b)) {
                    best = Some((i, *v));
                }
            }
        }
        best.map(|(i, _)| if y_load { Best::Column(i) } else { Best::Row(i) })
    }

    /// What the cell at (x, y) shows.
    fn shown(&self, x: usize, y: usize) -> Shown {
        let at = |g: &Vec<Vec<Option<f64>>>| g.get(y).and_then(|r| r.get(x)).copied().flatten();
        let never = |v: f64| self.recovery && v == f64::INFINITY;
        match at(&self.h.cells) {
            Some(v) if v.is_finite() => return Shown::Value(v),
            Some(v) if never(v) => return Shown::Never,
            _ => {}
        }
        let failing_on = self.failing_on(x, y).is_some();
        match at(&self.h.failing) {
            Some(_) if failing_on => Shown::FailsOn,
            Some(v) if v.is_finite() => Shown::Fails(v),
            Some(v) if never(v) => Shown::FailsNever,
            _ if self.h.interrupted.is_some()
                && self.h.not_run.get(y).and_then(|r| r.get(x)).copied().unwrap_or(false) =>
            {
                Shown::NotRun
            }
            _ => Shown::Absent,
        }
    }

    /// The figure the cell at (x, y) failed the SLO on, if known ([`Heatmap::failing_slo`]).
    fn failing_on(&self, x: usize, y: usize) -> Option<&str> {
        self.h.failing_slo.get(y)?.get(x)?.as_deref()
    }

    fn value(&self, x: usize, y: usize) -> Option<f64> {
        match self.shown(x, y) {
            Shown::Value(v) => Some(v),
            _ => None,
        }
    }

    fn cells(&self) -> impl Iterator<Item = Shown> + '_ {
        (0..self.h.y.len()).flat_map(move |y| (0..self.h.x.len()).map(move |x| self.shown(x, y)))
    }

    /// The key under the grid: what pale red, "never" and grey mean, for the kinds of cell
    /// this chart has.
    fn key(&self) -> Vec<String> {
        let (mut fails, mut fails_on, mut never, mut absent, mut not_run) = (false, false, false, false, false);
        let mut values = false;
        for c in self.cells() {
            match c {
                Shown::Fails(_) => fails = true,
                Shown::FailsOn => fails_on = true,
                Shown::FailsNever => (fails, never) = (true, true),
                Shown::Never => never = true,
                Shown::NotRun => not_run = true,
                Shown::Absent => absent = true,
                Shown::Value(_) => values = true,
            }
        }
        let mut parts = Vec::new();
        let slo = self.h.slo_met.as_ref().map(|(slo, _)| slo);
        if let (true, Some(slo)) = (fails_on, slo) {
            parts.push(format!(
                "pale red: fails the SLO ({slo}), the figure it failed on shown (with replications, the seeds' mean: a point fails when any seed does)"
            ));
        }
        if let (true, Some(slo)) = (fails, slo) {
            parts.push(format!(
                "pale red: fails the SLO ({slo}), its {} shown",
                self.h.objective
            ));
        }
        if never {
            parts.push("never: did not recover, the worst outcome".to_string());
        }
        if not_run {
            parts.push(
                "grey not run: the sweep was interrupted before it ran at every load (the best is over the points that ran)"
                    .to_string(),
            );
        }
        if absent {
            let mut why = Vec::new();
            if let (Some(slo), true) = (slo, self.h.failing.is_empty()) {
                why.push(format!("fails the SLO ({slo})"));
            }
            // A producer that leaves a never-recovered point out (None, not infinity) makes it
            // grey: unless some cell reads "never", grey may still mean that.
            if self.recovery && !never {
                why.push("never recovered".to_string());
            }
            let last = "no point there (a setting that does not apply)";
            parts.push(if why.is_empty() {
                format!("grey n/a: {last}")
            } else {
                format!("grey n/a: {}, or {last}", why.join(", "))
            });
        }
        if values && self.scale.is_some() {
            // `colour_bar`'s marks, which unexplained read as stray lines; last, as the least
            // of the key, which is cut to a few lines.
            parts.push("the ticks beside the colour bar: where the cells' values lie on it".to_string());
        }
        parts
    }

    /// 0 for the worst value, 1 for the best, on the colour scale.
    fn goodness(&self, v: f64) -> f64 {
        let Some((lo, hi)) = self.scale else { return 0.5 };
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

    /// The title in lines that fit: the closing parenthesis (the axes folded into each cell)
    /// on a line of its own when the whole does not fit, else wrapped at spaces. Cut with an
    /// ellipsis, it hid that each cell is a worst case over the folded axis.
    fn title_lines(&self) -> Vec<String> {
        let (t, max_w) = (&self.h.title, WIDTH as i32 - 20);
        if text_width(t, 18.0) <= max_w {
            return vec![t.clone()];
        }
        if let Some(i) = t.rfind(" (").filter(|_| t.ends_with(')')) {
            let (head, fold) = (&t[..i], &t[i + 1..]);
            let mut lines = wrap(head, 18.0, max_w, 2);
            lines.extend(wrap(fold, 18.0, max_w, 2));
            return lines;
        }
        wrap(t, 18.0, max_w, 3)
    }

    fn subtitle_lines(&self) -> Vec<String> {
        let h = self.h;
        let better = if h.higher_is_better { "higher" } else { "lower" };
        // "darker is better" only when some cell is coloured: with every cell failing the SLO
        // or empty, no colour means anything.
        let mut parts = if self.range.is_some() {
            vec![format!(
                "colour: {} ({better} is better, darker is better)",
                h.objective
            )]
        } else if self
            .cells()
            .any(|c| matches!(c, Shown::Fails(_) | Shown::FailsNever | Shown::FailsOn))
        {
            vec![
                format!("{} ({better} is better)", h.objective),
                "no cell coloured: none meets the SLO".to_string(),
            ]
        } else {
            vec![format!("{} ({better} is better)", h.objective)]
        };
        // An interrupted sweep's best is the best of what ran, which the rest of the grid may beat.
        let of = if h.interrupted.is_some() {
            " of the points that ran"
        } else {
            ""
        };
        match self.best {
            Some(Best::Cell(..)) => parts.push(format!("outlined: best{of}")),
            Some(Best::Column(_)) => parts.push(format!("outlined: best{of} at every {} (by its worst)", h.y_key)),
            Some(Best::Row(_)) => parts.push(format!("outlined: best{of} at every {} (by its worst)", h.x_key)),
            None => {}
        }
        if h.interrupted.is_some() {
            parts.insert(0, "interrupted: part of the grid ran".into());
        }
        pack(&parts, " · ", 12.0, WIDTH as i32 - 20, 3)
    }

    fn key_lines(&self) -> Vec<String> {
        pack(&self.key(), "; ", 12.0, WIDTH as i32 - 20, 3)
    }

    /// Where the grid starts below the header.
    fn grid_top(&self) -> i32 {
        if self.notice().is_some() {
            GRID_TOP + NOTICE_H
        } else {
            GRID_TOP
        }
    }

    /// The notice that no configuration meets the SLO, if so.
    fn notice(&self) -> Option<String> {
        match &self.h.slo_met {
            Some((slo, false)) => Some(format!("no configuration meets the SLO ({slo})")),
            _ => None,
        }
    }
}

impl Draw for Grid<'_> {
    fn size(&self) -> (u32, u32) {
        let n = |k: usize| i32::try_from(k).unwrap_or(0);
        let ny = n(self.h.y.len());
        let head = header_height(self.title_lines().len(), self.subtitle_lines().len());
        // The header, the notice, the grid, tick labels and the x axis title, the key.
        let grid = ny.saturating_mul(self.cell_h);
        let h = head + self.grid_top() + grid + 52 + KEY_LINE * n(self.key_lines().len()) + 10;
        (WIDTH, u32::try_from(h.max(200)).unwrap_or(200))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let h = self.h;
        let body = frame_lines(root, &self.title_lines(), &self.subtitle_lines())?;
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
        let top = self.grid_top();
        let grid_w = (bw - left - right).max(nx);
        let cell_w = grid_w / nx;
        let cell_h = self.cell_h;
        let grid_h = cell_h * ny;

        for yi in 0..h.y.len() {
            let y0 = top + cell_h * i32::try_from(yi).unwrap_or(0);
            for xi in 0..h.x.len() {
                let x0 = left + cell_w * i32::try_from(xi).unwrap_or(0);
                let shown = self.shown(xi, yi);
                let fill = match shown {
                    Shown::Value(v) => color_at(self.goodness(v)),
                    Shown::Never => color_at(0.0),
                    Shown::Fails(_) | Shown::FailsNever | Shown::FailsOn => FAIL_FILL,
                    Shown::Absent | Shown::NotRun => NONE_FILL,
                };
                body.draw(&Rectangle::new(
                    [(x0 + 1, y0 + 1), (x0 + cell_w - 1, y0 + cell_h - 1)],
                    fill.filled(),
                ))?;
                let (mut label, color) = match shown {
                    Shown::Value(v) => (self.fmt(v), ink_on(fill)),
                    Shown::Never => ("never".to_string(), BAD),
                    Shown::Fails(f) => (format!("fails SLO: {}", self.fmt(f)), BAD),
                    Shown::FailsNever => ("fails SLO: never".to_string(), BAD),
                    Shown::FailsOn => (format!("fails {}", self.failing_on(xi, yi).unwrap_or_default()), BAD),
                    Shown::NotRun => ("not run".to_string(), MUTED),
                    Shown::Absent => ("n/a".to_string(), MUTED),
                };
                let mut size = cell_font(&label, cell_w - 6, cell_h);
                // Details in parentheses ("holds in 4 of 5 seeds") go first in a narrow cell,
                // the last first, so that its figure still shows.
                while size == 0.0 && label.ends_with(')') {
                    let Some(cut) = label.rfind(" (") else { break };
                    label.truncate(cut);
                    size = cell_font(&label, cell_w - 6, cell_h);
                }
                if size > 0.0 {
                    body.draw(&Text::new(
                        label,
                        (x0 + cell_w / 2, y0 + cell_h / 2),
                        anchored(text(size, color), HPos::Center, VPos::Center),
                    ))?;
                }
            }
        }
        let at = |i: usize| i32::try_from(i).unwrap_or(0);
        let outline = match self.best {
            Some(Best::Cell(bx, by)) => Some(((left + cell_w * at(bx), top + cell_h * at(by)), (cell_w, cell_h))),
            Some(Best::Column(bx)) => Some(((left + cell_w * at(bx), top), (cell_w, grid_h))),
            Some(Best::Row(by)) => Some(((left, top + cell_h * at(by)), (cell_w * nx, cell_h))),
            None => None,
        };
        if let Some(((x0, y0), (w, hh))) = outline {
            for d in 0..3 {
                body.draw(&Rectangle::new(
                    [(x0 + d, y0 + d), (x0 + w - d, y0 + hh - d)],
                    BEST.stroke_width(1),
                ))?;
            }
        }
        if let Some(note) = self.notice() {
            // Say it on the chart (an all-red grid could be read as a rendering failure), in a
            // strip of its own above the grid: across the grid it hid the cells' values.
            let w = (text_width(&note, 14.0) + 24).min(grid_w);
            let (cx, y0) = (left + grid_w / 2, GRID_TOP - 6);
            let y1 = y0 + NOTICE_H - 12;
            body.draw(&Rectangle::new([(cx - w / 2, y0), (cx + w / 2, y1)], WHITE.filled()))?;
            body.draw(&Rectangle::new(
                [(cx - w / 2, y0), (cx + w / 2, y1)],
                BAD.stroke_width(1),
            ))?;
            body.draw(&Text::new(
                fit(&note, 14.0, w - 8),
                (cx, (y0 + y1) / 2),
                anchored(text(14.0, BAD), HPos::Center, VPos::Center),
            ))?;
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
        for (i, line) in self.key_lines().into_iter().enumerate() {
            body.draw(&Text::new(
                line,
                (10, top + grid_h + 52 + KEY_LINE * i32::try_from(i).unwrap_or(0)),
                anchored(text(12.0, MUTED), HPos::Left, VPos::Top),
            ))?;
        }
        body.draw(&Text::new(
            fit(&h.y_key, 13.0, grid_h.max(40)),
            (10, top + grid_h / 2),
            rotated(anchored(text(13.0, INK), HPos::Center, VPos::Top)),
        ))?;

        self.colour_bar(&body, (bw - right + 24, top), grid_h.min(bh - top - 10).max(60))
    }
}

impl Grid<'_> {
    /// A vertical gradient from worse (bottom) to better (top), labelled with the ends of the
    /// scale it shows, with a tick at each value the cells have.
    fn colour_bar<DB: DrawingBackend>(
        &self,
        a: &DrawingArea<DB, Shift>,
        (x, y): (i32, i32),
        height: i32,
    ) -> Result<(), ChartError> {
        let Some((lo, hi)) = self.scale else {
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
        // Where the cells' values sit on the scale, which may be wider than they span.
        for v in self.cells().filter_map(|c| match c {
            Shown::Value(v) => Some(v),
            _ => None,
        }) {
            let yy = y + ((1.0 - self.goodness(v)) * f64::from(steps)).round() as i32;
            a.draw(&PathElement::new(vec![(x - 6, yy), (x - 1, yy)], INK.stroke_width(1)))?;
        }
        let (top, bottom) = if self.h.higher_is_better { (hi, lo) } else { (lo, hi) };
        let label =
            |s: String, yy: i32, v: VPos| Text::new(s, (x + BAR_W + 6, yy), anchored(text(12.0, INK), HPos::Left, v));
        a.draw(&label(self.fmt(top), y, VPos::Top))?;
        a.draw(&label("better".into(), y + 15, VPos::Top))?;
        // "Never" cells take the worst end's colour: that end is theirs when the finite values
        // are all one (every recovery 0 s: the bar read "0s better ... worse 0s"), and shared
        // otherwise.
        let never = self.cells().any(|c| matches!(c, Shown::Never | Shown::FailsNever));
        let bottom = match (never, top == bottom) {
            (true, true) => "never".to_string(),
            (true, false) => format!("{}, never", self.fmt(bottom)),
            (false, _) => self.fmt(bottom),
        };
        a.draw(&label(bottom, y + steps, VPos::Bottom))?;
        a.draw(&label("worse".into(), y + steps - 15, VPos::Bottom))?;
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
    // The layout measures text (the y axis title) before drawing.
    ensure_font()?;
    let finite = || h.cells.iter().flatten().flatten().copied().filter(|v| v.is_finite());
    let range = finite().fold(None, |acc: Option<(f64, f64)>, v| {
        Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
    });
    // Cells as tall as fit a 420 px figure and no smaller than one line of text, tall enough
    // together for the colour bar and the y axis title (cut to "gateway.concurre…" on a
    // two-row sweep), up to 90 px a cell; but a sweep with very many rows gets thin, unlabelled
    // rows rather than a huge image.
    let ny = i32::try_from(h.y.len()).unwrap_or(i32::MAX).max(1);
    let wanted = BAR_MIN_H.max(text_width(&h.y_key, 13.0) + 16);
    let cell_h = (300 / ny)
        .clamp(22, 56)
        .max((wanted + ny - 1) / ny)
        .min(90.max(300 / ny));
    let cell_h = if ny.saturating_mul(cell_h) > 3000 {
        (3000 / ny).max(1)
    } else {
        cell_h
    };
    let unit = Unit::of(&h.objective);
    // Every value the chart prints, failing cells' too, for one precision.
    let values: Vec<f64> = finite()
        .chain(h.failing.iter().flatten().flatten().copied().filter(|v| v.is_finite()))
        .collect();
    let recovery = h
        .objective
        .parse::<model::threshold::Figure>()
        .is_ok_and(|f| f.metric == Metric::Recovery);
    let mut grid = Grid {
        h,
        range,
        scale: range.map(|r| scale_of(r, unit)),
        cell_h,
        unit,
        digits: digits_for(&values, unit),
        best: None,
        recovery,
    };
    grid.best = grid.find_best();
    render("heatmap".into(), h.title.clone(), &grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        /// How many pairs of values [`digits_for`] compared.
        pub(super) static COMPARED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// The digits every pair of values would need (what `digits_for` did, pair by pair).
    fn digits_by_pairs(values: &[f64], unit: Unit) -> i32 {
        let ok = |sig: i32| {
            let shown: Vec<String> = values.iter().map(|v| fmt_unit(*v, unit, sig)).collect();
            let distinct = values.iter().enumerate().all(|(i, a)| {
                values[i + 1..]
                    .iter()
                    .zip(&shown[i + 1..])
                    .all(|(b, sb)| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) || *sb != shown[i])
            });
            let honest = unit != Unit::Ratio
                || values.iter().zip(&shown).all(|(v, s)| {
                    let p = s.trim_end_matches('%').parse::<f64>().unwrap_or(f64::NAN);
                    (*v >= 1.0 || p < 100.0) && (*v <= 0.0 || p > 0.0)
                });
            distinct && honest
        };
        let range = digit_range(values, unit);
        let last = *range.end();
        range.into_iter().find(|s| ok(*s)).unwrap_or(last)
    }

    /// A 300x300 sweep's report spent seconds comparing every pair of its cells' values: the
    /// digits come from one comparison per distinct reading now, and are what the pairs gave.
    #[test]
    fn digits_take_a_comparison_per_reading_not_per_pair() {
        let cells = 90_000;
        let same = vec![0.25; cells];
        COMPARED.with(|c| c.set(0));
        assert_eq!(digits_for(&same, Unit::Ratio), 1, "25.0%");
        let compared = COMPARED.with(|c| c.get());
        assert!(compared <= 4, "{compared} comparisons for {cells} equal values");
        // The same digits as pair by pair, on values that need more digits, alike to rounding,
        // of both signs, and at the bounds.
        let cases: [(&[f64], Unit); 6] = [
            (&[0.25, 0.2500001, 0.25 + 1e-15, 0.9999, 0.99988, 0.0004], Unit::Ratio),
            (&[1.0, 1.0001, 1.00001, 1.000001, 2.0], Unit::Plain),
            (&[-1.0, 1.0, 0.0, -0.0, 1e-300, -1e-300], Unit::Plain),
            (&[0.1 + 0.2, 0.3, 3.0], Unit::Times),
            (&[12.345, 12.346, 12.3449], Unit::PerSecond),
            (&[0.0, 0.0, 1.0], Unit::Ratio),
        ];
        for (values, unit) in cases {
            assert_eq!(digits_for(values, unit), digits_by_pairs(values, unit), "{values:?}");
        }
    }

    #[test]
    fn palette_ends_and_contrast() {
        assert_eq!(color_at(0.0), PALETTE[0]);
        assert_eq!(color_at(1.0), PALETTE[8]);
        assert_eq!(color_at(f64::NAN), PALETTE[0]);
        assert_eq!(ink_on(PALETTE[0]), INK);
        assert_eq!(ink_on(PALETTE[8]), WHITE);
    }
}
