//! Throughput of the scanner: images per second on generated sheets
//! (QR codes rendered with the `qrcode` crate, then rotated, blurred,
//! noised and JPEG-compressed) and on the real Venezuelan acta images.
//!
//! ```text
//! cargo bench -p tallyproof-acta --bench throughput
//! TALLYPROOF_REAL_DATA=/work/shared/data TALLYPROOF_BENCH_SHEETS=1000 \
//!   cargo bench -p tallyproof-acta --bench throughput
//! ```
//!
//! The whole scan is timed: reading the file, SHA-256, JPEG decoding, the
//! preprocessing pipeline, QR decoding and payload parsing, in parallel
//! over all cores (rayon) and on one thread.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Degrade, Rng};
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;
use tallyproof_acta::{ImageScan, Scanner, Summary, list_images};

fn timed(
    label: &str,
    scanner: &Scanner,
    files: &[PathBuf],
    threads: usize,
) -> Result<Vec<ImageScan>, Box<dyn Error>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    let t = Instant::now();
    let scans = pool.install(|| scanner.scan_files(files, |_| {}));
    let secs = t.elapsed().as_secs_f64();
    let s = Summary::of(&scans);
    println!(
        "{label:<34} {threads} thread(s): {:>5} images in {:>7.2} s = {:>7.1} images/s; decoded {}/{}; failed {:?}",
        files.len(),
        secs,
        files.len() as f64 / secs,
        s.decoded,
        s.images,
        s.failed
    );
    Ok(scans)
}

fn main() -> Result<(), Box<dyn Error>> {
    let n: u64 = std::env::var("TALLYPROOF_BENCH_SHEETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let scanner = Scanner::ve2024();

    // Generated sheets: 640 x 3200 px, QR near the bottom, rotation
    // within ±5°, Gaussian blur sigma 0–1.2, noise ±0–30 grey levels,
    // JPEG quality 60–90; seeded, so every run sees the same sheets.
    let dir = tempfile::tempdir()?;
    let mut rng = Rng::new(2024);
    let mut files = Vec::new();
    let mut payloads = Vec::new();
    let t = Instant::now();
    for i in 0..n {
        let text = common::ve_payload(i, &mut rng);
        let d = Degrade {
            degrees: rng.unit() * 10.0 - 5.0,
            blur: (rng.unit() * 1.2) as f32,
            noise: rng.below(31) as u8,
        };
        let page = common::degrade(&common::sheet(&text, 640, 3200, &mut rng), d, &mut rng);
        let quality = 60 + rng.below(31) as u8;
        let path = dir.path().join(format!("sheet-{i:05}.jpg"));
        std::fs::write(&path, common::jpeg_bytes(&page, quality))?;
        files.push(path);
        payloads.push(text);
    }
    println!("generated {n} sheets in {:.1} s", t.elapsed().as_secs_f64());
    let scans = timed("generated sheets", &scanner, &files, cores)?;
    let wrong = scans
        .iter()
        .zip(&payloads)
        .filter(|(s, p)| s.result().is_ok_and(|d| &d.raw_payload != *p))
        .count();
    println!("  decoded payloads that differ from the generated text: {wrong}");
    if cores > 1 {
        timed("generated sheets", &scanner, &files, 1)?;
    }

    match std::env::var_os("TALLYPROOF_REAL_DATA") {
        None => println!("TALLYPROOF_REAL_DATA not set: real images skipped"),
        Some(root) => {
            let real = PathBuf::from(root).join("venezuela-2024-acta-images");
            let once = list_images(&[&real]);
            if once.is_empty() {
                return Err(format!("no images in {}", real.display()).into());
            }
            // Ten passes over the 12 images, so that parallelism has work.
            let files: Vec<PathBuf> = (0..10).flat_map(|_| once.clone()).collect();
            timed("real actas (12 images x 10)", &scanner, &files, cores)?;
            if cores > 1 {
                timed("real actas (12 images x 10)", &scanner, &files, 1)?;
            }
        }
    }
    Ok(())
}
