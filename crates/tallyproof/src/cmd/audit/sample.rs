//! `tallyproof audit sample`: draw the next round from the public seed.
//!
//! The first round needs `--seed`: fix it in public after the reported
//! results are published (dice rolled before witnesses; publish
//! `tallyproof sample commit` first). A seed chosen after the data is seen
//! can pick any sample and is worthless. Without `--size`, the round's size
//! is the plan's (first round) or the assessment's (later rounds).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use tallyproof_stats::audit::plan::plan;
use tallyproof_stats::audit::state::{Decision, assess};

use crate::output::{Table, int};

/// Draw the next round.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The audit state file.
    #[arg(long, value_name = "AUDIT.json")]
    state: PathBuf,
    /// The public seed (first round only; later rounds reuse it).
    #[arg(long)]
    seed: Option<String>,
    /// Draws in this round (default: the planned or assessed size).
    #[arg(long)]
    size: Option<u64>,
    /// Also write the round's draws as CSV (draw, ticket, station, ballot).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut st = super::load(&args.state)?;
    match (&st.seed, &args.seed) {
        (None, Some(s)) => {
            tallyproof_stats::sample::Seed::new(s)?;
            st.seed = Some(s.clone());
        }
        (None, None) => bail!(
            "the first round needs --seed: a public seed fixed after the reported results were published"
        ),
        (Some(old), Some(s)) if old != s => bail!(
            "this audit's seed is already fixed ({old:?}); a new seed would make a new sample"
        ),
        _ => {}
    }
    let size = match args.size {
        Some(n) => n,
        None if st.rounds.is_empty() => {
            plan(&st.reported, st.method, st.risk_limit, st.assumptions)?.size
        }
        None => match assess(&st)?.decision {
            Decision::NextRound { size } => size,
            Decision::Confirmed => bail!(
                "the audit is over: the reported winner is confirmed at risk limit {}",
                st.risk_limit
            ),
            Decision::AwaitingResults { outstanding } => bail!(
                "{outstanding} draws of the last round are not recorded yet (`tallyproof audit record`)"
            ),
            Decision::FullHandCount => {
                bail!("the assessment calls for a full hand count, not another round")
            }
        },
    };
    let round = st.add_round(size)?.clone();
    super::save(&args.state, &st)?;
    if let Some(path) = &args.out {
        let mut text = String::from("draw,ticket,station,ballot\n");
        for d in &round.draws {
            text.push_str(&format!(
                "{},{},{},{}\n",
                d.number,
                d.ticket,
                d.station,
                d.ballot.map_or(String::new(), |b| b.to_string())
            ));
        }
        std::fs::write(path, text)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&round)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Round {}: {} draws ({} in all) by {} from seed {:?}.",
        round.number,
        int(round.draws.len() as u64),
        int(st.draws().count() as u64),
        st.method.as_str(),
        st.seed.as_deref().unwrap_or("")
    );
    let mut t = Table::new(["draw", "station", "ballot", "ticket"]);
    for d in round.draws.iter().take(50) {
        t.row([
            int(d.number),
            d.station.clone(),
            d.ballot.map_or("-".into(), int),
            d.ticket.clone(),
        ]);
    }
    print!("{}", t.render());
    if round.draws.len() > 50 {
        println!(
            "… {} more (--out FILE or --json for all)",
            round.draws.len() - 50
        );
    }
    println!(
        "Anyone can redo these draws from the seed and the reported results in the state file (`tallyproof audit assess` does)."
    );
    Ok(ExitCode::SUCCESS)
}
