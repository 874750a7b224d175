//! The log directory: append, checkpoint, prove, verify.
//!
//! Layout of a log directory (`docs/ledger-format.md` §On disk):
//!
//! | file | content | written |
//! |---|---|---|
//! | `vkey` | verifier key (C2SP signed-note, Go `note` form) | once, by `init` |
//! | `skey` | private signer key, mode 0600 | once, by `init` |
//! | `entries` | frames `u32 BE length ‖ entry ‖ SHA-256(0x00 ‖ entry)` | appended, then `fsync` |
//! | `leafhashes` | 32-byte leaf hash per checkpointed leaf | appended, `fsync`, before a checkpoint |
//! | `checkpoint` | latest signed checkpoint | temp file, `fsync`, `rename` |
//! | `checkpoints/<size>` | every checkpoint signed | temp file, `fsync`, `rename` |
//! | `lock` | advisory lock held by a writer | |
//!
//! A checkpoint is signed only over frames already `fsync`ed, so a process
//! killed midway leaves at most an incomplete last frame after the signed
//! prefix; [`Log::append`] cuts it off before writing.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::error::{Error, Result, io};
use crate::merkle::{Hash, Tree, leaf_hash, verify_inclusion};
use crate::note::{SignerKey, VerifierKey, is_valid_key_name};
use crate::record::{LeafRecord, MAX_ENTRY_BYTES, Status};

const VKEY: &str = "vkey";
const SKEY: &str = "skey";
const ENTRIES: &str = "entries";
const LEAFHASHES: &str = "leafhashes";
const CHECKPOINT: &str = "checkpoint";
const CHECKPOINTS: &str = "checkpoints";
const LOCK: &str = "lock";

/// What [`Log::append`] did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppendReport {
    /// Leaf index of the first appended record.
    pub first_index: u64,
    /// Number of records appended.
    pub appended: u64,
    /// Of those, accepted sheets.
    pub accepted: u64,
    /// Of those, quarantined sheets.
    pub quarantined: u64,
    /// Bytes of an incomplete frame, left by an interrupted append, that were
    /// cut off first.
    pub repaired_bytes: u64,
}

/// An inclusion proof for one sheet of a station (RFC 9162 §2.1.3).
#[derive(Clone, Debug, serde::Serialize)]
pub struct StationProof {
    /// Leaf index.
    pub index: u64,
    /// The sheet.
    pub record: LeafRecord,
    /// Canonical encoding of the sheet (the log entry).
    pub entry: String,
    /// `SHA-256(0x00 ‖ entry)`.
    pub leaf_hash: Hash,
    /// Tree size of the checkpoint the proof is against.
    pub tree_size: u64,
    /// Audit path, leaf-side sibling first (RFC 6962 §2.1.1).
    pub inclusion_proof: Vec<Hash>,
    /// The signed checkpoint.
    pub checkpoint: String,
}

impl StationProof {
    /// The proof in C2SP tlog-proof form (`c2sp.org/tlog-proof@v1`), with the
    /// entry as its base64 `extra` data so that the proof is self-contained.
    pub fn to_tlog_proof(&self) -> String {
        let mut s = String::from("c2sp.org/tlog-proof@v1\n");
        s.push_str(&format!("extra {}\n", B64.encode(self.entry.as_bytes())));
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.inclusion_proof {
            s.push_str(&h.to_base64());
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }
}

/// Verifies a C2SP tlog-proof whose `extra` line carries the entry, as
/// written by [`StationProof::to_tlog_proof`]: the checkpoint signature by
/// `key` (C2SP signed-note), then inclusion (RFC 9162 §2.1.3.2). Returns the
/// record, its index and the checkpoint.
pub fn verify_tlog_proof(
    text: &str,
    key: &VerifierKey,
) -> Result<(u64, LeafRecord, SignedCheckpoint)> {
    let bad = |reason: &str| Error::Malformed {
        what: "tlog-proof".into(),
        kind: "tlog-proof",
        reason: reason.into(),
    };
    let Some((head, note)) = text.split_once("\n\n") else {
        return Err(bad("no empty line before the checkpoint"));
    };
    let mut lines = head.split('\n');
    if lines.next() != Some("c2sp.org/tlog-proof@v1") {
        return Err(bad("first line is not c2sp.org/tlog-proof@v1"));
    }
    let mut line = lines.next().ok_or_else(|| bad("missing index line"))?;
    let mut extra = None;
    if let Some(e) = line.strip_prefix("extra ") {
        extra = Some(B64.decode(e).map_err(|_| bad("extra is not base64"))?);
        line = lines.next().ok_or_else(|| bad("missing index line"))?;
    }
    let idx = line
        .strip_prefix("index ")
        .ok_or_else(|| bad("missing index line"))?;
    if idx.len() > 1 && idx.starts_with('0') {
        return Err(bad("index has a leading zero"));
    }
    let index: u64 = idx.parse().map_err(|_| bad("index is not a decimal"))?;
    let proof = lines
        .map(|l| Hash::from_base64(l).ok_or_else(|| bad("proof line is not a base64 hash")))
        .collect::<Result<Vec<_>>>()?;
    let entry = extra.ok_or_else(|| bad("no extra line carrying the entry"))?;
    let cp = SignedCheckpoint::open(note, key, "checkpoint in tlog-proof")?;
    verify_inclusion(index, cp.size(), &leaf_hash(&entry), &proof, &cp.root())?;
    let record = LeafRecord::decode(&entry, index)?;
    Ok((index, record, cp))
}

/// A consistency proof between two tree sizes (RFC 9162 §2.1.4).
#[derive(Clone, Debug, serde::Serialize)]
pub struct ConsistencyProof {
    /// Older size.
    pub old_size: u64,
    /// Root at the older size.
    pub old_root: Hash,
    /// Newer size (the latest checkpoint).
    pub new_size: u64,
    /// Root at the newer size.
    pub new_root: Hash,
    /// `PROOF(old_size, D[new_size])` (RFC 6962 §2.1.2).
    pub proof: Vec<Hash>,
    /// The signed checkpoint of the newer size.
    pub checkpoint: String,
}

/// What [`verify`] checked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    /// Origin of the log.
    pub origin: String,
    /// Size of the latest checkpoint.
    pub checkpoint_size: u64,
    /// Its root hash.
    pub root: Hash,
    /// Checkpoints whose signature and root were checked (latest, kept ones,
    /// trusted one).
    pub checkpoints_checked: usize,
    /// Complete entries in the entries file.
    pub entries: u64,
    /// Complete entries after the latest checkpoint (appended, not yet
    /// signed).
    pub unsigned_entries: u64,
    /// Bytes of an incomplete last frame (an interrupted append).
    pub torn_bytes: u64,
}

/// Options of [`verify`].
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// The key to trust; without it, the log's own `vkey` file is used.
    pub key: Option<VerifierKey>,
    /// A checkpoint note the verifier held before (for example from an
    /// earlier download): the log must still contain it.
    pub trusted_checkpoint: Option<String>,
}

/// An open log, holding the append lock of its directory.
pub struct Log {
    dir: PathBuf,
    verifier: VerifierKey,
    tree: Tree,
    offsets: Vec<u64>,
    end: u64,
    torn_bytes: u64,
    stations: BTreeMap<String, Vec<u64>>,
    latest: SignedCheckpoint,
    reader: File,
    _lock: File,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("dir", &self.dir)
            .field("origin", &self.verifier.name())
            .field("size", &self.tree.size())
            .field("checkpoint_size", &self.latest.size())
            .finish()
    }
}

fn read_to_string(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(io(path))
}

/// Writes `bytes` to `dir/name` through a temporary file, `fsync` and
/// `rename`, then `fsync`s the directory: readers see the old or the new
/// content, never a mix.
fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let dst = dir.join(name);
    {
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    fs::rename(&tmp, &dst).map_err(io(&dst))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

fn lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK);
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::Locked(dir.to_path_buf())),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::Io { path, source: e }),
    }
}

/// Creates a log in `dir` (made if missing) with origin `origin`, a fresh
/// Ed25519 key (private file mode 0600) and a signed checkpoint of the empty
/// tree (C2SP tlog-checkpoint). Returns the verifier key to publish.
pub fn init(dir: &Path, origin: &str) -> Result<VerifierKey> {
    if !is_valid_key_name(origin) {
        return Err(Error::Malformed {
            what: origin.to_string(),
            kind: "origin",
            reason: "must be non-empty, without spaces or '+' (C2SP signed-note key name)".into(),
        });
    }
    fs::create_dir_all(dir).map_err(io(dir))?;
    for name in [VKEY, SKEY, ENTRIES, CHECKPOINT] {
        if dir.join(name).exists() {
            return Err(Error::AlreadyExists(dir.to_path_buf()));
        }
    }
    let _lock = lock(dir)?;
    let signer = SignerKey::generate(origin)?;
    let skey_path = dir.join(SKEY);
    {
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&skey_path).map_err(io(&skey_path))?;
        f.write_all(signer.to_private_string().as_bytes())
            .and_then(|_| f.write_all(b"\n"))
            .and_then(|_| f.sync_all())
            .map_err(io(&skey_path))?;
    }
    let vkey = signer.verifier();
    write_atomic(dir, VKEY, format!("{vkey}\n").as_bytes())?;
    write_atomic(dir, ENTRIES, b"")?;
    write_atomic(dir, LEAFHASHES, b"")?;
    let cps = dir.join(CHECKPOINTS);
    fs::create_dir_all(&cps).map_err(io(&cps))?;
    let cp = Checkpoint::new(origin, 0, Hash::empty_root()).sign(&signer)?;
    write_atomic(dir, CHECKPOINT, cp.note().as_bytes())?;
    write_atomic(&cps, "0", cp.note().as_bytes())?;
    Ok(vkey)
}

/// Reads the verifier key a log directory publishes.
pub fn read_vkey(dir: &Path) -> Result<VerifierKey> {
    VerifierKey::parse(read_to_string(&dir.join(VKEY))?.trim_end())
}

/// One complete frame of the entries file.
struct Frame {
    index: u64,
    offset: u64,
    entry: Vec<u8>,
    hash: Hash,
}

/// End of a scan of the entries file.
struct ScanEnd {
    complete: u64,
    end: u64,
    torn_bytes: u64,
}

/// Reads exactly `buf.len()` bytes at `offset`, without moving a cursor.
#[cfg(unix)]
fn read_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    f.read_exact_at(buf, offset)
}

#[cfg(not(unix))]
fn read_at(f: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    let mut f = f.try_clone()?;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn station_of(entry: &[u8], index: u64) -> String {
    LeafRecord::decode(entry, index).map_or_else(|_| "?".to_string(), |r| r.station)
}

/// Reads every complete frame of `path`, checking each against the leaf hash
/// stored with it. An incomplete last frame ends the scan (callers compare the
/// count of complete frames with the signed size). A frame whose bytes differ
/// from its stored hash is an error, unless it is the last frame and at or
/// beyond `signed`: then it is a torn append.
fn scan(path: &Path, signed: u64, mut on: impl FnMut(Frame) -> Result<()>) -> Result<ScanEnd> {
    let file = File::open(path).map_err(io(path))?;
    let total = file.metadata().map_err(io(path))?.len();
    let mut r = BufReader::with_capacity(1 << 20, file);
    let (mut index, mut offset) = (0u64, 0u64);
    loop {
        let torn = |index: u64, offset: u64| -> Result<ScanEnd> {
            Ok(ScanEnd {
                complete: index,
                end: offset,
                torn_bytes: total - offset,
            })
        };
        let mut len = [0u8; 4];
        let n = read_full(&mut r, &mut len).map_err(io(path))?;
        if n == 0 {
            return Ok(ScanEnd {
                complete: index,
                end: offset,
                torn_bytes: 0,
            });
        }
        if n < 4 {
            return torn(index, offset);
        }
        let len = u32::from_be_bytes(len) as usize;
        if len > MAX_ENTRY_BYTES || offset + 4 + len as u64 + 32 > total {
            return torn(index, offset);
        }
        let mut entry = vec![0u8; len];
        let mut stored = [0u8; 32];
        read_full(&mut r, &mut entry).map_err(io(path))?;
        read_full(&mut r, &mut stored).map_err(io(path))?;
        let hash = leaf_hash(&entry);
        let frame_end = offset + 4 + len as u64 + 32;
        if hash.0 != stored {
            if index >= signed && frame_end == total {
                return torn(index, offset);
            }
            return Err(Error::EntryMismatch {
                index,
                station: station_of(&entry, index),
                reason: "entry bytes differ from the leaf hash stored with them (changed in place)"
                    .into(),
            });
        }
        on(Frame {
            index,
            offset,
            entry,
            hash,
        })?;
        index += 1;
        offset = frame_end;
    }
}

impl Log {
    /// Opens the log in `dir`, taking its append lock, checking the latest
    /// checkpoint's signature and every stored entry against its leaf hash.
    pub fn open(dir: &Path) -> Result<Log> {
        let lock = lock(dir)?;
        let verifier = read_vkey(dir)?;
        let cp_path = dir.join(CHECKPOINT);
        let latest = SignedCheckpoint::open(
            &read_to_string(&cp_path)?,
            &verifier,
            &cp_path.display().to_string(),
        )?;
        let mut tree = Tree::new();
        let mut offsets = Vec::new();
        let mut stations: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        let end = scan(&dir.join(ENTRIES), latest.size(), |f| {
            let rec = LeafRecord::decode(&f.entry, f.index)?;
            stations.entry(rec.station).or_default().push(f.index);
            tree.push(f.hash);
            offsets.push(f.offset);
            Ok(())
        })?;
        if end.complete < latest.size() {
            return Err(Error::Truncated {
                have: end.complete,
                want: latest.size(),
                which: CHECKPOINT.into(),
            });
        }
        Ok(Log {
            dir: dir.to_path_buf(),
            verifier,
            tree,
            offsets,
            end: end.end,
            torn_bytes: end.torn_bytes,
            stations,
            latest,
            reader: File::open(dir.join(ENTRIES)).map_err(io(dir.join(ENTRIES)))?,
            _lock: lock,
        })
    }

    /// The log's origin (checkpoint origin line and key name).
    pub fn origin(&self) -> &str {
        self.verifier.name()
    }

    /// The verifier key.
    pub fn verifier(&self) -> &VerifierKey {
        &self.verifier
    }

    /// Number of entries, signed or not.
    pub fn size(&self) -> u64 {
        self.tree.size()
    }

    /// The latest signed checkpoint.
    pub fn latest(&self) -> &SignedCheckpoint {
        &self.latest
    }

    /// The Merkle tree over all entries.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Reads entry `index` from disk, checking it against its leaf hash.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>> {
        let off = *usize::try_from(index)
            .ok()
            .and_then(|i| self.offsets.get(i))
            .ok_or_else(|| {
                Error::OutOfRange(format!("entry {index} of a log of size {}", self.size()))
            })?;
        let path = self.dir.join(ENTRIES);
        let mut len = [0u8; 4];
        read_at(&self.reader, &mut len, off).map_err(io(&path))?;
        let mut entry = vec![0u8; u32::from_be_bytes(len) as usize];
        read_at(&self.reader, &mut entry, off + 4).map_err(io(&path))?;
        if leaf_hash(&entry) != self.tree.leaf(index).unwrap_or_default() {
            return Err(Error::EntryMismatch {
                index,
                station: station_of(&entry, index),
                reason: "entry changed on disk since the log was opened".into(),
            });
        }
        Ok(entry)
    }

    /// Leaf indices of a station's sheets, in log order (signed or not).
    pub fn station_indices(&self, station: &str) -> &[u64] {
        self.stations.get(station).map_or(&[], |v| v.as_slice())
    }

    /// Leaf indices of a station's sheets below `size` (those a checkpoint
    /// of that size covers), in log order.
    pub fn signed_indices(&self, station: &str, size: u64) -> &[u64] {
        let all = self.station_indices(station);
        &all[..all.partition_point(|&i| i < size)]
    }

    /// Station ids in the log, sorted.
    pub fn stations(&self) -> impl Iterator<Item = &str> {
        self.stations.keys().map(|s| s.as_str())
    }

    /// Appends records as new leaves (RFC 6962 §2.1: leaves are only ever
    /// added at the end). All records are encoded and checked before anything
    /// is written; the frames are then written and `fsync`ed. A `supersedes`
    /// must name an earlier leaf. Appended leaves are signed by the next
    /// [`Log::checkpoint`].
    pub fn append<I>(&mut self, records: I) -> Result<AppendReport>
    where
        I: IntoIterator<Item = LeafRecord>,
    {
        let first = self.size();
        let mut encoded = Vec::new();
        let mut stations = Vec::new();
        let mut quarantined = 0u64;
        for (i, rec) in records.into_iter().enumerate() {
            let index = first + i as u64;
            if let Some(t) = rec.supersedes
                && t >= index
            {
                return Err(Error::BadSupersedes {
                    index,
                    station: rec.station.clone(),
                    target: t,
                });
            }
            encoded.push(rec.encode()?);
            quarantined += u64::from(matches!(rec.status, Status::Quarantined(_)));
            stations.push(rec.station);
        }
        let path = self.dir.join(ENTRIES);
        let mut file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        let repaired = self.torn_bytes;
        if repaired > 0 {
            file.set_len(self.end).map_err(io(&path))?;
            file.sync_all().map_err(io(&path))?;
            self.torn_bytes = 0;
        }
        file.seek(SeekFrom::Start(self.end)).map_err(io(&path))?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let mut hashes = Vec::with_capacity(encoded.len());
        let mut offsets = Vec::with_capacity(encoded.len());
        let mut off = self.end;
        for e in &encoded {
            let h = leaf_hash(e);
            w.write_all(&(e.len() as u32).to_be_bytes())
                .and_then(|_| w.write_all(e))
                .and_then(|_| w.write_all(&h.0))
                .map_err(io(&path))?;
            offsets.push(off);
            off += 4 + e.len() as u64 + 32;
            hashes.push(h);
        }
        let file = w.into_inner().map_err(|e| Error::Io {
            path: path.clone(),
            source: e.into_error(),
        })?;
        file.sync_data().map_err(io(&path))?;
        for ((h, o), s) in hashes.into_iter().zip(offsets).zip(stations) {
            let index = self.tree.size();
            self.tree.push(h);
            self.offsets.push(o);
            self.stations.entry(s).or_default().push(index);
        }
        self.end = off;
        Ok(AppendReport {
            first_index: first,
            appended: encoded.len() as u64,
            accepted: encoded.len() as u64 - quarantined,
            quarantined,
            repaired_bytes: repaired,
        })
    }

    /// Marks each record as the correction of its station's latest earlier
    /// sheet: the last leaf of that station already in the log, or an earlier
    /// record of the same batch (which will be appended before it). A record
    /// whose station has no earlier sheet is left as it is. Call it on a batch
    /// about to be [`Log::append`]ed; nothing in the log is edited (a
    /// correction is a new leaf).
    pub fn link_corrections(&self, records: &mut [LeafRecord]) {
        let first = self.size();
        let mut last: std::collections::HashMap<String, u64> = Default::default();
        for (i, r) in records.iter_mut().enumerate() {
            let prior = last
                .get(&r.station)
                .copied()
                .or_else(|| self.station_indices(&r.station).last().copied());
            if prior.is_some() {
                r.supersedes = prior;
            }
            last.insert(r.station.clone(), first + i as u64);
        }
    }

    /// Signs a checkpoint of every entry appended so far (C2SP
    /// tlog-checkpoint, C2SP signed-note Ed25519). Refuses when the entries no
    /// longer reproduce the previous checkpoint's root: a log must not sign a
    /// checkpoint inconsistent with one it signed before (C2SP tlog-checkpoint
    /// §Signatures). Returns the latest checkpoint unchanged when nothing was
    /// appended.
    pub fn checkpoint(&mut self) -> Result<SignedCheckpoint> {
        let size = self.tree.size();
        let prev = &self.latest;
        if self.tree.root(prev.size())? != prev.root() {
            return Err(Error::Inconsistent {
                a: format!("checkpoint of size {}", prev.size()),
                b: format!("entries (size {size})"),
                reason: "the stored entries do not reproduce the signed root".into(),
            });
        }
        // A process killed between writing `checkpoint` and its copy in
        // `checkpoints/` left the copy missing: keep it now.
        self.keep(&prev.clone())?;
        if size == prev.size() {
            return Ok(self.latest.clone());
        }
        let skey_path = self.dir.join(SKEY);
        let signer = SignerKey::parse(&read_to_string(&skey_path)?)?;
        if signer.verifier() != self.verifier {
            return Err(Error::BadSignature {
                what: skey_path.display().to_string(),
                reason: "private key does not match the log's vkey".into(),
            });
        }
        self.write_leafhashes(prev.size(), size)?;
        let root = self.tree.root(size)?;
        let cp = Checkpoint::new(self.origin(), size, root).sign(&signer)?;
        write_atomic(&self.dir, CHECKPOINT, cp.note().as_bytes())?;
        self.keep(&cp)?;
        self.latest = cp.clone();
        Ok(cp)
    }

    fn keep(&self, cp: &SignedCheckpoint) -> Result<()> {
        let dir = self.dir.join(CHECKPOINTS);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let name = cp.size().to_string();
        if dir.join(&name).exists() {
            return Ok(());
        }
        write_atomic(&dir, &name, cp.note().as_bytes())
    }

    /// Brings `leafhashes` to `size` hashes: keeps the signed prefix, rewrites
    /// the rest, `fsync`s.
    fn write_leafhashes(&self, signed: u64, size: u64) -> Result<()> {
        let path = self.dir.join(LEAFHASHES);
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        let have = f.metadata().map_err(io(&path))?.len() / 32;
        let keep = have.min(signed);
        f.set_len(keep * 32).map_err(io(&path))?;
        f.seek(SeekFrom::Start(keep * 32)).map_err(io(&path))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        for i in keep..size {
            let h = self.tree.leaf(i).unwrap_or_default();
            w.write_all(&h.0).map_err(io(&path))?;
        }
        let f = w.into_inner().map_err(|e| Error::Io {
            path: path.clone(),
            source: e.into_error(),
        })?;
        f.sync_data().map_err(io(&path))
    }

    /// Inclusion proofs of every sheet of `station` covered by the latest
    /// checkpoint (RFC 6962 §2.1.1, RFC 9162 §2.1.3.1).
    pub fn prove_station(&self, station: &str) -> Result<Vec<StationProof>> {
        let size = self.latest.size();
        let mut out = Vec::new();
        for &index in self.station_indices(station) {
            if index >= size {
                continue;
            }
            out.push(self.prove_index(index)?);
        }
        if out.is_empty() {
            return Err(Error::UnknownStation(station.to_string()));
        }
        Ok(out)
    }

    /// Inclusion proof of leaf `index` against the latest checkpoint
    /// (RFC 9162 §2.1.3.1).
    pub fn prove_index(&self, index: u64) -> Result<StationProof> {
        let size = self.latest.size();
        let proof = self.tree.inclusion_proof(index, size)?;
        let entry = self.entry(index)?;
        let record = LeafRecord::decode(&entry, index)?;
        Ok(StationProof {
            index,
            record,
            entry: String::from_utf8_lossy(&entry).into_owned(),
            leaf_hash: leaf_hash(&entry),
            tree_size: size,
            inclusion_proof: proof,
            checkpoint: self.latest.note().to_string(),
        })
    }

    /// Consistency proof from `old_size` to the latest checkpoint (RFC 6962
    /// §2.1.2, RFC 9162 §2.1.4.1).
    pub fn consistency(&self, old_size: u64) -> Result<ConsistencyProof> {
        let new_size = self.latest.size();
        let proof = self.tree.consistency_proof(old_size, new_size)?;
        Ok(ConsistencyProof {
            old_size,
            old_root: self.tree.root(old_size)?,
            new_size,
            new_root: self.latest.root(),
            proof,
            checkpoint: self.latest.note().to_string(),
        })
    }

    /// The directory of the log.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Verifies a log directory offline (RFC 6962 §2.1, RFC 9162 §2.1.4, C2SP
/// signed-note, C2SP tlog-checkpoint): every checkpoint's signature, that the
/// latest checkpoint is not older than any kept or trusted one, every entry
/// against its stored leaf hash and canonical encoding, every `supersedes`,
/// and that the entries reproduce the root of every checkpoint (which makes
/// the checkpoints mutually consistent). Fails naming the first bad entry
/// (index and station) where the files allow locating it.
pub fn verify(dir: &Path, opts: &VerifyOptions) -> Result<VerifyReport> {
    let key = match &opts.key {
        Some(k) => k.clone(),
        None => read_vkey(dir)?,
    };
    let cp_path = dir.join(CHECKPOINT);
    let latest = SignedCheckpoint::open(
        &read_to_string(&cp_path)?,
        &key,
        &cp_path.display().to_string(),
    )?;

    // Every checkpoint to hold the entries to, by file name.
    let mut checks: Vec<(String, SignedCheckpoint)> =
        vec![(CHECKPOINT.to_string(), latest.clone())];
    let cps_dir = dir.join(CHECKPOINTS);
    if cps_dir.is_dir() {
        let mut names: Vec<_> = fs::read_dir(&cps_dir)
            .map_err(io(&cps_dir))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        for n in names {
            let p = cps_dir.join(&n);
            let what = format!("{CHECKPOINTS}/{n}");
            let cp = SignedCheckpoint::open(&read_to_string(&p)?, &key, &what)?;
            if cp.size().to_string() != n {
                return Err(Error::Malformed {
                    what,
                    kind: "checkpoint",
                    reason: format!("file holds a checkpoint of size {}", cp.size()),
                });
            }
            checks.push((what, cp));
        }
    }
    if let Some(t) = &opts.trusted_checkpoint {
        let cp = SignedCheckpoint::open(t, &key, "trusted checkpoint")?;
        checks.push(("trusted checkpoint".into(), cp));
    }
    if let Some((what, cp)) = checks
        .iter()
        .filter(|(_, c)| c.size() > latest.size())
        .max_by_key(|(_, c)| c.size())
    {
        return Err(Error::RolledBack {
            current: latest.size(),
            seen: cp.size(),
            seen_where: what.clone(),
        });
    }

    let signed = latest.size();
    let mut hashes = Vec::new();
    let mut stations = Vec::new();
    let end = scan(&dir.join(ENTRIES), signed, |f| {
        let rec = LeafRecord::decode(&f.entry, f.index)?;
        if let Some(t) = rec.supersedes
            && t >= f.index
        {
            return Err(Error::BadSupersedes {
                index: f.index,
                station: rec.station,
                target: t,
            });
        }
        hashes.push(f.hash);
        stations.push(rec.station);
        Ok(())
    })?;
    let tree = Tree::from_leaf_hashes(hashes.iter().copied());

    checks.sort_by_key(|(_, c)| c.size());
    let mut good = 0u64;
    for (what, cp) in &checks {
        let size = cp.size();
        if size <= end.complete && tree.root(size)? == cp.root() {
            good = good.max(size);
            continue;
        }
        return Err(locate(dir, what, cp, &hashes, &stations, good));
    }
    Ok(VerifyReport {
        origin: key.name().to_string(),
        checkpoint_size: signed,
        root: latest.root(),
        checkpoints_checked: checks.len(),
        entries: end.complete,
        unsigned_entries: end.complete - signed,
        torn_bytes: end.torn_bytes,
    })
}

/// Names where the entries stop matching checkpoint `cp`. The `leafhashes`
/// file is trusted only if it reproduces the signed root; then the first
/// entry whose hash differs from it is the first bad entry. Otherwise the
/// mismatch is narrowed to the entries after the largest checkpoint that
/// still verifies.
fn locate(
    dir: &Path,
    what: &str,
    cp: &SignedCheckpoint,
    hashes: &[Hash],
    stations: &[String],
    good: u64,
) -> Error {
    let size = cp.size();
    let have = hashes.len() as u64;
    let stored: Option<Vec<Hash>> = fs::read(dir.join(LEAFHASHES)).ok().map(|b| {
        b.chunks_exact(32)
            .take(usize::try_from(size).unwrap_or(usize::MAX))
            .map(|c| Hash(c.try_into().unwrap_or([0; 32])))
            .collect()
    });
    if let Some(stored) = stored
        && stored.len() as u64 == size
        && Tree::from_leaf_hashes(stored.iter().copied())
            .root(size)
            .ok()
            == Some(cp.root())
        && let Some(i) = hashes.iter().zip(&stored).position(|(a, b)| a != b)
    {
        return Error::EntryMismatch {
            index: i as u64,
            station: stations[i].clone(),
            reason: format!(
                "leaf hash differs from the one {what} (size {size}) commits to: \
                 entry changed, swapped, inserted or deleted here"
            ),
        };
    }
    if have < size {
        return Error::Truncated {
            have,
            want: size,
            which: what.to_string(),
        };
    }
    Error::RootMismatch {
        which: what.to_string(),
        first: good,
        end: size,
    }
}
