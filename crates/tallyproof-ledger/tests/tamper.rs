//! Tamper tests (issue 6): after appending the sheets, change one digit of a
//! stored entry, swap two entries, delete one, truncate the log, replace the
//! checkpoint with one signed by another key, roll the checkpoint back —
//! `verify` catches each and names where.
//!
//! `tamper_synthetic_24532` runs on 24,532 synthetic sheets (the count of the
//! VE 2024 V1 file). `tamper_real_ve2024` runs the same suite on the real
//! file when `TALLYPROOF_REAL_DATA` is set, and fails if it is set but the
//! file is missing.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use tallyproof_ledger::{
    Checkpoint, Error, LeafRecord, Log, SignerKey, VerifierKey, VerifyOptions, leaf_hash, verify,
};

fn opts(key: &VerifierKey) -> VerifyOptions {
    VerifyOptions {
        key: Some(key.clone()),
        trusted_checkpoint: None,
    }
}

struct Built {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    key: VerifierKey,
    size: u64,
    first_cp: u64,
    stations: Vec<String>,
}

/// A log with the records appended in two batches, each checkpointed.
fn build(records: Vec<LeafRecord>) -> Built {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("log");
    let key =
        tallyproof_ledger::init(&dir, "tallyproof.test/ve2024").unwrap_or_else(|e| panic!("{e}"));
    let size = records.len() as u64;
    let first_cp = size / 2;
    let stations = records.iter().map(|r| r.station.clone()).collect();
    let mut log = Log::open(&dir).unwrap_or_else(|e| panic!("{e}"));
    let mut it = records.into_iter();
    log.append(it.by_ref().take(first_cp as usize))
        .unwrap_or_else(|e| panic!("{e}"));
    log.checkpoint().unwrap_or_else(|e| panic!("{e}"));
    log.append(it).unwrap_or_else(|e| panic!("{e}"));
    log.checkpoint().unwrap_or_else(|e| panic!("{e}"));
    Built {
        _tmp: tmp,
        dir,
        key,
        size,
        first_cp,
        stations,
    }
}

fn case(b: &Built, name: &str) -> PathBuf {
    let d = b.dir.with_file_name(name);
    common::copy_dir(&b.dir, &d);
    d
}

/// Expects `verify` to name entry `index`, and the station of the sheet now
/// stored there (`now` in the original order).
fn expect_entry(b: &Built, dir: &Path, index: u64, now: u64, what: &str) {
    let want = &b.stations[now as usize];
    match verify(dir, &opts(&b.key)) {
        Err(e @ Error::EntryMismatch { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("entry {index} (station {want})")),
                "{what}: {msg}"
            );
        }
        other => panic!("{what}: expected a mismatch at entry {index}, got {other:?}"),
    }
}

/// Changes the last digit of the first count of entry `k`; the entry keeps
/// its length.
fn bump_digit(frame: &mut [u8]) {
    let body = &frame[4..frame.len() - 32];
    let start = body
        .windows(7)
        .position(|w| w == b"\ncount ")
        .unwrap_or_else(|| panic!("no count line"));
    let nl = start
        + 1
        + body[start + 1..]
            .iter()
            .position(|&c| c == b'\n')
            .unwrap_or(0);
    let d = &mut frame[4 + nl - 1];
    assert!(d.is_ascii_digit());
    *d = if *d == b'9' { b'8' } else { *d + 1 };
}

fn rehash(frame: &mut [u8]) {
    let n = frame.len();
    let h = leaf_hash(&frame[4..n - 32]);
    frame[n - 32..].copy_from_slice(&h.0);
}

fn run_suite(records: Vec<LeafRecord>) {
    let b = build(records);
    let n = b.size;
    assert!(n > 1000, "suite needs a large log");

    // Untouched: verifies, at the latest checkpoint.
    let ok = verify(&b.dir, &opts(&b.key)).unwrap_or_else(|e| panic!("clean log: {e}"));
    assert_eq!(
        (ok.checkpoint_size, ok.entries, ok.unsigned_entries),
        (n, n, 0)
    );
    assert_eq!(ok.checkpoints_checked, 4); // latest + kept 0, first, last

    // 1. One digit of a stored entry changed in place.
    let k = n / 2 + 7;
    let d = case(&b, "digit");
    let mut frames = common::read_frames(&d.join("entries"));
    bump_digit(&mut frames[k as usize]);
    common::write_frames(&d.join("entries"), &frames);
    expect_entry(&b, &d, k, k, "changed digit");
    // Opening the log for appending refuses too.
    assert!(matches!(Log::open(&d), Err(Error::EntryMismatch { index, .. }) if index == k));

    // 1b. The same, with the frame's own hash recomputed to match.
    let d = case(&b, "digit-rehashed");
    let mut frames = common::read_frames(&d.join("entries"));
    bump_digit(&mut frames[k as usize]);
    rehash(&mut frames[k as usize]);
    common::write_frames(&d.join("entries"), &frames);
    expect_entry(&b, &d, k, k, "changed digit, rehashed");
    // A writer refuses to sign over it.
    let mut log = Log::open(&d).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(log.checkpoint(), Err(Error::Inconsistent { .. })));
    drop(log);

    // 1c. And without the leaf-hash file to compare with: narrowed to the
    // entries after the last checkpoint that still verifies.
    fs::remove_file(d.join("leafhashes")).unwrap_or_else(|e| panic!("{e}"));
    match verify(&d, &opts(&b.key)) {
        Err(Error::RootMismatch { first, end, .. }) => {
            assert!(first <= k && k < end, "range {first}..{end} misses {k}");
            assert_eq!((first, end), (b.first_cp, n));
        }
        other => panic!("expected a root mismatch, got {other:?}"),
    }

    // 2. Two entries swapped.
    let (i, j) = (100u64, n - 100);
    let d = case(&b, "swap");
    let mut frames = common::read_frames(&d.join("entries"));
    frames.swap(i as usize, j as usize);
    common::write_frames(&d.join("entries"), &frames);
    expect_entry(&b, &d, i, j, "swapped");

    // 3. One entry deleted.
    let k = 5_000u64.min(n / 3);
    let d = case(&b, "delete");
    let mut frames = common::read_frames(&d.join("entries"));
    frames.remove(k as usize);
    common::write_frames(&d.join("entries"), &frames);
    expect_entry(&b, &d, k, k + 1, "deleted");

    // 4. The log truncated in the middle of entry k.
    let k = n - 1_000;
    let d = case(&b, "truncate");
    let frames = common::read_frames(&d.join("entries"));
    let cut: usize = frames[..k as usize].iter().map(|f| f.len()).sum::<usize>() + 10;
    let f = fs::OpenOptions::new()
        .write(true)
        .open(d.join("entries"))
        .unwrap_or_else(|e| panic!("{e}"));
    f.set_len(cut as u64).unwrap_or_else(|e| panic!("{e}"));
    match verify(&d, &opts(&b.key)) {
        Err(e @ Error::Truncated { have, want, .. }) => {
            assert_eq!((have, want), (k, n));
            assert!(
                e.to_string()
                    .contains(&format!("holds {k} complete entries")),
                "{e}"
            );
        }
        other => panic!("expected truncation, got {other:?}"),
    }

    // 5. The checkpoint replaced by one over the same tree signed with another key.
    let d = case(&b, "other-key");
    let cp_text = fs::read_to_string(d.join("checkpoint")).unwrap_or_else(|e| panic!("{e}"));
    let (text, _) = tallyproof_ledger::parse_note(&cp_text, "cp").unwrap_or_else(|e| panic!("{e}"));
    let cp = Checkpoint::parse(&text, "cp").unwrap_or_else(|e| panic!("{e}"));
    let mallory = SignerKey::generate(b.key.name()).unwrap_or_else(|e| panic!("{e}"));
    let forged = cp.sign(&mallory).unwrap_or_else(|e| panic!("{e}"));
    fs::write(d.join("checkpoint"), forged.note()).unwrap_or_else(|e| panic!("{e}"));
    match verify(&d, &opts(&b.key)) {
        Err(e @ Error::BadSignature { .. }) => {
            assert!(e.to_string().contains("checkpoint"), "{e}");
            assert!(
                e.to_string().contains(&format!("{:08x}", b.key.id())),
                "{e}"
            );
        }
        other => panic!("expected a bad signature, got {other:?}"),
    }
    // Also when the log's own vkey file is replaced: the verifier's key decides.
    fs::write(d.join("vkey"), format!("{}\n", mallory.verifier()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        verify(&d, &opts(&b.key)),
        Err(Error::BadSignature { .. })
    ));

    // 6. The checkpoint rolled back to the earlier one.
    let d = case(&b, "rollback");
    fs::copy(
        d.join("checkpoints").join(b.first_cp.to_string()),
        d.join("checkpoint"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    match verify(&d, &opts(&b.key)) {
        Err(Error::RolledBack {
            current,
            seen,
            seen_where,
        }) => {
            assert_eq!((current, seen), (b.first_cp, n));
            assert_eq!(seen_where, format!("checkpoints/{n}"));
        }
        other => panic!("expected a rollback, got {other:?}"),
    }
    // 6b. With the kept checkpoints deleted too, a checkpoint the verifier
    // held before still catches it.
    let held = fs::read_to_string(b.dir.join("checkpoint")).unwrap_or_else(|e| panic!("{e}"));
    fs::remove_dir_all(d.join("checkpoints")).unwrap_or_else(|e| panic!("{e}"));
    let o = VerifyOptions {
        key: Some(b.key.clone()),
        trusted_checkpoint: Some(held),
    };
    assert!(matches!(
        verify(&d, &o),
        Err(Error::RolledBack { seen_where, .. }) if seen_where == "trusted checkpoint"
    ));
}

#[test]
fn tamper_synthetic_24532() {
    run_suite(common::synthetic(24_532, 2024));
}

/// The real VE 2024 V1 sheets, read with `tallyproof-core` and
/// `configs/ve2024.toml`: accepted and quarantined sheets alike, in input
/// order. Runs only when `TALLYPROOF_REAL_DATA` is set.
#[test]
fn tamper_real_ve2024() {
    let Some(root) = std::env::var_os("TALLYPROOF_REAL_DATA") else {
        eprintln!("TALLYPROOF_REAL_DATA not set: real-data tamper test skipped");
        return;
    };
    let file = Path::new(&root).join("venezuela-2024-resultadosconvzla/RESULTADOS_2024_CSV_V1.csv");
    assert!(
        file.is_file(),
        "TALLYPROOF_REAL_DATA is set but {} is missing",
        file.display()
    );
    let cfg_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs/ve2024.toml");
    let cfg_text =
        fs::read_to_string(&cfg_path).unwrap_or_else(|e| panic!("{}: {e}", cfg_path.display()));
    let cfg = tallyproof_core::Config::from_toml(&cfg_text).unwrap_or_else(|e| panic!("{e}"));
    let ds = tallyproof_core::read_files(&cfg, &[&file], None, &tallyproof_core::NoProgress)
        .unwrap_or_else(|e| panic!("{e}"));
    let records = tallyproof_ledger::leaves_from_dataset(
        &ds,
        cfg.election.contest.as_deref().unwrap_or(""),
        None,
    );
    assert_eq!(records.len(), 24_532, "VE 2024 V1 holds 24,532 sheets");
    // The public leaf names the file, never the path it was read from, and
    // carries the file's SHA-256.
    let name = "RESULTADOS_2024_CSV_V1.csv";
    assert!(
        records
            .iter()
            .all(|r| r.provenance.file.as_deref() == Some(name))
    );
    let sha = records[0]
        .provenance
        .file_sha256
        .clone()
        .unwrap_or_default();
    assert_eq!(sha.len(), 64);
    run_suite(records);
}
