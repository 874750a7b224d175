//! `tallyproof log`: the append-only, signed Merkle log of every sheet.
//!
//! ```text
//! tallyproof log init        --dir L --origin NAME
//! tallyproof log append      --dir L --config C [--registry R] FILE... [--corrects] [--checkpoint]
//! tallyproof log checkpoint  --dir L
//! tallyproof log prove       --dir L --station ID [--out DIR]
//! tallyproof log consistency --dir L --from SIZE
//! tallyproof log verify      --dir L [--key VKEY] [--trusted CHECKPOINT]
//! tallyproof log verify      --site SITE [--key VKEY] [--station ID]
//! tallyproof log export      --dir L --out SITE
//! ```
//!
//! `init` creates the log and its Ed25519 key (private key file `L/skey`,
//! mode 0600, never printed) and prints the verifier key to publish.
//! `append` reads the sheets as the other subcommands do and appends one
//! leaf per sheet, accepted and quarantined alike, in input order, with its
//! status (rule codes) and provenance (the file's name and SHA-256, never its
//! path; the line; for `scan` output the image SHA-256 and QR payload). With
//! `--corrects`, each sheet names the latest earlier leaf of its station as
//! the one it supersedes; nothing is ever edited. `checkpoint` signs the
//! tree head (C2SP tlog-checkpoint as a C2SP signed note). `prove` prints the
//! inclusion proof(s) of a station's sheet(s) against the latest checkpoint,
//! and with `--out` writes each as a C2SP `.tlog-proof` file. `consistency`
//! prints the RFC 9162 consistency proof from an older size to the latest
//! checkpoint. `verify --dir` checks a log directory offline and names the
//! first bad entry; `verify --site` checks an exported site with nothing but
//! its files (checkpoint signature, every tile, entry bundle and station
//! bundle) and names the first file that differs, and with `--station` finds
//! and checks one station's sheets in it. `export` writes the static C2SP
//! tlog-tiles site plus the station bundles.
//!
//! Formats: docs/ledger-format.md. Every subcommand takes `--json`.
//! Exit codes: 0 done (for `verify`: it verifies); 1 `verify` found the log
//! or site altered, rolled back or signed by another key; 2 bad usage or
//! unreadable input.

mod show;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tallyproof_ledger::Log;

use super::input::{Input, Loaded};

/// The signed, append-only log of every sheet.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Create a log and its key; print the verifier key to publish.
    Init {
        /// The log directory (created if missing).
        #[arg(long, value_name = "L")]
        dir: PathBuf,
        /// The log's origin and key name, a schema-less URL such as
        /// `example.org/ve2024`.
        #[arg(long, value_name = "NAME")]
        origin: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Append one leaf per sheet (accepted and quarantined alike).
    Append {
        /// The log directory.
        #[arg(long, value_name = "L")]
        dir: PathBuf,
        #[command(flatten)]
        input: Input,
        /// Each sheet corrects the latest earlier leaf of its station.
        #[arg(long)]
        corrects: bool,
        /// Sign a checkpoint right after appending.
        #[arg(long)]
        checkpoint: bool,
        /// When the sheets were received (RFC 3339), recorded in each leaf.
        #[arg(long, value_name = "TIME")]
        received: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a checkpoint of every leaf appended so far.
    Checkpoint {
        /// The log directory.
        #[arg(long, value_name = "L")]
        dir: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Inclusion proof(s) of a station's sheet(s) against the latest checkpoint.
    Prove {
        /// The log directory.
        #[arg(long, value_name = "L")]
        dir: PathBuf,
        /// The station id.
        #[arg(long, value_name = "ID")]
        station: String,
        /// Write each proof as `<station>-<index>.tlog-proof` in this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Consistency proof from an older tree size to the latest checkpoint.
    Consistency {
        /// The log directory.
        #[arg(long, value_name = "L")]
        dir: PathBuf,
        /// The older tree size (at least 1: every tree is consistent with
        /// the empty one).
        #[arg(long, value_name = "SIZE")]
        from: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify a log directory, or an exported site, offline; name the first
    /// bad entry or file.
    Verify(verify::Args),
    /// Write the static C2SP tlog-tiles site and the station bundles.
    Export {
        /// The log directory.
        #[arg(long, value_name = "L")]
        dir: PathBuf,
        /// The site directory.
        #[arg(long, value_name = "SITE")]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Sub::Init { dir, origin, json } => {
            let vkey = tallyproof_ledger::init(&dir, &origin)
                .with_context(|| format!("creating a log in {}", dir.display()))?;
            show::init(&dir, &origin, &vkey, json)?;
        }
        Sub::Append {
            dir,
            input,
            corrects,
            checkpoint,
            received,
            json,
        } => {
            let mut log = open(&dir)?;
            let Loaded { config, data, .. } = input.load()?;
            let contest = config.election.contest.clone().unwrap_or_default();
            let mut records =
                tallyproof_ledger::leaves_from_dataset(&data, &contest, received.as_deref());
            if records.is_empty() {
                bail!("no sheets in the input");
            }
            if corrects {
                log.link_corrections(&mut records);
            }
            let rep = log.append(records)?;
            let cp = checkpoint.then(|| log.checkpoint()).transpose()?;
            show::append(&dir, &rep, log.size(), cp.as_ref(), json)?;
        }
        Sub::Checkpoint { dir, json } => {
            let cp = open(&dir)?.checkpoint()?;
            show::checkpoint(&cp, json)?;
        }
        Sub::Prove {
            dir,
            station,
            out,
            json,
        } => {
            let proofs = open(&dir)?.prove_station(&station)?;
            if let Some(out) = &out {
                show::write_proofs(out, &station, &proofs)?;
            }
            show::proofs(&proofs, json)?;
        }
        Sub::Consistency { dir, from, json } => {
            let c = open(&dir)?.consistency(from)?;
            show::consistency(&c, json)?;
        }
        Sub::Verify(a) => return verify::run(a),
        Sub::Export { dir, out, json } => {
            let r = open(&dir)?
                .export(&out)
                .with_context(|| format!("exporting to {}", out.display()))?;
            show::export(&out, &r, json)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open(dir: &Path) -> Result<Log> {
    Log::open(dir).with_context(|| format!("opening the log in {}", dir.display()))
}
