//! Checking a static export with nothing but its files ([`verify_site`]),
//! and finding one station's sheets and proofs in it ([`lookup_station`]):
//! what a citizen or a journalist runs against a copy of the site.

use std::fs;
use std::path::Path;

use crate::bundle::{
    BUNDLE_FORMAT, INDEX_FORMAT, INDEX_PATH, StationBundle, StationIndex, bundle_path,
};
use crate::checkpoint::SignedCheckpoint;
use crate::error::{Error, Result};
use crate::export::{TILE_WIDTH, tile_path, tiles};
use crate::log::StationProof;
use crate::merkle::{Hash, Tree, leaf_hash, verify_inclusion};
use crate::note::VerifierKey;
use crate::record::LeafRecord;

/// What [`verify_site`] checked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SiteReport {
    /// The log's origin.
    pub origin: String,
    /// Tree size of the signed checkpoint.
    pub tree_size: u64,
    /// Its root hash.
    pub root: Hash,
    /// Hash tiles checked.
    pub tiles: u64,
    /// Entry bundles checked.
    pub entry_bundles: u64,
    /// Station bundles checked.
    pub station_bundles: u64,
    /// Stations in them.
    pub stations: u64,
    /// Sheets (leaves) in them: every leaf of the tree, once.
    pub sheets: u64,
    /// The checkpoint was checked against the site's own `vkey` file, as no
    /// key was given: this shows the files agree with each other, not who
    /// signed them.
    pub key_from_site: bool,
    /// The signed checkpoint.
    #[serde(skip)]
    pub checkpoint: SignedCheckpoint,
}

fn site_err(file: &str, reason: String) -> Error {
    Error::Site {
        file: file.to_string(),
        reason,
    }
}

fn read(site: &Path, rel: &str) -> Result<Vec<u8>> {
    fs::read(site.join(rel)).map_err(|e| site_err(rel, format!("cannot be read: {e}")))
}

/// The site's checkpoint, opened with `key`, or with the site's own `vkey`
/// when no key is given (then the flag is true).
fn open_checkpoint(site: &Path, key: Option<&VerifierKey>) -> Result<(SignedCheckpoint, bool)> {
    let (key, from_site) = match key {
        Some(k) => (k.clone(), false),
        None => {
            let text = String::from_utf8_lossy(&read(site, "vkey")?).into_owned();
            let k = VerifierKey::parse(text.trim_end())
                .map_err(|e| site_err("vkey", format!("not a verifier key: {e}")))?;
            (k, true)
        }
    };
    let note = String::from_utf8(read(site, "checkpoint")?)
        .map_err(|_| site_err("checkpoint", "not UTF-8".into()))?;
    Ok((
        SignedCheckpoint::open(&note, &key, "checkpoint")?,
        from_site,
    ))
}

/// The entries of bundle `n` (C2SP tlog-tiles §Log entries: each prefixed by
/// its big-endian `uint16` length), which must hold `width` of them.
fn entries_of<'a>(bytes: &'a [u8], rel: &str, n: u64, width: u64) -> Result<Vec<&'a [u8]>> {
    let mut out = Vec::with_capacity(width as usize);
    let mut pos = 0usize;
    for k in 0..width {
        let index = n * TILE_WIDTH + k;
        let ends = || site_err(rel, format!("ends inside entry {k} (leaf {index})"));
        let len = bytes
            .get(pos..pos + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
            .ok_or_else(ends)?;
        out.push(bytes.get(pos + 2..pos + 2 + len).ok_or_else(ends)?);
        pos += 2 + len;
    }
    if pos != bytes.len() {
        return Err(site_err(
            rel,
            format!("{} bytes follow its {width} entries", bytes.len() - pos),
        ));
    }
    Ok(out)
}

fn first_difference(a: &[Hash], b: &[Hash]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// Verifies a static export (docs/ledger-format.md §5) with nothing but its
/// files: the checkpoint's signature by `key` (C2SP signed-note; without a
/// key, the site's own `vkey`, which proves nothing about who signed);
/// every entry bundle (canonical leaf encodings); every hash tile, recomputed
/// from the entries up to the signed root (C2SP tlog-tiles §Merkle Tree,
/// RFC 6962 §2.1); the station index and every station bundle (canonical
/// bytes, each sheet the logged leaf of its station, each inclusion proof the
/// tree's, every leaf in exactly one bundle). The first difference found is
/// returned as an error naming the file and what differed: when the entries
/// do not reproduce the signed root but the tiles do, the entry bundle is
/// named; when they do, any tile that differs from them is.
pub fn verify_site(site: &Path, key: Option<&VerifierKey>) -> Result<SiteReport> {
    let (cp, key_from_site) = open_checkpoint(site, key)?;
    let (size, root) = (cp.size(), cp.root());

    // Entry bundles: leaf hashes and the station of each leaf.
    let mut leaves = Vec::with_capacity(size as usize);
    let mut stations = Vec::with_capacity(size as usize);
    let entry_bundles = size.div_ceil(TILE_WIDTH);
    for n in 0..entry_bundles {
        let width = (size - n * TILE_WIDTH).min(TILE_WIDTH);
        let rel = tile_path(None, n, width);
        let bytes = read(site, &rel)?;
        for (k, e) in entries_of(&bytes, &rel, n, width)?.into_iter().enumerate() {
            let index = n * TILE_WIDTH + k as u64;
            let rec = LeafRecord::decode(e, index)
                .map_err(|err| site_err(&rel, format!("entry {k} (leaf {index}): {err}")))?;
            leaves.push(leaf_hash(e));
            stations.push(rec.station);
        }
    }

    // Hash tiles, as stored.
    let from_entries = Tree::from_leaf_hashes(leaves.iter().copied());
    let mut stored = Vec::new();
    for (level, n, width, _) in tiles(&from_entries, size) {
        let rel = tile_path(Some(level), n, width);
        let bytes = read(site, &rel)?;
        if bytes.len() as u64 != width * 32 {
            return Err(site_err(
                &rel,
                format!(
                    "holds {} bytes; a tile of {width} hashes holds {}",
                    bytes.len(),
                    width * 32
                ),
            ));
        }
        let hashes: Vec<Hash> = bytes
            .chunks_exact(32)
            .map(|c| Hash(c.try_into().unwrap_or([0; 32])))
            .collect();
        stored.push((level, n, rel, hashes));
    }

    // Which side is authentic: the one that reproduces the signed root.
    let tree = if from_entries.root(size)? == root {
        from_entries
    } else {
        let t0: Vec<Hash> = stored
            .iter()
            .filter(|(level, ..)| *level == 0)
            .flat_map(|(.., h)| h.iter().copied())
            .collect();
        let from_tiles = Tree::from_leaf_hashes(t0.iter().copied());
        let i = first_difference(&leaves, &t0) as u64;
        let (n, k) = (i / TILE_WIDTH, i % TILE_WIDTH);
        let width = (size - n * TILE_WIDTH).min(TILE_WIDTH);
        let bundle = tile_path(None, n, width);
        let tile = tile_path(Some(0), n, width);
        let station = stations.get(i as usize).map_or("?", |s| s.as_str());
        if from_tiles.root(size)? == root {
            return Err(site_err(
                &bundle,
                format!(
                    "entry {k} (leaf {i}, station {station}) was changed: it hashes to {}, \
                     but {tile} hash {k}, which the signed root covers, is {}",
                    leaves[i as usize].to_base64(),
                    t0[i as usize].to_base64()
                ),
            ));
        }
        return Err(site_err(
            "checkpoint",
            format!(
                "neither the entry bundles nor the level-0 tiles reproduce the signed root \
                 of size {size}; they first differ at leaf {i} ({bundle} entry {k}, {tile} \
                 hash {k})"
            ),
        ));
    };
    let mut n_tiles = 0u64;
    for ((level, n, width, want), (_, _, rel, have)) in tiles(&tree, size).into_iter().zip(&stored)
    {
        if have.as_slice() != want {
            let j = first_difference(have, want) as u64;
            let span = TILE_WIDTH.pow(level);
            let first = (n * TILE_WIDTH + j) * span;
            return Err(site_err(
                rel,
                format!(
                    "hash {j} of {width} (leaves {first}..{}) is {}, but the entries and the \
                     signed root give {}",
                    (first + span).min(size),
                    have[j as usize].to_base64(),
                    want[j as usize].to_base64()
                ),
            ));
        }
        n_tiles += 1;
    }

    let (station_bundles, n_stations) = verify_stations(site, &cp, &tree, &stations)?;
    Ok(SiteReport {
        origin: cp.checkpoint().origin.clone(),
        tree_size: size,
        root,
        tiles: n_tiles,
        entry_bundles,
        station_bundles,
        stations: n_stations,
        sheets: size,
        key_from_site,
        checkpoint: cp,
    })
}

/// The header fields every station file repeats must be the checkpoint's.
fn check_header(
    file: &str,
    cp: &SignedCheckpoint,
    format: (&str, &str),
    origin: &str,
    size: u64,
    root: &Hash,
) -> Result<()> {
    let bad = |what: &str, have: String, want: String| {
        Err(site_err(
            file,
            format!("{what} is {have}, the signed checkpoint's is {want}"),
        ))
    };
    if format.0 != format.1 {
        return Err(site_err(
            file,
            format!("format is {:?}, expected {:?}", format.0, format.1),
        ));
    }
    if origin != cp.checkpoint().origin.as_str() {
        return bad("origin", origin.into(), cp.checkpoint().origin.clone());
    }
    if size != cp.size() {
        return bad("tree_size", size.to_string(), cp.size().to_string());
    }
    if *root != cp.root() {
        return bad("root", root.to_base64(), cp.root().to_base64());
    }
    Ok(())
}

fn check_bundle_header(b: &StationBundle, file: &str, cp: &SignedCheckpoint) -> Result<()> {
    check_header(
        file,
        cp,
        (&b.format, BUNDLE_FORMAT),
        &b.origin,
        b.tree_size,
        &b.root,
    )?;
    if b.checkpoint != cp.note() {
        return Err(site_err(
            file,
            "its checkpoint differs from the site's checkpoint file".into(),
        ));
    }
    Ok(())
}

fn read_index(site: &Path, cp: &SignedCheckpoint) -> Result<StationIndex> {
    let index = StationIndex::parse(&read(site, INDEX_PATH)?)?;
    check_header(
        INDEX_PATH,
        cp,
        (&index.format, INDEX_FORMAT),
        &index.origin,
        index.tree_size,
        &index.root,
    )?;
    Ok(index)
}

/// Checks the index and every station bundle against the authentic tree
/// and the station of each leaf; returns (bundles, stations).
fn verify_stations(
    site: &Path,
    cp: &SignedCheckpoint,
    tree: &Tree,
    leaf_station: &[String],
) -> Result<(u64, u64)> {
    let size = cp.size();
    let index = read_index(site, cp)?;
    let mut covered = vec![false; size as usize];
    let mut prev: Option<String> = None;
    let mut total = 0u64;
    for (n, row) in index.bundles.iter().enumerate() {
        let file = bundle_path(n as u64);
        if row.file != file {
            return Err(site_err(
                INDEX_PATH,
                format!("row {n} names {:?}, expected {file:?}", row.file),
            ));
        }
        let b = StationBundle::parse(&read(site, &file)?, &file)?;
        check_bundle_header(&b, &file, cp)?;
        if b.bundle != n as u64 {
            return Err(site_err(
                &file,
                format!("says it is bundle {}, expected {n}", b.bundle),
            ));
        }
        if b.stations.is_empty() {
            return Err(site_err(&file, "holds no station".into()));
        }
        for st in &b.stations {
            if prev
                .as_ref()
                .is_some_and(|p| p.as_str() >= st.station.as_str())
            {
                return Err(site_err(
                    &file,
                    format!(
                        "station {:?} is not after {:?}: stations must be sorted, each once",
                        st.station,
                        prev.unwrap_or_default()
                    ),
                ));
            }
            prev = Some(st.station.clone());
            if st.sheets.is_empty() {
                return Err(site_err(
                    &file,
                    format!("station {} has no sheet", st.station),
                ));
            }
            let mut last_index = None;
            for sh in &st.sheets {
                let i = sh.index;
                let at = |what: String| {
                    site_err(&file, format!("station {}, leaf {i}: {what}", st.station))
                };
                if i >= size {
                    return Err(at(format!("beyond the tree of size {size}")));
                }
                if last_index.is_some_and(|l| l >= i) {
                    return Err(at("sheets not in leaf order".into()));
                }
                last_index = Some(i);
                if covered[i as usize] {
                    return Err(at("listed twice".into()));
                }
                covered[i as usize] = true;
                let lh = leaf_hash(sh.entry.as_bytes());
                let want = tree.leaf(i).unwrap_or_default();
                if lh != want {
                    return Err(at(format!(
                        "the entry differs from the logged leaf (it hashes to {}, the tiles \
                         and entry bundles give {})",
                        lh.to_base64(),
                        want.to_base64()
                    )));
                }
                if leaf_station[i as usize] != st.station {
                    return Err(at(format!(
                        "the leaf is a sheet of station {:?}",
                        leaf_station[i as usize]
                    )));
                }
                let proof = tree.inclusion_proof(i, size)?;
                if sh.proof != proof {
                    let j = first_difference(&sh.proof, &proof);
                    return Err(at(format!(
                        "inclusion proof hash {j} is {}, the tree's is {} ({} hashes, the \
                         tree's {})",
                        sh.proof.get(j).map_or("missing".into(), |h| h.to_base64()),
                        proof.get(j).map_or("none".into(), |h| h.to_base64()),
                        sh.proof.len(),
                        proof.len()
                    )));
                }
            }
        }
        let (first, last) = match (b.stations.first(), b.stations.last()) {
            (Some(f), Some(l)) => (&f.station, &l.station),
            _ => return Err(site_err(&file, "holds no station".into())),
        };
        if (first, last, b.stations.len() as u64) != (&row.first, &row.last, row.stations) {
            return Err(site_err(
                INDEX_PATH,
                format!(
                    "row {n} lists {:?}..{:?} ({} stations), but {file} holds {first:?}..{last:?} \
                     ({} stations)",
                    row.first,
                    row.last,
                    row.stations,
                    b.stations.len()
                ),
            ));
        }
        total += b.stations.len() as u64;
    }
    if total != index.stations {
        return Err(site_err(
            INDEX_PATH,
            format!("says {} stations, its bundles hold {total}", index.stations),
        ));
    }
    if let Some(i) = covered.iter().position(|c| !c) {
        return Err(site_err(
            INDEX_PATH,
            format!(
                "leaf {i} (station {}) is in no station bundle",
                leaf_station[i]
            ),
        ));
    }
    // No file in stations/ that the index does not list.
    let dir = site.join("stations");
    let listed = index.bundles.len();
    if let Ok(rd) = fs::read_dir(&dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let known = name == "index.json"
                || name
                    .strip_suffix(".json")
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_some_and(|n| {
                        n < listed && bundle_path(n as u64) == format!("stations/{name}")
                    });
            if !known {
                return Err(site_err(
                    &format!("stations/{name}"),
                    "not listed in stations/index.json".into(),
                ));
            }
        }
    }
    Ok((listed as u64, total))
}

/// One station's sheets and inclusion proofs from a site, found as a
/// citizen would (docs/ledger-format.md §5): the signed checkpoint checked
/// with `key` (or the site's own `vkey` when none is given), the index, the
/// bundle whose range holds the id, and each sheet's proof verified against
/// the signed root (RFC 9162 §2.1.3.2). Reads three files, whatever the
/// site's size.
pub fn lookup_station(
    site: &Path,
    key: Option<&VerifierKey>,
    station: &str,
) -> Result<Vec<StationProof>> {
    let (cp, _) = open_checkpoint(site, key)?;
    let index = read_index(site, &cp)?;
    let row = index
        .find(station)
        .ok_or_else(|| Error::UnknownStation(station.to_string()))?;
    let file = row.file.clone();
    if !index
        .bundles
        .iter()
        .enumerate()
        .any(|(n, r)| r.file == file && bundle_path(n as u64) == file)
    {
        return Err(site_err(
            INDEX_PATH,
            format!("names an unexpected file {file:?}"),
        ));
    }
    let b = StationBundle::parse(&read(site, &file)?, &file)?;
    check_bundle_header(&b, &file, &cp)?;
    let st = b
        .stations
        .binary_search_by(|s| s.station.as_str().cmp(station))
        .ok()
        .map(|i| &b.stations[i])
        .ok_or_else(|| Error::UnknownStation(station.to_string()))?;
    let mut out = Vec::new();
    for sh in &st.sheets {
        let lh = leaf_hash(sh.entry.as_bytes());
        verify_inclusion(sh.index, cp.size(), &lh, &sh.proof, &cp.root())
            .map_err(|e| site_err(&file, format!("station {station}, leaf {}: {e}", sh.index)))?;
        let record = LeafRecord::decode(sh.entry.as_bytes(), sh.index)?;
        if record.station != station {
            return Err(site_err(
                &file,
                format!(
                    "leaf {} listed under station {station} is a sheet of {}",
                    sh.index, record.station
                ),
            ));
        }
        out.push(StationProof {
            index: sh.index,
            record,
            entry: sh.entry.clone(),
            leaf_hash: lh,
            tree_size: cp.size(),
            inclusion_proof: sh.proof.clone(),
            checkpoint: cp.note().to_string(),
        });
    }
    Ok(out)
}
