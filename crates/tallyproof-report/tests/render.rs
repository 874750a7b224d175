//! The report of a simulated election: self-contained, with every section,
//! and (when Chromium is installed) rendered to a PNG for a person to look at.

use tallyproof_report::{Coverage, OptionTotal, RegionRow, ReportData, Verdict, render};
use tallyproof_stats::forensics::{Input, Options, Stations, TESTS, run_suite};
use tallyproof_stats::fraud::{Fraud, Rounded, inject};
use tallyproof_stats::simulate::{SimParams, simulate};

fn report() -> String {
    let mut sim = match simulate(&SimParams {
        stations: 3000,
        options: 4,
        seed: 5,
        missing_share: 0.0,
    }) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let frauds = [
        Fraud::Stuffing {
            share: 0.05,
            fraction: (0.3, 0.9),
            beneficiary: None,
        },
        Fraud::WholePercent {
            share: 0.05,
            rate: Rounded::Turnout,
            beneficiary: None,
        },
    ];
    if let Err(e) = inject(&mut sim, &frauds, 9) {
        panic!("{e}");
    }
    let st = Stations::from(&sim);
    let opts = Options {
        seed: 1,
        replicates: 100,
        level: 0.05,
    };
    let suite = match run_suite(TESTS, &Input::new(&st), &opts) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let totals = sim.true_totals();
    let options: Vec<OptionTotal> = sim
        .option_keys
        .iter()
        .zip(&sim.option_names)
        .zip(&totals)
        .map(|((k, n), &v)| OptionTotal::new(k, n, v))
        .collect();
    let mut regions: Vec<RegionRow> = sim
        .region_names
        .iter()
        .map(|n| RegionRow {
            name: n.clone(),
            sheets: 0,
            votes: vec![0; options.len()],
        })
        .collect();
    for i in 0..sim.len() {
        let r = &mut regions[sim.region[i] as usize];
        r.sheets += 1;
        for (j, v) in sim.votes.iter().enumerate() {
            r.votes[j] += u64::from(v[i]);
        }
    }
    let data = ReportData::new("Simulated election <with fraud>", &st)
        .with_options(options)
        .with_coverage(Coverage {
            sheets: st.len() as u64,
            stations_known: Some(sim.len() as u64),
            ..Coverage::default()
        })
        .with_regions(regions)
        .with_verdict(Verdict {
            label: "bulletin 1".into(),
            possible: false,
            lines: vec!["Option A announced 10 votes above its largest possible total.".into()],
        })
        .with_forensics(&suite)
        .with_source("simulate --stations 3000 --seed 5; stuffing 5%, whole-percent turnout 5%");
    match render(&data) {
        Ok(h) => h,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn report_is_self_contained_and_complete() {
    let html = report();
    // No network and no script: the only URL is the SVG namespace name,
    // which is an identifier, never fetched.
    let stripped = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!stripped.contains("http://") && !stripped.contains("https://"));
    assert!(!stripped.contains("src=") && !stripped.contains("href="));
    assert!(!html.contains("<script"));
    // Title escaped; headline first; every section present.
    assert!(html.contains("Simulated election &lt;with fraud&gt;"));
    let head = html.find("class=\"headline\"").unwrap_or(usize::MAX);
    let charts = html.find("<h2>Charts</h2>").unwrap_or(0);
    assert!(head < charts);
    for needle in [
        "leads</b> in the sheets in hand",
        "impossible as a sum of genuine sheets",
        "<h2>By region</h2>",
        "Election fingerprint",
        "whole percents",
        "Last digits",
        "Assumption:",
        "Caveat:",
        "Seed 1 and 100 replicates",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    // Four inline charts: fingerprint, two histograms, last digits.
    assert_eq!(html.matches("<svg").count(), 4);
    // Stuffing plus whole-percent turnout at 5% of stations: the integer
    // test survives the correction and the headline names it.
    assert!(html.contains("significant after Benjamini–Hochberg"));
    assert!(html.contains("Excess of whole-percent turnout"));

    let out = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report.html");
    if let Err(e) = std::fs::write(&out, &html) {
        panic!("{e}");
    }
    eprintln!("report written to {}", out.display());
}
