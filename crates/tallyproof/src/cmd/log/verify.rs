//! `tallyproof log verify`: a log directory (`--dir`) or an exported site
//! (`--site`, optionally one `--station` in it), offline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use tallyproof_ledger::{Error, VerifierKey, VerifyOptions};

use super::show::json;

#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["dir", "site"])))]
pub struct Args {
    /// The log directory.
    #[arg(long, value_name = "L")]
    dir: Option<PathBuf>,
    /// An exported site (`log export`, `export`): checked with nothing but
    /// its files.
    #[arg(long, value_name = "SITE", conflicts_with = "trusted")]
    site: Option<PathBuf>,
    /// The verifier key to trust (the key itself, or a file holding it);
    /// default: the log's (or the site's) own `vkey` file.
    #[arg(long, value_name = "VKEY")]
    key: Option<String>,
    /// A checkpoint file obtained earlier: the log must still contain it.
    #[arg(long, value_name = "FILE")]
    trusted: Option<PathBuf>,
    /// With --site: find this station's sheets and check only their proofs.
    #[arg(long, value_name = "ID", requires = "site")]
    station: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let key = a.key.as_deref().map(read_key).transpose()?;
    let outcome = match (&a.dir, &a.site) {
        (Some(dir), _) => {
            let trusted_checkpoint = a
                .trusted
                .as_ref()
                .map(|p| {
                    std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
                })
                .transpose()?;
            let opts = VerifyOptions {
                key,
                trusted_checkpoint,
            };
            match tallyproof_ledger::verify(dir, &opts) {
                Err(e @ Error::Io { .. }) => {
                    return Err(e).with_context(|| format!("verifying {}", dir.display()));
                }
                r => r.map(|r| log_ok(&r, a.json)),
            }
        }
        (None, Some(site)) => {
            if !site.join("checkpoint").is_file() {
                bail!(
                    "{}: not an exported site (no checkpoint file)",
                    site.display()
                );
            }
            match &a.station {
                Some(id) => tallyproof_ledger::lookup_station(site, key.as_ref(), id)
                    .map(|p| station_ok(id, &p, key.is_none(), a.json)),
                None => {
                    tallyproof_ledger::verify_site(site, key.as_ref()).map(|r| site_ok(&r, a.json))
                }
            }
        }
        (None, None) => bail!("give --dir or --site"),
    };
    match outcome {
        Ok(printed) => {
            printed?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if a.json {
                json(&serde_json::json!({ "ok": false, "error": e.to_string() }))?;
            }
            eprintln!("verification failed: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn log_ok(r: &tallyproof_ledger::VerifyReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({ "ok": true, "report": r }));
    }
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
    Ok(())
}

const OWN_KEY: &str = "checked against the site's own vkey file, which proves only that the \
                       files agree with each other: pass --key with the key the log operator \
                       published";

fn site_ok(r: &tallyproof_ledger::SiteReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({ "ok": true, "report": r }));
    }
    println!(
        "ok: the site reproduces the signed checkpoint of size {} (origin {}): {} tiles, {} entry \
         bundles, {} stations in {} station bundles, every sheet's proof checked",
        r.tree_size, r.origin, r.tiles, r.entry_bundles, r.stations, r.station_bundles
    );
    if r.key_from_site {
        println!("note: {OWN_KEY}");
    }
    Ok(())
}

fn station_ok(
    id: &str,
    proofs: &[tallyproof_ledger::StationProof],
    own_key: bool,
    as_json: bool,
) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({
            "ok": true, "station": id, "key_from_site": own_key, "sheets": proofs,
        }));
    }
    let size = proofs.first().map_or(0, |p| p.tree_size);
    println!(
        "ok: {} sheet(s) of station {id}, each proven in the signed tree of size {size}",
        proofs.len()
    );
    if own_key {
        println!("note: {OWN_KEY}");
    }
    for p in proofs {
        println!("\nleaf {}:", p.index);
        print!("{}", p.entry);
    }
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
