//! Measures two QR decoders, rqrr 0.11 (a quirc port) and rxing 0.9 (a
//! ZXing port), on the real Venezuelan acta images.
//!
//! 1. The full scan pipeline (load, hash, [`DEFAULT_PIPELINE`], parse) with
//!    each decoder: images decoded, wall time, and the variant that found
//!    each code.
//! 2. With `--variants`: every preprocessing variant on its own, per
//!    decoder: which images it reads (`X`) and the decoder's time.
//!
//! ```text
//! TALLYPROOF_REAL_DATA=/work/shared/data \
//!   cargo run --release -p tallyproof-acta --example compare_decoders [-- --variants]
//! ```

use image::GrayImage;
use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;
use tallyproof_acta::preprocess::{DEFAULT_PIPELINE, all_variants};
use tallyproof_acta::{
    PayloadFormat, QrReader, RxingReader, ScanOptions, Scanner, Summary, Ve2024, list_images,
};

/// rqrr behind the same trait as the library's reader.
struct RqrrReader;

impl QrReader for RqrrReader {
    fn name(&self) -> &'static str {
        "rqrr"
    }
    fn read(&self, img: &GrayImage) -> Vec<String> {
        let mut prepared = rqrr::PreparedImage::prepare(img.clone());
        prepared
            .detect_grids()
            .iter()
            .filter_map(|g| g.decode().ok().map(|(_, text)| text))
            .collect()
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let root = std::env::var("TALLYPROOF_REAL_DATA")
        .map_err(|_| "set TALLYPROOF_REAL_DATA to the shared data directory")?;
    let dir = PathBuf::from(root).join("venezuela-2024-acta-images");
    let files = list_images(&[&dir]);
    if files.is_empty() {
        return Err(format!("no images in {}", dir.display()).into());
    }
    let n = files.len();
    println!("{n} images in {}\n", dir.display());

    println!(
        "== full pipeline ({} variants, stop at first valid payload), 1 thread ==",
        DEFAULT_PIPELINE.len()
    );
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let make = |name: &str| -> Scanner {
        let s = Scanner::ve2024().with_options(ScanOptions::default());
        if name == "rqrr" {
            s.with_reader(RqrrReader)
        } else {
            s.with_reader(RxingReader)
        }
    };
    for name in ["rqrr", "rxing"] {
        let scanner = make(name);
        let t = Instant::now();
        let scans = pool.install(|| scanner.scan_files(&files, |_| {}));
        let secs = t.elapsed().as_secs_f64();
        let s = Summary::of(&scans);
        println!(
            "{name:<6} decoded {}/{n}  {:>7.0} ms  {:>5.2} images/s  failed: {:?}",
            s.decoded,
            secs * 1000.0,
            n as f64 / secs,
            s.failed
        );
        for scan in &scans {
            let how = match scan.result() {
                Ok(d) => format!("ok after {} try(ies): {}", scan.attempts, d.variant),
                Err(f) => format!("FAIL {} ({} tries)", f.reason, scan.attempts),
            };
            println!("    {:<40} {how}", scan.file_name);
        }
    }

    if std::env::args().any(|a| a == "--variants") {
        println!("\n== each variant alone (decoder time only; X = valid payload) ==");
        let pages: Vec<GrayImage> = files
            .iter()
            .map(|f| image::open(f).map(|i| i.into_luma8()))
            .collect::<Result<_, _>>()?;
        let readers: [&dyn QrReader; 2] = [&RqrrReader, &RxingReader];
        for v in all_variants() {
            let rendered: Vec<GrayImage> = pages.iter().map(|p| v.render(p)).collect();
            for r in readers {
                let t = Instant::now();
                let marks: String = rendered
                    .iter()
                    .map(|img| {
                        let ok = r.read(img).iter().any(|s| Ve2024.parse(s).is_ok());
                        if ok { 'X' } else { '.' }
                    })
                    .collect();
                let ok = marks.chars().filter(|&c| c == 'X').count();
                println!(
                    "{:<22} {:<6} {ok:>2}/{n} {marks} {:>7.1} ms",
                    v.label(),
                    r.name(),
                    t.elapsed().as_secs_f64() * 1000.0
                );
            }
        }
        for (i, f) in files.iter().enumerate() {
            println!(
                "{i:>2} {}",
                f.file_name()
                    .map(|s| s.to_string_lossy())
                    .unwrap_or_default()
            );
        }
    }
    Ok(())
}
