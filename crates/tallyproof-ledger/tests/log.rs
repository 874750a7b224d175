//! The log directory API: init, append, checkpoint, proofs, export.

mod common;

use std::fs;

use tallyproof_ledger::{
    Error, LeafRecord, Log, SourceKind, StationIndex, VerifyOptions, lookup_station, read_vkey,
    station_file_name, tile_path, verify, verify_consistency, verify_export, verify_inclusion,
    verify_site, verify_tlog_proof,
};

fn log_with(n: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("log");
    tallyproof_ledger::init(&dir, "tallyproof.test/log").unwrap_or_else(|e| panic!("{e}"));
    let mut log = Log::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    log.append(common::synthetic(n, 7))
        .unwrap_or_else(|e| panic!("{e}"));
    log.checkpoint().unwrap_or_else(|e| panic!("{e}"));
    (tmp, dir)
}

#[test]
fn init_writes_keys_and_refuses_twice() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("log");
    let vkey = tallyproof_ledger::init(&dir, "example.org/ve").unwrap_or_else(|e| panic!("{e}"));
    assert!(vkey.to_string().starts_with("example.org/ve+"));
    assert_eq!(read_vkey(&dir).ok(), Some(vkey.clone()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join("skey"))
            .map(|m| m.permissions().mode())
            .unwrap_or(0);
        assert_eq!(mode & 0o777, 0o600, "private key mode");
    }
    let skey = fs::read_to_string(dir.join("skey")).unwrap_or_default();
    assert!(skey.starts_with("PRIVATE+KEY+example.org/ve+"));
    assert!(matches!(
        tallyproof_ledger::init(&dir, "example.org/ve"),
        Err(Error::AlreadyExists(_))
    ));
    assert!(tallyproof_ledger::init(&tmp.path().join("x"), "has space").is_err());
    // A fresh log verifies: an empty tree with a signed checkpoint.
    let r = verify(&dir, &VerifyOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.checkpoint_size, r.entries), (0, 0));
}

#[test]
fn one_writer_at_a_time() {
    let (_t, dir) = log_with(3);
    let _a = Log::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(Log::open(&dir), Err(Error::Locked(_))));
}

#[test]
fn corrections_name_an_earlier_leaf() {
    let (_t, dir) = log_with(10);
    let mut log = Log::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut fix = LeafRecord::new("X1", "c", SourceKind::Witness);
    fix.supersedes = Some(10);
    assert!(matches!(
        log.append([fix.clone()]),
        Err(Error::BadSupersedes {
            index: 10,
            target: 10,
            ..
        })
    ));
    assert_eq!(log.size(), 10, "nothing written on a refused batch");
    fix.supersedes = Some(3);
    let r = log.append([fix]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.first_index, 10);
}

#[test]
fn station_and_consistency_proofs() {
    let (_t, dir) = log_with(1000);
    let mut log = Log::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let first = log.latest().clone();
    // A second sheet of station 0's id, as a correction.
    let station = common::synthetic(1, 7)[0].station.clone();
    let mut again = LeafRecord::new(&station, "presidential-2024", SourceKind::Scan);
    again.supersedes = Some(0);
    log.append([again]).unwrap_or_else(|e| panic!("{e}"));
    log.append(common::synthetic(333, 8).into_iter().skip(1))
        .unwrap_or_else(|e| panic!("{e}"));
    let cp = log.checkpoint().unwrap_or_else(|e| panic!("{e}"));

    let proofs = log
        .prove_station(&station)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        proofs.iter().map(|p| p.index).collect::<Vec<_>>(),
        vec![0, 1000]
    );
    for p in &proofs {
        verify_inclusion(
            p.index,
            cp.size(),
            &p.leaf_hash,
            &p.inclusion_proof,
            &cp.root(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let (index, record, c) =
            verify_tlog_proof(&p.to_tlog_proof(), log.verifier()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((index, &record, c.size()), (p.index, &p.record, cp.size()));
        // A changed digit in the carried entry breaks it.
        let bad = p.to_tlog_proof().replacen("index ", "index 1", 1);
        assert!(verify_tlog_proof(&bad, log.verifier()).is_err());
    }
    assert!(matches!(
        log.prove_station("nope"),
        Err(Error::UnknownStation(_))
    ));

    let c = log
        .consistency(first.size())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.old_root, first.root());
    verify_consistency(c.old_size, c.new_size, &first.root(), &cp.root(), &c.proof)
        .unwrap_or_else(|e| panic!("{e}"));
    // From the empty tree there is nothing to prove (RFC 9162 §2.1.4), and
    // the error says so.
    match log.consistency(0) {
        Err(e @ Error::EmptyOldTree { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("RFC 9162 §2.1.4"), "{msg}");
            assert!(msg.contains("consistent with the empty one"), "{msg}");
        }
        other => panic!("expected EmptyOldTree, got {other:?}"),
    }
    assert!(log.consistency(cp.size() + 1).is_err());
}

#[test]
fn unsigned_entries_are_not_proven_or_exported() {
    let (_t, dir) = log_with(5);
    let mut log = Log::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut r = LeafRecord::new("late", "c", SourceKind::Import);
    r.counts = vec![("A".into(), 1)];
    log.append([r]).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        log.prove_station("late"),
        Err(Error::UnknownStation(_))
    ));
    drop(log);
    let v = verify(&dir, &VerifyOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((v.checkpoint_size, v.unsigned_entries), (5, 1));
}

#[test]
fn export_is_a_valid_tlog_tiles_site() {
    // 70,000 leaves: the C2SP tlog-tiles §Partial Tiles example.
    let (tmp, dir) = log_with(70_000);
    let log = Log::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = tmp.path().join("site");
    let rep = log.export(&out).unwrap_or_else(|e| panic!("{e}"));
    // 273 full + 1 partial level-0, 1 full + 1 partial level-1, 1 partial level-2.
    assert_eq!(rep.tiles, 274 + 2 + 1);
    assert_eq!(rep.bundles, 274);
    assert_eq!(rep.stations, 70_000);
    // 70,000 stations, 256 to a bundle: 273 full bundles and one of 112.
    assert_eq!(rep.station_bundles, 274);
    for p in [
        tile_path(Some(0), 273, 112),
        tile_path(Some(1), 0, 256),
        tile_path(Some(1), 1, 17),
        tile_path(Some(2), 0, 1),
        tile_path(None, 273, 112),
        "checkpoint".to_string(),
        "vkey".to_string(),
        "stations/index.json".to_string(),
        "stations/273.json".to_string(),
    ] {
        assert!(out.join(&p).is_file(), "missing {p}");
    }
    assert!(!out.join("stations/274.json").exists());
    assert_eq!(
        fs::metadata(out.join("tile/0/000")).map(|m| m.len()).ok(),
        Some(8192)
    );
    let cp = verify_export(&out, log.verifier()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cp.size(), 70_000);
    let r = verify_site(&out, Some(log.verifier())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (
            r.tiles,
            r.entry_bundles,
            r.station_bundles,
            r.stations,
            r.sheets
        ),
        (277, 274, 274, 70_000, 70_000)
    );

    // A station found through the index carries its sheet and a proof that
    // verifies; the same as the log's own proof.
    let station = common::synthetic(1, 7)[0].station.clone();
    let found =
        lookup_station(&out, Some(log.verifier()), &station).unwrap_or_else(|e| panic!("{e}"));
    let own = log
        .prove_station(&station)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.len(), own.len());
    assert_eq!(found[0].entry, own[0].entry);
    assert_eq!(found[0].inclusion_proof, own[0].inclusion_proof);
    verify_tlog_proof(&found[0].to_tlog_proof(), log.verifier()).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        lookup_station(&out, Some(log.verifier()), "no such station"),
        Err(Error::UnknownStation(_))
    ));
    // The index's ranges are sorted and disjoint, and each bundle's range
    // holds the stations found in it.
    let index: StationIndex =
        StationIndex::parse(&fs::read(out.join("stations/index.json")).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
    assert!(index.bundles.windows(2).all(|w| w[0].last < w[1].first));
    let row = index
        .find(&station)
        .unwrap_or_else(|| panic!("{station} not in the index"));
    assert!(row.first <= station && station <= row.last);

    // A changed byte in an entry bundle or a tile is caught.
    let bundle = out.join(tile_path(None, 100, 256));
    let mut b = fs::read(&bundle).unwrap_or_default();
    b[40] ^= 1;
    fs::write(&bundle, &b).unwrap_or_else(|e| panic!("{e}"));
    assert!(verify_export(&out, log.verifier()).is_err());
    b[40] ^= 1;
    fs::write(&bundle, &b).unwrap_or_else(|e| panic!("{e}"));
    let tile = out.join(tile_path(Some(1), 1, 17));
    let mut t = fs::read(&tile).unwrap_or_default();
    t[5] ^= 1;
    fs::write(&tile, &t).unwrap_or_else(|e| panic!("{e}"));
    assert!(verify_export(&out, log.verifier()).is_err());
}

#[test]
fn station_file_names_are_safe() {
    assert_eq!(station_file_name("010101001.01"), "010101001.01.json");
    assert_eq!(
        station_file_name("../etc/passwd"),
        "%2E.%2Fetc%2Fpasswd.json"
    );
    assert_eq!(station_file_name("a b"), "a%20b.json");
}
