//! `tallyproof log`: the append-only, signed Merkle log of every sheet.
//!
//! ```text
//! tallyproof log init        --dir L --origin NAME
//! tallyproof log append      --dir L --config C [--registry R] FILE... [--corrects] [--checkpoint]
//! tallyproof log checkpoint  --dir L
//! tallyproof log prove       --dir L --station ID [--out DIR]
//! tallyproof log consistency --dir L --from SIZE
//! tallyproof log verify      --dir L [--key VKEY] [--trusted CHECKPOINT]
//! tallyproof log export      --dir L --out SITE
//! ```
//!
//! `init` creates the log and its Ed25519 key (private key file `L/skey`,
//! mode 0600, never printed) and prints the verifier key to publish.
//! `append` reads the sheets as the other subcommands do and appends one
//! leaf per sheet, accepted and quarantined alike, in input order, with its
//! status (rule codes) and provenance (file, line, and for `scan` output the
//! image SHA-256 and QR payload). With `--corrects`, each sheet names the
//! latest earlier leaf of its station as the one it supersedes; nothing is
//! ever edited. `checkpoint` signs the tree head (C2SP tlog-checkpoint as a
//! C2SP signed note). `prove` prints the inclusion proof(s) of a station's
//! sheet(s) against the latest checkpoint, and with `--out` writes each as a
//! C2SP `.tlog-proof` file. `consistency` prints the RFC 9162 consistency
//! proof from an older size to the latest checkpoint. `verify` checks
//! everything offline and names the first bad entry. `export` writes the
//! static C2SP tlog-tiles site plus one JSON file per station.
//!
//! Formats: docs/ledger-format.md. Every subcommand takes `--json`.
//! Exit codes: 0 done (for `verify`: the log verifies); 1 `verify` found the
//! log altered, rolled back or signed by another key; 2 bad usage or
//! unreadable input.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tallyproof_core::Dataset;
use tallyproof_ledger::{
    LeafRecord, Log, Provenance, SourceKind, Status, VerifierKey, VerifyOptions,
};

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
        /// The older tree size.
        #[arg(long, value_name = "SIZE")]
        from: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Verify the log offline; name the first bad entry.
    Verify {
        /// The log directory.
        #[arg(long, value_name = "L")]
        dir: PathBuf,
        /// The verifier key to trust (the key itself, or a file holding it);
        /// default: the log's own `vkey` file.
        #[arg(long, value_name = "VKEY")]
        key: Option<String>,
        /// A checkpoint file obtained earlier: the log must still contain it.
        #[arg(long, value_name = "FILE")]
        trusted: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the static C2SP tlog-tiles site and one JSON per station.
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
            if json {
                print_json(&serde_json::json!({
                    "dir": dir, "origin": origin, "vkey": vkey.to_string(),
                }))?;
            } else {
                println!("{vkey}");
                eprintln!(
                    "log created in {}; publish the verifier key above; the private key is {} (mode 0600)",
                    dir.display(),
                    dir.join("skey").display()
                );
            }
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
            let mut records = records_from_dataset(&data, &contest, received.as_deref())?;
            if corrects {
                let mut last: HashMap<String, u64> = HashMap::new();
                let first = log.size();
                for (i, r) in records.iter_mut().enumerate() {
                    let prior = last
                        .get(&r.station)
                        .copied()
                        .or_else(|| log.station_indices(&r.station).last().copied());
                    r.supersedes = prior;
                    last.insert(r.station.clone(), first + i as u64);
                }
            }
            let (accepted, quarantined) = records.iter().fold((0, 0), |(a, q), r| match r.status {
                Status::Accepted => (a + 1, q),
                Status::Quarantined(_) => (a, q + 1),
            });
            let rep = log.append(records)?;
            let cp = if checkpoint {
                Some(log.checkpoint()?)
            } else {
                None
            };
            if json {
                print_json(&serde_json::json!({
                    "appended": rep.appended,
                    "accepted": accepted,
                    "quarantined": quarantined,
                    "first_index": rep.first_index,
                    "repaired_bytes": rep.repaired_bytes,
                    "size": log.size(),
                    "checkpoint": cp.as_ref().map(|c| c.note()),
                }))?;
            } else {
                if rep.repaired_bytes > 0 {
                    println!(
                        "cut off {} bytes of an interrupted append",
                        rep.repaired_bytes
                    );
                }
                println!(
                    "appended {} sheets ({accepted} accepted, {quarantined} quarantined) as leaves {}..{}",
                    rep.appended,
                    rep.first_index,
                    log.size()
                );
                match cp {
                    Some(cp) => print!("signed checkpoint:\n{}", cp.note()),
                    None => println!(
                        "not signed yet: run `tallyproof log checkpoint --dir {}`",
                        dir.display()
                    ),
                }
            }
        }
        Sub::Checkpoint { dir, json } => {
            let mut log = open(&dir)?;
            let cp = log.checkpoint()?;
            if json {
                print_json(&serde_json::json!({
                    "size": cp.size(), "root": cp.root(), "note": cp.note(),
                }))?;
            } else {
                print!("{}", cp.note());
            }
        }
        Sub::Prove {
            dir,
            station,
            out,
            json,
        } => {
            let log = open(&dir)?;
            let proofs = log.prove_station(&station)?;
            if let Some(out) = &out {
                std::fs::create_dir_all(out)
                    .with_context(|| format!("creating {}", out.display()))?;
                for p in &proofs {
                    let name = tallyproof_ledger::station_file_name(&station);
                    let name = format!("{}-{}.tlog-proof", name.trim_end_matches(".json"), p.index);
                    let path = out.join(name);
                    std::fs::write(&path, p.to_tlog_proof())
                        .with_context(|| format!("writing {}", path.display()))?;
                }
            }
            if json {
                print_json(&proofs)?;
            } else {
                for p in &proofs {
                    print!("{}", p.to_tlog_proof());
                }
            }
        }
        Sub::Consistency { dir, from, json } => {
            let log = open(&dir)?;
            let c = log.consistency(from)?;
            if json {
                print_json(&c)?;
            } else {
                println!("old size {} root {}", c.old_size, c.old_root.to_base64());
                println!("new size {} root {}", c.new_size, c.new_root.to_base64());
                for h in &c.proof {
                    println!("{}", h.to_base64());
                }
            }
        }
        Sub::Verify {
            dir,
            key,
            trusted,
            json,
        } => {
            let key = key.as_deref().map(read_key).transpose()?;
            let trusted_checkpoint = trusted
                .as_ref()
                .map(|p| {
                    std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
                })
                .transpose()?;
            let opts = VerifyOptions {
                key,
                trusted_checkpoint,
            };
            return Ok(match tallyproof_ledger::verify(&dir, &opts) {
                Ok(r) => {
                    if json {
                        print_json(&serde_json::json!({ "ok": true, "report": r }))?;
                    } else {
                        println!(
                            "ok: the entries reproduce the signed checkpoint of size {} (origin {}, {} checkpoints checked)",
                            r.checkpoint_size, r.origin, r.checkpoints_checked
                        );
                        if r.unsigned_entries > 0 {
                            println!(
                                "{} entries appended after it are not signed yet",
                                r.unsigned_entries
                            );
                        }
                        if r.torn_bytes > 0 {
                            println!(
                                "{} bytes of an interrupted append follow; the next append cuts them off",
                                r.torn_bytes
                            );
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e @ tallyproof_ledger::Error::Io { .. }) => {
                    return Err(e).with_context(|| format!("verifying {}", dir.display()));
                }
                Err(e) => {
                    if json {
                        print_json(&serde_json::json!({ "ok": false, "error": e.to_string() }))?;
                    }
                    eprintln!("verification failed: {e}");
                    ExitCode::from(1)
                }
            });
        }
        Sub::Export { dir, out, json } => {
            let log = open(&dir)?;
            let r = log.export(&out)?;
            if json {
                print_json(&r)?;
            } else {
                println!(
                    "exported tree of size {} to {}: {} tiles, {} entry bundles, {} station files",
                    r.tree_size,
                    out.display(),
                    r.tiles,
                    r.bundles,
                    r.stations
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open(dir: &Path) -> Result<Log> {
    Log::open(dir).with_context(|| format!("opening the log in {}", dir.display()))
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// A verifier key given on the command line, or the file holding it.
fn read_key(s: &str) -> Result<VerifierKey> {
    if let Ok(k) = VerifierKey::parse(s) {
        return Ok(k);
    }
    let text = std::fs::read_to_string(s)
        .with_context(|| format!("--key {s:?} is neither a verifier key nor a readable file"))?;
    Ok(VerifierKey::parse(text.trim())?)
}

/// Provenance fields that `scan` writes into its JSON Lines, by line number.
#[derive(Default)]
struct Extra {
    kind: Option<SourceKind>,
    image: Option<String>,
    image_sha256: Option<String>,
    qr_payload: Option<String>,
}

fn jsonl_extras(path: &str) -> Result<HashMap<u64, Extra>> {
    let mut out = HashMap::new();
    let lower = path.to_ascii_lowercase();
    if !(lower.ends_with(".jsonl") || lower.ends_with(".ndjson")) {
        return Ok(out);
    }
    let text = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let Ok(obj) =
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line.trim_ascii())
        else {
            continue;
        };
        let get = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let kind = get("source").and_then(|s| match s.as_str() {
            "scan" => Some(SourceKind::Scan),
            "witness" => Some(SourceKind::Witness),
            "official" => Some(SourceKind::Official),
            "import" => Some(SourceKind::Import),
            _ => None,
        });
        out.insert(
            n as u64 + 1,
            Extra {
                kind,
                image: get("image"),
                image_sha256: get("image_sha256"),
                qr_payload: get("qr_payload"),
            },
        );
    }
    Ok(out)
}

/// One leaf per sheet, accepted and quarantined, in input order (file,
/// line).
fn records_from_dataset(
    ds: &Dataset,
    contest: &str,
    received: Option<&str>,
) -> Result<Vec<LeafRecord>> {
    let extras: Vec<HashMap<u64, Extra>> = ds
        .files
        .iter()
        .map(|f| jsonl_extras(&f.path))
        .collect::<Result<_>>()?;
    let provenance = |file: u32, line: u64| {
        let path = ds.files.get(file as usize).map(|f| f.path.clone());
        let x = extras.get(file as usize).and_then(|m| m.get(&line));
        let kind = x.and_then(|x| x.kind).unwrap_or(SourceKind::Import);
        Provenance {
            kind,
            // For a scanned sheet, the image is the source; the JSONL line
            // still locates the transcription.
            file: x.and_then(|x| x.image.clone()).or(path),
            line: Some(line),
            image_sha256: x.and_then(|x| x.image_sha256.clone()),
            qr_payload: x.and_then(|x| x.qr_payload.clone()),
            received: received.map(str::to_string),
        }
    };
    let s = &ds.sheets;
    let col = |c: &Option<Vec<u32>>, i: usize| c.as_ref().map(|v| u64::from(v[i]));
    let mut out: Vec<((u32, u64), LeafRecord)> = Vec::with_capacity(s.len() + ds.quarantine.len());
    for i in 0..s.len() {
        let src = s.source[i];
        let mut r = LeafRecord::new(s.station.get(i), contest, SourceKind::Import);
        r.counts = ds
            .options
            .iter()
            .zip(&s.votes)
            .map(|(k, v)| (k.clone(), u64::from(v[i])))
            .collect();
        r.null = col(&s.null, i);
        r.blank = col(&s.blank, i);
        r.ballots = col(&s.ballots, i);
        r.registered = col(&s.registered, i);
        r.provenance = provenance(src.file, src.line);
        out.push(((src.file, src.line), r));
    }
    for q in &ds.quarantine {
        let station = q
            .station
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("(no id: {})", ds.locate(&q.source)));
        let mut r = LeafRecord::new(&station, contest, SourceKind::Import);
        r.status = Status::Quarantined(
            q.reasons
                .iter()
                .map(|x| x.rule.code().to_string())
                .collect(),
        );
        r.provenance = provenance(q.source.file, q.source.line);
        out.push(((q.source.file, q.source.line), r));
    }
    out.sort_by_key(|(k, _)| *k);
    if out.is_empty() {
        bail!("no sheets in the input");
    }
    Ok(out.into_iter().map(|(_, r)| r).collect())
}
