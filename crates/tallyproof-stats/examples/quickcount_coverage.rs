//! Coverage of the quick count's 95% interval on simulated elections, and
//! the consistent sampler's speed, written into docs/sampling.md.
//!
//! ```sh
//! cargo run -p tallyproof-stats --example quickcount_coverage -- 2000 docs/sampling.md
//! ```
//!
//! For each configuration, `N` elections are simulated (the simulator's
//! regional heterogeneity, 10,000 stations, 5 options, a fresh seed each),
//! a stratified sample is drawn by the consistent sampler (strata = regions,
//! proportional allocation), sheets are lost region by region at the given
//! rates (at random within a region), and the 95% intervals of the
//! combined ratio estimator are checked against the full count. The table
//! replaces the text between the `coverage` markers of the file given.

use std::time::Instant;

use rayon::prelude::*;
use tallyproof_stats::quickcount::simulated_trial;
use tallyproof_stats::sample::{Seed, draw_without_replacement};
use tallyproof_stats::simulate::{SimParams, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = args.get(1).map_or(Ok(2000), |s| s.parse())?;
    let out = args.get(2).cloned();
    let configs: [(usize, &[f64], &str); 2] = [
        (400, &[0.0], "all sampled sheets in hand"),
        (
            1500,
            &[0.0, 0.1, 0.2, 0.4],
            "regions lose 0/10/20/40% of their sheets",
        ),
    ];
    let mut table = String::from(
        "| stations drawn | arrivals | quick counts | first option covered | second option covered | margin covered | mean ± pp (first) | bias warning raised |\n|---:|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (size, rates, label) in configs {
        let t0 = Instant::now();
        let trials: Vec<_> = (0..n)
            .into_par_iter()
            .map(|r| {
                let sim = simulate(&SimParams {
                    stations: 10_000,
                    options: 5,
                    seed: 10_000 + r,
                    missing_share: 0.0,
                })
                .map_err(|e| e.to_string())?;
                simulated_trial(&sim, &format!("coverage-{r}"), size, rates, 0.95)
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        let k = trials.len() as f64;
        let share = |f: &dyn Fn(&tallyproof_stats::quickcount::Trial) -> bool| {
            trials.iter().filter(|t| f(t)).count() as f64 / k * 100.0
        };
        let hw = trials.iter().map(|t| t.half_width).sum::<f64>() / k * 100.0;
        let row = format!(
            "| {size} | {label} | {n} | {:.1}% | {:.1}% | {:.1}% | {hw:.2} | {:.1}% |\n",
            share(&|t| t.covered[0]),
            share(&|t| t.covered[1]),
            share(&|t| t.margin_covered),
            share(&|t| t.warned),
        );
        eprintln!("{row}  ({:.0} s)", t0.elapsed().as_secs_f64());
        table.push_str(&row);
    }
    // Speed of the sampler at the sizes users run.
    let mut speed =
        String::from("| stations | tickets and first 3,000 in order (s) |\n|---:|---:|\n");
    for m in [20_000usize, 1_000_000] {
        let ids: Vec<String> = (0..m)
            .map(|i| format!("{:09}.{:02}", i / 7, i % 7))
            .collect();
        let seed = Seed::new("01382438112797316654")?;
        let t0 = Instant::now();
        let d = draw_without_replacement(&seed, &ids, 3000)?;
        let s = t0.elapsed().as_secs_f64();
        assert_eq!(d.len(), 3000.min(m));
        speed.push_str(&format!("| {m} | {s:.2} |\n"));
    }
    let threads = rayon::current_num_threads();
    let body = format!(
        "Command: `cargo run -p tallyproof-stats --example quickcount_coverage -- {n} docs/sampling.md` \
         ({threads} threads).\n\n{table}\nSampler speed (same run):\n\n{speed}"
    );
    print!("{body}");
    if let Some(path) = out {
        let text = std::fs::read_to_string(&path)?;
        let (a, b) = ("<!-- coverage:start -->\n", "<!-- coverage:end -->");
        let (Some(i), Some(j)) = (text.find(a), text.find(b)) else {
            return Err(format!("{path} has no coverage markers").into());
        };
        let new = format!("{}{a}{body}{}", &text[..i], &text[j..]);
        std::fs::write(&path, new)?;
    }
    Ok(())
}
