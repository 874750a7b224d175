//! Calibration of the risk-limiting audits: on simulated elections whose
//! reported winner is wrong, how often each method confirms it (at most α
//! is the promise); on correct outcomes, sample sizes and rounds.
//!
//! ```sh
//! cargo run --release -p tallyproof-stats --example audit_calibration -- 10000 200 50
//! ```
//! Arguments: AUDITS (wrong-winner audits per margin, error pattern and
//! method; default 10,000), STATIONS (per election; default 1,000),
//! CORRECT (correct-outcome audits per row; default 50; 0 skips them),
//! SEED (default 7; the wrong-winner rows use SEED + margin in ‰, the
//! correct-outcome rows SEED + 4). Prints Markdown tables for docs/audit.md.

use std::time::Instant;

use tallyproof_stats::audit::Method;
use tallyproof_stats::audit::calibration::{correct_outcome, wrong_winner};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let audits: u64 = args.get(1).map_or(Ok(10_000), |s| s.parse())?;
    let stations: usize = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let seed: u64 = args.get(4).map_or(Ok(7), |s| s.parse())?;
    let alpha = 0.05;
    let cap = 20_000;
    let margins = [0.01, 0.02, 0.05];
    let start = Instant::now();
    println!(
        "## Wrong reported winner: confirmed at risk limit {alpha} ({audits} audits each, {stations} stations, BRAVO up to {cap} ballots)\n"
    );
    println!(
        "seed {seed}; errors spread: at most 10 votes moved from B to A at a time; concentrated: all of B's votes in the fewest stations\n"
    );
    println!("| method | reported margin | errors | audits | confirmed | rate | 95% upper bound |");
    println!("|---|---|---|---|---|---|---|");
    for m in Method::ALL {
        for &margin in &margins {
            for (errors, max_move) in [("spread", 10), ("concentrated", u64::MAX)] {
                let r = wrong_winner(
                    m,
                    stations,
                    margin,
                    max_move,
                    alpha,
                    audits,
                    cap,
                    seed + (margin * 1000.0) as u64,
                )?;
                // One-sided 95% upper bound (Wilson score) on the true rate.
                let (n, p, z) = (r.audits as f64, r.rate, 1.645f64);
                let ub =
                    (p + z * z / (2.0 * n) + z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt())
                        / (1.0 + z * z / n);
                println!(
                    "| {} | {:.0}% | {errors} | {} | {} | {:.4} | {:.4} |",
                    m.as_str(),
                    margin * 100.0,
                    r.audits,
                    r.confirmed,
                    r.rate,
                    ub
                );
            }
        }
    }
    let t1 = start.elapsed();
    let n2: u64 = args.get(3).map_or(Ok(50), |s| s.parse())?;
    if n2 == 0 {
        println!("\nwall time: wrong winners {:.1} s", t1.as_secs_f64());
        return Ok(());
    }
    println!(
        "\n## Correct outcomes: rounds through the audit state ({n2} audits each, {stations} stations)\n"
    );
    println!(
        "| method | margin | recounts that differ | first round | mean draws | mean rounds | confirmed in round 1 / 2 / 3 / later | full hand counts |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for m in Method::ALL {
        for &margin in &margins {
            for err in [0.0, 0.01] {
                if m == Method::Bravo && err > 0.0 {
                    continue;
                }
                let r = correct_outcome(m, stations, margin, alpha, err, n2, seed + 4)?;
                let c = |k: usize| r.confirmed_in_round.get(k).copied().unwrap_or(0);
                let later: u64 = r.confirmed_in_round.iter().skip(3).sum();
                println!(
                    "| {} | {:.0}% | {:.0}% | {} | {:.1} | {:.2} | {} / {} / {} / {later} | {} |",
                    m.as_str(),
                    margin * 100.0,
                    err * 100.0,
                    r.first_round,
                    r.mean_draws,
                    r.mean_rounds,
                    c(0),
                    c(1),
                    c(2),
                    r.full_counts
                );
            }
        }
    }
    println!(
        "\nwall time: wrong winners {:.1} s, correct outcomes {:.1} s",
        t1.as_secs_f64(),
        (start.elapsed() - t1).as_secs_f64()
    );
    Ok(())
}
