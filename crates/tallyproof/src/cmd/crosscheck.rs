//! `tallyproof crosscheck`: compare two sources of sheets for the same
//! stations (scanned images against a CSV, one CSV against another).
//!
//! ```text
//! tallyproof crosscheck --config C [--config-b C2] A B [--json]
//! ```
//!
//! Both files are read and validated as the other subcommands read them:
//! A with `--config`, B with `--config-b` when it is laid out differently
//! (same option keys, other columns). Sheets are paired by station id.
//! The report gives the stations in both (how many agree on every option,
//! how many disagree), those only in A and only in B, and every
//! disagreement by station and option with both values. The other counts
//! (registered, valid, null, blank, ballots, issued) are compared too when
//! both sources carry them. The comparison is
//! `tallyproof_core::crosscheck::compare`. Exit code 0: a disagreement is
//! a finding, not a failure; 2 when a config or a file cannot be read.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tallyproof_core::crosscheck::{Report, compare};
use tallyproof_core::{Config, NoProgress, read_files};

use crate::output::{Table, int, signed};

/// Compare two sources of sheets station by station.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election config (TOML) for A, and for B unless --config-b.
    #[arg(long, short = 'c', value_name = "CONFIG")]
    config: PathBuf,
    /// A config for B when its columns differ from A's (same option keys).
    #[arg(long, value_name = "CONFIG")]
    config_b: Option<PathBuf>,
    /// The first source of sheets (CSV or JSON Lines).
    #[arg(value_name = "A")]
    a: PathBuf,
    /// The second source of sheets.
    #[arg(value_name = "B")]
    b: PathBuf,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let cfg_a = Config::from_path(&args.config)?;
    let cfg_b = match &args.config_b {
        Some(p) => Config::from_path(p)?,
        None => cfg_a.clone(),
    };
    let a = read_files(&cfg_a, &[&args.a], None, &NoProgress)
        .with_context(|| format!("reading {}", args.a.display()))?;
    let b = read_files(&cfg_b, &[&args.b], None, &NoProgress)
        .with_context(|| format!("reading {}", args.b.display()))?;
    let report = compare(
        (&args.a.display().to_string(), &a),
        (&args.b.display().to_string(), &b),
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", render(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "A: {} ({} sheets, {} quarantined)\nB: {} ({} sheets, {} quarantined)\ncompared: {}\n\n",
        r.a.file,
        int(r.a.sheets as u64),
        int(r.a.quarantined as u64),
        r.b.file,
        int(r.b.sheets as u64),
        int(r.b.quarantined as u64),
        r.fields.join(", ")
    ));
    out.push_str(&format!(
        "stations in both: {} ({} agree, {} disagree)\nonly in A: {}\nonly in B: {}\n",
        int(r.in_both as u64),
        int(r.agree as u64),
        int(r.disagree as u64),
        int(r.only_in_a.len() as u64),
        int(r.only_in_b.len() as u64)
    ));
    if !r.differences.is_empty() {
        let mut t = Table::new(["station", "field", "A", "B", "B - A"]);
        for d in &r.differences {
            t.row([
                d.station.clone(),
                d.field.clone(),
                int(d.a),
                int(d.b),
                signed(d.b as i64 - d.a as i64),
            ]);
        }
        out.push_str("\ndisagreements\n");
        out.push_str(&t.render());
    }
    for (label, list) in [("only in A", &r.only_in_a), ("only in B", &r.only_in_b)] {
        if list.is_empty() {
            continue;
        }
        let shown: Vec<&str> = list.iter().take(20).map(String::as_str).collect();
        let more = list.len().saturating_sub(shown.len());
        out.push_str(&format!("\n{label}: {}", shown.join(" ")));
        if more > 0 {
            out.push_str(&format!(" … and {more} more (see --json)"));
        }
        out.push('\n');
    }
    out
}
