//! `tallyproof tabulate`: validate sheets and print totals and shares per
//! option, nationally and at a level of the geography, with coverage.
//!
//! Coverage is sheets in hand over stations known and registered voters
//! covered over registered voters known. The denominators come from
//! `--registry` or the config's national figures; without them coverage is
//! "unknown", never 100%.

use std::process::ExitCode;

use anyhow::Result;
use tallyproof_core::{Config, Dataset, Tabulation, tabulate};

use super::input::{Input, Loaded};
use crate::output::{Table, int, opt_int, pct};

/// Totals per option with coverage.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: Input,
    /// The level to break down by (a level key of the config); default: the first level.
    #[arg(long, value_name = "LEVEL")]
    level: Option<String>,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Loaded {
        config,
        registry,
        data,
    } = args.input.load()?;
    let level = match &args.level {
        Some(l) => Some(config.level_index(l)?),
        None if !config.levels.is_empty() => Some(0),
        None => None,
    };
    let national = tabulate(&config, &data, registry.as_ref(), None);
    let by_level = level.map(|l| tabulate(&config, &data, registry.as_ref(), Some(l)));
    if args.json {
        let v = serde_json::json!({
            "election": config.election.name,
            "files": data.files,
            "validation": data.summary(),
            "national": national,
            "by_level": by_level,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render(&config, &data, &national, by_level.as_ref()));
    }
    Ok(ExitCode::SUCCESS)
}

/// The people's view of a tabulation: header, national table, per-unit table.
pub fn render(
    cfg: &Config,
    ds: &Dataset,
    national: &Tabulation,
    by: Option<&Tabulation>,
) -> String {
    let mut out = String::new();
    let s = ds.summary();
    let n = &national.units[0];
    out.push_str(&format!("{}\n", cfg.election.name));
    out.push_str(&format!(
        "sheets: {} accepted, {} quarantined, {} listed without a sheet, {} identical copies merged (of {} rows in {} file(s))\n",
        int(s.accepted),
        int(s.quarantined),
        int(s.missing),
        int(s.merged),
        int(s.rows_read),
        ds.files.len()
    ));
    if s.other_contests > 0 {
        out.push_str(&format!(
            "rows of other contests left out by [input] where: {}\n",
            int(s.other_contests)
        ));
    }
    out.push_str(&format!(
        "coverage: {} of {} stations ({}); registered voters {} of {} ({}); denominators: {}\n\n",
        int(n.sheets),
        opt_int(n.stations_known),
        pct(n.sheet_coverage),
        opt_int(n.registered_in_sheets),
        opt_int(n.registered_known),
        pct(n.voter_coverage),
        national.denominator
    ));
    // National table, options by votes.
    let mut order: Vec<usize> = (0..cfg.options.len()).collect();
    order.sort_by_key(|&o| std::cmp::Reverse(n.votes[o]));
    let mut t = Table::new(["option", "name", "votes", "share of valid"]);
    for &o in &order {
        t.row([
            cfg.options[o].key.clone(),
            cfg.options[o].label().to_string(),
            int(n.votes[o]),
            pct(n.shares[o]),
        ]);
    }
    t.row([
        "valid".to_string(),
        String::new(),
        int(n.valid),
        String::new(),
    ]);
    if let Some(x) = n.null {
        t.row(["null".to_string(), String::new(), int(x), String::new()]);
    }
    if let Some(x) = n.blank {
        t.row(["blank".to_string(), String::new(), int(x), String::new()]);
    }
    t.row([
        "turnout".to_string(),
        "in the sheets".to_string(),
        pct(n.turnout),
        String::new(),
    ]);
    out.push_str(&t.render());
    if let Some(by) = by {
        let top: Vec<usize> = order.iter().copied().take(3.min(order.len())).collect();
        let mut head = vec![
            by.level.clone().unwrap_or_default(),
            "name".into(),
            "sheets".into(),
            "known".into(),
            "coverage".into(),
            "turnout".into(),
        ];
        for &o in &top {
            head.push(cfg.options[o].key.clone());
            head.push(format!("{} %", cfg.options[o].key));
        }
        if order.len() > top.len() {
            head.push("others".into());
        }
        let mut t = Table::new(head);
        for u in &by.units {
            let name = if u.name == u.code {
                ""
            } else {
                u.name.as_str()
            };
            let mut row = vec![
                u.code.clone(),
                name.to_string(),
                int(u.sheets),
                opt_int(u.stations_known),
                pct(u.sheet_coverage),
                pct(u.turnout),
            ];
            for &o in &top {
                row.push(int(u.votes[o]));
                row.push(pct(u.shares[o]));
            }
            if order.len() > top.len() {
                let others: u64 = order[top.len()..].iter().map(|&o| u.votes[o]).sum();
                row.push(int(others));
            }
            t.row(row);
        }
        out.push_str(&format!(
            "\nby {} ({} units; coverage denominators: {})\n",
            by.level.as_deref().unwrap_or(""),
            by.units.len(),
            by.denominator
        ));
        out.push_str(&t.render());
    }
    out
}
