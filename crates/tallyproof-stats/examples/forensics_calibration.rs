//! Calibration of the forensic suite on simulated elections.
//!
//! For each of N clean simulated elections, each test is run at level 0.05;
//! the false-positive rate is the share of elections where it rejects. The
//! same is done on elections with fraud injected (ballot stuffing at 5% of
//! stations; whole-percent turnout and share at 1% of stations) to measure
//! power. Prints a Markdown table.
//!
//! ```text
//! cargo run --release -p tallyproof-stats --example forensics_calibration -- \
//!     --elections 500 --stations 2000 --replicates 200 --seed 1
//! ```
//!
//! `--tests a,b` runs only the named tests (each test draws from its own
//! random stream, so its figures do not depend on which others run).

use std::time::Instant;

use tallyproof_stats::forensics::{
    ANNOUNCEMENT_PERCENTAGES, Announcement, DISTRIBUTION_SHAPE, INTEGER_PERCENTAGES, Input,
    KLIMEK_FINGERPRINT, LAST_DIGIT, Options, SECOND_DIGIT, Stations, TURNOUT_SHARE_SLOPE,
    test_by_name,
};
use tallyproof_stats::fraud::{Fraud, Rounded, back_computed, inject};
use tallyproof_stats::simulate::{SimParams, simulate};

const TESTS: &[&str] = &[
    ANNOUNCEMENT_PERCENTAGES,
    INTEGER_PERCENTAGES,
    KLIMEK_FINGERPRINT,
    LAST_DIGIT,
    SECOND_DIGIT,
    TURNOUT_SHARE_SLOPE,
    DISTRIBUTION_SHAPE,
];

struct Args {
    elections: usize,
    stations: usize,
    replicates: usize,
    seed: u64,
    /// Only these tests (all when empty).
    only: Vec<String>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        elections: 500,
        stations: 2000,
        replicates: 200,
        seed: 1,
        only: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().ok_or(format!("{flag} needs a value"))?;
        let bad = |e: std::num::ParseIntError| format!("{flag}: {e}");
        match flag.as_str() {
            "--elections" => a.elections = v.parse().map_err(bad)?,
            "--stations" => a.stations = v.parse().map_err(bad)?,
            "--replicates" => a.replicates = v.parse().map_err(bad)?,
            "--seed" => a.seed = v.parse().map_err(bad)?,
            "--tests" => a.only = v.split(',').map(str::to_string).collect(),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

/// Rejections per test for one scenario.
#[derive(Default, Clone)]
struct Tally {
    reject: Vec<usize>,
    ran: Vec<usize>,
}

fn scenario(args: &Args, fraud: Option<Fraud>, label: &str) -> Result<Tally, String> {
    let mut t = Tally {
        reject: vec![0; TESTS.len()],
        ran: vec![0; TESTS.len()],
    };
    let start = Instant::now();
    for e in 0..args.elections {
        let seed = args.seed.wrapping_mul(1_000_003).wrapping_add(e as u64);
        let mut sim = simulate(&SimParams {
            stations: args.stations,
            options: 4,
            seed,
            missing_share: 0.0,
        })
        .map_err(|e| e.to_string())?;
        if let Some(f) = &fraud {
            inject(&mut sim, std::slice::from_ref(f), seed ^ 0xF00D).map_err(|e| e.to_string())?;
        }
        let totals = sim.true_totals();
        // Clean: the true totals; with fraud: totals back-computed from
        // one-decimal percentages.
        let announced = if fraud.is_some() {
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
        let input = Input::new(&st).with_announcement(&ann);
        let opts = Options {
            seed: seed ^ 0xABCD,
            replicates: args.replicates,
            level: 0.05,
        };
        for (k, name) in TESTS.iter().enumerate() {
            if !args.only.is_empty() && !args.only.iter().any(|o| o == name) {
                continue;
            }
            let test = test_by_name(name).map_err(|e| e.to_string())?;
            if let Ok(f) = test.run(&input, &opts) {
                t.ran[k] += 1;
                if f.p_value.is_some_and(|p| p <= 0.05) {
                    t.reject[k] += 1;
                }
            }
        }
        if (e + 1) % 50 == 0 {
            eprintln!(
                "{label}: {} / {} elections, {:.0} s, rejections {:?}",
                e + 1,
                args.elections,
                start.elapsed().as_secs_f64(),
                t.reject
            );
        }
    }
    Ok(t)
}

fn rate(t: &Tally, k: usize) -> f64 {
    if t.ran[k] == 0 {
        f64::NAN
    } else {
        t.reject[k] as f64 / t.ran[k] as f64
    }
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
        let clean = scenario(&args, None, "clean")?;
        let stuffed = scenario(
            &args,
            Some(Fraud::Stuffing {
                share: 0.05,
                fraction: (0.2, 0.8),
                beneficiary: None,
            }),
            "stuffing 5%",
        )?;
        let rounded = scenario(
            &args,
            Some(Fraud::WholePercent {
                share: 0.01,
                rate: Rounded::Both,
                beneficiary: None,
            }),
            "whole percent 1%",
        )?;
        println!(
            "Simulated elections: {} per scenario, {} stations each, 4 options; {} null \
             replicates per test; seed {}; level 0.05.\n",
            args.elections, args.stations, args.replicates, args.seed
        );
        println!(
            "| test | false-positive rate (clean) | 95% interval | in 3.5–6.5% | power: stuffing at 5% of stations | power: whole percents at 1% of stations |"
        );
        println!("|---|---|---|---|---|---|");
        for (k, name) in TESTS.iter().enumerate() {
            if clean.ran[k] == 0 {
                continue;
            }
            let p = rate(&clean, k);
            let n = clean.ran[k] as f64;
            let se = (p * (1.0 - p) / n).sqrt();
            let inband = (0.035..=0.065).contains(&p);
            println!(
                "| {name} | {:.1}% ({}/{}) | {:.1}–{:.1}% | {} | {:.1}% | {:.1}% |",
                100.0 * p,
                clean.reject[k],
                clean.ran[k],
                100.0 * (p - 1.96 * se).max(0.0),
                100.0 * (p + 1.96 * se),
                if inband { "yes" } else { "no" },
                100.0 * rate(&stuffed, k),
                100.0 * rate(&rounded, k),
            );
        }
        Ok(())
    };
    if let Err(e) = run() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
