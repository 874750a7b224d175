//! Tally-sheet images: read each sheet's QR code, parse it with a
//! per-country payload format, and keep the image's provenance.
//!
//! # Brief overview
//!
//! A [`Scanner`] takes image files (or directories of them), decodes each
//! in parallel and returns one [`ImageScan`] per image, in input order:
//! the file's SHA-256, its name, and either a [`Decoded`] sheet (the raw QR
//! text, the parsed [`Payload`] and the counts per option) or a
//! [`Failure`] with a [`FailureReason`]. Nothing is dropped: an image that
//! cannot be read is listed with its reason.
//!
//! - [`preprocess`]: the image variants tried in turn (crops of the sheet's
//!   ends, scaling, binarisation), cheapest first.
//! - [`reader`]: the [`QrReader`] trait over a QR decoder ([`RxingReader`]).
//! - [`format`](mod@format): the [`PayloadFormat`] trait, [`Payload`], and
//!   [`LineGrouping`], the data that sums party lines into options.
//! - [`ve2024`]: the Venezuela 2024 acta format and its default grouping.
//! - [`sheet`](mod@sheet): a decoded image as a `tallyproof_core` sheet,
//!   validated by the same rules as any other, and its JSON Lines record.
//!
//! # Example
//!
//! ```
//! use tallyproof_acta::{PayloadFormat, Scanner, Ve2024};
//!
//! let raw = "240111028.01.1.0001!17,1,1,0,5,1,0,1,2,0,0,1,1,1,0,0,0,1,0,0,\
//!            0,0,0,0,0,0,0,0,0,0,0,0,0,0,4,43,1,0!0!0";
//! let payload = Ve2024.parse(raw)?;
//! assert_eq!(payload.station_id, "240111028.01");
//! assert_eq!(payload.lines_total(), Some(80));
//!
//! // A file that is not an image is reported, not skipped.
//! let scan = Scanner::ve2024().scan_bytes("notes.txt", b"hello");
//! assert_eq!(scan.failure_reason().map(|r| r.code()), Some("not-an-image"));
//! # Ok::<(), tallyproof_acta::PayloadError>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod format;
pub mod preprocess;
pub mod reader;
mod scan;
pub mod sheet;
pub mod ve2024;

pub use format::{
    GroupingError, LineGrouping, LineRef, NamedCount, Payload, PayloadError, PayloadFormat,
    ResolvedGrouping,
};
pub use reader::{QrReader, RxingReader};
pub use scan::{
    Decoded, Failure, FailureReason, IMAGE_EXTENSIONS, ImageScan, Outcome, ScanOptions, Scanner,
    Summary, list_images,
};
pub use ve2024::Ve2024;
