//! What the `log` subcommands print: a few lines for people, `--json` for
//! programs.

use std::path::Path;

use anyhow::{Context, Result};
use tallyproof_ledger::{
    AppendReport, ConsistencyProof, ExportReport, SignedCheckpoint, StationProof, VerifierKey,
};

pub fn json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub fn init(dir: &Path, origin: &str, vkey: &VerifierKey, as_json: bool) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({
            "dir": dir, "origin": origin, "vkey": vkey.to_string(),
        }));
    }
    println!("{vkey}");
    eprintln!(
        "log created in {}; publish the verifier key above; the private key is {} (mode 0600)",
        dir.display(),
        dir.join("skey").display()
    );
    Ok(())
}

pub fn append(
    dir: &Path,
    rep: &AppendReport,
    size: u64,
    cp: Option<&SignedCheckpoint>,
    as_json: bool,
) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({
            "appended": rep.appended,
            "accepted": rep.accepted,
            "quarantined": rep.quarantined,
            "first_index": rep.first_index,
            "repaired_bytes": rep.repaired_bytes,
            "size": size,
            "checkpoint": cp.map(|c| c.note()),
        }));
    }
    if rep.repaired_bytes > 0 {
        println!(
            "cut off {} bytes of an interrupted append",
            rep.repaired_bytes
        );
    }
    println!(
        "appended {} sheets ({} accepted, {} quarantined) as leaves {}..{size}",
        rep.appended, rep.accepted, rep.quarantined, rep.first_index
    );
    match cp {
        Some(cp) => print!("signed checkpoint:\n{}", cp.note()),
        None => println!(
            "not signed yet: run `tallyproof log checkpoint --dir {}`",
            dir.display()
        ),
    }
    Ok(())
}

pub fn checkpoint(cp: &SignedCheckpoint, as_json: bool) -> Result<()> {
    if as_json {
        return json(&serde_json::json!({
            "size": cp.size(), "root": cp.root(), "note": cp.note(),
        }));
    }
    print!("{}", cp.note());
    Ok(())
}

/// Each proof as `<station>-<index>.tlog-proof` in `out`.
pub fn write_proofs(out: &Path, station: &str, proofs: &[StationProof]) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let name = tallyproof_ledger::station_file_name(station);
    let name = name.trim_end_matches(".json");
    for p in proofs {
        let path = out.join(format!("{name}-{}.tlog-proof", p.index));
        std::fs::write(&path, p.to_tlog_proof())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

pub fn proofs(proofs: &[StationProof], as_json: bool) -> Result<()> {
    if as_json {
        return json(&proofs);
    }
    for p in proofs {
        print!("{}", p.to_tlog_proof());
    }
    Ok(())
}

pub fn consistency(c: &ConsistencyProof, as_json: bool) -> Result<()> {
    if as_json {
        return json(c);
    }
    println!("old size {} root {}", c.old_size, c.old_root.to_base64());
    println!("new size {} root {}", c.new_size, c.new_root.to_base64());
    for h in &c.proof {
        println!("{}", h.to_base64());
    }
    Ok(())
}

pub fn export(out: &Path, r: &ExportReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(r);
    }
    println!(
        "exported tree of size {} to {}: {} tiles, {} entry bundles, {} stations in {} station \
         bundles ({} files, {:.1} MB)",
        r.tree_size,
        out.display(),
        r.tiles,
        r.bundles,
        r.stations,
        r.station_bundles,
        r.files,
        r.bytes as f64 / 1e6
    );
    Ok(())
}
