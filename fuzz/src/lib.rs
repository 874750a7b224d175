//! Shared pieces of the fuzz targets: the fixed election config the sheet
//! readers are fuzzed with, and the invariants every read must keep.

use tallyproof_core::{
    Config, Dataset, NoProgress, read_bytes, read_files_in_blocks, tabulate,
};

/// A wide-CSV config that exercises most of the reader over the columns of
/// the malformed corpus (`tests/malformed/`): a station id built from two
/// columns with zero padding, two geographic levels (one with names, one
/// built by splitting a column), an option that adds up two columns, every
/// count column mapped, and empty counts meaning "sheet missing".
pub const CONFIG: &str = r#"
[election]
name = "fuzz"

[input]
shape = "wide"
delimiter = ","
encoding = "auto"
empty = "missing"

[station]
id = ["region", { column = "station", pad = 6 }]
separator = "-"

[[levels]]
key = "region"
code = "region"
name = "region_name"

[[levels]]
key = "block"
code = ["region", { column = "station", split = "0", take = 1 }]

[columns]
registered = "registered"
ballots = "ballots"
null = "null"
valid = "valid"

[[options]]
key = "A"

[[options]]
key = "BC"
columns = ["B", "C"]
"#;

/// The fixed config, parsed.
pub fn config() -> Config {
    match Config::from_toml(CONFIG) {
        Ok(c) => c,
        Err(e) => panic!("the fuzz config does not parse: {e}"),
    }
}

/// Read `bytes` as a file called `name`, then check what every read must
/// keep: every row ends in exactly one place, every quarantine entry says
/// why, every column has one entry per sheet, and tabulation and the
/// quarantine file work on the result.
pub fn read_and_check(cfg: &Config, name: &str, bytes: &[u8]) {
    let Ok(ds) = read_bytes(cfg, name, bytes.to_vec(), None, &NoProgress) else {
        return;
    };
    check(cfg, &ds);
}

/// The invariants of a dataset read from one file.
pub fn check(cfg: &Config, ds: &Dataset) {
    let s = ds.summary();
    assert_eq!(
        s.rows_read,
        s.accepted + s.quarantined + s.missing + s.merged,
        "rows lost: {s:?}"
    );
    for q in &ds.quarantine {
        assert!(!q.reasons.is_empty(), "quarantined without a reason: {q:?}");
        assert!(
            q.reasons.iter().all(|r| !r.message.is_empty()),
            "reason without a message: {q:?}"
        );
    }
    let n = ds.sheets.len();
    assert_eq!(ds.sheets.station.len(), n);
    assert!(ds.sheets.votes.iter().all(|v| v.len() == n));
    assert!(ds.sheets.geo.iter().all(|g| g.len() == n));
    assert!(ds.flags.iter().all(|f| f.sheet < n));
    for l in 0..cfg.levels.len() {
        let _ = tabulate(cfg, ds, None, Some(l));
    }
    let national = tabulate(cfg, ds, None, None);
    let total: u64 = ds.sheets.votes[0].iter().map(|&v| u64::from(v)).sum();
    assert_eq!(national.units[0].votes[0], total);
    let mut out = Vec::new();
    let _ = tallyproof_core::quarantine::write_csv(ds, &mut out);
}

/// Everything a read produces, as text (units without their hash index,
/// whose order is not fixed).
pub fn fingerprint(ds: &Dataset) -> String {
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        ds.sheets,
        ds.units.iter().map(|u| (&u.codes, &u.names)).collect::<Vec<_>>(),
        ds.quarantine,
        ds.flags,
        ds.missing,
        ds.files,
    )
}

/// Streaming against reading whole. The first byte picks the block size (1
/// to 64 bytes, its low six bits) and whether the rest is gzip-compressed
/// first (its high bit); the rest is written to a file and streamed in
/// those blocks. The result must be the same as reading the same bytes
/// whole with `read_bytes`, or both must fail with the same message; and it
/// must keep the invariants of [`check`].
pub fn stream_matches_whole(cfg: &Config, data: &[u8]) {
    let Some((&k, body)) = data.split_first() else {
        return;
    };
    let block = usize::from(k & 63) + 1;
    let bytes = if k & 128 != 0 {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        if std::io::Write::write_all(&mut enc, body).is_err() {
            return;
        }
        match enc.finish() {
            Ok(b) => b,
            Err(_) => return,
        }
    } else {
        body.to_vec()
    };
    let path = std::env::temp_dir().join(format!(
        "tallyproof-fuzz-stream-{}.csv",
        std::process::id()
    ));
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let name = path.display().to_string();
    let whole = read_bytes(cfg, &name, bytes, None, &NoProgress);
    let streamed = read_files_in_blocks(cfg, &[&path], None, &NoProgress, block);
    match (&whole, &streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(fingerprint(a), fingerprint(b), "block {block}");
            check(cfg, b);
        }
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "block {block}"),
        (a, b) => panic!("block {block}: whole {:?}, streamed {:?}", a.is_ok(), b.is_ok()),
    }
}
