//! Text for the PNG, laid out properly.
//!
//! plotters 0.3's ab_glyph text drawing places each glyph's ink box at the pen position,
//! ignoring side bearings and snapping to whole pixels, so letters bunch up and small glyphs
//! after a kerned pair disappear ("gateway.max" renders as "gatewaymax"). The SVG is fine (the
//! browser lays it out), so only the bitmap needs this: a backend wrapper that draws text with
//! ab_glyph's own positioning (sub-pixel pen, bearings, kerning) and passes everything else
//! through. Widths are the advance sums plotters itself estimates, so layouts computed from
//! plotters' text sizes still fit.

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

/// A bitmap backend whose text is drawn by [`draw_text`](Crisp::draw_text) below.
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
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(&mut self, path: I, style: &S) -> Res<DB> {
        self.0.draw_path(path, style)
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
