//! `tallyproof audit plan | sample | record | assess`, run as a user would,
//! over rounds on one state file: a simulated election (400 stations, every
//! sheet in hand) as the reported results; audited sheets that differ from
//! the reported ones on a few stations of the first round (so the audit
//! escalates to a second round) and agree afterwards; a second observer
//! who rebuilds the state from scratch (same reported file, seed, round
//! sizes and audited files) and gets the same draws and the same risk; a
//! state edited by hand is refused; ballot polling with `--ballots`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tallyproof"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).unwrap()
}

fn usage_error(o: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains(needle), "{needle:?} not in: {err}");
}

/// The simulated election: (config, sheets.csv).
fn election(d: &Path) -> (PathBuf, PathBuf) {
    let sim = d.join("sim");
    ok(&run(&[
        "simulate",
        "--stations",
        "400",
        "--options",
        "3",
        "--seed",
        "1",
        "--missing",
        "0",
        "--out",
        s(&sim),
    ]));
    (sim.join("election.toml"), sim.join("sheets.csv"))
}

/// The header and the rows of `sheets` whose station column is in `ids`;
/// `alter(station, row fields)` may change a row (fields as text).
fn audited_sheets(
    sheets: &Path,
    ids: &BTreeSet<String>,
    out: &Path,
    mut alter: impl FnMut(&str, &mut Vec<String>),
) -> usize {
    let text = std::fs::read_to_string(sheets).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let col = header.split(',').position(|c| c == "station").unwrap();
    let mut body = format!("{header}\n");
    let mut n = 0;
    for line in lines {
        let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
        let id = f[col].clone();
        if ids.contains(&id) {
            alter(&id, &mut f);
            body.push_str(&f.join(","));
            body.push('\n');
            n += 1;
        }
    }
    std::fs::write(out, body).unwrap();
    n
}

fn drawn(round: &serde_json::Value) -> BTreeSet<String> {
    round["draws"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["station"].as_str().unwrap().to_string())
        .collect()
}

/// Column indices (winner, runner-up) of the two leading options in the
/// sheets file, by their totals.
fn leaders(sheets: &Path) -> (usize, usize, Vec<String>) {
    let text = std::fs::read_to_string(sheets).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let first = header.iter().position(|c| c == "valid").unwrap() + 1;
    let mut tot = vec![0u64; header.len()];
    for line in lines {
        for (j, v) in line.split(',').enumerate().skip(first) {
            tot[j] += v.parse::<u64>().unwrap();
        }
    }
    let mut cols: Vec<usize> = (first..header.len()).collect();
    cols.sort_by_key(|&j| std::cmp::Reverse(tot[j]));
    (cols[0], cols[1], header)
}

fn max_risk(a: &serde_json::Value) -> f64 {
    a["assessment"]["assertions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["risk"].as_f64().unwrap())
        .fold(0.0, f64::max)
}

#[test]
fn sheet_audit_over_rounds_with_escalation_and_a_second_observer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (cfg, sheets) = election(d);
    let (w, l, header) = leaders(&sheets);

    // Plan: every method side by side, each size with its assumption.
    let p = json(&run(&[
        "audit",
        "plan",
        "--config",
        s(&cfg),
        "--reported",
        s(&sheets),
        "--risk-limit",
        "0.05",
        "--error-rate",
        "0.01",
        "--json",
    ]));
    let plans = p["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 3);
    for r in plans {
        assert!(r["size"].as_u64().unwrap() >= 1, "{r}");
        assert!(!r["assumption"].as_str().unwrap().is_empty());
    }
    assert_eq!(p["stations"], 400);
    let people = ok(&run(&[
        "audit",
        "plan",
        "--config",
        s(&cfg),
        "--reported",
        s(&sheets),
    ]));
    assert!(
        people.contains("macro") && people.contains("alpha") && people.contains("bravo"),
        "{people}"
    );
    assert!(people.contains("assumes:"), "{people}");

    // Bad usage exits 2 with the reason.
    usage_error(
        &run(&[
            "audit",
            "plan",
            "--config",
            s(&cfg),
            "--reported",
            s(&sheets),
            "--method",
            "polling",
        ]),
        "unknown method",
    );
    usage_error(
        &run(&[
            "audit",
            "plan",
            "--config",
            s(&cfg),
            "--reported",
            s(&sheets),
            "--risk-limit",
            "1.5",
        ]),
        "risk limit",
    );

    // Start the audit (ALPHA), as the first observer and as a second.
    let start = |state: &Path| {
        ok(&run(&[
            "audit",
            "plan",
            "--config",
            s(&cfg),
            "--reported",
            s(&sheets),
            "--method",
            "alpha",
            "--error-rate",
            "0.01",
            "--state",
            s(state),
        ]))
    };
    let st = d.join("audit.json");
    let text = start(&st);
    assert!(text.contains("audit sample --state"), "{text}");
    usage_error(&run(&["audit", "sample", "--state", s(&st)]), "--seed");
    usage_error(
        &run(&["audit", "assess", "--state", s(&d.join("none.json"))]),
        "none.json",
    );

    let seed = "2024-07-29 dice 3 1 4 1 5 9 2 6";
    let r1 = json(&run(&[
        "audit",
        "sample",
        "--state",
        s(&st),
        "--seed",
        seed,
        "--out",
        s(&d.join("round1.csv")),
        "--json",
    ]));
    let n1 = r1["draws"].as_array().unwrap().len();
    assert!(n1 >= 5, "{r1}");
    let csv = std::fs::read_to_string(d.join("round1.csv")).unwrap();
    assert_eq!(csv.lines().count(), n1 + 1);
    usage_error(
        &run(&["audit", "sample", "--state", s(&st), "--seed", "another"]),
        "already fixed",
    );

    // Nothing recorded yet: wait.
    let a = json(&run(&["audit", "assess", "--state", s(&st), "--json"]));
    assert_eq!(a["assessment"]["decision"]["decision"], "awaiting_results");
    assert_eq!(
        a["assessment"]["decision"]["outstanding"].as_u64(),
        Some(n1 as u64)
    );
    assert!(a["assumes"].as_str().unwrap().contains("seed"));
    usage_error(
        &run(&["audit", "sample", "--state", s(&st)]),
        "not recorded",
    );

    // Round 1's audited sheets: three of them move 60 votes from the
    // winner to the runner-up (each overstates the margin by 120 votes).
    let ids1 = drawn(&r1);
    let mut altered = 0;
    let a1 = d.join("audited1.csv");
    let rows = audited_sheets(&sheets, &ids1, &a1, |_, f| {
        if altered < 3 {
            let (vw, vl): (u64, u64) = (f[w].parse().unwrap(), f[l].parse().unwrap());
            let k = vw.min(60);
            f[w] = (vw - k).to_string();
            f[l] = (vl + k).to_string();
            altered += 1;
        }
    });
    assert_eq!(rows, ids1.len());
    let rec = ok(&run(&[
        "audit",
        "record",
        "--state",
        s(&st),
        "--config",
        s(&cfg),
        s(&a1),
    ]));
    assert!(rec.contains("3 differ"), "{rec}");

    let a = json(&run(&["audit", "assess", "--state", s(&st), "--json"]));
    assert_eq!(
        a["assessment"]["discrepancies"].as_u64(),
        Some(3),
        "{a} (header {header:?})"
    );
    assert_eq!(a["assessment"]["decision"]["decision"], "next_round", "{a}");
    let risk1 = max_risk(&a);
    assert!(risk1 > 0.05, "{a}");
    let people = ok(&run(&["audit", "assess", "--state", s(&st)]));
    assert!(people.contains("GO ON"), "{people}");
    assert!(people.contains("assumes:"), "{people}");

    // Further rounds with the assessed sizes; their audited sheets agree.
    let mut sizes = vec![n1];
    let mut audited = vec![a1.clone()];
    let mut last = a;
    for round in 2..=8 {
        if last["assessment"]["decision"]["decision"] != "next_round" {
            break;
        }
        let want = last["assessment"]["decision"]["size"].as_u64().unwrap() as usize;
        let r = json(&run(&["audit", "sample", "--state", s(&st), "--json"]));
        assert_eq!(r["number"].as_u64(), Some(round));
        let ids = drawn(&r);
        assert_eq!(r["draws"].as_array().unwrap().len(), want);
        let f = d.join(format!("audited{round}.csv"));
        audited_sheets(&sheets, &ids, &f, |_, _| {});
        ok(&run(&[
            "audit",
            "record",
            "--state",
            s(&st),
            "--config",
            s(&cfg),
            s(&f),
        ]));
        sizes.push(want);
        audited.push(f);
        last = json(&run(&["audit", "assess", "--state", s(&st), "--json"]));
    }
    assert!(sizes.len() >= 2, "no escalation: {sizes:?}");
    assert_eq!(
        last["assessment"]["decision"]["decision"], "confirmed",
        "{last}"
    );
    let risk = max_risk(&last);
    assert!(risk <= 0.05, "{last}");
    let people = ok(&run(&["audit", "assess", "--state", s(&st)]));
    assert!(people.contains("STOP"), "{people}");
    usage_error(&run(&["audit", "sample", "--state", s(&st)]), "over");

    // A second observer: the same reported file, seed, round sizes and
    // audited sheets, from scratch, give the same draws and the same risk.
    let st2 = d.join("observer.json");
    start(&st2);
    for (k, (n, f)) in sizes.iter().zip(&audited).enumerate() {
        let mut args = vec!["audit", "sample", "--state", s(&st2)];
        let n = n.to_string();
        args.extend(["--size", &n]);
        if k == 0 {
            args.extend(["--seed", seed]);
        }
        ok(&run(&args));
        ok(&run(&[
            "audit",
            "record",
            "--state",
            s(&st2),
            "--config",
            s(&cfg),
            s(f),
        ]));
    }
    let again = json(&run(&["audit", "assess", "--state", s(&st2), "--json"]));
    assert_eq!(again["assessment"], last["assessment"]);
    let one: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&st).unwrap()).unwrap();
    let two: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&st2).unwrap()).unwrap();
    assert_eq!(one["rounds"], two["rounds"]);

    // A state whose draw was edited by hand is refused.
    let mut bad = one.clone();
    let other = bad["rounds"][0]["draws"][1]["station"].clone();
    bad["rounds"][0]["draws"][0]["station"] = other;
    let st3 = d.join("edited.json");
    std::fs::write(&st3, serde_json::to_string(&bad).unwrap()).unwrap();
    usage_error(
        &run(&["audit", "assess", "--state", s(&st3)]),
        "from the seed",
    );
}

#[test]
fn ballot_polling_audit_records_ballots() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (cfg, sheets) = election(d);
    let (w, _, header) = leaders(&sheets);
    let st = d.join("bravo.json");
    ok(&run(&[
        "audit",
        "plan",
        "--config",
        s(&cfg),
        "--reported",
        s(&sheets),
        "--method",
        "bravo",
        "--state",
        s(&st),
    ]));
    let r = json(&run(&[
        "audit",
        "sample",
        "--state",
        s(&st),
        "--seed",
        "bravo seed 8 8 1",
        "--json",
    ]));
    let draws = r["draws"].as_array().unwrap();
    assert!(!draws.is_empty());
    for dr in draws {
        let b = dr["ballot"].as_u64().unwrap();
        assert!(b >= 1);
    }
    // Every drawn ballot is for the reported winner: the audit confirms.
    let mut text = String::from("draw,vote\n");
    for dr in draws {
        text.push_str(&format!("{},{}\n", dr["number"], header[w]));
    }
    let f = d.join("ballots.csv");
    std::fs::write(&f, &text).unwrap();
    let rec = ok(&run(&[
        "audit",
        "record",
        "--state",
        s(&st),
        "--ballots",
        s(&f),
    ]));
    assert!(
        rec.replace(',', "")
            .contains(&format!("recorded {}", draws.len())),
        "{rec}"
    );
    let a = json(&run(&["audit", "assess", "--state", s(&st), "--json"]));
    assert_eq!(a["assessment"]["decision"]["decision"], "confirmed", "{a}");

    // A vote for an option that is not in the contest, or a draw that was
    // not made, is refused with the line.
    std::fs::write(&f, "draw,vote\n1,NOBODY\n").unwrap();
    usage_error(
        &run(&["audit", "record", "--state", s(&st), "--ballots", s(&f)]),
        "not in the contest",
    );
    std::fs::write(&f, "draw,vote\n999999,\n").unwrap();
    usage_error(
        &run(&["audit", "record", "--state", s(&st), "--ballots", s(&f)]),
        "was not drawn",
    );
}
