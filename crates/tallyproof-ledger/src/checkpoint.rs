//! Checkpoints: C2SP tlog-checkpoint note texts, signed as C2SP signed notes.
//!
//! An unsigned [`Checkpoint`] becomes a [`SignedCheckpoint`] only through
//! [`Checkpoint::sign`] or, for one read from disk, [`SignedCheckpoint::open`],
//! which verifies the signature first.

use crate::error::{Error, Result};
use crate::merkle::Hash;
use crate::note::{SignerKey, VerifierKey, open_note};

/// A tree head: origin, tree size and root hash (C2SP tlog-checkpoint §Note
/// text), not yet signed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// Number of leaves.
    pub size: u64,
    /// `MTH` of those leaves (RFC 6962 §2.1).
    pub root: Hash,
    /// Extension lines, kept as read; this log writes none.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Self {
        Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note text: origin, decimal size, base64 root, then extension lines,
    /// each ending in a newline (C2SP tlog-checkpoint §Note text).
    pub fn text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            self.root.to_base64()
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a note text (C2SP tlog-checkpoint §Note text): at least three
    /// non-empty lines; size in decimal without leading zeroes; root in base64.
    pub fn parse(text: &str, what: &str) -> Result<Self> {
        let bad = |reason: String| Error::Malformed {
            what: what.to_string(),
            kind: "checkpoint",
            reason,
        };
        let Some(body) = text.strip_suffix('\n') else {
            return Err(bad("text does not end in a newline".into()));
        };
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(bad(format!("{} lines, at least 3 required", lines.len())));
        }
        if let Some(i) = lines.iter().position(|l| l.is_empty()) {
            return Err(bad(format!("line {} is empty", i + 1)));
        }
        let size_s = lines[1];
        if !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(bad(format!(
                "tree size {size_s:?} is not a canonical decimal"
            )));
        }
        let size = size_s
            .parse::<u64>()
            .map_err(|_| bad(format!("tree size {size_s:?} out of range")))?;
        let root = Hash::from_base64(lines[2]).ok_or_else(|| {
            bad(format!(
                "root hash {:?} is not 32 bytes of base64",
                lines[2]
            ))
        })?;
        Ok(Checkpoint {
            origin: lines[0].to_string(),
            size,
            root,
            extensions: lines[3..].iter().map(|s| s.to_string()).collect(),
        })
    }

    /// Signs this checkpoint as a C2SP signed note. The key's name must be the
    /// origin (C2SP tlog-checkpoint §Signatures: "The log's key name in its
    /// signature line SHOULD match the origin line").
    pub fn sign(self, key: &SignerKey) -> Result<SignedCheckpoint> {
        if key.name() != self.origin {
            return Err(Error::BadSignature {
                what: format!("checkpoint of {}", self.origin),
                reason: format!("key name {} differs from the origin", key.name()),
            });
        }
        let note = key.sign_note(&self.text())?;
        Ok(SignedCheckpoint {
            checkpoint: self,
            note,
        })
    }
}

/// A checkpoint whose signature by the log key has been made or verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    checkpoint: Checkpoint,
    note: String,
}

impl SignedCheckpoint {
    /// Verifies `note` with `key` (C2SP signed-note §Signatures) and parses
    /// its text (C2SP tlog-checkpoint §Note text). The origin must equal the
    /// key name.
    pub fn open(note: &str, key: &VerifierKey, what: &str) -> Result<Self> {
        let text = open_note(note, key, what)?;
        let checkpoint = Checkpoint::parse(&text, what)?;
        if checkpoint.origin != key.name() {
            return Err(Error::BadSignature {
                what: what.to_string(),
                reason: format!(
                    "origin {:?} differs from the key name {:?}",
                    checkpoint.origin,
                    key.name()
                ),
            });
        }
        Ok(SignedCheckpoint {
            checkpoint,
            note: note.to_string(),
        })
    }

    /// The tree head.
    pub fn checkpoint(&self) -> &Checkpoint {
        &self.checkpoint
    }

    /// Tree size.
    pub fn size(&self) -> u64 {
        self.checkpoint.size
    }

    /// Root hash.
    pub fn root(&self) -> Hash {
        self.checkpoint.root
    }

    /// The whole signed note, as served at `<prefix>/checkpoint`
    /// (C2SP tlog-tiles §Checkpoints).
    pub fn note(&self) -> &str {
        &self.note
    }
}
