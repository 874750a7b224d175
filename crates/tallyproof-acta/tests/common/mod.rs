//! Synthetic tally sheets for tests and benchmarks: a QR code rendered with
//! the `qrcode` crate near the bottom of a long white sheet with ruled
//! "text", then degraded with rotation, blur and noise.
#![allow(dead_code)]

use image::{GrayImage, Luma};
use qrcode::QrCode;
use std::path::{Path, PathBuf};

/// Reads `TALLYPROOF_REAL_DATA`: `None` when unset (tests that need the
/// real data are skipped); panics when set but the directory is missing.
pub fn real_data_dir(name: &str) -> Option<PathBuf> {
    let root = std::env::var_os("TALLYPROOF_REAL_DATA")?;
    let dir = Path::new(&root).join(name);
    assert!(
        dir.is_dir(),
        "TALLYPROOF_REAL_DATA is set but {} is missing",
        dir.display()
    );
    Some(dir)
}

/// A deterministic xorshift generator, so that sheets are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// How to degrade a synthetic sheet.
#[derive(Clone, Copy, Debug)]
pub struct Degrade {
    /// Rotation in degrees.
    pub degrees: f64,
    /// Gaussian blur sigma in pixels (0 = none).
    pub blur: f32,
    /// Uniform noise amplitude in grey levels (0 = none).
    pub noise: u8,
}

/// A QR code image (black on white, quiet zone included), `module` pixels
/// per module.
pub fn qr_image(text: &str, module: u32) -> GrayImage {
    let code = QrCode::new(text.as_bytes()).expect("payload fits a QR code");
    code.render::<Luma<u8>>()
        .module_dimensions(module, module)
        .quiet_zone(true)
        .build()
}

/// A sheet `width` wide and `height` tall with ruled lines and the QR code
/// across most of its width near the bottom.
pub fn sheet(text: &str, width: u32, height: u32, rng: &mut Rng) -> GrayImage {
    let mut page = GrayImage::from_pixel(width, height, Luma([245]));
    // Ruled boxes and "words" in the upper part.
    let mut y = 20;
    while y + 40 < height.saturating_sub(width) {
        for x in 10..width - 10 {
            page.put_pixel(x, y, Luma([40]));
        }
        let mut x = 20;
        while x + 30 < width - 20 {
            let w = 8 + rng.below(30) as u32;
            for dx in 0..w.min(width - 20 - x) {
                for dy in 8..18 {
                    if rng.below(3) > 0 {
                        page.put_pixel(x + dx, y + dy, Luma([30]));
                    }
                }
            }
            x += w + 8;
        }
        y += 30;
    }
    let module = ((width * 3 / 4) / 45).max(2);
    let qr = qr_image(text, module);
    let qx = width.saturating_sub(qr.width()) / 2;
    let qy = height.saturating_sub(qr.height() + width / 10);
    image::imageops::overlay(&mut page, &qr, i64::from(qx), i64::from(qy));
    page
}

/// Rotates by `degrees` about the QR code's centre on a [`sheet`] (half
/// the width up from the bottom), keeping the size (bilinear, white
/// background), as a skewed scan or photo of the sheet's end would be.
pub fn rotate(img: &GrayImage, degrees: f64) -> GrayImage {
    if degrees == 0.0 {
        return img.clone();
    }
    let (w, h) = img.dimensions();
    let (s, c) = degrees.to_radians().sin_cos();
    let cx = f64::from(w) / 2.0;
    let cy = (f64::from(h) - 0.51 * f64::from(w)).max(f64::from(h) / 2.0);
    GrayImage::from_fn(w, h, |x, y| {
        let dx = f64::from(x) - cx;
        let dy = f64::from(y) - cy;
        let sx = c * dx + s * dy + cx;
        let sy = -s * dx + c * dy + cy;
        if sx < 0.0 || sy < 0.0 || sx >= f64::from(w - 1) || sy >= f64::from(h - 1) {
            return Luma([245]);
        }
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (fx, fy) = (sx - sx.floor(), sy - sy.floor());
        let p = |x: u32, y: u32| f64::from(img.get_pixel(x, y).0[0]);
        let v = p(x0, y0) * (1.0 - fx) * (1.0 - fy)
            + p(x0 + 1, y0) * fx * (1.0 - fy)
            + p(x0, y0 + 1) * (1.0 - fx) * fy
            + p(x0 + 1, y0 + 1) * fx * fy;
        Luma([v.round().clamp(0.0, 255.0) as u8])
    })
}

/// Applies rotation, blur and noise.
pub fn degrade(img: &GrayImage, d: Degrade, rng: &mut Rng) -> GrayImage {
    let mut out = rotate(img, d.degrees);
    if d.blur > 0.0 {
        out = image::imageops::blur(&out, d.blur);
    }
    if d.noise > 0 {
        let amp = i32::from(d.noise);
        for p in out.pixels_mut() {
            let n = rng.below(2 * amp as u64 + 1) as i32 - amp;
            p.0[0] = (i32::from(p.0[0]) + n).clamp(0, 255) as u8;
        }
    }
    out
}

/// A plausible Venezuela 2024 payload for station `i`.
pub fn ve_payload(i: u64, rng: &mut Rng) -> String {
    let cards: Vec<String> = (0..38)
        .map(|k| {
            let max = match k {
                0 => 200,
                35 => 400,
                33 | 34 => 30,
                _ => 12,
            };
            rng.below(max).to_string()
        })
        .collect();
    format!(
        "{:09}.{:02}.1.0001!{}!{}!0",
        10_000_000 + i * 37 % 240_000_000,
        1 + i % 12,
        cards.join(","),
        rng.below(4)
    )
}

/// Encodes a grey image as JPEG at `quality`.
pub fn jpeg_bytes(img: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(img)
        .expect("JPEG encoding of an in-memory image");
    out
}

/// Encodes a grey image as PNG.
pub fn png_bytes(img: &GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("PNG encoding of an in-memory image");
    out
}

/// CRC-32 (ISO 3309, as used by PNG chunks, RFC 2083 §3.4).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `width` × `height` pixels, followed by no
/// image data: decoding it naively would allocate width × height bytes.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&width.to_be_bytes());
    chunk.extend_from_slice(&height.to_be_bytes());
    chunk.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale, no interlace
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    // A zlib stream of nothing (RFC 1950) as the only IDAT, then IEND.
    for (kind, data) in [
        (
            &b"IDAT"[..],
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01][..],
        ),
        (&b"IEND"[..], &[][..]),
    ] {
        let mut chunk = kind.to_vec();
        chunk.extend_from_slice(data);
        out.extend_from_slice(&u32::try_from(data.len()).expect("small").to_be_bytes());
        out.extend_from_slice(&chunk);
        out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    }
    out
}
pub mod phone;
