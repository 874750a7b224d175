//! Leaf versions: a log written with version-1 leaves (tests/data/v1-log,
//! made by the tool before version 2; see its PROVENANCE.md) still verifies,
//! proves and exports, and takes version-2 leaves after its own.

mod common;

use std::path::Path;

use tallyproof_ledger::{
    LeafRecord, Log, SourceKind, VerifyOptions, read_vkey, verify, verify_site,
};

fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("v1-log");
    common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/v1-log"),
        &dir,
    );
    (tmp, dir)
}

#[test]
fn a_version_1_log_verifies_and_grows_with_version_2_leaves() {
    let (tmp, dir) = fixture();
    let key = read_vkey(&dir).unwrap_or_else(|e| panic!("{e}"));
    let opts = VerifyOptions {
        key: Some(key.clone()),
        trusted_checkpoint: None,
    };
    let r = verify(&dir, &opts).unwrap_or_else(|e| panic!("v1 log: {e}"));
    assert_eq!((r.checkpoint_size, r.entries), (3, 3));

    let mut log = Log::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let old = log.prove_index(0).unwrap_or_else(|e| panic!("{e}"));
    assert!(old.entry.starts_with("tallyproof-leaf/1\n"));
    assert_eq!(old.record.counts, vec![("A".into(), 10), ("B".into(), 5)]);
    // The path as version 1 recorded it: what version 2 no longer writes.
    assert_eq!(
        old.record.provenance.file.as_deref(),
        Some("/work/tmp-ledger/v1/s.csv")
    );

    let mut fix = LeafRecord::new("1", "president", SourceKind::Witness);
    fix.counts = vec![("A".into(), 11), ("B".into(), 5)];
    fix.valid = Some(16);
    fix.provenance.submitted_by = Some("witness-3".into());
    let mut batch = vec![fix];
    log.link_corrections(&mut batch);
    assert_eq!(batch[0].supersedes, Some(0));
    log.append(batch).unwrap_or_else(|e| panic!("{e}"));
    let cp = log.checkpoint().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cp.size(), 4);
    let new = log.prove_index(3).unwrap_or_else(|e| panic!("{e}"));
    assert!(new.entry.starts_with("tallyproof-leaf/2\n"));

    // Both versions in one site, checked file by file.
    let site = tmp.path().join("site");
    log.export(&site).unwrap_or_else(|e| panic!("{e}"));
    drop(log);
    let r = verify(&dir, &opts).unwrap_or_else(|e| panic!("v1 + v2 log: {e}"));
    assert_eq!((r.checkpoint_size, r.checkpoints_checked), (4, 4));
    let s = verify_site(&site, Some(&key)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.sheets, s.stations), (4, 3));
}
