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
//!   … --example phone_photos -- --time FILE|DIR [--repeat 20] [--breakdown]
//! ```
//!
//! `--time` scans each image (a file, or the images of a directory)
//! `--repeat` times with `Scanner::ve2024().scan_bytes` on one thread and
//! prints the mean wall and CPU time per scan and the scans per second;
//! `--breakdown` adds the JPEG decoding and each pipeline variant's
//! rendering and QR reading, up to the variant that reads. CPU time is the
//! thread's own (`/proc/thread-self/schedstat`), so it holds on a loaded
//! machine where wall time does not; the study's table reports both.
//! `--variants FILE|DIR` tries every variant of the default pipeline on
//! each image and prints which read it and their CPU time: what the
//! pipeline's order is chosen from.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Instant;

use common::phone::{self, SIZES, Shot};
use common::{Rng, real_data_dir};
use rayon::prelude::*;
use tallyproof_acta::preprocess::{DEFAULT_PIPELINE, Page, paper_box};
use tallyproof_acta::{QrReader, RxingReader, Scanner, list_images};

/// The calling thread's CPU time in seconds (Linux), `None` elsewhere.
fn thread_cpu() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Wall and CPU seconds of `f` on this thread.
fn clock<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (c0, t0) = (thread_cpu(), Instant::now());
    let out = f();
    let wall = t0.elapsed().as_secs_f64();
    let cpu = match (c0, thread_cpu()) {
        (Some(a), Some(b)) => b - a,
        _ => f64::NAN,
    };
    (out, wall, cpu)
}

/// `--time`: repeated scans of each image on this thread.
fn time_scans(target: &Path, repeat: u64, breakdown: bool) {
    let files = list_images(&[target]);
    let scanner = Scanner::ve2024();
    let (mut n, mut wall, mut cpu) = (0u64, 0.0, 0.0);
    println!("| image | KB | px | variant (attempts) | wall ms | CPU ms |");
    println!("|---|---|---|---|---|---|");
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        // One scan first, untimed: the file in cache, the allocator warm.
        let first = scanner.scan_bytes(&name, &bytes);
        let (mut w, mut c) = (0.0, 0.0);
        for _ in 0..repeat {
            let (scan, dw, dc) = clock(|| scanner.scan_bytes(&name, &bytes));
            assert_eq!(
                scan.outcome, first.outcome,
                "{name}: same result every time"
            );
            w += dw;
            c += dc;
        }
        let variant = match first.result() {
            Ok(d) => d.variant.clone(),
            Err(e) => e.reason.code().to_string(),
        };
        let (iw, ih) = first.dimensions.unwrap_or((0, 0));
        println!(
            "| {name} | {} | {iw}×{ih} | {variant} ({}) | {:.1} | {:.1} |",
            bytes.len() / 1024,
            first.attempts,
            w / repeat as f64 * 1e3,
            c / repeat as f64 * 1e3
        );
        if breakdown {
            print_breakdown(&bytes, repeat);
        }
        n += repeat;
        wall += w;
        cpu += c;
    }
    println!(
        "{n} scans of {} image(s) on one thread: mean {:.1} ms wall, {:.1} ms CPU; {:.2} scans/s (wall), {:.2} scans/s (CPU)",
        files.len(),
        wall / n as f64 * 1e3,
        cpu / n as f64 * 1e3,
        n as f64 / wall,
        n as f64 / cpu
    );
}

/// Where one scan's time goes: JPEG decoding to grey, then each variant
/// of the default pipeline in the page's order (rendering, QR reading)
/// until one reads; mean
/// CPU time of `repeat` runs of each step (the thread's clock advances in
/// scheduler ticks, so one run is too coarse).
fn print_breakdown(bytes: &[u8], repeat: u64) {
    let mean = |f: &mut dyn FnMut()| {
        let (_, _, c) = clock(|| (0..repeat).for_each(|_| f()));
        c / repeat as f64 * 1e3
    };
    let scanner = Scanner::ve2024();
    let page = scanner.load_grey(bytes).unwrap();
    let c = mean(&mut || drop(scanner.load_grey(bytes).unwrap()));
    println!("  decoding to grey: {c:.1} ms CPU");
    let page = Page::new(&page);
    let c = mean(&mut || {
        paper_box(page.image());
    });
    println!("  paper box {:?}: {c:.1} ms CPU", page.paper_box());
    for v in page.order(DEFAULT_PIPELINE) {
        let img = v.render_page(&page);
        let texts = RxingReader.read(&img);
        let cr = mean(&mut || drop(v.render_page(&page)));
        let cq = mean(&mut || drop(RxingReader.read(&img)));
        println!(
            "  {:<28} {:>5}×{:<5} render {:>6.1} ms, read {:>6.1} ms{}",
            v.label(),
            img.width(),
            img.height(),
            cr,
            cq,
            if texts.is_empty() { "" } else { "  reads" }
        );
        if !texts.is_empty() {
            break;
        }
    }
}

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
    cpu_ms: f64,
}

/// `--variants`: every variant of the default pipeline on each image.
fn variant_matrix(target: &Path) {
    let files = list_images(&[target]);
    let labels: Vec<String> = DEFAULT_PIPELINE.iter().map(|v| v.label()).collect();
    for (i, l) in labels.iter().enumerate() {
        println!("{:>2} {l}", i + 1);
    }
    let mut reads = vec![0usize; labels.len()];
    let mut cpu = vec![0f64; labels.len()];
    let scanner = Scanner::ve2024();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let grey = scanner.load_grey(&bytes).unwrap();
        let page = Page::new(&grey);
        let mut row = String::new();
        for (i, v) in DEFAULT_PIPELINE.iter().enumerate() {
            let (texts, _, c) = clock(|| RxingReader.read(&v.render_page(&page)));
            cpu[i] += c;
            let ok = !texts.is_empty();
            reads[i] += usize::from(ok);
            row.push_str(&format!(" {}{:>5.0}", if ok { 'X' } else { '.' }, c * 1e3));
        }
        let (w, h) = grey.dimensions();
        let paper = match page.paper_box() {
            Some((_, _, pw, ph)) => format!("{:.2}", f64::from(pw.min(ph)) / f64::from(w.min(h))),
            None => "-".to_string(),
        };
        println!(
            "{:<48} {paper:>4}{row}",
            f.file_name().unwrap().to_string_lossy()
        );
    }
    println!("reads per variant: {reads:?}");
    let ms: Vec<u64> = cpu
        .iter()
        .map(|c| (c / files.len().max(1) as f64 * 1e3).round() as u64)
        .collect();
    println!("mean CPU ms per variant: {ms:?}");
}

fn main() {
    if let Some(target) = flag("--variants") {
        variant_matrix(Path::new(&target));
        return;
    }
    if let Some(target) = flag("--time") {
        let breakdown = std::env::args().any(|a| a == "--breakdown");
        time_scans(Path::new(&target), arg("--repeat", 20).max(1), breakdown);
        return;
    }
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
                    let (scan, wall, cpu) = clock(|| scanner.scan_bytes(name, &bytes));
                    let (ms, cpu_ms) = (wall * 1e3, cpu * 1e3);
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
                        cpu_ms,
                    }
                })
                .collect::<Vec<_>>()
        })
        .collect();
    println!("| long side | decoded | mean JPEG KB | mean scan ms (wall) | mean scan ms (CPU) |");
    println!("|---|---|---|---|---|");
    for s in SIZES {
        let at: Vec<&Photo> = photos.iter().filter(|p| p.size == s).collect();
        let n = at.len().max(1) as f64;
        println!(
            "| {s} | {}/{} | {:.0} | {:.0} | {:.0} |",
            at.iter().filter(|p| p.read).count(),
            at.len(),
            at.iter().map(|p| p.bytes as f64).sum::<f64>() / n / 1024.0,
            at.iter().map(|p| p.ms).sum::<f64>() / n,
            at.iter().map(|p| p.cpu_ms).sum::<f64>() / n,
        );
    }
    if std::env::args().any(|a| a == "--each") {
        for p in &photos {
            println!(
                "{:>4} {:<40} tilt {:>5.1} key {:.2} fill {:.2} blur {:.1} light {:.2} q {}/{} {:>5} KB {:>6.0} ms CPU {} {}",
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
                p.cpu_ms,
                if p.read { "read" } else { "-" },
                p.variant
            );
        }
    }
    eprintln!("{:.1} s", t0.elapsed().as_secs_f64());
}
