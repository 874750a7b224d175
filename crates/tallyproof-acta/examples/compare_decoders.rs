//! Measures QR decoders on the real acta images: which preprocessing
//! variants decode which image, and how long each takes.
//!
//! Run: `TALLYPROOF_REAL_DATA=/work/shared/data cargo run --release -p tallyproof-acta --example compare_decoders`
use std::time::Instant;
use tallyproof_acta::preprocess::all_variants;
use tallyproof_acta::reader::{QrReader, RqrrReader, RxingReader};

fn main() {
    let root = std::env::var("TALLYPROOF_REAL_DATA").expect("set TALLYPROOF_REAL_DATA");
    let dir = std::path::Path::new(&root).join("venezuela-2024-acta-images");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "jpg")).collect();
    files.sort();
    let readers: Vec<Box<dyn QrReader>> = vec![Box::new(RqrrReader), Box::new(RxingReader)];
    let pages: Vec<_> = files.iter().map(|f| image::open(f).unwrap().to_luma8()).collect();
    for v in all_variants() {
        let rendered: Vec<_> = pages.iter().map(|p| v.render(p)).collect();
        for r in &readers {
            let mut line = String::new();
            let mut ok = 0;
            let t = Instant::now();
            for img in &rendered {
                let got = r.read(img);
                let good = got.iter().any(|s| s.contains(".1.0001!"));
                if good { ok += 1; }
                line.push(if good { 'X' } else { '.' });
            }
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            println!("{:<24} {:<6} {:>2}/12 {} {:>8.1} ms", v.label(), r.name(), ok, line, ms);
        }
    }
    for (i, f) in files.iter().enumerate() { println!("{i:>2} {}", f.file_name().unwrap().to_string_lossy()); }
}
