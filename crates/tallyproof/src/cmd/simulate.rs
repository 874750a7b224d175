//! `tallyproof simulate`: write a realistic simulated election (sheets CSV,
//! station registry, the config that reads them, and the true totals).
//!
//! The model is documented in `tallyproof_stats::simulate`. The same seed
//! gives the same files on any machine.
//!
//! `--fraud KIND=SHARE` (repeatable) alters a share of the stations with a
//! sheet after the clean draw, with `tallyproof_stats::fraud`: `stuffing`
//! (20–80% of the non-voters added for the leader), `whole-turnout` and
//! `whole-share` (turnout or the leader's share raised to the next whole
//! percent), `transfer` (10–30% of the other options' votes moved to the
//! leader). truth.json lists every altered station with its counts before
//! and after; the other sheets are the clean election's, byte for byte.
//!
//! `--like FILE --config C [--level L]` fits the clean model to a real
//! election instead (`tallyproof_stats::like`: its stations, their
//! registered voters, turnout and support by region with their spread
//! within regions) and writes a clean look-alike of it; truth.json then
//! holds the fitted shape.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use tallyproof_stats::fraud::{Alteration, Fraud, Injected, alterations, inject};
use tallyproof_stats::like::{self, Shape};
use tallyproof_stats::simulate::{SimParams, Simulation, simulate};

use super::input::{Input, Loaded};

/// Write a simulated election.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of stations.
    #[arg(long, default_value_t = 10_000, conflicts_with = "like")]
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
    /// Fraud to inject, KIND=SHARE of the stations with a sheet (repeatable;
    /// kinds: stuffing, whole-turnout, whole-share, transfer).
    #[arg(long, value_name = "KIND=SHARE", value_parser = parse_fraud)]
    fraud: Vec<Fraud>,
    /// Sheets of a real election to draw a clean look-alike of (with --config).
    #[arg(long, value_name = "FILE", requires = "config")]
    like: Vec<PathBuf>,
    /// The config that reads the --like files.
    #[arg(long, short = 'c', value_name = "CONFIG")]
    config: Option<PathBuf>,
    /// The level whose units are the look-alike's regions (default: the
    /// config's [analysis] strata, else its top level).
    #[arg(long, value_name = "LEVEL", requires = "like")]
    level: Option<String>,
}

fn parse_fraud(s: &str) -> Result<Fraud, String> {
    Fraud::parse(s).map_err(|e| e.to_string())
}

/// The look-alike's fitted shape from `--like` and `--config`.
fn like_shape(args: &Args) -> Result<Option<Shape>> {
    let Some(config) = args.config.as_ref().filter(|_| !args.like.is_empty()) else {
        return Ok(None);
    };
    let Loaded { config, data, .. } = Input {
        config: config.clone(),
        registry: None,
        files: args.like.clone(),
    }
    .load()?;
    let level = match &args.level {
        Some(l) => Some(config.level_index(l)?),
        None => like::default_level(&config),
    };
    Ok(Some(like::fit_dataset(&config, &data, level)?))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let shape = like_shape(&args)?;
    let clean = match &shape {
        Some(s) => like::generate(s, args.seed, args.missing)?,
        None => simulate(&SimParams {
            stations: args.stations,
            options: args.options,
            seed: args.seed,
            missing_share: args.missing,
        })?,
    };
    let mut sim = clean.clone();
    let log = inject(&mut sim, &args.fraud, args.seed)?;
    let altered = alterations(&clean, &sim, &log);
    let paths = write_with(&sim, &args.out, &log, &altered, shape.as_ref())?;
    if let Some(s) = &shape {
        println!(
            "look-alike of {} in {} regions; support spread ρ per option: {}",
            args.like
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            s.regions.len(),
            s.support_rho
                .iter()
                .zip(&s.option_keys)
                .map(|(r, k)| format!("{k} {r:.4}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    println!(
        "simulated {} stations ({} with a sheet), {} options, seed {}",
        sim.len(),
        sim.has_sheet.iter().filter(|h| **h).count(),
        sim.option_keys.len(),
        args.seed
    );
    for l in &log {
        println!(
            "  fraud {}: {} stations altered, {} votes gained by the leader",
            l.fraud.kind(),
            l.stations.len(),
            l.votes_gained
        );
    }
    for p in paths {
        println!("  wrote {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Write sheets.csv, registry.csv, election.toml and truth.json into `dir`.
pub fn write(sim: &Simulation, dir: &Path) -> Result<Vec<PathBuf>> {
    write_with(sim, dir, &[], &[], None)
}

/// [`write`], with the frauds injected (`log`), the stations they altered
/// and the fitted shape of a look-alike recorded in truth.json.
pub fn write_with(
    sim: &Simulation,
    dir: &Path,
    log: &[Injected],
    altered: &[Alteration],
    like: Option<&Shape>,
) -> Result<Vec<PathBuf>> {
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
        "frauds": log.iter().map(|l| serde_json::json!({
            "kind": l.fraud.kind(),
            "fraud": l.fraud,
            "stations": l.stations.iter().map(|&i| sim.station_id(i)).collect::<Vec<_>>(),
            "votes_gained": l.votes_gained,
        })).collect::<Vec<_>>(),
        "altered_stations": altered,
        "like": like,
    });
    std::fs::write(&truth, serde_json::to_string_pretty(&t)?)?;
    Ok(vec![config, sheets, registry, truth])
}
