//! Reconciliation and feasibility on a small election worked by hand.

use std::path::PathBuf;

use tallyproof_core::evidence::{Verdict, feasibility, reconcile};
use tallyproof_core::{Announcement, Config, NoProgress, read_files};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/malformed")
}

/// ok.csv has five stations (A, B, C):
/// S001 region 1: 100, 80, 20 (registered 500)
/// S002 region 1: 150, 60, 10 (500)
/// S003 region 2: 200, 190, 30 (700)
/// S004 region 2: 90, 210, 40 (650)
/// S005 region 3: 50, 50, 50 (300)
/// Totals: A 590, B 590, C 150; registered 2,650.
fn setup(ann: &str) -> (Config, tallyproof_core::Dataset, Announcement) {
    let mut cfg = Config::from_path(&corpus().join("corpus.toml")).unwrap();
    // Eight stations in all, 4,000 registered voters: three stations and
    // 1,350 voters not in hand.
    cfg.election.stations_total = Some(8);
    cfg.election.registered_total = Some(4000);
    let ds = read_files(&cfg, &[corpus().join("ok.csv")], None, &NoProgress).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("a.toml");
    std::fs::write(&p, ann).unwrap();
    let a = Announcement::from_path(&p).unwrap();
    (cfg, ds, a)
}

#[test]
fn bounds_by_hand() {
    // "75%" of 8 stations, read as at least 74.5%: ceil(5.96) = 6 processed,
    // so at most 2 left out.
    let (cfg, ds, ann) = setup(
        r#"
label = "t"
[coverage]
stations_share = "75"
[totals]
A = 300
B = 2000
C = 150
"#,
    );
    let f = feasibility(&cfg, &ds, None, &ann).unwrap();
    assert_eq!(f.min_processed, Some(6));
    assert_eq!(f.may_leave_out, Some(2));
    let get = |k: &str| f.stations.iter().find(|b| b.key == k).unwrap();
    // A: 590 − (200 + 150) = 240 ≤ 300: possible; max 590 + 1,350 = 1,940.
    assert_eq!((get("A").min, get("A").max), (240, Some(1940)));
    assert_eq!(get("A").verdict, Verdict::Possible);
    // B: max 590 + 1,350 = 1,940 < 2,000: impossible by 60.
    assert_eq!(get("B").verdict, Verdict::ImpossibleAbove { margin: 60 });
    // C: 150 − (50 + 40) = 60.
    assert_eq!(get("C").min, 60);
    assert!(f.any_impossible);
}

#[test]
fn below_minimum_names_the_coverage_that_would_fit() {
    // 100% claimed: nothing may be left out, so A's minimum is its 590.
    let (cfg, ds, ann) = setup(
        r#"
label = "t"
[coverage]
stations_share = "100"
[totals]
A = 400
"#,
    );
    let f = feasibility(&cfg, &ds, None, &ann).unwrap();
    // "100" read as at least 99.5%: ceil(7.96) = 8 stations, none left out.
    assert_eq!(f.may_leave_out, Some(0));
    let a = &f.stations[0];
    assert_eq!(a.verdict, Verdict::ImpossibleBelow { margin: 190 });
    // Leaving out 190 A votes takes the sheet with 200: one station, so at
    // most 7 of 8 = 87.5% could have been processed.
    assert_eq!(a.stations_to_leave_out, Some(1));
    assert_eq!(a.max_coverage_compatible, Some(0.875));
}

#[test]
fn reconcile_per_unit() {
    let (cfg, ds, ann) = setup(
        r#"
label = "t"
[totals]
A = 600
B = 600
C = 150
[[units]]
level = "region"
code = "2"
totals = { A = 290, B = 410 }
"#,
    );
    let rec = reconcile(&cfg, &ds, &ann).unwrap();
    assert_eq!(rec.len(), 2);
    assert_eq!(rec[1].scope, "region 2");
    // Region 2 sheets: A 290, B 400.
    let b = rec[1].rows.iter().find(|r| r.key == "B").unwrap();
    assert_eq!((b.announced, b.in_sheets, b.difference), (410, 400, 10));
    let a = rec[0].rows.iter().find(|r| r.key == "A").unwrap();
    assert_eq!(a.difference, 10);
    // Announced shares are of the announced valid votes: 600 / 1,350.
    assert!((a.announced_share.unwrap() - 600.0 / 1350.0).abs() < 1e-12);
}

#[test]
fn unknown_total_is_named() {
    let (cfg, ds, ann) = setup("label = \"t\"\n[totals]\nAA = 1\n");
    let e = reconcile(&cfg, &ds, &ann).unwrap_err().to_string();
    assert!(
        e.contains("\"AA\"") && e.contains("did you mean \"A\""),
        "{e}"
    );
}
