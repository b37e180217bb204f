//! What every chart shares: the bundled font, rendering one drawing routine to both SVG and PNG,
//! the colours, the title bar, the legend panel and number formats.
//!
//! Legends are drawn in a panel beside the plot rather than by plotters inside it, because a
//! legend box inside the plot always covers data somewhere (the death spiral fills the whole
//! time range).

use super::glyphs::Crisp;
use super::{ChartError, Figure};
use plotters::coord::combinators::{BindKeyPointMethod, WithKeyPointMethod};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;
use std::sync::OnceLock;

/// The family every text uses. Registering the bundled font under the generic name means the
/// PNG gets DejaVu Sans whatever the machine has, and the SVG asks the browser for its own
/// sans-serif face, which is what a reader expects in a web page.
pub(crate) const FAMILY: &str = "sans-serif";

pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

pub(crate) fn ensure_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the bundled DejaVuSans.ttf does not parse".to_string())
        })
        .clone()
        .map_err(ChartError::Font)
}

/// A chart with its data already prepared, drawable on any backend.
pub(crate) trait Draw {
    /// Pixel size of the PNG (and the SVG's viewport).
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

/// Draws `chart` into an SVG string and a PNG.
pub(crate) fn render(stem: String, title: String, chart: &impl Draw) -> Result<Figure, ChartError> {
    ensure_font()?;
    let (w, h) = chart.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        chart.draw(&root)?;
        root.present()?;
    }
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = Crisp(BitMapBackend::with_buffer(&mut rgb, (w, h))).into_drawing_area();
        chart.draw(&root)?;
        root.present()?;
    }
    let png = encode_png(&rgb, w, h)?;
    Ok(Figure { stem, title, svg, png })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, ChartError> {
    let enc = |e: png::EncodingError| ChartError::Encode(e.to_string());
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Default);
    let mut writer = encoder.write_header().map_err(enc)?;
    writer.write_image_data(rgb).map_err(enc)?;
    writer.finish().map_err(enc)?;
    Ok(out)
}

// Colours. One meaning, one colour, in every chart.
pub(crate) const INK: RGBColor = RGBColor(33, 37, 41);
pub(crate) const MUTED: RGBColor = RGBColor(108, 117, 125);
pub(crate) const GRID: RGBColor = RGBColor(228, 230, 233);
pub(crate) const FRAME: RGBColor = RGBColor(173, 181, 189);
pub(crate) const OFFERED: RGBColor = RGBColor(33, 37, 41);
pub(crate) const ATTEMPTS: RGBColor = RGBColor(31, 119, 180);
pub(crate) const GOODPUT: RGBColor = RGBColor(44, 160, 44);
pub(crate) const TIMEOUTS: RGBColor = RGBColor(214, 39, 40);
pub(crate) const SHED: RGBColor = RGBColor(255, 127, 14);
pub(crate) const EXPIRED: RGBColor = RGBColor(140, 86, 75);
pub(crate) const RATE_LIMITED: RGBColor = RGBColor(227, 119, 194);
pub(crate) const ERRORS: RGBColor = RGBColor(127, 127, 127);
pub(crate) const WASTED: RGBColor = RGBColor(148, 103, 189);
pub(crate) const BAD: RGBColor = RGBColor(200, 30, 30);
pub(crate) const TRIGGER: RGBColor = RGBColor(255, 170, 60);
pub(crate) const TRIGGER_ALPHA: f64 = 0.16;

/// Colours of runs in multi-run charts, by position, so a run has the same colour in the
/// percentile chart and the comparison: Tableau 10, then its light variants (Tableau 20), then
/// hues a golden angle apart, so no two of the first hundreds of runs share a colour.
pub(crate) fn run_color(i: usize) -> RGBColor {
    const LIGHT: [RGBColor; 10] = [
        RGBColor(174, 199, 232),
        RGBColor(255, 187, 120),
        RGBColor(152, 223, 138),
        RGBColor(255, 152, 150),
        RGBColor(197, 176, 213),
        RGBColor(196, 156, 148),
        RGBColor(247, 182, 210),
        RGBColor(199, 199, 199),
        RGBColor(219, 219, 141),
        RGBColor(158, 218, 229),
    ];
    const P: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    match i {
        0..=9 => P[i],
        10..=19 => LIGHT[i - 10],
        _ => {
            // Hue by the golden angle; saturation and lightness cycle too, so hues that come
            // round again differ in shade.
            let k = (i - 20) as f64;
            let hue = (k * 137.507_764 + 15.0) % 360.0;
            let (sat, light) = [(0.65, 0.45), (0.55, 0.62), (0.75, 0.35)][(i - 20) % 3];
            hsl(hue, sat, light)
        }
    }
}

/// An RGB colour from hue (degrees), saturation and lightness (0 to 1).
fn hsl(h: f64, s: f64, l: f64) -> RGBColor {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = (h.rem_euclid(360.0)) / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    let to = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    RGBColor(to(r), to(g), to(b))
}

pub(crate) fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), size, FontStyle::Normal)
}

pub(crate) fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    font(size).color(&color)
}

pub(crate) fn anchored(style: TextStyle<'static>, h: HPos, v: VPos) -> TextStyle<'static> {
    style.pos(Pos::new(h, v))
}

pub(crate) fn rotated(style: TextStyle<'static>) -> TextStyle<'static> {
    style.transform(FontTransform::Rotate270)
}

/// Width in pixels of `s` in the bundled font at `size` (an estimate if the font fails).
pub(crate) fn text_width(s: &str, size: f64) -> i32 {
    match font(size).box_size(s) {
        Ok((w, _)) => i32::try_from(w).unwrap_or(i32::MAX),
        Err(_) => (s.chars().count() as f64 * size * 0.6) as i32,
    }
}

/// `s` cut (with an ellipsis) to fit `max_w` pixels at `size`.
pub(crate) fn fit(s: &str, size: f64, max_w: i32) -> String {
    if text_width(s, size) <= max_w {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let cut = |k: usize| chars[..k].iter().collect::<String>() + "…";
    match longest(0, chars.len().saturating_sub(1), |k| text_width(&cut(k), size) <= max_w) {
        Some(k) => cut(k),
        None => String::new(),
    }
}

/// The largest `k` in `lo..=hi` for which `fits(k)`, for a `fits` that holds up to some `k`
/// and not beyond (a text's width grows with its length). A binary search: measuring every
/// length in turn was quadratic, 26 s for a chart titled with 16,000 characters.
fn longest(lo: usize, hi: usize, fits: impl Fn(usize) -> bool) -> Option<usize> {
    if hi < lo || !fits(lo) {
        return None;
    }
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Some(lo)
}

/// Labels of several series cut to fit `max_w` pixels at `size` without becoming alike: a label
/// that is too long keeps its start and the part that tells it apart from the others (from the
/// word where it first differs from the label most like it) and loses the middle:
/// "death-spiral · fifo (sim) #1" and "... #2" become "death-spiral · fifo… #1" and "... #2",
/// not twice "death-spiral · fifo (si…".
pub(crate) fn fit_labels(labels: &[String], size: f64, max_w: i32) -> Vec<String> {
    let chars: Vec<Vec<char>> = labels.iter().map(|l| l.chars().collect()).collect();
    let shared = |a: &[char], b: &[char]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let label: String = c.iter().collect();
            if text_width(&label, size) <= max_w {
                return label;
            }
            // Where the label first differs from the one most like it, moved back to the start
            // of that word.
            let differs = chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| shared(c, o))
                .max()
                .unwrap_or(0)
                .min(c.len());
            let mut from = differs;
            while from > 0 && !c[from - 1].is_whitespace() {
                from -= 1;
            }
            // One long word: cut right where it differs.
            let (from, gap) = if from == 0 { (differs, "") } else { (from, " ") };
            if from == 0 {
                return fit(&label, size, max_w);
            }
            let tail: String = c[from..].iter().collect();
            let cut = |keep: usize| {
                let head: String = c[..keep].iter().collect();
                format!("{}…{gap}{tail}", head.trim_end())
            };
            match longest(1, from - 1, |keep| text_width(&cut(keep), size) <= max_w) {
                Some(keep) => cut(keep),
                None => fit(&format!("…{tail}"), size, max_w),
            }
        })
        .collect()
}

/// Fills the background, draws the title (and an optional grey subtitle) and returns the area
/// below it.
pub(crate) fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: Option<&str>,
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    let (w, _) = root.dim_in_pixel();
    let w = i32::try_from(w).unwrap_or(i32::MAX);
    let title = [fit(title, TITLE_FONT, w - 20)];
    let subtitle: Vec<String> = subtitle.map(|s| fit(s, SUBTITLE_FONT, w - 20)).into_iter().collect();
    frame_lines(root, &title, &subtitle)
}

const TITLE_FONT: f64 = 18.0;
const SUBTITLE_FONT: f64 = 12.0;
const TITLE_LINE: i32 = 22;
const SUBTITLE_LINE: i32 = 15;

/// Height of a header of `titles` title lines and `subtitles` subtitle lines (50 for one of
/// each, 34 for a title alone).
pub(crate) fn header_height(titles: usize, subtitles: usize) -> i32 {
    let n = |k: usize| i32::try_from(k).unwrap_or(0);
    let sub = if subtitles > 0 {
        1 + SUBTITLE_LINE * n(subtitles)
    } else {
        0
    };
    8 + TITLE_LINE * n(titles) + sub + 4
}

/// [`frame`] with titles and subtitles already cut into lines that fit (see [`wrap`]).
pub(crate) fn frame_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    titles: &[String],
    subtitles: &[String],
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    root.fill(&WHITE)?;
    let (w, _) = root.dim_in_pixel();
    let w = i32::try_from(w).unwrap_or(i32::MAX);
    let (head, body) = root.split_vertically(header_height(titles.len(), subtitles.len()));
    let mut y = 8;
    for t in titles {
        head.draw(&Text::new(
            t.clone(),
            (w / 2, y),
            anchored(text(TITLE_FONT, INK), HPos::Center, VPos::Top),
        ))?;
        y += TITLE_LINE;
    }
    y += 1;
    for s in subtitles {
        head.draw(&Text::new(
            s.clone(),
            (w / 2, y),
            anchored(text(SUBTITLE_FONT, MUTED), HPos::Center, VPos::Top),
        ))?;
        y += SUBTITLE_LINE;
    }
    Ok(body)
}

/// `parts` joined by `sep` in lines of at most `max_w` pixels at `size`, a part broken only
/// when it does not fit a line of its own (see [`wrap`]), at most `max_lines` lines: a key or
/// a subtitle keeps each of its statements whole.
pub(crate) fn pack(parts: &[String], sep: &str, size: f64, max_w: i32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in parts {
        let joined = match lines.last() {
            Some(last) => format!("{last}{sep}{part}"),
            None => part.clone(),
        };
        match lines.last_mut() {
            Some(last) if text_width(&joined, size) <= max_w => *last = joined,
            _ => lines.extend(wrap(part, size, max_w, max_lines)),
        }
    }
    if lines.len() > max_lines.max(1) {
        let rest = lines.split_off(max_lines.max(1) - 1).join(" ");
        lines.push(fit(&rest, size, max_w));
    }
    lines
}

/// `s` in lines of at most `max_w` pixels at `size`, broken at the spaces (a word wider than a
/// line is cut, see [`fit`]), at most `max_lines` lines (the last one cut).
pub(crate) fn wrap(s: &str, size: f64, max_w: i32, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in s.split(' ').filter(|w| !w.is_empty()) {
        let joined = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if line.is_empty() || text_width(&joined, size) <= max_w {
            line = joined;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines.max(1) {
        let rest = lines.split_off(max_lines.max(1) - 1).join(" ");
        lines.push(rest);
    }
    lines.into_iter().map(|l| fit(&l, size, max_w)).collect()
}

/// A framed, empty plot with a note in its middle: what a chart shows when there is nothing
/// to plot.
pub(crate) fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, note: &str) -> Result<(), ChartError> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (i32::try_from(w).unwrap_or(0), i32::try_from(h).unwrap_or(0));
    area.draw(&Rectangle::new([(20, 10), (w - 20, h - 20)], FRAME.stroke_width(1)))?;
    area.draw(&Text::new(
        fit(note, 15.0, w - 60),
        (w / 2, h / 2),
        anchored(text(15.0, MUTED), HPos::Center, VPos::Center),
    ))?;
    Ok(())
}

/// How a legend entry shows its series.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    Line {
        color: RGBColor,
        width: u32,
        dashed: bool,
    },
    /// A filled area under a line.
    Area(RGBColor),
    /// A translucent background band.
    Band(RGBColor, f64),
}

#[derive(Clone, Debug)]
pub(crate) struct LegendEntry {
    pub label: String,
    pub swatch: Swatch,
}

const LEGEND_FONT: f64 = 12.0;
/// Vertical spacing of legend entries.
pub(crate) const LEGEND_ROW: i32 = 20;

/// Width of a legend panel that fits `entries`.
pub(crate) fn legend_width(entries: &[LegendEntry]) -> i32 {
    let widest = entries
        .iter()
        .map(|e| text_width(&e.label, LEGEND_FONT))
        .max()
        .unwrap_or(0);
    (widest + 52).clamp(110, 340)
}

/// Draws a legend in its own panel, top-aligned with the plot area.
pub(crate) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    top: i32,
) -> Result<(), ChartError> {
    let (w, _) = area.dim_in_pixel();
    let w = i32::try_from(w).unwrap_or(0);
    let labels: Vec<String> = entries.iter().map(|e| e.label.clone()).collect();
    let labels = fit_labels(&labels, LEGEND_FONT, w - 40);
    for (i, e) in entries.iter().enumerate() {
        let y = top + LEGEND_ROW * i32::try_from(i).unwrap_or(0);
        let (x0, x1) = (6, 30);
        match e.swatch {
            Swatch::Line { color, width, dashed } => {
                let style = color.stroke_width(width);
                if dashed {
                    for s in [x0, x0 + 9, x0 + 18] {
                        area.draw(&PathElement::new(vec![(s, y), (s + 6, y)], style))?;
                    }
                } else {
                    area.draw(&PathElement::new(vec![(x0, y), (x1, y)], style))?;
                }
            }
            Swatch::Area(color) => {
                area.draw(&Rectangle::new([(x0, y - 5), (x1, y + 5)], color.mix(0.25).filled()))?;
                area.draw(&PathElement::new(vec![(x0, y - 5), (x1, y - 5)], color.stroke_width(2)))?;
            }
            Swatch::Band(color, alpha) => {
                area.draw(&Rectangle::new(
                    [(x0, y - 7), (x1, y + 7)],
                    color.mix(alpha * 2.0).filled(),
                ))?;
            }
        }
        area.draw(&Text::new(
            fit(&labels[i], LEGEND_FONT, w - x1 - 10),
            (x1 + 6, y),
            anchored(text(LEGEND_FONT, INK), HPos::Left, VPos::Center),
        ))?;
    }
    Ok(())
}

/// The smallest "round" number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten) at
/// least `v`; 1 for zero, negative or non-finite input, so an axis always has a range.
pub(crate) fn nice_ceil(v: f64) -> f64 {
    if !(v.is_finite() && v > 0.0) {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * p >= v * (1.0 - 1e-9) {
            return m * p;
        }
    }
    10.0 * p
}

/// An axis tick: no needless decimals.
pub(crate) fn fmt_tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let a = v.abs();
    let s = if a >= 100.0 || (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    trim_zeros(s)
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A tick of a linear axis running from 0 to `top`: with three significant digits of `top`,
/// so ticks a tenth or a twentieth of it apart read differently (an axis to 0.006/s read
/// "0, 0, 0, 0.001, 0.001, ..." with [`fmt_tick`]'s fixed three decimals), trailing zeros
/// dropped.
pub(crate) fn fmt_axis_tick(v: f64, top: f64) -> String {
    if !(top.is_finite() && top > 0.0) {
        return fmt_tick(v);
    }
    if !v.is_finite() {
        return String::new();
    }
    let decimals = (2 - top.log10().floor() as i32).clamp(0, 12) as usize;
    let s = trim_zeros(format!("{v:.decimals$}"));
    // No "-0" for a tick a hair below zero.
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

/// A log axis over the decades around `[lo, hi]` (see [`decades`]) with each tick once:
/// plotters gives a decade's top twice (as the last of the decade's inner ticks and as a
/// decade tick), and its label was drawn twice at one spot.
pub(crate) fn log_axis(lo: f64, hi: f64) -> WithKeyPointMethod<LogCoord<f64>> {
    let (lo, hi) = decades(lo, hi);
    let ticks: LogCoord<f64> = (lo..hi).log_scale().into();
    let coord: LogCoord<f64> = (lo..hi).log_scale().into();
    coord.with_key_point_func(move |n| once_each(ticks.key_points(n)))
}

/// Ticks with each value once: one equal to the one before it, up to rounding, is dropped.
fn once_each(mut ticks: Vec<f64>) -> Vec<f64> {
    ticks.dedup_by(|b, a| (*a - *b).abs() <= 1e-9 * a.abs().max(b.abs()));
    ticks
}

/// A duration tick on a log axis: "1ms", "20ms", "1.5s".
pub(crate) fn fmt_dur_tick(s: f64) -> String {
    if !s.is_finite() || s <= 0.0 {
        return String::new();
    }
    if s >= 1.0 {
        format!("{}s", fmt_tick(s))
    } else if s >= 1e-3 {
        format!("{}ms", fmt_tick(s * 1e3))
    } else {
        format!("{}µs", fmt_tick(s * 1e6))
    }
}

/// Powers of ten around `[lo, hi]` (both positive), at least one decade apart: log axes read
/// best from decade to decade. Widened by a hair, because plotters computes its log ticks
/// with rounding that drops a tick sitting exactly on either end.
pub(crate) fn decades(lo: f64, hi: f64) -> (f64, f64) {
    let lo = 10f64.powf(lo.log10().floor());
    let mut hi = 10f64.powf(hi.log10().ceil());
    if hi <= lo {
        hi = lo * 10.0;
    }
    (lo * 0.999, hi * 1.001)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fit` cuts where measuring every length from the end did, with a logarithmic number of
    /// measurements (16,000 characters: 15, not 16,000).
    #[test]
    fn fit_cuts_where_the_linear_scan_did_in_few_measurements() {
        let linear = |s: &str, size: f64, max_w: i32| {
            if text_width(s, size) <= max_w {
                return s.to_string();
            }
            let mut chars: Vec<char> = s.chars().collect();
            while !chars.is_empty() {
                chars.pop();
                let t: String = chars.iter().collect::<String>() + "…";
                if text_width(&t, size) <= max_w {
                    return t;
                }
            }
            String::new()
        };
        for s in [
            "death-spiral · fifo (sim) #1",
            "a",
            "",
            "WWWWWWWWWWWWWWWWiiiiiiiiiiii  mixed widths",
        ] {
            for max_w in [-1, 0, 5, 20, 60, 120, 400] {
                assert_eq!(fit(s, 12.0, max_w), linear(s, 12.0, max_w), "{s:?} in {max_w} px");
            }
        }
        let calls = std::cell::Cell::new(0);
        let k = longest(0, 16_000, |k| {
            calls.set(calls.get() + 1);
            k <= 1234
        });
        assert_eq!(k, Some(1234));
        assert!(calls.get() <= 16, "{} measurements", calls.get());
        assert_eq!(longest(3, 10, |_| false), None);
        assert_eq!(longest(3, 10, |_| true), Some(10));
        assert_eq!(longest(5, 4, |_| true), None);
        let long = "x".repeat(16_000);
        assert!(fit(&long, 12.0, 300).chars().count() < 100);
    }

    #[test]
    fn nice_numbers() {
        assert_eq!(nice_ceil(0.0), 1.0);
        assert_eq!(nice_ceil(f64::NAN), 1.0);
        assert_eq!(nice_ceil(7.3), 8.0);
        assert_eq!(nice_ceil(400.0), 400.0);
        assert_eq!(nice_ceil(401.0), 500.0);
        assert_eq!(nice_ceil(0.011), 0.012);
    }

    /// Ticks of an axis to a small top differ (0.0005/s steps, not "0, 0, 0, 0.001"); the
    /// usual axes read as before.
    #[test]
    fn axis_ticks_have_the_digits_their_range_needs() {
        let ticks = |top: f64, step: f64| -> Vec<String> {
            (0..=(top / step).round() as usize)
                .map(|i| fmt_axis_tick(i as f64 * step, top))
                .collect()
        };
        assert_eq!(
            ticks(0.005, 0.0005),
            ["0", "0.0005", "0.001", "0.0015", "0.002", "0.0025", "0.003", "0.0035", "0.004", "0.0045", "0.005"]
        );
        for top in [0.005, 0.0012, 0.06, 0.25, 1.2, 12.0, 250.0, 4000.0] {
            for step in [top / 10.0, top / 20.0, top / 4.0] {
                let t = ticks(top, step);
                let mut unique = t.clone();
                unique.dedup();
                assert_eq!(t, unique, "top {top}, step {step}");
            }
        }
        assert_eq!(ticks(12.0, 2.0), ["0", "2", "4", "6", "8", "10", "12"]);
        assert_eq!(ticks(2.5, 0.25)[1], "0.25");
        assert_eq!(ticks(400.0, 50.0)[1], "50");
        assert_eq!(fmt_axis_tick(-1e-17, 0.005), "0");
    }

    /// A log axis of less than a decade (30 to 60 ms) gives its top tick once, as every other.
    #[test]
    fn a_log_axis_gives_each_tick_once() {
        use plotters::coord::ranged1d::{BoldPoints, Ranged};
        for (lo, hi) in [(0.03, 0.06), (3000.0, 9000.0), (0.003, 3.3), (1.0, 1.0)] {
            let keys = log_axis(lo, hi).key_points(BoldPoints(20));
            let labels: Vec<String> = keys.iter().map(|v| fmt_dur_tick(*v)).collect();
            let mut once = labels.clone();
            once.dedup();
            assert_eq!(labels, once, "{lo}..{hi}");
            assert!(!keys.is_empty());
        }
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_tick(20.0), "20");
        assert_eq!(fmt_tick(2.5), "2.5");
        assert_eq!(fmt_dur_tick(0.001), "1ms");
        assert_eq!(fmt_dur_tick(0.02), "20ms");
        assert_eq!(fmt_dur_tick(1.5), "1.5s");
        assert_eq!(fmt_dur_tick(0.0001), "100µs");
        let near = |(a, b): (f64, f64), (x, y): (f64, f64)| (a / x - 1.0).abs() < 0.01 && (b / y - 1.0).abs() < 0.01;
        assert!(near(decades(0.003, 3.3), (0.001, 10.0)));
        assert!(near(decades(1.0, 1.0), (1.0, 10.0)));
    }
}
