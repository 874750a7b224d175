//! Crash safety (issue 6): an append killed midway leaves a log that
//! `verify` accepts at its last checkpoint and that the next append repairs
//! or continues; nothing half-written is ever signed.
//!
//! The test runs its own binary again as a child (`crash_child`, ignored in
//! normal runs) that appends and checkpoints in a loop, kills it with SIGKILL
//! at staggered moments, and checks the log after each kill.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use tallyproof_ledger::{Log, VerifyOptions, verify};

const CHILD_ENV: &str = "TALLYPROOF_LEDGER_CRASH_DIR";
const BATCH: u64 = 20_000;

/// The child: append batches and checkpoint them until killed.
#[test]
#[ignore = "run by crash_recovery as a child process"]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let mut log = Log::open(&dir).unwrap_or_else(|e| panic!("child open: {e}"));
    for round in 0.. {
        log.append(common::synthetic(BATCH, round))
            .unwrap_or_else(|e| panic!("child append: {e}"));
        log.checkpoint()
            .unwrap_or_else(|e| panic!("child checkpoint: {e}"));
    }
}

#[test]
fn crash_recovery() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join("log");
    let key =
        tallyproof_ledger::init(&dir, "tallyproof.test/crash").unwrap_or_else(|e| panic!("{e}"));
    let opts = VerifyOptions {
        key: Some(key),
        trusted_checkpoint: None,
    };
    let exe = std::env::current_exe().unwrap_or_else(|e| panic!("{e}"));
    let (mut torn_seen, mut unsigned_seen, mut last_signed) = (0, 0, 0u64);
    // Kill points: after the entries file has grown by this many bytes since
    // the child started (its appends flush 1 MiB at a time, so most kills
    // land inside a frame), and two by time alone (in open or checkpoint).
    let plan: [Option<u64>; 8] = [
        Some(1),
        Some(1_500_000),
        Some(3_000_001),
        None,
        Some(9_000_000),
        Some(500_000),
        None,
        Some(12_345_678),
    ];
    for (round, grow) in plan.iter().enumerate() {
        let entries = dir.join("entries");
        let start_len = std::fs::metadata(&entries).map_or(0, |m| m.len());
        let mut child = Command::new(&exe)
            .args([
                "crash_child",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        let t0 = std::time::Instant::now();
        match grow {
            Some(g) => {
                while std::fs::metadata(&entries).map_or(0, |m| m.len()) < start_len + g
                    && t0.elapsed() < Duration::from_secs(60)
                {
                    std::thread::sleep(Duration::from_micros(500));
                }
            }
            None => std::thread::sleep(Duration::from_millis(300 + 700 * round as u64 % 900)),
        }
        child.kill().unwrap_or_else(|e| panic!("kill: {e}"));
        let _ = child.wait();

        // verify accepts the log at its last checkpoint.
        let r =
            verify(&dir, &opts).unwrap_or_else(|e| panic!("round {round}: verify after kill: {e}"));
        assert!(
            r.checkpoint_size >= last_signed,
            "round {round}: checkpoint went back"
        );
        assert_eq!(r.entries, r.checkpoint_size + r.unsigned_entries);
        if r.torn_bytes > 0 {
            torn_seen += 1;
        }
        if r.unsigned_entries > 0 {
            unsigned_seen += 1;
        }

        // The next append repairs (cuts an incomplete frame) or continues.
        let mut log = Log::open(&dir).unwrap_or_else(|e| panic!("round {round}: reopen: {e}"));
        let before = log.size();
        assert_eq!(before, r.entries);
        let a = log
            .append(common::synthetic(10, 1_000 + round as u64))
            .unwrap_or_else(|e| panic!("round {round}: append after kill: {e}"));
        assert_eq!(a.first_index, before);
        assert_eq!(a.repaired_bytes, r.torn_bytes);
        let cp = log
            .checkpoint()
            .unwrap_or_else(|e| panic!("round {round}: checkpoint: {e}"));
        assert_eq!(cp.size(), before + 10);
        last_signed = cp.size();
        drop(log);
        let r2 = verify(&dir, &opts)
            .unwrap_or_else(|e| panic!("round {round}: verify after repair: {e}"));
        assert_eq!(
            (r2.checkpoint_size, r2.unsigned_entries, r2.torn_bytes),
            (last_signed, 0, 0)
        );
    }
    eprintln!("kills with a torn frame: {torn_seen}; with unsigned entries: {unsigned_seen}");
    assert!(torn_seen > 0, "no kill landed inside a frame");
    assert!(unsigned_seen > 0, "no kill left appended, unsigned entries");
}
