//! `tallyproof sample` and `tallyproof quickcount`, run as a user would, on
//! a simulated election (3,000 stations, 20% of the sheets missing).

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tallyproof"))
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn commit_plan_draw_verify_estimate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sim = d.join("sim");
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
        s(&sim),
    ]);
    assert!(out.status.success());
    let cfg = sim.join("election.toml");
    let reg = sim.join("registry.csv");
    let sheets = sim.join("sheets.csv");
    let seed = d.join("seed.txt");
    std::fs::write(&seed, "31415926535897932384\n").unwrap();

    // The commitment is SHA-256 of the tag and the seed (the file's line end
    // dropped), as sha256sum computes it.
    let c = json(&run(&[
        "sample",
        "commit",
        "--seed-source",
        s(&seed),
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--json",
    ]));
    let sum = Command::new("sh")
        .arg("-c")
        .arg("printf '%s' 'tallyproof-seed-commitment-v1:31415926535897932384' | sha256sum")
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let want = String::from_utf8_lossy(&sum.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(c["seed_commitment"], want.as_str());
    assert_eq!(c["frame_stations"], 3000);

    let plan = d.join("plan.json");
    let p = json(&run(&[
        "quickcount",
        "plan",
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--margin",
        "0.02",
        "--out",
        s(&plan),
        "--json",
    ]));
    let sizes: u64 = p["strata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["size"].as_u64().unwrap())
        .sum();
    assert_eq!(p["size"].as_u64().unwrap(), sizes);
    assert_eq!(p["strata_level"], "region");
    assert!(sizes > 20 && sizes < 3000, "{sizes}");

    let sample = d.join("sample.json");
    let out = run(&[
        "sample",
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--seed-source",
        s(&seed),
        "--plan",
        s(&plan),
        "--out",
        s(&sample),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = run(&[
        "sample",
        "verify",
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--sample",
        s(&sample),
    ]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );

    // A station swapped: verify says where (exit 1), estimate refuses (exit 2).
    let mut t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sample).unwrap()).unwrap();
    t["strata"][0]["draws"][0]["id"] = "99-99999-9999999".into();
    let bad = d.join("bad.json");
    std::fs::write(&bad, t.to_string()).unwrap();
    let v = run(&[
        "sample",
        "verify",
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--sample",
        s(&bad),
    ]);
    assert_eq!(v.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&v.stdout).contains("draw 1"));
    let e = run(&[
        "quickcount",
        "estimate",
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--sample",
        s(&bad),
        s(&sheets),
    ]);
    assert_eq!(e.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&e.stderr).contains("not the published draw"));

    // The estimate: about 80% of the sampled sheets are in hand.
    let e = json(&run(&[
        "quickcount",
        "estimate",
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--sample",
        s(&sample),
        s(&sheets),
        "--json",
    ]));
    let est = &e["estimate"];
    let (drawn, arrived) = (
        est["drawn"].as_f64().unwrap(),
        est["arrived"].as_f64().unwrap(),
    );
    assert_eq!(drawn, sizes as f64);
    assert!((arrived / drawn - 0.8).abs() < 0.1, "{arrived} of {drawn}");
    let shares: f64 = est["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["share"]["estimate"].as_f64().unwrap())
        .sum();
    assert!((shares - 1.0).abs() < 1e-9);
    assert!(
        est["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("missing at random"))
    );
}
