//! `tallyproof demo`: the whole pipeline on a built-in simulated election,
//! no files needed. It simulates an election with some sheets missing, adds
//! a few damaged sheets of the kinds met in the field (a typo in a count, a
//! sheet that does not add up, a station sent twice with different numbers)
//! and runs validation and tabulation with coverage.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tallyproof_core::evidence::{Universe, feasibility, reconcile, worst_case};
use tallyproof_core::{Announcement, Config, NoProgress, Registry, read_files, tabulate};
use tallyproof_stats::simulate::{SimParams, simulate};

/// Run the demo.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of stations to simulate.
    #[arg(long, default_value_t = 20_000)]
    stations: usize,
    /// Seed of the simulation.
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Where to write the demo's files (default: a folder in the system's temp dir).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let dir = args
        .out
        .unwrap_or_else(|| std::env::temp_dir().join(format!("tallyproof-demo-{}", args.seed)));
    let sim = simulate(&SimParams {
        stations: args.stations,
        options: 5,
        seed: args.seed,
        missing_share: 0.15,
    })?;
    let paths = super::simulate::write(&sim, &dir)?;
    let (config_path, sheets_path, registry_path) = (&paths[0], &paths[1], &paths[2]);
    // Damaged sheets, as witnesses' transcriptions produce them.
    let damaged = dir.join("late-arrivals.csv");
    {
        let mut f = std::fs::File::create(&damaged)
            .with_context(|| format!("creating {}", damaged.display()))?;
        let header = "region,region_name,district,station,registered,ballots,null,valid,A,B,C,D,E";
        let first = (0..sim.len()).find(|&i| sim.has_sheet[i]).unwrap_or(0);
        // `a_delta` more votes for A; `consistent` also adds them to the
        // valid votes and ballots, so the sheet adds up.
        let row = |i: usize, a_delta: i64, consistent: bool| -> String {
            let d = if consistent { a_delta } else { 0 };
            let mut s = format!(
                "{},{},{},{},{},{},{},{}",
                sim.region[i] + 1,
                sim.region_names[sim.region[i] as usize],
                sim.district[i] + 1,
                sim.station_id(i),
                sim.registered[i],
                i64::from(sim.ballots[i]) + d,
                sim.null[i],
                i64::from(sim.valid(i)) + d
            );
            for (k, v) in sim.votes.iter().enumerate() {
                let x = i64::from(v[i]) + if k == 0 { a_delta } else { 0 };
                s.push_str(&format!(",{x}"));
            }
            s
        };
        let missing: Vec<usize> = (0..sim.len())
            .filter(|&i| !sim.has_sheet[i])
            .take(3)
            .collect();
        writeln!(f, "{header}")?;
        // The same sheet again, with different numbers: a conflict.
        writeln!(f, "{}", row(first, -25, true))?;
        // And another station's sheet sent twice, identical: merged.
        if let Some(second) = (first + 1..sim.len()).find(|&i| sim.has_sheet[i]) {
            writeln!(f, "{}", row(second, 0, false))?;
        }
        // A missing station's sheet arrives with a typo ("1O" for 10).
        if let Some(&m) = missing.first() {
            writeln!(
                f,
                "{}",
                row(m, 0, false).replacen(&format!(",{}", sim.votes[0][m]), ",1O", 1)
            )?;
        }
        // One that does not add up.
        if let Some(&m) = missing.get(1) {
            writeln!(f, "{}", row(m, 7, false))?;
        }
        // And a good late arrival.
        if let Some(&m) = missing.get(2) {
            writeln!(f, "{}", row(m, 0, false))?;
        }
    }
    let cfg = Config::from_path(config_path)?;
    let registry = Registry::from_path(&cfg, registry_path)?;
    let ds = read_files(&cfg, &[sheets_path, &damaged], Some(&registry), &NoProgress)?;
    let national = tabulate(&cfg, &ds, Some(&registry), None);
    let regions = tabulate(&cfg, &ds, Some(&registry), Some(0));
    println!(
        "tallyproof demo: a simulated election of {} stations (seed {}), files in {}\n",
        sim.len(),
        args.seed,
        dir.display()
    );
    println!("== Validation");
    print!("{}", super::validate::render(&ds, 10));
    println!("\n== Totals and coverage");
    print!(
        "{}",
        super::tabulate::render(&cfg, &ds, &national, Some(&regions))
    );
    // An authority's announcement: 96.5% of stations processed, with 25% of
    // A's votes moved to B.
    let ann_path = dir.join("announcement.toml");
    std::fs::write(&ann_path, inflated_announcement(&sim, args.seed))?;
    let ann = Announcement::from_path(&ann_path)?;
    let rec = reconcile(&cfg, &ds, &ann)?;
    let feas = feasibility(&cfg, &ds, Some(&registry), &ann)?;
    println!(
        "\n== An announcement checked against the sheets ({})",
        ann_path.display()
    );
    print!("{}", super::reconcile::render(&ann, &rec, &feas));
    let uni = Universe::new(&cfg, &ds, Some(&registry), Some(&ann));
    let wc = worst_case(&cfg, &ds, uni);
    println!("\n== Robustness: the stations not in hand");
    println!("{}", wc.explanation);
    // The HTML report of the simulated election.
    let report_path = dir.join("report.html");
    // 500 replicates per simulated null keep the demo quick; the
    // `report` command defaults to 1,000.
    let options = tallyproof_stats::forensics::Options {
        seed: args.seed,
        replicates: 500,
        ..Default::default()
    };
    let sources = vec![
        format!("config {}", config_path.display()),
        format!("announcement file {}", ann_path.display()),
    ];
    let html = super::report::html(&cfg, &ds, Some(&registry), Some(&ann), &options, &sources)?;
    std::fs::write(&report_path, html)
        .with_context(|| format!("writing {}", report_path.display()))?;
    let truth = sim.true_totals();
    let valid: u64 = truth.iter().sum();
    println!("\n== The truth (known only because the election is simulated)");
    for (k, t) in sim.option_keys.iter().zip(&truth) {
        println!(
            "  {k}: {} ({:.2}%)",
            crate::output::int(*t),
            100.0 * *t as f64 / valid as f64
        );
    }
    println!(
        "\nTry it on your own files:\n  tallyproof tabulate --config {c} --registry {r} {s}\n  tallyproof validate --config {c} {d} --quarantine quarantine.csv\n  tallyproof reconcile --config {c} --registry {r} --announcement {a} {s}\n  tallyproof robustness --config {c} --registry {r} {s}",
        c = config_path.display(),
        r = registry_path.display(),
        s = sheets_path.display(),
        d = damaged.display(),
        a = ann_path.display(),
    );
    println!("\nreport: {}", report_path.display());
    Ok(ExitCode::SUCCESS)
}

/// An announcement as an authority that moves votes would publish it: the
/// true totals over 96.5% of the stations (chosen by the seed), with 25% of
/// A's votes given to B.
pub(crate) fn inflated_announcement(
    sim: &tallyproof_stats::simulate::Simulation,
    seed: u64,
) -> String {
    use std::fmt::Write as _;
    let k = sim.option_keys.len();
    let mut totals = vec![0u64; k];
    let mut processed = 0u64;
    // A deterministic choice of 96.5% of the stations.
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    for i in 0..sim.len() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        if (state >> 33) % 1000 < 965 {
            processed += 1;
            for (j, t) in totals.iter_mut().enumerate() {
                *t += u64::from(sim.votes[j][i]);
            }
        }
    }
    let moved = totals[0] * 25 / 100;
    totals[0] -= moved;
    totals[1] += moved;
    let share = processed as f64 / sim.len() as f64 * 100.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# A simulated announcement: the true totals of {processed} stations, with {moved} of A's votes given to B.\n"
    );
    let _ = writeln!(
        s,
        "label = \"Simulated authority bulletin\"\nauthority = \"Simulated electoral authority\"\n"
    );
    let _ = writeln!(s, "[coverage]\nstations_share = \"{share:.2}\"\n\n[totals]");
    for (key, t) in sim.option_keys.iter().zip(&totals) {
        let _ = writeln!(s, "{key} = {t}");
    }
    s
}
