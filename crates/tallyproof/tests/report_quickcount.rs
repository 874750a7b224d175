//! `tallyproof report --sample`: the HTML report gains a quick-count
//! section from the sheets of a published sample (a simulated election of
//! 3,000 stations; a sample of 400 drawn by `tallyproof sample`), set beside
//! an announcement that swaps the first two options' totals (far outside
//! the interval) and with its assumptions; a sample that is not the
//! published draw, or one given without the frame, is refused.

use std::path::Path;
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

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn report_with_a_published_sample_has_a_quick_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sim = d.join("sim");
    ok(&run(&[
        "simulate",
        "--stations",
        "3000",
        "--options",
        "3",
        "--seed",
        "4",
        "--missing",
        "0",
        "--out",
        s(&sim),
    ]));
    let (cfg, reg, sheets) = (
        sim.join("election.toml"),
        sim.join("registry.csv"),
        sim.join("sheets.csv"),
    );
    let seed = d.join("seed.txt");
    std::fs::write(&seed, "271828182845904523536\n").unwrap();
    let sample = d.join("sample.json");
    ok(&run(&[
        "sample",
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--seed-source",
        s(&seed),
        "--size",
        "400",
        "--out",
        s(&sample),
    ]));

    // An announcement with the first two options' totals swapped.
    let text = std::fs::read_to_string(&sheets).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let first = header.iter().position(|c| *c == "valid").unwrap() + 1;
    let mut tot = vec![0u64; header.len()];
    for l in lines {
        for (j, v) in l.split(',').enumerate().skip(first) {
            tot[j] += v.parse::<u64>().unwrap();
        }
    }
    let mut cols: Vec<usize> = (first..header.len()).collect();
    cols.sort_by_key(|&j| std::cmp::Reverse(tot[j]));
    let mut ann = String::from("label = \"Swapped\"\n\n[totals]\n");
    for (k, &j) in cols.iter().enumerate() {
        let v = match k {
            0 => tot[cols[1]],
            1 => tot[cols[0]],
            _ => tot[j],
        };
        ann.push_str(&format!("{} = {v}\n", header[j]));
    }
    let annf = d.join("swapped.toml");
    std::fs::write(&annf, ann).unwrap();

    let html = d.join("report.html");
    ok(&run(&[
        "report",
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--sample",
        s(&sample),
        "--announcement",
        s(&annf),
        "--replicates",
        "20",
        "-o",
        s(&html),
        s(&sheets),
    ]));
    let h = std::fs::read_to_string(&html).unwrap();
    for needle in [
        "<h2>Quick count</h2>",
        "of the 400 stations drawn",
        "Realised sample",
        "Against the announcement “Swapped”",
        "outside by",
        "<b>Assumes:</b>",
        "published sample",
    ] {
        assert!(h.contains(needle), "{needle:?} not in the report");
    }
    // Every option's row has an interval; the leader is the sheets' leader.
    let section = &h[h.find("<h2>Quick count</h2>").unwrap()..];
    let section = &section[..section.find("Realised sample").unwrap()];
    assert_eq!(section.matches(" – ").count(), 3, "{section}");
    assert!(
        section.contains(&format!("{} leads", header[cols[0]])),
        "{section}"
    );

    // Without the frame, or with a sample that is not the draw: refused.
    let o = run(&[
        "report",
        "--config",
        s(&cfg),
        "--sample",
        s(&sample),
        "-o",
        s(&html),
        s(&sheets),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--registry"));
    let mut t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sample).unwrap()).unwrap();
    t["strata"][0]["draws"][0]["id"] = "99-99999-9999999".into();
    let bad = d.join("bad.json");
    std::fs::write(&bad, t.to_string()).unwrap();
    let o = run(&[
        "report",
        "--config",
        s(&cfg),
        "--registry",
        s(&reg),
        "--sample",
        s(&bad),
        "-o",
        s(&html),
        s(&sheets),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not the published draw"));
}
