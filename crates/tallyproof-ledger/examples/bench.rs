//! Throughput of the log: append + checkpoint of N simulated sheets
//! (default 1,000,000), reopening, proofs per second, full verification,
//! the static export and its verification (`verify_site`).
//!
//! ```text
//! cargo run --release -p tallyproof-ledger --example bench -- [N] [DIR]
//! ```

use std::time::Instant;

use tallyproof_ledger::{
    LeafRecord, Log, Provenance, SourceKind, VerifyOptions, verify, verify_inclusion,
};

fn sheet(i: u64, x: &mut u64) -> LeafRecord {
    let mut next = || {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    };
    let station = format!("{:09}.{:02}", i / 8 + 10_101_001, i % 8 + 1);
    let mut r = LeafRecord::new(&station, "president", SourceKind::Import);
    let registered = 200 + next() % 600;
    r.counts = (0..10)
        .map(|o| (format!("OPTION{o}"), next() % (registered / 5)))
        .collect();
    r.null = Some(next() % 5);
    r.blank = Some(0);
    r.registered = Some(registered);
    r.provenance = Provenance {
        file: Some("simulated.csv".into()),
        file_sha256: Some(format!("{:064x}", 7)),
        line: Some(i + 2),
        image_sha256: Some(format!("{:064x}", next())),
        received: Some("2024-07-29T06:00:00Z".into()),
        ..Provenance::new(SourceKind::Scan)
    };
    r
}

fn rate(n: u64, secs: f64) -> String {
    format!("{:.0}/s", n as f64 / secs)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().map_or(Ok(1_000_000), |s| s.parse())?;
    let tmp;
    let dir = match args.next() {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            tmp = std::env::temp_dir()
                .join(format!("tallyproof-ledger-bench-{}", std::process::id()));
            tmp.clone()
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let key = tallyproof_ledger::init(&dir, "bench.tallyproof/log")?;
    let mut log = Log::open(&dir)?;

    let mut x = 0x9e3779b97f4a7c15u64;
    let t = Instant::now();
    let batch = 100_000;
    let mut i = 0;
    while i < n {
        let k = batch.min(n - i);
        log.append((i..i + k).map(|j| sheet(j, &mut x)))?;
        i += k;
    }
    let append = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let cp = log.checkpoint()?;
    let checkpoint = t.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(dir.join("entries"))?.len();
    println!("sheets:               {n}");
    println!(
        "entries file:         {:.1} MiB",
        bytes as f64 / (1 << 20) as f64
    );
    println!(
        "append (encode, hash, write, fsync): {append:.2} s  ({})",
        rate(n, append)
    );
    println!("checkpoint (root, leaf hashes, sign): {checkpoint:.3} s");
    println!(
        "append + checkpoint:  {:.2} s  ({})",
        append + checkpoint,
        rate(n, append + checkpoint)
    );
    drop(log);

    let t = Instant::now();
    let log = Log::open(&dir)?;
    let open = t.elapsed().as_secs_f64();
    println!("reopen (read, rehash, index):        {open:.2} s");

    let m = 200_000u64;
    let (size, root) = (cp.size(), cp.root());
    let t = Instant::now();
    let mut total = 0usize;
    for j in 0..m {
        let idx = j.wrapping_mul(2_654_435_761) % size;
        total += log.tree().inclusion_proof(idx, size)?.len();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "inclusion proofs (in memory):        {} (mean {} hashes)",
        rate(m, s),
        total as u64 / m
    );

    let m2 = 20_000u64;
    let t = Instant::now();
    for j in 0..m2 {
        let idx = j.wrapping_mul(2_654_435_761) % size;
        let p = log.prove_index(idx)?;
        verify_inclusion(p.index, size, &p.leaf_hash, &p.inclusion_proof, &root)?;
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "station proofs (read entry, decode, prove, verify): {}",
        rate(m2, s)
    );

    let t = Instant::now();
    for j in 1..=m2 {
        let old = (j.wrapping_mul(2_654_435_761) % size).max(1);
        log.tree().consistency_proof(old, size)?;
    }
    let s = t.elapsed().as_secs_f64();
    println!("consistency proofs:                  {}", rate(m2, s));
    drop(log);

    let t = Instant::now();
    let r = verify(
        &dir,
        &VerifyOptions {
            key: Some(key),
            trusted_checkpoint: None,
        },
    )?;
    let s = t.elapsed().as_secs_f64();
    println!(
        "verify (all {} entries, {} checkpoints): {s:.2} s",
        r.entries, r.checkpoints_checked
    );

    let out = dir.with_extension("site");
    let _ = std::fs::remove_dir_all(&out);
    let t = Instant::now();
    let log = Log::open(&dir)?;
    let e = log.export(&out)?;
    println!(
        "export ({} tiles, {} entry bundles, {} stations in {} station bundles; {} files, {:.0} MB): {:.2} s",
        e.tiles,
        e.bundles,
        e.stations,
        e.station_bundles,
        e.files,
        e.bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let r = tallyproof_ledger::verify_site(&out, Some(log.verifier()))?;
    println!(
        "verify --site ({} sheets): {:.2} s",
        r.sheets,
        t.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&out);
    drop(log);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
