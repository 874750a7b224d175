//! The projection's interval on simulated elections where the truth is
//! known: coverage of the 95% interval per option, for the regression
//! estimator (registered voters of the missing stations known) and the
//! expansion estimator (only their number known), with the standardised
//! error's mean and spread per option and the interval's offset from the
//! point estimate.
//!
//! `cargo run --release -p tallyproof-stats --example projection_calibration [SIMS] [REPLICATES] [STATIONS,...] [MISSING,...] [ESTIMATORS]`
//!
//! Defaults: 200 elections, 2,000 replicates, 2,000 stations, 20% and 40%
//! missing, both estimators (`regression,expansion`). Elections run in
//! rounds over every configuration, each check printed to stderr as it
//! ends (`check <config> <election> <json>`), so a run stopped early still
//! gives every configuration about the same number of elections; the table
//! is printed at the end.

use tallyproof_stats::projection::{Calibration, ElectionCheck, check_election};

fn list<T: std::str::FromStr>(a: Option<String>, default: &str) -> Result<Vec<T>, T::Err> {
    a.as_deref()
        .unwrap_or(default)
        .split(',')
        .map(str::parse)
        .collect()
}

fn f2(v: &[f64]) -> String {
    v.iter()
        .map(|x| format!("{x:.2}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let sims: usize = args.next().map_or(Ok(200), |a| a.parse())?;
    let reps: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let sizes: Vec<usize> = list(args.next(), "2000")?;
    let missing: Vec<f64> = list(args.next(), "0.2,0.4")?;
    let estimators: Vec<String> = list(args.next(), "regression,expansion")?;
    let mut configs = Vec::new();
    for &stations in &sizes {
        for &m in &missing {
            for e in &estimators {
                configs.push((stations, m, e.as_str() == "regression"));
            }
        }
    }
    let mut checks: Vec<Vec<ElectionCheck>> = vec![Vec::new(); configs.len()];
    let mut secs = vec![0.0f64; configs.len()];
    for s in 0..sims {
        for (c, &(stations, m, ratio)) in configs.iter().enumerate() {
            let t = std::time::Instant::now();
            let ch = check_election(s, stations, m, reps, ratio, 2024)?;
            secs[c] += t.elapsed().as_secs_f64();
            eprintln!(
                "check {stations},{m},{} {s} {:?} {:?} {:?}",
                if ratio { "regression" } else { "expansion" },
                ch.hit,
                f2(&ch.z),
                f2(&ch.offset)
            );
            checks[c].push(ch);
        }
    }
    println!(
        "| estimator | elections | stations | missing | replicates | A | B | C | D | E | all | z sd (A…E) | z mean (A…E) | midpoint offset (A…E) | P(winner differs), mean | winner differs | wall per election |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (c, &(stations, m, ratio)) in configs.iter().enumerate() {
        let cal = Calibration::from_checks(&checks[c], stations, m, reps, ratio);
        let cov: Vec<String> = cal
            .coverage
            .iter()
            .map(|x| format!("{:.1}%", x * 100.0))
            .collect();
        println!(
            "| {} | {} | {} | {:.0}% | {} | {} | {:.1}% | {} | {} | {} | {:.2}% | {:.1}% | {:.1} s |",
            if ratio { "regression" } else { "expansion" },
            cal.simulations,
            stations,
            m * 100.0,
            reps,
            cov.join(" | "),
            cal.coverage_all * 100.0,
            f2(&cal.z_sd),
            f2(&cal.z_mean),
            f2(&cal.offset_mean),
            cal.p_winner_differs_mean * 100.0,
            cal.winner_differs_share * 100.0,
            secs[c] / cal.simulations.max(1) as f64
        );
    }
    Ok(())
}
