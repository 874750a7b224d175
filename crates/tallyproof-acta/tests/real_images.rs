//! The 12 real Venezuelan 2024 acta images (`venezuela-2024-acta-images`,
//! see its PROVENANCE.md): each of the 11 with a readable QR code decodes
//! to exactly the numbers in `expected.csv`, and the sheet whose code is
//! cut off is listed with a clear reason. Runs only when
//! `TALLYPROOF_REAL_DATA` is set.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use tallyproof_acta::ve2024::VE2024_CANDIDATES;
use tallyproof_acta::{FailureReason, Scanner, Summary};

const IMAGES: usize = 12;

fn expected_rows(dir: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let path = dir.join("expected.csv");
    let mut rdr = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("TALLYPROOF_REAL_DATA is set but {}: {e}", path.display()));
    let headers = rdr.headers().expect("expected.csv header").clone();
    rdr.records()
        .map(|r| {
            let r = r.expect("expected.csv row");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, col: &str) -> u64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col} in expected.csv: {:?}", row[col]))
}

#[test]
fn real_actas_decode_to_expected_numbers() {
    let Some(dir) = common::real_data_dir("venezuela-2024-acta-images") else {
        eprintln!("TALLYPROOF_REAL_DATA not set: skipping the real acta images");
        return;
    };
    let rows = expected_rows(&dir);
    assert_eq!(rows.len(), IMAGES, "expected.csv rows");
    for row in &rows {
        let f = dir.join(&row["file"]);
        assert!(
            f.is_file(),
            "TALLYPROOF_REAL_DATA is set but {} is missing",
            f.display()
        );
    }

    let ticks = AtomicUsize::new(0);
    let scans = Scanner::ve2024().scan_paths(&[&dir], |_| {
        ticks.fetch_add(1, Ordering::Relaxed);
    });
    assert_eq!(scans.len(), IMAGES, "every image is listed");
    assert_eq!(
        ticks.load(Ordering::Relaxed),
        IMAGES,
        "one progress tick per image"
    );

    for row in &rows {
        let file = &row["file"];
        let scan = scans
            .iter()
            .find(|s| &s.file_name == file)
            .unwrap_or_else(|| panic!("{file} not in the scan results"));
        assert_eq!(
            scan.sha256.as_deref(),
            Some(row_sha(&dir, file).as_str()),
            "{file}"
        );
        if row["qr_payload"].is_empty() {
            // The negative case: the QR code is cut off at the sheet's edge.
            let failure = scan.result().expect_err("cut-off QR must fail");
            assert_eq!(failure.reason, FailureReason::NoQrFound, "{file}");
            assert!(failure.to_string().contains(file.as_str()), "{failure}");
            continue;
        }
        let d = scan
            .result()
            .unwrap_or_else(|f| panic!("{file} should decode: {f}"));
        assert_eq!(d.raw_payload, row["qr_payload"], "{file}");
        let acta = &row["acta_code"];
        assert_eq!(&d.payload.sheet_code, acta, "{file}");
        assert_eq!(
            Some(d.payload.station_id.as_str()),
            acta.strip_suffix(".1.0001"),
            "{file}"
        );
        assert_eq!(
            d.payload.lines_total(),
            Some(num(row, "votos_validos")),
            "{file}"
        );
        assert_eq!(d.payload.null_votes, num(row, "votos_nulos"), "{file}");
        assert_eq!(d.payload.extra[0].count, num(row, "field4"), "{file}");
        assert_eq!(d.options.len(), VE2024_CANDIDATES.len());
        for (key, name) in VE2024_CANDIDATES {
            let got = d.options.iter().find(|c| c.name == key).map(|c| c.count);
            assert_eq!(got, Some(num(row, name)), "{file} {key}");
        }
    }

    let summary = Summary::of(&scans);
    assert_eq!(summary.decoded, 11);
    assert_eq!(summary.failed, vec![(FailureReason::NoQrFound, 1)]);
}

fn row_sha(dir: &std::path::Path, file: &str) -> String {
    // PROVENANCE.md lists the sha256 of every file; expected.json carries
    // the same. Recompute independently of the library.
    use sha2::Digest;
    let bytes = std::fs::read(dir.join(file)).expect("readable image");
    hex::encode(sha2::Sha256::digest(&bytes))
}
