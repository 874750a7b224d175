//! `tallyproof audit plan`: sample sizes per method for a risk limit,
//! under stated assumptions; `--state` starts the audit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use tallyproof_core::{Config, read_files};
use tallyproof_stats::audit::plan::{Assumptions, PlanRow, plan};
use tallyproof_stats::audit::{AuditState, Method, Reported};

use crate::output::{Table, int, pct};
use crate::progress::Bar;

/// Sample sizes for a risk-limiting audit.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The election config (TOML) that reads the reported results.
    #[arg(long, short = 'c', value_name = "CONFIG")]
    config: PathBuf,
    /// The reported results: per-station sheets (any input the config reads).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    reported: Vec<PathBuf>,
    /// The risk limit α: the largest chance that a wrong reported winner
    /// is confirmed.
    #[arg(long, default_value_t = 0.05)]
    risk_limit: f64,
    /// Methods, comma-separated: macro, alpha, bravo (default: all three).
    #[arg(long, value_delimiter = ',', value_name = "METHOD")]
    method: Vec<String>,
    /// Assumed share of sheets whose audited result differs.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Votes by which each such sheet overstates the winner's margin.
    #[arg(long, default_value_t = 4.0)]
    error_votes: f64,
    /// Start the audit: write this state file (one method).
    #[arg(long, value_name = "AUDIT.json")]
    state: Option<PathBuf>,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let config = Config::from_path(&args.config)?;
    let total: u64 = args
        .reported
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();
    let bar = Bar::bytes(total);
    let data = read_files(&config, &args.reported, None, &bar);
    bar.finish();
    let data = data?;
    let reported = Reported::from_dataset(&data)?;
    let out = reported.outcome()?;
    let mut methods = Vec::new();
    for m in &args.method {
        match Method::parse(m) {
            Some(m) => methods.push(m),
            None => bail!("unknown method {m:?}: use macro, alpha or bravo"),
        }
    }
    if methods.is_empty() {
        methods = Method::ALL.to_vec();
    }
    let assume = Assumptions {
        error_rate: args.error_rate,
        error_votes: args.error_votes,
    };
    let rows: Vec<PlanRow> = methods
        .iter()
        .map(|&m| plan(&reported, m, args.risk_limit, assume))
        .collect::<Result<_, _>>()?;
    if let Some(path) = &args.state {
        if methods.len() != 1 {
            bail!("--state starts one audit: give one --method");
        }
        let from = data
            .files
            .iter()
            .map(|f| format!("{} ({} bytes, {} rows)", f.path, f.bytes, f.rows))
            .collect();
        let st = AuditState::new(
            methods[0],
            args.risk_limit,
            None,
            assume,
            reported.clone(),
            from,
        )?;
        super::save(path, &st)?;
    }
    if args.json {
        let v = serde_json::json!({
            "risk_limit": args.risk_limit,
            "stations": reported.stations.len(),
            "ballots": out.ballots,
            "winner": reported.options[out.winner],
            "quarantined": data.quarantine.len(),
            "plans": rows,
            "assumes": super::ASSUMES,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let b = out.ballots as f64;
    println!(
        "Reported: {} stations, {} ballots; {} wins. Risk limit {}.",
        int(reported.stations.len() as u64),
        int(out.ballots),
        reported.options[out.winner],
        pct(Some(args.risk_limit))
    );
    if !data.quarantine.is_empty() {
        println!(
            "{} sheets quarantined and left out of the reported results (see `tallyproof validate`).",
            data.quarantine.len()
        );
    }
    for &l in out.losers.iter().take(3) {
        let m = (out.totals[out.winner] - out.totals[l]) as f64 / b;
        println!(
            "  margin over {}: {} of ballots",
            reported.options[l],
            pct(Some(m))
        );
    }
    println!();
    let mut t = Table::new(["method", "draws", "unit", "stations to visit", "full count"]);
    for r in &rows {
        t.row([
            r.method.as_str().to_string(),
            int(r.size),
            r.unit.clone(),
            int(r.stations.round() as u64),
            if r.full_count {
                "yes".into()
            } else {
                "no".to_string()
            },
        ]);
    }
    print!("{}", t.render());
    println!();
    for r in &rows {
        println!("{}: {}", r.method.as_str(), r.assumption);
        for o in &r.options {
            let p = o.prob.map_or("full count".to_string(), |p| {
                format!("finishes in one round with probability {p:.2}")
            });
            println!("  {} ballots ({}: {p})", int(o.size), o.label);
        }
    }
    println!("\n{}", super::ASSUMES);
    if let Some(p) = &args.state {
        println!(
            "started the audit in {}: draw the first round with `tallyproof audit sample --state {} --seed SEED`",
            p.display(),
            p.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
