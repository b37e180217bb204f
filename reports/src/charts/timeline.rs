//! The per-run charts over scenario time: throughput, latency, the gateway's state, and goodput
//! per priority class and per service.
//!
//! They share one layout so they can be read stacked on a page: the same time axis, the
//! trigger phases shaded in the same place, the legend in the same panel on the right. Points
//! sit at each window's start; windows without a value (an empty histogram, a non-finite
//! number) break the line instead of being drawn as zero, which on a latency chart would read
//! as "fast".

use super::render::run_color;
use super::render::{
    anchored, fit, fmt_axis_tick, fmt_dur_tick, fmt_tick, frame, legend, legend_width, log_axis, nice_ceil, no_data,
    render, text, Draw, LegendEntry, Swatch, ATTEMPTS, BAD, ERRORS, EXPIRED, FRAME, GOODPUT, GRID, INK, MUTED, OFFERED,
    RATE_LIMITED, SHED, TIMEOUTS, TRIGGER, TRIGGER_ALPHA, WASTED,
};
use super::{slug, ChartError, Figure, Labeled};
use model::results::{metric, services_in_order, verdict_label, Counters, Results, Verdict};
use model::scenario::Priority;
use model::threshold::Scope;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

const SIZE: (u32, u32) = (900, 420);
/// Where the legend's first entry sits below the title, and the spacing of entries.
const LEGEND_TOP: i32 = 20;
const LEGEND_ROW: i32 = super::render::LEGEND_ROW;
/// Height of the strip above the plot area that holds the trigger phases' names: inside the
/// plot, lines at the top of the range (a 100% goodput, a p99 at the clients' patience) ran
/// through them.
const PHASE_STRIP: u32 = 14;
/// Windows marked on the latency chart (no intent succeeded in them).
const MARKED: RGBColor = BAD;
const MARKED_ALPHA: f64 = 0.09;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Stroke {
    Solid,
    Dashed,
    /// Filled down to zero (linear axes only).
    Area,
}

struct Series {
    label: String,
    color: RGBColor,
    width: u32,
    stroke: Stroke,
    /// Plotted against the right-hand axis.
    right: bool,
    /// One point per window; `None` breaks the line.
    points: Vec<Option<(f64, f64)>>,
    /// A line of maxima ([`Thin::Max`]).
    maxima: bool,
}

/// Points a line has at most: more windows than that are made one point in runs of
/// [`thinning`] consecutive ones (see [`Thin`], [`latency_points`]). A chart is ~900 pixels wide; a day of 1 s windows drawn one
/// point each made SVGs of tens of megabytes, and reports of hundreds.
const MAX_POINTS: usize = 2_000;

/// What the subtitle says of a thinned chart's points (the latency chart's say [`THINNED_LATENCY`]);
/// a chart with a line of maxima adds [`THINNED_MAXIMA`].
const THINNED: &str = "rates and means averaged";
const THINNED_MAXIMA: &str = ", maxima the highest";
const THINNED_LATENCY: &str = "percentiles of all their latencies together";

/// How many consecutive windows make one point of a line of `n` (1: each its own).
fn thinning(n: usize) -> usize {
    n.div_ceil(MAX_POINTS).max(1)
}

/// How a run of windows becomes one point of a thinned line.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Thin {
    /// Rates, ratios and means: averaged.
    Mean,
    /// Maxima: the highest, so a spike shorter than the run is not diluted.
    Max,
}

/// `points` with each run of [`thinning`] consecutive ones made one (see [`Thin`]), at the
/// first's time; a run without a value stays a gap.
fn thin(points: Vec<Option<(f64, f64)>>, how: Thin) -> Vec<Option<(f64, f64)>> {
    let k = thinning(points.len());
    if k == 1 {
        return points;
    }
    points
        .chunks(k)
        .map(|run| {
            let values: Vec<(f64, f64)> = run.iter().flatten().copied().collect();
            let first = values.first()?;
            let ys = values.iter().map(|(_, y)| *y);
            let y = match how {
                Thin::Mean => ys.sum::<f64>() / values.len() as f64,
                Thin::Max => ys.fold(f64::NEG_INFINITY, f64::max),
            };
            Some((first.0, y))
        })
        .collect()
}

impl Series {
    fn new(label: &str, color: RGBColor, width: u32, stroke: Stroke, points: Vec<Option<(f64, f64)>>) -> Series {
        Series {
            label: label.to_string(),
            color,
            width,
            stroke,
            right: false,
            points: thin(points, Thin::Mean),
            maxima: false,
        }
    }

    /// A line of maxima: thinned to the highest of each run of windows, not their mean.
    fn of_maxima(label: &str, color: RGBColor, width: u32, stroke: Stroke, points: Vec<Option<(f64, f64)>>) -> Series {
        Series {
            points: thin(points, Thin::Max),
            maxima: true,
            ..Series::new(label, color, width, stroke, Vec::new())
        }
    }

    fn on_right(mut self) -> Series {
        self.right = true;
        self.label.push_str(" (right axis)");
        self
    }

    fn max(&self) -> f64 {
        self.points.iter().flatten().map(|p| p.1).fold(0.0, f64::max)
    }

    fn min_positive(&self) -> Option<f64> {
        self.points
            .iter()
            .flatten()
            .map(|p| p.1)
            .filter(|v| *v > 0.0)
            .min_by(f64::total_cmp)
    }

    /// Runs of consecutive points.
    fn segments(&self) -> Vec<Vec<(f64, f64)>> {
        let mut out = vec![Vec::new()];
        for p in &self.points {
            match p {
                Some(p) => {
                    if let Some(s) = out.last_mut() {
                        s.push(*p);
                    }
                }
                None => {
                    if out.last().is_some_and(|s| !s.is_empty()) {
                        out.push(Vec::new());
                    }
                }
            }
        }
        out.retain(|s| !s.is_empty());
        out
    }
}

struct Timeline {
    title: String,
    subtitle: String,
    x_end: f64,
    /// Trigger phases: start, end, name.
    triggers: Vec<(f64, f64, String)>,
    y_desc: String,
    y2_desc: Option<String>,
    log_y: bool,
    /// A fixed top of the left axis (percentages stop at 100), instead of one fitted to the data.
    y_max: Option<f64>,
    series: Vec<Series>,
    /// Set when there is nothing to plot; says why.
    note: Option<String>,
    /// Spans of time marked with a band of their own (start, end), e.g. windows in which no
    /// intent succeeded, and the legend entry saying what they mean.
    marked: Vec<(f64, f64)>,
    marked_label: String,
}

impl Timeline {
    /// `replications`: how many seeds the run stands for (the chart draws the first).
    fn new(title: String, r: &Results, y_desc: &str, replications: usize) -> Timeline {
        let mut x_end = 0.0f64;
        let ws = if r.window_s.is_finite() && r.window_s > 0.0 {
            r.window_s
        } else {
            0.0
        };
        for w in &r.windows {
            if w.start_s.is_finite() {
                x_end = x_end.max(w.start_s + ws);
            }
        }
        let mut triggers = Vec::new();
        for p in &r.phases {
            if p.end_s.is_finite() {
                x_end = x_end.max(p.end_s);
            }
            if p.trigger && p.start_s.is_finite() && p.end_s.is_finite() && p.end_s > p.start_s {
                triggers.push((p.start_s.max(0.0), p.end_s, p.name.clone()));
            }
        }
        if !(x_end.is_finite() && x_end > 0.0) {
            x_end = 1.0;
        }
        let source = match r.source {
            model::results::RunSource::Sim => "simulated",
            model::results::RunSource::Live => "live",
        };
        let mut subtitle = format!(
            "scenario {} · strategy {} · {source} · {} · {} s windows",
            r.scenario_name,
            r.strategy,
            seed_text(r, replications),
            fmt_tick(r.window_s)
        );
        if r.incomplete {
            subtitle.push_str(" · run interrupted");
        }
        let k = thinning(r.windows.len());
        if k > 1 {
            subtitle.push_str(&format!(" · every {k} windows one point ({THINNED})"));
        }
        let note = if r.windows.is_empty() {
            Some("no data: the results have no windows".to_string())
        } else if ws == 0.0 {
            Some("no data: the results' window length is zero".to_string())
        } else {
            None
        };
        Timeline {
            title,
            subtitle,
            x_end,
            triggers,
            y_desc: y_desc.to_string(),
            y2_desc: None,
            log_y: false,
            y_max: None,
            series: Vec::new(),
            note,
            marked: Vec::new(),
            marked_label: String::new(),
        }
    }

    fn legend_entries(&self) -> Vec<LegendEntry> {
        let mut e: Vec<LegendEntry> = self
            .series
            .iter()
            .map(|s| LegendEntry {
                label: s.label.clone(),
                swatch: match s.stroke {
                    Stroke::Area => Swatch::Area(s.color),
                    st => Swatch::Line {
                        color: s.color,
                        width: s.width,
                        dashed: st == Stroke::Dashed,
                    },
                },
            })
            .collect();
        if !self.triggers.is_empty() {
            e.push(LegendEntry {
                label: "trigger phase".into(),
                swatch: Swatch::Band(TRIGGER, TRIGGER_ALPHA),
            });
        }
        if !self.marked.is_empty() {
            e.push(LegendEntry {
                label: self.marked_label.clone(),
                swatch: Swatch::Band(MARKED, MARKED_ALPHA),
            });
        }
        e
    }

    /// Room above the plot area: a strip for the phase names when there are trigger phases.
    fn margin_top(&self) -> u32 {
        if self.triggers.is_empty() {
            12
        } else {
            12 + PHASE_STRIP
        }
    }

    fn draw_linear<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let side = |right: bool| {
            self.series
                .iter()
                .filter(|s| s.right == right)
                .map(Series::max)
                .fold(0.0, f64::max)
        };
        let y_max = self.y_max.unwrap_or_else(|| nice_ceil(side(false) * 1.05));
        let y2_max = nice_ceil(side(true) * 1.05);
        let mut chart = ChartBuilder::on(plot)
            .margin_top(self.margin_top())
            .margin_right(if self.y2_desc.is_some() { 4 } else { 16 })
            .margin_left(6)
            .x_label_area_size(42)
            .y_label_area_size(62)
            .right_y_label_area_size(if self.y2_desc.is_some() { 62 } else { 0 })
            .build_cartesian_2d(0.0..self.x_end, 0.0..y_max)?;
        let Some(desc) = &self.y2_desc else {
            mesh(&mut chart, &self.y_desc, &|v| fmt_axis_tick(*v, y_max))?;
            return self.body(&mut chart, 1.0);
        };
        // The secondary coordinates take over the right label area; the primary mesh must be
        // drawn after that, or it labels the right axis with its own ticks too.
        let mut dual = chart.set_secondary_coord(0.0..self.x_end, 0.0..y2_max);
        mesh(&mut dual, &self.y_desc, &|v| fmt_axis_tick(*v, y_max))?;
        dual.configure_secondary_axes()
            .axis_style(FRAME)
            .label_style(text(12.0, INK))
            .axis_desc_style(text(13.0, INK))
            .y_desc(desc.as_str())
            .y_label_formatter(&|v| fmt_axis_tick(*v, y2_max))
            .draw()?;
        self.body(&mut dual, y2_max / y_max)
    }

    fn draw_log<DB: DrawingBackend>(&self, plot: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let lo = self
            .series
            .iter()
            .filter_map(Series::min_positive)
            .min_by(f64::total_cmp);
        let hi = self.series.iter().map(Series::max).fold(0.0, f64::max);
        let Some(lo) = lo.filter(|lo| lo.is_finite() && hi.is_finite() && hi > 0.0) else {
            return no_data(plot, "no data: no window has latency samples");
        };
        let mut chart = ChartBuilder::on(plot)
            .margin_top(self.margin_top())
            .margin_right(16)
            .margin_left(6)
            .x_label_area_size(42)
            .y_label_area_size(62)
            .build_cartesian_2d(0.0..self.x_end, log_axis(lo, hi))?;
        mesh(&mut chart, &self.y_desc, &|v| fmt_dur_tick(*v))?;
        self.body(&mut chart, 1.0)
    }

    /// Trigger bands, then areas, then lines (so no fill hides a line). `k` converts
    /// right-axis values to the left axis' scale.
    fn body<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
        &self,
        chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
        k: f64,
    ) -> Result<(), ChartError> {
        let y = chart.y_range();
        for (start, end) in &self.marked {
            let end = end.min(self.x_end);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(*start, y.start), (end, y.end)],
                MARKED.mix(MARKED_ALPHA).filled(),
            )))?;
        }
        for (i, (start, end, name)) in self.triggers.iter().enumerate() {
            let end = end.min(self.x_end);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(*start, y.start), (end, y.end)],
                TRIGGER.mix(TRIGGER_ALPHA).filled(),
            )))?;
            // The name goes in the strip above the plot area (see `PHASE_STRIP`), where no data
            // line can cross it, cut before the next phase's name or the plot's right edge.
            let x0 = chart.backend_coord(&(*start, y.end)).0;
            let next = self.triggers.get(i + 1).map_or(self.x_end, |t| t.0.min(self.x_end));
            let room = chart.backend_coord(&(next, y.end)).0 - x0 - 8;
            chart.draw_series(std::iter::once(
                EmptyElement::at((*start, y.end))
                    + Text::new(
                        fit(name, 11.0, room),
                        (3, -4),
                        anchored(text(11.0, MUTED), HPos::Left, VPos::Bottom),
                    ),
            ))?;
        }
        let k = if k.is_finite() && k > 0.0 { k } else { 1.0 };
        let scaled = |s: &Series, seg: &[(f64, f64)]| -> Vec<(f64, f64)> {
            let f = if s.right { 1.0 / k } else { 1.0 };
            seg.iter().map(|(x, v)| (*x, v * f)).collect()
        };
        for s in self.series.iter().filter(|s| s.stroke == Stroke::Area) {
            for seg in s.segments() {
                chart.draw_series(
                    AreaSeries::new(scaled(s, &seg), 0.0, s.color.mix(0.18))
                        .border_style(s.color.stroke_width(s.width)),
                )?;
            }
        }
        // Wide lines under narrow ones and solid under dashed, so where two series coincide
        // (attempts that all time out, offered load that all succeeds, in-flight at the limit)
        // both stay visible; among equals the first legend entries end up on top.
        let mut lines: Vec<&Series> = self.series.iter().rev().filter(|s| s.stroke != Stroke::Area).collect();
        lines.sort_by_key(|s| (std::cmp::Reverse(s.width), s.stroke == Stroke::Dashed));
        for s in lines {
            let style = s.color.stroke_width(s.width);
            for seg in s.segments() {
                let pts = scaled(s, &seg);
                if pts.len() == 1 {
                    chart.draw_series(pts.iter().map(|p| Circle::new(*p, 2, s.color.filled())))?;
                } else if s.stroke == Stroke::Dashed {
                    chart.draw_series(DashedLineSeries::new(pts, 7, 4, style))?;
                } else {
                    chart.draw_series(LineSeries::new(pts, style))?;
                }
            }
        }
        Ok(())
    }
}

impl Draw for Timeline {
    /// The usual size, taller when the legend has more entries than fit beside the plot (a
    /// run with 30 services).
    fn size(&self) -> (u32, u32) {
        let entries = u32::try_from(self.legend_entries().len()).unwrap_or(u32::MAX);
        let needed = 50u32
            .saturating_add(LEGEND_TOP as u32)
            .saturating_add(entries.saturating_mul(LEGEND_ROW as u32))
            .saturating_add(10);
        (SIZE.0, SIZE.1.max(needed.min(4000)))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        // A thinned chart says how its maxima were thinned only when it has a line of them.
        let subtitle = if self.series.iter().any(|s| s.maxima) {
            self.subtitle
                .replace(&format!("({THINNED})"), &format!("({THINNED}{THINNED_MAXIMA})"))
        } else {
            self.subtitle.clone()
        };
        let body = frame(root, &self.title, Some(&subtitle))?;
        if let Some(note) = &self.note {
            return no_data(&body, note);
        }
        if self.series.iter().all(|s| s.points.iter().all(Option::is_none)) {
            return no_data(&body, "no data: nothing to plot");
        }
        let entries = self.legend_entries();
        let (w, _) = body.dim_in_pixel();
        let (plot, side) = body.split_horizontally(i32::try_from(w).unwrap_or(0) - legend_width(&entries));
        legend(&side, &entries, LEGEND_TOP)?;
        if self.log_y {
            self.draw_log(&plot)
        } else {
            self.draw_linear(&plot)
        }
    }
}

/// The grid and the left and bottom axes, alike on every timeline.
fn mesh<DB: DrawingBackend, Y: Ranged<ValueType = f64> + ValueFormatter<f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    y_desc: &str,
    y_fmt: &dyn Fn(&f64) -> String,
) -> Result<(), ChartError> {
    chart
        .configure_mesh()
        .max_light_lines(0)
        .bold_line_style(GRID)
        .axis_style(FRAME)
        .label_style(text(12.0, INK))
        .axis_desc_style(text(13.0, INK))
        .x_desc("scenario time (s)")
        .y_desc(y_desc)
        .x_label_formatter(&|v| fmt_tick(*v))
        .y_label_formatter(y_fmt)
        .draw()?;
    Ok(())
}

/// "seed 7", or "seed 7 (first of 10 replications)".
pub(crate) fn seed_text(r: &Results, replications: usize) -> String {
    if replications > 1 {
        format!("seed {} (first of {replications} replications)", r.seed)
    } else {
        format!("seed {}", r.seed)
    }
}

/// How many backend services the run's scenario has (`count` expands one entry into several).
fn service_count(r: &Results) -> u64 {
    r.scenario
        .backend
        .services
        .iter()
        .map(|s| u64::from(s.count.unwrap_or(1).max(1)))
        .fold(0, u64::saturating_add)
}

/// Says "no data" on a chart of a run that sent no request at all: its lines are flat zeros
/// (one dot, for a one-window run) on a made-up 0-1 axis, which reads like a broken chart.
fn no_traffic(tl: &mut Timeline, r: &Results) {
    let idle = |w: &model::results::Window| {
        w.counters.requests.intents == 0
            && w.counters.requests.attempts == 0
            && w.counters.backend_busy_s.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
    };
    if tl.note.is_none() && r.summary.whole.offered == 0 && r.windows.iter().all(idle) {
        tl.note = Some("no data: the run sent no requests".into());
    }
}

/// `(start_s, value)` where both are finite, else a gap.
fn point(x: f64, y: f64) -> Option<(f64, f64)> {
    (x.is_finite() && y.is_finite()).then_some((x, y))
}

/// What a count in a window is counted by, which decides the time it is a rate over.
#[derive(Clone, Copy, Debug, PartialEq)]
enum CountedBy {
    /// Intents (offered, succeeded): by intended start, so only while arrivals ran.
    IntentStart,
    /// Attempts by send time, backend time when it was done: through the drain too.
    Work,
}

/// How long each window's counts of `by` were gathered over, in seconds: the divisor of its
/// rates, `None` for a window left out (a gap).
///
/// The results record where arrivals stopped (`summary.duration_s`: the scenario's end, or
/// where an interrupted live run was cut) but not where the run ended: it drains on until the
/// last intent has its answer and stops somewhere in its last window. So every window counts
/// as full but these:
/// - past `duration_s` no intent starts: its intent rates are a gap, not a fall to zero, and
///   the window `duration_s` cuts short counts intents over the part before it;
/// - the last window ran up to `duration_s` when that lies in it (that span, a lower bound when
///   the drain went on in it), and for an unknown time otherwise (a drain-only window, or a run
///   stopped before `duration_s`): it is left out, since the chart cannot say what rate its
///   counts are. Divided by a whole window, steady's last window (0.06 s of drain) drew every
///   line plunging from 120/s to 0, and the death spiral's saturated backend fell from 8 to 1.1
///   backend-s/s;
/// - a span under a quarter window is left out too: a few events over a sliver of time make a
///   rate of noise; but not the first window's, which for a run shorter than a window is all
///   there is to draw.
fn spans(r: &Results, by: CountedBy) -> Vec<Option<f64>> {
    let ws = r.window_s;
    let end = r.summary.duration_s;
    // A results file without a usable end: every window full, as before the run's end was read.
    let end = if end.is_finite() && end > 0.0 {
        end
    } else {
        f64::INFINITY
    };
    let last = r.windows.len().saturating_sub(1);
    r.windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let start = w.start_s;
            let ran = if i < last {
                ws
            } else if start < end && end <= start + ws {
                end - start
            } else if end.is_infinite() {
                ws
            } else {
                return None;
            };
            let span = match by {
                CountedBy::Work => ran,
                CountedBy::IntentStart => ran.min(end - start),
            };
            // A run shorter than a window has its first window alone: a sliver or not, it is
            // all the run there is (left out, its chart said "nothing to plot").
            (span.is_finite() && span > 0.0 && (span >= 0.25 * ws || i == 0)).then_some(span)
        })
        .collect()
}

/// Each window's rate over the time it covers ([`spans`]), placed at that time's middle: at
/// the window's start, lines joining the points rose a whole window before what they count
/// (with 5 s windows the attempts line climbed 5 s ahead of the shaded burst).
fn rates(r: &Results, by: CountedBy, f: impl Fn(&Counters) -> f64) -> Vec<Option<(f64, f64)>> {
    r.windows
        .iter()
        .zip(spans(r, by))
        .map(|(w, span)| span.and_then(|span| point(w.start_s + span / 2.0, f(&w.counters) / span)))
        .collect()
}

/// Requests per second by fate over time, with the backend's busy and wasted time on a second
/// axis: the picture of the spiral (attempts climb above offered while goodput falls and the
/// backend stays busy on answers nobody waits for).
///
/// Requests are counted in the window they were sent in (results count an intent's outcome in
/// its start window), so the goodput line is "intents sent then that succeeded", not
/// completions: during an outage whose intents succeed after it, the line stays up while the
/// backend is idle. Its legend says so; backend time is counted when the work was done.
pub fn throughput(run: Labeled) -> Result<Figure, ChartError> {
    throughput_of(run, 1)
}

/// [`throughput`] of the first of `replications` seeds (the subtitle says so).
pub(crate) fn throughput_of(run: Labeled, replications: usize) -> Result<Figure, ChartError> {
    let r = run.results;
    let title = format!("Throughput — {}", run.label);
    let mut tl = Timeline::new(title.clone(), r, "requests per second (by send time)", replications);
    no_traffic(&mut tl, r);
    if tl.note.is_none() {
        type Count = fn(&Counters) -> u64;
        use CountedBy::{IntentStart, Work};
        // (label, colour, width, stroke, counted by, count, always shown): outcomes most
        // strategies never produce stay out of the legend unless they happen.
        let lines: [(&str, RGBColor, u32, Stroke, CountedBy, Count, bool); 8] = [
            (
                "offered (intents)",
                OFFERED,
                2,
                Stroke::Dashed,
                IntentStart,
                |c| c.requests.intents,
                true,
            ),
            (
                "attempts (incl. retries)",
                ATTEMPTS,
                5,
                Stroke::Solid,
                Work,
                |c| c.requests.attempts,
                true,
            ),
            (
                "goodput: intents sent then that succeeded",
                GOODPUT,
                3,
                Stroke::Solid,
                IntentStart,
                |c| c.requests.successes,
                true,
            ),
            (
                "timeouts",
                TIMEOUTS,
                2,
                Stroke::Solid,
                Work,
                |c| c.requests.timeouts,
                true,
            ),
            ("shed (503)", SHED, 2, Stroke::Solid, Work, |c| c.requests.shed, true),
            (
                "expired (deadline)",
                EXPIRED,
                2,
                Stroke::Solid,
                Work,
                |c| c.requests.expired,
                false,
            ),
            (
                "rate limited (429)",
                RATE_LIMITED,
                2,
                Stroke::Solid,
                Work,
                |c| c.requests.rate_limited,
                false,
            ),
            ("errors", ERRORS, 2, Stroke::Solid, Work, |c| c.requests.errors, false),
        ];
        for (label, colour, width, stroke, by, count, always) in lines {
            if always || r.windows.iter().any(|w| count(&w.counters) > 0) {
                tl.series.push(Series::new(
                    label,
                    colour,
                    width,
                    stroke,
                    rates(r, by, |c| count(c) as f64),
                ));
            }
        }
        // Against an external target the backend's work was not measured: its zeros are none.
        if !r.summary.external_target {
            tl.series
                .push(Series::new("wasted work", WASTED, 2, Stroke::Area, rates(r, Work, |c| c.wasted_s)).on_right());
            tl.series.push(
                Series::new(
                    "backend busy",
                    WASTED,
                    1,
                    Stroke::Dashed,
                    rates(r, Work, |c| c.backend_busy_s),
                )
                .on_right(),
            );
            tl.y2_desc = Some("backend-seconds per second".into());
        }
    }
    render(format!("throughput-{}", slug(run.label)), title, &tl)
}

/// Intent latency percentiles per window on a log axis: under a death spiral they pile up at
/// the clients' patience and stay there after the trigger has ended.
pub fn latency(run: Labeled) -> Result<Figure, ChartError> {
    latency_of(run, 1)
}

/// [`latency`] of the first of `replications` seeds (the subtitle says so).
pub(crate) fn latency_of(run: Labeled, replications: usize) -> Result<Figure, ChartError> {
    let r = run.results;
    let title = format!("Latency over time — {}", run.label);
    let has = |name: &str| {
        r.windows
            .iter()
            .any(|w| w.histograms.get(name).is_some_and(|h| !h.is_empty()))
    };
    // The histograms hold every finished intent (attempt), failed or not: the axis says so.
    let (name, desc) = if has(metric::INTENT_LATENCY) || !has(metric::ATTEMPT_LATENCY) {
        (metric::INTENT_LATENCY, "intent latency, failures included (log scale)")
    } else {
        (
            metric::ATTEMPT_LATENCY,
            "attempt latency, failures included (log scale)",
        )
    };
    let mut tl = Timeline::new(title.clone(), r, desc, replications);
    tl.log_y = true;
    if tl.note.is_none() {
        // Where no intent succeeded, the percentiles are those of failures (after a collapse,
        // the clients' give-up time: a flat line at ~3 s that read as "latency settled at 3 s").
        // The results keep no histogram of successes alone, so those windows are marked.
        let ws = r.window_s;
        for w in &r.windows {
            let c = &w.counters.requests;
            if c.successes == 0 && c.failures > 0 && w.start_s.is_finite() {
                match tl.marked.last_mut() {
                    Some((_, end)) if (*end - w.start_s).abs() < 1e-9 * ws.max(1.0) => *end = w.start_s + ws,
                    _ => tl.marked.push((w.start_s, w.start_s + ws)),
                }
            }
        }
        tl.marked_label = "no intent succeeded: lines show failures".into();
        if thinning(r.windows.len()) > 1 {
            tl.subtitle = tl.subtitle.replace(THINNED, THINNED_LATENCY);
        }
        let per_window = latency_points(r, name);
        let series = |k: usize| -> Vec<Option<(f64, f64)>> {
            per_window
                .iter()
                .map(|w| w.and_then(|(t, v)| point(t, v[k]).filter(|p| p.1 > 0.0)))
                .collect()
        };
        tl.series = vec![
            Series::new("p50", RGBColor(31, 90, 180), 2, Stroke::Solid, series(0)),
            Series::new("p90", RGBColor(23, 150, 160), 2, Stroke::Solid, series(1)),
            Series::new("p99", RGBColor(255, 127, 14), 2, Stroke::Solid, series(2)),
            Series::new("max", RGBColor(214, 39, 40), 1, Stroke::Solid, series(3)),
        ];
    }
    render(format!("latency-{}", slug(run.label)), title, &tl)
}

/// Per point of the latency chart, its time and the p50, p90, p99 and max of `name`'s
/// histogram. Each window's histogram is stored compressed: unpacked once for all four lines.
/// A long run's windows are merged in runs of [`thinning`] (as many as a line has points), so a
/// point's figures are those of all its windows' values together: an average of percentiles
/// is no percentile, and an average of maxima dilutes a spike.
fn latency_points(r: &Results, name: &str) -> Vec<Option<(f64, [f64; 4])>> {
    r.windows
        .chunks(thinning(r.windows.len()))
        .map(|run| {
            let mut merged: Option<(f64, model::results::Hist)> = None;
            for w in run {
                let Some(h) = w.histograms.get(name).filter(|h| !h.is_empty()) else {
                    continue;
                };
                let h = h.unpack();
                match merged.as_mut() {
                    Some((_, m)) => m.add(&h),
                    None => merged = Some((w.start_s, h)),
                }
            }
            let (t, h) = merged?;
            Some((
                t,
                [h.quantile_s(0.50), h.quantile_s(0.90), h.quantile_s(0.99), h.max_s()],
            ))
        })
        .collect()
}

/// The gateway's queue against its concurrency: a queue that keeps growing while in-flight
/// sits at the limit is the backlog itself.
pub fn gateway(run: Labeled) -> Result<Figure, ChartError> {
    gateway_of(run, 1)
}

/// [`gateway`] of the first of `replications` seeds (the subtitle says so).
pub(crate) fn gateway_of(run: Labeled, replications: usize) -> Result<Figure, ChartError> {
    let r = run.results;
    // Each service has a gateway queue of its own, and this chart draws their sum: with several
    // services it says so, or a bounded queue of 50 on two services reads as a bound of 100.
    // (What each service held has a chart of its own, `held_by_service`.)
    let services = service_count(r);
    let (title, summed) = if services > 1 {
        (
            format!(
                "Gateway queues and concurrency, {} summed — {}",
                if services == 2 {
                    "both services".to_string()
                } else {
                    format!("all {services} services")
                },
                run.label
            ),
            format!(" (sum of {services} services)"),
        )
    } else {
        (format!("Gateway queue and concurrency — {}", run.label), String::new())
    };
    let mut tl = Timeline::new(title.clone(), r, &format!("queued requests{summed}"), replications);
    no_traffic(&mut tl, r);
    if tl.note.is_none() && r.summary.external_target {
        // `per_run` leaves this chart out for such runs; drawn on its own, it says why it is empty.
        tl.note = Some("not measured: against an external target (loadgen --target) the gateway's queue and concurrency are not seen".into());
    }
    if tl.note.is_none() {
        let g = |f: fn(&model::results::Gauges) -> f64| gauge_points(r, f);
        let all = if services > 1 { ", all services" } else { "" };
        tl.series = vec![
            Series::new(
                &format!("queue depth (mean{all})"),
                ATTEMPTS,
                2,
                Stroke::Area,
                g(|g| g.queue_depth_mean),
            ),
            Series::of_maxima(
                &format!("queue depth (max{all})"),
                RGBColor(120, 170, 215),
                1,
                Stroke::Solid,
                g(|g| g.queue_depth_max as f64),
            ),
            Series::new(
                &format!("in flight (mean{all})"),
                GOODPUT,
                2,
                Stroke::Solid,
                g(|g| g.in_flight_mean),
            )
            .on_right(),
        ];
        if r.windows.iter().any(|w| w.gauges.generator_waiting_mean > 0.0) {
            // Past loadgen's --connections the backlog waits in the generator, unseen by the
            // gateway: without this line a queue pinned at the cap reads as a standing one.
            tl.series.push(Series::new(
                "waiting in the load generator (no free connection; mean)",
                RGBColor(200, 90, 90),
                2,
                Stroke::Dashed,
                g(|g| g.generator_waiting_mean),
            ));
        }
        if r.windows.iter().any(|w| w.gauges.limit.is_some()) {
            // The limit is reported when it changes; it holds until the next report.
            let mut last = None;
            let pts = r
                .windows
                .iter()
                .map(|w| {
                    last = w.gauges.limit.or(last);
                    last.and_then(|l| point(w.start_s, l as f64))
                })
                .collect();
            let label = if services > 1 {
                "concurrency limits (sum)"
            } else {
                "concurrency limit"
            };
            tl.series
                .push(Series::new(label, OFFERED, 2, Stroke::Dashed, pts).on_right());
        }
        tl.y2_desc = Some(format!("requests in flight{summed}"));
    }
    render(format!("gateway-{}", slug(run.label)), title, &tl)
}

/// Each window's gauge figure `f`, a gap for a window no gauge sample fell in (a live run at a
/// high time scale): its figures are no measurement, and drawn as 0 they were a queue that
/// emptied for a window.
fn gauge_points(r: &Results, f: fn(&model::results::Gauges) -> f64) -> Vec<Option<(f64, f64)>> {
    r.windows
        .iter()
        .map(|w| {
            if w.gauges.sampled() {
                point(w.start_s, f(&w.gauges))
            } else {
                None
            }
        })
        .collect()
}

/// What service `name`'s gateway queue held in each window, a gap where no gauge sample fell.
fn held_points(r: &Results, name: &str) -> Vec<Option<(f64, f64)>> {
    r.windows
        .iter()
        .map(|w| w.service_held(name).and_then(|h| point(w.start_s, h)))
        .collect()
}

/// The requests each service's gateway queue held (queued plus in flight, the mean of each
/// window's samples), a line per service: which service's backlog grew, and whether it was
/// still draining at the end, what its verdict read. The gateway chart has only their sum.
/// `None` for a run without per-service figures (one service, an external target, or results
/// written before services kept what they held). At most [`MAX_GROUP_LINES`] lines: the
/// services that held the most at their peak.
pub fn held_by_service(run: Labeled) -> Option<Result<Figure, ChartError>> {
    held_by_service_of(run, 1)
}

/// [`held_by_service`] of the first of `replications` seeds.
pub(crate) fn held_by_service_of(run: Labeled, replications: usize) -> Option<Result<Figure, ChartError>> {
    let r = run.results;
    let peak = |name: &str| -> f64 {
        r.windows
            .iter()
            .filter_map(|w| w.services.get(name))
            .map(|g| g.held)
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
    };
    let mut services: Vec<(&String, f64)> = services_in_order(&r.summary.services)
        .into_iter()
        .map(|(name, _)| (name, peak(name)))
        .collect();
    if services.len() < 2 || services.iter().all(|(_, p)| *p <= 0.0) {
        return None;
    }
    let all_services = services.len();
    if all_services > MAX_GROUP_LINES {
        let mut top: Vec<usize> = (0..all_services).collect();
        top.sort_by(|&a, &b| services[b].1.total_cmp(&services[a].1).then(a.cmp(&b)));
        let mut keep = top[..MAX_GROUP_LINES].to_vec();
        keep.sort_unstable();
        services = keep.into_iter().map(|i| services[i]).collect();
    }
    let title = if all_services > services.len() {
        format!(
            "Requests held at the gateway by service, the {} fullest of {all_services} — {}",
            services.len(),
            run.label
        )
    } else {
        format!("Requests held at the gateway by service — {}", run.label)
    };
    let mut tl = Timeline::new(
        title.clone(),
        r,
        "requests held (queued + in flight, mean)",
        replications,
    );
    no_traffic(&mut tl, r);
    if tl.note.is_none() {
        for (i, (name, _)) in services.iter().enumerate() {
            // Each service's verdict: "not judged" is what this chart explains (a backlog still
            // draining), and "held", beside a line of requests held, says goodput's.
            let verdict = r
                .summary
                .services
                .get(*name)
                .map_or(String::new(), |g| match g.verdict {
                    Some(Verdict::Recovered) if g.held => "  goodput held".into(),
                    Some(v) => format!("  {}", verdict_label(v, g.recovery_s, g.held)),
                    None if !g.verdict_reason.is_empty() => "  not judged".into(),
                    None => String::new(),
                });
            let label = format!("{name}{verdict}");
            tl.series.push(Series::new(
                &label,
                run_color(i),
                2,
                Stroke::Solid,
                held_points(r, name),
            ));
        }
    }
    Some(render(format!("held-services-{}", slug(run.label)), title, &tl))
}

/// Services drawn in one goodput chart at most: the worst by goodput ratio (the tables have
/// every one).
pub const MAX_GROUP_LINES: usize = 12;

/// Goodput ratio per window of each priority class and of each service the run kept, one chart
/// per kind, with the whole run's dashed: one service can collapse while the others, and so the
/// whole-run line, look healthy. Empty when the results keep no per-window group figures.
pub fn goodput_by_group(run: Labeled) -> Vec<Result<Figure, ChartError>> {
    goodput_by_group_of(run, 1)
}

/// [`goodput_by_group`] of the first of `replications` seeds.
pub(crate) fn goodput_by_group_of(run: Labeled, replications: usize) -> Vec<Result<Figure, ChartError>> {
    let r = run.results;
    let classes: Vec<(String, Scope)> = Priority::ALL
        .into_iter()
        .filter(|c| r.windows.iter().any(|w| w.classes.contains_key(c)))
        .map(|c| (c.as_str().to_string(), Scope::Class(c)))
        .collect();
    let mut services: Vec<(&String, &model::results::GroupSummary)> = services_in_order(&r.summary.services)
        .into_iter()
        .filter(|(name, _)| r.windows.iter().any(|w| w.services.contains_key(*name)))
        .collect();
    // A line each for at most MAX_GROUP_LINES services, the worst by goodput ratio: a thousand
    // lines made a 90 MB chart nobody can read; the tables list every service.
    let all_services = services.len();
    if all_services > MAX_GROUP_LINES {
        let mut worst: Vec<usize> = (0..all_services).collect();
        worst.sort_by(|&a, &b| {
            services[a]
                .1
                .goodput_ratio
                .total_cmp(&services[b].1.goodput_ratio)
                .then(a.cmp(&b))
        });
        let mut keep = worst[..MAX_GROUP_LINES].to_vec();
        keep.sort_unstable();
        services = keep.into_iter().map(|i| services[i]).collect();
    }
    let services: Vec<(String, Scope)> = services
        .into_iter()
        .map(|(name, _)| (name.clone(), Scope::Service(name.clone())))
        .collect();
    let mut out = Vec::new();
    for (kind, stem, groups) in [
        ("priority class", "goodput-classes", classes),
        ("service", "goodput-services", services),
    ] {
        if groups.is_empty() {
            continue;
        }
        let title = if kind == "service" && all_services > groups.len() {
            format!(
                "Goodput by service, the {} worst of {all_services} — {}",
                groups.len(),
                run.label
            )
        } else {
            format!("Goodput by {kind} — {}", run.label)
        };
        let mut tl = Timeline::new(title.clone(), r, "goodput ratio (%)", replications);
        tl.y_max = Some(102.0);
        if tl.note.is_none() {
            // Per window, in percent; a window the group sent nothing in is a gap.
            let ratio = |scope: &Scope| -> Vec<Option<(f64, f64)>> {
                r.windows
                    .iter()
                    .map(|w| {
                        let g = w.group(scope);
                        (g.offered > 0)
                            .then(|| 100.0 * g.successes as f64 / g.offered as f64)
                            .and_then(|v| point(w.start_s, v))
                    })
                    .collect()
            };
            for (i, (name, scope)) in groups.iter().enumerate() {
                let label = match scope.figures(&r.summary) {
                    Some(g) => format!(
                        "{name}  {}{}",
                        crate::table::share(g.goodput_ratio),
                        g.verdict.map_or(String::new(), |v| format!(
                            ", {}",
                            verdict_label(v, g.recovery_s, g.held)
                        ))
                    ),
                    None => name.clone(),
                };
                tl.series
                    .push(Series::new(&label, run_color(i), 2, Stroke::Solid, ratio(scope)));
            }
            tl.series
                .push(Series::new("whole run", INK, 2, Stroke::Dashed, ratio(&Scope::Whole)));
        }
        out.push(render(format!("{stem}-{}", slug(run.label)), title, &tl));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::results::{GroupWindow, Window};

    /// A window no gauge sample fell in (a live run at a high time scale) is a gap in the
    /// gateway's and each service's lines, not a fall to 0; a measured 0 stays a point.
    #[test]
    fn a_window_without_a_gauge_sample_is_a_gap_not_zero() {
        let mut r = run(4);
        for (i, w) in r.windows.iter_mut().enumerate() {
            let held = if i == 3 { 0.0 } else { 40.0 };
            w.gauges.queue_depth_mean = held;
            w.services.insert(
                "a".into(),
                GroupWindow {
                    held,
                    ..Default::default()
                },
            );
        }
        r.windows[1].gauges = model::results::Gauges {
            unsampled: true,
            ..Default::default()
        };
        r.windows[1].services.clear();
        let want = vec![Some((0.0, 40.0)), None, Some((2.0, 40.0)), Some((3.0, 0.0))];
        assert_eq!(gauge_points(&r, |g| g.queue_depth_mean), want);
        assert_eq!(held_points(&r, "a"), want);
    }

    /// A 10 s run of 1 s windows (arrivals stop at 10 s) with `n` windows of 100 intents,
    /// attempts and backend seconds each.
    fn run(n: usize) -> Results {
        let mut r = crate::fixture::blank();
        r.windows = (0..n)
            .map(|i| {
                let mut w = Window {
                    start_s: i as f64,
                    ..Default::default()
                };
                w.counters.requests.intents = 100;
                w.counters.requests.attempts = 100;
                w.counters.backend_busy_s = 8.0;
                w
            })
            .collect();
        r
    }

    fn values(points: &[Option<(f64, f64)>]) -> Vec<Option<f64>> {
        points.iter().map(|p| p.map(|(_, v)| v)).collect()
    }

    /// A run of more windows than a line has points is drawn thinned, every k windows one
    /// point, and says so: 50,000 windows made a chart of megabytes, now a bounded one.
    #[test]
    fn a_long_run_is_drawn_thinned_and_says_so() {
        let long = run(50_000);
        let fig = throughput(Labeled {
            label: "long",
            results: &long,
        })
        .expect("drawn");
        assert!(
            fig.svg
                .contains("every 25 windows one point (rates and means averaged)"),
            "subtitle"
        );
        // Maxima are mentioned where a chart has a line of them (the gateway's queue depth).
        let queue = gateway(Labeled {
            label: "long",
            results: &long,
        })
        .expect("drawn");
        assert!(
            queue
                .svg
                .contains("every 25 windows one point (rates and means averaged, maxima the highest)"),
            "queue subtitle"
        );
        assert!(fig.svg.len() < 1_000_000, "{} bytes of SVG", fig.svg.len());
        let short = throughput(Labeled {
            label: "short",
            results: &run(2_000),
        })
        .expect("drawn");
        assert!(!short.svg.contains("one point"));
        // Gaps stay gaps, values are averaged at the first point's time.
        let pts = vec![Some((0.0, 1.0)), Some((1.0, 3.0)), None, None];
        assert_eq!(thin(pts.clone(), Thin::Mean), pts, "short lines are kept");
        let mut many = vec![None; 4_000];
        many[0] = Some((0.0, 2.0));
        many[1] = Some((1.0, 4.0));
        let thinned = thin(many.clone(), Thin::Mean);
        assert_eq!(thinned.len(), 2_000);
        assert_eq!(thinned[0], Some((0.0, 3.0)));
        assert!(thinned[1..].iter().all(Option::is_none));
        // A line of maxima keeps the highest: a one-window spike is not halved.
        let peaks = thin(many, Thin::Max);
        assert_eq!(peaks[0], Some((0.0, 4.0)));
        assert!(peaks[1..].iter().all(Option::is_none));
        let negative = thin(vec![Some((0.0, -3.0)); 2_001], Thin::Max);
        assert_eq!(negative[0], Some((0.0, -3.0)), "the highest, not zero");
    }

    /// A long run's latency points are the percentiles and maximum of its windows' values
    /// together: a spike in one window of each run of three shows at its full height in the max
    /// line (an average of the three maxima read 1.67 s for a 5 s spike), and the p90 of three
    /// windows of 100 values, 20 of them slow, is that of the 300 values (fast), not the
    /// average of 5 s and two 10 ms.
    #[test]
    fn a_long_runs_latency_points_merge_their_windows() {
        let mut r = run(4_003);
        for (i, w) in r.windows.iter_mut().enumerate() {
            let mut h = model::results::Hist::new(model::results::WINDOW_SIGFIG);
            // Every third window has 20 slow intents in 100: its p90 is 5 s on its own.
            let slow = if i % 3 == 0 { 20 } else { 0 };
            for k in 0..100 {
                let ms = if k < slow { 5_000 } else { 10 };
                h.record(std::time::Duration::from_millis(ms));
            }
            w.histograms
                .insert(metric::INTENT_LATENCY.to_string(), model::results::PackedHist::pack(&h));
        }
        // 4,003 windows: 3 per point, 1,335 points, the last of one window.
        let points = latency_points(&r, metric::INTENT_LATENCY);
        assert_eq!(points.len(), 1_335);
        let (t, [p50, p90, _, max]) = points[1].expect("values");
        assert_eq!(t, 3.0, "at the first window's start");
        assert!((p50 - 0.010).abs() < 1e-3, "{p50}");
        assert!((max - 5.0).abs() < 0.05, "the spike at its height: {max}");
        // 20 slow values in 300: the 90th percentile is a fast one; alone, window 3's is 5 s.
        assert!((p90 - 0.010).abs() < 1e-3, "{p90}");
        let (_, [_, last_p90, _, _]) = points[1_334].expect("values");
        assert!((last_p90 - 5.0).abs() < 0.05, "window 4,002 (slow) alone: {last_p90}");
        let fig = latency(Labeled {
            label: "long",
            results: &r,
        })
        .expect("drawn");
        assert!(
            fig.svg
                .contains("every 3 windows one point (percentiles of all their latencies together)"),
            "subtitle"
        );
        // Short runs keep a point per window.
        r.windows.truncate(2_000);
        let each = latency_points(&r, metric::INTENT_LATENCY);
        assert_eq!(each.len(), 2_000);
        assert!((each[3].expect("values").1[1] - 5.0).abs() < 0.05, "window 3 alone");
        assert!((each[1].expect("values").1[1] - 0.010).abs() < 1e-3, "window 1 alone");
    }

    /// M7: the run's last window is no full window. A drain-only last window (steady: 0.19 s
    /// of backend time and nothing else; the death spiral: a backend saturated to the end that
    /// drew as 1.1 backend-s/s) is left out, not drawn as a plunge; full drain windows keep
    /// their work but have no intents (a gap, not zero); a last window the run's end cuts
    /// short is a rate over the part that ran.
    #[test]
    fn rates_of_the_last_window_are_over_the_time_it_ran() {
        let mut r = run(13);
        for w in &mut r.windows[10..] {
            w.counters.requests.intents = 0;
        }
        r.windows[12].counters.backend_busy_s = 1.136;
        let busy = values(&rates(&r, CountedBy::Work, |c| c.backend_busy_s));
        assert_eq!(&busy[..12], &[Some(8.0); 12], "full windows, the drain's too");
        assert_eq!(busy[12], None, "the last window's end is not recorded");
        let offered = values(&rates(&r, CountedBy::IntentStart, |c| c.requests.intents as f64));
        assert_eq!(&offered[..10], &[Some(100.0); 10]);
        assert_eq!(
            &offered[10..],
            &[None; 3],
            "no intent starts after the arrivals stopped"
        );

        // Arrivals stop 0.5 s into the last window: its rates are per that half second.
        let mut r = run(11);
        r.summary.duration_s = 10.5;
        let attempts = values(&rates(&r, CountedBy::Work, |c| c.requests.attempts as f64));
        assert_eq!(attempts[10], Some(200.0));
        assert_eq!(attempts[9], Some(100.0));
        // ... and 0.1 s into it: too short to make a rate of.
        r.summary.duration_s = 10.1;
        assert_eq!(values(&rates(&r, CountedBy::Work, |c| c.backend_busy_s))[10], None);

        // A run shorter than a quarter window (200 ms of 1 s windows): its one window is the
        // whole run, a rate over the time it ran, not left out as a sliver.
        let mut r = run(1);
        r.summary.duration_s = 0.2;
        assert_eq!(
            values(&rates(&r, CountedBy::IntentStart, |c| c.requests.intents as f64)),
            vec![Some(500.0)]
        );
        assert_eq!(
            values(&rates(&r, CountedBy::Work, |c| c.backend_busy_s)),
            vec![Some(40.0)]
        );

        // Each rate sits at the middle of the time it covers, not at its window's start
        // (where a line to it rose a window before the traffic did): 9.5 s for the window from
        // 9 s, 10.25 s for the half second of the last.
        let mut r = run(11);
        r.summary.duration_s = 10.5;
        let at: Vec<Option<f64>> = rates(&r, CountedBy::Work, |c| c.requests.attempts as f64)
            .into_iter()
            .map(|p| p.map(|(x, _)| x))
            .collect();
        assert_eq!((at[0], at[9], at[10]), (Some(0.5), Some(9.5), Some(10.25)));

        // A results file with no usable end: every window full, as before.
        let mut r = run(11);
        r.summary.duration_s = f64::NAN;
        assert_eq!(
            values(&rates(&r, CountedBy::Work, |c| c.backend_busy_s)),
            vec![Some(8.0); 11]
        );
    }
}
