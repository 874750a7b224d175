//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong in the ledger.
///
/// Each variant names the offending value and where it was found (a file, an
/// entry index and its station, a key name). Variants that come out of
/// [`verify`](crate::verify) name the *first* bad entry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An operating-system error while reading or writing `path`.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// `init` was pointed at a directory that already holds a log.
    #[error("{0}: a log already exists here")]
    AlreadyExists(PathBuf),

    /// Another process holds the append lock of the log.
    #[error("{0}: the log is locked by another process")]
    Locked(PathBuf),

    /// A record cannot be put into a leaf (empty station id, duplicate
    /// option, malformed image hash, entry larger than 65,535 bytes, …).
    #[error("record for station {station:?}: {reason}")]
    InvalidRecord {
        /// The station of the record.
        station: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A stored entry is not a canonical leaf encoding (see
    /// `docs/ledger-format.md`).
    #[error("entry {index}: not a canonical leaf encoding: {reason}")]
    MalformedEntry {
        /// Leaf index.
        index: u64,
        /// What is wrong with it.
        reason: String,
    },

    /// A stored entry no longer hashes to the value the log recorded for it:
    /// its bytes were changed, or entries were swapped, inserted or deleted.
    #[error("entry {index} (station {station}): {reason}")]
    EntryMismatch {
        /// Leaf index of the first entry that differs.
        index: u64,
        /// Station of that entry, or `?` where it cannot be decoded.
        station: String,
        /// How the mismatch was detected.
        reason: String,
    },

    /// The entries file ends before the size that a signed checkpoint
    /// commits to.
    #[error("entries file holds {have} complete entries but checkpoint {which} commits to {want}")]
    Truncated {
        /// Complete entries found.
        have: u64,
        /// Size in the checkpoint.
        want: u64,
        /// Which checkpoint (file name).
        which: String,
    },

    /// The entries do not reproduce a checkpoint's root hash, and the
    /// mismatch could only be narrowed to a range of entries.
    #[error("checkpoint {which}: entries {first}..{end} do not reproduce the signed root hash")]
    RootMismatch {
        /// Which checkpoint (file name).
        which: String,
        /// First leaf index of the range that differs.
        first: u64,
        /// End (exclusive) of that range.
        end: u64,
    },

    /// A signed note or verifier/signer key is malformed (C2SP signed-note).
    #[error("{what}: malformed {kind}: {reason}")]
    Malformed {
        /// Where the text came from.
        what: String,
        /// Which format (note, checkpoint, verifier key, signer key).
        kind: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A note carries no valid signature by the expected key, or a signature
    /// by that key fails to verify (C2SP signed-note §Signatures).
    #[error("{what}: {reason}")]
    BadSignature {
        /// Which note.
        what: String,
        /// Details (expected key, keys seen).
        reason: String,
    },

    /// The current checkpoint is older than one the log signed before, or
    /// than one the verifier trusts.
    #[error(
        "checkpoint rolled back: current size {current} is smaller than {seen_where} of size {seen}"
    )]
    RolledBack {
        /// Size of the current checkpoint.
        current: u64,
        /// Largest size seen elsewhere.
        seen: u64,
        /// Where the larger checkpoint was seen.
        seen_where: String,
    },

    /// Two checkpoints of this log cannot both be true (RFC 9162 §2.1.4).
    #[error("checkpoints {a} and {b} are inconsistent: {reason}")]
    Inconsistent {
        /// One checkpoint.
        a: String,
        /// The other.
        b: String,
        /// Why.
        reason: String,
    },

    /// A `supersedes` field that does not name an earlier leaf.
    #[error("entry {index} (station {station}) supersedes {target}, which is not an earlier leaf")]
    BadSupersedes {
        /// Index of the correcting leaf.
        index: u64,
        /// Its station.
        station: String,
        /// The index it names.
        target: u64,
    },

    /// A file of a static export (site) is missing, malformed, or differs
    /// from what the signed checkpoint and the other files imply.
    #[error("{file}: {reason}")]
    Site {
        /// The file, relative to the site's root (e.g. `tile/0/x001/234`).
        file: String,
        /// What differed.
        reason: String,
    },

    /// A proof or index request outside the tree.
    #[error("{0}")]
    OutOfRange(String),

    /// A consistency proof was asked for from the empty tree (size 0): RFC
    /// 9162 §2.1.4 defines one only from a non-empty tree, since every tree
    /// is consistent with the empty one.
    #[error(
        "no consistency proof from size 0: RFC 9162 §2.1.4 defines a consistency proof only \
         from a non-empty tree, and every tree (here of size {new_size}) is consistent with the \
         empty one, so there is nothing to prove; check the signed checkpoint itself, or give \
         --from a size of at least 1"
    )]
    EmptyOldTree {
        /// The newer size asked for.
        new_size: u64,
    },

    /// A proof did not verify (RFC 9162 §2.1.3.2, §2.1.4.2).
    #[error("proof does not verify: {0}")]
    ProofFailed(String),

    /// No leaf of the log carries this station id.
    #[error("no sheet of station {0:?} is covered by the latest checkpoint")]
    UnknownStation(String),

    /// The log has no checkpoint yet.
    #[error("{0}: the log has no checkpoint yet")]
    NoCheckpoint(PathBuf),

    /// JSON output could not be produced.
    #[error("{path}: {source}")]
    Json {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },

    /// The system random number generator failed.
    #[error("random number generator: {0}")]
    Random(String),
}

/// Result alias of the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}
