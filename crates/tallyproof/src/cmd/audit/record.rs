//! `tallyproof audit record`: the audited results of drawn stations, read
//! with the same config, readers and validation as any sheet (a
//! quarantined sheet is not recorded: fix it and record again); or, for
//! ballot polling, the vote on each drawn ballot from a CSV `draw,vote`
//! (vote: an option key, empty for blank, null or other).
//!
//! Exit 0 when every sheet read was recorded or was of a station not drawn
//! (reported on stderr), 1 when a sheet was quarantined (not recorded),
//! 2 when the input cannot be read or does not fit the audit.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tallyproof_core::{Config, read_files};
use tallyproof_stats::audit::Reported;

use crate::output::int;
use crate::progress::Bar;

/// Record audited sheets or ballots.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The audit state file.
    #[arg(long, value_name = "AUDIT.json")]
    state: PathBuf,
    /// The config that reads the audited sheets (the reported results' config).
    #[arg(long, short = 'c', value_name = "CONFIG")]
    config: Option<PathBuf>,
    /// Audited sheets of drawn stations (macro, alpha).
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Drawn ballots, CSV `draw,vote` (bravo).
    #[arg(long, value_name = "FILE")]
    ballots: Option<PathBuf>,
    /// Print JSON instead of a sentence.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut st = super::load(&args.state)?;
    if let Some(path) = &args.ballots {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut n = 0u64;
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || (i == 0 && line.starts_with("draw")) {
                continue;
            }
            let (d, v) = line.split_once(',').unwrap_or((line, ""));
            let d: u64 = d.trim().parse().with_context(|| {
                format!("{}:{}: draw {d:?} is not a number", path.display(), i + 1)
            })?;
            let v = v.trim();
            st.record_ballot(d, (!v.is_empty()).then_some(v))
                .with_context(|| format!("{}:{}", path.display(), i + 1))?;
            n += 1;
        }
        super::save(&args.state, &st)?;
        if args.json {
            println!("{}", serde_json::json!({ "recorded_ballots": n }));
        } else {
            println!(
                "recorded {} ballots; `tallyproof audit assess --state {}` gives the risk",
                int(n),
                args.state.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(cfg) = &args.config else {
        bail!("audited sheets need --config (or --ballots for ballot polling)")
    };
    if args.files.is_empty() {
        bail!("no audited sheet files given");
    }
    let config = Config::from_path(cfg)?;
    let bar = Bar::bytes(
        args.files
            .iter()
            .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
            .sum(),
    );
    let data = read_files(&config, &args.files, None, &bar);
    bar.finish();
    let data = data?;
    if data.options != st.reported.options {
        bail!(
            "the config's options {:?} are not the audit's {:?}",
            data.options,
            st.reported.options
        );
    }
    for q in &data.quarantine {
        let why: Vec<String> = q
            .reasons
            .iter()
            .map(|r| format!("{} {}", r.rule.code(), r.message))
            .collect();
        eprintln!(
            "not recorded: {}: {}",
            data.locate(&q.source),
            why.join("; ")
        );
    }
    let audited = Reported::from_dataset(&data)?;
    let (mut n, mut skipped, mut differ) = (0u64, 0u64, 0u64);
    for s in &audited.stations {
        if !st.is_drawn(&s.station) {
            eprintln!("not recorded: station {} was not drawn", s.station);
            skipped += 1;
            continue;
        }
        let i = st
            .reported
            .index_of(&s.station)
            .context("drawn station not in the reported results")?;
        let rep = &st.reported.stations[i];
        if s.votes != rep.votes {
            differ += 1;
        }
        if s.ballots > rep.ballots {
            eprintln!(
                "station {}: the audited sheet has {} ballots, the reported {}; the audit counts at most the reported ballots' worth of change",
                s.station, s.ballots, rep.ballots
            );
        }
        st.record_sheet(&s.station, s.votes.clone())?;
        n += 1;
    }
    super::save(&args.state, &st)?;
    if args.json {
        let v = serde_json::json!({
            "recorded": n,
            "differ": differ,
            "not_drawn": skipped,
            "quarantined": data.quarantine.len(),
        });
        println!("{v}");
        return Ok(code(data.quarantine.len()));
    }
    println!(
        "recorded {} audited sheets ({} differ from the reported); {} not drawn, {} quarantined; `tallyproof audit assess --state {}` gives the risk",
        int(n),
        int(differ),
        int(skipped),
        int(data.quarantine.len() as u64),
        args.state.display()
    );
    Ok(code(data.quarantine.len()))
}

/// Exit 1 when an audited sheet was quarantined (as `validate` does): it
/// is not recorded, and its station still waits for a valid sheet.
fn code(quarantined: usize) -> ExitCode {
    if quarantined > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
