//! `tallyproof audit assess`: every draw and every risk recomputed from the
//! state file alone; the risk so far per winner–loser pair and the
//! decision: stop (confirmed), go on with the next round's size, or count
//! everything by hand.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use tallyproof_stats::audit::state::{Decision, assess};

use crate::output::{Table, int, pct};

/// The risk so far.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The audit state file.
    #[arg(long, value_name = "AUDIT.json")]
    state: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let st = super::load(&args.state)?;
    let a = assess(&st)?;
    if args.json {
        let v = serde_json::json!({
            "method": st.method,
            "risk_limit": st.risk_limit,
            "seed": st.seed,
            "assessment": a,
            "assumes": super::ASSUMES,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} audit at risk limit {}: {} draws in {} rounds, {} audited, {} {}.",
        st.method.as_str(),
        pct(Some(st.risk_limit)),
        int(a.drawn),
        st.rounds.len(),
        int(a.audited),
        int(a.discrepancies),
        if st.method.draws_sheets() {
            "differ from the reported sheet"
        } else {
            "ballots read"
        }
    );
    let mut t = Table::new(["assertion", "risk", "confirmed"]);
    for r in &a.assertions {
        t.row([
            r.label.clone(),
            format!("{:.4}", r.risk),
            if r.confirmed {
                "yes".into()
            } else {
                "no".to_string()
            },
        ]);
    }
    print!("{}", t.render());
    let unit = if st.method.draws_sheets() {
        "stations"
    } else {
        "ballots"
    };
    match a.decision {
        Decision::Confirmed => println!(
            "STOP: the reported winner is confirmed; the chance that a wrong winner would have been confirmed is at most {}.",
            pct(Some(st.risk_limit))
        ),
        Decision::AwaitingResults { outstanding } => println!(
            "WAIT: {} drawn {unit} have no audited result yet; the risk above uses the draws before the first of them.",
            int(outstanding)
        ),
        Decision::NextRound { size } => println!(
            "GO ON: draw {} more {unit} (`tallyproof audit sample`); the size assumes {}.",
            int(size),
            st.assumptions.describe()
        ),
        Decision::FullHandCount => println!(
            "FULL HAND COUNT: the sample cannot confirm the reported winner; count every {} by hand.",
            if st.method.draws_sheets() {
                "station"
            } else {
                "ballot"
            }
        ),
    }
    println!("{}", super::ASSUMES);
    Ok(ExitCode::SUCCESS)
}
