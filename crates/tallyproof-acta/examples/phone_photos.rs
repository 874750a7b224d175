//! The decode rate of phone-like photos of the real Venezuelan actas
//! (`tests/common/phone.rs`: tilt up to 12°, perspective, blur, uneven
//! light, JPEG 55–85, the camera's 4,000 px file and a messaging app's
//! 2,400 and 1,600 px copies), by long side, with the scanner's default
//! pipeline. Each readable image (its original decodes) gets `--shots`
//! photos (default 2: 22 photos of the 11 readable sheets).
//!
//! ```text
//! TALLYPROOF_REAL_DATA=/work/shared/data \
//!   cargo run --release -p tallyproof-acta --example phone_photos [-- --shots 2 --seed 1 --each --write DIR]
//!   … --example phone_photos -- --upload-photo FILE   (a 3 MB colour photo that reads)
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use common::phone::{self, SIZES, Shot};
use common::{Rng, real_data_dir};
use rayon::prelude::*;
use tallyproof_acta::{Scanner, list_images};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The value after `name` on the command line.
fn flag(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    args.get(i + 1).cloned()
}

/// `--write DIR`: keep the photos there.
fn write_dir() -> Option<String> {
    flag("--write")
}

struct Photo {
    file: String,
    shot: Shot,
    size: u32,
    bytes: usize,
    read: bool,
    variant: String,
    ms: f64,
}

fn main() {
    let Some(dir) = real_data_dir("venezuela-2024-acta-images") else {
        eprintln!("set TALLYPROOF_REAL_DATA to the folder of the real data");
        std::process::exit(2);
    };
    let shots = arg("--shots", 2);
    let seed = arg("--seed", 1);
    let scanner = Scanner::ve2024();
    let mut sheets = Vec::new();
    for path in list_images(&[&dir]) {
        let scan = scanner.scan_file(&path);
        let Ok(d) = scan.result() else { continue };
        let img = image::open(&path).unwrap().into_luma8();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        sheets.push((name, d.payload.station_id.clone(), img));
    }
    if let Some(out) = flag("--upload-photo") {
        // One colour photo of about 3 MB at 4,000 px, for bench/server.sh.
        for (name, station, img) in &sheets {
            let mut rng = Rng::new(seed);
            let shot = Shot::random(&mut rng);
            let frame = phone::frame(img, &shot, 4000, &mut rng);
            let bytes = phone::colour_photo(&frame, 3_000_000, &mut rng);
            let ok = scanner
                .scan_bytes(name, &bytes)
                .result()
                .is_ok_and(|d| &d.payload.station_id == station);
            if ok {
                std::fs::write(&out, &bytes).unwrap();
                println!("{out}: {} bytes, {name}, the code reads", bytes.len());
                return;
            }
        }
        eprintln!("no colour photo read");
        std::process::exit(1);
    }
    eprintln!(
        "{} readable sheets × {shots} shots × {:?} px",
        sheets.len(),
        SIZES
    );
    let jobs: Vec<(usize, u64)> = (0..sheets.len())
        .flat_map(|i| (0..shots).map(move |k| (i, k)))
        .collect();
    let t0 = Instant::now();
    let photos: Vec<Photo> = jobs
        .par_iter()
        .flat_map_iter(|&(i, k)| {
            let (name, station, img) = &sheets[i];
            let mut rng = Rng::new(seed * 1_000_003 + i as u64 * 101 + k);
            let shot = Shot::random(&mut rng);
            phone::photos(img, &shot, &SIZES, &mut rng)
                .into_iter()
                .map(|(size, bytes)| {
                    if let Some(out) = write_dir() {
                        let f = format!("{out}/{size}-{k}-{name}");
                        std::fs::write(&f, &bytes).unwrap();
                    }
                    let t = Instant::now();
                    let scan = scanner.scan_bytes(name, &bytes);
                    let ms = t.elapsed().as_secs_f64() * 1e3;
                    let (read, variant) = match scan.result() {
                        Ok(d) => (&d.payload.station_id == station, d.variant.clone()),
                        Err(f) => (false, f.reason.code().to_string()),
                    };
                    Photo {
                        file: name.clone(),
                        shot,
                        size,
                        bytes: bytes.len(),
                        read,
                        variant,
                        ms,
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    println!("| long side | decoded | mean JPEG KB | mean scan ms |");
    println!("|---|---|---|---|");
    for s in SIZES {
        let at: Vec<&Photo> = photos.iter().filter(|p| p.size == s).collect();
        let n = at.len().max(1) as f64;
        println!(
            "| {s} | {}/{} | {:.0} | {:.0} |",
            at.iter().filter(|p| p.read).count(),
            at.len(),
            at.iter().map(|p| p.bytes as f64).sum::<f64>() / n / 1024.0,
            at.iter().map(|p| p.ms).sum::<f64>() / n,
        );
    }
    if std::env::args().any(|a| a == "--each") {
        for p in &photos {
            println!(
                "{:>4} {:<40} tilt {:>5.1} key {:.2} fill {:.2} blur {:.1} light {:.2} q {}/{} {:>5} KB {} {}",
                p.size,
                p.file,
                p.shot.tilt,
                p.shot.keystone,
                p.shot.fill,
                p.shot.blur,
                p.shot.light,
                p.shot.quality,
                p.shot.requality,
                p.bytes / 1024,
                if p.read { "read" } else { "-" },
                p.variant
            );
        }
    }
    eprintln!("{:.1} s", t0.elapsed().as_secs_f64());
}
