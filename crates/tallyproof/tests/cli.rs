//! The compiled binary, run as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tallyproof"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn simulate_then_tabulate_gives_the_simulated_totals() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "simulate",
        "--stations",
        "3000",
        "--options",
        "4",
        "--seed",
        "9",
        "--missing",
        "0.2",
        "--out",
        s(dir.path()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The truth of the sheets in hand, computed from the simulation directly.
    let sim = tallyproof_stats::simulate::simulate(&tallyproof_stats::simulate::SimParams {
        stations: 3000,
        options: 4,
        seed: 9,
        missing_share: 0.2,
    })
    .unwrap();
    let in_hand: Vec<u64> = sim
        .votes
        .iter()
        .map(|v| {
            (0..sim.len())
                .filter(|&i| sim.has_sheet[i])
                .map(|i| u64::from(v[i]))
                .sum()
        })
        .collect();
    let d = dir.path();
    let out = run(&[
        "tabulate",
        "--config",
        s(&d.join("election.toml")),
        "--registry",
        s(&d.join("registry.csv")),
        s(&d.join("sheets.csv")),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let votes: Vec<u64> = v["national"]["units"][0]["votes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(votes, in_hand);
    let with_sheet = sim.has_sheet.iter().filter(|h| **h).count() as u64;
    assert_eq!(v["national"]["units"][0]["sheets"], with_sheet);
    assert_eq!(v["national"]["units"][0]["stations_known"], 3000);
    // Per-region sheets add up to the national count.
    let regions = v["by_level"]["units"].as_array().unwrap();
    let sum: u64 = regions.iter().map(|u| u["sheets"].as_u64().unwrap()).sum();
    assert_eq!(sum, with_sheet);
}

#[test]
fn validate_exit_codes_and_quarantine_file() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = repo().join("tests/malformed");
    let cfg = corpus.join("corpus.toml");
    let q = dir.path().join("q.csv");
    let out = run(&["validate", "-c", s(&cfg), s(&corpus.join("ok.csv"))]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&[
        "validate",
        "-c",
        s(&cfg),
        s(&corpus.join("negative_count.csv")),
        "--quarantine",
        s(&q),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("negative_count.csv:7 station S006: E004"),
        "{text}"
    );
    let qtext = std::fs::read_to_string(&q).unwrap();
    assert!(
        qtext.starts_with("_file,_line,_station,_codes,_reasons,station,"),
        "{qtext}"
    );
    assert!(qtext.contains("S006"));
    // A missing column is bad input: exit 2, the message names the column
    // and the nearest header.
    let out = run(&[
        "tabulate",
        "-c",
        s(&cfg),
        s(&corpus.join("missing_column.csv")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("missing_column.csv") && err.contains("\"B\""),
        "{err}"
    );
}

#[test]
fn config_typo_is_named_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[election]\nname='x'\n[station]\nid=['s']\n[[options]]\nkey='A'\n[columns]\nvalidd='v'\n",
    )
    .unwrap();
    let corpus = repo().join("tests/malformed");
    let out = run(&["tabulate", "-c", s(&cfg), s(&corpus.join("ok.csv"))]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"validd\"") && err.contains("did you mean \"valid\""),
        "{err}"
    );
}

#[test]
fn demo_runs_and_shows_validation_and_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["demo", "--stations", "2000", "--out", s(dir.path())]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for want in [
        "E009  conflict",
        "E003  count-unparseable",
        "W103  duplicate-merged",
        "coverage:",
        "by region",
        "IMPOSSIBLE",
        "== Robustness",
        "report: ",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "self-contained report"
    );
}

#[test]
fn rules_markdown_matches_docs() {
    let out = run(&["rules", "--markdown"]);
    let docs = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        docs,
        "regenerate with: tallyproof rules --markdown > docs/rules.md"
    );
}

fn real(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("TALLYPROOF_REAL_DATA")?;
    let p = PathBuf::from(root).join(rel);
    assert!(
        p.exists(),
        "TALLYPROOF_REAL_DATA is set but {} is missing",
        p.display()
    );
    Some(p)
}

#[test]
fn reconcile_venezuela_bulletin_2_says_impossible_and_exits_0() {
    let Some(csv) = real("venezuela-2024-resultadosconvzla/RESULTADOS_2024_CSV_V1.csv") else {
        return;
    };
    let units = real("venezuela-2024-coverage/convzla_units_2024-08-01.csv").unwrap();
    let cfg = repo().join("configs/ve2024.toml");
    let ann = repo().join("announcements/ve2024-cne-2.toml");
    let out = run(&[
        "reconcile",
        "-c",
        s(&cfg),
        "-a",
        s(&ann),
        "--registry",
        s(&units),
        s(&csv),
    ]);
    // Findings are data: exit 0.
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("EG      5,326,104   7,156,462       6,696,357"),
        "{text}"
    );
    assert!(text.contains("IMPOSSIBLE: 1,370,253 below min"), "{text}");
    assert!(
        text.contains("assumption: the sheets in hand are genuine"),
        "{text}"
    );
    let out = run(&[
        "reconcile",
        "-c",
        s(&cfg),
        "-a",
        s(&ann),
        "--registry",
        s(&units),
        s(&csv),
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let eg = v["feasibility"]["stations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["key"] == "EG")
        .unwrap()
        .clone();
    assert_eq!(eg["min"], 6_696_357);
    assert_eq!(eg["verdict"]["verdict"], "impossible-below");
    assert_eq!(v["feasibility"]["any_impossible"], true);
}

#[test]
fn robustness_venezuela_worst_case_cannot_overturn() {
    let Some(csv) = real("venezuela-2024-resultadosconvzla/RESULTADOS_2024_CSV_V1.csv") else {
        return;
    };
    let units = real("venezuela-2024-coverage/convzla_units_2024-08-01.csv").unwrap();
    let cfg = repo().join("configs/ve2024.toml");
    let out = run(&[
        "robustness",
        "-c",
        s(&cfg),
        "--registry",
        s(&units),
        s(&csv),
        "--replicates",
        "300",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // 21,321,805 registered − 17,745,239 in the sheets = 3,576,566 at the
    // 5,494 mesas not in hand, fewer than the 3,915,001-vote lead.
    assert_eq!(v["worst_case"]["lead"], 7_156_462 - 3_241_461);
    assert_eq!(v["worst_case"]["registered_missing"], 3_576_566);
    assert_eq!(v["worst_case"]["can_overturn"], false);
    assert_eq!(v["projection"]["p_winner_differs"], 0.0);
    assert!(
        v["projection"]["assumptions"]
            .as_str()
            .unwrap()
            .contains("missing at random")
    );
}

#[test]
fn a_missing_file_is_named_once_with_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = repo().join("tests/coverage/wide.toml");
    let missing = dir.path().join("nope.csv");
    let out = run(&["tabulate", "--config", s(&cfg), s(&missing)]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("nope.csv").count(), 1, "{err}");
    // The I/O error's text (e.g. "No such file or directory (os error 2)").
    let cause = std::io::Error::from(std::io::ErrorKind::NotFound).to_string();
    let os = err.matches("os error 2").count();
    assert!(os == 1 || err.matches(&cause).count() == 1, "{err}");
}
