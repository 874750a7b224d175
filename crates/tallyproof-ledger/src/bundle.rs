//! Station bundles of a static export: each station's sheets and inclusion
//! proofs, a few hundred stations to a file, found through one index
//! (docs/ledger-format.md §5).
//!
//! Stations are sorted by id (byte order of their UTF-8) and cut into runs of
//! [`STATIONS_PER_BUNDLE`]; bundle `n` is `stations/<n>.json` and
//! `stations/index.json` lists each bundle's first and last station. To find
//! a station: read the index, take the bundle whose `first ≤ id ≤ last`, read
//! that bundle. Both files have one canonical form (written by
//! [`StationBundle::render`] and [`StationIndex::render`]), so a changed
//! byte anywhere shows even where JSON would not care.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::merkle::Hash;

/// Stations per bundle: with 1,000,000 stations, 3,907 bundles of about
/// 370 KB and an index of about 300 KB.
pub const STATIONS_PER_BUNDLE: usize = 256;

/// `format` of a station bundle.
pub const BUNDLE_FORMAT: &str = "tallyproof-station-bundle/1";

/// `format` of the station index.
pub const INDEX_FORMAT: &str = "tallyproof-station-index/1";

/// Path of the station index in a site.
pub const INDEX_PATH: &str = "stations/index.json";

/// Path of station bundle `n` in a site.
pub fn bundle_path(n: u64) -> String {
    format!("stations/{n}.json")
}

/// One sheet of a station in a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSheet {
    /// Leaf index.
    pub index: u64,
    /// The log entry (canonical leaf encoding, docs/ledger-format.md §1).
    pub entry: String,
    /// Audit path against the bundle's tree size, leaf-side sibling first
    /// (RFC 6962 §2.1.1), base64 hashes.
    pub proof: Vec<Hash>,
}

/// One station in a bundle: its sheets in leaf order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleStation {
    /// Station id.
    pub station: String,
    /// Its sheets covered by the checkpoint, in leaf order (a correction
    /// follows the sheet it supersedes).
    pub sheets: Vec<BundleSheet>,
}

/// A station bundle, `stations/<n>.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationBundle {
    /// [`BUNDLE_FORMAT`].
    pub format: String,
    /// Its number `n`.
    pub bundle: u64,
    /// The log's origin.
    pub origin: String,
    /// Tree size the proofs are against.
    pub tree_size: u64,
    /// Root hash at that size.
    pub root: Hash,
    /// The signed checkpoint (C2SP signed note), as in the site's
    /// `checkpoint` file.
    pub checkpoint: String,
    /// Its stations, sorted by id.
    pub stations: Vec<BundleStation>,
}

/// One row of the station index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexRow {
    /// The bundle's path in the site, `stations/<n>.json`.
    pub file: String,
    /// Its first station id.
    pub first: String,
    /// Its last station id.
    pub last: String,
    /// Number of stations in it.
    pub stations: u64,
}

/// The station index, `stations/index.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationIndex {
    /// [`INDEX_FORMAT`].
    pub format: String,
    /// The log's origin.
    pub origin: String,
    /// Tree size of the export.
    pub tree_size: u64,
    /// Root hash at that size.
    pub root: Hash,
    /// Stations in all bundles.
    pub stations: u64,
    /// The bundles, in order of their station ids.
    pub bundles: Vec<IndexRow>,
}

fn json<T: Serialize>(v: &T, out: &mut Vec<u8>) {
    // Serialising these plain structs into memory cannot fail.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// A header field: its key and how to write its value.
type Field<'a> = (&'a str, &'a dyn Fn(&mut Vec<u8>));

/// Header fields as `"key":value,` pairs, then `"<list>":[`, one element a
/// line, `]}` and a newline.
fn render<T: Serialize>(head: &[Field<'_>], list: &str, items: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() * 1_500 + 512);
    out.push(b'{');
    for (k, write) in head {
        json(k, &mut out);
        out.push(b':');
        write(&mut out);
        out.push(b',');
    }
    json(&list, &mut out);
    out.extend_from_slice(b":[\n");
    for (i, it) in items.iter().enumerate() {
        json(it, &mut out);
        if i + 1 < items.len() {
            out.push(b',');
        }
        out.push(b'\n');
    }
    out.extend_from_slice(b"]}\n");
    out
}

impl StationBundle {
    /// The canonical bytes: compact JSON, fields in declaration order, one
    /// station a line.
    pub fn render(&self) -> Vec<u8> {
        render(
            &[
                ("format", &|o: &mut Vec<u8>| json(&self.format, o)),
                ("bundle", &|o: &mut Vec<u8>| json(&self.bundle, o)),
                ("origin", &|o: &mut Vec<u8>| json(&self.origin, o)),
                ("tree_size", &|o: &mut Vec<u8>| json(&self.tree_size, o)),
                ("root", &|o: &mut Vec<u8>| json(&self.root, o)),
                ("checkpoint", &|o: &mut Vec<u8>| json(&self.checkpoint, o)),
            ],
            "stations",
            &self.stations,
        )
    }

    /// Parses a bundle and checks that `bytes` are its canonical form;
    /// `file` names it in errors.
    pub fn parse(bytes: &[u8], file: &str) -> Result<StationBundle> {
        let b: StationBundle = parse_json(bytes, file)?;
        canonical(bytes, &b.render(), file)?;
        Ok(b)
    }
}

impl StationIndex {
    /// The canonical bytes: compact JSON, fields in declaration order, one
    /// bundle a line.
    pub fn render(&self) -> Vec<u8> {
        render(
            &[
                ("format", &|o: &mut Vec<u8>| json(&self.format, o)),
                ("origin", &|o: &mut Vec<u8>| json(&self.origin, o)),
                ("tree_size", &|o: &mut Vec<u8>| json(&self.tree_size, o)),
                ("root", &|o: &mut Vec<u8>| json(&self.root, o)),
                ("stations", &|o: &mut Vec<u8>| json(&self.stations, o)),
            ],
            "bundles",
            &self.bundles,
        )
    }

    /// Parses the index and checks that `bytes` are its canonical form.
    pub fn parse(bytes: &[u8]) -> Result<StationIndex> {
        let i: StationIndex = parse_json(bytes, INDEX_PATH)?;
        canonical(bytes, &i.render(), INDEX_PATH)?;
        Ok(i)
    }

    /// The row of the bundle that holds `station`, if any: the bundles'
    /// ranges are sorted and disjoint, so a binary search finds it.
    pub fn find(&self, station: &str) -> Option<&IndexRow> {
        let i = self
            .bundles
            .partition_point(|r| r.first.as_str() <= station)
            .checked_sub(1)?;
        let row = &self.bundles[i];
        (station <= row.last.as_str()).then_some(row)
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], file: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Site {
        file: file.to_string(),
        reason: format!("not a valid file of its kind: {e}"),
    })
}

/// Fails naming the first byte where `bytes` differ from the canonical form.
fn canonical(bytes: &[u8], want: &[u8], file: &str) -> Result<()> {
    if bytes == want {
        return Ok(());
    }
    let at = bytes
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(bytes.len().min(want.len()));
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    Err(Error::Site {
        file: file.to_string(),
        reason: format!(
            "byte {at} (line {line}) differs from the canonical form the export writes \
             ({} bytes, canonical {})",
            bytes.len(),
            want.len()
        ),
    })
}
