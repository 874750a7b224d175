//! `tallyproof audit`: a risk-limiting audit of the reported results, one
//! station's sheet (or one ballot) at a time, on one state file.
//!
//! ```text
//! tallyproof audit plan   --config C --reported FILE... --risk-limit 0.05 [--method macro,alpha,bravo]
//!                         [--error-rate 0.01 --error-votes 4] [--state AUDIT.json] [--json]
//! tallyproof audit sample --state AUDIT.json [--seed SEED] [--size N] [--out SAMPLE.csv] [--json]
//! tallyproof audit record --state AUDIT.json --config C FILE...      (audited sheets: macro, alpha)
//! tallyproof audit record --state AUDIT.json --ballots BALLOTS.csv   (drawn ballots: bravo)
//! tallyproof audit assess --state AUDIT.json [--json]
//! ```
//!
//! `plan` prints, per method side by side, the sample size expected to
//! reach the risk limit under the stated assumptions; with `--state` it
//! starts the audit (one method). `sample` draws the next round (the
//! first round needs `--seed`: fix it in public AFTER the reported results
//! are published, e.g. by dice; a seed chosen after the data is seen is
//! worthless). `record` reads the audited sheets with the same readers and
//! validation as any sheet. `assess` recomputes every draw and every risk
//! from the state file alone and says: stop (confirmed), go on (next
//! round's size) or count everything by hand. The audit limits the risk
//! only if the seed was fixed after the reported results, the reported
//! results list every station (the frame is complete), and the audited
//! result is the true count of that station's ballots.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use tallyproof_stats::audit::AuditState;

mod assess;
mod plan;
mod record;
mod sample;

/// Risk-limiting audits of the reported results.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Sample sizes for the risk limit, per method side by side; with
    /// --state, start the audit.
    Plan(plan::Args),
    /// Draw the next round from the public seed.
    Sample(sample::Args),
    /// Record audited sheets (or drawn ballots) into the state.
    Record(record::Args),
    /// The risk so far per winner–loser pair, and what to do next.
    Assess(assess::Args),
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::Plan(a) => plan::run(a),
        Command::Sample(a) => sample::run(a),
        Command::Record(a) => record::run(a),
        Command::Assess(a) => assess::run(a),
    }
}

/// Read a state file.
fn load(path: &Path) -> Result<AuditState> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let st: AuditState = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an audit state file", path.display()))?;
    if st.format != tallyproof_stats::audit::state::FORMAT {
        anyhow::bail!(
            "{}: format {:?}, expected {:?}",
            path.display(),
            st.format,
            tallyproof_stats::audit::state::FORMAT
        );
    }
    Ok(st)
}

/// Write a state file (whole, then renamed into place).
fn save(path: &Path, st: &AuditState) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(st)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// What every risk printed assumes.
const ASSUMES: &str = "assumes: the seed was fixed after the reported results were published; the reported results list every station; each audited result is the true count of that station's ballots";
