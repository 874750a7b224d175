//! Stations from a dataset read by tallyproof-core, and the location of the
//! real data given by `TALLYPROOF_REAL_DATA`.

use std::path::PathBuf;

use tallyproof_core::{Config, Dataset, NoProgress, read_files};
use tallyproof_stats::forensics::Stations;

/// The path of a real-data file, `None` when `TALLYPROOF_REAL_DATA` is unset;
/// panics when it is set but the file is missing (a misconfigured run must
/// not pass silently).
pub fn real_data(rel: &str) -> Option<PathBuf> {
    let root = std::env::var_os("TALLYPROOF_REAL_DATA")?;
    let p = PathBuf::from(root).join(rel);
    assert!(
        p.is_file(),
        "TALLYPROOF_REAL_DATA is set but {} does not exist",
        p.display()
    );
    Some(p)
}

/// The workspace's `configs/` directory.
pub fn config(name: &str) -> Config {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../configs")
        .join(name);
    match Config::from_path(&p) {
        Ok(c) => c,
        Err(e) => panic!("{}: {e}", p.display()),
    }
}

/// Reads files with a config.
pub fn read(cfg: &Config, files: &[PathBuf]) -> Dataset {
    match read_files(cfg, files, None, &NoProgress) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

/// Accepted sheets as forensic stations.
pub fn stations(ds: &Dataset) -> Stations {
    match Stations::from_dataset(ds) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}
