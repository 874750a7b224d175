//! Photos of tally sheets: sniffed as JPEG or PNG, stored by the SHA-256
//! of their bytes (never by a name the client gives), and their QR code
//! decoded by `tallyproof_acta` on a worker, off the request's task. A
//! code that reads becomes an entry of kind `scan` from the uploader.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use tallyproof_acta::Scanner;
use tallyproof_core::sheet::{Origin, SourceKind, parse_fields};
use tokio::sync::{mpsc, oneshot};

use crate::AppState;
use crate::store::{Receipt, Witness};

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

struct Job {
    state: AppState,
    sha256: String,
    bytes: Arc<Vec<u8>>,
    witness: Witness,
    reply: oneshot::Sender<QrResult>,
}

/// The decoder's queue: one worker, so that decoding never takes both
/// cores from the requests; a full queue refuses new photos.
#[derive(Clone)]
pub struct Decoder {
    tx: mpsc::Sender<Job>,
}

/// Photos waiting at most.
const QUEUE: usize = 16;

impl Decoder {
    /// Start the worker.
    pub fn start() -> Decoder {
        let (tx, mut rx) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(async move {
            let scanner = Arc::new(Scanner::ve2024());
            while let Some(job) = rx.recv().await {
                let sc = scanner.clone();
                let bytes = job.bytes.clone();
                let name = job.sha256.clone();
                let scan = tokio::task::spawn_blocking(move || sc.scan_bytes(&name, &bytes)).await;
                let result = match scan {
                    Ok(scan) => finish(&job, scan).await,
                    Err(e) => QrResult::Unread {
                        reason: format!("the decoder failed: {e}"),
                        advice: ADVICE.into(),
                    },
                };
                let _ = job.reply.send(result);
            }
        });
        Decoder { tx }
    }

    /// Queue a photo; the receiver gets the result. `None` when the queue is full.
    pub fn submit(
        &self,
        state: AppState,
        sha256: String,
        bytes: Arc<Vec<u8>>,
        witness: Witness,
    ) -> Option<oneshot::Receiver<QrResult>> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .try_send(Job {
                state,
                sha256,
                bytes,
                witness,
                reply,
            })
            .ok()?;
        Some(rx)
    }
}

/// What to ask of a witness whose photo did not read.
pub const ADVICE: &str = "the QR code could not be read: send a close-up of the QR code (a second photo of the same sheet, the code filling most of the frame, in focus and without glare), or type the numbers";

async fn finish(job: &Job, scan: tallyproof_acta::ImageScan) -> QrResult {
    let store = &job.state.store;
    let decoded = match scan.result() {
        Ok(d) => d.clone(),
        Err(f) => {
            let reason = format!("{}: {}", f.reason, f.detail);
            let _ = store
                .set_qr(&job.sha256, "unread", None, Some(&reason))
                .await;
            return QrResult::Unread {
                reason,
                advice: ADVICE.into(),
            };
        }
    };
    let station = decoded.payload.station_id.clone();
    let _ = store
        .set_qr(&job.sha256, "read", Some(&station), None)
        .await;
    let mut fields: BTreeMap<String, String> = decoded
        .options
        .iter()
        .map(|c| (c.name.clone(), c.count.to_string()))
        .collect();
    let mapped = tallyproof_core::sheet::mapped_extras(&job.state.cfg);
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
    origin.image_sha256 = Some(job.sha256.clone());
    origin.qr_payload = Some(decoded.raw_payload.clone());
    origin.submitted_by = Some(job.witness.name.clone());
    let sheet = match parse_fields(&job.state.cfg, &station, &fields, origin) {
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
    if !job.witness.covers(&station) {
        return QrResult::Read {
            station,
            entry: None,
            problem: Some("the station is outside your scope".into()),
        };
    }
    match crate::service::submit_sheet(&job.state, sheet, Some(job.witness.id), None).await {
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
    fn sniffs_jpeg_and_png_only() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<svg"), None);
        assert_eq!(sniff(&[]), None);
    }
}
