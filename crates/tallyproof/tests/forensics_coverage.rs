//! `tallyproof forensics` says first how many stations have no sheet: the
//! tests see only the stations with one.

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn forensics(json: bool) -> String {
    let dir = root().join("tests/coverage");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tallyproof"));
    cmd.arg("forensics")
        .arg("--config")
        .arg(dir.join("wide.toml"))
        .arg(dir.join("wide_with_empty_rows.csv"))
        .args(["--replicates", "20"]);
    if json {
        cmd.arg("--json");
    }
    let o = cmd.output().expect("run tallyproof");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn forensics_names_the_stations_without_a_sheet() {
    // The file lists 6 stations, 2 of them with every count empty (see
    // tests/coverage and crates/tallyproof-core/tests/contests.rs).
    let text = forensics(false);
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with("Coverage: 4 of 6 stations have a sheet (2 without)"),
        "{text}"
    );
    assert!(first.contains("the input itself"), "{first}");
    let v: serde_json::Value = serde_json::from_str(&forensics(true)).expect("json");
    assert_eq!(v["coverage"]["sheets"], 4);
    assert_eq!(v["coverage"]["stations_known"], 6);
    assert_eq!(v["coverage"]["without_sheet"], 2);
}
