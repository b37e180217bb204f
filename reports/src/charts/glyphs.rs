//! Text for the PNG, laid out properly.
//!
//! plotters 0.3's ab_glyph text drawing places each glyph's ink box at the pen position,
//! ignoring side bearings and snapping to whole pixels, so letters bunch up and small glyphs
//! after a kerned pair disappear ("gateway.max" renders as "gatewaymax"). The SVG is fine (the
//! browser lays it out), so only the bitmap needs this: a backend wrapper that draws text with
//! ab_glyph's own positioning (sub-pixel pen, bearings, kerning) and passes everything else
//! through but wide lines (see [`Crisp::draw_path`]). Widths are the advance sums plotters
//! itself estimates, so layouts computed from plotters' text sizes still fit.

use ab_glyph::{point, Font, FontRef, Glyph, PxScale, ScaleFont};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, VPos};
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind};
use std::sync::OnceLock;

fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(super::render::FONT_BYTES).ok())
        .as_ref()
}

/// A bitmap backend whose text is drawn by [`draw_text`](Crisp::draw_text) below, and whose
/// wide lines by [`draw_path`](Crisp::draw_path).
pub(crate) struct Crisp<DB>(pub DB);

type Res<DB> = Result<(), DrawingErrorKind<<DB as DrawingBackend>::ErrorType>>;

impl<DB: DrawingBackend> DrawingBackend for Crisp<DB> {
    type ErrorType = DB::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }
    fn ensure_prepared(&mut self) -> Res<DB> {
        self.0.ensure_prepared()
    }
    fn present(&mut self) -> Res<DB> {
        self.0.present()
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Res<DB> {
        self.0.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Res<DB> {
        self.0.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(&mut self, ul: BackendCoord, br: BackendCoord, style: &S, fill: bool) -> Res<DB> {
        self.0.draw_rect(ul, br, style, fill)
    }
    /// A line wider than 1 px is drawn a segment at a time with round joins. plotters makes the
    /// whole path one polygon whose inner corners at sharp turns lie far off the line, so a
    /// spiky series (1 ms windows) drew spikes across the title and below the x axis.
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Res<DB> {
        let width = style.stroke_width();
        if width <= 1 || style.color().alpha == 0.0 {
            return self.0.draw_path(path, style);
        }
        let mut prev: Option<BackendCoord> = None;
        for p in path {
            if let Some(q) = prev.filter(|q| *q != p) {
                self.0.draw_line(q, p, style)?;
                // Each segment's ends are square: a dot of the line's width fills the joint.
                self.0.draw_circle(p, width / 2, &style.color(), true)?;
            }
            prev = Some(p);
        }
        Ok(())
    }
    fn draw_circle<S: BackendStyle>(&mut self, c: BackendCoord, r: u32, style: &S, fill: bool) -> Res<DB> {
        self.0.draw_circle(c, r, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, vert: I, style: &S) -> Res<DB> {
        self.0.fill_polygon(vert, style)
    }
    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Res<DB> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Res<DB> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let Some(font) = font() else {
            return self.0.draw_text(text, style, pos);
        };
        // The same scale plotters uses to measure text, so measured layouts fit.
        let scale = PxScale::from(style.size() as f32);
        let sf = font.as_scaled(scale);
        let mut glyphs: Vec<Glyph> = Vec::with_capacity(text.len());
        let mut pen = 0f32;
        let mut prev = None;
        for c in text.chars() {
            let id = sf.glyph_id(c);
            if let Some(p) = prev {
                pen += sf.kern(p, id);
            }
            glyphs.push(id.with_scale_and_position(scale, point(pen, 0.0)));
            pen += sf.h_advance(id);
            prev = Some(id);
        }
        // Offsets of the anchor within the text box (ascent above the baseline, descent below).
        let dx = match style.anchor().h_pos {
            HPos::Left => 0.0,
            HPos::Center => -pen / 2.0,
            HPos::Right => -pen,
        };
        let baseline = match style.anchor().v_pos {
            VPos::Top => sf.ascent(),
            VPos::Center => (sf.ascent() + sf.descent()) / 2.0,
            VPos::Bottom => sf.descent(),
        };
        let trans = style.transform();
        let (w, h) = self.get_size();
        let (w, h) = (
            i32::try_from(w).unwrap_or(i32::MAX),
            i32::try_from(h).unwrap_or(i32::MAX),
        );
        let mut result = Ok(());
        for mut g in glyphs {
            g.position = point(g.position.x + dx, g.position.y + baseline);
            let Some(outline) = font.outline_glyph(g) else { continue };
            let b = outline.px_bounds();
            let (bx, by) = (b.min.x as i32, b.min.y as i32);
            outline.draw(|x, y, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let (x, y) = trans.transform(bx + x as i32, by + y as i32);
                let (x, y) = (pos.0 + x, pos.1 + y);
                if x >= 0 && x < w && y >= 0 && y < h {
                    let c = BackendColor {
                        alpha: color.alpha * f64::from(coverage.min(1.0)),
                        rgb: color.rgb,
                    };
                    result = self.0.draw_pixel((x, y), c);
                }
            });
            if result.is_err() {
                break;
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotters::prelude::{BitMapBackend, Color, RED};

    /// A spiky 2 px line (four points a pixel column, as of 1 ms windows) stays within a line's
    /// width of its points: as one plotters polygon its sharp turns made spikes hundreds of
    /// pixels long, across the title and below the x axis.
    #[test]
    fn a_wide_spiky_line_stays_near_its_points() {
        let (w, h) = (300u32, 600u32);
        let mut rgb = vec![255u8; w as usize * h as usize * 3];
        {
            let mut b = Crisp(BitMapBackend::with_buffer(&mut rgb, (w, h)));
            // Four points a pixel column, at heights from a fixed pseudo-random sequence.
            let mut seed = 1u32;
            let path: Vec<BackendCoord> = (0..400)
                .map(|i| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    (100 + i / 4, 200 + ((seed >> 16) % 201) as i32)
                })
                .collect();
            b.draw_path(path, &Color::stroke_width(&RED, 2)).expect("drawn");
            b.present().expect("presented");
        }
        let outside: Vec<(u32, u32)> = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .filter(|&(x, y)| !(97..=202).contains(&x) || !(197..=403).contains(&y))
            .filter(|&(x, y)| {
                let i = (y * w + x) as usize * 3;
                rgb[i..i + 3] != [255, 255, 255]
            })
            .collect();
        assert!(
            outside.is_empty(),
            "{} pixels drawn away from the line, e.g. {:?}",
            outside.len(),
            &outside[..outside.len().min(5)]
        );
    }
}
