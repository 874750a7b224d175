//! The projection's interval on simulated elections where the truth is
//! known: coverage of the 95% interval per option, for the ratio estimator
//! (registered voters of the missing stations known) and the expansion
//! estimator (only their number known).
//!
//! `cargo run --release -p tallyproof-stats --example projection_calibration [SIMS] [REPLICATES]`

use tallyproof_stats::projection::calibrate;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let sims: usize = args.next().map_or(Ok(200), |a| a.parse())?;
    let reps: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    println!(
        "| estimator | elections | stations | missing | replicates | A | B | C | D | E | all | mean width (A) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (missing, stations) in [(0.2, 2000), (0.4, 2000)] {
        for ratio in [true, false] {
            let t = std::time::Instant::now();
            let c = calibrate(sims, stations, missing, reps, ratio, 2024)?;
            let cov: Vec<String> = c
                .coverage
                .iter()
                .map(|x| format!("{:.1}%", x * 100.0))
                .collect();
            println!(
                "| {} | {} | {} | {:.0}% | {} | {} | {:.1}% | {:.2}% |",
                if ratio { "regression" } else { "expansion" },
                c.simulations,
                c.stations,
                missing * 100.0,
                c.replicates,
                cov.join(" | "),
                c.coverage_all * 100.0,
                c.relative_width[0] * 100.0
            );
            eprintln!("  ({:.1} s)", t.elapsed().as_secs_f64());
        }
    }
    Ok(())
}
