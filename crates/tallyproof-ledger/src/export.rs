//! Static export in the C2SP tlog-tiles layout, plus every station's sheets
//! and proofs in station bundles (`crate::bundle`).

use std::fs;
use std::path::Path;

use crate::bundle::{
    BUNDLE_FORMAT, BundleSheet, BundleStation, INDEX_FORMAT, INDEX_PATH, IndexRow,
    STATIONS_PER_BUNDLE, StationBundle, StationIndex, bundle_path,
};
use crate::checkpoint::SignedCheckpoint;
use crate::error::{Error, Result, io};
use crate::log::Log;
use crate::merkle::{Hash, Tree};
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
    /// Stations written, in station bundles.
    pub stations: u64,
    /// Station bundles written (`stations/<n>.json`).
    pub station_bundles: u64,
    /// Files written in all (tiles, bundles, index, checkpoint, vkey).
    pub files: u64,
    /// Bytes written in all.
    pub bytes: u64,
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

fn write_file(out: &Path, rel: &str, bytes: &[u8], report: &mut ExportReport) -> Result<()> {
    let path = out.join(rel);
    if let Some(parent) = path.parent()
        && !parent.is_dir()
    {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    fs::write(&path, bytes).map_err(io(&path))?;
    report.files += 1;
    report.bytes += bytes.len() as u64;
    Ok(())
}

/// The tiles of a tree of `size` leaves: `(level, index, width, hashes)`
/// (C2SP tlog-tiles §Merkle Tree, §Partial Tiles: the partial tile at level
/// `l` has `floor(s / 256^l) mod 256` hashes).
pub(crate) fn tiles(tree: &Tree, size: u64) -> Vec<(u32, u64, u64, &[Hash])> {
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
    /// Writes the latest checkpoint's tree as a static site in `out`
    /// (docs/ledger-format.md §5): `checkpoint` and `vkey`; hash tiles at
    /// `tile/<L>/<N>[.p/<W>]` and entry bundles at `tile/entries/<N>[.p/<W>]`
    /// (C2SP tlog-tiles §APIs); and every station's sheets with their
    /// inclusion proofs (RFC 9162 §2.1.3), [`STATIONS_PER_BUNDLE`] stations
    /// to a file `stations/<n>.json`, listed in `stations/index.json`.
    /// Station bundles of an earlier export beyond the new count are removed.
    /// [`crate::verify_site`] checks the result.
    pub fn export(&self, out: &Path) -> Result<ExportReport> {
        let cp = self.latest();
        let size = cp.size();
        let root = cp.root();
        fs::create_dir_all(out).map_err(io(out))?;
        let mut report = ExportReport {
            tree_size: size,
            tiles: 0,
            bundles: 0,
            stations: 0,
            station_bundles: 0,
            files: 0,
            bytes: 0,
        };
        for (level, n, width, hashes) in tiles(self.tree(), size) {
            let mut bytes = Vec::with_capacity(hashes.len() * 32);
            for h in hashes {
                bytes.extend_from_slice(&h.0);
            }
            write_file(out, &tile_path(Some(level), n, width), &bytes, &mut report)?;
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
                let rel = tile_path(None, i / TILE_WIDTH, in_bundle);
                write_file(out, &rel, &bundle, &mut report)?;
                bundle.clear();
                report.bundles += 1;
            }
        }
        let stations: Vec<(&str, &[u64])> = self
            .stations()
            .map(|s| (s, self.signed_indices(s, size)))
            .filter(|(_, ix)| !ix.is_empty())
            .collect();
        let mut index = StationIndex {
            format: INDEX_FORMAT.into(),
            origin: self.origin().into(),
            tree_size: size,
            root,
            stations: stations.len() as u64,
            bundles: Vec::new(),
        };
        for (n, chunk) in stations.chunks(STATIONS_PER_BUNDLE).enumerate() {
            let mut b = StationBundle {
                format: BUNDLE_FORMAT.into(),
                bundle: n as u64,
                origin: self.origin().into(),
                tree_size: size,
                root,
                checkpoint: cp.note().into(),
                stations: Vec::with_capacity(chunk.len()),
            };
            for (station, ix) in chunk {
                let mut sheets = Vec::with_capacity(ix.len());
                for &i in *ix {
                    let entry =
                        String::from_utf8(self.entry(i)?).map_err(|_| Error::MalformedEntry {
                            index: i,
                            reason: "not UTF-8".into(),
                        })?;
                    sheets.push(BundleSheet {
                        index: i,
                        entry,
                        proof: self.tree().inclusion_proof(i, size)?,
                    });
                }
                b.stations.push(BundleStation {
                    station: station.to_string(),
                    sheets,
                });
            }
            let file = bundle_path(n as u64);
            write_file(out, &file, &b.render(), &mut report)?;
            index.bundles.push(IndexRow {
                file,
                first: chunk.first().map(|c| c.0).unwrap_or_default().into(),
                last: chunk.last().map(|c| c.0).unwrap_or_default().into(),
                stations: chunk.len() as u64,
            });
            report.station_bundles += 1;
            report.stations += chunk.len() as u64;
        }
        write_file(out, INDEX_PATH, &index.render(), &mut report)?;
        remove_stale_bundles(out, report.station_bundles)?;
        write_file(
            out,
            "vkey",
            format!("{}\n", self.verifier()).as_bytes(),
            &mut report,
        )?;
        write_file(out, "checkpoint", cp.note().as_bytes(), &mut report)?;
        Ok(report)
    }
}

/// Removes `stations/<n>.json` for `n >= count` (left by an export of a
/// different log into the same directory).
fn remove_stale_bundles(out: &Path, count: u64) -> Result<()> {
    let dir = out.join("stations");
    for e in fs::read_dir(&dir).map_err(io(&dir))? {
        let e = e.map_err(io(&dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = name
            .strip_suffix(".json")
            .and_then(|n| n.parse::<u64>().ok())
            && n >= count
            && bundle_path(n) == format!("stations/{name}")
        {
            fs::remove_file(e.path()).map_err(io(e.path()))?;
        }
    }
    Ok(())
}

/// Verifies a static export and returns its checkpoint: [`crate::verify_site`]
/// without the report.
pub fn verify_export(out: &Path, key: &VerifierKey) -> Result<SignedCheckpoint> {
    crate::site::verify_site(out, Some(key)).map(|r| r.checkpoint)
}
