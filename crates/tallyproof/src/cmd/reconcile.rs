//! `tallyproof reconcile`: an authority's announced totals against the
//! sheets in hand: the differences, and whether the announcement is even
//! arithmetically possible given the sheets (exact bounds; see
//! `tallyproof_core::evidence`). Findings are data: exit code 0 whatever
//! the verdict.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use tallyproof_core::Announcement;
use tallyproof_core::evidence::{
    Bound, Feasibility, Reconciliation, Verdict, feasibility, reconcile,
};

use super::input::{Input, Loaded};
use crate::output::{Table, int, opt_int, pct, signed};

/// Announced totals against the sheets.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    input: Input,
    /// The announcement (TOML or JSON; see announcements/ for examples).
    #[arg(long, short = 'a', value_name = "FILE")]
    announcement: PathBuf,
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
    let ann = Announcement::from_path(&args.announcement)?;
    let rec = reconcile(&config, &data, &ann)?;
    let feas = feasibility(&config, &data, registry.as_ref(), &ann)?;
    if args.json {
        let v = serde_json::json!({
            "announcement": ann,
            "reconciliation": rec,
            "feasibility": feas,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", render(&ann, &rec, &feas));
    }
    Ok(ExitCode::SUCCESS)
}

fn verdict_cell(v: &Verdict) -> String {
    match v {
        Verdict::Possible => "possible".into(),
        Verdict::ImpossibleBelow { margin } => format!("IMPOSSIBLE: {} below min", int(*margin)),
        Verdict::ImpossibleAbove { margin } => format!("IMPOSSIBLE: {} above max", int(*margin)),
        Verdict::Undetermined => "max unknown".into(),
    }
}

fn bounds_table(bounds: &[Bound]) -> String {
    let mut t = Table::new([
        "total",
        "announced",
        "in sheets",
        "min compatible",
        "max compatible",
        "bound",
        "verdict",
    ]);
    for b in bounds {
        t.row([
            b.key.clone(),
            int(b.announced),
            int(b.in_sheets),
            int(b.min),
            opt_int(b.max),
            if b.exact {
                "exact".into()
            } else {
                "relaxation".to_string()
            },
            verdict_cell(&b.verdict),
        ]);
    }
    t.render()
}

/// The people's view: reconciliation, then feasibility with its assumption.
pub fn render(ann: &Announcement, rec: &[Reconciliation], feas: &Feasibility) -> String {
    let mut out = format!(
        "{} ({}{})\n",
        ann.label,
        ann.authority.as_deref().unwrap_or("authority not named"),
        ann.time
            .as_deref()
            .map(|t| format!(", {t}"))
            .unwrap_or_default()
    );
    for r in rec {
        out.push_str(&format!("\n== Reconciliation, {}\n", r.scope));
        let mut t = Table::new([
            "total",
            "announced",
            "in sheets",
            "difference",
            "announced share",
            "sheets share",
        ]);
        for row in &r.rows {
            t.row([
                row.key.clone(),
                int(row.announced),
                int(row.in_sheets),
                signed(row.difference),
                pct(row.announced_share),
                pct(row.sheets_share),
            ]);
        }
        out.push_str(&t.render());
    }
    let u = &feas.universe;
    out.push_str("\n== Feasibility\n");
    out.push_str(&format!("assumption: {}.\n", feas.assumption));
    out.push_str(&format!("claim: {}.\n", feas.claim));
    out.push_str(&format!(
        "stations: {} in all ({}); {} with a sheet in hand; {} may have been left out of the count.\n",
        opt_int(u.stations_total),
        u.stations_source,
        int(u.sheets),
        opt_int(feas.may_leave_out)
    ));
    out.push_str(&format!(
        "registered voters: {} in all ({}); {} at stations with a sheet; {} at the others.\n",
        opt_int(u.registered_total),
        u.registered_source,
        opt_int(u.registered_in_sheets),
        opt_int(u.registered_missing())
    ));
    if !feas.stations.is_empty() {
        out.push_str("\nunder the claim in stations:\n");
        out.push_str(&bounds_table(&feas.stations));
    }
    if !feas.voters.is_empty() {
        out.push_str("\nunder the claim in registered voters (the processed stations hold at least the announced electors):\n");
        out.push_str(&bounds_table(&feas.voters));
    }
    if !feas.joint.is_empty() {
        out.push_str("\njoint checks:\n");
        for j in &feas.joint {
            out.push_str(&format!(
                "  [{}] {}: {}\n",
                if j.impossible { "IMPOSSIBLE" } else { "ok" },
                j.check,
                j.explanation
            ));
        }
    }
    let findings: Vec<&Bound> = feas
        .stations
        .iter()
        .chain(&feas.voters)
        .filter(|b| b.verdict.impossible())
        .collect();
    if !findings.is_empty() {
        out.push_str("\nfindings:\n");
        for b in findings {
            out.push_str(&format!("  - {}\n", b.explanation));
        }
    }
    out.push_str(&format!(
        "\nverdict: {}\n",
        if feas.any_impossible {
            "the announcement cannot be a sum of the sheets in hand and the stations not in hand, under the assumption above."
        } else {
            "nothing in the sheets in hand rules the announcement out."
        }
    ));
    out
}
