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
//! disagreement by station and option with both values. Valid and null
//! votes are compared too when both sources carry them. Exit code 0: a
//! disagreement is a finding, not a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;
use tallyproof_core::{Config, Dataset, NoProgress, read_files};

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

/// One field on which the two sources disagree for a station.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Difference {
    /// Station id.
    pub station: String,
    /// Option key, or `valid` / `null`.
    pub field: String,
    /// Value in A.
    pub a: u64,
    /// Value in B.
    pub b: u64,
}

/// The comparison.
#[derive(Debug, Serialize)]
pub struct Report {
    /// A's file and its accepted and quarantined sheets.
    pub a: Side,
    /// B's file and its accepted and quarantined sheets.
    pub b: Side,
    /// Fields compared.
    pub fields: Vec<String>,
    /// Stations in both sources.
    pub in_both: usize,
    /// Of those, stations equal on every field.
    pub agree: usize,
    /// Of those, stations with at least one difference.
    pub disagree: usize,
    /// Stations only in A, sorted.
    pub only_in_a: Vec<String>,
    /// Stations only in B, sorted.
    pub only_in_b: Vec<String>,
    /// Every difference, by station then field.
    pub differences: Vec<Difference>,
}

/// One source's file and counts.
#[derive(Debug, Serialize)]
pub struct Side {
    /// The file.
    pub file: String,
    /// Sheets accepted by validation.
    pub sheets: usize,
    /// Sheets quarantined (not compared).
    pub quarantined: usize,
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

/// Values per station: option votes in `fields` order (None where the
/// source lacks the field).
fn by_station(ds: &Dataset, fields: &[String]) -> BTreeMap<String, Vec<Option<u64>>> {
    let mut out = BTreeMap::new();
    for i in 0..ds.sheets.len() {
        let values = fields
            .iter()
            .map(|f| match f.as_str() {
                "valid" => ds.sheets.valid.as_ref().map(|c| u64::from(c[i])),
                "null" => ds.sheets.null.as_ref().map(|c| u64::from(c[i])),
                key => ds
                    .options
                    .iter()
                    .position(|o| o == key)
                    .map(|o| u64::from(ds.sheets.votes[o][i])),
            })
            .collect();
        out.entry(ds.sheets.station.get(i).to_string())
            .or_insert(values);
    }
    out
}

/// Pairs the sheets of two datasets by station and compares them.
pub fn compare(a: (&str, &Dataset), b: (&str, &Dataset)) -> Report {
    let (a_name, a) = a;
    let (b_name, b) = b;
    let b_keys: BTreeSet<&String> = b.options.iter().collect();
    let mut fields: Vec<String> = a
        .options
        .iter()
        .filter(|k| b_keys.contains(k))
        .cloned()
        .collect();
    if a.sheets.valid.is_some() && b.sheets.valid.is_some() {
        fields.push("valid".into());
    }
    if a.sheets.null.is_some() && b.sheets.null.is_some() {
        fields.push("null".into());
    }
    let va = by_station(a, &fields);
    let vb = by_station(b, &fields);
    let mut differences = Vec::new();
    let (mut in_both, mut agree) = (0, 0);
    for (station, xa) in &va {
        let Some(xb) = vb.get(station) else { continue };
        in_both += 1;
        let before = differences.len();
        for (k, field) in fields.iter().enumerate() {
            if let (Some(x), Some(y)) = (xa[k], xb[k])
                && x != y
            {
                differences.push(Difference {
                    station: station.clone(),
                    field: field.clone(),
                    a: x,
                    b: y,
                });
            }
        }
        if differences.len() == before {
            agree += 1;
        }
    }
    let side = |file: &str, ds: &Dataset| Side {
        file: file.to_string(),
        sheets: ds.sheets.len(),
        quarantined: ds.quarantine.len(),
    };
    Report {
        a: side(a_name, a),
        b: side(b_name, b),
        fields,
        in_both,
        agree,
        disagree: in_both - agree,
        only_in_a: va
            .keys()
            .filter(|s| !vb.contains_key(*s))
            .cloned()
            .collect(),
        only_in_b: vb
            .keys()
            .filter(|s| !va.contains_key(*s))
            .cloned()
            .collect(),
        differences,
    }
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
