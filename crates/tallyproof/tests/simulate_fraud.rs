//! `tallyproof simulate --fraud`: the stations listed in truth.json are
//! exactly those whose sheets differ from the clean election of the same
//! seed, with the counts truth.json says, and the altered sheets still pass
//! validation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

fn simulate(dir: &Path, extra: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_tallyproof"))
        .args([
            "simulate",
            "--stations",
            "4000",
            "--options",
            "4",
            "--seed",
            "31",
            "--missing",
            "0.1",
            "--out",
            dir.to_str().unwrap(),
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// station id -> the sheet's line.
fn sheets(dir: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("sheets.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| (l.split(',').nth(3).unwrap().to_string(), l.to_string()))
        .collect()
}

#[test]
fn fraud_stations_are_listed_and_the_sheets_differ_exactly_there() {
    let clean = tempfile::tempdir().unwrap();
    let fraud = tempfile::tempdir().unwrap();
    simulate(clean.path(), &[]);
    simulate(
        fraud.path(),
        &[
            "--fraud",
            "stuffing=0.05",
            "--fraud",
            "whole-turnout=0.01",
            "--fraud",
            "transfer=0.02",
        ],
    );
    let a = sheets(clean.path());
    let b = sheets(fraud.path());
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same stations with a sheet"
    );
    let differ: BTreeSet<String> = a
        .iter()
        .filter(|(k, v)| b[*k] != **v)
        .map(|(k, _)| k.clone())
        .collect();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fraud.path().join("truth.json")).unwrap())
            .unwrap();
    let altered = truth["altered_stations"].as_array().unwrap();
    let listed: BTreeSet<String> = altered
        .iter()
        .map(|a| a["station"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(differ, listed);
    // 4,000 stations, about 3,600 with a sheet: stuffing at 5% alters about
    // 180 of them (every one: all have non-voters), so at least 150 differ.
    assert!(listed.len() > 150, "{}", listed.len());
    let frauds = truth["frauds"].as_array().unwrap();
    assert_eq!(frauds.len(), 3);
    assert_eq!(frauds[0]["kind"], "stuffing");
    assert_eq!(frauds[1]["kind"], "whole-turnout");
    assert_eq!(frauds[2]["kind"], "transfer");
    // Every altered station was chosen by a fraud; a chosen station can be
    // left as it was (a turnout already at a whole percent, a transfer that
    // rounds to 0 votes), so nearly all, not all, chosen stations differ.
    let chosen: BTreeSet<String> = frauds
        .iter()
        .flat_map(|f| f["stations"].as_array().unwrap().iter())
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    assert!(listed.is_subset(&chosen));
    assert!(
        listed.len() * 100 >= chosen.len() * 95,
        "{} of {}",
        listed.len(),
        chosen.len()
    );
    // The counts truth.json gives "after" are the fraud sheet's (columns:
    // region, region_name, district, station, registered, ballots, null,
    // valid, A, B, C, D), and "before" the clean sheet's.
    for alt in altered {
        let id = alt["station"].as_str().unwrap();
        for (sheet, side) in [(&a[id], 0), (&b[id], 1)] {
            let f: Vec<u64> = sheet
                .split(',')
                .skip(4)
                .map(|x| x.parse().unwrap())
                .collect();
            assert_eq!(f[1], alt["ballots"][side].as_u64().unwrap(), "{id}");
            for j in 0..4 {
                assert_eq!(f[4 + j], alt["votes"][j][side].as_u64().unwrap(), "{id}");
            }
            // Still a consistent sheet: options add up to valid, ballots
            // are valid + null and at most registered.
            assert_eq!(f[4..].iter().sum::<u64>(), f[3]);
            assert_eq!(f[2] + f[3], f[1]);
            assert!(f[1] <= f[0]);
        }
    }
    // The altered sheets pass validation like a real falsified protocol.
    let out = Command::new(env!("CARGO_BIN_EXE_tallyproof"))
        .args(["validate", "--config"])
        .arg(fraud.path().join("election.toml"))
        .arg(fraud.path().join("sheets.csv"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_bad_fraud_is_bad_usage() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["stuffing", "stuffing=2", "arson=0.1"] {
        let out = Command::new(env!("CARGO_BIN_EXE_tallyproof"))
            .args(["simulate", "--stations", "100", "--out"])
            .arg(dir.path())
            .args(["--fraud", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("fraud"),
            "{bad}"
        );
    }
}
