//! The core of tallyproof: from tally-sheet files to validated, tabulated
//! results, for any election a config file describes.
//!
//! # Overview
//!
//! - [`Config`] describes an election: options, party lines, geography,
//!   how a station id is built, which columns hold which counts, and the
//!   physical form of the files (delimiter, encoding, wide or long).
//! - [`read_files`] reads CSV (plain or gzip), JSON Lines and Parquet into a
//!   [`Dataset`]: accepted sheets held columnar, and the quarantine, where
//!   every rejected sheet keeps its original fields and its reasons
//!   ([`Rule`] codes). No row is ever dropped.
//! - [`tabulate`] totals each option at any level, with coverage against a
//!   [`Registry`] when one is given.
//!
//! ```
//! use tallyproof_core::{Config, NoProgress, read_files, tabulate};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cfg = Config::from_toml(r#"
//!     [election]
//!     name = "Example"
//!     [station]
//!     id = ["station"]
//!     [columns]
//!     valid = "valid"
//!     [[options]]
//!     key = "A"
//!     [[options]]
//!     key = "B"
//! "#)?;
//! let dir = tempfile::tempdir()?;
//! let file = dir.path().join("sheets.csv");
//! std::fs::write(&file, "station,A,B,valid\n1,10,5,15\n2,7,9,16\n3,1,1,3\n")?;
//! let ds = read_files(&cfg, &[&file], None, &NoProgress)?;
//! assert_eq!(ds.sheets.len(), 2);          // station 3 does not add up
//! assert_eq!(ds.quarantine.len(), 1);
//! let national = tabulate(&cfg, &ds, None, None);
//! assert_eq!(national.units[0].votes, vec![17, 14]);
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod announcement;
pub mod collate;
pub mod config;
pub mod crosscheck;
pub mod error;
pub mod evidence;
pub mod inputs;
pub mod model;
#[cfg(feature = "parquet")]
pub mod parquet_input;
pub mod quarantine;
pub mod read;
pub mod registry;
pub mod rules;
pub mod sheet;
pub mod tabulate;

pub use announcement::Announcement;
pub use config::Config;
pub use error::Error;
pub use model::{Dataset, Sheets};
#[doc(hidden)]
pub use read::read_files_in_blocks;
pub use read::{NoProgress, Progress, read_bytes, read_files};
pub use registry::Registry;
pub use rules::{Rule, Severity};
pub use tabulate::{Coverage, Tabulation, coverage, tabulate};

/// An integer with comma thousands separators: 7156462 → "7,156,462", as
/// every figure is printed for people.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
