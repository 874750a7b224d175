//! Photos of tally sheets: sniffed as JPEG or PNG, stored by the SHA-256
//! of their bytes (never by a name the client gives), and their QR code
//! decoded by `tallyproof_acta` on one worker, off the request's task,
//! from a queue that is the store itself (photos `pending`). A code that
//! reads becomes an entry of kind `scan` from the uploader.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::Serialize;
use tallyproof_acta::Scanner;
use tallyproof_core::sheet::{Origin, SourceKind, parse_fields};
use tokio::sync::{Notify, oneshot};

use crate::AppState;
use crate::store::Receipt;

/// The content type the bytes are, by their first bytes; none for
/// anything but JPEG and PNG.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// What the decoder made of a photo.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "qr", rename_all = "kebab-case")]
pub enum QrResult {
    /// The code was read.
    Read {
        /// The station it names.
        station: String,
        /// The entry it made, when its numbers passed validation.
        entry: Option<Receipt>,
        /// Why no entry was made, when none was.
        problem: Option<String>,
    },
    /// The code was not read.
    Unread {
        /// Why, in the decoder's words.
        reason: String,
        /// What to do.
        advice: String,
    },
}

/// The QR decoder: a worker that takes the photos the store holds as
/// `pending`, oldest first, and decodes [`Decoder::workers`] at a time
/// (one by default, so that decoding never takes both of two cores from
/// the requests); a photo stored before a crash is decoded after the
/// restart. A request that stored a photo waits for its result for
/// [`Decoder::wait`] at most; past that it answers `pending` and the
/// result is in the store (`GET /api/v1/uploads/{sha256}`).
#[derive(Clone)]
pub struct Decoder(Arc<DecoderInner>);

struct DecoderInner {
    wake: Notify,
    waiters: Mutex<HashMap<String, Vec<oneshot::Sender<QrResult>>>>,
    backlog: AtomicI64,
    wait_ms: AtomicU64,
    decode_ms: AtomicU64,
    workers: AtomicUsize,
    started: AtomicBool,
}

/// Photos waiting to be decoded at most: past this, a new photo is refused
/// with 503 before it is stored (about a minute and a half of decoding at
/// five photos a second).
pub const BACKLOG_LIMIT: i64 = 500;

/// How long a request waits for its photo's result by default, in
/// milliseconds (`serve --upload-wait-ms`).
pub const DEFAULT_WAIT_MS: u64 = 1_500;

/// Photos taken from the store per look at the queue.
const BATCH: i64 = 8;

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder whose worker has not started.
    pub fn new() -> Decoder {
        Decoder(Arc::new(DecoderInner {
            wake: Notify::new(),
            waiters: Mutex::new(HashMap::new()),
            backlog: AtomicI64::new(0),
            wait_ms: AtomicU64::new(DEFAULT_WAIT_MS),
            decode_ms: AtomicU64::new(0),
            workers: AtomicUsize::new(1),
            started: AtomicBool::new(false),
        }))
    }

    /// Start the worker for `state`, once (later calls do nothing). It
    /// holds the state weakly and ends when the state is dropped.
    pub(crate) fn start(&self, state: Weak<crate::Inner>) {
        if self.0.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move { me.work(state).await });
    }

    async fn work(self, weak: Weak<crate::Inner>) {
        let scanner = Arc::new(Scanner::ve2024());
        let mut first = true;
        let mut running: tokio::task::JoinSet<String> = tokio::task::JoinSet::new();
        let mut in_flight: HashSet<String> = HashSet::new();
        loop {
            let Some(inner) = weak.upgrade() else { return };
            let state = AppState(inner);
            if first {
                if let Ok(n) = state.store.pending_upload_count().await {
                    self.0.backlog.store(n, Ordering::Relaxed);
                }
                first = false;
            }
            let workers = self.workers();
            if running.len() >= workers {
                drop(state);
                if let Some(Ok(sha)) = running.join_next().await {
                    in_flight.remove(&sha);
                }
                continue;
            }
            let limit = BATCH + i64::try_from(in_flight.len()).unwrap_or(i64::MAX);
            let batch = match state.store.pending_uploads(limit).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "reading the decoder's queue");
                    drop(state);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let fresh: Vec<(String, Option<i64>)> = batch
                .into_iter()
                .filter(|(sha, _)| !in_flight.contains(sha))
                .take(workers - running.len())
                .collect();
            if fresh.is_empty() {
                if running.is_empty() {
                    self.0.backlog.store(0, Ordering::Relaxed);
                }
                drop(state);
                // Woken by each new photo or a finished decode; the
                // timeout only lets the worker notice that its state was
                // dropped.
                tokio::select! {
                    Some(Ok(sha)) = running.join_next(), if !running.is_empty() => {
                        in_flight.remove(&sha);
                    }
                    _ = tokio::time::timeout(Duration::from_secs(2), self.0.wake.notified()) => {}
                }
                continue;
            }
            for (sha256, by) in fresh {
                in_flight.insert(sha256.clone());
                let me = self.clone();
                let st = state.clone();
                let sc = scanner.clone();
                running.spawn(async move {
                    let t0 = std::time::Instant::now();
                    let result = decode_one(&st, &sc, &sha256, by).await;
                    me.took(t0.elapsed());
                    me.done(&sha256, &result);
                    sha256
                });
            }
        }
    }

    /// A decode took `d`: the running mean the wait is judged by.
    fn took(&self, d: Duration) {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1);
        let _ = self
            .0
            .decode_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(if old == 0 { ms } else { (old * 7 + ms) / 8 })
            });
    }

    /// `sha256` was decoded: tell whoever waits, shorten the backlog.
    fn done(&self, sha256: &str, result: &QrResult) {
        let _ = self
            .0
            .backlog
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some((n - 1).max(0))
            });
        let waiters = self
            .0
            .waiters
            .lock()
            .ok()
            .and_then(|mut w| w.remove(sha256))
            .unwrap_or_default();
        for w in waiters {
            let _ = w.send(result.clone());
        }
    }

    /// Decodes run at once.
    pub fn workers(&self) -> usize {
        self.0.workers.load(Ordering::Relaxed).max(1)
    }

    /// Set how many decodes run at once (`serve --decoders`; 1 by
    /// default, so that decoding never takes both of two cores from the
    /// requests).
    pub fn set_workers(&self, n: usize) {
        self.0.workers.store(n.max(1), Ordering::Relaxed);
    }

    /// Whether a photo queued now is likely decoded within the wait: the
    /// photos ahead of it, shared among the workers, times the running
    /// mean of a decode. When it is not, the upload is answered 202 at
    /// once instead of holding the connection for the whole wait.
    pub fn worth_waiting(&self) -> bool {
        let ahead = u64::try_from(self.backlog()).unwrap_or(0) + 1;
        let per = self.0.decode_ms.load(Ordering::Relaxed);
        let workers = self.workers() as u64;
        ahead.div_ceil(workers) * per <= self.0.wait_ms.load(Ordering::Relaxed)
    }

    /// Be told the result for `sha256`; call before the photo is stored,
    /// so that a result cannot come before the wait begins.
    pub fn watch(&self, sha256: &str) -> oneshot::Receiver<QrResult> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.0.waiters.lock() {
            w.entry(sha256.to_string()).or_default().push(tx);
        }
        rx
    }

    /// Stop watching `sha256` (the photo was stored before: it is not
    /// queued again).
    pub fn unwatch(&self, sha256: &str) {
        if let Ok(mut w) = self.0.waiters.lock() {
            w.remove(sha256);
        }
    }

    /// A photo was stored as `pending`: wake the worker.
    pub fn queued(&self) {
        self.0.backlog.fetch_add(1, Ordering::Relaxed);
        self.0.wake.notify_one();
    }

    /// Photos waiting, as far as this process knows.
    pub fn backlog(&self) -> i64 {
        self.0.backlog.load(Ordering::Relaxed)
    }

    /// How long a request waits for its photo's result.
    pub fn wait(&self) -> Duration {
        Duration::from_millis(self.0.wait_ms.load(Ordering::Relaxed))
    }

    /// Set how long a request waits for its photo's result.
    pub fn set_wait(&self, ms: u64) {
        self.0.wait_ms.store(ms, Ordering::Relaxed);
    }
}

/// Decode one stored photo, record the result and, when the code was read
/// and its numbers pass validation, submit them as the uploader's scan.
async fn decode_one(
    state: &AppState,
    scanner: &Arc<Scanner>,
    sha256: &str,
    by: Option<i64>,
) -> QrResult {
    let bytes = match state.store.upload_bytes(sha256).await {
        Ok(Some((_, b))) => b,
        Ok(None) => {
            return QrResult::Unread {
                reason: "the photo is no longer stored".into(),
                advice: ADVICE.into(),
            };
        }
        Err(e) => {
            tracing::error!(error = %e, sha256, "reading a photo to decode");
            return QrResult::Unread {
                reason: format!("the photo could not be read from the store: {e}"),
                advice: ADVICE.into(),
            };
        }
    };
    let sc = scanner.clone();
    let name = sha256.to_string();
    let scan = tokio::task::spawn_blocking(move || sc.scan_bytes(&name, &bytes)).await;
    match scan {
        Ok(scan) => finish(state, sha256, by, scan).await,
        Err(e) => {
            let reason = format!("the decoder failed: {e}");
            let _ = state
                .store
                .set_qr(sha256, "unread", None, Some(&reason))
                .await;
            QrResult::Unread {
                reason,
                advice: ADVICE.into(),
            }
        }
    }
}

/// What to ask of a witness whose photo did not read.
pub const ADVICE: &str = "the QR code could not be read: send a close-up of the QR code (a second photo of the same sheet, the code filling most of the frame, in focus and without glare), or type the numbers";

async fn finish(
    state: &AppState,
    sha256: &str,
    by: Option<i64>,
    scan: tallyproof_acta::ImageScan,
) -> QrResult {
    let store = &state.store;
    let decoded = match scan.result() {
        Ok(d) => d.clone(),
        Err(f) => {
            let reason = format!("{}: {}", f.reason, f.detail);
            let _ = store.set_qr(sha256, "unread", None, Some(&reason)).await;
            return QrResult::Unread {
                reason,
                advice: ADVICE.into(),
            };
        }
    };
    let station = decoded.payload.station_id.clone();
    // Only the process that moved the photo from `pending` submits its
    // numbers: two servers over one store never submit a scan twice.
    match store.set_qr(sha256, "read", Some(&station), None).await {
        Ok(true) => state.records.evict(&station),
        Ok(false) => {
            return QrResult::Read {
                station,
                entry: None,
                problem: Some("the photo was decoded already".into()),
            };
        }
        Err(e) => {
            return QrResult::Read {
                station,
                entry: None,
                problem: Some(format!("the result could not be stored: {e}")),
            };
        }
    }
    let mut fields: BTreeMap<String, String> = decoded
        .options
        .iter()
        .map(|c| (c.name.clone(), c.count.to_string()))
        .collect();
    let mapped = tallyproof_core::sheet::mapped_extras(&state.cfg);
    if mapped[2] {
        fields.insert("null".into(), decoded.payload.null_votes.to_string());
    }
    if mapped[1] {
        let valid = decoded
            .payload
            .stated_valid_votes
            .unwrap_or_else(|| decoded.payload.lines.iter().sum());
        fields.insert("valid".into(), valid.to_string());
    }
    let mut origin = Origin::new(SourceKind::Scan);
    origin.image_sha256 = Some(sha256.to_string());
    origin.qr_payload = Some(decoded.raw_payload.clone());
    // The sender, looked up only for a code that read.
    let witness = match by {
        Some(id) => state.store.witness(id).await.ok().flatten(),
        None => None,
    };
    let Some(witness) = witness else {
        return QrResult::Read {
            station,
            entry: None,
            problem: Some("the photo's sender is not known to the store".into()),
        };
    };
    origin.submitted_by = Some(witness.name.clone());
    let sheet = match parse_fields(&state.cfg, &station, &fields, origin) {
        Ok(s) => s,
        Err(reasons) => {
            let problem = reasons
                .iter()
                .map(|r| format!("{} {}", r.rule.code(), r.message))
                .collect::<Vec<_>>()
                .join("; ");
            return QrResult::Read {
                station,
                entry: None,
                problem: Some(problem),
            };
        }
    };
    if !witness.covers(&station) {
        return QrResult::Read {
            station,
            entry: None,
            problem: Some("the station is outside your scope".into()),
        };
    }
    match crate::service::submit_sheet(state, sheet, Some(witness.id), None).await {
        Ok(r) => QrResult::Read {
            station,
            entry: Some(r),
            problem: None,
        },
        Err(e) => QrResult::Read {
            station,
            entry: None,
            problem: Some(e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_waits_only_when_its_turn_comes_within_the_wait() {
        let d = Decoder::new();
        d.set_wait(1_500);
        // No decode measured yet: wait.
        assert!(d.worth_waiting());
        d.took(Duration::from_millis(1_000));
        // Alone in the queue: one decode of 1 s.
        assert!(d.worth_waiting());
        d.queued();
        d.queued();
        // Two ahead, one worker: its result comes after 3 s.
        assert!(!d.worth_waiting());
        // Four workers take the three at once.
        d.set_workers(4);
        assert!(d.worth_waiting());
        // The running mean: (1000 * 7 + 200) / 8 = 900.
        d.took(Duration::from_millis(200));
        assert_eq!(d.0.decode_ms.load(Ordering::Relaxed), 900);
    }

    #[test]
    fn sniffs_jpeg_and_png_only() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<svg"), None);
        assert_eq!(sniff(&[]), None);
    }
}
