//! Image variants tried in turn when looking for a sheet's QR code.
//!
//! A tally sheet is a long strip of paper (a Venezuelan acta is about 11
//! times as long as it is wide) with the QR code printed across its width
//! near one end. QR detectors work best on a region a little larger than
//! the code itself, so the cheapest variants crop the ends of the long
//! axis; binarisation at fixed thresholds and Otsu's threshold
//! (Otsu 1979, IEEE Trans. SMC 9(1):62–66) rescue faint or heavily
//! compressed prints; the whole page comes last.
//!
//! [`DEFAULT_PIPELINE`] is the order measured on the real Venezuelan 2024
//! images (see `examples/compare_decoders.rs` and `docs/acta.md`); on a
//! phone photo [`Page::order`] tries the variants measured on the sheet of
//! paper first (`examples/phone_photos.rs --variants`). A [`Page`] holds
//! what the variants share (the paper's box, found once), and the
//! rescaling is [`resize_triangle`], the pixels of the image crate's
//! triangle filter at a tenth of its cost.

use image::GrayImage;
use image::imageops;
use std::cell::OnceCell;

/// Which part of the page to keep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Region {
    /// The whole page.
    Whole,
    /// The far end of the page's long axis: the bottom of a portrait sheet,
    /// the right of a landscape one. `length` is the crop's extent along
    /// the long axis, in multiples of the short side.
    Tail {
        /// Extent along the long axis, in multiples of the short side.
        length: f32,
    },
    /// The near end of the long axis (top of a portrait sheet, left of a
    /// landscape one): a sheet scanned upside down or rotated the other way.
    Head {
        /// Extent along the long axis, in multiples of the short side.
        length: f32,
    },
    /// [`Region::Tail`] of the sheet of paper found in a photo
    /// ([`paper_box`]), not of the whole frame: in a phone photo the sheet
    /// is a narrow strip on a darker table, so a crop measured on the
    /// frame keeps nearly all of it. The whole page when no paper stands
    /// out (a scan).
    PaperTail {
        /// Extent along the paper's long axis, in multiples of its short side.
        length: f32,
    },
    /// [`Region::Head`] of the sheet of paper found in a photo.
    PaperHead {
        /// Extent along the paper's long axis, in multiples of its short side.
        length: f32,
    },
}

impl Region {
    /// True for the regions measured on the sheet of paper found in a
    /// photo ([`Region::PaperTail`], [`Region::PaperHead`]).
    pub fn is_paper(&self) -> bool {
        matches!(self, Region::PaperTail { .. } | Region::PaperHead { .. })
    }
}

/// How to turn grey levels into black and white before detection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binarise {
    /// Leave grey levels to the decoder's own (adaptive) binariser.
    Decoder,
    /// Global threshold chosen by Otsu's method (Otsu 1979).
    Otsu,
    /// Global threshold: pixels darker than this value become black.
    Fixed(u8),
}

/// Resampling applied after cropping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Keep the pixels as they are.
    Full,
    /// Halve both sides (smooths JPEG noise; speeds up large scans).
    Half,
    /// Double both sides (gives the detector more pixels per module).
    Double,
}

/// One preprocessing recipe: a region, a scale and a binarisation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variant {
    /// Part of the page to keep.
    pub region: Region,
    /// Resampling after the crop.
    pub scale: Scale,
    /// Binarisation after resampling.
    pub binarise: Binarise,
}

impl Variant {
    /// A variant that keeps grey levels and the original scale.
    pub const fn grey(region: Region) -> Self {
        Variant {
            region,
            scale: Scale::Full,
            binarise: Binarise::Decoder,
        }
    }

    /// Applies the recipe to a page.
    pub fn render(&self, page: &GrayImage) -> GrayImage {
        self.render_page(&Page::new(page))
    }

    /// Applies the recipe to a page whose measurements ([`Page`]) are
    /// shared with the other variants tried on it.
    pub fn render_page(&self, page: &Page<'_>) -> GrayImage {
        let (x, y, w, h) = page.region(self.region);
        let scaled = match self.scale {
            Scale::Full => imageops::crop_imm(page.image(), x, y, w, h).to_image(),
            Scale::Half => {
                resize_triangle(page.image(), (x, y, w, h), (w / 2).max(1), (h / 2).max(1))
            }
            Scale::Double => resize_triangle(
                page.image(),
                (x, y, w, h),
                w.saturating_mul(2),
                h.saturating_mul(2),
            ),
        };
        match self.binarise {
            Binarise::Decoder => scaled,
            Binarise::Otsu => {
                let t = otsu_threshold(&scaled);
                threshold(scaled, t)
            }
            Binarise::Fixed(t) => threshold(scaled, t),
        }
    }

    /// A short stable label, used in scan results and measurements
    /// (for example `tail1.3/full/otsu`).
    pub fn label(&self) -> String {
        let region = match self.region {
            Region::Whole => "whole".to_string(),
            Region::Tail { length } => format!("tail{length}"),
            Region::Head { length } => format!("head{length}"),
            Region::PaperTail { length } => format!("paper-tail{length}"),
            Region::PaperHead { length } => format!("paper-head{length}"),
        };
        let scale = match self.scale {
            Scale::Full => "full",
            Scale::Half => "half",
            Scale::Double => "double",
        };
        let bin = match self.binarise {
            Binarise::Decoder => "grey".to_string(),
            Binarise::Otsu => "otsu".to_string(),
            Binarise::Fixed(t) => format!("t{t}"),
        };
        format!("{region}/{scale}/{bin}")
    }
}

const TAIL: Region = Region::Tail { length: 1.3 };
const TAIL_LONG: Region = Region::Tail { length: 2.0 };
const HEAD: Region = Region::Head { length: 1.3 };
const PAPER_TAIL: Region = Region::PaperTail { length: 1.3 };
const PAPER_HEAD: Region = Region::PaperHead { length: 1.3 };

const fn v(region: Region, scale: Scale, binarise: Binarise) -> Variant {
    Variant {
        region,
        scale,
        binarise,
    }
}

/// The variants tried by default, in order; decoding stops at the first
/// variant that yields a valid payload. On a phone photo
/// ([`Page::is_photo`]) the three [`Region::PaperTail`] variants and the
/// two [`Region::PaperHead`] ones come first ([`Page::order`]).
///
/// Measured with the rxing reader on the 12 real Venezuelan images
/// (`examples/compare_decoders.rs`): the first variant alone reads all 11
/// readable QR codes. Halving the crop is what matters: it smooths the
/// JPEG noise and brings a module to a few pixels, whereas at full scale
/// the same crop reads only 5 of 11. The others are fall-backs, each of
/// which read at least 8 of 11 on its own, then the tail of the sheet of
/// paper found in a phone photo ([`Region::PaperTail`]: the phone-photo
/// study in docs/acta.md), the head of the sheet (scanned upside down)
/// and the whole page.
///
/// Why a photo starts with the paper (`phone_photos --variants` on the
/// study's 66 photos, 22 at each of 4,000, 2,400 and 1,600 px): the
/// frame's tail variants crop 1.3 × the frame's short side, nearly the
/// whole frame, and read 17, 0 and 0 of the 22 at the three sizes with
/// the first variant, the fifth (doubled, 6,000 × 7,800 px at 4,000 px)
/// costing 240 ms; the paper's tail at full scale reads 21, 18 and 7 in
/// 2–8 ms, doubled 22, 19 and 10 in 4–16 ms. Every variant is still
/// tried, so the order changes what a photo costs, not whether it reads:
/// the study reads the same photos either way (22, 20 and 11 of 22), and
/// the variants' time per photo falls from 71, 87 and 61 ms to 9, 19 and
/// 47 ms. A scan has no paper box and keeps this order.
pub const DEFAULT_PIPELINE: &[Variant] = &[
    v(TAIL, Scale::Half, Binarise::Decoder),
    v(TAIL_LONG, Scale::Half, Binarise::Otsu),
    v(TAIL, Scale::Half, Binarise::Fixed(140)),
    v(TAIL, Scale::Full, Binarise::Otsu),
    v(TAIL, Scale::Double, Binarise::Fixed(100)),
    v(PAPER_TAIL, Scale::Full, Binarise::Decoder),
    v(PAPER_TAIL, Scale::Double, Binarise::Decoder),
    v(PAPER_TAIL, Scale::Half, Binarise::Decoder),
    v(HEAD, Scale::Half, Binarise::Decoder),
    v(HEAD, Scale::Half, Binarise::Otsu),
    v(PAPER_HEAD, Scale::Full, Binarise::Decoder),
    v(PAPER_HEAD, Scale::Double, Binarise::Decoder),
    v(Region::Whole, Scale::Half, Binarise::Otsu),
    v(Region::Whole, Scale::Full, Binarise::Decoder),
];

/// Every variant the measurement example tries, a superset of
/// [`DEFAULT_PIPELINE`].
pub fn all_variants() -> Vec<Variant> {
    let mut out = Vec::new();
    for region in [
        Region::Tail { length: 1.0 },
        Region::Tail { length: 1.3 },
        Region::Tail { length: 2.0 },
        Region::Head { length: 1.3 },
        Region::PaperTail { length: 1.3 },
        Region::Whole,
    ] {
        for scale in [Scale::Full, Scale::Half, Scale::Double] {
            for binarise in [
                Binarise::Decoder,
                Binarise::Otsu,
                Binarise::Fixed(100),
                Binarise::Fixed(140),
                Binarise::Fixed(180),
            ] {
                if region == Region::Whole && scale == Scale::Double {
                    continue;
                }
                out.push(v(region, scale, binarise));
            }
        }
    }
    out
}

/// The bounding box `(x, y, width, height)` of the sheet of paper in a
/// photo: the rows and columns of a copy shrunk to 400 px on its long
/// side where at least a tenth as many pixels as in the fullest row
/// (column) are brighter than Otsu's threshold (Otsu 1979), padded by 2%
/// of the long side. `None` when that box is over 80% of the page (a
/// scan, or paper filling the frame: nothing to cut away).
pub fn paper_box(page: &GrayImage) -> Option<(u32, u32, u32, u32)> {
    let (w, h) = page.dimensions();
    let long = w.max(h);
    if long < 64 {
        return None;
    }
    let f = (long as f32 / 400.0).max(1.0);
    // Saturating float-to-int casts of positive values.
    let (sw, sh) = (
        ((w as f32 / f).round() as u32).max(1),
        ((h as f32 / f).round() as u32).max(1),
    );
    let small = resize_triangle(page, (0, 0, w, h), sw, sh);
    let t = otsu_threshold(&small);
    let mut rows = vec![0u32; sh as usize];
    let mut cols = vec![0u32; sw as usize];
    for (x, y, p) in small.enumerate_pixels() {
        if p.0[0] > t {
            rows[y as usize] += 1;
            cols[x as usize] += 1;
        }
    }
    let span = |v: &[u32]| -> Option<(usize, usize)> {
        let cut = (v.iter().copied().max()? / 10).max(1);
        let a = v.iter().position(|&c| c >= cut)?;
        let b = v.iter().rposition(|&c| c >= cut)?;
        Some((a, b))
    };
    let (y0, y1) = span(&rows)?;
    let (x0, x1) = span(&cols)?;
    let pad = long as f32 * 0.02;
    let lo = |i: usize| ((i as f32 * f - pad).max(0.0)) as u32;
    let hi = |i: usize, max: u32| (((i + 1) as f32 * f + pad) as u32).min(max);
    let (bx0, by0, bx1, by1) = (lo(x0), lo(y0), hi(x1, w), hi(y1, h));
    let (bw, bh) = (bx1.saturating_sub(bx0), by1.saturating_sub(by0));
    if bw == 0 || bh == 0 || u64::from(bw) * u64::from(bh) * 5 > u64::from(w) * u64::from(h) * 4 {
        return None;
    }
    Some((bx0, by0, bw, bh))
}

/// A page and the measurements its variants share, each computed once:
/// the sheet of paper's box ([`paper_box`]).
#[derive(Debug)]
pub struct Page<'a> {
    image: &'a GrayImage,
    paper: OnceCell<Option<(u32, u32, u32, u32)>>,
}

impl<'a> Page<'a> {
    /// A page to render variants of.
    pub fn new(image: &'a GrayImage) -> Self {
        Page {
            image,
            paper: OnceCell::new(),
        }
    }

    /// The page itself.
    pub fn image(&self) -> &'a GrayImage {
        self.image
    }

    /// [`paper_box`] of the page, computed on first use.
    pub fn paper_box(&self) -> Option<(u32, u32, u32, u32)> {
        *self.paper.get_or_init(|| paper_box(self.image))
    }

    /// True when the page is a photo of a sheet on a table: a camera's
    /// frame (at most three times as long as it is wide: 4:3, 16:9, a
    /// phone's screen at 20:9; a scan of an acta is 11:1, and is not
    /// measured further) in which a sheet of paper stands out
    /// ([`paper_box`]) with its short side at most half the frame's. Then
    /// the variants measured on the paper are tried first
    /// ([`Page::order`]).
    pub fn is_photo(&self) -> bool {
        let (w, h) = self.image.dimensions();
        let (short, long) = (u64::from(w.min(h)), u64::from(w.max(h)));
        long <= 3 * short
            && self
                .paper_box()
                .is_some_and(|(_, _, pw, ph)| u64::from(pw.min(ph)) * 2 <= short)
    }

    /// The order in which to try `pipeline` on this page: for a photo
    /// ([`Page::is_photo`]) the variants of the paper's regions first, each
    /// group in its own order; otherwise `pipeline` as it is. Every
    /// variant is kept, so the order changes what a scan costs, not
    /// whether it reads (docs/acta.md, "Phone photos").
    pub fn order<'v>(&self, pipeline: &'v [Variant]) -> Vec<&'v Variant> {
        let mut order: Vec<&Variant> = pipeline.iter().collect();
        if self.is_photo() {
            // A stable sort: paper first, each group in pipeline order.
            order.sort_by_key(|v| !v.region.is_paper());
        }
        order
    }

    /// The rectangle `(x, y, width, height)` of the page that `region`
    /// keeps.
    pub fn region(&self, region: Region) -> (u32, u32, u32, u32) {
        let (pw, ph) = self.image.dimensions();
        let paper = || self.paper_box().unwrap_or((0, 0, pw, ph));
        let ((x0, y0, w, h), length, at_tail) = match region {
            Region::Whole => return (0, 0, pw, ph),
            Region::Tail { length } => ((0, 0, pw, ph), length, true),
            Region::Head { length } => ((0, 0, pw, ph), length, false),
            Region::PaperTail { length } => (paper(), length, true),
            Region::PaperHead { length } => (paper(), length, false),
        };
        let portrait = h >= w;
        let (short, long) = if portrait { (w, h) } else { (h, w) };
        // Saturating float-to-int cast; the extent never exceeds the page.
        let extent = ((short as f32) * length).round() as u32;
        let extent = extent.clamp(1, long.max(1));
        let start = if at_tail { long - extent } else { 0 };
        if portrait {
            (x0, y0 + start, w, extent)
        } else {
            (x0 + start, y0, extent, h)
        }
    }
}

#[cfg(test)]
fn crop(page: &GrayImage, region: Region) -> GrayImage {
    let (x, y, w, h) = Page::new(page).region(region);
    imageops::crop_imm(page, x, y, w, h).to_image()
}

/// The input taps of every output sample when resampling `input`
/// samples to `output` with the triangle filter, `n` per sample: output
/// `o` is the sum over `k` of input `left[o] + k` times
/// `weights[k * output + o]`. The weights are those of
/// `image::imageops::resize` with `FilterType::Triangle` (image 0.25),
/// computed with the same arithmetic; a sample with fewer taps than `n`
/// gets zero weights, which add exactly nothing, so [`resize_triangle`]
/// sums the same products in the same order and gives the same pixels.
struct Taps {
    n: usize,
    left: Vec<usize>,
    weights: Vec<f32>,
}

impl Taps {
    fn triangle(input: u32, output: u32) -> Taps {
        let ratio = input as f32 / output as f32;
        let sratio = if ratio < 1.0 { 1.0 } else { ratio };
        let support = sratio;
        let each: Vec<(usize, Vec<f32>)> = (0..output)
            .map(|o| {
                let centre = (o as f32 + 0.5) * ratio;
                // Saturating float-to-int casts, clamped into the input.
                let left = ((centre - support).floor() as i64).clamp(0, i64::from(input) - 1);
                let right = ((centre + support).ceil() as i64).clamp(left + 1, i64::from(input));
                let centre = centre - 0.5;
                let mut weights: Vec<f32> = (left..right)
                    .map(|i| {
                        let x = ((i as f32 - centre) / sratio).abs();
                        if x < 1.0 { 1.0 - x } else { 0.0 }
                    })
                    .collect();
                let mut sum = 0.0;
                for w in &weights {
                    sum += w;
                }
                for w in &mut weights {
                    *w /= sum;
                }
                (left as usize, weights)
            })
            .collect();
        let n = each.iter().map(|(_, w)| w.len()).max().unwrap_or(1);
        let input = input as usize;
        let mut left = Vec::with_capacity(each.len());
        let mut weights = vec![0f32; n * each.len()];
        for (o, (l, w)) in each.iter().enumerate() {
            // Move the window left when it would pass the end; the taps
            // it gains in front weigh zero.
            let start = (*l).min(input - n);
            left.push(start);
            for (k, &wk) in w.iter().enumerate() {
                weights[(l - start + k) * each.len() + o] = wk;
            }
        }
        Taps { n, left, weights }
    }
}

/// Round half away from zero of a value in 0..=255, as `f32::round`
/// does, without the library call: the fractional part of a float is
/// exact.
fn round_u8(t: f32) -> u8 {
    let t = t.clamp(0.0, 255.0);
    // Saturating cast of a value in 0..=255.
    let whole = t as u8;
    whole.saturating_add(u8::from(t - f32::from(whole) >= 0.5))
}

/// Resamples the rectangle `(x, y, width, height)` of `page` to
/// `new_width` × `new_height` with the triangle (bilinear) filter: the
/// pixels of `image::imageops::resize(.., FilterType::Triangle)` on the
/// crop (columns first, kept in `f32`, then rows, rounded), computed on
/// one channel a row at a time rather than on four channels a column at
/// a time, and without copying the crop.
pub fn resize_triangle(
    page: &GrayImage,
    (x, y, w, h): (u32, u32, u32, u32),
    new_width: u32,
    new_height: u32,
) -> GrayImage {
    let mut out = GrayImage::new(new_width, new_height);
    if w == 0 || h == 0 || new_width == 0 || new_height == 0 {
        return out;
    }
    if (new_width, new_height) == (w, h) {
        return imageops::crop_imm(page, x, y, w, h).to_image();
    }
    let stride = page.width() as usize;
    let raw = page.as_raw();
    let (x, y, w) = (x as usize, y as usize, w as usize);
    let rows = Taps::triangle(h, new_height);
    let cols = Taps::triangle(w as u32, new_width);
    let nw = new_width as usize;
    let nh = new_height as usize;
    let mut column_sums = vec![0f32; w];
    let mut sums = vec![0f32; nw];
    for (oy, out_row) in out.chunks_exact_mut(nw).enumerate() {
        column_sums.fill(0.0);
        for k in 0..rows.n {
            let wt = rows.weights[k * nh + oy];
            if wt == 0.0 {
                continue;
            }
            let start = (y + rows.left[oy] + k) * stride + x;
            for (t, &p) in column_sums.iter_mut().zip(&raw[start..start + w]) {
                *t += f32::from(p) * wt;
            }
        }
        sums.fill(0.0);
        for k in 0..cols.n {
            let weights = &cols.weights[k * nw..(k + 1) * nw];
            for ((t, &left), &wt) in sums.iter_mut().zip(&cols.left).zip(weights) {
                *t += column_sums[left + k] * wt;
            }
        }
        for (o, &t) in out_row.iter_mut().zip(&sums) {
            *o = round_u8(t);
        }
    }
    out
}

fn threshold(mut img: GrayImage, t: u8) -> GrayImage {
    for p in img.pixels_mut() {
        p.0[0] = if p.0[0] < t { 0 } else { 255 };
    }
    img
}

/// Otsu's threshold: the grey level that maximises the between-class
/// variance of the histogram (Otsu 1979, eq. 18).
pub fn otsu_threshold(img: &GrayImage) -> u8 {
    let mut hist = [0u64; 256];
    for p in img.pixels() {
        hist[usize::from(p.0[0])] += 1;
    }
    let total: u64 = hist.iter().sum();
    if total == 0 {
        return 128;
    }
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * c as f64)
        .sum();
    let (mut w_b, mut sum_b) = (0f64, 0f64);
    let (mut best, mut best_t) = (-1f64, 128u8);
    for (t, &c) in hist.iter().enumerate() {
        w_b += c as f64;
        if w_b == 0.0 {
            continue;
        }
        let w_f = total as f64 - w_b;
        if w_f == 0.0 {
            break;
        }
        sum_b += t as f64 * c as f64;
        let m_b = sum_b / w_b;
        let m_f = (sum_all - sum_b) / w_f;
        let between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
        if between > best {
            best = between;
            // Pixels at or below t are background-dark; the threshold used
            // by `threshold` is exclusive, so black means < t + 1.
            best_t = u8::try_from(t + 1).unwrap_or(u8::MAX);
        }
    }
    best_t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_crop_of_portrait_is_bottom() {
        let mut img = GrayImage::new(10, 100);
        img.put_pixel(0, 99, image::Luma([7]));
        let out = Variant::grey(Region::Tail { length: 1.3 }).render(&img);
        assert_eq!(out.dimensions(), (10, 13));
        assert_eq!(out.get_pixel(0, 12).0[0], 7);
    }

    #[test]
    fn tail_crop_of_landscape_is_right() {
        let mut img = GrayImage::new(100, 10);
        img.put_pixel(99, 0, image::Luma([7]));
        let out = Variant::grey(Region::Tail { length: 2.0 }).render(&img);
        assert_eq!(out.dimensions(), (20, 10));
        assert_eq!(out.get_pixel(19, 0).0[0], 7);
    }

    #[test]
    fn crop_never_exceeds_page() {
        let img = GrayImage::new(10, 12);
        let out = Variant::grey(Region::Head { length: 2.0 }).render(&img);
        assert_eq!(out.dimensions(), (10, 12));
    }

    #[test]
    fn resize_triangle_gives_the_pixels_of_image_resize() {
        use image::imageops::FilterType;
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut page = GrayImage::new(301, 517);
        for p in page.pixels_mut() {
            p.0[0] = (next() % 256) as u8;
        }
        for (rect, nw, nh) in [
            ((0, 0, 301, 517), 150, 258),
            ((7, 40, 120, 201), 60, 100),
            ((7, 40, 120, 201), 240, 402),
            ((0, 0, 301, 517), 23, 40),
            ((3, 5, 1, 9), 2, 18),
            ((10, 10, 64, 64), 64, 64),
        ] {
            let (x, y, w, h) = rect;
            let crop = imageops::crop_imm(&page, x, y, w, h).to_image();
            let want = imageops::resize(&crop, nw, nh, FilterType::Triangle);
            let got = resize_triangle(&page, rect, nw, nh);
            assert_eq!(got.dimensions(), want.dimensions());
            let differ = got
                .pixels()
                .zip(want.pixels())
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(differ, 0, "{rect:?} to {nw}x{nh}");
        }
    }

    #[test]
    fn round_u8_rounds_half_away_from_zero() {
        for t in [
            0.0f32, 0.49999997, 0.5, 1.5, 2.5, 254.49998, 254.5, 255.0, 300.0, -1.0,
        ] {
            assert_eq!(round_u8(t), t.clamp(0.0, 255.0).round() as u8, "{t}");
        }
    }

    #[test]
    fn otsu_splits_two_levels() {
        let mut img = GrayImage::new(10, 1);
        for x in 0..10 {
            img.put_pixel(x, 0, image::Luma([if x < 5 { 20 } else { 220 }]));
        }
        let t = otsu_threshold(&img);
        assert!(t > 20 && t <= 220, "{t}");
    }

    #[test]
    fn paper_box_finds_a_bright_strip_on_a_dark_table() {
        // A 600 x 800 "table" at grey 80 with a sheet at grey 230 over
        // x 250..330, y 100..700 (a strip 80 wide, 600 long).
        let mut img = GrayImage::from_pixel(600, 800, image::Luma([80]));
        for y in 100..700 {
            for x in 250..330 {
                img.put_pixel(x, y, image::Luma([230]));
            }
        }
        let (x, y, w, h) = paper_box(&img).unwrap();
        // Padded by 2% of 800 = 16 px, plus a shrink cell (2 px) at most.
        assert!(x <= 250 && x + w >= 330, "{x} {w}");
        assert!(y <= 100 && y + h >= 700, "{y} {h}");
        assert!(w <= 80 + 2 * 20 && h <= 600 + 2 * 20, "{w} x {h}");
        // The tail crop of the paper is the bottom of the strip: as wide
        // as the box and 1.3 times as long as it is wide.
        let tail = crop(&img, Region::PaperTail { length: 1.3 });
        assert_eq!(tail.width(), w);
        assert_eq!(tail.height(), (w as f32 * 1.3).round() as u32);
        // A strip 80 px wide in a 600 px wide frame: a photo, whose
        // paper variants come first, each group in pipeline order.
        let page = Page::new(&img);
        assert!(page.is_photo());
        let order = page.order(DEFAULT_PIPELINE);
        assert_eq!(order.len(), DEFAULT_PIPELINE.len());
        let papers = DEFAULT_PIPELINE.iter().filter(|v| v.region.is_paper());
        let others = DEFAULT_PIPELINE.iter().filter(|v| !v.region.is_paper());
        assert!(order.iter().copied().eq(papers.chain(others)));
        // A scan (paper filling the frame): no box, the whole page, the
        // pipeline in its own order.
        let scan = GrayImage::from_pixel(100, 300, image::Luma([230]));
        assert_eq!(paper_box(&scan), None);
        let page = Page::new(&scan);
        assert!(!page.is_photo());
        assert!(
            page.order(DEFAULT_PIPELINE)
                .into_iter()
                .eq(DEFAULT_PIPELINE)
        );
        assert_eq!(
            crop(&scan, Region::PaperTail { length: 1.0 }).dimensions(),
            (100, 100)
        );
    }
}
