//! `tallyproof validate --show N`: at most N rejected sheets listed on
//! screen, each with all its reasons; the count of the rest; exit code 1
//! whenever a sheet is quarantined.

use std::process::Command;

const CONFIG: &str = r#"
[election]
name = "show"
[station]
id = ["station"]
[columns]
valid = "valid"
[[options]]
key = "A"
[[options]]
key = "B"
"#;

/// Stations 1 and 7 are clean; 2-6 are rejected: 2, 3 and 5 do not add
/// up (E006), 4 has a text count (E003), 6 has a text count and a
/// negative one (E003 and E004: one sheet, two reasons).
const SHEETS: &str =
    "station,A,B,valid\n1,10,5,15\n2,1,1,3\n3,2,2,5\n4,x,1,1\n5,0,1,2\n6,x,-2,9\n7,1,1,2\n";

fn validate(show: Option<&str>) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("scratch dir");
    let cfg = dir.path().join("c.toml");
    let csv = dir.path().join("s.csv");
    std::fs::write(&cfg, CONFIG).expect("config");
    std::fs::write(&csv, SHEETS).expect("sheets");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tallyproof"));
    cmd.arg("validate").arg("--config").arg(&cfg).arg(&csv);
    if let Some(n) = show {
        cmd.args(["--show", n]);
    }
    let o = cmd.output().expect("run tallyproof");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

/// The lines listing a rejected sheet's reasons.
fn listed(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.starts_with("  ") && l.contains(" station "))
        .collect()
}

#[test]
fn show_limits_the_sheets_listed() {
    let (code, out) = validate(Some("2"));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("7 rows read: 2 accepted, 5 quarantined"),
        "{out}"
    );
    let lines = listed(&out);
    // Stations 2 and 3, one reason each (lines 3 and 4 of the file).
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].contains(":3 station 2: E006"), "{out}");
    assert!(lines[1].contains(":4 station 3: E006"), "{out}");
    assert!(out.contains("… and 3 more"), "{out}");
}

#[test]
fn a_sheet_is_listed_with_every_reason_and_zero_lists_none() {
    let (code, out) = validate(Some("5"));
    assert_eq!(code, Some(1));
    let lines = listed(&out);
    // Five sheets, six reasons: station 6 has two.
    assert_eq!(lines.len(), 6, "{out}");
    let six: Vec<&&str> = lines.iter().filter(|l| l.contains("station 6:")).collect();
    assert_eq!(six.len(), 2, "{out}");
    assert!(!out.contains("more ("), "{out}");

    let (code, out) = validate(Some("0"));
    assert_eq!(code, Some(1));
    assert!(listed(&out).is_empty(), "{out}");
    assert!(!out.contains("quarantined:"), "{out}");

    // The default lists up to 20.
    let (_, out) = validate(None);
    assert_eq!(listed(&out).len(), 6, "{out}");
}
