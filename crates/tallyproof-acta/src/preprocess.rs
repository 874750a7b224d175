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
//! images (see `examples/compare_decoders.rs` and `docs/acta.md`).

use image::GrayImage;
use image::imageops::{self, FilterType};

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
        let cropped = crop(page, self.region);
        let scaled = match self.scale {
            Scale::Full => cropped,
            Scale::Half => {
                let (w, h) = cropped.dimensions();
                imageops::resize(
                    &cropped,
                    (w / 2).max(1),
                    (h / 2).max(1),
                    FilterType::Triangle,
                )
            }
            Scale::Double => {
                let (w, h) = cropped.dimensions();
                imageops::resize(
                    &cropped,
                    w.saturating_mul(2),
                    h.saturating_mul(2),
                    FilterType::Triangle,
                )
            }
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

const fn v(region: Region, scale: Scale, binarise: Binarise) -> Variant {
    Variant {
        region,
        scale,
        binarise,
    }
}

/// The variants tried by default, in order; decoding stops at the first
/// variant that yields a valid payload.
///
/// Measured with the rxing reader on the 12 real Venezuelan images
/// (`examples/compare_decoders.rs`): the first variant alone reads all 11
/// readable QR codes. Halving the crop is what matters: it smooths the
/// JPEG noise and brings a module to a few pixels, whereas at full scale
/// the same crop reads only 5 of 11. The others are fall-backs, each of
/// which read at least 8 of 11 on its own, then the head of the sheet
/// (scanned upside down) and the whole page.
pub const DEFAULT_PIPELINE: &[Variant] = &[
    v(TAIL, Scale::Half, Binarise::Decoder),
    v(TAIL_LONG, Scale::Half, Binarise::Otsu),
    v(TAIL, Scale::Half, Binarise::Fixed(140)),
    v(TAIL, Scale::Full, Binarise::Otsu),
    v(TAIL, Scale::Double, Binarise::Fixed(100)),
    v(HEAD, Scale::Half, Binarise::Decoder),
    v(HEAD, Scale::Half, Binarise::Otsu),
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

fn crop(page: &GrayImage, region: Region) -> GrayImage {
    let (w, h) = page.dimensions();
    let (length, at_tail) = match region {
        Region::Whole => return page.clone(),
        Region::Tail { length } => (length, true),
        Region::Head { length } => (length, false),
    };
    let portrait = h >= w;
    let (short, long) = if portrait { (w, h) } else { (h, w) };
    // Saturating float-to-int cast; the extent never exceeds the page.
    let extent = ((short as f32) * length).round() as u32;
    let extent = extent.clamp(1, long.max(1));
    let start = if at_tail { long - extent } else { 0 };
    if portrait {
        imageops::crop_imm(page, 0, start, w, extent).to_image()
    } else {
        imageops::crop_imm(page, start, 0, extent, h).to_image()
    }
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
    fn otsu_splits_two_levels() {
        let mut img = GrayImage::new(10, 1);
        for x in 0..10 {
            img.put_pixel(x, 0, image::Luma([if x < 5 { 20 } else { 220 }]));
        }
        let t = otsu_threshold(&img);
        assert!(t > 20 && t <= 220, "{t}");
    }
}
