//! A tamper-evident, append-only, signed record of every tally sheet.
//!
//! Each sheet, accepted or quarantined, becomes one leaf of an RFC 6962 /
//! RFC 9162 Merkle tree. The log signs checkpoints (C2SP tlog-checkpoint) as
//! C2SP signed notes with Ed25519, proves that a station's sheet is in the
//! tree (inclusion) and that a later tree extends an earlier one
//! (consistency), and exports everything as static C2SP tlog-tiles files that
//! any host or CDN can serve. Once a checkpoint is out, no sheet can be
//! changed, dropped or reordered without the change showing.
//!
//! # Brief overview
//!
//! - [`LeafRecord`] is what a leaf carries: station, contest, counts,
//!   status, [`Provenance`], and the leaf it corrects, if any. Its canonical
//!   encoding ([`LeafRecord::encode`]) is specified in `docs/ledger-format.md`.
//! - [`init`] creates a log directory and its key; [`Log::open`] opens it
//!   for writing; [`Log::append`] adds leaves; [`Log::checkpoint`] signs the
//!   tree head ([`Checkpoint`] → [`SignedCheckpoint`]).
//! - [`Log::prove_station`] and [`Log::consistency`] produce proofs that
//!   [`verify_inclusion`] and [`verify_consistency`] check;
//!   [`verify_tlog_proof`] checks a self-contained C2SP tlog-proof.
//! - [`verify`] checks a log directory offline; [`Log::export`] writes the
//!   static site and [`verify_export`] checks one.
//!
//! # Example
//!
//! ```
//! use tallyproof_ledger::{LeafRecord, Log, SourceKind, VerifyOptions, verify_inclusion};
//! # fn main() -> Result<(), tallyproof_ledger::Error> {
//! let dir = std::env::temp_dir().join(format!("tallyproof-ledger-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let vkey = tallyproof_ledger::init(&dir, "example.org/ve2024")?;
//! let mut log = Log::open(&dir)?;
//! let mut sheet = LeafRecord::new("010101001", "presidential", SourceKind::Import);
//! sheet.counts = vec![("A".into(), 120), ("B".into(), 80)];
//! log.append([sheet])?;
//! let cp = log.checkpoint()?;
//! let proof = &log.prove_station("010101001")?[0];
//! verify_inclusion(proof.index, cp.size(), &proof.leaf_hash, &proof.inclusion_proof, &cp.root())?;
//! drop(log);
//! let report = tallyproof_ledger::verify(&dir, &VerifyOptions { key: Some(vkey), ..Default::default() })?;
//! assert_eq!(report.checkpoint_size, 1);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod bundle;
mod checkpoint;
mod error;
mod export;
mod leaves;
mod log;
mod merkle;
mod note;
mod record;
mod site;

pub use bundle::{
    BUNDLE_FORMAT, BundleSheet, BundleStation, INDEX_FORMAT, INDEX_PATH, IndexRow,
    STATIONS_PER_BUNDLE, StationBundle, StationIndex, bundle_path,
};
pub use checkpoint::{Checkpoint, SignedCheckpoint};
pub use error::{Error, Result};
pub use export::{
    ExportReport, TILE_WIDTH, station_file_name, tile_index_path, tile_path, verify_export,
};
pub use leaves::leaves_from_dataset;
pub use log::{
    AppendReport, ConsistencyProof, Log, StationProof, VerifyOptions, VerifyReport, init,
    read_vkey, verify, verify_tlog_proof,
};
pub use merkle::{Hash, Tree, leaf_hash, node_hash, verify_consistency, verify_inclusion};
pub use note::{
    ALG_ED25519, MAX_SIGNATURES, NoteSignature, SignerKey, VerifierKey, is_valid_key_name, key_id,
    open_note, parse_note,
};
pub use record::{
    LEAF_HEADER, LEAF_HEADER_V1, LeafRecord, MAX_ENTRY_BYTES, Provenance, SourceKind, Status,
    file_name_of, is_file_name,
};
pub use site::{SiteReport, lookup_station, verify_site};
