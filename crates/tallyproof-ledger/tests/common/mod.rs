//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

use tallyproof_ledger::{LeafRecord, Provenance, SourceKind, Status};

/// Options of the synthetic sheets, as on the Venezuelan 2024 ballot.
pub const OPTIONS: [&str; 10] = [
    "MADURO", "MARTINEZ", "BERTUCCI", "BRITO", "ECARRI", "FERMIN", "CEBALLOS", "GONZALEZ",
    "MARQUEZ", "RAUSSEO",
];

/// `n` synthetic sheets with distinct station ids shaped like CNE ids
/// (state, municipality, parish, centre, table), deterministic in `seed`.
/// Every 40th is quarantined; every 500th corrects an earlier one.
pub fn synthetic(n: u64, seed: u64) -> Vec<LeafRecord> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let station = format!(
                "{:02}{:02}{:02}{:03}-{}",
                i % 24 + 1,
                (i / 24) % 30 + 1,
                (i / 720) % 20 + 1,
                (i / 14_400) % 1000 + 1,
                i
            );
            let mut r = LeafRecord::new(&station, "presidential-2024", SourceKind::Import);
            let registered = 200 + next() % 600;
            let mut left = registered * (40 + next() % 50) / 100;
            r.counts = OPTIONS
                .iter()
                .map(|o| {
                    let v = next() % (left + 1) / 2;
                    left -= v;
                    (o.to_string(), v)
                })
                .collect();
            r.null = Some(next() % 5);
            r.blank = Some(0);
            r.registered = Some(registered);
            if i % 40 == 39 {
                r.status = Status::Quarantined(vec!["V003".into()]);
            }
            if i % 500 == 499 {
                r.supersedes = Some(i - 250);
            }
            r.provenance = Provenance {
                kind: SourceKind::Import,
                file: Some("synthetic.csv".into()),
                file_sha256: Some(format!("{:064x}", seed)),
                line: Some(i + 2),
                image_sha256: (i % 3 == 0).then(|| format!("{:064x}", i)),
                qr_payload: (i % 3 == 0).then(|| format!("{station}!{}", next() % 1000)),
                received: Some("2024-07-29T06:00:00Z".into()),
                submitted_by: (i % 7 == 0).then(|| format!("witness-{}", i % 13)),
            };
            r
        })
        .collect()
}

/// Copies a directory tree.
pub fn copy_dir(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).unwrap_or_else(|e| panic!("{}: {e}", dst.display()));
    for e in fs::read_dir(src).unwrap_or_else(|e| panic!("{}: {e}", src.display())) {
        let e = e.unwrap_or_else(|e| panic!("{e}"));
        let to = dst.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            fs::copy(e.path(), &to).unwrap_or_else(|err| panic!("{}: {err}", to.display()));
        }
    }
}

/// The frames of an `entries` file: `u32 BE length || entry || leaf hash`.
pub fn read_frames(path: &Path) -> Vec<Vec<u8>> {
    let b = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 4 <= b.len() {
        let len = u32::from_be_bytes([b[pos], b[pos + 1], b[pos + 2], b[pos + 3]]) as usize;
        let end = pos + 4 + len + 32;
        if end > b.len() {
            break;
        }
        out.push(b[pos..end].to_vec());
        pos = end;
    }
    out
}

/// Writes frames back.
pub fn write_frames(path: &Path, frames: &[Vec<u8>]) {
    fs::write(path, frames.concat()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
