//! The 12 real Venezuelan 2024 acta images as sheets under
//! `configs/ve2024-qr.toml`: each of the 11 decoded images becomes a sheet
//! with the numbers of `expected.csv` and its image's provenance, is
//! accepted by the one validation, and its JSON Lines record reads back
//! through the core reader to the same totals. Runs only when
//! `TALLYPROOF_REAL_DATA` is set.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use tallyproof_acta::sheet::{grouping, json_record, validated};
use tallyproof_acta::ve2024::{VE2024_CANDIDATES, VE2024_CARD_COUNT, ve2024_grouping};
use tallyproof_acta::{Scanner, Ve2024};
use tallyproof_core::sheet::SourceKind;
use tallyproof_core::{Config, NoProgress, read_files};

fn expected_rows(dir: &Path) -> Vec<BTreeMap<String, String>> {
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
fn real_actas_become_accepted_sheets_that_read_back() {
    let Some(dir) = common::real_data_dir("venezuela-2024-acta-images") else {
        eprintln!("TALLYPROOF_REAL_DATA not set: skipping the real acta images");
        return;
    };
    let cfg_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/ve2024-qr.toml");
    let cfg = Config::from_path(&cfg_path).expect("configs/ve2024-qr.toml");
    let g = grouping(&cfg, ve2024_grouping()).expect("the config's party lines");
    let scanner = Scanner::new(Ve2024)
        .with_grouping(&g, VE2024_CARD_COUNT)
        .expect("38 cards");
    let scans = scanner.scan_paths(&[&dir], |_| {});
    let sheets = validated(&cfg, &scans).expect("sheets");
    let rows: Vec<_> = expected_rows(&dir)
        .into_iter()
        .filter(|r| !r["qr_payload"].is_empty())
        .collect();
    assert_eq!(rows.len(), 11, "expected.csv: 11 readable codes of 12");
    assert_eq!(sheets.len(), 11);
    for s in &sheets {
        assert!(s.verdict.is_accepted(), "{:?}", s.verdict);
        assert!(s.verdict.reasons().is_empty(), "{:?}", s.verdict);
        let file = s.sheet.origin.file.as_deref().expect("file name");
        assert_eq!(file, scans[s.image].file_name);
        assert!(!file.contains('/'), "a name, not a path: {file}");
        let row = rows
            .iter()
            .find(|r| r["file"] == file)
            .unwrap_or_else(|| panic!("{file} not in expected.csv"));
        assert_eq!(s.sheet.origin.kind, SourceKind::Scan);
        assert_eq!(
            s.sheet.origin.qr_payload.as_deref(),
            Some(row["qr_payload"].as_str())
        );
        assert_eq!(
            Some(s.sheet.station.as_str()),
            row["acta_code"].strip_suffix(".1.0001")
        );
        for (key, name) in VE2024_CANDIDATES {
            let o = cfg.option_index(key).expect("option");
            assert_eq!(s.sheet.counts.options[o], num(row, name), "{file} {key}");
        }
        assert_eq!(s.sheet.counts.valid, Some(num(row, "votos_validos")));
        assert_eq!(s.sheet.counts.null, Some(num(row, "votos_nulos")));
    }

    // The records read back with the same config: 11 accepted sheets whose
    // option totals are expected.csv's column sums.
    let tmp = tempfile::tempdir().expect("scratch dir");
    let out = tmp.path().join("sheets.jsonl");
    let mut w = std::fs::File::create(&out).expect("create");
    for s in &sheets {
        let rec = json_record(&cfg, &s.sheet).expect("record");
        writeln!(w, "{}", serde_json::Value::Object(rec)).expect("write");
    }
    drop(w);
    let ds = read_files(&cfg, &[&out], None, &NoProgress).expect("read back");
    assert_eq!(ds.sheets.len(), 11);
    assert!(ds.quarantine.is_empty());
    for (key, name) in VE2024_CANDIDATES {
        let o = cfg.option_index(key).expect("option");
        let want: u64 = rows.iter().map(|r| num(r, name)).sum();
        let got: u64 = ds.sheets.votes[o].iter().map(|&v| u64::from(v)).sum();
        assert_eq!(got, want, "{key}");
    }
}
