//! `verify_site` and `lookup_station` on an exported site: a clean site
//! verifies; one changed byte in any file (checkpoint, hash tile, entry
//! bundle, station index, station bundle) fails naming that file; the named
//! tamperings each say what differed.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use tallyproof_ledger::{
    Error, LeafRecord, Log, SignerKey, SourceKind, VerifierKey, lookup_station, tile_path,
    verify_site,
};

struct Site {
    _tmp: tempfile::TempDir,
    site: PathBuf,
    key: VerifierKey,
}

/// 600 sheets of 590 stations: ten stations have a correction, so some
/// stations hold two leaves. Trees of 600 leaves have three level-0 tiles
/// (the last partial, 88 wide) and a partial level-1 tile of 2 hashes.
fn build() -> Site {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("log");
    let key =
        tallyproof_ledger::init(&dir, "tallyproof.test/site").unwrap_or_else(|e| panic!("{e}"));
    let mut log = Log::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut records = common::synthetic(590, 11);
    let mut fixes: Vec<LeafRecord> = records
        .iter()
        .step_by(59)
        .map(|r| {
            let mut f = r.clone();
            f.provenance.kind = SourceKind::Witness;
            f.status = tallyproof_ledger::Status::Accepted;
            f.supersedes = None;
            f
        })
        .collect();
    log.append(records.drain(..))
        .unwrap_or_else(|e| panic!("{e}"));
    log.link_corrections(&mut fixes);
    log.append(fixes).unwrap_or_else(|e| panic!("{e}"));
    log.checkpoint().unwrap_or_else(|e| panic!("{e}"));
    let site = tmp.path().join("site");
    log.export(&site).unwrap_or_else(|e| panic!("{e}"));
    Site {
        _tmp: tmp,
        site,
        key,
    }
}

fn files(dir: &Path, base: &Path, out: &mut Vec<String>) {
    for e in fs::read_dir(dir).unwrap_or_else(|e| panic!("{e}")) {
        let p = e.unwrap_or_else(|e| panic!("{e}")).path();
        if p.is_dir() {
            files(&p, base, out);
        } else {
            let rel = p.strip_prefix(base).unwrap_or(&p);
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

/// The file an error names: a site file, or the checkpoint whose signature
/// or form failed.
fn named(e: &Error) -> String {
    match e {
        Error::Site { file, .. } => file.clone(),
        Error::BadSignature { what, .. } | Error::Malformed { what, .. } => what.clone(),
        other => format!("(unnamed: {other})"),
    }
}

fn with_changed<T>(
    site: &Path,
    rel: &str,
    change: impl FnOnce(&mut Vec<u8>),
    f: impl FnOnce() -> T,
) -> T {
    let path = site.join(rel);
    let orig = fs::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let mut b = orig.clone();
    change(&mut b);
    fs::write(&path, &b).unwrap_or_else(|e| panic!("{e}"));
    let out = f();
    fs::write(&path, &orig).unwrap_or_else(|e| panic!("{e}"));
    out
}

fn fails(s: &Site, rel: &str, change: impl FnOnce(&mut Vec<u8>)) -> Error {
    with_changed(&s.site, rel, change, || {
        match verify_site(&s.site, Some(&s.key)) {
            Ok(_) => panic!("{rel}: the change was not caught"),
            Err(e) => e,
        }
    })
}

#[test]
fn clean_site_verifies() {
    let s = build();
    let r = verify_site(&s.site, Some(&s.key)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.tree_size, r.sheets, r.stations), (600, 600, 590));
    // 3 level-0 tiles and 1 level-1 tile; 3 entry bundles; 590 stations in 3 bundles.
    assert_eq!((r.tiles, r.entry_bundles, r.station_bundles), (4, 3, 3));
    assert!(!r.key_from_site);
    // Without a key, the site's own vkey is used, and the report says so.
    let r = verify_site(&s.site, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.key_from_site);
    // A corrected station lists both sheets, in leaf order, each with a
    // proof that verifies.
    let station = common::synthetic(1, 11)[0].station.clone();
    let found = lookup_station(&s.site, Some(&s.key), &station).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        found.iter().map(|p| p.index).collect::<Vec<_>>(),
        vec![0, 590]
    );
    assert_eq!(found[1].record.supersedes, Some(0));
}

/// Every file, bytes spread over its length: each one-bit change is caught
/// and the error names the changed file.
#[test]
fn one_changed_byte_anywhere_names_its_file() {
    let s = build();
    let mut all = Vec::new();
    files(&s.site, &s.site, &mut all);
    all.sort();
    assert!(all.len() >= 13, "{all:?}");
    let mut checked = 0;
    for rel in &all {
        if rel == "vkey" {
            continue; // not used when a key is given; see below
        }
        let len = fs::metadata(s.site.join(rel)).map(|m| m.len()).unwrap_or(0) as usize;
        let step = (len / 17).max(1);
        for (k, pos) in (0..len).step_by(step).enumerate() {
            // Alternately the lowest bit and the ASCII case bit.
            let bit = if k % 2 == 0 { 0x01u8 } else { 0x20 };
            let e = fails(&s, rel, |b| b[pos] ^= bit);
            assert_eq!(named(&e), *rel, "byte {pos} ^ {bit:#x} of {rel}: {e}");
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
}

#[test]
fn each_kind_of_change_says_what_differed() {
    let s = build();
    let bundle0 = tile_path(None, 0, 256);
    let msg = |e: Error| e.to_string();

    // An entry's digit in an entry bundle: the bundle, the entry and its
    // station, against the level-0 tile the signed root covers.
    let e = fails(&s, &bundle0, |b| {
        let at = b.windows(6).position(|w| w == b"count ").unwrap_or(0);
        let nl = at + b[at..].iter().position(|&c| c == b'\n').unwrap_or(0);
        b[nl - 1] = if b[nl - 1] == b'9' { b'8' } else { b'9' };
    });
    let station0 = common::synthetic(1, 11)[0].station.clone();
    let m = msg(e);
    assert!(
        m.starts_with(&format!(
            "{bundle0}: entry 0 (leaf 0, station {station0}) was changed"
        )),
        "{m}"
    );
    assert!(m.contains("tile/0/000 hash 0"), "{m}");

    // A length prefix: the bundle no longer frames its entries.
    let m = msg(fails(&s, &bundle0, |b| b[0] ^= 0x01));
    assert!(m.starts_with(&bundle0), "{m}");

    // A hash in a level-0 tile and in the level-1 tile.
    let t0 = tile_path(Some(0), 1, 256);
    let m = msg(fails(&s, &t0, |b| b[32 * 5 + 3] ^= 0x80));
    assert!(
        m.starts_with(&format!("{t0}: hash 5 of 256 (leaves 261..262)")),
        "{m}"
    );
    let t1 = tile_path(Some(1), 0, 2);
    let m = msg(fails(&s, &t1, |b| b[40] ^= 0x01));
    assert!(
        m.starts_with(&format!("{t1}: hash 1 of 2 (leaves 256..512)")),
        "{m}"
    );
    // A tile cut short.
    let m = msg(fails(&s, &t0, |b| b.truncate(100)));
    assert!(
        m.contains("holds 100 bytes; a tile of 256 hashes holds 8192"),
        "{m}"
    );

    // The checkpoint's root, or one signed by another key.
    let m = msg(fails(&s, "checkpoint", |b| {
        let nl = b.iter().position(|&c| c == b'\n').unwrap_or(0);
        b[nl + 1] = b'7';
    }));
    assert!(m.starts_with("checkpoint"), "{m}");
    let mallory = SignerKey::generate(s.key.name()).unwrap_or_else(|e| panic!("{e}"));
    let cp_text = fs::read_to_string(s.site.join("checkpoint")).unwrap_or_default();
    let (text, _) = tallyproof_ledger::parse_note(&cp_text, "cp").unwrap_or_else(|e| panic!("{e}"));
    let forged = mallory.sign_note(&text).unwrap_or_else(|e| panic!("{e}"));
    let e = fails(&s, "checkpoint", |b| *b = forged.clone().into_bytes());
    assert!(
        matches!(&e, Error::BadSignature { what, .. } if what == "checkpoint"),
        "{e}"
    );
    // The site's own vkey replaced along with it: a given key still decides.
    let vkey = format!("{}\n", mallory.verifier());
    with_changed(
        &s.site,
        "checkpoint",
        |b| *b = forged.clone().into_bytes(),
        || {
            with_changed(
                &s.site,
                "vkey",
                |b| *b = vkey.clone().into_bytes(),
                || {
                    let e = verify_site(&s.site, Some(&s.key)).err();
                    assert!(
                        matches!(&e, Some(Error::BadSignature { what, .. }) if what == "checkpoint"),
                        "{e:?}"
                    );
                    // Without a key the forged signature opens, and the bundles,
                    // which carry the genuine checkpoint, no longer match it.
                    let e = verify_site(&s.site, None)
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    assert!(
                        e.contains("its checkpoint differs from the site's checkpoint file"),
                        "{e}"
                    );
                },
            )
        },
    );

    // A station bundle: a vote in an entry, a proof hash, an added space.
    let sb = "stations/1.json";
    let e = fails(&s, sb, |b| {
        let at = b.windows(7).position(|w| w == b"\\ncount").unwrap_or(0) + 9;
        let sp = at + b[at..].iter().position(|&c| c == b' ').unwrap_or(0);
        b[sp + 1] = if b[sp + 1] == b'1' { b'2' } else { b'1' };
    });
    let m = msg(e);
    assert!(m.starts_with(&format!("{sb}: station ")), "{m}");
    assert!(m.contains("the entry differs from the logged leaf"), "{m}");
    let e = fails(&s, sb, |b| {
        let at = b
            .windows(10)
            .position(|w| w == b"\"proof\":[\"")
            .unwrap_or(0)
            + 10;
        b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    });
    let m = msg(e);
    assert!(m.contains("inclusion proof hash 0 is"), "{m}");
    let e = fails(&s, sb, |b| {
        let at = b.windows(2).position(|w| w == b",\"").unwrap_or(0) + 1;
        b.insert(at, b' ');
    });
    let m = msg(e);
    assert!(m.starts_with(&format!("{sb}: byte ")), "{m}");
    assert!(m.contains("canonical form"), "{m}");

    // The index: a bundle's range changed.
    let m = msg(fails(&s, "stations/index.json", |b| {
        let at = b.windows(9).position(|w| w == b"\"first\":\"").unwrap_or(0) + 9;
        b[at] = b'~';
    }));
    assert!(m.starts_with("stations/index.json: row 0 lists"), "{m}");

    // A station bundle missing, and a file the index does not list.
    let p = s.site.join("stations/2.json");
    let keep = fs::read(&p).unwrap_or_default();
    fs::remove_file(&p).unwrap_or_else(|e| panic!("{e}"));
    let m = msg(verify_site(&s.site, Some(&s.key))
        .err()
        .unwrap_or_else(|| panic!("missing bundle passed")));
    assert!(m.starts_with("stations/2.json: cannot be read"), "{m}");
    fs::write(&p, keep).unwrap_or_else(|e| panic!("{e}"));
    fs::write(s.site.join("stations/3.json"), b"{}").unwrap_or_else(|e| panic!("{e}"));
    let m = msg(verify_site(&s.site, Some(&s.key))
        .err()
        .unwrap_or_else(|| panic!("extra file passed")));
    assert_eq!(m, "stations/3.json: not listed in stations/index.json");
    fs::remove_file(s.site.join("stations/3.json")).unwrap_or_else(|e| panic!("{e}"));
    verify_site(&s.site, Some(&s.key)).unwrap_or_else(|e| panic!("restored: {e}"));
}

#[test]
fn re_export_is_identical_and_verifies() {
    let s = build();
    let mut a = Vec::new();
    files(&s.site, &s.site, &mut a);
    a.sort();
    let before: Vec<Vec<u8>> = a
        .iter()
        .map(|r| fs::read(s.site.join(r)).unwrap_or_default())
        .collect();
    let log = Log::open(&s.site.with_file_name("log")).unwrap_or_else(|e| panic!("{e}"));
    log.export(&s.site).unwrap_or_else(|e| panic!("{e}"));
    let after: Vec<Vec<u8>> = a
        .iter()
        .map(|r| fs::read(s.site.join(r)).unwrap_or_default())
        .collect();
    assert!(
        before == after,
        "a second export of the same checkpoint differs"
    );
}
