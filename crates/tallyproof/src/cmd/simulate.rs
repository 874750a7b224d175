//! `tallyproof simulate`: write a realistic simulated election (sheets CSV,
//! station registry, the config that reads them, and the true totals).
//!
//! The model is documented in `tallyproof_stats::simulate`. The same seed
//! gives the same files on any machine.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use tallyproof_stats::simulate::{SimParams, Simulation, simulate};

/// Write a simulated election.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of stations.
    #[arg(long, default_value_t = 10_000)]
    stations: usize,
    /// Number of options (2 to 26).
    #[arg(long, default_value_t = 5)]
    options: usize,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Share of stations whose sheet is missing (missing at random within regions).
    #[arg(long, default_value_t = 0.0)]
    missing: f64,
    /// Output directory (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let sim = simulate(&SimParams {
        stations: args.stations,
        options: args.options,
        seed: args.seed,
        missing_share: args.missing,
    })?;
    let paths = write(&sim, &args.out)?;
    println!(
        "simulated {} stations ({} with a sheet), {} options, seed {}",
        sim.len(),
        sim.has_sheet.iter().filter(|h| **h).count(),
        sim.option_keys.len(),
        args.seed
    );
    for p in paths {
        println!("  wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Write sheets.csv, registry.csv, election.toml and truth.json into `dir`.
pub fn write(sim: &Simulation, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let create = |name: &str| -> Result<(PathBuf, std::io::BufWriter<std::fs::File>)> {
        let p = dir.join(name);
        let f = std::fs::File::create(&p).with_context(|| format!("creating {}", p.display()))?;
        Ok((p, std::io::BufWriter::with_capacity(1 << 20, f)))
    };
    let (sheets, w) = create("sheets.csv")?;
    sim.write_sheets(w)?;
    let (registry, w) = create("registry.csv")?;
    sim.write_registry(w)?;
    let config = dir.join("election.toml");
    std::fs::write(&config, sim.config_toml())?;
    let truth = dir.join("truth.json");
    let t = serde_json::json!({
        "params": sim.params,
        "options": sim.option_keys,
        "true_totals_all_stations": sim.true_totals(),
        "stations": sim.len(),
        "stations_with_sheet": sim.has_sheet.iter().filter(|h| **h).count(),
    });
    std::fs::write(&truth, serde_json::to_string_pretty(&t)?)?;
    Ok(vec![config, sheets, registry, truth])
}
