//! Calibration and power of the forensic suite on simulated elections.
//!
//! For each size and scenario, N elections are simulated (4 options, the
//! model of `tallyproof_stats::simulate`), fraud is injected with
//! `tallyproof_stats::fraud::inject` where the scenario asks for it, and every
//! test runs at level 0.05. The clean scenario gives each test's
//! false-positive rate; the fraud scenarios its power, and the suite's
//! detection rate after Benjamini–Hochberg over the headline tests (those of
//! `DEFAULT_SUITE` with a p-value that `calibrated_at` admits at the size;
//! the second-digit test is not one), as the CLI and the report apply it.
//! Prints one Markdown table per size, and the wall time.
//!
//! ```text
//! cargo run --release -p tallyproof-stats --example forensics_calibration -- \
//!     --sizes 1000,20000 --elections 500 --power-elections 100 --replicates 200 --seed 1
//! ```
//!
//! Flags: `--sizes a,b` stations per election; `--elections N` clean
//! elections; `--power-elections M` elections per fraud scenario (0: none);
//! `--scenarios a,b` among clean, stuffing-1, stuffing-5, whole-turnout-0.5,
//! whole-turnout-1, transfer-5, back-computed; `--tests a,b` the tests run
//! (default: every test of the default suite plus second-digit-benford;
//! each test draws from its own random stream, so its figures do not depend
//! on which others run); `--replicates R` simulated nulls per test;
//! `--first E` numbers the elections from E (election e's seed depends on
//! the seed, the size and e only, so `--first 100 --elections 100` extends a
//! run of 100 with 100 new elections). Each finished election is also
//! printed on stderr as one line (`election SIZE SCENARIO E suite=0|1
//! p=p1,p2,…` in the order of `--tests`), so a run stopped early can be
//! counted.

use std::time::Instant;

use rayon::prelude::*;
use tallyproof_stats::forensics::{
    ANNOUNCEMENT_PERCENTAGES, Announcement, DEFAULT_SUITE, Input, OUTLIERS, Options, SECOND_DIGIT,
    Stations, benjamini_hochberg, calibrated_at, test_by_name,
};
use tallyproof_stats::fraud::{Fraud, Rounded, back_computed, inject};
use tallyproof_stats::simulate::{SimParams, simulate};

struct Args {
    sizes: Vec<usize>,
    elections: usize,
    power_elections: usize,
    replicates: usize,
    seed: u64,
    first: usize,
    tests: Vec<String>,
    scenarios: Vec<String>,
}

const SCENARIOS: &[&str] = &[
    "clean",
    "stuffing-1",
    "stuffing-5",
    "whole-turnout-0.5",
    "whole-turnout-1",
    "transfer-5",
    "back-computed",
];

fn parse() -> Result<Args, String> {
    let mut a = Args {
        sizes: vec![1000, 20_000],
        elections: 500,
        power_elections: 100,
        replicates: 200,
        seed: 1,
        first: 0,
        tests: DEFAULT_SUITE
            .iter()
            .filter(|t| **t != OUTLIERS)
            .chain(std::iter::once(&SECOND_DIGIT))
            .map(|s| s.to_string())
            .collect(),
        scenarios: SCENARIOS.iter().map(|s| s.to_string()).collect(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: std::num::ParseIntError| format!("{flag}: {e}");
        let list = |v: &str| v.split(',').map(str::to_string).collect::<Vec<_>>();
        match flag.as_str() {
            "--sizes" => {
                a.sizes = v
                    .split(',')
                    .map(|x| x.parse().map_err(bad))
                    .collect::<Result<_, _>>()?
            }
            "--elections" => a.elections = v.parse().map_err(bad)?,
            "--power-elections" => a.power_elections = v.parse().map_err(bad)?,
            "--replicates" => a.replicates = v.parse().map_err(bad)?,
            "--seed" => a.seed = v.parse().map_err(bad)?,
            "--first" => a.first = v.parse().map_err(bad)?,
            "--tests" => a.tests = list(&v),
            "--scenarios" => a.scenarios = list(&v),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    for s in &a.scenarios {
        if !SCENARIOS.contains(&s.as_str()) {
            return Err(format!(
                "unknown scenario {s}; known: {}",
                SCENARIOS.join(", ")
            ));
        }
    }
    Ok(a)
}

fn fraud_of(scenario: &str) -> Option<Fraud> {
    let stuffing = |share| Fraud::Stuffing {
        share,
        fraction: (0.2, 0.8),
        beneficiary: None,
    };
    let whole = |share| Fraud::WholePercent {
        share,
        rate: Rounded::Turnout,
        beneficiary: None,
    };
    match scenario {
        "stuffing-1" => Some(stuffing(0.01)),
        "stuffing-5" => Some(stuffing(0.05)),
        "whole-turnout-0.5" => Some(whole(0.005)),
        "whole-turnout-1" => Some(whole(0.01)),
        "transfer-5" => Some(Fraud::Transfer {
            share: 0.05,
            fraction: (0.2, 0.8),
            beneficiary: None,
        }),
        _ => None,
    }
}

/// One scenario's results: its name, elections, per-test runs and
/// rejections, and suite detections.
type Column = (String, usize, Vec<usize>, Vec<usize>, usize);

/// Per election: whether each test ran and rejected (raw p ≤ 0.05), and
/// whether the suite found anything after BH over the headline tests.
struct Outcome {
    p: Vec<Option<f64>>,
    ran: Vec<bool>,
    reject: Vec<bool>,
    suite: bool,
}

fn one(args: &Args, size: usize, scenario: &str, e: usize) -> Result<Outcome, String> {
    let seed = args
        .seed
        .wrapping_mul(1_000_003)
        .wrapping_add(size as u64 * 7919)
        .wrapping_add(e as u64);
    let mut sim = simulate(&SimParams {
        stations: size,
        options: 4,
        seed,
        missing_share: 0.0,
    })
    .map_err(|e| e.to_string())?;
    if let Some(f) = fraud_of(scenario) {
        inject(&mut sim, std::slice::from_ref(&f), seed ^ 0xF00D).map_err(|e| e.to_string())?;
    }
    let totals = sim.true_totals();
    let announced = if scenario == "back-computed" {
        back_computed(&totals, 1000)
    } else {
        totals
    };
    let ann = Announcement {
        label: "simulated".into(),
        option_keys: sim.option_keys.clone(),
        totals: announced,
    };
    let st = Stations::from(&sim);
    drop(sim);
    let input = Input::new(&st).with_announcement(&ann);
    let opts = Options {
        seed: seed ^ 0xABCD,
        replicates: args.replicates,
        level: 0.05,
    };
    let mut out = Outcome {
        p: vec![None; args.tests.len()],
        ran: vec![false; args.tests.len()],
        reject: vec![false; args.tests.len()],
        suite: false,
    };
    let mut head = Vec::new();
    for (k, name) in args.tests.iter().enumerate() {
        let test = test_by_name(name).map_err(|e| e.to_string())?;
        if let Ok(f) = test.run(&input, &opts) {
            out.ran[k] = true;
            out.p[k] = f.p_value;
            out.reject[k] = f.p_value.is_some_and(|p| p <= 0.05);
            if DEFAULT_SUITE.contains(&name.as_str()) && calibrated_at(name, size) {
                head.push(f.p_value);
            }
        }
    }
    out.suite = benjamini_hochberg(&head)
        .iter()
        .any(|p| p.is_some_and(|p| p <= 0.05));
    // One line per finished election on stderr, so that a run stopped early
    // can still be counted: size, scenario, election, suite, then each
    // test's p-value in the order of --tests ("-": not run or no p-value).
    let ps: Vec<String> = out
        .p
        .iter()
        .map(|p| p.map_or("-".into(), |p| format!("{p:.4e}")))
        .collect();
    eprintln!(
        "election {size} {scenario} {e} suite={} p={}",
        u8::from(out.suite),
        ps.join(",")
    );
    Ok(out)
}

fn main() {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let run = || -> Result<(), String> {
        println!(
            "Simulated elections of 4 options; {} null replicates per test; seed {}; level 0.05; \
             rayon threads {}.\n",
            args.replicates,
            args.seed,
            rayon::current_num_threads()
        );
        eprintln!("tests {}", args.tests.join(","));
        for &size in &args.sizes {
            let start = Instant::now();
            let mut cols: Vec<Column> = Vec::new();
            for scenario in &args.scenarios {
                let n = if scenario == "clean" {
                    args.elections
                } else {
                    args.power_elections
                };
                if n == 0 {
                    continue;
                }
                let t0 = Instant::now();
                let outs: Vec<Outcome> = (0..n)
                    .into_par_iter()
                    .map(|e| one(&args, size, scenario, args.first + e))
                    .collect::<Result<_, _>>()?;
                let k = args.tests.len();
                let ran: Vec<usize> = (0..k)
                    .map(|j| outs.iter().filter(|o| o.ran[j]).count())
                    .collect();
                let rej: Vec<usize> = (0..k)
                    .map(|j| outs.iter().filter(|o| o.reject[j]).count())
                    .collect();
                let suite = outs.iter().filter(|o| o.suite).count();
                eprintln!(
                    "{size} stations, {scenario}: {n} elections in {:.1} s; rejections {rej:?}; suite {suite}",
                    t0.elapsed().as_secs_f64()
                );
                cols.push((scenario.clone(), n, ran, rej, suite));
            }
            println!("### {size} stations\n");
            let mut header = String::from("| test |");
            let mut rule = String::from("|---|");
            for (s, n, ..) in &cols {
                header.push_str(&format!(" {s} ({n}) |"));
                rule.push_str("---|");
            }
            println!("{header}\n{rule}");
            for (j, name) in args.tests.iter().enumerate() {
                let mut row = format!("| {name} |");
                for (s, _, ran, rej, _) in &cols {
                    if ran[j] == 0 {
                        row.push_str(" – |");
                        continue;
                    }
                    let p = rej[j] as f64 / ran[j] as f64;
                    let mark = if s == "clean" {
                        if (0.035..=0.065).contains(&p) {
                            " ✓"
                        } else {
                            " ✗"
                        }
                    } else {
                        ""
                    };
                    row.push_str(&format!(
                        " {:.1}% ({}/{}){mark} |",
                        100.0 * p,
                        rej[j],
                        ran[j]
                    ));
                }
                println!("{row}");
            }
            let mut row = String::from("| **suite after BH** |");
            for (_, n, _, _, suite) in &cols {
                row.push_str(&format!(
                    " {:.1}% ({suite}/{n}) |",
                    100.0 * *suite as f64 / *n as f64
                ));
            }
            println!("{row}\n");
            println!(
                "Wall time for {size} stations: {:.0} s.\n",
                start.elapsed().as_secs_f64()
            );
            // The announcement test is run on the true totals in every
            // scenario but back-computed; say so once.
            let _ = ANNOUNCEMENT_PERCENTAGES;
        }
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
