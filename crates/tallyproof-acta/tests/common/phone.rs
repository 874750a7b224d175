//! Phone-like photos of a real tally sheet: the sheet laid on a darker
//! table, photographed at a tilt (up to 12°) and a slant (one end nearer
//! the camera: perspective), out of focus (Gaussian blur), under uneven
//! light (a gradient and a vignette), with sensor noise, saved as JPEG
//! at quality 55–85 with the frame's long side at 4,000 px, then shrunk
//! as a messaging app does (resampled to 2,400 or 1,600 px on the long
//! side and saved again as JPEG at quality 55–85).
//!
//! Shared by `tests/phone_photos.rs` (a quick floor on the real images)
//! and `examples/phone_photos.rs` (the full study in docs/acta.md).
#![allow(dead_code)]

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{GrayImage, Luma};

use super::Rng;

/// The long sides the study reports.
pub const SIZES: [u32; 3] = [4000, 2400, 1600];

/// What one photo was made with.
#[derive(Clone, Copy, Debug)]
pub struct Shot {
    /// Tilt of the sheet in the frame, degrees.
    pub tilt: f64,
    /// How much narrower the far end is than the near end (0: none).
    pub keystone: f64,
    /// Share of the frame's long side the sheet spans.
    pub fill: f64,
    /// Gaussian blur sigma at 4,000 px.
    pub blur: f32,
    /// Light at the darkest corner relative to the brightest.
    pub light: f64,
    /// JPEG quality of the camera's file.
    pub quality: u8,
    /// JPEG quality after the messaging app's resampling.
    pub requality: u8,
}

impl Shot {
    /// A random shot within the study's ranges.
    pub fn random(rng: &mut Rng) -> Shot {
        let sym = |r: &mut Rng| r.unit() * 2.0 - 1.0;
        Shot {
            tilt: 12.0 * sym(rng),
            keystone: 0.15 * rng.unit(),
            fill: 0.80 + 0.12 * rng.unit(),
            blur: (0.6 + 1.6 * rng.unit()) as f32,
            light: 0.55 + 0.35 * rng.unit(),
            quality: 55 + rng.below(31) as u8,
            requality: 55 + rng.below(31) as u8,
        }
    }
}

/// The 3 × 3 homography mapping `from[i]` to `to[i]` (four point pairs),
/// by solving the 8 × 8 linear system of the direct linear transform
/// with h33 = 1 (Hartley & Zisserman 2004 §4.1).
fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> [f64; 9] {
    let mut a = [[0.0f64; 9]; 8];
    for i in 0..4 {
        let (x, y) = from[i];
        let (u, v) = to[i];
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    // Gaussian elimination with partial pivoting.
    for c in 0..8 {
        let p = (c..8)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap();
        a.swap(c, p);
        for r in 0..8 {
            if r != c {
                let f = a[r][c] / a[c][c];
                let pivot = a[c];
                for (x, p) in a[r].iter_mut().zip(pivot).skip(c) {
                    *x -= f * p;
                }
            }
        }
    }
    let mut h = [0.0; 9];
    for i in 0..8 {
        h[i] = a[i][8] / a[i][i];
    }
    h[8] = 1.0;
    h
}

fn apply(h: &[f64; 9], x: f64, y: f64) -> (f64, f64) {
    let w = h[6] * x + h[7] * y + h[8];
    (
        (h[0] * x + h[1] * y + h[2]) / w,
        (h[3] * x + h[4] * y + h[5]) / w,
    )
}

fn bilinear(img: &GrayImage, x: f64, y: f64) -> Option<f64> {
    let (w, h) = img.dimensions();
    if x < 0.0 || y < 0.0 || x > (w - 1) as f64 || y > (h - 1) as f64 {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f64, y - y0 as f64);
    let p = |x, y| f64::from(img.get_pixel(x, y).0[0]);
    let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
    let bot = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
    Some(top * (1.0 - fy) + bot * fy)
}

/// The camera's frame of `sheet` under `shot`, `long` px on its long
/// side (4:3, in the sheet's orientation), before JPEG.
pub fn frame(sheet: &GrayImage, shot: &Shot, long: u32, rng: &mut Rng) -> GrayImage {
    let (sw, sh) = (f64::from(sheet.width()), f64::from(sheet.height()));
    let portrait = sh >= sw;
    let short = long * 3 / 4;
    let (fw, fh) = if portrait {
        (short, long)
    } else {
        (long, short)
    };
    // The sheet's corners after the slant: its far end (the top of a
    // portrait sheet, the left of a landscape one) narrower.
    let k = shot.keystone / 2.0;
    let corners = if portrait {
        [(sw * k, 0.0), (sw * (1.0 - k), 0.0), (sw, sh), (0.0, sh)]
    } else {
        [(0.0, sh * k), (sw, 0.0), (sw, sh), (0.0, sh * (1.0 - k))]
    };
    // Tilt about the centre, then scale so that the sheet spans `fill`
    // of the frame's long side, then centre with a small offset.
    let t = shot.tilt.to_radians();
    let (c, s) = (t.cos(), t.sin());
    let rot: Vec<(f64, f64)> = corners
        .iter()
        .map(|&(x, y)| {
            let (x, y) = (x - sw / 2.0, y - sh / 2.0);
            (x * c - y * s, x * s + y * c)
        })
        .collect();
    let span = |f: fn(&(f64, f64)) -> f64| {
        let v: Vec<f64> = rot.iter().map(f).collect();
        v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
    };
    let (ex, ey) = (span(|p| p.0), span(|p| p.1));
    let scale = if portrait {
        (shot.fill * f64::from(fh) / ey).min(0.95 * f64::from(fw) / ex)
    } else {
        (shot.fill * f64::from(fw) / ex).min(0.95 * f64::from(fh) / ey)
    };
    let jitter = |r: &mut Rng, room: f64| (r.unit() * 2.0 - 1.0) * room;
    let cx = f64::from(fw) / 2.0 + jitter(rng, (f64::from(fw) - ex * scale).max(0.0) / 4.0);
    let cy = f64::from(fh) / 2.0 + jitter(rng, (f64::from(fh) - ey * scale).max(0.0) / 4.0);
    let dst: Vec<(f64, f64)> = rot
        .iter()
        .map(|&(x, y)| (cx + x * scale, cy + y * scale))
        .collect();
    let src = [
        (0.0, 0.0),
        (sw - 1.0, 0.0),
        (sw - 1.0, sh - 1.0),
        (0.0, sh - 1.0),
    ];
    let inv = homography([dst[0], dst[1], dst[2], dst[3]], src);
    // Light: a linear gradient in a random direction from 1 to `light`,
    // times a vignette that darkens the corners by a tenth.
    let a = rng.unit() * std::f64::consts::TAU;
    let (gx, gy) = (a.cos(), a.sin());
    let half = (f64::from(fw).hypot(f64::from(fh))) / 2.0;
    let table = 70.0 + 40.0 * rng.unit();
    let mut noise = Rng::new(rng.next_u64());
    let mut out = GrayImage::new(fw, fh);
    for (x, y, p) in out.enumerate_pixels_mut() {
        let (fx, fy) = (
            f64::from(x) - f64::from(fw) / 2.0,
            f64::from(y) - f64::from(fh) / 2.0,
        );
        let along = (fx * gx + fy * gy) / half; // -1 .. 1
        let g = 1.0 - (1.0 - shot.light) * (along + 1.0) / 2.0;
        let r2 = (fx * fx + fy * fy) / (half * half);
        let light = g * (1.0 - 0.1 * r2);
        let (u, v) = apply(&inv, f64::from(x), f64::from(y));
        let base = bilinear(sheet, u, v).unwrap_or(table);
        let n = (noise.unit() - 0.5) * 8.0;
        p.0[0] = (base * light + n).clamp(0.0, 255.0) as u8;
    }
    if shot.blur > 0.0 {
        out = imageops::blur(&out, shot.blur * long as f32 / 4000.0);
    }
    out
}

/// JPEG bytes of `img` at `quality`.
pub fn jpeg(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut buf), quality)
        .encode_image(img)
        .unwrap();
    buf
}

/// The messaging app's copy: the camera's JPEG decoded, resampled to
/// `long` px on its long side, saved at `quality`.
pub fn shrink(camera_jpeg: &[u8], long: u32, quality: u8) -> Vec<u8> {
    let img = image::load_from_memory(camera_jpeg).unwrap().into_luma8();
    let (w, h) = img.dimensions();
    let f = f64::from(long) / f64::from(w.max(h));
    let (nw, nh) = (
        (f64::from(w) * f).round() as u32,
        (f64::from(h) * f).round() as u32,
    );
    jpeg(
        &imageops::resize(&img, nw, nh, FilterType::Triangle),
        quality,
    )
}

/// The photos of one shot: the camera's file at 4,000 px, then the app's
/// copies at each smaller size of `sizes` (in order), as JPEG bytes.
pub fn photos(sheet: &GrayImage, shot: &Shot, sizes: &[u32], rng: &mut Rng) -> Vec<(u32, Vec<u8>)> {
    let camera = jpeg(&frame(sheet, shot, 4000, rng), shot.quality);
    sizes
        .iter()
        .map(|&s| {
            if s >= 4000 {
                (s, camera.clone())
            } else {
                (s, shrink(&camera, s, shot.requality))
            }
        })
        .collect()
}

/// A photo taken directly at `long` px (a quicker stand-in for the
/// app's copy, used by the test suite).
pub fn photo_at(sheet: &GrayImage, shot: &Shot, long: u32, rng: &mut Rng) -> Vec<u8> {
    jpeg(&frame(sheet, shot, long, rng), shot.requality)
}

/// A colour JPEG of about `target` bytes from a grey frame: the frame
/// with independent sensor noise on each channel (what makes a real
/// phone's files large), at quality 92; the noise grows until the file
/// reaches `target`. For the upload benchmark's 3 MB photos.
pub fn colour_photo(frame: &GrayImage, target: usize, rng: &mut Rng) -> Vec<u8> {
    let mut amp = 12.0;
    loop {
        let mut rgb = image::RgbImage::new(frame.width(), frame.height());
        for (x, y, p) in rgb.enumerate_pixels_mut() {
            let g = f64::from(frame.get_pixel(x, y).0[0]);
            for c in 0..3 {
                p.0[c] = (g + (rng.unit() - 0.5) * amp).clamp(0.0, 255.0) as u8;
            }
        }
        let mut buf = Vec::new();
        JpegEncoder::new_with_quality(Cursor::new(&mut buf), 92)
            .encode_image(&rgb)
            .unwrap();
        if buf.len() >= target || amp > 200.0 {
            return buf;
        }
        amp *= 1.2;
    }
}

/// Grey level of a pixel (for tests of the generator itself).
pub fn grey(img: &GrayImage, x: u32, y: u32) -> u8 {
    let Luma([v]) = *img.get_pixel(x, y);
    v
}

#[cfg(test)]
mod tests {
    // Paths, not a `use`: the bench that includes this module is built with
    // cfg(test) but without its #[test] functions.
    #[test]
    fn homography_maps_the_four_points() {
        let from = [(0.0, 0.0), (10.0, 0.0), (10.0, 20.0), (0.0, 20.0)];
        let to = [(3.0, 1.0), (12.0, 2.0), (14.0, 25.0), (1.0, 22.0)];
        let h = super::homography(from, to);
        for i in 0..4 {
            let (u, v) = super::apply(&h, from[i].0, from[i].1);
            assert!((u - to[i].0).abs() < 1e-9 && (v - to[i].1).abs() < 1e-9);
        }
    }
}
