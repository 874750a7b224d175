//! Static export in the C2SP tlog-tiles layout, plus one JSON file per
//! station, and a verifier for such an export.

use std::fs;
use std::path::{Path, PathBuf};

use crate::checkpoint::SignedCheckpoint;
use crate::error::{Error, Result, io};
use crate::log::Log;
use crate::merkle::{Hash, Tree, leaf_hash};
use crate::note::VerifierKey;

/// Hashes per full tile (C2SP tlog-tiles §Merkle Tree: "Full tiles MUST be
/// exactly 256 hashes wide").
pub const TILE_WIDTH: u64 = 256;

/// Tree height spanned by one tile level.
const TILE_HEIGHT: u32 = 8;

/// What [`Log::export`] wrote.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExportReport {
    /// Tree size exported (the latest checkpoint's).
    pub tree_size: u64,
    /// Hash tiles written.
    pub tiles: u64,
    /// Entry bundles written.
    pub bundles: u64,
    /// Station files written.
    pub stations: u64,
}

/// The path element of tile index `n`: zero-padded 3-digit groups, all but
/// the last prefixed with `x` (C2SP tlog-tiles §Merkle Tree: "index 1234067
/// will be encoded as `x001/x234/067`").
pub fn tile_index_path(n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Path of a tile relative to the log prefix: `tile/<L>/<N>[.p/<W>]`, or
/// `tile/entries/<N>[.p/<W>]` for an entry bundle when `level` is `None`
/// (C2SP tlog-tiles §Merkle Tree, §Log entries). `width` below 256 marks a
/// partial tile.
pub fn tile_path(level: Option<u32>, n: u64, width: u64) -> String {
    let l = level.map_or_else(|| "entries".to_string(), |l| l.to_string());
    let mut p = format!("tile/{l}/{}", tile_index_path(n));
    if width < TILE_WIDTH {
        p.push_str(&format!(".p/{width}"));
    }
    p
}

/// File name of a station's JSON: bytes outside `[A-Za-z0-9._-]`, and a
/// leading `.`, are written as `%XX`.
pub fn station_file_name(station: &str) -> String {
    let mut s = String::new();
    for (i, b) in station.bytes().enumerate() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || (b == b'.' && i > 0) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s.push_str(".json");
    s
}

fn write_file(out: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    let path = out.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    fs::write(&path, bytes).map_err(io(&path))
}

/// The tiles of a tree of `size` leaves: `(level, index, width, hashes)`
/// (C2SP tlog-tiles §Merkle Tree, §Partial Tiles: the partial tile at level
/// `l` has `floor(s / 256^l) mod 256` hashes).
fn tiles(tree: &Tree, size: u64) -> Vec<(u32, u64, u64, &[Hash])> {
    let mut out = Vec::new();
    let mut level = 0u32;
    loop {
        let height = level * TILE_HEIGHT;
        if height >= 64 {
            break;
        }
        let count = size >> height;
        if count == 0 {
            break;
        }
        let hashes = &tree.level(height as usize)[..count as usize];
        for (n, chunk) in hashes.chunks(TILE_WIDTH as usize).enumerate() {
            out.push((level, n as u64, chunk.len() as u64, chunk));
        }
        level += 1;
    }
    out
}

impl Log {
    /// Writes the latest checkpoint's tree as a static site in `out`: the
    /// checkpoint at `checkpoint`, hash tiles at `tile/<L>/<N>[.p/<W>]`, entry
    /// bundles at `tile/entries/<N>[.p/<W>]` (C2SP tlog-tiles §APIs), and for
    /// each station `station/<id>.json` with its sheets and their inclusion
    /// proofs (RFC 9162 §2.1.3).
    pub fn export(&self, out: &Path) -> Result<ExportReport> {
        let cp = self.latest();
        let size = cp.size();
        fs::create_dir_all(out).map_err(io(out))?;
        let mut report = ExportReport {
            tree_size: size,
            tiles: 0,
            bundles: 0,
            stations: 0,
        };
        for (level, n, width, hashes) in tiles(self.tree(), size) {
            let mut bytes = Vec::with_capacity(hashes.len() * 32);
            for h in hashes {
                bytes.extend_from_slice(&h.0);
            }
            write_file(out, &tile_path(Some(level), n, width), &bytes)?;
            report.tiles += 1;
        }
        // Entry bundles: big-endian uint16 length-prefixed entries
        // (C2SP tlog-tiles §Log entries).
        let mut bundle = Vec::new();
        for i in 0..size {
            let e = self.entry(i)?;
            bundle.extend_from_slice(&(e.len() as u16).to_be_bytes());
            bundle.extend_from_slice(&e);
            let in_bundle = i % TILE_WIDTH + 1;
            if in_bundle == TILE_WIDTH || i + 1 == size {
                write_file(out, &tile_path(None, i / TILE_WIDTH, in_bundle), &bundle)?;
                bundle.clear();
                report.bundles += 1;
            }
        }
        for station in self.stations() {
            let proofs = match self.prove_station(station) {
                Ok(p) => p,
                Err(Error::UnknownStation(_)) => continue,
                Err(e) => return Err(e),
            };
            let doc = serde_json::json!({
                "station": station,
                "origin": self.origin(),
                "tree_size": size,
                "root": cp.root(),
                "checkpoint": cp.note(),
                "sheets": proofs.iter().map(|p| serde_json::json!({
                    "index": p.index,
                    "leaf_hash": p.leaf_hash,
                    "entry": p.entry,
                    "record": p.record,
                    "inclusion_proof": p.inclusion_proof,
                    "tlog_proof": p.to_tlog_proof(),
                })).collect::<Vec<_>>(),
            });
            let rel = format!("station/{}", station_file_name(station));
            let path = out.join(&rel);
            let bytes = serde_json::to_vec_pretty(&doc).map_err(|source| Error::Json {
                path: path.clone(),
                source,
            })?;
            write_file(out, &rel, &bytes)?;
            report.stations += 1;
        }
        write_file(out, "checkpoint", cp.note().as_bytes())?;
        Ok(report)
    }
}

/// Verifies a static export as a tlog-tiles client would: the checkpoint's
/// signature (C2SP signed-note), every entry bundle against the level-0 tiles,
/// every tile against the tiles above it, and the root (C2SP tlog-tiles
/// §Merkle Tree, RFC 6962 §2.1). Returns the checkpoint.
pub fn verify_export(out: &Path, key: &VerifierKey) -> Result<SignedCheckpoint> {
    let read = |rel: &str| -> Result<Vec<u8>> {
        let p: PathBuf = out.join(rel);
        fs::read(&p).map_err(io(&p))
    };
    let note = String::from_utf8_lossy(&read("checkpoint")?).into_owned();
    let cp = SignedCheckpoint::open(&note, key, "exported checkpoint")?;
    let size = cp.size();
    let mut tree = Tree::new();
    let bundles = size.div_ceil(TILE_WIDTH);
    for n in 0..bundles {
        let width = (size - n * TILE_WIDTH).min(TILE_WIDTH);
        let rel = tile_path(None, n, width);
        let bytes = read(&rel)?;
        let mut pos = 0usize;
        for k in 0..width {
            let index = n * TILE_WIDTH + k;
            let bad = |reason: &str| Error::MalformedEntry {
                index,
                reason: format!("{rel}: {reason}"),
            };
            let len = bytes
                .get(pos..pos + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
                .ok_or_else(|| bad("bundle ends early"))?;
            let e = bytes
                .get(pos + 2..pos + 2 + len)
                .ok_or_else(|| bad("bundle ends early"))?;
            tree.push(leaf_hash(e));
            pos += 2 + len;
        }
        if pos != bytes.len() {
            return Err(Error::MalformedEntry {
                index: n * TILE_WIDTH + width,
                reason: format!("{rel}: trailing bytes"),
            });
        }
    }
    for (level, n, width, hashes) in tiles(&tree, size) {
        let rel = tile_path(Some(level), n, width);
        let bytes = read(&rel)?;
        let want: Vec<u8> = hashes.iter().flat_map(|h| h.0).collect();
        if bytes != want {
            let first = bytes
                .chunks(32)
                .zip(want.chunks(32))
                .position(|(a, b)| a != b)
                .unwrap_or(hashes.len().min(bytes.len() / 32)) as u64;
            let span = TILE_WIDTH.pow(level);
            let index = (n * TILE_WIDTH + first) * span;
            return Err(Error::EntryMismatch {
                index,
                station: "?".into(),
                reason: format!("{rel}: hash {first} differs from the entries"),
            });
        }
    }
    if tree.root(size)? != cp.root() {
        return Err(Error::RootMismatch {
            which: "exported checkpoint".into(),
            first: 0,
            end: size,
        });
    }
    Ok(cp)
}
