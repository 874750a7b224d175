//! The signed log of counted sheets, through the ledger crate: each sheet
//! that comes to count (agreed or resolved) is a leaf, a later one for the
//! same station supersedes the earlier, and a checkpoint is signed after
//! every append.

use std::path::Path;
use std::sync::RwLock;

use tallyproof_core::sheet::{Sheet, SourceKind};
use tallyproof_ledger::{LeafRecord, Log, StationProof};

/// A log failure.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The ledger failed.
    #[error("log: {0}")]
    Ledger(#[from] tallyproof_ledger::Error),
    /// The lock was poisoned by a panic.
    #[error("log: lock poisoned")]
    Poisoned,
}

/// The log, shared between requests: proofs are read concurrently under
/// a read lock; appends take the write lock.
#[derive(Debug)]
pub struct LogSink {
    log: RwLock<Log>,
}

/// The ledger's record of a sheet.
pub fn leaf_of(
    cfg: &tallyproof_core::Config,
    sheet: &Sheet,
    supersedes: Option<u64>,
) -> LeafRecord {
    let kind = match sheet.origin.kind {
        SourceKind::Import => tallyproof_ledger::SourceKind::Import,
        SourceKind::Scan => tallyproof_ledger::SourceKind::Scan,
        SourceKind::Witness => tallyproof_ledger::SourceKind::Witness,
        SourceKind::Official => tallyproof_ledger::SourceKind::Official,
    };
    let contest = sheet.contest.clone().unwrap_or_default();
    let mut r = LeafRecord::new(&sheet.station, &contest, kind);
    r.counts = cfg
        .options
        .iter()
        .zip(&sheet.counts.options)
        .map(|(o, v)| (o.key.clone(), *v))
        .collect();
    r.null = sheet.counts.null;
    r.blank = sheet.counts.blank;
    r.ballots = sheet.counts.ballots;
    r.registered = sheet.counts.registered;
    r.provenance.file = sheet.origin.file.clone();
    r.provenance.line = sheet.origin.line;
    r.provenance.image_sha256 = sheet.origin.image_sha256.clone();
    r.provenance.qr_payload = sheet.origin.qr_payload.clone();
    r.provenance.received = sheet.origin.received_at.clone();
    r.supersedes = supersedes;
    r
}

impl LogSink {
    /// Open the log in `dir`, creating it (and its signing key) with
    /// `origin` if the folder has none.
    pub fn open_or_init(dir: &Path, origin: &str) -> Result<LogSink, LogError> {
        if !dir.join("checkpoint").exists() {
            tallyproof_ledger::init(dir, origin)?;
        }
        Ok(LogSink {
            log: RwLock::new(Log::open(dir)?),
        })
    }

    /// Append sheets (each superseding its station's latest leaf, also one
    /// earlier in the batch) and sign one checkpoint; returns the first
    /// leaf's index.
    pub fn record_many<'a>(
        &self,
        cfg: &tallyproof_core::Config,
        sheets: impl Iterator<Item = &'a Sheet>,
    ) -> Result<u64, LogError> {
        let mut log = self.log.write().map_err(|_| LogError::Poisoned)?;
        let first = log.size();
        let mut recent: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        let mut recs = Vec::new();
        for (k, s) in sheets.enumerate() {
            let prev = recent
                .get(&s.station)
                .copied()
                .or_else(|| log.station_indices(&s.station).last().copied());
            recs.push(leaf_of(cfg, s, prev));
            recent.insert(s.station.clone(), first + k as u64);
        }
        let rep = log.append(recs)?;
        log.checkpoint()?;
        Ok(rep.first_index)
    }

    /// Inclusion proofs of the station's leaves against the latest checkpoint.
    pub fn prove(&self, station: &str) -> Result<Vec<StationProof>, LogError> {
        let log = self.log.read().map_err(|_| LogError::Poisoned)?;
        if log.station_indices(station).is_empty() {
            return Ok(Vec::new());
        }
        Ok(log.prove_station(station)?)
    }

    /// The log's size and its verifier key, as text.
    pub fn head(&self) -> Result<(u64, String, String), LogError> {
        let log = self.log.read().map_err(|_| LogError::Poisoned)?;
        Ok((
            log.size(),
            log.latest().note().to_string(),
            log.verifier().to_string(),
        ))
    }

    /// Write the log's static export (tiles, checkpoint, per-station
    /// proofs) into `out`; returns the tree size exported.
    pub fn export(&self, out: &Path) -> Result<u64, LogError> {
        let log = self.log.read().map_err(|_| LogError::Poisoned)?;
        Ok(log.export(out)?.tree_size)
    }
}
